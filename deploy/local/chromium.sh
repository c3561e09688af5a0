#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it with executable_path; the project
# never downloads a browser of its own, which this machine's closed network would refuse anyway).
#
# usage: deploy/local/chromium.sh
#
#   installs the Debian package `chromium` when no Chromium is found (apt-get, non-interactive,
#   as root), then prints the browser's path on stdout (CHROMIUM_PATH, if set, is used as is).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
NAME=chromium.sh
USAGE_LINES=4,8
# shellcheck source=deploy/local/lib.sh
source "$SCRIPT_DIR/lib.sh"

find_chromium() {
    if [[ -n ${CHROMIUM_PATH:-} ]]; then
        [[ -x $CHROMIUM_PATH ]] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
        echo "$CHROMIUM_PATH"
        return 0
    fi
    local c
    for c in /usr/bin/chromium /usr/bin/chromium-browser; do
        [[ -x $c ]] && echo "$c" && return 0
    done
    return 1
}

case ${1:-} in
"") ;;
-h | --help | help) usage ;;
*) unknown_command "$1" ;;
esac

find_chromium && exit 0
# two test runs at once install it once: the second waits, then finds it
mkdir -p "$ROOT/var"
take_install_lock "$ROOT/var/.chromium-install.lock"
find_chromium && exit 0
say "installing Debian's chromium (once)" >&2
apt_install --no-install-recommends chromium
release_install_lock
find_chromium || die "chromium still missing after apt-get install"
