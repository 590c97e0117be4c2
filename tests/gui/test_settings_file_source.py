"""The settings screen with a county file: pick it (the dialog lists the kinds), test it, save it, sync it."""

from __future__ import annotations

import tomllib

import pandas as pd
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

