"""Remember the window's size and splitter positions between sessions (QSettings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .main_window import MainWindow

DEFAULT_SIZE = (1200, 820)


def _splitters(window: MainWindow):
    # (splitter, sizes on first start)
    return ((window.splitter, [560, 200]), (window.browser.splitter, [600, 560]))


def restore_geometry(window: MainWindow) -> None:
    """Size and place as the clerk left them, or a sensible default on first start (before the window shows)."""
    geometry = window.settings.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(*DEFAULT_SIZE)


def restore_splitters(window: MainWindow) -> None:
    """Splitters as the clerk left them, or sensible defaults on first start.

    Called once the banners above them are shown: they were there when the
    sizes were saved, and a banner appearing later would shrink every pane.
    """
    for splitter, default in _splitters(window):
        state = window.settings.value(f"splitters/{splitter.objectName()}")
        if state is None or not splitter.restoreState(state):
            splitter.setSizes(default)


def save_layout(window: MainWindow) -> None:
    window.settings.setValue("window/geometry", window.saveGeometry())
    for splitter, _ in _splitters(window):
        window.settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
    window.settings.sync()
