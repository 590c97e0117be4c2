"""The demo county: a realistic, deterministic source file and one day of edits to it."""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from countydatasync_gui.etl import schema
from countydatasync_gui.etl.demo import TABLE, EditSummary, create_demo_county, edit_demo_county

NOW = datetime(2026, 11, 26, 15, 30, 0)


def _rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT {', '.join(schema.FIELDS)} FROM {TABLE} ORDER BY id").fetchall()


def _by_id(path: Path) -> dict[str, dict]:
    return {r[0]: dict(zip(schema.FIELDS, r, strict=True)) for r in _rows(path)}


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 25,000-parcel county shared read-only by the tests that only look at it (tests copy it to edit)."""
    path = tmp_path_factory.mktemp("demo") / "county.sqlite"
    assert create_demo_county(path) == 25_000
    return path


def test_same_seed_same_file_and_other_seed_differs(tmp_path: Path) -> None:
    create_demo_county(tmp_path / "a.sqlite", parcels=3_000, seed=7)
    create_demo_county(tmp_path / "b.sqlite", parcels=3_000, seed=7)
    create_demo_county(tmp_path / "c.sqlite", parcels=3_000, seed=8)
    a, b, c = (_rows(tmp_path / f"{x}.sqlite") for x in "abc")
    assert len(a) == 3_000
    assert a == b
    assert a != c
    assert {r[0] for r in a} != {r[0] for r in c}


def test_table_columns_and_index_a_county_dba_would_have(county: Path) -> None:
    with sqlite3.connect(county) as conn:
        columns = [(r[1], r[2], r[5]) for r in conn.execute(f"PRAGMA table_info({TABLE})")]
        indexes = {r[1]: r for r in conn.execute(f"PRAGMA index_list({TABLE})")}
        indexed = [r[2] for r in conn.execute("PRAGMA index_info(parcels_last_updated)")]
    assert [name for name, _, _ in columns] == list(schema.FIELDS)
    assert columns[0] == ("id", "TEXT", 1)  # text primary key
    assert {name for name, sql_type, _ in columns if sql_type == "REAL"} == set(schema.NUMERIC_FIELDS)
    assert "parcels_last_updated" in indexes
    assert indexed == [schema.LAST_UPDATED]


def test_ids_are_unique_text_in_florida_style_with_leading_zeros(county: Path) -> None:
    with sqlite3.connect(county) as conn:
        ids = [r[0] for r in conn.execute(f"SELECT id FROM {TABLE}")]
        types = {r[0] for r in conn.execute(f"SELECT DISTINCT typeof(id) FROM {TABLE}")}
    assert types == {"text"}
    assert len(ids) == len(set(ids)) == 25_000
    assert all(re.fullmatch(r"\d{2}-\d{4}-\d{3}-\d{4}", i) for i in ids)
    assert any(i.startswith("0") for i in ids)  # sections 01-09 keep their zero
    assert any(i.split("-")[2].startswith("00") for i in ids)  # and low lot numbers theirs


def test_use_code_mix_is_a_mostly_rural_county(county: Path) -> None:
    with sqlite3.connect(county) as conn:
        codes = [r[0] for r in conn.execute(f"SELECT use_code FROM {TABLE}")]
    assert all(re.fullmatch(r"\d{3}", c) for c in codes)
    n = len(codes)

    def share(lo: int, hi: int) -> float:
        return sum(lo <= int(c) <= hi for c in codes) / n

    assert 0.56 <= share(0, 9) <= 0.68  # residential ~60%
    assert 0.06 <= share(10, 39) <= 0.11  # commercial ~8%
    assert 0.02 <= share(40, 49) <= 0.05  # industrial ~3%
    assert 0.13 <= share(50, 69) <= 0.20  # agricultural ~15%
    assert 0.04 <= share(70, 89) <= 0.08  # institutional and government ~5%
    assert 0.01 <= share(90, 99) <= 0.04  # right-of-way, water ~2%
    most_common = max(set(codes), key=codes.count)
    assert most_common == "001" and codes.count("001") / n > 0.35  # single family dominates
    assert {"000", "010", "040"} <= set(codes)  # some vacant land


def test_values_and_acreage_follow_the_roll_rules(county: Path) -> None:
    rows = _by_id(county).values()
    for r in rows:
        if r["assessed_value"] is not None:
            assert r["assessed_value"] == r["land_value"] + r["improvement_value"], r
            assert r["assessed_value"] == round(r["assessed_value"])  # whole dollars
        assert r["acres"] > 0 and r["acres"] == round(r["acres"], 3)
        assert r["owner"], r
    vacant_or_road = [r for r in rows if r["use_code"] in ("000", "010", "040", "094", "095")]
    assert vacant_or_road and all(r["improvement_value"] in (0, None) for r in vacant_or_road)
    roads = [r for r in rows if r["use_code"] in ("094", "095")]
    assert any(r["assessed_value"] is None for r in roads) and any(r["assessed_value"] == 0 for r in roads)
    single_family = sorted(r["acres"] for r in rows if r["use_code"] == "001")
    assert 0.15 <= single_family[len(single_family) // 2] <= 0.4  # about a quarter acre
    farms = sorted(r["acres"] for r in rows if 50 <= int(r["use_code"]) <= 69)
    assert 5 <= farms[len(farms) // 2] <= 300
    government = [r["owner"] for r in rows if r["use_code"] == "086"]
    assert government and set(government) == {"BOARD OF COUNTY COMMISSIONERS"}
    owners = [r["owner"] for r in rows]
    assert any(re.fullmatch(r"[A-Z]+ [A-Z]+ [A-Z]", o) for o in owners)  # SMITH JOHN A
    assert any(re.fullmatch(r"[A-Z]+ [A-Z]+ & [A-Z]+", o) for o in owners)  # SMITH JOHN & MARY
    assert any(o.endswith(" LLC") for o in owners) and any(o.endswith(" TRUST") for o in owners)
    assert any(r["site_address"] and re.fullmatch(r"\d+ [A-Z0-9 ]+", r["site_address"]) for r in rows)


def test_last_updated_is_naive_text_spread_over_six_years(county: Path) -> None:
    stamps = [r["last_updated"] for r in _by_id(county).values()]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", s) for s in stamps)
    years = {s[:4] for s in stamps}
    assert len(years) >= 6
    assert max(stamps) < NOW.strftime("%Y-%m-%d")


def test_create_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "county.sqlite"
    path.write_text("not mine to overwrite")
    with pytest.raises(FileExistsError):
        create_demo_county(path, parcels=10)
    assert path.read_text() == "not mine to overwrite"
    assert list(tmp_path.iterdir()) == [path]  # no leftover temporary file


def test_edit_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="create_demo_county"):
        edit_demo_county(tmp_path / "missing.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()  # and did not create an empty database


def test_edit_applies_the_requested_edits_with_fresh_timestamps(county: Path, tmp_path: Path) -> None:
    path = shutil.copy(county, tmp_path / "county.sqlite")
    before = _by_id(path)
    summary = edit_demo_county(path, changes=150, seed=5, now=NOW)
    after = _by_id(path)

    assert isinstance(summary, EditSummary) and summary.total == 150
    assert summary == EditSummary(transfers=53, reassessments=45, name_corrections=15, use_code_changes=8,
                                  splits=15, retirements=7, mistakes=7)
    assert len(after) == len(before) + summary.splits - summary.retirements
    fresh = [r for r in after.values() if r["last_updated"] >= (NOW - timedelta(hours=6)).strftime("%Y-%m-%d %H:%M:%S")]
    assert len(fresh) == summary.total - summary.retirements + summary.splits  # touched + added rows
    stamps = {r["last_updated"] for r in fresh}
    assert len(stamps) == summary.total - summary.retirements  # a distinct second per edit; split children share one
    assert max(stamps) <= NOW.strftime("%Y-%m-%d %H:%M:%S")
    assert min(stamps) >= (NOW - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S")
    # Rows not edited are untouched.
    untouched = [i for i in before if i in after and after[i]["last_updated"] == before[i]["last_updated"]]
    assert all(after[i] == before[i] for i in untouched)
    assert len(untouched) == len(before) - summary.total  # every edit touched or removed one existing row


def test_edit_kinds_do_what_they_say(county: Path, tmp_path: Path) -> None:
    path = shutil.copy(county, tmp_path / "county.sqlite")
    before = _by_id(path)
    summary = edit_demo_county(path, changes=300, seed=11, now=NOW)
    after = _by_id(path)
    changed = [i for i in before if i in after and after[i] != before[i]]

    def differs_only_in(i: str, *names: str) -> bool:
        diff = {f for f in schema.FIELDS if after[i][f] != before[i][f]} - {schema.LAST_UPDATED}
        return bool(diff) and diff <= set(names)

    commas = [i for i in changed if after[i]["owner"] == before[i]["owner"].replace(" ", ", ", 1)]
    trustees = [i for i in changed if after[i]["owner"] == before[i]["owner"] + " TRUSTEE"]
    assert commas and trustees
    assert len(commas) + len(trustees) == summary.name_corrections
    reassessed = [i for i in changed if differs_only_in(i, "land_value", "improvement_value", "assessed_value")
                  and after[i]["assessed_value"] <= 3 * before[i]["assessed_value"]]
    assert len(reassessed) == summary.reassessments
    for i in reassessed:
        r = after[i]
        assert r["assessed_value"] == r["land_value"] + r["improvement_value"]
        assert 0.8 < r["assessed_value"] / before[i]["assessed_value"] < 1.2
    transfers = [i for i in changed if differs_only_in(i, "owner") and i not in commas + trustees and after[i]["owner"]]
    assert len(transfers) == summary.transfers
    recoded = [i for i in changed if after[i]["use_code"] != before[i]["use_code"]]
    assert len(recoded) == summary.use_code_changes
    assert all(after[i]["assessed_value"] == after[i]["land_value"] + after[i]["improvement_value"] for i in recoded)
    # The mistakes the review must catch: negative acreage, a value more than 3x, a blank owner.
    assert sum(after[i]["acres"] < 0 for i in changed) >= 1
    assert sum(after[i]["owner"] == "" for i in changed) >= 1
    assert sum((after[i]["assessed_value"] or 0) > 3 * (before[i]["assessed_value"] or 0) > 0 for i in changed) >= 1
    assert len(changed) == summary.total - summary.splits - summary.retirements


def test_splits_retire_the_parent_and_add_two_children_sharing_it(county: Path, tmp_path: Path) -> None:
    path = shutil.copy(county, tmp_path / "county.sqlite")
    before = _by_id(path)
    summary = edit_demo_county(path, changes=150, seed=5, now=NOW)
    after = _by_id(path)
    removed, added = set(before) - set(after), set(after) - set(before)
    assert len(removed) == summary.splits + summary.retirements
    assert len(added) == 2 * summary.splits
    parents = {p for p in removed if any(c[:12] == p[:12] for c in added)}
    assert len(parents) == summary.splits
    for p in parents:
        children = [after[c] for c in added if c[:12] == p[:12] and c > p]
        assert len(children) == 2, p
        assert sum(c["acres"] for c in children) == pytest.approx(before[p]["acres"], abs=1e-6)
        for field in ("land_value", "improvement_value", "assessed_value"):
            assert sum(c[field] for c in children) == before[p][field]
        assert all(c["owner"] == before[p]["owner"] for c in children)
        assert all(re.fullmatch(r"\d{2}-\d{4}-\d{3}-\d{4}", c["id"]) for c in children)


def test_edits_are_deterministic_for_a_seed_and_differ_by_default(county: Path, tmp_path: Path) -> None:
    a, b, c = (shutil.copy(county, tmp_path / f"{x}.sqlite") for x in "abc")
    edit_demo_county(a, changes=100, seed=3, now=NOW)
    edit_demo_county(b, changes=100, seed=3, now=NOW)
    edit_demo_county(c, changes=100, seed=4, now=NOW)
    assert _rows(a) == _rows(b)
    assert _rows(a) != _rows(c)
    # Default seed comes from the row count, so a second day's edits touch other parcels.
    first = edit_demo_county(a, changes=100, now=NOW + timedelta(days=1))
    day1 = {r[0] for r in _rows(a) if r[5] >= (NOW + timedelta(hours=12)).strftime("%Y-%m-%d %H:%M:%S")}
    edit_demo_county(a, changes=100, now=NOW + timedelta(days=2))
    day2 = {r[0] for r in _rows(a) if r[5] >= (NOW + timedelta(days=1, hours=12)).strftime("%Y-%m-%d %H:%M:%S")}
    assert first.total == 100 and day1 and day2 and day1 != day2


def test_edit_rejects_more_changes_than_parcels_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "tiny.sqlite"
    create_demo_county(path, parcels=20)
    before = _rows(path)
    with pytest.raises(ValueError):
        edit_demo_county(path, changes=21)
    assert _rows(path) == before
    summary = edit_demo_county(path, changes=20, seed=1, now=NOW)  # a tiny file still takes every kind
    assert summary.total == 20 and len(_rows(path)) == 20 + summary.splits - summary.retirements


def test_a_second_edit_run_is_stamped_after_the_first(tmp_path: Path) -> None:
    county = tmp_path / "county.sqlite"
    create_demo_county(county, parcels=500, seed=7)
    edit_demo_county(county, changes=30, seed=8, now=NOW)
    first_newest = _newest(county)

    edit_demo_county(county, changes=30, seed=9, now=NOW)  # minutes later, same clock reading

    with sqlite3.connect(county) as db:
        later = db.execute("SELECT count(*) FROM parcels WHERE last_updated > ?", (first_newest,)).fetchone()[0]
    assert later >= 30  # every edit of the second run comes after the first run's newest stamp


def _newest(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT max(last_updated) FROM parcels").fetchone()[0]
