/* journal_http.c — /api/v1/journal: the check-in form, the journal, the
 * revised plan and the chart for the web app.  See journal_http.h. */
#include "journal_http.h"
#include "api.h"
#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The journal of the request (api.h): the signed-in user's own in the
 * hosted mode, else the server's, opened on first use.  NULL with an error
 * reply set when it cannot be opened. */
static kf_store *journal(const kf_http_req *req, kf_http_reply *rep)
{
    return kf_api_store(req, rep);
}

/* Maps a store or journal error to an HTTP answer. */
static void store_error(kf_http_reply *rep, kf_err e, const kf_buf *err)
{
    kf_api_store_error(rep, e, err);
}

static void answer(kf_http_reply *rep, json_t *v, int status)
{
    if (!v) {
        kf_http_error(rep, 500, "internal", "out of memory");
        return;
    }
    json_decref(rep->json);
    rep->json = v;
    rep->status = status;
}

/* ---- GET /api/v1/journal ---- */

void kf_journal_h_list(const kf_http_req *req, kf_http_reply *rep)
{
    kf_store *s = journal(req, rep);
    if (!s)
        return;
    kf_buf err;
    kf_buf_init(&err);
    kf_checkin_list ci = { 0 }, all = { 0 };
    kf_consultation_list co = { 0 };
    kf_err e = kf_store_list_checkins(s, NULL, 200, &ci, &err);
    if (e == KF_OK)
        e = kf_store_list_consultations(s, 20, &co, &err);
    if (e == KF_OK)
        e = kf_store_list_checkins(s, NULL, 0, &all, &err);
    if (e != KF_OK) {
        store_error(rep, e, &err);
        goto out;
    }
    json_t *ca = json_array(), *ka = json_array();
    for (int i = 0; ca && i < co.n; i++) {
        /* The result is not stored: it is worked out again from the
         * findings (null triage and no causes when this KB cannot). */
        const kf_consultation *c = &co.v[i];
        kf_result *res = NULL;
        kf_buf why;
        kf_buf_init(&why);
        kf_journal_consultation_result(req->kb, c, &res, &why);
        kf_buf_free(&why);
        json_t *ids = json_array();
        for (int k = 0; res && ids && k < res->n_causes; k++)
            json_array_append_new(ids, json_string(req->kb->causes[res->causes[k].cause].id));
        json_array_append_new(ca, json_pack("{s:I,s:s,s:s,s:s,s:s?,s:o}",
            "id", (json_int_t)c->id, "at", c->at, "text", c->text,
            "kb_version", c->kb_version,
            "triage", res ? kf_triage_id(res->triage) : NULL, "causes", ids));
        kf_result_free(res);
    }
    for (int i = 0; ka && i < ci.n; i++)
        json_array_append_new(ka, kf_checkin_json(&ci.v[i]));
    answer(rep, json_pack("{s:o,s:o,s:i}", "checkins", ka, "consultations", ca,
                          "total_checkins", all.n), 200);
out:
    kf_checkin_list_free(&ci);
    kf_checkin_list_free(&all);
    kf_consultation_list_free(&co);
    kf_buf_free(&err);
}

/* ---- GET /api/v1/journal/about ---- */

void kf_journal_h_about(const kf_http_req *req, kf_http_reply *rep)
{
    kf_store *s = journal(req, rep);
    if (!s)
        return;
    answer(rep, json_pack("{s:s,s:b,s:b}", "path", kf_store_path(s),
                          "saving", req->may_save,
                          "readonly", kf_store_readonly(s)), 200);
}

/* ---- DELETE /api/v1/journal, .../consultations/{id}, .../checkins/{id} ---- */

static void forget_last_kept(void);

static void forget(const kf_http_req *req, kf_http_reply *rep, kf_forget_what what)
{
    long long id = 0;
    if (what != KF_FORGET_ALL) {
        char *end;
        errno = 0;
        id = req->param ? strtoll(req->param, &end, 10) : 0;
        if (!req->param || errno || end == req->param || *end || id <= 0) {
            kf_http_error(rep, 422, "invalid", "the id must be a whole number from "
                          "1, not '%.40s'", req->param ? req->param : "");
            return;
        }
    }
    kf_store *s = journal(req, rep);
    if (!s)
        return;
    kf_buf err;
    kf_buf_init(&err);
    int nc = 0, nk = 0;
    kf_err e = kf_store_forget(s, what, id, &nc, &nk, &err);
    if (e == KF_OK && nc > 0)
        forget_last_kept();     /* the same words again are kept again */
    if (e != KF_OK)
        store_error(rep, e, &err);
    else
        answer(rep, json_pack("{s:{s:i,s:i}}", "deleted", "consultations", nc,
                              "checkins", nk), 200);
    kf_buf_free(&err);
}

void kf_journal_h_forget_all(const kf_http_req *req, kf_http_reply *rep)
{
    forget(req, rep, KF_FORGET_ALL);
}

void kf_journal_h_forget_consultation(const kf_http_req *req, kf_http_reply *rep)
{
    forget(req, rep, KF_FORGET_CONSULTATION);
}

void kf_journal_h_forget_checkin(const kf_http_req *req, kf_http_reply *rep)
{
    forget(req, rep, KF_FORGET_CHECKIN);
}

/* ---- POST /api/v1/journal/checkins ---- */

/* A list field: an array of strings or one comma string, normalised into
 * `out`.  Returns false with a 422 set. */
static bool list_field(const kf_http_req *req, kf_http_reply *rep, json_t *v,
                       const char *name, kf_buf *out)
{
    if (!v || json_is_null(v))
        return true;
    kf_buf joined, err;
    kf_buf_init(&joined);
    kf_buf_init(&err);
    bool ok = true;
    if (json_is_string(v)) {
        kf_buf_puts(&joined, json_string_value(v));
    } else if (json_is_array(v) && json_array_size(v) <= 32) {
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) {
            if (!json_is_string(it)) {
                kf_http_error(rep, 422, "invalid", "'%s'[%zu] must be a string",
                              name, i);
                ok = false;
                break;
            }
            if (i)
                kf_buf_puts(&joined, ",");
            kf_buf_puts(&joined, json_string_value(it));
        }
    } else {
        kf_http_error(rep, 422, "invalid", "'%s' must be an array of at most 32 "
                      "strings, or one comma-separated string", name);
        ok = false;
    }
    if (ok) {
        kf_err e = kf_journal_words(req->kb, name, joined.s ? joined.s : "", out, &err);
        if (e != KF_OK) {
            store_error(rep, e, &err);
            ok = false;
        }
    }
    kf_buf_free(&joined);
    kf_buf_free(&err);
    return ok;
}

/* A whole number 0..10 in field `name`; -1 (and true) when absent and not
 * required. */
static bool pain_field(kf_http_reply *rep, json_t *v, const char *name,
                       bool required, int *out)
{
    if (!v || json_is_null(v)) {
        if (required) {
            kf_http_error(rep, 422, "invalid", "'%s' is required: a whole number "
                          "from 0 (none) to 10 (the worst)", name);
            return false;
        }
        *out = -1;
        return true;
    }
    json_int_t p = json_is_integer(v) ? json_integer_value(v) : -1;
    if (!json_is_integer(v) || p < 0 || p > 10) {
        kf_http_error(rep, 422, "invalid", "'%s' must be a whole number from 0 "
                      "(none) to 10 (the worst)", name);
        return false;
    }
    *out = (int)p;
    return true;
}

void kf_journal_h_checkin(const kf_http_req *req, kf_http_reply *rep)
{
    json_t *b = req->body;
    if (!json_is_object(b)) {
        kf_http_error(rep, 422, "invalid", "the body must be a JSON object");
        return;
    }
    static const char *const known[] = { "pain", "where", "side", "did",
        "relief_hours", "worse_after", "pain_before", "note", "at" };
    const char *key;
    json_t *val;
    json_object_foreach(b, key, val) {
        bool ok = false;
        for (size_t i = 0; i < KF_ARRAY_LEN(known); i++)
            ok |= !strcmp(key, known[i]);
        if (!ok) {
            kf_http_error(rep, 422, "invalid", "unknown field '%.60s' (known: "
                          "pain, where, side, did, relief_hours, worse_after, "
                          "pain_before, note, at)", key);
            return;
        }
    }
    kf_checkin c = { .pain_before = -1, .relief_hours = -1, .done_s = -1,
                     .via = "web" };
    kf_buf did, worse, err;
    kf_buf_init(&did);
    kf_buf_init(&worse);
    kf_buf_init(&err);
    kf_err e;
    if (!pain_field(rep, json_object_get(b, "pain"), "pain", true, &c.pain) ||
        !pain_field(rep, json_object_get(b, "pain_before"), "pain_before", false,
                    &c.pain_before))
        goto out;
    json_t *v = json_object_get(b, "where");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) {
            kf_http_error(rep, 422, "invalid", "'where' must be a region id");
            goto out;
        }
        if ((e = kf_journal_where(req->kb, json_string_value(v), &c.region,
                                  &c.side, &err)) != KF_OK) {
            store_error(rep, e, &err);
            goto out;
        }
    }
    v = json_object_get(b, "side");
    if (v && !json_is_null(v)) {
        int sd = json_is_string(v) ? kf_side_parse(json_string_value(v)) : -1;
        if (sd < 0) {
            kf_http_error(rep, 422, "invalid", "'side' must be left, right, both "
                          "or \"\"");
            goto out;
        }
        int r = c.region ? kf_kb_region(req->kb, c.region) : -1;
        if (sd && (r < 0 || !req->kb->regions[r].sided)) {
            kf_http_error(rep, 422, "invalid", "'side' needs a 'where' that has "
                          "a left and a right");
            goto out;
        }
        c.side = (kf_side)sd;
    }
    if (!list_field(req, rep, json_object_get(b, "did"), "did", &did) ||
        !list_field(req, rep, json_object_get(b, "worse_after"), "worse_after",
                    &worse))
        goto out;
    v = json_object_get(b, "relief_hours");
    if (v && !json_is_null(v)) {
        double h = json_is_number(v) ? json_number_value(v) : NAN;
        if (!json_is_number(v) || !isfinite(h)) {
            kf_http_error(rep, 422, "invalid", "'relief_hours' must be a number "
                          "of hours (0 = no relief)");
            goto out;
        }
        if (h < 0) {
            kf_http_error(rep, 422, "invalid", "'relief_hours' cannot be negative "
                          "(got %g); use 0 for no relief", h);
            goto out;
        }
        if (h > KF_STORE_HOURS_MAX) {
            kf_http_error(rep, 422, "invalid", "'relief_hours' must be at most "
                          "%.0f (a year)", KF_STORE_HOURS_MAX);
            goto out;
        }
        c.relief_hours = h;
    }
    v = json_object_get(b, "note");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) {
            kf_http_error(rep, 422, "invalid", "'note' must be a string");
            goto out;
        }
        c.note = json_string_value(v);
        if (strlen(c.note) != json_string_length(v)) {
            kf_http_error(rep, 422, "invalid", "'note' may not contain NUL");
            goto out;
        }
    }
    v = json_object_get(b, "at");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) {
            kf_http_error(rep, 422, "invalid", "'at' must be a date and time "
                          "string");
            goto out;
        }
        if ((e = kf_journal_time(json_string_value(v), (long long)time(NULL),
                                 c.at, &err)) != KF_OK) {
            store_error(rep, e, &err);
            goto out;
        }
    }
    c.did = did.s;
    c.worse_after = worse.s;
    if ((e = kf_journal_check(req->kb, &c, &err)) != KF_OK) {
        store_error(rep, e, &err);
        goto out;
    }
    kf_store *s = journal(req, rep);
    if (!s)
        goto out;
    long long id;
    if ((e = kf_store_add_checkin(s, &c, &id, &err)) != KF_OK) {
        store_error(rep, e, &err);
        goto out;
    }
    c.id = id;
    if (!c.at[0])
        kf_time_now(c.at);     /* as stored, give or take a second */
    json_t *j = kf_checkin_json(&c);
    answer(rep, j ? json_pack("{s:o}", "checkin", j) : NULL, 201);
out:
    kf_buf_free(&did);
    kf_buf_free(&worse);
    kf_buf_free(&err);
}

/* ---- GET /api/v1/journal/plan ---- */

void kf_journal_h_plan(const kf_http_req *req, kf_http_reply *rep)
{
    kf_store *s = journal(req, rep);
    if (!s)
        return;
    kf_findings base;
    kf_findings_init(&base);
    kf_checkin_list l = { 0 };
    kf_revision *rev = NULL;
    kf_buf err;
    kf_buf_init(&err);
    long long cid = 0;
    char at[KF_TIME_LEN] = "";
    kf_err e = kf_journal_latest_findings(s, req->kb, &base, &cid, at, &err);
    if (e == KF_OK)
        e = kf_journal_window(s, req->kb, &l, &err);
    if (e == KF_OK)
        e = kf_journal_revise(req->kb, &base, l.v, l.n, &rev);
    if (e != KF_OK) {
        store_error(rep, e, &err);
    } else {
        json_t *j = kf_revision_json(req->kb, rev);
        if (j)
            json_object_set_new(j, "consultation", json_pack("{s:I,s:s}",
                                "id", (json_int_t)cid, "at", at));
        answer(rep, j, 200);
    }
    kf_revision_free(rev);
    kf_checkin_list_free(&l);
    kf_findings_free(&base);
    kf_buf_free(&err);
}

/* ---- the chart ---- */

static kf_err chart(kf_store *s, kf_pain_day **d, int *nd, kf_buf *err)
{
    kf_checkin_list l;
    kf_err e = kf_store_list_checkins(s, NULL, 0, &l, err);
    if (e != KF_OK)
        return e;
    *nd = kf_journal_days(l.v, l.n, 366, d);
    kf_checkin_list_free(&l);
    return *nd < 0 ? KF_ENOMEM : KF_OK;
}

void kf_journal_h_history(const kf_http_req *req, kf_http_reply *rep)
{
    kf_store *s = journal(req, rep);
    if (!s)
        return;
    kf_pain_day *d = NULL;
    int nd = 0;
    kf_buf err, svg;
    kf_buf_init(&err);
    kf_buf_init(&svg);
    kf_err e = chart(s, &d, &nd, &err);
    if (e != KF_OK) {
        store_error(rep, e, &err);
    } else {
        json_t *days = json_array();
        for (int k = 0; days && k < nd; k++)
            json_array_append_new(days, json_pack("{s:s,s:i,s:o,s:o,s:o,s:b}",
                "day", d[k].day, "n", d[k].n,
                "mean", d[k].n ? json_real(d[k].mean) : json_null(),
                "min", d[k].n ? json_integer(d[k].min) : json_null(),
                "max", d[k].n ? json_integer(d[k].max) : json_null(),
                "did", d[k].did));
        kf_journal_chart_svg(d, nd, &svg);
        answer(rep, svg.oom ? NULL
                            : json_pack("{s:o,s:s}", "days", days, "svg", svg.s),
               200);
        if (svg.oom)
            json_decref(days);
    }
    kf_free(d);
    kf_buf_free(&svg);
    kf_buf_free(&err);
}

kf_err kf_journal_history_svg(kf_app *app, kf_buf *out, kf_buf *err)
{
    kf_http_req req = { .app = app, .kb = app->kb };
    kf_http_reply rep = { .status = 200 };
    kf_buf_init(&rep.message);
    kf_store *s = journal(&req, &rep);
    kf_err e = KF_EDB;
    if (!s) {
        kf_buf_puts(err, rep.message.s ? rep.message.s : "no journal");
    } else {
        kf_pain_day *d = NULL;
        int nd = 0;
        e = chart(s, &d, &nd, err);
        if (e == KF_OK) {
            kf_journal_chart_svg(d, nd, out);
            if (out->oom)
                e = KF_ENOMEM;
        }
        kf_free(d);
    }
    json_decref(rep.json);
    kf_buf_free(&rep.message);
    return e;
}

/* How much the server saves (journal_http.h, kf_journal_http_set_limit):
 * a bucket of `rate_burst` saves that fills again by one every
 * `rate_refill_s` seconds, so a page or a script that posts consultations
 * in a loop adds at most about that many a minute (and a person, who makes
 * a few a day, never notices); and the same words and findings as the last
 * consultation kept are not kept again.  A burst of 0 keeps every one. */
static pthread_mutex_t rate_mu = PTHREAD_MUTEX_INITIALIZER;
static double rate_burst = KF_JOURNAL_HTTP_PER_MINUTE;
static double rate_refill_s = 60.0 / KF_JOURNAL_HTTP_PER_MINUTE;
static double rate_tokens = KF_JOURNAL_HTTP_PER_MINUTE;
static struct timespec rate_at;
static long long rate_refused, rate_told_at;
static uint64_t last_kept;          /* hash of the last kept consultation */

static void forget_last_kept(void)
{
    pthread_mutex_lock(&rate_mu);
    last_kept = 0;
    pthread_mutex_unlock(&rate_mu);
}

void kf_journal_http_set_limit(int per_minute)
{
    pthread_mutex_lock(&rate_mu);
    rate_burst = per_minute > 0 ? per_minute : 0;
    rate_refill_s = per_minute > 0 ? 60.0 / per_minute : 0;
    rate_tokens = rate_burst;
    pthread_mutex_unlock(&rate_mu);
}

static uint64_t hash2(const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < na; i++)
        h = (h ^ (unsigned char)a[i]) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (size_t i = 0; i < nb; i++)
        h = (h ^ (unsigned char)b[i]) * 1099511628211ull;
    return h | 1;
}

/* Takes one save from the bucket: KF_ADMIT_YES, KF_ADMIT_SAME when the
 * consultation is the one kept last, KF_ADMIT_LIMIT when the bucket is
 * empty. */
static int rate_take(uint64_t h)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&rate_mu);
    if (h == last_kept) {
        pthread_mutex_unlock(&rate_mu);
        return KF_ADMIT_SAME;
    }
    if (rate_burst <= 0) {                 /* every one is kept */
        last_kept = h;
        pthread_mutex_unlock(&rate_mu);
        return KF_ADMIT_YES;
    }
    if (rate_at.tv_sec || rate_at.tv_nsec) {
        double dt = (double)(now.tv_sec - rate_at.tv_sec) +
                    (double)(now.tv_nsec - rate_at.tv_nsec) / 1e9;
        rate_tokens += dt / rate_refill_s;
        if (rate_tokens > rate_burst)
            rate_tokens = rate_burst;
    }
    rate_at = now;
    bool ok = rate_tokens >= 1.0;
    if (ok) {
        rate_tokens -= 1.0;
        last_kept = h;
    } else {
        rate_refused++;
        if (now.tv_sec - rate_told_at >= 60) {
            rate_told_at = now.tv_sec;
            fprintf(stderr, "knotfinder serve: consultations are coming faster than "
                    "%.0f a minute; %lld answered but not kept in the journal "
                    "(serve --save-limit)\n", rate_burst, rate_refused);
        }
    }
    pthread_mutex_unlock(&rate_mu);
    return ok ? KF_ADMIT_YES : KF_ADMIT_LIMIT;
}

void kf_journal_http_unadmit(const kf_journal_row *row)
{
    if (!row)
        return;
    pthread_mutex_lock(&rate_mu);
    if (last_kept == row->hash)
        last_kept = 0;
    pthread_mutex_unlock(&rate_mu);
}

kf_err kf_journal_http_row(const kf_kb *kb, const char *text, size_t text_len,
                           const kf_result *r, kf_journal_row **out)
{
    *out = NULL;
    size_t flen = 0;
    char *fs = kf_journal_consultation_dump(kb, text, r, &flen);
    if (!fs)        /* not worth keeping (nothing recognised), or no memory */
        return r && !r->unrecognised && r->findings.n > 0 ? KF_ENOMEM : KF_OK;
    if (!text)
        text_len = 0;
    size_t size = sizeof(kf_journal_row) + text_len + 1 + flen + 1;
    kf_journal_row *row = kf_malloc(size);
    if (!row) {
        kf_free(fs);
        return KF_ENOMEM;
    }
    row->size = size;
    row->text_len = text_len;
    row->findings_len = flen;
    if (text_len)
        memcpy(row->data, text, text_len);
    row->data[text_len] = '\0';
    memcpy(row->data + text_len + 1, fs, flen + 1);
    row->hash = hash2(text, text_len, fs, flen);
    kf_free(fs);
    *out = row;
    return KF_OK;
}

int kf_journal_http_admit(const kf_journal_row *row)
{
    /* Saving off (--no-save, KNOTFINDER_NO_SAVE: main.c) never gets here:
     * the request's may_save says so. */
    return row ? rate_take(row->hash) : KF_ADMIT_LIMIT;
}

kf_err kf_journal_http_queue(const kf_http_req *req, const kf_journal_row *row,
                             kf_journal_saved_fn done, void *ctx)
{
    kf_http_reply rep = { .status = 200 };
    kf_buf_init(&rep.message);
    kf_buf err;
    kf_buf_init(&err);
    kf_store *s = journal(req, &rep);
    kf_err e = KF_EDB;                 /* the journal cannot be opened */
    if (!s)
        kf_buf_puts(&err, rep.message.s ? rep.message.s : "no journal");
    else
        e = kf_store_add_consultation_async(s, kf_journal_row_text(row), row->text_len,
                                            kf_journal_row_findings(row),
                                            row->findings_len, req->kb->version,
                                            done, ctx, &err);
    if (e != KF_OK)
        fprintf(stderr, "knotfinder serve: a consultation was answered but not saved: %s\n",
                err.len ? err.s : kf_strerror(e));
    json_decref(rep.json);
    kf_buf_free(&rep.message);
    kf_buf_free(&err);
    return e;
}

kf_err kf_journal_http_store(const kf_http_req *req, const kf_journal_row *row,
                             kf_buf *err)
{
    kf_http_reply rep = { .status = 200 };
    kf_buf_init(&rep.message);
    kf_store *s = journal(req, &rep);
    kf_err e = KF_EDB;
    if (!s)
        kf_buf_puts(err, rep.message.s ? rep.message.s : "no journal");
    else
        e = kf_store_add_consultation(s, kf_journal_row_text(row),
                                      kf_journal_row_findings(row),
                                      req->kb->version, NULL, err);
    json_decref(rep.json);
    kf_buf_free(&rep.message);
    return e;
}

kf_err kf_journal_http_save(const kf_http_req *req, const kf_journal_row *row,
                            kf_buf *err)
{
    return kf_journal_http_admit(row) == KF_ADMIT_YES ? kf_journal_http_store(req, row, err)
                                                      : KF_OK;
}
