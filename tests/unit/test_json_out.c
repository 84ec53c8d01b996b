/*
 * test_json_out.c — the streaming writer against jansson: the same values
 * printed with the same flags give the same bytes (reals, strings of every
 * kind of byte, random documents), what it writes parses back to the same
 * value, and every misuse or failure is reported, never a wrong document.
 */
#include "check.h"
#include "json_out.h"

#include <float.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

_Static_assert(KF_JO_COMPACT == JSON_COMPACT, "flags as jansson's");
_Static_assert(KF_JO_ASCII == JSON_ENSURE_ASCII, "flags as jansson's");
_Static_assert(KF_JO_INDENT(3) == JSON_INDENT(3), "flags as jansson's");

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const unsigned all_flags[] = {
    0, KF_JO_COMPACT, KF_JO_INDENT(2), KF_JO_INDENT(2) | KF_JO_ASCII,
    KF_JO_COMPACT | KF_JO_ASCII, KF_JO_INDENT(4), KF_JO_ASCII,
};

/* ---------- reals ---------- */

static int real_mismatches;

static void check_real(double v)
{
    json_t *j = json_real(v);
    char *want = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    char got[64];
    int n = kf_jo_format_real(got, v);
    if (!want) {
        if (n >= 0 && real_mismatches++ < 10)
            fprintf(stderr, "real %a: jansson refuses it, we wrote %s\n", v, got);
    } else if (n < 0 || strcmp(want, got) || (size_t)n != strlen(want)) {
        if (real_mismatches++ < 10)
            fprintf(stderr, "real %a: jansson %s, we %s\n", v, want, n < 0 ? "(failed)" : got);
    }
    free(want);
    json_decref(j);
}

static void test_reals_as_jansson(void)
{
    real_mismatches = 0;
    static const double fixed[] = {
        0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 2.5, 1e-4, 1e-5, 9.9999e-5, 0.00012345,
        1e15, 1e16, 1e17, 1e18, 9007199254740992.0, 9007199254740993.0,
        99999999999999999.0, 9999999999999998.0, 123456789012345678.0, 1e22, 1e300,
        DBL_MAX, DBL_MIN, DBL_MIN / 4, 4.9e-324, 0.30103, 2.7536607123542627,
        1.7749523509116736, 0.29059183228698304, 100.0, 12345.678, 1.0 / 3, 2.0 / 3,
    };
    for (size_t i = 0; i < KF_ARRAY_LEN(fixed); i++) {
        check_real(fixed[i]);
        check_real(-fixed[i]);
        check_real(nextafter(fixed[i], 0));
        check_real(nextafter(fixed[i], DBL_MAX));
    }
    /* Every power of ten and its neighbours, where the style and the
     * number of digits change. */
    for (int e = -30; e <= 30; e++) {
        double p = pow(10, e);
        for (int k = -3; k <= 3; k++) {
            double v = p;
            for (int s = 0; s < abs(k); s++)
                v = nextafter(v, k < 0 ? 0 : DBL_MAX);
            check_real(v);
        }
    }
    /* Random bit patterns, random values where the scores live, integers
     * (where ties to even are decided), halves. */
    for (int i = 0; i < 100000; i++) {
        uint64_t b = next();
        double v;
        memcpy(&v, &b, sizeof v);
        if (isfinite(v))
            check_real(v);
        check_real((double)(next() >> 11) / 9007199254740992.0);
        check_real((double)(next() >> 11) / 9007199254740992.0 * 10);
        check_real((double)(next() >> 7));
        check_real((double)(next() >> 10) + 0.5);
        check_real(ldexp((double)(next() >> 11), (int)(next() % 120) - 80));
    }
    CHECK_INT(real_mismatches, 0);
    char buf[64];
    CHECK_INT(kf_jo_format_real(buf, NAN), -1);
    CHECK_INT(kf_jo_format_real(buf, INFINITY), -1);
    CHECK_INT(kf_jo_format_real(buf, -INFINITY), -1);
}

/* ---------- strings ---------- */

/* A random byte string: mostly text, with escapes, multibyte characters
 * and, sometimes, bytes that are not UTF-8. */
static size_t random_bytes(unsigned char *s, size_t max, bool valid)
{
    static const char *const pieces[] = {
        "a", "knot", " ", "\"", "\\", "/", "\n", "\t", "\r", "\b", "\f", "\x01", "\x1f",
        "\x7f", "é", "ü", "—", "€", "😀", "𝄞", "\xef\xbf\xbf", "\xe2\x80\xa8", "<>&'",
    };
    static const char *const bad[] = {
        "\x80", "\xc0\xaf", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xe2\x82",
        "\xf0\x9f\x98", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x88\x80\x80\x80",
    };
    size_t n = 0, want = next() % max;
    while (n < want) {
        const char *p;
        if (!valid && next() % 8 == 0)
            p = bad[next() % KF_ARRAY_LEN(bad)];
        else if (next() % 16 == 0) {
            s[n++] = (unsigned char)(next() % 0x80);   /* any ASCII, NUL too */
            continue;
        } else
            p = pieces[next() % KF_ARRAY_LEN(pieces)];
        size_t l = strlen(p);
        if (n + l > max)
            break;
        memcpy(s + n, p, l);
        n += l;
    }
    return n;
}

static void test_strings_as_jansson(void)
{
    int mismatches = 0, invalid = 0;
    unsigned char s[200];
    for (int i = 0; i < 20000; i++) {
        size_t n = random_bytes(s, sizeof s, i % 3 != 0);
        json_t *j = json_stringn((const char *)s, n);
        for (size_t f = 0; f < KF_ARRAY_LEN(all_flags); f++) {
            kf_jo w;
            kf_jo_init(&w, all_flags[f]);
            kf_jo_strn(&w, (const char *)s, n);
            size_t len = 0;
            char *got = kf_jo_finish(&w, &len);
            char *want = j ? json_dumps(j, all_flags[f] | JSON_ENCODE_ANY) : NULL;
            if (!j) {
                invalid += f == 0;
                if (got || !kf_jo_error(&w)) {
                    mismatches++;
                    fprintf(stderr, "invalid UTF-8 accepted: %s\n", got);
                }
            } else if (!got || !want || len != strlen(want) || strcmp(got, want)) {
                if (mismatches++ < 5)
                    fprintf(stderr, "flags %#x: jansson %s, we %s\n", all_flags[f], want,
                            got ? got : kf_jo_error(&w));
            }
            kf_free(got);
            free(want);
        }
        json_decref(j);
    }
    CHECK_INT(mismatches, 0);
    CHECK(invalid > 100);                /* the invalid ones were exercised */
    /* NULL is null, as json_pack's "s?". */
    kf_jo w;
    kf_jo_init(&w, 0);
    kf_jo_arr(&w);
    kf_jo_str(&w, NULL);
    kf_jo_str(&w, "");
    kf_jo_arr_end(&w);
    char *got = kf_jo_finish(&w, NULL);
    CHECK_STR(got, "[null, \"\"]");
    kf_free(got);
}

/* Plain text of every length from 0 to 80, alone and with one byte that
 * needs something (a quote, a backslash, a control byte, a multibyte
 * character, a byte that is not UTF-8) at every position: the writer copies
 * plain runs 16 bytes at a time and tests a short string in one load, so
 * each length and each place of the odd byte is a path of its own.  Each
 * string is written after a prefix of 0 to 17 bytes, so it starts at every
 * alignment of the output. */
static void test_strings_every_length(void)
{
    static const char *const odd[] = { "\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9",
                                       "\xe2\x80\x94", "\xf0\x9f\x98\x80", "\xff", "\xc3" };
    int mismatches = 0, cases = 0;
    char s[100], pre[20];
    for (size_t n = 0; n <= 80; n++)
        for (int o = -1; o < (int)KF_ARRAY_LEN(odd); o++)
            for (size_t at = 0; at <= (o < 0 ? 0 : n); at++) {
                size_t len = 0;
                for (size_t i = 0; i < n; i++)
                    s[len++] = (char)('a' + (i * 7 + n) % 26);
                if (o >= 0) {
                    size_t ol = strlen(odd[o]);
                    memmove(s + at + ol, s + at, len - at);
                    memcpy(s + at, odd[o], ol);
                    len += ol;
                }
                json_t *j = json_stringn(s, len);
                size_t p = (n + at) % 18;
                memset(pre, 'p', p);
                pre[p] = '\0';
                json_t *a = json_pack("[so]", pre, j ? json_incref(j) : json_null());
                unsigned flags = all_flags[(n + at) % KF_ARRAY_LEN(all_flags)];
                kf_jo w;
                kf_jo_init(&w, flags);
                kf_jo_arr(&w);
                kf_jo_str(&w, pre);
                kf_jo_strn(&w, s, len);
                kf_jo_arr_end(&w);
                char *got = kf_jo_finish(&w, NULL);
                char *want = j ? json_dumps(a, flags) : NULL;
                cases++;
                if (!j ? got != NULL : (!got || !want || strcmp(got, want))) {
                    if (mismatches++ < 5)
                        fprintf(stderr, "length %zu, odd %d at %zu: jansson %s, we %s\n", n, o, at,
                                want ? want : "(fails)", got ? got : kf_jo_error(&w));
                }
                kf_free(got);
                free(want);
                json_decref(a);
                json_decref(j);
            }
    CHECK_INT(mismatches, 0);
    CHECK(cases > 30000);
}

/* ---------- whole documents ---------- */

static json_t *random_value(int depth)
{
    int kind = (int)(next() % (depth > 5 ? 6 : 8));
    unsigned char s[40];
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(next() & 1);
    case 2: return json_integer((json_int_t)(next() >> (next() % 64)) * ((next() & 1) ? -1 : 1));
    case 3: {
        uint64_t b = next();
        double v;
        memcpy(&v, &b, sizeof v);
        return json_real(isfinite(v) && next() % 2 ? v : (double)(next() % 100000) / 997.0);
    }
    case 4:
    case 5: {
        size_t n = random_bytes(s, sizeof s, true);
        return json_stringn((const char *)s, n);
    }
    case 6: {
        json_t *a = json_array();
        int n = (int)(next() % 5);
        for (int i = 0; i < n; i++)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        int n = (int)(next() % 5);
        for (int i = 0; i < n; i++) {
            size_t l = random_bytes(s, sizeof s - 1, true);
            s[l] = '\0';
            for (size_t k = 0; k < l; k++)
                if (!s[k])
                    s[k] = 'z';          /* keys are C strings */
            json_object_set_new(o, (const char *)s, random_value(depth + 1));
        }
        return o;
    }
    }
}

/* Writes v with the streaming writer, walking the tree. */
static void write_value(kf_jo *w, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        kf_jo_obj(w);
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            kf_jo_key(w, k);
            write_value(w, m);
        }
        kf_jo_obj_end(w);
        break;
    }
    case JSON_ARRAY: {
        kf_jo_arr(w);
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
            write_value(w, m);
        kf_jo_arr_end(w);
        break;
    }
    case JSON_STRING: kf_jo_strn(w, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: kf_jo_int(w, json_integer_value(v)); break;
    case JSON_REAL: kf_jo_real(w, json_real_value(v)); break;
    case JSON_TRUE: kf_jo_bool(w, true); break;
    case JSON_FALSE: kf_jo_bool(w, false); break;
    case JSON_NULL: kf_jo_null(w); break;
    }
}

static void test_documents_as_jansson(void)
{
    int mismatches = 0, unparsed = 0;
    for (int i = 0; i < 3000; i++) {
        json_t *v = random_value(0);
        for (size_t f = 0; f < KF_ARRAY_LEN(all_flags); f++) {
            char *want = json_dumps(v, all_flags[f] | JSON_ENCODE_ANY);
            kf_jo w;
            kf_jo_init(&w, all_flags[f]);
            write_value(&w, v);
            size_t len = 0;
            char *got = kf_jo_finish(&w, &len);
            if (!got || !want || strcmp(got, want) || len != strlen(want)) {
                if (mismatches++ < 3)
                    fprintf(stderr, "flags %#x:\njansson %s\nwe      %s\n", all_flags[f],
                            want, got ? got : kf_jo_error(&w));
            } else {
                json_error_t err;
                json_t *back = json_loadb(got, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
                if (!back || !json_equal(back, v))
                    unparsed++;
                json_decref(back);
            }
            kf_jo_free(&w);
            kf_free(got);
            free(want);
        }
        json_decref(v);
    }
    CHECK_INT(mismatches, 0);
    CHECK_INT(unparsed, 0);
}

static void test_empty_and_nested(void)
{
    kf_jo w;
    kf_jo_init(&w, KF_JO_INDENT(2));
    kf_jo_obj(&w);
    kf_jo_key(&w, "a");
    kf_jo_arr(&w);
    kf_jo_arr_end(&w);
    kf_jo_key(&w, "o");
    kf_jo_obj(&w);
    kf_jo_obj_end(&w);
    kf_jo_kint(&w, "n", -9223372036854775807LL - 1);
    kf_jo_kreal(&w, "r", 0.25);
    kf_jo_kbool(&w, "t", true);
    kf_jo_knull(&w, "z");
    kf_jo_obj_end(&w);
    char *got = kf_jo_finish(&w, NULL);
    CHECK_STR(got, "{\n  \"a\": [],\n  \"o\": {},\n  \"n\": -9223372036854775808,\n"
                   "  \"r\": 0.25,\n  \"t\": true,\n  \"z\": null\n}");
    kf_free(got);
}

/* Every misuse fails the document with a reason; nothing is returned. */
static void test_misuse_fails(void)
{
    kf_jo w;
    char *s;
#define EXPECT_FAIL(steps) do { kf_jo_init(&w, 0); steps; s = kf_jo_finish(&w, NULL); \
        CHECK(s == NULL); CHECK(kf_jo_error(&w) != NULL); kf_free(s); kf_jo_free(&w); } while (0)
    EXPECT_FAIL((void)0);                                        /* empty */
    EXPECT_FAIL(kf_jo_obj(&w));                                  /* open */
    EXPECT_FAIL(kf_jo_obj(&w); kf_jo_int(&w, 1); kf_jo_obj_end(&w));   /* no key */
    EXPECT_FAIL(kf_jo_arr(&w); kf_jo_key(&w, "k"); kf_jo_arr_end(&w)); /* key in array */
    EXPECT_FAIL(kf_jo_obj(&w); kf_jo_key(&w, "k"); kf_jo_obj_end(&w)); /* no value */
    EXPECT_FAIL(kf_jo_obj(&w); kf_jo_arr_end(&w));               /* wrong closer */
    EXPECT_FAIL(kf_jo_arr_end(&w));                              /* nothing open */
    EXPECT_FAIL(kf_jo_int(&w, 1); kf_jo_int(&w, 2));             /* two documents */
    EXPECT_FAIL(kf_jo_arr(&w); kf_jo_real(&w, NAN); kf_jo_arr_end(&w));
    EXPECT_FAIL(kf_jo_arr(&w); kf_jo_str(&w, "bad \xc3("); kf_jo_arr_end(&w));
    EXPECT_FAIL(kf_jo_obj(&w); kf_jo_kstr(&w, "\xff", "v"); kf_jo_obj_end(&w));
    EXPECT_FAIL(for (int i = 0; i < KF_JO_DEPTH + 1; i++) kf_jo_arr(&w);
                for (int i = 0; i < KF_JO_DEPTH + 1; i++) kf_jo_arr_end(&w));
#undef EXPECT_FAIL
    /* The deepest nesting allowed still works. */
    kf_jo_init(&w, KF_JO_COMPACT);
    for (int i = 0; i < KF_JO_DEPTH; i++)
        kf_jo_arr(&w);
    for (int i = 0; i < KF_JO_DEPTH; i++)
        kf_jo_arr_end(&w);
    s = kf_jo_finish(&w, NULL);
    CHECK(s && strlen(s) == 2 * KF_JO_DEPTH);
    kf_free(s);
}

/* A member dropped by kf_jo_undo leaves what was never written; a failure
 * from before the mark stays. */
static void test_undo(void)
{
    kf_jo w;
    kf_jo_init(&w, KF_JO_INDENT(2));
    kf_jo_obj(&w);
    kf_jo_mark m = kf_jo_save(&w);
    kf_jo_kstr(&w, "dropped", "bad \xff");
    CHECK(kf_jo_undo(&w, m));
    kf_jo_kint(&w, "a", 1);
    m = kf_jo_save(&w);
    kf_jo_key(&w, "nested");
    kf_jo_arr(&w);
    kf_jo_real(&w, NAN);
    CHECK(kf_jo_undo(&w, m));
    CHECK(!kf_jo_undo(&w, m));            /* nothing to undo now */
    kf_jo_kint(&w, "b", 2);
    kf_jo_obj_end(&w);
    char *s = kf_jo_finish(&w, NULL);
    CHECK_STR(s, "{\n  \"a\": 1,\n  \"b\": 2\n}");
    kf_free(s);

    kf_jo_init(&w, 0);
    kf_jo_arr(&w);
    kf_jo_str(&w, "\xff");                 /* fails the document */
    m = kf_jo_save(&w);
    kf_jo_int(&w, 1);
    CHECK(!kf_jo_undo(&w, m));
    kf_jo_arr_end(&w);
    s = kf_jo_finish(&w, NULL);
    CHECK(s == NULL);
    CHECK_STR(kf_jo_error(&w), "a string is not valid UTF-8");
}

/* Out of memory at each allocation in turn: the document fails cleanly,
 * and with enough memory it is whole. */
static void test_out_of_memory(void)
{
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    int failed = 0, whole = 0;
    for (long n = 0; n < 8; n++) {
        kf_alloc_fail_after(n);
        kf_jo w;
        kf_jo_init(&w, 0);
        kf_jo_arr(&w);
        for (int i = 0; i < 4; i++)
            kf_jo_str(&w, big);
        kf_jo_arr_end(&w);
        char *s = kf_jo_finish(&w, NULL);
        kf_alloc_fail_after(-1);
        if (s) {
            whole += strlen(s) == 4 * (sizeof big + 1) + 2 + 3 * 2;
            kf_free(s);
        } else {
            failed++;
            CHECK_STR(kf_jo_error(&w), "out of memory");
        }
    }
    CHECK(failed >= 1);
    CHECK(whole >= 1);
    CHECK_INT(failed + whole, 8);
}

int main(void)
{
    RUN(test_reals_as_jansson);
    RUN(test_strings_as_jansson);
    RUN(test_strings_every_length);
    RUN(test_documents_as_jansson);
    RUN(test_empty_and_nested);
    RUN(test_misuse_fails);
    RUN(test_undo);
    RUN(test_out_of_memory);
    return CHECK_DONE();
}
