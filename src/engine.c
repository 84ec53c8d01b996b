/*
 * engine.c — posterior over causes (noisy-OR, Quickscore), the ranking and
 * its explanation, and the consultation that ties triage (triage.c), the
 * plan (plan.c) and the next question (question.c) together.
 *
 * The model is a two-layer noisy-OR network (as QMR-DT): causes are
 * independent binary variables with priors; a finding is absent only if
 * every present cause linked to it, and the leak, all fail to produce it.
 * The exact marginal of every cause given positive findings P and negative
 * findings N is Quickscore's sum over subsets S of P:
 *
 *   P(P, N)         = sum_S (-1)^|S| prod_{f in S+N} (1-leak)
 *                           prod_j [(1-pi_j) + pi_j prod_{f in S+N} q_jf]
 *   P(c_i = 1, P, N) = same with cause i's factor replaced by
 *                           pi_i prod_{f in S+N} q_if
 *
 * with q_jf = 1 - p_jf.  It is exponential only in |P|.  Above KF_QS_MAX
 * positives, or when the alternating sum loses too much precision, the
 * engine falls back to exact enumeration of the cause sets of at most two
 * causes and marks the result approximate.
 */
#include "engine.h"
#include "plan.h"
#include "question.h"
#include "triage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KF_QS_MAX 12

typedef struct {
    int *pos;  int np;        /* positive findings */
    int *neg;  int nn;        /* negative findings */
    int *rel;  int nr;        /* relevant causes (linked to P or N) */
    double *qpos;             /* nr x np: q of relevant cause r for positive s */
    double *qneg;             /* nr: product of q over N */
} evidence;

static void evidence_free(evidence *e)
{
    kf_free(e->pos);
    kf_free(e->neg);
    kf_free(e->rel);
    kf_free(e->qpos);
    kf_free(e->qneg);
}

/* Strength of the strongest link to positive finding f (for trimming). */
static double max_link(const kf_kb *kb, int f)
{
    double m = 0;
    for (int i = kb->flink_first[f]; i < kb->flink_first[f + 1]; i++)
        if (kb->links[kb->flink[i]].p > m)
            m = kb->links[kb->flink[i]].p;
    return m;
}

static bool evidence_build(const kf_kb *kb, const kf_findings *f, evidence *e, bool *trimmed)
{
    memset(e, 0, sizeof *e);
    e->pos = kf_malloc((size_t)(f->n + 1) * sizeof *e->pos);
    e->neg = kf_malloc((size_t)(f->n + 1) * sizeof *e->neg);
    e->rel = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *e->rel);
    int *where = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *where);
    if (!e->pos || !e->neg || !e->rel || !where) {
        kf_free(where);
        evidence_free(e);
        return false;
    }
    for (int i = 0; i < kb->n_findings; i++)
        where[i] = 0;
    for (int i = 0; i < f->n; i++) {
        const kf_fact *x = &f->v[i];
        if (x->finding < 0 || x->finding >= kb->n_findings || where[x->finding])
            continue;
        if (x->state == KF_PRESENT) {
            e->pos[e->np++] = x->finding;
            where[x->finding] = 1;
        } else if (x->state == KF_ABSENT) {
            e->neg[e->nn++] = x->finding;
            where[x->finding] = -1;
        }
    }
    /* Too many positives for the exact sum: keep the most telling ones. */
    *trimmed = false;
    if (e->np > KF_QS_MAX) {
        *trimmed = true;
        for (int a = 0; a < e->np; a++)
            for (int b = a + 1; b < e->np; b++)
                if (max_link(kb, e->pos[b]) > max_link(kb, e->pos[a])) {
                    int t = e->pos[a];
                    e->pos[a] = e->pos[b];
                    e->pos[b] = t;
                }
        for (int a = KF_QS_MAX; a < e->np; a++)
            where[e->pos[a]] = 0;
        e->np = KF_QS_MAX;
    }
    for (int c = 0; c < kb->n_causes; c++) {
        const kf_cause *k = &kb->causes[c];
        for (int l = 0; l < k->n_links; l++)
            if (where[kb->links[k->links[l]].finding]) {
                e->rel[e->nr++] = c;
                break;
            }
    }
    e->qpos = kf_malloc((size_t)(e->nr * e->np + 1) * sizeof *e->qpos);
    e->qneg = kf_malloc((size_t)(e->nr + 1) * sizeof *e->qneg);
    if (!e->qpos || !e->qneg) {
        kf_free(where);
        evidence_free(e);
        return false;
    }
    for (int r = 0; r < e->nr; r++) {
        const kf_cause *k = &kb->causes[e->rel[r]];
        e->qneg[r] = 1;
        for (int s = 0; s < e->np; s++)
            e->qpos[r * e->np + s] = 1;
        for (int l = 0; l < k->n_links; l++) {
            const kf_link *ln = &kb->links[k->links[l]];
            if (where[ln->finding] < 0)
                e->qneg[r] *= 1 - ln->p;
            else if (where[ln->finding] > 0)
                for (int s = 0; s < e->np; s++)
                    if (e->pos[s] == ln->finding)
                        e->qpos[r * e->np + s] = 1 - ln->p;
        }
    }
    kf_free(where);
    return true;
}

/* Quickscore.  Returns false when precision was lost.  Causes linked to no
 * positive finding have the same factor in every term, so they leave the
 * sum and get their closed-form posterior; the loop runs over the others. */
static bool quickscore(const kf_kb *kb, const evidence *e, const double *prior,
                       const bool *want, double *post)
{
    int nr = e->nr, np = e->np;
    /* One allocation holds every scratch array. */
    size_t nd = 5 * (size_t)(nr + 1) + (size_t)np + 2;
    size_t ni = 2 * (size_t)(nr + 1) + (size_t)(np + 1) + (size_t)nr * (size_t)np + 1;
    double *mem = kf_calloc(nd * sizeof(double) + ni * sizeof(int), 1);
    if (!mem)
        return false;
    double *prod = mem, *num = prod + nr + 1, *pis = num + nr + 1, *g = pis + nr + 1;
    double *rat = g + nr + 1, *leakpow = rat + nr + 1;
    int *act = (int *)(mem + nd);                   /* indexes into rel */
    int *lk_start = act + nr + 1, *lk = lk_start + np + 1;
    int na = 0;
    for (int r = 0; r < nr; r++) {
        double pi = prior[e->rel[r]];
        bool pos = false;
        for (int s = 0; s < np && !pos; s++)
            pos = e->qpos[r * np + s] != 1;
        if (!pos) {
            double q = e->qneg[r];
            post[e->rel[r]] = pi * q / ((1 - pi) + pi * q);
            continue;
        }
        act[na] = r;
        pis[na] = pi;
        prod[na] = e->qneg[r];
        na++;
    }
    /* For each positive finding, the active causes it is linked to, so a
     * Gray-code step touches only those. */
    int nl = 0;
    for (int s = 0; s < np; s++) {
        lk_start[s] = nl;
        for (int a = 0; a < na; a++)
            if (e->qpos[act[a] * np + s] != 1)
                lk[nl++] = a;
    }
    lk_start[np] = nl;
    /* (1-leak)^(|S|+|N|) for every subset size */
    leakpow[0] = pow(1 - kb->leak, e->nn);
    for (int k = 1; k <= np; k++)
        leakpow[k] = leakpow[k - 1] * (1 - kb->leak);
    /* g[a] = (1-pi) + pi*prod[a] is cause a's factor and prod[a]/g[a]
     * its share in its own posterior; both change only for the causes of the
     * finding a Gray-code step toggles, and the product of all factors, Gc,
     * is kept up to date by ratio (and recomputed now and then so rounding
     * cannot drift).  Only the wanted causes accumulate a numerator.  The
     * ratio of factors is rat[a]. */
    int *wl = lk + nl, nw = 0;
    for (int a = 0; a < na; a++)
        if (!want || want[e->rel[act[a]]])
            wl[nw++] = a;
    double Gc = 1;
    for (int a = 0; a < na; a++) {
        g[a] = (1 - pis[a]) + pis[a] * prod[a];
        rat[a] = prod[a] / g[a];
        Gc *= g[a];
    }
    double Z = 0, maxterm = 0;
    unsigned long total = 1UL << np;
    unsigned long gray = 0;
    int size = 0;
    for (unsigned long it = 0; it < total; it++) {
        if (it) {
            /* Gray code: flip the bit of the lowest set bit of it. */
            int s = __builtin_ctzl(it);
            gray ^= 1UL << s;
            bool in = gray >> s & 1;
            size += in ? 1 : -1;
            for (int k = lk_start[s]; k < lk_start[s + 1]; k++) {
                int a = lk[k];
                double q = e->qpos[act[a] * np + s];
                prod[a] = in ? prod[a] * q : prod[a] / q;
                double old = g[a];
                g[a] = (1 - pis[a]) + pis[a] * prod[a];
                rat[a] = prod[a] / g[a];
                Gc *= g[a] / old;
            }
            if ((it & 255) == 0) {
                Gc = 1;
                for (int a = 0; a < na; a++)
                    Gc *= g[a];
            }
        }
        double term = leakpow[size] * Gc;
        if (size & 1)
            term = -term;
        Z += term;
        if (fabs(term) > maxterm)
            maxterm = fabs(term);
        for (int k = 0; k < nw; k++)
            num[wl[k]] += term * rat[wl[k]];
    }
    bool ok = Z > 0 && Z > maxterm * 1e-11 * (double)total;
    if (ok)
        for (int k = 0; k < nw; k++) {
            int a = wl[k];
            double p = pis[a] * num[a] / Z;
            post[e->rel[act[a]]] = p < 0 ? 0 : p > 1 ? 1 : p;
        }
    kf_free(mem);
    return ok;
}

/* Exact over cause sets of size <= 2 (an approximation of the full model). */
static void enumerate2(const kf_kb *kb, const evidence *e, const double *prior, double *post)
{
    int nr = e->nr, np = e->np;
    double *acc = kf_calloc((size_t)(nr + 1), sizeof *acc);
    if (!acc)
        return;
    double leakq = 1 - kb->leak;
    double total = 0;
    /* empty set */
    double w0 = pow(kb->leak, np);
    total += w0;
    for (int a = 0; a < nr; a++) {
        double pa = prior[e->rel[a]];
        for (int b = a; b < nr; b++) {
            double pb = prior[e->rel[b]];
            double w = pa / (1 - pa) * e->qneg[a];
            if (b != a)
                w *= pb / (1 - pb) * e->qneg[b];
            for (int s = 0; s < np && w > 0; s++) {
                double q = e->qpos[a * np + s];
                if (b != a)
                    q *= e->qpos[b * np + s];
                w *= 1 - leakq * q;
            }
            total += w;
            acc[a] += w;
            if (b != a)
                acc[b] += w;
        }
    }
    for (int r = 0; r < nr; r++)
        post[e->rel[r]] = total > 0 ? acc[r] / total : prior[e->rel[r]];
    kf_free(acc);
}

/* One pass of the network with the given priors. */
static bool posterior_pass(const kf_kb *kb, const evidence *e, const double *prior,
                           const bool *want, double *post)
{
    for (int c = 0; c < kb->n_causes; c++)
        post[c] = prior[c];
    bool exact = quickscore(kb, e, prior, want, post);
    if (!exact)
        enumerate2(kb, e, prior, post);
    return exact;
}

bool kf_network_posterior(const kf_kb *kb, const kf_findings *f, const double *prior,
                          double *post)
{
    evidence e;
    bool trimmed;
    if (!evidence_build(kb, f, &e, &trimmed)) {
        for (int c = 0; c < kb->n_causes; c++)
            post[c] = prior[c];
        return false;
    }
    bool exact = posterior_pass(kb, &e, prior, NULL, post);
    evidence_free(&e);
    return exact && !trimmed;
}

/* How much a present habit raises the chance that a muscle it keeps short
 * is tight. */
#define KF_KEEPS_STRENGTH 0.5

bool kf_posterior(const kf_kb *kb, const kf_findings *f, double *post)
{
    evidence e;
    bool trimmed;
    double *prior = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *prior);
    if (!prior || !evidence_build(kb, f, &e, &trimmed)) {
        kf_free(prior);
        for (int c = 0; c < kb->n_causes; c++)
            post[c] = kb->causes[c].prior;
        return false;
    }
    /* Habits act on the findings through the muscles they keep tight, a
     * third layer the two-layer network lacks.  Pass 1 weighs the habits on
     * what the person reports; pass 2 raises the prior of each muscle a
     * likely habit keeps short, so "I mouse all day" lifts the lat without
     * the lat explaining the mousing away. */
    /* Pass 1 needs only the habits' posteriors. */
    bool *habit = kf_calloc((size_t)kb->n_causes + 1, sizeof *habit);
    if (!habit) {
        evidence_free(&e);
        kf_free(prior);
        for (int c = 0; c < kb->n_causes; c++)
            post[c] = kb->causes[c].prior;
        return false;
    }
    for (int c = 0; c < kb->n_causes; c++) {
        prior[c] = kb->causes[c].prior;
        habit[c] = kb->causes[c].n_keeps > 0;
    }
    bool exact = posterior_pass(kb, &e, prior, habit, post);
    kf_free(habit);
    for (int h = 0; h < kb->n_causes; h++) {
        const kf_cause *hc = &kb->causes[h];
        if (!hc->n_keeps || post[h] <= hc->prior)
            continue;
        /* Only what the evidence added to the habit counts: a habit at its
         * prior says nothing new about its muscles. */
        double lift = (post[h] - hc->prior) / (1 - hc->prior);
        for (int k = 0; k < hc->n_keeps; k++) {
            int m = hc->keeps[k];
            prior[m] = 1 - (1 - prior[m]) * (1 - KF_KEEPS_STRENGTH * lift);
        }
    }
    /* Pass 2 gives every cause its posterior (pass 1 left the rest at
     * their priors). */
    exact = posterior_pass(kb, &e, prior, NULL, post) && exact;
    evidence_free(&e);
    kf_free(prior);
    return exact && !trimmed;
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

int *kf_posterior_order(const kf_kb *kb, const kf_findings *f, double **post_out,
                            bool *exact)
{
    double *post = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *post);
    int *order = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *order);
    if (!post || !order) {
        kf_free(post);
        kf_free(order);
        return NULL;
    }
    *exact = kf_posterior(kb, f, post);
    for (int i = 0; i < kb->n_causes; i++)
        order[i] = i;
    qsort_r(order, (size_t)kb->n_causes, sizeof *order, by_post, post);
    *post_out = post;
    return order;
}

/* ---------- consult ---------- */

/* A mimic at or above this posterior raises the triage to its level. */
#define KF_MIMIC_LIKELY 0.5

/* Puts the mimic of each fired rule (doctor_soon or above, at the leading
 * level) at the front of the ranked causes, the leading rule's first. */
static bool bring_mimics(const kf_kb *kb, const kf_findings *f, kf_result *r, const double *post)
{
    if (!r->n_flags || kb->redflags[r->flags[0]].level < KF_TRIAGE_SOON)
        return true;
    kf_triage top = kb->redflags[r->flags[0]].level;
    /* The leading rule's cause (the likeliest of them), then the next
     * likeliest other cause a rule at that level screens for. */
    int want[2], nw = 0;
    want[nw++] = r->flags[0];
    int next = -1;
    for (int i = 0; i < r->n_fired; i++) {
        const kf_redflag *x = &kb->redflags[r->fired[i]];
        if (x->level != top || x->mimic < 0 || x->mimic == kb->redflags[r->flags[0]].mimic)
            continue;
        if (next < 0 || post[x->mimic] > post[kb->redflags[next].mimic])
            next = r->fired[i];
    }
    if (next >= 0)
        want[nw++] = next;
    for (int w = nw - 1; w >= 0; w--) {
        int m = kb->redflags[want[w]].mimic;
        if (m < 0)
            continue;
        int at = -1;
        for (int i = 0; i < r->n_causes; i++)
            if (r->causes[i].cause == m)
                at = i;
        kf_ranked rk;
        if (at >= 0) {
            rk = r->causes[at];
            memmove(&r->causes[1], &r->causes[0], (size_t)at * sizeof rk);
        } else {
            memset(&rk, 0, sizeof rk);
            rk.cause = m;
            rk.p = post[m];
            rk.kept_by = -1;
            if (!explain(kb, f, &rk))
                return false;
            if (r->n_causes == KF_MAX_RANKED)
                kf_free(r->causes[--r->n_causes].reasons);
            memmove(&r->causes[1], &r->causes[0], (size_t)r->n_causes * sizeof rk);
            r->n_causes++;
        }
        rk.flagged_by = want[w];
        r->causes[0] = rk;
    }
    return true;
}

static kf_result *consult(const kf_kb *kb, const kf_findings *f, kf_result *r);

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
    /* From here on the consultation works on a copy with the findings
     * that follow from the others (age bands, both-sided findings); the
     * result keeps what was said.  The derived facts come after the said
     * ones, so a fact index below r->findings.n means the same in both. */
    kf_findings derived;
    if (kf_findings_copy(&derived, f) != KF_OK) {
        kf_result_free(r);
        return NULL;
    }
    kf_triage_derive(kb, &derived);
    if (derived.oom) {
        kf_findings_free(&derived);
        kf_result_free(r);
        return NULL;
    }
    f = &derived;
    r = consult(kb, f, r);
    kf_findings_free(&derived);
    /* Reasons point at facts of the result: a derived fact has no words. */
    for (int i = 0; r && i < r->n_causes; i++)
        for (int k = 0; k < r->causes[i].n_reasons; k++)
            if (r->causes[i].reasons[k].fact >= r->findings.n)
                r->causes[i].reasons[k].fact = -1;
    return r;
}

/* The consultation proper, on the derived findings; frees r and returns
 * NULL when out of memory. */
static kf_result *consult(const kf_kb *kb, const kf_findings *f, kf_result *r)
{
    r->flags = kf_malloc(sizeof *r->flags);
    r->fired = kf_malloc((size_t)(kb->n_redflags + 1) * sizeof *r->fired);
    r->raised_by = -1;
    r->causes = kf_calloc(KF_MAX_RANKED, sizeof *r->causes);
    r->plan = kf_calloc(KF_PLAN_ROOM, sizeof *r->plan);
    r->massage = kf_calloc(8, sizeof *r->massage);
    r->massage_side = kf_calloc(8, sizeof *r->massage_side);
    if (!r->flags || !r->fired || !r->causes || !r->plan || !r->massage || !r->massage_side) {
        kf_result_free(r);
        return NULL;
    }
    /* Triage first: the rules that fire, highest level first; one message
     * leads (the most specific rule at the highest level), and the milder
     * rules' advice is not offered beside it. */
    r->n_fired = kf_triage_flags(kb, f, r->fired);
    int lead = kf_triage_lead(kb, r->fired, r->n_fired, NULL);
    if (lead >= 0)
        r->flags[r->n_flags++] = lead;
    r->triage = r->n_flags ? kb->redflags[lead].level : KF_TRIAGE_SELF_CARE;

    int npres = kf_findings_present(f);
    r->unrecognised = npres == 0;
    if (r->unrecognised) {
        /* Nothing understood, so nothing was screened: no "no warning
         * signs", but the screen questions to answer. */
        if (!r->n_flags) {
            r->triage = KF_TRIAGE_UNKNOWN;
            r->screen = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *r->screen);
            if (!r->screen) {
                kf_result_free(r);
                return NULL;
            }
            r->n_screen = kf_triage_screen(kb, f, r->screen, kb->n_findings);
        }
        r->next.kind = KF_Q_WHERE;
        kf_plan_build(kb, r);
        return r;
    }
    double *post;
    bool exact;
    int *order = kf_posterior_order(kb, f, &post, &exact);
    if (!order) {
        kf_result_free(r);
        return NULL;
    }
    r->approximate = !exact;
    /* With the posterior known, the leading message is the one about the
     * most likely of the causes the fired rules screen for. */
    if (r->n_flags)
        r->flags[0] = kf_triage_lead(kb, r->fired, r->n_fired, post);
    /* 3 to 5 causes: the top 3, then more while they still matter. */
    for (int i = 0; i < kb->n_causes && r->n_causes < KF_MAX_RANKED; i++) {
        double p = post[order[i]];
        if (i >= 3 && (p < 0.1 || p < 0.25 * post[order[0]]))
            break;
        kf_ranked *rk = &r->causes[r->n_causes++];
        rk->cause = order[i];
        rk->p = p;
        rk->kept_by = -1;
        rk->flagged_by = -1;
        if (!explain(kb, f, rk)) {
            kf_free(post);
            kf_free(order);
            kf_result_free(r);
            return NULL;
        }
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
    /* A fired rule of doctor_soon or above brings the cause it screens for
     * into the top causes, first: the person is told what the warning sign
     * may mean, with its true posterior. */
    if (!bring_mimics(kb, f, r, post)) {
        kf_free(post);
        kf_free(order);
        kf_result_free(r);
        return NULL;
    }
    /* A likely non-muscular cause raises the triage to its level even when
     * no rule fired (capped at doctor_soon: an emergency comes from a rule
     * that says what to do, not from a score). */
    for (int i = 0; i < r->n_causes; i++) {
        const kf_cause *c = &kb->causes[r->causes[i].cause];
        kf_triage t = c->level < KF_TRIAGE_SOON ? c->level : KF_TRIAGE_SOON;
        if (c->kind == KF_CAUSE_MIMIC && r->causes[i].p >= KF_MIMIC_LIKELY && t > r->triage) {
            r->triage = t;
            r->raised_by = r->causes[i].cause;
        }
    }
    r->leader_clear = kf_leader_clear(post, order, kb->n_causes);
    kf_plan_build(kb, r);
    kf_plan_massage(kb, r);
    if (!r->leader_clear && r->triage < KF_TRIAGE_SOON) {
        r->next = kf_clarify_question(f);
        if (r->next.kind == KF_Q_NONE)
            r->next = kf_best_question(kb, f, post, order);
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
    kf_free(r->fired);
    kf_free(r->screen);
    kf_free(r->plan);
    kf_free(r->massage);
    kf_free(r->massage_side);
    kf_question_free(&r->next);
    kf_findings_free(&r->findings);
    kf_free(r);
}
