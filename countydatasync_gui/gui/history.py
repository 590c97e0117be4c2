"""Run history: one row per sync, newest first, with the last successful sync highlighted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ..etl.state import run_marks
from .formatting import plural
from .table_model import SqliteTableModel

LAST_SUCCESS_BRUSH = QBrush(QColor("#cdeccd"))
FAILED_BRUSH = QBrush(QColor("#fbe3e3"))
#: Columns a clerk does not need day to day; the table browser still shows them.
HIDDEN = ("finished_at", "source", "watermark_before", "rows_read")
RARELY_FILLED = ("error", "undoes")


class HistoryModel(SqliteTableModel):
    """The `runs` table, newest first; knows which run was the last successful sync."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent, in_background=False)  # a few hundred runs: counted and sorted at once
        self.last_success_run: int | None = None
        self._failed_runs: set[int] = set()

    def open_history(self, working_db: Path) -> None:
        self.open(working_db, "runs", default_order="run_id DESC")

    def refresh(self) -> None:
        self.last_success_run, self._failed_runs = None, set()
        super().refresh()
        if self.available and self._path is not None:
            self.last_success_run, self._failed_runs = run_marks(self._path)
            if self.rowCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def run_id(self, row: int) -> int:
        return int(self.raw(row, self.columns.index("run_id")))

    def row_background(self, row: int) -> QBrush | None:
        run = self.run_id(row)
        if run == self.last_success_run:
            return LAST_SUCCESS_BRUSH
        return FAILED_BRUSH if run in self._failed_runs else None


class RunHistory(QWidget):
    """The history tab: a hint line and the runs table; double-clicking a run asks for its changes."""

    #: the run whose changes the clerk wants to see (a double-click on its row)
    run_opened = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = HistoryModel(self)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.view = QTableView()
        self.view.setObjectName("historyTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(False)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(lambda index: self.run_opened.emit(self.model.run_id(index.row())))
        self.view.setToolTip("Double-click a run to see the changes it made")
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.view)

    def load(self, working_db: Path) -> None:
        self.model.open_history(working_db)
        self._after_refresh()

    def refresh(self) -> None:
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

    def close_files(self) -> None:
        self.model.close()
