"""The table browser: any table of the two databases, read-only, sortable, filterable, exportable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter, QTableView,
    QVBoxLayout, QWidget,
)

from ..etl.session import Changes, FolderView
from .formatting import MONEY_FIELDS, journal_field, plural
from .stats_chart import StatsChart
from .table_model import SqliteTableModel

FILTER_DELAY_MS = 300
MAX_COLUMN_WIDTH = 300
CELL_PADDING = 8
#: The widest amount each number column is made room for, whatever the rows measured ("$14,914,…" was cut).
WIDEST_NUMBER = {
    **dict.fromkeys(MONEY_FIELDS, "$9,999,999,999"),  # up to a county's total assessed value (statistics)
    "acres": "9,999,999.999", "parcel_count": "9,999,999",
}


@dataclass(frozen=True)
class BrowsableTable:
    label: str  # what the clerk picks
    database: str  # "working_db" or "stats_db" (a DataFolder attribute)
    table: str
    order: str  # default order, in SQL
    about: str  # one line under the picker
    empty: str  # what the table says when it has no rows
    first: tuple[str, ...] = ()  # columns shown first, so a narrow window still shows them
    hidden: tuple[str, ...] = ()  # columns a clerk does not need (Export CSV still writes them)


TABLES = (
    BrowsableTable("Parcels (working table)", "working_db", "working", "id",
                   "Every parcel as of the last commit, one row each.", "No parcels yet"),
    BrowsableTable("Statistics by land-use code", "stats_db", "stats", "id",
                   "Totals per land-use code, recomputed after every commit. The charts group them by land use.",
                   "No statistics yet", first=("use_code", "parcel_count", "acres", "assessed_value"), hidden=("id",)),
    BrowsableTable("Run history", "working_db", "runs", "run_id DESC", "One row per sync, newest first.",
                   "No syncs yet"),
    BrowsableTable("Change journal", "working_db", "journal", "rowid DESC",
                   "Every change a commit applied, with the old and new values, newest first.", "No changes recorded"),
    BrowsableTable("Rejected rows", "working_db", "rejects", "rowid DESC",
                   "Source rows that were not loaded, and why (each bad row once, from the sync that first found it). "
                   "Fix them in the county's database; the next sync picks them up.", "No rejected rows"),
)


class TableBrowser(QWidget):
    """Pick a table, filter it, sort by a header, export what is shown."""

    status_message = Signal(str)
    #: the clerk asked for the history of this parcel (History…, or a double-click in the parcels table)
    parcel_history_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view: FolderView | None = None
        self._initial_load_shown = False  # the journal shown is an initial load's (see `show_run`)
        self.model = SqliteTableModel(self)

        self.selector = QComboBox()
        self.selector.setObjectName("tableSelector")
        self.selector.addItems([t.label for t in TABLES])
        self.selector.setAccessibleName("Table to show")
        self.filter_box = QLineEdit()
        self.filter_box.setObjectName("tableFilter")
        self.filter_box.setPlaceholderText("Filter: type part of a parcel id, an owner, a code…")
        self.filter_box.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("rowCountLabel")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("exportCsvButton")
        self.export_button.setToolTip("Save the rows shown (with the filter and the order) as a CSV file for Excel")
        self.history_button = QPushButton("History…")
        self.history_button.setObjectName("parcelHistoryButton")
        self.history_button.setToolTip("Every sync that touched the selected parcel, with the old and new values "
                                       "(or double-click the parcel)")
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setStyleSheet("color: palette(placeholder-text);")

        self.view = QTableView()
        self.view.setObjectName("tableView")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicatorShown(False)  # shown once the clerk clicks a header
        self.view.horizontalHeader().sectionClicked.connect(lambda _: self.view.horizontalHeader().setSortIndicatorShown(True))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between cells)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().hide()  # the row count is above; numbers beside a "No." column confuse
        self.view.horizontalHeader().setResizeContentsPrecision(40)
        self.view.horizontalHeader().setStretchLastSection(True)
        # Said in the middle of an empty table, so a blank grid is never mistaken for a failure.
        self.empty_label = QLabel(self.view.viewport())
        self.empty_label.setObjectName("emptyTableLabel")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: palette(placeholder-text); font-size: 11pt;")
        self.empty_label.hide()
        self.view.viewport().installEventFilter(self)
        # One run's changes (opened from Run history): said above the table, with the way back.
        self.run_label = QLabel()
        self.run_label.setObjectName("runFilterLabel")
        self.all_runs_button = QPushButton("Show every run")
        self.all_runs_button.setObjectName("allRunsButton")
        run_row = QHBoxLayout()
        run_row.setContentsMargins(0, 0, 0, 0)
        run_row.addWidget(self.run_label, 1)
        run_row.addWidget(self.all_runs_button)
        self.run_bar = QWidget()
        self.run_bar.setLayout(run_row)
        self.run_bar.hide()
        self.chart = StatsChart()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("browserSplitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.chart)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.selector)
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.history_button)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.about)
        layout.addWidget(self.run_bar)
        layout.addWidget(self.splitter, 1)

        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter_box.textChanged.connect(self._filter_timer.start)
        self.filter_box.returnPressed.connect(self._apply_filter)
        self.selector.currentIndexChanged.connect(self._show_selected)
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.history_button.clicked.connect(self._request_history)
        self.view.doubleClicked.connect(lambda _index: self._request_history())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_history_button())
        self.model.modelReset.connect(self._update_history_button)
        self.all_runs_button.clicked.connect(lambda: self.show_run(None))
        self.model.total_changed.connect(lambda _: self._update_labels())
        self.model.loading_changed.connect(lambda _: self._update_labels())

    # -- public -------------------------------------------------------------
    def selected_parcel(self) -> str | None:
        """The parcel id of the selected row of the parcels table (None in other tables or without a selection)."""
        rows = self.view.selectionModel().selectedRows()
        if self.model.table != "working" or len(rows) != 1 or "id" not in self.model.columns:
            return None
        return str(self.model.raw(rows[0].row(), self.model.columns.index("id")))

    def _request_history(self) -> None:
        if (parcel := self.selected_parcel()) is not None:
            self.parcel_history_requested.emit(parcel)

    def _update_history_button(self) -> None:
        self.history_button.setVisible(self.model.table == "working")
        self.history_button.setEnabled(self.selected_parcel() is not None)

    def load(self, view: FolderView) -> None:
        """Browse the databases of the data folder."""
        self._view = view
        self.chart.load(view)
        self._show_selected()

    def on_changes(self, changes: Changes) -> None:
        """A run ended: re-read the charts and the open table if what they show changed, keeping filter and order."""
        if changes.statistics:
            self.chart.refresh()
        table = TABLES[self.selector.currentIndex()].table
        shown = {"working": changes.parcels, "journal": changes.parcels, "rejects": changes.parcels,
                 "stats": changes.statistics, "runs": changes.history}
        if shown[table]:
            self._refresh_table()

    def _refresh_table(self) -> None:
        was_empty = not self.model.available or self.model.rowCount() == 0
        self.model.refresh()
        self._update_labels()
        if was_empty:  # the first rows arrived: the empty table's widths cut them ("TAYL…")
            self._fit_columns()

    def select_table(self, table: str) -> None:
        """Show a table by its name in the database ("working", "stats", "runs", "journal", "rejects")."""
        self.selector.setCurrentIndex([t.table for t in TABLES].index(table))

    def show_run(self, run_id: int | None, *, initial_load: bool = False) -> None:
        """Show the change journal of one run (None: of every run again); an `initial_load` run's says why it is short."""
        if self.selector.currentIndex() != [t.table for t in TABLES].index("journal"):
            self.select_table("journal")
        self.model.set_run(run_id)
        self._initial_load_shown = initial_load
        self.run_bar.setVisible(run_id is not None)
        words = f"Only the changes of run {run_id}." if run_id is not None else ""
        if initial_load:
            words += " It filled an empty table: only the parcels it flagged or held back are listed; the Parcels table has them all."
        self.run_label.setText(words)
        self._update_labels()
        self._fit_columns()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self.empty_label.setGeometry(self.view.viewport().rect())
        return super().eventFilter(watched, event)

    def export_csv(self, target: Path | None = None, *, raw: bool = False) -> int | None:
        """Save what is shown as CSV (asks where if `target` is None); the row count, or None if cancelled.

        `raw`: the database's column names and stored values instead of the screen's labels and formats.
        """
        chosen = TABLES[self.selector.currentIndex()]
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Export as CSV", f"{chosen.table}.csv", "CSV files (*.csv)")
            if not name:
                return None
            target = Path(name)
        try:
            rows = self.model.export_csv(target, raw=raw)
        except OSError as exc:
            self.status_message.emit(f"Could not write {target}: {exc.strerror}. Choose another folder or file name.")
            return None
        self.status_message.emit(f"Saved {plural(rows, 'row')} of {chosen.label.lower()} to {target}")
        return rows

    def close_files(self) -> None:
        self.model.close()

    # -- internals ------------------------------------------------------------
    def _show_selected(self) -> None:
        if self._view is None:
            return
        chosen = TABLES[self.selector.currentIndex()]
        self.model.close()  # the other database file may be next
        self.filter_box.blockSignals(True)
        self.filter_box.clear()
        self.filter_box.blockSignals(False)
        self.view.horizontalHeader().setSortIndicatorShown(False)
        self.model.open(getattr(self._view.folder, chosen.database), chosen.table, default_order=chosen.order)
        self.run_bar.hide()  # a newly chosen table shows every run
        self._arrange_columns(chosen)
        self.chart.setVisible(chosen.table == "stats")
        self._update_labels()
        self._fit_columns()

    def _arrange_columns(self, chosen: BrowsableTable) -> None:
        """The table's own column order, then its `first` columns moved to the front and its `hidden` ones hidden."""
        header, columns = self.view.horizontalHeader(), self.model.columns
        for logical in range(len(columns)):
            header.moveSection(header.visualIndex(logical), logical)
            self.view.setColumnHidden(logical, columns[logical] in chosen.hidden)
        for place, name in enumerate(name for name in chosen.first if name in columns):
            header.moveSection(header.visualIndex(columns.index(name)), place)

    def _fit_columns(self) -> None:
        """Columns as wide as their text (up to a limit); amounts never cut, even in rows further down."""
        self.view.resizeColumnsToContents()
        metrics = self.view.fontMetrics()
        for column, name in enumerate(self.model.columns):
            width = min(self.view.columnWidth(column), MAX_COLUMN_WIDTH)
            widest = WIDEST_NUMBER.get(journal_field(name)[1])
            if widest is not None:  # the first rows measured may hold smaller amounts than the rest
                width = max(width, metrics.horizontalAdvance(widest) + 2 * CELL_PADDING)
            self.view.setColumnWidth(column, width)

    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_filter(self.filter_box.text())
        self._update_labels()

    def _update_labels(self) -> None:
        self._update_empty_label()
        about = TABLES[self.selector.currentIndex()].about
        if not self.model.available:
            self.count_label.setText("no data yet")
            self.about.setText(about + "  Nothing here yet: press Sync now, then Commit, to fill it.")
        else:
            self.about.setText(about)
            shown = self.model.total
            working = "searching…" if self.model_filter_active() else "sorting…"
            if shown is None:
                text = working if self.model.loading else "counting rows…"
            else:
                text = plural(shown, "row") + ((" matches" if shown == 1 else " match") if self.model_filter_active() else "")
                text += f", {working}" if self.model.loading else ""
            self.count_label.setText(text)
        self.export_button.setEnabled(self.model.available)

    def _update_empty_label(self) -> None:
        """"No rejected rows", "No rows match 'x'", "Run 4 changed no parcels": once the table is known to be empty."""
        empty = self.model.rowCount() == 0 and not self.model.loading and self.model.total == 0
        if empty:
            chosen = TABLES[self.selector.currentIndex()]
            if self.model_filter_active():
                text = f"No rows match “{self.filter_box.text().strip()}”"
            elif self.model.run is not None and self._initial_load_shown:
                text = f"Run {self.model.run} flagged and held back no parcels; every parcel it loaded is in the Parcels table"
            elif self.model.run is not None:
                text = f"Run {self.model.run} changed no parcels"
            else:
                text = chosen.empty
            self.empty_label.setText(text)
            self.empty_label.setGeometry(self.view.viewport().rect())
        self.empty_label.setVisible(empty)

    def model_filter_active(self) -> bool:
        return bool(self.filter_box.text().strip())
