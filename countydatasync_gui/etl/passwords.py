"""Where a source's password comes from: the system keyring, else an environment variable, else a prompt.

Passwords are never written to `config.toml`, the log or the run history: the
URL in the config carries the user but no password, the password lives in the
keyring (or the environment) and is put into `SourceSettings.password`, which
is left out of every repr. Every URL shown anywhere goes through `safe_url`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .errors import SyncError

log = logging.getLogger(__name__)

ENV_VAR = "COUNTYDATASYNC_SOURCE_PASSWORD"
KEYRING_SERVICE = "CountyDataSync"

Prompt = Callable[[str], str]
_NOT_STORED = "not set (asked for on a terminal)"


def keyring_key(url: URL) -> str:
    """The keyring entry's name for a source: user@host:port/database (one per login)."""
    port = f":{url.port}" if url.port else ""
    return f"{url.username}@{url.host or 'localhost'}{port}/{url.database or ''}"


def safe_url(url: URL | str) -> str:
    """A URL as text with any password masked ('***'), for screens, logs and files."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "(not a database address)"
    return parsed.render_as_string(hide_password=True)


def strip_password(url: URL) -> URL:
    """The URL without its password (what `config.toml` stores)."""
    # Not url.set(password=None): there None means "leave unchanged".
    return url._replace(password=None)


def _keyring():
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        if isinstance(keyring.get_keyring(), fail.Keyring):
            return None
    except Exception:  # noqa: BLE001 - a broken backend means "no keyring", not a crash
        return None
    return keyring


def keyring_available() -> bool:
    """True if a usable system keyring exists (the settings screen offers to store the password there)."""
    return _keyring() is not None


def store_password(url: URL, password: str) -> None:
    """Save a source's password in the system keyring; a clear error if there is none."""
    ring = _keyring()
    if ring is None:
        raise SyncError(
            f"This computer has no system keyring to keep the password in. Set the environment variable {ENV_VAR} "
            "for the account that runs CountyDataSync instead."
        )
    ring.set_password(KEYRING_SERVICE, keyring_key(url), password)


def _stored_password(url: URL) -> tuple[str, str | None]:
    """Where a password for `url` is found without asking, and the password (None if none is stored).

    The one place that knows the order: the URL itself, the keyring, the environment.
    """
    if url.password is not None:
        return "in the source address (hidden)", str(url.password)
    if not url.username or url.get_backend_name() == "sqlite":
        return "not needed", None
    ring = _keyring()
    if ring is not None:
        try:
            found = ring.get_password(KEYRING_SERVICE, keyring_key(url))
        except Exception as exc:  # noqa: BLE001 - e.g. a locked keyring: fall through to the next place
            log.warning("The system keyring could not be read (%s); trying %s", type(exc).__name__, ENV_VAR)
            found = None
        if found is not None:
            return "system keyring", found
    if ENV_VAR in os.environ:
        return f"environment variable {ENV_VAR}", os.environ[ENV_VAR]
    return _NOT_STORED, None


def find_password(url: URL, prompt: Prompt | None = None) -> str | None:
    """The password for `url`: the URL's own, else keyring, else environment, else `prompt`, else None.

    None is a valid answer: servers that trust local users or use other
    authentication need no password, and a server that does need one says so
    through `SourceUnavailable` with the places to put it.
    """
    origin, password = _stored_password(url)
    if origin == _NOT_STORED and prompt is not None:
        return prompt(f"Password for {keyring_key(url)}: ")
    return password


def password_origin(url: URL) -> str:
    """Where `find_password` would take the password from, in words (never the password itself)."""
    return _stored_password(url)[0]


def password_help(url: URL) -> str:
    """Plain words on where a password can be given, for error messages."""
    return (
        f"Store the password for {keyring_key(url)} in the system keyring (countydatasync config set-password), "
        f"or set the environment variable {ENV_VAR}."
    )
