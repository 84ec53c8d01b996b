/*
 * json_out.h — a streaming JSON writer: values are appended to one growing
 * buffer as they are produced, with no tree in between.
 *
 * The output is byte for byte what jansson's json_dumps() prints for the
 * same values with the same flags (compact, indent N, ensure ASCII): the
 * same separators and indentation, the same escapes (\" \\ \b \f \n \r \t,
 * \u00XX for other control bytes, \uXXXX and surrogate pairs in ASCII
 * mode), integers in decimal and reals as "%.17g" with ".0" added when the
 * digits hold no '.' or 'e' and the exponent stripped of '+' and leading
 * zeros.  tests/unit/test_json_out.c checks this against jansson itself.
 *
 * Each string is read once: it is escaped and its UTF-8 checked in the same
 * pass, and runs of bytes that need nothing are copied whole.  The buffer
 * grows by what each piece measures (doubling), so a 13 KB answer costs a
 * handful of reallocations.
 *
 * Errors are sticky: after the first one (out of memory, a string that is
 * not UTF-8, a NaN or infinite real, nesting deeper than KF_JO_DEPTH, a
 * value where a key is due) every later call does nothing, and
 * kf_jo_finish() returns NULL with the reason in kf_jo_error().  Callers
 * can therefore write a whole document and check once at the end.
 *
 * Memory: the writer owns its buffer until kf_jo_finish() hands it over
 * (free it with kf_free); kf_jo_free() releases it otherwise.  A writer is
 * a plain struct the caller owns (on the stack is fine).
 */
#ifndef KF_JSON_OUT_H
#define KF_JSON_OUT_H

#include "kf.h"

#include <stdint.h>
#include <string.h>

/* Flags, as jansson's: the low 5 bits are the indent (0-31 spaces). */
#define KF_JO_INDENT(n) ((unsigned)(n) & 0x1Fu)
#define KF_JO_COMPACT   0x20u   /* "," and ":" with no spaces */
#define KF_JO_ASCII     0x40u   /* everything above 0x7F as \uXXXX */
#define KF_JO_EOL       0x100000u /* ours: kf_jo_finish ends the text with '\n' */

/* Nesting limit: objects and arrays open at once. */
#define KF_JO_DEPTH 64

typedef struct {
    char       *s;          /* the output so far, NUL-terminated when cap > 0 */
    size_t      len, cap;
    unsigned    flags;
    int         depth;      /* containers open */
    uint64_t    nonempty;   /* bit d: the container at depth d has a member */
    uint64_t    isobj;      /* bit d: the container at depth d is an object */
    bool        want_value; /* a key was written, its value is due */
    const char *error;      /* NULL, or why the document failed (static text) */
} kf_jo;

/* Starts an empty document with `flags` (KF_JO_*). */
void kf_jo_init(kf_jo *w, unsigned flags);

/* Room for n bytes of output at once (a hint: the document still grows
 * as it needs), so that a writer that knows its usual size does not copy
 * its buffer at every doubling.  Out of memory fails the writer, as any
 * call would. */
void kf_jo_reserve(kf_jo *w, size_t n);

/* Releases the buffer (after a failure, or when the output is not
 * wanted); the writer may be initialised again.  NULL-safe. */
void kf_jo_free(kf_jo *w);

/* The finished document: NUL-terminated, *len (when non-NULL) set to its
 * length; the caller frees it with kf_free.  NULL when any call failed or a
 * container is still open (see kf_jo_error); the writer is emptied either
 * way. */
char *kf_jo_finish(kf_jo *w, size_t *len);

/* Why the document failed, or NULL while it is fine. */
const char *kf_jo_error(const kf_jo *w);

/* Containers.  Inside an object, every value is preceded by kf_jo_key. */
void kf_jo_obj(kf_jo *w);
void kf_jo_obj_end(kf_jo *w);
void kf_jo_arr(kf_jo *w);
void kf_jo_arr_end(kf_jo *w);

/* An object's key (UTF-8, NUL-terminated); kf_jo_keyn takes its length.
 * The key-and-value calls below are inline, so a key written as a literal
 * has its length worked out by the compiler. */
void kf_jo_keyn(kf_jo *w, const char *k, size_t n);
/* Not to be called but through kf_jo_key, for a key that needs no escape:
 * kf_jo_key_open_ checks the writer, writes the separator and the opening
 * quote and returns where the key's n bytes go (room is reserved for them
 * and 4 more), or NULL; kf_jo_key_close_ ends the key after them. */
char *kf_jo_key_open_(kf_jo *w, size_t n);
static inline void kf_jo_key_close_(kf_jo *w, char *o)
{
    *o++ = '"';
    *o++ = ':';
    if (!(w->flags & KF_JO_COMPACT))
        *o++ = ' ';
    w->len = (size_t)(o - w->s);
    w->want_value = true;
}

/* True when k[0..n) (n at most 24) needs no escape and no UTF-8 check:
 * for a literal key the compiler works it out and kf_jo_key skips the
 * test; for any other key it is never evaluated. */
#define KF_JO_C_(k, n, i) ((i) >= (n) || ((unsigned char)(k)[(i) < (n) ? (i) : 0] >= 0x20 && \
    (unsigned char)(k)[(i) < (n) ? (i) : 0] < 0x80 && (k)[(i) < (n) ? (i) : 0] != '"' && \
    (k)[(i) < (n) ? (i) : 0] != '\\'))
#define KF_JO_C4_(k, n, i) (KF_JO_C_(k, n, i) && KF_JO_C_(k, n, i + 1) && \
    KF_JO_C_(k, n, i + 2) && KF_JO_C_(k, n, i + 3))
#define KF_JO_PLAIN_(k, n) (KF_JO_C4_(k, n, 0) && KF_JO_C4_(k, n, 4) && KF_JO_C4_(k, n, 8) && \
    KF_JO_C4_(k, n, 12) && KF_JO_C4_(k, n, 16) && KF_JO_C4_(k, n, 20))

static inline __attribute__((always_inline)) void kf_jo_key(kf_jo *w, const char *k)
{
    size_t n = strlen(k);
    if (__builtin_constant_p(n) && n <= 24 && __builtin_constant_p(KF_JO_PLAIN_(k, n)) &&
        KF_JO_PLAIN_(k, n))
    {
        /* Inside an object, not indenting, with room: kf_jo_key_open_'s
         * work in line (the separator, the opening quote). */
        int d = w->depth;
        uint64_t bit = (uint64_t)1 << ((unsigned)(d - 1) & 63u);
        if (__builtin_expect(d > 0 && !KF_JO_INDENT(w->flags) && !w->want_value && !w->error &&
                             (w->isobj & bit) && w->len + n + 24 <= w->cap, 1)) {
            char *o = w->s + w->len;
            if (w->nonempty & bit) {
                *o++ = ',';
                if (!(w->flags & KF_JO_COMPACT))
                    *o++ = ' ';
            } else
                w->nonempty |= bit;
            *o++ = '"';
            memcpy(o, k, n);
            kf_jo_key_close_(w, o + n);
            return;
        }
        char *o = kf_jo_key_open_(w, n);
        if (o) {
            memcpy(o, k, n);
            kf_jo_key_close_(w, o + n);
        }
    } else
        kf_jo_keyn(w, k, n);
}

/* Values.  kf_jo_str(w, NULL) writes null (as json_pack's "s?" does);
 * kf_jo_strn takes `n` bytes that may include NUL (written \u0000). */
void kf_jo_str(kf_jo *w, const char *s);
void kf_jo_strn(kf_jo *w, const char *s, size_t n);
void kf_jo_int(kf_jo *w, long long v);
void kf_jo_real(kf_jo *w, double v);      /* NaN and infinities fail */
void kf_jo_bool(kf_jo *w, bool v);
void kf_jo_null(kf_jo *w);

/* Key and value in one call. */
static inline __attribute__((always_inline)) void kf_jo_kstr(kf_jo *w, const char *k, const char *s) { kf_jo_key(w, k); kf_jo_str(w, s); }
static inline __attribute__((always_inline)) void kf_jo_kint(kf_jo *w, const char *k, long long v) { kf_jo_key(w, k); kf_jo_int(w, v); }
static inline __attribute__((always_inline)) void kf_jo_kreal(kf_jo *w, const char *k, double v) { kf_jo_key(w, k); kf_jo_real(w, v); }
static inline __attribute__((always_inline)) void kf_jo_kbool(kf_jo *w, const char *k, bool v) { kf_jo_key(w, k); kf_jo_bool(w, v); }
static inline __attribute__((always_inline)) void kf_jo_knull(kf_jo *w, const char *k) { kf_jo_key(w, k); kf_jo_null(w); }

/* Fails the document with `why` (static text), as a misuse would;
 * "out of memory" is treated as the writer's own (kf_jo_undo keeps it). */
/* Members written before: n bytes of "key":value pairs joined by "," (a
 * whole object's inside, without its braces), made by a writer with flags
 * `made`, go into the innermost object as the next members.  Returns false
 * and writes nothing when this writer's text would differ from `made`'s
 * (another indent, spacing or ASCII flag) or no member can go here; the
 * caller writes them itself then (which fails as it would have). */
bool kf_jo_members(kf_jo *w, const char *s, size_t n, unsigned made);
void kf_jo_fail(kf_jo *w, const char *why);

/* A point to come back to.  A tree builder drops a member whose value could
 * not be made (json_array_append_new of NULL); a streaming writer does the
 * same by taking a mark before the member and, when writing it failed for
 * a reason other than memory, returning to the mark with kf_jo_undo, which
 * forgets the failure.  A failure from before the mark is never forgotten.
 * Returns true when it went back. */
typedef struct {
    size_t   len;
    int      depth;
    uint64_t nonempty, isobj;
    bool     want_value;
    bool     failed;      /* the writer had failed already: nothing to undo */
} kf_jo_mark;

kf_jo_mark kf_jo_save(const kf_jo *w);
bool kf_jo_undo(kf_jo *w, kf_jo_mark m);

/* True when s[0..n) is UTF-8 as jansson accepts it (no overlong forms,
 * no surrogates, nothing above U+10FFFF). */
bool kf_jo_utf8(const char *s, size_t n);

/* Appends v exactly as jansson prints a real ("%.17g", then ".0" added when
 * there is no '.' or 'e', the exponent without '+' or leading zeros) to
 * buf, which has room for at least 32 bytes; returns the length, or -1
 * for NaN and infinities.  Exposed for tests and for the text renderers. */
int kf_jo_format_real(char *buf, double v);

#endif
