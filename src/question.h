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
    /* SCREEN: screen_with[i] is -1 when screen[i] has a line of its own,
     * else the index (< i) of the line's first finding: the same warning
     * sign said another way, shown and answered on that one line (a tick:
     * the first finding yes, the others "not sure"; no tick: all no).
     * n_lines lines, at most KF_CHECK_LINES.  May be NULL (every finding a
     * line); owned with screen. */
    int     *screen_with;  int n_lines;
    /* SCREEN: screen_and[i] is -1, or a finding already known that makes
     * one warning sign with screen[i] (an emergency rule that a yes to
     * screen[i] completes): the line asks for the sign itself, "dizziness or
     * vertigo, together with weakness in the arm or hand", not for a
     * dizziness a muscle strain can have too.  May be NULL; owned with
     * screen. */
    int     *screen_and;
} kf_question;

/* Lines of a checklist shown at a time: a longer screen comes as further
 * checklists, the most urgent first. */
#define KF_CHECK_LINES 8

/* A screen's line i (screen_with[i] < 0, or no screen_with): false when i
 * is part of an earlier line.  What it reads: the label of screen[i] and of
 * each finding shown with it, joined by "; or ", each with ", together
 * with" what it makes one sign with (screen_and), into *out (emptied first). */
bool kf_screen_line(const kf_kb *kb, const kf_question *q, int i, kf_buf *out);
/* Whether screen[j] is shown on the line that starts at i. */
bool kf_screen_on_line(const kf_question *q, int i, int j);

/* The next interview question for the findings so far.  `asked` is how many
 * questions were already asked; after `max_q` it gives KF_Q_NONE.  When the
 * rules read emergency it gives KF_Q_NONE; at doctor_soon only the
 * emergency checklist still owed (kf_emergency_question), then KF_Q_NONE.  Errors
 * (KF_ENOMEM) leave *out KF_Q_NONE and must be reported.  The
 * screen array of the result is owned by the caller (kf_question_free). */
kf_err kf_next_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q,
                        kf_question *out);
void kf_question_free(kf_question *q);

/* After a doctor_soon reading (the caller's triage): the emergency items
 * not yet asked whose "yes" alone would fire an emergency rule, as one
 * KF_Q_SCREEN; KF_Q_NONE when none is owed or asked > max_q (one checklist
 * may follow the last question).  kf_next_question gives it itself when
 * the rules read doctor_soon. */
kf_err kf_emergency_question(const kf_kb *kb, const kf_findings *f, int asked, int max_q,
                             kf_question *out);


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

/* The pieces of the gain (question.c), public for the tests: the binary
 * entropy in bits, and the same with question.c's own log2 (within 1e-9 of
 * it); the gain of asking about a finding from the posterior under E
 * (post, hpost[c] = kf_hbin(post[c]), log P(E) = logpe) and under E + the
 * finding absent (pn, lpn) exactly as the search reports it; and cheaply,
 * from kf_gain_prepare's table of post (n_causes entries), with *err (may
 * be NULL) a bound on its distance from kf_gain_exact. */
typedef struct { double h, d1, c[4], k6, r, e0; } kf_gain_pre;

double kf_hbin(double p);
double kf_hbin_fast(double p);
double kf_gain_exact(const kf_kb *kb, const double *post, const double *hpost, long double logpe,
                     const double *pn, long double lpn);
void   kf_gain_prepare(const kf_kb *kb, const double *post, kf_gain_pre *pre);
double kf_gain_fast(const kf_kb *kb, const double *post, const kf_gain_pre *pre,
                    long double logpe, const double *pn, long double lpn, double *err);
/* An upper bound on kf_gain_exact for the same numbers (pre from
 * kf_gain_prepare), from each cause's move alone (question.c says how):
 * a candidate whose bound is below the best gain found is never
 * computed further. */
double kf_gain_bound(const kf_kb *kb, const double *post, const kf_gain_pre *pre,
                     long double logpe, const double *pn, long double lpn);

#endif
