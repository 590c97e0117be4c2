"""Holding parcels back: applied later or never, offered again by every sync, read again by id."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui.etl import source as source_module
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SyncError
from countydatasync_gui.etl.file_source import FileSource
from countydatasync_gui.etl.session import SyncSession
from countydatasync_gui.etl.settings import SourceSettings
from countydatasync_gui.etl.source import Source
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.etl.sync import commit, discard, plan_sync
from tests.support import SourceTable, parcel, read_table, sync, working_fields

CLI = [sys.executable, "-m", "countydatasync_gui.cli"]
IDS = [f"01-{i:04d}" for i in range(60)]
HELD = ["01-0003", "01-0017", "01-0042"]


@pytest.fixture
def county(folder: DataFolder, source: SourceTable) -> SourceTable:
    """60 parcels synced once; then the county changes 50 of them and adds one later (the watermark moves past)."""
    source.upsert(parcel(i, "2024-01-01 09:00:00") for i in IDS)
    sync(folder, source)
    for i in IDS[:50]:
        source.update(i, owner=f"BUYER {i}", last_updated="2024-02-01 09:00:00")
    source.upsert([parcel("02-0001", "2024-03-01 09:00:00")])
    return source


def offered(folder: DataFolder, county: SourceTable, **options: object) -> pd.DataFrame:
    """The rows a fresh plan offers (all classes but rejected), then discards."""
    change_set = plan_sync(folder, county.settings(), **options)  # type: ignore[arg-type]
    try:
        return change_set.rows(limit=10_000)
    finally:
        discard(change_set)


def test_held_parcels_are_not_applied_and_the_next_sync_offers_exactly_them(folder: DataFolder, county: SourceTable) -> None:
    session = SyncSession(folder, county.settings())
    session.plan()
    result = session.commit(hold=HELD)

    assert (result.counts.new, result.counts.changed, result.counts.held) == (1, 47, 3)
    working = working_fields(folder).set_index("id")
    assert working.loc[HELD, "owner"].tolist() == [f"OWNER {i}" for i in HELD]  # not applied
    assert working.loc["01-0004", "owner"] == "BUYER 01-0004"
    runs = read_table(folder.working_db, "runs", order_by="run_id")
    assert runs["held"].iloc[-1] == 3 and runs["changed"].iloc[-1] == 47
    journal = read_table(folder.working_db, "journal", order_by="rowid")
    held_rows = journal[(journal["run_id"] == result.run_id) & (journal["kind"] == "held")]
    assert held_rows["parcel_id"].tolist() == HELD
    assert held_rows["new_owner"].tolist() == [f"BUYER {i}" for i in HELD]  # what was offered
    held = session.held()
    assert held["id"].tolist() == HELD and set(held["kind"]) == {"changed"} and set(held["run"]) == {result.run_id}
    stats = read_table(folder.stats_db, "stats", order_by="use_code")
    assert stats["parcel_count"].sum() == 61  # the statistics follow what was applied
    assert load_state(folder.working_db).watermark == "2024-03-01T09:00:00.000000Z"  # moved past the held ones

    again = offered(folder, county)  # no change at the county since
    assert again["id"].tolist() == HELD
    assert again["kind"].tolist() == ["changed"] * 3 and again["owner"].tolist() == [f"BUYER {i}" for i in HELD]
    assert set(again["earlier"]) == {"held"} and again["note"].str.match(r"held back since \d{4}-\d\d-\d\d \(run 2\)").all()

    # Committed without holding them again: applied, and no longer held.
    session.plan()
    assert session.commit().counts.changed == 3
    assert session.held().empty and offered(folder, county).empty
    assert working_fields(folder).set_index("id").loc[HELD, "owner"].tolist() == [f"BUYER {i}" for i in HELD]


def test_a_held_parcel_edited_again_is_offered_with_the_new_values(folder: DataFolder, county: SourceTable) -> None:
    commit(plan_sync(folder, county.settings()), hold=HELD)
    county.update("01-0017", owner="THIRD OWNER", last_updated="2024-01-15 09:00:00")  # behind the watermark

    again = offered(folder, county).set_index("id")
    assert again.loc["01-0017", ["owner", "old_owner"]].tolist() == ["THIRD OWNER", "OWNER 01-0017"]


def test_a_held_parcel_the_county_reverted_drops_out(folder: DataFolder, county: SourceTable) -> None:
    commit(plan_sync(folder, county.settings()), hold=HELD)
    county.update("01-0042", owner="OWNER 01-0042")  # back to what working holds

    assert offered(folder, county)["id"].tolist() == ["01-0003", "01-0017"]
    sync(folder, county)  # the next commit drops it from the list (and applies the other two)
    assert SyncSession(folder, county.settings()).held().empty


def test_a_held_deletion_stays_offered_as_a_delete(folder: DataFolder, county: SourceTable) -> None:
    sync(folder, county)
    county.delete(*IDS[:10])  # 10 of 61: a mass delete
    change_set = plan_sync(folder, county.settings(), full_refresh=True)
    assert change_set.mass_delete
    result = commit(change_set, allow_mass_delete=True, hold=["01-0001", "01-0002"])

    assert (result.counts.deleted, result.counts.held) == (8, 2)
    assert {"01-0001", "01-0002"} <= set(working_fields(folder)["id"])
    again = offered(folder, county)  # an incremental sync: deletions are found only for held parcels
    assert again[["id", "kind", "earlier"]].values.tolist() == [["01-0001", "deleted", "held"],
                                                                 ["01-0002", "deleted", "held"]]
    assert SyncSession(folder, county.settings()).held()["kind"].tolist() == ["deleted", "deleted"]


def test_holding_a_parcel_the_review_does_not_offer_is_refused_and_changes_nothing(folder: DataFolder,
                                                                                   county: SourceTable) -> None:
    change_set = plan_sync(folder, county.settings())
    with pytest.raises(SyncError, match="does not offer parcel 09-9999"):
        commit(change_set, hold=["01-0003", "09-9999"])
    assert not change_set.closed and change_set.count("changed") == 50
    assert commit(change_set, hold=["01-0003"]).counts.held == 1


def test_undo_after_a_hold_puts_back_the_applied_parcels_and_keeps_the_held_ones(folder: DataFolder,
                                                                                county: SourceTable) -> None:
    session = SyncSession(folder, county.settings())
    session.plan()
    run = session.commit(hold=HELD).run_id
    assert run is not None

    undone = session.undo(run)

    assert undone.counts.changed == 47 and undone.counts.deleted == 1  # the held ones were not applied, not undone
    assert session.held()["id"].tolist() == HELD
    assert (working_fields(folder)["owner"].str.startswith("OWNER")).all()
    again = offered(folder, county).set_index("id")
    assert len(again) == 51
    assert set(again.loc[HELD, "earlier"]) == {"held"}  # held wins over undone
    others = again.drop(index=HELD)
    assert set(others["earlier"]) == {"undone"}
    assert others["note"].str.fullmatch(rf"undone on \d{{4}}-\d\d-\d\d \(run {run}\)").all()
    history = session.parcel_history("01-0003")
    assert history["kind"].tolist() == ["held", "new"]
    assert session.parcel_history("01-0004")["kind"].tolist() == ["undone", "changed", "new"]


def test_a_commit_clears_the_undone_marks(folder: DataFolder, county: SourceTable) -> None:
    run = sync(folder, county).run_id
    assert run is not None
    SyncSession(folder, county.settings()).undo(run)
    sync(folder, county)
    assert read_table(folder.working_db, "undone", order_by="parcel_id").empty
    assert offered(folder, county).empty


def test_the_command_line_holds_parcels_of_the_waiting_sync(tmp_path: Path, folder: DataFolder, county: SourceTable) -> None:
    (folder.path / "config.toml").write_text(f'[source]\nurl = "{county.url}"\n')

    def cli(*args: str) -> dict[str, object]:
        done = subprocess.run([*CLI, *args, "--data-dir", str(folder.path), "--json"], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert cli("sync", "--stage")["status"] == "staged"
    committed = cli("commit", "--yes", "--hold", *HELD)
    assert committed["counts"]["held"] == 3 and committed["counts"]["changed"] == 47  # type: ignore[index]
    status = cli("status")
    assert [row["id"] for row in status["held"]] == HELD  # type: ignore[union-attr]
    assert status["runs"][0]["held"] == 3  # type: ignore[index]
    review = cli("sync", "--stage")
    assert review["counts"]["changed"] == 3  # type: ignore[index]
    rows = cli("review", "--kind", "changed")["rows"]
    assert [row["earlier"] for row in rows] == ["held"] * 3  # type: ignore[union-attr,index]
    # The command line keeps earlier holds unless released.
    released = cli("commit", "--yes", "--release", "01-0003")
    assert released["counts"]["changed"] == 1 and released["counts"]["held"] == 2  # type: ignore[index]


def test_sources_read_parcels_by_id(tmp_path: Path, county: SourceTable, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_module, "ID_SLICE", 2)  # two IN lists
    wanted = ["01-0003", "01-0042", "09-9999"]
    from_table = pd.concat(Source(county.settings().source).read_ids(wanted, chunk_rows=2))
    assert from_table["id"].tolist() == ["01-0003", "01-0042"]
    csv = tmp_path / "roll.csv"
    county.frame().to_csv(csv, index=False)
    from_file = pd.concat(FileSource(SourceSettings(url=str(csv))).read_ids(wanted, chunk_rows=10))
    assert from_file["id"].tolist() == ["01-0003", "01-0042"]


def test_the_statistics_follow_only_what_was_applied(folder: DataFolder, county: SourceTable) -> None:
    county.update("01-0003", use_code="050", last_updated="2024-02-01 09:00:00")
    county.update("01-0004", use_code="050", last_updated="2024-02-01 09:00:00")
    commit(plan_sync(folder, county.settings()), hold=["01-0003"])

    stats = read_table(folder.stats_db, "stats", order_by="use_code").set_index("use_code")["parcel_count"]
    working = working_fields(folder)
    assert stats.to_dict() == working.groupby("use_code").size().to_dict() == {"001": 60, "050": 1}
