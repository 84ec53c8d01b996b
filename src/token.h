/*
 * token.h — the text reader's tokens, shared by text.c and context.c (not a
 * public interface: other modules speak kf_findings).
 */
#ifndef KF_TOKEN_H
#define KF_TOKEN_H

#include "kb.h"

#include <string.h>

typedef enum { T_WORD, T_NUM, T_COMMA, T_STOP } tok_kind;   /* STOP: end of sentence */

/* The longest norm, its NUL counted: longer words are cut. */
#define KF_TOK_NORM 32

/* The norm of every token that is no word: KF_TOK_NORM zeros. */
extern const char kf_tok_empty[KF_TOK_NORM];

typedef struct {
    int      start, len;      /* bytes in the original text */
    int      word;            /* lexicon word id or -1 */
    int      num;             /* T_NUM value (the reader caps it below 10^9) */
    /* The lower-case word, apostrophes removed (longer words cut), in
     * KF_TOK_NORM bytes with zeros after it; kf_tok_empty for a token that
     * is no word.  The reader keeps each distinct word once (text.c), so a
     * token is 32 bytes and not 56: 1 MB of text is ~250k tokens, and each
     * pass over them reads 6 MB less. */
    const char *norm;
    unsigned char kind;       /* tok_kind (a byte: 1 MB of text is ~250k tokens) */
    unsigned char flags;      /* kf_word_flag of that word */
    bool     used;            /* consumed by a phrase */
    bool     side_ok;         /* a side word that really names a side */
    bool     question;        /* a T_STOP that is a '?' */
    bool     plus;            /* a T_NUM with a '+' right after it ("70+") */
    /* A side said by reference ("that side", "the same side", "the other
     * side"): the kf_side it stands for, the side named before it (or its
     * opposite); 0 for every other token.  side_ok is set with it. */
    unsigned char ref_side;
} token;

/* A word's first two letters as a number (a-z, then a-z or anything
 * else), -1 when it does not start with a-z. */
static inline int tok_pair(const char *w)
{
    unsigned a = (unsigned)(unsigned char)w[0] - 'a', b = (unsigned)(unsigned char)w[1] - 'a';
    return a < 26 ? (int)(a * 27 + (b < 26 ? b + 1 : 0)) : -1;
}

/* tok_may_be_in(k, list): false when the word k cannot be one of the
 * strings of `list` (a NULL-ended array), as none starts with its first
 * two letters; true otherwise (or when k is no word: the caller's own test
 * says no then).  tok_may_be_in_n(k, base, stride, n) is the same for the
 * n strings at base, base + stride bytes, ... (a field of a table).  Each
 * place that asks keeps the letters of its list as bits, worked out at its
 * first use by whichever thread comes first (bits are only ever OR-ed in,
 * atomically); a place handed another list than the one its bits are of
 * says true. */
typedef struct {
    const void *list;
    int state;                       /* 0 not worked out, 1 bits of `list`, 2 no test */
    int letters;                     /* 2, or 3 (tok_may_be_in3_n) */
    unsigned long long *bits;        /* a bit per letters' number */
} tok_filter;
#define TOK_BITS2 ((27 * 27 + 63) / 64)
#define TOK_BITS3 ((27 * 27 * 27 + 63) / 64)

/* The first three letters as a number, as tok_pair does two (-1 when the
 * word does not start with a-z). */
static inline int tok_triple(const char *w)
{
    int p = tok_pair(w);
    if (p < 0)
        return -1;
    unsigned c = w[1] ? (unsigned)(unsigned char)w[2] - 'a' : 26;
    return p * 27 + (c < 26 ? (int)c + 1 : 0);
}

static inline int tok_letters(const char *w, int letters)
{
    return letters == 3 ? tok_triple(w) : tok_pair(w);
}

__attribute__((noinline, unused)) static void tok_filter_init(tok_filter *f, const void *list,
                                                               size_t stride, int n)
{
    int state = 1;
    for (int i = 0; n < 0 || i < n; i++) {
        const char *w = *(const char *const *)((const char *)list + (size_t)i * stride);
        if (!w)
            break;
        int p = tok_letters(w, f->letters);
        if (p < 0)
            state = 2;
        else
            __atomic_fetch_or(&f->bits[p / 64], 1ULL << (p % 64), __ATOMIC_RELAXED);
    }
    const void *none = NULL;
    if (!__atomic_compare_exchange_n(&f->list, &none, list, false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED) && none != list)
        state = 2;
    __atomic_store_n(&f->state, state, __ATOMIC_RELEASE);
}

__attribute__((unused)) static inline bool tok_filter_may(tok_filter *f, const token *k,
                                                          const void *list, size_t stride, int n)
{
    if (k->kind != T_WORD)
        return true;
    int state = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
    if (!state) {
        tok_filter_init(f, list, stride, n);
        state = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
    }
    int p = tok_letters(k->norm, f->letters);
    return state != 1 || p < 0 || __atomic_load_n(&f->list, __ATOMIC_RELAXED) != list ||
           (__atomic_load_n(&f->bits[p / 64], __ATOMIC_RELAXED) >> (p % 64) & 1);
}

#define tok_may_be_in(k, list) __extension__({ \
        static unsigned long long tok_bits_[TOK_BITS2]; \
        static tok_filter tok_filter_ = { .letters = 2, .bits = tok_bits_ }; \
        tok_filter_may(&tok_filter_, (k), (list), sizeof(const char *), -1); })
#define tok_may_be_in_n(k, base, stride, n) __extension__({ \
        static unsigned long long tok_bits_[TOK_BITS2]; \
        static tok_filter tok_filter_ = { .letters = 2, .bits = tok_bits_ }; \
        tok_filter_may(&tok_filter_, (k), (base), (stride), (n)); })
/* The same by the first three letters (a stronger test, 2.4 KB a place). */
#define tok_may_be_in3_n(k, base, stride, n) __extension__({ \
        static unsigned long long tok_bits_[TOK_BITS3]; \
        static tok_filter tok_filter_ = { .letters = 3, .bits = tok_bits_ }; \
        tok_filter_may(&tok_filter_, (k), (base), (stride), (n)); })

static inline bool tok_is(const token *k, const char *w)
{
    return k->kind == T_WORD && k->norm[0] == w[0] && !strcmp(k->norm, w);
}

#endif
