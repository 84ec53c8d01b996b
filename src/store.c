/*
 * store.c — the journal's storage interface: the public calls of store.h,
 * dispatched to a backend (store_sqlite.c for a file path, store_pg.c for a
 * postgres:// or postgresql:// URI) through the vtable of store_impl.h.
 *
 * Every public call checks its arguments here, takes the store's mutex and
 * calls the backend; what does not depend on the backend (time, validation,
 * the check-in JSON, export formatting, the arena a list's strings live in)
 * is written once, here.
 */
#include "store_impl.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* The arena of a list's strings. */

static void arena_free(kf__arena *a)
{
    if (!a)
        return;
    kf_arena_free(a);
    kf_free(a);
}

/* ------------------------------------------------------------------ */
/* Lists: the rows' array, which the backends fill (store_impl.h), and
 * the calls that make and free a list. */

void *kf__list_push(void *vp, int *n, int *cap, size_t size)
{
    char *v;
    memcpy(&v, vp, sizeof v);
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        char *nv = kf_realloc(v, (size_t)nc * size);
        if (!nv)
            return NULL;
        v = nv;
        memcpy(vp, &v, sizeof v);
        *cap = nc;
    }
    char *row = v + (size_t)*n * size;
    memset(row, 0, size);
    (*n)++;
    return row;
}

kf_err kf__list_oom(const kf__store_core *c, const char *what, kf_buf *err)
{
    if (err)
        kf_buf_printf(err, "%s: cannot read %s: out of memory", c->path, what);
    return KF_ENOMEM;
}

/* Runs `call` with the core's mutex held. */
#define LOCKED(s, call) do { \
        core_lock((s)->core); \
        e = (call); \
        core_unlock((s)->core); \
    } while (0)

/* A list call: empties *out (a list of store.h), makes the arena `a` its
 * strings go to, runs `call` (a backend's, filling *out from `a`) with the
 * mutex held and frees the list when that fails.  Sets `e`. */
#define LIST_CALL(s, out, what, list_free, call) do { \
        memset((out), 0, sizeof *(out)); \
        kf__arena *a = kf_calloc(1, sizeof *a); \
        if (!a) { \
            e = kf__list_oom((s)->core, (what), err); \
            break; \
        } \
        LOCKED(s, call); \
        (out)->priv = a; \
        if (e != KF_OK) \
            list_free(out); \
    } while (0)

/* The body of every list's free function. */
#define LIST_FREE(l) do { \
        if (!(l)) \
            return; \
        kf_free((l)->v); \
        arena_free((l)->priv); \
        memset((l), 0, sizeof *(l)); \
    } while (0)

/* ------------------------------------------------------------------ */
/* Time. */

void kf_time_format(long long t, char out[KF_TIME_LEN])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) ||
        strftime(out, KF_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) != KF_TIME_LEN - 1)
        snprintf(out, KF_TIME_LEN, "1970-01-01T00:00:00Z");
}

void kf_time_now(char out[KF_TIME_LEN])
{
    kf_time_format((long long)time(NULL), out);
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool kf_time_parse_utc(const char *s, long long *t)
{
    if (!s || strlen(s) != KF_TIME_LEN - 1 || !digits(s, 4) || s[4] != '-' ||
        !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) || s[10] != 'T' ||
        !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
        s[16] != ':' || !digits(s + 17, 2) || s[19] != 'Z')
        return false;
    struct tm tm = { 0 };
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 59 || tm.tm_year < 70)
        return false;
    time_t v = timegm(&tm);
    /* timegm normalises 31 February into March: round-trip to refuse it. */
    char back[KF_TIME_LEN];
    kf_time_format((long long)v, back);
    if (strcmp(back, s) != 0)
        return false;
    if (t)
        *t = (long long)v;
    return true;
}

/* ------------------------------------------------------------------ */
/* Validation, shared by every backend. */

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n;
        unsigned min;
        unsigned cp;
        if ((*p & 0xE0) == 0xC0)      { n = 1; cp = *p & 0x1F; min = 0x80; }
        else if ((*p & 0xF0) == 0xE0) { n = 2; cp = *p & 0x0F; min = 0x800; }
        else if ((*p & 0xF8) == 0xF0) { n = 3; cp = *p & 0x07; min = 0x10000; }
        else return false;
        p++;
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (*p & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
    }
    return true;
}

/* KF_ETOOBIG, saying so, when `s` is longer than `max` bytes; its length
 * in *n. */
static kf_err check_len(const char *what, const char *s, size_t max,
                        size_t *n, kf_buf *err)
{
    *n = strlen(s);
    if (*n > max) {
        if (err)
            kf_buf_printf(err, "%s is too long: %zu bytes, at most %zu", what,
                          *n, max);
        return KF_ETOOBIG;
    }
    return KF_OK;
}

/* Word-at-a-time tests of 8 bytes (the text's ASCII is checked 8 bytes at
 * a step: a consultation's words and findings are checked at every save,
 * byte by byte ~3,400 instructions for an article case's words). */
#define KF__ONES  0x0101010101010101ull
#define KF__HIGHS 0x8080808080808080ull
static inline uint64_t load8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}
/* Any byte of `w` below `n` (n <= 128)?  Exact when no byte has its high
 * bit set. */
static inline bool any_below(uint64_t w, unsigned n)
{
    return ((w - KF__ONES * n) & ~w & KF__HIGHS) != 0;
}

/* Free words: valid UTF-8, no control characters but tab and newline.
 * One pass over the text for both (a consultation's words are checked at
 * every save): the first control character is remembered and reported
 * only when the whole text is valid UTF-8, so the sentence is the one two
 * passes (UTF-8, then control characters) would give. */
static kf_err check_words(const char *what, const char *s, size_t max,
                          kf_buf *err)
{
    if (!s)
        return KF_OK;
    size_t n;
    kf_err e = check_len(what, s, max, &n, err);
    if (e != KF_OK)
        return e;
    const unsigned char *p = (const unsigned char *)s;
    size_t ctl = (size_t)-1;             /* the first control character */
    bool valid = true;
    for (size_t i = 0; i < n;) {
        if (i + 8 <= n) {
            uint64_t w = load8(p + i);
            if (!(w & KF__HIGHS) && !any_below(w, 0x20)) {
                i += 8;                  /* 8 printable ASCII bytes */
                continue;
            }
        }
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x80) {
            i++;
            continue;
        }
        if (c < 0x20) {
            if (c != '\n' && c != '\t' && c != '\r' && ctl == (size_t)-1)
                ctl = i;
            i++;
            continue;
        }
        int k;
        unsigned min, cp;
        if ((c & 0xE0) == 0xC0)      { k = 1; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { k = 3; cp = c & 0x07; min = 0x10000; }
        else { valid = false; break; }
        i++;
        for (int j = 0; j < k; j++, i++) {
            if (i >= n || (p[i] & 0xC0) != 0x80) {
                valid = false;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (!valid || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            valid = false;
            break;
        }
    }
    if (!valid) {
        if (err)
            kf_buf_printf(err, "%s is not valid UTF-8 text", what);
        return KF_EINVAL;
    }
    if (ctl != (size_t)-1) {
        if (err)
            kf_buf_printf(err, "%s holds a control character at byte %zu", what, ctl + 1);
        return KF_EINVAL;
    }
    return KF_OK;
}

/* Id lists: lower-case letters, digits and _ - : , and spaces. */
static kf_err check_ids(const char *what, const char *s, size_t max,
                        kf_buf *err)
{
    if (!s)
        return KF_OK;
    size_t n;
    kf_err e = check_len(what, s, max, &n, err);
    if (e != KF_OK)
        return e;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == ':' || ch == ',' || ch == ' ')) {
            if (err)
                kf_buf_printf(err, "%s may hold only lower-case letters, digits, "
                              "'_' and commas (found '%c' at byte %zu)", what,
                              (ch > 0x20 && ch < 0x7f) ? ch : '?', i + 1);
            return KF_EINVAL;
        }
    }
    return KF_OK;
}

kf_err kf_checkin_validate(const kf_checkin *c, kf_buf *err)
{
    kf_err e;
    if (c->pain < 0 || c->pain > 10) {
        if (err)
            kf_buf_printf(err, "pain must be a whole number from 0 to 10, not %d",
                          c->pain);
        return KF_EINVAL;
    }
    if (c->pain_before < -1 || c->pain_before > 10) {
        if (err)
            kf_buf_printf(err, "pain before must be a whole number from 0 to 10, "
                          "not %d", c->pain_before);
        return KF_EINVAL;
    }
    if (!isfinite(c->relief_hours) || c->relief_hours > KF_STORE_HOURS_MAX) {
        if (err)
            kf_buf_printf(err, "relief hours must be from 0 to %.0f (a year), "
                          "not %g", KF_STORE_HOURS_MAX, c->relief_hours);
        return KF_EINVAL;
    }
    if (c->done_s < -1 || c->done_s > 24 * 3600) {
        if (err)
            kf_buf_printf(err, "the time a step ran must be from 0 to 86400 s, "
                          "not %d", c->done_s);
        return KF_EINVAL;
    }
    if ((unsigned)c->side > KF_SIDE_BOTH) {
        if (err)
            kf_buf_printf(err, "side must be left, right or both");
        return KF_EINVAL;
    }
    if ((e = check_ids("the region", c->region, KF_STORE_ID_MAX, err)) ||
        (e = check_ids("what was done", c->did, KF_STORE_LIST_MAX, err)) ||
        (e = check_ids("worse after", c->worse_after, KF_STORE_LIST_MAX, err)) ||
        (e = check_ids("via", c->via, KF_STORE_ID_MAX, err)) ||
        (e = check_words("the note", c->note, KF_STORE_NOTE_MAX, err)))
        return e;
    if (c->at[0]) {
        long long t;
        if (memchr(c->at, '\0', KF_TIME_LEN) == NULL ||
            !kf_time_parse_utc(c->at, &t)) {
            if (err)
                kf_buf_printf(err, "the time must be UTC as "
                              "YYYY-MM-DDTHH:MM:SSZ, not \"%.*s\"",
                              KF_TIME_LEN - 1, c->at);
            return KF_EINVAL;
        }
        if (t > (long long)time(NULL) + KF_STORE_FUTURE_S) {
            if (err)
                kf_buf_printf(err, "the time %s is in the future; a check-in "
                              "records what already happened", c->at);
            return KF_EINVAL;
        }
    }
    return KF_OK;
}

static kf_err check_json(const char *what, const char *s, kf_buf *err)
{
    if (!s) {
        if (err)
            kf_buf_printf(err, "%s is missing", what);
        return KF_EINVAL;
    }
    size_t n = strlen(s);
    if (n > KF_STORE_JSON_MAX) {
        if (err)
            kf_buf_printf(err, "%s is too long: %zu bytes, at most %d", what, n,
                          KF_STORE_JSON_MAX);
        return KF_ETOOBIG;
    }
    json_error_t je;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &je);
    if (!v) {
        if (err)
            kf_buf_printf(err, "%s is not valid JSON: line %d, column %d: %s",
                          what, je.line, je.column, je.text);
        return KF_EPARSE;
    }
    json_decref(v);
    return KF_OK;
}

/* ------------------------------------------------------------------ */
/* Public layer. */

kf_err kf_store_default_path(char *out, size_t n, bool create_dir, kf_buf *err)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char dir[4096];
    int len;
    if (xdg && xdg[0] == '/')
        len = snprintf(dir, sizeof dir, "%s/knotfinder", xdg);
    else if (home && home[0] == '/')
        len = snprintf(dir, sizeof dir, "%s/.local/share/knotfinder", home);
    else {
        if (err)
            kf_buf_printf(err, "cannot find a place for the journal: neither "
                          "XDG_DATA_HOME nor HOME is set to an absolute path; "
                          "give one with --db PATH");
        return KF_EINVAL;
    }
    if (len < 0 || (size_t)len >= sizeof dir ||
        (size_t)len + sizeof "/knotfinder.db" > n) {
        if (err)
            kf_buf_printf(err, "the journal path under %s is too long",
                          xdg && xdg[0] == '/' ? "XDG_DATA_HOME" : "HOME");
        return KF_ETOOBIG;
    }
    if (create_dir) {
        /* mkdir -p, private to the user: the journal is health data. */
        for (char *p = dir + 1; ; p++) {
            if (*p == '/' || *p == '\0') {
                char keep = *p;
                *p = '\0';
                if (mkdir(dir, keep ? 0755 : 0700) != 0 && errno != EEXIST) {
                    if (err)
                        kf_buf_printf(err, "cannot create the folder %s: %s",
                                      dir, strerror(errno));
                    return KF_EIO;
                }
                *p = keep;
                if (!keep)
                    break;
            }
        }
    }
    snprintf(out, n, "%s/knotfinder.db", dir);
    return KF_OK;
}

/* The store's mutex serialises the calls of a backend that has a single
 * connection (SQLite); one with a pool of its own (PostgreSQL) runs calls
 * from several threads at once and locks inside. */
static void core_lock(kf__store_core *c)
{
    if (!c->ops->concurrent)
        pthread_mutex_lock(&c->mu);
}

static void core_unlock(kf__store_core *c)
{
    if (!c->ops->concurrent)
        pthread_mutex_unlock(&c->mu);
}

/* True for a URI that names the PostgreSQL backend. */
static bool is_pg_uri(const char *path)
{
    return !strncmp(path, "postgres://", 11) || !strncmp(path, "postgresql://", 13);
}

/* The URI as it may be shown: the password of "scheme://user:password@host"
 * and a password=... parameter are replaced with "***". */
static char *redacted_uri(const char *uri)
{
    kf_buf b;
    kf_buf_init(&b);
    const char *p = strstr(uri, "://");
    if (!p) {
        kf_buf_puts(&b, uri);
    } else {
        p += 3;
        const char *at = strchr(p, '@');
        const char *slash = strchr(p, '/');
        const char *colon = strchr(p, ':');
        kf_buf_add(&b, uri, (size_t)(p - uri));
        if (at && (!slash || at < slash) && colon && colon < at) {
            kf_buf_add(&b, p, (size_t)(colon - p));
            kf_buf_puts(&b, ":***");
            p = at;
        }
        /* password=... in the query string */
        const char *q;
        while ((q = strstr(p, "password=")) != NULL &&
               (q[-1] == '?' || q[-1] == '&')) {
            kf_buf_add(&b, p, (size_t)(q - p) + 9);
            kf_buf_puts(&b, "***");
            p = q + 9 + strcspn(q + 9, "&");
        }
        kf_buf_puts(&b, p);
    }
    if (b.oom) {
        kf_buf_free(&b);
        return NULL;
    }
    char *r = kf_strdup(b.s ? b.s : "");
    kf_buf_free(&b);
    return r;
}

kf_err kf_store_open(const char *path, kf_store **out, kf_buf *err)
{
    *out = NULL;
    char def[4096];
    if (!path || !*path) {
        kf_err e = kf_store_default_path(def, sizeof def, true, err);
        if (e != KF_OK)
            return e;
        path = def;
    }
    bool pg = is_pg_uri(path);
    kf_store *s = kf_calloc(1, sizeof *s);
    kf__store_core *c = s ? kf_calloc(1, sizeof *c) : NULL;
    if (c) {
        c->path = pg ? redacted_uri(path) : kf_strdup(path);
        c->conninfo = pg ? kf_strdup(path) : NULL;
    }
    if (!c || !c->path || (pg && !c->conninfo)) {
        if (c) {
            kf_free(c->path);
            kf_free(c->conninfo);
        }
        kf_free(c);
        kf_free(s);
        if (err)
            kf_buf_printf(err, "cannot open the journal: out of memory");
        return KF_ENOMEM;
    }
    s->core = c;
    c->ops = pg ? &kf__pg_ops : &kf__sqlite_ops;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        kf_free(c->path);
        kf_free(c->conninfo);
        kf_free(c);
        kf_free(s);
        if (err)
            kf_buf_printf(err, "cannot open the journal: no mutex");
        return KF_ENOMEM;
    }
    kf_err e = c->ops->open(c, err);
    if (e != KF_OK) {
        pthread_mutex_destroy(&c->mu);
        kf_free(c->path);
        kf_free(c->conninfo);
        kf_free(c);
        kf_free(s);
        return e;
    }
    *out = s;
    return KF_OK;
}

void kf_store_close(kf_store *s)
{
    if (!s)
        return;
    if (!s->scoped) {
        kf__store_core *c = s->core;
        kf__writer_stop(c);             /* what is queued is saved first */
        c->ops->close(c);
        pthread_mutex_destroy(&c->mu);
        kf_free(c->path);
        if (c->conninfo) {
            /* The URI may hold a password: do not leave it in freed memory. */
            memset(c->conninfo, 0, strlen(c->conninfo));
            kf_free(c->conninfo);
        }
        kf_free(c);
    }
    kf_free(s);
}

kf_err kf_store_migrate(kf_store *s, kf_buf *err)
{
    kf__store_core *c = s->core;
    core_lock(c);
    kf_err e = c->ops->migrate(c, err);
    core_unlock(c);
    return e;
}

kf_err kf_store_check(kf_store *s, bool full, kf_buf *err)
{
    kf__store_core *c = s->core;
    core_lock(c);
    kf_err e = c->ops->check(c, full, err);
    core_unlock(c);
    return e;
}

int kf_store_schema_version(kf_store *s) { return s->core->version; }
const char *kf_store_path(const kf_store *s) { return s->core->path; }
const char *kf_store_backend(const kf_store *s) { return s->core->ops->name; }
bool kf_store_readonly(const kf_store *s) { return s->core->readonly; }

/* Why a store is read-only: a file this user may not write, or (the only
 * way for PostgreSQL, store_pg.c) a hot standby, which takes no writes. */
static const char *ro_why(const kf_store *s)
{
    return s->core->conninfo
        ? "the server is a read-only hot standby (a replica in recovery); "
          "writes go to the primary"
        : "the journal (or its folder) is read-only for this user";
}

static kf_err refuse_readonly(kf_store *s, const char *what, kf_buf *err)
{
    if (err)
        kf_buf_printf(err, "%s: cannot save the %s: %s; nothing was saved",
                      s->core->path, what, ro_why(s));
    return KF_EDB;
}

kf_err kf_store_add_consultation(kf_store *s, const char *text,
                                 const char *findings_json,
                                 const char *kb_version, long long *id,
                                 kf_buf *err)
{
    kf_err e;
    if ((e = check_words("the consultation's text", text, KF_STORE_TEXT_MAX, err)) ||
        (e = check_json("the findings", findings_json, err)) ||
        (e = check_words("the knowledge-base version", kb_version,
                         KF_STORE_ID_MAX, err)))
        return e;
    if (!kb_version) {
        if (err)
            kf_buf_printf(err, "the knowledge-base version is missing");
        return KF_EINVAL;
    }
    if (s->core->readonly)
        return refuse_readonly(s, "consultation", err);
    char now[KF_TIME_LEN];
    kf_time_now(now);
    kf__store_core *c = s->core;
    core_lock(c);
    e = c->ops->add_consultation(c, s->owner, now, text, findings_json,
                                 kb_version, id, err);
    core_unlock(c);
    return e;
}

/* The findings as knotfinder writes them: one JSON object, in printable
 * ASCII (kf_journal_consultation_dump escapes everything else), within the
 * size limit.  Not parsed: it was just written by our own writer. */
static kf_err check_findings_shape(const char *s, size_t n, kf_buf *err)
{
    if (!s || n < 2 || s[0] != '{' || s[n - 1] != '}') {
        if (err)
            kf_buf_puts(err, "the findings must be a JSON object");
        return KF_EINVAL;
    }
    if (n > KF_STORE_JSON_MAX) {
        if (err)
            kf_buf_printf(err, "the findings are too long: %zu bytes, at most %d", n,
                          KF_STORE_JSON_MAX);
        return KF_ETOOBIG;
    }
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {        /* 8 bytes at a step while all are */
        uint64_t w = load8(u + i);      /* 0x20-0x7e */
        if ((w & KF__HIGHS) || any_below(w, 0x20) || any_below(w ^ (KF__ONES * 0x7f), 1))
            break;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
            if (err)
                kf_buf_printf(err, "the findings hold a byte 0x%02x at %zu; they must "
                              "be knotfinder's ASCII JSON", (unsigned char)s[i], i);
            return KF_EINVAL;
        }
    return KF_OK;
}

long long kf_store_group_commits(kf_store *s)
{
    return kf__writer_commits(s->core);
}

kf_err kf_store_add_consultation_async(kf_store *s, const char *text, size_t text_len,
                                       const char *findings_json, size_t findings_len,
                                       const char *kb_version,
                                       kf_store_done_fn done, void *ctx, kf_buf *err)
{
    kf_err e;
    if (!done) {
        if (err)
            kf_buf_puts(err, "internal error: a queued save needs a callback");
        return KF_EINVAL;
    }
    if (!text)
        text = "", text_len = 0;
    if (strlen(text) != text_len) {
        if (err)
            kf_buf_puts(err, "the consultation's text may not contain NUL");
        return KF_EINVAL;
    }
    if ((e = check_words("the consultation's text", text, KF_STORE_TEXT_MAX, err)) ||
        (e = check_findings_shape(findings_json, findings_len, err)) ||
        (e = check_words("the knowledge-base version", kb_version,
                         KF_STORE_ID_MAX, err)))
        return e;
    if (!kb_version) {
        if (err)
            kf_buf_printf(err, "the knowledge-base version is missing");
        return KF_EINVAL;
    }
    if (s->core->readonly)
        return refuse_readonly(s, "consultation", err);
    kf__consult_row row = { .owner = s->owner, .text = text, .text_len = text_len,
                            .findings = findings_json, .findings_len = findings_len,
                            .kb_version = kb_version };
    kf_time_now(row.at);
    return kf__writer_submit(s->core, &row, done, ctx, err);
}

kf_err kf_store_add_checkin(kf_store *s, const kf_checkin *ci, long long *id,
                            kf_buf *err)
{
    kf_err e = kf_checkin_validate(ci, err);
    if (e != KF_OK)
        return e;
    if (s->core->readonly)
        return refuse_readonly(s, "check-in", err);
    char at[KF_TIME_LEN];
    if (ci->at[0])
        memcpy(at, ci->at, KF_TIME_LEN);
    else
        kf_time_now(at);
    kf__store_core *c = s->core;
    core_lock(c);
    e = c->ops->add_checkin(c, s->owner, ci, at, id, err);
    core_unlock(c);
    return e;
}

kf_err kf_store_list_checkins(kf_store *s, const char *since, int limit,
                              kf_checkin_list *out, kf_buf *err)
{
    kf_err e;
    LIST_CALL(s, out, "the check-ins", kf_checkin_list_free,
              s->core->ops->list_checkins(s->core, s->owner, since, limit, out,
                                          a, err));
    return e;
}

void kf_checkin_list_free(kf_checkin_list *l)
{
    LIST_FREE(l);
}

kf_err kf_store_list_consultations(kf_store *s, int limit,
                                   kf_consultation_list *out, kf_buf *err)
{
    kf_err e;
    LIST_CALL(s, out, "the consultations", kf_consultation_list_free,
              s->core->ops->list_consultations(s->core, s->owner, limit, out, a,
                                               err));
    return e;
}

void kf_consultation_list_free(kf_consultation_list *l)
{
    LIST_FREE(l);
}

kf_err kf_store_forget(kf_store *s, kf_forget_what what, long long id,
                       int *n_consultations, int *n_checkins, kf_buf *err)
{
    if (n_consultations)
        *n_consultations = 0;
    if (n_checkins)
        *n_checkins = 0;
    if ((unsigned)what > KF_FORGET_ALL || (what != KF_FORGET_ALL && id <= 0)) {
        if (err)
            kf_buf_printf(err, "an id is a whole number from 1, not %lld", id);
        return KF_EINVAL;
    }
    if (s->core->readonly) {
        if (err)
            kf_buf_printf(err, "%s: cannot forget anything: %s; nothing was "
                          "deleted", s->core->path, ro_why(s));
        return KF_EDB;
    }
    kf__store_core *c = s->core;
    core_lock(c);
    kf_err e = c->ops->forget(c, s->owner, what, id, n_consultations,
                              n_checkins, err);
    core_unlock(c);
    return e;
}

/* ------------------------------------------------------------------ */
/* The hosted course: scopes, users, sessions, rate limits, questions,
 * lessons.  Arguments are checked here; the backends only store. */

kf_store *kf_store_as(kf_store *s, long long user_id)
{
    if (!s || user_id < 0)
        return NULL;
    kf_store *h = kf_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->core = s->core;
    h->owner = user_id;
    h->scoped = true;
    return h;
}

long long kf_store_owner(const kf_store *s) { return s->owner; }

const char *kf_role_name(kf_role r)
{
    return r == KF_ROLE_THERAPIST ? "therapist" : "user";
}

int kf_role_parse(const char *s)
{
    if (s && !strcmp(s, "user"))
        return KF_ROLE_USER;
    if (s && !strcmp(s, "therapist"))
        return KF_ROLE_THERAPIST;
    return -1;
}

static kf_err refuse_ro(kf_store *s, kf_buf *err)
{
    if (err)
        kf_buf_printf(err, "%s: cannot write: %s; nothing was saved",
                      s->core->path, s->core->conninfo ? ro_why(s)
                      : "the database is read-only for this user");
    return KF_EDB;
}

static long long now_or(long long now)
{
    return now > 0 ? now : (long long)time(NULL);
}

kf_err kf_store_email_normalize(const char *email,
                                char out[KF_STORE_EMAIL_MAX + 1], kf_buf *err)
{
    out[0] = '\0';
    if (!email) {
        if (err)
            kf_buf_printf(err, "the e-mail address is missing");
        return KF_EINVAL;
    }
    while (*email == ' ' || *email == '\t')
        email++;
    size_t n = strlen(email);
    while (n && (email[n - 1] == ' ' || email[n - 1] == '\t'))
        n--;
    if (n > KF_STORE_EMAIL_MAX) {
        if (err)
            kf_buf_printf(err, "the e-mail address is too long: %zu bytes, at "
                          "most %d", n, KF_STORE_EMAIL_MAX);
        return KF_ETOOBIG;
    }
    char tmp[KF_STORE_EMAIL_MAX + 1];
    memcpy(tmp, email, n);
    tmp[n] = '\0';
    int ats = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)tmp[i];
        if (ch >= 'A' && ch <= 'Z')
            tmp[i] = (char)(ch - 'A' + 'a');
        if (ch <= 0x20 || ch == 0x7f) {
            if (err)
                kf_buf_printf(err, "an e-mail address holds no spaces or control "
                              "characters");
            return KF_EINVAL;
        }
        if (ch == '@') {
            ats++;
            at = i;
        }
    }
    if (!utf8_valid(tmp) || ats != 1 || at == 0 || at + 1 >= n ||
        tmp[at + 1] == '.' || tmp[n - 1] == '.' || n < 3) {
        if (err)
            kf_buf_printf(err, "\"%.*s\" is not an e-mail address (name@domain)",
                          utf8_valid(tmp) ? (int)(n > 80 ? 80 : n) : 0, tmp);
        return KF_EINVAL;
    }
    memcpy(out, tmp, n + 1);
    return KF_OK;
}

/* Printable ASCII without spaces, min..max bytes. */
static kf_err check_token(const char *what, const char *v, size_t min,
                          size_t max, bool hex, kf_buf *err)
{
    size_t n = v ? strlen(v) : 0;
    if (n < min || n > max) {
        if (err)
            kf_buf_printf(err, "%s must be %zu to %zu characters, not %zu", what,
                          min, max, n);
        return n > max ? KF_ETOOBIG : KF_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        bool good = hex ? ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))
                        : (ch > 0x20 && ch < 0x7f);
        if (!good) {
            if (err)
                kf_buf_printf(err, "%s may hold only %s (byte %zu)", what,
                              hex ? "lower-case hexadecimal digits"
                                  : "printable ASCII without spaces", i + 1);
            return KF_EINVAL;
        }
    }
    return KF_OK;
}

static kf_err check_hash(const char *hash, kf_buf *err)
{
    return check_token("the password hash", hash, 1, KF_STORE_HASH_MAX, false,
                       err);
}

static kf_err check_token_hash(const char *h, kf_buf *err)
{
    kf_err e = check_token("the session token hash", h, KF_STORE_TOKEN_MIN,
                           KF_STORE_TOKEN_MAX, true, err);
    if (e == KF_OK && strlen(h) % 2) {
        if (err)
            kf_buf_printf(err, "the session token hash must be whole bytes of "
                          "hexadecimal (an even number of digits)");
        e = KF_EINVAL;
    }
    return e;
}

static kf_err check_id_arg(const char *what, long long id, kf_buf *err)
{
    if (id <= 0) {
        if (err)
            kf_buf_printf(err, "%s must be a whole number from 1, not %lld", what,
                          id);
        return KF_EINVAL;
    }
    return KF_OK;
}

kf_err kf_store_user_create(kf_store *s, const char *email,
                            const char *password_hash, const char *consent_at,
                            kf_role role, long long *id, kf_buf *err)
{
    char norm[KF_STORE_EMAIL_MAX + 1];
    kf_err e;
    if ((e = kf_store_email_normalize(email, norm, err)) ||
        (e = check_hash(password_hash, err)))
        return e;
    if ((unsigned)role > KF_ROLE_THERAPIST) {
        if (err)
            kf_buf_printf(err, "a role is user or therapist");
        return KF_EINVAL;
    }
    char now[KF_TIME_LEN], consent[KF_TIME_LEN];
    kf_time_now(now);
    if (consent_at && *consent_at) {
        if (!kf_time_parse_utc(consent_at, NULL)) {
            if (err)
                kf_buf_printf(err, "the consent time must be UTC as "
                              "YYYY-MM-DDTHH:MM:SSZ");
            return KF_EINVAL;
        }
        snprintf(consent, sizeof consent, "%s", consent_at);
    } else {
        memcpy(consent, now, sizeof consent);
    }
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->user_create(s->core, norm, password_hash, consent,
                                        now, role, id, err));
    return e;
}

kf_err kf_store_user_by_email(kf_store *s, const char *email, kf_user *out,
                              kf_buf *err)
{
    memset(out, 0, sizeof *out);
    char norm[KF_STORE_EMAIL_MAX + 1];
    kf_err e = kf_store_email_normalize(email, norm, err);
    if (e != KF_OK)
        return e;
    LOCKED(s, s->core->ops->user_get(s->core, norm, 0, out, err));
    return e;
}

kf_err kf_store_user_get(kf_store *s, long long id, kf_user *out, kf_buf *err)
{
    memset(out, 0, sizeof *out);
    kf_err e = check_id_arg("a user id", id, err);
    if (e != KF_OK)
        return e;
    LOCKED(s, s->core->ops->user_get(s->core, NULL, id, out, err));
    return e;
}

kf_err kf_store_user_set_role(kf_store *s, long long id, kf_role role,
                              kf_buf *err)
{
    kf_err e = check_id_arg("a user id", id, err);
    if (e != KF_OK)
        return e;
    if ((unsigned)role > KF_ROLE_THERAPIST) {
        if (err)
            kf_buf_printf(err, "a role is user or therapist");
        return KF_EINVAL;
    }
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->user_set(s->core, id, (int)role, NULL, err));
    return e;
}

kf_err kf_store_user_set_password(kf_store *s, long long id,
                                  const char *password_hash, kf_buf *err)
{
    kf_err e;
    if ((e = check_id_arg("a user id", id, err)) ||
        (e = check_hash(password_hash, err)))
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->user_set(s->core, id, -1, password_hash, err));
    return e;
}

kf_err kf_store_user_delete(kf_store *s, long long id, long long *n_rows,
                            kf_buf *err)
{
    if (n_rows)
        *n_rows = 0;
    kf_err e = check_id_arg("a user id", id, err);
    if (e != KF_OK)
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->user_delete(s->core, id, n_rows, err));
    return e;
}

kf_err kf_store_session_create(kf_store *s, long long user_id,
                               const char *token_hash, const char *csrf,
                               long long expires_at, kf_buf *err)
{
    kf_err e;
    if ((e = check_id_arg("a user id", user_id, err)) ||
        (e = check_token_hash(token_hash, err)) ||
        (e = check_token("the CSRF token", csrf, 16, KF_STORE_CSRF_MAX, false,
                         err)))
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    char now[KF_TIME_LEN];
    kf_time_now(now);
    LOCKED(s, s->core->ops->session_create(s->core, user_id, token_hash, csrf,
                                           now, expires_at, err));
    return e;
}

kf_err kf_store_session_lookup(kf_store *s, const char *token_hash,
                               long long now, kf_session *out, kf_buf *err)
{
    memset(out, 0, sizeof *out);
    kf_err e = check_token_hash(token_hash, err);
    if (e != KF_OK)
        return e;
    LOCKED(s, s->core->ops->session_lookup(s->core, token_hash, now_or(now),
                                           out, err));
    return e;
}

kf_err kf_store_session_extend(kf_store *s, const char *token_hash,
                               long long now, long long expires_at,
                               kf_buf *err)
{
    kf_err e = check_token_hash(token_hash, err);
    if (e != KF_OK)
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->session_extend(s->core, token_hash, now_or(now),
                                           expires_at, err));
    return e;
}

kf_err kf_store_session_delete(kf_store *s, const char *token_hash,
                               kf_buf *err)
{
    kf_err e = check_token_hash(token_hash, err);
    if (e != KF_OK)
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->session_delete(s->core, token_hash, 0, NULL, err));
    return e;
}

kf_err kf_store_session_delete_user(kf_store *s, long long user_id, int *n,
                                    kf_buf *err)
{
    if (n)
        *n = 0;
    kf_err e = check_id_arg("a user id", user_id, err);
    if (e != KF_OK)
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->session_delete(s->core, NULL, user_id, n, err));
    return e;
}

kf_err kf_store_expire(kf_store *s, long long now, int *n, kf_buf *err)
{
    if (n)
        *n = 0;
    if (s->core->readonly)
        return refuse_ro(s, err);
    kf_err e;
    LOCKED(s, s->core->ops->expire(s->core, now_or(now), n, err));
    return e;
}

kf_err kf_store_rate_hit(kf_store *s, const char *key, int window_s,
                         int limit, long long now, bool *allowed,
                         int *retry_after_s, kf_buf *err)
{
    *allowed = false;
    if (retry_after_s)
        *retry_after_s = 0;
    kf_err e = check_token("a rate-limit key", key, 1, KF_STORE_KEY_MAX, false,
                           err);
    if (e != KF_OK)
        return e;
    if (window_s < 1 || limit < 1) {
        if (err)
            kf_buf_printf(err, "a rate limit needs a window of 1 s or more and a "
                          "limit of 1 or more");
        return KF_EINVAL;
    }
    if (s->core->readonly)
        return refuse_ro(s, err);
    long long count = 0, end = 0;
    now = now_or(now);
    LOCKED(s, s->core->ops->rate_hit(s->core, s->owner, key, window_s, now,
                                     &count, &end, err));
    if (e != KF_OK)
        return e;
    *allowed = count <= limit;
    if (!*allowed && retry_after_s) {
        long long left = end - now;
        *retry_after_s = (int)(left < 1 ? 1 : left);
    }
    return KF_OK;
}

kf_err kf_store_rate_reset(kf_store *s, const char *key, kf_buf *err)
{
    kf_err e = check_token("a rate-limit key", key, 1, KF_STORE_KEY_MAX, false,
                           err);
    if (e != KF_OK)
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->rate_reset(s->core, key, err));
    return e;
}

static kf_err need_user(kf_store *s, const char *what, kf_buf *err)
{
    if (s->owner <= 0) {
        if (err)
            kf_buf_printf(err, "%s needs a signed-in user (a handle from "
                          "kf_store_as)", what);
        return KF_EINVAL;
    }
    return KF_OK;
}

kf_err kf_store_question_add(kf_store *s, const kf_uquestion *q, long long *id,
                             kf_buf *err)
{
    kf_err e;
    if ((e = need_user(s, "a question", err)))
        return e;
    if (!q->text || !*q->text) {
        if (err)
            kf_buf_printf(err, "the question is empty");
        return KF_EINVAL;
    }
    if ((e = check_words("the question", q->text, KF_STORE_QUESTION_MAX, err)) ||
        (e = check_words("the first name", q->first_name, KF_STORE_NAME_MAX,
                         err)) ||
        (e = check_words("the summary", q->summary, KF_STORE_SUMMARY_MAX, err)) ||
        (e = check_words("the draft", q->draft, KF_STORE_QUESTION_MAX, err)))
        return e;
    if (q->consultation_id < 0 || q->triage < KF_TRIAGE_UNKNOWN ||
        q->triage > KF_TRIAGE_EMERGENCY) {
        if (err)
            kf_buf_printf(err, "the consultation id (0 or more) or the triage "
                          "level (-1 to 3) is out of range");
        return KF_EINVAL;
    }
    if (s->core->readonly)
        return refuse_ro(s, err);
    char now[KF_TIME_LEN];
    kf_time_now(now);
    LOCKED(s, s->core->ops->question_add(s->core, s->owner, q, now, id, err));
    return e;
}

static kf_err question_list(kf_store *s, kf__qlist mode, long long id,
                            int limit, kf_uquestion_list *out, kf_buf *err)
{
    kf_err e;
    LIST_CALL(s, out, "the questions", kf_uquestion_list_free,
              s->core->ops->question_list(s->core, s->owner, mode, id, limit,
                                          out, a, err));
    if (e == KF_OK && mode == KF__Q_ONE && out->n == 0) {
        if (err)
            kf_buf_printf(err, "there is no question #%lld of yours", id);
        kf_uquestion_list_free(out);
        e = KF_ENOTFOUND;
    }
    return e;
}

kf_err kf_store_questions_mine(kf_store *s, int limit, kf_uquestion_list *out,
                               kf_buf *err)
{
    return question_list(s, KF__Q_MINE, 0, limit, out, err);
}

kf_err kf_store_question_get(kf_store *s, long long id, kf_uquestion_list *out,
                             kf_buf *err)
{
    memset(out, 0, sizeof *out);
    kf_err e = check_id_arg("a question id", id, err);
    return e ? e : question_list(s, KF__Q_ONE, id, 1, out, err);
}

kf_err kf_store_question_queue(kf_store *s, int limit, kf_uquestion_list *out,
                               kf_buf *err)
{
    return question_list(s, KF__Q_QUEUE, 0, limit, out, err);
}

kf_err kf_store_qa_public(kf_store *s, int limit, kf_uquestion_list *out,
                          kf_buf *err)
{
    return question_list(s, KF__Q_PUBLIC, 0, limit, out, err);
}

void kf_uquestion_list_free(kf_uquestion_list *l)
{
    LIST_FREE(l);
}

kf_err kf_store_question_set_draft(kf_store *s, long long id,
                                   const char *draft, kf_buf *err)
{
    kf_err e;
    if ((e = check_id_arg("a question id", id, err)) ||
        (e = check_words("the draft", draft, KF_STORE_QUESTION_MAX, err)))
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    LOCKED(s, s->core->ops->question_set_draft(s->core, id, draft ? draft : "",
                                               err));
    return e;
}

kf_err kf_store_question_answer(kf_store *s, long long id,
                                long long therapist_id, const char *text,
                                bool publish, kf_buf *err)
{
    kf_err e;
    if ((e = check_id_arg("a question id", id, err)) ||
        (e = check_id_arg("the therapist's user id", therapist_id, err)))
        return e;
    if (!text || !*text) {
        if (err)
            kf_buf_printf(err, "the answer is empty");
        return KF_EINVAL;
    }
    if ((e = check_words("the answer", text, KF_STORE_QUESTION_MAX, err)))
        return e;
    if (s->core->readonly)
        return refuse_ro(s, err);
    char now[KF_TIME_LEN];
    kf_time_now(now);
    LOCKED(s, s->core->ops->question_answer(s->core, id, therapist_id, text,
                                            publish, now, err));
    return e;
}

kf_err kf_store_lesson_done(kf_store *s, const char *lesson_id, bool *first,
                            kf_buf *err)
{
    if (first)
        *first = false;
    kf_err e;
    if ((e = need_user(s, "lesson progress", err)))
        return e;
    if (!lesson_id || !*lesson_id) {
        if (err)
            kf_buf_printf(err, "the lesson id is missing");
        return KF_EINVAL;
    }
    if ((e = check_ids("the lesson id", lesson_id, KF_STORE_ID_MAX, err)))
        return e;
    if (strchr(lesson_id, ',') || strchr(lesson_id, ' ')) {
        if (err)
            kf_buf_printf(err, "a lesson id is one id, without commas or spaces");
        return KF_EINVAL;
    }
    if (s->core->readonly)
        return refuse_ro(s, err);
    char now[KF_TIME_LEN];
    kf_time_now(now);
    LOCKED(s, s->core->ops->lesson_done(s->core, s->owner, lesson_id, now,
                                        first, err));
    return e;
}

kf_err kf_store_lessons_done(kf_store *s, kf_lesson_list *out, kf_buf *err)
{
    kf_err e;
    LIST_CALL(s, out, "the lessons", kf_lesson_list_free,
              s->core->ops->lessons_list(s->core, s->owner, out, a, err));
    return e;
}

void kf_lesson_list_free(kf_lesson_list *l)
{
    LIST_FREE(l);
}

/* ------------------------------------------------------------------ */
/* Export. */

/* A JSON value parsed from stored text, or the text itself as a string
 * when it does not parse (it always does for rows this code wrote). */
static json_t *embedded_json(const char *s)
{
    json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(s);
}

/* NULL when `s` is NULL or empty, else a JSON string. */
static json_t *opt_string(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* A comma list as a JSON array of strings. */
static json_t *word_array(const char *s)
{
    json_t *a = json_array();
    while (a && s && *s) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t n = strcspn(s, ", ");
        if (n)
            json_array_append_new(a, json_stringn(s, n));
        s += n;
    }
    return a;
}

json_t *kf_checkin_json(const kf_checkin *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "at", json_string(c->at));
    json_object_set_new(o, "pain", json_integer(c->pain));
    json_object_set_new(o, "pain_before", c->pain_before >= 0
                        ? json_integer(c->pain_before) : json_null());
    json_object_set_new(o, "where", opt_string(c->region));
    json_object_set_new(o, "side", json_string(kf_side_name(c->side)));
    json_object_set_new(o, "did", word_array(c->did));
    json_object_set_new(o, "relief_hours", c->relief_hours >= 0
                        ? json_real(c->relief_hours) : json_null());
    json_object_set_new(o, "worse_after", word_array(c->worse_after));
    json_object_set_new(o, "done_s", c->done_s >= 0
                        ? json_integer(c->done_s) : json_null());
    json_object_set_new(o, "stopped_early", json_boolean(c->stopped_early));
    json_object_set_new(o, "via", json_string(c->via ? c->via : "cli"));
    json_object_set_new(o, "note", json_string(c->note ? c->note : ""));
    return o;
}

/* A text cell.  One that starts with = + - @, a tab or a carriage return
 * would be read as a formula by a spreadsheet (=HYPERLINK(...) in a note
 * could send the journal elsewhere when clicked), so it gets a leading ' and
 * is shown as the text it is (OWASP's advice on CSV injection). */
static void csv_field(kf_buf *b, const char *s, bool last)
{
    bool formula = s && (s[0] == '=' || s[0] == '+' || s[0] == '-' ||
                         s[0] == '@' || s[0] == '\t' || s[0] == '\r');
    if (s && (formula || s[strcspn(s, ",\"\r\n")])) {
        kf_buf_puts(b, formula ? "\"'" : "\"");
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                kf_buf_puts(b, "\"");
            kf_buf_add(b, p, 1);
        }
        kf_buf_puts(b, "\"");
    } else if (s) {
        kf_buf_puts(b, s);
    }
    kf_buf_puts(b, last ? "\r\n" : ",");
}

static void csv_int(kf_buf *b, long long v, bool present)
{
    if (present)
        kf_buf_printf(b, "%lld", v);
    kf_buf_puts(b, ",");
}

/* Adds what a user of the hosted course has besides the journal: the
 * account (no password hash), the questions with their answers, the
 * lessons done. */
static kf_err export_account(kf_store *s, json_t *root, kf_buf *err)
{
    kf_user u;
    kf_uquestion_list ql;
    kf_lesson_list ll;
    kf_err e = kf_store_user_get(s, s->owner, &u, err);
    if (e != KF_OK)
        return e;
    if ((e = kf_store_questions_mine(s, 0, &ql, err)) != KF_OK)
        return e;
    if ((e = kf_store_lessons_done(s, &ll, err)) != KF_OK) {
        kf_uquestion_list_free(&ql);
        return e;
    }
    json_t *acc = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)u.id,
                            "email", u.email, "role", kf_role_name(u.role),
                            "created_at", u.created_at,
                            "consent_at", u.consent_at);
    json_t *qa = json_array(), *la = json_array();
    for (int i = 0; qa && i < ql.n; i++) {
        const kf_uquestion *q = &ql.v[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(q->id));
        json_object_set_new(o, "at", json_string(q->at));
        json_object_set_new(o, "text", json_string(q->text));
        json_object_set_new(o, "first_name", json_string(q->first_name));
        json_object_set_new(o, "consultation_id", q->consultation_id
                            ? json_integer(q->consultation_id) : json_null());
        json_object_set_new(o, "summary", opt_string(q->summary));
        json_object_set_new(o, "public", json_boolean(q->public_ok));
        json_object_set_new(o, "triage", json_integer(q->triage));
        json_object_set_new(o, "answer", opt_string(q->answer));
        json_object_set_new(o, "answered_at", opt_string(q->answered_at));
        json_object_set_new(o, "published", json_boolean(q->published));
        json_array_append_new(qa, o);
    }
    for (int i = 0; la && i < ll.n; i++)
        json_array_append_new(la, json_pack("{s:s,s:s}", "lesson",
                                            ll.v[i].lesson_id, "done_at",
                                            ll.v[i].done_at));
    json_object_set_new(root, "account", acc);
    json_object_set_new(root, "questions", qa);
    json_object_set_new(root, "lessons", la);
    kf_uquestion_list_free(&ql);
    kf_lesson_list_free(&ll);
    return acc && qa && la ? KF_OK : KF_ENOMEM;
}

kf_err kf_store_export(kf_store *s, kf_export_fmt fmt,
                       kf_export_result_fn result, void *ctx,
                       kf_buf *out, kf_buf *err)
{
    kf_checkin_list ci;
    kf_consultation_list co;
    kf_err e = kf_store_list_consultations(s, 0, &co, err);
    if (e != KF_OK)
        return e;
    e = kf_store_list_checkins(s, NULL, 0, &ci, err);
    if (e != KF_OK) {
        kf_consultation_list_free(&co);
        return e;
    }
    char now[KF_TIME_LEN];
    kf_time_now(now);
    if (fmt == KF_EXPORT_JSON) {
        json_t *root = json_object();
        json_t *ca = json_array(), *ka = json_array();
        if (root && ca && ka) {
            json_object_set_new(root, "format", json_string("knotfinder-journal"));
            json_object_set_new(root, "schema", json_integer(s->core->version));
            json_object_set_new(root, "exported_at", json_string(now));
            for (int i = 0; i < co.n; i++) {
                const kf_consultation *c = &co.v[i];
                json_t *o = json_object();
                json_object_set_new(o, "id", json_integer(c->id));
                json_object_set_new(o, "at", json_string(c->at));
                json_object_set_new(o, "text", json_string(c->text));
                json_object_set_new(o, "kb_version", json_string(c->kb_version));
                json_object_set_new(o, "findings", embedded_json(c->findings_json));
                json_t *res = result ? result(c, ctx) : NULL;
                if (res)
                    json_object_set_new(o, "result", res);
                json_array_append_new(ca, o);
            }
            for (int i = 0; i < ci.n; i++)
                json_array_append_new(ka, kf_checkin_json(&ci.v[i]));
        }
        json_object_set(root, "consultations", ca);
        json_object_set(root, "checkins", ka);
        if (root && s->owner > 0 && e == KF_OK)
            e = export_account(s, root, err);
        char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII)
                          : NULL;
        if (text) {
            kf_buf_puts(out, text);
            kf_buf_puts(out, "\n");
            free(text);
        } else {
            e = KF_ENOMEM;
        }
        json_decref(ca);
        json_decref(ka);
        json_decref(root);
    } else {
        kf_buf_puts(out, "type,id,at,pain,pain_before,where,side,did,"
                    "relief_hours,worse_after,done_s,stopped_early,via,note,"
                    "text,kb_version,findings,result\r\n");
        for (int i = 0; i < co.n; i++) {
            const kf_consultation *c = &co.v[i];
            kf_buf_printf(out, "consultation,%lld,%s,,,,,,,,,,,,", c->id, c->at);
            csv_field(out, c->text, false);
            csv_field(out, c->kb_version, false);
            csv_field(out, c->findings_json, false);
            json_t *res = result ? result(c, ctx) : NULL;
            char *rs = res ? json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
            json_decref(res);
            csv_field(out, rs ? rs : "", true);
            free(rs);
        }
        for (int i = 0; i < ci.n; i++) {
            const kf_checkin *c = &ci.v[i];
            kf_buf_printf(out, "checkin,%lld,%s,%d,", c->id, c->at, c->pain);
            csv_int(out, c->pain_before, c->pain_before >= 0);
            csv_field(out, c->region, false);
            csv_field(out, kf_side_name(c->side), false);
            csv_field(out, c->did, false);
            if (c->relief_hours >= 0)
                kf_buf_printf(out, "%g", c->relief_hours);
            kf_buf_puts(out, ",");
            csv_field(out, c->worse_after, false);
            csv_int(out, c->done_s, c->done_s >= 0);
            csv_int(out, c->stopped_early, true);
            csv_field(out, c->via, false);
            csv_field(out, c->note, false);
            kf_buf_puts(out, ",,,\r\n");
        }
    }
    if (e == KF_OK && out->oom)
        e = KF_ENOMEM;
    if (e == KF_ENOMEM && err)
        kf_buf_printf(err, "%s: cannot export the journal: out of memory",
                      s->core->path);
    kf_checkin_list_free(&ci);
    kf_consultation_list_free(&co);
    return e;
}
