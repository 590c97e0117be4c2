"""Undo a sync: parcels back as they were, journaled, the stats following, and the parcels offered again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SyncError
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.etl.sync import discard, plan_sync
from countydatasync_gui.etl.errors import UndoBlocked
from countydatasync_gui.etl.undo import undo_run
from tests.support import SourceTable, parcel, read_table, sync, working_fields


@pytest.fixture
def county(source: SourceTable) -> SourceTable:
    source.upsert(parcel(f"01-{i:04d}", f"2024-01-{i + 1:02d} 09:00:00", use_code=("001", "050")[i % 2]) for i in range(10))
    return source


def stats_counts(folder: DataFolder) -> dict[str, int]:
    return read_table(folder.stats_db, "stats", order_by="use_code").set_index("use_code")["parcel_count"].to_dict()


def test_undo_of_the_last_sync_puts_every_parcel_back_and_offers_them_again(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    before, stats_before = working_fields(folder), stats_counts(folder)
    county.update("01-0002", owner="NEW OWNER", last_updated="2024-02-01 08:00:00")
    county.upsert([parcel("02-0001", "2024-02-03 09:00:00", use_code="050")])  # two days later: the watermark
    county.delete("01-0007")
    edit = sync(folder, county, full_refresh=True, allow_mass_delete=True)  # 1 of 10 is over 5 %
    assert (edit.counts.new, edit.counts.changed, edit.counts.deleted) == (1, 1, 1)

    result = undo_run(folder, edit.run_id)

    pd.testing.assert_frame_equal(working_fields(folder), before)
    assert stats_counts(folder) == stats_before
    assert (result.counts.new, result.counts.changed, result.counts.deleted) == (1, 1, 1)  # 07 back, 02 back, 02-0001 gone
    runs = read_table(folder.working_db, "runs", order_by="run_id").set_index("run_id")
    assert runs.loc[result.undo_runs[0], ["mode", "undoes"]].tolist() == ["undo", edit.run_id]
    journal = read_table(folder.working_db, "journal", order_by="rowid")
    undo_journal = journal[journal["run_id"] == result.undo_runs[0]].set_index("parcel_id")
    assert undo_journal["kind"].to_dict() == {"01-0002": "changed", "01-0007": "new", "02-0001": "deleted"}
    assert undo_journal.loc["01-0002", ["old_owner", "new_owner"]].tolist() == ["NEW OWNER", "OWNER 01-0002"]
    assert load_state(folder.working_db).watermark == edit.watermark_before

    again = plan_sync(folder, county.settings(), full_refresh=True)  # the county's values did not change
    assert (again.counts.new, again.counts.changed, again.counts.deleted) == (1, 1, 1)
    discard(again)
    incremental = plan_sync(folder, county.settings())  # an incremental sync reads them again too
    assert (incremental.counts.new, incremental.counts.changed) == (1, 1)
    discard(incremental)


def test_undoing_the_undo_applies_the_run_again(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.update("01-0002", owner="NEW OWNER", last_updated="2024-02-01 08:00:00")
    edit = sync(folder, county)
    after_edit = working_fields(folder)

    first = undo_run(folder, edit.run_id)
    undo_run(folder, first.undo_runs[0])

    pd.testing.assert_frame_equal(working_fields(folder), after_edit)
    with pytest.raises(SyncError, match="was undone already"):
        undo_run(folder, first.undo_runs[0])


def test_a_later_run_on_the_same_parcels_blocks_the_undo_unless_undone_too(folder: DataFolder, county: SourceTable) -> None:
    first = sync(folder, county)
    county.update("01-0002", owner="SECOND OWNER", last_updated="2024-02-01 08:00:00")
    second = sync(folder, county)
    county.update("01-0002", owner="THIRD OWNER", last_updated="2024-02-02 08:00:00")
    county.update("01-0003", owner="ELSEWHERE", last_updated="2024-02-02 08:00:00")
    third = sync(folder, county)
    before = working_fields(folder)

    with pytest.raises(UndoBlocked, match=f"run {third.run_id}") as blocked:
        undo_run(folder, second.run_id)
    assert blocked.value.later_runs == [third.run_id]
    pd.testing.assert_frame_equal(working_fields(folder), before)  # nothing was changed

    result = undo_run(folder, second.run_id, including_later=True)

    assert result.undone_runs == [third.run_id, second.run_id]
    owners = working_fields(folder).set_index("id")["owner"]
    assert (owners["01-0002"], owners["01-0003"]) == ("OWNER 01-0002", "OWNER 01-0003")
    assert load_state(folder.working_db).watermark == second.watermark_before == first.watermark_after


def test_a_first_load_can_be_undone(folder: DataFolder, county: SourceTable) -> None:
    first = sync(folder, county)

    undo_run(folder, first.run_id)

    assert working_fields(folder).empty and stats_counts(folder) == {}
    assert load_state(folder.working_db).watermark is None
    assert sync(folder, county).counts.new == 10  # the next sync loads the county again


@pytest.mark.parametrize(("run", "words"), [(99, "no run 99"), (2, "changed no parcels")])
def test_runs_that_cannot_be_undone_say_why(folder: DataFolder, county: SourceTable, run: int, words: str) -> None:
    sync(folder, county)
    sync(folder, county)  # run 2: nothing to do

    with pytest.raises(SyncError, match=words):
        undo_run(folder, run)


def test_the_undo_command(tmp_path: Path, county: SourceTable) -> None:
    data = tmp_path / "data"
    cli = [sys.executable, "-m", "countydatasync_gui.cli"]
    subprocess.run([*cli, "sync", "--source", county.url, "--yes", "--data-dir", str(data)], check=True, capture_output=True)
    (data / "config.toml").write_text(f'[source]\nurl = "{county.url}"\n')
    county.update("01-0002", owner="NEW OWNER", last_updated="2024-02-01 08:00:00")
    subprocess.run([*cli, "sync", "--yes", "--data-dir", str(data)], check=True, capture_output=True)

    refused = subprocess.run([*cli, "undo", "--run", "2", "--data-dir", str(data)], capture_output=True, text=True, input="")
    done = subprocess.run([*cli, "undo", "--run", "2", "--yes", "--json", "--data-dir", str(data)],
                          capture_output=True, text=True)

    assert refused.returncode == 2 and "--yes" in refused.stderr
    report = json.loads(done.stdout)
    assert report["undone_runs"] == [2] and report["counts"]["changed"] == 1
    assert working_fields(DataFolder.resolve(data)).set_index("id").loc["01-0002", "owner"] == "OWNER 01-0002"


def test_a_run_and_its_undo_cancel_out_so_an_earlier_run_can_be_undone_alone(folder: DataFolder, county: SourceTable) -> None:
    first = sync(folder, county)
    county.update("01-0002", owner="NEW OWNER", last_updated="2024-02-01 08:00:00")
    second = sync(folder, county)
    with pytest.raises(UndoBlocked) as blocked:  # the second sync changed a parcel of the first
        undo_run(folder, first.run_id)
    assert blocked.value.later_runs == [second.run_id]

    taken_back = undo_run(folder, second.run_id)
    assert undo_run(folder, first.run_id).undone_runs == [first.run_id]  # the pair cancels: not blocked
    assert read_table(folder.working_db, "working").empty and load_state(folder.working_db).watermark is None

    # Re-applying the second sync (undoing its undo) now would act on parcels the first load's undo removed.
    with pytest.raises(UndoBlocked) as blocked:
        undo_run(folder, taken_back.undo_runs[0])
    assert blocked.value.later_runs == [taken_back.undo_runs[0] + 1]
