/*
 * bits.c — every number the posterior's paths give, in hex, on evidence
 * drawn from the model (bench/posterior's draw, fixed seed), for
 * bench/bitcheck.sh to compare between two builds byte for byte: a change
 * to the engine meant to leave its numbers alone must leave these alone
 * (test_engine_ref only checks them against brute force within the
 * engine's widths).
 *
 *   build/bench/bits [--kb DIR] [--sets N]     (N sets at each of 3..16
 *                                               present findings, default 6)
 *
 * For each set: kf_posterior_ev (fast and not: posteriors, intervals,
 * log P(E), approximate) and kf_posterior_cands with 12 candidates (fast
 * and not: the posterior under E and every candidate's row and log P).
 * Rows the engine does not compute (not fast above the walk's limit) are
 * zeroed first, so only computed numbers differ.
 */
#include "engine.h"
#include "kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NQ 12

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static double unif(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* as bench/posterior.c's draw */
static void draw(const kf_kb *kb, int np, kf_findings *f)
{
    int nc = kb->n_causes;
    bool *on = calloc((size_t)nc, 1), *tight = calloc((size_t)nc, 1);
    bool *fon = calloc((size_t)kb->n_findings, 1);
    for (int tries = 0; tries < 1000; tries++) {
        for (int c = 0; c < nc; c++)
            tight[c] = on[c] = unif() < kb->causes[c].prior * 4;
        for (int h = 0; h < nc; h++)
            for (int j = 0; j < kb->causes[h].n_keeps; j++)
                if (on[h] && unif() < kb->causes[h].keeps_p[j])
                    tight[kb->causes[h].keeps[j]] = true;
        int cnt = 0;
        for (int x = 0; x < kb->n_findings; x++) {
            fon[x] = unif() < kb->leak;
            for (int k = kb->flink_first[x]; k < kb->flink_first[x + 1]; k++) {
                const kf_link *ln = &kb->links[kb->flink[k]];
                if ((on[ln->cause] || tight[ln->cause]) && unif() < ln->p)
                    fon[x] = true;
            }
            cnt += fon[x] && kb->findings[x].kind != KF_FIND_REDFLAG;
        }
        if (cnt >= np)
            break;
    }
    int npos = 0, nneg = 0;
    kf_findings_init(f);
    for (int x = 0; x < kb->n_findings; x++) {
        if (kb->findings[x].kind == KF_FIND_REDFLAG)
            continue;
        kf_fact v = { .finding = x, .origin = KF_FROM_ANSWER, .alt = -1, .start = -1 };
        if (fon[x] && npos < np) {
            v.state = KF_PRESENT;
            npos++;
        } else if (!fon[x] && nneg < 6 && unif() < 0.2) {
            v.state = KF_ABSENT;
            nneg++;
        } else
            continue;
        kf_findings_add(f, &v);
    }
    free(on);
    free(tight);
    free(fon);
}

static void row(const char *tag, const double *v, int n)
{
    fputs(tag, stdout);
    for (int i = 0; i < n; i++)
        printf(" %a", v[i]);
    putchar('\n');
}

int main(int argc, char **argv)
{
    const char *dir = getenv("KNOTFINDER_KB");
    int sets = 6;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kb") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--sets") && i + 1 < argc)
            sets = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bits [--kb DIR] [--sets N]\n");
            return 1;
        }
    }
    kf_kb *kb;
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "%s", errs.s ? errs.s : "cannot load the kb\n");
        return 1;
    }
    kf_buf_free(&errs);
    int nc = kb->n_causes;
    double *post = malloc((size_t)nc * sizeof *post), *lo = malloc((size_t)nc * sizeof *lo);
    double *hi = malloc((size_t)nc * sizeof *hi);
    double *cp = malloc(((size_t)NQ * (size_t)nc + 1) * sizeof *cp);
    if (!post || !lo || !hi || !cp)
        return 1;
    for (int np = 3; np <= 16; np++)
        for (int s = 0; s < sets; s++) {
            kf_findings f;
            draw(kb, np, &f);
            kf_evidence_set ev;
            if (kf_evidence(kb, &f, &ev) != KF_OK)
                return 1;
            long double lp;
            for (int fast = 0; fast < 2; fast++) {
                bool ap;
                if (kf_posterior_ev(kb, &ev, post, lo, hi, &ap, &lp, fast) != KF_OK)
                    return 1;
                printf("np %d set %d fast %d approximate %d logpe %La\n", np, s, fast, ap, lp);
                row("p", post, nc);
                row("lo", lo, nc);
                row("hi", hi, nc);
            }
            int cand[NQ], nq = 0;
            for (int x = 0; x < kb->n_findings && nq < NQ; x++)
                if (!kf_findings_get(&f, x) && kb->findings[x].kind != KF_FIND_REDFLAG &&
                    (x * 7 + s) % 5 == 0)
                    cand[nq++] = x;
            for (int fast = 0; fast < 2 && ev.np <= 16; fast++) {
                long double cl[NQ];
                bool ok, cok[NQ];
                memset(cp, 0, ((size_t)NQ * (size_t)nc + 1) * sizeof *cp);
                memset(cl, 0, sizeof cl);
                if (kf_posterior_cands(kb, &ev, cand, nq, fast, post, &lp, &ok, cp, cl, cok) !=
                    KF_OK)
                    return 1;
                printf("candidates fast %d ok %d logpe %La\n", fast, ok, lp);
                row("p", post, nc);
                for (int t = 0; t < nq; t++) {
                    printf("candidate %d ok %d logpe %La\n", t, cok[t], cl[t]);
                    row("c", cp + (size_t)t * (size_t)nc, nc);
                }
            }
            kf_evidence_free(&ev);
            kf_findings_free(&f);
        }
    free(post);
    free(lo);
    free(hi);
    free(cp);
    kf_kb_free(kb);
    return 0;
}
