#!/usr/bin/env bash
# Extra command-line tools for local runs, benchmarks and CI, from Debian's packages.
#
# usage: deploy/local/tools.sh nginx-wrk
#
#   nginx-wrk   install nginx (package nginx-light) and wrk when either command
#               is missing; no-op when both are there. The package's own nginx
#               service is never left running (nothing of ours listens on port 80:
#               the project starts nginx itself with its own config).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=tools.sh
USAGE_LINES=4,9

have() { command -v "$1" >/dev/null || [[ -x /usr/sbin/$1 ]]; }

POLICY=/usr/sbin/policy-rc.d
OUR_POLICY=

remove_our_policy() {
    if [[ -n $OUR_POLICY && -f $POLICY ]] && grep -q 'deploy/local/tools.sh' "$POLICY"; then
        rm -f "$POLICY"
    fi
}

apt_install_no_services() {
    need_apt "$@" # first: without root, fail on this rather than on writing to /usr/sbin
    # Keep package scripts from starting services (e.g. nginx on port 80), the
    # usual way for containers: a policy-rc.d that says "no" (only if there is none).
    if [[ ! -e $POLICY ]]; then
        printf '#!/bin/sh\n# temporary, from deploy/local/tools.sh: no service starts during apt-get install\nexit 101\n' >"$POLICY"
        chmod 755 "$POLICY"
        OUR_POLICY=1
        trap remove_our_policy EXIT
    fi
    apt_install "$@"
    remove_our_policy
}

# stop an nginx that the package (or anything else) started from the system config
stop_system_nginx() {
    local pid=
    [[ -s /run/nginx.pid ]] && pid=$(</run/nginx.pid)
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        say "stopping the system nginx service started by the package (pid $pid)"
        if command -v invoke-rc.d >/dev/null; then
            invoke-rc.d --force nginx stop >/dev/null 2>&1 || true
        fi
        kill -TERM "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        rm -f /run/nginx.pid
    fi
    # do not start it at boot either (harmless where there is no init system)
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
        systemctl disable --now nginx >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null && [[ -e /etc/init.d/nginx ]]; then
        update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
}

cmd_nginx_wrk() {
    local pkgs=()
    have nginx || pkgs+=(nginx-light)
    have wrk || pkgs+=(wrk)
    ((${#pkgs[@]} > 0)) || return 0
    apt_install_no_services "${pkgs[@]}"
    stop_system_nginx
    have nginx || die "nginx still missing after apt-get install ${pkgs[*]}"
    have wrk || die "wrk still missing after apt-get install ${pkgs[*]}"
    say "installed ${pkgs[*]}"
}

(($# == 1)) || usage
case $1 in
nginx-wrk) cmd_nginx_wrk ;;
-h | --help | help) usage ;;
*) unknown_command "$1" ;;
esac
