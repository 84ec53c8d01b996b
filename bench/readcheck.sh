#!/usr/bin/env bash
# Does the text reader still read every description exactly as before?  For
# a change meant to make it faster (or otherwise leave what it reads alone):
# build/bench/readdump prints everything kf_text_read makes of each of
#   the labelled cases (tests/eval, tests/triage, tests/golden/cases.jsonl,
#   ../shared/cases/articles.jsonl), one by one and joined 8 and 64 at a
#   time (long texts, sentences after sentences, the whole file in one);
#   the words of the golden lines (tests/golden/*.txt);
#   the seed corpora of the text and context fuzzers;
#   bench/read.c's shapes at 64 KB and a 1 MB mix of every case;
# and, for each labelled case and golden line read on its own, the answer
#   as `ask --json` writes it and as the server does (compact), so a change
#   to the JSON writer is held to the same bytes;
# and this compares it with the dump saved before the change.
#   bench/readcheck.sh --save   dump into build/readcheck/base.txt (before)
#   bench/readcheck.sh          dump into build/readcheck/now.txt and diff
# Exit status 0 when they are the same; the last line says so.
set -u
cd "$(dirname "$0")/.."
DUMP=${READDUMP:-build/bench/readdump}   # READDUMP=build/san/bench/readdump: under ASan+UBSan
[ -x "$DUMP" ] || { echo "bench/readcheck: no $DUMP (make benches)"; exit 2; }
OUT=build/readcheck
mkdir -p "$OUT/in"
kb=${KNOTFINDER_KB:-kb}
cases=(tests/eval/*.jsonl tests/triage/*.jsonl tests/golden/cases.jsonl)
[ -f ../shared/cases/articles.jsonl ] && cases+=(../shared/cases/articles.jsonl)
# the words of the golden lines, as descriptions
python3 - "$OUT/in/golden.jsonl" tests/golden/*.txt <<'EOF'
import json, sys
seen = set()
with open(sys.argv[1], "w") as out:
    for path in sys.argv[2:]:
        for line in open(path, encoding="utf-8", errors="replace"):
            if line.startswith("#") or "\t" not in line:
                continue
            words = line.split("\t", 1)[0]
            if words and words not in seen:
                seen.add(words)
                out.write(json.dumps({"id": path, "text": words}) + "\n")
EOF
# long texts: bench/read.c's shapes, and every case in one mix to 1 MB
python3 - "$OUT/in" "${cases[@]}" <<'EOF'
import json, sys
d = sys.argv[1]
shapes = {
    "article": "I have a knot between my right shoulder blade and spine that keeps coming "
               "back. Massage helps for a few hours, then it returns. I use the mouse all day "
               "and sleep on my side. My neck doesn't hurt. ",
    "negations": "no pain in my neck and not my back, no fever, never numb, ",
    "onesentence": "my neck hurts and my lats are sore and the knot comes back and massage "
                   "helps for a few hours and ",
    "noside": "my neck hurts and ",
}
for name, s in shapes.items():
    with open(f"{d}/shape-{name}.txt", "w") as f:
        f.write((s * (65536 // len(s) + 1))[:65536])
texts = []
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        try:
            t = json.loads(line).get("text")
        except ValueError:
            continue
        if t:
            texts.append(t)
mix = " ".join(texts).encode("utf-8")
big = mix
while len(big) < 1024 * 1024:
    big += b" " + mix
big = big[:1024 * 1024]
while big and (big[-1] & 0xC0) == 0x80:     # a whole UTF-8 sequence at the end
    big = big[:-1]
if big and big[-1] >= 0xC0:
    big = big[:-1]
open(f"{d}/mix-1mb.txt", "wb").write(big)
EOF
ins=("${cases[@]}" "$OUT/in/golden.jsonl")
run() {
  "$DUMP" --kb "$kb" --json "${ins[@]}" --no-json --join 8 "${ins[@]}" --join 64 "${ins[@]}" \
      --join 1 tests/fuzz/corpus_text/* tests/fuzz/corpus_context/* \
      "$OUT"/in/shape-*.txt "$OUT/in/mix-1mb.txt"
}
if [ "${1:-}" = "--save" ]; then
  run >"$OUT/base.txt" || { echo "bench/readcheck: the dump failed"; exit 2; }
  echo "saved $(grep -c '^==' "$OUT/base.txt") readings ($(grep -c '^  json' "$OUT/base.txt") JSON answers) to $OUT/base.txt"
  exit 0
fi
[ -f "$OUT/base.txt" ] || { echo "bench/readcheck: no $OUT/base.txt (run with --save before the change)"; exit 2; }
run >"$OUT/now.txt" || { echo "bench/readcheck: the dump failed"; exit 2; }
n=$(grep -c '^==' "$OUT/now.txt")
if cmp -s "$OUT/base.txt" "$OUT/now.txt"; then
  echo "the same: $n readings, $(grep -c '^  fact' "$OUT/now.txt") facts, $(grep -c '^  json' "$OUT/now.txt") JSON answers"
  exit 0
fi
diff "$OUT/base.txt" "$OUT/now.txt" | head -40
echo "DIFFERENT: $(diff "$OUT/base.txt" "$OUT/now.txt" | grep -c '^[<>]') lines of $n readings differ"
exit 1
