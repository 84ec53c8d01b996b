#!/usr/bin/env bash
# The hosted course's API tests (tests/hosted/hosted_test.py), twice: on an
# SQLite file, and on a real PostgreSQL server started here in a temporary
# folder (initdb + pg_ctl on a private socket directory, no TCP) and
# stopped after.  tests/pg/pg.sh starts it when the tree has it; otherwise
# the same is done here.
#   tests/hosted/run.sh [BINARY]     (default build/knotfinder)
# The last line is "N passed, N failed" (", N skipped" when PostgreSQL is
# not installed, or the binary's PostgreSQL backend is not built; with CI
# set a skip counts as a failure).
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-${KNOTFINDER:-build/knotfinder}}
export KNOTFINDER_KB=${KNOTFINDER_KB:-$PWD/kb}
TMP=$(mktemp -d /tmp/kf-hosted-run-XXXXXX)
P=0; F=0; S=0
PGDIR=""; OWN_PG=0

cleanup() {
  [ -n "${SQLITE_PID:-}" ] && kill "$SQLITE_PID" 2>/dev/null
  if [ -n "$PGDIR" ]; then
    if [ "$OWN_PG" = 1 ]; then
      as_pg pg_ctl -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1
    else
      tests/pg/pg.sh stop "$PGDIR" >/dev/null 2>&1
    fi
  fi
  rm -rf "$TMP" "$PGDIR"
}
trap cleanup EXIT

tally() {   # tally OUTPUT_FILE
  local last; last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
  if [ -z "$last" ]; then F=$((F + 1)); return; fi
  P=$((P + ${last%% passed*})); local f=${last#*, }; F=$((F + ${f%% failed*}))
}

# The two backends run at the same time (each test waits on its own servers,
# sessions expiring and the like); their output is shown one after the other.
python3 tests/hosted/hosted_test.py "$BIN" "$TMP/hosted.db" >"$TMP/sqlite.out" 2>&1 </dev/null &
SQLITE_PID=$!

# ---- PostgreSQL ----
as_pg() {   # initdb and the server refuse to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}
URL=""
if [ -x tests/pg/pg.sh ]; then
  PGDIR=$(mktemp -d /tmp/kf-hosted-pg-XXXXXX)
  if tests/pg/pg.sh start "$PGDIR" >"$TMP/pg.log" 2>&1; then
    URL=$(tests/pg/pg.sh url "$PGDIR")
  else
    echo "FAIL tests/pg/pg.sh start"; cat "$TMP/pg.log"; F=$((F + 1))
  fi
elif BINDIR=$(pg_bin) && [ -n "$BINDIR" ]; then
  export PATH="$BINDIR:$PATH"
  PGDIR=$(mktemp -d /tmp/kf-hosted-pg-XXXXXX)
  OWN_PG=1
  [ "$(id -u)" -eq 0 ] && chown postgres "$PGDIR"
  PORT=$((20000 + RANDOM % 20000))
  if as_pg initdb -D "$PGDIR/data" -U kf -A trust --no-sync >"$TMP/pg.log" 2>&1 &&
     as_pg pg_ctl -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 \
       -o "-k $PGDIR -p $PORT -c listen_addresses='' -c fsync=off" start >>"$TMP/pg.log" 2>&1 &&
     as_pg createdb -h "$PGDIR" -p "$PORT" -U kf kf >>"$TMP/pg.log" 2>&1; then
    URL="postgresql://kf@/kf?host=$PGDIR&port=$PORT"
  else
    echo "FAIL starting PostgreSQL"; cat "$TMP/pg.log"; F=$((F + 1))
  fi
else
  echo "skip PostgreSQL: not installed (scripts/install-deps.sh --test installs it)"
  S=$((S + 1))
fi
if [ -n "$URL" ]; then
  # Is the binary's PostgreSQL backend there?
  if ! "$BIN" admin therapist nobody@example.org --db "$URL" >"$TMP/probe" 2>&1 &&
     grep -qiE "not (built|implemented|available)|stub" "$TMP/probe"; then
    echo "skip PostgreSQL: the backend is not in this build: $(cat "$TMP/probe")"
    S=$((S + 1))
  else
    python3 tests/hosted/hosted_test.py "$BIN" "$URL" >"$TMP/pg.out" 2>&1 </dev/null
    PG_RAN=1
  fi
fi
wait "$SQLITE_PID"
echo "== SQLite"
cat "$TMP/sqlite.out"
tally "$TMP/sqlite.out"
if [ "${PG_RAN:-0}" = 1 ]; then
  echo "== PostgreSQL ($URL)"
  cat "$TMP/pg.out"
  tally "$TMP/pg.out"
fi

# CI installs PostgreSQL (.ci/run): there a skip is a failure.
if [ "$S" -gt 0 ] && [ -n "${CI:-}" ]; then
  echo "FAIL PostgreSQL was skipped under CI"; F=$((F + S)); S=0
fi
if [ "$S" -gt 0 ]; then echo "$P passed, $F failed, $S skipped"; else echo "$P passed, $F failed"; fi
[ "$F" -eq 0 ]
