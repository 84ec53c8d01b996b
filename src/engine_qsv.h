/*
 * engine_qsv.h — Quickscore over a few present findings as whole vectors
 * (included by engine.c after engine_dp.h, whose vector loops it uses;
 * static functions only).
 *
 * The same sum as engine_qs.h,
 *   P(E) = sum_{S in P} (-1)^|S| (1-leak)^|S+N| prod_roots g_r(S+N),
 * but every quantity is a vector over all 2^np subsets S at once, each
 * entry computed afresh (no Gray walk, no updates to drift): Q_c(S) by
 * doubling over the bits (Q(S + bit) = Q(S) q), then the chains, the
 * factors, the terms, and each root's share and each muscle's slack share
 * summed against the terms.  In double, so a subset costs a few
 * instructions per root; up to KF_QSV_MAX present findings (2^np doubles
 * per root).
 *
 * Rounding: a term's relative error is at most K eps to first order, with
 * K counted for the run: np for each Q, np + 2 more per chain in a habit's
 * product, 3 for each factor, one per factor in the product and np for the
 * sign and leak; then 2^np + 4 for the plain sums and the share products.
 * The bound on every sum is absum x K eps, as in engine_qs.h; where it
 * cannot certify an answer the caller takes the long double walk, then the
 * sum without cancellation.
 *
 * Candidates (for the next question): candidate t is a negative added to
 * the evidence.  Its roots (the causes of cand[t] and their keepers) get
 * their own Q, chain and factor vectors; its terms are the walk's times
 * the ratio of its factors to the walk's; every other root's share and
 * slack share is the walk's own vector.
 */
/* Above 5 present findings the sum cancels too much for double (absum /
 * P(E) beyond ~1e5 on the article cases) and the long double walk answers. */
#define KF_QSV_MAX 5

typedef struct {
    int nc, np, N;
    double *mem;
    double **Qv, **Piv, **gv;   /* per cause: vectors, or NULL (not involved) */
    double **shv, **slv;        /* per cause: share (active), slack share (slackacc) */
    double *T, *sgn;            /* terms; (-1)^|S| (1-leak)^|S| */
    bool *active, *slackacc, *habit_act;
    int *kin_first, *kin;       /* keepers of each muscle */
    int *kin_e;
    double *qm;                 /* nc x nb: 1 - p of cause c's link to bit b */
    int nb;
    double *fnum, *fd, *fslack; /* qsv_finish's scratch (nc each); fslack: 1 for a
                                 * muscle whose posterior is 1 - its slack share */
} qsv_w;

/* The elementwise loops below run four lanes at a time (engine_dp.h's
 * dp_v4, clones for AVX): each lane does what the scalar loop did,
 * operation for operation and in the same order (no fused multiply-add),
 * so every vector is the same to the bit as the scalar code's; only the
 * instructions are fewer (a slack share's update was 14% of a question's
 * search, one element at a time).  The sums (qsv_dot, Z) keep their own
 * order. */

/* v[s] *= x */
DP_CLONES static void qsv_scale_to(double *restrict v, const double *restrict u, double x,
                                   size_t N)
{
    dp_v4 xv = { x, x, x, x };
    size_t s = 0;
    for (; s + 4 <= N; s += 4)
        dp_st(v + s, dp_ld(u + s) * xv);
    for (; s < N; s++)
        v[s] = u[s] * x;
}

/* Pi[s] *= oms + sj Qm[s]; first: Pi[s] = oms + sj Qm[s] (the same
 * number as 1 times it) */
DP_CLONES static void qsv_chain(double *restrict Pi, const double *restrict Qm, double oms,
                                double sj, bool first, size_t N)
{
    dp_v4 ov = { oms, oms, oms, oms }, sv = { sj, sj, sj, sj };
    size_t s = 0;
    if (first) {
        for (; s + 4 <= N; s += 4)
            dp_st(Pi + s, ov + sv * dp_ld(Qm + s));
        for (; s < N; s++)
            Pi[s] = oms + sj * Qm[s];
        return;
    }
    for (; s + 4 <= N; s += 4)
        dp_st(Pi + s, dp_ld(Pi + s) * (ov + sv * dp_ld(Qm + s)));
    for (; s < N; s++)
        Pi[s] *= oms + sj * Qm[s];
}

/* g[s] = omp + pi Q[s] (Pi[s], when Pi) */
DP_CLONES static void qsv_g(double *restrict g, const double *restrict Q,
                            const double *restrict Pi, double omp, double pi, size_t N)
{
    dp_v4 ov = { omp, omp, omp, omp }, pv = { pi, pi, pi, pi };
    size_t s = 0;
    if (Pi) {
        for (; s + 4 <= N; s += 4)
            dp_st(g + s, ov + pv * dp_ld(Q + s) * dp_ld(Pi + s));
        for (; s < N; s++)
            g[s] = omp + pi * Q[s] * Pi[s];
    } else {
        for (; s + 4 <= N; s += 4)
            dp_st(g + s, ov + pv * dp_ld(Q + s));
        for (; s < N; s++)
            g[s] = omp + pi * Q[s];
    }
}

/* out[s] = 1 - omp / g[s] (sub: 1) or omp / g[s] (sub: 0) */
DP_CLONES static void qsv_ratio(double *restrict out, const double *restrict g, double omp,
                                bool sub, size_t N)
{
    dp_v4 ov = { omp, omp, omp, omp }, one = { 1, 1, 1, 1 };
    size_t s = 0;
    if (sub) {
        for (; s + 4 <= N; s += 4)
            dp_st(out + s, one - ov / dp_ld(g + s));
        for (; s < N; s++)
            out[s] = 1 - omp / g[s];
    } else {
        for (; s + 4 <= N; s += 4)
            dp_st(out + s, ov / dp_ld(g + s));
        for (; s < N; s++)
            out[s] = omp / g[s];
    }
}

/* out[s] *= (omph + pih Qh[s] (Pih[s] / (oms + sj Qm[s])) oms) / gh[s]:
 * habit h's factor with its chain to m off, over its factor */
DP_CLONES static void qsv_slack_mul(double *restrict out, const double *restrict Qm,
                                    const double *restrict Qh, const double *restrict Pih,
                                    const double *restrict gh, double oms, double sj,
                                    double omph, double pih, size_t N)
{
    dp_v4 osv = { oms, oms, oms, oms }, sjv = { sj, sj, sj, sj };
    dp_v4 ohv = { omph, omph, omph, omph }, phv = { pih, pih, pih, pih };
    size_t s = 0;
    for (; s + 4 <= N; s += 4) {
        dp_v4 pe = osv + sjv * dp_ld(Qm + s);
        dp_st(out + s, dp_ld(out + s) *
                           ((ohv + phv * dp_ld(Qh + s) * (dp_ld(Pih + s) / pe) * osv) /
                            dp_ld(gh + s)));
    }
    for (; s < N; s++) {
        double pe = oms + sj * Qm[s];
        out[s] *= (omph + pih * Qh[s] * (Pih[s] / pe) * oms) / gh[s];
    }
}

/* T[s] *= g[s] (den: NULL) or T[s] *= g[s] / den[s] */
DP_CLONES static void qsv_mul(double *restrict T, const double *restrict g,
                              const double *restrict den, size_t N)
{
    size_t s = 0;
    if (den) {
        for (; s + 4 <= N; s += 4)
            dp_st(T + s, dp_ld(T + s) * (dp_ld(g + s) / dp_ld(den + s)));
        for (; s < N; s++)
            T[s] *= g[s] / den[s];
    } else {
        for (; s + 4 <= N; s += 4)
            dp_st(T + s, dp_ld(T + s) * dp_ld(g + s));
        for (; s < N; s++)
            T[s] *= g[s];
    }
}

/* the vector of cause c's Q: qneg times its positives' q, by doubling */
static void qsv_Q(const qsv_w *w, int c, double qneg, double *v)
{
    v[0] = qneg;
    for (int i = 0; i < w->np; i++) {
        size_t h = (size_t)1 << i;
        double q = w->qm[(size_t)c * (size_t)w->nb + (size_t)i];
        if (q == 1)
            dp_copy(v + h, v, h);
        else
            qsv_scale_to(v + h, v, q, h);
    }
}

/* Pi (habit h's chains) and g of cause c from the Q vectors in w */
static void qsv_factor(const kf_kb *kb, const qsv_w *w, int c, double *Pi, double *g)
{
    const kf_cause *k = &kb->causes[c];
    size_t N = (size_t)w->N;
    double omp = 1 - k->prior, pi = k->prior;
    const double *Q = w->Qv[c];
    if (k->n_keeps) {
        for (int j = 0; j < k->n_keeps; j++) {
            double sj = k->keeps_p[j], oms = 1 - sj;
            qsv_chain(Pi, w->Qv[k->keeps[j]], oms, sj, j == 0, N);
        }
        qsv_g(g, Q, Pi, omp, pi, N);
    } else
        qsv_g(g, Q, NULL, omp, pi, N);
}

/* share of the terms with cause c present: 1 - (1 - prior) / g */
static void qsv_share(const kf_kb *kb, const qsv_w *w, int c, double *out)
{
    qsv_ratio(out, w->gv[c], 1 - kb->causes[c].prior, true, (size_t)w->N);
}

/* slack share of muscle m: its own source off and every chain to it off */
static void qsv_slack(const kf_kb *kb, const qsv_w *w, int m, double *out)
{
    size_t N = (size_t)w->N;
    const double *Qm = w->Qv[m];
    qsv_ratio(out, w->gv[m], 1 - kb->causes[m].prior, false, N);
    for (int k = w->kin_first[m]; k < w->kin_first[m + 1]; k++) {
        int h = w->kin[k], j = w->kin_e[k];
        const kf_cause *hc = &kb->causes[h];
        double sj = hc->keeps_p[j], oms = 1 - sj, omph = 1 - hc->prior, pih = hc->prior;
        qsv_slack_mul(out, Qm, w->Qv[h], w->Piv[h], w->gv[h], oms, sj, omph, pih, N);
    }
}

static double qsv_dot(const double *a, const double *b, int N)
{
    return dp_dot(a, b, (size_t)N);
}

/* *dst[i] = dp_dot(T, rows[i], N) for i < n, four rows at a time (T read
 * once for four): each row's lanes and sums in dp_dot's order, so every
 * number is dp_dot's to the bit. */
DP_CLONES static void qsv_dots(const double *restrict T, const double *const *rows,
                               double *const *dst, int n, size_t N)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        const double *r0 = rows[i], *r1 = rows[i + 1], *r2 = rows[i + 2], *r3 = rows[i + 3];
        dp_v4 s0 = { 0, 0, 0, 0 }, s1 = s0, s2 = s0, s3 = s0;
        size_t x = 0;
        for (; x + 4 <= N; x += 4) {
            dp_v4 t = dp_ld(T + x);
            s0 += t * dp_ld(r0 + x);
            s1 += t * dp_ld(r1 + x);
            s2 += t * dp_ld(r2 + x);
            s3 += t * dp_ld(r3 + x);
        }
        double d0 = (s0[0] + s0[1]) + (s0[2] + s0[3]), d1 = (s1[0] + s1[1]) + (s1[2] + s1[3]);
        double d2 = (s2[0] + s2[1]) + (s2[2] + s2[3]), d3 = (s3[0] + s3[1]) + (s3[2] + s3[3]);
        for (; x < N; x++) {
            d0 += T[x] * r0[x];
            d1 += T[x] * r1[x];
            d2 += T[x] * r2[x];
            d3 += T[x] * r3[x];
        }
        *dst[i] = d0;
        *dst[i + 1] = d1;
        *dst[i + 2] = d2;
        *dst[i + 3] = d3;
    }
    for (; i < n; i++)
        *dst[i] = dp_dot(T, rows[i], N);
}

typedef long long qsv_m4 __attribute__((vector_size(32), aligned(8), may_alias));

/* a where m is set, else b (m from a comparison: all ones or all zeros);
 * x < 0 ? 0 : x > 1 ? 1 : x as the scalar code has it (NaN stays).  Macros:
 * a function returning a 32-byte vector would change the ABI outside the
 * AVX clones. */
#define qsv_sel(m, a, b) ((dp_v4)(((m) & (qsv_m4)(a)) | (~(m) & (qsv_m4)(b))))
#define qsv_clamp01(x) qsv_sel((x) < zero, zero, qsv_sel((x) > one, one, (x)))

/* qsv_finish's divisions for causes [0, n - n % 4), from each one's
 * numerator, its rounding allowance and whether it is a slack share
 * (Z - delta > 0); returns the first cause left to the scalar loop. */
DP_CLONES static int qsv_finish_v(const double *restrict num, const double *restrict d,
                                  const double *restrict slack, double Z, double delta,
                                  double *restrict post, double *restrict lo,
                                  double *restrict hi, size_t n)
{
    const dp_v4 zv = { Z, Z, Z, Z }, half = { 0.5, 0.5, 0.5, 0.5 }, one = { 1, 1, 1, 1 };
    const dp_v4 zero = { 0, 0, 0, 0 };
    double zp = Z + delta, zm = Z - delta;
    const dp_v4 zpv = { zp, zp, zp, zp }, zmv = { zm, zm, zm, zm };
    size_t c = 0;
    for (; c + 4 <= n; c += 4) {
        dp_v4 nv = dp_ld(num + c), dv = dp_ld(d + c);
        dp_v4 p = nv / zv, l = (nv - dv) / zpv, h = (nv + dv) / zmv;
        qsv_m4 f = dp_ld(slack + c) > half;
        dp_v4 pf = qsv_sel(f, one - p, p), lf = qsv_sel(f, one - h, l);
        dp_v4 hf = qsv_sel(f, one - l, h);
        p = qsv_clamp01(pf);
        l = qsv_clamp01(lf);
        h = qsv_clamp01(hf);
        dp_st(post + c, p);
        dp_st(lo + c, qsv_sel(l < p, l, p));
        dp_st(hi + c, qsv_sel(h > p, h, p));
    }
    return (int)c;
}

/* A cause's numerator after the walk, and its rounding allowance (*d is
 * left as it is, or set to 0 where the numerator is a factor times Z, with
 * no sum of its own): a slack cause's accumulated share or its own factor,
 * an active cause's sum, an inactive cause's constant factor.  qsv_finish
 * and qsl_finish (engine_qsl.h) both read the walk's sums this way. */
static inline double qsv_numer(const qsv_w *w, int c, const double *on, const double *off,
                               const double *cf, const double *cslack, double Z, double *d)
{
    if (w->kin_first[c] < w->kin_first[c + 1]) {
        if (w->slackacc[c])
            return off[c];
        *d = 0;
        return cslack[c] * Z;
    }
    if (w->active[c])
        return on[c];
    *d = 0;
    return cf[c] * Z;
}

/* Cause c's posterior p in [l, h], or its complement for a slack cause
 * (whose sums are of its absence), clamped to [0, 1]; lo and hi may be
 * NULL. */
static inline void qsv_put(double p, double l, double h, bool slack, int c, double *post,
                           double *lo, double *hi)
{
    if (slack) {
        double t = 1 - p, tl = 1 - h, th = 1 - l;
        p = t;
        l = tl;
        h = th;
    }
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    l = l < 0 ? 0 : l > 1 ? 1 : l;
    h = h < 0 ? 0 : h > 1 ? 1 : h;
    post[c] = p;
    if (lo)
        lo[c] = l < p ? l : p;
    if (hi)
        hi[c] = h > p ? h : p;
}

/* From the sums: every cause's posterior, its interval, log P(E). */
static bool qsv_finish(const kf_kb *kb, const qsv_w *w, double Z, double absum, double K,
                       const double *on, const double *off, const double *cf,
                       const double *cslack, long double logconst, double *post, double *lo,
                       double *hi, long double *logpe, double *zerr)
{
    int nc = w->nc;
    double delta = absum * K * DBL_EPSILON;
    if (zerr)
        *zerr = Z > delta ? delta / Z * (1 + 1e-12) : INFINITY;
    if (!(Z > delta)) {
        for (int c = 0; c < nc; c++) {
            post[c] = kb->causes[c].prior;
            if (lo)
                lo[c] = 0;
            if (hi)
                hi[c] = 1;
        }
        *logpe = Z > 0 ? logl((long double)Z) + logconst : -INFINITY;
        return false;
    }
    *logpe = logl((long double)Z) + logconst;
    int c0 = 0;
    if (Z - delta > 0 && lo && hi && w->fnum) {
        /* the numerators first, then the divisions four causes at a time
         * (qsv_finish_v: the loop below, operation for operation) */
        for (int c = 0; c < nc; c++) {
            double d = delta;
            w->fnum[c] = qsv_numer(w, c, on, off, cf, cslack, Z, &d);
            w->fd[c] = d;
        }
        c0 = qsv_finish_v(w->fnum, w->fd, w->fslack, Z, delta, post, lo, hi, (size_t)nc);
    }
    for (int c = c0; c < nc; c++) {
        bool slack = w->kin_first[c] < w->kin_first[c + 1];
        double d = delta;
        double num = qsv_numer(w, c, on, off, cf, cslack, Z, &d);
        double p = num / Z;
        double l = Z - delta > 0 ? (num - d) / (Z + delta) : 0;
        double h = Z - delta > 0 ? (num + d) / (Z - delta) : 1;
        qsv_put(p, l, h, slack, c, post, lo, hi);
    }
    return true;
}

/* As engine_qs.h's quickscore, for np <= KF_QSV_MAX.  lo/hi (and clo/chi)
 * are required here: the caller tests them. */
static kf_err qsv_quickscore(const kf_kb *kb, const int *pos, int np, const int *neg, int nn,
                             const int *cand, int nq, double *post, double *lo, double *hi,
                             long double *logpe, double *cpost, double *clo, double *chi,
                             long double *clogpe, double *zerr, double *czerr)
{
    qsv_w w;
    memset(&w, 0, sizeof w);
    int nc = kb->n_causes, nb = np + nq;
    size_t N = (size_t)1 << np;
    w.nc = nc;
    w.np = np;
    w.N = (int)N;
    w.nb = nb;
    int nedges = 0;
    for (int c = 0; c < nc; c++)
        nedges += kb->causes[c].n_keeps;
    /* vectors: per cause Q, Pi, g, share, slack (5 nc), T, sgn, the
     * candidate's own Q/Pi/g/share and terms (room for nc roots: 4 nc + 2),
     * scratch 2 */
    size_t nvec = 10 * (size_t)nc + 8;
    double *mem = kf_malloc((nvec * N + (size_t)nc * (size_t)(nb + 1) + 11 * (size_t)nc + 8) *
                            sizeof *mem);
    double ***ptrs = kf_malloc((10 * (size_t)nc + 4) * sizeof *ptrs);
    int *ints = kf_malloc((5 * (size_t)nc + 2 * (size_t)nedges + 8) * sizeof *ints);
    bool *flags = kf_calloc(5 * (size_t)nc + 5, 1);
    /* a candidate's dots: a row and where its sum goes, per active cause
     * and slack-accumulated muscle */
    const double **drow = kf_malloc((2 * (size_t)nc + 2) * sizeof *drow);
    double **ddst = kf_malloc((2 * (size_t)nc + 2) * sizeof *ddst);
    if (!mem || !ptrs || !ints || !flags || !drow || !ddst) {
        kf_free(mem);
        kf_free(ptrs);
        kf_free(ints);
        kf_free(flags);
        kf_free(drow);
        kf_free(ddst);
        return KF_ENOMEM;
    }
    double **P = (double **)ptrs;
    /* the per-cause vectors start NULL (not involved); the save areas
     * after them are written before they are read (a calloc of all ten
     * was ~8k instructions under callgrind: rep stosb, one a byte) */
    eng_zero(P, 5 * (size_t)nc * sizeof *P);
    w.Qv = P;
    w.Piv = P + nc;
    w.gv = P + 2 * nc;
    w.shv = P + 3 * nc;
    w.slv = P + 4 * nc;
    double **svQ = P + 5 * nc, **svPi = P + 6 * nc, **svg = P + 7 * nc, **svsh = P + 8 * nc;
    w.active = flags;
    w.slackacc = flags + nc + 1;
    bool *inv = flags + 2 * (nc + 1);        /* has vectors (Q, Pi, g) */
    w.kin_first = ints;
    w.kin = ints + nc + 1;
    w.kin_e = w.kin + nedges;
    int *act = w.kin_e + nedges, nact = 0;
    int *sl = act + nc, nsl = 0;
    (void)sl;
    double *vm = mem;                        /* the vectors */
    double *qm = mem + nvec * N;             /* nc x (nb+1) */
    double *qneg = qm + (size_t)nc * (size_t)(nb + 1);
    double *on = qneg + nc, *off = on + nc, *cf = off + nc, *cslack = cf + nc;
    double *g0 = cslack + nc;                /* factor of a cause at S = {} */
    /* after g0: the candidates' on and off (2 nc), then qsv_finish's */
    w.fnum = g0 + 3 * (size_t)nc;
    w.fd = w.fnum + nc;
    w.fslack = w.fd + nc;
    w.qm = qm;
    w.nb = nb + 1;                           /* row stride */
    for (size_t i = 0; i < (size_t)nc * (size_t)(nb + 1); i++)
        qm[i] = 1;
    for (int c = 0; c < nc; c++)
        qneg[c] = 1;
    for (int i = 0; i < nn; i++)
        for (int k = kb->flink_first[neg[i]]; k < kb->flink_first[neg[i] + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            qneg[ln->cause] *= 1 - ln->p;
        }
    /* keepers of each muscle */
    for (int c = 0; c <= nc; c++)
        w.kin_first[c] = 0;
    for (int h = 0; h < nc; h++)
        for (int j = 0; j < kb->causes[h].n_keeps; j++)
            w.kin_first[kb->causes[h].keeps[j] + 1]++;
    for (int m = 0; m < nc; m++)
        w.kin_first[m + 1] += w.kin_first[m];
    for (int m = 0; m < nc; m++)
        w.fslack[m] = w.kin_first[m] < w.kin_first[m + 1] ? 1 : 0;
    {
        int *fill = act;
        for (int m = 0; m < nc; m++)
            fill[m] = w.kin_first[m];
        for (int h = 0; h < nc; h++)
            for (int j = 0; j < kb->causes[h].n_keeps; j++) {
                int m = kb->causes[h].keeps[j], at = fill[m]++;
                w.kin[at] = h;
                w.kin_e[at] = j;
            }
    }
    /* bits: the positives, then the candidates; active: linked to a bit, or
     * a keeper of a cause linked to one */
    for (int b = 0; b < nb; b++) {
        int fd = b < np ? pos[b] : cand[b - np];
        for (int k = kb->flink_first[fd]; k < kb->flink_first[fd + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            qm[(size_t)ln->cause * (size_t)(nb + 1) + (size_t)b] = 1 - ln->p;
            w.active[ln->cause] = true;
            for (int e = w.kin_first[ln->cause]; e < w.kin_first[ln->cause + 1]; e++)
                w.active[w.kin[e]] = true;
        }
    }
    /* with vectors: the active roots, the muscles their chains keep, and
     * the slack-accumulated muscles (themselves or a keeper active) with
     * their keepers */
    for (int c = 0; c < nc; c++)
        if (w.active[c]) {
            inv[c] = true;
            for (int j = 0; j < kb->causes[c].n_keeps; j++)
                inv[kb->causes[c].keeps[j]] = true;
        }
    for (int m = 0; m < nc; m++) {
        if (w.kin_first[m] == w.kin_first[m + 1])
            continue;
        bool a = w.active[m];
        for (int e = w.kin_first[m]; e < w.kin_first[m + 1]; e++)
            a |= w.active[w.kin[e]];
        w.slackacc[m] = a;
        if (a) {
            nsl++;
            inv[m] = true;
            for (int e = w.kin_first[m]; e < w.kin_first[m + 1]; e++) {
                int h = w.kin[e];
                inv[h] = true;
                for (int j = 0; j < kb->causes[h].n_keeps; j++)
                    inv[kb->causes[h].keeps[j]] = true;
            }
        }
    }
    /* the vectors of the involved causes: Q first (Pi reads kept muscles') */
    size_t at = 0;
    for (int c = 0; c < nc; c++)
        if (inv[c]) {
            w.Qv[c] = vm + at++ * N;
            w.Piv[c] = vm + at++ * N;
            w.gv[c] = vm + at++ * N;
            qsv_Q(&w, c, qneg[c], w.Qv[c]);
        }
    for (int c = 0; c < nc; c++)
        if (inv[c])
            qsv_factor(kb, &w, c, w.Piv[c], w.gv[c]);
    /* factors at S = {} of every cause (closed forms, constants) */
    for (int c = 0; c < nc; c++) {
        const kf_cause *k = &kb->causes[c];
        if (inv[c]) {
            g0[c] = w.gv[c][0];
            continue;
        }
        double chain = 1;
        for (int j = 0; j < k->n_keeps; j++)
            chain *= (1 - k->keeps_p[j]) + k->keeps_p[j] * qneg[k->keeps[j]];
        g0[c] = (1 - k->prior) + k->prior * qneg[c] * chain;
    }
    double K = (double)np + 2 * (double)N + 8;   /* sign and leak, sums, shares */
    /* a slack share's own roundings: its factor, and per chain to it the
     * chain's factors (as the habit's) and 8 more */
    double Ksl = 0;
    for (int m = 0; m < nc; m++) {
        if (!w.slackacc[m])
            continue;
        double k = 2;
        for (int e = w.kin_first[m]; e < w.kin_first[m + 1]; e++)
            k += 8 + 2 * np + (double)(np + 2) * kb->causes[w.kin[e]].n_keeps;
        if (k > Ksl)
            Ksl = k;
    }
    K += Ksl;
    long double logconst = (long double)nn * log1pl(-(long double)kb->leak);
    double *T = vm + at++ * N, *sgn = vm + at++ * N;
    sgn[0] = 1;
    double ml = -(1 - kb->leak);
    for (int i = 0; i < np; i++) {
        size_t h = (size_t)1 << i;
        for (size_t s = 0; s < h; s++)
            sgn[s + h] = sgn[s] * ml;
    }
    memcpy(T, sgn, N * sizeof *T);
    for (int c = 0; c < nc; c++) {
        if (!w.active[c]) {
            logconst += logl((long double)g0[c]);
            continue;
        }
        act[nact++] = c;
        qsv_mul(T, w.gv[c], NULL, N);
        K += 4 + np + (double)(np + 2) * kb->causes[c].n_keeps;
    }
    double Z = 0, absum = 0;
    for (size_t s = 0; s < N; s++) {
        Z += T[s];
        absum += fabs(T[s]);
    }
    for (int a = 0; a < nact; a++) {
        int c = act[a];
        w.shv[c] = vm + at++ * N;
        qsv_share(kb, &w, c, w.shv[c]);
        on[c] = qsv_dot(T, w.shv[c], (int)N);
    }
    for (int m = 0; m < nc; m++) {
        if (!w.slackacc[m])
            continue;
        w.slv[m] = vm + at++ * N;
        qsv_slack(kb, &w, m, w.slv[m]);
        off[m] = qsv_dot(T, w.slv[m], (int)N);
    }
    /* closed forms of the causes the sums do not follow */
    for (int c = 0; c < nc; c++) {
        cf[c] = 1 - (1 - kb->causes[c].prior) / g0[c];
        cslack[c] = 0;
        if (w.kin_first[c] < w.kin_first[c + 1] && !w.slackacc[c]) {
            /* nothing in it varies: its factors at S = {} */
            double r = (1 - kb->causes[c].prior) / g0[c];
            for (int e = w.kin_first[c]; e < w.kin_first[c + 1]; e++) {
                int h = w.kin[e], j = w.kin_e[e];
                const kf_cause *hc = &kb->causes[h];
                double s = hc->keeps_p[j];
                double chain = 1;
                for (int t = 0; t < hc->n_keeps; t++)
                    chain *= t == j ? 1 - s
                                    : (1 - hc->keeps_p[t]) + hc->keeps_p[t] * qneg[hc->keeps[t]];
                r *= ((1 - hc->prior) + hc->prior * qneg[h] * chain) / g0[h];
            }
            cslack[c] = r;
        }
    }
    qsv_finish(kb, &w, Z, absum, K, on, off, cf, cslack, logconst, post, lo, hi, logpe, zerr);

    /* the candidates */
    double *Tt = vm + at++ * N;
    double *own = vm + at * N;                /* room for 4 vectors per root, then
                                               * the touched slack shares */
    int *roots = sl;                          /* the candidate's roots */
    int *rootat = roots + nc;                 /* a root's index in roots */
    int *slm = rootat + nc, nslm = 0;         /* the slack-accumulated muscles */
    bool *isroot = flags + 3 * (nc + 1);
    bool *touch = flags + 4 * (nc + 1);       /* a slack share the candidate changes */
    for (int m = 0; m < nc; m++)
        if (w.slackacc[m])
            slm[nslm++] = m;
    long double logc = logconst + log1pl(-(long double)kb->leak);
    for (int t = 0; t < nq; t++) {
        int b = np + t, nr = 0;
        for (int k = kb->flink_first[cand[t]]; k < kb->flink_first[cand[t] + 1]; k++) {
            int c = kb->links[kb->flink[k]].cause;
            if (!isroot[c]) {
                isroot[c] = true;
                rootat[c] = nr;
                roots[nr++] = c;
            }
            for (int e = w.kin_first[c]; e < w.kin_first[c + 1]; e++)
                if (!isroot[w.kin[e]]) {
                    isroot[w.kin[e]] = true;
                    rootat[w.kin[e]] = nr;
                    roots[nr++] = w.kin[e];
                }
        }
        /* a muscle's slack share changes with its own factor and with each
         * of its keepers' */
        for (int i = 0; i < nr; i++) {
            const kf_cause *k = &kb->causes[roots[i]];
            touch[roots[i]] = true;
            for (int j = 0; j < k->n_keeps; j++)
                touch[k->keeps[j]] = true;
        }
        /* own Q (times the candidate's q), then Pi and g, then shares */
        double Kt = K;
        for (int i = 0; i < nr; i++) {
            int c = roots[i];
            svQ[i] = w.Qv[c];
            svPi[i] = w.Piv[c];
            svg[i] = w.gv[c];
            svsh[i] = w.shv[c];
            double *Q = own + (size_t)(4 * i) * N;
            double q = qm[(size_t)c * (size_t)(nb + 1) + (size_t)b];
            qsv_scale_to(Q, svQ[i], q, N);
            w.Qv[c] = Q;
            Kt += 6 + np + (double)(np + 2) * kb->causes[c].n_keeps;
        }
        dp_copy(Tt, T, N);
        for (int i = 0; i < nr; i++) {
            int c = roots[i];
            double *Pi = own + (size_t)(4 * i + 1) * N, *g = own + (size_t)(4 * i + 2) * N;
            qsv_factor(kb, &w, c, Pi, g);
            w.Piv[c] = Pi;
            w.gv[c] = g;
            qsv_mul(Tt, g, svg[i], N);
        }
        double Zt = 0, abst = 0;
        for (size_t s = 0; s < N; s++) {
            Zt += Tt[s];
            abst += fabs(Tt[s]);
        }
        double *ont = g0 + nc, *offt = ont + nc, *sv = own + (size_t)(4 * nr) * N;
        int nd = 0;
        for (int a = 0; a < nact; a++) {
            int c = act[a];
            if (isroot[c]) {
                double *sh = own + (size_t)(4 * rootat[c] + 3) * N;
                qsv_share(kb, &w, c, sh);
                drow[nd] = sh;
            } else
                drow[nd] = w.shv[c];
            ddst[nd++] = &ont[c];
        }
        for (int k = 0; k < nslm; k++) {
            int m = slm[k];
            if (touch[m]) {
                qsv_slack(kb, &w, m, sv);
                drow[nd] = sv;
                sv += N;
            } else
                drow[nd] = w.slv[m];
            ddst[nd++] = &offt[m];
        }
        qsv_dots(Tt, drow, ddst, nd, N);
        for (int i = 0; i < nr; i++) {
            int c = roots[i];
            const kf_cause *k = &kb->causes[c];
            w.Qv[c] = svQ[i];
            w.Piv[c] = svPi[i];
            w.gv[c] = svg[i];
            isroot[c] = false;
            touch[c] = false;
            for (int j = 0; j < k->n_keeps; j++)
                touch[k->keeps[j]] = false;
        }
        qsv_finish(kb, &w, Zt, abst, Kt, ont, offt, cf, cslack, logc,
                   cpost + (size_t)t * (size_t)nc, clo + (size_t)t * (size_t)nc,
                   chi + (size_t)t * (size_t)nc, &clogpe[t], czerr ? &czerr[t] : NULL);
    }
    kf_free(mem);
    kf_free(ptrs);
    kf_free(ints);
    kf_free(flags);
    kf_free(drow);
    kf_free(ddst);
    return KF_OK;
}
