"""The models without a view: paging, counts, and what each cell says and looks like."""

from __future__ import annotations

import csv
import sqlite3
import time

import pytest
from PySide6.QtCore import QModelIndex, Qt

from countydatasync_gui.etl.config import load_settings
from countydatasync_gui.etl.demo import edit_demo_county
from countydatasync_gui.etl.sync import commit, discard, plan_sync
from countydatasync_gui.etl.session import FolderView
from countydatasync_gui.gui import review_model, table_model
from countydatasync_gui.gui.background import Lane, wait_for_background
from countydatasync_gui.gui.history import LAST_SUCCESS_BRUSH, HistoryModel
from countydatasync_gui.gui.review_model import CHANGED_BRUSH, ChangeReviewModel
from countydatasync_gui.gui.table_model import SqliteTableModel
from tests.gui.conftest import SMALL_COUNTY

ROOT = QModelIndex()


@pytest.fixture
def change_set(folder):
    """A change set after one committed sync and a day of edits plus one bad row."""
    settings = load_settings(folder)
    commit(plan_sync(folder, settings))
    edit_demo_county(folder.demo_source, changes=80, seed=11)
    with sqlite3.connect(folder.demo_source) as db:
        db.execute("INSERT INTO parcels (id, owner, use_code, acres, assessed_value, last_updated) "
                   "VALUES ('99-BAD', 'NOBODY', '001', -3, 1000, '2099-01-01 00:00:00')")
    planned = plan_sync(folder, settings)
    yield planned
    if not planned.closed:
        discard(planned)


def test_review_model_pages_as_the_view_scrolls(qtbot, folder):
    planned = plan_sync(folder, load_settings(folder))
    try:
        model = ChangeReviewModel()
        model.set_change_set(planned, "new")
        assert model.total == SMALL_COUNTY
        assert model.rowCount() == review_model.PAGE_ROWS  # only the first page
        assert model.canFetchMore(ROOT)
        while model.canFetchMore(ROOT):
            model.fetchMore(ROOT)
        assert model.rowCount() == SMALL_COUNTY
        ids = [model.raw(r, "id") for r in range(model.rowCount())]
        assert ids == sorted(ids) and len(set(ids)) == SMALL_COUNTY  # no page twice, none skipped
        assert model.index(0, 0).data() == "New"
    finally:
        discard(planned)


def test_changed_cells_show_old_to_new_and_are_highlighted(qtbot, change_set):
    model = ChangeReviewModel()
    model.set_change_set(change_set, "changed")
    assert model.total == change_set.counts.changed > 0
    for row in range(model.rowCount()):
        changed = set(model.raw(row, "changed").split(","))
        for column in range(model.columnCount()):
            field = model.field_at(row, column)
            index = model.index(row, column)
            background = index.data(Qt.ItemDataRole.BackgroundRole)
            if field in changed:
                assert " → " in index.data(), (field, index.data())
                assert background == CHANGED_BRUSH
                assert index.data(Qt.ItemDataRole.ToolTipRole).startswith("Was: ")
            elif field not in ("kind", "flags"):
                assert background is None and " → " not in (index.data() or "")


def test_rejected_rows_show_their_reason_and_search_filters(qtbot, change_set):
    model = ChangeReviewModel()
    model.set_change_set(change_set, "rejected")
    assert model.total == change_set.counts.rejected >= 1  # ours, and the demo day's own mistakes
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Why rejected"
    assert all(model.index(r, 1).data() for r in range(model.rowCount()))
    model.set_filter("rejected", "99-BAD")  # search by parcel id
    assert model.total == 1 and model.index(0, 0).data() == "99-BAD"
    assert "acre" in model.index(0, 1).data().lower()
    acres = next(c for c in range(model.columnCount()) if model.field_at(0, c) == "acres")
    assert model.index(0, acres).data().startswith("-3")  # the source's own text, not "$" or rounded

    model.set_filter(None, "no parcel has this text")
    assert model.total == 0 and model.rowCount() == 0 and not model.canFetchMore(ROOT)


def test_frozen_review_model_stops_paging(qtbot, folder):
    planned = plan_sync(folder, load_settings(folder))
    try:
        model = ChangeReviewModel()
        model.set_change_set(planned)
        model.freeze()
        assert not model.canFetchMore(ROOT)
    finally:
        discard(planned)


def _numbers_db(path, rows: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE working (id TEXT PRIMARY KEY, owner TEXT, acres REAL) WITHOUT ROWID")  # as ours
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO working SELECT printf('P-%07d', i), 'OWNER ' || (i % 97), i / 10.0 FROM n", (rows,))


def test_table_model_pages_sorts_filters_and_exports(qtbot, tmp_path):
    path = tmp_path / "numbers.sqlite"
    _numbers_db(path, 1_234)
    model = SqliteTableModel(in_background=False)
    model.open(path, "working", default_order="id")
    assert model.total == 1_234 and model.rowCount() == table_model.PAGE_ROWS
    while model.canFetchMore(ROOT):
        model.fetchMore(ROOT)
    assert model.rowCount() == 1_234
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Parcel"

    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert model.raw(0, 2) == 123.4 and model.index(0, 2).data() == "123.4"
    model.set_filter("owner 5")  # OWNER 5, OWNER 50 ... OWNER 59: case-insensitive, any column
    expected = sum(1 for i in range(1, 1_235) if str(i % 97).startswith("5"))
    assert model.total == expected
    exported = model.export_csv(tmp_path / "shown.csv")
    with open(tmp_path / "shown.csv", newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert exported == expected and lines[0] == ["Parcel", "Owner", "Acres"] and len(lines) == expected + 1
    assert float(lines[1][2]) >= float(lines[2][2])  # in the shown order
    model.export_csv(tmp_path / "raw.csv", raw=True)  # for scripts: the database's names
    with open(tmp_path / "raw.csv", newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == ["id", "owner", "acres"]


def test_the_journal_reads_old_beside_new_in_words(qtbot, change_set, folder):
    result = commit(change_set)
    model = SqliteTableModel(in_background=False)
    model.open(folder.working_db, "journal", default_order="rowid DESC")
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles[:7] == ["Run", "Parcel", "Kind", "Changed", "Why flagged", "Old owner", "New owner"]
    assert "Old land use" in titles and "New assessed value" in titles
    value = model.columns.index("new_assessed_value")
    row = next(r for r in range(model.rowCount()) if model.raw(r, 0) == result.run_id and model.raw(r, value))
    assert model.index(row, value).data() == f"${model.raw(row, value):,.0f}"
    model.close()


def test_table_model_on_a_missing_file_is_empty_not_an_error(qtbot, tmp_path):
    model = SqliteTableModel()
    model.open(tmp_path / "nothing-yet.sqlite", "working", default_order="id")
    assert not model.available and model.rowCount() == 0 and model.total == 0


def test_a_million_rows_open_without_waiting_for_the_count(qtbot, tmp_path):
    path = tmp_path / "million.sqlite"
    _numbers_db(path, 1_000_000)
    model = SqliteTableModel()
    started = time.perf_counter()
    with qtbot.waitSignal(model.total_changed, timeout=10_000) as counted:
        model.open(path, "working", default_order="id")
        opened = time.perf_counter() - started
        assert model.total is None  # not waited for: counting runs on a pool thread
        started = time.perf_counter()
        for _ in range(20):  # scrolling 10,000 rows down
            model.fetchMore(ROOT)
        page = (time.perf_counter() - started) / 20
    print(f"\n1,000,000 rows: opened in {opened * 1000:.0f} ms, then {page * 1000:.1f} ms per page of {table_model.PAGE_ROWS}")
    # The 300 ms target for the first rows is measured by `make bench`, not asserted here.
    assert counted.args == [1_000_000] and model.total == 1_000_000
    assert model.rowCount() == 21 * table_model.PAGE_ROWS


def test_a_stale_count_is_ignored(qtbot, tmp_path):
    path = tmp_path / "numbers.sqlite"
    _numbers_db(path, 5_000)
    model = SqliteTableModel()
    model.open(path, "working", default_order="id")
    model.set_filter("OWNER 1")  # before the first count arrived
    assert wait_for_background(10_000)  # both counts ran; their results are queued
    qtbot.waitUntil(lambda: model.total is not None)  # delivers them: the first one is stale
    assert model.total == sum(1 for i in range(1, 5_001) if str(i % 97).startswith("1"))


def test_a_sort_or_filter_is_read_in_the_background_and_the_newest_wins(qtbot, tmp_path):
    path = tmp_path / "numbers.sqlite"
    _numbers_db(path, 1_234)
    model = SqliteTableModel()  # as the table browser has it
    model.open(path, "working", default_order="id")
    assert model.rowCount() == table_model.PAGE_ROWS and not model.loading  # the table's own order: at once
    qtbot.waitUntil(lambda: model.total == 1_234)

    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert model.loading and model.rowCount() == 0  # the GUI thread did not wait for the sort
    assert model.total == 1_234  # the same rows in another order: not counted again
    assert wait_for_background(10_000)  # sorted; its page waits in the event queue
    model.sort(2, Qt.SortOrder.AscendingOrder)  # a second click before the first page was shown
    qtbot.waitUntil(lambda: not model.loading)
    assert wait_for_background(10_000)
    qtbot.wait(50)  # both pages delivered: the first one must have been dropped as stale
    assert model.rowCount() == table_model.PAGE_ROWS and model.raw(0, 2) == 0.1
    while model.canFetchMore(ROOT):  # the next pages come from the cursor opened in the background
        model.fetchMore(ROOT)
    acres = [model.raw(row, 2) for row in range(model.rowCount())]
    assert len(acres) == 1_234 and acres == sorted(acres)

    with qtbot.waitSignal(model.loading_changed, check_params_cb=lambda loading: not loading):
        model.set_filter("owner 5")
    expected = sum(1 for i in range(1, 1_235) if str(i % 97).startswith("5"))
    assert model.rowCount() == expected and all(model.raw(r, 1).startswith("OWNER 5") for r in range(expected))
    model.close()


def test_a_cancelled_background_query_is_stopped_mid_scan(qtbot, tmp_path):
    path = tmp_path / "numbers.sqlite"
    _numbers_db(path, 10)
    lane = Lane()
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    outcomes: list[object] = []
    lane.start(lambda progress: table_model.read_in_background(path, endless, [], progress, first_page=False),
               on_result=outcomes.append, on_cancelled=lambda: outcomes.append("cancelled"))
    qtbot.wait(200)  # well inside the endless count
    assert lane.busy and not outcomes
    with qtbot.waitSignal(lane.finished, timeout=10_000):  # without the interrupt it would never end
        lane.cancel()
    assert outcomes == ["cancelled"]


def test_history_model_highlights_the_last_successful_sync(qtbot, folder):
    settings = load_settings(folder)
    result = commit(plan_sync(folder, settings))
    discard(plan_sync(folder, settings))  # a later run that was not a success
    model = HistoryModel()
    model.open_history(FolderView(folder))
    assert model.total == 2
    assert model.run_id(0) != result.run_id and model.run_id(1) == result.run_id  # newest first
    assert model.last_success_run == result.run_id
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) == LAST_SUCCESS_BRUSH
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) != LAST_SUCCESS_BRUSH
