#!/usr/bin/env bash
# The knowledge base's load, in instructions (callgrind), beside the target
# of issue 14 (KB load + validate <= 10M): the load every command does when
# the .kb files have not changed since the last one (read and hashed, the
# snapshot's key, checksum and offsets checked, mapped), and for the
# before/after the load from the text (parse and check, what every load
# cost before the snapshot) and the first load after a change (the text,
# then the snapshot written: a second build compared with the first).
# A cache folder of its own (XDG_CACHE_HOME in a temporary folder).
#   bench/kbload.sh [--kb DIR]      (needs valgrind; make benches)
set -u
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null 2>&1 || { echo "bench/kbload: valgrind is not installed (apt-get install valgrind)"; exit 1; }
[ -x build/bench/kbload ] || { echo "bench/kbload: no build/bench/kbload (make benches)"; exit 1; }
kb=${KNOTFINDER_KB:-kb}
[ "${1:-}" = "--kb" ] && kb=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME="$tmp/cache"
ir() {  # ir MODE [ENV...]: instructions of measured()
  env "${@:2}" valgrind --tool=callgrind --callgrind-out-file=/dev/null "--toggle-collect=measured*" \
      build/bench/kbload --kb "$kb" "$1" 2>&1 | sed -n 's/.*Collected : *//p'
}
text=$(ir text KNOTFINDER_KB_CACHE=off)
first=$(ir text)
snap=$(ir load)
how=$(build/bench/kbload --kb "$kb" load | sed 's/.*, //')
awk -v t="$text" -v f="$first" -v s="$snap" -v how="$how" 'function m(x) { return sprintf("%.1fM", x / 1e6) }
BEGIN {
  if (!t || !s) { print "bench/kbload: no counts"; exit 1 }
  printf "KB load (instructions, callgrind):\n"
  printf "  load when the files are unchanged (read, hashed, snapshot checked and mapped): %s   target <= 10M: %s (%s)\n",
         m(s), s <= 10e6 ? "met" : "NOT met", how
  printf "  from the text (parse + check, every load before the snapshot): %s\n", m(t)
  printf "  first load after a change (the text, then the snapshot written): %s\n", m(f)
}'
