#!/usr/bin/env python3
"""The short answer on the labelled cases: the default text answer's length
at 80 columns (median <= 35 lines, max <= 50), that every line fits 80
columns, and that `first_steps` holds one of the therapist's own
suggestions (expect.advice) in >= 80% of the self-care cases (cases whose
expected triage includes self_care and that name advice).
usage: short_answer.py BINARY CASES.jsonl   (last line: N passed, N failed)"""
import json, os, statistics, subprocess, sys

binary, cases_path = sys.argv[1], sys.argv[2]
env = dict(os.environ, KNOTFINDER_NO_SAVE="1")
lines, hits, selfcare, too_wide, rows = [], 0, 0, [], []
for raw in open(cases_path, encoding="utf-8"):
    raw = raw.strip()
    if not raw:
        continue
    case = json.loads(raw)
    text = case["text"]
    out = subprocess.run([binary, "ask", "--width", "80", text], capture_output=True,
                         text=True, env=env).stdout
    n = out.count("\n")
    lines.append(n)
    wide = [l for l in out.split("\n") if len(l) > 80]
    if wide:
        too_wide.append(case["id"])
    doc = json.loads(subprocess.run([binary, "ask", "--json", text], capture_output=True,
                                    text=True, env=env).stdout)
    exp = case.get("expect", {})
    first = [s["technique"] for s in doc.get("first_steps", [])]
    if "self_care" in exp.get("triage", []) and exp.get("advice") and \
            doc["triage"]["level"] in ("self_care", "mention_to_doctor"):
        selfcare += 1
        hit = any(a in first for a in exp["advice"])
        hits += hit
        rows.append("%-22s %3d lines  first %s  %s" % (case["id"], n, ",".join(first),
                                                       "hit" if hit else "miss (want %s)" %
                                                       ",".join(exp["advice"])))
    else:
        rows.append("%-22s %3d lines  (not self-care)" % (case["id"], n))
for r in rows:
    print(r)
med, mx = statistics.median(lines), max(lines)
rate = hits / selfcare if selfcare else 0.0
checks = [
    ("default answer median <= 35 lines", med <= 35, med),
    ("default answer max <= 50 lines", mx <= 50, mx),
    ("every line fits 80 columns", not too_wide, too_wide),
    ("first_steps hold a therapist suggestion in >= 80% of self-care cases",
     rate >= 0.8, "%d/%d = %.2f" % (hits, selfcare, rate)),
]
p = f = 0
for name, ok, val in checks:
    print("%s %s (%s)" % ("ok  " if ok else "FAIL", name, val))
    p += ok
    f += not ok
print("%d passed, %d failed" % (p, f))
sys.exit(1 if f else 0)
