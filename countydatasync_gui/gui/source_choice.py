"""Which source the next sync reads, and the settings screen that changes it.

The start-up flags (`--source`, `--table`) win over `config.toml`; with
neither, the demo county in the data folder. Saving the settings screen
writes `config.toml`, so from then on the file decides, not the flags. The
window owns one `SourceChoice` and only reacts to what it announces.

The settings modules and the settings screen bring pandas and SQLAlchemy, so
they are imported where they are used, never with the window: its first
`reload` comes after the window shows, once `MainWindow` has loaded the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ..etl import session
from ..etl.datafolder import DataFolder
from ..etl.errors import SyncError
from .sync_ops import SyncRequest

if TYPE_CHECKING:
    from ..etl.settings import SyncSettings
    from ..etl.use_codes import CodeTable
    from .settings_dialog import SettingsDialog

DEMO_NOTICE = (
    "This is the demo county, about 25,000 made-up parcels created in your data folder so you can try every step "
    "safely. To sync your county's own database or file instead, press Change source… (or File > Settings…), "
    "choose it and press Test connection.")


class SourceChoice(QObject):
    """The source in force for one data folder: read from the settings, told in words, changed on the settings screen."""

    #: The settings were read again: the title, the source line and the demo note follow.
    changed = Signal()
    #: The settings screen saved: the sentence for the clerk, and whether the data folder holds another source's parcels.
    saved = Signal(str, bool)

    def __init__(self, folder: DataFolder, source_url: str | None, table: str | None, window: QWidget) -> None:
        super().__init__(window)
        self._window = window  # the settings screen's parent
        self.folder, self.source_url, self.table = folder, source_url, table
        self.current: SyncSettings | None = None  # the settings in force, for showing (read again per sync)
        self.problem: str | None = None  # what is wrong with config.toml, in words
        self.is_demo = True
        self.session_password: str | None = None  # typed in the settings screen on a computer without a keyring
        self.dialog: SettingsDialog | None = None

    def set_source(self, source_url: str | None, table: str | None = None) -> None:
        """Sync from another source from now on (None: the demo county)."""
        self.source_url, self.table = source_url, table
        self.reload()

    def reload(self) -> None:
        """Read the settings again (config.toml under the start-up flags), then announce `changed`."""
        from ..etl.config import config_path, load_settings, read_config

        self.problem = None
        try:
            self.current = load_settings(self.folder, source_url=self.source_url, table=self.table, create_demo=False)
            configured = self.source_url is not None or "url" in read_config(config_path(self.folder)).get("source", {})
        except SyncError as exc:
            self.current, configured, self.problem = None, True, exc.message
        self.is_demo = not configured
        self.changed.emit()

    def request(self, full_refresh: bool, chunk_rows: int | None) -> SyncRequest:
        """What the worker needs to plan a sync from this source."""
        return SyncRequest(self.folder, self.source_url, self.table, full_refresh, chunk_rows,
                           password=self.session_password)

    def code_table(self) -> CodeTable | None:
        """The land-use codes of the source in force (None if the settings have a problem)."""
        from ..etl.use_codes import code_table

        if self.current is None:
            return None
        try:
            return code_table(self.current.source.code_table)
        except SyncError:  # a code table name the app does not know: the sync says so in words
            return None

    def words(self, long: bool = False) -> str:
        """The source as the clerk reads it: "the demo county", "gis-db.county.local/roll", with the table if `long`."""
        if self.current is None:
            return "not set: the settings file has a problem (File > Settings…)"
        source = self.current.source
        table = f", table {source.table}"
        if self.is_demo:
            return "the demo county" if not long else f"the demo county ({self.folder.demo_source.name}{table})"
        try:
            return session.describe_url(source.url) + (table if long else "")
        except SyncError:
            return "an address that is not valid (File > Settings…)"

    # -- the settings screen -----------------------------------------------------
    def open_settings(self) -> None:
        """Open the settings screen (window-modal), or raise it if it is open; Save announces `saved`."""
        from .settings_dialog import SettingsDialog

        if self.dialog is not None:
            self.dialog.raise_()
            return
        dialog = SettingsDialog(self.folder, self.current, problem=self.problem,
                                session_password=self.session_password, parent=self._window)
        dialog.accepted.connect(lambda: self._settings_saved(dialog))
        dialog.finished.connect(lambda _result: self._settings_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _settings_closed(self, dialog: SettingsDialog) -> None:
        self.dialog = None
        dialog.deleteLater()

    def _settings_saved(self, dialog: SettingsDialog) -> None:
        self.source_url = self.table = None  # config.toml now says where the source is, not the start-up flags
        self.session_password = dialog.session_password
        self.reload()
        text = f"Settings saved. The next sync reads from {self.words(long=True)}."
        if dialog.password_note:
            text += f" {dialog.password_note}"
        another_source = self.current is not None and self._folder_holds_another_source()
        if another_source:
            text += (" This data folder holds parcels from the previous source, so Full refresh is ticked: the next "
                     "sync replaces them, and you review the changes before anything is saved.")
        self.saved.emit(text, another_source)

    def _folder_holds_another_source(self) -> bool:
        try:
            held = session.FolderView(self.folder).sync_state().source
            return bool(held) and held != session.Source(self.current.source).identity
        except Exception:  # noqa: BLE001 - unreadable state: the sync itself will say what is wrong
            return False
