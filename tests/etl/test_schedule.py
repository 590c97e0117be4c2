"""`countydatasync schedule`: the nightly staged sync registered with the scheduler.

Linux is tested for real with Debian's `crontab` (the user's crontab is saved
and put back around each test); Windows and macOS by the exact command and
file they would install, which are plain values on any machine.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest

from countydatasync_gui.etl.errors import ScheduleError
from countydatasync_gui.schedule import (
    Scheduler, agent_path, cron_line, launchd_plist, nightly_command, parse_daily, schtasks_create, task_name,
)

CLI = [sys.executable, "-m", "countydatasync_gui.cli"]


@pytest.fixture
def crontab() -> Iterator[None]:
    """The real crontab of this user, saved and restored: the tests change it for real."""
    if shutil.which("crontab") is None:
        reason = "crontab is not installed (Debian: apt-get install cron)"
        pytest.fail(reason) if os.environ.get("COUNTYDATASYNC_REQUIRE_CRON") else pytest.skip(reason)
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    subprocess.run(["crontab", "-"], input="# a line of the clerk's own\n17 3 * * * /usr/bin/true\n", text=True, check=True)
    try:
        yield
    finally:
        if saved.returncode == 0:
            subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)


def _crontab() -> list[str]:
    return subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=True).stdout.splitlines()


def test_the_nightly_sync_in_a_real_crontab(tmp_path: Path, crontab: None) -> None:
    county_a, county_b = tmp_path / "county a", tmp_path / "county-b"
    run = lambda *args: subprocess.run([*CLI, "schedule", *args], capture_output=True, text=True, timeout=60)  # noqa: E731

    assert run("--daily", "02:00", "--data-dir", str(county_a)).returncode == 0
    assert run("--daily", "02:30", "--data-dir", str(county_b)).returncode == 0
    assert run("--daily", "03:15", "--data-dir", str(county_a)).returncode == 0  # moves it, no second line

    lines = _crontab()
    assert lines[:2] == ["# a line of the clerk's own", "17 3 * * * /usr/bin/true"]  # the clerk's lines are kept
    ours = lines[2:]
    assert [line.split()[:2] for line in ours] == [["30", "2"], ["15", "3"]]
    command = shlex.split(ours[1].split(" >/dev/null")[0])[5:]
    assert command[-4:] == ["sync", "--stage", "--data-dir", str(county_a)]  # the space in the path survives quoting
    shown = run("--show", "--data-dir", str(county_a))
    assert shown.stdout.strip() == ours[1]

    assert "Removed" in run("--remove", "--data-dir", str(county_a)).stdout
    assert "No nightly sync was registered" in run("--remove", "--data-dir", str(county_a)).stdout
    assert _crontab()[2:] == [ours[0]]


def test_the_crontab_line_runs_the_staged_sync_at_that_minute(tmp_path: Path) -> None:
    line = cron_line(tmp_path, time(2, 5))

    assert line.startswith("5 2 * * * ")
    assert shlex.split(line.split(" >/dev/null")[0])[5:] == nightly_command(tmp_path)
    assert nightly_command(tmp_path)[-4:] == ["sync", "--stage", "--data-dir", str(tmp_path)]


def test_windows_task_scheduler_command(tmp_path: Path) -> None:
    folder = Path(r"C:\Users\clerk\AppData\Local\CountyDataSync")

    command = schtasks_create(folder, time(2, 0))

    assert command[:9] == ["schtasks", "/Create", "/F", "/SC", "DAILY", "/ST", "02:00", "/TN", task_name(folder)]
    assert command[9] == "/TR" and command[10].endswith(r'sync --stage --data-dir C:\Users\clerk\AppData\Local\CountyDataSync')
    assert task_name(folder) != task_name(tmp_path)  # one task per data folder


def test_macos_launchd_agent(tmp_path: Path) -> None:
    plist = plistlib.loads(launchd_plist(tmp_path, time(23, 45)))

    assert plist["StartCalendarInterval"] == {"Hour": 23, "Minute": 45}
    assert plist["ProgramArguments"] == nightly_command(tmp_path)
    assert agent_path(tmp_path, home=Path("/Users/clerk")).parent == Path("/Users/clerk/Library/LaunchAgents")
    assert agent_path(tmp_path, home=Path("/Users/clerk")).name == f"{plist['Label']}.plist"


@pytest.mark.parametrize("text", ["2am", "25:00", "02:60", ""])
def test_a_wrong_time_says_how_to_write_it(text: str) -> None:
    with pytest.raises(ScheduleError, match="such as 02:00"):
        parse_daily(text)


def test_a_missing_scheduler_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no crontab on this PATH

    with pytest.raises(ScheduleError, match="apt-get install cron"):
        Scheduler(tmp_path, platform="linux").install(time(2, 0))
