# CountyDataSync: `make run` opens the app on the demo county, `make test` runs the whole suite.
# Both build a virtual environment from pyproject.toml first, so python3 and make are all they need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench check-install mutate clean

# The venv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment. On Debian/Ubuntu: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/countydatasync-gui

# lint-imports fails the build if the engine imports Qt (contract in pyproject.toml); ruff and
# mypy check the rules configured there.
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check countydatasync_gui tests bench scripts packaging
	$(BIN)/mypy

# ensure_postgres.sh and ensure_mariadb.sh install Debian's PostgreSQL and MariaDB servers for
# tests/pg and tests/mysql when missing (as root); elsewhere those tests skip and say how to get them.
test: lint
	@bash scripts/ensure_postgres.sh
	@bash scripts/ensure_mariadb.sh
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# Not part of `make test`: sizes of 100,000 and 1,000,000 parcels take several minutes. The PostgreSQL
# rows start the tests' throwaway server (ensure_postgres.sh installs it as root when missing; else they are left out).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@bash scripts/ensure_postgres.sh
	$(BIN)/python -m bench.run

# An installed copy must run: builds the sdist and the wheel, installs each into a fresh venv
# outside the checkout and runs demo create, sync --yes --json and the GUI's --self-test (about 1 minute).
check-install: $(STAMP)
	PYTHON=$(BIN)/python bash scripts/check_installed_copy.sh

# Not part of `make test`: mutation testing of the engine's core ([tool.mutmut] in pyproject.toml),
# then the share of mutants killed per module. Slow (every mutant runs the tests it reaches), so it
# runs niced with one test process unless told otherwise; MUTANTS narrows it to some mutants:
#   make mutate MUTATE_CHILDREN=2 MUTANTS='countydatasync_gui.etl.validate.*'
MUTATE_STAMP    := $(VENV)/.mutate-stamp
MUTATE_CHILDREN ?= 1
MUTANTS         ?=

$(MUTATE_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[mutate]'
	@touch $(MUTATE_STAMP)

mutate: $(MUTATE_STAMP)
	nice -n 10 $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $(MUTANTS)
	$(BIN)/python scripts/mutation_report.py

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info mutants

# Desktop bundle (packaging/README.md): `make package` builds dist/CountyDataSync/ with
# PyInstaller (the GUI and the CLI over one set of libraries, a few minutes);
# `make package-smoke` builds it, then runs the packaged programs as a clerk's machine would.
PACKAGE_STAMP := $(VENV)/.package-stamp

$(PACKAGE_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[package]'
	@touch $(PACKAGE_STAMP)

.PHONY: package package-smoke

package: $(PACKAGE_STAMP)
	PYTHON=$(BIN)/python bash packaging/build.sh

package-smoke: package
	bash packaging/smoke_test.sh dist/CountyDataSync
