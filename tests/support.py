"""Helpers for tests: a real SQLite source a test edits like a county would, and table readers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable

import pandas as pd

from countydatasync_gui.etl import schema
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.etl.session import SyncSession
from countydatasync_gui.etl.sync import SyncResult, WaitingReview, commit, plan_sync


class SourceTable:
    """A real SQLite source file with a `parcels` table that tests edit like a county would."""

    def __init__(self, path: Path, *, primary_key: bool = True) -> None:
        self.path = path
        with self._db() as db:
            db.execute(
                f"CREATE TABLE parcels (id TEXT {'PRIMARY KEY' if primary_key else ''}, owner TEXT, use_code TEXT, acres REAL, "
                "assessed_value REAL, last_updated TEXT, site_address TEXT, land_value REAL, improvement_value REAL)"
            )

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def settings(self, **source_options: object) -> SyncSettings:
        return SyncSettings(source=SourceSettings(url=self.url, **source_options))

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def upsert(self, rows: Iterable[dict[str, object]]) -> None:
        with self._db() as db:
            for row in rows:
                columns = ", ".join(row)
                db.execute(
                    f"INSERT OR REPLACE INTO parcels ({columns}) VALUES ({', '.join('?' for _ in row)})",
                    tuple(row.values()),
                )

    def update(self, parcel_id: str, **values: object) -> None:
        with self._db() as db:
            assignments = ", ".join(f"{k} = ?" for k in values)
            db.execute(f"UPDATE parcels SET {assignments} WHERE id = ?", (*values.values(), parcel_id))

    def delete(self, *parcel_ids: str) -> None:
        with self._db() as db:
            db.executemany("DELETE FROM parcels WHERE id = ?", [(i,) for i in parcel_ids])

    def frame(self) -> pd.DataFrame:
        with self._db() as db:
            return pd.read_sql_query("SELECT * FROM parcels ORDER BY id", db)


def parcel(parcel_id: str, last_updated: str | None = "2024-01-01 09:00:00", **overrides: object) -> dict[str, object]:
    """A plausible source row; override any field."""
    row: dict[str, object] = {
        "id": parcel_id, "owner": f"OWNER {parcel_id}", "use_code": "001", "acres": 0.25,
        "assessed_value": 100_000.0, "last_updated": last_updated, "site_address": f"{parcel_id} OAK ST",
        "land_value": 40_000.0, "improvement_value": 60_000.0,
    }
    row.update(overrides)
    return row


def read_table(path: Path, table: str, order_by: str = "id") -> pd.DataFrame:
    """A whole table of a SQLite file (empty frame if the file or table does not exist)."""
    if not path.exists():
        return pd.DataFrame()
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        return pd.read_sql_query(f"SELECT * FROM {table} ORDER BY {order_by}", db) if found else pd.DataFrame()


def working_fields(folder: DataFolder) -> pd.DataFrame:
    """The working table, parcel fields only, ordered by id."""
    return read_table(folder.working_db, schema.WORKING_TABLE)[list(schema.FIELDS)].reset_index(drop=True)


def sync(folder: DataFolder, source: SourceTable, **options: object) -> SyncResult:
    """Plan and commit, as `countydatasync sync --yes` does."""
    allow = bool(options.pop("allow_mass_delete", False))
    settings = options.pop("settings", None) or source.settings()
    return commit(plan_sync(folder, settings, **options), allow_mass_delete=allow)


def stage(folder: DataFolder, settings: SyncSettings) -> WaitingReview:
    """Plan a sync and leave it waiting in the folder, as the nightly `countydatasync sync --stage` does."""
    session = SyncSession(folder, settings)
    session.plan()
    return session.stage()


def snapshot(folder: DataFolder) -> tuple[pd.DataFrame, pd.DataFrame, str | None, pd.DataFrame]:
    """Everything a failed or discarded sync must leave exactly as it was."""
    return (
        read_table(folder.working_db, "working"),
        read_table(folder.stats_db, "stats"),
        load_state(folder.working_db).watermark,
        read_table(folder.working_db, "journal", order_by="rowid"),
    )


def assert_unchanged(before: tuple, after: tuple) -> None:
    for old, new in zip(before, after, strict=True):
        if isinstance(old, pd.DataFrame):
            pd.testing.assert_frame_equal(old, new)
        else:
            assert old == new
