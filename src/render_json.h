/*
 * render_json.h — the JSON views of render.h written by the streaming
 * writer (json_out.h) instead of built as a jansson tree and dumped.
 *
 * Each function writes one value at the writer's current place (the top of
 * a document, an array slot, or after a key) and produces exactly the bytes
 * that json_dumps() of the matching render.h tree gives with the writer's
 * flags — the same keys in the same order, the same members dropped where
 * the tree builder drops one (a string that is NULL or not UTF-8 in a list
 * member), the same failure where it fails as a whole.
 * tests/unit/test_render_json.c holds the two to that on every article
 * case, every golden case and fuzzed findings; a change to the JSON in
 * render.c must be made here too, and that test says so when it is not.
 *
 * Failures are the writer's (see kf_jo_error): out of memory, or a value
 * the tree builder could not have made either (then render.h's function
 * returns NULL too).
 */
#ifndef KF_RENDER_JSON_H
#define KF_RENDER_JSON_H

#include "engine.h"
#include "json_out.h"

/* kf_result_json: the result object of docs/API.md; `text` is the input
 * the spans point into (may be NULL). */
void kf_result_write(kf_jo *w, const kf_kb *kb, const kf_result *r, const char *text);

/* kf_question_json: a question, or null for KF_Q_NONE. */
void kf_question_write(kf_jo *w, const kf_kb *kb, const kf_question *q);

/* kf_technique_json: one technique with its id. */
void kf_technique_write(kf_jo *w, const kf_kb *kb, int tech);

/* The members of technique t after its "id" (name, kind, steps, dose,
 * caution, timer, source) as a writer with KF_JO_COMPACT writes them, as
 * one string for kf_jo_members (kf_malloc'd, *len its length), or NULL
 * when they cannot be written (a NULL or broken string: the writer fails
 * there) or memory ran out (then *oom is true, when oom is not NULL).
 * kb.c keeps it as kf_technique.json. */
char *kf_technique_members_json(const kf_kb *kb, const kf_technique *t, size_t *len,
                                bool *oom);

/* kf_findings_json: the findings list. */
void kf_findings_write(kf_jo *w, const kf_kb *kb, const kf_findings *f);

/* The result as one document with `flags` (KF_JO_*; KF_JO_EOL to end it
 * with a newline), its length in *len when len is non-NULL; the caller
 * frees it with kf_free.  NULL on failure, with the reason in *why when why
 * is non-NULL. */
char *kf_result_dump(const kf_kb *kb, const kf_result *r, const char *text,
                     unsigned flags, size_t *len, const char **why);

#endif
