"""A parcel's history: every run that touched it, newest first, with old -> new values."""

from __future__ import annotations

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.session import SyncSession
from tests.support import SourceTable, parcel


def test_a_parcels_history_lists_every_run_that_touched_it_newest_first(folder: DataFolder, source: SourceTable) -> None:
    session = SyncSession(folder, source.settings())
    source.upsert([parcel("01-0001", "2024-01-01 09:00:00"), parcel("01-0002", "2024-01-01 09:00:00")])
    session.run(confirm=lambda change_set: True)
    source.update("01-0001", owner="SECOND OWNER", acres=0.5, last_updated="2024-02-01 09:00:00")
    session.plan()
    held_run = session.commit(hold=["01-0001"]).run_id
    session.plan()
    changed_run = session.commit().run_id
    assert changed_run is not None
    session.undo(changed_run)
    # After the undo the review offers it again, marked (not as if it were new information).
    row = session.plan().rows("changed").iloc[0]
    assert row["earlier"] == "undone" and row["note"].endswith(f"(run {changed_run})")
    session.discard()

    history = session.parcel_history("01-0001")

    assert history["kind"].tolist() == ["undone", "changed", "held", "new"]
    assert history["run"].tolist()[1:] == [changed_run, held_run, 1]
    assert history["when"].str.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z").all()
    changed = history.iloc[1]
    assert changed["changed"] == "owner,acres"
    assert (changed["old_owner"], changed["new_owner"], changed["old_acres"], changed["new_acres"]) == (
        "OWNER 01-0001", "SECOND OWNER", 0.25, 0.5)
    assert history.iloc[0][["old_owner", "new_owner"]].tolist() == ["SECOND OWNER", "OWNER 01-0001"]
    assert session.parcel_history("01-0002")["kind"].tolist() == ["new"]
    assert session.parcel_history("09-9999").empty
