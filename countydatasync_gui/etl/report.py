"""A report for the record: one run, or a review still open, as a self-contained HTML file with a CSV beside it.

The HTML is what a clerk prints or files: who wrote it and when, the source,
the counts, how far the county's edits went before and after, and the rows
of each class (applied changes with old -> new values, held parcels, rejected
rows with their reasons, flagged changes). A class shows its first
`HTML_ROWS` rows; the CSV beside the HTML (same name, `.csv`) has every row.

The page is plain HTML 4 tables with simple CSS and no script or external
file, so a browser shows it and Qt's QTextDocument (the desktop app's
printing) renders the same tables. Every value goes through `html.escape`.
"""

from __future__ import annotations

import csv
import getpass
import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from . import schema
from .db import sqlite_engine
from .errors import SyncError
from .schema import Counts, ReviewClass
from .sync import ChangeSet
from .timeutil import local_words, now_utc, to_utc_text

#: Rows per class in the HTML; the CSV beside it has all of them.
HTML_ROWS = 1_000
_PAGE = 5_000  # rows per read while writing the CSV
_MONEY = ("assessed_value", "land_value", "improvement_value")
_COUNT_LABELS = (
    ("new", "New parcels"), ("changed", "Changed parcels"), ("deleted", "Deleted parcels"), ("held", "Held back"),
    ("unchanged", "Unchanged"), ("touched", "Unchanged, re-saved by the county"), ("rejected", "Rejected (not loaded)"), ("flagged", "Flagged for a second look"),
    ("rows_read", "Rows read from the county"),
)
_CSV_COLUMNS = ["Section", "Parcel", "Kind", "Fields changed", "Why flagged", "Note", "Reason"] + [
    f"{when} {schema.LABELS[f].lower()}" for f in schema.VALUE_FIELDS for when in ("Old", "New")]
_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; color: #000; margin: 16px; }
h1 { font-size: 16pt; margin: 0 0 8px 0; }
h2 { font-size: 13pt; margin: 18px 0 6px 0; }
table { border-collapse: collapse; margin-bottom: 8px; }
th, td { border: 1px solid #888; padding: 3px 6px; vertical-align: top; text-align: left; }
th { background-color: #e8e8e8; }
td.number { text-align: right; }
p.more { font-style: italic; }
table.rows { width: 100%; }
"""


@dataclass(frozen=True)
class _Section:
    """One class of rows: a title, how many, and every row in journal shape (parcel_id, kind, changed, flags,
    note, reason, old_<field>, new_<field>), read page by page."""

    title: str
    total: int
    pages: Callable[[], Iterator[pd.DataFrame]]


@dataclass(frozen=True)
class _Header:
    title: str
    facts: list[tuple[str, str]]
    counts: Counts


def write_run_report(working_db: Path, run_id: int, path: Path) -> Path:
    """Write the report of run `run_id` to `path` (HTML) and its rows to `path` with `.csv`; return `path`.

    Raises `SyncError` if the folder has no such run.
    """
    if not working_db.exists():
        raise SyncError(f"There is no run {run_id} in this data folder's history.")
    engine = sqlite_engine(working_db, read_only=True)
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT * FROM runs WHERE run_id = ?", (run_id,)).mappings().fetchone()
            if found is None:
                raise SyncError(f"There is no run {run_id} in this data folder's history.")
            run = dict(found)
            counts = Counts(**{name: int(run.get(name) or 0) for name in Counts().as_dict()})
            header = _Header(f"Run {run_id}: {str(run['mode']).replace('_', ' ')}, {str(run['status']).replace('_', ' ')}", [
                ("County records from", str(run["source"] or "-")),
                ("Started", local_words(run["started_at"])), ("Finished", local_words(run["finished_at"])),
                ("County edits up to, before this run", local_words(run["watermark_before"])),
                ("County edits up to, after this run", local_words(run["watermark_after"])),
                *([("Undoes", f"run {run['undoes']}")] if run.get("undoes") else []),
                *([("Initial load", f"{counts.new:,} parcels loaded into an empty table. They are in the table browser; "
                                    "this report lists only those flagged or held back.")] if run.get("initial_load") else []),
                *([("Problem", str(run["error"]))] if run.get("error") else []),
                ("Data folder", str(working_db.parent)),
            ], counts)
            journal = "FROM journal WHERE run_id = :run"
            # An initial load journals only its flagged and held parcels (see `sync.commit`): no list of new ones.
            new = () if run.get("initial_load") else (("New parcels", "kind = 'new'"),)
            sections = [
                _journal_section(conn, title, f"{journal} AND {where}", run_id)
                for title, where in (
                    *new, ("Changed parcels", "kind = 'changed'"),
                    ("Deleted parcels", "kind = 'deleted'"), ("Held back (not applied)", f"kind = '{schema.HELD}'"),
                    ("Flagged for a second look", f"flags IS NOT NULL AND kind IS NOT '{schema.HELD}'"),
                )
            ]
            sections.append(_rejects_section(conn, run_id))
            # Read while the connection is open: the sections page through it.
            return _write(path, header, sections)
    finally:
        engine.dispose()


def write_review_report(change_set: ChangeSet, path: Path) -> Path:
    """Write the report of a planned change set not yet committed (what the review shows); return `path`."""
    counts = change_set.counts
    header = _Header(f"Review planned {local_words(change_set.started_at)} (not committed)", [
        ("County records from", change_set.source_description),
        ("Planned", local_words(change_set.started_at)),
        ("County edits up to, now", local_words(change_set.state_before.watermark)),
        ("County edits up to, after a commit", local_words(change_set.watermark_after)),
        ("Data folder", str(change_set.folder.path)),
    ], counts)
    held = change_set.held_earlier()
    sections = [
        _review_section(change_set, title, kind.value, change_set.count(kind.value))
        for title, kind in (("New parcels", ReviewClass.NEW), ("Changed parcels", ReviewClass.CHANGED),
                            ("Deleted parcels", ReviewClass.DELETED))
    ]
    sections.append(_Section("Held back earlier, offered again", len(held),
                             lambda: _held_rows(change_set)))
    sections.append(_review_section(change_set, "Flagged for a second look", ReviewClass.FLAGGED.value,
                                    change_set.count(ReviewClass.FLAGGED.value)))
    sections.append(_review_section(change_set, "Rejected (not loaded)", ReviewClass.REJECTED.value,
                                    change_set.count(ReviewClass.REJECTED.value)))
    return _write(path, header, sections)


# ---------------------------------------------------------------------------
# Sections: every row in journal shape
# ---------------------------------------------------------------------------
def _journal_section(conn: sa.Connection, title: str, where: str, run_id: int) -> _Section:
    total = int(conn.execute(sa.text(f"SELECT count(*) {where}"), {"run": run_id}).scalar_one())

    def pages() -> Iterator[pd.DataFrame]:
        for offset in range(0, total, _PAGE):
            yield pd.read_sql_query(sa.text(f"SELECT * {where} ORDER BY parcel_id LIMIT :n OFFSET :o"), conn,
                                    params={"run": run_id, "n": _PAGE, "o": offset})

    return _Section(title, total, pages)


def _rejects_section(conn: sa.Connection, run_id: int) -> _Section:
    where = "FROM rejects WHERE run_id = :run"
    total = int(conn.execute(sa.text(f"SELECT count(*) {where}"), {"run": run_id}).scalar_one())

    def pages() -> Iterator[pd.DataFrame]:
        for offset in range(0, total, _PAGE):
            frame = pd.read_sql_query(sa.text(f"SELECT * {where} ORDER BY id LIMIT :n OFFSET :o"), conn,
                                      params={"run": run_id, "n": _PAGE, "o": offset})
            yield _as_journal(frame, kind="rejected")

    return _Section("Rejected (not loaded)", total, pages)


def _review_section(change_set: ChangeSet, title: str, kind: str, total: int) -> _Section:
    def pages() -> Iterator[pd.DataFrame]:
        for offset in range(0, total, _PAGE):
            frame = change_set.rows(kind, offset=offset, limit=_PAGE)
            yield _as_journal(frame, kind="rejected" if kind == ReviewClass.REJECTED else None)

    return _Section(title, total, pages)


def _held_rows(change_set: ChangeSet) -> Iterator[pd.DataFrame]:
    yield _as_journal(change_set.held_earlier_rows())


def _as_journal(frame: pd.DataFrame, kind: str | None = None) -> pd.DataFrame:
    """Change-set rows (new values under the field's name) or rejected rows in the journal's shape."""
    renamed = frame.rename(columns={schema.ID: "parcel_id", **{f: f"new_{f}" for f in schema.VALUE_FIELDS}})
    if kind is not None:
        renamed["kind"] = kind
    return renamed


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def _write(path: Path, header: _Header, sections: list[_Section]) -> Path:
    """The HTML at `path` (first `HTML_ROWS` rows per section) and the CSV beside it (every row)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_path = path.with_suffix(".csv")
    body: list[str] = []
    # utf-8-sig: Excel, where clerks open CSVs, then reads the accents of owners' names right.
    with csv_path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(_CSV_COLUMNS)
        for section in sections:
            shown: list[str] = []
            for page in section.pages():
                for row in page.to_dict("records"):
                    writer.writerow(_csv_row(section.title, row))
                    if len(shown) < HTML_ROWS:
                        shown.append(_html_row(row))
            body.append(_html_section(section, shown))
    facts = [*header.facts, ("Report written by", getpass.getuser()), ("Report written", local_words(to_utc_text(now_utc()))),
             ("Every row", csv_path.name)]
    page_html = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{_e(header.title)}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>CountyDataSync report: {_e(header.title)}</h1>\n"
        + _table([[f"<b>{_e(k)}</b>", _e(v)] for k, v in facts])
        + "<h2>Counts</h2>\n"
        + _table([[_e(label), f'<span id="count-{name}">{getattr(header.counts, name):,}</span>']
                  for name, label in _COUNT_LABELS], number_column=1)
        + "".join(body) + "</body></html>\n"
    )
    path.write_text(page_html, encoding="utf-8")
    return path


def _html_section(section: _Section, rows: list[str]) -> str:
    title = f"<h2>{_e(section.title)} ({section.total:,})</h2>\n"
    if not rows:
        return title + "<p>None.</p>\n"
    more = (f'<p class="more">The first {len(rows):,} of {section.total:,} are shown; '
            "every row is in the CSV file beside this report.</p>\n") if section.total > len(rows) else ""
    return (title + '<table class="rows" width="100%" border="1" cellspacing="0" cellpadding="3">\n'
            '<tr><th width="16%">Parcel</th><th width="56%">Values (old -&gt; new)</th>'
            '<th width="28%">Why flagged / note</th></tr>\n'
            + "".join(rows) + "</table>\n" + more)


def _html_row(row: dict[str, object]) -> str:
    why = "; ".join(str(row[c]) for c in ("reason", "flags", "note") if _present(row.get(c)))
    # A change reads one field per line; a whole record (new, deleted, rejected) reads as one paragraph.
    joiner = "<br>" if _present(row.get("changed")) else "; "
    values = joiner.join(_e(line) for line in _value_lines(row))
    return f"<tr><td>{_e(row.get('parcel_id') or '(no id)')}</td><td>{values}</td><td>{_e(why)}</td></tr>\n"


def _value_lines(row: dict[str, object]) -> list[str]:
    """'Owner: OLD -> NEW' for each changed field; a new or rejected parcel's values; a deleted one's old values."""
    changed = str(row["changed"]).split(",") if _present(row.get("changed")) else None
    lines = []
    for field in schema.VALUE_FIELDS:
        old, new = row.get(f"old_{field}"), row.get(f"new_{field}")
        if changed is not None and field not in changed:
            continue
        if not (_present(old) or _present(new)):
            continue
        label = schema.LABELS[field]
        if changed is not None or (_present(old) and _present(new)):
            lines.append(f"{label}: {_value(field, old)} -> {_value(field, new)}")
        else:
            lines.append(f"{label}: {_value(field, new if _present(new) else old)}")
    return lines


def _csv_row(section: str, row: dict[str, object]) -> list[object]:
    fixed = [section, row.get("parcel_id"), row.get("kind"), row.get("changed"), row.get("flags"), row.get("note"),
             row.get("reason")]
    values = [row.get(f"{when}_{f}") for f in schema.VALUE_FIELDS for when in ("old", "new")]
    # Whole numbers without ".0", as a clerk typed them.
    return ["" if not _present(v) else int(v) if isinstance(v, float) and v.is_integer() else v
            for v in [*fixed, *values]]


def _table(rows: list[list[str]], number_column: int | None = None) -> str:
    """A table without a header row; cells are HTML already (escaped by the caller), numbers right-aligned."""
    cells = "".join(
        "<tr>" + "".join(f'<td class="number" align="right">{c}</td>' if i == number_column else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>\n" for row in rows)
    return f'<table border="1" cellspacing="0" cellpadding="3">\n{cells}</table>\n'


def _value(field: str, value: object) -> str:
    if not _present(value):
        return "(blank)"
    if field == schema.LAST_UPDATED and isinstance(value, str) and value.endswith("Z"):
        return local_words(value)
    if isinstance(value, float) and field in schema.NUMERIC_FIELDS:
        if field in _MONEY:
            return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value != ""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
