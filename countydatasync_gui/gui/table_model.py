"""A read-only, lazily loaded table model over one table of a SQLite file.

Sorting and filtering are SQL (ORDER BY, LIKE), never Python. Rows arrive a
page at a time from one open cursor as the view scrolls (`canFetchMore` /
`fetchMore`), so a table of a million rows opens at once and each page costs
the same however far down it is. The row count is a separate count(*).

The row count runs on a background lane with its own connection: a count(*) over
a million wide rows takes most of a second, and the window must not wait for
it (DB Browser for SQLite's lesson). `total` is None until it arrives. So does
the first page of a sort on a column or of a filter: SQLite has to sort or scan
the whole table before the first row (0.5-1 s on a million parcels), and
`loading` is True meanwhile. The table's own order is an index walk, so the
first page of an unfiltered table is read at once.

The databases are in WAL mode (the engine sets it), so an open read cursor
never blocks a commit; after a commit the browser calls `refresh()`.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush

from ..etl import schema
from ..etl.session import connect_read_only
from .background import JobProgress, Lane
from .formatting import COLUMN_HINTS, changed_fields_text, column_title, csv_value, field_text, journal_field, rejected_text
from .paged_model import Index, PagedTableModel

if TYPE_CHECKING:
    from ..etl.use_codes import CodeTable

PAGE_ROWS = 500
#: How long a read waits for a lock (a checkpoint in progress): short, the window may be waiting.
GUI_BUSY_TIMEOUT_MS = 2_000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: A first page read in the background: its connection, the open cursor and the first rows.
Page = tuple[sqlite3.Connection, sqlite3.Cursor, list[Any]]


def read_in_background(path: Path, sql: str, params: list[str], progress: JobProgress, *,
                       first_page: bool) -> Page | int:
    """On a lane: a count(*) (the number) or a first page (its connection stays open for the next pages).

    Cancelling interrupts SQLite mid-scan, so a newer sort or filter does not
    queue up scans of a million rows behind the old one.
    """
    db = connect_read_only(path, busy_timeout_ms=GUI_BUSY_TIMEOUT_MS)
    try:
        progress.on_cancel(db.interrupt)
        progress.check_cancelled()  # cancelled while connecting: an interrupt only stops a running query
        cursor = db.execute(sql, params)
        if first_page:
            return db, cursor, cursor.fetchmany(PAGE_ROWS)
        count = int(cursor.fetchone()[0])
    except BaseException:
        db.close()
        raise
    db.close()
    return count


def _close_page(page: Page) -> None:
    page[0].close()


class SqliteTableModel(PagedTableModel):
    """One table of one SQLite file, read-only, sorted and filtered in SQL."""

    #: the row count matching the filter, once known
    total_changed = Signal(int)

    #: True while the first page of a sort or a filter is being read in the background, then False
    loading_changed = Signal(bool)

    def __init__(self, parent: Any = None, *, in_background: bool = True) -> None:
        super().__init__(parent)
        self._in_background = in_background  # False: count and sort at once (small tables, tests)
        self._count_lane, self._page_lane = Lane(self), Lane(self)
        self.loading = False
        self._db: sqlite3.Connection | None = None
        self._page_db: sqlite3.Connection | None = None  # the connection of a cursor opened in the background
        self._path: Path | None = None
        self._table = ""
        self._default_order = ""
        self._columns: list[str] = []
        self._rows: list[tuple[Any, ...]] = []
        self._cursor: sqlite3.Cursor | None = None
        self._exhausted = True
        self._total: int | None = 0
        self._filter = ""
        self._run: int | None = None  # only this run's rows (the journal of one run), or every row
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.available = False  # False if the file or the table does not exist (yet)
        #: the county's land-use codes, for the use-code tooltip (the window sets them with the source)
        self.codes: CodeTable | None = None

    # -- what is shown ------------------------------------------------------
    def open(self, path: Path, table: str, default_order: str) -> None:
        """Show `table` of the SQLite file `path` in `default_order` (SQL), query state reset (no filter, no sort)."""
        self._path, self._table, self._default_order = path, table, default_order
        self._filter, self._sort, self._run = "", None, None
        self.refresh()

    def set_run(self, run_id: int | None) -> None:
        """Keep only the rows of one run (tables with a run_id column: journal, rejects); None shows every run."""
        self._run = run_id
        self.refresh()

    @property
    def run(self) -> int | None:
        """The run the rows are limited to, if any."""
        return self._run

    def set_filter(self, text: str) -> None:
        """Keep only rows where any column contains `text` (case-insensitive)."""
        self._filter = text.strip()
        self.refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self._columns):
            self._sort = (column, order)
            self.refresh(recount=self._total is None)  # the same rows in another order: the count stands

    def refresh(self, *, recount: bool = True) -> None:
        """Re-read from the file: after a commit, or when the filter or the sort changed.

        `recount=False` keeps the row count (the same rows in a new order).
        """
        self.beginResetModel()
        self._close_cursor()
        self._rows, self._exhausted = [], True
        self._forget_queries()
        self.available = self._connect() and self._load_columns()
        loading = False
        if not self.available:
            self._total = 0
        else:
            where, params = self._where()
            assert self._db is not None and self._path is not None
            path = self._path
            count_sql = f"SELECT count(*) FROM {_quote(self._table)}{where}"
            if recount and self._in_background:
                self._total = None
                self._count_lane.start(
                    lambda progress: read_in_background(path, count_sql, params, progress, first_page=False),
                    on_result=self._on_counted, on_error=lambda _exc: None)  # the file went away: no count
            elif recount:
                self._total = int(self._db.execute(count_sql, params).fetchone()[0])
            # A run's rows are a scan too (the journal has no index: it would slow every commit).
            loading = self._in_background and (self._sort is not None or bool(self._filter) or self._run is not None)
            if loading:
                select_sql = self._select_sql(where)
                self._page_lane.start(
                    lambda progress: read_in_background(path, select_sql, params, progress, first_page=True),
                    on_result=self._on_first_page, on_stale=_close_page,
                    on_error=lambda _exc: self._set_loading(False), on_cancelled=lambda: self._set_loading(False))
            else:
                self._cursor = self._db.execute(self._select_sql(where), params)
                self._exhausted = False
        self._set_loading(loading)
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def _forget_queries(self) -> None:
        """Make the count and the first page still being read stale, and stop them."""
        self._count_lane.forget()
        self._page_lane.forget()

    def _on_first_page(self, page: Page) -> None:
        self._page_db, self._cursor, rows = page
        self._exhausted = len(rows) < PAGE_ROWS
        if self._exhausted:
            self._close_cursor()
        self._append_page(rows)
        self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self.loading:
            self.loading = loading
            self.loading_changed.emit(loading)

    def _on_counted(self, rows: int) -> None:
        self._total = rows
        self.total_changed.emit(rows)

    def close(self) -> None:
        """Release the file (the app is closing)."""
        self._forget_queries()  # pages still on their way are closed when they arrive
        self._set_loading(False)
        self._close_cursor()
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def total(self) -> int | None:
        """Rows matching the filter, fetched or not; None while the background count runs."""
        return self._total

    @property
    def table(self) -> str:
        return self._table

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def raw(self, row: int, column: int) -> Any:
        """The stored value of a fetched cell."""
        return self._rows[row][column]

    def export_csv(self, target: Path, *, raw: bool = False) -> int:
        """Write every row matching the filter, in the shown order, to a CSV file; return the row count.

        For Excel by default: the headers as on screen, numbers without a useless ".0", local times.
        `raw` writes the database's column names and values exactly as stored (for scripts and DBAs).
        """
        if not self.available or self._db is None:
            return 0
        where, params = self._where()
        count = 0
        with open(target, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(self._columns if raw else [column_title(c, self._table) for c in self._columns])
            for row in self._db.execute(self._select_sql(where), params):
                writer.writerow(row if raw else [csv_value(c, v) for c, v in zip(self._columns, row, strict=True)])
                count += 1
        return count

    # -- SQL ----------------------------------------------------------------
    def _connect(self) -> bool:
        if self._db is not None:
            return True
        if self._path is None or not self._path.exists():
            return False
        self._db = connect_read_only(self._path, busy_timeout_ms=GUI_BUSY_TIMEOUT_MS)
        return True

    def _load_columns(self) -> bool:
        assert self._db is not None
        self._columns = [r[1] for r in self._db.execute(f"PRAGMA table_info({_quote(self._table)})")]
        return bool(self._columns)

    def _where(self) -> tuple[str, list[Any]]:
        conditions, params = [], []
        if self._run is not None and "run_id" in self._columns:
            conditions.append("run_id = ?")
            params.append(self._run)
        if self._filter:
            conditions.append("(" + " OR ".join(f"{_quote(c)} LIKE ?" for c in self._columns) + ")")
            params += [f"%{self._filter}%"] * len(self._columns)
        return (f" WHERE {' AND '.join(conditions)}", params) if conditions else ("", [])

    def _select_sql(self, where: str) -> str:
        order = self._default_order
        if self._sort is not None:
            column, direction = self._sort
            word = "DESC" if direction == Qt.SortOrder.DescendingOrder else "ASC"
            # The table's own order breaks ties, so paging stays stable (the working table has no rowid).
            order = f"{_quote(self._columns[column])} {word}, {self._default_order}"
        columns = ", ".join(_quote(c) for c in self._columns)
        return f"SELECT {columns} FROM {_quote(self._table)}{where} ORDER BY {order}"

    def _close_cursor(self) -> None:
        if self._cursor is not None:
            self._cursor.close()  # ends the read transaction
            self._cursor = None
        if self._page_db is not None:
            self._page_db.close()
            self._page_db = None

    # -- paging -------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent) or self._cursor is None:
            return
        page = self._cursor.fetchmany(PAGE_ROWS)
        if len(page) < PAGE_ROWS:
            self._exhausted = True
            self._close_cursor()
        self._append_page(page)

    # -- Qt model interface ---------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal and section < len(self._columns):
            return COLUMN_HINTS.get(self._columns[section])
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return column_title(self._columns[section], self._table) if section < len(self._columns) else None
        return section + 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._fetched(index):
            return None
        value, name = self._rows[index.row()][index.column()], self._columns[index.column()]
        rejected = self._table == "rejects" and name in schema.FIELDS  # the source's raw text
        if role == Qt.ItemDataRole.DisplayRole:
            if rejected:
                return rejected_text(name, value)
            # `changed` is the journal's list of field names, and the run history's count of changed parcels.
            return changed_fields_text(value) if name == "changed" and isinstance(value, str) else field_text(name, value)
        if role == Qt.ItemDataRole.ToolTipRole:
            if journal_field(name)[1] == "use_code" and self.codes is not None:
                return self.codes.meaning(value)
            if rejected and value is not None:
                return f"As the county wrote it: {value}"
            return value if isinstance(value, str) and len(value) > 30 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, float)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.row_background(index.row())
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None

    def row_background(self, row: int) -> QBrush | None:
        """Subclasses highlight rows (the run history marks the last successful sync)."""
        return None
