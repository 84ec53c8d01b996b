#!/usr/bin/env bash
# Installs the Debian packages knotfinder needs to build, run and test.
# Usage: scripts/install-deps.sh [--test | --bench]
#   --test adds what the tests need; --bench what bench/http/run.sh and
#   bench/http/instr.sh measure with (wrk, nginx, valgrind).
# Installs only what is missing, with apt's own progress shown; uses sudo
# when not root.  Written for Debian 12 (bookworm) and later: a minimal
# (debootstrap --variant=minbase) root is enough to start from.
set -euo pipefail
# libsodium-dev: argon2id password hashes and the session tokens of the
# hosted course (src/auth.c).
pkgs=(gcc make pkg-config libc6-dev libjansson-dev libmicrohttpd-dev libsqlite3-dev
      libstemmer-dev libedit-dev libpq-dev libsodium-dev)
if [ "${1:-}" = "--test" ]; then
  # groff-base and man-db: the man page test renders knotfinder.1.
  pkgs+=(python3 curl clang libclang-rt-14-dev chromium sqlite3 procps groff-base man-db)
  # postgresql: tests/pg/pg.sh starts a private server (initdb + pg_ctl) for
  # the store's suite and tests/hosted on PostgreSQL; util-linux gives setpriv to run it as
  # the postgres user when the tests run as root.
  # pgbouncer: the store's suite runs again through it in transaction mode.
  pkgs+=(postgresql pgbouncer util-linux)
  # The browser tests run on Debian's own node (18 on Debian 12); a node
  # installed some other way is used as it is.
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi
if [ "${1:-}" = "--bench" ]; then
  # bench/http: wrk drives the load, Debian's nginx serves the static file
  # every figure is compared with, valgrind counts instructions a request.
  pkgs+=(wrk nginx valgrind python3 curl)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${#missing[@]} Debian package(s): ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "install-deps: not root and no sudo: install these as root first: ${missing[*]}" >&2
    exit 1
  }
  SUDO=sudo
fi
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done"
