"""Turn what the user asked for (flags, data folder) into `SyncSettings`.

With no source given, the engine syncs the bundled demo county, creating it
in the data folder on first use, so a new install has something to show.
"""

from __future__ import annotations

import logging

from .datafolder import DataFolder
from .demo import create_demo_county
from .settings import DEFAULT_TABLE, SourceSettings, SyncSettings

log = logging.getLogger(__name__)

DEMO_PARCELS = 25_000


def load_settings(folder: DataFolder, *, source_url: str | None = None, table: str | None = None) -> SyncSettings:
    """Settings for a sync of `source_url` (default: the demo county in `folder`)."""
    if source_url is None:
        source_url = demo_source_url(folder)
    return SyncSettings(source=SourceSettings(url=source_url, table=table or DEFAULT_TABLE))


def demo_source_url(folder: DataFolder) -> str:
    """The demo county's address, creating the demo file if it does not exist yet."""
    if not folder.demo_source.exists():
        folder.ensure()
        rows = create_demo_county(folder.demo_source, parcels=DEMO_PARCELS)
        log.info("Created the demo county with %s parcels at %s", f"{rows:,}", folder.demo_source)
    return f"sqlite:///{folder.demo_source}"
