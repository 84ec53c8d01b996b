/*
 * pattern.c — compiles and matches the lexicon's patterns (see pattern.h).
 *
 * Program layout (ints):
 *   [0] total length   [1] number of groups
 *   per group: [length of the group] [number of elements] [first-word mask,
 *              low and high 32 bits] elements...
 *   per element: [offset of the next element] [flags] [number of alternatives]
 *                [first-word mask, low and high 32 bits]
 *                alternatives: [number of words] word ids...
 *   then the needs section (see needs()), the most pattern words a match can
 *   consume (kf_pattern_max_len), and the needs section's offset.
 * flags: E_OPT (may be left out), E_GAP ("...": no alternatives).
 * Stop and side words: an alternative made only of them keeps them as
 * written and must match them ("on/in"); in an alternative with other
 * words they are left out, as in phrases ("couple of hours"); a lone one
 * written as its own piece is passed over between two pattern words and
 * required at a group's start or end (E_SOFT).
 * Alternatives are kept longest first, so the greedy search prefers the
 * longest reading; word ids are stems (or KF_PAT_NUMBER for '#').
 * A word written in digits ("24 hours", "2 days") is that number, not a
 * word: the reader makes digits a number token, never a word, so it is
 * compiled to KF_PAT_LITERAL(value) and matched by a number of that value
 * (a pattern or class entry with digits read nothing before).  "#A-B" is
 * any number from A to B, KF_PAT_RANGE(A, B), below the literals.
 */
#include "pattern.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* E_SOFT (only while a group compiles): a lone stop word written as a piece
 * of its own ("is" in "balance is off"), passed over between two pattern
 * words as in phrases, required where it starts or ends the group ("at" in
 * "at rest"); group() drops the flag or the element. */
enum { E_OPT = 1, E_GAP = 2, E_SOFT = 4 };
#define GH 4                      /* ints in a group header */
#define EH 5                      /* ints in an element header */

static unsigned long long word_bit(int w);

#define MAX_FIRSTS   512
#define MAX_WORDS    16     /* words in one alternative */
#define CLASS_DEPTH  4

typedef struct {
    int   *v;
    int    n, cap;
    bool   oom;
} ibuf;

static void put(ibuf *b, int x)
{
    if (b->oom)
        return;
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 64;
        int *v = kf_realloc(b->v, (size_t)cap * sizeof *v);
        if (!v) {
            b->oom = true;
            return;
        }
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = x;
}

typedef struct {
    const kf_pat_env *env;
    kf_buf           *err;
    bool              failed;
    ibuf              out;
    int               max_len;    /* most pattern words a match can consume */
} cstate;

static void fail(cstate *c, const char *msg, const char *what, size_t wl)
{
    if (c->failed)
        return;
    c->failed = true;
    if (c->err) {
        if (what)
            kf_buf_printf(c->err, "%s '%.*s'", msg, (int)(wl > 60 ? 60 : wl), what);
        else
            kf_buf_puts(c->err, msg);
    }
}

/* Adds the word ids of the written words in [s,e) (spaces between words)
 * to `ids`; returns the count, or -1 after an error.  Stop and side words
 * are left out, as in phrases, unless every word is one: then all of them
 * are kept, as written, and *stop_only is set ("in", "on the").  *counted
 * is how many ids are not stop words (for kf_pattern_max_len). */
static int plain_words(cstate *c, const char *s, const char *e, int *ids, int max,
                       bool *stop_only, int *counted)
{
    int n = 0, na = 0;
    int all[MAX_WORDS];
    *stop_only = false;
    const char *p = s;
    while (p < e) {
        while (p < e && (*p == ' ' || *p == '\t' || *p == '-'))
            p++;
        if (p >= e)
            break;
        if (*p == '"') {            /* "this": the word itself, even a stop word */
            const char *q = memchr(p + 1, '"', (size_t)(e - p - 1));
            char w[48];
            size_t k = 0;
            if (!q) {
                fail(c, "a '\"' without its closing '\"' in", s, (size_t)(e - s));
                return -1;
            }
            for (const char *r = p + 1; r < q && k < sizeof w - 1; r++)
                if (isalnum((unsigned char)*r))
                    w[k++] = (char)tolower((unsigned char)*r);
            w[k] = '\0';
            int got[4];
            int ng = k ? c->env->word(c->env->env, w, got) : 0;
            if (ng < 0) {
                c->out.oom = true;
                return -1;
            }
            if (ng != 1 || n == max || na == MAX_WORDS) {
                fail(c, "a quoted word must be one word, in", s, (size_t)(e - s));
                return -1;
            }
            ids[n++] = got[0];
            all[na++] = got[0];
            p = q + 1;
            continue;
        }
        if (*p == '#') {
            if (n == max || na == MAX_WORDS) {
                fail(c, "too many words in", s, (size_t)(e - s));
                return -1;
            }
            int id = KF_PAT_NUMBER;
            p++;
            if (p < e && isdigit((unsigned char)*p)) {   /* "#A-B": a range */
                long lo = 0, hi = 0;
                while (p < e && isdigit((unsigned char)*p) && lo <= KF_PAT_RANGE_MAX)
                    lo = lo * 10 + (*p++ - '0');
                bool dash = p < e && *p == '-';
                if (dash)
                    p++;
                while (dash && p < e && isdigit((unsigned char)*p) && hi <= KF_PAT_RANGE_MAX)
                    hi = hi * 10 + (*p++ - '0');
                if (!dash || (p < e && isalnum((unsigned char)*p)) || !isdigit((unsigned char)p[-1]) ||
                    lo > hi || hi > KF_PAT_RANGE_MAX) {
                    fail(c, "a number range is #A-B (0 <= A <= B <= 9999), in", s,
                         (size_t)(e - s));
                    return -1;
                }
                id = KF_PAT_RANGE((int)lo, (int)hi);
            }
            ids[n++] = id;
            all[na++] = id;
            continue;
        }
        if (isdigit((unsigned char)*p)) {  /* a number written in digits */
            long v = 0;
            while (p < e && isdigit((unsigned char)*p)) {
                v = v < KF_PAT_NUM_MAX ? v * 10 + (*p - '0') : v;
                p++;
            }
            /* "10k", "40s": the reader reads the number, then the word */
            if (v > KF_PAT_NUM_MAX || n == max || na == MAX_WORDS) {
                fail(c, v > KF_PAT_NUM_MAX ? "a number too large in" : "too many words in", s,
                     (size_t)(e - s));
                return -1;
            }
            ids[n++] = KF_PAT_LITERAL(v);
            all[na++] = KF_PAT_LITERAL(v);
            continue;
        }
        char w[48];
        size_t k = 0;
        const char *st = p;
        while (p < e && (isalnum((unsigned char)*p) || *p == '\'')) {
            if (*p != '\'' && k < sizeof w - 1)
                w[k++] = (char)tolower((unsigned char)*p);
            p++;
        }
        if (p == st) {
            fail(c, "unexpected character in", s, (size_t)(e - s));
            return -1;
        }
        w[k] = '\0';
        if (!k)
            continue;
        int got[4];
        int ng = c->env->word(c->env->env, w, got);
        if (ng < 0) {
            c->out.oom = true;
            return -1;
        }
        for (int g = 0; g < ng && g < 4; g++) {
            if (na == MAX_WORDS) {
                fail(c, "too many words in", s, (size_t)(e - s));
                return -1;
            }
            all[na++] = got[g];
            if (c->env->skip && c->env->skip(c->env->env, got[g]))
                continue;
            if (n == max) {
                fail(c, "too many words in", s, (size_t)(e - s));
                return -1;
            }
            ids[n++] = got[g];
        }
    }
    *counted = n;
    if (!n && na) {               /* only stop or side words: kept as written */
        if (na > max) {
            fail(c, "too many words in", s, (size_t)(e - s));
            return -1;
        }
        memcpy(ids, all, (size_t)na * sizeof *ids);
        *stop_only = true;
        return na;
    }
    return n;
}

/* An alternative under construction. */
typedef struct {
    int  n;
    int  counted;    /* words that are not stop words (for max_len) */
    bool stop;       /* only stop or side words, written as such */
    int  w[MAX_WORDS];
} alt;

typedef struct {
    alt *v;
    int  n, cap;
} alts;

static bool alts_add(cstate *c, alts *a, const int *ids, int n, bool stop, int counted)
{
    for (int i = 0; i < a->n; i++)      /* no duplicates */
        if (a->v[i].n == n && !memcmp(a->v[i].w, ids, (size_t)n * sizeof *ids)) {
            if (!stop && a->v[i].stop) {  /* `this/"this"`: the quoted one counts */
                a->v[i].stop = false;
                a->v[i].counted = counted;
            }
            return true;
        }
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 8;
        alt *v = kf_realloc(a->v, (size_t)cap * sizeof *v);
        if (!v) {
            c->out.oom = true;
            return false;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n].n = n;
    a->v[a->n].counted = counted;
    a->v[a->n].stop = stop;
    memcpy(a->v[a->n].w, ids, (size_t)n * sizeof *ids);
    a->n++;
    return true;
}

static void class_alts(cstate *c, const char *name, size_t nl, alts *a, int depth);

/* One alternative of a class definition or of a slash list: plain words, '#'
 * or a class reference. */
static void one_alt(cstate *c, const char *s, const char *e, alts *a, int depth)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (s == e) {
        fail(c, "an empty alternative", NULL, 0);
        return;
    }
    if (*s == '<') {
        if (e[-1] != '>') {
            fail(c, "a class name must end with '>':", s, (size_t)(e - s));
            return;
        }
        class_alts(c, s + 1, (size_t)(e - s - 2), a, depth + 1);
        return;
    }
    for (const char *q = s; q < e; q++)
        if (*q == '<' || *q == '>' || *q == '(' || *q == ')' || *q == '&' || *q == '/') {
            fail(c, "unexpected character in", s, (size_t)(e - s));
            return;
        }
    int ids[MAX_WORDS];
    bool stop;
    int counted;
    int n = plain_words(c, s, e, ids, MAX_WORDS, &stop, &counted);
    if (n < 0)
        return;
    if (!n) {
        fail(c, "nothing to match in", s, (size_t)(e - s));
        return;
    }
    alts_add(c, a, ids, n, stop, counted);
}

static void class_alts(cstate *c, const char *name, size_t nl, alts *a, int depth)
{
    if (depth > CLASS_DEPTH) {
        fail(c, "classes nest too deep (a class that names itself?) at", name, nl);
        return;
    }
    char key[64];
    size_t k = 0;
    for (size_t i = 0; i < nl && k < sizeof key - 1; i++)
        key[k++] = (char)tolower((unsigned char)name[i]);
    while (k && key[k - 1] == ' ')
        k--;
    key[k] = '\0';
    char *kp = key;
    while (*kp == ' ')
        kp++;
    const char *def = c->env->cls ? c->env->cls(c->env->env, kp) : NULL;
    if (!def) {
        fail(c, "unknown class", kp, strlen(kp));
        return;
    }
    const char *p = def;
    while (*p && !c->failed) {
        const char *st = p;
        while (*p && *p != ',')
            p++;
        one_alt(c, st, p, a, depth);
        if (*p == ',')
            p++;
    }
}

static int alt_cmp(const void *x, const void *y)
{
    const alt *a = x, *b = y;
    return b->n - a->n;
}

/* Emits one element: the alternatives of a piece. */
static void emit_elem(cstate *c, alts *a, int flags)
{
    if (c->failed || !a->n)
        return;                   /* a->n 0: out of memory (c->out.oom) */
    qsort(a->v, (size_t)a->n, sizeof *a->v, alt_cmp);
    int at = c->out.n;
    unsigned long long mask = 0;
    int most = 0;
    for (int i = 0; i < a->n; i++) {
        mask |= word_bit(a->v[i].w[0]);
        most = a->v[i].counted > most ? a->v[i].counted : most;
    }
    c->max_len += most;
    put(&c->out, 0);
    put(&c->out, flags);
    put(&c->out, a->n);
    put(&c->out, (int)(unsigned)(mask & 0xffffffffu));
    put(&c->out, (int)(unsigned)(mask >> 32));
    for (int i = 0; i < a->n; i++) {
        put(&c->out, a->v[i].n);
        for (int w = 0; w < a->v[i].n; w++)
            put(&c->out, a->v[i].w[w]);
    }
    if (!c->out.oom)
        c->out.v[at] = c->out.n - at;
}

/* A piece: word, a/b/c, <class>, '#', or (for parentheses) several plain
 * words.  Returns -1 when it is left out (or failed), 0 when optional, 1
 * when required, 2 when soft (a lone stop word), 3 when required but of
 * stop words only (not enough on its own for a pattern). */
static int piece(cstate *c, const char *s, const char *e, int flags)
{
    alts a = { 0 };
    bool spaced = false;
    for (const char *q = s; q < e; q++)
        spaced |= *q == ' ' || *q == '\t';
    if (spaced && !memchr(s, '/', (size_t)(e - s)) && *s != '<') {
        one_alt(c, s, e, &a, 0);          /* "(a while)": one alternative */
    } else {
        const char *p = s;
        while (p < e && !c->failed) {
            const char *st = p;
            int depth = 0;
            while (p < e && (depth || *p != '/')) {
                depth += *p == '<';
                depth -= *p == '>';
                p++;
            }
            one_alt(c, st, p, &a, 0);
            if (p < e)
                p++;
        }
    }
    if (!c->failed && !a.n && !c->out.oom)
        fail(c, "nothing to match in", s, (size_t)(e - s));
    if (c->failed || !a.n) {      /* !a.n: out of memory */
        kf_free(a.v);
        return -1;
    }
    int stops = 0;
    for (int i = 0; i < a.n; i++)
        stops += a.v[i].stop;
    if (flags & E_OPT) {
        /* An optional stop word is passed over where it stands anyway:
         * leaving it out changes nothing a match can read. */
        int k = 0;
        for (int i = 0; i < a.n; i++)
            if (!a.v[i].stop)
                a.v[k++] = a.v[i];
        a.n = k;
        if (!a.n) {
            kf_free(a.v);
            return -1;
        }
        emit_elem(c, &a, flags);
        kf_free(a.v);
        return 0;
    }
    /* Required: every alternative is one, stop words too ("on/in" needs
     * "on" or "in"); a lone stop word is soft (see E_SOFT). */
    bool lone = a.n == 1 && stops == 1 && !spaced && *s != '<' && !memchr(s, '/', (size_t)(e - s));
    emit_elem(c, &a, lone ? E_SOFT : 0);
    kf_free(a.v);
    return lone ? 2 : stops == a.n ? 3 : 1;  /* 1: a word that must match; 2, 3: stop words only */
}

/* A word's bit in the 64-bit masks that tell, before trying, which words
 * can start an element or a group (a shared bit only costs a try: the
 * masks only ever say no).  A number has bit 63 (with the words 63, 127,
 * ...); a mask is of the low 6 bits, not w % 63, which took a division's
 * worth of instructions at every token tried. */
static unsigned long long word_bit(int w)
{
    return KF_PAT_IS_NUMERIC(w) ? 1ULL << 63 : 1ULL << ((unsigned)w & 63);
}

static unsigned long long group_mask(const int *g)
{
    return (unsigned long long)(unsigned)g[2] | (unsigned long long)(unsigned)g[3] << 32;
}

/* The distinct first words of one group; -1 when it starts with a gap. */
static int group_firsts(const int *g, int *out, int max)
{
    int ne = g[1];
    const int *el = g + GH;
    int n = 0;
    for (int i = 0; i < ne; i++, el += el[0]) {
        if (el[1] & E_GAP)
            return -1;
        const int *a = el + EH;
        for (int k = 0; k < el[2]; k++, a += 1 + a[0]) {
            int w = KF_PAT_IS_NUMERIC(a[1]) ? KF_PAT_NUMBER : a[1];   /* a number starts it */
            bool seen = false;
            for (int j = 0; j < n && j < max && !seen; j++)
                seen = out[j] == w;
            if (seen)
                continue;
            if (n < max)
                out[n] = w;
            n++;
        }
        if (!(el[1] & E_OPT))
            return n;
    }
    return n;
}

/* The soft elements of the group at `at` (ne elements): one with a required
 * element on both sides is dropped (the matcher passes over stop words
 * between pattern words), any other must match.  Returns the elements left. */
static int settle_soft(cstate *c, int at, int ne)
{
    int off[KF_PAT_MARKS * 4], k = 0;
    int el = at + GH;
    for (int i = 0; i < ne && k < (int)(sizeof off / sizeof *off); i++, el += c->out.v[el])
        off[k++] = el;
    if (k < ne)
        return ne;                /* too many to settle: leave them required */
    int left = ne;
    for (int i = ne - 1; i >= 0; i--) {
        int *e = c->out.v + off[i];
        if (!(e[1] & E_SOFT))
            continue;
        bool before = false, after = false;
        for (int j = 0; j < i && !before; j++)
            before = !(c->out.v[off[j] + 1] & (E_OPT | E_GAP | E_SOFT));
        for (int j = i + 1; j < ne && !after; j++)
            after = !(c->out.v[off[j] + 1] & (E_OPT | E_GAP | E_SOFT));
        e[1] &= ~E_SOFT;
        if (!(before && after))
            continue;             /* it starts or ends the group: required */
        int len = e[0], end = c->out.n;
        memmove(e, e + len, (size_t)(end - off[i] - len) * sizeof *e);
        c->out.n -= len;
        for (int j = i + 1; j < ne; j++)
            off[j] -= len;
        left--;
    }
    return left;
}

/* One group: elements up to '&' or the end. */
static void group(cstate *c, const char *s, const char *e)
{
    int at = c->out.n;
    put(&c->out, 0);              /* group length */
    put(&c->out, 0);              /* elements */
    put(&c->out, 0);              /* first-word mask (set below) */
    put(&c->out, 0);
    int ne = 0, solid = 0;
    bool last_gap = false;
    const char *p = s;
    while (p < e && !c->failed) {
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= e)
            break;
        if (e - p >= 3 && !memcmp(p, "...", 3)) {
            if (!ne || last_gap) {
                fail(c, "'...' must stand between two words in", s, (size_t)(e - s));
                break;
            }
            put(&c->out, EH);
            put(&c->out, E_GAP);
            put(&c->out, 0);
            put(&c->out, 0);
            put(&c->out, 0);
            p += 3;
            ne++;
            last_gap = true;
            continue;
        }
        last_gap = false;
        if (*p == '(') {
            const char *q = memchr(p, ')', (size_t)(e - p));
            if (!q) {
                fail(c, "'(' without ')' in", s, (size_t)(e - s));
                break;
            }
            if (memchr(p + 1, '(', (size_t)(q - p - 1)) ||
                memchr(p + 1, '.', (size_t)(q - p - 1))) {
                fail(c, "parentheses hold words, a class or a/b only, in", s, (size_t)(e - s));
                break;
            }
            ne += piece(c, p + 1, q, E_OPT) >= 0;
            p = q + 1;
            continue;
        }
        if (*p == ')') {
            fail(c, "')' without '(' in", s, (size_t)(e - s));
            break;
        }
        const char *st = p;
        int depth = 0;
        while (p < e && (depth || (*p != ' ' && *p != '\t' && *p != '(' && *p != ')'))) {
            if (*p == '.' && !depth)
                break;
            depth += *p == '<';
            depth -= *p == '>';
            p++;
        }
        if (depth) {
            fail(c, "'<' without '>' in", s, (size_t)(e - s));
            break;
        }
        if (p == st) {
            fail(c, "unexpected character in", st, (size_t)(e - st));
            break;
        }
        int got = piece(c, st, p, 0);
        solid += got == 1;
        ne += got >= 0;
    }
    if (!c->failed && !c->out.oom)
        ne = settle_soft(c, at, ne);
    if (!c->failed && last_gap)
        fail(c, "'...' must stand between two words in", s, (size_t)(e - s));
    if (!c->failed && !solid)
        fail(c, "a pattern needs at least one word that is not optional:", s, (size_t)(e - s));
    if (!c->out.oom && !c->failed) {
        c->out.v[at] = c->out.n - at;
        c->out.v[at + 1] = ne;
        int firsts[MAX_FIRSTS + 1];
        int nf = group_firsts(c->out.v + at, firsts, MAX_FIRSTS + 1);
        unsigned long long mask = 0;
        for (int i = 0; i < nf && i <= MAX_FIRSTS; i++)
            mask |= word_bit(firsts[i]);
        if (nf > MAX_FIRSTS || nf < 0)
            mask = ~0ULL;
        c->out.v[at + 2] = (int)(unsigned)(mask & 0xffffffffu);
        c->out.v[at + 3] = (int)(unsigned)(mask >> 32);
    }
}

/* The needs section, after the groups (its offset is the program's last
 * int): [number of sets] then per set [number of words] word ids...  One
 * set per element a match must read (neither optional nor a gap), of the
 * distinct first words of its alternatives, fewest words first; left out
 * are the first element of the first group (the word a match starts at)
 * and sets of more than NEED_MAX words (a weak test for their cost). */
#define NEED_MAX 12
static void needs(cstate *c)
{
    ibuf sets = { 0 };
    int nsets = 0;
    int g = 2;
    for (int gi = 0; gi < c->out.v[1] && !c->out.oom; gi++, g += c->out.v[g]) {
        int el = g + GH;
        for (int i = 0; i < c->out.v[g + 1]; i++, el += c->out.v[el]) {
            const int *e = c->out.v + el;
            if ((e[1] & (E_OPT | E_GAP)) || (gi == 0 && i == 0))
                continue;
            int w[NEED_MAX], nw = 0;
            bool keep = true;
            const int *a = e + EH;
            for (int k = 0; k < e[2] && keep; k++, a += 1 + a[0]) {
                int first = KF_PAT_IS_NUMERIC(a[1]) ? KF_PAT_NUMBER : a[1];
                bool seen = false;
                for (int j = 0; j < nw && !seen; j++)
                    seen = w[j] == first;
                if (seen)
                    continue;
                keep = nw < NEED_MAX && (first >= 0 || first == KF_PAT_NUMBER);
                if (keep)
                    w[nw++] = first;
            }
            if (!keep || !nw)
                continue;
            put(&sets, nw);
            for (int j = 0; j < nw; j++)
                put(&sets, w[j]);
            nsets++;
        }
    }
    put(&c->out, nsets);
    for (int size = 1; size <= NEED_MAX && !sets.oom; size++)
        for (int at = 0; at < sets.n; at += 1 + sets.v[at])
            for (int j = 0; sets.v[at] == size && j <= size; j++)
                put(&c->out, sets.v[at + j]);
    c->out.oom |= sets.oom;
    kf_free(sets.v);
}

kf_err kf_pattern_compile(const char *text, const kf_pat_env *env, int **prog, int *len,
                          kf_buf *err)
{
    *prog = NULL;
    *len = 0;
    cstate c = { .env = env, .err = err };
    put(&c.out, 0);
    put(&c.out, 0);
    int ng = 0;
    const char *p = text;
    for (;;) {
        const char *q = strchr(p, '&');
        const char *e = q ? q : p + strlen(p);
        group(&c, p, e);
        ng++;
        if (c.failed || !q)
            break;
        p = q + 1;
    }
    if (!c.failed && !c.out.oom) {
        c.out.v[1] = ng;
        int at = c.out.n;
        needs(&c);
        put(&c.out, c.max_len);
        put(&c.out, at);
    }
    if (!c.failed && !c.out.oom) {
        c.out.v[0] = c.out.n;
        int firsts[MAX_FIRSTS + 1];
        int nf = kf_pattern_firsts(c.out.v, firsts, MAX_FIRSTS + 1);
        if (nf < 0)
            fail(&c, "a pattern must start with a word or a number, not '...', in", text,
                 strlen(text));
        else if (nf > MAX_FIRSTS)
            fail(&c, "a pattern may start with at most 512 different words:", text, strlen(text));
    }
    if (c.out.oom) {
        kf_free(c.out.v);
        return KF_ENOMEM;
    }
    if (c.failed) {
        kf_free(c.out.v);
        return KF_EPARSE;
    }
    *prog = c.out.v;
    *len = c.out.n;
    return KF_OK;
}

int kf_pattern_groups(const int *prog)
{
    return prog[1];
}

int kf_pattern_firsts(const int *prog, int *out, int max)
{
    return group_firsts(prog + 2, out, max);
}

int kf_pattern_max_len(const int *prog)
{
    return prog[prog[0] - 2];     /* before the needs section's offset */
}

/* ---------- matching ---------- */


typedef struct {
    const kf_ptok *t;
    int  n;
    int  budget;
    int  nat;
    int  at[KF_PAT_MARKS];
    int  end;                  /* token after the last word of a group match */
} mstate;

static bool marked(const mstate *s, int j)
{
    for (int i = 0; i < s->nat; i++)
        if (s->at[i] == j)
            return true;
    return false;
}

static bool push_mark(mstate *s, int j)
{
    if (s->nat == KF_PAT_MARKS)
        return false;
    s->at[s->nat++] = j;
    return true;
}

/* Matches the words of one alternative at `pos`; returns the token after
 * the last one, or -1.  Stop and side words between words are consumed
 * with them (as a phrase does), except before the first word of a match. */
static int words_at(mstate *s, const int *w, int nw, int pos, bool first)
{
    int j = pos;
    for (int k = 0; k < nw; k++) {
        if (!(first && k == 0))
            while (j < s->n && s->t[j].kind == KF_PT_WORD && s->t[j].skip && !s->t[j].used &&
                   !marked(s, j) && s->t[j].word != w[k]) {
                if (!push_mark(s, j))
                    return -1;
                j++;
            }
        if (j >= s->n || s->t[j].used || marked(s, j))
            return -1;
        const kf_ptok *t = &s->t[j];
        bool ok = w[k] >= 0 ? t->kind == KF_PT_WORD && t->word == w[k]
                : w[k] == KF_PAT_NUMBER ? t->kind == KF_PT_NUM
                : KF_PAT_IS_LITERAL(w[k]) ? t->kind == KF_PT_NUM &&
                                            t->num == KF_PAT_LITERAL_VALUE(w[k])
                : KF_PAT_IS_RANGE(w[k]) && t->kind == KF_PT_NUM &&
                  t->num >= KF_PAT_RANGE_LO(w[k]) && t->num <= KF_PAT_RANGE_HI(w[k]);
        if (!ok || !push_mark(s, j))
            return -1;
        j++;
    }
    return j;
}

static bool elems(mstate *s, const int *el, int left, int pos, bool first)
{
    if (--s->budget < 0)
        return false;
    if (!left) {
        s->end = pos;
        return true;
    }
    const int *next = el + el[0];
    if (el[1] & E_GAP) {
        for (int k = 0, j = pos; k <= KF_PAT_GAP; k++) {
            if (elems(s, next, left - 1, j, false))
                return true;
            if (j >= s->n || s->t[j].kind == KF_PT_STOP)
                break;
            j++;
        }
        return false;
    }
    int mark = s->nat;
    const int *a = el + EH;
    /* The token the next word must be (past the stop words, unless this
     * starts the match): most alternatives fail on their first word, so
     * compare that before trying one. */
    int j0 = pos;
    if (!first)
        while (j0 < s->n && s->t[j0].kind == KF_PT_WORD && s->t[j0].skip)
            j0++;
    /* (NONE: no word there; a number is wanted as '#' and as its value) */
    enum { NONE = INT_MIN };
    bool num = j0 < s->n && s->t[j0].kind == KF_PT_NUM;
    int want = j0 >= s->n ? NONE : num ? KF_PAT_NUMBER
             : s->t[j0].kind == KF_PT_WORD ? s->t[j0].word : NONE;
    int want_value = num && s->t[j0].num >= 0 && s->t[j0].num <= KF_PAT_NUM_MAX
                   ? KF_PAT_LITERAL(s->t[j0].num) : NONE;
    unsigned long long emask = (unsigned long long)(unsigned)el[3] |
                               (unsigned long long)(unsigned)el[4] << 32;
    unsigned long long cand = want == NONE ? 0 : word_bit(want);
    for (int j = pos; j < j0; j++)          /* a quoted stop word may match there */
        cand |= word_bit(s->t[j].word);
    if (!(emask & cand))
        goto skip_alts;           /* no alternative starts with any of those words */
    for (int k = 0; k < el[2]; k++, a += 1 + a[0]) {
        if (a[1] != want && a[1] != want_value &&
            !(a[1] <= KF_PAT_RANGE_BASE && num && s->t[j0].num >= KF_PAT_RANGE_LO(a[1]) &&
              s->t[j0].num <= KF_PAT_RANGE_HI(a[1]))) {
            bool skipped = false;
            for (int j = pos; j < j0 && !skipped; j++)
                skipped = s->t[j].word == a[1];
            if (!skipped)
                continue;
        }
        int q = words_at(s, a + 1, a[0], pos, first);
        if (q >= 0 && elems(s, next, left - 1, q, false))
            return true;
        s->nat = mark;
        if (s->budget < 0)
            return false;
    }
skip_alts:
    if (el[1] & E_OPT)
        return elems(s, next, left - 1, pos, first);
    return false;
}

/* Group `g` read from token j, ending by shi: a word or number, neither
 * used nor read by this match. */
static bool group_at(mstate *s, const int *g, int j, int shi)
{
    const kf_ptok *k = &s->t[j];
    if ((k->kind != KF_PT_WORD && k->kind != KF_PT_NUM) || k->used || marked(s, j))
        return false;
    if (!(group_mask(g) & word_bit(k->kind == KF_PT_NUM ? KF_PAT_NUMBER : k->word)))
        return false;                 /* no word of this group starts here */
    int mark = s->nat;
    if (elems(s, g + GH, g[1], j, true) && s->end - 1 <= shi)
        return true;
    s->nat = mark;
    return false;
}

bool kf_pattern_match(const int *prog, const kf_ptok *t, int n, int i, kf_pmatch *m)
{
    if (i < 0 || i >= n || (t[i].kind != KF_PT_WORD && t[i].kind != KF_PT_NUM) || t[i].used)
        return false;
    mstate s;                     /* not zeroed: at[] is written before it is read */
    s.t = t;
    s.n = n;
    s.budget = KF_PAT_BUDGET;
    s.nat = 0;
    s.end = i;
    const int *g = prog + 2;
    if (!elems(&s, g + GH, g[1], i, true))
        return false;
    int lo = i, hi = s.end - 1;
    /* Further groups: anywhere in the same sentence, within the window. */
    int slo = i, shi = hi;
    for (int k = 0; k < KF_PAT_WINDOW && slo > 0 && t[slo - 1].kind != KF_PT_STOP; k++)
        slo--;
    for (int k = 0; k < KF_PAT_WINDOW && shi + 1 < n && t[shi + 1].kind != KF_PT_STOP; k++)
        shi++;
    /* The nearest reading of each further group: inside the first's span,
     * then outward from it, the later side first on a tie -- not the
     * leftmost in the window, which may be a word of another clause.  A
     * stop word may start a group that names it. */
    const int *g1 = g;
    int first_n = s.nat;
    g += g[0];
    for (int gi = 1; gi < prog[1]; gi++, g += g[0]) {
        bool found = false;
        for (int j = lo + 1; j < hi && !found && s.budget >= 0; j++)
            found = group_at(&s, g, j, shi);
        for (int d = 1; !found && s.budget >= 0 && (hi + d <= shi || lo - d >= slo); d++) {
            if (hi + d <= shi)
                found = group_at(&s, g, hi + d, shi);
            if (!found && lo - d >= slo)
                found = group_at(&s, g, lo - d, shi);
        }
        if (!found || s.budget < 0)
            return false;
    }
    /* The first group said again in a later clause, between its reading
     * and the further groups after it ("couldn't fix it and massage is
     * great for an hour"): that later word is the one they go with, and the
     * match starting there (the reader tries it next) is the reading. */
    int right = n;
    for (int k = first_n; k < s.nat; k++)
        if (s.at[k] > hi && s.at[k] < right)
            right = s.at[k];
    bool apart = false;
    for (int j = hi + 1; j < right && right < n; j++) {
        apart |= t[j].clause;
        if (!apart)
            continue;
        int mark = s.nat;
        bool again = group_at(&s, g1, j, right - 1);
        s.nat = mark;
        if (again || s.budget < 0)
            return false;
    }
    m->n = s.nat;
    m->words = 0;
    for (int k = 0; k < s.nat; k++)
        m->words += !t[s.at[k]].skip;
    memcpy(m->at, s.at, (size_t)s.nat * sizeof *s.at);
    for (int k = 0; k < s.nat; k++) {
        lo = s.at[k] < lo ? s.at[k] : lo;
        hi = s.at[k] > hi ? s.at[k] : hi;
    }
    m->first = lo;
    m->last = hi;
    return true;
}
