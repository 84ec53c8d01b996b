#!/usr/bin/env bash
# Lexicon golden test: every line of tests/golden/lexicon.txt is
#   WORDS<TAB>EXPECTED     EXPECTED = id | !id | -id | id@left|right|both
#                          | -id@side (not read on that side)
#                          | ?id (only asked or worried about: "hypothetical")
#                          | safer:id (read as the warning sign id, to be safe)
#                          | guess:id (present, said only as a guess) | sure:id (present, no guess)
#                          | unsure:id (neither: a warning sign denied only as a guess)
#                          | age=N | sex=f|m|- | weeks=N | days=N|- (how long it has hurt)
#                          | nothing (nothing understood)
# and passes when `knotfinder ask --json WORDS` lists that finding among the
# facts it understood from the words (present, or absent for !id, on that
# side for @side), or for -id when it does not list that finding at all (a
# word that must not be read as it: "tennis ball" is not the sport).  Prints each failure with what was understood instead,
# and closes with "N passed, N failed".
#   KNOTFINDER     the binary (default build/knotfinder)
#   KNOTFINDER_KB  the knowledge base (default kb/)
#   tests/golden/lexicon.sh [FILE]
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${KNOTFINDER:-build/knotfinder}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
KB=${KNOTFINDER_KB:-$ROOT/kb}
case $KB in /*) ;; *) KB=$ROOT/$KB ;; esac
FILE=${1:-tests/golden/lexicon.txt}
export KNOTFINDER_KB=$KB KNOTFINDER_NO_SAVE=1
if [ ! -x "$BIN" ]; then
    echo "lexicon.sh: $BIN is not built (run make)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -r "$FILE" ]; then
    echo "lexicon.sh: cannot read $FILE" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
exec python3 - "$BIN" "$FILE" <<'EOF'
import json, subprocess, sys
binary, path = sys.argv[1], sys.argv[2]
passed = failed = 0
cache = {}
for lineno, raw in enumerate(open(path, encoding="utf-8"), 1):
    line = raw.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    if "\t" not in line:
        print(f"{path}:{lineno}: no TAB between the words and the expected finding")
        failed += 1
        continue
    words, expect = line.rsplit("\t", 1)
    expect = expect.strip()
    absent = expect.startswith("!")
    unread = expect.startswith("-")
    fid = expect.lstrip("!-")
    side = ""
    if "@" in fid:
        fid, side = fid.split("@", 1)
    if words not in cache:
        try:
            p = subprocess.run([binary, "ask", "--json", words], capture_output=True,
                               text=True, timeout=30)
            cache[words] = json.loads(p.stdout)
        except Exception as e:  # a crash, a hang or bad JSON is a failure
            cache[words] = e
    got = cache[words]
    if isinstance(got, Exception):
        print(f"{path}:{lineno}: {words!r}: ask failed: {got}")
        failed += 1
        continue
    result, got = got, got.get("understood", [])
    facts = result.get("facts", {})
    hypo = [h.get("finding") for h in result.get("hypothetical", [])]
    if expect.startswith("?"):
        ok = expect[1:] in hypo
    elif expect.startswith("safer:"):
        ok = any(u.get("finding") == expect[6:] and u.get("note") == "safer_reading" for u in got)
    elif expect.startswith("guess:"):
        ok = any(u.get("finding") == expect[6:] and u.get("state") == "present" and
                 u.get("note") == "guess" for u in got)
    elif expect.startswith("unsure:"):
        ok = any(u.get("finding") == expect[7:] and u.get("state") == "unsure" for u in got)
    elif expect.startswith("sure:"):
        ok = any(u.get("finding") == expect[5:] and u.get("state") == "present" and
                 u.get("note") != "guess" for u in got)
    elif expect.split("=")[0] in ("age", "sex", "weeks", "days"):
        key, want = expect.split("=", 1)
        val = facts.get({"weeks": "weeks_pregnant", "days": "duration_days"}.get(key, key))
        ok = (val is None and want == "-") or str(val) == want
    elif expect == "nothing":
        ok = facts.get("nothing_understood") is True
    elif expect == "something":
        ok = facts.get("nothing_understood") is False
    elif unread:
        ok = not any(u.get("finding") == fid and (not side or u.get("side") == side)
                     for u in got)
    else:
        ok = any(u.get("finding") == fid
                 and u.get("state") == ("absent" if absent else "present")
                 and (not side or u.get("side") == side)
                 for u in got)
    if ok:
        passed += 1
    else:
        failed += 1
        seen = ", ".join(("!" if u.get("state") == "absent" else "") + u.get("finding", "?")
                         + ("@" + u["side"] if u.get("side") else "") for u in got)
        extra = f"; asked about: {', '.join(hypo)}" if hypo else ""
        extra += "; " + ", ".join(f"{k}={facts.get(k)}" for k in ("age", "sex", "weeks_pregnant", "duration_days")
                                  if facts.get(k) is not None)
        print(f"{path}:{lineno}: {words!r}: expected {expect}, understood: {seen or 'nothing'}{extra}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
