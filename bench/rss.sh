#!/usr/bin/env bash
# Peak resident memory of one `knotfinder ask`, the whole process from start
# to exit (KB load and saving to the journal included), beside the targets of
# issue 14: <= 16 MB for an article case, <= 32 MB for a 1 MB description;
# the first row is the run after the KB's files changed (text parsed, the
# snapshot written), the others load the snapshot.
# The journal is a scratch one (XDG_DATA_HOME in a temporary folder).  Uses
# /usr/bin/time -v when present, else build/bench/maxrss (getrusage),
# compiling it on the spot when `make benches` has not.
#   bench/rss.sh            KNOTFINDER picks the binary (default build/knotfinder)
set -u
cd "$(dirname "$0")/.."
BIN=${KNOTFINDER:-build/knotfinder}
TARGET_KB=$((16 * 1024))
BIG_TARGET_KB=$((32 * 1024))
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
export XDG_DATA_HOME="$TMP/data"
# The KB snapshot in a cache folder of this run's: empty for the first row
# (the KB read from the text and its snapshot written, as after a change),
# there for the others (as on every run while the files stay the same).
export XDG_CACHE_HOME="$TMP/cache"
# The first article case, in the reader's own words (ours when it is absent).
CASE=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["text"])' \
       /work/shared/cases/articles.jsonl 2>/dev/null || true)
WORDS="I'm 34 and for two years a knot between my right shoulder blade and spine keeps coming back. Massage helps for a few hours. I use a mouse all day, sleep on my right side and my neck is stiff."
: >"$TMP/empty"
yes "$WORDS " | head -c 1048000 >"$TMP/big"

[ -n "$CASE" ] || CASE=$WORDS

echo "peak RSS of one knotfinder process, by $how"
row() {  # row LABEL TARGET-KB STDIN-FILE ARGS...
  local label=$1 target=$2; IN=$3; shift 3
  local kb; kb=$(peak "$BIN" "$@")
  if [ -z "$kb" ]; then printf '  %-38s  (no figure)\n' "$label"; return; fi
  printf '  %-38s %7.1f MB   target <= %2d MB   %s\n' "$label" \
    "$(awk -v k="$kb" 'BEGIN {print k / 1024}')" "$((target / 1024))" \
    "$([ "$kb" -le "$target" ] && echo ok || echo 'OVER TARGET')"
}
row "ask, the KB changed since the last run" "$TARGET_KB"   "$TMP/empty" ask "$CASE"
row "ask \"an article case\""            "$TARGET_KB"     "$TMP/empty" ask "$CASE"
row "ask --json \"an article case\""     "$TARGET_KB"     "$TMP/empty" ask --json "$CASE"
row "ask - (1 MB description on stdin)"  "$BIG_TARGET_KB" "$TMP/big"   ask -
row "kb check"                           "$TARGET_KB"     "$TMP/empty" kb check
