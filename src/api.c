/* api.c — the route table, the guard (mode, session, CSRF) and the
 * consultation endpoints: POST /api/v1/consult, POST /api/v1/interview,
 * GET /api/v1/regions, /api/v1/techniques/{id}, /api/v1/health.  The
 * journal's handlers are in journal_http.c, the accounts' in
 * api_account.c.  See api.h. */
#include "api.h"
#include "auth.h"
#include "journal_http.h"
#include "engine.h"
#include "render.h"
#include "render_json.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Questions an interview asks at most (as the CLI interview). */
#define INTERVIEW_MAX_Q 8

/* Largest "asked" count accepted. */
#define ASKED_MAX 1000

static void oom(kf_http_reply *rep)
{
    kf_http_error(rep, 500, "internal", "out of memory");
}

/* The input both POST endpoints share: {"text", "findings", "dominant_hand",
 * "save"}.  On success fills `f` and `*text` (borrowed from the body, may be
 * NULL), and clears *save when the body says "save": false; otherwise sets
 * the error reply and returns false. */
static bool read_input(const kf_http_req *q, kf_http_reply *rep,
                       kf_findings *f, const char **text, bool *save)
{
    *text = NULL;
    if (!json_is_object(q->body)) {
        kf_http_error(rep, 422, "invalid",
                      "the body must be a JSON object");
        return false;
    }
    /* "save": false keeps this consultation out of the journal. */
    json_t *sv = json_object_get(q->body, "save");
    if (sv && !json_is_null(sv)) {
        if (!json_is_boolean(sv)) {
            kf_http_error(rep, 422, "invalid",
                          "\"save\" must be true or false");
            return false;
        }
        if (json_is_false(sv))
            *save = false;
        json_object_del(q->body, "save");
    }
    kf_buf err;
    kf_buf_init(&err);
    json_t *t = json_object_get(q->body, "text");
    if (t && !json_is_null(t)) {
        if (!json_is_string(t)) {
            kf_http_error(rep, 422, "invalid",
                          "\"text\" must be a string");
            return false;
        }
        *text = json_string_value(t);
        size_t tl = json_string_length(t);
        kf_err e = kf_text_is_words(*text, tl) ? kf_text_read(q->kb, *text, tl, f, &err)
                                               : KF_EPARSE;
        if (e == KF_EPARSE && !err.len)
            kf_buf_puts(&err, KF_TEXT_NOT_WORDS);
        if (e != KF_OK) {
            if (e == KF_ENOMEM)
                oom(rep);
            else
                kf_http_error(rep, 422, "invalid",
                              "text: %s", err.len ? err.s : kf_strerror(e));
            kf_buf_free(&err);
            return false;
        }
    }
    kf_err e = kf_findings_from_json(q->kb, q->body, f, &err);
    if (e == KF_ENOMEM || f->oom) {
        oom(rep);
    } else if (e != KF_OK) {
        kf_http_error(rep, 422, "invalid", "%s",
                      err.len ? err.s : kf_strerror(e));
    }
    kf_buf_free(&err);
    return rep->status < 400;
}

/* A consultation is kept in the journal (docs/JOURNAL.md) when the request
 * may save (kf_http_req.may_save: no --no-save, no "save": false, the token
 * when one is needed): the handler only writes down what to keep
 * (rep->save_row) and the server saves it before the answer goes out (see
 * run_handler); a failure to save is logged, and the person still gets the
 * answer. */
/* Hosted: the consultation goes into the signed-in user's own journal,
 * saved before the answer, at most --save-limit (default 30) a minute per
 * user (a store counter shared by every server; 0: every one), so one
 * user's loop cannot fill the database nor use up the others' saves; the
 * local mode's bucket (journal_http.c) is one per process, made for one
 * person. */
static kf_save_note hosted_save(const kf_http_req *q, const char *text,
                                const kf_result *r)
{
    kf_journal_row *row = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_save_note note = KF_SAVE_KEPT;
    kf_err e = kf_journal_http_row(q->kb, text, text ? strlen(text) : 0, r, &row);
    if (e == KF_OK && !row)
        note = KF_SAVE_EMPTY;
    if (e == KF_OK && row) {
        char key[64];
        snprintf(key, sizeof key, "save:%lld", q->user->id);
        int per_minute = q->app->set->saves_per_minute;
        bool allowed = per_minute <= 0;
        if (!allowed)
            e = kf_store_rate_hit(q->user->store, key, 60, per_minute, 0,
                                  &allowed, NULL, &err);
        if (e == KF_OK && allowed)
            e = kf_store_add_consultation(q->user->store, kf_journal_row_text(row),
                                          kf_journal_row_findings(row),
                                          q->kb->version, NULL, &err);
        else if (e == KF_OK)
            note = KF_SAVE_LIMIT;
    }
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder serve: a consultation was answered but not "
                "saved: %s\n", err.len ? err.s : kf_strerror(e));
        note = kf_http_save_failed(e);
    }
    kf_free(row);
    kf_buf_free(&err);
    return note;
}

/* A consultation is kept in the journal (docs/JOURNAL.md) when the request
 * may save (kf_http_req.may_save: no --no-save, no "save": false, the token
 * when one is needed; hosted: a signed-in user): in the local mode the
 * handler only writes down what to keep (rep->save_row) and the server
 * saves it before the answer goes out (http.c, the service's saver); a
 * failure to save is logged, and the person still gets the answer. */
/* `save`: the body did not say "save": false.  rep->save_note says what
 * becomes of it (the answer tells: docs/API.md "Saved or not"). */
static void keep_row(const kf_http_req *q, kf_http_reply *rep, bool save,
                     const char *text, const kf_result *r)
{
    if (rep->status >= 400)
        return;
    const kf_settings *set = q->app ? q->app->set : NULL;
    if (!save) {
        rep->save_note = KF_SAVE_ASKED;
        return;
    }
    if (!q->may_save) {
        rep->save_note = set && set->no_save ? KF_SAVE_OFF
                       : set && set->hosted ? KF_SAVE_ANON : KF_SAVE_TOKEN;
        return;
    }
    if (q->user) {
        rep->save_note = hosted_save(q, text, r);
        return;
    }
    kf_journal_row *row = NULL;
    if (kf_journal_http_row(q->kb, text, text ? strlen(text) : 0, r, &row) != KF_OK) {
        fprintf(stderr, "knotfinder serve: a consultation was answered but not "
                "saved: out of memory\n");
        rep->save_note = KF_SAVE_FAILED;
        return;
    }
    rep->save_note = row ? KF_SAVE_ROW : KF_SAVE_EMPTY;
    rep->save_row = row;
}

/* POST /api/v1/consult: the result object, as `knotfinder ask --json`. */
static void h_consult(const kf_http_req *q, kf_http_reply *rep)
{
    kf_findings f;
    kf_findings_init(&f);
    const char *text;
    bool save = true;
    if (read_input(q, rep, &f, &text, &save)) {
        kf_result *r = kf_consult(q->kb, &f);
        if (r) {
            size_t len = 0;
            const char *why = NULL;
            char *body = kf_result_dump(q->kb, r, text, KF_JO_COMPACT | KF_JO_EOL,
                                        &len, &why);
            kf_http_written(rep, body, len, why);
            keep_row(q, rep, save, text, r);
        } else
            oom(rep);
        kf_result_free(r);
    }
    kf_findings_free(&f);
}

/* POST /api/v1/interview: stateless — the findings so far and how many
 * questions were asked come in; the next question, or the result when
 * there is nothing left worth asking, goes out together with the merged
 * findings to send back.  A red flag at doctor_soon or above ends the
 * sharpening of the guess (safety comes first), after the emergency items
 * still owed (kf_emergency_question): a doctor_soon person may be an
 * emergency. */
static void h_interview(const kf_http_req *q, kf_http_reply *rep)
{
    int asked = 0;
    if (json_is_object(q->body)) {
        json_t *a = json_object_get(q->body, "asked");
        if (a && !json_is_null(a)) {
            if (!json_is_integer(a) || json_integer_value(a) < 0 ||
                json_integer_value(a) > ASKED_MAX) {
                kf_http_error(rep, 422, "invalid",
                              "\"asked\" must be a whole number from 0 to %d",
                              ASKED_MAX);
                return;
            }
            asked = (int)json_integer_value(a);
        }
        /* Not a finding field: keep it away from the findings reader. */
        json_object_del(q->body, "asked");
    }
    kf_findings f;
    kf_findings_init(&f);
    const char *text;
    kf_result *r = NULL;
    kf_question qn = { .kind = KF_Q_NONE };
    bool save = true;
    if (!read_input(q, rep, &f, &text, &save))
        goto out;
    r = kf_consult(q->kb, &f);
    if (!r) {
        oom(rep);
        goto out;
    }
    /* doctor_soon (by a rule or a likely cause that needs a doctor) may in
     * fact be an emergency: the emergency items not yet asked still come,
     * as one checklist, before the result. */
    if ((r->triage < KF_TRIAGE_SOON
             ? kf_next_question(q->kb, &f, asked, INTERVIEW_MAX_Q, &qn)
             : r->triage < KF_TRIAGE_EMERGENCY
                   ? kf_emergency_question(q->kb, &f, asked, INTERVIEW_MAX_Q, &qn)
                   : KF_OK) != KF_OK) {
        oom(rep);
        goto out;
    }
    /* {"question", "result", "findings", "asked"}, streamed. */
    kf_jo w;
    kf_jo_init(&w, KF_JO_COMPACT | KF_JO_EOL);
    kf_jo_obj(&w);
    kf_jo_key(&w, "question");
    if (qn.kind != KF_Q_NONE) {
        kf_question_write(&w, q->kb, &qn);
        asked++;
    } else
        kf_jo_null(&w);
    kf_jo_key(&w, "result");
    if (qn.kind == KF_Q_NONE)
        kf_result_write(&w, q->kb, r, text);
    else
        kf_jo_null(&w);
    kf_jo_key(&w, "findings");
    kf_findings_write(&w, q->kb, &f);
    kf_jo_kint(&w, "asked", asked);
    kf_jo_obj_end(&w);
    size_t len = 0;
    char *body = kf_jo_finish(&w, &len);
    kf_http_written(rep, body, len, kf_jo_error(&w));
    if (qn.kind == KF_Q_NONE)
        keep_row(q, rep, save, text, r);
out:
    kf_question_free(&qn);
    kf_result_free(r);
    kf_findings_free(&f);
}

/* GET /api/v1/regions: the zones of the body map. */
static void h_regions(const kf_http_req *q, kf_http_reply *rep)
{
    const kf_kb *kb = q->kb;
    json_t *arr = json_array();
    for (int i = 0; arr && i < kb->n_regions; i++) {
        const kf_region *g = &kb->regions[i];
        const char *fid = g->finding >= 0 ? kb->findings[g->finding].id : NULL;
        if (json_array_append_new(arr, json_pack("{s:s,s:s?,s:s,s:b,s:s?}",
                                  "id", g->id, "label", g->label,
                                  "view", g->back ? "back" : "front",
                                  "sided", g->sided, "finding", fid)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    kf_http_json(rep, 200, arr ? json_pack("{s:o}", "regions", arr) : NULL);
}

/* GET /api/v1/techniques/{id}: one self-care technique. */
static void h_technique(const kf_http_req *q, kf_http_reply *rep)
{
    int t = kf_kb_technique(q->kb, q->param);
    if (t < 0) {
        kf_http_error(rep, 404, "not_found",
                      "no technique with the id '%.100s'", q->param);
        return;
    }
    const kf_technique *k = &q->kb->techniques[t];
    json_t *steps = json_array();
    for (int i = 0; steps && i < k->n_steps; i++)
        if (json_array_append_new(steps, json_string(k->steps[i])) != 0) {
            json_decref(steps);
            steps = NULL;
        }
    json_t *timer = k->work_s > 0
        ? json_pack("{s:i,s:i,s:i}", "work_s", k->work_s, "rest_s", k->rest_s,
                    "reps", k->reps)
        : json_null();
    if (!steps || !timer) {
        json_decref(steps);
        json_decref(timer);
        oom(rep);
        return;
    }
    kf_http_json(rep, 200, json_pack("{s:s,s:s?,s:s,s:o,s:s?,s:s?,s:o,s:s?}",
                              "id", k->id, "name", k->name,
                              "kind", kf_tech_kind_name(k->kind),
                              "steps", steps, "dose", k->dose,
                              "caution", k->caution, "timer", timer,
                              "source", k->source));
}

/* GET /api/v1/health */
static void h_health(const kf_http_req *q, kf_http_reply *rep)
{
    kf_http_json(rep, 200, json_pack("{s:s,s:s,s:s}", "status", "ok",
                              "kb_version", q->kb->version,
                              "mode", q->app->set->hosted ? "hosted" : "local"));
}

/* ---- the context ----------------------------------------------------- */

kf_err kf_app_init(kf_app *app, const kf_kb *kb, const kf_settings *set,
                   kf_buf *err)
{
    *app = (kf_app){ .kb = kb, .set = set };
    pthread_mutex_init(&app->mu, NULL);
    if (!set->hosted)
        return KF_OK;
    /* The hosted course opens its database now: a server that cannot
     * reach it should not start and take requests. */
    char list[4096];
    snprintf(list, sizeof list, "%s/common-passwords.txt",
             set->kb_dir ? set->kb_dir : "kb");
    kf_err e = kf_auth_new(list, set->fast_hash, &app->auth, err);
    if (e == KF_OK)
        e = kf_store_open(set->db, &app->store, err);
    if (e == KF_OK && kf_store_readonly(app->store)) {
        kf_buf_printf(err, "%s can only be read: the hosted course writes to it",
                      set->db);
        e = KF_EDB;
    }
    if (e == KF_OK)
        e = kf_store_expire(app->store, 0, NULL, err);
    return e;
}

void kf_app_close(kf_app *app)
{
    if (!app->kb)
        return;
    kf_store_close(app->store);
    app->store = NULL;
    kf_auth_free(app->auth);
    app->auth = NULL;
    pthread_mutex_destroy(&app->mu);
    app->kb = NULL;
}

kf_store *kf_app_store(kf_app *app, kf_http_reply *rep)
{
    pthread_mutex_lock(&app->mu);
    if (!app->store) {
        kf_buf err;
        kf_buf_init(&err);
        kf_err e = kf_store_open(app->set->db, &app->store, &err);
        if (e != KF_OK) {
            fprintf(stderr, "knotfinder serve: the journal is unavailable: %s\n",
                    err.len ? err.s : kf_strerror(e));
            kf_http_error(rep, 503, "db_unavailable",
                          "the journal cannot be opened: %s",
                          err.len ? err.s : kf_strerror(e));
        }
        kf_buf_free(&err);
    }
    kf_store *s = app->store;
    pthread_mutex_unlock(&app->mu);
    return s;
}

kf_store *kf_api_store(const kf_http_req *req, kf_http_reply *rep)
{
    if (req->user)
        return req->user->store;
    if (req->app->set->hosted) {           /* the guard lets no one through */
        kf_http_error(rep, 401, "not_signed_in", "sign in first");
        return NULL;
    }
    return kf_app_store(req->app, rep);
}

void kf_api_store_error(kf_http_reply *rep, kf_err e, const kf_buf *err)
{
    const char *msg = err && err->len ? err->s : kf_strerror(e);
    switch (e) {
    case KF_EINVAL:
    case KF_ETOOBIG:
    case KF_EPARSE:
        kf_http_error(rep, 422, "invalid", "%s", msg);
        break;
    case KF_ENOTFOUND:
        kf_http_error(rep, 404, "not_found", "%s", msg);
        break;
    case KF_EEXIST:
        kf_http_error(rep, 409, "exists", "%s", msg);
        break;
    case KF_EBUSY:
        kf_http_error(rep, 503, "busy", "%s", msg);
        break;
    case KF_ENOMEM:
        kf_http_error(rep, 500, "internal", "out of memory");
        break;
    default:
        kf_http_error(rep, 503, "db_unavailable", "%s", msg);
        break;
    }
}

/* ---- the route table and the guard ------------------------------------ */

enum {
    PURE = KF_ROUTE_PURE, SESSION = KF_ROUTE_SESSION, CSRF = KF_ROUTE_CSRF,
    HOSTED = KF_ROUTE_HOSTED, LOCAL = KF_ROUTE_LOCAL,
};

/* Every endpoint.  CSRF marks what changes state: in hosted mode such a
 * request made with a session needs its X-CSRF-Token.  SESSION: only for a
 * signed-in user in hosted mode (in the local mode there are no accounts
 * and the journal is the person's own). */
static const kf_http_route routes[] = {
    { "POST", "/api/v1/consult",        h_consult,   PURE | CSRF },
    { "POST", "/api/v1/interview",      h_interview, PURE | CSRF },
    { "GET",  "/api/v1/regions",        h_regions,   0 },
    { "GET",  "/api/v1/techniques/{}",  h_technique, 0 },
    { "GET",  "/api/v1/health",         h_health,    0 },
    /* The journal: handlers in journal_http.c. */
    { "GET",  "/api/v1/journal",          kf_journal_h_list,    SESSION },
    { "POST", "/api/v1/journal/checkins", kf_journal_h_checkin, SESSION | CSRF },
    { "GET",  "/api/v1/journal/plan",     kf_journal_h_plan,    SESSION },
    { "GET",  "/api/v1/journal/history",  kf_journal_h_history, SESSION },
    { "GET",  "/api/v1/journal/about",    kf_journal_h_about,   LOCAL },
    { "DELETE", "/api/v1/journal",        kf_journal_h_forget_all, SESSION | CSRF },
    { "DELETE", "/api/v1/journal/consultations/{}", kf_journal_h_forget_consultation,
      SESSION | CSRF },
    { "DELETE", "/api/v1/journal/checkins/{}",      kf_journal_h_forget_checkin,
      SESSION | CSRF },
    /* The hosted course: api_account.c, api_course.c.  Sign-up and login
     * need no CSRF token (there is no session yet to bind one to); the
     * gate's Origin check and SameSite=Lax keep other sites out. */
    { "POST", "/api/v1/account",          kf_api_h_account_create, HOSTED },
    { "GET",  "/api/v1/account/export",   kf_api_h_account_export, HOSTED | SESSION },
    { "DELETE", "/api/v1/account",        kf_api_h_account_delete,
      HOSTED | SESSION | CSRF | KF_ROUTE_BODY },
    { "POST", "/api/v1/account/password", kf_api_h_account_password,
      HOSTED | SESSION | CSRF },
    { "POST", "/api/v1/session",          kf_api_h_session_create, HOSTED },
    { "GET",  "/api/v1/session",          kf_api_h_session_get,    HOSTED | SESSION },
    { "DELETE", "/api/v1/session",        kf_api_h_session_delete,
      HOSTED | SESSION | CSRF },
    { "GET",  "/api/v1/lessons",          kf_api_h_lessons,        HOSTED },
    { "GET",  "/api/v1/lessons/{}",       kf_api_h_lesson,         HOSTED },
    { "POST", "/api/v1/lessons/{}/done",  kf_api_h_lesson_done,
      HOSTED | SESSION | CSRF },
    { "POST", "/api/v1/questions",        kf_api_h_question_create,
      HOSTED | SESSION | CSRF },
    { "GET",  "/api/v1/questions",        kf_api_h_questions,      HOSTED | SESSION },
    { "POST", "/api/v1/questions/{}/answer", kf_api_h_question_answer,
      HOSTED | SESSION | CSRF },
    { "GET",  "/api/v1/qa",               kf_api_h_qa,             HOSTED },
};

/* The mode decides which routes exist; in hosted mode the session and
 * CSRF checks run here, before any handler. */
static bool guard(const kf_http_route *rt, kf_http_req *req, kf_http_reply *rep)
{
    bool hosted = req->app->set->hosted;
    if ((hosted && (rt->flags & LOCAL)) || (!hosted && (rt->flags & HOSTED))) {
        kf_http_error(rep, 404, "not_found", "no endpoint %.200s%s", req->path,
                      hosted ? "" : " (it is part of the hosted course: serve --hosted)");
        return false;
    }
    if (!hosted)
        return true;
    /* Hosted: who is it?  A missing, malformed, expired or revoked session
     * is nobody. */
    kf_who *w = kf_api_who(req, rep);
    if (rep->status >= 400)
        return false;                      /* the store failed: 503 */
    req->user = w;
    if ((rt->flags & SESSION) && !w) {
        kf_http_error(rep, 401, "not_signed_in", "sign in first (POST /api/v1/session)");
        return false;
    }
    if ((rt->flags & CSRF) && w) {
        char want[KF_AUTH_TOKEN_LEN + 1];
        kf_auth_csrf(w->token, want);
        const char *got = kf_http_header(req, "X-CSRF-Token");
        if (!kf_auth_same(got, want)) {
            kf_http_error(rep, 403, "csrf", "%s: a request that changes something "
                          "must carry the X-CSRF-Token the login gave (GET "
                          "/api/v1/session gives it again)",
                          got ? "wrong X-CSRF-Token" : "no X-CSRF-Token");
            return false;
        }
    }
    /* A consultation is kept only in a signed-in user's own journal. */
    req->may_save = req->may_save && w;
    return true;
}

static void release(kf_http_req *req)
{
    kf_api_who_free((kf_who *)req->user);
    req->user = NULL;
}

static size_t row_size(const kf_journal_row *row)
{
    return row->size;
}

/* The local mode's saving (journal_http.c), for the server (http.h). */
static const kf_http_saver saver = {
    .size = row_size,
    .admit = kf_journal_http_admit,
    .unadmit = kf_journal_http_unadmit,
    .queue = kf_journal_http_queue,
    .store = kf_journal_http_store,
    .set_limit = kf_journal_http_set_limit,
};

kf_http_service kf_api_service(kf_app *app)
{
    return (kf_http_service){ .routes = routes, .n_routes = KF_ARRAY_LEN(routes),
                              .app = app, .kb = app->kb, .guard = guard,
                              .release = release, .saver = &saver };
}
