#!/usr/bin/env bash
# What knotfinder writes about a person is private to them, whatever the
# umask: the journal and its -wal and -shm files (made by the CLI and by the
# server), an export written with -o and a chart written with --svg are all
# mode 0600, and a journal an older knotfinder left world-readable is made
# private when it is next opened.
source "$(dirname "$0")/common.bash"
umask 022
mode() { stat -c %a "$1" 2>/dev/null; }
DB=$T/j.db
"$K" --db "$DB" log --pain 3 --note one >/dev/null || bad "log"
check "the journal made by log is 0600 ($(mode "$DB"))" [ "$(mode "$DB")" = 600 ]
# The -wal and -shm files exist while a connection is open: keep one open.
"$K" --db "$DB" serve --port 0 > "$T/serve.log" 2>&1 &
SERVER=$!; CLEANUP+=("kill $SERVER")
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.log" | head -n 1)
  [ -n "$port" ] && break; sleep 0.1
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
       -d '{"pain": 4}' "http://127.0.0.1:$port/api/v1/journal/checkins")
check "a check-in through the server (HTTP $code)" [ "$code" = 201 ]
check "the -wal file is 0600 ($(mode "$DB-wal"))" [ "$(mode "$DB-wal")" = 600 ]
check "the -shm file is 0600 ($(mode "$DB-shm"))" [ "$(mode "$DB-shm")" = 600 ]
kill "$SERVER"; wait "$SERVER" 2>/dev/null; CLEANUP=()
"$K" --db "$DB" export --json -o "$T/out.json" || bad "export --json"
check "export -o FILE (JSON) is 0600 ($(mode "$T/out.json"))" [ "$(mode "$T/out.json")" = 600 ]
"$K" --db "$DB" export --csv -o "$T/out.csv" || bad "export --csv"
check "export -o FILE (CSV) is 0600 ($(mode "$T/out.csv"))" [ "$(mode "$T/out.csv")" = 600 ]
"$K" --db "$DB" history --svg "$T/chart.svg" >/dev/null || bad "history --svg"
check "history --svg FILE is 0600 ($(mode "$T/chart.svg"))" [ "$(mode "$T/chart.svg")" = 600 ]
# A journal the server creates.
"$K" --db "$T/s.db" serve --port 0 > "$T/serve2.log" 2>&1 &
SERVER=$!; CLEANUP+=("kill $SERVER")
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve2.log" | head -n 1)
  [ -n "$port" ] && break; sleep 0.1
done
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"pain": 2}' \
     "http://127.0.0.1:$port/api/v1/journal/checkins"
check "the journal made by the server is 0600 ($(mode "$T/s.db"))" [ "$(mode "$T/s.db")" = 600 ]
kill "$SERVER"; wait "$SERVER" 2>/dev/null; CLEANUP=()
# The default place: the folder is 0700 and the file 0600.
XDG_DATA_HOME=$T/xdg "$K" log --pain 1 >/dev/null || bad "log to the default place"
check "the default folder is 0700" [ "$(mode "$T/xdg/knotfinder")" = 700 ]
check "the default journal is 0600" [ "$(mode "$T/xdg/knotfinder/knotfinder.db")" = 600 ]
# An old world-readable journal is made private.
chmod 644 "$DB"
"$K" --db "$DB" history >/dev/null || bad "history"
check "a 0644 journal is 0600 once opened ($(mode "$DB"))" [ "$(mode "$DB")" = 600 ]
check "nothing but the journal files is left beside it" \
      [ -z "$(ls "$T" | grep -E '^(j|s)\.db\.new-')" ]
finish
