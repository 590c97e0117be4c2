"""`countydatasync schedule`: register the nightly `sync --stage` with the operating system's scheduler.

One entry per data folder, so a second county's folder gets its own: the
user's crontab on Linux (a line marked with the folder), Task Scheduler via
`schtasks` on Windows, a launchd agent on macOS. Each platform's entry is built
by a plain function (`cron_line`, `schtasks_create`, `launchd_plist`), so it can
be checked on any machine; `Scheduler` applies it with the platform's own tool.
"""

from __future__ import annotations

import hashlib
import plistlib
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from .etl.errors import ScheduleError

TASK_PREFIX = "CountyDataSync nightly sync"
AGENT_PREFIX = "org.countydatasync.nightly"


def parse_daily(text: str) -> time:
    """'02:00' -> 02:00, or a clear error."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ScheduleError(f"'{text}' is not a time of day. Give hours and minutes, such as 02:00.") from None


def nightly_command(data_dir: Path) -> list[str]:
    """The command the scheduler runs: this installation's `countydatasync sync --stage` for the folder."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "countydatasync_gui.cli"]
    return [*program, "sync", "--stage", "--data-dir", str(data_dir)]


def _folder_key(data_dir: Path) -> str:
    """A short, stable name for a data folder (task and agent names cannot hold a path)."""
    return hashlib.sha256(str(data_dir).encode()).hexdigest()[:8]


# -- Linux: the user's crontab --------------------------------------------------------------------
def _cron_marker(data_dir: Path) -> str:
    return f"# countydatasync nightly sync of {data_dir}"


def cron_line(data_dir: Path, at: time) -> str:
    """The crontab line: daily at `at`, output to the folder's log rather than to mail."""
    command = " ".join(shlex.quote(part) for part in nightly_command(data_dir))
    return f"{at.minute} {at.hour} * * * {command} >/dev/null 2>&1 {_cron_marker(data_dir)}"


# -- Windows: Task Scheduler -------------------------------------------------------------------------
def task_name(data_dir: Path) -> str:
    """The scheduled task's name (one per data folder)."""
    return f"{TASK_PREFIX} {_folder_key(data_dir)}"


def schtasks_create(data_dir: Path, at: time) -> list[str]:
    """The `schtasks` command that registers the daily task (replacing one of the same name)."""
    command = subprocess.list2cmdline(nightly_command(data_dir))
    return ["schtasks", "/Create", "/F", "/SC", "DAILY", "/ST", f"{at:%H:%M}", "/TN", task_name(data_dir), "/TR", command]


# -- macOS: a launchd agent ----------------------------------------------------------------------
def agent_path(data_dir: Path, home: Path | None = None) -> Path:
    """Where the user's launchd agent for the folder lives."""
    return (home or Path.home()) / "Library" / "LaunchAgents" / f"{AGENT_PREFIX}.{_folder_key(data_dir)}.plist"


def launchd_plist(data_dir: Path, at: time) -> bytes:
    """The agent's property list: run the nightly command every day at `at`."""
    return plistlib.dumps({
        "Label": f"{AGENT_PREFIX}.{_folder_key(data_dir)}",
        "ProgramArguments": nightly_command(data_dir),
        "StartCalendarInterval": {"Hour": at.hour, "Minute": at.minute},
        "StandardOutPath": "/dev/null", "StandardErrorPath": "/dev/null",
    })


# -- Applying it ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scheduler:
    """Registers, shows and removes the nightly sync of one data folder on this platform."""

    data_dir: Path
    platform: str = sys.platform

    def install(self, at: time) -> str:
        """Register (or move) the nightly sync; return what was registered, in words."""
        if self.platform.startswith("win"):
            _run(schtasks_create(self.data_dir, at))
            return f"Task Scheduler task '{task_name(self.data_dir)}', daily at {at:%H:%M}"
        if self.platform == "darwin":
            path = agent_path(self.data_dir)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                _run(["launchctl", "unload", "-w", str(path)], check=False)
            path.write_bytes(launchd_plist(self.data_dir, at))
            _run(["launchctl", "load", "-w", str(path)])
            return f"launchd agent {path}, daily at {at:%H:%M}"
        lines = [line for line in self._cron_lines() if not line.endswith(_cron_marker(self.data_dir))]
        self._write_crontab([*lines, cron_line(self.data_dir, at)])
        return f"your crontab, daily at {at:%H:%M}"

    def show(self) -> str | None:
        """The registered entry in the platform's words, or None if there is none."""
        if self.platform.startswith("win"):
            done = _run(["schtasks", "/Query", "/TN", task_name(self.data_dir), "/FO", "LIST"], check=False)
            return done.stdout.strip() if done.returncode == 0 else None
        if self.platform == "darwin":
            path = agent_path(self.data_dir)
            return path.read_text() if path.exists() else None
        found = [line for line in self._cron_lines() if line.endswith(_cron_marker(self.data_dir))]
        return found[0] if found else None

    def remove(self) -> bool:
        """Remove the nightly sync; False if none was registered."""
        if self.platform.startswith("win"):
            return _run(["schtasks", "/Delete", "/F", "/TN", task_name(self.data_dir)], check=False).returncode == 0
        if self.platform == "darwin":
            path = agent_path(self.data_dir)
            if not path.exists():
                return False
            _run(["launchctl", "unload", "-w", str(path)], check=False)
            path.unlink()
            return True
        lines = self._cron_lines()
        kept = [line for line in lines if not line.endswith(_cron_marker(self.data_dir))]
        if kept == lines:
            return False
        self._write_crontab(kept)
        return True

    @staticmethod
    def _cron_lines() -> list[str]:
        done = _run(["crontab", "-l"], check=False)
        if done.returncode != 0:  # "no crontab for user": start from an empty one
            if "no crontab" in done.stderr.lower():
                return []
            raise ScheduleError("The crontab could not be read.", details=done.stderr.strip())
        return done.stdout.splitlines()

    @staticmethod
    def _write_crontab(lines: list[str]) -> None:
        _run(["crontab", "-"], stdin="\n".join(lines) + "\n")


def _run(command: list[str], *, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the scheduler's tool; a missing tool or a refusal becomes a plain ScheduleError."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=60)
    except FileNotFoundError as exc:
        raise ScheduleError(
            f"This computer has no '{command[0]}', which registers scheduled runs. "
            + ("On Debian or Ubuntu: sudo apt-get install cron." if command[0] == "crontab" else ""),
            details=str(exc),
        ) from exc
    if check and done.returncode != 0:
        raise ScheduleError(f"The scheduler refused the nightly sync ({command[0]}).",
                            details=(done.stderr or done.stdout).strip())
    return done
