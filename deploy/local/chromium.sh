#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it with executable_path; the project
# never downloads a browser of its own, which this machine's closed network would refuse anyway).
#
# usage: deploy/local/chromium.sh
#
#   installs the Debian package `chromium` when no Chromium is found (apt-get, non-interactive,
#   as root), then prints the browser's path on stdout (CHROMIUM_PATH, if set, is used as is).
set -euo pipefail

NAME=chromium.sh

die() {
    echo "$NAME: ERROR: $*" >&2
    exit 1
}

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
-h | --help | help)
    sed -n '4,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 0
    ;;
*) die "unknown argument '$1' (usage: deploy/local/chromium.sh)" ;;
esac

if find_chromium; then
    exit 0
fi

[[ $(id -u) == 0 ]] || die "Chromium is missing; install it (apt-get install chromium) or run this as root"
command -v apt-get >/dev/null || die "Chromium is missing and there is no apt-get to install it with"
echo "$NAME: installing Debian's chromium (once)" >&2
log=$(mktemp)
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "apt-get install chromium failed (output above)"
fi
rm -f "$log"
find_chromium || die "chromium still missing after apt-get install"
