#!/usr/bin/env bash
# Runs every fuzz target for SECONDS, then merges what it found into the corpus kept in the
# repository (Fuzz/Corpus/TARGET: only inputs that add coverage are kept) and prints one line
# per target. Exits non-zero if any target crashed or broke an invariant; the input is kept
# in .build-fuzz/crashes/TARGET/ (see docs/RELIABILITY.md for what to do with it).
# Targets run FUZZ_JOBS at a time (default: one per core); each is one libFuzzer process, but
# for the targets FUZZ_WORKERS names (default "frame-decoder=2"), which get that many processes
# sharing one corpus (libFuzzer reloads what the other found) and run alone.
# Usage: scripts/fuzz.sh SECONDS [TARGET...]   (binaries from `make fuzz-build`)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}; shift || true
bin=${FUZZ_BIN:-.build-fuzz/release}
jobs=${FUZZ_JOBS:-$(nproc)}
workers_spec=${FUZZ_WORKERS-frame-decoder=2}
core_targets="server-connection client-connection frame-decoder token-verifier"
management_targets="request-target json-body policy"
targets=${*:-"$core_targets $management_targets"}
mkdir -p .build-fuzz/work .build-fuzz/crashes .build-fuzz/logs .build-fuzz/results
# No allocation stacks: recording one per malloc was a fifth of the token verifier's time.
# A crash input replayed (see RELIABILITY.md) gives the full report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}

# One target: fuzz, merge, and write its result line to .build-fuzz/results/TARGET.
run_target() {
  local target=$1 program corpus work crashes log status execs rate cov files kib found workers w pid pids=()
  case " $core_targets " in *" $target "*) program=$bin/ztp-fuzz-core ;; *) program=$bin/ztp-fuzz-management ;; esac
  corpus=Fuzz/Corpus/$target
  work=.build-fuzz/work/$target
  crashes=.build-fuzz/crashes/$target
  log=.build-fuzz/logs/$target.log
  mkdir -p "$corpus" "$work" "$crashes"
  # A target with no corpus yet starts from its generated seeds.
  if [ -z "$(ls -A "$corpus")" ]; then "$program" seeds Fuzz/Corpus >/dev/null; fi
  # New inputs go to the scratch folder first (libFuzzer writes to the first folder given).
  workers=$(workers_for "$target")
  rm -f "$log".*
  for ((w = 1; w <= workers; w++)); do
    "$program" "$target" "$work" "$corpus" -dict="Fuzz/Dictionaries/$target.dict" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=4096 -max_len=70000 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log.$w" 2>&1 &
    pids+=($!)
  done
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  # Workers' figures add up; coverage is the best any reached (they share the corpus).
  execs=$(cat "$log".* | awk '/stat::number_of_executed_units/ {n += $2} END {print n}')
  rate=$(cat "$log".* | awk '/stat::average_exec_per_sec/ {n += $2} END {print n}')
  cov=$(for w in "$log".*; do grep -oE 'cov: [0-9]+' "$w" | tail -1 | awk '{print $2}'; done | sort -n | tail -1)
  cat "$log".* >"$log" && rm -f "$log".*
  # Keep only what adds coverage, then count the repository's corpus.
  "$program" "$target" -merge=1 "$corpus" "$work" >>"$log" 2>&1
  files=$(find "$corpus" -type f | wc -l)
  kib=$(( $(du -sb "$corpus" | cut -f1) / 1024 ))
  found=$(find "$crashes" -type f | wc -l)
  printf '%-18s %8s %12s %9s %7s %9s %8s %s %s\n' "$target" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "$files" "$kib" "$found" "$status" >".build-fuzz/results/$target"
}

# How many processes a target gets (FUZZ_WORKERS: "target=n ...").
workers_for() {
  local entry
  for entry in $workers_spec; do
    if [ "${entry%%=*}" = "$1" ]; then echo "${entry#*=}"; return; fi
  done
  echo 1
}

running=0
for target in $targets; do
  rm -f ".build-fuzz/results/$target"
  if [ "$(workers_for "$target")" -gt 1 ]; then
    # Several workers take the machine: alone, after what runs now.
    wait; running=0
    run_target "$target"
    continue
  fi
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

summary=.build-fuzz/fuzz-summary.txt
printf '%-18s %8s %12s %9s %7s %9s %8s %s\n' target seconds execs execs/s cov corpus KiB crashes | tee "$summary"
failed=0
for target in $targets; do
  result=.build-fuzz/results/$target
  if [ ! -f "$result" ]; then echo "$target: no result" | tee -a "$summary"; failed=1; continue; fi
  read -r name secs execs rate cov files kib found status <"$result"
  printf '%-18s %8s %12s %9s %7s %9s %8s %s\n' "$name" "$secs" "$execs" "$rate" "$cov" "$files" "$kib" "$found" | tee -a "$summary"
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    failed=1
    grep -E 'invariant failed|ERROR: |SUMMARY' ".build-fuzz/logs/$target.log" | head -5
  fi
done
exit $failed
