#!/usr/bin/env bash
# Peak resident memory of one `knotfinder ask`, the whole process from start
# to exit (KB load included), beside the target (< 16 MB).  Uses
# /usr/bin/time -v when present, else build/bench/maxrss (getrusage),
# compiling it on the spot when `make benches` has not.
#   bench/rss.sh            KNOTFINDER picks the binary (default build/knotfinder)
set -u
cd "$(dirname "$0")/.."
BIN=${KNOTFINDER:-build/knotfinder}
TARGET_KB=$((16 * 1024))
if [ ! -x "$BIN" ]; then echo "no $BIN: run make first"; exit 1; fi

# peak KB of "$@" reading stdin from $IN; prints the number.
if [ -x /usr/bin/time ] && /usr/bin/time -v true 2>/dev/null; then
  peak() { /usr/bin/time -v "$@" <"$IN" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }
  how="/usr/bin/time -v"
else
  W=build/bench/maxrss
  if [ ! -x "$W" ]; then
    mkdir -p build/bench && ${CC:-cc} -O2 -o "$W" bench/maxrss.c || { echo "cannot build $W"; exit 1; }
  fi
  peak() { "$W" "$@" <"$IN" 2>&1 >/dev/null | awk '/^maxrss_kb/ {print $2}'; }
  how="getrusage (bench/maxrss.c)"
fi

TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
WORDS="I'm 34 and for two years a knot between my right shoulder blade and spine keeps coming back. Massage helps for a few hours. I use a mouse all day, sleep on my right side and my neck is stiff."
: >"$TMP/empty"
yes "$WORDS " | head -c 1048000 >"$TMP/big"

echo "peak RSS of one knotfinder ask, by $how (target < $((TARGET_KB / 1024)) MB)"
row() {  # row LABEL STDIN-FILE ARGS...
  local label=$1; IN=$2; shift 2
  local kb; kb=$(peak "$BIN" "$@")
  if [ -z "$kb" ]; then printf '  %-36s  (no figure)\n' "$label"; return; fi
  printf '  %-36s %7.1f MB  %s\n' "$label" "$(awk -v k="$kb" 'BEGIN {print k / 1024}')" \
    "$([ "$kb" -lt "$TARGET_KB" ] && echo ok || echo 'OVER TARGET')"
}
row "ask \"typical description\""       "$TMP/empty" ask "$WORDS"
row "ask --json \"typical description\"" "$TMP/empty" ask --json "$WORDS"
row "ask - (1 MB description on stdin)"  "$TMP/big"   ask -
row "kb check"                           "$TMP/empty" kb check
