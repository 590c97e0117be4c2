"""The engine's one door: a session's states, the rules after planning, and the screens' questions."""

from __future__ import annotations

import pytest

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import ChangeSetClosed, MassDeleteRefused, SourceUnavailable
from countydatasync_gui.etl.session import NextStep, Phase, SyncSession
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.schema import RunStatus
from tests.support import SourceTable, parcel, working_fields


@pytest.fixture
def county(source: SourceTable) -> SourceTable:
    source.upsert(parcel(f"01-{i:04d}", f"2024-01-{i + 1:02d} 09:00:00", use_code=("001", "050")[i % 2]) for i in range(10))
    return source


def test_a_sync_goes_from_idle_to_planned_to_committed(folder: DataFolder, county: SourceTable) -> None:
    session = SyncSession(folder, county.settings())
    assert session.phase is Phase.IDLE

    change_set = session.plan()
    assert session.phase is Phase.PLANNED and session.next_step(change_set) is NextStep.REVIEW
    with pytest.raises(ChangeSetClosed, match="already open"):
        session.plan()  # one review at a time
    result = session.commit()

    assert session.phase is Phase.COMMITTED and result.status is RunStatus.COMMITTED
    with pytest.raises(ChangeSetClosed, match="no sync waiting"):
        session.commit()
    assert session.sync_state().last_run_id == result.run_id


def test_nothing_to_do_is_recorded_at_once_and_a_dry_run_is_only_reviewed(folder: DataFolder, county: SourceTable) -> None:
    session = SyncSession(folder, county.settings())
    session.plan()
    session.commit()

    again = session.plan()
    assert session.next_step(again) is NextStep.RECORD_CHECK
    session.discard()
    look = session.plan(dry_run=True)
    assert look.nothing_to_do and session.next_step(look) is NextStep.REVIEW  # a look never commits
    assert session.discard().run_id is None and session.phase is Phase.DISCARDED


def test_run_follows_the_rules(folder: DataFolder, county: SourceTable) -> None:
    session = SyncSession(folder, county.settings())
    seen: list[int] = []

    _, first = session.run(confirm=lambda change_set: True, on_planned=lambda change_set: seen.append(change_set.counts.new))
    _, nothing = session.run(confirm=lambda change_set: pytest.fail("nothing to review, nothing to confirm"))
    county.update("01-0001", owner="SOMEONE ELSE", last_updated="2024-02-01 00:00:00")
    _, declined = session.run(confirm=lambda change_set: False)

    assert seen == [10]
    assert [first.status, nothing.status, declined.status] == [RunStatus.COMMITTED, RunStatus.NOTHING_TO_DO,
                                                                RunStatus.DISCARDED]
    assert working_fields(folder).set_index("id").loc["01-0001", "owner"] == "OWNER 01-0001"


def test_a_refused_mass_delete_is_discarded_by_run_but_kept_open_by_commit(folder: DataFolder, county: SourceTable) -> None:
    session = SyncSession(folder, county.settings())
    session.run(confirm=lambda change_set: True)
    county.delete("01-0001", "01-0002", "01-0003")

    with pytest.raises(MassDeleteRefused):
        session.run(full_refresh=True, confirm=lambda change_set: True)
    assert session.phase is Phase.DISCARDED and len(working_fields(folder)) == 10

    change_set = session.plan(full_refresh=True)
    assert session.next_step(change_set) is NextStep.CONFIRM_MASS_DELETE
    with pytest.raises(MassDeleteRefused):
        session.commit()
    assert session.phase is Phase.PLANNED  # still open: the clerk may confirm
    assert session.commit(allow_mass_delete=True).counts.deleted == 3


def test_a_failed_plan_is_a_failed_phase(folder: DataFolder, tmp_path) -> None:
    session = SyncSession(folder, SyncSettings(SourceSettings(url=f"sqlite:///{tmp_path / 'missing.sqlite'}")))

    with pytest.raises(SourceUnavailable):
        session.plan()
    assert session.phase is Phase.FAILED and session.change_set is None


def test_the_screens_questions(folder: DataFolder, county: SourceTable) -> None:
    session = SyncSession(folder, county.settings())
    assert session.run_marks() == (None, set()) and session.land_use_groups() == []

    _, good = session.run(confirm=lambda change_set: True)
    with pytest.raises(SourceUnavailable):
        SyncSession(folder, SyncSettings(SourceSettings(url="sqlite:////nowhere/parcels.sqlite"))).run(
            confirm=lambda change_set: True)

    last, failed = session.run_marks()
    assert last == good.run_id and failed == {good.run_id + 1}
    assert session.land_use_groups() == [("Agricultural", 5, 500_000.0), ("Residential", 5, 500_000.0)]
    assert session.recent_runs()["status"].tolist() == ["failed", "committed"]
    assert session.settings_in_force()["source"]["table"] == "parcels"
    assert session.test_connection(county.settings().source).ok
