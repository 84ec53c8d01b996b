/*
 * render.h — the three views of a kf_result: terminal text, JSON, and the
 * pieces the web and interview share.  Renderers decide nothing; they only
 * print what the engine decided.
 */
#ifndef KF_RENDER_H
#define KF_RENDER_H

#include <jansson.h>
#include "engine.h"

/* Appends the short answer, "Do this first" (fits one 80x40 screen): the
 * triage in one line, the likely cause with its chain in one sentence, the
 * first 1-3 steps with dose and timer, what was left out for this person,
 * one question, the disclaimer.  Wrapped to `width` columns (<= 0: 80). */
void kf_render_text(const kf_kb *kb, const kf_result *r, const char *text,
                    kf_buf *out, int width);

/* Everything: what was read, every cause with its evidence, the whole plan,
 * what was left out, the list for a massage therapist, the question. */
void kf_render_full(const kf_kb *kb, const kf_result *r, const char *text,
                    kf_buf *out, int width);

/* The triage banner: the one sentence said for each triage level, first
 * in every view (terminal, JSON, HTTP). */
const char *kf_triage_banner(kf_triage t);

/* The banner for a result: the level's sentence, with the timing of the
 * most urgent rule that fired at that level ("SEE A DOCTOR today ..." when a
 * doctor_soon rule's message says today), so the headline is never milder
 * than the message under it.  The short answer's one-line form:
 * kf_triage_headline. */
const char *kf_triage_banner_for(const kf_kb *kb, const kf_result *r);
const char *kf_triage_headline(const kf_kb *kb, const kf_result *r);

/* The line of a doctor step (its "dose" in the first steps): when to go,
 * as the triage says, and what to tell the doctor: where it hurts, when it
 * started, and the warning signs said (the findings of the rules that
 * fired).  Into *b, which it empties first; returns b->s. */
const char *kf_doctor_line(const kf_kb *kb, const kf_result *r, kf_buf *b);

/* The rules whose messages are shown, at most `max` into `out` (room for
 * max): the leading rule first, then each other rule that fired at the
 * answer's level and names a finding the person said that no rule shown
 * yet names ("she had breast cancer" beside the night pain that leads),
 * the most specific first.  Returns the count. */
int kf_triage_shown(const kf_kb *kb, const kf_result *r, int *out, int max);

/* What to do if a warning sign a person only asked or worried about
 * (finding `f`) turns out to be there, from the most urgent rule naming it:
 * "call emergency services now", ...; NULL when no rule names it. */
const char *kf_hypo_advice(const kf_kb *kb, int f);

/* "likely" (>= 0.5), "possible" (>= 0.2), "less likely". */
const char *kf_score_word(double p);

/* Every cause's index, likeliest first by its posterior (a stable sort: ties
 * keep the KB's order), as the JSON answers list them; NULL when the result
 * has no posterior or memory ran out (then r->post is set).  kf_free it. */
int *kf_causes_by_posterior(const kf_kb *kb, const kf_result *r);

/* The likely cause in one sentence with its chain ("It hurts between the
 * spine and the shoulder blade because the lat (latissimus dorsi), kept
 * short by ..., pulls on ..."), appended to b; named[] gets the causes it
 * names (or -1). */
void kf_cause_sentence(const kf_kb *kb, const kf_result *r, kf_buf *b, int named[2]);

/* The result as the JSON object of docs/API.md; `text` is the input the
 * spans point into (may be NULL).  Returns a new reference, NULL on OOM. */
json_t *kf_result_json(const kf_kb *kb, const kf_result *r, const char *text);
/* The revised plan's result (kf_revision_json): after check-ins ruled a
 * muscle out (its work helped for hours only), a habit's or posture's
 * "about" and reasons no longer give it as the chain and its "keeps" leave
 * it out, as in the text (--full).  Edits o, kf_result_json's tree of r;
 * nothing without such a muscle (the stream writer's answers stay the
 * same). */
void kf_result_json_revised(const kf_kb *kb, const kf_result *r, json_t *o);

/* A question as JSON (docs/API.md); new reference, NULL on OOM. */
json_t *kf_question_json(const kf_kb *kb, const kf_question *q);

/* A technique as {"id","name","kind","steps","dose","caution","timer","source"}. */
json_t *kf_technique_json(const kf_kb *kb, int tech);

/* The findings list as JSON array [{"id","state","side"}]. */
json_t *kf_findings_json(const kf_kb *kb, const kf_findings *f);

/* Reads {"text","findings","dominant_hand"} into `out` (initialised by the
 * caller).  On a wrong field returns KF_EINVAL with a message in `err`
 * naming the field; `out` may then hold part of the input. */
kf_err kf_findings_from_json(const kf_kb *kb, json_t *in, kf_findings *out,
                             kf_buf *err);

/* Appends `s` wrapped at `width` columns (UTF-8 aware), ending with a
 * newline.  `col` is where the line already stands (0: at its start, in
 * which case the first line is indented too); continuation lines start with
 * `indent` spaces. */
void kf_wrap(kf_buf *b, const char *s, int indent, int width, int col);

/* A cause's name with the plain words first: 'latissimus dorsi (the "lat")'
 * -> 'the lat (latissimus dorsi)'; 'serratus anterior (the rib muscles under
 * the arm)' -> 'the rib muscles under the arm (serratus anterior)'; habits
 * and names without a plain part as written.  Into out (size n). */
void kf_cause_plain(const kf_kb *kb, int cause, char *out, size_t n);

/* A technique's short name for a sentence: 'Lat pinch (needs a helper)' ->
 * 'the lat pinch'; habit changes quoted ('"Switch hands and sides"'). */
void kf_technique_short(const kf_kb *kb, int tech, char *out, size_t n);

/* The sentence every result ends with. */
extern const char *const kf_disclaimer;

/* The plain words of a question (for the CLI and the web). */
const char *kf_question_text(const kf_kb *kb, const kf_question *q);

#endif
