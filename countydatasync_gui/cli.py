"""`countydatasync`: the headless command line, for scheduled runs and for people who like terminals.

Exit codes: 0 success (nothing to do included), 1 failure (one plain line on
stderr, details in the log file), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__
from .etl import schema
from .etl.config import config_path, effective_settings, load_settings
from .etl.datafolder import DataFolder
from .etl.demo import create_demo_county, edit_demo_county
from .etl.errors import HoldRefused, MassDeleteRefused, SyncError
from .etl.logs import LOG_FILE, configure_logging
from .etl.passwords import store_password
from .etl.startup import freeze_startup_objects
from .etl.session import KINDS, ChangeSet, FolderView, NextStep, ReviewClass, RunStatus, SyncResult, SyncSession, parse_url
from .schedule import Scheduler, parse_daily

log = logging.getLogger("countydatasync_gui.cli")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and the tests)."""
    parser = argparse.ArgumentParser(prog="countydatasync", description="Sync county parcel records into local SQLite databases.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    sync = commands.add_parser("sync", help="pull what changed since the last sync, show it, and commit it")
    _add_data_dir(sync)
    sync.add_argument("--source", metavar="URL|PATH", help="SQLAlchemy URL of the county's database, or a CSV, TSV, TXT, "
                      "Parquet or Excel file (path or file: URL) (default: the demo county)")
    sync.add_argument("--table", metavar="NAME", help="source table or view (default: parcels)")
    sync.add_argument("--preset", metavar="NAME", help="column mapping preset: wisconsin or florida_nal")
    _add_config(sync)
    sync.add_argument("--full-refresh", action="store_true", help="read every source row and also remove parcels the source no longer has")
    sync.add_argument("--allow-mass-delete", action="store_true", help="commit even if more than 5%% of the parcels would be deleted (a full refresh, "
                      "or a source without a last-updated column)")
    answer = sync.add_mutually_exclusive_group()
    answer.add_argument("--dry-run", action="store_true", help="show the changes, commit nothing")
    answer.add_argument("--yes", action="store_true", help="commit without asking")
    answer.add_argument("--stage", action="store_true", help="leave the changes waiting for review in the data folder "
                        "(a nightly scheduled run); see review, commit and discard")
    sync.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    _add_hold(sync)
    sync.add_argument("-v", "--verbose", action="store_true", help="also log each changed parcel id")

    review = commands.add_parser("review", help="show the sync waiting for review (see sync --stage)")
    review.add_argument("--kind", choices=KINDS, help="list the parcels of one class")
    review.add_argument("--limit", type=int, default=50, help="how many parcels to list (default 50)")
    approve = commands.add_parser("commit", help="commit the sync waiting for review")
    approve.add_argument("--yes", action="store_true", help="commit without asking")
    approve.add_argument("--allow-mass-delete", action="store_true", help="commit even if it deletes more than 5%% "
                         "of the parcels")
    _add_hold(approve)
    reject = commands.add_parser("discard", help="throw the sync waiting for review away; nothing changes")
    for sub in (review, approve, reject):
        _add_data_dir(sub)
        _add_config(sub)
        sub.add_argument("--json", action="store_true", help="print one JSON object")

    undo = commands.add_parser("undo", help="put back every parcel a committed sync added, changed or deleted")
    _add_data_dir(undo)
    _add_config(undo)
    undo.add_argument("--run", type=int, required=True, metavar="N", help="the run to undo (see status)")
    undo.add_argument("--including-later", action="store_true",
                      help="also undo, newest first, the later syncs that changed the same parcels")
    undo.add_argument("--yes", action="store_true", help="undo without asking")
    undo.add_argument("--json", action="store_true", help="print one JSON object")

    report = commands.add_parser("report", help="write a printable HTML report of a run (every row in a CSV beside it)")
    _add_data_dir(report)
    _add_config(report)
    report.add_argument("--run", type=int, required=True, metavar="N", help="the run to report on (see status)")
    report.add_argument("--out", type=Path, required=True, metavar="FILE.html", help="where to write the report")
    report.add_argument("--json", action="store_true", help="print one JSON object")

    schedule = commands.add_parser("schedule", help="register the nightly sync --stage with this computer's scheduler")
    _add_data_dir(schedule)
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--daily", metavar="HH:MM", help="run every day at this time (24-hour clock)")
    when.add_argument("--show", action="store_true", help="show the registered nightly sync")
    when.add_argument("--remove", action="store_true", help="remove the nightly sync")

    status = commands.add_parser("status", help="when the last sync succeeded, how far the county edits go, held parcels and recent runs")
    _add_data_dir(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")

    config = commands.add_parser("config", help="show the settings in force, or store the source password")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    show = config_commands.add_parser("show", help="print the effective settings (flags over config.toml), without secrets")
    set_password = config_commands.add_parser("set-password", help="store the source password in the system keyring")
    for sub in (show, set_password):
        _add_data_dir(sub)
        _add_config(sub)
    show.add_argument("--source", metavar="URL", help="as for sync")
    show.add_argument("--table", metavar="NAME", help="as for sync")
    show.add_argument("--preset", metavar="NAME", help="as for sync")
    show.add_argument("--json", action="store_true", help="print one JSON object")

    demo = commands.add_parser("demo", help="make or edit a demo county source")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    create = demo_commands.add_parser("create", help="write a new demo county SQLite file")
    create.add_argument("path", type=Path)
    create.add_argument("--parcels", type=int, default=25_000)
    create.add_argument("--seed", type=int, default=1)
    edit = demo_commands.add_parser("edit", help="apply a realistic day of county edits")
    edit.add_argument("path", type=Path)
    edit.add_argument("--changes", type=int, default=150)
    edit.add_argument("--seed", type=int)
    return parser


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR", help="folder for working_db.sqlite and stats_db.sqlite "
                        "(default: $COUNTYDATASYNC_DATA_DIR, else your user data folder)")


def _add_hold(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hold", nargs="+", default=[], metavar="ID",
                        help="hold these parcels back: commit everything else; later syncs offer them again")
    parser.add_argument("--release", nargs="+", default=[], metavar="ID",
                        help="commit these parcels held back earlier (they stay held otherwise)")


def _held(args: argparse.Namespace) -> Callable[[ChangeSet], set[str]]:
    """The parcels a command-line commit holds back: those held earlier and offered again, plus --hold, minus --release."""
    return lambda change_set: (set(change_set.held_earlier()) | set(args.hold)) - set(args.release)


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", type=Path,
                        help="settings file (default: config.toml in the data folder)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `countydatasync` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sync" and not (args.yes or args.dry_run or args.stage) and not sys.stdin.isatty():
        parser.error("no terminal to ask on: pass --yes to commit, --stage to leave it for review, or --dry-run")
    if args.command in ("commit", "undo") and not args.yes and not sys.stdin.isatty():
        parser.error(f"no terminal to ask on: pass --yes to {args.command}")
    try:
        if args.command == "sync":
            return _sync(args)
        if args.command in ("review", "commit", "discard"):
            return _waiting(args)
        if args.command == "status":
            return _status(args)
        if args.command == "schedule":
            return _schedule(args)
        if args.command == "undo":
            return _undo(args)
        if args.command == "report":
            return _write_report(args)
        if args.command == "config":
            return _config(args)
        return _demo(args)
    except SyncError as exc:
        log.debug("details: %s", exc.details)
        return _fail(exc.message, args)
    except KeyboardInterrupt:
        return _fail("Interrupted. Nothing was changed.", args)


def _sync(args: argparse.Namespace) -> int:
    folder = DataFolder.resolve(args.data_dir)
    configure_logging(folder, console_level=logging.DEBUG if args.verbose else logging.INFO)
    # Ask for a password only where someone can type it; elsewhere a refused login says where to put it.
    prompt = getpass.getpass if sys.stdin.isatty() else None
    settings = load_settings(folder, source_url=args.source, table=args.table, config_file=args.config,
                             preset=args.preset, prompt=prompt)
    freeze_startup_objects()
    session = SyncSession(folder, settings)
    show = None if args.json else _print_summary

    if args.dry_run:
        # A dry run is a look, not a run: it leaves the databases and the history as they were.
        change_set = session.plan(full_refresh=args.full_refresh, dry_run=True)
        if show:
            show(change_set)
        return _report(args, session.discard(), change_set, status="previewed")
    if args.stage:
        change_set = session.plan(full_refresh=args.full_refresh)
        if show:
            show(change_set)
        if session.next_step(change_set) is not NextStep.RECORD_CHECK:
            replaced = session.waiting()
            session.stage()
            if not args.json:
                print(("Replaced the sync that was waiting. " if replaced else "")
                      + "Waiting for review: countydatasync review, then commit or discard.")
            return _report(args, None, change_set, status="staged")
        return _report(args, session.commit(), change_set)
    change_set, result = session.run(full_refresh=args.full_refresh, allow_mass_delete=args.allow_mass_delete,
                                     confirm=lambda planned: args.yes or _ask(planned), on_planned=show,
                                     hold=_held(args))
    if not args.json:
        print({RunStatus.COMMITTED: "Committed.", RunStatus.NOTHING_TO_DO: "Nothing changed since the last sync.",
               RunStatus.DISCARDED: "Discarded; nothing was changed."}[result.status])
    return _report(args, result, change_set)


def _ask(change_set: ChangeSet) -> bool:
    prompt = "Commit these changes"
    if change_set.mass_delete:
        prompt += f" INCLUDING {change_set.counts.deleted:,} DELETIONS"
    try:
        return input(f"{prompt}? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _report(args: argparse.Namespace, result: SyncResult | None, change_set: ChangeSet, status: str | None = None,
            **extra: Any) -> int:
    """Print the JSON report of a sync if asked for; `status` overrides the result's ("previewed", "staged")."""
    if args.json:
        before = change_set.state_before.watermark
        print(json.dumps({
            "status": status or (result.status if result else None), "run_id": result.run_id if result else None,
            "mode": change_set.mode, "source": change_set.source_description, "counts": change_set.counts.as_dict(),
            "watermark_before": result.watermark_before if result else before,
            "watermark_after": result.watermark_after if result else before,
            "planned_at": change_set.started_at, **extra,
        }))
    return 0


def _waiting(args: argparse.Namespace) -> int:
    """`review`, `commit` and `discard` of the sync staged with `sync --stage`."""
    folder = DataFolder.resolve(args.data_dir)
    configure_logging(folder)
    settings = load_settings(folder, config_file=args.config, create_demo=False)
    session = SyncSession(folder, settings)
    change_set = session.open_waiting()
    if args.command == "discard":
        return _report(args, session.discard(), change_set)
    if args.command == "review":
        if args.json:
            rows = json.loads(change_set.rows(args.kind, limit=args.limit).to_json(orient="records")) if args.kind else []
            held = change_set.held_earlier()
            session.leave_waiting()
            return _report(args, None, change_set, status="waiting", rows=rows, held=held)
        print(f"Planned {_planned_words(change_set)}")
        _print_summary(change_set)
        if args.kind:
            _print_examples(change_set, args.kind, "flags" if args.kind != ReviewClass.REJECTED else "reason",
                            f"{args.kind.capitalize()}", limit=args.limit)
        session.leave_waiting()
        return 0
    if not args.json:
        print(f"Planned {_planned_words(change_set)}")
        _print_summary(change_set)
    if not (args.yes or _ask(change_set)):
        session.leave_waiting()
        print("Not committed; the sync is still waiting for review.")
        return 0
    try:
        result = session.commit(allow_mass_delete=args.allow_mass_delete, hold=_held(args)(change_set))
    except (MassDeleteRefused, HoldRefused):
        session.leave_waiting()  # nothing was written: it waits for a confirmed commit
        raise
    if not args.json:
        print("Committed.")
    return _report(args, result, change_set)


def _planned_words(change_set: ChangeSet) -> str:
    return f"{change_set.started_at[:16].replace('T', ' ')} UTC ({change_set.mode.replace('_', ' ')})"


def _print_summary(change_set: ChangeSet) -> None:
    counts = change_set.counts
    print(f"Source: {change_set.source_description}")
    print(f"Mode: {change_set.mode.replace('_', ' ')}; county edits up to: {change_set.state_before.watermark or 'none yet'}")
    for label, value in (("New", counts.new), ("Changed", counts.changed), ("Unchanged", counts.unchanged),
                         ("Deleted", counts.deleted), ("Rejected", counts.rejected), ("Flagged", counts.flagged)):
        print(f"  {label:<10}{value:>12,}")
    earlier = change_set.held_earlier()
    if earlier:
        print(f"Held back earlier and offered again (they stay held unless --release): {', '.join(earlier)}")
    if counts.touched:
        print(f"  ({counts.touched:,} of the unchanged were re-saved by the county without changes)")
    _print_examples(change_set, ReviewClass.REJECTED, "reason", "Rejected (not loaded)")
    _print_examples(change_set, ReviewClass.FLAGGED, "flags", "Flagged for a second look")
    if change_set.mass_delete:
        print(f"WARNING: this full refresh deletes {counts.deleted:,} of {change_set.working_rows:,} parcels.")


def _print_examples(change_set: ChangeSet, kind: str, column: str, title: str, limit: int = 10) -> None:
    total = change_set.count(kind)
    if not total:
        return
    print(f"{title}:")
    for row in change_set.rows(kind, limit=limit).itertuples():
        print(f"  {getattr(row, schema.ID) or '(no id)'}: {getattr(row, column)}")
    if total > limit:
        print(f"  ... and {total - limit:,} more")


def _status(args: argparse.Namespace) -> int:
    folder = DataFolder.resolve(args.data_dir)
    view = FolderView(folder)
    state = view.sync_state()
    runs = view.recent_runs(limit=10)
    run_list: list[dict[str, Any]] = json.loads(runs.to_json(orient="records")) if len(runs) else []
    waiting = view.waiting()
    held = json.loads(view.held().to_json(orient="records"))
    if args.json:
        print(json.dumps({
            "data_dir": str(folder.path), "last_success": state.last_success_at, "watermark": state.watermark,
            "source": state.source, "runs": run_list, "held": held,
            "waiting": {"planned_at": waiting.planned_at, "mode": waiting.mode, "source": waiting.source,
                        "counts": waiting.counts.as_dict()} if waiting else None,
        }))
        return 0
    print(f"Data folder: {folder.path}")
    print(f"Last successful sync: {state.last_success_at or 'never'}")
    print(f"County edits up to: {state.watermark or 'none yet'}")
    if waiting:
        c = waiting.counts
        print(f"Waiting for review: a sync planned {waiting.planned_at[:16].replace('T', ' ')} UTC: {c.new:,} new, "
              f"{c.changed:,} changed, {c.deleted:,} deleted, {c.rejected:,} rejected (countydatasync review)")
    if held:
        print(f"Held back ({len(held):,}): " + ", ".join(f"{h['id']} ({h['kind']}, run {h['run']})" for h in held))
    for run in run_list:
        print(f"  run {run['run_id']:>4}  {run['started_at']}  {run['mode']:<12} {run['status']:<13} "
              f"new {run['new'] or 0:,} changed {run['changed'] or 0:,} deleted {run['deleted'] or 0:,} "
              f"rejected {run['rejected'] or 0:,} held {run.get('held') or 0:,}" + (f"  {run['error']}" if run["error"] else ""))
    return 0


def _undo(args: argparse.Namespace) -> int:
    folder = DataFolder.resolve(args.data_dir)
    configure_logging(folder)
    session = SyncSession(folder, load_settings(folder, config_file=args.config, create_demo=False))
    if not args.yes:
        try:
            answer = input(f"Put back every parcel run {args.run} added, changed or deleted? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was undone.")
            return 0
    result = session.undo(args.run, including_later=args.including_later)
    if args.json:
        print(json.dumps({"status": "undone", "undo_runs": result.undo_runs, "undone_runs": result.undone_runs,
                          "counts": result.counts.as_dict()}))
    else:
        put_back = result.counts.to_apply
        print(f"Undid run {', '.join(map(str, result.undone_runs))}: {put_back:,} parcel{'' if put_back == 1 else 's'} "
              "put back "
              f"(recorded as run {', '.join(map(str, result.undo_runs))}).")
    return 0


def _write_report(args: argparse.Namespace) -> int:
    folder = DataFolder.resolve(args.data_dir)
    configure_logging(folder)
    session = SyncSession(folder, load_settings(folder, config_file=args.config, create_demo=False))
    html_path = session.write_report(args.run, args.out)
    csv_path = html_path.with_suffix(".csv")
    if args.json:
        print(json.dumps({"status": "written", "run_id": args.run, "html": str(html_path), "csv": str(csv_path)}))
    else:
        print(f"Wrote the report of run {args.run} to {html_path} (every row in {csv_path.name}).")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    scheduler = Scheduler(DataFolder.resolve(args.data_dir).path)
    if args.daily:
        print(f"The nightly sync of {scheduler.data_dir} is registered: {scheduler.install(parse_daily(args.daily))}. "
              "Each run leaves its changes waiting for review (countydatasync status).")
    elif args.show:
        print(scheduler.show() or f"No nightly sync is registered for {scheduler.data_dir}.")
    else:
        print("Removed the nightly sync." if scheduler.remove() else f"No nightly sync was registered for {scheduler.data_dir}.")
    return 0


def _config(args: argparse.Namespace) -> int:
    folder = DataFolder.resolve(args.data_dir)
    config_file = args.config or config_path(folder)
    if args.config_command == "set-password":
        settings = load_settings(folder, config_file=args.config, create_demo=False)
        url = parse_url(settings.source.url)
        if not url.username:
            raise SyncError("The source address has no user name, so there is no password to store.")
        store_password(url, getpass.getpass(f"Password for {url.username}@{url.host}: "))
        print(f"Stored the password for {url.username}@{url.host} in the system keyring.")
        return 0
    settings = load_settings(folder, source_url=args.source, table=args.table, config_file=args.config,
                             preset=args.preset, create_demo=False)
    shown = {"data_dir": str(folder.path), "config_file": str(config_file), "config_file_exists": config_file.exists(),
             **effective_settings(settings)}
    if args.json:
        print(json.dumps(shown))
        return 0
    print(f"Data folder: {shown['data_dir']}")
    print(f"Settings file: {config_file}" + ("" if shown["config_file_exists"] else " (not found; defaults in use)"))
    source = shown["source"]
    for key in ("url", "schema", "table", "timezone", "lookback", "preset", "code_table", "change_detection", "password"):
        print(f"  {key:<17}{source[key] if source[key] is not None else '-'}")
    print("  columns:")
    for field, words in source["columns"].items():
        print(f"    {field:<18}{words}")
    print("  thresholds: " + ", ".join(f"{k} {v:g}" for k, v in shown["thresholds"].items()))
    return 0


def _demo(args: argparse.Namespace) -> int:
    if args.demo_command == "create":
        try:
            rows = create_demo_county(args.path, parcels=args.parcels, seed=args.seed)
        except FileExistsError:
            raise SyncError(f"{args.path} already exists. Choose a new file name or delete the old file.") from None
        print(f"Created a demo county with {rows:,} parcels in {args.path}")
    else:
        try:
            summary = edit_demo_county(args.path, changes=args.changes, seed=args.seed)
        except FileNotFoundError:
            raise SyncError(f"{args.path} does not exist. Create it first with 'countydatasync demo create'.") from None
        print(f"Applied {summary.total:,} edits to {args.path}: {summary}")
    return 0


def _fail(message: str, args: argparse.Namespace) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"status": "failed", "error": message}))
    if args.command == "sync":
        message += f" (Details: {DataFolder.resolve(args.data_dir).log_dir / LOG_FILE})"
    print(f"countydatasync: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
