"""The main window's menus: File (sync, commit, settings, export, save the log, quit) and Help (About)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from .. import __version__

if TYPE_CHECKING:
    from .main_window import MainWindow


class ModeActions(NamedTuple):
    """The menu actions the window enables and disables as it goes idle, running and reviewing."""

    sync: QAction
    commit: QAction
    settings: QAction


def build_menus(window: MainWindow) -> ModeActions:
    """Add the File and Help menus to `window`; each action presses the same button the clerk could."""
    file_menu = window.menuBar().addMenu("&File")
    sync = _action(file_menu, "&Sync now", QKeySequence(Qt.Key.Key_F5), window.sync_panel.sync_button.click)
    commit = _action(file_menu, "&Commit the reviewed changes", QKeySequence("Ctrl+Return"),
                     window.review.commit_button.click)
    file_menu.addSeparator()
    settings = _action(file_menu, "S&ettings…", QKeySequence("Ctrl+,"), window.open_settings)
    file_menu.addSeparator()
    _action(file_menu, "&Export the shown table as CSV…", QKeySequence("Ctrl+E"), lambda: _export(window))
    _action(file_menu, "Save the &log…", QKeySequence("Ctrl+Shift+S"), lambda: window.log_viewer.save())
    file_menu.addSeparator()
    _action(file_menu, "&Quit", QKeySequence(QKeySequence.StandardKey.Quit), window.close)
    help_menu = window.menuBar().addMenu("&Help")
    _action(help_menu, "&About CountyDataSync", None, lambda: _about(window))
    return ModeActions(sync, commit, settings)


def _action(menu: QMenu, text: str, shortcut: QKeySequence | None, slot: Callable[[], object]) -> QAction:
    action = menu.addAction(text)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(slot)
    return action


def _export(window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.browser)
    window.browser.export_csv()


def _about(window: MainWindow) -> None:
    QMessageBox.about(window, "About CountyDataSync", (
        f"<h3>CountyDataSync {__version__}</h3>"
        "<p>Copies the county's parcel records into local databases, shows every change for review, "
        "and saves only what you commit.</p>"
        f"<p>Data folder: {window.folder.path}<br>Log files: {window.folder.log_dir}</p>"))
