"""Validation and normalisation of source rows: nothing dropped silently, times compared correctly."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from countydatasync_gui.etl import validate
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


# -- The fast paths (Arrow) must give exactly what the general path (pandas, numpy) gives.

NEW_YORK = ZoneInfo("America/New_York")
FAST_PATH_ZONES = [UTC, NEW_YORK, ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe")]  # Kolkata: no DST, +05:30
# Local times at and around DST changes: New York's 2024 gap and repeated hour, its first DST (1918), a
# far-future gap (past the zone file's last transition), its switch from local mean time (1883, an
# offset with seconds), and Lord Howe's half-hour changes.
DST_EDGES = [
    "2024-03-10 01:59:59.999999", "2024-03-10 02:00:00", "2024-03-10 02:30:00", "2024-03-10 02:59:59.999999",
    "2024-03-10 03:00:00", "2024-11-03 00:59:59.999999", "2024-11-03 01:00:00", "2024-11-03 01:30:00.5",
    "2024-11-03 01:59:59.999999", "2024-11-03 02:00:00", "1918-03-31 02:30:00", "1918-10-27 01:30:00",
    "2100-03-14 02:30:00", "2100-11-07 01:30:00", "1883-11-18 12:00:00", "1883-11-18 12:03:58",
    "2024-04-07 01:45:00", "2024-10-06 02:15:00",
]
# The common form's limits: pre-1970 microseconds, the first and last years, the T separator, short fractions.
# (Not 9999-12-31: pandas cannot localise its evening west of UTC, on either path.)
COMMON_EDGES = [
    "1969-12-31 23:59:59.999999", "1970-01-01T00:00:00.000001", "1900-01-01 00:00:00.5", "0001-01-01 00:00:00",
    "0000-01-01 12:00:00", "9999-12-30 23:59:59.999999", "2024-02-29T12:00:00.1", "2024-05-01 13:45:00.12",
]
# Values the common form excludes: the general path reads (or rejects) them.
OTHER_FORMS = [
    "2024-05-01", "2024-05-01T13:45", "2024-05-01 13", "2024-05-01 13:45:00Z", "2024-05-01T13:45:00+02:00",
    "2024-05-01 08:45:00-0500", "2024-05-01 13:45:00.", " 2024-05-01 13:45:00\t",
    "2024-05-01t13:45:00", "2024-05-01 13:45:00,5", "soon", "", "   ", None, "2024-05-01  13:45:00",
    "on 2024-05-01 13:45:00", "12024-05-01 13:45:00",
]
UNPARSEABLE_FORMS = ["2024-05-01t13:45:00", "2024-05-01 13:45:00,5", "soon", "2024-05-01  13:45:00",
                     "on 2024-05-01 13:45:00", "12024-05-01 13:45:00"]
IMPOSSIBLE = ["2024-02-30 00:00:00", "2023-02-29 12:00:00", "2024-05-01 24:00:00", "2024-05-01 23:59:60"]


def _random_common_form(rng: np.random.Generator, count: int) -> list[str]:
    """Random moments from year 1 to 9999 (most of them 1900-2100), in the common form: either separator, 0-6 decimals."""
    low, high = (np.datetime64(d, "us").astype("int64") for d in ("1900-01-01", "2100-01-01"))
    first, last = (np.datetime64(d, "us").astype("int64") for d in ("0001-01-01", "9999-12-30"))
    recent = rng.integers(low, high, count)
    moments = np.where(rng.random(count) < 0.8, recent, rng.integers(first, last, count)).astype("datetime64[us]")
    texts = []
    for text, separator, decimals in zip(np.datetime_as_string(moments, unit="us"), rng.choice([" ", "T"], count),
                                         rng.integers(0, 7, count), strict=True):
        date, time = text.split("T")
        texts.append(f"{date}{separator}{time[:8]}" + (f"{time[8:9 + decimals]}" if decimals else ""))
    return texts


def _general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch both fast paths of `normalise_timestamps` off: pandas parses every value, numpy writes every text."""
    monkeypatch.setattr(validate, "_parse_common_form", lambda text: pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]"))
    never = np.datetime64("10000-01-01T00:00:00", "us")
    monkeypatch.setattr(validate, "_FOUR_DIGIT_YEARS", (never, never))


@pytest.mark.parametrize("zone", FAST_PATH_ZONES, ids=str)
@pytest.mark.parametrize("dtype", [object, "str"])
@pytest.mark.parametrize("impossible", [False, True], ids=["common", "with-impossible-date"])
def test_fast_timestamp_path_agrees_with_the_general_path(
    zone: ZoneInfo, dtype: object, impossible: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(15)
    common = _random_common_form(rng, 3000) + DST_EDGES + COMMON_EDGES
    mixed = common + OTHER_FORMS + (IMPOSSIBLE if impossible else [])
    values = pd.Series(rng.permutation(np.array(mixed, dtype=object)), index=np.arange(len(mixed)) * 3 + 7, dtype=dtype)
    # The fast path really is taken (for every common value), unless an impossible date sends all to pandas.
    taken = validate._parse_common_form(values.astype(str).str.strip().dropna()).notna().sum()
    assert taken == (0 if impossible else len(common) + 1)  # + 1: " 2024-05-01 13:45:00\t", once trimmed

    fast_text, fast_bad = normalise_timestamps(values, zone)
    if dtype == "str":  # Arrow-backed text in several chunks (as pandas concatenates it) reads the same
        parts = pd.concat([values.iloc[:1000], values.iloc[1000:]])
        assert parts.array._pa_array.num_chunks == 2
        pd.testing.assert_series_equal(validate._parse_common_form(parts), validate._parse_common_form(values))
    _general_path(monkeypatch)
    general_text, general_bad = normalise_timestamps(values, zone)
    pd.testing.assert_series_equal(fast_text, general_text)
    pd.testing.assert_series_equal(fast_bad, general_bad)
    assert sorted(values[fast_bad]) == sorted(UNPARSEABLE_FORMS + (IMPOSSIBLE if impossible else []))


@pytest.mark.parametrize("zone", [UTC, NEW_YORK], ids=str)
def test_fast_timestamp_path_agrees_beside_nanosecond_values(zone: ZoneInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    # More than six decimals make pandas parse the other forms in nanoseconds (truncated to microseconds later).
    # Nanoseconds hold only the years 1677-2262: outside them the general path then finds no date at all, while
    # the fast path reads a common-form value whatever its neighbours. So only those years are compared here.
    rng = np.random.default_rng(16)
    common = [t for t in _random_common_form(rng, 1000) if "1678" < t < "2262"] + DST_EDGES
    mixed = common + ["2024-05-01 13:45:00.1234567", "1969-12-31 23:59:59.123456789", "2024-05-01T13:45"]
    values = pd.Series(rng.permutation(np.array(mixed, dtype=object)), dtype="str")
    assert validate._parse_common_form(values).notna().sum() == len(common)
    fast = normalise_timestamps(values, zone)
    _general_path(monkeypatch)
    general = normalise_timestamps(values, zone)
    pd.testing.assert_series_equal(fast[0], general[0])
    pd.testing.assert_series_equal(fast[1], general[1])
    assert not fast[1].any()


@pytest.mark.parametrize("zone", FAST_PATH_ZONES, ids=str)
def test_fast_utc_text_agrees_with_numpy_for_driver_datetimes(zone: ZoneInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    # Year 1 read east of UTC is year 0 in UTC (still four digits); a timestamptz may be past year 9999 (numpy's text).
    local = pd.Series(pd.to_datetime(
        ["0001-01-01 01:00:00", "1969-12-31 23:59:59.999999", "2024-03-10 02:30:00", "2024-11-03 01:30:00", None],
        format="ISO8601").astype("datetime64[us]"))
    far = pd.Series(np.array(["10000-01-01T05:00:00", "NaT", "2024-01-01T00:00:00.5"], dtype="datetime64[us]"))
    for values in (local, local.dt.tz_localize("Europe/Berlin", nonexistent="shift_forward"), local.iloc[4:5],
                   far.dt.tz_localize("UTC"), far.iloc[1:]):
        fast = normalise_timestamps(values, zone)
        with monkeypatch.context() as patched:
            _general_path(patched)
            general = normalise_timestamps(values, zone)
        pd.testing.assert_series_equal(fast[0], general[0])
        pd.testing.assert_series_equal(fast[1], general[1])
    assert normalise_timestamps(far.dt.tz_localize("UTC"), zone)[0][0] == "10000-01-01T05:00:00.000000Z"


def test_blank_timestamps_give_the_same_text_type_as_real_ones() -> None:
    blank, _ = normalise_timestamps(pd.Series([None, " "], dtype=object), UTC)
    real, _ = normalise_timestamps(pd.Series(["2024-01-01 00:00:00"]), UTC)
    assert blank.isna().all()
    assert blank.dtype == real.dtype


def test_arrow_backed_and_object_chunks_validate_alike() -> None:
    """ADBC and CSV give Arrow-backed text, other sources Python objects: the same rows must come out the same."""
    chunk = _chunk(
        id=[" 01-1 ", "01-2", "", None, "01-5", "01-6"],
        owner=["  SMITH ", "", None, "X\u00a0", "\tY", "Z"],
        use_code=["001", " ", "002", "003", None, "004"],
        site_address=["1 MAIN ST", None, "  ", "2 MAIN", "3 MAIN", "\u30004 MAIN"],
        acres=[1.0, 2.0, 3.0, -1.0, 4.0, 5.0],
        last_updated=["2024-03-10 02:30:00", "2024-11-03T01:30:00.25", "soon", "2024-05-01", None, " 2024-01-01 00:00:00 "],
    )
    text_fields = ["id", "owner", "use_code", "site_address", "last_updated"]
    as_objects = validate_chunk(chunk.astype({f: object for f in text_fields}), NEW_YORK)
    as_arrow = validate_chunk(chunk.astype({f: "str" for f in text_fields}), NEW_YORK)
    in_chunks = validate_chunk(pd.concat([chunk.iloc[:2], chunk.iloc[2:]]).astype({f: "str" for f in text_fields}), NEW_YORK)
    assert isinstance(chunk.astype({"id": "str"})["id"].array, pd.arrays.ArrowStringArray)
    # Arrow text stays in Arrow (missing as its NA), other text is Python strings (missing as None): the same values.
    assert isinstance(as_arrow.valid["owner"].array, pd.arrays.ArrowStringArray)
    as_objects_too = as_arrow.valid.copy()
    for field in ("id", "owner", "use_code", "site_address"):  # (timestamps are Arrow text either way)
        as_objects_too[field] = as_objects_too[field].astype(object).where(as_objects_too[field].notna(), None)
    pd.testing.assert_frame_equal(as_objects_too, as_objects.valid)
    pd.testing.assert_frame_equal(as_arrow.rejected, as_objects.rejected)
    pd.testing.assert_frame_equal(in_chunks.valid, as_arrow.valid)
    assert as_arrow.valid["owner"].astype(object).replace({np.nan: None}).tolist() == ["SMITH", None, "Y", "Z"]
    assert as_arrow.valid["id"].tolist() == ["01-1", "01-2", "01-5", "01-6"]


def test_an_infinite_number_is_rejected_and_a_missing_one_allowed() -> None:
    """Whether read as numbers (ADBC, drivers) or as text (files): NULL is allowed, infinity is not a number."""
    for acres in ([1.0, float("nan"), float("inf")], ["1.0", None, "inf"]):
        chunk = validate_chunk(_chunk(id=["A", "B", "C"], acres=acres), UTC)
        assert chunk.valid["id"].tolist() == ["A", "B"]
        assert chunk.rejected["reason"].tolist() == ["acres is not a number ('inf')"]


@pytest.mark.parametrize("as_datetimes", [False, True])
def test_the_last_day_of_9999_is_rejected_not_a_crash_west_of_utc(as_datetimes: bool) -> None:
    # Some rolls write 9999-12-31 for "never"; in New York its evening is in the year 10000 in UTC.
    stamps = pd.Series(["9999-12-31 23:00:00", "9999-12-30 23:59:59", "2024-01-01 00:00:00"])
    raw = pd.DataFrame({"id": ["1", "2", "3"], "owner": "A", "use_code": "001", "acres": 1.0, "assessed_value": 1.0,
                        "last_updated": pd.to_datetime(stamps) if as_datetimes else stamps})

    chunk = validate_chunk(raw, ZoneInfo("America/New_York"))

    assert chunk.valid["last_updated"].tolist() == ["9999-12-31T04:59:59.000000Z", "2024-01-01T05:00:00.000000Z"]
    assert chunk.rejected["id"].tolist() == ["1"]
    assert chunk.rejected["reason"].iloc[0].startswith("last updated is not a date and time ('9999-12-31 23:00:00")
