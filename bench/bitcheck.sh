#!/usr/bin/env bash
# Are the engine's numbers the same to the bit as another commit's?  For a
# change to the engine meant to leave every number alone (a faster loop,
# work skipped whose result is not read): builds bench/bits.c against this
# tree and against REV's objects (git archive into build/bitcheck/REV),
# runs both on the same KB (this tree's kb/, or KNOTFINDER_KB) and compares
# their output byte for byte: every posterior, interval and log P(E) of
# kf_posterior_ev (fast and not) and every candidate row of
# kf_posterior_cands, on sets drawn from the model at 3..16 present
# findings (bench/bits.c).  bench/askcheck.sh compares the answers.
#   bench/bitcheck.sh [REV] [--sets N]   REV: default main's merge base
set -u
cd "$(dirname "$0")/.."
rev=$(git merge-base main HEAD 2>/dev/null || git rev-parse HEAD~1)
case ${1:-} in --*|'') ;; *) rev=$1; shift ;; esac
rev=$(git rev-parse --short "$rev") || exit 2
base=build/bitcheck/$rev
make -s all benches || exit 2
if [ ! -x "$base/build/bench/bits" ]; then
  rm -rf "$base" && mkdir -p "$base"
  git archive "$rev" | tar -x -C "$base" || exit 2
  cp bench/bits.c "$base/bench/bits.c"     # the same program, built by REV's Makefile
  (cd "$base" && nice make -s -j2 build/bench/bits) >"$base.log" 2>&1 ||
    { tail -20 "$base.log"; echo "bitcheck: $rev did not build with bench/bits.c"; exit 2; }
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
kb=${KNOTFINDER_KB:-kb}
"$base/build/bench/bits" --kb "$kb" "$@" >"$tmp/old" || { echo "bitcheck: $rev's run failed"; exit 2; }
build/bench/bits --kb "$kb" "$@" >"$tmp/new" || { echo "bitcheck: this tree's run failed"; exit 2; }
runs=$(grep -c '^np ' "$tmp/new")
if cmp -s "$tmp/old" "$tmp/new"; then
  echo "bitcheck: $runs posteriors and their candidates the same to the bit as $rev"
else
  echo "bitcheck: DIFFERENT from $rev; first difference:"
  cmp "$tmp/old" "$tmp/new" | head -1
  diff "$tmp/old" "$tmp/new" | head -4 | cut -c1-300
  exit 1
fi
