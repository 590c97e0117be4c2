"""Run history: one row per sync, newest first, with the last successful sync highlighted; a sync can be undone."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget,
)

from ..etl.session import Changes, FolderView, RunStatus
from .formatting import plural
from .paged_model import Index
from .table_model import SqliteTableModel

LAST_SUCCESS_BRUSH = QBrush(QColor("#cdeccd"))
FAILED_BRUSH = QBrush(QColor("#fbe3e3"))
#: Columns a clerk does not need day to day; the table browser still shows them.
#: (`initial_load` is said in the Mode column instead: a column of its own would push the counts off a small screen.)
HIDDEN = ("finished_at", "source", "watermark_before", "rows_read", "initial_load")
RARELY_FILLED = ("error", "undoes")
#: What the Mode column says of a run that filled an empty parcels table, and why its journal is short.
INITIAL_LOAD_WORDS = "Initial load"
INITIAL_LOAD_HINT = ("This run filled an empty parcels table. Its change journal lists only the parcels it flagged or "
                     "held back; the Parcels table has them all. Undoing it empties the table.")


class HistoryModel(SqliteTableModel):
    """The `runs` table, newest first; knows which run was the last successful sync."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent, in_background=False)  # a few hundred runs: counted and sorted at once
        self.last_success_run: int | None = None
        self._failed_runs: set[int] = set()
        self._view: FolderView | None = None

    def open_history(self, view: FolderView) -> None:
        self._view = view
        self.open(view.folder.working_db, "runs", default_order="run_id DESC")

    def refresh(self) -> None:
        self.last_success_run, self._failed_runs = None, set()
        super().refresh()
        if self.available and self._view is not None:
            self.last_success_run, self._failed_runs = self._view.run_marks()
            if self.rowCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def run_id(self, row: int) -> int:
        return int(self.raw(row, self.columns.index("run_id")))

    def status(self, row: int) -> str:
        return str(self.raw(row, self.columns.index("status")))

    def initial_load(self, run_id: int) -> bool:
        """Whether this run (one of the rows shown) filled an empty table, journaling only its flagged and held parcels."""
        return any(self.run_id(row) == run_id and self._loaded_empty_table(row) for row in range(self.rowCount()))

    def _loaded_empty_table(self, row: int) -> bool:
        # A folder not yet migrated has no such column: none of its runs was one.
        return "initial_load" in self.columns and bool(self.raw(row, self.columns.index("initial_load")))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole) and self._fetched(index)
                and self.columns[index.column()] == "mode" and self._loaded_empty_table(index.row())):
            return INITIAL_LOAD_WORDS if role == Qt.ItemDataRole.DisplayRole else INITIAL_LOAD_HINT
        return super().data(index, role)

    def row_background(self, row: int) -> QBrush | None:
        run = self.run_id(row)
        if run == self.last_success_run:
            return LAST_SUCCESS_BRUSH
        return FAILED_BRUSH if run in self._failed_runs else None


class RunHistory(QWidget):
    """The history tab: a hint line, the runs table and Undo this sync; double-clicking a run asks for its changes."""

    #: the clerk asked to undo this committed run (the window confirms first)
    undo_requested = Signal(int)
    #: the run whose changes the clerk wants to see (a double-click on its row)
    run_opened = Signal(int)
    #: Save report… / Print… for the selected run
    report_requested = Signal(int)
    print_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = HistoryModel(self)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.undo_button = QPushButton("&Undo this sync…")
        self.undo_button.setObjectName("undoRunButton")
        self.undo_button.setToolTip("Put every parcel the selected sync added, changed or deleted back as it was "
                                    "before it. The undo is recorded as a new run, and can itself be undone.")
        self.undo_button.clicked.connect(self._undo_selected)
        self.report_button = QPushButton("Save &report…")
        self.report_button.setObjectName("runReportButton")
        self.report_button.setToolTip("Save a report of the selected run for the record: a web page to print or "
                                      "file, with every change in a CSV beside it")
        self.print_button = QPushButton("&Print…")
        self.print_button.setObjectName("runPrintButton")
        self.print_button.setToolTip("Print the selected run's report, or save it as PDF")
        self.report_button.clicked.connect(lambda: self._emit_for_selected(self.report_requested))
        self.print_button.clicked.connect(lambda: self._emit_for_selected(self.print_requested))
        self.view = QTableView()
        self.view.setObjectName("historyTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(False)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        # The table's context menu offers what the buttons do.
        for text, slot in (("Undo this sync…", self._undo_selected),
                           ("Save report…", lambda: self._emit_for_selected(self.report_requested)),
                           ("Print…", lambda: self._emit_for_selected(self.print_requested))):
            action = QAction(text, self.view)
            action.triggered.connect(slot)
            self.view.addAction(action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(self.report_button)
        top.addWidget(self.print_button)
        top.addWidget(self.undo_button)
        self.view.doubleClicked.connect(lambda index: self.run_opened.emit(self.model.run_id(index.row())))
        self.view.setToolTip("Double-click a run to see the changes it made")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self._update_buttons()

    def load(self, view: FolderView) -> None:
        """Show the runs of the data folder."""
        self.model.open_history(view)
        self._after_refresh()

    def on_changes(self, changes: Changes) -> None:
        """A run ended: every run, even a discarded one, is a new line."""
        if changes.history:
            self.model.refresh()
            self._after_refresh()

    def _after_refresh(self) -> None:
        for name in HIDDEN:
            if name in self.model.columns:
                self.view.setColumnHidden(self.model.columns.index(name), True)
        # Error and Undoes run are empty in most folders: shown once a run has one, so that at
        # 1024 px the counts are not pushed off to the right by blank columns.
        for name in RARELY_FILLED:
            if name in self.model.columns:
                column = self.model.columns.index(name)
                filled = any(self.model.raw(row, column) not in (None, "") for row in range(self.model.rowCount()))
                self.view.setColumnHidden(column, not filled)
        if not self.model.available or not self.model.total:
            self.hint.setText("No syncs yet. Each sync you run (committed, discarded, cancelled or failed) appears here.")
        else:
            self.hint.setText(
                f"{plural(self.model.total, 'run')}, newest first. The green row is the last successful sync; "
                "red rows failed (the Error column says why). Double-click a run to see its changes.")

    def select_run(self, run_id: int) -> None:
        """Select the row of run `run_id` (if it is among the rows read so far)."""
        for row in range(self.model.rowCount()):
            if self.model.run_id(row) == run_id:
                self.view.selectRow(row)
                return

    def selected_run(self) -> int | None:
        """The run whose row is selected, if it can be undone (a committed sync or undo), else None."""
        rows = self.view.selectionModel().selectedRows()
        if len(rows) != 1 or self.model.status(rows[0].row()) != RunStatus.COMMITTED:
            return None
        return self.model.run_id(rows[0].row())

    def _selected_any_run(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.run_id(rows[0].row()) if len(rows) == 1 else None

    def _emit_for_selected(self, signal: Signal) -> None:
        if (run := self._selected_any_run()) is not None:
            signal.emit(run)

    def _update_buttons(self) -> None:
        self.undo_button.setEnabled(self.selected_run() is not None)
        any_run = self._selected_any_run() is not None  # any run has a report, a failed one too
        self.report_button.setEnabled(any_run)
        self.print_button.setEnabled(any_run)
        undo, report, print_ = self.view.actions()
        undo.setEnabled(self.undo_button.isEnabled())
        report.setEnabled(any_run)
        print_.setEnabled(any_run)

    def _undo_selected(self) -> None:
        if (run := self.selected_run()) is not None:
            self.undo_requested.emit(run)

    def close_files(self) -> None:
        self.model.close()
