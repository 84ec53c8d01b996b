/* findings.c — the findings list and its merge rule. */
#include "findings.h"

#include <string.h>

void kf_findings_init(kf_findings *f)
{
    memset(f, 0, sizeof *f);
    f->age = -1;
    f->weeks_pregnant = -1;
    f->duration_days = -1;
}

void kf_findings_free(kf_findings *f)
{
    if (!f)
        return;
    kf_free(f->v);
    kf_findings_init(f);
}

kf_err kf_findings_copy(kf_findings *dst, const kf_findings *src)
{
    *dst = *src;
    dst->v = NULL;
    dst->cap = 0;
    if (src->n) {
        dst->v = kf_malloc((size_t)src->n * sizeof *dst->v);
        if (!dst->v) {
            kf_findings_init(dst);
            return KF_ENOMEM;
        }
        memcpy(dst->v, src->v, (size_t)src->n * sizeof *dst->v);
        dst->cap = src->n;
    }
    return KF_OK;
}

/* PRESENT > UNSURE > ABSENT when facts of equal authority disagree. */
static int rank(kf_state s)
{
    return s == KF_PRESENT ? 2 : s == KF_UNSURE ? 1 : 0;
}

int kf_findings_add(kf_findings *f, const kf_fact *fact)
{
    for (int i = 0; i < f->n; i++) {
        kf_fact *o = &f->v[i];
        if (o->finding != fact->finding)
            continue;
        /* Words read as a warning sign only to be safe (the note: "can't
         * take a deep breath", breathless or a pain on breathing?) give way
         * to the writer's own denial of that sign ("... but I'm not out of
         * breath at all"), in either order: the denial settles what the
         * words meant, and the milder reading stands. */
        if (fact->origin == KF_FROM_TEXT && o->origin == KF_FROM_TEXT) {
            const kf_fact *safer = NULL;
            if (o->state == KF_PRESENT && o->note == KF_NOTE_SAFER && fact->state == KF_ABSENT)
                safer = o;
            else if (o->state == KF_ABSENT && fact->state == KF_PRESENT &&
                     fact->note == KF_NOTE_SAFER)
                safer = fact;
            if (safer) {
                kf_fact milder = *safer;
                if (safer == o)
                    *o = *fact;
                if (milder.alt < 0 || milder.alt == milder.finding)
                    return i;
                milder.finding = milder.alt;
                milder.alt = -1;
                milder.note = KF_NOTE_NONE;
                kf_findings_add(f, &milder);
                return kf_findings_get(f, fact->finding) - f->v;
            }
        }
        bool authoritative = fact->origin != KF_FROM_TEXT && fact->origin != KF_FROM_JOURNAL;
        bool old_auth = o->origin != KF_FROM_TEXT && o->origin != KF_FROM_JOURNAL;
        if (authoritative || (!old_auth && rank(fact->state) > rank(o->state))) {
            kf_side side = fact->side;
            if (fact->state == KF_PRESENT && o->state == KF_PRESENT)
                side |= o->side;
            int start = o->start, len = o->len;
            *o = *fact;
            o->side = side;
            if (o->start < 0) {
                o->start = start;
                o->len = len;
            }
        } else if (fact->state == KF_PRESENT && o->state == KF_PRESENT) {
            o->side |= fact->side;
            if (o->alt < 0 && fact->alt >= 0)
                o->alt = fact->alt;
            /* said outright once is no longer only a guess */
            if (o->note == KF_NOTE_GUESS && fact->note != KF_NOTE_GUESS)
                o->note = fact->note;
        }
        return i;
    }
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        kf_fact *v = kf_realloc(f->v, (size_t)cap * sizeof *v);
        if (!v) {
            f->oom = true;
            return -1;
        }
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n] = *fact;
    return f->n++;
}

const kf_fact *kf_findings_get(const kf_findings *f, int finding)
{
    for (int i = 0; i < f->n; i++)
        if (f->v[i].finding == finding)
            return &f->v[i];
    return NULL;
}

int kf_findings_present(const kf_findings *f)
{
    int n = 0;
    for (int i = 0; i < f->n; i++)
        n += f->v[i].state == KF_PRESENT;
    return n;
}

bool kf_findings_has(const kf_findings *f, int finding)
{
    const kf_fact *x = kf_findings_get(f, finding);
    return x && x->state == KF_PRESENT;
}
