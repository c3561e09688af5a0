#!/usr/bin/env bash
# stripe-mock (Stripe's official API mock, built from its OpenAPI spec) for the
# stripe adapter's tests: a local server that answers the real API's shapes with
# no network and no account. Built with `go install`; every Go file (binary,
# module and build caches) lives under var/cache, nothing in the home dir.
#
# usage: deploy/local/stripe-mock.sh install|start|stop|status
#
#   install   go install github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION into
#             var/cache/go-bin (skipped when the binary is there); if "latest"
#             does not build with this Go, falls back to the known-good pin
#   start     install if needed, start on 127.0.0.1 in the background and wait
#             until it answers API requests; no-op if running
#   stop      SIGTERM, wait, then SIGKILL
#   status    exit 0 if it answers (1: running but not answering, 3: not running)
#
# environment (defaults in brackets; relative paths are relative to the repo root):
#   STRIPE_MOCK_PORT [12111]         HTTP port, 127.0.0.1 only
#   STRIPE_MOCK_HTTPS_PORT [12112]   HTTPS port, 127.0.0.1 only
#   STRIPE_MOCK_DIR [var/stripe-mock] pid file and log of this instance
#   STRIPE_MOCK_VERSION [latest]     module version to install
#   STRIPE_MOCK_START_TIMEOUT [30]   seconds `start` waits for readiness
#   STRIPE_MOCK_STOP_TIMEOUT [10]    seconds `stop` waits after SIGTERM before SIGKILL
#   GO [go]                          the go binary (/usr/local/go/bin/go if not on PATH)
# Several instances can run at once with different ports and dirs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

MODULE=github.com/stripe/stripe-mock
# the newest version known to build with this project's Go (1.26); used when @latest fails
PINNED_VERSION=v0.203.0
STRIPE_MOCK_VERSION=${STRIPE_MOCK_VERSION:-latest}
STRIPE_MOCK_PORT=${STRIPE_MOCK_PORT:-12111}
STRIPE_MOCK_HTTPS_PORT=${STRIPE_MOCK_HTTPS_PORT:-12112}
STRIPE_MOCK_DIR=${STRIPE_MOCK_DIR:-var/stripe-mock}
[[ $STRIPE_MOCK_DIR == /* ]] || STRIPE_MOCK_DIR=$ROOT/$STRIPE_MOCK_DIR
STRIPE_MOCK_START_TIMEOUT=${STRIPE_MOCK_START_TIMEOUT:-30}
STRIPE_MOCK_STOP_TIMEOUT=${STRIPE_MOCK_STOP_TIMEOUT:-10}
GO=${GO:-go}

CACHE=$ROOT/var/cache
GO_BIN_DIR=$CACHE/go-bin
BINARY=$GO_BIN_DIR/stripe-mock
PID_FILE=$STRIPE_MOCK_DIR/stripe-mock.pid
LOG_FILE=$STRIPE_MOCK_DIR/stripe-mock.log
LOCK_FILE=$STRIPE_MOCK_DIR/.lock

NAME="stripe-mock[127.0.0.1:$STRIPE_MOCK_PORT]"
USAGE_LINES=7,25

check_settings() {
    check_port_pair STRIPE_MOCK_PORT STRIPE_MOCK_HTTPS_PORT
    check_seconds STRIPE_MOCK_START_TIMEOUT
    check_seconds STRIPE_MOCK_STOP_TIMEOUT
}

# --- install -------------------------------------------------------------------

find_go() {
    if ! command -v "$GO" >/dev/null; then
        [[ $GO == go && -x /usr/local/go/bin/go ]] || die "go ($GO) not found; install Go 1.22+ or set GO=/path/to/go"
        GO=/usr/local/go/bin/go
    fi
}

# go install MODULE@VERSION with every cache under var/cache; output goes to LOG
go_install() {
    local version=$1 log=$2
    # GOTOOLCHAIN=local: never download another Go toolchain (a too-new go.mod fails
    # at once instead); -modcacherw: the module cache stays deletable with rm -rf
    GOBIN=$GO_BIN_DIR GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/pkg/mod GOCACHE=$CACHE/go-build \
        GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" \
        "$GO" install "$MODULE@$version" >"$log" 2>&1
}

cmd_install() {
    [[ -x $BINARY ]] && return 0
    find_go
    mkdir -p "$GO_BIN_DIR"
    # another instance may be installing into the same cache right now
    take_install_lock "$GO_BIN_DIR/.stripe-mock.lock"
    if [[ ! -x $BINARY ]]; then
        local log=$CACHE/stripe-mock-install.log start_us
        start_us=$(now_us)
        say "installing $MODULE@$STRIPE_MOCK_VERSION with $("$GO" version) ..."
        if ! go_install "$STRIPE_MOCK_VERSION" "$log"; then
            if [[ $STRIPE_MOCK_VERSION != latest ]]; then
                cat "$log" >&2
                die "go install $MODULE@$STRIPE_MOCK_VERSION failed (output above, also in $log)"
            fi
            tail -n 20 "$log" >&2
            say "@latest failed (output above); trying the known-good $PINNED_VERSION"
            go_install "$PINNED_VERSION" "$log" || {
                cat "$log" >&2
                die "go install $MODULE@$PINNED_VERSION failed too (output above, also in $log)"
            }
        fi
        [[ -x $BINARY ]] || die "go install succeeded but $BINARY is missing (GOBIN ignored?)"
        rm -f "$log"
        say "installed $(installed_version) in $(elapsed "$start_us")s ($BINARY)"
    fi
    release_install_lock
}

installed_version() {
    find_go
    "$GO" version -m "$BINARY" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# --- process helpers -------------------------------------------------------

# is PID our stripe-mock (this binary, this HTTP address)? For find_pid.
is_our_pid() {
    local cmd
    cmd=$(pid_cmdline "$1") || return 1
    [[ $cmd == "$BINARY "* && $cmd == *" -http-addr 127.0.0.1:$STRIPE_MOCK_PORT "* ]]
}

# does it answer an API request (stripe-mock accepts any test-looking key)? For wait_serving.
serving() {
    curl -fsS -o /dev/null --max-time 3 -H 'Authorization: Bearer sk_test_123' \
        "http://127.0.0.1:$STRIPE_MOCK_PORT/v1/customers?limit=1" 2>/dev/null
}

# wait until PID serves; dies (after stopping it) on timeout or crash
wait_ready() { # PID START_US
    wait_started "$1" "$2" "$STRIPE_MOCK_START_TIMEOUT" 0.2 "$STRIPE_MOCK_STOP_TIMEOUT" 20 stripe-mock "https 127.0.0.1:$STRIPE_MOCK_HTTPS_PORT"
}

# waits out another command's start or stop, with some slack
lock_instance() {
    take_lock "$LOCK_FILE" $((STRIPE_MOCK_START_TIMEOUT + STRIPE_MOCK_STOP_TIMEOUT + 30)) \
        "another stripe-mock.sh on $STRIPE_MOCK_DIR (lock $LOCK_FILE)"
}

# --- commands ----------------------------------------------------------------

cmd_start() {
    command -v curl >/dev/null || die "curl is needed for the readiness probe (apt-get install curl)"
    cmd_install
    lock_instance
    local pid start_us p
    start_us=$(now_us)
    if pid=$(find_pid); then
        wait_ready "$pid" "$start_us" >/dev/null
        say "already running (pid $pid)"
        return 0
    fi
    for p in "$STRIPE_MOCK_PORT" "$STRIPE_MOCK_HTTPS_PORT"; do
        ! port_open "$p" || die "port 127.0.0.1:$p is already in use by another process (not this instance, dir $STRIPE_MOCK_DIR); pick another STRIPE_MOCK_PORT / STRIPE_MOCK_HTTPS_PORT"
    done
    start_log 10
    spawn "$BINARY" -http-addr "127.0.0.1:$STRIPE_MOCK_PORT" -https-addr "127.0.0.1:$STRIPE_MOCK_HTTPS_PORT"
    pid=$(<"$PID_FILE") || die "stripe-mock did not write its pid file $PID_FILE (log: $LOG_FILE)"
    say "starting $(installed_version) (pid $pid) ..."
    wait_ready "$pid" "$start_us"
}

cmd_stop() {
    lock_instance
    stop_instance "$STRIPE_MOCK_STOP_TIMEOUT"
}

cmd_status() {
    local pid
    if ! pid=$(find_pid); then
        say "not running (dir $STRIPE_MOCK_DIR)"
        return 3
    fi
    if serving; then
        say "serving $(installed_version) (pid $pid, https 127.0.0.1:$STRIPE_MOCK_HTTPS_PORT, log $LOG_FILE)"
        return 0
    fi
    say "running (pid $pid) but not answering on 127.0.0.1:$STRIPE_MOCK_PORT (log $LOG_FILE)"
    return 1
}

dispatch "$@"
