#!/usr/bin/env bash
# make-certs.sh: certificates for Arbiter and for testing it, with the openssl CLI.
#
# Creates in OUT (default ./arbiter-pki):
#   ca.crt ca.key             a new CA (skipped with --ca-cert/--ca-key: then
#                             ca.crt is a copy and the CA key is never copied)
#   client-ca.crt             the bundle for Arbiter's --client-ca / tls.clientCA
#   arbiter.crt arbiter.key   Arbiter's serving certificate: serverAuth, SANs
#                             localhost, 127.0.0.1, ::1 and --node NAME
#   kube-apiserver-authz-client.crt/.key
#                             what kube-apiserver presents to Arbiter (clientAuth,
#                             CN from --apiserver-cn, no O). Goes into the webhook
#                             kubeconfig; its CN goes into `callers.users`.
#   clients/*.crt/.key        test identities named the way the components name
#                             themselves (clientAuth): see IDENTITIES below.
#
# Idempotent: an existing certificate is kept when it still verifies against the
# CA, matches its key, has the expected subject (and SANs for the serving cert)
# and is valid for at least 30 more days; otherwise it is replaced. --force
# replaces everything except a CA given with --ca-cert/--ca-key.
# Keys are written 0600 (umask 077), certificates 0644.
#
# Never commit the output: these are lab certificates.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: make-certs.sh [options]
  --out DIR            output directory (default: ./arbiter-pki)
  --node NAME          node name: serving-cert SAN and the system:node:NAME test
                       identity (default: short hostname)
  --ca-cert FILE       sign with this existing CA certificate ...
  --ca-key FILE        ... and key, instead of creating a CA in OUT
  --apiserver-cn CN    CN of kube-apiserver's client certificate
                       (default: kube-apiserver-authz-client)
  --kubelet-client-org O
                       O of the kube-apiserver-kubelet-client test identity
                       (default: kubeadm:cluster-admins, what kubeadm >= 1.29
                       issues; give system:masters for older kubeadm clusters)
  --rsa                RSA 3072 keys instead of ECDSA P-256
  --days N             leaf validity in days (default: 365)
  --ca-days N          validity of a new CA in days (default: 3650)
  --force              replace existing certificates
  --quiet              print only errors
  -h, --help           this text
EOF
}

out=./arbiter-pki
node=$(hostname -s 2>/dev/null || hostname)
ca_cert_in=""
ca_key_in=""
apiserver_cn=kube-apiserver-authz-client
kubelet_client_org=kubeadm:cluster-admins
key_type=ec
days=365
ca_days=3650
force=0
quiet=0

while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --node) node=$2; shift 2 ;;
        --ca-cert) ca_cert_in=$2; shift 2 ;;
        --ca-key) ca_key_in=$2; shift 2 ;;
        --apiserver-cn) apiserver_cn=$2; shift 2 ;;
        --kubelet-client-org) kubelet_client_org=$2; shift 2 ;;
        --rsa) key_type=rsa; shift ;;
        --days) days=$2; shift 2 ;;
        --ca-days) ca_days=$2; shift 2 ;;
        --force) force=1; shift ;;
        --quiet) quiet=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "make-certs.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "make-certs.sh: $*" >&2; exit 1; }
say() { [ "$quiet" = 1 ] || echo "$@"; }

command -v openssl >/dev/null || die "openssl not found"
# A node name is a DNS-1123 subdomain; rejecting anything else also keeps "/"
# and "," out of the -subj strings below.
[[ "$node" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ ]] \
    || die "--node '$node' is not a DNS-1123 name (lower-case letters, digits, '-', '.')"
for v in "$apiserver_cn" "$kubelet_client_org"; do
    [[ "$v" =~ ^[A-Za-z0-9:._@-]+$ ]] || die "'$v' contains characters this script does not put in a subject"
done
[[ "$days" =~ ^[0-9]+$ && "$ca_days" =~ ^[0-9]+$ ]] || die "--days and --ca-days take a number"
if [ -n "$ca_cert_in" ] || [ -n "$ca_key_in" ]; then
    if [ -z "$ca_cert_in" ] || [ -z "$ca_key_in" ]; then die "--ca-cert and --ca-key go together"; fi
    [ -r "$ca_cert_in" ] || die "cannot read $ca_cert_in"
    [ -r "$ca_key_in" ] || die "cannot read $ca_key_in"
fi

umask 077
mkdir -p "$out/clients"
chmod 0755 "$out" "$out/clients"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- helpers ---------------------------------------------------------------

new_key() { # FILE
    if [ "$key_type" = rsa ]; then
        openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$1"
    else
        openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -pkeyopt ec_param_enc:named_curve -out "$1"
    fi
    chmod 0600 "$1"
}

pub_of_key() { openssl pkey -in "$1" -pubout 2>/dev/null; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null; }
subject_of() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=//'; }
key_matches_type() { # KEY: true when the key has the requested algorithm (by OID)
    local oids
    oids=$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | openssl asn1parse -inform DER 2>/dev/null)
    if [ "$key_type" = rsa ]; then
        [[ "$oids" == *":rsaEncryption"* ]]
    else
        [[ "$oids" == *":id-ecPublicKey"* && "$oids" == *":prime256v1"* ]]
    fi
}

# keep CRT KEY SUBJECT [SAN-LINE]: 0 when the pair can stay
keep() {
    local crt=$1 key=$2 subj=$3 san=${4:-}
    [ "$force" = 0 ] || return 1
    [ -s "$crt" ] && [ -s "$key" ] || return 1
    openssl verify -CAfile "$out/ca.crt" "$crt" >/dev/null 2>&1 || return 1
    [ "$(pub_of_key "$key")" = "$(pub_of_cert "$crt")" ] || return 1
    [ "$(subject_of "$crt")" = "$subj" ] || return 1
    openssl x509 -in "$crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 || return 1
    key_matches_type "$key" || return 1
    if [ -n "$san" ]; then
        [ "$(openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | sed -n '2p' | tr -d ' ')" = "$san" ] || return 1
    fi
    return 0
}

serial() { echo "0x$(openssl rand -hex 16)"; }

# issue NAME-PATH SUBJECT(/CN=../O=..) RFC2253-SUBJECT PROFILE [SAN-ext-value]
# PROFILE: server | client
issue() {
    local base=$1 subj=$2 want=$3 profile=$4 san=${5:-}
    local crt="$base.crt" key="$base.key" ext="$work/ext.cnf" ku
    local san_check=""
    [ -n "$san" ] && san_check=$(echo "$san" | sed -e 's/IP:0:0:0:0:0:0:0:1/IP Address:0:0:0:0:0:0:0:1/' \
        -e 's/IP:/IP Address:/g' | tr -d ' ')
    if keep "$crt" "$key" "$want" "$san_check"; then
        say "  kept     $crt"
        return 0
    fi
    ku=digitalSignature
    [ "$key_type" = rsa ] && ku="digitalSignature,keyEncipherment"
    {
        echo "[leaf]"
        echo "basicConstraints = critical,CA:FALSE"
        echo "keyUsage = critical,$ku"
        if [ "$profile" = server ]; then
            echo "extendedKeyUsage = serverAuth"
        else
            echo "extendedKeyUsage = clientAuth"
        fi
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid"
        [ -n "$san" ] && echo "subjectAltName = $san"
    } > "$ext"
    new_key "$work/new.key"
    openssl req -new -key "$work/new.key" -subj "$subj" -out "$work/new.csr"
    openssl x509 -req -in "$work/new.csr" -CA "$out/ca.crt" -CAkey "$ca_key" \
        -set_serial "$(serial)" -days "$days" -sha256 \
        -extfile "$ext" -extensions leaf -out "$work/new.crt" 2>/dev/null
    # Move into place only when both halves exist, key first.
    mv -f "$work/new.key" "$key"
    install -m 0644 "$work/new.crt" "$crt"
    rm -f "$work/new.crt" "$work/new.csr"
    say "  issued   $crt  ($want)"
}

# --- CA --------------------------------------------------------------------

if [ -n "$ca_cert_in" ]; then
    # External CA: sign with it in place; only its certificate is copied.
    openssl x509 -in "$ca_cert_in" -noout >/dev/null 2>&1 || die "$ca_cert_in is not a PEM certificate"
    [ "$(pub_of_key "$ca_key_in")" = "$(pub_of_cert "$ca_cert_in")" ] || die "--ca-key does not match --ca-cert"
    if ! cmp -s "$ca_cert_in" "$out/ca.crt" 2>/dev/null; then
        install -m 0644 "$ca_cert_in" "$out/ca.crt"
        say "  copied   $out/ca.crt (from $ca_cert_in)"
    fi
    ca_key=$ca_key_in
else
    ca_key="$out/ca.key"
    if [ "$force" = 1 ] || ! [ -s "$out/ca.crt" ] || ! [ -s "$ca_key" ] \
        || [ "$(pub_of_key "$ca_key")" != "$(pub_of_cert "$out/ca.crt")" ] \
        || ! openssl x509 -in "$out/ca.crt" -noout -checkend $((90 * 86400)) >/dev/null 2>&1 \
        || ! key_matches_type "$ca_key"; then
        new_key "$work/ca.key"
        openssl req -new -x509 -key "$work/ca.key" -subj "/CN=arbiter-ca" \
            -days "$ca_days" -sha256 -set_serial "$(serial)" \
            -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -addext "subjectKeyIdentifier=hash" \
            -out "$work/ca.crt"
        mv -f "$work/ca.key" "$ca_key"
        install -m 0644 "$work/ca.crt" "$out/ca.crt"
        say "  issued   $out/ca.crt (new CA: every leaf below is re-issued)"
    else
        say "  kept     $out/ca.crt"
    fi
fi
# The client CA bundle Arbiter trusts. Here the same CA signs both sides; to
# use a separate client CA, put its certificate(s) in this file instead.
if ! cmp -s "$out/ca.crt" "$out/client-ca.crt" 2>/dev/null; then
    install -m 0644 "$out/ca.crt" "$out/client-ca.crt"
fi

# --- leaves ----------------------------------------------------------------

say "Arbiter serving certificate (node $node):"
issue "$out/arbiter" "/CN=arbiter" "CN=arbiter" server \
    "DNS:localhost, DNS:$node, IP:127.0.0.1, IP:0:0:0:0:0:0:0:1"

say "kube-apiserver -> Arbiter client certificate:"
issue "$out/$apiserver_cn" "/CN=$apiserver_cn" "CN=$apiserver_cn" client

# IDENTITIES: file name | -subj | RFC 2253 form (how openssl prints it back:
# last RDN first). Named as the components name themselves.
say "test identities:"
issue "$out/clients/kube-scheduler" "/CN=system:kube-scheduler" \
    "CN=system:kube-scheduler" client
issue "$out/clients/kube-controller-manager" "/CN=system:kube-controller-manager" \
    "CN=system:kube-controller-manager" client
issue "$out/clients/node-$node" "/O=system:nodes/CN=system:node:$node" \
    "CN=system:node:$node,O=system:nodes" client
issue "$out/clients/kube-apiserver-kubelet-client" "/O=$kubelet_client_org/CN=kube-apiserver-kubelet-client" \
    "CN=kube-apiserver-kubelet-client,O=$kubelet_client_org" client
issue "$out/clients/admin" "/O=system:masters/CN=admin" \
    "CN=admin,O=system:masters" client
issue "$out/clients/jane" "/O=dev/CN=jane" "CN=jane,O=dev" client

say "done: $out"
