"""Open the right kind of source for the settings: a database table or a county file."""

from __future__ import annotations

from .file_kinds import is_file_address
from .file_source import FileSource
from .settings import SourceSettings
from .source import Source

#: what the sync reads from: both kinds have describe, identity, check, count, read and catalogue
AnySource = Source | FileSource


def open_source(settings: SourceSettings) -> AnySource:
    """A `FileSource` for a path or `file:` URL (told apart by form and suffix), else a database `Source`."""
    return FileSource(settings) if is_file_address(settings.url) else Source(settings)
