"""The main window: wires the sync panel, the review, the browser, the history and the log to the sync.

The sync itself is the engine's facade driven on a background lane (`sync_ops`).
Planning only reads; committing is the one operation that writes. After every
run the window passes on the engine's notice of what changed (`Changes`) and
each pane (last sync, browser, charts, history) decides what to read again.
Which source a sync reads, and the settings screen that changes it, live in
`source_choice`; the menus in `menus`.

The window shows before the engine's heavy modules (pandas, pyarrow,
SQLAlchemy: about a second) are imported: none of the modules it imports
brings them in, and it reads the data folder only once it shows, after
importing them on a background lane (`_load_folder`).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ..etl import session
from ..etl.datafolder import DataFolder
from ..etl.logs import LOG_FILE
from ..etl.session import FolderView, NextStep, RunStatus, load_engine
from .background import Lane, wait_for_background
from .banner import MessageBanner
from .confirm import MassDeleteDialog
from .formatting import counts_words, planned_when, plural
from .history import RunHistory
from .labels import ElidedLabel
from .layout_memory import restore_geometry, restore_splitters, save_layout
from .log_view import LogViewer
from .menus import build_menus
from .parcel_history import ParcelHistoryDialog
from .qt_logging import install_handler, remove_handler
from .reports import ReportActions
from .review import ReviewPanel
from .source_choice import DEMO_NOTICE, SourceChoice
from .sync_panel import IDLE, LOADING, REVIEWING, RUNNING, SyncPanel
from .sync_ops import SyncOps
from .table_browser import TableBrowser

if TYPE_CHECKING:
    from ..etl.session import ChangeSet, SyncResult, UndoResult, WaitingReview

log = logging.getLogger("countydatasync_gui.gui")

ORGANIZATION = APPLICATION = "CountyDataSync"
#: Rows per engine chunk in the app: smaller than the engine's default so Cancel lands
#: within a fraction of a second and the progress bar moves often (measured ~10% slower).
GUI_CHUNK_ROWS = 20_000


class MainWindow(QMainWindow):
    """CountyDataSync's window over one data folder and one source."""

    #: what a run changed in the data folder; every pane decides what to read again
    changed = Signal(object)  # Changes
    #: the start-up read of the data folder is over: True if it is shown (False: the engine could not load)
    load_finished = Signal(bool)

    def __init__(self, folder: DataFolder, *, source_url: str | None = None, table: str | None = None,
                 chunk_rows: int | None = GUI_CHUNK_ROWS, settings: QSettings | None = None) -> None:
        super().__init__()
        self.folder, self.chunk_rows = folder, chunk_rows
        self.settings = settings or QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
        self.view = FolderView(folder)
        self._close_after_run = False
        self._waiting_refused: str | None = None  # a waiting sync that could not be taken up: not retried
        self.loaded = False  # the data folder has been read (settings, last sync, tables)
        self.source_choice = SourceChoice(folder, source_url, table, self)

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
        # A deep data-folder path must not widen the window: it is cut in the middle, and the tooltip has it whole.
        self.statusBar().addPermanentWidget(ElidedLabel(f"Data folder: {folder.path}"), 1)
        self.sync_action, self.commit_action, self.settings_action, self.review_actions = build_menus(self)
        for action in (self.commit_action, *self.review_actions):
            action.setEnabled(False)  # until a review opens

        # -- the sync (off the GUI thread), the live log, and the panes' refresh after a run
        self.runner = SyncOps(folder, self)
        self.log_handler = install_handler()
        self.log_handler.bridge.record_logged.connect(self.log_viewer.append_record)
        self.runner.progress.connect(self.sync_panel.show_progress)
        self.runner.planned.connect(self._on_plan_ready)
        self.runner.recording_check.connect(
            lambda: self._set_mode(RUNNING, "Nothing changed; recording the check…"))
        self.runner.committed.connect(self._on_committed)
        self.runner.discarded.connect(self._on_discarded)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.took_up_waiting.connect(self._on_took_up_waiting)
        self.runner.undone.connect(self._on_undone)
        self.runner.undo_blocked.connect(self._on_undo_blocked)
        self.runner.changed.connect(self.changed)
        self.changed.connect(lambda changes: self.sync_panel.on_changes(changes, self.view))
        self.changed.connect(self.browser.on_changes)
        self.changed.connect(self.history.on_changes)
        self.sync_panel.sync_requested.connect(self.sync_now)
        self.sync_panel.cancel_requested.connect(self.runner.cancel)
        self.sync_panel.settings_requested.connect(self.open_settings)
        self.review.commit_requested.connect(self.commit_changes)
        self.review.discard_requested.connect(self.discard_changes)
        self.history.undo_requested.connect(self.undo_run)
        self.browser.parcel_history_requested.connect(self.show_parcel_history)
        self.reports = ReportActions(self.view, self)
        self.reports.message.connect(self.message_banner.show_message)
        self.history.report_requested.connect(self.reports.save_run)
        self.history.print_requested.connect(self.reports.print_run)
        for pane in (self.browser, self.review):
            pane.status_message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.demo_banner.dismissed.connect(lambda: self.settings.setValue("demoNoticeDismissed", True))
        self.history.run_opened.connect(self.show_run_changes)
        self.source_choice.changed.connect(self._source_changed)
        self.source_choice.saved.connect(self._settings_saved)

        # -- what is already there: read once the window shows
        restore_geometry(self)
        self._loader = Lane(self)
        self._set_mode(LOADING)  # the sync panel says "reading…" meanwhile
        # At the first turn of the event loop, i.e. after show(): started now, the engine's import
        # would compete with building and showing the window for the interpreter.
        QTimer.singleShot(0, self._load_folder)

    # -- start-up ---------------------------------------------------------------
    def _load_folder(self) -> None:
        """Import the engine on a background lane, then show the folder (`_show_folder`)."""
        self._loader.start(lambda _progress: load_engine(), on_result=lambda _: self._show_folder(),
                           on_error=self._on_load_failed)

    def _show_folder(self) -> None:
        """Read what is already there: the settings, the tables, the last sync, a sync waiting for review."""
        self.source_choice.reload()
        if self.source_choice.problem:
            self.message_banner.show_message("error", f"The settings file has a problem: {self.source_choice.problem} "
                                             "Open File > Settings… to choose the source again.")
        if self.is_demo and not self.settings.value("demoNoticeDismissed", False, type=bool):
            self.demo_banner.show_message("info", DEMO_NOTICE)
        if (holder := self.folder.lock_holder()) is not None:  # say it now, not only when Sync now is refused
            self.message_banner.show_message("warning", self.folder.busy_text(holder))
        self.browser.load(self.view)
        self.history.load(self.view)
        self.sync_panel.read_state(self.view)
        self._loading_over(True)
        self.check_waiting()

    def _on_load_failed(self, exc: BaseException) -> None:
        details = "".join(traceback.format_exception(exc))
        log.error("Could not load the sync engine: %s", details)
        self.message_banner.show_message(
            "error", "CountyDataSync could not load its sync engine, so it cannot read or sync this data folder. "
            f"Reinstall it; if that does not help, send the log file ({self.folder.log_dir / LOG_FILE}) to whoever "
            "supports CountyDataSync.", details)
        self.sync_panel.show_unknown()
        self._loading_over(False)

    def _loading_over(self, loaded: bool) -> None:
        restore_splitters(self)  # now that the banners above them are shown
        # Without the engine nothing can run: Sync now and Settings stay off, and the panel says why.
        if loaded:
            self._set_mode(IDLE)
        else:
            self._set_mode(LOADING, "Cannot sync: see the message above.")
        self.loaded = loaded
        self.load_finished.emit(loaded)

    # -- the source and the settings screen ----------------------------------------
    # `SourceChoice` keeps them; tests and scripts read them off the window.
    change_set = property(lambda self: self.runner.change_set, doc="The change set under review, if any.")
    current = property(lambda self: self.source_choice.current)
    is_demo = property(lambda self: self.source_choice.is_demo)
    session_password = property(lambda self: self.source_choice.session_password)
    settings_dialog = property(lambda self: self.source_choice.dialog)

    def set_source(self, source_url: str | None, table: str | None = None) -> None:
        """Sync from another source from now on (None: the demo county); only between runs."""
        if self.runner.busy or self.change_set is not None:
            raise RuntimeError("finish the current sync first")
        self.source_choice.set_source(source_url, table)

    @Slot(int)
    def show_run_changes(self, run_id: int) -> None:
        """The change journal of one run, in the table browser (a double-click in Run history)."""
        self.tabs.setCurrentWidget(self.browser)
        self.browser.show_run(run_id, initial_load=self.history.model.initial_load(run_id))

    @Slot()
    def open_settings(self) -> None:
        """Open the settings screen (window-modal); saving switches the next sync to the new source."""
        if self.runner.busy or self.change_set is not None:
            self.statusBar().showMessage("Finish the current sync (Commit or Discard) before changing the source.", 10_000)
            return
        self.source_choice.open_settings()

    @Slot()
    def _source_changed(self) -> None:
        if not self.is_demo:
            self.demo_banner.hide()
        self.setWindowTitle(f"CountyDataSync: {self.source_choice.words()}")
        # The county's code table, resolved once for every screen that describes land-use codes.
        codes = self.source_choice.code_table()
        self.browser.model.codes = self.review.model.codes = codes
        self.sync_panel.set_source(self.source_choice.words(long=True))

    @Slot(str, bool)
    def _settings_saved(self, text: str, folder_holds_another_source: bool) -> None:
        if folder_holds_another_source:
            self.sync_panel.full_refresh.setChecked(True)
            self.sync_panel.mark_new_source()
        self.message_banner.show_message("success", text)

    # -- sync -----------------------------------------------------------------
    # -- a sync planned earlier, waiting for review -----------------------------------
    def check_waiting(self) -> None:
        """Take up a sync planned earlier (a scheduled `sync --stage`) if one waits and nothing else goes on.

        Called at start and whenever the window is activated, so a clerk who
        leaves the app open overnight finds the morning's review too.
        """
        if not self.loaded or self.runner.busy or self.change_set is not None or self._close_after_run:
            return
        waiting = self.view.waiting()
        if waiting is None or waiting.planned_at == self._waiting_refused or self.folder.lock_holder() is not None:
            return
        self._waiting_refused = waiting.planned_at  # if taking it up fails, say so once, not at every activation
        self._set_mode(RUNNING, "Opening the sync that is waiting for your review…")
        self.runner.open_waiting(self.source_choice.request(False, self.chunk_rows), waiting)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.check_waiting()

    @Slot(object)
    def _on_took_up_waiting(self, waiting: WaitingReview) -> None:
        self._waiting_refused = None
        text = (f"A sync planned {planned_when(waiting.planned_at)} is waiting for your review: "
                f"{counts_words(waiting.counts)}. Commit or Discard it as usual.")
        if waiting.too_old:
            text += (f" It is over {session.MAX_REVIEW_AGE.days} days old, too old to commit: press Discard, "
                     "then Sync now for a fresh look.")
        self.message_banner.show_message("info", text)

    # -- reports for the record --------------------------------------------------------
    @Slot()
    def save_review_report(self) -> None:
        """Save a report of the review still open (Review > Save a report…); the review waits meanwhile."""
        self._review_report(self.reports.save_review)

    @Slot()
    def print_review_report(self) -> None:
        """Print the report of the review still open (Review > Print…)."""
        self._review_report(self.reports.print_review)

    def _review_report(self, action: Callable[..., None]) -> None:
        if self.change_set is None or self.runner.busy or self.reports.busy or self.runner.session is None:
            return
        self.review.freeze()  # the report reads the change set on a background lane
        action(self.runner.session, self.review.thaw)

    @Slot(str)
    def show_parcel_history(self, parcel_id: str) -> ParcelHistoryDialog:
        """Every sync that touched a parcel, in a window of its own (History… in the parcels table)."""
        dialog = ParcelHistoryDialog(self.view, parcel_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -- undo a sync ---------------------------------------------------------------
    @Slot(int)
    def undo_run(self, run_id: int, *, including_later: bool = False) -> None:
        """Ask, then take back committed run `run_id` off the GUI thread (later runs too if `including_later`)."""
        if self.runner.busy or self.change_set is not None:
            self.statusBar().showMessage("Finish the current sync (Commit or Discard) before undoing one.", 10_000)
            return
        if not including_later and not self.ask(
                "Undo this sync?", f"Undo sync {run_id}? Every parcel it added, changed or deleted goes back to how "
                "it was before it, and the statistics follow. The undo is recorded in the run history and can "
                "itself be undone."):
            return
        self._set_mode(RUNNING, f"Undoing sync {run_id}…")
        self.runner.undo(self.source_choice.request(False, self.chunk_rows), run_id, including_later=including_later)

    @Slot(int, object)
    def _on_undo_blocked(self, run_id: int, later_runs: list[int]) -> None:
        self._set_mode(IDLE)
        runs = ", ".join(str(r) for r in later_runs)
        if self.ask("Later syncs changed the same parcels",
                    f"Later syncs ({runs}) changed some of the same parcels, so sync {run_id} cannot be undone "
                    f"alone. Undo them too, newest first, back to and including sync {run_id}?"):
            self.undo_run(run_id, including_later=True)
        else:
            self.message_banner.show_message("info", "Nothing was undone.")

    @Slot(object)
    def _on_undone(self, result: UndoResult) -> None:
        self._set_mode(IDLE)
        undone = ", ".join(str(r) for r in result.undone_runs)
        self.message_banner.show_message(
            "success", f"Undone: sync {undone} ({plural(result.counts.to_apply, 'parcel')} put back as they were). "
            "The next sync offers the county's current values for them again, for review.")

    @Slot(bool)
    def sync_now(self, full_refresh: bool = False) -> None:
        """Plan a sync on the worker thread; the review opens when it is ready."""
        if self.runner.busy or self.change_set is not None:
            return
        self.message_banner.hide()
        self._set_mode(RUNNING, "Starting the sync…")
        self.runner.plan(self.source_choice.request(full_refresh, self.chunk_rows))

    @Slot()
    def commit_changes(self) -> None:
        """Commit the reviewed change set (a mass delete first needs the clerk's explicit confirmation)."""
        change_set = self.change_set
        if change_set is None or self.runner.busy or self.reports.busy:  # a report may be reading it
            return
        if self.runner.next_step() is NextStep.CONFIRM_MASS_DELETE:
            confirmed = self.confirm_mass_delete(change_set)
        else:
            confirmed = self._confirm_unusual(change_set, "Commit", "saved")
        if not confirmed:
            self.statusBar().showMessage("Not committed. The changes are still here for review.", 10_000)
            return
        self.review.freeze()  # the background lane now owns the change set
        self._set_mode(RUNNING, "Saving the changes…")
        self.runner.commit(hold=self.review.held_ids())

    def confirm_mass_delete(self, change_set: ChangeSet) -> bool:
        return MassDeleteDialog(change_set, self).exec() == QDialog.DialogCode.Accepted

    def _confirm_unusual(self, change_set: ChangeSet, verb: str, done: str) -> bool:
        """One question before a commit or discard of a review with flagged or deleted parcels (a keypress away)."""
        c = change_set.counts
        unusual = [text for n, text in ((c.flagged, plural(c.flagged, "flagged parcel")),
                                        (c.deleted, plural(c.deleted, "deleted parcel"))) if n]
        if not unusual:
            return True
        return self.ask(f"{verb} the changes?",
                        f"The review has {' and '.join(unusual)}. {verb} all changes (they will be {done})?")

    @Slot()
    def discard_changes(self) -> None:
        """Throw the change set away (it records a small run, off the GUI thread like everything that writes)."""
        if (self.change_set is None or self.runner.busy or self.reports.busy
                or not self._confirm_unusual(self.change_set, "Discard", "lost")):
            return
        self.review.freeze()
        self._set_mode(RUNNING, "Discarding the changes…")
        self.runner.discard()

    @Slot(object)
    def _on_discarded(self, _result: SyncResult) -> None:
        self.message_banner.show_message("info", "Discarded. Nothing was changed.")
        self.review.clear()
        self._set_mode(IDLE)
        if self._close_after_run:
            self.close()

    @Slot(object)
    def _on_plan_ready(self, change_set: ChangeSet) -> None:
        if self._close_after_run:
            self.runner.discard_now()
            self.close()
            return
        self.review.show_change_set(change_set)
        self.tabs.setCurrentWidget(self.review)
        self._set_mode(REVIEWING, "Review the changes below, then press Commit or Discard.")

    @Slot(object)
    def _on_committed(self, result: SyncResult) -> None:
        self.sync_panel.full_refresh.setChecked(False)  # a full refresh is a one-off: the next sync is incremental
        self.review.clear()
        self._set_mode(IDLE)
        c = result.counts
        if result.status is RunStatus.NOTHING_TO_DO:
            text = "The county's records have not changed since the last sync. Nothing needed saving."
        else:
            rejected = f", {plural(c.rejected, 'row')} rejected (see Rejected rows)" if c.rejected else ""
            held = f", {plural(c.held, 'parcel')} held back (offered again at the next sync)" if c.held else ""
            text = (f"Committed: {c.new:,} new, {c.changed:,} changed and {c.deleted:,} deleted parcels{rejected}{held}. "
                    "The tables and charts show the new data.")
        self.message_banner.show_message("success", text)
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
        if self.change_set is not None and not self._close_after_run:
            # The engine kept the change set open (e.g. it refused to commit): back to the review.
            self.review.show_change_set(self.change_set)
            self._set_mode(REVIEWING)
        else:
            self.runner.discard_now()
            self.review.clear()
            self._set_mode(IDLE)
        if self._close_after_run:
            self.close()

    def _set_mode(self, mode: str, note: str = "") -> None:
        self.sync_panel.set_mode(mode, note)
        self.sync_action.setEnabled(mode == IDLE)
        self.commit_action.setEnabled(mode == REVIEWING)
        for action in self.review_actions:
            action.setEnabled(mode == REVIEWING)
        self.settings_action.setEnabled(mode == IDLE)

    # -- closing ----------------------------------------------------------------
    def ask(self, title: str, question: str) -> bool:
        """A yes/no question (tests replace this)."""
        answer = QMessageBox.question(self, title, question, defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runner.busy:
            if self._close_after_run or self.ask("A sync is running", "A sync is running. Stop it and close? Nothing will be changed."):
                self._close_after_run = True
                self.runner.cancel()
                self.sync_panel.step_label.setText("Stopping the sync, then closing…")
            event.ignore()  # closed again when the worker reports back
            return
        if self.change_set is not None and not self._close_after_run and not self.runner.reviewing_waiting:
            if not self.ask("Changes not committed", "The changes under review are not committed. Close and discard them?"):
                event.ignore()
                return
        self._loader.forget()  # closed while opening: nothing is read into a closed window
        self.runner.discard_now()
        save_layout(self)
        self.runner.shutdown()
        remove_handler(self.log_handler)
        self.browser.close_files()
        self.history.close_files()
        wait_for_background()  # row counts still being read let go of their files
        event.accept()
