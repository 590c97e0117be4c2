"""The ADBC SQLite driver (its own copy of SQLite) never opens a file another SQLite copy in the process has open."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi
import pytest

from countydatasync_gui.etl import adbc_files
from countydatasync_gui.etl.adbc_files import check_allowed
from countydatasync_gui.etl.changeset import ChangeStore
from countydatasync_gui.etl.errors import AdbcRefused
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from tests.support import SourceTable, parcel, read_table, sync


def test_the_folder_databases_and_staged_change_sets_are_refused(folder: DataFolder) -> None:
    folder.ensure()
    for path in (folder.working_db, folder.stats_db, folder.pending_dir / "changeset-1234.sqlite", folder.waiting_review):
        with pytest.raises(AdbcRefused):
            check_allowed(path)


@pytest.mark.parametrize(("name", "connect"), [
    ("county.sqlite", adbc_files.connect_read_only),  # a source
    ("pending/changeset-1234.sqlite", adbc_files.connect_for_staging),  # a new change set, staged in bulk
])
def test_a_file_open_through_sqlite3_is_refused(tmp_path: Path, name: str, connect: Callable[[Path], Any]) -> None:
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (a)")
    with pytest.raises(AdbcRefused, match="already open"):
        connect(path)
    db.close()
    connect(path).close()  # allowed once nothing else holds it


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Path]]:
    """Record every file ADBC and sqlite3 open; fail at once if one opens a file the other holds open."""
    opened: dict[str, list[Path]] = {"adbc": [], "sqlite3": []}
    adbc_open: set[Path] = set()
    real_adbc, real_sqlite3 = adbc_driver_sqlite.dbapi.connect, sqlite3.connect

    def path_of(uri: str) -> Path:
        text = uri.removeprefix("file://").split("?")[0]
        return Path(text).resolve()

    def adbc_connect(uri: str, **kwargs: object) -> object:
        path = path_of(uri)
        assert path not in adbc_files._open_in_this_process(), f"ADBC opened {path} while a descriptor held it"
        opened["adbc"].append(path)
        connection = real_adbc(uri, **kwargs)
        adbc_open.add(path)
        real_close = connection.close

        def close() -> None:
            adbc_open.discard(path)
            real_close()

        connection.close = close
        return connection

    def sqlite3_connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if isinstance(database, (str, Path)) and str(database) not in ("", ":memory:"):
            path = path_of(str(database))
            assert path not in adbc_open, f"sqlite3 opened {path} while ADBC held it"
            opened["sqlite3"].append(path)
        return real_sqlite3(database, *args, **kwargs)

    monkeypatch.setattr(adbc_driver_sqlite.dbapi, "connect", adbc_connect)
    monkeypatch.setattr(sqlite3, "connect", sqlite3_connect)
    return opened


def test_a_sync_reads_the_source_through_adbc_and_never_a_folder_database(
    folder: DataFolder, source: SourceTable, watched: dict[str, list[Path]]
) -> None:
    source.upsert(parcel(f"01-{i:04d}") for i in range(30))
    result = sync(folder, source, settings=SyncSettings(SourceSettings(url=source.url), chunk_rows=7))
    source.upsert([parcel("01-0003", "2024-02-01 09:00:00", owner="NEW OWNER")])
    sync(folder, source, settings=SyncSettings(SourceSettings(url=source.url), chunk_rows=7))

    assert result.counts.new == 30
    staged, read = watched["adbc"]  # the first sync only; the incremental one reads and stages through sqlite3
    assert staged.parent == folder.pending_dir.resolve()  # its change set, staged in bulk before sqlite3 reopened it
    assert read == source.path.resolve()  # the whole-table read
    assert folder.working_db.resolve() in watched["sqlite3"]  # the watcher sees the engine's own files too
    assert read_table(folder.working_db, "working", order_by="id")["owner"].tolist()[3] == "NEW OWNER"


def test_a_chunk_mixing_storage_classes_is_read_exactly_through_sqlite3(
    folder: DataFolder, source: SourceTable, watched: dict[str, list[Path]]
) -> None:
    # Rows 6-10 make the second chunk of five: text in a REAL column, which ADBC would type as text
    # and round the chunk's numbers to 7 digits; the chunk and the rest are read through sqlite3 instead.
    rows = [parcel(f"01-{i:04d}", acres=0.1 + 0.2 + i) for i in range(12)]
    rows[6]["acres"] = "twelve"
    source.upsert(rows)
    result = sync(folder, source, settings=SyncSettings(SourceSettings(url=source.url), chunk_rows=5))

    assert (result.counts.new, result.counts.rejected) == (11, 1)
    assert watched["adbc"][1:] == [source.path.resolve()]
    acres = read_table(folder.working_db, "working", order_by="id")["acres"].tolist()
    assert acres == [0.1 + 0.2 + i for i in range(12) if i != 6]  # bit for bit, in every chunk


def test_where_open_files_cannot_be_listed_the_change_set_is_staged_through_sqlite3(
    folder: DataFolder, source: SourceTable, watched: dict[str, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adbc_files, "_can_list_open_files", lambda: False)  # as on Windows: no /proc
    source.upsert(parcel(f"01-{i:04d}") for i in range(30))

    result = sync(folder, source, settings=SyncSettings(SourceSettings(url=source.url), chunk_rows=7))

    assert result.counts.new == 30 and len(read_table(folder.working_db, "working")) == 30
    assert not any(path.parent == folder.pending_dir.resolve() for path in watched["adbc"])


def test_a_chunk_that_fails_to_stage_in_the_background_fails_the_sync_and_leaves_nothing(
    folder: DataFolder, source: SourceTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    source.upsert(parcel(f"01-{i:04d}") for i in range(30))
    real_append = ChangeStore._append
    calls = []

    def disk_full_at_the_third_chunk(connection: object, valid: object, rejected: object) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_append(connection, valid, rejected)

    monkeypatch.setattr(ChangeStore, "_append", staticmethod(disk_full_at_the_third_chunk))
    with pytest.raises(OSError, match="No space left"):
        sync(folder, source, settings=SyncSettings(SourceSettings(url=source.url), chunk_rows=7))

    assert all(name.startswith("changeset-staging") for name in calls)  # written on the staging thread
    assert list(folder.pending_dir.iterdir()) == []
    assert not folder.working_db.exists()  # a first sync that fails creates nothing
