#!/bin/bash
# Security checklist item 1: Mozilla "intermediate" compliance of the transport, checked by sslyze
# (exit 0 = compliant) against ArbiterBenchmarks transport-server with the test PKI.
# Needs sslyze: SSLYZE=/path/to/sslyze, or `python3 -m venv /tmp/sslyze-venv && /tmp/sslyze-venv/bin/pip install sslyze`.
set -euo pipefail
cd "$(dirname "$0")/.."
SSLYZE=${SSLYZE:-/tmp/sslyze-venv/bin/sslyze}
swift build --product ArbiterBenchmarks >&2
BIN=$(swift build --show-bin-path)/ArbiterBenchmarks
WORK=$(mktemp -d /tmp/arbiter-sslyze.XXXXXX)
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
Benchmarks/make-test-pki.sh "$WORK/pki"
PORT=$((20000 + RANDOM % 10000))
"$BIN" transport-server --cert "$WORK/pki/server.crt" --key "$WORK/pki/server.key" --ca "$WORK/pki/ca.crt" \
    --listen "127.0.0.1:$PORT" --threads 1 2>"$WORK/log" &
SERVER=$!
sleep 1
# The lab CA is passed for path validation; the client certificate satisfies `require`.
timeout 300 "$SSLYZE" --cert "$WORK/pki/client.crt" --key "$WORK/pki/client.key" \
    --certinfo_ca_file "$WORK/pki/ca.crt" --mozilla_config intermediate "localhost:$PORT{127.0.0.1}"
