#!/usr/bin/env python3
"""Every id of the shared vocabulary exists in the knowledge base with the
right kind, and `kb check` passes.
Usage: vocab.py BINARY [VOCABULARY.md]
The ids are kept in tests/kb/vocabulary.txt so the check runs anywhere; when
the shared VOCABULARY.md is given and present, the copy must match it."""
import os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1]
shared = sys.argv[2] if len(sys.argv) > 2 else None

wanted = []
for line in open(os.path.join(here, "vocabulary.txt"), encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#"):
        kind, ident = line.split()
        wanted.append((kind, ident))

passed = failed = skipped = 0
def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)

if shared and os.path.exists(shared):
    text = open(shared, encoding="utf-8").read()
    def ids_in(section):
        body = text.split("## " + section, 1)[1].split("\n## ", 1)[0]
        out = []
        for line in body.splitlines():
            if line.startswith("|") and not line.startswith("|---"):
                first = line.split("|")[1]
                out += [w.strip() for w in first.split(",") if re.fullmatch(r"\s*[a-z_]+\s*", w)]
        return [i for i in out if i != "id"]
    fresh = []
    for sec, kind in [("Causes — muscles", "muscle"),
                      ("Causes — habits, posture and body", "habit_or_body"),
                      ("Causes — not a muscle knot", "mimic"), ("Advice", "technique")]:
        fresh += [(kind, i) for i in ids_in(sec)]
    check(sorted(fresh) == sorted(wanted),
          "tests/kb/vocabulary.txt differs from %s: regenerate it" % shared)
else:
    skipped += 1
    print("skip the copy check: no shared VOCABULARY.md at %s" % shared)

def kb_list(what):
    r = subprocess.run([binary, "kb", "list", what], capture_output=True, text=True)
    if r.returncode:
        sys.exit("kb list %s failed: %s" % (what, r.stderr))
    return {l.split("\t")[0]: l.split("\t")[1] for l in r.stdout.splitlines()}

causes, techs = kb_list("causes"), kb_list("techniques")
for kind, i in wanted:
    if kind == "technique":
        check(i in techs, "technique %s missing" % i)
    elif kind == "habit_or_body":
        check(causes.get(i) in ("habit", "body"), "habit/body %s: %s" % (i, causes.get(i)))
    else:
        check(causes.get(i) == kind, "%s %s: %s" % (kind, i, causes.get(i)))
r = subprocess.run([binary, "kb", "check"], capture_output=True, text=True)
check(r.returncode == 0, "kb check: " + r.stderr[-2000:])
print("%d passed, %d failed" % (passed, failed) +
      (", %d skipped" % skipped if skipped else ""))
sys.exit(1 if failed else 0)
