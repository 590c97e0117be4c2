"""Errors the engine raises on purpose, each with a message a clerk can act on.

`SyncError.message` is plain language (what happened and what to do);
`SyncError.details` carries the technical cause for a "Details" button or the log.
"""

from __future__ import annotations


class SyncError(Exception):
    """An expected failure: the CLI prints `message` without a traceback."""

    def __init__(self, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class SourceUnavailable(SyncError):
    """The source database could not be opened or stopped answering."""


class LoginRefused(SourceUnavailable):
    """The source server refused the user name or password."""


class SourceSchemaError(SyncError):
    """The source lacks the table or a column the sync needs."""


class ConfigError(SyncError):
    """config.toml cannot be read or says something impossible."""


class MappingError(SyncError):
    """The column mapping in the settings cannot be understood."""


class SourceFormError(SyncError):
    """The settings screen's source fields are incomplete; the message says which field to fill."""


class DataFolderBusy(SyncError):
    """Another sync holds the data folder's lock."""


class DataFolderError(SyncError):
    """The data folder or one of its databases cannot be used."""


class SchemaTooNew(DataFolderError):
    """A database file in the data folder was written by a newer release of CountyDataSync."""


class SourceChanged(SyncError):
    """The data folder was filled from a different source."""


class MassDeleteRefused(SyncError):
    """A full refresh would delete too much of the working table without an explicit override."""


class HoldRefused(SyncError):
    """A parcel to hold back is not in the change set (nothing was written; the change set stays open)."""


class ReviewOutdated(SyncError):
    """A change set planned earlier no longer fits the folder (something was committed since, or it is too old)."""


class ScheduleError(SyncError):
    """The operating system's scheduler refused the nightly sync, or is missing."""


class ChangeSetClosed(SyncError):
    """The change set was already committed or discarded."""


class SyncCancelled(SyncError):
    """The user cancelled the sync; nothing was changed."""

    def __init__(self) -> None:
        super().__init__("The sync was cancelled. Nothing was changed.")


class UndoBlocked(SyncError):
    """Later runs changed some of the same parcels: undoing this one alone would lose their changes."""

    def __init__(self, run_id: int, later_runs: list[int]) -> None:
        runs = ", ".join(str(r) for r in later_runs)
        super().__init__(
            f"Later syncs changed some of the same parcels (run {runs}). Undo those too, newest first, "
            f"back to and including run {run_id}, or undo nothing.",
        )
        self.later_runs = later_runs


class AdbcRefused(SyncError):
    """ADBC was asked to open a file that another SQLite copy in this process may have open."""
