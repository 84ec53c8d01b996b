/* test_course.c — the course (course.h) and the lesson blocks of the KB
 * (kb_lessons.c): the next lesson picked from real consultations (the
 * article readers' own words, read and ranked by the engine), short relief
 * moving the pick to the next suspect, a warning sign first, the doses
 * filled in from the techniques, the JSON of GET /api/v1/lessons, and the
 * loader's file:line errors for malformed lessons.
 * Run from the repository root (as `make unit` does), or set KNOTFINDER_KB. */
#include "check.h"
#include "course.h"
#include "text.h"

#include <jansson.h>
#include <stdlib.h>

static kf_kb *kb;

/* Reads `words`, runs the engine; NULL on failure. */
static kf_result *consult(const char *words, kf_findings *f)
{
    kf_findings_init(f);
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_text_read(kb, words, strlen(words), f, &err);
    kf_buf_free(&err);
    if (e != KF_OK)
        return NULL;
    return kf_consult(kb, f);
}

static bool *all_method_done(void)
{
    bool *done = calloc((size_t)kb->n_lessons, sizeof *done);
    for (int l = kb->modules[0].first; l < kb->modules[0].first + kb->modules[0].n; l++)
        done[l] = true;
    return done;
}

static bool lesson_teaches(int l, kf_teach_kind kind, int idx)
{
    for (int t = 0; t < kb->lessons[l].n_teaches; t++)
        if (kb->lessons[l].teaches[t].kind == kind && kb->lessons[l].teaches[t].idx == idx)
            return true;
    return false;
}

/* The pick for a cause teaches it, or teaches a habit that keeps it short. */
static bool teaches_chain_of(int l, int c)
{
    if (lesson_teaches(l, KF_TEACH_CAUSE, c))
        return true;
    for (int h = 0; h < kb->n_causes; h++)
        for (int k = 0; k < kb->causes[h].n_keeps; k++)
            if (kb->causes[h].keeps[k] == c && lesson_teaches(l, KF_TEACH_CAUSE, h))
                return true;
    return false;
}

static void test_course_loaded_in_order(void)
{
    CHECK(kb->n_modules >= 5);
    CHECK(kb->n_lessons >= 30);
    CHECK_STR(kb->modules[0].id, "method");
    for (int m = 0; m < kb->n_modules; m++) {
        CHECK(kb->modules[m].n > 0);
        if (m)
            CHECK(kb->modules[m].order > kb->modules[m - 1].order);
        for (int l = kb->modules[m].first; l < kb->modules[m].first + kb->modules[m].n; l++) {
            CHECK_INT(kb->lessons[l].module, m);
            if (l > kb->modules[m].first)
                CHECK(kb->lessons[l].order > kb->lessons[l - 1].order);
            CHECK(kb->lessons[l].n_paras > 0);
            CHECK(kb->lessons[l].n_teaches > 0);
            CHECK(kb->lessons[l].source != NULL);
        }
    }
    CHECK_INT(kf_kb_lesson(kb, kb->lessons[3].id), 3);
    CHECK_INT(kf_kb_lesson(kb, "no_such_lesson"), -1);
}

static void test_every_chain_cause_taught(void)
{
    /* What the loader checks, checked again from outside: every cause with
     * a pulls link or a habit chain (either end) is in some lesson. */
    bool *kept = calloc((size_t)kb->n_causes, 1);
    for (int c = 0; c < kb->n_causes; c++)
        for (int k = 0; k < kb->causes[c].n_keeps; k++)
            kept[kb->causes[c].keeps[k]] = true;
    int chained = 0;
    for (int c = 0; c < kb->n_causes; c++) {
        bool pulls = false;
        for (int l = 0; l < kb->causes[c].n_links; l++)
            pulls |= kb->links[kb->causes[c].links[l]].mech == KF_MECH_PULLS;
        if (!pulls && !kept[c] && !kb->causes[c].n_keeps)
            continue;
        chained++;
        bool taught = false;
        for (int l = 0; l < kb->n_lessons; l++)
            taught |= lesson_teaches(l, KF_TEACH_CAUSE, c);
        if (!taught)
            fprintf(stderr, "untaught chain cause %s\n", kb->causes[c].id);
        CHECK(taught);
    }
    CHECK(chained >= 20);
    free(kept);
}

static void test_paragraph_fills_doses(void)
{
    int l = kf_kb_lesson(kb, "tech_ball");
    CHECK(l >= 0);
    if (l < 0)
        return;
    int t = kf_kb_technique(kb, "tennis_ball");
    kf_buf all;
    kf_buf_init(&all);
    for (int i = 0; i < kb->lessons[l].n_paras; i++) {
        kf_course_paragraph(kb, l, i, &all);
        kf_buf_puts(&all, "\n");
    }
    CHECK(strchr(all.s, '{') == NULL);
    /* The dose as the technique states it (its last full stop may go to the
     * sentence around it). */
    char dose[256];
    snprintf(dose, sizeof dose, "%s", kb->techniques[t].dose);
    dose[strlen(dose) - 1] = '\0';
    CHECK_CONTAINS(all.s, dose + 1);      /* after "How much:" its first letter is small */
    CHECK_CONTAINS(all.s, "How much: about 5 minutes");
    CHECK_CONTAINS(all.s, kb->techniques[t].name);
    kf_buf_free(&all);

    /* In a sentence a technique goes by its short name. */
    int cl = kf_kb_lesson(kb, "chain_lat");
    kf_buf_init(&all);
    for (int i = 0; cl >= 0 && i < kb->lessons[cl].n_paras; i++)
        kf_course_paragraph(kb, cl, i, &all);
    CHECK_CONTAINS(all.s, "What helps: the lat pinch by a helper, then the lat stretch.");
    kf_buf_free(&all);

    kf_buf w;
    kf_buf_init(&w);
    kf_course_timer_words(&kb->techniques[kf_kb_technique(kb, "lat_pinch")], &w);
    CHECK_STR(w.s, "30 seconds on, 30 seconds off, 3 rounds");
    w.len = 0;
    kf_course_timer_words(&kb->techniques[kf_kb_technique(kb, "cold_therapy")], &w);
    CHECK_STR(w.s, "20 minutes on, 20 minutes off, 3 rounds");
    w.len = 0;
    kf_course_timer_words(&kb->techniques[t], &w);
    CHECK_STR(w.s, "5 minutes");
    kf_buf_free(&w);
}

static void test_newcomer_starts_with_the_method(void)
{
    bool *done = calloc((size_t)kb->n_lessons, sizeof *done);
    kf_course_pick p;
    kf_buf why;
    kf_buf_init(&why);
    /* No consultation, nothing done. */
    CHECK_INT(kf_course_next(kb, NULL, done, NULL, &p, &why), KF_OK);
    CHECK_INT(p.lesson, 0);
    CHECK_INT(p.kind, KF_NEXT_START);
    CHECK(why.len > 10);
    /* With a consultation, a newcomer still starts with the method. */
    kf_findings f;
    kf_result *r = consult("I have a knot between my right shoulder blade and spine and I use "
                           "the mouse all day", &f);
    CHECK(r != NULL);
    why.len = 0;
    CHECK_INT(kf_course_next(kb, r, done, NULL, &p, &why), KF_OK);
    CHECK_INT(p.lesson, 0);
    /* Progress unknown (local mode): the person's own chain comes first. */
    why.len = 0;
    CHECK_INT(kf_course_next(kb, r, NULL, NULL, &p, &why), KF_OK);
    CHECK_INT(p.kind, KF_NEXT_CAUSE);
    /* The next method lesson once the first is done. */
    done[0] = true;
    why.len = 0;
    CHECK_INT(kf_course_next(kb, r, done, NULL, &p, &why), KF_OK);
    CHECK_INT(p.lesson, 1);
    CHECK_INT(p.kind, KF_NEXT_START);
    kf_result_free(r);
    kf_findings_free(&f);
    kf_buf_free(&why);
    free(done);
}

/* Readers of the articles, in their own words: the next lesson (method
 * done) teaches the chain of the engine's top cause, and says so. */
static void test_next_is_the_top_cause_chain(void)
{
    static const char *const readers[] = {
        /* 004: Justin, the gamer */
        "I haved a rhombiod knot for 3 years now, ever since I played video games. Everytime "
        "I sit down and lean forward it comes instantly and is around all day. The only way "
        "I can relieve it is by laying down flat on my back or standing straight up on a wall.",
        /* 000: woke with it after side sleeping */
        "I woke up this morning with a knot between my spine and shoulder blade. I always "
        "sleep on my side.",
        /* 002: Carli, the car seat */
        "Pain radiates from my shoulder to my elbow and down to my fingers making them "
        "tingle. I carry my 5 month old daughter in her car seat on my right arm.",
        /* 003: Thomas, the lifter */
        "I'm 18 and I lift alot of weights, I train my chest and biceps more than my back. "
        "I get random horrible spasms under my shoulder blade on both sides.",
    };
    bool *done = all_method_done();
    for (size_t i = 0; i < KF_ARRAY_LEN(readers); i++) {
        kf_findings f;
        kf_result *r = consult(readers[i], &f);
        CHECK(r != NULL);
        if (!r)
            continue;
        kf_course_pick p;
        kf_buf why;
        kf_buf_init(&why);
        CHECK_INT(kf_course_next(kb, r, done, NULL, &p, &why), KF_OK);
        CHECK(p.lesson >= 0);
        if (r->triage >= KF_TRIAGE_MENTION && r->n_fired) {
            CHECK_INT(p.kind, KF_NEXT_WARNING);
        } else if (p.kind != KF_NEXT_FOR_YOU) {
            CHECK_INT(p.kind, KF_NEXT_CAUSE);
            CHECK(p.cause >= 0);
            CHECK(p.lesson >= 0 && teaches_chain_of(p.lesson, p.cause));
            /* the top likely cause with a lesson: the first ranked one */
            CHECK_INT(p.cause, r->causes[0].cause);
            CHECK_CONTAINS(why.s, "likely cause");
            CHECK(kb->lessons[p.lesson].module != 0);
        }
        fprintf(stderr, "  reader %zu: top %s -> %s (%s): %s\n", i,
                kb->causes[r->causes[0].cause].id, p.lesson >= 0 ? kb->lessons[p.lesson].id : "-",
                kf_next_kind_id(p.kind), why.s ? why.s : "");
        /* With that lesson done, the pick moves on and never repeats it. */
        int first = p.lesson;
        done[first] = true;
        kf_course_pick q;
        why.len = 0;
        CHECK_INT(kf_course_next(kb, r, done, NULL, &q, &why), KF_OK);
        CHECK(q.lesson != first);
        done[first] = false;
        kf_buf_free(&why);
        kf_result_free(r);
        kf_findings_free(&f);
    }
    free(done);
}

static void test_mouse_reader_gets_the_mouse_chain(void)
{
    kf_findings f;
    kf_result *r = consult("Knot between my right shoulder blade and spine. I am on the "
                           "computer with the mouse in my right hand all day.", &f);
    CHECK(r != NULL);
    if (!r)
        return;
    bool *done = all_method_done();
    kf_course_pick p;
    kf_buf why;
    kf_buf_init(&why);
    CHECK_INT(kf_course_next(kb, r, done, NULL, &p, &why), KF_OK);
    CHECK(p.lesson >= 0);
    if (p.lesson >= 0)
        CHECK(lesson_teaches(p.lesson, KF_TEACH_CAUSE, kf_kb_cause(kb, "mouse_reach")));
    CHECK_CONTAINS(why.s, "mouse");
    kf_buf_free(&why);
    free(done);
    kf_result_free(r);
    kf_findings_free(&f);
}

static kf_checkin ci(const char *at, int pain, const char *did, double relief)
{
    kf_checkin c = { .pain = pain, .pain_before = -1, .relief_hours = relief, .done_s = -1,
                     .did = did };
    snprintf(c.at, sizeof c.at, "%s", at);
    return c;
}

/* Jack (003): the massage always helps, the knot returns.  He logs a
 * technique three times with relief of two hours: the pick is the next
 * suspect, a cause that technique does not work on. */
static void test_short_relief_moves_to_the_next_suspect(void)
{
    kf_findings f;
    kf_findings_init(&f);
    const char *words = "I have one major knot that reoccurs on the left bottom part of my "
                        "shoulder blade, it is so sore. I use the mouse with my left hand.";
    kf_buf err;
    kf_buf_init(&err);
    CHECK_INT(kf_text_read(kb, words, strlen(words), &f, &err), KF_OK);
    kf_buf_free(&err);
    bool *done = all_method_done();
    done[kf_kb_lesson(kb, "method_short_relief")] = false;

    /* Before any check-in: the chain of the top cause. */
    kf_course_pick before, p;
    kf_buf why;
    kf_buf_init(&why);
    CHECK_INT(kf_course_next_from_journal(kb, &f, NULL, 0, done, &before, &why), KF_OK);
    fprintf(stderr, "  before check-ins: %s (%s): %s\n",
            before.lesson >= 0 ? kb->lessons[before.lesson].id : "-",
            kf_next_kind_id(before.kind), why.s);
    /* The one method lesson left comes first. */
    CHECK_INT(before.kind, KF_NEXT_START);
    CHECK_INT(before.lesson, kf_kb_lesson(kb, "method_short_relief"));

    /* Short relief after the ball on the knot itself, then after the lat
     * pinch: each time the pick is a suspect the step did not work on. */
    kf_result *r0 = kf_consult(kb, &f);
    CHECK(r0 != NULL);
    if (!r0)
        return;
    int top = r0->causes[0].cause;
    static const char *const steps[] = { "tennis_ball", "lat_pinch" };
    for (size_t s = 0; s < KF_ARRAY_LEN(steps); s++) {
        int tech = kf_kb_technique(kb, steps[s]);
        const char *tid = steps[s];
        kf_checkin v[3] = {
            ci("2026-11-20T09:00:00Z", 6, tid, 2),
            ci("2026-11-21T09:00:00Z", 6, tid, 3),
            ci("2026-11-22T09:00:00Z", 6, tid, 2),
        };
        why.len = 0;
        CHECK_INT(kf_course_next_from_journal(kb, &f, v, 3, done, &p, &why), KF_OK);
        CHECK_INT(p.kind, KF_NEXT_SHORT_RELIEF);
        CHECK_INT(p.technique, tech);
        CHECK(p.lesson >= 0);
        if (p.lesson < 0)
            continue;
        CHECK_CONTAINS(why.s, "only hours");
        if (p.cause >= 0) {
            /* the suspect is one the step did not work on */
            for (int k = 0; k < kb->techniques[tech].n_works_on; k++)
                CHECK(kb->techniques[tech].works_on[k] != p.cause);
            CHECK(teaches_chain_of(p.lesson, p.cause));
        }
        fprintf(stderr, "  short relief after %s: top was %s, next suspect %s -> %s: %s\n",
                tid, kb->causes[top].id, p.cause >= 0 ? kb->causes[p.cause].id : "-",
                kb->lessons[p.lesson].id, why.s);
    }
    kf_result_free(r0);
    kf_findings_free(&f);
    kf_buf_free(&why);
    free(done);
}

static void test_warning_sign_outranks_everything(void)
{
    kf_findings f;
    kf_result *r = consult("Crushing pain in my chest spreading to my left arm and jaw, I am "
                           "sweating, and a knot by my shoulder blade.", &f);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_INT(r->triage, KF_TRIAGE_EMERGENCY);
    bool *done = calloc((size_t)kb->n_lessons, sizeof *done);
    kf_course_pick p;
    kf_buf why;
    kf_buf_init(&why);
    /* Even for a newcomer, and even when that lesson is done. */
    CHECK_INT(kf_course_next(kb, r, done, NULL, &p, &why), KF_OK);
    CHECK_INT(p.kind, KF_NEXT_WARNING);
    CHECK(p.lesson >= 0 && kb->lessons[p.lesson].module == kb->n_modules - 1);
    CHECK(p.redflag >= 0 && lesson_teaches(p.lesson, KF_TEACH_REDFLAG, p.redflag));
    CHECK_CONTAINS(why.s, "doctor");
    int l = p.lesson;
    for (int i = 0; i < kb->n_lessons; i++)
        done[i] = true;
    why.len = 0;
    CHECK_INT(kf_course_next(kb, r, done, NULL, &p, &why), KF_OK);
    CHECK_INT(p.lesson, l);
    CHECK_INT(p.kind, KF_NEXT_WARNING);
    kf_buf_free(&why);
    free(done);
    kf_result_free(r);
    kf_findings_free(&f);
}

static void test_all_done(void)
{
    bool *done = calloc((size_t)kb->n_lessons, sizeof *done);
    for (int i = 0; i < kb->n_lessons; i++)
        done[i] = true;
    kf_course_pick p;
    kf_buf why;
    kf_buf_init(&why);
    CHECK_INT(kf_course_next(kb, NULL, done, NULL, &p, &why), KF_OK);
    CHECK_INT(p.lesson, -1);
    CHECK_INT(p.kind, KF_NEXT_NONE);
    CHECK_CONTAINS(why.s, "every lesson");
    /* One left: that one, in order. */
    done[kb->n_lessons - 2] = false;
    why.len = 0;
    CHECK_INT(kf_course_next(kb, NULL, done, NULL, &p, &why), KF_OK);
    CHECK_INT(p.lesson, kb->n_lessons - 2);
    CHECK_INT(p.kind, KF_NEXT_IN_ORDER);
    kf_buf_free(&why);
    free(done);
}

static void test_done_set(void)
{
    bool *done = calloc((size_t)kb->n_lessons, sizeof *done);
    const char *ids[] = { "method_symptom", "gone_lesson", kb->lessons[5].id, NULL };
    CHECK_INT(kf_course_done_set(kb, ids, 4, done), 2);
    CHECK(done[0] && done[5]);
    int n = 0;
    for (int i = 0; i < kb->n_lessons; i++)
        n += done[i];
    CHECK_INT(n, 2);
    free(done);
}

static void test_lessons_json(void)
{
    bool *done = calloc((size_t)kb->n_lessons, sizeof *done);
    done[1] = true;
    kf_course_pick p = { 2, KF_NEXT_CAUSE, kf_kb_cause(kb, "latissimus_dorsi"), -1, -1 };
    kf_jo w;
    kf_jo_init(&w, 0);
    kf_course_lessons_json(&w, kb, done, &p, "Because \"quoted\" words.");
    size_t len;
    char *txt = kf_jo_finish(&w, &len);
    CHECK(txt != NULL);
    json_error_t je;
    json_t *j = txt ? json_loadb(txt, len, 0, &je) : NULL;
    CHECK(j != NULL);
    if (j) {
        json_t *mods = json_object_get(j, "modules");
        CHECK_INT(json_array_size(mods), kb->n_modules);
        size_t total = 0, n_done = 0;
        for (size_t m = 0; m < json_array_size(mods); m++) {
            json_t *ls = json_object_get(json_array_get(mods, m), "lessons");
            total += json_array_size(ls);
            for (size_t i = 0; i < json_array_size(ls); i++) {
                json_t *l = json_array_get(ls, i);
                n_done += json_is_true(json_object_get(l, "done"));
                CHECK(json_array_size(json_object_get(l, "paragraphs")) > 0);
                CHECK(json_array_size(json_object_get(l, "teaches")) > 0);
                CHECK(json_is_string(json_object_get(l, "title")));
                json_t *ps = json_object_get(l, "paragraphs");
                for (size_t k = 0; k < json_array_size(ps); k++)
                    CHECK(!strchr(json_string_value(json_array_get(ps, k)), '{'));
            }
        }
        CHECK_INT(total, kb->n_lessons);
        CHECK_INT(n_done, 1);
        CHECK_INT(json_integer_value(json_object_get(j, "done")), 1);
        CHECK_INT(json_integer_value(json_object_get(j, "total")), kb->n_lessons);
        json_t *nx = json_object_get(j, "next");
        CHECK_STR(json_string_value(json_object_get(nx, "id")), kb->lessons[2].id);
        CHECK_STR(json_string_value(json_object_get(nx, "kind")), "cause");
        CHECK_STR(json_string_value(json_object_get(nx, "cause")), "latissimus_dorsi");
        CHECK_STR(json_string_value(json_object_get(nx, "why")), "Because \"quoted\" words.");
        CHECK(json_is_null(json_object_get(nx, "technique")));
        json_decref(j);
    }
    kf_free(txt);
    /* No pick: "next" is null. */
    kf_jo_init(&w, 0);
    kf_course_lessons_json(&w, kb, NULL, NULL, NULL);
    txt = kf_jo_finish(&w, &len);
    j = txt ? json_loadb(txt, len, 0, &je) : NULL;
    CHECK(j && json_is_null(json_object_get(j, "next")));
    json_decref(j);
    kf_free(txt);
    free(done);
}

/* ---- malformed lessons: the loader's file:line errors ---- */

static const char MINI[] =
    "[scale]\n"                                                           /* 1 */
    "source = test\n"                                                     /* 2 */
    "[region medial_border]\n"                                            /* 3 */
    "label = between the spine and the blade\n"                           /* 4 */
    "view = back\n"                                                       /* 5 */
    "sided = yes\n"                                                       /* 6 */
    "source = test\n"                                                     /* 7 */
    "[finding does_mousing]\n"                                            /* 8 */
    "label = uses a mouse\n"                                              /* 9 */
    "kind = habit\n"                                                      /* 10 */
    "source = test\n"                                                     /* 11 */
    "[technique lat_pinch]\n"                                             /* 12 */
    "name = Lat pinch\n"                                                  /* 13 */
    "kind = release\n"                                                    /* 14 */
    "step = Squeeze the lat.\n"                                           /* 15 */
    "dose = Three holds of 30 seconds.\n"                                 /* 16 */
    "timer = work 30 rest 30 reps 3\n"                                    /* 17 */
    "works_on = latissimus_dorsi\n"                                       /* 18 */
    "source = test\n"                                                     /* 19 */
    "[technique mouse_other_hand]\n"                                      /* 20 */
    "name = Mouse in the other hand\n"                                    /* 21 */
    "kind = habit\n"                                                      /* 22 */
    "step = Swap hands.\n"                                                /* 23 */
    "dose = Every day.\n"                                                 /* 24 */
    "works_on = mouse_reach\n"                                            /* 25 */
    "source = test\n"                                                     /* 26 */
    "[cause latissimus_dorsi]\n"                                          /* 27 */
    "kind = muscle\n"                                                     /* 28 */
    "name = the lat\n"                                                    /* 29 */
    "prior = uncommon\n"                                                  /* 30 */
    "source = test\n"                                                     /* 31 */
    "about = A muscle.\n"                                                 /* 32 */
    "pulls = pain_medial_border often | It pulls. | test\n"               /* 33 */
    "[cause mouse_reach]\n"                                               /* 34 */
    "kind = habit\n"                                                      /* 35 */
    "name = mousing\n"                                                    /* 36 */
    "prior = uncommon\n"                                                  /* 37 */
    "keeps_tight = latissimus_dorsi\n"                                    /* 38 */
    "source = test\n"                                                     /* 39 */
    "about = A habit.\n"                                                  /* 40 */
    "reports = does_mousing always\n"                                     /* 41 */
    "[redflag mouse_reach_flag]\n"                                        /* 42 */
    "level = doctor_soon\n"                                               /* 43 */
    "all = does_mousing\n"                                                /* 44 */
    "message = See a doctor.\n"                                           /* 45 */
    "source = test\n"                                                     /* 46 */
    "[module method]\n"                                                   /* 47 */
    "order = 1\n"                                                         /* 48 */
    "title = How knots work\n"                                            /* 49 */
    "source = test\n";                                                    /* 50 */

static const char GOOD_LESSONS[] =
    "[lesson one]\n"                                                      /* 51 */
    "module = method\n"
    "order = 1\n"
    "title = The lat\n"
    "para = It pulls. {name lat_pinch}: {dose lat_pinch} Timer: {timer lat_pinch}.\n"
    "teaches = latissimus_dorsi, lat_pinch\n"
    "source = test\n"
    "[lesson two]\n"                                                      /* 58 */
    "module = method\n"
    "order = 2\n"
    "title = The mouse\n"
    "para = Swap hands: {dose mouse_other_hand}\n"
    "teaches = mouse_reach, mouse_other_hand, mouse_reach_flag\n"
    "source = test\n";

/* Loads MINI + GOOD_LESSONS + extra; returns the errors (caller frees) or
 * NULL when it loaded. */
static char *load_with(const char *extra, const char *good)
{
    kf_buf t;
    kf_buf_init(&t);
    kf_buf_puts(&t, MINI);
    kf_buf_puts(&t, good);
    kf_buf_puts(&t, extra);
    kf_kb *k = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    kf_err e = kf_kb_load_text("mini.kb", t.s, t.len, &k, &errs);
    kf_buf_free(&t);
    if (e == KF_OK) {
        CHECK(k != NULL);
        kf_kb_free(k);
        kf_buf_free(&errs);
        return NULL;
    }
    CHECK(k == NULL);
    return errs.s ? errs.s : strdup("(no message)");
}

static void test_mini_course_loads(void)
{
    kf_kb *k = NULL;
    kf_buf t, errs;
    kf_buf_init(&t);
    kf_buf_init(&errs);
    kf_buf_puts(&t, MINI);
    kf_buf_puts(&t, GOOD_LESSONS);
    CHECK_INT(kf_kb_load_text("mini.kb", t.s, t.len, &k, &errs), KF_OK);
    if (errs.len)
        fprintf(stderr, "%s", errs.s);
    CHECK(k != NULL);
    if (k) {
        CHECK_INT(k->n_lessons, 2);
        CHECK_INT(k->n_modules, 1);
        CHECK_INT(k->modules[0].n, 2);
        CHECK_STR(k->lessons[0].file, "mini.kb");
        CHECK_INT(k->lessons[0].line, 51);
        kf_buf p;
        kf_buf_init(&p);
        kf_course_paragraph(k, 0, 0, &p);
        CHECK_STR(p.s, "It pulls. Lat pinch: three holds of 30 seconds. Timer: 30 seconds "
                  "on, 30 seconds off, 3 rounds.");
        kf_buf_free(&p);
        kf_kb_free(k);
    }
    kf_buf_free(&t);
    kf_buf_free(&errs);
}

static void expect(const char *extra, const char *good, const char *msg)
{
    char *e = load_with(extra, good);
    CHECK(e != NULL);
    if (e && !strstr(e, msg))
        fprintf(stderr, "expected \"%s\" in:\n%s", msg, e);
    CHECK_CONTAINS(e, msg);
    free(e);
}

static void test_malformed_lessons(void)
{
    /* unknown id in teaches, at the teaches line */
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = P.\n"
           "teaches = latissimus_dorsi, no_such_thing\nsource = test\n", GOOD_LESSONS,
           "mini.kb:70: lesson three teaches 'no_such_thing', which is no cause, technique "
           "or red flag");
    /* duplicate id, at the second block, naming the first */
    expect("[lesson one]\nmodule = method\norder = 3\ntitle = T\npara = P.\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "mini.kb:65: duplicate lesson id 'one' (first defined at mini.kb:51)");
    /* duplicate order in a module */
    expect("[lesson three]\nmodule = method\norder = 2\ntitle = T\npara = P.\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "lesson three has order 2 in module method, as lesson two (mini.kb:58) does");
    /* missing source */
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = P.\n"
           "teaches = latissimus_dorsi\n", GOOD_LESSONS,
           "mini.kb:65: lesson three has no source");
    /* empty body */
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "mini.kb:65: lesson three has an empty body");
    /* an empty paragraph is an empty value */
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara =\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "mini.kb:69: 'para' has an empty value");
    /* unknown module, bad order */
    expect("[lesson three]\nmodule = posture\norder = first\ntitle = T\npara = P.\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "mini.kb:66: lesson three: unknown module 'posture'");
    expect("[lesson three]\nmodule = method\norder = first\ntitle = T\npara = P.\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "mini.kb:67: lesson three: order must be a whole number from 1 to 999, not 'first'");
    /* marks: unknown, untaught technique, timer of a technique without one,
     * never closed */
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = {reps lat_pinch}\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "mini.kb:69: lesson three: unknown mark '{reps lat_pinch}'");
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = {dose lat_pinch}\n"
           "teaches = latissimus_dorsi\nsource = test\n", GOOD_LESSONS,
           "mini.kb:69: lesson three: '{dose lat_pinch}': add lat_pinch to the lesson's teaches");
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\n"
           "para = {timer mouse_other_hand}\nteaches = mouse_other_hand\nsource = test\n",
           GOOD_LESSONS, "mini.kb:69: lesson three: technique mouse_other_hand has no timer");
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = {dose lat_pinch\n"
           "teaches = lat_pinch\nsource = test\n", GOOD_LESSONS,
           "mini.kb:69: lesson three: a '{' that is never closed");
    /* teaches the same thing twice; an unknown key */
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = P.\n"
           "teaches = lat_pinch, lat_pinch\nsource = test\nlevel = easy\n", GOOD_LESSONS,
           "lesson three teaches 'lat_pinch' twice");
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = P.\n"
           "teaches = lat_pinch\nsource = test\nlevel = easy\n", GOOD_LESSONS,
           "mini.kb:72: unknown key 'level' in lesson three");
    /* a title too long for a phone line; a paragraph too long */
    expect("[lesson three]\nmodule = method\norder = 3\n"
           "title = A title that goes on and on far past the width of any phone screen\n"
           "para = P.\nteaches = lat_pinch\nsource = test\n", GOOD_LESSONS,
           "mini.kb:68: lesson three: the title is");
    {
        char para[900];
        memset(para, 'a', sizeof para - 1);
        para[sizeof para - 1] = '\0';
        char text[1200];
        snprintf(text, sizeof text, "[lesson three]\nmodule = method\norder = 3\ntitle = T\n"
                 "para = %s\nteaches = lat_pinch\nsource = test\n", para);
        expect(text, GOOD_LESSONS, "mini.kb:69: lesson three: this paragraph is 899 characters");
    }
    /* for = an unknown finding; video not a plain file name */
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = P.\n"
           "teaches = lat_pinch\nfor = sleeps_badly\nsource = test\n", GOOD_LESSONS,
           "mini.kb:71: lesson three: 'for' names an unknown finding 'sleeps_badly'");
    expect("[lesson three]\nmodule = method\norder = 3\ntitle = T\npara = P.\n"
           "teaches = lat_pinch\nvideo = ../../etc/passwd\nsource = test\n", GOOD_LESSONS,
           "mini.kb:71: lesson three: video must be 'off' or a file name");
    /* module problems */
    expect("[module method]\norder = 2\ntitle = Again\nsource = test\n", GOOD_LESSONS,
           "mini.kb:65: duplicate module id 'method' (first defined at mini.kb:47)");
    expect("[module posture]\norder = 1\ntitle = Posture\nsource = test\n", GOOD_LESSONS,
           "module posture has order 1, as module method (mini.kb:47) does");
    expect("[module posture]\norder = 2\ntitle = Posture\nsource = test\n", GOOD_LESSONS,
           "mini.kb:65: module posture has no lessons");
}

static void test_coverage_errors(void)
{
    /* Without lesson two: mousing (a habit with a chain), its fix's dose and
     * the red flag are taught nowhere; each is named at its own block. */
    static const char only_one[] =
        "[lesson one]\nmodule = method\norder = 1\ntitle = The lat\n"
        "para = It pulls. {dose lat_pinch}\nteaches = latissimus_dorsi, lat_pinch\n"
        "source = test\n";
    expect("", only_one, "mini.kb:34: cause mouse_reach has a chain (it keeps latissimus_dorsi "
           "short) but no lesson teaches it");
    expect("", only_one, "mini.kb:20: technique mouse_other_hand: no lesson shows its dose");
    expect("", only_one, "mini.kb:42: redflag mouse_reach_flag: no lesson teaches this "
           "warning sign");
    /* A lesson that teaches the lat but never shows the pinch's dose. */
    static const char no_dose[] =
        "[lesson one]\nmodule = method\norder = 1\ntitle = The lat\n"
        "para = It pulls.\nteaches = latissimus_dorsi, lat_pinch\nsource = test\n"
        "[lesson two]\nmodule = method\norder = 2\ntitle = The mouse\n"
        "para = Swap hands: {dose mouse_other_hand}\n"
        "teaches = mouse_reach, mouse_other_hand, mouse_reach_flag\nsource = test\n";
    expect("", no_dose, "mini.kb:12: technique lat_pinch: no lesson shows its dose; write "
           "'{dose lat_pinch}'");
    /* An id that names two kinds must say which. */
    static const char twice[] =
        "[redflag lat_pinch]\nlevel = doctor_soon\nall = does_mousing\nmessage = M.\n"
        "source = test\n";
    char *e = load_with(twice, GOOD_LESSONS);
    CHECK_CONTAINS(e, "lesson one teaches 'lat_pinch', which names a technique and a red "
                   "flag: write technique:lat_pinch or redflag:lat_pinch");
    free(e);
    /* A KB without lessons is not checked for coverage (the small KBs of
     * the other tests). */
    kf_kb *k = NULL;
    CHECK_INT(kf_kb_load_text("mini.kb", MINI, strlen(MINI) - strlen("[module method]\n"
              "order = 1\ntitle = How knots work\nsource = test\n"), &k, NULL), KF_OK);
    CHECK(k != NULL && k->n_lessons == 0 && k->n_modules == 0);
    kf_kb_free(k);
}

static void test_oom_changes_nothing(void)
{
    kf_buf t;
    kf_buf_init(&t);
    kf_buf_puts(&t, MINI);
    kf_buf_puts(&t, GOOD_LESSONS);
    int failed = 0;
    for (long n = 0; n < 400; n++) {
        kf_kb *k = NULL;
        kf_alloc_fail_once(n);
        kf_err e = kf_kb_load_text("mini.kb", t.s, t.len, &k, NULL);
        bool fired = kf_alloc_fired();
        kf_alloc_fail_once(-1);
        if (fired) {
            failed++;
            CHECK(e != KF_OK);
            CHECK(k == NULL);
        } else {
            CHECK_INT(e, KF_OK);
            kf_kb_free(k);
            break;
        }
        kf_kb_free(k);
    }
    CHECK(failed > 5);
    kf_buf_free(&t);
}

int main(void)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "cannot load the KB:\n%s", errs.s ? errs.s : "");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    kf_buf_free(&errs);
    RUN(test_course_loaded_in_order);
    RUN(test_every_chain_cause_taught);
    RUN(test_paragraph_fills_doses);
    RUN(test_newcomer_starts_with_the_method);
    RUN(test_next_is_the_top_cause_chain);
    RUN(test_mouse_reader_gets_the_mouse_chain);
    RUN(test_short_relief_moves_to_the_next_suspect);
    RUN(test_warning_sign_outranks_everything);
    RUN(test_all_done);
    RUN(test_done_set);
    RUN(test_lessons_json);
    RUN(test_mini_course_loads);
    RUN(test_malformed_lessons);
    RUN(test_coverage_errors);
    RUN(test_oom_changes_nothing);
    kf_kb_free(kb);
    return CHECK_DONE();
}
