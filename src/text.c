/*
 * text.c — words -> findings.
 *
 * Steps: (1) split the bytes into tokens (words, numbers, clause
 * boundaries), folding UTF-8 punctuation and skipping invalid bytes;
 * (2) normalise each word: known misspelling, else one-edit correction
 * against the lexicon, then Snowball stem -> lexicon word id; (3) match
 * lexicon phrases longest-first over the words that are neither stop nor
 * side words; (4) scope negation NegEx-style: a negation word that is not
 * part of a phrase negates the phrases that start within the next few words
 * of its clause; (5) attach the nearest side word of the sentence; (6) read
 * numbers: age, weeks pregnant, how long, and the dominant hand.
 */
#include "text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_WORD, T_NUM, T_COMMA, T_STOP } tok_kind;   /* STOP: end of sentence */

typedef struct {
    tok_kind kind;
    int      start, len;      /* bytes in the original text */
    char     norm[32];        /* lower-case word, apostrophes removed (longer words cut) */
    int      word;            /* lexicon word id or -1 */
    unsigned char flags;      /* kf_word_flag of that word */
    long     num;             /* T_NUM value */
    bool     used;            /* consumed by a phrase */
    bool     side_ok;         /* a side word that really names a side */
} token;

typedef struct {
    token *v;
    int n, cap;
    bool oom;
} toks;

static token *push(toks *t)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 256;
        token *v = kf_realloc(t->v, (size_t)cap * sizeof *v);
        if (!v) {
            t->oom = true;
            return NULL;
        }
        t->v = v;
        t->cap = cap;
    }
    token *k = &t->v[t->n++];
    memset(k, 0, sizeof *k);
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
    case 0x2013: case 0x2014: case 0x2010: case 0x2011: return '-';
    case 0x2026: return '.';
    case 0x00A0: return ' ';
    }
    return ' ';
}

static void tokenize(const char *text, size_t n, toks *t)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    token *cur = NULL;      /* the word being built */
    size_t wl = 0;
    while (i < n) {
        long cp;
        int l = utf8(s, n, i, &cp);
        char c = fold(cp);
        if (isalpha((unsigned char)c) || (c == '\'' && cur && cur->kind == T_WORD)) {
            if (!cur || cur->kind != T_WORD) {
                cur = push(t);
                if (!cur)
                    return;
                cur->kind = T_WORD;
                cur->start = (int)i;
                wl = 0;
            }
            if (c != '\'' && wl < sizeof cur->norm - 1)
                cur->norm[wl++] = (char)tolower((unsigned char)c);
            cur->len = (int)(i + (size_t)l) - cur->start;
        } else if (isdigit((unsigned char)c)) {
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
            cur = NULL;
            tok_kind k = T_WORD;
            bool boundary = false;
            if (c == '.' || c == '!' || c == '?' || c == ';' || c == '\n' || c == '(' ||
                c == ')') {
                k = T_STOP;
                boundary = true;
            } else if (c == ',' || c == ':' || c == '"') {
                k = T_COMMA;
                boundary = true;
            }
            if (boundary && !(t->n && t->v[t->n - 1].kind == k)) {
                token *b = push(t);
                if (!b)
                    return;
                b->kind = k;
                b->start = (int)i;
                b->len = l;
            }
        }
        i += (size_t)l;
    }
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

static bool is_word(const token *k, const char *w)
{
    return k->kind == T_WORD && k->norm[0] == w[0] && !strcmp(k->norm, w);
}

/* Value of a number token or number word, or -1. */
static long num_value(const token *k)
{
    if (k->kind == T_NUM)
        return k->num;
    if (k->kind != T_WORD)
        return -1;
    for (size_t i = 0; i < KF_ARRAY_LEN(number_words); i++)
        if (k->norm[0] == number_words[i].w[0] && !strcmp(k->norm, number_words[i].w))
            return number_words[i].v;
    return -1;
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
    if (i + 1 < n && v[i + 1].kind == T_WORD)
        for (int k = 0; not_after[k]; k++)
            if (!strcmp(v[i + 1].norm, not_after[k]))
                return false;
    if (i > 0 && v[i - 1].kind == T_WORD)
        for (int k = 0; not_before[k]; k++)
            if (!strcmp(v[i - 1].norm, not_before[k]))
                return false;
    /* "left" at the end of a sentence is usually the verb ("it never left"). */
    if (!strcmp(v[i].norm, "left") && (i + 1 >= n || v[i + 1].kind != T_WORD))
        return false;
    return true;
}

/* Normalises word tokens: spelling, correction, stemming, lexicon id.
 * Misspellings fixed to several words ("shoulderblade" -> "shoulder blade")
 * become several tokens sharing the original span. */
static void normalise(const kf_kb *kb, toks *t)
{
    toks out = { 0 };
    /* most words stay one token: size the new array once */
    out.v = kf_malloc((size_t)(t->n + 16) * sizeof *out.v);
    if (!out.v) {
        t->oom = true;
        return;
    }
    out.cap = t->n + 16;
    for (int i = 0; i < t->n; i++) {
        token k = t->v[i];
        if (k.kind != T_WORD) {
            token *d = push(&out);
            if (!d)
                break;
            *d = k;
            continue;
        }
        size_t len = strlen(k.norm);
        const char *fix = kf_kb_spell(kb, k.norm, len);
        char stem[64];
        int known = -1;          /* the word's own lexicon id, when it has one */
        if (!fix && (known = kf_kb_raw_word(kb, k.norm, len)) < 0) {
            size_t sl = kf_stem(k.norm, len, stem, sizeof stem);
            known = kf_kb_word(kb, stem, sl);
            if (known < 0 && !kf_kb_known_raw(kb, k.norm, len))
                fix = kf_kb_correct(kb, k.norm, len);
        }
        if (!fix) {
            /* the common case: one word, already stemmed */
            token *d = push(&out);
            if (!d)
                break;
            *d = k;
            d->word = known;
            d->flags = known >= 0 ? kb->word_flags[known] : 0;
            continue;
        }
        const char *p = fix ? fix : k.norm;
        while (*p) {
            while (*p && !isalnum((unsigned char)*p))
                p++;
            const char *st = p;
            while (*p && isalnum((unsigned char)*p))
                p++;
            if (p == st)
                break;
            token *d = push(&out);
            if (!d)
                break;
            *d = k;
            size_t wl = (size_t)(p - st) < sizeof d->norm - 1 ? (size_t)(p - st)
                                                              : sizeof d->norm - 1;
            memcpy(d->norm, st, wl);
            d->norm[wl] = '\0';
            size_t sl = kf_stem(d->norm, wl, stem, sizeof stem);
            d->word = kf_kb_word(kb, stem, sl);
            d->flags = d->word >= 0 ? kb->word_flags[d->word] : 0;
        }
    }
    kf_free(t->v);
    *t = out;
}

typedef struct {
    int phrase;
    int first, last;          /* token indexes */
    bool negated;
} match;

#define SKIP_FLAGS (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)

static bool skippable(const token *k)
{
    return k->kind == T_WORD && k->word >= 0 && (k->flags & SKIP_FLAGS) &&
           !(k->flags & KF_WORD_NEGATE);
}

/* Tries phrase `ph` at token i; returns the last token index or -1. */
static int try_phrase(const kf_phrase *ph, const token *v, int n, int i)
{
    int w = 0;
    int last = -1;
    for (int j = i; j < n && w < ph->n_words; j++) {
        if (v[j].kind != T_WORD)
            return -1;          /* a boundary or number breaks a phrase */
        if (v[j].used)
            return -1;
        if (w > 0 && skippable(&v[j]))
            continue;
        if (v[j].word != ph->words[w])
            return -1;
        w++;
        last = j;
    }
    return w == ph->n_words ? last : -1;
}

static kf_side side_of(const token *k)
{
    if (k->flags & KF_WORD_BOTH)
        return KF_SIDE_BOTH;
    if (k->flags & KF_WORD_LEFT)
        return KF_SIDE_LEFT;
    if (k->flags & KF_WORD_RIGHT)
        return KF_SIDE_RIGHT;
    return KF_SIDE_NONE;
}

/* The side named nearest to tokens [first,last] within the sentence. */
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

static void add_fact(const kf_kb *kb, kf_findings *out, int finding, kf_state st, kf_side side,
                     int alt, int start, int len)
{
    kf_fact f = { .finding = finding, .state = st, .origin = KF_FROM_TEXT, .alt = alt,
                  .start = start, .len = len,
                  .side = kb->findings[finding].sided ? side : KF_SIDE_NONE };
    kf_findings_add(out, &f);
}

static void add_named(const kf_kb *kb, kf_findings *out, const char *id, int start, int len)
{
    int f = kf_kb_finding(kb, id);
    if (f >= 0)
        add_fact(kb, out, f, KF_PRESENT, KF_SIDE_NONE, -1, start, len);
}

/* Numbers: age, weeks pregnant, how long; the dominant hand. */
static void read_numbers(const kf_kb *kb, const token *v, int n, kf_findings *out)
{
    bool pregnancy = false;
    for (int i = 0; i < n; i++)
        if (v[i].kind == T_WORD && (!strncmp(v[i].norm, "pregnan", 7) ||
                                    !strcmp(v[i].norm, "expecting")))
            pregnancy = true;
    for (int i = 0; i < n; i++) {
        const token *k = &v[i];
        /* dominant hand: "right handed", "left-handed", "lefty" */
        if (k->kind == T_WORD && (!strcmp(k->norm, "handed") || !strcmp(k->norm, "hander")) &&
            i > 0 && (v[i - 1].flags & (KF_WORD_LEFT | KF_WORD_RIGHT)))
            out->dominant = side_of(&v[i - 1]);
        if (is_word(k, "lefty") || is_word(k, "southpaw"))
            out->dominant = KF_SIDE_LEFT;
        if (is_word(k, "dominant") && i + 1 < n && is_word(&v[i + 1], "hand")) {
            for (int j = i - 1; j >= 0 && j >= i - 2; j--)
                if (v[j].side_ok)
                    out->dominant = side_of(&v[j]);
            for (int j = i + 2; j < n && j <= i + 4; j++)
                if (v[j].side_ok)
                    out->dominant = side_of(&v[j]);
        }
        long val = num_value(k);
        if (val < 0)
            continue;
        const token *nx = i + 1 < n ? &v[i + 1] : NULL;
        const token *nx2 = i + 2 < n ? &v[i + 2] : NULL;
        /* age: "I'm 17", "I am 59", "aged 40", "about to be 16", "17 years old" */
        bool age = false;
        if (k->kind == T_NUM && i > 0) {
            const token *p = &v[i - 1];
            const token *pp = i > 1 ? &v[i - 2] : NULL;
            if (is_word(p, "im") || is_word(p, "aged") || is_word(p, "age") ||
                (is_word(p, "am") && pp && is_word(pp, "i")) ||
                (is_word(p, "be") && pp && is_word(pp, "to")) ||
                (p->kind == T_COMMA && pp && (is_word(pp, "age") || is_word(pp, "aged"))))
                age = !(nx && nx->kind == T_WORD && (unit_days(nx->norm) ||
                        !strncmp(nx->norm, "kilo", 4) || !strcmp(nx->norm, "kg") ||
                        !strcmp(nx->norm, "lbs") || !strcmp(nx->norm, "times") ||
                        !strcmp(nx->norm, "hours") || !strcmp(nx->norm, "percent")));
        }
        bool possessive = false;
        for (int j = i - 1; j >= 0 && j >= i - 2; j--)
            if (is_word(&v[j], "my") || is_word(&v[j], "our") || is_word(&v[j], "his") ||
                is_word(&v[j], "her") || is_word(&v[j], "their"))
                possessive = true;
        if (k->kind == T_NUM && nx && nx2 && unit_days(nx->norm) == 365 &&
            is_word(nx2, "old") && !possessive)
            age = true;
        if (k->kind == T_NUM && nx && (is_word(nx, "yo") || is_word(nx, "yrs") ) &&
            nx2 && is_word(nx2, "old") && !possessive)
            age = true;
        if (k->kind == T_NUM && nx && is_word(nx, "yo") && !possessive)
            age = true;
        if (age && val >= 5 && val <= 110) {
            out->age = (int)val;
            if (val >= 13 && val <= 19)
                add_named(kb, out, "teen", k->start, k->len);
            if (val >= 50)
                add_named(kb, out, "over_50", k->start, k->len);
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
        if (after && (is_word(after, "ago") || is_word(after, "old")))
            continue;
        /* weeks of pregnancy: "16 weeks pregnant", "expecting-16weeks",
         * "pregnant with my second, 20 weeks"; not "for 3 weeks" */
        bool preg_here = false;
        for (int j = ui + 1; j < n && j <= ui + 2; j++)
            preg_here |= v[j].kind == T_WORD && (!strncmp(v[j].norm, "pregnan", 7) ||
                                                 is_word(&v[j], "along"));
        for (int j = i - 1; j >= 0 && j >= i - 5 && v[j].kind != T_STOP; j--)
            preg_here |= v[j].kind == T_WORD && (!strncmp(v[j].norm, "pregnan", 7) ||
                                                 is_word(&v[j], "expecting"));
        if (i > 0 && is_word(&v[i - 1], "for"))
            preg_here = false;
        if (pregnancy && preg_here && days == 7 && val <= 42) {
            out->weeks_pregnant = (int)val;
            add_named(kb, out, "pregnant", k->start, u->start + u->len - k->start);
            continue;
        }
        if (pregnancy && preg_here && days == 30 && val <= 10) {
            out->weeks_pregnant = (int)(val * 13 / 3);
            add_named(kb, out, "pregnant", k->start, u->start + u->len - k->start);
            continue;
        }
        long d = val * days;
        if (d > 36500)
            continue;
        if (d > out->duration_days) {
            out->duration_days = (int)d;
            if (d >= 90)
                add_named(kb, out, "chronic", k->start, u->start + u->len - k->start);
        }
    }
}

kf_err kf_text_read(const kf_kb *kb, const char *text, size_t len, kf_findings *out,
                    kf_buf *err)
{
    if (len > KF_TEXT_MAX) {
        if (err)
            kf_buf_printf(err, "the description is %zu bytes; the most I read is %d bytes "
                          "(about 1 MB). Please shorten it.", len, KF_TEXT_MAX);
        return KF_ETOOBIG;
    }
    if (!text || !len)
        return KF_OK;
    toks t = { 0 };
    tokenize(text, len, &t);
    if (!t.oom)
        normalise(kb, &t);
    if (t.oom) {
        kf_free(t.v);
        return KF_ENOMEM;
    }
    token *v = t.v;
    int n = t.n;
    /* "could not", "can not" and "(was) not able to" say what "can't"
     * says: read them as "cant", so the lexicon's "can't ..." phrases match
     * and the "not" denies nothing else. */
    int cant = kf_kb_word(kb, "cant", 4), filler = kf_kb_word(kb, "to", 2);
    for (int i = 0; cant >= 0 && i < n; i++) {
        if (!is_word(&v[i], "not"))
            continue;
        bool after_can = i > 0 && (is_word(&v[i - 1], "could") || is_word(&v[i - 1], "can"));
        bool able = i + 1 < n && is_word(&v[i + 1], "able");
        if (!after_can && !able)
            continue;
        v[i].word = cant;
        v[i].flags = kb->word_flags[cant];
        if (able && filler >= 0)
            for (int j = i + 1; j < n && j <= i + 2; j++)
                if (is_word(&v[j], "able") || is_word(&v[j], "to")) {
                    v[j].word = filler;
                    v[j].flags = kb->word_flags[filler];
                }
    }
    for (int i = 0; i < n; i++)
        if (v[i].kind == T_WORD && (v[i].flags & (KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)))
            v[i].side_ok = (v[i].flags & KF_WORD_BOTH) || side_word_ok(v, n, i);

    /* Phrases, longest first at each position, left to right. */
    match *m = NULL;
    int nm = 0, capm = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].kind != T_WORD || v[i].word < 0 || v[i].used || skippable(&v[i]))
            continue;
        int w = v[i].word;
        for (int q = kb->phrase_first[w]; q < kb->phrase_first[w + 1]; q++) {
            int ph = kb->phrase_order[q];
            int last = try_phrase(&kb->phrases[ph], v, n, i);
            if (last < 0)
                continue;
            if (nm == capm) {
                capm = capm ? capm * 2 : 32;
                match *nmv = kf_realloc(m, (size_t)capm * sizeof *nmv);
                if (!nmv) {
                    kf_free(m);
                    kf_free(v);
                    return KF_ENOMEM;
                }
                m = nmv;
            }
            m[nm++] = (match){ ph, i, last, false };
            for (int j = i; j <= last; j++)
                v[j].used = true;
            i = last;
            break;
        }
    }
    /* Negation scope: up to 6 words after an unused negation word, within
     * its clause, stopped by "but"-like words. */
    static const char *const pseudo[] = {    /* "didn't realise", "not sure", "no doubt" */
        "realize", "realise", "realized", "realised", "know", "knew", "understand", "think",
        "sure", "mind", "only", "just", "remember", "care", "want", "wonder", "doubt",
        "matter", "notice", "noticed", NULL
    };
    for (int i = 0; i < n; i++) {
        if (v[i].kind != T_WORD || !(v[i].flags & KF_WORD_NEGATE) || v[i].used)
            continue;
        bool is_pseudo = false;
        for (int k = 0; pseudo[k] && i + 1 < n; k++)
            is_pseudo |= is_word(&v[i + 1], pseudo[k]);
        if (is_pseudo)
            continue;
        int words = 0;
        for (int j = i + 1; j < n && words < 5; j++) {
            if (v[j].kind == T_STOP || v[j].kind == T_COMMA)
                break;
            if (is_word(&v[j], "but") || is_word(&v[j], "however") || is_word(&v[j], "though") ||
                is_word(&v[j], "although") || is_word(&v[j], "except") || is_word(&v[j], "yet") ||
                is_word(&v[j], "until") || is_word(&v[j], "til") || is_word(&v[j], "till"))
                break;
            /* "and" opening a new clause ("and my physio says ...") ends it */
            if (is_word(&v[j], "and") && j + 1 < n &&
                (is_word(&v[j + 1], "my") || is_word(&v[j + 1], "i") || is_word(&v[j + 1], "im") ||
                 is_word(&v[j + 1], "it") || is_word(&v[j + 1], "he") || is_word(&v[j + 1], "she") ||
                 is_word(&v[j + 1], "they") || is_word(&v[j + 1], "the") ||
                 is_word(&v[j + 1], "then") || is_word(&v[j + 1], "now")))
                break;
            if (!skippable(&v[j]))
                words++;
            for (int k = 0; k < nm; k++)
                if (m[k].first == j)
                    m[k].negated = true;
        }
    }
    /* The last side named before a sentence carries into the next ones for
     * sided findings that name none ("my left shoulder blade... it hurts to
     * lift the arm"). */
    for (int k = 0; k < nm; k++) {
        const kf_phrase *ph = &kb->phrases[m[k].phrase];
        kf_side side = find_side(v, n, m[k].first, m[k].last);
        /* a denial ("my neck doesn't hurt") takes no side from earlier words */
        if (side == KF_SIDE_NONE && !m[k].negated)
            for (int j = m[k].first - 1; j >= 0; j--)
                if (v[j].side_ok) {
                    side = side_of(&v[j]);
                    break;
                }
        /* A negation inside a question ("how is it possible not to lean my
         * head forward?") asks; it does not deny, so it says nothing. */
        if (m[k].negated) {
            int j = m[k].last + 1;
            while (j < n && v[j].kind != T_STOP)
                j++;
            if (j < n && text[v[j].start] == '?')
                continue;
        }
        int start = v[m[k].first].start;
        int blen = v[m[k].last].start + v[m[k].last].len - start;
        for (int f = 0; f < ph->n_finds; f++) {
            kf_state st;
            if (ph->neg[f])
                st = KF_ABSENT;          /* the phrase itself denies it */
            else
                st = m[k].negated ? KF_ABSENT : KF_PRESENT;
            add_fact(kb, out, ph->finds[f], st, side, m[k].negated ? -1 : ph->alts[f], start,
                     blen);
        }
    }
    read_numbers(kb, v, n, out);
    kf_free(m);
    kf_free(v);
    return out->oom ? KF_ENOMEM : KF_OK;
}
