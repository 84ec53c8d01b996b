#!/usr/bin/env bash
# The revised plan against the length of the history (issue 14): the
# instructions of what `knotfinder plan` computes once the journal is open
# (the latest consultation's findings, the check-ins it reads, the revision)
# on 1 year and on 20 years of daily check-ins, beside the target: the same
# (+-20%).  The old way (every check-in read) is printed beside it.
# Instruction counts from callgrind (the same on a busy machine as on a
# quiet one); without valgrind, CPU times of the same work.
#   bench/journal/history.sh        KNOTFINDER_KB picks the KB
set -u
cd "$(dirname "$0")/../.."
make -s all >/dev/null || { echo "build failed"; exit 1; }
# the objects of today's sources (an object left behind by a renamed or
# removed source would define its symbols twice)
OBJS=$(for f in src/*.c; do b=${f#src/}; [ "$b" = main.c ] || echo "build/obj/${b%.c}.o"; done)
D=$(mktemp -d /tmp/kf-bench-history-XXXXXX); trap 'rm -rf "$D"' EXIT
cc -std=c11 -D_GNU_SOURCE -O2 -g -Isrc -o "$D/history" bench/journal/history.c $OBJS \
   $(pkg-config --cflags --libs jansson libmicrohttpd sqlite3 libedit libsodium) -ldl -lstemmer -lm -pthread ||
   { echo "bench build failed"; exit 1; }
export XDG_CACHE_HOME="$D/cache"
"$D/history" --make 365 "$D/1y.db" && "$D/history" --make 7300 "$D/20y.db" || exit 1

# instructions (or, without valgrind, microseconds) of plan_cost() on DB
cost() {  # cost DB [--all]
  if command -v valgrind >/dev/null 2>&1; then
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "--toggle-collect=plan_cost*" \
      "$D/history" --plan "$@" 2>&1 | sed -n 's/.*Collected : *//p'
  else
    local best=""
    for i in 1 2 3 4 5; do
      local a b; a=$(date +%s%N); "$D/history" --plan "$@" >/dev/null || return; b=$(date +%s%N)
      local us=$(( (b - a) / 1000 )); { [ -z "$best" ] || [ "$us" -lt "$best" ]; } && best=$us
    done
    echo "$best"
  fi
}
unit=instructions; command -v valgrind >/dev/null 2>&1 || unit="us (whole process, valgrind not installed)"
y1=$(cost "$D/1y.db"); y20=$(cost "$D/20y.db")
o1=$(cost "$D/1y.db" --all); o20=$(cost "$D/20y.db" --all)
if [ -z "$y1" ] || [ -z "$y20" ] || [ "$y1" = 0 ]; then echo "bench/journal/history: no figures"; exit 1; fi
awk -v y1="$y1" -v y20="$y20" -v o1="$o1" -v o20="$o20" -v unit="$unit" 'BEGIN {
  r = y20 / y1
  printf "revised plan (findings + check-ins read + revision), %s:\n", unit
  printf "  1 year of daily check-ins %.2fM, 20 years %.2fM: 20 y / 1 y = %.2f   target 0.80 .. 1.20: %s\n",
         y1 / 1e6, y20 / 1e6, r, (r >= 0.8 && r <= 1.2) ? "met" : "NOT met"
  if (o1 > 0)
    printf "  every check-in read (the old way): 1 year %.2fM, 20 years %.2fM (%.1f x)\n",
           o1 / 1e6, o20 / 1e6, o20 / o1
}'
