#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12: builds a minimal
# root (debootstrap --variant=minbase bookworm), adds only git, clones this
# repository into it (with ../shared beside the clone when there is one),
# then runs ./run.sh and ./test.sh inside with chroot, timing each.
#
#   sudo scripts/fresh-debian.sh [--quick] [ROOT]
#
# ROOT defaults to a new folder under ${TMPDIR:-/tmp}; it is left in place
# (rm -rf it afterwards; its mounts are undone on exit).  --quick runs
# ./test.sh --quick.  The mirror is the host's Debian mirror from
# /etc/apt/sources.list* (MIRROR=URL overrides).  When the host trusts an
# extra CA for TLS through NODE_EXTRA_CA_CERTS (a proxy in front of the npm
# registry), that file is given to the root the same way.
# Needs root, debootstrap (apt-get install debootstrap) and the network.
# The clone is of HEAD as committed: commit first.
set -euo pipefail
quick=""
[ "${1:-}" = "--quick" ] && { quick=--quick; shift; }
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian: run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh-debian: apt-get install debootstrap" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$(mktemp -d "${TMPDIR:-/tmp}/kf-fresh.XXXXXX")}
mkdir -p "$root"
[ -z "$(ls -A "$root")" ] || { echo "fresh-debian: $root is not empty" >&2; exit 1; }

mirror=${MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
           grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true)
fi
[ -n "$mirror" ] || { echo "fresh-debian: no Debian mirror found; set MIRROR=URL" >&2; exit 1; }

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mnt() { mount "$@"; mounts+=("${!#}"); }

t0=$(date +%s)
echo "== debootstrap --variant=minbase bookworm $root ($mirror)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
echo "   $(($(date +%s) - t0)) s"
mnt -t proc proc "$root/proc"
mnt -t sysfs sys "$root/sys"
mnt --bind /dev "$root/dev"
mnt -t devpts devpts "$root/dev/pts"
mnt -t tmpfs -o mode=1777 shm "$root/dev/shm"

in_root() {  # in_root COMMAND...: as root in the root, with a clean environment
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${extra_ca:+NODE_EXTRA_CA_CERTS=$extra_ca} "$@"
}
extra_ca=
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$root/etc/extra-ca.crt" && extra_ca=/etc/extra-ca.crt
fi

echo "== git, the only package added by hand"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git >/dev/null
git clone -q --bare "$repo" "$root/src.git"
git -C "$root/src.git" symbolic-ref HEAD "refs/heads/$(git -C "$repo" rev-parse --abbrev-ref HEAD)"
mkdir -p "$root/home/w"
in_root git clone -q /src.git /home/w/knotfinder
[ -d "$repo/../shared" ] && cp -a "$repo/../shared" "$root/home/w/shared" && chmod -R a-w "$root/home/w/shared"
echo "   $(in_root git -C /home/w/knotfinder log --oneline -1)"
echo "   $(in_root dpkg-query -W -f='${Status}\n' | grep -c 'install ok installed') packages before the two commands"

rc=0
run() {  # run NAME COMMAND...
  local name=$1 s r; shift
  echo "== $name (log: $root.$name.log)"
  s=$(date +%s)
  in_root bash -c 'cd /home/w/knotfinder && "$@"' bash "$@" >"$root.$name.log" 2>&1 && r=0 || r=$?
  echo "   exit $r after $(($(date +%s) - s)) s; last line: $(tail -n 1 "$root.$name.log")"
  [ $r = 0 ] || rc=1
}
run run.sh ./run.sh
run test.sh ./test.sh $quick
echo "== $(in_root dpkg-query -W -f='${Status}\n' | grep -c 'install ok installed') packages after; node $(in_root node --version 2>/dev/null)"
[ $rc = 0 ] && echo "fresh-debian: both commands passed" || echo "fresh-debian: a command failed"
exit $rc
