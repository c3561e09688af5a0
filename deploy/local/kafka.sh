#!/usr/bin/env bash
# Local Apache Kafka 4.1.1 (KRaft combined mode: one JVM is broker + controller)
# for `make run`, the pytest fixtures and CI. Jars come from Maven Central
# (deploy/local/kafka/pom.xml); all state lives under var/ (gitignored).
#
# usage: deploy/local/kafka.sh install|start|run|stop|status|topics [ARGS...]
#
#   install   fetch the jars into var/cache/kafka-4.1.1/libs (skipped when cached)
#   start     install if needed, format storage once, start in the background and
#             wait until the broker really serves requests; no-op if running
#   run       same preparation, then exec java in the foreground (for a supervisor)
#   stop      SIGTERM, wait, then SIGKILL
#   status    exit 0 if the broker serves requests (1: running but not serving,
#             3: not running)
#   topics    list topics (extra args go to kafka-topics, e.g. `topics --describe`)
#
# environment (defaults in brackets; relative paths are relative to the repo root):
#   KAFKA_PORT [9092]              client listener, 127.0.0.1 only
#   KAFKA_CONTROLLER_PORT [9093]   controller listener, 127.0.0.1 only
#   KAFKA_DATA_DIR [var/kafka]     config, data, pid file and log of this instance
#   KAFKA_HEAP [-Xmx512m -Xms512m] heap options of the broker JVM
#   KAFKA_JVM_OPTS []              more JVM options for the broker
#   KAFKA_START_TIMEOUT [60]       seconds `start` waits for readiness
#   KAFKA_STOP_TIMEOUT [30]        seconds `stop` waits after SIGTERM before SIGKILL
#   JAVA [java]                    java binary (17 or newer)
# Several instances can run at once with different ports and data dirs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

KAFKA_VERSION=4.1.1
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-var/kafka}
[[ $KAFKA_DATA_DIR == /* ]] || KAFKA_DATA_DIR=$ROOT/$KAFKA_DATA_DIR
KAFKA_HEAP=${KAFKA_HEAP:--Xmx512m -Xms512m}
KAFKA_JVM_OPTS=${KAFKA_JVM_OPTS:-}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
KAFKA_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
JAVA=${JAVA:-java}

CONF_DIR=$SCRIPT_DIR/kafka
CACHE_DIR=$ROOT/var/cache/kafka-$KAFKA_VERSION
LIBS_DIR=$CACHE_DIR/libs
MARKER=$CACHE_DIR/.install-complete
LOG_DIRS=$KAFKA_DATA_DIR/logs
CONFIG=$KAFKA_DATA_DIR/server.properties
CLI_CONFIG=$KAFKA_DATA_DIR/cli.properties
PID_FILE=$KAFKA_DATA_DIR/kafka.pid
LOG_FILE=$KAFKA_DATA_DIR/kafka.log
LOCK_FILE=$KAFKA_DATA_DIR/.lock

NAME="kafka[127.0.0.1:$KAFKA_PORT]"
USAGE_LINES=6,25

check_settings() {
    check_port_pair KAFKA_PORT KAFKA_CONTROLLER_PORT
    check_seconds KAFKA_START_TIMEOUT
    check_seconds KAFKA_STOP_TIMEOUT
}

java_major() {
    local v
    v=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
    v=${v#1.}
    echo "${v%%[!0-9]*}"
}

ensure_toolchain() {
    local pkgs=()
    command -v "$JAVA" >/dev/null || pkgs+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || pkgs+=(maven)
    ((${#pkgs[@]} == 0)) || apt_install --no-install-recommends "${pkgs[@]}"
    command -v "$JAVA" >/dev/null || die "java ($JAVA) not found"
    local major
    major=$(java_major)
    if [[ -z $major ]] || ((major < 17)); then
        die "Kafka $KAFKA_VERSION needs Java 17+, $JAVA is '${major:-unknown}' (set JAVA=...)"
    fi
}

installed() {
    [[ -f $MARKER && $(cat "$MARKER") == "$(pom_sum)" ]] &&
        compgen -G "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null
}

pom_sum() { sha256sum "$CONF_DIR/pom.xml" | cut -d' ' -f1; }

cmd_install() {
    ensure_toolchain
    installed && return 0
    mkdir -p "$CACHE_DIR"
    # another instance may be installing into the same cache right now
    take_install_lock "$CACHE_DIR.lock"
    if ! installed; then
        local tmp=$CACHE_DIR/libs.tmp.$$ log=$CACHE_DIR/mvn.log
        rm -rf "$tmp"
        if ! mvn -q -B -Dstyle.color=never -f "$CONF_DIR/pom.xml" \
            dependency:copy-dependencies -DoutputDirectory="$tmp" >"$log" 2>&1; then
            cat "$log" >&2
            rm -rf "$tmp"
            die "maven could not fetch the Kafka $KAFKA_VERSION jars (output above, also in $log)"
        fi
        [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar && -f $tmp/kafka-tools-$KAFKA_VERSION.jar ]] ||
            die "maven ran but $tmp has no kafka_2.13/kafka-tools $KAFKA_VERSION jar"
        rm -rf "$LIBS_DIR"
        mv "$tmp" "$LIBS_DIR"
        rm -f "$log"
        pom_sum >"$MARKER"
    fi
    release_install_lock
}

# --- process helpers -------------------------------------------------------

# is PID our broker (kafka.Kafka with this data dir's config)? For find_pid.
is_our_pid() {
    local cmd
    cmd=$(pid_cmdline "$1") || return 1
    [[ $cmd == *" kafka.Kafka $CONFIG"* ]]
}

classpath() { echo "$LIBS_DIR/*"; }

# run a Kafka CLI class on the broker's classpath, quietly (WARN logging)
CLI_TIMEOUT=300
kafka_cli() {
    timeout "$CLI_TIMEOUT" "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties" -Dkafka.root.level=WARN \
        -cp "$(classpath)" "$@"
}

write_cli_config() {
    # short client timeouts so that one readiness probe gives up quickly
    cat >"$CLI_CONFIG" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=8000
EOF
}

# does the broker answer a metadata request (list topics)? For wait_serving.
serving() {
    port_open "$KAFKA_PORT" || return 1
    [[ -f $CLI_CONFIG ]] || write_cli_config
    local CLI_TIMEOUT=20
    kafka_cli org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
        --command-config "$CLI_CONFIG" --list >/dev/null 2>&1
}

# wait until PID serves; dies (after stopping it) on timeout or crash
# every 0.5 s, not faster: each probe starts a JVM
wait_ready() { # PID START_US
    wait_started "$1" "$2" "$KAFKA_START_TIMEOUT" 0.5 "$KAFKA_STOP_TIMEOUT" 40 broker "data $KAFKA_DATA_DIR, 127.0.0.1:$KAFKA_PORT"
}

# waits out another command's start or stop, with some slack
lock_instance() {
    take_lock "$LOCK_FILE" $((KAFKA_START_TIMEOUT + KAFKA_STOP_TIMEOUT + 30)) \
        "another kafka.sh on $KAFKA_DATA_DIR (lock $LOCK_FILE)"
}

# render the config and format the storage once; called with the lock held
prepare() {
    local p
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        ! port_open "$p" || die "port 127.0.0.1:$p is already in use by another process (not this instance, data $KAFKA_DATA_DIR); pick another KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    done
    local tpl
    tpl=$(<"$CONF_DIR/server.properties")
    tpl=${tpl//@KAFKA_PORT@/"$KAFKA_PORT"}
    tpl=${tpl//@KAFKA_CONTROLLER_PORT@/"$KAFKA_CONTROLLER_PORT"}
    tpl=${tpl//@KAFKA_LOG_DIR@/"$LOG_DIRS"}
    printf '%s\n' "$tpl" >"$CONFIG"
    write_cli_config

    if [[ ! -f $LOG_DIRS/meta.properties ]]; then
        local cluster_id out
        cluster_id=$(kafka_cli kafka.tools.StorageTool random-uuid 2>&1) ||
            die "kafka-storage random-uuid failed: $cluster_id"
        if ! out=$(kafka_cli kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$CONFIG" 2>&1); then
            echo "$out" >&2
            die "formatting the storage in $LOG_DIRS failed (output above)"
        fi
        say "formatted storage in $LOG_DIRS (cluster id $cluster_id)"
    fi
}

java_server_args() {
    local heap extra
    read -r -a heap <<<"$KAFKA_HEAP"
    read -r -a extra <<<"$KAFKA_JVM_OPTS"
    SERVER_CMD=("$JAVA" "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
        -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties" -Dkafka.root.level=INFO
        -Dkafka.logs.dir="$KAFKA_DATA_DIR" "${extra[@]}"
        -cp "$(classpath)" kafka.Kafka "$CONFIG")
}

# --- commands ----------------------------------------------------------------

cmd_start() {
    cmd_install
    lock_instance
    local pid start_us
    start_us=$(now_us)
    if pid=$(find_pid); then
        wait_ready "$pid" "$start_us" >/dev/null
        say "already running (pid $pid)"
        return 0
    fi
    prepare
    java_server_args
    cd "$KAFKA_DATA_DIR" # the JVM's working dir (crash files land here)
    start_log 50
    spawn "${SERVER_CMD[@]}"
    pid=$(<"$PID_FILE") || die "the broker did not write its pid file $PID_FILE (log: $LOG_FILE)"
    say "starting (pid $pid) ..."
    wait_ready "$pid" "$start_us"
}

cmd_run() {
    cmd_install
    lock_instance
    local pid
    if pid=$(find_pid); then
        die "already running (pid $pid); stop it first (deploy/local/kafka.sh stop)"
    fi
    prepare
    java_server_args
    cd "$KAFKA_DATA_DIR"
    echo $$ >"$PID_FILE"
    exec 9>&-
    exec "${SERVER_CMD[@]}"
}

cmd_stop() {
    lock_instance
    stop_instance "$KAFKA_STOP_TIMEOUT" 0.2
}

cmd_status() {
    local pid
    if ! pid=$(find_pid); then
        say "not running (data $KAFKA_DATA_DIR)"
        return 3
    fi
    if [[ -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] && serving; then
        say "serving (pid $pid, data $KAFKA_DATA_DIR, log $LOG_FILE)"
        return 0
    fi
    say "running (pid $pid) but not serving on 127.0.0.1:$KAFKA_PORT (log $LOG_FILE)"
    return 1
}

cmd_topics() {
    cmd_install
    (($# > 0)) || set -- --list
    [[ -f $CLI_CONFIG ]] || {
        mkdir -p "$KAFKA_DATA_DIR"
        write_cli_config
    }
    kafka_cli org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
        --command-config "$CLI_CONFIG" "$@" ||
        die "kafka-topics $* failed against 127.0.0.1:$KAFKA_PORT (is it running? deploy/local/kafka.sh status)"
}

dispatch "$@"
