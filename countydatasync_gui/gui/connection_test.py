"""Test connection off the GUI thread, and its report in plain words for the settings screen.

The engine's `test_connection` may wait on a slow or unreachable server, so it
runs on the thread pool; its report comes back through a queued signal. A
newer test makes an older one's answer stale, and a closed screen simply never
hears back (its connection to the relay goes with it).
"""

from __future__ import annotations

import html
import itertools
import traceback

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal, Slot

from ..etl.connection_check import ConnectionReport, test_connection
from ..etl.settings import SourceSettings

_TICKETS = itertools.count(1)


class _Relay(QObject):
    """Carries reports from pool threads to the GUI thread; lives as long as the application."""

    finished = Signal(int, object)  # ticket, ConnectionReport


def _relay() -> _Relay:
    app = QCoreApplication.instance()
    relay = app.findChild(_Relay, "connectionTestRelay")
    if relay is None:
        relay = _Relay(app)
        relay.setObjectName("connectionTestRelay")
    return relay


def _run(relay: _Relay, ticket: int, settings: SourceSettings) -> None:
    """On a pool thread: the engine's test, whose expected failures already come back as a report."""
    try:
        report = test_connection(settings)
    except Exception as exc:  # noqa: BLE001 - the screen must hear back, whatever happened
        report = ConnectionReport(ok=False, connected=False, details="".join(traceback.format_exception(exc)),
                                  message="The connection test failed unexpectedly. Check the settings and try again.")
    relay.finished.emit(ticket, report)


class ConnectionTester(QObject):
    """Starts connection tests; `finished` carries the newest one's report (older ones are dropped)."""

    finished = Signal(object)  # ConnectionReport

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ticket = 0
        self.running = False
        self._relay = _relay()  # created here, on the GUI thread
        self._relay.finished.connect(self._on_finished)

    def start(self, settings: SourceSettings) -> None:
        """Test `settings` (with its password) on the thread pool."""
        self._ticket = ticket = next(_TICKETS)
        self.running = True
        relay = self._relay
        QThreadPool.globalInstance().start(lambda: _run(relay, ticket, settings))

    @Slot(int, object)
    def _on_finished(self, ticket: int, report: ConnectionReport) -> None:
        if ticket == self._ticket:
            self.running = False
            self.finished.emit(report)


def plain(text: str) -> str:
    """Text made safe for a rich-text label (quotes stay as they are)."""
    return html.escape(text, quote=False)


def report_html(report: ConnectionReport, message: str | None = None) -> str:
    """The report for a `MessageBanner`: the sentence, then what to fix and what is good to know as lists."""
    parts = [f"<p style='margin:0'>{plain(message or report.message)}</p>"]
    for title, lines in (("To fix", report.problems), ("Good to know", report.notes)):
        if lines:
            items = "".join(f"<li>{plain(line)}</li>" for line in lines)
            parts.append(f"<p style='margin:6px 0 0 0'><b>{title}:</b></p>"
                         f"<ul style='margin:0; -qt-list-indent:1'>{items}</ul>")
    return "".join(parts)
