/* test_auth.c — the hosted course's secrets (auth.h): the password policy
 * (length in code points, the common list, the email), argon2id hashes
 * with the production and the fast parameters, tokens, their hashes, CSRF
 * tokens and the constant-time comparison. */
#include "auth.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static kf_auth *fast, *real;

static bool pw_ok(const char *pw, const char *email)
{
    kf_buf why;
    kf_buf_init(&why);
    kf_err e = kf_auth_password_ok(fast, pw, strlen(pw), email, &why);
    if (e != KF_OK && (!why.len || strstr(why.s, pw)))
        check_cur_failed = 1;            /* a reason, never the password */
    kf_buf_free(&why);
    return e == KF_OK;
}

static void test_policy(void)
{
    CHECK(!pw_ok("short pass", NULL));                  /* 10 */
    CHECK(!pw_ok("elevenchars", NULL));                 /* 11 */
    CHECK(pw_ok("twelve chars", NULL));                 /* 12, spaces count */
    CHECK(pw_ok("correct horse staple", NULL));
    /* code points, not bytes: 12 two-byte letters pass, 11 do not */
    CHECK(!pw_ok("éééééééééééé", NULL));                /* one code point 12 times */
    CHECK(pw_ok("éàéàéàéàéàéà", NULL));
    CHECK(!pw_ok("éàéàéàéàéàé", NULL));                /* 11 code points, 22 bytes */
    CHECK(!pw_ok("aaaaaaaaaaaaaaaa", NULL));            /* one character */
    /* the list, without case */
    CHECK(!pw_ok("password1234", NULL));
    CHECK(!pw_ok("PassWord1234", NULL));
    CHECK(!pw_ok("qwerty123456", NULL));
    CHECK(!pw_ok("iloveyou2024", NULL));
    CHECK(!pw_ok("123456789012", NULL));
    CHECK(!pw_ok("1q2w3e4r5t6y", NULL));
    CHECK(pw_ok("my knots moved to the left", NULL));
    /* the email and its local part */
    CHECK(!pw_ok("maria.gonzalez@example.org", "maria.gonzalez@example.org"));
    CHECK(!pw_ok("Maria.Gonzalez", "maria.gonzalez@example.org"));
    CHECK(pw_ok("Maria.Gonzalez", "someone@example.org"));
    /* too long, bad UTF-8, control characters */
    char big[KF_AUTH_PW_MAX + 2];
    for (int i = 0; i < KF_AUTH_PW_MAX + 1; i++)
        big[i] = (char)('a' + i % 26);
    big[KF_AUTH_PW_MAX + 1] = '\0';
    CHECK(!pw_ok(big, NULL));
    big[KF_AUTH_PW_MAX] = '\0';
    CHECK(pw_ok(big, NULL));
    CHECK(!pw_ok("twelve chars\xff", NULL));
    CHECK(!pw_ok("twelve\tchars!", NULL));
    CHECK(!pw_ok("\xc0\xafverlong slash!", NULL));
    kf_buf why;
    kf_buf_init(&why);
    CHECK_INT(kf_auth_password_ok(fast, "with a NUL\0inside it", 20, NULL, &why), KF_EINVAL);
    kf_buf_free(&why);
    CHECK(kf_auth_list_size(fast) > 1000);
}

static void test_email(void)
{
    char out[KF_AUTH_EMAIL_MAX + 1];
    kf_buf why;
    kf_buf_init(&why);
    CHECK_INT(kf_auth_email("  Maria@Example.ORG ", out, &why), KF_OK);
    CHECK_STR(out, "maria@example.org");
    static const char *const bad[] = { "", "maria", "@example.org", "maria@",
        "maria@example", "ma ria@example.org", "a@b@example.org", "maria@.org",
        "maria@example.org.", "maria@exa..mple.org", "<maria@example.org>" };
    for (size_t i = 0; i < KF_ARRAY_LEN(bad); i++) {
        if (kf_auth_email(bad[i], out, &why) != KF_EINVAL) {
            fprintf(stderr, "accepted as an email: '%s'\n", bad[i]);
            check_cur_failed = 1;
        }
    }
    CHECK_INT(kf_auth_email(NULL, out, &why), KF_EINVAL);
    kf_buf_free(&why);
}

static void test_hash(void)
{
    char h[KF_AUTH_HASH_MAX], h2[KF_AUTH_HASH_MAX];
    const char *pw = "correct horse staple";
    CHECK_INT(kf_auth_hash(real, pw, strlen(pw), h), KF_OK);
    CHECK(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    CHECK(kf_auth_verify(real, h, pw, strlen(pw)));
    CHECK(!kf_auth_verify(real, h, "correct horse stapl", 19));
    CHECK(!kf_auth_verify(real, NULL, pw, strlen(pw)));   /* no account */
    CHECK(!kf_auth_needs_rehash(real, h));
    /* salted: the same password twice gives two hashes */
    CHECK_INT(kf_auth_hash(real, pw, strlen(pw), h2), KF_OK);
    CHECK(strcmp(h, h2) != 0);
    /* a fast (test) hash verifies on a real server and wants a rehash */
    CHECK_INT(kf_auth_hash(fast, pw, strlen(pw), h2), KF_OK);
    CHECK(kf_auth_verify(real, h2, pw, strlen(pw)));
    CHECK(kf_auth_needs_rehash(real, h2));
    CHECK(!kf_auth_verify(real, "not a hash", pw, strlen(pw)));
}

static void test_tokens(void)
{
    char a[KF_AUTH_TOKEN_LEN + 1], b[KF_AUTH_TOKEN_LEN + 1];
    kf_auth_token(a);
    kf_auth_token(b);
    CHECK_INT(strlen(a), 43);
    CHECK(kf_auth_token_shape(a));
    CHECK(strcmp(a, b) != 0);
    CHECK(!kf_auth_token_shape("short"));
    CHECK(!kf_auth_token_shape("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa="));
    char ha[KF_AUTH_TOKEN_HASH + 1], ha2[KF_AUTH_TOKEN_HASH + 1], hb[KF_AUTH_TOKEN_HASH + 1];
    kf_auth_token_hash(a, ha);
    kf_auth_token_hash(a, ha2);
    kf_auth_token_hash(b, hb);
    CHECK_INT(strlen(ha), 64);
    CHECK_STR(ha, ha2);
    CHECK(strcmp(ha, hb) != 0);
    CHECK(!strstr(ha, a));
    char ca[KF_AUTH_TOKEN_LEN + 1], ca2[KF_AUTH_TOKEN_LEN + 1], cb[KF_AUTH_TOKEN_LEN + 1];
    kf_auth_csrf(a, ca);
    kf_auth_csrf(a, ca2);
    kf_auth_csrf(b, cb);
    CHECK_STR(ca, ca2);
    CHECK(strcmp(ca, cb) != 0 && strcmp(ca, a) != 0);
    CHECK(kf_auth_same(ca, ca2));
    CHECK(!kf_auth_same(ca, cb));
    CHECK(!kf_auth_same(ca, NULL));
    CHECK(!kf_auth_same("abc", "abcd"));
}

int main(void)
{
    const char *kb = getenv("KNOTFINDER_KB");
    char path[4096];
    snprintf(path, sizeof path, "%s/common-passwords.txt", kb && *kb ? kb : "kb");
    kf_buf err;
    kf_buf_init(&err);
    if (kf_auth_new(path, true, &fast, &err) != KF_OK ||
        kf_auth_new(path, false, &real, &err) != KF_OK) {
        fprintf(stderr, "test_auth: %s\n", err.s ? err.s : "cannot start");
        return 1;
    }
    kf_auth *none = NULL;
    CHECK(kf_auth_new("/nonexistent/list", true, &none, &err) == KF_EIO && !none);
    kf_buf_free(&err);
    RUN(test_policy);
    RUN(test_email);
    RUN(test_hash);
    RUN(test_tokens);
    kf_auth_free(fast);
    kf_auth_free(real);
    return CHECK_DONE();
}
