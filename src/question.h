/*
 * question.h — the next question to ask: chosen from the findings so far
 * (and the posterior, which question.c gets from the engine).
 */
#ifndef KF_QUESTION_H
#define KF_QUESTION_H

#include "findings.h"

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

/* The next interview question for the findings so far.  `asked` is how many
 * questions were already asked; after `max_q` it gives KF_Q_NONE.  Errors
 * (KF_ENOMEM) leave *out KF_Q_NONE and must be reported.  The
 * screen array of the result is owned by the caller (kf_question_free). */
kf_err kf_next_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q,
                        kf_question *out);
void kf_question_free(kf_question *q);


/* The leader stands out: likely on its own, or well ahead of the next.
 * `order` is the causes by posterior, highest first, `n` their count. */
bool kf_leader_clear(const double *post, const int *order, int n);

/* A question about an ambiguous reading not yet settled, or KF_Q_NONE. */
kf_question kf_clarify_question(const kf_findings *f);

/* The best yes/no question by exact expected information gain (question.c
 * says which measure and why), given the posterior and its order; kind
 * KF_Q_NONE when nothing is worth asking. */
kf_err kf_best_question(const kf_kb *kb, const kf_findings *f, const double *post,
                        const int *order, kf_question *out);

/* The `max` best yes/no questions by expected information gain, best
 * first (ties to the lower finding id), into out[0..max); *n gets how many
 * are worth asking.  fast_gains: the gains from the fast posterior (as
 * kf_posterior_ev's `fast`) on the 8 strongest present findings, for a
 * caller that needs the order of the questions in milliseconds rather than
 * exact bits (a drafted reply); kf_best_question is this with max 1 and
 * exact gains up to 10 present findings. */
kf_err kf_best_questions(const kf_kb *kb, const kf_findings *f, const double *post,
                         const int *order, bool fast_gains, kf_question *out, int max,
                         int *n);

#endif
