#!/usr/bin/env bash
# The triage suite: one-line presentations written from published guidance,
# each with the level guidance asks for (tests/triage/cases.jsonl: id, text,
# level, rule, kind fire|near, guidance).  Every case runs through
# `$KNOTFINDER ask --json`.  Under-triage (a level below the expected one)
# fails the case and must be 0; over-triage (above it) is counted, listed and
# reported per guidance rule and per knowledge-base rule, but does not fail.
# A crash or output that is not JSON fails the case.
# tests/triage/run.sh [FILE...] runs other sets of the same format instead,
# one report over all of them: tests/triage/unseen-style.jsonl and
# unseen-probe.jsonl; unseen-probe2.jsonl and unseen-probe3.jsonl (the safety
# red-team's indirect wordings and look-alikes, two rounds); unseen-families.jsonl
# and unseen-families2.jsonl (the families a measurement on unseen
# descriptions found under-triaged, with their look-alikes); issue10-families.jsonl
# (issue 10's known misreadings, each a family of wordings, with look-alikes).
# descriptions found under-triaged, with their look-alikes);
# everyday-families.jsonl (issue 10's everyday misreadings -- a limb used, a
# blow given, an old healed injury, a baby's crying, the side of the back, a
# band across both blades -- beside the warning signs they must still read).
# fresh-safety.jsonl (warning signs and risk factors in new wordings and
# registers, with controls: hypothetical, someone else's, negated, long past)
# and fresh-safety-check.jsonl (further wordings of each family, written
# before the fixes and never tuned on); fresh-safety-check2.jsonl (a second
# round of wordings for the families the first round fixed) and
# fresh-safety-check3.jsonl (a third round: the families probed least) and
# fresh-safety-check4.jsonl (risk factors in new wordings);
# fresh-safety-round3.jsonl (a third fresh set, written before the KB was
# read, the tuning set of kb/71-lexicon-safety-round3.kb) and
# fresh-safety-round3-check.jsonl (written the same way, never tuned on; its
# two under-triaged cases, read by the lead, were families the KB lacked: an
# age said as a floor, "over 70", and angina on effort now at rest; fixed as
# families in kb/73-lexicon-lead.kb, src/text.c and kb/50-redflags.kb, pinned
# in lead-families.jsonl with other wordings); fresh-safety-round4.jsonl
# (a fourth fresh set in unusual registers -- texting, second-language,
# dictation, carers, athletes, pregnancy and after a birth -- with risk
# factors, ambiguous phrases, questions and plain-muscle look-alikes,
# written before the KB was read, the tuning set of
# kb/79-lexicon-safety-round4.kb); fresh-safety-round4-check.jsonl (written
# the same way, never tuned on) and fresh-safety-round4-probe.jsonl (two
# further rounds written after the first fixes: registers, shorthand, a
# second language; tuned on).
# fresh-safety-round5.jsonl (warning signs said as metaphors and body
# sensations, with plain-muscle look-alikes, written before the KB was read;
# the tuning set of kb/81-lexicon-safety-round5.kb) and
# fresh-safety-round5-check.jsonl (written the same way, never tuned on; its
# four under-triaged cases were read by the lead and fixed as families: a
# clause after "and I've" out of a denial's reach, a person hot to the touch,
# a rash like bruises, a neck too stiff to bend, stools like tar; pinned in
# lead-families.jsonl and tests/golden/lexicon-lead.txt with other wordings).
# fresh-safety-round6.jsonl (a sixth fresh set on the context around warning
# signs and risk factors -- a risk factor named by its medicine or
# procedure, someone else's illness beside the writer's, past and now, the
# scope of a denial, a warning sign played down -- written before the KB
# was read, the tuning set of kb/83-lexicon-safety-round6.kb) and
# fresh-safety-round6-check.jsonl (written the same way, never tuned on).
# fresh-safety-round7.jsonl (a seventh fresh set: warning signs buried in
# ordinary back pain -- the heart said vaguely, clots after a journey, the
# pill, a birth or an operation, shoulder-tip pain in early pregnancy or
# after a blow, spinal infection, cancer, fractures, cauda equina, shingles
# before the rash, pre-eclampsia, meningitis and bleeds, stroke, children
# and the elderly said by a carer -- with mild look-alikes, in many
# registers, written before the KB was read; the tuning set of
# kb/85-lexicon-safety-round7.kb) and fresh-safety-round7-check.jsonl
# (written at the same time, never tuned on).
# fresh-safety-round8.jsonl (an eighth fresh set in the registers earlier
# rounds used less -- one-liners, long rambling posts with the warning sign
# in one clause, lists, dictation without punctuation, UK, Australian,
# American and Indian English, older people and their carers, pressure and
# sweat said as metaphors, symptoms said by what the person cannot do --
# with mild look-alikes, written before the KB was read; the tuning set of
# kb/90-lexicon-safety-round8.kb).
# fresh-safety-round9.jsonl (a ninth fresh set: texting style, second-language
# English, people writing for a parent, a child or a partner, hedged, stacked
# negations, questions that are also facts, risk factors with fitting
# symptoms, with mild look-alikes, written before the KB was read; the tuning
# set of kb/93-lexicon-safety-round9.kb), fresh-safety-round9-check.jsonl
# (written after round 9's first fixes, in the same registers; tuned on),
# fresh-safety-round9-probe.jsonl (stacked negations and questions, written
# after round9-check's fixes; tuned on) and
# round9-families.jsonl (the families in other wordings, with meningitis,
# rib_or_lump and brain_bleed pinned in the top three).
# A case may give "levels", every acceptable level (its "level" is the lowest
# of them): over-triage is then a level above the highest of them.  A case may
# name "cause", the non-muscular cause it is about: reported (how many have it
# in the top three), never failed.
# A case may also ask, and fails when the answer does not: "top3": a cause id
# that must be among the three first causes (the mimic the warning sign is
# about); "not_first": a cause id that must not lead (age alone is no injury);
# "no_massage": true, no step of the plan or first steps is a release or a
# therapist's massage (a red, hot, swollen area is not to be rubbed).
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${KNOTFINDER:-build/knotfinder}
if [ $# -gt 0 ]; then CASES=("$@"); else CASES=("${CASES:-tests/triage/cases.jsonl}"); fi
export KNOTFINDER_KB=${KNOTFINDER_KB:-$PWD/kb}
export KNOTFINDER_NO_SAVE=1
# Nothing is written anywhere: a scratch data folder, removed at the end.
DATA=$(mktemp -d); trap 'rm -rf "$DATA"' EXIT
export XDG_DATA_HOME="$DATA"
for f in "${CASES[@]}"; do
    [ -f "$f" ] || { echo "no $f"; echo "0 passed, 1 failed"; exit 1; }
done
python3 - "$BIN" "${CASES[@]}" <<'PY'
import collections, json, subprocess, sys

binary, paths = sys.argv[1], sys.argv[2:]
rule_level = {}
r = subprocess.run([binary, "kb", "list", "redflags"], capture_output=True, text=True)
for line in r.stdout.splitlines():
    parts = line.split("\t")
    if len(parts) >= 2:
        rule_level[parts[0]] = parts[1]
ORDER = {"unknown": -1, "self_care": 0, "mention_to_doctor": 1, "doctor_soon": 2, "emergency": 3}
def rank(got, want):
    """"unknown" (could not screen, asks the screen questions) is never
    reassurance: above self_care, below every level that sends to a doctor."""
    if got == "unknown":
        return 0.5 if want == "self_care" else -1
    return ORDER[got]
cases, bad_lines = [], 0
for path in paths:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            c = json.loads(line)
            assert c["level"] in ORDER and c["level"] != "unknown" and c["text"].strip()
            if "levels" in c:
                assert c["levels"] and all(l in ORDER and l != "unknown" for l in c["levels"])
                assert min(c["levels"], key=ORDER.get) == c["level"], "level is not the lowest of levels"
            cases.append(c)
        except Exception as e:
            print("FAIL %s:%d: not a valid case (%s)" % (path, n, e))
            bad_lines += 1

passed = failed = under = over = exact = 0
cause_named = cause_top3 = 0
cause_missed = []
by_rule = collections.defaultdict(lambda: [0, 0, 0])      # guidance rule: cases, over, under
by_kb = collections.defaultdict(lambda: [0, 0])            # kb rule: led, over-triaged while leading
by_fired = collections.defaultdict(lambda: [0, 0])         # kb rule: fired at the result's level, of them over
for c in cases:
    r = subprocess.run([binary, "ask", "--json", "--", c["text"]], capture_output=True, text=True)
    try:
        out = json.loads(r.stdout)
        got = out["triage"]["level"]
        lead = out["triage"]["flags"][0]["id"] if out["triage"]["flags"] else \
            ("raised_by:" + out["triage"]["raised_by"] if out["triage"].get("raised_by") else "-")
        fired = out["triage"].get("fired", [])
    except Exception:
        failed += 1
        print("FAIL %s: exit %d, no JSON result: %s" % (c["id"], r.returncode, r.stderr.strip()[:200]))
        continue
    top = max(c.get("levels", [c["level"]]), key=ORDER.get)
    is_over = rank(got, top) > ORDER[top]
    for f in fired:
        if rule_level.get(f) == got:
            by_fired[f][0] += 1
            by_fired[f][1] += is_over
    g = by_rule[c.get("rule", "?")]
    g[0] += 1
    by_kb[lead][0] += 1
    want = c["level"]
    if rank(got, want) < ORDER[want]:
        under += 1
        failed += 1
        g[2] += 1
        print("FAIL %-34s under-triage: %s, want %s (%s) [%s] fired %s\n     %s" %
              (c["id"], got, want, c.get("guidance", ""), c.get("kind", ""), ",".join(fired) or "-",
               c["text"]))
        continue
    causes = [x.get("id") for x in out.get("causes", [])]
    if c.get("cause"):
        cause_named += 1
        if c["cause"] in causes[:3]:
            cause_top3 += 1
        else:
            cause_missed.append("%s: %s not in %s" % (c["id"], c["cause"], ",".join(causes[:3])))
    problems = []
    if c.get("top3") and c["top3"] not in causes[:3]:
        problems.append("%s not in the top 3 (%s)" % (c["top3"], ",".join(causes[:3])))
    if c.get("not_first") and causes[:1] == [c["not_first"]]:
        problems.append("%s ranked first" % c["not_first"])
    if c.get("no_massage"):
        rubbed = [s.get("technique") for s in (out.get("plan") or []) + (out.get("first_steps") or [])
                  if s.get("kind") in ("release", "therapist")]
        if rubbed:
            problems.append("massage offered: %s" % ",".join(sorted(set(rubbed))))
    if problems:
        failed += 1
        print("FAIL %-34s %s (%s)\n     %s" % (c["id"], "; ".join(problems), got, c["text"]))
        continue
    passed += 1
    if is_over:
        over += 1
        g[1] += 1
        by_kb[lead][1] += 1
        print("OVER %-34s %s, want %s; led by %s\n     %s" % (c["id"], got, top, lead, c["text"]))
    else:
        exact += 1

n = len(cases)
if cause_named:
    print("\nthe named cause in the top three: %d/%d" % (cause_top3, cause_named))
    for m in cause_missed:
        print("  " + m)
print("\nover-triage by guidance rule (over/cases):")
for rule, (k, o, u) in sorted(by_rule.items(), key=lambda x: (-x[1][1] / max(x[1][0], 1), x[0])):
    print("  %5.0f%%  %2d/%-3d %s%s" % (100.0 * o / k, o, k, rule, "  UNDER %d" % u if u else ""))
print("\nover-triage by the knowledge-base rule whose message led (over/led):")
for rule, (k, o) in sorted(by_kb.items(), key=lambda x: (-x[1][1], x[0])):
    print("  %5.0f%%  %2d/%-3d %s" % (100.0 * o / k, o, k, rule))
print("\nover-triage by every knowledge-base rule that fired at the answer's level (over/fired):")
for rule, (k, o) in sorted(by_fired.items(), key=lambda x: (-x[1][1] / max(x[1][0], 1), x[0])):
    print("  %5.0f%%  %2d/%-3d %s" % (100.0 * o / k, o, k, rule))
print("\ncases %d  exact %d (%.2f)  under-triage %d  over-triage %d (%.2f)" %
      (n, exact, exact / max(n, 1), under, over, over / max(n, 1)))
print("%d passed, %d failed" % (passed, failed + bad_lines))
sys.exit(1 if failed + bad_lines else 0)
PY
