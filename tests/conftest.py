"""Shared test set-up: offscreen Qt, an isolated data folder, and small real SQLite sources."""

from __future__ import annotations

import os

# Before anything imports Qt: there is no display on CI machines.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest

from countydatasync_gui.etl.datafolder import ENV_VAR, DataFolder
from tests.support import SourceTable


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real per-user data folder."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "default-data"))


@pytest.fixture
def folder(tmp_path: Path) -> DataFolder:
    """A fresh, empty data folder."""
    return DataFolder.resolve(tmp_path / "data")


@pytest.fixture
def source(tmp_path: Path) -> SourceTable:
    """An empty source table; tests add the rows they need."""
    return SourceTable(tmp_path / "source.sqlite")
