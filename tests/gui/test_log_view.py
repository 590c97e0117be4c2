"""Log records reach the log viewer live, from any thread; level filter, find, bound, save."""

from __future__ import annotations

import logging
import threading

from countydatasync_gui.gui import log_view
from countydatasync_gui.gui.log_view import LogViewer
from countydatasync_gui.gui.qt_logging import install_handler, remove_handler
from tests.gui.conftest import sync

engine_log = logging.getLogger("countydatasync_gui.etl.test")


def test_engine_records_appear_while_the_worker_runs(qtbot, make_window):
    window = make_window()
    sync(qtbot, window)
    text = window.log_viewer.text.toPlainText()
    assert "Sync started (first sync)" in text
    assert "Change set: 2,000 new" in text


def test_records_from_another_thread_cross_to_the_gui_thread(qtbot):
    viewer = LogViewer()
    qtbot.addWidget(viewer)
    handler = install_handler()
    handler.bridge.record_logged.connect(viewer.append_record)
    try:
        worker = threading.Thread(target=lambda: engine_log.warning("Parcel 01-0042 looks odd"))
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: "Parcel 01-0042 looks odd" in viewer.text.toPlainText())
        assert "WARNING" in viewer.text.toPlainText()
    finally:
        remove_handler(handler)


def test_level_filter_hides_and_shows_records(qtbot):
    viewer = LogViewer()
    qtbot.addWidget(viewer)
    viewer.append_record(logging.DEBUG, "debug: changed parcels 1, 2, 3")
    viewer.append_record(logging.INFO, "info: read 10 rows")
    viewer.append_record(logging.ERROR, "error: source unreachable")
    assert "read 10 rows" in viewer.text.toPlainText() and "debug:" not in viewer.text.toPlainText()
    viewer.level.setCurrentIndex(3)  # errors only
    assert viewer.text.toPlainText().strip() == "error: source unreachable"
    viewer.level.setCurrentIndex(0)  # everything
    assert viewer.text.toPlainText().count("\n") == 2
    viewer.find_box.setText("unreachable")
    assert viewer.find_next()
    assert viewer.text.textCursor().selectedText() == "unreachable"
    viewer.find_box.setText("no such words")
    assert not viewer.find_next() and viewer.find_status.text() == "not found"


def test_the_log_is_bounded(qtbot, monkeypatch):
    monkeypatch.setattr(log_view, "MAX_LINES", 50)
    viewer = LogViewer()
    qtbot.addWidget(viewer)
    for n in range(120):
        viewer.append_record(logging.INFO, f"line {n}")
    assert viewer.text.blockCount() == 50
    assert viewer.text.toPlainText().splitlines()[-1] == "line 119"
    viewer.level.setCurrentIndex(0)  # re-rendering keeps the bound too
    assert viewer.text.blockCount() == 50


def test_copy_and_save(qtbot, tmp_path):
    viewer = LogViewer()
    qtbot.addWidget(viewer)
    viewer.append_record(logging.INFO, "first")
    viewer.append_record(logging.WARNING, "second")
    viewer.copy()
    from PySide6.QtGui import QGuiApplication
    assert QGuiApplication.clipboard().text() == "first\nsecond"
    saved = viewer.save(tmp_path / "log.txt")
    assert saved is not None and saved.read_text(encoding="utf-8") == "first\nsecond\n"
