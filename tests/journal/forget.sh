#!/usr/bin/env bash
# Forgetting: `knotfinder forget consultation:ID | checkin:ID | --all` and
# the DELETE endpoints delete for good: the row is gone, the words are no
# longer anywhere in the journal's files (secure_delete, and the WAL is
# emptied), other entries stay, and mistakes are clear errors.
source "$(dirname "$0")/common.bash"
DB=$T/j.db
inside() { cat "$DB" "$DB-wal" 2>/dev/null | grep -c -a "$1"; }
"$K" --db "$DB" ask "a knot under my left shoulder blade from the mouse, say purplemonkey" >/dev/null
"$K" --db "$DB" ask "tight top of my right shoulder from my heavy bag, say greenelephant" >/dev/null
"$K" --db "$DB" log --pain 5 --note "note bluewhale" >/dev/null
"$K" --db "$DB" log --pain 3 --note "note redpanda" >/dev/null
out=$("$K" --db "$DB" history)
check "history shows the ids to forget: check-ins" grep -q "#1 .*pain  5" <<<"$out"
check "history shows the ids to forget: consultations" grep -q '#2 .*"tight top of my right' <<<"$out"
check "the words are in the journal before" [ "$(inside bluewhale)" -gt 0 ]
"$K" --db "$DB" forget checkin:1 > "$T/o" 2>&1
check "forget checkin:1 says so" grep -q "Deleted check-in #1" "$T/o"
check "the check-in is gone" [ "$(sql "$DB" "SELECT count(*) FROM checkins WHERE id = 1")" = 0 ]
check "the other check-in stays" [ "$(sql "$DB" "SELECT note FROM checkins")" = "note redpanda" ]
check "its words are nowhere in the journal's files" [ "$(inside bluewhale)" -eq 0 ]
"$K" --db "$DB" forget consultation 1 >/dev/null
check "forget consultation 1: gone, and its words with it" \
      [ "$(sql "$DB" "SELECT count(*) FROM consultations WHERE id = 1")" = 0 ] && [ "$(inside purplemonkey)" -eq 0 ]
check "the other consultation stays" [ "$(sql "$DB" "SELECT count(*) FROM consultations")" = 1 ]
"$K" --db "$DB" forget checkin:1 >/dev/null 2>"$T/e"; rc=$?
check "forgetting it again: exit 3, says there is none" [ "$rc" -eq 3 ] && grep -q "no check-in #1" "$T/e"
for bad in "checkin:x" "checkin:0" "checkin:-2" "thing:3" "checkin" "checkin:1 2"; do
  # shellcheck disable=SC2086
  "$K" --db "$DB" forget $bad >/dev/null 2>&1; rc=$?
  check "forget $bad: a usage error (2)" [ "$rc" -eq 2 ]
done
"$K" --db "$DB" forget --all </dev/null >/dev/null 2>"$T/e"; rc=$?
check "forget --all without a terminal and without --yes: refused, nothing deleted" \
      [ "$rc" -eq 2 ] && [ "$(sql "$DB" "SELECT count(*) FROM checkins")" = 1 ]
"$K" --db "$DB" --json forget --all --yes > "$T/o"
check "forget --all --yes: says what went" grep -q '"consultations": 1, "checkins": 1' "$T/o"
check "forget --all: the journal is empty" \
      [ "$(sql "$DB" "SELECT (SELECT count(*) FROM consultations) + (SELECT count(*) FROM checkins)")" = 0 ]
check "forget --all: no word left in the files" [ "$(inside greenelephant)" -eq 0 ] && [ "$(inside redpanda)" -eq 0 ]
check "the journal still works afterwards" "$K" --db "$DB" log --pain 1

# The endpoints.
"$K" --db "$DB" ask "a knot under my left shoulder blade from the mouse, say yellowtiger" >/dev/null
"$K" --db "$DB" serve --port 0 > "$T/serve.log" 2>&1 &
SERVER=$!; CLEANUP+=("kill $SERVER")
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.log" | head -n 1)
  [ -n "$port" ] && break; sleep 0.1
done
U=http://127.0.0.1:$port/api/v1/journal
del() { curl -s -o "$T/body" -w '%{http_code}' -X DELETE "$@"; }
cid=$(sql "$DB" "SELECT max(id) FROM consultations")
kid=$(sql "$DB" "SELECT max(id) FROM checkins")
check "DELETE .../checkins/$kid: 200" [ "$(del "$U/checkins/$kid")" = 200 ] && grep -q '"checkins":1' "$T/body"
check "DELETE .../checkins/$kid again: 404" [ "$(del "$U/checkins/$kid")" = 404 ] && grep -q not_found "$T/body"
check "DELETE .../checkins/abc: 422" [ "$(del "$U/checkins/abc")" = 422 ]
check "DELETE .../consultations/$cid: 200, its words gone" \
      [ "$(del "$U/consultations/$cid")" = 200 ] && [ "$(inside yellowtiger)" -eq 0 ]
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"pain": 4}' "$U/checkins"
check "DELETE from another site: 403, nothing deleted" \
      [ "$(del -H 'Origin: http://evil.test' "$U")" = 403 ] && [ "$(sql "$DB" "SELECT count(*) FROM checkins")" = 1 ]
check "DELETE /api/v1/journal: 200, everything gone" \
      [ "$(del "$U")" = 200 ] && [ "$(sql "$DB" "SELECT count(*) FROM checkins")" = 0 ]
check "GET .../about names the file" \
      sh -c "curl -s '$U/about' | grep -q '\"path\":\"$DB\"'"
kill "$SERVER"; wait "$SERVER" 2>/dev/null; CLEANUP=()
finish
