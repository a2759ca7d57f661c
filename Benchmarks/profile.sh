#!/bin/sh
# Where a decision's instructions, mispredicted branches and last-level cache misses go, per
# function (and, with FUNCTION, per source line of it), under callgrind's model of this
# machine's caches (48 KiB L1d, 1 MiB L2 as the last level; prefetches are not simulated):
#
#   Benchmarks/profile.sh WORKLOAD [FUNCTION]
#
# WORKLOAD is an engine-count spec (Benchmarks/data/large, Benchmarks/data/large:plain,
# Benchmarks/data/large:first=500, ...);
# FUNCTION a substring of a mangled symbol (startSubjectLoads, collectCandidates, ...).
# Builds ArbiterBenchmarks with debug line tables into .build-profile, runs `engine-count
# WORKLOAD 2 warm` (20,000 decisions; 2N with :first=N) under callgrind on a stripped copy
# (valgrind 3.19 cannot read Swift's DWARF), and maps the addresses back with
# Benchmarks/callgrind_functions.py.
# Needs valgrind; takes 3 to 6 minutes on the large workload.
set -eu
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
    echo "usage: Benchmarks/profile.sh WORKLOAD [FUNCTION]   (WORKLOAD: Benchmarks/data/large, Benchmarks/data/large:plain, Benchmarks/data/large:first=500, ...)" >&2
    exit 2
fi
workload=$1
function=${2:-}
# Before the build: a missing workload is found in a second, not after minutes.
directory=${workload%%:*}   # options (:plain, :prefetch, :first=N) follow the directory
if [ ! -f "$directory/rbac.yaml" ]; then
    echo "no workload at $directory (rbac.yaml missing): python3 ../shared/bench/rbacgen.py small|medium|large --out $directory" >&2
    exit 1
fi
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install -y valgrind)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swift build -c release --product ArbiterBenchmarks --scratch-path .build-profile -Xswiftc -g >"$out/build.log" 2>&1 ||
    { cat "$out/build.log" >&2; exit 1; }
binary=.build-profile/release/ArbiterBenchmarks
cp "$binary" "$out/ArbiterBenchmarks-stripped"
strip -g "$out/ArbiterBenchmarks-stripped"
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" --dump-instr=yes \
    --cache-sim=yes --branch-sim=yes --D1=49152,12,64 --LL=1048576,8,64 \
    --collect-atstart=no --toggle-collect='*EngineBenchmark*decide*' \
    "$out/ArbiterBenchmarks-stripped" engine-count "$workload" 2 warm >"$out/valgrind.log" 2>&1 ||
    { cat "$out/valgrind.log" >&2; exit 1; }
# Per decision: divided by what engine-count decided (two passes over the workload's requests,
# or over its first N with :first=N), never by a fixed count.
grep '^decisions' "$out/valgrind.log" || true
decisions=$(sed -n 's/^decisions: \([0-9][0-9]*\),.*/\1/p' "$out/valgrind.log")
if [ -z "$decisions" ] || [ "$decisions" -eq 0 ]; then
    echo "engine-count reported no decisions:" >&2
    cat "$out/valgrind.log" >&2
    exit 1
fi
python3 Benchmarks/callgrind_functions.py functions "$out/callgrind.out" "$decisions"
if [ -n "$function" ]; then
    echo
    python3 Benchmarks/callgrind_functions.py lines "$out/callgrind.out" "$decisions" "$binary" "$function"
fi
