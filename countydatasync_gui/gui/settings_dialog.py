"""The settings screen: where the county's parcel records are, and which of their columns feed our fields.

The clerk fills in the source (`source_form`), the table and its time zone
(`table_form`) and the column mapping (`mapping_editor`, optionally from a state preset), presses
**Test connection** (run on the thread pool, so a slow network never freezes
the window) and reads in plain words what works and what is missing. **Save**
writes `config.toml` through the engine (`config.save_config`, which keeps a
DBA's comments) and the password to the system keyring, never to the file;
**Cancel** changes nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QMessageBox, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from ..etl import schema
from ..etl.config import config_path, save_config
from ..etl.datafolder import DataFolder
from ..etl.errors import SyncError
from ..etl.mapping import identity_mapping
from ..etl.passwords import ENV_VAR, find_password, keyring_available, password_help, password_origin, store_password
from ..etl.presets import get_preset, list_presets
from ..etl.settings import SourceSettings, SyncSettings
from ..etl.session import ConnectionReport, describe_url, parse_url
from .banner import MessageBanner
from .background import Lane
from .connection_test import plain, report_html, run_test
from .labels import narrow
from .mapping_editor import MappingEditor
from .sample_preview import SamplePreview
from .source_form import FILE_KINDS, SourceForm
from .table_form import TableForm


class SettingsDialog(QDialog):
    """Choose and test the county's source; Save writes config.toml, Cancel changes nothing."""

    tested = Signal(object)  # ConnectionReport, once shown

    def __init__(self, folder: DataFolder, current: SyncSettings | None, *, problem: str | None = None,
                 session_password: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings: the county's source")
        self.folder = folder
        self.current = current or SyncSettings(SourceSettings(url=f"sqlite:///{folder.demo_source}"))
        self.session_password = session_password  # typed here on a computer without a keyring
        self.password_note = ""  # where the password went, for the window's message
        self.saved: SyncSettings | None = None
        self.report: ConnectionReport | None = None
        self.tester = Lane(self)  # the connection test, off the GUI thread
        self._tested_url = ""

        # -- the fields
        self.source_form = SourceForm()
        self.table_form = TableForm()
        self.table_box, self.zone_box = self.table_form.table_box, self.table_form.zone_box
        self.preset_box = QComboBox()
        self.preset_box.setObjectName("presetBox")
        self.preset_box.addItem("None: choose each column below", None)
        for preset in list_presets():
            self.preset_box.addItem(preset.title, preset.name)
        narrow(self.preset_box, 24)
        self.preset_notes = QLabel()
        self.preset_notes.setWordWrap(True)
        self.preset_notes.setStyleSheet("color: palette(placeholder-text);")
        self.mapping_editor = MappingEditor()
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setToolTip("Connect, list the tables and columns, and check the mapping. Changes nothing.")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        self.status = QLabel()
        self.status.setObjectName("testStatus")
        self.result = MessageBanner("connectionResult")
        self.sample = SamplePreview()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveSettingsButton")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("cancelSettingsButton")
        self.cancel_button.setToolTip("Close without changing anything")
        # Enter in a field tests the connection; saving takes a deliberate click on Save.
        self.save_button.setAutoDefault(False)
        self.test_button.setDefault(True)

        # -- the layout: source and table on the left, the mapping on the right
        source_group = QGroupBox("Where the parcel records are")
        QVBoxLayout(source_group).addWidget(self.source_form)
        left = QVBoxLayout()
        left.addWidget(source_group)
        left.addWidget(self.table_form)
        left.addStretch(1)
        mapping_group = QGroupBox("Which column holds what")
        mapping_layout = QVBoxLayout(mapping_group)
        preset_row = QFormLayout()
        preset_row.addRow("Ready-made mapping:", self.preset_box)
        mapping_layout.addLayout(preset_row)
        mapping_layout.addWidget(self.preset_notes)
        mapping_layout.addWidget(self.mapping_editor)
        mapping_layout.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addWidget(mapping_group, 1)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.busy)
        test_row.addWidget(self.status, 1)
        # Everything but Save and Cancel scrolls: a long report with its Details open used to take
        # its height from the form, squashing every input to a thin strip on a 700-pixel screen.
        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(top)
        content.addLayout(test_row)
        content.addWidget(self.result)
        content.addWidget(self.sample)
        content.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("settingsScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.buttons)
        self.result.details_button.toggled.connect(lambda _shown: self._grow_to_fit())

        # -- wiring
        self.test_button.clicked.connect(self.run_test)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.preset_box.activated.connect(self._preset_chosen)
        self.table_box.activated.connect(self._table_chosen)
        self.source_form.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.source_form.problem.connect(lambda text: self.result.show_message("error", plain(text)))
        self._show(self.current.source)
        self._grow_to_fit()
        self._opened_with = self._entered()
        if problem:
            self.result.show_message("error", f"The settings file has a problem: {plain(problem)} "
                                     "Saving here writes the source settings again.")

    # -- filling the screen ---------------------------------------------------------
    def _show(self, source: SourceSettings) -> None:
        origin = password_origin(parse_url(source.url))
        place = origin if origin == "system keyring" or origin.startswith("environment") else (
            "for this session" if self.session_password else None)
        self.source_form.set_url(source.url, place)
        self.table_form.show_source(source)
        self.preset_box.setCurrentIndex(max(self.preset_box.findData(source.preset), 0))
        self._show_preset_notes()
        self.mapping_editor.set_mapping(source.specs())
        self._kind_changed()

    def _kind_changed(self) -> None:
        self.table_form.show_schema(self.source_form.kind not in FILE_KINDS)  # files have no schemas
        # A report or an error about the previous kind of source ("file not found") no longer applies.
        self.result.hide()
        self.sample.hide()
        self.status.setText("")

    def _entered(self) -> tuple[object, ...]:
        """Everything typed or chosen on the screen, to tell whether the clerk changed anything."""
        return tuple((w.objectName(), w.text() if isinstance(w, QLineEdit) else w.currentText())
                     for w in self.content.findChildren(QLineEdit) + self.content.findChildren(QComboBox))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc closes an open list, or the screen; after changes, only if the clerk says they may be lost."""
        if (event.key() == Qt.Key.Key_Escape and self._entered() != self._opened_with
                and not self.ask("Close the settings?", "Close without saving? What you typed here is lost.")):
            event.accept()
            return
        super().keyPressEvent(event)

    def _show_preset_notes(self) -> None:
        name = self.preset_box.currentData()
        self.preset_notes.setText(get_preset(name).notes if name else "")
        self.preset_notes.setVisible(bool(name))

    @Slot(int)
    def _preset_chosen(self, _index: int) -> None:
        """A preset fills the whole mapping; "None" keeps what is shown, to be edited by hand."""
        self._show_preset_notes()
        name = self.preset_box.currentData()
        if name:
            self.mapping_editor.set_mapping(get_preset(name).columns)

    @Slot(int)
    def _table_chosen(self, _index: int) -> None:
        if self.report is not None and self.report.connected:
            self.run_test()  # fetch the newly chosen table's columns for the drop-downs

    # -- what was entered -------------------------------------------------------------
    def source_settings(self) -> SourceSettings:
        """The source as entered, without a password; `SyncError` with plain words if something is missing."""
        preset = self.preset_box.currentData()
        columns = self.mapping_editor.mapping()
        if not preset and columns == identity_mapping():
            columns = SourceSettings(url="sqlite://").columns  # the default layout: nothing to write
        code_table = get_preset(preset).code_table if preset else self.current.source.code_table
        return SourceSettings(
            url=self.source_form.url(), table=self.table_form.table(),
            schema_name=self.table_form.schema() if self.source_form.kind not in FILE_KINDS else None,
            columns=columns, timezone=self.table_form.timezone(), lookback=self.table_form.lookback(),
            # [source.csv] overrides have no fields on this screen: kept as config.toml has them
            code_table=code_table, preset=preset, file_options=self.current.source.file_options)

    def _password_for(self, url: str) -> str | None:
        """The typed password, else the saved one (keyring, environment), else this session's."""
        return self.source_form.password() or find_password(parse_url(url)) or self.session_password

    # -- Test connection -----------------------------------------------------------------
    @Slot()
    def run_test(self) -> None:
        """Test the connection on a background lane; the outcome arrives in `_on_tested`."""
        try:
            source = self.source_settings()
        except SyncError as exc:
            self.result.show_message("error", plain(exc.message), exc.details)
            return
        source = dataclasses.replace(source, password=self._password_for(source.url))
        self.tester.start(lambda _progress: run_test(source), on_result=self._on_tested)
        self._tested_url = source.url
        self.test_button.setEnabled(False)
        self.busy.show()
        self.status.setText(f"Connecting to {describe_url(source.url)}…")
        self.result.hide()
        self.sample.hide()

    @Slot(object)
    def _on_tested(self, report: ConnectionReport) -> None:
        self.report = report
        self.test_button.setEnabled(True)
        self.busy.hide()
        self.status.setText("")
        if report.tables:
            self.table_form.set_tables(report.tables)
        if report.columns:
            self.mapping_editor.set_columns(report.columns)
            self.mapping_editor.mark_missing([name for name, _ in report.columns])
        kind = "success" if report.ok else "warning" if report.connected else "error"
        self.result.show_message(kind, report_html(report, self._message(report)), report.details)
        self.sample.show_report(report, self._mapped_columns())
        self._grow_to_fit()
        if report.password_rejected:
            self.source_form.password_edit.setFocus()
            self.source_form.password_edit.selectAll()
        self.tested.emit(report)

    def _mapped_columns(self) -> dict[str, str]:
        """Source column (lower case) -> the label of the field it feeds, as the mapping on screen says."""
        try:
            specs = self.mapping_editor.mapping()
        except SyncError:
            return {}
        return {column.lower(): schema.LABELS[field] for field, spec in specs.items() for column in spec.columns}

    def _grow_to_fit(self) -> None:
        """Make room for the form and a long report (within the screen; beyond it, the form scrolls)."""
        self.content.adjustSize()
        margins = self.layout().contentsMargins()
        extra = margins.top() + margins.bottom() + self.layout().spacing() + self.buttons.sizeHint().height()
        wanted = QSize(self.content.sizeHint().width() + margins.left() + margins.right()
                       + self.scroll.verticalScrollBar().sizeHint().width(),
                       self.content.sizeHint().height() + extra)
        screen = self.screen().availableGeometry().size() if self.screen() else wanted
        self.resize(max(self.width(), min(wanted.width(), screen.width())),
                    max(self.height(), min(wanted.height(), screen.height())))

    def _message(self, report: ConnectionReport) -> str:
        """The report's sentence; after a refused login, where the password goes on this screen."""
        if not report.password_rejected:
            return report.message
        # The engine's words name the command line; here the Password box is right above.
        message = report.message.replace(password_help(parse_url(self._tested_url)), "").strip()
        return message + (" Type the password in the Password box above and press Test connection again. "
                          + ("Save keeps it in this computer's keyring, never in the settings file." if keyring_available()
                             else "This computer has no keyring: Save keeps it only until CountyDataSync closes. To "
                             f"keep it, ask IT to set the environment variable {ENV_VAR} for your account."))

    # -- Save ---------------------------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        """Write config.toml (and the password to the keyring) and close; on a problem, say it and stay open."""
        try:
            source = self.source_settings()
            if not source.table:
                raise SyncError("Type or choose the table or view that holds the parcels (Test connection lists them).")
            source.zone()  # an unknown time zone, said now rather than at the next sync
            url = parse_url(source.url)
            chosen = Path(url.database or "")
            # A file geodatabase is a folder; every other source here is a file.
            if self.source_form.kind in FILE_KINDS and not (chosen.is_file() or chosen.suffix.lower() == ".gdb"
                                                            and chosen.is_dir()):
                raise SyncError(f"The file {url.database} was not found. Choose the county's file with Browse….")
            if not self._untested_source_confirmed(source):
                return
            self._keep_password(url)
            settings = dataclasses.replace(self.current, source=source)
            save_config(config_path(self.folder), settings)
        except SyncError as exc:
            self.result.show_message("error", plain(exc.message), exc.details)
            return
        except OSError as exc:
            self.result.show_message("error", plain(
                f"The settings could not be saved to {config_path(self.folder)}: {exc.strerror or exc}. "
                "Check that the data folder is writable, then press Save again."), repr(exc))
            return
        self.saved = settings
        self.accept()

    def _untested_source_confirmed(self, source: SourceSettings) -> bool:
        """A new source whose test failed, or that was not tested, is saved only if the clerk says so."""
        if source.url == self.current.source.url:
            return True  # the same database as before: only the table, mapping or time zone changed
        if self.report is not None and self._tested_url == source.url:
            if self.report.ok:
                return True
            question = "The connection test failed. Save these settings anyway?"
        else:
            question = "This source has not been tested (press Test connection to check it). Save anyway?"
        return self.ask("Save untested settings?", question)

    def ask(self, title: str, question: str) -> bool:
        """A yes/no question, No by default (tests replace this)."""
        answer = QMessageBox.question(self, title, question, defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _keep_password(self, url) -> None:  # a SQLAlchemy URL
        password = self.source_form.password()
        if not password:
            return
        if not url.username:
            raise SyncError("A password was typed but no user name: type the user name it belongs to.")
        if keyring_available():
            try:
                store_password(url, password)
            except Exception as exc:
                raise SyncError("The password could not be saved in this computer's keyring. Unlock the keyring and "
                                f"press Save again, or ask IT to set the environment variable {ENV_VAR}.",
                                details=f"{type(exc).__name__}: {exc}") from exc
            self.password_note = "The password is kept in this computer's keyring."
        else:
            self.session_password = password
            self.password_note = ("This computer has no keyring, so the password is used only until CountyDataSync "
                                  f"closes. To keep it, ask IT to set the environment variable {ENV_VAR}.")

