#!/usr/bin/env bash
# A warning sign read from a check-in's note (note_warnings) is settled by a
# later check-in that says it has gone or that a doctor has checked it, in
# many wordings; a sign said as still there, back or worse, a visit still to
# come, or a function lost ("can no longer feel my legs") keeps it; the same
# sign written again after it was settled warns again.  The level falls back
# to the consultation's own, and the plan says why (CLI text, JSON).
. "$(dirname "$0")/common.bash"

DESK="knot between my right shoulder blade and spine, I use the mouse all day with my right hand"
WARN="this morning my legs went weak and numb"
# story NAME NOTE...: a fresh journal, the desk consultation, the warning
# note, then one check-in per NOTE; the plan's JSON in $T/NAME.json.
story() {
  local name=$1; shift
  export XDG_DATA_HOME=$T/data-$name; mkdir -p "$XDG_DATA_HOME"
  "$K" ask "$DESK" >/dev/null
  "$K" log --pain 5 --note "$WARN" >/dev/null
  local n; for n in "$@"; do "$K" log --pain 4 --note "$n" >/dev/null; done
  "$K" plan --json > "$T/$name.json"
}
# q NAME EXPR: EXPR on j = the plan JSON of story NAME; exit 0 when true.
q() { python3 -c "import json,sys; j=json.load(open('$T/$1.json')); sys.exit(0 if ($2) else 1)"; }
SETTLED="j['result']['triage']['level']=='self_care' and not j['note_warnings'] and j['note_settled']"
WARNED="j['result']['triage']['level'] in ('emergency','doctor_soon') and j['note_warnings']"

story none "did the tennis ball, a bit better"
check "no settling words: the warning stands" q none "$WARNED and not j['note_settled']"

i=0
while IFS='|' read -r how note; do
  i=$((i + 1)); story gone$i "$note"
  check "settles ($how): '$note'" q gone$i "$SETTLED and j['note_settled'][0]['how']=='$how'"
done <<'EOF2'
gone|the numbness in my legs has gone
gone|my legs are no longer numb
gone|the leg numbness went away overnight
gone|legs feel normal again
gone|Legs fine again now, the weakness cleared up
doctor|saw my GP about the leg weakness, she said it is nothing serious
doctor|went to the doctor today, she examined me and all is fine
doctor|The GP checked my legs: all clear.
EOF2

i=0
while read -r note; do
  i=$((i + 1)); story keep$i "$note"
  check "keeps the warning: '$note'" q keep$i "$WARNED and not j['note_settled']"
done <<'EOF2'
the numbness has not gone
I can no longer feel my legs
legs still numb and weak
the numbness went away but came back this evening
the doctor wants to see me tomorrow about my legs
the GP sent me for an MRI of my back
the pain is gone
EOF2

# The same sign again after it was settled: a new warning, the old one settled.
story recur "the leg numbness went away" "my legs went numb again today"
check "settled, then numb again: warns again" q recur "$WARNED and len(j['note_settled'])==1"
# A new sign in the same note as a doctor's all-clear still warns.
story newsign "the doctor checked my legs and said it was fine, but now I have a high fever and chills"
check "doctor's all-clear, then a new sign: the new sign warns" \
  q newsign "j['note_settled'] and j['note_warnings'] and j['note_warnings'][0]['finding']!='leg_weakness'"

story newsign2 "saw the doctor about my legs, all fine, and now I have crushing chest pain spreading to my left arm"
check "one sentence: a doctor's all-clear, then a new sign after 'and now': the new sign warns" \
  q newsign2 "j['result']['triage']['level']=='emergency' and j['note_warnings']"

# The plan says it, and leads with no stale warning.
story text "saw my GP about the leg weakness, she said it is nothing serious"
"$K" plan | tr -s " \n" "  " > "$T/plan.txt"
check "the plan says the warning is settled" grep -q "says a doctor has checked the warning sign" "$T/plan.txt"
check "the plan says what to do if it comes back" grep -q "If it comes back or gets worse, see a doctor" "$T/plan.txt"
check "the plan's triage is back to self-care" bash -c "grep -q 'TRIAGE: self_care' '$T/plan.txt' && ! grep -q EMERGENCY '$T/plan.txt'"
check "the self-care steps are back" grep -q "Do this first" "$T/plan.txt"

# The consultation's own "see a doctor in the next few days" (thin bones):
# a doctor's all-clear in a note starts the self-care steps, chosen for
# thin bones; a visit still to come, or a new warning since, does not.
BONES="I'm 58 with osteoporosis (on tablets for it). Nagging knot between my right shoulder blade and spine for a few months now, I spend the afternoons hunched over my sewing machine"
bones() {
  local name=$1; shift
  export XDG_DATA_HOME=$T/data-$name; mkdir -p "$XDG_DATA_HOME"
  "$K" ask "$BONES" >/dev/null
  local n; for n in "$@"; do "$K" log --pain 5 --note "$n" >/dev/null; done
  "$K" plan --json > "$T/$name.json"
}
bones bones0 "still sore"
check "thin bones: before a doctor, see a doctor first" \
  q bones0 "j['result']['triage']['level']=='doctor_soon' and j['result']['plan'][0]['technique']=='see_doctor' and not j['doctor_checked_at']"
bones bones1 "went to my GP, she examined my back and said there is no fracture, it is a muscle knot"
check "thin bones, doctor's all-clear: self-care steps, the level 'mention'" \
  q bones1 "j['result']['triage']['level']=='mention_to_doctor' and j['result']['plan'][0]['technique']!='see_doctor' and j['doctor_checked_at']"
check "thin bones, doctor's all-clear: steps still chosen for thin bones" \
  q bones1 "'thin_bones' in j['result']['person'] and j['result']['left_out']"
check "thin bones, doctor's all-clear: no 'see a doctor' dropped as 'moved down'" \
  q bones1 "not any(c['kind']=='plan_drop' and c['technique']=='see_doctor' for c in j['changes'])"
bones bones2 "the GP wants to see me next week"
check "thin bones, a visit to come: still see a doctor first" \
  q bones2 "j['result']['triage']['level']=='doctor_soon' and not j['doctor_checked_at']"
bones bones4 "the doctor said my blood pressure is fine"
check "thin bones, a visit about something else: still see a doctor first" \
  q bones4 "j['result']['triage']['level']=='doctor_soon' and not j['doctor_checked_at']"
bones bones3 "saw the doctor, all fine" "this morning my legs went weak and numb"
check "thin bones, all-clear then a new warning: the warning leads" \
  q bones3 "j['result']['triage']['level']=='emergency' and j['note_warnings']"
# An emergency in the consultation is never lowered by a note.
export XDG_DATA_HOME=$T/data-emerg; mkdir -p "$XDG_DATA_HOME"
"$K" ask "low back pain since yesterday and now I have numbness between my legs and cannot pee" >/dev/null
"$K" log --pain 5 --note "saw the doctor, she said it is fine" >/dev/null
"$K" plan --json > "$T/emerg.json"
check "an emergency consultation stays an emergency after a doctor's all-clear note" \
  q emerg "j['result']['triage']['level']=='emergency' and not j['doctor_checked_at']"
finish
