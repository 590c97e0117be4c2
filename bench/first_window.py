"""Time to first window: `python -m bench.first_window DATA_DIR` in a fresh interpreter.

Starts the desktop app through its public entry point (`countydatasync_gui.gui.app.main`)
on DATA_DIR under QT_QPA_PLATFORM=offscreen and prints one JSON line: `seconds` from
the first line of this script (before any of the app's imports) to the window shown
(the first turn of the event loop, after `main` showed it, as `--self-test` counts
it), `peak_mb`, and `heavy`: which of pandas, pyarrow and SQLAlchemy were imported
by then. The QApplication is made here, just before `main`, only so a timer can be
queued on it; `main` reuses it.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402 - everything below is part of the measured start-up
import os  # noqa: E402
import sys  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

HEAVY = ("pandas", "pyarrow", "sqlalchemy")


def main(data_dir: str) -> None:
    app = QApplication([sys.argv[0]])

    def shown() -> None:
        seconds = time.perf_counter() - START
        visible = any(widget.isVisible() for widget in app.topLevelWidgets())
        from bench.scenarios import _peak_mb

        print(json.dumps({"seconds": seconds, "peak_mb": round(_peak_mb(), 1), "visible": visible,
                          "heavy": [name for name in HEAVY if name in sys.modules]}), flush=True)
        for widget in app.topLevelWidgets():
            widget.close()  # the normal way, so the window stops its start-up work before the loop ends
        app.exit(0 if visible else 1)

    QTimer.singleShot(0, shown)  # runs once `main` enters the event loop, the window already shown
    from countydatasync_gui.gui import app as gui_app

    raise SystemExit(gui_app.main(["--data-dir", data_dir]))


if __name__ == "__main__":
    main(*sys.argv[1:])
