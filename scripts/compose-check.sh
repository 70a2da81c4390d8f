#!/usr/bin/env bash
# Runs compose.yaml (PostgreSQL, two ztp-server nodes, Prometheus) with podman-compose and checks
# what docs/OPERATIONS.md promises of it: stops with a message at the first miss.
#
# Works offline like container-check.sh: the ZTP image is built from the Dockerfile (cached
# layers make that quick after `make container-check`), and where the official postgres and
# prometheus images cannot be pulled, stand-ins built from Debian's packages take their place
# (scripts/standins/). Run as root (CI does), or with sudo available.
#
#   scripts/compose-check.sh            # or: make compose-check
set -euo pipefail
# One block, read whole before it runs (see container-check.sh).
{

CHECK_NAME="COMPOSE CHECK"
source "$(dirname "$0")/lib/container-image.sh"

OFFICIAL_POSTGRES=docker.io/library/postgres:15-bookworm
OFFICIAL_PROMETHEUS=docker.io/prom/prometheus:v2.42.0

step "compose tools"
missing=""
command -v podman-compose >/dev/null 2>&1 || missing="$missing podman-compose"
# Containers on a compose network find each other by service name through this CNI plugin.
[ -x /usr/lib/cni/dnsname ] || missing="$missing golang-github-containernetworking-plugin-dnsname"
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends $missing
fi
ok "$(podman-compose version 2>/dev/null | grep -m1 'podman-compose version' || echo podman-compose)"

step "postgres and prometheus images"
build_standin() {   # TAG DIRECTORY (under scripts/standins)
    podman build --network host --format docker --build-arg "BASE=$RUNTIME_IMAGE" -t "$1" \
        "$ROOT/scripts/standins/$2" >"$CACHE/standin-$2.log" 2>&1 \
        || { tail -20 "$CACHE/standin-$2.log" >&2; fail "building the stand-in $1 failed (log: $CACHE/standin-$2.log)"; }
}
STANDIN_POSTGRES=localhost/ztp-standin/postgres:15-bookworm
STANDIN_PROMETHEUS=localhost/ztp-standin/prometheus:v2.42.0
use_image POSTGRES_IMAGE postgres "$OFFICIAL_POSTGRES" "$STANDIN_POSTGRES" build_standin "$STANDIN_POSTGRES" postgres
use_image PROMETHEUS_IMAGE prometheus "$OFFICIAL_PROMETHEUS" "$STANDIN_PROMETHEUS" build_standin "$STANDIN_PROMETHEUS" prometheus

# ---------------------------------------------------------------------------------------------
PROJECT="ztp-compose-check-$$"
WORK=$(mktemp -d)
chmod 0755 "$WORK"
read -r A_PORT A_API B_PORT B_API PROM_PORT <<<"$(free_ports 5)"
compose() {
    $SUDO env CONTAINERS_CONF="$CACHE/containers.conf" ZTP_IMAGE="$IMAGE" ZTP_POSTGRES_IMAGE="$POSTGRES_IMAGE" \
        ZTP_PROMETHEUS_IMAGE="$PROMETHEUS_IMAGE" ZTP_DB_PASSWORD="check-$$-$RANDOM" \
        ZTP_A_PORT="$A_PORT" ZTP_A_API_PORT="$A_API" ZTP_B_PORT="$B_PORT" ZTP_B_API_PORT="$B_API" \
        ZTP_PROMETHEUS_PORT="$PROM_PORT" podman-compose -p "$PROJECT" -f "$ROOT/compose.yaml" "$@"
}
cleanup() {
    local status=$?
    [ -n "${CLIENT_PID:-}" ] && kill "$CLIENT_PID" 2>/dev/null
    if [ $status != 0 ]; then
        for service in postgres ztp-a ztp-b prometheus; do
            echo "--- logs of $service ---" >&2
            podman logs --tail 30 "${PROJECT}_${service}_1" >&2 2>&1 || true
        done
    fi
    compose down -t 5 >/dev/null 2>&1 || true
    for volume in postgres-data ztp-keys prometheus-data; do
        podman volume rm -f "${PROJECT}_$volume" >/dev/null 2>&1 || true
    done
    podman network rm -f "${PROJECT}_default" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT
http() { curl -sS -o "$WORK/body" -w '%{http_code}' "$@"; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$WORK/body"; }

step "host ztp-client"
host_client "$WORK"
ok "built; runs as nobody:nogroup"

step "compose up (project $PROJECT; ZTP on $A_PORT and $B_PORT, APIs on $A_API and $B_API, Prometheus on $PROM_PORT)"
compose up -d >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; fail "podman-compose up failed"; }
deadline=$((SECONDS + 120))
for api in "$A_API" "$B_API"; do
    until [ "$(http "http://127.0.0.1:$api/readyz" 2>/dev/null)" = 200 ]; do
        [ $SECONDS -lt $deadline ] || fail "/readyz on 127.0.0.1:$api did not answer 200 within 120 s: $(cat "$WORK/body" 2>/dev/null)"
        sleep 1
    done
done
ok "both nodes ready (/readyz 200) after $((SECONDS - START)) s in all"
node_a="${PROJECT}_ztp-a_1"
# The logs are read whole before grep sees them: `podman logs | grep -q` under pipefail fails
# whenever grep stops at its match before podman has written the rest (SIGPIPE).
grep -q 'database=postgres://ztp:\*\*\*@postgres:5432/ztp .*store open' <<<"$(podman logs "$node_a" 2>&1)" \
    || fail "node a does not log its store as the compose PostgreSQL: $(podman logs "$node_a" 2>&1 | tail -5)"
ok "node a's store: $(podman logs "$node_a" 2>&1 | grep -o 'postgres://ztp:\*\*\*@postgres[^ ]*' | head -1)"

step "check: one identity, one fleet"
ADMIN_KEY=$(podman exec "$node_a" cat /var/lib/ztp/admin.key)
SERVER_KEY=$(podman exec "$node_a" cat /var/lib/ztp/server.pub)
[ "$(podman exec "${PROJECT}_ztp-b_1" cat /var/lib/ztp/server.pub)" = "$SERVER_KEY" ] || fail "the nodes have different server keys"
api() { http -H "Authorization: Bearer $ADMIN_KEY" "$@"; }
[ "$(api "http://127.0.0.1:$B_API/v1/nodes")" = 200 ] || fail "GET /v1/nodes on b: $(cat "$WORK/body")"
nodes=$(json '" ".join(sorted(n["id"] + ":" + n["state"] for n in d["nodes"]))')
[ "$nodes" = "ztp-a:up ztp-b:up" ] || fail "GET /v1/nodes on b lists '$nodes', not ztp-a and ztp-b up"
ok "one admin key and one server key; GET /v1/nodes on b: $nodes"

step "check: a token from a node's command line connects to the other node"
TOKEN=$(podman exec "$node_a" ztp-server token issue --client alice --role user 2>"$WORK/stderr") \
    || fail "podman exec ztp-a ztp-server token issue: $(cat "$WORK/stderr")"
reply=$(client --server "127.0.0.1:$B_PORT" --server-key "$SERVER_KEY" --token "$TOKEN" --exec ping 2>&1) \
    && [ "$reply" = pong ] || fail "ztp-client (as nobody) on node b with a's token: $reply"
ok "token issued in ztp-a's container, ztp-client on node b: $reply"

step "check: a session on a, listed on b, cut by a revocation on b"
[ "$(api -X POST -H 'Content-Type: application/json' \
      -d '{"client_id":"bob","role":"user","ttl_seconds":3600}' "http://127.0.0.1:$B_API/v1/tokens")" = 201 ] \
    || fail "POST /v1/tokens on b: $(cat "$WORK/body")"
read -r BOB_TOKEN BOB_JTI <<<"$(json 'd["token"] + " " + d["jti"]')"
interactive_client --server "127.0.0.1:$A_PORT" --server-key "$SERVER_KEY" --token "$BOB_TOKEN"
deadline=$((SECONDS + 15))
until [ "$(api "http://127.0.0.1:$B_API/v1/sessions?node=ztp-a")" = 200 ] \
      && [ "$(json 'sum(1 for s in d["sessions"] if s["client_id"] == "bob")')" = 1 ]; do
    [ $SECONDS -lt $deadline ] || fail "GET /v1/sessions?node=ztp-a on b does not list bob's session: $(cat "$WORK/body")"
    sleep 0.5
done
ok "GET /v1/sessions?node=ztp-a on b lists bob's session on a"
revoked_at=$(date +%s.%N)
[ "$(api -X DELETE "http://127.0.0.1:$B_API/v1/tokens/$BOB_JTI")" = 204 ] || fail "DELETE /v1/tokens/$BOB_JTI on b: not 204"
deadline=$((SECONDS + 5))
while kill -0 "$CLIENT_PID" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "bob's session on a outlived the revocation on b by 5 s"
    sleep 0.05
done
cut_after=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.2f}')" "$revoked_at")
CLIENT_PID=
exec 9>&-
ended=$(grep -m1 '^session ended: ' "$WORK/session" || true)
[[ $ended == *TOKEN_REVOKED* ]] || fail "bob's session did not end with TOKEN_REVOKED: $(cat "$WORK/session")"
ok "revoked on b; the client on a: '$ended' within $cut_after s"

step "check: Prometheus scrapes both nodes and loads the alerts"
deadline=$((SECONDS + 60))
until [ "$(http "http://127.0.0.1:$PROM_PORT/api/v1/targets")" = 200 ] \
      && [ "$(json '" ".join(sorted(t["labels"]["instance"] + ":" + t["health"] for t in d["data"]["activeTargets"]))')" \
           = "ztp-a:8080:up ztp-b:8080:up" ]; do
    [ $SECONDS -lt $deadline ] || fail "Prometheus targets are not both up within 60 s: $(cat "$WORK/body")"
    sleep 1
done
ok "targets: ztp-a:8080 up, ztp-b:8080 up"
deadline=$((SECONDS + 30))
query='ztp_fleet_nodes{state="up"}'
until [ "$(http -G --data-urlencode "query=$query" "http://127.0.0.1:$PROM_PORT/api/v1/query")" = 200 ] \
      && [ "$(json '" ".join(sorted(r["metric"]["instance"] + "=" + r["value"][1] for r in d["data"]["result"]))')" \
           = "ztp-a:8080=2 ztp-b:8080=2" ]; do
    [ $SECONDS -lt $deadline ] || fail "$query is not 2 on both nodes within 30 s: $(cat "$WORK/body")"
    sleep 1
done
ok "$query: 2 on each node"
[ "$(http "http://127.0.0.1:$PROM_PORT/api/v1/rules")" = 200 ] || fail "GET /api/v1/rules: $(cat "$WORK/body")"
rules=$(json '" ".join(sorted(r["name"] for g in d["data"]["groups"] for r in g["rules"]))')
[ "$rules" = "ZTPFleetNodeGone ZTPHeartbeatsFailing ZTPNodeDown ZTPRevocationsStale" ] \
    || fail "the alert rules loaded are '$rules'"
ok "alert rules: $rules"

step "check: a node stopped leaves the fleet; the other goes on"
compose stop -t 10 ztp-b >/dev/null 2>&1 || fail "podman-compose stop ztp-b failed"
status=$(podman inspect --format '{{.State.ExitCode}}' "${PROJECT}_ztp-b_1")
[ "$status" = 0 ] || fail "ztp-b exited with status $status on podman-compose stop, not 0"
# A node stopping gracefully deregisters; the others' views refresh with their heartbeats (2 s).
deadline=$((SECONDS + 10))
until [ "$(api "http://127.0.0.1:$A_API/v1/nodes")" = 200 ] \
      && nodes=$(json '" ".join(sorted(n["id"] + ":" + n["state"] for n in d["nodes"]))') && [ "$nodes" = "ztp-a:up" ]; do
    [ $SECONDS -lt $deadline ] || fail "10 s after ztp-b stopped, GET /v1/nodes on a lists '${nodes:-}'"
    sleep 0.5
done
reply=$(client --server "127.0.0.1:$A_PORT" --server-key "$SERVER_KEY" --token "$TOKEN" --exec ping 2>&1) \
    && [ "$reply" = pong ] || fail "ztp-client on a after b stopped: $reply"
ok "ztp-b exited 0; GET /v1/nodes on a: $nodes; alice on a: $reply"

printf '\ncompose check passed in %d s (images: %s, %s, %s)\n' $((SECONDS - START)) "$IMAGE" "$POSTGRES_IMAGE" "$PROMETHEUS_IMAGE"
exit
}
