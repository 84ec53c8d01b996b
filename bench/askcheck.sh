#!/usr/bin/env bash
# Does `knotfinder ask --json --full --no-save` still answer every labelled
# description as a build of another commit does?  For a change to the
# engine meant to leave its answers alone (or to move only the last digits
# of a probability within the engine's stated width, never a ranking or a
# triage):
#   bench/askcheck.sh [REV]     REV: the base commit (default: main's merge
#                               base with HEAD); its tree is built once
#                               under build/askcheck/REV
# The descriptions: tests/eval/*.jsonl, tests/triage/*.jsonl,
# tests/golden/cases.jsonl and ../shared/cases/articles.jsonl.  Prints
# how many answers are byte-identical, how many differ only in numbers
# within 1e-7, and every other difference (then exits 1).
# Each build answers with its own commit's KB (REV's kb/ against this
# tree's kb/), so a change to the KB alone is checked too; KNOTFINDER_KB
# set gives both builds that one KB (for an engine change tried on another
# KB).  The untouched sets (tests/eval/reading-holdout.jsonl and the blind
# "b" halves) are compared but a difference there is counted, never shown.
set -u
cd "$(dirname "$0")/.."
rev=${1:-$(git merge-base main HEAD 2>/dev/null || git rev-parse HEAD~1)}
rev=$(git rev-parse --short "$rev") || exit 2
base=build/askcheck/$rev
if [ ! -x "$base/build/knotfinder" ]; then
  rm -rf "$base" && mkdir -p "$base"
  git archive "$rev" | tar -x -C "$base" || exit 2
  (cd "$base" && nice make -s -j2 build/knotfinder) || { echo "askcheck: base build failed"; exit 2; }
fi
make -s build/knotfinder || exit 2
cases=(tests/eval/*.jsonl tests/triage/*.jsonl tests/golden/cases.jsonl)
[ -f ../shared/cases/articles.jsonl ] && cases+=(../shared/cases/articles.jsonl)
old_kb=${KNOTFINDER_KB:-$PWD/$base/kb} new_kb=${KNOTFINDER_KB:-$PWD/kb}
export KNOTFINDER_WEB=$PWD/web
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
python3 - "$base/build/knotfinder" build/knotfinder "$old_kb" "$new_kb" "${cases[@]}" <<'PY'
import json, os, re, subprocess, sys
old, new, old_kb, new_kb, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
kbs = {old: old_kb, new: new_kb}
sealed = re.compile(r"reading-(holdout|blind[0-9]+b)\.jsonl$")
texts = []
for p in paths:
    for line in open(p, encoding="utf-8"):
        try:
            t = json.loads(line).get("text")
        except ValueError:
            continue
        if isinstance(t, str) and t.strip():
            texts.append((p, t))
def ask(binary, text):
    r = subprocess.run([binary, "ask", "--json", "--full", "--no-save", "-"], input=text.encode(),
                       capture_output=True, env=dict(os.environ, KNOTFINDER_KB=kbs[binary]))
    out = r.stdout
    if kbs[old] != kbs[new]:           # the KB's own version id differs by design
        out = re.sub(rb'"kb_version": *"[^"]*"', b'"kb_version":""', out)
    return r.returncode, out
def diff(a, b, path, out):
    if isinstance(a, float) and isinstance(b, (int, float)) or isinstance(b, float) and isinstance(a, (int, float)):
        if abs(a - b) > 1e-7:
            out.append(f"{path}: {a} -> {b}")
        return
    if type(a) != type(b):
        out.append(f"{path}: {a!r} -> {b!r}")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'new' if k in b else 'old'}")
            else:
                diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {a!r} -> {b!r}")
same = close = bad = 0
for p, t in texts:
    (ra, a), (rb, b) = ask(old, t), ask(new, t)
    if ra == rb and a == b:
        same += 1
        continue
    out = []
    if ra != rb:
        out.append(f"exit status {ra} -> {rb}")
    try:
        diff(json.loads(a), json.loads(b), "", out)
    except ValueError:
        out.append("output is not JSON")
    if out and sealed.search(p):
        bad += 1
        print(f"DIFFERENT {p}: (an untouched set: not shown)")
    elif out:
        bad += 1
        print(f"DIFFERENT {p}: {t[:70]!r}")
        for o in out[:8]:
            print("   ", o)
    else:
        close += 1
print(f"{len(texts)} descriptions: {same} byte-identical, {close} within 1e-7 in their numbers only, {bad} different")
sys.exit(1 if bad else 0)
PY
