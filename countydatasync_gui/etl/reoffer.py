"""Parcels every later sync offers again for review: held back by a clerk, or put back by an undo.

Both lists live in working_db.sqlite (tables `held` and `undone`, see
`store.m006_held_and_undone_parcels`), so they change in the same transaction
as the parcels:

* A held parcel was offered but not applied. The watermark moves on without
  it, so every plan reads the held parcels again by id from the source (with
  the county's then-current values) until a commit applies one, or the
  county's record no longer differs from the working table (then it is dropped
  from the list and the log says so). One the county deleted is offered as a
  delete.
* An undone parcel is offered again because the undo moved the watermark back;
  the list only marks it in the review ("undone on ..."), and every commit
  clears it (the first plan after the undo offered them all). Held wins.

The plan marks such rows in the change set: `earlier` is "held" or "undone"
(NULL otherwise) and `note` says it in a clerk's words.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from .db import connect_read_only
from .schema import HELD, ChangeKind

log = logging.getLogger(__name__)

HELD_TABLE = "held"
UNDONE_TABLE = "undone"
#: `changes.earlier` of a parcel held back by an earlier run / put back by an undo
EARLIER_HELD, EARLIER_UNDONE = "held", "undone"
_APPLIED = ", ".join(kind.sql for kind in ChangeKind)


def held_ids(working_db: Path) -> list[str]:
    """The ids of the parcels held back in this folder, in id order (none before the first hold)."""
    if not working_db.exists():
        return []
    db = connect_read_only(working_db)
    try:
        if not _has_table(db, "main", HELD_TABLE):
            return []
        return [row[0] for row in db.execute(f"SELECT parcel_id FROM {HELD_TABLE} ORDER BY parcel_id")]
    finally:
        db.close()


def held_parcels(working_db: Path) -> pd.DataFrame:
    """The held parcels: id, kind (what applying it would do), held_since (UTC text), run (that last held it)."""
    columns = ["id", "kind", "held_since", "run"]
    if not working_db.exists():
        return pd.DataFrame(columns=columns)
    db = connect_read_only(working_db)
    try:
        if not _has_table(db, "main", HELD_TABLE):
            return pd.DataFrame(columns=columns)
        return pd.read_sql_query(
            f"SELECT parcel_id AS id, kind, held_at AS held_since, run_id AS run FROM {HELD_TABLE} ORDER BY parcel_id", db)
    finally:
        db.close()


def mark_earlier(db: sqlite3.Connection) -> None:
    """In a change set being classified (working database attached as `work`): mark held and undone rows.

    The undone marks are written first, so a parcel both undone and held
    reads as held.
    """
    if _has_table(db, "work", UNDONE_TABLE):
        db.execute(
            f"UPDATE changes SET earlier = '{EARLIER_UNDONE}', note = 'undone on ' "
            "|| strftime('%Y-%m-%d', u.undone_at, 'localtime') || ' (run ' || u.undone_run || ')' "
            f"FROM work.{UNDONE_TABLE} u WHERE u.parcel_id = changes.id"
        )
    if _has_table(db, "work", HELD_TABLE):
        db.execute(
            f"UPDATE changes SET earlier = '{EARLIER_HELD}', note = 'held back since ' "
            "|| strftime('%Y-%m-%d', h.held_at, 'localtime') || ' (run ' || h.run_id || ')' "
            f"FROM work.{HELD_TABLE} h WHERE h.parcel_id = changes.id"
        )


def record_at_commit(conn: sa.Connection, run_id: int, now: str, *, held_now: int) -> None:
    """Inside a commit's transaction (the change set attached as `stage`): bring both lists up to date.

    A held parcel this change set did not offer (and did not reject) no longer
    differs from the working table: it leaves the list. One it applied leaves
    it too. The parcels held in this run (`held_now` of them) join it (or move
    to this run). Each held parcel is looked up by id in the change set, so the
    work follows the list, not the change set (a first load's million rows).
    """
    offered = f"SELECT 1 FROM stage.changes c WHERE c.id = {HELD_TABLE}.parcel_id"
    gone = [row[0] for row in conn.exec_driver_sql(
        f"DELETE FROM {HELD_TABLE} WHERE NOT EXISTS ({offered}) "
        f"AND NOT EXISTS (SELECT 1 FROM stage.rejected r WHERE r.id = {HELD_TABLE}.parcel_id) RETURNING parcel_id")]
    if gone:
        log.info("No longer held back (the county's record now equals the working table): %s", ", ".join(sorted(gone)))
    conn.exec_driver_sql(f"DELETE FROM {HELD_TABLE} WHERE EXISTS ({offered} AND c.kind IN ({_APPLIED}))")
    if held_now:
        conn.execute(sa.text(
            f"INSERT INTO {HELD_TABLE} (parcel_id, kind, run_id, held_at) "
            f"SELECT id, held_kind, :run, :now FROM stage.changes WHERE kind = '{HELD}' ORDER BY id "
            "ON CONFLICT (parcel_id) DO UPDATE SET kind = excluded.kind, run_id = excluded.run_id"
        ), {"run": run_id, "now": now})
    conn.exec_driver_sql(f"DELETE FROM {UNDONE_TABLE}")


def record_undo(conn: sa.Connection, undone_run: int, undo_run: int, *, reapplied: bool, now: str) -> None:
    """Inside an undo's transaction: the parcels of `undone_run` are marked undone for the next review.

    Undoing an undo (`reapplied`) applies the original run again: its parcels
    lose the mark instead.
    """
    applied = f"SELECT parcel_id FROM journal WHERE run_id = :run AND kind IN ({_APPLIED})"
    if reapplied:
        conn.execute(sa.text(f"DELETE FROM {UNDONE_TABLE} WHERE parcel_id IN ({applied})"), {"run": undone_run})
        return
    conn.execute(sa.text(
        f"INSERT OR REPLACE INTO {UNDONE_TABLE} (parcel_id, undo_run, undone_run, undone_at) "
        f"SELECT DISTINCT parcel_id, :undo, :run, :now FROM ({applied})"
    ), {"run": undone_run, "undo": undo_run, "now": now})


def _has_table(db: sqlite3.Connection, schema_name: str, table: str) -> bool:
    return db.execute(f"SELECT 1 FROM {schema_name}.sqlite_master WHERE type = 'table' AND name = ?",
                      (table,)).fetchone() is not None
