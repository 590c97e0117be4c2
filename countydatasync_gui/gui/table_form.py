"""Which table, and how to read its times: the table part of the settings screen.

The clerk types the table or view (or picks one once Test connection has
listed them), its schema on a server, the time zone of last-updated times
stored without one, and how far back each sync re-reads.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit, QSpinBox, QWidget

from ..etl.settings import SourceSettings
from .labels import narrow

#: Common US time zones first; any IANA name may be typed.
TIME_ZONES = (
    ("America/New_York", "Eastern"), ("America/Chicago", "Central"), ("America/Denver", "Mountain"),
    ("America/Phoenix", "Arizona, no daylight saving"), ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"), ("Pacific/Honolulu", "Hawaii"), ("America/Puerto_Rico", "Atlantic"),
    ("UTC", "times stored in UTC"),
)


class TableForm(QGroupBox):
    """Schema, table or view, time zone and look-back; `show_source` fills them, the other methods read them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Which table, and how to read its times", parent)
        self._shown_lookback = timedelta(0)
        self.schema_edit = QLineEdit()
        self.schema_edit.setObjectName("sourceSchema")
        self.schema_edit.setPlaceholderText("the default one (usually public or dbo)")
        self.table_box = QComboBox()
        self.table_box.setObjectName("sourceTable")
        self.table_box.setEditable(True)
        self.table_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.table_box.lineEdit().setPlaceholderText("Test connection lists the tables and views")
        self.zone_box = QComboBox()
        self.zone_box.setObjectName("sourceTimeZone")
        self.zone_box.setEditable(True)
        self.zone_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for name, words in TIME_ZONES:
            self.zone_box.addItem(f"{name} ({words})", name)
        narrow(self.zone_box, 20)
        self.zone_box.setToolTip("The time zone of last-updated times stored without one (most county databases).")
        self.lookback_spin = QSpinBox()
        self.lookback_spin.setObjectName("sourceLookback")
        self.lookback_spin.setRange(0, 7 * 24 * 60)
        self.lookback_spin.setSuffix(" minutes")
        self.lookback_spin.setToolTip("Each sync also re-reads changes made this long before the previous one, to catch "
                                      "edits the county saved late. Unchanged parcels are skipped, so a margin costs little. "
                                      "(For a database administrator: the look-back before the watermark.)")
        self._form = QFormLayout(self)
        self._form.addRow("Schema:", self.schema_edit)
        self._form.addRow("Table or view:", self.table_box)
        self._form.addRow("Time zone:", self.zone_box)
        self._form.addRow("Re-read margin:", self.lookback_spin)

    def show_source(self, source: SourceSettings) -> None:
        """Fill the fields from saved settings."""
        self.schema_edit.setText(source.schema_name or "")
        self.table_box.setEditText(source.table)
        index = self.zone_box.findData(source.timezone)
        self.zone_box.setCurrentIndex(index) if index >= 0 else self.zone_box.setEditText(source.timezone)
        self._shown_lookback = source.lookback
        self.lookback_spin.setValue(round(source.lookback.total_seconds() / 60))

    def show_schema(self, shown: bool) -> None:
        """Show the Schema row only for sources that have schemas (not SQLite)."""
        self._form.setRowVisible(self.schema_edit, shown)

    def set_tables(self, tables: list[str]) -> None:
        """Offer the tables and views Test connection found, keeping what is typed."""
        table = self.table_box.currentText()
        self.table_box.clear()
        self.table_box.addItems(tables)
        self.table_box.setEditText(table)

    def table(self) -> str:
        return self.table_box.currentText().strip()

    def schema(self) -> str | None:
        return self.schema_edit.text().strip() or None

    def timezone(self) -> str:
        zone = self.zone_box.currentText().split(" (")[0].strip()  # "America/Chicago (Central)" -> the name
        return zone or "UTC"

    def lookback(self) -> timedelta:
        """The margin in minutes; the saved one exactly (seconds too) while the clerk has not changed it."""
        minutes = self.lookback_spin.value()
        shown = self._shown_lookback
        return shown if round(shown.total_seconds() / 60) == minutes else timedelta(minutes=minutes)
