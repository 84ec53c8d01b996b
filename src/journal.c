/*
 * journal.c — check-ins -> follow-up evidence -> a revised consultation,
 * with the reasons in plain words; and the pain chart.
 *
 * How a check-in counts (docs/JOURNAL.md).  Each thing done (a technique,
 * or "massage", "heat", "cold") is one *try*; it is honest unless the guided
 * step was stopped early.  A try with a relief time is lasting when the
 * relief lasted kb->relief_hours (a day) or more, short otherwise.
 *
 * Check-ins are findings of the same network as the consultation:
 *  - a try of a technique that works on named causes is one of its
 *    generated findings relief_after_<T>[_n] (the latest kb->relief_trials
 *    tries): present when the relief lasted, absent when it did not; the
 *    KB links them from the causes T works on, so the revision is the
 *    engine's own posterior: short relief lowers those causes and, the pain
 *    still needing an explanation, raises the ones that act from elsewhere;
 *  - work on the sore spot is relief_after_sore_spot_<region>[_n] (linked
 *    from the muscles tight right there) and the KB finding relief_short;
 *  - generic massage with only short or no relief: massage_no_help; heat,
 *    cold, rest and painkillers say nothing about a cause;
 *  - worse after heat / cold / massage: the findings of those names (the
 *    plan then swaps heat and cold);
 *  - a step with KF_TRIES_NO_CHANGE honest tries and never any help moves to
 *    the end of the plan; two such steps and nothing that ever helped:
 *    no_change_after_tries (the KB's red-flag rule then suggests a doctor).
 */
#include "journal.h"
#include "plan.h"
#include "render.h"
#include "render_json.h"
#include "text.h"
#include "triage.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const kf_journal_plain_words =
    "massage, heat, cold, stretch, rest, painkiller, other";

static const char *const plain[] = {
    "massage", "heat", "cold", "stretch", "rest", "painkiller", "other"
};

/* ------------------------------------------------------------------ */
/* Small helpers. */

static bool is_plain(const char *w)
{
    for (size_t i = 0; i < KF_ARRAY_LEN(plain); i++)
        if (!strcmp(w, plain[i]))
            return true;
    return false;
}

/* Levenshtein distance of two short strings (capped inputs). */
static int edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63)
        return 99;
    int d[64][64];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = c < del ? (c < ins ? c : ins) : (del < ins ? del : ins);
        }
    return d[na][nb];
}

/* The closest technique id or plain word, or NULL when none is close. */
static const char *closest_word(const kf_kb *kb, const char *w)
{
    const char *best = NULL;
    int bd = 3;
    for (int i = 0; i < kb->n_techniques; i++) {
        const char *id = kb->techniques[i].id;
        int d = edit_distance(w, id);
        if (d < bd || (!best && strlen(w) >= 4 && !strncmp(id, w, strlen(w)))) {
            bd = d < bd ? d : bd;
            best = id;
        }
    }
    for (size_t i = 0; i < KF_ARRAY_LEN(plain); i++) {
        int d = edit_distance(w, plain[i]);
        if (d < bd) {
            bd = d;
            best = plain[i];
        }
    }
    return best;
}

static const char *closest_region(const kf_kb *kb, const char *w)
{
    const char *best = NULL;
    int bd = 4;
    for (int i = 0; i < kb->n_regions; i++) {
        int d = edit_distance(w, kb->regions[i].id);
        if (d < bd) {
            bd = d;
            best = kb->regions[i].id;
        }
    }
    return best;
}

/* Technique index for a stored word: plain words map to the KB's own
 * technique where there is one; -1 for rest, painkiller and the like. */
static int word_technique(const kf_kb *kb, const char *w)
{
    if (!strcmp(w, "massage"))
        return kf_kb_technique(kb, "therapeutic_massage");
    if (!strcmp(w, "heat"))
        return kf_kb_technique(kb, "heat_front");
    if (!strcmp(w, "cold"))
        return kf_kb_technique(kb, "cold_therapy");
    if (!strcmp(w, "stretch"))
        return -1;
    return kf_kb_technique(kb, w);
}

static bool tech_is(const kf_kb *kb, int t, kf_tech_kind kind, const char *part)
{
    return t >= 0 && kb->techniques[t].kind == kind &&
           (!part || strstr(kb->techniques[t].id, part));
}

static bool word_is_heat(const kf_kb *kb, const char *w)
{
    return !strcmp(w, "heat") ||
           tech_is(kb, kf_kb_technique(kb, w), KF_TECH_THERMAL, "heat");
}

static bool word_is_cold(const kf_kb *kb, const char *w)
{
    return !strcmp(w, "cold") ||
           tech_is(kb, kf_kb_technique(kb, w), KF_TECH_THERMAL, "cold");
}

static bool word_is_massage(const kf_kb *kb, const char *w)
{
    return !strcmp(w, "massage") ||
           tech_is(kb, kf_kb_technique(kb, w), KF_TECH_THERAPIST, NULL);
}

/* Calls fn(word, ctx) for each word of a stored comma list; stops early
 * when fn returns false. */
static void each_word(const char *list, bool (*fn)(const char *, void *),
                      void *ctx)
{
    char w[KF_STORE_ID_MAX + 1];
    while (list && *list) {
        while (*list == ',' || *list == ' ')
            list++;
        size_t n = strcspn(list, ", ");
        if (n && n <= KF_STORE_ID_MAX) {
            memcpy(w, list, n);
            w[n] = '\0';
            if (!fn(w, ctx))
                return;
        }
        list += n;
    }
}

/* ------------------------------------------------------------------ */
/* Input checks. */

kf_err kf_journal_words(const kf_kb *kb, const char *what, const char *in,
                        kf_buf *out, kf_buf *err)
{
    char w[KF_STORE_ID_MAX + 1];
    const char *p = in ? in : "";
    size_t start = out->len;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        size_t n = strcspn(p, ",");
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        if (!n)
            break;
        if (n > KF_STORE_ID_MAX) {
            kf_buf_printf(err, "%s: '%.40s...' is too long for a technique "
                          "name", what, p);
            out->len = start;
            return KF_EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)p[i];
            w[i] = ch == '-' || ch == ' ' ? '_' : (char)tolower(ch);
        }
        w[n] = '\0';
        p += n;
        if (!strcmp(w, "ice"))
            strcpy(w, "cold");
        if (!strcmp(w, "none") || !strcmp(w, "nothing") || !strcmp(w, "no"))
            continue;
        bool ok = is_plain(w) || kf_kb_technique(kb, w) >= 0;
        if (!ok) {
            const char *near = closest_word(kb, w);
            kf_buf_printf(err, "%s: '%s' is neither a technique of the plan nor "
                          "one of: %s", what, w, kf_journal_plain_words);
            if (near)
                kf_buf_printf(err, "; did you mean '%s'?", near);
            else
                kf_buf_puts(err, " (`knotfinder learn` lists the techniques)");
            if (out->len > start) {
                out->len = start;
                out->s[start] = '\0';
            }
            return KF_EINVAL;
        }
        /* Drop duplicates. */
        bool dup = false;
        const char *q = out->s ? out->s + start : "";
        size_t wn = strlen(w);
        while (*q && !dup) {
            size_t m = strcspn(q, ",");
            dup = m == wn && !strncmp(q, w, m);
            q += m + (q[m] == ',');
        }
        if (dup)
            continue;
        if (out->len > start)
            kf_buf_puts(out, ",");
        kf_buf_puts(out, w);
    }
    if (out->oom) {
        kf_buf_printf(err, "%s: out of memory", what);
        return KF_ENOMEM;
    }
    if (out->len - start > KF_STORE_LIST_MAX) {
        kf_buf_printf(err, "%s: the list is too long (at most %d bytes)", what,
                      KF_STORE_LIST_MAX);
        out->len = start;
        out->s[start] = '\0';
        return KF_ETOOBIG;
    }
    return KF_OK;
}

kf_err kf_journal_where(const kf_kb *kb, const char *in, const char **region,
                        kf_side *side, kf_buf *err)
{
    *region = NULL;
    *side = KF_SIDE_NONE;
    if (!in || !*in)
        return KF_OK;
    char buf[KF_STORE_ID_MAX + 16];
    if (strlen(in) >= sizeof buf) {
        kf_buf_printf(err, "--where: '%.40s...' is too long; give REGION or "
                      "REGION:SIDE", in);
        return KF_EINVAL;
    }
    size_t n = 0;
    for (const char *p = in; *p; p++)
        buf[n++] = *p == '-' || *p == ' ' ? '_' : (char)tolower((unsigned char)*p);
    buf[n] = '\0';
    char *colon = strchr(buf, ':');
    const char *sidew = NULL;
    if (colon) {
        *colon = '\0';
        sidew = colon + 1;
    }
    const char *rid = buf;
    if (!strncmp(rid, "pain_", 5))
        rid += 5;
    int r = kf_kb_region(kb, rid);
    if (r < 0) {
        const char *near = closest_region(kb, rid);
        kf_buf_printf(err, "--where: '%s' is not a region of the body map", rid);
        if (near)
            kf_buf_printf(err, "; did you mean '%s'?", near);
        else
            kf_buf_puts(err, " (for example medial_border, top_shoulder, "
                        "under_arm, lateral_border)");
        return KF_EINVAL;
    }
    if (sidew) {
        int s = kf_side_parse(sidew);
        if (s < 0 || !*sidew) {
            kf_buf_printf(err, "--where: the side after ':' must be left, right "
                          "or both, not '%s'", sidew);
            return KF_EINVAL;
        }
        if (!kb->regions[r].sided && s != KF_SIDE_NONE) {
            kf_buf_printf(err, "--where: %s (%s) has no left or right side",
                          kb->regions[r].id, kb->regions[r].label);
            return KF_EINVAL;
        }
        *side = (kf_side)s;
    }
    *region = kb->regions[r].id;
    return KF_OK;
}

static bool all_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

kf_err kf_journal_time(const char *in, long long now, char out[KF_TIME_LEN],
                       kf_buf *err)
{
    const char *form = "use YYYY-MM-DD, YYYY-MM-DD HH:MM or "
                       "YYYY-MM-DDTHH:MM:SS with an optional Z or +HH:MM";
    const char *p = in ? in : "";
    while (isspace((unsigned char)*p))
        p++;
    struct tm tm = { 0 };
    if (strlen(p) < 10 || !all_digits(p, 4) || p[4] != '-' ||
        !all_digits(p + 5, 2) || p[7] != '-' || !all_digits(p + 8, 2)) {
        kf_buf_printf(err, "--at: '%.40s' is not a date: %s", p, form);
        return KF_EINVAL;
    }
    tm.tm_year = atoi(p) - 1900;
    tm.tm_mon = atoi(p + 5) - 1;
    tm.tm_mday = atoi(p + 8);
    p += 10;
    bool date_only = true;
    tm.tm_hour = 12;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!all_digits(p, 2) || p[2] != ':' || !all_digits(p + 3, 2)) {
            kf_buf_printf(err, "--at: the time of day in '%.40s' must be HH:MM: %s",
                          in, form);
            return KF_EINVAL;
        }
        date_only = false;
        tm.tm_hour = atoi(p);
        tm.tm_min = atoi(p + 3);
        p += 5;
        if (*p == ':') {
            if (!all_digits(p + 1, 2)) {
                kf_buf_printf(err, "--at: the seconds in '%.40s' must be two "
                              "digits", in);
                return KF_EINVAL;
            }
            tm.tm_sec = atoi(p + 1);
            p += 3;
        }
    }
    bool utc = false;
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        utc = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        if (!all_digits(p, 2)) {
            kf_buf_printf(err, "--at: bad zone offset in '%.40s': %s", in, form);
            return KF_EINVAL;
        }
        int hh = atoi(p), mm = 0;
        p += 2;
        if (*p == ':')
            p++;
        if (all_digits(p, 2)) {
            mm = atoi(p);
            p += 2;
        }
        if (hh > 14 || mm > 59) {
            kf_buf_printf(err, "--at: zone offset out of range in '%.40s'", in);
            return KF_EINVAL;
        }
        utc = true;
        off = sign * (hh * 3600L + mm * 60L);
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p) {
        kf_buf_printf(err, "--at: unexpected '%.20s' in '%.40s': %s", p, in, form);
        return KF_EINVAL;
    }
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59) {
        kf_buf_printf(err, "--at: '%.40s' is not a real date and time", in);
        return KF_EINVAL;
    }
    /* The day must exist (no 30 February): check on a UTC round trip. */
    struct tm chk = tm;
    time_t day = timegm(&chk);
    struct tm back;
    gmtime_r(&day, &back);
    if (back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon) {
        kf_buf_printf(err, "--at: %04d-%02d-%02d is not a day of the calendar",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        return KF_EINVAL;
    }
    long long t;
    if (utc) {
        t = (long long)timegm(&tm) - off;
    } else {
        tm.tm_isdst = -1;
        t = (long long)mktime(&tm);
    }
    if (date_only && t > now) {
        /* Today, given as a date: now.  (A later day stays in the future.) */
        time_t nt = (time_t)now;
        struct tm today;
        localtime_r(&nt, &today);
        if (today.tm_year == back.tm_year && today.tm_mon == back.tm_mon &&
            today.tm_mday == back.tm_mday)
            t = now;
    }
    if (t < 0) {
        kf_buf_printf(err, "--at: '%.40s' is before 1970", in);
        return KF_EINVAL;
    }
    if (t > now + KF_STORE_FUTURE_S) {
        char nowtxt[KF_TIME_LEN];
        kf_time_format(now, nowtxt);
        kf_buf_printf(err, "--at: '%.40s' is in the future (now is %s UTC); a "
                      "check-in records what already happened", in, nowtxt);
        return KF_EINVAL;
    }
    kf_time_format(t, out);
    return KF_OK;
}

kf_err kf_journal_pain(const char *in, int *pain, kf_buf *err)
{
    const char *p = in ? in : "";
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strspn(p, "0123456789");
    const char *rest = p + n;
    if (n && (!strcmp(rest, "/10") || !strcmp(rest, " / 10")))
        rest = "";
    while (isspace((unsigned char)*rest))
        rest++;
    if (!n || n > 3 || *rest) {
        kf_buf_printf(err, "pain must be a whole number from 0 (none) to 10 "
                      "(the worst), not '%.20s'", in ? in : "");
        return KF_EINVAL;
    }
    int v = atoi(p);
    if (v > 10) {
        kf_buf_printf(err, "pain must be from 0 (none) to 10 (the worst), not %d",
                      v);
        return KF_EINVAL;
    }
    *pain = v;
    return KF_OK;
}

kf_err kf_journal_hours(const char *in, double *hours, kf_buf *err)
{
    const char *p = in ? in : "";
    char *end;
    double v = strtod(p, &end);
    if (end == p || !isfinite(v)) {
        kf_buf_printf(err, "relief hours must be a number such as 2, 0.5 or 90m, "
                      "not '%.20s'", p);
        return KF_EINVAL;
    }
    while (isspace((unsigned char)*end))
        end++;
    double scale = 1;
    if (!*end || !strcmp(end, "h") || !strcmp(end, "hr") || !strcmp(end, "hrs") ||
        !strcmp(end, "hour") || !strcmp(end, "hours"))
        scale = 1;
    else if (!strcmp(end, "m") || !strcmp(end, "min") || !strcmp(end, "mins") ||
             !strcmp(end, "minutes"))
        scale = 1.0 / 60;
    else if (!strcmp(end, "d") || !strcmp(end, "day") || !strcmp(end, "days"))
        scale = 24;
    else {
        kf_buf_printf(err, "relief hours: unknown unit '%.10s' (use h, m or d)",
                      end);
        return KF_EINVAL;
    }
    v *= scale;
    if (v < 0) {
        kf_buf_printf(err, "relief hours cannot be negative (got %.20s); use 0 "
                      "for no relief at all", p);
        return KF_EINVAL;
    }
    if (v > KF_STORE_HOURS_MAX) {
        kf_buf_printf(err, "relief hours must be at most %.0f (a year), not %g",
                      KF_STORE_HOURS_MAX, v);
        return KF_EINVAL;
    }
    *hours = v;
    return KF_OK;
}

typedef struct {
    const kf_kb *kb;
    const char  *bad;
    char         word[KF_STORE_ID_MAX + 1];
} word_check;

static bool check_one(const char *w, void *ctx)
{
    word_check *c = ctx;
    if (is_plain(w) || kf_kb_technique(c->kb, w) >= 0)
        return true;
    snprintf(c->word, sizeof c->word, "%s", w);
    c->bad = c->word;
    return false;
}

kf_err kf_journal_check(const kf_kb *kb, const kf_checkin *c, kf_buf *err)
{
    kf_err e = kf_checkin_validate(c, err);
    if (e != KF_OK)
        return e;
    if (c->region && *c->region) {
        int r = kf_kb_region(kb, c->region);
        if (r < 0) {
            kf_buf_printf(err, "where: '%s' is not a region of the body map",
                          c->region);
            return KF_EINVAL;
        }
        if (!kb->regions[r].sided && c->side != KF_SIDE_NONE) {
            kf_buf_printf(err, "where: %s has no left or right side", c->region);
            return KF_EINVAL;
        }
    }
    const char *lists[2] = { c->did, c->worse_after };
    const char *names[2] = { "did", "worse_after" };
    for (int i = 0; i < 2; i++) {
        word_check wc = { .kb = kb };
        each_word(lists[i], check_one, &wc);
        if (wc.bad) {
            const char *near = closest_word(kb, wc.bad);
            kf_buf_printf(err, "%s: '%s' is neither a technique nor one of: %s",
                          names[i], wc.bad, kf_journal_plain_words);
            if (near)
                kf_buf_printf(err, "; did you mean '%s'?", near);
            return KF_EINVAL;
        }
    }
    return KF_OK;
}

/* ------------------------------------------------------------------ */
/* Follow-ups. */

typedef struct {
    int     tech;
    int     ci;            /* check-in index */
    int     region;        /* where it hurt, or -1 */
    kf_side side;
    bool    honest;
    double  relief;        /* hours, < 0 unknown */
    int     pain_before, pain;
    bool    generic;       /* the plain word "massage": not aimed at a cause */
} try_t;

typedef enum { EFF_UNCLEAR, EFF_NONE, EFF_SHORT, EFF_HELPED, EFF_LASTING } effect;

static effect try_effect(const kf_kb *kb, const try_t *t)
{
    if (t->relief >= 0) {
        if (t->relief == 0)
            return EFF_NONE;
        if (t->relief < kb->relief_hours)
            return EFF_SHORT;
        return EFF_LASTING;
    }
    if (t->pain_before >= 0) {
        int drop = t->pain_before - t->pain;
        if (drop >= 2)
            return EFF_HELPED;
        if (drop <= 0)
            return EFF_NONE;
    }
    return EFF_UNCLEAR;
}


typedef struct {
    const kf_kb *kb;
    try_t      **tries;
    int         *nt, *cap;
    const kf_checkin *c;
    int          ci, region, pain_before;
    bool         oom;
} add_ctx;

static bool add_try(const char *w, void *p)
{
    add_ctx *a = p;
    int t = word_technique(a->kb, w);
    if (t < 0)
        return true;
    if (*a->nt == *a->cap) {
        int nc = *a->cap ? *a->cap * 2 : 64;
        try_t *v = kf_realloc(*a->tries, (size_t)nc * sizeof *v);
        if (!v) {
            a->oom = true;
            return false;
        }
        *a->tries = v;
        *a->cap = nc;
    }
    (*a->tries)[(*a->nt)++] = (try_t){
        .tech = t, .ci = a->ci, .region = a->region, .side = a->c->side,
        .honest = !a->c->stopped_early, .relief = a->c->relief_hours,
        .generic = !strcmp(w, "massage"),
        .pain_before = a->pain_before, .pain = a->c->pain,
    };
    return true;
}

typedef struct {
    const kf_kb *kb;
    kf_followup *fu;
    const char  *at;
    bool         massage;
} worse_ctx;

static kf_tech_record *tech_record_of(kf_followup *fu, int tech, bool generic)
{
    for (int i = 0; i < fu->n_techs; i++)
        if (fu->techs[i].technique == tech && fu->techs[i].generic == generic)
            return &fu->techs[i];
    kf_tech_record *r = &fu->techs[fu->n_techs++];
    memset(r, 0, sizeof *r);
    r->technique = tech;
    r->generic = generic;
    return r;
}

static kf_tech_record *tech_record(kf_followup *fu, int tech)
{
    return tech_record_of(fu, tech, false);
}

static bool add_worse(const char *w, void *p)
{
    worse_ctx *x = p;
    if (word_is_heat(x->kb, w))
        snprintf(x->fu->worse_heat_at, KF_TIME_LEN, "%s", x->at);
    if (word_is_cold(x->kb, w))
        snprintf(x->fu->worse_cold_at, KF_TIME_LEN, "%s", x->at);
    if (word_is_massage(x->kb, w))
        x->massage = true;
    int t = word_technique(x->kb, w);
    if (t >= 0)
        tech_record_of(x->fu, t, !strcmp(w, "massage"))->worse++;
    return true;
}

static void add_fact(const kf_kb *kb, kf_findings *f, const char *id,
                     kf_state st, kf_side side)
{
    int fd = kf_kb_finding(kb, id);
    if (fd < 0)
        return;
    kf_fact x = { .finding = fd, .state = st, .origin = KF_FROM_JOURNAL,
                  .alt = -1, .start = -1, .len = 0,
                  .side = kb->findings[fd].sided ? side : KF_SIDE_NONE };
    kf_findings_add(f, &x);
}

/* What a check-in's note says about the body: a new symptom, a warning
 * sign, a new place, the history.  The note is read as the consultation's
 * words are, and what it says is present goes into the follow-up facts, so
 * a warning sign written at a check-in is screened before anything else
 * (a red flag outranks everything, DESIGN.md).  What it says of relief and
 * habits is left to the check-in's own fields (--did, --relief-hours,
 * --worse-after), which count it once. */
static kf_err add_note(const kf_kb *kb, const kf_checkin *c, const kf_findings *nf,
                       kf_followup *fu)
{
    kf_err e = KF_OK;
    bool any = false;
    for (int i = 0; e == KF_OK && i < nf->n; i++) {
        kf_fact x = nf->v[i];
        const kf_finding_def *fd = &kb->findings[x.finding];
        if (x.state != KF_PRESENT || fd->kind == KF_FIND_FOLLOWUP || fd->kind == KF_FIND_HABIT ||
            !strcmp(fd->id, "relief_short") || !strcmp(fd->id, "knot_recurring") ||
            !strcmp(fd->id, "everyday_cause"))
            continue;
        x.origin = KF_FROM_JOURNAL;
        if (kf_findings_add(&fu->add, &x) < 0)
            e = KF_ENOMEM;
        any = true;
    }
    if (any && e == KF_OK)
        snprintf(fu->note_at, sizeof fu->note_at, "%s", c->at);
    return e;
}

/* A check-in's note read as words, once, for add_note and note_warning:
 * into *said (empty when the note is no words, or one the reader refuses
 * as too long).  Returns KF_OK or KF_ENOMEM. */
static kf_err read_note(const kf_kb *kb, const kf_checkin *c, kf_findings *said)
{
    size_t len = strlen(c->note);
    if (!kf_text_is_words(c->note, len))
        return KF_OK;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_text_read(kb, c->note, len, said, &err);
    kf_buf_free(&err);
    if (e == KF_ENOMEM || said->oom)
        return KF_ENOMEM;
    if (e != KF_OK) {               /* refused: it adds nothing */
        kf_findings_free(said);
        kf_findings_init(said);
    }
    return KF_OK;
}

/* ---- a later check-in settles a note's warning sign ----
 * The note is cut into words, sentences (at . ! ? ; a line break, and
 * "but", "though", "however"...) and clauses (also at commas and "and").
 * A fact read in a clause that says it is gone ("the numbness in my legs
 * has gone", "no longer numb") and not that it is still there or back, or
 * in a sentence that says a doctor has seen or checked it with nothing
 * left to do ("saw my GP about the leg weakness, she said it is nothing
 * serious"), settles the warning signs of earlier notes it names; it is
 * not a new fact.  A doctor's sentence that names no sign settles every
 * earlier one ("went to the GP, she examined me and all is fine").  A fact
 * said as still there, back or worse is a fact, as before: the warning
 * stands or comes again.  Any doubt keeps the warning. */

#define SW_MAX 160
typedef struct {
    int  start, sent, clause;
    char w[20];
} sword;

/* and_all: every "and" starts a clause (a note that may settle: "the
 * numbness has gone and my legs feel fine"); else only one before a new
 * subject ("my legs went numb and I have a fever", not "weak and numb"). */
static int note_words(const char *note, sword *v, int max, bool and_all)
{
    static const char *const subject[] = {
        "i", "im", "ive", "my", "it", "its", "there", "now", "also", "then", "the", "a", "an",
        "she", "he", "we", "they", "this", "today", NULL
    };
    bool cut_next = false;
    int n = 0, sent = 0, clause = 0;
    static const char *const sent_cut[] = {
        "but", "though", "although", "however", "yet", "except", "whereas", "while", NULL
    };
    for (const char *p = note; *p && n < max;) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '.' || ch == '!' || ch == '?' || ch == ';' || ch == '\n') {
            sent++;
            clause++;
            p++;
            continue;
        }
        if (ch == ',' || ch == ':' || ch == '(' || ch == ')') {
            clause++;
            p++;
            continue;
        }
        if (!isalnum(ch) && ch != '&' && ch != '\'') {
            p++;
            continue;
        }
        sword *x = &v[n];
        x->start = (int)(p - note);
        int k = 0;
        while (*p && (isalnum((unsigned char)*p) || *p == '&' || *p == '\'' ||
                      (unsigned char)*p >= 0x80)) {
            if (*p != '\'' && (unsigned char)*p < 0x80 && k + 1 < (int)sizeof x->w)
                x->w[k++] = (char)tolower((unsigned char)*p);
            p++;
        }
        x->w[k] = '\0';
        if (!k)
            continue;
        bool cut = false;
        for (int i = 0; sent_cut[i] && !cut; i++)
            cut = !strcmp(x->w, sent_cut[i]);
        if (cut) {
            sent++;
            clause++;
            continue;
        }
        if (!strcmp(x->w, "and")) {
            if (and_all)
                clause++;
            else
                cut_next = true;
            continue;
        }
        if (cut_next) {
            for (int i = 0; subject[i]; i++)
                if (!strcmp(x->w, subject[i])) {
                    clause++;
                    break;
                }
            cut_next = false;
        }
        x->sent = sent;
        x->clause = clause;
        n++;
    }
    return n;
}

/* Whether phrase `ph` (words with single spaces) starts at word i, all in
 * one sentence. */
static bool phrase_at(const sword *v, int n, int i, const char *ph)
{
    int j = i;
    while (*ph) {
        const char *e = strchr(ph, ' ');
        size_t l = e ? (size_t)(e - ph) : strlen(ph);
        if (j >= n || v[j].sent != v[i].sent || strlen(v[j].w) != l || strncmp(v[j].w, ph, l))
            return false;
        j++;
        ph += l;
        while (*ph == ' ')
            ph++;
    }
    return true;
}

/* The first word index >= i of a phrase of `list` within unit u (clause or
 * sentence, by `clause`), or -1. */
static int find_in(const sword *v, int n, int from, int u, bool clause,
                   const char *const *list)
{
    for (int i = from; i < n; i++) {
        if ((clause ? v[i].clause : v[i].sent) != u)
            continue;
        for (int k = 0; list[k]; k++)
            if (phrase_at(v, n, i, list[k]))
                return i;
    }
    return -1;
}

static const char *const sign_gone[] = {
    "gone", "went away", "went off", "gone away", "cleared", "cleared up", "resolved",
    "disappeared", "vanished", "subsided", "no longer", "no more", "back to normal",
    "normal again", "all better", "fine now", "ok now", "okay now", "recovered", "has settled",
    "settled down", "feel normal", "feels normal", "feeling normal", "fine", "fine again",
    "ok again", "okay again", "all good", NULL
};
/* Before a word of going: it did not go ("hasn't gone", "not gone yet"). */
static const char *const sign_not[] = {
    "not", "hasnt", "havent", "isnt", "wont", "never", "didnt", "doesnt", "dont", "cant",
    "cannot", "hardly", "barely", "yet", "still", "wish", "hope", "hoping", "if", "until",
    "when", NULL
};
/* "no longer" of a function is a warning sign ("can no longer feel my
 * legs"), not a sign that went. */
static const char *const lost_function[] = {
    "feel", "able", "walk", "move", "lift", "control", "hold", "stand", "use", "grip",
    "sense", "pee", "urinate", "go", "breathe", "see", "speak", "swallow", "get", NULL
};
static const char *const sign_back[] = {
    "again", "is back", "its back", "it's back", "came back", "come back", "comes back",
    "coming back", "back again", "returned", "returning", "returns", "worse", "worsening",
    "still", "keeps", "spreading", "spread", "new", "more numb", "more weak", NULL
};
static const char *const doctor_word[] = {
    "doctor", "doctors", "dr", "doc", "gp", "physician", "a&e", "er", "emergency room",
    "emergency department", "hospital", "clinic", "urgent care", "neurologist", "consultant",
    "specialist", "nurse", "paramedic", "paramedics", "surgeon", "walk in centre",
    "walk in center", "midwife", "obstetrician", "ob", "obgyn", NULL
};
static const char *const doctor_looked[] = {
    "checked", "examined", "looked at", "looked me over", "saw", "seen", "been to",
    "went to", "cleared", "all clear", "fine", "normal", "nothing serious", "nothing wrong",
    "nothing to worry", "nothing sinister", "not serious", "ok", "okay", "reassured",
    "ruled out", "ruled it out", "no sign", "no signs", "found nothing", "nothing found",
    "clear", NULL
};
/* In a doctor's sentence: not yet, or something left to do. */
static const char *const doctor_open[] = {
    "hasnt", "havent", "didnt", "wasnt", "werent", "cant", "couldnt", "wont", "yet",
    "waiting", "wait", "tomorrow", "booked", "book", "appointment", "referred", "referral",
    "sent", "told me to go", "to go to", "go to", "going to", "will", "should", "need to",
    "needs to", "must", "could", "might", "may", "maybe", "worried", "concerned", "urgent",
    "admitted", "scan", "mri", "tests", "results", "x ray", "xray", "bloods", "come back",
    "if it", "call", "ambulance", "not sure", "unsure", NULL
};

static bool unit_has(const sword *v, int n, int u, bool clause, const char *const *list);

/* Whether unit u says a sign is there again, still or worse; "again" of
 * feeling well is not ("normal again", "fine again"). */
static bool unit_back(const sword *v, int n, int u, bool clause)
{
    static const char *const well[] = {
        "normal", "fine", "ok", "okay", "well", "better", "myself", "good", "great", "right",
        NULL
    };
    for (int i = find_in(v, n, 0, u, clause, sign_back); i >= 0;
         i = find_in(v, n, i + 1, u, clause, sign_back)) {
        bool ok = false;
        if (!strcmp(v[i].w, "again") && i > 0)
            for (int k = 0; well[k] && !ok; k++)
                ok = !strcmp(v[i - 1].w, well[k]);
        if (!ok)
            return true;
    }
    return false;
}

static bool unit_has(const sword *v, int n, int u, bool clause, const char *const *list)
{
    return find_in(v, n, 0, u, clause, list) >= 0;
}

/* Whether unit u says a sign went: a word of going not denied just before. */
static bool clause_gone(const sword *v, int n, int u)
{
    for (int i = find_in(v, n, 0, u, true, sign_gone); i >= 0;
         i = find_in(v, n, i + 1, u, true, sign_gone)) {
        bool denied = false;
        for (int j = i - 1; j >= 0 && j >= i - 3 && v[j].clause == u && !denied; j--)
            for (int k = 0; sign_not[k] && !denied; k++)
                denied = !strcmp(v[j].w, sign_not[k]);
        if (!denied && (phrase_at(v, n, i, "no longer") || phrase_at(v, n, i, "no more")))
            for (int j = i + 2; j < n && j <= i + 4 && v[j].clause == u && !denied; j++)
                for (int k = 0; lost_function[k] && !denied; k++)
                    denied = !strcmp(v[j].w, lost_function[k]);
        if (!denied)
            return true;
    }
    return false;
}

/* Whether sentence u says a doctor has seen or checked, with nothing left
 * to do ("not" only as in "not serious"). */
static bool sentence_doctor(const sword *v, int n, int u)
{
    if (!unit_has(v, n, u, false, doctor_word) || !unit_has(v, n, u, false, doctor_looked) ||
        unit_has(v, n, u, false, doctor_open) || unit_back(v, n, u, false))
        return false;
    for (int i = 0; i < n; i++)
        if (v[i].sent == u && !strcmp(v[i].w, "not") &&
            !(i + 1 < n && v[i + 1].sent == u &&
              (!strcmp(v[i + 1].w, "serious") || !strcmp(v[i + 1].w, "worried") ||
               !strcmp(v[i + 1].w, "worrying") || !strcmp(v[i + 1].w, "sinister"))))
            return false;
    return true;
}

static int word_at(const sword *v, int n, int off)
{
    int best = -1;
    for (int i = 0; i < n && v[i].start <= off; i++)
        best = i;
    return best;
}

static bool in_set(const int *set, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (set[i] == x)
            return true;
    return false;
}

/* Words that say nothing of which sign it was. */
static bool content_word(const char *w)
{
    static const char *const stop[] = {
        "the", "and", "this", "that", "morning", "today", "yesterday", "tonight", "night",
        "went", "have", "has", "had", "are", "was", "were", "been", "feel", "feels", "felt",
        "feeling", "its", "now", "again", "very", "bit", "little", "some", "still", "all",
        "got", "get", "gets", "back", "normal", "fine", "gone", "away", "more", "longer",
        "pain", "painful", "hurt", "hurts", "hurting", "sore", "ache", "aches", "aching",
        "knot", "knots", "really", "bad", "worse", "better", "like", "just", "also", "then",
        "with", "for", "from", "but", "not", "any", "both", "side", "left", "right", "day",
        "days", "week", "weeks", "hour", "hours", "time", "since", "when", "about", "after",
        "your", "you", "she", "her", "him", "his", "they", "said", "says", "cleared", "clear",
        "doctor", "checked", "okay", "came", "come", "comes", "started", "start", NULL
    };
    if (strlen(w) < 3)
        return false;
    for (int i = 0; stop[i]; i++)
        if (!strcmp(w, stop[i]))
            return false;
    return true;
}

/* w without "ness" and a plural s: numbness -> numb, legs -> leg. */
static size_t word_stem(const char *w, char *out, size_t n)
{
    size_t l = strlen(w);
    if (l > 6 && !strcmp(w + l - 4, "ness"))
        l -= 4;
    if (l > 3 && w[l - 1] == 's' && w[l - 2] != 's')
        l--;
    if (l >= n)
        l = n - 1;
    memcpy(out, w, l);
    out[l] = '\0';
    return l;
}

/* Whether a content word of unit u (a clause, or a sentence by `clause`)
 * of the words v is one of `words` (space-separated), stem to stem. */
static bool unit_names(const sword *v, int n, int u, bool clause, const char *words)
{
    for (int i = 0; i < n; i++) {
        if ((clause ? v[i].clause : v[i].sent) != u || !content_word(v[i].w))
            continue;
        char a[24], b[24];
        word_stem(v[i].w, a, sizeof a);
        for (const char *p = words; *p;) {
            const char *e = strchr(p, ' ');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            char w[24];
            if (l < sizeof w) {
                memcpy(w, p, l);
                w[l] = '\0';
                word_stem(w, b, sizeof b);
                if (!strcmp(a, b))
                    return true;
            }
            p += l;
            while (*p == ' ')
                p++;
        }
    }
    return false;
}

/* The content words of the clauses of `note` that the span [start,
 * start+len) lies in, into out (space-separated, cut at n). */
static void clause_words(const char *note, int start, int len, char *out, size_t n)
{
    out[0] = '\0';
    sword *v = kf_malloc(SW_MAX * sizeof *v);
    if (!v || start < 0)
        goto done;
    int nw = note_words(note, v, SW_MAX, false);
    size_t at = 0;
    int lo = word_at(v, nw, start), hi = word_at(v, nw, start + (len > 0 ? len - 1 : 0));
    if (lo < 0)
        goto done;
    for (int i = 0; i < nw; i++) {
        if (v[i].clause < v[lo].clause || v[i].clause > v[hi].clause || !content_word(v[i].w))
            continue;
        size_t l = strlen(v[i].w);
        if (at + l + 2 > n)
            break;
        if (at)
            out[at++] = ' ';
        memcpy(out + at, v[i].w, l);
        at += l;
        out[at] = '\0';
    }
done:
    kf_free(v);
}

/* Reads check-in c's note (its facts in *said, from read_note) for signs
 * that settle the warnings of earlier notes (above): those facts leave
 * *said, the settled warnings leave fu->warn, fu->add and fu->notes and go
 * to fu->settled.  A sign is settled by a clause that says it went and
 * names it (by the finding read there, or by a word of the clause the
 * warning was read in: "legs feel normal again" after "my legs went weak
 * and numb"); a note's warning as a whole by a doctor's sentence that
 * names it, or that names no sign at all. */
static void settle_note(const kf_kb *kb, const kf_checkin *c, kf_findings *said,
                        kf_followup *fu)
{
    sword *v = kf_malloc(SW_MAX * sizeof *v);
    if (!v)
        return;                   /* then nothing is settled: the safe way */
    int n = note_words(c->note, v, SW_MAX, true);
    {
        /* The visit was for this pain: the sentence says "it" or "me", or
         * names the back, the knot or a place or sign read there ("the
         * doctor said my blood pressure is fine" is another visit). */
        static const char *const about_it[] = {
            "it", "me", "this", "back", "knot", "knots", "spine", "neck", "shoulder", "blade",
            "pain", "spasm", "muscle", "legs", "arm", NULL
        };
        bool doc = false;
        for (int u = 0; n && u <= v[n - 1].sent && !doc; u++) {
            if (!sentence_doctor(v, n, u))
                continue;
            doc = unit_has(v, n, u, false, about_it);
            for (int i = 0; i < said->n && !doc; i++) {
                int k = kb->findings[said->v[i].finding].kind;
                int w = said->v[i].start >= 0 ? word_at(v, n, said->v[i].start) : -1;
                doc = w >= 0 && v[w].sent == u && (k == KF_FIND_LOCATION || k == KF_FIND_SYMPTOM);
            }
        }
        if (doc)
            memcpy(fu->doctor_at, c->at, KF_TIME_LEN);
    }
    int set[64], nset = 0;       /* findings said gone or checked */
    bool doc_set = false;
    int keep = 0;
    for (int i = 0; i < said->n; i++) {
        kf_fact x = said->v[i];
        bool warned = kf_findings_has(&fu->warn, x.finding) ||
                      (x.alt >= 0 && kf_findings_has(&fu->warn, x.alt));
        int w = x.start >= 0 ? word_at(v, n, x.start) : -1;
        bool back = w >= 0 && unit_back(v, n, v[w].clause, true);
        bool gone = w >= 0 && !back && x.state == KF_PRESENT && clause_gone(v, n, v[w].clause);
        /* a doctor's sentence settles what its doctor's clauses name, not
         * what comes after in it ("..., all fine, and now I have chest
         * pain") */
        bool doc = w >= 0 && !back && x.state == KF_PRESENT && sentence_doctor(v, n, v[w].sent) &&
                   (unit_has(v, n, v[w].clause, true, doctor_word) ||
                    unit_has(v, n, v[w].clause, true, doctor_looked));
        bool absent = x.state == KF_ABSENT && warned;
        if (!(gone || doc || absent)) {
            said->v[keep++] = x;
            continue;
        }
        doc_set |= doc && warned;
        if (warned && nset + 2 < (int)KF_ARRAY_LEN(set)) {
            if (!in_set(set, nset, x.finding))
                set[nset++] = x.finding;
            if (x.alt >= 0 && !in_set(set, nset, x.alt))
                set[nset++] = x.alt;
        }
        if (absent)
            said->v[keep++] = x;  /* a denial stays a fact */
    }
    int last = n ? v[n - 1].sent : -1, lastc = n ? v[n - 1].clause : -1;
    /* "... but it came back this evening": a clause of coming back that
     * names no sign is about the one just said gone; nothing is settled. */
    for (int u = 0; u <= lastc; u++) {
        if (!unit_back(v, n, u, true))
            continue;
        bool names = false;
        for (int i = 0; i < said->n && !names; i++) {
            const kf_finding_def *fd = &kb->findings[said->v[i].finding];
            if (fd->kind == KF_FIND_FOLLOWUP || !strcmp(fd->id, "knot_recurring") ||
                !strcmp(fd->id, "relief_short"))
                continue;         /* "came back" read as the knot's return */
            int w = said->v[i].start >= 0 ? word_at(v, n, said->v[i].start) : -1;
            names = w >= 0 && v[w].clause == u;
        }
        if (!names) {
            kf_free(v);
            return;               /* said is as read: every fact stands */
        }
    }
    said->n = keep;
    bool doctor_any = false;
    for (int u = 0; u <= last; u++)
        doctor_any |= sentence_doctor(v, n, u);

    /* Which found facts of each note's warning are settled. */
    bool done_any = false;
    int k = 0;
    for (int i = 0; i < fu->n_notes; i++) {
        kf_note_warning *w = &fu->notes[i];
        bool named = false, doc_named = false;
        bool gone_f[KF_NOTE_FOUND_MAX] = { false };
        for (int q = 0; q < w->n_found; q++) {
            if (in_set(set, nset, w->found[q])) {
                gone_f[q] = true;
                named = true;
                doc_named |= doc_set;
            }
            for (int u = 0; u <= lastc && !gone_f[q]; u++)
                if (clause_gone(v, n, u) && !unit_back(v, n, u, true) &&
                    unit_names(v, n, u, true, w->words[q]))
                    gone_f[q] = named = true;
            for (int u = 0; u <= last; u++)
                if (sentence_doctor(v, n, u) && unit_names(v, n, u, false, w->words[q]))
                    doc_named = named = true;
        }
        (void)named;
        bool all = w->n_found > 0;
        for (int q = 0; q < w->n_found; q++)
            all &= gone_f[q] || doc_named;
        if (!all) {
            /* partly: the signs said gone leave warn, the note still warns */
            int left = 0;
            for (int q = 0; q < w->n_found; q++)
                if (gone_f[q] && !in_set(set, nset, w->found[q]) && nset < (int)KF_ARRAY_LEN(set))
                    set[nset++] = w->found[q];
            for (int q = 0; q < w->n_found; q++)
                if (!gone_f[q]) {
                    memmove(w->words[left], w->words[q], sizeof w->words[q]);
                    w->found[left++] = w->found[q];
                }
            if (left < w->n_found)
                w->finding = w->found[0];
            w->n_found = left;
            fu->notes[k++] = *w;
            continue;
        }
        done_any = true;
        for (int q = 0; q < w->n_found && nset < (int)KF_ARRAY_LEN(set); q++)
            if (!in_set(set, nset, w->found[q]))
                set[nset++] = w->found[q];
        if (fu->n_settled == KF_NOTE_WARN_MAX) {
            memmove(fu->settled, fu->settled + 1, (KF_NOTE_WARN_MAX - 1) * sizeof *fu->settled);
            fu->n_settled--;
        }
        kf_note_settled *st = &fu->settled[fu->n_settled++];
        st->checkin = c->id;
        memcpy(st->at, c->at, KF_TIME_LEN);
        memcpy(st->warned_at, w->at, KF_TIME_LEN);
        st->finding = w->finding;
        st->how = doc_named ? KF_SETTLED_DOCTOR : KF_SETTLED_GONE;
    }
    fu->n_notes = k;
    /* A doctor looked and no sign is named: every earlier warning. */
    if (doctor_any && !done_any && !nset) {
        for (int i = 0; i < fu->n_notes; i++) {
            kf_note_warning *w = &fu->notes[i];
            for (int q = 0; q < w->n_found && nset < (int)KF_ARRAY_LEN(set); q++)
                if (!in_set(set, nset, w->found[q]))
                    set[nset++] = w->found[q];
            if (fu->n_settled == KF_NOTE_WARN_MAX) {
                memmove(fu->settled, fu->settled + 1,
                        (KF_NOTE_WARN_MAX - 1) * sizeof *fu->settled);
                fu->n_settled--;
            }
            kf_note_settled *st = &fu->settled[fu->n_settled++];
            st->checkin = c->id;
            memcpy(st->at, c->at, KF_TIME_LEN);
            memcpy(st->warned_at, w->at, KF_TIME_LEN);
            st->finding = w->finding;
            st->how = KF_SETTLED_DOCTOR;
        }
        fu->n_notes = 0;
        for (int i = 0; i < fu->warn.n && nset < (int)KF_ARRAY_LEN(set); i++)
            if (!in_set(set, nset, fu->warn.v[i].finding))
                set[nset++] = fu->warn.v[i].finding;
    }
    kf_free(v);
    if (!nset)
        return;
    /* the other reading of the same words goes with it */
    for (int i = 0; i < fu->warn.n && nset < (int)KF_ARRAY_LEN(set); i++) {
        const kf_fact *x = &fu->warn.v[i];
        if (!in_set(set, nset, x->finding) && x->alt >= 0 && in_set(set, nset, x->alt))
            set[nset++] = x->finding;
    }
    /* a sign still warned by a note that stands stays */
    for (int i = 0; i < fu->n_notes; i++)
        for (int q = 0; q < fu->notes[i].n_found; q++)
            for (int z = 0; z < nset; z++)
                if (set[z] == fu->notes[i].found[q])
                    set[z] = -1;
    k = 0;
    for (int i = 0; i < fu->warn.n; i++)
        if (!in_set(set, nset, fu->warn.v[i].finding))
            fu->warn.v[k++] = fu->warn.v[i];
    fu->warn.n = k;
    k = 0;
    for (int i = 0; i < fu->add.n; i++) {
        const kf_fact *x = &fu->add.v[i];
        if (!(in_set(set, nset, x->finding) && x->origin == KF_FROM_JOURNAL &&
              kb->findings[x->finding].kind != KF_FIND_FOLLOWUP &&
              kb->findings[x->finding].kind != KF_FIND_LOCATION))
            fu->add.v[k++] = fu->add.v[i];
    }
    fu->add.n = k;
}

void kf_followup_free(kf_followup *fu)
{
    if (!fu)
        return;
    kf_findings_free(&fu->add);
    kf_findings_free(&fu->warn);
    kf_free(fu->techs);
    memset(fu, 0, sizeof *fu);
    kf_findings_init(&fu->add);
    kf_findings_init(&fu->warn);
    fu->note_checkin = -1;
}

/* Puts `x` into `f` as the latest word on its finding: it replaces what
 * was said of it before, whoever said it (kf_findings_add would keep an
 * earlier answer).  Returns false when out of memory. */
static bool override_fact(kf_findings *f, const kf_fact *x)
{
    for (int i = 0; i < f->n; i++)
        if (f->v[i].finding == x->finding) {
            f->v[i] = *x;
            return true;
        }
    return kf_findings_add(f, x) >= 0;
}

/* A warning sign written in the note of check-in `c` ("my legs went weak
 * and numb this morning") is a warning sign now, as it would be in a new
 * description: of the note's facts (read once by read_note), each said as
 * present that makes a red-flag rule fire which does not fire on the
 * consultation with the warning signs of earlier notes goes into fu->warn.
 * Only those: the rest of a note is an aside ("the ball helped") that the
 * check-in's own fields say.  A note the reader refuses (not words, too
 * long) adds nothing.  Returns KF_OK or KF_ENOMEM. */
static void clause_words(const char *note, int start, int len, char *out, size_t n);

static kf_err note_warning(const kf_kb *kb, const kf_checkin *c, const kf_findings *said,
                           const kf_findings *base, kf_followup *fu)
{
    kf_findings was, now;
    kf_findings_init(&was);
    kf_findings_init(&now);
    int *fired = NULL;
    kf_err e = KF_OK;
    if (kf_findings_present(said) == 0)
        goto out;
    /* Before the note: the consultation with the earlier notes' signs. */
    if (base && kf_findings_copy(&was, base) != KF_OK)
        goto oom;
    if (was.age < 0)
        was.age = fu->warn.age >= 0 ? fu->warn.age : said->age;
    if (!was.sex)
        was.sex = fu->warn.sex ? fu->warn.sex : said->sex;
    for (int i = 0; i < fu->warn.n; i++)
        if (!override_fact(&was, &fu->warn.v[i]))
            goto oom;
    if (kf_findings_copy(&now, &was) != KF_OK)
        goto oom;
    for (int i = 0; i < said->n; i++) {
        if (said->v[i].state != KF_PRESENT)
            continue;
        kf_fact x = said->v[i];
        x.origin = KF_FROM_JOURNAL;
        x.start = -1;            /* the span is in the note, not the consultation */
        x.len = 0;
        if (!override_fact(&now, &x))
            goto oom;
    }
    kf_triage_derive(kb, &was);
    kf_triage_derive(kb, &now);
    fired = kf_malloc((size_t)(kb->n_redflags + 1) * sizeof *fired);
    if (!fired || was.oom || now.oom)
        goto oom;
    int nf = kf_triage_flags(kb, &now, fired), first = -1;
    int found[KF_NOTE_FOUND_MAX], n_found = 0;
    int fstart[KF_NOTE_FOUND_MAX], flen[KF_NOTE_FOUND_MAX];
    for (int k = 0; k < nf; k++) {
        const kf_redflag *r = &kb->redflags[fired[k]];
        if (kf_rule_fires(r, &was))
            continue;
        for (int i = 0; i < said->n; i++) {
            kf_fact x = said->v[i];
            if (x.state != KF_PRESENT || !kf_rule_names(r, x.finding))
                continue;
            x.origin = KF_FROM_JOURNAL;
            x.start = -1;
            x.len = 0;
            if (!override_fact(&fu->warn, &x))
                goto oom;
            if (first < 0)
                first = x.finding;
            bool dup = false;
            for (int q = 0; q < n_found; q++)
                dup |= found[q] == x.finding;
            if (!dup && n_found < KF_NOTE_FOUND_MAX) {
                fstart[n_found] = said->v[i].start;
                flen[n_found] = said->v[i].len;
                found[n_found++] = x.finding;
            }
        }
    }
    if (first >= 0) {
        /* An age or sex the rule needed, said only in the note, goes too. */
        if ((!base || base->age < 0) && fu->warn.age < 0)
            fu->warn.age = said->age;
        if ((!base || !base->sex) && !fu->warn.sex)
            fu->warn.sex = said->sex;
        if (fu->n_notes == KF_NOTE_WARN_MAX) {   /* the newest are kept */
            memmove(fu->notes, fu->notes + 1, (KF_NOTE_WARN_MAX - 1) * sizeof *fu->notes);
            fu->n_notes--;
        }
        kf_note_warning *w = &fu->notes[fu->n_notes++];
        w->checkin = c->id;
        memcpy(w->at, c->at, KF_TIME_LEN);
        w->finding = first;
        memcpy(w->found, found, sizeof found);
        w->n_found = n_found;
        for (int q = 0; q < n_found; q++)
            clause_words(c->note, fstart[q], flen[q], w->words[q], sizeof w->words[q]);
    }
    e = KF_OK;
    goto out;
oom:
    e = KF_ENOMEM;
out:
    kf_free(fired);
    kf_findings_free(&was);
    kf_findings_free(&now);
    return e;
}

kf_err kf_journal_followups(const kf_kb *kb, const kf_checkin *v, int n,
                            kf_followup *fu)
{
    return kf_journal_followups_for(kb, v, n, NULL, fu);
}

kf_err kf_journal_followups_for(const kf_kb *kb, const kf_checkin *v, int n,
                                const kf_findings *base, kf_followup *fu)
{
    memset(fu, 0, sizeof *fu);
    kf_findings_init(&fu->add);
    kf_findings_init(&fu->warn);
    fu->techs = kf_calloc((size_t)kb->n_techniques + 2, sizeof *fu->techs);
    try_t *tries = NULL;
    long long *at = NULL;       /* each check-in's time, parsed once */
    int nt = 0, cap = 0;
    kf_err e = KF_OK;
    if (!fu->techs) {
        e = KF_ENOMEM;
        goto out;
    }

    /* The window: KF_JOURNAL_WINDOW_D days before the newest check-in.
     * Each time is parsed once; -1 marks one that does not parse. */
    at = kf_malloc((size_t)(n ? n : 1) * sizeof *at);
    if (!at) {
        e = KF_ENOMEM;
        goto out;
    }
    long long newest = 0, t;
    for (int i = 0; i < n; i++) {
        at[i] = kf_time_parse_utc(v[i].at, &t) ? t : -1;
        if (at[i] > newest)
            newest = at[i];
    }
    long long from = newest - (long long)KF_JOURNAL_WINDOW_D * 86400;
    /* A region to fall back on: the latest one given. */
    int last_region = -1;
    for (int i = n - 1; i >= 0 && last_region < 0; i--)
        if (v[i].region && *v[i].region)
            last_region = kf_kb_region(kb, v[i].region);

    int prev = -1;              /* previous check-in in the window */
    int did_first = -1, did_end = -1;   /* tries of the latest doing check-in */
    long long did_t = 0;
    bool worse_massage = false;
    for (int i = 0; i < n; i++) {
        const kf_checkin *c = &v[i];
        t = at[i];
        if (t < 0 || t < from)
            continue;
        fu->n_used++;
        int region = c->region && *c->region ? kf_kb_region(kb, c->region)
                                              : last_region;
        int pb = c->pain_before;
        if (pb < 0 && prev >= 0 && at[prev] >= 0 && t - at[prev] <= 3 * 86400)
            pb = v[prev].pain;
        bool did = false;
        if (c->did && *c->did) {
            int before = nt;
            add_ctx a = { .kb = kb, .tries = &tries, .nt = &nt, .cap = &cap,
                          .c = c, .ci = i, .region = region, .pain_before = pb };
            each_word(c->did, add_try, &a);
            if (a.oom) {
                e = KF_ENOMEM;
                goto out;
            }
            if (nt > before) {
                did = true;
                did_first = before;
                did_end = nt;
                did_t = t;
            }
        }
        if (!did && c->relief_hours >= 0 && did_first >= 0 &&
            t - did_t <= 2 * 86400) {
            /* "The relief lasted 3 h": about the last thing done. */
            for (int k = did_first; k < did_end; k++)
                if (tries[k].relief < 0)
                    tries[k].relief = c->relief_hours;
            did_first = -1;
        }
        /* A place the check-in names that the consultation did not: the
         * pain has moved or spread (001: "then it went into my neck ... then
         * the pain went to my right shoulder blade"), and the causes are
         * weighed with the new place too. */
        int rg = c->region && *c->region ? kf_kb_region(kb, c->region) : -1;
        if (rg >= 0 && kb->regions[rg].finding >= 0 &&
            !(base && kf_findings_has(base, kb->regions[rg].finding))) {
            kf_fact x = { .finding = kb->regions[rg].finding, .state = KF_PRESENT,
                          .origin = KF_FROM_JOURNAL, .alt = -1, .start = -1,
                          .side = kb->regions[rg].sided ? c->side : KF_SIDE_NONE };
            if (kf_findings_add(&fu->add, &x) < 0) {
                e = KF_ENOMEM;
                goto out;
            }
            snprintf(fu->note_at, sizeof fu->note_at, "%s", c->at);
            fu->note_checkin = i;
        }
        if (c->note && *c->note) {
            kf_findings said;
            kf_findings_init(&said);
            if ((e = read_note(kb, c, &said)) == KF_OK)
                settle_note(kb, c, &said, fu);
            if (e == KF_OK && (e = add_note(kb, c, &said, fu)) == KF_OK)
                e = note_warning(kb, c, &said, base, fu);
            kf_findings_free(&said);
            if (e != KF_OK)
                goto out;
            if (fu->note_at[0] && !strcmp(fu->note_at, c->at))
                fu->note_checkin = i;
        }
        if (c->worse_after && *c->worse_after) {
            worse_ctx w = { .kb = kb, .fu = fu, .at = c->at };
            each_word(c->worse_after, add_worse, &w);
            worse_massage |= w.massage;
        }
        prev = i;
    }

    /* Tries -> technique records, follow-up findings, local relief.  A try
     * with a known relief time of a technique that works on named causes is
     * one of its relief_after_<T> findings (the latest kb->relief_trials
     * tries count): present when the relief lasted kb->relief_hours or more,
     * absent when it was shorter or none. */
    int local_short = 0, local_lasting = 0;
    kf_side short_side = KF_SIDE_NONE;
    int massage_bad = 0, massage_good = 0;
    /* Tries of a step aimed at a cause (a release, stretch or
     * strengthening with works_on, work on the sore spot, a therapist),
     * short and lasting: relief that fades within hours after such a step
     * is the knot coming back (knot_recurring), whatever the step aimed at. */
    int aimed_short = 0, aimed_lasting = 0;
    kf_side aimed_side = KF_SIDE_NONE;
    for (int k = 0; k < nt; k++) {
        const try_t *tr = &tries[k];
        if (!tr->honest)
            continue;
        effect ef = try_effect(kb, tr);
        kf_tech_record *rec = tech_record_of(fu, tr->tech, tr->generic);
        rec->tries++;
        if (tr->relief >= 0) {
            rec->relief_sum += tr->relief;
            rec->relief_n++;
        }
        switch (ef) {
        case EFF_SHORT:   rec->short_relief++; break;
        case EFF_LASTING: rec->lasting++; break;
        case EFF_HELPED:  rec->helped++; break;
        case EFF_NONE:    rec->no_change++; break;
        case EFF_UNCLEAR: break;
        }
        if (ef == EFF_UNCLEAR)
            continue;
        const kf_technique *tq = &kb->techniques[tr->tech];
        bool timed = tr->relief >= 0;
        if (tq->relief_finding >= 0 && timed && !tr->generic)
            rec->timed++;
        bool local = tq->sore_spot ||
                     (tq->kind == KF_TECH_THERAPIST && tr->region >= 0);
        if (local && ef == EFF_SHORT) {
            local_short++;
            short_side |= tr->side;
        }
        if (local && ef == EFF_LASTING)
            local_lasting++;
        /* A release or stretch with no works_on of its own (holding the
         * tender points) is aimed at the cause the plan gave it: three such
         * tries that helped for hours only said nothing before, and the
         * plan kept telling the person to log relief times (a QL spasm
         * after lifting, tender points three times, 2-3 hours each). */
        bool aimed = !tr->generic && tq->kind != KF_TECH_HABIT &&
                     tq->kind != KF_TECH_THERMAL && tq->kind != KF_TECH_DOCTOR &&
                     (tq->relief_finding >= 0 || tq->sore_spot || local ||
                      tq->kind == KF_TECH_RELEASE || tq->kind == KF_TECH_STRETCH);
        if (aimed && timed && ef == EFF_SHORT) {
            aimed_short++;
            aimed_side |= tr->side;
        }
        if (aimed && timed && ef == EFF_LASTING)
            aimed_lasting++;
        if (tq->kind == KF_TECH_THERAPIST) {
            if (ef == EFF_SHORT || ef == EFF_NONE)
                massage_bad++;
            else if (ef == EFF_LASTING)
                massage_good++;
        }
    }
    /* The relief findings: per technique, its latest timed tries in order,
     * the oldest kept as relief_after_<T>, the next as _2, and so on. */
    for (int i = 0; i < fu->n_techs; i++) {
        kf_tech_record *rec = &fu->techs[i];
        const kf_technique *tq = &kb->techniques[rec->technique];
        if (tq->relief_finding < 0 || !rec->timed || rec->generic)
            continue;
        int skip = rec->timed > kb->relief_trials ? rec->timed - kb->relief_trials : 0;
        int seen = 0, slot = 0;
        for (int k = 0; k < nt && slot < kb->relief_trials; k++) {
            const try_t *tr = &tries[k];
            if (tr->tech != rec->technique || tr->generic || !tr->honest || tr->relief < 0)
                continue;
            if (seen++ < skip)
                continue;
            bool lasting = tr->relief >= kb->relief_hours;
            kf_fact x = { .finding = tq->relief_finding + slot++,
                          .state = lasting ? KF_PRESENT : KF_ABSENT,
                          .origin = KF_FROM_JOURNAL, .alt = -1, .start = -1,
                          .side = KF_SIDE_NONE };
            kf_findings_add(&fu->add, &x);
            if (lasting)
                rec->relief_present++;
            else
                rec->relief_absent++;
        }
    }

    /* Work on the sore spot, by whatever technique: one sequence of
     * relief_after_sore_spot findings, the latest tries. */
    /* Where the sore spot is when a check-in does not say: the first place
     * the consultation located. */
    int base_region = -1;
    for (int i = 0; base && i < base->n && base_region < 0; i++)
        if (base->v[i].state == KF_PRESENT && kb->findings[base->v[i].finding].region >= 0)
            base_region = kb->findings[base->v[i].finding].region;
    for (int rg = 0; rg < kb->n_regions && kb->sore_relief_finding >= 0; rg++) {
        int timed = 0;
        for (int k = 0; k < nt; k++)
            timed += tries[k].honest && tries[k].relief >= 0 &&
                     kb->techniques[tries[k].tech].sore_spot &&
                     (tries[k].region >= 0 ? tries[k].region : base_region) == rg;
        if (!timed)
            continue;
        int skip = timed > kb->relief_trials ? timed - kb->relief_trials : 0, seen = 0, slot = 0;
        for (int k = 0; k < nt && slot < kb->relief_trials; k++) {
            const try_t *tr = &tries[k];
            if (!tr->honest || tr->relief < 0 || !kb->techniques[tr->tech].sore_spot ||
                (tr->region >= 0 ? tr->region : base_region) != rg)
                continue;
            if (seen++ < skip)
                continue;
            bool lasting = tr->relief >= kb->relief_hours;
            kf_fact x = { .finding = kb->sore_relief_finding + rg * kb->relief_trials + slot++,
                          .state = lasting ? KF_PRESENT : KF_ABSENT,
                          .origin = KF_FROM_JOURNAL, .alt = -1, .start = -1,
                          .side = KF_SIDE_NONE };
            kf_findings_add(&fu->add, &x);
            kf_tech_record *rec = tech_record(fu, tr->tech);
            if (lasting)
                rec->relief_present++;
            else
                rec->relief_absent++;
        }
    }

    /* Steps without change move down; two such and nothing ever helped:
     * the plan as a whole has not worked. */
    int demoted = 0, ever_helped = 0;
    for (int i = 0; i < fu->n_techs; i++) {
        kf_tech_record *r = &fu->techs[i];
        ever_helped += r->helped + r->lasting;
        if (r->no_change >= KF_TRIES_NO_CHANGE && !r->helped && !r->lasting) {
            r->demoted = true;
            demoted++;
        }
        const kf_technique *tq = &kb->techniques[r->technique];
        if (!r->generic && tq->relief_finding < 0 && !tq->sore_spot &&
            (tq->kind == KF_TECH_RELEASE || tq->kind == KF_TECH_STRETCH) &&
            r->short_relief >= kb->relief_trials && !r->lasting && !r->helped) {
            r->demoted = true;
            r->faded = true;
        }
    }

    /* The follow-up findings. */
    if (local_short > local_lasting)
        add_fact(kb, &fu->add, "relief_short", KF_PRESENT, short_side);
    else if (local_lasting > local_short)
        add_fact(kb, &fu->add, "relief_short", KF_ABSENT, KF_SIDE_NONE);
    /* Relief that fades within hours after steps aimed at a cause, more
     * often than relief that lasts: the knot keeps coming back.  The
     * therapist's reading of it: "When a problem like this won't go away,
     * that usually means it's not where you feel it ... The cause is
     * elsewhere" (001_c7feafd17eef686f.txt; 000_8835f21432216678.txt: "it
     * is back within just a few hours ... I was wrong about the cause").
     * The KB links knot_recurring from the causes that act from elsewhere
     * (the lat, the side ribs, the chest, the postures and habits) and not
     * from the muscles that only lie under the knot, so the spot that hurts
     * moves down and the next cause in the chain moves up.  Said already in
     * the consultation, it is not learnt again. */
    int kr = kf_kb_finding(kb, "knot_recurring");
    if (kr >= 0 && aimed_short > aimed_lasting && !(base && kf_findings_has(base, kr)))
        add_fact(kb, &fu->add, "knot_recurring", KF_PRESENT, aimed_side);
    if (massage_bad && !massage_good)
        add_fact(kb, &fu->add, "massage_no_help", KF_PRESENT, KF_SIDE_NONE);
    else if (massage_good > massage_bad)
        add_fact(kb, &fu->add, "massage_no_help", KF_ABSENT, KF_SIDE_NONE);
    if (worse_massage)
        add_fact(kb, &fu->add, "worse_after_massage", KF_PRESENT, KF_SIDE_NONE);
    if (fu->worse_heat_at[0])
        add_fact(kb, &fu->add, "worse_after_heat", KF_PRESENT, KF_SIDE_NONE);
    if (fu->worse_cold_at[0])
        add_fact(kb, &fu->add, "worse_after_cold", KF_PRESENT, KF_SIDE_NONE);
    if (demoted >= 2 && !ever_helped)
        add_fact(kb, &fu->add, "no_change_after_tries", KF_PRESENT, KF_SIDE_NONE);
    if (fu->add.oom)
        e = KF_ENOMEM;
out:
    kf_free(tries);
    kf_free(at);
    if (e != KF_OK)
        kf_followup_free(fu);
    return e;
}

kf_err kf_journal_window(kf_store *s, const kf_kb *kb, kf_checkin_list *out, kf_buf *err)
{
    memset(out, 0, sizeof *out);
    kf_checkin_list last;
    kf_err e = kf_store_list_checkins(s, NULL, 1, &last, err);
    if (e != KF_OK)
        return e;
    long long newest;
    /* The store orders by the stored time, which sorts as it reads; a
     * newest one that does not parse (a damaged row) reads them all, as
     * kf_journal_followups then skips it. */
    bool ok = last.n == 1 && kf_time_parse_utc(last.v[0].at, &newest);
    kf_checkin_list_free(&last);
    if (!ok)
        return kf_store_list_checkins(s, NULL, 0, out, err);
    char since[KF_TIME_LEN];
    long long from = newest - (long long)KF_JOURNAL_WINDOW_D * 86400;
    kf_time_format(from < 0 ? 0 : from, since);
    if ((e = kf_store_list_checkins(s, since, 0, out, err)) != KF_OK)
        return e;
    for (int i = 0; i < out->n; i++)
        if (out->v[i].region && *out->v[i].region && kf_kb_region(kb, out->v[i].region) >= 0)
            return KF_OK;
    /* No place this KB knows named in the window: the latest one given
     * before it is the one to fall back on, so read them all. */
    kf_checkin_list_free(out);
    memset(out, 0, sizeof *out);
    return kf_store_list_checkins(s, NULL, 0, out, err);
}

/* ------------------------------------------------------------------ */
/* The revision. */

static int pct(double p) { return (int)(p * 100 + 0.5); }

static kf_change *new_change(kf_revision *r, kf_change_kind kind, int cap)
{
    if (r->n_changes >= cap)
        return NULL;
    kf_change *c = &r->changes[r->n_changes++];
    *c = (kf_change){ .kind = kind, .cause = -1, .technique = -1,
                      .finding = -1, .before = -1, .after = -1 };
    return c;
}

static void set_text(kf_change *c, kf_buf *b)
{
    c->text = b->oom ? NULL : kf_strdup(b->s ? b->s : "");
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

static bool plan_has(const kf_result *r, int tech)
{
    for (int i = 0; i < r->n_plan; i++)
        if (r->plan[i].technique == tech)
            return true;
    return false;
}

/* Whether `tech` is among the first steps, the ones both the CLI ("Do this
 * first") and the web journal ("The plan now") show. */
static bool first_has(const kf_result *r, int tech)
{
    for (int i = 0; i < r->n_first; i++)
        if (r->plan[r->first[i]].technique == tech)
            return true;
    return false;
}

static const kf_tech_record *record_of(const kf_followup *fu, int tech)
{
    for (int i = 0; i < fu->n_techs; i++)
        if (fu->techs[i].technique == tech)
            return &fu->techs[i];
    return NULL;
}

/* "on 12 May" style date from a stored time. */
static void human_date(const char *at, char *out, size_t n)
{
    static const char *const mon[] = { "January", "February", "March", "April",
        "May", "June", "July", "August", "September", "October", "November",
        "December" };
    long long t;
    struct tm tm;
    if (!kf_time_parse_utc(at, &t)) {
        snprintf(out, n, "%s", at);
        return;
    }
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    snprintf(out, n, "%d %s %d", tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900);
}

/* "2 hours", "about 2 hours" (a mean), "90 minutes", "3 days". */
static void hours_words(kf_buf *b, double h)
{
    if (h < 1) {
        kf_buf_printf(b, "%d minutes", (int)(h * 60 + 0.5));
        return;
    }
    double v = h < 48 ? h : h / 24;
    const char *unit = h < 48 ? "hour" : "day";
    double r = floor(v + 0.5);
    kf_buf_printf(b, "%s%g %s%s", fabs(v - r) > 0.05 ? "about " : "", r, unit,
                  r == 1 ? "" : "s");
}

static const char *times_word(int n, char *buf, size_t sz)
{
    static const char *const w[] = { "never", "once", "twice", "three times",
                                     "four times", "five times" };
    if (n >= 0 && n < (int)KF_ARRAY_LEN(w))
        return w[n];
    snprintf(buf, sz, "%d times", n);
    return buf;
}

/* "the lat (latissimus dorsi) is" / "the lat and the teres major are":
 * the causes a technique works on that were worth considering (either
 * score at least 5%), most likely first.  Returns how many were named and
 * the one that fell or rose the most in *main. */
/* Whether a cause's plain name is a plural ("the scalenes", "the rib
 * muscles under the arm"): a word of it before the bracket ends in "s" but
 * not in "us", "is", "ss" or "ceps" (trapezius, the biceps). */
static bool plural_name(const kf_kb *kb, int c)
{
    char nm[256];
    kf_cause_plain(kb, c, nm, sizeof nm);
    char *par = strstr(nm, " (");
    if (par)
        *par = '\0';
    char *save = NULL;
    for (char *w = strtok_r(nm, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        size_t L = strlen(w);
        if (L < 3 || w[L - 1] != 's')
            continue;
        if (strchr("uis", w[L - 2]) || (L >= 4 && !strcmp(w + L - 4, "ceps")))
            continue;
        return true;
    }
    return false;
}

static int works_on_phrase(const kf_kb *kb, const kf_technique *tq, int sore_f,
                           const double *p0, const double *p1, kf_buf *b, int *main,
                           int *said, int *n_said)
{
    int idx[8], n = 0;
    *main = -1;
    int list[64], nl = 0;
    if (tq->sore_spot && sore_f >= 0) {
        for (int q = kb->flink_first[sore_f]; q < kb->flink_first[sore_f + 1] && nl < 64; q++)
            list[nl++] = kb->links[kb->flink[q]].cause;
    } else {
        for (int w = 0; w < tq->n_works_on && nl < 64; w++)
            list[nl++] = tq->works_on[w];
    }
    for (int w = 0; w < nl && n < 8; w++) {
        int c = list[w];
        if (p0[c] < 0.05 && p1[c] < 0.05)
            continue;
        int k = n++;
        while (k > 0 && p0[idx[k - 1]] < p0[c]) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = c;
    }
    if (!n && nl)
        idx[n++] = list[0];
    double best = -1;
    for (int i = 0; i < n; i++) {
        char nm[256];
        kf_cause_plain(kb, idx[i], nm, sizeof nm);
        kf_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", nm);
        if (*n_said < 64)
            said[(*n_said)++] = idx[i];
        if (fabs(p1[idx[i]] - p0[idx[i]]) > best) {
            best = fabs(p1[idx[i]] - p0[idx[i]]);
            *main = idx[i];
        }
    }
    kf_buf_puts(b, n == 1 && !plural_name(kb, idx[0]) ? " is" : " are");
    return n;
}

/* A finding the check-ins' notes gave (journal.c's own findings are
 * followups, and knot_recurring, which the tries make). */
static bool from_note(const kf_kb *kb, const kf_fact *x)
{
    const kf_finding_def *fd = &kb->findings[x->finding];
    return x->origin == KF_FROM_JOURNAL && fd->kind != KF_FIND_FOLLOWUP &&
           strcmp(fd->id, "knot_recurring") != 0;
}

/* True when cause `c` is a muscle whose knot lies right at a place the
 * consultation says hurts (a `local` link of "often" or more to that
 * place's pain finding): the spot that hurts, which the method expects to
 * be the symptom when relief keeps fading. */
static bool at_sore_spot(const kf_kb *kb, const kf_findings *f, int c)
{
    if (kb->causes[c].kind != KF_CAUSE_MUSCLE)
        return false;
    for (int i = 0; i < kb->n_links; i++) {
        const kf_link *l = &kb->links[i];
        if (l->cause == c && l->mech == KF_MECH_LOCAL && l->p >= 0.5 &&
            kb->findings[l->finding].kind == KF_FIND_LOCATION &&
            kf_findings_has(f, l->finding))
            return true;
    }
    return false;
}

/* The change that says the next step is a doctor, as the warning sign
 * says: about step `tech` and cause `cz` (-1: none), with its figures. */
static void say_doctor_first(kf_change *ch, int tech, int cz, const double *p0,
                             const double *p1, kf_buf *b)
{
    ch->technique = tech;
    ch->cause = cz;
    if (cz >= 0) {
        ch->before = p0[cz];
        ch->after = p1[cz];
    }
    kf_buf_puts(b, "Next: see a doctor first, as the warning sign says; the "
                "self-care steps wait until a doctor has looked.");
    set_text(ch, b);
}

static void explain_changes(const kf_kb *kb, kf_revision *r, const double *p0,
                            const double *p1, int cap)
{
    const kf_followup *fu = &r->fu;
    kf_buf b;
    kf_buf_init(&b);
    kf_change *ch;
    char date[40], tw[24], tname[160];
    int said[64], n_said = 0;        /* causes already explained */

    /* 0. What a check-in's note said, first: a warning sign there outranks
     * every step (the triage of the revised result is the one shown). */
    bool learnt_recurring = false;
    for (int i = 0; i < fu->add.n; i++)
        learnt_recurring |= !strcmp(kb->findings[fu->add.v[i].finding].id, "knot_recurring") &&
                            fu->add.v[i].state == KF_PRESENT;
    /* 0. A warning sign an earlier note said, that a later check-in says
     * has gone or a doctor has checked: settled, said first, as the level
     * it had raised is no longer shown. */
    for (int i = fu->n_settled - 1; i >= 0; i--) {
        const kf_note_settled *st = &fu->settled[i];
        if (!(ch = new_change(r, KF_CHANGE_FINDING, cap)))
            break;
        ch->finding = st->finding;
        char wdate[40];
        human_date(st->at, date, sizeof date);
        human_date(st->warned_at, wdate, sizeof wdate);
        if (st->how == KF_SETTLED_DOCTOR)
            kf_buf_printf(&b, "Your check-in of %s says a doctor has checked the warning "
                          "sign your check-in of %s gave (%s): that warning is settled. If "
                          "it comes back or gets worse, see a doctor again straight away.",
                          date, wdate, kb->findings[st->finding].label);
        else
            kf_buf_printf(&b, "Your check-in of %s says the warning sign your check-in of "
                          "%s gave (%s) has gone: that warning is settled. If it comes "
                          "back, see a doctor straight away.", date, wdate,
                          kb->findings[st->finding].label);
        set_text(ch, &b);
    }
    /* 0. The consultation's warning seen to by a doctor: said first, as
     * the steps that waited for it start now. */
    if (r->doctor_done && (ch = new_change(r, KF_CHANGE_PLAN_ADD, cap))) {
        human_date(fu->doctor_at, date, sizeof date);
        kf_buf_printf(&b, "Your check-in of %s says a doctor has checked it, as the warning "
                      "asked: the self-care steps start now%s. Go back to the doctor if the "
                      "pain changes, gets worse or anything new appears.", date,
                      r->after->person ? ", chosen for you" : "");
        if (r->after->n_plan)
            ch->technique = r->after->plan[0].technique;
        set_text(ch, &b);
    }
    /* 0. A warning sign written in a check-in's note comes first: the
     * answer's triage now leads with it (kf_journal_revise). */
    for (int i = fu->n_notes - 1; i >= 0; i--) {
        const kf_note_warning *w = &fu->notes[i];
        if (!(ch = new_change(r, KF_CHANGE_FINDING, cap)))
            break;
        ch->finding = w->finding;
        human_date(w->at, date, sizeof date);
        kf_buf_printf(&b, "Your check-in of %s says something new: %s. That is a "
                      "warning sign, and it comes before any self-care: do what the "
                      "warning above says first.", date,
                      kb->findings[w->finding].label);
        set_text(ch, &b);
    }
    /* Then the rest of what the notes said (a place, a symptom, the
     * history); a warning sign said above is not said again, and the level
     * it raised is told there. */
    bool raised = r->after->triage > r->before->triage && r->after->triage > KF_TRIAGE_SELF_CARE &&
                  fu->n_notes == 0;
    if (fu->note_at[0]) {
        int first_note = -1, n_note = 0;
        human_date(fu->note_at, date, sizeof date);
        kf_buf_printf(&b, "Your check-in of %s says something new: ", date);
        for (int i = 0; i < fu->add.n; i++) {
            const kf_fact *x = &fu->add.v[i];
            if (!from_note(kb, x) || x->state != KF_PRESENT ||
                kf_findings_has(&fu->warn, x->finding) ||
                (r->before && kf_findings_has(&r->before->findings, x->finding)))
                continue;
            if (first_note < 0)
                first_note = x->finding;
            const char *lab = kb->findings[x->finding].label, *colon = strstr(lab, ": ");
            if (kb->findings[x->finding].kind == KF_FIND_LOCATION && colon)
                kf_buf_printf(&b, "%sa new place that hurts: %s", n_note++ ? "; " : "",
                              colon + 2);
            else
                kf_buf_printf(&b, "%s%s", n_note++ ? "; " : "", lab);
        }
        if (raised)
            kf_buf_printf(&b, ". That is a warning sign, and it comes before any step "
                          "below: %s", kf_triage_banner_for(kb, r->after));
        else
            kf_buf_puts(&b, ". The causes are weighed again with it.");
        if (n_note && (ch = new_change(r, KF_CHANGE_FINDING, cap))) {
            ch->finding = first_note;
            set_text(ch, &b);
        } else {
            b.len = 0;
            if (b.s)
                b.s[0] = '\0';
        }
    }

    /* A revision whose triage is doctor_soon or emergency leads with the
     * warning and its action (see a doctor first), right after it; the
     * cause talk below stays short (no chain of causes that act from
     * elsewhere before the action: a red flag outranks everything). */
    bool urgent = r->after->triage >= KF_TRIAGE_SOON;
    bool doctor_said = false;
    if (urgent && r->after->n_plan && r->before &&
        kb->techniques[r->after->plan[0].technique].kind == KF_TECH_DOCTOR &&
        (!r->before->n_plan || r->before->plan[0].technique != r->after->plan[0].technique)) {
        bool nl = r->before->n_causes && r->after->n_causes &&
                  r->before->causes[0].cause != r->after->causes[0].cause;
        if ((ch = new_change(r, nl ? KF_CHANGE_LEADER : KF_CHANGE_PLAN_ADD, cap))) {
            const kf_step *st = &r->after->plan[0];
            int cz = st->cause >= 0 ? st->cause
                     : r->after->n_causes ? r->after->causes[0].cause : -1;
            say_doctor_first(ch, st->technique, cz, p0, p1, &b);
            doctor_said = true;
        }
    }

    /* The sore spot's relief finding that was learnt, if any. */
    int sore_f = -1;
    for (int i = 0; i < fu->add.n && sore_f < 0; i++)
        if (!strncmp(kb->findings[fu->add.v[i].finding].id, "relief_after_sore_spot_", 23))
            sore_f = fu->add.v[i].finding;

    /* 1. What each technique's relief says about the causes it works on. */
    for (int i = 0; i < fu->n_techs; i++) {
        const kf_tech_record *rec = &fu->techs[i];
        const kf_technique *tq = &kb->techniques[rec->technique];
        if (!rec->relief_present && !rec->relief_absent)
            continue;
        int main = -1;
        kf_technique_short(kb, rec->technique, tname, sizeof tname);
        tname[0] = (char)toupper((unsigned char)tname[0]);
        double mean = rec->relief_n ? rec->relief_sum / rec->relief_n : -1;
        if (rec->relief_absent && !rec->relief_present) {
            if (rec->relief_sum <= 0)
                kf_buf_printf(&b, "%s brought no relief, %s: ", tname,
                              times_word(rec->relief_absent, tw, sizeof tw));
            else {
                kf_buf_printf(&b, "%s helped for only ", tname);
                hours_words(&b, mean);
                kf_buf_printf(&b, ", %s: ", times_word(rec->relief_absent, tw, sizeof tw));
            }
            works_on_phrase(kb, tq, sore_f, p0, p1, &b, &main, said, &n_said);
            /* the words say what the numbers do: no relief counts against
             * these causes, but the other check-ins may count for more */
            if (main >= 0 && pct(p1[main]) > pct(p0[main]))
                kf_buf_puts(&b, " still in question, as your other check-ins point to it more than "
                                "this counts against it");
            else
                kf_buf_puts(&b, " probably not what keeps the knot coming back");
        } else if (rec->relief_present && !rec->relief_absent) {
            if (tname[0] != '"')
                tname[0] = (char)tolower((unsigned char)tname[0]);
            kf_buf_printf(&b, "After %s the relief lasted ", tname);
            hours_words(&b, mean);
            kf_buf_printf(&b, ", %s: ", times_word(rec->relief_present, tw, sizeof tw));
            works_on_phrase(kb, tq, sore_f, p0, p1, &b, &main, said, &n_said);
            if (main >= 0 && pct(p1[main]) < pct(p0[main]))
                kf_buf_puts(&b, " still in question, as your other check-ins point away from it "
                                "more than this counts for it, so keep doing it and see");
            else
                kf_buf_puts(&b, " probably what keeps the knot going, so keep doing it");
        } else {
            kf_buf_printf(&b, "%s brought relief of a day or more %s, and shorter relief "
                          "%s: ", tname, times_word(rec->relief_present, tw, sizeof tw),
                          times_word(rec->relief_absent, tw + 12, sizeof tw - 12));
            works_on_phrase(kb, tq, sore_f, p0, p1, &b, &main, said, &n_said);
            /* relief that held more often than it faded: what the step aims
             * at is part of it, and the return points to a second cause as
             * well ("there can be more than one cause", 000) */
            if (rec->relief_present > rec->relief_absent && main >= 0 && p1[main] >= p0[main])
                kf_buf_puts(&b, " probably part of what keeps the knot going, so keep doing "
                                "it; that the knot came back points to a second cause too");
            else
                kf_buf_puts(&b, " still in question");
        }
        if (main >= 0) {
            int q0 = pct(p0[main]), q1 = pct(p1[main]);
            kf_buf_printf(&b, " (%d%% -> %d%%, %s).", q0, q1,
                          q1 < q0 ? "less likely" : q1 > q0 ? "more likely" : "about as likely");
        } else {
            kf_buf_puts(&b, ".");
        }
        kf_change_kind kind = main >= 0 && p1[main] < p0[main] ? KF_CHANGE_CAUSE_DOWN
                                                                : KF_CHANGE_CAUSE_UP;
        if (!(ch = new_change(r, kind, cap)))
            break;
        ch->technique = rec->technique;
        ch->cause = main;
        if (main >= 0) {
            ch->before = p0[main];
            ch->after = p1[main];
        }
        set_text(ch, &b);
    }

    /* 2. Other things learnt. */
    for (int i = 0; i < fu->add.n; i++) {
        const kf_fact *x = &fu->add.v[i];
        const char *id = kb->findings[x->finding].id;
        if (!strncmp(id, "relief_after_", 13) || from_note(kb, x))
            continue;                        /* said above, per technique or note */
        /* work on the sore spot that faded says the same, in its own words */
        if (!strcmp(id, "knot_recurring") && sore_f >= 0)
            continue;
        if (!(ch = new_change(r, KF_CHANGE_FINDING, cap)))
            break;
        ch->finding = x->finding;
        if (!strcmp(id, "relief_short") && x->state == KF_PRESENT && urgent)
            kf_buf_puts(&b, "Work on the sore spot itself brought relief that faded "
                        "within hours. Which muscle keeps the knot going can wait until "
                        "a doctor has looked.");
        else if (!strcmp(id, "relief_short") && x->state == KF_PRESENT)
            kf_buf_puts(&b, "Work on the sore spot itself brought relief that faded "
                        "within hours. The knot is then usually only the symptom: a "
                        "muscle elsewhere keeps pulling on it, so the muscles that pull "
                        "from a distance move up.");
        else if (!strcmp(id, "relief_short"))
            kf_buf_puts(&b, "Work on the sore spot brought relief that lasted a day or "
                        "more, so the cause may well be right where it hurts.");
        else if (!strcmp(id, "knot_recurring") && x->state == KF_PRESENT) {
            /* the step tried most often with relief that faded */
            int best = -1, bn = 0;
            for (int k = 0; k < fu->n_techs; k++)
                if (fu->techs[k].short_relief > bn && !fu->techs[k].generic &&
                    kb->techniques[fu->techs[k].technique].kind != KF_TECH_HABIT) {
                    best = fu->techs[k].technique;
                    bn = fu->techs[k].short_relief;
                }
            if (best >= 0) {
                kf_technique_short(kb, best, tname, sizeof tname);
                kf_buf_printf(&b, "After %s the relief faded within hours and the knot "
                              "came back. ", tname);
            } else
                kf_buf_puts(&b, "The relief after your steps faded within hours and the "
                            "knot came back. ");
            if (urgent)
                kf_buf_puts(&b, "Which muscle keeps it going can wait until a doctor has "
                            "looked.");
            else
                kf_buf_puts(&b, "A knot that keeps coming back is usually only the symptom: "
                            "the cause is not where you feel it. So the muscles right under "
                            "the sore spot move down, and the next causes in the chain, the "
                            "ones that pull on it from elsewhere, move up.");
        } else if (!strcmp(id, "massage_no_help") && x->state == KF_PRESENT)
            kf_buf_puts(&b, "Massage has not brought lasting relief, which points to "
                        "muscles the massage did not reach: ask the therapist to work on "
                        "the muscles that act from elsewhere (the whole plan lists them).");
        else if (!strcmp(id, "massage_no_help"))
            kf_buf_puts(&b, "Massage helped for a day or more: keep telling the "
                        "therapist which muscles to work on.");
        else if (!strcmp(id, "worse_after_heat")) {
            human_date(fu->worse_heat_at, date, sizeof date);
            kf_buf_printf(&b, "You felt worse after heat (%s). When warmth leaves you a "
                          "little worse it was the wrong choice for you, so the plan uses "
                          "cold instead.", date);
        } else if (!strcmp(id, "worse_after_cold")) {
            human_date(fu->worse_cold_at, date, sizeof date);
            kf_buf_printf(&b, "You felt worse after cold (%s). When cold leaves you a "
                          "little worse it was the wrong choice for you, so the plan uses "
                          "warmth instead.", date);
        } else if (!strcmp(id, "worse_after_massage"))
            kf_buf_puts(&b, "Massage made it worse. Ask for gentler pressure to start "
                        "with, and aim it at the muscles named below rather than at the "
                        "sore spot.");
        else if (!strcmp(id, "no_change_after_tries"))
            kf_buf_puts(&b, "Several steps changed nothing after honest tries. That is "
                        "worth a doctor's look for other causes.");
        else
            kf_buf_printf(&b, "Learnt from your check-ins: %s.",
                          kb->findings[x->finding].label);
        set_text(ch, &b);
    }

    /* 3. Other causes that moved, the most first; the label follows the net
     * change of the score.  An activity the person never said (sleeping on
     * one side, overhead sport for a desk worker) that moved up comes after
     * the others and is put as a question, the rule kf_rank_top keeps for
     * the causes themselves (kf_unsaid_activities): short relief raises
     * every cause that acts from elsewhere, and the therapist asks about a
     * habit before she names it (004_0c58c8d9993c8630.txt). */
    int *order = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *order);
    bool *unsaid = kf_calloc((size_t)kb->n_causes + 1, sizeof *unsaid);
    if (order && (!unsaid || kf_unsaid_activities(kb, &r->after->findings, unsaid) != KF_OK)) {
        kf_free(order);                  /* out of memory: this part is left out */
        order = NULL;
    }
    int no = 0;
    /* What moved by 5 points, or by 3 for a cause that was in the top three. */
    if (order)
        for (int c = 0; c < kb->n_causes; c++) {
            bool top = false;
            for (int i = 0; i < r->before->n_causes && i < 3; i++)
                top |= r->before->causes[i].cause == c;
            if (fabs(p1[c] - p0[c]) >= (top ? 0.03 : 0.05) && !in_set(said, n_said, c) &&
                (p0[c] >= 0.1 || p1[c] >= 0.1) &&
                (!urgent || (kb->causes[c].kind == KF_CAUSE_MIMIC && p1[c] > p0[c])))
                order[no++] = c;
        }
    for (int a = 1; a < no; a++) {
        int x = order[a], k = a;
        double dx = fabs(p1[x] - p0[x]);
        bool qx = unsaid[x] && p1[x] > p0[x];
        for (; k > 0; k--) {
            int y = order[k - 1];
            bool qy = unsaid[y] && p1[y] > p0[y];
            if (qy == qx ? fabs(p1[y] - p0[y]) >= dx : !qy)
                break;
            order[k] = y;
        }
        order[k] = x;
    }
    for (int i = 0; i < no && i < 4; i++) {
        int c = order[i];
        bool down = p1[c] < p0[c];
        if (!(ch = new_change(r, down ? KF_CHANGE_CAUSE_DOWN : KF_CHANGE_CAUSE_UP, cap)))
            break;
        char nm[256];
        kf_cause_plain(kb, c, nm, sizeof nm);
        nm[0] = (char)toupper((unsigned char)nm[0]);
        ch->cause = c;
        ch->before = p0[c];
        ch->after = p1[c];
        if (!down && unsaid[c]) {
            kf_buf_printf(&b, "%s would also fit what you logged (%d%% -> %d%%), but you have "
                          "not said you do it, so it is a question, not the answer: do you?",
                          nm, pct(p0[c]), pct(p1[c]));
            set_text(ch, &b);
            continue;
        }
        kf_buf_printf(&b, "%s: %s likely (%d%% -> %d%%)", nm, down ? "less" : "more",
                      pct(p0[c]), pct(p1[c]));
        bool spot = at_sore_spot(kb, &r->before->findings, c);
        if (!down && spot) {
            /* The muscle under the knot is not promoted as the cause: its
             * figure follows what stretches it (the habit that rose), and
             * the knot there is the symptom (003: "If the person doing the
             * massage is only working on the area of the knot, they are just
             * chasing symptoms"). */
            b.len = 0;
            b.s[0] = '\0';
            kf_buf_printf(&b, "%s: higher (%d%% -> %d%%), but that is the muscle right "
                          "where it hurts: the knot there is the symptom, so the steps go to what "
                          "keeps pulling on it, not to the sore spot.",
                          nm, pct(p0[c]), pct(p1[c]));
            set_text(ch, &b);
            continue;
        }
        if (down && spot && (learnt_recurring || sore_f >= 0))
            kf_buf_puts(&b, ": that is the muscle right where it hurts, and relief that "
                        "fades within hours says the cause is elsewhere.");
        else if (down)
            kf_buf_puts(&b, ": the other causes now explain what you logged better.");
        else if (kb->causes[c].kind == KF_CAUSE_MIMIC && fu->note_at[0])
            kf_buf_puts(&b, ": it fits what your check-in says, and a doctor should "
                        "look at it.");
        else if (!spot && (learnt_recurring || sore_f >= 0))
            kf_buf_puts(&b, ": it acts from elsewhere and still explains the knot that "
                        "keeps coming back.");
        else
            kf_buf_puts(&b, ": it still explains the pain that keeps coming back.");
        set_text(ch, &b);
    }
    kf_free(order);
    kf_free(unsaid);

    /* 4. What to do next: the first step, when it changed. */
    int first0 = r->before->n_plan ? r->before->plan[0].technique : -1;
    int first1 = r->after->n_plan ? r->after->plan[0].technique : -1;
    bool new_lead = r->before->n_causes && r->after->n_causes &&
                    r->before->causes[0].cause != r->after->causes[0].cause;
    if (doctor_said)
        goto plan_changes;
    if (first1 >= 0 && first1 != first0 &&
        (ch = new_change(r, new_lead ? KF_CHANGE_LEADER : KF_CHANGE_PLAN_ADD, cap))) {
        const kf_step *st = &r->after->plan[0];
        int cz = st->cause >= 0 ? st->cause
                 : r->after->n_causes ? r->after->causes[0].cause : -1;
        ch->technique = first1;
        ch->cause = cz;
        if (kb->techniques[first1].kind == KF_TECH_DOCTOR) {
            say_doctor_first(ch, first1, cz, p0, p1, &b);
            goto plan_changes;
        }
        if (cz >= 0) {
            char nm[256];
            kf_cause_plain(kb, cz, nm, sizeof nm);
            ch->before = p0[cz];
            ch->after = p1[cz];
            if (kb->causes[cz].kind == KF_CAUSE_MUSCLE)
                kf_buf_printf(&b, "Next, %s: %s", nm, kb->techniques[first1].name);
            else
                kf_buf_printf(&b, "Next, change what keeps it going (%s): %s", nm,
                              kb->techniques[first1].name);
        } else {
            kf_buf_printf(&b, "Next: %s", kb->techniques[first1].name);
        }
        if (kb->techniques[first1].dose)
            kf_buf_printf(&b, ". %s", kb->techniques[first1].dose);
        else
            kf_buf_puts(&b, ".");
        /* no "knotfinder do" here: the text is the web's too, and each
         * interface offers its own timer beside the step */
        kf_buf_puts(&b, " Log how long the relief lasts.");
        set_text(ch, &b);
    }

plan_changes:
    /* 5. The plan: what came into or left the first steps, the ones printed
     * (CLI "Do this first", web "The plan now"), so that every step
     * announced is one the person can see. */
    for (int i = 0; i < r->before->n_first; i++) {
        int t = r->before->plan[r->before->first[i]].technique;
        /* the doctor's visit is done, and said so first (doctor_done) */
        if (r->doctor_done && kb->techniques[t].kind == KF_TECH_DOCTOR)
            continue;
        if (first_has(r->after, t) || !(ch = new_change(r, KF_CHANGE_PLAN_DROP, cap)))
            continue;
        ch->technique = t;
        const kf_tech_record *rec = record_of(fu, t);
        kf_buf_printf(&b, "%s: %s. ", plan_has(r->after, t) ? "Out of the first steps"
                                                              : "Out of the plan",
                      kb->techniques[t].name);
        if (rec && rec->worse)
            kf_buf_puts(&b, "You felt worse after it.");
        else if (word_is_heat(kb, kb->techniques[t].id) && fu->worse_heat_at[0])
            kf_buf_puts(&b, "Heat left you feeling worse.");
        else if (word_is_cold(kb, kb->techniques[t].id) && fu->worse_cold_at[0])
            kf_buf_puts(&b, "Cold left you feeling worse.");
        else if (rec && ((rec->relief_absent && !rec->relief_present) || rec->faded))
            kf_buf_puts(&b, "Its relief did not last.");
        else if (rec && rec->demoted)
            kf_buf_printf(&b, "%d honest tries changed nothing; give the other steps "
                          "a fair chance first.", rec->no_change);
        else
            kf_buf_puts(&b, "The cause it was for has moved down.");
        set_text(ch, &b);
    }
    for (int i = 0; i < r->after->n_plan; i++) {
        const kf_step *s = &r->after->plan[i];
        const kf_tech_record *rec = record_of(fu, s->technique);
        bool shown = first_has(r->after, s->technique);
        if (rec && rec->demoted) {
            if (!shown || !(ch = new_change(r, KF_CHANGE_PLAN_DEMOTE, cap)))
                continue;
            ch->technique = s->technique;
            if (rec->faded)
                kf_buf_printf(&b, "Moved to the end of the plan: %s. It helped for only "
                              "hours, %d times: the next step works on what may keep the "
                              "knot coming back.", kb->techniques[s->technique].name,
                              rec->short_relief);
            else
                kf_buf_printf(&b, "Moved to the end of the plan: %s. %d honest tries "
                              "changed nothing; give the other steps a fair chance "
                              "first.", kb->techniques[s->technique].name,
                              rec->no_change);
            set_text(ch, &b);
            continue;
        }
        if (!shown)
            continue;
        if (rec && rec->lasting && (ch = new_change(r, KF_CHANGE_KEEP, cap))) {
            ch->technique = s->technique;
            kf_buf_printf(&b, "Keep doing %s: the relief after it lasted a day or "
                          "more.", kb->techniques[s->technique].name);
            set_text(ch, &b);
            continue;
        }
        if (rec && rec->relief_absent && !rec->relief_present &&
            (ch = new_change(r, KF_CHANGE_KEEP, cap))) {
            /* Short relief yet still shown: adjust_plan kept it only for a
             * habit or posture that still fits; say so. */
            char nm[256] = "";
            ch->technique = s->technique;
            ch->cause = s->cause;
            if (s->cause >= 0) {
                kf_cause_plain(kb, s->cause, nm, sizeof nm);
                ch->before = p0[s->cause];
                ch->after = p1[s->cause];
                kf_buf_printf(&b, "Still in the plan: %s, now for %s (%d%%), which "
                              "still fits what you logged. It is there to change that "
                              "habit over the weeks, not for quick relief, so its short "
                              "relief does not rule it out.",
                              kb->techniques[s->technique].name, nm, pct(p1[s->cause]));
            } else {
                kf_buf_printf(&b, "Still in the plan: %s, although its relief did not "
                              "last: no other step fits better yet.",
                              kb->techniques[s->technique].name);
            }
            set_text(ch, &b);
            continue;
        }
        if (first_has(r->before, s->technique) || s->technique == first1 ||
            !(ch = new_change(r, KF_CHANGE_PLAN_ADD, cap)))
            continue;
        ch->technique = s->technique;
        ch->cause = s->cause;
        kf_buf_printf(&b, "New in the plan: %s", kb->techniques[s->technique].name);
        const char *tid = kb->techniques[s->technique].id;
        if (word_is_cold(kb, tid) && fu->worse_heat_at[0])
            kf_buf_puts(&b, ", instead of heat, which left you feeling worse.");
        else if (word_is_heat(kb, tid) && fu->worse_cold_at[0])
            kf_buf_puts(&b, ", instead of cold, which left you feeling worse.");
        else if (s->cause >= 0) {
            char nm[256];
            kf_cause_plain(kb, s->cause, nm, sizeof nm);
            kf_buf_printf(&b, ", for %s.", nm);
        } else
            kf_buf_puts(&b, ".");
        set_text(ch, &b);
    }
    if (r->n_changes == 0 && (ch = new_change(r, KF_CHANGE_NONE, cap))) {
        if (fu->n_used == 0)
            kf_buf_puts(&b, "No check-ins yet, so the plan is the consultation's. "
                        "After each step, log how it went: the pain, what you did and "
                        "how many hours the relief lasted.");
        else
            kf_buf_printf(&b, "Your check-ins do not change the plan yet. After each "
                          "step, log how many hours the relief lasts: "
                          "relief that fades within %g hours says the step missed the "
                          "cause, relief that lasts says it found it.", kb->relief_hours);
        set_text(ch, &b);
    }
    kf_buf_free(&b);
}

/* Steps that made it worse leave the plan; so does a step whose relief
 * lasted only hours when it is there for a muscle (the relief said that
 * muscle is not the cause: the step's cause fell out), unless nothing else
 * would be left; a step for a habit or posture stays (explain_changes says
 * why).  Steps without change go last.  Then the first steps again, as
 * kf_plan_build chooses them. */
static void adjust_plan(const kf_kb *kb, kf_result *r, const kf_followup *fu)
{
    int see = kf_kb_technique(kb, "see_doctor");
    int k = 0, self = 0;
    for (int i = 0; i < r->n_plan; i++) {
        const kf_tech_record *rec = record_of(fu, r->plan[i].technique);
        if (!(rec && rec->worse) && r->plan[i].technique != see)
            self++;
    }
    for (int i = 0; i < r->n_plan; i++) {
        const kf_step *s = &r->plan[i];
        const kf_tech_record *rec = record_of(fu, s->technique);
        if (rec && rec->worse && s->technique != see)
            continue;
        if (rec && rec->relief_absent && !rec->relief_present && s->technique != see &&
            !rec->demoted && self > 1 &&
            (s->cause < 0 || kb->causes[s->cause].kind == KF_CAUSE_MUSCLE)) {
            self--;
            continue;
        }
        r->plan[k++] = r->plan[i];
    }
    r->n_plan = k;
    /* Stable partition: demoted steps to the end (before a doctor step). */
    kf_step tmp[32];
    int n = r->n_plan < 32 ? r->n_plan : 32, m = 0;
    for (int i = 0; i < n; i++) {
        const kf_tech_record *rec = record_of(fu, r->plan[i].technique);
        if (!(rec && rec->demoted) && r->plan[i].technique != see)
            tmp[m++] = r->plan[i];
    }
    for (int i = 0; i < n; i++) {
        const kf_tech_record *rec = record_of(fu, r->plan[i].technique);
        if (rec && rec->demoted && r->plan[i].technique != see)
            tmp[m++] = r->plan[i];
    }
    for (int i = 0; i < n; i++)
        if (r->plan[i].technique == see)
            tmp[m++] = r->plan[i];
    memcpy(r->plan, tmp, (size_t)m * sizeof *tmp);
    r->n_plan = m;
    /* The first steps point into the plan: choose them again (a step whose
     * prerequisite left goes with it). */
    kf_plan_first(kb, r);
}

void kf_revision_free(kf_revision *r)
{
    if (!r)
        return;
    kf_result_free(r->before);
    kf_result_free(r->after);
    kf_followup_free(&r->fu);
    for (int i = 0; i < r->n_changes; i++)
        kf_free(r->changes[i].text);
    kf_free(r->changes);
    kf_free(r);
}

/* The consultation said "see a doctor in the next few days" (or "mention
 * it"), and a later check-in says a doctor has seen or checked it with
 * nothing left to do (fu.doctor_at): what the warning asked for is done,
 * and the self-care steps the plan kept waiting start, chosen for this
 * person as always (thin bones, pregnancy, age).  Only when nothing new
 * warns: not at an emergency, not with a note's warning standing, not
 * when a rule fires now that did not fire on the consultation.  The level
 * is then "mention it at your next visit", never lower. */
static void doctor_done(const kf_kb *kb, kf_revision *r)
{
    kf_result *a = r->after;
    r->doctor_done = false;
    if (!r->fu.doctor_at[0] || r->fu.n_notes || !r->before ||
        a->triage < KF_TRIAGE_MENTION || a->triage >= KF_TRIAGE_EMERGENCY ||
        r->before->triage >= KF_TRIAGE_EMERGENCY || r->before->triage < KF_TRIAGE_MENTION)
        return;
    for (int i = 0; i < a->n_fired; i++) {
        bool before = false;
        for (int k = 0; k < r->before->n_fired && !before; k++)
            before = r->before->fired[k] == a->fired[i];
        if (!before)
            return;
    }
    if (a->raised_by >= 0 && r->before->raised_by != a->raised_by &&
        r->before->triage < KF_TRIAGE_SOON)
        return;
    a->triage = KF_TRIAGE_MENTION;
    a->n_flags = 0;
    a->n_fired = 0;
    a->raised_by = -1;
    a->also = -1;
    a->n_plan = 0;
    kf_plan_build(kb, a);
    r->doctor_done = true;
}

kf_err kf_journal_revise(const kf_kb *kb, const kf_findings *base,
                         const kf_checkin *v, int n, kf_revision **out)
{
    *out = NULL;
    kf_revision *r = kf_calloc(1, sizeof *r);
    if (!r)
        return KF_ENOMEM;
    kf_findings_init(&r->fu.add);
    kf_findings f2;
    kf_findings_init(&f2);
    double *p0 = NULL, *p1 = NULL;
    kf_err e = kf_journal_followups_for(kb, v, n, base, &r->fu);
    if (e != KF_OK)
        goto fail;
    e = KF_ENOMEM;
    if (kf_findings_copy(&f2, base) != KF_OK)
        goto fail;
    for (int i = 0; i < r->fu.add.n; i++)
        if (kf_findings_add(&f2, &r->fu.add.v[i]) < 0)
            goto fail;
    /* A warning sign written in a note is the latest word on it. */
    for (int i = 0; i < r->fu.warn.n; i++)
        if (!override_fact(&f2, &r->fu.warn.v[i]))
            goto fail;
    if (f2.age < 0)
        f2.age = r->fu.warn.age;
    if (!f2.sex)
        f2.sex = r->fu.warn.sex;
    p0 = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *p0);
    p1 = kf_malloc((size_t)(kb->n_causes + 1) * sizeof *p1);
    r->changes = kf_calloc(48, sizeof *r->changes);
    if (!p0 || !p1 || !r->changes)
        goto fail;
    /* The check-ins are findings of the same network: the revision is the
     * engine's own posterior with them added. */
    r->before = kf_consult(kb, base);
    r->after = kf_consult(kb, &f2);
    if (!r->before || !r->after)
        goto fail;
    if (!r->before->post || !r->after->post) {
        /* Nothing located: the engine ranks nothing, so neither do we. */
        for (int c = 0; c < kb->n_causes; c++)
            p0[c] = p1[c] = kb->causes[c].prior;
    } else {
        /* the two consultations' own posteriors, not computed again */
        memcpy(p0, r->before->post, (size_t)kb->n_causes * sizeof *p0);
        memcpy(p1, r->after->post, (size_t)kb->n_causes * sizeof *p1);
    }
    doctor_done(kb, r);
    adjust_plan(kb, r->after, &r->fu);
    explain_changes(kb, r, p0, p1, 48);
    for (int i = 0; i < r->n_changes; i++)
        if (!r->changes[i].text)
            goto fail;
    kf_free(p0);
    kf_free(p1);
    kf_findings_free(&f2);
    *out = r;
    return KF_OK;
fail:
    kf_free(p0);
    kf_free(p1);
    kf_findings_free(&f2);
    kf_revision_free(r);
    return e;
}

/* Word-wraps `s` with `indent` spaces (the first line starts with `first`
 * instead when given). */
static void wrap(kf_buf *out, const char *first, const char *s, int indent,
                 int width)
{
    int col = 0;
    if (first) {
        kf_buf_puts(out, first);
        col = (int)strlen(first);
    } else {
        for (int i = 0; i < indent; i++)
            kf_buf_puts(out, " ");
        col = indent;
    }
    bool line_start = true;
    while (*s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        if (!n)
            break;
        if (!line_start && col + 1 + (int)n > width) {
            kf_buf_puts(out, "\n");
            for (int i = 0; i < indent; i++)
                kf_buf_puts(out, " ");
            col = indent;
            line_start = true;
        }
        if (!line_start) {
            kf_buf_puts(out, " ");
            col++;
        }
        kf_buf_add(out, s, n);
        col += (int)n;
        s += n;
        line_start = false;
    }
    kf_buf_puts(out, "\n");
}

void kf_revision_text(const kf_kb *kb, const kf_revision *r, kf_buf *out,
                      int width)
{
    if (width <= 0)
        width = 80;
    kf_buf_puts(out, "WHAT CHANGED AND WHY\n");
    kf_buf line;
    kf_buf_init(&line);
    char tw[24];
    kf_buf_printf(&line, "From %d check-in%s", r->fu.n_used,
                  r->fu.n_used == 1 ? "" : "s");
    int shown = 0;
    for (int i = 0; i < r->fu.n_techs; i++) {
        const kf_tech_record *t = &r->fu.techs[i];
        if (!t->tries)
            continue;
        char tname[160] = "massage";
        if (!t->generic)
            kf_technique_short(kb, t->technique, tname, sizeof tname);
        kf_buf_printf(&line, "%s %s %s", shown ? ";" : ":", tname,
                      times_word(t->tries, tw, sizeof tw));
        if (t->relief_n) {
            kf_buf_puts(&line, " (relief ");
            hours_words(&line, t->relief_sum / t->relief_n);
            kf_buf_puts(&line, " on average)");
        }
        shown++;
    }
    kf_buf_puts(&line, ".");
    wrap(out, NULL, line.s, 2, width);
    kf_buf_free(&line);
    for (int i = 0; i < r->n_changes; i++)
        wrap(out, "  - ", r->changes[i].text, 4, width);
    /* The changes' words are the web's too: the command that logs a
     * check-in is said here, in the CLI's own text only. */
    if (r->n_changes == 1 && r->changes[0].kind == KF_CHANGE_NONE)
        wrap(out, NULL, "Log a check-in with: knotfinder log --pain N --did STEP "
             "--relief-hours H", 2, width);
}

static const char *change_kind_name(kf_change_kind k)
{
    static const char *const names[] = {
        "cause_down", "cause_up", "leader", "finding", "plan_add", "plan_drop",
        "plan_demote", "keep", "none"
    };
    return (unsigned)k < KF_ARRAY_LEN(names) ? names[k] : "none";
}

json_t *kf_revision_json(const kf_kb *kb, const kf_revision *r)
{
    json_t *o = json_object();
    json_t *before = json_array(), *changes = json_array(), *techs = json_array();
    json_t *result = kf_result_json(kb, r->after, NULL);
    kf_result_json_revised(kb, r->after, result);
    json_t *fups = kf_findings_json(kb, &r->fu.add);
    if (!o || !before || !changes || !techs || !result || !fups) {
        json_decref(o);
        json_decref(before);
        json_decref(changes);
        json_decref(techs);
        json_decref(result);
        json_decref(fups);
        return NULL;
    }
    for (int i = 0; i < r->before->n_causes; i++)
        json_array_append_new(before, json_pack("{s:s,s:f}",
            "id", kb->causes[r->before->causes[i].cause].id,
            "score", r->before->causes[i].p));
    for (int i = 0; i < r->n_changes; i++) {
        const kf_change *c = &r->changes[i];
        json_t *x = json_object();
        json_object_set_new(x, "kind", json_string(change_kind_name(c->kind)));
        json_object_set_new(x, "cause", c->cause >= 0
                            ? json_string(kb->causes[c->cause].id) : json_null());
        json_object_set_new(x, "technique", c->technique >= 0
                            ? json_string(kb->techniques[c->technique].id) : json_null());
        json_object_set_new(x, "finding", c->finding >= 0
                            ? json_string(kb->findings[c->finding].id) : json_null());
        json_object_set_new(x, "before", c->before >= 0 ? json_real(c->before)
                                                         : json_null());
        json_object_set_new(x, "after", c->after >= 0 ? json_real(c->after)
                                                       : json_null());
        json_object_set_new(x, "text", json_string(c->text));
        json_array_append_new(changes, x);
    }
    for (int i = 0; i < r->fu.n_techs; i++) {
        const kf_tech_record *t = &r->fu.techs[i];
        json_array_append_new(techs, json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:o,s:b}",
            "technique", t->generic ? "massage" : kb->techniques[t->technique].id,
            "tries", t->tries,
            "short_relief", t->short_relief, "lasting", t->lasting,
            "helped", t->helped, "no_change", t->no_change, "worse", t->worse,
            "mean_relief_hours", t->relief_n ? json_real(t->relief_sum / t->relief_n)
                                             : json_null(),
            "demoted", t->demoted));
    }
    json_object_set_new(o, "result", result);
    json_object_set_new(o, "before", before);
    json_object_set_new(o, "changes", changes);
    json_object_set_new(o, "followups", fups);
    json_object_set_new(o, "techniques", techs);
    json_object_set_new(o, "checkins_used", json_integer(r->fu.n_used));
    /* The check-ins whose notes said a warning sign, newest first. */
    json_t *notes = json_array();
    for (int i = r->fu.n_notes - 1; notes && i >= 0; i--) {
        const kf_note_warning *w = &r->fu.notes[i];
        json_array_append_new(notes, json_pack("{s:I,s:s,s:s}", "checkin", (json_int_t)w->checkin,
                                               "at", w->at, "finding", kb->findings[w->finding].id));
    }
    if (!notes) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "note_warnings", notes);
    /* Warning signs of earlier notes that a later check-in settled. */
    json_t *settled = json_array();
    for (int i = r->fu.n_settled - 1; settled && i >= 0; i--) {
        const kf_note_settled *st = &r->fu.settled[i];
        json_array_append_new(settled, json_pack("{s:I,s:s,s:s,s:s,s:s}",
            "checkin", (json_int_t)st->checkin, "at", st->at, "warned_at", st->warned_at,
            "finding", kb->findings[st->finding].id,
            "how", st->how == KF_SETTLED_DOCTOR ? "doctor" : "gone"));
    }
    if (!settled) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "note_settled", settled);
    /* The consultation's "see a doctor" done, by a check-in's note. */
    json_object_set_new(o, "doctor_checked_at", r->doctor_done
                        ? json_string(r->fu.doctor_at) : json_null());
    return o;
}

/* ------------------------------------------------------------------ */
/* Consultations. */

json_t *kf_journal_findings_in(const kf_kb *kb, const char *text,
                               const kf_findings *f)
{
    json_t *list = kf_findings_json(kb, f);
    json_t *facts = json_object();
    if (!list || !facts) {
        json_decref(list);
        json_decref(facts);
        return NULL;
    }
    json_object_set_new(facts, "age", f->age >= 0 ? json_integer(f->age) : json_null());
    json_object_set_new(facts, "weeks_pregnant", f->weeks_pregnant >= 0
                        ? json_integer(f->weeks_pregnant) : json_null());
    json_object_set_new(facts, "duration_days", f->duration_days >= 0
                        ? json_integer(f->duration_days) : json_null());
    return json_pack("{s:o,s:o,s:o,s:o}",
        "text", text ? json_string(text) : json_null(),
        "findings", list,
        "dominant_hand", f->dominant == KF_SIDE_LEFT || f->dominant == KF_SIDE_RIGHT
                         ? json_string(kf_side_name(f->dominant)) : json_null(),
        "facts", facts);
}

/* Whether a consultation is worth keeping: one that recognised nothing
 * (empty words, or words that name nothing the KB knows) would only fill
 * the journal, and the plan could not be revised from it. */
static bool worth_saving(const kf_result *r)
{
    return r && !r->unrecognised && r->findings.n > 0;
}

char *kf_journal_consultation_dump(const kf_kb *kb, const char *text,
                                   const kf_result *r, size_t *len)
{
    (void)text;     /* kept beside the findings (the text column): once is enough */
    if (!worth_saving(r))
        return NULL;
    /* Written straight out, in the bytes json_dumps(JSON_COMPACT |
     * JSON_ENSURE_ASCII) gave for kf_journal_findings_in() without its
     * "text" (tests/unit/test_journal.c compares the two). */
    const kf_findings *f = &r->findings;
    kf_jo w;
    kf_jo_init(&w, KF_JO_COMPACT | KF_JO_ASCII);
    kf_jo_obj(&w);
    kf_jo_key(&w, "findings");
    kf_findings_write(&w, kb, f);
    kf_jo_kstr(&w, "dominant_hand",
               f->dominant == KF_SIDE_LEFT || f->dominant == KF_SIDE_RIGHT
               ? kf_side_name(f->dominant) : NULL);
    kf_jo_key(&w, "facts");
    kf_jo_obj(&w);
    static const char *const name[] = { "age", "weeks_pregnant", "duration_days" };
    const int v[] = { f->age, f->weeks_pregnant, f->duration_days };
    for (int i = 0; i < 3; i++) {
        if (v[i] >= 0)
            kf_jo_kint(&w, name[i], v[i]);
        else
            kf_jo_knull(&w, name[i]);
    }
    kf_jo_obj_end(&w);
    kf_jo_obj_end(&w);
    return kf_jo_finish(&w, len);
}

kf_err kf_journal_save_consultation(const char *db_path, const kf_kb *kb,
                                    const char *text, const kf_result *r,
                                    kf_buf *err)
{
    if (!worth_saving(r))
        return KF_OK;
    char *fs = kf_journal_consultation_dump(kb, text, r, NULL);
    kf_err e;
    if (!fs) {
        kf_buf_puts(err, "out of memory");
        e = KF_ENOMEM;
    } else {
        kf_store *s = NULL;
        e = kf_store_open(db_path, &s, err);
        if (e == KF_OK)
            e = kf_store_add_consultation(s, text ? text : "", fs, kb->version,
                                          NULL, err);
        kf_store_close(s);
    }
    kf_free(fs);
    return e;
}

kf_err kf_journal_consultation_findings(const kf_kb *kb, const kf_consultation *c,
                                        kf_findings *out, kf_buf *err)
{
    json_error_t je;
    json_t *in = json_loads(c->findings_json ? c->findings_json : "", 0, &je);
    if (!json_is_object(in)) {
        kf_buf_printf(err, "the consultation saved at %s has unreadable findings "
                      "(%s); run knotfinder ask again", c->at,
                      in ? "not a JSON object" : je.text);
        json_decref(in);
        return KF_EINVAL;
    }
    /* Only the fields a consultation body has: a "text" of a journal made
     * before schema 2 is not read again (the findings already hold it). */
    json_object_del(in, "text");
    kf_buf why;
    kf_buf_init(&why);
    kf_err e = kf_findings_from_json(kb, in, out, &why);
    if (e == KF_EINVAL)
        kf_buf_printf(err, "the consultation saved at %s does not fit this "
                      "knowledge base (%s); run knotfinder ask again", c->at,
                      why.s ? why.s : "");
    else if (e != KF_OK)
        kf_buf_puts(err, "out of memory");
    if (e == KF_OK) {
        json_t *facts = json_object_get(in, "facts");
        json_t *v;
        if ((v = json_object_get(facts, "age")) && json_is_integer(v) &&
            json_integer_value(v) >= 0 && json_integer_value(v) <= 150)
            out->age = (int)json_integer_value(v);
        if ((v = json_object_get(facts, "weeks_pregnant")) && json_is_integer(v) &&
            json_integer_value(v) >= 0 && json_integer_value(v) <= 45)
            out->weeks_pregnant = (int)json_integer_value(v);
        if ((v = json_object_get(facts, "duration_days")) && json_is_integer(v) &&
            json_integer_value(v) >= 0 && json_integer_value(v) <= 36500 * 2)
            out->duration_days = (int)json_integer_value(v);
    }
    kf_buf_free(&why);
    json_decref(in);
    return e;
}

kf_err kf_journal_consultation_result(const kf_kb *kb, const kf_consultation *c,
                                      kf_result **out, kf_buf *err)
{
    *out = NULL;
    kf_findings f;
    kf_findings_init(&f);
    kf_err e = kf_journal_consultation_findings(kb, c, &f, err);
    if (e == KF_OK) {
        *out = kf_consult(kb, &f);
        if (!*out) {
            kf_buf_puts(err, "out of memory");
            e = KF_ENOMEM;
        }
    }
    kf_findings_free(&f);
    return e;
}

kf_err kf_journal_latest_findings(kf_store *s, const kf_kb *kb,
                                  kf_findings *out, long long *id,
                                  char at[KF_TIME_LEN], kf_buf *err)
{
    kf_consultation_list l;
    kf_err e = kf_store_list_consultations(s, 1, &l, err);
    if (e != KF_OK)
        return e;
    if (l.n == 0) {
        kf_consultation_list_free(&l);
        kf_buf_puts(err, "no consultation is saved yet: describe the knot first "
                    "with knotfinder ask \"...\" (or knotfinder interview)");
        return KF_ENOTFOUND;
    }
    const kf_consultation *c = &l.v[0];
    if (id)
        *id = c->id;
    if (at)
        memcpy(at, c->at, KF_TIME_LEN);
    e = kf_journal_consultation_findings(kb, c, out, err);
    kf_consultation_list_free(&l);
    return e;
}

/* ------------------------------------------------------------------ */
/* The chart. */

int kf_journal_days(const kf_checkin *v, int n, int max_days, kf_pain_day **out)
{
    *out = NULL;
    long long first = -1, last = -1, t;
    for (int i = 0; i < n; i++)
        if (kf_time_parse_utc(v[i].at, &t)) {
            long long d = t / 86400;
            if (first < 0 || d < first)
                first = d;
            if (d > last)
                last = d;
        }
    if (first < 0)
        return 0;
    if (max_days > 0 && last - first + 1 > max_days)
        first = last - max_days + 1;
    int nd = (int)(last - first + 1);
    kf_pain_day *d = kf_calloc((size_t)nd, sizeof *d);
    double *sum = kf_calloc((size_t)nd, sizeof *sum);
    if (!d || !sum) {
        kf_free(d);
        kf_free(sum);
        return -1;
    }
    for (int k = 0; k < nd; k++) {
        char full[KF_TIME_LEN];
        kf_time_format((first + k) * 86400, full);
        memcpy(d[k].day, full, 10);
        d[k].day[10] = '\0';
        d[k].min = 10;
    }
    for (int i = 0; i < n; i++) {
        if (!kf_time_parse_utc(v[i].at, &t) || t / 86400 < first)
            continue;
        kf_pain_day *x = &d[t / 86400 - first];
        x->n++;
        sum[t / 86400 - first] += v[i].pain;
        if (v[i].pain > x->max)
            x->max = v[i].pain;
        if (v[i].pain < x->min)
            x->min = v[i].pain;
        if (v[i].did && *v[i].did)
            x->did = true;
    }
    for (int k = 0; k < nd; k++)
        d[k].mean = d[k].n ? sum[k] / d[k].n : 0;
    kf_free(sum);
    *out = d;
    return nd;
}

void kf_journal_chart_text(const kf_pain_day *d, int nd, int width, kf_buf *out)
{
    if (nd <= 0) {
        kf_buf_puts(out, "No check-ins yet: knotfinder log --pain N records one.\n");
        return;
    }
    if (width < 20)
        width = 20;
    int cols = width - 6;
    int per = (nd + cols - 1) / cols;          /* days per column */
    int nc = (nd + per - 1) / per;
    double val[1024];
    bool has[1024], did[1024];
    if (nc > 1024)
        nc = 1024;
    for (int c = 0; c < nc; c++) {
        double s = 0;
        int k = 0;
        did[c] = false;
        for (int j = c * per; j < (c + 1) * per && j < nd; j++) {
            s += d[j].mean * d[j].n;
            k += d[j].n;
            did[c] |= d[j].did;
        }
        has[c] = k > 0;
        val[c] = k ? s / k : 0;
    }
    kf_buf_printf(out, "Pain, daily mean (0-10)%s\n",
                  per > 1 ? "" : "");
    if (per > 1)
        kf_buf_printf(out, "(one column = %d days)\n", per);
    for (int row = 10; row >= 0; row--) {
        if (row % 2 == 0)
            kf_buf_printf(out, "%3d |", row);
        else
            kf_buf_puts(out, "    |");
        for (int c = 0; c < nc; c++) {
            int v = (int)(val[c] + 0.5);
            const char *ch = " ";
            if (has[c]) {
                if (v == row)
                    ch = "*";
                else if (row < v && row > 0)
                    ch = ":";
                else if (row == 0)
                    ch = v == 0 ? "*" : ":";
            }
            kf_buf_puts(out, ch);
        }
        kf_buf_puts(out, "\n");
    }
    kf_buf_puts(out, "    +");
    for (int c = 0; c < nc; c++)
        kf_buf_puts(out, did[c] ? "^" : "-");
    kf_buf_puts(out, "\n     ");
    kf_buf_puts(out, d[0].day);
    if (nd > 1) {
        int pad = nc - 20;
        for (int i = 0; i < pad; i++)
            kf_buf_puts(out, " ");
        if (pad < 0)
            kf_buf_puts(out, "  ");
        kf_buf_puts(out, d[nd - 1].day);
    }
    kf_buf_puts(out, "\n     (^ = a day something was done)\n");
}

void kf_journal_chart_svg(const kf_pain_day *d, int nd, kf_buf *out)
{
    const int W = 720, H = 300, L = 48, R = 16, T = 36, B = 48;
    const double pw = W - L - R, ph = H - T - B;
    kf_buf_printf(out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"t\" "
        "font-family=\"sans-serif\" font-size=\"12\">\n"
        "<title id=\"t\">Pain over time, daily mean from 0 to 10</title>\n"
        "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
        "<text x=\"%d\" y=\"22\" font-size=\"15\" fill=\"#222\">Pain over time "
        "(daily mean, 0-10)</text>\n", W, H, W, H, W, H, L);
    for (int y = 0; y <= 10; y += 2) {
        double py = T + ph - ph * y / 10.0;
        kf_buf_printf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                      "stroke=\"#ddd\"/>\n<text x=\"%d\" y=\"%.1f\" "
                      "text-anchor=\"end\" fill=\"#555\">%d</text>\n",
                      L, W - R, py, py, L - 6, py + 4, y);
    }
    if (nd <= 0) {
        kf_buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                      "fill=\"#555\">No check-ins yet</text>\n</svg>\n",
                      W / 2, H / 2);
        return;
    }
    double step = nd > 1 ? pw / (nd - 1) : 0;
#define PX(i) (L + (nd > 1 ? step * (i) : pw / 2))
#define PY(v) (T + ph - ph * (v) / 10.0)
    /* The day's range, then the line of means (broken at days without
     * data), then the points. */
    for (int i = 0; i < nd; i++)
        if (d[i].n > 1 && d[i].max > d[i].min)
            kf_buf_printf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                          "y2=\"%.1f\" stroke=\"#f2b8a0\" stroke-width=\"4\"/>\n",
                          PX(i), PX(i), PY(d[i].min), PY(d[i].max));
    bool open = false;
    for (int i = 0; i < nd; i++) {
        if (!d[i].n) {
            if (open)
                kf_buf_puts(out, "\"/>\n");
            open = false;
            continue;
        }
        if (!open)
            kf_buf_puts(out, "<polyline fill=\"none\" stroke=\"#c0392b\" "
                        "stroke-width=\"2\" points=\"");
        kf_buf_printf(out, "%s%.1f,%.1f", open ? " " : "", PX(i), PY(d[i].mean));
        open = true;
    }
    if (open)
        kf_buf_puts(out, "\"/>\n");
    for (int i = 0; i < nd; i++) {
        if (d[i].n)
            kf_buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" "
                          "fill=\"#c0392b\"><title>%s: %.1f (%d check-in%s)"
                          "</title></circle>\n", PX(i), PY(d[i].mean),
                          nd > 120 ? "1.5" : "3", d[i].day, d[i].mean, d[i].n,
                          d[i].n == 1 ? "" : "s");
        if (d[i].did)
            kf_buf_printf(out, "<path d=\"M%.1f %.1f l-4 7 h8 z\" fill=\"#2e86c1\"/>\n",
                          PX(i), T + ph + 4);
    }
    kf_buf_printf(out, "<text x=\"%d\" y=\"%d\" fill=\"#555\">%s</text>\n",
                  L, H - 12, d[0].day);
    if (nd > 1)
        kf_buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                      "fill=\"#555\">%s</text>\n", W - R, H - 12, d[nd - 1].day);
    kf_buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                  "fill=\"#2e86c1\">&#9650; a day something was done</text>\n",
                  W / 2, H - 12);
    kf_buf_puts(out, "</svg>\n");
#undef PX
#undef PY
}
