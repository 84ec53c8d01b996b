#!/usr/bin/env bash
# Does the next question come out exactly as before?  For a change meant to
# make the question search cheaper (or otherwise leave what the engine says
# alone): builds the knotfinder of a base commit (git archive into
# build/qcheck/, nothing else touched), runs it and this tree's
# build/knotfinder on every labelled description
#   tests/eval/*.jsonl, tests/triage/*.jsonl, tests/golden/cases.jsonl,
#   ../shared/cases/articles.jsonl
# through `ask --json --no-save` (kf_best_question: the one question, its
# gain printed to the last digit) and `draft --json` (kf_best_questions with
# fast gains, two questions), and compares the outputs byte for byte.
#   bench/qcheck.sh [BASE]     BASE: a commit (default: the merge base with main)
#   QCHECK_DRAFT=0             leave out the drafts (half the time)
# Exit status 0 when every output is the same; the last line says so.
set -u
cd "$(dirname "$0")/.."
root=$PWD
base=${1:-$(git merge-base HEAD main 2>/dev/null || git rev-parse HEAD)}
base=$(git rev-parse --short "$base") || { echo "bench/qcheck: no commit $1"; exit 2; }
[ -x build/knotfinder ] || { echo "bench/qcheck: no build/knotfinder (make all)"; exit 2; }
out=build/qcheck
src=$out/src-$base
if [ ! -x "$src/build/knotfinder" ]; then
    rm -rf "$src"
    mkdir -p "$src"
    git archive "$base" | tar -x -C "$src" || { echo "bench/qcheck: git archive $base failed"; exit 2; }
    (cd "$src" && nice make -s -j2 build/knotfinder) >"$out/build-$base.log" 2>&1 ||
        { tail -20 "$out/build-$base.log"; echo "bench/qcheck: the base did not build"; exit 2; }
fi
# a copy of this tree's binary: a rebuild during the run changes nothing
cp build/knotfinder "$out/knotfinder-now" || exit 2
cases=(tests/eval/*.jsonl tests/triage/*.jsonl tests/golden/cases.jsonl)
[ -f ../shared/cases/articles.jsonl ] && cases+=(../shared/cases/articles.jsonl)
export KNOTFINDER_KB=$root/kb KNOTFINDER_WEB=$root/web
XDG_DATA_HOME=$(mktemp -d)
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
python3 - "$root/$src/build/knotfinder" "$root/$out/knotfinder-now" "$out" "${QCHECK_DRAFT:-1}" \
    "${cases[@]}" <<'EOF'
import json, subprocess, sys
old, new, out, draft = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
texts, seen = [], set()
for path in sys.argv[5:]:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            t = json.loads(line).get("text")
        except ValueError:
            continue
        if isinstance(t, str) and t.strip() and t not in seen:
            seen.add(t)
            texts.append((f"{path}:{n}", t))
runs = [["ask", "--json", "--no-save", "-"]]
if draft:
    runs.append(["draft", "--json", "-"])
same = differ = questions = 0
with open(f"{out}/diff.txt", "w") as log:
    for where, t in texts:
        for args in runs:
            a = subprocess.run([old] + args, input=t.encode(), capture_output=True)
            b = subprocess.run([new] + args, input=t.encode(), capture_output=True)
            if (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr):
                same += 1
            else:
                differ += 1
                log.write(f"== {where} {args[0]}\n-- base (exit {a.returncode})\n")
                log.write(a.stdout.decode(errors="replace") + a.stderr.decode(errors="replace"))
                log.write(f"\n-- now (exit {b.returncode})\n")
                log.write(b.stdout.decode(errors="replace") + b.stderr.decode(errors="replace") + "\n")
            if args[0] == "ask" and b'"gain"' in b.stdout:
                questions += 1
print(f"{len(texts)} descriptions, {same + differ} outputs ({questions} asks with a yes/no question and its gain)")
if differ:
    print(f"DIFFERENT: {differ} outputs differ (see {out}/diff.txt)")
    sys.exit(1)
print("the same: every output byte for byte")
EOF
