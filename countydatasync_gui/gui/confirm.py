"""The explicit confirmation a mass delete needs: the clerk must tick a box that names the number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from ..etl.session import ChangeSet


class MassDeleteDialog(QDialog):
    """"Delete N parcels?" with the delete button locked until the clerk ticks the confirmation."""

    def __init__(self, change_set: ChangeSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("massDeleteDialog")
        self.setWindowTitle("Confirm deleting parcels")
        deleted, total = change_set.counts.deleted, change_set.working_rows
        share = 100 * deleted / total if total else 100
        text = QLabel(
            f"<p><b>This sync would delete {deleted:,} of {total:,} parcels ({share:.0f}%).</b></p>"
            "<p>Parcels are deleted when the county's database no longer has them. So many usually means "
            "the database was only partly copied or the wrong table was read. Check with whoever maintains "
            "the county's database before you go on.</p>"
            "<p>If the deletions are right, tick the box and press Delete and commit.</p>"
        )
        text.setWordWrap(True)
        self.confirm = QCheckBox(f"Yes, delete these {deleted:,} parcels from the working table")
        self.confirm.setObjectName("massDeleteConfirmCheck")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.delete_button = self.buttons.addButton("Delete and commit", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.setObjectName("massDeleteCommitButton")
        self.delete_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self.confirm.toggled.connect(self.delete_button.setEnabled)
        self.delete_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
