/*
 * http_static.c — the web app's files: opened beneath the web folder, kept
 * in memory with their gzip twins and their answers built once, the folder
 * watched with inotify (see http_static.h).
 */
#include "http_static.h"
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

/* One way a file is sent: its 200 and 304 answers, shared by every request
 * (each queued answer takes its own reference, so dropping ours never
 * frees one still being sent), and its ETag. */
typedef struct {
    struct MHD_Response *ok;        /* 200 with the bytes, or NULL */
    struct MHD_Response *not_mod;   /* 304 */
    char etag[40];
} static_rep;

/* A file as kept: the request path it answers, and its two ways. */
typedef struct static_entry {
    struct static_entry *next;      /* in its hash bucket */
    uint64_t   hash;
    static_rep plain, gz;           /* gz.ok NULL: no twin to send */
    char       date[40];            /* Last-Modified */
    size_t     bytes;               /* the file's and its twin's */
    char       key[];               /* the request path, slashes single */
} static_entry;

#define STATIC_BUCKETS 256
#define WATCH_PATHS_MAX KF_HTTP_STATIC_DIRS_MAX

struct kf_http_static {
    char  *root;                    /* realpath of the web folder */
    size_t root_len;
    int    root_fd;                 /* the folder, O_PATH, or -1 */
    /* What is kept.  Requests take the lock to read; the watcher and a
     * request that read a file take it to write. */
    pthread_rwlock_t lock;
    static_entry *bucket[STATIC_BUCKETS];
    size_t   n_entries, n_bytes;
    unsigned long gen;              /* bumped at each change in the folder */
    bool     keep;                  /* the folder is watched: files may be kept */
    /* The watcher. */
    int      in_fd, stop_fd;        /* inotify, and the eventfd that stops it */
    pthread_t watcher;
    bool     watching;
    int      n_dirs;                /* folders watched */
};

/* ---- headers ----------------------------------------------------------- */

void kf_http__common_headers(struct MHD_Response *resp, const char *type,
                             const char *cache)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; base-uri 'none'; "
                            "form-action 'self'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

/* ---- opening a file beneath the folder ---------------------------------- */

static const struct { const char *ext, *type; } mime_types[] = {
    { "html", "text/html; charset=utf-8" },
    { "htm",  "text/html; charset=utf-8" },
    { "css",  "text/css; charset=utf-8" },
    { "js",   "text/javascript; charset=utf-8" },
    { "mjs",  "text/javascript; charset=utf-8" },
    { "json", "application/json; charset=utf-8" },
    { "map",  "application/json; charset=utf-8" },
    { "webmanifest", "application/manifest+json" },
    { "svg",  "image/svg+xml" },
    { "png",  "image/png" },
    { "jpg",  "image/jpeg" },
    { "jpeg", "image/jpeg" },
    { "gif",  "image/gif" },
    { "webp", "image/webp" },
    { "ico",  "image/x-icon" },
    { "woff", "font/woff" },
    { "woff2","font/woff2" },
    { "txt",  "text/plain; charset=utf-8" },
    { "md",   "text/plain; charset=utf-8" },
    { "wasm", "application/wasm" },
};

static const char *mime_type(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < KF_ARRAY_LEN(mime_types); i++)
            if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
                return mime_types[i].type;
    return "application/octet-stream";
}

/* An HTTP date (RFC 9110 IMF-fixdate), independent of the locale. */
static void http_date(time_t t, char *out, size_t outsz)
{
    static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
                                       "Fri", "Sat" };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
                                       "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec" };
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Resolves `path` and opens it when it is a regular file inside the web
 * folder; a folder means its index.html.  Returns the descriptor or -1. */
static int open_inside(const char *web_root, size_t web_root_len,
                       const char *path, struct stat *st, char *real)
{
    char full[PATH_MAX];
    if ((size_t)snprintf(full, sizeof full, "%s", path) >= sizeof full)
        return -1;
    for (int round = 0; round < 2; round++) {
        if (!realpath(full, real))
            return -1;
        if (strncmp(real, web_root, web_root_len) != 0 ||
            (real[web_root_len] != '/' && real[web_root_len] != '\0'))
            return -1;                            /* escaped the web folder */
        /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
        int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
            return -1;
        if (fstat(fd, st) != 0) {
            close(fd);
            return -1;
        }
        if (S_ISREG(st->st_mode))
            return fd;
        close(fd);
        if (!S_ISDIR(st->st_mode) ||
            (size_t)snprintf(full, sizeof full, "%s/index.html", real) >= sizeof full)
            return -1;
    }
    return -1;
}

/* openat2(2) (Linux 5.6), which glibc does not wrap; -1 with ENOSYS before. */
static int openat2_(int dirfd, const char *path, unsigned flags, unsigned long long resolve)
{
#ifdef SYS_openat2
    struct open_how how = { .flags = flags, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    (void)dirfd; (void)path; (void)flags; (void)resolve;
    errno = ENOSYS;
    return -1;
#endif
}

#define STATIC_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* Opens `rel` (relative to the web folder `root_fd`) when it is a regular
 * file inside it, in one call: the kernel resolves the path and refuses
 * any step out of the folder (RESOLVE_BENEATH: "..", absolute links, links
 * that lead outside), where realpath() took a readlink per path component
 * on every request.  `resolve` may add RESOLVE_NO_SYMLINKS.  A folder means
 * its index.html.  Returns the descriptor, -1 (with errno ENOSYS when the
 * kernel has no openat2). */
static int open_beneath(int root_fd, const char *rel, unsigned long long resolve,
                        struct stat *st, bool *was_dir)
{
    *was_dir = false;
    resolve |= RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    int fd = openat2_(root_fd, *rel ? rel : ".", STATIC_OPEN_FLAGS, resolve);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0) {
        close(fd);
        return -1;
    }
    if (S_ISDIR(st->st_mode)) {
        *was_dir = true;
        int in = openat2_(fd, "index.html", STATIC_OPEN_FLAGS, resolve);
        close(fd);
        if (in < 0)
            return -1;
        fd = in;
        if (fstat(fd, st) != 0) {
            close(fd);
            return -1;
        }
    }
    if (S_ISREG(st->st_mode))
        return fd;
    close(fd);
    errno = ENOENT;
    return -1;
}

/* Opens the file a static request names, when it is a regular file inside
 * the web folder (a folder means its index.html); -1 otherwise.  `real`
 * gets the file's path as served (the web folder, the request's path, and
 * "/index.html" for a folder), which names its type.  With `root_fd` (the
 * web folder, opened) the kernel resolves it (open_beneath); without, or on
 * a kernel without openat2, realpath() does. */
static int static_open(const char *web_root, size_t web_root_len, int root_fd,
                       const char *url, struct stat *st, char *real)
{
    /* Refuse what could climb out or expose hidden files: any segment
     * starting with a dot (".", "..", ".git"), backslashes, and anything
     * that is not a plain absolute path. */
    bool bad = url[0] != '/' || strchr(url, '\\') != NULL;
    for (const char *p = url; !bad && (p = strchr(p, '/')) != NULL; p++)
        if (p[1] == '.')
            bad = true;
    char path[PATH_MAX];
    if (bad || (size_t)snprintf(path, sizeof path, "%s%s", web_root,
                                strcmp(url, "/") == 0 ? "/index.html" : url)
               >= sizeof path)
        return -1;
    if (root_fd >= 0) {
        bool dir;
        int fd = open_beneath(root_fd, path + web_root_len + 1, 0, st, &dir);
        if (fd >= 0) {
            size_t n = strlen(path);
            while (dir && n > web_root_len + 1 && path[n - 1] == '/')
                path[--n] = '\0';
            if ((size_t)snprintf(real, PATH_MAX, "%s%s", path,
                                 dir ? "/index.html" : "") >= PATH_MAX) {
                close(fd);
                return -1;
            }
            return fd;
        }
        if (errno != ENOSYS)
            return -1;
    }
    return open_inside(web_root, web_root_len, path, st, real);
}

/* Does this Accept-Encoding take gzip?  A "gzip" or "*" token counts
 * unless its q is 0 (RFC 9110 12.5.3); an explicit gzip token decides over
 * "*".  No header means identity only. */
bool kf_http_static_accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    int star = -1, gz = -1;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - tok);
        int ok = 1;
        while (*p && *p != ',') {          /* parameters: only q matters */
            if (*p == ';') {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                    const char *v = p + 2;
                    /* q=0, q=0.0, q=0.000: zero; anything else: accepted */
                    bool zero = *v == '0';
                    for (v++; zero && *v && *v != ',' && *v != ';' && *v != ' '; v++)
                        if (*v != '.' && *v != '0')
                            zero = false;
                    ok = !zero;
                }
                continue;
            }
            p++;
        }
        if (n == 4 && strncasecmp(tok, "gzip", 4) == 0)
            gz = ok;
        else if (n == 6 && strncasecmp(tok, "x-gzip", 6) == 0)
            gz = gz < 0 ? ok : gz;
        else if (n == 1 && *tok == '*')
            star = ok;
    }
    return gz >= 0 ? gz == 1 : star == 1;
}

/* The precompressed copy `real`.gz (made by `make`, see the Makefile), when
 * it is a regular file inside the web folder no older than the file itself;
 * a stale or missing copy means the file is sent as it is. */
static int open_gzip_twin(const kf_http_static *s, const char *real,
                          const struct stat *orig, struct stat *gst)
{
    char gz[PATH_MAX], greal[PATH_MAX];
    if ((size_t)snprintf(gz, sizeof gz, "%s.gz", real) >= sizeof gz)
        return -1;
    if (s->root_fd >= 0) {
        /* No link anywhere on its way: a twin is a plain file beside its
         * original, never a link elsewhere. */
        bool dir;
        int fd = open_beneath(s->root_fd, gz + s->root_len + 1,
                              RESOLVE_NO_SYMLINKS, gst, &dir);
        if (fd >= 0 && (dir || gst->st_mtime < orig->st_mtime)) {
            close(fd);                /* a folder, or out of date */
            return -1;
        }
        if (fd >= 0 || errno != ENOSYS)
            return fd;
    }
    int fd = open_inside(s->root, s->root_len, gz, gst, greal);
    if (fd < 0)
        return -1;
    if (strcmp(greal, gz) != 0 || gst->st_mtime < orig->st_mtime) {
        close(fd);                    /* a link elsewhere, or out of date */
        return -1;
    }
    return fd;
}

int kf_http__static_open(const char *web_root, const char *url, char real[PATH_MAX])
{
    struct stat st;
    int root = open(web_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = static_open(web_root, strlen(web_root), root, url, &st, real);
    if (root >= 0)
        close(root);
    return fd;
}

/* Files up to this size are read and sent with their headers in one
 * write; larger ones go out with sendfile (headers first, then the file:
 * two sends and a socket option more a request, which for a file of a few
 * KB cost more than the copy). */
#define STATIC_READ_MAX (64 * 1024)

/* A response with the `size` bytes of file `fd` (taken over: closed here
 * or by the response).  NULL when out of memory or the file cannot be
 * read. */
static struct MHD_Response *file_response(int fd, size_t size)
{
    if (size > STATIC_READ_MAX) {
        struct MHD_Response *resp = MHD_create_response_from_fd(size, fd);
        if (!resp)
            close(fd);
        return resp;
    }
    char *buf = kf_malloc(size ? size : 1);
    size_t got = 0;
    while (buf && got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;              /* it shrank meanwhile: what there is */
        got += (size_t)n;
    }
    close(fd);
    if (!buf)
        return NULL;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(got, buf, kf_free);
    if (!resp)
        kf_free(buf);
    return resp;
}

/* ---- what a file is sent with ----------------------------------------- */

/* CRC-32 (ISO 3309, as gzip's trailer has it), by a table built once. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* Is `gz` (n bytes) a gzip member whose trailer names these contents: the
 * CRC-32 and the length (mod 2^32) of what it unpacks to? */
static bool twin_matches(const unsigned char *gz, size_t n, uint32_t crc, size_t len)
{
    if (n < 18 || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8)
        return false;
    const unsigned char *t = gz + n - 8;
    uint32_t tcrc = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
                    (uint32_t)t[3] << 24;
    uint32_t tlen = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
                    (uint32_t)t[7] << 24;
    return tcrc == crc && tlen == (uint32_t)len;
}

/* Reads all `size` bytes of `fd` (closed here) into a new buffer; NULL when
 * it cannot be read or memory runs out (*oom).  *got: what there was (a
 * file that shrank meanwhile gives what is left). */
static unsigned char *read_all(int fd, size_t size, size_t *got, bool *oom)
{
    unsigned char *buf = kf_malloc(size ? size : 1);
    *oom = !buf;
    *got = 0;
    while (buf && *got < size) {
        ssize_t n = pread(fd, buf + *got, size - *got, (off_t)*got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            kf_free(buf);
            buf = NULL;
            break;
        }
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    close(fd);
    return buf;
}

/* Is one of the entity tags of If-None-Match `inm` this `etag` (weak
 * comparison, RFC 9110 13.1.2: a W/ prefix is ignored), or "*"? */
static bool etag_listed(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *tag = p;
        if (*p == '"') {                    /* a quoted tag, to its quote */
            const char *q = strchr(p + 1, '"');
            p = q ? q + 1 : p + strlen(p);
        } else {
            while (*p && *p != ',')
                p++;
        }
        if ((size_t)(p - tag) == elen && memcmp(tag, etag, elen) == 0)
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

/* The 200 of `len` bytes at `body` (taken over) and the 304 of one way to
 * send a file, with every header.  False when out of memory (body freed). */
static bool rep_make(static_rep *r, unsigned char *body, size_t len, const char *type,
                     const char *date, bool vary, bool gzip)
{
    r->ok = MHD_create_response_from_buffer_with_free_callback(len, body, kf_free);
    if (!r->ok) {
        kf_free(body);
        return false;
    }
    r->not_mod = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r->not_mod) {
        MHD_destroy_response(r->ok);
        r->ok = NULL;
        return false;
    }
    struct MHD_Response *both[2] = { r->ok, r->not_mod };
    for (int i = 0; i < 2; i++) {
        /* no-cache: the browser keeps the file but asks each time whether
         * it changed, so an updated app is never served stale. */
        kf_http__common_headers(both[i], type, "no-cache");
        MHD_add_response_header(both[i], MHD_HTTP_HEADER_LAST_MODIFIED, date);
        MHD_add_response_header(both[i], MHD_HTTP_HEADER_ETAG, r->etag);
        if (vary)
            MHD_add_response_header(both[i], MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    }
    if (gzip)
        MHD_add_response_header(r->ok, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    return true;
}

static void entry_free(static_entry *e)
{
    if (!e)
        return;
    static_rep *reps[2] = { &e->plain, &e->gz };
    for (int i = 0; i < 2; i++) {
        if (reps[i]->ok)
            MHD_destroy_response(reps[i]->ok);
        if (reps[i]->not_mod)
            MHD_destroy_response(reps[i]->not_mod);
    }
    kf_free(e);
}

/* The request path with runs of '/' made one: the key files are kept
 * under, so "//a.js" is not kept twice.  False when it does not fit. */
static bool make_key(const char *url, char *key, size_t keysz)
{
    size_t n = 0;
    for (const char *p = url; *p; p++) {
        if (*p == '/' && n && key[n - 1] == '/')
            continue;
        if (n + 1 >= keysz)
            return false;
        key[n++] = *p;
    }
    key[n] = '\0';
    return true;
}

static uint64_t key_hash(const char *k)
{
    uint64_t h = 1469598103934665603ull;          /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

/* The file `url` names, read with its twin, as an entry for `key`: NULL
 * with *missing when there is none (or it cannot be read), NULL without
 * when out of memory, or when the file is too large to keep (*too_big;
 * then `fd` and `stp` have it, opened, and `real` its path). */
static static_entry *entry_load(kf_http_static *s, const char *url, const char *key,
                                bool *missing, bool *too_big, int *fd_out,
                                struct stat *stp, char *real)
{
    *missing = *too_big = false;
    *fd_out = -1;
    int fd = static_open(s->root, s->root_len, s->root_fd, url, stp, real);
    if (fd < 0) {
        *missing = true;
        return NULL;
    }
    if (stp->st_size > KF_HTTP_STATIC_FILE_MAX) {
        *too_big = true;
        *fd_out = fd;
        return NULL;
    }
    size_t len;
    bool oom;
    unsigned char *body = read_all(fd, (size_t)stp->st_size, &len, &oom);
    if (!body) {
        *missing = !oom;
        return NULL;
    }
    uint32_t crc = crc32_of(body, len);

    /* The twin, sent only when its trailer names these very bytes. */
    unsigned char *gz = NULL;
    size_t gzlen = 0;
    struct stat gst;
    char gzpath[PATH_MAX];
    int gfd = -1;
    if ((size_t)snprintf(gzpath, sizeof gzpath, "%s.gz", real) < sizeof gzpath) {
        bool dir;
        gfd = s->root_fd >= 0 ? open_beneath(s->root_fd, gzpath + s->root_len + 1,
                                             RESOLVE_NO_SYMLINKS, &gst, &dir) : -1;
        if (gfd >= 0 && dir) {
            close(gfd);
            gfd = -1;
        } else if (gfd < 0 && (s->root_fd < 0 || errno == ENOSYS)) {
            char greal[PATH_MAX];
            gfd = open_inside(s->root, s->root_len, gzpath, &gst, greal);
            if (gfd >= 0 && strcmp(greal, gzpath) != 0) {
                close(gfd);                    /* a link elsewhere */
                gfd = -1;
            }
        }
    }
    if (gfd >= 0 && gst.st_size <= KF_HTTP_STATIC_FILE_MAX) {
        gz = read_all(gfd, (size_t)gst.st_size, &gzlen, &oom);
        if (gz && !twin_matches(gz, gzlen, crc, len)) {
            kf_free(gz);
            gz = NULL;
        }
    } else if (gfd >= 0) {
        close(gfd);
    }

    size_t klen = strlen(key);
    static_entry *e = kf_calloc(1, sizeof *e + klen + 1);
    if (!e) {
        kf_free(body);
        kf_free(gz);
        return NULL;
    }
    memcpy(e->key, key, klen + 1);
    e->hash = key_hash(key);
    e->bytes = len + gzlen;
    http_date(stp->st_mtime, e->date, sizeof e->date);
    snprintf(e->plain.etag, sizeof e->plain.etag, "\"%08x-%zx\"", (unsigned)crc, len);
    snprintf(e->gz.etag, sizeof e->gz.etag, "\"%08x-%zx-gz\"", (unsigned)crc, len);
    const char *type = mime_type(real);
    bool ok = rep_make(&e->plain, body, len, type, e->date, gz != NULL, false);
    if (ok && gz) {
        ok = rep_make(&e->gz, gz, gzlen, type, e->date, true, true);
        gz = NULL;
    }
    kf_free(gz);
    if (!ok) {
        entry_free(e);
        return NULL;
    }
    return e;
}

/* Which of an entry's answers this request gets: gzip or not, 304 or 200.
 * Returns the response and its status. */
static struct MHD_Response *entry_pick(const static_entry *e, struct MHD_Connection *conn,
                                       unsigned *status)
{
    const static_rep *r = &e->plain;
    if (e->gz.ok && kf_http_static_accepts_gzip(
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                        MHD_HTTP_HEADER_ACCEPT_ENCODING)))
        r = &e->gz;
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool fresh;
    if (inm) {
        fresh = etag_listed(inm, r->etag);  /* it decides over the date */
    } else {
        const char *ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
        fresh = ims && strcmp(ims, e->date) == 0;
    }
    *status = fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
    return fresh ? r->not_mod : r->ok;
}

static static_entry *entry_find(const kf_http_static *s, const char *key, uint64_t h)
{
    for (static_entry *e = s->bucket[h % STATIC_BUCKETS]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Drops everything kept; the caller holds the write lock. */
static void drop_all(kf_http_static *s)
{
    for (int b = 0; b < STATIC_BUCKETS; b++) {
        static_entry *e = s->bucket[b];
        while (e) {
            static_entry *next = e->next;
            entry_free(e);
            e = next;
        }
        s->bucket[b] = NULL;
    }
    s->n_entries = s->n_bytes = 0;
    s->gen++;
}

/* A file too large to keep, or one read while nothing is kept: sent from
 * its descriptor, as it is now; its twin when no older than the file. */
static enum MHD_Result serve_uncached(kf_http_static *s, struct MHD_Connection *conn,
                                      int fd, const struct stat *st, const char *real)
{
    struct stat gst;
    int gfd = open_gzip_twin(s, real, st, &gst);
    bool vary = gfd >= 0;
    if (gfd >= 0 && !kf_http_static_accepts_gzip(
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                        MHD_HTTP_HEADER_ACCEPT_ENCODING))) {
        close(gfd);
        gfd = -1;
    }
    /* Its tag: what it is now (length, modification time in ns, inode). */
    char date[40], etag[80];
    http_date(st->st_mtime, date, sizeof date);
    const struct stat *ts = gfd >= 0 ? &gst : st;
    snprintf(etag, sizeof etag, "\"%llx-%llx-%llx%s\"", (unsigned long long)ts->st_size,
             (unsigned long long)ts->st_mtim.tv_sec * 1000000000ull +
             (unsigned long long)ts->st_mtim.tv_nsec,
             (unsigned long long)ts->st_ino, gfd >= 0 ? "-gz" : "");
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
    bool fresh = inm ? etag_listed(inm, etag) : ims && strcmp(ims, date) == 0;
    struct MHD_Response *resp;
    if (fresh) {
        close(fd);
        if (gfd >= 0)
            close(gfd);
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else if (gfd >= 0) {
        close(fd);
        resp = file_response(gfd, (size_t)gst.st_size);
    } else {
        resp = file_response(fd, (size_t)st->st_size);
    }
    if (!resp)
        return MHD_NO;
    kf_http__common_headers(resp, mime_type(real), "no-cache");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    if (gfd >= 0 && !fresh)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (vary)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    enum MHD_Result ret = MHD_queue_response(conn, fresh ? MHD_HTTP_NOT_MODIFIED
                                                         : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result kf_http_static_serve(kf_http_static *s, struct MHD_Connection *conn,
                                     const char *url, bool *missing)
{
    *missing = false;
    char key[PATH_MAX];
    if (!make_key(url, key, sizeof key)) {
        *missing = true;
        return MHD_YES;
    }
    uint64_t h = key_hash(key);
    unsigned status;
    enum MHD_Result ret;

    /* Kept: the answer is queued under the lock, which keeps the entry. */
    pthread_rwlock_rdlock(&s->lock);
    static_entry *e = entry_find(s, key, h);
    if (e) {
        struct MHD_Response *resp = entry_pick(e, conn, &status);
        ret = MHD_queue_response(conn, status, resp);
        pthread_rwlock_unlock(&s->lock);
        return ret;
    }
    unsigned long gen = s->gen;
    bool keep = s->keep;
    pthread_rwlock_unlock(&s->lock);

    bool too_big;
    int fd;
    struct stat st;
    char real[PATH_MAX];
    e = entry_load(s, url, key, missing, &too_big, &fd, &st, real);
    if (too_big)
        return serve_uncached(s, conn, fd, &st, real);
    if (!e)
        return *missing ? MHD_YES : MHD_NO;

    /* Kept only when nothing changed in the folder while it was read (the
     * watcher bumps gen first): what was read may be half an edit. */
    bool kept = false;
    pthread_rwlock_wrlock(&s->lock);
    if (keep && s->keep && s->gen == gen && !entry_find(s, key, h) &&
        s->n_entries < KF_HTTP_STATIC_ENTRIES_MAX &&
        s->n_bytes + e->bytes <= KF_HTTP_STATIC_CACHE_MAX) {
        e->next = s->bucket[h % STATIC_BUCKETS];
        s->bucket[h % STATIC_BUCKETS] = e;
        s->n_entries++;
        s->n_bytes += e->bytes;
        kept = true;
    }
    struct MHD_Response *resp = entry_pick(e, conn, &status);
    ret = MHD_queue_response(conn, status, resp);
    pthread_rwlock_unlock(&s->lock);
    if (!kept)
        entry_free(e);                 /* the queued answer keeps its own */
    return ret;
}

/* ---- watching the folder -------------------------------------------------- */

#define WATCH_EVENTS (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | \
                      IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

/* Watches `path` and every folder beneath it (links are not followed: the
 * server never follows one out of the folder, and one inside leads to a
 * folder watched in its own place).  False past KF_HTTP_STATIC_DIRS_MAX. */
static bool watch_tree(kf_http_static *s, const char *path, int depth)
{
    if (depth > 32 || s->n_dirs >= KF_HTTP_STATIC_DIRS_MAX)
        return false;
    if (inotify_add_watch(s->in_fd, path, WATCH_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW) < 0)
        /* gone meanwhile, or closed to us (and so to every request) */
        return errno == ENOENT || errno == ENOTDIR || errno == EACCES;
    s->n_dirs++;
    DIR *d = opendir(path);
    if (!d)
        return true;
    bool ok = true;
    struct dirent *de;
    while (ok && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && (!de->d_name[1] ||
                                     (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
            continue;
        char sub[PATH_MAX];
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= sizeof sub)
            continue;                  /* too long to be served anyway */
        struct stat st;
        if (de->d_type == DT_UNKNOWN && (lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode)))
            continue;
        ok = watch_tree(s, sub, depth + 1);
    }
    closedir(d);
    return ok;
}

static void *watcher_main(void *arg)
{
    kf_http_static *s = arg;
    _Alignas(struct inotify_event) char buf[16 * 1024];
    for (;;) {
        struct pollfd p[2] = { { s->in_fd, POLLIN, 0 }, { s->stop_fd, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        bool new_dir = false;
        ssize_t n;
        while ((n = read(s->in_fd, buf, sizeof buf)) > 0)
            for (ssize_t off = 0; off < n;) {
                const struct inotify_event *ev = (const void *)(buf + off);
                if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
                    new_dir = true;
                off += (ssize_t)(sizeof *ev + ev->len);
            }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
        pthread_rwlock_wrlock(&s->lock);
        drop_all(s);
        /* A new folder is watched too (the walk meets those watched
         * already, which inotify gives the same watch again). */
        if (new_dir) {
            s->n_dirs = 0;
            if (!watch_tree(s, s->root, 0))
                s->keep = false;
        }
        pthread_rwlock_unlock(&s->lock);
    }
    /* Unable to watch any more: nothing is kept from now on. */
    pthread_rwlock_wrlock(&s->lock);
    s->keep = false;
    drop_all(s);
    pthread_rwlock_unlock(&s->lock);
    return NULL;
}

kf_http_static *kf_http_static_new(const char *dir)
{
    char real[PATH_MAX];
    struct stat st;
    if (!dir || !realpath(dir, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    kf_http_static *s = kf_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->root = kf_strdup(real);
    if (!s->root) {
        kf_free(s);
        return NULL;
    }
    s->root_len = strlen(real);
    s->root_fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    s->in_fd = s->stop_fd = -1;
    pthread_rwlock_init(&s->lock, NULL);
    pthread_once(&crc_once, crc_init);

    /* Files are kept only while the folder is watched. */
    s->in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    s->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (s->in_fd >= 0 && s->stop_fd >= 0 && watch_tree(s, s->root, 0) &&
        pthread_create(&s->watcher, NULL, watcher_main, s) == 0) {
        s->watching = true;
        s->keep = true;
    } else {
        fprintf(stderr, "knotfinder serve: the web folder cannot be watched for changes "
                "(%s); its files are read at each request\n",
                s->n_dirs >= KF_HTTP_STATIC_DIRS_MAX ? "too many folders" : strerror(errno));
    }
    return s;
}

void kf_http_static_free(kf_http_static *s)
{
    if (!s)
        return;
    if (s->watching) {
        uint64_t one = 1;
        ssize_t w = write(s->stop_fd, &one, sizeof one);
        (void)w;
        pthread_join(s->watcher, NULL);
    }
    if (s->in_fd >= 0)
        close(s->in_fd);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    drop_all(s);
    pthread_rwlock_destroy(&s->lock);
    if (s->root_fd >= 0)
        close(s->root_fd);
    kf_free(s->root);
    kf_free(s);
}
