/*
 * triage.h — red-flag rules applied to findings: which fire, and the level
 * they call for.  Stateless; nothing here allocates.
 */
#ifndef KF_TRIAGE_H
#define KF_TRIAGE_H

#include "findings.h"

/* True when every `all` finding is present, one `any` (if given) is, and no
 * `none` is. */
bool kf_rule_fires(const kf_redflag *r, const kf_findings *f);

/* True when finding `d` is one of rule `r`'s `all` or `any` findings. */
bool kf_rule_names(const kf_redflag *r, int d);

/* Adds the findings that follow from others: the age bands (over_50,
 * over_65, heart_age) from f->age, each `both_of` finding when its sided
 * finding is present on both sides, and each `any_of` finding when one of
 * its findings is.  Call it on a copy before the rules run. */
void kf_triage_derive(const kf_kb *kb, kf_findings *f);

/* The highest level among the rules that fire (self_care when none does),
 * into *out; derives on a copy first.  KF_ENOMEM when out of memory. */
kf_err kf_triage_level(const kf_kb *kb, const kf_findings *f, kf_triage *out);

/* Writes the indices of the rules that fire into `flags` (room for
 * kb->n_redflags), highest level first; returns their count. */
int kf_triage_flags(const kf_kb *kb, const kf_findings *f, int *flags);

/* Of the fired rules `fired[0..n)` (highest level first), the one whose
 * message leads: at the highest level, the one whose cause is the most
 * likely by `post` (the posterior of every cause, may be NULL), then the
 * most specific.  -1 when n is 0. */
int kf_triage_lead(const kf_kb *kb, const int *fired, int n, const double *post);

/* The red-flag screen for what was said, at most `max` findings written to
 * `out`: the emergencies everyone is asked about (rules marked `screen`),
 * then the screened doctor_soon rules whose cause fits what was said, then
 * what would complete a doctor_soon or emergency rule half met by the
 * symptoms said (an age alone does not open a rule).  Only findings with a question and nothing known yet.  Returns the
 * count. */
int kf_triage_screen(const kf_kb *kb, const kf_findings *f, int *out, int max);
/* The same when nothing was understood: every doctor_soon screen too, not
 * only those whose cause fits what was said. */
int kf_triage_screen_all(const kf_kb *kb, const kf_findings *f, int *out, int max);

/* How soon a rule's message asks the person to act, read from the words of
 * its unconditional sentences ("See a doctor today or tomorrow."; not "If a
 * fever comes, go the same day."), most urgent first; the level's own
 * timing when the message names none.  The headline takes the most urgent
 * timing of the rules that fired at the answer's level, so it is never
 * milder than the message under it. */
typedef enum {
    KF_WHEN_VISIT = 0,    /* at the next visit */
    KF_WHEN_DAYS,         /* in the next few days */
    KF_WHEN_DAY,          /* today or tomorrow, in the next day or two */
    KF_WHEN_TODAY,        /* today, the same day */
    KF_WHEN_NOW           /* call emergency services now */
} kf_when;

kf_when kf_redflag_when(const kf_redflag *r);

/* "next_visit", "few_days", "today_or_tomorrow", "today", "now" (JSON
 * triage.when). */
const char *kf_when_id(kf_when w);

/* The most urgent timing among the rules `fired[0..n)` at `level`
 * (the level's own timing when none is at it). */
kf_when kf_triage_when(const kf_kb *kb, const int *fired, int n, kf_triage level);

#endif
