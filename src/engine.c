/*
 * engine.c — the posterior over causes, the ranking and its explanation,
 * and the consultation that ties triage (triage.c), the plan (plan.c) and
 * the next question (question.c) together.
 *
 * THE MODEL (one network, computed exactly).  Every cause is a binary root
 * variable with its prior (kb `prior`).  Findings are noisy-OR children:
 * a finding is absent only if the leak (kb [scale] leak) and every active
 * parent fail to produce it, each parent independently with its link
 * strength p.  The parents of a finding are
 *   - a muscle's own trigger points ("tight for reasons of its own", prior =
 *     the muscle's kb prior), a mimic, a body cause, a habit: through their
 *     own links (refers, pulls, local, sign, reports);
 *   - the habit -> muscle chain: a habit or body cause h that keeps muscle m
 *     tight (keeps_tight / kept_by, strength s) keeps it tight with chance s
 *     when h is present; a muscle kept tight by h acts on the findings
 *     through m's links.  So there are three layers: habits -> (muscle kept
 *     tight by that habit) -> findings, beside muscles -> findings.
 * A muscle is reported tight when any of its sources is active: its own
 * trigger points or one of its habits' chains.  Each source acts on the
 * findings with the muscle's links on its own (two sources of tightness
 * are two chances to refer pain), which keeps every root's contribution a
 * product over findings, so the network stays exact under Quickscore.
 * A finding of any kind (a check-in, a habit, a red flag) is just a child.
 * Unsure answers are not evidence.
 *
 * EXACT INFERENCE: Quickscore (Heckerman 1989) over the present findings P
 * with the absent findings N folded in,
 *   P(P, N) = sum_{S in P} (-1)^|S| (1-leak)^|S+N| prod_roots g_r(S+N),
 *   g_r(T) = (1-pi_r) + pi_r Q_r(T) prod_{m kept by r} [(1-s_rm) + s_rm Q_m(T)],
 * Q_x(T) = prod_{f in T} (1 - p_xf).  A Gray code visits the 2^|P| subsets,
 * changing only the roots linked (directly or through a kept muscle) to the
 * finding it toggles.  Marginals accumulate in the same pass: a root is
 * present with share pi Q prod / g of each term; a muscle is slack when its
 * own source and every chain to it are off.  Terms are long double; a
 * rounding-error bound (sum of |terms| times the per-term error) gives every
 * posterior an interval, and the answer is exact when the interval is
 * narrower than KF_EXACT_WIDTH.
 *
 * ABOVE KF_EXACT_MAX present findings the sum runs over the KF_EXACT_MAX
 * with the strongest links (ties by finding id, so the answer does not
 * depend on the input's order); the others widen each cause's interval by
 * the bound on their likelihood ratio (each left-out finding multiplies a
 * cause's odds by between prod (1-(1-leak)(1-p)) and leak^-1), and the
 * answer is marked approximate.
 */
#include "engine.h"
#include "plan.h"
#include "question.h"
#include "triage.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest number of present findings summed exactly: 2^20 terms. */
#define KF_EXACT_MAX 20
/* An interval narrower than this is "exact". */
#define KF_EXACT_WIDTH 1e-9
/* Relative rounding error of one term: its factors are updated by at most
 * 256 multiplications or divisions (4 per toggle) before the product is
 * recomputed, over at most ~100 roots, in long double. */
#define KF_TERM_EPS (1200.0L * LDBL_EPSILON)

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

kf_err kf_evidence(const kf_kb *kb, const kf_findings *f, kf_evidence_set *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->pos = kf_malloc((size_t)(f->n + 1) * sizeof *ev->pos);
    ev->neg = kf_malloc((size_t)(f->n + 1) * sizeof *ev->neg);
    if (!ev->pos || !ev->neg) {
        kf_evidence_free(ev);
        return KF_ENOMEM;
    }
    for (int i = 0; i < f->n; i++) {
        const kf_fact *x = &f->v[i];
        if (x->finding < 0 || x->finding >= kb->n_findings)
            continue;
        if (x->state == KF_PRESENT)
            ev->pos[ev->np++] = x->finding;
        else if (x->state == KF_ABSENT)
            ev->neg[ev->nn++] = x->finding;
    }
    /* Sorted and without repeats: the answer cannot depend on the order
     * the findings came in.  A finding both present and absent counts as
     * present (kf_findings_add never makes one). */
    qsort(ev->pos, (size_t)ev->np, sizeof *ev->pos, cmp_int);
    qsort(ev->neg, (size_t)ev->nn, sizeof *ev->neg, cmp_int);
    int k = 0;
    for (int i = 0; i < ev->np; i++)
        if (!k || ev->pos[k - 1] != ev->pos[i])
            ev->pos[k++] = ev->pos[i];
    ev->np = k;
    k = 0;
    for (int i = 0, j = 0; i < ev->nn; i++) {
        while (j < ev->np && ev->pos[j] < ev->neg[i])
            j++;
        if ((j < ev->np && ev->pos[j] == ev->neg[i]) || (k && ev->neg[k - 1] == ev->neg[i]))
            continue;
        ev->neg[k++] = ev->neg[i];
    }
    ev->nn = k;
    return KF_OK;
}

void kf_evidence_free(kf_evidence_set *ev)
{
    kf_free(ev->pos);
    kf_free(ev->neg);
    ev->pos = ev->neg = NULL;
    ev->np = ev->nn = 0;
}

/* Strength of the strongest link to finding f, directly or through a kept
 * muscle's chain (for choosing the findings summed exactly). */
static double max_link(const kf_kb *kb, int f)
{
    double m = 0;
    for (int i = kb->flink_first[f]; i < kb->flink_first[f + 1]; i++)
        if (kb->links[kb->flink[i]].p > m)
            m = kb->links[kb->flink[i]].p;
    return m;
}

typedef struct { int f; double w; } ranked_f;

static int by_link(const void *a, const void *b)
{
    const ranked_f *x = a, *y = b;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    return (x->f > y->f) - (x->f < y->f);
}

/* Scratch of one Quickscore run. */
typedef struct {
    int nc, np;
    long double *q;        /* nc x np: 1 - p of cause c's link to positive s (1: none) */
    long double *qneg;     /* nc: product over the negatives */
    long double *Q;        /* nc: current Q_c(S+N) */
    long double *g;        /* nc: current factor */
    long double *Pi;       /* nc: product of chain factors (habits), else 1 */
    long double *on, *off; /* accumulators */
    bool *active;          /* nc: factor varies with S */
    bool *slackacc;        /* nc: muscle with keepers whose slack share varies */
    int *kin_first, *kin;  /* keepers of each muscle: habit index, edge index */
    int *kin_edge;
    int *aff_first, *aff;  /* roots to update when positive s toggles */
    int *lk_first, *lk;    /* causes linked directly to positive s */
    int *act;  int nact;
    int *sl;   int nsl;
} qs_scratch;

static long double path_prod(const kf_kb *kb, const qs_scratch *w, int h)
{
    const kf_cause *hc = &kb->causes[h];
    long double pi = 1;
    for (int j = 0; j < hc->n_keeps; j++)
        pi *= (1 - (long double)hc->keeps_p[j]) +
              (long double)hc->keeps_p[j] * w->Q[hc->keeps[j]];
    return pi;
}

static long double factor(const kf_kb *kb, const qs_scratch *w, int c)
{
    long double pi = kb->causes[c].prior;
    return (1 - pi) + pi * w->Q[c] * w->Pi[c];
}

/* Share of a term in which muscle m is slack: its own source off and every
 * chain to it off. */
static long double slack_share(const kf_kb *kb, const qs_scratch *w, int m)
{
    long double pim = kb->causes[m].prior;
    long double r = (1 - pim) / w->g[m];
    for (int k = w->kin_first[m]; k < w->kin_first[m + 1]; k++) {
        int h = w->kin[k], j = w->kin_edge[k];
        const kf_cause *hc = &kb->causes[h];
        long double s = hc->keeps_p[j], pih = hc->prior;
        long double pe = (1 - s) + s * w->Q[m];
        r *= ((1 - pih) + pih * w->Q[h] * (w->Pi[h] / pe) * (1 - s)) / w->g[h];
    }
    return r;
}

static void scratch_free(qs_scratch *w)
{
    kf_free(w->q);
    kf_free(w->active);
    kf_free(w->kin_first);
    memset(w, 0, sizeof *w);
}

/* The exact sum over the positives pos[0..np) (at most KF_EXACT_MAX) and
 * negatives neg[0..nn).  post/lo/hi: every cause (lo/hi may be NULL);
 * *logpe: log P(evidence). */
static kf_err quickscore(const kf_kb *kb, const int *pos, int np, const int *neg, int nn,
                         double *post, double *lo, double *hi, long double *logpe)
{
    qs_scratch w;
    memset(&w, 0, sizeof w);
    int nc = kb->n_causes;
    w.nc = nc;
    w.np = np;
    size_t nld = (size_t)nc * (size_t)(np + 1) + 7 * (size_t)nc + 8;
    w.q = kf_calloc(nld, sizeof(long double));
    w.active = kf_calloc(2 * (size_t)nc + 2, sizeof(bool));
    /* int scratch: kin_first (nc+1), kin/kin_edge (edges), aff_first (np+1),
     * aff (np*nc), lk_first (np+1), lk (np*nc), act (nc), sl (nc) */
    int nedges = 0;
    for (int c = 0; c < nc; c++)
        nedges += kb->causes[c].n_keeps;
    size_t nint = (size_t)(nc + 1) + 2 * (size_t)nedges + 2 * (size_t)(np + 1) +
                  2 * (size_t)np * (size_t)nc + 2 * (size_t)nc + 4;
    w.kin_first = kf_calloc(nint, sizeof(int));
    if (!w.q || !w.active || !w.kin_first) {
        scratch_free(&w);
        return KF_ENOMEM;
    }
    w.qneg = w.q + (size_t)nc * (size_t)np;
    w.Q = w.qneg + nc;
    w.g = w.Q + nc;
    w.Pi = w.g + nc;
    w.on = w.Pi + nc;
    w.off = w.on + nc;
    w.slackacc = w.active + nc + 1;
    w.kin = w.kin_first + nc + 1;
    w.kin_edge = w.kin + nedges;
    w.aff_first = w.kin_edge + nedges;
    w.aff = w.aff_first + np + 1;
    w.lk_first = w.aff + (size_t)np * (size_t)nc;
    w.lk = w.lk_first + np + 1;
    w.act = w.lk + (size_t)np * (size_t)nc;
    w.sl = w.act + nc;

    /* Link strengths against the evidence. */
    for (size_t i = 0; i < (size_t)nc * (size_t)np; i++)
        w.q[i] = 1;
    for (int c = 0; c < nc; c++)
        w.qneg[c] = 1;
    for (int i = 0; i < nn; i++)
        for (int k = kb->flink_first[neg[i]]; k < kb->flink_first[neg[i] + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            w.qneg[ln->cause] *= 1 - (long double)ln->p;
        }
    bool *linked = w.slackacc;          /* reused below; cleared after */
    w.lk_first[0] = 0;
    for (int s = 0; s < np; s++) {
        int n = w.lk_first[s];
        for (int k = kb->flink_first[pos[s]]; k < kb->flink_first[pos[s] + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            w.q[(size_t)ln->cause * (size_t)np + (size_t)s] = 1 - (long double)ln->p;
            w.lk[n++] = ln->cause;
            w.active[ln->cause] = true;
        }
        w.lk_first[s + 1] = n;
    }
    /* Keepers of each muscle. */
    {
        int n = 0;
        for (int m = 0; m < nc; m++) {
            w.kin_first[m] = n;
            for (int h = 0; h < nc; h++)
                for (int j = 0; j < kb->causes[h].n_keeps; j++)
                    if (kb->causes[h].keeps[j] == m) {
                        w.kin[n] = h;
                        w.kin_edge[n] = j;
                        n++;
                    }
        }
        w.kin_first[nc] = n;
    }
    /* A habit whose kept muscle is linked to a positive is active too; the
     * roots to update for positive s: its direct causes and their keepers. */
    {
        int n = 0;
        for (int s = 0; s < np; s++) {
            w.aff_first[s] = n;
            for (int c = 0; c < nc; c++)
                linked[c] = false;
            for (int k = w.lk_first[s]; k < w.lk_first[s + 1]; k++) {
                int c = w.lk[k];
                linked[c] = true;
                for (int e = w.kin_first[c]; e < w.kin_first[c + 1]; e++)
                    linked[w.kin[e]] = true;
            }
            for (int c = 0; c < nc; c++)
                if (linked[c]) {
                    w.aff[n++] = c;
                    w.active[c] = true;
                }
        }
        w.aff_first[np] = n;
        for (int c = 0; c < nc; c++)
            linked[c] = false;
    }
    for (int c = 0; c < nc; c++) {
        w.Q[c] = w.qneg[c];
        w.Pi[c] = 1;
    }
    for (int c = 0; c < nc; c++) {
        if (kb->causes[c].n_keeps)
            w.Pi[c] = path_prod(kb, &w, c);
        w.g[c] = factor(kb, &w, c);
        if (w.active[c])
            w.act[w.nact++] = c;
    }
    /* Muscles whose slack share changes with S: itself or a keeper active. */
    for (int m = 0; m < nc; m++) {
        if (w.kin_first[m] == w.kin_first[m + 1])
            continue;
        bool a = w.active[m];
        for (int e = w.kin_first[m]; e < w.kin_first[m + 1]; e++)
            a |= w.active[w.kin[e]];
        w.slackacc[m] = a;
        if (a)
            w.sl[w.nsl++] = m;
    }
    /* The constant factors leave the sum; log P(E) keeps them. */
    long double logconst = (long double)nn * log1pl(-(long double)kb->leak);
    for (int c = 0; c < nc; c++)
        if (!w.active[c])
            logconst += logl(w.g[c]);
    long double leakq = 1 - (long double)kb->leak;
    long double Gc = 1;
    for (int a = 0; a < w.nact; a++)
        Gc *= w.g[w.act[a]];
    long double Z = 0, absum = 0, lp = 1;
    unsigned long total = 1UL << np, gray = 0;
    int size = 0;
    for (unsigned long it = 0; it < total; it++) {
        if (it) {
            int s = __builtin_ctzl(it);
            gray ^= 1UL << s;
            bool in = gray >> s & 1;
            size += in ? 1 : -1;
            lp = in ? lp * leakq : lp / leakq;
            for (int k = w.lk_first[s]; k < w.lk_first[s + 1]; k++) {
                int c = w.lk[k];
                long double q = w.q[(size_t)c * (size_t)np + (size_t)s];
                w.Q[c] = in ? w.Q[c] * q : w.Q[c] / q;
            }
            for (int k = w.aff_first[s]; k < w.aff_first[s + 1]; k++) {
                int c = w.aff[k];
                if (kb->causes[c].n_keeps)
                    w.Pi[c] = path_prod(kb, &w, c);
                long double old = w.g[c];
                w.g[c] = factor(kb, &w, c);
                Gc *= w.g[c] / old;
            }
            if ((it & 63) == 0) {
                Gc = 1;
                for (int a = 0; a < w.nact; a++)
                    Gc *= w.g[w.act[a]];
            }
            if ((it & 4095) == 0) {
                /* Q by products from scratch, so divisions cannot drift. */
                for (int a = 0; a < w.nact; a++) {
                    int c = w.act[a];
                    long double Qc = w.qneg[c];
                    for (int t = 0; t < np; t++)
                        if (gray >> t & 1)
                            Qc *= w.q[(size_t)c * (size_t)np + (size_t)t];
                    w.Q[c] = Qc;
                }
                lp = 1;
                for (int t = 0; t < size; t++)
                    lp *= leakq;
                for (int a = 0; a < w.nact; a++)
                    if (kb->causes[w.act[a]].n_keeps)
                        w.Pi[w.act[a]] = path_prod(kb, &w, w.act[a]);
                Gc = 1;
                for (int a = 0; a < w.nact; a++) {
                    int c = w.act[a];
                    w.g[c] = factor(kb, &w, c);
                    Gc *= w.g[c];
                }
            }
        }
        long double term = lp * Gc;
        if (size & 1)
            term = -term;
        Z += term;
        absum += fabsl(term);
        for (int a = 0; a < w.nact; a++) {
            int c = w.act[a];
            w.on[c] += term * (1 - (1 - (long double)kb->causes[c].prior) / w.g[c]);
        }
        for (int k = 0; k < w.nsl; k++)
            w.off[w.sl[k]] += term * slack_share(kb, &w, w.sl[k]);
    }
    /* Back to the values at S = {} for the closed forms. */
    for (int c = 0; c < nc; c++)
        w.Q[c] = w.qneg[c];
    for (int c = 0; c < nc; c++)
        if (kb->causes[c].n_keeps)
            w.Pi[c] = path_prod(kb, &w, c);
    for (int c = 0; c < nc; c++)
        w.g[c] = factor(kb, &w, c);
    long double delta = absum * (KF_TERM_EPS + (long double)total * LDBL_EPSILON);
    kf_err err = KF_OK;
    if (!(Z > delta)) {
        /* Rounding swallowed the sum: say so rather than guess. */
        for (int c = 0; c < nc; c++) {
            post[c] = kb->causes[c].prior;
            if (lo)
                lo[c] = 0;
            if (hi)
                hi[c] = 1;
        }
        *logpe = Z > 0 ? logl(Z) + logconst : -INFINITY;
        goto out;
    }
    *logpe = logl(Z) + logconst;
    for (int c = 0; c < nc; c++) {
        long double num, d = delta;
        bool slack = w.kin_first[c] < w.kin_first[c + 1];
        if (slack) {
            num = w.slackacc[c] ? w.off[c] : slack_share(kb, &w, c) * Z;
            if (!w.slackacc[c])
                d = 0;
        } else if (w.active[c]) {
            num = w.on[c];
        } else {
            num = (1 - (1 - (long double)kb->causes[c].prior) / w.g[c]) * Z;
            d = 0;
        }
        long double p = num / Z;
        long double l = Z - delta > 0 ? (num - d) / (Z + delta) : 0;
        long double h = Z - delta > 0 ? (num + d) / (Z - delta) : 1;
        if (slack) {
            long double t = 1 - p, tl = 1 - h, th = 1 - l;
            p = t;
            l = tl;
            h = th;
        }
        p = p < 0 ? 0 : p > 1 ? 1 : p;
        l = l < 0 ? 0 : l > 1 ? 1 : l;
        h = h < 0 ? 0 : h > 1 ? 1 : h;
        post[c] = (double)p;
        if (lo)
            lo[c] = (double)(l < p ? l : p);
        if (hi)
            hi[c] = (double)(h > p ? h : p);
    }
out:
    scratch_free(&w);
    return err;
}

kf_err kf_posterior_ev(const kf_kb *kb, const kf_evidence_set *ev, double *post, double *lo,
                       double *hi, bool *approx, long double *logpe)
{
    int nc = kb->n_causes;
    double *l = lo, *h = hi, *own = NULL;
    long double lp = 0;
    if (!l || !h) {
        own = kf_malloc(2 * (size_t)(nc + 1) * sizeof *own);
        if (!own)
            return KF_ENOMEM;
        l = own;
        h = own + nc + 1;
    }
    const int *pos = ev->pos;
    int np = ev->np;
    int *keep = NULL;
    ranked_f *rk = NULL;
    kf_err err = KF_OK;
    if (np > KF_EXACT_MAX) {
        rk = kf_malloc((size_t)np * sizeof *rk);
        keep = kf_malloc((size_t)np * sizeof *keep);
        if (!rk || !keep) {
            err = KF_ENOMEM;
            goto out;
        }
        for (int i = 0; i < np; i++) {
            rk[i].f = ev->pos[i];
            rk[i].w = max_link(kb, ev->pos[i]);
        }
        qsort(rk, (size_t)np, sizeof *rk, by_link);
        for (int i = 0; i < KF_EXACT_MAX; i++)
            keep[i] = rk[i].f;
        qsort(keep, KF_EXACT_MAX, sizeof *keep, cmp_int);
        pos = keep;
        np = KF_EXACT_MAX;
    }
    err = quickscore(kb, pos, np, ev->neg, ev->nn, post, l, h, &lp);
    if (err)
        goto out;
    bool ap = false;
    if (rk) {
        /* Each left-out present finding multiplies a cause's odds by a
         * factor between prod (1-(1-leak)(1-p)) (the cause alone makes it)
         * and 1/leak (nothing else could). */
        double leak = kb->leak;
        for (int c = 0; c < nc; c++) {
            double lr_lo = 1, lr_hi = 1;
            for (int i = KF_EXACT_MAX; i < ev->np; i++) {
                double p = 0;
                const kf_cause *k = &kb->causes[c];
                for (int x = 0; x < k->n_links; x++)
                    if (kb->links[k->links[x]].finding == rk[i].f)
                        p = kb->links[k->links[x]].p;
                lr_lo *= 1 - (1 - leak) * (1 - p);
                lr_hi /= leak;
            }
            double a = l[c] >= 1 ? INFINITY : l[c] / (1 - l[c]);
            double b = h[c] >= 1 ? INFINITY : h[c] / (1 - h[c]);
            a *= lr_lo;
            b *= lr_hi;
            l[c] = isinf(a) ? 1 : a / (1 + a);
            h[c] = isinf(b) ? 1 : b / (1 + b);
        }
        ap = true;
    }
    for (int c = 0; c < nc; c++)
        if (h[c] - l[c] > KF_EXACT_WIDTH)
            ap = true;
    if (approx)
        *approx = ap;
    if (logpe)
        *logpe = lp;
out:
    kf_free(own);
    kf_free(rk);
    kf_free(keep);
    return err;
}

kf_err kf_posterior_interval(const kf_kb *kb, const kf_findings *f, double *post, double *lo,
                             double *hi, bool *approx)
{
    kf_evidence_set ev;
    kf_err err = kf_evidence(kb, f, &ev);
    if (err)
        return err;
    err = kf_posterior_ev(kb, &ev, post, lo, hi, approx, NULL);
    kf_evidence_free(&ev);
    return err;
}

kf_err kf_posterior(const kf_kb *kb, const kf_findings *f, double *post, bool *approx)
{
    return kf_posterior_interval(kb, f, post, NULL, NULL, approx);
}

/* ---------- ranking and explanation ---------- */

static int by_post(const void *a, const void *b, void *ctx)
{
    const double *key = ctx;
    int x = *(const int *)a, y = *(const int *)b;
    if (key[x] != key[y])
        return key[x] > key[y] ? -1 : 1;
    return x - y;
}

static int by_weight(const void *a, const void *b)
{
    const kf_reason *x = a, *y = b;
    double wx = fabs(x->weight), wy = fabs(y->weight);
    if (wx != wy)
        return wx > wy ? -1 : 1;
    return x->finding - y->finding;
}

static int fact_index(const kf_findings *f, int finding)
{
    for (int i = 0; i < f->n; i++)
        if (f->v[i].finding == finding)
            return i;
    return -1;
}

static bool explain(const kf_kb *kb, const kf_findings *f, kf_ranked *rk)
{
    const kf_cause *c = &kb->causes[rk->cause];
    rk->reasons = kf_malloc((size_t)(c->n_links + 1) * sizeof *rk->reasons);
    if (!rk->reasons)
        return false;
    kf_side side = KF_SIDE_NONE;
    for (int l = 0; l < c->n_links; l++) {
        const kf_link *ln = &kb->links[c->links[l]];
        int fi = fact_index(f, ln->finding);
        if (fi < 0 || f->v[fi].state == KF_UNSURE)
            continue;
        kf_reason *r = &rk->reasons[rk->n_reasons++];
        r->finding = ln->finding;
        r->state = f->v[fi].state;
        r->mech = ln->mech;
        r->why = ln->why;
        r->fact = fi;
        if (r->state == KF_PRESENT) {
            r->weight = log((1 - (1 - kb->leak) * (1 - ln->p)) / kb->leak);
            side |= f->v[fi].side;
        } else {
            r->weight = log(1 - ln->p);
        }
    }
    qsort(rk->reasons, (size_t)rk->n_reasons, sizeof *rk->reasons, by_weight);
    if (rk->n_reasons > 6)
        rk->n_reasons = 6;
    /* No side of its own: where it hurts, else the dominant hand (the side
     * these knots usually come on). */
    if (side == KF_SIDE_NONE && (c->kind == KF_CAUSE_MUSCLE || c->kind == KF_CAUSE_HABIT)) {
        for (int i = 0; i < f->n; i++)
            if (f->v[i].state == KF_PRESENT && kb->findings[f->v[i].finding].kind == KF_FIND_LOCATION)
                side |= f->v[i].side;
        if (side == KF_SIDE_NONE)
            side = f->dominant;
    }
    rk->side = side;
    return true;
}

kf_err kf_posterior_order(const kf_kb *kb, const kf_findings *f, double **post_out,
                          int **order_out, bool *approx)
{
    *post_out = NULL;
    *order_out = NULL;
    double *post = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *post);
    int *order = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *order);
    if (!post || !order) {
        kf_free(post);
        kf_free(order);
        return KF_ENOMEM;
    }
    kf_err err = kf_posterior(kb, f, post, approx);
    if (err) {
        kf_free(post);
        kf_free(order);
        return err;
    }
    for (int i = 0; i < kb->n_causes; i++)
        order[i] = i;
    qsort_r(order, (size_t)kb->n_causes, sizeof *order, by_post, post);
    *post_out = post;
    *order_out = order;
    return KF_OK;
}

/* ---------- consult ---------- */

kf_result *kf_consult(const kf_kb *kb, const kf_findings *f)
{
    kf_result *r = kf_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->next.kind = KF_Q_NONE;
    r->next.finding = r->next.alt = -1;
    if (kf_findings_copy(&r->findings, f) != KF_OK) {
        kf_free(r);
        return NULL;
    }
    r->flags = kf_malloc((size_t)(kb->n_redflags + 1) * sizeof *r->flags);
    r->causes = kf_calloc(KF_MAX_RANKED, sizeof *r->causes);
    r->plan = kf_calloc(KF_PLAN_ROOM, sizeof *r->plan);
    r->massage = kf_calloc(8, sizeof *r->massage);
    r->massage_side = kf_calloc(8, sizeof *r->massage_side);
    if (!r->flags || !r->causes || !r->plan || !r->massage || !r->massage_side) {
        kf_result_free(r);
        return NULL;
    }
    /* Triage first: the rules that fire, highest level first. */
    r->n_flags = kf_triage_flags(kb, f, r->flags);
    r->triage = r->n_flags ? kb->redflags[r->flags[0]].level : KF_TRIAGE_SELF_CARE;

    int npres = kf_findings_present(f);
    r->unrecognised = npres == 0;
    if (r->unrecognised) {
        r->next.kind = KF_Q_WHERE;
        kf_plan_build(kb, r);
        return r;
    }
    double *post;
    int *order;
    bool approx;
    if (kf_posterior_order(kb, f, &post, &order, &approx) != KF_OK) {
        kf_result_free(r);
        return NULL;
    }
    r->approximate = approx;
    /* 3 to 5 causes: the top 3, then more while they still matter. */
    for (int i = 0; i < kb->n_causes && r->n_causes < KF_MAX_RANKED; i++) {
        double p = post[order[i]];
        if (i >= 3 && (p < 0.1 || p < 0.25 * post[order[0]]))
            break;
        kf_ranked *rk = &r->causes[r->n_causes++];
        rk->cause = order[i];
        rk->p = rk->p_lo = rk->p_hi = p;
        rk->kept_by = -1;
        if (!explain(kb, f, rk)) {
            kf_free(post);
            kf_free(order);
            kf_result_free(r);
            return NULL;
        }
    }
    /* An approximate answer shows the interval that holds the exact one. */
    if (approx && r->n_causes) {
        double *pp = kf_malloc(3 * (size_t)(kb->n_causes + 1) * sizeof *pp);
        bool ap;
        if (!pp || kf_posterior_interval(kb, f, pp, pp + kb->n_causes + 1,
                                         pp + 2 * (kb->n_causes + 1), &ap) != KF_OK) {
            kf_free(pp);
            kf_free(post);
            kf_free(order);
            kf_result_free(r);
            return NULL;
        }
        for (int i = 0; i < r->n_causes; i++) {
            r->causes[i].p_lo = pp[kb->n_causes + 1 + r->causes[i].cause];
            r->causes[i].p_hi = pp[2 * (kb->n_causes + 1) + r->causes[i].cause];
        }
        kf_free(pp);
    }
    /* A muscle kept tight by a likely habit: name the habit in the chain. */
    for (int i = 0; i < r->n_causes; i++) {
        kf_ranked *rk = &r->causes[i];
        if (kb->causes[rk->cause].kind != KF_CAUSE_MUSCLE)
            continue;
        double best = 0.15;
        for (int h = 0; h < kb->n_causes; h++) {
            const kf_cause *hc = &kb->causes[h];
            for (int j = 0; j < hc->n_keeps; j++)
                if (hc->keeps[j] == rk->cause && post[h] > best) {
                    best = post[h];
                    rk->kept_by = h;
                }
        }
    }
    /* A non-muscular cause leading the ranking needs a doctor even when no
     * rule fired (capped at doctor_soon: emergencies come from rules). */
    if (r->n_causes) {
        const kf_cause *lead = &kb->causes[r->causes[0].cause];
        if (lead->kind == KF_CAUSE_MIMIC && r->causes[0].p >= 0.5) {
            kf_triage t = lead->level < KF_TRIAGE_SOON ? lead->level : KF_TRIAGE_SOON;
            if (t > r->triage)
                r->triage = t;
        }
    }
    r->leader_clear = kf_leader_clear(post, order, kb->n_causes);
    kf_plan_build(kb, r);
    kf_plan_massage(kb, r);
    if (!r->leader_clear && r->triage < KF_TRIAGE_SOON) {
        r->next = kf_clarify_question(f);
        if (r->next.kind == KF_Q_NONE &&
            kf_best_question(kb, f, post, order, &r->next) != KF_OK) {
            kf_free(post);
            kf_free(order);
            kf_result_free(r);
            return NULL;
        }
    }
    kf_free(post);
    kf_free(order);
    return r;
}

void kf_result_free(kf_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_causes; i++)
        kf_free(r->causes[i].reasons);
    kf_free(r->causes);
    kf_free(r->flags);
    kf_free(r->plan);
    kf_free(r->massage);
    kf_free(r->massage_side);
    kf_question_free(&r->next);
    kf_findings_free(&r->findings);
    kf_free(r);
}
