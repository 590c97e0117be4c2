#!/usr/bin/env bash
# Install a built bundle for the current user on Linux, with a menu entry and icons.
#
#   bash packaging/install_linux.sh [dist/CountyDataSync]      # install or update
#   bash packaging/install_linux.sh --uninstall                # remove (data and settings stay)
#
# Puts the bundle in $PREFIX/opt/CountyDataSync (PREFIX defaults to ~/.local),
# links countydatasync-gui and countydatasync into $PREFIX/bin, installs
# resources/countydatasync.desktop into $PREFIX/share/applications and the icon
# into the hicolor theme. Run it as root with PREFIX=/usr/local for every user.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${PREFIX:-$HOME/.local}"
TARGET="$PREFIX/opt/CountyDataSync"
APPS="$PREFIX/share/applications"
ICON_THEME="$PREFIX/share/icons/hicolor"
SIZES=(16 32 48 64 128 256 512)

refresh_menus() {
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$ICON_THEME" 2>/dev/null || true
}

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -rf "$TARGET"
    rm -f "$PREFIX/bin/countydatasync-gui" "$PREFIX/bin/countydatasync" "$APPS/countydatasync.desktop"
    for size in "${SIZES[@]}"; do rm -f "$ICON_THEME/${size}x${size}/apps/countydatasync.png"; done
    rm -f "$ICON_THEME/scalable/apps/countydatasync.svg"
    refresh_menus
    echo "Removed CountyDataSync from $PREFIX. Your data folder and settings were left in place."
    exit 0
fi

BUNDLE="${1:-$ROOT/dist/CountyDataSync}"
if [[ ! -x "$BUNDLE/countydatasync-gui" || ! -x "$BUNDLE/countydatasync" ]]; then
    echo "No built bundle at $BUNDLE: run 'make package' first." >&2
    exit 1
fi

# Replace the whole folder: files left from an older version must not mix with the new ones.
mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$APPS"
rm -rf "$TARGET.new"
cp -a "$BUNDLE" "$TARGET.new"
rm -rf "$TARGET"
mv "$TARGET.new" "$TARGET"
ln -sfn "$TARGET/countydatasync-gui" "$PREFIX/bin/countydatasync-gui"
ln -sfn "$TARGET/countydatasync" "$PREFIX/bin/countydatasync"

for size in "${SIZES[@]}"; do
    install -D -m 644 "$ROOT/resources/icons/countydatasync-$size.png" "$ICON_THEME/${size}x${size}/apps/countydatasync.png"
done
install -D -m 644 "$ROOT/resources/icons/countydatasync.svg" "$ICON_THEME/scalable/apps/countydatasync.svg"
# The menu entry names the program by its full path: $PREFIX/bin may not be on a desktop session's PATH.
sed -e "s|^Exec=countydatasync-gui|Exec=$TARGET/countydatasync-gui|" \
    -e "s|^TryExec=countydatasync-gui|TryExec=$TARGET/countydatasync-gui|" \
    "$ROOT/resources/countydatasync.desktop" >"$APPS/countydatasync.desktop"
chmod 644 "$APPS/countydatasync.desktop"
refresh_menus

echo "Installed CountyDataSync $("$TARGET/countydatasync" --version | cut -d' ' -f2) in $TARGET"
echo "Start it from the applications menu, or run countydatasync-gui (command line: countydatasync)."
