"""How the engine reports progress and learns about cancellation, without knowing who listens.

The engine calls `progress.step(...)` / `progress.advance(...)` and
`progress.check_cancelled()` between chunks. The CLI uses the silent default;
the desktop app's worker subclasses it and turns the calls into Qt signals.
"""

from __future__ import annotations

import threading

from .errors import SyncCancelled


class Progress:
    """Progress sink and cancel flag shared by the engine and whoever drives it (thread-safe)."""

    def __init__(self) -> None:
        self._cancel = threading.Event()

    # -- called by the driver ------------------------------------------------
    def cancel(self) -> None:
        """Ask the engine to stop at the next chunk boundary."""
        self._cancel.set()

    # -- called by the engine ------------------------------------------------
    @property
    def cancel_requested(self) -> bool:
        """True once `cancel()` was called."""
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        """Raise `SyncCancelled` if the driver asked to stop."""
        if self._cancel.is_set():
            raise SyncCancelled()

    def step(self, name: str, total: int | None = None) -> None:
        """A new step begins (`name` is shown to the user; `total` is the expected row count if known)."""

    def advance(self, done: int) -> None:
        """`done` rows of the current step are finished so far."""
