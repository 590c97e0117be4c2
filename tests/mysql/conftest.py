"""A throwaway MariaDB server for the whole test session, and a fresh database per test.

The server is Debian's (mariadb-install-db and mariadbd from the `mariadb-server`
package, which `scripts/ensure_mariadb.sh` installs); it listens on a free local
TCP port, keeps its socket and data in a temp folder, runs in a session time zone
that is not UTC (+05:30) and is stopped and removed at the end. As root the
server runs as the `mysql` user, as mariadbd wants. Without the binaries the tests
skip, saying how to get them; with COUNTYDATASYNC_REQUIRE_MARIADB set (CI) they fail.
"""

from __future__ import annotations

import os
import pwd
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
SESSION_ZONE = "+05:30"
HOW_TO_GET = "MariaDB's server is not installed: run scripts/ensure_mariadb.sh (apt-get install mariadb-server)"


@dataclass(frozen=True)
class MariaServer:
    """A running server: where it listens and the test account's login."""

    host: str
    port: int
    socket: Path

    def url(self, database: str, *, password: str = PASSWORD) -> str:
        """A SQLAlchemy URL for `database` with the test account (PyMySQL driver)."""
        return f"mysql+pymysql://{USER}:{password}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None):  # a pymysql connection
        """A plain PyMySQL connection as the server's root (through its socket), autocommit, for test set-up."""
        import pymysql

        return pymysql.connect(unix_socket=str(self.socket), user="root", database=database, autocommit=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    """A started mariadbd: how to reach it, and its process and files."""

    server: MariaServer
    process: subprocess.Popen
    root: Path

    def stop(self) -> None:
        """Stop the server (as an administrator would) and delete its files."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> RunningServer:
    """Start a throwaway server with the test account; skip (or fail, in CI) if MariaDB is not installed."""
    required = bool(os.environ.get("COUNTYDATASYNC_REQUIRE_MARIADB"))

    def unavailable(reason: str) -> None:
        pytest.fail(f"COUNTYDATASYNC_REQUIRE_MARIADB is set but {reason}") if required else pytest.skip(reason)

    try:
        import pymysql  # noqa: F401
    except ImportError:
        unavailable("the PyMySQL driver is missing: pip install -e '.[dev]'")
    install_db, server = shutil.which("mariadb-install-db"), shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    if install_db is None or not Path(server).exists():
        unavailable(HOW_TO_GET)
    as_root = os.geteuid() == 0
    account = "mysql" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    # Not pytest's tmp folder: it is private to root, and the server's user must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="countydatasync-maria-"))
    data, sock, log_file = root / "data", root / "server.sock", root / "server.log"
    if as_root:
        shutil.chown(root, account)
    done = subprocess.run(
        [install_db, "--no-defaults", f"--user={account}", f"--datadir={data}", "--auth-root-authentication-method=normal",
         "--skip-test-db"], capture_output=True, text=True, timeout=180)
    if done.returncode:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"mariadb-install-db failed:\n{done.stdout}\n{done.stderr}")
    port = _free_port()
    # Durability off: a test server that loses data on a crash is fine and much faster.
    process = subprocess.Popen(
        [server, "--no-defaults", f"--user={account}", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
         "--bind-address=127.0.0.1", f"--default-time-zone={SESSION_ZONE}", "--innodb-flush-log-at-trx-commit=0",
         "--skip-log-bin", f"--log-error={log_file}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    running = RunningServer(MariaServer(host="127.0.0.1", port=port, socket=sock), process, root)
    try:
        _wait_until_up(running.server, process, log_file)
        with running.server.connect() as admin, admin.cursor() as cursor:
            cursor.execute(f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'")
            cursor.execute(f"GRANT ALL ON *.* TO '{USER}'@'%'")
    except BaseException:
        running.stop()
        raise
    return running


@pytest.fixture(scope="session")
def maria_server() -> Iterator[MariaServer]:
    """One server for the whole session; stopped and deleted afterwards."""
    running = start_server()
    try:
        yield running.server
    finally:
        running.stop()


def _wait_until_up(server: MariaServer, process: subprocess.Popen, log_file: Path, seconds: float = 60) -> None:
    import pymysql

    deadline = time.monotonic() + seconds
    while True:
        try:
            server.connect().close()
            return
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = log_file.read_text(errors="replace") if log_file.exists() else "(no log)"
                raise RuntimeError(f"mariadbd did not start:\n{log[-3000:]}") from None
            time.sleep(0.2)


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
    """Tests never read or write the machine's real keyring: passwords come from the URL or environment."""
    monkeypatch.setattr(passwords, "_keyring", lambda: None)
