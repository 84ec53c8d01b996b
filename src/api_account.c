/* api_account.c — the hosted course's accounts and sessions:
 *   POST   /api/v1/account          {"email","password","consent":true} -> 201
 *   GET    /api/v1/account/export   everything of the signed-in user (JSON)
 *   POST   /api/v1/account/password {"current_password","new_password"}
 *                                    -> 200 + a new session; the others end
 *   DELETE /api/v1/account          {"password"}: the account and everything
 *                                    in it -> 204
 *   POST   /api/v1/session          {"email","password"} -> 200 + cookie
 *   GET    /api/v1/session          who is signed in, and the CSRF token
 *   DELETE /api/v1/session          signs out -> 204
 * and the guard's session lookup (kf_api_who).  The secrets are auth.c's;
 * the rows are the store's (store.h, the hosted section).
 *
 * Account enumeration.  A sign-up with an address that has an account gets
 * 409 (the API promises it, and a person who forgot they signed up needs
 * to be told); to keep that from being a cheap oracle, sign-ups are
 * limited per client address (--address-limit, a counter of their own), and the password is hashed
 * before the address is tried, so a taken address answers no faster.  A
 * login never tells: "no such account" and "wrong password" get the same
 * 401, the same words, and the same argon2id work (a dummy hash for an
 * unknown address).  Login attempts are counted per address (every one)
 * and per account (the normalised email's hash, so unknown addresses are
 * limited too and the counter says nothing about whether an account
 * exists); over either limit: 429 with Retry-After, before any password
 * work.  The account's counter holds failed attempts only: each attempt
 * is counted before the password is checked (so attempts made at once
 * cannot slip past the limit together), and a successful login deletes
 * the counter, so it neither counts nor leaves the owner's earlier typos
 * against them.  Over the limit even the right password gets 429 (else
 * the answer would tell a guesser which guess was right).
 *
 * Changing the password and deleting the account ask for the current
 * password again (a session left open on a shared computer must not be
 * enough), under the same limits as a login: every attempt per client
 * address, failures per account (the same counter as the login's, so
 * guesses through these endpoints and through the login add up); a wrong
 * password is 403 wrong_password (the session stays: 401 would tell the
 * page it was signed out).  A change ends every session of the account,
 * on every server, and starts a new one for the request's browser (a new
 * cookie and CSRF token), so whoever had the old password and a session
 * is out.
 *
 * Sessions slide: each request made with a live session moves its expiry
 * to now + --session-ttl, capped at the login + --session-max, and sends
 * the cookie again with the new Max-Age; to spare the database a write
 * per request, only when the expiry moves by at least
 * KF_SESSION_EXTEND_STEP_S (5 minutes; a quarter of the TTL when that is
 * shorter). */
#include "api.h"
#include "auth.h"
#include "journal.h"
#include "render.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- the session cookie ---- */

/* The kf_session value of a Cookie header into `out`; false when absent. */
static bool cookie_token(const char *cookie, char *out, size_t n)
{
    size_t name = strlen(KF_SESSION_COOKIE);
    for (const char *p = cookie; p && *p; ) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > name && !strncmp(p, KF_SESSION_COOKIE, name) && p[name] == '=') {
            size_t vl = len - name - 1;
            while (vl && (p[name + 1 + vl - 1] == ' ' || p[name + 1 + vl - 1] == '\t'))
                vl--;
            if (vl >= n)
                return false;
            memcpy(out, p + name + 1, vl);
            out[vl] = '\0';
            return true;
        }
        p = end ? end + 1 : p + len;
    }
    return false;
}

/* Was the request made over TLS?  --tls-proxy says always; else the
 * trusted proxy's X-Forwarded-Proto. */
static bool over_tls(const kf_http_req *req)
{
    const kf_settings *set = req->app->set;
    if (set->tls_proxy)
        return true;
    if (!set->trusted_proxy || strcmp(req->remote, set->trusted_proxy) != 0)
        return false;
    const char *p = kf_http_header(req, "X-Forwarded-Proto");
    return p && strcasecmp(p, "https") == 0;
}

static void set_cookie(const kf_http_req *req, kf_http_reply *rep,
                       const char *token, int max_age)
{
    snprintf(rep->cookie, sizeof rep->cookie,
             "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
             KF_SESSION_COOKIE, token, max_age, over_tls(req) ? "; Secure" : "");
}

void kf_api_client_addr(const kf_http_req *req, char *out, size_t n)
{
    const kf_settings *set = req->app->set;
    snprintf(out, n, "%s", req->remote && *req->remote ? req->remote : "unknown");
    if (!set->trusted_proxy || strcmp(out, set->trusted_proxy) != 0)
        return;
    /* The proxy appends the address it saw: the last one is the one to
     * believe (the ones before it came from the client). */
    const char *xff = kf_http_header(req, "X-Forwarded-For");
    if (!xff)
        return;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    size_t l = strcspn(last, " ,");
    if (l && l < n && l < 64) {
        memcpy(out, last, l);
        out[l] = '\0';
    }
}

kf_who *kf_api_who(const kf_http_req *req, kf_http_reply *rep)
{
    char token[64];
    if (!cookie_token(kf_http_header(req, "Cookie"), token, sizeof token) ||
        !kf_auth_token_shape(token))
        return NULL;
    kf_who *w = kf_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    snprintf(w->token, sizeof w->token, "%s", token);
    kf_auth_token_hash(token, w->token_hash);
    kf_session ses;
    kf_buf err;
    kf_buf_init(&err);
    long long now = (long long)time(NULL);
    kf_err e = kf_store_session_lookup(req->app->store, w->token_hash, now, &ses, &err);
    long long created = 0;
    const kf_settings *set = req->app->set;
    if (e == KF_OK && kf_time_parse_utc(ses.created_at, &created) &&
        now >= created + set->session_max_s)
        e = KF_ENOTFOUND;       /* older than --session-max (lowered since) */
    if (e == KF_OK && created > 0) {
        long long want = now + set->session_ttl_s;
        if (want > created + set->session_max_s)
            want = created + set->session_max_s;
        long long step = set->session_ttl_s / 4;
        if (step > KF_SESSION_EXTEND_STEP_S)
            step = KF_SESSION_EXTEND_STEP_S;
        if (step < 1)
            step = 1;
        /* A failure to extend is no failure of the request: the session
         * is live until its old expiry. */
        if (want - ses.expires_at >= step &&
            kf_store_session_extend(req->app->store, w->token_hash, now, want,
                                    NULL) == KF_OK) {
            ses.expires_at = want;
            set_cookie(req, rep, token, (int)(want - now));
        }
    }
    if (e == KF_OK) {
        w->id = ses.user_id;
        w->therapist = ses.role == KF_ROLE_THERAPIST;
        w->expires_at = ses.expires_at;
        w->store = kf_store_as(req->app->store, w->id);
        if (!w->store) {
            kf_http_error(rep, 500, "internal", "out of memory");
            e = KF_ENOMEM;
        }
    } else if (e != KF_ENOTFOUND) {
        kf_api_store_error(rep, e, &err);
    }
    kf_buf_free(&err);
    if (e != KF_OK) {
        kf_api_who_free(w);
        return NULL;
    }
    return w;
}

void kf_api_who_free(kf_who *w)
{
    if (!w)
        return;
    kf_store_close(w->store);
    sodium_memzero(w->token, sizeof w->token);
    kf_free(w);
}

/* ---- helpers ---- */

/* A string field of the body; NULL (and a 422) when absent or not one. */
static const char *str_field(const kf_http_req *req, kf_http_reply *rep,
                             const char *name, size_t *len)
{
    json_t *v = json_is_object(req->body) ? json_object_get(req->body, name) : NULL;
    if (!json_is_string(v)) {
        kf_http_error(rep, 422, "invalid", "'%s' is required: a string", name);
        return NULL;
    }
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

static bool body_object(const kf_http_req *req, kf_http_reply *rep,
                        const char *const *known, size_t n_known)
{
    if (!json_is_object(req->body)) {
        kf_http_error(rep, 422, "invalid", "the body must be a JSON object");
        return false;
    }
    const char *key;
    json_t *val;
    json_object_foreach(req->body, key, val) {
        bool ok = false;
        for (size_t i = 0; i < n_known; i++)
            ok |= !strcmp(key, known[i]);
        if (!ok) {
            kf_http_error(rep, 422, "invalid", "unknown field '%.60s'", key);
            return false;
        }
    }
    return true;
}

/* Counts one hit of `key`; false with a 429 (and Retry-After) set when it
 * is over `limit` in `window_s`, or with a 503 when the store fails. */
static bool rate_ok(const kf_http_req *req, kf_http_reply *rep, const char *key,
                    int window_s, int limit, const char *what)
{
    bool allowed = false;
    int retry = 0;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_rate_hit(req->app->store, key, window_s, limit, 0,
                                 &allowed, &retry, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
        allowed = false;
    } else if (!allowed) {
        kf_http_error(rep, 429, "rate_limited", "too many %s; try again in %d "
                      "second%s", what, retry, retry == 1 ? "" : "s");
        rep->retry_after = retry > 0 ? retry : 1;
    }
    kf_buf_free(&err);
    return allowed;
}

/* "PREFIX" + a hash of `s` (hex, 32 digits): a key of bounded length that
 * does not store the address itself. */
static void hashed_key(const char *prefix, const char *s, char *out, size_t n)
{
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)s, strlen(s), NULL, 0);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, n, "%s%s", prefix, hex);
}

static bool address_ok(const kf_http_req *req, kf_http_reply *rep,
                       const char *prefix, const char *what)
{
    char addr[80], key[128];
    kf_api_client_addr(req, addr, sizeof addr);
    hashed_key(prefix, addr, key, sizeof key);
    return rate_ok(req, rep, key, req->app->set->login_window_s,
                   req->app->set->login_per_address, what);
}

static json_t *user_json(const kf_user *u)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)u->id,
                     "email", u->email, "role", kf_role_name(u->role),
                     "created_at", u->created_at, "consent_at", u->consent_at);
}

/* Starts a session for `u`: the cookie and 200 {"csrf","user","expires_at"}
 * (and "signed_out_elsewhere": N when `others` >= 0); a 503 when the store
 * fails. */
static void new_session(const kf_http_req *req, kf_http_reply *rep,
                        const kf_user *u, int others)
{
    const kf_settings *set = req->app->set;
    kf_buf err;
    kf_buf_init(&err);
    char token[KF_AUTH_TOKEN_LEN + 1], th[KF_AUTH_TOKEN_HASH + 1];
    char csrf[KF_AUTH_TOKEN_LEN + 1], csrf_hash[KF_AUTH_TOKEN_HASH + 1];
    kf_auth_token(token);
    kf_auth_token_hash(token, th);
    kf_auth_csrf(token, csrf);
    kf_auth_token_hash(csrf, csrf_hash);    /* stored: the hash, not the token */
    long long expires = (long long)time(NULL) + set->session_ttl_s;
    kf_err e = kf_store_session_create(req->app->store, u->id, th, csrf_hash, expires,
                                       &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
    } else {
        set_cookie(req, rep, token, set->session_ttl_s);
        char exp[KF_TIME_LEN];
        kf_time_format(expires, exp);
        json_t *j = json_pack("{s:s,s:o,s:s}", "csrf", csrf, "user", user_json(u),
                              "expires_at", exp);
        if (j && others >= 0)
            json_object_set_new(j, "signed_out_elsewhere", json_integer(others));
        kf_http_json(rep, 200, j);
    }
    sodium_memzero(token, sizeof token);
    kf_buf_free(&err);
}

/* The signed-in user's current password, asked again (a password change,
 * the account's deletion): true with *u filled when `pw` is right; else a
 * 403 wrong_password, a 429 over a limit (as a login's: per address, and
 * the account's failures, on the login's own counter) or a 503. */
static bool password_again(const kf_http_req *req, kf_http_reply *rep,
                           const char *pw, size_t plen, kf_user *u)
{
    const kf_settings *set = req->app->set;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_user_get(req->app->store, req->user->id, u, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
        kf_buf_free(&err);
        return false;
    }
    kf_buf_free(&err);
    char key[128];
    hashed_key("login:acct:", u->email, key, sizeof key);
    if (!address_ok(req, rep, "login:ip:", "password attempts from this address") ||
        !rate_ok(req, rep, key, set->login_window_s, set->login_per_account,
                 "password attempts for this account"))
        return false;
    if (!kf_auth_verify(req->app->auth, u->password_hash, pw, plen)) {
        kf_http_error(rep, 403, "wrong_password", "the current password is wrong "
                      "(you are still signed in)");
        return false;
    }
    kf_store_rate_reset(req->app->store, key, NULL);
    return true;
}

/* ---- POST /api/v1/account/password ---- */

void kf_api_h_account_password(const kf_http_req *req, kf_http_reply *rep)
{
    static const char *const known[] = { "current_password", "new_password" };
    if (!body_object(req, rep, known, KF_ARRAY_LEN(known)))
        return;
    size_t clen, nlen;
    const char *cur = str_field(req, rep, "current_password", &clen);
    if (!cur)
        return;
    const char *pw = str_field(req, rep, "new_password", &nlen);
    if (!pw)
        return;
    if (clen == nlen && memcmp(cur, pw, nlen) == 0) {
        kf_http_error(rep, 422, "invalid", "the new password is the same as the "
                      "current one");
        return;
    }
    kf_user u;
    if (!password_again(req, rep, cur, clen, &u))
        goto out;
    kf_buf why, err;
    kf_buf_init(&why);
    kf_buf_init(&err);
    /* The sign-up's policy (checked after the current password, so that
     * the answer about the new one goes only to its owner). */
    kf_err e = kf_auth_password_ok(req->app->auth, pw, nlen, u.email, &why);
    if (e != KF_OK) {
        kf_http_error(rep, 422, e == KF_ENOMEM ? "internal" : "weak_password", "%s",
                      why.len ? why.s : kf_strerror(e));
        goto done;
    }
    char hash[KF_AUTH_HASH_MAX];
    if (kf_auth_hash(req->app->auth, pw, nlen, hash) != KF_OK) {
        kf_http_error(rep, 503, "busy", "no memory to hash the password now; try again");
        goto done;
    }
    e = kf_store_user_set_password(req->app->store, u.id, hash, &err);
    sodium_memzero(hash, sizeof hash);
    int n = 0;
    if (e == KF_OK)
        e = kf_store_session_delete_user(req->app->store, u.id, &n, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
        goto done;
    }
    /* Every session ended, this one too: the browser that changed it gets
     * a new one (the others are the ones signed out). */
    new_session(req, rep, &u, n > 0 ? n - 1 : 0);
done:
    kf_buf_free(&why);
    kf_buf_free(&err);
out:
    sodium_memzero(&u, sizeof u);
}

/* ---- POST /api/v1/account ---- */

void kf_api_h_account_create(const kf_http_req *req, kf_http_reply *rep)
{
    static const char *const known[] = { "email", "password", "consent" };
    if (!body_object(req, rep, known, KF_ARRAY_LEN(known)))
        return;
    size_t plen;
    const char *email_in = str_field(req, rep, "email", NULL);
    if (!email_in)
        return;
    const char *pw = str_field(req, rep, "password", &plen);
    if (!pw)
        return;
    json_t *consent = json_object_get(req->body, "consent");
    if (!json_is_true(consent)) {
        kf_http_error(rep, 422, "consent_required", "'consent' must be true: the "
                      "course keeps health data (your words about your pain and "
                      "your check-ins) only with your explicit consent (GDPR "
                      "art. 9); you can export or delete everything at any time");
        return;
    }
    kf_buf why;
    kf_buf_init(&why);
    char email[KF_AUTH_EMAIL_MAX + 1];
    kf_err e = kf_auth_email(email_in, email, &why);
    if (e == KF_OK && (e = kf_auth_password_ok(req->app->auth, pw, plen, email, &why)) != KF_OK) {
        kf_http_error(rep, 422, e == KF_ENOMEM ? "internal" : "weak_password", "%s",
                      why.len ? why.s : kf_strerror(e));
        kf_buf_free(&why);
        return;
    }
    if (e != KF_OK) {
        kf_http_error(rep, 422, "invalid", "email: %s", why.len ? why.s : kf_strerror(e));
        kf_buf_free(&why);
        return;
    }
    kf_buf_free(&why);
    if (!address_ok(req, rep, "signup:ip:", "sign-ups from this address"))
        return;
    char hash[KF_AUTH_HASH_MAX];
    if (kf_auth_hash(req->app->auth, pw, plen, hash) != KF_OK) {
        kf_http_error(rep, 503, "busy", "no memory to hash the password now; try again");
        return;
    }
    kf_buf err;
    kf_buf_init(&err);
    long long id = 0;
    e = kf_store_user_create(req->app->store, email, hash, NULL, KF_ROLE_USER, &id, &err);
    sodium_memzero(hash, sizeof hash);
    if (e == KF_EEXIST) {
        kf_http_error(rep, 409, "email_taken", "that email address has an account "
                      "already: sign in instead");
    } else if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
    } else {
        kf_user u;
        kf_buf_free(&err);
        kf_buf_init(&err);
        if (kf_store_user_get(req->app->store, id, &u, &err) == KF_OK)
            kf_http_json(rep, 201, json_pack("{s:o}", "user", user_json(&u)));
        else
            kf_http_json(rep, 201, json_pack("{s:{s:I,s:s}}", "user", "id",
                                             (json_int_t)id, "email", email));
    }
    kf_buf_free(&err);
}

/* ---- POST /api/v1/session ---- */

void kf_api_h_session_create(const kf_http_req *req, kf_http_reply *rep)
{
    static const char *const known[] = { "email", "password" };
    if (!body_object(req, rep, known, KF_ARRAY_LEN(known)))
        return;
    size_t plen;
    const char *email_in = str_field(req, rep, "email", NULL);
    if (!email_in)
        return;
    const char *pw = str_field(req, rep, "password", &plen);
    if (!pw)
        return;
    const kf_settings *set = req->app->set;
    kf_buf why, err;
    kf_buf_init(&why);
    kf_buf_init(&err);
    char email[KF_AUTH_EMAIL_MAX + 1];
    if (kf_auth_email(email_in, email, &why) != KF_OK)
        snprintf(email, sizeof email, "%.254s", email_in);   /* no account: 401 */
    kf_buf_free(&why);
    char key[128];
    hashed_key("login:acct:", email, key, sizeof key);
    if (!address_ok(req, rep, "login:ip:", "logins from this address") ||
        !rate_ok(req, rep, key, set->login_window_s, set->login_per_account,
                 "logins for this account")) {
        kf_buf_free(&err);
        return;
    }
    kf_user u;
    kf_err e = kf_store_user_by_email(req->app->store, email, &u, &err);
    if (e != KF_OK && e != KF_ENOTFOUND) {
        kf_api_store_error(rep, e, &err);
        kf_buf_free(&err);
        return;
    }
    bool ok = kf_auth_verify(req->app->auth, e == KF_OK ? u.password_hash : NULL,
                             pw, plen);
    if (!ok) {
        kf_http_error(rep, 401, "bad_credentials", "the email address or the "
                      "password is wrong");
        kf_buf_free(&err);
        return;
    }
    /* Right: the failed attempts before it are forgotten (this one is not
     * counted either); a failure here only leaves the counter as it was. */
    kf_store_rate_reset(req->app->store, key, NULL);
    /* A hash made with other parameters (older, or --insecure-fast-hash)
     * is made again now that the password is at hand. */
    if (kf_auth_needs_rehash(req->app->auth, u.password_hash)) {
        char hash[KF_AUTH_HASH_MAX];
        if (kf_auth_hash(req->app->auth, pw, plen, hash) == KF_OK)
            kf_store_user_set_password(req->app->store, u.id, hash, NULL);
        sodium_memzero(hash, sizeof hash);
    }
    new_session(req, rep, &u, -1);
    sodium_memzero(&u, sizeof u);
    kf_buf_free(&err);
    /* Now and then, the sessions that expired go (every server does it;
     * it is idempotent). */
    pthread_mutex_lock(&req->app->mu);
    bool sweep = ++req->app->logins % 64 == 0;
    pthread_mutex_unlock(&req->app->mu);
    if (sweep)
        kf_store_expire(req->app->store, 0, NULL, NULL);
}

/* ---- GET /api/v1/session ---- */

void kf_api_h_session_get(const kf_http_req *req, kf_http_reply *rep)
{
    const kf_who *w = req->user;
    kf_user u;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_user_get(req->app->store, w->id, &u, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
    } else {
        char csrf[KF_AUTH_TOKEN_LEN + 1], exp[KF_TIME_LEN];
        kf_auth_csrf(w->token, csrf);
        kf_time_format(w->expires_at, exp);
        kf_http_json(rep, 200, json_pack("{s:s,s:o,s:s}", "csrf", csrf,
                                         "user", user_json(&u), "expires_at", exp));
    }
    kf_buf_free(&err);
}

/* ---- DELETE /api/v1/session ---- */

void kf_api_h_session_delete(const kf_http_req *req, kf_http_reply *rep)
{
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_session_delete(req->app->store, req->user->token_hash, &err);
    if (e != KF_OK && e != KF_ENOTFOUND) {
        kf_api_store_error(rep, e, &err);
    } else {
        set_cookie(req, rep, "", 0);
        rep->status = 204;
    }
    kf_buf_free(&err);
}

/* ---- GET /api/v1/account/export ---- */

static json_t *export_result(const kf_consultation *c, void *ctx)
{
    const kf_kb *kb = ctx;
    kf_result *r = NULL;
    kf_buf why;
    kf_buf_init(&why);
    json_t *j = NULL;
    if (kf_journal_consultation_result(kb, c, &r, &why) == KF_OK)
        j = kf_result_json(kb, r, c->text);
    kf_result_free(r);
    kf_buf_free(&why);
    return j;
}

void kf_api_h_account_export(const kf_http_req *req, kf_http_reply *rep)
{
    kf_buf out, err;
    kf_buf_init(&out);
    kf_buf_init(&err);
    kf_err e = kf_store_export(req->user->store, KF_EXPORT_JSON, export_result,
                               (void *)req->kb, &out, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
        kf_buf_free(&out);
    } else {
        json_error_t je;
        json_t *doc = json_loadb(out.s ? out.s : "", out.len, 0, &je);
        kf_buf_free(&out);
        if (!doc)
            kf_http_error(rep, 500, "internal", "the export is not JSON: %s", je.text);
        else
            kf_http_json(rep, 200, doc);
    }
    kf_buf_free(&err);
}

/* ---- DELETE /api/v1/account ---- */

void kf_api_h_account_delete(const kf_http_req *req, kf_http_reply *rep)
{
    static const char *const known[] = { "password" };
    if (!req->body) {
        kf_http_error(rep, 422, "invalid", "'password' is required: your current "
                      "password, to confirm (send {\"password\": \"...\"})");
        return;
    }
    if (!body_object(req, rep, known, KF_ARRAY_LEN(known)))
        return;
    size_t plen;
    const char *pw = str_field(req, rep, "password", &plen);
    if (!pw)
        return;
    kf_user u;
    bool ok = password_again(req, rep, pw, plen, &u);
    sodium_memzero(&u, sizeof u);
    if (!ok)
        return;
    kf_buf err;
    kf_buf_init(&err);
    long long rows = 0;
    kf_err e = kf_store_user_delete(req->app->store, req->user->id, &rows, &err);
    if (e != KF_OK) {
        kf_api_store_error(rep, e, &err);
    } else {
        set_cookie(req, rep, "", 0);
        rep->status = 204;
    }
    kf_buf_free(&err);
}
