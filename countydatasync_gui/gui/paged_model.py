"""What the lazily paged table models share: rows appended a page at a time as the view scrolls.

The change review (`review_model`) and the table browser (`table_model`) read
their pages from different places; both keep the fetched rows and the column
names here and tell the view about each new page the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex

Index = QModelIndex | QPersistentModelIndex


class PagedTableModel(QAbstractTableModel):
    """A flat, read-only table of the rows fetched so far; subclasses fetch the pages and say what a cell shows."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._columns: Sequence[str] = ()

    def _append_page(self, page: Sequence[Any]) -> None:
        """Add a fetched page after the rows already shown, telling the view."""
        if not page:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def _fetched(self, index: Index) -> bool:
        """Whether `index` points at a fetched row (views may ask about others while resetting)."""
        return index.isValid() and index.row() < len(self._rows)

    # -- Qt model interface ---------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)
