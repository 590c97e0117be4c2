"""A parcel's history: every sync that touched it, with what it did and the old -> new values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QLabel, QTableView, QVBoxLayout, QWidget,
)

from ..etl import schema
from .background import Lane
from .formatting import field_text, local_time, plural

if TYPE_CHECKING:
    import pandas as pd

    from ..etl.session import FolderView

#: What each kind of journal line means to the clerk.
WHAT_HAPPENED = {"new": "Added", "changed": "Changed", "deleted": "Removed", "held": "Held back (not applied)",
                 "undone": "Undone (put back as before)"}
COLUMNS = ("When", "Sync", "What happened", "Values")


def values_text(line: dict[str, Any]) -> str:
    """The values of one journal line in words: changed fields as old → new, an added or removed parcel's values."""
    changed = [f for f in (line.get("changed") or "").split(",") if f]
    if changed:
        return "; ".join(f"{schema.LABELS.get(f, f)}: {field_text(f, line.get('old_' + f)) or '(blank)'} → "
                         f"{field_text(f, line.get('new_' + f)) or '(blank)'}" for f in changed)
    side = "old_" if all(line.get("new_" + f) is None for f in schema.VALUE_FIELDS) else "new_"
    shown = [f"{schema.LABELS.get(f, f)} {field_text(f, line.get(side + f))}" for f in schema.VALUE_FIELDS
             if f != schema.LAST_UPDATED and line.get(side + f) is not None]
    return ", ".join(shown)


class ParcelHistoryDialog(QDialog):
    """Every run that touched one parcel, newest first; read in the background (the journal may be large)."""

    def __init__(self, view: FolderView, parcel_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("parcelHistoryDialog")
        self.setWindowTitle(f"History of parcel {parcel_id}")
        self.parcel_id = parcel_id
        self.summary = QLabel("Reading the change journal…")
        self.summary.setWordWrap(True)
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.table = QTableView()
        self.table.setObjectName("parcelHistoryTable")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)  # the values take the rest, and wrap
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(820, 360)
        self.lane = Lane(self)
        self.lane.start(lambda _progress: view.parcel_history(parcel_id), on_result=self.show_history,
                        on_error=lambda exc: self.summary.setText(f"The history could not be read: {exc}"))

    def show_history(self, history: pd.DataFrame) -> None:
        """Fill the table with the journal lines of the parcel, newest first."""
        lines = history.astype(object).where(history.notna(), None).to_dict("records") if len(history) else []
        for line in lines:
            # A no-break space keeps the date and the time on one line (the Values column wraps instead).
            cells = (local_time(line["when"]).replace(" ", "\u00a0"), str(line["run"]), WHAT_HAPPENED.get(line["kind"], line["kind"]),
                     values_text(line))
            items = [QStandardItem(text) for text in cells]
            items[3].setToolTip(cells[3])
            self.model.appendRow(items)
        for column in range(len(COLUMNS) - 1):
            self.table.resizeColumnToContents(column)
        self.table.resizeRowsToContents()
        self.summary.setText(
            f"Parcel {self.parcel_id}: {plural(len(lines), 'change')} recorded, newest first." if lines else
            f"No sync has recorded a change to parcel {self.parcel_id}.")
