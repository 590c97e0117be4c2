"""Screenshots of the main window in each state, made offscreen on a temporary demo county.

    python scripts/screenshots.py [OUT_DIR]      # default /tmp/cds-shots

Writes idle, running, review (each class), error, browser (each table), history,
settings-screen and user-guide PNGs to OUT_DIR, at the smallest laptop a county
buys (1024x700) and at 1400x900 (names end in the size), and the 1400x900
review to docs/screenshot.png for the README.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QEventLoop, QItemSelectionModel, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from countydatasync_gui.etl.config import load_settings  # noqa: E402
from countydatasync_gui.etl.datafolder import DataFolder  # noqa: E402
from countydatasync_gui.etl.demo import create_demo_county, edit_demo_county  # noqa: E402
from countydatasync_gui.etl.progress import Step  # noqa: E402
from countydatasync_gui.etl.session import SyncSession  # noqa: E402
from countydatasync_gui.gui.main_window import MainWindow  # noqa: E402
from countydatasync_gui.gui.menus import show_user_guide  # noqa: E402
from countydatasync_gui.gui.review import FILTERS  # noqa: E402
from countydatasync_gui.gui.table_browser import TABLES  # noqa: E402

SIZES = ((1024, 700), (1400, 900))  # the smallest laptop a county buys, and a common desktop
README_SIZE = (1400, 900)


def wait_until(app: QApplication, condition, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def settle(app: QApplication) -> None:
    for _ in range(20):
        app.processEvents()


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "/tmp/cds-shots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([argv[0]])
    shots = [path for size in SIZES for path in shoot_at(app, out, size)]
    for path in shots:
        print(path)
    return 0


def shoot_at(app: QApplication, out: Path, size: tuple[int, int]) -> list[Path]:
    """Every state of the window at one window size, on a fresh demo county; the PNGs written."""
    suffix = f"-{size[0]}x{size[1]}"
    scratch = Path(tempfile.mkdtemp(prefix="cds-shots-"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings"))
    folder = DataFolder.resolve(scratch / "data").ensure()
    create_demo_county(folder.demo_source, parcels=25_000)
    window = MainWindow(folder, chunk_rows=2_000)  # small chunks: the running state lasts long enough to see
    window.resize(*size)
    window.show()
    wait_until(app, lambda: window.loaded)  # it reads the folder once it shows
    shots: list[Path] = []

    def shoot(name: str, widget: QWidget | None = None) -> None:
        settle(app)
        path = out / f"{name}{suffix}.png"
        (widget or window).grab().save(str(path))
        shots.append(path)

    try:
        shoot("idle")

        # Running: grab the window from the progress signal itself, mid-read.
        def on_progress(step: Step, done: int, total: int) -> None:
            if step is Step.READ and done >= total // 3 and not (out / f"running{suffix}.png").exists():
                window.sync_panel.show_progress(step, done, total)
                shoot("running")

        window.runner.progress.connect(on_progress)
        window.sync_panel.sync_button.click()
        wait_until(app, lambda: window.change_set is not None)
        window.runner.progress.disconnect(on_progress)
        window.review.commit_button.click()
        wait_until(app, lambda: not window.runner.busy)

        # Review: a realistic day of county edits and a few retired parcels, read by a full refresh
        # so that every class has rows.
        edit_demo_county(folder.demo_source, changes=150, seed=4)
        with sqlite3.connect(folder.demo_source) as db:
            db.execute("DELETE FROM parcels WHERE rowid IN (SELECT rowid FROM parcels ORDER BY rowid LIMIT 5)")
        window.sync_panel.full_refresh.setChecked(True)
        window.sync_panel.sync_button.click()
        wait_until(app, lambda: window.change_set is not None)
        window.review.select_filter("changed")
        shoot("review")
        if size == README_SIZE:
            shutil.copyfile(out / f"review{suffix}.png", REPO / "docs" / "screenshot.png")
        for kind, _ in FILTERS:
            window.review.select_filter(kind)
            shoot(f"review-{kind or 'all'}")
        window.review.select_filter("changed")
        window.review.search.setText("no such owner")
        window.review.search.returnPressed.emit()
        shoot("review-search-elsewhere")
        window.review.search.clear()
        window.review.search.returnPressed.emit()  # at once, not after the search's typing delay
        # Three parcels held back: they read "Held back", and Commit leaves them out.
        selection = window.review.view.selectionModel()
        for row in range(3):
            selection.select(window.review.model.index(row, 0),
                             QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
        window.review.toggle_hold()
        selection.clearSelection()
        shoot("review-held")
        held_parcel = window.review.held_ids()[0]
        window.ask = lambda *_: True  # the flagged-rows question
        window.review.commit_button.click()
        wait_until(app, lambda: not window.runner.busy)

        window.tabs.setCurrentWidget(window.browser)
        for table in TABLES:
            window.browser.select_table(table.table)
            shoot(f"browser-{table.table}")
        window.tabs.setCurrentWidget(window.history)
        window.history.view.selectRow(0)  # Save report…, Print… and Undo this sync… apply to it
        shoot("history")
        history = window.show_parcel_history(held_parcel)
        wait_until(app, lambda: history.model.rowCount() > 0)
        shoot("parcel-history", history)
        history.close()

        # A sync planned overnight (`countydatasync sync --stage`), found when the window is activated.
        edit_demo_county(folder.demo_source, changes=40, seed=9)
        night = SyncSession(folder, load_settings(folder))
        night.plan()
        night.stage()
        window.check_waiting()
        wait_until(app, lambda: window.change_set is not None and not window.runner.busy)
        window.tabs.setCurrentWidget(window.review)
        shoot("waiting")
        window.discard_changes()
        wait_until(app, lambda: not window.runner.busy)
        guide = show_user_guide(window)
        shoot("user-guide", guide)
        guide.close()

        # Settings: the demo county's file tested, then a preset that does not fit it.
        window.sync_panel.change_source_button.click()
        dialog = window.settings_dialog
        # As on a screen of this size: the dialog as large as its form wants, within the screen (the
        # offscreen platform's own screen is smaller than either size).
        dialog.resize(min(size[0], dialog.content.sizeHint().width() + 60),
                      min(size[1], dialog.content.sizeHint().height() + 80))
        dialog.run_test()
        wait_until(app, lambda: dialog.report is not None)
        shoot("settings", dialog)
        dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("florida_nal"))
        dialog.preset_box.activated.emit(dialog.preset_box.currentIndex())
        dialog.run_test()
        wait_until(app, lambda: not dialog.tester.busy)
        shoot("settings-problems", dialog)
        dialog.reject()

        # Error: the county's database cannot be found.
        window.set_source(f"sqlite:///{scratch / 'county-share' / 'parcels.sqlite'}")
        window.sync_panel.sync_button.click()
        wait_until(app, lambda: not window.runner.busy)
        shoot("error")
        window.message_banner.details_button.click()
        shoot("error-details")
    finally:
        window.ask = lambda *_: True  # a failed shot must not leave a question open on the way out
        window.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return shots


if __name__ == "__main__":
    sys.exit(main(sys.argv))
