"""Integration tests: real syncs from a real SQLite source into real working and stats databases."""

from __future__ import annotations

import sqlite3
import threading

import pandas as pd
import pytest

from countydatasync_gui.etl import schema, sync as sync_module
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import (
    DataFolderBusy, MassDeleteRefused, SourceChanged, SourceSchemaError, SourceUnavailable, SyncCancelled,
)
from countydatasync_gui.etl.progress import Progress, Step
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.etl.sync import commit, discard, plan_sync
from tests.support import SourceTable, assert_unchanged, parcel, read_table, snapshot, sync, working_fields


def expected_working(source: SourceTable) -> pd.DataFrame:
    """What the working table must hold: the source, normalised as the engine stores it."""
    expected = source.frame()
    expected["last_updated"] = pd.to_datetime(expected["last_updated"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return expected[list(schema.FIELDS)].reset_index(drop=True)


def expected_stats(source: SourceTable) -> pd.DataFrame:
    """A GROUP BY over the source."""
    with sqlite3.connect(source.path) as db:
        return pd.read_sql_query(
            "SELECT use_code, count(*) AS parcel_count, round(total(acres), 4) AS acres, "
            "round(total(assessed_value), 2) AS assessed_value FROM parcels GROUP BY use_code ORDER BY use_code",
            db,
        )


def stats_figures(folder: DataFolder) -> pd.DataFrame:
    return read_table(folder.stats_db, "stats", order_by="use_code")[["use_code", "parcel_count", "acres", "assessed_value"]]


@pytest.fixture
def county(source: SourceTable) -> SourceTable:
    """A source with ten parcels across three land-use codes, all last updated in January 2024."""
    source.upsert(
        parcel(f"01-{i:04d}", f"2024-01-{i + 1:02d} 09:00:00", use_code=("001", "011", "050")[i % 3], acres=1.0 + i)
        for i in range(10)
    )
    return source


# -- The first sync --------------------------------------------------------------------------
def test_first_sync_loads_every_parcel_and_builds_stats(folder: DataFolder, county: SourceTable) -> None:
    result = sync(folder, county)

    assert result.status == "committed"
    assert (result.counts.new, result.counts.changed, result.counts.rejected) == (10, 0, 0)
    pd.testing.assert_frame_equal(working_fields(folder), expected_working(county))
    pd.testing.assert_frame_equal(stats_figures(folder), expected_stats(county))
    stats = read_table(folder.stats_db, "stats", order_by="use_code")
    assert stats["description"].tolist() == ["Single family", "Stores, one story", "Improved agricultural"]
    state = load_state(folder.working_db)
    assert state.watermark == "2024-01-10T09:00:00.000000Z"  # the newest source time, not our clock
    assert state.last_run_id == result.run_id and state.last_success_at is not None


# -- Incremental updates -----------------------------------------------------------------------
def test_incremental_sync_processes_only_what_changed(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.update("01-0002", owner="NEW OWNER LLC", last_updated="2024-02-01 08:00:00")
    county.update("01-0003", assessed_value=250_000.0, last_updated="2024-02-01 08:05:00")
    county.upsert([parcel("02-0001", "2024-02-02 10:00:00", use_code="011")])
    county.update("01-0004", owner="UNTOUCHED EDIT", last_updated="2023-12-01 00:00:00")  # older than the watermark

    plan = plan_sync(folder, county.settings())
    assert (plan.counts.new, plan.counts.changed, plan.counts.deleted) == (1, 2, 0)
    changed = plan.rows("changed").set_index("id")
    assert changed.loc["01-0002", "changed"] == "owner"  # the new last_updated goes without saying
    assert (changed.loc["01-0002", "old_owner"], changed.loc["01-0002", "owner"]) == ("OWNER 01-0002", "NEW OWNER LLC")
    assert changed.loc["01-0003", "flags"] == "assessed value +150%"
    result = commit(plan)

    journal = read_table(folder.working_db, "journal", order_by="parcel_id")
    this_run = journal[journal["run_id"] == result.run_id]
    assert this_run[["parcel_id", "kind"]].values.tolist() == [["01-0002", "changed"], ["01-0003", "changed"], ["02-0001", "new"]]
    assert this_run.iloc[0][["old_owner", "new_owner"]].tolist() == ["OWNER 01-0002", "NEW OWNER LLC"]
    assert this_run.iloc[1][["old_assessed_value", "new_assessed_value"]].tolist() == [100_000.0, 250_000.0]
    assert pd.isna(this_run.iloc[2]["old_owner"]) and this_run.iloc[2]["new_use_code"] == "011"
    # The edit stamped before the watermark is not read: that is what the look-back margin is for.
    assert working_fields(folder).set_index("id").loc["01-0004", "owner"] == "OWNER 01-0004"
    assert load_state(folder.working_db).watermark == "2024-02-02T10:00:00.000000Z"
    pd.testing.assert_frame_equal(stats_figures(folder), expected_stats(county))


def test_second_sync_without_source_changes_does_nothing(folder: DataFolder, county: SourceTable) -> None:
    first = sync(folder, county)
    before = snapshot(folder)

    result = sync(folder, county)

    assert result.status == "nothing_to_do"
    assert result.counts.to_apply == 0 and result.counts.rows_read >= 1  # the watermark's own row is re-read
    assert_unchanged(before, snapshot(folder))
    runs = read_table(folder.working_db, "runs", order_by="run_id")
    assert runs["status"].tolist() == ["committed", "nothing_to_do"]
    assert load_state(folder.working_db).last_run_id == first.run_id


@pytest.mark.parametrize("lookback_hours", [1, 0])
def test_row_stamped_exactly_at_the_watermark_is_not_lost(folder: DataFolder, county: SourceTable, lookback_hours: int) -> None:
    # Without a look-back only the inclusive comparison (>=, not >) reads the row again.
    settings = county.settings(lookback=pd.Timedelta(hours=lookback_hours).to_pytimedelta())
    sync(folder, county, settings=settings)  # watermark: 2024-01-10 09:00:00
    county.upsert([parcel("03-0001", "2024-01-10 09:00:00", owner="SAME SECOND")])

    result = sync(folder, county, settings=settings)

    assert result.counts.new == 1
    assert "03-0001" in working_fields(folder)["id"].tolist()


def test_row_committed_late_inside_the_lookback_is_caught(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)  # watermark: 2024-01-10 09:00:00
    county.upsert([parcel("03-0002", "2024-01-10 08:30:00", owner="LATE WRITER")])  # 30 minutes before

    assert sync(folder, county).counts.new == 1

    county.upsert([parcel("03-0003", "2024-01-10 06:00:00", owner="TOO LATE")])  # 3 hours before, look-back is 1 hour
    assert sync(folder, county).counts.new == 0
    settings = county.settings(lookback=pd.Timedelta(hours=4).to_pytimedelta())
    assert sync(folder, county, settings=settings).counts.new == 1


def test_invalid_rows_are_rejected_with_reasons_and_recorded(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.upsert([
        parcel("04-0001", "2024-02-01 00:00:00", acres=-2.0),
        parcel("04-0002", "2024-02-01 00:00:00", assessed_value="twelve"),
        parcel("04-0003", "next tuesday"),
        parcel("04-0004", "2024-02-01 00:00:00"),
    ])
    county.upsert([parcel("", "2024-02-01 00:00:00")])

    result = sync(folder, county)

    assert (result.counts.new, result.counts.rejected) == (1, 4)
    rejects = read_table(folder.working_db, "rejects", order_by="id").set_index("id")["reason"].to_dict()
    assert rejects == {
        "": "missing parcel id",
        "04-0001": "acres is negative ('-2.0')",
        "04-0002": "assessed value is not a number ('twelve')",
        "04-0003": "last updated is not a date and time ('next tuesday')",
    }
    assert "04-0001" not in working_fields(folder)["id"].tolist()


def test_a_bad_row_read_again_is_recorded_once(folder: DataFolder, county: SourceTable) -> None:
    county.upsert([parcel("06-0001", None, acres=-1.0)])  # no timestamp: every sync reads it again
    sync(folder, county)
    second = sync(folder, county)

    assert second.counts.rejected == 1  # still bad, and the run says so
    assert len(read_table(folder.working_db, "rejects", order_by="run_id")) == 1
    county.update("06-0001", acres=-2.0)  # bad in another way: a new entry
    sync(folder, county)
    rejects = read_table(folder.working_db, "rejects", order_by="run_id")
    assert rejects["acres"].tolist() == ["-1.0", "-2.0"]


def test_duplicate_ids_in_one_batch_are_all_rejected(folder: DataFolder, tmp_path) -> None:
    source = SourceTable(tmp_path / "no_key.sqlite", primary_key=False)  # such a table can repeat ids
    source.upsert([parcel("DUP", owner="FIRST"), parcel("DUP", owner="SECOND"), parcel("OK")])

    plan = plan_sync(folder, source.settings())

    assert (plan.counts.new, plan.counts.rejected) == (1, 2)
    assert set(plan.rows("rejected")["reason"]) == {"parcel id appears 2 times in this batch"}
    discard(plan)


def test_rows_without_timestamp_are_read_every_time_and_compared_by_content(folder: DataFolder, county: SourceTable) -> None:
    county.upsert([parcel("05-0001", None, owner="NO DATE")])
    sync(folder, county)

    assert sync(folder, county).status == "nothing_to_do"  # re-read, same content: unchanged
    county.update("05-0001", owner="NO DATE, CORRECTED")
    result = sync(folder, county)

    assert result.counts.changed == 1
    assert working_fields(folder).set_index("id").loc["05-0001", "owner"] == "NO DATE, CORRECTED"


# -- Full refresh and deletes ------------------------------------------------------------------
def test_full_refresh_deletes_parcels_gone_from_the_source(folder: DataFolder, county: SourceTable) -> None:
    county.upsert(parcel(f"09-{i:04d}") for i in range(30))  # 40 parcels: deleting one is 2.5 %
    sync(folder, county)
    county.delete("01-0005")

    incremental = plan_sync(folder, county.settings())
    assert incremental.counts.deleted == 0  # only a full refresh sees deletions
    discard(incremental)
    result = sync(folder, county, full_refresh=True)

    assert result.counts.deleted == 1
    pd.testing.assert_frame_equal(working_fields(folder), expected_working(county))
    pd.testing.assert_frame_equal(stats_figures(folder), expected_stats(county))
    deleted = read_table(folder.working_db, "journal", order_by="rowid").query("kind == 'deleted'")
    assert deleted["parcel_id"].tolist() == ["01-0005"] and deleted.filter(like="new_").isna().all(axis=None)


def test_full_refresh_that_deletes_too_much_needs_an_override(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.delete("01-0001", "01-0002", "01-0003")  # 30 % of the parcels
    before = snapshot(folder)

    plan = plan_sync(folder, county.settings(), full_refresh=True)
    assert plan.mass_delete
    with pytest.raises(MassDeleteRefused, match="delete 3 of 10 parcels"):
        commit(plan)
    assert_unchanged(before, snapshot(folder))

    commit(plan, allow_mass_delete=True)
    assert len(working_fields(folder)) == 7


def test_a_rejected_row_does_not_delete_its_parcel(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.update("01-0001", acres=-1.0)

    result = sync(folder, county, full_refresh=True)

    assert (result.counts.deleted, result.counts.rejected) == (0, 1)
    assert "01-0001" in working_fields(folder)["id"].tolist()


# -- Nothing is lost -------------------------------------------------------------------------
def test_error_during_commit_leaves_everything_unchanged(
    folder: DataFolder, county: SourceTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(folder, county)
    county.upsert(parcel(f"06-{i:04d}", "2024-03-01 00:00:00") for i in range(25))
    county.update("01-0001", owner="CHANGED", last_updated="2024-03-01 00:00:00")
    before = snapshot(folder)
    real_load = sync_module.create_and_load_working_db
    calls = []

    def failing_load(rows: sync_module.StagedRows, target: object) -> int:
        calls.append(rows.rows)
        if len(calls) == 2:
            raise OSError("disk full (injected)")
        return real_load(rows, target)

    monkeypatch.setattr(sync_module, "create_and_load_working_db", failing_load)
    plan = plan_sync(folder, SyncSettings(county.settings().source, chunk_rows=10))
    with pytest.raises(OSError, match="disk full"):
        commit(plan)

    assert len(calls) == 2  # the first chunk was written inside the transaction, then rolled back
    assert_unchanged(before, snapshot(folder))
    runs = read_table(folder.working_db, "runs", order_by="run_id")
    assert runs["status"].tolist()[-1] == "failed" and "disk full" in runs["error"].tolist()[-1]


def test_discard_leaves_everything_unchanged(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.update("01-0001", owner="CHANGED", last_updated="2024-03-01 00:00:00")
    before = snapshot(folder)

    plan = plan_sync(folder, county.settings())
    assert plan.counts.changed == 1
    result = discard(plan)

    assert result.status == "discarded"
    assert_unchanged(before, snapshot(folder))
    assert not list(folder.pending_dir.iterdir())  # the scratch file is gone
    assert plan_sync(folder, county.settings()).counts.changed == 1  # offered again next time


def test_cancel_during_planning_changes_nothing(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.upsert(parcel(f"07-{i:04d}", "2024-03-01 00:00:00") for i in range(50))
    before = snapshot(folder)

    class CancelAfterFirstChunk(Progress):
        def advance(self, done: int) -> None:
            self.cancel()

    with pytest.raises(SyncCancelled):
        plan_sync(folder, SyncSettings(county.settings().source, chunk_rows=10), progress=CancelAfterFirstChunk())

    assert_unchanged(before, snapshot(folder))
    assert read_table(folder.working_db, "runs", order_by="run_id")["status"].tolist()[-1] == "cancelled"
    assert plan_sync(folder, county.settings()).counts.new == 50  # the lock was released


def test_stats_that_lag_behind_are_rebuilt(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    with sqlite3.connect(folder.stats_db) as db:  # as if the process died between the two commits
        db.execute("UPDATE stats_meta SET built_from_run = -1")
        db.execute("UPDATE stats SET parcel_count = 999")

    discard(plan_sync(folder, county.settings()))

    pd.testing.assert_frame_equal(stats_figures(folder), expected_stats(county))


# -- One sync at a time, clear errors ------------------------------------------------------------
def test_second_sync_on_the_same_folder_is_refused(folder: DataFolder, county: SourceTable) -> None:
    plan = plan_sync(folder, county.settings())
    outcome: list[BaseException] = []
    other = threading.Thread(target=lambda: _capture(outcome, lambda: plan_sync(folder, county.settings())))
    other.start()
    other.join()

    assert isinstance(outcome[0], DataFolderBusy)
    assert "A sync or a review is open in another CountyDataSync window on this computer" in outcome[0].message
    assert "(since " in outcome[0].message  # when the other one took the folder
    commit(plan)


def _capture(outcome: list[BaseException], action) -> None:
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        outcome.append(exc)


def test_a_different_source_needs_a_full_refresh(folder: DataFolder, county: SourceTable, tmp_path) -> None:
    sync(folder, county)
    other = SourceTable(tmp_path / "other_county.sqlite")
    other.upsert([parcel("X-1")])

    with pytest.raises(SourceChanged, match="full refresh"):
        plan_sync(folder, other.settings())
    plan = plan_sync(folder, other.settings(), full_refresh=True)
    assert plan.mass_delete and plan.counts.deleted == 10
    discard(plan)


@pytest.mark.parametrize(
    ("settings", "error", "words"),
    [
        (lambda s, t: SyncSettings(SourceSettings(url=f"sqlite:///{t / 'missing.sqlite'}")), SourceUnavailable, "was not found"),
        (lambda s, t: s.settings(table="parcel_roll"), SourceSchemaError, "no table named 'parcel_roll'"),
        (lambda s, t: SyncSettings(SourceSettings(url=s.url, columns={**{f: f for f in schema.FIELDS}, "acres": "ACRES_GIS"})),
         SourceSchemaError, "no column 'ACRES_GIS' (for acres)"),
        (lambda s, t: SyncSettings(SourceSettings(url="not a url")), SourceUnavailable, "is not a database address"),
        (lambda s, t: SyncSettings(SourceSettings(url="postgresql+nosuchdriver://h/db")), SourceUnavailable, "no driver"),
    ],
)
def test_source_problems_give_clear_errors_and_change_nothing(
    folder: DataFolder, county: SourceTable, tmp_path, settings, error, words
) -> None:
    sync(folder, county)
    before = snapshot(folder)

    with pytest.raises(error) as raised:
        plan_sync(folder, settings(county, tmp_path))

    assert words in raised.value.message
    assert_unchanged(before, snapshot(folder))
    assert not list(tmp_path.glob("missing.sqlite"))  # a mistyped path creates no file


def test_cancel_while_comparing_interrupts_the_sql(folder: DataFolder, county: SourceTable) -> None:
    county.upsert(parcel(f"08-{i:05d}", "2024-03-01 00:00:00") for i in range(20_000))
    before = snapshot(folder)

    class CancelWhileComparing(Progress):
        def step(self, step: Step, total: int | None = None) -> None:
            if step is Step.COMPARE:
                self.cancel()  # no chunk boundary follows: only SQLite's progress handler can see it

    with pytest.raises(SyncCancelled):
        plan_sync(folder, county.settings(), progress=CancelWhileComparing())
    assert_unchanged(before, snapshot(folder))
