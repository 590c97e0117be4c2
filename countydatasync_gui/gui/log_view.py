"""The live log: the engine's records as they happen, coloured by level, filterable, searchable, bounded."""

from __future__ import annotations

import html
import logging
from collections import deque
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget,
)

#: Lines kept in memory and on screen; the log file in the data folder keeps everything.
MAX_LINES = 5_000
LEVELS = (("Everything (with parcel ids)", logging.DEBUG), ("Information", logging.INFO),
          ("Warnings and errors", logging.WARNING), ("Errors only", logging.ERROR))
COLOURS = {logging.DEBUG: "#7a7a7a", logging.INFO: "#1f1f1f", logging.WARNING: "#a15c00", logging.ERROR: "#c0143c"}


def _colour(level: int) -> str:
    for threshold in (logging.ERROR, logging.WARNING, logging.INFO):
        if level >= threshold:
            return COLOURS[threshold]
    return COLOURS[logging.DEBUG]


class LogViewer(QWidget):
    """Shows log records handed over by `QtLogHandler` (connect its bridge to `append_record`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: deque[tuple[int, str]] = deque(maxlen=MAX_LINES)
        self.text = QPlainTextEdit()
        self.text.setObjectName("logView")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText("What the sync does appears here as it happens.")
        self.text.setMinimumHeight(40)  # three lines at least; the splitter gives it more on a taller screen

        self.level = QComboBox()
        self.level.setObjectName("logLevelFilter")
        for label, level in LEVELS:
            self.level.addItem(label, level)
        self.level.setCurrentIndex(1)
        self.find_box = QLineEdit()
        self.find_box.setObjectName("logFind")
        self.find_box.setPlaceholderText("Find in the log…")
        self.find_box.setClearButtonEnabled(True)
        self.find_status = QLabel()
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the selected lines, or the whole log if nothing is selected")
        save = QPushButton("Save…")
        save.setToolTip("Save the log shown here as a text file (for example to send to support)")

        bar = QHBoxLayout()
        title = QLabel("Log")
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        bar.addWidget(title)
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.level)
        bar.addWidget(self.find_box, 1)
        bar.addWidget(self.find_status)
        bar.addWidget(copy)
        bar.addWidget(save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.text)

        self.level.currentIndexChanged.connect(self._rerender)
        self.find_box.returnPressed.connect(self.find_next)
        self.find_box.textChanged.connect(lambda _: self.find_status.clear())
        copy.clicked.connect(self.copy)
        save.clicked.connect(lambda: self.save())

    @property
    def minimum_level(self) -> int:
        return int(self.level.currentData())

    @Slot(int, str)
    def append_record(self, level: int, line: str) -> None:
        """Add one record (GUI thread only; the handler's signal is queued to here)."""
        self._records.append((level, line))
        if level >= self.minimum_level:
            self.text.appendHtml(self._html(level, line))

    def find_next(self) -> bool:
        """Select the next match of the find box (wrapping to the top); True if found."""
        needle = self.find_box.text()
        if not needle:
            return False
        found = self.text.find(needle)
        if not found:  # wrap around
            cursor = self.text.textCursor()
            cursor.movePosition(cursor.MoveOperation.Start)
            self.text.setTextCursor(cursor)
            found = self.text.find(needle)
        self.find_status.setText("" if found else "not found")
        return found

    def copy(self) -> None:
        selected = self.text.textCursor().selectedText().replace("\u2029", "\n")
        QGuiApplication.clipboard().setText(selected or self.text.toPlainText())

    def save(self, target: Path | None = None) -> Path | None:
        """Write the lines shown to a text file (asks where if `target` is None)."""
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Save the log", "countydatasync-log.txt", "Text files (*.txt)")
            if not name:
                return None
            target = Path(name)
        target.write_text(self.text.toPlainText() + "\n", encoding="utf-8")
        return target

    def _rerender(self) -> None:
        minimum = self.minimum_level
        self.text.setUpdatesEnabled(False)
        self.text.clear()
        for level, line in self._records:
            if level >= minimum:
                self.text.appendHtml(self._html(level, line))
        self.text.setUpdatesEnabled(True)
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)

    @staticmethod
    def _html(level: int, line: str) -> str:
        weight = "font-weight:600;" if level >= logging.WARNING else ""
        return f'<span style="color:{_colour(level)};{weight}white-space:pre">{html.escape(line)}</span>'
