"""A sync killed at any moment leaves the data folder consistent: all of a commit, or none of it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.demo import create_demo_county, edit_demo_county
from countydatasync_gui.etl.progress import Step
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.etl.sync import commit, open_waiting, plan_sync, stage
from tests.support import read_table

# A real sync in a child process that kills itself (SIGKILL: no clean-up, no
# rollback by Python) the moment the engine reports the given step, after the
# given number of progress reports inside it: a power cut at a chosen point.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from countydatasync_gui.etl.datafolder import DataFolder
    from countydatasync_gui.etl.progress import Progress
    from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
    from countydatasync_gui.etl.sync import commit, plan_sync

    folder, source, step, reports = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    class PowerCut(Progress):
        current = None
        seen = 0
        def step(self, step, total=None):
            self.current, self.seen = step.name, 0
            self._maybe_die()
        def advance(self, done):
            self.seen += 1
            self._maybe_die()
        def _maybe_die(self):
            if self.current == step and self.seen >= reports:
                os.kill(os.getpid(), signal.SIGKILL)

    settings = SyncSettings(SourceSettings(url=f"sqlite:///{source}"), chunk_rows=1000)
    progress = PowerCut()
    commit(plan_sync(DataFolder.resolve(folder), settings, progress=progress), progress=progress)
    """
)


def _sync_in_process(folder: DataFolder, source: Path, full_refresh: bool = False) -> None:
    settings = SyncSettings(SourceSettings(url=f"sqlite:///{source}"))
    commit(plan_sync(folder, settings, full_refresh=full_refresh))


@pytest.mark.parametrize(
    ("step", "reports"),
    [
        (Step.READ, 2),  # planning: only the scratch file is written
        (Step.SAVE_PARCELS, 2),  # half-way through upserting the working table
        (Step.JOURNAL, 1),  # parcels written, journal and watermark not yet
    ],
)
def test_killed_sync_changes_nothing_and_the_next_sync_recovers(tmp_path: Path, step: Step, reports: int) -> None:
    source = tmp_path / "county.sqlite"
    create_demo_county(source, parcels=20_000, seed=5)
    folder = DataFolder.resolve(tmp_path / "data")
    _sync_in_process(folder, source)
    before = read_table(folder.working_db, "working")
    stats_before = read_table(folder.stats_db, "stats")
    state_before = load_state(folder.working_db)
    edit_demo_county(source, changes=3_000, seed=6)

    killed = subprocess.run([sys.executable, "-c", CHILD, str(folder.path), str(source), step.name, str(reports)])

    assert killed.returncode == -9  # it really died at that point
    pd.testing.assert_frame_equal(read_table(folder.working_db, "working"), before)
    pd.testing.assert_frame_equal(read_table(folder.stats_db, "stats"), stats_before)
    assert load_state(folder.working_db) == state_before

    # The next sync (a full refresh, to also see retired parcels) finishes the job.
    _sync_in_process(folder, source, full_refresh=True)
    working = read_table(folder.working_db, "working")
    assert sorted(working["id"]) == sorted(read_table(source, "parcels")["id"])
    stats = read_table(folder.stats_db, "stats", order_by="use_code").set_index("use_code")["parcel_count"]
    assert stats.to_dict() == working.groupby("use_code").size().to_dict()


def test_killed_between_the_working_and_the_stats_commit_the_stats_are_rebuilt(tmp_path: Path) -> None:
    source = tmp_path / "county.sqlite"
    create_demo_county(source, parcels=5_000, seed=7)
    folder = DataFolder.resolve(tmp_path / "data")
    _sync_in_process(folder, source)
    stats_before = read_table(folder.stats_db, "stats")
    edit_demo_county(source, changes=500, seed=8)

    # The working database has committed (parcels, journal, watermark); the stats have not.
    killed = subprocess.run([sys.executable, "-c", CHILD, str(folder.path), str(source), Step.STATISTICS.name, "0"])

    assert killed.returncode == -9
    state = load_state(folder.working_db)
    assert state.watermark is not None and state.last_run_id == 2
    pd.testing.assert_frame_equal(read_table(folder.stats_db, "stats"), stats_before)  # one run behind

    # The next sync notices the lag and rebuilds them from the working table, whatever it finds to do.
    _sync_in_process(folder, source)
    working = read_table(folder.working_db, "working")
    stats = read_table(folder.stats_db, "stats", order_by="use_code").set_index("use_code")
    assert stats["parcel_count"].to_dict() == working.groupby("use_code").size().to_dict()
    assert stats["assessed_value"].to_dict() == working.groupby("use_code")["assessed_value"].sum().round(2).to_dict()


UNDO_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from countydatasync_gui.etl import undo
    from countydatasync_gui.etl.datafolder import DataFolder

    # Power cut inside the undo's transaction: parcels put back and journaled, the state not yet saved.
    undo.save_state = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    undo.undo_run(DataFolder.resolve(sys.argv[1]), int(sys.argv[2]))
    """
)


def _bookkeeping(folder: DataFolder, *more: str) -> list[pd.DataFrame]:
    """The working table, journal, run history and any `more` tables of the working database."""
    return [read_table(folder.working_db, table, order_by="rowid" if table != "working" else "id")
            for table in ("working", "journal", "runs", *more)]


def _synced_then_edited(tmp_path: Path, parcels: int, seed: int) -> tuple[Path, DataFolder]:
    """A demo county synced once into a new folder, then edited (a tenth of its parcels)."""
    source = tmp_path / "county.sqlite"
    create_demo_county(source, parcels=parcels, seed=seed)
    folder = DataFolder.resolve(tmp_path / "data")
    _sync_in_process(folder, source)
    edit_demo_county(source, changes=parcels // 10, seed=seed + 1)
    return source, folder


def test_killed_undo_changes_nothing(tmp_path: Path) -> None:
    source, folder = _synced_then_edited(tmp_path, 5_000, seed=9)
    _sync_in_process(folder, source)
    before = _bookkeeping(folder)
    stats_before, state_before = read_table(folder.stats_db, "stats"), load_state(folder.working_db)

    killed = subprocess.run([sys.executable, "-c", UNDO_CHILD, str(folder.path), "2"])

    assert killed.returncode == -9
    for old, new in zip(before, _bookkeeping(folder), strict=True):
        pd.testing.assert_frame_equal(old, new)
    pd.testing.assert_frame_equal(read_table(folder.stats_db, "stats"), stats_before)
    assert load_state(folder.working_db) == state_before


HOLD_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from countydatasync_gui.etl import sync
    from countydatasync_gui.etl.datafolder import DataFolder
    from countydatasync_gui.etl.settings import SourceSettings, SyncSettings

    # Power cut inside the commit's transaction: parcels, journal and held list written, the state not yet.
    sync.save_state = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    settings = SyncSettings(SourceSettings(url=f"sqlite:///{sys.argv[2]}"))
    sync.commit(sync.open_waiting(DataFolder.resolve(sys.argv[1]), settings), hold=sys.argv[3:])
    """
)


def test_killed_commit_with_holds_changes_nothing_and_the_waiting_review_is_whole_again(tmp_path: Path) -> None:
    source, folder = _synced_then_edited(tmp_path, 2_000, seed=11)
    settings = SyncSettings(SourceSettings(url=f"sqlite:///{source}"))
    planned = plan_sync(folder, settings)
    hold = planned.rows("changed", limit=3)["id"].tolist()
    changed = planned.counts.changed
    stage(planned)
    before, state_before = _bookkeeping(folder, "held"), load_state(folder.working_db)

    killed = subprocess.run([sys.executable, "-c", HOLD_CHILD, str(folder.path), str(source), *hold])

    assert killed.returncode == -9
    for old, new in zip(before, _bookkeeping(folder, "held"), strict=True):
        pd.testing.assert_frame_equal(old, new)
    assert load_state(folder.working_db) == state_before
    waiting = open_waiting(folder, settings)  # the holds the dead commit marked are released
    assert waiting.count("changed") == changed
    assert commit(waiting, hold=hold[:1]).counts.held == 1
