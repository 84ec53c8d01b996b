#!/usr/bin/env bash
# All in-process and whole-process benchmarks, with their targets:
#   consultation, text in -> result out: median < 100 us   (bench/consult.c)
#   KB load + validate: median of 20 loads < 10 ms          (bench/consult.c)
#   peak RSS of one `knotfinder ask`: < 16 MB               (bench/rss.sh)
# The HTTP benchmark is bench/http/run.sh (needs wrk).  Builds what it needs.
#   bench/run.sh [--iterations N]     KNOTFINDER_KB picks the KB (default kb/)
set -u
cd "$(dirname "$0")/.."
make -s all benches || { echo "build failed"; exit 1; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
build/bench/consult ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} "$@" || exit 1
echo
bench/rss.sh
