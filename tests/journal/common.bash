# common.bash — sourced by the journal reliability tests (tests/journal/*.sh).
# Gives: $K (the knotfinder binary), $T (a scratch folder, removed at exit),
# ok/bad/check to count results, finish to print "N passed, N failed", and
# build_writer to compile tests/journal/writer.c against the store.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
K=${KNOTFINDER:-$ROOT/build/knotfinder}
T=$(mktemp -d /tmp/kf-journal-XXXXXX)
# A copy of the knowledge base taken now, so that edits to kb/ while the
# test runs cannot change its course.
cp -r "${KNOTFINDER_KB:-$ROOT/kb}" "$T/kb"
export KNOTFINDER_KB=$T/kb
CLEANUP=()
cleanup() {
  local c
  for c in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do eval "$c" >/dev/null 2>&1; done
  rm -rf "$T"
}
trap cleanup EXIT
PASS=0; FAIL=0; SKIP=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
skip() { SKIP=$((SKIP + 1)); echo "skip - $*"; }
check() { local d=$1; shift; if "$@" >/dev/null; then ok "$d"; else bad "$d"; fi; }
# The closing line: "N passed, N failed", and ", N skipped" when any was.
finish() {
  if [ "$SKIP" -gt 0 ]; then echo "$PASS passed, $FAIL failed, $SKIP skipped"
  else echo "$PASS passed, $FAIL failed"; fi
  [ "$FAIL" -eq 0 ]
}

[ -x "$K" ] || { echo "no binary at $K (run make)"; echo "0 passed, 1 failed"; exit 1; }
# A copy of the binary too: a rebuild during the test must not swap it.
cp "$K" "$T/knotfinder" && K=$T/knotfinder

build_writer() {
  local objs="build/obj/store.o build/obj/store_sqlite.o build/obj/store_pg.o build/obj/store_writer.o build/obj/kf.o"
  # shellcheck disable=SC2086
  make -s $objs >/dev/null &&
  cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o "$T/writer" tests/journal/writer.c \
     $objs \
     $(pkg-config --cflags --libs jansson sqlite3) -ldl -lm -pthread
}

# sql DB QUERY: prints the rows (| between columns), opening the file
# read-only: with the sqlite3 command when it is installed (fast), else with
# Python's sqlite3 module.
if command -v sqlite3 >/dev/null 2>&1; then
  sql() { sqlite3 -readonly -batch -noheader "$1" "$2"; }
else
  sql() {
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
  }
fi

# A random number of microseconds in [lo, hi).
rand_us() { echo $(( $1 + (RANDOM * 32768 + RANDOM) % ($2 - $1) )); }
