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
#define KF_SCREEN_MAX 16     /* items in the red-flag screen (one checklist) */

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
bool kf_leader_clear(const double *post, const int *order, int n)
{
    if (n < 1)
        return false;
    double p1 = post[order[0]], p2 = n > 1 ? post[order[1]] : 0;
    return p1 >= 0.7 || (p1 >= 0.4 && p1 >= 1.5 * p2);
}

/* The best yes/no question; kind NONE when nothing is worth asking. */
kf_question kf_best_question(const kf_kb *kb, const kf_findings *f, const double *post,
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

kf_question kf_next_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    if (asked >= max_q || kf_triage_level(kb, f) >= KF_TRIAGE_SOON)
        return q;
    if (!any_location(kb, f, false) && !any_location(kb, f, true)) {
        q.kind = KF_Q_WHERE;
        return q;
    }
    /* The red-flag screen: asked once, early, about what was said (the
     * person's own words, without the answers); done when any of its
     * findings has an answer. */
    int *screen = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *screen);
    kf_findings said;
    kf_findings_init(&said);
    if (!screen)
        return q;
    said.age = f->age;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].origin != KF_FROM_ANSWER)
            kf_findings_add(&said, &f->v[i]);
    kf_triage_derive(kb, &said);
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
        q.kind = KF_Q_SCREEN;
        q.screen = screen;
        q.n_screen = ns;
        return q;
    }
    kf_free(screen);
    q = kf_clarify_question(f);
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
    int *order = kf_posterior_order(kb, f, &post, &exact);
    if (!order)
        return q;
    if (!kf_leader_clear(post, order, kb->n_causes))
        q = kf_best_question(kb, f, post, order);
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

