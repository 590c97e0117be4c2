"""Reading and writing the bookkeeping in working_db.sqlite: sync state and run history.

The tables are defined (and upgraded) in `store`. They live in the same file as `working` on purpose: one SQLite transaction then
covers the parcels, the watermark, the run record and the journal, so a crash
at any point leaves all of them as they were before the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from . import schema, store
from .schema import SUCCESSFUL, ChangeKind, Counts, RunStatus, SyncState
from .db import connect_read_only, sqlite_engine


@dataclass(frozen=True)
class RunRecord:
    """One row of the run history."""

    started_at: str
    mode: str
    status: RunStatus
    source: str
    counts: Counts
    watermark_before: str | None = None
    watermark_after: str | None = None
    finished_at: str | None = None
    error: str | None = None
    undoes: int | None = None  # an undo run: the run whose changes it took back
    initial_load: bool = False  # loaded an empty working table, its parcels not journaled one by one


def read_state(conn: sa.Connection) -> SyncState:
    """The sync state as seen by this connection (empty before the first commit)."""
    row = conn.exec_driver_sql(
        "SELECT watermark, last_success_at, last_run_id, source FROM sync_state WHERE singleton = 1"
    ).fetchone()
    return SyncState(*row) if row else SyncState()


def load_state(working_db: Path) -> SyncState:
    """The sync state of a data folder's working database (empty if there is none yet)."""
    if not working_db.exists():
        return SyncState()
    engine = sqlite_engine(working_db, read_only=True)
    try:
        with engine.connect() as conn:
            has_table = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'"
            ).fetchone()
            return read_state(conn) if has_table else SyncState()
    finally:
        engine.dispose()


def count_parcels(working_db: Path) -> int:
    """Rows in the working table (0 before the first commit)."""
    if not working_db.exists():
        return 0
    engine = sqlite_engine(working_db, read_only=True)
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (schema.WORKING_TABLE,)
            ).fetchone()
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {schema.WORKING_TABLE}").scalar_one()) if found else 0
    finally:
        engine.dispose()


def save_state(conn: sa.Connection, state: SyncState) -> None:
    """Replace the single sync-state row."""
    conn.exec_driver_sql(
        "INSERT INTO sync_state (singleton, watermark, last_success_at, last_run_id, source) VALUES (1, ?, ?, ?, ?) "
        "ON CONFLICT (singleton) DO UPDATE SET watermark = excluded.watermark, "
        "last_success_at = excluded.last_success_at, last_run_id = excluded.last_run_id, source = excluded.source",
        (state.watermark, state.last_success_at, state.last_run_id, state.source),
    )


def record_run(conn: sa.Connection, run: RunRecord) -> int:
    """Append a run to the history and return its id."""
    counts = run.counts.as_dict()
    columns = ["started_at", "finished_at", "mode", "status", "source", "watermark_before", "watermark_after", "error",
               "undoes", "initial_load"]
    values = [getattr(run, c) for c in columns] + list(counts.values())
    columns += list(counts)
    cursor = conn.exec_driver_sql(
        f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", tuple(values)
    )
    return int(cursor.lastrowid)


def record_unsuccessful_run(working_db: Path, run: RunRecord) -> int | None:
    """Append a failed, cancelled or discarded run in its own transaction.

    Parcels, statistics and the watermark are untouched; only the history
    learns what happened. Returns None if there is no working database yet
    (a first sync that failed creates nothing) or if even this cannot be
    written (the database may be what failed); the log has the error either way.
    """
    if not working_db.exists():
        return None
    engine = sqlite_engine(working_db)
    try:
        with engine.begin() as conn:
            store.migrate_working(conn)
            return record_run(conn, run)
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def recent_runs(working_db: Path, limit: int = 20) -> pd.DataFrame:
    """The latest runs, newest first (an empty frame before the first run)."""
    return _query(working_db, "runs", "SELECT * FROM runs ORDER BY run_id DESC LIMIT :n", {"n": limit})


#: The initial loads (`store.m008_runs_mark_initial_loads`) that loaded the parcel, as history rows. They
#: journal only flagged and held parcels, so a load shows where the parcel's next journal row (or, if none,
#: the working table) says it was there (a held row with old values: held as a change, not as new) and
#: neither the load's journal nor its rejects name it. Values: as loaded, that is the next row's old values
#: or the working row's. Reads `mine`, the parcel's journal rows (see `_PARCEL_HISTORY`).
_LOADED_INITIALLY = f"""
    SELECT l.run_id AS run, l.at AS "when", 'new' AS kind, NULL AS changed,
           {", ".join(f"NULL AS old_{f}, CASE WHEN n.row IS NULL THEN w.{f} ELSE n.old_{f} END AS new_{f}"
                      for f in schema.VALUE_FIELDS)}
    FROM (SELECT r.run_id, coalesce(r.finished_at, r.started_at) AS at,
                 (SELECT m.row FROM mine m WHERE m.run_id > r.run_id ORDER BY m.run_id, m.row LIMIT 1) AS next_row
          FROM runs r
          WHERE r.initial_load AND r.status = '{RunStatus.COMMITTED}'
            AND NOT EXISTS (SELECT 1 FROM mine m WHERE m.run_id = r.run_id)
            AND NOT EXISTS (SELECT 1 FROM rejects x WHERE x.run_id = r.run_id AND x.id = :parcel)) l
    LEFT JOIN mine n ON n.row = l.next_row
    LEFT JOIN {schema.WORKING_TABLE} w ON l.next_row IS NULL AND w.id = :parcel
    WHERE n.kind IN ('{ChangeKind.CHANGED}', '{ChangeKind.DELETED}') OR w.id IS NOT NULL
       OR (n.kind = '{schema.HELD}' AND coalesce({", ".join(f"n.old_{f}" for f in schema.VALUE_FIELDS)}) IS NOT NULL)
"""
#: A parcel's history: every journal row of it, newest first. An undo run's rows read as "undone".
#: The journal has no parcel index (see `store.m001_tables_of_v0_1_0`): its rows of the parcel are found
#: in one scan (`mine`), which both the journal's lines and the initial loads then read.
_JOURNAL_LINES = f"""
    WITH mine AS MATERIALIZED (SELECT rowid AS row, * FROM journal WHERE parcel_id = :parcel)
    SELECT j.run_id AS run, coalesce(r.finished_at, r.started_at) AS "when",
           CASE WHEN r.mode = 'undo' THEN 'undone' ELSE j.kind END AS kind, j.changed,
           {", ".join(f"j.old_{f}, j.new_{f}" for f in schema.VALUE_FIELDS)}
    FROM mine j JOIN runs r ON r.run_id = j.run_id
"""


def parcel_history(working_db: Path, parcel_id: str) -> pd.DataFrame:
    """Every run that touched a parcel, newest first: run, when (UTC text), kind (new, changed, deleted,
    held, undone), changed (field names, comma-separated) and old_<field> / new_<field> values."""
    # A folder of an earlier release, not yet migrated (that waits for its next commit), had no initial loads.
    loads = f"UNION ALL SELECT * FROM ({_LOADED_INITIALLY})" if _has_column(working_db, "runs", "initial_load") else ""
    return _query(working_db, "journal", f"{_JOURNAL_LINES} {loads} ORDER BY run DESC", {"parcel": parcel_id})


def _has_column(working_db: Path, table: str, column: str) -> bool:
    if not working_db.exists():
        return False
    db = connect_read_only(working_db)
    try:
        return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))
    finally:
        db.close()


def _query(working_db: Path, table: str, sql: str, params: dict[str, object]) -> pd.DataFrame:
    """A read-only query of the working database; an empty frame while it or `table` does not exist yet."""
    if not working_db.exists():
        return pd.DataFrame()
    engine = sqlite_engine(working_db, read_only=True)
    try:
        with engine.connect() as conn:
            if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
                return pd.DataFrame()
            return pd.read_sql_query(sa.text(sql), conn, params=params)
    finally:
        engine.dispose()


def run_marks(working_db: Path) -> tuple[int | None, set[int]]:
    """The last successful run and the failed runs (for the history's colours); (None, set()) before any run."""
    if not working_db.exists():
        return None, set()
    db = connect_read_only(working_db)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone():
            return None, set()
        marks = ", ".join("?" for _ in SUCCESSFUL)
        last = db.execute(f"SELECT max(run_id) FROM runs WHERE status IN ({marks})", SUCCESSFUL).fetchone()[0]
        failed = {r[0] for r in db.execute("SELECT run_id FROM runs WHERE status = ?", (RunStatus.FAILED,))}
        return last, failed
    finally:
        db.close()
