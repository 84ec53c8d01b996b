/*
 * http.h — the embedded web server (libmicrohttpd): the JSON API under
 * /api/v1/ (docs/API.md) and the web app's static files.
 *
 * One kf_http serves one kb, which it shares read-only between its threads;
 * the kb must outlive the server.  Requests are answered by handlers found
 * in a route table (http.c); a handler sees a parsed request and fills a
 * reply, and never touches libmicrohttpd itself, so handlers for later
 * endpoints (the journal) can live in their own modules.
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
#include "cli.h"

#define KF_HTTP_BODY_MAX (64 * 1024)   /* largest request body accepted */

/* A request as a handler sees it.  Everything is borrowed for the duration
 * of the handler call. */
typedef struct {
    const kf_kb  *kb;       /* shared, read-only */
    const kf_cli *cli;      /* the command's context (db_path, ...) */
    const char   *method;   /* "GET", "HEAD", "POST" or "DELETE" */
    const char   *path;     /* decoded path, without the query string */
    const char   *param;    /* the last segment of a ".../{}" route, else NULL */
    json_t       *body;     /* POST: the parsed body (any JSON value); else NULL.
                               The handler may modify it; the server frees it. */
    bool          may_save; /* a consultation may be kept in the journal: saving
                               is on (no --no-save), and the request carried
                               the token when the server needs one */
} kf_http_req;

/* What a handler answers.  The server starts it as {200, NULL}. */
typedef struct {
    int     status;         /* HTTP status */
    json_t *json;           /* the body on success: the reply owns this reference */
    char   *body;           /* or the body already written as JSON text, ending
                               with '\n' (kf_malloc'd; the reply owns it) */
    size_t  body_len;
    const char *code;       /* error code (docs/API.md) when status >= 400 */
    kf_buf  message;        /* error message when status >= 400 */
    struct kf_journal_row *save_row;  /* a consultation to keep in the journal
                               (journal_http.h), set by a handler when the
                               request may save; the reply owns it, and the
                               server saves it before the answer goes out */
} kf_http_reply;

typedef void (*kf_http_handler)(const kf_http_req *req, kf_http_reply *rep);

/* One row of the route table.  `path` is exact, or ends in "/{}" to match
 * one more non-empty segment, passed to the handler as req->param.  "GET"
 * routes also answer HEAD.  POST routes require Content-Type
 * application/json and receive the parsed body.  `pure` says that a POST
 * route's answer depends on nothing but its body and the (immutable) kb,
 * so the server may keep its successful answers and send them again for
 * the same body; never set it for a route that reads or writes a store. */
typedef struct {
    const char     *method;
    const char     *path;
    kf_http_handler fn;
    bool            pure;
} kf_http_route;

/* Sets an error reply: status, code and a printf-style message.  Drops any
 * JSON body already set. */
void kf_http_error(kf_http_reply *rep, int status, const char *code,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answers kept by default (serve --cache). */
#define KF_HTTP_CACHE_DEFAULT 1024

typedef struct {
    const char *bind;       /* numeric address or host name; NULL: 127.0.0.1 */
    int         port;       /* 0: pick a free port */
    int         threads;    /* <= 0: one per core */
    int         max_conns;  /* <= 0: 1000 */
    int         timeout_s;  /* idle connection timeout; <= 0: 15 */
    int         cache;      /* answers of pure routes kept (with what each
                               saves): 0: KF_HTTP_CACHE_DEFAULT; < 0: none */
    int         save_limit; /* consultations kept a minute at most (after as
                               many at once): 0: KF_JOURNAL_HTTP_PER_MINUTE;
                               < 0: every one */
    bool        no_save;    /* keep no consultation in the journal (--no-save) */
    bool        token;      /* make up a token for the journal even on a
                               loopback address (a computer shared with other
                               users); one always is for any other address */
} kf_http_opts;

typedef struct kf_http kf_http;

/* Binds, listens and starts serving in background threads.  `kb` and `cli`
 * are borrowed and must outlive the server; the web folder is cli->web_dir
 * (when it is missing, only the API is served and a warning is printed).
 * Returns NULL with a message in `err` when the address is bad or cannot be
 * bound, or out of memory; nothing is left running then. */
kf_http *kf_http_start(const kf_kb *kb, const kf_cli *cli,
                       const kf_http_opts *opts, kf_buf *err);

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

/* The route table's row for (method, url) and *param, or -1 with *status
 * 404 or 405. */
int kf_http__route(const char *method, const char *url, const char **param,
                   int *status);

/* Opens the file a static request for `url` would be served from, under
 * `web_root` (a real path), and returns its descriptor with its real path
 * in `real`; -1 when the server would answer 404. */
int kf_http__static_open(const char *web_root, const char *url,
                         char real[PATH_MAX]);

/* Answers an API request as the server does once the gate (kf_http_gate)
 * let it in and its body is all in: route (404, 405), content type (415),
 * size (413), JSON (400), the handler.  The status goes to *status and
 * the JSON answer is appended to `out`. */
void kf_http__answer(const kf_kb *kb, const kf_cli *cli, bool may_save,
                     const char *method, const char *url, const char *ctype,
                     const char *body, size_t len, int *status, kf_buf *out);

#endif
