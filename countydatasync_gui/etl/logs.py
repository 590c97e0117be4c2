"""Logging set-up for the CLI and the desktop app: the console (or a GUI handler) and a rotating file."""

from __future__ import annotations

import logging
import logging.handlers

from .datafolder import DataFolder

LOG_FILE = "countydatasync.log"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(folder: DataFolder, *, console_level: int | None = logging.INFO, file_level: int = logging.DEBUG) -> None:
    """Send the engine's records to a rotating file in the data folder and, if asked, to stderr.

    The file keeps DEBUG (changed parcel ids) in five files of 5 MB; the
    console shows INFO and up unless told otherwise.
    """
    folder.ensure()
    root = logging.getLogger("countydatasync_gui")
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):  # idempotent: tests and the GUI may call it again
        if getattr(handler, "_countydatasync", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        folder.log_dir / LOG_FILE, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setLevel(file_level)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    handlers: list[logging.Handler] = [file_handler]
    if console_level is not None:
        console = logging.StreamHandler()
        console.setLevel(console_level)
        console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handlers.append(console)
    for handler in handlers:
        handler._countydatasync = True  # type: ignore[attr-defined]
        root.addHandler(handler)
