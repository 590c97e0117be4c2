"""The settings screen against the real PostgreSQL server: Test connection, a wrong password, Save and sync."""

from __future__ import annotations

import os

# Before Qt is imported: CI machines have no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from countydatasync_gui.etl.config import config_path
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.passwords import ENV_VAR
from countydatasync_gui.etl.state import load_state
from countydatasync_gui.gui.main_window import MainWindow
from countydatasync_gui.gui.settings_dialog import SettingsDialog
from countydatasync_gui.gui.source_form import POSTGRES
from tests.pg.conftest import PgServer
from tests.pg.test_pg_sync import INSERT, PARCELS_DDL, row

PARCELS = 5


@pytest.fixture
def county(pg_server: PgServer, pg_database: str) -> str:
    """A county database with a `parcels` table in our layout and one unrelated table."""
    with pg_server.connect(pg_database) as db:
        db.execute(PARCELS_DDL)
        db.cursor().executemany(INSERT, [row(f"P-{i}", "2024-05-01 12:00:00+00") for i in range(PARCELS)])
        db.execute("CREATE TABLE permits (permit_no int)")
    return pg_database


@pytest.fixture
def window(qtbot, folder: DataFolder, tmp_path: Path) -> Iterator[MainWindow]:
    """The real main window on an empty data folder, closed cleanly afterwards."""
    window = MainWindow(folder.ensure(), settings=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat))
    window.ask = lambda *_: True
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.loaded, timeout=30_000)  # it reads the folder once it shows
    yield window
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert window.runner.shutdown(30_000)


def fill_in_server(dialog: SettingsDialog, pg: PgServer, database: str, password: str) -> None:
    """What a clerk types: kind, server, port, database, user and password."""
    form = dialog.source_form
    form.set_kind(POSTGRES)
    form.host_edit.setText(pg.host)
    form.port_edit.setText(str(pg.port))
    form.database_edit.setText(database)
    form.user_edit.setText(pg.user)
    form.password_edit.setText(password)


def press_test(qtbot, dialog: SettingsDialog):
    with qtbot.waitSignal(dialog.tested, timeout=60_000) as blocker:
        dialog.test_button.click()
        assert dialog.busy.isVisible()
    return blocker.args[0]


def open_settings(qtbot, window: MainWindow) -> SettingsDialog:
    window.sync_panel.change_source_button.click()
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_test_connection_lists_the_servers_tables_and_columns(qtbot, window, pg_server, county):
    dialog = open_settings(qtbot, window)
    fill_in_server(dialog, pg_server, county, pg_server.password)

    report = press_test(qtbot, dialog)

    assert report.ok, dialog.result.text
    assert dialog.result.kind == "success"
    assert f"Connected to {county} on {pg_server.host}:{pg_server.port}" in dialog.result.text
    assert [dialog.table_box.itemText(i) for i in range(dialog.table_box.count())] == ["parcels", "permits"]
    acres = dialog.mapping_editor.column_boxes["acres"]
    assert "acres" in [acres.itemText(i) for i in range(acres.count())]
    assert "NUMERIC(12, 4)" in acres.itemData(acres.findText("acres"), 3)  # the SQL type, as a tooltip
    assert pg_server.password not in dialog.result.text + dialog.result.details.toPlainText()


def test_a_wrong_password_says_so_and_where_the_password_goes(qtbot, window, pg_server, county):
    dialog = open_settings(qtbot, window)
    fill_in_server(dialog, pg_server, county, "wrong-Guess")

    report = press_test(qtbot, dialog)

    assert report.password_rejected and not report.connected
    text = dialog.result.text
    assert dialog.result.kind == "error"
    assert f"refused the login for user '{pg_server.user}'" in text
    assert "Type the password in the Password box above" in text
    assert ENV_VAR in text  # no keyring in tests: where to keep it instead
    assert "countydatasync config" not in text  # the command line is no help to a clerk on this screen
    assert "wrong-Guess" not in text + dialog.result.details.toPlainText()

    dialog.source_form.password_edit.setText(pg_server.password)  # the clerk corrects it
    assert press_test(qtbot, dialog).ok


def test_saved_server_source_syncs_with_the_password_kept_out_of_the_file(qtbot, window, folder, pg_server, county):
    dialog = open_settings(qtbot, window)
    fill_in_server(dialog, pg_server, county, pg_server.password)
    dialog.zone_box.setCurrentIndex(dialog.zone_box.findData("America/Chicago"))
    assert press_test(qtbot, dialog).ok

    dialog.save_button.click()

    text = config_path(folder).read_text()
    assert f'url = "{pg_server.url(county, with_password=False)}"' in text
    assert pg_server.password not in text
    assert f"{county} on {pg_server.host}:{pg_server.port}, table parcels" in window.sync_panel.source_label.text()
    # No keyring here: the typed password serves this session, and the sync reads the server with it.
    window.sync_panel.sync_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    assert window.change_set is not None, window.message_banner.text
    assert window.change_set.counts.new == PARCELS
    with qtbot.waitSignal(window.runner.committed, timeout=60_000):
        window.review.commit_button.click()
    assert load_state(folder.working_db).source.startswith("postgresql+psycopg://postgres@")
    logged = "".join(p.read_text(errors="replace") for p in folder.log_dir.glob("*") if p.is_file())
    assert pg_server.password not in logged + window.log_viewer.text.toPlainText()
