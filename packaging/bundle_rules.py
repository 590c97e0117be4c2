"""What goes into the bundle: helpers for packaging/countydatasync.spec (and tests/packaging).

Two rules keep the bundle lean and the same on every build machine:

1. Only declared dependencies ship. A developer's venv holds test, lint and
   benchmark tools (pytest, dlt, requests, PyYAML ...) that optional imports in
   pandas, pyarrow or numpy would otherwise pull in, so a bundle built there
   would differ from CI's. `foreign_modules()` lists the top-level modules of
   every installed distribution outside the runtime closure of pyproject.toml,
   and the spec excludes them.
2. A dropped Qt plugin takes its libraries with it. PyInstaller resolves shared
   libraries during analysis, before the spec can drop plugins, so removing,
   say, the virtual keyboard input plugin would leave QtQuick and QtQml behind.
   `prune()` removes the dropped entries and every library that only they
   needed, and keeps anything still linked from what remains. A dropped
   library that a kept one links (one the desktop provides) likewise takes
   the libraries only it needed.

`icu_data_subset()` takes items out of an ICU data package (Qt's libicudata).

Only the standard library and `packaging` (a PyInstaller dependency) are used here.
"""

from __future__ import annotations

import itertools
import os
import re
import struct
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import PurePath

from packaging.requirements import Requirement

# A TOC entry as PyInstaller keeps it: (name inside the bundle, source path, typecode).
TocEntry = tuple[str, str, str]
# Build-time tools named in the `package` extra that must not be bundled themselves.
BUILD_TOOLS = {"pyinstaller", "pyinstaller-hooks-contrib", "altgraph"}


def normalise(name: str) -> str:
    """A distribution name in PEP 503 form (`PySide6_Essentials` -> `pyside6-essentials`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(requirements: Iterable[str]) -> set[str]:
    """Names of the installed distributions `requirements` need, transitively, on this platform."""
    installed = {normalise(dist.metadata["Name"]): dist for dist in metadata.distributions() if dist.metadata["Name"]}
    found: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = []

    def want(text: str, extras: frozenset[str]) -> None:
        requirement = Requirement(text)
        if requirement.marker is not None and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})
        ):
            return
        todo.append((normalise(requirement.name), frozenset(requirement.extras)))

    for text in requirements:
        want(text, frozenset())
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen or name not in installed:
            continue
        seen.add((name, extras))
        found.add(name)
        for text in installed[name].requires or []:
            want(text, extras)
    return found


def top_level_modules(dist: metadata.Distribution) -> set[str]:
    """The importable top-level names a distribution installs (packages and modules)."""
    listed = dist.read_text("top_level.txt")
    if listed:
        return {line.strip() for line in listed.splitlines() if line.strip()}
    names = set()
    for file in dist.files or []:
        parts = PurePath(file).parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data", ".pth")):
            continue
        if len(parts) > 1:
            names.add(parts[0])
        elif parts[0].endswith((".py", ".so", ".pyd")):
            names.add(parts[0].split(".")[0])
    return {name for name in names if name.isidentifier()}


def foreign_modules(closure: set[str]) -> list[str]:
    """Top-level modules of installed distributions outside `closure` (never a standard-library name)."""
    ours: set[str] = set()
    theirs: set[str] = set()
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        (ours if normalise(name) in closure else theirs).update(top_level_modules(dist))
    return sorted(theirs - ours - set(sys.stdlib_module_names))


def _key(path: str) -> str:
    return os.path.basename(path).lower()


def prune(
    toc: list[TocEntry],
    dropped: Callable[[str], bool],
    imports_of: Callable[[str], Iterable[str]],
) -> tuple[list[TocEntry], list[TocEntry]]:
    """Remove the entries `dropped(dest)` selects and the libraries only they needed.

    `imports_of(source_path)` gives the names or paths of the shared libraries a
    binary links to (PyInstaller's bindepend on the build machine); they are
    matched to entries by file name. Returns (kept, removed).
    """
    binaries = [entry for entry in toc if entry[2] in ("BINARY", "EXTENSION")]
    by_name: dict[str, list[TocEntry]] = {}
    for entry in binaries:
        by_name.setdefault(_key(entry[0]), []).append(entry)
        by_name.setdefault(_key(entry[1]), []).append(entry)

    def closure(start: Iterable[TocEntry], blocked: set[TocEntry] = frozenset()) -> set[TocEntry]:
        reached: set[TocEntry] = set()
        todo = list(start)
        while todo:
            entry = todo.pop()
            if entry in reached or entry in blocked:
                continue
            reached.add(entry)
            for name in imports_of(entry[1]):
                todo.extend(by_name.get(_key(name), ()))
        return reached

    removed = {entry for entry in toc if dropped(entry[0])}
    candidates = closure(entry for entry in removed if entry[2] in ("BINARY", "EXTENSION")) - removed
    # What the kept binaries reach without passing through a dropped library.
    still_needed = closure((entry for entry in binaries if entry not in removed and entry not in candidates), removed)
    removed |= candidates - still_needed
    # PyInstaller also links libraries from sub-folders into _internal/ (SYMLINK
    # entries: dest, target dest); a link to a removed file would dangle.
    gone = {entry[0].replace("\\", "/") for entry in removed}
    removed |= {entry for entry in toc if entry[2] == "SYMLINK" and _link_target(entry) in gone}
    return [entry for entry in toc if entry not in removed], sorted(removed)


def _link_target(entry: TocEntry) -> str:
    dest, target = entry[0].replace("\\", "/"), entry[1].replace("\\", "/")
    return os.path.normpath(os.path.join(os.path.dirname(dest), target)).replace("\\", "/")


_SONAME = re.compile(r"(?P<stem>.+\.so)(?P<suffix>(\.\d+)*)$")


def duplicate_sonames(dests: Iterable[str]) -> set[str]:
    """Copies of a Linux library under its link name or full version beside its SONAME.

    Wheels cannot hold symlinks, so pyarrow ships libarrow_python.so,
    libarrow_python.so.2600 and libarrow_python.so.2600.1.0 as three files.
    Binaries link to the SONAME (one version number), so for each stem with a
    one-number file the others are duplicates.
    """
    groups: dict[str, list[tuple[str, int]]] = {}
    for dest in dests:
        match = _SONAME.fullmatch(dest.replace("\\", "/"))
        if match:
            groups.setdefault(match["stem"], []).append((dest, match["suffix"].count(".")))
    duplicates = set()
    for members in groups.values():
        if any(depth == 1 for _, depth in members):
            duplicates.update(dest for dest, depth in members if depth != 1)
    return duplicates


_ICU_HEADER = struct.Struct("<HBB")  # headerSize, magic 0xda 0x27 (ICU's udata.h)


def icu_data_subset(data: bytes, drop: Callable[[str], bool]) -> bytes:
    """An ICU common data package (icudt<version>l.dat) without the items `drop(name)` selects.

    The package is a header, a table of contents (item count, then per item the
    offsets of its name and of its data, from the table's start, sorted by name)
    and the items, each aligned to 16 bytes. Little-endian packages only, as on
    every platform Qt ships ICU for.
    """
    header_size, magic1, magic2 = _ICU_HEADER.unpack_from(data)
    if (magic1, magic2) != (0xDA, 0x27) or data[8] != 0 or data[12:16] != b"CmnD":
        raise ValueError("not a little-endian ICU common data package")
    (count,) = struct.unpack_from("<I", data, header_size)
    entries = [struct.unpack_from("<II", data, header_size + 4 + 8 * index) for index in range(count)]
    starts = sorted(header_size + offset for _, offset in entries) + [len(data)]
    end_of = dict(itertools.pairwise(starts))
    items = []
    for name_offset, data_offset in entries:
        name_start = header_size + name_offset
        name = data[name_start:data.index(b"\0", name_start)]
        if not drop(name.decode("ascii")):
            start = header_size + data_offset
            items.append((name, data[start:end_of[start]]))

    names = b"".join(name + b"\0" for name, _ in items)
    table = 4 + 8 * len(items)
    position = _aligned(header_size + table + len(names))
    contents, offsets, name_offset = bytearray(), [], table
    for name, item in items:
        offsets.append((name_offset, position + len(contents) - header_size))
        name_offset += len(name) + 1
        contents += item + bytes(_aligned(len(item)) - len(item))
    out = bytearray(data[:header_size]) + struct.pack("<I", len(items))
    for pair in offsets:
        out += struct.pack("<II", *pair)
    out += names
    return bytes(out + bytes(position - len(out)) + contents)


def _aligned(size: int) -> int:
    return (size + 15) & ~15
