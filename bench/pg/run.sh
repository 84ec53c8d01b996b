#!/usr/bin/env bash
# The PostgreSQL store's rates (bench/pg/pg.c) on a private server started
# here (tests/pg/pg.sh: initdb + pg_ctl in a scratch folder, unix socket
# only, default settings: synchronous_commit on, so each saved consultation
# waits for its WAL flush), stopped after.  Builds what it needs.
#   bench/pg/run.sh [--n N]
set -u
cd "$(dirname "$0")/../.."
tests/pg/pg.sh bin >/dev/null 2>&1 || { echo "SKIP: no postgresql"; exit 0; }
make -s all >/dev/null || { echo "build failed"; exit 1; }
OBJS=$(ls build/obj/*.o | grep -v '/main\.o$')
D=$(mktemp -d /tmp/kf-bench-pg-XXXXXX)
P=$(mktemp -d /tmp/kf-bench-pgdata-XXXXXX)   # the server's (pg.sh gives it to postgres under root)
trap 'tests/pg/pg.sh stop "$P"; rm -rf "$D"' EXIT
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o "$D/pgbench" bench/pg/pg.c $OBJS \
   $(pkg-config --cflags jansson libmicrohttpd sqlite3 libedit libpq) \
   $(pkg-config --libs jansson libmicrohttpd sqlite3 libedit libpq) -ldl -lstemmer -lm -pthread ||
   { echo "bench build failed"; exit 1; }
tests/pg/pg.sh start "$P" || exit 1
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $("$(tests/pg/pg.sh bin)/postgres" --version), unix socket, $(df -T /tmp | awk 'NR==2 {print $2}') for its data"
"$D/pgbench" "$(tests/pg/pg.sh url "$P")" "$@"
