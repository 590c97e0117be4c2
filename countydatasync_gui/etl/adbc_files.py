"""The one place that decides which SQLite files the ADBC SQLite driver may open.

`adbc-driver-sqlite` carries its own copy of the SQLite library. Two copies of
SQLite in one process that have the same file open at once can corrupt it:
POSIX advisory locks belong to the process, so when either copy closes a
descriptor on the file the other copy's locks are silently dropped ("How To
Corrupt An SQLite Database File", section 2.2.1, sqlite.org). Everything else
in CountyDataSync opens SQLite files through Python's `sqlite3`, so ADBC is
only ever allowed on a file that

* is not one of a data folder's own databases (`working_db.sqlite`,
  `stats_db.sqlite`) nor a staged change set (`pending/*.sqlite`), which
  `sqlite3` connections open throughout a sync and a review, and
* no descriptor of this process has open right now (checked on Linux through
  /proc/self/fd; elsewhere the names above are the rule).

One exception, `connect_for_staging`: a new change set's rows may be appended
through ADBC while no `sqlite3` connection has the file open, where the
process can prove that (Linux); `ChangeStore` closes ADBC before it reopens
the file with `sqlite3`.

Every ADBC SQLite connection is made here, after these checks;
tests/etl/test_adbc_files.py fails if a sync ever opens a file through one
copy of SQLite while the other holds it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import schema
from .errors import AdbcRefused

#: File names of a data folder's databases, which only `sqlite3` may open.
FOLDER_DATABASE_NAMES = frozenset({schema.WORKING_DB_FILE, schema.STATS_DB_FILE})
#: The data folder's subfolder of staged change sets (see `DataFolder.pending_dir`).
PENDING_FOLDER = "pending"
#: Linux lists a process's open files here (one link per descriptor).
_FD_DIR = Path("/proc/self/fd")


def check_allowed(path: Path) -> None:
    """Raise `AdbcRefused` unless the ADBC SQLite driver may open `path` (see the module docstring)."""
    resolved = path.resolve()
    if resolved.name in FOLDER_DATABASE_NAMES or (resolved.parent.name == PENDING_FOLDER and resolved.suffix == ".sqlite"):
        raise AdbcRefused(f"{resolved.name} is a data folder database: only sqlite3 may open it.", details=str(resolved))
    if resolved in _open_in_this_process():
        raise AdbcRefused(f"{resolved.name} is already open in this process: ADBC must not open it too.",
                          details=str(resolved))


def connect_for_staging(path: Path) -> Any | None:
    """An ADBC (DBAPI) connection that appends to the new change set at `path`, or None where it cannot be
    proved safe (no /proc to check that no descriptor holds the file: the caller stages through sqlite3).

    The change set is a scratch file (a crash only means planning again), so it is written without a
    rollback journal or flushes, as `store.create_change_set` does for sqlite3.
    """
    resolved = path.resolve()
    if resolved.parent.name != PENDING_FOLDER or not _can_list_open_files():
        return None
    if resolved in _open_in_this_process():
        raise AdbcRefused(f"{resolved.name} is already open in this process: ADBC must not open it too.",
                          details=str(resolved))
    import adbc_driver_sqlite.dbapi  # imported here: only bulk staging and whole-table reads need it

    # autocommit: pandas' to_sql commits each chunk itself, and these pragmas cannot run inside a transaction.
    connection = adbc_driver_sqlite.dbapi.connect(resolved.as_uri(), autocommit=True)
    with connection.cursor() as cursor:
        for pragma in ("journal_mode = OFF", "synchronous = OFF"):
            cursor.execute(f"PRAGMA {pragma}")
            cursor.fetchall()
    return connection


def _can_list_open_files() -> bool:
    return _FD_DIR.is_dir()


def _open_in_this_process() -> set[Path]:
    """The files this process holds a descriptor on (Linux; an empty set where /proc is missing)."""
    fd_dir = _FD_DIR
    found: set[Path] = set()
    try:
        entries = os.listdir(fd_dir)
    except OSError:
        return found
    for entry in entries:
        try:
            found.add(Path(os.readlink(fd_dir / entry)))
        except OSError:
            continue  # closed since listdir (the listing's own descriptor, among others)
    return found


def connect_read_only(path: Path) -> Any:
    """An ADBC (DBAPI) connection that can only read `path`, once `check_allowed` agrees.

    The caller closes it before any `sqlite3` connection could open the file.
    """
    check_allowed(path)
    import adbc_driver_sqlite.dbapi  # imported here: only whole-table reads of SQLite sources need it

    return adbc_driver_sqlite.dbapi.connect(f"{path.resolve().as_uri()}?mode=ro")
