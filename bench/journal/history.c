/*
 * history.c — what the revised plan costs against the length of the
 * history (issue 14: the same for 1 year and 20 years of daily check-ins,
 * +-20%).
 *
 *   history --make DAYS DB     a journal of one consultation and DAYS daily
 *                              check-ins up to now (one transaction; the
 *                              store makes the schema)
 *   history --plan DB [--all]  what `knotfinder plan` computes once the
 *                              store is open: the latest consultation's
 *                              findings, the check-ins, the revision, in
 *                              plan_cost() (for callgrind's --toggle-collect);
 *                              --all reads every check-in (the old way)
 *                              instead of the 90-day window
 *
 * bench/journal/history.sh runs it under callgrind and prints the figures.
 */
#include "journal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const dids[] = {
    "tennis_ball", "lat_pinch", "heat", "doorway_chest_stretch",
    "tender_point_hold,heat", "", "massage", "shoulder_blade_squeeze", ""
};

static int make(const kf_kb *kb, int days, const char *path)
{
    unlink(path);
    kf_findings f;
    kf_findings_init(&f);
    const char *ids[] = { "pain_medial_border", "does_mousing", "sits_long",
                          "knot_recurring" };
    for (size_t i = 0; i < KF_ARRAY_LEN(ids); i++) {
        int fd = kf_kb_finding(kb, ids[i]);
        if (fd < 0)
            continue;
        kf_fact x = { .finding = fd, .state = KF_PRESENT, .origin = KF_FROM_TEXT,
                      .side = kb->findings[fd].sided ? KF_SIDE_RIGHT : KF_SIDE_NONE,
                      .alt = -1, .start = -1 };
        kf_findings_add(&f, &x);
    }
    kf_result *r = kf_consult(kb, &f);
    kf_buf err;
    kf_buf_init(&err);
    if (!r || kf_journal_save_consultation(path, kb, "a knot between my right "
                                           "shoulder blade and spine", r, &err)) {
        fprintf(stderr, "history: cannot save the consultation: %s\n", err.s ? err.s : "");
        return 1;
    }
    kf_result_free(r);
    kf_findings_free(&f);
    kf_buf_free(&err);
    /* The rows straight into the store's schema, in one transaction: a
     * 20-year journal written one durable check-in at a time would take
     * minutes and measure nothing more. */
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO checkins (at, pain, region, side, did, "
                           "relief_hours, worse_after, via, note) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "history: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    long long t0 = (long long)time(NULL) - (long long)days * 86400 - 3600;
    for (int d = 0; d < days; d++) {
        char at[KF_TIME_LEN];
        kf_time_format(t0 + d * 86400LL + 8 * 3600, at);
        const char *did = dids[d % KF_ARRAY_LEN(dids)];
        sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, 2 + (d * 3) % 7);
        sqlite3_bind_text(st, 3, "medial_border", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, "right", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, did, -1, SQLITE_STATIC);
        if (*did)
            sqlite3_bind_double(st, 6, (double)((d * 7) % 30) / 2);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_text(st, 7, d % 23 == 0 ? "heat" : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, "cli", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, d % 4 ? "" : "long day at the desk", -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "history: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "history: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_close(db);
    return 0;
}

/* The measured part; its digest goes to stdout so both ways can be
 * compared.  noinline: callgrind counts it by name. */
__attribute__((noinline)) static int plan_cost(kf_store *s, const kf_kb *kb, bool all,
                                               int *used, int *read, int *changes)
{
    kf_findings base;
    kf_findings_init(&base);
    kf_checkin_list l = { 0 };
    kf_revision *rev = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_journal_latest_findings(s, kb, &base, NULL, NULL, &err);
    if (e == KF_OK)
        e = all ? kf_store_list_checkins(s, NULL, 0, &l, &err) : kf_journal_window(s, kb, &l, &err);
    if (e == KF_OK)
        e = kf_journal_revise(kb, &base, l.v, l.n, &rev);
    if (e == KF_OK) {
        *used = rev->fu.n_used;
        *read = l.n;
        *changes = rev->n_changes;
    } else {
        fprintf(stderr, "history: %s %s\n", kf_strerror(e), err.s ? err.s : "");
    }
    kf_revision_free(rev);
    kf_checkin_list_free(&l);
    kf_findings_free(&base);
    kf_buf_free(&err);
    return e == KF_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *kbdir = getenv("KNOTFINDER_KB") && *getenv("KNOTFINDER_KB")
                      ? getenv("KNOTFINDER_KB") : "kb";
    int days = 0;
    const char *db = NULL;
    bool plan = false, all = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--make") && i + 2 < argc) {
            days = atoi(argv[++i]);
            db = argv[++i];
        } else if (!strcmp(argv[i], "--plan") && i + 1 < argc) {
            plan = true;
            db = argv[++i];
        } else if (!strcmp(argv[i], "--all")) {
            all = true;
        } else if (!strcmp(argv[i], "--kb") && i + 1 < argc) {
            kbdir = argv[++i];
        } else {
            db = NULL;
            break;
        }
    }
    if (!db || (!plan && days < 1)) {
        fprintf(stderr, "usage: history --make DAYS DB | --plan DB [--all]  [--kb DIR]\n");
        return 2;
    }
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(kbdir, &kb, &errs) != KF_OK) {
        fprintf(stderr, "history: cannot load the KB:\n%s", errs.s ? errs.s : "");
        return 1;
    }
    kf_buf_free(&errs);
    int rc;
    if (!plan) {
        rc = make(kb, days, db);
    } else {
        kf_store *s = NULL;
        kf_buf err;
        kf_buf_init(&err);
        if (kf_store_open(db, &s, &err) != KF_OK) {
            fprintf(stderr, "history: %s\n", err.s ? err.s : "cannot open");
            return 1;
        }
        kf_buf_free(&err);
        int used = 0, read = 0, changes = 0;
        rc = plan_cost(s, kb, all, &used, &read, &changes);
        if (!rc)
            printf("read %d check-ins, %d in the window, %d changes\n", read, used, changes);
        kf_store_close(s);
    }
    kf_kb_free(kb);
    return rc;
}
