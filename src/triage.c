/*
 * triage.c — the red-flag rules of the knowledge base, applied to findings.
 * Triage runs before anything else and its level leads every answer.
 */
#include "triage.h"

bool kf_rule_fires(const kf_redflag *r, const kf_findings *f)
{
    for (int i = 0; i < r->n_all; i++)
        if (!kf_findings_has(f, r->all[i]))
            return false;
    bool any = r->n_any == 0;
    for (int i = 0; i < r->n_any && !any; i++)
        any = kf_findings_has(f, r->any[i]);
    if (!any)
        return false;
    for (int i = 0; i < r->n_none; i++)
        if (kf_findings_has(f, r->none[i]))
            return false;
    return true;
}

kf_triage kf_triage_level(const kf_kb *kb, const kf_findings *f)
{
    kf_triage t = KF_TRIAGE_SELF_CARE;
    for (int i = 0; i < kb->n_redflags; i++)
        if (kb->redflags[i].level > t && kf_rule_fires(&kb->redflags[i], f))
            t = kb->redflags[i].level;
    return t;
}

int kf_triage_flags(const kf_kb *kb, const kf_findings *f, int *flags)
{
    int n = 0;
    for (int lv = KF_TRIAGE_EMERGENCY; lv > KF_TRIAGE_SELF_CARE; lv--)
        for (int i = 0; i < kb->n_redflags; i++)
            if ((int)kb->redflags[i].level == lv && kf_rule_fires(&kb->redflags[i], f))
                flags[n++] = i;
    return n;
}
