"""Syncs from a real PostgreSQL server: time zones, numeric values, views, a server that goes away."""

from __future__ import annotations

import threading
from decimal import Decimal

import pandas as pd
import pytest

from countydatasync_gui.etl import schema
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SourceUnavailable
from countydatasync_gui.etl.progress import Progress
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.state import load_state, recent_runs
from countydatasync_gui.etl.sync import commit, plan_sync
from tests.pg.conftest import PgServer
from tests.support import read_table, working_fields

PARCELS_DDL = """
    CREATE TABLE parcels (
        id text PRIMARY KEY, owner text, use_code text, acres numeric(12, 4), assessed_value numeric(14, 2),
        last_updated timestamptz, site_address text, land_value numeric(14, 2), improvement_value numeric(14, 2))
"""
INSERT = "INSERT INTO parcels VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"


def row(parcel_id: str, stamp: str, value: str = "100000.10", use_code: str = "001", acres: str = "0.2500") -> tuple:
    return (parcel_id, f"OWNER {parcel_id}", use_code, Decimal(acres), Decimal(value), stamp,
            f"{parcel_id} ELM ST", Decimal("40000.00"), Decimal(value) - Decimal("40000.00"))


def sync(folder: DataFolder, settings: SyncSettings, **options: object):
    """Plan and commit, as `countydatasync sync --yes --allow-mass-delete` does (tiny tables exceed 5% at once)."""
    return commit(plan_sync(folder, settings, **options), allow_mass_delete=True)


def expected_from_pg(pg_server: PgServer, database: str, table: str = "parcels") -> pd.DataFrame:
    """The source as the engine must store it: UTC text stamps, floats, ordered by id."""
    with pg_server.connect(database) as db:
        rows = db.execute(
            f"SELECT id, owner, use_code, acres::float8, assessed_value::float8, "
            f"to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), site_address, "
            f"land_value::float8, improvement_value::float8 FROM {table} ORDER BY id"
        ).fetchall()
    return pd.DataFrame(rows, columns=list(schema.FIELDS))


@pytest.fixture
def county(pg_server: PgServer, pg_database: str) -> str:
    """Six parcels whose timestamps were written in four different UTC offsets; the session zone is +05:30."""
    with pg_server.connect(pg_database) as db:
        db.execute(f'ALTER DATABASE "{pg_database}" SET timezone = \'Asia/Kolkata\'')
        db.execute(PARCELS_DDL)
        db.cursor().executemany(INSERT, [
            row("01-0001", "2024-03-10 01:30:00-06", "150000.55", "001"),  # Chicago, just before DST
            row("01-0002", "2024-03-10 03:30:00-05", "99999.99", "001"),  # Chicago, just after DST
            row("01-0003", "2024-03-10 09:00:00+00", "1234567.89", "011", "12.3456"),
            row("01-0004", "2024-03-10 16:00:00+05:30", "40000.01", "011"),
            row("001-0005", "2024-03-10 08:59:59.999999+00", "250000.00", "050"),
            row("1-0006", "2024-03-09 23:00:00-08", "75000.00", "050"),  # 07:00 UTC on the 10th
        ])
    return pg_database


def test_timestamptz_and_numeric_sync_incrementally_then_by_full_refresh(
    folder: DataFolder, pg_server: PgServer, county: str
) -> None:
    settings = SyncSettings(SourceSettings(url=pg_server.url(county)))

    first = sync(folder, settings)

    assert first.counts.rejected == 0, list(read_table(folder.working_db, "rejects")["reason"])
    assert first.counts.new == 6
    pd.testing.assert_frame_equal(working_fields(folder), expected_from_pg(pg_server, county))
    assert load_state(folder.working_db).watermark == "2024-03-10T10:30:00.000000Z"  # 16:00+05:30
    assert read_table(folder.working_db, "working").set_index("id").loc["01-0003", "assessed_value"] == 1234567.89

    # A reassessment written in Chicago time after the watermark, a new parcel, and a row
    # older than the look-back window that changed without a new timestamp (must be skipped).
    with pg_server.connect(county) as db:
        db.execute("UPDATE parcels SET assessed_value = 180000.00, last_updated = '2024-03-10 05:31:00-05' WHERE id = '01-0002'")
        db.execute(INSERT, row("01-0007", "2024-03-10 10:45:00+00"))
        db.execute("UPDATE parcels SET owner = 'SILENT CHANGE' WHERE id = '01-0001'")
    second = sync(folder, settings)

    assert (second.counts.new, second.counts.changed) == (1, 1)
    assert second.counts.rows_read < 7  # only the window since the watermark minus the look-back
    working = read_table(folder.working_db, "working").set_index("id")
    assert working.loc["01-0002", "assessed_value"] == 180000.0
    assert working.loc["01-0001", "owner"] == "OWNER 01-0001"
    assert load_state(folder.working_db).watermark == "2024-03-10T10:45:00.000000Z"

    with pg_server.connect(county) as db:
        db.execute("DELETE FROM parcels WHERE id = '1-0006'")
    refreshed = sync(folder, settings, full_refresh=True)

    assert (refreshed.counts.deleted, refreshed.counts.changed) == (1, 1)  # the silent owner change too
    pd.testing.assert_frame_equal(working_fields(folder), expected_from_pg(pg_server, county))
    stats = read_table(folder.stats_db, "stats", order_by="use_code").set_index("use_code")
    with pg_server.connect(county) as db:
        totals = dict(db.execute(
            "SELECT use_code, sum(assessed_value)::float8 FROM parcels GROUP BY use_code").fetchall())
    assert stats["assessed_value"].to_dict() == pytest.approx(totals)


def test_naive_timestamps_are_read_in_the_configured_zone(folder: DataFolder, pg_server: PgServer, pg_database: str) -> None:
    with pg_server.connect(pg_database) as db:
        db.execute(PARCELS_DDL.replace("timestamptz", "timestamp"))
        db.execute(INSERT, row("A-1", "2024-07-01 08:00:00"))
    settings = SyncSettings(SourceSettings(url=pg_server.url(pg_database), timezone="America/Chicago"))

    sync(folder, settings)
    assert load_state(folder.working_db).watermark == "2024-07-01T13:00:00.000000Z"  # CDT is UTC-5

    with pg_server.connect(pg_database) as db:
        db.execute(INSERT, row("A-2", "2024-07-01 09:30:00"))
        db.execute(INSERT, row("A-0", "2024-06-30 23:00:00"))  # long before the watermark: not read
    second = sync(folder, settings)

    assert second.counts.new == 1
    assert list(working_fields(folder)["id"]) == ["A-1", "A-2"]
    assert working_fields(folder).set_index("id").loc["A-2", "last_updated"] == "2024-07-01T14:30:00.000000Z"


def test_a_view_with_county_column_names_is_a_source(folder: DataFolder, pg_server: PgServer, pg_database: str) -> None:
    with pg_server.connect(pg_database) as db:
        db.execute("CREATE SCHEMA roll")
        db.execute(PARCELS_DDL.replace("CREATE TABLE parcels", "CREATE TABLE roll.parcels"))
        db.cursor().executemany(INSERT.replace("parcels", "roll.parcels"), [row(f"V-{i}", f"2024-01-0{i} 12:00:00+00") for i in range(1, 5)])
        db.execute('CREATE VIEW roll."Parcel Roll" AS SELECT id AS "PARCELID", owner AS "OWNERNME1", use_code AS "PROPCLASS", '
                   'acres::text AS "ASSDACRES", assessed_value AS "CNTASSDVALUE", last_updated AS "LOADDATE" FROM roll.parcels')
    columns = {"id": "PARCELID", "owner": "OWNERNME1", "use_code": "PROPCLASS",
               "acres": {"column": "ASSDACRES", "convert": "number"}, "assessed_value": "CNTASSDVALUE", "last_updated": "LOADDATE"}
    settings = SyncSettings(SourceSettings(url=pg_server.url(pg_database), schema_name="roll", table="Parcel Roll", columns=columns))

    result = sync(folder, settings)

    assert result.counts.new == 4
    working = working_fields(folder)
    expected = expected_from_pg(pg_server, pg_database, "roll.parcels")
    pd.testing.assert_frame_equal(working[["id", "owner", "acres", "last_updated"]], expected[["id", "owner", "acres", "last_updated"]])
    assert working["site_address"].isna().all()


class KillServerConnections(Progress):
    """Ends every other connection to the database once the first chunk has been read."""

    def __init__(self, pg_server: PgServer, database: str) -> None:
        super().__init__()
        self.pg_server, self.database, self.fired = pg_server, database, False

    def advance(self, done: int) -> None:
        if not self.fired:
            self.fired = True
            # From another thread and connection, as an administrator or a crash would.
            worker = threading.Thread(target=self._terminate)
            worker.start()
            worker.join()

    def _terminate(self) -> None:
        with self.pg_server.connect() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (self.database,))


def test_server_gone_mid_extract_fails_clearly_and_commits_nothing(
    folder: DataFolder, pg_server: PgServer, pg_database: str
) -> None:
    with pg_server.connect(pg_database) as db:
        db.execute(PARCELS_DDL)
        db.cursor().executemany(INSERT, [row(f"K-{i:04d}", "2024-01-01 00:00:00+00") for i in range(50)])
    settings = SyncSettings(SourceSettings(url=pg_server.url(pg_database)), chunk_rows=10)
    sync(folder, settings)
    before = (working_fields(folder), load_state(folder.working_db).watermark)
    with pg_server.connect(pg_database) as db:
        db.execute("UPDATE parcels SET owner = 'NEW OWNER', last_updated = '2024-02-01 00:00:00+00'")

    killer = KillServerConnections(pg_server, pg_database)
    with pytest.raises(SourceUnavailable) as raised:
        plan_sync(folder, settings, progress=killer)

    assert killer.fired
    assert "could not be read" in raised.value.message
    pd.testing.assert_frame_equal(working_fields(folder), before[0])
    assert load_state(folder.working_db).watermark == before[1]
    assert recent_runs(folder.working_db)["status"].iloc[0] == "failed"
    assert pg_server.password not in str(raised.value.details)


def test_rows_come_through_adbc_with_the_watermark_a_bound_parameter(
    folder: DataFolder, pg_server: PgServer, county: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import adbc_driver_postgresql.dbapi

    queries: list[tuple[str, tuple | None]] = []
    real_connect = adbc_driver_postgresql.dbapi.connect

    def connect(uri: str, **kwargs: object):
        connection = real_connect(uri, **kwargs)
        real_cursor = connection.cursor

        def cursor(*args: object, **cursor_kwargs: object):
            opened = real_cursor(*args, **cursor_kwargs)
            real_execute = opened.execute

            def execute(sql: str, parameters: tuple | None = None, **more: object):
                queries.append((sql, parameters))
                return real_execute(sql, parameters, **more)

            opened.execute = execute
            return opened

        connection.cursor = cursor
        return connection

    monkeypatch.setattr(adbc_driver_postgresql.dbapi, "connect", connect)
    settings = SyncSettings(SourceSettings(url=pg_server.url(county)))
    sync(folder, settings)
    with pg_server.connect(county) as db:
        db.execute(INSERT, row("01-0007", "2024-03-10 10:45:00+00"))
    second = sync(folder, settings)

    assert second.counts.new == 1
    assert [params for _, params in queries] == [None, (pd.Timestamp("2024-03-10 09:30:00", tz="UTC").to_pydatetime(),)]
    assert "$1" in queries[1][0] and "2024" not in queries[1][0]  # the watermark never enters the SQL text
