"""The window's longest stall during a sync: the real main window, Sync now, then Commit.

Runs offscreen in the benchmark's child process. A precise 10 ms timer ticks
on the GUI thread throughout; the longest gap between two ticks is how long
the event loop was kept from the clerk's clicks and repaints (plus a few
milliseconds of timer jitter). Returns that gap in seconds.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.startup import freeze_startup_objects
from countydatasync_gui.gui.main_window import MainWindow

TICK_MS = 10


def measure(source: str, scratch: str) -> Callable[[], float]:
    """Open the window on a fresh folder whose demo county is a copy of `source`; return the timed sync."""
    app = QApplication.instance() or QApplication([])
    folder = DataFolder.resolve(scratch).ensure()
    shutil.copyfile(Path(source), folder.demo_source)
    window = MainWindow(folder)
    window.ask = lambda *_: True  # no modal questions
    loaded = QEventLoop()
    window.load_finished.connect(loaded.quit)
    window.show()
    loaded.exec()  # it reads the folder once it shows
    app.processEvents()
    freeze_startup_objects()  # as `countydatasync-gui` does after opening the window
    return lambda: _worst_gap(window)


def _worst_gap(window: MainWindow) -> float:
    clock, gaps = QElapsedTimer(), [0]
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps[0] = max(gaps[0], now - last[0])
        last[0] = now

    timer = QTimer(interval=TICK_MS)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    window.runner.planned.connect(lambda _: window.review.commit_button.click())
    window.runner.committed.connect(lambda _: loop.quit())
    window.runner.failed.connect(lambda message, _details: (loop.quit(), print(message, file=sys.stderr)))
    timer.start()
    window.sync_panel.sync_button.click()
    loop.exec()
    timer.stop()
    committed = not window.runner.busy and window.change_set is None
    window.close()  # stops the worker thread, as when the clerk closes the app
    if not committed:
        raise SystemExit("the sync did not commit")
    return gaps[0] / 1000
