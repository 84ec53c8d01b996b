/*
 * context.c — negation, hypothesis, history, condition and experiencer
 * scopes over the reader's tokens (see context.h).
 *
 * Triggers (written here, not in the KB, because they are grammar rather
 * than vocabulary; each is pinned both ways in tests/golden/context.txt):
 *   negated       a negation word of the lexicon, not part of a phrase and
 *                 not a pseudo-negation ("not sure", "no doubt"), over the
 *                 next five words of its clause; through a verb of opinion
 *                 ("I don't think I have a fever", "don't believe it's
 *                 numb") it denies what follows, as a guess
 *   hypothetical  "could it be", "is it/this ...?", "might be", "what if",
 *                 "in case", "rule out", "worried/scared/afraid it ...",
 *                 "if I ever get", "signs of", over the rest of the clause
 *   historical    "used to", "history of", "in the past", "as a kid",
 *                 "when I was younger", "years back"
 *   hedged        a guess: "I think", "I guess", "maybe", "probably",
 *                 "pretty sure", "could/might be from", over the rest of the
 *                 clause (and a clause before "but it's really ..."); what
 *                 is guessed is kept, marked as a guess (a guessed warning
 *                 sign stays one, to be safe)
 *   condition     "if/when" after a word of relief ("it eases if I lean
 *                 back"), and a habit said just before "helps"/"eases"
 * Termination: the end of a sentence, and "but", "however", "though",
 * "although", "except", "yet", "until", "because", a new "and I/my/it ...";
 * a comma ends negation and hypothesis (as NegEx does), not history;
 * "just", "only", "apart from", "other than" end a denial only (neg_enders).
 * A negated saying before a denial ("not saying there's no ...") cancels it;
 * an illness had months back is past (past_months, KF_CTX_MONTHS_AGO).
 */
#include "context.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char person_pair[27 * 27], relation_pair[27 * 27];
static pthread_once_t pairs_once = PTHREAD_ONCE_INIT;
static void init_pairs(void);
static int pair_of(const char *w);

#define NEG_WORDS   5
#define HYPO_WORDS  10
#define HIST_WORDS  8
#define COND_WORDS  6

/* Internal marks beside the KF_CTX_* bits of a token: it is a negation that
 * opened a scope (see the readings spanning several words, at the end). */
#define OPENS_NEGATION (1u << 16)
/* in the scope of a guess at a cause ("could be from", "probably due to") */
#define CAUSE_GUESS    (1u << 17)

static bool in_list(const token *k, const char *const *list)
{
    if (k->kind != T_WORD)
        return false;
    for (int i = 0; list[i]; i++)
        if (k->norm[0] == list[i][0] && !strcmp(k->norm, list[i]))
            return true;
    return false;
}

/* is_any(k, list): is k one of the words of `list`?  Most words are
 * passed over by the first two letters of the list's words (token.h). */
#define is_any(k, list) \
    (tok_may_be_in(k, list) && in_list(k, list))

/* Does the word sequence `seq` (space separated) start at v[i]? Returns the
 * number of tokens it covers, or 0. */
static inline int seq_at(const token *v, int n, int i, const char *seq)
{
    int j = i;
    const char *p = seq;
    while (*p) {
        if (j >= n || v[j].kind != T_WORD)
            return 0;
        /* the word of seq and the token's, letter by letter */
        const char *w = v[j].norm;
        size_t l = 0;
        while (p[l] && p[l] != ' ' && w[l] == p[l])
            l++;
        if ((p[l] && p[l] != ' ') || w[l])
            return 0;
        j++;
        p += l;
        while (*p == ' ')
            p++;
    }
    return j - i;
}

/* The trigger lists searched by word sequence, each chained by the first
 * two letters of its entries (filled once, see init_pairs), so a word is
 * compared only with the entries that start like it. */
#define PAIRS (27 * 27)
#define LISTS 6
#define LIST_MAX 128
static const char *const *seq_lists[LISTS];
static short seq_head[LISTS][PAIRS], seq_next[LISTS][LIST_MAX];
static int pair_of(const char *w);

static int any_seq_at(const token *v, int n, int i, int list)
{
    int p = pair_of(v[i].norm);
    if (p < 0)
        return 0;
    for (int k = seq_head[list][p]; k; k = seq_next[list][k - 1]) {
        int l = seq_at(v, n, i, seq_lists[list][k - 1]);
        if (l)
            return l;
    }
    return 0;
}

static const char *const terminators[] = {
    "but", "however", "though", "although", "except", "yet", "until", "til", "till",
    "because", "cause", "cos", "since", NULL
};

/* Words that end a denial's scope only (ConText's termination terms for
 * negation): what follows them is said to be there instead.  "No injury,
 * just sudden tearing pain", "no cough just a sharp pain when I breathe
 * in", "didn't fall, only can't feel my legs", "no symptoms apart from
 * numbness".  Right after the negation they make no denial at all ("not
 * just the back but the neck", pseudo_negation). */
static const char *const neg_enders[] = {
    "just", "only", "simply", "merely", "instead", "rather", "besides", "apart from",
    "aside from", "other than", "save for", NULL
};
static bool ends_denial(const token *v, int n, int j)
{
    if (v[j].kind != T_WORD || !tok_may_be_in(&v[j], neg_enders))
        return false;
    for (int k = 0; neg_enders[k]; k++)
        if (seq_at(v, n, j, neg_enders[k]))
            return true;
    return false;
}

/* "and" opening a new clause ("and my physio says ...") ends a scope. */
static bool new_clause_and(const token *v, int n, int j)
{
    /* a subject starting its own clause, with its verb run on ("and
     * i've gone grey": "ive", "hes", "its") */
    static const char *const openers[] = {
        "my", "i", "im", "it", "he", "she", "they", "the", "then", "now", "ive", "id", "ill",
        "hes", "shes", "its", "theyre", "we", "weve", "wed", NULL
    };
    return tok_is(&v[j], "and") && j + 1 < n && is_any(&v[j + 1], openers);
}

/* A word that counts toward a scope's length: not a stop or side word. */
static bool counts(const token *k)
{
    return k->kind == T_WORD &&
           (!(k->flags & (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)) ||
            (k->flags & KF_WORD_NEGATE) || k->word < 0);
}

/* A list a denial runs through: "no leg pain, tingling or weakness", "no
 * numbness, pins and needles or loss of bladder control", "no fever, chills,
 * sweats or weight loss".  After the comma at v[c]: short items (at most
 * LIST_ITEM words each) parted by commas, the last after "or" or "nor",
 * none opening a clause of its own (a subject, "but", "just": "no fever, it
 * just aches or throbs" says the ache).  Returns the token after the list's
 * last item, or -1 when the comma ends the denial, as NegEx has it.  "And"
 * does not carry it ("no fever, back pain and tingling" may list what is
 * there): the warning sign stays read. */
#define LIST_ITEM  4
#define LIST_ITEMS 5
static int denied_list_end(const token *v, int n, int c)
{
    static const char *const opens_clause[] = {
        "i", "im", "ive", "id", "ill", "my", "it", "its", "he", "hes", "she", "shes", "they",
        "theyre", "we", "you", "there", "theres", "this", "that", "but", "just", "only",
        "also", "still", "now", "then", "so", "which", "what", "yes", "yeah", NULL
    };
    int j = c + 1;
    for (int items = 0; items < LIST_ITEMS; items++) {
        int w = 0;
        bool start = true, last = false;
        for (; j < n; j++) {
            if (v[j].kind == T_STOP)
                return last && w ? j : -1;
            if (v[j].kind == T_COMMA) {
                if (last)
                    return w ? j : -1;
                break;
            }
            if (v[j].kind != T_WORD) {
                w++;
                start = false;
                continue;
            }
            if (start && is_any(&v[j], opens_clause))
                return -1;
            start = false;
            if (is_any(&v[j], terminators) || new_clause_and(v, n, j))
                return last && w ? j : -1;
            if (!last && (tok_is(&v[j], "or") || tok_is(&v[j], "nor"))) {
                last = true;      /* the list's last item follows */
                start = true;
                w = 0;
                continue;
            }
            if (counts(&v[j]) && ++w > LIST_ITEM)
                return -1;
        }
        if (last)
            return w ? j : -1;
        if (j >= n)
            return -1;
        j++;                      /* past the comma: the next item */
    }
    return -1;
}

/* Marks `bit` on the tokens of the scope opened at v[from] going forward:
 * at most `words` words that are not skipped, within the clause.  A denial
 * runs on through a list after a comma (denied_list_end). */
static void scope_forward(const token *v, int n, int from, int words, bool comma_ends,
                          unsigned bit, unsigned *at)
{
    int w = 0;
    for (int j = from; j < n && w < words; j++) {
        if (comma_ends && v[j].kind == T_COMMA && (bit & KF_CTX_NEGATED)) {
            int e = denied_list_end(v, n, j);
            for (int k = j; k < e; k++)
                at[k] |= bit;
            if (e >= 0)
                return;
        }
        if (v[j].kind == T_STOP || (comma_ends && v[j].kind == T_COMMA))
            break;
        if (v[j].kind == T_WORD && (is_any(&v[j], terminators) || new_clause_and(v, n, j)))
            break;
        if ((bit & KF_CTX_NEGATED) && ends_denial(v, n, j))
            break;
        at[j] |= bit;
        if (counts(&v[j]))
            w++;
    }
}

/* The first word after v[i] that counts (not a stop or side word), or -1. */
static int next_word(const token *v, int n, int i)
{
    for (int j = i + 1; j < n && v[j].kind == T_WORD; j++)
        if (counts(&v[j]))
            return j;
    return -1;
}

/* ---------- people ---------- */

static const struct { const char *w; char sex; int group; } relations[] = {
    { "mum", 'f', 1 }, { "mom", 'f', 1 }, { "mother", 'f', 1 }, { "mam", 'f', 1 },
    { "mummy", 'f', 1 }, { "mommy", 'f', 1 }, { "ma", 'f', 1 },
    { "dad", 'm', 2 }, { "father", 'm', 2 }, { "daddy", 'm', 2 }, { "pa", 'm', 2 },
    { "son", 'm', 3 }, { "stepson", 'm', 3 }, { "boy", 'm', 3 }, { "lad", 'm', 3 },
    { "daughter", 'f', 4 }, { "stepdaughter", 'f', 4 }, { "girl", 'f', 4 },
    { "husband", 'm', 5 }, { "hubby", 'm', 5 },
    { "wife", 'f', 6 }, { "missus", 'f', 6 }, { "misses", 'f', 6 },
    { "partner", '?', 7 }, { "spouse", '?', 7 },
    { "boyfriend", 'm', 8 }, { "bf", 'm', 8 }, { "fiance", 'm', 8 },
    { "girlfriend", 'f', 9 }, { "gf", 'f', 9 }, { "fiancee", 'f', 9 },
    { "brother", 'm', 10 }, { "sister", 'f', 11 },
    { "grandma", 'f', 12 }, { "grandmother", 'f', 12 }, { "granny", 'f', 12 },
    { "nan", 'f', 12 }, { "nana", 'f', 12 }, { "gran", 'f', 12 },
    { "grandpa", 'm', 13 }, { "grandfather", 'm', 13 }, { "granddad", 'm', 13 },
    { "grandad", 'm', 13 },
    { "aunt", 'f', 14 }, { "auntie", 'f', 14 }, { "uncle", 'm', 15 },
    { "niece", 'f', 16 }, { "nephew", 'm', 17 },
    { "friend", '?', 18 }, { "mate", '?', 18 }, { "buddy", '?', 18 }, { "pal", '?', 18 },
    { "colleague", '?', 19 }, { "coworker", '?', 19 }, { "workmate", '?', 19 },
    { "teammate", '?', 19 }, { "boss", '?', 20 }, { "manager", '?', 20 },
    { "child", '?', 21 }, { "kid", '?', 21 }, { "teenager", '?', 21 }, { "teen", '?', 21 },
    { "cousin", '?', 22 }, { "neighbour", '?', 23 }, { "neighbor", '?', 23 },
    { "client", '?', 24 }, { "patient", '?', 24 },
    { "sibling", '?', 28 },
    { "flatmate", '?', 25 }, { "roommate", '?', 25 }, { "housemate", '?', 25 },
    { "coach", '?', 26 }, { "landlord", 'm', 27 }, { "landlady", 'f', 27 },
};

/* People outside the family and the home's care (friends, colleagues, a
 * boss, a cousin, a neighbour, a flatmate, a coach): a writer tells of
 * them, and rarely speaks for them. */
static bool outsider(int g)
{
    return g == 18 || g == 19 || g == 20 || g == 22 || g == 23 || (g >= 25 && g <= 27);
}


/* The relations chained by their first two letters, in the table's order
 * (filled once, see init_pairs): a relation word starts with its entry. */
static signed char relation_head[PAIRS], relation_next[KF_ARRAY_LEN(relations)];

static int relation_of(const char *w)
{
    int p = pair_of(w);
    for (int i = p < 0 ? 0 : relation_head[p]; i; i = relation_next[i - 1]) {
        const char *r = relations[i - 1].w;
        size_t rl = 0;
        while (r[rl] && w[rl] == r[rl])
            rl++;
        if (!r[rl] && (!w[rl] || (w[rl] == 's' && !w[rl + 1])))
            return i - 1;
    }
    return -1;
}

/* Numbers and describing words that may stand between "my" and a relation
 * ("my 15 year old son", "my elderly neighbour"). */
static const char *const describing[] = {
    "year", "years", "yr", "yrs", "yo", "old", "little", "elderly", "older", "younger",
    "eldest", "oldest", "youngest", "teenage", "teen", "pregnant", "poor", "dear",
    "sweet", "best", "big", "baby", "grown", "adult", "month", "months", "week", "weeks",
    "new", "ex", "step", "late", "own", "other", "senior", "citizen", "elder", "frail",
    "sick", "disabled", NULL
};

/* A relation word counts when "my"/"our" stands up to four words before it
 * with only numbers and describing words between ("my 15 year old son");
 * returns the index of that "my", or -1. */
static int relation_owner(const token *v, int i)
{
    /* "a friend had shingles", "a colleague's dad": someone outside the
     * family named with "a" is someone else too (not "a kid", "a teenager":
     * "as a kid I ...", "when I was a teenager" are the writer) */
    int r = relation_of(v[i].norm);
    int g = r >= 0 ? relations[r].group : 0;
    bool a_person = outsider(g) || g == 24;
    for (int j = i - 1, k = 0; j >= 0 && k < 5; j--, k++) {
        if (tok_is(&v[j], "my") || tok_is(&v[j], "our") || tok_is(&v[j], "mine"))
            return j;
        if (a_person && (tok_is(&v[j], "a") || tok_is(&v[j], "an")))
            return j;
        if (v[j].kind == T_NUM || is_any(&v[j], describing))
            continue;
        return -1;
    }
    return -1;
}

/* Does the relation word v[i] open its sentence, describing words aside
 * ("Dad is 75", "Elderly neighbour fell last week")? */
static bool opens_sentence(const token *v, int i)
{
    int j = i - 1;
    while (j >= 0 && v[j].kind == T_WORD && is_any(&v[j], describing))
        j--;
    return j < 0 || v[j].kind == T_STOP;
}

char kf_context_relation(const token *v, int n, int i)
{
    (void)n;
    int p = v[i].kind == T_WORD ? pair_of(v[i].norm) : -1;
    pthread_once(&pairs_once, init_pairs);
    if (p < 0 || !relation_pair[p])
        return 0;
    int r = relation_of(v[i].norm);
    if (r < 0 || (relation_owner(v, i) < 0 && !(i == 0 || v[i - 1].kind == T_STOP)))
        return 0;
    return relations[r].sex;
}



static bool relation_subject(const token *v, int n, int owner, int i)
{
    static const char *const openers[] = {
        "and", "but", "so", "because", "cause", "then", "also", "now", "plus", "as", "while",
        "since", "when", "if", "though", "although", "well", "hi", "hello", "hey", "ok",
        "okay", "asking", "writing", "question", NULL
    };
    static const char *const verbs[] = {
        "is", "was", "has", "had", "have", "keeps", "kept", "gets", "got", "says", "said",
        "thinks", "complains", "complained", "hurts", "hurt", "plays", "works", "does", "did",
        "can", "cant", "cannot", "isnt", "wasnt", "wont", "who", "seems", "started", "needs",
        "feels", "felt", "sleeps", "sits", "lifts", "carries", "uses", "goes", "went",
        "just", "always", "often", "also", "recently", "suddenly", "woke", "wakes", "fell",
        "lives", "spends", "struggles", "suffers", "suffered", "developed", "noticed",
        "mentioned", "told", "tells", "asked", "hasnt", "doesnt", "didnt", "will", "would",
        "might", "may", "could", "should", "must", "still", "now", "and", "aged", "age",
        "turned", "on", "with", "of", NULL
    };
    if (owner == 0 || v[owner - 1].kind == T_STOP || v[owner - 1].kind == T_COMMA ||
        is_any(&v[owner - 1], openers))
        return true;
    if (i + 1 >= n || v[i + 1].kind != T_WORD)
        return true;             /* "my son (15)", "my partner, 30 weeks along" */
    /* "since my daughter was born", "my son arrived": a birth told, not the
     * baby speaking; what follows stays the writer's ("One leg is swollen") */
    if (tok_is(&v[i + 1], "arrived") ||
        (i + 2 < n && (tok_is(&v[i + 1], "was") || tok_is(&v[i + 1], "were")) &&
         (tok_is(&v[i + 2], "born") || tok_is(&v[i + 2], "delivered"))))
        return false;
    /* "my nan broke her hip", "my mum fractured ...", "my aunt needed ...":
     * a past tense after the relation is its verb */
    static const char *const past[] = {
        "broke", "died", "passed", "took", "takes", "lost", "shrank", "ended", "became", NULL
    };
    size_t l1 = strlen(v[i + 1].norm);
    if (is_any(&v[i + 1], past) || (l1 > 4 && !strcmp(v[i + 1].norm + l1 - 2, "ed")))
        return true;
    /* "I slept on my mate's sofa", "at my mum's house": a thing of theirs
     * where the writer was, not them speaking ("my mum's back" and "my
     * husband's got" still are) */
    static const char *const things[] = {
        "sofa", "couch", "settee", "house", "home", "place", "flat", "car", "van", "truck",
        "bed", "spare", "wedding", "funeral", "party", "birthday", "garden", "farm", "shop",
        "business", "office", "dog", "cat", "horse", "pool", "gym", "boat", "bike", "desk",
        "chair", "kitchen", "floor", "caravan", "cottage", "holiday", "hen", "stag", "baby",
        "kids", "wheelchair", "bags", "stuff", "furniture", "move", "removal", NULL
    };
    if (v[i].norm[strlen(v[i].norm) - 1] == 's' && is_any(&v[i + 1], things))
        return false;
    /* "I care for my dad and lift him in and out of bed": after an "and"
     * with no subject of its own the verb is still the writer's; "my mum
     * and dad", "with my husband and I" name them together */
    if (tok_is(&v[i + 1], "and") && v[i].norm[strlen(v[i].norm) - 1] != 's')
        return i + 2 < n && v[i + 2].kind == T_WORD &&
               (relation_of(v[i + 2].norm) >= 0 || tok_is(&v[i + 2], "i") ||
                tok_is(&v[i + 2], "me") || tok_is(&v[i + 2], "myself"));
    return is_any(&v[i + 1], verbs) || v[i].norm[strlen(v[i].norm) - 1] == 's';
}

/* Is the "him" or "her" at v[i] an object ("I carry him", "I lift her
 * into bed") rather than a subject or owner ("his back", "her neck hurts")? */
static bool object_pronoun(const token *v, int n, int i)
{
    static const char *const after_object[] = {
        "on", "onto", "in", "into", "up", "to", "around", "round", "with", "for", "and",
        "at", "about", "off", "over", "all", "every", "down", "out", "from", "when", "while",
        "because", "so", "but", "or", "then", "as", "like", "a", "an", "the", "lots", "too",
        "now", "again", "home", "upstairs", "downstairs", "everywhere", "most", "each",
        "several", "twice", "once", "since", "after", "before", "through", "across", NULL
    };
    if (tok_is(&v[i], "him") || tok_is(&v[i], "himself") || tok_is(&v[i], "herself"))
        return !(i > 0 && (tok_is(&v[i - 1], "told") || tok_is(&v[i - 1], "asked")));
    if (!tok_is(&v[i], "her"))
        return false;
    /* "her" after a verb of doing and before no noun of hers */
    if (i + 1 >= n || v[i + 1].kind != T_WORD)
        return i > 0 && v[i - 1].kind == T_WORD && !(v[i - 1].flags & KF_WORD_STOP);
    return is_any(&v[i + 1], after_object);
}

/* "I drive her to chemo", "I take my dad to dialysis", "my wife, who is on
 * chemo": the treatment someone is taken to, or said of them in a "who"
 * clause, is theirs, not the writer's who takes them (round 7: "my mother
 * has breast cancer and I drive her to chemo; my own back is stiff" read a
 * cancer history of the writer's).  The object or relation is at v[i];
 * returns the last token of the words that are theirs, or i. */
static int treatment_of_other(const token *v, int n, int i)
{
    static const char *const treatments[] = {
        "chemo", "chemotherapy", "radiotherapy", "radiation", "dialysis", "hospital",
        "appointment", "appointments", "treatment", "treatments", "clinic", "clinics",
        "infusion", "infusions", "scan", "scans", "oncology", "hospice", "transfusion",
        "transfusions", "radio", NULL
    };
    static const char *const to[] = { "to", "for", "from", NULL };
    static const char *const who[] = { "who", "whos", "that", NULL };
    static const char *const owners[] = { "his", "her", "their", "the", "my", "a", "an", NULL };
    int j = i + 1;
    if (j < n && v[j].kind == T_COMMA)
        j++;
    if (j < n && v[j].kind == T_WORD && is_any(&v[j], to)) {
        j++;
        while (j < n && v[j].kind == T_WORD && is_any(&v[j], owners))
            j++;
        return j < n && v[j].kind == T_WORD && is_any(&v[j], treatments) ? j : i;
    }
    if (j < n && v[j].kind == T_WORD && is_any(&v[j], who)) {
        /* "who is on chemo", "who's having radiotherapy", "that has dialysis" */
        for (int k = j + 1; k < n && k <= j + 4 && v[k].kind == T_WORD &&
                            !is_any(&v[k], terminators); k++)
            if (is_any(&v[k], treatments))
                return k;
    }
    return i;
}

/* Is what is told of the relation at v[i] a past event ("my mate had a
 * heart attack", "my neighbour fell", "my boss has had two strokes"), not
 * how they are ("my dad is 71", "my mate's back hurts")? */
static bool told_past(const token *v, int n, int i)
{
    static const char *const skip[] = { "who", "just", "also", "recently", "once", NULL };
    static const char *const past[] = {
        "had", "fell", "broke", "died", "passed", "was", "were", "got", "took", "lost",
        "went", "became", "suffered", "collapsed", "ended", NULL
    };
    int j = i + 1;
    /* an aside of their age between: "my neighbour, 88, fell" */
    while (j < n && (v[j].kind == T_COMMA || v[j].kind == T_NUM ||
                     (v[j].kind == T_WORD && (is_any(&v[j], skip) || is_any(&v[j], describing)))))
        j++;
    if (j >= n || v[j].kind != T_WORD)
        return false;
    if ((tok_is(&v[j], "has") || tok_is(&v[j], "have")) && j + 1 < n && tok_is(&v[j + 1], "had"))
        return true;
    size_t l = strlen(v[j].norm);
    return is_any(&v[j], past) || (l > 4 && !strcmp(v[j].norm + l - 2, "ed"));
}

/* who[] of the hand someone works on the writer with ("digs her thumb
 * in"): no one's pain, and it makes no one the person in pain. */
#define AGENT_HAND 30

/* who[] of the treatment an unnamed "him" or "her" is taken to ("I drive
 * her to chemo" with no relation named): someone else's, not the writer's. */
#define TAKEN_GROUP 31

/* The hands someone works with. */
static const char *const tools[] = {
    "elbow", "elbows", "thumb", "thumbs", "hand", "hands", "knuckle", "knuckles", "finger",
    "fingers", "knee", "knees", "foot", "feet", "fist", "fists", "forearm", "palm", "palms",
    NULL
};

/* Does the relation at v[i] work on the writer's knot: a verb of hands-on
 * treatment ("presses", "massages", "rubs", "digs", "kneads") with the knot,
 * the writer or the writer's body as its object ("it", "the knot", "my
 * back", "me", "on it"), or with the agent's own hand ("digs her thumb
 * in")?  Returns the last token of the verb (and of that hand), or -1. */
static int works_on_writer(const token *v, int n, int i)
{
    static const char *const adverbs[] = {
        "always", "sometimes", "usually", "often", "then", "will", "tries", "kindly",
        "also", "just", "regularly", "now", NULL
    };
    static const char *const treats[] = {
        "press", "presses", "pressed", "pressing", "push", "pushes", "pushed", "massage",
        "massages", "massaged", "massaging", "rub", "rubs", "rubbed", "rubbing", "dig", "digs",
        "dug", "knead", "kneads", "kneaded", "elbow", "elbows", "elbowed", "squeeze",
        "squeezes", "squeezed", "work", "works", "worked", "pummel", "pummels", "puts", "put",
        "uses", "use", "used", NULL
    };
    static const char *const objects[] = { "it", "the", "my", "me", "them", "that", "this", NULL };
    int j = i + 1;
    while (j < n && v[j].kind == T_WORD && is_any(&v[j], adverbs))
        j++;
    if (j + 1 >= n || v[j].kind != T_WORD || !is_any(&v[j], treats))
        return -1;
    int verb = j++;
    /* "digs her thumb in", "puts his elbow into it": the agent's own hand */
    if (j + 1 < n && (tok_is(&v[j], "her") || tok_is(&v[j], "his")) && is_any(&v[j + 1], tools))
        return j + 1;
    if (tok_is(&v[j - 1], "puts") || tok_is(&v[j - 1], "put") || tok_is(&v[j - 1], "uses") ||
        tok_is(&v[j - 1], "use") || tok_is(&v[j - 1], "used"))
        return -1;
    if (j + 1 < n && (tok_is(&v[j], "on") || tok_is(&v[j], "into") || tok_is(&v[j], "in")))
        j++;
    /* "works on the rigs": work needs the knot itself, not any "the" */
    if (tok_is(&v[j - 1], "work") || tok_is(&v[j - 1], "works") || tok_is(&v[j - 1], "worked") ||
        tok_is(&v[j - 2], "work") || tok_is(&v[j - 2], "works") || tok_is(&v[j - 2], "worked"))
        return tok_is(&v[j], "it") || tok_is(&v[j], "me") ||
               (tok_is(&v[j], "the") && j + 1 < n && !strncmp(v[j + 1].norm, "knot", 4))
               ? verb : -1;
    return v[j].kind == T_WORD && is_any(&v[j], objects) ? verb : -1;
}

/* past_of[g]: 1 when all that is told of relation g is a past event, 2 when
 * something of now is told of them too. */
/* "with her elbow", "using his thumbs": the hand someone works with, not a
 * place of theirs that hurts: it names no new person in pain. */
static bool tool_of_agent(const token *v, int n, int i)
{
    return i >= 1 && i + 1 < n && (tok_is(&v[i], "her") || tok_is(&v[i], "his")) &&
           (tok_is(&v[i - 1], "with") || tok_is(&v[i - 1], "using") ||
            tok_is(&v[i - 1], "uses")) && is_any(&v[i + 1], tools);
}

static void people(const token *v, int n, int *who, int *sex_of, int *first_subject,
                   unsigned char *past_of)
{
    static const char *const writer[] = {
        "i", "im", "ive", "id", "ill", "me", "my", "myself", "mine", NULL
    };
    static const char *const he[] = { "he", "him", "his", "hes", "himself", NULL };
    static const char *const she[] = { "she", "her", "hers", "shes", "herself", NULL };
    /* -1: nobody named yet (or only "he"/"she" with no relation named, as
     * when a physio's words are reported): such words fit whoever is in pain */
    int cur = -1, last_m = -1, last_f = -1;
    /* A sentence's words before its first person word are that person's:
     * "My dad died of a heart attack at 52. An hour ago, watching TV, I got
     * a pain" -- the hour is the writer's, not the dad's.  A sentence with
     * no person word keeps the last one ("My dad is 70. Sits all day"). */
    int open_from = -1, open_cur = -1;
    for (int i = 0; i < n; i++) {
        if (v[i].kind == T_STOP) {
            who[i] = cur;
            open_from = i + 1;
            open_cur = cur;
            continue;
        }
        int pair = v[i].kind == T_WORD ? pair_of(v[i].norm) : -1;
        bool named = false;            /* a person word: a relation, I, he, she */
        if (pair >= 0 && person_pair[pair]) {
            int r = relation_pair[pair] ? relation_of(v[i].norm) : -1;
            named = r >= 0;
            int owner = r >= 0 ? relation_owner(v, i) : -1;
            /* "Dad is 75, ...": a relation word opening a sentence names the
             * relation without "my" */
            static const char *const says[] = {
                "is", "was", "has", "had", "keeps", "says", "said", "thinks", "gets", "got",
                "hurts", "isnt", "cant", "woke", "fell", "complains", "turned", NULL
            };
            if (r >= 0 && owner < 0 && opens_sentence(v, i) &&
                relations[r].group != 21 && relations[r].group != 18 &&
                relations[r].group != 24 && i + 1 < n && is_any(&v[i + 1], says))
                owner = i;
            /* "Partner, 31, ...", "Dad (70) ...", "Husband 45 ...": a
             * relation opening a sentence with an age beside it */
            if (r >= 0 && owner < 0 && (i == 0 || v[i - 1].kind == T_STOP) && i + 1 < n &&
                (v[i + 1].kind == T_NUM || tok_is(&v[i + 1], "aged") ||
                 (v[i + 1].kind != T_WORD && i + 2 < n && v[i + 2].kind == T_NUM)))
                owner = i;
            if (owner >= 0) {
                int g = relations[r].group;
                sex_of[g] = relations[r].sex;
                if (relations[r].sex != 'f')
                    last_m = g;
                if (relations[r].sex != 'm')
                    last_f = g;
                for (int j = owner; j < i; j++)
                    who[j] = g;        /* "my 15 year old son": the 15 is his */
                /* The relation speaks (is the subject) when it opens a
                 * clause or a verb, number or aside follows it; otherwise
                 * it is what the writer does something with ("I carry my
                 * son on my hip"), and the words after stay the writer's. */
                /* "my wife presses it with her elbow", "my husband rubs
                 * the knot for me": someone working on the writer's pain is
                 * not the person in pain; the words after stay whoever's
                 * they were (as "I carry him" does for an object) */
                int e = relation_subject(v, n, owner, i) ? works_on_writer(v, n, i) : -1;
                if (e > i) {
                    for (int j = owner; j <= e; j++)
                        who[j] = is_any(&v[j], tools) ? AGENT_HAND : g;
                    i = e;
                    continue;
                }
                if (relation_subject(v, n, owner, i)) {
                    cur = g;
                    past_of[g] = told_past(v, n, i) && past_of[g] != 2 ? 1 : 2;
                    if (*first_subject < 0)
                        *first_subject = g;
                    /* "my wife says one eyelid is drooping", "my husband
                     * noticed a lump": what someone reports seeing is about
                     * whoever the words after it name, and with no "he",
                     * "she" or "my" there, whoever is in pain (-1), not the
                     * one who saw it ("my mum says she has a knot" is still
                     * the mum's: "she" names her again). */
                    static const char *const reports[] = {
                        "says", "said", "reckons", "noticed", "notices", "spotted",
                        "found", "finds", "saw", "sees", "mentioned", "thinks", "thought",
                        "told", "tells", NULL
                    };
                    if (i + 2 < n && v[i + 1].kind == T_WORD && is_any(&v[i + 1], reports)) {
                        who[i] = g;
                        who[i + 1] = g;
                        int j = i + 2;
                        if (j < n && (tok_is(&v[j], "me") || tok_is(&v[j], "us") ||
                                      tok_is(&v[j], "that")))
                            who[j] = g, j++;
                        cur = -1;
                        i = j - 1;
                        continue;
                    }
                } else {
                    who[i] = g;
                    for (int upto = treatment_of_other(v, n, i); i < upto; )
                        who[++i] = g;
                    continue;
                }
            } else if (tok_is(&v[i], "mine") && i >= 2 && tok_is(&v[i - 1], "of") &&
                       v[i - 2].kind == T_WORD && relation_of(v[i - 2].norm) >= 0) {
                named = true;                /* "a friend of mine fell": still the friend */
            } else if (is_any(&v[i], writer)) {
                cur = 0;
                named = true;
            } else if (is_any(&v[i], he) || is_any(&v[i], she)) {
                bool m = is_any(&v[i], he);
                int g = m ? last_m : last_f;
                if (g > 0 && sex_of[g] == '?')
                    sex_of[g] = m ? 'm' : 'f';      /* "my partner ... his back" */
                /* "him", or "her" with no thing of hers after it, is what
                 * the speaker does something to ("I carry him, neck knot",
                 * "I lift her into the bath and my back aches"): the words
                 * after stay the speaker's */
                if (object_pronoun(v, n, i) || tool_of_agent(v, n, i)) {
                    who[i] = g;
                    /* "I drive him to chemo": his, whoever he is (with no
                     * relation named, someone taken there, not the writer) */
                    for (int upto = treatment_of_other(v, n, i); i < upto; )
                        who[++i] = g > 0 ? g : TAKEN_GROUP;
                    continue;
                }
                cur = g;
                named = true;
            }
        }
        /* the sentence's first person word: the words before it are its */
        if (open_from >= 0 && named) {
            for (int j = open_from; j < i; j++)
                if (who[j] == open_cur)
                    who[j] = cur;
            open_from = -1;
        }
        who[i] = cur;
    }
}

/* ---------- family history ---------- */

/* The whole family as the experiencer: who[] of what is said of it. */
#define FAMILY_GROUP 29

/* A family-history trigger at v[i]: "runs in my family", "in the family",
 * "family history", "on my mum's side", "my family has"; its length, or 0. */
static int family_trigger_at(const token *v, int n, int i)
{
    static const char *const runs[] = { "runs", "run", "running", "ran", NULL };
    static const char *const owners[] = { "my", "the", "our", "his", "her", "their", NULL };
    static const char *const families[] = { "family", "families", "genes", "blood", NULL };
    static const char *const parents[] = {
        "mums", "moms", "mothers", "dads", "fathers", "mams", NULL
    };
    static const char *const has[] = { "has", "have", "had", NULL };
    int j = i;
    if (is_any(&v[j], runs) && j + 1 < n && tok_is(&v[j + 1], "in"))
        j++;
    if (tok_is(&v[j], "in") && j + 1 < n) {
        int k = j + 1;
        if (is_any(&v[k], owners) && k + 1 < n)
            k++;
        if (is_any(&v[k], families) && (j > i || !tok_is(&v[k], "blood")))
            return k - i + 1;
        return 0;
    }
    if (tok_is(&v[i], "family") && i + 1 < n &&
        (tok_is(&v[i + 1], "history") || tok_is(&v[i + 1], "hx")))
        return 2;
    if (tok_is(&v[i], "on") && i + 3 < n && is_any(&v[i + 1], owners) &&
        is_any(&v[i + 2], parents) && tok_is(&v[i + 3], "side"))
        return 4;
    if ((tok_is(&v[i], "my") || tok_is(&v[i], "our")) && i + 2 < n &&
        tok_is(&v[i + 1], "family") && is_any(&v[i + 2], has))
        return 3;
    return 0;
}

/* What is said in a clause with a family-history trigger ("osteoporosis
 * runs in my family", "my family has a history of osteoporosis", "there's
 * osteoporosis on my mum's side") is the family's, not the writer's -- unless
 * the writer is named in it too ("I have osteoporosis, which runs in my
 * family" keeps it the writer's).  A clause ends at a stop, a comma, a
 * terminator or a new "and I/my ...". */
static void family_history(const token *v, int n, int *who)
{
    static const char *const writer[] = { "i", "im", "ive", "id", "me", "myself", "mine", NULL };
    for (int i = 0; i < n; i++) {
        if (v[i].kind != T_WORD)
            continue;
        int l = family_trigger_at(v, n, i);
        if (!l)
            continue;
        int a = i, b = i + l;
        while (a > 0 && v[a - 1].kind == T_WORD && !is_any(&v[a - 1], terminators) &&
               !new_clause_and(v, n, a - 1))
            a--;
        while (b < n && v[b].kind == T_WORD && !is_any(&v[b], terminators) &&
               !new_clause_and(v, n, b))
            b++;
        bool mine = false;
        for (int j = a; j < b && !mine; j++)
            mine = (j < i || j >= i + l) && is_any(&v[j], writer);
        if (!mine)
            for (int j = a; j < b; j++)
                who[j] = FAMILY_GROUP;
        i = b - 1 > i ? b - 1 : i;
    }
}

/* A past injury's verb in the clause just before v[first] ("broke her
 * hip", "fractured his wrist", "died of"), at most four words back. */
static bool past_event_before(const token *v, int first)
{
    static const char *const events[] = {
        "broke", "broken", "fractured", "cracked", "snapped", "died", "dislocated", NULL
    };
    for (int j = first - 1; j >= 0 && j >= first - 4; j--) {
        if (v[j].kind != T_WORD || is_any(&v[j], terminators))
            return false;
        if (is_any(&v[j], events))
            return true;
    }
    return false;
}

/* ---------- triggers ---------- */

static const char *const pseudo_negation[] = {
    "realize", "realise", "realized", "realised", "know", "knew", "understand",
    "sure", "mind", "only", "just", "remember", "care", "want", "wonder", "doubt",
    "matter", "notice", "noticed", NULL
};
/* A negation before a verb of opinion denies what follows, as a guess: "I
 * don't think I have a fever", "I don't believe it's numb", "don't reckon
 * it's my heart", "I don't feel like my arm is weak". */
static const char *const neg_raising[] = {
    "think", "thinks", "thought", "believe", "believes", "reckon", "reckons", "suppose",
    "imagine", "expect", "feel like", "feels like", "felt like", NULL
};

/* Words of going or easing: denied, they say the pain persists. */
static const char *const going[] = {
    "gone", "go", "goes", "going", "eased", "ease", "easing", "let", "letting", "stopped",
    "stop", "settled", "settle", "shifted", "shift", "budged", "budge", "faded", "fade",
    "subsided", "improved", "lifted", "passed", "calmed", "died", NULL
};
static const char *const going_particle[] = {
    "off", "away", "up", "down", "back", "at", "any", "anywhere", "better", NULL
};

/* After a negation, words that make a second negation in the same clause
 * a double one ("can't say it doesn't", "not that it doesn't"). */
static const char *const denied_denial[] = {
    "say", "saying", "says", "claim", "claiming", "suggesting", "pretend", "deny", "that",
    "true", "like", "way", NULL
};

/* Hypothetical openers that need no question mark. */
static const char *const hypo_always[] = {
    "could it be", "could this be", "could that be", "could it possibly be", "might it be",
    "might this be", "can it be", "can this be", "would it be", "what if", "in case",
    "just in case", "rule out", "to rule out", "ruling out", "ruled out", "check for",
    "checked for", "test for", "tested for", "screen for", "screened for", "signs of",
    "symptoms of", "sign of", "symptom of", "do you think", "could be", "might be",
    "may be", "maybe its", "maybe it is", "possibly", "i wonder if", "wondering if",
    "wondering whether", "wonder whether", "is there a chance", "any chance", "how do i know if",
    "how can i tell if", "how do i tell if", "should i worry", "should i be worried",
    "how do you know if", "how do you tell if", "how can you tell if", "how would you know if",
    "how would i know if", "how do you know when", "how do i know when",
    "afraid of", "scared of", "terrified of", "frightened of", "fear of", "worried of",
    /* what may be needed is not what is: "I might need surgery" */
    "going to need", "gonna need", "might need", "may need", "will need", "would need",
    "might have to have", "will have to have", NULL
};
/* Guesses: what follows is said, but only as the writer's guess ("I think I
 * just slept funny", "maybe I slept wrong", "probably from the gym", "could
 * be from the gym").  A longer hypothesis at the same word wins ("maybe
 * it's my heart", "could be a clot" stay questions of what to check). */
static const char *const hedge[] = {
    "i think", "i guess", "i reckon", "i suspect", "i believe", "i assume", "i imagine",
    "im guessing", "im assuming", "i figure", "i presume", "my guess is", "probably",
    "maybe", "perhaps", "likely", "most likely", "i think its",
    "think its", "think it is", "reckon its", "guess its", "suspect its",
    "pretty sure", "fairly sure", "quite sure", "im sure", "i am sure", "im convinced",
    "i am convinced", "im positive", "i bet", "convinced", "self diagnosed",
    "selfdiagnosed", "self diagnosing", "diagnosed myself with", "google says",
    "dr google says",
    "could be from", "might be from", "may be from", "maybe from", "possibly from",
    "must be from", "could have been from", "might have been from", "probably from",
    "could be due to", "might be due to", "may be due to", "could be because of",
    "might be because of", NULL
};
/* A quick gate before the hedge list is searched: its one-word entries, and
 * the second words of the others (most "i ..." and "my ..." start none). */
static const char *const hedge_single[] = {
    "probably", "maybe", "perhaps", "likely", "convinced", "selfdiagnosed", NULL
};
static const char *const hedge_second[] = {
    "think", "guess", "reckon", "suspect", "believe", "assume", "imagine", "guessing",
    "assuming", "figure", "presume", "likely", "be", "from", "have", "sure", "convinced",
    "positive", "bet", "am", "its", "it", "diagnosed", "diagnosing", "myself", "says",
    "google", NULL
};
/* Words after a hedge that make it a rough amount, not a guess. */
static const char *const approx_amount[] = {
    "once", "twice", "thrice", "about", "around", "roughly", "half", "two", "three",
    "four", "five", "six", "seven", "eight", "ten", "twenty", "every", "several", NULL
};
static bool may_hedge(const token *v, int n, int i)
{
    return is_any(&v[i], hedge_single) || (i + 1 < n && is_any(&v[i + 1], hedge_second));
}

/* Openers that are hypothetical in a question ("is it my heart?"), unless a
 * pseudo-trigger follows ("is it normal that ..."). */
static const char *const hypo_question[] = {
    "is it", "is this", "is that", "are these", "are they", "could i have", "do i have",
    "can i have", "or is it", "am i going to", "will i need", "do i need", "would i need",
    "will i have to", "should i get", "will it need", "does it need",
    /* "if it was my heart, would it hurt when I move my arm?": what would
     * be, asked, not what is */
    "would it", "would i", "would there be", NULL
};
static const char *const hypo_question_pseudo[] = {
    "normal", "common", "ok", "okay", "safe", "usual", "serious", "bad", "worth", "fine",
    "because", "from", "due", "caused", "related", "likely", "possible", "true", NULL
};
/* Worry words: hypothetical when what follows is what they fear ("scared
 * it's a tumour", "worried I might have"), not a fact ("worried about the
 * numbness"). */
static const char *const worry[] = {
    "worried", "worry", "worrying", "worries", "scared", "afraid", "frightened",
    "terrified", "concerned", "fear", "fearing", "feared", "anxious", "paranoid",
    "petrified", "panicking", "nervous", NULL
};
static const char *const worry_then[] = {
    "it", "its", "thats", "i", "im", "ive", "might", "may", "could", "whether", "if",
    "theres", "there", "something", "a", "an", "of", "its", "this", "these", NULL
};
static const char *const if_hypo[] = {
    "ever", "get", "gets", "got", "start", "starts", "develop", "develops", "spreads",
    "comes", "come", "turns", "happen", "happens", "notice", "feel", "experience", NULL
};
static const char *const historical[] = {
    "used to", "use to", "history of", "in the past", "as a kid", "as a child",
    "as a teen", "as a teenager", "when i was younger", "when i was young",
    "when i was a kid", "when i was a child", "when i was a teenager", "years back",
    "previously had", "in my youth", "back in the day", "since i was a kid",
    "since i was a child", "since i was a teen", "since i was a teenager",
    "since i was young", "since i was little", "since i was a baby", "since she was a baby",
    "since he was a baby", "since she was little", "since he was little", NULL
};
/* Time words that put what was had before them in the past ("I had it
 * last year", "broke my collarbone years ago"), looked for backward within
 * the clause to a verb of having (ConText's backward triggers). */
static const char *const past_time[] = {
    "last year", "years ago", "year ago", "years back", "a year ago", "decades ago",
    "as a kid", "as a child", "as a teenager", "as a teen", NULL
};
/* ... and months back ("had a kidney infection a month ago", "had shingles
 * a few months back"): over, unless it is what the pain came with (text.c
 * keeps an operation, a birth or a fall then). */
static const char *const past_months[] = {
    "month ago", "months ago", "month back", "months back", "last month", NULL
};
static const char *const had_verbs[] = {
    "had", "got", "was", "were", "broke", "broken", "did", "suffered", "caught", NULL
};
static const char *const relief[] = {
    "ease", "eases", "eased", "easing", "easier", "better", "helps", "help", "helped",
    "relieves", "relieved", "relief", "improves", "improved", "settles", "loosens",
    "disappears", "goes", "stops", "calms", "less", NULL
};

/* A quick filter on a word's first two letters: most words start no
 * trigger and name no person, and are passed over without a list search. */
static unsigned char trigger_pair[PAIRS];
static int pair_of(const char *w)
{
    unsigned a = (unsigned)(unsigned char)w[0] - 'a', b = (unsigned)(unsigned char)w[1] - 'a';
    return a < 26 ? (int)(a * 27 + (b < 26 ? b + 1 : 0)) : -1;
}

static void mark_list(unsigned char *set, const char *const *list)
{
    for (int i = 0; list[i]; i++) {
        int p = pair_of(list[i]);
        if (p >= 0)
            set[p] = 1;
    }
}

/* Which lists a word's first two letters can open: bit 0 hypo_always,
 * 1 hypo_question, 2 worry, 3 historical. */
static unsigned char list_pair[PAIRS];

static void mark_bit(const char *const *list, unsigned char bit)
{
    for (int i = 0; list[i]; i++) {
        int p = pair_of(list[i]);
        if (p >= 0)
            list_pair[p] |= bit;
    }
}

static void chain(int list, const char *const *entries)
{
    seq_lists[list] = entries;
    for (int k = 0; entries[k] && k < LIST_MAX; k++) {
        int p = pair_of(entries[k]);
        if (p < 0)
            continue;
        /* keep the list's order: append at the end of the chain */
        short *at = &seq_head[list][p];
        while (*at)
            at = &seq_next[list][*at - 1];
        *at = (short)(k + 1);
    }
}

static void init_pairs(void)
{
    chain(0, hypo_always);
    chain(1, hypo_question);
    chain(2, historical);
    chain(3, past_time);
    chain(4, hedge);
    chain(5, past_months);
    for (size_t i = 0; i < KF_ARRAY_LEN(relations); i++) {
        int p = pair_of(relations[i].w);
        if (p >= 0)
            relation_pair[p] = 1;
        /* chained at the end, to keep the table's order */
        signed char *at = p >= 0 ? &relation_head[p] : NULL;
        while (at && *at)
            at = &relation_next[*at - 1];
        if (at)
            *at = (signed char)(i + 1);
    }
    const char *const *lists[] = { hypo_always, hypo_question, worry, historical, past_time,
                                   hedge, past_months, NULL };
    for (int i = 0; lists[i]; i++)
        mark_list(trigger_pair, lists[i]);
    static const char *const more[] = { "if", "unless", "when", "whenever", "once", NULL };
    mark_list(trigger_pair, more);
    static const char *const persons[] = {
        "i", "im", "ive", "id", "ill", "me", "my", "myself", "mine", "he", "him", "his", "hes",
        "himself", "she", "her", "hers", "shes", "herself", NULL
    };
    mark_list(person_pair, persons);
    mark_bit(hypo_always, 1);
    mark_bit(hypo_question, 2);
    mark_bit(worry, 4);
    mark_bit(historical, 8);
    mark_bit(past_time, 16);
    mark_bit(hedge, 32);
    mark_bit(past_months, 64);
    for (size_t i = 0; i < KF_ARRAY_LEN(relations); i++) {
        int p = pair_of(relations[i].w);
        if (p >= 0)
            person_pair[p] = 1;
    }
}

/* ---------- the trigger words, kept from spelling correction ---------- */

/* Every word of the trigger lists and the relations, sorted (filled once). */
#define CTX_WORDS_MAX 640
#define CTX_WORD_LEN 24
static char ctx_words[CTX_WORDS_MAX][CTX_WORD_LEN];
static int n_ctx_words;
static pthread_once_t words_once = PTHREAD_ONCE_INIT;

static void add_ctx_words(const char *s)
{
    while (*s) {
        while (*s == ' ')
            s++;
        size_t l = strcspn(s, " ");
        if (l >= 5 && l < CTX_WORD_LEN && n_ctx_words < CTX_WORDS_MAX) {
            memcpy(ctx_words[n_ctx_words], s, l);
            ctx_words[n_ctx_words++][l] = '\0';
        }
        s += l;
    }
}

static int cmp_ctx_word(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void init_ctx_words(void)
{
    const char *const *lists[] = { pseudo_negation, neg_raising, going, going_particle,
                                   denied_denial, hypo_always, hedge, approx_amount,
                                   hypo_question, hypo_question_pseudo, worry, worry_then,
                                   if_hypo, historical, past_time, past_months, had_verbs, relief,
                                   terminators, neg_enders, NULL };
    for (int i = 0; lists[i]; i++)
        for (int k = 0; lists[i][k]; k++)
            add_ctx_words(lists[i][k]);
    for (size_t i = 0; i < KF_ARRAY_LEN(relations); i++)
        add_ctx_words(relations[i].w);
    qsort(ctx_words, (size_t)n_ctx_words, CTX_WORD_LEN, cmp_ctx_word);
}

bool kf_context_word(const char *w, size_t len)
{
    if (len < 5 || len >= CTX_WORD_LEN)
        return false;
    pthread_once(&words_once, init_ctx_words);
    char key[CTX_WORD_LEN];
    memcpy(key, w, len);
    key[len] = '\0';
    return bsearch(key, ctx_words, (size_t)n_ctx_words, CTX_WORD_LEN, cmp_ctx_word) != NULL;
}

/* The answer a writer gives their own question or checklist item: "fever?
 * no.", "any numbness? nope", "tingling - no", "fever: yes".  Returns 1 for
 * a denial, 2 for an assent, 0 when the words at v[i] are no answer (an
 * answer stands alone: "no idea", "no matter what" answer nothing). */
static int answer_at(const token *v, int n, int i, int depth)
{
    static const char *const denial[] = {
        "no", "nope", "nah", "naw", "none", "negative", "nil", "never", "not really",
        "not at all", "not that i know", "not that ive noticed", "not so far", "not yet", NULL
    };
    static const char *const assent[] = {
        "yes", "yeah", "yep", "yup", "ya", "yea", "aye", "sometimes", "a bit", "a little",
        "slightly", "definitely", "positive", NULL
    };
    static const char *const starts[] = {
        "no", "nope", "nah", "naw", "none", "negative", "nil", "never", "not", "yes", "yeah",
        "yep", "yup", "ya", "yea", "aye", "sometimes", "a", "slightly", "definitely",
        "positive", NULL
    };
    while (i < n && v[i].kind == T_COMMA)
        i++;                          /* "fever? - no" */
    if (i >= n || !is_any(&v[i], starts))
        return 0;                     /* most clauses start no answer */
    for (int kind = 1; kind <= 2; kind++) {
        const char *const *list = kind == 1 ? denial : assent;
        for (int k = 0; list[k]; k++) {
            if (v[i].norm[0] != list[k][0] ||
                v[i].norm[1] != (list[k][1] == ' ' ? '\0' : list[k][1]))
                continue;             /* a quick look at the first two letters */
            int l = seq_at(v, n, i, list[k]);
            /* the answer ends its clause, or says itself again ("no not
             * at all", "yes a bit") */
            if (l && (i + l >= n || v[i + l].kind == T_STOP || v[i + l].kind == T_COMMA ||
                      (depth < 2 && answer_at(v, n, i + l, depth + 1) == kind)))
                return kind;
        }
    }
    return 0;
}

/* A finding asked as a question and answered at once ("fever? no.") or set
 * off by a dash or colon with its answer ("tingling - no") is denied or
 * said by the answer, not asked: the question mark no longer makes it a
 * question, and a denial covers the few words of the item (back to the
 * start of its clause, at most six words that are not stop words).  A
 * hypothesis stays one ("could it be a clot? no" still tells what to
 * check).  A comma, dash or colon sets off an item only when the item is
 * short (at most three words of any kind: "numbness, no", "tingling - no";
 * not "numbness in my hand, no"). */
#define ITEM_WORDS 6
static void answered_questions(const token *v, int n, unsigned *at)
{
    for (int b = 0; b + 1 < n; b++) {
        bool asked = v[b].kind == T_STOP && v[b].question;
        if (!asked && v[b].kind != T_COMMA)
            continue;
        int a = answer_at(v, n, b + 1, 0);
        if (!a)
            continue;
        int from = b, words = 0, all = 0;
        while (from > 0) {
            const token *t = &v[from - 1];
            if (t->kind == T_STOP || t->kind == T_COMMA ||
                (t->kind == T_WORD && (is_any(t, terminators) || new_clause_and(v, n, from - 1))))
                break;
            all += t->kind == T_WORD;
            if (counts(t) && ++words > ITEM_WORDS)
                break;
            from--;
        }
        if (from == b || words > ITEM_WORDS || (!asked && all > 3))
            continue;
        for (int j = from; j < b; j++) {
            at[j] &= ~(unsigned)KF_CTX_QUESTION;
            if (a == 1 && !(at[j] & KF_CTX_HYPOTHETICAL))
                at[j] |= KF_CTX_NEGATED;
        }
    }
}

/* The verb of opinion at v[i] ("think", "feel like"): its length, or 0. */
static int opinion_at(const token *v, int n, int i)
{
    if (v[i].norm[0] != 't' && v[i].norm[0] != 'b' && v[i].norm[0] != 'r' &&
        v[i].norm[0] != 's' && v[i].norm[0] != 'i' && v[i].norm[0] != 'e' &&
        v[i].norm[0] != 'f')
        return 0;
    for (int k = 0; neg_raising[k]; k++) {
        int l = seq_at(v, n, i, neg_raising[k]);
        if (l)
            return l;
    }
    return 0;
}

/* A correction: "physio said levator but it's really in the middle of my
 * back", "my rhomboid is knotted, but it's actually on top of my shoulder":
 * what the clause before "but ... really/actually" named is only a guess
 * (someone's, or a wrong name), the words after it are what is meant. */
static void corrections(const token *v, int n, unsigned *at)
{
    static const char *const but[] = { "but", "though", "although", "except", NULL };
    static const char *const indeed[] = { "really", "actually", "truly", "honestly", NULL };
    for (int j = 1; j + 1 < n; j++) {
        if (v[j].kind != T_WORD || !is_any(&v[j], but))
            continue;
        bool fix = false;
        for (int k = j + 1; k < n && k <= j + 4 && v[k].kind == T_WORD && !fix; k++)
            fix = is_any(&v[k], indeed) || (tok_is(&v[k], "in") && k + 1 < n &&
                                             tok_is(&v[k + 1], "fact"));
        if (!fix)
            continue;
        for (int k = j - 1; k >= 0 && v[k].kind != T_STOP; k--)
            at[k] |= KF_CTX_HEDGED;
    }
}

/* ---------- the limb used, not the limb that hurts ---------- */

/* A reading that is only a limb word ("my right arm", "both arms"), with
 * its stop and side words. */
static bool bare_limb(const token *v, const kf_ctx_match *mk)
{
    static const char *const limbs[] = {
        "arm", "arms", "hand", "hands", "forearm", "forearms", "elbow", "elbows", "wrist",
        "wrists", "leg", "legs", "finger", "fingers", "thumb", "thumbs", NULL
    };
    if (mk->kind != KF_FIND_LOCATION || mk->apart)
        return false;
    bool limb = false;
    for (int j = mk->first; j <= mk->last; j++) {
        if (v[j].kind != T_WORD)
            return false;
        if (is_any(&v[j], limbs))
            limb = true;
        else if (!(v[j].flags & (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)) &&
                 !tok_is(&v[j], "both"))
            return false;
    }
    return limb;
}

/* Words of pain or of a symptom that need not be read as a finding of
 * their own ("with my left arm aching", "my arm goes heavy"). */
static const char *const pain_said[] = {
    "hurt", "hurts", "hurting", "ache", "aches", "aching", "achy", "achey", "sore", "pain",
    "pains", "painful", "numb", "numbness", "tingle", "tingles", "tingling", "tingly", "weak",
    "weakness", "heavy", "killing", "throbbing", "throbs", "burning", "burns", "tender",
    "stiff", "cramp", "cramps", "cramping", "dead", "knot", "knots", "knotted", "spasm",
    "spasms", "agony", "sharp", "shooting", "swollen", "pins", "needles", "useless", "floppy",
    "twinge", "twinges", "niggle", "strain", "strained", "pulled", NULL
};

/* Is the limb reading m[k] the limb used (a tool, or a posture held), not
 * a place that hurts?  It is when "with/using/on/onto" comes before it
 * ("lift boxes with my right arm", "leaning on my elbows", "the crook of
 * my arm"), a word of posture after it ("arms straight out", "arms up",
 * "arm shoved under the pillow") or "of" a thing ("the arm of the sofa");
 * and no pain or symptom is said in its clause: back to the sentence's
 * start (or a "but"), on to the clause's end ("chest pain with my left arm
 * aching", "a knot with my right arm going numb" keep the arm). */
/* How far the rules below look, in tokens, for a sentence that has no end
 * (the work stays linear in the length of the text). */
#define NEAR_WORDS 40
/* Token marks of readings, for limb_instrument: a place that is not a bare
 * limb, a symptom or warning sign (neither denied). */
#define NEAR_PLACE   1
#define NEAR_SYMPTOM 2

static bool limb_instrument(const token *v, int n, const kf_ctx_match *m, int k,
                            const unsigned *at, const unsigned char *near)
{
    static const char *const before[] = { "with", "using", "on", "onto", "upon", NULL };
    static const char *const crook[] = { "crook", "bend", "fold", "nook", NULL };
    static const char *const posture[] = {
        "up", "out", "straight", "overhead", "above", "raised", "stretched", "outstretched",
        "extended", "forward", "forwards", "crossed", "folded", "behind", "under", "shoved",
        "tucked", "bent", "locked", "resting", "hanging", "wrapped", "around", "round",
        "reaching", "reached", "held", "holding", "in", NULL
    };
    static const char *const things[] = {
        "it", "the", "a", "sofa", "couch", "chair", "settee", "armchair", "seat", NULL
    };
    const kf_ctx_match *mk = &m[k];
    if (!bare_limb(v, mk))
        return false;
    bool used = false;
    int j = mk->first - 1;
    while (j >= 0 && v[j].kind == T_WORD && !is_any(&v[j], before) &&
           (v[j].flags & (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)) &&
           j >= mk->first - 3)
        j--;
    if (j >= 0 && v[j].kind == T_WORD && is_any(&v[j], before))
        used = true;
    if (j >= 0 && j + 1 < mk->first && v[j].kind == T_WORD && is_any(&v[j], crook) &&
        tok_is(&v[j + 1], "of"))
        used = true;
    int a = mk->last + 1;
    /* "in" only as "in front": "arms out in front", not "pain in my arm" */
    if (a < n && v[a].kind == T_WORD && is_any(&v[a], posture) &&
        (!tok_is(&v[a], "in") || (a + 1 < n && tok_is(&v[a + 1], "front"))))
        used = true;
    if (a + 1 < n && tok_is(&v[a], "of") && is_any(&v[a + 1], things))
        used = true;
    if (!used)
        return false;
    /* the clause: back to the sentence's start or a "but", on to its end */
    int from = mk->first, to = mk->last;
    while (from > 0 && from > mk->first - NEAR_WORDS && v[from - 1].kind != T_STOP &&
           !(v[from - 1].kind == T_WORD && is_any(&v[from - 1], terminators)))
        from--;
    /* (a new subject after the limb starts a new clause: "with my arms
     * straight out on the wheel I get a burning strip") */
    static const char *const subject[] = { "i", "im", "ive", "id", "my", "it", "its", NULL };
    while (to + 1 < n && to < mk->last + NEAR_WORDS && v[to + 1].kind != T_STOP &&
           v[to + 1].kind != T_COMMA && !is_any(&v[to + 1], subject) &&
           !(v[to + 1].kind == T_WORD && (is_any(&v[to + 1], terminators) ||
                                          new_clause_and(v, n, to + 1))))
        to++;
    /* "... with my right arm and it aches": the limb is what "it" names */
    int t = to + 1;
    if (t < n && (v[t].kind == T_COMMA || tok_is(&v[t], "and")))
        t++;
    if (t < n && (tok_is(&v[t], "it") || tok_is(&v[t], "its") || tok_is(&v[t], "which") ||
                  tok_is(&v[t], "they") || tok_is(&v[t], "theyre")))
        for (int i = t + 1; i < n && i <= t + 4 && v[i].kind == T_WORD; i++)
            if (is_any(&v[i], pain_said))
                return false;
    /* Before the limb, any pain, symptom or place that hurts keeps it
     * ("chest pain with my left arm"); after it, a pain word counts until
     * another place is named ("arms out on the wheel my upper back burns"
     * is the back's burning). */
    for (int i = from; i < mk->first; i++)
        if (v[i].kind == T_WORD && is_any(&v[i], pain_said) && !(at[i] & KF_CTX_NEGATED))
            return false;
    for (int i = from; i < mk->first; i++)
        if (near[i])
            return false;
    int place_after = to + 1;
    for (int i = mk->last + 1; i <= to; i++) {
        if (near[i] & NEAR_SYMPTOM)
            return false;
        if ((near[i] & NEAR_PLACE) && i < place_after)
            place_after = i;
    }
    for (int i = mk->last + 1; i < place_after; i++)
        if (v[i].kind == T_WORD && is_any(&v[i], pain_said) && !(at[i] & KF_CTX_NEGATED))
            return false;
    return true;
}

/* ---------- an old injury or operation, long healed ---------- */

/* Words that make an event recent (days or weeks, a weekday, "lately"):
 * an injury or an operation said with them is not history. */
static bool recent_words(const token *v, int from, int to)
{
    static const char *const recent[] = {
        "day", "days", "week", "weeks", "wk", "wks", "fortnight", "month", "months",
        "yesterday", "today", "tonight", "recently", "recent", "lately", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "morning", "night",
        "hour", "hours", NULL
    };
    for (int i = from; i <= to; i++)
        if (v[i].kind == T_WORD && is_any(&v[i], recent))
            return true;
    return false;
}

/* Has the pain lasted since the event ("my neck has hurt ever since",
 * "sore since then", "it's ached since")?  "never bothered me since" has
 * not. */
static bool pain_since(const token *v, int n, int from, int to, const unsigned *at)
{
    for (int i = from; i <= to; i++) {
        if (!tok_is(&v[i], "since"))
            continue;
        bool last = i + 1 >= n || v[i + 1].kind != T_WORD || tok_is(&v[i + 1], "then") ||
                    tok_is(&v[i + 1], "that") || tok_is(&v[i + 1], "it");
        if (!last)
            continue;
        if (i > 0 && tok_is(&v[i - 1], "ever") && !(at[i - 1] & KF_CTX_NEGATED))
            return true;
        for (int j = i - 1; j >= from && j >= i - 4; j--)
            if (v[j].kind == T_WORD && is_any(&v[j], pain_said) && !(at[j] & KF_CTX_NEGATED))
                return true;
    }
    return false;
}

/* Words that say the event healed and is done with: "fully healed",
 * "healed fine", "never bothered me since", "no trouble since", "fine ever
 * since", "made a full recovery" (not "never healed", "hasn't healed"). */
static bool healed_words(const token *v, int n, int from, int to, const unsigned *at)
{
    static const char *const healed[] = {
        "healed", "recovered", "recovery", "mended", NULL
    };
    static const char *const bother[] = {
        "bothered", "bother", "trouble", "troubled", "problem", "problems", "issue", "issues",
        "pain", "hurt", "niggle", "complaints", NULL
    };
    static const char *const fine[] = { "fine", "ok", "okay", "good", "great", NULL };
    static const char *const not_healed[] = {
        "not", "never", "hasnt", "havent", "didnt", "isnt", "wasnt", "nt", "partly", "half",
        "badly", "wrong", "properly", NULL
    };
    for (int i = from; i <= to; i++) {
        if (v[i].kind != T_WORD)
            continue;
        if (is_any(&v[i], healed)) {
            bool denied = (at[i] & KF_CTX_NEGATED) != 0;
            for (int j = i - 1; j >= from && j >= i - 2 && !denied; j--)
                denied = is_any(&v[j], not_healed);
            if (i + 1 <= to && tok_is(&v[i + 1], "properly"))
                denied = true;       /* "it never healed properly" */
            if (!denied)
                return true;
        }
        if (tok_is(&v[i], "since") && i > from) {
            int j = i - 1;
            if (tok_is(&v[j], "ever") && j > from)
                j--;
            if (tok_is(&v[j], "me") && j > from)
                j--;
            if (is_any(&v[j], bother) && (at[j] & KF_CTX_NEGATED))
                return true;        /* "never bothered me since", "no trouble since" */
            if (is_any(&v[j], fine))
                return true;        /* "been fine ever since" */
        }
    }
    (void)n;
    return false;
}

/* Words of the past said in a clause: "years ago" (after the event, with
 * no verb of having needed: "a car accident years ago"), "back in 2009" or
 * "in 2009" two or more years back, "when I was 19", "at age 20", "at the
 * age of 20". */
static bool past_said(const token *v, int n, int from, int to, int year_now)
{
    for (int i = from; i <= to; i++) {
        if (v[i].kind == T_WORD && i <= to && any_seq_at(v, n, i, 3))
            return true;
        if (v[i].kind == T_NUM && i > from && tok_is(&v[i - 1], "in") && v[i].num >= 1900 &&
            v[i].num <= year_now - 2)
            return true;
        if (v[i].kind == T_NUM && i >= from + 2 && tok_is(&v[i - 1], "was") &&
            (tok_is(&v[i - 2], "i") || tok_is(&v[i - 2], "he") || tok_is(&v[i - 2], "she")) &&
            i >= from + 3 && tok_is(&v[i - 3], "when"))
            return true;
        if (v[i].kind == T_NUM && i >= from + 2 && tok_is(&v[i - 1], "age") &&
            (tok_is(&v[i - 2], "at") || (i >= from + 3 && tok_is(&v[i - 2], "the") &&
                                         tok_is(&v[i - 3], "at"))))
            return true;
        if (v[i].kind == T_NUM && i >= from + 4 && tok_is(&v[i - 1], "of") &&
            tok_is(&v[i - 2], "age") && tok_is(&v[i - 3], "the") && tok_is(&v[i - 4], "at"))
            return true;
    }
    return false;
}

/* An injury or an operation (a reading of a warning sign or of one's
 * history) said as long past and healed is history: the sentence says it
 * healed (or the next one does: "It healed fine."), or its clause says
 * when, long ago.  Not when the sentence makes it recent (days, weeks)
 * or says the pain has lasted since it; then KF_CTX_SINCE is set, so the
 * reader keeps the injury. */
static void old_events(const token *v, int n, kf_ctx_match *m, int nm, const unsigned *at)
{
    int year_now = 0;
    for (int k = 0; k < nm; k++) {
        if ((m[k].kind != KF_FIND_REDFLAG && m[k].kind != KF_FIND_HISTORY) ||
            (m[k].ctx & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL)))
            continue;
        int s0 = m[k].first, s1 = m[k].last;
        while (s0 > 0 && s0 > m[k].first - NEAR_WORDS && v[s0 - 1].kind != T_STOP)
            s0--;
        while (s1 + 1 < n && s1 < m[k].last + NEAR_WORDS && v[s1 + 1].kind != T_STOP)
            s1++;
        if (pain_since(v, n, s0, s1, at)) {
            m[k].ctx |= KF_CTX_SINCE;
            continue;
        }
        if (recent_words(v, s0, s1))
            continue;
        bool old = healed_words(v, n, s0, s1, at);
        /* "It healed fine.", "Fully healed now." */
        int t0 = s1 + 2, t1 = t0;
        if (!old && t0 < n && v[t0].kind == T_WORD && v[s1 + 1].kind == T_STOP) {
            while (t1 + 1 < n && t1 < t0 + NEAR_WORDS && v[t1 + 1].kind != T_STOP)
                t1++;
            bool refers = tok_is(&v[t0], "it") || tok_is(&v[t0], "its") ||
                          tok_is(&v[t0], "that") || tok_is(&v[t0], "which") ||
                          tok_is(&v[t0], "this") || tok_is(&v[t0], "all") ||
                          tok_is(&v[t0], "fully") || tok_is(&v[t0], "healed");
            old = refers && healed_words(v, n, t0, t1, at) && !recent_words(v, t0, t1) &&
                  !pain_since(v, n, t0, t1, at);
        }
        if (!old) {
            /* the clause: between commas and terminators within the sentence */
            int c0 = m[k].apart ? m[k].last : m[k].first, c1 = m[k].last;
            /* (a reading said apart: the clause of its last concept) */
            /* backward too, an "and" that opens a new clause ends it: "I
             * had a clot last year and now my other leg is swollen" tells
             * of a swelling of now */
            while (c0 > s0 && v[c0 - 1].kind != T_COMMA &&
                   !(v[c0 - 1].kind == T_WORD && (is_any(&v[c0 - 1], terminators) ||
                                                  new_clause_and(v, n, c0 - 1))))
                c0--;
            while (c1 < s1 && v[c1 + 1].kind != T_COMMA &&
                   !(v[c1 + 1].kind == T_WORD && (is_any(&v[c1 + 1], terminators) ||
                                                  new_clause_and(v, n, c1 + 1))))
                c1++;
            if (!year_now) {
                time_t now = time(NULL);
                struct tm tm;
                year_now = gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 2000;
            }
            old = past_said(v, n, c0, c1, year_now);
        }
        if (old)
            m[k].ctx |= KF_CTX_HISTORICAL;
    }
}

/* The token a reading's person is read from: its first word, or "me"
 * inside its own words (the writer as the object: "punched me"). */
static int object_me(const token *v, const kf_ctx_match *mk)
{
    static const char *const did[] = { "did", "do", "have", "had", "was", NULL };
    for (int j = mk->first + 1; !mk->apart && j <= mk->last; j++) {
        if (tok_is(&v[j], "me") || tok_is(&v[j], "myself"))
            return j;
        /* the writer too: "my mum had breast cancer and so did I", "..., I
         * did too" (a reading that says it of the writer in its own words) */
        if (tok_is(&v[j], "i") && ((j >= 2 && is_any(&v[j - 1], did) &&
                                    (tok_is(&v[j - 2], "so") || tok_is(&v[j - 2], "as"))) ||
                                   (j + 1 <= mk->last && is_any(&v[j + 1], did))))
            return j;
    }
    return mk->first;
}

/* Can the word of this first-two-letters pair start a trigger? */
static bool may_trigger(int pair)
{
    return pair >= 0 && trigger_pair[pair];
}


/* A short question of alternatives, as a forum title puts it: "Knot or
 * heart attack??", "Muscle knot or blood clot?", "Knot under my blade or a
 * lung problem?".  What follows the last "or" is only asked about
 * (hypothetical: the answer says what to check); what comes before it is
 * what the writer has, and stays.  Only short questions with no subject
 * pronoun: "I have chest pain, should I go to A&E or wait?" is a sentence
 * of its own, and its pain is no alternative. */
static void alternatives_asked(const token *v, int n, unsigned *at)
{
    static const char *const subjects[] = {
        "i", "im", "ive", "id", "he", "hes", "she", "shes", "we", "they", "you", NULL
    };
    for (int s = 0; s < n;) {
        int e = s;
        while (e < n && v[e].kind != T_STOP)
            e++;
        if (e < n && v[e].question) {
            int words = 0, or_at = -1;
            bool subject = false;
            for (int j = s; j < e; j++) {
                if (v[j].kind != T_WORD)
                    continue;
                words++;
                subject |= is_any(&v[j], subjects);
                if (tok_is(&v[j], "or") && j > s)
                    or_at = j;
            }
            if (or_at > s && words <= 10 && !subject)
                for (int j = or_at; j < e; j++)
                    at[j] |= KF_CTX_HYPOTHETICAL;
        }
        s = e + 1;
    }
}

/* Does a condition of its own start at v[i] (past "off", "up", "again",
 * "right" and the like): "eases when I stop", "helps off once I sit",
 * "eases again if I rest"? */
static bool own_condition(const token *v, int n, int i)
{
    static const char *const particle[] = { "off", "up", "down", "away", "again", "right", "a",
                                            "bit", "lot", NULL };
    static const char *const opener[] = { "when", "whenever", "if", "once", "after", "as",
                                          "till", "until", "with", "while", "soon", NULL };
    for (int j = i; j < n && j <= i + 3 && v[j].kind == T_WORD; j++) {
        if (is_any(&v[j], opener))
            return true;
        if (!is_any(&v[j], particle))
            return false;
    }
    return false;
}

kf_err kf_context_apply(const token *v, int n, kf_ctx_match *m, int nm, kf_ctx_people *pp)
{
    pthread_once(&pairs_once, init_pairs);
    pp->who = NULL;
    pp->patient = 0;
    pp->sex = 0;
    unsigned *at = kf_calloc((size_t)n + 1, sizeof *at);
    int *who = kf_calloc((size_t)n + 1, sizeof *who);
    if (!at || !who) {
        kf_free(at);
        kf_free(who);
        return KF_ENOMEM;
    }
    int sex_of[100] = { 0 }, first_subject = -1;
    unsigned char past_of[100] = { 0 };
    people(v, n, who, sex_of, &first_subject, past_of);
    family_history(v, n, who);
    sex_of[FAMILY_GROUP] = '?';
    /* Sentences that are questions: one backward pass. */
    bool q = false;
    for (int j = n - 1; j >= 0; j--) {
        if (v[j].kind == T_STOP)
            q = v[j].question;
        if (q)
            at[j] |= KF_CTX_QUESTION;
    }
    alternatives_asked(v, n, at);
    int cancel_until = -1;         /* a denied denial ends here */
    for (int i = 0; i < n; i++) {
        if (v[i].kind != T_WORD)
            continue;
        int l;
        /* negation; a denial denied is an assertion: "I can't say it
         * doesn't hurt", "it's not that it doesn't hurt", "I wouldn't say
         * there's no pain" -- the first negation asserts nothing, the second
         * is cancelled */
        /* ... and the second negation may be a reading's own ("not saying
         * there's no blood in my pee"): that denial does not hold; a
         * negation said twice running ("it doesn't not hurt") is one
         * cancelled ("no no" is only said with force) */
        if ((v[i].flags & KF_WORD_NEGATE) && !v[i].used && i + 1 < n &&
            (is_any(&v[i + 1], denied_denial) ||
             ((v[i + 1].flags & KF_WORD_NEGATE) && v[i + 1].kind == T_WORD &&
              !v[i + 1].used && !(tok_is(&v[i], "no") && tok_is(&v[i + 1], "no"))))) {
            int from = (v[i + 1].flags & KF_WORD_NEGATE) ? i + 1 : i + 2;
            for (int j = from; j < n && j <= i + 6 && v[j].kind == T_WORD; j++)
                if (v[j].flags & KF_WORD_NEGATE) {
                    cancel_until = j;
                    if (v[j].used)
                        at[j] |= KF_CTX_DENIAL_DENIED;
                    break;
                }
            if (cancel_until > i)
                continue;
        }
        if (i == cancel_until)
            continue;
        if ((v[i].flags & KF_WORD_NEGATE) && !v[i].used && i + 1 < n &&
            v[i + 1].kind == T_WORD && (l = opinion_at(v, n, i + 1))) {
            at[i] |= OPENS_NEGATION;
            scope_forward(v, n, i + 1 + l, NEG_WORDS, true, KF_CTX_NEGATED | KF_CTX_HEDGED, at);
        } else if ((v[i].flags & KF_WORD_NEGATE) && !v[i].used &&
            !(i + 1 < n && is_any(&v[i + 1], pseudo_negation))) {
            at[i] |= OPENS_NEGATION;
            /* a continuation denied is a persistence: "it hasn't gone off
             * in the two hours", "hasn't let up since lunch", "not eased
             * after three hours" deny the going, not the time it has lasted
             * -- the scope ends with the verb and its particle */
            int g = next_word(v, n, i);
            if (g >= 0 && is_any(&v[g], going)) {
                int e = g + 1;
                if (e < n && is_any(&v[e], going_particle))
                    e++;
                for (int j = i + 1; j < e; j++)
                    at[j] |= KF_CTX_NEGATED;
            } else
                scope_forward(v, n, i + 1, NEG_WORDS, true, KF_CTX_NEGATED, at);
        } else if ((v[i].flags & KF_WORD_NEGATE) && v[i].used &&
                   (tok_is(&v[i], "no") || tok_is(&v[i], "without"))) {
            /* a reading that is itself a denial ("no leg pain", "without
             * pain") heading a list: "no leg pain, tingling or weakness"
             * denies the rest of the list too */
            int j = i + 1, w = 0;
            while (j < n && v[j].kind == T_WORD && v[j].used && w <= NEG_WORDS)
                w += counts(&v[j++]);
            if (j > i + 1 && j < n && v[j].kind == T_COMMA)
                for (int k = j, e = denied_list_end(v, n, j); k < e; k++)
                    at[k] |= KF_CTX_NEGATED;
        }
        /* "could my back pain be cancer?", "can this knot be a clot?": in a
         * question, what follows the "be" of a modal that opens its clause
         * is asked; what comes before it (the back pain) is said */
        if (tok_is(&v[i], "be") && (at[i] & KF_CTX_QUESTION)) {
            static const char *const modal[] = {
                "could", "can", "might", "may", "would", "will", "should", NULL
            };
            int mo = -1;
            for (int j = i - 1; j >= 0 && j >= i - 7; j--) {
                if (v[j].kind == T_STOP || v[j].kind == T_COMMA)
                    break;
                if (v[j].kind == T_WORD && is_any(&v[j], modal))
                    mo = j;
            }
            /* the thing asked about is a pain or a place ("my back pain",
             * "this knot"), not the writer ("could I be missing
             * magnesium?" guesses at a cause) */
            static const char *const owner[] = {
                "my", "the", "this", "that", "these", "those", "his", "her", NULL
            };
            if (mo >= 0 && (mo == 0 || v[mo - 1].kind == T_STOP || v[mo - 1].kind == T_COMMA) &&
                mo + 1 < i && is_any(&v[mo + 1], owner) &&
                !(i + 1 < n && is_any(&v[i + 1], hypo_question_pseudo))) {
                scope_forward(v, n, i + 1, HYPO_WORDS, true, KF_CTX_HYPOTHETICAL, at);
                continue;
            }
        }
        int pair = pair_of(v[i].norm);
        if (!may_trigger(pair))
            continue;
        unsigned char lists = list_pair[pair];
        /* a guess, unless a longer hypothesis starts here */
        int hl = (lists & 32) && may_hedge(v, n, i) ? any_seq_at(v, n, i, 4) : 0;
        /* a guessed number is a rough one, no guess at a cause: "maybe
         * once a month", "probably 3 hours a day" */
        if (hl && i + hl < n && (v[i + hl].kind == T_NUM || is_any(&v[i + hl], approx_amount)))
            hl = 0;
        if (hl && hl > ((lists & 1) ? any_seq_at(v, n, i, 0) : 0)) {
            const char *last = v[i + hl - 1].norm;
            bool cause = !strcmp(last, "from") || !strcmp(last, "to") || !strcmp(last, "of");
            scope_forward(v, n, i + hl, HYPO_WORDS, true,
                          KF_CTX_HEDGED | (cause ? CAUSE_GUESS : 0), at);
            continue;
        }
        /* hypothesis */
        /* the opener's own words too: a reading that starts inside
         * it ("is THIS a heart attack?", "could THIS be a heart attack")
         * is asked as well */
        if ((lists & 1) && (l = any_seq_at(v, n, i, 0)))
            scope_forward(v, n, i, HYPO_WORDS + l, true, KF_CTX_HYPOTHETICAL, at);
        else if ((lists & 2) && (at[i] & KF_CTX_QUESTION) &&
                 (l = any_seq_at(v, n, i, 1)) &&
                 !(i + l < n && is_any(&v[i + l], hypo_question_pseudo)))
            scope_forward(v, n, i, HYPO_WORDS + l, true, KF_CTX_HYPOTHETICAL, at);
        else if ((lists & 4) && is_any(&v[i], worry)) {
            int j = i + 1;
            if (j < n && tok_is(&v[j], "about") && j + 1 < n &&
                (tok_is(&v[j + 1], "it") || tok_is(&v[j + 1], "getting") ||
                 tok_is(&v[j + 1], "having") || tok_is(&v[j + 1], "something")))
                j++;
            if (j < n && tok_is(&v[j], "that"))
                j++;                  /* "afraid that it's ...", not "afraid that carrying ..." */
            if (j < n && is_any(&v[j], worry_then))
                scope_forward(v, n, j, HYPO_WORDS, true, KF_CTX_HYPOTHETICAL, at);
        } else if ((tok_is(&v[i], "if") || tok_is(&v[i], "unless")) && i + 1 < n) {
            bool hyp = false;
            for (int j = i + 1; j < n && j <= i + 3 && v[j].kind == T_WORD; j++)
                hyp |= is_any(&v[j], if_hypo);
            if (hyp)
                scope_forward(v, n, i + 1, HYPO_WORDS, true, KF_CTX_HYPOTHETICAL, at);
        }
        /* history: the trigger's own words too ("since I was a teenager"
         * is no age now) */
        if ((lists & 8) && (l = any_seq_at(v, n, i, 2))) {
            for (int j = i; j < i + l; j++)
                at[j] |= KF_CTX_HISTORICAL;
            /* a family's history ("my family has a history of
             * osteoporosis, knot under my blade") ends at its clause.
             * "Since I was a teenager" starts what still goes on ("smoked
             * since I was a teenager, constant pain ..., weak hand";
             * "since I was a kid I get knots"): only its own words are
             * past, not what follows. */
            if (!tok_is(&v[i], "since"))
                scope_forward(v, n, i + l, HIST_WORDS, who[i] == FAMILY_GROUP,
                              KF_CTX_HISTORICAL, at);
        }
        /* backward: "I had it last year" (a verb of having, at most
         * HIST_WORDS tokens back in the clause, opens the past) */
        unsigned months = 0;
        if (((lists & 16) && (l = any_seq_at(v, n, i, 3))) ||
            ((lists & 64) && (l = any_seq_at(v, n, i, 5)) && (months = KF_CTX_MONTHS_AGO))) {
            int from = -1;
            for (int j = i - 1; j >= 0 && j >= i - HIST_WORDS; j--) {
                if (v[j].kind == T_STOP || v[j].kind == T_COMMA ||
                    (v[j].kind == T_WORD && (is_any(&v[j], terminators) ||
                                              new_clause_and(v, n, j))))
                    break;
                if (is_any(&v[j], had_verbs))
                    from = j;
            }
            for (int j = from; from >= 0 && j < i + l; j++)
                if (!months || !(at[j] & KF_CTX_HISTORICAL))
                    at[j] |= KF_CTX_HISTORICAL | months;
        }
        /* condition: "it eases if I lean back", "better when I lie down" */
        if ((tok_is(&v[i], "if") || tok_is(&v[i], "when") || tok_is(&v[i], "whenever") ||
             tok_is(&v[i], "once")) && i > 0) {
            bool eased = false;
            for (int j = i - 1; j >= 0 && j >= i - 3 && v[j].kind == T_WORD; j--)
                eased |= is_any(&v[j], relief);
            if (eased)
                scope_forward(v, n, i + 1, COND_WORDS, true, KF_CTX_CONDITION, at);
        }
    }
    answered_questions(v, n, at);
    corrections(v, n, at);
    /* A habit said just before a word of relief ("leaning back helps").
     * Not when a new clause comes between ("and", "but") and the relief has
     * a condition of its own after it: "it hurts when I push the mower up
     * the lawn and eases when I stop" eases with the stop, while the push
     * is what brings the pain on. */
    for (int k = 0; k < nm; k++) {
        if (m[k].kind != KF_FIND_HABIT)
            continue;
        int j = m[k].last + 1;
        bool clause = false;
        while (j < n && v[j].kind == T_WORD && (v[j].flags & KF_WORD_STOP) && j <= m[k].last + 2) {
            clause |= tok_is(&v[j], "and") || tok_is(&v[j], "but");
            j++;
        }
        if (j < n && (tok_is(&v[j], "helps") || tok_is(&v[j], "eases") ||
                      tok_is(&v[j], "relieves") || tok_is(&v[j], "helped")) &&
            !(clause && own_condition(v, n, j + 1)))
            at[m[k].first] |= KF_CTX_CONDITION;
    }
    /* The patient: whoever the first pain or symptom is about; when none
     * is said, whoever the first warning sign is about ("my dad can't talk
     * properly and his face looks wrong" is about the dad; "my mum had
     * cancer. I have a knot" is about the writer). */
    /* Whom a reading is about.  A place is whoever its last word says: a
     * person word inside its own words decides ("my daughter rubs the knot
     * between MY shoulder blades" is the writer's knot; "the inside of my
     * left shoulder blade", said after "my mum had a heart attack.", is the
     * writer's).  Other readings, and an "&" reading (whose words between
     * are not its own), are about whoever their first word is ("spots that
     * don't fade when I press a glass" are still the child's). */
    /* ... and a reading whose own words name the writer as its object is
     * the writer's ("my brother punched me in the back"). */
#define MATCH_WHO(mk) ((mk).kind == KF_FIND_LOCATION && !(mk).apart ? who[(mk).last] \
                       : who[object_me(v, &(mk))])
    int patient = -1;
    /* Most pains and symptoms said of one person make them the person in
     * pain, the first on a tie: "My mum had a knot in her back for years.
     * Mine is on the left side, up near the neck ..." is the writer's.  A
     * place that hurts counts twice ("my sister has fibromyalgia, I have a
     * knot between my blades" is the writer's knot). */
    /* Someone else's place said after a past event ("my nan broke her hip
     * from osteoporosis, I have a knot near my neck") is that event, not a
     * pain of now: it does not count. */
    int said[100] = { 0 }, best = 0;
    for (int k = 0; k < nm; k++) {
        int w = MATCH_WHO(m[k]);
        if (w == AGENT_HAND || (w > 0 && past_event_before(v, m[k].first)))
            continue;
        if ((m[k].kind == KF_FIND_LOCATION || m[k].kind == KF_FIND_SYMPTOM) && w >= 0 &&
            w < 100 && !(at[m[k].first] & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL |
                                            KF_CTX_HISTORICAL)) &&
            (said[w] += m[k].kind == KF_FIND_LOCATION ? 2 : 1) > best) {
            best = said[w];
            patient = w;
        }
    }
    /* With no pain said of them, someone outside the family of whom only a
     * past event is told ("my mate had a heart attack last year", "my
     * elderly neighbour fell") is news the writer tells, not the person in
     * pain: their readings do not make them the patient. */
#define TOLD_OF(w) ((w) == AGENT_HAND || ((w) > 0 && (w) < 100 && outsider(w) && past_of[w] == 1))
    for (int pass = 0; pass < 2 && patient < 0; pass++)
        for (int k = 0; k < nm && patient < 0; k++)
            if ((m[k].kind == KF_FIND_LOCATION || m[k].kind == KF_FIND_SYMPTOM ||
                 (pass == 1 && m[k].kind == KF_FIND_REDFLAG)) &&
                !(at[m[k].first] & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL)) &&
                !TOLD_OF(MATCH_WHO(m[k])))
                patient = MATCH_WHO(m[k]);
    /* no pain said: whoever the first reading is about ("my nan, 85, sits
     * in her recliner all day ...") */
    for (int k = 0; k < nm && patient < 0; k++)
        if (!(at[m[k].first] & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL)) &&
            !TOLD_OF(MATCH_WHO(m[k])))
            patient = MATCH_WHO(m[k]);
#undef TOLD_OF
    /* nothing read at all: the first person the text is about, when that
     * is someone the writer speaks for ("my nan, 85, has knots"), so at
     * least the age and sex read are the person in pain's */
    if (patient < 0 && nm == 0 && first_subject > 0)
        patient = first_subject;
    if (patient < 0)
        patient = 0;
    /* words said before anyone was named fit the person in pain */
    for (int j = 0; j < n; j++)
        if (who[j] < 0)
            who[j] = patient;
    pp->patient = patient;
    pp->sex = patient > 0 && patient < 100 && sex_of[patient] != '?' ? (char)sex_of[patient] : 0;
    for (int k = 0; k < nm; k++) {
        m[k].ctx = at[m[k].first] & (KF_CTX_NEGATED | KF_CTX_HYPOTHETICAL | KF_CTX_HISTORICAL |
                                     KF_CTX_CONDITION | KF_CTX_QUESTION | KF_CTX_HEDGED |
                                     KF_CTX_DENIAL_DENIED | KF_CTX_MONTHS_AGO);
        /* A pain or a knot said months back ("I had a knot under my blade a
         * month ago", "back pain a few months ago and now it's back") may
         * still be the one of now: only an illness then is over. */
        if ((m[k].ctx & KF_CTX_MONTHS_AGO) &&
            (m[k].kind == KF_FIND_LOCATION || m[k].kind == KF_FIND_SYMPTOM)) {
            int j0 = m[k].first;      /* and the words just before it, in its clause */
            while (j0 > 0 && j0 > m[k].first - 3 && v[j0 - 1].kind == T_WORD)
                j0--;
            for (int j = j0; j <= m[k].last; j++)
                if (is_any(&v[j], pain_said)) {
                    m[k].ctx &= ~(unsigned)(KF_CTX_HISTORICAL | KF_CTX_MONTHS_AGO);
                    break;
                }
        }
        /* A reading of concepts said apart in any order (an "&" pattern:
         * "my face is not drooping", "my bones are not thin") is denied
         * when a negation between them, not part of the reading, stands
         * right before its last word: the later concept is denied as much
         * as the first.  A negation of some other word in between denies
         * that word only ("spots that don't fade when I press a glass"). */
        /* A reading of concepts said apart whose first lies in a past
         * clause and whose last is said in a new clause of now ("a clot in
         * my calf two years ago and now my leg is swollen") is of now: the
         * later concept is what is told as it is. */
        if (m[k].apart && (m[k].ctx & KF_CTX_HISTORICAL) && !(at[m[k].last] & KF_CTX_HISTORICAL))
            for (int j = m[k].first + 1; j < m[k].last; j++)
                if (v[j].kind == T_WORD && new_clause_and(v, n, j)) {
                    m[k].ctx &= ~(unsigned)KF_CTX_HISTORICAL;
                    break;
                }
        if (m[k].apart && !(m[k].ctx & KF_CTX_NEGATED) && (at[m[k].last] & KF_CTX_NEGATED))
            for (int j = m[k].first + 1; j < m[k].last; j++)
                if ((at[j] & OPENS_NEGATION) && next_word(v, n, j) == m[k].last) {
                    m[k].ctx |= KF_CTX_NEGATED;
                    break;
                }
        /* How long relief lasted, said by a writer with no pain of their
         * own, is about the knot they work on ("My wife has a knot ... I
         * massage it, it lets go, a few hours later it's tight again"). */
        if (MATCH_WHO(m[k]) != patient &&
            !(m[k].kind == KF_FIND_FOLLOWUP && MATCH_WHO(m[k]) == 0 && said[0] == 0))
            m[k].ctx |= KF_CTX_OTHER;
        /* A warning sign named as the guessed cause ("could be from a
         * blood clot") is a diagnosis wondered about: what to check, as
         * "could it be a clot?" is; a habit guessed at stays, as a guess. */
        if ((at[m[k].first] & CAUSE_GUESS) && m[k].kind == KF_FIND_REDFLAG)
            m[k].ctx = (m[k].ctx & ~(unsigned)KF_CTX_HEDGED) | KF_CTX_HYPOTHETICAL;
    }
#undef MATCH_WHO
    unsigned char *near = kf_calloc((size_t)n + 1, 1);
    if (!near) {
        kf_free(at);
        kf_free(who);
        pp->who = NULL;
        return KF_ENOMEM;
    }
    for (int k = 0; k < nm; k++) {
        unsigned char b = m[k].kind == KF_FIND_LOCATION ? (bare_limb(v, &m[k]) ? 0 : NEAR_PLACE)
                        : m[k].kind == KF_FIND_SYMPTOM || m[k].kind == KF_FIND_REDFLAG
                        ? NEAR_SYMPTOM : 0;
        if (b && !(at[m[k].first] & KF_CTX_NEGATED))
            for (int j = m[k].first; j <= m[k].last; j++)
                near[j] |= b;
    }
    for (int k = 0; k < nm; k++)
        if (limb_instrument(v, n, m, k, at, near))
            m[k].ctx |= KF_CTX_INSTRUMENT;
    kf_free(near);
    old_events(v, n, m, nm, at);
    kf_free(at);
    pp->who = who;
    return KF_OK;
}
