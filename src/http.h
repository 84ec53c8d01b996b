/*
 * http.h — the embedded web server (libmicrohttpd): the JSON API under
 * /api/v1/ (docs/API.md) and the web app's static files.
 *
 * One kf_http serves one kf_http_service: a route table, a guard and the
 * context (struct kf_app, api.h) every handler receives; this file knows
 * none of the routes (they are in api.c) and opens no store.  A handler
 * sees a parsed request and fills a reply, and never touches libmicrohttpd
 * itself.
 *
 * Limits: request bodies over KF_HTTP_BODY_MAX get 413, and the server stops
 * reading them; idle connections are closed after a timeout; the number of
 * open connections is capped; static files are served only from inside the
 * web folder.  Every error is JSON: {"error":{"code":...,"message":...}}.
 */
#ifndef KF_HTTP_H
#define KF_HTTP_H

#include <jansson.h>
#include <limits.h>
#include "kb.h"

#define KF_HTTP_BODY_MAX (64 * 1024)   /* largest request body accepted */

struct kf_app;                 /* the server's context (api.h) */
struct kf_who;                 /* who is signed in (api.h) */

/* A request as a handler sees it.  Everything is borrowed for the duration
 * of the handler call. */
typedef struct kf_http_req {
    struct kf_app  *app;    /* the context the service was started with:
                               the store, the settings (api.h) */
    const struct kf_who *user;  /* who is signed in (hosted mode), else NULL;
                               set by the service's guard */
    const kf_kb *kb;        /* shared, read-only (the app's) */
    const char   *method;   /* "GET", "HEAD", "POST" or "DELETE" */
    const char   *path;     /* decoded path, without the query string */
    const char   *param;    /* the {} segment of a ".../{}/..." route, else NULL */
    json_t       *body;     /* POST: the parsed body (any JSON value); else NULL.
                               The handler may modify it; the server frees it. */
    bool          may_save; /* a consultation may be kept in the journal: saving
                               is on (no --no-save), and the request carried
                               the token when the server needs one */
    const char   *remote;   /* the peer's numeric address, or "" */
    /* Request headers: kf_http_header() reads them. */
    void         *conn_;            /* the connection, or NULL */
    const char *const *headers_;    /* or name, value, ..., NULL (tests) */
} kf_http_req;

/* The value of request header `name` (case-insensitive), or NULL. */
const char *kf_http_header(const kf_http_req *req, const char *name);

/* What an answer says of keeping its consultation in the journal: the
 * server adds "saved" (and, when false, "not_saved": {"code","message"})
 * to the answer's JSON object (docs/API.md "Saved or not"). */
typedef enum {
    KF_SAVE_NA = 0,   /* no consultation in the answer (an interview's next
                         question, an error): nothing is said */
    KF_SAVE_ROW,      /* save_row is the server's to keep (the local mode) */
    KF_SAVE_KEPT,     /* kept (hosted: by the handler), or the same as the
                         one kept just before it */
    KF_SAVE_ASKED,    /* the request said "save": false */
    KF_SAVE_OFF,      /* the server runs with --no-save */
    KF_SAVE_TOKEN,    /* the server needs its token and the request had none */
    KF_SAVE_ANON,     /* hosted: nobody is signed in */
    KF_SAVE_EMPTY,    /* nothing was recognised: nothing worth keeping */
    KF_SAVE_LIMIT,    /* over --save-limit */
    KF_SAVE_FAILED,   /* the journal could not be written just now (busy,
                         out of memory): another try may work */
    KF_SAVE_BROKEN,   /* the journal file cannot be opened or written (damaged,
                         not a journal, read-only, disk full): no try will work
                         until that is put right */
} kf_save_note;

/* The note for a save that failed with `e`: KF_SAVE_BROKEN for the
 * database's and the file's own errors, KF_SAVE_FAILED otherwise. */
kf_save_note kf_http_save_failed(kf_err e);

/* What a handler answers.  The server starts it as {200, NULL}. */
typedef struct {
    int     status;         /* HTTP status; 204 sends no body */
    json_t *json;           /* the body on success: the reply owns this reference */
    char   *body;           /* or the body already written as JSON text, ending
                               with '\n' (kf_malloc'd; the reply owns it) */
    size_t  body_len;
    const char *code;       /* error code (docs/API.md) when status >= 400 */
    kf_buf  message;        /* error message when status >= 400 */
    char    cookie[512];    /* a Set-Cookie header value, or "" */
    int     retry_after;    /* > 0: a Retry-After header (seconds) */
    struct kf_journal_row *save_row;  /* a consultation to keep in the journal
                               (journal_http.h), set by a handler when the
                               request may save; the reply owns it, and the
                               server saves it before the answer goes out */
    kf_save_note save_note; /* a consultation's answer: what became of it
                               (KF_SAVE_ROW with save_row) */
} kf_http_reply;

typedef void (*kf_http_handler)(const kf_http_req *req, kf_http_reply *rep);

/* Route flags.  PURE: a POST route's answer depends on nothing but its body
 * and the (immutable) kb, so the server may keep its successful answers and
 * send them again for the same body; never set it for a route that reads or
 * writes a store.  The others are for the service's guard (api.c):
 * SESSION: needs a signed-in user (hosted mode); CSRF: changes state, so
 * needs X-CSRF-Token (hosted mode); HOSTED: exists only in hosted mode (404
 * in the local one); LOCAL: exists only in the local mode. */
enum {
    KF_ROUTE_PURE    = 1u << 0,
    KF_ROUTE_SESSION = 1u << 1,
    KF_ROUTE_CSRF    = 1u << 2,
    KF_ROUTE_HOSTED  = 1u << 3,
    KF_ROUTE_LOCAL   = 1u << 4,
    KF_ROUTE_BODY    = 1u << 5,   /* a DELETE that takes a JSON body */
};

/* One row of the route table.  `path` is exact, or has one "{}" segment
 * ("/api/v1/x/{}" or "/api/v1/x/{}/done") matching one non-empty segment,
 * passed to the handler as req->param.  "GET" routes also answer HEAD.
 * POST routes, and others flagged KF_ROUTE_BODY, require Content-Type
 * application/json and receive the parsed body (a BODY route's body may
 * be empty: req->body is then NULL). */
typedef struct kf_http_route {
    const char     *method;
    const char     *path;
    kf_http_handler fn;
    unsigned        flags;
} kf_http_route;

/* Decides, before the handler runs, whether the request may go on (the
 * session, CSRF and mode checks of api.c).  Returns false with an error
 * reply set; may set req->user, which `release` frees after the handler. */
typedef bool (*kf_http_guard)(const kf_http_route *rt, kf_http_req *req,
                              kf_http_reply *rep);

/* How the server keeps the consultation a handler wrote down
 * (rep->save_row, journal_http.h) before its answer goes out: the server
 * only holds the row (a block of size(row) bytes that its answer cache may
 * copy) and calls these; the service (api.c) gives journal_http.c's. */
enum { KF_ADMIT_LIMIT = 0, KF_ADMIT_YES = 1, KF_ADMIT_SAME = 2 };
typedef void (*kf_http_saved_fn)(void *ctx, kf_err e, long long id, const char *why);
typedef struct {
    size_t (*size)(const struct kf_journal_row *row);
    /* KF_ADMIT_YES when the row is to be kept, KF_ADMIT_SAME when it is
     * the one kept just before (nothing to do: it is in the journal),
     * KF_ADMIT_LIMIT when the rate limit refuses it */
    int    (*admit)(const struct kf_journal_row *row);
    /* an admitted row's save failed: it is not "the one kept just before"
     * (may be NULL) */
    void   (*unadmit)(const struct kf_journal_row *row);
    /* queues it; KF_OK when `done` will be called (on another thread),
     * else why it could not be (done is then never called) */
    kf_err (*queue)(const kf_http_req *req, const struct kf_journal_row *row,
                    kf_http_saved_fn done, void *ctx);
    /* saves it and waits for the commit */
    kf_err (*store)(const kf_http_req *req, const struct kf_journal_row *row,
                    kf_buf *err);
    /* the limit a minute (serve --save-limit): 0 keeps every one */
    void   (*set_limit)(int per_minute);
} kf_http_saver;

/* What a server serves: the route table, the context handed to every
 * handler, the guard, and the saver.  Borrowed; must outlive the server. */
typedef struct {
    const kf_http_route *routes;
    size_t               n_routes;
    struct kf_app       *app;
    const kf_kb         *kb;
    kf_http_guard        guard;     /* NULL: every request goes on */
    void               (*release)(kf_http_req *req);  /* NULL: nothing */
    const kf_http_saver *saver;     /* NULL: no handler sets a save_row */
} kf_http_service;

/* Sets an error reply: status, code and a printf-style message.  Drops any
 * JSON body already set. */
void kf_http_error(kf_http_reply *rep, int status, const char *code,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets a successful JSON body (stolen) with `status`; NULL (a failed
 * allocation) becomes a 500. */
void kf_http_json(kf_http_reply *rep, int status, json_t *v);

/* Sets a successful body written by the streaming renderer (render_json.h),
 * kf_malloc'd and taken over; NULL (it failed: `why` says why) becomes a
 * 500. */
void kf_http_written(kf_http_reply *rep, char *body, size_t len, const char *why);

/* Answers kept by default (serve --cache). */
#define KF_HTTP_CACHE_DEFAULT 1024

/* Consultations kept a minute by default (serve --save-limit). */
#define KF_HTTP_SAVES_PER_MINUTE 30

typedef struct {
    const char *bind;       /* numeric address or host name; NULL: 127.0.0.1 */
    int         port;       /* 0: pick a free port */
    int         threads;    /* <= 0: one per core */
    int         max_conns;  /* <= 0: 1000 */
    int         timeout_s;  /* idle connection timeout; <= 0: 15 */
    int         cache;      /* answers of pure routes kept (with what each
                               saves): 0: KF_HTTP_CACHE_DEFAULT; < 0: none */
    int         save_limit; /* consultations kept a minute at most (after as
                               many at once): 0: KF_HTTP_SAVES_PER_MINUTE;
                               < 0: every one */
    bool        no_save;    /* keep no consultation in the journal (--no-save) */
    bool        token;      /* make up a token for the journal even on a
                               loopback address (a computer shared with other
                               users); one always is for any other address */
    bool        hosted;     /* the hosted course: no journal token (sessions
                               instead), any Host name, an Origin of http or
                               https naming the request's own Host */
    const char *web_dir;    /* the web app's files; NULL or missing: API only */
} kf_http_opts;

typedef struct kf_http kf_http;

/* Binds, listens and starts serving `svc` in background threads.  `svc` is
 * borrowed and must outlive the server; the web folder is opts->web_dir
 * (when it is missing, only the API is served and a warning is printed).
 * Returns NULL with a message in `err` when the address is bad or cannot be
 * bound, or out of memory; nothing is left running then. */
kf_http *kf_http_start(const kf_http_service *svc, const kf_http_opts *opts,
                       kf_buf *err);

/* The port actually bound (useful with port 0). */
int kf_http_port(const kf_http *s);

/* The URL to print, e.g. "http://127.0.0.1:8080/" (owned by the server). */
const char *kf_http_url(const kf_http *s);

/* The token the journal endpoints need (X-Knotfinder-Token), or NULL when
 * the server listens only on a loopback address and needs none. */
const char *kf_http_token(const kf_http *s);

/* ---- the gate: who may ask (exposed as a pure function for tests) ----
 *
 * A web page the person visits can point a name of its own at 127.0.0.1
 * (DNS rebinding) and then talk to the server as if it were the page's own
 * origin.  So every request must name, in its Host header, the address the
 * server is known by: 127.0.0.1, localhost or [::1], or the --bind address
 * (any name when bound to every address, 0.0.0.0 or ::), with the port
 * (no port only for port 80).  API requests that a browser marks as coming
 * from another site (Sec-Fetch-Site other than same-origin or none), or
 * whose Origin is not this server, are refused.  When a token is set, the
 * journal endpoints (/api/v1/journal...) need it in X-Knotfinder-Token. */
typedef struct {
    const char *bind;       /* the --bind address as given */
    int         port;       /* the port served */
    bool        any_host;   /* bound to every address: any Host name */
    const char *token;      /* needed for the journal, or NULL */
    bool        hosted;     /* any Host; Origin http(s):// the request's Host */
} kf_http_gate_cfg;

/* The request's headers (each NULL when absent). */
typedef struct {
    const char *method, *url;
    const char *host, *origin, *fetch_site, *token;
} kf_http_gate_req;

/* Returns 0 when the request may go on, else the status to refuse it with
 * (421 a Host that is not this server, 403 another site, 401 no or a wrong
 * token), its error code in *code and one sentence in `why`. */
int kf_http_gate(const kf_http_gate_cfg *g, const kf_http_gate_req *r,
                 const char **code, char *why, size_t whysz);

/* True when `host` (a Host header value, or the host:port of an Origin)
 * names this server as kf_http_gate accepts it. */
bool kf_http_host_ok(const kf_http_gate_cfg *g, const char *host);

/* Stops accepting, finishes or drops open connections, frees everything.
 * kf_http_stop(NULL) does nothing. */
void kf_http_stop(kf_http *s);

/* ---- for tests and fuzzers: request handling without the sockets ---- */

/* Decodes %XX escapes in place as the server does (%00 stays as written);
 * returns the new length. */
size_t kf_http__unescape(char *s);

/* The route table's row for (method, url) and *param (pointing into url at
 * the {} segment, which runs to the next '/' or the end), or -1 with
 * *status 404 or 405. */
int kf_http__route(const kf_http_service *svc, const char *method,
                   const char *url, const char **param, int *status);

/* Opens the file a static request for `url` would be served from, under
 * `web_root` (a real path), and returns its descriptor with its real path
 * in `real`; -1 when the server would answer 404. */
int kf_http__static_open(const char *web_root, const char *url,
                         char real[PATH_MAX]);

/* Answers an API request as the server does once the gate (kf_http_gate)
 * let it in and its body is all in: route (404, 405), content type (415),
 * size (413), JSON (400), the guard, the handler.  `headers` (name, value,
 * ..., NULL; may be NULL) are the request's other headers, `remote` the
 * peer's address.  The status goes to *status, the JSON answer is appended
 * to `out` and a Set-Cookie value (or "") to `cookie` when not NULL. */
void kf_http__answer(const kf_http_service *svc, bool may_save,
                     const char *method, const char *url, const char *ctype,
                     const char *const *headers, const char *remote,
                     const char *body, size_t len, int *status, kf_buf *out,
                     kf_buf *cookie);

#endif
