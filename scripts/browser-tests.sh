#!/usr/bin/env bash
# The dashboard's browser tests: headless Chromium driven by Selenium against a real ztp-server
# with real ztp-client processes (Tests/browser). Installs what is missing: Debian's chromium
# and chromium-driver, and a venv under .build with selenium and pytest.
#
#   scripts/browser-tests.sh                 # the server and client of the debug build
#   ZTP_SERVER=... ZTP_CLIENT=... scripts/browser-tests.sh -k outage   # extra args go to pytest
#
# Screenshots of each view are written to .build/screenshots/ on every run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SELENIUM_VERSION=4.51.0
PYTEST_VERSION=9.2.0
VENV="${BROWSER_VENV:-$ROOT/.build/browser-venv}"
SERVER="${ZTP_SERVER:-$ROOT/.build/debug/ztp-server}"
CLIENT="${ZTP_CLIENT:-$ROOT/.build/debug/ztp-client}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "installing: chromium chromium-driver"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi

if ! "$VENV/bin/python" -c "import selenium, pytest, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION' or pytest.__version__ != '$PYTEST_VERSION')" 2>/dev/null; then
    [ -d "$VENV" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "selenium==$SELENIUM_VERSION" "pytest==$PYTEST_VERSION"
fi

[ -x "$SERVER" ] || swift build --product ztp-server
[ -x "$CLIENT" ] || swift build --product ztp-client
# shellcheck source=lib/unprivileged.sh
. "$ROOT/scripts/lib/unprivileged.sh"
export ZTP_SERVER="$(stage_binary "$SERVER")"
export ZTP_CLIENT="$(stage_binary "$CLIENT")"
# The server and clients run as the unprivileged user (when run as root); the browser does not
# need to. Python reads the prefix and the owner for the data directory from these.
export BROWSER_AS_USER="${AS_USER[*]}"
export BROWSER_TEST_UID="$TEST_UID"
export BROWSER_TEST_GID="${TEST_GID:-}"
export BROWSER_SCREENSHOTS="$ROOT/.build/screenshots"
mkdir -p "$BROWSER_SCREENSHOTS"

exec "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$ROOT/Tests/browser" "$@"
