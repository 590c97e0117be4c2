"""The one door into the engine: the object the command line and the desktop app drive.

    session = SyncSession(folder, settings)
    change_set = session.plan()             # reads the source, stages the changes: Phase.PLANNED
    session.next_step(change_set)           # what the rules ask: record the check, review, or confirm deletions
    result = session.commit()               # or session.discard(): Phase.COMMITTED / DISCARDED
    Changes.after(result)                   # what the screens showing the folder must read again

A session owns one data folder, its settings and at most one change set under
review, and knows the states of a sync and the rules between them, so neither
front end decides workflow on its own. `FolderView`, its base, answers the
screens' questions that need no settings (history, statistics, the last sync).
It never imports Qt: the desktop app runs its calls on a background thread.

This module is also the engine's public surface: the front ends import it, the
modules listed in `__all__` and the engine's public type modules (errors,
settings, progress, schema, config, ...), never the internals (sync, changeset,
store, state, ...). `lint-imports` enforces it (pyproject.toml).

Importing it is cheap on purpose. The internals bring pandas, pyarrow and
SQLAlchemy (about a second), so the methods import them when called, and the
types re-exported from them are imported on first use (PEP 562 `__getattr__`):
the desktop app shows its window first and then calls `load_engine` on a
background thread.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .datafolder import DataFolder
from .db import BUSY_TIMEOUT_MS, connect_read_only
from .errors import ChangeSetClosed, SyncCancelled, UndoBlocked
from .progress import Progress
from .schema import KINDS, Counts, ReviewClass, RunStatus, SyncState

if TYPE_CHECKING:  # the lazy names below, for type checkers
    import pandas as pd

    from .connection_check import ConnectionReport
    from .settings import SourceSettings, SyncSettings
    from .source import Source, describe_url, parse_url
    from .sync import MAX_REVIEW_AGE, ChangeSet, SyncResult, WaitingReview
    from .undo import UndoResult

__all__ = [
    "KINDS", "MAX_REVIEW_AGE", "Changes", "ChangeSet", "ConnectionReport", "Counts", "FolderView", "NextStep", "Phase", "ReviewClass",
    "RunStatus", "Source", "SyncResult", "SyncSession", "SyncState", "UndoBlocked", "UndoResult", "WaitingReview",
    "connect_read_only", "describe_url", "load_engine", "parse_url",
]

#: Names re-exported from the internals, and the module each comes from: imported on first use.
_LAZY = {
    "MAX_REVIEW_AGE": "sync", "ChangeSet": "sync", "SyncResult": "sync", "WaitingReview": "sync",
    "ConnectionReport": "connection_check", "Source": "source", "describe_url": "source", "parse_url": "source",
    "UndoResult": "undo",
}


def __getattr__(name: str) -> Any:
    """A name of `_LAZY`, imported from its module the first time it is asked for (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __package__), name)
    globals()[name] = value  # found directly from now on
    return value


def load_engine() -> None:
    """Import the engine's internals now (pandas, pyarrow and SQLAlchemy among them: about a second).

    The desktop app calls it on a background thread once its window shows, so
    that the first call that needs them does not freeze the window.
    """
    from . import config, connection_check, report, sync, undo  # noqa: F401


@dataclass(frozen=True)
class Changes:
    """What an operation changed in the data folder, so each screen reads again only what it shows.

    The desktop app announces one after every run (Anki's `OpChanges`); a
    screen that shows none of it stays as it is.
    """

    parcels: bool = False  # the working table (and the journal)
    statistics: bool = False
    history: bool = False  # the run history
    sync_state: bool = False  # last successful sync, county edits up to

    @classmethod
    def after(cls, result: SyncResult | None) -> Changes:
        """What a commit, a discard or an unsuccessful run changed (None: a run that failed before its record)."""
        if result is None or not result.status.successful:
            return cls(history=True)  # a discarded, failed or cancelled run is only a line in the history
        if result.status is RunStatus.NOTHING_TO_DO:  # the check is recorded; touched rows get their new dates
            return cls(parcels=result.counts.touched > 0, history=True, sync_state=True)
        return cls.everything()

    @classmethod
    def everything(cls) -> Changes:
        """Every screen reads again (an undo, a new source)."""
        return cls(parcels=True, statistics=True, history=True, sync_state=True)


class Phase(Enum):
    """Where a session's sync stands: idle -> planned -> committed | discarded | failed | cancelled."""

    IDLE = "idle"
    PLANNED = "planned"
    COMMITTED = "committed"
    DISCARDED = "discarded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class NextStep(Enum):
    """What the rules ask for once a sync is planned."""

    #: Nothing to review: commit at once, which records the check (and applies touches).
    RECORD_CHECK = "record_check"
    #: Show the changes and wait for the clerk's Commit or Discard.
    REVIEW = "review"
    #: As REVIEW, but Commit needs an explicit confirmation of the deletions.
    CONFIRM_MASS_DELETE = "confirm_mass_delete"


@dataclass
class FolderView:
    """What the screens ask of a data folder, settings or not: the last sync, the history, the statistics."""

    folder: DataFolder

    def sync_state(self) -> SyncState:
        """Watermark, last success and source of the folder (empty before the first commit)."""
        from . import state
        return state.load_state(self.folder.working_db)

    def recent_runs(self, limit: int = 20) -> pd.DataFrame:
        """The latest runs, newest first."""
        from . import state
        return state.recent_runs(self.folder.working_db, limit)

    def run_marks(self) -> tuple[int | None, set[int]]:
        """The last successful run and the failed runs, for the history's colours."""
        from . import state
        return state.run_marks(self.folder.working_db)

    def held(self) -> pd.DataFrame:
        """The parcels held back in this folder: id, kind, held_since (UTC text), run (that last held it)."""
        from . import reoffer
        return reoffer.held_parcels(self.folder.working_db)

    def parcel_history(self, parcel_id: str) -> pd.DataFrame:
        """Every run that touched a parcel, newest first (see `state.parcel_history`)."""
        from . import state
        return state.parcel_history(self.folder.working_db, parcel_id)

    def write_report(self, run_id: int, path: Path) -> Path:
        """Write the report of a run: HTML at `path`, every row in a CSV beside it (see `report`); return `path`."""
        from . import report
        return report.write_run_report(self.folder.working_db, run_id, path)

    def land_use_groups(self, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> list[tuple[str, int, float]]:
        """(group, parcels, assessed value) per land-use group, most parcels first, for the chart."""
        from . import stats
        return stats.group_totals(self.folder.stats_db, busy_timeout_ms=busy_timeout_ms)

    def waiting(self) -> WaitingReview | None:
        """The change set waiting in the folder for review, if any (read without the folder's lock)."""
        from . import sync
        return sync.waiting_review(self.folder)


@dataclass
class SyncSession(FolderView):
    """A data folder with its settings and the sync currently planned in it (if any)."""

    settings: SyncSettings
    change_set: ChangeSet | None = None
    phase: Phase = Phase.IDLE

    # -- the sync's states ------------------------------------------------------
    def plan(self, *, full_refresh: bool = False, dry_run: bool = False, progress: Progress | None = None) -> ChangeSet:
        """Plan a sync (see `sync.plan_sync`); the change set stays open in the session until commit or discard."""
        if self.change_set is not None and not self.change_set.closed:
            raise ChangeSetClosed("A review is already open in this window. Commit or discard it first.")
        from . import sync
        try:
            self.change_set = sync.plan_sync(self.folder, self.settings, full_refresh=full_refresh, dry_run=dry_run,
                                        progress=progress)
        except BaseException as exc:
            self.phase = Phase.CANCELLED if isinstance(exc, (SyncCancelled, KeyboardInterrupt)) else Phase.FAILED
            raise
        self.phase = Phase.PLANNED
        return self.change_set

    @staticmethod
    def next_step(change_set: ChangeSet) -> NextStep:
        """The rule after planning: nothing to do is recorded at once; a mass delete needs a confirmation."""
        if change_set.nothing_to_do and not change_set.dry_run:
            return NextStep.RECORD_CHECK
        return NextStep.CONFIRM_MASS_DELETE if change_set.mass_delete else NextStep.REVIEW

    def commit(self, *, allow_mass_delete: bool = False, progress: Progress | None = None,
               hold: Collection[str] = ()) -> SyncResult:
        """Commit the planned change set except the parcel ids in `hold` (see `sync.commit`).

        A refused mass delete, or a held id the change set does not offer, keeps it open.
        """
        from . import sync
        change_set = self._planned()
        try:
            result = sync.commit(change_set, allow_mass_delete=allow_mass_delete, progress=progress, hold=hold)
        except BaseException as exc:
            if change_set.closed:  # the commit failed or was cancelled, and said so in the history
                self.phase = Phase.CANCELLED if isinstance(exc, (SyncCancelled, KeyboardInterrupt)) else Phase.FAILED
            raise
        self.phase = Phase.COMMITTED
        return result

    def discard(self) -> SyncResult:
        """Throw the planned change set away (see `sync.discard`)."""
        from . import sync
        result = sync.discard(self._planned())
        self.phase = Phase.DISCARDED
        return result

    def run(self, *, full_refresh: bool = False, allow_mass_delete: bool = False,
            confirm: Callable[[ChangeSet], bool], on_planned: Callable[[ChangeSet], None] | None = None,
            progress: Progress | None = None,
            hold: Callable[[ChangeSet], Collection[str]] | None = None) -> tuple[ChangeSet, SyncResult]:
        """Plan and follow the rules in one call (the command line's `sync`); return the plan and its outcome.

        `on_planned(change_set)` sees the plan first (to print it). Nothing to
        do is recorded at once; otherwise `confirm(change_set)` decides between
        commit and discard (a terminal asks, `--yes` answers yes). A mass delete
        without `allow_mass_delete` is refused and discarded. `hold(change_set)`
        names the parcels to hold back at the commit.
        """
        change_set = self.plan(full_refresh=full_refresh, progress=progress)
        if on_planned is not None:
            on_planned(change_set)
        if self.next_step(change_set) is NextStep.RECORD_CHECK:
            return change_set, self.commit(progress=progress)
        if not confirm(change_set):
            return change_set, self.discard()
        try:
            return change_set, self.commit(allow_mass_delete=allow_mass_delete, progress=progress,
                                           hold=hold(change_set) if hold else ())
        except BaseException:
            if not change_set.closed:  # refused before anything was written: the run is discarded
                self.discard()
            raise

    def stage(self) -> WaitingReview:
        """Leave the planned change set waiting in the folder for a later session (see `sync.stage`)."""
        from . import sync
        waiting = sync.stage(self._planned())
        self.change_set, self.phase = None, Phase.IDLE
        return waiting

    def open_waiting(self) -> ChangeSet:
        """Take up the change set waiting in the folder: Phase.PLANNED, to review, commit or discard."""
        if self.change_set is not None and not self.change_set.closed:
            raise ChangeSetClosed("A review is already open in this window. Commit or discard it first.")
        from . import sync
        self.change_set, self.phase = sync.open_waiting(self.folder, self.settings), Phase.PLANNED
        return self.change_set

    def leave_waiting(self) -> None:
        """Put a change set taken up with `open_waiting` back, unchanged, for later."""
        from . import sync
        sync.leave_waiting(self._planned())
        self.change_set, self.phase = None, Phase.IDLE

    def undo(self, run_id: int, *, including_later: bool = False) -> UndoResult:
        """Take back a committed run (see `undo.undo_run`); only while no change set is open here."""
        if self.change_set is not None and not self.change_set.closed:
            raise ChangeSetClosed("A review is open in this window. Commit or discard it before undoing a sync.")
        from . import undo
        return undo.undo_run(self.folder, run_id, including_later=including_later,
                        code_table=self.settings.source.code_table)

    def _planned(self) -> ChangeSet:
        if self.change_set is None or self.change_set.closed:
            raise ChangeSetClosed("There is no sync waiting for review. Run Sync again.")
        return self.change_set

    def write_review_report(self, path: Path) -> Path:
        """Write the report of the change set open for review (see `report.write_review_report`); return `path`."""
        from . import report
        return report.write_review_report(self._planned(), path)

    # -- what the settings screens ask ---------------------------------------------
    def settings_in_force(self) -> dict[str, Any]:
        """The settings as `countydatasync config show` prints them, never with a password."""
        from . import config
        return config.effective_settings(self.settings)

    @staticmethod
    def test_connection(source: SourceSettings) -> ConnectionReport:
        """Open a source, read a few rows and check the mapping (see `connection_check`)."""
        from . import connection_check
        return connection_check.test_connection(source)
