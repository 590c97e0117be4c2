"""Time to first rows shown: the table browser on the working table, the review of a large change set.

Runs offscreen in the benchmark's child process; returns the seconds from the
request to the first rows painted, with the window already shown.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QTableView

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.session import FolderView
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.sync import plan_sync
from countydatasync_gui.gui.review import ReviewPanel
from countydatasync_gui.gui.table_browser import TableBrowser


def measure(name: str, *args: str) -> Callable[[], float]:
    """Prepare scenario `name` ("browser DATA_DIR" or "review SOURCE") and return the timed step."""
    app = QApplication.instance() or QApplication([])
    if name == "browser":
        widget = TableBrowser()
        folder = DataFolder.resolve(args[0])

        def start_showing() -> None:
            widget.load(FolderView(folder))
            widget.select_table("working")

        view = widget.view
    else:
        # A first sync of the source into a fresh folder: every parcel is "new".
        source, scratch = Path(args[0]), Path(args[1])
        change_set = plan_sync(DataFolder.resolve(scratch), SyncSettings(SourceSettings(url=f"sqlite:///{source}")))
        review = ReviewPanel()

        def start_showing() -> None:
            review.show_change_set(change_set)

        widget, view = review, review.view
    widget.resize(1200, 700)
    widget.show()
    app.processEvents()
    return lambda: _first_rows(app, view, start_showing)


def _first_rows(app: QApplication, view: QTableView, start_showing: Callable[[], None]) -> float:
    start = time.perf_counter()
    start_showing()
    while view.model().rowCount() == 0:
        app.processEvents()
    view.viewport().repaint()  # paint the first page now, as the screen would
    return time.perf_counter() - start
