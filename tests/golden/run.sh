#!/usr/bin/env bash
# Golden cases in the project's own words (tests/golden/cases.jsonl), scored
# by the product binary:  build/knotfinder eval --json tests/golden/cases.jsonl
#
# Prints every case that misses (cause not in the top 3, unsafe triage, no
# advised step in the plan), the figures, and one line per check.  Checks:
#   - no unsafe triage (a level below every acceptable one)
#   - hit@3 >= 0.80
#   - advice hit >= 0.80
#   - one per emergency case (expect.triage is exactly ["emergency"]): the
#     program's triage is emergency
# The last line is "N passed, N failed"; exit status 1 when any check fails.
#   KNOTFINDER  the binary (default build/knotfinder)
#   CASES       the cases file (default tests/golden/cases.jsonl)
#   HIT3_MIN, ADVICE_MIN  thresholds (default 0.80)
set -u
cd "$(dirname "$0")/../.."
BIN=${KNOTFINDER:-build/knotfinder}
CASES=${CASES:-tests/golden/cases.jsonl}
HIT3_MIN=${HIT3_MIN:-0.80}
ADVICE_MIN=${ADVICE_MIN:-0.80}

if [ ! -x "$BIN" ]; then
  echo "no binary $BIN (run make first)"
  echo "0 passed, 1 failed"
  exit 1
fi
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$BIN" eval --json "$CASES" >"$out" 2>"$err"
rc=$?
if [ "$rc" -ne 0 ] || [ ! -s "$out" ]; then
  echo "knotfinder eval exited $rc:"
  cat "$err"
  echo "0 passed, 1 failed"
  exit 1
fi

python3 - "$CASES" "$out" "$HIT3_MIN" "$ADVICE_MIN" <<'PY'
import json, sys
cases_path, out_path, hit3_min, advice_min = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
cases = {}
order = []
for n, line in enumerate(open(cases_path, encoding="utf-8"), 1):
    if not line.strip():
        continue
    c = json.loads(line)
    cases[c["id"]] = c
    order.append(c["id"])
res = json.load(open(out_path, encoding="utf-8"))
rows = {r["id"]: r for r in res["rows"]}

def ids(top):
    return ", ".join(t["id"] + ("*" if t["expected"] else "") for t in top) or "(no causes)"

print("misses (expected ids after 'want'; * marks an expected id in the top 3):")
nmiss = 0
for cid in order:
    c, r = cases[cid], rows.get(cid)
    if r is None:
        print("  %-30s NOT SCORED (eval skipped it)" % cid)
        nmiss += 1
        continue
    what = []
    if not r["hit3"]:
        what.append("top3 %s; want %s" % (ids(r["top3"]), ", ".join(c["expect"]["causes"])))
    if r["triage_unsafe"]:
        what.append("UNSAFE triage %s; want %s" % (r["triage"], "|".join(c["expect"]["triage"])))
    if not r["advice_hit"]:
        what.append("no advice of %s" % ", ".join(c["expect"]["advice"]))
    if what:
        nmiss += 1
        print("  %-30s %s" % (cid, what[0]))
        for w in what[1:]:
            print("  %-30s %s" % ("", w))
if not nmiss:
    print("  none")

print("cases %d  hit@1 %d (%.2f)  hit@3 %d (%.2f)  triage exact %.2f  unsafe %d  "
      "over-cautious %d  advice hit %d (%.2f)" %
      (res["cases"], res["hit1_count"], res["hit1"], res["hit3_count"], res["hit3"],
       res["triage_exact"], res["triage_unsafe"], res["triage_over"], res["advice_count"],
       res["advice_hit"]))

checks = [
    ("no unsafe triage", res["triage_unsafe"] == 0, "%d unsafe" % res["triage_unsafe"]),
    ("hit@3 >= %.2f" % hit3_min, res["hit3"] >= hit3_min, "%.2f" % res["hit3"]),
    ("advice hit >= %.2f" % advice_min, res["advice_hit"] >= advice_min, "%.2f" % res["advice_hit"]),
    ("every case scored", len(rows) == len(order), "%d of %d" % (len(rows), len(order))),
]
for cid in order:
    if cases[cid]["expect"]["triage"] == ["emergency"]:
        r = rows.get(cid)
        got = r["triage"] if r else "not scored"
        checks.append(("emergency: %s" % cid, got == "emergency", got))
p = f = 0
for name, ok, val in checks:
    print("%s %s (%s)" % ("ok  " if ok else "FAIL", name, val))
    p += ok
    f += not ok
print("%d passed, %d failed" % (p, f))
sys.exit(1 if f else 0)
PY
