# shellcheck shell=bash
# Helpers shared by the deploy/local/*.sh scripts, so that they report, lock, start
# and stop things the same way. Sourced, never run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Defining functions is all that sourcing does, so it is safe under the caller's
# `set -euo pipefail`. The caller sets, before calling any of them:
#   NAME          prefix of every message, e.g. "kafka[127.0.0.1:9092]"
#   USAGE_LINES   the lines of its own header comment that `usage` prints, e.g. 6,25
# and, for the process helpers (a server started in the background with a pid file):
#   PID_FILE, LOG_FILE   of this instance
#   is_our_pid PID       a function: succeeds if PID is this instance's server
#   serving              a function: succeeds if this instance answers requests
# Timeouts are whole seconds; poll intervals may be fractions (they go to sleep).
#
# shellcheck disable=SC2154 # NAME, USAGE_LINES, PID_FILE, LOG_FILE: set by the caller

# --- messages ------------------------------------------------------------------

say() { echo "$NAME: $*"; }

die() {
    echo "$NAME: ERROR: $*" >&2
    exit 1
}

# print the usage part of the running script's header comment, and fail
usage() {
    # $0, not BASH_SOURCE: the header is in the script being run, not in this file
    sed -n "${USAGE_LINES}p" "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

unknown_command() { # COMMAND
    echo "$NAME: unknown command '$1'" >&2
    usage
}

# --- settings --------------------------------------------------------------------

valid_port() { # VALUE
    local p=$1
    [[ $p =~ ^[0-9]+$ ]] && ! ((p < 1 || p > 65535))
}

# dies unless the variables VAR1 and VAR2 (names, not values) hold two different ports
check_port_pair() { # VAR1 VAR2
    local p
    for p in "${!1}" "${!2}"; do
        valid_port "$p" || die "invalid port '$p' ($1 / $2)"
    done
    [[ ${!1} != "${!2}" ]] || die "$1 and $2 are both ${!1}"
}

# dies unless the variable VAR (its name, not its value) holds whole seconds
check_seconds() { # VAR
    [[ ${!1} =~ ^[0-9]+$ ]] || die "$1 must be whole seconds, got '${!1}'"
}

# --- timing ----------------------------------------------------------------------

# microseconds since the epoch, for timings
now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }

elapsed() { # START_US -> "12.3"
    local d=$(($(now_us) - $1))
    printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000))
}

# --- packages --------------------------------------------------------------------

is_root() { [[ $(id -u) == 0 ]]; }

# dies unless PKG... can be installed here: that takes root and apt-get
need_apt() { # PKG...
    is_root || die "missing $*; install it (apt-get install $*) or run this as root"
    command -v apt-get >/dev/null || die "missing $* and no apt-get to install it with"
}

# apt-get install, quietly: its output is shown only when it fails. Leading
# arguments that start with "-" are apt-get options, e.g. --no-install-recommends.
apt_install() { # [OPTION...] PKG...
    local opts=() log
    while [[ ${1:-} == -* ]]; do
        opts+=("$1")
        shift
    done
    need_apt "$@"
    log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${opts[@]}" "$@"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "apt-get install $* failed (output above)"
    fi
    rm -f "$log"
}

# --- locks -----------------------------------------------------------------------
# fd 9 holds the lock of one instance for a whole command, so that two commands on
# the same instance (start and stop, say) never interleave; a server started by
# `spawn` does not inherit it. fd 8 holds the lock of an install into a cache that
# all instances share.

# holds LOCK_FILE on fd 9 until the script exits; WHAT says who else may hold it
take_lock() { # LOCK_FILE WAIT_SECONDS WHAT
    mkdir -p "$(dirname "$1")"
    exec 9>"$1"
    flock -w "$2" 9 || die "timed out waiting for $3"
}

# holds LOCK_FILE on fd 8 until release_install_lock
take_install_lock() { # LOCK_FILE
    exec 8>"$1"
    flock -w 600 8 || die "timed out waiting for another install (lock $1)"
}

release_install_lock() { exec 8>&-; }

# --- processes -------------------------------------------------------------------

port_open() { # PORT: something listens on 127.0.0.1:PORT
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# prints PID's command line (arguments joined by spaces) if PID is a live process
pid_cmdline() { # PID
    [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# prints the pid of this instance's server, if it runs
find_pid() {
    local pid f
    if [[ -f $PID_FILE ]]; then
        pid=$(<"$PID_FILE")
        if is_our_pid "$pid"; then
            echo "$pid"
            return 0
        fi
    fi
    # pid file lost or stale: look for the process itself
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        if is_our_pid "$pid"; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# keep one previous log once LOG_FILE grows past MAX_MB, then mark this start in it
start_log() { # MAX_MB
    if [[ -f $LOG_FILE ]] && (($(stat -c %s "$LOG_FILE") > $1 * 1024 * 1024)); then
        mv -f "$LOG_FILE" "$LOG_FILE.1"
    fi
    echo "==== ${0##*/} start $(date '+%F %T') ====" >>"$LOG_FILE"
}

# Starts COMMAND in the background, output appended to LOG_FILE, and waits up to 5 s
# for its pid in PID_FILE. Its own session lets it outlive the shell that started
# it; a wrapper writes the pid (which exec keeps) atomically and drops the lock fd.
spawn() { # COMMAND [ARG...]
    rm -f "$PID_FILE"
    # shellcheck disable=SC2016 # $$ and $@ are for the inner bash
    setsid bash -c 'echo $$ >"$1.tmp" && mv "$1.tmp" "$1" && shift && exec "$@"' _ "$PID_FILE" \
        "$@" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
    local tries=50
    while [[ ! -s $PID_FILE ]] && ((tries-- > 0)); do
        sleep 0.1
    done
}

# polls `serving` until it succeeds (0), PID exits (1) or TIMEOUT_SECONDS pass (2)
wait_serving() { # PID TIMEOUT_SECONDS POLL_SECONDS
    local pid=$1 deadline=$((SECONDS + $2)) poll=$3
    while kill -0 "$pid" 2>/dev/null; do
        serving && return 0
        ((SECONDS < deadline)) || return 2
        sleep "$poll"
    done
    return 1
}

# after a start: says how long it took, or shows why it failed, stops what hangs, and dies
wait_started() { # PID START_US TIMEOUT_SECONDS POLL_SECONDS STOP_TIMEOUT LOG_LINES WHAT WHERE
    local pid=$1 start_us=$2 timeout=$3 poll=$4 stop_timeout=$5 lines=$6 what=$7 where=$8 rc=0
    wait_serving "$pid" "$timeout" "$poll" || rc=$? # 1: it exited, 2: timed out
    if ((rc == 0)); then
        say "ready in $(elapsed "$start_us")s (pid $pid, $where, log $LOG_FILE)"
        return 0
    fi
    show_log_tail "$lines"
    if ((rc == 1)); then
        rm -f "$PID_FILE"
        die "$what process $pid exited during startup (log: $LOG_FILE)"
    fi
    stop_pid "$pid" "$stop_timeout" 0.2 >/dev/null 2>&1 || true
    die "$what not serving after ${timeout}s; stopped it (log: $LOG_FILE)"
}

# the script's command: `cmd_<name>` with the arguments after it
dispatch() { # COMMAND [ARG...]
    (($# > 0)) || usage
    local cmd=$1
    shift
    case $cmd in -h | --help | help) usage ;; esac
    check_settings
    declare -F "cmd_$cmd" >/dev/null || unknown_command "$cmd"
    "cmd_$cmd" "$@"
}

# shows why a start failed
show_log_tail() { # LINES
    echo "---- last lines of $LOG_FILE ----" >&2
    tail -n "$1" "$LOG_FILE" >&2 2>/dev/null || true
}

# returns once PID has exited or SECONDS have passed
wait_exit() { # PID SECONDS POLL_SECONDS
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null && ((SECONDS < deadline)); do
        sleep "$3"
    done
}

# SIGTERM, then SIGKILL if PID is still there after TIMEOUT_SECONDS; forgets PID_FILE
stop_pid() { # PID TIMEOUT_SECONDS [POLL_SECONDS]
    local pid=$1 timeout=$2 poll=${3:-0.1} start_us
    start_us=$(now_us)
    kill -TERM "$pid" 2>/dev/null || true
    wait_exit "$pid" "$timeout" "$poll"
    if kill -0 "$pid" 2>/dev/null; then
        say "still running ${timeout}s after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_exit "$pid" 10 "$poll"
        ! kill -0 "$pid" 2>/dev/null || die "could not kill pid $pid"
    fi
    rm -f "$PID_FILE"
    say "stopped (pid $pid, $(elapsed "$start_us")s)"
}

# `stop` of a server with a pid file; the caller holds the instance lock
stop_instance() { # TIMEOUT_SECONDS [POLL_SECONDS]
    local pid
    if ! pid=$(find_pid); then
        rm -f "$PID_FILE"
        say "not running"
        return 0
    fi
    stop_pid "$pid" "$@"
}
