/*
 * course.h — the course: the KB's lessons in order, each lesson's text with
 * the doses filled in from the techniques it teaches, and "your next
 * lesson", chosen from one person's own ranked causes and check-ins.
 *
 * Everything here is a pure function of its arguments: no I/O, no store, no
 * clock.  The lessons live in the KB ([module] and [lesson] blocks,
 * docs/KB-FORMAT.md "Lessons"; kb->modules and kb->lessons, in course
 * order).  Progress (which lessons a person has done) is the caller's: the
 * hosted course keeps it per user in the store; the local CLI keeps none.
 *
 * Memory: nothing here allocates except by appending to the caller's kf_buf
 * or kf_jo; results point into the kb, which must outlive them.
 */
#ifndef KF_COURSE_H
#define KF_COURSE_H

#include "engine.h"
#include "journal.h"
#include "json_out.h"

/* ---- the text of a lesson ---- */

/* Appends paragraph `i` of lesson `l` to `out`, with its marks filled in
 * from the KB: {dose T} the technique's dose, {timer T} its timer in words
 * ("30 seconds on, 15 off, 3 rounds"), {name T} its name. */
void kf_course_paragraph(const kf_kb *kb, int l, int i, kf_buf *out);

/* A technique's timer in words into `out` (nothing when it has none). */
void kf_course_timer_words(const kf_technique *t, kf_buf *out);

/* ---- progress ---- */

/* Fills done[0 .. kb->n_lessons) from lesson ids (as a store keeps them):
 * true for each id that names a lesson.  Returns how many ids name no
 * lesson of this KB (a lesson renamed or removed since; they are ignored). */
int kf_course_done_set(const kf_kb *kb, const char *const *ids, int n, bool *done);

/* ---- your next lesson ---- */

typedef enum {
    KF_NEXT_NONE = 0,      /* every lesson is done (lesson = -1) */
    KF_NEXT_WARNING,       /* a warning sign was found: when to see a doctor */
    KF_NEXT_START,         /* a newcomer: the method comes first */
    KF_NEXT_SHORT_RELIEF,  /* relief after a step lasted only hours: the next suspect */
    KF_NEXT_FOR_YOU,       /* a lesson written for something the person reported */
    KF_NEXT_CAUSE,         /* the chain of one of their likely causes */
    KF_NEXT_PLAN,          /* a technique of their plan, with its dose */
    KF_NEXT_IN_ORDER       /* the next lesson not done, in course order */
} kf_next_kind;

typedef struct {
    int          lesson;     /* index into kb->lessons, or -1 */
    kf_next_kind kind;
    int          cause;      /* the cause it was chosen for, or -1 */
    int          technique;  /* SHORT_RELIEF: the step whose relief was short; PLAN: the
                                step; else -1 */
    int          redflag;    /* WARNING: the rule that fired, or -1 */
} kf_course_pick;

/* The id of a kf_next_kind ("cause", "short_relief", ...). */
const char *kf_next_kind_id(kf_next_kind k);

/* Chooses the next lesson for one person and appends a one-line reason
 * ("Because your likely cause is ...") to `why` (may be NULL).
 *   ranked  their latest consultation, revised by their check-ins where
 *           there are any (kf_revision.after); NULL when they have none;
 *   done    per lesson (kb->n_lessons), true when done; NULL when progress
 *           is not kept (the local mode): then the method comes first only
 *           for someone with no consultation;
 *   fu      what their check-ins showed (kf_revision.fu); NULL when none.
 * In this order: a warning sign that fired (the lesson on it, even when
 * done, for doctor_soon and above); the method for a newcomer; after short
 * relief, the lesson on the next suspect (the likeliest cause the step did
 * not work on) and the lesson on what short relief means; the rest of the
 * first module (the method); a lesson written for what they reported; the
 * chain of each of their likely causes, most likely first (for a muscle
 * no lesson teaches, the habit that keeps it short); their plan's
 * techniques; then the next lesson not done.  Returns KF_ENOMEM when `why`
 * could not be written, else KF_OK (out->lesson is -1 when all are done). */
kf_err kf_course_next(const kf_kb *kb, const kf_result *ranked, const bool *done,
                      const kf_followup *fu, kf_course_pick *out, kf_buf *why);

/* The same from a stored consultation and its check-ins: runs
 * kf_journal_revise (base = the consultation's findings, may be NULL or
 * empty: no consultation) and picks from the revised ranking.  Errors:
 * KF_ENOMEM. */
kf_err kf_course_next_from_journal(const kf_kb *kb, const kf_findings *base,
                                   const kf_checkin *checkins, int n_checkins,
                                   const bool *done, kf_course_pick *out, kf_buf *why);

/* ---- JSON (docs/API.md, GET /api/v1/lessons) ---- */

/* One lesson as an object: {"id","module","order","title","paragraphs":[...],
 * "teaches":[{"kind","id","name"}],"for":[...],"video","source","done"}. */
void kf_course_lesson_json(kf_jo *w, const kf_kb *kb, int l, bool done);

/* The whole course, as GET /api/v1/lessons answers it:
 * {"modules":[{"id","order","title","about","lessons":[LESSON...]}],
 *  "next": {"id","title","module","kind","why","cause","technique","redflag"} | null,
 *  "done": N, "total": N, "kb_version": "..."}.
 * done may be NULL (nothing done); next may be NULL (not asked: "next" is
 * null), why is its reason (may be NULL). */
void kf_course_lessons_json(kf_jo *w, const kf_kb *kb, const bool *done,
                            const kf_course_pick *next, const char *why);

#endif
