"""Change detection by content, for sources without a usable last-updated column.

Such a source (a Florida NAL roll, a file export) is read whole at every sync.
Each row's mapped, validated content is hashed; a row whose hash equals the one
stored at the last sync is unchanged and skipped before any column comparison.
The rest are classified as usual (new, changed with the changed columns), and
parcels missing from the source are deleted, since the whole source was read.

The hashes live in `source_hashes` in working_db.sqlite (defined in `store`)
and are written by the commit, inside its transaction: a discarded or failed sync leaves them as they
were. A hash that no longer matches for any other reason (e.g. a new pandas
hashing its values differently) only costs a column comparison, never a wrong
answer, because a row whose hash differs is still compared field by field.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
import sqlalchemy as sa

from . import schema
from .store import HASH_TABLE

HASH_COLUMN = "content_hash"
# A fixed key, so the same content hashes the same in every run and process.
_HASH_KEY = "CountyDataSync01"


def row_hashes(valid: pd.DataFrame) -> pd.Series:
    """One 64-bit hash per row over the compared fields (as SQLite INTEGERs)."""
    hashed = pd.util.hash_pandas_object(valid[list(schema.VALUE_FIELDS)], index=False, hash_key=_HASH_KEY)
    # SQLite integers are signed: store the same 64 bits as int64.
    return pd.Series(hashed.to_numpy(dtype="uint64").view("int64"), index=valid.index)


def stored_hash_matches(alias: str) -> str:
    """SQL: true when row `alias` of `incoming` has the hash stored at the last sync (needs `work` attached)."""
    return f"EXISTS (SELECT 1 FROM work.{HASH_TABLE} h WHERE h.id = {alias}.id AND h.hash = {alias}.{HASH_COLUMN})"


def has_stored_hashes(db: sqlite3.Connection) -> bool:
    """True if the attached working database (`work`) holds hashes from an earlier sync.

    A folder not yet upgraded (planning only reads) may lack the table: no hashes either.
    """
    found = db.execute("SELECT 1 FROM work.sqlite_master WHERE type = 'table' AND name = ?", (HASH_TABLE,)).fetchone()
    return found is not None and db.execute(f"SELECT 1 FROM work.{HASH_TABLE} LIMIT 1").fetchone() is not None


def stage_hashes_to_store(db: sqlite3.Connection, compare_stored: bool) -> None:
    """In the change set: the (id, hash) pairs the commit must save (those not stored already)."""
    skip = f"AND NOT {stored_hash_matches('i')}" if compare_stored else ""
    db.execute(
        f"CREATE TABLE hashes_to_store AS SELECT i.id, i.{HASH_COLUMN} AS hash FROM incoming i "
        f"WHERE i.{HASH_COLUMN} IS NOT NULL {skip}"
    )


def commit_hashes(conn: sa.Connection, *, by_content: bool, replace_all: bool) -> None:
    """The commit's hash step, inside its transaction (the change set is attached as `stage`).

    A content-compared change set stores the hashes it found new and forgets
    those of deleted parcels; a timestamp sync drops any hashes left from an
    earlier content-mode sync, which would be stale.
    """
    if not by_content or replace_all:
        # A full refresh starts the hashes afresh, so hashes of another source or an older layout can
        # never mark a row unchanged; a timestamp sync keeps none (they would go stale).
        conn.exec_driver_sql(f"DELETE FROM {HASH_TABLE}")
    if not by_content:
        return
    save_hashes(conn)
    forget_hashes(conn)


def save_hashes(conn: sa.Connection) -> None:
    """Copy the change set's `hashes_to_store` into the hash table, inside SQLite."""
    conn.exec_driver_sql(
        f"INSERT INTO {HASH_TABLE} (id, hash) SELECT id, hash FROM stage.hashes_to_store WHERE true "
        "ON CONFLICT (id) DO UPDATE SET hash = excluded.hash"
    )


def forget_hashes(conn: sa.Connection) -> None:
    """Drop the hashes of the parcels this commit deletes or holds back (a held parcel was not applied:
    its new hash would call it unchanged at the next sync)."""
    forgotten = f"{schema.ChangeKind.DELETED.sql}, '{schema.HELD}'"
    conn.exec_driver_sql(f"DELETE FROM {HASH_TABLE} WHERE id IN (SELECT id FROM stage.changes WHERE kind IN ({forgotten}))")
