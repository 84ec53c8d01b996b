#!/usr/bin/env bash
# Installs the Debian packages knotfinder needs to build, run and test.
# Usage: scripts/install-deps.sh [--test]   (--test adds what the tests need)
# Installs only what is missing; uses sudo when not root.
set -euo pipefail
pkgs=(gcc make pkg-config libjansson-dev libmicrohttpd-dev libsqlite3-dev libstemmer-dev
      libedit-dev)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(python3 curl clang libclang-rt-14-dev chromium sqlite3 procps)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
