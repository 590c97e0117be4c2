"""Words and numbers as a clerk reads them: local times, "3 hours ago", thousands separators."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..etl import schema
from ..etl.timeutil import from_utc_text

if TYPE_CHECKING:
    from ..etl.session import Counts

MONEY_FIELDS = frozenset({"assessed_value", "land_value", "improvement_value"})
TIME_FIELDS = frozenset({schema.LAST_UPDATED, "started_at", "finished_at", "last_success_at", "watermark",
                         "watermark_before", "watermark_after"})


def local_time(utc_text: str | None, *, seconds: bool = False) -> str:
    """UTC text written by the engine, shown in the computer's time zone ("2025-06-03 14:05")."""
    if not utc_text:
        return ""
    try:
        moment = from_utc_text(str(utc_text)).astimezone()
    except ValueError:
        return str(utc_text)  # not engine-written text (e.g. a rejected row's raw value): show as is
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def planned_when(utc_text: str, now: datetime | None = None) -> str:
    """When a sync was planned, as a clerk says it: "last night at 02:00", "today at 09:15", "on 2026-11-28 at 02:00"."""
    moment = from_utc_text(utc_text).astimezone()
    today = (now or datetime.now(timezone.utc)).astimezone().date()
    clock = moment.strftime("%H:%M")
    days_back = (today - moment.date()).days
    if (days_back == 0 and moment.hour < 6) or (days_back == 1 and moment.hour >= 18):
        return f"last night at {clock}"  # the scheduled run's usual hour, seen the morning after
    if days_back == 0:
        return f"today at {clock}"
    if days_back == 1:
        return f"yesterday at {clock}"
    return f"on {moment:%Y-%m-%d} at {clock}"


def time_ago(utc_text: str | None, now: datetime | None = None) -> str:
    """How long ago, in the words people use: "just now", "5 minutes ago", "3 days ago"."""
    if not utc_text:
        return ""
    now = now or datetime.now(timezone.utc)
    seconds = max(0, int((now - from_utc_text(utc_text)).total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def journal_field(column: str) -> tuple[str, str]:
    """The change journal's "old_owner" -> ("Old", "owner"); any other column -> ("", column)."""
    when, _, field = column.partition("_")
    if when in ("old", "new") and field in schema.LABELS:
        return when.capitalize(), field
    return "", column


def field_text(field: str, value: object) -> str:
    """One parcel field as shown in tables: money with $ and separators, times in local time."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    field = journal_field(field)[1]  # the journal's old and new values read like the field itself
    if field in TIME_FIELDS:
        return local_time(str(value))
    if field in ("mode", "status", "kind"):  # codes such as "first_sync", "nothing_to_do", the journal's "deleted"
        return str(value).replace("_", " ").capitalize()
    if field == "initial_load":  # a flag: 1 reads "Yes", 0 nothing
        return "Yes" if value else ""
    if field in MONEY_FIELDS and isinstance(value, (int, float)):
        return f"${value:,.0f}"
    if field == "acres" and isinstance(value, (int, float)):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def rejected_text(field: str, raw: object) -> str:
    """A rejected row's value, which the source wrote as text: formatted like `field_text` when it
    reads as a number ("271226.0" -> "$271,226") or an engine time, else exactly as written."""
    if raw is None:
        return ""
    text = str(raw)
    field = journal_field(field)[1]
    if field in MONEY_FIELDS or field == "acres":
        try:
            number = float(text)
        except ValueError:
            return text  # not a number: that is usually why the row was rejected
        return field_text(field, number) if math.isfinite(number) else text
    return field_text(field, text) if field in TIME_FIELDS else text


def changed_fields_text(names: object) -> str:
    """The journal's list of changed fields in the table's labels: "owner,last_updated" -> "Owner, Last updated"."""
    if not names:
        return ""
    return ", ".join(schema.LABELS.get(name, name) for name in str(names).split(","))


def csv_value(field: str, value: object) -> object:
    """A value for a CSV opened in Excel: numbers plain and without a useless ".0", times in local time."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    field = journal_field(field)[1]
    if field in TIME_FIELDS:
        return local_time(str(value), seconds=True)
    if field in schema.NUMERIC_FIELDS:
        try:
            number = float(str(value))
        except ValueError:
            return value  # a rejected row's text that is not a number: exactly as the county wrote it
        return int(number) if number.is_integer() else number
    return value


#: Bookkeeping column names in words (run history, journal, stats).
TITLES = {
    "run_id": "Run", "started_at": "Started", "finished_at": "Finished", "rows_read": "Rows read",
    "watermark_before": "Edits up to (before)", "watermark_after": "Edits up to", "parcel_id": "Parcel",
    "use_group": "Land-use group",
    "parcel_count": "Parcels", "acres": "Acres", "assessed_value": "Assessed value", "reason": "Why rejected",
    "touched": "Re-saved, same", "undoes": "Undoes run", "changed": "Changed", "flags": "Why flagged",
    "initial_load": "Initial load",
}
#: What a column means, in a header's tooltip (with the technical word a DBA looks for).
COLUMN_HINTS = {
    "touched": "Parcels the county saved again without changing anything (not loaded again).",
    "undoes": "For an undo: the run whose changes it took back.",
    "initial_load": "Yes: this run filled an empty parcels table. Its change journal lists only the parcels it "
                    "flagged or held back; undoing it empties the table. (Run history says so in Mode.)",
    "watermark_before": "How far the county's edits were loaded before this run (the watermark).",
    "watermark_after": "How far the county's edits are loaded after this run (the watermark).",
    "rows_read": "Rows read from the county's source by this run.",
}
MODE_WORDS = {"first_sync": "first sync: every parcel", "incremental": "changes since the last sync",
              "full_refresh": "full refresh: every parcel"}


def column_title(name: str, table: str | None = None) -> str:
    """A column name in words: "assessed_value" -> "Assessed value"; `id` names a parcel only in parcel tables."""
    if name == schema.ID and table not in (None, schema.WORKING_TABLE, "rejects"):
        return "No."
    when, field = journal_field(name)
    if when:
        return f"{when} {schema.LABELS[field].lower()}"
    return TITLES.get(name) or schema.LABELS.get(name) or name.replace("_", " ").capitalize()


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 parcel', '2,500 parcels'."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def counts_words(counts: Counts) -> str:
    """"12 new, 340 changed, 3 rejected": the classes that have rows, or "no changes"."""
    parts = [f"{n:,} {word}" for n, word in ((counts.new, "new"), (counts.changed, "changed"),
                                              (counts.deleted, "deleted"), (counts.rejected, "rejected"),
                                              (counts.flagged, "flagged")) if n]
    return ", ".join(parts) or "no changes"
