#!/bin/sh
# Instruction counts, which do not depend on the machine's load: callgrind
# runs build/bench/consult --instr, which zeroes the counters before and
# dumps them after each piece of work, and this prints them beside the
# targets of issue 14:
#   text in -> JSON answer out, per article case:  <= 300k instructions
#   KB load + validate:                             <= 10M instructions
# and, for the before/after, the shares of the posterior and of the next
# question's search (and the reading, the JSON and the rest), and
# the same consultation with the answer built as
# a jansson tree and dumped (the way it was) and without any JSON.
#   bench/instr.sh [--kb DIR] [--cases FILE.jsonl]     (needs valgrind)
set -u
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null 2>&1 || { echo "bench/instr: valgrind is not installed (apt-get install valgrind)"; exit 1; }
[ -x build/bench/consult ] || { echo "bench/instr: no build/bench/consult (make benches)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
kb=${KNOTFINDER_KB:-kb}
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" build/bench/consult --kb "$kb" "$@" --instr \
    >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
for f in "$tmp"/cg.out.*; do
    d=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
    printf '%s %s\n' "$d" "$(sed -n 's/^totals: //p' "$f")"
    # the next question's search (kf_best_questions, inclusive), where it ran
    # and the posterior (kf_posterior_order, inclusive: the sums), in every case
    case $d in case-*-none)
        callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null >"$tmp/ann"
        q=$(awk '/question\.c:kf_best_questions /{gsub(",", "", $1); print $1; exit}' "$tmp/ann")
        [ -n "$q" ] && printf 'question %s\n' "$q"
        p=$(awk '/engine\.c:kf_posterior_order /{gsub(",", "", $1); print $1; exit}' "$tmp/ann")
        [ -n "$p" ] && printf 'posterior %s\n' "$p" ;;
    esac
done | awk -v base="$(cat bench/baseline.txt 2>/dev/null | grep -v '^#')" '
function k(x) { return sprintf("%.0fk", x / 1000) }
function m(x) { return sprintf("%.1fM", x / 1e6) }
$1 == "kb-load" { load = $2 } $1 == "kb-load-again" { again = $2 }
$1 == "question" { qsum += $2; qn++; if ($2 > qmax) qmax = $2 }
$1 == "posterior" { psum += $2; pn++; if ($2 > pmax) pmax = $2 }
$1 ~ /^case-/ {
    split($1, a, "-"); how = a[3]
    sum[how] += $2; n[how]++
    v[how, n[how]] = $2
    if ($2 > max[how]) max[how] = $2
}
function median(how,    i, j, t, cnt, w) {
    cnt = n[how]
    for (i = 1; i <= cnt; i++) w[i] = v[how, i]
    for (i = 2; i <= cnt; i++)
        for (j = i; j > 1 && w[j] < w[j - 1]; j--) { t = w[j]; w[j] = w[j - 1]; w[j - 1] = t }
    return cnt % 2 ? w[(cnt + 1) / 2] : (w[cnt / 2] + w[cnt / 2 + 1]) / 2
}
END {
    nb = split(base, bl, "\n")
    for (i = 1; i <= nb; i++) { split(bl[i], kv, " "); B[kv[1]] = kv[2] }
    if (!n["stream"]) { print "bench/instr: no counts (was it run under callgrind?)"; exit 1 }
    printf "instructions (callgrind; the same on a busy machine as on a quiet one)\n"
    printf "  text in -> JSON answer out, per case (%d cases): mean %s, max %s   target <= 300k: %s\n",
        n["stream"], k(sum["stream"] / n["stream"]), k(max["stream"]),
        max["stream"] <= 300000 ? "met" : (sum["stream"] / n["stream"] <= 300000 ? "met on the mean, not the max" : "NOT met")
    printf "    median %s\n", k(median("stream"))
    if (B["article_stream_mean_99f6495"])
        printf "    before the perf14a branch (99f6495): mean %s, median %s, max %s; the streamed JSON %s, the reading %s\n",
            k(B["article_stream_mean_99f6495"]), k(B["article_stream_median_99f6495"]), k(B["article_stream_max_99f6495"]),
            k(B["article_json_mean_99f6495"]), k(B["article_read_mean_99f6495"])
    if (B["article_stream_mean_b9667e3"])
        printf "    before the perf15a branch (b9667e3): mean %s, median %s, max %s\n",
            k(B["article_stream_mean_b9667e3"]), k(B["article_stream_median_b9667e3"]), k(B["article_stream_max_b9667e3"])
    if (B["article_stream_mean"])
        printf "    before the engine work (c935e20, bench/baseline.txt): mean %s, max %s: now %.1f x fewer on the mean\n",
            k(B["article_stream_mean"]), k(B["article_stream_max"]), B["article_stream_mean"] / (sum["stream"] / n["stream"])
    if (B["article_stream_mean_b0c61d5"])
        printf "    before the posterior work (b0c61d5): mean %s, median %s, max %s: now %.1f x fewer on the mean\n",
            k(B["article_stream_mean_b0c61d5"]), k(B["article_stream_median_b0c61d5"]),
            k(B["article_stream_max_b0c61d5"]), B["article_stream_mean_b0c61d5"] / (sum["stream"] / n["stream"])
    if (B["article_stream_mean_6fbca96"])
        printf "    before the consultation work of the qsearch branch (6fbca96): mean %s, median %s, max %s\n",
            k(B["article_stream_mean_6fbca96"]), k(B["article_stream_median_6fbca96"]), k(B["article_stream_max_6fbca96"])
    printf "    of which reading + consulting (no JSON): mean %s, median %s, max %s\n",
        k(sum["none"] / n["none"]), k(median("none")), k(max["none"])
    if (B["article_none_median"])
        printf "      before (c935e20): mean %s, median %s\n", k(B["article_none_mean"]), k(B["article_none_median"])
    if (n["read"])
        printf "      reading the text alone (kf_text_read): mean %s, median %s; so the consultation (engine, plan, question): mean %s%s\n",
            k(sum["read"] / n["read"]), k(median("read")), k((sum["none"] - sum["read"]) / n["none"]),
            B["article_consult_mean_6fbca96"] ? sprintf(" (before: 6fbca96 %s; b0c61d5 %s, with ~100k of malloc consolidation)", k(B["article_consult_mean_6fbca96"]), k(B["article_consult_mean_b0c61d5"])) : \
            B["article_consult_mean_b0c61d5"] ? sprintf(" (before, b0c61d5: %s)", k(B["article_consult_mean_b0c61d5"])) : ""
    if (qn)
        printf "      the next question'"'"'s search (kf_best_questions, in the consultation): %d cases, mean %s, max %s (%s over all %d cases)%s\n",
            qn, k(qsum / qn), k(qmax), k(qsum / n["none"]), n["none"],
            B["article_question_mean_3fad7ce"] ? sprintf("; before: b9667e3 mean %s, max %s; 6fbca96 mean %s, max %s; 3fad7ce %d cases, mean %s, max %s", k(B["article_question_mean_b9667e3"]), k(B["article_question_max_b9667e3"]), k(B["article_question_mean_6fbca96"]), k(B["article_question_max_6fbca96"]), B["article_question_n_3fad7ce"], k(B["article_question_mean_3fad7ce"]), k(B["article_question_max_3fad7ce"])) : ""
    if (pn)
        printf "      the posterior (kf_posterior_order, in the consultation): mean %s, max %s%s\n",
            k(psum / pn), k(pmax),
            B["article_posterior_mean_b9667e3"] ? sprintf(" (before the perf15a branch, b9667e3: mean %s, max %s)", k(B["article_posterior_mean_b9667e3"]), k(B["article_posterior_max_b9667e3"])) : ""
    if (pn && n["read"])
        printf "      so per case: reading %s + posterior %s + question %s + the rest of the consultation %s + JSON %s = %s   (target <= 300k in all)\n",
            k(sum["read"] / n["read"]), k(psum / n["none"]), k(qsum / n["none"]),
            k((sum["none"] - sum["read"] - psum - qsum) / n["none"]), k((sum["stream"] - sum["none"]) / n["stream"]),
            k(sum["stream"] / n["stream"])
    printf "    of which the JSON answer, streamed:       mean %s%s\n",
        k((sum["stream"] - sum["none"]) / n["stream"]),
        B["article_json_mean_6fbca96"] ? sprintf(" (before, 6fbca96: %s)", k(B["article_json_mean_6fbca96"])) : ""
    printf "    the JSON answer as a jansson tree + json_dumps (the old way): mean %s (%.1f x the stream)\n",
        k((sum["tree"] - sum["none"]) / n["tree"]),
        (sum["tree"] - sum["none"]) / (sum["stream"] - sum["none"])
    printf "    whole consultation the old way: mean %s\n", k(sum["tree"] / n["tree"])
    printf "  KB load + validate: %s (a second load in the same process: %s)   target <= 10M: %s\n",
        m(load), m(again), load <= 10e6 ? "met" : "NOT met"
}'
