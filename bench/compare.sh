#!/bin/sh
# The consultation's time against an older revision in the same run:
# builds REV (default c935e20, before the engine work) from `git archive`
# in a temporary directory, then runs its build/bench/consult and ours in
# turns (ABAB...), so both see the same load, and prints each one's median
# CPU time per article consultation (text in -> result out, and with the
# JSON answer) and the ratio.  Times on a shared machine move with its load;
# the ratio in one run is the figure to read (bench/instr.sh has the
# instruction counts, which do not move).
#   bench/compare.sh [REV] [--rounds N] [--iterations N]
set -u
cd "$(dirname "$0")/.."
rev=c935e20 rounds=3 iters=200
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2;;
        --iterations) iters=$2; shift 2;;
        *) rev=$1; shift;;
    esac
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
git archive "$rev" | tar -x -C "$tmp" || { echo "bench/compare: cannot read $rev"; exit 1; }
(cd "$tmp" && make -s benches >/dev/null 2>&1) || { echo "bench/compare: $rev does not build"; exit 1; }
make -s benches >/dev/null 2>&1 || { echo "bench/compare: this tree does not build"; exit 1; }
kb=${KNOTFINDER_KB:-$PWD/kb}
med() {   # the two medians of one run: text -> result, and with the JSON
    "$1" --kb "$kb" --iterations "$iters" 2>/dev/null |
        awk '/^  median/ && n < 2 { print $2; n++ }' | tr '\n' ' '
}
echo "consultation, median CPU us per article case ($iters passes over the cases each run),"
echo "$rev against this tree, in turns; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-10s %22s %22s\n' round "$rev (result, +JSON)" "now (result, +JSON)"
r=1 all=""
while [ "$r" -le "$rounds" ]; do
    a=$(med "$tmp/build/bench/consult"); b=$(med build/bench/consult)
    printf '  %-10s %22s %22s\n' "$r" "$a" "$b"
    all="$all$a $b
"
    r=$((r + 1))
done
printf '%s' "$all" | awk -v rev="$rev" '
NF == 4 { oa[NR] = $1; oj[NR] = $2; na[NR] = $3; nj[NR] = $4; n = NR }
function med(v, n,    i, j, t, w) {
    for (i = 1; i <= n; i++) w[i] = v[i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && w[j] < w[j-1]; j--) { t = w[j]; w[j] = w[j-1]; w[j-1] = t }
    return n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
}
END {
    if (!n) { print "bench/compare: no figures"; exit 1 }
    a = med(oa, n); b = med(na, n); c = med(oj, n); d = med(nj, n)
    printf "  median of the rounds: %s %.1f / %.1f us, now %.1f / %.1f us: now %.2f x the time (result), %.2f x (with the JSON)   target (issue 10): <= 1.00\n",
        rev, a, c, b, d, b / a, d / c
}'
