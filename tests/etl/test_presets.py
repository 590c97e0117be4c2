"""Wisconsin- and Florida-NAL-schema sources, synced through the shipped presets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from countydatasync_gui.etl import schema
from countydatasync_gui.etl.config import load_settings
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.presets import get_preset, list_presets
from countydatasync_gui.etl.sync import commit, plan_sync
from tests.support import read_table, working_fields

WI_COLUMNS = ["PARCELID", "TAXPARCELID", "OWNERNME1", "OWNERNME2", "PSTLADRESS", "SITEADRESS", "PROPCLASS", "AUXCLASS",
              "ASSDACRES", "DEEDACRES", "GISACRES", "CNTASSDVALUE", "LNDVALUE", "IMPVALUE", "PARCELDATE", "LOADDATE"]
# Everything text, as counties deliver it: numbers with separators, class lists, blanks.
WI_ROWS = [
    ("0181-123-4567-0", "A1", "SMITH, JOHN", "", "PO BOX 1", "12 OAK ST", "1", "", "0.500", "", "0.48", "150,000", "40,000", "110,000", "", "2024-05-01"),
    ("0181-123-4568-0", "A2", "DOE FARMS LLC", "", "", "W123 CTY RD K", "4,5", "W6", "", "", "38.25", "95000", "95000", "0", "2019-01-01", "2024-05-01"),
    ("0181-999-0001-0", "A3", "STATE OF WISCONSIN", "", "", "", "", "X2", "120", "", "119.7", "0", "", "", "", "2024-05-01"),
    ("0181-123-4569-0", "A4", "NORTHWOODS TIMBER", "", "", "", "5M,6", "", "80", "", "80.1", "64000", "64000", "", "", "2024-05-01"),
]
NAL_COLUMNS = ["CO_NO", "PARCEL_ID", "DOR_UC", "JV", "AV_SD", "LND_VAL", "LND_SQFOOT", "OWN_NAME", "PHY_ADDR1"]
NAL_ROWS = [
    (23, "01-3114-018-0010", 1, 420000, 310000, 150000, 10890, "GARCIA MARIA", "100 NW 1 AVE"),
    (23, "01-3114-018-0020", 1, 380000, 280000, 140000, 8712, "NGUYEN THANH", "102 NW 1 AVE"),
    (23, "30-2005-000-0100", 51, 900000, 900000, 900000, 4356000, "SUNSHINE GROVES INC", ""),
    (23, "01-4101-000-0001", 11, 2500000, 2500000, 1000000, 43560, "MIAMI RETAIL LLC", "5 MAIN ST"),
]


def make_source(path: Path, table: str, columns: list[str], rows: list[tuple], types: dict[str, str] | None = None) -> str:
    """A SQLite file with the state's layout (text columns unless `types` says otherwise)."""
    types = types or {}
    with sqlite3.connect(path) as db:
        definitions = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in columns)
        db.execute(f"CREATE TABLE {table} ({definitions})")
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})", rows)
    return f"sqlite:///{path}"


def write_config(folder: DataFolder, url: str, table: str, preset: str) -> None:
    folder.ensure()
    (folder.path / "config.toml").write_text(f'[source]\nurl = "{url}"\ntable = "{table}"\npreset = "{preset}"\n')


def test_presets_are_listed_with_their_code_tables() -> None:
    presets = {p.name: p for p in list_presets()}

    assert set(presets) == {"wisconsin", "florida_nal"}
    assert presets["wisconsin"].code_table == "wisconsin" and presets["wisconsin"].has_timestamp
    assert presets["florida_nal"].code_table == "florida_dor" and not presets["florida_nal"].has_timestamp
    assert "no per-row modification time" in presets["florida_nal"].notes


def test_wisconsin_roll_syncs_through_the_preset(tmp_path: Path, folder: DataFolder) -> None:
    url = make_source(tmp_path / "wi.sqlite", "V11_Parcels", WI_COLUMNS, WI_ROWS)
    write_config(folder, url, "V11_Parcels", "wisconsin")

    change_set = plan_sync(folder, load_settings(folder))
    flagged = change_set.rows("flagged")
    result = commit(change_set)

    assert result.counts.new == 4 and result.counts.rejected == 0
    expected = pd.DataFrame([
        ("0181-123-4567-0", "SMITH, JOHN", "1", 0.5, 150000.0, "2024-05-01T00:00:00.000000Z", "12 OAK ST", 40000.0, 110000.0),
        ("0181-123-4568-0", "DOE FARMS LLC", "4", 38.25, 95000.0, "2024-05-01T00:00:00.000000Z", "W123 CTY RD K", 95000.0, 0.0),
        ("0181-123-4569-0", "NORTHWOODS TIMBER", "5M", 80.0, 64000.0, "2024-05-01T00:00:00.000000Z", None, 64000.0, None),
        ("0181-999-0001-0", "STATE OF WISCONSIN", "X2", 120.0, 0.0, "2024-05-01T00:00:00.000000Z", None, None, None),
    ], columns=list(schema.FIELDS))
    pd.testing.assert_frame_equal(working_fields(folder), expected)
    assert flagged.empty  # 4, 5M and X2 are Wisconsin classes: none is "unknown"
    stats = read_table(folder.stats_db, "stats", order_by="use_code")
    assert stats[["use_code", "description", "parcel_count", "acres"]].values.tolist() == [
        ["1", "Residential", 1, 0.5], ["4", "Agricultural", 1, 38.25],
        ["5M", "Agricultural forest", 1, 80.0], ["X2", "Exempt - state", 1, 120.0],
    ]


def test_florida_nal_roll_syncs_through_the_preset(tmp_path: Path, folder: DataFolder) -> None:
    numeric = {c: "INTEGER" for c in ("CO_NO", "DOR_UC", "JV", "AV_SD", "LND_VAL", "LND_SQFOOT")}
    url = make_source(tmp_path / "nal.sqlite", "NAL23F202401", NAL_COLUMNS, NAL_ROWS, numeric)
    write_config(folder, url, "NAL23F202401", "florida_nal")

    result = commit(plan_sync(folder, load_settings(folder)), allow_mass_delete=True)

    assert result.counts.new == 4 and result.watermark_after is None
    working = working_fields(folder).set_index("id")
    assert working.loc["01-3114-018-0010", ["use_code", "acres", "assessed_value", "land_value"]].tolist() == ["001", 0.25, 310000.0, 150000.0]
    assert working.loc["30-2005-000-0100", "acres"] == 100.0
    assert pd.isna(working.loc["30-2005-000-0100", "site_address"])
    assert working["last_updated"].isna().all() and working["improvement_value"].isna().all()
    stats = read_table(folder.stats_db, "stats", order_by="use_code")
    assert stats[["use_code", "parcel_count", "assessed_value"]].values.tolist() == [
        ["001", 2, 590000.0], ["011", 1, 2500000.0], ["051", 1, 900000.0]]
    assert stats.set_index("use_code").loc["051", "description"] != "Not in the land-use code table"


def test_config_entries_override_single_preset_fields(tmp_path: Path, folder: DataFolder) -> None:
    url = make_source(tmp_path / "wi.sqlite", "parcels", WI_COLUMNS, WI_ROWS)
    folder.ensure()
    (folder.path / "config.toml").write_text(
        f'[source]\nurl = "{url}"\npreset = "wisconsin"\n[source.columns]\nowner = "TAXPARCELID"\nsite_address = ""\n')

    specs = load_settings(folder).source.specs()

    assert specs["owner"].columns == ("TAXPARCELID",)
    assert "site_address" not in specs
    assert specs["use_code"] == get_preset("wisconsin").columns["use_code"]


def test_an_unknown_preset_is_a_clear_error(folder: DataFolder) -> None:
    from countydatasync_gui.etl.errors import SyncError

    with pytest.raises(SyncError, match="no preset named 'ohio'.*florida_nal, wisconsin"):
        load_settings(folder, source_url="sqlite:///x.sqlite", preset="ohio")
