"""The settings screen with a county file: pick it (the dialog lists the kinds), test it, save it, sync it."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
from PySide6.QtWidgets import QFileDialog

from countydatasync_gui.etl.config import config_path
from countydatasync_gui.gui.source_form import FILE
from tests.etl.test_file_source import NAL_HEADER, nal_rows
from tests.gui.conftest import commit, sync
# _no_system_keyring is autouse: imported, it applies here too (no system keyring in tests).
from tests.gui.test_settings_dialog import _no_system_keyring, choose_preset, open_settings, press_test  # noqa: F401

PARCELS = 40


def test_a_county_csv_is_chosen_tested_saved_and_synced(qtbot, make_window, tmp_path, monkeypatch):
    path = tmp_path / "drop" / "NAL23F202601.csv"
    path.parent.mkdir()
    pd.DataFrame(nal_rows(PARCELS), columns=NAL_HEADER).to_csv(path, index=False)
    window = make_window()
    dialog = open_settings(qtbot, window)
    dialog.source_form.set_kind(FILE)
    asked: list[str] = []

    def file_dialog(_parent, _title, _start, kinds):
        asked.append(kinds)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", file_dialog)
    dialog.source_form.browse_button.click()
    assert all(kind in asked[0] for kind in ("*.csv", "*.tsv", "*.txt", "*.xlsx", "*.parquet"))
    assert not dialog.source_form.password_edit.isVisible()  # a file has no password

    choose_preset(dialog, "florida_nal")
    report = press_test(qtbot, dialog)
    assert report.ok, dialog.result.text
    assert "NAL23F202601.csv" in dialog.result.text
    assert [name for name, _ in report.columns] == NAL_HEADER

    dialog.save_button.click()
    assert not dialog.isVisible()
    saved = tomllib.loads(config_path(window.folder).read_text())
    assert saved["source"]["url"] == str(path) and saved["source"]["preset"] == "florida_nal"
    assert "NAL23F202601.csv" in window.sync_panel.source_label.text()
    sync(qtbot, window)
    assert window.change_set.counts.new == PARCELS
    commit(qtbot, window)


def test_a_file_of_a_kind_we_cannot_read_is_refused_in_plain_words(qtbot, make_window, tmp_path):
    window = make_window()
    dialog = open_settings(qtbot, window)
    dialog.source_form.set_kind(FILE)
    dialog.source_form.file_edit.setText(str(tmp_path / "roll.pdf"))
    dialog.save_button.click()
    assert dialog.isVisible() and "not a kind of file CountyDataSync reads" in dialog.result.text



def test_test_connection_shows_the_files_first_rows_with_the_mapping(qtbot, make_window, tmp_path):
    path = tmp_path / "NAL23F202601.csv"
    pd.DataFrame(nal_rows(PARCELS), columns=NAL_HEADER).to_csv(path, index=False)
    window = make_window()
    dialog = open_settings(qtbot, window)
    dialog.source_form.set_kind(FILE)
    dialog.source_form.file_edit.setText(str(path))
    choose_preset(dialog, "florida_nal")
    report = press_test(qtbot, dialog)
    assert report.ok and report.sample_columns == NAL_HEADER and len(report.sample_rows) == 5
    sample = dialog.sample
    assert sample.isVisible() and sample.table.rowCount() == 5
    headers = sample.header_texts()
    assert headers[0] == "PARCEL_ID\n→ Parcel" and "OWN_NAME\n→ Owner" in headers
    assert headers[-2:] == ["CO_NO\n(not used)", "JV\n(not used)"]  # the columns the mapping uses come first
    owner = headers.index("OWN_NAME\n→ Owner")
    assert sample.table.item(0, owner).text() == nal_rows(1)[0]["OWN_NAME"]
    assert all(sample.table.rowViewportPosition(r) + sample.table.rowHeight(r) <= sample.table.viewport().height()
               for r in range(5))  # every row seen without scrolling

    # A header without the preset's columns: the rows still show, and what is wrong is said plainly.
    pd.DataFrame({"PIN": ["1", "2"], "NAME": ["A", "B"]}).to_csv(path, index=False)
    report = press_test(qtbot, dialog)
    assert not report.ok and "mapping needs attention" in dialog.result.text
    assert "no column 'PARCEL_ID'" in dialog.result.text
    assert sample.isVisible() and sample.header_texts() == ["PIN\n(not used)", "NAME\n(not used)"]
    assert "first 2 rows" in sample.caption.text()

    # A file that is not there: the message, and no stale rows.
    path.unlink()
    report = press_test(qtbot, dialog)
    assert not report.connected and "was not found" in dialog.result.text and not sample.isVisible()


def test_a_file_geodatabase_folder_is_chosen_with_the_folder_button(qtbot, make_window, tmp_path, monkeypatch):
    pytest.importorskip("pyogrio.raw", reason="the GIS extra is not installed")
    from tests.etl.test_file_source import wisconsin_rows
    from tests.etl.test_gis_source import write_layer

    gdb = tmp_path / "V11_Parcels.gdb"
    write_layer(gdb, wisconsin_rows(12), "OpenFileGDB")
    window = make_window()
    dialog = open_settings(qtbot, window)
    dialog.source_form.set_kind(FILE)
    assert dialog.source_form.folder_button.isVisible()
    chosen = iter([str(tmp_path), str(gdb)])  # first a plain folder by mistake, then the geodatabase
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args, **_kw: next(chosen))
    dialog.source_form.folder_button.click()
    assert "not a file geodatabase" in dialog.result.text and dialog.source_form.file_edit.text() != str(tmp_path)
    dialog.source_form.folder_button.click()
    assert dialog.source_form.file_edit.text() == str(gdb)
    choose_preset(dialog, "wisconsin")
    dialog.table_form.table_box.setEditText("V11_Parcels")
    report = press_test(qtbot, dialog)
    assert report.ok, dialog.result.text
    assert dialog.sample.isVisible() and "PARCELID\n→ Parcel" in dialog.sample.header_texts()
    dialog.save_button.click()
    assert not dialog.isVisible()
    sync(qtbot, window)
    assert window.change_set.counts.new == 12


def test_a_sqlite_source_has_no_folder_button(qtbot, make_window):
    from countydatasync_gui.gui.source_form import SQLITE

    dialog = open_settings(qtbot, make_window())
    dialog.source_form.set_kind(SQLITE)
    assert dialog.source_form.browse_button.isVisible() and not dialog.source_form.folder_button.isVisible()
