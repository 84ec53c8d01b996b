/*
 * plan.h — the self-care plan and the massage-therapist list of a result.
 */
#ifndef KF_PLAN_H
#define KF_PLAN_H

#include "engine.h"

/* Room in kf_result.plan; kf_plan_build stays well below it. */
#define KF_PLAN_ROOM 16

/* Fills r->plan (room KF_PLAN_ROOM) from r->triage, r->causes and
 * r->findings, for this person: r->person, r->omitted (steps left out and
 * why) and r->first (the 1-3 first steps) too.  See plan.c for the order. */
void kf_plan_build(const kf_kb *kb, kf_result *r);

/* Chooses r->first (the first steps: three self-care steps, or the doctor
 * step when the triage sends the person to one) from r->plan after a step
 * whose prerequisite left the plan has left it too; a step and the one it
 * needs first are both among the first steps or neither is.  kf_plan_build
 * calls it; call it again after changing r->plan (journal.c). */
void kf_plan_first(const kf_kb *kb, kf_result *r);

/* The person rules (KF_PERSON_* bits) that the findings make apply: thin
 * bones (osteoporosis, or age >= kb->old_age), late pregnancy (weeks >=
 * kb->late_pregnancy_weeks, or pregnant with the weeks not said), the first
 * kb->acute_days of a sudden spasm, a teen (or age < kb->young_age), recent
 * surgery, a fresh fall or blow, no one at hand to help (finding no_helper). */
unsigned kf_plan_person(const kf_kb *kb, const kf_findings *f);

/* How this person does technique `tech` (its `gentler` line for the first of
 * r->person's conditions it names: a teenager's lighter squeeze, a
 * fingertip hold on thin bones), or NULL when done as written.  The string
 * belongs to the kb. */
const char *kf_plan_for_you(const kf_kb *kb, const kf_result *r, int tech);

/* Fills r->massage and r->massage_side (room 8) from r->causes. */
void kf_plan_massage(const kf_kb *kb, kf_result *r);

/* Whether a cause has a side of its own: a muscle, or a habit done on one
 * side (it reports a sided habit finding).  Sitting, a posture, the body's
 * state have none. */
bool kf_cause_sided(const kf_kb *kb, int cause);

/* Clears the side of each ranked habit or body cause that has none of its
 * own (kf_cause_sided): the side of the pain stays with the muscles.  After
 * kf_plan_build and kf_plan_massage, which hand a habit's side on to the
 * muscles it keeps short. */
void kf_plan_sides(const kf_kb *kb, kf_result *r);

#endif
