/*
 * journal.c — the journal's figures:
 *   1. check-ins per second written durably: one kf_store_add_checkin() per
 *      check-in, each its own transaction, synchronous=FULL (the store's
 *      setting: the WAL is fsynced before the call returns); the same rows
 *      written with synchronous=NORMAL beside it, to show what FULL costs;
 *   2. size on disk per 1,000 check-ins (realistic rows, after close);
 *   3. time to compute the revised plan from a year of daily check-ins:
 *      reading the consultation and 365 check-ins from the store plus
 *      kf_journal_revise() (what `knotfinder plan` does before printing),
 *      and the text rendering on top.
 *
 *   journal [--kb DIR] [--dir DIR] [--n N] [--runs R]
 *
 * Leaves DIR/year.db (the year of check-ins) for bench/journal/run.sh to
 * time the whole `knotfinder plan` command on.
 */
#include "journal.h"
#include "render.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pctl(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static long long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

static const char *const dids[] = {
    "tennis_ball", "lat_pinch", "heat", "doorway_chest_stretch",
    "tender_point_hold,heat", "", "massage", "shoulder_blade_squeeze", ""
};
static const char *const notes[] = {
    "", "long day at the desk", "better after the walk", "",
    "woke up with it again", "", "slept on the left side", ""
};

/* A plausible check-in number i, at time t. */
static kf_checkin make(long i, long long t)
{
    kf_checkin c = { .pain = (int)(7 - (i * 3) / 365 + (i % 3)) % 11,
                     .pain_before = -1, .relief_hours = -1, .done_s = -1,
                     .region = "medial_border", .side = KF_SIDE_RIGHT,
                     .via = "cli" };
    if (c.pain < 0)
        c.pain = 0;
    kf_time_format(t, c.at);
    c.did = dids[i % KF_ARRAY_LEN(dids)];
    if (*c.did)
        c.relief_hours = (double)((i * 7) % 30) / 2;   /* 0 .. 14.5 h */
    if (i % 23 == 0)
        c.worse_after = "heat";
    c.note = notes[i % KF_ARRAY_LEN(notes)];
    return c;
}

/* Writes n check-ins through the store; per-commit times into lat. */
static double write_store(const char *path, int n, double *lat)
{
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    if (kf_store_open(path, &s, &err) != KF_OK) {
        fprintf(stderr, "%s\n", err.s);
        exit(1);
    }
    long long t0 = (long long)time(NULL) - n * 60LL;
    double start = now_ms();
    for (int i = 0; i < n; i++) {
        kf_checkin c = make(i, t0 + i * 60LL);
        double a = now_ms();
        if (kf_store_add_checkin(s, &c, NULL, &err) != KF_OK) {
            fprintf(stderr, "%s\n", err.s);
            exit(1);
        }
        lat[i] = now_ms() - a;
    }
    double ms = now_ms() - start;
    kf_store_close(s);
    kf_buf_free(&err);
    return ms;
}

/* The same rows on the same schema with synchronous=NORMAL, for contrast. */
static double write_normal(const char *path, int n)
{
    kf_store *s = NULL;
    if (kf_store_open(path, &s, NULL) != KF_OK)
        exit(1);
    kf_store_close(s);                 /* schema made by the store */
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
                 NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO checkins (at, pain, region, side, did, "
                       "relief_hours, worse_after, via, note) VALUES "
                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &st, NULL);
    long long t0 = (long long)time(NULL) - n * 60LL;
    double start = now_ms();
    for (int i = 0; i < n; i++) {
        kf_checkin c = make(i, t0 + i * 60LL);
        sqlite3_bind_text(st, 1, c.at, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, c.pain);
        sqlite3_bind_text(st, 3, c.region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, "right", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, c.did, -1, SQLITE_STATIC);
        if (c.relief_hours >= 0)
            sqlite3_bind_double(st, 6, c.relief_hours);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_text(st, 7, c.worse_after ? c.worse_after : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, "cli", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, c.note, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            exit(1);
        sqlite3_reset(st);
    }
    double ms = now_ms() - start;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ms;
}

/* A year of daily check-ins after a consultation; returns the store. */
static kf_store *make_year(const kf_kb *kb, const char *path)
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
        fprintf(stderr, "cannot save the consultation: %s\n", err.s ? err.s : "");
        exit(1);
    }
    kf_result_free(r);
    kf_findings_free(&f);
    kf_store *s = NULL;
    if (kf_store_open(path, &s, &err) != KF_OK)
        exit(1);
    long long t0 = (long long)time(NULL) - 366 * 86400LL;
    for (int d = 0; d < 365; d++) {
        kf_checkin c = make(d, t0 + d * 86400LL + 8 * 3600);
        if (kf_store_add_checkin(s, &c, NULL, &err) != KF_OK) {
            fprintf(stderr, "%s\n", err.s);
            exit(1);
        }
    }
    kf_buf_free(&err);
    return s;
}

int main(int argc, char **argv)
{
    const char *kbdir = getenv("KNOTFINDER_KB");
    const char *dir = "/tmp";
    int n = 2000, runs = 50;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kb") && i + 1 < argc)        kbdir = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)  dir = argv[++i];
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)    n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: journal [--kb DIR] [--dir DIR] [--n N] [--runs R]\n");
            return 1;
        }
    }
    if (n < 100)
        n = 100;
    if (runs < 1)
        runs = 1;
    char p1[1024], p2[1024], p3[1024];
    snprintf(p1, sizeof p1, "%s/rate-full.db", dir);
    snprintf(p2, sizeof p2, "%s/rate-normal.db", dir);
    snprintf(p3, sizeof p3, "%s/year.db", dir);
    unlink(p1);
    unlink(p2);

    /* 1 and 2. */
    double *lat = malloc((size_t)n * sizeof *lat);
    double ms = write_store(p1, n, lat);
    printf("durable writes (synchronous=FULL, one transaction each, %d check-ins):\n"
           "  %.0f check-ins/s; per commit median %.2f ms, p99 %.2f ms\n",
           n, n / (ms / 1e3), pctl(lat, n, 0.5), pctl(lat, n, 0.99));
    double msn = write_normal(p2, n);
    printf("  for contrast, synchronous=NORMAL (not durable on power loss): "
           "%.0f check-ins/s\n", n / (msn / 1e3));
    long long bytes = file_size(p1);
    char wal[1100];
    snprintf(wal, sizeof wal, "%s-wal", p1);
    printf("size on disk: %lld bytes for %d check-ins (+%lld in -wal after "
           "close) = %.1f KB per 1,000 check-ins\n", bytes, n, file_size(wal),
           (double)(bytes + file_size(wal)) / n * 1000 / 1024);
    free(lat);

    /* 3. */
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(kbdir && *kbdir ? kbdir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "cannot load the KB:\n%s", errs.s ? errs.s : "");
        return 1;
    }
    kf_store *s = make_year(kb, p3);
    double *t_rev = malloc((size_t)runs * sizeof *t_rev);
    double *t_all = malloc((size_t)runs * sizeof *t_all);
    int changes = 0, used = 0;
    for (int k = 0; k < runs; k++) {
        double a = now_ms();
        kf_findings base;
        kf_findings_init(&base);
        kf_checkin_list l;
        kf_revision *rev = NULL;
        if (kf_journal_latest_findings(s, kb, &base, NULL, NULL, &errs) != KF_OK ||
            kf_store_list_checkins(s, NULL, 0, &l, &errs) != KF_OK ||
            kf_journal_revise(kb, &base, l.v, l.n, &rev) != KF_OK) {
            fprintf(stderr, "revision failed: %s\n", errs.s ? errs.s : "");
            return 1;
        }
        double b = now_ms();
        kf_buf out;
        kf_buf_init(&out);
        kf_render_text(kb, rev->after, NULL, &out, 80);
        kf_revision_text(kb, rev, &out, 80);
        double c = now_ms();
        t_rev[k] = b - a;
        t_all[k] = c - a;
        changes = rev->n_changes;
        used = rev->fu.n_used;
        kf_buf_free(&out);
        kf_revision_free(rev);
        kf_checkin_list_free(&l);
        kf_findings_free(&base);
    }
    printf("revised plan from a year of daily check-ins (365 in the store, %d in "
           "the %d-day window, %d changes explained), median of %d runs:\n"
           "  read + revise %.2f ms (p99 %.2f); with the text rendering %.2f ms\n",
           used, KF_JOURNAL_WINDOW_D, changes, runs, pctl(t_rev, runs, 0.5),
           pctl(t_rev, runs, 0.99), pctl(t_all, runs, 0.5));
    free(t_rev);
    free(t_all);
    kf_store_close(s);
    kf_kb_free(kb);
    kf_buf_free(&errs);
    return 0;
}
