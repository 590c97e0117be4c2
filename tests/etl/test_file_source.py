"""File sources: real CSV, TSV, Parquet and Excel files written into tmp_path, synced through the presets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui.etl.config import _source_settings
from countydatasync_gui.etl.connection_check import test_connection
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SourceSchemaError, SourceUnavailable
from countydatasync_gui.etl.file_kinds import file_path, is_file_address
from countydatasync_gui.etl.file_source import FileSource
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
from countydatasync_gui.etl.sync import commit, plan_sync
from tests.support import assert_unchanged, read_table, snapshot

NAL_HEADER = ["CO_NO", "PARCEL_ID", "DOR_UC", "JV", "AV_SD", "LND_VAL", "LND_SQFOOT", "OWN_NAME", "PHY_ADDR1"]


def nal_rows(count: int) -> list[dict[str, str]]:
    """Florida NAL rows as the roll writes them: text ids with dashes and zeros, numbers with separators."""
    return [
        {"CO_NO": "23", "PARCEL_ID": f"01-{n:04d}", "DOR_UC": f"{(n % 3) + 1:03d}", "JV": f"{150_000 + n}",
         "AV_SD": f"${100_000 + n:,}", "LND_VAL": f"{40_000 + n}", "LND_SQFOOT": f"{43_560 * (1 + n % 4):,}",
         "OWN_NAME": f"OWNER {n}, JOSÉ", "PHY_ADDR1": f"{n} MAIN ST"}
        for n in range(count)
    ]


def write_csv(path: Path, rows: list[dict[str, str]], *, sep: str = ",", encoding: str = "utf-8",
              header: list[str] = NAL_HEADER) -> Path:
    pd.DataFrame(rows, columns=header).to_csv(path, sep=sep, index=False, encoding=encoding)
    return path


def settings_for(path: Path | str, preset: str = "florida_nal", **section: object) -> SyncSettings:
    """Settings as config.toml would give them: the preset over the file's path."""
    return SyncSettings(_source_settings({"preset": preset, **section}, url=str(path), table=None, preset=None))


def run(folder: DataFolder, settings: SyncSettings):
    return commit(plan_sync(folder, settings))


def counts(result) -> tuple[int, int, int, int, int]:
    c = result.counts
    return c.new, c.changed, c.deleted, c.unchanged, c.rejected


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("address, is_file", [
    ("C:/county/roll.csv", True), ("/srv/drop/NAL23.TXT", True), ("file:///srv/drop/roll.parquet", True),
    ("roll.xlsx", True), ("sqlite:///county.sqlite", False), ("postgresql+psycopg://u@h/roll", False),
    ("county.sqlite", False),
])
def test_file_addresses_are_told_apart_from_database_urls(address: str, is_file: bool) -> None:
    assert is_file_address(address) is is_file


def test_file_url_names_a_path() -> None:
    assert file_path("file:///srv/drop/roll%20nightly.csv") == Path("/srv/drop/roll nightly.csv")


# ---------------------------------------------------------------------------
# CSV: first sync, edited file replaced in place, real-world headers
# ---------------------------------------------------------------------------
def test_florida_nal_csv_first_sync_then_the_county_replaces_the_file(folder: DataFolder, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "NAL23F202601.csv", nal_rows(50), encoding="utf-8-sig")
    settings = settings_for(path)
    assert counts(run(folder, settings)) == (50, 0, 0, 0, 0)
    working = read_table(folder.working_db, "working").set_index("id")
    assert working.loc["01-0007", "owner"] == "OWNER 7, JOSÉ"
    assert working.loc["01-0007", "use_code"] == "002"
    assert working.loc["01-0007", "assessed_value"] == 100_007.0  # "$100,007" through the mapping's number
    assert working.loc["01-0007", "acres"] == 4.0  # "174,240" square feet

    # The next night's file, same path: 3 values changed, 2 parcels gone, 4 new.
    rows = nal_rows(54)
    for n in (3, 10, 20):
        rows[n]["AV_SD"] = "$999,000"
    del rows[40:42]
    write_csv(path, rows, encoding="utf-8-sig")
    assert counts(run(folder, settings)) == (4, 3, 2, 45, 0)
    assert counts(run(folder, settings)) == (0, 0, 0, 52, 0)


def test_wisconsin_tsv_with_loaddate_cursor_and_windows_1252(folder: DataFolder, tmp_path: Path) -> None:
    header = ["PARCELID", "TAXPARCELID", "OWNERNME1", "PROPCLASS", "AUXCLASS", "ASSDACRES", "GISACRES",
              "CNTASSDVALUE", "LNDVALUE", "IMPVALUE", "SITEADRESS", "LOADDATE"]
    rows = [{"PARCELID": f"0{n}-1109", "TAXPARCELID": str(n), "OWNERNME1": f"MÜLLER {n}",
             "PROPCLASS": "1,4" if n % 2 else "", "AUXCLASS": "" if n % 2 else "X4", "ASSDACRES": "" if n % 3 else "2.5",
             "GISACRES": "3.25", "CNTASSDVALUE": f"{120_000 + n}", "LNDVALUE": "20000", "IMPVALUE": f"{100_000 + n}",
             "SITEADRESS": f"{n} ELM ST", "LOADDATE": "2026-01-05"} for n in range(12)]
    path = write_csv(tmp_path / "V11_Parcels.tsv", rows, sep="\t", encoding="cp1252", header=header)
    settings = settings_for(path, preset="wisconsin")
    assert counts(run(folder, settings)) == (12, 0, 0, 0, 0)
    working = read_table(folder.working_db, "working").set_index("id")
    assert list(working.loc[["01-1109", "02-1109"], "use_code"]) == ["1", "X4"]
    assert working.loc["03-1109", "acres"] == 2.5 and working.loc["01-1109", "acres"] == 3.25
    assert working.loc["05-1109", "owner"] == "MÜLLER 5"


def test_title_lines_above_the_header_and_semicolons_are_detected(folder: DataFolder, tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    body = pd.DataFrame(nal_rows(5), columns=NAL_HEADER).to_csv(sep=";", index=False)
    path.write_text("County roll export\nprinted 2026-01-05\n" + body, encoding="utf-8")
    source = FileSource(settings_for(path).source)
    assert [name for name, _ in source.catalogue()[1]] == NAL_HEADER
    assert counts(run(folder, settings_for(path))) == (5, 0, 0, 0, 0)


def test_csv_overrides_in_config(folder: DataFolder, tmp_path: Path) -> None:
    path = tmp_path / "roll.txt"
    path.write_text("\n".join("|".join(r.values()) for r in [dict(zip(NAL_HEADER, NAL_HEADER, strict=True))] + nal_rows(3)),
                    encoding="latin-1")
    settings = settings_for(path, csv={"delimiter": "|", "encoding": "latin-1", "header_row": 1})
    assert counts(run(folder, settings)) == (3, 0, 0, 0, 0)


# ---------------------------------------------------------------------------
# Bad files: a clear message, nothing changed; ragged rows are rejects with their line
# ---------------------------------------------------------------------------
def test_ragged_rows_are_rejects_with_their_line_number(folder: DataFolder, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nal.csv", nal_rows(6))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] += ",extra"  # line 4: one field too many
    lines[5] = "23,01-0004,001,150004"  # line 6: five fields short
    lines.insert(7, "23,01-0099,001")  # line 8: a row left half-written by the county's export
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(folder, settings_for(path))
    assert counts(result) == (4, 0, 0, 0, 3)
    rejects = read_table(folder.working_db, "rejects")
    assert sorted(rejects["reason"].str.extract(r"^(line \d+)")[0]) == ["line 4", "line 6", "line 8"]
    assert set(rejects["id"]) == {"01-0002", "01-0004", "01-0099"}  # ids kept: a bad row is not a deleted parcel


@pytest.mark.parametrize("cut", ['23,01-0099,001,"CUT OFF', "23,01-0099,001,150099"])
def test_a_cut_off_copy_changes_nothing(folder: DataFolder, tmp_path: Path, cut: str) -> None:
    path = write_csv(tmp_path / "nal.csv", nal_rows(5))
    run(folder, settings_for(path))
    before = snapshot(folder)
    path.write_text(path.read_text(encoding="utf-8") + cut, encoding="utf-8")
    with pytest.raises(SourceSchemaError, match="looks cut off"):
        plan_sync(folder, settings_for(path))
    assert_unchanged(before, snapshot(folder))


def test_a_complete_last_line_without_a_line_end_is_fine(folder: DataFolder, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nal.csv", nal_rows(5))
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    assert counts(run(folder, settings_for(path))) == (5, 0, 0, 0, 0)


@pytest.mark.parametrize("name, content, error, words", [
    ("empty.csv", b"", SourceSchemaError, "is empty"),
    ("blank.csv", b"\n\n  \n", SourceSchemaError, "is empty"),
    ("binary.csv", bytes(range(256)) * 64, SourceSchemaError, "not a text file"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(1, 32)) * 200, SourceSchemaError, "not a text file"),
    ("missing.csv", None, SourceUnavailable, "was not found"),
    ("wrong.parquet", b"PARCEL_ID\n1\n", SourceSchemaError, "not a readable Parquet file"),
    ("wrong.xlsx", b"PARCEL_ID\n1\n", SourceSchemaError, "not a readable Excel file"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, SourceUnavailable, "protected with a password"),
])
def test_bad_files_say_what_is_wrong_and_change_nothing(folder: DataFolder, tmp_path: Path, name: str,
                                                        content: bytes | None, error: type, words: str) -> None:
    good = write_csv(tmp_path / "good.csv", nal_rows(3))
    run(folder, settings_for(good))
    before = snapshot(folder)
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    with pytest.raises(error, match=words):
        plan_sync(folder, settings_for(bad))
    assert_unchanged(before, snapshot(folder))
    report = test_connection(settings_for(bad).source)
    assert not report.ok and words in report.message


def test_a_required_column_missing_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nal.csv", nal_rows(3), header=[c for c in NAL_HEADER if c != "OWN_NAME"])
    with pytest.raises(SourceSchemaError, match="no column 'OWN_NAME'"):
        FileSource(settings_for(path).source).check()
    report = test_connection(settings_for(path).source)
    assert not report.ok and any("OWN_NAME" in problem for problem in report.problems)


# ---------------------------------------------------------------------------
# Test connection for files
# ---------------------------------------------------------------------------
def test_connection_test_reads_the_header_and_a_sample(tmp_path: Path) -> None:
    rows = nal_rows(20)
    rows[4]["AV_SD"] = "unknown"
    path = write_csv(tmp_path / "nal.csv", rows)
    report = test_connection(settings_for(path).source)
    assert report.ok and report.connected
    assert [name for name, _ in report.columns] == NAL_HEADER
    assert "nal.csv" in report.message
    assert any("1 of 20 sample rows would be rejected" in note for note in report.notes)


def test_identity_is_the_path_so_a_replaced_file_is_the_same_source(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nal.csv", nal_rows(3))
    first = FileSource(SourceSettings(url=str(path))).identity
    write_csv(path, nal_rows(7))
    assert FileSource(SourceSettings(url=path.as_uri())).identity == first == f"file:{path.resolve()}"


# ---------------------------------------------------------------------------
# Parquet and Excel: the same first sync and in-place replacement, sheets chosen like tables
# ---------------------------------------------------------------------------
WI_HEADER = ["PARCELID", "OWNERNME1", "PROPCLASS", "AUXCLASS", "ASSDACRES", "GISACRES", "CNTASSDVALUE",
             "LNDVALUE", "IMPVALUE", "SITEADRESS", "LOADDATE"]


def wisconsin_rows(count: int) -> list[dict[str, str]]:
    """Wisconsin statewide rows: text everywhere, as counties submit them."""
    return [{"PARCELID": f"0{n:03d}-1109", "OWNERNME1": f"OWNER {n}", "PROPCLASS": "2,4", "AUXCLASS": "",
             "ASSDACRES": "", "GISACRES": f"{1 + n % 5}.5", "CNTASSDVALUE": f"{200_000 + n}", "LNDVALUE": "50000",
             "IMPVALUE": f"{150_000 + n}", "SITEADRESS": f"{n} OAK RD", "LOADDATE": "2026-01-05"}
            for n in range(count)]


def edited(rows: list[dict[str, str]], value_key: str, more: list[dict[str, str]]) -> list[dict[str, str]]:
    """The next night's roll: rows 1 and 2 revalued, rows 5 and 6 gone, `more` added."""
    changed = [dict(row) for row in rows]
    for n in (1, 2):
        changed[n][value_key] = "777777"
    return changed[:5] + changed[7:] + more


def test_parquet_first_sync_and_replaced_file(folder: DataFolder, tmp_path: Path) -> None:
    path = tmp_path / "nal.parquet"
    rows = nal_rows(60)
    pd.DataFrame(rows, columns=NAL_HEADER).to_parquet(path, index=False)
    settings = settings_for(path)
    assert counts(run(folder, settings)) == (60, 0, 0, 0, 0)
    assert read_table(folder.working_db, "working").set_index("id").loc["01-0009", "assessed_value"] == 100_009.0
    pd.DataFrame(edited(rows, "AV_SD", nal_rows(63)[60:]), columns=NAL_HEADER).to_parquet(path, index=False)
    assert counts(run(folder, settings)) == (3, 2, 2, 56, 0)


def test_excel_wisconsin_sheet_first_sync_and_replaced_file(folder: DataFolder, tmp_path: Path) -> None:
    path = tmp_path / "V11_Parcels.xlsx"
    rows = wisconsin_rows(40)

    def write(table: list[dict[str, str]]) -> None:
        with pd.ExcelWriter(path) as book:
            pd.DataFrame({"note": ["exported by the CAMA vendor"]}).to_excel(book, sheet_name="About", index=False)
            pd.DataFrame(table, columns=WI_HEADER).to_excel(book, sheet_name="Parcels", index=False)

    write(rows)
    settings = settings_for(path, preset="wisconsin", table="Parcels")
    assert counts(run(folder, settings)) == (40, 0, 0, 0, 0)
    working = read_table(folder.working_db, "working").set_index("id")
    assert working.loc["0003-1109", "use_code"] == "2" and working.loc["0003-1109", "acres"] == 4.5
    assert FileSource(settings.source).catalogue()[0] == ["About", "Parcels"]

    # The Wisconsin rows carry LOADDATE: a new load gets a new date, so the edited rows are read again.
    more = [{**row, "LOADDATE": "2026-02-05"} for row in wisconsin_rows(43)[40:]]
    revised = [{**row, "LOADDATE": "2026-02-05"} for row in edited(rows, "CNTASSDVALUE", more)]
    write(revised)
    # Incremental by LOADDATE finds the new and changed parcels; a gone parcel needs a full refresh.
    assert counts(run(folder, settings)) == (3, 2, 0, 36, 0)
    assert counts(commit(plan_sync(folder, settings, full_refresh=True))) == (0, 0, 2, 41, 0)


def test_an_excel_sheet_that_does_not_exist_is_named_with_the_ones_that_do(tmp_path: Path) -> None:
    path = tmp_path / "roll.xlsx"
    pd.DataFrame(nal_rows(3), columns=NAL_HEADER).to_excel(path, sheet_name="NAL", index=False)
    with pytest.raises(SourceSchemaError, match="no sheet named 'Roll 2026'.*NAL"):
        FileSource(settings_for(path, table="Roll 2026").source).check()
    report = test_connection(settings_for(path, table="Roll 2026").source)
    assert not report.ok and report.tables == ["NAL"]


def test_command_line_syncs_a_relative_file_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from countydatasync_gui.cli import main

    write_csv(tmp_path / "nal.csv", nal_rows(4))
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    assert main(["sync", "--data-dir", str(data), "--source", "nal.csv", "--preset", "florida_nal", "--yes"]) == 0
    assert len(read_table(DataFolder(data).working_db, "working")) == 4
    # In config.toml a relative path is next to the settings file, whichever folder the sync starts from.
    (data / "config.toml").write_text('[source]\nurl = "../nal.csv"\npreset = "florida_nal"\n', encoding="utf-8")
    monkeypatch.chdir(data / "logs")
    assert main(["sync", "--data-dir", str(data), "--yes"]) == 0


def test_csv_chunks_follow_the_settings_chunk_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nal.csv", nal_rows(20_000))
    source = FileSource(settings_for(path).source)
    for chunk_rows in (1_000, 5_000):
        sizes = [len(chunk) for chunk in source.read(None, chunk_rows)]
        assert sum(sizes) == 20_000
        # A block of bytes holds about chunk_rows lines (the bytes per line come from a sample).
        assert all(size <= 1.5 * chunk_rows for size in sizes), sizes
        assert len(sizes) <= 1.5 * 20_000 / chunk_rows + 1, sizes
    assert len(list(source.read(None, 1_000_000))) == 1  # a chunk larger than the file: one read
