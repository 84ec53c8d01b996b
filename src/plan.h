/*
 * plan.h — the self-care plan and the massage-therapist list of a result.
 */
#ifndef KF_PLAN_H
#define KF_PLAN_H

#include "engine.h"

/* Room in kf_result.plan; kf_plan_build stays well below it. */
#define KF_PLAN_ROOM 16

/* Fills r->plan (room KF_PLAN_ROOM) from r->triage, r->causes and
 * r->findings. */
void kf_plan_build(const kf_kb *kb, kf_result *r);

/* Fills r->massage and r->massage_side (room 8) from r->causes. */
void kf_plan_massage(const kf_kb *kb, kf_result *r);

#endif
