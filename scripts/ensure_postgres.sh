#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries (initdb, pg_ctl) are installed: the tests in
# tests/pg start a throwaway server with them. Installs Debian's `postgresql` package
# when it is missing and we are root; otherwise says what to do and exits 0, so the
# PostgreSQL tests skip with that reason rather than the whole run failing.
set -euo pipefail

have_server() {
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null
}

if have_server; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL's server is not installed; the PostgreSQL tests will be skipped." >&2
    echo "Install it with: sudo apt-get install postgresql" >&2
    exit 0
fi
echo "Installing PostgreSQL (Debian package postgresql) for the PostgreSQL tests"
apt-get update -qq
# The package's post-install starts a cluster service where systemd runs; we do not need it.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
have_server || { echo "PostgreSQL was installed but initdb was not found" >&2; exit 1; }
