"""The main window: wires the sync panel, the review, the browser, the history and the log to the worker.

Planning only reads; committing is the one operation that writes, and after it
the window announces the change to every pane (last sync, browser, charts,
history), each of which refreshes itself.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings, Qt, QThreadPool, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from .. import __version__
from ..etl.config import config_path, load_settings, read_config
from ..etl.datafolder import DataFolder
from ..etl.errors import SyncError
from ..etl.settings import SyncSettings
from ..etl.source import Source, describe_url
from ..etl.state import SyncState, load_state
from ..etl.sync import ChangeSet, SyncResult, discard
from .banner import MessageBanner
from .confirm import MassDeleteDialog
from .history import RunHistory
from .layout_memory import restore_layout, save_layout
from .log_view import LogViewer
from .qt_logging import install_handler, remove_handler
from .review import ReviewPanel
from .settings_dialog import SettingsDialog
from .sync_panel import IDLE, REVIEWING, RUNNING, SyncPanel
from .table_browser import TableBrowser
from .worker import SyncRequest, SyncRunner, explain

log = logging.getLogger("countydatasync_gui.gui")

ORGANIZATION = APPLICATION = "CountyDataSync"
#: Rows per engine chunk in the app: smaller than the engine's default so Cancel lands
#: within a fraction of a second and the progress bar moves often (measured ~10% slower).
GUI_CHUNK_ROWS = 20_000
DEMO_NOTICE = (
    "This is the demo county, about 25,000 made-up parcels created in your data folder so you can try every step "
    "safely. To sync your county's own database or file instead, press Change source… (or File > Settings…), "
    "choose it and press Test connection.")


class MainWindow(QMainWindow):
    """CountyDataSync's window over one data folder and one source."""

    def __init__(self, folder: DataFolder, *, source_url: str | None = None, table: str | None = None,
                 chunk_rows: int | None = GUI_CHUNK_ROWS, settings: QSettings | None = None) -> None:
        super().__init__()
        self.folder, self.source_url, self.table, self.chunk_rows = folder, source_url, table, chunk_rows
        self.settings = settings or QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
        self.change_set: ChangeSet | None = None
        self._close_after_run = False
        self.current: SyncSettings | None = None  # the settings in force, for showing (read again per sync)
        self.settings_problem: str | None = None
        self.is_demo = True
        self.session_password: str | None = None  # typed in the settings screen on a computer without a keyring
        self.settings_dialog: SettingsDialog | None = None

        # -- the panes
        self.demo_banner = MessageBanner("demoNotice")
        self.message_banner = MessageBanner("messageBanner")
        self.sync_panel = SyncPanel()
        self.review = ReviewPanel()
        self.browser = TableBrowser()
        self.history = RunHistory()
        self.log_viewer = LogViewer()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self.review, "Review changes")
        self.tabs.addTab(self.browser, "Browse tables")
        self.tabs.addTab(self.history, "Run history")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.log_viewer)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        for widget in (self.demo_banner, self.message_banner, self.sync_panel):
            layout.addWidget(widget)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(QLabel(f"Data folder: {folder.path}"))
        self._build_menus()

        # -- the worker thread and the live log
        self.runner = SyncRunner(self)
        self.log_handler = install_handler()
        self.log_handler.bridge.record_logged.connect(self.log_viewer.append_record)
        self.runner.progress.connect(self.sync_panel.show_progress)
        self.runner.plan_ready.connect(self._on_plan_ready)
        self.runner.committed.connect(self._on_committed)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.sync_panel.sync_requested.connect(self.sync_now)
        self.sync_panel.cancel_requested.connect(self.runner.cancel)
        self.sync_panel.settings_requested.connect(self.open_settings)
        self.review.commit_requested.connect(self.commit_changes)
        self.review.discard_requested.connect(self.discard_changes)
        self.browser.status_message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.demo_banner.dismissed.connect(lambda: self.settings.setValue("demoNoticeDismissed", True))

        # -- what is already there
        self.reload_settings()
        if self.settings_problem:
            self.message_banner.show_message("error", f"The settings file has a problem: {self.settings_problem} "
                                             "Open File > Settings… to choose the source again.")
        if self.is_demo and not self.settings.value("demoNoticeDismissed", False, type=bool):
            self.demo_banner.show_message("info", DEMO_NOTICE)
        self.browser.load(folder)
        self.history.load(folder.working_db)
        self._refresh_state()
        restore_layout(self)

    # -- menus ----------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.sync_action = self._action(file_menu, "&Sync now", QKeySequence(Qt.Key.Key_F5), self.sync_panel.sync_button.click)
        self.commit_action = self._action(file_menu, "&Commit the reviewed changes", QKeySequence("Ctrl+Return"),
                                          self.review.commit_button.click)
        file_menu.addSeparator()
        self.settings_action = self._action(file_menu, "S&ettings…", QKeySequence("Ctrl+,"), self.open_settings)
        file_menu.addSeparator()
        self._action(file_menu, "&Export the shown table as CSV…", QKeySequence("Ctrl+E"), self._export)
        self._action(file_menu, "Save the &log…", QKeySequence("Ctrl+Shift+S"), lambda: self.log_viewer.save())
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence(QKeySequence.StandardKey.Quit), self.close)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About CountyDataSync", None, self._about)

    def _action(self, menu, text: str, shortcut: QKeySequence | None, slot) -> QAction:  # type: ignore[no-untyped-def]
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _export(self) -> None:
        self.tabs.setCurrentWidget(self.browser)
        self.browser.export_csv()

    def _about(self) -> None:
        QMessageBox.about(self, "About CountyDataSync", (
            f"<h3>CountyDataSync {__version__}</h3>"
            "<p>Copies the county's parcel records into local databases, shows every change for review, "
            "and saves only what you commit.</p>"
            f"<p>Data folder: {self.folder.path}<br>Log files: {self.folder.log_dir}</p>"))

    # -- sync -----------------------------------------------------------------
    def set_source(self, source_url: str | None, table: str | None = None) -> None:
        """Sync from another source from now on (None: the demo county); only between runs."""
        if self.runner.busy or self.change_set is not None:
            raise RuntimeError("finish the current sync first")
        self.source_url, self.table = source_url, table
        self.reload_settings()

    def reload_settings(self) -> None:
        """Read the settings again (config.toml under the start-up flags): title, source line and demo note follow."""
        self.settings_problem = None
        try:
            self.current = load_settings(self.folder, source_url=self.source_url, table=self.table, create_demo=False)
            configured = self.source_url is not None or "url" in read_config(config_path(self.folder)).get("source", {})
        except SyncError as exc:
            self.current, configured, self.settings_problem = None, True, exc.message
        self.is_demo = not configured
        if not self.is_demo:
            self.demo_banner.hide()
        self.setWindowTitle(f"CountyDataSync: {self._source_words()}")
        self.sync_panel.set_source(self._source_words(long=True))

    # -- settings -------------------------------------------------------------
    @Slot()
    def open_settings(self) -> None:
        """Open the settings screen (window-modal); saving switches the next sync to the new source."""
        if self.runner.busy or self.change_set is not None:
            self.statusBar().showMessage("Finish the current sync (Commit or Discard) before changing the source.", 10_000)
            return
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            return
        dialog = SettingsDialog(self.folder, self.current, problem=self.settings_problem,
                                session_password=self.session_password, parent=self)
        dialog.accepted.connect(lambda: self._settings_saved(dialog))
        dialog.finished.connect(lambda _result: self._settings_closed(dialog))
        self.settings_dialog = dialog
        dialog.open()

    def _settings_closed(self, dialog: SettingsDialog) -> None:
        self.settings_dialog = None
        dialog.deleteLater()

    def _settings_saved(self, dialog: SettingsDialog) -> None:
        self.source_url = self.table = None  # config.toml now says where the source is, not the start-up flags
        self.session_password = dialog.session_password
        self.reload_settings()
        text = f"Settings saved. The next sync reads from {self._source_words(long=True)}."
        if dialog.password_note:
            text += f" {dialog.password_note}"
        if self.current is not None and self._folder_holds_another_source():
            self.sync_panel.full_refresh.setChecked(True)
            text += (" This data folder holds parcels from the previous source, so Full refresh is ticked: the next "
                     "sync replaces them, and you review the changes before anything is saved.")
        self.message_banner.show_message("success", text)

    def _folder_holds_another_source(self) -> bool:
        try:
            held = load_state(self.folder.working_db).source
            return bool(held) and held != Source(self.current.source).identity  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - unreadable state: the sync itself will say what is wrong
            return False

    @Slot(bool)
    def sync_now(self, full_refresh: bool = False) -> None:
        """Plan a sync on the worker thread; the review opens when it is ready."""
        if self.runner.busy or self.change_set is not None:
            return
        self.message_banner.hide()
        self._set_mode(RUNNING, "Starting the sync…")
        self.runner.plan(SyncRequest(self.folder, self.source_url, self.table, full_refresh, self.chunk_rows,
                                     password=self.session_password))

    @Slot()
    def commit_changes(self) -> None:
        """Commit the reviewed change set (a mass delete first needs the clerk's explicit confirmation)."""
        change_set = self.change_set
        if change_set is None or self.runner.busy:
            return
        if change_set.mass_delete and not self.confirm_mass_delete(change_set):
            self.statusBar().showMessage("Not committed. The changes are still here for review.", 10_000)
            return
        self.review.freeze()  # the worker now owns the change set
        self._set_mode(RUNNING, "Saving the changes…")
        self.runner.commit(change_set, allow_mass_delete=change_set.mass_delete)

    def confirm_mass_delete(self, change_set: ChangeSet) -> bool:
        return MassDeleteDialog(change_set, self).exec() == QDialog.DialogCode.Accepted

    @Slot()
    def discard_changes(self) -> None:
        """Throw the change set away: one small run record, so it is done here rather than on the worker."""
        change_set, self.change_set = self.change_set, None
        if change_set is None:
            return
        try:
            discard(change_set)
        except Exception as exc:  # noqa: BLE001 - the clerk must see it, and the window must keep working
            self.message_banner.show_message("error", *explain(exc, self.folder))
        else:
            self.message_banner.show_message("info", "Discarded. Nothing was changed.")
        self.review.clear()
        self._set_mode(IDLE)
        self.history.refresh()

    @Slot(object)
    def _on_plan_ready(self, change_set: ChangeSet) -> None:
        if self._close_after_run:
            self._discard_quietly(change_set)
            self.close()
            return
        if change_set.nothing_to_do:  # record the check, so "last successful sync" moves on
            self._set_mode(RUNNING, "Nothing changed; recording the check…")
            self.runner.commit(change_set)
            return
        self.change_set = change_set
        self.review.show_change_set(change_set)
        self.tabs.setCurrentWidget(self.review)
        self._set_mode(REVIEWING, "Review the changes below, then press Commit or Discard.")

    @Slot(object)
    def _on_committed(self, result: SyncResult) -> None:
        self.change_set = None
        self.review.clear()
        self._set_mode(IDLE)
        c = result.counts
        if result.status == "nothing_to_do":
            text = "The county's records have not changed since the last sync. Nothing needed saving."
        else:
            text = (f"Committed: {c.new:,} new, {c.changed:,} changed and {c.deleted:,} deleted parcels"
                    f"{f', {c.rejected:,} rows rejected (see Rejected rows)' if c.rejected else ''}. "
                    "The tables and charts show the new data.")
        self.message_banner.show_message("success", text)
        self._data_changed()
        if self._close_after_run:
            self.close()

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._after_unsuccessful_run()
        self.message_banner.show_message("error", message, details)

    @Slot()
    def _on_cancelled(self) -> None:
        self._after_unsuccessful_run()
        self.message_banner.show_message("info", "Cancelled. Nothing was changed. Press Sync now to start again.")

    def _after_unsuccessful_run(self) -> None:
        change_set, self.change_set = self.change_set, None
        if change_set is not None and not change_set.closed and not self._close_after_run:
            # The engine kept the change set open (e.g. it refused to commit): back to the review.
            self.change_set = change_set
            self.review.show_change_set(change_set)
            self._set_mode(REVIEWING)
        else:
            if change_set is not None and not change_set.closed:
                self._discard_quietly(change_set)
            self.review.clear()
            self._set_mode(IDLE)
        self._data_changed()
        if self._close_after_run:
            self.close()

    @staticmethod
    def _discard_quietly(change_set: ChangeSet) -> None:
        """Discard while closing or recovering: a failure is logged, never in the way of the window."""
        try:
            discard(change_set)
        except Exception:  # noqa: BLE001
            log.exception("Could not discard the change set; the next sync starts afresh")

    def _set_mode(self, mode: str, note: str = "") -> None:
        self.sync_panel.set_mode(mode, note)
        self.sync_action.setEnabled(mode == IDLE)
        self.commit_action.setEnabled(mode == REVIEWING)
        self.settings_action.setEnabled(mode == IDLE)

    def _data_changed(self) -> None:
        """A run ended: every pane re-reads what it shows."""
        self._refresh_state()
        self.browser.refresh()
        self.history.refresh()

    def _refresh_state(self) -> None:
        try:
            state = load_state(self.folder.working_db)
        except (SyncError, OSError, Exception) as exc:  # noqa: BLE001 - a damaged file must not stop the window
            log.warning("Could not read the sync state: %s", exc)
            state = SyncState()
        self.sync_panel.set_state(state)

    def _source_words(self, long: bool = False) -> str:
        if self.current is None:
            return "not set: the settings file has a problem (File > Settings…)"
        source = self.current.source
        table = f", table {source.table}"
        if self.is_demo:
            return "the demo county" if not long else f"the demo county ({self.folder.demo_source.name}{table})"
        try:
            return describe_url(source.url) + (table if long else "")
        except SyncError:
            return "an address that is not valid (File > Settings…)"

    # -- closing ----------------------------------------------------------------
    def ask(self, title: str, question: str) -> bool:
        """A yes/no question (tests replace this)."""
        answer = QMessageBox.question(self, title, question, defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.runner.busy:
            if self._close_after_run or self.ask("A sync is running", "A sync is running. Stop it and close? Nothing will be changed."):
                self._close_after_run = True
                self.runner.cancel()
                self.sync_panel.step_label.setText("Stopping the sync, then closing…")
            event.ignore()  # closed again when the worker reports back
            return
        if self.change_set is not None and not self._close_after_run:
            if not self.ask("Changes not committed", "The changes under review are not committed. Close and discard them?"):
                event.ignore()
                return
        if self.change_set is not None:
            change_set, self.change_set = self.change_set, None
            self._discard_quietly(change_set)
        save_layout(self)
        self.runner.shutdown()
        remove_handler(self.log_handler)
        self.browser.close_files()
        self.history.close_files()
        QThreadPool.globalInstance().waitForDone(5_000)  # background row counts
        event.accept()
