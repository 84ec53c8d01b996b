/* fuzz_api.c — libFuzzer harness for the JSON bodies of every API endpoint,
 * through the same route table, content-type and size checks, JSON parser
 * and handlers as the server (http.h, kf_http__answer), on a journal in
 * /dev/shm (or /tmp) made at start.  The first byte picks the endpoint
 * (and a second the id of a DELETE or a technique); the rest is the body.
 * Checked: every answer is one JSON object, an error has the documented
 * shape and a status the docs give, and nothing crashes or leaks.
 * Build and run with tests/fuzz/run.sh. */
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
static long runs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "fuzz_api: cannot load the KB:\n%s", errs.s ? errs.s : "");
        exit(1);
    }
    kf_buf_free(&errs);
    snprintf(db, sizeof db, "%s/kf-fuzz-api-%ld.db",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    set.db = db;
    set.kb_dir = dir;
    kf_buf err;
    kf_buf_init(&err);
    if (kf_app_init(&app, kb, &set, &err) != KF_OK) {
        fprintf(stderr, "fuzz_api: %s\n", err.s ? err.s : "no context");
        exit(1);
    }
    kf_buf_free(&err);
    svc = kf_api_service(&app);
    json_object_seed(1);
    return 0;
}

static const struct { const char *method, *path; } eps[] = {
    { "POST", "/api/v1/consult" },
    { "POST", "/api/v1/interview" },
    { "POST", "/api/v1/journal/checkins" },
    { "GET",  "/api/v1/journal" },
    { "GET",  "/api/v1/journal/plan" },
    { "GET",  "/api/v1/journal/history" },
    { "GET",  "/api/v1/journal/about" },
    { "GET",  "/api/v1/regions" },
    { "GET",  "/api/v1/health" },
    { "GET",  "/api/v1/techniques/" },
    { "DELETE", "/api/v1/journal/checkins/" },
    { "DELETE", "/api/v1/journal/consultations/" },
    { "POST", "/api/v1/consult" },        /* weighted: the bodies matter most */
    { "POST", "/api/v1/journal/checkins" },
    { "POST", "/api/v1/interview" },
    { "POST", "/api/v1/health" },         /* 405 */
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    int k = data[0] % (int)KF_ARRAY_LEN(eps);
    char url[128];
    if (eps[k].path[strlen(eps[k].path) - 1] == '/') {
        /* An id or a technique: a number, a KB id, or a bad one. */
        int t = data[1] % 4;
        if (t == 0)
            snprintf(url, sizeof url, "%s%d", eps[k].path, data[1] / 4);
        else if (t == 1 && kb->n_techniques)
            snprintf(url, sizeof url, "%s%s", eps[k].path,
                     kb->techniques[data[1] % kb->n_techniques].id);
        else
            snprintf(url, sizeof url, "%s%s", eps[k].path, t == 2 ? "-1" : "x%20y");
    } else {
        snprintf(url, sizeof url, "%s", eps[k].path);
    }
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    /* Every 2000 runs the journal is emptied, so that it does not grow
     * without end over a long run (the plan reads every check-in). */
    if (++runs % 2000 == 0) {
        int st;
        kf_buf o;
        kf_buf_init(&o);
        kf_http__answer(&svc, true, "DELETE", "/api/v1/journal", NULL, NULL, NULL,
                        NULL, 0, &st, &o, NULL);
        kf_buf_free(&o);
    }
    int status = 0;
    kf_buf out;
    kf_buf_init(&out);
    kf_http__answer(&svc, data[1] & 1, eps[k].method, url,
                    data[1] & 2 ? "application/json; charset=utf-8" : "application/json",
                    NULL, "127.0.0.1", body, len, &status, &out, NULL);
    static const int known[] = { 200, 201, 400, 404, 405, 413, 415, 422, 500, 503 };
    bool ok = false;
    for (size_t i = 0; i < KF_ARRAY_LEN(known); i++)
        ok |= status == known[i];
    if (!ok && !out.oom)
        abort();
    json_error_t je;
    json_t *doc = out.len ? json_loadb(out.s, out.len, 0, &je) : NULL;
    if (!out.oom && (!json_is_object(doc) ||
                     (status >= 400 && !json_is_string(json_object_get(
                         json_object_get(doc, "error"), "code")))))
        abort();
    if (status == 500 && !out.oom)
        abort();              /* no handler may fail but for memory */
    json_decref(doc);
    kf_buf_free(&out);
    return 0;
}
