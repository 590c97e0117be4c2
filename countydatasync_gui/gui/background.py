"""The one way the window runs work off the GUI thread: a `Lane` of background jobs.

    lane = Lane(self)
    lane.start(lambda progress: slow_call(progress), on_result=self.show_it)

A job is a plain function run on a pool thread; it receives a `JobProgress`
(the engine's progress-and-cancel object). Everything it reports (progress,
its result, its error, its cancellation) comes back on the GUI thread, so
callbacks may touch widgets. A lane runs one job that matters at a time:
starting another makes the older one stale (it is cancelled, and whatever it
still returns is dropped, or handed to `on_stale` to release), and `cancel()`
is built in. The spirit is napari's `thread_worker` and Anki's `QueryOp`.

The engine's import at start-up, the sync, Discard, the connection test and
the table browser's counts and first pages all run on lanes; nothing else in
the GUI starts a thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from ..etl.errors import SyncCancelled
from ..etl.progress import Progress, Step

log = logging.getLogger("countydatasync_gui.gui")

T = TypeVar("T")
_TICKETS = itertools.count(1)
#: Jobs mostly wait on a disk or a server; a few more threads than cores keeps a long sync from
#: starving a table's row count (Qt's global pool has one thread per core: two here).
POOL_THREADS = 6
_pool: QThreadPool | None = None


def _thread_pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(POOL_THREADS)
    return _pool


def wait_for_background(timeout_ms: int = 5_000) -> bool:
    """Block until every background job has returned (the app is closing); True if they did in time."""
    return _thread_pool().waitForDone(timeout_ms)


class JobProgress(Progress):
    """A job's progress-and-cancel object: steps go to the lane's `progress` signal; cancel also runs interrupt hooks."""

    def __init__(self, report: Callable[[Step, int, int], None]) -> None:
        super().__init__()
        self._report = report
        self._step: Step | None = None
        self._total = 0
        self._hooks: list[Callable[[], None]] = []
        self._hooks_lock = threading.Lock()

    def step(self, step: Step, total: int | None = None) -> None:
        self._step, self._total = step, total or 0
        self._report(step, 0, self._total)

    def advance(self, done: int) -> None:
        if self._step is not None:
            self._report(self._step, done, self._total)

    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Run `hook` when the job is cancelled (e.g. `sqlite3.Connection.interrupt`): at once if it already was."""
        with self._hooks_lock:
            self._hooks.append(hook)
            cancelled = self.cancel_requested
        if cancelled:
            hook()

    def cancel(self) -> None:
        super().cancel()
        with self._hooks_lock:
            hooks = list(self._hooks)
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.debug("cancel hook failed", exc_info=True)


@dataclass(frozen=True)
class _Callbacks(Generic[T]):
    """What to call on the GUI thread with a job's outcome."""

    on_result: Callable[[T], None]
    on_error: Callable[[BaseException], None] | None
    on_cancelled: Callable[[], None] | None
    on_stale: Callable[[T], None] | None


class _Job(QRunnable, Generic[T]):
    """Runs the function on a pool thread and posts the outcome to its lane (never touches a widget)."""

    def __init__(self, lane: Lane, fn: Callable[[JobProgress], T], callbacks: _Callbacks[T]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the lane keeps it until it is done, for `wait`
        self.ticket = next(_TICKETS)
        self.lane, self.fn, self.callbacks = lane, fn, callbacks
        self.progress = JobProgress(lambda step, done, total: lane._post_step(self.ticket, step, done, total))
        self.done = threading.Event()

    def run(self) -> None:
        try:
            outcome: tuple[str, Any] = ("result", self.fn(self.progress))
        except SyncCancelled:
            outcome = ("cancelled", None)
        except BaseException as exc:  # noqa: BLE001 - every outcome must reach the GUI, or it waits forever
            # An interrupted query fails with its own error: after a cancel, that is the cancel.
            outcome = ("cancelled", None) if self.progress.cancel_requested else ("error", exc)
        try:
            self.lane._outcome.emit(self.ticket, outcome)
        except RuntimeError:  # the lane (and its screen) was deleted meanwhile: nobody to tell
            pass
        finally:
            self.done.set()


class Lane(QObject):
    """Background jobs of one kind (the sync, a connection test, a table's count): the newest one counts."""

    #: a step of the current job began or moved on: step, rows done, rows expected (0: unknown)
    progress = Signal(object, int, int)
    #: the current job's outcome was delivered (result, error or cancel)
    finished = Signal()

    # Emitted on the pool thread; the lane lives on the GUI thread, so Qt delivers them queued there.
    _outcome = Signal(int, object)  # ticket, (kind, value)
    _step = Signal(int, object, int, int)  # ticket, step, done, total

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: _Job[Any] | None = None
        self._jobs: dict[int, _Job[Any]] = {}  # every job not yet delivered, stale ones too
        self._outcome.connect(self._deliver)
        self._step.connect(self._relay_step)

    @property
    def busy(self) -> bool:
        """True from `start` until the current job's outcome is delivered."""
        return self._current is not None

    def start(self, fn: Callable[[JobProgress], T], *, on_result: Callable[[T], None],
              on_error: Callable[[BaseException], None] | None = None, on_cancelled: Callable[[], None] | None = None,
              on_stale: Callable[[T], None] | None = None) -> None:
        """Run `fn(progress)` on a pool thread; the callbacks run on the GUI thread.

        A job still running is cancelled and made stale first: its outcome is
        dropped (a result it returns anyway goes to its own `on_stale`, to
        close what it opened). Without `on_error`, an error is logged.
        """
        self.forget()
        job = _Job(self, fn, _Callbacks(on_result, on_error, on_cancelled, on_stale))
        self._current = self._jobs[job.ticket] = job
        _thread_pool().start(job)

    def cancel(self) -> None:
        """Ask the current job to stop (the engine stops at its next chunk and rolls back; a query is interrupted)."""
        if self._current is not None:
            self._current.progress.cancel()

    def forget(self) -> None:
        """Cancel the current job and make it stale: its screen is starting over or going away."""
        self.cancel()
        self._current = None

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until every job this lane started has returned; True if they all did in time."""
        return all(job.done.wait(timeout_ms / 1000) for job in list(self._jobs.values()))

    def _post_step(self, ticket: int, step: Step, done: int, total: int) -> None:
        try:
            self._step.emit(ticket, step, done, total)
        except RuntimeError:
            pass  # the lane was deleted meanwhile

    @Slot(int, object, int, int)
    def _relay_step(self, ticket: int, step: Step, done: int, total: int) -> None:
        if self._current is not None and ticket == self._current.ticket:
            self.progress.emit(step, done, total)

    @Slot(int, object)
    def _deliver(self, ticket: int, outcome: tuple[str, Any]) -> None:
        job = self._jobs.pop(ticket)
        kind, value = outcome
        callbacks = job.callbacks
        if job is not self._current:  # stale: a newer job (or `forget`) replaced it
            if kind == "result" and callbacks.on_stale is not None:
                callbacks.on_stale(value)
            return
        self._current = None
        try:
            if kind == "result":
                callbacks.on_result(value)
            elif kind == "cancelled" and callbacks.on_cancelled is not None:
                callbacks.on_cancelled()
            elif kind == "error" and callbacks.on_error is not None:
                callbacks.on_error(value)
            elif kind == "error":
                log.error("A background task failed", exc_info=value)
        finally:
            self.finished.emit()
