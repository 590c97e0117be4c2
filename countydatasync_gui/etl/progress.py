"""How the engine reports progress and learns about cancellation, without knowing who listens.

The engine calls `progress.step(Step...)` / `progress.advance(...)` and
`progress.check_cancelled()` between chunks. The CLI uses the silent default;
the desktop app's worker subclasses it and turns the calls into Qt signals.
"""

from __future__ import annotations

import threading
from enum import Enum

from .errors import SyncCancelled


class Step(Enum):
    """The steps of a sync, in order. A step's identity is the member; `label` is only its wording on screen."""

    OPEN_SOURCE = "Opening the source"
    COUNT = "Counting parcels to read"
    READ = "Reading parcels from the source"
    COMPARE = "Comparing with the working table"
    SAVE_PARCELS = "Saving new and changed parcels"
    JOURNAL = "Recording the change journal"
    STATISTICS = "Updating the statistics"

    @property
    def label(self) -> str:
        """What the clerk reads while the step runs."""
        return self.value


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

    def step(self, step: Step, total: int | None = None) -> None:
        """A new step begins (`step.label` is shown to the user; `total` is the expected row count if known)."""

    def advance(self, done: int) -> None:
        """`done` rows of the current step are finished so far."""
