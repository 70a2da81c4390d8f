# fuzz: libFuzzer + ASan over every parser and both sides of the connection (issue 11).
# The fuzz executables exist only when ZTP_FUZZ is set (see Package.swift), in their own
# scratch path, so `make build` and `make test` never compile them. See docs/RELIABILITY.md.

FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=
# release for the long runs; CI's 60-s smoke builds debug, which compiles in a fraction of the
# time (the instrumented release build of the generator's and SwiftNIO's code takes longest).
FUZZ_CONFIG ?= release
# Its own scratch path by default, so the test build stays as it is; CI, which is done with the
# test build by then, passes .build and so compiles only our modules again (the dependencies
# are not instrumented: see Package.swift).
FUZZ_SCRATCH ?= .build-fuzz
FUZZ_BUILD = ZTP_FUZZ=instrument $(SWIFT) build -c $(FUZZ_CONFIG) --scratch-path $(FUZZ_SCRATCH)

.PHONY: fuzz fuzz-build fuzz-seeds

## fuzz-build: the two fuzz executables, instrumented (one --product per invocation).
fuzz-build: setup
	$(FUZZ_BUILD) --product ztp-fuzz-core
	$(FUZZ_BUILD) --product ztp-fuzz-management

## fuzz: each target for FUZZ_SECONDS (default 600), corpus merged into Fuzz/Corpus.
fuzz: fuzz-build
	FUZZ_BIN=$(FUZZ_SCRATCH)/$(FUZZ_CONFIG) bash scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## fuzz-seeds: regenerate the seed inputs from in-memory sessions and the test vectors' shapes.
fuzz-seeds: fuzz-build
	$(FUZZ_SCRATCH)/$(FUZZ_CONFIG)/ztp-fuzz-core seeds Fuzz/Corpus
	$(FUZZ_SCRATCH)/$(FUZZ_CONFIG)/ztp-fuzz-management seeds Fuzz/Corpus
