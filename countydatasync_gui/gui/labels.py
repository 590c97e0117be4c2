"""Labels that never set the window's minimum width.

A long sentence in a QLabel asks its layout for its whole width, and a
top-level window then grows past the screen and cannot be shrunk (issue 13:
the review footer pushed Commit and Discard off a 1024-pixel laptop). Every
label whose text can be long goes through `shrinkable`: it wraps onto more
lines instead, and its horizontal size hint is ignored by the layout.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QWidget


def shrinkable(label: QLabel, *, tooltip: bool = False) -> QLabel:
    """Make `label` wrap and give up its width claim; with `tooltip`, its full text also shows on hover."""
    label.setWordWrap(True)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # the layout gives it whatever width is left
    label.setSizePolicy(policy)
    label.setMinimumWidth(0)
    if tooltip:
        label.setToolTip(label.text())
    return label


class ElidedLabel(QLabel):
    """One line that never sets the window's width or grows in height: cut with "…" when too narrow, whole in the tooltip.

    For the status bar: a wrapping label there asks for the height of its text
    wrapped at a few pixels, and the status bar grew into an empty band under the log.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(0)
        self.setText(text)

    def setText(self, text: str) -> None:
        """Show `text` (elided to the width) and keep it whole in the tooltip."""
        self._full_text = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full_text

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideMiddle, max(self.width(), 0))
        super().setText(shown)


def narrow(box: QComboBox, characters: int) -> QComboBox:
    """Let a drop-down with long items be `characters` wide (its open list still shows them whole).

    A combo box is as wide as its longest item by default: a long source kind or conversion
    made the settings screen wider than a 1024-pixel screen.
    """
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(characters)
    return box
