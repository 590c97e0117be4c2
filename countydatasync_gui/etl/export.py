"""The load step: write DataFrames into working_db.sqlite and stats_db.sqlite with pandas `to_sql`.

These are the two functions the original request names. Both accept a target:
a database file, an open SQLAlchemy connection (to join the caller's
transaction, as the commit does), or nothing for the default data folder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from . import schema, store
from .datafolder import DataFolder
from .db import insert_rows_method, sqlite_engine

log = logging.getLogger(__name__)

Target = Path | sa.Connection | None

STATS_COLUMNS = ("id", "use_code", "description", "use_group", "parcel_count", "acres", "assessed_value")


@contextmanager
def _transaction(target: Target, default: Path) -> Iterator[tuple[sa.Connection, str]]:
    """Yield a connection inside a transaction, and the file name for log lines."""
    if isinstance(target, sa.Connection):
        yield target, Path(target.engine.url.database or default.name).name
        return
    path = Path(target) if target is not None else default
    engine = sqlite_engine(path)
    try:
        with engine.begin() as conn:
            yield conn, path.name
    finally:
        engine.dispose()


@dataclass(frozen=True)
class StagedRows:
    """Parcel rows already written to SQLite with pandas `to_sql` (a committed change set, attached).

    `select_sql` yields `schema.FIELDS` in order from an attached database and
    contains a WHERE clause (SQLite's rule for an upsert from a SELECT); ordered
    by id, the inserts fill the working table's B-tree in order.
    """

    select_sql: str
    params: Mapping[str, object]
    rows: int


def create_and_load_working_db(df_working: pd.DataFrame | StagedRows, target: Target = None) -> int:
    """Upsert parcels into the `working` table of working_db.sqlite; return the row count written.

    Creates the database and the table (``id`` as primary key) if needed. Rows
    whose id already exists replace the stored values of the columns given;
    new ids are inserted. A DataFrame needs an ``id`` column and may carry any
    of the other parcel fields; it is written with pandas `to_sql`. The commit
    passes `StagedRows` instead: the reviewed change set, staged with `to_sql`
    when it was planned, is merged with one ``INSERT ... SELECT ... ON CONFLICT``
    inside SQLite, so no row passes through Python twice (a million parcels:
    about 2 s less than reading them back into pandas and writing them again).
    """
    if isinstance(df_working, StagedRows):
        statement = f"INSERT INTO {schema.WORKING_TABLE} ({', '.join(schema.FIELDS)}) {df_working.select_sql} "
        statement += _upsert_clause(list(schema.FIELDS))
        columns = list(schema.FIELDS)
    else:
        unknown = set(df_working.columns) - set(schema.FIELDS)
        if schema.ID not in df_working.columns or unknown:
            raise ValueError(f"df_working needs an '{schema.ID}' column and only parcel fields; unexpected: {sorted(unknown)}")
        columns = list(df_working.columns)
    with _transaction(target, DataFolder.resolve().working_db) as (conn, name):
        store.migrate_working(conn)
        if isinstance(df_working, StagedRows):
            conn.exec_driver_sql(statement, dict(df_working.params))
        else:
            # if_exists='append': the table (with its primary key) is ours; pandas only inserts.
            df_working.to_sql(schema.WORKING_TABLE, conn, if_exists="append", index=False,
                              method=insert_rows_method(_upsert_clause(columns)))
    # Inside a caller's transaction this is one chunk of many: the caller logs the total.
    level = logging.DEBUG if isinstance(target, sa.Connection) else logging.INFO
    rows = df_working.rows if isinstance(df_working, StagedRows) else len(df_working)
    log.log(level, "Loaded %s rows into %s (%s)", f"{rows:,}", schema.WORKING_TABLE, name)
    return rows


def _upsert_clause(columns: list[str]) -> str:
    """ON CONFLICT by id: the columns given replace the stored ones (none besides the id: keep the row)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != schema.ID)
    return f"ON CONFLICT ({schema.ID}) DO UPDATE SET {updates}" if updates else f"ON CONFLICT ({schema.ID}) DO NOTHING"


def create_and_load_stats_db(df_stats: pd.DataFrame, target: Target = None, *, built_from_run: int | None = None) -> int:
    """Replace the `stats` table of stats_db.sqlite with `df_stats`; return the row count.

    `built_from_run` records which sync run the figures reflect, so a stats
    database that lags behind the working table (a crash between the two
    commits) is noticed and rebuilt.
    """
    with _transaction(target, DataFolder.resolve().stats_db) as (conn, name):
        store.migrate_stats(conn)
        df_stats.to_sql(
            schema.STATS_TABLE, conn, if_exists="replace", index=False,
            dtype={"id": sa.Integer(), "parcel_count": sa.Integer()},
        )
        conn.exec_driver_sql("DELETE FROM stats_meta")
        conn.exec_driver_sql(
            "INSERT INTO stats_meta VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", (built_from_run,)
        )
    log.info("Wrote %s land-use rows to %s (%s)", len(df_stats), schema.STATS_TABLE, name)
    return len(df_stats)
