"""The settings screen, driven like a clerk would: choose a file, test it, map columns, save or cancel."""

from __future__ import annotations

import logging
import sqlite3
import tomllib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from countydatasync_gui.etl import passwords
from countydatasync_gui.etl.config import config_path
from countydatasync_gui.etl.demo import create_demo_county
from countydatasync_gui.gui.settings_dialog import SettingsDialog
from countydatasync_gui.gui.source_form import POSTGRES, SQLITE
from tests.gui.conftest import commit, sync

COUNTY_PARCELS = 300
#: A county that names things its own way: table `roll`, and these columns.
ROLL_COLUMNS = {"id": "PIN", "owner": "OWNER_NAME", "use_code": "LUC", "acres": "ACREAGE",
                "assessed_value": "TOTAL_AV", "last_updated": "EDIT_DATE"}
PASSWORD = "Tr0ub4dor&3"


class FakeKeyring:
    """Stands in for the system keyring (tests never touch the real one)."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, key: str, password: str) -> None:
        self.saved[(service, key)] = password

    def get_password(self, service: str, key: str) -> str | None:
        return self.saved.get((service, key))


@pytest.fixture(autouse=True)
def _no_system_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_keyring", lambda: None)


@pytest.fixture
def county_file(tmp_path: Path) -> Path:
    """A county's SQLite file in our own layout (table `parcels`), on a "shared drive"."""
    path = tmp_path / "county-share" / "harbor_county.sqlite"
    path.parent.mkdir()
    create_demo_county(path, parcels=COUNTY_PARCELS, seed=7)
    return path


@pytest.fixture
def roll_file(tmp_path: Path) -> Path:
    """A county's SQLite file with its own table and column names."""
    path = tmp_path / "county-share" / "harbor_roll.sqlite"
    path.parent.mkdir()
    create_demo_county(path, parcels=COUNTY_PARCELS, seed=8)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE parcels RENAME TO roll")
        for ours, theirs in ROLL_COLUMNS.items():
            db.execute(f"ALTER TABLE roll RENAME COLUMN {ours} TO {theirs}")
    return path


def open_settings(qtbot, window) -> SettingsDialog:
    window.sync_panel.change_source_button.click()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitExposed(dialog)
    return dialog


def choose_file(dialog: SettingsDialog, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pick the file through the Browse… button (the system file dialog answers with `path`)."""
    dialog.source_form.set_kind(SQLITE)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kw: (str(path), ""))
    dialog.source_form.browse_button.click()


def press_test(qtbot, dialog: SettingsDialog):
    """Press Test connection; while it runs the button waits and a busy bar shows; returns the report."""
    with qtbot.waitSignal(dialog.tested, timeout=30_000) as blocker:
        dialog.test_button.click()
        assert dialog.busy.isVisible() and not dialog.test_button.isEnabled()
    assert not dialog.busy.isVisible() and dialog.test_button.isEnabled()
    return blocker.args[0]


def column_choices(dialog: SettingsDialog, field: str) -> list[str]:
    box = dialog.mapping_editor.column_boxes[field]
    return [box.itemText(i) for i in range(box.count())]


def choose_column(dialog: SettingsDialog, field: str, column: str) -> None:
    box = dialog.mapping_editor.column_boxes[field]
    index = box.findText(column)
    assert index >= 0, f"{column} is not offered for {field}: {column_choices(dialog, field)}"
    box.setCurrentIndex(index)


def choose_preset(dialog: SettingsDialog, name: str | None) -> None:
    index = dialog.preset_box.findData(name)
    dialog.preset_box.setCurrentIndex(index)
    dialog.preset_box.activated.emit(index)  # what a click on the item sends


# ---------------------------------------------------------------------------
def test_test_connection_lists_the_table_and_its_columns(qtbot, make_window, county_file, monkeypatch):
    window = make_window()
    dialog = open_settings(qtbot, window)
    choose_file(dialog, county_file, monkeypatch)

    report = press_test(qtbot, dialog)

    assert report.ok, report
    assert dialog.result.kind == "success" and "harbor_county.sqlite" in dialog.result.text
    assert "mapping is complete" in dialog.result.text
    assert [dialog.table_box.itemText(i) for i in range(dialog.table_box.count())] == ["parcels"]
    assert {"id", "owner", "acres", "last_updated"} <= set(column_choices(dialog, "owner"))
    assert not any(box.property("missing") for box in dialog.mapping_editor.column_boxes.values())


def test_a_preset_fills_the_mapping_and_what_is_missing_is_said_plainly(qtbot, make_window, county_file, monkeypatch):
    window = make_window()
    dialog = open_settings(qtbot, window)
    choose_file(dialog, county_file, monkeypatch)
    editor = dialog.mapping_editor

    choose_preset(dialog, "wisconsin")

    assert editor.column_boxes["id"].currentText() == "PARCELID"
    assert editor.column_boxes["use_code"].currentText() == "PROPCLASS, else AUXCLASS"
    assert editor.convert_boxes["acres"].currentData() == "number"
    assert dialog.preset_notes.isVisible() and "PROPCLASS" in dialog.preset_notes.text()
    report = press_test(qtbot, dialog)  # our demo layout has none of Wisconsin's names
    assert report.connected and not report.ok
    assert dialog.result.kind == "warning"
    assert "The table has no column 'PARCELID' (for parcel)." in dialog.result.text
    assert editor.column_boxes["id"].property("missing")

    choose_preset(dialog, "florida_nal")
    assert editor.column_boxes["acres"].currentText() == "LND_SQFOOT"
    assert editor.convert_boxes["acres"].currentData() == "sqft_to_acres"
    assert editor.column_boxes["last_updated"].currentText() == ""  # the NAL roll has no modification time


def test_a_missing_column_is_named_and_its_row_marked(qtbot, make_window, county_file, monkeypatch):
    window = make_window()
    dialog = open_settings(qtbot, window)
    choose_file(dialog, county_file, monkeypatch)
    editor = dialog.mapping_editor
    editor.column_boxes["owner"].setEditText("OWNER_NAME")
    editor.column_boxes["assessed_value"].setEditText("")

    report = press_test(qtbot, dialog)

    assert not report.ok
    assert "The table has no column 'OWNER_NAME' (for owner)." in report.problems
    assert "No column is chosen for assessed value." in report.problems
    assert "To fix:" in dialog.result.text and "OWNER_NAME" in dialog.result.text
    marked = [f for f, box in editor.column_boxes.items() if box.property("missing")]
    assert marked == ["owner", "assessed_value"]
    assert "no column 'OWNER_NAME'" in editor.column_boxes["owner"].toolTip()

    choose_column(dialog, "owner", "owner")  # the clerk picks the right one from the drop-down
    choose_column(dialog, "assessed_value", "assessed_value")
    assert press_test(qtbot, dialog).ok


def test_saving_a_source_that_failed_its_test_or_was_not_tested_asks_first(qtbot, make_window, folder, roll_file, monkeypatch):
    window = make_window()
    dialog = open_settings(qtbot, window)
    questions: list[str] = []
    dialog.ask = lambda _title, question: questions.append(question) or False  # the clerk says No
    choose_file(dialog, roll_file, monkeypatch)
    dialog.save_button.click()
    assert "has not been tested" in questions[-1] and dialog.isVisible() and not config_path(folder).exists()
    assert not press_test(qtbot, dialog).ok  # the roll file has no table `parcels`
    dialog.save_button.click()
    assert questions[-1].startswith("The connection test failed") and dialog.isVisible()
    assert not config_path(folder).exists()


def test_save_writes_the_mapping_and_the_window_syncs_from_the_new_source(
    qtbot, make_window, folder, roll_file, monkeypatch,
):
    config = config_path(folder)
    config.write_text("# Harbor County: ask Pat (GIS) before changing this file.\n[thresholds]\nvalue_change = 0.4\n")
    window = make_window()
    assert window.is_demo and "demo county" in window.sync_panel.source_label.text()
    dialog = open_settings(qtbot, window)
    choose_file(dialog, roll_file, monkeypatch)

    first = press_test(qtbot, dialog)  # still asks for `parcels`: the tables are listed instead
    assert first.connected and not first.ok and "no table or view named 'parcels'" in dialog.result.text
    assert dialog.table_box.findText("roll") == 0
    with qtbot.waitSignal(dialog.tested, timeout=30_000):  # choosing a table fetches its columns
        dialog.table_box.setCurrentIndex(0)
        dialog.table_box.activated.emit(0)
    for field, column in ROLL_COLUMNS.items():
        choose_column(dialog, field, column)
    dialog.zone_box.setCurrentIndex(dialog.zone_box.findData("America/Chicago"))
    assert press_test(qtbot, dialog).ok, dialog.result.text

    dialog.save_button.click()

    assert not dialog.isVisible() and window.settings_dialog is None
    text = config.read_text()
    saved = tomllib.loads(text)
    assert saved["source"]["url"] == f"sqlite:///{roll_file}"
    assert saved["source"]["table"] == "roll" and saved["source"]["timezone"] == "America/Chicago"
    assert {f: saved["source"]["columns"][f] for f in ROLL_COLUMNS} == ROLL_COLUMNS
    assert saved["thresholds"]["value_change"] == 0.4
    assert text.startswith("# Harbor County: ask Pat (GIS)")  # the DBA's comment stays
    assert "password" not in text
    # The window now shows and syncs the new source.
    assert not window.is_demo and not window.demo_banner.isVisible()
    assert "harbor_roll.sqlite, table roll" in window.sync_panel.source_label.text()
    assert "Settings saved" in window.message_banner.text
    sync(qtbot, window)
    assert window.change_set.counts.new == COUNTY_PARCELS
    commit(qtbot, window)


def test_switching_source_after_a_sync_ticks_full_refresh(qtbot, make_window, county_file, monkeypatch):
    window = make_window()
    sync(qtbot, window)  # the demo county
    commit(qtbot, window)
    dialog = open_settings(qtbot, window)
    choose_file(dialog, county_file, monkeypatch)
    dialog.save_button.click()

    assert window.sync_panel.full_refresh.isChecked()
    assert "Full refresh is ticked" in window.message_banner.text
    # The last sync shown was the demo county's: the panel says the new source has not been synced.
    assert window.sync_panel.last_sync_label.text().startswith("not yet from this source (the previous source: ")
    assert window.sync_panel.watermark_label.text().startswith("nothing loaded from this source yet")
    sync(qtbot, window, full_refresh=True)
    window.confirm_mass_delete = lambda _change_set: True  # every demo parcel goes: no modal dialog in tests
    commit(qtbot, window)
    assert "just now" in window.sync_panel.last_sync_label.text()


def test_cancel_changes_nothing(qtbot, make_window, folder, county_file, monkeypatch):
    config = config_path(folder)
    config.write_text(f'# by hand\n[source]\nurl = "sqlite:///{folder.demo_source}"\ntable = "parcels"\n')
    before = config.read_bytes()
    window = make_window()
    label = window.sync_panel.source_label.text()
    dialog = open_settings(qtbot, window)
    choose_file(dialog, county_file, monkeypatch)
    choose_preset(dialog, "wisconsin")
    dialog.table_box.setEditText("somewhere_else")

    dialog.cancel_button.click()

    assert not dialog.isVisible() and window.settings_dialog is None
    assert config.read_bytes() == before
    assert window.sync_panel.source_label.text() == label


def test_a_server_password_goes_to_the_keyring_never_the_file(qtbot, make_window, folder, monkeypatch, caplog):
    keyring = FakeKeyring()
    monkeypatch.setattr(passwords, "_keyring", lambda: keyring)
    caplog.set_level(logging.DEBUG)
    window = make_window()
    dialog = open_settings(qtbot, window)
    form = dialog.source_form
    form.set_kind(POSTGRES)
    assert form.password_edit.echoMode() == form.password_edit.EchoMode.Password
    assert "keyring" in form.password_hint.text()
    form.host_edit.setText("gis-db.county.local")
    form.database_edit.setText("roll")
    form.user_edit.setText("assessor")
    form.password_edit.setText(PASSWORD)

    dialog.save_button.click()

    text = config_path(folder).read_text()
    assert 'url = "postgresql+psycopg://assessor@gis-db.county.local/roll"' in text
    assert PASSWORD not in text
    assert keyring.saved == {("CountyDataSync", "assessor@gis-db.county.local/roll"): PASSWORD}
    assert window.session_password is None and "keyring" in window.message_banner.text
    assert "roll on gis-db.county.local" in window.sync_panel.source_label.text()
    assert PASSWORD not in caplog.text + window.log_viewer.text.toPlainText()
    # Opened again, the screen says a password is saved without showing it.
    dialog = open_settings(qtbot, window)
    assert dialog.source_form.password_edit.text() == ""
    assert "saved (system keyring)" in dialog.source_form.password_edit.placeholderText()


def test_without_a_keyring_the_password_is_kept_for_the_session(qtbot, make_window, folder):
    window = make_window()
    dialog = open_settings(qtbot, window)
    form = dialog.source_form
    form.set_kind(POSTGRES)
    assert passwords.ENV_VAR in form.password_hint.text()
    form.host_edit.setText("gis-db.county.local")
    form.database_edit.setText("roll")
    form.user_edit.setText("assessor")
    form.password_edit.setText(PASSWORD)

    dialog.save_button.click()

    assert PASSWORD not in config_path(folder).read_text()
    assert window.session_password == PASSWORD
    assert passwords.ENV_VAR in window.message_banner.text
    assert PASSWORD not in repr(window.current)


def test_incomplete_fields_are_said_and_the_screen_stays_open(qtbot, make_window, folder):
    window = make_window()
    dialog = open_settings(qtbot, window)
    dialog.source_form.set_kind(POSTGRES)
    dialog.source_form.host_edit.setText("")

    dialog.save_button.click()

    assert dialog.isVisible() and dialog.result.kind == "error"
    assert "name of the database server" in dialog.result.text
    assert not config_path(folder).exists()
    dialog.source_form.set_kind(SQLITE)
    dialog.source_form.file_edit.setText(str(folder.path / "not-there.sqlite"))
    dialog.save_button.click()
    assert dialog.isVisible() and "not-there.sqlite was not found" in dialog.result.text
    dialog.reject()


def test_settings_are_in_the_file_menu_and_wait_for_the_review(qtbot, make_window):
    window = make_window()
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    window.settings_action.trigger()
    assert window.settings_dialog is not None and window.settings_dialog.isVisible()
    window.settings_dialog.reject()

    sync(qtbot, window)  # a change set under review: the source cannot change now
    assert not window.settings_action.isEnabled() and not window.sync_panel.change_source_button.isEnabled()


def test_source_errors_point_at_the_settings_screen(qtbot, make_window, tmp_path):
    window = make_window(source_url=f"sqlite:///{tmp_path / 'gone.sqlite'}")
    window.sync_panel.sync_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    assert "was not found" in window.message_banner.text
    assert "File > Settings" in window.message_banner.text and "no settings screen" not in window.message_banner.text
