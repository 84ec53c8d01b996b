/*
 * journal_http.h — the journal's HTTP endpoints, as handlers for the
 * route table of api.c:
 *
 *   { "GET",  "/api/v1/journal",          kf_journal_h_list },
 *   { "POST", "/api/v1/journal/checkins", kf_journal_h_checkin },
 *   { "GET",  "/api/v1/journal/plan",     kf_journal_h_plan },
 *   { "GET",  "/api/v1/journal/history",  kf_journal_h_history },
 *   { "GET",  "/api/v1/journal/about",    kf_journal_h_about },
 *   { "DELETE", "/api/v1/journal",        kf_journal_h_forget_all },
 *   { "DELETE", "/api/v1/journal/consultations/{}", kf_journal_h_forget_consultation },
 *   { "DELETE", "/api/v1/journal/checkins/{}",      kf_journal_h_forget_checkin },
 *
 * and, once kf_http_reply can carry a non-JSON body (see
 * kf_journal_history_svg below), GET /api/v1/journal/history.svg.
 *
 * The handlers use the store of the server's context (req->app, api.h):
 * in the local mode opened on first use at the --db path and kept open;
 * the store serialises its calls, and other processes (a `knotfinder log`
 * in a terminal) may write the same file at the same time.  A journal that
 * cannot be opened answers 503 {"error":{"code":"db_unavailable",...}} and
 * is tried again on the next request.
 *
 * Bodies and answers (docs/API.md, "Journal"):
 *  GET  /api/v1/journal           -> {"checkins":[C...] (newest 200, oldest
 *                                    first), "consultations":[{"id","at",
 *                                    "text","kb_version","triage","causes":
 *                                    [ids]}] (newest 20), "total_checkins":N}
 *  POST /api/v1/journal/checkins  {"pain":6, "where":"medial_border",
 *                                  "side":"right", "did":["tennis_ball"],
 *                                  "relief_hours":2, "worse_after":["heat"],
 *                                  "pain_before":7, "note":"...",
 *                                  "at":"2024-05-01T08:30:00Z"}
 *                                 only "pain" is required; "where" may also
 *                                 be "REGION:SIDE"; "did"/"worse_after" may be
 *                                 a comma string.  -> 201 {"checkin":C};
 *                                 wrong fields -> 422 "invalid" naming the
 *                                 field.
 *  GET  /api/v1/journal/plan      -> the revision object (journal.h,
 *                                    kf_revision_json) plus "consultation":
 *                                    {"id","at"}; 404 when none is saved.
 *  GET  /api/v1/journal/history   -> {"days":[{"day","n","mean","min","max",
 *                                    "did"}], "svg":"<svg ...>"}
 *  GET  /api/v1/journal/about     -> {"path": the journal file, "saving":
 *                                    whether this server keeps consultations,
 *                                    "readonly"}
 *  DELETE /api/v1/journal         -> everything, for good: {"deleted":
 *                                    {"consultations":N,"checkins":N}}
 *  DELETE .../consultations/{id}, .../checkins/{id}
 *                                 -> one, for good (same answer); 404 when
 *                                    there is no such id, 422 when it is not
 *                                    a whole number.
 * C is a check-in object as in store.h (kf_checkin_json).
 */
#ifndef KF_JOURNAL_HTTP_H
#define KF_JOURNAL_HTTP_H

#include "http.h"
#include "journal.h"

#include <stdint.h>

void kf_journal_h_list(const kf_http_req *req, kf_http_reply *rep);
void kf_journal_h_checkin(const kf_http_req *req, kf_http_reply *rep);
void kf_journal_h_plan(const kf_http_req *req, kf_http_reply *rep);
void kf_journal_h_history(const kf_http_req *req, kf_http_reply *rep);
void kf_journal_h_about(const kf_http_req *req, kf_http_reply *rep);
void kf_journal_h_forget_all(const kf_http_req *req, kf_http_reply *rep);
void kf_journal_h_forget_consultation(const kf_http_req *req, kf_http_reply *rep);
void kf_journal_h_forget_checkin(const kf_http_req *req, kf_http_reply *rep);

/* The pain chart as a standalone SVG document (image/svg+xml), for
 * GET /api/v1/journal/history.svg.  Returns KF_OK and appends to `out`, or
 * an error with a sentence in `err` (the journal could not be read). */
kf_err kf_journal_history_svg(struct kf_app *app, kf_buf *out, kf_buf *err);

/* What is kept of one consultation made through the API (POST
 * /api/v1/consult, or the interview's final result): its words and its
 * findings JSON (journal.h, kf_journal_consultation_dump), written once
 * when the consultation is answered, in one block that the answer cache
 * keeps beside the answer and copies whole (`size` bytes) - so a cached
 * answer is saved as the first one was, with nothing computed, parsed or
 * written again.  Allocated with kf_malloc, freed with kf_free. */
typedef struct kf_journal_row {
    uint64_t hash;          /* of the words and the findings */
    size_t   size;          /* bytes of the whole block */
    size_t   text_len, findings_len;
    char     data[];        /* the words, NUL, the findings JSON, NUL */
} kf_journal_row;

static inline const char *kf_journal_row_text(const kf_journal_row *r)
{
    return r->data;
}
static inline const char *kf_journal_row_findings(const kf_journal_row *r)
{
    return r->data + r->text_len + 1;
}

/* The row for a consultation: KF_OK with *out set, or with *out NULL when
 * it is not worth keeping (it recognised nothing); KF_ENOMEM. */
kf_err kf_journal_http_row(const kf_kb *kb, const char *text, size_t text_len,
                           const kf_result *r, kf_journal_row **out);

/* How much the server keeps: not a consultation that recognised nothing,
 * not the same words and findings as the one kept last, and at most
 * `per_minute` at once, then one every 60/per_minute seconds (a loop
 * posting consultations cannot fill the disk; the answers are given all
 * the same, and the server logs how many it did not keep).  0 keeps every
 * one (serve --save-limit 0).  The default is KF_JOURNAL_HTTP_PER_MINUTE.
 * Call before the server starts. */
#define KF_JOURNAL_HTTP_PER_MINUTE KF_HTTP_SAVES_PER_MINUTE
void kf_journal_http_set_limit(int per_minute);

/* Whether `row` is to be kept (http.h): KF_ADMIT_YES when the limit above
 * lets it through (this takes its place in the bucket), KF_ADMIT_SAME when
 * it is the one kept last, KF_ADMIT_LIMIT when the limit refuses it.  The
 * calls below that take a row kept or not do not ask again. */
int kf_journal_http_admit(const kf_journal_row *row);
/* A save `row` was admitted for failed: when it was the one kept last it is
 * no longer, so the same words again are admitted (and kept, or said not
 * kept) rather than said to be in the journal already. */
void kf_journal_http_unadmit(const kf_journal_row *row);

/* Called once when a queued save is over (store.h, kf_store_done_fn): on
 * the journal's writer thread, after the row's commit returned (durable)
 * or failed. */
typedef kf_store_done_fn kf_journal_saved_fn;

/* Saves an admitted `row` (borrowed until `done` is called) in the shared
 * journal through its writer, which commits the rows queued meanwhile in
 * one transaction (group commit, store.h).  Returns KF_OK when it was
 * queued: `done` will be called.  Otherwise it failed at once (KF_EDB, KF_EIO:
 * the journal cannot be opened; KF_ENOMEM...: logged on stderr; the person
 * still gets the answer); `done` is then never called. */
kf_err kf_journal_http_queue(const kf_http_req *req, const kf_journal_row *row,
                           kf_journal_saved_fn done, void *ctx);

/* Saves an admitted `row` and waits for its commit.  KF_OK, or the error
 * with a sentence in `err` (the caller logs it and still answers). */
kf_err kf_journal_http_store(const kf_http_req *req, const kf_journal_row *row,
                             kf_buf *err);

/* Admits and stores: KF_OK also when the row is not to be kept. */
kf_err kf_journal_http_save(const kf_http_req *req, const kf_journal_row *row,
                            kf_buf *err);

#endif
