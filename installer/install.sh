#!/bin/sh
# Install CountyLib for the person signed in on this Linux PC: no administrator needed.
#
#   sh installer/install.sh                      # from a source checkout (this script's folder)
#   sh install.sh countylib-0.2.0-py3-none-any.whl   # from a wheel
#
# What it makes (run it again at any time: it upgrades in place and changes nothing else):
#   ~/.local/share/countylib-app/       the program: its own Python environment and two small scripts
#   ~/.local/bin/countylib              the `countylib` command
#   ~/.local/share/applications/countylib.desktop   the menu entry: opens a terminal with the app
#   ~/.local/share/icons/hicolor/scalable/apps/countylib.svg
# The library's data (~/.local/share/CountyLib: the database and its backups) is never touched;
# a newer version upgrades the database on its first start, after copying it to backups/.
#
# Needs Python 3.11 or newer with its venv module (Debian/Ubuntu: python3-venv) and, the first
# time, a connection to the package index (or PIP_NO_INDEX=1 PIP_FIND_LINKS=folder-of-wheels).
# Environment: PYTHON (default python3), COUNTYLIB_APP_DIR, XDG_DATA_HOME.
set -eu

say() { printf '%s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
APP_DIR=${COUNTYLIB_APP_DIR:-$DATA_HOME/countylib-app}
VENV=$APP_DIR/venv
BIN_DIR=$HOME/.local/bin
LAUNCHER=$BIN_DIR/countylib
APPS_DIR=$DATA_HOME/applications
DESKTOP=$APPS_DIR/countylib.desktop
ICON=$DATA_HOME/icons/hicolor/scalable/apps/countylib.svg
MARK="made by CountyLib's install.sh"

# -- what to install ----------------------------------------------------------------------
source=${1:-}
if [ -z "$source" ]; then
    # A release folder holds this script beside the wheel; a checkout holds it in installer/.
    source=$(ls -1 "$HERE"/countylib-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$source" ] || source=$(dirname "$HERE")
fi
case "$source" in
    *.whl) [ -f "$source" ] || fail "no such wheel: $source" ;;
    *) [ -f "$source/pyproject.toml" ] || fail "$source is neither a wheel nor a CountyLib source folder" ;;
esac
source=$(cd "$(dirname "$source")" && pwd)/$(basename "$source")

# Never overwrite someone else's `countylib` command.
if [ -e "$LAUNCHER" ] && ! grep -q "$MARK" "$LAUNCHER" 2>/dev/null; then
    fail "$LAUNCHER exists and was not made by this installer; move it away and run this again."
fi

# -- Python -------------------------------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON was not found. Install Python 3.11 or newer first."
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    fail "CountyLib needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -c 'import platform; print(platform.python_version())')."
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null ||
    fail "$PYTHON cannot make virtual environments. On Debian or Ubuntu: sudo apt install python3-venv"

wanted=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
have=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
if [ "$have" != "$wanted" ]; then
    # Missing, broken, or made by another Python: the program folder holds nothing of the
    # library's, so it is simply made again.
    rm -rf "$VENV"
    say "Making the program's Python environment in $VENV ..."
    "$PYTHON" -m venv "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }

# -- the program --------------------------------------------------------------------------
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
case "$source" in
    *.whl) wheel=$source ;;
    *)
        # Build from a clean copy, so nothing is written into the checkout.
        mkdir "$stage/src"
        tar -C "$source" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist \
            --exclude='*.egg-info' --exclude=__pycache__ --exclude=./tests --exclude=./bench \
            --exclude=./docs -cf - . | tar -C "$stage/src" -xf -
        say "Building CountyLib from $source ..."
        pip wheel --no-deps -w "$stage/wheel" "$stage/src"
        wheel=$(ls -1 "$stage"/wheel/countylib-*.whl)
        ;;
esac
say "Installing $(basename "$wheel") and what it needs ..."
pip install "$wheel"
# Same version number (a checkout between releases): make sure this very build is the one installed.
pip install --no-deps --force-reinstall "$wheel"
"$VENV/bin/countylib" --version >/dev/null || fail "the installed program does not start; see the messages above."

# -- the command, the terminal window, the menu entry ------------------------------------
mkdir -p "$BIN_DIR" "$APPS_DIR" "$(dirname "$ICON")"
cat >"$LAUNCHER" <<EOF
#!/bin/sh
# The countylib command ($MARK; uninstall.sh removes it).
exec "$VENV/bin/countylib" "\$@"
EOF
chmod 755 "$LAUNCHER"

cat >"$APP_DIR/countylib-window" <<EOF
#!/bin/sh
# Runs inside the terminal window ($MARK).
# Ask for 36 rows x 120 columns, the size every screen is drawn for (xterm, GNOME's and
# KDE's terminals honour the request), unless the window is already that big.
size=\$(stty size 2>/dev/null || echo "0 0")
rows=\${size% *}; cols=\${size#* }
if [ "\$rows" -lt 36 ] || [ "\$cols" -lt 120 ]; then printf '\033[8;36;120t'; sleep 0.2; fi
"$VENV/bin/countylib" "\$@"
status=\$?
if [ "\$status" -ne 0 ]; then
    # Keep the reason on screen: the window would otherwise close with it.
    printf '\nCountyLib stopped (status %s). Press Enter to close this window. / 按回车键关闭窗口。' "\$status"
    read -r _
fi
exit "\$status"
EOF
chmod 755 "$APP_DIR/countylib-window"

cat >"$APP_DIR/countylib-terminal" <<EOF
#!/bin/sh
# Opens CountyLib in a terminal window; the menu entry runs this ($MARK).
# The person's own choice first (\$TERMINAL, then Debian's x-terminal-emulator), then the usual ones.
window="$APP_DIR/countylib-window"
for term in "\${TERMINAL:-}" x-terminal-emulator gnome-terminal konsole xfce4-terminal mate-terminal \\
            lxterminal qterminal kitty alacritty xterm; do
    [ -n "\$term" ] && command -v "\$term" >/dev/null 2>&1 || continue
    case "\$(basename "\$term")" in
        gnome-terminal|mate-terminal) exec "\$term" --geometry=120x36 -- "\$window" "\$@" ;;
        xfce4-terminal) exec "\$term" --geometry=120x36 -x "\$window" "\$@" ;;
        xterm) exec "\$term" -geometry 120x36 -e "\$window" "\$@" ;;
        *) exec "\$term" -e "\$window" "\$@" ;;
    esac
done
echo "countylib: no terminal program found; install one (e.g. xterm) or run 'countylib' in a terminal." >&2
exit 1
EOF
chmod 755 "$APP_DIR/countylib-terminal"

cat >"$ICON" <<'EOF'
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect x="4" y="4" width="56" height="56" rx="10" fill="#1d4e89"/>
  <path d="M14 18c6-3 12-3 18 1v30c-6-4-12-4-18-1z" fill="#f4f1e8"/>
  <path d="M50 18c-6-3-12-3-18 1v30c6-4 12-4 18-1z" fill="#e3dccb"/>
  <path d="M18 24h10M18 29h10M18 34h10M36 24h10M36 29h10M36 34h10" stroke="#1d4e89" stroke-width="1.6"/>
</svg>
EOF

# Exec is quoted: the Desktop Entry spec allows spaces in a quoted path.
cat >"$DESKTOP" <<EOF
[Desktop Entry]
Type=Application
Version=1.0
Name=CountyLib
Name[zh_CN]=CountyLib 图书馆
GenericName=Library system
GenericName[zh_CN]=图书馆管理系统
Comment=Desk, readers, catalogue, donations, volunteers and events of a library branch
Comment[zh_CN]=分馆的流通台、读者、编目、捐赠、志愿者与活动
Exec="$APP_DIR/countylib-terminal"
Icon=$ICON
Terminal=false
Categories=Office;
Keywords=library;books;loans;图书馆;借阅;
StartupNotify=false
X-CountyLib=$MARK
EOF
chmod 644 "$DESKTOP"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS_DIR" 2>/dev/null || true
[ -f "$HERE/uninstall.sh" ] && cp "$HERE/uninstall.sh" "$APP_DIR/uninstall.sh" && chmod 755 "$APP_DIR/uninstall.sh"

# -- where things are ---------------------------------------------------------------------
data=$("$VENV/bin/python" -c 'from countylib.paths import data_dir; print(data_dir())')
say "$("$VENV/bin/countylib" --version) is installed."
say "  Open it: the menu entry 'CountyLib', or type: countylib"
say "  Program: $APP_DIR"
say "  Library data (kept by upgrades and by uninstall.sh): $data"
if [ -f "$data/countylib.db" ]; then
    say "  A database is already there: it is kept, and the first start of this version brings it"
    say "  up to date after copying it to $data/backups/."
fi
case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) say "  Note: $BIN_DIR is not on PATH yet; it is after signing out and in again (or use the menu entry)." ;;
esac
[ -f "$APP_DIR/uninstall.sh" ] && say "  To remove the program: sh $APP_DIR/uninstall.sh"
exit 0
