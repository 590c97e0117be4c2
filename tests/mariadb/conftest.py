"""A throwaway MariaDB server for the whole test session, and a fresh database per test.

The server is Debian's (mariadb-install-db and mariadbd from `mariadb-server`,
which `scripts/ensure_mariadb.sh` installs), as tests/pg's is PostgreSQL's: a
free local TCP port, data and socket in a temp folder, stopped and removed at
the end. mariadbd will not run as root, so as root it runs as the `mysql` user.
Its default time zone is not UTC (+05:00), so a DATETIME cursor is read the
way a county server abroad would hand it over. Without the binaries or the
driver the tests skip, saying how to get them; with COUNTYDATASYNC_REQUIRE_MARIADB
set (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from countydatasync_gui.etl import passwords

USER, PASSWORD = "assessor", "s3cret-Maria!pass"
SERVER_ZONE = "+05:00"
HOW_TO_GET = "MariaDB's server is not installed: run scripts/ensure_mariadb.sh (apt-get install mariadb-server)"


@dataclass
class MariaServer:
    """A running server: where it listens, how to log in, and how to stop it."""

    host: str
    port: int
    socket: Path
    process: subprocess.Popen

    def url(self, database: str, *, password: str = PASSWORD) -> str:
        """A SQLAlchemy URL for `database` through pymysql."""
        return f"mysql+pymysql://{USER}:{password}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None):  # noqa: ANN201 - a pymysql connection
        """A root connection over the socket in autocommit mode, for test set-up."""
        import pymysql

        return pymysql.connect(unix_socket=str(self.socket), user="root", database=database, autocommit=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(root: Path) -> MariaServer:
    """Initialise a data folder in `root` and start mariadbd on it; wait until it answers."""
    as_mysql = os.geteuid() == 0
    user = ["--user=mysql"] if as_mysql else []
    data, sock = root / "data", root / "mysqld.sock"
    if as_mysql:
        shutil.chown(root, "mysql")
    done = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", *user,
                           "--auth-root-authentication-method=socket", "--skip-test-db"],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed:\n{done.stdout}\n{done.stderr}")
    port = _free_port()
    # Durability off: a test server that loses data on a crash is fine and much faster.
    process = subprocess.Popen(
        ["mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
         "--bind-address=127.0.0.1", f"--pid-file={root / 'mysqld.pid'}", f"--log-error={root / 'server.log'}",
         f"--default-time-zone={SERVER_ZONE}", "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin", *user],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = MariaServer("127.0.0.1", port, sock, process)
    deadline = time.monotonic() + 60
    while True:
        try:
            server.connect().close()
            break
        except Exception:  # noqa: BLE001 - not up yet
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
                raise RuntimeError(f"mariadbd did not start:\n{log[-2000:]}") from None
            time.sleep(0.2)
    with server.connect() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'")
        cursor.execute(f"GRANT ALL ON *.* TO '{USER}'@'%'")
    return server


def stop_server(server: MariaServer) -> None:
    """Stop the server at once (the test data need no clean shutdown)."""
    server.process.kill()
    server.process.wait(timeout=30)


@pytest.fixture(scope="session")
def maria_root() -> Iterator[Path]:
    """A folder the server (as `mysql`) can enter; checks first that server and driver exist."""
    required = bool(os.environ.get("COUNTYDATASYNC_REQUIRE_MARIADB"))
    try:
        import pymysql  # noqa: F401
    except ImportError:
        if required:
            pytest.fail("COUNTYDATASYNC_REQUIRE_MARIADB is set but the pymysql driver is not installed")
        pytest.skip("the pymysql driver is missing: pip install -e '.[dev]'")
    if shutil.which("mariadbd") is None and not Path("/usr/sbin/mariadbd").exists():
        if required:
            pytest.fail("COUNTYDATASYNC_REQUIRE_MARIADB is set but MariaDB's server is not installed")
        pytest.skip(HOW_TO_GET)
    os.environ["PATH"] += os.pathsep + "/usr/sbin"
    # Not pytest's tmp folder: it is private to root, and the server must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="countydatasync-maria-"))
    root.chmod(0o755)  # each server's own folder inside is the `mysql` user's
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def maria_server(maria_root: Path) -> Iterator[MariaServer]:
    """One server for the session."""
    folder = maria_root / "session"
    folder.mkdir()
    server = start_server(folder)
    yield server
    stop_server(server)


@pytest.fixture
def maria_database(maria_server: MariaServer) -> Iterator[str]:
    """A fresh, empty database for one test (its name); dropped afterwards."""
    name = f"county_{uuid.uuid4().hex[:10]}"
    with maria_server.connect() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    yield name
    with maria_server.connect() as admin, admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(autouse=True)
def _no_system_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write the machine's real keyring: passwords come from the URL."""
    monkeypatch.setattr(passwords, "_keyring", lambda: None)
