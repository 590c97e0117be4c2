"""Test connection, passwords and hostile names against the real PostgreSQL server."""

from __future__ import annotations

import logging

import pytest

from countydatasync_gui.etl import connection_check
from countydatasync_gui.etl.config import load_settings
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SourceUnavailable
from countydatasync_gui.etl.passwords import ENV_VAR
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.state import recent_runs
from countydatasync_gui.etl.sync import commit, plan_sync
from tests.pg.conftest import PgServer
from tests.pg.test_pg_sync import INSERT, PARCELS_DDL, row
from tests.support import read_table, working_fields


@pytest.fixture
def small_county(pg_server: PgServer, pg_database: str) -> str:
    with pg_server.connect(pg_database) as db:
        db.execute(PARCELS_DDL)
        db.cursor().executemany(INSERT, [row(f"C-{i}", "2024-05-01 12:00:00+00") for i in range(3)])
        db.execute("CREATE TABLE other_things (x int)")
    return pg_database


def test_test_connection_lists_tables_and_columns(pg_server: PgServer, small_county: str) -> None:
    report = connection_check.test_connection(SourceSettings(url=pg_server.url(small_county)))

    assert report.ok and report.connected, report
    assert report.tables == ["other_things", "parcels"]
    assert ("acres", "NUMERIC(12, 4)") in report.columns
    assert report.problems == []
    assert "mapping is complete" in report.message


def test_test_connection_says_what_the_mapping_lacks(pg_server: PgServer, small_county: str) -> None:
    settings = SourceSettings(url=pg_server.url(small_county), columns={"id": "PARCELID", "owner": "owner"})

    report = connection_check.test_connection(settings)

    assert report.connected and not report.ok
    assert "The table has no column 'PARCELID' (for parcel)." in report.problems
    assert "No column is chosen for land use." in report.problems
    assert "No column is chosen for assessed value." in report.problems
    assert any("comparing each row's content" in n for n in report.notes)  # no last_updated mapped


def test_test_connection_with_a_wrong_password_says_so_without_the_password(pg_server: PgServer, small_county: str) -> None:
    report = connection_check.test_connection(SourceSettings(url=pg_server.url(small_county, password="wrong-Guess")))

    assert not report.ok and not report.connected and report.password_rejected
    assert "refused the login for user 'postgres'" in report.message
    assert ENV_VAR in report.message
    assert "wrong-Guess" not in report.message + str(report.details)


def test_a_wrong_password_fails_the_sync_with_a_plain_reason(folder: DataFolder, pg_server: PgServer, small_county: str) -> None:
    settings = SyncSettings(SourceSettings(url=pg_server.url(small_county, password="wrong-Guess")))

    with pytest.raises(SourceUnavailable, match="refused the login"):
        plan_sync(folder, settings)


def test_password_from_the_environment_never_reaches_logs_history_or_files(
    folder: DataFolder, pg_server: PgServer, small_county: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder.ensure()
    (folder.path / "config.toml").write_text(f'[source]\nurl = "{pg_server.url(small_county, with_password=False)}"\n')
    monkeypatch.setenv(ENV_VAR, pg_server.password)
    caplog.set_level(logging.DEBUG)

    settings = load_settings(folder)
    result = commit(plan_sync(folder, settings))

    assert result.counts.new == 3
    assert pg_server.password not in repr(settings)
    assert pg_server.password not in caplog.text
    runs = recent_runs(folder.working_db).astype(str).to_string()
    assert pg_server.password not in runs
    for path in folder.path.rglob("*"):
        if path.is_file():
            assert pg_server.password.encode() not in path.read_bytes(), path


HOSTILE_TABLE = 'parcels"; DROP TABLE other_things; --'
HOSTILE_ID = "'); DROP TABLE other_things; --"


def test_hostile_table_name_and_values_round_trip(folder: DataFolder, pg_server: PgServer, small_county: str) -> None:
    with pg_server.connect(small_county) as db:
        db.execute(PARCELS_DDL.replace("CREATE TABLE parcels", 'CREATE TABLE "parcels""; DROP TABLE other_things; --"'))
        db.cursor().executemany(INSERT.replace("parcels", '"parcels""; DROP TABLE other_things; --"'), [
            row(HOSTILE_ID, "2024-05-01 12:00:00+00"),
            (*row("O'Brien; --", "2024-05-01 12:00:00+00")[:1], "O'BRIEN \"TRUSTEE\"; DELETE FROM parcels",
             *row("x", "2024-05-01 12:00:00+00")[2:]),
        ])
    settings = SyncSettings(SourceSettings(url=pg_server.url(small_county), table=HOSTILE_TABLE))

    result = commit(plan_sync(folder, settings))

    assert result.counts.new == 2
    working = working_fields(folder).set_index("id")
    assert working.loc["O'Brien; --", "owner"] == "O'BRIEN \"TRUSTEE\"; DELETE FROM parcels"
    assert HOSTILE_ID in working.index
    with pg_server.connect(small_county) as db:
        assert db.execute("SELECT count(*) FROM other_things").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM parcels").fetchone() == (3,)
    assert read_table(folder.working_db, "runs", order_by="run_id")["initial_load"].tolist() == [1]  # not journaled
