"""Benchmark CountyDataSync against a floor and a peer: `make bench` (or `python -m bench.run --help`).

For each county size it builds a demo source, then, each measurement in its own
process and repeated, times and measures peak memory of: the first full sync,
an incremental sync after 1 % of parcels changed (updates, splits, retirements
and a few rejects), a sync with nothing changed; the floor (plain sqlite3
executemany of the same rows into a keyed table in one transaction); the limit
(SQLite copying the source table into a keyed WITHOUT ROWID table itself); and dlt
(first load and the same 1 % change); once per size, the time to the first rows
of the table browser and of the review, and the desktop window's longest stall
while it syncs and commits. For the largest size, the same first load and 1 %
change from a PostgreSQL source (the tests' throwaway server, bench/postgres.py),
ours and dlt's. Once, the time to first window of the desktop app from source
(bench/first_window.py). It prints medians with ratios, checks the targets of
the scale and first-load issues, and writes docs/benchmarks.md, keeping the
hand-written notes below NOTES_MARKER.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

from countydatasync_gui.etl.demo import create_demo_county, edit_demo_county

ROOT = Path(__file__).resolve().parent.parent
# docs/benchmarks.md from this line on is written by hand and kept when the benchmark rewrites the rest.
NOTES_MARKER = "<!-- Notes below are written by hand; bench.run keeps them. -->"
# The edit time is fixed so every repeat applies the very same 1 % change.
EDIT_TIME = datetime(2026, 6, 1, 12, 0, 0)


def measure(*args: str) -> dict[str, float]:
    """Run one scenario in a fresh interpreter and return its figures.

    Dirty pages are flushed to disk first: otherwise a measurement that follows
    a big write (a first load) pays for the operating system writing that one
    back while it waits for its own fsync.
    """
    if hasattr(os, "sync"):
        os.sync()
    return _run_module("bench.scenarios", *args)


def _run_module(module: str, *args: str) -> dict:
    """Run `python -m module args...` from the checkout and return the JSON of its last line of output."""
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{module} {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fresh_run(run_dir: Path, pristine: Path) -> tuple[Path, Path]:
    """An empty folder for one repeat, holding a copy of the pristine source to edit; returns both."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    source = run_dir / "source.sqlite"
    shutil.copyfile(pristine, source)
    return run_dir, source


def run_size(parcels: int, repeat: int, work: Path, with_dlt: bool) -> dict[str, list[dict[str, float]]]:
    """All scenarios for one county size, `repeat` times each."""
    pristine = work / f"source-{parcels}.sqlite"
    if not pristine.exists():
        create_demo_county(pristine, parcels=parcels, seed=1)
    results: dict[str, list[dict[str, float]]] = defaultdict(list)
    for attempt in range(repeat):
        run_dir, source = _fresh_run(work / f"run-{parcels}-{attempt}", pristine)
        data = str(run_dir / "data")
        results["floor"].append(measure("floor", str(source), str(run_dir / "floor.sqlite")))
        results["limit"].append(measure("limit", str(source), str(run_dir / "limit.sqlite")))
        results["full sync"].append(measure("sync", str(source), data))
        if with_dlt:
            results["dlt first load"].append(
                measure("dlt", str(source), str(run_dir / "dlt.sqlite"), str(run_dir / "dlt-pipelines")))
        edit_demo_county(source, changes=parcels // 100, seed=2, now=EDIT_TIME)
        results["incremental 1%"].append(measure("sync", str(source), data))
        results["nothing changed"].append(measure("sync", str(source), data))
        if with_dlt:
            results["dlt incremental 1%"].append(
                measure("dlt", str(source), str(run_dir / "dlt.sqlite"), str(run_dir / "dlt-pipelines")))
        if attempt == 0:
            results.update(_gui_scenarios(pristine, run_dir, data))
        print(f"  {parcels:,} parcels, run {attempt + 1}/{repeat} done", file=sys.stderr)
    return results


PG_FULL, PG_DLT_FULL, PG_INCREMENTAL, PG_DLT_INCREMENTAL = (
    "PostgreSQL source: full sync", "PostgreSQL source: dlt first load",
    "PostgreSQL source: incremental 1%", "PostgreSQL source: dlt incremental 1%")
PG_SCENARIOS = (PG_FULL, PG_DLT_FULL, PG_INCREMENTAL, PG_DLT_INCREMENTAL)


def run_postgres(parcels: int, repeat: int, work: Path, with_dlt: bool) -> dict[str, list[dict[str, float]]]:
    """Our first load and 1 % incremental from a PostgreSQL copy of the demo county, and dlt's, `repeat` times.

    Nothing if this machine cannot start the tests' throwaway server (the reason is printed).
    """
    from bench.postgres import load_county
    from tests.pg.server import missing_requirement, throwaway_server

    if missing := missing_requirement():
        print(f"  no PostgreSQL rows: {missing}", file=sys.stderr)
        return {}
    pristine = work / f"source-{parcels}.sqlite"
    results: dict[str, list[dict[str, float]]] = defaultdict(list)
    with throwaway_server() as server:
        for attempt in range(repeat):
            run_dir, edited = _fresh_run(work / f"pg-run-{parcels}-{attempt}", pristine)
            data, dlt_args = str(run_dir / "data"), (str(run_dir / "dlt.sqlite"), str(run_dir / "dlt-pipelines"))
            url = load_county(server, "county", pristine)
            results[PG_FULL].append(measure("sync", url, data))
            if with_dlt:
                results[PG_DLT_FULL].append(measure("dlt", url, *dlt_args))
            # The same 1 % change as the SQLite rows, reloaded whole (only the edited rows get new timestamps).
            edit_demo_county(edited, changes=parcels // 100, seed=2, now=EDIT_TIME)
            load_county(server, "county", edited)
            results[PG_INCREMENTAL].append(measure("sync", url, data))
            if with_dlt:
                results[PG_DLT_INCREMENTAL].append(measure("dlt", url, *dlt_args))
            print(f"  PostgreSQL, {parcels:,} parcels, run {attempt + 1}/{repeat} done", file=sys.stderr)
    return results


FIRST_WINDOW = "time to first window (from source, warm)"


def run_first_window(repeat: int, work: Path) -> tuple[list[dict[str, float]], list[str]]:
    """The desktop app's time to first window on the demo county, each in a fresh interpreter, after one warm-up.

    Returns the runs and the heavy modules imported before the window showed (the last run's).
    """
    data = str(work / "first-window-data")
    _run_module("bench.first_window", data)  # warm-up: creates the demo county, fills the file cache
    runs = [_run_module("bench.first_window", data) for _ in range(repeat)]
    return runs, list(runs[-1]["heavy"])


BROWSER, REVIEW, STALL = ("browser first rows", "review first rows (every parcel new)",
                          "window's longest stall during sync + commit")
GUI_SCENARIOS = (BROWSER, REVIEW, STALL)


def _gui_scenarios(pristine: Path, run_dir: Path, data: str) -> dict[str, list[dict[str, float]]]:
    """Time to first rows of the table browser and of the review of a first sync; the window's longest stall."""
    return {
        BROWSER: [measure("browser", data)],
        REVIEW: [measure("review", str(pristine), str(run_dir / "review-data"))],
        STALL: [measure("stall", str(pristine), str(run_dir / "stall-data"))],
    }


def median(values: list[dict[str, float]], key: str) -> float:
    return statistics.median(v[key] for v in values)


PEERS = {"full sync": "dlt first load", "incremental 1%": "dlt incremental 1%",
         PG_FULL: PG_DLT_FULL, PG_INCREMENTAL: PG_DLT_INCREMENTAL}


def report(all_results: dict[int, dict[str, list[dict[str, float]]]], repeat: int, window: tuple[list, list[str]],
           load: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """The Markdown report: a table of medians with ratios, then the targets."""
    lines = [
        "# Benchmarks", "",
        f"Measured {date.today().isoformat()} by `make bench` on {platform.platform()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        + ", ".join(f"{p} {_version(p)}" for p in ("pandas", "SQLAlchemy", "pyarrow", "adbc-driver-sqlite", "dlt")) + ".",
        f"Medians over {repeat} runs, each measurement in its own process; seconds exclude interpreter start-up "
        "(the time to first window includes the imports). The machine is shared: load average "
        f"{' / '.join(f'{v:.2f}' for v in load[0])} (1 / 5 / 15 min) at the start, "
        f"{' / '.join(f'{v:.2f}' for v in load[1])} at the end.", "",
        "| parcels | scenario | seconds | peak MB | x floor | x limit | x dlt |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for parcels, results in all_results.items():
        floor, limit = median(results["floor"], "seconds"), median(results["limit"], "seconds")
        for name, values in results.items():
            seconds = median(values, "seconds")
            peer = PEERS.get(name)
            versus_dlt = f"{seconds / median(results[peer], 'seconds'):.2f}" if peer in results else ""
            # The GUI figures are latencies, not loads, and the PostgreSQL rows read another
            # source: ratios to the SQLite floor and limit would mean nothing.
            bare = name in GUI_SCENARIOS or name in PG_SCENARIOS
            versus_floor, versus_limit = ("", "") if bare else (f"{seconds / floor:.2f}", f"{seconds / limit:.2f}")
            lines.append(f"| {parcels:,} | {name} | {seconds:.2f} | {median(values, 'peak_mb'):.0f} | "
                         f"{versus_floor} | {versus_limit} | {versus_dlt} |")
    runs, heavy = window
    lines.append(f"| demo | {FIRST_WINDOW} | {median(runs, 'seconds'):.2f} | {median(runs, 'peak_mb'):.0f} |  |  |  |")
    lines += ["", f"Imported before the window showed: {', '.join(heavy) if heavy else 'none of pandas, pyarrow, SQLAlchemy'}."]
    lines += ["", "## Targets", ""] + [f"- {t}" for t in targets(all_results, runs)]
    return "\n".join(lines) + "\n"


def targets(all_results: dict[int, dict[str, list[dict[str, float]]]], window_runs: list[dict[str, float]]) -> list[str]:
    """Each target of the scale and first-load issues, with the measured figure and whether it is met."""
    checks: list[str] = []
    largest = max(all_results)
    r = all_results[largest]
    full = median(r["full sync"], "seconds")

    def check(label: str, value: float, limit: float, unit: str = "") -> None:
        checks.append(f"{'met' if value <= limit else 'NOT met'}: {label}: {value:.3g}{unit} (limit {limit:.3g}{unit})")

    check(f"full sync of {largest:,} vs floor", full / median(r["floor"], "seconds"), 2.5, "x")
    check(f"full sync of {largest:,} vs the limit (SQLite's own copy)", full / median(r["limit"], "seconds"), 5, "x")
    check(f"incremental 1% vs full sync ({largest:,})", median(r["incremental 1%"], "seconds") / full, 0.05)
    check(f"nothing changed vs full sync ({largest:,})", median(r["nothing changed"], "seconds") / full, 0.01)
    if "dlt first load" in r:
        check("full sync vs dlt first load", full / median(r["dlt first load"], "seconds"), 1 / 3, "x")
        check("incremental vs dlt incremental",
              median(r["incremental 1%"], "seconds") / median(r["dlt incremental 1%"], "seconds"), 1 / 5, "x")
    if PG_DLT_FULL in r:
        check(f"PostgreSQL source: full sync of {largest:,} vs dlt first load",
              median(r[PG_FULL], "seconds") / median(r[PG_DLT_FULL], "seconds"), 1 / 3, "x")
        check("PostgreSQL source: incremental vs dlt incremental",
              median(r[PG_INCREMENTAL], "seconds") / median(r[PG_DLT_INCREMENTAL], "seconds"), 1 / 5, "x")
    smallest = min(all_results)
    if smallest != largest:
        growth = median(r["full sync"], "peak_mb") - median(all_results[smallest]["full sync"], "peak_mb")
        check(f"peak memory growth {smallest:,} -> {largest:,} parcels", growth, 100, " MB")
    check(f"table browser first rows ({largest:,} parcels)", median(r[BROWSER], "seconds"), 0.3, " s")
    check(f"window's longest stall during a sync of {largest:,} parcels", median(r[STALL], "seconds"), 0.05, " s")
    review_size = 100_000 if 100_000 in all_results else smallest
    check(f"review first rows ({review_size:,} changes)",
          median(all_results[review_size][REVIEW], "seconds"), 0.5, " s")
    check("time to first window (from source, warm)", median(window_runs, "seconds"), 0.5, " s")
    return checks


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated county sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, help="folder for sources and databases (default: a temporary folder)")
    parser.add_argument("--no-dlt", action="store_true", help="skip the dlt peer")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL-source rows")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cds-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    all_results = {}
    sizes = [int(s) for s in args.sizes.split(",")]
    for parcels in sizes:
        print(f"Benchmarking {parcels:,} parcels in {work} ...", file=sys.stderr)
        all_results[parcels] = run_size(parcels, args.repeat, work, with_dlt=not args.no_dlt)
    if not args.no_postgres:
        print(f"Benchmarking a PostgreSQL source of {max(sizes):,} parcels ...", file=sys.stderr)
        all_results[max(sizes)].update(run_postgres(max(sizes), args.repeat, work, with_dlt=not args.no_dlt))
    window = run_first_window(args.repeat, work)
    text = report(all_results, args.repeat, window, (load_before, os.getloadavg()))
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # The notes below the marker are written by hand (profiles, what would reach a target): keep them.
    kept = args.out.read_text().partition(NOTES_MARKER) if args.out.exists() else ("", "", "")
    args.out.write_text(text + (f"\n{NOTES_MARKER}{kept[2]}" if kept[1] else ""))
    print(f"Wrote {args.out} ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)", file=sys.stderr)


if __name__ == "__main__":
    main()
