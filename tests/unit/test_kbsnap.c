/* test_kbsnap.c — the KB snapshot (kb.c): a load after a load from the
 * text maps the snapshot and gives the same KB; a changed, broken or
 * removed file, a damaged snapshot and KNOTFINDER_KB_CACHE=off all mean the
 * text is read, with its file:line messages.  Uses a copy of the real KB
 * (kb/, or $KNOTFINDER_KB) and a cache folder of its own. */
#include "check.h"
#include "kb.h"
#include "kb_export.h"
#include "text.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/kf-test-kbsnap-XXXXXX";
static char kbdir[300], cache[300];

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    if (system(cmd) != 0)
        fprintf(stderr, "failed: %s\n", cmd);
}

/* How many snapshots the cache folder holds; the first one's path. */
static int snapshots(char *first, size_t n)
{
    char d[400];
    snprintf(d, sizeof d, "%s/knotfinder", cache);
    DIR *dd = opendir(d);
    int k = 0;
    struct dirent *e;
    while (dd && (e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".snap")) {
            if (!k && first)
                snprintf(first, n, "%s/%s", d, e->d_name);
            k++;
        }
    }
    if (dd)
        closedir(dd);
    return k;
}

/* The KB as JSON, and what the reader makes of a few descriptions: two
 * loads that give the same string are the same KB for every use. */
static char *describe(const kf_kb *kb)
{
    json_t *j = kf_kb_export_json(kb);
    char *s = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(j);
    kf_buf b;
    kf_buf_init(&b);
    kf_buf_puts(&b, s ? s : "(no export)");
    free(s);
    static const char *const texts[] = {
        "I'm 34 and a knot between my right shoulder blade and spine keeps coming back; "
        "massage helps for a few hours. I use a mouse all day.",
        "no fever, not numb, my neck doesn't hurt but my left trap is tight from the sholder bag",
        "crushing pressure in my chest and my left arm feels heavy",
    };
    for (size_t i = 0; i < KF_ARRAY_LEN(texts); i++) {
        kf_findings f;
        kf_findings_init(&f);
        kf_text_read(kb, texts[i], strlen(texts[i]), &f, NULL);
        for (int k = 0; k < f.n; k++)
            kf_buf_printf(&b, " %s:%d:%d:%d+%d", kb->findings[f.v[k].finding].id,
                          f.v[k].state, f.v[k].side, f.v[k].start, f.v[k].len);
        kf_buf_printf(&b, " age %d |", f.age);
        kf_findings_free(&f);
    }
    return b.s;
}

static char *reference;     /* describe() of the KB read from the text */

/* Two descriptions are the same (a failure says where they part, not the
 * megabyte of both). */
#define SAME(a, b) do { const char *_x = (a), *_y = (b); \
    if (!_x || !_y || strcmp(_x, _y)) { size_t _i = 0; \
        while (_x && _y && _x[_i] && _x[_i] == _y[_i]) _i++; \
        fprintf(stderr, "%s:%d: %s and %s differ at byte %zu: \"%.60s\" / \"%.60s\"\n", \
                __FILE__, __LINE__, #a, #b, _i, _x ? _x + _i : "(null)", \
                _y ? _y + _i : "(null)"); \
        check_cur_failed = 1; } } while (0)

/* describe() of the KB as the text in kbdir now reads. */
static char *from_text(void)
{
    kf_kb *kb = NULL;
    if (kf_kb_load_from_text(kbdir, &kb, NULL) != KF_OK)
        return NULL;
    char *d = describe(kb);
    kf_kb_free(kb);
    return d;
}

static kf_kb *load(kf_err want, kf_buf *errs)
{
    kf_kb *kb = NULL;
    CHECK_INT(kf_kb_load(kbdir, &kb, errs), want);
    return kb;
}

static void test_roundtrip(void)
{
    kf_kb *a = load(KF_OK, NULL);
    CHECK(a && !kf_kb_from_snapshot(a));
    CHECK_INT(snapshots(NULL, 0), 1);
    kf_kb *b = load(KF_OK, NULL);
    CHECK(b && kf_kb_from_snapshot(b));
    char *da = a ? describe(a) : NULL, *db = b ? describe(b) : NULL;
    SAME(da, reference);
    SAME(db, reference);
    CHECK_STR(a ? a->version : "", b ? b->version : "-");
    /* a second snapshot load while b holds the snapshot's own address
     * space: mapped elsewhere, its pointers moved, the same KB */
    kf_kb *m = load(KF_OK, NULL);
    CHECK(m && kf_kb_from_snapshot(m) && m != b);
    char *dm = m ? describe(m) : NULL;
    SAME(dm, reference);
    free(dm);
    kf_kb_free(m);
    free(da);
    free(db);
    kf_kb_free(a);
    kf_kb_free(b);
    /* kb check's load reads the text, whatever the cache holds */
    kf_kb *c = NULL;
    CHECK_INT(kf_kb_load_from_text(kbdir, &c, NULL), KF_OK);
    CHECK(c && !kf_kb_from_snapshot(c));
    kf_kb_free(c);
}

static void test_changed_text(void)
{
    /* a comment more: another KB version, read from the text, then a new
     * snapshot in place of the old one (same folder, same build) */
    sh("printf '# one more line\\n' >>'%s/60-lexicon-places.kb'%s", kbdir, "");
    kf_kb *a = load(KF_OK, NULL);
    CHECK(a && !kf_kb_from_snapshot(a));
    kf_kb *b = load(KF_OK, NULL);
    CHECK(b && kf_kb_from_snapshot(b));
    CHECK_INT(snapshots(NULL, 0), 1);
    kf_kb_free(a);
    kf_kb_free(b);
    /* a broken line: the text's message with its file and line, though a
     * snapshot of the files before is there */
    sh("printf 'this is not a key\\n' >>'%s/60-lexicon-places.kb'%s", kbdir, "");
    kf_buf errs;
    kf_buf_init(&errs);
    kf_kb *c = load(KF_EPARSE, &errs);
    CHECK(c == NULL);
    CHECK_CONTAINS(errs.s, "60-lexicon-places.kb:");
    CHECK_CONTAINS(errs.s, "expected 'key = value'");
    kf_buf_free(&errs);
    /* a file renamed: other names, read from the text */
    sh("sed -i '$d' '%s/60-lexicon-places.kb'%s", kbdir, "");
    kf_kb *d = load(KF_OK, NULL);
    CHECK(d && kf_kb_from_snapshot(d));
    kf_kb_free(d);
    sh("mv '%s/69-lexicon-neutral.kb' '%s/68-lexicon-neutral.kb'", kbdir, kbdir);
    kf_kb *e = load(KF_OK, NULL);
    CHECK(e && !kf_kb_from_snapshot(e));
    kf_kb_free(e);
}

/* Damage of every kind: the text is read, and the KB is the same. */
static void test_damaged(void)
{
    char snap[600];
    char *now = from_text();
    kf_kb *a = load(KF_OK, NULL);
    kf_kb_free(a);
    CHECK_INT(snapshots(snap, sizeof snap), 1);
    struct stat st;
    CHECK_INT(stat(snap, &st), 0);
    off_t where[] = { 10, 100, st.st_size / 3, st.st_size / 2, st.st_size - 3 };
    for (size_t i = 0; i < KF_ARRAY_LEN(where); i++) {
        kf_kb *k = load(KF_OK, NULL);      /* a good snapshot again */
        CHECK(k && kf_kb_from_snapshot(k));
        kf_kb_free(k);
        int fd = open(snap, O_RDWR);
        unsigned char c = 0;
        CHECK(pread(fd, &c, 1, where[i]) == 1);
        c ^= 0x41;
        CHECK(pwrite(fd, &c, 1, where[i]) == 1);
        close(fd);
        k = load(KF_OK, NULL);
        CHECK(k && !kf_kb_from_snapshot(k));
        char *d = k ? describe(k) : NULL;
        SAME(d, now);
        free(d);
        kf_kb_free(k);
    }
    /* cut short, and empty */
    CHECK_INT(truncate(snap, st.st_size / 2), 0);
    kf_kb *k = load(KF_OK, NULL);
    CHECK(k && !kf_kb_from_snapshot(k));
    kf_kb_free(k);
    CHECK_INT(truncate(snap, 0), 0);
    k = load(KF_OK, NULL);
    CHECK(k && !kf_kb_from_snapshot(k));
    kf_kb_free(k);
    k = load(KF_OK, NULL);
    CHECK(k && kf_kb_from_snapshot(k));
    char *d = k ? describe(k) : NULL;
    SAME(d, now);
    free(d);
    free(now);
    kf_kb_free(k);
}

static void test_off_and_cleaning(void)
{
    char snap[600];
    sh("rm -rf '%s/knotfinder'%s", cache, "");
    setenv("KNOTFINDER_KB_CACHE", "off", 1);
    kf_kb *a = load(KF_OK, NULL);
    CHECK(a && !kf_kb_from_snapshot(a));
    kf_kb_free(a);
    CHECK_INT(snapshots(NULL, 0), 0);
    unsetenv("KNOTFINDER_KB_CACHE");
    /* a second folder's snapshot; the folder goes; the next snapshot
     * written removes it */
    char other[400];
    snprintf(other, sizeof other, "%s/other", tmp);
    sh("cp -r '%s' '%s'", kbdir, other);
    kf_kb *b = NULL;
    CHECK_INT(kf_kb_load(other, &b, NULL), KF_OK);
    kf_kb_free(b);
    CHECK_INT(snapshots(snap, sizeof snap), 1);
    sh("rm -rf '%s'%s", other, "");
    a = load(KF_OK, NULL);
    kf_kb_free(a);
    CHECK_INT(snapshots(NULL, 0), 1);
    CHECK(access(snap, F_OK) != 0);
    /* the snapshot is the user's alone */
    CHECK_INT(snapshots(snap, sizeof snap), 1);
    struct stat st;
    CHECK(stat(snap, &st) == 0 && (st.st_mode & 077) == 0);
}

int main(void)
{
    const char *src = getenv("KNOTFINDER_KB") ? getenv("KNOTFINDER_KB") : "kb";
    if (!mkdtemp(tmp))
        return 1;
    snprintf(kbdir, sizeof kbdir, "%s/kb", tmp);
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    sh("cp -r '%s' '%s'", src, kbdir);
    setenv("XDG_CACHE_HOME", cache, 1);
    unsetenv("KNOTFINDER_KB_CACHE");
    kf_kb *kb = NULL;
    setenv("KNOTFINDER_KB_CACHE", "off", 1);
    if (kf_kb_load(kbdir, &kb, NULL) != KF_OK) {
        fprintf(stderr, "cannot load %s\n", kbdir);
        return 1;
    }
    unsetenv("KNOTFINDER_KB_CACHE");
    reference = describe(kb);
    kf_kb_free(kb);
    RUN(test_roundtrip);
    RUN(test_changed_text);
    RUN(test_damaged);
    RUN(test_off_and_cleaning);
    free(reference);
    sh("rm -rf '%s'%s", tmp, "");
    return CHECK_DONE();
}
