/*
 * pattern.h — the lexicon's pattern language: one line that a therapist can
 * read as a sentence stands for the many ways people write one fact.
 *
 *   pattern = never/wont/doesnt (ever) <let go> => knot_recurring
 *   pattern = <helps> ... (for) <a few> hours => relief_short
 *   pattern = <relief> & <a few> hours => relief_short
 *
 * Pieces (docs/KB-FORMAT.md has the full description):
 *   word         the word, spelling-fixed and stemmed (so "helps" is "help")
 *   a/b/c        any one of these single words
 *   <name>       any one of the class `name` (a `class = name: ...` line)
 *   (piece)      the piece may be left out
 *   #            a number written in digits
 *   #A-B         a number from A to B ("#24-9999 hours": a day or more)
 *   ...          up to KF_PAT_GAP other words of the same sentence
 *   A & B        A and B both said in one clause (the same sentence, at
 *                most KF_PAT_WINDOW words apart), in either order: the
 *                nearest B to A; an A said again in a later clause nearer
 *                B is the one (the match starts there instead)
 * Stop and side words are passed over between pattern words, as in phrases;
 * written in a pattern they are read as written: one of a/b/c or a class
 * entry must match ("on/in"), a lone one must where it starts or ends a
 * group ("at rest"), and between two pattern words it is passed over.
 *
 * A compiled pattern is a flat int array (owned by the caller), so the
 * loader can keep it in its arena and the matcher needs no allocation.
 * Matching is bounded: every attempt takes at most KF_PAT_BUDGET steps.
 */
#ifndef KF_PATTERN_H
#define KF_PATTERN_H

#include "kf.h"

#define KF_PAT_GAP     6     /* words a "..." may pass over */
#define KF_PAT_WINDOW  10    /* tokens apart for "A & B" */
#define KF_PAT_MARKS   48    /* most words one match may consume */
#define KF_PAT_BUDGET  4096  /* steps per attempt */
#define KF_PAT_NUMBER  (-2)  /* word id standing for '#' */
/* A number written in digits in a pattern or a class entry ("24 hours",
 * "2 days") stands for that number only: its id is KF_PAT_LITERAL(value)
 * (below KF_PAT_NUMBER), matched by a number token of that value. */
#define KF_PAT_NUM_MAX       99999999
#define KF_PAT_LITERAL(v)    (-3 - (int)(v))
#define KF_PAT_IS_LITERAL(w) ((w) <= -3 && (w) > KF_PAT_RANGE_BASE)
#define KF_PAT_LITERAL_VALUE(w) (-3 - (w))
/* "#A-B" (0 <= A <= B <= KF_PAT_RANGE_MAX): a number in digits from A to B,
 * as "#0-23 hours" is under a day and "#24-9999 hours" a day or more; its
 * id is KF_PAT_RANGE(A, B), below every literal. */
#define KF_PAT_RANGE_MAX     9999
#define KF_PAT_RANGE_BASE    (-200000000)
#define KF_PAT_RANGE(lo, hi) (KF_PAT_RANGE_BASE - ((lo) * 10000 + (hi)))
#define KF_PAT_IS_RANGE(w)   ((w) <= KF_PAT_RANGE_BASE)
#define KF_PAT_RANGE_LO(w)   ((KF_PAT_RANGE_BASE - (w)) / 10000)
#define KF_PAT_RANGE_HI(w)   ((KF_PAT_RANGE_BASE - (w)) % 10000)
/* Any id that stands for a number token: '#', a literal or a range. */
#define KF_PAT_IS_NUMERIC(w) ((w) == KF_PAT_NUMBER || (w) <= -3)

/* The token view the matcher works on (text.c builds it). */
enum { KF_PT_WORD = 0, KF_PT_NUM, KF_PT_COMMA, KF_PT_STOP };
typedef struct {
    int           word;      /* lexicon word id, or -1 for an unknown word */
    unsigned char kind;      /* KF_PT_* */
    unsigned char skip;      /* stop or side word: passed over between pattern words */
    unsigned char used;      /* already read by an earlier phrase or pattern */
    unsigned char clause;    /* may end a clause: a comma, "and", "but", "then" */
    int           num;       /* a number token's value (KF_PT_NUM), else unread */
} kf_ptok;

/* What the compiler needs from the lexicon. */
typedef struct {
    /* One written word -> its word ids (a spelling fix may give two or
     * more, at most 4); returns how many, or -1 on failure (out of memory). */
    int (*word)(void *env, const char *raw, int ids[4]);
    /* A class's definition (the text after "name:"), or NULL if unknown. */
    const char *(*cls)(void *env, const char *name);
    /* Is this word id a stop or side word (dropped from patterns)? */
    bool (*skip)(void *env, int id);
    void *env;
} kf_pat_env;

/* Compiles `text` (the left side of a pattern line).  On success returns
 * KF_OK and a kf_malloc'ed program in *prog (its length in *len).  On a
 * syntax error returns KF_EPARSE with a message in `err`. */
kf_err kf_pattern_compile(const char *text, const kf_pat_env *env, int **prog, int *len,
                          kf_buf *err);

/* The distinct word ids a match can start with (KF_PAT_NUMBER: a number);
 * returns how many (at most `max`; more is a compile error, so this never
 * truncates a valid program). */
int kf_pattern_firsts(const int *prog, int *out, int max);
/* The most words a match can consume (for longest-first ordering). */
int kf_pattern_max_len(const int *prog);
/* Groups joined by '&' (1 for a plain sequence). */
int kf_pattern_groups(const int *prog);

/* A quick test before kf_pattern_match, for the words of the sentence the
 * match would start in: false when an element a match must read can start
 * with no word there (so kf_pattern_match would fail), true otherwise.
 * `bits` has bit w set for each word id w of the sentence's tokens (used or
 * not, stop words too), and bit `num_bit` when it has a number. */
static inline bool kf_pattern_may_match(const int *prog, const unsigned long long *bits,
                                        int num_bit)
{
    /* the needs section (pattern.c): its offset is the program's last int,
     * then [sets] and per set [words] word ids... */
    const int *s = prog + prog[prog[0] - 1];
    const int *set = s + 1;
    for (int k = 0; k < s[0]; k++, set += 1 + set[0]) {
        bool any = false;
        for (int j = 1; j <= set[0] && !any; j++) {
            unsigned b = set[j] == KF_PAT_NUMBER ? (unsigned)num_bit : (unsigned)set[j];
            any = bits[b / 64] >> (b % 64) & 1;
        }
        if (!any)
            return false;
    }
    return true;
}

typedef struct {
    int first, last;              /* token span of the whole match */
    int n;                        /* tokens consumed (words and the stop words between) */
    int words;                    /* of which pattern words (for longest-first) */
    int at[KF_PAT_MARKS];
} kf_pmatch;

/* Matches the program with its first group starting at token `i` (a word
 * token).  Tokens marked `used` are never consumed.  Returns true and fills
 * *m on a match (the longest the greedy search finds). */
bool kf_pattern_match(const int *prog, const kf_ptok *t, int n, int i, kf_pmatch *m);

#endif
