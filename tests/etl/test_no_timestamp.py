"""A source without a last-updated column: change detection by content hash."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from countydatasync_gui.etl import content_hash, schema
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.state import load_state, recent_runs
from countydatasync_gui.etl.sync import commit, discard, plan_sync
from tests.support import SourceTable, parcel, read_table, working_fields

NO_STAMP = {f: f for f in schema.FIELDS if f != schema.LAST_UPDATED}


@pytest.fixture
def roll(source: SourceTable) -> SourceTable:
    """Twenty parcels; the source has a last_updated column, but the mapping ignores it."""
    source.upsert(parcel(f"R-{i:03d}", None, acres=1.0 + i) for i in range(20))
    return source


def settings_for(source: SourceTable) -> SyncSettings:
    return SyncSettings(SourceSettings(url=source.url, columns=NO_STAMP))


def stored_hashes(folder: DataFolder) -> pd.DataFrame:
    return read_table(folder.working_db, content_hash.HASH_TABLE)


def test_first_sync_loads_everything_and_stores_a_hash_per_parcel(folder: DataFolder, roll: SourceTable) -> None:
    result = commit(plan_sync(folder, settings_for(roll)))

    assert (result.counts.new, result.watermark_after) == (20, None)
    assert list(stored_hashes(folder)["id"]) == [f"R-{i:03d}" for i in range(20)]
    again = plan_sync(folder, settings_for(roll))
    assert again.mode == "incremental" and again.nothing_to_do
    assert again.counts.unchanged == 20
    commit(again)


def test_only_new_changed_and_removed_parcels_reach_the_change_set_and_journal(folder: DataFolder, roll: SourceTable) -> None:
    commit(plan_sync(folder, settings_for(roll)))
    roll.update("R-003", owner="NEW OWNER")
    roll.update("R-007", assessed_value=100_001.0)
    roll.upsert([parcel("R-100", None)])
    roll.delete("R-011")

    change_set = plan_sync(folder, settings_for(roll))
    counts = change_set.counts
    assert (counts.new, counts.changed, counts.deleted, counts.unchanged) == (1, 2, 1, 17)
    assert change_set.rows("changed").set_index("id")["changed"].to_dict() == {"R-003": "owner", "R-007": "assessed_value"}
    run_id = commit(change_set).run_id

    journal = read_table(folder.working_db, "journal", order_by="parcel_id")
    journal = journal[journal["run_id"] == run_id]
    assert journal[["parcel_id", "kind"]].values.tolist() == [
        ["R-003", "changed"], ["R-007", "changed"], ["R-011", "deleted"], ["R-100", "new"]]
    expected = roll.frame()[list(schema.FIELDS)]
    expected["last_updated"] = None
    pd.testing.assert_frame_equal(working_fields(folder), expected.astype(working_fields(folder).dtypes.to_dict()))
    hashes = stored_hashes(folder)
    assert "R-011" not in set(hashes["id"]) and "R-100" in set(hashes["id"])


def test_the_stored_hash_alone_decides_unchanged(folder: DataFolder, roll: SourceTable) -> None:
    """A row whose hash matches is skipped without comparing columns; a stale hash only costs a comparison."""
    commit(plan_sync(folder, settings_for(roll)))
    with sqlite3.connect(folder.working_db) as db:
        db.execute(f"UPDATE {content_hash.HASH_TABLE} SET hash = 0 WHERE id = 'R-001'")  # stale, content equal
        db.execute("UPDATE working SET owner = 'EDITED LOCALLY' WHERE id = 'R-002'")  # hash still matches

    change_set = plan_sync(folder, settings_for(roll))

    assert change_set.nothing_to_do  # compared, equal; R-002: hash equal, skipped
    commit(change_set)
    assert stored_hashes(folder).set_index("id").loc["R-001", "hash"] != 0  # the stale hash was refreshed


def test_discard_and_failed_commit_leave_the_hashes_as_they_were(
    folder: DataFolder, roll: SourceTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit(plan_sync(folder, settings_for(roll)))
    before = stored_hashes(folder)
    roll.update("R-004", owner="SOMEONE ELSE")

    discard(plan_sync(folder, settings_for(roll)))
    pd.testing.assert_frame_equal(stored_hashes(folder), before)

    def disk_full(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(content_hash, "forget_hashes", disk_full)
    roll.delete("R-005")
    with pytest.raises(OSError, match="disk full"):
        commit(plan_sync(folder, settings_for(roll)))
    pd.testing.assert_frame_equal(stored_hashes(folder), before)
    assert read_table(folder.working_db, "working").set_index("id").loc["R-004", "owner"] == "OWNER R-004"
    assert recent_runs(folder.working_db)["status"].iloc[0] == "failed"
    assert load_state(folder.working_db).watermark is None


def test_mass_removal_still_needs_the_override(folder: DataFolder, roll: SourceTable) -> None:
    commit(plan_sync(folder, settings_for(roll)))
    roll.delete(*[f"R-{i:03d}" for i in range(10)])

    change_set = plan_sync(folder, settings_for(roll))

    assert change_set.counts.deleted == 10 and change_set.mass_delete
    discard(change_set)
