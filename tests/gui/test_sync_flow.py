"""Driving the real window: Sync now -> review -> Commit or Discard, on real SQLite files."""

from __future__ import annotations

import sqlite3

from countydatasync_gui.etl.demo import edit_demo_county
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.gui.review_model import CHANGED_BRUSH
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from tests.gui.conftest import SMALL_COUNTY, commit, sync
from tests.support import read_table


def test_sync_review_commit_updates_last_sync_and_browser(qtbot, make_window, folder):
    window = make_window()
    assert window.sync_panel.last_sync_label.text().startswith("never")
    assert not window.browser.model.available  # nothing synced yet

    sync(qtbot, window)
    counts = window.change_set.counts
    assert counts.new == SMALL_COUNTY
    assert window.review.filter_buttons["new"].text() == f"New ({counts.new:,})"
    assert window.review.filter_buttons["changed"].text() == "Changed (0)"
    assert window.review.model.total == counts.new + counts.changed + counts.deleted
    assert not window.sync_panel.sync_button.isEnabled()  # one run at a time
    assert window.review.commit_button.isEnabled()

    commit(qtbot, window)
    assert "just now" in window.sync_panel.last_sync_label.text()
    assert window.sync_panel.sync_button.isEnabled()
    assert "Committed: 2,000 new" in window.message_banner.text
    window.browser.select_table("working")
    qtbot.waitUntil(lambda: window.browser.model.total is not None)  # counted on a pool thread
    assert window.browser.model.total == SMALL_COUNTY
    assert window.browser.count_label.text() == "2,000 rows"
    window.browser.select_table("stats")
    qtbot.waitUntil(lambda: window.browser.model.total is not None)
    assert window.browser.model.total > 0 and window.browser.chart.groups
    assert sum(n for _, n, _ in window.browser.chart.groups) == SMALL_COUNTY
    assert window.history.model.total == 1

    # A day of county edits: the next sync reviews only those, changed cells shown old -> new.
    edit_demo_county(folder.demo_source, changes=40, seed=7)
    sync(qtbot, window)
    counts = window.change_set.counts
    assert counts.changed > 0 and counts.new + counts.changed + counts.deleted <= 40 + 10
    window.review.select_filter("changed")
    model = window.review.model
    assert model.total == counts.changed
    row = 0
    changed_fields = model.raw(row, "changed").split(",")
    column = next(c for c in range(model.columnCount()) if model.field_at(row, c) in changed_fields)
    index = model.index(row, column)
    assert " → " in index.data()
    assert index.data(Qt.ItemDataRole.BackgroundRole) == CHANGED_BRUSH

    commit(qtbot, window)
    window.browser.select_table("runs")  # the browser refreshed after the commit
    qtbot.waitUntil(lambda: window.browser.model.total == 2)
    assert load_state(folder.working_db).watermark == window.sync_panel._state.watermark


def test_search_narrows_the_review(qtbot, make_window):
    window = make_window()
    sync(qtbot, window)
    model = window.review.model
    owner = model.raw(3, "owner")
    qtbot.keyClicks(window.review.search, owner)
    qtbot.waitUntil(lambda: model.total < SMALL_COUNTY)
    assert 1 <= model.total < SMALL_COUNTY
    assert all(owner in model.raw(r, "owner") or owner in model.raw(r, "id") for r in range(model.rowCount()))
    assert "match the search" in window.review.shown_label.text()


def test_discard_leaves_working_stats_and_watermark_exactly_as_they_were(qtbot, make_window, folder):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    working, stats = read_table(folder.working_db, "working"), read_table(folder.stats_db, "stats")
    state = load_state(folder.working_db)

    edit_demo_county(folder.demo_source, changes=60, seed=3)
    sync(qtbot, window)
    assert window.change_set.counts.to_apply > 0
    with qtbot.waitSignal(window.runner.discarded, timeout=30_000):  # off the GUI thread, like every write
        window.review.discard_button.click()
    assert window.change_set is None and window.sync_panel.sync_button.isEnabled()
    assert "Nothing was changed" in window.message_banner.text
    assert read_table(folder.working_db, "working").equals(working)
    assert read_table(folder.stats_db, "stats").equals(stats)
    after = load_state(folder.working_db)
    assert (after.watermark, after.last_success_at) == (state.watermark, state.last_success_at)
    assert window.history.model.raw(0, window.history.model.columns.index("status")) == "discarded"


def test_mass_delete_needs_explicit_confirmation(qtbot, make_window, folder):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    with sqlite3.connect(folder.demo_source) as db:  # the county's copy arrives a fifth short
        db.execute("DELETE FROM parcels WHERE rowid % 5 = 0")

    sync(qtbot, window, full_refresh=True)
    assert window.change_set.mass_delete
    assert window.review.mass_delete_banner.isVisible()
    deleted = window.change_set.counts.deleted

    def answer(confirm: bool) -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None and dialog.objectName() == "massDeleteDialog"
        assert not dialog.delete_button.isEnabled()  # locked until the box is ticked
        if confirm:
            dialog.confirm.setChecked(True)
            dialog.delete_button.click()
        else:
            dialog.reject()

    QTimer.singleShot(0, lambda: answer(False))
    window.review.commit_button.click()
    assert window.change_set is not None and not window.runner.busy  # still under review
    assert len(read_table(folder.working_db, "working")) == SMALL_COUNTY

    QTimer.singleShot(0, lambda: answer(True))
    with qtbot.waitSignal(window.runner.committed, timeout=60_000):
        window.review.commit_button.click()
    assert len(read_table(folder.working_db, "working")) == SMALL_COUNTY - deleted
