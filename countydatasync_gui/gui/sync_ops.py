"""The window's sync, driven through the engine's facade (`SyncSession`) on a background lane.

`SyncOps` turns the clerk's Sync now, Commit and Discard into facade calls run
off the GUI thread, and says how each ended through signals (on the GUI
thread). The rules between the steps (nothing to do, a mass delete to confirm)
are the facade's; the window only shows them. After every run `changed`
announces what the folder now holds differently, for the screens to refresh.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..etl.datafolder import DataFolder
from ..etl.errors import SourceSchemaError, SourceUnavailable, SyncError
from ..etl.logs import LOG_FILE
from ..etl.progress import Step
from ..etl.session import Changes, NextStep, SyncSession, UndoBlocked
from .background import JobProgress, Lane

if TYPE_CHECKING:
    from ..etl.session import ChangeSet, SyncResult, UndoResult, WaitingReview

log = logging.getLogger("countydatasync_gui.gui")


@dataclass(frozen=True)
class SyncRequest:
    """What the clerk asked for when pressing Sync now."""

    folder: DataFolder
    source_url: str | None = None  # None: the demo county in the data folder
    table: str | None = None
    full_refresh: bool = False
    chunk_rows: int | None = None  # rows per chunk; None keeps the engine's default
    #: typed in the settings screen on a computer without a keyring; used only when the keyring and
    #: the environment have none (never in repr, logs or files)
    password: str | None = field(default=None, repr=False)


def explain(exc: BaseException, folder: DataFolder | None = None) -> tuple[str, str]:
    """A plain-language message (what happened, what to do) and the technical details."""
    if isinstance(exc, SyncError):
        message = exc.message
        if isinstance(exc, (SourceUnavailable, SourceSchemaError)):
            message += " The source is set under File > Settings… (Ctrl+,)."
        return message, exc.details or f"{type(exc).__name__}: {exc}"
    where = f" ({folder.log_dir / LOG_FILE})" if folder else ""
    message = ("Something unexpected went wrong and the sync stopped. Nothing was changed. "
               f"Try again; if it happens again, send the log file{where} to whoever supports CountyDataSync.")
    return message, "".join(traceback.format_exception(exc))


def _session(request: SyncRequest) -> SyncSession:
    """On the lane: load the settings (creating the demo county on first use) into a session."""
    from ..etl.config import load_settings  # it brings pandas and SQLAlchemy: not imported with the window

    # The password typed this session is the last resort, after the keyring and the environment.
    prompt = (lambda _question: request.password) if request.password else None
    settings = load_settings(request.folder, source_url=request.source_url, table=request.table, prompt=prompt)
    if request.chunk_rows:
        settings = dataclasses.replace(settings, chunk_rows=request.chunk_rows)
    return SyncSession(request.folder, settings)


def _plan(request: SyncRequest, progress: JobProgress) -> tuple[SyncSession, ChangeSet]:
    """On the lane: plan a sync."""
    progress.step(Step.OPEN_SOURCE)
    session = _session(request)
    progress.check_cancelled()
    return session, session.plan(full_refresh=request.full_refresh, progress=progress)


def _open_waiting(request: SyncRequest) -> tuple[SyncSession, ChangeSet]:
    """On the lane: take up the change set a scheduled `sync --stage` left waiting in the folder."""
    session = _session(request)
    return session, session.open_waiting()


def _undo(request: SyncRequest, run_id: int, including_later: bool) -> UndoResult:
    """On the lane: take back a committed run (and, if asked, the later runs that touched its parcels)."""
    return _session(request).undo(run_id, including_later=including_later)


class SyncOps(QObject):
    """Plan, commit and discard of the window's sync, each on the background lane; outcomes as signals."""

    progress = Signal(object, int, int)  # Step, rows done, rows expected (0: unknown)
    planned = Signal(object)  # ChangeSet, to review
    #: a change set planned earlier (by a scheduled run) was taken up for review: WaitingReview
    took_up_waiting = Signal(object)
    recording_check = Signal()  # nothing to review: the check is being recorded (then `committed`)
    committed = Signal(object)  # SyncResult
    discarded = Signal(object)  # SyncResult
    failed = Signal(str, str)  # plain message, technical details
    cancelled = Signal()
    undone = Signal(object)  # UndoResult
    #: later runs changed some of the same parcels: (run asked for, the later runs); nothing was changed
    undo_blocked = Signal(int, object)
    #: what the folder now holds differently (after every run, successful or not)
    changed = Signal(object)  # Changes

    def __init__(self, folder: DataFolder, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.session: SyncSession | None = None
        #: the change set under review was taken up from the folder: closing the window puts it back
        self.reviewing_waiting = False
        self.lane = Lane(self)
        self.lane.progress.connect(self.progress)

    @property
    def busy(self) -> bool:
        """True while a plan, a commit or a discard runs."""
        return self.lane.busy

    @property
    def change_set(self) -> ChangeSet | None:
        """The change set under review, if any."""
        session = self.session
        return session.change_set if session is not None and session.change_set is not None \
            and not session.change_set.closed else None

    def next_step(self) -> NextStep:
        """What the facade's rules ask for the change set under review."""
        assert self.change_set is not None
        return SyncSession.next_step(self.change_set)

    def plan(self, request: SyncRequest) -> None:
        """Plan a sync; `planned` (or `recording_check`, then `committed`), `failed` or `cancelled` follows."""
        self._refuse_if_busy()
        self.lane.start(lambda progress: _plan(request, progress), on_result=self._on_planned,
                        on_error=self._on_error, on_cancelled=self._on_cancelled)

    def open_waiting(self, request: SyncRequest, waiting: WaitingReview) -> None:
        """Take up `waiting`, the change set waiting in the folder; `took_up_waiting`, then `planned` (or `failed`) follows."""
        self._refuse_if_busy()
        self.lane.start(lambda _progress: _open_waiting(request), on_result=lambda planned: self._on_taken_up(
            planned, waiting), on_error=self._on_error, on_cancelled=self._on_cancelled)

    def put_back_now(self) -> None:
        """On the GUI thread, as the window closes: a taken-up waiting change set goes back, unchanged, for later."""
        if self.change_set is not None and self.reviewing_waiting:
            self._session().leave_waiting()
            self.reviewing_waiting = False

    def undo(self, request: SyncRequest, run_id: int, *, including_later: bool = False) -> None:
        """Take back committed run `run_id`; `undone`, `undo_blocked` or `failed` follows."""
        self._refuse_if_busy()
        self.lane.start(lambda _progress: _undo(request, run_id, including_later), on_result=self._on_undone,
                        on_error=lambda exc: self._on_undo_error(exc, run_id))

    def commit(self, hold: Collection[str] = ()) -> None:
        """Commit the change set under review but the parcels in `hold` (a mass delete counts as confirmed: the window asked)."""
        self._refuse_if_busy()
        session = self._session()
        allow = self.next_step() is NextStep.CONFIRM_MASS_DELETE
        held = tuple(hold)
        self.lane.start(lambda progress: session.commit(allow_mass_delete=allow, progress=progress, hold=held),
                        on_result=self._on_committed, on_error=self._on_error, on_cancelled=self._on_cancelled)

    def discard(self) -> None:
        """Throw the change set under review away (it records a small run, so it too runs off the GUI thread)."""
        self._refuse_if_busy()
        session = self._session()
        self.lane.start(lambda _progress: session.discard(), on_result=self._on_discarded, on_error=self._on_error)

    def discard_now(self) -> None:
        """Discard on the GUI thread while the window closes: a failure is logged, never in the way."""
        if self.change_set is not None and self.reviewing_waiting:
            self.put_back_now()  # it was waiting before this window took it up: it waits again
        elif self.change_set is not None:
            try:
                self._session().discard()
            except Exception:
                log.exception("Could not discard the change set; the next sync starts afresh")

    def cancel(self) -> None:
        """Ask the engine to stop at its next chunk (it rolls back; nothing changes)."""
        self.lane.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel any run and wait for it to end; True if it did."""
        self.cancel()
        return self.lane.wait(timeout_ms)

    # -- outcomes, on the GUI thread --------------------------------------------------
    def _on_planned(self, planned: tuple[SyncSession, ChangeSet]) -> None:
        self.session, change_set = planned
        if self.next_step() is not NextStep.RECORD_CHECK:
            self.planned.emit(change_set)
            return
        self.recording_check.emit()  # the rule: nothing to review, so the check is recorded at once
        session = self.session
        self.lane.start(lambda progress: session.commit(progress=progress), on_result=self._on_committed,
                        on_error=self._on_error, on_cancelled=self._on_cancelled)

    def _on_taken_up(self, planned: tuple[SyncSession, ChangeSet], waiting: WaitingReview) -> None:
        self.reviewing_waiting = True
        self.took_up_waiting.emit(waiting)
        self._on_planned(planned)

    def _on_undone(self, result: UndoResult) -> None:
        self.undone.emit(result)
        self.changed.emit(Changes.everything())

    def _on_undo_error(self, exc: BaseException, run_id: int) -> None:
        if isinstance(exc, UndoBlocked):
            self.undo_blocked.emit(run_id, exc.later_runs)
        else:
            self._on_error(exc)

    def _on_committed(self, result: SyncResult) -> None:
        self.reviewing_waiting = False
        self.committed.emit(result)
        self.changed.emit(Changes.after(result))

    def _on_discarded(self, result: SyncResult) -> None:
        self.reviewing_waiting = False
        self.discarded.emit(result)
        self.changed.emit(Changes.after(result))

    def _on_error(self, exc: BaseException) -> None:
        message, details = explain(exc, self.folder)
        if not isinstance(exc, SyncError):
            log.error("Unexpected error: %s", details)
        self.failed.emit(message, details)
        self.changed.emit(Changes.after(None))

    def _on_cancelled(self) -> None:
        self.cancelled.emit()
        self.changed.emit(Changes.after(None))

    def _session(self) -> SyncSession:
        if self.session is None or self.change_set is None:
            raise RuntimeError("no change set under review")
        return self.session

    def _refuse_if_busy(self) -> None:
        if self.busy:
            raise RuntimeError("a sync is already running")
