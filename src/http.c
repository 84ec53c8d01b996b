/*
 * http.c — the embedded web server: the JSON API of docs/API.md and the web
 * app's static files, on libmicrohttpd with a pool of polling threads.
 *
 * A request goes through: route lookup (404, 405), for POST the content
 * type (415) and the body size (413, answered as soon as it is known, and
 * the rest of the body is not read), JSON parsing (400 with jansson's line
 * and column), then the handler (422 for wrong fields).  Anything that is
 * not under /api/ is a static file from the web folder.
 */
#include "http.h"
#include "http_static.h"

#include <microhttpd.h>

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdint.h>

/* A body that goes over the limit cannot be answered before it ends
 * (libmicrohttpd 0.9 queues answers only before or after the body), so it
 * is skipped and answered 413 at its end; but past this much more the
 * connection is dropped instead. */
#define DISCARD_MAX (1024 * 1024)
/* A body with no length announced (chunked) that goes past that is told
 * 413 on the socket itself (tell_too_large), and up to this much more of
 * what the client still sends is read and dropped, so that the answer
 * reaches it before the connection closes. */
#define LINGER_MAX (1024 * 1024)

typedef struct http_cache http_cache;

struct kf_http {
    struct MHD_Daemon *daemon;
    http_cache        *cache;       /* answers of pure routes, or NULL */
    const kf_http_service *svc;     /* routes, guard, context */
    kf_http_static    *files;       /* the web folder's files, or NULL */
    int                port;
    int                body_deadline_s;  /* a POST body must be in by then */
    bool               save;        /* consultations are kept in the journal */
    int                save_per_min; /* --save-limit: kept a minute (0: every one) */
    kf_http_gate_cfg   gate;        /* who may ask (kf_http_gate) */
    char               bind[256];   /* the --bind address, for the gate */
    char               token[33];   /* the journal's token, or "" */
    char               url[INET6_ADDRSTRLEN + 32];
    /* The header deadline (see conn_watch). */
    pthread_mutex_t    watch_mu;
    pthread_cond_t     watch_cv;
    pthread_t          watchdog;
    bool               watch_started, watch_stop;
    struct conn_watch *watching;    /* connections, a doubly linked list */
    int                header_deadline_s;
    /* Answers waiting for their consultation's commit (send_saved). */
    pthread_mutex_t    wait_mu;
    pthread_cond_t     wait_cv;
    int                n_waiting;   /* connections suspended for a save */
    bool               stopping;    /* kf_http_stop: save and answer at once */
};

/* ---- replies ---------------------------------------------------------- */

/* Replaces each byte of `s` that is not part of valid UTF-8 (a stray or
 * truncated sequence, an overlong form, a surrogate) with '?', in place:
 * an error message may quote the request (jansson's words quote the bad
 * bytes of a body) and must still become a JSON string. */
static void utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                 : (c >> 3) == 30 ? 4 : 0;
        bool ok = k > 0;
        unsigned cp = k == 1 ? c : c & (0x7fu >> k);
        for (size_t j = 1; ok && j < k; j++) {
            ok = (p[j] & 0xc0) == 0x80;    /* a NUL ends it too */
            cp = cp << 6 | (p[j] & 0x3f);
        }
        if (ok && ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
                   (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                   (cp >= 0xd800 && cp <= 0xdfff)))
            ok = false;
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += k;
    }
}

void kf_http_error(kf_http_reply *rep, int status, const char *code,
                   const char *fmt, ...)
{
    json_decref(rep->json);
    rep->json = NULL;
    kf_free(rep->body);
    rep->body = NULL;
    rep->body_len = 0;
    rep->status = status;
    rep->code = code;
    rep->message.len = 0;
    if (rep->message.s)
        rep->message.s[0] = '\0';
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_scrub(msg);
    kf_buf_puts(&rep->message, msg);
}

static void oom(kf_http_reply *rep)
{
    kf_http_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
}

void kf_http_json(kf_http_reply *rep, int status, json_t *v)
{
    if (!v) {
        oom(rep);
        return;
    }
    json_decref(rep->json);
    rep->json = v;
    kf_free(rep->body);
    rep->body = NULL;
    rep->body_len = 0;
    rep->status = status;
}

void kf_http_written(kf_http_reply *rep, char *body, size_t len, const char *why)
{
    if (!body) {
        if (!why || !strcmp(why, "out of memory"))
            oom(rep);
        else
            kf_http_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                          "the answer could not be written: %s", why);
        return;
    }
    json_decref(rep->json);
    rep->json = NULL;
    kf_free(rep->body);
    rep->body = body;
    rep->body_len = len;
    rep->status = MHD_HTTP_OK;
}

/* Does `url` match the route path `pat`?  A "{}" segment matches one
 * non-empty segment, returned in *param (pointing into url, up to the next
 * '/' or the end). */
static bool path_match(const char *pat, const char *url, const char **param)
{
    *param = NULL;
    const char *hole = strstr(pat, "/{}");
    if (!hole || (hole[3] != '\0' && hole[3] != '/'))
        return strcmp(pat, url) == 0;
    size_t n = (size_t)(hole - pat) + 1;          /* keep the '/' */
    if (strncmp(pat, url, n) != 0)
        return false;
    const char *seg = url + n;
    size_t sl = strcspn(seg, "/");
    if (sl == 0 || strcmp(seg + sl, hole + 3) != 0)
        return false;
    *param = seg;
    return true;
}

/* Finds the route for (method, url).  Returns it, or NULL with *status 404
 * or 405 (then `allow` lists the methods the path accepts). */
static const kf_http_route *route_find(const kf_http_service *svc,
                                       const char *method, const char *url,
                                       const char **param, int *status,
                                       char *allow, size_t allowsz)
{
    bool head = strcmp(method, "HEAD") == 0;
    const kf_http_route *routes = svc->routes;
    *status = MHD_HTTP_NOT_FOUND;
    allow[0] = '\0';
    for (size_t i = 0; i < svc->n_routes; i++) {
        const char *p;
        if (!path_match(routes[i].path, url, &p))
            continue;
        if (strcmp(routes[i].method, method) == 0 ||
            (head && strcmp(routes[i].method, "GET") == 0)) {
            *param = p;
            return &routes[i];
        }
        *status = MHD_HTTP_METHOD_NOT_ALLOWED;
        size_t l = strlen(allow);
        snprintf(allow + l, allowsz - l, "%s%s%s", l ? ", " : "",
                 routes[i].method,
                 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
    }
    return NULL;
}

/* ---- responses -------------------------------------------------------- */

/* Headers every response carries (http_static.c has them). */
#define add_common_headers kf_http__common_headers

static enum MHD_Result send_response(struct MHD_Connection *conn, int status,
                                     struct MHD_Response *resp)
{
    if (!resp)
        return MHD_NO;                 /* out of memory: drop the connection */
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static int dump_cb(const char *s, size_t n, void *data)
{
    kf_buf *b = data;
    kf_buf_add(b, s, n);
    return b->oom ? -1 : 0;
}

/* Serialises a JSON value (stolen) into `out` as one compact line.
 * Returns false when out of memory (out is then freed). */
static bool serialise(json_t *v, kf_buf *out)
{
    kf_buf_init(out);
    int rc = v ? json_dump_callback(v, dump_cb, out, JSON_COMPACT) : -1;
    json_decref(v);
    kf_buf_add(out, "\n", 1);
    if (rc != 0 || out->oom) {
        kf_buf_free(out);
        return false;
    }
    return true;
}

/* Sends `len` bytes of JSON at `body`, which the response takes over (it is
 * freed with kf_free), or an out-of-memory error when body is NULL. */
static enum MHD_Result send_body_x(struct MHD_Connection *conn, int status,
                                   char *body, size_t len, const char *allow,
                                   const kf_http_reply *x)
{
    struct MHD_Response *resp;
    if (!body) {
        static const char fail[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}\n";
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        resp = MHD_create_response_from_buffer(sizeof fail - 1, (void *)fail,
                                               MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer_with_free_callback(len, body,
                                                                  kf_free);
        if (!resp)
            kf_free(body);
    }
    if (!resp)
        return MHD_NO;
    add_common_headers(resp, "application/json; charset=utf-8", "no-store");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (x && x->cookie[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, x->cookie);
    if (x && x->retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%d", x->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    return send_response(conn, status, resp);
}

static enum MHD_Result send_body(struct MHD_Connection *conn, int status,
                                 char *body, size_t len, const char *allow)
{
    return send_body_x(conn, status, body, len, allow, NULL);
}

static enum MHD_Result send_error_x(struct MHD_Connection *conn, int status,
                                    const char *code, const char *message,
                                    const char *allow, const kf_http_reply *x)
{
    char *msg = kf_strdup(message ? message : "");
    if (msg)
        utf8_scrub(msg);
    json_t *v = msg ? json_pack("{s:{s:s,s:s}}", "error", "code", code,
                                "message", msg) : NULL;
    kf_free(msg);
    kf_buf b;
    if (!serialise(v, &b))
        return send_body_x(conn, status, NULL, 0, allow, x);
    return send_body_x(conn, status, b.s, b.len, allow, x);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status,
                                  const char *code, const char *message,
                                  const char *allow)
{
    return send_error_x(conn, status, code, message, allow, NULL);
}

/* ---- saved or not ---------------------------------------------------- */

/* The words of each kf_save_note (docs/API.md "Saved or not"): a code for
 * programs and a sentence for the person, which the page shows after
 * "Not saved to your journal: ".  No character in them needs escaping in
 * JSON. */
static const struct { const char *code, *message; } save_words[] = {
    [KF_SAVE_ASKED]  = { "not_asked", "you asked for this one not to be kept" },
    [KF_SAVE_OFF]    = { "saving_off", "this knotfinder runs with --no-save and "
                         "keeps no consultation" },
    [KF_SAVE_TOKEN]  = { "token_required", "this page was not opened with the "
                         "address the server printed (the one ending in #token=...), "
                         "so nothing is kept" },
    [KF_SAVE_ANON]   = { "not_signed_in", "you are not signed in; sign in on the "
                         "course page to keep your consultations" },
    [KF_SAVE_EMPTY]  = { "nothing_recognised", "nothing in it was recognised, so "
                         "there was nothing worth keeping" },
    [KF_SAVE_LIMIT]  = { "save_limit", NULL },     /* with the figure: below */
    [KF_SAVE_FAILED] = { "journal_failed", "the journal could not be written just "
                         "now (the answer itself is complete); try again in a moment" },
    [KF_SAVE_BROKEN] = { "journal_unavailable", "the journal file cannot be opened "
                         "or written (the Journal page says why; the file was left as "
                         "it is), so nothing is kept until that is put right; the answer "
                         "itself is complete" },
};

kf_save_note kf_http_save_failed(kf_err e)
{
    return e == KF_EDB || e == KF_EIO ? KF_SAVE_BROKEN : KF_SAVE_FAILED;
}

/* The JSON text of a consultation's answer (`body`, an object, taken over)
 * with what became of its saving as its last members: "saved": true, or
 * "saved": false, "not_saved": {"code","message"}.  KF_SAVE_NA, and a body
 * that is not an object, are left as they are; so is the body when memory
 * is short (the answer matters more than the note). */
/* Bytes an answer needs beyond its own for with_saved's note (at most
 * 511, its `add`) and a NUL. */
#define SAVED_NOTE_ROOM 512

static char *with_saved(const kf_http *s, char *body, size_t *len, kf_save_note n)
{
    if (n == KF_SAVE_NA || n == KF_SAVE_ROW || !body || (size_t)n >= KF_ARRAY_LEN(save_words))
        return body;
    size_t end = *len;
    while (end && (body[end - 1] == '\n' || body[end - 1] == ' ' || body[end - 1] == '\r'))
        end--;
    if (end < 2 || body[end - 1] != '}')
        return body;
    size_t close = end - 1, prev = close;
    while (prev && (body[prev - 1] == ' ' || body[prev - 1] == '\n'))
        prev--;
    bool empty = prev && body[prev - 1] == '{';
    char add[SAVED_NOTE_ROOM];
    int m;
    if (n == KF_SAVE_KEPT) {
        m = snprintf(add, sizeof add, "%s\"saved\":true", empty ? "" : ",");
    } else {
        char limit[200];
        const char *msg = save_words[n].message;
        if (n == KF_SAVE_LIMIT) {
            snprintf(limit, sizeof limit, "this server keeps at most %d consultations "
                     "a minute, and that many came in just before this one; the "
                     "answer is complete, ask again in a minute to keep it",
                     s->save_per_min > 0 ? s->save_per_min : KF_HTTP_SAVES_PER_MINUTE);
            msg = limit;
        }
        m = snprintf(add, sizeof add, "%s\"saved\":false,\"not_saved\":{\"code\":\"%s\","
                     "\"message\":\"%s\"}", empty ? "" : ",", save_words[n].code, msg);
    }
    if (m < 0 || (size_t)m >= sizeof add)
        return body;
    /* Grown where it lies (an answer from the cache has the room: no copy
     * of its 10-20 KB), and only its closing brace and what follows moved. */
    char *out = kf_realloc(body, *len + (size_t)m + 1);
    if (!out)
        return body;
    memmove(out + close + m, out + close, *len - close);
    memcpy(out + close, add, (size_t)m);
    *len += (size_t)m;
    out[*len] = '\0';
    return out;
}

/* ---- the answer cache ------------------------------------------------- */

/* The engine is deterministic and the kb does not change while the server
 * runs, so a pure route (kf_http_route.pure) answers the same body with the
 * same bytes.  The cache keeps recent answers, keyed by route and body,
 * in shards with a lock each; every shard is a set-associative table of
 * CACHE_WAYS entries per set, the least recently used one replaced. */
#define CACHE_SHARDS  16
#define CACHE_WAYS    4
#define CACHE_KEY_MAX (16 * 1024)     /* larger bodies are not kept */
#define CACHE_VAL_MAX (256 * 1024)    /* nor larger answers */

typedef struct {
    uint64_t             hash;
    const kf_http_route *route;
    char                *mem;          /* key bytes, then the row to save
                                          (struct kf_journal_row) */
    struct cache_val    *val;          /* the answer, shared (below) */
    size_t               klen, rlen;
    bool                 row_known;    /* made while saving: rlen 0 means
                                          there is nothing to keep */
    kf_save_note         note;         /* what its handler said of saving */
    uint64_t             used;         /* shard tick of the last use */
} cache_entry;

/* An answer in the cache, shared by reference: the cache holds one, and
 * each response that sends it another (released by MHD when the response
 * is gone, cache_val_unref), so a hit copies none of its 10-20 KB.  The
 * answer with each save note added (with_saved) is made once, on the
 * first answer that needs it, and kept beside it: an answer from the
 * cache goes out as it lies.  Before (a copy of the answer into a buffer
 * of its own, grown for the note, for every hit) a hit cost a malloc, a
 * memcpy and a free of the whole answer. */
#define CACHE_NOTES (KF_SAVE_FAILED + 1)

typedef struct {
    size_t len;
    char   data[];
} cache_blob;

typedef struct cache_val {
    _Atomic long          refs;
    _Atomic(cache_blob *) noted[CACHE_NOTES]; /* with_saved(note), or NULL */
    size_t                len;
    char                  data[];             /* the answer, NUL-ended */
} cache_val;

static void cache_val_unref(void *cls)
{
    cache_val *v = cls;
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
        return;
    for (int i = 0; i < CACHE_NOTES; i++)
        kf_free(atomic_load(&v->noted[i]));
    kf_free(v);
}

/* The bytes of `v` as an answer that says `note` of its saving, in *len;
 * NULL when memory is short. */
static const char *cache_val_bytes(const kf_http *s, cache_val *v, kf_save_note note,
                                   size_t *len)
{
    if (note == KF_SAVE_NA || note == KF_SAVE_ROW || (int)note < 0 || note >= CACHE_NOTES) {
        *len = v->len;
        return v->data;
    }
    cache_blob *b = atomic_load(&v->noted[note]);
    if (!b) {
        char *t = kf_malloc(v->len + SAVED_NOTE_ROOM);
        if (!t)
            return NULL;
        memcpy(t, v->data, v->len + 1);
        size_t n = v->len;
        t = with_saved(s, t, &n, note);
        b = kf_malloc(sizeof *b + n + 1);
        if (!b) {
            kf_free(t);
            return NULL;
        }
        b->len = n;
        memcpy(b->data, t, n + 1);
        kf_free(t);
        cache_blob *none = NULL;
        if (!atomic_compare_exchange_strong(&v->noted[note], &none, b)) {
            kf_free(b);                /* another thread was first */
            b = none;
        }
    }
    *len = b->len;
    return b->data;
}

typedef struct {
    pthread_mutex_t lock;
    cache_entry    *e;                 /* sets * CACHE_WAYS */
    size_t          sets;
    uint64_t        tick;
} cache_shard;

struct http_cache {
    const kf_http_saver *saver;        /* the size of a row kept beside an answer */
    cache_shard shard[CACHE_SHARDS];
};

/* The cache's key hash: 8 bytes a step, each mixed in by a multiply and a
 * shift (the set is taken from the low bits, so each word must reach
 * them), and a final avalanche.  It was FNV-1a a byte at a step: ~2,800
 * instructions of an article case's 1 KB body at every request. */
static uint64_t cache_hash(const kf_http_route *rt, const char *p, size_t n)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h = (1469598103934665603ull ^ (uint64_t)(uintptr_t)rt) + n * k;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* A cache of about `entries` answers; NULL when out of memory. */
static http_cache *cache_new(int entries)
{
    http_cache *c = kf_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t sets = ((size_t)entries + CACHE_SHARDS * CACHE_WAYS - 1) /
                  (CACHE_SHARDS * CACHE_WAYS);
    for (int i = 0; i < CACHE_SHARDS; i++) {
        cache_shard *sh = &c->shard[i];
        sh->sets = sets ? sets : 1;
        sh->e = kf_calloc(sh->sets * CACHE_WAYS, sizeof *sh->e);
        pthread_mutex_init(&sh->lock, NULL);
        if (!sh->e) {
            for (int k = 0; k <= i; k++) {
                kf_free(c->shard[k].e);
                pthread_mutex_destroy(&c->shard[k].lock);
            }
            kf_free(c);
            return NULL;
        }
    }
    return c;
}

static void cache_free(http_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < CACHE_SHARDS; i++) {
        cache_shard *sh = &c->shard[i];
        for (size_t k = 0; k < sh->sets * CACHE_WAYS; k++) {
            kf_free(sh->e[k].mem);
            cache_val_unref(sh->e[k].val);
        }
        kf_free(sh->e);
        pthread_mutex_destroy(&sh->lock);
    }
    kf_free(c);
}

static cache_entry *cache_set(http_cache *c, uint64_t h, cache_shard **shp)
{
    cache_shard *sh = &c->shard[h % CACHE_SHARDS];
    *shp = sh;
    return &sh->e[(h / CACHE_SHARDS) % sh->sets * CACHE_WAYS];
}

/* The answer kept for (rt, key), a reference the caller releases
 * (cache_val_unref, or the response that sends it), or NULL.  *row gets a
 * copy of what the first answer saved (NULL when nothing), and *row_known
 * whether that is known (the first answer was made while saving). */
static cache_val *cache_get(http_cache *c, const kf_http_route *rt, const char *key,
                            size_t klen, struct kf_journal_row **row,
                            bool *row_known, kf_save_note *note)
{
    *row = NULL;
    *row_known = false;
    *note = KF_SAVE_NA;
    if (!c || klen > CACHE_KEY_MAX)
        return NULL;
    uint64_t h = cache_hash(rt, key, klen);
    cache_shard *sh;
    cache_entry *set = cache_set(c, h, &sh);
    cache_val *out = NULL;
    pthread_mutex_lock(&sh->lock);
    for (int w = 0; w < CACHE_WAYS; w++) {
        cache_entry *e = &set[w];
        if (e->mem && e->hash == h && e->route == rt && e->klen == klen &&
            memcmp(e->mem, key, klen) == 0) {
            if (e->rlen) {
                *row = kf_malloc(e->rlen);
                if (!*row)
                    break;
                memcpy(*row, e->mem + klen, e->rlen);
            }
            out = e->val;
            atomic_fetch_add(&out->refs, 1);
            *row_known = e->row_known;
            *note = e->note;
            e->used = ++sh->tick;
            break;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return out;
}

/* Keeps a copy of the answer `val` for (rt, key), with the row it saves
 * (NULL: none; row_known: the answer was made while saving); does nothing
 * when either is too large or memory is short. */
static void cache_put(http_cache *c, const kf_http_route *rt, const char *key,
                      size_t klen, const char *val, size_t vlen,
                      const struct kf_journal_row *row, bool row_known,
                      kf_save_note note)
{
    if (!c)
        return;
    size_t rlen = row && c->saver ? c->saver->size(row) : 0;
    if (klen > CACHE_KEY_MAX || vlen > CACHE_VAL_MAX || rlen > CACHE_VAL_MAX)
        return;
    char *mem = kf_malloc(klen + rlen + 1);
    cache_val *v = kf_malloc(sizeof *v + vlen + 1);
    if (!mem || !v) {
        kf_free(mem);
        kf_free(v);
        return;
    }
    memcpy(mem, key, klen);
    if (rlen)
        memcpy(mem + klen, row, rlen);
    atomic_init(&v->refs, 1);
    for (int i = 0; i < CACHE_NOTES; i++)
        atomic_init(&v->noted[i], NULL);
    v->len = vlen;
    memcpy(v->data, val, vlen);
    v->data[vlen] = '\0';
    uint64_t h = cache_hash(rt, key, klen);
    cache_shard *sh;
    cache_entry *set = cache_set(c, h, &sh);
    pthread_mutex_lock(&sh->lock);
    cache_entry *victim = &set[0];
    for (int w = 0; w < CACHE_WAYS; w++) {
        cache_entry *e = &set[w];
        if (e->mem && e->hash == h && e->route == rt && e->klen == klen &&
            memcmp(e->mem, key, klen) == 0) {
            victim = e;                     /* another thread was first */
            break;
        }
        if (!e->mem || e->used < victim->used)
            victim = e;
        if (!e->mem)
            break;
    }
    char *old = victim->mem;
    cache_val *old_val = victim->val;
    *victim = (cache_entry){ .hash = h, .route = rt, .mem = mem, .val = v, .klen = klen,
                             .rlen = rlen, .row_known = row_known,
                             .note = note, .used = ++sh->tick };
    pthread_mutex_unlock(&sh->lock);
    kf_free(old);
    cache_val_unref(old_val);
}

/* ---- the gate --------------------------------------------------------- */

/* Does `name` (a host name or address, no port) name this server? */
static bool host_name_ok(const kf_http_gate_cfg *g, const char *name, size_t n)
{
    static const char *const loop[] = { "127.0.0.1", "localhost", "[::1]" };
    if (n == 0)
        return false;
    for (size_t i = 0; i < KF_ARRAY_LEN(loop); i++)
        if (strlen(loop[i]) == n && strncasecmp(name, loop[i], n) == 0)
            return true;
    if (g->bind && *g->bind) {
        size_t b = strlen(g->bind);
        bool v6 = strchr(g->bind, ':') != NULL;
        if (!v6 && b == n && strncasecmp(name, g->bind, n) == 0)
            return true;
        if (v6 && n == b + 2 && name[0] == '[' && name[n - 1] == ']' &&
            strncasecmp(name + 1, g->bind, b) == 0)
            return true;
    }
    if (g->any_host) {
        /* Any name, as long as it is one: letters, digits, '.', '-', or
         * a bracketed IPv6 address. */
        bool br = name[0] == '[';
        if (br && name[n - 1] != ']')
            return false;
        for (size_t i = br; i < n - br; i++) {
            unsigned char c = (unsigned char)name[i];
            if (!(isalnum(c) || c == '.' || c == '-' || (br && c == ':')))
                return false;
        }
        return true;
    }
    return false;
}

bool kf_http_host_ok(const kf_http_gate_cfg *g, const char *host)
{
    if (!host)
        return false;
    size_t len = strlen(host);
    const char *colon;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end)
            return false;
        colon = end[1] == ':' ? end + 1 : end[1] == '\0' ? NULL : host - 1;
        if (colon == host - 1)
            return false;                    /* "[::1]x" */
    } else {
        colon = strchr(host, ':');
        if (colon && strchr(colon + 1, ':'))
            return false;                    /* a bare IPv6 address */
    }
    size_t name_len = colon ? (size_t)(colon - host) : len;
    int port = 80;
    if (colon) {
        const char *p = colon + 1;
        size_t nd = strspn(p, "0123456789");
        if (nd == 0 || nd > 5 || p[nd] != '\0')
            return false;
        port = atoi(p);
    }
    /* Behind a proxy the public port is not the one bound. */
    return (g->hosted || port == g->port) && host_name_ok(g, host, name_len);
}

/* Compares two strings in time that depends only on their lengths. */
static bool same_secret(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    unsigned char d = n != m;
    for (size_t i = 0; i < n && i < m; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int kf_http_gate(const kf_http_gate_cfg *g, const kf_http_gate_req *r,
                 const char **code, char *why, size_t whysz)
{
    const char *url = r->url ? r->url : "";
    if (r->host && !kf_http_host_ok(g, r->host)) {
        *code = "wrong_host";
        snprintf(why, whysz, "this server answers only requests addressed to it "
                 "(http://127.0.0.1:%d/ or http://localhost:%d/%s%s), not to "
                 "'%.100s': a web page that points another name at this "
                 "computer is refused", g->port, g->port,
                 g->bind && *g->bind && !g->any_host ? ", or " : "",
                 g->bind && *g->bind && !g->any_host ? g->bind : "", r->host);
        return 421;
    }
    bool api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
    if (!api)
        return 0;
    if (r->fetch_site && strcmp(r->fetch_site, "same-origin") != 0 &&
        strcmp(r->fetch_site, "none") != 0) {
        *code = "cross_site";
        snprintf(why, whysz, "a request from another site (Sec-Fetch-Site: "
                 "%.40s) is refused: only knotfinder's own page may use its API",
                 r->fetch_site);
        return 403;
    }
    if (r->origin && g->hosted) {
        /* The course's own page: its Origin names the Host it was served
         * from, over http or https (TLS ends at the proxy). */
        const char *o = r->origin;
        size_t skip = strncmp(o, "https://", 8) == 0 ? 8
                    : strncmp(o, "http://", 7) == 0 ? 7 : 0;
        if (!skip || !r->host || strcasecmp(o + skip, r->host) != 0) {
            *code = "cross_site";
            snprintf(why, whysz, "a request from the page at %.100s is refused: "
                     "only the course's own page may use its API", r->origin);
            return 403;
        }
    } else if (r->origin) {
        bool ok = strncmp(r->origin, "http://", 7) == 0 &&
                  !strchr(r->origin + 7, '/') &&
                  kf_http_host_ok(g, r->origin + 7);
        if (!ok) {
            *code = "cross_site";
            snprintf(why, whysz, "a request from the page at %.100s is refused: "
                     "only knotfinder's own page may use its API", r->origin);
            return 403;
        }
    }
    if (g->token && *g->token && strncmp(url, "/api/v1/journal", 15) == 0 &&
        (url[15] == '\0' || url[15] == '/' || url[15] == '.') &&
        !(r->token && same_secret(r->token, g->token))) {
        *code = "token_required";
        snprintf(why, whysz, "%s: the journal needs the token this server "
                 "printed when it started (open the address it printed, with "
                 "its #token=...)", r->token ? "wrong token" : "no token");
        return 401;
    }
    return 0;
}

/* Fills the gate's view of a request from its headers. */
static kf_http_gate_req gate_req(struct MHD_Connection *conn, const char *method,
                                 const char *url)
{
    return (kf_http_gate_req){
        .method = method, .url = url,
        .host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
        .origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN),
        .fetch_site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site"),
        .token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Knotfinder-Token"),
    };
}

/* ---- the header deadline ---------------------------------------------- */

/* libmicrohttpd's connection timeout counts idle time, and a byte now and
 * then is not idle: a client that trickles its headers a byte a second
 * would hold its connection (and with enough of them, every connection the
 * cap allows) for ever.  So each connection is watched from the moment it
 * opens, and from the end of each answer on a kept-alive one: when the
 * next request's headers are not all in by header_deadline_s, a watchdog
 * thread shuts its socket down and libmicrohttpd closes it.  (Bodies have
 * their own deadline, in on_request.)  The list is only touched under
 * watch_mu, and libmicrohttpd tells us (MHD_CONNECTION_NOTIFY_CLOSED) before
 * it closes a socket, so the watchdog never shuts down a descriptor that
 * has been reused.
 *
 * The deadline is for headers that are coming, not for a connection that
 * is idle: a kept-alive connection on which nothing has arrived since its
 * last answer is libmicrohttpd's to close, by its idle timeout (the same
 * number of seconds), and the watchdog leaves it alone.  Shutting such a
 * connection down itself, a second at a time and without looking, it
 * could cut off a request that had just arrived and was not read yet: the
 * client, which had every right to reuse the connection, got no answer
 * ("socket hang up").  So past the deadline, the kernel is asked when the
 * connection last received a byte (TCP_INFO): nothing since it began
 * waiting: idle, left alone; a byte within the last second: it may be a
 * whole request just in, so it gets one more round (a second) to have its
 * headers read; headers still not in after that, or bytes that came and
 * stopped a second or more ago: shut down. */
typedef struct conn_watch {
    struct conn_watch *prev, *next;
    int                fd;
    bool               in_request;  /* the headers are in; an answer is due */
    bool               grace;       /* past the deadline, a byte just in */
    struct timespec    since;       /* when it began waiting for headers */
} conn_watch;

/* Milliseconds since the connection last received data, or -1 when the
 * kernel does not say. */
static long quiet_ms(int fd)
{
    struct tcp_info ti;
    socklen_t n = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &n) != 0 ||
        n < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof ti.tcpi_last_data_recv)
        return -1;
    return (long)ti.tcpi_last_data_recv;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    kf_http *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_watch *w = ci ? kf_calloc(1, sizeof *w) : NULL;
        if (!w)
            return;                     /* unwatched: only the idle timeout */
        w->fd = ci->connect_fd;
        clock_gettime(CLOCK_MONOTONIC, &w->since);
        pthread_mutex_lock(&s->watch_mu);
        w->next = s->watching;
        if (w->next)
            w->next->prev = w;
        s->watching = w;
        pthread_mutex_unlock(&s->watch_mu);
        *socket_context = w;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_watch *w = *socket_context;
        if (!w)
            return;
        pthread_mutex_lock(&s->watch_mu);
        if (w->prev)
            w->prev->next = w->next;
        else
            s->watching = w->next;
        if (w->next)
            w->next->prev = w->prev;
        pthread_mutex_unlock(&s->watch_mu);
        kf_free(w);
        *socket_context = NULL;
    }
}

/* Marks the connection's request as begun (headers in) or done. */
static void watch_mark(kf_http *s, struct MHD_Connection *conn, bool in_request)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_watch *w = ci ? ci->socket_context : NULL;
    if (!w)
        return;
    pthread_mutex_lock(&s->watch_mu);
    w->in_request = in_request;
    w->grace = false;
    clock_gettime(CLOCK_MONOTONIC, &w->since);
    pthread_mutex_unlock(&s->watch_mu);
}

static void *watchdog(void *arg)
{
    kf_http *s = arg;
    pthread_mutex_lock(&s->watch_mu);
    while (!s->watch_stop) {
        struct timespec now, until;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (conn_watch *w = s->watching; w; w = w->next) {
            if (w->in_request)
                continue;
            long waited = (long)(now.tv_sec - w->since.tv_sec) * 1000 +
                          (now.tv_nsec - w->since.tv_nsec) / 1000000;
            if (waited < (long)s->header_deadline_s * 1000)
                continue;
            long quiet = quiet_ms(w->fd);
            /* Nothing since it began waiting (the kernel's clock counts
             * in ticks of a few ms): idle, not ours to close. */
            if (quiet >= 0 && quiet + 50 >= waited)
                continue;
            if (quiet >= 0 && quiet < 1000 && !w->grace) {
                w->grace = true;            /* perhaps a request just in */
                continue;
            }
            shutdown(w->fd, SHUT_RDWR);
            w->in_request = true;           /* once is enough */
        }
        until = now;
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->watch_cv, &s->watch_mu, &until);
    }
    pthread_mutex_unlock(&s->watch_mu);
    return NULL;
}

/* ---- the request cycle ------------------------------------------------ */

/* Per-request state, kept in MHD's con_cls between calls. */
typedef struct {
    kf_buf body;          /* the POST body so far */
    size_t received;      /* body bytes received, kept or not */
    bool   too_big;       /* the body went over KF_HTTP_BODY_MAX */
    bool   told_big;      /* ... and past DISCARD_MAX: 413 written, closing */
    bool   answered;      /* a response has been queued */
    bool   want_body;     /* a POST route: the body is kept */
    bool   token_ok;      /* the token was given, or none is needed */
    struct timespec start; /* when the headers were in */
    /* An answer waiting for its consultation's commit (send_saved): the
     * connection is suspended meanwhile and resumed by on_saved. */
    kf_http               *srv;
    struct MHD_Connection *conn;
    struct kf_journal_row        *row;
    char                  *wait_body;
    cache_val             *wait_val;   /* or the answer from the cache */
    size_t                 wait_len;
    int                    wait_status;
    kf_save_note           wait_note;  /* what the answer will say of it */
    bool                   waiting;    /* suspended, the save not over yet */
    bool                   resumed;    /* the save is over: send wait_body */
} req_state;

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    watch_mark(cls, conn, false);       /* the next request's headers are due */
    req_state *r = *con_cls;
    if (r) {
        kf_buf_free(&r->body);
        kf_free(r->wait_body);
        cache_val_unref(r->wait_val);
        kf_free(r->row);
        kf_free(r);
        *con_cls = NULL;
    }
}

/* Is this Content-Type application/json, with at most a UTF-8 charset? */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, "application/json", 16) != 0)
        return false;
    const char *p = ct + 16;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return true;
        if (*p++ != ';')
            return false;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ";");
        if (strncasecmp(p, "charset=", 8) == 0) {
            const char *v = p + 8;
            size_t vn = n - 8;
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
            if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
                v++;
                vn -= 2;
            }
            if (!((vn == 5 && strncasecmp(v, "utf-8", 5) == 0) ||
                  (vn == 4 && strncasecmp(v, "utf8", 4) == 0)))
                return false;
        }
        p += n;
    }
}

/* Runs the guard, then (when it lets the request go on) the handler, then
 * the release: what the live server and kf_http__answer share. */
static void handle(const kf_http_service *svc, const kf_http_route *rt,
                   kf_http_req *req, kf_http_reply *rep)
{
    req->app = svc->app;
    req->kb = svc->kb;
    /* A "{}" inside the path ("/x/{}/done"): the segment alone. */
    char seg[256];
    if (req->param && strchr(req->param, '/')) {
        size_t l = strcspn(req->param, "/");
        if (l >= sizeof seg)
            l = sizeof seg - 1;
        memcpy(seg, req->param, l);
        seg[l] = '\0';
        req->param = seg;
    }
    if (!svc->guard || svc->guard(rt, req, rep))
        rt->fn(req, rep);
    if (svc->release)
        svc->release(req);
}

const char *kf_http_header(const kf_http_req *req, const char *name)
{
    if (req->conn_)
        return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
    for (const char *const *h = req->headers_; h && h[0] && h[1]; h += 2)
        if (strcasecmp(h[0], name) == 0)
            return h[1];
    return NULL;
}

/* The peer's numeric address into `out`, or "". */
static void peer_addr(struct MHD_Connection *conn, char *out, size_t n)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

/* Called on the journal's writer thread when a consultation's save is
 * over (journal_http.h): the answer may go out now.  The request state
 * belongs to the connection's thread again once it is resumed, so nothing
 * here touches it after that. */
static void on_saved(void *ctx, kf_err e, long long id, const char *why)
{
    (void)id;
    req_state *r = ctx;
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder serve: a consultation was answered but not saved: %s\n",
                why && *why ? why : kf_strerror(e));
        r->wait_note = kf_http_save_failed(e);
    }
    kf_http *s = r->srv;
    if (r->wait_note != KF_SAVE_KEPT && s->svc->saver->unadmit)
        s->svc->saver->unadmit(r->row);
    struct MHD_Connection *conn = r->conn;
    r->waiting = false;
    r->resumed = true;
    /* Counted down under the lock before the resume, so kf_http_stop sees
     * no save in flight only once every connection was resumed. */
    pthread_mutex_lock(&s->wait_mu);
    MHD_resume_connection(conn);
    if (--s->n_waiting == 0)
        pthread_cond_broadcast(&s->wait_cv);
    pthread_mutex_unlock(&s->wait_mu);
}

/* Sends a successful answer (`body`, taken over) of a request that has a
 * consultation to keep (`row`, taken over; NULL: none).  Durable saving: the
 * answer goes out only after the row's commit returned.  The connection is
 * suspended meanwhile, so its thread goes on serving the others, and the
 * journal's writer commits the rows of all the waiting requests together
 * (group commit).  While the server stops, the row is saved at once. */
/* What an answer says of a row that is not saved, or not yet: the
 * handler's note, or why a row to keep cannot be. */
static kf_save_note row_note(const kf_http *s, const kf_http_req *req,
                             const struct kf_journal_row *row, kf_save_note note)
{
    if (note != KF_SAVE_ROW)
        return note;
    if (!req->may_save)
        return s->save ? KF_SAVE_TOKEN : KF_SAVE_OFF;
    if (!row || !s->svc->saver)
        return KF_SAVE_EMPTY;
    return KF_SAVE_ROW;
}

/* Sends an answer that says `note` of its saving: `body` (taken over;
 * with_saved adds the note), or when `val` is given the answer from the
 * cache (the reference taken over), as it lies with its note. */
static enum MHD_Result send_noted(kf_http *s, struct MHD_Connection *conn, int status,
                                  char *body, size_t len, cache_val *val,
                                  kf_save_note note)
{
    if (!val) {
        body = with_saved(s, body, &len, note);
        return send_body(conn, status, body, len, NULL);
    }
    kf_free(body);
    size_t n = 0;
    const char *p = cache_val_bytes(s, val, note, &n);
    struct MHD_Response *resp = p ? MHD_create_response_from_buffer_with_free_callback_cls(
                                        n, (void *)p, cache_val_unref, val) : NULL;
    if (!resp) {
        cache_val_unref(val);
        return send_body(conn, status, NULL, 0, NULL);
    }
    add_common_headers(resp, "application/json; charset=utf-8", "no-store");
    return send_response(conn, status, resp);
}

static enum MHD_Result send_saved(kf_http *s, struct MHD_Connection *conn,
                                  req_state *r, const kf_http_req *req,
                                  struct kf_journal_row *row, kf_save_note note,
                                  int status, char *body, size_t len, cache_val *val)
{
    const kf_http_saver *sv = s->svc->saver;
    note = row_note(s, req, row, note);
    if (note == KF_SAVE_ROW) {
        int adm = sv->admit(row);
        if (adm != KF_ADMIT_YES)
            note = adm == KF_ADMIT_SAME ? KF_SAVE_KEPT : KF_SAVE_LIMIT;
    }
    if (note != KF_SAVE_ROW) {
        kf_free(row);
        return send_noted(s, conn, status, body, len, val, note);
    }
    pthread_mutex_lock(&s->wait_mu);
    bool now = s->stopping || !r;
    if (!now)
        s->n_waiting++;
    pthread_mutex_unlock(&s->wait_mu);
    if (now) {
        kf_buf err;
        kf_buf_init(&err);
        note = KF_SAVE_KEPT;
        kf_err se = sv->store(req, row, &err);
        if (se != KF_OK) {
            fprintf(stderr, "knotfinder serve: a consultation was answered but not "
                    "saved: %s\n", err.len ? err.s : "unknown error");
            note = kf_http_save_failed(se);
            if (sv->unadmit)
                sv->unadmit(row);
        }
        kf_buf_free(&err);
        kf_free(row);
        return send_noted(s, conn, status, body, len, val, note);
    }
    r->srv = s;
    r->conn = conn;
    r->row = row;
    r->wait_body = body;
    r->wait_val = val;
    r->wait_len = len;
    r->wait_status = status;
    r->wait_note = KF_SAVE_KEPT;        /* on_saved says otherwise */
    r->waiting = true;
    /* Suspended first: on_saved may run before this function returns. */
    MHD_suspend_connection(conn);
    kf_err qe = sv->queue(req, row, on_saved, r);
    if (qe != KF_OK) {
        r->wait_note = kf_http_save_failed(qe);
        on_saved(r, KF_OK, 0, NULL);    /* logged already: answer now */
    }
    return MHD_YES;
}

/* The answer of a request that waited for its save, once resumed. */
static enum MHD_Result send_waited(struct MHD_Connection *conn, req_state *r)
{
    char *body = r->wait_body;
    cache_val *val = r->wait_val;
    r->wait_body = NULL;
    r->wait_val = NULL;
    r->resumed = false;
    kf_free(r->row);
    r->row = NULL;
    return send_noted(r->srv, conn, r->wait_status, body, r->wait_len, val, r->wait_note);
}

/* Runs a handler and sends what it answered.  For a pure route, `raw` is
 * the body as received and a successful answer is kept in the cache, with
 * the consultation it saves. */
static enum MHD_Result run_handler(kf_http *s, struct MHD_Connection *conn,
                                   const kf_http_route *rt, const char *url,
                                   const char *method, const char *param,
                                   json_t *body, const char *raw, size_t rawlen,
                                   req_state *r)
{
    char remote[INET6_ADDRSTRLEN];
    peer_addr(conn, remote, sizeof remote);
    kf_http_req req = { .method = method, .path = url, .param = param,
                        .body = body, .may_save = s->save && r->token_ok,
                        .remote = remote, .conn_ = conn };
    kf_http_reply rep = { .status = MHD_HTTP_OK };
    kf_buf_init(&rep.message);
    handle(s->svc, rt, &req, &rep);
    req.conn_ = NULL;               /* the save below may outlive the call */
    enum MHD_Result ret;
    char *out_s = NULL;
    size_t out_len = 0;
    if (rep.status >= 400) {
        json_decref(rep.json);
        kf_free(rep.body);
        kf_free(rep.save_row);
        if (rep.status >= 500)
            fprintf(stderr, "knotfinder: %s %s: %d %s\n", method, url,
                    rep.status, rep.message.len ? rep.message.s : "");
        ret = send_error_x(conn, rep.status, rep.code ? rep.code : "error",
                           rep.message.len ? rep.message.s : "error", NULL, &rep);
        kf_buf_free(&rep.message);
        return ret;
    }
    if (rep.status == MHD_HTTP_NO_CONTENT) {
        json_decref(rep.json);
        kf_free(rep.body);
        kf_free(rep.save_row);
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (resp) {
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
            if (rep.cookie[0])
                MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rep.cookie);
        }
        kf_buf_free(&rep.message);
        return send_response(conn, rep.status, resp);
    }
    if (rep.body) {
        json_decref(rep.json);
        out_s = rep.body;
        out_len = rep.body_len;
    } else if (!rep.json) {
        kf_free(rep.save_row);
        kf_buf_free(&rep.message);
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                          "the handler gave no answer", NULL);
    } else {
        kf_buf out;
        if (!serialise(rep.json, &out)) {
            kf_free(rep.save_row);
            kf_buf_free(&rep.message);
            return send_body(conn, rep.status, NULL, 0, NULL);
        }
        out_s = out.s;
        out_len = out.len;
    }
    if ((rt->flags & KF_ROUTE_PURE) && raw && rep.status == MHD_HTTP_OK)
        cache_put(s->cache, rt, raw, rawlen, out_s, out_len, rep.save_row,
                  req.may_save, rep.save_note);
    kf_buf_free(&rep.message);
    if (rep.cookie[0] || rep.retry_after > 0) {
        /* A reply with headers of its own (a login, a session's renewed
         * cookie): nothing for the server to save (hosted handlers save
         * their own consultations and say so in save_note). */
        kf_free(rep.save_row);
        out_s = with_saved(s, out_s, &out_len, row_note(s, &req, NULL, rep.save_note));
        return send_body_x(conn, rep.status, out_s, out_len, NULL, &rep);
    }
    return send_saved(s, conn, r, &req, rep.save_row, rep.save_note, rep.status,
                      out_s, out_len, NULL);
}

/* Does the route take a JSON body (a POST, or a KF_ROUTE_BODY one)? */
static bool takes_body(const kf_http_route *rt)
{
    return strcmp(rt->method, "POST") == 0 || (rt->flags & KF_ROUTE_BODY);
}

/* Parses a finished POST body and runs its handler, or sends the answer
 * kept for the same body (saving what that answer saved). */
static enum MHD_Result finish_post(kf_http *s, struct MHD_Connection *conn,
                                   const kf_http_route *rt, const char *url,
                                   const char *method, const char *param,
                                   req_state *r)
{
    const char *raw = r->body.s ? r->body.s : "";
    if ((rt->flags & KF_ROUTE_PURE) && s->cache) {
        struct kf_journal_row *row = NULL;
        bool known = false;
        kf_save_note note = KF_SAVE_NA;
        cache_val *kept = cache_get(s->cache, rt, raw, r->body.len, &row, &known, &note);
        kf_http_req req = { .app = s->svc->app, .kb = s->svc->kb, .method = method,
                            .path = url, .param = param, .remote = "",
                            .may_save = s->save && r->token_ok };
        /* An answer made without saving does not say what to keep. */
        if (kept && (known || !req.may_save)) {
            /* Made without saving, it said why; now it may say another
             * reason (no token) for the same. */
            if (!known && (note == KF_SAVE_TOKEN || note == KF_SAVE_OFF))
                note = KF_SAVE_ROW;
            return send_saved(s, conn, r, &req, row, note, MHD_HTTP_OK, NULL, 0, kept);
        }
        cache_val_unref(kept);
        kf_free(row);
    }
    json_error_t jerr;
    /* A BODY route (a DELETE) may come without one. */
    if ((rt->flags & KF_ROUTE_BODY) && r->body.len == 0)
        return run_handler(s, conn, rt, url, method, param, NULL, NULL, 0, r);
    json_t *body = json_loadb(raw, r->body.len,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!body) {
        char msg[256 + 64];
        snprintf(msg, sizeof msg, "line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return send_error(conn, MHD_HTTP_BAD_REQUEST, "bad_json", msg, NULL);
    }
    enum MHD_Result ret = run_handler(s, conn, rt, url, method, param, body,
                                      raw, r->body.len, r);
    json_decref(body);
    return ret;
}

/* A GET or HEAD outside /api/: a file of the web folder, or 404. */
static enum MHD_Result serve_static(kf_http *s, struct MHD_Connection *conn,
                                    const char *url)
{
    if (!s->files)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "not_found",
                          "no web folder is being served", NULL);
    bool missing;
    enum MHD_Result ret = kf_http_static_serve(s->files, conn, url, &missing);
    if (missing)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "no such file", NULL);
    return ret;
}

/* Answers a request whose headers and body are all in. */
static enum MHD_Result dispatch(kf_http *s, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                req_state *r)
{
    if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/api") != 0) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method_not_allowed",
                              "static files answer only GET and HEAD",
                              "GET, HEAD");
        return serve_static(s, conn, url);
    }
    const char *param;
    int status;
    char allow[128], msg[256];
    const kf_http_route *rt = route_find(s->svc, method, url, &param, &status,
                                         allow, sizeof allow);
    if (!rt) {
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
            snprintf(msg, sizeof msg, "%.20s is not allowed here; use %s",
                     method, allow);
            return send_error(conn, status, "method_not_allowed", msg, allow);
        }
        snprintf(msg, sizeof msg, "no endpoint %.200s", url);
        return send_error(conn, status, "not_found", msg, NULL);
    }
    if (!takes_body(rt))
        return run_handler(s, conn, rt, url, method, param, NULL, NULL, 0, r);
    if (r->too_big) {
        snprintf(msg, sizeof msg, "the body is over the limit of %d bytes",
                 KF_HTTP_BODY_MAX);
        return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", msg, NULL);
    }
    if (r->body.len && !is_json_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_TYPE)))
        return send_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                          "the body must be sent as application/json", NULL);
    return finish_post(s, conn, rt, url, method, param, r);
}

/* The first call, with only the headers in: refuses at once a POST body
 * that is of the wrong type or announced as too large, so that it is never
 * read.  (An answer queued this early also closes the connection, which is
 * what a client sending such a body deserves; every other answer waits for
 * the final call so the connection can be kept alive.)  Returns true when
 * it queued an answer. */
static bool refuse_early(kf_http *s, struct MHD_Connection *conn, const char *url,
                         const char *method, req_state *r, enum MHD_Result *ret)
{
    /* A static file takes no body: no route to look for (dispatch answers
     * one sent anyway with 405). */
    if (strncmp(url, "/api/", 5) != 0)
        return false;
    const char *param;
    int status;
    char allow[128], msg[256];
    const kf_http_route *rt = route_find(s->svc, method, url, &param, &status,
                                         allow, sizeof allow);
    if (!rt || !takes_body(rt))
        return false;
    r->want_body = true;
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_TYPE);
    /* A BODY route without a body needs no type; with one, a body of
     * another type is refused in dispatch. */
    const char *cl0 = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_CONTENT_LENGTH);
    bool no_body = (rt->flags & KF_ROUTE_BODY) && !ct &&
                   (!cl0 || strtoull(cl0, NULL, 10) == 0);
    if (!is_json_type(ct) && !no_body) {
        snprintf(msg, sizeof msg,
                 "the body must be sent as application/json, not %.100s",
                 ct ? ct : "(no Content-Type)");
        *ret = send_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          "unsupported_media_type", msg, NULL);
        return true;
    }
    /* A body announced as too large is refused before it is read.  Up to
     * DISCARD_MAX over the limit it is read and skipped first, because a
     * client still sending when the connection closes may never see the
     * answer; beyond that it is refused at once and the connection closed. */
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > (unsigned long long)KF_HTTP_BODY_MAX + DISCARD_MAX) {
        snprintf(msg, sizeof msg, "the body is %.30s bytes; the limit is %d",
                 cl, KF_HTTP_BODY_MAX);
        *ret = send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", msg, NULL);
        return true;
    }
    return false;
}

/* A body that went DISCARD_MAX over the limit without announcing its
 * length (chunked, so refuse_early could not refuse it): libmicrohttpd 0.9
 * queues no answer in the middle of a body, and closing the connection
 * alone left the client with an empty reply ("curl: (52) Empty reply from
 * server").  So the 413 is written on the socket here, with
 * "Connection: close", and the sending side shut (a FIN after it); the
 * caller then reads and drops up to LINGER_MAX more of what the client
 * still sends, as nginx's lingering close does: a connection closed with
 * unread bytes sends a reset, which may reach the client before it read
 * the answer.  No TLS here (the server speaks plain HTTP, behind a proxy
 * when hosted), so the bytes are the answer as it would have gone out. */
static void tell_too_large(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    char body[160], head[512 + sizeof body];
    int bn = snprintf(body, sizeof body,
                      "{\"error\":{\"code\":\"too_large\",\"message\":\"the body is over "
                      "the limit of %d bytes\"}}\n", KF_HTTP_BODY_MAX);
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 413 Content Too Large\r\n"
                      "Connection: close\r\n"
                      "Content-Length: %d\r\n"
                      "Content-Type: application/json; charset=utf-8\r\n"
                      "Cache-Control: no-store\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "Content-Security-Policy: default-src 'self'; base-uri 'none'; "
                      "form-action 'self'; frame-ancestors 'none'\r\n"
                      "Referrer-Policy: no-referrer\r\n"
                      "\r\n%s", bn, body);
    if (hn <= 0 || (size_t)hn >= sizeof head)
        return;
    /* Nothing else is being sent on the connection while its request's
     * body comes in, so the few hundred bytes go at once. */
    (void)!send(ci->connect_fd, head, (size_t)hn, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(ci->connect_fd, SHUT_WR);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    kf_http *s = cls;
    req_state *r = *con_cls;

    if (!r) {
        r = kf_calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        watch_mark(s, conn, true);
        enum MHD_Result ret = MHD_YES;
        kf_http_gate_req gq = gate_req(conn, method, url);
        const char *code = NULL;
        char why[512];
        int st = kf_http_gate(&s->gate, &gq, &code, why, sizeof why);
        if (st) {
            r->answered = true;
            return send_error(conn, st, code, why, NULL);
        }
        r->token_ok = !s->token[0] || (gq.token && same_secret(gq.token, s->token));
        if (refuse_early(s, conn, url, method, r, &ret))
            r->answered = true;
        return ret;
    }

    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        /* The idle timeout does not stop a client that trickles a byte now
         * and then; a deadline for the whole body does. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - r->start.tv_sec > s->body_deadline_s)
            return MHD_NO;
        r->received += n;
        if (r->received > (size_t)KF_HTTP_BODY_MAX + DISCARD_MAX) {
            /* An answer queued early (415, the gate's) goes out as MHD
             * sends it; otherwise the 413 is told here, once. */
            if (!r->answered && !r->told_big) {
                tell_too_large(conn);
                r->told_big = true;
            }
            if (!r->told_big ||
                r->received > (size_t)KF_HTTP_BODY_MAX + DISCARD_MAX + LINGER_MAX)
                return MHD_NO;
            return MHD_YES;
        }
        if (r->answered || r->too_big || !r->want_body)
            return MHD_YES;              /* a body nobody reads is skipped */
        if (r->body.len + n > KF_HTTP_BODY_MAX) {
            r->too_big = true;
            kf_buf_free(&r->body);
            return MHD_YES;
        }
        kf_buf_add(&r->body, upload, n);
        return r->body.oom ? MHD_NO : MHD_YES;
    }

    if (r->resumed)
        return send_waited(conn, r);
    if (r->told_big)
        return MHD_NO;                   /* answered on the socket: closed */
    if (r->answered)
        return MHD_YES;
    r->answered = true;
    return dispatch(s, conn, url, method, r);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX escapes in the path in place, except %00: a NUL would cut
 * the path short without anyone noticing ("/app.js%00.png"), so it stays
 * as written and names no file. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *w = s;
    for (const char *r = s; *r; ) {
        int hi, lo;
        if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 &&
            (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

size_t kf_http__unescape(char *s)
{
    return unescape(NULL, NULL, s);
}

int kf_http__route(const kf_http_service *svc, const char *method,
                   const char *url, const char **param, int *status)
{
    char allow[128];
    const kf_http_route *rt = route_find(svc, method, url, param, status, allow,
                                         sizeof allow);
    return rt ? (int)(rt - svc->routes) : -1;
}

void kf_http__answer(const kf_http_service *svc, bool may_save,
                     const char *method, const char *url, const char *ctype,
                     const char *const *headers, const char *remote,
                     const char *body, size_t len, int *status, kf_buf *out,
                     kf_buf *cookie)
{
    const char *param;
    char allow[128];
    const kf_http_route *rt = route_find(svc, method, url, &param, status, allow,
                                         sizeof allow);
    kf_http_reply rep = { .status = MHD_HTTP_OK };
    kf_buf_init(&rep.message);
    json_t *doc = NULL;
    bool post = rt && takes_body(rt) && !((rt->flags & KF_ROUTE_BODY) && len == 0);
    if (!rt) {
        kf_http_error(&rep, *status, *status == 404 ? "not_found"
                      : "method_not_allowed", "no such route");
    } else if (post && !is_json_type(ctype)) {
        kf_http_error(&rep, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                      "unsupported_media_type", "not JSON");
    } else if (post && len > KF_HTTP_BODY_MAX) {
        kf_http_error(&rep, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "too large");
    } else {
        json_error_t jerr;
        if (post && !(doc = json_loadb(body ? body : "", len,
                                       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                                       &jerr))) {
            kf_http_error(&rep, MHD_HTTP_BAD_REQUEST, "bad_json", "line %d: %s",
                          jerr.line, jerr.text);
        } else {
            kf_http_req req = { .method = method, .path = url, .param = param,
                                .body = doc, .may_save = may_save,
                                .remote = remote ? remote : "",
                                .headers_ = headers };
            handle(svc, rt, &req, &rep);
            json_decref(doc);
            const kf_http_saver *sv = svc->saver;
            int adm = KF_ADMIT_LIMIT;
            if (rep.save_row && rep.status < 400 && req.may_save && sv &&
                (adm = sv->admit(rep.save_row)) == KF_ADMIT_YES) {
                kf_buf err;
                kf_buf_init(&err);
                if (sv->store(&req, rep.save_row, &err) != KF_OK) {
                    fprintf(stderr, "knotfinder serve: a consultation was answered "
                            "but not saved: %s\n", err.len ? err.s : "unknown error");
                    if (sv->unadmit)
                        sv->unadmit(rep.save_row);
                }
                kf_buf_free(&err);
            }
            (void)adm;
            kf_free(rep.save_row);
        }
    }
    *status = rep.status;
    if (cookie && rep.cookie[0])
        kf_buf_puts(cookie, rep.cookie);
    if (rep.status >= 400) {
        json_decref(rep.json);
        kf_free(rep.body);
        rep.body = NULL;
        rep.json = json_pack("{s:{s:s,s:s}}", "error", "code",
                             rep.code ? rep.code : "error", "message",
                             rep.message.len ? rep.message.s : "error");
    }
    kf_buf b;
    if (rep.status == MHD_HTTP_NO_CONTENT) {
        json_decref(rep.json);
        kf_free(rep.body);
    } else if (rep.body) {
        /* Written by the streaming renderer (its bytes as they are sent). */
        kf_buf_add(out, rep.body, rep.body_len);
        kf_free(rep.body);
        json_decref(rep.json);
    } else if (rep.json && serialise(rep.json, &b)) {
        kf_buf_add(out, b.s, b.len);
        kf_buf_free(&b);
    } else if (!rep.json) {
        *status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    kf_buf_free(&rep.message);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    fputs("knotfinder: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* ---- start and stop --------------------------------------------------- */

/* Makes up a token of 128 random bits as 32 hex digits. */
static bool make_token(char out[33])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return true;
}

/* Creates a listening socket for bind:port.  Returns it, or -1 with a
 * message in err.  Fills the address actually bound into s->url/port. */
static int listen_on(kf_http *s, const char *bind_addr, int port, int *family,
                     bool *loopback, bool *any, kf_buf *err)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res;
    char serv[16];
    snprintf(serv, sizeof serv, "%d", port);
    int rc = getaddrinfo(bind_addr, serv, &hints, &res);
    if (rc != 0) {
        kf_buf_printf(err, "cannot use the address '%s': %s", bind_addr,
                      gai_strerror(rc));
        return -1;
    }
    int fd = -1, last = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    a->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 511) == 0) {
            *family = a->ai_family;
            break;
        }
        last = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        kf_buf_printf(err, "cannot listen on %s port %d: %s", bind_addr, port,
                      strerror(last));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            s->port = ntohs(in6->sin6_port);
            *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
            *any = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
        } else {
            struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
            s->port = ntohs(in4->sin_port);
            uint32_t a = ntohl(in4->sin_addr.s_addr);
            *loopback = (a >> 24) == 127;
            *any = a == INADDR_ANY;
        }
    }
    snprintf(s->url, sizeof s->url, *family == AF_INET6 ? "http://[%s]:%d/"
                                                         : "http://%s:%d/",
             host, s->port);
    return fd;
}

kf_http *kf_http_start(const kf_http_service *svc, const kf_http_opts *opts,
                       kf_buf *err)
{
    kf_http_opts o = opts ? *opts : (kf_http_opts){ 0 };
    if (!o.bind || !*o.bind)
        o.bind = "127.0.0.1";
    if (o.port < 0 || o.port > 65535) {
        kf_buf_printf(err, "port %d is out of range (0 to 65535)", o.port);
        return NULL;
    }
    if (o.threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = n > 0 ? (n > 64 ? 64 : (int)n) : 1;
    }
    if (o.max_conns <= 0) {
        /* Leave descriptors for files being served and the listener. */
        struct rlimit rl;
        o.max_conns = 1000;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            rl.rlim_cur < (rlim_t)o.max_conns * 2 + 64)
            o.max_conns = rl.rlim_cur > 128 ? (int)((rl.rlim_cur - 64) / 2) : 32;
    }
    if (o.timeout_s <= 0)
        o.timeout_s = 15;

    kf_http *s = kf_calloc(1, sizeof *s);
    if (!s) {
        kf_buf_puts(err, "out of memory");
        return NULL;
    }
    s->svc = svc;
    s->body_deadline_s = 2 * o.timeout_s;
    s->header_deadline_s = o.timeout_s;
    pthread_mutex_init(&s->watch_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->watch_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->wait_mu, NULL);
    pthread_cond_init(&s->wait_cv, NULL);
    s->save = !o.no_save;
    s->save_per_min = o.save_limit == 0 ? KF_HTTP_SAVES_PER_MINUTE
                    : o.save_limit < 0 ? 0 : o.save_limit;
    snprintf(s->bind, sizeof s->bind, "%s", o.bind);
    s->files = kf_http_static_new(o.web_dir);
    if (!s->files)
        fprintf(stderr, "knotfinder: no web folder at %s; serving the API only\n",
                o.web_dir ? o.web_dir : "(none)");

    /* jansson seeds its hash function on first use; do it now, before
     * there are threads to race over it. */
    json_object_seed(0);

    /* A cached answer keeps what its consultation saves (the row) and is
     * saved again as the first one was: the cache works with saving on. */
    if (o.cache == 0)               /* not given: the default */
        o.cache = KF_HTTP_CACHE_DEFAULT;
    if (svc->saver)
        svc->saver->set_limit(o.save_limit == 0 ? KF_HTTP_SAVES_PER_MINUTE
                              : o.save_limit < 0 ? 0 : o.save_limit);
    if (o.cache > 0) {
        s->cache = cache_new(o.cache);
        if (s->cache)
            s->cache->saver = svc->saver;
        if (!s->cache) {
            kf_http_static_free(s->files);
            kf_free(s);
            kf_buf_puts(err, "out of memory");
            return NULL;
        }
    }
    int family = AF_INET;
    bool loopback = true, any = false;
    int fd = listen_on(s, o.bind, o.port, &family, &loopback, &any, err);
    if (fd < 0) {
        cache_free(s->cache);
        kf_http_static_free(s->files);
        kf_free(s);
        return NULL;
    }
    /* Beyond this computer, anyone on the network could read the journal:
     * it then needs a token, made up here unless one was given. */
    if (!o.hosted && (o.token || !loopback) && !make_token(s->token)) {
        close(fd);
        kf_buf_puts(err, "cannot make up a token for the journal (no random numbers)");
        cache_free(s->cache);
        kf_http_static_free(s->files);
        kf_free(s);
        return NULL;
    }
    s->gate = (kf_http_gate_cfg){ .bind = s->bind, .port = s->port,
                                  .any_host = any || o.hosted,
                                  .token = s->token[0] ? s->token : NULL,
                                  .hosted = o.hosted };
    /* Suspend and resume: an answer waits for its consultation's commit
     * without holding up the thread's other connections (send_saved).
     * poll(), not epoll: with epoll each suspend takes the socket out of
     * the epoll set and each resume puts it back (two epoll_ctl calls a
     * saved consultation, and a read that finds nothing), where poll()
     * builds its set afresh each time.  Measured with every consultation
     * saved, 64 connections (perf stat, in turn on the shared machine):
     * syscalls a request 8.4 and 7.7 -> 4.8 and 5.9, CPU a request 31.5 and
     * 37.0 -> 26.8 and 30.3 us; not saved, 2.3 -> 1.9 syscalls.  The cost
     * of poll() grows with the connections a thread holds (at most
     * --max-conns, 1000 by default, shared by the threads). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, (void *)NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        /* One thread is no pool; MHD warns when told a pool of one. */
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o.threads > 1 ? o.threads : 0),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)o.max_conns,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o.timeout_s,
        /* MHD zeroes a connection's memory at every request: 16 KB (the
         * request's headers, the answer's) rather than its default 32. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)s,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, (void *)NULL,
        MHD_OPTION_END);
    if (!s->daemon) {
        close(fd);
        kf_buf_printf(err, "cannot start the HTTP server on %s", s->url);
        cache_free(s->cache);
        kf_http_static_free(s->files);
        kf_free(s);
        return NULL;
    }
    if (pthread_create(&s->watchdog, NULL, watchdog, s) == 0)
        s->watch_started = true;
    else
        fprintf(stderr, "knotfinder serve: warning: no watchdog thread; a client "
                "that sends its headers slowly is stopped only by the idle timeout\n");
    return s;
}

int kf_http_port(const kf_http *s) { return s->port; }

const char *kf_http_token(const kf_http *s) { return s->token[0] ? s->token : NULL; }

const char *kf_http_url(const kf_http *s) { return s->url; }

void kf_http_stop(kf_http *s)
{
    if (!s)
        return;
    /* The daemon first: its threads may be in the middle of a handler that
     * writes to the journal, and MHD_stop_daemon waits for them.  Only
     * then may the caller close the store the handlers use (closing it
     * first freed the store under a running kf_store_add_checkin). */
    if (s->watch_started) {
        pthread_mutex_lock(&s->watch_mu);
        s->watch_stop = true;
        pthread_cond_signal(&s->watch_cv);
        pthread_mutex_unlock(&s->watch_mu);
        pthread_join(s->watchdog, NULL);
    }
    /* Answers waiting for a commit get it (and are resumed) first: from
     * here on a consultation is saved before its answer, in its thread. */
    pthread_mutex_lock(&s->wait_mu);
    s->stopping = true;
    while (s->n_waiting > 0)
        pthread_cond_wait(&s->wait_cv, &s->wait_mu);
    pthread_mutex_unlock(&s->wait_mu);
    MHD_stop_daemon(s->daemon);        /* closes the listening socket too */
    pthread_cond_destroy(&s->watch_cv);
    pthread_mutex_destroy(&s->watch_mu);
    pthread_cond_destroy(&s->wait_cv);
    pthread_mutex_destroy(&s->wait_mu);
    cache_free(s->cache);
    kf_http_static_free(s->files);
    kf_free(s);
}
