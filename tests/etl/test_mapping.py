"""Declarative column mappings: parsing, conversions, and matching against a table's columns."""

from __future__ import annotations

import pandas as pd
import pytest

from countydatasync_gui.etl import mapping
from countydatasync_gui.etl.errors import MappingError
from countydatasync_gui.etl.mapping import ColumnSpec, parse_mapping


def test_specs_parse_from_names_and_tables_and_write_back_the_same() -> None:
    specs = parse_mapping({
        "id": "PARCELID",
        "acres": {"columns": ["ASSDACRES", "GISACRES"], "convert": "number"},
        "use_code": {"column": "PROPCLASS", "convert": "first_code"},
        "site_address": "",
    })

    assert specs["id"] == ColumnSpec(("PARCELID",))
    assert specs["acres"] == ColumnSpec(("ASSDACRES", "GISACRES"), "number")
    assert "site_address" not in specs  # "" means not mapped
    assert {f: s.to_toml() for f, s in specs.items()} == {
        "id": "PARCELID", "acres": {"columns": ["ASSDACRES", "GISACRES"], "convert": "number"},
        "use_code": {"column": "PROPCLASS", "convert": "first_code"}}


@pytest.mark.parametrize(("columns", "words"), [
    ({"acres": {"column": "X", "convert": "eval"}}, "conversion 'eval'"),
    ({"acres": {"column": "X", "code": "__import__('os')"}}, "should be a column name"),
    ({"acreage": "X"}, "'acreage', which is not one of our fields"),
    ({"last_updated": {"columns": ["A", "B"]}}, "must come from one column"),
    ({"owner": 42}, "should be a column name"),
])
def test_anything_but_the_declared_forms_is_refused(columns: dict, words: str) -> None:
    with pytest.raises(MappingError, match=words):
        parse_mapping(columns)


def test_conversions() -> None:
    raw = pd.DataFrame({
        "sqft": [43560, 10890, None, "n/a"],
        "text_number": [" 12,500 ", "$1,200.50", "", "twelve"],
        "classes": ["1,4", " 5M ", None, "X2,W6"],
        "dor": [1, "011", None, "A1"],
        "first": ["", None, "3.0", "4"],
        "second": ["9", "8", "7", "6"],
    })
    specs = parse_mapping({
        "acres": {"column": "sqft", "convert": "sqft_to_acres"},
        "assessed_value": {"column": "text_number", "convert": "number"},
        "use_code": {"column": "classes", "convert": "first_code"},
        "owner": {"column": "dor", "convert": "code3"},
        "land_value": {"columns": ["first", "second"]},
    })

    out = mapping.apply(raw, specs)

    assert out["acres"].tolist()[:2] == [1.0, 0.25] and pd.isna(out["acres"][2])
    assert out["acres"][3] == "n/a"  # unreadable: passed on for validation to reject with the source's value
    assert out["assessed_value"].tolist()[:2] == [12500.0, 1200.5] and pd.isna(out["assessed_value"][2])
    assert out["assessed_value"][3] == "twelve"
    assert out["use_code"].tolist() == ["1", "5M", None, "X2"]
    assert out["owner"].tolist() == ["001", "011", None, "A1"]
    assert out["land_value"].tolist() == ["9", "8", "3.0", "4"]  # first non-blank column wins


def test_resolve_matches_case_insensitively_and_names_what_is_missing() -> None:
    specs = parse_mapping({"id": "PARCELID", "owner": "OWNERNME1", "acres": "GISACRES", "site_address": "SITEADRESS"})

    resolved, problems = mapping.resolve(specs, ["parcelid", "OWNERNME1", "gisacres"])

    assert resolved["id"].columns == ("parcelid",) and resolved["acres"].columns == ("gisacres",)
    assert problems == [
        "no column is chosen for land use", "no column is chosen for assessed value",
        "the table has no column 'SITEADRESS' (for site address)",
    ]
