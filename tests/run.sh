#!/usr/bin/env bash
# The whole test suite: a warning-free build, unit tests, knowledge-base
# checks, golden tests, the article evaluation, API, journal reliability,
# browser tests and fuzz-corpus replay; then the same core suites again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
# Every suite prints "N passed, N failed" last (", N skipped" after it when
# it skipped checks it could not run here, e.g. without ../shared); this
# script sums them and prints the grand total the same way.  Exit status is non-zero on any failure.
#   tests/run.sh            everything
#   tests/run.sh --quick    skip the browser tests and the sanitizer pass
set -u
cd "$(dirname "$0")/.."
QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
TOTAL_P=0; TOTAL_F=0; TOTAL_S=0; FAILED_SUITES=()
LOG=$(mktemp -d); trap 'rm -rf "$LOG"' EXIT

suite() {   # suite NAME COMMAND...
  local name=$1; shift
  printf '\n=== %s\n' "$name"
  local out="$LOG/out" rc
  "$@" 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
  local last; last=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$out" | tail -n 1)
  local p=0 f=0 sk=0
  if [ -n "$last" ]; then
    p=${last%% passed*}; f=${last#*, }; f=${f%% failed*}
    case $last in *skipped) sk=${last##*failed, }; sk=${sk%% skipped} ;; esac
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  [ -z "$last" ] && [ "$rc" -eq 0 ] && p=1
  TOTAL_P=$((TOTAL_P + p)); TOTAL_F=$((TOTAL_F + f)); TOTAL_S=$((TOTAL_S + sk))
  [ "$f" -ne 0 ] && FAILED_SUITES+=("$name")
  return 0
}

units() {   # units BUILD_DIR
  local p=0 f=0 t
  for t in "$1"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "-- $t"
    if "$t"; then p=$((p + 1)); else f=$((f + 1)); echo "FAIL $t"; fi
  done
  echo "$p passed, $f failed"
  [ "$f" -eq 0 ]
}

run_if() {  # run_if SCRIPT [ARGS]: a suite that another part of the tree provides
  if [ -x "$1" ]; then "$@"; else echo "missing $1"; return 1; fi
}

export KNOTFINDER_KB="$PWD/kb" KNOTFINDER_WEB="$PWD/web"
# The journal of every consultation the tests make goes to a scratch folder.
export XDG_DATA_HOME="$LOG/data"

suite "build (warnings are errors)" make -s WERROR=1 all tests
export KNOTFINDER="$PWD/build/knotfinder"
suite "unit tests" units build
suite "knowledge base: check and vocabulary" python3 tests/kb/vocab.py build/knotfinder ../shared/cases/VOCABULARY.md
suite "knowledge base: the course (lessons, coverage, lessons/lesson)" tests/kb/lessons.sh build/knotfinder
suite "engine checked from the exported network (exact fractions)" python3 tests/kb/export_check.py build/knotfinder tests/golden/cases.jsonl 4
suite "golden cases" run_if tests/golden/run.sh
suite "golden CLI transcripts" run_if tests/golden/cli.sh
suite "golden lexicon readings" run_if tests/golden/lexicon.sh
suite "golden context readings" run_if tests/golden/lexicon.sh tests/golden/context.txt
suite "golden safety readings" run_if tests/golden/lexicon.sh tests/golden/lexicon-safety.txt
suite "golden risk readings" run_if tests/golden/lexicon.sh tests/golden/lexicon-risk.txt
suite "golden family readings" run_if tests/golden/lexicon.sh tests/golden/lexicon-families.txt
suite "article evaluation" tests/eval/check.sh
suite "triage suite (0 under-triage)" run_if tests/triage/run.sh
suite "triage, unseen-style registers (0 under-triage)" run_if tests/triage/run.sh tests/triage/unseen-style.jsonl
suite "triage, unseen-style probe (0 under-triage)" run_if tests/triage/run.sh tests/triage/unseen-probe.jsonl
suite "triage, unseen families 2 (0 under-triage)" run_if tests/triage/run.sh tests/triage/unseen-families2.jsonl
suite "triage, unseen families and look-alikes (0 under-triage)" run_if tests/triage/run.sh tests/triage/unseen-families.jsonl
suite "triage, safety probe 2 (0 under-triage)" run_if tests/triage/run.sh tests/triage/unseen-probe2.jsonl
suite "triage, safety probe 3: red-team round 2 (0 under-triage)" run_if tests/triage/run.sh tests/triage/unseen-probe3.jsonl
suite "triage: a red flag in every interface (ask, API, interview, draft)" run_if tests/triage/interfaces.py
suite "HTTP API" run_if tests/api/run.sh
suite "hosted course API (SQLite and PostgreSQL)" run_if tests/hosted/run.sh
for t in tests/journal/*.sh; do
  [ -x "$t" ] && suite "journal: $(basename "$t" .sh)" "$t"
done
suite "store on SQLite and PostgreSQL (a private server)" run_if tests/pg/run.sh build
suite "fuzz corpus replay" run_if tests/fuzz/run.sh
suite "install, man page, --version, make check" run_if tests/install/run.sh
if [ "$QUICK" -eq 0 ]; then
  suite "browser (headless Chromium)" run_if tests/browser/run.sh
  suite "sanitizer build" make -s SAN=1 WERROR=1 all tests
  export KNOTFINDER="$PWD/build/san/knotfinder"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  suite "unit tests (ASan+UBSan)" units build/san
  suite "golden cases (ASan+UBSan)" run_if tests/golden/run.sh
  suite "golden CLI transcripts (ASan+UBSan)" run_if tests/golden/cli.sh
  suite "golden lexicon readings (ASan+UBSan)" run_if tests/golden/lexicon.sh
  suite "golden context readings (ASan+UBSan)" run_if tests/golden/lexicon.sh tests/golden/context.txt
  suite "article evaluation (ASan+UBSan)" tests/eval/check.sh
  suite "triage suite (ASan+UBSan)" run_if tests/triage/run.sh
  suite "triage, unseen-style registers (ASan+UBSan)" run_if tests/triage/run.sh tests/triage/unseen-style.jsonl
  suite "HTTP API (ASan+UBSan)" run_if tests/api/run.sh
  suite "hosted course API (ASan+UBSan)" run_if tests/hosted/run.sh "$KNOTFINDER"
  suite "journal: shutdown under load (ASan+UBSan)" tests/journal/shutdown.sh
  suite "store on SQLite and PostgreSQL (ASan+UBSan)" run_if tests/pg/run.sh build/san
fi

printf '\n=== summary\n'
[ ${#FAILED_SUITES[@]} -gt 0 ] && printf 'failed suites: %s\n' "${FAILED_SUITES[*]}"
if [ "$TOTAL_S" -gt 0 ]; then echo "$TOTAL_P passed, $TOTAL_F failed, $TOTAL_S skipped"
else echo "$TOTAL_P passed, $TOTAL_F failed"; fi
[ "$TOTAL_F" -eq 0 ]
