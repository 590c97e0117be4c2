"""One benchmark measurement, run in its own process: `python -m bench.scenarios NAME ARGS...`.

Prints one JSON line: `seconds` (the measured work, inside the process, without
interpreter start-up) and `peak_mb` (the process's peak resident memory).
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time
from pathlib import Path
from typing import Callable


def _source_url(source: str) -> str:
    """A SQLAlchemy URL for a source given as a SQLite file or already as a URL (the PostgreSQL rows)."""
    return source if "://" in source else f"sqlite:///{source}"


def _engine_sync(source: str, data_dir: str) -> Callable[[], None]:
    """Our sync, as `countydatasync sync --yes` runs it: plan, then commit."""
    from countydatasync_gui.etl.datafolder import DataFolder
    from countydatasync_gui.etl.settings import SourceSettings, SyncSettings
    from countydatasync_gui.etl.startup import freeze_startup_objects
    from countydatasync_gui.etl.sync import commit, plan_sync

    folder = DataFolder.resolve(data_dir)
    settings = SyncSettings(SourceSettings(url=_source_url(source)))
    freeze_startup_objects()  # as the command does before it plans
    return lambda: commit(plan_sync(folder, settings))


def _floor(source: str, target: str) -> Callable[[], None]:
    """Plain sqlite3 executemany of the same rows into a table with a primary key, in one transaction."""
    rows = sqlite3.connect(source).execute("SELECT * FROM parcels").fetchall()
    db = sqlite3.connect(target, isolation_level=None)
    db.execute(
        "CREATE TABLE working (id TEXT PRIMARY KEY, owner TEXT, use_code TEXT, acres REAL, assessed_value REAL, "
        "last_updated TEXT, site_address TEXT, land_value REAL, improvement_value REAL)"
    )

    def insert() -> None:
        db.execute("BEGIN")
        db.executemany("INSERT INTO working VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")

    return insert


def _limit(source: str, target: str) -> Callable[[], None]:
    """The physical limit: SQLite copying the source table into a keyed WITHOUT ROWID table, nothing in Python.

    ATTACH + INSERT ... SELECT ... ORDER BY id in one transaction: what any load
    of the same rows into the same kind of table must at least cost on this disk.
    """
    db = sqlite3.connect(target, isolation_level=None)
    db.execute(
        "CREATE TABLE working (id TEXT PRIMARY KEY NOT NULL, owner TEXT, use_code TEXT, acres REAL, "
        "assessed_value REAL, last_updated TEXT, site_address TEXT, land_value REAL, improvement_value REAL) WITHOUT ROWID"
    )
    db.execute("ATTACH DATABASE ? AS source", (source,))

    def copy() -> None:
        db.execute("BEGIN")
        db.execute("INSERT INTO working SELECT id, owner, use_code, acres, assessed_value, last_updated, site_address, "
                   "land_value, improvement_value FROM source.parcels ORDER BY id")
        db.execute("COMMIT")

    return copy


def _dlt(source: str, target: str, pipelines_dir: str) -> Callable[[], None]:
    """dlt configured as a data engineer would for the same job (see docs/benchmarks.md)."""
    import dlt
    from dlt.sources.sql_database import sql_table

    return lambda: _run_dlt(dlt, sql_table, source, target, pipelines_dir)


def _run_dlt(dlt, sql_table, source: str, target: str, pipelines_dir: str) -> None:
    parcels = sql_table(
        credentials=_source_url(source), table="parcels", backend="pyarrow",
        incremental=dlt.sources.incremental("last_updated"),
    )
    pipeline = dlt.pipeline(
        pipeline_name="parcels", pipelines_dir=pipelines_dir, dataset_name="main",
        destination=dlt.destinations.sqlalchemy(f"sqlite:///{target}", create_primary_keys=True),
    )
    pipeline.run(parcels, write_disposition="merge", primary_key="id")


def main(name: str, *args: str) -> None:
    # Each branch imports and prepares first; only the returned callable is timed.
    if name == "sync":
        work: Callable[[], object] = _engine_sync(*args)
    elif name == "floor":
        work = _floor(*args)
    elif name == "limit":
        work = _limit(*args)
    elif name == "dlt":
        work = _dlt(*args)
    elif name in ("review", "browser"):
        from bench.gui_open import measure
        work = measure(name, *args)
    elif name == "stall":
        from bench.gui_stall import measure as measure_stall
        work = measure_stall(*args)
    else:
        raise SystemExit(f"unknown scenario {name!r}")
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": result if isinstance(result, float) else seconds, "peak_mb": round(_peak_mb(), 1)}))


def _peak_mb() -> float:
    """This process's peak resident memory.

    Linux's VmHWM starts afresh at exec; ru_maxrss would also count the memory
    of the benchmark driver this process was forked from.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main(*sys.argv[1:])
