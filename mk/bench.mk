# bench: release build, then every ztp-bench scenario with its same-run baseline (issue 5).
# See docs/BENCHMARKS.md. Needs openssl and python3 (setup-test installs them); about 10 minutes
# on 2 cores, plus the first build of Benchmarks/. BENCH_ARGS adds flags, e.g. `make bench BENCH_ARGS="--scenario ping --quick"`.

BENCH_JSON ?= docs/bench-results.json
BENCH_ARGS ?=

.PHONY: bench bench-build bench-baselines bench-allocs

## bench-build: release binaries of the bench and the server (one --product per invocation).
bench-build: setup-test
	$(SWIFT) build -c release --product ztp-bench
	$(SWIFT) build -c release --product ztp-server

## bench-baselines: `ztp-baselines` from the Benchmarks/ package (TLS 1.3 over swift-nio-ssl):
## its own package so that benchmark-only code stays out of the main build and `make test`; about six
## minutes the first time (it builds its own copy of BoringSSL).
bench-baselines: setup-test
	cd Benchmarks && $(SWIFT) build -c release --product ztp-baselines

## bench-allocs: allocations per DATA frame on the core's path, counted by package-benchmark's
## malloc interposer (Benchmarks/Benchmarks/FramePath). `--scale` prints each run's totals, for
## 1,000 frames, so that anything above zero shows instead of rounding away. About 3 minutes the
## first time (a release build of ZTPCore and package-benchmark), 1 minute after.
bench-allocs: setup-test
	cd Benchmarks && $(SWIFT) package benchmark --target FramePath --no-progress --scale

## bench: run the benchmarks, print the table, write $(BENCH_JSON); then the allocation counts.
bench: bench-build bench-baselines
	.build/release/ztp-bench run --json $(BENCH_JSON) $(BENCH_ARGS)
	$(MAKE) bench-allocs
