"""What a sync reads from and how it judges changes.

Plain frozen dataclasses, so the CLI, the desktop app and the tests build them
the same way. Source column names are mapped onto the fields in `schema`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import schema
from .errors import SyncError

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
    #: our field name -> source column name; optional fields may be left out.
    columns: Mapping[str, str] = field(default_factory=_identity_columns)
    #: time zone of timestamps stored without an offset
    timezone: str = "UTC"
    #: margin re-read before the watermark, for rows committed late
    lookback: timedelta = DEFAULT_LOOKBACK

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
