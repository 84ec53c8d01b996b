#!/usr/bin/env bash
# All in-process and whole-process benchmarks, each figure beside its target
# (issue 14):
#   text in -> JSON answer out, per article case: <= 300k instructions,
#     median <= 30 us on a quiet machine                 (bench/instr.sh, bench/consult.c)
#   KB load + validate: <= 10M instructions               (bench/kbload.sh; bench/instr.sh)
#   peak RSS: ask on an article case <= 16 MB, on a 1 MB description <= 32 MB
#                                                         (bench/rss.sh)
#   the text reader on 64 KB .. 1 MB: 1 MB < 50 ms, 64 KB < 5 ms, 8x the
#     input < 10x the instructions                         (bench/read.sh)
#   the revised plan on 1 and 20 years of daily check-ins: the same +-20%
#                                                         (bench/journal/history.sh)
#   a drafted reply (issue 15): instructions per draft <= 4 consultations
#                                                         (bench/draft.sh)
#   posterior and consultation at 8/12/16/20 present findings, exact at >= 16,
#   Quickscore <= 200 instructions per step, at 8, 12, 16 present findings
#   (valgrind; the times in bench/posterior's table)       (bench/posterior.c)
# bench/baseline.txt holds the figures from before the engine work
# (instruction counts, which compare across runs); they print beside today's.
# bench/bitcheck.sh [REV] checks an engine change left every posterior the
# same to the bit (bench/bits.c against REV's build); bench/askcheck.sh the
# answers.
# bench/compare.sh [REV] times the consultation against REV (default
# c935e20, before the engine work) in the same run, in turns (~2 minutes).
# With COMPARE=1 this script runs it at the end.
# Instruction counts (callgrind) are the figures to trust on a shared
# machine; times are printed too, with the machine's load, and the in-run
# ratio of the streamed answer to the old jansson tree.  The HTTP benchmark
# is bench/http/run.sh (needs wrk and nginx).  Builds what it needs.
#   bench/run.sh [--iterations N]     KNOTFINDER_KB picks the KB (default kb/)
set -u
cd "$(dirname "$0")/.."
make -s all benches || { echo "build failed"; exit 1; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# A cache folder of the run's own: the KB snapshot is made here first
# (bench/kbload.sh leaves one), so every later figure loads the KB as a
# command does when its files have not changed.
BENCH_CACHE=$(mktemp -d); trap 'rm -rf "$BENCH_CACHE"' EXIT
export XDG_CACHE_HOME=$BENCH_CACHE
if command -v valgrind >/dev/null 2>&1; then
  bench/kbload.sh ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"}
  # each program has its own snapshot (its build id): made here, before
  # the counts, by one quick run of each
  for b in build/bench/kbload build/bench/consult build/bench/posterior; do
    case $b in */kbload) a=load ;; */consult) a="--iterations 1" ;; *) a="--only 0 --reps 1" ;; esac
    # shellcheck disable=SC2086
    "$b" ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} $a >/dev/null 2>&1
  done
  echo
  bench/instr.sh ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"}
else
  echo "(valgrind is not installed: no instruction counts; apt-get install valgrind)"
fi
echo
build/bench/consult ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} "$@" || exit 1
echo
build/bench/posterior ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} || exit 1
if command -v valgrind >/dev/null; then
  # Instructions per Quickscore step (one subset's term): R runs on the same
  # drawn evidence at N present findings, less the same program with 0 runs
  # (start-up, KB load, the draw), over R x 2^N' subsets, N' the present
  # findings the walk sums over (posterior prints it).  "levels": the walk
  # alone (kf_quickscore_levels: double, its lowest levels in long double
  # from 10 present findings; each run's own set-up included); "as run":
  # kf_posterior_cands without candidates as the engine runs it (the exact
  # reductions, Quickscore by levels, up to 14 the long double walk where
  # that cannot certify).
  ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
           build/bench/posterior ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} "$@" 2>&1 |
         sed -n 's/.*I *refs: *//p' | tr -d ,; }
  for n in 8 12 16; do
    before=$(sed -n "s/^qs_step_instr_3fad7ce_$n //p" bench/baseline.txt 2>/dev/null)
    reps=20; [ "$n" -ge 16 ] && reps=2
    for how in levels quickscore; do
      steps=$(build/bench/posterior ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} --only $n --reps 1 --$how)
      np=$(echo "$steps" | sed -n 's/.*x 2^\([0-9]*\) present.*/\1/p')
      cert=$(case $steps in *"not certified"*|*approximate*) echo "not certified";; *) echo certified;; esac)
      z=$(ir --only $n --reps 0 --$how); a=$(ir --only $n --reps $reps --$how)
      [ -n "$z" ] && [ -n "$a" ] && [ -n "$np" ] || continue
      per=$(( (a - z) / (reps << np) )); run=$(( (a - z) / reps ))
      # the time of one posterior (CPU, mean of a few runs outside valgrind)
      us=$(build/bench/posterior ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"} --only $n --reps $((reps * 2)) --$how |
           sed -n 's/.*; \([0-9]*\) us per run.*/\1/p')
      label=$([ $how = levels ] && echo "levels walk alone" || echo "Quickscore as run, subsets of all N")
      b2=$(sed -n "s/^qs_step_instr_6fbca96_${how}_$n //p" bench/baseline.txt 2>/dev/null)
      printf 'Quickscore step at %2d present findings (%s, %s): %5d instructions per subset, %9d per posterior, %6s us   target <= 200: %s%s%s\n' \
        "$np" "$label" "$cert" "$per" "$run" "${us:-?}" "$([ "$per" -le 200 ] && echo met || echo NOT met)" \
        "$([ -n "$b2" ] && echo "   (before the qscore branch: $b2)")" \
        "$([ $how = quickscore ] && [ -n "$before" ] && echo "   (before levels: $before, the long double walk)")"
    done
  done
else
  echo "Quickscore instructions per step: valgrind not installed"
fi
echo
bench/rss.sh
echo
bench/draft.sh ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"}
if [ -x build/bench/read ]; then
  echo
  bench/read.sh ${KNOTFINDER_KB:+--kb "$KNOTFINDER_KB"}
fi
if [ "${COMPARE:-0}" = 1 ]; then
  echo
  bench/compare.sh
fi
echo
bench/journal/history.sh
