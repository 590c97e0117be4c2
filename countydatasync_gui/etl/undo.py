"""Undo a committed sync: every parcel it added, changed or deleted goes back to its state before the run.

The journal holds each applied change with old and new values, so an undo is
the journal read backwards: a parcel the run added is deleted, a changed one
gets its old values back, a deleted one returns. It is one transaction and a
run of its own (mode `undo`, `undoes` naming the run), journaled like any
other, so undoing the undo applies the changes again.

An initial load (a run that filled an empty working table) journals only its
flagged and held parcels: undoing it empties the table, and the undo journals
every parcel it removed, so that undoing the undo loads them again. Every
later run stands on it.

After an undo the next sync must offer the undone parcels again (the county's
values did not change): the watermark goes back to where the undone run
started (re-reading rows that did not change costs a comparison, nothing
more), and the content hashes of the undone parcels are forgotten, so a source
without timestamps compares them field by field again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from . import reoffer, schema, stats, store
from .datafolder import DataFolder
from .db import sqlite_engine
from .errors import SyncError, UndoBlocked
from .schema import ChangeKind, Counts, RunStatus, SyncState
from .state import RunRecord, read_state, record_run, save_state
from .timeutil import now_utc, to_utc_text
from .use_codes import DEFAULT_CODE_TABLE

log = logging.getLogger(__name__)

UNDO_MODE = "undo"
_NEW, _CHANGED, _DELETED = (kind.sql for kind in ChangeKind)
_FIELDS = ", ".join(schema.FIELDS)
_OLD_VALUES = ", ".join(f"old_{f}" for f in schema.VALUE_FIELDS)
_APPLIED = f"{_NEW}, {_CHANGED}, {_DELETED}"  # journal kinds that changed a parcel (not `held`)
# The undo's own journal: each change of the undone run, reversed (new <-> deleted, old <-> new values).
_REVERSED_JOURNAL = f"""
    INSERT INTO journal
    SELECT :undo_run, parcel_id,
           CASE kind WHEN {_NEW} THEN {_DELETED} WHEN {_DELETED} THEN {_NEW} ELSE kind END, changed, NULL,
           {", ".join(f"new_{f}, old_{f}" for f in schema.VALUE_FIELDS)}
    FROM journal WHERE run_id = :run AND kind IN ({_APPLIED}) ORDER BY rowid
"""
# The undo of an initial load: every parcel in the table, deleted (its values as the old ones).
_EMPTYING_JOURNAL = f"""
    INSERT INTO journal (run_id, parcel_id, kind, {", ".join(f"old_{f}" for f in schema.VALUE_FIELDS)})
    SELECT :undo_run, id, {_DELETED}, {", ".join(schema.VALUE_FIELDS)} FROM {schema.WORKING_TABLE} ORDER BY id
"""


@dataclass(frozen=True)
class UndoResult:
    """The undo runs recorded, newest undone first, and what they put back."""

    undo_runs: list[int]
    undone_runs: list[int]
    counts: Counts


def undo_run(folder: DataFolder, run_id: int, *, including_later: bool = False,
             code_table: str = DEFAULT_CODE_TABLE) -> UndoResult:
    """Take back committed run `run_id` (and, with `including_later`, the later runs that touched its parcels).

    Raises `UndoBlocked` (and changes nothing) if later runs changed some of the
    same parcels and `including_later` is not given, `SyncError` if the run
    cannot be undone (not committed, already undone, unknown). Holds the
    folder's lock, so no sync runs meanwhile.
    """
    lock = folder.acquire_sync_lock()
    engine = sqlite_engine(folder.working_db)
    try:
        with engine.begin() as conn:
            store.migrate_working(conn)
            _check_undoable(conn, run_id)
            later = _later_runs_touching(conn, run_id)
            if later and not including_later:
                raise UndoBlocked(run_id, later)
            undone = [*later, run_id]  # newest first: each undo sees the table as its run left it
            undo_runs, totals = [], Counts()
            state = read_state(conn)
            for run in undone:
                undo_id, counts = _undo_one(conn, run)
                undo_runs.append(undo_id)
                totals = Counts(**{k: getattr(totals, k) + getattr(counts, k) for k in totals.as_dict()})
            # The watermark goes back to where the earliest undone run began, so the next sync reads
            # the undone parcels again (a first load undone: no watermark, the next sync reads all).
            earliest = conn.exec_driver_sql("SELECT watermark_before FROM runs WHERE run_id = ?", (run_id,)).scalar()
            save_state(conn, SyncState(watermark=earliest, last_success_at=state.last_success_at,
                                       last_run_id=undo_runs[-1], source=state.source))
        log.info("Undid run %s (undo runs %s): %s parcels put back", ", ".join(map(str, undone)),
                 ", ".join(map(str, undo_runs)), f"{totals.to_apply:,}")
    finally:
        engine.dispose()
        lock.release()
    stats.rebuild_stats(folder.working_db, folder.stats_db, undo_runs[-1], code_table)
    return UndoResult(undo_runs, undone, totals)


def _check_undoable(conn: sa.Connection, run_id: int) -> None:
    row = conn.exec_driver_sql("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise SyncError(f"There is no run {run_id} in this data folder's history.")
    if row[0] != RunStatus.COMMITTED:
        raise SyncError(f"Run {run_id} changed no parcels ({row[0].replace('_', ' ')}), so there is nothing to undo.")
    if conn.exec_driver_sql("SELECT 1 FROM runs WHERE undoes = ?", (run_id,)).fetchone():
        raise SyncError(f"Run {run_id} was undone already. To apply it again, undo that undo.")


def _later_runs_touching(conn: sa.Connection, run_id: int) -> list[int]:
    """Committed runs after `run_id` whose changes still stand and touch a parcel it changed, newest first.

    A run and the undo that took it back cancel out, so neither counts: after
    "sync 2, undo of sync 2", sync 1 can be undone alone. An undo that was
    itself undone stands for nothing, and its run's changes stand again.
    """
    runs = conn.exec_driver_sql(
        "SELECT run_id, undoes FROM runs WHERE run_id > ? AND status = ? ORDER BY run_id DESC",
        (run_id, RunStatus.COMMITTED),
    ).fetchall()
    standing: dict[int, bool] = {}
    undos_of: dict[int, list[int]] = {}
    for later, undoes in runs:  # newest first: an undo run is always newer than the run it takes back
        standing[later] = not any(standing[u] for u in undos_of.get(later, ()))
        if undoes is not None:
            undos_of.setdefault(undoes, []).append(later)
    # An undo of a run after `run_id` only cancels that run: it does not count either.
    candidates = [r for r, undoes in runs if standing[r] and not (undoes is not None and undoes > run_id)]
    if not candidates or _initial_load(conn, run_id):
        return candidates  # undoing an initial load empties the table: every later change stands on it
    marks = ", ".join("?" for _ in candidates)
    touching = {r[0] for r in conn.exec_driver_sql(
        f"SELECT DISTINCT run_id FROM journal WHERE run_id IN ({marks}) AND kind IN ({_APPLIED}) "
        f"AND parcel_id IN (SELECT parcel_id FROM journal WHERE run_id = ? AND kind IN ({_APPLIED}))",
        (*candidates, run_id),
    )}
    return [r for r in candidates if r in touching]


def _initial_load(conn: sa.Connection, run_id: int) -> bool:
    return bool(conn.exec_driver_sql("SELECT initial_load FROM runs WHERE run_id = ?", (run_id,)).scalar())


def _undo_one(conn: sa.Connection, run_id: int) -> tuple[int, Counts]:
    """Reverse one run's journal in the working table; record and journal the undo run."""
    if _initial_load(conn, run_id):
        return _empty_the_table(conn, run_id)
    kinds: dict[str, int] = dict(conn.exec_driver_sql(
        "SELECT kind, count(*) FROM journal WHERE run_id = ? GROUP BY kind", (run_id,)).fetchall())
    counts = Counts(new=kinds.get(ChangeKind.DELETED, 0), changed=kinds.get(ChangeKind.CHANGED, 0),
                    deleted=kinds.get(ChangeKind.NEW, 0))
    now = to_utc_text(now_utc())
    undo_id = _record_undo_run(conn, run_id, counts, now)
    params = {"run": run_id, "undo_run": undo_id}
    # Changed and deleted parcels get their old values back (in parcel-id order, like every load).
    conn.execute(sa.text(
        f"INSERT INTO {schema.WORKING_TABLE} ({_FIELDS}) SELECT parcel_id, {_OLD_VALUES} FROM journal "
        f"WHERE run_id = :run AND kind IN ({_CHANGED}, {_DELETED}) ORDER BY parcel_id "
        f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{f} = excluded.{f}' for f in schema.VALUE_FIELDS)}"
    ), params)
    conn.execute(sa.text(
        f"DELETE FROM {schema.WORKING_TABLE} WHERE id IN "
        f"(SELECT parcel_id FROM journal WHERE run_id = :run AND kind = {_NEW})"
    ), params)
    # Hashes of the undone parcels would call them unchanged at the next content-compared sync.
    conn.execute(sa.text(
        f"DELETE FROM {store.HASH_TABLE} WHERE id IN (SELECT parcel_id FROM journal WHERE run_id = :run)"
    ), params)
    conn.execute(sa.text(_REVERSED_JOURNAL), params)
    # The next review marks these parcels as undone (undoing an undo applies the run again: no mark).
    undid_an_undo = conn.exec_driver_sql("SELECT mode FROM runs WHERE run_id = ?", (run_id,)).scalar() == UNDO_MODE
    reoffer.record_undo(conn, run_id, undo_id, reapplied=undid_an_undo, now=now)
    return undo_id, counts


def _empty_the_table(conn: sa.Connection, run_id: int) -> tuple[int, Counts]:
    """Undo an initial load (its later runs undone first): every parcel goes, journaled as deleted.

    No parcel stays marked undone for the next review (the later runs' marks
    go too): that sync loads an empty table again, every parcel offered as new.
    """
    counts = Counts(deleted=int(conn.exec_driver_sql(f"SELECT count(*) FROM {schema.WORKING_TABLE}").scalar_one()))
    undo_id = _record_undo_run(conn, run_id, counts, to_utc_text(now_utc()))
    conn.execute(sa.text(_EMPTYING_JOURNAL), {"undo_run": undo_id})
    conn.exec_driver_sql(f"DELETE FROM {schema.WORKING_TABLE}")
    conn.exec_driver_sql(f"DELETE FROM {store.HASH_TABLE}")
    conn.exec_driver_sql(f"DELETE FROM {reoffer.UNDONE_TABLE}")
    return undo_id, counts


def _record_undo_run(conn: sa.Connection, run_id: int, counts: Counts, now: str) -> int:
    return record_run(conn, RunRecord(
        started_at=now, finished_at=now, mode=UNDO_MODE, status=RunStatus.COMMITTED,
        source=f"undo of run {run_id}", counts=counts, undoes=run_id,
    ))
