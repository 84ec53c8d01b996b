/*
 * engine_dp.h — the exact posterior of engine.c's model by a sum with no
 * cancellation (included by engine.c; static functions only).
 *
 * The state is the set s of present findings already produced.  Roots are
 * taken one at a time; a root that is on produces each still-missing
 * present finding f it links to with its strength p ("fires" f: mass moves
 * from s to s+f with p, stays with 1-p) and multiplies by 1-p for each absent
 * finding it links to.  A habit that is on then lets each chain to a kept
 * muscle fire with the chain's strength, and a fired chain fires the
 * muscle's links.  A finding is "open" from the first step that can fire
 * it to the last; after its last step nothing but the leak can make it,
 * so its bit leaves the state (a fold: mass without it is weighted by
 * leak, mass with it joins it) and its slot is free for a finding that
 * opens later.  So the state holds only the open findings, and the steps
 * are ordered to keep few open (greedily, counting the forks below):
 * P(E) = v_end(empty set) (1-leak)^|N|.  Every number is a sum of products
 * of probabilities, so double precision loses only ~1e-13 over the whole
 * computation (no alternating signs, unlike Quickscore's sum).  Cost: per
 * fired link, 2^(open findings) at that step, instead of 2^|P| (on the
 * article case with 10 present findings, at most 8 open and most steps far
 * fewer: 4.6M instructions for the consultation where the full state took
 * 11.0M), once forward, once backward, and once for each fork live there.
 *
 * Marginals: the backward vectors A_k (what follows step k, transposed, at
 * step k's length) are stored; the forward pass gives P(root k on, E) =
 * <on-branch of step k applied to v_k, A_k>.  A muscle is slack when its
 * own root is off and every chain to it is off: a fork of the forward
 * vector, taken at the first step that holds one of the muscle's sources,
 * runs those steps with the sources forced off and meets A at its last
 * source.
 */

/* One step: a root that some present finding depends on. */
typedef struct {
    int cause;
    int a_first, a_n;         /* its own fired links: dp_f[], dp_p[] */
    int c_first, c_n;         /* its chains (habits): dp_cm[], dp_cs[], dp_cf[], dp_cn[] */
} dp_step;

typedef struct {
    int np, K;
    size_t N;
    dp_step *st;
    int *f;  double *p;       /* fired links: finding bit, strength */
    int *cm; double *cs;      /* chain: muscle, strength */
    double *cq;               /* chain: product over the negatives of the muscle's links */
    int *cf, *cn;             /* chain: the muscle's fired links (index into f/p), count */
    double *qneg;             /* per cause: product over its absent findings of 1-p */
} dp_plan;

/* The vectors' loops, four doubles at a time (GCC's and Clang's vector
 * extension: two SSE2 operations on plain x86-64, one AVX operation where
 * the processor has it (DP_CLONES), NEON on arm64, plain code elsewhere).
 * Each lane does what the scalar loop did, operation for operation (no
 * fused multiply-add), so the numbers are the same to the bit on every
 * machine.  N is a power of two; the short strides (bits 0 and 1) and
 * N < 4 take their own loops. */
typedef double dp_v4 __attribute__((vector_size(32), aligned(8), may_alias));
typedef double dp_v2 __attribute__((vector_size(16), aligned(8), may_alias));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(KF_NO_CLONES)
#define DP_CLONES __attribute__((target_clones("avx", "default")))
/* the programme's own loops over its 2^(open findings) entries, unrolled
 * (GCC's unroll-loops: each entry's operations and every sum's order the
 * same; the loop's count and branch shared by two or more vectors): the
 * article case the programme answers ~8% fewer instructions.  Not for
 * the loops engine_qsv.h shares, whose vectors of 2-32 entries the
 * unrolled prologues made slower. */
#define DP_CLONES_U __attribute__((target_clones("avx", "default"), optimize("unroll-loops")))
#else
#define DP_CLONES
#define DP_CLONES_U
#endif

/* unaligned loads and stores of 4 and 2 doubles */
#define dp_ld(p) (*(const dp_v4 *)(const void *)(p))
#define dp_st(p, x) (*(dp_v4 *)(void *)(p) = (x))
#define dp_ld2(p) (*(const dp_v2 *)(const void *)(p))
#define dp_st2(p, x) (*(dp_v2 *)(void *)(p) = (x))
/* lanes (0, 0, 2, 2) and (1, 1, 3, 3) of a vector: GCC's __builtin_shuffle
 * takes an index vector, Clang's __builtin_shufflevector the indices (the
 * fuzz harnesses are built with Clang) */
#if defined(__clang__)
#define dp_even(y) __builtin_shufflevector((y), (y), 0, 0, 2, 2)
#define dp_odd(y) __builtin_shufflevector((y), (y), 1, 1, 3, 3)
#else
typedef long long dp_i4 __attribute__((vector_size(32)));
#define dp_even(y) __builtin_shuffle((y), (dp_i4){ 0, 0, 2, 2 })
#define dp_odd(y) __builtin_shuffle((y), (dp_i4){ 1, 1, 3, 3 })
#endif

/* w = v: a loop of vector loads and stores rather than memcpy, whose
 * string instructions (rep movsb) count once per byte under callgrind and
 * are no faster on vectors this size; the empty asm keeps the compiler
 * from turning the loop back into a call to memcpy */
DP_CLONES static void dp_copy(double *restrict w, const double *restrict v, size_t N)
{
    size_t x = 0;
    for (; x + 4 <= N; x += 4) {
        dp_st(w + x, dp_ld(v + x));
        __asm__ volatile("" ::: "memory");
    }
    for (; x < N; x++)
        w[x] = v[x];
}

/* dp_copy unrolled, for the programme's own vectors (its 2^(open
 * findings) entries); the vectors of engine_qsv.h keep the plain one */
DP_CLONES_U static void dp_copy_u(double *restrict w, const double *restrict v, size_t N)
{
    size_t x = 0;
    for (; x + 4 <= N; x += 4) {
        dp_st(w + x, dp_ld(v + x));
        __asm__ volatile("" ::: "memory");
    }
    for (; x < N; x++)
        w[x] = v[x];
}

/* v[x] *= c */
DP_CLONES_U static void dp_scale(double *restrict v, size_t N, double c)
{
    dp_v4 cv = { c, c, c, c };
    size_t x = 0;
    for (; x + 4 <= N; x += 4)
        dp_st(v + x, dp_ld(v + x) * cv);
    for (; x < N; x++)
        v[x] *= c;
}

/* w[x] = a w[x] + b u[x] */
DP_CLONES_U static void dp_mix(double *restrict w, const double *restrict u, size_t N, double a,
                             double b)
{
    dp_v4 av = { a, a, a, a }, bv = { b, b, b, b };
    size_t x = 0;
    for (; x + 4 <= N; x += 4)
        dp_st(w + x, av * dp_ld(w + x) + bv * dp_ld(u + x));
    for (; x < N; x++)
        w[x] = a * w[x] + b * u[x];
}

/* Fires bit `bit` with strength p: mass at s moves to s + bit with p. */
DP_CLONES_U static void dp_fire(double *restrict v, size_t N, int bit, double p)
{
    size_t b = (size_t)1 << bit;
    double q = 1 - p;
    if (b == 1) {
        /* pairs (x0, x1) -> (q x0, x1 + p x0), four lanes at a time: the
         * even lanes repeated, v (q, 1, q, 1) + even (0, p, 0, p), which
         * is each lane's scalar result to the bit (q x0 + 0, 1 x1 + p x0) */
        dp_v4 a = { q, 1, q, 1 }, c = { 0, p, 0, p };
        size_t x = 0;
        for (; x + 4 <= N; x += 4) {
            dp_v4 y = dp_ld(v + x);
            dp_st(v + x, a * y + c * dp_even(y));
        }
        for (; x + 2 <= N; x += 2) {
            double x0 = v[x];
            v[x + 1] += p * x0;
            v[x] = q * x0;
        }
        return;
    }
    if (b == 2) {
        dp_v2 pv = { p, p }, qv = { q, q };
        for (size_t x = 0; x + 4 <= N; x += 4) {
            dp_v2 lo = dp_ld2(v + x);
            dp_st2(v + x + 2, dp_ld2(v + x + 2) + pv * lo);
            dp_st2(v + x, qv * lo);
        }
        return;
    }
    dp_v4 pv = { p, p, p, p }, qv = { q, q, q, q };
    for (size_t hi = 0; hi < N; hi += 2 * b) {
        double *restrict lo = v + hi, *restrict up = v + hi + b;
        for (size_t i = 0; i < b; i += 4) {
            dp_v4 x = dp_ld(lo + i);
            dp_st(up + i, dp_ld(up + i) + pv * x);
            dp_st(lo + i, qv * x);
        }
    }
}

/* Its transpose: v[s] = q v[s] + p v[s + bit] for s without the bit. */
DP_CLONES_U static void dp_fire_t(double *restrict v, size_t N, int bit, double p)
{
    size_t b = (size_t)1 << bit;
    double q = 1 - p;
    if (b == 1) {
        /* (x0, x1) -> (q x0 + p x1, x1): v (q, 1, q, 1) + odd (p, 0, p, 0) */
        dp_v4 a = { q, 1, q, 1 }, c = { p, 0, p, 0 };
        size_t x = 0;
        for (; x + 4 <= N; x += 4) {
            dp_v4 y = dp_ld(v + x);
            dp_st(v + x, a * y + c * dp_odd(y));
        }
        for (; x + 2 <= N; x += 2)
            v[x] = q * v[x] + p * v[x + 1];
        return;
    }
    if (b == 2) {
        dp_v2 pv = { p, p }, qv = { q, q };
        for (size_t x = 0; x + 4 <= N; x += 4)
            dp_st2(v + x, qv * dp_ld2(v + x) + pv * dp_ld2(v + x + 2));
        return;
    }
    dp_v4 pv = { p, p, p, p }, qv = { q, q, q, q };
    for (size_t hi = 0; hi < N; hi += 2 * b) {
        double *restrict lo = v + hi, *restrict up = v + hi + b;
        for (size_t i = 0; i < b; i += 4)
            dp_st(lo + i, qv * dp_ld(lo + i) + pv * dp_ld(up + i));
    }
}

/* dp_fire and dp_fire_t out of place: d = the bit fired on s (d and s of
 * length N, apart), each entry the same operations in the same order as
 * the in-place loops above, so the same to the bit as dp_copy(d, s) then
 * dp_fire(d): one pass over the vector instead of two (dp_on's copies
 * were ~8% of an article case the sum without cancellation answers). */
DP_CLONES_U static void dp_fire_o(double *restrict d, const double *restrict s, size_t N, int bit,
                                double p)
{
    size_t b = (size_t)1 << bit;
    double q = 1 - p;
    if (b == 1) {
        dp_v4 a = { q, 1, q, 1 }, c = { 0, p, 0, p };
        size_t x = 0;
        for (; x + 4 <= N; x += 4) {
            dp_v4 y = dp_ld(s + x);
            dp_st(d + x, a * y + c * dp_even(y));
        }
        for (; x + 2 <= N; x += 2) {
            double x0 = s[x];
            d[x + 1] = s[x + 1] + p * x0;
            d[x] = q * x0;
        }
        return;
    }
    if (b == 2) {
        dp_v2 pv = { p, p }, qv = { q, q };
        for (size_t x = 0; x + 4 <= N; x += 4) {
            dp_v2 lo = dp_ld2(s + x);
            dp_st2(d + x + 2, dp_ld2(s + x + 2) + pv * lo);
            dp_st2(d + x, qv * lo);
        }
        return;
    }
    dp_v4 pv = { p, p, p, p }, qv = { q, q, q, q };
    for (size_t hi = 0; hi < N; hi += 2 * b) {
        const double *restrict lo = s + hi, *restrict up = s + hi + b;
        double *restrict dlo = d + hi, *restrict dup = d + hi + b;
        for (size_t i = 0; i < b; i += 4) {
            dp_v4 x = dp_ld(lo + i);
            dp_st(dup + i, dp_ld(up + i) + pv * x);
            dp_st(dlo + i, qv * x);
        }
    }
}

DP_CLONES_U static void dp_fire_t_o(double *restrict d, const double *restrict s, size_t N, int bit,
                                  double p)
{
    size_t b = (size_t)1 << bit;
    double q = 1 - p;
    if (b == 1) {
        dp_v4 a = { q, 1, q, 1 }, c = { p, 0, p, 0 };
        size_t x = 0;
        for (; x + 4 <= N; x += 4) {
            dp_v4 y = dp_ld(s + x);
            dp_st(d + x, a * y + c * dp_odd(y));
        }
        for (; x + 2 <= N; x += 2) {
            d[x] = q * s[x] + p * s[x + 1];
            d[x + 1] = s[x + 1];
        }
        return;
    }
    if (b == 2) {
        dp_v2 pv = { p, p }, qv = { q, q };
        for (size_t x = 0; x + 4 <= N; x += 4) {
            dp_st2(d + x, qv * dp_ld2(s + x) + pv * dp_ld2(s + x + 2));
            dp_st2(d + x + 2, dp_ld2(s + x + 2));
        }
        return;
    }
    dp_v4 pv = { p, p, p, p }, qv = { q, q, q, q };
    for (size_t hi = 0; hi < N; hi += 2 * b) {
        const double *restrict lo = s + hi, *restrict up = s + hi + b;
        double *restrict dlo = d + hi, *restrict dup = d + hi + b;
        for (size_t i = 0; i < b; i += 4) {
            dp_v4 y = dp_ld(up + i);
            dp_st(dlo + i, qv * dp_ld(lo + i) + pv * y);
            dp_st(dup + i, y);
        }
    }
}

/* Closes bit `bit` (its finding has no parent left): the leak makes it when
 * no parent did, so mass at s moves to s without the bit, and mass without
 * it is weighted by leak: v[s] = leak v[s] + v[s + bit]; v[s + bit] = 0. */
DP_CLONES_U static void dp_fold(double *restrict v, size_t N, int bit, double leak)
{
    size_t b = (size_t)1 << bit;
    if (b < 4) {
        for (size_t hi = 0; hi < N; hi += 2 * b)
            for (size_t i = 0; i < b; i++) {
                v[hi + i] = leak * v[hi + i] + v[hi + b + i];
                v[hi + b + i] = 0;
            }
        return;
    }
    dp_v4 lv = { leak, leak, leak, leak }, z = { 0, 0, 0, 0 };
    for (size_t hi = 0; hi < N; hi += 2 * b) {
        double *restrict lo = v + hi, *restrict up = v + hi + b;
        for (size_t i = 0; i < b; i += 4) {
            dp_st(lo + i, lv * dp_ld(lo + i) + dp_ld(up + i));
            dp_st(up + i, z);
        }
    }
}

/* Its transpose: v[s + bit] = v[s]; v[s] = leak v[s] for s without the bit. */
DP_CLONES_U static void dp_fold_t(double *restrict v, size_t N, int bit, double leak)
{
    size_t b = (size_t)1 << bit;
    if (b < 4) {
        for (size_t hi = 0; hi < N; hi += 2 * b)
            for (size_t i = 0; i < b; i++) {
                double x = v[hi + i];
                v[hi + b + i] = x;
                v[hi + i] = leak * x;
            }
        return;
    }
    dp_v4 lv = { leak, leak, leak, leak };
    for (size_t hi = 0; hi < N; hi += 2 * b) {
        double *restrict lo = v + hi, *restrict up = v + hi + b;
        for (size_t i = 0; i < b; i += 4) {
            dp_v4 x = dp_ld(lo + i);
            dp_st(up + i, x);
            dp_st(lo + i, lv * x);
        }
    }
}

/* The on-branch of step k applied to `in` (length N), into `w` (u:
 * scratch).  skip: the muscle whose chain is forced off (-1 for none). */
static void dp_on(const dp_plan *P, int k, const double *in, double *w, double *u, size_t N,
                  int skip, bool transpose)
{
    const dp_step *st = &P->st[k];
    /* the first firing copies as it goes (dp_fire_o) */
    if (st->a_n)
        (transpose ? dp_fire_t_o : dp_fire_o)(w, in, N, P->f[st->a_first], P->p[st->a_first]);
    else
        dp_copy_u(w, in, N);
    for (int i = 1; i < st->a_n; i++)
        (transpose ? dp_fire_t : dp_fire)(w, N, P->f[st->a_first + i], P->p[st->a_first + i]);
    for (int j = 0; j < st->c_n; j++) {
        int e = st->c_first + j;
        double s = P->cs[e];
        if (P->cm[e] == skip) {
            dp_scale(w, N, 1 - s);
            continue;
        }
        if (!P->cn[e]) {             /* the muscle fires no present finding */
            dp_scale(w, N, (1 - s) + s * P->cq[e]);
            continue;
        }
        (transpose ? dp_fire_t_o : dp_fire_o)(u, w, N, P->f[P->cf[e]], P->p[P->cf[e]]);
        for (int i = 1; i < P->cn[e]; i++)
            (transpose ? dp_fire_t : dp_fire)(u, N, P->f[P->cf[e] + i], P->p[P->cf[e] + i]);
        dp_mix(w, u, N, 1 - s, s * P->cq[e]);
    }
}

/* v <- step k applied to v (length N).  own_off: the root is forced off
 * (its weight 1-pi). */
static void dp_apply(const dp_plan *P, const kf_kb *kb, int k, double *v, double *w, double *u,
                     size_t N, int skip, bool own_off, bool transpose)
{
    const dp_step *st = &P->st[k];
    double pi = kb->causes[st->cause].prior;
    if (own_off) {
        dp_scale(v, N, 1 - pi);
        return;
    }
    dp_on(P, k, v, w, u, N, skip, transpose);
    dp_mix(v, w, N, 1 - pi, pi * P->qneg[st->cause]);
}

/* Four partial sums (by index mod 4): every product is >= 0, so the order
 * changes the sum only by rounding. */
DP_CLONES static double dp_dot(const double *a, const double *b, size_t N)
{
    dp_v4 sv = { 0, 0, 0, 0 };
    size_t x = 0;
    for (; x + 4 <= N; x += 4)
        sv += dp_ld(a + x) * dp_ld(b + x);
    double s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    for (; x < N; x++)
        s += a[x] * b[x];
    return s;
}

/* dp_dot unrolled, for the programme's own vectors (as dp_copy_u) */

DP_CLONES_U static double dp_dot_u(const double *a, const double *b, size_t N)
{
    dp_v4 sv = { 0, 0, 0, 0 };
    size_t x = 0;
    for (; x + 4 <= N; x += 4)
        sv += dp_ld(a + x) * dp_ld(b + x);
    double s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    for (; x < N; x++)
        s += a[x] * b[x];
    return s;
}

/* The exact posterior over positives pos[0..np) and negatives neg[0..nn):
 * post/lo/hi for every cause, *logpe = log P(E). */
/* The keepers of each muscle, by a counting sort: the habits h that keep
 * muscle m tight are kin[kin_first[m] .. kin_first[m + 1]), each with the
 * index of that edge in h's keeps (kin_e).  kin_first has nc + 1 entries,
 * fill nc (scratch); kin and kin_e one per keeps edge.  Engine_qsl.h uses
 * it too. */
static void keepers_index(const kf_kb *kb, int *kin_first, int *fill, int *kin, int *kin_e)
{
    int nc = kb->n_causes;
    for (int m = 0; m <= nc; m++)
        kin_first[m] = 0;
    for (int h = 0; h < nc; h++)
        for (int j = 0; j < kb->causes[h].n_keeps; j++)
            kin_first[kb->causes[h].keeps[j] + 1]++;
    for (int m = 0; m < nc; m++)
        kin_first[m + 1] += kin_first[m];
    for (int m = 0; m < nc; m++)
        fill[m] = kin_first[m];
    for (int h = 0; h < nc; h++)
        for (int j = 0; j < kb->causes[h].n_keeps; j++) {
            int m = kb->causes[h].keeps[j], at = fill[m]++;
            kin[at] = h;
            kin_e[at] = j;
        }
}

static kf_err dp_posterior(const kf_kb *kb, const int *pos, int np, const int *neg, int nn,
                           double *post, double *lo, double *hi, long double *logpe)
{
    int nc = kb->n_causes;
    kf_err err = KF_ENOMEM;
    dp_plan P;
    memset(&P, 0, sizeof P);
    P.np = np;
    if (np > 30)
        return KF_EINVAL;
    int nlink = 0, nchain = 0;
    for (int c = 0; c < nc; c++) {
        nlink += kb->causes[c].n_links;
        nchain += kb->causes[c].n_keeps;
    }
    /* int scratch, by cause (nc + 1 each unless said) */
    int *ib = kf_malloc((13 * (size_t)(nc + 1) + 2 * (size_t)(nchain + 1) + 6 * (size_t)(np + 1) +
                         8) * sizeof *ib);
    int *fl_first = ib, *fl_n = fl_first + nc + 1, *order = fl_n + nc + 1;
    int *stepof = order + nc + 1, *kin_first = stepof + nc + 1;   /* kin_first: nc + 2 */
    int *fa = kin_first + nc + 2, *fb = fa + nc + 1, *fork_of = fb + nc + 1;
    unsigned *touch = (unsigned *)(fork_of + nc + 1);
    int *first = (int *)(touch + nc + 1), *last = first + np + 1, *slot = last + np + 1;
    int *rem = slot + np + 1, *fill = rem + np + 1;
    size_t *len = (size_t *)kf_malloc(2 * (size_t)(nc + 1) * sizeof *len), *aoff = len ? len + nc + 1 : NULL;
    unsigned *closing = kf_malloc((size_t)(nc + 1) * sizeof *closing);
    int *kin = fill + nc + 1 + 4, *kin_e = kin + nchain + 1;
    bool *active = kf_calloc(2 * (size_t)nc + 2, sizeof *active), *placed = active ? active + nc + 1 : NULL;
    double *db = kf_calloc(3 * (size_t)nc + 3, sizeof *db);
    double *cfac = db, *onm = db ? db + nc + 1 : NULL, *slack = db ? db + 2 * (nc + 1) : NULL;
    P.st = kf_malloc((size_t)(nc + 1) * sizeof *P.st);
    P.f = kf_malloc((size_t)(nlink + 1) * sizeof *P.f);
    P.p = kf_malloc((size_t)(nlink + 1) * sizeof *P.p);
    P.cm = kf_malloc((size_t)(nchain + 1) * sizeof *P.cm);
    P.cs = kf_malloc((size_t)(nchain + 1) * sizeof *P.cs);
    P.cq = kf_malloc((size_t)(nchain + 1) * sizeof *P.cq);
    P.cf = kf_malloc((size_t)(nchain + 1) * sizeof *P.cf);
    P.cn = kf_malloc((size_t)(nchain + 1) * sizeof *P.cn);
    P.qneg = kf_malloc((size_t)(nc + 1) * sizeof *P.qneg);
    double *A = NULL, *v = NULL, *forks = NULL;
    if (!ib || !len || !closing || !active || !db || !P.st || !P.f || !P.p || !P.cm || !P.cs ||
        !P.cq || !P.cf || !P.cn || !P.qneg)
        goto out;
    for (int c = 0; c < nc; c++)
        P.qneg[c] = 1;
    for (int i = 0; i < nn; i++)
        for (int k = kb->flink_first[neg[i]]; k < kb->flink_first[neg[i] + 1]; k++)
            P.qneg[kb->links[kb->flink[k]].cause] *= 1 - kb->links[kb->flink[k]].p;
    /* fired links of every cause, in finding order; touch: the bits its
     * step fires (its own links, and its chains' muscles' links) */
    int nf = 0;
    for (int c = 0; c < nc; c++) {
        const kf_cause *k = &kb->causes[c];
        fl_first[c] = nf;
        touch[c] = 0;
        for (int i = 0; i < np; i++)
            for (int l = 0; l < k->n_links; l++)
                if (kb->links[k->links[l]].finding == pos[i]) {
                    P.f[nf] = i;
                    P.p[nf] = kb->links[k->links[l]].p;
                    touch[c] |= 1u << i;
                    nf++;
                }
        fl_n[c] = nf - fl_first[c];
        active[c] = fl_n[c] > 0;
    }
    for (int h = 0; h < nc; h++)
        for (int j = 0; j < kb->causes[h].n_keeps; j++) {
            int m = kb->causes[h].keeps[j];
            if (fl_n[m]) {
                active[h] = true;
                touch[h] |= touch[m];
            }
        }
    /* keepers of each muscle */
    keepers_index(kb, kin_first, fill, kin, kin_e);
    /* constant factors of the roots no present finding depends on */
    for (int c = 0; c < nc; c++) {
        const kf_cause *k = &kb->causes[c];
        double chain = 1;
        for (int j = 0; j < k->n_keeps; j++)
            chain *= (1 - k->keeps_p[j]) + k->keeps_p[j] * P.qneg[k->keeps[j]];
        cfac[c] = (1 - k->prior) + k->prior * P.qneg[c] * chain;
    }
    /* The steps commute, so any order gives the same sums (to rounding).
     * A bit is open from the first step that fires it to the last; only
     * the open bits are in the state (a closed bit's finding is made by
     * the leak or was made already: a fold), so the order is chosen
     * greedily to keep few bits open: each time the step that leaves the
     * fewest open, then the one that opens the fewest, then the lowest
     * cause. */
    int K = 0;
    for (int i = 0; i < np; i++)
        rem[i] = 0;
    for (int c = 0; c < nc; c++)
        if (active[c]) {
            K++;
            for (int i = 0; i < np; i++)
                rem[i] += touch[c] >> i & 1;
        }
    if (np <= 6) {
        /* few bits: the frontier matters little, and this order is cheap
         * to make: roots outside every chain, then each active habit
         * followed by the muscles all of whose active keepers have come
         * (short forks) */
        int k2 = 0;
        for (int c = 0; c < nc; c++)
            if (active[c] && !kb->causes[c].n_keeps && kin_first[c] == kin_first[c + 1]) {
                order[k2++] = c;
                placed[c] = true;
            }
        for (int h = 0; h < nc; h++) {
            if (!kb->causes[h].n_keeps || !active[h])
                continue;
            order[k2++] = h;
            placed[h] = true;
            for (int m = 0; m < nc; m++) {
                if (placed[m] || !active[m] || kb->causes[m].n_keeps ||
                    kin_first[m] == kin_first[m + 1])
                    continue;
                bool ready = true;
                for (int e = kin_first[m]; e < kin_first[m + 1]; e++)
                    ready &= !active[kin[e]] || placed[kin[e]];
                if (ready) {
                    order[k2++] = m;
                    placed[m] = true;
                }
            }
        }
        for (int c = 0; c < nc; c++)
            if (active[c] && !placed[c]) {
                order[k2++] = c;
                placed[c] = true;
            }
    } else {
        /* forks: a muscle with keepers is forked from its first source
         * step to its last, and a live fork costs a step's work again, so
         * the cost of a step is its length times one plus the forks live
         * during it; nsrc: a muscle's active sources, got: placed */
        int *nsrc = fork_of, *got = fill;
        for (int m = 0; m < nc; m++) {
            nsrc[m] = got[m] = 0;
            if (kin_first[m] == kin_first[m + 1])
                continue;
            nsrc[m] = active[m];
            for (int e = kin_first[m]; e < kin_first[m + 1]; e++)
                nsrc[m] += active[kin[e]];
        }
        unsigned open = 0, single = 0;
        int live = 0;
        for (int i = 0; i < np; i++)
            if (rem[i] == 1)
                single |= 1u << i;
        for (int s = 0; s < K; s++) {
            int best = -1, bl = 0, bo = 0;
            double bcost = 0;
            for (int c = 0; c < nc; c++) {
                if (!active[c] || placed[c])
                    continue;
                unsigned during = open | touch[c];
                int o = kf_popcount32(during & ~(touch[c] & single));
                /* forks live during this step, and after it */
                int ld = live, la = live;
                const kf_cause *kc = &kb->causes[c];
                for (int j = -1; j < kc->n_keeps; j++) {
                    int m = j < 0 ? c : kc->keeps[j];
                    if (!nsrc[m])
                        continue;
                    if (got[m] == 0) {
                        ld++;
                        la++;
                    }
                    if (got[m] + 1 == nsrc[m])
                        la--;
                }
                double cost = (double)(1 + ld) * (double)(1u << kf_popcount32(during)) +
                              (double)(1 + la) * (double)(1u << o);
                if (best < 0 || cost < bcost || (cost == bcost && (la < bl || (la == bl && o < bo)))) {
                    best = c;
                    bcost = cost;
                    bl = la;
                    bo = o;
                }
            }
            placed[best] = true;
            order[s] = best;
            live = bl;
            const kf_cause *kb_ = &kb->causes[best];
            for (int j = -1; j < kb_->n_keeps; j++) {
                int m = j < 0 ? best : kb_->keeps[j];
                if (nsrc[m])
                    got[m]++;
            }
            open |= touch[best];
            for (int i = 0; i < np; i++)
                if (touch[best] >> i & 1) {
                    if (--rem[i] == 0)
                        open &= ~(1u << i);
                    else if (rem[i] == 1)
                        single |= 1u << i;
                }
        }
    }
    /* each bit's first and last step, its slot (the lowest free when it
     * opens), and each step's vector length: 2^(highest slot in use + 1) */
    for (int i = 0; i < np; i++)
        first[i] = last[i] = -1;
    for (int k = 0; k < K; k++)
        for (int i = 0; i < np; i++)
            if (touch[order[k]] >> i & 1) {
                if (first[i] < 0)
                    first[i] = k;
                last[i] = k;
            }
    long double lc = (long double)nn * log1pl(-(long double)kb->leak);
    for (int i = 0; i < np; i++)
        if (first[i] < 0)
            lc += logl((long double)kb->leak);     /* no parent: the leak's factor */
    size_t maxlen = 1, total = 0;
    {
        unsigned used = 0;
        for (int k = 0; k < K; k++) {
            for (int i = 0; i < np; i++)
                if (first[i] == k) {
                    int sl = __builtin_ctz(~used);
                    slot[i] = sl;
                    used |= 1u << sl;
                }
            int top = 31 - __builtin_clz(used | 1);
            len[k] = (size_t)2 << top;
            if (len[k] > maxlen)
                maxlen = len[k];
            aoff[k] = total;
            total += len[k];
            closing[k] = 0;
            for (int i = 0; i < np; i++)
                if (last[i] == k) {
                    closing[k] |= 1u << slot[i];
                    used &= ~(1u << slot[i]);
                }
        }
    }
    for (int x = 0; x < nf; x++)
        P.f[x] = slot[P.f[x]];
    for (int c = 0; c < nc; c++)
        stepof[c] = -1;
    int ne = 0;
    for (int k = 0; k < K; k++) {
        int c = order[k];
        const kf_cause *kc = &kb->causes[c];
        stepof[c] = k;
        P.st[k].cause = c;
        P.st[k].a_first = fl_first[c];
        P.st[k].a_n = fl_n[c];
        P.st[k].c_first = ne;
        for (int j = 0; j < kc->n_keeps; j++) {
            int m = kc->keeps[j];
            P.cm[ne] = m;
            P.cs[ne] = kc->keeps_p[j];
            P.cq[ne] = P.qneg[m];
            P.cf[ne] = fl_first[m];
            P.cn[ne] = fl_n[m];
            ne++;
        }
        P.st[k].c_n = ne - P.st[k].c_first;
    }
    P.K = K;
    P.N = maxlen;
    /* the fork of each muscle with keepers: from its first source step to
     * its last */
    int maxlive = 0;
    for (int m = 0; m < nc; m++) {
        fa[m] = fb[m] = -1;
        if (kin_first[m] == kin_first[m + 1])
            continue;
        int a = stepof[m], b = stepof[m];
        for (int e = kin_first[m]; e < kin_first[m + 1]; e++) {
            int s = stepof[kin[e]];
            if (s >= 0 && (a < 0 || s < a))
                a = s;
            if (s > b)
                b = s;
        }
        fa[m] = a;
        fb[m] = b;
    }
    for (int k = 0; k < K; k++) {
        int live = 0;
        for (int m = 0; m < nc; m++)
            live += fa[m] >= 0 && fa[m] <= k && k <= fb[m];
        if (live > maxlive)
            maxlive = live;
    }
    A = kf_malloc((total + 1) * sizeof *A);
    v = kf_malloc(4 * maxlen * sizeof *v);
    forks = kf_malloc((size_t)(maxlive + 1) * maxlen * sizeof *forks);
    size_t *fork_len = kf_malloc((size_t)(maxlive + 1) * sizeof *fork_len);
    if (!A || !v || !forks || !fork_len) {
        kf_free(fork_len);
        goto out;
    }
    double *w = v + maxlen, *u = w + maxlen, *bv = u + maxlen;
    double leak = kb->leak;
    /* backward: A[k] = what follows step k (its folds, then the steps after
     * it), transposed, at step k's length */
    for (int k = K - 1; k >= 0; k--) {
        double *Ak = A + aoff[k];
        size_t L = len[k];
        if (k == K - 1) {
            memset(Ak, 0, L * sizeof *Ak);
            Ak[0] = 1;                         /* after the last folds: all closed */
        } else {
            size_t Ln = len[k + 1];
            dp_copy_u(Ak, bv, L < Ln ? L : Ln);
            if (L > Ln)
                memset(Ak + Ln, 0, (L - Ln) * sizeof *Ak);
        }
        for (unsigned m = closing[k]; m; m &= m - 1)
            dp_fold_t(Ak, L, __builtin_ctz(m), leak);
        dp_copy_u(bv, Ak, L);
        dp_apply(&P, kb, k, bv, w, u, L, -1, false, true);
    }
    /* forward, with the marginals and the forks */
    size_t cur = 1;
    v[0] = 1;
    for (int i = 0; i <= maxlive; i++)
        fork_of[i] = -1;
    for (int k = 0; k < K; k++) {
        size_t L = len[k];
        const double *Ak = A + aoff[k];
        if (L > cur)
            memset(v + cur, 0, (L - cur) * sizeof *v);
        cur = L;
        for (int m = 0; m < nc; m++)
            if (fa[m] == k)
                for (int i = 0; i < maxlive; i++)
                    if (fork_of[i] < 0) {
                        fork_of[i] = m;
                        dp_copy_u(forks + (size_t)i * maxlen, v, L);
                        fork_len[i] = L;
                        break;
                    }
        int c = order[k];
        for (int i = 0; i < maxlive; i++) {
            int m = fork_of[i];
            if (m < 0)
                continue;
            double *fk = forks + (size_t)i * maxlen;
            if (L > fork_len[i])
                memset(fk + fork_len[i], 0, (L - fork_len[i]) * sizeof *fk);
            fork_len[i] = L;
            dp_apply(&P, kb, k, fk, w, u, L, m, c == m, false);
            if (fb[m] == k) {
                slack[m] = dp_dot_u(fk, Ak, L);
                fork_of[i] = -1;
            } else
                for (unsigned b = closing[k]; b; b &= b - 1)
                    dp_fold(fk, L, __builtin_ctz(b), leak);
        }
        dp_on(&P, k, v, w, u, L, -1, false);
        double pi = kb->causes[c].prior, b = pi * P.qneg[c];
        onm[c] = b * dp_dot_u(w, Ak, L);
        dp_mix(v, w, L, 1 - pi, b);
        for (unsigned m = closing[k]; m; m &= m - 1)
            dp_fold(v, L, __builtin_ctz(m), leak);
    }
    kf_free(fork_len);
    double Z = v[0];
    if (!(Z > 0) || !isfinite(Z)) {
        err = KF_EINVAL;
        goto out;
    }
    for (int c = 0; c < nc; c++)
        if (!active[c])
            lc += logl(cfac[c]);
    *logpe = logl(Z) + lc;
    for (int c = 0; c < nc; c++) {
        const kf_cause *k = &kb->causes[c];
        double p;
        if (kin_first[c] < kin_first[c + 1]) {
            /* slack: own root off, every chain to it off */
            double r;
            if (fa[c] >= 0)
                r = slack[c] / Z;
            else
                r = 1;
            if (!active[c])
                r *= (1 - k->prior) / cfac[c];
            for (int x = kin_first[c]; x < kin_first[c + 1]; x++) {
                int h = kin[x], j = kin_e[x];
                if (active[h])
                    continue;
                const kf_cause *hk = &kb->causes[h];
                double s = hk->keeps_p[j];
                double chain = 1;
                for (int t = 0; t < hk->n_keeps; t++)
                    chain *= t == j ? 1 - s
                                    : (1 - hk->keeps_p[t]) + hk->keeps_p[t] * P.qneg[hk->keeps[t]];
                r *= ((1 - hk->prior) + hk->prior * P.qneg[h] * chain) / cfac[h];
            }
            p = 1 - r;
        } else if (active[c]) {
            p = onm[c] / Z;
        } else {
            p = 1 - (1 - k->prior) / cfac[c];
        }
        p = p < 0 ? 0 : p > 1 ? 1 : p;
        post[c] = p;
        /* all sums are of non-negative terms: the rounding is ~1e-13 */
        if (lo)
            lo[c] = p > 1e-12 ? p - 1e-12 : 0;
        if (hi)
            hi[c] = p < 1 - 1e-12 ? p + 1e-12 : 1;
    }
    err = KF_OK;
out:
    kf_free(ib);
    kf_free(len);
    kf_free(closing);
    kf_free(active);
    kf_free(db);
    kf_free(P.st);
    kf_free(P.f);
    kf_free(P.p);
    kf_free(P.cm);
    kf_free(P.cs);
    kf_free(P.cq);
    kf_free(P.cf);
    kf_free(P.cn);
    kf_free(P.qneg);
    kf_free(A);
    kf_free(v);
    kf_free(forks);
    return err;
}
