"""Plan now, review later: a change set staged in the data folder, committed or discarded by another process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import ChangeSetClosed, ReviewOutdated, SourceChanged
from countydatasync_gui.etl.session import Phase, SyncSession
from countydatasync_gui.etl.schema import RunStatus
from countydatasync_gui.etl.state import load_state
from tests.support import SourceTable, assert_unchanged, parcel, read_table, snapshot, stage, working_fields

CLI = [sys.executable, "-m", "countydatasync_gui.cli"]


@pytest.fixture
def county(source: SourceTable) -> SourceTable:
    source.upsert(parcel(f"01-{i:04d}", f"2024-01-{i + 1:02d} 09:00:00") for i in range(20))
    return source


@pytest.fixture
def edited(folder: DataFolder, county: SourceTable) -> SourceTable:
    """The county after a first sync and a day of edits: 2 changed, 1 new."""
    SyncSession(folder, county.settings()).run(confirm=lambda change_set: True)
    county.update("01-0003", owner="NEW OWNER", last_updated="2024-02-01 08:00:00")
    county.update("01-0004", assessed_value=400_000.0, last_updated="2024-02-01 08:01:00")
    county.upsert([parcel("02-0001", "2024-02-01 09:00:00")])
    return county


def test_a_staged_sync_waits_unlocked_and_is_committed_by_another_session(folder: DataFolder, edited: SourceTable) -> None:
    night = SyncSession(folder, edited.settings())
    night.plan()
    waiting = night.stage()
    assert (waiting.counts.new, waiting.counts.changed) == (1, 2) and night.phase is Phase.IDLE
    folder.acquire_sync_lock().release()  # the folder is not locked while nobody looks at it
    before = snapshot(folder)

    morning = SyncSession(folder, edited.settings())
    assert morning.waiting() == waiting
    change_set = morning.open_waiting()
    assert change_set.rows("changed")["id"].tolist() == ["01-0003", "01-0004"]  # the review pages as before
    morning.leave_waiting()  # a look only: it still waits
    assert_unchanged(before, snapshot(folder))

    session = SyncSession(folder, edited.settings())
    session.open_waiting()
    result = session.commit()

    assert result.status is RunStatus.COMMITTED and result.counts.changed == 2
    assert working_fields(folder).set_index("id").loc["01-0003", "owner"] == "NEW OWNER"
    assert load_state(folder.working_db).watermark == "2024-02-01T09:00:00.000000Z"
    assert session.waiting() is None and not folder.waiting_review.exists()
    journal = read_table(folder.working_db, "journal", order_by="rowid")
    assert journal[journal["run_id"] == result.run_id]["parcel_id"].tolist() == ["01-0003", "01-0004", "02-0001"]


def _commit_is_refused(folder: DataFolder, county: SourceTable, reason: str) -> None:
    """Taking up the waiting sync and committing it fails with `reason` (a pattern) and changes nothing."""
    before = snapshot(folder)
    session = SyncSession(folder, county.settings())
    session.open_waiting()
    with pytest.raises(ReviewOutdated, match=reason):
        session.commit()
    assert_unchanged(before, snapshot(folder))


def test_a_waiting_sync_is_never_applied_to_a_working_table_that_moved_on(folder: DataFolder, edited: SourceTable) -> None:
    stage(folder, edited.settings())
    SyncSession(folder, edited.settings()).run(confirm=lambda change_set: True)  # someone synced in between
    edited.update("01-0005", owner="LATER EDIT", last_updated="2024-03-01 00:00:00")
    _commit_is_refused(folder, edited, "The parcels changed since this review was planned on .*; sync again")
    assert read_table(folder.working_db, "runs", order_by="run_id")["status"].tolist()[-1] == "failed"


def test_a_review_older_than_a_week_asks_for_a_fresh_sync(folder: DataFolder, edited: SourceTable) -> None:
    stage(folder, edited.settings())
    with sqlite3.connect(folder.waiting_review) as db:  # as if planned eight days ago
        plan = json.loads(db.execute("SELECT body FROM plan").fetchone()[0])
        plan["started_at"] = "2020-01-01T02:00:00.000000Z"
        db.execute("UPDATE plan SET body = ?", (json.dumps(plan),))
    _commit_is_refused(folder, edited, "more than a week ago")


def test_staging_again_replaces_the_waiting_sync_and_discard_records_it(folder: DataFolder, edited: SourceTable) -> None:
    session = SyncSession(folder, edited.settings())
    session.plan()
    session.stage()
    edited.upsert([parcel("02-0002", "2024-02-02 09:00:00")])
    session.plan()
    assert session.stage().counts.new == 2
    assert list(folder.pending_dir.glob("*.sqlite")) == [folder.waiting_review]

    session.open_waiting()
    assert session.discard().status is RunStatus.DISCARDED
    assert session.waiting() is None
    with pytest.raises(ChangeSetClosed, match="no sync waiting"):
        session.open_waiting()


def test_a_waiting_sync_from_another_source_is_not_taken_up(folder: DataFolder, edited: SourceTable, tmp_path: Path) -> None:
    stage(folder, edited.settings())
    other = SourceTable(tmp_path / "other.sqlite")

    with pytest.raises(SourceChanged, match="another source"):
        SyncSession(folder, other.settings()).open_waiting()
    assert folder.waiting_review.exists()
    folder.acquire_sync_lock().release()  # the failed attempt let go of the lock


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args, "--data-dir", str(data)], capture_output=True, text=True, timeout=120)


def test_the_nightly_command_stages_and_the_morning_commands_review_and_commit(tmp_path: Path, county: SourceTable) -> None:
    data = tmp_path / "data"
    assert _cli(data, "sync", "--source", county.url, "--yes").returncode == 0
    county.update("01-0003", owner="NEW OWNER", last_updated="2024-02-01 08:00:00")
    (data / "config.toml").write_text(f'[source]\nurl = "{county.url}"\n')

    staged = json.loads(_cli(data, "sync", "--stage", "--json").stdout)
    status = json.loads(_cli(data, "status", "--json").stdout)
    review = json.loads(_cli(data, "review", "--kind", "changed", "--json").stdout)
    committed = json.loads(_cli(data, "commit", "--yes", "--json").stdout)

    assert staged["status"] == "staged" and staged["counts"]["changed"] == 1 and staged["run_id"] is None
    assert status["waiting"]["counts"]["changed"] == 1 and status["waiting"]["planned_at"] == staged["planned_at"]
    assert review["status"] == "waiting" and [r["id"] for r in review["rows"]] == ["01-0003"]
    assert review["rows"][0]["old_owner"] == "OWNER 01-0003"
    assert committed["status"] == "committed" and committed["counts"]["changed"] == 1
    assert committed["watermark_after"] == "2024-02-01T08:00:00.000000Z"
    assert json.loads(_cli(data, "status", "--json").stdout)["waiting"] is None
    nothing = _cli(data, "discard", "--json")
    assert nothing.returncode == 1 and "no sync waiting" in nothing.stderr
