/*
 * engine.c — posterior over causes (noisy-OR, Quickscore), triage, plan,
 * explanation and the next question.
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

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KF_QS_MAX 12
#define KF_MIN_GAIN 0.05      /* bits */
#define KF_MAX_UNSURE 3

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

/* ---------- triage ---------- */

static bool present(const kf_findings *f, int finding)
{
    const kf_fact *x = kf_findings_get(f, finding);
    return x && x->state == KF_PRESENT;
}

static bool rule_fires(const kf_redflag *r, const kf_findings *f)
{
    for (int i = 0; i < r->n_all; i++)
        if (!present(f, r->all[i]))
            return false;
    bool any = r->n_any == 0;
    for (int i = 0; i < r->n_any && !any; i++)
        any = present(f, r->any[i]);
    if (!any)
        return false;
    for (int i = 0; i < r->n_none; i++)
        if (present(f, r->none[i]))
            return false;
    return true;
}

/* Highest level of the rules that fire. */
static kf_triage triage_level(const kf_kb *kb, const kf_findings *f)
{
    kf_triage t = KF_TRIAGE_SELF_CARE;
    for (int i = 0; i < kb->n_redflags; i++)
        if (kb->redflags[i].level > t && rule_fires(&kb->redflags[i], f))
            t = kb->redflags[i].level;
    return t;
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

/* ---------- the question ---------- */

static double entropy(const double *p, const int *idx, int n)
{
    double s = 0, h = 0;
    for (int i = 0; i < n; i++)
        s += p[idx[i]];
    if (s <= 0)
        return 0;
    for (int i = 0; i < n; i++) {
        double r = p[idx[i]] / s;
        if (r > 0)
            h -= r * log2(r);
    }
    return h;
}

/* Expected information gain of asking about finding `fd`, approximated by
 * updating each cause's marginal on its own (fast, deterministic). */
static double gain_of(const kf_kb *kb, const double *post, const int *top, int nt, int fd,
                      double h, double *pj, double *tmp_pos, double *tmp_neg)
{
    double leakq = 1 - kb->leak;
    /* P(f absent) ~ (1-leak) prod_j (1 - p_j p_jf) */
    double absent_all = leakq;
    for (int i = 0; i < nt; i++)
        pj[top[i]] = 0;
    for (int k = kb->flink_first[fd]; k < kb->flink_first[fd + 1]; k++) {
        const kf_link *ln = &kb->links[kb->flink[k]];
        pj[ln->cause] = ln->p;
        absent_all *= 1 - post[ln->cause] * ln->p;
    }
    double pf = 1 - absent_all;
    if (pf <= 1e-9 || pf >= 1 - 1e-9)
        return 0;
    for (int i = 0; i < nt; i++) {
        int c = top[i];
        double others = absent_all / (1 - post[c] * pj[c]);
        double pfc = 1 - others * (1 - pj[c]);        /* P(f | c present) */
        tmp_pos[c] = post[c] * pfc / pf;
        tmp_neg[c] = post[c] * (1 - pfc) / (1 - pf);
    }
    double hp = entropy(tmp_pos, top, nt), hn = entropy(tmp_neg, top, nt);
    return h - (pf * hp + (1 - pf) * hn);
}

static bool has_fact(const kf_findings *f, int finding)
{
    return kf_findings_get(f, finding) != NULL;
}

/* The leader stands out: likely on its own, or well ahead of the next. */
static bool leader_clear(const double *post, const int *order, int n)
{
    if (n < 1)
        return false;
    double p1 = post[order[0]], p2 = n > 1 ? post[order[1]] : 0;
    return p1 >= 0.7 || (p1 >= 0.4 && p1 >= 1.5 * p2);
}

/* The best yes/no question; kind NONE when nothing is worth asking. */
static kf_question best_question(const kf_kb *kb, const kf_findings *f, const double *post,
                                 const int *order)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    int nt = kb->n_causes < 8 ? kb->n_causes : 8;
    double *tp = kf_calloc((size_t)kb->n_causes, sizeof *tp);
    double *tn = kf_calloc((size_t)kb->n_causes, sizeof *tn);
    double *pj = kf_calloc((size_t)kb->n_causes, sizeof *pj);
    bool *cand = kf_calloc((size_t)kb->n_findings + 1, sizeof *cand);
    if (!tp || !tn || !pj || !cand)
        goto out;
    for (int i = 0; i < nt; i++) {
        const kf_cause *c = &kb->causes[order[i]];
        for (int l = 0; l < c->n_links; l++)
            cand[kb->links[c->links[l]].finding] = true;
    }
    double best = KF_MIN_GAIN;   /* below this a question is not worth the person's time */
    double h = entropy(post, order, nt);      /* the same for every candidate */
    for (int fd = 0; fd < kb->n_findings; fd++) {
        const kf_finding_def *d = &kb->findings[fd];
        if (!cand[fd] || !d->question || d->kind == KF_FIND_REDFLAG ||
            d->kind == KF_FIND_FOLLOWUP || has_fact(f, fd))
            continue;
        double g = gain_of(kb, post, order, nt, fd, h, pj, tp, tn);
        if (g > best) {
            best = g;
            q.kind = KF_Q_FINDING;
            q.finding = fd;
            q.gain = g;
        }
    }
out:
    kf_free(tp);
    kf_free(tn);
    kf_free(pj);
    kf_free(cand);
    return q;
}

static kf_question clarify_question(const kf_findings *f)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    for (int i = 0; i < f->n; i++) {
        const kf_fact *x = &f->v[i];
        if (x->state == KF_PRESENT && x->alt >= 0 && !has_fact(f, x->alt)) {
            q.kind = KF_Q_CLARIFY;
            q.finding = x->finding;
            q.alt = x->alt;
            return q;
        }
    }
    return q;
}

static int *posterior_order(const kf_kb *kb, const kf_findings *f, double **post_out,
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

static bool any_location(const kf_kb *kb, const kf_findings *f, bool answered)
{
    for (int i = 0; i < f->n; i++)
        if (kb->findings[f->v[i].finding].kind == KF_FIND_LOCATION &&
            (answered || f->v[i].state == KF_PRESENT))
            return true;
    return false;
}

kf_question kf_next_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    if (asked >= max_q || triage_level(kb, f) >= KF_TRIAGE_SOON)
        return q;
    if (!any_location(kb, f, false) && !any_location(kb, f, true)) {
        q.kind = KF_Q_WHERE;
        return q;
    }
    /* The red-flag screen: asked once, early; done when any of its findings
     * has an answer. */
    int *screen = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *screen);
    if (!screen)
        return q;
    int ns = 0;
    bool done = false;
    for (int r = 0; r < kb->n_redflags; r++) {
        const kf_redflag *rf = &kb->redflags[r];
        if (!rf->screen)
            continue;
        const int *ids = rf->n_all ? rf->all : rf->any;
        int n = rf->n_all ? rf->n_all : rf->n_any;
        for (int i = 0; i < n; i++) {
            bool dup = false;
            for (int k = 0; k < ns; k++)
                dup |= screen[k] == ids[i];
            if (dup)
                continue;
            const kf_fact *x = kf_findings_get(f, ids[i]);
            if (x && x->origin != KF_FROM_TEXT)
                done = true;
            screen[ns++] = ids[i];
        }
    }
    if (ns && !done) {
        q.kind = KF_Q_SCREEN;
        q.screen = screen;
        q.n_screen = ns;
        return q;
    }
    kf_free(screen);
    q = clarify_question(f);
    if (q.kind != KF_Q_NONE)
        return q;
    /* Three "not sure" answers: the person cannot tell us more this way;
     * show the best guess rather than keep asking. */
    int unsure = 0;
    for (int i = 0; i < f->n; i++)
        unsure += f->v[i].origin == KF_FROM_ANSWER && f->v[i].state == KF_UNSURE &&
                  kb->findings[f->v[i].finding].kind != KF_FIND_REDFLAG &&
                  kb->findings[f->v[i].finding].kind != KF_FIND_LOCATION;
    if (unsure >= KF_MAX_UNSURE)
        return q;
    double *post;
    bool exact;
    int *order = posterior_order(kb, f, &post, &exact);
    if (!order)
        return q;
    if (!leader_clear(post, order, kb->n_causes))
        q = best_question(kb, f, post, order);
    kf_free(post);
    kf_free(order);
    return q;
}

void kf_question_free(kf_question *q)
{
    if (!q)
        return;
    kf_free(q->screen);
    q->screen = NULL;
    q->n_screen = 0;
}

/* ---------- the plan ---------- */

static const int kind_order[] = {
    [KF_TECH_DOCTOR] = 0, [KF_TECH_RELEASE] = 1, [KF_TECH_STRETCH] = 2,
    [KF_TECH_STRENGTHEN] = 3, [KF_TECH_HABIT] = 4, [KF_TECH_THERMAL] = 5,
    [KF_TECH_THERAPIST] = 6,
};

/* Room in kf_result.plan; build_plan stays well below it. */
#define KF_PLAN_ROOM 16

static void add_step(kf_result *r, int tech, int cause, kf_side side)
{
    if (tech < 0 || r->n_plan >= KF_PLAN_ROOM)
        return;
    for (int i = 0; i < r->n_plan; i++)
        if (r->plan[i].technique == tech) {
            r->plan[i].side |= side;
            return;
        }
    r->plan[r->n_plan++] = (kf_step){ tech, cause, side };
}

static void build_plan(const kf_kb *kb, kf_result *r)
{
    int see = kf_kb_technique(kb, "see_doctor");
    if (r->triage >= KF_TRIAGE_SOON) {
        int mimic = -1;
        if (r->n_flags)
            mimic = kb->redflags[r->flags[0]].mimic;
        add_step(r, see, mimic, KF_SIDE_NONE);
        return;
    }
    bool worse_heat = false, worse_cold = false;
    int fh = kf_kb_finding(kb, "worse_after_heat"), fc = kf_kb_finding(kb, "worse_after_cold");
    worse_heat = fh >= 0 && present(&r->findings, fh);
    worse_cold = fc >= 0 && present(&r->findings, fc);
    int cold = kf_kb_technique(kb, "cold_therapy"), heat = kf_kb_technique(kb, "heat_front");
    double lead = r->n_causes ? r->causes[0].p : 0;
    int used = 0;
    for (int i = 0; i < r->n_causes && used < 3; i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        if (c->kind == KF_CAUSE_MIMIC || rk->p < 0.2 * lead)
            continue;
        int quota = used == 0 ? 3 : 2, took = 0;
        for (int t = 0; t < c->n_treat && took < quota && r->n_plan < 8; t++) {
            int tech = c->treat[t];
            if ((worse_heat && tech == heat) || (worse_cold && tech == cold))
                continue;
            if (kb->techniques[tech].kind == KF_TECH_DOCTOR)
                continue;
            add_step(r, tech, rk->cause, rk->side);
            took++;
        }
        used++;
    }
    if (worse_heat && r->n_plan < 9)
        add_step(r, cold, r->n_causes ? r->causes[0].cause : -1, KF_SIDE_NONE);
    if (worse_cold && r->n_plan < 9)
        add_step(r, heat, r->n_causes ? r->causes[0].cause : -1, KF_SIDE_NONE);
    if (r->triage == KF_TRIAGE_MENTION)
        add_step(r, see, -1, KF_SIDE_NONE);
    /* Order: release, stretch, strengthen, habit, cold/heat, therapist
     * (insertion sort keeps the causes' order within a kind). */
    for (int i = 1; i < r->n_plan; i++) {
        kf_step s = r->plan[i];
        int k = kind_order[kb->techniques[s.technique].kind];
        int j = i;
        while (j > 0 && kind_order[kb->techniques[r->plan[j - 1].technique].kind] > k) {
            r->plan[j] = r->plan[j - 1];
            j--;
        }
        r->plan[j] = s;
    }
    /* A doctor step asked for by the triage goes last, after self-care. */
    for (int i = 0; i + 1 < r->n_plan; i++)
        if (r->plan[i].technique == see) {
            kf_step s = r->plan[i];
            memmove(&r->plan[i], &r->plan[i + 1], (size_t)(r->n_plan - i - 1) * sizeof s);
            r->plan[r->n_plan - 1] = s;
            break;
        }
}

static void build_massage(const kf_kb *kb, kf_result *r)
{
    for (int i = 0; i < r->n_causes && r->n_massage < 6; i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        if (c->kind == KF_CAUSE_MUSCLE) {
            bool dup = false;
            for (int k = 0; k < r->n_massage; k++)
                dup |= r->massage[k] == rk->cause;
            if (!dup) {
                r->massage_side[r->n_massage] = rk->side;
                r->massage[r->n_massage++] = rk->cause;
            }
        } else if (c->kind != KF_CAUSE_MIMIC && i < 3) {
            for (int j = 0; j < c->n_keeps && j < 2 && r->n_massage < 6; j++) {
                bool dup = false;
                for (int k = 0; k < r->n_massage; k++)
                    dup |= r->massage[k] == c->keeps[j];
                if (!dup) {
                    r->massage_side[r->n_massage] = rk->side;
                    r->massage[r->n_massage++] = c->keeps[j];
                }
            }
        }
    }
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
    for (int lv = KF_TRIAGE_EMERGENCY; lv > KF_TRIAGE_SELF_CARE; lv--)
        for (int i = 0; i < kb->n_redflags; i++)
            if ((int)kb->redflags[i].level == lv && rule_fires(&kb->redflags[i], f))
                r->flags[r->n_flags++] = i;
    r->triage = r->n_flags ? kb->redflags[r->flags[0]].level : KF_TRIAGE_SELF_CARE;

    int npres = kf_findings_present(f);
    r->unrecognised = npres == 0;
    if (r->unrecognised) {
        r->next.kind = KF_Q_WHERE;
        build_plan(kb, r);
        return r;
    }
    double *post;
    bool exact;
    int *order = posterior_order(kb, f, &post, &exact);
    if (!order) {
        kf_result_free(r);
        return NULL;
    }
    r->approximate = !exact;
    /* 3 to 5 causes: the top 3, then more while they still matter. */
    for (int i = 0; i < kb->n_causes && r->n_causes < KF_MAX_RANKED; i++) {
        double p = post[order[i]];
        if (i >= 3 && (p < 0.1 || p < 0.25 * post[order[0]]))
            break;
        kf_ranked *rk = &r->causes[r->n_causes++];
        rk->cause = order[i];
        rk->p = p;
        rk->kept_by = -1;
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
    r->leader_clear = leader_clear(post, order, kb->n_causes);
    build_plan(kb, r);
    build_massage(kb, r);
    if (!r->leader_clear && r->triage < KF_TRIAGE_SOON) {
        r->next = clarify_question(f);
        if (r->next.kind == KF_Q_NONE)
            r->next = best_question(kb, f, post, order);
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
