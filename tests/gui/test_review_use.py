"""The review window as a clerk uses it all day: small screens, the keyboard, search, readable rejects, export."""

from __future__ import annotations

import csv
import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from countydatasync_gui.etl.demo import edit_demo_county
from countydatasync_gui.gui.review import FILTERS
from tests.gui.conftest import commit, sync

SMALL_LAPTOP = (1024, 700)  # the smallest screen a county buys


@pytest.fixture
def reviewing(qtbot, make_window, folder):
    """A window reviewing a full refresh after a day of edits: every class has rows."""
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    edit_demo_county(folder.demo_source, changes=60, seed=3)
    with sqlite3.connect(folder.demo_source) as db:  # a few parcels retired: the full refresh deletes them
        db.execute("DELETE FROM parcels WHERE rowid IN (SELECT rowid FROM parcels ORDER BY rowid LIMIT 3)")
    sync(qtbot, window, full_refresh=True)
    counts = window.change_set.counts
    assert min(counts.new, counts.changed, counts.deleted, counts.rejected, counts.flagged) > 0, counts
    return window


def _fits(window, width: int, height: int) -> None:
    QApplication.processEvents()
    assert window.width() <= width, f"the window grew to {window.width()} px"
    assert window.minimumSizeHint().width() <= width
    assert window.height() <= height, f"the window grew to {window.height()} px high"
    if window.tabs.currentWidget() is window.review:
        for button in (window.review.commit_button, window.review.discard_button):
            assert button.isVisible()
            right = button.mapTo(window, button.rect().topRight()).x()
            assert right <= window.width(), f"{button.text()} is cut off at {right} px"


def test_the_window_stays_inside_a_small_laptop_screen(qtbot, reviewing):
    window = reviewing
    window.resize(*SMALL_LAPTOP)
    for kind, _ in FILTERS:
        window.review.select_filter(kind)
        _fits(window, *SMALL_LAPTOP)
        window.review.search.setText("a search nothing matches, typed by a clerk in a hurry")
        window.review.search.returnPressed.emit()
        _fits(window, *SMALL_LAPTOP)
        window.review.search.clear()
        window.review.search.returnPressed.emit()
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        _fits(window, *SMALL_LAPTOP)
    for table in ("working", "stats", "runs", "journal", "rejects"):
        window.tabs.setCurrentWidget(window.browser)
        window.browser.select_table(table)
        _fits(window, *SMALL_LAPTOP)


def test_tab_leaves_the_table_and_every_review_action_has_a_shortcut(qtbot, reviewing):
    window = reviewing
    view = window.review.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.review.discard_button
    qtbot.keyClick(window.review.discard_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.review.commit_button

    review_menu = next(a for a in window.menuBar().actions() if a.text() == "&Review").menu()
    actions = [a for a in review_menu.actions() if not a.isSeparator()]
    assert len(actions) == 8 and all(not a.shortcut().isEmpty() and a.isEnabled() for a in actions)
    window.review.select_filter(None)
    next_class = next(a for a in actions if a.text().startswith("&Next"))
    next_class.trigger()
    assert window.review.model.kind == "new"
    next(a for a in actions if a.text().startswith("&Previous")).trigger()
    assert window.review.model.kind is None
    next(a for a in actions if a.text().startswith("&Search")).trigger()
    assert QApplication.focusWidget() is window.review.search
    with qtbot.waitSignal(window.runner.discarded, timeout=30_000):  # off the GUI thread, like every write
        next(a for a in actions if a.text().startswith("&Discard")).trigger()
    assert window.change_set is None and "Nothing was changed" in window.message_banner.text


def test_search_finds_the_old_owner_and_says_where_else_it_matches(qtbot, reviewing):
    window, review = reviewing, reviewing.review
    frame = window.change_set.rows("changed", limit=10_000)
    sold = frame[frame["changed"].str.contains("owner")].iloc[0]
    review.select_filter("changed")
    review.search.setText(sold["old_owner"])
    review.search.returnPressed.emit()
    assert sold["id"] in [review.model.raw(r, "id") for r in range(review.model.rowCount())]

    rejected_id = window.change_set.rows("rejected", limit=1).iloc[0]["id"]
    review.select_filter("new")
    review.search.setText(rejected_id)
    review.search.returnPressed.emit()
    assert review.model.total == 0  # a rejected row is not loaded, so it is no new parcel
    assert review.shown_label.text().endswith("but 1 match under Rejected")


def test_rejected_rows_read_like_the_rest_with_the_reason_beside_the_id(qtbot, reviewing):
    review = reviewing.review
    review.select_filter("rejected")
    model = review.model
    assert model.field_at(0, 1) == "reason"
    column = next(c for c in range(model.columnCount()) if model.field_at(0, c) == "assessed_value")
    numbers = [r for r in range(model.rowCount()) if str(model.raw(r, "assessed_value") or "").replace(".", "").isdigit()]
    assert numbers, "no rejected row with a readable assessed value"
    index = model.index(numbers[0], column)
    assert index.data().startswith("$") and not index.data().endswith(".0")
    assert str(model.raw(numbers[0], "assessed_value")) in index.data(Qt.ItemDataRole.ToolTipRole)

    review.select_filter("flagged")
    assert [review.model.field_at(0, c) for c in range(3)] == ["kind", "id", "flags"]


def test_export_on_the_review_tab_saves_what_the_review_shows(qtbot, reviewing, tmp_path, monkeypatch):
    window, review = reviewing, reviewing.review
    review.select_filter("changed")
    target = tmp_path / "review.csv"
    monkeypatch.setattr("countydatasync_gui.gui.review.QFileDialog.getSaveFileName",
                        lambda *_a, **_k: (str(target), "CSV files (*.csv)"))
    window.tabs.setCurrentWidget(review)
    export = next(a for a in window.menuBar().actions()[0].menu().actions() if a.text().startswith("&Export"))
    export.trigger()
    assert window.tabs.currentWidget() is review
    with open(target, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == window.change_set.counts.changed
    assert {"Change", "Parcel", "Why flagged", "Old owner", "New owner"} <= set(rows[0])
    assert all(row["Change"] == "Changed" for row in rows)
    assert not any(row["New assessed value"].endswith(".0") for row in rows)


def test_browse_rejected_rows_fit_their_columns_when_rows_arrive(qtbot, reviewing):
    window = reviewing
    window.browser.select_table("rejects")  # empty until this commit
    assert window.browser.model.rowCount() == 0
    window.ask = lambda *_: True
    window.confirm_mass_delete = lambda _c: True
    commit(qtbot, window)
    view, model = window.browser.view, window.browser.model
    assert model.rowCount() > 0
    owner = model.columns.index("owner")
    assert view.columnWidth(owner) >= min(view.sizeHintForColumn(owner), 300)
    amount = model.index(0, model.columns.index("assessed_value")).data()
    assert not amount.endswith(".0")


def test_flagged_or_deleted_rows_ask_before_commit_or_discard_and_full_refresh_unticks(qtbot, reviewing):
    window = reviewing
    questions: list[str] = []
    answers = iter((False, False, True))
    window.ask = lambda _title, question: questions.append(question) or next(answers)
    window.review.discard_button.click()
    window.review.commit_button.click()
    assert window.change_set is not None and not window.runner.busy  # both said no: still under review
    assert "flagged parcel" in questions[0] and "deleted parcel" in questions[1]
    assert window.sync_panel.full_refresh.isChecked()
    commit(qtbot, window)
    assert not window.sync_panel.full_refresh.isChecked()


def test_the_journal_names_changed_fields_as_the_tables_do(qtbot, reviewing):
    window = reviewing
    commit(qtbot, window)
    window.browser.select_table("journal")
    model = window.browser.model
    column = model.columns.index("changed")
    shown = [model.index(r, column).data() for r in range(model.rowCount()) if model.raw(r, column)]
    assert shown and all("_" not in text and "," not in text.replace(", ", "") for text in shown)
    assert any("Owner" in text or "Assessed value" in text for text in shown)
