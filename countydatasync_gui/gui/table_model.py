"""A read-only, lazily loaded table model over one table of a SQLite file.

Sorting and filtering are SQL (ORDER BY, LIKE), never Python. Rows arrive a
page at a time from one open cursor as the view scrolls (`canFetchMore` /
`fetchMore`), so a table of a million rows opens at once and each page costs
the same however far down it is. The row count is a separate count(*).

The row count runs on a pool thread with its own connection: a count(*) over
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
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QBrush

from ..etl import schema
from ..etl.db import connect_read_only
from .formatting import COLUMN_HINTS, changed_fields_text, column_title, csv_value, field_text, journal_field, rejected_text, use_code_meaning
from .paged_model import Index, PagedTableModel

PAGE_ROWS = 500
#: How long a read waits for a lock (a checkpoint in progress): short, the window may be waiting.
GUI_BUSY_TIMEOUT_MS = 2_000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Sink(QObject):
    """Lives in the GUI thread; carries results back from the pool threads, tagged with the query's generation."""

    counted = Signal(int, int)  # generation, row count or -1
    first_page = Signal(int, object)  # generation, (connection, open cursor, first rows) or None on error


class _Query(QRunnable):
    """A count or a first page, read on a pool thread with its own connection.

    A newer sort or filter makes it stale: `interrupt()` then stops SQLite
    mid-scan, so typing a filter on a million rows does not queue up scans.
    """

    def __init__(self, path: Path, sql: str, params: list[str], generation: int, sink: _Sink, *, first_page: bool) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the model keeps it until it is replaced, to interrupt it
        self.path, self.sql, self.params, self.generation, self.sink = path, sql, params, generation, sink
        self.first_page = first_page
        self._db: sqlite3.Connection | None = None
        self._interrupted = False

    def interrupt(self) -> None:
        """Stop the query (called from the GUI thread; the result is then dropped as stale)."""
        self._interrupted = True
        if self._db is not None:
            try:
                self._db.interrupt()
            except sqlite3.ProgrammingError:
                pass  # already closed

    def run(self) -> None:
        if self._interrupted:
            return
        page: tuple[sqlite3.Connection, sqlite3.Cursor, list[Any]] | None = None
        rows = -1
        try:
            self._db = db = connect_read_only(self.path, busy_timeout_ms=GUI_BUSY_TIMEOUT_MS)
            if self._interrupted:  # replaced while connecting: an interrupt only stops a running query
                raise sqlite3.OperationalError("interrupted")
            cursor = db.execute(self.sql, self.params)
            if self.first_page:
                page = (db, cursor, cursor.fetchmany(PAGE_ROWS))
            else:
                rows = int(cursor.fetchone()[0])
                db.close()
        except sqlite3.Error:  # interrupted, or the file went away: nothing to show
            if self._db is not None:
                self._db.close()
        try:
            if self.first_page:
                self.sink.first_page.emit(self.generation, page)
            else:
                self.sink.counted.emit(self.generation, rows)
        except RuntimeError:  # the model was deleted meanwhile
            if page is not None:
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
        self._generation = 0
        self._sink = _Sink(self)
        self._sink.counted.connect(self._on_counted)
        self._sink.first_page.connect(self._on_first_page)
        self.loading = False
        self._db: sqlite3.Connection | None = None
        self._page_db: sqlite3.Connection | None = None  # the connection of a cursor opened in the background
        self._queries: list[_Query] = []  # running in the background for the current generation
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
        self._new_generation()
        self.available = self._connect() and self._load_columns()
        loading = False
        if not self.available:
            self._total = 0
        else:
            where, params = self._where()
            assert self._db is not None and self._path is not None
            count_sql = f"SELECT count(*) FROM {_quote(self._table)}{where}"
            if recount and self._in_background:
                self._total = None
                self._start(count_sql, params, first_page=False)
            elif recount:
                self._total = int(self._db.execute(count_sql, params).fetchone()[0])
            # A run's rows are a scan too (the journal has no index: it would slow every commit).
            loading = self._in_background and (self._sort is not None or bool(self._filter) or self._run is not None)
            if loading:
                self._start(self._select_sql(where), params, first_page=True)
            else:
                self._cursor = self._db.execute(self._select_sql(where), params)
                self._exhausted = False
        self._set_loading(loading)
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def _new_generation(self) -> None:
        """Make every query still running stale, and stop it."""
        self._generation += 1
        for query in self._queries:
            query.interrupt()
        self._queries = []

    def _start(self, sql: str, params: list[str], *, first_page: bool) -> None:
        assert self._path is not None
        query = _Query(self._path, sql, params, self._generation, self._sink, first_page=first_page)
        self._queries.append(query)
        QThreadPool.globalInstance().start(query)

    def _on_first_page(self, generation: int, result: tuple[sqlite3.Connection, sqlite3.Cursor, list[Any]] | None) -> None:
        if generation != self._generation:  # a newer sort or filter (or a close) replaced this query
            if result is not None:
                result[0].close()
            return
        if result is not None:
            self._page_db, self._cursor, page = result
            self._exhausted = len(page) < PAGE_ROWS
            if self._exhausted:
                self._close_cursor()
            self._append_page(page)
        self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self.loading:
            self.loading = loading
            self.loading_changed.emit(loading)

    def _on_counted(self, generation: int, rows: int) -> None:
        if generation == self._generation and rows >= 0:  # a count for an older filter is stale
            self._total = rows
            self.total_changed.emit(rows)

    def close(self) -> None:
        """Release the file (the app is closing)."""
        self._new_generation()  # results still on their way are closed when they arrive
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
            return changed_fields_text(value) if name == "changed" else field_text(name, value)
        if role == Qt.ItemDataRole.ToolTipRole:
            if journal_field(name)[1] == "use_code":
                return use_code_meaning(value)
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
