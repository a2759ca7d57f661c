#!/bin/sh
# Generates a throw-away test PKI (ECDSA P-256) into the directory given as $1:
#   ca.crt/ca.key          client and server CA
#   server.crt/server.key  CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1, serverAuth
#   client.crt/client.key  CN=alice, O=team-a, O=team-b, clientAuth (signed by ca)
#   other-ca.crt/.key, other-client.crt/.key   a second CA and a client it signed (CN=mallory)
#   expired.crt/expired.key  clientAuth from ca, valid 2020-01-01 .. 2020-01-02 (CN=old)
#   int-ca.crt/.key          an intermediate CA signed by ca
#   int-server.crt/.key      CN=localhost like server.crt, signed by int-ca (leaf only)
#   int-server-chain.crt     int-server.crt followed by int-ca.crt
#   ca-and-int.crt           ca.crt followed by int-ca.crt (a client-CA bundle holding the intermediate)
# Used by the test suite and Benchmarks/transport.sh. Never use these files outside tests.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

cat > ext.cnf <<'CNF'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
CNF

for ca in ca other-ca; do
    key $ca.key
    openssl req -new -x509 -key $ca.key -out $ca.crt -days 30 -subj "/CN=arbiter test $ca" \
        -extensions ca_ext -config ext.cnf -set_serial 1 2>/dev/null
done

leaf() { # name ca subject ext
    key $1.key
    openssl req -new -key $1.key -out $1.csr -subj "$3" 2>/dev/null
    openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -set_serial "0x$(openssl rand -hex 8)" -days 30 \
        -extfile ext.cnf -extensions $4 -out $1.crt 2>/dev/null
}
leaf server ca "/CN=localhost" server_ext
leaf client ca "/O=team-a/O=team-b/CN=alice" client_ext
leaf other-client other-ca "/CN=mallory" client_ext
leaf int-ca ca "/CN=arbiter test intermediate" ca_ext
leaf int-server int-ca "/CN=localhost" server_ext
cat int-server.crt int-ca.crt > int-server-chain.crt
cat ca.crt int-ca.crt > ca-and-int.crt

# An expired client certificate needs explicit dates, which only `openssl ca` sets in OpenSSL 3.0.
mkdir -p ca-db
: > ca-db/index.txt
echo 1000 > ca-db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
CNF
key expired.key
openssl req -new -key expired.key -out expired.csr -subj "/CN=old" 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile ext.cnf -extensions client_ext \
    -notext 2>/dev/null
rm -f ./*.csr
