"""What a process that runs syncs does once it has started (the command line, the desktop app).

After start-up a process holds tens of thousands of objects of its own and of
the libraries it imported (about 86,000 after importing the engine; more with
Qt). A sync then allocates millions of short-lived objects, which trigger full
garbage collections, and each full collection scans every one of those
long-lived objects while it holds the GIL: 40 ms each here, a twelfth of a 1 %
incremental sync on a million parcels, and long enough to freeze the window.
`gc.freeze()` moves them out of the collector's sight; full collections then
only scan what the sync created.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Exempt every object alive now (imports, settings, the window) from future garbage collections.

    No collection first: right after start-up it frees nothing (measured) and
    would itself cost the 40 ms a full collection costs.
    """
    gc.freeze()
