/* cmd_serve.c — `knotfinder serve`: reads the server's settings from the
 * command line (once: no other module reads them from the environment),
 * makes the context every handler receives (api.h) and runs the server
 * (http.h) until SIGINT or SIGTERM. */
#include "api.h"
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void serve_usage(FILE *out)
{
    fprintf(out, "usage: knotfinder serve [--port N] [--bind ADDR] [--threads N]\n"
          "                        [--timeout S] [--max-conns N] [--cache N]\n"
          "                        [--token] [--no-save] [--save-limit N] [--db PATH]\n"
          "       knotfinder serve --hosted --db postgresql://... [--tls-proxy]\n"
          "                        [--trusted-proxy ADDR] [--session-ttl S]\n"
          "                        [--session-max S]\n"
          "                        [--login-limit N] [--address-limit N]\n"
          "                        [--login-window S] [--question-limit N]\n"
          "                        [--insecure-fast-hash] [--port N] [--bind ADDR] ...\n"
          "  --port N       port to listen on (default 8080; 0 picks a free one)\n"
          "  --bind ADDR    address to listen on (default 127.0.0.1); any other\n"
          "                 than a loopback one makes the server reachable from\n"
          "                 other computers, and the journal then needs the token\n"
          "                 printed at start (in the address, after #token=)\n"
          "  --token        need the token for the journal on 127.0.0.1 too (on a\n"
          "                 computer other people also log in to)\n"
          "  --no-save      keep no consultation in the journal\n"
          "  --save-limit N keep at most N consultations a minute (after N at\n"
          "                 once; --hosted: per user; default %d); 0 keeps\n"
          "                 every one\n"
          "  --db PATH      the journal (as the global --db); with --hosted a\n"
          "                 postgresql:// URL, or an SQLite path for tests\n"
          "  --threads N    worker threads (default: one per core)\n"
          "  --timeout S    close connections idle this long (default 15)\n"
          "  --max-conns N  open connections at most (default 1000)\n"
          "  --cache N      consult and interview answers kept for repeated\n"
          "                 requests (a repeated consultation is still saved;\n"
          "                 not with --hosted); default %d, 0: none\n"
          "hosted course (accounts; docs/API.md, docs/DEPLOY.md):\n"
          "  --hosted       serve many people with accounts from --db\n"
          "  --tls-proxy    TLS ends at a proxy in front: the session cookie is\n"
          "                 marked Secure\n"
          "  --trusted-proxy ADDR  believe X-Forwarded-For and X-Forwarded-Proto\n"
          "                 only from this address (the proxy's)\n"
          "  --session-ttl S  a session ends after S seconds unused (default %d);\n"
          "                 using it extends it (at most once every 5 minutes)\n"
          "  --session-max S  and it ends S seconds after the login however\n"
          "                 much it is used (default %d)\n"
          "  --login-limit N  failed logins per account per window (default %d)\n"
          "  --address-limit N  login attempts per address per window (default %d)\n"
          "  --login-window S  the window of both limits (default %d)\n"
          "  --question-limit N  questions a user may post a day (default %d)\n"
          "  --insecure-fast-hash  cheap password hashing, for tests only: never\n"
          "                 in production\n"
          "Serves the web app from the web folder (--web DIR) and the JSON API\n"
          "under /api/v1/ (docs/API.md).  Stop with Ctrl-C.\n", KF_HTTP_SAVES_PER_MINUTE,
          KF_HTTP_CACHE_DEFAULT,
          KF_SESSION_TTL_DEFAULT, KF_SESSION_MAX_DEFAULT, KF_LOGIN_PER_ACCOUNT, KF_LOGIN_PER_ADDRESS,
          KF_LOGIN_WINDOW_S, KF_QUESTIONS_PER_DAY);
}

/* Parses a whole number in [lo, hi]; false when it is not one. */
static bool parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* The numeric options: name, range, where it goes. */
typedef struct {
    const char *name, *what;
    int lo, hi;
    int *to;
} int_opt;

int kf_cmd_serve(kf_cli *c, int argc, char **argv)
{
    kf_http_opts o = { .bind = "127.0.0.1", .port = 8080, .no_save = c->no_save,
                       .web_dir = c->web_dir };
    kf_settings set = {
        .db = c->db_path, .no_save = c->no_save, .kb_dir = c->kb_dir,
        .session_ttl_s = KF_SESSION_TTL_DEFAULT,
        .session_max_s = KF_SESSION_MAX_DEFAULT,
        .login_per_account = KF_LOGIN_PER_ACCOUNT,
        .login_per_address = KF_LOGIN_PER_ADDRESS,
        .login_window_s = KF_LOGIN_WINDOW_S,
        .questions_per_day = KF_QUESTIONS_PER_DAY,
        .question_links = KF_QUESTION_LINKS,
    };
    const int_opt ints[] = {
        { "--port", "0 to 65535", 0, 65535, &o.port },
        { "--threads", "1 to 256", 1, 256, &o.threads },
        { "--timeout", "1 to 3600 seconds", 1, 3600, &o.timeout_s },
        { "--cache", "0 to 1000000 answers", 0, 1000000, &o.cache },
        { "--max-conns", "1 to 100000", 1, 100000, &o.max_conns },
        { "--save-limit", "0 (every one) to 1000000 consultations a minute", 0, 1000000,
          &o.save_limit },
        { "--session-ttl", "1 to 31622400 seconds", 1, 31622400, &set.session_ttl_s },
        { "--session-max", "1 to 31622400 seconds", 1, 31622400, &set.session_max_s },
        { "--login-limit", "1 to 1000", 1, 1000, &set.login_per_account },
        { "--address-limit", "1 to 100000", 1, 100000, &set.login_per_address },
        { "--login-window", "1 to 86400 seconds", 1, 86400, &set.login_window_s },
        { "--question-limit", "1 to 1000", 1, 1000, &set.questions_per_day },
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        const char *eq = strchr(a, '=');
        char name[32];
        if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            a = name;
            v = eq + 1;
        }
        const int_opt *io = NULL;
        for (size_t k = 0; k < KF_ARRAY_LEN(ints); k++)
            if (!strcmp(a, ints[k].name))
                io = &ints[k];
        bool takes = io || !strcmp(a, "--bind") || !strcmp(a, "--db") ||
                     !strcmp(a, "--trusted-proxy");
        if (takes && !v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "knotfinder serve: %s needs a value\n", a);
                return KF_EXIT_USAGE;
            }
            v = argv[++i];
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            serve_usage(stdout);
            return KF_EXIT_OK;
        } else if (io) {
            if (!parse_int(v, io->lo, io->hi, io->to)) {
                fprintf(stderr, "knotfinder serve: %s wants %s, not '%s'\n", a,
                        io->what, v);
                return KF_EXIT_USAGE;
            }
            if (io->to == &o.cache && o.cache == 0)
                o.cache = -1;
            if (io->to == &o.save_limit && o.save_limit == 0)
                o.save_limit = -1;
        } else if (!strcmp(a, "--no-save") && !v) {
            o.no_save = set.no_save = true;
        } else if (!strcmp(a, "--token") && !v) {
            o.token = true;
        } else if (!strcmp(a, "--hosted") && !v) {
            set.hosted = o.hosted = true;
        } else if (!strcmp(a, "--tls-proxy") && !v) {
            set.tls_proxy = true;
        } else if (!strcmp(a, "--insecure-fast-hash") && !v) {
            set.fast_hash = true;
        } else if (!strcmp(a, "--bind") || !strcmp(a, "--db") ||
                   !strcmp(a, "--trusted-proxy")) {
            if (!*v) {
                fprintf(stderr, "knotfinder serve: %s needs a value\n", a);
                return KF_EXIT_USAGE;
            }
            if (!strcmp(a, "--bind"))
                o.bind = v;
            else if (!strcmp(a, "--db"))
                set.db = v;
            else
                set.trusted_proxy = v;
        } else {
            fprintf(stderr, "knotfinder serve: unknown argument '%s'\n", argv[i]);
            serve_usage(stderr);
            return KF_EXIT_USAGE;
        }
    }
    /* The hosted course keeps consultations per user (api.c): --save-limit
     * is that user's allowance a minute. */
    set.saves_per_minute = o.save_limit < 0 ? 0 : o.save_limit == 0
                           ? KF_HTTP_SAVES_PER_MINUTE : o.save_limit;
    if (set.session_max_s < set.session_ttl_s)
        set.session_ttl_s = set.session_max_s;  /* the cap wins */
    if (set.hosted && !set.db) {
        fprintf(stderr, "knotfinder serve: --hosted needs --db (a postgresql:// URL, "
                "or an SQLite file for tests)\n");
        return KF_EXIT_USAGE;
    }
    if (!set.hosted && (set.tls_proxy || set.trusted_proxy || set.fast_hash)) {
        fprintf(stderr, "knotfinder serve: --tls-proxy, --trusted-proxy and "
                "--insecure-fast-hash are for --hosted\n");
        return KF_EXIT_USAGE;
    }
    if (set.hosted && o.token) {
        fprintf(stderr, "knotfinder serve: --token is for the local mode; the "
                "hosted course uses accounts\n");
        return KF_EXIT_USAGE;
    }
    /* Hosted answers are saved per user by their handlers (api.c): an
     * answer from the cache would skip that. */
    if (set.hosted)
        o.cache = -1;
    if (set.fast_hash)
        fprintf(stderr, "knotfinder serve: warning: --insecure-fast-hash: passwords "
                "are hashed cheaply; for tests only, never in production\n");

    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        return KF_EXIT_KB;

    /* Block the stop signals in every thread (the server's threads inherit
     * this mask) and wait for them here: shutdown then runs in plain code,
     * not in a signal handler. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    kf_buf err;
    kf_buf_init(&err);
    kf_app app;
    kf_err e = kf_app_init(&app, kb, &set, &err);
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder serve: %s\n", err.len ? err.s : kf_strerror(e));
        kf_buf_free(&err);
        kf_app_close(&app);
        kf_kb_free(kb);
        return e == KF_EINVAL ? KF_EXIT_USAGE : KF_EXIT_DB;
    }
    kf_http_service svc = kf_api_service(&app);
    kf_http *s = kf_http_start(&svc, &o, &err);
    if (!s) {
        fprintf(stderr, "knotfinder: %s\n", err.len ? err.s : "cannot start the server");
        kf_buf_free(&err);
        kf_app_close(&app);
        kf_kb_free(kb);
        return KF_EXIT_INTERNAL;
    }
    kf_buf_free(&err);
    const char *token = kf_http_token(s);
    if (token) {
        if (!o.token)
            fprintf(stderr, "knotfinder serve: warning: %s can be reached from other "
                    "computers; the journal is served only to a page opened with "
                    "the address below, which carries its token (keep it to "
                    "yourself)\n", kf_http_url(s));
        printf("knotfinder: serving %s#token=%s\n", kf_http_url(s), token);
    } else {
        printf("knotfinder: serving %s%s\n", kf_http_url(s),
               set.hosted ? " (hosted course)" : "");
    }
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    fprintf(stderr, "knotfinder: %s, shutting down\n",
            sig == SIGINT ? "interrupted" : "terminated");
    kf_http_stop(s);            /* the handlers are done: then the store */
    kf_app_close(&app);
    kf_kb_free(kb);
    return KF_EXIT_OK;
}
