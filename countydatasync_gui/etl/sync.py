"""The sync workflow: plan (extract, validate, classify), review, then commit or discard.

    change_set = plan_sync(folder, settings)       # reads the source, writes only a scratch file
    change_set.counts, change_set.rows("changed")  # what the clerk reviews
    commit(change_set)                             # the one step that writes working and stats
    # or discard(change_set)                       # leaves everything as it was

The data folder's lock is held from plan to commit or discard, so only one
sync per folder runs at a time. The CLI, the desktop app and the tests all
drive exactly these functions.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Literal, TypeVar, cast

import pandas as pd
import sqlalchemy as sa
from filelock import FileLock

from . import content_hash, reoffer, schema, stats, store
from .changeset import ChangeStore, read_plan
from .datafolder import DataFolder
from .db import connect_read_only, interruptible, sqlite_engine
from .errors import (
    ChangeSetClosed, DataFolderBusy, MassDeleteRefused, ReviewOutdated, SourceChanged, SyncCancelled, SyncError,
)
from .export import StagedRows, create_and_load_working_db
from .progress import Progress, Step
from .schema import ChangeKind, Counts, RunStatus, SyncState
from .settings import SyncSettings
from .sources import AnySource, open_source
from .state import (
    RunRecord, count_parcels, load_state, read_state, record_run, record_unsuccessful_run, save_state,
)
from .timeutil import from_utc_text, local_words, now_utc, to_utc_text
from .validate import validate_chunk

log = logging.getLogger(__name__)
T = TypeVar("T")

Mode = Literal["first_sync", "incremental", "full_refresh"]
#: Rows last updated more than this after the read began are flagged: a clock or a typo to check.
FUTURE_MARGIN = timedelta(days=1)
#: A change set planned longer ago than this is not committed: the county has moved on, sync again.
MAX_REVIEW_AGE = timedelta(days=7)


@dataclass
class ChangeSet:
    """A planned sync, staged and waiting for the clerk's Commit or Discard."""

    folder: DataFolder
    settings: SyncSettings
    mode: Mode
    source_description: str
    source_identity: str
    started_at: str
    state_before: SyncState
    watermark_after: str | None
    counts: Counts
    working_rows: int
    _store: ChangeStore = field(repr=False)
    _lock: FileLock = field(repr=False)
    #: a look, not a run: it cannot be committed and leaves no trace in the history
    dry_run: bool = False
    #: planned against an empty working table: every row is new, and the commit loads them without a per-parcel journal
    initial_load: bool = False
    closed: bool = False

    @property
    def mass_delete(self) -> bool:
        """True if this full refresh deletes more of the working table than the threshold allows."""
        limit = self.settings.thresholds.mass_delete * self.working_rows
        return self.counts.deleted > 0 and self.counts.deleted > limit

    @property
    def nothing_to_do(self) -> bool:
        """True if committing would change no parcel, hold none back and record no reject."""
        return self.counts.to_apply == 0 and self.counts.rejected == 0 and self.counts.held == 0

    def count(self, kind: str | None = None, search: str | None = None) -> int:
        """Rows of one class (new, changed, deleted, rejected, flagged; None: all but rejected), optionally searched."""
        return self._open_store().count(kind, search)

    def rows(self, kind: str | None = None, search: str | None = None, offset: int = 0, limit: int = 200,
             order_by: str | None = None, descending: bool = False) -> pd.DataFrame:
        """One page of rows of a class, ordered by parcel id or by `order_by` (see `ChangeStore.rows`)."""
        return self._open_store().rows(kind, search, offset, limit, order_by, descending)

    def held_earlier(self) -> list[str]:
        """Parcel ids offered again because an earlier run held them back (column `earlier` = "held")."""
        return self.held_earlier_rows()[schema.ID].tolist()

    def held_earlier_rows(self) -> pd.DataFrame:
        """The rows of `held_earlier` (columns as `rows`)."""
        return self._open_store().held_earlier()

    def _open_store(self) -> ChangeStore:
        if self.closed:
            raise ChangeSetClosed("This change set was already committed or discarded. Run Sync again.")
        return self._store

    def _close(self, *, keep_file: bool = False) -> None:
        if not self.closed:
            self.closed = True
            self._store.close(delete=not keep_file)
            self._lock.release()

    def _run_record(self, status: RunStatus, error: str | None = None) -> RunRecord:
        return RunRecord(
            started_at=self.started_at, finished_at=to_utc_text(now_utc()), mode=self.mode, status=status,
            source=self.source_description, counts=self.counts, watermark_before=self.state_before.watermark,
            watermark_after=self.watermark_after if status.successful else None, error=error,
            initial_load=self.initial_load,
        )


@dataclass(frozen=True)
class SyncResult:
    """What a commit or discard did."""

    status: RunStatus
    run_id: int | None
    counts: Counts
    watermark_before: str | None
    watermark_after: str | None


# ---------------------------------------------------------------------------
# Plan: extract, validate, classify. Reads the source; writes only a scratch file.
# ---------------------------------------------------------------------------
def plan_sync(
    folder: DataFolder, settings: SyncSettings, *, full_refresh: bool = False, dry_run: bool = False,
    progress: Progress | None = None,
) -> ChangeSet:
    """Read what changed in the source since the last successful sync and stage it for review.

    Raises `DataFolderBusy` if another sync holds the folder, `SourceUnavailable`
    or `SourceSchemaError` if the source cannot be read, `SourceChanged` if the
    folder was filled from another source (a full refresh switches sources),
    and `SyncCancelled` if `progress.cancel()` was called. A `dry_run` plan
    writes nothing to the folder's databases, not even a failed run or a
    statistics repair; it can only be discarded.
    """
    progress = progress or Progress()
    folder.ensure()
    lock = folder.acquire_sync_lock()
    started_at = to_utc_text(now_utc())
    staged: ChangeStore | None = None
    source = open_source(settings.source)
    state = SyncState()
    mode: Mode = "full_refresh" if full_refresh else "incremental"
    try:
        # A folder written by a newer release is refused before anything is read or written.
        store.check_readable(folder.working_db)
        store.check_readable(folder.stats_db)
        state = load_state(folder.working_db)
        # A crash between the working and the stats commit leaves stats one run behind: repair
        # first (a dry run only looks; the next real sync repairs them).
        if not dry_run and stats.ensure_stats_current(folder.working_db, folder.stats_db, settings.source.code_table,
                                                      state=state):
            log.warning("Statistics were behind the working table and have been rebuilt")
        source.check()
        if state.source and state.source != source.identity and not full_refresh:
            raise SourceChanged(
                "This data folder holds parcels from a different source. To replace them with this "
                "source's parcels, run a full refresh.",
                details=f"folder source: {state.source}; requested: {source.identity}",
            )
        # Without a timestamp column there is no watermark: every sync reads the whole
        # source and finds changes by content hash (see `content_hash`).
        by_content = not settings.source.has_timestamp
        if (state.last_success_at if by_content else state.watermark) is None and not full_refresh:
            mode = "first_sync"
        # Our clock when the read begins bounds the watermark: a source row dated in the future
        # (a typo, a server with a wrong clock) must not make every later sync skip real edits.
        read_began = to_utc_text(now_utc())
        watermark_before = _clamped_watermark(state.watermark, read_began)
        since = None
        if mode == "incremental" and not by_content and watermark_before is not None:
            since = from_utc_text(watermark_before) - settings.source.lookback
        log.info("Sync started (%s) from %s", mode.replace("_", " "), source.describe())
        if by_content:
            log.info("The source has no last-updated column: reading every row and comparing content hashes")
        else:
            # Clerk words: "county edits up to" is the watermark, the re-read margin the look-back.
            log.info("County edits loaded so far: %s; reading the rows changed since %s",
                     f"up to {_readable(state.watermark)}" if state.watermark else "none (first sync)",
                     f"{_readable(to_utc_text(since))} (re-read margin included)" if since else "the beginning")

        # -- Extract and validate, chunk by chunk: memory stays at one chunk.
        progress.step(Step.COUNT)
        expected = source.count(since)
        progress.step(Step.READ, expected)
        for stale in folder.pending_dir.glob("changeset-*.sqlite"):
            stale.unlink()  # left by a crash; we hold the lock, so nobody else uses it
        # A whole-table read (first sync, full refresh, a source without timestamps) is staged in bulk.
        staged = scratch = ChangeStore(folder.pending_dir / f"changeset-{uuid.uuid4().hex}.sqlite",
                                       settings.source.code_table, bulk=since is None)
        zone = settings.source.zone()
        since_text = to_utc_text(since) if since else None
        read = considered = 0
        newest = watermark_before

        def stage_chunk(raw: pd.DataFrame, window: str | None) -> str | None:
            """Validate and stage one chunk; return its newest valid timestamp."""
            nonlocal read, considered
            progress.check_cancelled()
            chunk = validate_chunk(raw, zone, window)
            if by_content:
                chunk.valid[content_hash.HASH_COLUMN] = content_hash.row_hashes(chunk.valid)
            scratch.add(chunk.valid, chunk.rejected)
            read += len(raw)
            considered += chunk.rows
            progress.advance(read)
            return chunk.max_timestamp

        for raw in source.read(since, settings.chunk_rows):
            stamp = stage_chunk(raw, since_text)
            if stamp and (newest is None or stamp > newest):
                newest = stamp
        if since is None:
            log.info("Rows read from the source: %s", f"{read:,}")
        else:
            log.info("Rows read from the source: %s, of which %s were changed since the last sync (re-read margin "
                     "included)", f"{read:,}", f"{considered:,}")
        # -- Parcels held back earlier: read again by id, whatever their timestamp (the watermark
        # moved past them). They do not move the watermark: a row edited since the window was read
        # must not make the next sync skip the rows edited meanwhile.
        held = reoffer.held_ids(folder.working_db)
        if held:
            unread = scratch.absent(held)
            for raw in source.read_ids(unread, settings.chunk_rows):
                stage_chunk(raw, None)
            log.info("%s parcels are held back from earlier syncs; read %s of them again by id",
                     f"{len(held):,}", f"{len(unread):,}")

        # -- Classify against the working table.
        progress.check_cancelled()
        progress.step(Step.COMPARE)
        future = to_utc_text(from_utc_text(read_began) + FUTURE_MARGIN)
        counts = staged.classify(folder.working_db, settings.thresholds, full_refresh, by_content=by_content,
                                future_after=future, progress=progress, held=held)
        change_set = ChangeSet(
            folder=folder, settings=settings, mode=mode, source_description=source.describe(),
            source_identity=source.identity, started_at=started_at, state_before=state,
            # Rows dated after the read began are loaded but re-read by the next sync until their
            # time has passed (inclusive reads and the content comparison make that harmless).
            watermark_after=min(newest, read_began) if newest else None,
            # Counting a million parcels costs a scan; only a deletion needs the figure.
            counts=counts, working_rows=count_parcels(folder.working_db) if counts.deleted else 0,
            _store=staged, _lock=lock, dry_run=dry_run, initial_load=staged.initial_load,
        )
        log.info(
            "Change set: %s new, %s changed, %s unchanged (%s of them re-saved by the county without changes), "
            "%s deleted, %s rejected, %s flagged",
            *(f"{n:,}" for n in (counts.new, counts.changed, counts.unchanged, counts.touched, counts.deleted,
                                 counts.rejected, counts.flagged)),
        )
        if change_set.mass_delete:
            log.warning(
                "This sync would delete %s of %s parcels (more than %.0f%%); it needs an explicit override",
                f"{counts.deleted:,}", f"{change_set.working_rows:,}", settings.thresholds.mass_delete * 100,
            )
        return change_set
    except BaseException as exc:
        if staged is not None:
            staged.close()
        if not dry_run:
            _record_failure(folder, started_at, mode, source, state, exc)
        lock.release()
        raise


# ---------------------------------------------------------------------------
# Commit: the one step that writes. Working table, journal, run and watermark in one transaction.
# ---------------------------------------------------------------------------
def commit(change_set: ChangeSet, *, allow_mass_delete: bool = False, progress: Progress | None = None,
           hold: Collection[str] = ()) -> SyncResult:
    """Apply a reviewed change set to working_db.sqlite and stats_db.sqlite, except the parcels in `hold`.

    Everything in the working database (parcels, journal, rejects, held list,
    run record, watermark) is one transaction: on any error or cancellation it
    is rolled back and the folder is exactly as before. Held parcels are
    journaled as `held` and offered again by every later sync (see `reoffer`);
    the result's counts are what was applied, plus `held`. Raises
    `MassDeleteRefused` (and keeps the change set open) for a flagged mass
    delete without `allow_mass_delete` (held deletions still count: the check
    is on the plan), and `HoldRefused` (change set open) for a held id the
    change set does not offer.
    """
    progress = progress or Progress()
    staged = change_set._open_store()
    if change_set.dry_run:
        raise ValueError("a dry-run change set cannot be committed; plan the sync again without dry_run")
    if change_set.mass_delete and not allow_mass_delete:
        raise MassDeleteRefused(
            f"This sync would delete {change_set.counts.deleted:,} of {change_set.working_rows:,} parcels. "
            "Check that the source is complete; if the deletions are right, confirm them explicitly "
            "(--allow-mass-delete on the command line)."
        )
    if too_old_to_commit(change_set.started_at):
        raise ReviewOutdated(
            f"This review was planned on {local_words(change_set.started_at)}, more than a week ago. "
            "Discard it and sync again for a fresh one."
        )
    # Held parcels are marked in the change set (kind `held`): every step below that applies
    # new, changed or deleted rows leaves them out by their kind, and the journal copies them as held.
    change_set.counts = staged.hold(hold, change_set.counts)
    figures: Future[pd.DataFrame] | None = None
    folder, counts = change_set.folder, change_set.counts
    status = RunStatus.NOTHING_TO_DO if change_set.nothing_to_do else RunStatus.COMMITTED
    chunk_rows = change_set.settings.chunk_rows
    # A run that changes no parcel only notes that it looked: losing that note to a power cut
    # is harmless, so it skips the disk flush (the database stays consistent either way).
    engine = sqlite_engine(folder.working_db, attach={"stage": staged.path}, durable=status is RunStatus.COMMITTED)
    try:
        with engine.begin() as conn:
            # An initial load's statistics are its own new parcels' figures (the working table was empty):
            # summed from the change set on a second core while this transaction writes them (sqlite3 lets
            # go of the GIL). Started once the transaction holds its locks: a reader already on the change
            # set would make BEGIN IMMEDIATE wait for it.
            if change_set.initial_load and counts.new:
                figures = _in_background(stats.initial_load_figures, staged.path, change_set.settings.source.code_table)
            store.migrate_working(conn)  # a folder of an earlier release is brought up to date here
            before = read_state(conn)
            # Never apply a plan to a working table that moved on (a review staged last night,
            # then a sync committed from another window): its old values and counts would lie.
            if before != change_set.state_before:
                raise ReviewOutdated(
                    f"The parcels changed since this review was planned on {local_words(change_set.started_at)}; "
                    "sync again.", details=f"planned on {change_set.state_before}; now {before}",
                )
            run_id = record_run(conn, change_set._run_record(status))

            # -- New and changed parcels, through the request's load function: merged in SQL from the
            # change set (staged with pandas to_sql).
            progress.step(Step.SAVE_PARCELS, counts.new + counts.changed)
            if change_set.initial_load:
                _load_into_empty(conn, counts, progress)
                log.info("Initial load of %s parcels into %s (%s)", f"{counts.new:,}", schema.WORKING_TABLE,
                         folder.working_db.name)
            else:
                _merge_slices(conn, staged, chunk_rows, progress)
                log.info("Loaded %s new and changed parcels into %s (%s)", f"{counts.new + counts.changed:,}",
                         schema.WORKING_TABLE, folder.working_db.name)

            # -- Touched parcels (same content, re-saved by the county): only last_updated follows the source.
            conn.exec_driver_sql(
                f"UPDATE {schema.WORKING_TABLE} SET {schema.LAST_UPDATED} = t.{schema.LAST_UPDATED} "
                f"FROM stage.touched t WHERE {schema.WORKING_TABLE}.id = t.id"
            )

            # -- Parcels gone from the source (full refresh only).
            if counts.deleted:
                for frame in staged.iter_frames(f"SELECT id FROM changes WHERE kind = {ChangeKind.DELETED.sql}", chunk_rows):
                    progress.check_cancelled()
                    conn.exec_driver_sql(f"DELETE FROM {schema.WORKING_TABLE} WHERE id = ?", [(i,) for i in frame[schema.ID]])
                    _log_ids("Deleted", frame[schema.ID].tolist())

            # -- Content hashes (sources without a timestamp), in the same transaction as the parcels.
            content_hash.commit_hashes(conn, by_content=not change_set.settings.source.has_timestamp,
                                       replace_all=change_set.mode != "incremental")

            # -- The lists of held and undone parcels offered again by later syncs.
            reoffer.record_at_commit(conn, run_id, to_utc_text(now_utc()), held_now=counts.held)

            # -- The journal of every applied change, and the rejected rows. An initial load journals only
            # the parcels that deserve a record of their own, those flagged or held back: its run record says
            # it loaded an empty table, and undoing it empties the table again (see `undo`).
            if change_set.initial_load:
                if counts.flagged or counts.held:
                    conn.execute(sa.text(store.journal_copy(f"kind = '{schema.HELD}' OR flags IS NOT NULL")), {"run_id": run_id})
            else:
                _journal_slices(conn, run_id, counts.to_apply, chunk_rows, progress)
            conn.execute(sa.text(store.REJECTS_COPY), {"run_id": run_id})

            # -- Advance the watermark to the newest source timestamp read (source time, not our clock).
            # last_run_id names the last run that changed parcels: the stats follow it.
            changed_parcels = counts.to_apply > 0
            save_state(conn, SyncState(
                watermark=change_set.watermark_after,
                last_success_at=to_utc_text(now_utc()),
                last_run_id=run_id if changed_parcels else before.last_run_id,
                source=change_set.source_identity,
            ))
            progress.check_cancelled()
        log.info("Committed run %s: county edits now loaded up to %s (before: %s)", run_id,
                 _readable(change_set.watermark_after), _readable(before.watermark))
    except BaseException as exc:
        if figures is not None:
            wait([figures])  # it reads the change set's file, which closing deletes
        change_set._close()
        _record_failure_of(change_set, exc)
        raise
    finally:
        engine.dispose()

    # -- Statistics follow in their own file; if this step fails they are rebuilt on the next sync.
    if changed_parcels:
        progress.step(Step.STATISTICS)
        try:
            stats.update_stats(folder.working_db, folder.stats_db, run_id, before.last_run_id, staged,
                               change_set.settings.source.code_table, initial_load=figures)
        except Exception:
            log.exception("Statistics could not be updated; they will be rebuilt at the next sync")
    change_set._close()
    return SyncResult(status, run_id, counts, change_set.state_before.watermark, change_set.watermark_after)


def discard(change_set: ChangeSet) -> SyncResult:
    """Throw a change set away: parcels, statistics and watermark stay exactly as they were.

    The run history notes the discarded run, except for a dry run, which leaves no trace.
    """
    change_set._open_store()
    run_id = None
    if not change_set.dry_run:
        run_id = record_unsuccessful_run(change_set.folder.working_db, change_set._run_record(RunStatus.DISCARDED))
    change_set._close()
    log.info("Change set discarded; nothing was changed")
    return SyncResult(RunStatus.DISCARDED, run_id, change_set.counts, change_set.state_before.watermark, change_set.state_before.watermark)


# ---------------------------------------------------------------------------
# Review later: a change set staged in the data folder, committed or discarded by another process
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WaitingReview:
    """What a staged change set holds, read without taking the folder's lock."""

    planned_at: str  # UTC text, when the sync began
    mode: str
    source: str
    counts: Counts

    @property
    def too_old(self) -> bool:
        """Planned longer ago than `MAX_REVIEW_AGE`: commit refuses it, sync again instead."""
        return too_old_to_commit(self.planned_at)


def too_old_to_commit(planned_at: str) -> bool:
    """Whether a change set planned at `planned_at` (UTC text) is past `MAX_REVIEW_AGE`, the county having moved on."""
    return now_utc() - from_utc_text(planned_at) > MAX_REVIEW_AGE


def stage(change_set: ChangeSet) -> WaitingReview:
    """Leave a planned change set waiting in the data folder and let go of the folder's lock.

    Only one waits per folder: staging again replaces it (the log says so). The
    run history learns of it when it is committed or discarded.
    """
    staged = change_set._open_store()
    if change_set.dry_run:
        raise ValueError("a dry-run change set cannot be staged; plan the sync again without dry_run")
    plan: dict[str, Any] = {
        "mode": change_set.mode, "source_description": change_set.source_description,
        "source_identity": change_set.source_identity, "started_at": change_set.started_at,
        "state_before": asdict(change_set.state_before), "watermark_after": change_set.watermark_after,
        "counts": change_set.counts.as_dict(), "working_rows": change_set.working_rows,
    }
    staged.save_plan(plan)
    staged.close(delete=False)
    with open(staged.path, "rb+") as file:  # it must survive a power cut overnight
        os.fsync(file.fileno())
    target = change_set.folder.waiting_review
    replaced = waiting_review(change_set.folder)
    os.replace(staged.path, target)
    if replaced is not None:
        log.info("Replaced the change set planned on %s that was waiting for review", replaced.planned_at)
    change_set.closed = True
    change_set._lock.release()
    log.info("Change set staged for review: %s", target)
    return _waiting_from(plan)


def waiting_review(folder: DataFolder) -> WaitingReview | None:
    """The change set waiting for review in `folder`, if any (None also for an unreadable one)."""
    path = folder.waiting_review
    if not path.exists():
        return None
    db = connect_read_only(path)
    try:
        plan = read_plan(db)
    finally:
        db.close()
    return _waiting_from(plan) if plan else None


def _waiting_from(plan: dict[str, Any]) -> WaitingReview:
    return WaitingReview(plan["started_at"], plan["mode"], plan["source_description"], Counts(**plan["counts"]))


def open_waiting(folder: DataFolder, settings: SyncSettings) -> ChangeSet:
    """Take the folder's lock and reopen the change set waiting for review, to page, commit or discard it.

    Raises `ChangeSetClosed` if none waits, `SourceChanged` if the settings now
    name another source, `DataFolderBusy` if another sync holds the folder.
    """
    lock = folder.acquire_sync_lock()
    try:
        if not folder.waiting_review.exists():
            raise ChangeSetClosed("There is no sync waiting for review. Run a sync first.")
        staged = ChangeStore(folder.waiting_review, settings.source.code_table, create=False)
        plan = staged.load_plan()
        if plan is None:  # unreadable (a crash while staging): nothing to offer
            staged.close()
            raise ChangeSetClosed("There is no sync waiting for review. Run a sync first.")
        if plan["source_identity"] != open_source(settings.source).identity:
            staged.close(delete=False)
            raise SourceChanged(
                "The sync waiting for review was planned from another source than the one set now. "
                "Discard it, or set that source again.", details=f"planned from {plan['source_identity']}",
            )
    except BaseException:
        lock.release()
        raise
    return ChangeSet(
        folder=folder, settings=settings, mode=plan["mode"], source_description=plan["source_description"],
        source_identity=plan["source_identity"], started_at=plan["started_at"],
        state_before=SyncState(**plan["state_before"]), watermark_after=plan["watermark_after"],
        counts=Counts(**plan["counts"]), working_rows=plan["working_rows"], _store=staged, _lock=lock,
        initial_load=staged.initial_load,
    )


def leave_waiting(change_set: ChangeSet) -> None:
    """Put a reopened waiting change set back, unchanged, and let go of the folder's lock (after a look)."""
    change_set._close(keep_file=True)


# ---------------------------------------------------------------------------
# The commit's steps that move many rows
# ---------------------------------------------------------------------------
def _load_into_empty(conn: sa.Connection, counts: Counts, progress: Progress) -> None:
    """An initial load: every new parcel in one ordered INSERT ... SELECT (a Cancel still stops it mid-way).

    The working table is checked empty inside the commit's transaction: a
    journal-less load must never be applied over parcels it would not record.
    """
    if conn.exec_driver_sql(f"SELECT 1 FROM {schema.WORKING_TABLE} LIMIT 1").fetchone():
        raise ReviewOutdated("The working table is no longer empty, so this first load cannot be applied; sync again.")
    with interruptible(cast(sqlite3.Connection, conn.connection.driver_connection), progress):
        create_and_load_working_db(StagedRows(
            f"SELECT {', '.join(schema.FIELDS)} FROM stage.changes WHERE kind = :kind ORDER BY id",
            {"kind": ChangeKind.NEW}, counts.new,
        ), conn)
    progress.advance(counts.new)


def _merge_slices(conn: sa.Connection, staged: ChangeStore, chunk_rows: int, progress: Progress) -> None:
    """New and changed parcels upserted a slice of parcel ids at a time, so a Cancel is seen between slices."""
    done = 0
    for kind in (ChangeKind.NEW, ChangeKind.CHANGED):
        last_id = ""
        while True:
            progress.check_cancelled()
            ids = staged.id_slice(kind, after=last_id, limit=chunk_rows)
            if not ids:
                break
            create_and_load_working_db(StagedRows(
                f"SELECT {', '.join(schema.FIELDS)} FROM stage.changes WHERE kind = :kind "
                "AND id > :after AND id <= :until ORDER BY id",
                {"kind": kind, "after": last_id, "until": ids[-1]}, len(ids),
            ), conn)
            _log_ids("Saved", ids)
            last_id = ids[-1]
            done += len(ids)
            progress.advance(done)


def _journal_slices(conn: sa.Connection, run_id: int, total: int, chunk_rows: int, progress: Progress) -> None:
    """Every change row into the journal, copied in rowid slices so a Cancel is still seen between slices."""
    progress.step(Step.JOURNAL, total)
    last_rowid = int(conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM stage.changes").scalar_one())
    for first in range(0, last_rowid, chunk_rows):
        progress.check_cancelled()
        conn.execute(sa.text(store.journal_copy("rowid > :first AND rowid <= :last")),
                     {"run_id": run_id, "first": first, "last": first + chunk_rows})
        progress.advance(min(first + chunk_rows, total))


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def _in_background(work: Callable[..., T], *args: Any) -> Future[T]:
    """`work(*args)` on a thread of its own; its outcome in the Future."""
    runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="commit-background")
    try:
        return runner.submit(work, *args)
    finally:
        runner.shutdown(wait=False)  # the thread ends with the work


def _readable(utc_text: str | None) -> str:
    """A stored time as a log line shows it: "2026-12-03 17:48:55 UTC" ("none" if there is none)."""
    return from_utc_text(utc_text).strftime("%Y-%m-%d %H:%M:%S UTC") if utc_text else "none"


def _clamped_watermark(watermark: str | None, now: str) -> str | None:
    """The stored watermark, but never later than `now`: a folder whose watermark a future-dated row
    pushed ahead (before this was guarded against) would otherwise skip every real edit."""
    if watermark is None or watermark <= now:
        return watermark
    log.warning("The saved 'county edits up to' time %s is in the future (a source row dated ahead, or a wrong "
                "clock); reading from now instead, %s, and saving that at the next commit", _readable(watermark),
                _readable(now))
    return now


def _describe_failure(exc: BaseException) -> tuple[RunStatus, str]:
    status = RunStatus.CANCELLED if isinstance(exc, (SyncCancelled, KeyboardInterrupt)) else RunStatus.FAILED
    message = exc.message if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
    return status, message


def _record_failure(folder: DataFolder, started_at: str, mode: str, source: AnySource, state: SyncState, exc: BaseException) -> None:
    if isinstance(exc, DataFolderBusy):
        return  # the other sync owns the folder; it will write the history
    status, message = _describe_failure(exc)
    log.log(logging.INFO if status is RunStatus.CANCELLED else logging.ERROR, "Sync %s: %s", status, message)
    record_unsuccessful_run(folder.working_db, RunRecord(
        started_at=started_at, finished_at=to_utc_text(now_utc()), mode=mode, status=status,
        source=source.describe(), counts=Counts(), watermark_before=state.watermark, error=message,
    ))


def _record_failure_of(change_set: ChangeSet, exc: BaseException) -> None:
    status, message = _describe_failure(exc)
    log.log(logging.INFO if status is RunStatus.CANCELLED else logging.ERROR, "Commit %s, nothing was changed: %s",
            status, message)
    record_unsuccessful_run(change_set.folder.working_db, change_set._run_record(status, message))


def _log_ids(action: str, ids: list[str]) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s parcels: %s", action, ", ".join(map(str, ids)))
