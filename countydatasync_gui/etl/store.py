"""The one owner of the local databases' schemas: their tables, versions and migrations.

A county's data folder is years of records, so a file written by an earlier
release must open in this one. Each database file says which schema it holds
in `PRAGMA user_version` (a free integer in the file's header). A schema change
is a numbered migration below, registered in order; opening an older file for
writing applies the ones it lacks, each with its version bump, in the caller's
transaction, so a crash mid-upgrade leaves the file as it was. A file from a
*newer* release is refused in plain words and never touched.

The migrations spell their tables out as they were at that version, instead of
deriving them from `schema.FIELDS`: a later field is a later migration, and an
old migration must keep meaning what it meant when it shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from . import schema
from .db import connect_read_only
from .errors import DataFolderError, SchemaTooNew

Migration = Callable[[sa.Connection], None]

# ---------------------------------------------------------------------------
# working_db.sqlite: parcels, sync state, run history, journal, rejects
# ---------------------------------------------------------------------------
_FIELD_TYPES_V1 = (
    "id TEXT PRIMARY KEY NOT NULL, owner TEXT, use_code TEXT, acres REAL, assessed_value REAL, "
    "last_updated TEXT, site_address TEXT, land_value REAL, improvement_value REAL"
)
_VALUE_FIELDS_V1 = ("owner", "use_code", "acres", "assessed_value", "last_updated", "site_address", "land_value",
                    "improvement_value")
_JOURNAL_V1 = (
    "CREATE TABLE IF NOT EXISTS journal (run_id INTEGER NOT NULL, parcel_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "changed TEXT, flags TEXT, old_owner TEXT, new_owner TEXT, old_use_code TEXT, new_use_code TEXT, "
    "old_acres REAL, new_acres REAL, old_assessed_value REAL, new_assessed_value REAL, old_last_updated TEXT, "
    "new_last_updated TEXT, old_site_address TEXT, new_site_address TEXT, old_land_value REAL, new_land_value REAL, "
    "old_improvement_value REAL, new_improvement_value REAL)"
)


def m001_tables_of_v0_1_0(conn: sa.Connection) -> None:
    """The tables as release 0.1.0 wrote them (a folder from it has them all already)."""
    for statement in (
        # Stored in parcel-id order (WITHOUT ROWID): every lookup, upsert and insert by id walks
        # one B-tree instead of an id index and then the table (a million-parcel load: 1 s less).
        f"CREATE TABLE IF NOT EXISTS working ({_FIELD_TYPES_V1}) WITHOUT ROWID",
        # A single row: where the next incremental sync starts, and when one last succeeded.
        "CREATE TABLE IF NOT EXISTS sync_state (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), "
        "watermark TEXT, last_success_at TEXT, last_run_id INTEGER, source TEXT)",
        "CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, "
        "finished_at TEXT, mode TEXT NOT NULL, status TEXT NOT NULL, source TEXT, watermark_before TEXT, "
        "watermark_after TEXT, rows_read INTEGER, new INTEGER, changed INTEGER, unchanged INTEGER, deleted INTEGER, "
        "rejected INTEGER, flagged INTEGER, error TEXT)",
        # Every applied change, a column per field, old beside new (plain columns: a clerk can read
        # and filter them, and copying a million costs a third of building JSON). No index: one
        # would add a random page write per change to every commit.
        _JOURNAL_V1,
        # Source rows that were not loaded, with the source's values as text and the reason.
        "CREATE TABLE IF NOT EXISTS rejects (run_id INTEGER NOT NULL, id TEXT, owner TEXT, use_code TEXT, "
        "acres TEXT, assessed_value TEXT, last_updated TEXT, site_address TEXT, land_value TEXT, "
        "improvement_value TEXT, reason TEXT NOT NULL)",
        # Finds a bad row recorded by an earlier sync, so it is not recorded again.
        "CREATE INDEX IF NOT EXISTS rejects_parcel ON rejects (id)",
    ):
        conn.exec_driver_sql(statement)


def m002_journal_as_columns(conn: sa.Connection) -> None:
    """A journal of the first builds (old and new values as two JSON objects) becomes a column per field."""
    if "old_values" not in _columns(conn, "journal"):
        return
    conn.exec_driver_sql("ALTER TABLE journal RENAME TO journal_json")
    conn.exec_driver_sql(_JOURNAL_V1)
    values = ", ".join(
        f"json_extract(old_values, '$.{f}'), json_extract(new_values, '$.{f}')" for f in _VALUE_FIELDS_V1
    )
    conn.exec_driver_sql(f"INSERT INTO journal SELECT run_id, parcel_id, kind, changed, flags, {values} FROM journal_json")
    conn.exec_driver_sql("DROP TABLE journal_json")  # its parcel index goes with it


def m003_working_without_rowid(conn: sa.Connection) -> None:
    """A working table of the first builds (a rowid table plus an id index) is rebuilt in parcel-id order.

    ALTER TABLE cannot change this, so SQLite's recipe: create the new table,
    copy, drop the old one, rename (all inside the caller's transaction).
    """
    found = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'working'").scalar()
    if found is None or "WITHOUT ROWID" in found.upper():
        return
    conn.exec_driver_sql(f"CREATE TABLE working_new ({_FIELD_TYPES_V1}) WITHOUT ROWID")
    conn.exec_driver_sql("INSERT INTO working_new SELECT id, " + ", ".join(_VALUE_FIELDS_V1) + " FROM working ORDER BY id")
    conn.exec_driver_sql("DROP TABLE working")
    conn.exec_driver_sql("ALTER TABLE working_new RENAME TO working")


def m004_runs_count_touches(conn: sa.Connection) -> None:
    """Runs count the rows the county re-saved without changes (`touched`; NULL for older runs: not known)."""
    if "touched" not in _columns(conn, "runs"):
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN touched INTEGER")


def m005_runs_record_undo(conn: sa.Connection) -> None:
    """An undo run names the run it took back (`undoes`); NULL for every other run."""
    if "undoes" not in _columns(conn, "runs"):
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN undoes INTEGER")


def m006_held_and_undone_parcels(conn: sa.Connection) -> None:
    """Parcels a clerk held back (`held`), parcels an undo put back (`undone`), and runs count holds (`held`).

    Both tables list parcels every later sync offers again for review, marked:
    a held parcel is read again by id from the source (the watermark moves on
    without it) until a commit applies it or the county's record no longer
    differs; an undone parcel until the next commit. The journal records held
    parcels too, as rows of kind `held` (see `HELD`).
    """
    conn.exec_driver_sql(
        # kind: what applying it would have done (new, changed, deleted) when it was last held;
        # run_id: the run that last held it; held_at: UTC text, when it was first held.
        "CREATE TABLE IF NOT EXISTS held (parcel_id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, "
        "run_id INTEGER NOT NULL, held_at TEXT NOT NULL)"
    )
    # undo_run: the undo run; undone_run: the run it took back; undone_at: UTC text.
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS undone (parcel_id TEXT PRIMARY KEY NOT NULL, undo_run INTEGER NOT NULL, "
        "undone_run INTEGER NOT NULL, undone_at TEXT NOT NULL)"
    )
    if "held" not in _columns(conn, "runs"):
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN held INTEGER")


#: Change detection by content (`content_hash`): one hash per parcel, as of the last commit.
HASH_TABLE = "source_hashes"


def m007_source_hashes_always_there(conn: sa.Connection) -> None:
    """The content hashes' table, which commits used to create on first need (and drop again), always exists.

    An empty table now means what a missing one meant: no hashes to trust.
    """
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {HASH_TABLE} (id TEXT PRIMARY KEY NOT NULL, hash INTEGER NOT NULL)")


def m008_runs_mark_initial_loads(conn: sa.Connection) -> None:
    """A run that loaded an empty working table says so (`initial_load` = 1): its parcels are not journaled
    one by one (only those held back), and undoing it empties the table. NULL for the runs before."""
    if "initial_load" not in _columns(conn, "runs"):
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN initial_load INTEGER")


#: The working database's migrations, in order: the file's user_version is how many have run.
WORKING_MIGRATIONS: tuple[Migration, ...] = (
    m001_tables_of_v0_1_0,
    m002_journal_as_columns,
    m003_working_without_rowid,
    m004_runs_count_touches,
    m005_runs_record_undo,
    m006_held_and_undone_parcels,
    m007_source_hashes_always_there,
    m008_runs_mark_initial_loads,
)

# ---------------------------------------------------------------------------
# stats_db.sqlite: figures per land-use code, rewritten whole by each commit
# ---------------------------------------------------------------------------
STATS_META_DDL = "CREATE TABLE IF NOT EXISTS stats_meta (built_from_run INTEGER, built_at TEXT)"


def m001_stats_meta(conn: sa.Connection) -> None:
    """Which run the figures reflect (the `stats` table itself is replaced whole by pandas `to_sql`)."""
    conn.exec_driver_sql(STATS_META_DDL)


#: The statistics database's migrations, in order.
STATS_MIGRATIONS: tuple[Migration, ...] = (m001_stats_meta,)


# ---------------------------------------------------------------------------
# The change-set file: one plan's scratch database in pending/, kept as waiting-review.sqlite
# when a sync is staged. Rebuilt by every plan, so its tables follow `schema`; only a staged
# file outlives a release, and an upgrade must be able to take it up (or refuse it in words).
# ---------------------------------------------------------------------------
#: Columns of a change row beside the values: `held_kind` (the kind of a row marked `held` at commit),
#: `earlier` and `note` (held back by an earlier run, or put back by an undo; see `reoffer`).
REVIEW_COLUMNS = "held_kind TEXT, earlier TEXT, note TEXT"
#: 1: a change set staged before holds existed (files without a version are this); 2: REVIEW_COLUMNS;
#: 3: an initial load's change set is its staged table (`ChangeStore`: no `incoming`, columns in another
#: order), which a release knowing only 2 would misread, and every file has `held_ids`.
CHANGE_SET_VERSION = 3


def create_change_set(db: sqlite3.Connection, hash_column: str) -> None:
    """A new change set's staging tables; the classification adds `changes` (`CHANGES_DDL`), `touched` and hashes."""
    raw = ", ".join(f"{f} TEXT" for f in schema.FIELDS)  # a rejected row keeps the source's text
    # A scratch file: losing it to a crash only means planning again, so skip the fsyncs.
    db.executescript(
        f"""
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE incoming ({schema.column_definitions(primary_key=False)}, {hash_column} INTEGER);
        CREATE TABLE rejected ({raw}, reason TEXT NOT NULL);
        CREATE TABLE known_use_codes (code TEXT PRIMARY KEY);
        CREATE TABLE held_ids (id TEXT PRIMARY KEY);
        CREATE TABLE plan (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), body TEXT);
        PRAGMA user_version = {CHANGE_SET_VERSION};
        """
    )


#: A change row's columns beside the new values: `old_` values, the kind, the changed fields, flags and marks.
CHANGE_DEFINITIONS = (f"{schema.column_definitions(primary_key=False, prefix='old_')}, "
                      f"kind TEXT NOT NULL, changed TEXT, flags TEXT, {REVIEW_COLUMNS}")
#: What the review pages through: the new values, then `CHANGE_DEFINITIONS`.
CHANGES_DDL = f"CREATE TABLE changes ({schema.column_definitions()}, {CHANGE_DEFINITIONS})"
#: The columns of `changes` by name, in `CHANGES_DDL` order. Reads name them: a first load's change set is
#: the staged table itself with `CHANGE_DEFINITIONS` added (see `ChangeStore`), so its column order differs.
CHANGE_COLUMNS: tuple[str, ...] = (*schema.FIELDS, *(d.split()[0] for d in CHANGE_DEFINITIONS.split(", ")))


def c002_review_columns(db: sqlite3.Connection) -> None:
    """A change set staged before holds gets their columns (empty: nothing was held or undone then)."""
    found = {row[1] for row in db.execute("PRAGMA table_info(changes)")}
    for definition in REVIEW_COLUMNS.split(", "):
        if found and definition.split()[0] not in found:
            db.execute(f"ALTER TABLE changes ADD COLUMN {definition}")


def c003_held_ids(db: sqlite3.Connection) -> None:
    """A change set staged before holds gets the list of earlier-held parcels it was planned with: none."""
    db.execute("CREATE TABLE IF NOT EXISTS held_ids (id TEXT PRIMARY KEY)")


#: Upgrades of a staged change set, from version 2 on (index 0 takes a file from 1 to 2).
CHANGE_SET_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (c002_review_columns, c003_held_ids)


def upgrade_staged_change_set(db: sqlite3.Connection) -> None:
    """A staged change set taken up for review: brought to this release's tables; a newer one is refused."""
    version = max(int(db.execute("PRAGMA user_version").fetchone()[0]), 1)
    if version > CHANGE_SET_VERSION:
        raise SchemaTooNew(
            "The sync waiting for review was planned by a newer version of CountyDataSync. Review it with that "
            "version, or sync again here (the new plan replaces it); nothing was changed.",
            details=f"change set version {version}; this version knows up to {CHANGE_SET_VERSION}")
    for number, migration in enumerate(CHANGE_SET_MIGRATIONS[version - 1:], start=version + 1):
        migration(db)
        db.execute(f"PRAGMA user_version = {number}")


# ---------------------------------------------------------------------------
# Applying and checking versions
# ---------------------------------------------------------------------------
def migrate(conn: sa.Connection, migrations: tuple[Migration, ...], name: str) -> int:
    """Bring the database of `conn` up to date inside the caller's transaction; return how many migrations ran.

    Raises `SchemaTooNew` (and changes nothing) for a file written by a newer release.
    """
    version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    _refuse_newer(version, len(migrations), name)
    for number, migration in enumerate(migrations[version:], start=version + 1):
        migration(conn)
        conn.exec_driver_sql(f"PRAGMA user_version = {number}")  # transactional, like the DDL
    return len(migrations) - version


def migrate_working(conn: sa.Connection) -> int:
    """`migrate` for working_db.sqlite."""
    return migrate(conn, WORKING_MIGRATIONS, schema.WORKING_DB_FILE)


def migrate_stats(conn: sa.Connection) -> int:
    """`migrate` for stats_db.sqlite."""
    return migrate(conn, STATS_MIGRATIONS, schema.STATS_DB_FILE)


def check_readable(path: Path) -> None:
    """Raise `SchemaTooNew` if `path` was written by a newer release (reads nothing else; a missing file is fine)."""
    if not path.exists():
        return
    known = len(WORKING_MIGRATIONS if path.name == schema.WORKING_DB_FILE else STATS_MIGRATIONS)
    db = connect_read_only(path)
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise DataFolderError(
            f"{path.name} in the data folder cannot be read as a database. Restore it from a backup, "
            "or move it away so that the next sync starts afresh.", details=f"{path}: {exc}",
        ) from exc
    finally:
        db.close()
    _refuse_newer(version, known, path.name)


def _refuse_newer(version: int, known: int, name: str) -> None:
    if version > known:
        raise SchemaTooNew(
            f"{name} in this data folder was written by a newer version of CountyDataSync. "
            "Install that version (or newer) to use this folder; nothing was changed.",
            details=f"{name}: schema version {version}; this version knows up to {known}",
        )


def _columns(conn: sa.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}


# ---------------------------------------------------------------------------
# Queries that copy a committed change set (attached as `stage`) into the journal and rejects
# ---------------------------------------------------------------------------
def journal_copy(where: str) -> str:
    """SQL that copies the change rows matching `where` into the journal, inside SQLite (a million journal
    rows never pass through Python). Bound: run_id, and whatever `where` binds."""
    return f"""
        INSERT INTO journal
        SELECT :run_id, id, kind, changed, flags, {", ".join(f"old_{f}, {f}" for f in schema.VALUE_FIELDS)}
        FROM stage.changes WHERE {where}
    """
#: A bad row the source still has is read and rejected again by later syncs (inside the look-back,
#: or every time without a timestamp); it is recorded once, not once per sync. Bound: run_id.
REJECTS_COPY = f"""
    INSERT INTO rejects (run_id, {", ".join(schema.FIELDS)}, reason)
    SELECT :run_id, {", ".join(schema.FIELDS)}, reason FROM stage.rejected r
    WHERE NOT EXISTS (SELECT 1 FROM rejects known WHERE known.reason = r.reason
                      AND {" AND ".join(f"known.{f} IS r.{f}" for f in schema.FIELDS)})
    ORDER BY id
"""
