"""The main window's menus: File (sync, settings, export, save the log, quit), Review (commit, discard,
hold back, classes, search, report, print) and Help (About). Every action has a shortcut, shown beside it in the menu."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QMessageBox, QTextBrowser, QVBoxLayout

from .. import __version__
from ..etl.logs import LOG_FILE
from ..resources import resource_path

#: The clerk's guide, shipped in resources/ (the README links to it: one text, not two copies).
USER_GUIDE = "user_guide.md"

if TYPE_CHECKING:
    from .main_window import MainWindow


class ModeActions(NamedTuple):
    """The menu actions the window enables and disables as it goes idle, running and reviewing."""

    sync: QAction
    commit: QAction
    settings: QAction
    review: tuple[QAction, ...]  # discard, hold back, classes, search, report, print: only while a review is open


def build_menus(window: MainWindow) -> ModeActions:
    """Add the File and Help menus to `window`; each action presses the same button the clerk could."""
    file_menu = window.menuBar().addMenu("&File")
    sync = _action(file_menu, "&Sync now", QKeySequence(Qt.Key.Key_F5), window.sync_panel.sync_button.click)
    file_menu.addSeparator()
    settings = _action(file_menu, "S&ettings…", QKeySequence("Ctrl+,"), window.open_settings)
    file_menu.addSeparator()
    _action(file_menu, "&Export the shown table as CSV…", QKeySequence("Ctrl+E"), lambda: _export(window))
    _action(file_menu, "Export the browsed table with &database column names…", QKeySequence("Ctrl+Shift+E"),
            lambda: _export(window, raw=True))
    _action(file_menu, "Save the &log…", QKeySequence("Ctrl+Shift+S"), lambda: window.log_viewer.save())
    file_menu.addSeparator()
    _action(file_menu, "&Quit", QKeySequence(QKeySequence.StandardKey.Quit), window.close)
    review_menu = window.menuBar().addMenu("&Review")
    review = window.review
    commit = _action(review_menu, "&Commit the reviewed changes", QKeySequence("Ctrl+Return"), review.commit_button.click)
    discard = _action(review_menu, "&Discard the reviewed changes", QKeySequence("Ctrl+D"), review.discard_button.click)
    # Space does the same inside the table; Ctrl+H works wherever the focus is.
    hold = _action(review_menu, "&Hold back or release the selected parcels", QKeySequence("Ctrl+H"), review.toggle_hold)
    review_menu.addSeparator()
    # Alt+arrows: Ctrl+Tab and Ctrl+Page Down already switch the window's tabs.
    steps = (_action(review_menu, "&Next class of changes", QKeySequence("Alt+Right"), lambda: _step(window, 1)),
             _action(review_menu, "&Previous class of changes", QKeySequence("Alt+Left"), lambda: _step(window, -1)))
    search = _action(review_menu, "&Search the review", QKeySequence(QKeySequence.StandardKey.Find), lambda: _search(window))
    review_menu.addSeparator()
    report = _action(review_menu, "Save a &report of this review…", QKeySequence("Ctrl+R"), window.save_review_report)
    print_ = _action(review_menu, "&Print this review…", QKeySequence(QKeySequence.StandardKey.Print),
                     window.print_review_report)
    help_menu = window.menuBar().addMenu("&Help")
    _action(help_menu, "&User guide", QKeySequence(QKeySequence.StandardKey.HelpContents), lambda: show_user_guide(window))
    _action(help_menu, "Open the &data folder", None, lambda: _open(window, window.folder.path))
    _action(help_menu, "Open the &log file", None, lambda: _open(window, window.folder.log_dir / LOG_FILE))
    help_menu.addSeparator()
    _action(help_menu, f"&About CountyDataSync {__version__}", None, lambda: _about(window))
    return ModeActions(sync, commit, settings, (discard, hold, *steps, search, report, print_))


def _action(menu: QMenu, text: str, shortcut: QKeySequence | None, slot: Callable[[], object]) -> QAction:
    action = menu.addAction(text)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(slot)
    return action


def _export(window: MainWindow, raw: bool = False) -> None:
    """Export what the clerk looks at: the review on its tab (when one is open), else the browsed table."""
    if not raw and window.tabs.currentWidget() is window.review and window.review.change_set is not None:
        window.review.export_csv()
        return
    window.tabs.setCurrentWidget(window.browser)
    window.browser.export_csv(raw=raw)


def _step(window: MainWindow, step: int) -> None:
    window.tabs.setCurrentWidget(window.review)
    window.review.step_filter(step)


def _search(window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.review)
    window.review.focus_search()


def _about(window: MainWindow) -> None:
    QMessageBox.about(window, "About CountyDataSync", (
        f"<h3>CountyDataSync {__version__}</h3>"
        "<p>Copies the county's parcel records into local databases, shows every change for review, "
        "and saves only what you commit.</p>"
        f"<p>Data folder: {window.folder.path}<br>Log files: {window.folder.log_dir}</p>"))


def show_user_guide(window: MainWindow) -> QDialog:
    """Help > User guide: the shipped Markdown guide, rendered by Qt, in a non-modal window."""
    dialog = QDialog(window)
    dialog.setObjectName("userGuide")
    dialog.setWindowTitle(f"CountyDataSync {__version__}: user guide")
    browser = QTextBrowser()
    try:
        browser.setMarkdown(resource_path(USER_GUIDE).read_text(encoding="utf-8"))
    except OSError:
        browser.setPlainText("The user guide is missing from this installation. Reinstall CountyDataSync to get it back.")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    dialog.resize(720, 560)
    dialog.show()
    return dialog


def _open(window: MainWindow, path: Path) -> None:
    """Show a folder or file in the desktop's file manager or editor; say so when that is not possible."""
    if not path.exists():
        window.statusBar().showMessage(f"{path} does not exist yet: it appears after the first sync.", 10_000)
    elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        window.statusBar().showMessage(f"This computer has no program to open {path}. Open it from the file manager.", 10_000)
