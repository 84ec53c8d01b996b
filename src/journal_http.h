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

/* Saves a consultation made through the API (POST /api/v1/consult, or the
 * interview's final result) into the shared journal: not one that
 * recognised nothing, not the same words and findings as the one kept last,
 * and at most KF_JOURNAL_HTTP_BURST at once, then one per
 * KF_JOURNAL_HTTP_REFILL_S seconds (a loop posting consultations cannot
 * fill the disk; the answers are given all the same).  Returns the error,
 * with a sentence in `err`; the caller should log it and still answer. */
#define KF_JOURNAL_HTTP_BURST    30
#define KF_JOURNAL_HTTP_REFILL_S 2.0
kf_err kf_journal_http_save(const kf_http_req *req, const char *text,
                            const kf_result *r, kf_buf *err);

#endif
