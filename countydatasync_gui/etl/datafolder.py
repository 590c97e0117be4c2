"""Where CountyDataSync keeps its files: one data folder per county.

The folder is chosen by `--data-dir`, else the COUNTYDATASYNC_DATA_DIR environment
variable, else the per-user data folder that platformdirs names for this platform.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import platformdirs
from filelock import FileLock, Timeout

from . import schema
from .errors import DataFolderBusy
from .timeutil import from_utc_text, to_utc_text

ENV_VAR = "COUNTYDATASYNC_DATA_DIR"
APP_NAME = "CountyDataSync"


@dataclass(frozen=True)
class DataFolder:
    """The data folder and the names of the files inside it."""

    path: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> DataFolder:
        """Pick the data folder: explicit argument, then environment variable, then the per-user folder."""
        chosen = explicit or os.environ.get(ENV_VAR) or platformdirs.user_data_dir(APP_NAME, appauthor=False)
        return cls(Path(chosen).expanduser().resolve())

    def ensure(self) -> DataFolder:
        """Create the folder (and its log folder) if missing; return self."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        return self

    def acquire_sync_lock(self) -> FileLock:
        """Take the folder's sync lock (held from plan to commit or discard) or raise `DataFolderBusy`.

        An operating-system lock: it is released if the process dies, so a crash never leaves the folder locked.
        """
        # Not thread-local: the desktop app plans on one background thread and may commit on another.
        lock = FileLock(self.lock_file, thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise DataFolderBusy(self.busy_text(self.lock_holder()), details=str(exc)) from exc
        # Who holds it, for the other windows: the lock file itself cannot carry it (it is truncated on open).
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": to_utc_text(datetime.now(timezone.utc))}
        self.lock_holder_file.write_text(json.dumps(holder), encoding="utf-8")
        return lock

    def lock_holder(self) -> dict[str, object] | None:
        """Who holds the sync lock now ({"pid", "host", "since"} as far as known, {} if unknown), or None if free."""
        probe = FileLock(self.lock_file)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            try:
                return dict(json.loads(self.lock_holder_file.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                return {}
        probe.release()
        return None

    def busy_text(self, holder: dict[str, object] | None) -> str:
        """The sentence for a folder whose lock `holder` holds: where, and since when (computer's local time)."""
        where = ("in another CountyDataSync window on this computer" if holder and holder.get("host") == socket.gethostname()
                 else "in CountyDataSync on another computer" if holder else "in another CountyDataSync")
        since = ""
        if holder and holder.get("since"):
            since = f" (since {from_utc_text(str(holder['since'])).astimezone().strftime('%H:%M')})"
        return (f"A sync or a review is open {where} for this data folder ({self.path}){since}. "
                "Finish it there (Commit or Discard) or close that window, then try again.")

    @property
    def working_db(self) -> Path:
        """`working_db.sqlite`: one row per parcel, plus run history, journal and sync state."""
        return self.path / schema.WORKING_DB_FILE

    @property
    def stats_db(self) -> Path:
        """`stats_db.sqlite`: figures aggregated per land-use code."""
        return self.path / schema.STATS_DB_FILE

    @property
    def demo_source(self) -> Path:
        """The bundled demo county, used when no source is configured."""
        return self.path / "demo_county.sqlite"

    @property
    def log_dir(self) -> Path:
        """Rotating log files."""
        return self.path / "logs"

    @property
    def pending_dir(self) -> Path:
        """Staged change sets waiting for Commit or Discard."""
        return self.path / "pending"

    @property
    def waiting_review(self) -> Path:
        """The one change set staged for review in a later session (`countydatasync sync --stage`)."""
        return self.pending_dir / "waiting-review.sqlite"

    @property
    def lock_file(self) -> Path:
        """Held while a sync is planned, reviewed or committed: one sync per folder."""
        return self.path / "sync.lock"

    @property
    def lock_holder_file(self) -> Path:
        """Which process took the sync lock and when (read by the other windows; stale once the lock is free)."""
        return self.path / "sync.lock.holder"
