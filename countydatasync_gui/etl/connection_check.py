""""Test connection" for the settings screen: connect, list tables and columns, check the mapping.

    report = test_connection(settings.source)
    report.ok, report.message          # one plain sentence for the screen
    report.tables, report.columns      # for the table and column drop-downs
    report.problems, report.notes      # what is missing or worth knowing, in plain words

It only reads (a sample of rows at most) and never raises for an expected
failure: an unreachable server, a refused password or a missing table all come
back as a report, so the screen has one thing to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import mapping, schema
from .errors import SyncError
from .settings import SourceSettings
from .errors import LoginRefused
from .file_source import FileSource
from .source import describe_url
from .sources import AnySource, open_source
from .validate import validate_chunk

SAMPLE_ROWS = 200
PREVIEW_ROWS = 5  # rows of a file shown on the settings screen


@dataclass(frozen=True)
class ConnectionReport:
    """What a connection test found."""

    ok: bool  # connected, table found, mapping complete: a sync can run
    connected: bool
    message: str  # one plain sentence summing up
    tables: list[str] = field(default_factory=list)  # tables and views in the schema
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, SQL type) of the chosen table
    problems: list[str] = field(default_factory=list)  # what stops a sync, in plain words
    notes: list[str] = field(default_factory=list)  # worth knowing, does not stop a sync
    password_rejected: bool = False  # the server refused the login: point the screen at the password
    details: str | None = None  # the technical cause, for a "Details" button
    # A file's first rows as it holds them (every column of its header, values as text), for the screen
    # to show beside the mapping; empty for databases.
    sample_columns: list[str] = field(default_factory=list)
    sample_rows: list[list[str]] = field(default_factory=list)


def test_connection(settings: SourceSettings, sample_rows: int = SAMPLE_ROWS) -> ConnectionReport:
    """Connect to the source, list its tables and the chosen table's columns, and check the mapping."""
    source_words = describe_url(settings.url) if _parses(settings.url) else settings.url
    try:
        source = open_source(settings)
        tables, columns = source.catalogue()
    except SyncError as exc:
        return ConnectionReport(
            ok=False, connected=False, message=exc.message, details=exc.details,
            password_rejected=isinstance(exc, LoginRefused),
        )
    # A file is opened, not connected to, and holds sheets or layers rather than tables.
    is_file = isinstance(source, FileSource)
    reached = f"Opened {source_words}" if is_file else f"Connected to {source_words}"
    if columns is None:
        listing = ", ".join(tables) if tables else "none"
        part = "sheet or layer" if is_file else "table or view"
        return ConnectionReport(
            ok=False, connected=True, tables=tables,
            message=(f"{reached}, but it has no {part} named '{settings.table}'."
                     if settings.table.strip() else f"{reached}. Choose the {part} to read."),
            problems=[f"Choose one of the {part.replace(' or ', 's and ')}s it has: {listing}."],
        )
    problems, notes = _check_mapping(settings, [name for name, _ in columns])
    if isinstance(source, FileSource) and (open_note := source.open_in_excel()) is not None:
        notes.insert(0, open_note)
    preview_columns, preview_rows = _preview(source)
    if not problems:
        problems, more_notes = _check_sample(source, sample_rows)
        notes += more_notes
    if problems:
        message = f"{reached}, but the column mapping needs attention."
    elif is_file:
        message = f"{reached}: it has {len(columns)} columns and the mapping is complete."
    else:
        message = f"Connected to {source_words}: table '{settings.table}' has {len(columns)} columns and the mapping is complete."
    return ConnectionReport(ok=not problems, connected=True, message=message, tables=tables, columns=columns,
                            problems=problems, notes=notes, sample_columns=preview_columns, sample_rows=preview_rows)


# Not a pytest test, whatever its name (tests import it).
test_connection.__test__ = False  # type: ignore[attr-defined]


def _preview(source: AnySource) -> tuple[list[str], list[list[str]]]:
    """A file's header and first rows as text; nothing for a database (or a file whose rows cannot be read:
    the sample check then says why)."""
    if not isinstance(source, FileSource):
        return [], []
    try:
        frame = source.preview(PREVIEW_ROWS)
    except SyncError:
        return [], []
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [str(c) for c in frame.columns], [["" if v is None else str(v) for v in row] for row in rows]


def _parses(url: str) -> bool:
    try:
        describe_url(url)
    except SyncError:
        return False
    return True


def _check_mapping(settings: SourceSettings, column_names: list[str]) -> tuple[list[str], list[str]]:
    """Mapping problems and notes in plain words."""
    try:
        specs = settings.specs()
        settings.zone()
    except SyncError as exc:
        return [exc.message], []
    _, problems = mapping.resolve(specs, column_names, strict_optional=not settings.is_default_layout)
    problems = [f"{problem[0].upper()}{problem[1:]}." for problem in problems]
    notes: list[str] = []
    if schema.LAST_UPDATED not in specs:
        notes.append("No last-updated column is mapped: every sync reads the whole table and finds new, changed "
                     "and removed parcels by comparing each row's content with the last sync.")
    unmapped = [schema.LABELS[f].lower() for f in schema.OPTIONAL_FIELDS if f not in specs]
    if unmapped:
        notes.append(f"Not mapped, stored empty: {', '.join(unmapped)}.")
    return problems, notes


def _check_sample(source: AnySource, sample_rows: int) -> tuple[list[str], list[str]]:
    """Read a sample through the mapping and validation; say how many rows would be rejected, and why."""
    reader = source.read(None, sample_rows)
    try:
        raw = next(reader, None)
    except SyncError as exc:
        return [exc.message], []
    finally:
        reader.close()  # stop after one chunk and give the connection back
    if raw is None or raw.empty:
        return [], ["The table is empty."]
    chunk = validate_chunk(raw.head(sample_rows), source.settings.zone())
    if chunk.rejected.empty:
        return [], [f"A sample of {len(raw)} rows reads cleanly."]
    reasons = pd.Series(chunk.rejected["reason"]).value_counts().head(3)
    examples = "; ".join(f"{reason} ({count})" for reason, count in reasons.items())
    return [], [f"{len(chunk.rejected)} of {len(raw)} sample rows would be rejected: {examples}. "
                "Check the mapping of those columns."]
