#!/usr/bin/env bash
# An installed copy must run (issue 10): build the sdist and the wheel, install
# each into its own fresh virtual environment outside the checkout, and run the
# programs from a temporary folder there, as IT would after `pip install`:
#   countydatasync demo create, countydatasync sync --yes --json (must say
#   "committed" with every demo parcel new), countydatasync-gui --self-test,
# and check that every file of resources/ is in the installed package.
# `make check-install` runs it; .ci/run calls that after `make test`.
#
#   PYTHON=.venv/bin/python bash scripts/check_installed_copy.sh
#
# Environment: PYTHON (default .venv/bin/python; needs the `build` package from
# the dev extra), BASE_PYTHON (makes the fresh venvs, default python3).
# Dependencies come from pip's cache, so after the first run it needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PYTHON="${PYTHON:-.venv/bin/python}"
BASE_PYTHON="${BASE_PYTHON:-python3}"
PARCELS=2000  # small: this checks that the copy runs, not how fast

TMP=$(mktemp -d "${TMPDIR:-/tmp}/countydatasync-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
start=$SECONDS

fail() { echo "check-install: FAIL: $*" >&2; exit 1; }

# `python -m build` makes the sdist, then the wheel from that sdist (not from
# the checkout), so a file missing from the sdist shows up in the wheel too.
echo "check-install: building the sdist and the wheel"
"$PYTHON" -m build --outdir "$TMP/dist" . >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; fail "build"; }
sdist=$(compgen -G "$TMP/dist/countydatasync-*.tar.gz") || fail "no sdist built"
wheel=$(compgen -G "$TMP/dist/countydatasync-*.whl") || fail "no wheel built"

check_one() {  # check_one NAME ARTIFACT: install ARTIFACT into a fresh venv and run it
    local name=$1 artifact=$2
    local venv="$TMP/$name/venv" work="$TMP/$name/work"
    local t0=$SECONDS
    mkdir -p "$work"
    "$BASE_PYTHON" -m venv "$venv"
    # Not editable, not from the checkout: exactly what `pip install countydatasync` does.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$artifact" \
        >"$TMP/$name/pip.log" 2>&1 || { cat "$TMP/$name/pip.log" >&2; fail "$name: pip install"; }

    # Run from a folder outside the checkout, in a clean environment (no PYTHONPATH,
    # a throwaway home for Qt's settings and the per-user data folder).
    (
        cd "$work"
        run() { env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$work/home" LANG=C.UTF-8 \
                    QT_QPA_PLATFORM=offscreen "$@"; }

        # Imported from the venv, and every shipped file where resource_path finds it.
        run python - "$ROOT/resources" "$venv" <<'EOF' || fail "$name: installed package and resources"
import sys
from pathlib import Path

import countydatasync_gui
from countydatasync_gui.resources import resource_path

source, venv = Path(sys.argv[1]), Path(sys.argv[2]).resolve()
package = Path(countydatasync_gui.__file__).resolve()
if venv not in package.parents:
    sys.exit(f"countydatasync_gui imported from {package}, not from {venv}")
missing = [str(path.relative_to(source)) for path in sorted(source.rglob("*"))
           if path.is_file() and path.name != "__init__.py" and "__pycache__" not in path.parts
           and not resource_path(str(path.relative_to(source))).is_file()]
if missing:
    sys.exit(f"not installed with the package: {', '.join(missing)}")
print(f"resources found in {resource_path('')}")
EOF
        run countydatasync demo create county.sqlite --parcels "$PARCELS" >/dev/null || fail "$name: demo create"
        run countydatasync sync --data-dir data --source sqlite:///county.sqlite --table parcels --yes --json \
            >sync.json 2>sync.err || { cat sync.err >&2; fail "$name: sync --yes --json"; }
        run python - sync.json "$PARCELS" <<'EOF' || fail "$name: sync result"
import json
import sys

with open(sys.argv[1], encoding="utf-8") as handle:
    result = json.load(handle)
expected = int(sys.argv[2])
if result["status"] != "committed" or result["counts"]["new"] != expected:
    sys.exit(f"expected committed with {expected} new parcels, got {result['status']}: {result['counts']}")
print(f"sync committed {expected} new parcels")
EOF
        run timeout 60 countydatasync-gui --data-dir data --self-test >gui.out 2>&1 \
            || { cat gui.out >&2; fail "$name: countydatasync-gui --self-test"; }
        grep -q "self-test ok" gui.out || { cat gui.out >&2; fail "$name: no 'self-test ok'"; }
    )
    echo "check-install: $name ok ($((SECONDS - t0)) s)"
}

check_one wheel "$wheel"
check_one sdist "$sdist"
echo "check-install: the wheel and the sdist run when installed ($((SECONDS - start)) s)"
