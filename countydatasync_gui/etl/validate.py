"""Validate and normalise one chunk of source rows.

Each row comes out either normalised (ids as text, numbers as floats,
timestamps as UTC text) or rejected with a reason a clerk can act on. Nothing
is dropped silently. Work is vectorised: a chunk of 50,000 rows is a handful
of pandas calls, not a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import schema

# A timestamp string whose time of day carries its own offset ("Z", "+02:00", "-0500", "+02").
# The time must precede it, or the "-01" of a bare date "2024-06-01" would look like one.
# Spelled without \d and \s so pandas can hand it to pyarrow's RE2 engine: with them it
# falls back to Python's `re`, one call per row (0.7 s of a million-row sync).
_OFFSET_PATTERN = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?[ \t]*(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
# The form nearly every source writes, naive: "2025-09-26 12:11:56", "2025-09-26T12:11:56.5".
# Values in it take the fast path (`_parse_common_form`); every other form, the general one.
# Spelled with [0-9] for the same reason as `_OFFSET_PATTERN` (and it is as fast in RE2).
_COMMON_FORM = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?$"
# The moments whose text has a four-digit year (see `_utc_text`): from the first of year 0 to the last of 9999.
_FOUR_DIGIT_YEARS = (np.datetime64("0000-01-01T00:00:00", "us"), np.datetime64("10000-01-01T00:00:00", "us"))


@dataclass(frozen=True)
class ValidatedChunk:
    """The outcome of validating one chunk."""

    valid: pd.DataFrame  # columns schema.FIELDS, normalised
    rejected: pd.DataFrame  # columns schema.FIELDS as text, plus "reason"
    max_timestamp: str | None  # largest valid last_updated, UTC text
    rows: int  # rows considered (inside the sync's time window)


def validate_chunk(raw: pd.DataFrame, zone: ZoneInfo, since: str | None = None) -> ValidatedChunk:
    """Normalise a chunk whose columns are named after `schema.FIELDS` and split off the bad rows.

    Rows with a valid `last_updated` before `since` (UTC text) are left out
    altogether: a text-cursor source is read with a margin (see `source`), and
    those rows were loaded by an earlier sync.
    """
    problems = raw[schema.READ_PROBLEM].to_numpy(object) if schema.READ_PROBLEM in raw else None
    raw = raw.reindex(columns=list(schema.FIELDS)).reset_index(drop=True)
    # A row the source could not read properly (see `schema.READ_PROBLEM`) is rejected for that first.
    reasons = pd.Series("", index=raw.index, dtype=object)
    if problems is not None:
        problems = pd.Series(problems, index=raw.index, dtype=object)
        reasons = reasons.where(problems.isna(), problems.astype(str) + "; ")
    stamps, bad_stamps = normalise_timestamps(raw[schema.LAST_UPDATED], zone)
    if since is not None:
        inside = ~(stamps.notna() & (stamps < since))
        raw, stamps, bad_stamps, reasons = (s[inside].reset_index(drop=True) for s in (raw, stamps, bad_stamps, reasons))
    clean = pd.DataFrame(index=raw.index)

    # -- Parcel id: text, trimmed; a missing id cannot be matched to anything.
    ids = as_text(raw[schema.ID])
    reasons = _add_reason(reasons, ids.isna(), "missing parcel id")
    clean[schema.ID] = ids

    # -- Text fields: trimmed, blanks become NULL (a blank owner is flagged later, not rejected).
    for name in schema.TEXT_FIELDS:
        clean[name] = as_text(raw[name])

    # -- Numbers: must parse and must not be negative; NULL is allowed (roads and water often have no value).
    for name in schema.NUMERIC_FIELDS:
        numbers, unparseable = _numbers(raw[name])
        label = schema.LABELS[name].lower()
        reasons = _add_reason(reasons, unparseable, f"{label} is not a number", raw[name])
        reasons = _add_reason(reasons, numbers < 0, f"{label} is negative", raw[name])
        clean[name] = numbers

    # -- Timestamps: one UTC text form, whatever format and zone the source used.
    reasons = _add_reason(reasons, bad_stamps, "last updated is not a date and time", raw[schema.LAST_UPDATED])
    clean[schema.LAST_UPDATED] = stamps

    bad = reasons != ""
    # Rejected rows keep the source's values as text, exactly as they were read.
    rejected = raw[bad].astype(object).map(lambda v: None if pd.isna(v) else str(v)).astype(object)
    rejected["reason"] = reasons[bad].str.removesuffix("; ")
    valid_stamps = stamps[~bad_stamps].dropna()
    return ValidatedChunk(
        valid=clean.loc[~bad, list(schema.FIELDS)].reset_index(drop=True),
        rejected=rejected.reset_index(drop=True),
        max_timestamp=valid_stamps.max() if len(valid_stamps) else None,
        rows=len(raw),
    )


def normalise_timestamps(values: pd.Series, zone: ZoneInfo) -> tuple[pd.Series, pd.Series]:
    """Convert timestamps of any ISO-8601 form to fixed-width UTC text.

    Values with an offset are converted; naive values are read in `zone`
    (in the repeated hour of a DST change, standard time is assumed; a time
    skipped by DST moves forward). Microseconds are kept. Returns the text
    (missing where missing or unparseable) and a mask of unparseable values.
    """
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        # The driver already gave us datetimes (PostgreSQL timestamp / timestamptz).
        missing = values.isna()
        parsed = _to_utc(values.astype("datetime64[us]" if values.dt.tz is None else "datetime64[us, UTC]"), zone)
    else:
        stripped = values.astype(str).str.strip()
        missing = values.isna() | (stripped == "")
        text = stripped[~missing]
        # Most sources write one naive form: parsed by Arrow; every other form by pandas, as before.
        moments = _parse_common_form(text)
        common = moments.notna()
        if common.any():
            parsed[text.index[common]] = _to_utc(moments[common], zone)
        text = text[~common]
        aware = text.str.contains(_OFFSET_PATTERN, regex=True)
        if aware.any():
            parsed[text.index[aware]] = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        if (~aware).any():
            naive = pd.to_datetime(text[~aware], format="ISO8601", errors="coerce")
            parsed[text.index[~aware]] = _to_utc(naive, zone)
    return _utc_text(parsed), parsed.isna() & ~missing


def _parse_common_form(text: pd.Series) -> pd.Series:
    """`text` values in `_COMMON_FORM` as naive datetimes, parsed by Arrow; NaT for the rest.

    Arrow's ISO-8601 cast (with the match) reads that form twice as fast as
    `pd.to_datetime(format="ISO8601")` (with the offset search), to the same
    microsecond. It refuses an
    impossible date or time (Feb 30, 24:00, a leap second) as pandas does, but
    by failing the whole cast: then no value is taken here, and the general path
    reads them all (and rejects the impossible one).
    """
    moments = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    strings = pa.array(text.array)
    common = pc.fill_null(pc.match_substring_regex(strings, _COMMON_FORM), False).to_numpy(zero_copy_only=False)
    if common.any():
        try:
            moments[common] = pc.cast(strings.filter(pa.array(common)), pa.timestamp("us")).to_numpy()
        except pa.ArrowInvalid:
            pass
    return pd.Series(moments, index=text.index)


def _utc_text(moments: pd.Series) -> pd.Series:
    """UTC datetimes as fixed-width text "YYYY-MM-DDTHH:MM:SS.ffffffZ" (missing where NaT)."""
    naive = moments.dt.tz_localize(None).to_numpy("datetime64[us]")
    present = naive[~np.isnat(naive)]
    first, after_last = _FOUR_DIGIT_YEARS
    if not len(present) or (present.min() >= first and present.max() < after_last):
        # Arrow's cast writes "YYYY-MM-DD HH:MM:SS.ffffff" (always six digits for microseconds),
        # 4x faster than numpy's datetime_as_string; with a four-digit year the space is character 10.
        text = pc.cast(pa.array(naive), pa.string())
        text = pc.binary_join_element_wise(pc.binary_replace_slice(text, 10, 11, "T"), "Z", "")
        return text.to_pandas().set_axis(moments.index)
    # A year outside 0-9999 (only a driver's datetime can have one): numpy writes any year.
    as_text = pd.Series(np.datetime_as_string(naive, unit="us"), index=moments.index)
    return (as_text + "Z").where(moments.notna(), None)


#: Naive times from here on may fall past the year 9999 in UTC (the zone's offset added), which
#: localising cannot handle; they become unparseable instead ("9999-12-31" as "never" is seen in rolls).
_LAST_SAFE_NAIVE = pd.Timestamp("9999-12-31")


def _to_utc(moments: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Localise naive datetimes in `zone` (aware ones pass through) and convert to UTC (NaT past the year 9999)."""
    if moments.dt.tz is None:
        moments = moments.where(moments < _LAST_SAFE_NAIVE)
        moments = moments.dt.tz_localize(
            zone, ambiguous=np.zeros(len(moments), dtype=bool), nonexistent="shift_forward"
        )
    return moments.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def as_text(values: pd.Series) -> pd.Series:
    """Values as trimmed text; NULL and blanks become missing. Whole floats lose their '.0' (ids read as numbers).

    Text that came in Arrow (ADBC, CSV, pandas' own str) stays in Arrow, missing as its dtype's NA; other
    values come out as Python strings and None.
    """
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        # Trimmed and blanked in Arrow (the kernel pandas' Arrow-backed `.str.strip()` below runs too) and
        # left there: no Python string per value, and staging hands the column to ADBC without a copy.
        text = pc.utf8_trim_whitespace(pa.array(values.array))
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
        return pd.Series(pd.arrays.ArrowStringArray(text, dtype=values.dtype), index=values.index, name=values.name)
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values % 1 == 0)
        values = values.astype(object).where(~whole, values[whole].astype("int64").astype(str))
    present = values.notna()
    text = values.where(present).astype("string").str.strip()  # vectorised: no Python call per value
    return text.astype(object).where(present & (text != ""), None)


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Values as floats, and a mask of values present but not numbers (blank text counts as missing)."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("float64")
        # NULL (NaN) is allowed; only an infinity is present but not a number.
        return numbers, pd.Series(np.isinf(numbers.to_numpy()), index=values.index)
    present = values.notna() & (values.astype(str).str.strip() != "")
    numbers = pd.to_numeric(values.where(present), errors="coerce").astype("float64")
    unparseable = present & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
    return numbers.where(~unparseable), unparseable


def _add_reason(reasons: pd.Series, mask: pd.Series, reason: str, raw: pd.Series | None = None) -> pd.Series:
    """Append `reason` (with the offending value, if given) to the rows in `mask`."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return reasons
    if raw is None:
        addition = pd.Series(f"{reason}; ", index=reasons.index[mask])
    else:
        addition = f"{reason} ('" + raw[mask].astype(str) + "'); "
    return reasons.where(~mask, reasons + addition.reindex(reasons.index, fill_value=""))
