"""Which source rows an incremental read fetches for a text cursor: never fewer than needed, few more."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.settings import SourceSettings
from countydatasync_gui.etl.source import Source, naive_wall_clock_bound
from countydatasync_gui.etl.sync import commit, plan_sync
from countydatasync_gui.etl.validate import validate_chunk
from tests.support import SourceTable, parcel


def read_ids(source: SourceTable, since: datetime, zone: str = "UTC") -> set[str]:
    reader = Source(SourceSettings(url=source.url, timezone=zone))
    return {i for chunk in reader.read(since, 1000) for i in chunk["id"]}


def test_fixed_naive_rows_before_the_window_are_not_read_other_forms_are(source: SourceTable) -> None:
    since = datetime(2024, 1, 10, 8, 0, tzinfo=timezone.utc)
    source.upsert([
        parcel("A", "2024-01-10 07:00:00"),  # fixed naive form, an hour early: skipped in SQL
        parcel("B", "2024-01-10 08:00:00"),  # exactly at `since`: read (inclusive)
        parcel("B2", "2024-01-10 08:00:00.250000"),  # fixed form with microseconds: read
        parcel("C", "2024-01-10T07:30:00"),  # another form inside the wide window: read, validation decides
        parcel("D", "2024-01-10 09:30:00+02:00"),  # an offset: read, validation decides
        parcel("E", "2024-01-09 10:00:00-12:00"),  # an offset, a day earlier in text: read
        parcel("F", None),  # no timestamp: read by every sync
        parcel("G", "2024-01-08 10:00:00"),  # before the wide window: not read
    ])

    assert read_ids(source, since) == {"B", "B2", "C", "D", "E", "F"}


def test_a_row_written_at_utc_minus_12_is_read_by_a_utc_plus_14_county(source: SourceTable) -> None:
    # Kiritimati is UTC+14: `since` is 00:30 on 11 January there, while a row stamped at the
    # same instant with a -12:00 offset reads 22:30 on 9 January, 26 hours earlier as text.
    since = datetime(2024, 1, 10, 10, 30, tzinfo=timezone.utc)
    source.upsert([parcel("FAR-WEST", "2024-01-09 22:30:00-12:00")])

    assert read_ids(source, since, "Pacific/Kiritimati") == {"FAR-WEST"}
    kept = validate_chunk(source.frame(), ZoneInfo("Pacific/Kiritimati"), "2024-01-10T10:30:00.000000Z")
    assert kept.valid["id"].tolist() == ["FAR-WEST"]  # at `since`, so it belongs to this sync


def test_the_tight_bound_allows_for_the_repeated_hour_of_a_dst_change(source: SourceTable) -> None:
    # New York, 3 November 2024: 01:00-02:00 happens twice. `since` is 01:30 in its first (EDT) pass;
    # validation reads a naive 01:15 as the second (EST) pass, 06:15 UTC, after `since`.
    since = datetime(2024, 11, 3, 5, 30, tzinfo=timezone.utc)
    zone = ZoneInfo("America/New_York")
    source.upsert([
        parcel("REPEATED-HOUR", "2024-11-03 01:15:00"),
        parcel("EVENING-BEFORE", "2024-11-02 23:00:00"),  # 03:00 UTC: before `since`, skipped in SQL
    ])

    assert naive_wall_clock_bound(since, zone) == "2024-11-03 00:30:00"  # since + EST's -5 h, not EDT's -4 h
    assert read_ids(source, since, "America/New_York") == {"REPEATED-HOUR"}
    kept = validate_chunk(source.frame(), zone, "2024-11-03T05:30:00.000000Z")
    assert kept.valid["id"].tolist() == ["REPEATED-HOUR"]


def test_every_row_at_or_after_since_is_read_whatever_its_form_or_zone(source: SourceTable) -> None:
    """The SQL filter never drops a row that validation would keep (a sweep over forms, offsets and zones)."""
    stamps = pd.date_range("2024-03-08", "2024-03-12", freq="37min", tz="UTC")
    rows, forms = [], ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"]
    for n, stamp in enumerate(stamps):
        local = stamp.tz_convert("America/Chicago")
        rows.append(parcel(f"N{n}", local.strftime(forms[n % 3])))  # naive, in the county's zone
        for offset in ("-12:00", "+14:00", "+05:30"):
            written = stamp.tz_convert(f"Etc/GMT{'+' if offset[0] == '-' else '-'}{int(offset[1:3])}") \
                if offset != "+05:30" else stamp.tz_convert("Asia/Kolkata")
            rows.append(parcel(f"O{offset}{n}", written.strftime("%Y-%m-%d %H:%M:%S") + offset))
    source.upsert(rows)
    zone = ZoneInfo("America/Chicago")
    for since in (datetime(2024, 3, 10, 7, 45, tzinfo=timezone.utc), datetime(2024, 3, 10, 8, 20, tzinfo=timezone.utc),
                  datetime(2024, 3, 11, 4, 59, tzinfo=timezone.utc)):
        wanted = validate_chunk(source.frame(), zone, since.strftime("%Y-%m-%dT%H:%M:%S.000000Z")).valid["id"]
        assert set(wanted) <= read_ids(source, since, "America/Chicago")


def test_an_incremental_read_and_its_count_search_the_index_on_the_cursor_column(source: SourceTable) -> None:
    # What the README asks a county's DBA to create; without it every sync would scan the roll.
    source.upsert(parcel(f"P{i}", f"2024-01-{1 + i % 28:02d} 10:00:00") for i in range(300))
    with sqlite3.connect(source.path) as db:
        db.execute("CREATE INDEX parcels_last_updated ON parcels (last_updated)")
    reader = Source(SourceSettings(url=source.url))
    with reader._connection() as conn:
        table = reader.table(conn)
        since = datetime(2024, 1, 25, tzinfo=timezone.utc)
        for statement in (reader._select(table, since, *table.c), reader._select(table, since, sa.func.count())):
            sql = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
            assert not any(step.startswith("SCAN") for step in plan), plan
            assert any("INDEX parcels_last_updated" in step for step in plan), plan


def test_a_commit_leaves_no_write_ahead_log_behind(folder: DataFolder, source: SourceTable) -> None:
    """The next sync must not rebuild the log's index and copy its pages into the database again."""
    source.upsert(parcel(f"P{i}", "2024-01-01 09:00:00") for i in range(50))
    commit(plan_sync(folder, source.settings()))
    source.upsert(parcel(f"P{i}", "2024-01-02 09:00:00", owner="NEW OWNER") for i in range(0, 50, 2))

    change_set = plan_sync(folder, source.settings())
    assert "work" not in [r[1] for r in change_set._store.db.execute("PRAGMA database_list")]  # working let go
    assert commit(change_set).counts.changed == 25

    wal = folder.working_db.with_name(folder.working_db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
