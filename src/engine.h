/*
 * engine.h — from findings to a consultation result: triage, ranked causes
 * with their reasons, the self-care plan, and the next question.
 *
 * The engine is deterministic and stateless: the same kb and findings give
 * the same result.  A kf_result is owned by the caller and freed with
 * kf_result_free().  It points into the kb (ids, texts), so the kb must
 * outlive it.
 */
#ifndef KF_ENGINE_H
#define KF_ENGINE_H

#include "findings.h"

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
} kf_ranked;

typedef struct {
    int     technique;
    int     cause;           /* the cause this step addresses */
    kf_side side;
} kf_step;

typedef enum {
    KF_Q_NONE = 0,   /* nothing left worth asking */
    KF_Q_WHERE,      /* "where does it hurt?" — nothing located yet */
    KF_Q_SCREEN,     /* the red-flag screen: screen[] findings, asked once */
    KF_Q_CLARIFY,    /* ambiguous words: is it `finding` or `alt`? */
    KF_Q_FINDING     /* a yes / no / not sure question about `finding` */
} kf_qkind;

typedef struct {
    kf_qkind kind;
    int      finding;        /* FINDING, CLARIFY: the finding asked about */
    int      alt;            /* CLARIFY: the other reading */
    double   gain;           /* FINDING: expected information gain, bits */
    int     *screen;  int n_screen;   /* SCREEN: findings asked together */
} kf_question;

typedef struct {
    kf_triage   triage;
    int        *flags;   int n_flags;     /* fired red-flag rules, highest level first */
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

/* The next interview question for the findings so far.  `asked` is how many
 * questions were already asked; after `max_q` it returns KF_Q_NONE.  The
 * screen array of the result is owned by the caller (kf_question_free). */
kf_question kf_next_question(const kf_kb *kb, const kf_findings *f,
                             int asked, int max_q);
void kf_question_free(kf_question *q);

#endif
