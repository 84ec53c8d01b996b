/*
 * auth.h — the hosted course's secrets (libsodium): password policy and
 * hashing, session tokens, CSRF tokens, constant-time comparison.
 *
 * Passwords (OWASP ASVS 2.1, NIST SP 800-63B 5.1.1.2):
 *  - at least KF_AUTH_PW_MIN characters (Unicode code points, not bytes),
 *    at most KF_AUTH_PW_MAX; any characters but control ones; no
 *    composition rules ("one digit, one capital...");
 *  - refused when it is in the shipped list of common breached passwords
 *    (kb/common-passwords.txt, compared without case), is the email or its
 *    part before '@', or is one character repeated;
 *  - hashed with argon2id through crypto_pwhash_str_alg, at the OWASP
 *    Password Storage Cheat Sheet's first setting: m = 19 MiB (19456 KiB),
 *    t = 2 iterations, p = 1 (libsodium always uses one lane).  The
 *    parameters and a random 16-byte salt live in the stored string, so a
 *    hash made with other parameters still verifies.  `fast` (serve
 *    --insecure-fast-hash) uses libsodium's minimum (8 KiB, t = 1) and is
 *    for tests only.
 *
 * Sessions: a token is 32 bytes from randombytes_buf (256 bits), sent as
 * base64url without padding (43 characters) in the cookie; only its
 * BLAKE2b-256 hash (hex) is stored, so a copy of the database does not
 * give anyone a session.  The CSRF token of a session is derived from it
 * (BLAKE2b keyed with the session token, of a fixed label): it needs no
 * storage, changes with every session, and cannot be computed without the
 * cookie.  Every comparison of secrets is constant-time (sodium_memcmp).
 *
 * Unknown accounts: kf_auth_verify(a, NULL, pw) checks the password
 * against a dummy hash made at start with the same parameters, so "no such
 * account" costs the same time as "wrong password".
 */
#ifndef KF_AUTH_H
#define KF_AUTH_H

#include "kf.h"

#define KF_AUTH_PW_MIN      12     /* code points */
#define KF_AUTH_PW_MAX      128    /* code points */
#define KF_AUTH_EMAIL_MAX   254    /* bytes (RFC 5321 path limit) */
#define KF_AUTH_HASH_MAX    128    /* crypto_pwhash_STRBYTES */
#define KF_AUTH_TOKEN_LEN   43     /* base64url of 32 bytes, no padding */
#define KF_AUTH_TOKEN_HASH  64     /* hex of 32 bytes */

/* OWASP's argon2id parameters (see above). */
#define KF_AUTH_OPSLIMIT    2
#define KF_AUTH_MEMLIMIT    (19u * 1024u * 1024u)

typedef struct kf_auth kf_auth;

/* Starts libsodium, loads the list of common passwords at `list_path` (one
 * a line; '#' lines are comments) and makes the dummy hash.  KF_EIO or
 * KF_EPARSE with a sentence when the list cannot be read; KF_EINTERNAL
 * when libsodium cannot start. */
kf_err kf_auth_new(const char *list_path, bool fast, kf_auth **out, kf_buf *err);
void kf_auth_free(kf_auth *a);

/* Entries in the list. */
size_t kf_auth_list_size(const kf_auth *a);

/* Checks a new password against the policy; KF_EINVAL with one sentence
 * saying why (never echoing the password) when it is refused.  `email` may
 * be NULL. */
kf_err kf_auth_password_ok(const kf_auth *a, const char *pw, size_t len,
                           const char *email, kf_buf *why);

/* Checks and normalises an email address: trimmed of spaces, at most
 * KF_AUTH_EMAIL_MAX bytes, one '@' with something on both sides, a dot in
 * the domain, no spaces or control characters; ASCII letters lowered (so
 * the same person cannot open two accounts by case).  KF_EINVAL with a
 * sentence when it is not an address. */
kf_err kf_auth_email(const char *in, char out[KF_AUTH_EMAIL_MAX + 1], kf_buf *why);

/* Hashes a password (argon2id).  KF_ENOMEM when the memory for it cannot
 * be had. */
kf_err kf_auth_hash(const kf_auth *a, const char *pw, size_t len,
                    char out[KF_AUTH_HASH_MAX]);

/* True when `pw` matches `hash`.  `hash` NULL (no such account): the same
 * work against the dummy hash, and false. */
bool kf_auth_verify(const kf_auth *a, const char *hash, const char *pw, size_t len);

/* True when `hash` was made with other parameters than this server's
 * (login is then a chance to hash the password again). */
bool kf_auth_needs_rehash(const kf_auth *a, const char *hash);

/* A new session token (KF_AUTH_TOKEN_LEN characters and a NUL). */
void kf_auth_token(char out[KF_AUTH_TOKEN_LEN + 1]);

/* The hash stored for a token: hex BLAKE2b-256. */
void kf_auth_token_hash(const char *token, char out[KF_AUTH_TOKEN_HASH + 1]);

/* The CSRF token of the session whose token is `token`. */
void kf_auth_csrf(const char *token, char out[KF_AUTH_TOKEN_LEN + 1]);

/* Compares two secrets in time that depends only on their lengths; NULL
 * matches nothing. */
bool kf_auth_same(const char *a, const char *b);

/* True when `s` has the shape of a token (43 base64url characters). */
bool kf_auth_token_shape(const char *s);

#endif
