#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/CountyDataSync/ from packaging/countydatasync.spec.
# `make package` runs this after installing PyInstaller (the `package` extra) into .venv.
#
#   PYTHON=.venv/bin/python bash packaging/build.sh
#
# Environment: PYTHON (default .venv/bin/python), DIST (default dist),
# WORK (PyInstaller's scratch folder, default build/pyinstaller).
# The same spec builds on Windows and macOS; see packaging/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
DIST="${DIST:-dist}"
WORK="${WORK:-build/pyinstaller}"

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "PyInstaller is not installed for $PYTHON. Run: $PYTHON -m pip install -e '.[package]' (or make package)" >&2
    exit 1
fi

# The committed icon files must match their SVG source (re-render with packaging/render_icons.py).
"$PYTHON" packaging/render_icons.py --check

start=$SECONDS
# --clean: no stale analysis from an earlier build (PyInstaller caches per spec and machine).
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/countydatasync.spec

bundle="$DIST/CountyDataSync"
echo "Built $bundle in $((SECONDS - start)) s: $(du -sh "$bundle" | cut -f1)"
echo "Largest parts:"
# sed, not head: head stops reading early, and pipefail then fails the build on sort's SIGPIPE.
du -s "$bundle"/_internal/* 2>/dev/null | sort -rn | sed -n 1,8p | while read -r kib path; do
    printf '  %6.1f MB  %s\n' "$(awk "BEGIN { print $kib / 1024 }")" "${path#"$bundle"/}"
done

# Linux: the X11 ("xcb") plugin's helper libraries travel in the bundle only if this machine has them
# (PyInstaller copies what it can resolve). Name the ones it could not, so the next build can carry them.
if [ "$(uname -s)" = Linux ]; then
    "$PYTHON" - "$bundle" <<'PY'
import sys
from pathlib import Path

from countydatasync_gui.gui.platform_check import XCB_LIBRARIES

bundle = Path(sys.argv[1])
missing = {lib: package for lib, package in XCB_LIBRARIES.items() if next(bundle.rglob(lib), None) is None}
if missing:
    print("Not in the bundle (this build machine lacks them; a desktop without them needs them installed): "
          + ", ".join(missing) + ". To bundle them, build after: sudo apt-get install " + " ".join(missing.values()))
else:
    print("The bundle carries every library the X11 plugin needs beyond a basic X desktop.")
PY
fi
