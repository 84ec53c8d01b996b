/* test_kbcorrect.c — the spelling corrector (kf_kb_correct, kb.c) against
 * a plain reference: the deletion table keeps no letters of its own (a
 * hash and which word and letter), and must find what a search of every
 * lexicon word finds, the first word (lowest index) with that deletion
 * winning.  Typos of every kind are made from the real KB's words (kb/,
 * or $KNOTFINDER_KB): a letter dropped, doubled, swapped with the next,
 * changed; and words that are no typo of anything. */
#include "check.h"
#include "kb.h"

#include <stdlib.h>

static const kf_kb *kb;

/* One edit apart (a letter changed, added, dropped, or two side by side
 * swapped), by trying the edits: the same length with at most one letter
 * different or two neighbours swapped; one letter longer with some letter
 * dropped giving the other. */
static bool ref_one_edit(const char *a, size_t la, const char *b, size_t lb)
{
    if (la < lb) {
        const char *t = a;
        a = b;
        b = t;
        size_t n = la;
        la = lb;
        lb = n;
    }
    if (la == lb) {
        size_t diff = 0, first = 0;
        for (size_t i = 0; i < la; i++)
            if (a[i] != b[i] && !diff++)
                first = i;
        return diff <= 1 || (diff == 2 && first + 1 < la && a[first] == b[first + 1] &&
                             a[first + 1] == b[first]);
    }
    if (la != lb + 1)
        return false;
    for (size_t d = 0; d < la; d++)
        if (!memcmp(a, b, d) && !memcmp(a + d + 1, b + d, lb - d))
            return true;
    return false;
}

/* The first lexicon word of 4-40 letters that is s[0..len) with one
 * letter more, by looking at every one; -1 when none is. */
static int ref_first(const char *s, size_t len)
{
    for (int i = 0; i < kb->n_raw_words; i++) {
        const char *w = kb->raw_words[i];
        size_t n = strlen(w);
        if (n < 4 || n > 40 || n != len + 1)
            continue;
        for (size_t d = 0; d < n; d++)
            if (!memcmp(w, s, d) && !memcmp(w + d + 1, s + d, len - d))
                return i;
    }
    return -1;
}

static int ref_raw(const char *s, size_t len)
{
    for (int i = 0; i < kb->n_raw_words; i++)
        if (strlen(kb->raw_words[i]) == len && !memcmp(kb->raw_words[i], s, len))
            return i;
    return -1;
}

/* kf_kb_correct as specified, by search. */
static const char *ref_correct(const char *word, size_t len)
{
    if (len < 5 || len > 40)
        return NULL;
    int i = ref_first(word, len);
    if (i >= 0 && ref_one_edit(word, len, kb->raw_words[i], strlen(kb->raw_words[i])))
        return kb->raw_words[i];
    char del[48];
    for (size_t d = 0; d < len; d++) {
        memcpy(del, word, d);
        memcpy(del + d, word + d + 1, len - d - 1);
        i = ref_first(del, len - 1);
        if (i >= 0 && ref_one_edit(word, len, kb->raw_words[i], strlen(kb->raw_words[i])))
            return kb->raw_words[i];
        i = ref_raw(del, len - 1);
        if (i >= 0)
            return kb->raw_words[i];
    }
    return NULL;
}

static int compared, corrected;

static void same(const char *typo)
{
    size_t n = strlen(typo);
    const char *got = kf_kb_correct(kb, typo, n), *want = ref_correct(typo, n);
    compared++;
    corrected += want != NULL;
    if (got != want)
        fprintf(stderr, "%s: kf_kb_correct gives %s, the search %s\n", typo,
                got ? got : "(none)", want ? want : "(none)");
    CHECK(got == want);
}

static void test_typos(void)
{
    char t[64];
    /* every 7th word, so that the search's cost stays small */
    for (int i = 0; i < kb->n_raw_words; i += 7) {
        const char *w = kb->raw_words[i];
        size_t n = strlen(w);
        if (n < 4 || n > 30)
            continue;
        size_t k = (size_t)i % n;                   /* a letter of its own */
        memcpy(t, w, k);                            /* dropped */
        memcpy(t + k, w + k + 1, n - k);
        same(t);
        memcpy(t, w, k + 1);                        /* doubled */
        memcpy(t + k + 1, w + k, n - k + 1);
        same(t);
        memcpy(t, w, n + 1);                        /* changed */
        t[k] = t[k] == 'q' ? 'x' : 'q';
        same(t);
        if (k + 1 < n) {                            /* swapped with the next */
            memcpy(t, w, n + 1);
            t[k] = w[k + 1];
            t[k + 1] = w[k];
            same(t);
        }
    }
    static const char *const none[] = { "zzzzzzzz", "qwxqwxqw", "xylophonic", "abcdefghijklmnopqrstuvwxyzabcdefghijklmn",
                                        "abcdefghijklmnopqrstuvwxyzabcdefghijklmno", "tiny", "" };
    for (size_t i = 0; i < KF_ARRAY_LEN(none); i++)
        same(none[i]);
    /* the typos must mostly be put right, or the test compares nothing */
    CHECK(compared > 1000);
    CHECK(corrected * 2 > compared);
}

int main(void)
{
    const char *dir = getenv("KNOTFINDER_KB") ? getenv("KNOTFINDER_KB") : "kb";
    setenv("KNOTFINDER_KB_CACHE", "off", 1);
    kf_kb *k = NULL;
    if (kf_kb_load(dir, &k, NULL) != KF_OK) {
        fprintf(stderr, "cannot load %s\n", dir);
        return 1;
    }
    kb = k;
    RUN(test_typos);
    printf("%d typos compared, %d put right\n", compared, corrected);
    kf_kb_free(k);
    return CHECK_DONE();
}
