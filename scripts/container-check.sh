#!/usr/bin/env bash
# Builds the repository's Dockerfile with podman, runs the image and checks what the image
# promises (docs/OPERATIONS.md, "Docker"): stops with a message at the first miss.
#
# Works offline: when the official base images cannot be pulled, local stand-ins are built
# (a debootstrapped bookworm for debian:bookworm-slim; that plus the Swift toolchain on PATH for
# swift:6.3-bookworm) and cached in $ZTP_CONTAINER_CACHE (default /var/cache/ztp-container) and
# in podman's image store, outside the clone. Run as root (CI does), or with sudo available.
#
#   scripts/container-check.sh            # or: make container-check
#
# Environment: ZTP_CONTAINER_CACHE (cache directory), ZTP_IMAGE (tag to build, default
# localhost/ztp:check), ZTP_STANDIN_REFRESH=1 (rebuild the stand-in base images).
set -euo pipefail
# The whole script is one block: bash reads it all before running, so editing this file (or
# checking out another commit) while a check runs cannot change what the running check does.
{

# Tools, base images (official or stand-ins) and the image built from the Dockerfile.
source "$(dirname "$0")/lib/container-image.sh"

# ---------------------------------------------------------------------------------------------
RUN_ID="ztp-check-$$"
NAME="$RUN_ID"
VOLUME="$RUN_ID-data"
WORK=$(mktemp -d)
chmod 0755 "$WORK"
cleanup() {
    local status=$?
    [ -n "${CLIENT_PID:-}" ] && kill "$CLIENT_PID" 2>/dev/null
    for container in "$NAME" "$RUN_ID-tty" "$RUN_ID-crash"; do
        podman rm -f -v -t 0 "$container" >/dev/null 2>&1 || true
    done
    for volume in "$VOLUME" "$RUN_ID-tty-data" "$RUN_ID-crash-data"; do
        podman volume rm -f "$volume" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT

step "host ztp-client"
host_client "$WORK"
ok "built; runs as nobody:nogroup"

wait_health() {
    local deadline=$((SECONDS + 60))
    until podman healthcheck run "$NAME" >/dev/null 2>&1; do
        [ "$(podman inspect --format '{{.State.Status}}' "$NAME" 2>/dev/null)" = running ] \
            || { podman logs "$NAME" >&2 || true; fail "the container is not running"; }
        [ $SECONDS -lt $deadline ] || fail "podman healthcheck run did not pass within 60 s"
        sleep 1
    done
}
health_status() { podman inspect --format '{{.State.Health.Status}}' "$NAME"; }
# Without systemd, podman says on stderr that it cannot set up health-check timers: harmless
# here (this script runs the checks), so stderr is kept in a file and shown only on a failure.
quiet() { "$@" 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }; }
http() { curl -sS -o "$WORK/body" -w '%{http_code}' "$@"; }

read -r ZTP_PORT HTTP_PORT <<<"$(free_ports 2)"
step "run: host network (ZTP 127.0.0.1:$ZTP_PORT, API 127.0.0.1:$HTTP_PORT), volume $VOLUME"
podman volume create "$VOLUME" >/dev/null
quiet podman run -d --name "$NAME" --network host -v "$VOLUME:/var/lib/ztp" \
    -e ZTP_LISTEN="127.0.0.1:$ZTP_PORT" -e ZTP_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" "$IMAGE" >/dev/null \
    || fail "podman run of $IMAGE failed"
wait_health
ok "started"

step "check: unprivileged, private data directory"
pid=$(podman inspect --format '{{.State.Pid}}' "$NAME")
uids=$(awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/$pid/status")
[ "$uids" = "10001 10001 10001 10001" ] || fail "the server runs with uids '$uids', not 10001"
gids=$(awk '/^Gid:/{print $2, $3, $4, $5}' "/proc/$pid/status")
[ "$gids" = "10001 10001 10001 10001" ] || fail "the server runs with gids '$gids', not 10001"
ok "server process (PID 1 in the container) runs as uid/gid 10001"
mode=$(podman exec "$NAME" stat -c '%a %u:%g' /var/lib/ztp)
[ "$mode" = "700 10001:10001" ] || fail "/var/lib/ztp is '$mode', not '700 10001:10001'"
ok "/var/lib/ztp is mode 0700, owned by 10001:10001"
secret_modes=$(podman exec "$NAME" sh -c 'stat -c "%a %n" /var/lib/ztp/*' | grep -v '^600 ' || true)
[ -z "$secret_modes" ] || fail "files in the data directory not 0600: $secret_modes"
ok "every file in it is 0600"

step "check: health"
[ "$(health_status)" = healthy ] || fail "podman reports health '$(health_status)', not healthy"
ok "HEALTHCHECK: healthy (podman healthcheck run)"
[ "$(http "http://127.0.0.1:$HTTP_PORT/healthz")" = 200 ] || fail "/healthz: not 200"
grep -q '"ok"' "$WORK/body" || fail "/healthz body: $(cat "$WORK/body")"
ok "/healthz: 200 $(cat "$WORK/body")"
[ "$(http "http://127.0.0.1:$HTTP_PORT/readyz")" = 200 ] || fail "/readyz: not 200 ($(cat "$WORK/body"))"
ok "/readyz: 200"

step "check: admin key"
ADMIN_KEY=$(podman exec "$NAME" cat /var/lib/ztp/admin.key)
[[ $ADMIN_KEY =~ ^[0-9a-f]{64}$ ]] || fail "admin.key does not hold 64 hex digits"
key_mode=$(podman exec "$NAME" stat -c '%a' /var/lib/ztp/admin.key)
[ "$key_mode" = 600 ] || fail "admin.key is mode $key_mode, not 600"
api() { http -H "Authorization: Bearer $ADMIN_KEY" "$@"; }
[ "$(api "http://127.0.0.1:$HTTP_PORT/v1/server")" = 200 ] || fail "GET /v1/server with the key from admin.key: not 200"
[ "$(http "http://127.0.0.1:$HTTP_PORT/v1/server")" = 401 ] || fail "GET /v1/server without a key: not 401"
ok "docker exec … cat /var/lib/ztp/admin.key (as docs/OPERATIONS.md says): mode 0600, opens /v1/*"
podman logs "$NAME" >"$WORK/logs" 2>&1
! grep -qF "$ADMIN_KEY" "$WORK/logs" || fail "the admin key is in podman logs (no terminal attached)"
grep -qF "admin.key" "$WORK/logs" || fail "podman logs do not say where the admin key was written"
ok "not in podman logs without a terminal; the logs name the file: $(grep -F admin.key "$WORK/logs" | head -1)"
podman volume create "$RUN_ID-tty-data" >/dev/null
quiet podman run -d -t --name "$RUN_ID-tty" --network none -v "$RUN_ID-tty-data:/var/lib/ztp" "$IMAGE" >/dev/null
deadline=$((SECONDS + 30))
# Logs are read whole before grep: `podman logs | grep -q` fails under pipefail when grep stops
# at its match before podman has written the rest (SIGPIPE).
until tty_key=$(podman exec "$RUN_ID-tty" cat /var/lib/ztp/admin.key 2>/dev/null) && grep -qF "$tty_key" <<<"$(podman logs "$RUN_ID-tty" 2>&1)"; do
    [ $SECONDS -lt $deadline ] || fail "with a terminal attached (podman run -t), the new admin key was not printed"
    sleep 1
done
podman rm -f -t 0 "$RUN_ID-tty" >/dev/null 2>&1
ok "printed once with a terminal attached (podman run -t)"

step "check: token issue and pong"
TOKEN=$(podman run --rm -v "$VOLUME:/var/lib/ztp" "$IMAGE" token issue --client alice --role user 2>"$WORK/stderr") \
    || fail "podman run --rm -v $VOLUME:/var/lib/ztp $IMAGE token issue … failed"
[ -n "$TOKEN" ] && [ "$(wc -l <<<"$TOKEN")" = 1 ] || fail "token issue printed '$TOKEN', not one token"
ok "podman run --rm -v VOLUME:/var/lib/ztp IMAGE token issue --client alice --role user: ${TOKEN:0:16}…"
SERVER_KEY=$(podman exec "$NAME" cat /var/lib/ztp/server.pub)
ping_with() { client --server "127.0.0.1:$ZTP_PORT" --server-key "$SERVER_KEY" --token "$1" --exec ping 2>&1; }
reply=$(ping_with "$TOKEN") || fail "host ztp-client (as nobody) with alice's token: $reply"
[ "$reply" = pong ] || fail "host ztp-client (as nobody) got '$reply', not pong"
ok "host ztp-client (uid nobody) with that token: $reply"

step "check: a revocation survives podman restart"
[ "$(api -X POST -H 'Content-Type: application/json' \
      -d '{"client_id":"bob","role":"user","ttl_seconds":3600}' "http://127.0.0.1:$HTTP_PORT/v1/tokens")" = 201 ] \
    || fail "POST /v1/tokens: $(cat "$WORK/body")"
read -r BOB_TOKEN BOB_JTI <<<"$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b["token"], b["jti"])' "$WORK/body")"
reply=$(ping_with "$BOB_TOKEN") && [ "$reply" = pong ] || fail "bob's new token does not work: $reply"
[ "$(api -X DELETE "http://127.0.0.1:$HTTP_PORT/v1/tokens/$BOB_JTI")" = 204 ] || fail "DELETE /v1/tokens/$BOB_JTI: not 204"
reply=$(ping_with "$BOB_TOKEN") && fail "bob's revoked token still gets '$reply'"
ok "revoked over the API (204); bob is refused: $reply"
quiet podman restart "$NAME" >/dev/null || fail "podman restart failed"
wait_health
reply=$(ping_with "$BOB_TOKEN") && fail "after podman restart, bob's revoked token gets '$reply'"
ok "after podman restart bob is still refused: $reply"
[ "$(api "http://127.0.0.1:$HTTP_PORT/v1/tokens/$BOB_JTI")" = 200 ] && grep -q '"revoked"' "$WORK/body" \
    || fail "after restart GET /v1/tokens/$BOB_JTI does not say revoked: $(cat "$WORK/body")"
reply=$(ping_with "$TOKEN") && [ "$reply" = pong ] || fail "after restart alice's token does not work: $reply"
ok "the store and keys kept on the volume: GET /v1/tokens/{jti} says revoked, alice still gets pong"

step "check: podman stop"
interactive_client --server "127.0.0.1:$ZTP_PORT" --server-key "$SERVER_KEY" --token "$TOKEN"
stop_start=$(date +%s.%N)
quiet podman stop -t 10 "$NAME" >/dev/null || fail "podman stop failed"
stop_seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$stop_start" "$(date +%s.%N)")
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
[ "$exit_code" = 0 ] || fail "podman stop: exit code $exit_code, not 0 (after $stop_seconds s)"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 10 else 1)" "$stop_seconds" \
    || fail "podman stop took $stop_seconds s (10 s or more)"
ok "podman stop: exit code 0 after $stop_seconds s"
exec 9>&-
deadline=$((SECONDS + 10))
while kill -0 "$CLIENT_PID" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "the connected ztp-client did not end when the server stopped"
    sleep 0.2
done
CLIENT_PID=
# The interactive client prints why its session ended: a CLOSE frame's code, or a bare
# disconnect ("connection closed").
ended=$(grep -m1 '^session ended: ' "$WORK/session" || true)
[[ $ended == 'session ended: closed by server: SERVER_SHUTDOWN'* ]] \
    || fail "the connected client did not receive SERVER_SHUTDOWN: $(cat "$WORK/session")"
ok "the connected client received it first: $ended"

step "crash backtrace"
podman volume create "$RUN_ID-crash-data" >/dev/null
quiet podman run -d --name "$RUN_ID-crash" --network none -v "$RUN_ID-crash-data:/var/lib/ztp" "$IMAGE" >/dev/null
deadline=$((SECONDS + 30))
until podman exec "$RUN_ID-crash" test -e /var/lib/ztp/server.pub 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "the crash-test container did not start"
    sleep 0.5
done
sleep 1
podman kill --signal SEGV "$RUN_ID-crash" >/dev/null
deadline=$((SECONDS + 60))
until grep -q 'Backtrace took' <<<"$(podman logs "$RUN_ID-crash" 2>&1)"; do
    [ $SECONDS -lt $deadline ] || { podman logs "$RUN_ID-crash" 2>&1 | tail -30 >&2; fail "no complete backtrace within 60 s of SIGSEGV"; }
    sleep 1
done
podman logs "$RUN_ID-crash" >"$WORK/crash" 2>&1
# A symbolicated frame: `N 0xADDRESS NAME + OFFSET in ztp-server`, not just an address.
named=$(grep -cE '0x[0-9a-f]+ [^ ].* in ztp-server' "$WORK/crash" || true)
[ "$named" -gt 0 ] || { cat "$WORK/crash" >&2; fail "the crash backtrace names no function of ztp-server"; }
ok "SIGSEGV prints a backtrace naming functions (frames of ztp-server with a name: $named), e.g.:"
grep -m3 -E '0x[0-9a-f]+ [^ ].* in ztp-server' "$WORK/crash" | cut -c1-150 | sed 's/^/     /'
podman rm -f -t 0 "$RUN_ID-crash" >/dev/null 2>&1

step "image"
podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' "$IMAGE"
printf '   size: %s bytes\n' "$(podman image inspect --format '{{.Size}}' "$IMAGE")"
echo "   layers:"
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | cut -c1-150 | sed 's/^/     /'
for binary in /usr/local/bin/ztp-server /usr/libexec/swift/linux/swift-backtrace-static; do
    echo "   ldd $binary:"
    { podman run --rm --network none --entrypoint ldd "$IMAGE" "$binary" 2>&1 || true; } | sed 's/^/     /'
done
podman run --rm --network none --entrypoint sh "$IMAGE" -c \
    'ls -l /usr/local/bin /usr/libexec/swift/linux' | sed 's/^/   /'

printf '\ncontainer check passed in %d s (base images: %s, %s)\n' $((SECONDS - START)) "$SWIFT_IMAGE" "$RUNTIME_IMAGE"
exit
}
