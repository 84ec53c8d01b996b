#!/usr/bin/env bash
# The store's suite on PostgreSQL: starts a private server (tests/pg/pg.sh:
# initdb + pg_ctl in a scratch folder, unix socket only), runs the
# backend-parametric store tests (tests/unit/test_store_hosted.c) on SQLite
# and on that server, again through PgBouncer in transaction pooling mode,
# then the command line against it (--db URI), and stops the server
# whatever happens.
#   tests/pg/run.sh [BUILD_DIR]      (default build; build/san under SAN)
# Without initdb: "SKIP: no postgresql" and "0 passed, 0 failed, 1 skipped",
# unless CI is set (CI must not skip: scripts/install-deps.sh --test
# installs postgresql), then it fails.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
PASS=0; FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi; }

if ! tests/pg/pg.sh bin >/dev/null 2>&1; then
  echo "SKIP: no postgresql (initdb not found; scripts/install-deps.sh --test installs it)"
  if [ -n "${CI:-}" ]; then echo "0 passed, 1 failed"; exit 1; fi
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
T=$B/tests/test_store_hosted
K=${KNOTFINDER:-$B/knotfinder}
[ -x "$T" ] && [ -x "$K" ] || { echo "build first: make tests ($T, $K)"; echo "0 passed, 1 failed"; exit 1; }

D=$(mktemp -d /tmp/kf-pg-XXXXXX)
trap 'tests/pg/pg.sh stop "$D"' EXIT
if ! tests/pg/pg.sh start "$D"; then
  echo "0 passed, 1 failed"; exit 1
fi
ok "a private PostgreSQL server started ($("$(tests/pg/pg.sh bin)/postgres" --version))"

# 1. The store's own suite on both backends.
# KF_TEST_PG_RESTART: how test_pg_restart restarts the server between writes.
RESTART="tests/pg/pg.sh restart $D"
env KF_TEST_PG_HOST="$D/sock" KF_TEST_PG_RESTART="$RESTART" "$T" >"$D/unit.log" 2>&1; rc=$?
grep -E '^(==|FAIL|tests/unit|open |raw:|  )' "$D/unit.log" | head -60
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$D/unit.log" | tail -n 1)
p=0; f=0
if [ -n "$last" ]; then p=${last%% passed*}; f=${last#*, }; f=${f%% failed*}; fi
PASS=$((PASS + p)); FAIL=$((FAIL + f))
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then bad "test_store_hosted exited $rc"; tail -n 20 "$D/unit.log"; fi
echo "  store suite (SQLite + PostgreSQL): ${last:-no result line}"

# 2. The same suite through PgBouncer in transaction pooling mode (2 server
# connections per database, shared between transactions): nothing may rely
# on state kept on a connection.
if tests/pg/pg.sh bouncer "$D" 2>"$D/b.err"; then
  env KF_TEST_PG_HOST="$D/bsock" KF_TEST_PG_PORT=6432 KF_TEST_PG_ADMIN_HOST="$D/sock" \
      KF_TEST_PG_RESTART="$RESTART" KF_TEST_SKIP_SQLITE=1 "$T" >"$D/bouncer.log" 2>&1; rc=$?
  grep -E '^(==|FAIL|tests/unit|open |raw:|  )' "$D/bouncer.log" | head -60
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$D/bouncer.log" | tail -n 1)
  p=0; f=0
  if [ -n "$last" ]; then p=${last%% passed*}; f=${last#*, }; f=${f%% failed*}; fi
  PASS=$((PASS + p)); FAIL=$((FAIL + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then bad "test_store_hosted through PgBouncer exited $rc"; fi
  echo "  store suite through PgBouncer (transaction pooling): ${last:-no result line}"
elif grep -q "SKIP" "$D/b.err" && [ -z "${CI:-}" ]; then
  echo "SKIP: no pgbouncer: the suite through PgBouncer was not run"; SKIPPED=1
else
  bad "PgBouncer in front of the server: $(head -c 300 "$D/b.err")"
fi

# 3. The command line on PostgreSQL: the journal commands work with --db URI
# the same as on a file, and nothing is left in the server's state between
# processes (each command is a new process and a new connection).
export KNOTFINDER_KB=${KNOTFINDER_KB:-$PWD/kb}
U=$("tests/pg/pg.sh" url "$D")
check "knotfinder log --db postgresql://...: saved" \
      "$K" --db "$U" log --pain 4 --did tennis_ball --relief-hours 3 --note "from the CLI"
check "knotfinder ask saves the consultation there" \
      "$K" --db "$U" ask "a knot between my shoulder blades after a day at the desk"
"$K" --db "$U" history >"$D/h.txt" 2>&1
check "knotfinder history reads it back" grep -q "pain  4" "$D/h.txt"
"$K" --db "$U" export --json >"$D/e.json" 2>&1
check "knotfinder export --json: the check-in and the consultation" \
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]>=3 and len(d["checkins"])==1 and len(d["consultations"])==1 and d["checkins"][0]["note"]=="from the CLI"' "$D/e.json"
"$K" --db "$U" history --check >/dev/null 2>"$D/c.txt"
check "knotfinder history --check on PostgreSQL: fine" [ ! -s "$D/c.txt" ]
"$K" --db "${U%%\?*}?host=$D/nowhere" history >/dev/null 2>"$D/x.txt"; rc=$?
check "an unreachable server: exit 5, a clear message" \
      [ "$rc" -eq 5 ] && grep -q "cannot connect to PostgreSQL" "$D/x.txt"
echo "  message: $(head -c 200 "$D/x.txt")"
pw="postgresql://kf:NotThisPassword@/nosuchdb?host=$D/sock"
"$K" --db "$pw" history >/dev/null 2>"$D/p.txt"
check "the password of the URI is never printed" \
      bash -c "grep -q nosuchdb '$D/p.txt' && ! grep -q NotThisPassword '$D/p.txt'"
check "forget --all empties it" "$K" --db "$U" forget --all --yes
n=$(psql -X -A -t "$U" -c "SELECT (SELECT count(*) FROM checkins) + (SELECT count(*) FROM consultations)" 2>/dev/null)
check "nothing is left after forget --all" [ "$n" = "0" ]

# 4. A hot standby (a read replica that may lag): reads work, a write is
# refused at once with a sentence saying the database is read-only, and
# nothing reaches it.
"$K" --db "$U" log --pain 6 --note "before the standby" >/dev/null 2>&1
if tests/pg/pg.sh standby "$D" 2>"$D/sb.err"; then
  SU="postgresql://kf@/postgres?host=$D/ssock"
  "$K" --db "$SU" history >"$D/sh.txt" 2>&1
  check "a standby: knotfinder history reads the replicated check-in" grep -q "pain  6" "$D/sh.txt"
  "$K" --db "$SU" log --pain 2 >/dev/null 2>"$D/sw.txt"; rc=$?
  check "a standby: a write is refused (exit $rc), saying it is a read-only standby" \
        bash -c "[ $rc -ne 0 ] && grep -q 'read-only hot standby' '$D/sw.txt'"
  echo "  message: $(head -c 240 "$D/sw.txt")"
  n=$(psql -X -A -t "$U" -c "SELECT count(*) FROM checkins WHERE pain = 2" 2>/dev/null)
  check "the refused write reached no server" [ "$n" = "0" ]
else
  bad "a hot standby could not be made: $(head -c 300 "$D/sb.err")"
fi

if [ "${SKIPPED:-0}" -eq 1 ]; then echo "$PASS passed, $FAIL failed, 1 skipped"
else echo "$PASS passed, $FAIL failed"; fi
[ "$FAIL" -eq 0 ]
