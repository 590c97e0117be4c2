"""The `countydatasync` console script, run as a real subprocess the way a scheduler would."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import SourceTable, parcel

CLI = [sys.executable, "-m", "countydatasync_gui.cli"]


def run(*args: str, data_dir: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if data_dir is not None:
        env["COUNTYDATASYNC_DATA_DIR"] = str(data_dir)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, input=stdin, timeout=120)


@pytest.fixture
def county(source: SourceTable) -> SourceTable:
    source.upsert(parcel(f"01-{i:04d}", f"2024-01-{i + 1:02d} 09:00:00") for i in range(20))
    return source


def test_sync_yes_json_commits_and_reports(tmp_path: Path, county: SourceTable) -> None:
    done = run("sync", "--source", county.url, "--yes", "--json", data_dir=tmp_path / "data")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "committed" and report["run_id"] == 1
    assert report["counts"] == {"rows_read": 20, "new": 20, "changed": 0, "unchanged": 0, "touched": 0, "deleted": 0,
                                "rejected": 0, "flagged": 0, "held": 0}
    assert (report["watermark_before"], report["watermark_after"]) == (None, "2024-01-20T09:00:00.000000Z")
    assert "Initial load of 20 parcels into working" in done.stderr  # the log goes to stderr, the JSON alone to stdout

    again = json.loads(run("sync", "--source", county.url, "--yes", "--json", data_dir=tmp_path / "data").stdout)
    assert again["status"] == "nothing_to_do"

    status = json.loads(run("status", "--json", data_dir=tmp_path / "data").stdout)
    assert status["watermark"] == "2024-01-20T09:00:00.000000Z" and status["last_success"]
    assert [r["status"] for r in status["runs"]] == ["nothing_to_do", "committed"]


def test_dry_run_previews_without_committing(tmp_path: Path, county: SourceTable) -> None:
    done = run("sync", "--data-dir", str(tmp_path / "data"), "--source", county.url, "--dry-run")

    assert done.returncode == 0
    assert "New" in done.stdout and "20" in done.stdout
    status = json.loads(run("status", "--data-dir", str(tmp_path / "data"), "--json").stdout)
    assert status["watermark"] is None


def _file_hashes(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in ("working_db.sqlite", "stats_db.sqlite")}


@pytest.mark.parametrize("edit", [False, True], ids=["nothing-new", "with-changes"])
def test_dry_run_writes_nothing_at_all(tmp_path: Path, county: SourceTable, edit: bool) -> None:
    data = tmp_path / "data"
    assert run("sync", "--source", county.url, "--yes", data_dir=data).returncode == 0
    if edit:
        county.update("01-0003", owner="NEW OWNER", last_updated="2024-02-01 00:00:00")
    before = _file_hashes(data)

    done = run("sync", "--source", county.url, "--dry-run", "--json", data_dir=data)

    report = json.loads(done.stdout)
    assert report["status"] == "previewed" and report["run_id"] is None
    assert report["counts"]["changed"] == (1 if edit else 0)
    assert _file_hashes(data) == before  # byte for byte: no run recorded, no watermark moved
    assert [r["run_id"] for r in json.loads(run("status", "--json", data_dir=data).stdout)["runs"]] == [1]


def test_incremental_counts_are_exact(tmp_path: Path, county: SourceTable) -> None:
    data = tmp_path / "data"
    run("sync", "--source", county.url, "--yes", data_dir=data)  # watermark 2024-01-20 09:00 (01-0019)
    county.update("01-0002", owner="NEW OWNER", last_updated="2024-02-01 08:00:00")
    county.update("01-0005", assessed_value=120_000.0, last_updated="2024-02-01 08:01:00")
    county.update("01-0007", last_updated="2024-02-01 08:02:00")  # re-saved, nothing changed
    county.upsert([parcel("02-0001", "2024-02-02 10:00:00"), parcel("02-0002", "2024-02-02 10:00:00", acres=-1.0)])

    report = json.loads(run("sync", "--source", county.url, "--yes", "--json", data_dir=data).stdout)

    # Read: the five edited rows and, inside the 1-hour look-back, the watermark's own row 01-0019.
    assert report["counts"] == {"rows_read": 6, "new": 1, "changed": 2, "unchanged": 2, "touched": 1, "deleted": 0,
                                "rejected": 1, "flagged": 0, "held": 0}


def test_without_a_terminal_it_needs_yes_or_dry_run(tmp_path: Path, county: SourceTable) -> None:
    done = run("sync", "--source", county.url, data_dir=tmp_path / "data", stdin="")

    assert done.returncode == 2
    assert "--yes" in done.stderr and not (tmp_path / "data" / "working_db.sqlite").exists()


def test_mass_delete_without_override_commits_nothing(tmp_path: Path, county: SourceTable) -> None:
    assert run("sync", "--source", county.url, "--yes", data_dir=tmp_path / "data").returncode == 0
    county.delete(*(f"01-{i:04d}" for i in range(5)))

    refused = run("sync", "--source", county.url, "--full-refresh", "--yes", "--json", data_dir=tmp_path / "data")
    assert refused.returncode == 1
    assert "delete 5 of 20 parcels" in refused.stderr
    assert json.loads(refused.stdout)["status"] == "failed"

    allowed = run("sync", "--source", county.url, "--full-refresh", "--allow-mass-delete", "--yes", "--json",
                  data_dir=tmp_path / "data")
    assert json.loads(allowed.stdout)["counts"]["deleted"] == 5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--source", "sqlite:////nowhere/parcels.sqlite"], "was not found"),
        (["--table", "no_such_table"], "no table named 'no_such_table'"),
    ],
)
def test_expected_failures_print_one_plain_line(tmp_path: Path, county: SourceTable, args: list[str], words: str) -> None:
    if "--source" not in args:
        args = ["--source", county.url, *args]
    done = run("sync", *args, "--yes", data_dir=tmp_path / "data")

    assert done.returncode == 1
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("sync", "--yes", "--dry-run", data_dir=tmp_path).returncode == 2
    assert run("frobnicate").returncode == 2


def test_version(tmp_path: Path) -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("countydatasync ")


def test_demo_create_edit_and_sync(tmp_path: Path) -> None:
    demo = tmp_path / "demo.sqlite"
    assert run("demo", "create", str(demo), "--parcels", "500", "--seed", "3").returncode == 0
    assert run("demo", "create", str(demo)).returncode == 1  # refuses to overwrite
    first = json.loads(run("sync", "--source", f"sqlite:///{demo}", "--yes", "--json", data_dir=tmp_path / "d").stdout)
    assert first["counts"]["new"] == 500

    edited = run("demo", "edit", str(demo), "--changes", "20", "--seed", "4")
    assert edited.returncode == 0
    second = json.loads(run("sync", "--source", f"sqlite:///{demo}", "--yes", "--json", data_dir=tmp_path / "d").stdout)
    counts = second["counts"]
    assert second["status"] == "committed"
    # 20 edits of a 500-parcel county: 7 transfers, 6 reassessments, 2 name corrections and 1 use-code
    # change (changed), 2 splits (4 new children; the parents and 1 retirement are gone, which only a
    # full refresh sees) and 1 mistake, a negative acreage (rejected). Only the edited rows and the
    # hour of look-back before the first sync's watermark are read, not the county.
    assert "transfers=7" in edited.stdout and "splits=2" in edited.stdout and "mistakes=1" in edited.stdout
    with sqlite3.connect(demo) as db:
        in_window = db.execute("SELECT count(*) FROM parcels WHERE last_updated >= datetime(?, '-1 hour')",
                               (first["watermark_after"][:19].replace("T", " "),)).fetchone()[0]
    assert (counts["new"], counts["changed"], counts["rejected"], counts["deleted"]) == (4, 16, 1, 0)
    assert counts["rows_read"] == in_window and counts["unchanged"] == in_window - 21 < 10


def test_a_source_without_timestamps_can_confirm_a_mass_delete_without_full_refresh(
    tmp_path: Path, source: SourceTable
) -> None:
    source.upsert(parcel(f"R-{i:03d}", None) for i in range(20))
    data = tmp_path / "data"
    data.mkdir()
    columns = "\n".join(f'{f} = "{f}"' for f in ("id", "owner", "use_code", "acres", "assessed_value"))
    (data / "config.toml").write_text(f'[source]\nurl = "{source.url}"\n\n[source.columns]\n{columns}\n')
    assert run("sync", "--yes", data_dir=data).returncode == 0
    source.delete(*(f"R-{i:03d}" for i in range(5)))  # a content-compared source sees removals every sync

    refused = run("sync", "--yes", "--json", data_dir=data)
    allowed = run("sync", "--yes", "--json", "--allow-mass-delete", data_dir=data)

    assert refused.returncode == 1 and "This sync would delete 5 of 20 parcels" in refused.stderr
    assert json.loads(allowed.stdout)["counts"]["deleted"] == 5
