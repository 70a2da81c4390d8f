# test-tsan and soak (issue 11). See docs/RELIABILITY.md.

SOAK_SECONDS ?= 600
SOAK_SESSIONS ?= 1000
SOAK_SVG ?= docs/soak.svg

.PHONY: test-tsan soak

## test-tsan: the Swift test suites built with ThreadSanitizer in .build-tsan, and run. The suites
## that spawn ztp-server or ztp-client run .build/debug's (not instrumented), hence `build`. The
## tests' waiting helpers wait 4 times as long (ZTP_TEST_TIME_SCALE): instrumented code is slow.
test-tsan: build setup-test
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	ZTP_TEST_TIME_SCALE=4 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/Tests/tsan.supp" \
	  $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan < /dev/null

## soak: SOAK_SESSIONS sessions churning for SOAK_SECONDS against the ztp-server of SOAK_BUILD
## (release by default; CI's smoke run uses the debug build `make test` made), as a normal user.
SOAK_BUILD ?= release
soak: setup-test
	$(if $(filter release,$(SOAK_BUILD)),$(MAKE) bench-build)
	bash scripts/soak.sh .build/$(SOAK_BUILD) $(SOAK_SECONDS) $(SOAK_SESSIONS) $(SOAK_SVG) .build/soak.json
