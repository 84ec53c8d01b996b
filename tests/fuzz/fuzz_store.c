/* fuzz_store.c — libFuzzer harness for rows read back from a hostile
 * journal: a file with knotfinder's application id and schema version but
 * tables without STRICT or CHECK (anyone who can write the file can make
 * it so), whose rows the input fills with values of any type — integers
 * out of range, reals, NaN-like text, blobs, NULLs, invalid UTF-8, huge or
 * malformed findings JSON.  Then everything that reads them runs: the
 * lists, the latest consultation's findings and its result worked out
 * again, the follow-up evidence and the revised plan, the chart, the JSON
 * and CSV exports.  Build and run with tests/fuzz/run.sh. */
#include "journal.h"
#include "render.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static kf_kb *kb;
static char path[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "fuzz_store: cannot load the KB:\n%s", errs.s ? errs.s : "");
        exit(1);
    }
    kf_buf_free(&errs);
    snprintf(path, sizeof path, "%s/kf-fuzz-store-%ld.db",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    return 0;
}

typedef struct { const unsigned char *p; size_t n; } reader;

static unsigned take(reader *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

/* Binds column i of a row from the input: its type from one byte, then its
 * value. */
static void bind_value(sqlite3_stmt *st, int i, reader *r)
{
    unsigned t = take(r);
    switch (t % 6) {
    case 0: sqlite3_bind_null(st, i); break;
    case 1: {
        unsigned long long u = 0;
        for (int k = 0; k < 8; k++)
            u = (u << 8) | take(r);
        long long v;
        memcpy(&v, &u, sizeof v);
        sqlite3_bind_int64(st, i, t & 0x40 ? v : (long long)(signed char)(u & 0xff));
        break;
    }
    case 2: {
        double d = (double)(signed char)take(r) * (t & 0x40 ? 1e300 : 0.37);
        sqlite3_bind_double(st, i, d);
        break;
    }
    case 3:
    case 4: {
        size_t len = take(r);
        if (t & 0x80)
            len = len * 64;
        if (len > r->n)
            len = r->n;
        if (t % 6 == 3)
            sqlite3_bind_text(st, i, (const char *)r->p, (int)len, SQLITE_TRANSIENT);
        else
            sqlite3_bind_blob(st, i, r->p, (int)len, SQLITE_TRANSIENT);
        r->p += len;
        r->n -= len;
        break;
    }
    default: {
        /* Well-formed words, to reach further than random bytes do. */
        static const char *const w[] = {
            "2024-05-01T08:30:00Z", "medial_border", "right", "tennis_ball,heat",
            "heat", "web", "{\"findings\":[{\"id\":\"pain_medial_border\",\"state\":\"present\"}],"
            "\"facts\":{\"age\":2147483648,\"duration_days\":-5}}",
            "{\"findings\":\"x\"}", "[]", "", "9999-12-31T23:59:59Z", "both",
        };
        const char *s = w[take(r) % KF_ARRAY_LEN(w)];
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
        break;
    }
    }
}

static json_t *result_of(const kf_consultation *c, void *ctx)
{
    kf_result *r = NULL;
    kf_buf why;
    kf_buf_init(&why);
    json_t *j = NULL;
    if (kf_journal_consultation_result(kb, c, &r, &why) == KF_OK)
        j = kf_result_json(kb, r, c->text);
    kf_result_free(r);
    kf_buf_free(&why);
    return j;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    reader r = { data, size };
    unlink(path);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    char *sql = sqlite3_mprintf(
        "PRAGMA application_id = %d;"
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT);"
        "INSERT INTO schema_version VALUES (1, 'x'), (2, 'y'), (3, 'z');"
        "CREATE TABLE consultations (id INTEGER PRIMARY KEY, at, text, findings, kb_version,"
        " owner DEFAULT 0);"
        "CREATE TABLE checkins (id INTEGER PRIMARY KEY, at, pain, pain_before, region, side,"
        " did, relief_hours, worse_after, done_s, stopped_early, via, note, owner DEFAULT 0);",
        0x4b6e6f74);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    sqlite3_stmt *ins_c = NULL, *ins_k = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT INTO consultations (at, text, findings, "
                                "kb_version) VALUES (?, ?, ?, ?)", -1, &ins_c, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT INTO checkins (at, pain, pain_before, region,"
                                " side, did, relief_hours, worse_after, done_s,"
                                " stopped_early, via, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &ins_k, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (int row = 0; rc == SQLITE_OK && r.n && row < 64; row++) {
        bool cons = take(&r) & 1;
        sqlite3_stmt *st = cons ? ins_c : ins_k;
        int cols = cons ? 4 : 12;
        for (int i = 1; i <= cols; i++)
            bind_value(st, i, &r);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(ins_c);
    sqlite3_finalize(ins_k);
    sqlite3_close(db);
    if (rc != SQLITE_OK)
        return 0;

    kf_store *s = NULL;
    if (kf_store_open(path, &s, NULL) != KF_OK)
        return 0;
    kf_checkin_list ci;
    kf_consultation_list co;
    if (kf_store_list_checkins(s, NULL, 0, &ci, NULL) == KF_OK) {
        for (int i = 0; i < ci.n; i++)
            json_decref(kf_checkin_json(&ci.v[i]));
        kf_findings base;
        kf_findings_init(&base);
        kf_buf err;
        kf_buf_init(&err);
        kf_journal_latest_findings(s, kb, &base, NULL, NULL, &err);
        kf_revision *rev = NULL;
        if (kf_journal_revise(kb, &base, ci.v, ci.n, &rev) == KF_OK) {
            json_decref(kf_revision_json(kb, rev));
            kf_buf t;
            kf_buf_init(&t);
            kf_revision_text(kb, rev, &t, 80);
            kf_buf_free(&t);
        }
        kf_revision_free(rev);
        kf_pain_day *d = NULL;
        int nd = kf_journal_days(ci.v, ci.n, 366, &d);
        if (nd > 0) {
            kf_buf svg;
            kf_buf_init(&svg);
            kf_journal_chart_svg(d, nd, &svg);
            kf_journal_chart_text(d, nd, 80, &svg);
            kf_buf_free(&svg);
        }
        kf_free(d);
        kf_findings_free(&base);
        kf_buf_free(&err);
        kf_checkin_list_free(&ci);
    }
    if (kf_store_list_consultations(s, 20, &co, NULL) == KF_OK) {
        for (int i = 0; i < co.n; i++)
            json_decref(result_of(&co.v[i], NULL));
        kf_consultation_list_free(&co);
    }
    kf_buf out;
    kf_buf_init(&out);
    kf_store_export(s, KF_EXPORT_JSON, result_of, NULL, &out, NULL);
    out.len = 0;
    kf_store_export(s, KF_EXPORT_CSV, result_of, NULL, &out, NULL);
    kf_buf_free(&out);
    kf_store_close(s);
    return 0;
}
