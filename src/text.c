/*
 * text.c — words -> findings: the pipeline that calls the pattern matcher
 * (pattern.c) and the context rules (context.c).
 *
 * Steps: (1) split the bytes into tokens (words, numbers, clause
 * boundaries), folding UTF-8 punctuation and skipping invalid bytes;
 * (2) normalise each word: known misspelling, else one-edit correction
 * against the lexicon, then Snowball stem -> lexicon word id; (3) match
 * the patterns of concepts said together in one clause ("A & B"), then
 * lexicon phrases and patterns longest-first over the words that are
 * neither stop nor side words; (4) put each reading in context: negated,
 * hypothetical, historical, a condition, or about someone else (context.c);
 * (5) attach the nearest side word of the sentence; (6) read numbers: age,
 * sex, weeks pregnant, how long, and the dominant hand, for the person in
 * pain.  Every step is linear in the length of the text.
 */
#include "text.h"

#include "context.h"
#include "pattern.h"
#include "token.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

const char kf_tok_empty[KF_TOK_NORM];

/* The distinct words of a text, each kept once in KF_TOK_NORM bytes (the
 * word, then zeros: what kf_kb_lex_padded reads), in blocks that never
 * move, found again by a hash table of pointers into them. */
#define WORDS_BLOCK 1024                  /* words a block */
typedef struct words_block {
    struct words_block *next;
    char w[WORDS_BLOCK][KF_TOK_NORM];
} words_block;

typedef struct {
    words_block *blocks;                 /* the newest first */
    int          in_block;               /* words in the newest */
    const char **slot;                   /* the table: NULL or a word */
    size_t       mask, n;                /* slots - 1, words */
} word_set;

static uint64_t words_hash(const char *w)
{
    uint64_t a[KF_TOK_NORM / 8];
    memcpy(a, w, sizeof a);
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t k = 0; k < KF_TOK_NORM / 8 && a[k]; k++)
        h = (h ^ a[k]) * 0xFF51AFD7ED558CCDull, h ^= h >> 29;
    return h;
}

/* The kept copy of `w` (KF_TOK_NORM bytes, zeros after the word), or NULL
 * when out of memory. */
static const char *words_intern(word_set *ws, const char *w)
{
    if (ws->n * 2 >= ws->mask) {         /* at most half full */
        /* 256 slots to start (an article has 100-250 distinct words):
         * a larger first table is zeroed for nothing on most texts */
        size_t cap = ws->mask ? (ws->mask + 1) * 2 : 256;
        const char **slot = kf_calloc(cap, sizeof *slot);
        if (!slot)
            return NULL;
        for (size_t i = 0; ws->mask && i <= ws->mask; i++)
            if (ws->slot[i]) {
                size_t j = words_hash(ws->slot[i]) & (cap - 1);
                while (slot[j])
                    j = (j + 1) & (cap - 1);
                slot[j] = ws->slot[i];
            }
        kf_free(ws->slot);
        ws->slot = slot;
        ws->mask = cap - 1;
    }
    size_t j = words_hash(w) & ws->mask;
    for (; ws->slot[j]; j = (j + 1) & ws->mask)
        if (!memcmp(ws->slot[j], w, KF_TOK_NORM))
            return ws->slot[j];
    if (!ws->blocks || ws->in_block == WORDS_BLOCK) {
        words_block *b = kf_malloc(sizeof *b);
        if (!b)
            return NULL;
        b->next = ws->blocks;
        ws->blocks = b;
        ws->in_block = 0;
    }
    char *k = ws->blocks->w[ws->in_block++];
    memcpy(k, w, KF_TOK_NORM);
    ws->slot[j] = k;
    ws->n++;
    return k;
}

static void words_free(word_set *ws)
{
    while (ws->blocks) {
        words_block *b = ws->blocks;
        ws->blocks = b->next;
        kf_free(b);
    }
    kf_free(ws->slot);
}

typedef struct {
    token *v;
    int n, cap;
    bool oom;
    word_set words;               /* the norms of the tokens */
    char  wbuf[KF_TOK_NORM];      /* the word being read, zeros after it */
} toks;

/* The slow half of push: a bigger array (false when there is no memory). */
static __attribute__((noinline)) bool grow_toks(toks *t)
{
    int cap = t->cap ? t->cap * 2 : 256;
    token *v = kf_realloc(t->v, (size_t)cap * sizeof *v);
    if (!v) {
        t->oom = true;
        return false;
    }
    t->v = v;
    t->cap = cap;
    return true;
}

static inline token *push(toks *t)
{
    if (__builtin_expect(t->n == t->cap, 0) && !grow_toks(t))
        return NULL;
    token *k = &t->v[t->n++];
    memset(k, 0, sizeof *k);
    k->norm = kf_tok_empty;
    k->word = -1;
    return k;
}

/* Decodes one UTF-8 sequence at s[i]; returns its length (>=1) and the code
 * point in *cp, or -1 in *cp for an invalid byte. */
static int utf8(const unsigned char *s, size_t n, size_t i, long *cp)
{
    unsigned char c = s[i];
    int len;
    long v;
    if (c < 0x80) { *cp = c; return 1; }
    else if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; }
    else { *cp = -1; return 1; }
    if (i + (size_t)len > n) { *cp = -1; return 1; }
    for (int k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) { *cp = -1; return 1; }
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    *cp = v;
    return len;
}

/* Maps a code point to the ASCII character it acts as, or 0 (separator). */
static char fold(long cp)
{
    if (cp < 0)
        return ' ';
    if (cp < 0x80)
        return (char)cp;
    switch (cp) {
    case 0x2018: case 0x2019: case 0x02BC: case 0x2032: return '\'';
    case 0x201C: case 0x201D: return '"';
    case 0x2013: case 0x2014: return ',';      /* a dash sets off a clause */
    case 0x2010: case 0x2011: return '-';
    case 0x2026: return '.';
    case 0x00A0: return ' ';
    }
    return ' ';
}

/* Normalises the word token just read, the last of `t`: spelling,
 * correction, stemming, lexicon id.  A misspelling fixed to several words
 * ("shoulderblade" -> "shoulder blade") becomes several tokens sharing the
 * original span.  Called as each word ends, so the words are normalised as
 * they are read, in the one token array. */
static void normalise_last(const kf_kb *kb, toks *t, size_t len)
{
    token *last = &t->v[t->n - 1];      /* len: strlen(wbuf), as the tokenizer counted */
    last->norm = words_intern(&t->words, t->wbuf);
    if (!last->norm) {
        last->norm = kf_tok_empty;
        t->oom = true;
        return;
    }
    const char *fix;
    bool raw;                /* a word of the lexicon as written */
    int raw_id = kf_kb_lex_padded(kb, last->norm, len, &fix, &raw);   /* norm: zeros after */
    char stem[64];
    int known = -1;          /* the word's own lexicon id, when it has one */
    if (!fix && (known = raw_id) < 0) {
        size_t sl = kf_stem(last->norm, len, stem, sizeof stem);
        known = kf_kb_word(kb, stem, sl);
        /* a trigger word of context.c is kept as written ("signs of") */
        if (known < 0 && !raw && !kf_context_word(last->norm, len))
            fix = kf_kb_correct(kb, last->norm, len);
    }
    if (!fix) {
        /* the common case: one word, already stemmed */
        last->word = known;
        last->flags = known >= 0 ? kb->word_flags[known] : 0;
        return;
    }
    token k = *last;
    t->n--;                  /* the fixed words take its place */
    const char *p = fix;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *st = p;
        while (*p && isalnum((unsigned char)*p))
            p++;
        if (p == st)
            break;
        token *d = push(t);
        if (!d)
            break;
        *d = k;
        size_t wl = (size_t)(p - st) < KF_TOK_NORM - 1 ? (size_t)(p - st) : KF_TOK_NORM - 1;
        char w[KF_TOK_NORM] = { 0 };
        memcpy(w, st, wl);
        d->norm = words_intern(&t->words, w);
        if (!d->norm) {
            d->norm = kf_tok_empty;
            t->oom = true;
            break;
        }
        /* a fix is lexicon words: most have their stem's id already */
        d->word = kf_kb_raw_word(kb, d->norm, wl);
        if (d->word < 0) {
            size_t sl = kf_stem(d->norm, wl, stem, sizeof stem);
            d->word = kf_kb_word(kb, stem, sl);
        }
        d->flags = d->word >= 0 ? kb->word_flags[d->word] : 0;
    }
}

/* The <ctype.h> tests for the ASCII the tokenizer sees (fold() maps every
 * other character to ASCII), without a call or the locale. */
static inline bool ascii_alpha(char c)
{
    return (unsigned char)((c | 32) - 'a') < 26;
}

static inline bool ascii_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 32) : c;
}


/* Is the bracket at s[i] ('(' or ')') one of a pair around at most two
 * words, right after a word ("needles (speed)")?  Digits in it ("Dad (70)")
 * and any sentence mark keep the brackets as they were. */
static bool short_aside(const unsigned char *s, size_t n, size_t i)
{
    size_t open = i, close = i;
    if (s[i] == ')') {
        while (open > 0 && s[open] != '(' && i - open < 40)
            open--;
        if (s[open] != '(')
            return false;
    } else {
        while (close < n && s[close] != ')' && close - i < 40)
            close++;
        if (close >= n || s[close] != ')')
            return false;
    }
    if (open == 0 || !ascii_alpha((char)s[open - 1]))
        if (!(open >= 2 && s[open - 1] == ' ' && ascii_alpha((char)s[open - 2])))
            return false;
    int words = 0;
    bool in = false;
    for (size_t j = open + 1; j < close; j++) {
        char c = (char)s[j];
        if (ascii_alpha(c) || c == '\'' || c == '-') {
            if (!in)
                words++;
            in = true;
        } else if (c == ' ') {
            in = false;
        } else {
            return false;
        }
    }
    return words >= 1 && words <= 2;
}

static void tokenize(const kf_kb *kb, const char *text, size_t n, toks *t)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    token *cur = NULL;      /* the word being built */
    size_t wl = 0;
    while (i < n) {
        long cp;
        int l = 1;
        char c = (char)s[i];
        if (s[i] >= 0x80) {      /* ASCII is itself; the rest is decoded and folded */
            l = utf8(s, n, i, &cp);
            c = fold(cp);
        }
        if (c == ' ') {          /* the commonest byte: it ends a word, and is no boundary */
            if (cur && cur->kind == T_WORD) {
                normalise_last(kb, t, wl);
                if (t->oom)
                    return;
            }
            cur = NULL;
            i += (size_t)l;
            continue;
        }
        if (ascii_alpha(c) || (c == '\'' && cur && cur->kind == T_WORD)) {
            if (!cur || cur->kind != T_WORD) {
                cur = push(t);
                if (!cur)
                    return;
                cur->kind = T_WORD;
                cur->start = (int)i;
                wl = 0;
                memset(t->wbuf, 0, sizeof t->wbuf);
            }
            if (c != '\'' && wl < KF_TOK_NORM - 1)
                t->wbuf[wl++] = ascii_lower(c);
            i += (size_t)l;
            /* the rest of the word while it is ASCII, at once */
            for (; i < n; i++) {
                unsigned char lc = s[i] | 32;          /* a letter's lower case */
                if ((unsigned char)(lc - 'a') < 26) {
                    if (wl < KF_TOK_NORM - 1)
                        t->wbuf[wl++] = (char)lc;
                } else if (s[i] != '\'')
                    break;
            }
            cur->len = (int)i - cur->start;
            continue;
        } else if (ascii_digit(c)) {
            if (cur && cur->kind == T_WORD) {
                normalise_last(kb, t, wl);
                cur = NULL;
            }
            if (!cur || cur->kind != T_NUM) {
                cur = push(t);
                if (!cur)
                    return;
                cur->kind = T_NUM;
                cur->start = (int)i;
                cur->num = 0;
            }
            if (cur->num < 100000000)
                cur->num = cur->num * 10 + (c - '0');
            cur->len = (int)(i + 1) - cur->start;
        } else {
            if (cur && cur->kind == T_WORD)
                normalise_last(kb, t, wl);
            cur = NULL;
            tok_kind k = T_WORD;
            bool boundary = false;
            /* "70+": the number is a floor (an age said as "at least") */
            if (c == '+' && t->n && t->v[t->n - 1].kind == T_NUM &&
                t->v[t->n - 1].start + t->v[t->n - 1].len == (int)i)
                t->v[t->n - 1].plus = true;
            if (c == '.' || c == '!' || c == '?' || c == ';' || c == '\n' || c == '(' ||
                c == ')') {
                k = T_STOP;
                boundary = true;
                /* A word or two in brackets naming what was just said ("I
                 * use needles (speed)", "my pills (warfarin)") is an aside of
                 * the same sentence, set off as a comma sets it off. */
                if (short_aside(s, n, i))
                    k = T_COMMA;
            } else if (c == ',' || c == ':' || c == '"' ||
                       /* " - " between words sets off a clause, as a dash does */
                       (c == '-' && i > 0 && i + 1 < n && s[i - 1] == ' ' && s[i + 1] == ' ')) {
                k = T_COMMA;
                boundary = true;
            }
            if (boundary && t->n && t->v[t->n - 1].kind == k) {
                t->v[t->n - 1].question |= c == '?';
            } else if (boundary) {
                token *b = push(t);
                if (!b)
                    return;
                b->kind = k;
                b->start = (int)i;
                b->len = l;
                b->question = c == '?';
            }
        }
        i += (size_t)l;
        if (t->oom)
            return;
    }
    if (cur && cur->kind == T_WORD)
        normalise_last(kb, t, wl);
}

static const struct { const char *w; int v; } number_words[] = {
    { "one", 1 }, { "two", 2 }, { "three", 3 }, { "four", 4 }, { "five", 5 }, { "six", 6 },
    { "seven", 7 }, { "eight", 8 }, { "nine", 9 }, { "ten", 10 }, { "eleven", 11 },
    { "twelve", 12 }, { "fifteen", 15 }, { "twenty", 20 }, { "thirty", 30 },
    { "couple", 2 }, { "few", 3 }, { "several", 3 }, { "many", 5 },
};

static int unit_days(const char *w)
{
    if (!strncmp(w, "day", 3) || !strcmp(w, "nights") || !strcmp(w, "night")) return 1;
    if (!strncmp(w, "week", 4) || !strcmp(w, "wk") || !strcmp(w, "wks")) return 7;
    if (!strncmp(w, "month", 5) || !strcmp(w, "mos") || !strcmp(w, "mo")) return 30;
    if (!strncmp(w, "year", 4) || !strcmp(w, "yrs") || !strcmp(w, "yr")) return 365;
    return 0;
}

#define is_word tok_is


/* Does a number word start with c (one of "otfsencm")? */
static inline bool number_letter(char c)
{
    switch (c) {
    case 'o': case 't': case 'f': case 's': case 'e': case 'n': case 'c': case 'm':
        return true;
    }
    return false;
}

/* Value of a number token or number word, or -1. */
static long num_value(const token *k)
{
    if (k->kind == T_NUM)
        return k->num;
    /* number words are 3 to 7 letters and start with one of "otfsencm" */
    if (k->kind != T_WORD || !k->norm[0] || !k->norm[1] || !k->norm[2] ||
        !number_letter(k->norm[0]) ||
        !tok_may_be_in3_n(k, &number_words[0].w, sizeof number_words[0],
                          (int)KF_ARRAY_LEN(number_words)) ||
        memchr(k->norm, '\0', 8) == NULL)
        return -1;
    for (size_t i = 0; i < KF_ARRAY_LEN(number_words); i++)
        if (k->norm[0] == number_words[i].w[0] && k->norm[1] == number_words[i].w[1] &&
            !strcmp(k->norm, number_words[i].w))
            return number_words[i].v;
    return -1;
}

static bool is_any_word(const token *k, const char *const *list);

/* Is "left" at v[i] followed by a preposition of place and a body part
 * ("left by my shoulder blade", "left under the blade", "left next to my
 * spine")?  A bounded look ahead. */
static bool left_before_place(const token *v, int n, int i)
{
    static const char *const prep[] = {
        "by", "beside", "near", "next", "under", "underneath", "below", "above", "behind",
        "along", "inside", "at", "in", "on", "around", "between", "against", "close", NULL
    };
    static const char *const det[] = {
        "to", "my", "the", "his", "her", "their", "your", "of", "upper", "lower", "top",
        "bottom", "inner", "inside", "edge", NULL
    };
    static const char *const body[] = {
        "blade", "blades", "shoulder", "shoulders", "spine", "neck", "rib", "ribs",
        "ribcage", "collarbone", "armpit", "chest", "hip", "hips", "scapula", "breastbone",
        "sternum", "waist", "buttock", "ear", "jaw", "elbow", "arm", "skull",
        "backbone", "vertebra", "vertebrae", "trap", "traps", "spinal", "nipple", "breast",
        "kidney", "bra", "strap", NULL
    };
    if (i + 2 >= n || !is_any_word(&v[i + 1], prep))
        return false;
    for (int j = i + 2; j < n && j <= i + 5 && v[j].kind == T_WORD; j++) {
        if (is_any_word(&v[j], body))
            return true;
        if (!is_any_word(&v[j], det))
            return false;
    }
    return false;
}

/* Is the side word at v[i] really a side ("my right shoulder"), not "right
 * now" or "she left"? */
static bool side_word_ok(const token *v, int n, int i)
{
    static const char *const not_after[] = {
        "now", "away", "after", "before", "then", "there", "here", "when", "thing", "time",
        "way", "work", "home", "me", "it", "over", "out", "off", "alone", "behind", "so",
        "to", "for", "answer", "track", "choice", "idea", "direction", "next", "by", "beside",
        "above", "below", "under", "underneath", "between", "in", "on", "at", "through",
        "around", "across", "along", "where", "up", "down", "into", "near", "inside", NULL
    };
    static const char *const not_before[] = {
        "all", "thats", "is", "was", "you", "youre", "be", "just", "got", "had", "have",
        "nothing", "not", "were", "are", "am", "im", "get", "done", "do", NULL
    };
    /* "just right of my spine", "left of the blade": a side, whatever comes
     * before it ("of course" is none) */
    if (i + 2 < n && is_word(&v[i + 1], "of") && v[i + 2].kind == T_WORD &&
        !is_word(&v[i + 2], "course") && !is_word(&v[i + 2], "way"))
        return true;
    /* "left by my shoulder blade", "left under the blade", "just left beside
     * my spine": "left" before a place word said after a preposition is the
     * side, not the verb ("she left by the back door" names no body part).
     * ("Right by", "right under" stay the intensifier: "right under my
     * shoulder blade" is directly under it.) */
    if (!strcmp(v[i].norm, "left") && left_before_place(v, n, i))
        return true;
    if (i + 1 < n && v[i + 1].kind == T_WORD)
        for (int k = 0; not_after[k]; k++)
            if (v[i + 1].norm[0] == not_after[k][0] && !strcmp(v[i + 1].norm, not_after[k]))
                return false;
    if (i > 0 && v[i - 1].kind == T_WORD)
        for (int k = 0; not_before[k]; k++)
            if (v[i - 1].norm[0] == not_before[k][0] && !strcmp(v[i - 1].norm, not_before[k]))
                return false;
    /* "left" at the end of a sentence is usually the verb ("it never left"),
     * unless a determiner makes it the side ("the paper is on my left",
     * "turned to the left"). */
    if (!strcmp(v[i].norm, "left") && (i + 1 >= n || v[i + 1].kind != T_WORD)) {
        static const char *const det[] = { "the", "my", "his", "your", "their", "our", NULL };
        bool side = false;
        for (int k = 0; det[k] && i > 0 && v[i - 1].kind == T_WORD; k++)
            side |= !strcmp(v[i - 1].norm, det[k]);
        if (!side)
            return false;
    }
    return true;
}

typedef struct {
    int phrase;
    int first, last;          /* token indexes */
    bool apart;               /* an order-free ("&") pattern: its words may be apart */
} match;

typedef struct {
    match *v;
    int    n, cap;
    bool   oom;
} matches;

static bool add_match(matches *ms, int phrase, int first, int last, bool apart)
{
    if (ms->n == ms->cap) {
        int cap = ms->cap ? ms->cap * 2 : 32;
        match *v = kf_realloc(ms->v, (size_t)cap * sizeof *v);
        if (!v) {
            ms->oom = true;
            return false;
        }
        ms->v = v;
        ms->cap = cap;
    }
    ms->v[ms->n++] = (match){ phrase, first, last, apart };
    return true;
}

#define SKIP_FLAGS (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)

static bool skippable(const token *k)
{
    return k->kind == T_WORD && k->word >= 0 && (k->flags & SKIP_FLAGS) &&
           !(k->flags & KF_WORD_NEGATE);
}

/* The longest plain phrase at token i (a word): the words from i on, past
 * the skippable ones after the first, up to a boundary, a number or a word
 * already read, looked up one more word at a time in the KB's sequence
 * index until no phrase starts so.  Returns the phrase (the first of its
 * words, as the longest-first order picks) with its length in *len and its
 * last token in *last, or -1. */
static int longest_phrase(const kf_kb *kb, const kf_ptok *t, int n, int i, int *len, int *last)
{
    int ids[2 * 32 + 8];
    int best = -1, k = 0;
    for (int j = i; j < n && k < (int)KF_ARRAY_LEN(ids); j++) {
        if (t[j].kind != KF_PT_WORD || t[j].used || t[j].word < 0)
            break;              /* a boundary or number breaks a phrase */
        if (k > 0 && t[j].skip)
            continue;
        ids[k++] = t[j].word;
        int ph = k == 1 && kb->phrase_seq1 ? kb->phrase_seq1[ids[0]]
                                           : kf_kb_phrase_seq(kb, ids, k);
        if (ph == -1)
            break;
        if (ph >= 0) {
            best = ph;
            *len = k;
            *last = j;
        }
    }
    return best;
}

/* The words of the sentence being read, for kf_pattern_may_match: most
 * patterns need a word the sentence does not have, and are not tried.  A
 * bit per word id (and bit kb->n_words for a number) is set for the
 * tokens of the sentence at hand (or it and a few before it), which ends
 * before `to`; `i` only moves forward within a pass. */
typedef struct {
    unsigned long long *bits;
    int to, num;
    /* What kf_pattern_may_match said of each phrase for the bits as they
     * are (the same bits, the same answer): in a long sentence a pattern is
     * asked at every word it may start with.  may_gen[ph] is the `gen` its
     * may[ph] was worked out for; both NULL for a short text (not worth
     * the arrays) or when out of memory (then every answer is worked out). */
    unsigned gen;                 /* bumped whenever bits change */
    unsigned *may_gen;
    unsigned char *may;
} sentence;

/* Texts of fewer tokens ask each pattern too few times to keep answers. */
#define MAY_MEMO_TOKENS 2048

/* kf_pattern_may_match of phrase ph (a pattern) for the sentence's bits. */
static inline bool sentence_may(sentence *s, const kf_kb *kb, int ph)
{
    if (!s->may_gen)
        return kf_pattern_may_match(kb->phrases[ph].prog, s->bits, s->num);
    if (s->may_gen[ph] != s->gen) {
        s->may_gen[ph] = s->gen;
        s->may[ph] = kf_pattern_may_match(kb->phrases[ph].prog, s->bits, s->num);
    }
    return s->may[ph];
}

static int bit_of(const kf_ptok *k, int num)
{
    return k->kind == KF_PT_NUM ? num : k->kind == KF_PT_WORD ? k->word : -1;
}

static void sentence_clear(sentence *s)
{
    memset(s->bits, 0, ((size_t)s->num / 64 + 1) * sizeof *s->bits);
    s->to = 0;
    s->gen++;
}

static void sentence_build(sentence *s, const kf_ptok *t, int n, int i)
{
    int prev = s->to;
    sentence_clear(s);
    int j = i;
    while (j > prev && t[j - 1].kind != KF_PT_STOP)
        j--;
    for (; j < n && t[j].kind != KF_PT_STOP; j++) {
        int b = bit_of(&t[j], s->num);
        if (b >= 0)
            s->bits[b / 64] |= 1ULL << (b % 64);
    }
    s->to = j > i ? j : i + 1;
}

static inline void sentence_at(sentence *s, const kf_ptok *t, int n, int i)
{
    if (i >= s->to)
        sentence_build(s, t, n, i);
}

static kf_side side_of(const token *k)
{
    if (k->ref_side)
        return (kf_side)k->ref_side;
    if (k->flags & KF_WORD_BOTH)
        return KF_SIDE_BOTH;
    if (k->flags & KF_WORD_LEFT)
        return KF_SIDE_LEFT;
    if (k->flags & KF_WORD_RIGHT)
        return KF_SIDE_RIGHT;
    return KF_SIDE_NONE;
}

/* The side named nearest to tokens [first,last] within the sentence (a
 * bounded look either way). */
static kf_side find_side(const token *v, int n, int first, int last)
{
    int best = -1, bestd = 1 << 30;
    for (int j = first; j <= last; j++)      /* "my left shoulder blade" */
        if (v[j].side_ok) {
            best = j;
            bestd = 0;
            break;
        }
    for (int j = first - 1, d = 1; best < 0 && j >= 0 && d <= 8; j--, d++) {
        if (v[j].kind == T_STOP)
            break;
        if (v[j].side_ok) {
            best = j;
            bestd = d;
            break;
        }
    }
    for (int j = last + 1, d = 1; j < n && d <= 5 && d < bestd; j++, d++) {
        if (v[j].kind == T_STOP)
            break;
        if (v[j].side_ok) {
            best = j;
            break;
        }
    }
    if (best < 0)
        return KF_SIDE_NONE;
    /* "left and right" / "left or right" mean both */
    if (best + 2 < n && v[best + 2].side_ok && side_of(&v[best + 2]) != side_of(&v[best]) &&
        (is_word(&v[best + 1], "and") || is_word(&v[best + 1], "or")))
        return KF_SIDE_BOTH;
    return side_of(&v[best]);
}

/* A side said by reference: "that side", "this side", "the same side" are
 * the side named last before them (`named`), "the other side", "the
 * opposite side" the other one ("I carry my bag on my right shoulder and the
 * knot is on that side"; "... the knot is on the other side" is the left).
 * Sets v[i]'s ref_side and side_ok when v[i] is such a "side". */
static void side_by_reference(token *v, int i, kf_side named)
{
    static const char *const same[] = { "that", "this", "same", NULL };
    static const char *const other[] = { "other", "opposite", NULL };
    if (!tok_is(&v[i], "side") || v[i - 1].kind != T_WORD ||
        (named != KF_SIDE_LEFT && named != KF_SIDE_RIGHT))
        return;
    kf_side at = KF_SIDE_NONE;
    if (is_any_word(&v[i - 1], same))
        at = named;
    else if (is_any_word(&v[i - 1], other))
        at = named == KF_SIDE_LEFT ? KF_SIDE_RIGHT : KF_SIDE_LEFT;
    if (at != KF_SIDE_NONE) {
        v[i].ref_side = (unsigned char)at;
        v[i].side_ok = true;
    }
}

/* A pain said to be on a side apart from its place ("I have a knot under my
 * shoulder blade. ... the knot is on that side", "it's on the right"): the
 * side of the statement ending at the side word v[j] -- "on" (a determiner
 * or two) before it, then a verb of being or hurting with the pain or "it"
 * as its subject ("the knot is", "it's", "the pain sits", "it hurts",
 * "it's all"), about the person in pain (who NULL: anyone), or with the
 * place read over tokens ending at `place` as its subject -- or
 * KF_SIDE_NONE.  A bounded look back. */
static kf_side pain_side_said(const token *v, int j, const int *who, int patient, int place)
{
    static const char *const det[] = { "the", "my", "that", "this", "same", "other",
                                       "opposite", "his", "her", NULL };
    static const char *const adv[] = { "all", "only", "mostly", "always", "just", "also",
                                       "more", "mainly", "definitely", "usually", "worse",
                                       "worst", "much", "too", "still", "right", "over", NULL };
    static const char *const verb[] = { "is", "s", "sits", "seems", "feels", "was", "stays",
                                        "hurts", "hurt", "aches", "ache", NULL };
    static const char *const fused[] = { "its", "knots", "pains", "itll", NULL };
    static const char *const subject[] = { "it", "knot", "knots", "pain", "ache", "spot", "lump",
                                           "tightness", "soreness", "tension", "one", "bit",
                                           NULL };
    int k = j - 1;
    for (int d = 0; d < 2 && k >= 0 && is_any_word(&v[k], det); d++)
        k--;
    if (k < 1 || !tok_is(&v[k], "on"))
        return KF_SIDE_NONE;
    k--;
    for (int d = 0; d < 2 && k >= 0 && is_any_word(&v[k], adv); d++)
        k--;
    if (k < 0 || (who && who[k] != patient))
        return KF_SIDE_NONE;
    /* "it isn't on that side", "the knot's not on the left": the other one */
    static const char *const denied[] = { "isnt", "wasnt", "aint", NULL };
    bool other = false;
    if (k > 0 && tok_is(&v[k], "not")) {
        other = true;
        k--;
    } else if (k > 0 && is_any_word(&v[k], denied)) {
        other = true;
        if (is_any_word(&v[k - 1], subject) || k - 1 == place)
            goto said;
        return KF_SIDE_NONE;
    }
    /* the subject: the pain or "it", or (place >= 0) the place read just
     * before the verb ("the knot under my shoulder blade is on ...") */
    if (!is_any_word(&v[k], fused) &&
        !(is_any_word(&v[k], verb) && k > 0 &&
          (is_any_word(&v[k - 1], subject) || k - 1 == place)))
        return KF_SIDE_NONE;
said:;
    kf_side sd = side_of(&v[j]);
    if (sd != KF_SIDE_LEFT && sd != KF_SIDE_RIGHT)
        return KF_SIDE_NONE;
    return other ? (sd == KF_SIDE_LEFT ? KF_SIDE_RIGHT : KF_SIDE_LEFT) : sd;
}

/* Where a load sits: a side said after the words of a load on one side
 * (kb.h, own_side), behind "on", "over", "onto", "in" or "with" and at most two
 * determiners ("I carry my purse on the left", "a shoulder bag, which I wear
 * on my right shoulder", "the tool bag in my right hand"), up to 8 words on
 * within the sentence; KF_SIDE_NONE when none is said so. */
static bool is_any_word(const token *k, const char *const *list);
static kf_side load_side_after(const token *v, int n, int last)
{
    static const char *const prep[] = { "on", "over", "onto", "in", "with", NULL };
    static const char *const det[] = { "the", "my", "his", "her", "their", "your", "that",
                                       "this", "same", "other", "opposite", NULL };
    for (int j = last + 1, d = 1; j < n && d <= 8; j++, d++) {
        if (v[j].kind == T_STOP)
            break;
        if (!v[j].side_ok || (v[j].flags & KF_WORD_BOTH))
            continue;
        /* the side of the pain said after it ("I carry the baby on my left
         * hip, the pain's on the opposite side") is not the load's */
        if (pain_side_said(v, j, NULL, 0, -1) != KF_SIDE_NONE)
            break;
        int k = j - 1;
        for (int e = 0; e < 2 && k > last && is_any_word(&v[k], det); e++)
            k--;                      /* "on my left", "on the same side" */
        if (k > last && is_any_word(&v[k], prep))
            return side_of(&v[j]);
    }
    return KF_SIDE_NONE;
}

/* At most this many "F1 ?+ F2" readings (kb.h, KF_ALT_COMPANY) are kept
 * for complete_company; more in one text are read as F1 alone. */
#define KF_COMPANY_MAX 8

typedef struct { int alt, start, len; kf_side side; } company_wait;

typedef struct {
    const kf_kb *kb;
    kf_findings *out;
    int          read;        /* facts and numbers this call understood */
    /* "F1 ?+ F2" readings present: F2 waits for its company */
    company_wait company[KF_COMPANY_MAX];
    int          n_company;
} reader;

/* How urgent a finding can make the triage on its own (docs/KB-FORMAT.md:
 * "a red-flag rule needs it on its own"): the highest level of the rules
 * it fires alone (it is their only `all` finding, or one of their `any`
 * when they have no `all`), -1 when none does.  A warning sign that only
 * fires a rule with other findings (a stiff neck: with a fever) is taken
 * by complete_rules when those were said too. */
/* Is f sure to be named by no red-flag rule (kb->in_redflag)? */
static bool in_no_rule(const kf_kb *kb, int f)
{
    return kb->in_redflag && f >= 0 && f < kb->n_findings && !kb->in_redflag[f];
}

static int severity(const kf_kb *kb, int f)
{
    int best = -1;
    if (in_no_rule(kb, f))
        return best;
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *rf = &kb->redflags[i];
        bool alone = rf->n_all == 1 && rf->all[0] == f;
        if (alone && rf->n_any) {
            bool in_any = false;
            for (int k = 0; k < rf->n_any && !in_any; k++)
                in_any = rf->any[k] == f;
            alone = in_any;
        }
        for (int k = 0; !rf->n_all && k < rf->n_any && !alone; k++)
            alone = rf->any[k] == f;
        if (alone && 1 + (int)rf->level > best)
            best = 1 + (int)rf->level;
    }
    return best;
}

/* How urgent a finding can ever make the triage: the highest level of the
 * rules that need it (`all`, or `any` of a rule with no `all`); a warning
 * sign no rule needs ranks just above a finding that is none, -1.  For a
 * warning sign only asked or worried about, where what to do if it comes is
 * said whatever else was said. */
static int urgency(const kf_kb *kb, int f)
{
    int best = kb->findings[f].kind == KF_FIND_REDFLAG ? 0 : -1;
    if (in_no_rule(kb, f))
        return best;
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *rf = &kb->redflags[i];
        bool named = false;
        for (int k = 0; k < rf->n_all && !named; k++)
            named = rf->all[k] == f;
        for (int k = 0; !rf->n_all && k < rf->n_any && !named; k++)
            named = rf->any[k] == f;
        if (named && 1 + (int)rf->level > best)
            best = 1 + (int)rf->level;
    }
    return best;
}

static void add_fact(reader *r, int finding, kf_state st, kf_side side, int alt, int start,
                     int len, unsigned ctx)
{
    const kf_kb *kb = r->kb;
    unsigned char note = KF_NOTE_NONE;
    /* A warning sign the writer denies outright ("I'm not out of breath")
     * settles words that were read as it only to be safe ("I can't take a
     * deep breath because it pulls on the knot": the pain on breathing,
     * not breathlessness), whichever is said first: the milder reading is
     * kept, the denial stands.  A denial only guessed ("I don't think I'm
     * breathless") settles nothing. */
    if (st == KF_ABSENT && !(ctx & KF_CTX_HEDGED))
        for (int i = 0; i < r->out->n; i++) {
            kf_fact *o = &r->out->v[i];
            if (o->state != KF_PRESENT || o->origin != KF_FROM_TEXT || o->alt < 0)
                continue;
            if (o->alt == finding) {
                o->alt = -1;                  /* "F ? G" with G denied: F */
            } else if (o->finding == finding && o->note == KF_NOTE_SAFER) {
                o->finding = o->alt;          /* read as G to be safe, G denied: F */
                o->alt = -1;
                o->note = KF_NOTE_NONE;
                if (!kb->findings[o->finding].sided)
                    o->side = KF_SIDE_NONE;
            }
        }
    bool denied = false;
    for (int i = 0; st == KF_PRESENT && alt >= 0 && i < r->out->n && !denied; i++) {
        const kf_fact *o = &r->out->v[i];
        denied = o->finding == alt && o->state == KF_ABSENT && o->origin == KF_FROM_TEXT &&
                 !(o->ctx & KF_CTX_HEDGED);
    }
    if (denied)
        alt = -1;
    /* The safer reading: words that may be a warning sign or something
     * milder are read as the warning sign, and the fact says so. */
    if (st == KF_PRESENT && alt >= 0 && severity(kb, alt) > severity(kb, finding)) {
        int t = finding;
        finding = alt;
        alt = t;
        note = KF_NOTE_SAFER;
    }
    if (note == KF_NOTE_NONE && st == KF_PRESENT && (ctx & KF_CTX_HEDGED))
        note = KF_NOTE_GUESS;
    kf_fact f = { .finding = finding, .state = st, .origin = KF_FROM_TEXT, .alt = alt,
                  .start = start, .len = len, .ctx = (unsigned char)ctx, .note = note,
                  .side = kb->findings[finding].sided ? side : KF_SIDE_NONE };
    kf_findings_add(r->out, &f);
    r->read++;
}

static void add_named(reader *r, const char *id, int start, int len)
{
    int f = kf_kb_finding(r->kb, id);
    if (f >= 0)
        add_fact(r, f, KF_PRESENT, KF_SIDE_NONE, -1, start, len, 0);
}

static void add_hypothetical(kf_findings *out, int finding)
{
    for (int i = 0; i < out->n_hypothetical; i++)
        if (out->hypothetical[i] == finding)
            return;
    if (out->n_hypothetical < KF_HYPO_MAX)
        out->hypothetical[out->n_hypothetical++] = finding;
}

static bool is_any_word(const token *k, const char *const *list)
{
    if (k->kind != T_WORD)
        return false;
    for (int i = 0; list[i]; i++)
        if (k->norm[0] == list[i][0] && !strcmp(k->norm, list[i]))
            return true;
    return false;
}

/* Does the reading at [first, last] name a muscle ("my rhomboid", "the
 * levator", "traps") rather than a place? */
static bool muscle_named(const token *v, int first, int last)
{
    static const char *const muscles[] = {
        "rhomboid", "rhomboids", "trap", "traps", "trapezius", "levator", "levators",
        "scapulae", "lat", "lats", "latissimus", "teres", "serratus", "pec", "pecs",
        "pectoral", "pectorals", "pectoralis", "scalene", "scalenes", "erector", "erectors",
        "spinae", "rotator", "cuff", "infraspinatus", "supraspinatus", "subscapularis",
        "sternocleidomastoid", "scm", "splenius", "suboccipital", "suboccipitals",
        "multifidus", "paraspinal", "paraspinals", "quadratus", "ql", "psoas", "deltoid",
        "deltoids", "delt", "delts", "biceps", "triceps", "rhomboidius", NULL
    };
    for (int j = first; j <= last; j++)
        if (v[j].kind == T_WORD && tok_may_be_in3_n(&v[j], muscles, sizeof muscles[0], -1) &&
            is_any_word(&v[j], muscles))
            return true;
    return false;
}

/* Is the reading at `first` someone's opinion of the cause ("the physio
 * says it's my levator", "my chiro thinks", "I was told it's my lat")? */
static bool reported(const token *v, int first)
{
    static const char *const says[] = {
        "says", "said", "thinks", "thought", "reckons", "reckoned", "told", "tells",
        "diagnosed", "calls", "called", "suggested", "suggests", "mentioned", NULL
    };
    for (int j = first - 1; j >= 0 && j >= first - 6 && v[j].kind != T_STOP; j--)
        if (is_any_word(&v[j], says))
            return true;
    return false;
}

static bool boundary_at(const token *v, int n, int i)
{
    return i < 0 || i >= n || v[i].kind == T_STOP || v[i].kind == T_COMMA;
}

static const char *const female_words[] = {
    "f", "female", "woman", "girl", "lady", "mum", "mom", "mother", "wife", "gal", "fem",
    "lass", NULL
};
static const char *const male_words[] = {
    "m", "male", "man", "guy", "boy", "dad", "father", "husband", "bloke", "lad", "chap",
    "gent", "gentleman", "fella", "fellow", NULL
};

/* "my", "his", ...: a person named after one of these is someone else */
static const char *const possessives[] = { "my", "his", "her", "our", "their", "your", NULL };

static void set_age(reader *r, long val, const token *k)
{
    if (val < 1 || val > 110)
        return;
    r->out->age = (int)val;
    r->read++;
    if (val >= 13 && val <= 19)
        add_named(r, "teen", k->start, k->len);
    /* a child's back pain has warning signs of its own (kb/85) */
    if (val <= 12)
        add_named(r, "child_age", k->start, k->len);
    if (val >= 50)
        add_named(r, "over_50", k->start, k->len);
    /* The age bands the triage derives from the age (triage.c) are read
     * here as well, so what was understood shows every fact the engine
     * used, with the words it came from. */
    if (val >= 65)
        add_named(r, "over_65", k->start, k->len);
}

/* A decade said as an age ("in my 50s", "bloke, 50s", "late sixties",
 * "60s male", "she's mid 40s"), the decade's words v[first..last] ("50" "s",
 * or "fifties"), is the person's age now; *add is the years into the decade
 * (early 2, mid 5, late 8, else 5).  It is an age when said with "my",
 * "his", "her", "their", after "I'm", "aged", "he's", beside a word for a
 * man or a woman ("woman in her 60s", "woman in 60s", "bloke, 50s", "50s
 * male", "F 60s"), or opening a sentence set off by a comma ("Late 70s,
 * tight ...").  Not a decade of the past ("since my 20s", "when I was in my
 * 30s", "back in my forties"), an era ("in the 80s", "the late 70s") or a
 * count of seconds ("hold for 30s", "every 30s").  *sex is 'f' or 'm' when
 * a word for a woman or a man is beside it, else 0. */
static bool decade_age(const token *v, int n, int first, int last, long *add, char *sex)
{
    static const char *const before[] = {
        "my", "his", "her", "their", "im", "hes", "shes", "aged", "age", "am", "is", "now", NULL
    };
    int b = first - 1;                    /* the word before the decade */
    *add = 5;
    *sex = 0;
    if (b >= 0 && (is_word(&v[b], "early") || is_word(&v[b], "mid") || is_word(&v[b], "late"))) {
        *add = is_word(&v[b], "early") ? 2 : is_word(&v[b], "mid") ? 5 : 8;
        b--;
    }
    /* a word of the past (the lexicon's `past` words) up to two before */
    for (int j = b; j >= 0 && j >= b - 2 && v[j].kind != T_STOP; j--)
        if (v[j].kind == T_WORD && (v[j].flags & KF_WORD_PAST))
            return false;
    if (b >= 0 && is_any_word(&v[b], before))
        return true;
    const token *after = last + 1 < n ? &v[last + 1] : NULL;
    bool person_after = after && after->kind == T_WORD &&
                        (is_any_word(after, female_words) || is_any_word(after, male_words));
    /* the word for the person before it, "in", a comma or brackets between
     * ("woman in 50s", "bloke, 50s", "woman (50s)") */
    bool bracketed = b >= 0 && v[b].kind == T_STOP && after && after->kind == T_STOP;
    int pw = b >= 0 && (v[b].kind == T_COMMA || is_word(&v[b], "in") || bracketed) ? b - 1 : b;
    bool person_before = pw >= 0 && v[pw].kind == T_WORD &&
                         (is_any_word(&v[pw], female_words) || is_any_word(&v[pw], male_words));
    if (person_before || (person_after && boundary_at(v, n, b))) {
        const token *w = person_before ? &v[pw] : after;
        *sex = is_any_word(w, female_words) ? 'f' : 'm';
        return true;
    }
    /* opening a sentence, a comma after it, no number next ("30s, 3 times") */
    return (b < 0 || v[b].kind == T_STOP) && after && after->kind == T_COMMA &&
           !(last + 2 < n && v[last + 2].kind == T_NUM);
}

/* Numbers: age, sex, weeks pregnant, how long; the dominant hand.  Only
 * what is said of the person in pain counts (`who` per token, context.c). */
/* What a token was read as, for whose a duration is: 1 a habit or a fact of
 * one's history (smoking, steroids, a job), 2 a pain or symptom. */
enum { READ_LIFESTYLE = 1, READ_PAIN = 2, READ_PREGNANCY = 4 };

/* A word of a life's events, not of a pain: "married 30 years", "worked
 * there 20 years", "lived here 10 years", "20 years in the army", "been
 * together 12 years".  A duration said of one is how long that has lasted,
 * not how long it has hurt. */
static bool life_word(const token *k)
{
    static const char *const words[] = {
        "married", "marriage", "together", "divorced", "widowed", "separated", "engaged",
        "dating", "worked", "working", "job", "career", "employed", "company", "firm",
        "business", "trade", "industry", "army", "navy", "military", "served", "retired",
        "retirement", "lived", "living", "teaching", "taught", "studying", "studied",
        "university", "college", "known", "owned", "practising", "practicing", "qualified",
        "volunteered", "profession", "nurse", "teacher", "driver", "builder", "cleaner",
        "carer", "chef", "cook", "farmer", "mechanic", "plumber", "labourer", "laborer",
        "engineer", "programmer", "developer", "manager", "waitress", "waiter", "cashier",
        "secretary", "clerk", "accountant", "lawyer", "soldier", "officer", "postman",
        "courier", "baker", "butcher", "joiner", "carpenter", "roofer", "welder", "painter",
        "decorator", "hairdresser", "barber", "porter", "packer", "picker", "miner",
        "fisherman", "trucker", "mum", "mom", "parent", "housewife", NULL
    };
    if (k->kind != T_WORD)
        return false;
    /* a trade named by its ending: "transcriptionist", "electrician" */
    size_t l = strlen(k->norm);
    if (l >= 7 && (!strcmp(k->norm + l - 3, "ist") || !strcmp(k->norm + l - 3, "ian")))
        return true;
    return is_any_word(k, words);
}

/* "smoked for 30 years", "a nurse for 25 years", "on prednisone for 5
 * years": a duration said right after a habit or history, with no pain
 * between, is how long the habit lasted, not the pain.  So is one said just
 * before a habit ("30 years a smoker", "twenty years of smoking"), and one
 * that points back with "of it/that" ("I smoke, 30 years of it", "a
 * bricklayer, 30 years of that") to a habit said last, across commas and
 * back into the sentence before ("I've had this knot, 3 years of it" points
 * back to the knot, so it stays how long it has hurt).  `i` is the
 * duration's first token, `after` the token after its words. */
static bool duration_of_habit(const token *v, int n, const unsigned char *read_as, int i,
                              int after)
{
    static const char *const pain_words[] = {
        "knot", "knots", "pain", "pains", "ache", "aches", "it", "this", "these", "them",
        "they", "spasm", "spasms", "tightness", "soreness", NULL
    };
    if (!read_as)
        return false;
    /* "massage fixes it for a few days", "I'm good for a week after the
     * physio", "it comes back a few days after": how long relief lasts,
     * not how long it has hurt (the relief's own readings say that) */
    static const char *const relief[] = {
        "helps", "helped", "help", "fixes", "fixed", "good", "great", "fine", "better",
        "relief", "relieves", "relieved", "eases", "eased", "gone", "lasts", "lasted",
        "loosens", "loosened", "works", "worked", "sorts", "sorted", "clears", "cleared",
        "releases", "released", "free", "comes", "returns", "massage", NULL
    };
    static const char *const treated[] = {
        "massage", "massages", "treatment", "session", "physio", "chiro", "osteo", "rolling",
        "stretching", "the", "a", "my", "each", "every", NULL
    };
    for (int j = i - 1; j >= 0 && j >= i - 6; j--) {
        if (v[j].kind == T_STOP || v[j].kind == T_COMMA)
            break;
        if (v[j].kind == T_WORD && !((read_as[j] & 3) == READ_PAIN) && is_any_word(&v[j], relief))
            return true;
        if (is_word(&v[j], "knot") || is_word(&v[j], "pain") || is_word(&v[j], "ache") ||
            is_word(&v[j], "had") || is_word(&v[j], "been"))
            break;
    }
    if (after + 1 < n && is_word(&v[after], "after") && is_any_word(&v[after + 1], treated))
        return true;
    for (int j = i - 1; j >= 0 && j >= i - 6; j--) {
        if (v[j].kind == T_STOP || v[j].kind == T_COMMA)
            break;
        /* "diabetes since long time", "smoker since many years": "since"
         * right after a lasting condition is how long that has lasted (a
         * cough or a job "since 3 weeks" keeps its time, as before) */
        if (is_word(&v[j], "since")) {
            static const char *const conditions[] = {
                "diabetes", "diabetic", "smoker", "smoking", "smoke", "pressure", "hypertension",
                "cholesterol", "asthma", "asthmatic", "arthritis", "osteoporosis", NULL
            };
            for (int k = j - 1; k >= 0 && k >= j - 3 &&
                                (v[k].kind == T_WORD || v[k].kind == T_NUM); k--) {
                if ((read_as[k] & 3) == READ_PAIN || is_any_word(&v[k], pain_words))
                    return false;
                if ((read_as[k] & 3) == READ_LIFESTYLE && is_any_word(&v[k], conditions))
                    return true;
            }
            return false;
        }
        if ((read_as[j] & 3) == READ_PAIN || is_any_word(&v[j], pain_words))
            return false;
        if ((read_as[j] & 3) == READ_LIFESTYLE || life_word(&v[j]))
            return true;
    }
    /* a habit said right after: "of smoking", "a smoker", "as a nurse" */
    static const char *const joins[] = {
        "of", "a", "an", "as", "being", "on", "the", "my", "in", "heavy", "with", "at", "new",
        "this", "that", "our", NULL
    };
    for (int j = after; j < n && j <= after + 3 && v[j].kind == T_WORD; j++) {
        if ((read_as[j] & 3) == READ_PAIN)
            return false;
        if ((read_as[j] & 3) == READ_LIFESTYLE || life_word(&v[j]))
            return true;
        if (!is_any_word(&v[j], joins))
            break;
    }
    /* "of it", "of that": what it points back to is the last reading */
    static const char *const back[] = { "it", "that", "this", "those", "them", NULL };
    if (after + 1 < n && is_word(&v[after], "of") && is_any_word(&v[after + 1], back)) {
        int stops = 0;
        for (int j = i - 1; j >= 0 && j >= i - 24; j--) {
            if (v[j].kind == T_STOP && ++stops > 1)
                break;
            if (v[j].kind != T_WORD)
                continue;
            if ((read_as[j] & 3) == READ_PAIN || (is_any_word(&v[j], pain_words) &&
                                             !is_word(&v[j], "it") && !is_word(&v[j], "this") &&
                                             !is_word(&v[j], "these") && !is_word(&v[j], "them") &&
                                             !is_word(&v[j], "they")))
                return false;
            if ((read_as[j] & 3) == READ_LIFESTYLE)
                return true;
        }
    }
    return false;
}

/* The unit a word itself names, in days ("week", "weeks", "fortnight"; not
 * "weekend" or "weekly"), with *plural set for "weeks"; 0 for none. */
static int unit_word(const token *k, bool *plural)
{
    static const struct { const char *w; int days; bool plural; } units[] = {
        { "day", 1, false }, { "days", 1, true }, { "night", 1, false }, { "nights", 1, true },
        { "week", 7, false }, { "weeks", 7, true }, { "wk", 7, false }, { "wks", 7, true },
        { "fortnight", 14, false }, { "fortnights", 14, true }, { "month", 30, false },
        { "months", 30, true }, { "year", 365, false }, { "years", 365, true },
        { "yr", 365, false }, { "yrs", 365, true },
    };
    if (k->kind != T_WORD)
        return 0;
    char c = k->norm[0], c1 = k->norm[1];
    /* the units' first two letters: da ni we wk fo mo ye yr */
    if (!((c == 'd' && c1 == 'a') || (c == 'n' && c1 == 'i') || (c == 'w' && (c1 == 'e' || c1 == 'k')) ||
          (c == 'f' && c1 == 'o') || (c == 'm' && c1 == 'o') || (c == 'y' && (c1 == 'e' || c1 == 'r'))))
        return 0;
    for (size_t u = 0; u < KF_ARRAY_LEN(units); u++)
        if (c == units[u].w[0] && !strcmp(k->norm, units[u].w)) {
            if (plural)
                *plural = units[u].plural;
            return units[u].days;
        }
    return 0;
}

/* Is the unit at v[ui] the first half of a rate ("3 days a week", "twice a
 * month", "8 hours a day", "once every week"), not a duration? */
static bool rate_after(const token *v, int n, int ui)
{
    int j = ui + 1;
    if (j + 1 >= n || v[j].kind != T_WORD)
        return false;
    if (!is_word(&v[j], "a") && !is_word(&v[j], "an") && !is_word(&v[j], "per") &&
        !is_word(&v[j], "each") && !is_word(&v[j], "every"))
        return false;
    return unit_word(&v[j + 1], NULL) || is_word(&v[j + 1], "shift") ||
           is_word(&v[j + 1], "session");
}

/* Does the clause around a time said "ago" or "last week" tell when the
 * pain began ("it started 3 weeks ago", "I hurt my back a month ago", "3
 * days ago my neck locked")?  Then the time since is how long it has hurt;
 * "I moved house 3 weeks ago" or "had a baby 6 weeks ago" says nothing of
 * the pain.  `i` is the time's first token, `after` the token after it. */
static bool onset_clause(const token *v, int n, const unsigned char *read_as, int i, int after)
{
    static const char *const onset[] = {
        "started", "start", "starts", "starting", "began", "begun", "begin", "came",
        "come", "noticed", "appeared", "developed", "kicked", "flared", "woke", "waking",
        "first", "since", "hurt", "injured", "tweaked", "pulled", "strained", "twinged",
        "happened", "popped", "locked", "cricked", NULL
    };
    static const char *const pain_words[] = {
        "knot", "knots", "pain", "pains", "ache", "aches", "aching", "ached", "spasm",
        "twinge", "stiffness", "tightness", "soreness", "stiff", "sore", "hurts", "hurting",
        "knotted", NULL
    };
    /* the words themselves: a place named nearby ("a mole removed from my
     * arm ten years ago") is no pain beginning */
    (void)read_as;
    for (int j = i - 1; j >= 0 && j >= i - 8 && v[j].kind != T_STOP; j--)
        if (is_any_word(&v[j], onset) || is_any_word(&v[j], pain_words))
            return true;
    /* after it, "since" is what followed ("ten years ago, fine since") */
    for (int j = after; j < n && j <= after + 5 && v[j].kind == T_WORD &&
                        !is_word(&v[j], "and") && !is_word(&v[j], "but"); j++)
        if ((is_any_word(&v[j], onset) && !is_word(&v[j], "since")) ||
            is_any_word(&v[j], pain_words))
            return true;
    return false;
}

/* Sets how long it has hurt to `d` days (the longest said wins) from the
 * words at [first, last]. */
static void set_duration(reader *r, const token *v, long d, int first, int last)
{
    if (d <= 0 || d > 36500 || d <= r->out->duration_days)
        return;
    r->out->duration_days = (int)d;
    r->read++;
    if (d >= 90)
        add_named(r, "chronic", v[first].start, v[last].start + v[last].len - v[first].start);
}

/* Is the number v[i] a baby's age in days, weeks or months ("he is 5
 * months", "she's 5 weeks" of a baby named in the text, "my son is 3 weeks
 * old"): said after "he is", "she is" or a child's "is", the count ending
 * its clause?  Not how long it has hurt, nor how far along a pregnancy is.
 * "She's 30 weeks" with no baby named, or with a word of pregnancy in the
 * text, stays a pregnancy (the safer reading). */
static bool baby_age_at(const token *v, int n, int i)
{
    static const char *const babies[] = {
        "baby", "babies", "newborn", "infant", "bub", "bubs", "son", "daughter", "grandson",
        "granddaughter", "toddler", "boy", "girl", NULL
    };
    static const char *const expecting[] = {
        "expecting", "trimester", "along", "gestation", "bump", "due", "midwife", NULL
    };
    if (num_value(&v[i]) < 0 || i < 1 || i + 1 >= n || v[i + 1].kind != T_WORD)
        return false;
    int d = unit_days(v[i + 1].norm);
    if (d != 1 && d != 7 && d != 30)
        return false;
    /* the count ends its clause, or "old" follows it */
    int e = i + 2;
    if (e < n && (is_word(&v[e], "old") || is_word(&v[e], "now")))
        e++;
    if (!(boundary_at(v, n, e) || is_word(&v[e], "and") || is_word(&v[e], "but")))
        return false;
    int s = i - 1;
    if (is_word(&v[s], "only") || is_word(&v[s], "just") || is_word(&v[s], "almost") ||
        is_word(&v[s], "nearly"))
        s--;
    if (s < 0)
        return false;
    bool he = is_word(&v[s], "hes"), she = is_word(&v[s], "shes"), child = false;
    if (!he && !she && s >= 1 && (is_word(&v[s], "is") || is_word(&v[s], "was"))) {
        he = is_word(&v[s - 1], "he");
        she = is_word(&v[s - 1], "she");
        child = is_any_word(&v[s - 1], babies);
    }
    if (child || he)
        return true;
    if (!she)
        return false;
    bool baby = false;
    for (int j = 0; j < n; j++) {
        if (v[j].kind != T_WORD)
            continue;
        if (!strncmp(v[j].norm, "pregnan", 7) || is_any_word(&v[j], expecting))
            return false;
        baby |= is_any_word(&v[j], babies);
    }
    return baby;
}

/* Durations said with no digit or number word: "for a week", "about a
 * month", "half a year", "a year and a half", "the past fortnight", "over
 * the last year", "since last spring", "for months", "weeks now", "it's
 * been years".  A rate ("once a week", "8 hours a day"), a time of
 * something else ("married a year") or a time ago that is not when the
 * pain began ("a week ago I moved") is not how long it has hurt.  A bare
 * plural ("for months") counts as the fewest it can mean (months: 3,
 * weeks: 2, years: 2, days: 3); the figure is shown as "about". */
static void word_durations(reader *r, const token *v, int n, const int *who, int patient,
                           const unsigned char *read_as)
{
    static const char *const cues[] = {
        "for", "about", "around", "over", "nearly", "almost", "roughly", "approximately",
        "than", "least", "maybe", "probably", "good", "whole", "full", "been", "within",
        "past", "last", "under", "only", "just", "like", "approx", "abt", "bout", "since",
        "it", "this", "them", "these", NULL
    };
    static const char *const seasons[] = {
        "spring", "summer", "autumn", "fall", "winter", "christmas", "xmas", "easter", NULL
    };
    for (int i = 1; i < n; i++) {
        if (who[i] != patient || v[i].kind != T_WORD)
            continue;
        bool plural = false;
        int days = unit_word(&v[i], &plural);
        const token *p = &v[i - 1], *pp = i >= 2 ? &v[i - 2] : NULL;
        const token *nx = i + 1 < n ? &v[i + 1] : NULL;
        int first = i, last = i;
        double count = 0;
        if (!days) {
            /* "since last spring", "this past winter": months back */
            if ((p->norm[0] == 'l' || p->norm[0] == 'p') &&
                (is_word(p, "last") || is_word(p, "past")) && is_any_word(&v[i], seasons) &&
                pp && (is_word(pp, "since") || is_word(pp, "this")) &&
                !duration_of_habit(v, n, read_as, i - 2, i + 1))
                set_duration(r, v, 180, i - 2, i);
            continue;
        }
        if (days == 365 && i + 1 < n && is_word(&v[i + 1], "old"))
            continue;
        if (baby_age_at(v, n, i - 1))        /* "he's 9 months now": his age */
            continue;
        if (!plural && (is_word(p, "a") || is_word(p, "an"))) {
            /* "a week", "half a year"; not "once a week", "3 times a week",
             * "8 hours a day", "a week off" */
            if (pp && (is_word(pp, "once") || is_word(pp, "twice") || is_word(pp, "thrice") ||
                       is_word(pp, "times") || is_word(pp, "per") || pp->kind == T_NUM ||
                       unit_word(pp, NULL) || is_word(pp, "hours") || is_word(pp, "hrs") ||
                       is_word(pp, "minutes") || is_word(pp, "mins") || is_word(pp, "day") ||
                       is_word(pp, "sessions") || is_word(pp, "shifts")))
                continue;
            count = 1;
            first = i - 1;
            if (pp && is_word(pp, "half")) {
                count = 0.5;
                first = i - 2;
            }
            /* "a year and a half", "a week or two" */
            if (i + 3 < n && is_word(&v[i + 1], "and") && is_word(&v[i + 2], "a") &&
                is_word(&v[i + 3], "half")) {
                count += 0.5;
                last = i + 3;
            } else if (i + 2 < n && is_word(&v[i + 1], "or") && num_value(&v[i + 2]) > 1 &&
                       num_value(&v[i + 2]) <= 4) {
                count = (double)num_value(&v[i + 2]);
                last = i + 2;
            }
            const token *cue = count == 0.5 ? (i >= 3 ? &v[i - 3] : NULL) : pp;
            bool cued = cue && is_any_word(cue, cues);
            const token *af = last + 1 < n ? &v[last + 1] : NULL;
            bool ago = af && is_word(af, "ago");
            if (ago && !onset_clause(v, n, read_as, first, last + 2))
                continue;
            if (!cued && !ago && !(af && (is_word(af, "now") || is_word(af, "already") ||
                                          is_word(af, "straight") || is_word(af, "running"))) &&
                !(count != 1 && days >= 7) && !(last > i))
                continue;
            if (af && (is_word(af, "off") || is_word(af, "later") || is_word(af, "before") ||
                       is_word(af, "after")))
                continue;
        } else if (!plural && (is_word(p, "past") || is_word(p, "last")) && pp &&
                   (is_word(pp, "the") || is_word(pp, "this") || is_word(pp, "since") ||
                    (is_word(pp, "all") && days >= 7))) {
            /* "the past fortnight", "over the last month", "since last week";
             * "last week" alone only when it says when the pain began */
            count = 1;
            first = i - 2;
        } else if (!plural && days < 365 && is_word(p, "last") &&
                   onset_clause(v, n, read_as, i - 1, i + 1)) {
            /* "it started last week" (not "last year": in January that is
             * weeks, in December a year) */
            count = 1;
            first = i - 1;
        } else if (is_word(p, "half") && i >= 4 && is_word(pp, "a") &&
                   is_word(&v[i - 3], "and") && num_value(&v[i - 4]) > 0) {
            /* "two and a half years" */
            count = (double)num_value(&v[i - 4]) + 0.5;
            first = i - 4;
        } else if (plural && (is_word(p, "for") || is_word(p, "been") || is_word(p, "over") ||
                              is_word(p, "some") ||
                              (nx && is_word(nx, "now")) ||
                              (is_word(p, "past") && pp && is_word(pp, "the")))) {
            /* "for months", "it's been weeks", "months now"; not "6 months"
             * (the numbers' rule) nor "for months ago" */
            if (nx && is_word(nx, "ago"))
                continue;
            count = days == 30 ? 3 : days == 1 ? 3 : 2;
            first = is_word(p, "for") || is_word(p, "been") || is_word(p, "over") ? i - 1 : i;
            if (nx && is_word(nx, "now"))
                last = i + 1;
        } else
            continue;
        if (rate_after(v, n, last) || duration_of_habit(v, n, read_as, first, last + 1))
            continue;
        set_duration(r, v, (long)(count * days + 0.5), first, last);
    }
}

/* The relation word naming the person in pain ("my husband's neck": "husband"),
 * singular, into out (size n): the first word of theirs that names a relation. */
static void patient_word(token *v, int n, const int *who, int patient, char *out, size_t size)
{
    for (int i = 0; i < n; i++) {
        if (who[i] != patient || v[i].kind != T_WORD || !kf_context_relation(v, n, i))
            continue;
        char w[KF_TOK_NORM];
        memcpy(w, v[i].norm, sizeof w);
        size_t l = strlen(w);
        /* "husbands" (from "husband's"): singular when the shorter word is
         * a relation too ("boss" stays); asked of a copy, as the word's
         * kept norm is every token's of that word */
        if (l > 3 && w[l - 1] == 's') {
            w[l - 1] = '\0';
            const char *kept = v[i].norm;
            v[i].norm = w;
            bool rel = kf_context_relation(v, n, i) != 0;
            v[i].norm = kept;
            if (!rel)
                w[l - 1] = 's';
        }
        snprintf(out, size, "%s", w);
        return;
    }
}

/* Is v[j] a relation word opening its clause, alone or after "my"/"our"
 * ("My husband ...", "hello, my father ...", "and my dad ..."), so that what
 * follows it is said of them (not "married to my husband 30 years")? */
static bool relation_opens(const token *v, int n, int j)
{
    if (j < 0 || j >= n || !kf_context_relation(v, n, j))
        return false;
    int o = j > 0 && (is_word(&v[j - 1], "my") || is_word(&v[j - 1], "our")) ? j - 1 : j;
    return boundary_at(v, n, o - 1) || is_word(&v[o - 1], "and") || is_word(&v[o - 1], "so") ||
           is_word(&v[o - 1], "hi") || is_word(&v[o - 1], "hello") || is_word(&v[o - 1], "hey");
}

/* An age said as a floor: "over 70", "I'm over 65", "she's well past 80",
 * "70+", "70 plus", "Female, 70+", "nearly 70".  The number v[i] is an age
 * floor when a word of floor ("over", "past", "nearly", "almost", "plus" or
 * a '+' right after it) is beside it, the words before it give an age (a
 * sentence's or clause's start, "I'm", "aged", "she is", a word for a man
 * or a woman, a relation) and the words after end the age ("70+ woman",
 * "over 70 and ...", "over 80 years old"); not "over 70 miles", "past 10
 * o'clock", "over 60 times", "nearly 50 minutes".  *near is set for
 * "nearly"/"almost" (a little under the number).  The span is *first..i
 * or i+1. */
static bool age_floor(const token *v, int n, int i, bool unit_next, int *first, int *last,
                      bool *near)
{
    static const char *const floors[] = { "over", "past", "nearly", "almost", NULL };
    static const char *const gives[] = {
        "im", "am", "is", "hes", "shes", "aged", "age", "now", "were", "are", "both", "theyre",
        NULL
    };
    static const char *const ends[] = { "and", "with", "but", "so", "now", "yo", "here", NULL };
    static const char *const skip[] = { "well", "just", "way", "bit", "a", NULL };
    const token *nx = i + 1 < n ? &v[i + 1] : NULL;
    int end = i;
    *near = false;
    if (v[i].plus)
        *first = i;
    else if (nx && is_word(nx, "plus")) {
        *first = i;
        end = i + 1;
    } else if (i > 0 && is_any_word(&v[i - 1], floors)) {
        *near = is_word(&v[i - 1], "nearly") || is_word(&v[i - 1], "almost");
        *first = i - 1;
    } else
        return false;
    *last = end;
    const token *after = end + 1 < n ? &v[end + 1] : NULL;
    bool years_old = unit_next && after && end + 2 < n && unit_days(after->norm) == 365 &&
                     (is_word(&v[end + 2], "old") || is_word(&v[end + 2], "young"));
    if (unit_next && !years_old)
        return false;
    if (!(boundary_at(v, n, end + 1) || years_old ||
          (after && after->kind == T_WORD &&
           (is_any_word(after, ends) || is_any_word(after, female_words) ||
            is_any_word(after, male_words)))))
        return false;
    int b = *first - 1;
    for (int s = 0; s < 2 && b >= 0 && is_any_word(&v[b], skip); s++)
        b--;
    return boundary_at(v, n, b) || is_any_word(&v[b], gives) ||
           is_any_word(&v[b], female_words) || is_any_word(&v[b], male_words) ||
           kf_context_relation(v, n, b);
}

static void read_numbers(reader *r, const token *v, int n, const int *who, int patient,
                         const unsigned char *read_as)
{
    const kf_kb *kb = r->kb;
    kf_findings *out = r->out;
    bool pregnancy = false;
    for (int i = 0; i < n && !pregnancy; i++)
        if (v[i].kind == T_WORD && who[i] == patient && (v[i].norm[0] == 'p' || v[i].norm[0] == 'e' || v[i].norm[0] == 't' || v[i].norm[0] == 'a') &&
            ((v[i].norm[0] == 'p' && !strncmp(v[i].norm, "pregnan", 7)) ||
             is_word(&v[i], "expecting") || is_word(&v[i], "trimester") ||
             /* "30 weeks along" */
             (is_word(&v[i], "along") && i >= 2 && v[i - 2].kind == T_NUM &&
              (!strncmp(v[i - 1].norm, "week", 4) || !strncmp(v[i - 1].norm, "wk", 2)))))
            pregnancy = true;
    /* Every rule of the loop below starts from a number or a number word
     * (num_value), from a word of this list (the dominant hand's, the
     * trimester, the decades of `decades` below), or from the word after
     * "a" or "an" (the sex said of oneself): any other word is passed over
     * at once, by its first three letters.  A rule that starts from another
     * word must add it here. */
    static const char *const starts[] = {
        "handed", "hander", "lefty", "southpaw", "dominant", "trimester",
        "teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies",
        "eighties", "nineties", NULL
    };
    bool first_sentence = true;
    for (int i = 0; i < n; i++) {
        const token *k = &v[i];
        bool mine = who[i] == patient;
        if (i > 0 && v[i - 1].kind == T_STOP)
            first_sentence = false;
        if (k->kind == T_WORD && !tok_may_be_in3_n(k, starts, sizeof starts[0], -1) &&
            !(i >= 2 && v[i - 1].kind == T_WORD && v[i - 1].norm[0] == 'a' &&
              (!v[i - 1].norm[1] || (v[i - 1].norm[1] == 'n' && !v[i - 1].norm[2]))) &&
            (!number_letter(k->norm[0]) || num_value(k) < 0))
            continue;
        /* dominant hand: "right handed", "left-handed", "lefty" */
        if (mine && k->kind == T_WORD && (is_word(k, "handed") || is_word(k, "hander")) &&
            i > 0 && (v[i - 1].flags & (KF_WORD_LEFT | KF_WORD_RIGHT)))
            out->dominant = side_of(&v[i - 1]);
        if (mine && (is_word(k, "lefty") || is_word(k, "southpaw")))
            out->dominant = KF_SIDE_LEFT;
        if (mine && is_word(k, "dominant") && i + 1 < n && is_word(&v[i + 1], "hand")) {
            for (int j = i - 1; j >= 0 && j >= i - 2; j--)
                if (v[j].side_ok)
                    out->dominant = side_of(&v[j]);
            for (int j = i + 2; j < n && j <= i + 4; j++)
                if (v[j].side_ok)
                    out->dominant = side_of(&v[j]);
        }
        /* sex said of oneself: "I'm a woman", "as a guy", "mum of two" */
        if (mine && patient == 0 && k->kind == T_WORD && i >= 2 &&
            (is_word(&v[i - 1], "a") || is_word(&v[i - 1], "an")) &&
            (is_word(&v[i - 2], "im") || is_word(&v[i - 2], "as") ||
             (is_word(&v[i - 2], "am") && i >= 3 && is_word(&v[i - 3], "i")))) {
            if (is_any_word(k, female_words) && k->norm[1])
                out->sex = 'f';
            else if (is_any_word(k, male_words) && k->norm[1])
                out->sex = 'm';
        }
        /* trimester */
        if (mine && pregnancy && is_word(k, "trimester") && i > 0 && out->weeks_pregnant < 0) {
            /* "2nd" is read as the number 2 and the word "nd" */
            long ord = i >= 2 && v[i - 2].kind == T_NUM &&
                       (is_word(&v[i - 1], "st") || is_word(&v[i - 1], "nd") ||
                        is_word(&v[i - 1], "rd")) ? v[i - 2].num : -1;
            int w = is_word(&v[i - 1], "first") || is_word(&v[i - 1], "1st") || ord == 1 ? 8
                  : is_word(&v[i - 1], "second") || is_word(&v[i - 1], "2nd") || ord == 2 ? 20
                  : is_word(&v[i - 1], "third") || is_word(&v[i - 1], "3rd") || ord == 3 ||
                    is_word(&v[i - 1], "last") ? 32 : -1;
            if (w > 0) {
                out->weeks_pregnant = w;
                add_named(r, "pregnant", v[i - 1].start, k->start + k->len - v[i - 1].start);
            }
        }
        /* decades in words: "in my fifties", "mid-fifties", "her late sixties" */
        if (mine && k->kind == T_WORD && out->age < 0) {
            static const char *const decades[] = {
                "teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies",
                "eighties", "nineties", NULL
            };
            /* the filter once, not once a decade: it is the same for k */
            bool may = tok_may_be_in3_n(k, decades, sizeof decades[0], 9);
            for (int d = 0; may && decades[d]; d++)
                if (is_word(k, decades[d])) {
                    long add;
                    char said;
                    if (decade_age(v, n, i, i, &add, &said)) {
                        set_age(r, (d + 1) * 10 + add, k);
                        if (said && patient == 0 && !out->sex)
                            out->sex = said;
                    }
                    break;
                }
        }
        long val = num_value(k);
        if (val < 0)
            continue;
        const token *nx = i + 1 < n ? &v[i + 1] : NULL;
        const token *nx2 = i + 2 < n ? &v[i + 2] : NULL;
        const token *p = i > 0 ? &v[i - 1] : NULL;
        const token *pp = i > 1 ? &v[i - 2] : NULL;
        /* a pain scored 8 or more out of 10 ("10/10", "9 out of 10", "11/10"):
         * severe (the digits are numbers, which a phrase cannot name) */
        if (k->kind == T_NUM && val >= 8 && val <= 100) {
            const token *ten = NULL;
            if (nx && nx->kind == T_NUM && nx->start == k->start + k->len + 1)
                ten = nx;
            else if (nx && nx2 && i + 3 < n && is_word(nx, "out") && is_word(nx2, "of"))
                ten = &v[i + 3];
            const token *after = ten && ten + 1 < v + n ? ten + 1 : NULL;
            if (ten && num_value(ten) == 10 && (ten == nx || ten->kind == T_NUM ||
                                               is_word(ten, "ten")) &&
                /* "10/10 sure" is how sure, not how much it hurts */
                !(after && (is_word(after, "sure") || is_word(after, "certain") ||
                            is_word(after, "confident")))) {
                add_named(r, "pain_severe", k->start, ten->start + ten->len - k->start);
                continue;
            }
        }
        bool unit_next = nx && nx->kind == T_WORD && (unit_days(nx->norm) ||
                         !strncmp(nx->norm, "kilo", 4) || !strcmp(nx->norm, "kg") ||
                         !strcmp(nx->norm, "lbs") || !strcmp(nx->norm, "times") ||
                         !strcmp(nx->norm, "hours") || !strcmp(nx->norm, "hrs") ||
                         !strcmp(nx->norm, "percent") || !strcmp(nx->norm, "minutes") ||
                         !strcmp(nx->norm, "mins") || !strcmp(nx->norm, "am") ||
                         !strcmp(nx->norm, "pm") || !strcmp(nx->norm, "kms") ||
                         !strcmp(nx->norm, "km") || !strcmp(nx->norm, "miles") ||
                         !strcmp(nx->norm, "reps") || !strcmp(nx->norm, "sets") ||
                         !strcmp(nx->norm, "foot") || !strcmp(nx->norm, "feet") ||
                         !strcmp(nx->norm, "ft") || !strcmp(nx->norm, "cm") ||
                         !strcmp(nx->norm, "inches") || !strcmp(nx->norm, "stone") ||
                         !strcmp(nx->norm, "pounds") || !strcmp(nx->norm, "lb") ||
                         !strcmp(nx->norm, "degrees") || !strcmp(nx->norm, "oclock") ||
                         !strcmp(nx->norm, "o") || !strcmp(nx->norm, "floors") ||
                         !strcmp(nx->norm, "stairs") || !strcmp(nx->norm, "steps"));
        /* an age floor: "over 70", "70+", "I'm past 80": the age bands it
         * reaches are facts, the age itself stays unknown */
        if (k->kind == T_NUM && val >= 40 && val <= 110) {
            int f0, f1;
            bool near;
            if (age_floor(v, n, i, unit_next, &f0, &f1, &near)) {
                long floor = near ? val - 3 : val;
                int s0 = v[f0].start, l0 = v[f1].start + v[f1].len - s0;
                if (mine && floor >= 50)
                    add_named(r, "over_50", s0, l0);
                if (mine && floor >= 65)
                    add_named(r, "over_65", s0, l0);
                if (mine && floor >= 50)
                    r->read++;
                continue;
            }
        }
        /* age: "I'm 17", "I am 59", "aged 40", "about to be 16", "17 years old",
         * "31yo", "F 34", "34F", "M 48, smoker", "a lad of 16", "my dad is 71",
         * "my son (15)", "turned 40", "in my late 60s" */
        bool age = false;
        char sex = 0;
        /* "since age 25", "from aged 30": an age of the past, not now */
        bool past_age = p && pp && (is_word(p, "aged") || is_word(p, "age")) &&
                        pp->kind == T_WORD && (pp->flags & KF_WORD_PAST);
        if (k->kind == T_NUM && p && !past_age) {
            if (is_word(p, "im") || is_word(p, "aged") || is_word(p, "age") ||
                is_word(p, "turned") || is_word(p, "turning") || is_word(p, "hes") ||
                is_word(p, "shes") ||
                ((is_word(p, "am") || is_word(p, "is") || is_word(p, "turns") ||
                  is_word(p, "was")) && pp &&
                 (is_word(pp, "i") || is_word(pp, "he") || is_word(pp, "she") ||
                  kf_context_relation(v, n, i - 2))) ||
                (is_word(p, "be") && pp && is_word(pp, "to")) ||
                (kf_context_relation(v, n, i - 1) && v[i - 1].norm[strlen(v[i - 1].norm) - 1] == 's') ||
                /* "Husband 45 ...", "my son 15 plays ...", "Dad (70)" */
                (kf_context_relation(v, n, i - 1) && !unit_next) ||
                (p->kind != T_WORD && pp && kf_context_relation(v, n, i - 2) && !unit_next) ||
                (boundary_at(v, n, i - 1) && pp && pp->kind == T_WORD &&
                 kf_context_relation(v, n, i - 2) && boundary_at(v, n, i + 1)) ||
                (p->kind == T_COMMA && pp && (is_word(pp, "age") || is_word(pp, "aged"))))
                age = !unit_next ||
                      /* "I am 70 years." (the "old" left out): being N years
                       * is an age, not how long it has hurt */
                      (nx && unit_days(nx->norm) == 365 && val >= 12 &&
                       (is_word(p, "am") || is_word(p, "im") || is_word(p, "hes") ||
                        is_word(p, "shes") || is_word(p, "is")) &&
                       (boundary_at(v, n, i + 2) ||
                        /* "I am 70 years and have a knot" */
                        (i + 2 < n && (is_word(&v[i + 2], "and") || is_word(&v[i + 2], "but") ||
                                       is_word(&v[i + 2], "with") || is_word(&v[i + 2], "i") ||
                                       is_word(&v[i + 2], "have") || is_word(&v[i + 2], "has")))));
            /* "my husband 59 year", "my dad 70 years have ...", "wife 45yrs",
         * "my father, 72 years,": in broken English a relation with a count
         * of years beside it is that person's age, not how long it has hurt
         * ("for 10 years" or "20 years ago" stay a time) */
        if (k->kind == T_NUM && p && !age && nx && unit_days(nx->norm) == 365 &&
            relation_opens(v, n, p->kind == T_COMMA ? i - 2 : i - 1) &&
            !(nx2 && (is_word(nx2, "ago") || is_word(nx2, "of") || is_word(nx2, "back") ||
                      is_word(nx2, "before") || is_word(nx2, "earlier"))))
            age = true;
        /* "my wife of 20 years": how long they have been together */
        if (k->kind == T_NUM && p && is_word(p, "of") && pp && kf_context_relation(v, n, i - 2) &&
            nx && unit_days(nx->norm) == 365)
            continue;
        /* "a lad of 16", "a woman of 60" (not "mum of 3": her children) */
            if (is_word(p, "of") && pp && (is_any_word(pp, female_words) ||
                                            is_any_word(pp, male_words)) && pp->norm[1] &&
                !is_word(pp, "mum") && !is_word(pp, "mom") && !is_word(pp, "mother") &&
                !is_word(pp, "dad") && !is_word(pp, "father") && !is_word(pp, "wife") &&
                !is_word(pp, "husband")) {
                age = !unit_next;
                sex = is_any_word(pp, female_words) ? 'f' : 'm';
            }
            /* "F 34", "M 48, smoker", "(f, 34)" */
            if ((is_word(p, "f") || is_word(p, "m") || is_word(p, "female") ||
                 is_word(p, "male")) && boundary_at(v, n, i - 2) &&
                (boundary_at(v, n, i + 1) || (nx && nx->kind == T_WORD && !unit_next))) {
                age = true;
                sex = p->norm[0] == 'f' ? 'f' : 'm';
            } else if ((p->kind == T_COMMA) && pp && boundary_at(v, n, i - 3) &&
                       (is_word(pp, "f") || is_word(pp, "m") || is_word(pp, "female") ||
                        is_word(pp, "male")) && boundary_at(v, n, i + 1)) {
                age = true;
                sex = pp->norm[0] == 'f' ? 'f' : 'm';
            }
        }
        if (k->kind == T_NUM && nx && nx->kind == T_COMMA && nx2 && boundary_at(v, n, i - 1) &&
            (is_word(nx2, "f") || is_word(nx2, "m") || is_word(nx2, "female") ||
             is_word(nx2, "male")) && boundary_at(v, n, i + 3)) {
            age = true;                         /* "Me: 27, f, barista" */
            sex = nx2->norm[0] == 'f' ? 'f' : 'm';
        }
        if (k->kind == T_NUM && nx) {
            /* "34F", "34 f", "34 male" */
            if ((is_word(nx, "f") || is_word(nx, "m") || is_word(nx, "female") ||
                 is_word(nx, "male")) && boundary_at(v, n, i - 1) &&
                (boundary_at(v, n, i + 2) || (nx2 && is_word(nx2, "here")))) {
                age = true;
                sex = nx->norm[0] == 'f' ? 'f' : 'm';
            }
            if (nx2 && unit_days(nx->norm) == 365 && (is_word(nx2, "old") || is_word(nx2, "young")))
                age = true;
            if ((is_word(nx, "yo") || is_word(nx, "yrs") || is_word(nx, "yr")) && nx2 &&
                is_word(nx2, "old"))
                age = true;
            if (is_word(nx, "yo") || is_word(nx, "yob") ||
                (is_word(nx, "y") && (boundary_at(v, n, i + 2) || (nx2 && (is_word(nx2, "o") ||
                                                                            is_word(nx2, "old"))))))
                age = true;
            /* "in my 40s", "her late 60s", "bloke, 50s", "60s male" */
            long add;
            char said;
            if (is_word(nx, "s") && val % 10 == 0 && val >= 10 && val <= 90 &&
                decade_age(v, n, i, i + 1, &add, &said)) {
                val += add;
                age = true;
                sex = sex ? sex : said;
            }
        }
        /* "Cricket fast bowler, 17, bowl right arm": a number set off by
         * commas after a word, in the first sentence */
        /* ... also after a count of one's children: "dad of 2, 38", "mum of
         * 3, 41" (a small count after "of", not "8 out of 10, 40") */
        bool after_count = pp && pp->kind == T_NUM && pp->num >= 1 && pp->num <= 12 && i >= 4 &&
                           is_word(&v[i - 3], "of") && v[i - 4].kind == T_WORD &&
                           !is_word(&v[i - 4], "out") && !is_word(&v[i - 4], "scale") &&
                           !(i >= 5 && is_any_word(&v[i - 5], possessives));
        if (k->kind == T_NUM && val >= 12 && val <= 100 && first_sentence && p &&
            p->kind == T_COMMA && pp && (pp->kind == T_WORD || after_count) && !unit_next &&
            (i + 1 >= n || v[i + 1].kind == T_COMMA || v[i + 1].kind == T_STOP)) {
            age = true;
            /* "dad of 2, 38" said of oneself (not "my dad of ..."): the sex too */
            const token *who_of = after_count ? &v[i - 4] : NULL;
            if (who_of)
                sex = is_any_word(who_of, female_words) && who_of->norm[1] ? 'f'
                    : is_any_word(who_of, male_words) && who_of->norm[1] ? 'm' : 0;
        }
        /* a number standing alone as a sentence: "no rash yet. 67", or
         * opening the text: "86. Can't lift my arms" (12 and up, so not a
         * list's numbering; a lone number with nothing else is no age) */
        if (k->kind == T_NUM && val >= 12 && val <= 100 && (i == 0 || v[i - 1].kind == T_STOP) &&
            (i + 1 >= n || v[i + 1].kind == T_STOP) && (i > 0 || i + 1 < n))
            age = true;
        /* a number opening the text and set off by a comma or "and": "71,
         * new headache and jaw pain when chewing", "71 and a new headache"
         * (not "20, maybe 30 minutes", "12, 13 hours a day": the next word
         * is no number or hedge) */
        if (k->kind == T_NUM && val >= 12 && val <= 110 && i == 0 && !unit_next && nx &&
            (nx->kind == T_COMMA || is_word(nx, "and") || is_word(nx, "with")) && nx2 &&
            nx2->kind == T_WORD && !is_word(nx2, "maybe") && !is_word(nx2, "or") &&
            !is_word(nx2, "perhaps") && !is_word(nx2, "sometimes") &&
            (i + 3 >= n || v[i + 3].kind != T_NUM) && unit_days(nx2->norm) == 0)
            age = true;
        /* "At 74 I've got...", "at 69, my neck...": "at" opening a sentence,
         * then the person (not "at 3 I woke", "at 40 km/h": no unit, 12 up) */
        if (!age && k->kind == T_NUM && val >= 12 && val <= 110 && p && is_word(p, "at") &&
            boundary_at(v, n, i - 2) && !unit_next && nx &&
            (nx->kind == T_COMMA || is_word(nx, "i") || is_word(nx, "im") ||
             is_word(nx, "ive") || is_word(nx, "my") || is_word(nx, "he") ||
             is_word(nx, "she") || is_word(nx, "hes") || is_word(nx, "shes")))
            age = true;
        /* "since I was 15", "when she was 12": an age in the past, not now */
        if (age && k->kind == T_NUM && p && is_word(p, "was") && i >= 3 &&
            (is_word(&v[i - 3], "since") || is_word(&v[i - 3], "when")))
            age = false;
        /* "..., now 60": the age now */
        if (!age && k->kind == T_NUM && p && is_word(p, "now") && val >= 12 && val <= 100 &&
            !unit_next && boundary_at(v, n, i + 1))
            age = true;
        /* the sex said just after the age: "58yo male", "45 y/o F",
         * "a 45 year old woman" */
        if (age && !sex && k->kind == T_NUM) {
            for (int j = i + 1; j < n && j <= i + 4 && v[j].kind == T_WORD; j++) {
                const token *w = &v[j];
                if (is_any_word(w, female_words) && (w->norm[1] || boundary_at(v, n, j + 1))) {
                    sex = 'f';
                    break;
                }
                if (is_any_word(w, male_words) && (w->norm[1] || boundary_at(v, n, j + 1))) {
                    sex = 'm';
                    break;
                }
                if (!is_word(w, "yo") && !is_word(w, "y") && !is_word(w, "o") &&
                    !is_word(w, "year") && !is_word(w, "years") && !is_word(w, "yr") &&
                    !is_word(w, "yrs") && !is_word(w, "old") && !is_word(w, "young"))
                    break;
            }
        }
        /* "two kids aged 4 and 7", "my son aged 9": the age of whoever
         * is named before "aged", whoever the words around are about */
        if (age && p && (is_word(p, "aged") || is_word(p, "age")) && pp) {
            static const char *const children[] = {
                "kids", "children", "boys", "girls", "twins", "sons", "daughters",
                "grandkids", "grandchildren", "toddlers", "babies", "ones", "kiddies", NULL
            };
            if (is_any_word(pp, children))
                mine = false;
            else if (kf_context_relation(v, n, i - 2))
                mine = who[i - 2] == patient;
        }
        if (age && val >= 1 && val <= 110) {
            if (mine) {
                set_age(r, val, k);
                if (sex && patient == 0)
                    out->sex = sex;
            }
            continue;
        }
        /* weeks of pregnancy in UK notation: "30/40" */
        if (mine && pregnancy && k->kind == T_NUM && nx && nx->kind == T_NUM && nx->num == 40 &&
            val >= 4 && val <= 42 && nx->start - (k->start + k->len) == 1 &&
            r->kb && out->weeks_pregnant < 0) {
            out->weeks_pregnant = (int)val;
            add_named(r, "pregnant", k->start, nx->start + nx->len - k->start);
            i++;
            continue;
        }
        /* "he is 5 months", "she's 5 weeks" (a baby): an age, no time */
        if (baby_age_at(v, n, i))
            continue;
        /* "34 years man", "a 40 years woman": in broken English an age */
        if (k->kind == T_NUM && nx && unit_days(nx->norm) == 365 && nx2 && val >= 12 &&
            (is_any_word(nx2, female_words) || is_any_word(nx2, male_words)) && nx2->norm[1] &&
            !is_word(nx2, "mum") && !is_word(nx2, "mom") && !is_word(nx2, "dad") &&
            !is_word(nx2, "wife") && !is_word(nx2, "husband") && !is_word(nx2, "mother") &&
            !is_word(nx2, "father")) {
            if (mine) {
                set_age(r, val, k);
                if (patient == 0)
                    out->sex = is_any_word(nx2, female_words) ? 'f' : 'm';
            }
            continue;
        }
        /* a unit, possibly after "of": "a couple of weeks" */
        const token *u = nx;
        if (u && is_word(u, "of") && nx2)
            u = nx2;
        int days = u && u->kind == T_WORD ? unit_days(u->norm) : 0;
        if (!days)
            continue;
        int ui = (int)(u - v);
        const token *after = ui + 1 < n ? &v[ui + 1] : NULL;
        if (after && is_word(after, "old"))
            continue;
        /* "it started 3 weeks ago": the time since the pain began; "I
         * moved house 3 weeks ago" says nothing of the pain */
        if (after && is_word(after, "ago") && !onset_clause(v, n, read_as, i, ui + 2))
            continue;
        /* "3 days a week": a rate, not a time */
        if (rate_after(v, n, ui))
            continue;
        /* "a 3 week holiday", "my 6 month contract": the unit is said of
         * the word after it (not "a 2 week knot") */
        bool plural_unit = false;
        if (p && val != 1 && u == nx && unit_word(u, &plural_unit) && !plural_unit && after &&
            after->kind == T_WORD && !(read_as && (read_as[ui + 1] & 3) == READ_PAIN) &&
            (is_word(p, "a") || is_word(p, "an") || is_word(p, "the") || is_word(p, "my") ||
             is_word(p, "our") || is_word(p, "his") || is_word(p, "her") ||
             is_word(p, "this") || is_word(p, "that") || is_word(p, "every")) &&
            !is_word(after, "now") && !is_word(after, "ago") && !is_word(after, "and") &&
            !is_word(after, "or") && !is_word(after, "of") && !is_word(after, "knot") &&
            !is_word(after, "pain") && !is_word(after, "ache"))
            continue;
        /* weeks of pregnancy: "16 weeks pregnant", "expecting-16weeks",
         * "pregnant with my second, 20 weeks", "at 30 weeks"; not "for 3 weeks" */
        bool preg_here = false;
        /* "28 weeks with my second", "34 weeks with our first", "20 weeks
         * with twins": how far along, with the child it will be */
        if (days == 7 && val >= 4 && val <= 42 && u == nx && ui + 2 < n &&
            is_word(&v[ui + 1], "with")) {
            int j = ui + 2;
            if (j + 1 < n && (is_word(&v[j], "my") || is_word(&v[j], "our") ||
                              is_word(&v[j], "her") || is_word(&v[j], "the")))
                j++;
            static const char *const babies[] = {
                "first", "second", "third", "fourth", "fifth", "1st", "2nd", "3rd", "baby",
                "twins", "bump", "number", "rainbow", "little", NULL
            };
            if (is_any_word(&v[j], babies) || (v[j].kind == T_NUM && j + 1 < n &&
                                                (is_word(&v[j + 1], "nd") ||
                                                 is_word(&v[j + 1], "rd") ||
                                                 is_word(&v[j + 1], "st") ||
                                                 is_word(&v[j + 1], "th")))) {
                preg_here = true;
                pregnancy = true;
            }
        }
        for (int j = ui + 1; j < n && j <= ui + 2; j++)
            preg_here |= v[j].kind == T_WORD && (!strncmp(v[j].norm, "pregnan", 7) ||
                                                 is_word(&v[j], "along") ||
                                                 is_word(&v[j], "gestation") ||
                                                 is_word(&v[j], "pg"));
        for (int j = i - 1; j >= 0 && j >= i - 5 && v[j].kind != T_STOP; j--)
            preg_here |= v[j].kind == T_WORD && (!strncmp(v[j].norm, "pregnan", 7) ||
                                                 is_word(&v[j], "expecting"));
        if (i > 0 && is_word(&v[i - 1], "at") && days == 7)
            preg_here = true;
        /* "at 36 weeks" or a bare "37 weeks" set off as its own clause
         * ("F 29, 37 weeks, knot ...") is how far along a pregnancy is,
         * even with no word of pregnancy: no one counts pain that way */
        if (days == 7 && val >= 12 && val <= 42 && u == nx && i > 0 &&
            (is_word(&v[i - 1], "at") ||
             (boundary_at(v, n, i - 1) && boundary_at(v, n, ui + 1)))) {
            preg_here = true;
            pregnancy = true;
        }
        /* "36 weeks and my back ...", "28 wks, knot ...": weeks opening a
         * description are how far along a pregnancy is */
        if (i == 0 && days == 7 && val >= 12 && val <= 42 && u == nx &&
            (ui + 1 >= n || v[ui + 1].kind != T_WORD || is_word(&v[ui + 1], "and") ||
             is_word(&v[ui + 1], "pregnant") || is_word(&v[ui + 1], "along"))) {
            preg_here = true;
            pregnancy = true;
        }
        if (read_as && (read_as[i] & READ_PREGNANCY) && days == 7 && val >= 4 && val <= 42) {
            preg_here = true;
            pregnancy = true;
        }
        if (i > 0 && is_word(&v[i - 1], "for"))
            preg_here = false;
        if (!mine)
            continue;
        if (pregnancy && preg_here && days == 7 && val <= 42) {
            out->weeks_pregnant = (int)val;
            add_named(r, "pregnant", k->start, u->start + u->len - k->start);
            continue;
        }
        if (pregnancy && preg_here && days == 30 && val <= 10) {
            out->weeks_pregnant = (int)(val * 13 / 3);
            add_named(r, "pregnant", k->start, u->start + u->len - k->start);
            continue;
        }
        long d = val * days;
        if (d > 36500 || duration_of_habit(v, n, read_as, i, ui + 1))
            continue;
        if (d > out->duration_days) {
            out->duration_days = (int)d;
            r->read++;
            if (d >= 90)
                add_named(r, "chronic", k->start, u->start + u->len - k->start);
        }
    }
    word_durations(r, v, n, who, patient, read_as);
    (void)kb;
}

/* "Farmer, 58 ... I broke my collarbone at 20 on a motorbike": "at N" in
 * the clause of an injury or an operation is an age in the past when the
 * age now is known and at least two years more, the number has no unit
 * after it (not "at 70 mph", "at 3 pm", "at 40 km/h") and nothing in the
 * sentence makes it recent.  Such readings are history.  (A bare "at 70"
 * with no age said stays an injury: it may be a speed.) */
static bool past_age_at(const token *v, int n, int i)
{
    static const char *const units[] = {
        "mph", "kmh", "kph", "km", "kms", "miles", "mile", "am", "pm", "oclock", "o",
        "percent", "degrees", "metres", "meters", "m", "feet", "ft", "foot", "mins", "minutes",
        "hours", "hrs", "kg", "kilos", "lbs", "pounds", "reps", "sets", "times", "ish", NULL
    };
    /* 13 and up: "at 3", "at 11" are more often the time of day */
    if (v[i].kind != T_NUM || i == 0 || !is_word(&v[i - 1], "at") || v[i].num < 13 ||
        v[i].num > 110)
        return false;
    if (i + 1 < n && v[i + 1].kind == T_NUM)
        return false;                     /* "at 3:30" */
    return !(i + 1 < n && v[i + 1].kind == T_WORD &&
             (is_any_word(&v[i + 1], units) || unit_days(v[i + 1].norm)));
}

static void past_ages(reader *rd, const token *v, int n, kf_ctx_match *cm, int nm,
                      const int *who, int patient, const unsigned char *read_as)
{
    int age = -2;
    for (int k = 0; k < nm; k++) {
        if ((cm[k].kind != KF_FIND_REDFLAG && cm[k].kind != KF_FIND_HISTORY) ||
            (cm[k].ctx & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL | KF_CTX_HISTORICAL |
                          KF_CTX_SINCE)))
            continue;
        int c0 = cm[k].first, c1 = cm[k].last;
        while (c0 > 0 && c0 > cm[k].first - 12 && !boundary_at(v, n, c0 - 1))
            c0--;
        while (c1 < cm[k].last + 12 && !boundary_at(v, n, c1 + 1))
            c1++;
        int at = -1;
        for (int i = c0; i <= c1 && at < 0; i++)
            if (past_age_at(v, n, i))
                at = i;
        if (at < 0)
            continue;
        int s0 = c0, s1 = c1;
        while (s0 > 0 && s0 > c0 - 40 && v[s0 - 1].kind != T_STOP)
            s0--;
        while (s1 + 1 < n && s1 < c1 + 40 && v[s1 + 1].kind != T_STOP)
            s1++;
        bool recent = false;
        for (int i = s0; i <= s1 && !recent; i++)
            recent = v[i].kind == T_WORD &&
                     ((unit_days(v[i].norm) && unit_days(v[i].norm) <= 30) ||
                      is_word(&v[i], "yesterday") || is_word(&v[i], "today") ||
                      is_word(&v[i], "recently") || is_word(&v[i], "last") ||
                      is_word(&v[i], "ago") || is_word(&v[i], "morning") ||
                      is_word(&v[i], "afternoon") || is_word(&v[i], "eve") ||
                      is_word(&v[i], "evening") || is_word(&v[i], "tonight") ||
                      is_word(&v[i], "this") || is_word(&v[i], "just"));
        if (recent)
            continue;
        if (age == -2) {              /* the age now, read once */
            kf_findings tmp;
            kf_findings_init(&tmp);
            reader r2 = { .kb = rd->kb, .out = &tmp };
            read_numbers(&r2, v, n, who, patient, read_as);
            age = tmp.age;
            kf_findings_free(&tmp);
        }
        if (age > 0 && v[at].num <= age - 2)
            cm[k].ctx |= KF_CTX_HISTORICAL;
    }
}

/* "The left side of my back between the shoulder blade and the spine": the
 * side of the back said and then the place on it, higher up than a kidney.
 * The more specific place wins: the flank reading of the bare "side of my
 * back" (reading k) gives way when a place of the shoulder blade, neck or
 * shoulder follows it at once ("under the ribs", "low down" stay the flank). */
static bool flank_named_higher(const kf_kb *kb, const matches *ms, int k, const token *v, int n)
{
    static const char *const plain[] = { "side", "sides", "back", NULL };
    static const char *const lower[] = {
        "pain_mid_back", "pain_low_back", "pain_buttock", "pain_upper_abdomen", "pain_hip_front",
        "flank_pain", NULL
    };
    static const char *const between[] = { "just", "right", "up", "high", "higher", "near", NULL };
    const match *mk = &ms->v[k];
    for (int j = mk->first; j <= mk->last; j++)
        if (v[j].kind != T_WORD || (!is_any_word(&v[j], plain) &&
                                    !(v[j].flags & (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT |
                                                    KF_WORD_BOTH))))
            return false;
    int j = mk->last + 1;
    while (j < n && j <= mk->last + 3 &&
           (v[j].kind == T_COMMA || (v[j].kind == T_WORD && is_any_word(&v[j], between))))
        j++;
    /* the readings of each pass come in text order: the place said right
     * after is among the next few of the list */
    for (int q = k + 1; q < ms->n && q <= k + 4; q++) {
        if (ms->v[q].first < mk->last + 1 || ms->v[q].first > j)
            continue;
        const kf_phrase *ph = &kb->phrases[ms->v[q].phrase];
        for (int f = 0; f < ph->n_finds; f++) {
            const kf_finding_def *d = &kb->findings[ph->finds[f]];
            bool low = false;
            for (int l = 0; lower[l] && !low; l++)
                low = !strcmp(d->id, lower[l]);
            if (d->kind == KF_FIND_LOCATION && !ph->neg[f] && !low)
                return true;
        }
    }
    return false;
}

/* Shingles' band runs round one side of the body.  A burning strip said
 * across both sides in the middle ("right across between my shoulder
 * blades", "across both shoulder blades", "from side to side") with no
 * side named and nothing wrapping round to the front is the strain of a
 * posture held, not that band. */
static bool band_across_both(const token *v, int n, int first, int last)
{
    static const char *const across[] = { "across", "over", "between", NULL };
    static const char *const both[] = {
        "both", "blades", "shoulders", "sides", "middle", "centre", "center", "midline", NULL
    };
    static const char *const one_side[] = {
        "round", "around", "wraps", "wrapping", "wrapped", "front", "ribs", "rib", "ribcage",
        "chest", "belt", "waist", "armpit", "shingles", "rash", "blisters", NULL
    };
    int s0 = first, s1 = last;
    while (s0 > 0 && s0 > first - 30 && v[s0 - 1].kind != T_STOP)
        s0--;
    while (s1 + 1 < n && s1 < last + 30 && v[s1 + 1].kind != T_STOP)
        s1++;
    bool cross = false, mid = false;
    for (int i = s0; i <= s1; i++) {
        if (v[i].kind != T_WORD)
            continue;
        if (((v[i].flags & (KF_WORD_LEFT | KF_WORD_RIGHT)) && v[i].side_ok) ||
            is_any_word(&v[i], one_side) ||
            (is_word(&v[i], "one") && i + 1 <= s1 && is_word(&v[i + 1], "side")))
            return false;
        if (i >= first && i <= last + 10) {
            cross |= is_any_word(&v[i], across);
            mid |= is_any_word(&v[i], both) ||
                   (is_word(&v[i], "side") && i + 2 <= s1 && is_word(&v[i + 1], "to") &&
                    is_word(&v[i + 2], "side"));
        }
    }
    return cross && mid;
}

/* "my back", "hurt my back", "put my back out": the back with no place
 * named (a reading of kb/66-lexicon-reading.kb).  Only the back, stop words
 * and the verbs of those readings are in its words. */
static bool generic_back(const kf_kb *kb, const kf_phrase *ph, const token *v, int first,
                         int last)
{
    static const char *const verbs[] = { "back", "hurt", "put", "puts", "putting", "out", NULL };
    if (ph->n_finds != 1 || strcmp(kb->findings[ph->finds[0]].id, "pain_mid_back") ||
        !is_word(&v[last], "back"))
        return false;
    for (int j = first; j <= last; j++)
        if (v[j].kind != T_WORD || (!(v[j].flags & KF_WORD_STOP) && !is_any_word(&v[j], verbs)))
            return false;
    return true;
}

static bool present(const kf_findings *f, int finding)
{
    const kf_fact *x = kf_findings_get(f, finding);
    return x && x->state == KF_PRESENT;
}

/* The safer reading, second half: words read as the milder of two findings
 * ("my neck is stiff": a stiff neck, or a locked one?) are read as the other
 * too when, with what else was said, it completes a warning-sign rule (a
 * stiff neck with a fever and a headache), and the fact says so. */
static void complete_rules(reader *r)
{
    const kf_kb *kb = r->kb;
    kf_findings *out = r->out;
    for (int i = 0; i < out->n; i++) {
        kf_fact x = out->v[i];
        if (x.state != KF_PRESENT || x.alt < 0 || x.origin != KF_FROM_TEXT ||
            in_no_rule(kb, x.alt) || present(out, x.alt))
            continue;
        for (int k = 0; k < kb->n_redflags; k++) {
            const kf_redflag *rf = &kb->redflags[k];
            bool names = false, ok = true, any = !rf->n_any;
            for (int a = 0; a < rf->n_all && !names; a++)
                names = rf->all[a] == x.alt;
            for (int a = 0; a < rf->n_any && !names; a++)
                names = rf->any[a] == x.alt;
            if (!names)
                continue;
            for (int a = 0; a < rf->n_all && ok; a++)
                ok = rf->all[a] == x.alt || present(out, rf->all[a]);
            for (int a = 0; a < rf->n_any && !any; a++)
                any = rf->any[a] == x.alt || present(out, rf->any[a]);
            for (int a = 0; a < rf->n_none; a++)
                ok &= !present(out, rf->none[a]);
            if (!names || !ok || !any)
                continue;
            kf_fact f = x;
            f.finding = x.alt;
            f.alt = x.finding;
            f.note = KF_NOTE_SAFER;
            f.side = kb->findings[f.finding].sided ? x.side : KF_SIDE_NONE;
            kf_findings_add(out, &f);
            break;
        }
    }
}

/* "F1 ?+ F2" (kb.h): F2, the warning sign the words may also be ("pushing
 * the buggy uphill": effort), is added as the safer reading only when, with
 * what else was said, it completes a red-flag rule that needs something
 * besides F2 (the chest, the arm, breathlessness, a risk of the heart): a
 * rule F2 fires on its own is no company.  Each rule is read as triage.c
 * reads it: every `all` finding, one `any` finding, no `none` finding. */
static void complete_company(reader *r)
{
    const kf_kb *kb = r->kb;
    kf_findings *out = r->out;
    for (int c = 0; c < r->n_company; c++) {
        int alt = r->company[c].alt;
        if (present(out, alt))
            continue;
        for (int k = 0; k < kb->n_redflags; k++) {
            const kf_redflag *rf = &kb->redflags[k];
            bool names = false, ok = true, other = false, any = !rf->n_any;
            for (int a = 0; a < rf->n_all; a++) {
                names |= rf->all[a] == alt;
                if (rf->all[a] != alt) {
                    ok &= present(out, rf->all[a]);
                    other = true;
                }
            }
            for (int a = 0; a < rf->n_any; a++) {
                names |= rf->any[a] == alt;
                if (rf->any[a] != alt && present(out, rf->any[a]))
                    any = other = true;
            }
            for (int a = 0; a < rf->n_none; a++)
                ok &= !present(out, rf->none[a]);
            if (!names || !ok || !any || !other)
                continue;
            kf_fact f = { .finding = alt, .state = KF_PRESENT, .origin = KF_FROM_TEXT,
                          .alt = -1, .start = r->company[c].start, .len = r->company[c].len,
                          .note = KF_NOTE_SAFER,
                          .side = kb->findings[alt].sided ? r->company[c].side : KF_SIDE_NONE };
            kf_findings_add(out, &f);
            r->read++;
            break;
        }
    }
}

/* A symptom said as present that goes with a feared warning sign: a warning
 * sign, a symptom, or a pain at the front of the body (chest, jaw, arm) --
 * not a place on the back, where a muscle knot is. */
static bool companion(const kf_kb *kb, const kf_findings *out, int f)
{
    if (!present(out, f))
        return false;
    const kf_finding_def *d = &kb->findings[f];
    if (d->kind == KF_FIND_LOCATION)
        return d->region >= 0 && !kb->regions[d->region].back;
    return d->kind == KF_FIND_REDFLAG || d->kind == KF_FIND_SYMPTOM;
}

/* A fear that a warning sign is happening now ("I'm scared I'm having a
 * heart attack", "is this a heart attack?", "what if it's a heart attack"),
 * said with a symptom that goes with it, is the warning sign: the safer
 * reading (NHS: call 999 if you think someone is having a heart attack),
 * and the fact says so.  The feared sign is one an emergency rule takes on
 * its own (the thought is reason enough: heart_attack_now); the symptom is
 * a companion (above) that another emergency rule of the same mimic names
 * (chest tightness, an arm, the jaw, breathlessness, a sweat, sickness).
 * "Scared it's a heart attack but it only hurts when I press the knot under
 * my shoulder blade" names none, and stays a worry to check. */
static void feared_now(reader *r)
{
    const kf_kb *kb = r->kb;
    kf_findings *out = r->out;
    for (int h = 0; h < out->n_hypothetical; h++) {
        int fh = out->hypothetical[h];
        if (kf_findings_get(out, fh))
            continue;                      /* said, or denied, elsewhere */
        int mimic = -1;
        for (int k = 0; k < kb->n_redflags && mimic < 0; k++) {
            const kf_redflag *rf = &kb->redflags[k];
            if (rf->level == KF_TRIAGE_EMERGENCY && rf->n_all == 1 && rf->all[0] == fh &&
                !rf->n_any && rf->mimic >= 0)
                mimic = rf->mimic;
        }
        bool with = false;
        for (int k = 0; mimic >= 0 && k < kb->n_redflags && !with; k++) {
            const kf_redflag *rf = &kb->redflags[k];
            if (rf->level != KF_TRIAGE_EMERGENCY || rf->mimic != mimic)
                continue;
            for (int a = 0; a < rf->n_all && !with; a++)
                with = rf->all[a] != fh && companion(kb, out, rf->all[a]);
            for (int a = 0; a < rf->n_any && !with; a++)
                with = rf->any[a] != fh && companion(kb, out, rf->any[a]);
        }
        if (!with)
            continue;
        kf_fact f = { .finding = fh, .state = KF_PRESENT, .origin = KF_FROM_TEXT, .alt = -1,
                      .start = -1, .len = 0, .ctx = 0, .note = KF_NOTE_SAFER,
                      .side = KF_SIDE_NONE };
        kf_findings_add(out, &f);
        r->read++;
        /* taken as said: no longer only asked about */
        for (int j = h + 1; j < out->n_hypothetical; j++)
            out->hypothetical[j - 1] = out->hypothetical[j];
        out->n_hypothetical--;
        h--;
    }
}

/* Is phrase ph, read over v[first..last], a helper who cannot help named by
 * a relation word of its own ("my wife can't help", "my partner works
 * away")?  Its no_helper is then the person in pain's circumstance. */
static bool helper_away(const kf_kb *kb, const kf_phrase *ph, const token *v, int n, int first,
                        int last)
{
    int no_helper = kf_kb_finding(kb, "no_helper");
    bool finds = false;
    for (int f = 0; f < ph->n_finds && !finds; f++)
        finds = ph->finds[f] == no_helper && !ph->neg[f];
    if (!finds)
        return false;
    for (int j = first; j <= last && j < n; j++)
        if (v[j].kind == T_WORD && kf_context_relation(v, n, j))
            return true;
    return false;
}

/* What a finding's context makes of it. */
static bool keeps_history(const kf_kb *kb, int f)
{
    const kf_finding_def *d = &kb->findings[f];
    /* an age band said of the past ("since I was a teenager") is no age now */
    if (!strcmp(d->id, "teen") || !strcmp(d->id, "over_50") || !strcmp(d->id, "over_65"))
        return false;
    /* "an operation in the last weeks" said of the past ("had a c-section
     * years ago, fully healed") is no operation of the last weeks */
    if (!strncmp(d->id, "recent_", 7))
        return false;
    return d->kind == KF_FIND_HISTORY || d->kind == KF_FIND_BODY || strstr(d->id, "history") ||
           !strcmp(d->id, "osteoporosis");
}

bool kf_text_is_words(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        long cp;
        int l = utf8(s, n, i, &cp);
        if (cp < 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F)
            bad++;
        i += (size_t)l;
    }
    return bad <= 32 || bad * 10 <= n;
}

/* Is there an order-free match of phrase ph in ms ending in the sentence
 * of token `first`, before it and near (the 3a matches come in text order)? */
static bool said_in_sentence(const matches *ms, const kf_ptok *pt, int ph, int first)
{
    for (int k = ms->n - 1; k >= 0; k--) {
        const match *m = &ms->v[k];
        if (first - m->last > 4 * KF_PAT_WINDOW)
            break;
        if (m->phrase != ph || !m->apart || m->last >= first)
            continue;
        bool same = true;
        for (int j = m->last + 1; j < first && same; j++)
            same = pt[j].kind != KF_PT_STOP;
        if (same)
            return true;
    }
    return false;
}

/* The reading (3b) at token i: the longest plain phrase, then the patterns
 * longest first, as if in one list ordered by the most words each can read
 * (a phrase before a pattern of its length): the match that reads the most
 * words wins, the earlier in that order on a tie.  Returns the phrase, or
 * -1; *bm is the pattern's match (bm->n 0 for a plain phrase), *len the
 * words it reads, *last its last token. */
static int best_reading(const kf_kb *kb, const kf_ptok *pt, int n, int i, sentence *sw,
                        kf_pmatch *bm, int *len, int *last)
{
    int w = pt[i].kind == KF_PT_NUM ? kb->n_words : pt[i].word;
    /* a stop word starts no phrase, only a pattern that names it ("this" morning) */
    if ((pt[i].kind != KF_PT_WORD && pt[i].kind != KF_PT_NUM) || w < 0 || pt[i].used)
        return -1;
    int best = -1, best_len = 0, best_last = -1;
    bm->n = 0;
    int plen = 0, plast = -1;
    int pbest = pt[i].kind == KF_PT_WORD ? longest_phrase(kb, pt, n, i, &plen, &plast) : -1;
    bool phrase_seen = pbest < 0;
    for (int q = kb->pat_first[w]; q < kb->pat_first[w + 1]; q++) {
        const kf_phrase *p = &kb->phrases[kb->pat_order[q]];
        if (!phrase_seen && plen >= p->max_len) {
            phrase_seen = true;
            if (plen > best_len) {
                best = pbest;
                best_len = plen;
                best_last = plast;
                bm->n = 0;
            }
        }
        if (p->max_len <= best_len)
            break;                    /* sorted: nothing later is longer */
        kf_pmatch pm;
        sentence_at(sw, pt, n, i);
        if (sentence_may(sw, kb, kb->pat_order[q]) &&
            kf_pattern_match(p->prog, pt, n, i, &pm) && pm.words > best_len) {
            best = kb->pat_order[q];
            best_len = pm.words;
            best_last = pm.last;
            *bm = pm;
        }
    }
    if (!phrase_seen && plen > best_len) {
        best = pbest;
        best_len = plen;
        best_last = plast;
        bm->n = 0;
    }
    *len = best_len;
    *last = best_last;
    return best;
}

/* Marks the tokens the reading `best` at i takes as used (a pattern its
 * own, a phrase all from i to last); returns the token to carry on after. */
static int claim(const kf_kb *kb, kf_ptok *pt, int i, int best, int last, const kf_pmatch *bm)
{
    if (kb->phrases[best].prog) {
        for (int k = 0; k < bm->n; k++)
            pt[bm->at[k]].used = 1;
        if (bm->at[bm->n - 1] == last && last - i + 1 == bm->n)
            return last;                  /* contiguous: carry on after it */
        return i;
    }
    for (int j = i; j <= last; j++)
        pt[j].used = 1;
    return last;
}

/* How urgent a warning sign the findings of phrase ph are on their own
 * (severity()), -1 when none is. */
static int phrase_severity(const kf_kb *kb, int ph)
{
    const kf_phrase *p = &kb->phrases[ph];
    int u = -1;
    for (int f = 0; f < p->n_finds; f++) {
        int x = severity(kb, p->finds[f]);
        if (p->alts[f] >= 0 && severity(kb, p->alts[f]) > x)
            x = severity(kb, p->alts[f]);
        u = x > u ? x : u;
    }
    return u;
}

/* May a finding of phrase ph (or its alternative) be a warning sign: one
 * of a red-flag rule, or of that kind?  (kb->in_redflag: no loop over the
 * rules.) */
static bool may_warn(const kf_kb *kb, int ph)
{
    const kf_phrase *p = &kb->phrases[ph];
    for (int f = 0; f < p->n_finds; f++) {
        int alt = p->alts[f] >= 0 ? p->alts[f] : KF_ALT_COMPANY(p->alts[f]);
        if (!in_no_rule(kb, p->finds[f]) || kb->findings[p->finds[f]].kind == KF_FIND_REDFLAG ||
            (alt >= 0 && (!in_no_rule(kb, alt) || kb->findings[alt].kind == KF_FIND_REDFLAG)))
            return true;
    }
    return false;
}

/* How urgent a warning sign the findings of phrase ph can ever be, with
 * what else is said (urgency()), -1 when none is. */
static int phrase_urgency(const kf_kb *kb, int ph)
{
    const kf_phrase *p = &kb->phrases[ph];
    int u = -1;
    for (int f = 0; f < p->n_finds; f++) {
        int x = urgency(kb, p->finds[f]);
        int alt = p->alts[f] >= 0 ? p->alts[f] : KF_ALT_COMPANY(p->alts[f]);
        if (alt >= 0 && urgency(kb, alt) > x)
            x = urgency(kb, alt);
        u = x > u ? x : u;
    }
    return u;
}

/* An order-free match *am (of phrase ph) whose parts lie in two clauses
 * (a comma, "and", "but" or "then" between two of its words) yields a word
 * to the reading (3b) the phrases and patterns would make of it when that
 * reads more words and is as much a warning sign on its own (the safer
 * reading stays): "scrolling on my phone for hours and better when I lean
 * forward" is eased by leaning forward, not relief for hours, while "my
 * head hurts but it did not explode" is still about a head that explodes.
 * A repeat of the same reading in its sentence (`repeat`) says nothing new
 * and yields to a reading of as many words, whatever it says ("the density
 * scan showed thin bones and pain in my lower back").  Tried over the
 * match's sentence near its words, then undone; `sw` holds the sentence's
 * words. */
#define CLAIM_REACH 16
static bool longer_reading_claims(const kf_kb *kb, kf_ptok *pt, int n, sentence *sw,
                                  const kf_pmatch *am, int ph, bool repeat)
{
    int lo = n, hi = -1;
    for (int k = 0; k < am->n; k++)
        if (!pt[am->at[k]].skip) {
            lo = am->at[k] < lo ? am->at[k] : lo;
            hi = am->at[k] > hi ? am->at[k] : hi;
        }
    bool apart = false;
    for (int j = lo + 1; j < hi && !apart; j++) {
        bool own = false;
        for (int k = 0; k < am->n && !own; k++)
            own = am->at[k] == j;
        apart = pt[j].clause && !own;
    }
    /* Within one clause the order-free reading yields only to a warning
     * sign more urgent than itself that reads as many words: "feels like
     * someone is standing on my chest better if I rest" is the crushing
     * chest (an emergency), not "standing" read as the pause that eases it. */
    if (!apart && (repeat || !may_warn(kb, ph)))
        return false;         /* (a reading of no warning sign is not tried) */
    int need = repeat ? -2 : phrase_severity(kb, ph);
    if (!apart) {
        /* more urgent on its own than the order-free reading is alone, and
         * at least as urgent as that can ever be with what else is said: a
         * sign of pre-eclampsia ("her face and fingers puffed up") does not
         * yield to a swelling to see a doctor about */
        int ever = phrase_urgency(kb, ph);
        need = need + 1 > ever ? need + 1 : ever;
        if (ever < 0 || need > KF_TRIAGE_EMERGENCY + 1)
            return false;
    }
    /* a reading that takes one of its words starts before the last of them */
    int from = lo;
    for (int k = 0; k < CLAIM_REACH && from > 0 && pt[from - 1].kind != KF_PT_STOP; k++)
        from--;
    int set[4 * KF_PAT_MARKS], ns = 0;    /* the tokens the trial marks, to undo */
    bool yields = false;
    for (int i = from; i <= hi && !yields; i++) {
        kf_pmatch bm;
        int len, last;
        int best = best_reading(kb, pt, n, i, sw, &bm, &len, &last);
        if (best < 0)
            continue;
        if (len > am->words || (len == am->words && (repeat || !apart)))
            for (int k = 0; k < am->n && !yields; k++) {
                int j = am->at[k];
                if (pt[j].skip || j < i || j > last)
                    continue;
                bool own = !kb->phrases[best].prog;
                for (int b = 0; b < bm.n && !own; b++)
                    own = bm.at[b] == j;
                yields = own && phrase_severity(kb, best) >= need;
            }
        bool phrase = !kb->phrases[best].prog;
        int count = phrase ? last - i + 1 : bm.n;
        if (ns + count > (int)(sizeof set / sizeof *set))
            break;                    /* a trial that long is not worth it */
        for (int k = 0; k < count; k++) {
            int j = phrase ? i + k : bm.at[k];
            if (!pt[j].used)
                set[ns++] = j;
        }
        i = claim(kb, pt, i, best, last, &bm);
    }
    for (int k = 0; k < ns; k++)
        pt[set[k]].used = 0;
    return yields;
}

kf_err kf_text_read(const kf_kb *kb, const char *text, size_t len, kf_findings *out,
                    kf_buf *err)
{
    if (len > KF_TEXT_MAX) {
        if (err)
            /* "at least": a reader of stdin stops soon after the limit, so
             * the length it passes is a floor, not the size of the input */
            kf_buf_printf(err, "the description is at least %zu bytes; the most I read is %d "
                          "bytes (about 1 MB). Please shorten it.", len, KF_TEXT_MAX);
        return KF_ETOOBIG;
    }
    if (!text || !len)
        return KF_OK;
    /* room for the tokens of most texts at once (a word is 4 bytes and
     * more): no copy as the array grows */
    toks t = { kf_malloc((len / 4 + 64) * sizeof *t.v), 0, (int)(len / 4 + 64), false,
               { 0 }, { 0 } };
    if (!t.v)
        return KF_ENOMEM;
    tokenize(kb, text, len, &t);
    if (t.oom) {
        kf_free(t.v);
        words_free(&t.words);
        return KF_ENOMEM;
    }
    token *v = t.v;
    int n = t.n;
    /* "could not", "can not" and "(was) not able to" say what "can't"
     * says: read them as "cant", so the lexicon's "can't ..." phrases match
     * and the "not" denies nothing else. */
    int cant = kf_kb_word(kb, "cant", 4), filler = kf_kb_word(kb, "to", 2);
    /* words that may end a clause, for the order-free patterns */
    int w_and = kf_kb_word(kb, "and", 3), w_but = kf_kb_word(kb, "but", 3),
        w_then = kf_kb_word(kb, "then", 4);
    kf_ptok *pt = kf_malloc((size_t)(n ? n : 1) * sizeof *pt);
    matches ms = { 0 };
    kf_ctx_match *cm = NULL;
    kf_ctx_people people = { 0 };
    kf_err rc = KF_OK;
    if (!pt) {
        rc = KF_ENOMEM;
        goto done;
    }
    int named_side = -1;            /* the last side word that names a side */
    /* One pass (the tokens of 1 MB do not stay in the cache): at each
     * token, what can't-rule may make of it and the two after it, whether
     * its side word names a side, and the matcher's view of it -- each
     * final by then, as the rules look only ahead or at words' text. */
    for (int i = 0; i < n; i++) {
        if (cant >= 0 && is_word(&v[i], "not")) {
            bool after_can = i > 0 && (is_word(&v[i - 1], "could") || is_word(&v[i - 1], "can"));
            bool able = i + 1 < n && is_word(&v[i + 1], "able");
            if (after_can || able) {
                v[i].word = cant;
                v[i].flags = kb->word_flags[cant];
                if (able && filler >= 0)
                    for (int j = i + 1; j < n && j <= i + 2; j++)
                        if (is_word(&v[j], "able") || is_word(&v[j], "to")) {
                            v[j].word = filler;
                            v[j].flags = kb->word_flags[filler];
                        }
            }
        }
        if (v[i].kind == T_WORD && (v[i].flags & (KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)))
            v[i].side_ok = (v[i].flags & KF_WORD_BOTH) || side_word_ok(v, n, i);
        else if (named_side >= 0 && v[i].norm[0] == 's' && v[i].kind == T_WORD)
            side_by_reference(v, i, side_of(&v[named_side]));
        if (v[i].side_ok && !v[i].ref_side)
            named_side = i;
        pt[i] = (kf_ptok){ .word = v[i].word,
                           .kind = v[i].kind == T_WORD ? KF_PT_WORD : v[i].kind == T_NUM
                                   ? KF_PT_NUM : v[i].kind == T_COMMA ? KF_PT_COMMA : KF_PT_STOP,
                           .skip = skippable(&v[i]), .used = 0,
                           .num = v[i].kind == T_NUM ? (int)v[i].num : -1,
                           .clause = v[i].kind == T_COMMA ||
                                     (v[i].kind == T_WORD && v[i].word >= 0 &&
                                      (v[i].word == w_and || v[i].word == w_but ||
                                       v[i].word == w_then)) };
    }
    sentence sw = { kf_calloc((size_t)kb->n_words / 64 + 1, sizeof *sw.bits), 0, kb->n_words,
                    1, NULL, NULL };
    if (!sw.bits) {
        rc = KF_ENOMEM;
        goto done;
    }
    if (n >= MAY_MEMO_TOKENS && kb->n_phrases > 0) {
        sw.may_gen = kf_calloc((size_t)kb->n_phrases, sizeof *sw.may_gen);
        sw.may = sw.may_gen ? kf_malloc((size_t)kb->n_phrases) : NULL;
        if (!sw.may) {                 /* no memory for them: asked each time */
            kf_free(sw.may_gen);
            sw.may_gen = NULL;
        }
    }
    /* (3a) concepts said together in one clause, in any order */
    for (int i = 0; i < n; i++) {
        int w = pt[i].kind == KF_PT_NUM ? kb->n_words : pt[i].word;
        if ((pt[i].kind != KF_PT_WORD && pt[i].kind != KF_PT_NUM) || w < 0 || pt[i].used)
            continue;
        for (int q = kb->co_first[w]; q < kb->co_first[w + 1]; q++) {
            int ph = kb->co_order[q];
            kf_pmatch pm;
            sentence_at(&sw, pt, n, i);
            if (!sentence_may(&sw, kb, ph) ||
                !kf_pattern_match(kb->phrases[ph].prog, pt, n, i, &pm))
                continue;
            /* An order-free reading takes only its own words, and
             * across clauses yields them to what the phrases would read
             * (longer_reading_claims). */
            if (longer_reading_claims(kb, pt, n, &sw, &pm, ph,
                                      said_in_sentence(&ms, pt, ph, pm.first)))
                continue;
            if (!add_match(&ms, ph, pm.first, pm.last, true))
                break;
            for (int k = 0; k < pm.n; k++)
                v[pm.at[k]].used = true, pt[pm.at[k]].used = 1;
            break;
        }
    }
    /* (3b) phrases and patterns, longest first at each position, left to right */
    sentence_clear(&sw);              /* a new pass from the start */
    for (int i = 0; i < n && !ms.oom; i++) {
        kf_pmatch bm;
        int best_len, best_last;
        int best = best_reading(kb, pt, n, i, &sw, &bm, &best_len, &best_last);
        if (best < 0)
            continue;
        if (!add_match(&ms, best, i, best_last, false))
            break;
        int at = claim(kb, pt, i, best, best_last, &bm);
        for (int j = i; j <= best_last; j++)
            v[j].used = pt[j].used;
        i = at;
    }
    /* the matcher's view of the tokens is done with: freed before the
     * context's per-token arrays come */
    kf_free(pt);
    pt = NULL;
    kf_free(sw.bits);
    sw.bits = NULL;
    kf_free(sw.may_gen);
    kf_free(sw.may);
    if (ms.oom) {
        rc = KF_ENOMEM;
        goto done;
    }
    /* (4) context */
    cm = kf_malloc((size_t)(ms.n ? ms.n : 1) * sizeof *cm);
    if (!cm) {
        rc = KF_ENOMEM;
        goto done;
    }
    for (int k = 0; k < ms.n; k++) {
        const kf_phrase *ph = &kb->phrases[ms.v[k].phrase];
        cm[k] = (kf_ctx_match){ ms.v[k].first, ms.v[k].last,
                                ph->n_finds ? (int)kb->findings[ph->finds[0]].kind : -1, 0,
                                ms.v[k].apart };
    }
    if ((rc = kf_context_apply(v, n, cm, ms.n, &people)) != KF_OK)
        goto done;
    /* (5) sides, (6) facts.  The last side named before a sentence carries
     * into the next ones for sided findings that name none ("my left
     * shoulder blade... it hurts to lift the arm"): kept as we go, since
     * matches come in text order within each pass. */
    reader rd = { .kb = kb, .out = out };
    int *last_side = kf_malloc((size_t)(n + 1) * sizeof *last_side);
    if (!last_side) {
        rc = KF_ENOMEM;
        goto done;
    }
    for (int i = 0, ls = -1; i <= n; i++) {
        last_side[i] = ls;
        if (i < n && v[i].side_ok)
            ls = i;
    }
    /* What each token was read as (see duration_of_habit). */
    unsigned char *read_as = kf_calloc((size_t)n + 1, 1);
    if (!read_as) {
        kf_free(last_side);
        rc = KF_ENOMEM;
        goto done;
    }
    int chronic_id = kf_kb_finding(kb, "chronic"), pregnant_id = kf_kb_finding(kb, "pregnant");
    int one_leg = kf_kb_finding(kb, "tingling_leg"), both_legs = kf_kb_finding(kb, "leg_weakness");
    int injury_id = kf_kb_finding(kb, "fall_or_blow");
    int flank_id = kf_kb_finding(kb, "flank_pain"), band_id = kf_kb_finding(kb, "burning_band");
    for (int k = 0; k < ms.n; k++) {
        const kf_phrase *ph = &kb->phrases[ms.v[k].phrase];
        unsigned char as = 0;
        for (int f = 0; f < ph->n_finds; f++) {
            kf_finding_kind fk = kb->findings[ph->finds[f]].kind;
            if (ph->finds[f] == chronic_id)
                continue;
            if (fk == KF_FIND_LOCATION || fk == KF_FIND_SYMPTOM)
                as = READ_PAIN;
            else if (!as && (fk == KF_FIND_HABIT || fk == KF_FIND_HISTORY))
                as = READ_LIFESTYLE;
        }
        for (int j = ms.v[k].first; as && j <= ms.v[k].last; j++)
            read_as[j] = as;
        /* the words read as a pregnancy ("my wife is 34 weeks", "I'm 29
         * weeks"): their weeks are how far along it is */
        for (int f = 0; f < ph->n_finds; f++)
            if (ph->finds[f] == pregnant_id && !ph->neg[f])
                for (int j = ms.v[k].first; j <= ms.v[k].last; j++)
                    read_as[j] |= READ_PREGNANCY;
    }
    past_ages(&rd, v, n, cm, ms.n, people.who, people.patient, read_as);
    /* The back with no place named counts only when no place at all is
     * named for the person in pain ("my back hurts between my blades" is
     * between the blades). */
    bool place_named = false;
    for (int k = 0; k < ms.n && !place_named; k++) {
        const kf_phrase *ph = &kb->phrases[ms.v[k].phrase];
        if (cm[k].ctx & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL | KF_CTX_OTHER | KF_CTX_HISTORICAL |
                         KF_CTX_INSTRUMENT))
            continue;
        for (int f = 0; f < ph->n_finds && !place_named; f++)
            place_named = kb->findings[ph->finds[f]].kind == KF_FIND_LOCATION && !ph->neg[f] &&
                          !generic_back(kb, ph, v, ms.v[k].first, ms.v[k].last);
    }
    /* A place described in the writer's own words ("under my shoulder blade
     * near my armpit") outranks a muscle named as a guess, someone's opinion
     * or a thing corrected ("I think it's my rhomboid", "the physio says
     * it's my levator but ...", "my trap is knotted but the pain is really
     * ..."): people often name the wrong muscle, so its place is dropped
     * then.  A muscle named with no place described still gives its place. */
    bool place_described = false;
    for (int k = 0; k < ms.n && !place_described; k++) {
        const kf_phrase *ph = &kb->phrases[ms.v[k].phrase];
        if (cm[k].ctx & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL | KF_CTX_OTHER | KF_CTX_HISTORICAL |
                         KF_CTX_INSTRUMENT | KF_CTX_HEDGED))
            continue;
        bool place = false;
        for (int f = 0; f < ph->n_finds && !place; f++)
            place = kb->findings[ph->finds[f]].kind == KF_FIND_LOCATION && !ph->neg[f];
        place_described = place && !muscle_named(v, ms.v[k].first, ms.v[k].last);
    }
    for (int k = 0; k < ms.n; k++) {
        const match *mk = &ms.v[k];
        const kf_phrase *ph = &kb->phrases[mk->phrase];
        unsigned ctx = cm[k].ctx;
        if (place_named && generic_back(kb, ph, v, mk->first, mk->last))
            continue;
        if (place_described && ph->n_finds && !(ctx & KF_CTX_NEGATED) &&
            kb->findings[ph->finds[0]].kind == KF_FIND_LOCATION &&
            ((ctx & KF_CTX_HEDGED) || reported(v, mk->first)) &&
            muscle_named(v, mk->first, mk->last))
            continue;
        /* "ex smoker for decades": how long the habit lasted */
        if (ph->n_finds == 1 && ph->finds[0] == chronic_id &&
            duration_of_habit(v, n, read_as, mk->first, mk->last + 1))
            continue;
        bool negated = ctx & KF_CTX_NEGATED;
        /* A negation inside a question ("how is it possible not to lean my
         * head forward?") asks; it does not deny, so it says nothing. */
        if (negated && (ctx & KF_CTX_QUESTION))
            continue;
        /* About someone else: not the patient's, except what a relative's
         * illness says of the patient's own family history (a `family_`
         * finding: "my dad died of a heart attack at 52"). */
        bool other = ctx & KF_CTX_OTHER;
        bool family = false;
        for (int f = 0; other && f < ph->n_finds; f++)
            family |= !strncmp(kb->findings[ph->finds[f]].id, "family_", 7);
        /* ... and a helper who cannot help, named in the reading's own words
         * ("my wife can't help me with it", "my husband works away"): the
         * one without a helper is the person in pain, not the helper */
        if (other && !family && helper_away(kb, ph, v, n, mk->first, mk->last)) {
            other = false;
            ctx &= ~(unsigned)KF_CTX_OTHER;
        }
        if (other && !family)
            continue;
        if ((ctx & KF_CTX_HYPOTHETICAL) && !negated) {
            /* an operation or a habit only wondered about ("will I need
             * surgery?") is no sign to watch for */
            for (int f = 0; f < ph->n_finds; f++)
                if (!ph->neg[f] && kb->findings[ph->finds[f]].kind != KF_FIND_HISTORY &&
                    kb->findings[ph->finds[f]].kind != KF_FIND_HABIT)
                    add_hypothetical(out, ph->alts[f] >= 0 &&
                                     urgency(kb, ph->alts[f]) > urgency(kb, ph->finds[f])
                                     ? ph->alts[f] : ph->finds[f]);
            continue;
        }
        if (ctx & KF_CTX_HYPOTHETICAL)
            continue;
        kf_side side = find_side(v, n, mk->first, mk->last);
        /* a load on one side sits where the words after it put it, before
         * any side said earlier of the pain ("a knot by my right shoulder
         * blade, I carry my purse on the left") */
        for (int f = 0; f < ph->n_finds; f++)
            if (kb->findings[ph->finds[f]].n_own_side) {
                kf_side at = load_side_after(v, n, mk->last);
                if (at != KF_SIDE_NONE)
                    side = at;
                break;
            }
        /* a place that is the subject of a side said of it ("the knot under
         * my shoulder blade is on the other side", "the spot by my blade is
         * on the right too"): that side, before one said nearer behind it */
        if (ph->n_finds && kb->findings[ph->finds[0]].kind == KF_FIND_LOCATION && !negated)
            for (int j = mk->last + 1; j < n && j <= mk->last + 7 && v[j].kind != T_STOP; j++)
                if (v[j].side_ok) {
                    kf_side at = pain_side_said(v, j, NULL, 0, mk->last);
                    if (at != KF_SIDE_NONE)
                        side = at;
                    break;
                }
        /* a denial ("my neck doesn't hurt") takes no side from earlier words */
        if (side == KF_SIDE_NONE && !negated && last_side[mk->first] >= 0)
            side = side_of(&v[last_side[mk->first]]);
        int start = v[mk->first].start;
        int blen = v[mk->last].start + v[mk->last].len - start;
        /* "she's 5 weeks" said of a baby: her age, no pregnancy */
        bool baby_age = false;
        for (int j = mk->first; j <= mk->last && !baby_age; j++)
            baby_age = baby_age_at(v, n, j);
        for (int f = 0; f < ph->n_finds; f++) {
            int fid = ph->finds[f];
            if (baby_age && fid == pregnant_id && !ph->neg[f])
                continue;
            if (other && strncmp(kb->findings[fid].id, "family_", 7))
                continue;
            /* "~F": words that only ever name a fear ("could it be my
             * heart?", "a heart condition") are what to check, never a
             * fact; denied ("not worried about my heart") they say nothing. */
            if (ph->worry && ph->worry[f]) {
                if (!negated)
                    add_hypothetical(out, fid);
                continue;
            }
            /* "a crash years ago, my neck has hurt ever since": the pain
             * began with the injury, which is still where it came from */
            bool since_injury = (ctx & KF_CTX_SINCE) && fid == injury_id;
            /* months back ("a c-section 4 months ago", "a fall a month
             * ago"): an operation, a birth or a fall is still of now */
            bool months_kept = (ctx & KF_CTX_MONTHS_AGO) &&
                               (!strncmp(kb->findings[fid].id, "recent_", 7) || fid == injury_id);
            if ((ctx & KF_CTX_HISTORICAL) && !keeps_history(kb, fid) && !since_injury &&
                !months_kept) {
                /* "I used to play tennis"; a warning sign in the past ("I
                 * had a stroke last year") is what to watch for now */
                if (!negated && !ph->neg[f] && kb->findings[fid].kind == KF_FIND_REDFLAG)
                    add_hypothetical(out, fid);
                continue;
            }
            if ((ctx & KF_CTX_CONDITION) && kb->findings[fid].kind == KF_FIND_HABIT)
                continue;         /* "it eases if I lean back" */
            if (fid == flank_id && flank_named_higher(kb, &ms, k, v, n))
                continue;
            if (fid == band_id && band_across_both(v, n, mk->first, mk->last))
                continue;
            /* "lift boxes with my right arm": the arm used, not a place */
            if ((ctx & KF_CTX_INSTRUMENT) && kb->findings[fid].kind == KF_FIND_LOCATION)
                continue;
            kf_state st;
            if (ph->neg[f])
                st = KF_ABSENT;          /* the phrase itself denies it */
            else
                st = negated ? KF_ABSENT : KF_PRESENT;
            /* "I'm not saying there's no blood in my pee": a denial said
             * not to hold.  What the phrase denies is there, and a warning
             * sign among it (a phrase may deny several: "no numbness in my
             * leg") is no evidence either way, and what to check. */
            if (ph->neg[f] && (ctx & KF_CTX_DENIAL_DENIED)) {
                st = KF_PRESENT;
                if (kb->findings[fid].kind == KF_FIND_REDFLAG) {
                    st = KF_UNSURE;
                    add_hypothetical(out, fid);
                }
            }
            /* "I don't think I have a fever": a warning sign denied only as
             * a guess is no evidence either way, and what to check */
            if (st == KF_ABSENT && (ctx & KF_CTX_HEDGED) &&
                kb->findings[fid].kind == KF_FIND_REDFLAG) {
                st = KF_UNSURE;
                add_hypothetical(out, fid);
            }
            /* one leg is the low back's nerve; both ("my legs tingle",
             * "both feet") the spinal cord's sign (kb/66-lexicon-reading) */
            if (fid == one_leg && both_legs >= 0)
                for (int j = mk->first; j <= mk->last; j++)
                    if (tok_is(&v[j], "legs") || tok_is(&v[j], "feet") || tok_is(&v[j], "both") ||
                        tok_is(&v[j], "thighs") || tok_is(&v[j], "calves"))
                        fid = both_legs;
            /* "?F": words that make F only likely ("I'm a nurse" for lifting
             * patients) are read as a guess, weak evidence of it */
            unsigned fctx = ctx;
            if (ph->weak && ph->weak[f] && st == KF_PRESENT)
                fctx |= KF_CTX_HEDGED;
            add_fact(&rd, fid, st, side, negated ? -1 : ph->alts[f], start, blen, fctx);
            int with = KF_ALT_COMPANY(ph->alts[f]);
            if (with >= 0 && st == KF_PRESENT &&
                rd.n_company < KF_COMPANY_MAX)
                rd.company[rd.n_company++] = (company_wait){ with, start, blen, side };
        }
    }
    kf_free(last_side);
    /* A pain said to be on a side apart from its place (pain_side_said):
     * the places of pain read with no side take it ("a knot under my
     * shoulder blade ... I carry my bag on my right shoulder and the knot is
     * on that side").  One pass over the side words, one over the facts. */
    kf_side said_side = KF_SIDE_NONE;
    for (int j = 1; j < n; j++)
        if (v[j].side_ok)
            said_side |= pain_side_said(v, j, people.who, people.patient, -1);
    if (said_side == KF_SIDE_LEFT || said_side == KF_SIDE_RIGHT)
        for (int i = 0; i < out->n; i++) {
            kf_fact *o = &out->v[i];
            if (o->origin == KF_FROM_TEXT && o->state == KF_PRESENT && o->side == KF_SIDE_NONE &&
                o->finding >= 0 && kb->findings[o->finding].kind == KF_FIND_LOCATION &&
                kb->findings[o->finding].sided)
                o->side = said_side;
        }
    read_numbers(&rd, v, n, people.who, people.patient, read_as);
    kf_free(read_as);
    complete_rules(&rd);
    complete_company(&rd);
    feared_now(&rd);
    if (people.patient > 0 && people.sex && !out->sex)
        out->sex = people.sex;
    if (people.patient > 0 && !out->patient[0])
        patient_word(v, n, people.who, people.patient, out->patient, sizeof out->patient);
    out->nothing_understood = rd.read == 0 && out->n == 0 && out->n_hypothetical == 0 &&
                              out->age < 0 && out->weeks_pregnant < 0 &&
                              out->duration_days < 0;
done:
    kf_free(people.who);
    kf_free(cm);
    kf_free(ms.v);
    kf_free(pt);
    kf_free(v);
    words_free(&t.words);
    if (rc == KF_OK && out->oom)
        rc = KF_ENOMEM;
    return rc;
}
