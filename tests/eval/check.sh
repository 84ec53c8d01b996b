#!/usr/bin/env bash
# The evaluation on the labelled article cases, when they are present:
# fails below hit@3 0.85 or advice hit 0.85, or on any unsafe triage; the
# interview evaluation must do no worse than `ask` with a mean under 6
# questions.  Then the team's reading sets (tests/eval/reading-tune.jsonl,
# tuned on; tests/eval/reading-holdout.jsonl, never tuned on): no unsafe
# triage (READ_UNSAFE_MAX, default 0), and hit@3 at least what was reached
# (READ_HIT3_TUNE, READ_HIT3_HOLDOUT; the target is 0.90); the same for
# tests/eval/reading-fresh.jsonl (READ_HIT3_FRESH), 69 descriptions in fresh
# registers written before the reading was tuned on them; and
# tests/eval/reading-blind.jsonl, 160 descriptions written blind (without the
# lexicon or the reader's code) and never to be read or tuned on: only its
# figures are printed, guarded against regression 0.05 below what it measured
# when it was added (hit@3 0.86 -> READ_HIT3_BLIND 0.80) and against more
# unsafe triage than then (13 -> READ_UNSAFE_MAX_BLIND; the target is 0); the
# same for tests/eval/reading-blind2.jsonl, a second blind set of 150 (89
# self-care or mention, 61 needing a doctor), report-only: hit@3 0.89 when
# added -> READ_HIT3_BLIND2 0.84, unsafe 10 -> READ_UNSAFE_MAX_BLIND2; and
# tests/eval/reading-blind3.jsonl, a third blind set of 120 (68 self-care or
# mention, 52 needing a doctor), measured once on the merged code of
# 2026-12-02 (hit@3 0.93, unsafe 5).  The under-triaged descriptions of the
# three sets were then read by the lead (so the sets are no longer blind for
# their unsafe cases) and their families fixed generally; the guards are
# today's figures less 0.03 and today's unsafe counts (blind 2, blind2 1,
# blind3 0; the target is 0).  tests/eval/reading-blind4a.jsonl and
# reading-blind4b.jsonl: a fourth blind set of 150 focused on the cause
# ranking (111 muscle or habit, 39 other), written blind on 2026-12-02 and
# split in two halves (odd and even lines) BEFORE anyone read it: 4a may be
# read to find families of misreadings, 4b stays untouched.  Measured once
# when added: 4a hit@3 0.85, unsafe 0; 4b hit@3 0.81, unsafe 0 -> guards
# today's figures less 0.03, unsafe 0.  At the end of that session's work
# (ranking by families, context and reading fixes) the guards were raised to
# its figures less 0.03: holdout 0.83, blind 0.93 (unsafe 1), blind2 0.91
# (unsafe 0), blind3 0.95, blind4a 0.90, blind4b 0.84.
# tests/eval/reading-blind5a.jsonl and reading-blind5b.jsonl: a fifth blind
# set of 150 (92 muscle or habit, 58 where triage matters; registers from 13
# first languages, voice dictation, forum titles, bullet lists), written blind
# on 2026-12-02 (third session) and split (odd and even lines) before anyone
# read it: 5a may be read, 5b stays untouched.  Measured once when added: 5a
# hit@3 0.93, unsafe 0; 5b hit@3 0.85, unsafe 2 -> guards 0.90 / 0.82 and
# today's unsafe counts (the target is 0).  At the end of that session
# (ranking tiers, reading families, fresh safety wordings) the guards were
# raised to its figures less 0.03: blind 0.95, blind2 0.94, blind3 0.96,
# blind4b 0.85, blind5a 0.96, blind5b 0.84 (unsafe 2; 5b still untouched).
# tests/eval/reading-blind6a.jsonl and reading-blind6b.jsonl: a sixth blind
# set of 160 written blind and split (odd and even lines) before anyone read
# it; 6a may be read, 6b stays untouched.  At the end of the session that
# added it: 6a hit@3 0.93, unsafe 0; 6b hit@3 0.95, unsafe 1 -> guards
# 0.90 / 0.92 and those unsafe counts (the target is 0).
# tests/eval/reading-blind7a.jsonl and reading-blind7b.jsonl: a seventh blind
# set of 160 focused on triage and context (72 needing a doctor), written
# blind on 2026-12-03 and split before any run.  Measured once when added:
# 7a hit@3 0.85 unsafe 4, 7b 0.91 unsafe 2; after the fixes from 7a, 7a 0.96
# unsafe 0 and 7b unchanged (still untouched) -> guards 0.93 / 0.88 and
# unsafe 0 / 2 (the target is 0).  Then the lead read 7b's two under-triaged
# rows (so 7b is no longer blind for those two) and fixed their families
# (the shade before the word for colour, "grey colour"; "no power/strength"
# in the arm or hand): 7b hit@3 0.93, unsafe 0 -> guards 0.90 and 0.
# tests/eval/reading-blind8a.jsonl and reading-blind8b.jsonl: an eighth blind
# set of 160, written blind and split the same way; 8a may be read, 8b stays
# untouched.  At the end of the session that added it: 8a hit@3 0.97, unsafe
# 0; 8b hit@3 0.96, unsafe 0 -> guards 0.94 / 0.93, unsafe 0.
# tests/eval/reading-blind9a.jsonl and reading-blind9b.jsonl: a ninth blind
# set of 120 (60 needing a doctor, 60 look-alikes) in the registers other
# sets under-represent (carers of elderly parents, teens and their parents,
# pregnancy and the weeks after a birth, manual workers, warning signs buried
# in a long story, denied or minimised, medicine lists, numbers in digits),
# written blind and split (odd and even lines) before any run; 9a may be
# read, 9b stays untouched.  Measured once when added: 9a hit@3 0.92 unsafe
# 0, 9b 0.93 unsafe 0; after the fixes from 9a (kb/82-lexicon-blind9.kb),
# 9a 0.93 unsafe 0, 9b unchanged -> guards 0.90 / 0.90, unsafe 0 / 0.
# tests/eval/reading-blind10a.jsonl and reading-blind10b.jsonl: a tenth
# blind set of 160 (71 needing a doctor, every mimic family, early pregnancy
# and the weeks after a birth; 89 muscle or habit look-alikes) in registers
# of its own (texting, very short, rambling, non-native, dictated, carers,
# the wrong muscle named, stacked negations, past history against now),
# written blind and split (odd and even lines) before any run; 10a may be
# read, 10b stays untouched.  Measured once when added: 10a hit@3 0.86
# unsafe 3, 10b 0.89 unsafe 2; after the fixes from 10a
# (kb/84-lexicon-blind10.kb), 10a 0.96 unsafe 0, 10b unchanged -> guards
# 0.93 / 0.86, unsafe 0 / 2 (the target is 0).  The eighth safety round
# (kb/90, written without reading 10b) then brought 10b's unsafe to 1 ->
# READ_UNSAFE_MAX_BLIND10B 1.
# tests/eval/reading-blind11a.jsonl and reading-blind11b.jsonl: an eleventh
# blind set of 160 (45 needing a doctor, the warning signs and risk factors
# in unusual wordings: the pill, a long flight or an operation before a
# clot, brittle bones or steroids before a fracture, minimised or denied
# signs; 115 muscle or habit look-alikes in texting, very short, rambling,
# non-native, carer, elderly, pregnant, trades and sports registers, the
# wrong muscle named, stacked negations, worries as questions), written
# blind and split at random (python random, seed 1111) before any run; 11a
# may be read, 11b stays untouched.  Measured once when added: 11a hit@3
# 0.93 unsafe 0, 11b 0.88 unsafe 2; after the fixes from 11a
# (kb/91-lexicon-blind11.kb), 11a 0.96 unsafe 0, 11b unchanged -> guards
# 0.93 / 0.85, unsafe 0 / 2 (the target is 0).
# The default
# (short) answer must fit: median <= 35 lines, max <= 50 at 80 columns, and
# its first steps hold one of the therapist's own suggestions in >= 80% of
# the self-care cases (tests/eval/short_answer.py).  KNOTFINDER selects the
# binary.
set -u
cd "$(dirname "$0")/../.."
BIN=${KNOTFINDER:-build/knotfinder}
CASES=${CASES:-../shared/cases/articles.jsonl}
if [ ! -f "$CASES" ]; then
  echo "no $CASES here: evaluation skipped"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
reading=()
for half in tune holdout fresh blind blind2 blind3 blind4a blind4b blind5a blind5b blind6a blind6b \
            blind7a blind7b blind8a blind8b blind9a blind9b blind10a blind10b blind11a blind11b; do
  f=tests/eval/reading-$half.jsonl
  [ -f "$f" ] || continue
  out=$("$BIN" eval --json "$f") || { echo "eval $f failed"; echo "0 passed, 1 failed"; exit 1; }
  reading+=("$half" "$out")
done
# tests/eval/ranking-rank7.jsonl: 48 descriptions of our own in the cause
# ranking families of issue 10 (the rib muscles under the arm against the
# lat by how long relief held, rowers, lifters, musicians, new mothers, a
# child on one hip, the urgent mimics ordered by fit), labelled from the
# therapist's replies in ../shared/sources/ and tuned on.  Before the
# ranking work: hit@1 0.78, hit@3 0.87, unsafe 0; after: hit@1 0.96, hit@3
# 0.96, unsafe 0 -> guards hit@3 0.93 (its figure less 0.03), unsafe 0.
if [ -f tests/eval/ranking-rank7.jsonl ]; then
  out=$("$BIN" eval --json tests/eval/ranking-rank7.jsonl) || { echo "eval ranking-rank7 failed"; echo "0 passed, 1 failed"; exit 1; }
  reading+=(rank7 "$out")
fi
# tests/eval/ranking-rank8.jsonl: 60 descriptions of our own, one or more for
# every muscle and habit cause of ../shared/cases/VOCABULARY.md, each with the
# clue the therapist in ../shared/sources/ answers (relief that lasts hours,
# the tender lat or rib muscles, the chest, the head forward, the side slept
# on, the one-sided carry or mouse), labelled and measured once before the
# ranking work of that session: hit@1 0.85, hit@3 0.97, unsafe 0; after it
# (the clamped phone, pressing trained often, lasting relief on the spot, a
# likelier cause needing a doctor named first): hit@1 0.85, hit@3 0.98,
# advice 0.97, unsafe 0 -> guards hit@3 0.95 (its figure less 0.03), unsafe 0.
if [ -f tests/eval/ranking-rank8.jsonl ]; then
  out=$("$BIN" eval --json tests/eval/ranking-rank8.jsonl) || { echo "eval ranking-rank8 failed"; echo "0 passed, 1 failed"; exit 1; }
  reading+=(rank8 "$out")
fi
# tests/eval/ranking-rank9.jsonl: 20 descriptions of our own of a load carried
# on one side (a bag, a strap, a toddler on a hip, a tool bag) on the side that
# hurts, on the other side beside another one-sided habit, and on both sides,
# measured once before the work on the load's side: hit@1 0.75, hit@3 0.90,
# unsafe 0; after it (the side after the load read, a load on the side that
# cannot explain the pain weighed as a guess, on the side that hurts counted in
# full): hit@1 0.85, hit@3 0.95 -> guards hit@3 0.92 (less 0.03), unsafe 0.
if [ -f tests/eval/ranking-rank9.jsonl ]; then
  out=$("$BIN" eval --json tests/eval/ranking-rank9.jsonl) || { echo "eval ranking-rank9 failed"; echo "0 passed, 1 failed"; exit 1; }
  reading+=(rank9 "$out")
fi
# tests/eval/ranking-rank10.jsonl: 40 descriptions of our own in the ranking
# families of round 10 (reaching behind the back with a deep armpit ache, a
# pain traced from the neck down the arm with tingling, a strap on one
# shoulder, feeding a baby head down, swimmers, rowers and paddlers, lifting
# from the floor or lifting a person, one arm held up, a bench session),
# labelled by ../shared/cases/VOCABULARY.md and measured once before the work
# of that session: hit@1 0.75, hit@3 0.95, unsafe 0; after it (the
# subscapularis behind the back, neck_to_arm, swimming its own finding, a
# feed looked down at, a computer sat at, heavy lifting of loads and
# people): hit@1 0.85, hit@3 0.95 -> guards hit@3 0.92
# (its figure less 0.03), unsafe 0.
if [ -f tests/eval/ranking-rank10.jsonl ]; then
  out=$("$BIN" eval --json tests/eval/ranking-rank10.jsonl) || { echo "eval ranking-rank10 failed"; echo "0 passed, 1 failed"; exit 1; }
  reading+=(rank10 "$out")
fi
"$BIN" eval "$CASES" || true
ask=$("$BIN" eval --json "$CASES") || { echo "eval failed"; echo "0 passed, 1 failed"; exit 1; }
iv=$("$BIN" eval --json --interview "$CASES") || { echo "eval --interview failed"; echo "0 passed, 1 failed"; exit 1; }
main=$(READ_HIT3_TUNE=${READ_HIT3_TUNE:-0.90} READ_HIT3_HOLDOUT=${READ_HIT3_HOLDOUT:-0.83} \
READ_HIT3_FRESH=${READ_HIT3_FRESH:-0.97} \
READ_HIT3_BLIND=${READ_HIT3_BLIND:-0.95} READ_UNSAFE_MAX_BLIND=${READ_UNSAFE_MAX_BLIND:-1} \
READ_HIT3_BLIND2=${READ_HIT3_BLIND2:-0.94} READ_UNSAFE_MAX_BLIND2=${READ_UNSAFE_MAX_BLIND2:-0} \
READ_HIT3_BLIND3=${READ_HIT3_BLIND3:-0.96} READ_UNSAFE_MAX_BLIND3=${READ_UNSAFE_MAX_BLIND3:-0} \
READ_HIT3_BLIND4A=${READ_HIT3_BLIND4A:-0.90} READ_UNSAFE_MAX_BLIND4A=${READ_UNSAFE_MAX_BLIND4A:-0} \
READ_HIT3_BLIND4B=${READ_HIT3_BLIND4B:-0.85} READ_UNSAFE_MAX_BLIND4B=${READ_UNSAFE_MAX_BLIND4B:-0} \
READ_HIT3_BLIND5A=${READ_HIT3_BLIND5A:-0.96} READ_UNSAFE_MAX_BLIND5A=${READ_UNSAFE_MAX_BLIND5A:-0} \
READ_HIT3_BLIND5B=${READ_HIT3_BLIND5B:-0.84} READ_UNSAFE_MAX_BLIND5B=${READ_UNSAFE_MAX_BLIND5B:-2} \
READ_HIT3_BLIND6A=${READ_HIT3_BLIND6A:-0.90} READ_UNSAFE_MAX_BLIND6A=${READ_UNSAFE_MAX_BLIND6A:-0} \
READ_HIT3_BLIND6B=${READ_HIT3_BLIND6B:-0.92} READ_UNSAFE_MAX_BLIND6B=${READ_UNSAFE_MAX_BLIND6B:-1} \
READ_HIT3_BLIND7A=${READ_HIT3_BLIND7A:-0.93} READ_UNSAFE_MAX_BLIND7A=${READ_UNSAFE_MAX_BLIND7A:-0} \
READ_HIT3_BLIND7B=${READ_HIT3_BLIND7B:-0.90} READ_UNSAFE_MAX_BLIND7B=${READ_UNSAFE_MAX_BLIND7B:-0} \
READ_HIT3_BLIND8A=${READ_HIT3_BLIND8A:-0.94} READ_UNSAFE_MAX_BLIND8A=${READ_UNSAFE_MAX_BLIND8A:-0} \
READ_HIT3_BLIND8B=${READ_HIT3_BLIND8B:-0.93} READ_UNSAFE_MAX_BLIND8B=${READ_UNSAFE_MAX_BLIND8B:-0} \
READ_HIT3_BLIND9A=${READ_HIT3_BLIND9A:-0.90} READ_UNSAFE_MAX_BLIND9A=${READ_UNSAFE_MAX_BLIND9A:-0} \
READ_HIT3_BLIND9B=${READ_HIT3_BLIND9B:-0.90} READ_UNSAFE_MAX_BLIND9B=${READ_UNSAFE_MAX_BLIND9B:-0} \
READ_HIT3_BLIND10A=${READ_HIT3_BLIND10A:-0.93} READ_UNSAFE_MAX_BLIND10A=${READ_UNSAFE_MAX_BLIND10A:-0} \
READ_HIT3_BLIND10B=${READ_HIT3_BLIND10B:-0.86} READ_UNSAFE_MAX_BLIND10B=${READ_UNSAFE_MAX_BLIND10B:-1} \
READ_HIT3_BLIND11A=${READ_HIT3_BLIND11A:-0.93} READ_UNSAFE_MAX_BLIND11A=${READ_UNSAFE_MAX_BLIND11A:-0} \
READ_HIT3_BLIND11B=${READ_HIT3_BLIND11B:-0.85} READ_UNSAFE_MAX_BLIND11B=${READ_UNSAFE_MAX_BLIND11B:-2} \
READ_HIT3_RANK7=${READ_HIT3_RANK7:-0.93} READ_UNSAFE_MAX_RANK7=${READ_UNSAFE_MAX_RANK7:-0} \
READ_HIT3_RANK8=${READ_HIT3_RANK8:-0.95} READ_UNSAFE_MAX_RANK8=${READ_UNSAFE_MAX_RANK8:-0} \
READ_HIT3_RANK9=${READ_HIT3_RANK9:-0.92} READ_UNSAFE_MAX_RANK9=${READ_UNSAFE_MAX_RANK9:-0} \
READ_HIT3_RANK10=${READ_HIT3_RANK10:-0.92} READ_UNSAFE_MAX_RANK10=${READ_UNSAFE_MAX_RANK10:-0} \
python3 - "$ask" "$iv" "${reading[@]}" <<'PY'
import json, os, sys
a, i = json.loads(sys.argv[1]), json.loads(sys.argv[2])
halves = dict(zip(sys.argv[3::2], map(json.loads, sys.argv[4::2])))
checks = [
    ("hit@3 >= 0.85", a["hit3"] >= 0.85, a["hit3"]),
    ("advice hit >= 0.85", a["advice_hit"] >= 0.85, a["advice_hit"]),
    ("no unsafe triage", a["triage_unsafe"] == 0, a["triage_unsafe"]),
    ("interview hit@3 >= ask", i["hit3"] >= a["hit3"], i["hit3"]),
    ("interview advice >= ask", i["advice_hit"] >= a["advice_hit"], i["advice_hit"]),
    ("interview: no unsafe triage", i["triage_unsafe"] == 0, i["triage_unsafe"]),
    ("interview mean questions < 6", i["mean_questions"] < 6, i["mean_questions"]),
]
print("ask:       cases %d hit@1 %.2f hit@3 %.2f triage exact %.2f unsafe %d advice %.2f" %
      (a["cases"], a["hit1"], a["hit3"], a["triage_exact"], a["triage_unsafe"], a["advice_hit"]))
print("interview: cases %d hit@1 %.2f hit@3 %.2f triage exact %.2f unsafe %d advice %.2f questions %.2f" %
      (i["cases"], i["hit1"], i["hit3"], i["triage_exact"], i["triage_unsafe"], i["advice_hit"],
       i["mean_questions"]))
for half, r in halves.items():
    floor = float(os.environ["READ_HIT3_" + half.upper()])
    print("reading %-7s cases %d hit@1 %.2f hit@3 %.2f triage exact %.2f unsafe %d over-cautious %d advice %.2f" %
          (half, r["cases"], r["hit1"], r["hit3"], r["triage_exact"], r["triage_unsafe"],
           r["triage_over"], r["advice_hit"]))
    most = int(os.environ.get("READ_UNSAFE_MAX_" + half.upper(), os.environ.get("READ_UNSAFE_MAX", "0")))
    checks.append(("reading %s: unsafe triage <= %d" % (half, most), r["triage_unsafe"] <= most,
                   r["triage_unsafe"]))
    checks.append(("reading %s: hit@3 >= %.2f (target 0.90)" % (half, floor), r["hit3"] >= floor - 1e-9, r["hit3"]))
p = f = 0
for name, ok, val in checks:
    print("%s %s (%s)" % ("ok  " if ok else "FAIL", name, val))
    p += ok; f += not ok
print("%d passed, %d failed" % (p, f))
sys.exit(1 if f else 0)
PY
)
echo "$main" | sed '$d'
# The short answer: length at 80 columns and the first steps.
short=$(python3 tests/eval/short_answer.py "$BIN" "$CASES")
echo "$short" | sed '$d'
# Stories: the simulated person answers from a fuller story than the opening
# words, so a question can gain something; hit@1 before and after questions.
story=$(python3 - "$BIN" tests/eval/story_cases.jsonl <<'PY'
import json, subprocess, sys
b, c = sys.argv[1], sys.argv[2]
a = json.loads(subprocess.run([b, "eval", "--json", c], capture_output=True, text=True).stdout)
i = json.loads(subprocess.run([b, "eval", "--json", "--interview", c], capture_output=True,
                              text=True).stdout)
print("stories:   cases %d hit@1 %.2f before questions, %.2f after (%.2f questions)" %
      (a["cases"], a["hit1"], i["hit1"], i["mean_questions"]))
ok = i["hit1"] >= a["hit1"] and i["triage_unsafe"] == 0
print("%s questions on the stories do no worse than the opening words (%.2f >= %.2f)" %
      ("ok  " if ok else "FAIL", i["hit1"], a["hit1"]))
print("%d passed, %d failed" % (ok, not ok))
PY
)
echo "$story" | sed '$d'
# The therapist's key clue (tests/eval/method-relief.jsonl, 36 descriptions
# labelled before they were run): relief that lasts only hours, said many
# ways and with each knot place, must put the remote causes (lat, serratus
# anterior, chest muscles, posture, weak back) in the top 3; 6 look-alikes
# where relief lasts days keep the local muscle.  Measured when added:
# hit@1 0.92, hit@3 1.00 -> guards METHOD_HIT1 0.86, METHOD_HIT3 0.97; no
# description left unscreened, no unsafe triage.
method=$(python3 - "$BIN" tests/eval/method-relief.jsonl <<'PY'
import json, os, subprocess, sys
b, c = sys.argv[1], sys.argv[2]
r = subprocess.run([b, "eval", "--json", c], capture_output=True, text=True)
if r.returncode:
    print("eval %s failed" % c); print("0 passed, 1 failed"); sys.exit(0)
a = json.loads(r.stdout)
h1, h3 = float(os.environ.get("METHOD_HIT1", "0.86")), float(os.environ.get("METHOD_HIT3", "0.97"))
unread = sum(1 for row in a["rows"] if row["triage"] == "unknown")
print("method relief_short: cases %d hit@1 %.2f hit@3 %.2f unsafe %d unscreened %d advice %.2f" %
      (a["cases"], a["hit1"], a["hit3"], a["triage_unsafe"], unread, a["advice_hit"]))
checks = [("method: hit@1 >= %.2f" % h1, a["hit1"] >= h1 - 1e-9, a["hit1"]),
          ("method: hit@3 >= %.2f" % h3, a["hit3"] >= h3 - 1e-9, a["hit3"]),
          ("method: no unsafe triage", a["triage_unsafe"] == 0, a["triage_unsafe"]),
          ("method: nothing left unscreened", unread == 0, unread)]
for name, ok, val in checks:
    print("%s %s (%s)" % ("ok  " if ok else "FAIL", name, val))
p = sum(ok for _, ok, _ in checks)
print("%d passed, %d failed" % (p, len(checks) - p))
PY
)
echo "$method" | sed '$d'
last1=$(echo "$main" | tail -n 1); last2=$(echo "$short" | tail -n 1); last3=$(echo "$story" | tail -n 1)
last4=$(echo "$method" | tail -n 1)
p=$(( ${last1%% passed*} + ${last2%% passed*} + ${last3%% passed*} + ${last4%% passed*} ))
f1=${last1#*, }; f2=${last2#*, }; f3=${last3#*, }; f4=${last4#*, }
f=$(( ${f1%% failed*} + ${f2%% failed*} + ${f3%% failed*} + ${f4%% failed*} ))
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
