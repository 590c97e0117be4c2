"""What a sync reads from and how it judges changes.

Plain frozen dataclasses, so the CLI, the desktop app and the tests build them
the same way. Source column names are mapped onto the fields in `schema`
(see `mapping` for the declarative conversions a mapping may ask for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from . import schema
from .errors import SyncError
from .mapping import ColumnSpec, parse_mapping
from .use_codes import DEFAULT_CODE_TABLE

DEFAULT_TABLE = "parcels"
DEFAULT_LOOKBACK = timedelta(hours=1)
DEFAULT_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Thresholds:
    """When a change is flagged for a second look, and when a full refresh needs an override."""

    value_change: float = 0.50  # assessed value moves by more than 50 %
    acreage_change: float = 0.25  # acreage moves by more than 25 %
    mass_delete: float = 0.05  # a full refresh would delete more than 5 % of the parcels


def _identity_columns() -> Mapping[str, str]:
    return MappingProxyType({name: name for name in schema.FIELDS})


@dataclass(frozen=True)
class SourceSettings:
    """The county's source table and how to read it."""

    url: str
    table: str = DEFAULT_TABLE
    schema_name: str | None = None
    #: our field name -> source column name, or a `mapping.ColumnSpec` (or its TOML
    #: table form) for several columns or a conversion; optional fields may be left
    #: out, and so may `last_updated`: changes are then found by content.
    columns: Mapping[str, str | ColumnSpec | Mapping[str, object]] = field(default_factory=_identity_columns)
    #: time zone of timestamps stored without an offset
    timezone: str = "UTC"
    #: margin re-read before the watermark, for rows committed late
    lookback: timedelta = DEFAULT_LOOKBACK
    #: which land-use code table judges codes and names them in stats (see `use_codes`)
    code_table: str = DEFAULT_CODE_TABLE
    #: the preset the mapping came from, for display only
    preset: str | None = None
    #: how to read a file source: a CSV's `delimiter`, `quote`, `encoding` and `header_row`
    #: ([source.csv] in config.toml); detected from the file when left out
    file_options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    #: found at run time (keyring, environment, prompt); never in repr, logs or files
    password: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A password typed into the address moves to `password`, so no repr, log line
        # or saved file built from `url` can ever carry it.
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            return  # not an address at all: Source says so in plain words
        if parsed.password is not None:
            object.__setattr__(self, "url", parsed._replace(password=None).render_as_string(hide_password=False))
            if self.password is None:
                object.__setattr__(self, "password", str(parsed.password))

    def specs(self) -> dict[str, ColumnSpec]:
        """The mapping, parsed (raises `errors.MappingError` if it cannot be understood)."""
        return parse_mapping(self.columns)

    @property
    def is_default_layout(self) -> bool:
        """True if the columns are the default (our own field names), as in the demo county."""
        return dict(self.columns) == dict(_identity_columns())

    @property
    def has_timestamp(self) -> bool:
        """True if a last-updated column is mapped; without one, changes are detected by content hash."""
        return bool(self.columns.get(schema.LAST_UPDATED))

    def zone(self) -> ZoneInfo:
        """The configured time zone, or a clear error if the name is unknown."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SyncError(
                f"The time zone '{self.timezone}' is not known. Use a name such as 'America/Chicago' or 'UTC'.",
                details=repr(exc),
            ) from exc


@dataclass(frozen=True)
class SyncSettings:
    """Everything one sync needs besides the data folder."""

    source: SourceSettings
    thresholds: Thresholds = field(default_factory=Thresholds)
    chunk_rows: int = DEFAULT_CHUNK_ROWS
