"""Before Qt starts on Linux: are the system libraries its X11 ("xcb") plugin needs installed?

Without them Qt aborts with "could not load the Qt platform plugin xcb", a
message no clerk can act on, and the process dies before any window could say
more. So the app looks for those libraries first and, when one is missing,
says in plain words which Debian/Ubuntu package to install.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from pathlib import Path

#: Libraries the xcb plugin of Qt 6 loads that a bare desktop may lack, and the Debian/Ubuntu package of each.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}


def _loads(name: str) -> bool:
    """Whether the system can load `name`, or the desktop bundle carries it (Qt finds it there, dlopen does not)."""
    try:
        ctypes.CDLL(name)
    except OSError:
        bundle = getattr(sys, "_MEIPASS", None)
        return bundle is not None and next(Path(bundle).rglob(name), None) is not None
    return True


def missing_platform_packages(platform: str = sys.platform, environ: dict[str, str] | None = None,
                              loads: Callable[[str], bool] = _loads) -> list[str]:
    """The packages to install before Qt can open a window on this X11 desktop; [] when nothing is missing
    or Qt will not use xcb (another system, Wayland, offscreen)."""
    environ = dict(os.environ) if environ is None else environ
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or (chosen and not chosen.startswith("xcb")):
        return []
    if not chosen and environ.get("WAYLAND_DISPLAY"):
        return []  # Qt picks its Wayland plugin first, which needs none of these
    return [package for library, package in XCB_LIBRARIES.items() if not loads(library)]


def platform_problem_text(packages: list[str]) -> str:
    """What to tell the clerk (and IT) when packages are missing."""
    return ("CountyDataSync cannot open its window: this computer lacks system libraries the window needs "
            f"({', '.join(packages)}).\nAsk IT to install them, on Debian or Ubuntu with:\n\n"
            f"    sudo apt-get install {' '.join(packages)}\n\nthen start CountyDataSync again.")
