#!/bin/bash
# Transport benchmark: Arbiter's HTTPS server vs nginx, same machine, same certificates, same bytes.
#
#   Benchmarks/transport.sh [DURATION_SECONDS]        (default 10 s per run)
#   THREADS=1 (server loop threads and nginx workers), REPEAT=3, PORT_ARBITER=18443, PORT_NGINX=18444
#   BASELINE=PATH  another ArbiterBenchmarks binary (an earlier build) run as target "baseline" on
#                  PORT_BASELINE=18446, alternating with the others: before/after from the same run
#   WORKLOADS="h2-c1 h2-c16"  a subset of h1-keepalive h1-new-conn h2-c1 h2-c16 (default: all four)
#   ARBITER_ARGS="--responses-per-write 4"  extra arguments of the transport-server (and baseline)
#   BASELINE_ARGS="..."  the baseline's instead (default: ARBITER_ARGS); BASELINE may be this build
#   WEBHOOK_CONFIG=FILE  an `arbiter serve --config` file for the webhook (flags still set the rest)
#   OUT=FILE       where the report goes (default docs/benchmarks-transport.md)
#
# Both servers answer every request with the same fixed JSON over mutual TLS (ECDSA P-256, TLS 1.3).
# wrk and h2load present the client certificate through ../shared/bench/clientcert_shim.c. Rows:
#   h1-keepalive   wrk -t2 -c16, POST sar-request.json, keep-alive
#   h1-new-conn    wrk -t2 -c16 with WRK_CONN_CLOSE=1: a full TCP + mTLS handshake per request
#   h2 -c1 -m16 / -c16 -m10   h2load, only when the server offers h2 (ALPN) — skipped otherwise
# Targets: "arbiter" (the transport, fixed body), "nginx" (fixed body), "webhook" (`arbiter serve`, medium
# policy, the workload's real reviews through Benchmarks/sar-mix.lua) and "nginx-mix" (nginx answering
# its fixed body to the same sar-mix.lua client and review mix as the webhook rows), so that each
# server ratio compares two servers driven by the same client script.
# For each: req/s, p50/p99 latency, server CPU per request (utime+stime of the server process
# from /proc/PID/stat, before/after) and client CPU per request (`perf stat -e task-clock` of wrk or
# h2load, when perf works). Results go to stdout and docs/benchmarks-transport.md.
#
# Both servers get the same TLS policy, so a handshake costs the same work on each: TLS 1.2+1.3,
# server cipher preference with the same TLS 1.3 suite order, groups X25519:P-256:P-384, client
# certificate required, no session cache and no session tickets (nginx needs `ssl_conf_command
# NumTickets 0`, or OpenSSL still sends two TLS 1.3 tickets), and the server certificate without the
# root (nginx sets SSL_MODE_NO_AUTO_CHAIN; Arbiter builds its chain once, without the root).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${1:-10}
THREADS=${THREADS:-1}
PORT_A=${PORT_ARBITER:-18443}
PORT_N=${PORT_NGINX:-18444}
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
WORK=$(mktemp -d /tmp/arbiter-bench.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== building (release)" >&2
swift build -c release --product ArbiterBenchmarks >&2
swift build -c release --product arbiter >&2
BIN=$(swift build -c release --show-bin-path)/ArbiterBenchmarks
ARBITER=$(swift build -c release --show-bin-path)/arbiter
PORT_W=${PORT_WEBHOOK:-18445}
MEDIUM=$ROOT/Benchmarks/data/medium
if [ ! -f "$MEDIUM/requests.jsonl" ]; then python3 "$SHARED/rbacgen.py" medium --out "$MEDIUM" >&2; fi
head -1 "$MEDIUM/requests.jsonl" > "$WORK/medium-review.json"

echo "== certificates, shim, nginx config in $WORK" >&2
"$ROOT/Benchmarks/make-test-pki.sh" "$WORK/pki" >&2
gcc -O2 -shared -fPIC -o "$WORK/clientcert_shim.so" "$SHARED/clientcert_shim.c" -ldl -lssl
SHIM=(env SHIM_CERT="$WORK/pki/client.crt" SHIM_KEY="$WORK/pki/client.key" LD_PRELOAD="$WORK/clientcert_shim.so")
BODY='{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","status":{"allowed":true,"reason":"benchmark"}}'
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes $THREADS;
master_process on;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$PORT_N ssl http2;
        ssl_certificate $WORK/pki/server.crt;
        ssl_certificate_key $WORK/pki/server.key;
        ssl_client_certificate $WORK/pki/ca.crt;
        ssl_verify_client on;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
        ssl_session_cache off;
        ssl_conf_command NumTickets 0;
        ssl_prefer_server_ciphers on;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
        ssl_ecdh_curve X25519:prime256v1:secp384r1;
        location / {
            default_type application/json;
            return 200 '$BODY';
        }
    }
}
CONF

echo "== starting servers" >&2
"$BIN" transport-server --cert "$WORK/pki/server.crt" --key "$WORK/pki/server.key" --ca "$WORK/pki/ca.crt" \
    --listen "127.0.0.1:$PORT_A" --threads "$THREADS" ${ARBITER_ARGS:-} 2>"$WORK/arbiter.log" &
PIDS+=($!)
ARBITER_PID=$!
PORT_B=${PORT_BASELINE:-18446}
if [ -n "${BASELINE:-}" ]; then
    "$BASELINE" transport-server --cert "$WORK/pki/server.crt" --key "$WORK/pki/server.key" --ca "$WORK/pki/ca.crt" \
        --listen "127.0.0.1:$PORT_B" --threads "$THREADS" ${BASELINE_ARGS:-${ARBITER_ARGS:-}} 2>"$WORK/baseline.log" &
    PIDS+=($!)
    BASELINE_PID=$!
fi
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/logs/error.log" &
PIDS+=($!)
# The webhook end to end: the medium generated policy, real evaluation of every review.
"$ARBITER" serve ${WEBHOOK_CONFIG:+--config "$WEBHOOK_CONFIG"} --listen "127.0.0.1:$PORT_W" --tls-cert "$WORK/pki/server.crt" --tls-key "$WORK/pki/server.key" \
    --client-ca "$WORK/pki/ca.crt" --caller alice --threads "$THREADS" --log-level warning --no-watch \
    -p "$MEDIUM/rbac.yaml" 2>"$WORK/webhook.log" &
PIDS+=($!)
WEBHOOK_PID=$!
for _ in $(seq 1 100); do curl -sk -o /dev/null "https://127.0.0.1:$PORT_W/healthz" --cert "$WORK/pki/client.crt" --key "$WORK/pki/client.key" && break; sleep 0.1; done
sleep 1
NGINX_PIDS="$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | tr '\n' ' ') $(cat "$WORK/nginx/nginx.pid")"

# Sum of utime+stime (clock ticks) over the given PIDs.
cpu_ticks() { local total=0; for p in $1; do set -- $(cut -d' ' -f14,15 "/proc/$p/stat"); total=$((total + $1 + $2)); done; echo $total; }
TICK=$(getconf CLK_TCK)
# The client's CPU (task-clock, all its threads) when perf can count it.
PERF_STAT=()
if perf stat -x, -e task-clock -o /dev/null true 2>/dev/null; then PERF_STAT=(perf stat -x, -e task-clock -o "$WORK/client.perf" --); fi
client_cpu_us() {  # requests -> µs of client CPU per request, or n/a
    if [ ${#PERF_STAT[@]} -eq 0 ] || [ ! -s "$WORK/client.perf" ]; then echo n/a; return; fi
    awk -F, -v n="$1" '/task-clock/ { if (n > 0) printf "%.1f", $1 * 1000 / n; else print "n/a" }' "$WORK/client.perf"
}
ROWS=()
CPU_LOG="$WORK/cpu.log"  # lines: workload<TAB>server<TAB>cpu_us<TAB>rps
: > "$CPU_LOG"

# run NAME PORT PIDS WRK-ARGS...: runs wrk and appends a result row.
run_wrk() {
    local name=$1 server=$2 port=$3 pids=$4; shift 4
    local before after out
    before=$(cpu_ticks "$pids")
    rm -f "$WORK/client.perf"
    out=$(cd "$SHARED" && "${PERF_STAT[@]}" "$@" -t2 -c16 -d"${DURATION}s" --latency -s "${WRK_SCRIPT:-sar-post.lua}" "https://127.0.0.1:$port" 2>&1)
    after=$(cpu_ticks "$pids")
    local requests rps p50 p99
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    local errors
    errors=$(echo "$out" | grep -E "Non-2xx|Socket errors" | tr '\n' ' ' || true)
    local cpu_us
    cpu_us=$(awk -v t=$((after - before)) -v hz="$TICK" -v n="${requests:-0}" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
    local client_us
    client_us=$(client_cpu_us "${requests:-0}")
    ROWS+=("| $name | $server | ${rps:-n/a} | ${p50:-n/a} | ${p99:-n/a} | $cpu_us | $client_us | ${errors:-} |")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$server" "$cpu_us" "${rps:-0}" "$client_us" "${p99:-n/a}" >> "$CPU_LOG"
    echo "${ROWS[-1]}" >&2
}

run_h2load() {
    local name=$1 server=$2 port=$3 pids=$4 clients=$5 streams=$6
    if ! echo | timeout 5 openssl s_client -connect "127.0.0.1:$port" -alpn h2 -cert "$WORK/pki/client.crt" \
        -key "$WORK/pki/client.key" 2>/dev/null | grep -q "ALPN protocol: h2"; then
        ROWS+=("| $name | $server | skipped: server does not offer h2 | | | | | |")
        return
    fi
    local before after out
    before=$(cpu_ticks "$pids")
    rm -f "$WORK/client.perf"
    out=$("${PERF_STAT[@]}" "${SHIM[@]}" h2load -t1 -c"$clients" -m"$streams" -D "$DURATION" -d "${H2_BODY:-$SHARED/sar-request.json}" \
        -H 'content-type: application/json' "https://127.0.0.1:$port/authorize" 2>&1)
    after=$(cpu_ticks "$pids")
    local requests rps
    requests=$(echo "$out" | awk '/^requests:/ {print $8}')
    rps=$(echo "$out" | awk '/^finished in/ {print $4}')
    local p50 p99
    p50=$(echo "$out" | awk '/^time for request:/ {print $6 " (mean)"}')
    p99="n/a"
    local cpu_us
    cpu_us=$(awk -v t=$((after - before)) -v hz="$TICK" -v n="${requests:-0}" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
    local client_us
    client_us=$(client_cpu_us "${requests:-0}")
    ROWS+=("| $name | $server | ${rps:-n/a} | ${p50:-n/a} | $p99 | $cpu_us | $client_us | |")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$server" "$cpu_us" "${rps:-0}" "$client_us" "n/a" >> "$CPU_LOG"
    echo "${ROWS[-1]}" >&2
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== running (${DURATION}s each, load average before: $LOAD_BEFORE)" >&2
# The machine is shared: run every workload REPEAT times, alternating servers within each round, and
# report the medians as well as every run.
REPEAT=${REPEAT:-3}
TARGETS=("arbiter $PORT_A $ARBITER_PID" "nginx $PORT_N $NGINX_PIDS" "webhook $PORT_W $WEBHOOK_PID"
    "nginx-mix $PORT_N $NGINX_PIDS")
if [ -n "${BASELINE:-}" ]; then TARGETS=("baseline $PORT_B $BASELINE_PID" "${TARGETS[@]}"); fi
# The webhook and nginx-mix rows post the medium workload's real reviews; the others a fixed sample review.
target_env() {
    if [ "$1" = webhook ] || [ "$1" = nginx-mix ]; then
        export WRK_SCRIPT=$ROOT/Benchmarks/sar-mix.lua REVIEWS=$MEDIUM/requests.jsonl H2_BODY=$WORK/medium-review.json
    else
        unset WRK_SCRIPT REVIEWS H2_BODY
    fi
}
read -r -a WORKLOADS <<< "${WORKLOADS:-h1-keepalive h1-new-conn h2-c1 h2-c16}"
for round in $(seq "$REPEAT"); do
    for workload in "${WORKLOADS[@]}"; do
        for target in "${TARGETS[@]}"; do
            set -- $target
            server=$1 port=$2; shift 2; pids="$*"
            target_env "$server"
            case $workload in
            h1-keepalive) run_wrk "h1 keep-alive (wrk -t2 -c16)" "$server" "$port" "$pids" "${SHIM[@]}" wrk ;;
            h1-new-conn) run_wrk "h1 new connection per request (WRK_CONN_CLOSE=1)" "$server" "$port" "$pids" env WRK_CONN_CLOSE=1 "${SHIM[@]}" wrk ;;
            h2-c1) run_h2load "h2 (h2load -c1 -m16)" "$server" "$port" "$pids" 1 16 ;;
            h2-c16) run_h2load "h2 (h2load -c16 -m10)" "$server" "$port" "$pids" 16 10 ;;
            esac
        done
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# Medians over the rounds; p99 compared in microseconds.
# The median; for an even count the mean of the middle two (with REPEAT=2, the mean of both runs:
# until 2026-12 this took the lower value, the worst req/s but the best CPU per request).
median() { sort -g | awk '{v[NR]=$1} END {if (!NR) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2] + v[NR/2+1]) / 2}'; }
to_us() { awk '{v=$1; if (v ~ /ms$/) {sub(/ms$/,"",v); v*=1000} else if (v ~ /us$/) {sub(/us$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1e6} else {next} printf "%.0f\n", v}'; }
field() { awk -F'\t' -v n="$1" -v s="$2" -v f="$3" '$1 == n && $2 == s && $f != "n/a" {print $f}' "$CPU_LOG"; }
MEDIANS=()
RATIOS=()
while IFS=$'\t' read -r name server; do
    cpu=$(field "$name" "$server" 3 | median)
    rps=$(field "$name" "$server" 4 | median)
    client=$(field "$name" "$server" 5 | median)
    p99=$(field "$name" "$server" 6 | to_us | median)
    [ "$p99" = n/a ] || p99="${p99}us"
    MEDIANS+=("| $name | $server | $rps | $cpu | $client | $p99 |")
    printf '%s\t%s\t%s\t%s\n' "$name" "$server" "$rps" "$cpu" >> "$WORK/medians.log"
done < <(cut -f1,2 "$CPU_LOG" | awk '!seen[$0]++')
# ratio NAME A B: "req/s A/B | server CPU A/B" from the medians, or "n/a | n/a".
ratio() {
    local a b
    a=$(awk -F'\t' -v n="$1" -v s="$2" '$1 == n && $2 == s {print $3 "\t" $4}' "$WORK/medians.log")
    b=$(awk -F'\t' -v n="$1" -v s="$3" '$1 == n && $2 == s {print $3 "\t" $4}' "$WORK/medians.log")
    printf '%s\t%s\n' "$a" "$b" | awk -F'\t' '{ if ($1 > 0 && $3 > 0) printf "%.2f× | %.2f×", $1 / $3, $2 / $4; else printf "n/a | n/a" }'
}
while IFS= read -r name; do
    RATIOS+=("| $name | $(ratio "$name" arbiter nginx) | $(ratio "$name" webhook nginx-mix) |")
done < <(cut -f1 "$WORK/medians.log" | awk '!seen[$0]++')

{
    echo "# Transport benchmark: Arbiter vs nginx (mTLS, loopback)"
    echo
    echo "Generated by \`REPEAT=$REPEAT Benchmarks/transport.sh $DURATION\` on $(date -u +%Y-%m-%dT%H:%MZ) (THREADS=$THREADS)."
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GB,"
    echo "$(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r), $(openssl version), $(nginx -v 2>&1 | cut -d/ -f2)."
    echo "Load average before the runs: $LOAD_BEFORE, after: $LOAD_AFTER (other work on the machine inflates every"
    echo "number alike)."
    echo "Client and servers share the cores, so compare CPU per request and numbers from the same run."
    echo
    echo "Both servers: TLS 1.3, ECDSA P-256 server and client certificates, client certificate required, the"
    echo "same TLS policy (server cipher preference, groups X25519:P-256:P-384), no session cache and no"
    echo "session tickets, the server certificate sent without the root; the same ${#BODY}-byte JSON body."
    echo "nginx also sends \`server\` and \`date\` response headers, Arbiter \`content-type\` and \`content-length\`"
    echo "only. wrk posts \`sar-request.json\` with \`sar-post.lua\` to rows arbiter and nginx, and the medium"
    echo "workload's reviews with \`Benchmarks/sar-mix.lua\` to rows webhook and nginx-mix."
    echo "Server CPU/request = (utime + stime of the server process(es) during the run) / requests completed;"
    echo "client CPU/request = task-clock of wrk or h2load (perf stat) / requests completed."
    echo
    echo "Medians of $REPEAT rounds; in each round every workload runs against each server in turn:"
    echo
    echo "| workload | server | req/s | server CPU µs/request | client CPU µs/request | p99 |"
    echo "| --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${MEDIANS[@]}"
    echo
    echo "Arbiter against nginx, each pair driven by the same client script (medians; server CPU: below 1"
    echo "is cheaper). arbiter / nginx: the transport alone, both posting \`sar-request.json\` (sar-post.lua);"
    echo "webhook / nginx-mix: \`arbiter serve\` deciding every review against nginx's fixed answer, both"
    echo "posting the medium workload's 10,000 reviews (Benchmarks/sar-mix.lua; nginx ignores the body):"
    echo
    echo "| workload | req/s arbiter / nginx | server CPU arbiter / nginx | req/s webhook / nginx-mix | server CPU webhook / nginx-mix |"
    echo "| --- | --- | --- | --- | --- |"
    printf '%s\n' "${RATIOS[@]}"
    echo
    cat <<'NOTES'
What each server does, and where the time goes (perf record/stat, strace -c on both servers):

- Per connection both do accept4, TCP_NODELAY, one TLS 1.3 handshake (X25519, an ECDSA P-256
  signature, ECDSA verification of the client's CertificateVerify), no session ticket, the answer,
  close_notify, shutdown(SHUT_WR), a read until the client's FIN, close. nginx also verifies the
  client's chain (X509_verify_cert, a second ECDSA verification) on every handshake; Arbiter only
  the first time it sees that chain (TLSConfiguration.verifiedChainCacheCapacity; the CA bundle,
  validity and a 5-minute lifetime bound each entry), then 2 SHA-256 digests (callgrind, server
  process, 50 handshakes: 7.42 M instructions per handshake for nginx, 7.57 M for Arbiter without
  the cache, 6.68 M with it). Arbiter also reads the peer identity (subject, SANs, SHA-256
  fingerprint) once per connection (µs). Server CPU per handshake is ~60% libcrypto (OpenSSL 3.0
  builds a decoder context to parse the client certificate's key twice, 2.4 M instructions, the
  largest single item), ~18% libc malloc, ~11% kernel, ~4% Arbiter.
- New connections: Arbiter accepts one connection per listener wakeup (HTTPServer.Configuration
  .acceptsPerWakeup, like nginx's `multi_accept off`). Until 2026-12 it accepted up to 64 at once,
  and their first handshake flights (ECDHE and a signature, ~0.3 ms each) then ran in the same
  loop iteration ahead of requests already waiting: one epoll_wait per ~4 connections against
  nginx's one per connection, and a p99 3–7 ms above nginx's at the same handshake rate. Closing
  skips EPOLL_CTL_DEL (closing the descriptor removes it), one epoll_ctl per connection like nginx.
- HTTP/1.1 keep-alive, per request: one read and one write (one SSL_write of head and body), and
  about 0.3 epoll_wait, on both servers (strace -c). Arbiter's user-space work per request
  (callgrind of the event loop, wrk -t1 -c4): ≈29,600 instructions for the transport answering a
  fixed body, of which ≈16,000 in OpenSSL (SSL_read, SSL_write); ≈52,700 for `arbiter serve` with
  the medium policy, of which ≈20,700 in the webhook responder (review decode, policy, encode).
  The HTTP/1.1 head (request line and five fields) costs ≈4,500 instructions to parse and validate.
- Until 2026-11-29 Arbiter let OpenSSL "auto chain": with a leaf-only certificate file OpenSSL rebuilt
  the chain from the client-CA store (a full X509_verify_cert, ~100 µs) on every handshake and sent
  the root too. nginx sets SSL_MODE_NO_AUTO_CHAIN; Arbiter now builds its chain once per context.
- HTTP/2: per readiness event Arbiter does one SSL_read (read-ahead) and parses every frame; the
  complete requests are then answered in bursts (HTTP2Configuration.responsesPerWrite, 32, and
  .burstDuration, 20 µs of work), each burst's frames handed to one SSL_write before the next
  burst is computed. 16 fixed answers fit one burst: one read, one write and one epoll_wait per 16
  requests. 16 webhook answers (≈5 µs each) leave in about four writes, so h2load already works
  on the first answers while the rest are computed. nginx 1.22 writes every frame on its own (two
  writes per response), which costs h2load several times more CPU per response as well.
- h2load -c1 -m16 runs in lock step (answers, then as many new requests), so its req/s depends
  on the sum of client and server time per round plus two sleeps and wake-ups, not on one core
  being saturated. On this VM a wake-up costs the waker several µs (perf: ~15% of the server's
  CPU in sock_def_readable/try_to_wake_up) and the woken side ~7% in finish_task_switch, plus the
  latency. Arbiter's loops therefore poll before sleeping while requests keep coming back within
  twice the last round's work (HTTPServer.Configuration.busyPoll, 200 µs; `arbiter serve
  --busy-poll`): in this run's rows the client's next requests are picked up without a sleep. A
  loop that is idle or lightly loaded (gaps longer than that) sleeps as before; polling costs at
  most twice the loop's own work, and it yields the CPU between polls.
  `ArbiterBenchmarks transport-server --session-benchmark` (or `--http1-benchmark`) times the
  HTTP/2 session (or the HTTP/1.1 handler) alone, without sockets or TLS: the steadiest figures here.

NOTES
    echo "Every run, in order:"
    echo
    echo "Rows \"arbiter\" are the transport answering a fixed body (ArbiterBenchmarks transport-server); rows"
    echo "\"webhook\" are \`arbiter serve\` end to end with the medium generated policy: wrk posts the workload's"
    echo "10,000 reviews in turn (Benchmarks/sar-mix.lua), h2load posts its first review (h2load sends one body)."
    echo "Rows \"nginx-mix\" are nginx (same review mix): the same nginx answering its fixed body, driven by the"
    echo "same client script and reviews as the webhook rows, so the webhook's ratio compares servers, not"
    echo "wrk scripts. sar-mix.lua formats every request once when it loads; request() returns a prebuilt"
    echo "string (until 2026-12 it called wrk.format per request, about 8 µs of client CPU per request)."
    if [ -n "${BASELINE:-}" ]; then
        echo "Rows \"baseline\" are an earlier build of the same transport server ($(basename "$BASELINE"))."
    fi
    echo "h2load reports no percentiles: its p50 column is the mean time per request."
    echo
    echo "| workload | server | req/s | p50 | p99 | server CPU µs/request | client CPU µs/request | errors |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${ROWS[@]}"
} > "${OUT:-docs/benchmarks-transport.md}"
cat "${OUT:-docs/benchmarks-transport.md}"
