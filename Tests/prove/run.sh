#!/usr/bin/env bash
# "Prove it under attack": runs every reliability and security check against a release build of
# `arbiter serve` on loopback and writes the table of checks and figures to docs/reliability.md.
#
#   Tests/prove/run.sh full     (make prove)     10-minute soak, 10,000 fresh connections
#   Tests/prove/run.sh ci       (make prove-ci)  90-second soak, 2,000 fresh connections, every probe
#
# Steps (each records named checks into $PROVE_DIR/results.jsonl; one failing step never hides
# the others):
#   fuzz          a pluggable command (FUZZ_CMD, default `make fuzz` when the Makefile has it) that
#                 writes $PROVE_DIR/fuzz-summary.txt; "not run" when there is none
#   differential  the engine against the reference interpreter (DifferentialTests), cases parsed
#   unit          the Swift tests that docs/reliability.md maps to checklist items, by name
#   e2e           Tests/e2e/run.sh against the release binary
#   abuse         Tests/prove/abuse.py: HTTP/1.1, HTTP/2, TLS and connection attacks, each with the
#                 healthy neighbour (neighbour.py) and the server's RSS/descriptors around it
#   tls-scan      sslyze with a client certificate: Mozilla intermediate, client auth required,
#                 no legacy protocol, no client-initiated renegotiation, no compression
#   soak          Tests/prove/soak.py: HTTP/2 load (h2load + a checking client posting the medium
#                 generated workload), policy reloads and certificate rotation, RSS/fds/threads
#                 sampled; then fresh TLS connections, one request each
#   report        Tests/prove/report.py -> docs/reliability.md (REPORT=path to write elsewhere)
#
# Environment: ARBITER (binary; default: build .build/release/arbiter), SHARED (default ../shared),
# PROVE_DIR (default .build-prove), STEPS (comma list, default all), SOAK_SECONDS, WARMUP_SECONDS,
# FRESH_CONNECTIONS, DIFF_CASES, DIFF_CONFIG (release|debug), FUZZ_CMD, FUZZ_SECONDS, REPORT.
# Loopback only; every loop is bounded; every server started here is stopped on exit.
# The last line is `N passed, N failed`; the exit status is non-zero when a check failed.
set -uo pipefail

MODE=${1:-${PROVE_MODE:-ci}}
case "$MODE" in
full) : "${SOAK_SECONDS:=600}" "${WARMUP_SECONDS:=60}" "${FRESH_CONNECTIONS:=10000}" "${DIFF_CASES:=1000000}"
      : "${DIFF_CONFIG:=release}" "${FUZZ_SECONDS:=120}" "${SAMPLE_SECONDS:=5}" "${REPORT:=docs/reliability.md}"
      : "${STEPS:=fuzz,differential,unit,e2e,deploy,startup,abuse,tls-scan,soak,report}" ;;
# CI: `make ci` has just run the e2e suite and .ci/check-deploy (debug binary), so they are not repeated;
# the report goes to .build-prove/ rather than over the committed full report.
ci)   : "${SOAK_SECONDS:=90}" "${WARMUP_SECONDS:=30}" "${FRESH_CONNECTIONS:=2000}" "${DIFF_CASES:=100000}"
      : "${DIFF_CONFIG:=debug}" "${FUZZ_SECONDS:=20}" "${SAMPLE_SECONDS:=2}" "${REPORT:=.build-prove/reliability-ci.md}"
      : "${STEPS:=fuzz,differential,unit,startup,abuse,tls-scan,soak,report}" ;;
*) echo "usage: $0 full|ci" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel)
cd "$REPO" || exit 2
SHARED=${SHARED:-$REPO/../shared}
PROVE_DIR=${PROVE_DIR:-$REPO/.build-prove}
case "$REPORT" in /*) ;; *) REPORT=$REPO/$REPORT ;; esac
SWIFT=${SWIFT:-swift}
mkdir -p "$PROVE_DIR"
PROVE_DIR=$(cd "$PROVE_DIR" && pwd)
RUN=$PROVE_DIR/run
RESULTS=$PROVE_DIR/results.jsonl
rm -rf "$RUN"
mkdir -p "$RUN"
: >"$RESULTS"
START=$(date +%s)
echo "{\"mode\": \"$MODE\", \"started\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"commit\": \"$(git rev-parse --short HEAD)\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"soak_seconds\": $SOAK_SECONDS, \"fresh_connections\": $FRESH_CONNECTIONS, \"diff_cases\": $DIFF_CASES, \"diff_config\": \"$DIFF_CONFIG\"}" >"$PROVE_DIR/run-info.json"

PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 1 20); do
        local alive=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.25
    done
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

want() { case ",$STEPS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
# record GROUP CHECK OK(true|false|null) FIGURES [DETAIL]
record() {
    python3 - "$RESULTS" "$@" <<'EOF'
import json, sys
path, group, check, ok, figures = sys.argv[1:6]
detail = sys.argv[6] if len(sys.argv) > 6 else ""
ok = {"true": True, "false": False}.get(ok)
with open(path, "a") as f:
    f.write(json.dumps({"group": group, "check": check, "ok": ok, "figures": figures, "detail": detail}) + "\n")
print(("PASS" if ok else "NOT RUN" if ok is None else "FAIL") + " " + check + " — " + figures + ("" if ok or not detail else ": " + detail), flush=True)
EOF
}
step() { echo; echo "== $1 ($(( $(date +%s) - START )) s, load $(cut -d' ' -f1 /proc/loadavg))"; }
timed() { # NAME command...: runs it and records its wall time into steps.tsv
    local name=$1 t0 rc
    shift
    t0=$(date +%s)
    "$@"
    rc=$?
    printf '%s\t%s\n' "$name" "$(( $(date +%s) - t0 ))" >>"$PROVE_DIR/steps.tsv"
    return $rc
}
: >"$PROVE_DIR/steps.tsv"

# --- prerequisites: tools, a venv with h2 + sslyze, the release binary -----------------------------

step prerequisites
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=()
    for p in nghttp2-client python3-venv openssl curl gcc libssl-dev; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }
    fi
fi
VENV=$PROVE_DIR/venv
PY=$VENV/bin/python
if ! "$PY" -c 'import h2, hyperframe, hpack, sslyze, yaml' 2>/dev/null; then
    rm -rf "$VENV"
    { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check h2 hyperframe hpack sslyze pyyaml; } \
        >"$PROVE_DIR/pip.log" 2>&1
fi
if ! "$PY" -c 'import h2, hyperframe, hpack, sslyze, yaml' 2>/dev/null; then
    record prerequisites venv false "" "cannot install h2/hyperframe/hpack/sslyze/pyyaml into $VENV: $(tail -2 "$PROVE_DIR/pip.log" | tr '\n' ' ')"
    PY=
fi
for tool in h2load openssl curl gcc; do
    command -v "$tool" >/dev/null || record prerequisites "$tool" false "" "$tool is not installed"
done
if [ -z "${ARBITER:-}" ]; then
    echo "building the release binary"
    if timed build-release "$SWIFT" build -c release --product arbiter >"$PROVE_DIR/build-release.log" 2>&1; then
        ARBITER=$REPO/.build/release/arbiter
    else
        record prerequisites release-build false "" "swift build -c release --product arbiter failed: $(tail -3 "$PROVE_DIR/build-release.log" | tr '\n' ' ')"
        ARBITER=
    fi
fi
[ -n "${ARBITER:-}" ] && ARBITER=$(readlink -f "$ARBITER")

# --- certificates, policies, shim --------------------------------------------------------------------

PKI=$RUN/pki
bash Benchmarks/make-test-pki.sh "$PKI" >/dev/null 2>&1 || record prerequisites pki false "" "Benchmarks/make-test-pki.sh failed"
leaf() { # NAME SUBJECT EXTENSION: one more leaf signed by the test CA
    (cd "$PKI" && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null \
        && openssl req -new -key "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null \
        && openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" -days 30 \
            -extfile ext.cnf -extensions "$3" -out "$1.crt" 2>/dev/null && rm -f "$1.csr")
}
leaf jane "/CN=jane/O=dev" client_ext
leaf metrics-reader "/CN=prove-metrics" client_ext
leaf server2 "/CN=localhost" server_ext
SHIM=$RUN/clientcert_shim.so
gcc -O2 -shared -fPIC -o "$SHIM" "$SHARED/bench/clientcert_shim.c" -ldl -lssl 2>"$RUN/shim.log" \
    || record prerequisites clientcert-shim false "" "cannot build $SHARED/bench/clientcert_shim.c: $(head -2 "$RUN/shim.log")"

BOOTSTRAP=$SHARED/fixtures/kubernetes-bootstrap
cat >"$RUN/allowed.json" <<'EOF'
{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"default","verb":"create","version":"v1","resource":"pods","subresource":"binding","name":"web-1"},"user":"system:kube-scheduler","groups":["system:authenticated"],"uid":"b0c1"},"status":{"allowed":false}}
EOF

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server NAME CONFIG: starts arbiter with the configuration file; sets SERVER_PID, SERVER_PORT.
start_server() {
    local name=$1 config=$2 port i
    for attempt in 1 2 3; do
        port=$(free_port)
        sed "s/@PORT@/$port/" "$config" >"$RUN/$name.yaml"
        "$ARBITER" serve --config "$RUN/$name.yaml" >"$RUN/$name.log" 2>&1 &
        SERVER_PID=$!
        PIDS+=("$SERVER_PID")
        for i in $(seq 1 150); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" \
                --key "$PKI/client.key" "https://localhost:$port/readyz" --resolve "localhost:$port:127.0.0.1")" = 200 ]; then
                if command -v ss >/dev/null && ss -Hltnp "sport = :$port" 2>/dev/null | grep -qv "pid=$SERVER_PID,"; then
                    break  # someone else shares the port (SO_REUSEPORT): try another
                fi
                SERVER_PORT=$port
                return 0
            fi
            sleep 0.2
        done
        kill -TERM "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    done
    return 1
}
# stop_server PID NAME: SIGTERM, expects exit 0 within 10 s; records a check.
stop_server() {
    local pid=$1 name=$2 i rc
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        record "$name" "$name-server-alive" false "" "the server process had exited (status $?) before the end: $(tail -3 "$RUN/$name.log" | tr '\n' ' ')"
        return
    fi
    kill -TERM "$pid"
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        record "$name" "$name-server-stop" false "" "still running 10 s after SIGTERM"
    else
        wait "$pid"
        rc=$?
        if [ "$rc" = 0 ]; then
            record "$name" "$name-server-stop" true "alive to the end; SIGTERM → exit 0 within $((i / 5)).$((i % 5 * 2)) s"
        else
            record "$name" "$name-server-stop" false "" "exit status $rc after SIGTERM: $(tail -3 "$RUN/$name.log" | tr '\n' ' ')"
        fi
    fi
}

# --- 1. fuzzing (pluggable) --------------------------------------------------------------------------

if want fuzz; then
    step fuzz
    FUZZ_SUMMARY=$PROVE_DIR/fuzz-summary.txt
    rm -f "$FUZZ_SUMMARY"
    # Full runs use `make fuzz` when the Makefile has it; CI runs its own bounded fuzzing step, so
    # prove-ci only fuzzes when FUZZ_CMD is given.
    if [ -z "${FUZZ_CMD+set}" ] && [ "$MODE" = full ] && grep -q '^fuzz:' Makefile; then FUZZ_CMD="make fuzz"; fi
    if [ -z "${FUZZ_CMD:-}" ]; then
        if [ "$MODE" = full ]; then why="no fuzz command (no \`fuzz\` target in the Makefile, FUZZ_CMD unset)"
        else why="prove-ci does not fuzz (FUZZ_CMD unset; CI fuzzes in its own step)"; fi
        record fuzz fuzzing null "not run: $why"
    else
        echo "running: $FUZZ_CMD (FUZZ_SECONDS=$FUZZ_SECONDS FUZZ_SUMMARY=$FUZZ_SUMMARY)"
        FUZZ_SECONDS=$FUZZ_SECONDS FUZZ_SUMMARY=$FUZZ_SUMMARY timed fuzz bash -c "$FUZZ_CMD" >"$PROVE_DIR/fuzz.log" 2>&1
        rc=$?
        # A command that prints Tests/fuzz/run.sh's summary lines instead of writing the file.
        [ -s "$FUZZ_SUMMARY" ] || python3 "$HERE/report.py" --fuzz-summary-from-log "$PROVE_DIR/fuzz.log" --fuzz-summary "$FUZZ_SUMMARY"
        if [ ! -s "$FUZZ_SUMMARY" ]; then
            record fuzz fuzzing false "" "\`$FUZZ_CMD\` (exit $rc) wrote no $FUZZ_SUMMARY: $(tail -2 "$PROVE_DIR/fuzz.log" | tr '\n' ' ')"
        else
            # Lines: TARGET EXECUTIONS FINDINGS [free text]; '#' starts a comment.
            while read -r target execs findings rest; do
                case "$target" in ''|'#'*) continue ;; esac
                if [[ "$execs" =~ ^[0-9]+$ && "$findings" =~ ^[0-9]+$ ]]; then
                    if [ "$findings" = 0 ] && [ "$execs" -gt 0 ]; then ok=true; else ok=false; fi
                    record fuzz "fuzz-$target" $ok "$execs executions, $findings findings${rest:+ ($rest)}" \
                        "$([ "$ok" = true ] || echo "findings or no executions; see $PROVE_DIR/fuzz.log")"
                else
                    record fuzz "fuzz-$target" false "" "unreadable summary line: $target $execs $findings $rest"
                fi
            done <"$FUZZ_SUMMARY"
            [ "$rc" = 0 ] || record fuzz fuzz-command false "" "\`$FUZZ_CMD\` exited $rc"
        fi
    fi
fi

# --- 2. differential engine testing --------------------------------------------------------------------

# The Swift test build for steps 2 and 3: release (as the differential brief asks) in its own
# scratch path, or the debug build that `make test` already made (CI).
swift_test_build() {
    if [ "$DIFF_CONFIG" = release ]; then
        timed build-tests "$SWIFT" build -c release --build-tests -Xswiftc -enable-testing --scratch-path "$PROVE_DIR/swift" \
            >"$PROVE_DIR/build-tests.log" 2>&1
    else
        timed build-tests "$SWIFT" build --build-tests >"$PROVE_DIR/build-tests.log" 2>&1
    fi
}
swift_test() { # filter...
    if [ "$DIFF_CONFIG" = release ]; then
        "$SWIFT" test -c release --skip-build -Xswiftc -enable-testing --scratch-path "$PROVE_DIR/swift" "$@"
    else
        "$SWIFT" test --skip-build "$@"
    fi
}
TESTS_BUILT=
if want differential || want unit; then
    step "swift test build ($DIFF_CONFIG)"
    if swift_test_build; then TESTS_BUILT=1; else
        record differential test-build false "" "swift build --build-tests ($DIFF_CONFIG) failed: $(grep -m3 error: "$PROVE_DIR/build-tests.log" | tr '\n' ' ')"
    fi
fi
if want differential && [ -n "$TESTS_BUILT" ]; then
    step "differential ($DIFF_CASES cases, $DIFF_CONFIG)"
    ARBITER_DIFF_CASES=$DIFF_CASES timed differential swift_test --filter DifferentialTests >"$PROVE_DIR/differential.log" 2>&1
    rc=$?
    line=$(grep -m1 '^differential: ' "$PROVE_DIR/differential.log")
    fails=$(grep -cE '✘|error: |failed' "$PROVE_DIR/differential.log")
    if [[ "$line" =~ ([0-9]+)\ policies,\ ([0-9]+)\ cases,.*\ ([0-9]+)\ disagreements ]]; then
        cases=${BASH_REMATCH[2]} dis=${BASH_REMATCH[3]}
        if [ "$rc" = 0 ] && [ "$dis" = 0 ] && [ "$cases" -ge "$DIFF_CASES" ]; then ok=true; else ok=false; fi
        record differential engine-vs-reference $ok "${line#differential: } ($DIFF_CONFIG build)" \
            "$([ $ok = true ] || echo "swift test exit $rc, $fails failure lines; see $PROVE_DIR/differential.log")"
    else
        record differential engine-vs-reference false "" "no 'differential:' summary line (swift test exit $rc): $(grep -m3 -E 'error|✘' "$PROVE_DIR/differential.log" | tr '\n' ' ')"
    fi
    passed=$(grep -cE '^✔ Test .*passed' "$PROVE_DIR/differential.log")
    if [ "$rc" = 0 ]; then ok=true; else ok=false; fi
    record differential codec-and-engine-differential-suites $ok "swift test --filter DifferentialTests: $passed tests passed, exit $rc (engine vs reference, SAR codec vs Foundation oracle)" \
        "$([ $ok = true ] || grep -m3 -E '✘' "$PROVE_DIR/differential.log" | tr '\n' ' ')"
fi

# --- 3. the unit tests the checklist map names ----------------------------------------------------------

if want unit && [ -n "$TESTS_BUILT" ]; then
    step "checklist unit tests"
    filter=$("${PY:-python3}" "$HERE/report.py" --print-test-filter)
    timed unit swift_test --filter "$filter" >"$PROVE_DIR/unit.log" 2>&1
    rc=$?
    "${PY:-python3}" "$HERE/report.py" --record-unit "$PROVE_DIR/unit.log" --exit "$rc" --results "$RESULTS"
fi

# --- 4. end to end ----------------------------------------------------------------------------------------

if want e2e && [ -n "${ARBITER:-}" ]; then
    step e2e
    ARBITER=$ARBITER SHARED=$SHARED timed e2e Tests/e2e/run.sh >"$PROVE_DIR/e2e.log" 2>&1
    rc=$?
    summary=$(tail -1 "$PROVE_DIR/e2e.log")
    if [ "$rc" = 0 ]; then ok=true; else ok=false; fi
    record e2e e2e-suite $ok "Tests/e2e/run.sh with the release binary: $summary" \
        "$(grep -m3 '^FAIL' "$PROVE_DIR/e2e.log" | tr '\n' ' ')"
fi

# --- 4b. deployment material (systemd units verified and scored) ---------------------------------------

if want deploy && [ -n "${ARBITER:-}" ]; then
    step deploy
    ARBITER=$ARBITER timed deploy bash .ci/check-deploy >"$PROVE_DIR/deploy.log" 2>&1
    rc=$?
    if [ "$rc" = 0 ]; then ok=true; else ok=false; fi
    record deploy check-deploy $ok ".ci/check-deploy: $(grep -c '^ *PASS' "$PROVE_DIR/deploy.log") PASS, $(grep -c '^ *FAIL' "$PROVE_DIR/deploy.log") FAIL, $(grep -c '^ *SKIP' "$PROVE_DIR/deploy.log") SKIP; $(grep 'security arbiter' "$PROVE_DIR/deploy.log" | sed 's/^ *PASS *//' | sort -u | tr '\n' ';')" \
        "$(grep -m3 '^ *FAIL' "$PROVE_DIR/deploy.log" | tr '\n' ' ')"
fi

# --- 4c. starting without a valid policy never becomes ready -----------------------------------------------

if want startup && [ -n "${ARBITER:-}" ]; then
    step "startup without a valid policy"
    mkdir -p "$RUN/startup/empty-dir"
    : >"$RUN/startup/empty.yaml"
    printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x\nrules: [\n' >"$RUN/startup/invalid.yaml"
    figs=()
    ok=true
    for variant in missing:"$RUN/startup/nothing-here.yaml" empty-file:"$RUN/startup/empty.yaml" empty-directory:"$RUN/startup/empty-dir" invalid:"$RUN/startup/invalid.yaml"; do
        name=${variant%%:*} path=${variant#*:}
        port=$(free_port)
        "$ARBITER" serve --listen "127.0.0.1:$port" --tls-cert "$PKI/server.crt" --tls-key "$PKI/server.key" \
            --client-ca "$PKI/ca.crt" --caller alice -p "$path" >"$RUN/startup/$name.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        ready=no
        for _ in $(seq 1 15); do
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" \
                --key "$PKI/client.key" --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/readyz")
            [ "$code" = 200 ] && ready=yes
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid"; wait "$pid" 2>/dev/null; status=running
        else
            wait "$pid"; status="exit $?"
        fi
        figs+=("$name: $status, ready $ready")
        if [ "$ready" = yes ] || [ "$status" = running ] || [ "$status" = "exit 0" ]; then ok=false; fi
    done
    record startup startup-without-a-valid-policy $ok "$(IFS=';'; echo "${figs[*]}")" "$([ $ok = true ] || echo "a server became ready or kept running")"
fi

# --- 5. abuse probes ----------------------------------------------------------------------------------------

MAXCONN=64
if want abuse && [ -n "${ARBITER:-}" ] && [ -n "$PY" ]; then
    step "abuse probes"
    cat >"$RUN/deny-group.yaml" <<'EOF'
apiVersion: arbiter.dev/v1alpha1
kind: AccessPolicy
metadata: {name: prove-deny-group}
spec:
  effect: Deny
  subjects: [{kind: Group, name: prove-denied-group}]
  rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
EOF
    policies="- $RUN/deny-group.yaml"$'\n'
    for f in cluster-roles cluster-role-bindings namespace-roles namespace-role-bindings controller-roles controller-role-bindings; do
        policies+="- $BOOTSTRAP/$f.yaml"$'\n'
    done
    cat >"$RUN/abuse-config.in" <<EOF
apiVersion: arbiter.dev/v1alpha1
kind: ServerConfiguration
listen: ["127.0.0.1:@PORT@"]
tls: {cert: $PKI/server.crt, key: $PKI/server.key, clientCA: $PKI/ca.crt}
callers: {users: [alice]}
metricsReaders: {users: [prove-metrics]}
policies:
$policies
limits: {maxConnections: $MAXCONN, maxConcurrentStreams: 100, maxRequestBodyBytes: 65536, maxHeaderBytes: 16384}
timeouts: {handshake: 3s, requestHeader: 3s, requestBody: 3s, idle: 8s, request: 2s, shutdownGrace: 5s}
threads: 2
log: {level: warning}
EOF
    if start_server abuse "$RUN/abuse-config.in"; then
        APID=$SERVER_PID
        echo "server pid $APID port $SERVER_PORT"
        "$PY" "$HERE/neighbour.py" --port "$SERVER_PORT" --pki "$PKI" --body "$RUN/allowed.json" \
            --log "$RUN/neighbour.log" --max-seconds 1200 &
        NPID=$!
        PIDS+=("$NPID")
        sleep 1
        timed abuse "$PY" "$HERE/abuse.py" --port "$SERVER_PORT" --pid "$APID" --pki "$PKI" --body "$RUN/allowed.json" \
            --neighbour-log "$RUN/neighbour.log" --out "$RESULTS" --max-connections $MAXCONN \
            --handshake-timeout 3 --header-timeout 3 --body-timeout 3 --idle-timeout 8 ${ABUSE_ONLY:+--only "$ABUSE_ONLY"}
        kill -TERM "$NPID" 2>/dev/null
        wait "$NPID" 2>/dev/null

        # --- 6. TLS scan against the same server ---------------------------------------------------------
        if want tls-scan; then
            step "tls scan (sslyze)"
            timed tls-scan timeout 300 "$VENV/bin/sslyze" --cert "$PKI/client.crt" --key "$PKI/client.key" \
                --certinfo_ca_file "$PKI/ca.crt" --mozilla_config intermediate --json_out "$RUN/sslyze.json" \
                "localhost:$SERVER_PORT{127.0.0.1}" >"$RUN/sslyze.out" 2>&1
            rc=$?
            "$PY" "$HERE/report.py" --record-sslyze "$RUN/sslyze.json" --exit "$rc" --results "$RESULTS" \
                --sslyze-output "$RUN/sslyze.out"
            # Client authentication is required: openssl without a certificate, TLS 1.2 and 1.3, sends
            # a request and must get a TLS alert and no HTTP byte. (sslyze cannot tell: it counts a
            # suite as accepted once the server asks for a certificate, and with TLS 1.3 the client's
            # handshake completes before the server refuses.)
            figs=() ok=true
            for v in 1_2 1_3; do
                printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$SERVER_PORT" \
                    -tls$v -CAfile "$PKI/ca.crt" -servername localhost -ign_eof >"$RUN/nocert-$v.out" 2>&1
                alert=$(grep -o 'alert [a-z ]*' "$RUN/nocert-$v.out" | head -1)
                http=$(grep -c '^HTTP/' "$RUN/nocert-$v.out")
                figs+=("TLS ${v/_/.}: ${alert:-no alert}, $http HTTP lines")
                { [ -n "$alert" ] && [ "$http" = 0 ]; } || ok=false
            done
            record tls-scan tls-scan-client-auth-required $ok "openssl s_client without a client certificate: $(IFS=';'; echo "${figs[*]}"); sslyze's client_auth_requirement: $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["server_scan_results"][0]["connectivity_result"]["client_auth_requirement"])' "$RUN/sslyze.json" 2>/dev/null) (it cannot see a TLS 1.3 refusal)" \
                "$([ $ok = true ] || echo "a client without a certificate was not refused with an alert, or got HTTP bytes")"
        fi
        stop_server "$APID" abuse
    else
        record abuse abuse-server-start false "" "arbiter did not become ready: $(tail -3 "$RUN/abuse.log" | tr '\n' ' ')"
    fi
fi

# --- 7. soak, churn and fresh connections ---------------------------------------------------------------------

if want soak && [ -n "${ARBITER:-}" ] && [ -n "$PY" ]; then
    step "soak (${SOAK_SECONDS} s) and ${FRESH_CONNECTIONS} fresh connections"
    MEDIUM=$PROVE_DIR/medium
    if [ ! -s "$MEDIUM/requests.jsonl" ]; then "$PY" "$SHARED/bench/rbacgen.py" medium --out "$MEDIUM" >"$RUN/rbacgen.log" 2>&1; fi
    SOAK=$RUN/soak
    mkdir -p "$SOAK/policy" "$SOAK/tls"
    cp "$MEDIUM/rbac.yaml" "$SOAK/policy/rbac.yaml"
    cat >"$SOAK/flip-A.yaml" <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: prove-flip}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prove-flip}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prove-flip}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: prove-flip}
EOF
    cat >"$SOAK/flip-B.yaml" <<'EOF'
apiVersion: arbiter.dev/v1alpha1
kind: AccessPolicy
metadata: {name: prove-flip-deny}
spec:
  effect: Deny
  subjects: [{kind: User, name: prove-flip}]
  rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get]}
EOF
    cp "$SOAK/flip-A.yaml" "$SOAK/policy/flip.yaml"
    cp "$PKI/server.crt" "$SOAK/tls/server.crt"
    cp "$PKI/server.key" "$SOAK/tls/server.key"
    cat >"$RUN/soak-config.in" <<EOF
apiVersion: arbiter.dev/v1alpha1
kind: ServerConfiguration
listen: ["127.0.0.1:@PORT@"]
tls: {cert: $SOAK/tls/server.crt, key: $SOAK/tls/server.key, clientCA: $PKI/ca.crt}
callers: {users: [alice]}
metricsReaders: {users: [prove-metrics]}
policies: [$SOAK/policy]
threads: 2
log: {level: warning}
EOF
    if [ ! -s "$MEDIUM/requests.jsonl" ]; then
        record soak soak-workload false "" "rbacgen.py medium failed: $(tail -2 "$RUN/rbacgen.log" | tr '\n' ' ')"
    elif start_server soak "$RUN/soak-config.in"; then
        SPID=$SERVER_PID
        echo "server pid $SPID port $SERVER_PORT"
        timed soak "$PY" "$HERE/soak.py" --port "$SERVER_PORT" --pid "$SPID" --pki "$PKI" --work "$SOAK" \
            --requests "$MEDIUM/requests.jsonl" --expected "$MEDIUM/expected.txt" --shim "$SHIM" \
            --seconds "$SOAK_SECONDS" --warmup "$WARMUP_SECONDS" --sample "$SAMPLE_SECONDS" \
            --fresh "$FRESH_CONNECTIONS" --out "$RESULTS" --samples "$PROVE_DIR/soak-samples.tsv" --server-log "$RUN/soak.log"
        stop_server "$SPID" soak
    else
        record soak soak-server-start false "" "arbiter did not become ready with the medium policy: $(tail -3 "$RUN/soak.log" | tr '\n' ' ')"
    fi
fi

# --- 8. the report ----------------------------------------------------------------------------------------------

ELAPSED=$(( $(date +%s) - START ))
printf 'total\t%s\n' "$ELAPSED" >>"$PROVE_DIR/steps.tsv"
if want report; then
    step report
    "${PY:-python3}" "$HERE/report.py" --write "$REPORT" --results "$RESULTS" --info "$PROVE_DIR/run-info.json" \
        --steps "$PROVE_DIR/steps.tsv" --mode "$MODE" || record report report false "" "report.py failed"
fi
python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
passed = sum(1 for r in rows if r["ok"] is True)
failed = sum(1 for r in rows if r["ok"] is False)
skipped = sum(1 for r in rows if r["ok"] is None)
for r in rows:
    if r["ok"] is False:
        print("FAILED:", r["check"], "—", r["detail"])
print("prove: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
EOF
