"""The first rows of a county file on the settings screen, each column headed by the field it feeds.

Test connection reads a file's header and a few rows (`ConnectionReport.sample_columns`
and `sample_rows`); shown beside the mapping, they let a clerk see which column
holds the parcel id or the owner even while the mapping is still wrong.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ..etl.session import ConnectionReport
from .labels import shrinkable

NOT_MAPPED = "not used"


class SamplePreview(QWidget):
    """A caption and a small read-only table; hidden until a file's test has rows to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = shrinkable(QLabel())
        self.table = QTableWidget()
        self.table.setObjectName("samplePreview")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab moves on to Save
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)
        self.hide()

    def show_report(self, report: ConnectionReport, mapped: dict[str, str]) -> None:
        """Show the report's sample rows; `mapped` is source column (lower case) -> our field's label."""
        if not report.sample_columns:
            self.hide()
            return
        columns = report.sample_columns
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setRowCount(len(report.sample_rows))
        # Mapped columns first: those are the ones the clerk is checking.
        order = sorted(range(len(columns)), key=lambda c: columns[c].lower() not in mapped)
        for place, column in enumerate(order):
            name = columns[column]
            field = mapped.get(name.lower())
            header = QTableWidgetItem(f"{name}\n→ {field}" if field else f"{name}\n({NOT_MAPPED})")
            header.setToolTip(f"Column {name} of the file feeds our field {field}." if field
                              else f"Column {name} of the file is not used by the mapping.")
            self.table.setHorizontalHeaderItem(place, header)
            for row, values in enumerate(report.sample_rows):
                self.table.setItem(row, place, QTableWidgetItem(values[column]))
        rows = len(report.sample_rows)
        first = "The file's first row" if rows == 1 else f"The first {rows} rows of the file"
        self.caption.setText(f"{first}, each column with the field it feeds:" if rows
                             else "The file has a header but no rows.")
        self.table.resizeColumnsToContents()
        # Tall enough for every sample row, so the table itself never scrolls up and down.
        header_height = self.table.horizontalHeader().sizeHint().height()
        height = header_height + sum(self.table.rowHeight(r) for r in range(rows)) + 2 * self.table.frameWidth()
        scrollbar = self.table.horizontalScrollBar().sizeHint().height()
        self.table.setFixedHeight(height + scrollbar)
        self.show()

    def header_texts(self) -> list[str]:
        """The column headings as shown (for tests and screen readers)."""
        return [self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())]
