# Sourced by ensure_postgres.sh and ensure_mariadb.sh: install a database server's Debian package
# for the tests that start a throwaway server, or say how to get it.
#
#   ensure_server_package NAME PACKAGE PROGRAM
#
# The caller defines `have_server` (true once the server's programs are there). When they are
# missing and we are root with apt-get, installs PACKAGE; otherwise says what to do and returns 0,
# so those tests skip with that reason rather than the whole run failing. PROGRAM names what
# must be found after installing.
ensure_server_package() {
    local name=$1 package=$2 program=$3
    if have_server; then
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "$name's server is not installed; the $name tests will be skipped." >&2
        echo "Install it with: sudo apt-get install $package" >&2
        return 0
    fi
    echo "Installing $name (Debian package $package) for the $name tests"
    apt-get update -qq
    # Where systemd runs, the package starts a system service; the tests start their own server.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
    have_server || { echo "$name was installed but $program was not found" >&2; return 1; }
}
