"""A first load into an empty working table: classified in place, loaded in one ordered insert, not journaled
parcel by parcel (only its flagged and held parcels), and undone by emptying the table."""

from __future__ import annotations

import sqlite3

import pytest

from countydatasync_gui.etl import store
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import ReviewOutdated, SyncCancelled, UndoBlocked
from countydatasync_gui.etl.progress import Progress, Step
from countydatasync_gui.etl.session import SyncSession
from countydatasync_gui.etl.state import parcel_history
from countydatasync_gui.etl.stats import aggregate_working
from countydatasync_gui.etl.sync import commit, open_waiting, plan_sync
from countydatasync_gui.etl.undo import undo_run
from tests.support import SourceTable, assert_unchanged, parcel, read_table, snapshot, stage, sync, working_fields

IDS = [f"01-{i:04d}" for i in range(1, 41)]


@pytest.fixture
def county(source: SourceTable) -> SourceTable:
    source.upsert(parcel(i) for i in IDS)
    source.upsert([parcel("01-0007", owner=None), parcel("01-0008", use_code="999"),  # flagged, with each flag a
                   parcel("01-0011", use_code=None),  # new parcel can have (and one in the future, below)
                   parcel("01-0009", acres="lots")])  # rejected
    return source


def test_a_first_sync_reviews_every_row_as_new_and_journals_only_the_flagged_and_held(
        folder: DataFolder, county: SourceTable) -> None:
    county.upsert([parcel("01-0012", "2099-01-01 09:00:00")])  # (it holds the watermark at the read's time)
    change_set = plan_sync(folder, county.settings())
    assert change_set.initial_load
    counts = change_set.counts
    assert (counts.rows_read, counts.new, counts.rejected, counts.flagged, counts.unchanged) == (40, 39, 1, 4, 0)
    page = change_set.rows("new", limit=100)
    assert tuple(page.columns) == store.CHANGE_COLUMNS  # the staged table became the change set, same columns
    assert page["id"].tolist() == [i for i in IDS if i != "01-0009"] and set(page["kind"]) == {"new"}
    flagged = change_set.rows("flagged").set_index("id")["flags"].to_dict()
    assert flagged == {"01-0007": "owner is blank", "01-0008": "unknown land-use code 999",
                       "01-0011": "land-use code is blank", "01-0012": "last updated 2099-01-01, in the future: check "
                                                                      "the county system's clock or this record"}

    result = commit(change_set, hold=["01-0020"])

    assert (result.counts.new, result.counts.held) == (38, 1)
    assert working_fields(folder)["id"].tolist() == [i for i in IDS if i not in ("01-0009", "01-0020")]
    runs = read_table(folder.working_db, "runs", order_by="run_id")
    assert runs["initial_load"].tolist() == [1] and runs["new"].tolist() == [38]
    journal = read_table(folder.working_db, "journal", order_by="parcel_id")
    assert journal[["parcel_id", "kind"]].values.tolist() == [["01-0007", "new"], ["01-0008", "new"], ["01-0011", "new"],
                                                             ["01-0012", "new"], ["01-0020", "held"]]
    assert read_table(folder.working_db, "rejects")["id"].tolist() == ["01-0009"]


def test_an_initial_loads_statistics_summed_from_its_change_set_equal_a_fresh_aggregation(
        folder: DataFolder, county: SourceTable) -> None:
    county.upsert([parcel("01-0030", use_code="086", acres=12.5, assessed_value=1_250_000.0),
                   parcel("01-0031", use_code=None, acres=None)])
    change_set = plan_sync(folder, county.settings())
    commit(change_set, hold=["01-0030", "01-0002"])  # held parcels are in neither the table nor its figures

    summed = read_table(folder.stats_db, "stats", order_by="id")
    assert summed["parcel_count"].sum() == len(working_fields(folder)) == 37
    assert summed.equals(aggregate_working(folder.working_db))  # exactly what a rebuild finds


def test_a_later_sync_compares_as_always_and_a_parcels_history_shows_its_load(folder: DataFolder,
                                                                               county: SourceTable) -> None:
    sync(folder, county)
    county.update("01-0003", owner="SECOND OWNER", last_updated="2024-02-01 09:00:00")
    county.upsert([parcel("02-0001", "2024-02-01 09:00:00")])

    second = plan_sync(folder, county.settings())

    assert not second.initial_load
    assert (second.counts.new, second.counts.changed) == (1, 1)
    commit(second)
    runs = read_table(folder.working_db, "runs", order_by="run_id")
    assert runs["initial_load"].tolist() == [1, 0]
    history = parcel_history(folder.working_db, "01-0003")
    assert history[["run", "kind"]].values.tolist() == [[2, "changed"], [1, "new"]]
    assert history.iloc[1]["new_owner"] == "OWNER 01-0003"  # as loaded: the next change's old value
    untouched = parcel_history(folder.working_db, "01-0004")
    assert untouched[["run", "kind", "new_owner"]].values.tolist() == [[1, "new", "OWNER 01-0004"]]
    assert parcel_history(folder.working_db, "01-0009").empty  # rejected at the load, never loaded
    assert parcel_history(folder.working_db, "02-0001")["kind"].tolist() == ["new"]  # journaled by run 2


def test_undoing_an_initial_load_empties_the_table_and_undoing_that_loads_it_again(folder: DataFolder,
                                                                                   county: SourceTable) -> None:
    first = sync(folder, county).run_id
    loaded = working_fields(folder)
    county.update("01-0003", owner="SECOND OWNER", last_updated="2024-02-01 09:00:00")
    later = sync(folder, county).run_id
    assert first is not None and later is not None

    undone = undo_run(folder, first, including_later=True)

    assert undone.undone_runs == [later, first] and working_fields(folder).empty
    assert undone.counts.deleted == 39
    emptied = read_table(folder.working_db, "journal", order_by="rowid")
    emptied = emptied[emptied["run_id"] == undone.undo_runs[-1]]
    assert len(emptied) == 39 and set(emptied["kind"]) == {"deleted"}
    assert read_table(folder.working_db, "undone", order_by="parcel_id").empty  # the next sync offers all as new

    undo_run(folder, undone.undo_runs[-1])  # the undo of the load, undone: every parcel back as it was loaded

    assert working_fields(folder).equals(loaded)


def test_undoing_an_initial_load_names_every_later_run_that_still_stands(folder: DataFolder,
                                                                          county: SourceTable) -> None:
    first = sync(folder, county).run_id
    county.upsert([parcel("02-0001", "2024-02-01 09:00:00")])  # a new parcel only: still stands on the load
    later = sync(folder, county).run_id
    assert first is not None

    with pytest.raises(UndoBlocked, match=f"run {later}"):
        undo_run(folder, first)


def test_an_initial_load_is_refused_over_a_table_that_is_no_longer_empty(folder: DataFolder,
                                                                          county: SourceTable) -> None:
    sync(folder, county)
    session = SyncSession(folder, county.settings())
    undo_run(folder, 1)
    change_set = session.plan()
    assert change_set.initial_load
    with sqlite3.connect(folder.working_db) as db:  # someone edits the table by hand meanwhile
        db.execute("INSERT INTO working (id, owner) VALUES ('99-0001', 'BY HAND')")
    before = snapshot(folder)

    with pytest.raises(ReviewOutdated, match="no longer empty"):
        session.commit()

    assert_unchanged(before, snapshot(folder))


def test_a_cancel_stops_the_initial_load_mid_statement_and_leaves_the_folder_as_it_was(
        folder: DataFolder, county: SourceTable, caplog: pytest.LogCaptureFixture) -> None:
    county.upsert(parcel(f"03-{i:05d}") for i in range(5_000))  # enough rows for SQLite to ask mid-insert

    class CancelAtSave(Progress):
        def step(self, step: Step, total: int | None = None) -> None:
            if step is Step.SAVE_PARCELS:
                self.cancel()

    change_set = plan_sync(folder, county.settings())
    with caplog.at_level("INFO"), pytest.raises(SyncCancelled):
        commit(change_set, progress=CancelAtSave())

    assert "Initial load of" not in caplog.text  # stopped inside the one INSERT, not after it
    assert working_fields(folder).empty
    assert read_table(folder.working_db, "runs", order_by="run_id")["status"].tolist() == ["cancelled"]


def test_an_initial_load_staged_overnight_is_committed_the_same_way(folder: DataFolder, county: SourceTable) -> None:
    stage(folder, county.settings())

    change_set = open_waiting(folder, county.settings())

    assert change_set.initial_load and change_set.count("new") == 39
    commit(change_set)
    assert len(working_fields(folder)) == 39
    assert read_table(folder.working_db, "runs", order_by="run_id")["initial_load"].tolist() == [1]
