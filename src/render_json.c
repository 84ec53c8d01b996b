/* render_json.c — the result, questions and techniques as JSON, streamed
 * (see render_json.h).  It mirrors the tree builders of render.c member by
 * member; tests/unit/test_render_json.c keeps the two equal. */
#include "render_json.h"
#include "plan.h"

#include "render.h"
#include "triage.h"

#include <stdio.h>
#include <string.h>

/* Room reserved for an answer (kf_result_dump): the article cases' answers
 * are 13-32 KB, compact to indented; a 32 KB buffer (the writer rounds up
 * to a power of two) holds every one without a copy. */
#define KF_RESULT_JSON_ROOM 32000

static const char *state_name(kf_state s)
{
    return s == KF_PRESENT ? "present" : s == KF_ABSENT ? "absent" : "unsure";
}

static const char *origin_name(kf_origin o)
{
    static const char *const n[] = { "text", "map", "answer", "journal" };
    return (unsigned)o < 4 ? n[o] : "text";
}

/* A string json_pack's "s" takes: NULL fails the value being packed. */
static inline __attribute__((always_inline)) void req_str(kf_jo *w, const char *k, const char *s)
{
    kf_jo_key(w, k);
    if (!s)
        kf_jo_fail(w, "a NULL string");
    else
        kf_jo_str(w, s);
}

/* A member set with json_object_set_new(o, k, json_string(s)): left out
 * when s is NULL or not UTF-8. */
static inline __attribute__((always_inline)) void opt_member(kf_jo *w, const char *k, const char *s)
{
    if (!s)
        return;
    kf_jo_mark m = kf_jo_save(w);
    kf_jo_kstr(w, k, s);
    kf_jo_undo(w, m);
}

/* An array slot filled by json_array_append_new(a, json_string(s)): left
 * out when s is NULL or not UTF-8. */
static void opt_item(kf_jo *w, const char *s)
{
    if (!s)
        return;
    kf_jo_mark m = kf_jo_save(w);
    kf_jo_str(w, s);
    kf_jo_undo(w, m);
}

/* A string made with json_string() and packed with "o": NULL or not UTF-8
 * fails the enclosing value. */
static void str_or_fail(kf_jo *w, const char *s)
{
    if (!s)
        kf_jo_fail(w, "a NULL string");
    else
        kf_jo_str(w, s);
}

/* The words of a fact, as render.c's span_json: invalid UTF-8 bytes
 * dropped, control characters made spaces; null without text, and null
 * when what is left is still not a string jansson accepts. */
static void span_write(kf_jo *w, const char *text, const kf_fact *x)
{
    if (!text || x->start < 0) {
        kf_jo_null(w);
        return;
    }
    const unsigned char *s = (const unsigned char *)text + x->start;
    int n = x->len;
    /* The common case needs no cleaning: written straight from the text. */
    int i = 0;
    while (i < n && s[i] >= 0x20 && s[i] < 0x80)
        i++;
    if (i >= n) {
        kf_jo_strn(w, (const char *)s, n > 0 ? (size_t)n : 0);
        return;
    }
    char stack[256];
    char *b = n <= (int)sizeof stack ? stack : kf_malloc((size_t)n);
    if (!b) {
        kf_jo_fail(w, "out of memory");   /* kf_jo_undo keeps it */
        return;
    }
    size_t bl = (size_t)i;
    memcpy(b, s, (size_t)i);
    while (i < n) {
        int l = s[i] < 0x80 ? 1 : (s[i] & 0xE0) == 0xC0 ? 2 : (s[i] & 0xF0) == 0xE0 ? 3
              : (s[i] & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = l > 0 && i + l <= n;
        for (int k = 1; ok && k < l; k++)
            ok = (s[i + k] & 0xC0) == 0x80;
        if (ok && (l > 1 || s[i] >= 0x20)) {
            memcpy(b + bl, s + i, (size_t)l);
            bl += (size_t)l;
        } else if (ok)
            b[bl++] = ' ';
        i += ok ? l : 1;
    }
    if (kf_jo_utf8(b, bl))
        kf_jo_strn(w, b, bl);
    else
        kf_jo_null(w);
    if (b != stack)
        kf_free(b);
}

static void timer_write(kf_jo *w, const kf_technique *t)
{
    if (t->work_s <= 0) {
        kf_jo_null(w);
        return;
    }
    kf_jo_obj(w);
    kf_jo_kint(w, "work_s", t->work_s);
    kf_jo_kint(w, "rest_s", t->rest_s);
    kf_jo_kint(w, "reps", t->reps);
    kf_jo_obj_end(w);
}

/* The members of kf_technique_json after "id" (which the plan drops). */
static void technique_body(kf_jo *w, const kf_kb *kb, const kf_technique *t)
{
    /* json_pack fails on a NULL or non-UTF-8 id even where it is dropped. */
    if (!t->id || !kf_jo_utf8(t->id, strlen(t->id))) {
        kf_jo_fail(w, "a technique's id is not a string");
        return;
    }
    req_str(w, "name", t->name);
    req_str(w, "kind", kf_tech_kind_name(t->kind));
    kf_jo_key(w, "steps");
    kf_jo_arr(w);
    for (int i = 0; i < t->n_steps; i++)
        opt_item(w, t->steps[i]);
    kf_jo_arr_end(w);
    kf_jo_kstr(w, "dose", t->dose);
    kf_jo_kstr(w, "caution", t->caution);
    kf_jo_key(w, "timer");
    timer_write(w, t);
    kf_jo_kstr(w, "source", t->source);
    (void)kb;
}

/* technique_body, or its members kept with the KB (kf_technique.json)
 * where this writer would write the same bytes. */
static void technique_members(kf_jo *w, const kf_kb *kb, const kf_technique *t)
{
    if (!t->json || !kf_jo_members(w, t->json, t->json_len, KF_JO_COMPACT))
        technique_body(w, kb, t);
}

char *kf_technique_members_json(const kf_kb *kb, const kf_technique *t, size_t *len,
                                bool *oom)
{
    kf_jo w;
    kf_jo_init(&w, KF_JO_COMPACT);
    kf_jo_obj(&w);
    technique_body(&w, kb, t);
    kf_jo_obj_end(&w);
    size_t n = 0;
    char *s = kf_jo_finish(&w, &n);
    const char *why = kf_jo_error(&w);
    if (oom)
        *oom = !s && why && !strcmp(why, "out of memory");
    if (!s || n < 2) {
        kf_free(s);
        return NULL;
    }
    memmove(s, s + 1, n - 2);          /* the braces off */
    s[n - 2] = '\0';
    *len = n - 2;
    return s;
}

void kf_technique_write(kf_jo *w, const kf_kb *kb, int tech)
{
    const kf_technique *t = &kb->techniques[tech];
    kf_jo_obj(w);
    req_str(w, "id", t->id);
    technique_members(w, kb, t);
    kf_jo_obj_end(w);
}

void kf_question_write(kf_jo *w, const kf_kb *kb, const kf_question *q)
{
    const char *text = kf_question_text(kb, q);
    switch (q->kind) {
    case KF_Q_WHERE:
        kf_jo_obj(w);
        kf_jo_kstr(w, "kind", "where");
        req_str(w, "text", text);
        kf_jo_key(w, "regions");
        kf_jo_arr(w);
        for (int i = 0; i < kb->n_regions; i++) {
            const kf_region *g = &kb->regions[i];
            kf_jo_mark m = kf_jo_save(w);
            kf_jo_obj(w);
            req_str(w, "id", g->id);
            req_str(w, "label", g->label);
            kf_jo_kstr(w, "view", g->back ? "back" : "front");
            kf_jo_kbool(w, "sided", g->sided);
            req_str(w, "finding", kb->findings[g->finding].id);
            kf_jo_obj_end(w);
            kf_jo_undo(w, m);
        }
        kf_jo_arr_end(w);
        kf_jo_obj_end(w);
        return;
    case KF_Q_SCREEN:
        kf_jo_obj(w);
        kf_jo_kstr(w, "kind", "screen");
        req_str(w, "text", text);
        kf_jo_key(w, "items");
        kf_jo_arr(w);
        /* One item a line: a warning sign said two ways is one item, its
         * other findings in "also" (a tick: the first yes, the others not
         * sure; no tick: all no). */
        for (int i = 0; i < q->n_screen; i++) {
            if (!kf_screen_on_line(q, i, i))
                continue;
            const kf_finding_def *d = &kb->findings[q->screen[i]];
            bool joined = false;
            for (int j = i + 1; j < q->n_screen && !joined; j++)
                joined = kf_screen_on_line(q, i, j);
            bool sign = joined || (q->screen_and && q->screen_and[i] >= 0);
            kf_buf line;
            kf_buf_init(&line);
            if (sign)
                kf_screen_line(kb, q, i, &line);
            kf_jo_mark m = kf_jo_save(w);
            kf_jo_obj(w);
            req_str(w, "finding", d->id);
            req_str(w, "text", sign ? line.s : d->question ? d->question : d->label);
            req_str(w, "label", sign ? line.s : d->label);
            if (joined) {
                kf_jo_key(w, "also");
                kf_jo_arr(w);
                for (int j = i + 1; j < q->n_screen; j++)
                    if (kf_screen_on_line(q, i, j))
                        kf_jo_str(w, kb->findings[q->screen[j]].id);
                kf_jo_arr_end(w);
            }
            kf_jo_obj_end(w);
            kf_jo_undo(w, m);
            kf_buf_free(&line);
        }
        kf_jo_arr_end(w);
        kf_jo_obj_end(w);
        return;
    case KF_Q_CLARIFY: {
        const kf_finding_def *a = &kb->findings[q->finding], *b = &kb->findings[q->alt];
        char buf[512];
        snprintf(buf, sizeof buf, "Is it %s, or %s?", a->label, b->label);
        kf_jo_obj(w);
        kf_jo_kstr(w, "kind", "clarify");
        req_str(w, "finding", a->id);
        req_str(w, "alt", b->id);
        kf_jo_kstr(w, "text", buf);
        kf_jo_key(w, "options");
        kf_jo_arr(w);
        kf_jo_obj(w);
        req_str(w, "finding", a->id);
        req_str(w, "label", a->label);
        kf_jo_obj_end(w);
        kf_jo_obj(w);
        req_str(w, "finding", b->id);
        req_str(w, "label", b->label);
        kf_jo_obj_end(w);
        kf_jo_arr_end(w);
        kf_jo_obj_end(w);
        return;
    }
    case KF_Q_FINDING:
        kf_jo_obj(w);
        kf_jo_kstr(w, "kind", "finding");
        req_str(w, "finding", kb->findings[q->finding].id);
        req_str(w, "text", text);
        kf_jo_kreal(w, "gain", q->gain);
        kf_jo_kstr(w, "why", kb->findings[q->finding].why_ask);
        kf_jo_obj_end(w);
        return;
    default:
        kf_jo_null(w);
        return;
    }
}

void kf_findings_write(kf_jo *w, const kf_kb *kb, const kf_findings *f)
{
    kf_jo_arr(w);
    for (int i = 0; i < f->n; i++) {
        const kf_fact *x = &f->v[i];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "id", kb->findings[x->finding].id);
        kf_jo_kstr(w, "state", state_name(x->state));
        kf_jo_kstr(w, "side", kf_side_name(x->side));
        kf_jo_kstr(w, "origin", origin_name(x->origin));
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);
}

static inline __attribute__((always_inline)) void int_or_null(kf_jo *w, const char *k, int v)
{
    if (v >= 0)
        kf_jo_kint(w, k, v);
    else
        kf_jo_knull(w, k);
}

static void cause_write(kf_jo *w, const kf_kb *kb, const kf_result *r, const char *text,
                        const kf_ranked *rk)
{
    const kf_cause *c = &kb->causes[rk->cause];
    kf_jo_obj(w);
    req_str(w, "id", c->id);
    req_str(w, "name", c->name);
    req_str(w, "kind", kf_cause_kind_name(c->kind));
    kf_jo_kreal(w, "score", rk->p);
    kf_jo_kstr(w, "side", kf_side_name(rk->side));
    kf_jo_key(w, "where");
    kf_jo_arr(w);
    for (int k = 0; k < c->n_where; k++)
        opt_item(w, kb->regions[c->where[k]].id);
    kf_jo_arr_end(w);
    kf_jo_kstr(w, "about", c->about);
    kf_jo_key(w, "kept_by");
    if (rk->kept_by >= 0)
        str_or_fail(w, kb->causes[rk->kept_by].id);
    else
        kf_jo_null(w);
    kf_jo_key(w, "reasons");
    kf_jo_arr(w);
    for (int k = 0; k < rk->n_reasons; k++) {
        const kf_reason *re = &rk->reasons[k];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "finding", kb->findings[re->finding].id);
        kf_jo_kstr(w, "state", state_name(re->state));
        req_str(w, "mechanism", kf_mech_name(re->mech));
        kf_jo_kreal(w, "weight", re->weight);
        req_str(w, "why", re->why);
        kf_jo_key(w, "words");
        if (re->fact >= 0)
            span_write(w, text, &r->findings.v[re->fact]);
        else
            kf_jo_null(w);
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);
    kf_jo_kstr(w, "level", c->kind == KF_CAUSE_MIMIC ? kf_triage_id(c->level) : NULL);
    /* A habit names the muscles it keeps short. */
    if (c->n_keeps) {
        kf_jo_key(w, "keeps");
        kf_jo_arr(w);
        for (int k = 0; k < c->n_keeps; k++)
            opt_item(w, kb->causes[c->keeps[k]].id);
        kf_jo_arr_end(w);
    }
    if (rk->flagged_by >= 0)
        opt_member(w, "flagged_by", kb->redflags[rk->flagged_by].id);
    kf_jo_obj_end(w);
}

void kf_result_write(kf_jo *w, const kf_kb *kb, const kf_result *r, const char *text)
{
    kf_jo_obj(w);
    req_str(w, "kb_version", kb->version);

    kf_jo_key(w, "triage");
    kf_jo_obj(w);
    kf_jo_kstr(w, "level", kf_triage_id(r->triage));
    kf_jo_kstr(w, "message", kf_triage_banner_for(kb, r));
    kf_jo_kstr(w, "when", kf_when_id(kf_triage_when(kb, r->fired, r->n_fired, r->triage)));
    kf_jo_key(w, "flags");
    kf_jo_arr(w);
    int shown[3];
    int n_shown = kf_triage_shown(kb, r, shown, 3);
    for (int i = 0; i < n_shown; i++) {
        const kf_redflag *rf = &kb->redflags[shown[i]];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "id", rf->id);
        kf_jo_kstr(w, "level", kf_triage_id(rf->level));
        kf_jo_key(w, "mimic");
        if (rf->mimic >= 0)
            str_or_fail(w, kb->causes[rf->mimic].id);
        else
            kf_jo_null(w);
        req_str(w, "message", rf->message);
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);
    kf_jo_key(w, "fired");
    kf_jo_arr(w);
    for (int i = 0; i < r->n_fired; i++)
        opt_item(w, kb->redflags[r->fired[i]].id);
    kf_jo_arr_end(w);
    kf_jo_key(w, "screen");
    kf_jo_arr(w);
    for (int i = 0; i < r->n_screen; i++) {
        const kf_finding_def *d = &kb->findings[r->screen[i]];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "finding", d->id);
        req_str(w, "text", d->question ? d->question : d->label);
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);
    kf_jo_key(w, "raised_by");
    if (r->raised_by >= 0)
        str_or_fail(w, kb->causes[r->raised_by].id);
    else
        kf_jo_null(w);
    kf_jo_key(w, "also");
    if (r->also >= 0)
        str_or_fail(w, kb->causes[r->also].id);
    else
        kf_jo_null(w);
    kf_jo_obj_end(w);

    kf_jo_key(w, "understood");
    kf_jo_arr(w);
    for (int i = 0; i < r->findings.n; i++) {
        const kf_fact *x = &r->findings.v[i];
        const kf_finding_def *d = &kb->findings[x->finding];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "finding", d->id);
        req_str(w, "label", d->label);
        kf_jo_kstr(w, "state", state_name(x->state));
        kf_jo_kstr(w, "side", kf_side_name(x->side));
        kf_jo_key(w, "words");
        span_write(w, text, x);
        kf_jo_kstr(w, "origin", origin_name(x->origin));
        if (x->alt >= 0)
            opt_member(w, "ambiguous_with", kb->findings[x->alt].id);
        if (x->note == KF_NOTE_SAFER)
            kf_jo_kstr(w, "note", "safer_reading");
        else if (x->note == KF_NOTE_GUESS)
            kf_jo_kstr(w, "note", "guess");
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    /* As render.c: what follows from what was said, with no words. */
    for (int i = r->findings.n; i < r->used.n; i++) {
        const kf_fact *x = &r->used.v[i];
        const kf_finding_def *d = &kb->findings[x->finding];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "finding", d->id);
        req_str(w, "label", d->label);
        kf_jo_kstr(w, "state", state_name(x->state));
        kf_jo_kstr(w, "side", kf_side_name(x->side));
        kf_jo_key(w, "words");
        kf_jo_null(w);
        kf_jo_kstr(w, "origin", "derived");
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);

    const kf_findings *f = &r->findings;
    kf_jo_key(w, "facts");
    kf_jo_obj(w);
    int_or_null(w, "age", f->age);
    int_or_null(w, "weeks_pregnant", f->weeks_pregnant);
    int_or_null(w, "duration_days", f->duration_days);
    kf_jo_kstr(w, "dominant_hand", f->dominant ? kf_side_name(f->dominant) : NULL);
    if (f->sex) {
        char sx[2] = { f->sex, 0 };
        opt_member(w, "sex", sx);
    } else
        kf_jo_knull(w, "sex");
    kf_jo_kbool(w, "nothing_understood", f->nothing_understood);
    kf_jo_obj_end(w);

    kf_jo_key(w, "causes");
    kf_jo_arr(w);
    for (int i = 0; i < r->n_causes; i++) {
        kf_jo_mark m = kf_jo_save(w);
        cause_write(w, kb, r, text, &r->causes[i]);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);

    /* Every cause's posterior, likeliest first (the model's order; the
     * shown causes above may differ from its first places: a different
     * family is preferred for places 2 and 3, kf_rank_top).  Empty when
     * nothing was recognised. */
    kf_jo_key(w, "posterior");
    kf_jo_arr(w);
    int *ord = kf_causes_by_posterior(kb, r);
    if (r->post && !ord)
        kf_jo_fail(w, "out of memory");
    for (int i = 0; ord && i < kb->n_causes; i++) {
        const kf_cause *c = &kb->causes[ord[i]];
        kf_jo_obj(w);
        req_str(w, "id", c->id);
        kf_jo_kreal(w, "p", r->post[ord[i]]);
        kf_jo_kstr(w, "family", c->family);
        kf_jo_obj_end(w);
    }
    kf_free(ord);
    kf_jo_arr_end(w);

    kf_jo_key(w, "plan");
    kf_jo_arr(w);
    for (int i = 0; i < r->n_plan; i++) {
        const kf_step *s = &r->plan[i];
        const kf_technique *t = &kb->techniques[s->technique];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        technique_members(w, kb, t);
        kf_jo_kint(w, "order", i + 1);
        opt_member(w, "technique", t->id);
        if (s->cause < 0)
            kf_jo_knull(w, "for");
        else
            opt_member(w, "for", kb->causes[s->cause].id);
        kf_jo_kstr(w, "side", kf_side_name(s->side));
        kf_jo_kstr(w, "for_you", kf_plan_for_you(kb, r, s->technique));
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);

    kf_jo_key(w, "massage");
    kf_jo_arr(w);
    for (int i = 0; i < r->n_massage; i++) {
        const kf_cause *c = &kb->causes[r->massage[i]];
        const char *why = c->about;
        for (int k = 0; k < r->n_causes; k++)
            if (r->causes[k].cause == r->massage[i] && r->causes[k].n_reasons &&
                r->causes[k].reasons[0].state == KF_PRESENT)
                why = r->causes[k].reasons[0].why;
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "muscle", c->id);
        req_str(w, "name", c->name);
        kf_jo_kstr(w, "side", kf_side_name(r->massage_side[i]));
        kf_jo_kstr(w, "why", why);
        kf_jo_key(w, "where");
        kf_jo_arr(w);
        for (int k = 0; k < c->n_where; k++)
            opt_item(w, kb->regions[c->where[k]].id);
        kf_jo_arr_end(w);
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);

    kf_jo_key(w, "next_question");
    kf_question_write(w, kb, &r->next);
    kf_jo_kbool(w, "unrecognised", r->unrecognised);
    kf_jo_kbool(w, "approximate", r->approximate);
    kf_jo_kbool(w, "leader_clear", r->leader_clear);
    kf_jo_kstr(w, "disclaimer", kf_disclaimer);
    /* Findings only asked or worried about, and what to do if they come. */
    kf_jo_key(w, "hypothetical");
    kf_jo_arr(w);
    for (int i = 0; i < f->n_hypothetical; i++) {
        int h = f->hypothetical[i];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "finding", kb->findings[h].id);
        req_str(w, "label", kb->findings[h].label);
        kf_jo_kstr(w, "if_present", kf_hypo_advice(kb, h));
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);

    /* The short answer's parts: the first steps (each with the cause it
     * serves), what was left out for this person, the cause sentence. */
    kf_jo_key(w, "first_steps");
    kf_jo_arr(w);
    for (int i = 0; i < r->n_first; i++) {
        const kf_step *s = &r->plan[r->first[i]];
        const kf_technique *t = &kb->techniques[s->technique];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        kf_jo_kint(w, "order", i + 1);
        req_str(w, "technique", t->id);
        req_str(w, "name", t->name);
        req_str(w, "kind", kf_tech_kind_name(t->kind));
        if (t->kind == KF_TECH_DOCTOR) {
            kf_buf dl;
            kf_buf_init(&dl);
            kf_jo_kstr(w, "dose", kf_doctor_line(kb, r, &dl));
            kf_buf_free(&dl);
        } else
            kf_jo_kstr(w, "dose", t->dose);
        kf_jo_key(w, "timer");
        if (t->work_s > 0) {
            char timer[512];
            static const char cmd[] = "knotfinder do ";
            size_t il = t->id ? strlen(t->id) : 0, n = sizeof cmd - 1 + il;
            if (!t->id || n >= sizeof timer)
                kf_jo_fail(w, "a timer command does not fit");
            else {
                memcpy(timer, cmd, sizeof cmd - 1);
                memcpy(timer + sizeof cmd - 1, t->id, il);
                kf_jo_strn(w, timer, n);
            }
        } else
            kf_jo_null(w);
        if (s->cause >= 0) {
            char nm[256] = "";
            kf_cause_plain(kb, s->cause, nm, sizeof nm);
            kf_jo_key(w, "for");
            str_or_fail(w, kb->causes[s->cause].id);
            kf_jo_kstr(w, "for_name", nm);
        } else {
            kf_jo_knull(w, "for");
            kf_jo_knull(w, "for_name");
        }
        kf_jo_kstr(w, "side", kf_side_name(s->side));
        kf_jo_kstr(w, "for_you", kf_plan_for_you(kb, r, s->technique));
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);

    kf_jo_key(w, "left_out");
    kf_jo_arr(w);
    for (int i = 0; i < r->n_omitted; i++) {
        const kf_omit *o = &r->omitted[i];
        const kf_technique *t = &kb->techniques[o->technique];
        kf_jo_mark m = kf_jo_save(w);
        kf_jo_obj(w);
        req_str(w, "technique", t->id);
        req_str(w, "name", t->name);
        req_str(w, "person", kf_person_id(o->person));
        kf_jo_kstr(w, "why", t->not_for_why[o->person]);
        kf_jo_key(w, "instead");
        if (o->instead >= 0)
            str_or_fail(w, kb->techniques[o->instead].id);
        else
            kf_jo_null(w);
        kf_jo_obj_end(w);
        kf_jo_undo(w, m);
    }
    kf_jo_arr_end(w);

    kf_jo_key(w, "person");
    kf_jo_arr(w);
    for (int p = 0; p < KF_PERSON_N; p++)
        if (r->person & (1u << p))
            opt_item(w, kf_person_id((kf_person)p));
    kf_jo_arr_end(w);

    kf_jo_key(w, "cause_sentence");
    kf_buf cs;
    kf_buf_init(&cs);
    int named[2];
    if (!r->unrecognised && r->triage < KF_TRIAGE_SOON)
        kf_cause_sentence(kb, r, &cs, named);
    if (cs.oom)
        kf_jo_fail(w, "out of memory");   /* not a shorter sentence */
    else if (cs.len && kf_jo_utf8(cs.s, cs.len))
        kf_jo_strn(w, cs.s, cs.len);
    else
        kf_jo_null(w);              /* none, or not a string jansson takes */
    kf_buf_free(&cs);
    kf_jo_obj_end(w);
}

char *kf_result_dump(const kf_kb *kb, const kf_result *r, const char *text,
                     unsigned flags, size_t *len, const char **why)
{
    kf_jo w;
    kf_jo_init(&w, flags);
    /* an article case's answer is 13-32 KB (compact to indented): one
     * buffer, not six doublings each copying what was written (~27k
     * instructions of an answer's 210k) */
    kf_jo_reserve(&w, KF_RESULT_JSON_ROOM);
    kf_result_write(&w, kb, r, text);
    char *s = kf_jo_finish(&w, len);
    if (!s && why)
        *why = kf_jo_error(&w);
    return s;
}
