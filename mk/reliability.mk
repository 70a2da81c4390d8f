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

## soak: SOAK_SESSIONS sessions churning for SOAK_SECONDS against the release ztp-server.
soak: bench-build
	.build/release/ztp-bench soak --seconds $(SOAK_SECONDS) --sessions $(SOAK_SESSIONS) \
	  --svg $(SOAK_SVG) --json .build/soak.json
