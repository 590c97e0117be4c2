"""Where CountyDataSync keeps its files: one data folder per county.

The folder is chosen by `--data-dir`, else the COUNTYDATASYNC_DATA_DIR environment
variable, else the per-user data folder that platformdirs names for this platform.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from filelock import FileLock, Timeout

from . import schema
from .errors import DataFolderBusy

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
        lock = FileLock(self.lock_file)
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise DataFolderBusy(
                f"Another sync is already running for this data folder ({self.path}). "
                "Wait for it to finish (or close the other window), then try again.",
                details=str(exc),
            ) from exc
        return lock

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
