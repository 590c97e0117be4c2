"""Timestamps as the engine stores them: UTC ISO-8601 text with microseconds.

One fixed width ("2024-05-01T13:45:00.000000Z") so that sorting or comparing the
text gives the same answer as comparing the instants.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def to_utc_text(moment: datetime) -> str:
    """Format an aware datetime as fixed-width UTC text."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_utc_text(text: str) -> datetime:
    """Parse text written by `to_utc_text` back into an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_words(utc_text: str | None) -> str:
    """UTC text in this computer's time zone, as a clerk reads it ("2026-12-03 02:00"); "-" for none."""
    if not utc_text:
        return "-"
    return from_utc_text(utc_text).astimezone().strftime("%Y-%m-%d %H:%M")
