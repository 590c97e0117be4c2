"""The bookkeeping schema: a journal written by the first release is converted, not lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from countydatasync_gui.etl.db import sqlite_engine
from countydatasync_gui.etl.state import ensure_schema
from tests.support import read_table


def test_a_json_journal_of_the_first_release_becomes_a_column_per_field(tmp_path: Path) -> None:
    path = tmp_path / "working_db.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE journal (run_id INTEGER NOT NULL, parcel_id TEXT NOT NULL, kind TEXT NOT NULL,
                                  changed TEXT, flags TEXT, old_values TEXT, new_values TEXT);
            CREATE INDEX journal_parcel ON journal (parcel_id);
            INSERT INTO journal VALUES
                (1, '01-0001', 'new', NULL, NULL, NULL, '{"id":"01-0001","owner":"SMITH JOHN","acres":2.5}'),
                (2, '01-0001', 'changed', 'owner', NULL,
                 '{"id":"01-0001","owner":"SMITH JOHN","acres":2.5}', '{"id":"01-0001","owner":"DOE JANE","acres":2.5}');
            """
        )
    engine = sqlite_engine(path)
    with engine.begin() as conn:
        ensure_schema(conn)
        ensure_schema(conn)  # a second call finds nothing left to convert
    engine.dispose()

    journal = read_table(path, "journal", order_by="run_id")
    assert "old_values" not in journal.columns
    assert journal[["run_id", "kind", "old_owner", "new_owner", "new_acres"]].fillna("-").values.tolist() == [
        [1, "new", "-", "SMITH JOHN", 2.5], [2, "changed", "SMITH JOHN", "DOE JANE", 2.5],
    ]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal'").fetchall() == []
