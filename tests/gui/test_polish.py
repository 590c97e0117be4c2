"""Issue 13's last points and issue 14's settings leftovers, in real windows: sizes, sort, words, Esc, file tests."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QApplication

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
