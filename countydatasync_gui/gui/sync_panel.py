"""The sync panel: where the data comes from, when it was last synced, and the buttons that start and stop a sync."""

from __future__ import annotations

import logging
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from ..etl.progress import Step
from ..etl.session import Changes, FolderView, SyncState
from .formatting import local_time, time_ago
from .labels import shrinkable

log = logging.getLogger("countydatasync_gui.gui")

#: loading: the window has just opened and reads the data folder; nothing can start yet
IDLE, LOADING, RUNNING, REVIEWING = "idle", "loading", "running", "reviewing"


class SyncPanel(QGroupBox):
    """Source, last sync, watermark; Sync now, Full refresh, Cancel; progress."""

    sync_requested = Signal(bool)  # full refresh?
    cancel_requested = Signal()
    settings_requested = Signal()  # "Change source…": open the settings screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sync with the county's records", parent)
        self._state: SyncState | None = None  # not read yet
        self._new_source = False  # the state shown is the previous source's (until the next sync)
        self.mode = IDLE

        self.source_label = shrinkable(QLabel("reading…"))  # until the window has read the settings
        self.source_label.setObjectName("sourceLabel")
        # One line: the source in words is short (a file name, or a database on a host, and a table).
        self.change_source_button = QPushButton("Change source…")
        self.change_source_button.setObjectName("changeSourceButton")
        self.change_source_button.setToolTip("Choose the county's database or file, and which columns hold what (Ctrl+,)")
        self.last_sync_label = shrinkable(QLabel())
        self.last_sync_label.setObjectName("lastSyncLabel")
        self.watermark_label = shrinkable(QLabel())
        self.watermark_label.setObjectName("watermarkLabel")
        self.watermark_label.setToolTip(
            "The newest change time read from the county's database so far (the \"watermark\"). "
            "The next sync reads only parcels changed since then, with a small safety margin.")

        self.sync_button = QPushButton("Sync now")
        self.sync_button.setObjectName("syncNowButton")
        self.sync_button.setDefault(True)
        self.sync_button.setToolTip("Read what changed in the county's records and show it for review (F5)")
        self.full_refresh = QCheckBox("Full refresh")
        self.full_refresh.setObjectName("fullRefreshCheck")
        self.full_refresh.setToolTip(
            "Read every parcel again, not only the recent changes, and also remove parcels the county no longer has.")
        refresh_hint = shrinkable(QLabel("(re-read every parcel; also finds parcels the county removed)"))
        refresh_hint.setStyleSheet("color: palette(placeholder-text);")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Stop the sync. Nothing is changed.")
        self.progress = QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setTextVisible(True)
        self.step_label = shrinkable(QLabel())
        self.step_label.setObjectName("stepLabel")

        form = QFormLayout()
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_label, 1)
        source_row.addWidget(self.change_source_button)
        form.addRow("Source:", source_row)
        form.addRow("Last successful sync:", self.last_sync_label)
        form.addRow("Includes county edits up to:", self.watermark_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.full_refresh)
        buttons.addWidget(refresh_hint, 1)
        buttons.addWidget(self.cancel_button)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 2)
        progress_row.addWidget(self.step_label, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addLayout(progress_row)

        self.sync_button.clicked.connect(lambda: self.sync_requested.emit(self.full_refresh.isChecked()))
        self.cancel_button.clicked.connect(self._cancel)
        self.change_source_button.clicked.connect(self.settings_requested)
        # "3 hours ago" must not go stale while the window stays open all day.
        self._clock = QTimer(self, interval=60_000)
        self._clock.timeout.connect(self._render_state)
        self._clock.start()
        self.set_mode(IDLE)
        self._render_state()

    # -- what the window tells the panel -------------------------------------
    def set_source(self, text: str) -> None:
        self.source_label.setText(text)

    def set_state(self, state: SyncState, *, new_source: bool = False) -> None:
        """Show the sync state read from the working database; `new_source`: it belongs to the previous source."""
        self._state, self._new_source = state, new_source
        self._render_state()

    def mark_new_source(self) -> None:
        """The settings switched to a source this folder has not synced yet: the state shown is the old source's."""
        self.set_state(self._state or SyncState(), new_source=True)

    def on_changes(self, changes: Changes, view: FolderView) -> None:
        """A run ended: read the sync state again if it moved."""
        if changes.sync_state or changes.history:
            self.read_state(view)

    def read_state(self, view: FolderView) -> None:
        """Read the sync state from the data folder and show it (a damaged file shows as never synced)."""
        try:
            state = view.sync_state()
        except Exception as exc:  # noqa: BLE001 - a damaged file must not stop the window
            log.warning("Could not read the sync state: %s", exc)
            state = SyncState()
        self.set_state(state)

    def show_unknown(self) -> None:
        """The data folder could not be read at all (the engine did not load): say so instead of "reading…"."""
        for label in (self.source_label, self.last_sync_label, self.watermark_label):
            label.setText("not known: see the message above")

    def set_mode(self, mode: str, note: str = "") -> None:
        """idle (Sync now enabled), loading (nothing yet), running (Cancel enabled) or reviewing (Commit or Discard first)."""
        self.mode = mode
        self.sync_button.setEnabled(mode == IDLE)
        self.full_refresh.setEnabled(mode == IDLE)
        self.cancel_button.setEnabled(mode == RUNNING)
        self.change_source_button.setEnabled(mode == IDLE)
        self.sync_button.setToolTip(
            "Commit or discard the changes under review first." if mode == REVIEWING
            else "Read what changed in the county's records and show it for review (F5)")
        self.progress.setVisible(mode == RUNNING)
        if mode == RUNNING:
            self.progress.setRange(0, 0)  # busy until the engine says how many rows
            self.step_label.setText(note or "Starting…")
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(0)
            self.progress.setFormat("")
            self.step_label.setText(note)
        self.step_label.setVisible(mode == RUNNING or bool(note))  # no empty row when idle

    def show_progress(self, step: Step, done: int, total: int) -> None:
        """The engine's current step and rows done (total 0: unknown, the bar just shows activity)."""
        if self.mode != RUNNING:
            return
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"{done:,} of {total:,} rows")
        else:
            self.progress.setRange(0, 0)
        self.step_label.setText(f"{step.label}…")

    # -- internals ------------------------------------------------------------
    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.step_label.setText("Cancelling at the next step; nothing will be changed…")
        self.cancel_requested.emit()

    def _render_state(self) -> None:
        state = self._state
        if state is None:
            self.last_sync_label.setText("reading…")
            self.watermark_label.setText("reading…")
            return
        if self._new_source:
            before = f" (the previous source: {local_time(state.last_success_at)})" if state.last_success_at else ""
            self.last_sync_label.setText(f"not yet from this source{before}")
            self.watermark_label.setText("nothing loaded from this source yet: press Sync now")
            return
        if state.last_success_at:
            self.last_sync_label.setText(
                f"{local_time(state.last_success_at)} ({time_ago(state.last_success_at)})")
        else:
            self.last_sync_label.setText("never: press Sync now to load the county's parcels")
        self.watermark_label.setText(local_time(state.watermark) if state.watermark else "nothing loaded yet")
