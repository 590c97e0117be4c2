"""A throwaway PostgreSQL server: the tests' (tests/pg/conftest.py) and the benchmark's (bench/postgres.py).

The server is Debian's (initdb and pg_ctl from the `postgresql` package, which
`scripts/ensure_postgres.sh` installs); it listens on a free local TCP port
with password (scram) logins, keeps its socket and data in a temp folder, and
is stopped and removed at the end. initdb refuses to run as root, so as root
the server runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "s3cret-Pg!pass"
HOW_TO_GET = "PostgreSQL's server is not installed: run scripts/ensure_postgres.sh (apt-get install postgresql)"


@dataclass(frozen=True)
class PgServer:
    """A running server: where it listens and how to log in as its superuser."""

    host: str
    port: int
    user: str
    password: str

    def url(self, database: str, *, password: str | None = None, with_password: bool = True) -> str:
        """A SQLAlchemy URL for `database` (psycopg 3 driver)."""
        secret = f":{password or self.password}" if with_password else ""
        return f"postgresql+psycopg://{self.user}{secret}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        """A plain psycopg connection in autocommit mode, for test set-up."""
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=database, autocommit=True)


def _server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: Debian's versioned folder (newest first), else PATH."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], as_postgres: bool) -> None:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def missing_requirement() -> str | None:
    """Why a server cannot be started here (the driver or the binaries are missing), or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is missing: pip install -e '.[dev]'"
    if _server_binaries() is None:
        return HOW_TO_GET
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs runuser (util-linux) to start PostgreSQL as the postgres user"
    return None


@contextmanager
def throwaway_server() -> Iterator[PgServer]:
    """Start a server (check `missing_requirement` first); stop it and delete its files afterwards."""
    binaries = _server_binaries()
    assert binaries is not None, HOW_TO_GET
    as_postgres = os.geteuid() == 0
    # Not pytest's tmp folder: it is private to root, and the server must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="countydatasync-pg-"))
    data, password_file, log_file = root / "data", root / "password", root / "server.log"
    password_file.write_text(PASSWORD)
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(password_file, "postgres")
    port = _free_port()
    try:
        _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(password_file),
              "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], as_postgres)
        # Durability off: a test server that loses data on a crash is fine and much faster.
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log_file), "-w", "-t", "60", "start"],
             as_postgres)
        try:
            yield PgServer(host="127.0.0.1", port=port, user="postgres", password=PASSWORD)
        finally:
            _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
    finally:
        shutil.rmtree(root, ignore_errors=True)
