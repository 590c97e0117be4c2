"""Hand the engine's log records to the GUI thread.

The engine logs from the worker thread; a widget may only be touched from the
GUI thread. The handler therefore only formats the record and emits a signal:
Qt queues it across threads, and the log viewer appends it on its own thread.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

ENGINE_LOGGER = "countydatasync_gui"
#: Longer messages (DEBUG lists of thousands of parcel ids) are cut in the viewer; the log file keeps them whole.
MAX_MESSAGE_CHARS = 2_000


class LogBridge(QObject):
    """Lives in the GUI thread; its signal carries (level number, formatted line)."""

    record_logged = Signal(int, str)


class QtLogHandler(logging.Handler):
    """A logging handler that emits each record as a Qt signal (thread-safe: emit is queued)."""

    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__(level)
        self.bridge = LogBridge()
        self.setFormatter(logging.Formatter("%(asctime)s  %(levelname)-7s  %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            if len(text) > MAX_MESSAGE_CHARS:
                text = text[:MAX_MESSAGE_CHARS] + " … (cut here; the log file has the full line)"
            self.bridge.record_logged.emit(record.levelno, text)
        except RuntimeError:
            pass  # the bridge was deleted while the app closes: nobody is listening any more
        except Exception:  # noqa: BLE001 - logging must never raise into the engine
            self.handleError(record)


def install_handler(level: int = logging.DEBUG) -> QtLogHandler:
    """Attach a new Qt handler to the engine's logger and return it (remove it with `remove_handler`)."""
    handler = QtLogHandler(level)
    logger = logging.getLogger(ENGINE_LOGGER)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return handler


def remove_handler(handler: QtLogHandler) -> None:
    """Detach a handler installed by `install_handler`."""
    logging.getLogger(ENGINE_LOGGER).removeHandler(handler)
    handler.close()
