#!/usr/bin/env python3
"""Where a decision's instructions, branch mispredictions and cache misses go, per function or
per source line, from a callgrind run of `ArbiterBenchmarks engine-count`.

valgrind 3.19 cannot read the DWARF 5 that Swift emits ("Possibly corrupted debuginfo file"),
so callgrind runs on a copy stripped of its debug information (same addresses) and this script
maps each instruction address back to a function (from callgrind's own symbol names) or to a
source line (from `llvm-objdump --line-numbers` on the unstripped binary; with inlining, the
innermost line). Driven by `Benchmarks/profile.sh`; usable on its own:

    callgrind_functions.py functions OUT DECISIONS
    callgrind_functions.py lines OUT DECISIONS BINARY SYMBOL_SUBSTRING [TOP]

OUT is a `--dump-instr=yes` callgrind file collected over DECISIONS decisions (what
engine-count reports: PASSES times the workload's requests, or its first N). Figures are per
decision.
"""

import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Instructions, mispredicted conditional branches, last-level data read misses.
EVENTS_SHOWN = ["Ir", "Bcm", "DLmr"]


def self_costs(path):
    """Per (object, address): the self cost of each event, and the function it belongs to.

    Callgrind's format compresses names (`fn=(12) name`, then `fn=(12)`) and positions
    (`+4`, `-8`, `*`); the line after a `calls=` line is an inclusive call cost, skipped.
    """
    positions, events = 1, []
    names = {"ob": {}, "fn": {}}
    current = {"ob": "?", "fn": "?"}
    costs = {}
    owner = {}
    last, skip_next = 0, False

    def name(kind, text):
        text = text.strip()
        match = re.match(r"\((\d+)\)\s*(.*)", text)
        if not match:
            return text
        key, rest = match.groups()
        if rest:
            names[kind][key] = rest
        return names[kind].get(key, "?")

    with open(path) as lines:
        for line in lines:
            line = line.rstrip("\n")
            if line.startswith("positions:"):
                positions = len(line.split()) - 1
            elif line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith(("ob=", "fn=")):
                current[line[:2]] = name(line[:2], line[3:])
            elif line.startswith(("cob=", "cfn=")):
                name(line[1:3], line[4:])
            elif line.startswith("calls="):
                skip_next = True
            elif line and line[0] in "0123456789+-*":
                fields = line.split()
                first = fields[0]
                if first == "*":
                    address = last
                elif first[0] == "+":
                    address = last + int(first[1:], 0)
                elif first[0] == "-":
                    address = last - int(first[1:], 0)
                else:
                    address = int(first, 0)
                last = address
                if skip_next:
                    skip_next = False
                    continue
                key = (current["ob"], address)
                values = [int(v) for v in fields[positions:]]
                values += [0] * (len(events) - len(values))
                old = costs.get(key)
                costs[key] = values if old is None else [a + b for a, b in zip(old, values)]
                owner[key] = current["fn"]
    return events, costs, owner


def columns(events):
    return [events.index(e) for e in EVENTS_SHOWN if e in events]


def print_table(rows, decisions, picked, events, top):
    header = "".join(f"{events[i]:>10}" for i in picked)
    print(f"{header}  (per decision)")
    for label, values in sorted(rows.items(), key=lambda kv: -kv[1][picked[0]])[:top]:
        print("".join(f"{values[i] / decisions:10.2f}" for i in picked) + "  " + label)


def demangled(names):
    """Swift symbols as `swift demangle --simplified` writes them (unchanged when it is absent)."""
    names = sorted(set(names))
    try:
        result = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                                capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {n: n for n in names}
    return dict(zip(names, result)) if len(result) == len(names) else {n: n for n in names}


def functions(out, decisions, top=25):
    events, costs, owner = self_costs(out)
    picked = columns(events)
    readable = demangled(owner.values())
    rows = collections.defaultdict(lambda: [0] * len(events))
    for key, values in costs.items():
        label = f"{Path(key[0]).name}: {readable[owner[key]][:150]}"
        rows[label] = [a + b for a, b in zip(rows[label], values)]
    total = [sum(v[i] for v in rows.values()) for i in range(len(events))]
    print("total: " + ", ".join(f"{total[i] / decisions:.2f} {events[i]}" for i in picked))
    print_table(rows, decisions, picked, events, top)


def lines(out, decisions, binary, symbol, top=30):
    events, costs, owner = self_costs(out)
    picked = columns(events)
    # The profiled copy is the binary stripped (Benchmarks/profile.sh names it `*-stripped`).
    by_address = {address: values for (obj, address), values in costs.items() if obj.endswith("-stripped")}
    # Of the functions whose symbol contains `symbol`, the one that cost most.
    spent = collections.Counter()
    for (obj, address), values in costs.items():
        if obj.endswith("-stripped") and symbol in owner[(obj, address)]:
            spent[owner[(obj, address)]] += values[picked[0]]
    if not spent:
        sys.exit(f"no function containing {symbol!r} ran in the profile")
    chosen = spent.most_common(1)[0][0]
    # The Swift toolchain's llvm-objdump reads its own DWARF (Debian's llvm-14 tools do not).
    swift = shutil.which("swift")
    objdump = Path(swift).resolve().parent / "llvm-objdump" if swift else None
    if objdump is None or not objdump.exists():
        objdump = shutil.which("llvm-objdump") or sys.exit("llvm-objdump not found (it comes with the Swift toolchain)")
    listing = subprocess.run(
        [str(objdump), "-d", "-l", "--no-show-raw-insn", f"--disassemble-symbols={chosen}", binary],
        capture_output=True, text=True, check=True).stdout
    rows = collections.defaultdict(lambda: [0] * len(events))
    source = "?"
    for line in listing.splitlines():
        text = line.strip()
        if text.startswith(";"):
            source = re.sub(r".*/Sources/", "", text[1:].strip())
            continue
        match = re.match(r"([0-9a-f]+):", text)
        if match and int(match.group(1), 16) in by_address:
            rows[source] = [a + b for a, b in zip(rows[source], by_address[int(match.group(1), 16)])]
    print(f"{demangled([chosen])[chosen]}: source lines (inlined code under its innermost line)")
    print_table(rows, decisions, picked, events, top)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "functions":
        functions(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 6 and sys.argv[1] == "lines":
        lines(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]) if len(sys.argv) > 6 else 30)
    else:
        sys.exit(__doc__)
