"""The versioned store: every older data folder opens, migrates and keeps its records; a newer one is refused."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui import cli
from countydatasync_gui.etl import store
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.db import sqlite_engine
from countydatasync_gui.etl.errors import SchemaTooNew
from countydatasync_gui.etl.session import SyncSession
from countydatasync_gui.etl.report import write_run_report
from countydatasync_gui.etl.state import load_state, parcel_history
from countydatasync_gui.etl.sync import discard, plan_sync
from countydatasync_gui.etl.timeutil import now_utc, to_utc_text
from tests.support import SourceTable, parcel, read_table, stage, sync, working_fields

FIXTURE = Path(__file__).parent.parent / "fixtures" / "v0.1.0"


def test_a_json_journal_of_the_first_release_becomes_a_column_per_field(tmp_path: Path) -> None:
    path = tmp_path / "working_db.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE journal (run_id INTEGER NOT NULL, parcel_id TEXT NOT NULL, kind TEXT NOT NULL,
                                  changed TEXT, flags TEXT, old_values TEXT, new_values TEXT);
            CREATE INDEX journal_parcel ON journal (parcel_id);
            INSERT INTO journal VALUES
                (1, '01-0001', 'new', NULL, NULL, NULL, '{"id":"01-0001","owner":"SMITH JOHN","acres":2.5}'),
                (2, '01-0001', 'changed', 'owner', NULL,
                 '{"id":"01-0001","owner":"SMITH JOHN","acres":2.5}', '{"id":"01-0001","owner":"DOE JANE","acres":2.5}');
            """
        )
    _upgrade(path)

    journal = read_table(path, "journal", order_by="run_id")
    assert "old_values" not in journal.columns
    assert journal[["run_id", "kind", "old_owner", "new_owner", "new_acres"]].fillna("-").values.tolist() == [
        [1, "new", "-", "SMITH JOHN", 2.5], [2, "changed", "SMITH JOHN", "DOE JANE", 2.5],
    ]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal'").fetchall() == []


def _upgrade(path: Path) -> int:
    engine = sqlite_engine(path)
    try:
        with engine.begin() as conn:
            return store.migrate_working(conn)
    finally:
        engine.dispose()


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_a_new_file_gets_every_table_and_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "working_db.sqlite"
    assert _upgrade(path) == len(store.WORKING_MIGRATIONS)
    assert _upgrade(path) == 0  # nothing left to do
    assert _user_version(path) == len(store.WORKING_MIGRATIONS)
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
    assert {"working", "sync_state", "runs", "journal", "rejects"} <= tables
    assert "touched" in columns


def test_a_rowid_working_table_of_the_first_builds_is_rebuilt_in_parcel_order(tmp_path: Path) -> None:
    path = tmp_path / "working_db.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE working (id TEXT PRIMARY KEY NOT NULL, owner TEXT, use_code TEXT, acres REAL,
                assessed_value REAL, last_updated TEXT, site_address TEXT, land_value REAL, improvement_value REAL);
            INSERT INTO working (id, owner, acres) VALUES ('02-0001', 'B', 2.0), ('01-0001', 'A', 1.0);
            """
        )

    _upgrade(path)

    with sqlite3.connect(path) as db:
        ddl = db.execute("SELECT sql FROM sqlite_master WHERE name = 'working'").fetchone()[0]
        rows = db.execute("SELECT id, owner, acres FROM working").fetchall()
    assert ddl.upper().endswith("WITHOUT ROWID")
    assert rows == [("01-0001", "A", 1.0), ("02-0001", "B", 2.0)]


def test_a_folder_from_a_newer_release_is_refused_and_left_alone(tmp_path: Path, source: SourceTable) -> None:
    source.upsert([parcel("01-0001")])
    folder = DataFolder.resolve(tmp_path / "data")
    sync(folder, source)
    newer = len(store.WORKING_MIGRATIONS) + 1
    with sqlite3.connect(folder.working_db) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    before = hashlib.sha256(folder.working_db.read_bytes()).hexdigest()

    with pytest.raises(SchemaTooNew, match="written by a newer version of CountyDataSync") as raised:
        plan_sync(folder, source.settings())
    with pytest.raises(SchemaTooNew):
        _upgrade(folder.working_db)

    assert "schema version" in raised.value.details
    assert hashlib.sha256(folder.working_db.read_bytes()).hexdigest() == before
    assert _user_version(folder.working_db) == newer


# -- A data folder written by release 0.1.0 (tests/fixtures/v0.1.0, see its README) --------------
def _old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[DataFolder, SourceTable]:
    copy = tmp_path / "v0.1.0"
    shutil.copytree(FIXTURE, copy)
    monkeypatch.chdir(copy)  # the folder was filled from the relative address sqlite:///county.sqlite
    source = SourceTable.__new__(SourceTable)
    source.path = Path("county.sqlite")
    return DataFolder.resolve(copy), source


def test_a_folder_of_release_0_1_0_opens_migrates_and_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, county = _old_folder(tmp_path, monkeypatch)
    assert _user_version(folder.working_db) == 0
    runs_before = read_table(folder.working_db, "runs", order_by="run_id")
    journal_before = read_table(folder.working_db, "journal", order_by="rowid")
    state_before = load_state(folder.working_db)
    assert runs_before["status"].tolist() == ["committed", "nothing_to_do", "discarded", "committed"]

    county.update(working_fields(folder)["id"].iloc[0], owner="AFTER THE UPGRADE",
                  last_updated=to_utc_text(now_utc()))
    result = sync(folder, county)

    assert result.status == "committed" and result.counts.changed == 1
    assert _user_version(folder.working_db) == len(store.WORKING_MIGRATIONS)
    runs = read_table(folder.working_db, "runs", order_by="run_id")
    pd.testing.assert_frame_equal(runs.iloc[:4].drop(columns=["touched", "undoes", "held", "initial_load"]),
                                  runs_before)  # history kept
    assert runs["initial_load"].iloc[:4].isna().all() and runs["initial_load"].iloc[4] == 0  # m008: not known before
    assert runs["touched"].iloc[:4].isna().all() and runs["touched"].iloc[4] == 0
    assert runs["held"].iloc[:4].isna().all() and runs["held"].iloc[4] == 0  # m006: not known before, none now
    assert read_table(folder.working_db, "held", order_by="parcel_id").empty
    assert read_table(folder.working_db, "undone", order_by="parcel_id").empty
    assert read_table(folder.working_db, store.HASH_TABLE, order_by="id").empty  # m007: there, and empty
    journal = read_table(folder.working_db, "journal", order_by="rowid")
    pd.testing.assert_frame_equal(journal.iloc[: len(journal_before)], journal_before)  # journal kept
    assert journal.iloc[-1]["new_owner"] == "AFTER THE UPGRADE"
    assert load_state(folder.working_db).watermark >= state_before.watermark  # the watermark carried on
    stats = read_table(folder.stats_db, "stats", order_by="use_code")
    assert stats["parcel_count"].sum() == len(working_fields(folder))


def test_a_dry_run_on_a_folder_of_release_0_1_0_changes_no_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, county = _old_folder(tmp_path, monkeypatch)
    files = (folder.working_db, folder.stats_db)
    before = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]

    discard(plan_sync(folder, county.settings(), dry_run=True))

    assert [hashlib.sha256(f.read_bytes()).hexdigest() for f in files] == before


def test_status_and_a_report_read_a_folder_of_release_0_1_0_before_it_is_migrated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = _old_folder(tmp_path, monkeypatch)
    before = hashlib.sha256(folder.working_db.read_bytes()).hexdigest()

    assert cli.main(["status", "--data-dir", str(folder.path)]) == 0
    assert "held 0" in capsys.readouterr().out
    report = write_run_report(folder.working_db, 1, tmp_path / "run-1.html")

    assert 'id="count-held">0<' in report.read_text(encoding="utf-8")
    parcel_id = working_fields(folder)["id"].iloc[0]
    assert parcel_history(folder.working_db, parcel_id)["kind"].tolist()[-1] == "new"  # its journal, no initial loads
    assert hashlib.sha256(folder.working_db.read_bytes()).hexdigest() == before


# -- A change set staged for review by one release and taken up by another -------------------------
def _staged(folder: DataFolder, county: SourceTable) -> Path:
    stage(folder, county.settings())
    return folder.waiting_review


def test_a_change_set_staged_before_holds_existed_is_taken_up(folder: DataFolder, source: SourceTable) -> None:
    source.upsert([parcel("01-0000", "2024-01-01 09:00:00")])
    sync(folder, source)  # not an initial load: the change set below has the layout every release staged
    source.upsert([parcel("01-0001", "2024-02-01 09:00:00"), parcel("01-0002", "2024-02-02 09:00:00")])
    staged = _staged(folder, source)
    with sqlite3.connect(staged) as db:  # as an earlier release staged it: no version, no review columns, no held ids
        db.execute("PRAGMA user_version = 0")
        for column in ("held_kind", "earlier", "note"):
            db.execute(f"ALTER TABLE changes DROP COLUMN {column}")
        db.execute("DROP TABLE held_ids")
    session = SyncSession(folder, source.settings())
    change_set = session.open_waiting()
    assert change_set.counts.new == 2 and "note" in change_set.rows().columns
    assert change_set.held_earlier() == []
    assert session.commit(hold=["01-0002"]).counts.held == 1
    assert working_fields(folder)["id"].tolist() == ["01-0000", "01-0001"]


def test_a_change_set_staged_by_a_newer_release_is_refused_in_words(folder: DataFolder, source: SourceTable) -> None:
    source.upsert([parcel("01-0001", "2024-01-01 09:00:00")])
    staged = _staged(folder, source)
    with sqlite3.connect(staged) as db:
        db.execute(f"PRAGMA user_version = {store.CHANGE_SET_VERSION + 1}")
    before = staged.read_bytes()
    with pytest.raises(SchemaTooNew, match="planned by a newer version"):
        SyncSession(folder, source.settings()).open_waiting()
    assert staged.read_bytes() == before
    folder.acquire_sync_lock().release()  # refused without keeping the folder locked
