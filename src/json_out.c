/* json_out.c — the streaming JSON writer (see json_out.h). */
#include "json_out.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MIN_CAP 1024

static const char oom_text[] = "out of memory";

void kf_jo_init(kf_jo *w, unsigned flags)
{
    memset(w, 0, sizeof *w);
    w->flags = flags;
}

void kf_jo_free(kf_jo *w)
{
    if (!w)
        return;
    kf_free(w->s);
    unsigned flags = w->flags;
    kf_jo_init(w, flags);
}

const char *kf_jo_error(const kf_jo *w) { return w->error; }

static void fail(kf_jo *w, const char *why)
{
    if (!w->error)
        w->error = why;
}

/* The slow half of reserve: a bigger buffer. */
static bool grow(kf_jo *w, size_t n)
{
    if (w->error)
        return false;
    if (n > ((size_t)-1 >> 2) - w->len) {
        fail(w, "the document is too big");
        return false;
    }
    size_t cap = w->cap ? w->cap : MIN_CAP;
    while (cap < w->len + n + 1)
        cap *= 2;
    char *s = kf_realloc(w->s, cap);
    if (!s) {
        fail(w, oom_text);
        return false;
    }
    w->s = s;
    w->cap = cap;
    return true;
}

/* Room for n more bytes and the NUL; false (and the writer failed) when
 * there is none.  After a failure cap is 0 or the buffer is kept, so the
 * fast test alone would let a failed writer go on: error is checked too. */
static inline bool reserve(kf_jo *w, size_t n)
{
    if (__builtin_expect(w->len + n + 1 <= w->cap && !w->error, 1))
        return true;
    return grow(w, n);
}

void kf_jo_reserve(kf_jo *w, size_t n)
{
    if (n > w->len)
        reserve(w, n - w->len);
}

/* Appends n bytes; the caller has reserved them. */
static inline void put_r(kf_jo *w, const void *s, size_t n)
{
    memcpy(w->s + w->len, s, n);
    w->len += n;
}

static inline void put(kf_jo *w, const void *s, size_t n)
{
    if (reserve(w, n))
        put_r(w, s, n);
}

static inline void put_c(kf_jo *w, char c)
{
    if (reserve(w, 1))
        w->s[w->len++] = c;
}

/* A newline and `depth` levels of indent, when indenting. */
static void newline(kf_jo *w, int depth)
{
    unsigned ind = KF_JO_INDENT(w->flags);
    if (!ind)
        return;
    size_t n = 1 + (size_t)ind * (size_t)depth;
    if (!reserve(w, n))
        return;
    w->s[w->len] = '\n';
    memset(w->s + w->len + 1, ' ', n - 1);
    w->len += n;
}

/* The separator before a member of the innermost container (a comma after
 * the first; then, when indenting, a new line), with room reserved for
 * `more` bytes after it; returns where they go, w->len left before the
 * separator for the caller to move, or NULL when there is no room. */
static inline char *member_room(kf_jo *w, size_t more)
{
    unsigned ind = KF_JO_INDENT(w->flags);
    size_t nl = ind ? 1 + (size_t)ind * (size_t)w->depth : 0;
    if (!reserve(w, 2 + nl + more))
        return NULL;
    char *o = w->s + w->len;
    uint64_t bit = (uint64_t)1 << (w->depth - 1);
    if (w->nonempty & bit) {
        *o++ = ',';
        if (!ind && !(w->flags & KF_JO_COMPACT))
            *o++ = ' ';
    } else
        w->nonempty |= bit;
    if (nl) {
        *o = '\n';
        memset(o + 1, ' ', nl - 1);
        o += nl;
    }
    return o;
}

/* Called before every value: the separator it needs, or a failure when a
 * value is not allowed here. */
static bool before_value_slow(kf_jo *w)
{
    if (w->error)
        return false;
    if (w->want_value) {
        w->want_value = false;
        return true;
    }
    if (w->depth == 0) {
        if (w->len) {
            fail(w, "a second value after the document");
            return false;
        }
        return true;
    }
    if (w->isobj & ((uint64_t)1 << (w->depth - 1))) {
        fail(w, "a value where a key is due");
        return false;
    }
    char *o = member_room(w, 0);
    if (!o)
        return false;
    w->len = (size_t)(o - w->s);
    return true;
}

/* The common case at once: a value after its key. */
static inline bool before_value(kf_jo *w)
{
    if (__builtin_expect(w->want_value && !w->error, 1)) {
        w->want_value = false;
        return true;
    }
    return before_value_slow(w);
}

/* ---------- strings ---------- */

/* 1: a byte that needs an escape or a UTF-8 check. */
static const unsigned char special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,   /* '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    [0x80 ... 0xFF] = 1,
};

static const char hex[] = "0123456789ABCDEF";

static void put_u(kf_jo *w, unsigned v)
{
    if (!reserve(w, 6))
        return;
    char *o = w->s + w->len;
    o[0] = '\\';
    o[1] = 'u';
    o[2] = hex[(v >> 12) & 15];
    o[3] = hex[(v >> 8) & 15];
    o[4] = hex[(v >> 4) & 15];
    o[5] = hex[v & 15];
    w->len += 6;
}

/* The length of the UTF-8 sequence at s[0..n) and its code point, by the
 * rules jansson applies (no overlong forms, no surrogates, nothing above
 * U+10FFFF); 0 when it is not valid. */
static int utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    int l;
    unsigned v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        l = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        l = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        l = 4;
        v = c & 0x07;
    } else
        return 0;
    if ((size_t)l > n)
        return 0;
    for (int i = 1; i < l; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((l == 3 && v < 0x800) || (l == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return l;
}

/* The index of the first byte at or after i that needs an escape or a
 * UTF-8 check, or n: sixteen bytes at a time where SSE2 is there (a signed
 * compare with 0x20 catches both the control bytes and those >= 0x80). */
static inline size_t scan_plain(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                              _mm_cmpeq_epi8(x, bslash)),
                                 _mm_cmplt_epi8(x, space));
        int mask = _mm_movemask_epi8(m);
        if (mask)
            return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    while (i < n && !special[s[i]])
        i++;
    return i;
}

#ifdef __SSE2__
static inline unsigned special_mask(__m128i x)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                                                 _mm_cmpeq_epi8(x, bslash)),
                                                    _mm_cmplt_epi8(x, space)));
}
#endif

/* Copies s[0..n) to o while it needs no escape and no UTF-8 check, and
 * returns where it stopped: n, or the first byte that needs one (what o
 * holds from there on is to be overwritten).  o has room for 16 bytes past
 * o + n (the caller reserves them): a string shorter than 16 bytes is
 * copied, then tested in one load from o, the bytes past it masked off, so
 * nothing is read past the end of s. */
static inline __attribute__((always_inline)) size_t copy_plain(const unsigned char *s, size_t n, unsigned char *o)
{
#ifdef __SSE2__
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        _mm_storeu_si128((__m128i *)(o + i), x);
        unsigned m = special_mask(x);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    if (i == n)
        return n;
    size_t r = n - i;
    unsigned m;
    if (i) {                 /* the last 16 bytes, the first 16 - r already seen */
        __m128i x = _mm_loadu_si128((const __m128i *)(s + n - 16));
        _mm_storeu_si128((__m128i *)(o + n - 16), x);
        m = special_mask(x) >> (16 - r);
    } else {
        if (r >= 8) {
            memcpy(o, s, 8);
            memcpy(o + r - 8, s + r - 8, 8);
        } else if (r >= 4) {
            memcpy(o, s, 4);
            memcpy(o + r - 4, s + r - 4, 4);
        } else {
            o[0] = s[0];
            o[r / 2] = s[r / 2];
            o[r - 1] = s[r - 1];
        }
        m = special_mask(_mm_loadu_si128((const __m128i *)o)) & ((1u << r) - 1);
    }
    return m ? i + (size_t)__builtin_ctz(m) : n;
#else
    size_t i = 0;
    while (i < n && !special[s[i]])
        i++;
    memcpy(o, s, i);
    return i;
#endif
}

/* The rest of a string from s[plain], its first byte that needs an escape
 * or a UTF-8 check (what is before it is written, the opening quote too):
 * out of line, so the common case keeps a small frame. */
static __attribute__((noinline)) void put_string_rest(kf_jo *w, const unsigned char *s,
                                                      size_t n, size_t plain)
{
    bool ascii = w->flags & KF_JO_ASCII;
    size_t i = plain, run = plain;
    while (i < n) {
        i = scan_plain(s, i, n);
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c >= 0x80) {
            unsigned cp;
            int l = utf8_seq(s + i, n - i, &cp);
            if (!l) {
                fail(w, "a string is not valid UTF-8");
                return;
            }
            if (!ascii) {       /* copied as it is, with the run */
                i += (size_t)l;
                continue;
            }
            put(w, s + run, i - run);
            if (cp < 0x10000)
                put_u(w, cp);
            else {
                cp -= 0x10000;
                put_u(w, 0xD800 | (cp >> 10));
                put_u(w, 0xDC00 | (cp & 0x3FF));
            }
            i += (size_t)l;
            run = i;
            continue;
        }
        put(w, s + run, i - run);
        char e = 0;
        switch (c) {
        case '"':  e = '"'; break;
        case '\\': e = '\\'; break;
        case '\b': e = 'b'; break;
        case '\f': e = 'f'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        case '\t': e = 't'; break;
        }
        if (e) {
            char two[2] = { '\\', e };
            put(w, two, 2);
        } else
            put_u(w, c);
        i++;
        run = i;
    }
    put(w, s + run, n - run);
    put_c(w, '"');
}

static inline void put_string(kf_jo *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    /* Most strings need no escape: room for all of it at once, and 16
     * bytes more for copy_plain's test of a short one. */
    if (!reserve(w, n + 2 + 16))
        return;
    char *o = w->s + w->len;
    *o = '"';
    size_t plain = copy_plain(s, n, (unsigned char *)o + 1);
    if (__builtin_expect(plain == n, 1)) {
        o[n + 1] = '"';
        w->len += n + 2;
        return;
    }
    w->len += 1 + plain;
    put_string_rest(w, s, n, plain);
}

/* ---------- containers and values ---------- */

static void jo_open(kf_jo *w, char c, bool obj)
{
    if (!before_value(w))
        return;
    if (w->depth >= KF_JO_DEPTH) {
        fail(w, "nesting too deep");
        return;
    }
    put_c(w, c);
    uint64_t bit = (uint64_t)1 << w->depth;
    w->nonempty &= ~bit;
    if (obj)
        w->isobj |= bit;
    else
        w->isobj &= ~bit;
    w->depth++;
}

static void jo_close(kf_jo *w, char c, bool obj)
{
    if (w->error)
        return;
    uint64_t bit = w->depth ? (uint64_t)1 << (w->depth - 1) : 0;
    if (!w->depth || w->want_value || !(w->isobj & bit) != !obj) {
        fail(w, "a container closed out of turn");
        return;
    }
    w->depth--;
    if (w->nonempty & bit)
        newline(w, w->depth);
    put_c(w, c);
}

void kf_jo_obj(kf_jo *w) { jo_open(w, '{', true); }
void kf_jo_obj_end(kf_jo *w) { jo_close(w, '}', true); }
void kf_jo_arr(kf_jo *w) { jo_open(w, '[', false); }
void kf_jo_arr_end(kf_jo *w) { jo_close(w, ']', false); }

/* A key; `plain` when the caller knows it needs no escape (a literal the
 * compiler has checked, kf_jo_key in json_out.h). */
/* The checks and separator before a key of n bytes, its opening quote
 * written and room for it and 4 + 16 bytes more; returns where the key
 * goes, or NULL when it cannot be written. */
static inline char *key_open(kf_jo *w, size_t n)
{
    if (w->error)
        return NULL;
    if (!w->depth || w->want_value || !(w->isobj & ((uint64_t)1 << (w->depth - 1)))) {
        fail(w, "a key outside an object");
        return NULL;
    }
    char *o = member_room(w, n + 4 + 16);
    if (o)
        *o++ = '"';
    return o;
}

char *kf_jo_key_open_(kf_jo *w, size_t n) { return key_open(w, n); }

bool kf_jo_members(kf_jo *w, const char *s, size_t n, unsigned made)
{
    const unsigned shown = KF_JO_INDENT(~0u) | KF_JO_COMPACT | KF_JO_ASCII;
    if (((w->flags ^ made) & shown) || KF_JO_INDENT(w->flags) || w->error || !w->depth ||
        w->want_value || !(w->isobj & ((uint64_t)1 << (w->depth - 1))))
        return false;
    if (!n)
        return true;
    char *o = member_room(w, n);
    if (!o)
        return false;
    memcpy(o, s, n);
    w->len = (size_t)(o - w->s) + n;
    return true;
}

void kf_jo_keyn(kf_jo *w, const char *k, size_t n)
{
    char *o = key_open(w, n);
    if (!o)
        return;
    size_t done = copy_plain((const unsigned char *)k, n, (unsigned char *)o);
    if (__builtin_expect(done == n, 1)) {
        kf_jo_key_close_(w, o + n);
        return;
    }
    w->len = (size_t)(o - w->s) + done;
    put_string_rest(w, (const unsigned char *)k, n, done);
    if (w->flags & KF_JO_COMPACT)
        put_c(w, ':');
    else
        put(w, ": ", 2);
    w->want_value = true;
}

void kf_jo_strn(kf_jo *w, const char *s, size_t n)
{
    if (before_value(w))
        put_string(w, s, n);
}

void kf_jo_str(kf_jo *w, const char *s)
{
    if (!s)
        kf_jo_null(w);
    else if (before_value(w))
        put_string(w, s, strlen(s));
}

void kf_jo_int(kf_jo *w, long long v)
{
    if (!before_value(w))
        return;
    char buf[24], *p = buf + sizeof buf;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(w, p, (size_t)(buf + sizeof buf - p));
}

void kf_jo_real(kf_jo *w, double v)
{
    if (!before_value(w))
        return;
    char buf[40];
    int n = kf_jo_format_real(buf, v);
    if (n < 0)
        fail(w, "a number is not finite");
    else
        put(w, buf, (size_t)n);
}

void kf_jo_bool(kf_jo *w, bool v)
{
    if (before_value(w))
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void kf_jo_null(kf_jo *w)
{
    if (before_value(w))
        put(w, "null", 4);
}


void kf_jo_fail(kf_jo *w, const char *why)
{
    /* "out of memory" from a caller is the writer's own: never undone. */
    fail(w, why && !strcmp(why, oom_text) ? oom_text : why ? why : "failed");
}

kf_jo_mark kf_jo_save(const kf_jo *w)
{
    return (kf_jo_mark){ .len = w->len, .depth = w->depth, .nonempty = w->nonempty,
                         .isobj = w->isobj, .want_value = w->want_value,
                         .failed = w->error != NULL };
}

bool kf_jo_undo(kf_jo *w, kf_jo_mark m)
{
    if (m.failed || !w->error || w->error == oom_text || m.len > w->len)
        return false;
    w->len = m.len;
    w->depth = m.depth;
    w->nonempty = m.nonempty;
    w->isobj = m.isobj;
    w->want_value = m.want_value;
    w->error = NULL;
    return true;
}

bool kf_jo_utf8(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        unsigned cp;
        int l = utf8_seq(s + i, n - i, &cp);
        if (!l)
            return false;
        i += (size_t)l;
    }
    return true;
}

char *kf_jo_finish(kf_jo *w, size_t *len)
{
    if (!w->error && (w->depth || w->want_value || !w->len))
        fail(w, w->len ? "a container is still open" : "the document is empty");
    if (w->error) {
        const char *why = w->error;
        kf_jo_free(w);
        w->error = why;
        return NULL;
    }
    if ((w->flags & KF_JO_EOL) && reserve(w, 1))
        w->s[w->len++] = '\n';
    if (w->error) {
        kf_jo_free(w);
        w->error = oom_text;
        return NULL;
    }
    w->s[w->len] = '\0';
    char *s = w->s;
    if (len)
        *len = w->len;
    w->s = NULL;
    w->len = w->cap = 0;
    return s;
}

/* ---------- reals ---------- */

/* jansson's fix-ups of a "%.17g" string of length n: the decimal point of
 * the locale becomes '.', ".0" is added when there is neither '.' nor 'e',
 * and the exponent loses its '+' and leading zeros. */
static int jansson_fixup(char *b, int n)
{
    bool dot = false, exp = false;
    for (int i = 0; i < n; i++) {
        char c = b[i];
        if (c == 'e')
            exp = true;
        else if (c != '-' && c != '+' && (c < '0' || c > '9')) {
            b[i] = '.';
            dot = true;
        } else if (c == '.')
            dot = true;
    }
    if (!dot && !exp) {
        b[n++] = '.';
        b[n++] = '0';
        b[n] = '\0';
    }
    char *e = strchr(b, 'e');
    if (e) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(b + n - end) + 1);
            n -= (int)(end - start);
        }
    }
    return n;
}

static const unsigned long long pow10_u64[] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
    1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
    1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL,
};

static const char two_digits[] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";

/* The eight decimal digits of v < 10^8 (leading zeros kept) at d. */
static inline void eight_digits(char *d, unsigned v)
{
    unsigned a = v / 10000, b = v - a * 10000;
    unsigned a1 = a / 100, a2 = a - a1 * 100, b1 = b / 100, b2 = b - b1 * 100;
    memcpy(d, two_digits + 2 * a1, 2);
    memcpy(d + 2, two_digits + 2 * a2, 2);
    memcpy(d + 4, two_digits + 2 * b1, 2);
    memcpy(d + 6, two_digits + 2 * b2, 2);
}

/* "%.17g" of a positive normal v for which it uses the fixed style (the
 * decimal exponent after rounding, k, is from -4 to 16), by exact integer
 * arithmetic: the 17 significant digits are v * 10^(16-k) rounded to
 * nearest, ties to even, as glibc rounds.  Returns the length, or -1 when
 * v is outside that range (the caller then asks snprintf). */
static int fixed17(char *out, double v)
{
    /* v = f * 2^x, f in [0.5, 1), as frexp gives it; m = f * 2^53 (v is
     * normal: its 52 stored bits and the implicit one) */
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int x = (int)((bits >> 52) & 0x7ff) - 1022;
    if (x < -13 || x > 57)
        return -1;
    unsigned long long m = (bits & 0x000fffffffffffffULL) | 0x0010000000000000ULL;
    int e = x - 53;                          /* v = m * 2^e exactly */
    /* log10(v) is in [(x-1) log10(2), x log10(2)): start from the lower
     * end and move up while the digits overflow. */
    /* floor((x - 1) log10 2) by integers: the same for every x from -13
     * to 57 (checked; >> of a negative int floors, as GCC and Clang shift
     * arithmetically), and the loop below corrects k either way */
    int k = ((x - 1) * 78913) >> 18;
    unsigned long long q;
    for (;;) {
        int p = 16 - k;
        if (p < 0 || p > 20 || k < -5)
            return -1;
        unsigned __int128 n = (unsigned __int128)m * pow10_u64[p < 19 ? p : 19];
        if (p == 20)
            n *= 10;
        unsigned __int128 rem = 0, half = 0;
        if (e >= 0) {
            n <<= e;
        } else {
            int s = -e;
            unsigned __int128 mask = ((unsigned __int128)1 << s) - 1;
            rem = n & mask;
            half = (unsigned __int128)1 << (s - 1);
            n >>= s;
        }
        if (n >= (unsigned __int128)pow10_u64[17]) {
            k++;
            continue;
        }
        if (n < (unsigned __int128)pow10_u64[16]) {
            k--;
            continue;
        }
        q = (unsigned long long)n;
        if (e < 0 && (rem > half || (rem == half && (q & 1))))
            q++;
        if (q == pow10_u64[17]) {
            q = pow10_u64[16];
            k++;
        }
        break;
    }
    if (k < -4 || k > 16)
        return -1;
    /* the 17 digits (q < 10^17) */
    char d[18];
    /* q = d0 * 10^16 + hi * 10^8 + lo: the eight-digit halves in 32 bits
     * (a 64-bit division by a constant is a longer multiply) */
    unsigned long long top = q / 100000000ULL;
    unsigned lo = (unsigned)(q - top * 100000000ULL);
    unsigned d0 = (unsigned)(top / 100000000ULL);
    unsigned hi = (unsigned)(top - (unsigned long long)d0 * 100000000ULL);
    d[0] = (char)('0' + d0);
    eight_digits(d + 1, hi);
    eight_digits(d + 9, lo);
    int nd = 17;
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    char *o = out;
    if (k >= 0) {
        int intd = k + 1;
        for (int i = 0; i < intd; i++)
            *o++ = i < nd ? d[i] : '0';
        *o++ = '.';
        if (nd > intd)
            for (int i = intd; i < nd; i++)
                *o++ = d[i];
        else
            *o++ = '0';                      /* jansson's ".0" */
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -k - 1; i++)
            *o++ = '0';
        for (int i = 0; i < nd; i++)
            *o++ = d[i];
    }
    *o = '\0';
    return (int)(o - out);
}

int kf_jo_format_real(char *buf, double v)
{
    if (!isfinite(v))
        return -1;
    if (v == 0) {
        if (signbit(v)) {
            memcpy(buf, "-0.0", 5);
            return 4;
        }
        memcpy(buf, "0.0", 4);
        return 3;
    }
    if (isnormal(v)) {
        int n;
        if (v < 0) {
            buf[0] = '-';
            n = fixed17(buf + 1, -v);
            if (n >= 0)
                return n + 1;
        } else if ((n = fixed17(buf, v)) >= 0)
            return n;
    }
    int n = snprintf(buf, 32, "%.17g", v);
    if (n < 0 || n >= 29)
        return -1;
    return jansson_fixup(buf, n);
}
