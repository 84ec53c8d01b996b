/*
 * api.h — the API's route table and the context every handler receives.
 *
 * The server (http.h) knows no routes and opens no store: `knotfinder
 * serve` (cmd_serve.c) reads the settings once from its command line, makes
 * a kf_app (the knowledge base, the settings, the store) and hands the
 * service of kf_api_service() to kf_http_start().  Handlers reach the store
 * through req->app, never through a global.
 *
 * Two modes, one binary:
 *  - local (the default): one person on one computer, no accounts; the
 *    journal is the SQLite file of --db, opened on the first request that
 *    needs it (a journal that cannot be opened answers 503 and is tried
 *    again on the next request, so a locked or missing folder heals);
 *  - hosted (--hosted): many people with accounts (api_account.c,
 *    auth.c) on one database (PostgreSQL, or SQLite for tests), opened at
 *    start.  The routes flagged KF_ROUTE_SESSION answer 401 without a
 *    session, and every state-changing request made with a session needs
 *    its X-CSRF-Token (403 without).
 */
#ifndef KF_API_H
#define KF_API_H

#include <pthread.h>
#include "http.h"
#include "store.h"

/* The settings of `knotfinder serve`, read once from the command line (and
 * the few environment fallbacks) in cmd_serve.c. */
typedef struct {
    const char *db;           /* --db: a journal path, a postgresql:// URL,
                                 or NULL for the default journal */
    bool        no_save;      /* --no-save or KNOTFINDER_NO_SAVE */
    bool        hosted;       /* --hosted */
    const char *kb_dir;       /* where the common-passwords list is */
    /* hosted only */
    bool        tls_proxy;    /* --tls-proxy: TLS ends at a proxy in front;
                                 the cookie is Secure */
    const char *trusted_proxy;/* --trusted-proxy ADDR: X-Forwarded-For and
                                 X-Forwarded-Proto are believed from it */
    int         session_ttl_s;/* --session-ttl: a session lasts this long */
    bool        fast_hash;    /* --insecure-fast-hash: tests only */
    int         login_per_account; /* failed logins per account per window */
    int         login_per_address; /* login attempts per address per window */
    int         login_window_s;
    int         questions_per_day; /* questions a user may post a day */
    int         question_links;    /* links a question may carry */
} kf_settings;

/* Defaults of the hosted settings. */
#define KF_SESSION_TTL_DEFAULT   (7 * 24 * 3600)
#define KF_LOGIN_PER_ACCOUNT     5
#define KF_LOGIN_PER_ADDRESS     30
#define KF_LOGIN_WINDOW_S        (15 * 60)
#define KF_QUESTIONS_PER_DAY     5
#define KF_QUESTION_LINKS        2

struct kf_auth;

/* The context of a running server. */
typedef struct kf_app {
    const kf_kb       *kb;
    const kf_settings *set;
    pthread_mutex_t    mu;
    kf_store          *store;  /* local: opened on first use; hosted: at start */
    struct kf_auth    *auth;   /* hosted: the password policy and hashing */
} kf_app;

/* Who is signed in, as the guard found them (hosted mode). */
typedef struct kf_user {
    long long id;
    bool      therapist;
    char      email[256];
    char      session_hash[65];  /* the session's stored hash (hex) */
} kf_user;

/* Makes the context.  Hosted: opens the store (a failure is returned with
 * a sentence in `err`) and loads the password list.  `kb` and `set` are
 * borrowed and must outlive it. */
kf_err kf_app_init(kf_app *app, const kf_kb *kb, const kf_settings *set,
                   kf_buf *err);

/* Closes the store; after the server stopped.  Safe on a zeroed app. */
void kf_app_close(kf_app *app);

/* The store; opened on first use in local mode.  NULL with a 503 reply
 * (db_unavailable) set when it cannot be opened. */
kf_store *kf_app_store(kf_app *app, kf_http_reply *rep);

/* The service to serve: the route table, this app, the guard. */
kf_http_service kf_api_service(kf_app *app);

/* Maps a store or journal error to an HTTP answer (422, 404, 409, 503...). */
void kf_api_store_error(kf_http_reply *rep, kf_err e, const kf_buf *err);

#endif
