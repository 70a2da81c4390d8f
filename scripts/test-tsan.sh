#!/usr/bin/env bash
# Runs the suites built by `ZTP_SANITIZE=thread swift build --build-tests` (make test-tsan);
# arguments go to `swift test` (make test-tsan-all: its own scratch path and --sanitize=thread).
# Every ThreadSanitizer report, from the test process or from a server or client it started
# (those run as the unprivileged test user), goes to a file in one shared directory, and the
# run fails if any is there, whether or not a test noticed the process that reported.
set -uo pipefail
cd "$(dirname "$0")/.."
reports=$(mktemp -d /tmp/ztp-tsan-XXXXXX)
trap 'rm -rf "$reports"' EXIT
# Readable and writable by the test user, whom a clone under a 0700 directory keeps out.
chmod 1777 "$reports"
install -m 0644 Tests/tsan.supp "$reports/tsan.supp"
status=0
ZTP_SANITIZE=thread ZTP_TEST_TIME_SCALE=4 SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${TSAN_TEST_WIDTH:-2} \
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$reports/tsan.supp log_path=$reports/report" \
  "${SWIFT:-swift}" test --skip-build "$@" </dev/null || status=$?
if compgen -G "$reports/report.*" >/dev/null; then
  echo "ThreadSanitizer reports:"
  cat "$reports"/report.*
  status=1
else
  echo "no ThreadSanitizer report (test process, servers and clients)"
fi
exit $status
