#!/usr/bin/env bash
# The journal's figures (issue 5): durable check-ins per second, size on disk
# per 1,000 check-ins, time to compute the revised plan from a year of daily
# check-ins; plus the same seen from the command line (a whole
# `knotfinder log` and `knotfinder plan` process).  Builds what it needs.
#   bench/journal/run.sh [--n N] [--runs R]    KNOTFINDER_KB picks the KB
set -u
cd "$(dirname "$0")/../.."
make -s all >/dev/null || { echo "build failed"; exit 1; }
make -s build/obj/store.o build/obj/store_sqlite.o build/obj/store_pg.o build/obj/kf.o >/dev/null
OBJS=$(ls build/obj/*.o | grep -v '/main\.o$')
D=$(mktemp -d /tmp/kf-bench-journal-XXXXXX); trap 'rm -rf "$D"' EXIT
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o "$D/journal" bench/journal/journal.c $OBJS \
   $(pkg-config --cflags jansson libmicrohttpd sqlite3 libedit libpq) $(pkg-config --libs jansson libmicrohttpd sqlite3 libedit libsodium) -ldl -lstemmer -lm -pthread ||
   { echo "bench build failed"; exit 1; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); journal on $(df -T "$D" | awk 'NR==2 {print $2" ("$1")"}')"
echo "SQLite $(pkg-config --modversion sqlite3)"
echo
"$D/journal" --dir "$D" "$@" || exit 1
K=build/knotfinder
echo
n=30
start=$(date +%s%N)
for i in $(seq 1 $n); do "$K" --db "$D/cli.db" log --pain 4 --did tennis_ball --relief-hours 2 >/dev/null || exit 1; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "whole process: knotfinder log, $n in a row: $((ms / n)) ms each ($(( n * 1000 / (ms > 0 ? ms : 1) )) per second)"
start=$(date +%s%N)
for i in $(seq 1 10); do "$K" --db "$D/year.db" plan >/dev/null || exit 1; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "whole process: knotfinder plan on the year's journal: $((ms / 10)) ms each (KB load included)"
echo
bench/journal/history.sh
