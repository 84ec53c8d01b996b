#!/usr/bin/env bash
# libFuzzer harnesses, built with clang, ASan and UBSan into build/fuzz/:
#   text       the text reader, the consultation and the JSON renderer
#   kb         the KB loader
#   http       the server's gate (Host, Origin, token), path unescaping, the
#              route table and static paths
#   api        the JSON bodies of every endpoint, through the real handlers
#   hosted     the hosted course's bodies (accounts, sessions, questions,
#              answers, lessons, the per-user journal) with and without a
#              session and its CSRF token
#   journal    the journal's field parsers (did, where, times, pain, hours)
#   store      rows read back from a hostile database, and all that reads them
#   interview  the interview's typed answers, through the real command
#   pattern    the lexicon's pattern language
#   context    the context rules (negated, hypothetical, someone else...)
#
#   tests/fuzz/run.sh                 replay the seed corpora (what CI runs)
#   tests/fuzz/run.sh --fuzz SECONDS  fuzz each harness for SECONDS (inputs up
#                                     to 64 KB), adding new inputs to
#                                     build/fuzz/new_<name>/; a crash is
#                                     written to tests/fuzz/corpus_<name>/
#                                     crash-* so it replays from then on
#   tests/fuzz/run.sh --fuzz S NAME   only one harness
# KNOTFINDER_KB names the KB the text harness loads (default kb/).
# The last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=build/fuzz
SECS=0
ONLY=""
if [ "${1:-}" = "--fuzz" ]; then
  SECS=${2:?usage: tests/fuzz/run.sh [--fuzz SECONDS [text|kb]]}
  ONLY=${3:-}
fi
CC=${FUZZ_CC:-clang}
PKGS="jansson libmicrohttpd sqlite3 libedit libpq libsodium"
export KNOTFINDER_KB=${KNOTFINDER_KB:-$ROOT/kb}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0; fail=0
ok()  { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

if ! command -v "$CC" >/dev/null; then
  bad "no $CC: install clang and libclang-rt-14-dev"
  echo "$pass passed, $fail failed"; exit 1
fi
mkdir -p "$OUT"
CFLAGS="-std=c11 -D_GNU_SOURCE -gline-tables-only -O1 -fno-omit-frame-pointer -Isrc -pthread
        -fsanitize=address,undefined -fno-sanitize-recover=undefined
        -Werror=implicit-function-declaration $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lstemmer -lm -pthread"
# Compiles and links run FUZZ_JOBS at a time (default: the number of cores).
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
throttle() { while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done; }
# The program's objects are built once (instrumented for the fuzzer) and
# linked into every harness.
mkdir -p "$OUT/obj"
LIBOBJ=(); BUILT=()
for src in src/*.c; do
  [ "$src" = src/main.c ] && continue
  obj=$OUT/obj/$(basename "$src" .c).o
  if [ ! -f "$obj" ] || [ -n "$(find src -name '*.h' -newer "$obj" | head -1)" ] || [ "$src" -nt "$obj" ]; then
    rm -f "$obj" "$obj.log"
    throttle
    # shellcheck disable=SC2086
    { $CC $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src" 2>"$obj.log" || rm -f "$obj"; } &
    BUILT+=("$src")
  fi
  LIBOBJ+=("$obj")
done
wait
for src in "${BUILT[@]+"${BUILT[@]}"}"; do
  obj=$OUT/obj/$(basename "$src" .c).o
  [ -s "$obj.log" ] && cat "$obj.log" >>"$OUT/build_lib.log"
  if [ ! -f "$obj" ]; then cat "$obj.log"; bad "build $src"; fi
  rm -f "$obj.log"
done
[ "$fail" -eq 0 ] || { echo "$pass passed, $fail failed"; exit 1; }

NAMES=()
for name in text kb http api hosted journal store interview pattern context; do
  [ -n "$ONLY" ] && [ "$ONLY" != "$name" ] && continue
  NAMES+=("$name")
  bin=$OUT/fuzz_$name
  extra=""
  # The interview harness runs the real command but keeps one KB loaded.
  [ "$name" = interview ] && extra="-Wl,--wrap=kf_cli_load_kb -Wl,--wrap=kf_kb_free"
  # Rebuild when any source is newer than the binary.
  if [ ! -x "$bin" ] || [ -n "$(find src tests/fuzz/fuzz_$name.c -newer "$bin" -name '*.[ch]' | head -1)" ]; then
    rm -f "$bin"
    throttle
    # shellcheck disable=SC2086
    { $CC $CFLAGS -fsanitize=fuzzer -o "$bin" tests/fuzz/fuzz_$name.c "${LIBOBJ[@]}" $LIBS $extra \
        2>"$OUT/build_$name.log" || rm -f "$bin"; } &
  fi
done
wait

for name in "${NAMES[@]}"; do
  bin=$OUT/fuzz_$name
  if [ ! -x "$bin" ]; then
    cat "$OUT/build_$name.log"
    bad "build fuzz_$name"
    continue
  fi
  ok "build fuzz_$name"
  corpus=tests/fuzz/corpus_$name
  if "$bin" "$corpus" -runs=0 >"$OUT/replay_$name.log" 2>&1; then
    ok "replay corpus_$name ($(ls "$corpus" | wc -l) inputs)"
  else
    tail -40 "$OUT/replay_$name.log"
    bad "replay corpus_$name"
  fi
  if [ "$SECS" -gt 0 ]; then
    new=$OUT/new_$name
    mkdir -p "$new"
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
    echo "fuzzing fuzz_$name for $SECS s (log $OUT/fuzz_$name.log)"
    if "$bin" "$new" "$corpus" "${dict[@]}" -max_total_time="$SECS" -max_len=65536 \
         -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="$corpus/" >"$OUT/fuzz_$name.log" 2>&1; then
      ok "fuzz fuzz_$name ${SECS}s: $(grep -E '^stat::number_of_executed_units' "$OUT/fuzz_$name.log" | awk '{print $2}') runs, $(grep -Eo 'cov: [0-9]+' "$OUT/fuzz_$name.log" | tail -n 1), no crash"
    else
      tail -60 "$OUT/fuzz_$name.log"
      bad "fuzz fuzz_$name: crash saved in $corpus/ ($(ls -t "$corpus" | head -1))"
    fi
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
