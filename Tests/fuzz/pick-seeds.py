#!/usr/bin/env python3
"""Picks a handful of seeds from a fuzzing corpus: greedy set cover over the coverage edges.

    Tests/fuzz/pick-seeds.py TARGET CORPUS_DIR [COUNT] [MAX_BYTES]

Runs the libFuzzer binary (.build-fuzz/release, else debug) in merge mode over the committed seeds
and CORPUS_DIR; libFuzzer's merge control file credits each input with the coverage edges it reached
first, in merge order (smaller inputs first). Then repeatedly takes the input credited with the most
edges not yet covered by the committed seeds and the inputs already taken (ties: the smaller
input), until COUNT inputs (default 20), MAX_BYTES in all (default 30000) or no input adds
anything, and copies them into Tests/Fixtures/fuzz/TARGET/ as corpus-<sha1 prefix>. Prints the
`cov:` libFuzzer reports for the seed directory before and after (`-runs=0`), and for the corpus.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    target, corpus = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    max_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else 30000
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    seeds = os.path.join(root, "Tests/Fixtures/fuzz", target)
    binary = next(
        (p for p in (os.path.join(root, ".build-fuzz", c, "ArbiterFuzz") for c in ("release", "debug")) if os.path.exists(p)),
        None,
    )
    if binary is None:
        print("pick-seeds: build the fuzz binary first (Tests/fuzz/run.sh)", file=sys.stderr)
        return 1
    env = dict(os.environ, ARBITER_FUZZ_TARGET=target, SWIFT_BACKTRACE="enable=no")

    def cov(directory: str) -> str:
        with tempfile.TemporaryDirectory() as scratch:  # a crashing input's artifact goes there
            out = subprocess.run(
                [binary, "-runs=0", "-artifact_prefix=" + scratch + "/", directory],
                env=env, capture_output=True, text=True, timeout=3600,
            )
        line = next((l for l in out.stderr.splitlines() if "INITED" in l), "")
        return line.split("cov: ")[1].split()[0] if "cov: " in line else "?"

    cov_before, cov_corpus = cov(seeds), cov(corpus)
    with tempfile.TemporaryDirectory() as work:
        control = os.path.join(work, "control")
        os.mkdir(os.path.join(work, "out"))
        subprocess.run(
            [binary, "-merge=1", "-merge_control_file=" + control, os.path.join(work, "out"), seeds, corpus],
            env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600,
        )
        with open(control) as f:
            lines = f.read().splitlines()
    total = int(lines[0])
    paths = lines[2 : 2 + total]
    edges: dict[int, set[str]] = {}
    for line in lines[2 + total :]:
        parts = line.split()
        if parts and parts[0] == "COV":
            edges[int(parts[1])] = set(parts[2:])
    covered: set[str] = set()
    candidates = {}
    for index, path in enumerate(paths):
        if os.path.dirname(os.path.abspath(path)) == os.path.abspath(seeds):
            covered |= edges.get(index, set())
        elif index in edges:
            candidates[index] = os.path.getsize(path)
    picked, used = [], 0
    while len(picked) < count and candidates:
        best = max(candidates, key=lambda i: (len(edges[i] - covered), -candidates[i]))
        if not edges[best] - covered:
            break
        size = candidates.pop(best)
        if used + size > max_bytes:
            continue
        picked.append(best)
        used += size
        covered |= edges[best]
    for index in picked:
        data = open(paths[index], "rb").read()
        shutil.copy(paths[index], os.path.join(seeds, "corpus-" + hashlib.sha1(data).hexdigest()[:12]))
    print(f"{target}: {len(picked)} inputs, {used} bytes; seeds cov {cov_before} -> {cov(seeds)} (corpus: {cov_corpus})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
