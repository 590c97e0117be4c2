"""The sync runs on a worker thread: the window stays responsive, Cancel works mid-run, closing is clean."""

from __future__ import annotations

import time

import gc

from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from countydatasync_gui.etl.progress import Step
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.etl.startup import freeze_startup_objects
from tests.gui.conftest import LARGE_COUNTY, sync
from tests.support import read_table

TICK_MS = 20
#: What this test guards is that the sync runs off the GUI thread: run on it, the loop would be
#: away for the whole plan (seconds; the test checks the plan takes several times this long).
#: The 100 ms target itself is a speed figure: `make bench` measures it on a million parcels
#: (the window's longest stall) rather than a timed unit test on a shared CI machine.
#: Measured here: 40-80 ms; the limit leaves room for a loaded machine, not for a frozen window.
FROZEN_MS = 300


def test_window_stays_responsive_during_a_large_sync(qtbot, make_window, large_folder):
    window = make_window(large_folder)
    freeze_startup_objects()  # as `countydatasync-gui` does after opening the window
    gaps: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer(interval=TICK_MS)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start()
    started = time.perf_counter()
    sync(qtbot, window, timeout=120_000)  # plan: read, validate and classify 400,000 parcels
    with qtbot.waitSignal(window.runner.committed, timeout=120_000):
        window.review.commit_button.click()
    timer.stop()
    gc.unfreeze()
    elapsed = time.perf_counter() - started
    gaps.sort()
    print(f"\n{LARGE_COUNTY:,}-parcel sync + commit: {elapsed:.1f} s, {len(gaps)} ticks; "
          f"median gap {gaps[len(gaps) // 2]} ms, 99th percentile {gaps[int(len(gaps) * .99)]} ms, worst {gaps[-1]} ms")
    assert elapsed * 1000 > 3 * FROZEN_MS  # long enough that a sync on the GUI thread would fail below
    # The timer really ran throughout. The GUI thread shares the interpreter with the engine's threads, so
    # during a sync a 10 ms timer ticks about every 20 ms (measured, with or without bulk staging).
    assert len(gaps) > elapsed * 1000 / TICK_MS * 0.25
    assert gaps[-1] < FROZEN_MS, f"the window froze for {gaps[-1]} ms"
    window.browser.select_table("working")
    qtbot.waitUntil(lambda: window.browser.model.total == LARGE_COUNTY)


def _cancel_when(qtbot, window, when: Step, *, as_it_begins: bool = False) -> float:
    """Press Cancel as soon as the engine reports rows done in step `when` (`as_it_begins`: as the step begins);
    seconds until it stopped."""
    pressed: list[float] = []

    def on_progress(step: Step, done: int, _total: int) -> None:
        if step is when and (done > 0 or as_it_begins) and not pressed:
            pressed.append(time.perf_counter())
            window.sync_panel.cancel_button.click()

    window.runner.progress.connect(on_progress)
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        pass
    assert pressed, "the run ended before Cancel could be pressed"
    return time.perf_counter() - pressed[0]


def test_cancel_while_reading_changes_nothing(qtbot, make_window, large_folder):
    window = make_window(large_folder)  # the app's own chunk size
    window.sync_panel.sync_button.click()
    stopped_after = _cancel_when(qtbot, window, Step.READ)
    print(f"\ncancel took effect after {stopped_after * 1000:.0f} ms")
    assert stopped_after < 1.0
    qtbot.waitUntil(lambda: window.sync_panel.sync_button.isEnabled())
    assert "Cancelled. Nothing was changed" in window.message_banner.text
    assert load_state(large_folder.working_db).watermark is None
    assert read_table(large_folder.working_db, "working").empty
    assert not window.sync_panel.cancel_button.isEnabled()


def test_cancel_while_committing_changes_nothing(qtbot, make_window, large_folder):
    window = make_window(large_folder, chunk_rows=5_000)
    sync(qtbot, window, timeout=120_000)
    window.review.commit_button.click()
    # A first load saves its parcels in one statement, reporting the rows when it is done: Cancel is pressed
    # as it begins, and must stop it mid-statement.
    stopped_after = _cancel_when(qtbot, window, Step.SAVE_PARCELS, as_it_begins=True)
    assert stopped_after < 1.0
    assert read_table(large_folder.working_db, "working").empty  # rolled back
    assert load_state(large_folder.working_db).watermark is None
    assert window.change_set is None and window.review.stack.currentIndex() == 0
    assert window.history.model.raw(0, window.history.model.columns.index("status")) == "cancelled"


def test_closing_during_a_run_asks_then_cancels_cleanly(qtbot, make_window, large_folder):
    window = make_window(large_folder, chunk_rows=5_000)
    questions: list[str] = []
    window.ask = lambda title, text: questions.append(text) or True
    window.sync_panel.sync_button.click()
    qtbot.waitUntil(lambda: window.sync_panel.progress.maximum() > 0, timeout=30_000)  # reading has begun
    window.close()
    assert questions and "Stop it and close" in questions[0]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert window.runner.shutdown(5_000)  # the run ended: nothing left running in the background
    assert load_state(large_folder.working_db).watermark is None


def test_closing_during_a_run_can_be_refused(qtbot, make_window, large_folder):
    window = make_window(large_folder, chunk_rows=5_000)
    window.ask = lambda *_: False
    window.sync_panel.sync_button.click()
    window.close()
    assert window.isVisible() and window.runner.busy
    window.ask = lambda *_: True  # let the fixture close it
