#!/usr/bin/env bash
# Checks that the running server and openapi.yaml agree, with schemathesis against a live
# `ztp-server` (debug build) on free loopback ports, a known admin key and a fresh data dir.
#
#   scripts/schemathesis.sh            # builds ztp-server if missing
#   MAX_EXAMPLES=50 scripts/schemathesis.sh
#   scripts/schemathesis.sh --report har   # extra arguments go to `schemathesis run`
#
# Exits with schemathesis' status (0 when every check passed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
VENV="${SCHEMATHESIS_VENV:-$ROOT/.build/venv}"
SERVER="${ZTP_SERVER:-$ROOT/.build/debug/ztp-server}"
CLIENT="${ZTP_CLIENT:-$ROOT/.build/debug/ztp-client}"
MAX_EXAMPLES="${MAX_EXAMPLES:-20}"

if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    [ -d "$VENV" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

[ -x "$SERVER" ] || swift build --product ztp-server
[ -x "$CLIENT" ] || swift build --product ztp-client
# shellcheck source=lib/unprivileged.sh
. "$ROOT/scripts/lib/unprivileged.sh"
SERVER="$(stage_binary "$SERVER")"
CLIENT="$(stage_binary "$CLIENT")"

# A free TCP port on 127.0.0.1 (the kernel's pick; released before the server binds it).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# api METHOD PATH [JSON_BODY] [PYTHON_EXPRESSION]: calls the API with the admin key and prints
# the expression evaluated on the parsed JSON answer `j` (python3 only, no curl needed).
api() {
    python3 - "$BASE" "$ADMIN_KEY" "$@" <<'PY'
import json, sys, urllib.request
base, key, method, path = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 and sys.argv[5] else None
request = urllib.request.Request(base + path, data=body, method=method,
                                  headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=5) as response:
    j = json.load(response)
print(eval(sys.argv[6]) if len(sys.argv) > 6 else j)
PY
}

ready() {
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2)' "$BASE" 2>/dev/null
}

ZTP_PORT="$(free_port)"
HTTP_PORT="$(free_port)"
while [ "$HTTP_PORT" = "$ZTP_PORT" ]; do HTTP_PORT="$(free_port)"; done
BASE="http://127.0.0.1:$HTTP_PORT"
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ztp-schemathesis.XXXXXX")"
hand_over "$DATA_DIR"
REPORT_DIR="$ROOT/.build/schemathesis/report"
ADMIN_KEY="schemathesis-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
LOG="$DATA_DIR/server.log"
SERVER_PID=""
CLIENT_PIDS=""

cleanup() {
    # End of input makes the interactive clients leave; then make sure they are gone.
    exec 3>&- 4>&- 2>/dev/null || true
    for pid in $CLIENT_PIDS; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

# ZTP_RESOURCES: serve this package's openapi.yaml and Public/, relative to the working
# directory $ROOT, which an unprivileged server can read below even when not above.
ZTP_ADMIN_KEY="$ADMIN_KEY" ZTP_RESOURCES=. "${AS_USER[@]}" "$SERVER" \
    --listen "127.0.0.1:$ZTP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" --data-dir "$DATA_DIR" \
    >"$LOG" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 100); do
    if ready; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "ztp-server exited before it was ready:" >&2
        cat "$LOG" >&2
        exit 1
    fi
    sleep 0.1
done
ready || { echo "ztp-server is not ready on $BASE" >&2; cat "$LOG" >&2; exit 1; }

# Live sessions with streams 1 (chat) and 2 (control) open, so the session operations are
# checked against real data and not only their 404s: interactive clients (tokens issued over
# the API, the server key pinned from DATA_DIR/server.pub) stay connected while their standard
# input, a FIFO held open by this shell, is. The stateful phase reaches them through the links
# in openapi.yaml (GET /v1/sessions -> GET /v1/sessions/{id} -> DELETE of a stream, of the
# session). Two, because a DELETE of one may come before the other operations.
# start_client NAME FD: a new client `NAME` whose input is on FD, once its session is listed.
# Not run in a $(...) subshell: the FIFO would close, and the client leave, with it.
start_client() {
    local name="$1" fd="$2" token id=""
    token="$(api POST /v1/tokens "{\"client_id\":\"$name\",\"role\":\"user\"}" 'j["token"]')"
    mkfifo "$DATA_DIR/$name.in"
    "${AS_USER[@]}" "$CLIENT" --server "127.0.0.1:$ZTP_PORT" --data-dir "$DATA_DIR" --token "$token" \
        <"$DATA_DIR/$name.in" >"$DATA_DIR/$name.log" 2>&1 &
    CLIENT_PIDS="$CLIENT_PIDS $!"
    eval "exec $fd>\"\$DATA_DIR/$name.in\""
    for _ in $(seq 1 100); do
        id="$(api GET "/v1/sessions?client_id=$name" "" 'j["sessions"][0]["id"] if j["sessions"] else ""')"
        [ -n "$id" ] && break
        sleep 0.1
    done
    if [ -z "$id" ]; then
        echo "the ZTP client $name did not get a session:" >&2
        cat "$DATA_DIR/$name.log" "$LOG" >&2
        exit 1
    fi
}
start_client schemathesis-1 3
start_client schemathesis-2 4

# Every check runs but one: status codes, content types, response schemas and headers (401
# with WWW-Authenticate), schema-violating requests rejected with 4xx, valid ones accepted,
# ignored auth, 405 with Allow for undeclared methods, no 5xx, and the stateful checks on the
# links (POST /v1/tokens -> GET/DELETE /v1/tokens/{jti}, and the session links above).
# Excluded: use_after_free, which expects a GET after a successful DELETE to answer 404.
# DELETE /v1/tokens/{jti} revokes rather than deletes: the token stays listed with state
# "revoked" (issue 4: "every revoked token stays revoked and every issued token is still
# listed"; openapi.yaml says so), so GET /v1/tokens/{jti} rightly answers 200 afterwards. The
# Swift tests check that a revoked token reads back as revoked and can no longer be used.
# A fixed seed keeps runs reproducible (override with SCHEMATHESIS_SEED). Run from a folder
# under .build, where schemathesis keeps its cache (.schemathesis/).
mkdir -p "$ROOT/.build/schemathesis"
cd "$ROOT/.build/schemathesis"
set +e
"$VENV/bin/schemathesis" --config-file "$ROOT/scripts/schemathesis.toml" run "$ROOT/openapi.yaml" \
    --url "$BASE" \
    -H "Authorization: Bearer $ADMIN_KEY" \
    --checks all \
    --exclude-checks use_after_free \
    --exclude-path /v1/events \
    --max-examples "$MAX_EXAMPLES" \
    --seed "${SCHEMATHESIS_SEED:-20261127}" \
    --workers 1 \
    --request-timeout 10 \
    --generation-database none \
    --report junit --report-dir "$REPORT_DIR" \
    --no-color \
    "$@"
STATUS=$?
set -e

if [ "$STATUS" -ne 0 ]; then
    echo "schemathesis failed ($STATUS); server log:" >&2
    tail -50 "$LOG" >&2
fi
exit "$STATUS"
