# ZTP: every target installs what it needs on a fresh Debian machine (as root, or with sudo).

SWIFT       ?= swift
DEB_PACKAGES = libsodium-dev libssl-dev libmicrohttpd-dev libsqlite3-dev pkg-config
TEST_PACKAGES = python3 python3-venv openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-test build test run clean bench

## setup: install the system libraries the package links against, when missing.
setup:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

setup-test: setup
	@missing=""; \
	python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3 python3-venv"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# Run as root, the tests start servers and clients as this user, as users run them.
	@if [ "$$(id -u)" = 0 ] && ! id -u ztp-test >/dev/null 2>&1; then \
	  echo "adding system user ztp-test (servers and clients under test run as it)"; \
	  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ztp-test; \
	fi

## build: debug build of everything, tests included.
build: setup
	$(SWIFT) build --build-tests

## test: unit, end-to-end (real server process, real sockets), API-contract and browser tests.
test: setup-test build
	$(SWIFT) test --skip-build < /dev/null
	bash scripts/schemathesis.sh
	bash scripts/browser-tests.sh

## run: the server with its embedded defaults (ZTP on 127.0.0.1:9999, API on 127.0.0.1:8080, ./ztp-data).
run: setup
	$(SWIFT) build --product ztp-server
	.build/debug/ztp-server

clean:
	rm -rf .build .build-*

-include mk/bench.mk
-include mk/browser.mk
-include mk/container.mk
-include mk/fuzz.mk
-include mk/reliability.mk
