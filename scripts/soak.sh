#!/usr/bin/env bash
# Runs `ztp-bench soak` (and the ztp-server it starts) as a normal user, as users run them:
# when called as root, the two binaries are staged in a directory the `ztp-test` user can read
# (a clone under a 0700 temporary directory is not) and run under setpriv as that user; the
# plot and the samples are copied back.
# Usage: scripts/soak.sh BUILD_DIR SECONDS SESSIONS SVG JSON [WARMUP_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1 seconds=$2 sessions=$3 svg=$4 json=$5
warmup=()
[ -n "${6:-}" ] && warmup=(--warmup "$6")
if [ "$(id -u)" != 0 ]; then
  exec "$build/ztp-bench" soak --seconds "$seconds" --sessions "$sessions" "${warmup[@]}" --svg "$svg" --json "$json"
fi
id -u ztp-test >/dev/null 2>&1 || { echo "no ztp-test user: run make setup-test" >&2; exit 1; }
stage=$(mktemp -d /tmp/ztp-soak-XXXXXX)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
install -m 0755 "$build/ztp-bench" "$build/ztp-server" "$stage/"
chown ztp-test "$stage"
status=0
(cd "$stage" && setpriv --reuid=ztp-test --regid="$(id -g ztp-test)" --clear-groups env HOME="$stage" TMPDIR="$stage" \
  "$stage/ztp-bench" soak --seconds "$seconds" --sessions "$sessions" "${warmup[@]}" --svg "$stage/soak.svg" --json "$stage/soak.json") || status=$?
mkdir -p "$(dirname "$svg")" "$(dirname "$json")"
[ -f "$stage/soak.svg" ] && cp "$stage/soak.svg" "$svg"
[ -f "$stage/soak.json" ] && cp "$stage/soak.json" "$json"
exit $status
