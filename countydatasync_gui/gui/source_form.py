"""Where the parcel records are: the source part of the settings screen.

The clerk picks a kind of source (a county file such as a CSV export, a SQLite
file, a PostgreSQL or SQL Server server, or any other database address) and
fills in plain fields; the form turns them into a file path or a SQLAlchemy
URL, always without the password, which travels separately (system keyring,
environment variable, or this session only).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ..etl.errors import SourceFormError
from ..etl.file_kinds import FILE_DIALOG_FILTER, file_path
from ..etl.passwords import ENV_VAR, keyring_available, strip_password
from .labels import narrow

FILE, SQLITE, POSTGRES, SQLSERVER, OTHER = "file", "sqlite", "postgresql", "mssql", "other"
#: Kinds whose source is a file picked with Browse… (no server, no password).
FILE_KINDS = (FILE, SQLITE)
KINDS = (
    (SQLITE, "SQLite file (this computer or a shared drive)"),
    (FILE, "County file: CSV/TXT, Excel, Parquet, GIS"),
    (POSTGRES, "PostgreSQL server"),
    (SQLSERVER, "SQL Server"),
    (OTHER, "Other (type a database address)"),
)
#: Driver and options used for a new server source of each kind (see the README's driver table).
DRIVERS = {POSTGRES: "postgresql+psycopg", SQLSERVER: "mssql+pyodbc"}
QUERIES = {POSTGRES: {}, SQLSERVER: {"driver": "ODBC Driver 18 for SQL Server"}}
DEFAULT_PORTS = {POSTGRES: 5432, SQLSERVER: 1433}


class SourceForm(QWidget):
    """Kind of source and its fields; `url()` and `password()` give what was entered."""

    changed = Signal()
    problem = Signal(str)  # a choice that cannot be used, in plain words, for the screen's message

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A loaded server address keeps its own driver and options (e.g. postgresql+psycopg2, TrustServerCertificate).
        self._drivers, self._queries = dict(DRIVERS), {kind: dict(q) for kind, q in QUERIES.items()}
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("sourceKind")
        for kind, words in KINDS:
            self.kind_box.addItem(words, kind)
        narrow(self.kind_box, 30)
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("sourceFile")
        self.file_edit.setPlaceholderText("the county's .sqlite file")
        self.file_edit.textChanged.connect(self.file_edit.setToolTip)  # the whole path, when the box is too narrow
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setObjectName("sourceBrowse")
        # An Esri file geodatabase is a folder ending in .gdb, which a file dialog cannot choose.
        self.folder_button = QPushButton("Geodatabase folder…")
        self.folder_button.setObjectName("sourceBrowseFolder")
        self.folder_button.setToolTip("Choose an Esri file geodatabase: a folder whose name ends in .gdb")
        self.host_edit = self._line("sourceHost", "server name, e.g. gis-db.county.local")
        self.port_edit = self._line("sourcePort", "")
        self.port_edit.setValidator(QIntValidator(1, 65_535, self))
        self.port_edit.setMaximumWidth(90)
        self.database_edit = self._line("sourceDatabase", "database name")
        self.user_edit = self._line("sourceUser", "user name (empty: this computer's login)")
        self.password_edit = self._line("sourcePassword", "")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_hint = QLabel()
        self.password_hint.setObjectName("passwordHint")
        self.password_hint.setWordWrap(True)
        self.password_hint.setStyleSheet("color: palette(placeholder-text);")
        self.address_edit = self._line("sourceAddress", "e.g. mysql+pymysql://assessor@db.county.local/roll")
        self.address_edit.setToolTip("The database address (for a database administrator: a SQLAlchemy URL).")
        self.driver_hint = QLabel()
        self.driver_hint.setWordWrap(True)
        self.driver_hint.setStyleSheet("color: palette(placeholder-text);")

        self._file_row = file_row = QHBoxLayout()
        file_row.setContentsMargins(0, 0, 0, 0)
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)
        file_row.addWidget(self.folder_button)
        self._server_row = server_row = QHBoxLayout()
        server_row.setContentsMargins(0, 0, 0, 0)
        server_row.addWidget(self.host_edit, 1)
        server_row.addWidget(QLabel("Port:"))
        server_row.addWidget(self.port_edit)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Kind of source:", self.kind_box)
        self.form.addRow("File:", file_row)
        self.form.addRow("Server:", server_row)
        self.form.addRow("Database:", self.database_edit)
        self.form.addRow("Address:", self.address_edit)
        self.form.addRow("User name:", self.user_edit)
        self.form.addRow("Password:", self.password_edit)
        self.form.addRow("", self.password_hint)
        self.form.addRow("", self.driver_hint)

        self.kind_box.currentIndexChanged.connect(self._show_fields)
        self.browse_button.clicked.connect(self.browse)
        self.folder_button.clicked.connect(self.browse_folder)
        for edit in (self.file_edit, self.host_edit, self.port_edit, self.database_edit, self.user_edit,
                     self.password_edit, self.address_edit):
            edit.textEdited.connect(lambda _text: self.changed.emit())
        self._show_fields()

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    # -- reading and writing the fields ------------------------------------------
    @property
    def kind(self) -> str:
        return str(self.kind_box.currentData())

    def set_kind(self, kind: str) -> None:
        self.kind_box.setCurrentIndex(self.kind_box.findData(kind))

    def set_url(self, url: str, password_place: str | None = None) -> None:
        """Fill the fields from a source address; `password_place` says where a saved password is (or None)."""
        path = file_path(url)
        if path is not None:
            self.file_edit.setText(str(path))
            self.set_kind(FILE)
            return
        try:
            parsed = make_url(url)
        except ArgumentError:
            self.set_kind(OTHER)
            self.address_edit.setText(url)
            return
        backend = parsed.get_backend_name()
        kind = backend if backend in (SQLITE, POSTGRES, SQLSERVER) else OTHER
        if kind == SQLITE:
            self.file_edit.setText(str(parsed.database or ""))
        elif kind == OTHER:
            self.address_edit.setText(strip_password(parsed).render_as_string(hide_password=False))
        else:
            self._drivers[kind], self._queries[kind] = parsed.drivername, dict(parsed.query)
            self.host_edit.setText(parsed.host or "")
            self.port_edit.setText(str(parsed.port) if parsed.port and parsed.port != DEFAULT_PORTS[kind] else "")
            self.database_edit.setText(parsed.database or "")
        if kind != SQLITE:
            self.user_edit.setText(parsed.username or "")
        self.password_edit.setPlaceholderText(
            f"saved ({password_place}); type a new one to replace it" if password_place else "")
        self.set_kind(kind)

    def url(self) -> str:
        """The source address as entered, without a password; `SourceFormError` says what is missing."""
        kind = self.kind
        if kind == FILE:
            path = self.file_edit.text().strip()
            if not path:
                raise SourceFormError("Choose the county's file with Browse….")
            if file_path(path) is None:
                raise SourceFormError(f"'{Path(path).name}' is not a kind of file CountyDataSync reads. "
                                      "Choose a CSV, TSV, TXT, Excel (.xlsx), Parquet or GIS file.")
            return str(Path(path).expanduser())
        if kind == SQLITE:
            path = self.file_edit.text().strip()
            if not path:
                raise SourceFormError("Choose the county's SQLite file with Browse….")
            return URL.create("sqlite", database=str(Path(path).expanduser())).render_as_string(hide_password=False)
        if kind == OTHER:
            text = self.address_edit.text().strip()
            if not text:
                raise SourceFormError("Type the database address, e.g. postgresql+psycopg://assessor@db.county.local/roll.")
            try:
                return strip_password(make_url(text)).render_as_string(hide_password=False)
            except ArgumentError as exc:
                raise SourceFormError(
                    f"'{text}' is not a database address. It should look like "
                    "'postgresql+psycopg://user@server/database'.", details=str(exc)) from exc
        host, database = self.host_edit.text().strip(), self.database_edit.text().strip()
        if not host:
            raise SourceFormError("Type the name of the database server (ask IT if you do not know it).")
        if not database:
            raise SourceFormError("Type the name of the database on the server.")
        port = int(self.port_edit.text()) if self.port_edit.text().strip() else None
        return URL.create(self._drivers[kind], username=self.user_edit.text().strip() or None, host=host, port=port,
                          database=database, query=self._queries[kind]).render_as_string(hide_password=False)

    def password(self) -> str:
        """The password typed (empty: none typed); a password typed into the address counts too."""
        typed = self.password_edit.text()
        if typed or self.kind != OTHER:
            return typed if self.kind not in FILE_KINDS else ""
        try:
            return str(make_url(self.address_edit.text().strip()).password or "")
        except ArgumentError:
            return ""

    def browse(self) -> None:
        """Pick the county file or SQLite file with the system's file dialog (its filter lists the kinds)."""
        start = self.file_edit.text().strip() or str(Path.home())
        if self.kind == FILE:
            title, kinds = "Choose the county's file", FILE_DIALOG_FILTER
        else:
            title, kinds = "Choose the county's SQLite file", "SQLite databases (*.sqlite *.sqlite3 *.db);;All files (*)"
        path, _ = QFileDialog.getOpenFileName(self, title, start, kinds)
        self._chosen(path)

    def browse_folder(self) -> None:
        """Pick a file geodatabase (a `.gdb` folder) with the system's folder dialog."""
        start = self.file_edit.text().strip() or str(Path.home())
        path = QFileDialog.getExistingDirectory(self, "Choose the county's file geodatabase (.gdb folder)", start)
        if path and Path(path).suffix.lower() != ".gdb":
            words = (f"The folder '{Path(path).name}' is not a file geodatabase: its name should end in .gdb. "
                     "Choose the .gdb folder itself, or use Browse… for a file.")
            self.problem.emit(words)
            return
        self._chosen(path)

    def _chosen(self, path: str) -> None:
        if path:
            self.file_edit.setText(path)
            self.changed.emit()

    # -- internals ----------------------------------------------------------------
    def _show_fields(self) -> None:
        kind = self.kind
        server = kind in (POSTGRES, SQLSERVER)
        on_file = kind in FILE_KINDS
        for row, visible in ((self._file_row, on_file), (self._server_row, server),
                                (self.database_edit, server), (self.address_edit, kind == OTHER),
                                (self.user_edit, server),
                                (self.password_edit, not on_file), (self.password_hint, not on_file)):
            self.form.setRowVisible(row, visible)
        # After the file row is shown (which shows all of it): geodatabases are county files, not SQLite.
        self.folder_button.setVisible(kind == FILE)
        self.file_edit.setPlaceholderText("the county's export, e.g. NAL23F202601.csv" if kind == FILE
                                          else "the county's .sqlite file")
        self.port_edit.setPlaceholderText(str(DEFAULT_PORTS.get(kind, "")))
        if keyring_available():
            self.password_hint.setText("Save keeps the password in this computer's keyring, never in the settings file.")
        else:
            self.password_hint.setText(
                "This computer has no keyring, so a typed password is used only until CountyDataSync closes. "
                f"To keep it, ask IT to set the environment variable {ENV_VAR} for your account.")
        hints = {SQLSERVER: "Needs Microsoft's ODBC Driver 18 for SQL Server on this computer.",
                 OTHER: "Any database address your database administrator gives you, such as "
                        "oracle://clerk@host/roll; the user name goes in the address."}
        self.driver_hint.setText(hints.get(kind, ""))
        self.form.setRowVisible(self.driver_hint, kind in hints)
        self.changed.emit()
