"""The change-review table model: pages rows from the engine's change set as the view scrolls.

A change set of 100,000 rows opens at once because the model holds only the
pages the view has asked for (`canFetchMore` / `fetchMore`), each read from
the change set's scratch SQLite file. Changed cells carry "old → new" and a
highlight; rejected rows carry their reason; flagged rows say why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ..etl import schema
from ..etl.schema import ChangeKind
from ..etl.session import ReviewClass
from .formatting import column_title, field_text, rejected_text
from .paged_model import Index, PagedTableModel

if TYPE_CHECKING:
    from ..etl.session import ChangeSet
    from ..etl.use_codes import CodeTable

PAGE_ROWS = 256
ARROW = " → "
#: Fields shown in the review, most telling first; `last_updated` last.
REVIEW_FIELDS = ("id", "owner", "use_code", "acres", "assessed_value", "site_address",
                 "land_value", "improvement_value", "last_updated")
KIND_WORDS = {ChangeKind.NEW: "New", ChangeKind.CHANGED: "Changed", ChangeKind.DELETED: "Deleted"}

CHANGED_BRUSH = QBrush(QColor("#fff1b8"))  # soft amber: "look here"
NEW_BRUSH = QBrush(QColor("#dcf5dc"))
DELETED_BRUSH = QBrush(QColor("#fadcdc"))
FLAG_BRUSH = QBrush(QColor("#ffd9a8"))
DELETED_TEXT = QBrush(QColor("#6b6b6b"))
HELD_BRUSH = QBrush(QColor("#e4e4e4"))
HELD_WORDS = "Held back"
HELD_TIP = ("Held back: not saved at this commit. The next sync offers it again with the county's values then. "
            "Press Space (or Hold back) to release it.")


class ChangeReviewModel(PagedTableModel):
    """Rows of one class of a change set (None: every change but rejects), optionally searched."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._change_set: ChangeSet | None = None
        self._kind: ReviewClass | None = None
        self._search = ""
        self._rows: list[dict[str, Any]] = []  # one dict a row: the change set's columns by name
        self._total = 0
        self._frozen = False
        #: the county's land-use codes, for the use-code tooltip (the window sets them with the source)
        self.codes: CodeTable | None = None
        self._columns: tuple[str, ...] = self._columns_for(None)
        # The clerk's sort (a header click): a change-set column and its direction; None is parcel-id order.
        # Applied in the change set's SQL, so every page continues the same order.
        self._sort: tuple[str, bool] | None = None
        #: parcel ids the clerk holds back at this commit (kept across classes, searches and sorts)
        self.held: set[str] = set()

    # -- what is shown ------------------------------------------------------
    def set_change_set(self, change_set: ChangeSet | None, kind: ReviewClass | None = None, search: str = "") -> None:
        """Show `change_set` (None: empty), filtered to `kind` and `search`; loads the first page."""
        self.beginResetModel()
        if change_set is not self._change_set:
            self.held = set()  # a new review starts with nothing held
        self._change_set, self._kind, self._search = change_set, kind, search.strip()
        self._frozen = False
        self._columns = self._columns_for(kind)
        if self._sort is not None and self._sort[0] not in self._columns:
            self._sort = None  # e.g. sorted by "Why flagged", then Rejected (which has no such column)
        self._rows = []
        self._total = change_set.count(kind, self._search or None) if change_set is not None else 0
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def set_filter(self, kind: ReviewClass | None, search: str = "") -> None:
        """Change the class and the search text of the current change set."""
        self.set_change_set(self._change_set, kind, search)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a header (column -1: back to parcel-id order); the pages are read again in that order."""
        name = self._columns[column] if 0 <= column < len(self._columns) else None
        wanted = (name, order == Qt.SortOrder.DescendingOrder) if name else None
        if wanted != self._sort and not self._frozen:  # frozen: the change set is being committed
            self._sort = wanted
            self.set_change_set(self._change_set, self._kind, self._search)

    @property
    def sort_column(self) -> int:
        """The view column of the current sort, -1 for parcel-id order (for the header's indicator)."""
        return self._columns.index(self._sort[0]) if self._sort else -1

    @property
    def order(self) -> tuple[str | None, bool]:
        """(change-set column, descending) of the rows shown, as `ChangeSet.rows` takes them."""
        return self._sort or (None, False)

    def freeze(self) -> None:
        """Stop paging: the change set is in use on a background lane (a commit, a report)."""
        self._frozen = True

    def thaw(self) -> None:
        """Page again (the background work on the change set is over)."""
        self._frozen = False

    @property
    def total(self) -> int:
        """Rows matching the class and search (not only the ones fetched so far)."""
        return self._total

    @property
    def kind(self) -> ReviewClass | None:
        return self._kind

    def field_at(self, row: int, column: int) -> str | None:
        """The change-set column behind a view column (e.g. "owner", "reason", "kind")."""
        return self._columns[column] if 0 <= column < len(self._columns) else None

    def raw(self, row: int, name: str) -> Any:
        """The change set's raw value for a fetched row ("owner", "old_owner", "changed", ...)."""
        return self._rows[row].get(name)

    @staticmethod
    def _columns_for(kind: ReviewClass | None) -> tuple[str, ...]:
        # The reason sits next to the parcel id: at the far right it was off-screen until a scroll.
        if kind == ReviewClass.REJECTED:
            return ("id", "reason", *REVIEW_FIELDS[1:])
        # `note`: offered again because it was held back, or put back by an undo (the engine's words).
        return ("kind", "id", "flags", "note", *REVIEW_FIELDS[1:])

    def set_held(self, rows: list[int], held: bool) -> None:
        """Hold back (or release) the parcels of these fetched rows; rejected rows cannot be held."""
        if self._kind == ReviewClass.REJECTED:
            return
        for row in rows:
            parcel = self._rows[row]["id"]
            (self.held.add if held else self.held.discard)(parcel)
        for row in rows:
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def is_held(self, row: int) -> bool:
        """Whether the parcel of this fetched row is held back."""
        return self._rows[row].get("id") in self.held

    # -- paging -------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and not self._frozen and self._change_set is not None and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self._change_set is not None
        order_by, descending = self.order
        frame = self._change_set.rows(self._kind, self._search or None, offset=len(self._rows), limit=PAGE_ROWS,
                                      order_by=order_by, descending=descending)
        if frame.empty:
            self._total = len(self._rows)  # the set shrank under us; stop asking
            return
        self._append_page(frame.astype(object).where(frame.notna(), None).to_dict("records"))

    # -- Qt model interface ---------------------------------------------------
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.title(self._columns[section])

    @staticmethod
    def title(name: str) -> str:
        """A change-set column in words, as the header shows it ("flags" -> "Why flagged")."""
        return ({"kind": "Change", "flags": "Why flagged", "reason": "Why rejected", "note": "Offered again"}.get(name)
                or column_title(name))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._fetched(index):
            return None
        row, name = self._rows[index.row()], self._columns[index.column()]
        kind = row.get("kind")
        changed = name in (row.get("changed") or "").split(",") and kind == ChangeKind.CHANGED
        held = row.get("id") in self.held and "reason" not in row
        if held and name == "kind":
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{HELD_WORDS} ({KIND_WORDS.get(kind or '', '').lower()})"
            if role == Qt.ItemDataRole.ToolTipRole:
                return HELD_TIP
            if role == Qt.ItemDataRole.BackgroundRole:
                return HELD_BRUSH
        if held and role == Qt.ItemDataRole.ForegroundRole:
            return DELETED_TEXT
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, name, kind, changed)
        if role == Qt.ItemDataRole.ToolTipRole:
            if changed:
                return f"Was: {field_text(name, row.get('old_' + name)) or '(blank)'}\nNow: {field_text(name, row.get(name)) or '(blank)'}"
            if name in ("flags", "reason", "note") and row.get(name):
                return str(row[name])
            if "reason" in row and row.get(name) is not None:  # a rejected row is shown formatted
                return f"As the county wrote it: {row[name]}"
            if name == "use_code" and self.codes is not None:
                return self.codes.meaning(row.get(name))
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(row, name, kind, changed)
        if role == Qt.ItemDataRole.ForegroundRole and kind == ChangeKind.DELETED:
            return DELETED_TEXT
        if role == Qt.ItemDataRole.FontRole and (changed or (name == "kind" and kind)):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and name in schema.NUMERIC_FIELDS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:  # the raw new value, for sorting and tests
            return row.get(name)
        return None

    @staticmethod
    def _display(row: dict[str, Any], name: str, kind: str | None, changed: bool) -> str:
        if name == "kind":
            return KIND_WORDS.get(kind or "", "")
        if "reason" in row:  # a rejected row: the source's text, formatted where it reads as a number or time
            return rejected_text(name, row.get(name))
        if kind == ChangeKind.DELETED and name in schema.FIELDS:
            return field_text(name, row.get("old_" + name))  # a deleted row only has its old values
        if changed:
            old = field_text(name, row.get("old_" + name)) or "(blank)"
            return f"{old}{ARROW}{field_text(name, row.get(name)) or '(blank)'}"
        return field_text(name, row.get(name))

    @staticmethod
    def _background(row: dict[str, Any], name: str, kind: str | None, changed: bool) -> QBrush | None:
        if changed:
            return CHANGED_BRUSH
        if name == "flags" and row.get("flags"):
            return FLAG_BRUSH
        if name == "reason":
            return FLAG_BRUSH
        if name == "kind":
            return {ChangeKind.NEW: NEW_BRUSH, ChangeKind.DELETED: DELETED_BRUSH, ChangeKind.CHANGED: CHANGED_BRUSH}.get(kind or "")
        return None
