#!/bin/sh
# Remove CountyLib installed by install.sh for this user: the program, the `countylib`
# command, the menu entry and its icon. The library's data (the database, its backups,
# exports and printouts) stays where it is; the last line says where.
#
#   sh ~/.local/share/countylib-app/uninstall.sh     (install.sh leaves a copy there)
#
# Environment, as for install.sh: COUNTYLIB_APP_DIR, XDG_DATA_HOME.
set -eu

DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
APP_DIR=${COUNTYLIB_APP_DIR:-$DATA_HOME/countylib-app}
VENV=$APP_DIR/venv
LAUNCHER=$HOME/.local/bin/countylib
APPS_DIR=$DATA_HOME/applications
DESKTOP=$APPS_DIR/countylib.desktop
ICON=$DATA_HOME/icons/hicolor/scalable/apps/countylib.svg
MARK="made by CountyLib's install.sh"

# Ask the program where its data is while it is still there (it honours COUNTYLIB_HOME).
data=$("$VENV/bin/python" -c 'from countylib.paths import data_dir; print(data_dir())' 2>/dev/null ||
       echo "${COUNTYLIB_HOME:-$DATA_HOME/CountyLib}")

removed=0
if [ -d "$APP_DIR" ]; then
    rm -rf "$APP_DIR"
    echo "Removed the program: $APP_DIR"
    removed=1
fi
if [ -f "$LAUNCHER" ] && grep -q "$MARK" "$LAUNCHER" 2>/dev/null; then
    rm -f "$LAUNCHER"
    echo "Removed the command: $LAUNCHER"
    removed=1
fi
if [ -f "$DESKTOP" ] && grep -q "$MARK" "$DESKTOP" 2>/dev/null; then
    rm -f "$DESKTOP" "$ICON"
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS_DIR" 2>/dev/null || true
    echo "Removed the menu entry: $DESKTOP"
    removed=1
fi
[ "$removed" = 1 ] || echo "CountyLib's program was not installed for this user; nothing to remove."
if [ -d "$data" ]; then
    echo "The library's data is kept in $data (database, backups/, exports, printouts)."
    echo "Installing CountyLib again uses it as it is. Delete that folder yourself only when it is no longer needed."
fi
exit 0
