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

/* The highest level among the rules that fire (self_care when none does). */
kf_triage kf_triage_level(const kf_kb *kb, const kf_findings *f);

/* Writes the indices of the rules that fire into `flags` (room for
 * kb->n_redflags), highest level first; returns their count. */
int kf_triage_flags(const kf_kb *kb, const kf_findings *f, int *flags);

#endif
