"""The parcel record's fields, in one place, and the small records every layer shares.

Every other module takes column names from here, so the column-mapping work
for real county schemas only has to translate a source's names into these.
The records at the end (how a run ended, its counts, where syncs stand, the
review's classes) live here too because this module imports neither pandas
nor SQLAlchemy: the desktop app's window uses them before either is loaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum

from .timeutil import from_utc_text

# Parcel id: always text, so dashes and leading zeros survive ("01-0042").
ID = "id"
LAST_UPDATED = "last_updated"

#: Fields a source must provide.
REQUIRED_FIELDS: tuple[str, ...] = (ID, "owner", "use_code", "acres", "assessed_value", LAST_UPDATED)
#: Fields a source may provide; missing ones are stored as NULL.
OPTIONAL_FIELDS: tuple[str, ...] = ("site_address", "land_value", "improvement_value")
#: All fields, in the order of the working table.
FIELDS: tuple[str, ...] = REQUIRED_FIELDS + OPTIONAL_FIELDS
#: not a field: a source may add it to a row it could not read properly (a ragged line of a file);
#: validation rejects the row with its text as the reason
READ_PROBLEM = "_read_problem"

TEXT_FIELDS: tuple[str, ...] = ("owner", "use_code", "site_address")
NUMERIC_FIELDS: tuple[str, ...] = ("acres", "assessed_value", "land_value", "improvement_value")
#: Fields a change records old and new values of (everything but the id).
VALUE_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f != ID)
#: Fields compared to decide whether a parcel changed: everything but the id and the
#: cursor. A county system that re-saves a row without changing it (a nightly job, an
#: undone edit) moves only `last_updated`: that is a touch, not a change.
CONTENT_FIELDS: tuple[str, ...] = tuple(f for f in VALUE_FIELDS if f != LAST_UPDATED)

#: Words a clerk reads for each field (review table headers, messages).
LABELS: dict[str, str] = {
    ID: "Parcel",
    "owner": "Owner",
    "use_code": "Land use",
    "acres": "Acres",
    "assessed_value": "Assessed value",
    LAST_UPDATED: "Last updated",
    "site_address": "Site address",
    "land_value": "Land value",
    "improvement_value": "Improvement value",
}

WORKING_TABLE = "working"
STATS_TABLE = "stats"
WORKING_DB_FILE = "working_db.sqlite"
STATS_DB_FILE = "stats_db.sqlite"

#: Each field's SQLite type (the working table's `id` is also its primary key).
SQL_TYPES = {ID: "TEXT", LAST_UPDATED: "TEXT"}
SQL_TYPES.update({f: "TEXT" for f in TEXT_FIELDS})
SQL_TYPES.update({f: "REAL" for f in NUMERIC_FIELDS})


def column_definitions(*, primary_key: bool = True, prefix: str = "") -> str:
    """SQL column definitions for the parcel fields in working-table order.

    `primary_key=False` drops the key on `id` (staging tables may hold duplicates);
    `prefix` names the columns `<prefix><field>` (e.g. the old values in a change set).
    """
    types = dict(SQL_TYPES)
    if primary_key:
        types[ID] = "TEXT PRIMARY KEY NOT NULL"
    return ", ".join(f"{prefix}{name} {types[name]}" for name in FIELDS)


class ChangeKind(StrEnum):
    """What an applied change does to a parcel, as stored in `changes.kind` and `journal.kind`."""

    NEW = "new"
    CHANGED = "changed"
    DELETED = "deleted"

    @property
    def sql(self) -> str:
        """The kind as an SQL text literal, for queries that compare the stored column."""
        return f"'{self.value}'"


#: `changes.kind` and `journal.kind` of a parcel a clerk held back: offered, not applied
#: (not a `ChangeKind`: it changes nothing; the `held` table keeps the kind it would have had).
HELD = "held"


class ReviewClass(StrEnum):
    """The classes a clerk can look at in the review: each change kind, the rejected rows, the flagged changes."""

    NEW = ChangeKind.NEW.value
    CHANGED = ChangeKind.CHANGED.value
    DELETED = ChangeKind.DELETED.value
    REJECTED = "rejected"
    FLAGGED = "flagged"


#: The review's classes, in the order the review offers them.
KINDS = tuple(ReviewClass)


@dataclass(frozen=True)
class Counts:
    """How many source rows fell into each class."""

    rows_read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0  # touched rows included
    touched: int = 0  # unchanged rows the county re-saved: only last_updated moved
    deleted: int = 0
    rejected: int = 0
    flagged: int = 0
    held: int = 0  # offered, but held back by the clerk at commit (not in new, changed or deleted)

    @property
    def to_apply(self) -> int:
        """Rows a commit writes to or removes from the working table."""
        return self.new + self.changed + self.deleted

    def as_dict(self) -> dict[str, int]:
        """The counts by name (for JSON and run history)."""
        return asdict(self)


class RunStatus(StrEnum):
    """How a run ended, as stored in `runs.status` (a str, so it reads and compares as the stored text)."""

    COMMITTED = "committed"
    NOTHING_TO_DO = "nothing_to_do"
    DISCARDED = "discarded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def successful(self) -> bool:
        """True for the statuses that count as a successful sync (the watermark moved or was confirmed)."""
        return self in SUCCESSFUL


#: Statuses of successful syncs.
SUCCESSFUL = (RunStatus.COMMITTED, RunStatus.NOTHING_TO_DO)


@dataclass(frozen=True)
class SyncState:
    """Where incremental syncs stand (the `sync_state` row of working_db.sqlite)."""

    watermark: str | None = None  # largest source last_updated loaded so far (UTC text)
    last_success_at: str | None = None  # when the last successful sync finished (UTC text, local clock)
    last_run_id: int | None = None
    source: str | None = None  # identity of the source the folder was filled from

    @property
    def watermark_time(self) -> datetime | None:
        """The watermark as an aware datetime."""
        return from_utc_text(self.watermark) if self.watermark else None
