"""Find the files shipped from the top-level `resources/` folder, installed or frozen."""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

#: The name the top-level `resources/` folder is installed under (pyproject.toml's
#: package-dir mapping). Not `countydatasync_gui.resources`: that is this module.
RESOURCE_PACKAGE = "countydatasync_gui.resource_files"


def resource_path(name: str) -> Path:
    """Absolute path of `resources/<name>`.

    In a PyInstaller bundle the folder sits under `sys._MEIPASS` (the spec
    collects it there). Otherwise it is the installed package
    `countydatasync_gui.resource_files`: inside site-packages for a wheel or an
    sdist, the repository's own `resources/` for an editable install.
    """
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "resources" / name
    # Callers glob the folder and hand paths to pandas, so this must be a real
    # folder: fail loudly if the package were ever imported from a zip.
    root = files(RESOURCE_PACKAGE)
    if not isinstance(root, os.PathLike):
        raise RuntimeError(f"{RESOURCE_PACKAGE} is not installed as a folder: {root!r}")
    return Path(root) / name
