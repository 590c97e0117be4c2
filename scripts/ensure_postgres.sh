#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries (initdb, pg_ctl) are installed: the tests in
# tests/pg start a throwaway server with them (see test_server_package.sh).
set -euo pipefail
source "$(dirname "$0")/test_server_package.sh"

have_server() {
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null
}

ensure_server_package PostgreSQL postgresql initdb
