#!/usr/bin/env bash
# The method through the command line: check-ins are evidence.  One rule per
# block, each on a fresh journal: short relief after a step lowers the causes
# it works on and changes the first step; lasting relief keeps it; work on
# the sore spot that helps only for hours lowers the muscles right there and
# raises those that pull from elsewhere; generic massage counts as massage,
# not as a step aimed at a cause; worse after heat -> cold (and back);
# painkillers and rest change nothing.
. "$(dirname "$0")/common.bash"

MOUSE="knot between my right shoulder blade and spine, I use the mouse all day with my right hand"
fresh() { export XDG_DATA_HOME=$T/data-$1; mkdir -p "$XDG_DATA_HOME"; "$K" ask "$MOUSE" >/dev/null; }
logit() { "$K" log --pain 5 "$@" >/dev/null; }
planj() { "$K" plan --json > "$T/plan.json"; }
# py EXPR: evaluates EXPR with j = the plan JSON; exit 0 when true.
py() { python3 -c "import json,sys; j=json.load(open('$T/plan.json')); sys.exit(0 if ($1) else 1)"; }
SCORE='lambda r, c: next((x["score"] for x in r["causes"] if x["id"] == c), 0)'
BEFORE='lambda c: next((x["score"] for x in j["before"] if x["id"] == c), 0)'

# 1. Three short reliefs after the lat pinch.
fresh short
"$K" plan --json > "$T/plan0.json"
python3 -c "import json; j=json.load(open('$T/plan0.json')); assert j['result']['plan'][0]['technique']=='lat_pinch'" \
  && ok "before check-ins the lat pinch is the first step" || bad "before check-ins the lat pinch is the first step"
for h in 2 2 3; do logit --did lat_pinch --relief-hours $h; done
planj
check "short relief x3: the first step changes" py "j['result']['plan'][0]['technique'] != 'lat_pinch'"
check "short relief x3: the lat is lower than before" py "($SCORE)(j['result'],'latissimus_dorsi') < ($BEFORE)('latissimus_dorsi') - 0.1"
check "short relief x3: the lat's change is labelled down" \
  py "any(c['kind']=='cause_down' and c['cause']=='latissimus_dorsi' and c['after']<c['before'] for c in j['changes'])"
check "short relief x3: three absent relief findings" \
  py "sum(f['id'].startswith('relief_after_lat_pinch') and f['state']=='absent' for f in j['followups'])==3"
check "labels follow the net change" \
  py "all((c['after']<c['before'])==(c['kind']=='cause_down') for c in j['changes'] if c['kind'] in ('cause_down','cause_up') and c['before'] is not None)"
"$K" plan | tr -s " \n" "  " > "$T/plan.txt"
check "plan says it in plain words" grep -q "The lat pinch helped for only" "$T/plan.txt"
check "plan names the lat plainly" grep -q "the lat (latissimus dorsi)" "$T/plan.txt"
check "plan says what is next" grep -q "Next, " "$T/plan.txt"
# the lat ruled out, "Why it hurts" no longer names it as the chain the habit works through
"$K" plan | sed -n '/^Why it hurts/,/^Do this first/p' | tr -s " \n" "  " > "$T/why.txt"
check "the revised 'Why it hurts' does not name the ruled-out lat" \
  bash -c "grep -q 'Why it hurts' '$T/why.txt' && ! grep -q 'keeps the lat' '$T/why.txt' && ! grep -q 'because the lat' '$T/why.txt'"

# ... and nowhere else either (--full, JSON, the web's data): no cause's
# about, no reason, no habit's "keeps" and no massage muscle gives the lat.
"$K" plan --full | sed -n '/^Likely causes/,/^Your self-care plan/p' | tr -s " \n" "  " > "$T/full.txt"
check "plan --full: no line still gives the ruled-out lat as the chain" \
  bash -c "grep -q 'Likely causes' '$T/full.txt' && ! grep -Eiq 'keeps? the lat|the lat and|short lat|lat on that side' '$T/full.txt'"
check "plan --full: says the check-ins ruled the lat out" grep -q "check-ins ruled out the lat" "$T/full.txt"
check "JSON: no about or reason names the lat but to rule it out" \
  py "not [t for c in j['result']['causes'] for t in [c.get('about') or '']+[x.get('why') or '' for x in c['reasons']] if __import__('re').search(r'\\blat\\b', t) and 'ruled' not in t]"
check "JSON: the lat is in no habit's keeps and not in the massage list" \
  py "not any('latissimus_dorsi' in (c.get('keeps') or []) for c in j['result']['causes']) and not any(m['muscle']=='latissimus_dorsi' for m in j['result']['massage'])"

# 1b. A release with no relief finding of its own (the tender points, given
# for the QL after a lifting spasm): three short reliefs move it down the
# plan and the knot is learnt as coming back, instead of "nothing changes".
export XDG_DATA_HOME=$T/data-tender; mkdir -p "$XDG_DATA_HOME"
"$K" ask "strained my lower back shifting paving slabs two days ago, a hard knot low on the right side of my back, it seized up" >/dev/null
"$K" plan --json > "$T/plan.json"
if py "any(s['technique']=='tender_point_hold' for s in j['result']['first_steps'])"; then
  for h in 2 3 2; do logit --did tender_point_hold --relief-hours $h; done
  planj
  check "tender points short x3: out of the first steps" \
    py "not any(s['technique']=='tender_point_hold' for s in j['result']['first_steps'])"
  check "tender points short x3: the knot is learnt as coming back" \
    py "any(f['id']=='knot_recurring' and f['state']=='present' for f in j['followups'])"
  check "tender points short x3: said as relief that did not last" \
    py "any(c['technique']=='tender_point_hold' and 'did not last' in c['text'] for c in j['changes'])"
  check "tender points short x3: no 'nothing changes yet'" py "not any(c['kind']=='none' for c in j['changes'])"
else
  bad "the lifting strain's first steps hold the tender points (the story's premise)"
fi

# 2. Two lasting reliefs keep it.
fresh lasting
for h in 30 48; do logit --did lat_pinch --relief-hours $h; done
planj
check "lasting relief x2: the lat pinch stays first" py "j['result']['plan'][0]['technique'] == 'lat_pinch'"
check "lasting relief x2: the lat rises" py "($SCORE)(j['result'],'latissimus_dorsi') > ($BEFORE)('latissimus_dorsi')"
check "lasting relief x2: a keep note" py "any(c['kind']=='keep' and c['technique']=='lat_pinch' for c in j['changes'])"

# 3. The sore spot itself: tennis ball with relief for hours.
fresh sore
for h in 2 3 2; do logit --did tennis_ball --where medial_border:right --relief-hours $h; done
planj
check "sore spot short: the rhomboids fall" py "($SCORE)(j['result'],'rhomboids') < ($BEFORE)('rhomboids')"
check "sore spot short: the lat (from elsewhere) rises" py "($SCORE)(j['result'],'latissimus_dorsi') > ($BEFORE)('latissimus_dorsi')"

# 4. Generic massage is massage.
fresh massage
for h in 3 2; do logit --did massage --relief-hours $h; done
planj
check "generic massage: massage_no_help learnt" py "any(f['id']=='massage_no_help' and f['state']=='present' for f in j['followups'])"
check "generic massage: no finding about a cause it was aimed at" \
  py "not any(f['id'].startswith('relief_after_therapeutic') for f in j['followups'])"
check "generic massage is recorded as massage, not therapeutic massage aimed at the cause" \
  py "[t['technique'] for t in j['techniques']] == ['massage']"

# 5. Worse after heat -> cold; worse after cold -> heat.
fresh heat
logit --did heat --worse-after heat
planj
check "worse after heat: cold in the plan" py "any(s['technique']=='cold_therapy' for s in j['result']['plan'])"
check "worse after heat: no heat in the plan" py "not any(s['technique']=='heat_front' for s in j['result']['plan'])"
fresh cold
logit --did cold --worse-after cold
planj
check "worse after cold: warmth in the plan" py "any(s['technique']=='heat_front' for s in j['result']['plan'])"
check "worse after cold: no cold in the plan" py "not any(s['technique']=='cold_therapy' for s in j['result']['plan'])"

# 6. Rest and painkillers mask; they say nothing about a cause.
fresh mask
for w in rest painkiller rest; do logit --did $w --relief-hours 2; done
planj
check "rest/painkillers: no follow-up finding" py "j['followups'] == []"
check "rest/painkillers: the first step stays" py "j['result']['plan'][0]['technique'] == 'lat_pinch'"

# 7. Short relief raises what acts from elsewhere, but an activity the
# person never said (side sleeping for a desk worker) is put as a question
# after the causes that bear on what was said, not promoted as "more likely"
# (the rule kf_rank_top keeps for the ranking).  Said, it is promoted.
# (the knot on top of the shoulder: there the relief that fades raises side
# sleeping, which this desk worker never said)
DESK="knot on top of my right shoulder, I work at a desk all day"
unsaid() {
  export XDG_DATA_HOME=$T/data-$1; mkdir -p "$XDG_DATA_HOME"; "$K" ask "$2" >/dev/null
  for t in lat_pinch tennis_ball doorway_chest_stretch; do
    for h in 2 3 2; do logit --did $t --relief-hours $h; done
  done
  planj
}
unsaid desk "$DESK"
UP='[c for c in j["changes"] if c["kind"] == "cause_up" and c.get("technique") is None]'
check "unsaid habit: side sleeping is not called more likely" \
  py "all('more likely' not in c['text'] for c in $UP if c['cause'] == 'side_sleeping')"
check "unsaid habit: side sleeping is asked about" \
  py "any('not said you do it' in c['text'] for c in $UP if c['cause'] == 'side_sleeping')"
check "unsaid habit: it comes after every cause that was promoted" \
  py "[('not said' in c['text']) for c in $UP] == sorted('not said' in c['text'] for c in $UP)"
unsaid sleeper "$DESK, and I always sleep on my right side"
check "said habit: no question about it" py "not any('not said' in c['text'] for c in j['changes'])"

finish
