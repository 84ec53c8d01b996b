#!/bin/sh
# The cost of one drafted reply (draft.h) in instructions, which do not
# depend on the machine's load: cachegrind counts build/bench/draft drafting
# every article case once (--reps 1), only consulting them (read + consult,
# what `ask` does), and only loading the KB and the cases (--reps 0); the
# differences per case are the figures, printed beside the target, then the
# wall-clock times of the same run.
# Target: a draft costs at most 4 consultations of the same words (mean):
# it is one consultation, the questions back ranked by information gain in
# one pass, and the checks before the steps.
#   bench/draft.sh [--kb DIR] [--cases FILE.jsonl]      (needs valgrind)
set -u
cd "$(dirname "$0")/.."
make -s all benches || { echo "build failed"; exit 1; }
if command -v valgrind >/dev/null 2>&1; then
  # one run first, so that every counted run loads the KB the same way (its
  # snapshot; the first run after a change parses the text and writes it)
  build/bench/draft "$@" --quiet --reps 0 >/dev/null 2>&1
  ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
           build/bench/draft "$@" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,; }
  d=$(ir "$@" --quiet --reps 1); c=$(ir "$@" --quiet --consult-only --reps 1)
  z=$(ir "$@" --quiet --reps 0)
  n=$(build/bench/draft "$@" --reps 1 | sed -n 's/^draft: \([0-9]*\) cases.*/\1/p')
  if [ -n "$d" ] && [ -n "$c" ] && [ -n "$z" ] && [ -n "${n:-}" ] && [ "$n" -gt 0 ]; then
    awk -v d="$d" -v c="$c" -v z="$z" -v n="$n" 'BEGIN {
      pd = (d - z) / n; pc = (c - z) / n; r = pd / pc
      printf "instructions (cachegrind, %d cases): per draft %.1fM, per consultation %.1fM\n", n, pd / 1e6, pc / 1e6
      printf "  a draft costs %.1f consultations   target <= 4: %s\n", r, r <= 4 ? "met" : "NOT met" }'
  else
    echo "bench/draft: no instruction counts"
  fi
else
  echo "(valgrind is not installed: no instruction counts; apt-get install valgrind)"
fi
build/bench/draft "$@" --reps 10
