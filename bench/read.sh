#!/usr/bin/env bash
# The text reader's growth in instructions (callgrind: the same on a busy
# machine as on a quiet one): each shape of bench/read.c read once at 64 KB
# and at 512 KB, and the ratio beside the target of issue 14 (8 times the
# input in under 10 times the time); then the CPU times of build/bench/read
# (1 MB under 50 ms, 64 KB under 5 ms), which a loaded machine blurs.
#   bench/read.sh [--kb DIR]        (valgrind for the counts; make benches)
set -u
cd "$(dirname "$0")/.."
[ -x build/bench/read ] || { echo "bench/read: no build/bench/read (make benches)"; exit 1; }
kb=${KNOTFINDER_KB:-kb}
[ "${1:-}" = "--kb" ] && kb=$2
if command -v valgrind >/dev/null 2>&1; then
  ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "--toggle-collect=read_once*" \
           build/bench/read --kb "$kb" --once "$1" "$2" 2>&1 | sed -n 's/.*Collected : *//p'; }
  echo "text reader, instructions per read (callgrind)"
  for s in 0 1 2 3; do
    name=$(build/bench/read --kb "$kb" --once "$s" 16 | sed 's/:.*//')
    a=$(ir "$s" 65536); b=$(ir "$s" 524288)
    awk -v n="$name" -v a="$a" -v b="$b" 'BEGIN {
      if (!a) { print "  (no counts)"; exit }
      printf "  %-13s 64 KB %6.1fM (%3.0f a byte)  512 KB %6.1fM: 8x the input, %.2fx the instructions   target < 10x: %s\n",
             n, a / 1e6, a / 65536, b / 1e6, b / a, b / a < 10 ? "met" : "NOT met" }'
  done
fi
build/bench/read --kb "$kb"
