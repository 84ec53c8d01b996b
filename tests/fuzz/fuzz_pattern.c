/* fuzz_pattern.c — libFuzzer harness for the pattern language: the input's
 * first line is a pattern (compiled against a small vocabulary of its own
 * words, with two classes), the rest a text whose words are matched at
 * every position.  Compiling must refuse with a message or succeed, and
 * matching must stay inside the tokens and end.  tests/fuzz/run.sh. */
#include "pattern.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAXV 256
static char vocab[MAXV][24];
static int n_vocab;

static int word_id(const char *w)
{
    for (int i = 0; i < n_vocab; i++)
        if (!strcmp(vocab[i], w))
            return i;
    if (n_vocab == MAXV)
        return MAXV - 1;
    snprintf(vocab[n_vocab], sizeof vocab[0], "%s", w);
    return n_vocab++;
}

static int env_word(void *env, const char *raw, int ids[4])
{
    (void)env;
    ids[0] = word_id(raw);
    return 1;
}

static bool env_skip(void *env, int id)
{
    (void)env;
    return !strcmp(vocab[id], "the") || !strcmp(vocab[id], "a");
}

static const char *env_cls(void *env, const char *name)
{
    (void)env;
    if (!strcmp(name, "few")) return "a few, couple, #, <more>";
    if (!strcmp(name, "more")) return "the, several, many more, 2 or 3, 24 hours";
    if (!strcmp(name, "self")) return "x, <self>";
    return NULL;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    n_vocab = 0;
    const unsigned char *nl = memchr(data, '\n', size);
    size_t pl = nl ? (size_t)(nl - data) : size;
    char *pat = kf_strndup((const char *)data, pl);
    if (!pat)
        return 0;
    for (char *q = pat; *q; q++)
        if (!*q)
            *q = ' ';
    kf_pat_env env = { env_word, env_cls, env_skip, NULL };
    int *prog = NULL, len = 0;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_pattern_compile(pat, &env, &prog, &len, &err);
    if (e == KF_EPARSE && (!err.s || !*err.s))
        abort();                       /* a refusal must say why */
    if (e == KF_OK) {
        int firsts[600];
        if (kf_pattern_firsts(prog, firsts, 600) < 0)
            abort();
        (void)kf_pattern_max_len(prog);
        kf_ptok t[512];
        int n = 0;
        size_t i = nl ? pl + 1 : size;
        while (i < size && n < 512) {
            unsigned char c = data[i];
            if (c == '.' || c == ',' || isdigit(c)) {
                t[n++] = (kf_ptok){ -1, c == '.' ? KF_PT_STOP : c == ',' ? KF_PT_COMMA
                                                 : KF_PT_NUM, 0, 0, c == ',',
                                    isdigit(c) ? c - '0' : -1 };   /* one digit: its value */
                i++;
                continue;
            }
            if (!isalpha(c)) {
                i++;
                continue;
            }
            char w[24];
            size_t k = 0;
            while (i < size && isalpha(data[i]) && k < sizeof w - 1)
                w[k++] = (char)tolower(data[i++]);
            while (i < size && isalpha(data[i]))
                i++;
            w[k] = '\0';
            int id = word_id(w);
            t[n++] = (kf_ptok){ id, KF_PT_WORD, env_skip(NULL, id), (unsigned char)(k == 1),
                                (unsigned char)!strcmp(vocab[id], "and"), -1 };
        }
        for (int j = 0; j < n; j++) {
            kf_pmatch m;
            if (kf_pattern_match(prog, t, n, j, &m)) {
                if (m.first < 0 || m.last >= n || m.first > m.last || m.n > KF_PAT_MARKS)
                    abort();
                for (int k = 0; k < m.n; k++)
                    if (m.at[k] < 0 || m.at[k] >= n || t[m.at[k]].used)
                        abort();
            }
        }
    }
    kf_free(prog);
    kf_buf_free(&err);
    kf_free(pat);
    return 0;
}
