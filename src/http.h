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
#include "cli.h"

#define KF_HTTP_BODY_MAX (64 * 1024)   /* largest request body accepted */

/* A request as a handler sees it.  Everything is borrowed for the duration
 * of the handler call. */
typedef struct {
    const kf_kb  *kb;       /* shared, read-only */
    const kf_cli *cli;      /* the command's context (db_path, ...) */
    const char   *method;   /* "GET", "HEAD" or "POST" */
    const char   *path;     /* decoded path, without the query string */
    const char   *param;    /* the last segment of a ".../{}" route, else NULL */
    json_t       *body;     /* POST: the parsed body (any JSON value); else NULL.
                               The handler may modify it; the server frees it. */
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

typedef struct {
    const char *bind;       /* numeric address or host name; NULL: 127.0.0.1 */
    int         port;       /* 0: pick a free port */
    int         threads;    /* <= 0: one per core */
    int         max_conns;  /* <= 0: 1000 */
    int         timeout_s;  /* idle connection timeout; <= 0: 15 */
    int         cache;      /* answers of pure routes kept (only when KNOTFINDER_NO_SAVE is set): <= 0 none */
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

/* Stops accepting, finishes or drops open connections, frees everything.
 * kf_http_stop(NULL) does nothing. */
void kf_http_stop(kf_http *s);

#endif
