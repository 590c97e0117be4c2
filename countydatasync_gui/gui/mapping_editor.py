"""The column mapping editor of the settings screen: one row per parcel field.

Each row says which column of the county's table feeds the field (a drop-down
of the table's columns once Test connection has run, typed by hand before) and
how its values are converted. Conversions are picked by name from the engine's
`mapping.CONVERSIONS`, so what is saved stays declarative.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QWidget

from ..etl import schema
from ..etl.mapping import CONVERSIONS, ColumnSpec, parse_mapping
from .labels import narrow

#: Fields a sync cannot run without (a last-updated column is optional: changes are then found by content).
NEEDED_FIELDS = tuple(f for f in schema.REQUIRED_FIELDS if f != schema.LAST_UPDATED)
_ALTERNATIVES = re.compile(r"\s*,\s*(?:else\s+)?")
_MISSING_STYLE = "background: #fdecea; color: #c0143c;"  # on the box's text field: the combo keeps its native look


def columns_text(columns: tuple[str, ...]) -> str:
    """Several source columns as the clerk reads them: "ASSDACRES, else GISACRES"."""
    return ", else ".join(columns)


def columns_from_text(text: str) -> tuple[str, ...]:
    """The inverse of `columns_text` (also accepts "A, B")."""
    return tuple(name for name in _ALTERNATIVES.split(text.strip()) if name)


class MappingEditor(QWidget):
    """Field -> source column(s) and conversion, for every field of `schema.FIELDS`."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column_boxes: dict[str, QComboBox] = {}
        self.convert_boxes: dict[str, QComboBox] = {}
        self._columns: list[tuple[str, str]] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for column, title in enumerate(("Our field", "Column in the county's table", "Conversion")):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        for row, field in enumerate(schema.FIELDS, start=1):
            needed = field in NEEDED_FIELDS
            label = QLabel(f"<b>{schema.LABELS[field]} *</b>" if needed else schema.LABELS[field])
            label.setToolTip("Needed for every sync." if needed else self._optional_hint(field))
            column_box = QComboBox()
            column_box.setObjectName(f"mappingColumn_{field}")
            column_box.setEditable(True)
            column_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            column_box.lineEdit().setPlaceholderText("not mapped" if not needed else "choose a column")
            column_box.completer().setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            column_box.setMinimumContentsLength(16)
            convert_box = QComboBox()
            convert_box.setObjectName(f"mappingConvert_{field}")
            convert_box.addItem("as it is", None)
            if field == schema.LAST_UPDATED:
                convert_box.setEnabled(False)
                convert_box.setToolTip("The last-updated time is always read as it is.")
            else:
                for name, (words, _) in CONVERSIONS.items():
                    convert_box.addItem(words, name)
            narrow(convert_box, 20)
            label.setBuddy(column_box)
            grid.addWidget(label, row, 0)
            grid.addWidget(column_box, row, 1)
            grid.addWidget(convert_box, row, 2)
            self.column_boxes[field], self.convert_boxes[field] = column_box, convert_box
            column_box.currentTextChanged.connect(lambda _text, f=field: self._edited(f))
            convert_box.currentIndexChanged.connect(lambda _index: self.changed.emit())
        legend = QLabel("* needed for every sync. Leave a field empty if the county's table does not have it.")
        legend.setWordWrap(True)
        legend.setStyleSheet("color: palette(placeholder-text);")
        grid.addWidget(legend, len(schema.FIELDS) + 1, 0, 1, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)

    @staticmethod
    def _optional_hint(field: str) -> str:
        if field == schema.LAST_UPDATED:
            return ("Optional: the column that records when a row was last changed. With it each sync reads only "
                    "recent changes; without one, every sync reads the whole table and finds changes by comparing "
                    "each row's content. (For a database administrator: the incremental cursor column.)")
        return "Optional. Left empty, it is stored empty."

    # -- what the dialog tells the editor --------------------------------------
    def set_mapping(self, specs: Mapping[str, ColumnSpec]) -> None:
        """Show a mapping (fields not in it: empty)."""
        for field in schema.FIELDS:
            spec = specs.get(field)
            self.column_boxes[field].setEditText(columns_text(spec.columns) if spec else "")
            index = self.convert_boxes[field].findData(spec.convert if spec else None)
            self.convert_boxes[field].setCurrentIndex(max(index, 0))
        self.clear_marks()

    def set_columns(self, columns: list[tuple[str, str]]) -> None:
        """Offer the source table's columns (name, SQL type) in every drop-down, keeping what is typed."""
        self._columns = list(columns)
        for box in self.column_boxes.values():
            text = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItem("")  # "not mapped"
            for name, sql_type in columns:
                box.addItem(name)
                box.setItemData(box.count() - 1, f"{name}: {sql_type}", Qt.ItemDataRole.ToolTipRole)
            box.setEditText(text)
            box.blockSignals(False)

    def mapping(self) -> dict[str, ColumnSpec]:
        """The mapping as shown (empty rows left out); raises `errors.MappingError` with plain words."""
        written: dict[str, object] = {}
        for field in schema.FIELDS:
            columns = columns_from_text(self.column_boxes[field].currentText())
            if columns:
                written[field] = ColumnSpec(columns, self.convert_boxes[field].currentData()).to_toml()
        return parse_mapping(written)

    def mark_missing(self, available: list[str]) -> list[str]:
        """Mark in red the rows whose column the table lacks (or needed rows left empty); their fields."""
        names = {name.lower() for name in available}
        marked: list[str] = []
        for field, box in self.column_boxes.items():
            columns = columns_from_text(box.currentText())
            lacking = [c for c in columns if c.lower() not in names]
            if lacking:
                self._mark(box, f"The table has no column {', '.join(repr(c) for c in lacking)}. Choose one from the list.")
            elif not columns and field in NEEDED_FIELDS:
                self._mark(box, "Choose the column that holds this field.")
            else:
                self._mark(box, None)
                continue
            marked.append(field)
        return marked

    def clear_marks(self) -> None:
        for box in self.column_boxes.values():
            self._mark(box, None)

    # -- internals ----------------------------------------------------------------
    @staticmethod
    def _mark(box: QComboBox, problem: str | None) -> None:
        box.lineEdit().setStyleSheet(_MISSING_STYLE if problem else "")
        box.setToolTip(problem or "")
        box.setProperty("missing", bool(problem))

    def _edited(self, field: str) -> None:
        self._mark(self.column_boxes[field], None)  # the clerk is fixing it: the next test judges again
        self.changed.emit()
