"""A throwaway PostgreSQL server for the whole test session (tests/pg/server.py), and a fresh database per test.

Without the server binaries or the driver the tests skip, saying how to get them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from countydatasync_gui.etl import passwords
from tests.pg.server import PgServer, missing_requirement, throwaway_server

__all__ = ["PgServer"]  # the tests import it from here


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start the server once per session; stop it and delete its files afterwards."""
    # CI installs the server and the driver (scripts/ensure_postgres.sh, the dev extra) and must never
    # skip silently: with COUNTYDATASYNC_REQUIRE_POSTGRES set, anything missing is a failure.
    missing = missing_requirement()
    if missing:
        if os.environ.get("COUNTYDATASYNC_REQUIRE_POSTGRES"):
            pytest.fail(f"COUNTYDATASYNC_REQUIRE_POSTGRES is set but {missing}")
        pytest.skip(missing)
    with throwaway_server() as server:
        yield server


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database for one test (its name); dropped afterwards."""
    name = f"county_{uuid.uuid4().hex[:10]}"
    with pg_server.connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with pg_server.connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _no_system_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write the machine's real keyring: passwords come from the URL or environment."""
    monkeypatch.setattr(passwords, "_keyring", lambda: None)
