/*
 * engine_qsl.h — Quickscore by levels, in double (its lowest levels in
 * long double from QSL_PREC1 present findings), for the answer under E
 * alone (no candidates); included by engine.c after engine_qsv.h (whose
 * qsv_w it shares; static functions only).
 *
 * The sum is engine_qs.h's,
 *   P(E) = sum_{S in P} (-1)^|S| (1-leak)^|S+N| prod_roots g_r(S+N),
 * taken as a tree over the present findings' bits: a root's LEVEL is the
 * lowest bit its factor depends on (its own links and its kept muscles'),
 * so below a node that fixes the bits from its level up the factor is one
 * number.  A root at level j is therefore evaluated once per 2^j subsets,
 * never per subset, and each evaluation is fresh (its Q from tables made
 * once per run: no Gray updates, no divisions that drift, no periodic
 * recompute).  With the roots sorted by level, per node:
 *   top-down   W_j = W_{j+1} x (product of the level-j factors),
 *   the terms  T = W_0 x the sign-and-leak weight of the low bits,
 *   bottom-up  the subtree sums Sum_j (pairwise),
 * and each root's present share (a/g) is summed against Sum_j at its own
 * level, each muscle's slack share against Sum_j at the lowest level of it
 * and its keepers.  The low KF_QSL_LOW bits are whole vectors (the vector
 * at level j has 2^(L-j) entries: GCC's vector extension, four lanes, no
 * intrinsics); the high bits are an outer loop over chunks, whose own
 * numbers (each cause's Q over the high bits, the chunk's sign) are made
 * in long double and rounded once.  The precise levels (the lowest NPL:
 * one from QSL_PREC1, two from QSL_PREC2) are the same operations in long
 * double, scalar (x87: ~1,500 instructions per subset at 12-16 present
 * findings against ~400 in double alone, which could not certify there).
 *
 * Cost per subset: sum_j (roots at level j) / 2^j evaluations (on the
 * article cases and sets drawn from the model ~15-20, against all ~65
 * active roots per subset for the plain vectors of engine_qsv.h and ~10
 * Gray updates with their divisions for engine_qs.h).
 *
 * Rounding: every double is counted, operation by operation, in units of
 * u = DBL_EPSILON / 2 (the first-order bound; a 1% margin covers the
 * higher orders and the long double products of the tables), per root
 * from its number of chains.  A rounding is charged where it lands: a
 * factor made at level k is one number for the 2^k terms below its node,
 * so its error is that node's partial sum times the factor's count, and
 * the partial sums cancel (on sets drawn from the model each level up is
 * ~10-50x smaller).  So P(E) is off by at most u x sum over the levels of
 * (the roundings at level k) x (the sizes of the partial sums at k), and
 * a share by the same over its own partial sums (sizes measured at its
 * level and one above; higher up they are at most those) plus what it
 * reads from below its level (its weights are at most 1).  qsl_finish
 * turns those into every posterior's interval.  The caller takes the long
 * double walk where this cannot certify (the terms at level 0 still
 * count in full: absum / P(E) grows ~10x per present finding).
 */
#define KF_QSL_LOW 8
/* per cause, the bound's numbers by level: its own roundings, its partial
 * sums' sizes */
#define QSL_AOFF (KF_QSL_LOW + 1)
/* From these many present findings the lowest one (two) levels are
 * precise (long double): at level k the partial sums are ~10^(np - k)
 * times P(E), and a double there could not certify.  Measured on sets
 * drawn from the model (20 each; certified, mean time): one level at 10
 * 19/20 380 us (two: 20/20 552 us), at 11 18/20 618 us (20/20 903 us); two
 * at 12 16/20 1607 us (one: 11/20 1235 us), 13 17/20, 14 14/20 (three: 12
 * 17/20 1795 us, 14 the same 14/20); 15 and 16 rarely certify even so
 * (level 0's terms, in long double, count ~700 roundings of ~3e8 x P(E)). */
#define QSL_PREC1 10
#define QSL_PREC2 12
#define QSL_LV (2 * (KF_QSL_LOW + 1))

typedef double qsl_v4 __attribute__((vector_size(32), aligned(8), may_alias));
#define qsl_ld(p) (*(const qsl_v4 *)(const void *)(p))
#define qsl_st(p, x) (*(qsl_v4 *)(void *)(p) = (x))

/* lanes: (0, 2, 4, 6) and (1, 3, 5, 7) of two vectors; (0, 0, 1, 1) and
 * (2, 2, 3, 3) of one (GCC's __builtin_shuffle takes an index vector,
 * Clang's __builtin_shufflevector the indices) */
#if defined(__clang__)
#define qsl_evens(x, y) __builtin_shufflevector((x), (y), 0, 2, 4, 6)
#define qsl_odds(x, y) __builtin_shufflevector((x), (y), 1, 3, 5, 7)
#define qsl_lo2(x) __builtin_shufflevector((x), (x), 0, 0, 1, 1)
#define qsl_hi2(x) __builtin_shufflevector((x), (x), 2, 2, 3, 3)
#else
typedef long long qsl_i4 __attribute__((vector_size(32)));
#define qsl_evens(x, y) __builtin_shuffle((x), (y), (qsl_i4){ 0, 2, 4, 6 })
#define qsl_odds(x, y) __builtin_shuffle((x), (y), (qsl_i4){ 1, 3, 5, 7 })
#define qsl_lo2(x) __builtin_shuffle((x), (qsl_i4){ 0, 0, 1, 1 })
#define qsl_hi2(x) __builtin_shuffle((x), (qsl_i4){ 2, 2, 3, 3 })
#endif

/* Most chains a root may have here (the caller takes the long double walk
 * beyond: the KB's habits keep at most a few muscles). */
#define QSL_MAXCH 12

typedef struct {
    int cause;
    int level;           /* 0..L */
    bool in_t;           /* active: its factor is in the terms */
    bool share;          /* its present share is summed (active, no keepers) */
    int e0, ne;          /* its chains: ch[e0 .. e0 + ne) */
    double omp;
    double *A;           /* table: pi qneg Qlow */
    double *a, *ig;      /* per chunk: the factor's present part, 1 / the factor
                          * (NULL where nothing reads them) */
    long double *Al, *al, *igl;   /* the same in long double, at the precise levels */
} qsl_root;

typedef struct {
    int m;               /* kept muscle */
    double oms;
    double *B, *c;       /* table s qneg_m Qlow_m; per chunk: chain factor (or NULL) */
    long double *Bl, *cl;         /* the same in long double, at the precise levels */
} qsl_chain_t;

/* One root over its level's n entries: a = Q pi prod chains, its factor
 * g = omp + a multiplied into P, 1 / g, and the chain factors; every
 * output is stored (into scratch where nothing reads it), so the loop has
 * no branches.  NE chains (a constant in each copy: the compiler unrolls
 * them; -1: any number). */
#define QSL_EVAL_BODY(NE)                                                                     \
    {                                                                                         \
        int ne_ = (NE) < 0 ? ne : (NE);                                                       \
        size_t t = 0;                                                                         \
        for (; t + 4 <= n; t += 4) {                                                          \
            qsl_v4 av = xv * qsl_ld(A + t);                                                   \
            for (int k = 0; k < ne_; k++) {                                                   \
                qsl_v4 cv = os[k] + qs[k] * qsl_ld(Bp[k] + t);                                \
                qsl_st(Cp[k] + t, cv);                                                        \
                av *= cv;                                                                     \
            }                                                                                 \
            qsl_v4 gv = ov + av;                                                              \
            qsl_st(a + t, av);                                                                \
            qsl_st(P + t, qsl_ld(P + t) * gv);                                                \
            qsl_st(ig + t, one / gv);                                                         \
        }                                                                                     \
        for (; t < n; t++) {                                                                  \
            double av = x * A[t];                                                             \
            for (int k = 0; k < ne_; k++) {                                                   \
                double cv = ch[k].oms + QH[ch[k].m] * Bp[k][t];                               \
                Cp[k][t] = cv;                                                                \
                av *= cv;                                                                     \
            }                                                                                 \
            double gv = omp + av;                                                             \
            a[t] = av;                                                                        \
            P[t] *= gv;                                                                       \
            ig[t] = 1 / gv;                                                                   \
        }                                                                                     \
    }

DP_CLONES_U static void qsl_eval(const qsl_root *r, const qsl_chain_t *ch, const double *QH,
                               double *P, double *scratch, size_t n)
{
    int ne = r->ne;
    double x = QH[r->cause], omp = r->omp;
    qsl_v4 xv = { x, x, x, x }, ov = { omp, omp, omp, omp }, one = { 1, 1, 1, 1 };
    qsl_v4 os[QSL_MAXCH], qs[QSL_MAXCH];
    const double *Bp[QSL_MAXCH];
    double *Cp[QSL_MAXCH];
    /* scratch: room for 4 vectors of n (a, g's product, 1 / g, chains) */
    for (int k = 0; k < ne; k++) {
        double o = ch[k].oms, q = QH[ch[k].m];
        os[k] = (qsl_v4){ o, o, o, o };
        qs[k] = (qsl_v4){ q, q, q, q };
        Bp[k] = ch[k].B;
        Cp[k] = ch[k].c ? ch[k].c : scratch + 3 * n;
    }
    const double *A = r->A;
    double *a = r->a ? r->a : scratch, *ig = r->ig ? r->ig : scratch + n;
    if (!P)
        P = scratch + 2 * n;
    switch (ne) {
    case 0: QSL_EVAL_BODY(0) break;
    case 1: QSL_EVAL_BODY(1) break;
    case 2: QSL_EVAL_BODY(2) break;
    case 3: QSL_EVAL_BODY(3) break;
    case 4: QSL_EVAL_BODY(4) break;
    default: QSL_EVAL_BODY(-1) break;
    }
}
#undef QSL_EVAL_BODY

/* y[t] = s[t] (omp + a[t] (oms / c[t])) ig[t]: the slack share's factor of
 * a habit (its factor with the chain off over its factor) */
DP_CLONES_U static void qsl_rho_mul(double *y, const double *s, const double *restrict a,
                                  const double *restrict c, const double *restrict ig,
                                  double omp, double oms, size_t n)
{
    size_t t = 0;
    qsl_v4 ov = { omp, omp, omp, omp }, sv = { oms, oms, oms, oms };
    for (; t + 4 <= n; t += 4)
        qsl_st(y + t, qsl_ld(s + t) *
                          ((ov + qsl_ld(a + t) * (sv / qsl_ld(c + t))) * qsl_ld(ig + t)));
    for (; t < n; t++)
        y[t] = s[t] * ((omp + a[t] * (oms / c[t])) * ig[t]);
}

/* dst[t] = src[t >> 1], t < 2 ns */
DP_CLONES_U static void qsl_expand(double *restrict dst, const double *restrict src, size_t ns)
{
    size_t u = 0;
    for (; u + 4 <= ns; u += 4) {
        qsl_v4 v = qsl_ld(src + u);
        qsl_st(dst + 2 * u, qsl_lo2(v));
        qsl_st(dst + 2 * u + 4, qsl_hi2(v));
    }
    for (; u < ns; u++)
        dst[2 * u] = dst[2 * u + 1] = src[u];
}

/* dst[u] = src[2u] + src[2u + 1], u < nd (dst may be src); returns the sum
 * of |dst[u]| (for the rounding bound) */
DP_CLONES_U static double qsl_pairs_a(double *dst, const double *src, size_t nd)
{
    typedef unsigned long long u4 __attribute__((vector_size(32)));
    const u4 mask = { ~0ULL >> 1, ~0ULL >> 1, ~0ULL >> 1, ~0ULL >> 1 };
    qsl_v4 sv = { 0, 0, 0, 0 };
    size_t u = 0;
    for (; u + 4 <= nd; u += 4) {
        qsl_v4 v0 = qsl_ld(src + 2 * u), v1 = qsl_ld(src + 2 * u + 4);
        qsl_v4 x = qsl_evens(v0, v1) + qsl_odds(v0, v1);
        qsl_st(dst + u, x);
        sv += (qsl_v4)((u4)x & mask);
    }
    double s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    for (; u < nd; u++) {
        dst[u] = src[2 * u] + src[2 * u + 1];
        s += fabs(dst[u]);
    }
    return s;
}

/* T[s] = W[s] w[s]; returns the sum of W[s] |w[s]| (= sum |T|: W has one
 * sign), four partial sums */
DP_CLONES_U static double qsl_leaves(double *restrict T, const double *restrict W,
                                   const double *restrict w, const double *restrict aw, size_t n)
{
    size_t t = 0;
    qsl_v4 sv = { 0, 0, 0, 0 };
    for (; t + 4 <= n; t += 4) {
        qsl_v4 x = qsl_ld(W + t);
        qsl_st(T + t, x * qsl_ld(w + t));
        sv += x * qsl_ld(aw + t);
    }
    double s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    for (; t < n; t++) {
        T[t] = W[t] * w[t];
        s += W[t] * aw[t];
    }
    return fabs(s);
}

/* A present share at its level (n entries, n >= 2): the sum of
 * a[t] ig[t] S[t], taken as the pairs' plain sum (QSL_SUMU); *a0 and *a1
 * gain the sizes of the terms and of the pairs */
DP_CLONES_U static double qsl_share2(const double *restrict a, const double *restrict ig,
                                   const double *restrict S, size_t n, double *a0, double *a1)
{
    typedef unsigned long long u4 __attribute__((vector_size(32)));
    const u4 mask = { ~0ULL >> 1, ~0ULL >> 1, ~0ULL >> 1, ~0ULL >> 1 };
    qsl_v4 sv = { 0, 0, 0, 0 }, s0 = sv, s1 = sv;
    size_t t = 0;
    for (; t + 8 <= n; t += 8) {
        qsl_v4 x0 = qsl_ld(a + t) * qsl_ld(ig + t) * qsl_ld(S + t);
        qsl_v4 x1 = qsl_ld(a + t + 4) * qsl_ld(ig + t + 4) * qsl_ld(S + t + 4);
        qsl_v4 p = qsl_evens(x0, x1) + qsl_odds(x0, x1);
        s0 += (qsl_v4)((u4)x0 & mask) + (qsl_v4)((u4)x1 & mask);
        s1 += (qsl_v4)((u4)p & mask);
        sv += p;
    }
    double s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    *a0 += (s0[0] + s0[1]) + (s0[2] + s0[3]);
    *a1 += (s1[0] + s1[1]) + (s1[2] + s1[3]);
    for (; t + 2 <= n; t += 2) {
        double x0 = a[t] * ig[t] * S[t], x1 = a[t + 1] * ig[t + 1] * S[t + 1], p = x0 + x1;
        *a0 += fabs(x0) + fabs(x1);
        *a1 += fabs(p);
        s += p;
    }
    return s;
}

/* sum of |x[t]|, four partial sums (a size for the rounding bound only) */
DP_CLONES_U static double qsl_asum(const double *x, size_t n)
{
    size_t t = 0;
    typedef unsigned long long u4 __attribute__((vector_size(32)));
    const u4 mask = { ~0ULL >> 1, ~0ULL >> 1, ~0ULL >> 1, ~0ULL >> 1 };
    qsl_v4 sv = { 0, 0, 0, 0 };
    for (; t + 4 <= n; t += 4)
        sv += (qsl_v4)((u4)qsl_ld(x + t) & mask);   /* the sign bits cleared */
    double s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    for (; t < n; t++)
        s += fabs(x[t]);
    return s;
}

/* sum of x[t], four partial sums */
DP_CLONES_U static double qsl_sum(const double *x, size_t n)
{
    size_t t = 0;
    qsl_v4 sv = { 0, 0, 0, 0 };
    for (; t + 4 <= n; t += 4)
        sv += qsl_ld(x + t);
    double s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    for (; t < n; t++)
        s += x[t];
    return s;
}

/* The sum of y (2^(L - lev) entries at level lev, the sum of whose sizes
 * is a0): its pairs (in place), whose sizes acc[lev + 1] gains (acc[lev]
 * gains a0), then their plain sum.  A rounding at level k is multiplied
 * by the sizes of the partial sums at k, which above lev + 1 are at most
 * those at lev + 1 (QSL_SUMU counts the plain sum's roundings). */
static double qsl_tree(double *y, int lev, int L, double a0, double *acc)
{
    acc[lev] += a0;
    if (lev == L)
        return y[0];
    size_t n = (size_t)1 << (L - lev - 1);
    acc[lev + 1] += qsl_pairs_a(y, y, n);
    return qsl_sum(y, n);
}
#define QSL_SUMU(lev, L) ((lev) < (L) ? (double)(((size_t)1 << ((L) - (lev) - 1)) / 4) + 4 : 0)
/* the same summed one by one (long double) */
#define QSL_SUMUL(lev, L) ((lev) < (L) ? (double)((size_t)1 << ((L) - (lev) - 1)) + 4 : 0)

/* v[h nlo + s] = lo[s] hi[h]: a table from its two halves (nlo and nhi
 * powers of 2, nlo <= nhi <= 2 nlo; each product the same either way
 * round).  The rows by the row's width, unrolled; rows of 2 two at a
 * time; a table of 1 or 2 entries one by one. */
#define QSL_OUTER_ROWS(W)                                                                     \
    for (size_t h = 0; h < nhi; h++) {                                                        \
        double x = hi[h];                                                                     \
        qsl_v4 xv = { x, x, x, x };                                                           \
        for (size_t t = 0; t < (W); t += 4)                                                   \
            qsl_st(v + h * (W) + t, xv * qsl_ld(lo + t));                                     \
    }
DP_CLONES_U static void qsl_outer(double *restrict v, const double *restrict lo, size_t nlo,
                                const double *restrict hi, size_t nhi)
{
    switch (nlo) {
    case 16: QSL_OUTER_ROWS(16) return;
    case 8: QSL_OUTER_ROWS(8) return;
    case 4: QSL_OUTER_ROWS(4) return;
    case 2:
        if (nhi % 2 == 0) {
            qsl_v4 lv = { lo[0], lo[1], lo[0], lo[1] };
            for (size_t h = 0; h < nhi; h += 2) {
                qsl_v4 hv = { hi[h], hi[h], hi[h + 1], hi[h + 1] };
                qsl_st(v + 2 * h, hv * lv);
            }
            return;
        }
        break;
    default:
        break;
    }
    for (size_t h = 0; h < nhi; h++)
        for (size_t t = 0; t < nlo; t++)
            v[h * nlo + t] = hi[h] * lo[t];
}
#undef QSL_OUTER_ROWS

/* x[t] = y[t] v[t] */
DP_CLONES_U static void qsl_mul(double *restrict x, const double *y, const double *restrict v,
                              size_t n)
{
    size_t t = 0;
    for (; t + 4 <= n; t += 4)
        qsl_st(x + t, qsl_ld(y + t) * qsl_ld(v + t));
    for (; t < n; t++)
        x[t] = y[t] * v[t];
}

/* x87 loops are scalar: unrolled, their counter and branch cost a quarter
 * (each entry's operations, and a sum's order, are the same) */
#if defined(__clang__)
#define QSL_UNROLL _Pragma("clang loop unroll_count(4)")
#else
#define QSL_UNROLL _Pragma("GCC unroll 4")
#endif

/* The precise levels (the lowest P, where the partial sums are still
 * large against P(E)) in long double, scalar: the same operations as the
 * vectors' above, in the same order.  As qsl_eval, one copy per number of
 * chains (x87 loops are not vectorised: the chains' loop and the stores
 * nothing reads were half of its instructions); a root whose a, 1 / g and
 * chain factors nothing reads (al, igl and every cl NULL) only multiplies
 * its factor into P; otherwise the outputs nothing reads go to scratch
 * (room for 3 vectors of n: the chains' share one) and P may be NULL. */
#define QSL_EVAL_L_BODY(NE, OUT, PROD)                                                        \
    {                                                                                         \
        int ne_ = (NE) < 0 ? ne : (NE);                                                       \
        QSL_UNROLL                                                                            \
        for (size_t t = 0; t < n; t++) {                                                      \
            long double av = x * A[t];                                                        \
            for (int k = 0; k < ne_; k++) {                                                   \
                long double cv = os[k] + qs[k] * Bp[k][t];                                    \
                if (OUT)                                                                      \
                    Cp[k][t] = cv;                                                            \
                av *= cv;                                                                     \
            }                                                                                 \
            long double gv = omp + av;                                                        \
            if (OUT)                                                                          \
                a[t] = av;                                                                    \
            if (PROD)                                                                         \
                P[t] *= gv;                                                                   \
            if (OUT)                                                                          \
                ig[t] = 1 / gv;                                                               \
        }                                                                                     \
    }
#define QSL_EVAL_L_NE(OUT, PROD)                                                              \
    switch (ne) {                                                                             \
    case 0: QSL_EVAL_L_BODY(0, OUT, PROD) break;                                              \
    case 1: QSL_EVAL_L_BODY(1, OUT, PROD) break;                                              \
    case 2: QSL_EVAL_L_BODY(2, OUT, PROD) break;                                              \
    case 3: QSL_EVAL_L_BODY(3, OUT, PROD) break;                                              \
    case 4: QSL_EVAL_L_BODY(4, OUT, PROD) break;                                              \
    default: QSL_EVAL_L_BODY(-1, OUT, PROD) break;                                            \
    }

static void qsl_eval_l(const qsl_root *r, const qsl_chain_t *ch, const long double *QHl,
                       long double *P, long double *scratch, size_t n)
{
    /* omp and oms are doubles: x87 adds them from memory as they are */
    long double x = QHl[r->cause];
    double omp = r->omp, os[QSL_MAXCH];
    long double qs[QSL_MAXCH];
    const long double *Bp[QSL_MAXCH];
    long double *Cp[QSL_MAXCH];
    int ne = r->ne;
    bool out = r->al || r->igl;
    for (int k = 0; k < ne; k++) {
        os[k] = ch[k].oms;
        qs[k] = QHl[ch[k].m];
        Bp[k] = ch[k].Bl;
        Cp[k] = ch[k].cl ? ch[k].cl : scratch + 2 * n;
        out |= ch[k].cl != NULL;
    }
    const long double *restrict A = r->Al;
    long double *restrict a = r->al ? r->al : scratch, *restrict ig = r->igl ? r->igl : scratch + n;
    if (!out)
        QSL_EVAL_L_NE(false, true)
    else if (P)
        QSL_EVAL_L_NE(true, true)
    else
        QSL_EVAL_L_NE(true, false)
}
#undef QSL_EVAL_L_NE
#undef QSL_EVAL_L_BODY

/* dst[u] = src[2u] + src[2u + 1] (dst may be src); returns the sum of the
 * sizes of dst */
static double qsl_pairs_l(long double *dst, const long double *src, size_t nd)
{
    long double s = 0;
    QSL_UNROLL
    for (size_t u = 0; u < nd; u++) {
        dst[u] = src[2 * u] + src[2 * u + 1];
        s += fabsl(dst[u]);
    }
    return (double)s;
}

static double qsl_asum_l(const long double *x, size_t n)
{
    long double s = 0;
    QSL_UNROLL
    for (size_t t = 0; t < n; t++)
        s += fabsl(x[t]);
    return (double)s;
}

/* The sum of y (2^(L - lev) entries at level lev, lev < top <= L), in
 * long double: pairs in place up to level top, each level's sizes added
 * to acc[k] (acc[lev] by the caller), then the plain sum at top one by
 * one (QSL_SUMUL(top - 1, L) roundings).  A rounding at a level above
 * top is multiplied by at most acc[top]'s part. */
static long double qsl_tree_l(long double *y, int lev, int top, int L, double *acc)
{
    size_t n = (size_t)1 << (L - lev);
    for (int k = lev + 1; k <= top; k++) {
        n /= 2;
        acc[k] += qsl_pairs_l(y, y, n);
    }
    long double s = 0;
    QSL_UNROLL
    for (size_t t = 0; t < n; t++)
        s += y[t];
    return s;
}

/* y[t] = a[t] ig[t] S[t] in long double; returns the sum of their sizes */
static double qsl_share_l(long double *y, const long double *a, const long double *ig,
                          const long double *S, size_t n)
{
    long double s = 0;
    QSL_UNROLL
    for (size_t t = 0; t < n; t++) {
        y[t] = a[t] * ig[t] * S[t];
        s += fabsl(y[t]);
    }
    return (double)s;
}

/* As qsl_mul and qsl_rho_mul, in long double */
static void qsl_mul_l(long double *x, const long double *y, const long double *v, size_t n)
{
    QSL_UNROLL
    for (size_t t = 0; t < n; t++)
        x[t] = y[t] * v[t];
}

static void qsl_rho_mul_l(long double *y, const long double *s, const long double *a,
                          const long double *c, const long double *ig, double omp,
                          double oms, size_t n)
{
    QSL_UNROLL
    for (size_t t = 0; t < n; t++)
        y[t] = s[t] * ((omp + a[t] * (oms / c[t])) * ig[t]);
}

/* As qsv_finish, with the bounds as absolute errors: dz for Z, dnum[c] for
 * the followed sum of cause c (its present share, or its slack share). */
static void qsl_finish(const kf_kb *kb, const qsv_w *w, double Z, double dz,
                       const double *dnum, const double *on, const double *off,
                       const double *cf, const double *cslack, long double logconst,
                       double *post, double *lo, double *hi, long double *logpe, double *zerr)
{
    int nc = w->nc;
    if (zerr)
        *zerr = Z > dz ? dz / Z * (1 + 1e-12) : INFINITY;
    *logpe = Z > 0 ? logl((long double)Z) + logconst : -INFINITY;
    if (!(Z > dz)) {
        for (int c = 0; c < nc; c++) {
            post[c] = kb->causes[c].prior;
            lo[c] = 0;
            hi[c] = 1;
        }
        return;
    }
    for (int c = 0; c < nc; c++) {
        bool slack = w->kin_first[c] < w->kin_first[c + 1];
        double d = dnum[c];
        double num = qsv_numer(w, c, on, off, cf, cslack, Z, &d);
        double p = num / Z;
        double l = (num - d) / (Z + dz), h = (num + d) / (Z - dz);
        qsv_put(p, l, h, slack, c, post, lo, hi);
    }
}

/* The precise levels a second run would need (*npl_next, from the first
 * run's partial sums): one above the highest level whose partial sums are
 * over QSL_RETRY_RATIO times P(E) (a double rounding there, counted ~100
 * times, is ~1e-9 of P(E) at that ratio). */
#define QSL_RETRY_RATIO 3e5

/* npl < 0: the precise levels by np (QSL_PREC1, QSL_PREC2); else that
 * many (at most L - 2).  npl_next (may be NULL): see QSL_RETRY_RATIO. */
static kf_err qsl_run(const kf_kb *kb, const int *pos, int np, const int *neg, int nn,
                      double *post, double *lo, double *hi, long double *logpe, double *zerr,
                      int npl, int *npl_next)
{
    int nc = kb->n_causes;
    if (npl_next)
        *npl_next = 0;
    if (np < 1 || np > 30)
        return KF_EINVAL;
    int L = np < KF_QSL_LOW ? np : KF_QSL_LOW, H = np - L;
    /* the precise levels: below NPL the sums are taken in long double
     * (where the partial sums are ~10^(np - k) times P(E)) */
    int NPL = npl >= 0 ? npl : np >= QSL_PREC2 ? 2 : np >= QSL_PREC1 ? 1 : 0;
    if (NPL > L - 2)
        NPL = L > 2 ? L - 2 : 0;
    /* a sum made at a precise level has its partial sums' sizes measured
     * up to here */
#define QSL_TOPL (NPL + 1)
    size_t NL = (size_t)1 << L;
    int nedges = 0;
    for (int c = 0; c < nc; c++)
        nedges += kb->causes[c].n_keeps;
    kf_err err = KF_ENOMEM;
    /* scratch that does not depend on the vectors' sizes */
    int nhl = 0;                          /* links of the present findings */
    for (int b = 0; b < np; b++)
        nhl += kb->flink_first[pos[b] + 1] - kb->flink_first[pos[b]];
    long double *qb = kf_malloc(((size_t)nc * (size_t)np + 4 * (size_t)nc + NL + 4) *
                                sizeof *qb);   /* nc x np: 1 - p by (original) bit */
    int *ints = kf_malloc((6 * (size_t)nc + 3 * (size_t)nedges + 4 * (size_t)np +
                           (size_t)nhl + 16) * sizeof *ints);
    uint32_t *masks = kf_malloc((3 * (size_t)nc + 4) * sizeof *masks);
    bool *flags = kf_calloc(5 * (size_t)nc + 5, 1);
    double *dbl = kf_malloc((8 * (size_t)nc + 8) * sizeof *dbl);
    /* per cause: its own roundings by level, then its partial sums' sizes
     * by level (a present share's or a slack share's), and its bound */
    double *EY = kf_malloc(((size_t)nc * QSL_LV + (size_t)nc + 1) * sizeof *EY);
    double *Eown = EY + (size_t)nc * QSL_LV;
    qsl_root *roots = kf_malloc(((size_t)nc + 1) * sizeof *roots);
    qsl_chain_t *chs = kf_malloc(((size_t)nedges + 1) * sizeof *chs);
    double *vm = NULL;
    long double *vl = NULL;
    if (!qb || !ints || !masks || !flags || !dbl || !roots || !chs || !EY)
        goto out;
    long double *qneg = qb + (size_t)nc * (size_t)np, *QHl = qneg + nc, *onl = QHl + nc;
    long double *offl = onl + nc, *tab = offl + nc;
    int *kin_first = ints, *kin = kin_first + nc + 1, *kin_e = kin + nedges;
    int *perm = kin_e + nedges, *ridx = perm + np, *order = ridx + nc;
    int *hp_first = order + nc, *sl = hp_first + np + 2, nsl = 0;
    int *hp = sl + nc;                    /* the high bits' causes */
    uint32_t *dsupp = masks, *supp = dsupp + nc, *ssupp = supp + nc;
    bool *active = flags, *slackacc = active + nc + 1, *inv = slackacc + nc + 1;
    double *qnd = dbl, *g0 = qnd + nc, *on = g0 + nc, *off = on + nc, *cf = off + nc;
    double *cslack = cf + nc, *QH = cslack + nc;
    /* link strengths by bit, the negatives' product */
    for (size_t i = 0; i < (size_t)nc * (size_t)np; i++)
        qb[i] = 1;
    for (int c = 0; c < nc; c++) {
        qneg[c] = 1;
        dsupp[c] = 0;
    }
    bool qexact = true;
    for (int i = 0; i < nn; i++)
        for (int k = kb->flink_first[neg[i]]; k < kb->flink_first[neg[i] + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            qexact &= ln->p >= 0x1p-11 || ln->p == 0;
            qneg[ln->cause] *= 1 - (long double)ln->p;
        }
    for (int b = 0; b < np; b++)
        for (int k = kb->flink_first[pos[b]]; k < kb->flink_first[pos[b] + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            qb[(size_t)ln->cause * (size_t)np + (size_t)b] *= 1 - (long double)ln->p;
            /* 1 - p is exact in long double when p >= 2^-11 (its bits span
             * at most 64); two links of one cause to one finding round */
            qexact &= (ln->p >= 0x1p-11 || ln->p == 0) && !(dsupp[ln->cause] >> b & 1);
            dsupp[ln->cause] |= 1u << b;
        }
    /* keepers of each muscle (counting sort; order is scratch here) */
    keepers_index(kb, kin_first, order, kin, kin_e);
    /* supports: a root's factor reads its own Q and its kept muscles' */
    for (int r = 0; r < nc; r++) {
        supp[r] = dsupp[r];
        for (int j = 0; j < kb->causes[r].n_keeps; j++)
            supp[r] |= dsupp[kb->causes[r].keeps[j]];
        active[r] = supp[r] != 0;
    }
    for (int m = 0; m < nc; m++) {
        ssupp[m] = 0;
        if (kin_first[m] == kin_first[m + 1])
            continue;
        uint32_t s = supp[m];
        for (int e = kin_first[m]; e < kin_first[m + 1]; e++)
            s |= supp[kin[e]];
        ssupp[m] = s;
        slackacc[m] = s != 0;
        if (slackacc[m])
            sl[nsl++] = m;
    }
    /* the bound's rows that are read (a present share's, a slack share's)
     * start at 0; the rest are never read (zeroing all of them was a 10 KB
     * memset, which valgrind counts byte by byte: ~40 instructions a subset
     * at 8 present findings) */
    for (int c = 0; c < nc; c++) {
        Eown[c] = 0;
        if (active[c] || slackacc[c])
            for (int k = 0; k < QSL_LV; k++)
                EY[(size_t)c * QSL_LV + (size_t)k] = 0;
    }
    /* evaluated: the active roots, the slack-accumulated muscles and their keepers */
    for (int c = 0; c < nc; c++)
        inv[c] = active[c];
    for (int k = 0; k < nsl; k++) {
        int m = sl[k];
        inv[m] = true;
        for (int e = kin_first[m]; e < kin_first[m + 1]; e++)
            inv[kin[e]] = true;
    }
    /* the bit order: greedily, the bit that brings the cheapest work to the
     * lowest level (work per subset is sum cost / 2^level); ties by index.
     * Over the causes that have work (in order[], free until the roots
     * are listed), with their two masks' weights. */
    {
        int nw = 0, *wc = order;
        int *wa = kf_malloc(2 * ((size_t)nc + 1) * sizeof *wa);
        if (!wa)
            goto out;
        for (int c = 0; c < nc; c++)
            if (active[c] || slackacc[c]) {
                wc[nw] = c;
                wa[2 * nw] = active[c] ? 3 + 3 * kb->causes[c].n_keeps : 0;
                wa[2 * nw + 1] = slackacc[c] ? 3 + 2 * (kin_first[c + 1] - kin_first[c]) : 0;
                nw++;
            }
        /* each bit's cost over the causes still without a level, kept as
         * the causes leave (each cause's part added once, taken once) */
        long cost[32];
        for (int b = 0; b < np; b++)
            cost[b] = 0;
#define QSL_CON(k, b) ((long)(supp[wc[k]] >> (b) & 1) * wa[2 * (k)] + \
                       (long)(ssupp[wc[k]] >> (b) & 1) * wa[2 * (k) + 1])
        for (int k = 0; k < nw; k++)
            for (uint32_t mb = supp[wc[k]] | ssupp[wc[k]]; mb; mb &= mb - 1)
                cost[__builtin_ctz(mb)] += QSL_CON(k, __builtin_ctz(mb));
        uint32_t used = 0;
        for (int j = 0; j < np; j++) {
            int best = -1;
            for (int b = 0; b < np; b++)
                if (!(used >> b & 1) && (best < 0 || cost[b] < cost[best]))
                    best = b;
            used |= 1u << best;
            perm[j] = best;
            /* the causes it reaches have their level: drop them */
            int k2 = 0;
            for (int k = 0; k < nw; k++) {
                int c = wc[k];
                if (((supp[c] >> best & 1) && wa[2 * k]) || ((ssupp[c] >> best & 1) && wa[2 * k + 1])) {
                    for (uint32_t mb = supp[c] | ssupp[c]; mb; mb &= mb - 1)
                        cost[__builtin_ctz(mb)] -= QSL_CON(k, __builtin_ctz(mb));
                    continue;
                }
                wc[k2] = c;
                wa[2 * k2] = wa[2 * k];
                wa[2 * k2 + 1] = wa[2 * k + 1];
                k2++;
            }
            nw = k2;
        }
#undef QSL_CON
        kf_free(wa);
    }
    for (int c = 0; c < nc; c++)
        if (inv[c] && kb->causes[c].n_keeps > QSL_MAXCH) {
            /* beyond what qsl_eval takes: uncertified, the caller goes on */
            for (int x = 0; x < nc; x++) {
                post[x] = kb->causes[x].prior;
                lo[x] = 0;
                hi[x] = 1;
            }
            *logpe = -INFINITY;
            if (zerr)
                *zerr = INFINITY;
            err = KF_OK;
            goto out;
        }
    /* masks in the new order (bit perm[j] becomes bit j) */
    {
        int iperm[32];
        for (int j = 0; j < np; j++)
            iperm[perm[j]] = j;
        for (int c = 0; c < nc; c++) {
            uint32_t *m[3] = { &dsupp[c], &supp[c], &ssupp[c] };
            for (int x = 0; x < 3; x++) {
                uint32_t o = 0;
                for (uint32_t mb = *m[x]; mb; mb &= mb - 1)
                    o |= 1u << iperm[__builtin_ctz(mb)];
                *m[x] = o;
            }
        }
    }
#define QSL_Q(c, j) qb[(size_t)(c) * (size_t)np + (size_t)perm[j]]
#define QSL_LEV(mask) ((mask) ? (__builtin_ctz(mask) < L ? __builtin_ctz(mask) : L) : L)
    /* the roots by level, their chains */
    int nr = 0, ne = 0;
    size_t nvec = 0, nld = 0;             /* doubles of the vectors, long doubles */
    /* the evaluated causes by level, by index within one (counting sort
     * into order[], free here) */
    int lcount[KF_QSL_LOW + 2] = { 0 };
    for (int c = 0; c < nc; c++)
        if (inv[c])
            lcount[QSL_LEV(supp[c]) + 1]++;
    for (int lev = 0; lev <= L; lev++)
        lcount[lev + 1] += lcount[lev];
    for (int c = 0; c < nc; c++)
        if (inv[c])
            order[lcount[QSL_LEV(supp[c])]++] = c;
    for (int lev = L; lev > 0; lev--)
        lcount[lev] = lcount[lev - 1];
    lcount[0] = 0;
    for (int lev = 0; lev <= L; lev++)
        for (int oi = lcount[lev]; oi < lcount[lev + 1]; oi++) {
            int c = order[oi];
            qsl_root *r = &roots[nr];
            ridx[c] = nr++;
            r->cause = c;
            r->level = lev;
            r->in_t = active[c];
            r->share = active[c] && kin_first[c] == kin_first[c + 1];
            r->e0 = ne;
            r->ne = kb->causes[c].n_keeps;
            r->omp = 1 - kb->causes[c].prior;
            size_t n = (size_t)1 << (L - lev);
            nvec += 4 * n;
            if (lev < NPL)
                nld += (3 + 2 * (size_t)r->ne) * n;
            for (int j = 0; j < r->ne; j++) {
                qsl_chain_t *e = &chs[ne++];
                e->m = kb->causes[c].keeps[j];
                e->oms = (double)(1 - (long double)kb->causes[c].keeps_p[j]);
                nvec += (slackacc[e->m] ? 3 : 2) * n;
            }
        }
    /* level vectors: W and the sums (2 x 2 NL), the slack scratch (2 NL),
     * the low weights and their sizes (2 NL) */
    nvec += 13 * NL + 64;
    vm = kf_malloc(nvec * sizeof *vm);
    /* the precise levels' W and sums, slack scratch (2 NL), low weights,
     * qsl_eval_l's scratch (3 NL) */
    nld += (NPL ? 11 : 8) * NL + 64;
    vl = kf_malloc(nld * sizeof *vl);
    if (!vm || !vl)
        goto out;
    long double *Wl[KF_QSL_LOW + 1], *Sml[KF_QSL_LOW + 1];
    size_t atl = 0;
    for (int j = 0; j < NPL; j++) {
        size_t n = (size_t)1 << (L - j);
        Wl[j] = vl + atl;
        atl += n;
        Sml[j] = vl + atl;
        atl += n;
    }
    long double *yl = vl + atl, *wlowl = yl + 2 * NL, *scrl = wlowl + 2 * NL;
    atl += 7 * NL;
    double *W[KF_QSL_LOW + 1], *Sm[KF_QSL_LOW + 1];
    size_t at = 0;
    for (int j = 0; j <= L; j++) {
        size_t n = (size_t)1 << (L - j);
        W[j] = vm + at;
        at += n;
        Sm[j] = vm + at;
        at += n;
    }
    double *yv = vm + at, *wlow = yv + 2 * NL, *awlow = wlow + NL, *scr = awlow + NL;
    at += 8 * NL;
    long double ml = -(1 - (long double)kb->leak);
    tab[0] = 1;                           /* (-(1 - leak))^|s|, by doubling */
    for (int j = 0; j < L; j++)
        for (size_t s = 0; s < (size_t)1 << j; s++)
            tab[s + ((size_t)1 << j)] = tab[s] * ml;
    for (size_t s = 0; s < NL; s++) {
        wlowl[s] = tab[s];
        wlow[s] = (double)tab[s];
        awlow[s] = fabs(wlow[s]);
    }
    /* tables: pi qneg Qlow and s qneg_m Qlow_m over the bits from the
     * root's level to L, as the product of two halves (each in long double
     * over half the bits, rounded once; one multiplication in double per
     * entry: a table costs about one pass of the root's evaluation) */
    for (int i = 0; i < nr; i++) {
        qsl_root *r = &roots[i];
        int lev = r->level, c = r->cause;
        size_t n = (size_t)1 << (L - lev);
        for (int x = -1; x < r->ne; x++) {
            int cc = x < 0 ? c : chs[r->e0 + x].m;
            int nbit = L - lev, blo = nbit / 2;
            size_t nlo = (size_t)1 << blo, nhi = (size_t)1 << (nbit - blo);
            long double *tlo = tab, *thi = tab + nlo;
            tlo[0] = qneg[cc] * (x < 0 ? (long double)kb->causes[c].prior
                                       : (long double)kb->causes[c].keeps_p[x]);
            thi[0] = 1;
            {
                const long double *qr = qb + (size_t)cc * (size_t)np;
                const int *pb = perm + lev;
                for (int b = 0; b < blo; b++) {
                    long double q = qr[pb[b]];
                    size_t h = (size_t)1 << b;
                    for (size_t s = 0; s < h; s++)
                        tlo[s + h] = tlo[s] * q;
                }
                for (int b = blo; b < nbit; b++) {
                    long double q = qr[pb[b]];
                    size_t h = (size_t)1 << (b - blo);
                    for (size_t s = 0; s < h; s++)
                        thi[s + h] = thi[s] * q;
                }
            }
            if (lev < NPL) {
                /* in long double: the halves' product, not rounded */
                long double *v = vl + atl;
                atl += n;
                for (size_t h = 0; h < nhi; h++)
                    for (size_t s = 0; s < nlo; s++)
                        v[h * nlo + s] = tlo[s] * thi[h];
                if (x < 0)
                    r->Al = v;
                else
                    chs[r->e0 + x].Bl = v;
                continue;
            }
            double *v = vm + at, *dlo = yv, *dhi = yv + nlo;
            at += n;
            QSL_UNROLL
            for (size_t s = 0; s < nlo; s++)
                dlo[s] = (double)tlo[s];
            QSL_UNROLL
            for (size_t h = 0; h < nhi; h++)
                dhi[h] = (double)thi[h];
            qsl_outer(v, dlo, nlo, dhi, nhi);
            if (x < 0)
                r->A = v;
            else
                chs[r->e0 + x].B = v;
        }
        if (lev < NPL) {
            /* everything a precise level's root makes, in long double */
            /* (as below: only what the shares read; the room stays) */
            bool rho = false;
            for (int x = 0; x < r->ne; x++)
                rho |= slackacc[chs[r->e0 + x].m];
            r->a = r->ig = r->A = NULL;
            r->al = r->share || rho ? vl + atl : NULL;
            r->igl = r->share || rho || slackacc[c] ? vl + atl + n : NULL;
            atl += 2 * n;
            for (int x = 0; x < r->ne; x++) {
                chs[r->e0 + x].cl = slackacc[chs[r->e0 + x].m] ? vl + atl : NULL;
                chs[r->e0 + x].c = chs[r->e0 + x].B = NULL;
                atl += n;
            }
            continue;
        }
        r->Al = r->al = r->igl = NULL;
        for (int x = 0; x < r->ne; x++)
            chs[r->e0 + x].Bl = chs[r->e0 + x].cl = NULL;
        /* what the shares read: a and 1 / g of a root summed or with a
         * chain to a followed muscle, 1 / g of a followed muscle, the
         * chain factors of a chain to one */
        bool rho = false;
        for (int x = 0; x < r->ne; x++)
            rho |= slackacc[chs[r->e0 + x].m];
        r->a = r->ig = NULL;
        if (r->share || rho) {
            r->a = vm + at;
            at += n;
        }
        if (r->share || rho || slackacc[c]) {
            r->ig = vm + at;
            at += n;
        }
        for (int x = 0; x < r->ne; x++) {
            qsl_chain_t *e = &chs[r->e0 + x];
            e->c = NULL;
            if (slackacc[e->m]) {
                e->c = vm + at;
                at += n;
            }
        }
    }
    /* the high bits' causes */
    {
        int n = 0;
        for (int j = L; j < np; j++) {
            hp_first[j - L] = n;
            for (int k = kb->flink_first[pos[perm[j]]]; k < kb->flink_first[pos[perm[j]] + 1];
                 k++)
                hp[n++] = kb->links[kb->flink[k]].cause;
        }
        hp_first[H] = n;
    }
    /* the rounding bound, in units of u */
    double uin = 1 + (double)(nn + np + 8) * 2 * (double)(LDBL_EPSILON / DBL_EPSILON);
    /* Per level k: PhiF[k], the roundings of the factors made at level k
     * (each root's factor and its multiplication into W); every one of
     * them is one number shared by the 2^k terms below its node, so it is
     * multiplied by that node's partial sum, not by the terms' sizes. */
    double PhiF[KF_QSL_LOW + 1];
    for (int k = 0; k <= L; k++)
        PhiF[k] = 0;
    /* at the precise levels every count is in long double's u: rl of ours;
     * there a table's entry is the product of qneg, the prior, up to L
     * link factors (each 1 - p rounded once) and QH's up to H, all in
     * long double (utab_l, uin_l) */
    double rl = (double)(LDBL_EPSILON / DBL_EPSILON);
    double utab_l = 2 * (double)(nn + L) + 4, uin_l = 2 * (double)H + 2;
    if (qexact) {
        /* every 1 - p exact: qneg's nn products, the prior, L link
         * factors, the halves' product; QH's H products */
        utab_l = (double)(nn + L) + 2;
        uin_l = (double)H + 1;
    }
    PhiF[0] += NPL ? ((double)L + 2) * rl : uin + 1;   /* the low weights, the leaves' product */
    PhiF[L] += uin;                       /* the chunk's weight */
    /* a table's entry: two rounded halves and their product; a root's
     * present part: table x QH, then per chain x (oms + QH_m x table) */
    double utab = 2 * uin + 1;
#define QSL_EAX(ne, ut, ui) ((ut) + (ui) + 1 + (ne) * ((ut) + (ui) + 3))
#define QSL_EA(ne) QSL_EAX(ne, utab, uin)
    /* a root's present part, in our u, at its level */
#define QSL_EAL(r) ((r)->level < NPL ? QSL_EAX((r)->ne, utab_l, uin_l) * rl : QSL_EA((r)->ne))
#define QSL_UL(r) ((r)->level < NPL ? rl : 1.0)
    double Emax = 0;
    for (int i = 0; i < nr; i++) {
        const qsl_root *r = &roots[i];
        double Ea = QSL_EAL(r), Eg = Ea + QSL_UL(r);
        if (r->level < NPL) {
            /* 1 / g, a x (1 / g) x S, its sums: all in long double */
            if (r->in_t)
                PhiF[r->level] += Eg + rl;
            if (r->share) {
                Eown[r->cause] = Ea + Eg + 3 * rl;
                if (Eown[r->cause] > Emax)
                    Emax = Eown[r->cause];
            }
            continue;
        }
        if (r->in_t)
            PhiF[r->level] += Eg + 1;
        /* a x (1 / g) x S */
        if (r->share) {
            Eown[r->cause] = Ea + Eg + 3;
            if (Eown[r->cause] > Emax)
                Emax = Eown[r->cause];
        }
    }
    for (int k = 0; k < nsl; k++) {
        int m = sl[k];
        const qsl_root *rm = &roots[ridx[m]];
        double *ey = EY + (size_t)m * QSL_LV, tot = 0;
        /* S x 1 / g_m, then per keeper x (omp + a (oms / c)) (1 / g); the
         * sum times 1 - prior */
        ey[rm->level] += QSL_EAL(rm) + 3 * QSL_UL(rm);
        for (int e = kin_first[m]; e < kin_first[m + 1]; e++) {
            const qsl_root *rh = &roots[ridx[kin[e]]];
            /* oms / c: c is uin + (utab + uin + 2) */
            double Eah = QSL_EAL(rh), ul = QSL_UL(rh);
            ey[rh->level] += (rh->level < NPL ? (2 * uin_l + utab_l + 3) * rl
                                               : 2 * uin + utab + 3) +
                             Eah + (Eah + ul) + 6 * ul;
        }
        for (int j = 0; j <= L; j++)
            tot += ey[j];
        if (tot > Emax)
            Emax = tot;
    }
    /* the chunks */
    long double Z = 0;
    double Asz[KF_QSL_LOW + 1];           /* the partial sums' sizes by level */
    for (int k = 0; k <= L; k++)
        Asz[k] = 0;
    for (int c = 0; c < nc; c++)
        on[c] = off[c] = 0;
    for (int c = 0; c < nc; c++)
        onl[c] = offl[c] = 0;
    for (unsigned long hs = 0; hs < 1UL << H; hs++) {
        for (int c = 0; c < nc; c++)
            QHl[c] = 1;
        long double wh = 1;
        for (int j = 0; j < H; j++)
            if (hs >> j & 1) {
                wh *= ml;
                for (int k = hp_first[j]; k < hp_first[j + 1]; k++)
                    QHl[hp[k]] *= QSL_Q(hp[k], L + j);
            }
        for (int c = 0; c < nc; c++)
            QH[c] = (double)QHl[c];
        /* top-down, the roots from the highest level (they are sorted by
         * level, lowest first) */
        W[L][0] = (double)wh;
        for (int i = nr - 1, j = L; j >= 0; j--) {
            size_t n = (size_t)1 << (L - j);
            if (j < L && j >= NPL)
                qsl_expand(W[j], W[j + 1], n / 2);
            else if (j < L)
                QSL_UNROLL
                for (size_t x = 0; x < n / 2; x++)
                    Wl[j][2 * x] = Wl[j][2 * x + 1] = j + 1 < NPL ? Wl[j + 1][x] : W[j + 1][x];
            for (; i >= 0 && roots[i].level == j; i--) {
                const qsl_root *r = &roots[i];
                if (j < NPL)
                    qsl_eval_l(r, &chs[r->e0], QHl, r->in_t ? Wl[j] : NULL, scrl, n);
                else
                    qsl_eval(r, &chs[r->e0], QH, r->in_t ? W[j] : NULL, scr, n);
            }
        }
        /* the terms and the sums bottom-up */
        if (NPL) {
            long double sa = 0;
            QSL_UNROLL
            for (size_t t = 0; t < NL; t++) {
                Sml[0][t] = Wl[0][t] * wlowl[t];
                sa += fabsl(Sml[0][t]);
            }
            Asz[0] += (double)sa;
            for (int j = 0; j + 1 < NPL; j++)
                Asz[j + 1] += qsl_pairs_l(Sml[j + 1], Sml[j], (size_t)1 << (L - j - 1));
            /* the first level in double */
            double sd = 0;
            for (size_t x = 0; x < (size_t)1 << (L - NPL); x++) {
                Sm[NPL][x] = (double)(Sml[NPL - 1][2 * x] + Sml[NPL - 1][2 * x + 1]);
                sd += fabs(Sm[NPL][x]);
            }
            Asz[NPL] += sd;
        } else
            Asz[0] += qsl_leaves(Sm[0], W[0], wlow, awlow, NL);
        for (int j = NPL; j < L; j++) {
            size_t n = (size_t)1 << (L - j - 1);
            Asz[j + 1] += qsl_pairs_a(Sm[j + 1], Sm[j], n);
        }
        Z += Sm[L][0];
        /* present shares, with their partial sums' sizes */
        for (int i = 0; i < nr; i++) {
            const qsl_root *r = &roots[i];
            if (!r->share)
                continue;
            double *sz = EY + (size_t)r->cause * QSL_LV + QSL_AOFF;
            if (r->level < NPL) {
                sz[r->level] += qsl_share_l(yl, r->al, r->igl, Sml[r->level],
                                            (size_t)1 << (L - r->level));
                onl[r->cause] += qsl_tree_l(yl, r->level, QSL_TOPL, L, sz);
            } else if (r->level == L) {
                double x = r->a[0] * r->ig[0] * Sm[L][0];
                sz[L] += fabs(x);
                onl[r->cause] += x;
            } else
                onl[r->cause] += qsl_share2(r->a, r->ig, Sm[r->level],
                                            (size_t)1 << (L - r->level), sz + r->level,
                                            sz + r->level + 1);
        }
        /* slack shares: the sums at the lowest level times the factors
         * there, added pairwise up to the next level that has one */
        for (int k = 0; k < nsl; k++) {
            int m = sl[k], lev = QSL_LEV(ssupp[m]);
            size_t n = (size_t)1 << (L - lev);
            const double *src = lev < NPL ? NULL : Sm[lev];
            int left = 1 + kin_first[m + 1] - kin_first[m], j = lev;
            double *sz = EY + (size_t)m * QSL_LV + QSL_AOFF, asz = -1;
            if (lev < NPL) {
                /* the precise levels first, as below in long double */
                const long double *srcl = Sml[lev];
                for (; j < NPL; j++) {
                    for (int x = -1; x < kin_first[m + 1] - kin_first[m]; x++) {
                        const qsl_root *r = &roots[ridx[x < 0 ? m : kin[kin_first[m] + x]]];
                        if (r->level != j)
                            continue;
                        if (x < 0)
                            qsl_mul_l(yl, srcl, r->igl, n);
                        else {
                            const qsl_chain_t *e = &chs[r->e0 + kin_e[kin_first[m] + x]];
                            qsl_rho_mul_l(yl, srcl, r->al, e->cl, r->igl, r->omp, e->oms, n);
                        }
                        srcl = yl;
                        left--;
                        asz = -1;
                    }
                    assert(srcl == yl);
                    if (asz < 0)
                        asz = qsl_asum_l(yl, n);
                    sz[j] += asz;
                    if (!left) {
                        offl[m] += roots[ridx[m]].omp * qsl_tree_l(yl, j, QSL_TOPL, L, sz);
                        break;
                    }
                    n /= 2;
                    if (j + 1 < NPL)
                        asz = qsl_pairs_l(yl, yl, n);
                    else {
                        /* into double at the first level in double */
                        asz = 0;
                        QSL_UNROLL
                        for (size_t t = 0; t < n; t++) {
                            yv[t] = (double)(yl[2 * t] + yl[2 * t + 1]);
                            asz += fabs(yv[t]);
                        }
                        src = yv;
                    }
                }
                if (!left)
                    continue;
            }
            for (;; j++) {
                for (int x = -1; x < kin_first[m + 1] - kin_first[m]; x++) {
                    const qsl_root *r = &roots[ridx[x < 0 ? m : kin[kin_first[m] + x]]];
                    if (r->level != j)
                        continue;
                    if (x < 0)
                        qsl_mul(yv, src, r->ig, n);
                    else {
                        const qsl_chain_t *e = &chs[r->e0 + kin_e[kin_first[m] + x]];
                        qsl_rho_mul(yv, src, r->a, e->c, r->ig, r->omp, e->oms, n);
                    }
                    src = yv;
                    left--;
                    asz = -1;
                }
                /* the lowest level has one of them (lev is their lowest) */
                assert(src == yv);
                if (asz < 0)
                    asz = qsl_asum(yv, n);
                if (!left) {
                    offl[m] += roots[ridx[m]].omp *
                               (long double)qsl_tree(yv, j, L, asz, sz);
                    break;
                }
                sz[j] += asz;
                n /= 2;
                asz = qsl_pairs_a(yv, yv, n);
            }
        }
    }
#undef QSL_Q
#undef QSL_EA
    for (int c = 0; c < nc; c++) {
        on[c] = (double)onl[c];
        off[c] = (double)offl[c];
    }
    /* the constants: every factor at S = {}, the closed forms of the
     * causes the sums do not follow (as engine_qsv.h) */
    for (int c = 0; c < nc; c++)
        qnd[c] = (double)qneg[c];
    for (int c = 0; c < nc; c++) {
        const kf_cause *k = &kb->causes[c];
        double chain = 1;
        for (int j = 0; j < k->n_keeps; j++)
            chain *= (1 - k->keeps_p[j]) + k->keeps_p[j] * qnd[k->keeps[j]];
        g0[c] = (1 - k->prior) + k->prior * qnd[c] * chain;
    }
    long double logconst = (long double)nn * log1pl(-(long double)kb->leak);
    for (int c = 0; c < nc; c++)
        if (!active[c])
            logconst += logl((long double)g0[c]);
    for (int c = 0; c < nc; c++) {
        /* the present share as pi Q chain / g (1 - (1 - pi) / g cancels) */
        {
            const kf_cause *k = &kb->causes[c];
            double chain = 1;
            for (int j = 0; j < k->n_keeps; j++)
                chain *= (1 - k->keeps_p[j]) + k->keeps_p[j] * qnd[k->keeps[j]];
            cf[c] = k->prior * qnd[c] * chain / g0[c];
        }
        cslack[c] = 0;
        if (kin_first[c] < kin_first[c + 1] && !slackacc[c]) {
            double r = (1 - kb->causes[c].prior) / g0[c];
            for (int e = kin_first[c]; e < kin_first[c + 1]; e++) {
                int h = kin[e], j = kin_e[e];
                const kf_cause *hc = &kb->causes[h];
                double s = hc->keeps_p[j];
                double chain = 1;
                for (int t = 0; t < hc->n_keeps; t++)
                    chain *= t == j ? 1 - s
                                    : (1 - hc->keeps_p[t]) + hc->keeps_p[t] * qnd[hc->keeps[t]];
                r *= ((1 - hc->prior) + hc->prior * qnd[h] * chain) / g0[h];
            }
            cslack[c] = r;
        }
    }
    qsv_w w;
    memset(&w, 0, sizeof w);
    w.nc = nc;
    w.kin_first = kin_first;
    w.active = active;
    w.slackacc = slackacc;
    /* The bounds (first order in u, as the counts; the 1% covers the
     * higher orders).  A rounding made at level k is multiplied by the
     * partial sum it lands in; the sizes were measured on the computed
     * sums, which are off by at most Ktot u Asz[0] each (every count at
     * once against the terms' sizes): eps0 widens every size by that. */
    /* an addition made at level k (1..L): in long double below NPL */
#define QSL_UA(k) ((k) < NPL ? rl : 1.0)
    double u = DBL_EPSILON / 2, Ktot = 2 * (double)L + 4 + Emax;
    for (int k = 0; k <= L; k++)
        Ktot += PhiF[k];
    double eps0 = Ktot * u * Asz[0] * 1.01;
    /* Z: the factors at each level, the additions at levels 1..L, the
     * chunks' sum */
    double bz = Asz[L] + eps0;
    for (int k = 0; k <= L; k++)
        bz += PhiF[k] * (Asz[k] + eps0) + (k ? QSL_UA(k) * (Asz[k] + eps0) : 0);
    double dz = bz * u * 1.01;
    for (int c = 0; c < nc; c++) {
        double *sz = EY + (size_t)c * QSL_LV + QSL_AOFF, *ey = EY + (size_t)c * QSL_LV;
        int lev;
        if (active[c] && kin_first[c] == kin_first[c + 1])
            lev = roots[ridx[c]].level;   /* a present share: at its root's level */
        else if (slackacc[c])
            lev = QSL_LEV(ssupp[c]);      /* a slack share: at its lowest level */
        else {
            Eown[c] = 0;                  /* a closed form: exact */
            continue;
        }
        /* the highest level its sizes were measured at (above, they are
         * at most those): one above its last weight's, or the first one
         * above the precise levels (QSL_TOPL) when that weight is there */
        int top = lev;
        if (slackacc[c])
            for (int e = kin_first[c]; e < kin_first[c + 1]; e++)
                if (roots[ridx[kin[e]]].level > top)
                    top = roots[ridx[kin[e]]].level;
        int lastw = top;
        top = top < NPL ? QSL_TOPL : top < L ? top + 1 : L;
        /* below its level: the sums it reads (its weights are at most 1);
         * from there: every level's factors and its own roundings against
         * its own partial sums, and their additions */
        double b = Eown[c] * (sz[lev] + eps0);
        for (int k = 0; k < lev; k++)
            b += PhiF[k] * (Asz[k] + eps0) + (k ? QSL_UA(k) * (Asz[k] + eps0) : 0);
        b += lev ? QSL_UA(lev) * (Asz[lev] + eps0) : 0;   /* the addition that made Sm[lev] */
        for (int k = lev; k <= L; k++) {
            double szk = sz[k <= top ? k : top] + eps0;
            b += (PhiF[k] + ey[k]) * szk + (k > lev && k <= top ? QSL_UA(k) * szk : 0);
        }
        /* the plain sum above top (in long double when its last weight
         * was at a precise level), the chunks' sum, 1 - prior */
        b += ((lastw < NPL ? QSL_SUMUL(top - 1, L) * rl
                             : QSL_SUMU(top - 1 < lev ? lev : top - 1, L)) + 2) *
             (sz[top] + eps0);
        Eown[c] = b * u * 1.01;
    }
#undef QSL_LEV
#undef QSL_UA
#undef QSL_TOPL
#undef QSL_EAX
#undef QSL_EAL
#undef QSL_UL
    if (npl_next) {
        int want = 0;
        for (int k = 0; k <= L; k++)
            if (!(Asz[k] <= QSL_RETRY_RATIO * (double)Z))
                want = k + 1;
        *npl_next = want > L - 2 ? (L > 2 ? L - 2 : 0) : want;
        /* in long double a level is 2^11 times more precise: past that
         * ratio at level 0 no number of precise levels would certify */
        if (!(Asz[0] <= QSL_RETRY_RATIO / rl * (double)Z))
            *npl_next = 0;
    }
    qsl_finish(kb, &w, (double)Z, dz, Eown, on, off, cf, cslack, logconst, post, lo, hi, logpe,
               zerr);
    err = KF_OK;
out:
    kf_free(qb);
    kf_free(ints);
    kf_free(masks);
    kf_free(flags);
    kf_free(dbl);
    kf_free(EY);
    kf_free(roots);
    kf_free(chs);
    kf_free(vm);
    kf_free(vl);
    return err;
}
