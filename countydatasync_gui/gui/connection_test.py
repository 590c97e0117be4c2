"""Test connection in the settings screen: the job a background lane runs, and its report in plain words.

The engine's `test_connection` may wait on a slow or unreachable server, so
the settings screen runs `run_test` on a `Lane` (a newer test makes an older
one's answer stale; a closed screen never hears back).
"""

from __future__ import annotations

import html
import traceback

from ..etl.session import ConnectionReport, SyncSession
from ..etl.settings import SourceSettings


def run_test(settings: SourceSettings) -> ConnectionReport:
    """The engine's test; its expected failures already come back as a report, and so does anything else."""
    try:
        return SyncSession.test_connection(settings)
    except Exception as exc:  # noqa: BLE001 - the screen must hear back, whatever happened
        return ConnectionReport(ok=False, connected=False, details="".join(traceback.format_exception(exc)),
                                message="The connection test failed unexpectedly. Check the settings and try again.")


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
