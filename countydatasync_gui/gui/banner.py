"""An in-window message strip: plain words first, technical details behind a "Details" button.

Used for errors (what happened, what to do), for outcomes ("Committed ...") and
for the first-start note about the demo county, which points at the settings
screen; also for the settings screen's Test connection report. It never blocks
the window, unlike a modal dialog, so the clerk can read the log beside it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

STYLES = {
    "error": ("#fdecea", "#c0143c", "Problem"),
    "warning": ("#fff4e0", "#a15c00", "Please check"),
    "success": ("#e8f5e9", "#2e7d32", "Done"),
    "info": ("#e8f0fb", "#2d5fa6", "Note"),
}


class MessageBanner(QFrame):
    """A dismissable message with an optional "Details" section."""

    dismissed = Signal()

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.kind = "info"
        self.title = QLabel()
        self.message = QLabel()
        self.message.setObjectName(f"{object_name}Text")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton("Details")
        self.details_button.setObjectName(f"{object_name}DetailsButton")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("Show the technical details (useful for IT support)")
        self.close_button = QPushButton("Dismiss")
        self.close_button.setObjectName(f"{object_name}DismissButton")
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(140)
        self.details.hide()

        row = QHBoxLayout()
        # Top-aligned, so a message of several lines reads from its title down.
        row.addWidget(self.title, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.message, 1)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(row)
        layout.addWidget(self.details)

        self.details_button.toggled.connect(self.details.setVisible)
        self.close_button.clicked.connect(self.dismiss)
        self.hide()

    def show_message(self, kind: str, text: str, details: str | None = None) -> None:
        """Show `text` styled for `kind` (error, warning, success, info); `details` behind the button."""
        background, accent, title = STYLES[kind]
        self.kind = kind
        self.setStyleSheet(
            f"#{self.objectName()} {{ background: {background}; border: 1px solid {accent}; border-radius: 4px; }}"
        )
        self.title.setText(f"<b style='color:{accent}'>{title}:</b>")
        self.message.setText(text)
        self.details.setPlainText(details or "")
        self.details_button.setChecked(False)
        self.details_button.setVisible(bool(details))
        self.show()

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()

    @property
    def text(self) -> str:
        return self.message.text()
