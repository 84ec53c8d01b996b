/* fuzz_hosted.c — libFuzzer harness for the JSON bodies of the hosted
 * course's endpoints (api_account.c, api_course.c and the per-user journal),
 * through the same route table, JSON parser, guard (session, CSRF) and
 * handlers as `serve --hosted` (http.h, kf_http__answer), on an SQLite
 * database in /dev/shm (or /tmp) made at start with two accounts: a user
 * and a therapist, each signed in once.
 * Input: the first byte picks the endpoint, the second who asks (bit 0:
 * the user's session, bit 1: the therapist's instead, bit 2: with the
 * X-CSRF-Token, bit 3: a lesson id from the KB or a question id; the rest
 * an id of its own), the rest is the body.
 * Checked: every answer is one JSON object (or nothing, for 204), an error
 * has the documented shape and a status docs/API.md gives, no handler
 * answers 500 but for memory, nothing crashes or leaks, and the two
 * signed-in sessions survive every input (nothing logs them out).
 * Build and run with tests/fuzz/run.sh (the replay of corpus_hosted is
 * what CI runs). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static kf_kb *kb;
static kf_settings set;
static kf_app app;
static kf_http_service svc;
static char db[256];
static long long question_id;

typedef struct {
    char cookie[128];       /* "kf_session=TOKEN" */
    char csrf[128];
} who;
static who user, therapist;

/* One request; the status, the body in `out` and the Set-Cookie in `ck`. */
static int ask(const char *method, const char *url, const who *w, bool csrf,
               const char *body, size_t len, kf_buf *out, kf_buf *ck)
{
    const char *h[6] = { 0 };
    int n = 0;
    if (w) {
        h[n++] = "Cookie";
        h[n++] = w->cookie;
        if (csrf) {
            h[n++] = "X-CSRF-Token";
            h[n++] = w->csrf;
        }
    }
    int status = 0;
    kf_http__answer(&svc, true, method, url, "application/json", h, "127.0.0.1",
                    body, len, &status, out, ck);
    return status;
}

static void die(const char *what, const kf_buf *b)
{
    fprintf(stderr, "fuzz_hosted: %s: %s\n", what, b && b->s ? b->s : "");
    exit(1);
}

/* Signs `email` up, logs in, fills `w`. */
static long long account(const char *email, who *w)
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"a long passphrase here\","
             "\"consent\":true}", email);
    kf_buf out, ck;
    kf_buf_init(&out);
    kf_buf_init(&ck);
    if (ask("POST", "/api/v1/account", NULL, false, body, strlen(body), &out, NULL) != 201)
        die("sign-up", &out);
    json_t *j = json_loadb(out.s, out.len, 0, NULL);
    long long id = (long long)json_integer_value(json_object_get(json_object_get(j, "user"), "id"));
    json_decref(j);
    kf_buf_free(&out);
    kf_buf_init(&out);
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"a long passphrase here\"}", email);
    if (ask("POST", "/api/v1/session", NULL, false, body, strlen(body), &out, &ck) != 200)
        die("login", &out);
    j = json_loadb(out.s, out.len, 0, NULL);
    snprintf(w->csrf, sizeof w->csrf, "%s", json_string_value(json_object_get(j, "csrf")));
    json_decref(j);
    size_t l = ck.s ? strcspn(ck.s, ";") : 0;
    if (!l || l >= sizeof w->cookie)
        die("no cookie", &ck);
    memcpy(w->cookie, ck.s, l);
    w->cookie[l] = '\0';
    kf_buf_free(&out);
    kf_buf_free(&ck);
    return id;
}

/* The database goes with the process (its WAL and index files too). */
static void cleanup(void)
{
    char p[300];
    unlink(db);
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("KNOTFINDER_KB");
    dir = dir && *dir ? dir : "kb";
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir, &kb, &errs) != KF_OK)
        die("cannot load the KB", &errs);
    kf_buf_free(&errs);
    snprintf(db, sizeof db, "%s/kf-fuzz-hosted-%ld.db",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    unlink(db);
    atexit(cleanup);
    set = (kf_settings){
        .db = db, .hosted = true, .kb_dir = dir, .fast_hash = true,
        .session_ttl_s = KF_SESSION_TTL_DEFAULT, .session_max_s = KF_SESSION_MAX_DEFAULT,
        /* Limits high enough that the handlers past them are reached; 429
         * is still answered now and then (questions a day). */
        .login_per_account = 1000000, .login_per_address = 1000000,
        .login_window_s = KF_LOGIN_WINDOW_S, .questions_per_day = 50,
        .question_links = KF_QUESTION_LINKS, .saves_per_minute = 0,
    };
    kf_buf err;
    kf_buf_init(&err);
    if (kf_app_init(&app, kb, &set, &err) != KF_OK)
        die("no context", &err);
    kf_buf_free(&err);
    svc = kf_api_service(&app);
    json_object_seed(1);
    account("user@example.org", &user);
    long long tid = account("therapist@example.org", &therapist);
    if (kf_store_user_set_role(app.store, tid, KF_ROLE_THERAPIST, NULL) != KF_OK)
        die("therapist role", NULL);
    kf_buf out;
    kf_buf_init(&out);
    static const char q[] = "{\"text\":\"a knot under my right shoulder blade\",\"public\":true,"
                            "\"first_name\":\"Ann\"}";
    if (ask("POST", "/api/v1/questions", &user, true, q, sizeof q - 1, &out, NULL) != 201)
        die("question", &out);
    json_t *j = json_loadb(out.s, out.len, 0, NULL);
    question_id = (long long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    kf_buf_free(&out);
    return 0;
}

static const struct { const char *method, *path; } eps[] = {
    { "POST", "/api/v1/account" },
    { "POST", "/api/v1/session" },
    { "POST", "/api/v1/questions" },
    { "POST", "/api/v1/questions/%s/answer" },
    { "POST", "/api/v1/lessons/%s/done" },
    { "POST", "/api/v1/journal/checkins" },
    { "POST", "/api/v1/consult" },
    { "GET",  "/api/v1/questions" },
    { "GET",  "/api/v1/lessons" },
    { "GET",  "/api/v1/lessons/%s" },
    { "GET",  "/api/v1/qa" },
    { "GET",  "/api/v1/session" },
    { "GET",  "/api/v1/account/export" },
    { "POST", "/api/v1/questions" },      /* weighted: the bodies matter most */
    { "POST", "/api/v1/account" },
    { "POST", "/api/v1/session" },
    { "POST", "/api/v1/account/password" },
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    int k = data[0] % (int)KF_ARRAY_LEN(eps);
    unsigned f = data[1];
    const who *w = f & 2 ? &therapist : f & 1 ? &user : NULL;
    char id[80], url[160];
    if (strstr(eps[k].path, "lessons") && (f & 8) && kb->n_lessons)
        snprintf(id, sizeof id, "%s", kb->lessons[(f >> 4) % kb->n_lessons].id);
    else if (f & 8)
        snprintf(id, sizeof id, "%lld", question_id);
    else
        snprintf(id, sizeof id, "%s", (f >> 4) % 3 == 0 ? "0" : (f >> 4) % 3 == 1 ? "-1" : "x%20y");
    snprintf(url, sizeof url, eps[k].path, id);
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    kf_buf out;
    kf_buf_init(&out);
    int status = ask(eps[k].method, url, w, f & 4, body, len, &out, NULL);
    if (getenv("KF_FUZZ_DEBUG"))
        fprintf(stderr, "%s %s -> %d %.*s\n", eps[k].method, url, status,
                (int)(out.len < 400 ? out.len : 400), out.s ? out.s : "");
    static const int known[] = { 200, 201, 204, 400, 401, 403, 404, 405, 409, 413,
                                 415, 422, 429, 500, 503 };
    bool ok = false;
    for (size_t i = 0; i < KF_ARRAY_LEN(known); i++)
        ok |= status == known[i];
    if (!ok && !out.oom)
        abort();
    json_error_t je;
    json_t *doc = out.len ? json_loadb(out.s, out.len, 0, &je) : NULL;
    if (!out.oom && status != 204 &&
        (!json_is_object(doc) ||
         (status >= 400 && !json_is_string(json_object_get(json_object_get(doc, "error"),
                                                            "code")))))
        abort();
    if (status == 500 && !out.oom)
        abort();              /* no handler may fail but for memory */
    json_decref(doc);
    kf_buf_free(&out);
    /* The sessions made at start are still good: no body logged anyone out. */
    kf_buf_init(&out);
    int st = ask("GET", "/api/v1/session", &user, false, NULL, 0, &out, NULL);
    kf_buf_free(&out);
    if (st != 200 && st != 503)
        abort();
    return 0;
}
