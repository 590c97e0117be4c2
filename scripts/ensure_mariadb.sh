#!/usr/bin/env bash
# Make sure MariaDB's server binaries (mariadb-install-db, mariadbd) are installed: the tests
# in tests/mariadb start a throwaway server with them. Installs Debian's `mariadb-server`
# package when it is missing and we are root; otherwise says what to do and exits 0, so the
# MariaDB tests skip with that reason rather than the whole run failing.
set -euo pipefail

have_server() {
    command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]]
}

if have_server; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "MariaDB's server is not installed; the MariaDB tests will be skipped." >&2
    echo "Install it with: sudo apt-get install mariadb-server" >&2
    exit 0
fi
echo "Installing MariaDB (Debian package mariadb-server) for the MariaDB tests"
apt-get update -qq
# The package's post-install starts a service where systemd runs; the tests start their own server.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server >/dev/null
have_server || { echo "MariaDB was installed but mariadbd was not found" >&2; exit 1; }
