"""Numbers a clerk can believe: touches, a source clock in the future, the limits of flags and guards.

Each test pins one promise of the engine at its boundary, so that a small
slip (a threshold, a `>` for a `>=`, a flag switched off) fails a test.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pandas as pd
import pytest

from countydatasync_gui.etl import sync as sync_module
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.settings import SyncSettings, Thresholds
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.etl.sync import commit, discard, plan_sync
from countydatasync_gui.etl.timeutil import now_utc, to_utc_text
from tests.support import SourceTable, assert_unchanged, parcel, read_table, snapshot, sync, working_fields


@pytest.fixture
def county(source: SourceTable) -> SourceTable:
    """Ten parcels last updated in January 2024 (the watermark after a sync: 2024-01-10 09:00)."""
    source.upsert(parcel(f"01-{i:04d}", f"2024-01-{i + 1:02d} 09:00:00") for i in range(10))
    return source


def journal(folder: DataFolder) -> pd.DataFrame:
    return read_table(folder.working_db, "journal", order_by="rowid")


# -- A timestamp-only touch is not a change ------------------------------------------------------
def test_a_row_re_saved_without_changes_is_unchanged_but_its_time_follows_the_source(
    folder: DataFolder, county: SourceTable
) -> None:
    sync(folder, county)
    for i in range(5):  # a nightly job re-saves five parcels, changing nothing
        county.update(f"01-{i:04d}", last_updated=f"2024-02-01 03:00:0{i}")
    county.update("01-0007", owner="REAL EDIT", last_updated="2024-02-01 04:00:00")
    journal_before = len(journal(folder))

    plan = plan_sync(folder, county.settings())
    counts = plan.counts
    assert (counts.changed, counts.touched, counts.new) == (1, 5, 0)
    assert counts.unchanged == 6  # the five touches and the watermark's own row, re-read
    assert plan.rows()["id"].tolist() == ["01-0007"]  # the review shows only the real edit
    result = commit(plan)

    added = journal(folder).iloc[journal_before:]
    assert added["parcel_id"].tolist() == ["01-0007"]  # no journal row for a touch
    working = working_fields(folder).set_index("id")
    assert working.loc["01-0000", "last_updated"] == "2024-02-01T03:00:00.000000Z"  # nothing stale left behind
    assert working.loc["01-0004", "last_updated"] == "2024-02-01T03:00:04.000000Z"
    assert load_state(folder.working_db).watermark == "2024-02-01T04:00:00.000000Z"
    runs = read_table(folder.working_db, "runs", order_by="run_id").set_index("run_id")
    assert runs.loc[result.run_id, ["changed", "unchanged", "touched"]].tolist() == [1, 6, 5]


def test_touches_alone_change_no_parcel_but_are_applied(folder: DataFolder, county: SourceTable) -> None:
    first = sync(folder, county)
    county.update("01-0003", last_updated="2024-03-01 00:00:00")

    plan = plan_sync(folder, county.settings())
    assert plan.nothing_to_do and plan.counts.touched == 1
    result = commit(plan)

    assert result.status == "nothing_to_do"
    assert working_fields(folder).set_index("id").loc["01-0003", "last_updated"] == "2024-03-01T00:00:00.000000Z"
    assert load_state(folder.working_db).last_run_id == first.run_id  # the stats had nothing to follow


def test_a_touch_is_rolled_back_with_a_failed_commit(
    folder: DataFolder, county: SourceTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(folder, county)
    county.update("01-0003", last_updated="2024-03-01 00:00:00")
    county.update("01-0004", owner="CHANGED", last_updated="2024-03-01 00:00:00")
    before = snapshot(folder)

    def failing_save(*_args: object) -> None:
        raise OSError("disk full (injected)")

    monkeypatch.setattr(sync_module, "save_state", failing_save)
    with pytest.raises(OSError):
        commit(plan_sync(folder, county.settings()))
    assert_unchanged(before, snapshot(folder))


# -- A source row dated in the future must not poison the watermark -------------------------------
def test_a_row_dated_in_the_future_is_flagged_and_does_not_move_the_watermark_past_now(
    folder: DataFolder, county: SourceTable
) -> None:
    sync(folder, county)
    county.upsert([parcel("09-0001", "2099-01-01T00:00:00Z", owner="WRONG CLOCK")])
    begun = to_utc_text(now_utc())

    plan = plan_sync(folder, county.settings())
    flagged = plan.rows("flagged").set_index("id")
    assert flagged.loc["09-0001", "flags"] == (
        "last updated 2099-01-01, in the future: check the county system's clock or this record"
    )
    commit(plan)

    watermark = load_state(folder.working_db).watermark
    assert begun <= watermark <= to_utc_text(now_utc())  # our clock when the read began, not 2099
    # A real edit made after that sync is still found by the next one.
    county.update("01-0002", owner="REAL EDIT", last_updated=to_utc_text(now_utc() + timedelta(seconds=1)))
    again = plan_sync(folder, county.settings())
    assert again.rows("changed")["id"].tolist() == ["01-0002"]
    assert again.counts.unchanged >= 1  # the future row is re-read until its time has passed, harmlessly
    commit(again)


def test_a_row_less_than_a_day_ahead_is_not_flagged(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    soon = to_utc_text(now_utc() + timedelta(hours=23))
    county.upsert([parcel("09-0002", soon)])

    plan = plan_sync(folder, county.settings())
    assert plan.counts.new == 1 and plan.counts.flagged == 0
    discard(plan)


def test_a_watermark_already_in_the_future_is_repaired(
    folder: DataFolder, county: SourceTable, caplog: pytest.LogCaptureFixture
) -> None:
    sync(folder, county)
    with sqlite3.connect(folder.working_db) as db:  # as a folder of an earlier release would hold it
        db.execute("UPDATE sync_state SET watermark = '2099-01-01T00:00:00.000000Z'")
    county.update("01-0002", owner="EDIT AFTER THE TYPO", last_updated=to_utc_text(now_utc() - timedelta(minutes=10)))

    with caplog.at_level("WARNING"):
        plan = plan_sync(folder, county.settings())
    assert plan.rows("changed")["id"].tolist() == ["01-0002"]  # read from now minus the look-back
    assert [r.getMessage() for r in caplog.records].count(next(
        r.getMessage() for r in caplog.records if "is in the future" in r.getMessage())) == 1
    commit(plan)
    assert load_state(folder.working_db).watermark <= to_utc_text(now_utc())


# -- The watermark is the newest row of all chunks ---------------------------------------------
def test_the_watermark_is_the_newest_row_of_every_chunk(folder: DataFolder, source: SourceTable) -> None:
    # Inserted first, so read in the first chunk of three rows; the later chunks are all older.
    source.upsert([parcel("Z-NEWEST", "2024-06-30 12:00:00")])
    source.upsert(parcel(f"A-{i:02d}", f"2024-01-{i + 1:02d} 09:00:00") for i in range(8))

    sync(folder, source, settings=SyncSettings(source.settings().source, chunk_rows=3))

    assert load_state(folder.working_db).watermark == "2024-06-30T12:00:00.000000Z"


def test_change_sets_left_by_a_crash_are_cleaned_up(folder: DataFolder, county: SourceTable) -> None:
    folder.ensure()
    stale = folder.pending_dir / "changeset-0123456789abcdef.sqlite"
    stale.write_bytes(b"left behind by a crash")

    plan = plan_sync(folder, county.settings())

    assert not stale.exists()
    assert list(folder.pending_dir.glob("changeset-*.sqlite")) == [plan._store.path]
    discard(plan)


# -- Guards and flags at their limits ------------------------------------------------------------
@pytest.mark.parametrize(("deleted", "refused"), [(5, False), (6, True)])
def test_mass_delete_guard_starts_just_above_five_percent(
    folder: DataFolder, source: SourceTable, deleted: int, refused: bool
) -> None:
    source.upsert(parcel(f"P-{i:03d}") for i in range(100))
    sync(folder, source)
    source.delete(*(f"P-{i:03d}" for i in range(deleted)))

    plan = plan_sync(folder, source.settings(), full_refresh=True)

    assert plan.counts.deleted == deleted
    assert plan.mass_delete is refused
    discard(plan)


def _flags_after(folder: DataFolder, county: SourceTable, **edit: object) -> str | None:
    """Sync, edit parcel 01-0001 as given, and return the flags of its change (None: not flagged)."""
    sync(folder, county)
    county.update("01-0001", last_updated="2024-02-01 00:00:00", **edit)
    plan = plan_sync(folder, county.settings())
    rows = plan.rows("changed").set_index("id")
    discard(plan)
    return rows.loc["01-0001", "flags"]


@pytest.mark.parametrize(
    ("edit", "flags"),
    [
        ({"assessed_value": 150_000.0}, None),  # +50 % exactly: within the limit
        ({"assessed_value": 150_001.0}, "assessed value +50%"),
        ({"assessed_value": 49_999.0}, "assessed value -50%"),
        ({"acres": 0.3125}, None),  # 0.25 -> 0.3125 acres: +25 % exactly
        ({"acres": 0.32}, "acreage +28%"),
        ({"acres": 0.18}, "acreage -28%"),
        ({"use_code": "012"}, None),  # a known code
        ({"use_code": "777"}, "unknown land-use code 777"),
        ({"use_code": None}, "land-use code is blank"),
        ({"owner": None}, "owner is blank"),
        ({"owner": "SOMEONE ELSE"}, None),
        ({"owner": None, "acres": 0.5}, "acreage +100%; owner is blank"),
    ],
)
def test_each_flag_at_its_limit(folder: DataFolder, county: SourceTable, edit: dict, flags: str | None) -> None:
    assert _flags_after(folder, county, **edit) == flags


def test_flag_thresholds_come_from_the_settings(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.update("01-0001", assessed_value=120_000.0, last_updated="2024-02-01 00:00:00")  # +20 %
    strict = SyncSettings(county.settings().source, thresholds=Thresholds(value_change=0.1))

    plan = plan_sync(folder, strict)

    assert plan.rows("flagged")["flags"].tolist() == ["assessed value +20%"]
    discard(plan)


def test_new_parcels_are_flagged_for_blank_fields_and_unknown_codes(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.upsert([
        parcel("N-1", "2024-02-01 00:00:00", owner=None),
        parcel("N-2", "2024-02-01 00:00:00", use_code="777"),
        parcel("N-3", "2024-02-01 00:00:00", use_code=None),
        parcel("N-4", "2024-02-01 00:00:00"),
    ])

    plan = plan_sync(folder, county.settings())

    flags = plan.rows("new").set_index("id")["flags"]
    assert {parcel_id: flag if isinstance(flag, str) else None for parcel_id, flag in flags.items()} == {
        "N-1": "owner is blank", "N-2": "unknown land-use code 777", "N-3": "land-use code is blank", "N-4": None,
    }
    discard(plan)
