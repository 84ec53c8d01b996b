#!/usr/bin/env bash
# The course in the knowledge base, checked through the binary: the real
# kb/ loads with its lessons; a copy of it with one lesson broken at a time
# fails `kb check` (exit 4) with the file:line of the problem; `lessons` and
# `lesson` list and print them (text and JSON) and --next reads the journal.
#   tests/kb/lessons.sh [BIN]     (from the repository root)
# Last line: "N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
bin=${1:-$root/build/knotfinder}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kf-lessons.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data" KNOTFINDER_WEB="$root/web"
unset KNOTFINDER_KB
passed=0 failed=0
ok()  { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '     %s\n' "$2"; return 0; }
has() { grep -qF -- "$2" <<<"$1"; }

out=$("$bin" --kb kb kb check 2>&1); rc=$?
if [ $rc = 0 ] && grep -qE ', [0-9]+ lessons in 5 modules$' <<<"$out"; then ok "kb/ loads with its course"
else bad "kb/ loads with its course" "rc=$rc: $out"; fi

# Our own words: no six words in a row of a lesson as in the articles.
if [ -d "$root/../shared/sources" ]; then
    out=$(python3 tests/kb/own_words.py kb/70-lessons.kb "$root/../shared/sources" 6 2>&1)
    [ $? = 0 ] && ok "the lessons share no six words in a row with the articles" ||
        bad "the lessons share no six words in a row with the articles" "$out"
fi

# broken NAME 'TEXT TO APPEND' 'EXPECTED MESSAGE' [SED-EXPR on 70-lessons.kb]
broken() {
    local name=$1 text=$2 want=$3 sedx=${4:-}
    rm -rf "$tmp/kb" && cp -r kb "$tmp/kb"
    [ -n "$sedx" ] && sed -i "$sedx" "$tmp/kb/70-lessons.kb"
    [ -n "$text" ] && printf '%b' "$text" >"$tmp/kb/71-broken.kb"
    local o rc
    o=$("$bin" --kb "$tmp/kb" kb check 2>&1); rc=$?
    if [ $rc = 4 ] && has "$o" "$want"; then ok "$name"
    else bad "$name" "rc=$rc, wanted '$want' in: $(head -c 600 <<<"$o")"; fi
}

L='[lesson extra]\nmodule = method\norder = 9\ntitle = Extra\n'
broken "unknown id in teaches (file:line)" "${L}para = P.\nteaches = rhomboids, tight_everything\nsource = test\n" \
    "71-broken.kb:6: lesson extra teaches 'tight_everything', which is no cause, technique or red flag"
broken "a duplicate lesson id names the first" "[lesson chain_lat]\nmodule = method\norder = 9\ntitle = T\npara = P.\nteaches = rhomboids\nsource = test\n" \
    "71-broken.kb:1: duplicate lesson id 'chain_lat' (first defined at 70-lessons.kb:"
broken "a duplicate order in a module" "[lesson extra]\nmodule = method\norder = 2\ntitle = T\npara = P.\nteaches = rhomboids\nsource = test\n" \
    "lesson extra has order 2 in module method, as lesson method_elsewhere (70-lessons.kb:"
broken "a missing source" "${L}para = P.\nteaches = rhomboids\n" "71-broken.kb:1: lesson extra has no source"
broken "an empty body" "${L}teaches = rhomboids\nsource = test\n" "71-broken.kb:1: lesson extra has an empty body"
broken "an unknown module" "[lesson extra]\nmodule = stretching\norder = 1\ntitle = T\npara = P.\nteaches = rhomboids\nsource = test\n" \
    "71-broken.kb:2: lesson extra: unknown module 'stretching'"
broken "a dose mark for a technique it does not teach" "${L}para = {dose lat_pinch}\nteaches = rhomboids\nsource = test\n" \
    "71-broken.kb:5: lesson extra: '{dose lat_pinch}': add lat_pinch to the lesson's teaches"
broken "a timer mark for a technique without a timer" "${L}para = {timer sitting_posture}\nteaches = sitting_posture\nsource = test\n" \
    "71-broken.kb:5: lesson extra: technique sitting_posture has no timer"
broken "an id of two kinds must say which" "${L}para = P.\nteaches = meningitis\nsource = test\n" \
    "which names a cause and a red flag: write cause:meningitis or redflag:meningitis"
# Coverage: take the mouse habit out of its lesson, the lat pinch's dose out
# of the techniques, a red flag out of the doctor module.
broken "a cause with a chain that no lesson teaches is named at its block" "" \
    "31-habits.kb:$(grep -n '^\[cause mouse_reach\]' kb/31-habits.kb | cut -d: -f1): cause mouse_reach has a chain" 's/^teaches = mouse_reach, /teaches = /'
broken "a technique whose dose no lesson shows" "" \
    "40-techniques.kb:$(grep -n '^\[technique lat_pinch\]' kb/40-techniques.kb | cut -d: -f1): technique lat_pinch: no lesson shows its dose" 's/How much: {dose lat_pinch} //'
broken "a red flag no lesson teaches" "" \
    "50-redflags.kb:46: redflag cardiac_crushing: no lesson teaches this warning sign" 's/ cardiac_crushing,//'

# ---- the commands -----------------------------------------------------------
out=$("$bin" --kb kb lessons 2>&1); rc=$?
n=$(grep -c '^  .* (\([a-z0-9_]*\))' <<<"$out")
[ $rc = 0 ] && [ "$n" -ge 40 ] && has "$out" "1. How knots work" && ok "lessons lists the modules and lessons ($n)" ||
    bad "lessons lists the modules and lessons" "rc=$rc n=$n"
out=$("$bin" --kb kb lessons --json 2>&1); rc=$?
if [ $rc = 0 ] && python3 -c '
import json,sys
d=json.load(sys.stdin)
assert len(d["modules"])==5 and d["next"] is None and d["total"]>=40
for m in d["modules"]:
    for l in m["lessons"]:
        assert l["paragraphs"] and l["teaches"] and l["source"] and l["done"] is False
        assert not any("{" in p for p in l["paragraphs"])
' <<<"$out"; then ok "lessons --json: modules, lessons with filled-in paragraphs"
else bad "lessons --json: modules, lessons with filled-in paragraphs" "$(head -c 300 <<<"$out")"; fi
out=$("$bin" --kb kb lesson tech_pinch --width 40 2>&1); rc=$?
dose=$(sed -n '/^\[technique lat_pinch\]/,/^\[/s/^dose = //p' kb/40-techniques.kb)
flat=$(tr '\n' ' ' <<<"$out" | tr -s ' ')
# (the dose goes on the sentence after "How much:", its first letter small)
[ $rc = 0 ] && grep -qiF -- "${dose%.}" <<<"$flat" && has "$out" "knotfinder do lat_pinch" &&
    [ "$(awk '{ if (length($0) > 40) n++ } END { print n+0 }' <<<"$out")" = 0 ] &&
    ok "lesson prints the dose from the technique, wrapped at --width" ||
    bad "lesson prints the dose from the technique, wrapped at --width" "rc=$rc: $(head -c 400 <<<"$out")"
"$bin" --kb kb lesson no_such_lesson >/dev/null 2>&1; rc=$?
[ $rc = 3 ] && ok "an unknown lesson is exit 3" || bad "an unknown lesson is exit 3" "rc=$rc"
"$bin" --kb kb lessons --done method_symptom,nope >/dev/null 2>&1; rc=$?
[ $rc = 3 ] && ok "--done with an unknown id is exit 3" || bad "--done with an unknown id is exit 3" "rc=$rc"
"$bin" --kb kb lessons --width 5 >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "--width out of range is exit 2" || bad "--width out of range is exit 2" "rc=$rc"

# --next: a newcomer without a journal starts with the method, and no
# journal is made; after a consultation, the chain of its likely cause.
out=$("$bin" --kb kb lessons --next 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "knotfinder lesson method_symptom" && [ ! -e "$tmp/data/knotfinder/knotfinder.db" ] &&
    ok "--next without a journal: the method first, nothing created" ||
    bad "--next without a journal: the method first, nothing created" "rc=$rc: $out"
db=$tmp/j.db
"$bin" --kb kb --db "$db" ask "I woke up this morning with a knot between my spine and shoulder blade. I always sleep on my side." >/dev/null 2>&1
# (the JSON on stdin: the whole course is longer than one argument may be)
done_all=$("$bin" --kb kb lessons --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(l["id"] for l in d["modules"][0]["lessons"]))')
out=$("$bin" --kb kb --db "$db" lessons --next --done "$done_all" --json 2>&1); rc=$?
nid=$(python3 -c 'import json,sys; n=json.load(sys.stdin)["next"]; print(n["id"], n["kind"], n["cause"])' <<<"$out" 2>&1)
[ $rc = 0 ] && [ "$nid" = "chain_side_sleeping cause side_sleeping" ] &&
    ok "--next after a consultation: the chain of its likely cause ($nid)" ||
    bad "--next after a consultation: the chain of its likely cause" "rc=$rc: $nid"
# Check-ins with relief of two hours after the ball: the next suspect.
for d in 2026-11-20 2026-11-21 2026-11-22; do
    "$bin" --kb kb --db "$db" log --pain 6 --did tennis_ball --relief-hours 2 --at "$d 09:00" >/dev/null 2>&1
done
out=$("$bin" --kb kb --db "$db" lessons --next --done "$done_all" 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "lasted only hours" && ok "--next after short relief: the next suspect" ||
    bad "--next after short relief: the next suspect" "rc=$rc: $out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
