/*
 * question.c — the next interview question: where it hurts, the red-flag
 * screen, which of two readings was meant, then the yes/no question with
 * the largest expected information gain.
 */
#include "question.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
#define KF_OWED_MAX 24       /* items in the emergency checklist after doctor_soon */
/* The least urgent rank an emergency checklist after doctor_soon asks. */
#define EMERGENCY_WORST RANK_FITS
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

double kf_hbin(double p)
{
    return hbin(p);
}

/* log2(x) for x > 0 without libm: x = m 2^e with m in [1/sqrt2, sqrt2),
 * ln m = 2 atanh(z), z = (m - 1) / (m + 1), |z| <= 0.1716, by its series to
 * z^11.  The terms left out sum to at most 2 z^13 / 13 / (1 - z^2) < 1.8e-11
 * (2.6e-11 in log2), the roundings add a few ulps of the result; below
 * DBL_MIN (no such value comes from a posterior) libm answers. */
static inline double log2_fast(double x)
{
    if (!(x >= DBL_MIN) || isinf(x))
        return log2(x);
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    int e = (int)((u >> 52) & 0x7ff) - 1023;
    u = (u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
    double m;
    memcpy(&m, &u, sizeof m);                    /* [1, 2) */
    if (m > M_SQRT2) {
        m *= 0.5;                                /* exact */
        e++;
    }
    double z = (m - 1) / (m + 1), z2 = z * z;    /* m - 1 is exact */
    double ln = z * (2 + z2 * (2.0 / 3 + z2 * (2.0 / 5 + z2 * (2.0 / 7 + z2 * (2.0 / 9 +
                                                                              z2 * (2.0 / 11))))));
    return (double)e + ln * M_LOG2E;
}

/* hbin with log2_fast: within KF_HBIN_FAST_ERR of hbin for every p (each of
 * its two products p log2 p is off by at most p x 2.6e-11 plus roundings
 * far smaller; test_engine_ref checks it over the whole range). */
#define KF_HBIN_FAST_ERR 1e-9

static inline double hbin_fast(double p)
{
    if (p <= 0 || p >= 1)
        return 0;
    return -(p * log2_fast(p) + (1 - p) * log2_fast(1 - p));
}

double kf_hbin_fast(double p)
{
    return hbin_fast(p);
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
/* P(!f | E) = P(E, !f) / P(E) from their logs, within [0, 1]. */
static double answer_no(long double logpe, long double lpn)
{
    double pneg = (double)expl(lpn - logpe);
    return pneg < 0 ? 0 : pneg > 1 ? 1 : pneg;
}

/* The gain of asking about fd, from the posterior under E + !fd (pn, with
 * log P(E, !fd) = lpn); hpost[c] = hbin(post[c]). */
static double gain_from(const kf_kb *kb, const double *post, const double *hpost,
                        long double logpe, const double *pn, long double lpn)
{
    double pneg = answer_no(logpe, lpn), ppos = 1 - pneg;
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

/* For kf_gain_fast, per cause with posterior b under E (u = 1 - b): the
 * binary entropy h(b) and the coefficients of its Taylor series around b,
 * h'(b) and, from h^(k)(x) = -(k-2)! ((-1)^k x^(1-k) + (1-x)^(1-k)) / ln 2,
 *   c_k = h^(k)(b) / k! = -((-1)^k b^(1-k) + u^(1-k)) / (k (k-1) ln 2),
 * k = 2..5; on [b - r, b + r], r = KF_GAIN_RHO min(b, u), a bound k6 on
 * |h^(6)| / 720 (its value at x = (1 - KF_GAIN_RHO) b and 1 - x =
 * (1 - KF_GAIN_RHO) u), and e0, a bound on a term's roundings; r < 0 where
 * b is too near 0 or 1 for these to be finite.  One logarithm per cause
 * per search. */
#define KF_GAIN_RHO 0.3

void kf_gain_prepare(const kf_kb *kb, const double *post, kf_gain_pre *pre)
{
    for (int c = 0; c < kb->n_causes; c++) {
        kf_gain_pre *g = &pre[c];
        double b = post[c], u = 1 - b, m = b < u ? b : u;
        memset(g, 0, sizeof *g);
        g->h = hbin(b);
        g->r = -1;
        if (!(m >= 1e-30))
            continue;
        g->d1 = log2(u / b);
        double ib = 1 / b, iu = 1 / u, pb = ib, pu = iu;       /* b^(1-k), u^(1-k) */
        for (int k = 2; k <= 5; k++) {
            double sg = k % 2 ? -1 : 1;
            g->c[k - 2] = -(sg * pb + pu) / (k * (k - 1) * M_LN2);
            pb *= ib;
            pu *= iu;
        }
        double lb = 1 / ((1 - KF_GAIN_RHO) * b), lu = 1 / ((1 - KF_GAIN_RHO) * u);
        double lb5 = lb * lb * lb * lb * lb, lu5 = lu * lu * lu * lu * lu;
        g->k6 = (lb5 + lu5) / (30 * M_LN2) * (1 + 1e-9);
        g->r = KF_GAIN_RHO * m;
        /* the roundings of a term, either way: a few eps of its parts,
         * each at most |coefficient| r^k (ppos + pneg = 1) */
        double a = g->h + fabs(g->d1) * g->r, rk = g->r;
        for (int k = 0; k < 4; k++) {
            rk *= g->r;
            a += fabs(g->c[k]) * rk;
        }
        g->e0 = 32 * DBL_EPSILON * a + 2e-14;
    }
}

/* gain_from's sum, cheaply; *err (may be NULL) gets a bound on its
 * distance from what gain_from returns for the same numbers.  The same
 * pneg, pp and skipped causes (the same expressions); a cause whose
 * posterior moves by at most r either way (most of them: an answer moves
 * the causes it is not linked to a little) gets its term from h's Taylor
 * series around b to the fifth order,
 *   h(b) - ppos h(pp) - pneg h(pn) = h(b) (1 - ppos - pneg) - h'(b) M1
 *       - sum_k c_k Mk -+ R,  Mk = ppos dp^k + pneg dn^k,
 * |R| <= k6 M6 (Lagrange's remainder; dp = pp - b and dn = pn - b are
 * exact, Sterbenz), with the roundings of both ways of computing it; any
 * other cause from hbin_fast (KF_HBIN_FAST_ERR each).  Each sum's own
 * rounding is at most n^2 eps times its largest term (<= 3).  A question is
 * chosen on these and its gain then taken from gain_from: ~4 log2 per cause
 * and candidate were most of the search's own time. */
double kf_gain_fast(const kf_kb *kb, const double *post, const kf_gain_pre *pre,
                    long double logpe, const double *pn, long double lpn, double *err)
{
    double pneg = (double)expl(lpn - logpe);
    pneg = pneg < 0 ? 0 : pneg > 1 ? 1 : pneg;
    double ppos = 1 - pneg;
    if (err)
        *err = 0;
    if (ppos <= 1e-12 || pneg <= 1e-12)
        return 0;
    double g = 0, e = 0, wrest = (1 - ppos) - pneg;
    int n = 0;
    for (int c = 0; c < kb->n_causes; c++) {
        double b = post[c], dn = pn[c] - b;
        if (fabs(dn) <= 1e-15)
            continue;
        const kf_gain_pre *q = &pre[c];
        double pp = (b - pneg * pn[c]) / ppos;
        pp = pp < 0 ? 0 : pp > 1 ? 1 : pp;
        double dp = pp - b;
        n++;
        if (fabs(dp) <= q->r && fabs(dn) <= q->r) {
            double p1 = ppos * dp, n1 = pneg * dn;           /* ppos dp^k, pneg dn^k */
            double p2 = p1 * dp, n2 = n1 * dn, p3 = p2 * dp, n3 = n2 * dn;
            double p4 = p3 * dp, n4 = n3 * dn, p5 = p4 * dp, n5 = n4 * dn;
            g += q->h * wrest - q->d1 * (p1 + n1) - q->c[0] * (p2 + n2) - q->c[1] * (p3 + n3) -
                 q->c[2] * (p4 + n4) - q->c[3] * (p5 + n5);
            e += q->k6 * (p5 * dp + n5 * dn) + q->e0;
        } else {
            g += q->h - ppos * hbin_fast(pp) - pneg * hbin_fast(pn[c]);
            e += KF_HBIN_FAST_ERR;
        }
    }
    if (err)
        *err = (e + 2.0 * n * n * 3 * DBL_EPSILON + 1e-15) * (1 + 1e-9);
    return g < 0 ? 0 : g;
}

/* kf_gain_bound: a cheap upper bound on what gain_from returns for the same numbers,
 * for the candidates whose gain need not be computed at all: each cause's
 * term is the mixture's Jensen gap, ppos KL(pp || b) + pneg KL(pn || b)
 * (b = ppos pp + pneg pn), and KL(x || y) = (x - y)^2 / (2 ln 2) times 1 /
 * (z (1 - z)) at some z between x and y (Taylor, the first order
 * vanishing), at most its value at the endpoint nearer 0 or 1 (z (1 - z)
 * is concave).  A cause whose pp was clamped, or whose endpoint is 0 or
 * 1, gets its term from hbin instead.  The margin covers gain_from's
 * roundings (each term's entropies within a few eps of 3 bits, the sum's
 * n eps, b against ppos pp + pneg pn a few eps of b times |h'(b)|, all
 * far below 1e-13 a cause).  About 15 instructions a cause against
 * kf_gain_fast's 110: most candidates' bounds fall below the best gain
 * and they are never computed further. */
/* Four causes at a time (GCC's and Clang's vector extension: two SSE2
 * operations on plain x86-64, one AVX operation where the processor has
 * it): each lane does what the scalar code does, operation for operation,
 * and only the order of the sums differs (their roundings are inside the
 * bounds' margins). */
typedef double q_v4 __attribute__((vector_size(32), aligned(8), may_alias));
typedef long long q_i4 __attribute__((vector_size(32), aligned(8), may_alias));
#define Q_LD(p) (*(const q_v4 *)(const void *)(p))
#define Q_SPLAT(x) ((q_v4){ (x), (x), (x), (x) })
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(KF_NO_CLONES)
#define Q_CLONES __attribute__((target_clones("avx", "default")))
#else
#define Q_CLONES
#endif

/* (macros, not functions: a function returning a 32-byte vector changes
 * the ABI where AVX is not enabled) lanes of x where m is set, 0.0
 * elsewhere; m ? a : b lane by lane; |x|; the four lanes' sum */
#define Q_KEEP(x, m) ((q_v4)((q_i4)(x) & (m)))
#define Q_PICK(m, a, b) ((q_v4)(((q_i4)(a) & (m)) | ((q_i4)(b) & ~(m))))
#define Q_ABSMASK ((q_i4){ 0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL, \
                           0x7fffffffffffffffLL })
#define Q_FABS(x) ((q_v4)((q_i4)(x) & Q_ABSMASK))
#define Q_SUM(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))
#define Q_ANY(m) ((m)[0] | (m)[1] | (m)[2] | (m)[3])
/* ppr clamped to [0, 1] as the scalar code clamps it (NaN stays NaN) */
#define Q_CLAMP01(ppr) Q_PICK((ppr) > Q_SPLAT(1.0), Q_SPLAT(1.0), Q_KEEP((ppr), ~((ppr) < Q_SPLAT(0.0))))

/* kf_gain_bound's term of one cause: into *g (the Taylor part) or *exact
 * (from hbin), and *n counts it; nothing when the answer cannot move it. */
static inline void bound_one(double b, double x, double h, double pneg, double ppos, double *g,
                             double *exact, int *n)
{
    double dn = x - b;
    if (fabs(dn) <= 1e-15)
        return;
    (*n)++;
    double ppr = (b - pneg * x) / ppos;
    double pp = ppr < 0 ? 0 : ppr > 1 ? 1 : ppr;
    double vb = b * (1 - b), vp = pp * (1 - pp), vn = x * (1 - x);
    double mp = vp < vb ? vp : vb, mn = vn < vb ? vn : vb;
    if (pp != ppr || !(mp > 0) || !(mn > 0)) {
        *exact += h - ppos * hbin(pp) - pneg * hbin(x);
        return;
    }
    double dp = pp - b;
    *g += ppos * dp * dp / mp + pneg * dn * dn / mn;
}

/* kf_gain_bound: a cheap upper bound on what gain_from returns for the same numbers,
 * for the candidates whose gain need not be computed at all: each cause's
 * term is the mixture's Jensen gap, ppos KL(pp || b) + pneg KL(pn || b)
 * (b = ppos pp + pneg pn), and KL(x || y) = (x - y)^2 / (2 ln 2) times 1 /
 * (z (1 - z)) at some z between x and y (Taylor, the first order
 * vanishing), at most its value at the endpoint nearer 0 or 1 (z (1 - z)
 * is concave).  A cause whose pp was clamped, or whose endpoint is 0 or
 * 1, gets its term from hbin instead.  The margin covers gain_from's
 * roundings (each term's entropies within a few eps of 3 bits, the sum's
 * n eps, b against ppos pp + pneg pn a few eps of b times |h'(b)|, all
 * far below 1e-13 a cause).  About 15 instructions a cause against
 * kf_gain_fast's 110: most candidates' bounds fall below the best gain
 * and they are never computed further.  Four causes at a time; a lane
 * that needs hbin takes bound_one. */
Q_CLONES static double gain_bound_v(int nc, const double *post, const double *pn,
                                    const kf_gain_pre *pre, double pneg, double ppos)
{
    q_v4 gv = Q_SPLAT(0.0), pnv = Q_SPLAT(pneg), ppv = Q_SPLAT(ppos), one = Q_SPLAT(1.0);
    q_i4 nv = { 0, 0, 0, 0 };
    double g = 0, exact = 0;
    int n = 0, c = 0;
    for (; c + 4 <= nc; c += 4) {
        q_v4 b = Q_LD(post + c), x = Q_LD(pn + c), dn = x - b;
        q_i4 moved = ~(Q_FABS(dn) <= Q_SPLAT(1e-15));      /* NaN too, as bound_one */
        if (!Q_ANY(moved))
            continue;
        q_v4 ppr = (b - pnv * x) / ppv, pp = Q_CLAMP01(ppr);
        q_v4 vb = b * (one - b), vp = pp * (one - pp), vn = x * (one - x);
        q_v4 mp = Q_PICK(vp < vb, vp, vb), mn = Q_PICK(vn < vb, vn, vb);
        q_i4 plain = (pp == ppr) & (mp > Q_SPLAT(0.0)) & (mn > Q_SPLAT(0.0));
        q_i4 ok = moved & plain, odd = moved & ~plain;
        q_v4 dp = pp - b;
        q_v4 t = ppv * dp * dp / mp + pnv * dn * dn / mn;
        gv += Q_KEEP(t, ok);
        nv -= ok;
        if (Q_ANY(odd))
            for (int l = 0; l < 4; l++)
                if (odd[l])
                    bound_one(post[c + l], pn[c + l], pre[c + l].h, pneg, ppos, &g, &exact, &n);
    }
    for (; c < nc; c++)
        bound_one(post[c], pn[c], pre[c].h, pneg, ppos, &g, &exact, &n);
    g += Q_SUM(gv);
    n += (int)(nv[0] + nv[1] + nv[2] + nv[3]);
    g = g * (1 + 1e-12) / (2 * M_LN2) + exact + n * 1e-13 + 1e-12;
    return g > 0 ? g : 0;         /* gain_from's own floor */
}

double kf_gain_bound(const kf_kb *kb, const double *post, const kf_gain_pre *pre,
                     long double logpe, const double *pn, long double lpn)
{
    double pneg = answer_no(logpe, lpn), ppos = 1 - pneg;
    if (ppos <= 1e-12 || pneg <= 1e-12)
        return 0;
    return gain_bound_v(kb->n_causes, post, pn, pre, pneg, ppos);
}

double kf_gain_exact(const kf_kb *kb, const double *post, const double *hpost, long double logpe,
                     const double *pn, long double lpn)
{
    return gain_from(kb, post, hpost, logpe, pn, lpn);
}

/* hbin(|a - b|) bounds |hbin(a) - hbin(b)| (concave and symmetric: the
 * largest change over a distance d is from 0 to d), 1 beyond 1/2. */
static double hmod(double d)
{
    return d >= 0.5 ? 1 : hbin(d);
}

/* gain_err's three sums over the causes an answer can move (s[0], s[1],
 * s[2]) and how many there are: a cause with a closed form on both sides
 * and the same posterior adds no term.  Four causes at a time, each lane
 * the scalar loop's operations. */
Q_CLONES static int gain_err_sums(int nc, const double *post, const double *blo,
                                  const double *bhi, const double *pn, const double *clo,
                                  const double *chi, double pneg, double ppos, double dn,
                                  double *s)
{
    double sb = 0, sp = 0, sq = 0, den = ppos - dn;
    int n = 0, c = 0;
    q_v4 sbv = Q_SPLAT(0.0), spv = Q_SPLAT(0.0), sqv = Q_SPLAT(0.0);
    q_v4 pnv = Q_SPLAT(pneg), ppv = Q_SPLAT(ppos), dnv = Q_SPLAT(dn), denv = Q_SPLAT(den);
    q_i4 nv = { 0, 0, 0, 0 };
    for (; c + 4 <= nc; c += 4) {
        q_v4 b = Q_LD(post + c), x = Q_LD(pn + c);
        q_v4 db = Q_LD(bhi + c) - Q_LD(blo + c), dp = Q_LD(chi + c) - Q_LD(clo + c);
        q_i4 term = ~((db == Q_SPLAT(0.0)) & (dp == Q_SPLAT(0.0)) & (x == b));
        if (!Q_ANY(term))
            continue;
        q_v4 ppr = (b - pnv * x) / ppv, pp = Q_CLAMP01(ppr);
        sbv += Q_KEEP(db, term);
        spv += Q_KEEP(dp, term);
        sqv += Q_KEEP((db + dnv * (x + dp) + pnv * dp + pp * dnv) / denv, term);
        nv -= term;
    }
    for (; c < nc; c++) {
        double db = bhi[c] - blo[c], dp = chi[c] - clo[c];
        if (db == 0 && dp == 0 && pn[c] == post[c])
            continue;
        double pp = (post[c] - pneg * pn[c]) / ppos;
        pp = pp < 0 ? 0 : pp > 1 ? 1 : pp;
        sb += db;
        sp += dp;
        sq += (db + dn * (pn[c] + dp) + pneg * dp + pp * dn) / den;
        n++;
    }
    s[0] = sb + Q_SUM(sbv);
    s[1] = sp + Q_SUM(spv);
    s[2] = sq + Q_SUM(sqv);
    return n + (int)(nv[0] + nv[1] + nv[2] + nv[3]);
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
    double s[3];
    int n = gain_err_sums(kb->n_causes, post, blo, bhi, pn, clo, chi, pneg, ppos, dn, s);
    double sb = s[0], sp = s[1], sq = s[2];
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

static bool in_screen(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
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
    double *ivb = NULL, *ub = NULL, zerr = INFINITY;
    unsigned char *stage = NULL;
    kf_gain_pre *pre = NULL;
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
    pre = kf_malloc(((size_t)kb->n_causes + 1) * sizeof *pre);
    if (!pre) {
        err = KF_ENOMEM;
        goto out;
    }
    kf_gain_prepare(kb, base, pre);
    /* Every candidate has an upper bound on its gain, ub[t], made exact
     * step by step only where it could be among the `max` best: the best
     * bound is taken each time (ties to the lower index, as the candidates
     * come in finding order); when its posterior is not certified it is
     * computed on its own (stage 0), when its gain is the fast sum it is
     * computed by gain_from (stage 1), and when it is exact (stage 2) that
     * candidate is next; before the fast sum, its bound is kf_gain_bound's
     * (stage 4 when certified, 5 when not), so most candidates never get
     * the fast sum either.  So the questions and gains are the ones computing
     * every candidate's gain exactly would give: the largest gains, ties
     * to the lower finding id, none at or below KF_MIN_GAIN.
     * Bounded (the shared run's intervals): an uncertified posterior's
     * gain carries gain_err's bound, and a candidate is computed on its own
     * only when that bound lets it be among the best.  Otherwise every
     * posterior the run did not certify is computed on its own first
     * (its bound is infinite), unless `fast` asks for the run's answers. */
    ub = kf_malloc(3 * ((size_t)nq + 1) * sizeof *ub);
    stage = kf_malloc(((size_t)nq + 1) * sizeof *stage);
    if (!ub || !stage) {
        err = KF_ENOMEM;
        goto out;
    }
    double *val = ub + nq + 1, *gerrv = val + nq + 1;
    for (int t = 0; t < nq; t++) {
        double *pn = cpost + (size_t)t * (size_t)kb->n_causes;
        double e = 0, gerr = 0;
        if (bounded && !cok[t])
            gerr = gain_err(kb, base, iv.lo, iv.hi, zerr, logpe, pn,
                            iv.clo + (size_t)t * (size_t)kb->n_causes,
                            iv.chi + (size_t)t * (size_t)kb->n_causes, iv.czerr[t], clogpe[t]);
        gerrv[t] = gerr;
        stage[t] = (cok[t] || fast) ? 1 : 0;
        if (!bounded && stage[t] == 0) {
            ub[t] = INFINITY;
            continue;
        }
        if (!fast) {
            /* the cheap bound first (stage 4, certified; 5, within gerr of
             * the exact posteriors' gain): kf_gain_fast only where it
             * could be among the best */
            ub[t] = kf_gain_bound(kb, base, pre, logpe, pn, clogpe[t]) + gerr;
            stage[t] = stage[t] == 1 ? 4 : 5;
            continue;
        }
        val[t] = kf_gain_fast(kb, base, pre, logpe, pn, clogpe[t], &e);
        ub[t] = val[t] + e + gerr;
    }
    while (kept < max) {
        int best = -1;
        double bu = 0;
        for (int t = 0; t < nq; t++)
            if (stage[t] != 3 && (best < 0 || ub[t] > bu)) {
                best = t;
                bu = ub[t];
            }
        if (best < 0 || bu <= KF_MIN_GAIN)
            break;
        double *pn = cpost + (size_t)best * (size_t)kb->n_causes;
        if (stage[best] == 0) {
            err = posterior_without(kb, &ev, cand[best], negbuf, pn, fast, &clogpe[best]);
            if (err)
                goto out;
            double e;
            val[best] = kf_gain_fast(kb, base, pre, logpe, pn, clogpe[best], &e);
            ub[best] = val[best] + e;
            stage[best] = 1;
            continue;
        }
        if (stage[best] == 4 || stage[best] == 5) {
            double e;
            val[best] = kf_gain_fast(kb, base, pre, logpe, pn, clogpe[best], &e);
            ub[best] = val[best] + e + gerrv[best];
            stage[best] = stage[best] == 4 ? 1 : 0;
            continue;
        }
        if (stage[best] == 1) {
            val[best] = ub[best] = gain_from(kb, base, hbase, logpe, pn, clogpe[best]);
            stage[best] = 2;
            continue;
        }
        q.kind = KF_Q_FINDING;
        q.finding = cand[best];
        q.gain = val[best];
        out[kept++] = q;
        stage[best] = 3;               /* taken */
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
    kf_free(ub);
    kf_free(stage);
    kf_free(pre);
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


/* ---------- the checklists: what matters most first, one line a sign ---------- */

/* Ranks of a checklist item, most urgent first.  A checklist is read by a
 * person in pain, often on a phone: it shows what would make this person's
 * own picture an emergency first, then the emergencies everyone is asked
 * about, then the rest; and a warning sign said two ways is one line. */
enum {
    RANK_COMPLETES = 0,  /* a warning sign (kind redflag) whose yes completes an
                            emergency rule half met by what was said */
    RANK_EVERYONE,       /* an emergency everyone is asked about (a rule's screen = yes) */
    RANK_COMPLETES_TOO,  /* a symptom, risk or history whose yes completes one */
    RANK_FITS,           /* a warning sign alone, of a mimic linked to what was said */
    RANK_SOON,           /* completes a doctor_soon rule */
    RANK_SOON_SCREEN,    /* the doctor_soon screen */
    RANK_UNRELATED       /* a warning sign of a mimic nothing said points to */
};

static bool rule_has(const kf_redflag *r, int d)
{
    for (int k = 0; k < r->n_all; k++)
        if (r->all[k] == d)
            return true;
    for (int k = 0; k < r->n_any; k++)
        if (r->any[k] == d)
            return true;
    return false;
}

/* A "yes" to d alone would make r fire, given g (r does not fire yet). */
static bool completes(const kf_redflag *r, const kf_findings *g, int d)
{
    for (int k = 0; k < r->n_none; k++)
        if (r->none[k] == d || kf_findings_has(g, r->none[k]))
            return false;
    for (int k = 0; k < r->n_all; k++)
        if (r->all[k] != d && !kf_findings_has(g, r->all[k]))
            return false;
    bool any = r->n_any == 0;
    for (int k = 0; k < r->n_any && !any; k++)
        any = r->any[k] == d || kf_findings_has(g, r->any[k]);
    return any;
}

/* The rule's mimic is linked to something said (as the triage's screen),
 * or another rule of that mimic names something said (not an age band):
 * the picture points to it. */
static bool mimic_fits(const kf_kb *kb, const kf_redflag *r, const kf_findings *g)
{
    if (r->mimic < 0)
        return false;
    const kf_cause *c = &kb->causes[r->mimic];
    for (int l = 0; l < c->n_links; l++)
        if (kf_findings_has(g, kb->links[c->links[l]].finding))
            return true;
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *o = &kb->redflags[i];
        if (o->mimic != r->mimic)
            continue;
        for (int pass = 0; pass < 2; pass++) {
            const int *v = pass ? o->any : o->all;
            int n = pass ? o->n_any : o->n_all;
            for (int k = 0; k < n; k++)
                if (kf_findings_has(g, v[k]) &&
                    !(kb->findings[v[k]].kind == KF_FIND_BODY && !kb->findings[v[k]].question))
                    return true;
        }
    }
    return false;
}

/* The triage a "yes" to d alone would give by the rules that it completes
 * (KF_TRIAGE_SELF_CARE when none): the findings on one line must agree on it,
 * since a tick says yes to the line's first finding only. */
static int level_if_yes(const kf_kb *kb, const kf_findings *g, int d)
{
    int lv = KF_TRIAGE_SELF_CARE;
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if ((int)r->level > lv && rule_has(r, d) && completes(r, g, d))
            lv = (int)r->level;
    }
    return lv;
}

/* A finding known (present in g) that makes one emergency sign with d: of
 * the emergency rules a yes to d completes, the first finding of its `all`,
 * then of its `any`, that was said and is a symptom or a warning sign (not
 * a place, an age band or a habit); -1 when d is an emergency sign on its
 * own, or completes only with places, an age or a history. */
static int sign_with(const kf_kb *kb, const kf_findings *g, int d)
{
    for (int i = 0; i < kb->n_redflags; i++) {      /* a sign on its own */
        const kf_redflag *r = &kb->redflags[i];
        if (r->level >= KF_TRIAGE_EMERGENCY && r->n_all == 1 && r->all[0] == d && !r->n_any &&
            completes(r, g, d))
            return -1;
    }
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if (r->level < KF_TRIAGE_EMERGENCY || !rule_has(r, d) || kf_rule_fires(r, g) ||
            !completes(r, g, d))
            continue;
        for (int pass = 0; pass < 2; pass++) {
            const int *v = pass ? r->any : r->all;
            int n = pass ? r->n_any : r->n_all;
            for (int k = 0; k < n; k++) {
                int c = v[k];
                kf_finding_kind kd = kb->findings[c].kind;
                if (c != d && kf_findings_has(g, c) &&
                    (kd == KF_FIND_SYMPTOM || kd == KF_FIND_REDFLAG))
                    return c;
            }
        }
    }
    return -1;
}

static int item_rank(const kf_kb *kb, const kf_findings *g, int d)
{
    int best = RANK_UNRELATED;
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if (r->level < KF_TRIAGE_SOON || !rule_has(r, d) || kf_rule_fires(r, g))
            continue;
        bool comp = completes(r, g, d);
        /* the rule asks more than d itself: what was said is part of it */
        bool more = !(r->n_all == 1 && r->all[0] == d && r->n_any == 0) &&
                    !(r->n_all == 0 && r->n_any > 0);
        int rank;
        if (r->level >= KF_TRIAGE_EMERGENCY)
            rank = comp && more ? (kb->findings[d].kind == KF_FIND_REDFLAG ? RANK_COMPLETES
                                                                           : RANK_COMPLETES_TOO)
                 : r->screen ? RANK_EVERYONE
                 : comp && mimic_fits(kb, r, g) ? RANK_FITS : RANK_UNRELATED;
        else
            rank = comp && more ? RANK_SOON : r->screen ? RANK_SOON_SCREEN : RANK_UNRELATED;
        if (rank < best)
            best = rank;
    }
    return best;
}

/* The words of a label that carry its meaning: lower case, four letters or
 * more, a plain ending cut ("crushing" ~ "crush", "squeezing" ~ "squeez"),
 * the words every pain label has left out.  Returns the count (at most max). */
static int sense_words(const char *s, char w[][16], int max)
{
    static const char *const plain[] = { "pain", "with", "that", "from", "your", "more", "than",
                                         "over", "when", "have", "been", "does", "into", "there",
                                         "like", "very", "some", "this", "they", NULL };
    int n = 0;
    while (*s && n < max) {
        while (*s && !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z'))
            s++;
        char t[16];
        int k = 0;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
            if (k < 15)
                t[k++] = (char)(*s | 0x20);
            s++;
        }
        t[k] = '\0';
        if (k < 4)
            continue;
        static const char *const ends[] = { "ing", "ed", "es", "s", NULL };
        for (int e = 0; ends[e]; e++) {
            int el = (int)strlen(ends[e]);
            if (k - el >= 4 && !strcmp(t + k - el, ends[e])) {
                t[k - el] = '\0';
                break;
            }
        }
        bool skip = false;
        for (int p = 0; plain[p] && !skip; p++)
            skip = !strcmp(t, plain[p]);
        for (int j = 0; j < n && !skip; j++)
            skip = !strcmp(w[j], t);
        if (!skip)
            strcpy(w[n++], t);
    }
    return n;
}

/* Two findings are one warning sign said two ways: both are warning signs
 * (kind redflag) that a rule of the same mimic names in its `all`, and
 * their labels share two words of meaning ("a crushing, heavy or squeezing
 * chest pain" and "a crushing, squeezing or heavy pain in the upper back";
 * "pressure, squeezing or tightness in the chest").  A person ticks the one
 * line for either.  Returns the words shared (0: not the same sign). */
static int same_sign(const kf_kb *kb, int a, int b)
{
    if (kb->findings[a].kind != KF_FIND_REDFLAG || kb->findings[b].kind != KF_FIND_REDFLAG)
        return 0;
    bool mimic = false;
    for (int i = 0; i < kb->n_redflags && !mimic; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if (r->mimic < 0)
            continue;
        bool ha = false;
        for (int k = 0; k < r->n_all; k++)
            ha |= r->all[k] == a;
        if (!ha)
            continue;
        for (int j = 0; j < kb->n_redflags && !mimic; j++) {
            const kf_redflag *q = &kb->redflags[j];
            if (q->mimic != r->mimic)
                continue;
            for (int k = 0; k < q->n_all; k++)
                mimic |= q->all[k] == b;
        }
    }
    if (!mimic)
        return 0;
    char wa[24][16], wb[24][16];
    int na = sense_words(kb->findings[a].label, wa, 24), nb = sense_words(kb->findings[b].label, wb, 24);
    int shared = 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            shared += !strcmp(wa[i], wb[j]);
    return shared >= 2 ? shared : 0;
}

/* A rule that a yes to a alone fires keeps quiet when b is present. */
static bool quiets_for(const kf_kb *kb, int a, int b)
{
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if (!(r->n_all == 1 && r->all[0] == a && !r->n_any))
            continue;
        for (int k = 0; k < r->n_none; k++)
            if (r->none[k] == b)
                return true;
    }
    return false;
}

/* Orders `v` (n findings) most urgent first (rank, then the order given),
 * drops those ranked above `worst`, and lays them out as at most
 * KF_CHECK_LINES lines, a sign said two ways on one line (at most three
 * findings a line); what does not fit is left for a later checklist.
 * Fills q (SCREEN) and takes v; *n_lines 0 (q NONE, v freed) when nothing
 * is left.  g: what is known, with the derived findings.  Returns
 * KF_ENOMEM (v freed) when out of memory. */
static kf_err lay_out(const kf_kb *kb, const kf_findings *g, int *v, int n, int worst,
                      kf_question *q)
{
    int *rank = kf_malloc((size_t)(n + 1) * sizeof *rank);
    int *with = kf_malloc((size_t)(n + 1) * sizeof *with);
    if (!rank || !with) {
        kf_free(rank);
        kf_free(with);
        kf_free(v);
        return KF_ENOMEM;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        int r = item_rank(kb, g, v[i]);
        if (r > worst)
            continue;
        v[m] = v[i];
        rank[m++] = r;
    }
    for (int i = 1; i < m; i++)            /* insertion: stable */
        for (int j = i; j > 0 && rank[j] < rank[j - 1]; j--) {
            int t = rank[j]; rank[j] = rank[j - 1]; rank[j - 1] = t;
            t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
    /* Lines: each finding joins the first line whose sign it is, or opens
     * one while fewer than KF_CHECK_LINES are open; the rest wait. */
    int *out = kf_malloc((size_t)(m + 1) * sizeof *out);
    int *line = kf_malloc((size_t)(m + 1) * sizeof *line);
    if (!out || !line) {
        kf_free(out); kf_free(line); kf_free(rank); kf_free(with); kf_free(v);
        return KF_ENOMEM;
    }
    int lines = 0;
    int head[KF_CHECK_LINES], size[KF_CHECK_LINES];
    int *lv = rank;                 /* the ranks are used: now each one's level */
    for (int i = 0; i < m; i++)
        lv[i] = level_if_yes(kb, g, v[i]);
    for (int i = 0; i < m; i++) {
        line[i] = -1;
        int at = -1, most = 0;
        for (int l = 0; l < lines; l++)
            for (int j = head[l]; j < i && size[l] < 3; j++) {
                int sh = line[j] == l && lv[j] == lv[i] ? same_sign(kb, v[j], v[i]) : 0;
                if (sh > most) {     /* the line it shares most words with */
                    most = sh;
                    at = l;
                }
            }
        if (at < 0 && lines == KF_CHECK_LINES)
            continue;
        if (at < 0) {
            at = lines++;
            head[at] = i;
            size[at] = 0;
        }
        size[at]++;
        line[i] = at;
    }
    int *and = kf_malloc((size_t)(m + 1) * sizeof *and);
    if (!and) {
        kf_free(out); kf_free(line); kf_free(rank); kf_free(with); kf_free(v);
        return KF_ENOMEM;
    }
    /* Written line by line: a line's findings together, its first first,
     * unless a rule of the first keeps quiet for another one (its `none`:
     * the KB's "the stronger rule about the same thing"): that one leads,
     * so a tick reads as the stronger sign ("a crushing chest pain" before
     * "a crushing pain in the upper back"). */
    int w = 0;
    for (int l = 0; l < lines; l++) {
        int first = w;
        for (int i = 0; i < m; i++)
            if (line[i] == l) {
                out[w] = v[i];
                with[w] = w == first ? -1 : first;
                w++;
            }
        for (int j = first + 1; j < w; j++)
            if (quiets_for(kb, out[first], out[j])) {
                int t = out[first]; out[first] = out[j]; out[j] = t;
            }
        for (int j = first; j < w; j++)
            and[j] = sign_with(kb, g, out[j]);
    }
    kf_free(line);
    kf_free(rank);
    kf_free(v);
    if (!lines) {
        kf_free(out);
        kf_free(with);
        kf_free(and);
        return KF_OK;
    }
    q->kind = KF_Q_SCREEN;
    q->screen = out;
    q->n_screen = w;
    q->screen_with = with;
    q->screen_and = and;
    q->n_lines = lines;
    return KF_OK;
}

/* The emergency checklist still owed after a doctor_soon reading: every
 * finding whose "yes" alone would fire an emergency rule that has not fired
 * (its `all` met but for that one finding and its `any` met, or its `all`
 * met and that finding one of its `any`; no `none` present), that has a
 * question and nothing known of it (said, answered, even "not sure"), and
 * is not a place (where it hurts was said).  The rules are read on the
 * derived findings (age bands), like the triage.  Returns the count written
 * to out (at most max), or -1 when out of memory. */
static int emergency_owed(const kf_kb *kb, const kf_findings *f, int *out, int max)
{
    kf_findings g;
    if (kf_findings_copy(&g, f) != KF_OK)
        return -1;
    kf_triage_derive(kb, &g);
    if (g.oom) {
        kf_findings_free(&g);
        return -1;
    }
    int n = 0;
    for (int i = 0; i < kb->n_redflags && n < max; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if (r->level != KF_TRIAGE_EMERGENCY || kf_rule_fires(r, &g))
            continue;
        bool blocked = false;
        for (int k = 0; k < r->n_none; k++)
            blocked |= kf_findings_has(&g, r->none[k]);
        if (blocked)
            continue;
        int missing = 0, miss = -1;
        for (int k = 0; k < r->n_all; k++)
            if (!kf_findings_has(&g, r->all[k])) {
                missing++;
                miss = r->all[k];
            }
        bool any_ok = r->n_any == 0;
        for (int k = 0; k < r->n_any && !any_ok; k++)
            any_ok = kf_findings_has(&g, r->any[k]);
        int cand[2] = { -1, -1 };
        int nc = 0;
        if (missing == 1 && any_ok)
            cand[nc++] = miss;
        for (int k = 0; missing == 0 && !any_ok && k < r->n_any && n < max; k++) {
            int d = r->any[k];
            if (kb->findings[d].question && !has_fact(f, d) && !has_fact(&g, d) &&
                kb->findings[d].kind != KF_FIND_LOCATION && !in_screen(out, n, d))
                out[n++] = d;
        }
        for (int c = 0; c < nc && n < max; c++) {
            int d = cand[c];
            if (kb->findings[d].question && !has_fact(f, d) && !has_fact(&g, d) &&
                kb->findings[d].kind != KF_FIND_LOCATION && !in_screen(out, n, d))
                out[n++] = d;
        }
    }
    kf_findings_free(&g);
    return n;
}

/* What is known with the derived findings (age bands), as the triage reads
 * it; false when out of memory. */
static bool derived(const kf_kb *kb, const kf_findings *f, kf_findings *g)
{
    if (kf_findings_copy(g, f) != KF_OK)
        return false;
    kf_triage_derive(kb, g);
    if (g->oom) {
        kf_findings_free(g);
        return false;
    }
    return true;
}

kf_err kf_emergency_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q,
                             kf_question *out)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    *out = q;
    /* One checklist past the limit at most: a limit on questions never
     * leaves an emergency unasked, and the interview still ends. */
    if (asked > max_q)
        return KF_OK;
    int *owed = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *owed);
    if (!owed)
        return KF_ENOMEM;
    int n = emergency_owed(kb, f, owed, KF_OWED_MAX);
    kf_findings g;
    if (n < 0 || !derived(kb, f, &g)) {
        kf_free(owed);
        return KF_ENOMEM;
    }
    /* The signs that would make this person's own picture an emergency,
     * then everyone's emergencies, then the warning signs of a mimic that
     * what was said points to; a sign nothing said points to is not asked
     * of a person already sent to a doctor (the screen of a self-care
     * reading does not ask it either). */
    kf_err err = lay_out(kb, &g, owed, n, EMERGENCY_WORST, out);
    kf_findings_free(&g);
    return err;
}

kf_err kf_next_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q,
                        kf_question *out)
{
    kf_question q = { .kind = KF_Q_NONE, .finding = -1, .alt = -1 };
    *out = q;
    kf_triage level;
    kf_err lerr = kf_triage_level(kb, f, &level);
    if (lerr)
        return lerr;
    /* A warning sign ends the sharpening of the guess, but a doctor_soon
     * person may in fact be an emergency: the emergency items a "yes" would
     * fire, not yet asked, come first (kf_emergency_question), then stop. */
    if (level >= KF_TRIAGE_EMERGENCY)
        return KF_OK;
    if (level >= KF_TRIAGE_SOON)
        return kf_emergency_question(kb, f, asked, max_q, out);
    if (asked >= max_q)
        return KF_OK;
    if (!any_location(kb, f, false) && !any_location(kb, f, true)) {
        out->kind = KF_Q_WHERE;
        return KF_OK;
    }
    /* The red-flag screen: asked early, about what was said (the person's
     * own words, without the answers), until each of its findings has an
     * answer. */
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
    int keep = 0;
    for (int k = 0; k < ns; k++)
        if (!has_fact(f, screen[k]))
            screen[keep++] = screen[k];
    ns = keep;
    /* Asked until every item has an answer, KF_CHECK_LINES lines at a
     * time, the most urgent first (lay_out). */
    if (ns) {
        kf_findings g;
        if (!derived(kb, f, &g)) {
            kf_free(screen);
            return KF_ENOMEM;
        }
        kf_err err = lay_out(kb, &g, screen, ns, RANK_UNRELATED, out);
        kf_findings_free(&g);
        if (err || out->kind != KF_Q_NONE)
            return err;
    } else
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

bool kf_screen_on_line(const kf_question *q, int i, int j)
{
    if (j == i)
        return !q->screen_with || q->screen_with[i] < 0;
    return q->screen_with && q->screen_with[i] < 0 && q->screen_with[j] == i;
}

bool kf_screen_line(const kf_kb *kb, const kf_question *q, int i, kf_buf *out)
{
    out->len = 0;
    if (out->s)
        out->s[0] = '\0';
    if (i < 0 || i >= q->n_screen || !kf_screen_on_line(q, i, i))
        return false;
    for (int j = i; j < q->n_screen; j++)
        if (kf_screen_on_line(q, i, j)) {
            if (j > i)
                kf_buf_puts(out, "; or ");
            kf_buf_puts(out, kb->findings[q->screen[j]].label);
            if (q->screen_and && q->screen_and[j] >= 0) {
                kf_buf_puts(out, ", together with ");
                kf_buf_puts(out, kb->findings[q->screen_and[j]].label);
            }
        }
    return true;
}

void kf_question_free(kf_question *q)
{
    if (!q)
        return;
    kf_free(q->screen);
    kf_free(q->screen_with);
    kf_free(q->screen_and);
    q->screen = NULL;
    q->screen_with = NULL;
    q->screen_and = NULL;
    q->n_screen = 0;
    q->n_lines = 0;
}

