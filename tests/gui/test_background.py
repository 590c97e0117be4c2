"""The one background runner: outcomes on the GUI thread, the newest job wins, cancel is built in."""

from __future__ import annotations

import threading

from countydatasync_gui.etl.progress import Step
from countydatasync_gui.gui.background import Lane, wait_for_background


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def test_the_result_and_the_progress_arrive_on_the_gui_thread(qtbot):
    lane = Lane()
    seen: list[tuple[str, object, bool]] = []
    worker_threads: list[bool] = []

    def job(progress):
        worker_threads.append(threading.current_thread() is threading.main_thread())
        progress.step(Step.READ, total=10)
        progress.advance(5)
        return 42

    lane.progress.connect(lambda step, done, total: seen.append(("progress", (step, done, total), _on_gui_thread())))
    with qtbot.waitSignal(lane.finished, timeout=10_000):
        lane.start(job, on_result=lambda value: seen.append(("result", value, _on_gui_thread())))
        assert lane.busy
    assert worker_threads == [False]  # the job itself ran off the GUI thread
    assert seen == [("progress", (Step.READ, 0, 10), True), ("progress", (Step.READ, 5, 10), True),
                    ("result", 42, True)]
    assert not lane.busy


def test_an_error_reaches_its_callback(qtbot):
    lane = Lane()
    errors: list[BaseException] = []
    with qtbot.waitSignal(lane.finished, timeout=10_000):
        lane.start(lambda _p: 1 / 0, on_result=lambda _v: None, on_error=errors.append)
    assert len(errors) == 1 and isinstance(errors[0], ZeroDivisionError)


def test_a_newer_job_makes_the_older_one_stale(qtbot):
    lane = Lane()
    release = threading.Event()
    results: list[str] = []
    stale: list[str] = []

    def slow(_progress):
        release.wait(10)
        return "old"

    lane.start(slow, on_result=results.append, on_stale=stale.append)
    with qtbot.waitSignal(lane.finished, timeout=10_000):
        lane.start(lambda _p: "new", on_result=results.append)
    release.set()
    assert wait_for_background(10_000)
    qtbot.waitUntil(lambda: stale == ["old"])  # handed back to be released, never shown
    assert results == ["new"]


def test_cancel_is_built_in(qtbot):
    lane = Lane()
    interrupted = threading.Event()
    outcomes: list[str] = []

    def job(progress):
        progress.on_cancel(interrupted.set)  # e.g. sqlite3.Connection.interrupt
        interrupted.wait(10)
        progress.check_cancelled()
        return "finished"

    lane.start(job, on_result=outcomes.append, on_cancelled=lambda: outcomes.append("cancelled"))
    with qtbot.waitSignal(lane.finished, timeout=10_000):
        lane.cancel()
    assert outcomes == ["cancelled"] and interrupted.is_set()
