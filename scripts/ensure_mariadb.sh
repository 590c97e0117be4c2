#!/usr/bin/env bash
# Make sure MariaDB's server binaries (mariadb-install-db, mariadbd) are installed: the tests
# in tests/mysql start a throwaway server with them (see test_server_package.sh).
set -euo pipefail
source "$(dirname "$0")/test_server_package.sh"

have_server() {
    command -v mariadb-install-db >/dev/null && { command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]]; }
}

ensure_server_package MariaDB mariadb-server mariadb-install-db
