# test-tsan and soak (issue 11). See docs/RELIABILITY.md.

SOAK_SECONDS ?= 600
SOAK_SESSIONS ?= 1000
SOAK_SVG ?= docs/soak.svg
# Empty: the bench's default (a fifth of the run, at most 120 s).
SOAK_WARMUP ?=

.PHONY: test-tsan test-tsan-all soak

## test-tsan: the Swift test suites with ThreadSanitizer over our modules (Package.swift,
## ZTP_SANITIZE=thread), built in .build: the dependencies' objects are reused, only our
## modules, tests and executables are compiled again, and the servers and clients the end-to-end
## suites start are instrumented too. Afterwards .build/debug holds instrumented binaries until
## the next `make build`. scripts/test-tsan.sh runs them and collects every process's reports.
test-tsan: setup-test
	ZTP_SANITIZE=thread $(SWIFT) build --build-tests
	SWIFT=$(SWIFT) bash scripts/test-tsan.sh

## test-tsan-all: the same with every dependency instrumented too (`--sanitize=thread`, its own
## .build-tsan: about nine minutes more of build). The processes the end-to-end suites start are
## .build/debug's, not instrumented, hence `build`.
test-tsan-all: build setup-test
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	SWIFT=$(SWIFT) bash scripts/test-tsan.sh --sanitize=thread --scratch-path .build-tsan

## soak: SOAK_SESSIONS sessions churning for SOAK_SECONDS against the ztp-server of SOAK_BUILD
## (release by default; CI's smoke run uses the debug build `make test` made), as a normal user.
SOAK_BUILD ?= release
soak: setup-test
	$(if $(filter release,$(SOAK_BUILD)),$(MAKE) bench-build)
	bash scripts/soak.sh .build/$(SOAK_BUILD) $(SOAK_SECONDS) $(SOAK_SESSIONS) $(SOAK_SVG) .build/soak.json $(SOAK_WARMUP)
