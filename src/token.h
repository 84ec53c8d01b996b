/*
 * token.h — the text reader's tokens, shared by text.c and context.c (not a
 * public interface: other modules speak kf_findings).
 */
#ifndef KF_TOKEN_H
#define KF_TOKEN_H

#include "kb.h"

#include <string.h>

typedef enum { T_WORD, T_NUM, T_COMMA, T_STOP } tok_kind;   /* STOP: end of sentence */

typedef struct {
    int      start, len;      /* bytes in the original text */
    int      word;            /* lexicon word id or -1 */
    int      num;             /* T_NUM value (the reader caps it below 10^9) */
    char     norm[32];        /* lower-case word, apostrophes removed (longer words cut) */
    unsigned char kind;       /* tok_kind (a byte: 1 MB of text is ~250k tokens) */
    unsigned char flags;      /* kf_word_flag of that word */
    bool     used;            /* consumed by a phrase */
    bool     side_ok;         /* a side word that really names a side */
    bool     question;        /* a T_STOP that is a '?' */
} token;

static inline bool tok_is(const token *k, const char *w)
{
    return k->kind == T_WORD && k->norm[0] == w[0] && !strcmp(k->norm, w);
}

#endif
