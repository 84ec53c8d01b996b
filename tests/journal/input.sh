#!/usr/bin/env bash
# Out-of-range and malformed input gets a clear error naming the problem,
# with the right exit status (2 usage, 3 bad value), and nothing is saved.
# Covers `log` flags, `log` answered on stdin, `do`, `history`, `export`,
# and POST /api/v1/journal/checkins (422).
source "$(dirname "$0")/common.bash"
DB=$T/j.db
"$K" --db "$DB" log --pain 2 --note first >/dev/null || bad "first check-in"
rows() { sql "$DB" "SELECT count(*) FROM checkins"; }
n0=$(rows)

# expect EXIT PHRASE ARGS...: runs knotfinder --db DB ARGS, wants the exit
# status and the phrase on stderr.
expect() {
  local want=$1 phrase=$2; shift 2
  "$K" --db "$DB" "$@" >/dev/null 2>"$T/err" </dev/null; local rc=$?
  if [ "$rc" -eq "$want" ] && grep -qF -- "$phrase" "$T/err"; then
    ok "$* -> exit $want: $(head -n 1 "$T/err" | cut -c1-150)"
  else
    bad "$* -> exit $rc (want $want), stderr: $(head -c 300 "$T/err")"
  fi
}
tomorrow=$(date -u -d tomorrow +%Y-%m-%d)
soon=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
long=$(head -c 3000 /dev/zero | tr '\0' x)

expect 3 "0 (none) to 10"          log --pain 11
expect 3 "0 (none) to 10"          log --pain -1
expect 3 "whole number"            log --pain 6.5
expect 3 "whole number"            log --pain six
expect 3 "whole number"            log --pain ""
expect 3 "0 (none) to 10"          log --pain 5 --pain-before 12
expect 3 "cannot be negative"      log --pain 5 --relief-hours -2
expect 3 "cannot be negative"      log --pain 5 --relief-hours=-0.5
expect 3 "must be a number"        log --pain 5 --relief-hours lots
expect 3 "at most 8760"            log --pain 5 --relief-hours 9000
expect 3 "unknown unit"            log --pain 5 --relief-hours 2weeks
expect 3 "in the future"           log --pain 5 --at "$tomorrow"
expect 3 "in the future"           log --pain 5 --at "$soon"
expect 3 "in the future"           log --pain 5 --at 2999-01-01T00:00:00Z
expect 3 "not a day of the calendar" log --pain 5 --at 2023-02-29
expect 3 "is not a date"           log --pain 5 --at yesterday
expect 3 "before 1970"             log --pain 5 --at 1960-01-01T00:00:00Z
expect 3 "not a region"            log --pain 5 --where shoulder_blad
expect 3 "did you mean 'medial_border'" log --pain 5 --where medial_bordr:left
expect 3 "no left or right side"   log --pain 5 --where between_blades:left
expect 3 "left, right or both"     log --pain 5 --where medial_border:up
expect 3 "did you mean 'tennis_ball'" log --pain 5 --did tenis_ball
expect 3 "neither a technique"     log --pain 5 --worse-after yoga
expect 3 "too long"                log --pain 5 --note "$long"
expect 3 "control character"       log --pain 5 --note "$(printf 'bell\a')"
expect 3 "UTF-8"                   log --pain 5 --note "$(printf 'bad \xff byte')"
expect 2 "needs a value"           log --pain
expect 2 "unknown argument"        log --pain 5 --painn 4
expect 2 "unknown argument"        log stray
expect 3 "neither a technique"     do no_such_step --no-log
expect 3 "not one technique"       do heat --no-log
expect 3 "did you mean"            do tenis_ball --no-log
expect 2 "--scale"                 do tennis_ball --scale 5
expect 2 "--days"                  history --days 0
expect 2 "say --csv or --json"     export
expect 2 "unknown argument"        export --xml
check "nothing was saved by any of the bad commands" [ "$(rows)" -eq "$n0" ]

# Answers on stdin.
printf '11\n' | "$K" --db "$DB" log >/dev/null 2>"$T/err"; rc=$?
check "log answered on stdin: pain 11 -> exit 3" [ "$rc" -eq 3 ] && grep -q "0 (none) to 10" "$T/err"
printf '5\nmedial_border:right\ntennis_ball\n-3\n' | "$K" --db "$DB" log >/dev/null 2>"$T/err"; rc=$?
check "log answered on stdin: relief -3 -> exit 3" [ "$rc" -eq 3 ] && grep -q "negative" "$T/err"
: | "$K" --db "$DB" log >/dev/null 2>"$T/err"; rc=$?
check "log with no answers at all -> exit 2, says no pain given" [ "$rc" -eq 2 ] && grep -q "no pain score" "$T/err"
check "still nothing saved" [ "$(rows)" -eq "$n0" ]
printf '5\nmedial_border:right\ntennis_ball, heat\n2\nheat\nafter work\n' |
  "$K" --db "$DB" log >/dev/null 2>"$T/err"
check "log answered on stdin: a good check-in is saved" \
      [ "$(sql "$DB" "SELECT pain, region, side, did, relief_hours, worse_after, note FROM checkins ORDER BY id DESC LIMIT 1")" = "5|medial_border|right|tennis_ball,heat|2.0|heat|after work" ]

# A guided step, fast: pain before 6, after 4, not worse.
printf '6\n4\nn\n' | "$K" --db "$DB" do tennis_ball --scale 0.0005 >"$T/do.out" 2>"$T/err"; rc=$?
check "do tennis_ball --scale: runs, asks, logs (exit 0)" [ "$rc" -eq 0 ] && grep -q "Saved check-in" "$T/do.out"
check "do: logged the step with its time and pains" \
      [ "$(sql "$DB" "SELECT did, done_s, stopped_early, pain_before, pain, via FROM checkins ORDER BY id DESC LIMIT 1")" = "tennis_ball|300|0|6|4|do" ]
printf '6\n11\n' | "$K" --db "$DB" do lat_pinch --scale 0.0005 >/dev/null 2>"$T/err"; rc=$?
check "do: a pain of 11 afterwards -> exit 3, not logged" [ "$rc" -eq 3 ] && grep -q "0 (none) to 10" "$T/err"

# The API.
"$K" --db "$DB" serve --port 0 > "$T/serve.log" 2>&1 &
SERVER=$!
CLEANUP+=("kill $SERVER")
port=
for _ in $(seq 1 50); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.log" | head -n 1)
  [ -n "$port" ] && break; sleep 0.1
done
if [ -z "$port" ]; then
  bad "the server started"
else
  n1=$(rows)
  post() {   # post WANT_STATUS PHRASE BODY
    local out code
    out=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' -d "$3" \
          "http://127.0.0.1:$port/api/v1/journal/checkins")
    code=${out##*$'\n'}
    if [ "$code" = "$1" ] && grep -qF -- "$2" <<<"$out"; then ok "POST $3 -> $code"
    else bad "POST $3 -> $code (want $1): $out"; fi
  }
  post 422 "0 (none) to 10"     '{"pain": 11}'
  post 422 "0 (none) to 10"     '{"pain": 6.5}'
  post 422 "0 (none) to 10"     '{"pain": "6"}'
  post 422 "is required"        '{"where": "medial_border"}'
  post 422 "cannot be negative" '{"pain": 4, "relief_hours": -1}'
  post 422 "at most 8760"       '{"pain": 4, "relief_hours": 1e9}'
  post 422 "in the future"      "{\"pain\": 4, \"at\": \"$tomorrow\"}"
  post 422 "not a region"       '{"pain": 4, "where": "elbow"}'
  post 422 "neither a technique" '{"pain": 4, "did": ["yoga"]}'
  post 422 "must be a string"   '{"pain": 4, "did": [1]}'
  post 422 "unknown field"      '{"pain": 4, "mood": "grumpy"}'
  post 422 "JSON object"        '[1, 2]'
  post 400 "bad_json"           '{"pain": '
  check "the API saved nothing bad" [ "$(rows)" -eq "$n1" ]
  post 201 '"via":"web"'        '{"pain": 4, "where": "medial_border:left", "did": "tennis_ball, heat", "relief_hours": 1.5}'
  kill "$SERVER"; wait "$SERVER" 2>/dev/null; CLEANUP=()
fi
finish
