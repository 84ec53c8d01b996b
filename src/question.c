/*
 * question.c — the next interview question: where it hurts, the red-flag
 * screen, which of two readings was meant, then the yes/no question with
 * the largest expected information gain.
 */
#include "question.h"

#include <math.h>
#include <stdlib.h>

#include "engine.h"
#include "triage.h"

#define KF_MIN_GAIN 0.05      /* bits */
#define KF_MAX_UNSURE 3
/* Candidates: the findings linked to this many leading causes (fewer when
 * more than 10 findings are present, since each gain costs one exact
 * posterior; a habit's kept muscles are usually leading causes too).  The
 * gain of each candidate is exact; only the list is limited. */
#define KF_Q_TOP 5
#define KF_Q_TOP_MANY 2
#define KF_SCREEN_MAX 16     /* items in the red-flag screen (one checklist) */
/* Above this many present findings the gains are computed on the strongest
 * KF_Q_EXACT_MAX of them (strongest link first, ties by finding id) with
 * the fast posterior: each of ~30 gains costs one posterior, and a
 * consultation must stay quick.  The question is then chosen on an
 * approximate posterior; at or below it the gains are exact. */
#define KF_Q_EXACT_MAX 10
/* The same bound for kf_best_questions' fast_gains, whose caller wants the
 * order of the questions in a few milliseconds. */
#define KF_Q_FAST_MAX 8

static double strongest(const kf_kb *kb, int f)
{
    double m = 0;
    for (int i = kb->flink_first[f]; i < kb->flink_first[f + 1]; i++)
        if (kb->links[kb->flink[i]].p > m)
            m = kb->links[kb->flink[i]].p;
    return m;
}

/* Keeps the `n` present findings with the strongest links, sorted by id. */
static void keep_strongest(const kf_kb *kb, kf_evidence_set *ev, int n)
{
    for (int a = 0; a < ev->np; a++)            /* selection, stable by id */
        for (int b = a + 1; b < ev->np; b++) {
            double wa = strongest(kb, ev->pos[a]), wb = strongest(kb, ev->pos[b]);
            if (wb > wa || (wb == wa && ev->pos[b] < ev->pos[a])) {
                int t = ev->pos[a];
                ev->pos[a] = ev->pos[b];
                ev->pos[b] = t;
            }
        }
    ev->np = n;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (ev->pos[b] < ev->pos[a]) {
                int t = ev->pos[a];
                ev->pos[a] = ev->pos[b];
                ev->pos[b] = t;
            }
}

static double hbin(double p)
{
    if (p <= 0 || p >= 1)
        return 0;
    return -(p * log2(p) + (1 - p) * log2(1 - p));
}

/* The measure: expected information gain, in bits, summed over the causes,
 *   G(f) = sum_c [ H(c | E) - P(f|E) H(c | E, f) - P(!f|E) H(c | E, !f) ],
 * each term the mutual information between the answer and whether cause c
 * is present.  Why this one: the causes are not exclusive (a habit and the
 * muscle it keeps tight are often both present), so there is no single
 * "which cause" distribution whose entropy could be reduced; the sum of the
 * per-cause informations is exact on the engine's marginals, is zero only
 * when no answer can move any cause, and rewards questions that settle the
 * leading causes (whose marginals are nearest one half).
 * Everything comes from the exact posterior under E and under E + !f:
 * P(!f | E) = P(E, !f) / P(E), and P(c, E, f) = P(c, E) - P(c, E, !f). */
/* The gain of asking about fd, from the posterior under E + !fd (pn, with
 * log P(E, !fd) = lpn); hpost[c] = hbin(post[c]). */
static double gain_from(const kf_kb *kb, const double *post, const double *hpost,
                        long double logpe, const double *pn, long double lpn)
{
    double pneg = (double)expl(lpn - logpe);
    pneg = pneg < 0 ? 0 : pneg > 1 ? 1 : pneg;
    double ppos = 1 - pneg;
    if (ppos <= 1e-12 || pneg <= 1e-12)
        return 0;
    double g = 0;
    for (int c = 0; c < kb->n_causes; c++) {
        /* a cause the answer cannot move adds nothing (its three entropies
         * cancel, to rounding) */
        if (fabs(pn[c] - post[c]) <= 1e-15)
            continue;
        double pp = (post[c] - pneg * pn[c]) / ppos;
        pp = pp < 0 ? 0 : pp > 1 ? 1 : pp;
        g += hpost[c] - ppos * hbin(pp) - pneg * hbin(pn[c]);
    }
    return g < 0 ? 0 : g;
}

/* hbin(|a - b|) bounds |hbin(a) - hbin(b)| (concave and symmetric: the
 * largest change over a distance d is from 0 to d), 1 beyond 1/2. */
static double hmod(double d)
{
    return d >= 0.5 ? 1 : hbin(d);
}

/* A bound on |gain_from(exact posteriors) - gain_from(these)|, where the
 * exact posterior under E is in [blo, bhi], under E + !fd in [clo, chi],
 * and the exact P(E) and P(E, !fd) within factors 1 +- zerr, 1 +- czerr of
 * the ones computed; INFINITY when they cannot bound it.  Term by term
 * (H(post) - ppos H(pp) - pneg H(pn)): pneg moves by dn at most, each H by
 * hmod of its argument's move, and the sums of hmod over n causes are at
 * most n hmod(their mean move) (hmod is concave), so three logarithms per
 * candidate bound it. */
static double gain_err(const kf_kb *kb, const double *post, const double *blo,
                       const double *bhi, double zerr, long double logpe, const double *pn,
                       const double *clo, const double *chi, double czerr, long double lpn)
{
    double e = zerr + 1e-15, et = czerr + 1e-15;
    if (!(e < 0.5 && et < 0.5))
        return INFINITY;
    double pneg = (double)expl(lpn - logpe);
    pneg = pneg < 0 ? 0 : pneg > 1 ? 1 : pneg;
    double ppos = 1 - pneg;
    double dn = pneg * (e + et) / (1 - e) + 1e-15;
    /* near gain_from's cut to 0, either side may hold the exact value */
    if (pneg - dn <= 1e-12 || ppos - dn <= 1e-12)
        return INFINITY;
    double sb = 0, sp = 0, sq = 0;
    int n = 0;
    for (int c = 0; c < kb->n_causes; c++) {
        double db = bhi[c] - blo[c], dp = chi[c] - clo[c];
        if (db == 0 && dp == 0 && pn[c] == post[c])
            continue;          /* a closed form on both sides: the same, no term */
        double pp = (post[c] - pneg * pn[c]) / ppos;
        pp = pp < 0 ? 0 : pp > 1 ? 1 : pp;
        sb += db;
        sp += dp;
        sq += (db + dn * (pn[c] + dp) + pneg * dp + pp * dn) / (ppos - dn);
        n++;
    }
    if (!n)
        return 1e-12;
    return n * (hmod(sb / n) + pneg * hmod(sp / n) + ppos * hmod(sq / n) + 2 * dn) + 1e-12;
}

/* The posterior under E + !fd on its own (kf_posterior_ev), for a
 * candidate whose answer the shared run could not certify. */
static kf_err posterior_without(const kf_kb *kb, const kf_evidence_set *ev, int fd, int *negbuf,
                                double *pn, bool fast, long double *lpn)
{
    kf_evidence_set e2 = *ev;
    int k = 0;
    bool put = false;
    for (int i = 0; i < ev->nn; i++) {
        if (!put && ev->neg[i] > fd) {
            negbuf[k++] = fd;
            put = true;
        }
        negbuf[k++] = ev->neg[i];
    }
    if (!put)
        negbuf[k++] = fd;
    e2.neg = negbuf;
    e2.nn = k;
    bool ap;
    return kf_posterior_ev(kb, &e2, pn, NULL, NULL, &ap, lpn, fast);
}

static bool has_fact(const kf_findings *f, int finding)
{
    return kf_findings_get(f, finding) != NULL;
}

/* The leader stands out: likely on its own, or well ahead of the next. */
bool kf_leader_clear(const double *post, const int *order, int n)
{
    if (n < 1)
        return false;
    double p1 = post[order[0]], p2 = n > 1 ? post[order[1]] : 0;
    return p1 >= 0.7 || (p1 >= 0.4 && p1 >= 1.5 * p2);
}

/* The best yes/no question; kind NONE when nothing is worth asking.  Ties
 * go to the lower finding id. */
kf_err kf_best_question(const kf_kb *kb, const kf_findings *f, const double *post,
                        const int *order, kf_question *out)
{
    int n = 0;
    return kf_best_questions(kb, f, post, order, false, out, 1, &n);
}

kf_err kf_best_questions(const kf_kb *kb, const kf_findings *f, const double *post,
                         const int *order, bool fast_gains, kf_question *outv, int max,
                         int *n_out)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    kf_question *out = outv;
    *n_out = 0;
    for (int i = 0; i < max; i++)
        outv[i] = q;
    kf_evidence_set ev;
    kf_err err = kf_evidence(kb, f, &ev);
    if (err)
        return err;
    int nt = ev.np > 10 ? KF_Q_TOP_MANY : KF_Q_TOP;
    bool fast = fast_gains || ev.np > KF_Q_EXACT_MAX;
    /* fast_gains (a drafted reply): the 8 strongest findings, 4 times
     * fewer Quickscore terms per gain than 10 */
    int keep = fast_gains ? KF_Q_FAST_MAX : KF_Q_EXACT_MAX;
    if (ev.np > keep)
        keep_strongest(kb, &ev, keep);
    if (nt > kb->n_causes)
        nt = kb->n_causes;
    size_t nc1 = (size_t)kb->n_causes + 1;
    double *base = kf_calloc(2 * nc1, sizeof *base), *hbase = base ? base + nc1 : NULL;
    int *negbuf = kf_malloc((size_t)(ev.nn + 2) * sizeof *negbuf);
    bool *mark = kf_calloc((size_t)kb->n_findings + 1, sizeof *mark);
    int *cand = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *cand);
    double *cpost = NULL;
    long double *clogpe = NULL;
    bool *cok = NULL;
    long double logpe = 0;
    bool ap, ok;
    int nq = 0;
    kf_cands_iv iv = { 0 };
    double *ivb = NULL, *gains = NULL, zerr = INFINITY;
    if (!base || !negbuf || !mark || !cand) {
        err = KF_ENOMEM;
        goto out;
    }
    (void)post;
    for (int i = 0; i < nt; i++) {
        const kf_cause *c = &kb->causes[order[i]];
        for (int l = 0; l < c->n_links; l++)
            mark[kb->links[c->links[l]].finding] = true;
    }
    for (int fd = 0; fd < kb->n_findings; fd++) {
        const kf_finding_def *d = &kb->findings[fd];
        if (mark[fd] && d->question && d->kind != KF_FIND_REDFLAG &&
            d->kind != KF_FIND_FOLLOWUP && !has_fact(f, fd))
            cand[nq++] = fd;
    }
    cpost = kf_malloc(((size_t)nq * (size_t)kb->n_causes + 1) * sizeof *cpost);
    clogpe = kf_malloc((size_t)(nq + 1) * sizeof *clogpe);
    cok = kf_malloc((size_t)(nq + 1) * sizeof *cok);
    if (!cpost || !clogpe || !cok) {
        err = KF_ENOMEM;
        goto out;
    }
    /* log P(E), the posterior it goes with (post is the caller's copy of
     * the same numbers) and every candidate's posterior under E + !f, from
     * one shared Quickscore run (with `fast`, the uncertified Quickscore
     * answer is what kf_posterior_ev returns too). */
    if (!fast) {
        ivb = kf_malloc((2 * nc1 + 2 * ((size_t)nq * (size_t)kb->n_causes + 1) + (size_t)nq + 2) *
                        sizeof *ivb);
        if (!ivb) {
            err = KF_ENOMEM;
            goto out;
        }
        iv.lo = ivb;
        iv.hi = ivb + nc1;
        iv.clo = iv.hi + nc1;
        iv.chi = iv.clo + (size_t)nq * (size_t)kb->n_causes + 1;
        iv.czerr = iv.chi + (size_t)nq * (size_t)kb->n_causes + 1;
        iv.zerr = &zerr;
        iv.refine = false;
    }
    err = kf_posterior_cands_iv(kb, &ev, cand, nq, fast, base, &logpe, &ok, cpost, clogpe, cok,
                                fast ? NULL : &iv);
    if (err)
        goto out;
    bool bounded = !fast && ok;
    if (!ok && !fast) {
        err = kf_posterior_ev(kb, &ev, base, NULL, NULL, &ap, &logpe, fast);
        if (err)
            goto out;
    }
    /* below KF_MIN_GAIN a question is not worth the person's time; the
     * `max` best are kept in order (ties to the lower finding id: the
     * candidates come in finding order) */
    int kept = 0;
    for (int c = 0; c < kb->n_causes; c++)
        hbase[c] = hbin(base[c]);
    if (bounded) {
        /* The gains are exact where the shared run certified the
         * candidate's posterior; elsewhere they carry a bound (gain_err),
         * and a candidate is computed exactly on its own only when its
         * bound lets it be among the `max` best: the best upper bound is
         * taken each time; when it is a bound it is made exact, when it is
         * exact that candidate is next.  The questions and gains are the
         * ones computing every candidate exactly would give. */
        gains = kf_malloc(2 * ((size_t)nq + 1) * sizeof *gains);
        if (!gains) {
            err = KF_ENOMEM;
            goto out;
        }
        double *gerr = gains + nq + 1;
        for (int t = 0; t < nq; t++) {
            double *pn = cpost + (size_t)t * (size_t)kb->n_causes;
            gains[t] = gain_from(kb, base, hbase, logpe, pn, clogpe[t]);
            gerr[t] = cok[t] ? 0
                             : gain_err(kb, base, iv.lo, iv.hi, zerr, logpe, pn,
                                        iv.clo + (size_t)t * (size_t)kb->n_causes,
                                        iv.chi + (size_t)t * (size_t)kb->n_causes,
                                        iv.czerr[t], clogpe[t]);
        }
        while (kept < max) {
            int best = -1;
            double bu = 0;
            for (int t = 0; t < nq; t++)
                if (gerr[t] >= 0 && (best < 0 || gains[t] + gerr[t] > bu)) {
                    best = t;
                    bu = gains[t] + gerr[t];
                }
            if (best < 0 || bu <= KF_MIN_GAIN)
                break;
            if (gerr[best] > 0) {
                double *pn = cpost + (size_t)best * (size_t)kb->n_causes;
                err = posterior_without(kb, &ev, cand[best], negbuf, pn, fast, &clogpe[best]);
                if (err)
                    goto out;
                gains[best] = gain_from(kb, base, hbase, logpe, pn, clogpe[best]);
                gerr[best] = 0;
                continue;
            }
            q.kind = KF_Q_FINDING;
            q.finding = cand[best];
            q.gain = gains[best];
            out[kept++] = q;
            gerr[best] = -1;           /* taken */
        }
    }
    for (int t = 0; !bounded && t < nq; t++) {
        double *pn = cpost + (size_t)t * (size_t)kb->n_causes;
        if (!cok[t] && !fast) {
            err = posterior_without(kb, &ev, cand[t], negbuf, pn, fast, &clogpe[t]);
            if (err)
                goto out;
        }
        double g = gain_from(kb, base, hbase, logpe, pn, clogpe[t]);
        if (g <= KF_MIN_GAIN || (kept == max && g <= out[max - 1].gain))
            continue;
        int at = kept < max ? kept++ : max - 1;
        while (at > 0 && out[at - 1].gain < g) {
            out[at] = out[at - 1];
            at--;
        }
        q.kind = KF_Q_FINDING;
        q.finding = cand[t];
        q.gain = g;
        out[at] = q;
    }
    *n_out = kept;
out:
    kf_evidence_free(&ev);
    kf_free(base);
    kf_free(negbuf);
    kf_free(mark);
    kf_free(cand);
    kf_free(cpost);
    kf_free(clogpe);
    kf_free(cok);
    kf_free(ivb);
    kf_free(gains);
    return err;
}

kf_question kf_clarify_question(const kf_findings *f)
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

static bool any_location(const kf_kb *kb, const kf_findings *f, bool answered)
{
    for (int i = 0; i < f->n; i++)
        if (kb->findings[f->v[i].finding].kind == KF_FIND_LOCATION &&
            (answered || f->v[i].state == KF_PRESENT))
            return true;
    return false;
}

kf_err kf_next_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q,
                        kf_question *out)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    *out = q;
    if (asked >= max_q)
        return KF_OK;
    kf_triage level;
    kf_err lerr = kf_triage_level(kb, f, &level);
    if (lerr)
        return lerr;
    if (level >= KF_TRIAGE_SOON)
        return KF_OK;
    if (!any_location(kb, f, false) && !any_location(kb, f, true)) {
        out->kind = KF_Q_WHERE;
        return KF_OK;
    }
    /* The red-flag screen: asked once, early, about what was said (the
     * person's own words, without the answers); done when any of its
     * findings has an answer. */
    int *screen = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *screen);
    kf_findings said;
    kf_findings_init(&said);
    if (!screen)
        return KF_ENOMEM;
    said.age = f->age;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].origin != KF_FROM_ANSWER)
            kf_findings_add(&said, &f->v[i]);
    kf_triage_derive(kb, &said);
    if (said.oom) {
        kf_findings_free(&said);
        kf_free(screen);
        return KF_ENOMEM;
    }
    int ns = kf_triage_screen(kb, &said, screen, KF_SCREEN_MAX);
    kf_findings_free(&said);
    bool done = false;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].origin == KF_FROM_ANSWER)
            for (int k = 0; k < ns; k++)
                done |= screen[k] == f->v[i].finding;
    int keep = 0;
    for (int k = 0; k < ns; k++)
        if (!has_fact(f, screen[k]))
            screen[keep++] = screen[k];
    ns = keep;
    if (ns && !done) {
        out->kind = KF_Q_SCREEN;
        out->screen = screen;
        out->n_screen = ns;
        return KF_OK;
    }
    kf_free(screen);
    *out = kf_clarify_question(f);
    if (out->kind != KF_Q_NONE)
        return KF_OK;
    /* Three "not sure" answers: the person cannot tell us more this way;
     * show the best guess rather than keep asking. */
    int unsure = 0;
    for (int i = 0; i < f->n; i++)
        unsure += f->v[i].origin == KF_FROM_ANSWER && f->v[i].state == KF_UNSURE &&
                  kb->findings[f->v[i].finding].kind != KF_FIND_REDFLAG &&
                  kb->findings[f->v[i].finding].kind != KF_FIND_LOCATION;
    if (unsure >= KF_MAX_UNSURE)
        return KF_OK;
    double *post;
    int *order;
    bool approx;
    kf_err err = kf_posterior_order(kb, f, &post, &order, &approx);
    if (err)
        return err;
    if (!kf_leader_clear(post, order, kb->n_causes))
        err = kf_best_question(kb, f, post, order, out);
    kf_free(post);
    kf_free(order);
    return err;
}

void kf_question_free(kf_question *q)
{
    if (!q)
        return;
    kf_free(q->screen);
    q->screen = NULL;
    q->n_screen = 0;
}

