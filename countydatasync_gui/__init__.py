"""CountyDataSync: sync county parcel records into local SQLite databases, with review before commit."""

from importlib import metadata

try:
    # One place for the version: the package metadata written from pyproject.toml.
    __version__ = metadata.version("countydatasync")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
