#!/bin/sh
# Installs ccpulse from this folder for the current user, into ~/.local (or $PREFIX):
#   ./install.sh              the binaries into bin/, the desktop entry, icons and metainfo into share/
#   ./install.sh --uninstall  removes exactly those files again (your config and state stay)
# Needs no root. The tray app needs WebKitGTK 4.1 and GTK 3 (Debian/Ubuntu: libwebkit2gtk-4.1-0).
set -eu

usage() {
    echo "usage: ./install.sh [--uninstall]   (installs into \${PREFIX:-\$HOME/.local})"
}

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-${HOME:?HOME is not set}/.local}

case "${1:-}" in
    "" | --install) action=install ;;
    --uninstall) action=uninstall ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
esac

# The files this folder holds, relative to it: what is installed, and what is removed.
files() {
    (cd "$here" && find bin share -type f | LC_ALL=C sort)
}

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$prefix/share/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "$action" = install ]; then
    for f in $(files); do
        mkdir -p "$prefix/$(dirname "$f")"
        case "$f" in
            bin/*) mode=755 ;;
            *) mode=644 ;;
        esac
        install -m "$mode" "$here/$f" "$prefix/$f"
    done
    # The desktop entry starts the tray by its full path: ~/.local/bin is not always on PATH.
    desktop="$prefix/share/applications/ccpulse.desktop"
    sed -i "s|^Exec=ccpulse-tray\$|Exec=$prefix/bin/ccpulse-tray|" "$desktop"
    refresh_caches
    echo "ccpulse installed into $prefix (remove it with: $here/install.sh --uninstall)"
    case ":$PATH:" in
        *":$prefix/bin:"*) ;;
        *) echo "note: $prefix/bin is not on your PATH; add it to run ccpulse and ccpulse-tray by name" ;;
    esac
else
    for f in $(files); do
        rm -f "$prefix/$f"
    done
    rmdir "$prefix/share/doc/ccpulse" 2>/dev/null || true
    refresh_caches
    echo "ccpulse removed from $prefix (your config in ~/.config/ccpulse and state in ~/.local/state/ccpulse are kept)"
fi
