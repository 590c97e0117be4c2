"""The window around the panes: first start, names for automation, remembered layout, menus, start-up."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTextBrowser, QWidget

from countydatasync_gui import __version__
from tests.gui.conftest import commit, sync

OBJECT_NAMES = ("syncNowButton", "fullRefreshCheck", "cancelButton", "commitButton", "discardButton",
                "lastSyncLabel", "progressBar", "changeTable", "logView", "tableSelector", "tableView",
                "historyTable")
REPO = Path(__file__).resolve().parents[2]


def test_widgets_carry_the_names_for_automation(qtbot, make_window):
    window = make_window()
    for name in OBJECT_NAMES:
        assert window.findChild(QWidget, name) is not None, name


def test_first_start_explains_the_demo_county_once(qtbot, make_window, folder):
    window = make_window()
    assert window.demo_banner.isVisible()
    assert "demo county" in window.demo_banner.text and "File > Settings" in window.demo_banner.text
    window.demo_banner.close_button.click()
    assert not window.demo_banner.isVisible()
    window.close()
    assert not make_window().demo_banner.isVisible()  # dismissed for good


def test_no_demo_note_for_a_real_source(qtbot, make_window, folder):
    window = make_window(source_url=f"sqlite:///{folder.demo_source}")
    assert not window.demo_banner.isVisible()
    assert "demo_county.sqlite" in window.sync_panel.source_label.text()


def test_window_size_and_splitters_are_remembered(qtbot, make_window):
    window = make_window()
    window.resize(760, 720)  # the offscreen screen is 800 x 800; restoring clamps to the screen
    window.splitter.setSizes([300, 200])
    size, sizes = window.size(), window.splitter.sizes()
    assert size.width() == 760 and sizes[0] > sizes[1]
    window.close()
    again = make_window()
    assert again.size() == size
    assert again.splitter.sizes() == sizes


def test_browser_filters_and_exports_from_the_file_menu(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    window.browser.select_table("working")
    owner = window.browser.model.raw(0, window.browser.model.columns.index("owner"))
    qtbot.keyClicks(window.browser.filter_box, owner)
    qtbot.waitUntil(lambda: (window.browser.model.total or 2_000) < 2_000 and not window.browser.model.loading)
    shown = window.browser.model.total
    assert window.browser.model.rowCount() == shown
    assert window.browser.count_label.text().startswith(f"{shown:,} row")

    target = tmp_path / "export.csv"
    monkeypatch.setattr("countydatasync_gui.gui.table_browser.QFileDialog.getSaveFileName",
                        lambda *_a, **_k: (str(target), "CSV files (*.csv)"))
    export = next(a for a in window.menuBar().actions()[0].menu().actions() if a.text().startswith("&Export"))
    export.trigger()
    assert len(target.read_text(encoding="utf-8").splitlines()) == shown + 1
    assert str(target) in window.statusBar().currentMessage()


def test_about_names_the_version(qtbot, make_window, monkeypatch):
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr("countydatasync_gui.gui.main_window.QMessageBox.about", lambda _p, _t, text: shown.append(text))
    about = next(a for a in _help_menu(window).actions() if a.text().startswith("&About"))
    about.trigger()
    assert __version__ in shown[0]


def test_start_up_scripts_know_their_options():
    for command in ([sys.executable, "main.py", "--version"], [sys.executable, "-m", "countydatasync_gui", "--version"]):
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and __version__ in done.stdout, done.stderr


def _help_menu(window):
    return next(a for a in window.menuBar().actions() if a.text() == "&Help").menu()


def test_help_shows_the_shipped_guide_and_opens_the_data_folder_and_log(qtbot, make_window, monkeypatch):
    window = make_window()
    actions = {a.text(): a for a in _help_menu(window).actions()}
    assert actions["&User guide"].shortcut().toString() == "F1"
    actions["&User guide"].trigger()
    guide = window.findChild(QWidget, "userGuide")
    assert guide is not None and guide.isVisible()
    text = guide.findChild(QTextBrowser).toPlainText()
    assert "Sync now" in text and "Ctrl+Return" in text and "**" not in text  # rendered, not raw Markdown

    opened: list[str] = []
    monkeypatch.setattr("countydatasync_gui.gui.menus.QDesktopServices.openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    actions["Open the &data folder"].trigger()
    (window.folder.log_dir / "countydatasync.log").touch()
    actions["Open the &log file"].trigger()
    assert opened == [str(window.folder.path), str(window.folder.log_dir / "countydatasync.log")]


def test_the_use_code_tooltip_follows_the_countys_code_table(qtbot, make_window, folder):
    """A Wisconsin county sees Wisconsin's class names, not the Florida codes the demo ships with."""
    folder.ensure()
    url = f"sqlite:///{(folder.path / 'county.sqlite').as_posix()}"
    (folder.path / "config.toml").write_text(f'[source]\nurl = "{url}"\ncode_table = "wisconsin"\n', encoding="utf-8")
    window = make_window()
    model = window.browser.model
    assert model.codes is not None and model.codes.name == "wisconsin"
    assert window.review.model.codes is model.codes  # resolved once, shared
    assert model.codes.meaning("4") == "Agricultural (Agricultural)" and model.codes.meaning("004") is None

    path = folder.path / "tiny.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE working (id TEXT PRIMARY KEY, use_code TEXT)")
        db.execute("INSERT INTO working VALUES ('A-1', '5M')")
    model.open(path, "working", default_order="id")
    tooltip = model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == model.codes.meaning("5M") and tooltip is not None
    model.close()
