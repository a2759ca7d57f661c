#!/usr/bin/env bash
# Coverage-guided fuzzing of Arbiter's five targets with libFuzzer (`make fuzz`, `make fuzz-ci`).
#
#   Tests/fuzz/run.sh [--no-build] SECONDS [TARGET...]      (targets: sar http1 http2 policy kubectl)
#
# Builds the libFuzzer binary once (.build-fuzz; see the header of Sources/ArbiterFuzz/ArbiterFuzz.swift),
# then runs each target for SECONDS with its committed seeds (Tests/Fixtures/fuzz/TARGET, read only)
# and dictionary (Tests/fuzz/TARGET.dict). The working corpus is .fuzz/TARGET/corpus (kept between
# runs unless FUZZ_FRESH=1); crash, leak, timeout and OOM inputs land in .fuzz/TARGET/artifacts/.
#
# Fails when a target finds anything (crash, leak, timeout, OOM; libFuzzer's exit status or an
# artifact file), and when a run cannot have fuzzed for real: fewer than FUZZ_MIN_COUNTERS coverage
# counters loaded (the Swift modules are not instrumented), fewer executions than
# FUZZ_MIN_EXEC_PER_SEC × SECONDS, or, for a corpus that started from the seeds alone, no new
# coverage (final `cov:` not above the seeds' `cov:`, or no unit added).
#
# Environment: FUZZ_CONFIG (debug, the default: quicker to build, keeps `assert`; release: 2-3x the
# executions per second), FUZZ_RUNS (also stop after this many executions), FUZZ_FRESH=1,
# FUZZ_MIN_EXEC_PER_SEC (default 5: debug `policy` made 24/s on a loaded 2-core machine),
# FUZZ_MIN_COUNTERS (default 20000), FUZZ_WORK (default .fuzz), SWIFT.
# Each run is bounded: libFuzzer's -max_total_time plus an outer `timeout` of SECONDS + 300.
# Per-target results are appended to $FUZZ_WORK/results.tsv and printed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
SECONDS_PER=${1:?usage: Tests/fuzz/run.sh [--no-build] SECONDS [TARGET...]}
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(sar http1 http2 policy kubectl)
SWIFT=${SWIFT:-swift}
WORK=${FUZZ_WORK:-.fuzz}
MIN_RATE=${FUZZ_MIN_EXEC_PER_SEC:-5}
MIN_COUNTERS=${FUZZ_MIN_COUNTERS:-20000}
CONFIG=${FUZZ_CONFIG:-debug}
BIN=.build-fuzz/$CONFIG/ArbiterFuzz

if [ "$build" = 1 ]; then
    echo "== building ArbiterFuzz ($CONFIG) with libFuzzer + ASan (.build-fuzz)" >&2
    start=$(date +%s)
    "$SWIFT" build -c "$CONFIG" --product ArbiterFuzz --scratch-path .build-fuzz \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 |
        { grep -v "Cannot export local symbol '__asan_report" >&2 || true; }
    echo "== built in $(($(date +%s) - start)) s" >&2
fi
[ -x "$BIN" ] || { echo "fuzz: $BIN missing (build first)" >&2; exit 1; }

# Per-target input size caps: a webhook body, a request head plus body, a few HTTP/2 frames, a
# policy file, four short arguments.
max_len() {
    case $1 in
        sar) echo 8192 ;; http1) echo 8192 ;; http2) echo 16384 ;; policy) echo 4096 ;; kubectl) echo 512 ;;
        *) echo "fuzz: unknown target $1" >&2; return 1 ;;
    esac
}

mkdir -p "$WORK"
failed=()
summary=()
for t in "${TARGETS[@]}"; do
    len=$(max_len "$t")
    seeds=Tests/Fixtures/fuzz/$t
    dict=Tests/fuzz/$t.dict
    dir=$WORK/$t
    [ -d "$seeds" ] && [ -f "$dict" ] || { echo "fuzz: $seeds or $dict missing" >&2; exit 1; }
    [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    rm -f "$dir"/artifacts/*
    fresh=0
    [ -z "$(ls -A "$dir/corpus")" ] && fresh=1
    runs=()
    [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
    log=$dir/last.log
    echo "== $t: ${SECONDS_PER} s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}, log $log" >&2
    status=0
    SWIFT_BACKTRACE=enable=no ARBITER_FUZZ_TARGET=$t timeout --kill-after=30 $((SECONDS_PER + 300)) \
        nice -n 10 "$BIN" -max_total_time="$SECONDS_PER" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$len" -dict="$dict" -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
        "$dir/corpus" "$seeds" >"$log" 2>&1 || status=$?

    counters=$(sed -n 's/^INFO: Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' "$log" | head -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    added=$(sed -n 's/^stat::new_units_added: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    inited=$(grep -m1 -E '^#[0-9]+[[:space:]]+INITED' "$log" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) .*/\1 \2/p' || true)
    final=$({ grep -E '^#[0-9]+[[:space:]]' "$log" || true; } | tail -1 | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\)\/.*/\1 \2 \3/p')
    read -r cov0 ft0 <<<"${inited:-0 0}"
    read -r cov ft corp <<<"${final:-0 0 0}"
    problems=()
    [ "$status" = 0 ] || problems+=("libFuzzer exited with $status")
    [ -z "$(ls -A "$dir/artifacts")" ] || problems+=("finding(s): $(ls "$dir/artifacts" | tr '\n' ' ')")
    [ "${counters:-0}" -ge "$MIN_COUNTERS" ] || problems+=("only ${counters:-0} coverage counters loaded (< $MIN_COUNTERS)")
    [ -n "$execs" ] || problems+=("no final statistics (the driver did not run)")
    floor=$((MIN_RATE * SECONDS_PER))
    [ -n "${FUZZ_RUNS:-}" ] && [ "$FUZZ_RUNS" -lt "$floor" ] && floor=$FUZZ_RUNS
    [ "${execs:-0}" -ge "$floor" ] || problems+=("${execs:-0} executions (< $floor)")
    if [ "$fresh" = 1 ]; then
        [ "$cov" -gt "$cov0" ] || problems+=("no coverage beyond the seeds (cov $cov0 -> $cov)")
        [ "${added:-0}" -gt 0 ] || problems+=("no new unit")
    fi
    result=ok
    if [ ${#problems[@]} -gt 0 ]; then
        result="FAIL: $(IFS=';'; echo "${problems[*]}")"
        failed+=("$t")
        grep -E '^(==[0-9]+==|ERROR|SUMMARY|Fatal error|.*Fatal error)' "$log" | head -20 >&2 || true
    fi
    line="$t	execs=${execs:-0}	exec/s=${rate:-0}	counters=${counters:-0}	cov=$cov0->$cov	ft=$ft0->$ft	corpus=$corp	new_units=${added:-0}	peak_rss_mb=${rss:-0}	$result"
    summary+=("$line")
    printf '%s\t%s\t%ss\n' "$(date -u +%FT%TZ)" "$line" "$SECONDS_PER" >>"$WORK/results.tsv"
    echo "$line" >&2
done

echo "== fuzz summary" >&2
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in $WORK/TARGET/artifacts/; replay one with .build-fuzz/debug/ArbiterFuzz FILE and ARBITER_FUZZ_TARGET=TARGET)" >&2
    exit 1
fi
