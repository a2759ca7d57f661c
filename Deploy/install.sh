#!/usr/bin/env bash
# install.sh: install Arbiter on a systemd host (control-plane node).
#
#   sudo Deploy/install.sh --binary .build/release/arbiter [--pki DIR]
#   Deploy/install.sh --dry-run                      # show what would happen
#   DESTDIR=/tmp/stage Deploy/install.sh --binary ./arbiter   # stage into a tree
#
# Places:
#   PREFIX/bin/arbiter                          the binary (PREFIX default /usr/local)
#   /etc/arbiter/config.yaml                    from Deploy/config.example.yaml, only if absent
#                                               (otherwise written as config.yaml.dist)
#   /etc/arbiter/arbiter.env                    likewise
#   /etc/arbiter/policies/control-plane/        Policies/control-plane (replaced on every run)
#   /etc/arbiter/pki/                           with --pki DIR: arbiter.crt, arbiter.key,
#                                               client-ca.crt from a make-certs.sh output dir
#   /etc/systemd/system/arbiter.service, arbiter.socket, arbiter-activated.service
#   /etc/sysusers.d/arbiter.conf, /etc/tmpfiles.d/arbiter.conf, /etc/logrotate.d/arbiter
#   PREFIX/share/doc/arbiter/                   docs/deploy.md, Deploy/README.md
#   PREFIX/share/arbiter/                       Policies/examples, Deploy/kubernetes,
#                                               Deploy/examples (reference copies, not active)
#
# With DESTDIR set, files are staged under DESTDIR without ownership changes and
# nothing is activated (no sysusers, tmpfiles or systemctl). Without DESTDIR
# and as root, the arbiter user is created, directories get their modes, and
# systemd is reloaded. Nothing is enabled or started: the script prints the
# next steps.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

prefix=/usr/local
binary=""
pki=""
dry_run=0
unitdir=/etc/systemd/system
destdir=${DESTDIR:-}

usage() {
    sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
options:
  --prefix DIR     installation prefix for the binary and shared files (default /usr/local)
  --binary FILE    the arbiter binary to install (default: .build/release/arbiter if present;
                   without one the binary step is skipped)
  --pki DIR        copy arbiter.crt, arbiter.key, client-ca.crt from DIR (make-certs.sh --out DIR)
  --unitdir DIR    where unit files go (default /etc/systemd/system)
  --dry-run        print the commands instead of running them
  -h, --help       this text
environment:
  DESTDIR          stage everything under this directory (for packaging and tests)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#*=}; shift ;;
        --binary) binary=$2; shift 2 ;;
        --binary=*) binary=${1#*=}; shift ;;
        --pki) pki=$2; shift 2 ;;
        --pki=*) pki=${1#*=}; shift ;;
        --unitdir) unitdir=$2; shift 2 ;;
        --unitdir=*) unitdir=${1#*=}; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "install.sh: $*" >&2; exit 1; }
case "$prefix" in /*) ;; *) die "--prefix must be absolute" ;; esac
case "$unitdir" in /*) ;; *) die "--unitdir must be absolute" ;; esac
if [ -n "$destdir" ]; then
    case "$destdir" in /*) ;; *) destdir="$PWD/$destdir" ;; esac
fi

if [ -z "$binary" ] && [ -x "$repo/.build/release/arbiter" ]; then
    binary="$repo/.build/release/arbiter"
fi
if [ -n "$binary" ] && [ "$dry_run" = 0 ]; then
    [ -x "$binary" ] || die "--binary $binary is not an executable file"
fi
if [ -n "$pki" ] && [ "$dry_run" = 0 ]; then
    for f in arbiter.crt arbiter.key client-ca.crt; do
        [ -r "$pki/$f" ] || die "--pki $pki: missing $f (run Deploy/pki/make-certs.sh --out $pki)"
    done
fi

activate=1
[ -n "$destdir" ] && activate=0
if [ "$activate" = 1 ] && [ "$dry_run" = 0 ] && [ "$(id -u)" != 0 ]; then
    die "run as root, or set DESTDIR to stage, or use --dry-run"
fi

bindir="$prefix/bin"
sharedir="$prefix/share/arbiter"
docdir="$prefix/share/doc/arbiter"
etc=/etc/arbiter

# run CMD...: execute, or print it in dry-run mode.
run() {
    if [ "$dry_run" = 1 ]; then
        printf '+'; printf ' %q' "$@"; printf '\n'
    else
        "$@"
    fi
}

# Ownership only when installing for real into /.
own() { # USER GROUP -> install(1) flags
    if [ "$activate" = 1 ]; then printf -- '-o %s -g %s' "$1" "$2"; fi
}

# put SRC DEST MODE [USER GROUP]
put() {
    local src=$1 dst=$destdir$2 mode=$3 user=${4:-root} group=${5:-root}
    # shellcheck disable=SC2046
    run install -D -m "$mode" $(own "$user" "$group") "$src" "$dst"
}

# put_conffile SRC DEST MODE USER GROUP: never overwrite an operator's file.
put_conffile() {
    local src=$1 dst=$2
    if [ -e "$destdir$dst" ]; then
        if cmp -s "$src" "$destdir$dst"; then return 0; fi
        echo "install.sh: keeping existing $dst; new version written to $dst.dist"
        put "$src" "$dst.dist" "$3" "$4" "$5"
    else
        put "$src" "$dst" "$3" "$4" "$5"
    fi
}

# A unit with the binary path adjusted to --prefix.
put_unit() {
    local src=$1 name
    name=$(basename "$src")
    if [ "$prefix" = /usr/local ]; then
        put "$src" "$unitdir/$name" 0644
    else
        local tmp
        tmp=$(mktemp)
        sed -e "s#/usr/local/bin/arbiter#$bindir/arbiter#g" \
            -e "s#/usr/local/share/doc/arbiter#$docdir#g" "$src" > "$tmp"
        put "$tmp" "$unitdir/$name" 0644
        rm -f "$tmp"
    fi
}

mode_note=""
[ "$dry_run" = 1 ] && mode_note=", dry run"
echo "== Arbiter install (prefix $prefix${destdir:+, DESTDIR $destdir}$mode_note)"

# 1. User and directories first, so the group exists for ownership below.
put "$here/systemd/sysusers.d/arbiter.conf" /etc/sysusers.d/arbiter.conf 0644
put "$here/systemd/tmpfiles.d/arbiter.conf" /etc/tmpfiles.d/arbiter.conf 0644
if [ "$activate" = 1 ]; then
    run systemd-sysusers /etc/sysusers.d/arbiter.conf
    run systemd-tmpfiles --create /etc/tmpfiles.d/arbiter.conf
else
    run install -d -m 0750 "$destdir$etc" "$destdir$etc/policies" "$destdir$etc/pki"
fi

# 2. Binary.
if [ -n "$binary" ]; then
    put "$binary" "$bindir/arbiter" 0755
else
    echo "install.sh: no --binary given and no .build/release/arbiter: skipping the binary"
fi

# 3. Configuration (operator-owned: never overwritten).
put_conffile "$here/config.example.yaml" "$etc/config.yaml" 0640 root arbiter
put_conffile "$here/systemd/arbiter.env" "$etc/arbiter.env" 0640 root arbiter

# 4. Shipped policies (ours: replaced). Tests are copied too; the loader skips
#    them and `arbiter test /etc/arbiter/policies` can run them on the node.
run rm -rf "$destdir$etc/policies/control-plane"
for f in "$repo"/Policies/control-plane/*.yaml; do
    put "$f" "$etc/policies/control-plane/$(basename "$f")" 0640 root arbiter
done

# 5. PKI (optional).
if [ -n "$pki" ]; then
    put "$pki/arbiter.crt" "$etc/pki/arbiter.crt" 0644
    put "$pki/client-ca.crt" "$etc/pki/client-ca.crt" 0644
    put "$pki/arbiter.key" "$etc/pki/arbiter.key" 0600
fi

# 6. Units, and rotation of the decision log.
for u in "$here"/systemd/*.service "$here"/systemd/*.socket; do
    put_unit "$u"
done
put "$here/logrotate/arbiter" /etc/logrotate.d/arbiter 0644

# 7. Reference material (not active).
[ -f "$repo/docs/deploy.md" ] && put "$repo/docs/deploy.md" "$docdir/deploy.md" 0644
[ -f "$here/README.md" ] && put "$here/README.md" "$docdir/README.md" 0644
# The whole Policies tree, so that `arbiter test PREFIX/share/arbiter/policies`
# works there (the example tests refer to ../testdata and ../control-plane).
shopt -s nullglob
for f in "$repo"/Policies/README.md "$repo"/Policies/*/*.yaml; do
    put "$f" "$sharedir/policies/${f#"$repo"/Policies/}" 0644
done
for f in "$here"/kubernetes/* "$here"/examples/*; do
    put "$f" "$sharedir/${f#"$here"/}" 0644
done
shopt -u nullglob

if [ "$activate" = 1 ]; then
    if [ -d /run/systemd/system ]; then
        run systemctl daemon-reload
    else
        echo "install.sh: systemd is not running here (container or chroot?): skipping daemon-reload"
    fi
fi

cat <<EOF
== done. Next steps:
  1. Certificates: Deploy/pki/make-certs.sh --out /root/arbiter-pki --node \$(hostname -s)
     then: $0 --pki /root/arbiter-pki   (or copy arbiter.crt, arbiter.key, client-ca.crt
     to $etc/pki/; the key stays root:root 0600, systemd hands it to the service)
  2. Review $etc/config.yaml (callers.users must contain kube-apiserver's client CN)
  3. Check:  arbiter validate --config $etc/config.yaml && arbiter test $etc/policies
  4. Start, either
       systemctl enable --now arbiter.service
     or, socket-activated (no refused connections across restarts):
       systemctl enable --now arbiter.socket arbiter-activated.service
  5. Wire kube-apiserver: $sharedir/kubernetes/README.md
EOF
