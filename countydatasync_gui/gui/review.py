"""Change review: what a planned sync would do, class by class, before the clerk commits or discards it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget,
    QTableView, QVBoxLayout, QWidget,
)

from ..etl import schema
from ..etl.session import ReviewClass
from .banner import MessageBanner
from .formatting import MODE_WORDS, csv_value, plural
from .labels import shrinkable
from .review_model import KIND_WORDS, ChangeReviewModel

if TYPE_CHECKING:
    from ..etl.session import ChangeSet

SEARCH_DELAY_MS = 250
EXPORT_PAGE_ROWS = 5_000
MAX_COLUMN_WIDTH = 440
#: (kind passed to the engine, button words); None means every change except rejected rows.
FILTERS = ((None, "All changes"), (ReviewClass.NEW, "New"), (ReviewClass.CHANGED, "Changed"),
           (ReviewClass.DELETED, "Deleted"), (ReviewClass.REJECTED, "Rejected"), (ReviewClass.FLAGGED, "Flagged"))
PLACEHOLDER = (
    "<h3>No changes to review</h3>"
    "<p>Press <b>Sync now</b> to read what changed in the county's records since the last sync.</p>"
    "<p>The changes appear here, parcel by parcel, and nothing is saved until you press <b>Commit</b>.</p>"
)


class ReviewPanel(QWidget):
    """Counts per class as filter buttons, a paged table of the parcels, search, Hold back, Commit and Discard."""

    commit_requested = Signal()
    discard_requested = Signal()
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.change_set: ChangeSet | None = None
        self._counts: dict[ReviewClass | None, int] = {}  # rows per class of the review shown
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
        self.search.setPlaceholderText("Search parcel id, owner or address (old or new)…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
        filters.addWidget(self.search, 1)
        # Footer text wraps: a long sentence must never set the window's minimum width
        # (at 1024 px it pushed Commit and Discard off the screen).
        self.shown_label = shrinkable(QLabel())
        self.shown_label.setObjectName("reviewShownLabel")

        self.view = QTableView()
        self.view.setObjectName("changeTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between cells)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setStretchLastSection(True)
        # A header click sorts the whole change set (in its SQL, page by page); no indicator until then.
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        # Fit columns to the first rows only: measuring every fetched row blocks the window for ~100 ms.
        self.view.horizontalHeader().setResizeContentsPrecision(40)

        self.commit_button = QPushButton("Commit")
        self.commit_button.setObjectName("commitButton")
        self.commit_button.setToolTip("Save these changes to the working and statistics databases (Ctrl+Return)")
        self.hold_button = QPushButton("Hold back")
        self.hold_button.setObjectName("holdButton")
        self.hold_button.setToolTip("Leave the selected parcels out of this commit; the next sync offers them again "
                                    "(Space in the table, Ctrl+H). Press again to release them.")
        # Space on the table and the table's context menu do what the button does.
        self.hold_action = QAction("Hold back / release the selected parcels", self.view)
        self.hold_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.hold_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.hold_action.triggered.connect(self.toggle_hold)
        self.view.addAction(self.hold_action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("discardButton")
        self.discard_button.setToolTip("Throw these changes away; the databases stay exactly as they are")
        note = shrinkable(QLabel("Nothing is saved until you press Commit. Highlighted cells show old → new."))
        note.setStyleSheet("color: palette(placeholder-text);")
        actions = QHBoxLayout()
        actions.addWidget(self.shown_label, 3)
        actions.addWidget(note, 2)
        actions.addWidget(self.hold_button)
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
        self.hold_button.clicked.connect(self.toggle_hold)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_hold_button())
        self.commit_button.clicked.connect(self.commit_requested)
        self.discard_button.clicked.connect(self.discard_requested)
        self.set_buttons_enabled(False)
        # Tab follows the screen: class buttons, search, the table, Discard, Commit.
        chain = [*self.filter_buttons.values(), self.search, self.view, self.hold_button, self.discard_button,
                 self.commit_button]
        for before, after in zip(chain, chain[1:], strict=False):  # each widget with the next
            QWidget.setTabOrder(before, after)

    # -- what the window tells the panel -------------------------------------
    def show_change_set(self, change_set: ChangeSet) -> None:
        """Show a planned change set: counts on the filter buttons, the first page of parcels."""
        self.change_set = change_set
        c = change_set.counts
        counts = {None: c.new + c.changed + c.deleted, ReviewClass.NEW: c.new, ReviewClass.CHANGED: c.changed,
                  ReviewClass.DELETED: c.deleted, ReviewClass.REJECTED: c.rejected, ReviewClass.FLAGGED: c.flagged}
        self._counts = counts
        for kind, words in FILTERS:
            self.filter_buttons[kind].setText(f"{words} ({counts[kind]:,})")
        self._enable_filters()
        touched = f" ({c.touched:,} of them re-saved by the county without changes)" if c.touched else ""
        self.summary.setText(
            f"<b>{change_set.source_description}</b> ({MODE_WORDS.get(change_set.mode, change_set.mode)}): "
            f"read {plural(c.rows_read, 'row')}: {c.new:,} new, {c.changed:,} changed, {c.deleted:,} to delete, "
            f"{c.unchanged:,} unchanged{touched}, {c.rejected:,} rejected (not loaded), {c.flagged:,} flagged for a second look.")
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
        start = ReviewClass.REJECTED if counts[None] == 0 and c.rejected else None
        self.filter_buttons[start].setChecked(True)
        self.model.set_change_set(change_set, start)
        # Parcels held back by an earlier commit stay held until the clerk releases them (as on the
        # command line), so a quick Commit never applies what someone decided to hold.
        self.model.held = set(change_set.held_earlier())
        self._after_filter()
        self.stack.setCurrentIndex(1)
        self.set_buttons_enabled(True)

    def held_ids(self) -> list[str]:
        """The parcels the clerk holds back at this commit, in id order."""
        return sorted(self.model.held)

    def toggle_hold(self) -> None:
        """Hold back the selected parcels, or release them if they all are held already (Space, Ctrl+H)."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        if not rows or self.change_set is None or self.model.kind == ReviewClass.REJECTED:
            return
        hold = not all(self.model.is_held(row) for row in rows)
        self.model.set_held(rows, hold)
        self._update_hold_button()
        self._after_filter()
        held = len(self.model.held)
        self.status_message.emit(
            f"{plural(len(rows), 'parcel')} {'held back' if hold else 'released'}; "
            f"{plural(held, 'parcel')} held back in all." if held else "Nothing is held back now.")

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

    def thaw(self) -> None:
        """The review is the clerk's again (a report of it was written meanwhile): paging and buttons back."""
        self.model.thaw()
        self.set_buttons_enabled(True)
        self._enable_filters()

    def _enable_filters(self) -> None:
        for kind, button in self.filter_buttons.items():
            button.setEnabled(self._counts.get(kind, 0) > 0 or kind is None)

    def set_buttons_enabled(self, enabled: bool) -> None:
        self.commit_button.setEnabled(enabled)
        self.discard_button.setEnabled(enabled)
        self.search.setEnabled(enabled)
        self._update_hold_button(enabled)

    def _update_hold_button(self, enabled: bool | None = None) -> None:
        """Hold back is for selected changes (never rejected rows); it reads Release when they all are held."""
        if enabled is None:
            enabled = self.commit_button.isEnabled()
        rows = [index.row() for index in self.view.selectionModel().selectedRows()]
        usable = enabled and bool(rows) and self.model.kind != ReviewClass.REJECTED
        self.hold_button.setEnabled(usable)
        self.hold_action.setEnabled(usable)
        self.hold_button.setText("Release" if usable and all(self.model.is_held(r) for r in rows) else "Hold back")

    def select_filter(self, kind: str | None) -> None:
        """Show one class (as if its button were clicked)."""
        self.filter_buttons[kind].click()

    def step_filter(self, step: int) -> None:
        """Show the next (`step` 1) or previous (-1) class that has rows, wrapping around."""
        if self.change_set is None:
            return
        buttons = list(self.filter_buttons.values())
        current = self.filter_group.checkedId()
        for offset in range(1, len(buttons)):
            button = buttons[(current + step * offset) % len(buttons)]
            if button.isEnabled():
                button.click()
                return

    def focus_search(self) -> None:
        """Put the cursor in the search box, its text selected (Ctrl+F)."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def export_csv(self, target: Path | None = None) -> int | None:
        """Save the rows the review shows (class and search) as CSV for Excel, old and new values side by side.

        Asks where if `target` is None; returns the row count, or None if cancelled or there is nothing to export.
        """
        if self.change_set is None:
            return None
        kind, search = self.model.kind, self.search.text().strip() or None
        if target is None:
            name = f"review-{kind or 'all'}.csv"
            chosen, _ = QFileDialog.getSaveFileName(self, "Export the review as CSV", name, "CSV files (*.csv)")
            if not chosen:
                return None
            target = Path(chosen)
        if kind == ReviewClass.REJECTED:
            names = ["id", "reason", *schema.VALUE_FIELDS]
        else:
            names = ["kind", "id", "flags", *(f"{when}_{f}" for f in schema.VALUE_FIELDS for when in ("old", "new"))]
        titles = [self.model.title(n) for n in names]
        count = 0
        try:
            # utf-8-sig: Excel reads the BOM and shows "→" and accents right.
            with open(target, "w", newline="", encoding="utf-8-sig") as out:
                writer = csv.writer(out)
                writer.writerow(titles)
                order_by, descending = self.model.order  # in the order shown
                while not (frame := self.change_set.rows(kind, search, offset=count, limit=EXPORT_PAGE_ROWS,
                                                         order_by=order_by, descending=descending)).empty:
                    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
                        row["kind"] = KIND_WORDS.get(row.get("kind") or "", "")
                        writer.writerow([csv_value(n, row.get(n.removeprefix("new_"))) for n in names])
                    count += len(frame)
        except OSError as exc:
            self.status_message.emit(f"Could not write {target}: {exc.strerror}. Choose another folder or file name.")
            return None
        self.status_message.emit(f"Saved {plural(count, 'row')} of the review to {target}")
        return count

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
        search = self.search.text().strip()
        text = f"{plural(total, 'parcel')} ({words})"
        if search:
            text += " matches the search" if total == 1 else " match the search"
        if search and total == 0:
            text += self._matches_elsewhere(search)
        if self.model.kind == ReviewClass.REJECTED:
            text += ": these rows are not loaded. Fix them in the county's database; the next sync picks them up."
        elif self.model.kind == ReviewClass.FLAGGED:
            text += ": unusual changes worth a second look. They are saved with the rest if you commit."
        if self.model.held:
            text += f". {plural(len(self.model.held), 'parcel')} held back: not saved at this commit, offered again next sync."
        self.shown_label.setText(text)
        self.shown_label.setToolTip(text)
        header = self.view.horizontalHeader()
        if header.sortIndicatorSection() != self.model.sort_column:  # the class has no such column: sort dropped
            header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column, header.sortIndicatorOrder())
            header.blockSignals(False)
        self.view.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            if self.view.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.view.setColumnWidth(column, MAX_COLUMN_WIDTH)

    def _matches_elsewhere(self, search: str) -> str:
        """", but 2 matches under Rejected": where the search finds parcels when this class has none."""
        assert self.change_set is not None
        found = [(words, self.change_set.count(kind, search)) for kind, words in FILTERS if kind != self.model.kind]
        found = [f"{plural(n, 'match', 'matches')} under {words}" for words, n in found if n]
        return f", but {', '.join(found)}" if found else ""
