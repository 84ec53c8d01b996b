/*
 * triage.c — the red-flag rules of the knowledge base, applied to findings.
 * Triage runs before anything else and its level leads every answer.
 */
#include "triage.h"

#include <string.h>
#include <strings.h>

bool kf_rule_names(const kf_redflag *r, int d)
{
    for (int i = 0; i < r->n_all; i++)
        if (r->all[i] == d)
            return true;
    for (int i = 0; i < r->n_any; i++)
        if (r->any[i] == d)
            return true;
    return false;
}

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

static void derive_one(const kf_kb *kb, kf_findings *f, const char *id, bool when)
{
    int d = kf_kb_finding(kb, id);
    if (!when || d < 0 || kf_findings_get(f, d))
        return;
    kf_fact x = { .finding = d, .state = KF_PRESENT, .side = KF_SIDE_NONE,
                  .origin = KF_FROM_TEXT, .alt = -1, .start = -1, .len = 0 };
    kf_findings_add(f, &x);
}

void kf_triage_derive(const kf_kb *kb, kf_findings *f)
{
    /* Age bands from the age itself, whoever read it. */
    if (f->age >= 0) {
        derive_one(kb, f, "over_50", f->age >= 50);
        derive_one(kb, f, "over_65", f->age >= 65);
        derive_one(kb, f, "under_50", f->age < 50);
        /* The age at which heart disease becomes common: 45 for men, 55 for
         * women (NICE CG95 risk factors; ESC), 50 when the sex is not said. */
        derive_one(kb, f, "heart_age", f->age >= (f->sex == 'm' ? 45 : f->sex == 'f' ? 55 : 50));
    }
    /* Both-sided findings: "both hands numb" is tingling_hand on both sides. */
    for (int d = 0; d < kb->n_findings; d++) {
        int g = kb->findings[d].both_of;
        if (g < 0 || kf_findings_get(f, d))
            continue;
        const kf_fact *x = kf_findings_get(f, g);
        if (x && x->state == KF_PRESENT && x->side == KF_SIDE_BOTH) {
            kf_fact y = { .finding = d, .state = KF_PRESENT, .side = KF_SIDE_NONE,
                          .origin = x->origin, .alt = -1, .start = x->start, .len = x->len };
            kf_findings_add(f, &y);
        }
    }
    /* `any_of` findings: present when one of theirs is (any heart risk
     * factor); their members are never any_of findings themselves. */
    for (int d = 0; d < kb->n_findings; d++) {
        const kf_finding_def *fd = &kb->findings[d];
        if (!fd->n_any_of || kf_findings_get(f, d))
            continue;
        for (int k = 0; k < fd->n_any_of; k++)
            if (kf_findings_has(f, fd->any_of[k])) {
                derive_one(kb, f, fd->id, true);
                break;
            }
    }
}

kf_err kf_triage_level(const kf_kb *kb, const kf_findings *f, kf_triage *out)
{
    kf_findings g;
    *out = KF_TRIAGE_SELF_CARE;
    if (kf_findings_copy(&g, f) != KF_OK)
        return KF_ENOMEM;
    kf_triage_derive(kb, &g);
    if (g.oom) {
        kf_findings_free(&g);
        return KF_ENOMEM;
    }
    for (int i = 0; i < kb->n_redflags; i++)
        if (kb->redflags[i].level > *out && kf_rule_fires(&kb->redflags[i], &g))
            *out = kb->redflags[i].level;
    kf_findings_free(&g);
    return KF_OK;
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

/* How specific a rule is: the more conditions it needs, the more exactly
 * its message fits what was said. */
static int specificity(const kf_redflag *r)
{
    return r->n_all + (r->n_any > 0) + (r->n_none > 0);
}

static double mimic_post(const kf_redflag *r, const double *post)
{
    return post && r->mimic >= 0 ? post[r->mimic] : 0;
}

int kf_triage_lead(const kf_kb *kb, const int *fired, int n, const double *post)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        const kf_redflag *r = &kb->redflags[fired[i]];
        if (best < 0) {
            best = fired[i];
            continue;
        }
        const kf_redflag *b = &kb->redflags[best];
        if (r->level != b->level)
            continue;
        double pr = mimic_post(r, post), pb = mimic_post(b, post);
        if (pr > pb || (pr == pb && specificity(r) > specificity(b)))
            best = fired[i];
    }
    return best;
}

/* ---------- the red-flag screen ---------- */

static bool in_list(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* A finding worth asking: it has a question and nothing is known of it. */
static bool askable(const kf_kb *kb, const kf_findings *f, int d)
{
    return kb->findings[d].question && !kf_findings_get(f, d);
}

static void push(const kf_kb *kb, const kf_findings *f, int *out, int *n, int max, int d)
{
    if (*n < max && askable(kb, f, d) && !in_list(out, *n, d))
        out[(*n)++] = d;
}

/* The rule's mimic is linked to something that was said: the presentation
 * fits what the rule screens for. */
static bool fits_mimic(const kf_kb *kb, const kf_redflag *r, const kf_findings *f)
{
    if (r->mimic < 0)
        return false;
    const kf_cause *c = &kb->causes[r->mimic];
    for (int l = 0; l < c->n_links; l++)
        if (kf_findings_has(f, kb->links[c->links[l]].finding))
            return true;
    return false;
}

/* Said about the person's symptoms, not only an age band (a finding
 * without a question, derived from the age). */
static bool said_symptom(const kf_kb *kb, const kf_findings *f, int d)
{
    return kf_findings_has(f, d) &&
           !(kb->findings[d].kind == KF_FIND_BODY && !kb->findings[d].question);
}

/* How many conditions of a rule that has not fired were said (an age band
 * alone does not count), or -1 when a `none` finding is present (it cannot
 * fire).  *any_ok: its `any` list is met. */
static int said_of(const kf_kb *kb, const kf_redflag *r, const kf_findings *f, bool *any_ok)
{
    int said = 0;
    for (int i = 0; i < r->n_none; i++)
        if (kf_findings_has(f, r->none[i]))
            return -1;
    for (int i = 0; i < r->n_all; i++)
        said += said_symptom(kb, f, r->all[i]);
    *any_ok = r->n_any == 0;
    bool any_said = false;
    for (int i = 0; i < r->n_any; i++)
        if (kf_findings_has(f, r->any[i])) {
            *any_ok = true;
            any_said |= said_symptom(kb, f, r->any[i]);
        }
    return said + any_said;
}

static int screen(const kf_kb *kb, const kf_findings *f, int *out, int max, bool every);

int kf_triage_screen(const kf_kb *kb, const kf_findings *f, int *out, int max)
{
    return screen(kb, f, out, max, false);
}

/* Nothing understood: nothing tells which presentation it is, so every
 * doctor_soon screen (fever, weight loss, a past cancer, night pain, thin
 * bones, a pain that keeps getting worse) is asked beside the emergencies. */
int kf_triage_screen_all(const kf_kb *kb, const kf_findings *f, int *out, int max)
{
    return screen(kb, f, out, max, true);
}

static int screen(const kf_kb *kb, const kf_findings *f, int *out, int max, bool every)
{
    int n = 0;
    /* 1. The emergencies everyone is asked about. */
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if (r->screen && r->level == KF_TRIAGE_EMERGENCY)
            for (int k = 0; k < (r->n_all ? r->n_all : r->n_any); k++)
                push(kb, f, out, &n, max, r->n_all ? r->all[k] : r->any[k]);
    }
    /* 2. The doctor_soon screen where the presentation fits its cause
     *    (cancer, weight loss, night pain, thin bones for spine pain). */
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *r = &kb->redflags[i];
        if (r->screen && r->level < KF_TRIAGE_EMERGENCY && (every || fits_mimic(kb, r, f)))
            for (int k = 0; k < (r->n_all ? r->n_all : r->n_any); k++)
                push(kb, f, out, &n, max, r->n_all ? r->all[k] : r->any[k]);
    }
    /* 3. What would complete a doctor_soon or emergency rule half met by
     *    the symptoms said: its missing `all` findings, or a few of the `any`
     *    findings it still lacks (never a place: where it hurts was said). */
    for (int lv = KF_TRIAGE_EMERGENCY; lv >= KF_TRIAGE_SOON; lv--)
        for (int i = 0; i < kb->n_redflags; i++) {
            const kf_redflag *r = &kb->redflags[i];
            bool any_ok;
            if ((int)r->level != lv || kf_rule_fires(r, f))
                continue;
            int said = said_of(kb, r, f, &any_ok);
            if (said <= 0)
                continue;
            int missing = 0;
            for (int k = 0; k < r->n_all; k++)
                missing += !kf_findings_has(f, r->all[k]);
            if (missing > 1)
                continue;
            for (int k = 0; k < r->n_all; k++)
                if (!kf_findings_has(f, r->all[k]) &&
                    kb->findings[r->all[k]].kind != KF_FIND_LOCATION)
                    push(kb, f, out, &n, max, r->all[k]);
            if (!any_ok)
                for (int k = 0, took = 0; k < r->n_any && took < 4; k++)
                    if (askable(kb, f, r->any[k]) && kb->findings[r->any[k]].kind != KF_FIND_LOCATION) {
                        push(kb, f, out, &n, max, r->any[k]);
                        took++;
                    }
        }
    return n;
}

/* ---------- how soon: the timing of a rule's message ---------- */

static kf_when level_when(kf_triage t)
{
    return t >= KF_TRIAGE_EMERGENCY ? KF_WHEN_NOW : t == KF_TRIAGE_SOON ? KF_WHEN_DAYS
                                                                        : KF_WHEN_VISIT;
}

/* Whether s[0..n) contains w, case-insensitively. */
static bool has_words(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(s + i, w, k))
            return true;
    return false;
}

/* The timing one sentence asks for, or -1 when it names none. */
static int sentence_when(const char *s, size_t n)
{
    static const char *const now[] = { "emergency services now", "call emergency services",
                                       "emergency department now", "go to an emergency",
                                       "call an ambulance", NULL };
    static const char *const day[] = { "today or tomorrow", "next day", "day or two",
                                       "day or so", "within a day", "24 hours", "tomorrow", NULL };
    static const char *const today[] = { "today", "same day", "straight away", "right away",
                                         "this evening", NULL };
    static const char *const days[] = { "in the next few days", "within a few days",
                                        "within the next few days", "this week",
                                        "within a week", NULL };
    for (int i = 0; now[i]; i++)
        if (has_words(s, n, now[i]))
            return KF_WHEN_NOW;
    for (int i = 0; day[i]; i++)
        if (has_words(s, n, day[i]))
            return KF_WHEN_DAY;
    for (int i = 0; today[i]; i++)
        if (has_words(s, n, today[i]))
            return KF_WHEN_TODAY;
    for (int i = 0; days[i]; i++)
        if (has_words(s, n, days[i]))
            return KF_WHEN_DAYS;
    return -1;
}

/* Whether a clause is a condition ("If a fever comes, go the same day";
 * "see one soon if the leg gets weak"), not what to do now; "even if" is
 * not a condition. */
static bool conditional(const char *s, size_t n)
{
    if (!strncasecmp(s, "if ", 3) || !strncasecmp(s, "when ", 5) || !strncasecmp(s, "unless ", 7))
        return true;
    for (size_t i = 0; i + 4 <= n; i++)
        if (!strncasecmp(s + i, " if ", 4) && !(i >= 4 && !strncasecmp(s + i - 4, "even", 4)) &&
            !(i >= 2 && !strncasecmp(s + i - 2, "as", 2)))
            return true;
    return false;
}

kf_when kf_redflag_when(const kf_redflag *r)
{
    int best = -1;
    const char *s = r->message ? r->message : "";
    while (*s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, ".;");      /* one clause at a time */
        int w = conditional(s, n) ? -1 : sentence_when(s, n);
        if (w > best)
            best = w;
        s += n;
        if (*s)
            s++;
    }
    return best < 0 ? level_when(r->level) : (kf_when)best;
}

kf_when kf_triage_when(const kf_kb *kb, const int *fired, int n, kf_triage level)
{
    kf_when w = level_when(level);
    for (int i = 0; i < n; i++) {
        const kf_redflag *r = &kb->redflags[fired[i]];
        if (r->level != level)
            continue;
        kf_when x = (kf_when)r->when;
        if (x > w)
            w = x;
    }
    return w;
}

const char *kf_when_id(kf_when w)
{
    static const char *const id[] = { "next_visit", "few_days", "today_or_tomorrow", "today",
                                      "now" };
    return (unsigned)w < KF_ARRAY_LEN(id) ? id[w] : "few_days";
}
