"""Hostile table names, column names and values from a SQLite source round-trip safely."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.sync import commit, plan_sync
from countydatasync_gui.etl.state import parcel_history
from tests.support import working_fields

TABLE = "roll'); DROP TABLE keep_me; --"
OWNER_COLUMN = 'owner"; DELETE FROM keep_me; --'
ROWS = [
    ("'); DROP TABLE keep_me; --", "O'BRIEN; \"TRUSTEE\"", "001", 1.0, 100.0, "2024-01-01T00:00:00Z"),
    ("01-0001", "'; UPDATE working SET owner = 'pwned'; --", "001", 2.0, 200.0, "2024-01-02T00:00:00Z"),
    ("Robert'); --", "%_LIKE WILDCARDS_%", "011", 3.0, 300.0, "2024-01-03T00:00:00Z"),
]


def test_hostile_names_and_values_round_trip(tmp_path: Path, folder: DataFolder) -> None:
    path = tmp_path / "hostile.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE keep_me (x)")
        db.execute("INSERT INTO keep_me VALUES (1)")
        quoted_owner = OWNER_COLUMN.replace('"', '""')
        db.execute(f'CREATE TABLE "{TABLE}" (pid TEXT, "{quoted_owner}" TEXT, code TEXT, ac REAL, val REAL, ts TEXT)')
        db.executemany(f'INSERT INTO "{TABLE}" VALUES (?, ?, ?, ?, ?, ?)', ROWS)
    columns = {"id": "pid", "owner": OWNER_COLUMN, "use_code": "code", "acres": "ac", "assessed_value": "val", "last_updated": "ts"}
    settings = SyncSettings(SourceSettings(url=f"sqlite:///{path}", table=TABLE, columns=columns))

    change_set = plan_sync(folder, settings)
    searched = change_set.rows(search="'; UPDATE")  # the review's search is bound too
    result = commit(change_set)

    assert result.counts.new == 3 and result.counts.rejected == 0
    assert list(searched["id"]) == ["01-0001"]
    working = working_fields(folder).set_index("id")
    assert {i: working.loc[i, "owner"] for i, *_ in ROWS} == {i: owner for i, owner, *_ in ROWS}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT x FROM keep_me").fetchall() == [(1,)]
    # An initial load journals no parcel: each one's history reads its load from the working table, by a bound id.
    assert {i: parcel_history(folder.working_db, i)["new_owner"].tolist() for i, *_ in ROWS} == {
        i: [owner] for i, owner, *_ in ROWS}
