"""The report for the record: counts as the run's, every value escaped, 1,000 rows per class in the HTML, all in the CSV."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from countydatasync_gui.etl import report
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SyncError
from countydatasync_gui.etl.session import SyncSession
from tests.support import SourceTable, parcel, read_table, sync

CLI = [sys.executable, "-m", "countydatasync_gui.cli"]


def counts_in(html_text: str) -> dict[str, int]:
    return {name: int(value.replace(",", "")) for name, value in re.findall(r'id="count-(\w+)">([\d,]+)<', html_text)}


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def county(folder: DataFolder, source: SourceTable) -> SourceTable:
    source.upsert(parcel(f"01-{i:04d}", "2024-01-01 09:00:00") for i in range(20))
    sync(folder, source)
    for i in range(8):
        source.update(f"01-{i:04d}", owner=f"<script>alert('{i}')</script> & SONS", last_updated="2024-02-01 09:00:00")
    source.upsert([parcel("02-0001", "2024-02-01 09:00:00"), parcel("02-0002", "2024-02-01 09:00:00", acres="lots")])
    return source


def test_the_report_of_a_run_has_its_counts_its_changes_escaped_and_every_row_in_the_csv(
        folder: DataFolder, county: SourceTable, tmp_path: Path) -> None:
    session = SyncSession(folder, county.settings())
    session.plan()
    result = session.commit(hold=["01-0002"])
    assert result.run_id is not None

    path = session.write_report(result.run_id, tmp_path / "out" / "run.html")

    text = path.read_text(encoding="utf-8")
    run = read_table(folder.working_db, "runs", order_by="run_id").set_index("run_id").loc[result.run_id]
    assert counts_in(text) == {name: int(run[name]) for name in result.counts.as_dict()}
    assert counts_in(text) == result.counts.as_dict()
    assert "<script>" not in text and "&lt;script&gt;alert(&#x27;0&#x27;)&lt;/script&gt; &amp; SONS" in text
    assert "Owner: OWNER 01-0000 -&gt; &lt;script&gt;" in text  # old -> new
    assert "acres is not a number" in text and "County edits up to, after this run" in text
    rows = csv_rows(path.with_suffix(".csv"))
    by_section = {s: sum(r["Section"] == s for r in rows) for s in {r["Section"] for r in rows}}
    assert by_section == {"New parcels": 1, "Changed parcels": 7, "Held back (not applied)": 1, "Rejected (not loaded)": 1}
    assert by_section == {title: n for title, n in zip(
        ("New parcels", "Changed parcels", "Held back (not applied)", "Rejected (not loaded)"),
        (result.counts.new, result.counts.changed, result.counts.held, result.counts.rejected), strict=True)}
    held = next(r for r in rows if r["Section"].startswith("Held"))
    assert held["Parcel"] == "01-0002" and held["New owner"].startswith("<script>")


def test_the_html_shows_the_first_1000_rows_of_a_class_and_the_csv_all(
        folder: DataFolder, source: SourceTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert report.HTML_ROWS == 1_000
    monkeypatch.setattr(report, "HTML_ROWS", 5)  # the cap, scaled down: the same code path as 1,000
    monkeypatch.setattr(report, "_PAGE", 4)  # and several pages per class
    source.upsert([parcel("00-0001")])
    sync(folder, source)  # the initial load; the run below adds 12 parcels to a table that has some
    source.upsert(parcel(f"01-{i:04d}", "2024-02-01 09:00:00") for i in range(12))
    run = sync(folder, source).run_id
    assert run is not None

    path = SyncSession(folder, source.settings()).write_report(run, tmp_path / "second.html")

    text = path.read_text(encoding="utf-8")
    assert text.count("<tr><td>01-") == 5 and "The first 5 of 12 are shown" in text
    assert [r["Parcel"] for r in csv_rows(path.with_suffix(".csv"))] == [f"01-{i:04d}" for i in range(12)]


def test_the_report_of_an_initial_load_says_so_and_lists_only_its_flagged_and_held_parcels(
        folder: DataFolder, source: SourceTable, tmp_path: Path) -> None:
    source.upsert([parcel("01-0001"), parcel("01-0002", owner=None), parcel("01-0003"), parcel("01-0004")])
    session = SyncSession(folder, source.settings())
    session.plan()
    run = session.commit(hold=["01-0003"]).run_id
    assert run is not None

    path = session.write_report(run, tmp_path / "first.html")

    text = path.read_text(encoding="utf-8")
    assert "Initial load" in text and "3 parcels loaded into an empty table" in text
    assert "<h2>New parcels" not in text
    rows = csv_rows(path.with_suffix(".csv"))
    assert [(r["Section"], r["Parcel"]) for r in rows] == [("Held back (not applied)", "01-0003"),
                                                          ("Flagged for a second look", "01-0002")]


def test_the_review_report_and_the_command_line(folder: DataFolder, county: SourceTable, tmp_path: Path) -> None:
    session = SyncSession(folder, county.settings())
    change_set = session.plan()
    path = session.write_review_report(tmp_path / "review.html")
    assert counts_in(path.read_text(encoding="utf-8")) == change_set.counts.as_dict()
    session.commit()

    done = subprocess.run([*CLI, "report", "--run", "2", "--out", str(tmp_path / "cli.html"), "--json",
                           "--data-dir", str(folder.path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["csv"] == str(tmp_path / "cli.csv")
    with pytest.raises(SyncError, match="no run 99"):
        session.write_report(99, tmp_path / "none.html")
