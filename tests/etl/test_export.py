"""Unit tests for the request's two load functions (pandas to_sql into real SQLite files)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui.etl import schema
from countydatasync_gui.etl.db import sqlite_engine
from countydatasync_gui.etl.export import StagedRows, create_and_load_stats_db, create_and_load_working_db
from tests.support import read_table


def _working_frame(*ids: str, owner: str = "SMITH JOHN") -> pd.DataFrame:
    return pd.DataFrame({"id": list(ids), "owner": owner, "use_code": "001", "acres": 0.5, "assessed_value": 120_000.0})


def _column_types(path: Path, table: str) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return {row[1]: row[2] for row in db.execute(f"PRAGMA table_info({table})")}


def test_working_db_is_created_with_id_primary_key_and_typed_columns(tmp_path: Path) -> None:
    target = tmp_path / "working_db.sqlite"
    assert create_and_load_working_db(_working_frame("01-0042", "1-1109", "11-109"), target) == 3

    types = _column_types(target, "working")
    assert types["id"] == "TEXT" and types["acres"] == "REAL" and types["owner"] == "TEXT"
    with sqlite3.connect(target) as db:
        primary_key = [row[1] for row in db.execute("PRAGMA table_info(working)") if row[5]]
    assert primary_key == ["id"]
    # Ids stay text: dashes and leading zeros survive, and 1-1109 and 11-109 stay two parcels.
    assert read_table(target, "working")["id"].tolist() == ["01-0042", "1-1109", "11-109"]


def test_working_db_upserts_by_id_instead_of_duplicating(tmp_path: Path) -> None:
    target = tmp_path / "working_db.sqlite"
    create_and_load_working_db(_working_frame("A", "B"), target)
    create_and_load_working_db(_working_frame("B", "C", owner="JONES MARY"), target)

    table = read_table(target, "working")
    assert table["id"].tolist() == ["A", "B", "C"]
    assert table.set_index("id")["owner"].to_dict() == {"A": "SMITH JOHN", "B": "JONES MARY", "C": "JONES MARY"}


def test_working_db_updates_only_the_columns_given(tmp_path: Path) -> None:
    target = tmp_path / "working_db.sqlite"
    create_and_load_working_db(_working_frame("A"), target)
    create_and_load_working_db(pd.DataFrame({"id": ["A"], "owner": ["NEW OWNER"]}), target)

    row = read_table(target, "working").iloc[0]
    assert row["owner"] == "NEW OWNER" and row["assessed_value"] == 120_000.0


def test_working_db_rejects_unknown_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="favourite_colour"):
        create_and_load_working_db(pd.DataFrame({"id": ["A"], "favourite_colour": ["red"]}), tmp_path / "w.sqlite")


def test_working_db_logs_file_and_row_count(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="countydatasync_gui"):
        create_and_load_working_db(_working_frame("A", "B"), tmp_path / "working_db.sqlite")
    assert "Loaded 2 rows into working (working_db.sqlite)" in caplog.text


def test_working_db_defaults_to_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTYDATASYNC_DATA_DIR", str(tmp_path / "county"))
    (tmp_path / "county").mkdir()
    create_and_load_working_db(_working_frame("A"))
    assert read_table(tmp_path / "county" / "working_db.sqlite", "working")["id"].tolist() == ["A"]


def _stats_frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({
        "id": range(1, rows + 1), "use_code": [f"{i:03d}" for i in range(rows)], "description": "Single family",
        "use_group": "Residential", "parcel_count": 10, "acres": 2.5, "assessed_value": 1_000_000.0,
    })


def test_stats_db_replaces_the_table_each_time(tmp_path: Path) -> None:
    target = tmp_path / "stats_db.sqlite"
    assert create_and_load_stats_db(_stats_frame(5), target, built_from_run=1) == 5
    assert create_and_load_stats_db(_stats_frame(2), target, built_from_run=2) == 2

    stats = read_table(target, "stats")
    assert stats["use_code"].tolist() == ["000", "001"]
    assert list(stats.columns) == ["id", "use_code", "description", "use_group", "parcel_count", "acres", "assessed_value"]
    assert _column_types(target, "stats")["parcel_count"] == "INTEGER"
    assert read_table(target, "stats_meta", order_by="built_from_run")["built_from_run"].tolist() == [2]


def test_stats_db_logs_file_and_row_count(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="countydatasync_gui"):
        create_and_load_stats_db(_stats_frame(3), tmp_path / "stats_db.sqlite")
    assert "Wrote 3 land-use rows to stats (stats_db.sqlite)" in caplog.text


def test_working_db_merges_rows_staged_in_another_sqlite_file(tmp_path: Path) -> None:
    staged = tmp_path / "changeset.sqlite"
    with sqlite3.connect(staged) as db:
        _working_frame("B", "C", owner="STAGED").reindex(columns=list(schema.FIELDS)).to_sql("changes", db, index=False)
    target = tmp_path / "working_db.sqlite"
    create_and_load_working_db(_working_frame("A", "B"), target)

    engine = sqlite_engine(target, attach={"stage": staged})
    with engine.begin() as conn:
        rows = StagedRows(f"SELECT {', '.join(schema.FIELDS)} FROM stage.changes WHERE id >= :first ORDER BY id",
                          {"first": "B"}, 2)
        assert create_and_load_working_db(rows, conn) == 2
    engine.dispose()

    working = read_table(target, "working").set_index("id")["owner"].to_dict()
    assert working == {"A": "SMITH JOHN", "B": "STAGED", "C": "STAGED"}
