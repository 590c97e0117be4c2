"""Failures appear in plain words with details behind a button, and in the log; the app keeps working."""

from __future__ import annotations

from filelock import FileLock

from countydatasync_gui.etl import sync as engine_sync
from countydatasync_gui.etl.state import load_state
from tests.gui.conftest import commit, sync
from tests.support import read_table


def _run_to_end(qtbot, window) -> None:
    window.sync_panel.sync_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def test_unreachable_source_shows_the_error_then_a_good_source_works(qtbot, make_window, tmp_path, folder):
    window = make_window(source_url=f"sqlite:///{tmp_path / 'no-such-county.sqlite'}")
    _run_to_end(qtbot, window)

    banner = window.message_banner
    assert banner.isVisible() and banner.kind == "error"
    assert "was not found" in banner.text and "Check the file name" in banner.text
    assert banner.details_button.isVisible() and not banner.details.isVisible()
    banner.details_button.click()
    assert banner.details.isVisible() and "no-such-county.sqlite" in banner.details.toPlainText()
    qtbot.waitUntil(lambda: "was not found" in window.log_viewer.text.toPlainText())
    assert window.sync_panel.sync_button.isEnabled() and window.change_set is None

    window.set_source(None)  # the demo county
    sync(qtbot, window)
    commit(qtbot, window)
    assert not banner.kind == "error"
    assert load_state(folder.working_db).watermark is not None


def test_missing_table_says_which(qtbot, make_window, folder):
    window = make_window(source_url=f"sqlite:///{folder.demo_source}", table="parcel_list")
    _run_to_end(qtbot, window)
    assert "no table named 'parcel_list'" in window.message_banner.text


def test_locked_data_folder_says_another_sync_runs(qtbot, make_window, folder):
    window = make_window()
    lock = FileLock(folder.lock_file)
    with lock.acquire(timeout=0):
        _run_to_end(qtbot, window)
        assert "A sync or a review is open in another CountyDataSync" in window.message_banner.text
    sync(qtbot, window)  # the other sync finished: this one works
    assert window.change_set is not None


def test_a_second_window_on_a_folder_under_review_says_so_at_start(qtbot, make_window, folder):
    first = make_window()
    sync(qtbot, first)  # the first window holds the folder while its review is open
    second = make_window()
    text = second.message_banner.text
    assert second.message_banner.isVisible()
    assert "A sync or a review is open in another CountyDataSync window on this computer" in text and "(since " in text


def test_failure_during_commit_changes_nothing_and_the_app_recovers(qtbot, make_window, folder, monkeypatch):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    working = read_table(folder.working_db, "working")
    watermark = load_state(folder.working_db).watermark

    from countydatasync_gui.etl.demo import edit_demo_county
    edit_demo_county(folder.demo_source, changes=30, seed=5)
    sync(qtbot, window)

    def broken_disk(*_args, **_kwargs):
        raise OSError("disk I/O error (simulated)")

    monkeypatch.setattr(engine_sync, "create_and_load_working_db", broken_disk)
    with qtbot.waitSignal(window.runner.failed, timeout=60_000):
        window.review.commit_button.click()
    banner = window.message_banner
    assert banner.kind == "error" and "Nothing was changed" in banner.text
    assert "simulated" in banner.details.toPlainText()  # the traceback, behind Details
    assert "simulated" not in banner.text  # the clerk reads plain words
    assert read_table(folder.working_db, "working").equals(working)
    assert load_state(folder.working_db).watermark == watermark
    assert window.review.stack.currentIndex() == 0 and window.sync_panel.sync_button.isEnabled()

    monkeypatch.undo()
    sync(qtbot, window)
    commit(qtbot, window)
    assert load_state(folder.working_db).watermark > watermark
