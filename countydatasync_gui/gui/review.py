"""Change review: what a planned sync would do, class by class, before the clerk commits or discards it."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget, QTableView,
    QVBoxLayout, QWidget,
)

from ..etl.sync import ChangeSet
from .banner import MessageBanner
from .formatting import MODE_WORDS, plural
from .review_model import ChangeReviewModel

SEARCH_DELAY_MS = 250
MAX_COLUMN_WIDTH = 440
#: (kind passed to the engine, button words); None means every change except rejected rows.
FILTERS = ((None, "All changes"), ("new", "New"), ("changed", "Changed"), ("deleted", "Deleted"),
           ("rejected", "Rejected"), ("flagged", "Flagged"))
PLACEHOLDER = (
    "<h3>No changes to review</h3>"
    "<p>Press <b>Sync now</b> to read what changed in the county's records since the last sync.</p>"
    "<p>The changes appear here, parcel by parcel, and nothing is saved until you press <b>Commit</b>.</p>"
)


class ReviewPanel(QWidget):
    """Counts per class as filter buttons, a paged table of the parcels, search, Commit and Discard."""

    commit_requested = Signal()
    discard_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.change_set: ChangeSet | None = None
        self.model = ChangeReviewModel(self)

        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setObjectName("reviewPlaceholder")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        self.mass_delete_banner = MessageBanner("massDeleteWarning")
        self.mass_delete_banner.close_button.hide()
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[str | None, QPushButton] = {}
        filters = QHBoxLayout()
        for number, (kind, _) in enumerate(FILTERS):
            button = QPushButton()
            button.setObjectName(f"filter_{kind or 'all'}")
            button.setCheckable(True)
            self.filter_group.addButton(button, number)
            self.filter_buttons[kind] = button
            filters.addWidget(button)
        filters.addStretch(1)
        self.search = QLineEdit()
        self.search.setObjectName("reviewSearch")
        self.search.setPlaceholderText("Search parcel id or owner…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        filters.addWidget(self.search)
        self.shown_label = QLabel()
        self.shown_label.setObjectName("reviewShownLabel")

        self.view = QTableView()
        self.view.setObjectName("changeTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setStretchLastSection(True)
        # Fit columns to the first rows only: measuring every fetched row blocks the window for ~100 ms.
        self.view.horizontalHeader().setResizeContentsPrecision(40)

        self.commit_button = QPushButton("Commit")
        self.commit_button.setObjectName("commitButton")
        self.commit_button.setToolTip("Save these changes to the working and statistics databases (Ctrl+Return)")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("discardButton")
        self.discard_button.setToolTip("Throw these changes away; the databases stay exactly as they are")
        note = QLabel("Nothing is saved until you press Commit. Highlighted cells show old → new.")
        note.setStyleSheet("color: palette(placeholder-text);")
        actions = QHBoxLayout()
        actions.addWidget(self.shown_label)
        actions.addStretch(1)
        actions.addWidget(note)
        actions.addWidget(self.discard_button)
        actions.addWidget(self.commit_button)

        review = QWidget()
        review_layout = QVBoxLayout(review)
        review_layout.setContentsMargins(0, 0, 0, 0)
        review_layout.addWidget(self.summary)
        review_layout.addWidget(self.mass_delete_banner)
        review_layout.addLayout(filters)
        review_layout.addWidget(self.view, 1)
        review_layout.addLayout(actions)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(review)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._apply_filter)
        self.filter_group.idClicked.connect(lambda _: self._apply_filter())
        self.commit_button.clicked.connect(self.commit_requested)
        self.discard_button.clicked.connect(self.discard_requested)
        self.set_buttons_enabled(False)

    # -- what the window tells the panel -------------------------------------
    def show_change_set(self, change_set: ChangeSet) -> None:
        """Show a planned change set: counts on the filter buttons, the first page of parcels."""
        self.change_set = change_set
        c = change_set.counts
        counts = {None: c.new + c.changed + c.deleted, "new": c.new, "changed": c.changed, "deleted": c.deleted,
                  "rejected": c.rejected, "flagged": c.flagged}
        for kind, words in FILTERS:
            button = self.filter_buttons[kind]
            button.setText(f"{words} ({counts[kind]:,})")
            button.setEnabled(counts[kind] > 0 or kind is None)
        self.summary.setText(
            f"<b>{change_set.source_description}</b> ({MODE_WORDS.get(change_set.mode, change_set.mode)}): "
            f"read {plural(c.rows_read, 'row')}: {c.new:,} new, {c.changed:,} changed, {c.deleted:,} to delete, "
            f"{c.unchanged:,} unchanged, {c.rejected:,} rejected (not loaded), {c.flagged:,} flagged for a second look.")
        if change_set.mass_delete:
            self.mass_delete_banner.show_message(
                "warning",
                f"This sync would delete {c.deleted:,} of {change_set.working_rows:,} parcels. "
                "That many is unusual: check that the county's database is complete before you commit. "
                "Commit will ask you to confirm the deletions.")
        else:
            self.mass_delete_banner.hide()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        start = "rejected" if counts[None] == 0 and c.rejected else None
        self.filter_buttons[start].setChecked(True)
        self.model.set_change_set(change_set, start)
        self._after_filter()
        self.stack.setCurrentIndex(1)
        self.set_buttons_enabled(True)

    def clear(self) -> None:
        """Back to the placeholder (after a commit, a discard or a failure)."""
        self.change_set = None
        self.model.set_change_set(None)
        self.stack.setCurrentIndex(0)
        self.set_buttons_enabled(False)

    def freeze(self) -> None:
        """A commit is running on the worker thread: no paging, no buttons."""
        self.model.freeze()
        self.set_buttons_enabled(False)
        self.search.setEnabled(False)
        for button in self.filter_buttons.values():
            button.setEnabled(False)

    def set_buttons_enabled(self, enabled: bool) -> None:
        self.commit_button.setEnabled(enabled)
        self.discard_button.setEnabled(enabled)
        self.search.setEnabled(enabled)

    def select_filter(self, kind: str | None) -> None:
        """Show one class (as if its button were clicked)."""
        self.filter_buttons[kind].click()

    # -- internals ------------------------------------------------------------
    def _apply_filter(self) -> None:
        self._search_timer.stop()
        if self.change_set is None:
            return
        kind = FILTERS[self.filter_group.checkedId()][0]
        self.model.set_filter(kind, self.search.text())
        self._after_filter()

    def _after_filter(self) -> None:
        total = self.model.total
        words = dict(FILTERS)[self.model.kind].lower()
        text = f"{plural(total, 'parcel')} ({words})" + (" match the search" if self.search.text().strip() else "")
        if self.model.kind == "rejected":
            text += ": these rows are not loaded. Fix them in the county's database; the next sync picks them up."
        elif self.model.kind == "flagged":
            text += ": unusual changes worth a second look. They are saved with the rest if you commit."
        self.shown_label.setText(text)
        self.view.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            if self.view.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.view.setColumnWidth(column, MAX_COLUMN_WIDTH)
