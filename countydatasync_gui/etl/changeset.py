"""The change set: validated source rows, classified against the working table, staged for review.

Everything lives in a scratch SQLite file under the data folder's `pending/`
folder, so a change set of a million rows costs disk, not memory, and nothing
touches `working` or `stats` until the clerk commits. Classification is SQL
over that file with the working database attached read-only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from . import adbc_files, content_hash, reoffer, schema, store
from .db import interruptible
from .errors import HoldRefused
from .progress import Progress
from .schema import KINDS, Counts
from .settings import Thresholds
from .use_codes import DEFAULT_CODE_TABLE, known_codes

MMAP_BYTES = 1 << 30


_NEW, _CHANGED, _DELETED = (kind.sql for kind in schema.ChangeKind)

_OLD = [f"old_{f}" for f in schema.FIELDS]
#: The working table as classification sees it: attached read-only (see `_classify`).
_WORKING = f"work.{schema.WORKING_TABLE}"
_CHANGE_COLUMNS = ", ".join(store.CHANGE_COLUMNS)
# Why a new or changed parcel deserves a second look: (condition, words) over a change row's columns
# (`x`, `old_x`, `kind`). A flagged parcel is still committed if the clerk agrees.
_FLAG_RULES: tuple[tuple[str, str], ...] = (
    (f"kind = {_CHANGED} AND old_assessed_value > 0 AND abs(assessed_value - old_assessed_value) > :value * old_assessed_value",
     "printf('assessed value %+d%%; ', round(100.0 * (assessed_value - old_assessed_value) / old_assessed_value))"),
    (f"kind = {_CHANGED} AND old_acres > 0 AND abs(acres - old_acres) > :acres * old_acres",
     "printf('acreage %+d%%; ', round(100.0 * (acres - old_acres) / old_acres))"),
    ("use_code IS NOT NULL AND use_code IS NOT old_use_code AND use_code NOT IN (SELECT code FROM known_use_codes)",
     "'unknown land-use code ' || use_code || '; '"),
    (f"use_code IS NULL AND (kind = {_NEW} OR old_use_code IS NOT NULL)", "'land-use code is blank; '"),
    (f"owner IS NULL AND (kind = {_NEW} OR old_owner IS NOT NULL)", "'owner is blank; '"),
    ("last_updated > :future",
     "'last updated ' || substr(last_updated, 1, 10) || ', in the future: check the county system''s clock or this record; '"),
)
#: The flags of a change row in words, "; "-separated (NULL: nothing to say).
_FLAGS = "nullif(rtrim(" + " || ".join(f"CASE WHEN {condition} THEN {words} ELSE '' END"
                                       for condition, words in _FLAG_RULES) + ", '; '), '')"
#: True for a row with any flag: cheaper than building the words of every row to find the few that have some.
_FLAGGED = " OR ".join(f"({condition})" for condition, _ in _FLAG_RULES)


#: Columns the review's search looks in (the id first; changes also search the old values).
_SEARCHED = ("id", "owner", "site_address")


def read_plan(db: sqlite3.Connection) -> dict[str, Any] | None:
    """The plan a staged change set file holds, or None if the file is not one (or a crash left it unreadable)."""
    try:
        row = db.execute("SELECT body FROM plan").fetchone()
    except sqlite3.DatabaseError:
        return None
    return json.loads(row[0]) if row else None


class ChangeStore:
    """The scratch database behind one change set: staging while planning, paging while reviewing."""

    def __init__(self, path: Path, code_table: str = DEFAULT_CODE_TABLE, *, create: bool = True,
                 bulk: bool = False) -> None:
        """A new, empty change set at `path`; `create=False` opens one staged earlier (see `save_plan`).

        `bulk` (a whole-table read is about to be staged): the rows are appended
        through ADBC where that is safe, in the background (see `add`).
        """
        self.path = path
        self._db: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._closed = False
        self._holds_marked = False  # rows of this change set are marked `held` by `hold` (until released)
        # Bulk staging, until `db` is first used: the ADBC connection, its one thread, the chunk it is writing.
        self._bulk: Any = None
        self._stager: ThreadPoolExecutor | None = None
        self._in_flight: Future[None] | None = None
        if not create:
            self._prepare_for_review()
            return
        store.create_change_set(self._db, content_hash.HASH_COLUMN)
        self._db.executemany("INSERT INTO known_use_codes VALUES (?)", [(c,) for c in known_codes(code_table)])
        if bulk:
            self._db.close()  # ADBC's own SQLite must be the only one with the file open (see `adbc_files`)
            self._db = None
            self._bulk = adbc_files.connect_for_staging(path)
            if self._bulk is not None:
                self._stager = ThreadPoolExecutor(max_workers=1, thread_name_prefix="changeset-staging")

    @property
    def db(self) -> sqlite3.Connection:
        """The change set's sqlite3 connection. The first use ends bulk staging: ADBC lets go of the file first."""
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed change set.")
        if self._db is None:
            self._end_bulk_staging()
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        return self._db

    # -- staging ------------------------------------------------------------
    def add(self, valid: pd.DataFrame, rejected: pd.DataFrame) -> None:
        """Stage one validated chunk with pandas `to_sql`.

        During bulk staging the chunk goes through ADBC (Arrow in, no Python row
        objects: a million rows in about 1 s instead of 2.5 s through sqlite3),
        on a thread of its own: it writes while the caller reads and validates
        the next chunk (ADBC works without the GIL). One chunk at a time is in
        flight, so memory stays at two chunks, and the rows keep their order.
        A failure surfaces at the next `add` or at the end of staging.
        Otherwise the chunk goes through the plain sqlite3 connection.
        """
        if self._stager is not None:
            self._wait_for_chunk_in_flight()
            self._in_flight = self._stager.submit(self._append, self._bulk, valid, rejected)
            return
        self._append(self.db, valid, rejected)

    @staticmethod
    def _append(connection: Any, valid: pd.DataFrame, rejected: pd.DataFrame) -> None:
        for frame, table in ((valid, "incoming"), (rejected, "rejected")):
            if len(frame):
                if isinstance(connection, sqlite3.Connection):
                    # pandas commits after each frame but never begins: without this, in autocommit
                    # mode each row would be a transaction of its own (measured 10x slower).
                    connection.execute("BEGIN")
                frame.to_sql(table, connection, if_exists="append", index=False)

    def _wait_for_chunk_in_flight(self) -> None:
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()  # re-raises the staging thread's error here

    def _end_bulk_staging(self) -> None:
        """Wait for the chunk in flight, then close ADBC (before sqlite3 may open the file again)."""
        if self._bulk is None:
            return
        try:
            self._wait_for_chunk_in_flight()
        finally:
            if self._stager is not None:
                self._stager.shutdown()
            self._bulk.close()
            self._bulk, self._stager = None, None

    def _wanted(self, ids: Collection[str]) -> None:
        """Fill the temporary table `wanted` with these ids (a table, not a bound list: any number of ids)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.wanted")
        self.db.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?)", [(i,) for i in ids])

    def absent(self, ids: list[str]) -> list[str]:
        """Those of `ids` not staged yet (neither read nor rejected), in the given order."""
        self._wanted(ids)
        found = {row[0] for row in self.db.execute(
            "SELECT id FROM incoming WHERE id IN (SELECT id FROM temp.wanted) "
            "UNION SELECT id FROM rejected WHERE id IN (SELECT id FROM temp.wanted)")}
        return [i for i in ids if i not in found]

    def classify(
        self, working_db: Path | None, thresholds: Thresholds, full_refresh: bool, *,
        by_content: bool = False, future_after: str | None = None, progress: Progress | None = None,
        held: list[str] | None = None,
    ) -> Counts:
        """Compare the staged rows with the working table and store the differences; return the counts.

        `by_content` (a source without a timestamp, staged with content hashes):
        rows whose hash equals the one stored at the last sync are unchanged
        without further comparison, and parcels the source lacks are deleted
        (the whole source was read). A full refresh ignores the stored hashes.
        `future_after` (UTC text): new or changed rows last updated after it are
        flagged as dated in the future. `held`: ids held back earlier (see
        `reoffer`); one the source no longer has is offered as a delete even
        in an incremental sync. A `progress.cancel()` interrupts the SQL
        mid-statement (SQLite's progress handler), so Cancel works here too and
        not only between chunks.
        """
        self.db.executemany("INSERT OR IGNORE INTO held_ids VALUES (?)", [(i,) for i in held or ()])
        try:
            with interruptible(self.db, progress or Progress()):
                return self._classify(working_db, thresholds, full_refresh, by_content, future_after)
        finally:
            self._detach_working()

    def _detach_working(self) -> None:
        """Let go of the working database once classified (review and commit read only the change set).

        While this read-only handle stays open the commit's connection is not the
        working database's last one, so closing it can neither finish the
        checkpoint nor remove the write-ahead log; the log (tens of MB after
        10,000 upserts) then outlives the process, and the next sync rebuilds its
        index and copies every page into the database a second time (measured
        0.16 s of a 0.39 s nothing-changed sync on a million parcels).
        """
        if self._attached("work"):
            self.db.execute("DETACH DATABASE work")

    def _classify(
        self, working_db: Path | None, thresholds: Thresholds, full_refresh: bool, by_content: bool, future_after: str | None,
    ) -> Counts:
        rows_read = self._scalar("SELECT count(*) FROM incoming") + self._scalar("SELECT count(*) FROM rejected")
        self._reject_duplicate_ids()
        if working_db is not None and working_db.exists():
            self.db.execute("ATTACH DATABASE ? AS work", (f"{working_db.resolve().as_uri()}?mode=ro",))
            # Memory-map the working table: its id lookups then read the OS's cached pages
            # directly instead of through a cold 2 MB page cache (3x faster on a million parcels).
            self.db.execute(f"PRAGMA work.mmap_size = {MMAP_BYTES}")
        empty = self._working_is_empty()
        skip_same_hash = by_content and not full_refresh and not empty and content_hash.has_stored_hashes(self.db)
        if by_content:
            content_hash.stage_hashes_to_store(self.db, compare_stored=skip_same_hash)
        if empty:
            flagged = self._classify_in_place(thresholds, future_after)
        else:
            self._store_changes(thresholds, full_refresh or by_content, skip_same_hash, future_after)
            self._store_touches(by_content)
        if self._attached("work"):
            reoffer.mark_earlier(self.db)
        if empty:
            # Every row read is new or rejected: counted without reading the million changes again.
            rejected = self._scalar("SELECT count(*) FROM rejected")
            return Counts(rows_read=rows_read, new=rows_read - rejected, rejected=rejected, flagged=flagged)
        return self._counts(rows_read)

    @property
    def initial_load(self) -> bool:
        """True if this change set was classified against an empty working table: every row is new."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'incoming'").fetchone() is None

    def _attached(self, name: str) -> bool:
        return any(row[1] == name for row in self.db.execute("PRAGMA database_list"))

    def _working_is_empty(self) -> bool:
        """Whether the attached working database has no parcels (or there is none yet: a first sync)."""
        if not self._attached("work"):
            return True
        found = self.db.execute(
            "SELECT 1 FROM work.sqlite_master WHERE type = 'table' AND name = ?", (schema.WORKING_TABLE,)).fetchone()
        return found is None or self.db.execute(f"SELECT 1 FROM {_WORKING} LIMIT 1").fetchone() is None

    def _classify_in_place(self, thresholds: Thresholds, future_after: str | None) -> int:
        """A load into an empty working table: every staged row is new, so the staged rows become the change set.

        `incoming` is renamed `changes` and given the change columns, empty
        (`ALTER TABLE ... ADD COLUMN` rewrites no row; `kind` defaults to new),
        and only the rows that deserve a second look are written again, with
        their flags. Copying a million rows into `changes` instead costs about
        3 s. Nothing is touched and nothing deleted; duplicate ids were
        rejected already. The id index built for the duplicates serves the
        review's paging and the commit's ordered insert. Returns how many rows were flagged.
        """
        definitions = store.CHANGE_DEFINITIONS.replace("kind TEXT NOT NULL", f"kind TEXT NOT NULL DEFAULT {_NEW}")
        self.db.execute("BEGIN")
        self.db.execute("ALTER TABLE incoming RENAME TO changes")
        for definition in definitions.split(", "):
            self.db.execute(f"ALTER TABLE changes ADD COLUMN {definition}")
        flagged = self.db.execute(
            f"UPDATE changes SET flags = {_FLAGS} WHERE {_FLAGGED}",
            {"value": thresholds.value_change, "acres": thresholds.acreage_change, "future": future_after}).rowcount
        self.db.execute(f"CREATE TABLE touched AS SELECT id, {schema.LAST_UPDATED} FROM changes WHERE false")
        self.db.execute("COMMIT")
        return flagged

    def _counts(self, rows_read: int) -> Counts:
        """The counts of the classes as they stand (a held row counts as held only, but was read as new or changed)."""
        held = f"'{schema.HELD}'"
        counts = self._scalars(
            f"SELECT count(*) FILTER (WHERE kind = {_NEW}), count(*) FILTER (WHERE kind = {_CHANGED}),"
            f" count(*) FILTER (WHERE kind = {_DELETED}), count(*) FILTER (WHERE flags IS NOT NULL AND kind IS NOT {held}),"
            f" count(*) FILTER (WHERE kind = {held}),"
            f" count(*) FILTER (WHERE coalesce(held_kind, kind) IN ({_NEW}, {_CHANGED})) FROM changes"
        )
        rejected = self._scalar("SELECT count(*) FROM rejected")
        return Counts(
            rows_read=rows_read,
            new=counts[0],
            changed=counts[1],
            # every row read is rejected, new, changed (held or not) or unchanged
            unchanged=rows_read - rejected - counts[5],
            touched=self._scalar("SELECT count(*) FROM touched"),
            deleted=counts[2],
            rejected=rejected,
            flagged=counts[3],
            held=counts[4],
        )

    def hold(self, ids: Collection[str], counts: Counts) -> Counts:
        """Hold back these parcels at commit: marked `held` (the kind they had kept in `held_kind`); return the counts.

        Any earlier marks are undone first, so the list given is the whole
        hold (a commit retried after a crash holds exactly what it says).
        `counts` are the plan's: returned as they are when nothing is held nor was
        marked by an earlier call (counting again, or releasing, reads every change). Raises `HoldRefused` naming the ids
        this change set does not offer.
        """
        if self._holds_marked:
            self._release_holds()
        elif not ids:
            return counts
        wanted = sorted(set(ids))
        self._wanted(wanted)
        offered = {row[0] for row in self.db.execute("SELECT id FROM changes WHERE id IN (SELECT id FROM temp.wanted)")}
        missing = [i for i in wanted if i not in offered]
        if missing:
            raise HoldRefused(f"This review does not offer parcel {', '.join(missing)}, so it cannot be held back. "
                            "Check the parcel id.")
        self.db.execute("BEGIN")
        self.db.executemany(
            f"UPDATE changes SET held_kind = kind, kind = '{schema.HELD}' WHERE id = ?", [(i,) for i in wanted])
        self.db.execute("COMMIT")
        self._holds_marked = bool(wanted)
        return self._counts(counts.rows_read)

    def _reject_duplicate_ids(self) -> None:
        """An id that appears twice in one batch is ambiguous: reject every copy, keep neither.

        The id index is built unique first: it succeeds when every id comes once (the usual case), which
        settles it without grouping a million ids (measured 0.45 s against 1.1 s); a repeated id makes
        it fail, and the rows are grouped to find the copies.
        """
        try:
            self.db.execute("CREATE UNIQUE INDEX incoming_id ON incoming (id)")
            return
        except sqlite3.IntegrityError:
            pass
        self.db.executescript(
            f"""
            CREATE INDEX incoming_id ON incoming (id);
            CREATE TEMP TABLE duplicate_ids AS
                SELECT id, count(*) AS copies FROM incoming GROUP BY id HAVING count(*) > 1;
            INSERT INTO rejected ({", ".join(schema.FIELDS)}, reason)
                SELECT {", ".join(f"CAST(i.{f} AS TEXT)" for f in schema.FIELDS)},
                       'parcel id appears ' || d.copies || ' times in this batch'
                FROM incoming i JOIN duplicate_ids d ON d.id = i.id;
            DELETE FROM incoming WHERE id IN (SELECT id FROM duplicate_ids);
            """
        )

    def _store_changes(
        self, thresholds: Thresholds, full_refresh: bool, skip_same_hash: bool, future_after: str | None,
    ) -> None:
        differs = " OR ".join(f"i.{f} IS NOT w.{f}" for f in schema.CONTENT_FIELDS)
        # A stored hash equal to the row's settles "unchanged" before any column is compared.
        same_hash = f"NOT {content_hash.stored_hash_matches('i')} AND" if skip_same_hash else ""
        changed_list = " || ".join(f"CASE WHEN i.{f} IS NOT w.{f} THEN '{f},' ELSE '' END" for f in schema.CONTENT_FIELDS)
        self.db.execute(store.CHANGES_DDL)
        # New and changed parcels: every staged row that differs from its working row,
        # flagged as it is written (a separate UPDATE would rewrite every row once more).
        self.db.execute(
            f"""
            INSERT INTO changes
            SELECT *, {_FLAGS}, NULL, NULL, NULL FROM (
                SELECT {", ".join(f"i.{f}" for f in schema.FIELDS)}, {", ".join(f"w.{f} AS old_{f}" for f in schema.FIELDS)},
                       CASE WHEN w.id IS NULL THEN {_NEW} ELSE {_CHANGED} END AS kind,
                       CASE WHEN w.id IS NULL THEN NULL ELSE rtrim({changed_list}, ',') END AS changed
                FROM incoming i LEFT JOIN {_WORKING} w ON w.id = i.id
                WHERE {same_hash} (w.id IS NULL OR {differs})
            )
            """,
            {"value": thresholds.value_change, "acres": thresholds.acreage_change, "future": future_after},
        )

        if full_refresh:
            # Deleted: in working but absent from the source. A parcel the source still has
            # but whose row was rejected is not deleted: its row was bad, not gone.
            self.db.execute(
                f"""
                INSERT INTO changes ({", ".join(_OLD)}, id, kind)
                SELECT {", ".join(f"w.{f}" for f in schema.FIELDS)}, w.id, {_DELETED} FROM {_WORKING} w
                WHERE NOT EXISTS (SELECT 1 FROM incoming i WHERE i.id = w.id)
                  AND NOT EXISTS (SELECT 1 FROM rejected r WHERE r.id = w.id)
                """
            )
        else:
            # A held parcel the source no longer has: read by id and not found, so deleted at the county.
            self.db.execute(
                f"""
                INSERT INTO changes ({", ".join(_OLD)}, id, kind)
                SELECT {", ".join(f"w.{f}" for f in schema.FIELDS)}, w.id, {_DELETED} FROM {_WORKING} w
                WHERE w.id IN (SELECT id FROM held_ids)
                  AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.id = w.id)
                  AND NOT EXISTS (SELECT 1 FROM rejected r WHERE r.id = w.id)
                """
            )
        self.db.execute("CREATE INDEX changes_kind ON changes (kind, id)")

    def _prepare_for_review(self) -> None:
        """A staged change set taken up again: as it was planned.

        One staged by an earlier release is brought to this release's tables
        (`store.upgrade_staged_change_set`), and a commit killed after marking
        its holds left them marked (released: the review shows every row again).
        """
        store.upgrade_staged_change_set(self.db)
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'changes'").fetchone():
            self._release_holds()

    def _release_holds(self) -> None:
        """Undo the marks of a hold."""
        self.db.execute(f"UPDATE changes SET kind = held_kind, held_kind = NULL WHERE kind = '{schema.HELD}'")
        self._holds_marked = False

    def _store_touches(self, by_content: bool) -> None:
        """Rows whose content equals the working row's and only `last_updated` moved (a touch).

        Not a change (not reviewed, counted or journaled), but the commit copies
        their new `last_updated` so the working table follows the source. A
        source without a cursor has no touches (and its rows need no second join).
        """
        same = " AND ".join(f"i.{f} IS w.{f}" for f in schema.CONTENT_FIELDS)
        where = "false" if by_content else f"i.{schema.LAST_UPDATED} IS NOT w.{schema.LAST_UPDATED} AND {same}"
        self.db.execute(
            f"CREATE TABLE touched AS SELECT i.id, i.{schema.LAST_UPDATED} FROM incoming i "
            f"JOIN {_WORKING} w ON w.id = i.id WHERE {where}"
        )

    # -- review -------------------------------------------------------------
    def count(self, kind: str | None = None, search: str | None = None) -> int:
        """How many rows `rows(kind, search)` pages through."""
        table, where, params = self._filter(kind, search)
        return self._scalar(f"SELECT count(*) FROM {table} {where}", params)

    def rows(self, kind: str | None = None, search: str | None = None, offset: int = 0, limit: int = 200,
             order_by: str | None = None, descending: bool = False) -> pd.DataFrame:
        """One page of the change set, ordered by parcel id, or by `order_by` (a field, "kind", "flags" or "reason").

        For `rejected`: the source's values as text plus `reason`. Otherwise: the
        new values, `old_<field>` values, `kind`, `changed` (comma-separated field
        names) and `flags` (reasons for a second look, or None).
        """
        table, where, params = self._filter(kind, search)
        order = self._order(table, order_by, descending)
        columns = "*" if table == "rejected" else _CHANGE_COLUMNS
        return pd.read_sql_query(
            f"SELECT {columns} FROM {table} {where} ORDER BY {order} LIMIT ? OFFSET ?", self.db, params=[*params, limit, offset]
        )

    @staticmethod
    def _order(table: str, order_by: str | None, descending: bool) -> str:
        """The ORDER BY of a page: the sort the clerk chose, then a unique tie-breaker so pages never overlap."""
        direction = "DESC" if descending else "ASC"
        tie = ", rowid" if table == "rejected" else ""  # rejected ids may repeat or be missing
        if order_by in (None, schema.ID):
            return f"id {direction}{tie}"
        allowed = {*schema.FIELDS, "reason"} if table == "rejected" else {*schema.FIELDS, "kind", "flags", "note"}
        if order_by not in allowed:  # names come from the screen, never typed: refuse anything else
            raise ValueError(f"cannot sort the {table} rows by {order_by!r}")
        if table == "rejected":
            # The county's raw text: numbers sort as numbers (text that is not a number as 0).
            key = f"CAST({order_by} AS REAL)" if order_by in schema.NUMERIC_FIELDS else order_by
        elif order_by in schema.FIELDS:
            key = f"COALESCE({order_by}, old_{order_by})"  # a deleted parcel only has its old values
        else:
            key = order_by
        return f"{key} IS NULL, {key} {direction}, id{tie}"  # blanks last, whichever the direction

    def _filter(self, kind: str | None, search: str | None) -> tuple[str, str, list[object]]:
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
        conditions: list[str] = []
        params: list[object] = []
        if kind in ("new", "changed", "deleted"):
            conditions.append("kind = ?")
            params.append(kind)
        elif kind == "flagged":
            conditions.append("flags IS NOT NULL")
        if search:
            # The clerk may remember either side of a change ("CRUZ FARMS" sold to "WALKER…"),
            # so the old and new owner and address are searched as well as the parcel id.
            columns = _SEARCHED if kind == "rejected" else (*_SEARCHED, *(f"old_{c}" for c in _SEARCHED[1:]))
            conditions.append("(" + " OR ".join(f"{c} LIKE ?" for c in columns) + ")")
            params += [f"%{search}%"] * len(columns)
        where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
        return ("rejected" if kind == "rejected" else "changes"), where, params

    def held_earlier(self) -> pd.DataFrame:
        """The rows offered again because an earlier run held them back, in id order (columns as `rows`).

        Looked up by the ids held when it was planned (`held_ids`, few), not found by reading every change:
        the window asks as it shows the review, and a first load's change set has a million.
        """
        return pd.read_sql_query(
            f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE id IN (SELECT id FROM held_ids) "
            f"AND earlier = '{reoffer.EARLIER_HELD}' ORDER BY id", self.db)

    def id_slice(self, kind: str, after: str, limit: int) -> list[str]:
        """The next `limit` parcel ids of one class after `after`, in id order (the kind index's order)."""
        return [row[0] for row in self.db.execute(
            "SELECT id FROM changes WHERE kind = ? AND id > ? ORDER BY id LIMIT ?", (kind, after, limit))]

    def iter_frames(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """Run a read-only query over the change set and yield its non-empty chunks."""
        for frame in pd.read_sql_query(sql, self.db, chunksize=chunk_rows):
            if len(frame):
                yield frame

    # -- waiting for review in a later session ----------------------------------------
    def save_plan(self, plan: dict[str, object]) -> None:
        """Store what the plan knew (counts, watermarks, source), so another process can commit or discard it."""
        self.db.execute("INSERT OR REPLACE INTO plan VALUES (1, ?)", (json.dumps(plan),))

    def load_plan(self) -> dict[str, Any] | None:
        """What `save_plan` stored (see `read_plan`)."""
        return read_plan(self.db)

    def close(self, delete: bool = True) -> None:
        """Close the scratch database and, by default, delete its file (a closed store refuses every query)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._end_bulk_staging()
        except Exception:  # noqa: BLE001 - a chunk still in flight only fails while the caller is failing already
            pass  # and that error, raised on, says what went wrong; the connections are closed either way
        if self._db is not None:
            self._db.close()
        if delete:
            self.path.unlink(missing_ok=True)

    def _scalar(self, sql: str, params: list[object] | tuple = ()) -> int:
        return int(self.db.execute(sql, params).fetchone()[0])

    def _scalars(self, sql: str) -> tuple[int, ...]:
        return tuple(int(v) for v in self.db.execute(sql).fetchone())
