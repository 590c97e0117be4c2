"""Workbooks a clerk cannot read as they are: protected with a password, unreadable, or open in Excel.

Each is a real file: the password-protected workbook is encrypted as Excel does
it (msoffcrypto-tool writes the same OLE container with the encrypted package),
the unreadable one has its permissions taken away (as root, the check runs with
the capability to ignore permissions dropped), and the open one has the owner
file Excel leaves beside it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui.etl.connection_check import test_connection
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SourceUnavailable
from countydatasync_gui.etl.sync import plan_sync
from tests.etl.test_file_source import NAL_HEADER, counts, nal_rows, run, settings_for
from tests.support import assert_unchanged, snapshot

REPO = Path(__file__).resolve().parents[2]


def write_workbook(path: Path, parcels: int = 5) -> Path:
    pd.DataFrame(nal_rows(parcels), columns=NAL_HEADER).to_excel(path, sheet_name="NAL", index=False)
    return path


@pytest.fixture
def synced(folder: DataFolder, tmp_path: Path) -> DataFolder:
    """A folder that has synced a good workbook once, so "nothing changed" means something."""
    run(folder, settings_for(write_workbook(tmp_path / "good.xlsx", 3)))
    return folder


def test_a_password_protected_workbook_is_refused_and_changes_nothing(synced: DataFolder, tmp_path: Path) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile
    plain = io.BytesIO()
    pd.DataFrame(nal_rows(5), columns=NAL_HEADER).to_excel(plain, sheet_name="NAL", index=False)
    plain.seek(0)
    locked = tmp_path / "roll-protected.xlsx"
    with locked.open("wb") as out:
        OOXMLFile(plain).encrypt("clerk-2026", out)
    assert msoffcrypto.OfficeFile(locked.open("rb")).is_encrypted()  # a real encrypted workbook
    before = snapshot(synced)
    with pytest.raises(SourceUnavailable, match="protected with a password"):
        plan_sync(synced, settings_for(locked))
    assert_unchanged(before, snapshot(synced))
    report = test_connection(settings_for(locked).source)
    assert not report.connected and "protected with a password" in report.message
    assert "Save a copy without a password" in report.message


def _as_unprivileged(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a Python whose permission checks hold (root ignores them unless the capability is dropped)."""
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be made to bite")
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


def test_an_unreadable_workbook_says_so_and_changes_nothing(synced: DataFolder, tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "roll.xlsx")
    path.chmod(0)
    before = snapshot(synced)
    code = f"""
import json
from pathlib import Path
from countydatasync_gui.etl.connection_check import test_connection
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SyncError
from countydatasync_gui.etl.sync import plan_sync
from tests.etl.test_file_source import settings_for
settings = settings_for({str(path)!r})
try:
    plan_sync(DataFolder(Path({str(synced.path)!r})), settings)
    error = None
except SyncError as exc:
    error = [type(exc).__name__, exc.message]
print(json.dumps({{"error": error, "report": test_connection(settings.source).message}}))
"""
    try:
        done = _as_unprivileged(code)
    finally:
        path.chmod(0o644)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["error"][0] == "SourceUnavailable"
    for message in (outcome["error"][1], outcome["report"]):
        assert "could not be read" in message and "permission" in message
    assert_unchanged(before, snapshot(synced))


def test_a_workbook_open_in_excel_is_read_and_the_clerk_told(folder: DataFolder, tmp_path: Path, caplog) -> None:
    path = write_workbook(tmp_path / "roll.xlsx", 5)
    # The owner file Excel writes while a workbook is open: the user's name, length first, padded.
    name = b"JANE DOE"
    (tmp_path / "~$roll.xlsx").write_bytes(bytes([len(name)]) + name + b" " * (53 - len(name)) + b"\0" * 112)
    report = test_connection(settings_for(path).source)
    assert report.ok and "open in Excel by JANE DOE" in report.notes[0]
    assert "not yet saved" in report.notes[0]
    assert report.sample_columns == NAL_HEADER and len(report.sample_rows) == 5  # the rows Test connection shows
    assert report.sample_rows[0][NAL_HEADER.index("PARCEL_ID")] == "01-0000"
    assert counts(run(folder, settings_for(path))) == (5, 0, 0, 0, 0)  # what Excel last saved is synced
    assert any("open in Excel by JANE DOE" in r.getMessage() for r in caplog.records)
