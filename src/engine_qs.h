/*
 * engine_qs.h — the Quickscore sum of engine.c, written once for a real
 * type REAL (engine.c includes it for long double; a wider type could be
 * added the same way).  Define REAL, QS(name), QS_ABS(x) and QS_EPS before
 * including.
 */
/* Scratch of one Quickscore run. */
typedef struct {
    int nc, np;
    REAL *q;        /* nc x nb: 1 - p of cause c's link to bit s (1: none) */
    REAL *qneg;     /* nc: product over the negatives */
    REAL *Q;        /* nc: current Q_c(S+N) */
    REAL *pq;       /* nc: prior x Q, the product factor and slack_share begin with
                     * (set with Q by QS(setq), so each reads the number it made) */
    REAL *g;        /* nc: current QS(factor) */
    REAL *Pi;       /* nc: product of chain factors (habits), else 1 */
    REAL *on, *off; /* accumulators */
    REAL *onc, *offc;  /* their compensations */
    REAL *share;       /* active roots: present share of a term, 1 - (1-pi)/g */
    REAL *slk;         /* muscles in sl: slack share of a term */
    REAL *onb, *offb;  /* plain sums over the current block of 256 terms */
    int *slaff_first, *slaff;  /* muscles whose slack share changes with positive s */
    bool *active;          /* nc: QS(factor) varies with S */
    bool *slackacc;        /* nc: muscle with keepers whose slack share varies */
    int *kin_first, *kin;  /* keepers of each muscle: habit index, edge index */
    int *kin_edge;
    int *aff_first, *aff;  /* roots to update when positive s toggles */
    int *lk_first, *lk;    /* causes linked directly to positive s */
    int *act;  int nact;
    int *sl;   int nsl;
    /* the model's numbers in REAL, where the walk reads them: per cause
     * 1 - prior and prior; per chain (habit h keeps muscle m, strength s),
     * by habit (ch_*) and by muscle (kin_*, beside kin): s and 1 - s */
    REAL *omp, *pic;
    int *ch_first, *ch_m;
    REAL *ch_s, *ch_oms, *kin_s, *kin_oms;
    int nb;         /* bits: the np positives, then the nq candidate negatives */
    /* the candidates' sums, their compensations and their block sums, each
     * nq x (nact + nsl) by active index (the present shares, then the
     * slack shares; written before they are read, so never cleared), and
     * a save area for one toggle */
    REAL *c_sum, *c_comp, *c_blk;
    REAL *c_Z, *c_Zc, *c_Zb, *c_abs;
    REAL *sv_Q, *sv_g, *sv_Pi, *sv_share, *sv_slk;
    REAL *P, *c_P;  /* the walk's sums by level (np + 1), each candidate's (nq x (np + 1)) */
    int *ppos;      /* the positives in the walk's bit order, cheapest to toggle first */
    int *lon_first, *lon;    /* active roots by level: the lowest bit that changes them */
    int *loff_first, *loff;  /* slack-accumulated muscles by level */
} QS(qs_scratch);

/* Compensated summation (Neumaier 1974): *s + *c is the running sum. */
static inline void QS(neumaier)(REAL *s, REAL *c, REAL x)
{
    REAL t = *s + x;
    if (QS_ABS(*s) >= QS_ABS(x))
        *c += (*s - t) + x;
    else
        *c += (x - t) + *s;
    *s = t;
}

static inline REAL QS(path_prod)(const kf_kb *kb, const QS(qs_scratch) *w, int h)
{
    (void)kb;
    REAL pi = 1;
    for (int e = w->ch_first[h]; e < w->ch_first[h + 1]; e++)
        pi *= w->ch_oms[e] + w->ch_s[e] * w->Q[w->ch_m[e]];
    return pi;
}

static inline REAL QS(factor)(const kf_kb *kb, const QS(qs_scratch) *w, int c)
{
    (void)kb;
    return w->omp[c] + w->pq[c] * w->Pi[c];
}

/* Q[c] = v, and pq[c] = pic[c] x Q[c]: the product factor and slack_share
 * took first (left to right), made once per change of Q instead of once
 * per read (~1 in 12 of the walk's instructions). */
static inline void QS(setq)(QS(qs_scratch) *w, int c, REAL v)
{
    w->Q[c] = v;
    w->pq[c] = w->pic[c] * w->Q[c];
}

/* Share of a term in which muscle m is slack: its own source off and every
 * chain to it off. */
static inline REAL QS(slack_share)(const kf_kb *kb, const QS(qs_scratch) *w, int m)
{
    (void)kb;
    REAL r = w->omp[m] / w->g[m];
    for (int k = w->kin_first[m]; k < w->kin_first[m + 1]; k++) {
        int h = w->kin[k];
        REAL s = w->kin_s[k], oms = w->kin_oms[k];
        REAL pe = oms + s * w->Q[m];
        r *= (w->omp[h] + w->pq[h] * (w->Pi[h] / pe) * oms) / w->g[h];
    }
    return r;
}

static void QS(scratch_free)(QS(qs_scratch) *w)
{
    kf_free(w->q);
    kf_free(w->c_sum);
    kf_free(w->ppos);
    kf_free(w->active);
    kf_free(w->kin_first);
    memset(w, 0, sizeof *w);
}

/* Bit s (a positive, or a candidate negative) enters (in) or leaves S: the
 * Q of its causes, the factors of the roots it affects and the slack shares
 * they change, and the product *Gc of the active factors. */
static void QS(toggle)(const kf_kb *kb, QS(qs_scratch) *w, int s, bool in, REAL *Gc)
{
    size_t nb = (size_t)w->nb;
    for (int k = w->lk_first[s]; k < w->lk_first[s + 1]; k++) {
        int c = w->lk[k];
        REAL q = w->q[(size_t)c * nb + (size_t)s];
        QS(setq)(w, c, in ? w->Q[c] * q : w->Q[c] / q);
    }
    for (int k = w->aff_first[s]; k < w->aff_first[s + 1]; k++) {
        int c = w->aff[k];
        if (w->ch_first[c] < w->ch_first[c + 1])
            w->Pi[c] = QS(path_prod)(kb, w, c);
        REAL old = w->g[c];
        w->g[c] = QS(factor)(kb, w, c);
        w->share[c] = 1 - w->omp[c] / w->g[c];
        *Gc *= w->g[c] / old;
    }
    for (int k = w->slaff_first[s]; k < w->slaff_first[s + 1]; k++)
        w->slk[w->slaff[k]] = QS(slack_share)(kb, w, w->sl[w->slaff[k]]);
}

/* Terms are summed by level: a root whose factors no bit below j changes
 * keeps its share over every aligned block of 2^j steps of the Gray walk
 * (only bits below j toggle inside one), so it takes share x (the block's
 * sum) once per block instead of share x term at every step.  P[j] is the
 * sum of the current block of level j (a pairwise sum); at step `it` the
 * blocks of levels 0..j end where bits 0..j-1 of it + 1 are 0.  ob/fb: the
 * roots' and the slack shares' plain sums. */
static inline void QS(levels)(const QS(qs_scratch) *w, REAL *P, unsigned long it, int np,
                              REAL *ob, REAL *fb)
{
    for (int j = 0;; j++) {
        REAL x = P[j];
        for (int k = w->lon_first[j]; k < w->lon_first[j + 1]; k++) {
            int a = w->lon[k];
            ob[a] += x * w->share[w->act[a]];
        }
        for (int k = w->loff_first[j]; k < w->loff_first[j + 1]; k++) {
            int m = w->loff[k];
            fb[m] += x * w->slk[m];
        }
        if (j == np)
            break;
        P[j + 1] += x;
        P[j] = 0;
        if ((it + 1) >> j & 1)
            break;
    }
}

/* The posterior of every cause from the sums of one run: Z (the sum of
 * the terms), absum (of their sizes), on (by cause: the active roots'
 * present shares) and off (by cause: the slack shares), with w's factors
 * at S = {}.  Returns false when rounding swallowed the sum. */
static bool QS(finish)(const kf_kb *kb, const QS(qs_scratch) *w, REAL Z, REAL absum,
                       const REAL *on, const REAL *off, REAL eps_units, long double logconst,
                       double *post, double *lo, double *hi, long double *logpe, double *zerr)
{
    int nc = w->nc;
    REAL delta = absum * (eps_units * QS_EPS + 4 * QS_EPS);
    if (zerr)
        *zerr = Z > delta ? (double)(delta / Z) * (1 + 1e-12) : INFINITY;
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
    for (int c = 0; c < nc; c++) {
        REAL num, d = delta;
        bool slack = w->kin_first[c] < w->kin_first[c + 1];
        if (slack) {
            num = w->slackacc[c] ? off[c] : QS(slack_share)(kb, w, c) * Z;
            if (!w->slackacc[c])
                d = 0;
        } else if (w->active[c]) {
            num = on[c];
        } else {
            num = (1 - (1 - (REAL)kb->causes[c].prior) / w->g[c]) * Z;
            d = 0;
        }
        REAL p = num / Z;
        REAL l = Z - delta > 0 ? (num - d) / (Z + delta) : 0;
        REAL h = Z - delta > 0 ? (num + d) / (Z - delta) : 1;
        if (slack) {
            REAL t = 1 - p, tl = 1 - h, th = 1 - l;
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
    return true;
}

/* The exact sum over the positives pos[0..np) (at most KF_FULL_MAX) and
 * negatives neg[0..nn).  post/lo/hi: every cause (lo/hi may be NULL);
 * *logpe: log P(evidence).
 *
 * With nq candidates cand[0..nq) (findings in neither list), the same run
 * also gives, for each candidate t, the answer with cand[t] added to the
 * negatives: cpost/clo/chi (nq x n_causes, row t) and clogpe[t].  A
 * negative finding is a bit that is always in S: at every subset of the
 * positives the walk turns candidate t on, takes that term and turns it
 * off again (restoring the saved factors, so nothing drifts); each
 * candidate has its own sums and its own rounding bound, as if it had its
 * own run. */
static kf_err QS(quickscore)(const kf_kb *kb, const int *pos, int np, const int *neg, int nn,
                             const int *cand, int nq,
                             double *post, double *lo, double *hi, long double *logpe,
                             double *cpost, double *clo, double *chi, long double *clogpe,
                             double *zerr, double *czerr)
{
    QS(qs_scratch) w;
    memset(&w, 0, sizeof w);
    int nc = kb->n_causes;
    int nb = np + nq;
    w.nc = nc;
    w.np = np;
    w.nb = nb;
    int nedges = 0;
    for (int c = 0; c < nc; c++)
        nedges += kb->causes[c].n_keeps;
    size_t nld = (size_t)nc * (size_t)(nb + 1) + 21 * (size_t)nc + 8 + 4 * (size_t)(nq + 1) +
                 (size_t)(nq + 1) * (size_t)(np + 2) + 4 * (size_t)nedges;
    w.q = kf_malloc(nld * sizeof(REAL));
    w.active = kf_calloc(3 * (size_t)nc + 3, sizeof(bool));
    /* int scratch: kin_first (nc+1), kin/kin_edge (edges), aff_first (nb+1),
     * aff (nb*nc), lk_first (nb+1), lk (nb*nc), act (nc), sl (nc),
     * slaff_first (nb+1), slaff (nb*nc) */
    size_t nint = (size_t)(nc + 1) + 2 * (size_t)nedges + 3 * (size_t)(nb + 1) +
                  3 * (size_t)nb * (size_t)nc + 2 * (size_t)nc + 4 + (size_t)(nc + 1) +
                  (size_t)nedges;
    w.kin_first = kf_malloc(nint * sizeof(int));
    if (!w.q || !w.active || !w.kin_first) {
        QS(scratch_free)(&w);
        return KF_ENOMEM;
    }
    w.qneg = w.q + (size_t)nc * (size_t)nb;
    w.Q = w.qneg + nc;
    w.g = w.Q + nc;
    w.Pi = w.g + nc;
    w.on = w.Pi + nc;
    w.off = w.on + nc;
    w.onc = w.off + nc;
    w.offc = w.onc + nc;
    w.share = w.offc + nc;
    w.slk = w.share + nc;
    w.onb = w.slk + nc;
    w.offb = w.onb + nc;
    w.sv_Q = w.offb + nc;
    w.sv_g = w.sv_Q + nc;
    w.sv_Pi = w.sv_g + nc;
    w.sv_share = w.sv_Pi + nc;
    w.sv_slk = w.sv_share + nc;
    w.P = w.sv_slk + nc;
    w.c_P = w.P + np + 2;
    w.omp = w.c_P + (size_t)nq * (size_t)(np + 2);
    w.pic = w.omp + nc;
    w.ch_s = w.pic + nc;
    w.ch_oms = w.ch_s + nedges;
    w.kin_s = w.ch_oms + nedges;
    w.kin_oms = w.kin_s + nedges;
    w.c_Z = w.kin_oms + nedges;
    w.c_Zc = w.c_Z + nq + 1;
    w.c_Zb = w.c_Zc + nq + 1;
    w.c_abs = w.c_Zb + nq + 1;
    w.pq = w.c_abs + nq + 1;
    w.slackacc = w.active + nc + 1;
    w.kin = w.kin_first + nc + 1;
    w.kin_edge = w.kin + nedges;
    w.aff_first = w.kin_edge + nedges;
    w.aff = w.aff_first + nb + 1;
    w.lk_first = w.aff + (size_t)nb * (size_t)nc;
    w.lk = w.lk_first + nb + 1;
    w.act = w.lk + (size_t)nb * (size_t)nc;
    w.sl = w.act + nc;
    w.slaff_first = w.sl + nc;
    w.slaff = w.slaff_first + nb + 1;
    w.ch_first = w.slaff + (size_t)nb * (size_t)nc;
    w.ch_m = w.ch_first + nc + 1;
    /* zeros where the walk accumulates (on, off and their compensations;
     * the block sums; the level sums; the candidates' sums) and for the
     * keepers' counting sort: every other number is written before it is
     * read (the blocks were a calloc, ~1 instruction a byte) */
    eng_zero(w.on, 4 * (size_t)nc * sizeof(REAL));
    eng_zero(w.onb, 2 * (size_t)nc * sizeof(REAL));
    eng_zero(w.P, ((size_t)np + 2) * (size_t)(nq + 1) * sizeof(REAL));
    eng_zero(w.c_Z, 4 * ((size_t)nq + 1) * sizeof(REAL));
    for (int c = 0; c <= nc; c++)
        w.kin_first[c] = 0;
    for (int c = 0, e = 0; c < nc; c++) {
        const kf_cause *k = &kb->causes[c];
        w.omp[c] = 1 - (REAL)k->prior;
        w.pic[c] = k->prior;
        w.ch_first[c] = e;
        for (int j = 0; j < k->n_keeps; j++, e++) {
            w.ch_m[e] = k->keeps[j];
            w.ch_s[e] = k->keeps_p[j];
            w.ch_oms[e] = 1 - (REAL)k->keeps_p[j];
        }
        w.ch_first[c + 1] = e;
    }

    /* The walk toggles bit j 2^(np-1-j) times: the positives whose toggle
     * updates the fewest roots (their causes and those causes' keepers)
     * take the low bits.  Ties by finding id; the order changes only the
     * rounding. */
    w.ppos = kf_malloc((size_t)(2 * np + 2 * (np + nb + 4) + 2 * nc + 8) * sizeof(int));
    if (!w.ppos) {
        QS(scratch_free)(&w);
        return KF_ENOMEM;
    }
    {
        int *cost = w.ppos + np, *nkeep = kf_calloc((size_t)nc + 1, sizeof(int));
        if (!nkeep) {
            QS(scratch_free)(&w);
            return KF_ENOMEM;
        }
        for (int h = 0; h < nc; h++)
            for (int j = 0; j < kb->causes[h].n_keeps; j++)
                nkeep[kb->causes[h].keeps[j]]++;
        for (int i = 0; i < np; i++) {
            int f = pos[i], n = 0;
            for (int k = kb->flink_first[f]; k < kb->flink_first[f + 1]; k++)
                n += 1 + 3 * nkeep[kb->links[kb->flink[k]].cause];
            w.ppos[i] = pos[i];
            cost[i] = n;
        }
        kf_free(nkeep);
        for (int i = 1; i < np; i++)           /* insertion sort, stable */
            for (int k = i; k > 0 && cost[k] < cost[k - 1]; k--) {
                int t = cost[k]; cost[k] = cost[k - 1]; cost[k - 1] = t;
                t = w.ppos[k]; w.ppos[k] = w.ppos[k - 1]; w.ppos[k - 1] = t;
            }
    }
    w.lon_first = w.ppos + 2 * np;
    w.loff_first = w.lon_first + np + nb + 4;
    w.lon = w.loff_first + np + nb + 4;
    w.loff = w.lon + nc + 4;
    /* Link strengths against the evidence. */
    for (size_t i = 0; i < (size_t)nc * (size_t)nb; i++)
        w.q[i] = 1;
    for (int c = 0; c < nc; c++)
        w.qneg[c] = 1;
    for (int i = 0; i < nn; i++)
        for (int k = kb->flink_first[neg[i]]; k < kb->flink_first[neg[i] + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            w.qneg[ln->cause] *= 1 - (REAL)ln->p;
        }
    bool *linked = w.slackacc + nc + 1;     /* scratch */
    w.lk_first[0] = 0;
    for (int s = 0; s < nb; s++) {
        int n = w.lk_first[s];
        int fd = s < np ? w.ppos[s] : cand[s - np];
        for (int k = kb->flink_first[fd]; k < kb->flink_first[fd + 1]; k++) {
            const kf_link *ln = &kb->links[kb->flink[k]];
            w.q[(size_t)ln->cause * (size_t)nb + (size_t)s] = 1 - (REAL)ln->p;
            w.lk[n++] = ln->cause;
            w.active[ln->cause] = true;
        }
        w.lk_first[s + 1] = n;
    }
    /* Keepers of each muscle. */
    {
        /* counting sort of the edges by muscle: O(causes + edges) */
        for (int h = 0; h < nc; h++)
            for (int j = 0; j < kb->causes[h].n_keeps; j++)
                w.kin_first[kb->causes[h].keeps[j] + 1]++;
        for (int m = 0; m < nc; m++)
            w.kin_first[m + 1] += w.kin_first[m];
        int *fill = w.act;              /* free until the active list is made */
        for (int m = 0; m < nc; m++)
            fill[m] = w.kin_first[m];
        for (int h = 0; h < nc; h++)
            for (int j = 0; j < kb->causes[h].n_keeps; j++) {
                int m = kb->causes[h].keeps[j], at = fill[m]++;
                w.kin[at] = h;
                w.kin_edge[at] = j;
                w.kin_s[at] = kb->causes[h].keeps_p[j];
                w.kin_oms[at] = 1 - (REAL)kb->causes[h].keeps_p[j];
            }
    }
    /* A habit whose kept muscle is linked to a bit is active too; the roots
     * to update for bit s: its direct causes and their keepers. */
    {
        int n = 0;
        for (int s = 0; s < nb; s++) {
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
        w.aff_first[nb] = n;
        for (int c = 0; c < nc; c++)
            linked[c] = false;
    }
    for (int c = 0; c < nc; c++) {
        QS(setq)(&w, c, w.qneg[c]);
        w.Pi[c] = 1;
    }
    for (int c = 0; c < nc; c++) {
        if (kb->causes[c].n_keeps)
            w.Pi[c] = QS(path_prod)(kb, &w, c);
        w.g[c] = QS(factor)(kb, &w, c);
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
    /* For bit s: the muscles whose slack share it changes (the muscle or
     * one of its keepers is updated). */
    {
        int n = 0;
        for (int t = 0; t < nb; t++) {
            w.slaff_first[t] = n;
            for (int c = 0; c < nc; c++)
                linked[c] = false;
            for (int k = w.aff_first[t]; k < w.aff_first[t + 1]; k++)
                linked[w.aff[k]] = true;
            for (int k = 0; k < w.nsl; k++) {
                int m = w.sl[k];
                bool a = linked[m];
                for (int e = w.kin_first[m]; e < w.kin_first[m + 1]; e++)
                    a |= linked[w.kin[e]];
                if (a)
                    w.slaff[n++] = k;
            }
        }
        w.slaff_first[nb] = n;
        for (int c = 0; c < nc; c++)
            linked[c] = false;
    }
    for (int a = 0; a < w.nact; a++) {
        int c = w.act[a];
        w.share[c] = 1 - (1 - (REAL)kb->causes[c].prior) / w.g[c];
    }
    for (int k = 0; k < w.nsl; k++)
        w.slk[k] = QS(slack_share)(kb, &w, w.sl[k]);
    int nact = w.nact, nsl = w.nsl, nstride = nact + nsl;
    /* The level of each active root and slack share: the lowest positive
     * bit that changes it (np: none does). */
    {
        int *lev = w.lon, *levm = w.loff;     /* first as scratch: level by index */
        int *cnt = kf_calloc((size_t)(2 * (np + 2) + nact + nsl + nc + 4), sizeof(int));
        if (!cnt) {
            QS(scratch_free)(&w);
            return KF_ENOMEM;
        }
        int *cnt2 = cnt + np + 2, *la2 = cnt2 + np + 2, *lm2 = la2 + nact + 1;
        int *aidx = lm2 + nsl + 1;            /* cause -> active index */
        for (int c = 0; c < nc; c++)
            aidx[c] = -1;
        for (int a = 0; a < nact; a++)
            aidx[w.act[a]] = a;
        for (int a = 0; a < nact; a++)
            lev[a] = np;
        for (int k = 0; k < nsl; k++)
            levm[k] = np;
        for (int t = np - 1; t >= 0; t--) {
            for (int k = w.aff_first[t]; k < w.aff_first[t + 1]; k++)
                lev[aidx[w.aff[k]]] = t;
            for (int k = w.slaff_first[t]; k < w.slaff_first[t + 1]; k++)
                levm[w.slaff[k]] = t;
        }
        /* counting sort by level into lon / loff (through a copy) */
        for (int a = 0; a < nact; a++) {
            la2[a] = lev[a];
            cnt[lev[a] + 1]++;
        }
        for (int k = 0; k < nsl; k++) {
            lm2[k] = levm[k];
            cnt2[levm[k] + 1]++;
        }
        for (int j = 0; j <= np; j++) {
            cnt[j + 1] += cnt[j];
            cnt2[j + 1] += cnt2[j];
        }
        for (int j = 0; j <= np + 1; j++) {
            w.lon_first[j] = cnt[j];
            w.loff_first[j] = cnt2[j];
        }
        for (int a = 0; a < nact; a++)
            w.lon[cnt[la2[a]]++] = a;
        for (int k = 0; k < nsl; k++)
            w.loff[cnt2[lm2[k]]++] = k;
        kf_free(cnt);
    }
    size_t ncs = (size_t)nq * (size_t)nstride;
    if (nq) {
        w.c_sum = kf_malloc(3 * ncs * sizeof(REAL));
        if (!w.c_sum) {
            QS(scratch_free)(&w);
            return KF_ENOMEM;
        }
        w.c_comp = w.c_sum + ncs;
        w.c_blk = w.c_comp + ncs;
        for (size_t i = 0; i < ncs; i++)
            w.c_blk[i] = 0;
    }
    /* The constant factors leave the sum; log P(E) keeps them. */
    long double logconst = (long double)nn * log1pl(-(long double)kb->leak);
    for (int c = 0; c < nc; c++)
        if (!w.active[c])
            logconst += logl((long double)w.g[c]);
    REAL leakq = 1 - (REAL)kb->leak;
    REAL Gc = 1;
    for (int a = 0; a < w.nact; a++)
        Gc *= w.g[w.act[a]];
    REAL Z = 0, Zc = 0, Zb = 0, absum = 0, lp = 1;
    unsigned long total = 1UL << np, gray = 0;
    int size = 0;
    for (unsigned long it = 0; it < total; it++) {
        if (it) {
            int s = __builtin_ctzl(it);
            gray ^= 1UL << s;
            bool in = gray >> s & 1;
            size += in ? 1 : -1;
            lp = in ? lp * leakq : lp / leakq;
            QS(toggle)(kb, &w, s, in, &Gc);
            if ((it & 63) == 0) {
                Gc = 1;
                for (int a = 0; a < nact; a++)
                    Gc *= w.g[w.act[a]];
            }
            if ((it & 255) == 0) {
                /* Q by products from scratch, so divisions cannot drift. */
                for (int a = 0; a < nact; a++) {
                    int c = w.act[a];
                    REAL Qc = w.qneg[c];
                    for (int t = 0; t < np; t++)
                        if (gray >> t & 1)
                            Qc *= w.q[(size_t)c * (size_t)nb + (size_t)t];
                    QS(setq)(&w, c, Qc);
                }
                lp = 1;
                for (int t = 0; t < size; t++)
                    lp *= leakq;
                for (int a = 0; a < nact; a++)
                    if (kb->causes[w.act[a]].n_keeps)
                        w.Pi[w.act[a]] = QS(path_prod)(kb, &w, w.act[a]);
                Gc = 1;
                for (int a = 0; a < nact; a++) {
                    int c = w.act[a];
                    w.g[c] = QS(factor)(kb, &w, c);
                    w.share[c] = 1 - (1 - (REAL)kb->causes[c].prior) / w.g[c];
                    Gc *= w.g[c];
                }
                for (int k = 0; k < nsl; k++)
                    w.slk[k] = QS(slack_share)(kb, &w, w.sl[k]);
            }
        }
        REAL term = lp * Gc;
        if (size & 1)
            term = -term;
        Zb += term;
        absum += QS_ABS(term);
        w.P[0] = term;
        QS(levels)(&w, w.P, it, np, w.onb, w.offb);
        /* Each candidate negative: turned on, its term taken, turned off by
         * restoring what it changed. */
        for (int t = 0; t < nq; t++) {
            int s = np + t;
            for (int k = w.lk_first[s]; k < w.lk_first[s + 1]; k++)
                w.sv_Q[k - w.lk_first[s]] = w.Q[w.lk[k]];
            for (int k = w.aff_first[s]; k < w.aff_first[s + 1]; k++) {
                int c = w.aff[k], j = k - w.aff_first[s];
                w.sv_g[j] = w.g[c];
                w.sv_Pi[j] = w.Pi[c];
                w.sv_share[j] = w.share[c];
            }
            for (int k = w.slaff_first[s]; k < w.slaff_first[s + 1]; k++)
                w.sv_slk[k - w.slaff_first[s]] = w.slk[w.slaff[k]];
            REAL Gt = Gc;
            QS(toggle)(kb, &w, s, true, &Gt);
            REAL tt = lp * Gt;          /* its (1 - leak) is in the constant */
            if (size & 1)
                tt = -tt;
            w.c_Zb[t] += tt;
            w.c_abs[t] += QS_ABS(tt);
            REAL *ob = w.c_blk + (size_t)t * (size_t)nstride, *Pt = w.c_P + (size_t)t * (size_t)(np + 2);
            Pt[0] = tt;
            QS(levels)(&w, Pt, it, np, ob, ob + nact);
            for (int k = w.lk_first[s]; k < w.lk_first[s + 1]; k++)
                QS(setq)(&w, w.lk[k], w.sv_Q[k - w.lk_first[s]]);
            for (int k = w.aff_first[s]; k < w.aff_first[s + 1]; k++) {
                int c = w.aff[k], j = k - w.aff_first[s];
                w.g[c] = w.sv_g[j];
                w.Pi[c] = w.sv_Pi[j];
                w.share[c] = w.sv_share[j];
            }
            for (int k = w.slaff_first[s]; k < w.slaff_first[s + 1]; k++)
                w.slk[w.slaff[k]] = w.sv_slk[k - w.slaff_first[s]];
        }
        /* Plain sums over blocks of 256 terms, compensated across blocks. */
        if ((it & 255) == 255 || it + 1 == total) {
            QS(neumaier)(&Z, &Zc, Zb);
            Zb = 0;
            for (int a = 0; a < nact; a++) {
                int c = w.act[a];
                QS(neumaier)(&w.on[c], &w.onc[c], w.onb[a]);
                w.onb[a] = 0;
            }
            for (int k = 0; k < nsl; k++) {
                int m = w.sl[k];
                QS(neumaier)(&w.off[m], &w.offc[m], w.offb[k]);
                w.offb[k] = 0;
            }
            for (int t = 0; t < nq; t++) {
                QS(neumaier)(&w.c_Z[t], &w.c_Zc[t], w.c_Zb[t]);
                w.c_Zb[t] = 0;
                size_t o = (size_t)t * (size_t)nstride;
                REAL *b = w.c_blk + o, *sum = w.c_sum + o, *comp = w.c_comp + o;
                if (it < 256)           /* the first block: the sums start */
                    for (int a = 0; a < nstride; a++) {
                        sum[a] = b[a];
                        comp[a] = 0;
                        b[a] = 0;
                    }
                else
                    for (int a = 0; a < nstride; a++) {
                        QS(neumaier)(&sum[a], &comp[a], b[a]);
                        b[a] = 0;
                    }
            }
        }
    }
    Z += Zc;
    for (int c = 0; c < nc; c++) {
        w.on[c] += w.onc[c];
        w.off[c] += w.offc[c];
    }
    for (int t = 0; t < nq; t++)
        w.c_Z[t] += w.c_Zc[t];
    /* Back to the values at S = {} for the closed forms. */
    for (int c = 0; c < nc; c++)
        QS(setq)(&w, c, w.qneg[c]);
    for (int c = 0; c < nc; c++)
        if (kb->causes[c].n_keeps)
            w.Pi[c] = QS(path_prod)(kb, &w, c);
    for (int c = 0; c < nc; c++)
        w.g[c] = QS(factor)(kb, &w, c);
    QS(finish)(kb, &w, Z, absum, w.on, w.off, KF_TERM_EPS_UNITS, logconst, post, lo, hi, logpe,
               zerr);
    /* A candidate's term has the roundings of one more toggle.  Its sums go
     * by cause into on/off (free now), which finish reads only at active
     * causes and slack-accumulated muscles. */
    long double logc = logconst + log1pl(-(long double)kb->leak);
    for (int t = 0; t < nq; t++) {
        const REAL *sum = w.c_sum + (size_t)t * (size_t)nstride;
        REAL Zt = w.c_Z[t];
        for (int a = 0; a < nact; a++)
            w.on[w.act[a]] = sum[a] + w.c_comp[(size_t)t * (size_t)nstride + (size_t)a];
        for (int k = 0; k < nsl; k++)
            w.off[w.sl[k]] = sum[nact + k] + w.c_comp[(size_t)t * (size_t)nstride + (size_t)(nact + k)];
        QS(finish)(kb, &w, Zt, w.c_abs[t], w.on, w.off, KF_TERM_EPS_UNITS + KF_CAND_EPS_UNITS,
                   logc, cpost + (size_t)t * (size_t)nc, clo ? clo + (size_t)t * (size_t)nc : NULL,
                   chi ? chi + (size_t)t * (size_t)nc : NULL, &clogpe[t], czerr ? &czerr[t] : NULL);
    }
    QS(scratch_free)(&w);
    return KF_OK;
}
