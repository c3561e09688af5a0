#!/usr/bin/env bash
# Local PostgreSQL (Debian's packages) for `make run`, the pytest fixtures and CI.
# One private cluster per data dir under var/ (gitignored), listening only on
# 127.0.0.1; it never touches the system cluster of the Debian package.
#
# usage: deploy/local/postgres.sh COMMAND [ARGS]
#
#   install          apt-get install postgresql when no initdb is found
#   start            install if needed, initdb once, start and wait until it
#                    accepts connections; no-op if running
#   stop             fast shutdown (then immediate if it does not stop in time)
#   status           exit 0 if it accepts connections (1: running but not
#                    accepting, 3: not running)
#   url DBNAME       print postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/DBNAME
#   createdb NAME    create the database unless it exists
#   dropdb NAME      drop the database if it exists (closing its connections)
#   psql [ARGS]      psql as postgres on this cluster
#
# environment (defaults in brackets; relative paths are relative to the repo root):
#   PG_PORT [55432]               TCP port on 127.0.0.1
#   PG_DATA_DIR [var/postgres]    data dir; also holds the log and the unix socket
#   PG_START_TIMEOUT [60]         seconds start/stop wait
#   PG_BIN [newest /usr/lib/postgresql/*/bin, or the data dir's version]
#
# DEV/TEST ONLY: the cluster trusts every connection from 127.0.0.1 and the unix
# socket (no password). Never use this for anything reachable from outside.
# As root, the server runs as the `postgres` user (PostgreSQL refuses root), so
# that user must be able to traverse the repo's parent dirs (fixed here if not).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

PG_PORT=${PG_PORT:-55432}
PG_DATA_DIR=${PG_DATA_DIR:-var/postgres}
[[ $PG_DATA_DIR == /* ]] || PG_DATA_DIR=$ROOT/$PG_DATA_DIR
PG_START_TIMEOUT=${PG_START_TIMEOUT:-60}
PG_BIN=${PG_BIN:-}
LOG_FILE=$PG_DATA_DIR/postgres.log
LOCK_FILE=$PG_DATA_DIR.lock
PG_USER=postgres # the superuser initdb creates; also the OS user when run as root

NAME="postgres[127.0.0.1:$PG_PORT]"
USAGE_LINES=6,24

check_settings() {
    valid_port "$PG_PORT" || die "invalid PG_PORT '$PG_PORT'"
    check_seconds PG_START_TIMEOUT
}

have_initdb() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

cmd_install() {
    have_initdb && return 0
    apt_install postgresql
    have_initdb || die "apt-get installed postgresql but there is still no /usr/lib/postgresql/*/bin/initdb"
    # The package may have started its own system cluster (port 5432); we never
    # use it, so do not leave it running.
    if command -v pg_ctlcluster >/dev/null && command -v pg_lsclusters >/dev/null; then
        local ver cluster _
        while read -r ver cluster _; do
            [[ $ver =~ ^[0-9]+$ ]] || continue
            pg_ctlcluster "$ver" "$cluster" stop >/dev/null 2>&1 || true
        done < <(pg_lsclusters --no-header 2>/dev/null)
    fi
}

# pick the server binaries: PG_BIN, else the data dir's major version, else the newest
find_bin() {
    if [[ -n $PG_BIN ]]; then
        [[ -x $PG_BIN/pg_ctl ]] || die "PG_BIN=$PG_BIN has no pg_ctl"
        return 0
    fi
    if [[ -f $PG_DATA_DIR/PG_VERSION ]]; then
        local v
        v=$(<"$PG_DATA_DIR/PG_VERSION")
        if [[ -x /usr/lib/postgresql/$v/bin/pg_ctl ]]; then
            PG_BIN=/usr/lib/postgresql/$v/bin
            return 0
        fi
        die "$PG_DATA_DIR was made by PostgreSQL $v, which is not installed (remove the dir to start afresh, or set PG_BIN)"
    fi
    PG_BIN=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -n1 | xargs -r dirname)
    [[ -n $PG_BIN ]] || die "no PostgreSQL server found in /usr/lib/postgresql (run: deploy/local/postgres.sh install)"
}

# run a server program as the user that owns the cluster
as_pg() {
    if is_root; then
        (cd / && runuser -u "$PG_USER" -- "$@")
    else
        "$@"
    fi
}

# client programs connect over TCP as the postgres role, from any OS user
pg_client() {
    local prog=$1
    shift
    "$PG_BIN/$prog" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"
}

sql() { # SQL [psql -v args...] -> runs SQL in the postgres db, prints tuples only
    local q=$1
    shift
    printf '%s\n' "$q" | pg_client psql -X -q -t -A -v ON_ERROR_STOP=1 -d postgres "$@"
}

# as root: the postgres user must reach and own the data dir
fix_permissions() {
    is_root || return 0
    getent passwd "$PG_USER" >/dev/null ||
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$PG_USER" ||
        die "could not create the $PG_USER user"
    local d=$PG_DATA_DIR
    if [[ $(stat -c %U "$d") != "$PG_USER" ]]; then
        chown -R "$PG_USER:" "$d"
    fi
    chmod 700 "$d"
    # every parent must be traversable (x) by the postgres user; check top-down
    local parents=() d=$PG_DATA_DIR
    while [[ $d != / ]]; do
        d=$(dirname "$d")
        parents=("$d" "${parents[@]}")
    done
    for d in "${parents[@]}"; do
        if ! runuser -u "$PG_USER" -- test -x "$d" 2>/dev/null; then
            say "note: giving others traverse permission (o+x) on $d so that $PG_USER can reach the data dir"
            chmod o+x "$d"
        fi
    done
    runuser -u "$PG_USER" -- test -w "$PG_DATA_DIR" ||
        die "user $PG_USER cannot write to $PG_DATA_DIR"
}

init_cluster() {
    if [[ -f $PG_DATA_DIR/PG_VERSION ]]; then
        fix_permissions
        return 0
    fi
    mkdir -p "$PG_DATA_DIR"
    if [[ -n $(ls -A "$PG_DATA_DIR") ]]; then
        die "$PG_DATA_DIR is not empty but holds no cluster (no PG_VERSION); remove it to start afresh"
    fi
    fix_permissions
    local out
    # --auth=trust: DEV/TEST ONLY, no passwords for local and 127.0.0.1 connections
    if ! out=$(as_pg "$PG_BIN/initdb" -D "$PG_DATA_DIR" -U "$PG_USER" --encoding=UTF8 \
        --no-locale --auth=trust 2>&1); then
        echo "$out" >&2
        die "initdb into $PG_DATA_DIR failed (output above)"
    fi
    # settings of this script, rewritten on every start, come last
    printf "\n# local settings written by deploy/local/postgres.sh on every start\ninclude_if_exists = 'local.conf'\n" |
        as_pg tee -a "$PG_DATA_DIR/postgresql.conf" >/dev/null
    say "initialised cluster in $PG_DATA_DIR ($("$PG_BIN/postgres" --version))"
}

conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

write_local_conf() {
    local sock=$PG_DATA_DIR
    # a unix socket path is limited to 107 bytes; everything uses TCP anyway
    if ((${#sock} + 20 > 107)); then
        say "note: $PG_DATA_DIR is too long a path for a unix socket; TCP only"
        sock=
    fi
    as_pg tee "$PG_DATA_DIR/local.conf" >/dev/null <<EOF
# Written by deploy/local/postgres.sh on every start: edit the script, not this.
# DEV/TEST ONLY (see pg_hba.conf: trust).
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = $(conf_quote "$sock")
max_connections = 200
shared_buffers = 128MB
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

running() { # the postmaster of this data dir is alive
    [[ -f $PG_DATA_DIR/PG_VERSION ]] || return 1
    as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA_DIR" >/dev/null 2>&1
}

accepting() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 5; }

# waits out another command's start or stop (fast, then immediate shutdown), with some slack
lock() {
    take_lock "$LOCK_FILE" $((2 * PG_START_TIMEOUT + 30)) "another postgres.sh on $PG_DATA_DIR"
}

cmd_start() {
    cmd_install
    find_bin
    lock
    local start_us
    start_us=$(now_us)
    init_cluster
    if running; then
        local deadline=$((SECONDS + PG_START_TIMEOUT))
        until accepting; do
            ((SECONDS < deadline)) || die "running but not accepting connections on 127.0.0.1:$PG_PORT (log: $LOG_FILE)"
            sleep 0.5
        done
        say "already running"
        return 0
    fi
    ! port_open "$PG_PORT" || die "port 127.0.0.1:$PG_PORT is already in use by another process; pick another PG_PORT"
    write_local_conf
    if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA_DIR" -l "$LOG_FILE" -w -t "$PG_START_TIMEOUT" -s 9>&-; then
        echo "---- last lines of $LOG_FILE ----" >&2
        tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true
        die "pg_ctl start failed (log: $LOG_FILE)"
    fi
    accepting || die "started but not accepting TCP connections on 127.0.0.1:$PG_PORT (log: $LOG_FILE)"
    say "ready in $(elapsed "$start_us")s (data $PG_DATA_DIR, log $LOG_FILE)"
}

cmd_stop() {
    find_bin
    lock
    if ! running; then
        say "not running"
        return 0
    fi
    if ! as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA_DIR" -m fast -w -t "$PG_START_TIMEOUT" -s; then
        say "fast shutdown did not finish in ${PG_START_TIMEOUT}s; immediate shutdown"
        as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA_DIR" -m immediate -w -t 30 -s ||
            die "could not stop the cluster in $PG_DATA_DIR (log: $LOG_FILE)"
    fi
    say "stopped"
}

cmd_status() {
    if ! have_initdb || [[ ! -f $PG_DATA_DIR/PG_VERSION ]]; then
        say "not running (no cluster in $PG_DATA_DIR)"
        return 3
    fi
    find_bin
    if ! running; then
        say "not running (data $PG_DATA_DIR)"
        return 3
    fi
    if accepting; then
        say "accepting connections (data $PG_DATA_DIR, log $LOG_FILE)"
        return 0
    fi
    say "running but not accepting connections on 127.0.0.1:$PG_PORT (log $LOG_FILE)"
    return 1
}

need_server() {
    find_bin
    accepting || die "no server accepting connections on 127.0.0.1:$PG_PORT (run: deploy/local/postgres.sh start)"
}

cmd_url() {
    if (($# != 1)) || [[ -z $1 ]]; then die "usage: postgres.sh url DBNAME"; fi
    echo "postgresql+psycopg://$PG_USER@127.0.0.1:$PG_PORT/$1"
}

db_exists() {
    local out
    out=$(sql "SELECT 1 FROM pg_database WHERE datname = :'name';" -v name="$1") ||
        die "could not query pg_database"
    [[ $out == 1 ]]
}

cmd_createdb() {
    if (($# != 1)) || [[ -z $1 ]]; then die "usage: postgres.sh createdb NAME"; fi
    need_server
    db_exists "$1" && return 0
    local out
    if ! out=$(sql 'CREATE DATABASE :"name";' -v name="$1" 2>&1); then
        # lost a race with another createdb of the same name: fine
        db_exists "$1" && return 0
        echo "$out" >&2
        die "could not create database $1"
    fi
    say "created database $1"
}

cmd_dropdb() {
    if (($# != 1)) || [[ -z $1 ]]; then die "usage: postgres.sh dropdb NAME"; fi
    need_server
    local out
    if ! out=$(sql 'DROP DATABASE IF EXISTS :"name" WITH (FORCE);' -v name="$1" 2>&1); then
        echo "$out" >&2
        die "could not drop database $1"
    fi
}

cmd_psql() {
    need_server
    exec "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"
}

dispatch "$@"
