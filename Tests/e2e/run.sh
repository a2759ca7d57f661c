#!/usr/bin/env bash
# End-to-end tests of `arbiter serve` with real clients: curl (HTTP/1.1 and HTTP/2), kubectl,
# the Python kubernetes client, h2load and an h2 checker (reload under load), plus the
# operational endpoints, TLS refusals and SIGTERM draining.
#
#   Tests/e2e/run.sh                      (or: make e2e)
#
# Environment: ARBITER=path to the binary (default .build/release/arbiter if present, else
# .build/debug/arbiter); SHARED=the shared directory (default <repo>/../shared);
# E2E_KEEP=1 keeps the temporary directory (certificates, logs) for inspection.
#
# Every check prints `PASS name` or `FAIL name: details`; the last line is `N passed, N failed`;
# the exit status is non-zero when anything failed. Loopback only; every loop is bounded.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel)
SHARED=${SHARED:-$REPO/../shared}
cd "$REPO" || exit 2
if [ -z "${ARBITER:-}" ]; then
    if [ -x .build/release/arbiter ]; then ARBITER=.build/release/arbiter; else ARBITER=.build/debug/arbiter; fi
fi
ARBITER=$(readlink -f "$ARBITER" 2>/dev/null || echo "$ARBITER")
BOOTSTRAP=$SHARED/fixtures/kubernetes-bootstrap
START_TIME=$(date +%s)

PASSED=0
FAILED=0
pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
info() { echo "  # $*"; }
finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" = 0 ]
    exit $?
}

TMP=$(mktemp -d /tmp/arbiter-e2e.XXXXXX)
SERVER_PIDS=()
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${SERVER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        local alive=0
        for p in "${SERVER_PIDS[@]}" "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.3
    done
    for p in "${SERVER_PIDS[@]}" "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    if [ "${E2E_KEEP:-0}" = 1 ]; then echo "  # kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

# --- prerequisites -----------------------------------------------------------------------------

[ -x "$ARBITER" ] || { fail prerequisites "no arbiter binary at $ARBITER (swift build --product arbiter, or set ARBITER)"; finish; }
[ -d "$BOOTSTRAP" ] || { fail prerequisites "no bootstrap fixtures at $BOOTSTRAP (set SHARED)"; finish; }
if ! command -v h2load >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null 2>&1 || true
fi
for tool in curl openssl python3 h2load; do
    command -v "$tool" >/dev/null || { fail prerequisites "$tool is not installed"; finish; }
done
CC=${CC:-$(command -v gcc || command -v cc || command -v clang || true)}
[ -n "$CC" ] || { fail prerequisites "no C compiler (gcc, cc or clang) for the client-certificate shim"; finish; }
HAVE_KUBECTL=1
command -v kubectl >/dev/null || HAVE_KUBECTL=0

if ! python3 -c 'import kubernetes, h2' 2>/dev/null; then
    log=$TMP/pip.log
    : >"$log"
    if ! python3 -m pip --version >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >>"$log" 2>&1 || true
    fi
    if ! python3 -m pip install --quiet kubernetes h2 >>"$log" 2>&1; then
        if grep -q externally-managed "$log"; then
            python3 -m pip install --quiet --break-system-packages kubernetes h2 >>"$log" 2>&1
        fi
    fi
    python3 -c 'import kubernetes, h2' 2>/dev/null \
        || { fail prerequisites "cannot install the Python packages kubernetes and h2: $(tail -3 "$log" | tr '\n' ' ')"; finish; }
fi

# --- certificates, policies, server --------------------------------------------------------------

PKI=$TMP/pki
bash Deploy/pki/make-certs.sh --out "$PKI" --node e2e-node --quiet \
    || { fail prerequisites "Deploy/pki/make-certs.sh failed"; finish; }
OTHER=$TMP/other-pki   # a second, unrelated CA with the same identities
bash Deploy/pki/make-certs.sh --out "$OTHER" --node e2e-node --quiet \
    || { fail prerequisites "make-certs.sh (other CA) failed"; finish; }
CA=$PKI/ca.crt
API_CERT=$PKI/kube-apiserver-authz-client.crt
API_KEY=$PKI/kube-apiserver-authz-client.key
JANE_CERT=$PKI/clients/jane.crt
JANE_KEY=$PKI/clients/jane.key
SCHED_CERT=$PKI/clients/kube-scheduler.crt
SCHED_KEY=$PKI/clients/kube-scheduler.key
KCM_CERT=$PKI/clients/kube-controller-manager.crt   # the metrics reader
KCM_KEY=$PKI/clients/kube-controller-manager.key

# Reload test: one extra policy file, flipped between A and B.
#   A allows user e2e-flip to get configmaps in e2e-reload (reason RA, below);
#   B denies the same request with an AccessPolicy.
mkdir -p "$TMP/policy"
FLIP=$TMP/policy/flip.yaml
cat >"$TMP/policy-A.yaml" <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-flip}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-flip}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-flip}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: e2e-flip}
EOF
cat >"$TMP/policy-B.yaml" <<'EOF'
apiVersion: arbiter.dev/v1alpha1
kind: AccessPolicy
metadata: {name: e2e-flip-deny}
spec:
  effect: Deny
  subjects: [{kind: User, name: e2e-flip}]
  namespaces: [e2e-reload]
  rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get]}
EOF
cat >"$TMP/policy-invalid.yaml" <<'EOF'
apiVersion: arbiter.dev/v1alpha1
kind: AccessPolicy
metadata: {name: e2e-flip-deny
spec: [effect: Deny
EOF
STATUS_A='{"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"e2e-flip\" of ClusterRole \"e2e-flip\" to User \"e2e-flip\""}'
STATUS_B='{"allowed": false, "denied": true, "reason": "AccessPolicy: denied by AccessPolicy \"e2e-flip-deny\" rule 0"}'
put_policy() { cp "$1" "$TMP/policy/.flip.tmp" && mv -f "$TMP/policy/.flip.tmp" "$FLIP"; }
put_policy "$TMP/policy-A.yaml"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server NAME PORT: starts arbiter with the bootstrap policy plus the flip file; sets SERVER_PID.
start_server() {
    local name=$1 port=$2 args=() f
    for f in cluster-roles cluster-role-bindings namespace-roles namespace-role-bindings controller-roles controller-role-bindings; do
        args+=(-p "$BOOTSTRAP/$f.yaml")
    done
    args+=(-p "$FLIP")
    "$ARBITER" serve --listen "127.0.0.1:$port" --tls-cert "$PKI/arbiter.crt" --tls-key "$PKI/arbiter.key" \
        --client-ca "$PKI/client-ca.crt" --caller kube-apiserver-authz-client \
        --metrics-reader system:kube-controller-manager --shutdown-grace 5s "${args[@]}" \
        >"$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
}

# wait_ready PORT PID: /readyz 200 within 30 s, and nobody else listens on the port
# (a listener sharing the port through SO_REUSEPORT would answer some of our connections).
wait_ready() {
    local port=$1 pid=$2 i others
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || return 1
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$CA" --cert "$API_CERT" --key "$API_KEY" \
            "https://127.0.0.1:$port/readyz")" = 200 ]; then
            others=""
            command -v ss >/dev/null && others=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -v "pid=$pid," || true)
            if [ -n "$others" ]; then
                echo "another process listens on port $port too: $others"
                return 1
            fi
            return 0
        fi
        sleep 0.2
    done
    return 1
}

PORT=
for attempt in 1 2 3; do
    PORT=$(free_port)
    start_server server "$PORT"
    if msg=$(wait_ready "$PORT" "$SERVER_PID"); then break; fi
    info "server start on port $PORT failed ($msg); log: $(tail -3 "$TMP/server.log" | tr '\n' ' ')"
    kill -TERM "$SERVER_PID" 2>/dev/null
    PORT=
done
[ -n "$PORT" ] || { fail server-start "arbiter did not become ready (see above)"; finish; }
pass "server-start (port $PORT, $ARBITER)"
URL=https://127.0.0.1:$PORT
MAIN_PID=$SERVER_PID

# --- helpers -----------------------------------------------------------------------------------

# post OUT CERT KEY PATH BODYFILE [curl options...]: prints "HTTPCODE HTTPVERSION"; body into OUT.
post() {
    local out=$1 cert=$2 key=$3 path=$4 body=$5
    shift 5
    curl -s --max-time 10 "$@" --cacert "$CA" --cert "$cert" --key "$key" -H 'content-type: application/json' \
        --data-binary @"$body" -o "$out" -w '%{http_code} %{http_version}' "$URL$path"
}

# jcheck FILE PYTHON-EXPRESSION: true when the expression holds for d = the JSON document.
jcheck() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
sys.exit(0 if eval(sys.argv[2], {"d": d, "json": json}) else 1)
EOF
}
short() { head -c "${2:-400}" "$1" 2>/dev/null | tr '\n' ' '; }

REQ=$TMP/req
mkdir -p "$REQ"
cat >"$REQ/allowed.json" <<'EOF'
{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"default","verb":"create","version":"v1","resource":"pods","subresource":"binding","name":"web-1"},"user":"system:kube-scheduler","groups":["system:authenticated"],"uid":"b0c1"},"status":{"allowed":false}}
EOF
cat >"$REQ/no-opinion.json" <<'EOF'
{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"team-a","verb":"list","version":"v1","resource":"pods"},"user":"jane","groups":["dev","system:authenticated"]},"status":{"allowed":false}}
EOF
# v1beta1 exactly as kube-apiserver's webhook authorizer sends it (groups under `group`).
cat >"$REQ/v1beta1.json" <<'EOF'
{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"nonResourceAttributes":{"path":"/api","verb":"get"},"user":"jane","group":["dev","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["X509SHA256=0f1e"]},"uid":"7d2c"},"status":{"allowed":false}}
EOF
sed 's/"group":\["dev","system:authenticated"\]/"group":["dev"]/' "$REQ/v1beta1.json" >"$REQ/v1beta1-nogroup.json"
cat >"$REQ/flip.json" <<'EOF'
{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"e2e-reload","verb":"get","version":"v1","resource":"configmaps","name":"settings"},"user":"e2e-flip","groups":["system:authenticated"]},"status":{"allowed":false}}
EOF
SCHED_REASON='RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"'
DISCOVERY_REASON='RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"'
export SCHED_REASON DISCOVERY_REASON

# --- 1. curl, HTTP/1.1 and HTTP/2 --------------------------------------------------------------

for proto in 1.1 2; do
    for path in /authorize "/apis/authorization.k8s.io/v1/subjectaccessreviews?timeout=10s"; do
        tag="curl-http$proto ${path%%\?*}"
        out=$TMP/out.json
        # The webhook endpoint answers 200; the REST endpoint 201, as kube-apiserver's create.
        code=200
        [ "$path" = /authorize ] || code=201
        got=$(post "$out" "$API_CERT" "$API_KEY" "$path" "$REQ/allowed.json" "--http$proto")
        if [ "$got" != "$code $proto" ]; then
            fail "$tag allowed" "expected HTTP $code over HTTP/$proto, got '$got': $(short "$out")"
        elif jcheck "$out" 'd.get("apiVersion") == "authorization.k8s.io/v1" and d.get("kind") == "SubjectAccessReview" and d["status"] == {"allowed": True, "reason": __import__("os").environ["SCHED_REASON"]}'; then
            pass "$tag allowed"
        else
            fail "$tag allowed" "unexpected answer: $(short "$out")"
        fi
        got=$(post "$out" "$API_CERT" "$API_KEY" "$path" "$REQ/no-opinion.json" "--http$proto")
        if [ "$got" != "$code $proto" ]; then
            fail "$tag no-opinion" "expected HTTP $code over HTTP/$proto, got '$got': $(short "$out")"
        elif jcheck "$out" 'd.get("apiVersion") == "authorization.k8s.io/v1" and d.get("kind") == "SubjectAccessReview" and d["status"].get("allowed") is False and not d["status"].get("denied") and not d["status"].get("reason")'; then
            pass "$tag no-opinion"
        else
            fail "$tag no-opinion" "unexpected answer: $(short "$out")"
        fi
    done
done

# A verified client that is not a caller may not ask about others (403 Status), but may ask about itself.
got=$(post "$TMP/out.json" "$JANE_CERT" "$JANE_KEY" /authorize "$REQ/allowed.json" --http2)
if [ "$got" = "403 2" ] && jcheck "$TMP/out.json" 'd.get("kind") == "Status" and d.get("code") == 403'; then
    pass "curl-http2 non-caller jane gets 403 Status"
else
    fail "curl-http2 non-caller jane gets 403 Status" "got '$got': $(short "$TMP/out.json")"
fi
cat >"$REQ/ssar.json" <<'EOF'
{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"create","group":"authorization.k8s.io","resource":"selfsubjectaccessreviews"}}}
EOF
got=$(post "$TMP/out.json" "$JANE_CERT" "$JANE_KEY" /apis/authorization.k8s.io/v1/selfsubjectaccessreviews "$REQ/ssar.json" --http2)
if [ "$got" = "201 2" ] && jcheck "$TMP/out.json" 'd.get("kind") == "SelfSubjectAccessReview" and d["status"].get("allowed") is True and "system:basic-user" in d["status"].get("reason", "")'; then
    pass "curl-http2 selfsubjectaccessreview as jane (JSON)"
else
    fail "curl-http2 selfsubjectaccessreview as jane (JSON)" "got '$got': $(short "$TMP/out.json")"
fi

# LocalSubjectAccessReview: decided in the URL's namespace; a different spec namespace is a 422 (Invalid).
lsar() { # NAMESPACE-IN-SPEC
    printf '{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","spec":{"user":"system:kube-scheduler","resourceAttributes":{"namespace":"%s","verb":"create","resource":"pods","subresource":"binding"}}}' "$1" >"$REQ/lsar.json"
    post "$TMP/out.json" "$API_CERT" "$API_KEY" /apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews "$REQ/lsar.json" --http2
}
got=$(lsar default)
if [ "$got" = "201 2" ] && jcheck "$TMP/out.json" 'd.get("kind") == "LocalSubjectAccessReview" and d["status"] == {"allowed": True, "reason": __import__("os").environ["SCHED_REASON"]}'; then
    pass "localsubjectaccessreviews in default"
else
    fail "localsubjectaccessreviews in default" "got '$got': $(short "$TMP/out.json")"
fi
got=$(lsar kube-system)
if [ "$got" = "422 2" ] && jcheck "$TMP/out.json" 'd.get("kind") == "Status" and d.get("code") == 422 and d.get("reason") == "Invalid"'; then
    pass "localsubjectaccessreviews: spec namespace differing from the URL's is a 422 Invalid"
else
    fail "localsubjectaccessreviews: spec namespace differing from the URL's is a 422 Invalid" "got '$got': $(short "$TMP/out.json")"
fi
# Discovery kubectl reads.
for path in /api /apis /apis/authorization.k8s.io/v1 /version; do
    got=$(curl -s --max-time 10 --http2 --cacert "$CA" --cert "$JANE_CERT" --key "$JANE_KEY" -o "$TMP/out.json" -w '%{http_code}' "$URL$path")
    if [ "$got" = 200 ] && jcheck "$TMP/out.json" '"kind" in d or "gitVersion" in d'; then
        pass "discovery GET $path"
    else
        fail "discovery GET $path" "HTTP $got: $(short "$TMP/out.json")"
    fi
done

# --- 2. v1beta1 as kube-apiserver sends it -----------------------------------------------------

for proto in 1.1 2; do
    got=$(post "$TMP/out.json" "$API_CERT" "$API_KEY" /authorize "$REQ/v1beta1.json" "--http$proto")
    if [ "$got" = "200 $proto" ] && jcheck "$TMP/out.json" 'd.get("apiVersion") == "authorization.k8s.io/v1beta1" and d.get("kind") == "SubjectAccessReview" and d["status"] == {"allowed": True, "reason": __import__("os").environ["DISCOVERY_REASON"]}'; then
        pass "v1beta1-http$proto group system:authenticated allows GET /api"
    else
        fail "v1beta1-http$proto group system:authenticated allows GET /api" "got '$got': $(short "$TMP/out.json")"
    fi
done
got=$(post "$TMP/out.json" "$API_CERT" "$API_KEY" /authorize "$REQ/v1beta1-nogroup.json" --http2)
if [ "$got" = "200 2" ] && jcheck "$TMP/out.json" 'd.get("apiVersion") == "authorization.k8s.io/v1beta1" and d["status"].get("allowed") is False'; then
    pass "v1beta1 without system:authenticated in group: no opinion (groups are read)"
else
    fail "v1beta1 without system:authenticated in group: no opinion (groups are read)" "got '$got': $(short "$TMP/out.json")"
fi
got=$(post "$TMP/out.json" "$API_CERT" "$API_KEY" /apis/authorization.k8s.io/v1beta1/subjectaccessreviews "$REQ/v1beta1.json" --http2)
if [ "$got" = "201 2" ] && jcheck "$TMP/out.json" 'd.get("apiVersion") == "authorization.k8s.io/v1beta1" and d["status"].get("allowed") is True'; then
    pass "v1beta1 on /apis/authorization.k8s.io/v1beta1/subjectaccessreviews"
else
    fail "v1beta1 on /apis/authorization.k8s.io/v1beta1/subjectaccessreviews" "got '$got': $(short "$TMP/out.json")"
fi

# --- 3. kubectl --------------------------------------------------------------------------------

kubeconfig() { # NAME CERT KEY
    cat >"$TMP/kubeconfig-$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: arbiter
  cluster:
    server: $URL
    certificate-authority: $CA
users:
- name: $1
  user:
    client-certificate: $2
    client-key: $3
contexts:
- name: $1
  context: {cluster: arbiter, user: $1, namespace: default}
current-context: $1
EOF
    echo "$TMP/kubeconfig-$1"
}

# kubectl_detail LOG: what kubectl asked and what went wrong, from its -v=8 output.
kubectl_detail() {
    python3 - "$1" <<'EOF'
import re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
req = None
notes = []
for i, l in enumerate(lines):
    m = re.search(r'round_trippers.go:\d+\] (GET|POST|PUT) (\S+)', l)
    if m:
        req = [m.group(1), m.group(2), ""]
    m = re.search(r'round_trippers.go:\d+\]\s+Content-Type: (\S+)', l)
    if m and req and req[0] == "POST" and not req[2]:
        req[2] = m.group(1)
    m = re.search(r'Response Status: (\d+)', l)
    if m and req:
        code = int(m.group(1))
        if code >= 300 or req[0] == "POST":
            ct = (" (Content-Type: " + (req[2] or "none") + ")") if req[0] == "POST" else ""
            notes.append("%s %s%s -> %d" % (req[0], req[1], ct, code))
        req = None
errs = [l.strip() for l in lines if re.match(r'^(Error|error|Warning)', l)][-2:]
print("; ".join(dict.fromkeys(notes)) + ("; output: " + " | ".join(errs) if errs else ""))
EOF
}

if [ "$HAVE_KUBECTL" = 1 ]; then
    export HOME=$TMP/home   # kubectl's discovery cache stays in the temporary directory
    mkdir -p "$HOME"
    KC_API=$(kubeconfig apiserver "$API_CERT" "$API_KEY")
    KC_JANE=$(kubeconfig jane "$JANE_CERT" "$JANE_KEY")
    KC_SCHED=$(kubeconfig scheduler "$SCHED_CERT" "$SCHED_KEY")
    k() { # LOG KUBECONFIG args...: stdout into LOG.out, -v=8 stderr into LOG
        local log=$1 kc=$2
        shift 2
        timeout 30 kubectl --kubeconfig "$kc" --request-timeout 10s -v=8 "$@" >"$log.out" 2>"$log"
    }

    k "$TMP/k-raw" "$KC_API" create --raw /apis/authorization.k8s.io/v1/subjectaccessreviews -f "$REQ/allowed.json"
    if jcheck "$TMP/k-raw.out" 'd["status"]["allowed"] is True and d.get("kind") == "SubjectAccessReview"'; then
        pass "kubectl create --raw subjectaccessreviews (apiserver identity)"
    else
        fail "kubectl create --raw subjectaccessreviews (apiserver identity)" "$(kubectl_detail "$TMP/k-raw")"
    fi

    kcan() { # NAME KUBECONFIG EXPECTED args...
        local name=$1 kc=$2 want=$3
        shift 3
        k "$TMP/k-can" "$kc" auth can-i "$@"
        local got
        got=$(tr -d '[:space:]' <"$TMP/k-can.out")
        if [ "$got" = "$want" ]; then
            pass "$name"
        else
            fail "$name" "expected '$want', printed '$got'; $(kubectl_detail "$TMP/k-can")"
        fi
    }
    kcan "kubectl auth can-i (jane) create selfsubjectaccessreviews = yes" "$KC_JANE" yes \
        create selfsubjectaccessreviews.authorization.k8s.io
    kcan "kubectl auth can-i (jane) list secrets -A = no" "$KC_JANE" no list secrets -A
    kcan "kubectl auth can-i (scheduler) create pods --subresource=binding -n default = yes" "$KC_SCHED" yes \
        create pods --subresource=binding -n default

    k "$TMP/k-list" "$KC_JANE" auth can-i --list
    if grep -q selfsubjectaccessreviews "$TMP/k-list.out"; then
        pass "kubectl auth can-i --list (jane) shows selfsubjectaccessreviews"
    else
        fail "kubectl auth can-i --list (jane) shows selfsubjectaccessreviews" "$(kubectl_detail "$TMP/k-list")"
    fi

    cat >"$REQ/review.yaml" <<'EOF'
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: system:kube-scheduler
  groups: [system:authenticated]
  resourceAttributes: {verb: create, version: v1, resource: pods, subresource: binding, namespace: default}
EOF
    k "$TMP/k-create" "$KC_API" create -f "$REQ/review.yaml" -o json
    if jcheck "$TMP/k-create.out" 'd["status"]["allowed"] is True'; then
        pass "kubectl create -f review.yaml (SubjectAccessReview object)"
    else
        fail "kubectl create -f review.yaml (SubjectAccessReview object)" "$(kubectl_detail "$TMP/k-create")"
    fi
    # The same without client-side schema validation, which needs /openapi/v3 or /openapi/v2.
    k "$TMP/k-create2" "$KC_API" create -f "$REQ/review.yaml" -o yaml --validate=false
    if grep -q '^  allowed: true' "$TMP/k-create2.out" && grep -q 'reason: .*system:kube-scheduler' "$TMP/k-create2.out"; then
        pass "kubectl create -f review.yaml -o yaml --validate=false"
    else
        fail "kubectl create -f review.yaml -o yaml --validate=false" "$(kubectl_detail "$TMP/k-create2")"
    fi
else
    fail kubectl "kubectl is not installed"
fi

# The reviews kubectl sends above (seen with -v=9: SelfSubjectAccessReview / SelfSubjectRulesReview
# in protobuf), posted as JSON with curl by the same identities: the decisions kubectl should print.
ssar_json() { # CERT KEY EXPECTED(True|False) NAME ATTRIBUTES-JSON
    local body=$TMP/ssar-eq.json got
    printf '{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":%s}}' "$5" >"$body"
    got=$(post "$TMP/out.json" "$1" "$2" /apis/authorization.k8s.io/v1/selfsubjectaccessreviews "$body" --http2)
    if [ "$got" = "201 2" ] && jcheck "$TMP/out.json" "d['status'].get('allowed') is $3"; then
        pass "$4"
    else
        fail "$4" "got '$got': $(short "$TMP/out.json")"
    fi
}
ssar_json "$JANE_CERT" "$JANE_KEY" True "SSAR as JSON (jane) create selfsubjectaccessreviews = yes" \
    '{"verb":"create","group":"authorization.k8s.io","resource":"selfsubjectaccessreviews"}'
ssar_json "$JANE_CERT" "$JANE_KEY" False "SSAR as JSON (jane) list secrets in all namespaces = no" \
    '{"verb":"list","resource":"secrets"}'
ssar_json "$SCHED_CERT" "$SCHED_KEY" True "SSAR as JSON (scheduler) create pods/binding in default = yes" \
    '{"namespace":"default","verb":"create","resource":"pods","subresource":"binding"}'
printf '{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"default"}}' >"$TMP/ssrr.json"
got=$(post "$TMP/out.json" "$JANE_CERT" "$JANE_KEY" /apis/authorization.k8s.io/v1/selfsubjectrulesreviews "$TMP/ssrr.json" --http2)
if [ "$got" = "201 2" ] && jcheck "$TMP/out.json" 'any("selfsubjectaccessreviews" in r.get("resources", []) for r in d["status"]["resourceRules"])'; then
    pass "SSRR as JSON (jane, namespace default) lists selfsubjectaccessreviews"
else
    fail "SSRR as JSON (jane, namespace default) lists selfsubjectaccessreviews" "got '$got': $(short "$TMP/out.json")"
fi

# --- 4. the Python kubernetes client -----------------------------------------------------------

pyk() { timeout 30 python3 "$HERE/k8s_client.py" "$@"; }
want="allowed=True reason=$SCHED_REASON kind=SubjectAccessReview apiVersion=authorization.k8s.io/v1"
got=$(pyk sar "$URL" "$CA" "$API_CERT" "$API_KEY" system:kube-scheduler system:authenticated create pods binding default 2>&1)
if [ "$got" = "$want" ]; then
    pass "python kubernetes AuthorizationV1Api.create_subject_access_review"
else
    fail "python kubernetes AuthorizationV1Api.create_subject_access_review" "$got"
fi
# The same with an explicit Content-Type header: tells an encoding problem from a decision problem.
got=$(pyk --content-type application/json sar "$URL" "$CA" "$API_CERT" "$API_KEY" system:kube-scheduler system:authenticated create pods binding default 2>&1)
if [ "$got" = "$want" ]; then
    pass "python kubernetes create_subject_access_review with _headers Content-Type: application/json"
else
    fail "python kubernetes create_subject_access_review with _headers Content-Type: application/json" "$got"
fi
got=$(pyk ssar "$URL" "$CA" "$JANE_CERT" "$JANE_KEY" create authorization.k8s.io selfsubjectaccessreviews "" 2>&1)
if [[ "$got" == "allowed=True reason=RBAC: allowed by ClusterRoleBinding \"system:basic-user\""* ]]; then
    pass "python kubernetes create_self_subject_access_review (jane)"
else
    fail "python kubernetes create_self_subject_access_review (jane)" "$got"
fi

# --- 5. reload under load ----------------------------------------------------------------------

SHIM_SO=$TMP/shim.so
"$CC" -O2 -shared -fPIC -o "$SHIM_SO" "$SHARED/bench/clientcert_shim.c" -ldl -lssl 2>"$TMP/gcc.log" \
    || fail "build clientcert_shim" "$(short "$TMP/gcc.log")"
SHIM=(env SHIM_CERT="$API_CERT" SHIM_KEY="$API_KEY" LD_PRELOAD="$SHIM_SO")

revision() { # the revision /readyz?verbose reports
    curl -s --max-time 5 --cacert "$CA" --cert "$JANE_CERT" --key "$JANE_KEY" "$URL/readyz?verbose" \
        | sed -n 's/.*policy ok (revision \([^)]*\)).*/\1/p'
}
wait_revision() { # WANT: true once /readyz shows it (10 s at most)
    local i
    for i in $(seq 1 50); do [ "$(revision)" = "$1" ] && return 0; sleep 0.2; done
    return 1
}
wait_new_revision() { # OLD: prints the new revision once it differs (10 s at most)
    local i r
    for i in $(seq 1 50); do
        r=$(revision)
        if [ -n "$r" ] && [ "$r" != "$1" ]; then echo "$r"; return 0; fi
        sleep 0.2
    done
    return 1
}
metric() { # SERIES (name{labels}): its value, read as the metrics reader
    curl -s --max-time 5 --cacert "$CA" --cert "$KCM_CERT" --key "$KCM_KEY" "$URL/metrics" \
        | awk -v s="$1" '$1 == s {print $2}'
}
export STATUS_A STATUS_B
flip_answer() { # EXPECTED-STATUS-VAR REVISION: one review over HTTP/2, status and revision header
    local hdr=$TMP/flip.headers
    curl -s --max-time 10 --http2 --cacert "$CA" --cert "$API_CERT" --key "$API_KEY" -H 'content-type: application/json' \
        --data-binary @"$REQ/flip.json" -D "$hdr" -o "$TMP/flip.out" "$URL/authorize" >/dev/null
    jcheck "$TMP/flip.out" "d['status'] == json.loads(__import__('os').environ['$1'])" \
        && grep -qi "^arbiter-policy-revision: $2"$'\r'"\?$" "$hdr"
}

REV_A=$(revision)
if [ -n "$REV_A" ] && flip_answer STATUS_A "$REV_A"; then
    pass "reload: policy A answers with reason RA (revision $REV_A)"
else
    fail "reload: policy A answers with reason RA" "revision '$REV_A', answer $(short "$TMP/flip.out")"
fi
put_policy "$TMP/policy-B.yaml"
kill -HUP "$MAIN_PID"
if REV_B=$(wait_new_revision "$REV_A") && flip_answer STATUS_B "$REV_B"; then
    pass "reload: SIGHUP to policy B denies (revision $REV_B)"
else
    fail "reload: SIGHUP to policy B denies" "revision '${REV_B:-}', answer $(short "$TMP/flip.out"); log: $(tail -2 "$TMP/server.log" | tr '\n' ' ')"
fi
put_policy "$TMP/policy-A.yaml"
kill -HUP "$MAIN_PID"
wait_revision "$REV_A" || fail "reload: back to A" "revision $(revision), want $REV_A"

if [ -n "${REV_B:-}" ]; then
    python3 -c 'import json,sys; print(json.dumps({"A": {"status": json.loads(sys.argv[1]), "revision": sys.argv[2]}, "B": {"status": json.loads(sys.argv[3]), "revision": sys.argv[4]}}))' \
        "$STATUS_A" "$REV_A" "$STATUS_B" "$REV_B" >"$TMP/expect.json"
    reloads_before=$(metric 'arbiter_policy_reloads_total{result="success"}')
    rm -f "$TMP/stop"
    timeout 90 python3 "$HERE/h2check.py" --port "$PORT" --ca "$CA" --cert "$API_CERT" --key "$API_KEY" \
        --body "$REQ/flip.json" --expect "$TMP/expect.json" --stop-file "$TMP/stop" --max-seconds 60 \
        >"$TMP/checker.out" 2>&1 &
    CHECKER=$!
    BG_PIDS+=("$CHECKER")
    timeout 90 "${SHIM[@]}" h2load -t1 -c2 -m8 -D 24 -d "$REQ/flip.json" -H 'content-type: application/json' \
        "$URL/authorize" >"$TMP/h2load-reload.out" 2>&1 &
    H2LOAD=$!
    BG_PIDS+=("$H2LOAD")
    sleep 1
    flip_start=$(date +%s.%N)
    for i in $(seq 1 100); do
        if [ $((i % 2)) = 1 ]; then put_policy "$TMP/policy-B.yaml"; else put_policy "$TMP/policy-A.yaml"; fi
        kill -HUP "$MAIN_PID"
        sleep 0.03
    done
    flip_end=$(date +%s.%N)
    h2load_running=0
    kill -0 "$H2LOAD" 2>/dev/null && h2load_running=1
    wait "$H2LOAD"
    h2rc=$?
    touch "$TMP/stop"
    wait "$CHECKER"
    reloads_after=$(metric 'arbiter_policy_reloads_total{result="success"}')
    info "100 flips in $(python3 -c "print(round($flip_end - $flip_start, 1))") s; successful reloads counted: $((${reloads_after:-0} - ${reloads_before:-0}))"
    info "h2load: $(grep -E '^(requests|status codes|finished in):' "$TMP/h2load-reload.out" | tr '\n' ' ')"
    info "checker: $(tail -1 "$TMP/checker.out")"
    read -r total started done succeeded failed errored timedout < <(sed -n \
        's/^requests: \([0-9]*\) total, \([0-9]*\) started, \([0-9]*\) done, \([0-9]*\) succeeded, \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout.*/\1 \2 \3 \4 \5 \6 \7/p' \
        "$TMP/h2load-reload.out")
    read -r s2xx s3xx s4xx s5xx < <(sed -n 's/^status codes: \([0-9]*\) 2xx, \([0-9]*\) 3xx, \([0-9]*\) 4xx, \([0-9]*\) 5xx.*/\1 \2 \3 \4/p' \
        "$TMP/h2load-reload.out")
    if [ "$h2load_running" = 1 ]; then
        pass "reload under load: all 100 flips happened while h2load ran"
    else
        fail "reload under load: all 100 flips happened while h2load ran" "h2load (-D 24) ended before the flips did"
    fi
    if [ "$h2rc" = 0 ] && [ -n "${done:-}" ] && [ "${succeeded:-0}" -gt 0 ] && [ "$failed" = 0 ] && [ "$errored" = 0 ] \
        && [ "$timedout" = 0 ] && [ "$s2xx" = "$done" ] && [ "$s3xx$s4xx$s5xx" = 000 ]; then
        pass "reload under load: h2load $done requests during 100 flips, all 2xx, 0 errors"
    else
        fail "reload under load: h2load all 2xx, 0 errors" "rc $h2rc; $(grep -E '^(requests|status codes):' "$TMP/h2load-reload.out" | tr '\n' ' ') $(grep -iE 'error|fail' "$TMP/h2load-reload.out" | head -3 | tr '\n' ' ')"
    fi
    if jcheck "$TMP/checker.out" 'd["mismatches"] == 0 and d["error"] is None and d["A"] > 0 and d["B"] > 0'; then
        pass "reload under load: HTTP/2 checker saw only A's or B's answers, with matching revisions ($(tail -1 "$TMP/checker.out"))"
    else
        fail "reload under load: HTTP/2 checker saw only A's or B's answers" "$(tail -1 "$TMP/checker.out")"
    fi

    # 100 flips end on A. An invalid B must change nothing but the failure counter.
    wait_revision "$REV_A" || fail "reload: A in force after the flips" "revision $(revision)"
    failures_before=$(metric 'arbiter_policy_reloads_total{result="failure"}')
    put_policy "$TMP/policy-invalid.yaml"
    kill -HUP "$MAIN_PID"
    failures_after=$failures_before
    for i in $(seq 1 50); do
        failures_after=$(metric 'arbiter_policy_reloads_total{result="failure"}')
        [ "${failures_after:-0}" -gt "${failures_before:-0}" ] && break
        sleep 0.2
    done
    if [ -n "$failures_before" ] && [ "${failures_after:-0}" -gt "$failures_before" ]; then
        pass "invalid policy: arbiter_policy_reloads_total{result=\"failure\"} $failures_before -> $failures_after"
    else
        fail "invalid policy: failure counter incremented" "before '$failures_before', after '$failures_after'"
    fi
    if flip_answer STATUS_A "$REV_A"; then
        pass "invalid policy: answers stay A's"
    else
        fail "invalid policy: answers stay A's" "$(short "$TMP/flip.out")"
    fi
    if [ "$(revision)" = "$REV_A" ]; then
        pass "invalid policy: /readyz?verbose still shows revision $REV_A"
    else
        fail "invalid policy: /readyz?verbose still shows A's revision" "shows '$(revision)'"
    fi
    put_policy "$TMP/policy-A.yaml"
    kill -HUP "$MAIN_PID"
fi

# --- 6. operational ----------------------------------------------------------------------------

code_of() { # CURL-ARGS...: HTTP code, body into $TMP/op.out
    curl -s --max-time 10 --cacert "$CA" -o "$TMP/op.out" -w '%{http_code}' "$@"
}
got=$(code_of --cert "$JANE_CERT" --key "$JANE_KEY" -D "$TMP/op.headers" "$URL/readyz")
if [ "$got" = 200 ] && grep -qi "^arbiter-policy-revision: $REV_A" "$TMP/op.headers"; then
    pass "/readyz 200 with arbiter-policy-revision $REV_A"
else
    fail "/readyz 200 with the revision" "HTTP $got, $(short "$TMP/op.out") $(short "$TMP/op.headers")"
fi
got=$(code_of --cert "$JANE_CERT" --key "$JANE_KEY" "$URL/readyz?verbose")
if [ "$got" = 200 ] && grep -q "revision $REV_A" "$TMP/op.out" && grep -q "readyz check passed" "$TMP/op.out"; then
    pass "/readyz?verbose lists the policy revision"
else
    fail "/readyz?verbose lists the policy revision" "HTTP $got, $(short "$TMP/op.out")"
fi
for p in /healthz /livez; do
    got=$(code_of --http2 --cert "$JANE_CERT" --key "$JANE_KEY" "$URL$p")
    if [ "$got" = 200 ]; then pass "$p 200"; else fail "$p 200" "HTTP $got, $(short "$TMP/op.out")"; fi
done
got=$(code_of --cert "$KCM_CERT" --key "$KCM_KEY" "$URL/metrics")
if [ "$got" = 200 ] && grep -q '^arbiter_policy_reloads_total{result="success"} ' "$TMP/op.out"; then
    pass "/metrics readable by the metrics reader (system:kube-controller-manager)"
else
    fail "/metrics readable by the metrics reader" "HTTP $got, $(short "$TMP/op.out")"
fi
got=$(code_of --cert "$JANE_CERT" --key "$JANE_KEY" "$URL/metrics")
if [ "$got" = 403 ] && jcheck "$TMP/op.out" 'd.get("kind") == "Status" and d.get("code") == 403'; then
    pass "/metrics 403 for jane"
else
    fail "/metrics 403 for jane" "HTTP $got, $(short "$TMP/op.out")"
fi
got=$(post "$TMP/op.out" "$KCM_CERT" "$KCM_KEY" /authorize "$REQ/allowed.json")
if [ "${got%% *}" = 403 ]; then
    pass "the metrics reader is not a caller (403 on /authorize)"
else
    fail "the metrics reader is not a caller (403 on /authorize)" "got '$got': $(short "$TMP/op.out")"
fi

# Refused at TLS: curl fails, no HTTP status at all.
tls_refused() { # NAME CURL-ARGS...
    local name=$1 rc code
    shift
    code=$(curl -s --max-time 10 --cacert "$CA" -o "$TMP/op.out" -w '%{http_code}' "$@" \
        -H 'content-type: application/json' --data-binary @"$REQ/allowed.json" "$URL/authorize" 2>"$TMP/op.err")
    rc=$?
    if [ "$rc" != 0 ] && [ "$code" = 000 ]; then
        pass "$name refused at TLS (curl exit $rc)"
    else
        fail "$name refused at TLS" "curl exit $rc, HTTP $code: $(short "$TMP/op.out")"
    fi
}
tls_refused "certificate from another CA (http1.1)" --http1.1 --cert "$OTHER/kube-apiserver-authz-client.crt" --key "$OTHER/kube-apiserver-authz-client.key"
tls_refused "certificate from another CA (http2)" --http2 --cert "$OTHER/kube-apiserver-authz-client.crt" --key "$OTHER/kube-apiserver-authz-client.key"
tls_refused "no client certificate (http1.1)" --http1.1
tls_refused "no client certificate (http2)" --http2
info "handshake failures: $(curl -s --max-time 5 --cacert "$CA" --cert "$KCM_CERT" --key "$KCM_KEY" "$URL/metrics" | grep '^arbiter_tls_handshake_failures_total' | grep -v ' 0$' | tr '\n' ' ')"

# SIGTERM while h2load runs: the process exits within the grace period (5 s) and in-flight
# requests complete. h2drain.py holds three HTTP/2 requests open (HEADERS sent, bodies held
# back), sends the SIGTERM itself, checks GOAWAY and that a new connection is refused, then
# sends the bodies: the draining server must still answer them.
timeout 60 "${SHIM[@]}" h2load -t1 -c2 -m8 -D 8 -d "$REQ/allowed.json" -H 'content-type: application/json' \
    "$URL/authorize" >"$TMP/h2load-drain.out" 2>&1 &
H2LOAD=$!
BG_PIDS+=("$H2LOAD")
sleep 2
timeout 30 python3 "$HERE/h2drain.py" --port "$PORT" --ca "$CA" --cert "$API_CERT" --key "$API_KEY" \
    --body "$REQ/allowed.json" --pid "$MAIN_PID" --streams 3 --hold 0.5 >"$TMP/drain.out" 2>&1
exited=0
for i in $(seq 1 100); do
    if ! kill -0 "$MAIN_PID" 2>/dev/null; then exited=1; break; fi
    sleep 0.1
done
t1=$(date +%s%N)
t0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sigterm_at_ns"])' "$TMP/drain.out" 2>/dev/null || echo "$t1")
elapsed_ms=$(((t1 - t0) / 1000000))
if [ "$exited" = 1 ]; then
    wait "$MAIN_PID"
    server_rc=$?
else
    server_rc=running
fi
wait "$H2LOAD"
info "drain client: $(tail -1 "$TMP/drain.out")"
info "SIGTERM: server exited within ${elapsed_ms} ms with status $server_rc"
info "h2load during SIGTERM: $(grep -E '^(requests|status codes):' "$TMP/h2load-drain.out" | tr '\n' ' ')"
info "server log tail: $(tail -2 "$TMP/server.log" | tr '\n' ' ')"
if jcheck "$TMP/drain.out" 'd["ok"] == d["streams"] and not d["errors"]'; then
    pass "SIGTERM: the 3 requests in flight at SIGTERM were answered 200 (allowed) while draining"
else
    fail "SIGTERM: requests in flight complete" "$(tail -1 "$TMP/drain.out")"
fi
if jcheck "$TMP/drain.out" 'd["goaway_error_code"] == 0 and (d["goaway_last_stream_id"] or 0) >= 5'; then
    pass "SIGTERM: GOAWAY (NO_ERROR) with last-stream-id covering the open streams"
else
    fail "SIGTERM: GOAWAY (NO_ERROR) covering the open streams" "$(tail -1 "$TMP/drain.out")"
fi
if jcheck "$TMP/drain.out" 'str(d["new_connection_while_draining"]).startswith(("refused", "closed"))'; then
    pass "SIGTERM: new connections are not served while draining"
else
    fail "SIGTERM: new connections are not served while draining" "$(tail -1 "$TMP/drain.out")"
fi
if [ "$exited" = 1 ] && [ "$elapsed_ms" -le 6500 ] && [ "$server_rc" = 0 ]; then
    pass "SIGTERM under load: exited with status 0 within ${elapsed_ms} ms (grace 5 s)"
else
    fail "SIGTERM under load: exits within the grace period" "exited=$exited after ${elapsed_ms} ms, status $server_rc"
fi
read -r total started done succeeded failed errored timedout < <(sed -n \
    's/^requests: \([0-9]*\) total, \([0-9]*\) started, \([0-9]*\) done, \([0-9]*\) succeeded, \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout.*/\1 \2 \3 \4 \5 \6 \7/p' \
    "$TMP/h2load-drain.out")
read -r s2xx s3xx s4xx s5xx < <(sed -n 's/^status codes: \([0-9]*\) 2xx, \([0-9]*\) 3xx, \([0-9]*\) 4xx, \([0-9]*\) 5xx.*/\1 \2 \3 \4/p' \
    "$TMP/h2load-drain.out")
# Every response that came back is a 2xx; requests without a response can only be those h2load
# started after the GOAWAY (at most -c2 x -m8 = 16 streams in flight when it arrived).
if [ -n "${done:-}" ] && [ "${succeeded:-0}" -gt 0 ] && [ "$s3xx$s4xx$s5xx" = 000 ] && [ "$s2xx" = "$succeeded" ] && [ "$failed" -le 16 ]; then
    pass "SIGTERM under load: h2load $succeeded answered 2xx, no other status; $failed not answered (at most its -c2 x -m8 slots, which it cannot refill after the GOAWAY)"
else
    fail "SIGTERM under load: in-flight requests complete" "$(grep -E '^(requests|status codes):' "$TMP/h2load-drain.out" | tr '\n' ' ')"
fi

info "runtime $(( $(date +%s) - START_TIME )) s"
finish
