"""Syncs from a real MariaDB server through the same code path as every SQLAlchemy source.

What differs from PostgreSQL and SQLite and is pinned here: column names in mixed
case and reserved words (quoted with backticks by SQLAlchemy), a DATETIME cursor
(no zone: read in the configured zone, whatever the session's time zone), a
refused login, and a server that drops the connection in the middle of a read.
"""

from __future__ import annotations

import pytest

from countydatasync_gui.etl.connection_check import test_connection as check_connection
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import LoginRefused, SourceUnavailable
from countydatasync_gui.etl.progress import Progress
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.state import load_state, recent_runs
from countydatasync_gui.etl.sync import commit, plan_sync
from tests.mysql.conftest import PASSWORD, SESSION_ZONE, MariaServer, RunningServer, start_server
from tests.support import working_fields

# A county table as a CAMA vendor might name it: mixed case, and `Use` and `Order` are reserved words.
ROLL_DDL = """
    CREATE TABLE `ParcelRoll` (
        `ParcelID` VARCHAR(20) PRIMARY KEY, `Owner Name` VARCHAR(100), `Use` VARCHAR(3), `Acres` DECIMAL(12, 4),
        `Order` DECIMAL(14, 2), `LastEdit` DATETIME(6), `Site` VARCHAR(100), `Land` DECIMAL(14, 2), `Improvements` DECIMAL(14, 2))
"""
INSERT = "INSERT INTO `ParcelRoll` VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
COLUMNS = {
    "id": "ParcelID", "owner": "Owner Name", "use_code": "Use", "acres": "Acres", "assessed_value": "Order",
    "last_updated": "LastEdit", "site_address": "Site", "land_value": "Land", "improvement_value": "Improvements",
}


def row(parcel_id: str, stamp: str, owner: str | None = None, value: str = "100000.10") -> tuple:
    return (parcel_id, owner or f"OWNER {parcel_id}", "001", "0.2500", value, stamp, f"{parcel_id} ELM ST", "40000.00",
            f"{float(value) - 40000:.2f}")


def settings_for(server: MariaServer, database: str, chunk_rows: int = 50_000) -> SyncSettings:
    """The county's mapping onto the vendor's names; naive times are Chicago wall-clock time."""
    source = SourceSettings(url=server.url(database), table="ParcelRoll", columns=COLUMNS, timezone="America/Chicago")
    return SyncSettings(source, chunk_rows=chunk_rows)


def sync(folder: DataFolder, settings: SyncSettings):  # -> SyncResult
    return commit(plan_sync(folder, settings), allow_mass_delete=True)


@pytest.fixture
def county(maria_server: MariaServer, maria_database: str) -> str:
    """Four parcels stamped in the county's wall-clock time (Chicago), in a server whose session zone is +05:30."""
    with maria_server.connect(maria_database) as db, db.cursor() as cursor:
        cursor.execute("SELECT @@session.time_zone")
        assert cursor.fetchone()[0] == SESSION_ZONE  # the zone must not leak into DATETIME values
        cursor.execute(ROLL_DDL)
        cursor.executemany(INSERT, [
            row("01-0001", "2024-03-10 01:30:00"),  # just before the DST change: UTC-6
            row("01-0002", "2024-03-10 03:30:00"),  # just after it: UTC-5
            row("01-0003", "2024-07-01 12:00:00.250000", value="1234567.89"),
            row("01-0004", "2024-07-02 08:00:00"),
        ])
    return maria_database


def test_first_and_incremental_sync_with_quoted_names_and_a_datetime_cursor(
    folder: DataFolder, maria_server: MariaServer, county: str
) -> None:
    settings = settings_for(maria_server, county)

    first = sync(folder, settings)

    assert first.counts.new == 4 and first.counts.rejected == 0
    working = working_fields(folder).set_index("id")
    assert working["last_updated"].to_dict() == {
        "01-0001": "2024-03-10T07:30:00.000000Z", "01-0002": "2024-03-10T08:30:00.000000Z",
        "01-0003": "2024-07-01T17:00:00.250000Z", "01-0004": "2024-07-02T13:00:00.000000Z",
    }
    assert working.loc["01-0003", "assessed_value"] == 1234567.89 and working.loc["01-0001", "owner"] == "OWNER 01-0001"
    assert load_state(folder.working_db).watermark == "2024-07-02T13:00:00.000000Z"

    with maria_server.connect(county) as db, db.cursor() as cursor:
        cursor.execute("UPDATE `ParcelRoll` SET `Owner Name` = 'NEW OWNER', `LastEdit` = '2024-08-01 09:00:00' "
                       "WHERE `ParcelID` = '01-0002'")
        cursor.execute("UPDATE `ParcelRoll` SET `Owner Name` = 'OLD EDIT', `LastEdit` = '2024-01-01 00:00:00' "
                       "WHERE `ParcelID` = '01-0001'")  # before the watermark: not read
        cursor.execute(INSERT, row("02-0001", "2024-08-01 10:00:00"))
    plan = plan_sync(folder, settings)

    # Read: the two rows after the watermark and the watermark's own row (inside the look-back).
    assert (plan.counts.rows_read, plan.counts.new, plan.counts.changed, plan.counts.unchanged) == (3, 1, 1, 1)
    commit(plan)
    working = working_fields(folder).set_index("id")
    assert working.loc["01-0002", "owner"] == "NEW OWNER" and working.loc["01-0001", "owner"] == "OWNER 01-0001"


def test_a_refused_login_says_so_and_changes_nothing(folder: DataFolder, maria_server: MariaServer, county: str) -> None:
    wrong = SyncSettings(SourceSettings(url=maria_server.url(county, password="not-" + PASSWORD), table="ParcelRoll",
                                        columns=COLUMNS))

    with pytest.raises(LoginRefused) as raised:
        plan_sync(folder, wrong)

    assert "refused the login for user 'assessor'" in raised.value.message
    assert PASSWORD not in raised.value.message + str(raised.value.details)
    assert not folder.working_db.exists()
    report = check_connection(wrong.source)  # the settings screen's test points at the password
    assert not report.ok and report.password_rejected


class StopServerAfterFirstChunk(Progress):
    """Stops the whole server once the first chunk is read, as an administrator or a crash would."""

    def __init__(self, running: RunningServer) -> None:
        super().__init__()
        self.running, self.fired = running, False

    def advance(self, done: int) -> None:
        if not self.fired:
            self.fired = True
            self.running.stop()


def test_server_stopped_mid_read_fails_clearly_and_commits_nothing(folder: DataFolder) -> None:
    running = start_server()  # a server of its own: this test stops it
    try:
        server = running.server
        with server.connect() as admin, admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE roll")
            cursor.execute("USE roll")
            cursor.execute(ROLL_DDL)
            cursor.executemany(INSERT, [row(f"K-{i:05d}", "2024-01-01 00:00:00") for i in range(3000)])
        small_chunks = settings_for(server, "roll", chunk_rows=100)
        sync(folder, small_chunks)
        before = (working_fields(folder), load_state(folder.working_db).watermark)
        with server.connect("roll") as db, db.cursor() as cursor:
            cursor.execute("UPDATE `ParcelRoll` SET `Owner Name` = 'NEW OWNER', `LastEdit` = '2024-02-01 00:00:00'")

        stopper = StopServerAfterFirstChunk(running)
        with pytest.raises(SourceUnavailable) as raised:
            plan_sync(folder, small_chunks, progress=stopper)

        assert stopper.fired and "could not be read" in raised.value.message
        assert PASSWORD not in str(raised.value.details)
        assert working_fields(folder).equals(before[0]) and load_state(folder.working_db).watermark == before[1]
        assert recent_runs(folder.working_db)["status"].iloc[0] == "failed"
    finally:
        running.stop()
