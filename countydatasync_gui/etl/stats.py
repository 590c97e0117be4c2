"""Figures per land-use code: built from the whole working table, or kept exact by each commit's deltas.

A full GROUP BY over a million parcels takes over a second; an incremental
sync only needs to add what it added and subtract what it removed, so commits
apply deltas. Stats record the run they reflect; if that is not the working
table's last run (a crash between the two commits), they are rebuilt. An
initial load's figures are its change set's own, summed while it is committed.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from . import schema
from .schema import ChangeKind, SyncState
from .changeset import ChangeStore
from .db import BUSY_TIMEOUT_MS, connect_read_only, sqlite_engine
from .export import STATS_COLUMNS, create_and_load_stats_db
from .state import load_state
from .use_codes import DEFAULT_CODE_TABLE, UNKNOWN_GROUP, use_code_table

_FIGURES = ["parcel_count", "acres", "assessed_value"]


def aggregate_working(working_db: Path, code_table: str = DEFAULT_CODE_TABLE) -> pd.DataFrame:
    """Stats computed from scratch over the whole working table (codes described by `code_table`)."""
    engine = sqlite_engine(working_db, read_only=True)
    try:
        with engine.connect() as conn:
            totals = pd.read_sql_query(
                sa.text(
                    f"SELECT use_code, count(*) AS parcel_count, total(acres) AS acres, "
                    f"total(assessed_value) AS assessed_value FROM {schema.WORKING_TABLE} GROUP BY use_code"
                ),
                conn,
            )
    finally:
        engine.dispose()
    return _finish(totals, code_table)


def deltas(change_set: sqlite3.Connection) -> pd.DataFrame:
    """What a change set (a connection to its file) adds to and removes from each land-use code's figures."""
    # NOT INDEXED: the table holds only this change set, and reading it in storage order
    # visits each page once where the kind index would jump between them (half the time).
    return pd.read_sql_query(
        f"""
        SELECT use_code, sum(n) AS parcel_count, total(a) AS acres, total(v) AS assessed_value FROM (
            SELECT use_code, 1 AS n, acres AS a, assessed_value AS v
                FROM changes NOT INDEXED WHERE kind IN ({ChangeKind.NEW.sql}, {ChangeKind.CHANGED.sql})
            UNION ALL
            SELECT old_use_code, -1, -old_acres, -old_assessed_value
                FROM changes NOT INDEXED WHERE kind IN ({ChangeKind.CHANGED.sql}, {ChangeKind.DELETED.sql})
        ) GROUP BY use_code
        """,
        change_set,
    )


def initial_load_figures(change_set: Path, code_table: str = DEFAULT_CODE_TABLE) -> pd.DataFrame:
    """An initial load's statistics, from its change set file alone: the working table was empty, so they are
    its new parcels' figures (those held back left out), as `aggregate_working` finds them after the commit.

    Reads through a connection of its own, so the commit can sum them on a second core while it writes.
    """
    db = connect_read_only(change_set)
    try:
        return _finish(deltas(db), code_table)
    finally:
        db.close()


def _stored_figures(stats_db: Path) -> pd.DataFrame:
    """The stored stats' figures per land-use code (call only when `stats_built_from` found stats)."""
    engine = sqlite_engine(stats_db, read_only=True)
    try:
        with engine.connect() as conn:
            return pd.read_sql_query(sa.text(f"SELECT use_code, {', '.join(_FIGURES)} FROM {schema.STATS_TABLE}"), conn)
    finally:
        engine.dispose()


def stats_built_from(stats_db: Path) -> int | None:
    """The run the stored stats reflect (None if there are none); reads one value, not the table."""
    if not stats_db.exists():
        return None
    db = connect_read_only(stats_db)
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {schema.STATS_TABLE, "stats_meta"} <= names:
            return None
        row = db.execute("SELECT built_from_run FROM stats_meta").fetchone()
        return row[0] if row else None
    finally:
        db.close()


def rebuild_stats(working_db: Path, stats_db: Path, run_id: int, code_table: str = DEFAULT_CODE_TABLE) -> None:
    """Replace the stats with a fresh aggregation of the whole working table."""
    create_and_load_stats_db(aggregate_working(working_db, code_table), stats_db, built_from_run=run_id)


def update_stats(
    working_db: Path, stats_db: Path, run_id: int, previous_run_id: int | None, change: ChangeStore,
    code_table: str = DEFAULT_CODE_TABLE, *, initial_load: Future[pd.DataFrame] | None = None,
) -> None:
    """After a commit: apply the committed change set's deltas if the stats reflect the previous run, else rebuild.

    `initial_load`: the figures of an initial load (`initial_load_figures`), summed while it was committed.
    """
    if initial_load is not None:
        create_and_load_stats_db(initial_load.result(), stats_db, built_from_run=run_id)
        return
    built_from = stats_built_from(stats_db)
    if built_from is None or built_from != previous_run_id:
        rebuild_stats(working_db, stats_db, run_id, code_table)
        return
    combined = pd.concat([_stored_figures(stats_db), deltas(change.db)], ignore_index=True)
    totals = combined.groupby("use_code", dropna=False, as_index=False)[_FIGURES].sum()
    create_and_load_stats_db(_finish(totals[totals["parcel_count"] > 0], code_table), stats_db, built_from_run=run_id)


def ensure_stats_current(
    working_db: Path, stats_db: Path, code_table: str = DEFAULT_CODE_TABLE, *, state: SyncState | None = None
) -> bool:
    """Rebuild the stats if they lag behind the working table; True if a rebuild was needed.

    `state`: the working database's sync state if the caller has just read it.
    """
    state = load_state(working_db) if state is None else state
    if state.last_run_id is None or stats_built_from(stats_db) == state.last_run_id:
        return False
    rebuild_stats(working_db, stats_db, state.last_run_id, code_table)
    return True


def _finish(totals: pd.DataFrame, code_table: str = DEFAULT_CODE_TABLE) -> pd.DataFrame:
    """Add descriptions and groups, round away float noise, number the rows in code order."""
    codes = use_code_table(code_table).rename(columns={"code": "use_code", "meaning": "description", "group": "use_group"})
    result = totals.merge(codes, on="use_code", how="left")
    result["description"] = result["description"].fillna("Not in the land-use code table")
    result.loc[result["use_code"].isna(), "description"] = "No land-use code"
    result["use_group"] = result["use_group"].fillna(UNKNOWN_GROUP)
    result["parcel_count"] = result["parcel_count"].astype("int64")
    # Deltas add and subtract floats; rounding to 1/10,000 acre and to the cent keeps
    # the delta-maintained figures equal to a fresh aggregation.
    result["acres"] = result["acres"].astype(float).round(4)
    result["assessed_value"] = result["assessed_value"].astype(float).round(2)
    result = result.sort_values("use_code", na_position="last").reset_index(drop=True)
    result["id"] = range(1, len(result) + 1)
    return result[list(STATS_COLUMNS)]


def group_totals(stats_db: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> list[tuple[str, int, float]]:
    """(land-use group, parcels, assessed value) per group, largest group first; [] if there are no stats yet."""
    if not stats_db.exists():
        return []
    db = connect_read_only(stats_db, busy_timeout_ms=busy_timeout_ms)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (schema.STATS_TABLE,)).fetchone():
            return []
        rows = db.execute(
            f"SELECT coalesce(use_group, ?), sum(parcel_count), total(assessed_value) "
            f"FROM {schema.STATS_TABLE} GROUP BY 1 ORDER BY 2 DESC, 1", (UNKNOWN_GROUP,)
        ).fetchall()
    finally:
        db.close()
    return [(str(g), int(n or 0), float(v or 0)) for g, n, v in rows]
