#!/usr/bin/env bash
# What is kept, and how much: a consultation keeps its words, its findings
# and the KB version (never its ~15 KB result, worked out again when read);
# one that recognised nothing is not kept; --no-save (global, on ask, on
# interview, on serve) and "save": false keep nothing; the README's example
# run (./run.sh with no words) keeps nothing; and a server flooded with
# consultations keeps at most a bounded number of them.
source "$(dirname "$0")/common.bash"
DB=$T/j.db
rows() { sql "$DB" "SELECT count(*) FROM consultations" 2>/dev/null || echo 0; }
TEXT="I have a knot in the crook of my right shoulder blade that keeps coming back; I use the mouse all day with my right hand."

"$K" --db "$DB" log --pain 1 >/dev/null          # the journal exists from here
"$K" --db "$DB" ask "" >/dev/null 2>&1
"$K" --db "$DB" ask "hello there, how are you" >/dev/null 2>&1
check "empty or unrecognised words are not kept ($(rows))" [ "$(rows)" -eq 0 ]
"$K" --db "$DB" ask "$TEXT" >/dev/null
check "a consultation that found something is kept ($(rows))" [ "$(rows)" -eq 1 ]
check "it keeps no result column" [ -z "$(sql "$DB" "SELECT name FROM pragma_table_info('consultations') WHERE name = 'result'")" ]
size=$(sql "$DB" "SELECT length(text) + length(findings) + length(kb_version) FROM consultations")
check "it keeps the words once, the findings, the KB version: $size bytes (the result alone was ~15000)" \
      [ "$size" -lt 2000 ] && [ "$(sql "$DB" "SELECT instr(findings, 'shoulder blade') FROM consultations")" = 0 ]
"$K" --db "$DB" --no-save ask "$TEXT" >/dev/null
"$K" --db "$DB" ask --no-save "$TEXT" >/dev/null
echo "no" | "$K" --db "$DB" --no-save interview "$TEXT" >/dev/null 2>&1
echo "no" | "$K" --db "$DB" interview --no-save "$TEXT" >/dev/null 2>&1
check "--no-save (knotfinder --no-save ask, ask --no-save, interview --no-save) keeps nothing ($(rows))" [ "$(rows)" -eq 1 ]
# The result comes back all the same: worked out again from the findings.
"$K" --db "$DB" export --json -o "$T/x.json"
python3 - "$T/x.json" <<'PY' && ok "the export gives each consultation's result, worked out again" || bad "the export gives each consultation's result"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["consultations"][0]
assert c["result"]["causes"] and c["result"]["triage"]["level"], c
PY
# The README's example run.
if [ -x ./run.sh ] && [ -x build/knotfinder ]; then
  XDG_DATA_HOME=$T/readme ./run.sh >/dev/null 2>&1
  check "./run.sh with no words (the README's example) keeps nothing" [ ! -e "$T/readme/knotfinder/knotfinder.db" ]
fi

# The server.
start() {  # start LOG ARGS...: sets $port
  local log=$1; shift
  "$K" --db "$DB" serve --port 0 "$@" > "$log" 2>&1 &
  SERVER=$!; CLEANUP+=("kill $SERVER")
  port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log" | head -n 1)
    [ -n "$port" ] && break; sleep 0.1
  done
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null; CLEANUP=(); }
consult() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$port/api/v1/consult"; }
start "$T/s1.log"
n0=$(rows)
consult "{\"text\": \"$TEXT\", \"save\": false}" >/dev/null
check "\"save\": false keeps nothing" [ "$(rows)" -eq "$n0" ]
check "\"save\": \"no\" is a 422" [ "$(consult '{"text": "a knot", "save": "no"}')" = 422 ]
consult "{\"text\": \"$TEXT\"}" >/dev/null; consult "{\"text\": \"$TEXT\"}" >/dev/null
check "the same words twice in a row are kept once" [ "$(rows)" -eq $((n0 + 1)) ]
before=$(stat -c %s "$DB")
fails=0
t0=$(date +%s%N)
for i in $(seq 1 300); do
  [ "$(consult "{\"text\": \"a knot under my left shoulder blade, day $i of the mouse\"}")" = 200 ] || fails=$((fails + 1))
done
secs=$(( ($(date +%s%N) - t0) / 1000000000 + 1 ))
kept=$(( $(rows) - n0 - 1 ))
# The bucket: 30 at once, then one per 2 s of the time the burst took.
most=$(( 30 + secs / 2 + 1 ))
check "300 different consultations in a burst: all answered ($fails failed)" [ "$fails" -eq 0 ]
check "... but only $kept kept in ${secs}s (at most $most: 30 at once, then one per 2 s)" \
      [ "$kept" -le "$most" ] && [ "$kept" -ge 30 ]
grep -q "faster than" "$T/s1.log" && ok "the server says it kept fewer" || bad "the server says it kept fewer"
stop
after=$(stat -c %s "$DB")
echo "  journal after 300 consultations: $after bytes (was $before)"
# An answer from the cache is saved as the first one was: two consultations
# asked in turn, twice each, with every one kept (--save-limit 0), make four
# rows (the second of each from the cache, the same bytes), then a bad
# --save-limit is refused.
start "$T/s3.log" --save-limit 0
n2=$(rows)
A="{\"text\": \"$TEXT (cache test A)\"}"
B="{\"text\": \"$TEXT (cache test B)\"}"
ans() { curl -s -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$port/api/v1/consult"; }
a1=$(ans "$A"); b1=$(ans "$B"); a2=$(ans "$A"); b2=$(ans "$B")
check "the same words answered twice give the same bytes (from the cache)" \
      [ -n "$a1" ] && [ "$a1" = "$a2" ] && [ "$b1" = "$b2" ]
check "... and each of the four is kept, the cached ones too ($(( $(rows) - n2 )) of 4)" \
      [ "$(( $(rows) - n2 ))" -eq 4 ]
check "the cached ones keep the same words and findings" \
      [ "$(sql "$DB" "SELECT count(DISTINCT findings || text) FROM consultations WHERE text LIKE '%(cache test _)'")" = 2 ]
stop
"$K" --db "$DB" serve --port 0 --save-limit -1 > "$T/s4.log" 2>&1
check "serve --save-limit -1 is a usage error" [ $? -eq 2 ]
start "$T/s2.log" --no-save
n1=$(rows)
consult "{\"text\": \"$TEXT and a new line\"}" >/dev/null
check "serve --no-save keeps nothing" [ "$(rows)" -eq "$n1" ]
stop
finish
