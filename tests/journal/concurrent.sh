#!/usr/bin/env bash
# Concurrent writers lose nothing: at the same time, on one journal,
#   - 4 shells each running `knotfinder log` 25 times (the CLI),
#   - 4 HTTP clients each posting 50 check-ins to `knotfinder serve`,
#   - 2 writer processes each committing 300 check-ins as fast as they can,
#   - 2 readers running `history` and `export` in a loop.
# Afterwards every check-in is there exactly once, every writer saw
# success, no reader failed, and integrity_check is ok.
source "$(dirname "$0")/common.bash"
build_writer || { bad "build the writer"; finish; exit 1; }
command -v curl >/dev/null || { bad "curl is needed"; finish; exit 1; }
DB=$T/shared.db
"$K" --db "$DB" log --pain 0 --note start >/dev/null || bad "create the journal"

"$K" --db "$DB" serve --port 0 > "$T/serve.log" 2>&1 &
SERVER=$!
CLEANUP+=("kill $SERVER")
port=
for _ in $(seq 1 50); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.log" | head -n 1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { bad "the server started"; cat "$T/serve.log"; finish; exit 1; }
URL=http://127.0.0.1:$port/api/v1/journal/checkins

cli() {   # cli P: 25 check-ins through the command
  local i fails=0
  for i in $(seq 1 25); do
    "$K" --db "$DB" log --pain $((i % 11)) --did tennis_ball --note "cli-$1-$i" \
        >/dev/null 2>>"$T/cli.err" || fails=$((fails + 1))
  done
  echo "$fails" > "$T/cli$1.fails"
}
web() {   # web P: 50 check-ins through the API
  local i code fails=0
  for i in $(seq 1 50); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
           -d "{\"pain\": $((i % 11)), \"did\": [\"lat_pinch\"], \"relief_hours\": 2, \"note\": \"web-$1-$i\"}" "$URL")
    [ "$code" = 201 ] || { fails=$((fails + 1)); echo "web-$1-$i: HTTP $code" >> "$T/web.err"; }
  done
  echo "$fails" > "$T/web$1.fails"
}
reader() {   # reader P: reads until the writers are done
  local fails=0 n=0
  while [ ! -e "$T/done" ]; do
    "$K" --db "$DB" history >/dev/null 2>>"$T/read.err" || fails=$((fails + 1))
    "$K" --db "$DB" export --csv >/dev/null 2>>"$T/read.err" || fails=$((fails + 1))
    n=$((n + 2))
  done
  echo "$fails $n" > "$T/reader$1.res"
}

start=$(date +%s%N)
reader 1 & R1=$!
reader 2 & R2=$!
pids=()
for p in 1 2 3 4; do cli "$p" & pids+=($!); done
for p in 1 2 3 4; do web "$p" & pids+=($!); done
for p in 1 2; do "$T/writer" "$DB" "w$p" 300 > "$T/w$p.out" 2>"$T/w$p.err" & pids+=($!); done
wrc=0
for pid in "${pids[@]}"; do wait "$pid" || wrc=1; done
touch "$T/done"; wait "$R1" "$R2"
ms=$(( ($(date +%s%N) - start) / 1000000 ))

sum() { local t=0 x; for x in $(cat "$@"); do t=$((t + x)); done; echo "$t"; }
cli_fails=$(sum "$T"/cli*.fails)
web_fails=$(sum "$T"/web*.fails)
check "CLI: 100 check-ins, every command succeeded ($cli_fails failed)" [ "$cli_fails" -eq 0 ]
[ -s "$T/cli.err" ] && head -n 3 "$T/cli.err"
check "web: 200 check-ins, every POST answered 201 ($web_fails failed)" [ "$web_fails" -eq 0 ]
[ -s "$T/web.err" ] && head -n 3 "$T/web.err"
check "writers: 600 check-ins, both finished cleanly" [ "$wrc" -eq 0 ] && [ "$(cat "$T/w1.out" "$T/w2.out" | wc -l)" -eq 600 ]
read -r f1 n1 < "$T/reader1.res"; read -r f2 n2 < "$T/reader2.res"
check "readers: $((n1 + n2)) reads while writing, none failed" [ $((f1 + f2)) -eq 0 ]
[ -s "$T/read.err" ] && head -n 3 "$T/read.err"

kill "$SERVER"; wait "$SERVER" 2>/dev/null; CLEANUP=()
count() { sql "$DB" "SELECT count(*) FROM checkins WHERE $1"; }
check "all 100 CLI check-ins are there" [ "$(count "note LIKE 'cli-%' AND via = 'cli'")" -eq 100 ]
check "all 200 web check-ins are there" [ "$(count "note LIKE 'web-%' AND via = 'web'")" -eq 200 ]
check "all 600 writer check-ins are there" [ "$(count "note LIKE 'w_-%'")" -eq 600 ]
check "none twice" [ "$(sql "$DB" 'SELECT count(*) - count(DISTINCT note) FROM checkins')" -eq 0 ]
check "integrity_check ok" [ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ]
echo "  900 concurrent check-ins in ${ms} ms"
finish
