"""Issue 13's last points and issue 14's settings leftovers, in real windows: sizes, sort, words, Esc, file tests."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QGroupBox, QLabel, QLineEdit

from countydatasync_gui.etl.demo import edit_demo_county
from countydatasync_gui.gui.formatting import plural
from tests.gui.conftest import commit, sync

SMALL_LAPTOP = (1024, 700)


def _fetch_all(model) -> None:
    """Page through the whole model, as a clerk scrolling to the bottom would."""
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())


def _click_header(qtbot, view, column: int) -> None:
    header = view.horizontalHeader()
    view.scrollTo(view.model().index(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_a_header_click_sorts_the_whole_review_across_pages(qtbot, make_window):
    window = make_window()
    sync(qtbot, window)  # a first sync: 2,000 new parcels, about eight pages of the review
    view, model = window.review.view, window.review.model
    column = [model.field_at(0, c) for c in range(model.columnCount())].index("assessed_value")
    assert view.horizontalHeader().sortIndicatorSection() == -1  # parcel-id order until a click
    orders = []
    for _ in range(2):  # a click sorts, a second click reverses
        _click_header(qtbot, view, column)
        _fetch_all(model)
        values = [model.raw(r, "assessed_value") for r in range(model.rowCount())]
        ids = [model.raw(r, "id") for r in range(model.rowCount())]
        assert len(values) == model.total == 2_000 and len(set(ids)) == 2_000  # no page repeats or skips a row
        known = [v for v in values if v is not None]
        descending = model.order == ("assessed_value", True)
        assert values == sorted(known, reverse=descending) + [None] * (len(values) - len(known))  # blanks last
        orders.append(descending)
    assert orders[0] != orders[1]
    before = model.order
    model.freeze()  # a commit is running on the worker thread: a click must not page the change set again
    _click_header(qtbot, view, column)
    assert model.order == before


# ---------------------------------------------------------------------------
# Words a clerk reads (13.10)
# ---------------------------------------------------------------------------
TECHNICAL = ("watermark", "sync window", "cursor", "sqlalchemy", "look-back")


def _visible_words(widget) -> str:
    """Every text on screen in `widget`: labels, buttons, drop-down items, placeholders (tooltips are not on screen)."""
    texts: list[str] = []
    for child in widget.findChildren(QLabel):
        texts.append(child.text())
    for child in widget.findChildren(QAbstractButton):
        texts.append(child.text())
    for child in widget.findChildren(QGroupBox):
        texts.append(child.title())
    for child in widget.findChildren(QComboBox):
        texts += [child.itemText(i) for i in range(child.count())]
    for child in widget.findChildren(QLineEdit):
        texts.append(child.placeholderText())
    return "\n".join(texts).lower()


def test_the_settings_screen_and_the_log_use_clerk_words(qtbot, make_window):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    log_text = window.log_viewer.text.toPlainText().lower()
    assert "county edits loaded" in log_text
    for word in TECHNICAL:
        assert word not in log_text, word
    window.sync_panel.change_source_button.click()
    dialog = window.settings_dialog
    qtbot.waitExposed(dialog)
    for kind in range(dialog.source_form.kind_box.count()):  # every kind of source shows other fields
        dialog.source_form.kind_box.setCurrentIndex(kind)
        words = _visible_words(dialog)
        for word in TECHNICAL:
            assert word not in words, (dialog.source_form.kind, word)
    assert "re-read margin" in words
    # The technical word stays in a tooltip, for the database administrator.
    assert "look-back" in dialog.table_form.lookback_spin.toolTip()
    last_updated_hint = [label.toolTip() for label in dialog.mapping_editor.findChildren(QLabel)
                         if label.buddy() is dialog.mapping_editor.column_boxes["last_updated"]]
    assert "when a row was last changed" in last_updated_hint[0] and "cursor" in last_updated_hint[0]
    dialog.reject()


def test_counts_read_right_for_one(qtbot, make_window):
    assert plural(1, "run") == "1 run" and plural(2, "run") == "2 runs" and plural(1, "match", "matches") == "1 match"
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    window.tabs.setCurrentWidget(window.history)
    assert window.history.hint.text().startswith("1 run,")
    window.tabs.setCurrentWidget(window.browser)
    window.browser.select_table("runs")
    qtbot.waitUntil(lambda: window.browser.model.total is not None)
    assert window.browser.count_label.text() == "1 row"
    window.browser.filter_box.setText(str(window.browser.model.raw(0, 0)))
    window.browser.filter_box.returnPressed.emit()
    qtbot.waitUntil(lambda: window.browser.model.total is not None and not window.browser.model.loading)
    assert window.browser.count_label.text() == "1 row matches"


# ---------------------------------------------------------------------------
# At 1024x700 (13.11 and "also seen")
# ---------------------------------------------------------------------------
def test_no_empty_band_between_the_log_and_the_status_bar(qtbot, make_window):
    window = make_window()
    window.resize(*SMALL_LAPTOP)
    QApplication.processEvents()
    status = window.statusBar()
    assert status.height() <= 2 * status.fontMetrics().height() + 8, f"the status bar is {status.height()} px high"
    log_bottom = window.log_viewer.mapTo(window, window.log_viewer.rect().bottomLeft()).y()
    assert status.geometry().top() - log_bottom < 30, "an empty band under the log"
    label = status.findChild(QLabel)
    assert str(window.folder.path) in label.toolTip()


def test_run_history_names_its_columns_in_words(qtbot, make_window):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    model, view = window.history.model, window.history.view
    shown = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount()) if not view.isColumnHidden(c)]
    assert "Re-saved, same" in shown
    assert "Undoes run" not in shown and "Error" not in shown  # empty in every run so far: not taking room
    assert "Initial load" not in shown  # said in Mode instead, where run 1 filled the empty table:
    mode = model.columns.index("mode")
    first = model.index(model.rowCount() - 1, mode)
    assert first.data() == "Initial load" and "Parcels table has them all" in first.data(Qt.ItemDataRole.ToolTipRole)
    assert {model.index(r, mode).data() for r in range(model.rowCount() - 1)} <= {"Incremental", "Full refresh"}
    assert model.index(model.rowCount() - 1, model.columns.index("changed")).data() == "0"  # a count, not field names
    assert all(title[0].isupper() and "_" not in title for title in shown)
    touched = model.columns.index("touched")
    assert "saved again" in model.headerData(touched, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def test_double_clicking_a_run_opens_its_changes_in_the_journal(qtbot, make_window, folder):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)  # run 1: every parcel new
    edit_demo_county(folder.demo_source, changes=40, seed=5)
    sync(qtbot, window)
    commit(qtbot, window)  # run 2: a few changes
    edit_demo_county(folder.demo_source, changes=40, seed=6)
    sync(qtbot, window)
    commit(qtbot, window)  # run 3: a few more
    history, browser = window.history, window.browser

    def open_run(run_id: int) -> set[int]:
        window.tabs.setCurrentWidget(history)
        row = next(r for r in range(history.model.rowCount()) if history.model.run_id(r) == run_id)
        rect = history.view.visualRect(history.model.index(row, 0))
        qtbot.mouseClick(history.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double-click's first press
        qtbot.mouseDClick(history.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.tabs.currentWidget() is browser and browser.model.table == "journal"
        qtbot.waitUntil(lambda: browser.model.total is not None and not browser.model.loading)
        return {browser.model.raw(r, browser.model.columns.index("run_id")) for r in range(browser.model.rowCount())}

    assert open_run(2) == {2} and 0 < browser.model.total < 2_000
    only_run_2 = browser.model.total
    assert browser.run_bar.isVisible() and browser.run_label.text() == "Only the changes of run 2."
    browser.all_runs_button.click()
    qtbot.waitUntil(lambda: browser.model.total is not None and not browser.model.loading)
    assert browser.model.total > only_run_2 and not browser.run_bar.isVisible()
    # Run 1 filled an empty table: its journal is short (the flagged parcels), and the bar says why.
    assert open_run(1) == set()
    assert "filled an empty table" in browser.run_label.text() and "Parcels table has them all" in browser.run_label.text()
    assert browser.model.total == 0  # the demo county's first load flags nothing, and nothing was held
    assert browser.empty_label.text() == "Run 1 flagged and held back no parcels; every parcel it loaded is in the Parcels table"


def test_empty_tables_say_so(qtbot, make_window):
    window = make_window()
    browser = window.browser
    sync(qtbot, window)
    commit(qtbot, window)  # the demo county's first sync rejects nothing
    window.tabs.setCurrentWidget(browser)
    browser.select_table("rejects")
    qtbot.waitUntil(lambda: browser.model.total == 0)
    assert browser.empty_label.isVisible() and browser.empty_label.text() == "No rejected rows"
    browser.select_table("working")
    browser.filter_box.setText("no parcel is called this")
    browser.filter_box.returnPressed.emit()
    qtbot.waitUntil(lambda: browser.model.total == 0 and not browser.model.loading)
    assert browser.empty_label.isVisible() and "No rows match" in browser.empty_label.text()
    browser.filter_box.clear()
    browser.filter_box.returnPressed.emit()
    qtbot.waitUntil(lambda: browser.model.rowCount() > 0)
    assert not browser.empty_label.isVisible()


def _browsing(qtbot, make_window, table: str, size: tuple[int, int]):
    """A window after a first sync and commit, showing `table` in the browser at `size`."""
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    window.resize(*size)
    window.tabs.setCurrentWidget(window.browser)
    window.browser.select_table(table)
    QApplication.processEvents()
    return window


def _widest_text(view, column: int) -> str:
    model = view.model()
    return max((model.index(r, column).data() for r in range(model.rowCount())), key=view.fontMetrics().horizontalAdvance)


@pytest.mark.parametrize("size", [SMALL_LAPTOP, (1400, 900)])
def test_statistics_show_their_figures_and_a_readable_chart(qtbot, make_window, size):
    window = _browsing(qtbot, make_window, "stats", size)
    view, model = window.browser.view, window.browser.model
    header = view.horizontalHeader()
    for name in ("use_code", "parcel_count", "acres", "assessed_value"):
        column = model.columns.index(name)
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert right <= view.viewport().width(), f"{name} is off-screen at {size}"
        widest = _widest_text(view, column)
        assert view.fontMetrics().horizontalAdvance(widest) <= header.sectionSize(column), f"{widest} is cut"
    assert view.isColumnHidden(model.columns.index("id"))  # a row number, not a figure
    chart = window.browser.chart
    per_bar = chart.view.chart().plotArea().height() / (2 * len(chart.groups))
    assert chart.labels_shown == (per_bar >= chart._label_height)  # labels only where they cannot overlap
    if size == SMALL_LAPTOP:
        assert not chart.labels_shown


def test_browse_cells_never_cut_money(qtbot, make_window):
    window = _browsing(qtbot, make_window, "working", SMALL_LAPTOP)
    model, view = window.browser.model, window.browser.view
    _fetch_all(model)  # rows further down than the ones the columns were fitted to
    column = model.columns.index("assessed_value")
    widest = _widest_text(view, column)
    assert view.fontMetrics().horizontalAdvance(widest) < view.columnWidth(column), widest


# ---------------------------------------------------------------------------
# The settings screen (13.7)
# ---------------------------------------------------------------------------
def _open_settings(qtbot, window):
    window.sync_panel.change_source_button.click()
    dialog = window.settings_dialog
    qtbot.waitExposed(dialog)
    return dialog


def test_details_of_a_long_report_never_squash_the_form_at_1024x700(qtbot, make_window):
    window = make_window()
    dialog = _open_settings(qtbot, window)
    dialog.resize(*SMALL_LAPTOP)
    inputs = [dialog.source_form.file_edit, dialog.table_form.table_box, *dialog.mapping_editor.column_boxes.values(),
              *dialog.mapping_editor.convert_boxes.values()]
    heights = [w.height() for w in inputs]
    problems = "<br>".join(f"• The table has no column 'COLUMN_{n}'." for n in range(14))
    dialog.result.show_message("warning", f"Connected, but the column mapping needs attention.<br>{problems}",
                               "Traceback (most recent call last):\n" * 60)
    dialog.result.details_button.click()
    QApplication.processEvents()
    assert dialog.result.details.isVisible()
    assert [w.height() for w in inputs] == heights  # the form keeps its size: the screen scrolls instead
    assert all(w.height() >= w.minimumSizeHint().height() for w in inputs)
    assert dialog.width() <= SMALL_LAPTOP[0] and dialog.minimumSizeHint().width() <= SMALL_LAPTOP[0]
    assert dialog.content.minimumSizeHint().width() <= SMALL_LAPTOP[0] - 40  # no sideways scrolling either
    dialog.reject()


def test_switching_the_kind_of_source_clears_the_old_message(qtbot, make_window, tmp_path):
    from countydatasync_gui.gui.source_form import FILE, POSTGRES

    window = make_window()
    dialog = _open_settings(qtbot, window)
    dialog.source_form.set_kind(FILE)
    dialog.source_form.file_edit.setText(str(tmp_path / "gone.csv"))
    dialog.table_form.table_box.setEditText("gone.csv")
    dialog.save()
    assert dialog.result.isVisible() and "was not found" in dialog.result.text
    dialog.source_form.set_kind(POSTGRES)
    assert not dialog.result.isVisible()
    dialog.reject()


def test_esc_asks_before_losing_what_was_typed(qtbot, make_window):
    window = make_window()
    dialog = _open_settings(qtbot, window)
    questions: list[str] = []
    dialog.ask = lambda _title, question: questions.append(question) or False
    box = dialog.table_form.table_box  # an editable drop-down, its list empty before a test
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # nothing typed yet: Esc closes, as everywhere
    assert not dialog.isVisible() and not questions
    dialog = _open_settings(qtbot, window)
    dialog.ask = lambda _title, question: questions.append(question) or False
    box = dialog.table_form.table_box
    box.setFocus()
    box.lineEdit().clear()
    qtbot.keyClicks(box.lineEdit(), "parcels_2026")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Escape)
    assert dialog.isVisible() and box.currentText() == "parcels_2026"  # the clerk said no: nothing lost
    assert questions and "What you typed here is lost" in questions[0]
    dialog.ask = lambda *_: True
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Escape)
    assert not dialog.isVisible()
