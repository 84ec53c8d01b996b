#!/usr/bin/env bash
# All in-process and whole-process benchmarks, with their targets:
#   consultation, text in -> result out: median < 100 us   (bench/consult.c)
#   KB load + validate: median of 20 loads < 10 ms          (bench/consult.c)
#   peak RSS of one `knotfinder ask`: < 16 MB               (bench/rss.sh)
#   posterior and consultation at 8/12/16/20 present findings, exact at >= 16,
#   Quickscore <= 200 instructions per step (valgrind)     (bench/posterior.c)
# The HTTP benchmark is bench/http/run.sh (needs wrk).  Builds what it needs.
#   bench/run.sh [--iterations N]     KNOTFINDER_KB picks the KB (default kb/)
set -u
cd "$(dirname "$0")/.."
make -s all benches || { echo "build failed"; exit 1; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
build/bench/consult ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} "$@" || exit 1
echo
build/bench/posterior ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} || exit 1
if command -v valgrind >/dev/null; then
  # instructions of 20 posteriors at 10 present findings, less the same run
  # at 0 (start-up and KB load), per Quickscore step (20 x 2^10)
  ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
           build/bench/posterior ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} --only "$1" --reps 20 2>&1 |
         sed -n 's/.*I *refs: *//p' | tr -d ,; }
  a=$(ir 10); b=$(ir 0)
  if [ -n "$a" ] && [ -n "$b" ]; then
    echo "Quickscore: $(( (a - b) / (20 * 1024) )) instructions per step   target <= 200"
  fi
else
  echo "Quickscore instructions per step: valgrind not installed"
fi
echo
bench/rss.sh
