"""Start-up: the window shows before pandas, pyarrow and SQLAlchemy are imported, then reads the data folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from countydatasync_gui.etl.config import load_settings
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.session import SyncSession
from countydatasync_gui.gui import main_window
from countydatasync_gui.gui.main_window import MainWindow
from countydatasync_gui.gui.sync_panel import IDLE

#: Runs the app through its entry point, as `countydatasync-gui --self-test` does, and says which
#: heavy modules were imported at the first turn of the event loop (the window shown) and once the
#: window had read the data folder. A fresh interpreter: this one imported them long ago.
PROBE = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

HEAVY = ("pandas", "pyarrow", "sqlalchemy")
app = QApplication([sys.argv[0]])
report = {}

def imported():
    return [name for name in HEAVY if name in sys.modules]

def loaded(window, ok):
    report.update(loaded=ok, heavy_when_loaded=imported(), last_sync=window.sync_panel.last_sync_label.text(),
                  tables=window.browser.model.rowCount())

def shown():
    window = next(widget for widget in app.topLevelWidgets() if widget.isVisible())
    report.update(heavy_when_shown=imported())
    window.load_finished.connect(lambda ok: loaded(window, ok))

QTimer.singleShot(0, shown)  # queued before `main` runs: the first thing the event loop does
from countydatasync_gui.gui import app as gui_app
code = gui_app.main(["--self-test", "--data-dir", sys.argv[1]])
print(json.dumps(report))
sys.exit(code)
"""


def test_the_window_shows_before_pandas_pyarrow_and_sqlalchemy_are_imported(folder: DataFolder, tmp_path: Path) -> None:
    SyncSession(folder, load_settings(folder)).run(confirm=lambda _change_set: True)  # a last sync to show
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-c", PROBE, str(folder.path)], capture_output=True, text=True, env=env,
                          timeout=120)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["heavy_when_shown"] == []
    # Then it reads the folder: the engine is loaded and the last sync and the parcels are shown.
    assert report["loaded"] and set(report["heavy_when_loaded"]) == {"pandas", "pyarrow", "sqlalchemy"}
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d \(", report["last_sync"]) and report["tables"] > 0


def test_until_the_folder_is_read_nothing_can_start(qtbot, folder: DataFolder) -> None:
    window = MainWindow(folder)
    qtbot.addWidget(window)
    assert not window.sync_panel.sync_button.isEnabled() and not window.settings_action.isEnabled()
    assert window.sync_panel.last_sync_label.text() == "reading…"
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        window.show()
    assert window.loaded and window.sync_panel.mode == IDLE and window.sync_panel.sync_button.isEnabled()
    window.close()


def test_an_engine_that_cannot_load_is_said_in_the_window(qtbot, folder: DataFolder,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ImportError("libarrow.so: cannot open shared object file")

    monkeypatch.setattr(main_window, "load_engine", broken)
    window = MainWindow(folder)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.load_finished, timeout=30_000) as finished:
        window.show()

    assert finished.args == [False] and not window.loaded
    assert "could not load its sync engine" in window.message_banner.text
    assert "libarrow.so" in window.message_banner.details.toPlainText()
    assert not window.sync_panel.sync_button.isEnabled() and not window.settings_action.isEnabled()
    assert "Cannot sync" in window.sync_panel.step_label.text()
    assert window.sync_panel.last_sync_label.text() == "not known: see the message above"  # not "reading…" for ever
    window.close()
