/* fuzz_context.c — libFuzzer harness for the context rules: the input is
 * read as tokens (each byte picks a trigger word, a person word, a boundary,
 * a number or a plain word), every few tokens a reading; the rules must stay
 * inside the tokens, give every token an owner and end.  tests/fuzz/run.sh. */
#include "context.h"

#include <stdlib.h>
#include <string.h>

static const char *const words[] = {
    "no", "not", "never", "doesnt", "but", "and", "my", "i", "im", "it", "is", "this",
    "could", "be", "what", "if", "ever", "get", "in", "case", "worried", "scared", "that",
    "about", "used", "to", "history", "of", "eases", "when", "helps", "dad", "mum", "son",
    "dads", "wife", "partner", "he", "she", "his", "her", "carry", "normal", "sure", "or",
    "might", "rule", "out", "signs", "as", "a", "kid", "past", "the", "knot", "neck",
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    size_t n = size > 4096 ? 4096 : size;
    /* each word in KF_TOK_NORM bytes with zeros after it, as the reader
     * keeps them */
    static char norms[KF_ARRAY_LEN(words)][KF_TOK_NORM];
    for (size_t i = 0; !norms[0][0] && i < KF_ARRAY_LEN(words); i++)
        strcpy(norms[i], words[i]);
    token *v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i <= n; i++)
        v[i].norm = kf_tok_empty;
    kf_ctx_match *m = calloc(n / 3 + 1, sizeof *m);
    if (!v || !m) {
        free(v);
        free(m);
        return 0;
    }
    int nm = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = data[i];
        token *k = &v[i];
        k->word = -1;
        if (c < 16) {
            k->kind = c < 8 ? T_STOP : T_COMMA;
            k->question = c < 4;
        } else if (c < 32) {
            k->kind = T_NUM;
            k->num = c;
        } else {
            k->kind = T_WORD;
            k->norm = norms[c % KF_ARRAY_LEN(words)];
            k->word = 1;
            k->flags = c % 7 == 0 ? KF_WORD_NEGATE : c % 5 == 0 ? KF_WORD_STOP : 0;
            k->used = c % 11 == 0;
        }
        if (i % 3 == 2 && k->kind == T_WORD) {
            int first = (int)i - (c % 3);
            m[nm++] = (kf_ctx_match){ first < 0 ? 0 : first, (int)i, c % 7, 0, (c & 8) != 0 };
        }
    }
    kf_ctx_people p;
    if (kf_context_apply(v, (int)n, m, nm, &p) == KF_OK) {
        for (size_t i = 0; i < n; i++)
            if (p.who[i] < 0 || p.who[i] >= 100)
                abort();
        if (p.patient < 0 || p.patient >= 100)
            abort();
        kf_free(p.who);
    }
    free(v);
    free(m);
    return 0;
}
