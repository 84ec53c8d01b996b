/*
 * plan.c — the self-care plan for a consultation: the leading causes' own
 * techniques in the order release, stretch, strengthen, habit, cold/heat;
 * and the muscles to name for a massage therapist.
 */
#include "plan.h"

#include <string.h>

static const int kind_order[] = {
    [KF_TECH_DOCTOR] = 0, [KF_TECH_RELEASE] = 1, [KF_TECH_STRETCH] = 2,
    [KF_TECH_STRENGTHEN] = 3, [KF_TECH_HABIT] = 4, [KF_TECH_THERMAL] = 5,
    [KF_TECH_THERAPIST] = 6,
};

static void add_step(kf_result *r, int tech, int cause, kf_side side)
{
    if (tech < 0 || r->n_plan >= KF_PLAN_ROOM)
        return;
    for (int i = 0; i < r->n_plan; i++)
        if (r->plan[i].technique == tech) {
            r->plan[i].side |= side;
            return;
        }
    r->plan[r->n_plan++] = (kf_step){ tech, cause, side };
}

void kf_plan_build(const kf_kb *kb, kf_result *r)
{
    int see = kf_kb_technique(kb, "see_doctor");
    if (r->triage >= KF_TRIAGE_SOON) {
        int mimic = -1;
        if (r->n_flags)
            mimic = kb->redflags[r->flags[0]].mimic;
        add_step(r, see, mimic, KF_SIDE_NONE);
        return;
    }
    bool worse_heat = false, worse_cold = false;
    int fh = kf_kb_finding(kb, "worse_after_heat"), fc = kf_kb_finding(kb, "worse_after_cold");
    worse_heat = fh >= 0 && kf_findings_has(&r->findings, fh);
    worse_cold = fc >= 0 && kf_findings_has(&r->findings, fc);
    int cold = kf_kb_technique(kb, "cold_therapy"), heat = kf_kb_technique(kb, "heat_front");
    double lead = r->n_causes ? r->causes[0].p : 0;
    int used = 0;
    for (int i = 0; i < r->n_causes && used < 3; i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        if (c->kind == KF_CAUSE_MIMIC || rk->p < 0.2 * lead)
            continue;
        int quota = used == 0 ? 3 : 2, took = 0;
        for (int t = 0; t < c->n_treat && took < quota && r->n_plan < 8; t++) {
            int tech = c->treat[t];
            if ((worse_heat && tech == heat) || (worse_cold && tech == cold))
                continue;
            if (kb->techniques[tech].kind == KF_TECH_DOCTOR)
                continue;
            add_step(r, tech, rk->cause, rk->side);
            took++;
        }
        used++;
    }
    if (worse_heat && r->n_plan < 9)
        add_step(r, cold, r->n_causes ? r->causes[0].cause : -1, KF_SIDE_NONE);
    if (worse_cold && r->n_plan < 9)
        add_step(r, heat, r->n_causes ? r->causes[0].cause : -1, KF_SIDE_NONE);
    if (r->triage == KF_TRIAGE_MENTION)
        add_step(r, see, -1, KF_SIDE_NONE);
    /* Order: release, stretch, strengthen, habit, cold/heat, therapist
     * (insertion sort keeps the causes' order within a kind). */
    for (int i = 1; i < r->n_plan; i++) {
        kf_step s = r->plan[i];
        int k = kind_order[kb->techniques[s.technique].kind];
        int j = i;
        while (j > 0 && kind_order[kb->techniques[r->plan[j - 1].technique].kind] > k) {
            r->plan[j] = r->plan[j - 1];
            j--;
        }
        r->plan[j] = s;
    }
    /* A doctor step asked for by the triage goes last, after self-care. */
    for (int i = 0; i + 1 < r->n_plan; i++)
        if (r->plan[i].technique == see) {
            kf_step s = r->plan[i];
            memmove(&r->plan[i], &r->plan[i + 1], (size_t)(r->n_plan - i - 1) * sizeof s);
            r->plan[r->n_plan - 1] = s;
            break;
        }
}

void kf_plan_massage(const kf_kb *kb, kf_result *r)
{
    for (int i = 0; i < r->n_causes && r->n_massage < 6; i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        if (c->kind == KF_CAUSE_MUSCLE) {
            bool dup = false;
            for (int k = 0; k < r->n_massage; k++)
                dup |= r->massage[k] == rk->cause;
            if (!dup) {
                r->massage_side[r->n_massage] = rk->side;
                r->massage[r->n_massage++] = rk->cause;
            }
        } else if (c->kind != KF_CAUSE_MIMIC && i < 3) {
            for (int j = 0; j < c->n_keeps && j < 2 && r->n_massage < 6; j++) {
                bool dup = false;
                for (int k = 0; k < r->n_massage; k++)
                    dup |= r->massage[k] == c->keeps[j];
                if (!dup) {
                    r->massage_side[r->n_massage] = rk->side;
                    r->massage[r->n_massage++] = c->keeps[j];
                }
            }
        }
    }
}

