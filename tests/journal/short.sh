#!/usr/bin/env bash
# The short answer, as `ask` and the revised `plan` print it: a second
# "mention it at your next visit" message is named, not said a third time;
# the cause sentence stays one sentence after its colon (no capital).
. "$(dirname "$0")/common.bash"
export XDG_DATA_HOME=$T/data; mkdir -p "$XDG_DATA_HOME"

ARM="the pain goes from my shoulder down to my elbow and my fingers tingle, I lug the baby car seat on my right arm every day"
"$K" ask "$ARM" > "$T/ask.txt"
n=$(tr -s ' \n' '  ' < "$T/ask.txt" | grep -o "next visit" | wc -l)
check "ask: 'next visit' at most twice (said $n times)" test "$n" -le 2
check "ask: the second sign is still named" grep -q "Also mention: pain spreads down the arm" "$T/ask.txt"
check "ask: the level is unchanged" grep -q "TRIAGE: mention_to_doctor" "$T/ask.txt"
"$K" log --pain 4 --did switch_sides --relief-hours 2 >/dev/null
"$K" plan > "$T/plan.txt"
n=$(tr -s ' \n' '  ' < "$T/plan.txt" | grep -o "next visit" | wc -l)
check "plan: 'next visit' at most twice (said $n times)" test "$n" -le 2

SLEEP="woke up with a sore knot between my spine and right shoulder blade, I always sleep on my right side"
"$K" ask "$SLEEP" | tr -s ' \n' '  ' > "$T/sleep.txt"
check "the cause sentence is one sentence: no capital after its colon" \
  bash -c "grep -q 'The most likely cause is' '$T/sleep.txt' && ! grep -Eq '\\(likely\\): [A-Z][a-z]' '$T/sleep.txt'"
# With no check-in, no "... in what you said or logged" branch: that one is
# for muscles the check-ins ruled out.
PREG="30 weeks pregnant, sore knot under my right shoulder blade, I sit hunched at a laptop on the sofa all day"
"$K" ask "$PREG" | tr -s ' \n' '  ' > "$T/preg.txt"
check "no check-ins: the cause sentence does not speak of what was logged" bash -c "! grep -q 'or logged' '$T/preg.txt'"
finish
