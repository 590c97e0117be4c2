"""Syncs from a real MariaDB server through mysql+pymysql URLs: the same code path as every database.

The county's table uses its own mixed-case and reserved-word column names and
a DATETIME cursor (no offset) written in the county's zone, read by a server
whose own time zone is +05:00; a refused login and a server that stops in the
middle of a sync say so in plain words and change nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from countydatasync_gui.etl.connection_check import test_connection
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SourceUnavailable
from countydatasync_gui.etl.progress import Progress
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.source import LoginRefused
from countydatasync_gui.etl.sync import commit, plan_sync
from tests.mariadb.conftest import MariaServer, start_server, stop_server
from tests.support import assert_unchanged, read_table, snapshot

# `Select`, `Order` and `Key` are reserved words in MariaDB; the others differ from ours by case.
DDL = """
    CREATE TABLE ParcelRoll (
        ParcelID VARCHAR(20) PRIMARY KEY, `Order` VARCHAR(80), `Select` VARCHAR(5), Acres DECIMAL(12, 4),
        AssessedValue DECIMAL(14, 2), `Key` DATETIME(6), SiteAddress VARCHAR(80))
"""
COLUMNS = {"id": "ParcelID", "owner": "Order", "use_code": "Select", "acres": "Acres",
           "assessed_value": "AssessedValue", "last_updated": "Key", "site_address": "SiteAddress"}
INSERT = "INSERT INTO ParcelRoll VALUES (%s, %s, %s, %s, %s, %s, %s)"
PARCELS = 60


def rows(count: int) -> list[tuple]:
    """The first half loaded the day before the second (8:00 in the county's zone both days)."""
    return [(f"0{n:03d}-1109", f"OWNER {n}", "001", 1 + n % 4, 100_000 + n,
             "2026-01-04 08:00:00" if n < count // 2 else "2026-01-05 08:00:00", f"{n} OAK RD") for n in range(count)]


def settings_for(server: MariaServer, database: str, **options: object) -> SyncSettings:
    return SyncSettings(SourceSettings(url=server.url(database), table="ParcelRoll", columns=COLUMNS,
                                       timezone="America/Chicago", **options))  # type: ignore[arg-type]


def fill(server: MariaServer, database: str, count: int = PARCELS) -> None:
    with server.connect(database) as db, db.cursor() as cursor:
        cursor.execute(DDL)
        cursor.executemany(INSERT, rows(count))


def test_first_sync_then_incremental_with_a_datetime_cursor_in_the_county_zone(
        folder: DataFolder, maria_server: MariaServer, maria_database: str) -> None:
    fill(maria_server, maria_database)
    settings = settings_for(maria_server, maria_database)
    first = commit(plan_sync(folder, settings))
    assert (first.counts.new, first.counts.rejected) == (PARCELS, 0)
    working = read_table(folder.working_db, "working").set_index("id")
    assert working.loc["0007-1109", "owner"] == "OWNER 7" and working.loc["0007-1109", "acres"] == 4.0
    # 08:00 in Chicago (CST, UTC-6), whatever the server's own zone (+05:00).
    assert working.loc["0037-1109", "last_updated"] == "2026-01-05T14:00:00.000000Z"
    assert first.watermark_after == "2026-01-05T14:00:00.000000Z"

    # The county's edits the next morning: 3 revalued, 2 new; nothing else is read as changed.
    with maria_server.connect(maria_database) as db, db.cursor() as cursor:
        cursor.execute("UPDATE ParcelRoll SET AssessedValue = 777777, `Key` = '2026-01-06 09:15:00' "
                       "WHERE ParcelID IN ('0001-1109', '0002-1109', '0003-1109')")
        cursor.executemany(INSERT, [(f"09{n}-1109", "NEW OWNER", "002", 1, 50_000, "2026-01-06 09:30:00", "")
                                    for n in range(2)])
    second = commit(plan_sync(folder, settings))
    assert (second.counts.new, second.counts.changed, second.counts.deleted) == (2, 3, 0)
    assert second.watermark_after == "2026-01-06T15:30:00.000000Z"
    # The DATETIME filter ran on the server: the edits and the rows at the watermark (the comparison is
    # inclusive) came back, not the 27 loaded the day before.
    assert second.counts.rows_read == 3 + 2 + PARCELS // 2


def test_a_refused_login_says_so_and_changes_nothing(folder: DataFolder, maria_server: MariaServer,
                                                      maria_database: str) -> None:
    fill(maria_server, maria_database)
    before = snapshot(folder)
    wrong = SyncSettings(SourceSettings(url=maria_server.url(maria_database, password="wrong"), table="ParcelRoll",
                                        columns=COLUMNS))
    with pytest.raises(LoginRefused, match="refused the login for user 'assessor'"):
        plan_sync(folder, wrong)
    assert_unchanged(before, snapshot(folder))
    report = test_connection(wrong.source)
    assert not report.ok and report.password_rejected


def test_a_server_stopped_mid_sync_changes_nothing(folder: DataFolder, maria_root: Path) -> None:
    """A server of its own, stopped while the second chunk is being read."""
    own = maria_root / "stopped"
    own.mkdir()
    server = start_server(own)
    try:
        with server.connect() as admin, admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE roll")
        fill(server, "roll", count=3_000)
        settings = SyncSettings(settings_for(server, "roll").source, chunk_rows=500)
        before = snapshot(folder)

        class StopAfterFirstChunk(Progress):
            def advance(self, done: int) -> None:
                super().advance(done)
                if server.process.poll() is None:
                    stop_server(server)

        with pytest.raises(SourceUnavailable, match="could not be read"):
            plan_sync(folder, settings, progress=StopAfterFirstChunk())
        assert_unchanged(before, snapshot(folder))
    finally:
        if server.process.poll() is None:
            stop_server(server)
