"""Guard for the PySide6 pin (see pyproject.toml).

PySide6 6.12.0 on Python 3.11 aborts the whole process ("Fatal Python error:
none_dealloc: deallocating None") after a few thousand
QApplication.processEvents() calls, which every pytest-qt wait and progress
loop makes. On such a version this test does not fail politely: the test
process dies, and the run fails. 6.11.3 passes.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

CALLS = 20_000


def test_twenty_thousand_process_events_calls_do_not_abort_the_process(qapp):
    ticks = []
    timer = QTimer(interval=0)
    timer.timeout.connect(lambda: ticks.append(None))  # Python callbacks in the loop, as in a real sync
    timer.start()
    refs_before = sys.getrefcount(None)
    for _ in range(CALLS):
        QApplication.processEvents()
    timer.stop()
    assert ticks, "the event loop ran no Python callbacks"
    # The 6.12.0 bug drops references to None; catch a leak in that direction before it aborts.
    assert sys.getrefcount(None) >= refs_before - 100
    print(f"\nPySide6 {PySide6.__version__}: {CALLS:,} processEvents() calls, {len(ticks):,} timer callbacks")
