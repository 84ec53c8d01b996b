/* auth.c — password policy and hashing, session and CSRF tokens
 * (libsodium).  See auth.h. */
#include "auth.h"

#include <sodium.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kf_auth {
    char  **words;          /* the common passwords, lowered, sorted */
    size_t  n;
    char   *mem;            /* the list file's bytes */
    bool    fast;
    unsigned long long ops;
    size_t  memlimit;
    char    dummy[crypto_pwhash_STRBYTES];
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ASCII letters lowered in place (the list and the checks compare so;
 * other letters are compared as they are). */
static void lower_ascii(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

kf_err kf_auth_new(const char *list_path, bool fast, kf_auth **out, kf_buf *err)
{
    *out = NULL;
    if (sodium_init() < 0) {
        kf_buf_puts(err, "libsodium cannot start (no source of random numbers?)");
        return KF_EIO;
    }
    kf_auth *a = kf_calloc(1, sizeof *a);
    if (!a)
        return KF_ENOMEM;
    a->fast = fast;
    a->ops = fast ? crypto_pwhash_OPSLIMIT_MIN : KF_AUTH_OPSLIMIT;
    a->memlimit = fast ? crypto_pwhash_MEMLIMIT_MIN : KF_AUTH_MEMLIMIT;

    FILE *f = fopen(list_path, "rb");
    if (!f) {
        kf_buf_printf(err, "cannot read the list of common passwords %s: %s",
                      list_path, strerror(errno));
        kf_free(a);
        return KF_EIO;
    }
    kf_buf b;
    kf_buf_init(&b);
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 64u << 20)
        kf_buf_add(&b, chunk, got);
    bool rerr = ferror(f);
    fclose(f);
    if (rerr || b.oom || b.len >= 64u << 20) {
        kf_buf_printf(err, "cannot read the list of common passwords %s", list_path);
        kf_buf_free(&b);
        kf_free(a);
        return rerr ? KF_EIO : KF_ETOOBIG;
    }
    a->mem = b.s ? b.s : kf_strdup("");
    size_t cap = 0;
    for (char *line = a->mem, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (!l || line[0] == '#')
            continue;
        lower_ascii(line);
        if (a->n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **w = kf_realloc(a->words, cap * sizeof *w);
            if (!w) {
                kf_auth_free(a);
                return KF_ENOMEM;
            }
            a->words = w;
        }
        a->words[a->n++] = line;
    }
    if (a->n == 0) {
        kf_buf_printf(err, "the list of common passwords %s is empty", list_path);
        kf_auth_free(a);
        return KF_EPARSE;
    }
    qsort(a->words, a->n, sizeof *a->words, cmp_str);

    /* The dummy hash: of a random password nobody knows, with the same
     * parameters as real ones, so an unknown account costs the same. */
    char pw[KF_AUTH_TOKEN_LEN + 1];
    kf_auth_token(pw);
    if (crypto_pwhash_str_alg(a->dummy, pw, strlen(pw), a->ops, a->memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        kf_buf_puts(err, "out of memory for the password hash");
        kf_auth_free(a);
        return KF_ENOMEM;
    }
    sodium_memzero(pw, sizeof pw);
    *out = a;
    return KF_OK;
}

void kf_auth_free(kf_auth *a)
{
    if (!a)
        return;
    kf_free(a->words);
    kf_free(a->mem);
    kf_free(a);
}

size_t kf_auth_list_size(const kf_auth *a)
{
    return a->n;
}

/* Counts the code points of valid UTF-8; -1 when it is not valid UTF-8 or
 * holds a control character (NUL included). */
static long code_points(const char *s, size_t len)
{
    long n = 0;
    for (size_t i = 0; i < len; n++) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                 : (c >> 3) == 30 ? 4 : 0;
        if (!k || i + k > len)
            return -1;
        if (k == 1 && (c < 0x20 || c == 0x7f))
            return -1;
        unsigned cp = k == 1 ? c : c & (0x7f >> k);
        for (size_t j = 1; j < k; j++) {
            unsigned char d = (unsigned char)s[i + j];
            if ((d & 0xc0) != 0x80)
                return -1;
            cp = cp << 6 | (d & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
            (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return -1;
        i += k;
    }
    return n;
}

kf_err kf_auth_password_ok(const kf_auth *a, const char *pw, size_t len,
                           const char *email, kf_buf *why)
{
    long n = pw ? code_points(pw, len) : -1;
    if (n < 0) {
        kf_buf_puts(why, "the password must be text (UTF-8) without control "
                    "characters");
        return KF_EINVAL;
    }
    if (n < KF_AUTH_PW_MIN) {
        kf_buf_printf(why, "the password must have at least %d characters (it has "
                      "%ld); a few words in a row make a good one", KF_AUTH_PW_MIN, n);
        return KF_EINVAL;
    }
    if (n > KF_AUTH_PW_MAX) {
        kf_buf_printf(why, "the password may have at most %d characters (it has %ld)",
                      KF_AUTH_PW_MAX, n);
        return KF_EINVAL;
    }
    char *low = kf_strndup(pw, len);
    if (!low)
        return KF_ENOMEM;
    lower_ascii(low);
    kf_err e = KF_OK;
    /* One code point (of k bytes) repeated? */
    unsigned char c0 = (unsigned char)low[0];
    size_t k = c0 < 0x80 ? 1 : (c0 >> 5) == 6 ? 2 : (c0 >> 4) == 14 ? 3 : 4;
    bool same_char = len % k == 0;
    for (size_t i = k; same_char && i < len; i += k)
        same_char = memcmp(low + i, low, k) == 0;
    const char *key = low;
    if (same_char) {
        kf_buf_puts(why, "the password is one character repeated: it is among the "
                    "first any attacker tries");
        e = KF_EINVAL;
    } else if (bsearch(&key, a->words, a->n, sizeof *a->words, cmp_str)) {
        kf_buf_puts(why, "this password is in the list of the most common breached "
                    "passwords, which attackers try first: choose another");
        e = KF_EINVAL;
    } else if (email && *email) {
        char em[KF_AUTH_EMAIL_MAX + 1];
        snprintf(em, sizeof em, "%s", email);
        lower_ascii(em);
        char *at = strchr(em, '@');
        size_t ll = at ? (size_t)(at - em) : strlen(em);
        if (!strcmp(low, em) || (strlen(low) == ll && !strncmp(low, em, ll))) {
            kf_buf_puts(why, "the password may not be your email address or the "
                        "part of it before '@'");
            e = KF_EINVAL;
        }
    }
    sodium_memzero(low, len);
    kf_free(low);
    return e;
}

kf_err kf_auth_email(const char *in, char out[KF_AUTH_EMAIL_MAX + 1], kf_buf *why)
{
    out[0] = '\0';
    if (!in) {
        kf_buf_puts(why, "an email address is required");
        return KF_EINVAL;
    }
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n == 0 || n > KF_AUTH_EMAIL_MAX) {
        kf_buf_printf(why, "the email address must have 3 to %d characters",
                      KF_AUTH_EMAIL_MAX);
        return KF_EINVAL;
    }
    const char *at = memchr(in, '@', n);
    bool ok = at && at > in && at < in + n - 1 && !memchr(at + 1, '@', n - (size_t)(at - in) - 1);
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' ||
            c == ';' || c == '\\')
            ok = false;
    }
    if (ok) {
        const char *dom = at + 1;
        size_t dl = n - (size_t)(dom - in);
        const char *dot = memchr(dom, '.', dl);
        ok = dot && dot > dom && dom[dl - 1] != '.' && !strstr(dom, "..");
    }
    if (!ok) {
        kf_buf_puts(why, "that is not an email address (name@example.org)");
        return KF_EINVAL;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    lower_ascii(out);
    return KF_OK;
}

kf_err kf_auth_hash(const kf_auth *a, const char *pw, size_t len,
                    char out[KF_AUTH_HASH_MAX])
{
    if (crypto_pwhash_str_alg(out, pw, len, a->ops, a->memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return KF_ENOMEM;
    return KF_OK;
}

bool kf_auth_verify(const kf_auth *a, const char *hash, const char *pw, size_t len)
{
    const char *h = hash && *hash ? hash : a->dummy;
    bool ok = crypto_pwhash_str_verify(h, pw ? pw : "", pw ? len : 0) == 0;
    return ok && hash && *hash;
}

bool kf_auth_needs_rehash(const kf_auth *a, const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, a->ops, a->memlimit) != 0;
}

void kf_auth_token(char out[KF_AUTH_TOKEN_LEN + 1])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    sodium_bin2base64(out, KF_AUTH_TOKEN_LEN + 1, b, sizeof b,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(b, sizeof b);
}

void kf_auth_token_hash(const char *token, char out[KF_AUTH_TOKEN_HASH + 1])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token),
                       NULL, 0);
    sodium_bin2hex(out, KF_AUTH_TOKEN_HASH + 1, h, sizeof h);
}

void kf_auth_csrf(const char *token, char out[KF_AUTH_TOKEN_LEN + 1])
{
    static const char label[] = "knotfinder csrf v1";
    unsigned char h[32];
    size_t kl = strlen(token);
    if (kl > crypto_generichash_KEYBYTES_MAX)
        kl = crypto_generichash_KEYBYTES_MAX;
    crypto_generichash(h, sizeof h, (const unsigned char *)label, sizeof label - 1,
                       (const unsigned char *)token, kl);
    sodium_bin2base64(out, KF_AUTH_TOKEN_LEN + 1, h, sizeof h,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool kf_auth_same(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t n = strlen(a), m = strlen(b);
    if (n != m)
        return false;
    return n == 0 || sodium_memcmp(a, b, n) == 0;
}

bool kf_auth_token_shape(const char *s)
{
    if (!s || strlen(s) != KF_AUTH_TOKEN_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
            return false;
    return true;
}
