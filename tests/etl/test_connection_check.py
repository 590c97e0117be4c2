"""The engine side of the settings screen's Test connection, on real SQLite files."""

from __future__ import annotations

from countydatasync_gui.etl.connection_check import test_connection as check_connection
from countydatasync_gui.etl.settings import SourceSettings
from tests.support import SourceTable, parcel


def test_a_good_source_lists_tables_and_columns(source: SourceTable) -> None:
    source.upsert([parcel("01-0001")])

    report = check_connection(SourceSettings(url=source.url))

    assert report.ok and report.connected and not report.problems
    assert report.tables == ["parcels"]
    assert ("acres", "REAL") in report.columns


def test_no_table_chosen_asks_for_one(source: SourceTable) -> None:
    report = check_connection(SourceSettings(url=source.url, table=""))

    assert report.connected and not report.ok
    assert "Choose the table or view to read" in report.message


def test_a_missing_mapped_column_is_named(source: SourceTable) -> None:
    columns = {"id": "id", "owner": "OWNER_NAME", "use_code": "use_code", "acres": "acres",
               "assessed_value": "assessed_value", "last_updated": "last_updated"}
    report = check_connection(SourceSettings(url=source.url, columns=columns))

    assert not report.ok
    assert any("OWNER_NAME" in problem for problem in report.problems)
