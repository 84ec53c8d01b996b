#!/usr/bin/env bash
# Damaged, foreign, read-only and full journals: every command that touches
# the file gives a clear error (exit 5) and the file is never overwritten,
# "repaired" or replaced behind the user's back.
#   - not a database (a text file, random bytes, a broken header)
#   - truncated (half, whole pages missing, a stub)
#   - corrupt pages in the middle
#   - another program's SQLite file; a journal from a newer knotfinder
#   - a folder; a path whose folder does not exist
#   - read-only file / read-only folder (run as an unprivileged user when
#     root, since root ignores permissions): reading works, writing is
#     refused
#   - a full disk: a tiny tmpfs when mounting is allowed, and always a file
#     size limit (ulimit -f) that makes writes fail the same way
source "$(dirname "$0")/common.bash"
build_writer || { bad "build the writer"; finish; exit 1; }

GOOD=$T/good.db
"$T/writer" "$GOOD" g 400 >/dev/null || bad "make a journal"
"$K" --db "$GOOD" log --pain 3 --note "via the command" >/dev/null

hash() { sha256sum "$1" | cut -d' ' -f1; }

# refused NAME FILE PHRASE: history, log and export all exit 5 naming the
# problem, and the file is byte for byte what it was, with no -wal or
# -journal left beside it.
refused() {
  local name=$1 f=$2 phrase=$3 before rc all=1 cmd
  before=$(hash "$f")
  for cmd in "history" "log --pain 4" "export --json" "plan"; do
    # shellcheck disable=SC2086
    "$K" --db "$f" $cmd >/dev/null 2>"$T/err"; rc=$?
    if [ "$rc" -ne 5 ] || ! grep -q -- "$phrase" "$T/err"; then
      all=0; echo "  $name, $cmd: exit $rc: $(head -c 300 "$T/err")"
    fi
  done
  check "$name: clear error (exit 5, says \"$phrase\")" [ "$all" -eq 1 ]
  check "$name: the file was not touched" [ "$(hash "$f")" = "$before" ]
  check "$name: nothing was created beside it" \
        [ ! -e "$f-wal" ] && [ ! -e "$f-journal" ]
  echo "  message: $(head -n 1 "$T/err" | cut -c1-200)"
}

# found NAME FILE PHRASE: damage inside the pages, which an open does not
# look for (it checks the header and the schema only, so that its cost does
# not grow with the journal: issue 14): `history --check` reads every page,
# exits 5 naming the damage and leaves the file as it was; the other
# commands either work (the pages they touch are sound) or stop with exit 5
# naming the damage, never with another error.
found() {
  local name=$1 f=$2 phrase=$3 before rc all=1 cmd
  before=$(hash "$f")
  "$K" --db "$f" history --check >/dev/null 2>"$T/err"; rc=$?
  check "$name: history --check: exit 5, says \"$phrase\"" \
        [ "$rc" -eq 5 ] && grep -q -- "$phrase" "$T/err"
  echo "  message: $(head -n 1 "$T/err" | cut -c1-200)"
  check "$name: the check did not touch the file" [ "$(hash "$f")" = "$before" ]
  check "$name: nothing was created beside it" \
        [ ! -e "$f-wal" ] && [ ! -e "$f-journal" ]
  for cmd in "history" "export --json" "log --pain 4"; do
    # shellcheck disable=SC2086
    "$K" --db "$f" $cmd >/dev/null 2>"$T/err"; rc=$?
    if ! { [ "$rc" -eq 0 ] || { [ "$rc" -eq 5 ] && grep -q -- "$phrase" "$T/err"; }; }; then
      all=0; echo "  $name, $cmd: exit $rc: $(head -c 300 "$T/err")"
    fi
  done
  check "$name: other commands work or say \"$phrase\" (exit 5)" [ "$all" -eq 1 ]
}

copy() { cp "$GOOD" "$T/$1"; echo "$T/$1"; }

printf 'my shopping list\neggs, milk, magnesium\n' > "$T/notes.txt"
refused "a text file" "$T/notes.txt" "not an SQLite database"

head -c 8192 /dev/urandom > "$T/random.db"
refused "random bytes" "$T/random.db" "not an SQLite database"

f=$(copy header.db); printf 'SQLite format 2' | dd of="$f" conv=notrunc status=none
refused "a broken header" "$f" "not an SQLite database"

size=$(stat -c %s "$GOOD")
f=$(copy half.db); truncate -s $((size / 2 + 100)) "$f"
refused "truncated to half" "$f" "damaged"

f=$(copy pages.db); truncate -s 8192 "$f"
refused "truncated to two pages" "$f" "damaged"

f=$(copy stub.db); truncate -s 60 "$f"
refused "truncated to 60 bytes" "$f" "cannot open the journal"

f=$(copy corrupt.db)
dd if=/dev/urandom of="$f" bs=1 seek=$((size / 2)) count=3000 conv=notrunc status=none
found "3000 random bytes in the middle" "$f" "damaged"

f=$(copy btree.db)
printf '\x0d\xff\xff\xff\xff\xff\xff\xff' | dd of="$f" bs=1 seek=$((4096 * 2)) conv=notrunc status=none
found "a page header overwritten" "$f" "damaged"

sqlite3 "$T/foreign.db" "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');" 2>/dev/null ||
  python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('CREATE TABLE recipes (name TEXT)'); d.commit()" "$T/foreign.db"
refused "another program's database" "$T/foreign.db" "not a knotfinder journal"

f=$(copy newer.db)
sqlite3 "$f" "INSERT INTO schema_version VALUES (99, '2030-01-01T00:00:00Z');" 2>/dev/null ||
  python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute(\"INSERT INTO schema_version VALUES (99, '2030-01-01T00:00:00Z')\"); d.commit()" "$f"
rm -f "$f-wal" "$f-shm"
refused "a journal from a newer knotfinder" "$f" "newer than this knotfinder"

mkdir "$T/adir"
"$K" --db "$T/adir" history >/dev/null 2>"$T/err"; rc=$?
check "a folder given as --db: exit 5, says so" [ "$rc" -eq 5 ] && grep -q "a folder" "$T/err"
"$K" --db "$T/no/such/dir/j.db" log --pain 2 >/dev/null 2>"$T/err"; rc=$?
check "a missing folder: exit 5, says so, creates nothing" \
      [ "$rc" -eq 5 ] && grep -q "folder does not exist" "$T/err" && [ ! -e "$T/no" ]

# An empty file is not a journal (docs/JOURNAL.md: knotfinder never leaves
# one behind, since it makes a new journal whole before it takes the name):
# refused with a clear message and left as it is.
: > "$T/empty.db"
"$K" --db "$T/empty.db" log --pain 1 >/dev/null 2>"$T/err"; rc=$?
check "an empty file: exit 5, says it is empty, left as it is" \
      [ "$rc" -eq 5 ] && grep -q "empty (0 bytes)" "$T/err" && [ ! -s "$T/empty.db" ] &&
      [ ! -e "$T/empty.db-wal" ]
echo "  message: $(cat "$T/err")"

# ---- read-only ----
RO=$T/ro; mkdir -p "$RO/d"
cp "$K" "$RO/knotfinder"; cp -r "$KNOTFINDER_KB" "$RO/kb"
cp "$GOOD" "$RO/d/j.db"
chmod -R a+rX "$RO"; chmod a+rx "$T"
if [ "$(id -u)" -eq 0 ]; then
  AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  command -v setpriv >/dev/null || AS=()
else
  AS=()
fi
if [ "$(id -u)" -eq 0 ] && [ ${#AS[@]} -eq 0 ]; then
  for what in "read-only file: log refused" "read-only file: history" "read-only file: export" \
              "read-only file: unchanged" "read-only folder: log refused" "read-only folder: history" \
              "writable file in a read-only folder" "a new journal in a read-only folder" \
              "read-only: the file is unchanged"; do
    skip "$what (root without setpriv)"
  done
else
  runro() { KNOTFINDER_KB="$RO/kb" "${AS[@]+"${AS[@]}"}" "$RO/knotfinder" "$@"; }
  n0=$(sql "$RO/d/j.db" "SELECT count(*) FROM checkins")
  chmod 444 "$RO/d/j.db"; chmod 777 "$RO/d"
  before=$(hash "$RO/d/j.db")
  runro --db "$RO/d/j.db" log --pain 2 >/dev/null 2>"$T/err"; rc=$?
  check "read-only file: log refused (exit 5, says read-only)" [ "$rc" -eq 5 ] && grep -q "read-only" "$T/err"
  echo "  message: $(cat "$T/err")"
  check "read-only file: history still works" runro --db "$RO/d/j.db" history
  runro --db "$RO/d/j.db" export --json > "$T/ro.json" 2>"$T/err"
  check "read-only file: export gives every entry" \
        [ "$(grep -c '"pain":' "$T/ro.json")" -eq "$n0" ]
  check "read-only file: unchanged" [ "$(hash "$RO/d/j.db")" = "$before" ]
  rm -f "$RO/d/j.db-wal" "$RO/d/j.db-shm"
  chmod 555 "$RO/d"
  runro --db "$RO/d/j.db" log --pain 2 >/dev/null 2>"$T/err"; rc=$?
  check "read-only folder: log refused (exit 5, says read-only)" [ "$rc" -eq 5 ] && grep -q "read-only" "$T/err"
  check "read-only folder: history still works" runro --db "$RO/d/j.db" history
  chmod 666 "$RO/d/j.db"
  runro --db "$RO/d/j.db" log --pain 2 >/dev/null 2>"$T/err"; rc=$?
  check "writable file in a read-only folder: log refused clearly" [ "$rc" -eq 5 ] && grep -q "read-only" "$T/err"
  runro --db "$RO/d/new.db" log --pain 2 >/dev/null 2>"$T/err"; rc=$?
  check "a new journal in a read-only folder: exit 5, says the folder is read-only" [ "$rc" -eq 5 ] && grep -q "folder is read-only" "$T/err"
  echo "  message: $(cat "$T/err")"
  check "read-only: the file is unchanged" [ "$(hash "$RO/d/j.db")" = "$before" ]
  chmod 755 "$RO/d"
fi

# ---- a full disk ----
# fill DB: writes check-ins until a write fails (the writer reports each
# commit), then tries `knotfinder log` once more; prints
# "<saved> <exit of log>" and leaves the messages in $T/werr and $T/err.
fill() {
  local db=$1 saved rc
  "$T/writer" "$db" fill > "$T/wout" 2> "$T/werr"
  saved=$(wc -l < "$T/wout")
  # The writer's last close may merge its WAL into the journal and free
  # that room again: take what is left, so the disk is still full for log.
  cat /dev/zero > "$(dirname "$db")/filler" 2>/dev/null
  "$K" --db "$db" log --pain 5 --note "one more" >/dev/null 2>"$T/err"; rc=$?
  rm -f "$(dirname "$db")/filler"
  echo "$saved $rc"
}
full_checks() {   # full_checks LABEL DB SAVED RC
  local label=$1 db=$2 saved=$3 rc=$4
  check "$label: the writer stopped with a clear error" \
        grep -Eq "disk is full|disk may be full|may not grow|quota" "$T/werr"
  echo "  writer: $(cat "$T/werr")"
  check "$label: knotfinder log then fails with exit 5" [ "$rc" -eq 5 ]
  check "$label: and says the disk is full or the file may not grow" \
        grep -Eq "disk is full|disk may be full|may not grow|quota" "$T/err"
  echo "  message: $(cat "$T/err")"
  echo "  $saved check-ins saved before it filled up"
}

MNT=$T/tiny; mkdir -p "$MNT"
if mount -t tmpfs -o size=256k tmpfs "$MNT" 2>/dev/null; then
  CLEANUP+=("umount '$MNT'")
  read -r saved rc < <(fill "$MNT/j.db")
  full_checks "tmpfs of 256 KB" "$MNT/j.db" "$saved" "$rc"
  # Make room elsewhere and look at what was kept: every saved entry, and
  # a journal that passes integrity_check.
  cp "$MNT/j.db" "$T/full-copy.db"; [ -e "$MNT/j.db-wal" ] && cp "$MNT/j.db-wal" "$T/full-copy.db-wal"
  got=$(sql "$T/full-copy.db" "SELECT count(*) FROM checkins WHERE note LIKE 'fill-%'")
  check "tmpfs: the failed log added nothing" \
        [ "$(sql "$T/full-copy.db" "SELECT count(*) FROM checkins WHERE note = 'one more'")" = 0 ]
  check "tmpfs: all $saved saved check-ins are there ($got)" [ "$got" -eq "$saved" ]
  check "tmpfs: integrity_check ok" [ "$(sql "$T/full-copy.db" 'PRAGMA integrity_check')" = ok ]
  check "tmpfs: the full journal still opens and reads" "$K" --db "$MNT/j.db" history
  umount "$MNT" && CLEANUP=()
else
  echo "  (mounting a tmpfs is not allowed here: the file size limit below stands in)"
fi

# ulimit -f: writes past the limit fail with EFBIG (SIGXFSZ ignored).
DB=$T/limited.db
"$K" --db "$DB" log --pain 1 >/dev/null
# Per-file limit: once the writer has hit it and closed, the next process
# may find room again (the WAL is merged and reset), so only the writer's
# failure is certain here.
( trap '' XFSZ; ulimit -f 128; "$T/writer" "$DB" fill > "$T/wout" 2> "$T/werr" )
saved=$(wc -l < "$T/wout")
check "file size limit of 128 KB: the writer stopped with a clear error" \
      grep -Eq "disk is full|disk may be full|may not grow|quota" "$T/werr"
echo "  writer: $(cat "$T/werr")"
echo "  $saved check-ins saved before the limit"
got=$(sql "$DB" "SELECT count(*) FROM checkins WHERE note LIKE 'fill-%'")
check "file size limit: all $saved saved check-ins are there ($got)" [ "$got" -eq "$saved" ]
check "file size limit: integrity_check ok" [ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ]
check "file size limit: writing works again once there is room" "$K" --db "$DB" log --pain 2
finish
