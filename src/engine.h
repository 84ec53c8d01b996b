/*
 * engine.h — from findings to a consultation result: triage (triage.h),
 * ranked causes with their reasons, the self-care plan (plan.h), and the
 * next question (question.h).
 *
 * The engine is deterministic and stateless: the same kb and findings give
 * the same result.  A kf_result is owned by the caller and freed with
 * kf_result_free().  It points into the kb (ids, texts), so the kb must
 * outlive it.
 */
#ifndef KF_ENGINE_H
#define KF_ENGINE_H

#include "findings.h"
#include "question.h"

/* Why a cause scored as it did: one finding's contribution. */
typedef struct {
    int          finding;
    kf_state     state;      /* PRESENT or ABSENT */
    double       weight;     /* log-likelihood ratio the finding added */
    kf_mechanism mech;
    const char  *why;        /* the chain from the cause to this finding */
    int          fact;       /* index into findings->v, or -1 */
} kf_reason;

typedef struct {
    int        cause;
    double     p;            /* posterior probability this cause is present */
    double     p_lo, p_hi;   /* an interval holding the exact posterior (= p when exact) */
    kf_side    side;         /* where to work on it */
    kf_reason *reasons;  int n_reasons;   /* strongest first */
    int        kept_by;      /* a reported habit cause that keeps this muscle tight, or -1 */
    int        flagged_by;   /* a fired red-flag rule that screens for this cause, or -1 */
} kf_ranked;

typedef struct {
    int     technique;
    int     cause;           /* the cause this step addresses */
    kf_side side;
    /* 1 + the technique that must come before it in the plan (the release
     * of a muscle that lies over the one it works on: the cause's
     * release_first), 0 when none; kf_plan_first keeps the two together. */
    int     after1;
} kf_step;


/* A step the plan left out for this person, and why (kb->techniques[t].
 * not_for_why[person]). */
typedef struct {
    int       technique;
    kf_person person;
    int       instead;       /* the technique used in its place, or -1 */
} kf_omit;

#define KF_OMIT_ROOM 8

typedef struct {
    kf_triage   triage;                    /* UNKNOWN when nothing was understood */
    int        *flags;   int n_flags;     /* the rule whose message leads (0 or 1): the
                                             one message renderers print */
    int        *fired;   int n_fired;     /* every rule that fired, highest level first */
    int        *screen;  int n_screen;    /* UNKNOWN: the screen questions to answer */
    int         raised_by;                 /* a likely mimic that raised the triage, or -1 */
    int         also;                      /* a cause that needs a doctor, likelier than the
                                              one the leading rule screens for, that no fired
                                              rule names: said beside the rule's message; -1 */
    double     *post;                      /* posterior of every cause (kb->n_causes);
                                              NULL when nothing was recognised */
    int        *order;                     /* kf_posterior_order's order of post (its
                                              1e-10 grid), or NULL (only a hint for
                                              kf_causes_by_posterior) */
    kf_ranked  *causes;  int n_causes;    /* ranked, at most KF_MAX_RANKED */
    kf_step    *plan;    int n_plan;      /* ordered self-care steps */
    int        *massage; int n_massage;   /* muscle causes to ask a therapist for */
    kf_side    *massage_side;
    kf_question next;                      /* the one question that sharpens the guess */
    bool        unrecognised;              /* no finding was read: ask where it hurts */
    bool        approximate;               /* too many findings for the exact posterior */
    bool        leader_clear;              /* the leading cause stands out */
    kf_findings findings;                  /* copy of the input */
    kf_findings used;                      /* what the consultation used: the input, then
                                              what follows from it (age bands, both-sided
                                              findings), listed as "derived" */
    unsigned    person;                    /* KF_PERSON_* bits read from the findings */
    kf_omit     omitted[KF_OMIT_ROOM];  int n_omitted;   /* left out for this person */
    int         first[3];  int n_first;    /* plan indexes of the first steps */
} kf_result;

#define KF_MAX_RANKED 5

/* The causes in the order the result shows them (out: kb->n_causes, every
 * cause once): first those a present finding links to, then the rest, each
 * by posterior (order: kf_posterior_order's); the second and third places
 * then go to the likeliest cause of a family (kf_cause.family) not yet
 * shown, unless it is less than 0.6 times as likely as the likeliest left.
 * The posteriors are unchanged; only the order is.  Returns the count, or
 * -1 when out of memory. */
int kf_rank_top(const kf_kb *kb, const kf_findings *f, const double *post, const int *order,
                int *out);

/* Runs a consultation.  Returns NULL only when a computation failed (out
 * of memory): the caller reports an error, never a guess. */
kf_result *kf_consult(const kf_kb *kb, const kf_findings *f);
void kf_result_free(kf_result *r);

/* The evidence the network sees: present and absent findings, each sorted
 * by id without repeats (unsure facts are not evidence). */
typedef struct {
    int *pos;  int np;
    int *neg;  int nn;
} kf_evidence_set;

/* A symptom, warning sign or past illness denied in the person's own words
 * ("no headache", "no tingling", "not numb") is a denial in passing: said
 * to rule a warning sign out, not a finding a muscle would have to show (a
 * muscle's sign is often absent or unnoticed).  It acts on the finding's
 * links from the non-muscular causes only (KF_CAUSE_MIMIC), and leaves the
 * muscles, habits and body causes where the rest of the evidence puts them:
 * in the network it is the absence of the finding's share made by those
 * causes, a child of theirs alone, so every posterior stays exact.  In an
 * evidence set it is the negative KF_PASSING(kb, f) (kb.h).  A denial
 * answered to the interview's question, or of a place, a habit or a
 * follow-up, counts against every cause linked to it. */
#define KF_PASSING(kb, f) ((kb)->n_findings + (f))
bool kf_denial_in_passing(const kf_kb *kb, const kf_fact *x);

/* Fills *ev (negatives: finding ids, and KF_PASSING ids for denials in
 * passing, after them).  Errors: KF_ENOMEM, *ev then empty. */
kf_err kf_evidence(const kf_kb *kb, const kf_findings *f, kf_evidence_set *ev);
void   kf_evidence_free(kf_evidence_set *ev);

/* Posterior of every cause (array of kb->n_causes) given the findings,
 * in the model stated at the top of engine.c: for a habit, that it is
 * present; for a muscle, that it is tight (from any source).  *approx is
 * set when the answer is not exact to 1e-9 (more than 20 present findings,
 * or rounding).  Errors: KF_ENOMEM.  `post` is untouched on error. */
kf_err kf_posterior(const kf_kb *kb, const kf_findings *f, double *post, bool *approx);

/* The same with an interval [lo, hi] that holds the exact posterior: equal
 * to post (within 1e-9) when exact; lo/hi may be NULL. */
kf_err kf_posterior_interval(const kf_kb *kb, const kf_findings *f, double *post, double *lo,
                             double *hi, bool *approx);

/* From an evidence set; *logpe (may be NULL) is log P(evidence) in the
 * model, so that P(f | E) = exp(logpe(E + f absent) - logpe(E)) gives the
 * next question its probabilities.  fast: never the slow exact sum (for
 * the question's many posteriors): where Quickscore cannot certify its
 * answer, that answer is returned with its interval and *approx set. */
kf_err kf_posterior_ev(const kf_kb *kb, const kf_evidence_set *ev, double *post, double *lo,
                       double *hi, bool *approx, long double *logpe, bool fast);

/* For the next question, from one Quickscore run: the posterior under the
 * evidence ev (post, *logpe) and, for each candidate finding cand[t] (in
 * neither list of ev, sorted or not), under ev with cand[t] absent (row t
 * of cpost, nq x kb->n_causes, and clogpe[t]).  *ok and cok[t] say whether
 * that answer is certified exact (the same test as kf_posterior_ev); an
 * answer that is not is what kf_posterior_ev(fast) would return, and the
 * caller computes it with kf_posterior_ev when it needs it exact.  Not
 * fast and above the walk's limit (12 present findings), nothing is
 * computed (all not ok): the walk would rarely certify there.  At most 16
 * present findings (KF_EINVAL above: trim first); the cost is 2^np x
 * (nq + 1) terms.  Errors: KF_ENOMEM, KF_EINVAL. */
kf_err kf_posterior_cands(const kf_kb *kb, const kf_evidence_set *ev, const int *cand, int nq,
                          bool fast, double *post, long double *logpe, bool *ok, double *cpost,
                          long double *clogpe, bool *cok);

/* Optional outputs of kf_posterior_cands_iv: the intervals that hold the
 * exact posteriors (lo/hi: n_causes; clo/chi: nq x n_causes, rows as
 * cpost), and for P(E) and each P(E, cand[t] absent) a bound on the
 * relative error of the value computed (the exact one is within a factor
 * 1 +- zerr of it; INFINITY when unknown).  Any pointer may be NULL (lo
 * and hi are given both or neither, so are clo and chi).
 * refine: what the vectors (5 present findings or fewer) cannot certify
 * is computed again by the long double walk, as kf_posterior_cands does;
 * without it their answers come back as they are, with their intervals
 * (not ok), for a caller that can tell from the intervals which it needs. */
typedef struct {
    bool    refine;
    double *lo, *hi, *zerr;
    double *clo, *chi, *czerr;
} kf_cands_iv;

kf_err kf_posterior_cands_iv(const kf_kb *kb, const kf_evidence_set *ev, const int *cand, int nq,
                             bool fast, double *post, long double *logpe, bool *ok, double *cpost,
                             long double *clogpe, bool *cok, kf_cands_iv *iv);

/* Quickscore by levels (engine_qsl.h) alone, on the evidence as given (no
 * exact reductions, no other method after it): every cause's posterior,
 * its interval (lo/hi, required) from the walk's rounding bound, and
 * log P(E).  1 <= ev->np <= KF_QSL_MAX_NP; ev sorted as kf_evidence makes
 * it.  *certified: every interval narrower than the engine's "exact".  For
 * the tests (against brute force) and bench/posterior (its cost per
 * subset). */
#define KF_QSL_MAX_NP 20
kf_err kf_quickscore_levels(const kf_kb *kb, const kf_evidence_set *ev, double *post, double *lo,
                            double *hi, long double *logpe, bool *certified);
/* The same with npl precise levels (long double; -1: as the engine
 * chooses them by np, 0 .. min(8, np) - 2 else, more clamped), the walk
 * alone (never a second run); *npl_next (may be NULL) gets the precise
 * levels its partial sums ask for (0: none would certify), for the tests
 * and for KF_QSL_RETRY (engine.c). */
kf_err kf_quickscore_levels_npl(const kf_kb *kb, const kf_evidence_set *ev, int npl, double *post,
                                double *lo, double *hi, long double *logpe, bool *certified,
                                int *npl_next);

/* Sets out[c] (kb->n_causes flags) for each cause c that is an activity
 * the person did not say: a habit that is no posture (or a body state
 * defined by a fact a person would say) none of whose telling reports or
 * signs is among f's present findings -- the causes kf_rank_top puts after
 * the others that bear on what was said.  Errors: KF_ENOMEM (out is then
 * untouched). */
kf_err kf_unsaid_activities(const kf_kb *kb, const kf_findings *f, bool *out);

/* Whether a present finding is one of cause c's `reports` of strength
 * `often` or more: the person named the habit. */
bool kf_cause_reported(const kf_kb *kb, const kf_findings *f, int c);

/* order[0..n) = 0..n-1 by key[], highest first, ties in index order. */
void kf_order_desc(const double *key, int n, int *order);
/* The same, ties in from[]'s order (a permutation of 0..n-1; NULL: index
 * order); fast when from[] is nearly sorted already. */
void kf_order_desc_from(const double *key, int n, const int *from, int *order);

/* Posterior of every cause and the causes ordered by it, highest first
 * (ties by id).  Both arrays are the caller's (kf_free). */
kf_err kf_posterior_order(const kf_kb *kb, const kf_findings *f, double **post_out,
                          int **order_out, bool *approx);

#endif
