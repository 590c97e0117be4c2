"""Find files shipped in the top-level `resources/` folder, from a source tree or a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(name: str) -> Path:
    """Absolute path of `resources/<name>`.

    In a PyInstaller bundle the folder sits under `sys._MEIPASS`; otherwise it
    is the repository's top-level `resources/` next to the package.
    """
    bundle_root = getattr(sys, "_MEIPASS", None)
    root = Path(bundle_root) if bundle_root else Path(__file__).resolve().parent.parent
    return root / "resources" / name
