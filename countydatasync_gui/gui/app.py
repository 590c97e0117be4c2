"""Start the desktop app: `countydatasync-gui`, `python -m countydatasync_gui` or `python main.py`."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..etl.datafolder import DataFolder
from ..etl.logs import configure_logging
from ..etl.startup import freeze_startup_objects
from ..resources import resource_path
from .main_window import APPLICATION, ORGANIZATION, MainWindow
from .platform_check import missing_platform_packages, platform_problem_text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="countydatasync-gui", description="CountyDataSync desktop app.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="folder for working_db.sqlite and stats_db.sqlite "
                        "(default: $COUNTYDATASYNC_DATA_DIR, else your user data folder)")
    parser.add_argument("--source", metavar="URL", help="SQLAlchemy URL of the county's database (default: the source "
                        "saved in File > Settings, i.e. config.toml in the data folder, else the demo county)")
    parser.add_argument("--table", metavar="NAME", help="source table or view (default: as saved in the settings, else parcels)")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window, let it read the data folder and settle briefly, then quit (exit code 0): "
                        "checks an installed copy")
    return parser


ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
SELF_TEST_SETTLE_MS = 500


def app_icon() -> QIcon:
    """The application icon, every rendered size (resources/icons; packaging/render_icons.py makes them)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource_path(f"icons/countydatasync-{size}.png")))
    return icon


def run_self_test(app: QApplication, window: MainWindow) -> None:
    """--self-test: the window is up (the event loop runs); once it has read the data folder, settle, then close it.

    Prints when the window was up (wall-clock time), which packaging/smoke_test.sh
    turns into the start-up time; exit code 0 if the window was visible and read the folder.
    """
    shown_at = time.time()

    def finish() -> None:
        ok = window.isVisible() and window.loaded
        window.close()
        print(f"self-test {'ok' if ok else 'FAILED'}: window shown at unix time {shown_at:.3f}", flush=True)
        app.exit(0 if ok else 1)

    window.load_finished.connect(lambda _loaded: QTimer.singleShot(SELF_TEST_SETTLE_MS, finish))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `countydatasync-gui` script."""
    # Our options first; whatever is left (-platform, -style ...) is Qt's.
    args, qt_args = build_parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    if QApplication.instance() is None and (missing := missing_platform_packages()):
        print(platform_problem_text(missing), file=sys.stderr)  # Qt would abort with its own technical message
        return 1
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("countydatasync")  # Wayland/GNOME match the window to countydatasync.desktop
    folder = DataFolder.resolve(args.data_dir)
    configure_logging(folder, console_level=logging.WARNING)
    window = MainWindow(folder, source_url=args.source, table=args.table)
    window.show()
    freeze_startup_objects()  # full garbage collections would freeze the window mid-sync
    if args.self_test:
        QTimer.singleShot(0, lambda: run_self_test(app, window))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
