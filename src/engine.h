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
    kf_side    side;         /* where to work on it */
    kf_reason *reasons;  int n_reasons;   /* strongest first */
    int        kept_by;      /* a reported habit cause that keeps this muscle tight, or -1 */
    int        flagged_by;   /* a fired red-flag rule that screens for this cause, or -1 */
} kf_ranked;

typedef struct {
    int     technique;
    int     cause;           /* the cause this step addresses */
    kf_side side;
} kf_step;


typedef struct {
    kf_triage   triage;                    /* UNKNOWN when nothing was understood */
    int        *flags;   int n_flags;     /* the rule whose message leads (0 or 1): the
                                             one message renderers print */
    int        *fired;   int n_fired;     /* every rule that fired, highest level first */
    int        *screen;  int n_screen;    /* UNKNOWN: the screen questions to answer */
    int         raised_by;                 /* a likely mimic that raised the triage, or -1 */
    kf_ranked  *causes;  int n_causes;    /* ranked, at most KF_MAX_RANKED */
    kf_step    *plan;    int n_plan;      /* ordered self-care steps */
    int        *massage; int n_massage;   /* muscle causes to ask a therapist for */
    kf_side    *massage_side;
    kf_question next;                      /* the one question that sharpens the guess */
    bool        unrecognised;              /* no finding was read: ask where it hurts */
    bool        approximate;               /* too many findings for the exact posterior */
    bool        leader_clear;              /* the leading cause stands out */
    kf_findings findings;                  /* copy of the input */
} kf_result;

#define KF_MAX_RANKED 5

/* Runs a consultation.  Returns NULL only when out of memory. */
kf_result *kf_consult(const kf_kb *kb, const kf_findings *f);
void kf_result_free(kf_result *r);

/* Posterior of every cause (array of kb->n_causes) given the findings.
 * Returns false when it had to approximate. */
bool kf_posterior(const kf_kb *kb, const kf_findings *f, double *post);

/* The two-layer noisy-OR network alone, with the given priors (array of
 * kb->n_causes); kf_posterior adds the habit -> muscle layer on top. */
bool kf_network_posterior(const kf_kb *kb, const kf_findings *f, const double *prior,
                          double *post);

/* Posterior of every cause and the causes ordered by it, highest first
 * (ties by id).  Both arrays are the caller's (kf_free); *exact is false
 * when the posterior is approximate.  NULL when out of memory. */
int *kf_posterior_order(const kf_kb *kb, const kf_findings *f, double **post_out,
                        bool *exact);

#endif
