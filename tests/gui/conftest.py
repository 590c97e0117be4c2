"""GUI test set-up: offscreen Qt, isolated QSettings and data folders, small and large demo counties."""

from __future__ import annotations

import os

# Before Qt is imported anywhere: CI machines have no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.demo import create_demo_county
from countydatasync_gui.gui.main_window import MainWindow
from countydatasync_gui.gui.settings_dialog import SettingsDialog

SMALL_COUNTY = 2_000
LARGE_COUNTY = 400_000


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path: Path) -> None:
    """Window geometry and the demo note go to a per-test folder, never the user's settings."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture(autouse=True)
def _no_modal_settings_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving untested settings asks first; tests that check the question replace `ask` on their dialog."""
    monkeypatch.setattr(SettingsDialog, "ask", lambda *_: True)


@pytest.fixture
def folder(tmp_path: Path) -> DataFolder:
    """A data folder whose demo county has 2,000 parcels (the app's default is 25,000: slower, same code)."""
    data = DataFolder.resolve(tmp_path / "data").ensure()
    create_demo_county(data.demo_source, parcels=SMALL_COUNTY)
    return data


@pytest.fixture(scope="session")
def large_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400,000-parcel demo county, written once per session (about 3 s): large enough that its sync and
    commit (about 1.5 s) last well over what `test_threading` calls a frozen window."""
    path = tmp_path_factory.mktemp("large") / "large_county.sqlite"
    create_demo_county(path, parcels=LARGE_COUNTY)
    return path


@pytest.fixture
def large_folder(tmp_path: Path, large_county: Path) -> DataFolder:
    """A data folder whose demo county is a copy of the large county."""
    data = DataFolder.resolve(tmp_path / "large-data").ensure()
    shutil.copyfile(large_county, data.demo_source)
    return data


@pytest.fixture
def make_window(qtbot, folder: DataFolder) -> Iterator[Callable[..., MainWindow]]:
    """Open real main windows, the data folder read; each is closed cleanly (any run cancelled, its thread stopped) after the test."""
    windows: list[MainWindow] = []

    def make(data: DataFolder | None = None, **options: object) -> MainWindow:
        window = MainWindow(data or folder, **options)
        window.ask = lambda *_: True  # no modal questions in tests
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        qtbot.waitUntil(lambda: window.loaded, timeout=30_000)  # it reads the folder once it shows
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.close()
            qtbot.waitUntil(lambda w=window: not w.isVisible(), timeout=30_000)
        assert window.runner.shutdown(30_000), "the sync did not stop"


def sync(qtbot, window: MainWindow, *, full_refresh: bool = False, timeout: int = 60_000) -> None:
    """Press Sync now and wait until the run is over; fails with the window's message unless the review opened."""
    window.sync_panel.full_refresh.setChecked(full_refresh)
    window.sync_panel.sync_button.click()
    assert window.runner.busy
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=timeout)
    assert window.change_set is not None, window.message_banner.text


def commit(qtbot, window: MainWindow, timeout: int = 60_000) -> None:
    """Press Commit and wait for the outcome."""
    with qtbot.waitSignal(window.runner.committed, timeout=timeout):
        window.review.commit_button.click()
