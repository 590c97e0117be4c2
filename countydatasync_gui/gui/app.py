"""Start the desktop app: `countydatasync-gui`, `python -m countydatasync_gui` or `python main.py`."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from typing import Sequence

from PySide6.QtWidgets import QApplication

from .. import __version__
from ..etl.datafolder import DataFolder
from ..etl.logs import configure_logging
from .main_window import APPLICATION, ORGANIZATION, MainWindow


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="countydatasync-gui", description="CountyDataSync desktop app.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="folder for working_db.sqlite and stats_db.sqlite "
                        "(default: $COUNTYDATASYNC_DATA_DIR, else your user data folder)")
    parser.add_argument("--source", metavar="URL", help="SQLAlchemy URL of the county's database (default: the source "
                        "saved in File > Settings, i.e. config.toml in the data folder, else the demo county)")
    parser.add_argument("--table", metavar="NAME", help="source table or view (default: as saved in the settings, else parcels)")
    return parser


def keep_event_loop_smooth() -> None:
    """Exempt the objects alive after start-up (Qt, pandas, SQLAlchemy: several hundred thousand) from garbage collection.

    The sync thread allocates millions of short-lived objects, which triggers full
    collections; each one scans every tracked object while holding the GIL, and
    measured 60-90 ms here, long enough to freeze the window. After `gc.freeze()`
    full collections only scan what was created since, a few milliseconds.
    """
    gc.collect()
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `countydatasync-gui` script."""
    # Our options first; whatever is left (-platform, -style ...) is Qt's.
    args, qt_args = build_parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    folder = DataFolder.resolve(args.data_dir)
    configure_logging(folder, console_level=logging.WARNING)
    window = MainWindow(folder, source_url=args.source, table=args.table)
    window.show()
    keep_event_loop_smooth()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
