"""The column mapping: which source column(s) feed each of our fields, and how to convert them.

A mapping is declarative so a DBA can write it in `config.toml` and no code
ever comes from configuration:

    id = "PARCELID"                                          # one column, taken as it is
    acres = { columns = ["ASSDACRES", "GISACRES"], convert = "number" }  # first non-blank, text -> number
    acres = { column = "LND_SQFOOT", convert = "sqft_to_acres" }
    use_code = { column = "PROPCLASS", convert = "first_code" }          # "1,4" -> "1"

Conversions are picked by name from `CONVERSIONS`; a value a conversion cannot
read is passed through unchanged, so validation rejects the row with the
source's own value as the reason instead of it vanishing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from . import schema
from .errors import MappingError

SQUARE_FEET_PER_ACRE = 43_560.0


# ---------------------------------------------------------------------------
# Conversions: name -> (words for screens, vectorised function over one column)
# ---------------------------------------------------------------------------
def _as_text(values: pd.Series) -> pd.Series:
    """Values as trimmed text (whole floats without '.0'); missing and blank become None."""
    def one(value: object) -> str | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None

    return _objects(values.map(one))


def _objects(values: pd.Series) -> pd.Series:
    """An object Series with None for missing (pandas 3 would otherwise infer a str dtype with NaN)."""
    values = values.astype(object)
    return values.where(values.notna(), None)


def _to_number(values: pd.Series) -> pd.Series:
    """Numbers stored as text ("12,500", " 3.5 ", "$1,200") -> floats; unreadable text passes through."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    text = _as_text(values)
    cleaned = text.map(lambda v: v.replace(",", "").replace("$", "").strip() if isinstance(v, str) else v)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    unreadable = cleaned.notna() & numbers.isna()
    if not unreadable.any():
        return numbers.astype("float64")
    return numbers.astype(object).where(~unreadable, text)


def _sqft_to_acres(values: pd.Series) -> pd.Series:
    """Square feet -> acres (Florida NAL's LND_SQFOOT / 43,560)."""
    numbers = _to_number(values)
    if numbers.dtype == "float64":
        return numbers / SQUARE_FEET_PER_ACRE
    readable = numbers.map(lambda v: isinstance(v, float))
    return numbers.where(~readable, numbers[readable].astype(float) / SQUARE_FEET_PER_ACRE)


def _first_code(values: pd.Series) -> pd.Series:
    """The first code of a comma-separated list (Wisconsin's PROPCLASS "1,4" -> "1")."""
    return _objects(_as_text(values).map(lambda v: (v.split(",")[0].strip() or None) if isinstance(v, str) else None))


def _code3(values: pd.Series) -> pd.Series:
    """Numeric codes padded to three digits (Florida DOR_UC stored as a number: 1 -> "001")."""
    return _objects(_as_text(values).map(lambda v: v.zfill(3) if isinstance(v, str) and v.isdigit() else v))


CONVERSIONS: dict[str, tuple[str, Callable[[pd.Series], pd.Series]]] = {
    "number": ("number stored as text", _to_number),
    "sqft_to_acres": ("square feet to acres (/ 43,560)", _sqft_to_acres),
    "first_code": ("first code of a comma-separated list", _first_code),
    "code3": ("code padded to three digits", _code3),
}


# ---------------------------------------------------------------------------
# One field's mapping
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnSpec:
    """Where one of our fields comes from: the first non-blank of `columns`, then `convert`."""

    columns: tuple[str, ...]
    convert: str | None = None

    @classmethod
    def parse(cls, field: str, value: object) -> ColumnSpec:
        """Read a spec as written in TOML: a column name, or a table with `column`/`columns` and `convert`."""
        if isinstance(value, ColumnSpec):
            return value
        if isinstance(value, str):
            return cls((value,))
        if isinstance(value, Mapping):
            unknown = set(value) - {"column", "columns", "convert"}
            raw = value.get("columns", value.get("column"))
            columns = (raw,) if isinstance(raw, str) else tuple(raw or ())
            convert = value.get("convert")
            if not unknown and columns and all(isinstance(c, str) and c for c in columns):
                if convert is not None and convert not in CONVERSIONS:
                    raise MappingError(
                        f"The mapping for {_label(field)} asks for the conversion '{convert}', which CountyDataSync "
                        f"does not know. Use one of: {', '.join(CONVERSIONS)}."
                    )
                return cls(columns, convert)
        raise MappingError(
            f"The mapping for {_label(field)} should be a column name, or a table such as "
            '{ column = "LND_SQFOOT", convert = "sqft_to_acres" }.',
            details=repr(value),
        )

    def to_toml(self) -> str | dict[str, object]:
        """The spec as it is written in `config.toml` (the short form when it is just one column)."""
        if len(self.columns) == 1 and self.convert is None:
            return self.columns[0]
        written: dict[str, object] = {"column": self.columns[0]} if len(self.columns) == 1 else {"columns": list(self.columns)}
        if self.convert:
            written["convert"] = self.convert
        return written

    def describe(self) -> str:
        """The spec in words, e.g. "ASSDACRES, else GISACRES (number stored as text)"."""
        words = ", else ".join(self.columns)
        return f"{words} ({CONVERSIONS[self.convert][0]})" if self.convert else words


def _label(field: str) -> str:
    return schema.LABELS.get(field, field).lower()


def parse_mapping(columns: Mapping[str, object]) -> dict[str, ColumnSpec]:
    """A whole mapping (our field -> spec); unknown field names and bad specs raise `MappingError`."""
    unknown = [name for name in columns if name not in schema.FIELDS]
    if unknown:
        raise MappingError(
            f"The mapping names {', '.join(repr(u) for u in unknown)}, which "
            f"{'is not one of our fields' if len(unknown) == 1 else 'are not our fields'}. "
            f"Map these fields: {', '.join(schema.FIELDS)}."
        )
    specs = {name: ColumnSpec.parse(name, value) for name, value in columns.items() if value not in ("", None)}
    stamp = specs.get(schema.LAST_UPDATED)
    if stamp is not None and (len(stamp.columns) > 1 or stamp.convert):
        raise MappingError("The last-updated time must come from one column, without a conversion.")
    return specs


def identity_mapping() -> dict[str, ColumnSpec]:
    """Every field from the source column of the same name (the demo county's layout)."""
    return {name: ColumnSpec((name,)) for name in schema.FIELDS}


# ---------------------------------------------------------------------------
# Against a real table: resolve names, report problems, convert rows
# ---------------------------------------------------------------------------
def resolve(
    specs: Mapping[str, ColumnSpec], available: Iterable[str], *, strict_optional: bool = True
) -> tuple[dict[str, ColumnSpec], list[str]]:
    """Match the mapping's column names to the table's, and list what is wrong in plain words.

    An exact name wins; otherwise a name differing only in case is accepted
    (PostgreSQL folds unquoted names to lower case, so PARCELID becomes parcelid).
    Required fields without a column are problems, except the last-updated time:
    without it changes are found by comparing content. With `strict_optional`
    off (the default layout, which nobody chose column by column), optional
    fields whose column is missing are simply left out.
    """
    names = list(available)
    by_lower: dict[str, list[str]] = {}
    for name in names:
        by_lower.setdefault(name.lower(), []).append(name)
    resolved: dict[str, ColumnSpec] = {}
    problems: list[str] = []
    for field in schema.REQUIRED_FIELDS:
        if field not in specs and field != schema.LAST_UPDATED:
            problems.append(f"no column is chosen for {_label(field)}")
    for field, spec in specs.items():
        found: list[str] = []
        for column in spec.columns:
            matches = [column] if column in names else by_lower.get(column.lower(), [])
            if len(matches) == 1:
                found.append(matches[0])
            elif strict_optional or field in schema.REQUIRED_FIELDS:
                problems.append(f"the table has no column '{column}' (for {_label(field)})")
        if len(found) == len(spec.columns):
            resolved[field] = ColumnSpec(tuple(found), spec.convert)
    return resolved, problems


def source_columns(specs: Mapping[str, ColumnSpec]) -> list[str]:
    """The source columns a mapping reads, each once, in a stable order."""
    return list(dict.fromkeys(column for spec in specs.values() for column in spec.columns))


def apply(raw: pd.DataFrame, specs: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    """Turn a chunk named after source columns into one named after our fields (converted)."""
    out = pd.DataFrame(index=raw.index)
    for field, spec in specs.items():
        values = raw[spec.columns[0]]
        for column in spec.columns[1:]:
            # First non-blank wins: blank text counts as missing, like NULL.
            blank = values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())
            values = values.astype(object).where(~blank, raw[column])
        out[field] = CONVERSIONS[spec.convert][1](values) if spec.convert else values
    return out
