"""What a wheel or an sdist ships: every package, and every file of resources/ as package data.

Fast checks of pyproject.toml for `make test`; `make check-install`
(scripts/check_installed_copy.sh) builds, installs and runs the real thing.
"""

from __future__ import annotations

import fnmatch
import sys
import tomllib
from pathlib import Path

import pytest

from countydatasync_gui import resources

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
RESOURCES = ROOT / "resources"


def package_folder(package: str) -> Path:
    """Where setuptools takes `package` from: the nearest package-dir mapping, else the flat layout."""
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        mapped = SETUPTOOLS.get("package-dir", {}).get(".".join(parts[:cut]))
        if mapped is not None:
            return ROOT / mapped / Path(*parts[cut:])
    return ROOT / Path(*parts)


def test_every_python_package_is_listed() -> None:
    """`packages` is an explicit list (packages.find cannot see a mapped folder): a new subpackage must join it."""
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "countydatasync_gui").rglob("__init__.py") if "__pycache__" not in init.parts}
    assert found <= set(SETUPTOOLS["packages"])


@pytest.mark.parametrize("package", SETUPTOOLS["packages"])
def test_listed_packages_exist(package: str) -> None:
    assert package_folder(package).is_dir()


def test_every_resource_file_is_package_data() -> None:
    """A file added to resources/ without a package-data pattern would be missing from every installed copy."""
    package_data = SETUPTOOLS["package-data"]
    unshipped = []
    for path in sorted(RESOURCES.rglob("*")):
        if not path.is_file() or path.name == "__init__.py" or "__pycache__" in path.parts:
            continue
        package = ".".join([resources.RESOURCE_PACKAGE, *path.parent.relative_to(RESOURCES).parts])
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in package_data.get(package, [])):
            unshipped.append(str(path.relative_to(RESOURCES)))
    assert unshipped == []


def test_resource_path_from_the_checkout() -> None:
    """The editable install (what `make` does) maps the package to the repository's own resources/."""
    assert resources.resource_path("use_codes.tsv") == RESOURCES / "use_codes.tsv"


def test_resource_path_in_the_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In the PyInstaller bundle the spec collects resources/ under sys._MEIPASS."""
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("presets/wisconsin.toml") == tmp_path / "resources" / "presets" / "wisconsin.toml"
