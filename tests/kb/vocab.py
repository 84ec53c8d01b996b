#!/usr/bin/env python3
"""Every id of the shared vocabulary exists in the knowledge base with the
right kind, and `kb check` passes.  Usage: vocab.py BINARY VOCABULARY.md"""
import re, subprocess, sys

binary, vocab = sys.argv[1], sys.argv[2]
text = open(vocab, encoding="utf-8").read()

def ids_in(section):
    body = text.split("## " + section, 1)[1].split("\n## ", 1)[0]
    out = []
    for line in body.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first = line.split("|")[1]
            out += [w.strip() for w in first.split(",") if re.fullmatch(r"\s*[a-z_]+\s*", w)]
    return [i for i in out if i != "id"]

def kb_list(what):
    r = subprocess.run([binary, "kb", "list", what], capture_output=True, text=True)
    if r.returncode:
        sys.exit("kb list %s failed: %s" % (what, r.stderr))
    return {l.split("\t")[0]: l.split("\t")[1] for l in r.stdout.splitlines()}

causes, techs = kb_list("causes"), kb_list("techniques")
passed = failed = 0
def check(ok, msg):
    global passed, failed
    if ok: passed += 1
    else:
        failed += 1; print("FAIL", msg)

for i in ids_in("Causes — muscles"):
    check(causes.get(i) == "muscle", "muscle %s: %s" % (i, causes.get(i)))
for i in ids_in("Causes — habits, posture and body"):
    check(causes.get(i) in ("habit", "body"), "habit/body %s: %s" % (i, causes.get(i)))
for i in ids_in("Causes — not a muscle knot"):
    check(causes.get(i) == "mimic", "mimic %s: %s" % (i, causes.get(i)))
for i in ids_in("Advice"):
    check(i in techs, "technique %s missing" % i)
r = subprocess.run([binary, "kb", "check"], capture_output=True, text=True)
check(r.returncode == 0, "kb check: " + r.stderr[-2000:])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
