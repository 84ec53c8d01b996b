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
    int         session_ttl_s;/* --session-ttl: a session lasts this long
                                 idle (sliding: use extends it) */
    int         session_max_s;/* --session-max: and never longer than this
                                 after the login, however much it is used */
    int         saves_per_minute; /* --save-limit: consultations kept per
                                 user a minute (hosted); 0: every one */
    bool        fast_hash;    /* --insecure-fast-hash: tests only */
    int         login_per_account; /* failed logins per account per window */
    int         login_per_address; /* login attempts per address per window */
    int         login_window_s;
    int         questions_per_day; /* questions a user may post a day */
    int         question_links;    /* links a question may carry */
} kf_settings;

/* Defaults of the hosted settings. */
#define KF_SESSION_TTL_DEFAULT   (7 * 24 * 3600)
#define KF_SESSION_MAX_DEFAULT   (30 * 24 * 3600)
/* A request moves a session's expiry to now + TTL (capped at the login +
 * --session-max) only when that moves it by at least this long, or a
 * quarter of the TTL when that is shorter: at most one write per session
 * every 5 minutes, not one per request. */
#define KF_SESSION_EXTEND_STEP_S (5 * 60)
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
    unsigned long      logins; /* counts logins, to expire old sessions now
                                  and then (under mu) */
} kf_app;

/* Who is signed in, as the guard found them (hosted mode); made for one
 * request and freed after it. */
typedef struct kf_who {
    long long id;                /* the user's id, from 1 */
    bool      therapist;         /* the therapist role */
    long long expires_at;        /* when the session ends (epoch seconds) */
    char      token[64];         /* the cookie's token (for the CSRF token) */
    char      token_hash[65];    /* the session's stored hash (hex) */
    kf_store *store;             /* the store scoped to this user (kf_store_as):
                                    the journal calls see only their rows */
} kf_who;

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

/* The store a handler should use: the signed-in user's scoped one, else
 * the app's (kf_app_store). */
kf_store *kf_api_store(const kf_http_req *req, kf_http_reply *rep);

/* The client's address for rate limits: the peer, or, when the peer is the
 * --trusted-proxy, the last address of its X-Forwarded-For. */
void kf_api_client_addr(const kf_http_req *req, char *out, size_t n);

/* Handlers of the hosted course (api_account.c, api_course.c). */
void kf_api_h_account_create(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_account_delete(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_account_password(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_account_export(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_session_create(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_session_get(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_session_delete(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_question_create(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_questions(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_question_answer(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_qa(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_lessons(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_lesson(const kf_http_req *req, kf_http_reply *rep);
void kf_api_h_lesson_done(const kf_http_req *req, kf_http_reply *rep);

/* The guard's session lookup (api_account.c): from the kf_session cookie,
 * a kf_who (kf_free'd by kf_api_who_free) or NULL when there is no valid,
 * unexpired session.  A store error gives NULL with a 503 reply set. */
kf_who *kf_api_who(const kf_http_req *req, kf_http_reply *rep);
void kf_api_who_free(kf_who *w);

/* The cookie's name. */
#define KF_SESSION_COOKIE "kf_session"

#endif
