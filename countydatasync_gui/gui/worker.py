"""The sync runs on a QThread: a worker object moved to the thread, driven and observed through signals.

`SyncRunner` lives in the GUI thread. It owns the thread and the worker,
hands them requests through queued signals, and re-emits what the worker
reports. The worker never touches a widget; the engine never knows about Qt
(`QtProgress` adapts the engine's progress-and-cancel object to signals).
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..etl.config import load_settings
from ..etl.datafolder import DataFolder
from ..etl.errors import SourceSchemaError, SourceUnavailable, SyncCancelled, SyncError
from ..etl.logs import LOG_FILE
from ..etl.progress import Progress, Step
from ..etl.sync import ChangeSet, commit, plan_sync

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


class QtProgress(Progress):
    """The engine's progress sink, reporting through the worker's `progress` signal (called on the worker thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.worker: SyncWorker | None = None
        self._step = ""
        self._total = 0

    def step(self, step: Step, total: int | None = None) -> None:
        self._step, self._total = step.label, total or 0
        if self.worker is not None:
            self.worker.progress.emit(self._step, 0, self._total)

    def advance(self, done: int) -> None:
        if self.worker is not None:
            self.worker.progress.emit(self._step, done, self._total)


class SyncWorker(QObject):
    """Runs plan and commit on its own thread; reports only through signals."""

    progress = Signal(str, int, int)  # step in words, rows done, rows expected (0: unknown)
    plan_ready = Signal(object)  # ChangeSet, waiting for the clerk's Commit or Discard
    committed = Signal(object)  # SyncResult
    failed = Signal(str, str)  # plain message, technical details
    cancelled = Signal()

    @Slot(object, object)
    def plan(self, request: SyncRequest, progress: QtProgress) -> None:
        """Load the settings (creating the demo county on first use) and plan a sync."""
        progress.worker = self
        try:
            progress.step(Step.OPEN_SOURCE)
            # The password typed this session is the last resort, after the keyring and the environment.
            prompt = (lambda _question: request.password) if request.password else None
            settings = load_settings(request.folder, source_url=request.source_url, table=request.table, prompt=prompt)
            if request.chunk_rows:
                settings = dataclasses.replace(settings, chunk_rows=request.chunk_rows)
            progress.check_cancelled()
            change_set = plan_sync(request.folder, settings, full_refresh=request.full_refresh, progress=progress)
        except BaseException as exc:  # noqa: BLE001 - every outcome must reach the GUI, or it waits forever
            self._report_failure(exc, request.folder)
            return
        self.plan_ready.emit(change_set)

    @Slot(object, bool, object)
    def commit(self, change_set: ChangeSet, allow_mass_delete: bool, progress: QtProgress) -> None:
        """Write a reviewed change set to the databases."""
        progress.worker = self
        try:
            result = commit(change_set, allow_mass_delete=allow_mass_delete, progress=progress)
        except BaseException as exc:  # noqa: BLE001
            self._report_failure(exc, change_set.folder)
            return
        self.committed.emit(result)

    def _report_failure(self, exc: BaseException, folder: DataFolder) -> None:
        if isinstance(exc, SyncCancelled):
            self.cancelled.emit()
            return
        message, details = explain(exc, folder)
        if not isinstance(exc, SyncError):
            log.error("Unexpected error: %s", details)
        self.failed.emit(message, details)


class SyncRunner(QObject):
    """The GUI thread's handle on the worker thread: start, cancel, and learn the outcome."""

    progress = Signal(str, int, int)
    plan_ready = Signal(object)
    committed = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()

    _plan_requested = Signal(object, object)
    _commit_requested = Signal(object, bool, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._progress: QtProgress | None = None
        self._thread = QThread()
        self._thread.setObjectName("sync-worker")
        self._worker = SyncWorker()
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        # Connect every signal before the thread starts.
        self._plan_requested.connect(self._worker.plan)
        self._commit_requested.connect(self._worker.commit)
        self._worker.progress.connect(self.progress)
        self._worker.plan_ready.connect(self._on_plan_ready)
        self._worker.committed.connect(self._on_committed)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """True while a plan or a commit runs on the worker thread."""
        return self._progress is not None

    def plan(self, request: SyncRequest) -> None:
        """Start planning a sync; the outcome arrives as plan_ready, failed or cancelled."""
        self._start()
        self._plan_requested.emit(request, self._progress)

    def commit(self, change_set: ChangeSet, allow_mass_delete: bool = False) -> None:
        """Start committing; the outcome arrives as committed, failed or cancelled."""
        self._start()
        self._commit_requested.emit(change_set, allow_mass_delete, self._progress)

    def cancel(self) -> None:
        """Ask the engine to stop at its next chunk (it rolls back; nothing changes)."""
        if self._progress is not None:
            self._progress.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel any run and stop the thread; True if it stopped (no "destroyed while running")."""
        self.cancel()
        self._thread.quit()
        return self._thread.wait(timeout_ms)

    def _start(self) -> None:
        if self.busy:
            raise RuntimeError("a sync is already running")
        self._progress = QtProgress()

    @Slot(object)
    def _on_plan_ready(self, change_set: ChangeSet) -> None:
        self._progress = None
        self.plan_ready.emit(change_set)

    @Slot(object)
    def _on_committed(self, result: object) -> None:
        self._progress = None
        self.committed.emit(result)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._progress = None
        self.failed.emit(message, details)

    @Slot()
    def _on_cancelled(self) -> None:
        self._progress = None
        self.cancelled.emit()
