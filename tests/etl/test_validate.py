"""Validation and normalisation of source rows: nothing dropped silently, times compared correctly."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from countydatasync_gui.etl.validate import normalise_timestamps, validate_chunk

UTC = ZoneInfo("UTC")
CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("raw", "zone", "expected"),
    [
        ("2024-05-01 13:45:00", UTC, "2024-05-01T13:45:00.000000Z"),
        ("2024-05-01T13:45:00Z", UTC, "2024-05-01T13:45:00.000000Z"),
        ("2024-05-01T15:45:00+02:00", UTC, "2024-05-01T13:45:00.000000Z"),
        ("2024-05-01 08:45:00-0500", CHICAGO, "2024-05-01T13:45:00.000000Z"),
        ("2024-05-01 08:45:00.123456", CHICAGO, "2024-05-01T13:45:00.123456Z"),  # naive: configured zone (CDT)
        ("2024-01-15", CHICAGO, "2024-01-15T06:00:00.000000Z"),  # a bare date is midnight local, not an offset
        ("2024-03-10 02:30:00", CHICAGO, "2024-03-10T08:00:00.000000Z"),  # skipped by DST: moves forward
        ("2024-11-03 01:30:00", CHICAGO, "2024-11-03T07:30:00.000000Z"),  # repeated hour: standard time
    ],
)
def test_timestamps_become_fixed_width_utc_text(raw: str, zone: ZoneInfo, expected: str) -> None:
    text, unparseable = normalise_timestamps(pd.Series([raw]), zone)
    assert text.tolist() == [expected]
    assert not unparseable.any()


def test_mixed_formats_compare_correctly_as_text() -> None:
    text, _ = normalise_timestamps(pd.Series(["2024-05-01T14:00:00+02:00", "2024-05-01 12:30:00"]), UTC)
    # 12:00Z < 12:30Z although the raw strings sort the other way.
    assert text[0] < text[1]


def test_datetime_values_from_drivers_are_normalised() -> None:
    aware = pd.Series(pd.to_datetime(["2024-05-01 15:45:00.5"]).tz_localize("Europe/Berlin"))
    naive = pd.Series(pd.to_datetime(["2024-05-01 08:45:00"]))
    assert normalise_timestamps(aware, UTC)[0].tolist() == ["2024-05-01T13:45:00.500000Z"]
    assert normalise_timestamps(naive, CHICAGO)[0].tolist() == ["2024-05-01T13:45:00.000000Z"]


def _chunk(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "id": ["A"], "owner": ["SMITH JOHN"], "use_code": ["001"], "acres": [1.0],
        "assessed_value": [100.0], "last_updated": ["2024-01-01 00:00:00"],
    }
    base.update(columns)
    size = max(len(v) for v in base.values())
    return pd.DataFrame({k: v * size if len(v) == 1 else v for k, v in base.items()})


def test_bad_rows_are_rejected_with_every_reason() -> None:
    chunk = validate_chunk(
        _chunk(id=["A", None, "C", "D"], acres=[1.0, 2.0, "abc", -3.0], last_updated=["2024-01-01", "2024-01-01", "soon", None]),
        UTC,
    )
    assert chunk.valid["id"].tolist() == ["A"]
    reasons = dict(zip(chunk.rejected["id"].fillna("?"), chunk.rejected["reason"], strict=True))
    assert reasons == {
        "?": "missing parcel id",
        "C": "acres is not a number ('abc'); last updated is not a date and time ('soon')",
        "D": "acres is negative ('-3.0')",
    }
    # The rejected rows keep the source's values as text.
    assert chunk.rejected.set_index("reason").loc["acres is negative ('-3.0')", "owner"] == "SMITH JOHN"


def test_missing_values_are_allowed_and_blanks_become_null() -> None:
    chunk = validate_chunk(_chunk(owner=["  "], assessed_value=[None], acres=[""], last_updated=[None]), UTC)
    valid = chunk.valid
    assert valid[["owner", "last_updated", "assessed_value", "acres"]].isna().all(axis=None)
    assert chunk.max_timestamp is None
    assert chunk.rejected.empty


def test_ids_keep_leading_zeros_and_numeric_ids_lose_the_decimal_point() -> None:
    assert validate_chunk(_chunk(id=[" 007-01 "]), UTC).valid["id"].tolist() == ["007-01"]
    numeric = pd.DataFrame({"id": [12.0, 13.0], "last_updated": ["2024-01-01", "2024-01-02"]})
    assert validate_chunk(numeric, UTC).valid["id"].tolist() == ["12", "13"]


def test_rows_before_the_window_are_left_out_and_the_newest_time_is_reported() -> None:
    chunk = validate_chunk(
        _chunk(id=["old", "new", "undated"], last_updated=["2024-01-01 00:00", "2024-02-01 00:00", None]),
        UTC,
        since="2024-01-15T00:00:00.000000Z",
    )
    assert chunk.valid["id"].tolist() == ["new", "undated"]
    assert chunk.rows == 2
    assert chunk.max_timestamp == "2024-02-01T00:00:00.000000Z"
