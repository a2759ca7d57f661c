#!/bin/bash
# Checks systemd socket activation end to end: systemd-socket-activate binds the port and passes it
# as fd 3 (LISTEN_FDS/LISTEN_PID); the server (ArbiterBenchmarks transport-server, 2 loops sharing the
# socket with EPOLLEXCLUSIVE) must answer curl over mTLS on that port and not bind its --listen one.
# Usage: Tests/transport-socket-activation.sh   (exit 0 = pass; bounded to ~20 s)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product ArbiterBenchmarks >&2
BIN=$(swift build --show-bin-path)/ArbiterBenchmarks
WORK=$(mktemp -d /tmp/arbiter-sa.XXXXXX)
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
Benchmarks/make-test-pki.sh "$WORK/pki"
PORT=$((20000 + RANDOM % 10000))
UNUSED=$((PORT + 1))
systemd-socket-activate -l "127.0.0.1:$PORT" "$BIN" transport-server --cert "$WORK/pki/server.crt" \
    --key "$WORK/pki/server.key" --ca "$WORK/pki/ca.crt" --listen "127.0.0.1:$UNUSED" --threads 2 2>"$WORK/log" &
SERVER=$!  # systemd-socket-activate execs the server, so this is the server's PID
sleep 1
fail=0
for i in 1 2 3 4; do
    code=$(curl -sS --http1.1 --max-time 5 --cacert "$WORK/pki/ca.crt" --cert "$WORK/pki/client.crt" \
        --key "$WORK/pki/client.key" -o /dev/null -w '%{http_code}' "https://localhost:$PORT/" || true)
    [ "$code" = 200 ] || { echo "request $i: got '$code'"; fail=1; }
done
if curl -s --max-time 2 "https://localhost:$UNUSED/" -k -o /dev/null; then echo "bound --listen despite activation"; fail=1; fi
kill -INT "$SERVER" || true
for _ in $(seq 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
cat "$WORK/log" >&2
[ $fail = 0 ] && echo "socket activation: ok"
exit $fail
