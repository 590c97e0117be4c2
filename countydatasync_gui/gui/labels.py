"""Labels that never set the window's minimum width.

A long sentence in a QLabel asks its layout for its whole width, and a
top-level window then grows past the screen and cannot be shrunk (issue 13:
the review footer pushed Commit and Discard off a 1024-pixel laptop). Every
label whose text can be long goes through `shrinkable`: it wraps onto more
lines instead, and its horizontal size hint is ignored by the layout.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSizePolicy


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
