/*
 * course.c — lessons in order, their text, and the next lesson for one
 * person (course.h).
 *
 * The next lesson follows the method the lessons teach: a knot is a
 * symptom, so the first thing to learn is where the cause may be; then the
 * chain behind this person's likely cause; and when relief after a step
 * lasted only hours, that step missed the cause, so the lesson on the next
 * suspect comes before anything else of theirs.
 */
#include "course.h"
#include "render.h"

#include <stdarg.h>
#include <string.h>

/* A cause below this score is not "likely": its lesson is not picked for
 * the person (it still comes in course order). */
#define KF_COURSE_LIKELY 0.05
/* How many of the ranked causes are looked at. */
#define KF_COURSE_CAUSES 3
/* How many of the plan's steps are looked at. */
#define KF_COURSE_STEPS 3

/* True when the text written since `base` ends a sentence or a label
 * (nothing yet, ". ", ": "...), where a name is written in full. */
static bool at_start(const kf_buf *out, size_t base)
{
    if (out->len == base)
        return true;
    return out->len >= base + 2 && out->s[out->len - 1] == ' ' &&
           strchr(".!?", out->s[out->len - 2]);
}

static bool after_colon(const kf_buf *out, size_t base)
{
    return out->len >= base + 2 && out->s[out->len - 1] == ' ' && out->s[out->len - 2] == ':';
}

static void fill(const kf_kb *kb, const char *s, kf_buf *out)
{
    size_t base = out->len;
    for (;;) {
        const char *o = strchr(s, '{');
        if (!o) {
            kf_buf_puts(out, s);
            return;
        }
        kf_buf_add(out, s, (size_t)(o - s));
        const char *c = strchr(o, '}');
        if (!c) {               /* the loader refuses this; copy it as it is */
            kf_buf_puts(out, o);
            return;
        }
        const char *w = o + 1, *sp = w;
        while (sp < c && *sp != ' ')
            sp++;
        const char *id = sp;
        while (id < c && *id == ' ')
            id++;
        size_t idn = (size_t)(c - id);
        while (idn && id[idn - 1] == ' ')
            idn--;
        int t = -1;
        for (int i = 0; i < kb->n_techniques; i++)
            if (strlen(kb->techniques[i].id) == idn && !strncmp(kb->techniques[i].id, id, idn))
                t = i;
        size_t wn = (size_t)(sp - w);
        if (t < 0) {
            kf_buf_add(out, o, (size_t)(c - o + 1));
        } else {
            const kf_technique *k = &kb->techniques[t];
            if (wn == 4 && !strncmp(w, "dose", 4) && k->dose) {
                /* A dose is written as a sentence; inside a paragraph its
                 * final full stop is the paragraph's to place. */
                size_t n = strlen(k->dose);
                if (n && k->dose[n - 1] == '.' && c[1] && strchr(".;,:", c[1]))
                    n--;
                /* "How much: about 5 minutes": after a colon the dose goes
                 * on the sentence (a capital followed by a small letter is
                 * a sentence's, not a name's or an abbreviation's). */
                if (n > 1 && after_colon(out, base) && k->dose[0] >= 'A' && k->dose[0] <= 'Z' &&
                    k->dose[1] >= 'a' && k->dose[1] <= 'z') {
                    char first = (char)(k->dose[0] - 'A' + 'a');
                    kf_buf_add(out, &first, 1);
                    kf_buf_add(out, k->dose + 1, n - 1);
                } else {
                    kf_buf_add(out, k->dose, n);
                }
            } else if (wn == 5 && !strncmp(w, "timer", 5)) {
                kf_course_timer_words(k, out);
            } else if (at_start(out, base)) {
                kf_buf_puts(out, k->name);          /* a label: the name in full */
            } else {
                char sh[256];                       /* in a sentence: "the lat pinch" */
                kf_technique_short(kb, t, sh, sizeof sh);
                kf_buf_puts(out, sh);
            }
        }
        s = c + 1;
    }
}

static void duration(int s, kf_buf *out)
{
    if (s >= 60 && s % 60 == 0)
        kf_buf_printf(out, "%d minute%s", s / 60, s == 60 ? "" : "s");
    else if (s > 60)
        kf_buf_printf(out, "%d min %d s", s / 60, s % 60);
    else
        kf_buf_printf(out, "%d second%s", s, s == 1 ? "" : "s");
}

void kf_course_timer_words(const kf_technique *t, kf_buf *out)
{
    if (!t || t->work_s <= 0)
        return;
    if (t->reps <= 1 && t->rest_s <= 0) {
        duration(t->work_s, out);
        return;
    }
    duration(t->work_s, out);
    kf_buf_puts(out, " on");
    if (t->rest_s > 0) {
        kf_buf_puts(out, ", ");
        duration(t->rest_s, out);
        kf_buf_puts(out, " off");
    }
    kf_buf_printf(out, ", %d round%s", t->reps, t->reps == 1 ? "" : "s");
}

void kf_course_paragraph(const kf_kb *kb, int l, int i, kf_buf *out)
{
    if (!kb || l < 0 || l >= kb->n_lessons || i < 0 || i >= kb->lessons[l].n_paras)
        return;
    fill(kb, kb->lessons[l].paras[i], out);
}

int kf_course_done_set(const kf_kb *kb, const char *const *ids, int n, bool *done)
{
    int unknown = 0;
    for (int i = 0; i < kb->n_lessons; i++)
        done[i] = false;
    for (int i = 0; i < n; i++) {
        int l = ids[i] ? kf_kb_lesson(kb, ids[i]) : -1;
        if (l < 0)
            unknown++;
        else
            done[l] = true;
    }
    return unknown;
}

const char *kf_next_kind_id(kf_next_kind k)
{
    static const char *const ids[] = {
        "none", "warning", "start", "short_relief", "for_you", "cause", "plan", "in_order"
    };
    return (unsigned)k < KF_ARRAY_LEN(ids) ? ids[k] : "none";
}

/* ---------- choosing ---------- */

static bool is_done(const bool *done, int l)
{
    return done && done[l];
}

static bool teaches(const kf_lesson *l, kf_teach_kind kind, int idx)
{
    for (int t = 0; t < l->n_teaches; t++)
        if (l->teaches[t].kind == kind && l->teaches[t].idx == idx)
            return true;
    return false;
}

/* A lesson teaching `what`: the first not done in course order; with
 * `even_done`, the first one at all when every one is done.  Lessons whose
 * subject it is (first in their teaches) come before those that mention it,
 * and for a cause the method's lessons (the first module, which uses causes
 * only as examples) come last.  -1 when none teaches it. */
static int lesson_on(const kf_kb *kb, kf_teach_kind kind, int idx, const bool *done,
                     bool even_done)
{
    int any = -1;
    int method = kb->n_modules && kind == KF_TEACH_CAUSE ? 0 : -1;
    for (int pass = 0; pass < 3; pass++)
        for (int l = 0; l < kb->n_lessons; l++) {
            const kf_lesson *x = &kb->lessons[l];
            bool subject = x->n_teaches && x->teaches[0].kind == kind && x->teaches[0].idx == idx;
            bool in_method = x->module == method;
            int want = in_method ? 2 : subject ? 0 : 1;
            if (want != pass || !teaches(x, kind, idx))
                continue;
            if (!is_done(done, l))
                return l;
            if (any < 0)
                any = l;
        }
    return even_done ? any : -1;
}

/* The lesson on a cause's chain.  For a muscle that a habit the person
 * reported keeps short, that habit's lesson is the chain and comes first;
 * then a lesson on the muscle itself; then a lesson on any habit that keeps
 * it short.  *via is the habit when its lesson was chosen, else -1. */
static int lesson_on_cause(const kf_kb *kb, const kf_ranked *rc, const bool *done, int *via)
{
    int c = rc->cause;
    *via = -1;
    bool muscle = kb->causes[c].kind == KF_CAUSE_MUSCLE;
    if (muscle && rc->kept_by >= 0) {
        int l = lesson_on(kb, KF_TEACH_CAUSE, rc->kept_by, done, false);
        if (l >= 0) {
            *via = rc->kept_by;
            return l;
        }
    }
    int l = lesson_on(kb, KF_TEACH_CAUSE, c, done, false);
    if (l >= 0 || !muscle)
        return l;
    for (int h = 0; h < kb->n_causes; h++)
        for (int k = 0; k < kb->causes[h].n_keeps; k++)
            if (kb->causes[h].keeps[k] == c) {
                l = lesson_on(kb, KF_TEACH_CAUSE, h, done, false);
                if (l >= 0) {
                    *via = h;
                    return l;
                }
            }
    return -1;
}

static bool works_on(const kf_technique *t, int c)
{
    for (int i = 0; i < t->n_works_on; i++)
        if (t->works_on[i] == c)
            return true;
    return false;
}

/* For work on the sore spot: the cause's knot is right where it hurts (a
 * local link to a place the person named). */
static bool local_here(const kf_ranked *rc)
{
    for (int i = 0; i < rc->n_reasons; i++)
        if (rc->reasons[i].mech == KF_MECH_LOCAL && rc->reasons[i].state == KF_PRESENT)
            return true;
    return false;
}

/* The step whose relief was short most often (and more often than it
 * lasted), or -1. */
static int short_relief_step(const kf_followup *fu)
{
    int best = -1, most = 0;
    for (int i = 0; fu && i < fu->n_techs; i++) {
        const kf_tech_record *r = &fu->techs[i];
        if (r->technique >= 0 && r->short_relief > r->lasting && r->short_relief > most) {
            most = r->short_relief;
            best = r->technique;
        }
    }
    return best;
}

static bool has_finding(const kf_result *r, int f)
{
    return kf_findings_has(&r->used, f) || kf_findings_has(&r->findings, f);
}

static void say(kf_buf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(kf_buf *why, const char *fmt, ...)
{
    if (!why)
        return;
    va_list ap;
    va_start(ap, fmt);
    char tmp[64];
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, cp);
    va_end(cp);
    if (n < 0) {
        va_end(ap);
        return;
    }
    char *s = kf_malloc((size_t)n + 1);
    if (!s) {
        why->oom = true;
        va_end(ap);
        return;
    }
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    kf_buf_add(why, s, (size_t)n);
    kf_free(s);
}

/* Plain names for sentences ("the lat (latissimus dorsi)", "the lat pinch"). */
typedef struct { char s[256]; } name_buf;

static const char *cname(const kf_kb *kb, int c, name_buf *b)
{
    kf_cause_plain(kb, c, b->s, sizeof b->s);
    return b->s;
}

static const char *tname(const kf_kb *kb, int t, name_buf *b)
{
    kf_technique_short(kb, t, b->s, sizeof b->s);
    return b->s;
}

static kf_err pick(kf_course_pick *out, kf_next_kind kind, int l, int cause, int tech, int rf,
                   kf_buf *why)
{
    *out = (kf_course_pick){ l, kind, cause, tech, rf };
    return why && why->oom ? KF_ENOMEM : KF_OK;
}

kf_err kf_course_next(const kf_kb *kb, const kf_result *r, const bool *done,
                      const kf_followup *fu, kf_course_pick *out, kf_buf *why)
{
    *out = (kf_course_pick){ -1, KF_NEXT_NONE, -1, -1, -1 };
    if (!kb->n_lessons) {
        say(why, "The knowledge base has no lessons.");
        return why && why->oom ? KF_ENOMEM : KF_OK;
    }
    int n_done = 0;
    for (int l = 0; done && l < kb->n_lessons; l++)
        n_done += done[l];

    /* 1. A warning sign outranks everything. */
    for (int i = 0; r && i < r->n_fired; i++) {
        const kf_redflag *rf = &kb->redflags[r->fired[i]];
        bool urgent = rf->level >= KF_TRIAGE_SOON;
        int l = lesson_on(kb, KF_TEACH_REDFLAG, r->fired[i], done, urgent);
        if (l < 0 && rf->mimic >= 0)
            l = lesson_on(kb, KF_TEACH_CAUSE, rf->mimic, done, urgent);
        if (l < 0)
            continue;
        if (urgent)
            say(why, "Your answer showed a warning sign: see a doctor first (%s), and read "
                "this on when a pain needs one.",
                rf->level == KF_TRIAGE_EMERGENCY ? "now" : "soon");
        else
            say(why, "Your answer mentioned something to tell a doctor about: this lesson "
                "says which signs matter.");
        return pick(out, KF_NEXT_WARNING, l, rf->mimic, -1, r->fired[i], why);
    }
    /* A likely mimic that fired no rule still comes first. */
    for (int i = 0; r && i < r->n_causes && i < KF_COURSE_CAUSES; i++) {
        const kf_ranked *rc = &r->causes[i];
        if (kb->causes[rc->cause].kind != KF_CAUSE_MIMIC || rc->p < KF_COURSE_LIKELY)
            continue;
        int l = lesson_on(kb, KF_TEACH_CAUSE, rc->cause, done, false);
        if (l >= 0) {
            name_buf n1;
            say(why, "Something you said can also come from %s: this lesson says when to "
                "see a doctor.", cname(kb, rc->cause, &n1));
            return pick(out, KF_NEXT_WARNING, l, rc->cause, -1, -1, why);
        }
    }

    /* 2. A newcomer starts with the method. */
    int first = kb->n_modules ? kb->modules[0].first : 0;
    int first_n = kb->n_modules ? kb->modules[0].n : 0;
    if ((done && n_done == 0) || (!done && !r)) {
        if (!is_done(done, first)) {
            say(why, "Start here: a knot is a symptom, and this is how to find its cause.");
            return pick(out, KF_NEXT_START, first, -1, -1, -1, why);
        }
    }

    /* 3. Relief that lasted only hours: the cause was elsewhere. */
    int step = short_relief_step(fu);
    if (step >= 0) {
        const kf_technique *t = &kb->techniques[step];
        for (int i = 0; r && i < r->n_causes; i++) {
            const kf_ranked *rc = &r->causes[i];
            if (kb->causes[rc->cause].kind == KF_CAUSE_MIMIC || rc->p < KF_COURSE_LIKELY ||
                works_on(t, rc->cause) || (t->sore_spot && local_here(rc)))
                continue;
            /* The suspect's own lesson first: the habit's lesson may be the
             * one about the cause that just missed. */
            int via = -1;
            int l = lesson_on(kb, KF_TEACH_CAUSE, rc->cause, done, false);
            if (l < 0)
                l = lesson_on_cause(kb, rc, done, &via);
            if (l < 0)
                continue;
            name_buf n1, n2, n3;
            say(why, "Because relief after %s lasted only hours, the cause is probably "
                "elsewhere: your next suspect is %s%s%s.", tname(kb, step, &n1),
                cname(kb, rc->cause, &n2), via >= 0 ? ", kept short by " : "",
                via >= 0 ? cname(kb, via, &n3) : "");
            return pick(out, KF_NEXT_SHORT_RELIEF, l, rc->cause, step, -1, why);
        }
        /* No suspect of theirs is left untaught: the lesson on what short
         * relief means, if they have not read it. */
        int rs = kf_kb_finding(kb, "relief_short");
        for (int l = 0; rs >= 0 && l < kb->n_lessons; l++)
            for (int k = 0; k < kb->lessons[l].n_for; k++)
                if (kb->lessons[l].for_findings[k] == rs && !is_done(done, l)) {
                    name_buf n1;
                    say(why, "Because relief after %s lasted only hours: this is what that "
                        "tells you.", tname(kb, step, &n1));
                    return pick(out, KF_NEXT_SHORT_RELIEF, l, -1, step, -1, why);
                }
    }

    /* 4. The rest of the method. */
    if (done || !r)
        for (int l = first; l < first + first_n; l++)
            if (!is_done(done, l)) {
                say(why, "Next in the method: how knots work, before the causes themselves.");
                return pick(out, KF_NEXT_START, l, -1, -1, -1, why);
            }

    /* 5. A lesson written for something they reported. */
    for (int l = 0; r && l < kb->n_lessons; l++) {
        if (is_done(done, l))
            continue;
        for (int k = 0; k < kb->lessons[l].n_for; k++)
            if (has_finding(r, kb->lessons[l].for_findings[k])) {
                say(why, "Because you said: %s.", kb->findings[kb->lessons[l].for_findings[k]].label);
                return pick(out, KF_NEXT_FOR_YOU, l, -1, -1, -1, why);
            }
    }

    /* 6. The chain of each likely cause, most likely first. */
    for (int i = 0; r && i < r->n_causes && i < KF_COURSE_CAUSES; i++) {
        const kf_ranked *rc = &r->causes[i];
        if (rc->p < KF_COURSE_LIKELY)
            continue;
        int via;
        int l = lesson_on_cause(kb, rc, done, &via);
        if (l < 0)
            continue;
        name_buf n1, n2;
        const char *name = cname(kb, rc->cause, &n1);
        if (via >= 0)
            say(why, "Because your %s likely cause is %s, kept short by %s.",
                i == 0 ? "most" : "next", name, cname(kb, via, &n2));
        else if (i == 0)
            say(why, "Because your likely cause is %s.", name);
        else
            say(why, "Because %s is also a likely cause for you.", name);
        return pick(out, KF_NEXT_CAUSE, l, rc->cause, -1, -1, why);
    }

    /* 7. The techniques of their plan. */
    for (int i = 0; r && i < r->n_plan && i < KF_COURSE_STEPS; i++) {
        int t = r->plan[i].technique;
        int l = lesson_on(kb, KF_TEACH_TECHNIQUE, t, done, false);
        if (l >= 0) {
            name_buf n1;
            say(why, "Because your plan has %s: this lesson shows how, and for how long.",
                tname(kb, t, &n1));
            return pick(out, KF_NEXT_PLAN, l, r->plan[i].cause, t, -1, why);
        }
    }

    /* 8. The next lesson not done. */
    for (int l = 0; l < kb->n_lessons; l++)
        if (!is_done(done, l)) {
            say(why, "The next lesson of the course.");
            return pick(out, KF_NEXT_IN_ORDER, l, -1, -1, -1, why);
        }
    say(why, "You have done every lesson.");
    return pick(out, KF_NEXT_NONE, -1, -1, -1, -1, why);
}

kf_err kf_course_next_from_journal(const kf_kb *kb, const kf_findings *base,
                                   const kf_checkin *checkins, int n_checkins,
                                   const bool *done, kf_course_pick *out, kf_buf *why)
{
    *out = (kf_course_pick){ -1, KF_NEXT_NONE, -1, -1, -1 };
    if (!base || !base->n) {
        /* No consultation: nothing to rank; check-ins alone say nothing
         * about a cause. */
        return kf_course_next(kb, NULL, done, NULL, out, why);
    }
    kf_revision *rev = NULL;
    kf_err e = kf_journal_revise(kb, base, checkins, n_checkins, &rev);
    if (e != KF_OK)
        return e;
    e = kf_course_next(kb, rev->after, done, &rev->fu, out, why);
    kf_revision_free(rev);
    return e;
}

/* ---------- JSON ---------- */

static const char *teach_kind_id(kf_teach_kind k)
{
    return k == KF_TEACH_CAUSE ? "cause" : k == KF_TEACH_TECHNIQUE ? "technique" : "redflag";
}

void kf_course_lesson_json(kf_jo *w, const kf_kb *kb, int l, bool done)
{
    const kf_lesson *x = &kb->lessons[l];
    kf_jo_obj(w);
    kf_jo_kstr(w, "id", x->id);
    kf_jo_kstr(w, "module", x->module >= 0 ? kb->modules[x->module].id : NULL);
    kf_jo_kint(w, "order", x->order);
    kf_jo_kstr(w, "title", x->title);
    kf_jo_key(w, "paragraphs");
    kf_jo_arr(w);
    kf_buf p;
    kf_buf_init(&p);
    for (int i = 0; i < x->n_paras; i++) {
        p.len = 0;
        if (p.s)
            p.s[0] = '\0';
        kf_course_paragraph(kb, l, i, &p);
        if (p.oom) {
            kf_jo_fail(w, "out of memory");
            break;
        }
        kf_jo_strn(w, p.s ? p.s : "", p.len);
    }
    kf_buf_free(&p);
    kf_jo_arr_end(w);
    kf_jo_key(w, "teaches");
    kf_jo_arr(w);
    for (int i = 0; i < x->n_teaches; i++) {
        const kf_teach *t = &x->teaches[i];
        kf_jo_obj(w);
        kf_jo_kstr(w, "kind", teach_kind_id(t->kind));
        if (t->kind == KF_TEACH_CAUSE) {
            kf_jo_kstr(w, "id", kb->causes[t->idx].id);
            kf_jo_kstr(w, "name", kb->causes[t->idx].name);
        } else if (t->kind == KF_TEACH_TECHNIQUE) {
            const kf_technique *k = &kb->techniques[t->idx];
            kf_jo_kstr(w, "id", k->id);
            kf_jo_kstr(w, "name", k->name);
            kf_jo_kstr(w, "dose", k->dose);
            if (k->work_s > 0) {
                kf_jo_key(w, "timer");
                kf_jo_obj(w);
                kf_jo_kint(w, "work_s", k->work_s);
                kf_jo_kint(w, "rest_s", k->rest_s);
                kf_jo_kint(w, "reps", k->reps);
                kf_jo_obj_end(w);
            } else {
                kf_jo_knull(w, "timer");
            }
        } else {
            const kf_redflag *rf = &kb->redflags[t->idx];
            kf_jo_kstr(w, "id", rf->id);
            kf_jo_kstr(w, "level", kf_triage_id(rf->level));
        }
        kf_jo_obj_end(w);
    }
    kf_jo_arr_end(w);
    kf_jo_key(w, "for");
    kf_jo_arr(w);
    for (int i = 0; i < x->n_for; i++)
        kf_jo_str(w, kb->findings[x->for_findings[i]].id);
    kf_jo_arr_end(w);
    kf_jo_kstr(w, "video", x->video);
    kf_jo_kstr(w, "source", x->source);
    kf_jo_kbool(w, "done", done);
    kf_jo_obj_end(w);
}

void kf_course_lessons_json(kf_jo *w, const kf_kb *kb, const bool *done,
                            const kf_course_pick *next, const char *why)
{
    int n_done = 0;
    kf_jo_obj(w);
    kf_jo_key(w, "modules");
    kf_jo_arr(w);
    for (int m = 0; m < kb->n_modules; m++) {
        const kf_module *mo = &kb->modules[m];
        kf_jo_obj(w);
        kf_jo_kstr(w, "id", mo->id);
        kf_jo_kint(w, "order", mo->order);
        kf_jo_kstr(w, "title", mo->title);
        kf_jo_kstr(w, "about", mo->about);
        kf_jo_key(w, "lessons");
        kf_jo_arr(w);
        for (int l = mo->first; l < mo->first + mo->n; l++) {
            n_done += is_done(done, l);
            kf_course_lesson_json(w, kb, l, is_done(done, l));
        }
        kf_jo_arr_end(w);
        kf_jo_obj_end(w);
    }
    kf_jo_arr_end(w);
    kf_jo_key(w, "next");
    if (!next || next->lesson < 0) {
        kf_jo_null(w);
    } else {
        const kf_lesson *x = &kb->lessons[next->lesson];
        kf_jo_obj(w);
        kf_jo_kstr(w, "id", x->id);
        kf_jo_kstr(w, "title", x->title);
        kf_jo_kstr(w, "module", x->module >= 0 ? kb->modules[x->module].id : NULL);
        kf_jo_kstr(w, "kind", kf_next_kind_id(next->kind));
        kf_jo_kstr(w, "why", why);
        kf_jo_kstr(w, "cause", next->cause >= 0 ? kb->causes[next->cause].id : NULL);
        kf_jo_kstr(w, "technique", next->technique >= 0 ? kb->techniques[next->technique].id
                                                        : NULL);
        kf_jo_kstr(w, "redflag", next->redflag >= 0 ? kb->redflags[next->redflag].id : NULL);
        kf_jo_obj_end(w);
    }
    kf_jo_kint(w, "done", n_done);
    kf_jo_kint(w, "total", kb->n_lessons);
    kf_jo_kstr(w, "kb_version", kb->version);
    kf_jo_obj_end(w);
}
