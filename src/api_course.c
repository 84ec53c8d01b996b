/* api_course.c — the hosted course's lessons and ask-the-therapist:
 *   GET  /api/v1/lessons              the course; signed in: progress and
 *                                     "your next lesson" (course.h)
 *   GET  /api/v1/lessons/{id}         one lesson: {"lesson": ...}
 *   POST /api/v1/lessons/{id}/done    marks one done
 *   POST /api/v1/questions            {"text","attach","public","first_name",
 *                                     "website"} -> 201 {"id"}
 *   GET  /api/v1/questions            the asker's own; a therapist's queue
 *                                     (red flags on top, oldest first) with
 *                                     each "draft"
 *   POST /api/v1/questions/{id}/answer {"text","publish"}: a therapist only
 *   GET  /api/v1/qa                   public: answered, published, consented
 * The draft is made when the question is posted (draft.h), from the words
 * and, when "attach" is true, the asker's latest consultation and their
 * check-ins, and kept with the question's triage level, so the queue can
 * put red flags first.
 *
 * Spam: at most --question-limit questions a user a day (a store rate
 * counter, shared by every server; 429 with Retry-After), at most
 * KF_QUESTION_LINKS links in one (422), and a honeypot field "website"
 * that the page hides from people: a request that fills it is answered as
 * if it was kept (201) and is dropped. */
#include "api.h"
#include "course.h"
#include "draft.h"
#include "journal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void oom(kf_http_reply *rep)
{
    kf_http_error(rep, 500, "internal", "out of memory");
}

/* ---- lessons ---- */

/* The lessons the user has done, as a flag per kb lesson (kf_free'd). */
static bool *done_flags(const kf_http_req *req, kf_http_reply *rep, int *n_done)
{
    const kf_kb *kb = req->kb;
    bool *done = kf_calloc((size_t)kb->n_lessons + 1, sizeof *done);
    if (!done) {
        oom(rep);
        return NULL;
    }
    kf_lesson_list l = { 0 };
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_lessons_done(req->user->store, &l, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
        kf_free(done);
        done = NULL;
    } else {
        const char **ids = kf_calloc((size_t)l.n + 1, sizeof *ids);
        if (!ids) {
            oom(rep);
            kf_free(done);
            done = NULL;
        } else {
            for (int i = 0; i < l.n; i++)
                ids[i] = l.v[i].lesson_id;
            kf_course_done_set(kb, ids, l.n, done);
            kf_free(ids);
            *n_done = 0;
            for (int i = 0; i < kb->n_lessons; i++)
                *n_done += done[i];
        }
    }
    kf_lesson_list_free(&l);
    kf_buf_free(&err);
    return done;
}

void kf_api_h_lessons(const kf_http_req *req, kf_http_reply *rep)
{
    const kf_kb *kb = req->kb;
    bool *done = NULL;
    int n_done = 0;
    kf_course_pick pick = { .lesson = -1, .cause = -1, .technique = -1, .redflag = -1 };
    kf_buf why, err;
    kf_buf_init(&why);
    kf_buf_init(&err);
    kf_findings base;
    kf_findings_init(&base);
    kf_checkin_list l = { 0 };
    bool have_next = false;
    if (req->user) {
        if (!(done = done_flags(req, rep, &n_done)))
            goto out;
        kf_store *s = req->user->store;
        kf_err e = kf_journal_latest_findings(s, kb, &base, NULL, NULL, &err);
        if (e == KF_ENOTFOUND) {
            e = kf_course_next(kb, NULL, done, NULL, &pick, &why);
        } else if (e == KF_OK || e == KF_EINVAL) {
            /* EINVAL: a consultation this KB cannot read: as none. */
            if (e == KF_EINVAL)
                kf_findings_free(&base), kf_findings_init(&base);
            e = kf_store_list_checkins(s, NULL, 0, &l, &err);
            if (e == KF_OK)
                e = kf_course_next_from_journal(kb, &base, l.v, l.n, done, &pick, &why);
        }
        if (e != KF_OK) {
            kf_api_store_error(rep, e, &err);
            goto out;
        }
        have_next = true;
    }
    kf_jo w;
    kf_jo_init(&w, KF_JO_COMPACT | KF_JO_EOL);
    kf_course_lessons_json(&w, kb, done, have_next ? &pick : NULL,
                           have_next && why.len ? why.s : NULL);
    size_t len = 0;
    char *body = kf_jo_finish(&w, &len);
    kf_http_written(rep, body, len, kf_jo_error(&w));
out:
    kf_free(done);
    kf_checkin_list_free(&l);
    kf_findings_free(&base);
    kf_buf_free(&why);
    kf_buf_free(&err);
}

void kf_api_h_lesson(const kf_http_req *req, kf_http_reply *rep)
{
    const kf_kb *kb = req->kb;
    int li = req->param ? kf_kb_lesson(kb, req->param) : -1;
    if (li < 0) {
        kf_http_error(rep, 404, "not_found", "no lesson with the id '%.80s'",
                      req->param ? req->param : "");
        return;
    }
    bool done = false;
    if (req->user) {
        int n_done = 0;
        bool *d = done_flags(req, rep, &n_done);
        if (!d)
            return;
        done = d[li];
        kf_free(d);
    }
    kf_jo w;
    kf_jo_init(&w, KF_JO_COMPACT | KF_JO_EOL);
    kf_jo_obj(&w);
    kf_jo_key(&w, "lesson");
    kf_course_lesson_json(&w, kb, li, done);
    kf_jo_obj_end(&w);
    size_t len = 0;
    char *body = kf_jo_finish(&w, &len);
    kf_http_written(rep, body, len, kf_jo_error(&w));
}

void kf_api_h_lesson_done(const kf_http_req *req, kf_http_reply *rep)
{
    const kf_kb *kb = req->kb;
    int li = req->param ? kf_kb_lesson(kb, req->param) : -1;
    if (li < 0) {
        kf_http_error(rep, 404, "not_found", "no lesson with the id '%.80s'",
                      req->param ? req->param : "");
        return;
    }
    bool first = false;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_lesson_done(req->user->store, kb->lessons[li].id, &first, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
    } else {
        int n_done = 0;
        bool *done = done_flags(req, rep, &n_done);
        if (done)
            kf_http_json(rep, 200, json_pack("{s:s,s:b,s:i,s:i}", "id",
                                             kb->lessons[li].id, "first", first,
                                             "done", n_done, "total", kb->n_lessons));
        kf_free(done);
    }
    kf_buf_free(&err);
}

/* ---- questions ---- */

/* Links in `s`: "http://", "https://" and "www." starts, case-insensitive. */
static int count_links(const char *s)
{
    int n = 0;
    for (const char *p = s; *p; p++) {
        if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8) ||
            ((p == s || !isalnum((unsigned char)p[-1])) && !strncasecmp(p, "www.", 4)))
            n++;
    }
    return n;
}

/* The first word of a name (letters, apostrophes, hyphens), at most
 * KF_DRAFT_NAME_MAX bytes; "" when none.  The public page shows first
 * names only. */
static void first_name(const char *in, char *out, size_t n)
{
    out[0] = '\0';
    if (!in)
        return;
    while (*in == ' ' || *in == '\t')
        in++;
    size_t l = strcspn(in, " \t\r\n,;@<>\"&/\\()[]{}0123456789");
    if (l >= n)
        l = n - 1;
    if (l > KF_DRAFT_NAME_MAX)
        l = KF_DRAFT_NAME_MAX;
    /* do not cut a UTF-8 character */
    while (l && ((unsigned char)in[l] & 0xc0) == 0x80)
        l--;
    memcpy(out, in, l);
    out[l] = '\0';
}

/* The summary attached to a question: the latest consultation (its time,
 * triage and the causes it ranked) and the check-ins (how many, the last
 * pain), as JSON text (kf_free'd), or NULL when there is nothing. */
static char *summary_json(const kf_kb *kb, const kf_result *r, const char *at,
                          long long cid, const kf_checkin_list *l)
{
    json_t *causes = json_array();
    for (int i = 0; r && causes && i < r->n_causes && i < 5; i++)
        json_array_append_new(causes, json_string(kb->causes[r->causes[i].cause].id));
    json_t *j = json_pack("{s:o,s:i}", "causes", causes ? causes : json_array(),
                          "checkins", l->n);
    if (!j)
        return NULL;
    if (r) {
        json_object_set_new(j, "consultation_id", json_integer(cid));
        json_object_set_new(j, "consultation_at", json_string(at));
        json_object_set_new(j, "triage", json_string(kf_triage_id(r->triage)));
    }
    if (l->n) {
        const kf_checkin *c = &l->v[l->n - 1];
        json_object_set_new(j, "last_checkin_at", json_string(c->at));
        json_object_set_new(j, "last_pain", json_integer(c->pain));
        if (c->relief_hours >= 0)
            json_object_set_new(j, "last_relief_hours", json_real(c->relief_hours));
        if (c->did)
            json_object_set_new(j, "last_did", json_string(c->did));
    }
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* The question as the API shows it: to its asker, or (`full`) to a
 * therapist, with the draft, the triage and the summary. */
static json_t *question_json(const kf_uquestion *q, bool full)
{
    json_t *j = json_pack("{s:I,s:s,s:s,s:b,s:s?,s:s?,s:b}",
                          "id", (json_int_t)q->id, "at", q->at, "text", q->text,
                          "public", q->public_ok, "answer", q->answer,
                          "answered_at", q->answered_at[0] ? q->answered_at : NULL,
                          "published", q->published);
    if (j && q->first_name && *q->first_name)
        json_object_set_new(j, "first_name", json_string(q->first_name));
    /* The asker sees the level too: a warning sign in a question is not
     * to wait for the therapist's answer (the page says what to do). */
    if (j)
        json_object_set_new(j, "triage", q->triage >= 0
                            ? json_string(kf_triage_id((kf_triage)q->triage)) : json_null());
    if (j && full) {
        json_object_set_new(j, "draft", json_string(q->draft ? q->draft : ""));
        json_object_set_new(j, "attached", q->consultation_id > 0 || (q->summary && *q->summary)
                            ? json_true() : json_false());
        if (q->summary && *q->summary) {
            json_t *sj = json_loads(q->summary, 0, NULL);
            json_object_set_new(j, "summary", sj ? sj : json_string(q->summary));
        }
    }
    return j;
}

/* An optional boolean field; false with a 422 when it is not one. */
static bool bool_field(const kf_http_req *req, kf_http_reply *rep, const char *name,
                       bool dflt, bool *out)
{
    json_t *v = json_object_get(req->body, name);
    *out = dflt;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v)) {
        kf_http_error(rep, 422, "invalid", "'%s' must be true or false", name);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

void kf_api_h_question_create(const kf_http_req *req, kf_http_reply *rep)
{
    const kf_kb *kb = req->kb;
    const kf_settings *set = req->app->set;
    if (!json_is_object(req->body)) {
        kf_http_error(rep, 422, "invalid", "the body must be a JSON object");
        return;
    }
    static const char *const known[] = { "text", "attach", "public", "first_name",
                                         "website" };
    const char *key;
    json_t *val;
    json_object_foreach(req->body, key, val) {
        bool ok = false;
        for (size_t i = 0; i < KF_ARRAY_LEN(known); i++)
            ok |= !strcmp(key, known[i]);
        if (!ok) {
            kf_http_error(rep, 422, "invalid", "unknown field '%.60s' (known: text, "
                          "attach, public, first_name)", key);
            return;
        }
    }
    /* The honeypot: people never see the field, so whoever fills it is a
     * program.  Answered as kept; nothing is kept. */
    json_t *hp = json_object_get(req->body, "website");
    if (hp && !(json_is_string(hp) && json_string_length(hp) == 0) && !json_is_null(hp)) {
        kf_http_json(rep, 201, json_pack("{s:I}", "id", (json_int_t)0));
        return;
    }
    json_t *t = json_object_get(req->body, "text");
    if (!json_is_string(t)) {
        kf_http_error(rep, 422, "invalid", "'text' is required: your question in "
                      "your own words");
        return;
    }
    const char *text = json_string_value(t);
    size_t tlen = json_string_length(t);
    size_t i0 = strspn(text, " \t\r\n");
    if (strlen(text) != tlen || i0 == tlen) {
        kf_http_error(rep, 422, "invalid", tlen ? "'text' may not be empty or hold NUL"
                                              : "'text' may not be empty");
        return;
    }
    if (tlen > KF_STORE_QUESTION_MAX) {
        kf_http_error(rep, 422, "invalid", "the question is %zu bytes; at most %d, "
                      "please", tlen, KF_STORE_QUESTION_MAX);
        return;
    }
    int links = count_links(text);
    if (links > set->question_links) {
        kf_http_error(rep, 422, "too_many_links", "a question may hold at most %d "
                      "link%s (this one has %d)", set->question_links,
                      set->question_links == 1 ? "" : "s", links);
        return;
    }
    bool attach, pub;
    if (!bool_field(req, rep, "attach", false, &attach) ||
        !bool_field(req, rep, "public", false, &pub))
        return;
    json_t *fn = json_object_get(req->body, "first_name");
    if (fn && !json_is_null(fn) && !json_is_string(fn)) {
        kf_http_error(rep, 422, "invalid", "'first_name' must be a string");
        return;
    }
    char name[KF_DRAFT_NAME_MAX + 1];
    first_name(fn ? json_string_value(fn) : NULL, name, sizeof name);

    char key_q[64];
    snprintf(key_q, sizeof key_q, "question:%lld", req->user->id);
    bool allowed = false;
    int retry = 0;
    kf_buf err;
    kf_buf_init(&err);
    kf_store *s = req->user->store;
    kf_err e = kf_store_rate_hit(s, key_q, 24 * 3600, set->questions_per_day, 0,
                                 &allowed, &retry, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
        kf_buf_free(&err);
        return;
    }
    if (!allowed) {
        kf_http_error(rep, 429, "rate_limited", "you have asked %d questions today, "
                      "the most there is room for; ask again in %d hours",
                      set->questions_per_day, (retry + 3599) / 3600);
        rep->retry_after = retry > 0 ? retry : 1;
        kf_buf_free(&err);
        return;
    }

    /* What is attached: the latest consultation and the check-ins. */
    kf_consultation_list cl = { 0 };
    kf_checkin_list l = { 0 };
    kf_result *res = NULL;
    char *summary = NULL;
    long long cid = 0;
    if (attach) {
        e = kf_store_list_consultations(s, 1, &cl, &err);
        if (e == KF_OK)
            e = kf_store_list_checkins(s, NULL, 0, &l, &err);
        if (e != KF_OK) {
            kf_api_store_error(rep, e, &err);
            goto out;
        }
        if (cl.n) {
            kf_buf why;
            kf_buf_init(&why);
            if (kf_journal_consultation_result(kb, &cl.v[0], &res, &why) == KF_OK)
                cid = cl.v[0].id;
            kf_buf_free(&why);
        }
        summary = summary_json(kb, res, cl.n ? cl.v[0].at : "", cid, &l);
    }
    kf_draft d;
    memset(&d, 0, sizeof d);
    kf_draft_input in = { .consultation = res, .checkins = l.v, .n_checkins = l.n,
                          .name = name[0] ? name : NULL };
    kf_buf derr;
    kf_buf_init(&derr);
    kf_err de = kf_draft_make(kb, text, tlen, &in, &d, &derr);
    if (de == KF_EPARSE || de == KF_ETOOBIG) {
        kf_http_error(rep, 422, "invalid", "%s", derr.len ? derr.s : kf_strerror(de));
        kf_buf_free(&derr);
        goto out;
    }
    if (de != KF_OK)        /* the question is kept; the therapist writes from scratch */
        fprintf(stderr, "knotfinder serve: no draft for a question: %s\n",
                derr.len ? derr.s : kf_strerror(de));
    kf_buf_free(&derr);
    kf_uquestion q = {
        .text = text, .first_name = name, .consultation_id = cid,
        .summary = summary, .public_ok = pub,
        .draft = de == KF_OK ? d.text : "",
        .triage = de == KF_OK && d.triage != KF_TRIAGE_UNKNOWN ? (int)d.triage : -1,
    };
    long long id = 0;
    e = kf_store_question_add(s, &q, &id, &err);
    if (de == KF_OK)
        kf_draft_free(&d);
    if (e != KF_OK)
        kf_api_store_error(rep, e, &err);
    else    /* with the level the draft found: the page acts on a warning sign now */
        kf_http_json(rep, 201, json_pack("{s:I,s:o}", "id", (json_int_t)id, "triage",
                                         q.triage >= 0 ? json_string(kf_triage_id((kf_triage)q.triage))
                                                       : json_null()));
out:
    free(summary);
    kf_result_free(res);
    kf_consultation_list_free(&cl);
    kf_checkin_list_free(&l);
    kf_buf_free(&err);
}

void kf_api_h_questions(const kf_http_req *req, kf_http_reply *rep)
{
    bool queue = req->user->therapist;
    kf_uquestion_list l = { 0 };
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = queue ? kf_store_question_queue(req->user->store, 200, &l, &err)
                     : kf_store_questions_mine(req->user->store, 200, &l, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
    } else {
        json_t *a = json_array();
        for (int i = 0; a && i < l.n; i++)
            json_array_append_new(a, question_json(&l.v[i], queue));
        kf_http_json(rep, 200, a ? json_pack("{s:o,s:s}", "questions", a, "view",
                                             queue ? "queue" : "mine") : NULL);
    }
    kf_uquestion_list_free(&l);
    kf_buf_free(&err);
}

void kf_api_h_question_answer(const kf_http_req *req, kf_http_reply *rep)
{
    char *end = NULL;
    long long id = req->param ? strtoll(req->param, &end, 10) : 0;
    if (!req->param || !end || *end || id <= 0) {
        kf_http_error(rep, 404, "not_found", "no question '%.40s'",
                      req->param ? req->param : "");
        return;
    }
    /* Only a therapist answers; to anyone else the route shows nothing,
     * as for a question that is not theirs. */
    if (!req->user->therapist) {
        kf_http_error(rep, 404, "not_found", "no question %lld", id);
        return;
    }
    if (!json_is_object(req->body)) {
        kf_http_error(rep, 422, "invalid", "the body must be a JSON object");
        return;
    }
    json_t *t = json_object_get(req->body, "text");
    if (!json_is_string(t) || json_string_length(t) == 0 ||
        strspn(json_string_value(t), " \t\r\n") == json_string_length(t)) {
        kf_http_error(rep, 422, "invalid", "'text' is required: the answer");
        return;
    }
    if (strlen(json_string_value(t)) != json_string_length(t) ||
        json_string_length(t) > KF_STORE_QUESTION_MAX) {
        kf_http_error(rep, 422, "invalid", "'text' must be at most %d bytes, "
                      "without NUL", KF_STORE_QUESTION_MAX);
        return;
    }
    json_t *pv = json_object_get(req->body, "publish");
    if (pv && !json_is_null(pv) && !json_is_boolean(pv)) {
        kf_http_error(rep, 422, "invalid", "'publish' must be true or false");
        return;
    }
    bool explicit_pub = pv && json_is_boolean(pv);
    bool publish = explicit_pub ? json_is_true(pv) : true;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_question_answer(req->app->store, id, req->user->id,
                                        json_string_value(t), publish, &err);
    if (e == KF_EINVAL && publish && !explicit_pub) {
        /* The asker did not consent to the public page: answered privately. */
        kf_buf_free(&err);
        kf_buf_init(&err);
        publish = false;
        e = kf_store_question_answer(req->app->store, id, req->user->id,
                                     json_string_value(t), false, &err);
    }
    if (e == KF_EINVAL && publish)
        kf_http_error(rep, 422, "no_consent", "the asker did not agree to show this "
                      "question on the public page: answer with \"publish\": false");
    else if (e != KF_OK)
        kf_api_store_error(rep, e, &err);
    else
        kf_http_json(rep, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id,
                                         "published", publish));
    kf_buf_free(&err);
}

void kf_api_h_qa(const kf_http_req *req, kf_http_reply *rep)
{
    kf_uquestion_list l = { 0 };
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_qa_public(req->app->store, 100, &l, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
    } else {
        json_t *a = json_array();
        for (int i = 0; a && i < l.n; i++) {
            const kf_uquestion *q = &l.v[i];
            json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s?}",
                "id", (json_int_t)q->id, "at", q->at,
                "first_name", q->first_name && *q->first_name ? q->first_name
                                                                : "A reader",
                "question", q->text, "answer", q->answer));
        }
        kf_http_json(rep, 200, a ? json_pack("{s:o}", "qa", a) : NULL);
    }
    kf_uquestion_list_free(&l);
    kf_buf_free(&err);
}
