#!/bin/bash
# Latency of the webhook end to end at a fixed rate: `arbiter serve` with the medium generated policy,
# one HTTP/2 connection with 16 streams (kube-apiserver's shape, h2load -c1 -m16), first at full
# speed to find the maximum rate, then at half of it with every request's latency logged
# (h2load --log-file); prints p50/p90/p99/p99.9/max.
#
#   Benchmarks/latency.sh [SECONDS]      (default 10)
#   SERVE_ARGS="--busy-poll 0s"  extra arguments of `arbiter serve`
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${1:-10}
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
PORT=${PORT_LATENCY:-18446}
WORK=$(mktemp -d /tmp/arbiter-latency.XXXXXX)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

swift build -c release --product arbiter >&2
ARBITER=$(swift build -c release --show-bin-path)/arbiter
MEDIUM=$ROOT/Benchmarks/data/medium
[ -f "$MEDIUM/requests.jsonl" ] || python3 "$SHARED/rbacgen.py" medium --out "$MEDIUM" >&2
head -1 "$MEDIUM/requests.jsonl" > "$WORK/review.json"
"$ROOT/Benchmarks/make-test-pki.sh" "$WORK/pki" >&2
gcc -O2 -shared -fPIC -o "$WORK/shim.so" "$SHARED/clientcert_shim.c" -ldl -lssl

"$ARBITER" serve ${SERVE_ARGS:-} --listen "127.0.0.1:$PORT" --tls-cert "$WORK/pki/server.crt" --tls-key "$WORK/pki/server.key" \
    --client-ca "$WORK/pki/ca.crt" --caller alice --threads 1 --log-level warning --no-watch -p "$MEDIUM/rbac.yaml" &
SERVER=$!
for _ in $(seq 1 100); do
    curl -sk -o /dev/null --cert "$WORK/pki/client.crt" --key "$WORK/pki/client.key" "https://127.0.0.1:$PORT/healthz" && break
    sleep 0.1
done
H2=(env SHIM_CERT="$WORK/pki/client.crt" SHIM_KEY="$WORK/pki/client.key" LD_PRELOAD="$WORK/shim.so"
    h2load -t1 -c1 -m16 -d "$WORK/review.json" -H content-type:application/json)
max=$("${H2[@]}" -D "$DURATION" "https://127.0.0.1:$PORT/authorize" | awk '/^finished in/ {print int($4)}')
half=$((max / 2))
echo "maximum rate: $max req/s; measuring at $half req/s for ${DURATION}s"
"${H2[@]}" -D "$DURATION" --rps="$half" --log-file="$WORK/latency.log" "https://127.0.0.1:$PORT/authorize" | grep -E "^requests:"
python3 - "$WORK/latency.log" <<'PY'
import sys
rows = [line.split('\t') for line in open(sys.argv[1]) if line.strip()]
d = sorted(int(r[2]) for r in rows)
n = len(d)
ok = sum(1 for r in rows if r[1] == '200')
print(f"requests {n}, status 200: {ok}; latency p50 {d[n//2]} us, p90 {d[n*9//10]} us, "
      f"p99 {d[n*99//100]} us, p99.9 {d[n*999//1000]} us, max {d[-1]} us")
PY
