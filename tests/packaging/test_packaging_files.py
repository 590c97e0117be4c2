"""The desktop bundle's inputs: icons, the .desktop entry, the PyInstaller spec and its helper rules.

These run in `make test` and need no PyInstaller; `make package-smoke` builds and runs the bundle itself.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import re
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons"
SPEC = PACKAGING / "countydatasync.spec"

_spec = importlib.util.spec_from_file_location("bundle_rules", PACKAGING / "bundle_rules.py")
bundle_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bundle_rules)

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def spec_constant(name: str):
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned a literal in {SPEC.name}")


# -- icons --------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("size", [16, 32, 48, 64, 128, 256, 512])
def test_png_icon_sizes(size: int) -> None:
    assert png_size(ICONS / f"countydatasync-{size}.png") == (size, size)


def test_windows_icon_has_the_sizes_windows_uses() -> None:
    data = (ICONS / "countydatasync.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _, _, planes, bits, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * index: 22 + 16 * index])
        assert (planes, bits) == (1, 32)
        assert offset + length <= len(data)
        sizes.append(width or 256)
    assert sorted(sizes) == [16, 24, 32, 48, 64, 128, 256]


def test_macos_icon_has_retina_sizes() -> None:
    data = (ICONS / "countydatasync.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    kinds, offset = set(), 8
    while offset < len(data):
        kind, length = data[offset:offset + 4], struct.unpack(">I", data[offset + 4:offset + 8])[0]
        assert data[offset + 8:offset + 12] == b"\x89PNG"
        kinds.add(kind)
        offset += length
    assert {b"ic07", b"ic08", b"ic09", b"ic10", b"ic13", b"ic14"} <= kinds


def test_rendered_icons_match_the_svg() -> None:
    """Edit resources/icons/countydatasync.svg, then run packaging/render_icons.py; this notices if you did not."""
    result = subprocess.run([sys.executable, str(PACKAGING / "render_icons.py"), "--check"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr


# -- the Linux .desktop entry -----------------------------------------------------------

def test_desktop_entry_starts_the_gui_with_the_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(ROOT / "resources" / "countydatasync.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] in PROJECT["gui-scripts"]
    assert section["TryExec"] in PROJECT["gui-scripts"]
    assert section["Terminal"] == "false"
    assert (ICONS / f"{section['Icon']}.svg").exists()
    assert section["Categories"].endswith(";") and section["Keywords"].endswith(";")


# -- the spec --------------------------------------------------------------------------

def test_bundled_programs_have_the_installed_names() -> None:
    assert spec_constant("GUI_NAME") in PROJECT["gui-scripts"]
    assert spec_constant("CLI_NAME") in PROJECT["scripts"]


@pytest.mark.parametrize(("entry_script", "table", "name"), [
    ("entry_gui.py", "gui-scripts", "countydatasync-gui"),
    ("entry_cli.py", "scripts", "countydatasync"),
])
def test_entry_scripts_run_the_installed_entry_points(entry_script: str, table: str, name: str) -> None:
    module, function = PROJECT[table][name].split(":")
    assert f"from {module} import {function}" in (PACKAGING / entry_script).read_text(encoding="utf-8")


def test_spec_keeps_every_qt_module_the_app_imports() -> None:
    """The spec excludes every PySide6 module it does not list: a new Qt import must be listed there."""
    used = set()
    for path in (ROOT / "countydatasync_gui").rglob("*.py"):
        used.update(re.findall(r"\bPySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    kept = set(spec_constant("QT_MODULES"))
    assert used <= kept, f"add {sorted(used - kept)} to QT_MODULES in packaging/countydatasync.spec"
    assert not kept & {"QtWebEngineCore", "QtWebEngineWidgets", "QtQuick", "QtQml", "Qt3DCore", "QtMultimedia"}


# -- bundle_rules ----------------------------------------------------------------------

def test_prune_takes_the_libraries_only_a_dropped_plugin_needed() -> None:
    toc = [
        ("Qt/plugins/input/libkeyboard.so", "/src/libkeyboard.so", "BINARY"),
        ("Qt/lib/libQt6Quick.so.6", "/src/libQt6Quick.so.6", "BINARY"),
        ("Qt/lib/libQt6Core.so.6", "/src/libQt6Core.so.6", "BINARY"),
        ("QtCore.abi3.so", "/src/QtCore.abi3.so", "EXTENSION"),
        ("libQt6Quick.so.6", "Qt/lib/libQt6Quick.so.6", "SYMLINK"),
        ("libQt6Core.so.6", "Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("resources/use_codes.tsv", "/src/use_codes.tsv", "DATA"),
    ]
    links = {
        "/src/libkeyboard.so": ["libQt6Quick.so.6", "libQt6Core.so.6"],
        "/src/libQt6Quick.so.6": ["libQt6Core.so.6", "libc.so.6"],
        "/src/QtCore.abi3.so": ["libQt6Core.so.6"],
    }
    kept, removed = bundle_rules.prune(toc, lambda dest: "/plugins/input/" in dest, lambda path: links.get(path, []))
    assert [entry[0] for entry in kept] == [
        "Qt/lib/libQt6Core.so.6", "QtCore.abi3.so", "libQt6Core.so.6", "resources/use_codes.tsv"]
    assert {entry[0] for entry in removed} == {
        "Qt/plugins/input/libkeyboard.so", "Qt/lib/libQt6Quick.so.6", "libQt6Quick.so.6"}


def test_prune_keeps_a_library_something_else_still_links() -> None:
    toc = [("plugins/theme.so", "/a/theme.so", "BINARY"), ("libglib.so.0", "/a/libglib.so.0", "BINARY"),
           ("libQt6Gui.so.6", "/a/libQt6Gui.so.6", "BINARY")]
    links = {"/a/theme.so": ["libglib.so.0"], "/a/libQt6Gui.so.6": ["libglib.so.0"]}
    kept, _ = bundle_rules.prune(toc, lambda dest: dest.startswith("plugins/"), lambda path: links.get(path, []))
    assert [entry[0] for entry in kept] == ["libglib.so.0", "libQt6Gui.so.6"]


def test_a_library_left_to_the_desktop_takes_the_libraries_only_it_needed() -> None:
    toc = [("plugins/printsupport/libcups.so", "/a/plugin.so", "BINARY"), ("libcups.so.2", "/a/libcups.so.2", "BINARY"),
           ("libgnutls.so.30", "/a/libgnutls.so.30", "BINARY"), ("libz.so.1", "/a/libz.so.1", "BINARY"),
           ("libQt6Core.so.6", "/a/libQt6Core.so.6", "BINARY")]
    links = {"/a/plugin.so": ["libcups.so.2", "libQt6Core.so.6"], "/a/libcups.so.2": ["libgnutls.so.30", "libz.so.1"],
             "/a/libQt6Core.so.6": ["libz.so.1"]}
    kept, removed = bundle_rules.prune(toc, lambda dest: dest == "libcups.so.2", lambda path: links.get(path, []))
    assert [entry[0] for entry in kept] == ["plugins/printsupport/libcups.so", "libz.so.1", "libQt6Core.so.6"]
    assert {entry[0] for entry in removed} == {"libcups.so.2", "libgnutls.so.30"}


def icu_package(items: dict[str, bytes]) -> bytes:
    """A little-endian ICU common data package as ICU's pkgdata writes it (32-byte header, "CmnD")."""
    header = struct.pack("<HBBHHBBBB4s4s4s", 32, 0xDA, 0x27, 20, 0, 0, 0, 2, 0, b"CmnD", b"\1\0\0\0", b"\3\0\0\0")
    header += bytes(32 - len(header))
    names = sorted(items)
    table = struct.pack("<I", len(names)) + bytes(8 * len(names)) + b"".join(n.encode() + b"\0" for n in names)
    table += bytes(-len(table) % 16)
    offsets, body, name_offset = [], b"", 4 + 8 * len(names)
    for name in names:
        offsets.append((name_offset, len(table) + len(body)))
        name_offset += len(name) + 1
        body += items[name] + bytes(-len(items[name]) % 16)
    table = table[:4] + b"".join(struct.pack("<II", *pair) for pair in offsets) + table[4 + 8 * len(names):]
    return header + table + body


def test_icu_data_subset_drops_items_and_keeps_the_rest_readable() -> None:
    items = {"icudt73l/brkitr/cjdict.dict": b"D" * 40, "icudt73l/coll/root.res": b"C" * 21,
             "icudt73l/en.res": b"E" * 16, "icudt73l/unames.icu": b"U" * 7}
    package = icu_package(items)
    assert bundle_rules.icu_data_subset(package, lambda name: False) == package

    subset = bundle_rules.icu_data_subset(package, lambda name: "/brkitr/" in name or name.endswith("unames.icu"))
    assert subset == icu_package({name: items[name] for name in ("icudt73l/coll/root.res", "icudt73l/en.res")})
    with pytest.raises(ValueError):
        bundle_rules.icu_data_subset(b"\0" * 64, lambda name: False)


def test_duplicate_sonames_keep_the_name_binaries_link_to() -> None:
    names = ["pyarrow/libarrow_python.so", "pyarrow/libarrow_python.so.2600", "pyarrow/libarrow_python.so.2600.1.0",
             "pyarrow/libarrow.so.2600", "other/libonly.so", "other/libfull.so.1.2.3"]
    assert bundle_rules.duplicate_sonames(names) == {"pyarrow/libarrow_python.so", "pyarrow/libarrow_python.so.2600.1.0"}


def test_only_declared_dependencies_ship() -> None:
    closure = bundle_rules.runtime_closure(PROJECT["dependencies"]) | {"countydatasync"}
    assert {"pandas", "sqlalchemy", "pyside6-essentials", "shiboken6", "keyring"} <= closure
    foreign = set(bundle_rules.foreign_modules(closure))
    assert not foreign & {"pandas", "numpy", "sqlalchemy", "PySide6", "keyring", "platformdirs", "countydatasync_gui"}
    assert not foreign & set(sys.stdlib_module_names)
    assert "pytest" in foreign  # installed here for the tests, never in the bundle
