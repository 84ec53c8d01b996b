/* test_context.c — the context rules (src/context.c) on token arrays written
 * here: each rule both ways, so that a trigger that stops working or starts
 * reaching too far fails. */
#include "check.h"

#include "context.h"

#include <ctype.h>
#include <stdlib.h>

static token T[128];
static int n_t;

static bool in(const char *w, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(w, list[i]))
            return true;
    return false;
}

/* Splits a sentence into tokens; words in [brackets] are the readings,
 * recorded in M with the finding kind given after a colon: "[neck:loc]". */
static kf_ctx_match M[32];
static int n_m;

static void text(const char *s)
{
    static const char *const neg[] = { "no", "not", "never", "doesnt", "dont", "isnt", "cant",
                                       NULL };
    static const char *const stop[] = { "my", "the", "a", "is", "it", "i", "im", "of", "in", "and",
                                        "but", NULL };
    n_t = n_m = 0;
    memset(T, 0, sizeof T);
    for (size_t i = 0; i < KF_ARRAY_LEN(T); i++)
        T[i].norm = kf_tok_empty;
    int open = -1, kind = -1;
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        token *k = &T[n_t];
        k->word = -1;
        if (*s == '.' || *s == '?' || *s == ',' || *s == '(' || *s == ')') {
            k->kind = *s == ',' ? T_COMMA : T_STOP;
            k->question = *s == '?';
            n_t++;
            s++;
            continue;
        }
        if (*s == '[') {
            open = n_t;
            s++;
            continue;
        }
        char w[32];
        int l = 0;
        while (*s && !strchr(" .,?()[]:", *s) && l < 31)
            w[l++] = *s++;
        w[l] = '\0';
        if (isdigit((unsigned char)w[0])) {
            k->kind = T_NUM;
            k->num = atol(w);
        } else {
            k->kind = T_WORD;
            static char norms[KF_ARRAY_LEN(T)][KF_TOK_NORM];
            memset(norms[n_t], 0, KF_TOK_NORM);
            strcpy(norms[n_t], w);
            k->norm = norms[n_t];
            k->word = 1;
            k->flags = (unsigned char)((in(w, neg) ? KF_WORD_NEGATE : 0) |
                                       (in(w, stop) ? KF_WORD_STOP : 0));
        }
        n_t++;
        if (*s == ':') {
            s++;
            kind = *s == 'l' ? KF_FIND_LOCATION : *s == 's' ? KF_FIND_SYMPTOM
                 : *s == 'h' ? KF_FIND_HABIT : *s == 'r' ? KF_FIND_REDFLAG : KF_FIND_HISTORY;
            while (*s && *s != ']')
                s++;
        }
        if (*s == ']' && open >= 0) {
            M[n_m++] = (kf_ctx_match){ open, n_t - 1, kind, 0, false };
            open = -1;
            s++;
        }
    }
}

static unsigned ctx_of(const char *s, int which, kf_ctx_people *pp)
{
    text(s);
    kf_ctx_people p;
    if (kf_context_apply(T, n_t, M, n_m, &p) != KF_OK)
        return 0xffff;
    if (pp)
        *pp = p;
    else
        kf_free(p.who);
    return which < n_m ? M[which].ctx : 0xffff;
}

#define HAS(s, i, bit) CHECK((ctx_of(s, i, NULL) & (bit)) != 0)
#define HASNT(s, i, bit) CHECK((ctx_of(s, i, NULL) & (bit)) == 0)

static void test_negation(void)
{
    HAS("no [numbness:s] in my hand", 0, KF_CTX_NEGATED);
    HASNT("[numbness:s] in my hand", 0, KF_CTX_NEGATED);
    HASNT("not sure but [numbness:s]", 0, KF_CTX_NEGATED);          /* pseudo-negation */
    HASNT("no fever , [numbness:s] in my hand", 0, KF_CTX_NEGATED); /* a comma ends it */
    HASNT("no fever but [numbness:s]", 0, KF_CTX_NEGATED);          /* "but" ends it */
    HASNT("no a b c d e f [numbness:s]", 0, KF_CTX_NEGATED);        /* five words at most */
    HAS("never had [headaches:s]", 0, KF_CTX_NEGATED);
}

static void test_hypothetical(void)
{
    HAS("could it be my [heart:r] ?", 0, KF_CTX_HYPOTHETICAL);
    HAS("is this a [lump:r] ?", 0, KF_CTX_HYPOTHETICAL);
    HASNT("this is a [lump:r] .", 0, KF_CTX_HYPOTHETICAL);
    HASNT("is this a [lump:r] .", 0, KF_CTX_HYPOTHETICAL);          /* not a question */
    HASNT("is it normal that my [hand:s] tingles ?", 0, KF_CTX_HYPOTHETICAL);
    HAS("im scared it might be a [clot:r]", 0, KF_CTX_HYPOTHETICAL);
    HASNT("im worried about the [numbness:s]", 0, KF_CTX_HYPOTHETICAL);
    HASNT("im afraid that [carrying:h] my son hurts", 0, KF_CTX_HYPOTHETICAL);
    HAS("im afraid that it is a [clot:r]", 0, KF_CTX_HYPOTHETICAL);
    HAS("just in case [fever:r]", 0, KF_CTX_HYPOTHETICAL);
    HAS("if i ever get [chest:r] pain", 0, KF_CTX_HYPOTHETICAL);
    HASNT("it hurts if i turn my [head:s]", 0, KF_CTX_HYPOTHETICAL);
    HAS("could it be a [disc:s] ?", 0, KF_CTX_QUESTION);
    HASNT("a [disc:s] . could it be ?", 0, KF_CTX_QUESTION);
}

static void test_issue10_rules(void)
{
    /* a denial denied asserts; one denial still denies */
    HASNT("i cant say it doesnt [hurt:s] when i breathe", 0, KF_CTX_NEGATED);
    HASNT("its not that it doesnt [hurt:s]", 0, KF_CTX_NEGATED);
    HAS("it doesnt [hurt:s] when i breathe", 0, KF_CTX_NEGATED);
    HAS("i cant [lift:s] my arm", 0, KF_CTX_NEGATED);
    /* worry about "this"; what may be needed */
    HAS("im terrified this is [shingles:r] again", 0, KF_CTX_HYPOTHETICAL);
    HAS("i might need [surgery:h]", 0, KF_CTX_HYPOTHETICAL);
    HAS("am i going to need [surgery:h] ?", 0, KF_CTX_QUESTION);
    HAS("am i going to need [surgery:h] ?", 0, KF_CTX_HYPOTHETICAL);
    HASNT("i had [surgery:h] in may", 0, KF_CTX_HYPOTHETICAL);
    /* backward history: what was had before "last year" is past */
    HAS("i had [shingles:r] last year", 0, KF_CTX_HISTORICAL);
    HASNT("my [knot:l] started last year", 0, KF_CTX_HISTORICAL);
    HASNT("i had [shingles:r] , last year was fine", 0, KF_CTX_HISTORICAL);
    /* a historical trigger's own words are past */
    HAS("since i was a [teenager:h]", 0, KF_CTX_HISTORICAL);
    /* ... but "since I was a teenager" starts what still goes on: what
     * follows it is not past */
    HASNT("ive smoked since i was a teenager , [weak hand:s]", 0, KF_CTX_HISTORICAL);
    HASNT("since i was a kid i get [knots:l]", 0, KF_CTX_HISTORICAL);
    HAS("when i was a kid i [broke my arm:r]", 0, KF_CTX_HISTORICAL);  /* other triggers still open the past */
    /* the person in pain: most pains said of one person */
    kf_ctx_people p;
    CHECK((ctx_of("my mum had a [knot:l] . i have a [knot:l] and [numbness:s]", 1, &p) &
           KF_CTX_OTHER) == 0);
    CHECK_INT(p.patient, 0);
    kf_free(p.who);
    CHECK((ctx_of("my son has a [knot:l] . i get [knots:l] too", 0, &p) & KF_CTX_OTHER) == 0);
    CHECK(p.patient > 0);                              /* a tie: the first */
    kf_free(p.who);
    /* nothing read: the first person spoken for */
    ctx_of("my nan , 85 , sits all day", 0, &p);
    CHECK(p.patient > 0);
    kf_free(p.who);
}

/* Issue 10's misreadings in context: a family's history, a past injury, a
 * going denied, a question's own opener words. */
static void test_family_and_persistence(void)
{
    /* what a clause with a family-history trigger says is the family's */
    HAS("[osteoporosis:y] runs in my family . i have a [knot:l]", 0, KF_CTX_OTHER);
    HASNT("[osteoporosis:y] runs in my family . i have a [knot:l]", 1, KF_CTX_OTHER);
    HAS("there is [osteoporosis:y] on my mums side . i have a [knot:l]", 0, KF_CTX_OTHER);
    HAS("family history of [thin bones:y] . i have a [knot:l] by my spine", 0, KF_CTX_OTHER);
    /* ... its "history of" ends at the clause: the knot after it is now */
    HASNT("my family has a history of [osteoporosis:y] , [knot:l] under my blade", 1,
          KF_CTX_HISTORICAL | KF_CTX_OTHER);
    /* ... unless the writer is named in it */
    HASNT("i have [osteoporosis:y] which runs in my family", 0, KF_CTX_OTHER);
    HASNT("my [bones are thin:y] , it runs in the family", 0, KF_CTX_OTHER);
    /* a place said after someone's past injury is not their pain of now */
    kf_ctx_people p;
    ctx_of("my nan broke her [hip:l] , i have a [knot:l] near my neck", 0, &p);
    CHECK_INT(p.patient, 0);
    kf_free(p.who);
    /* a going denied is a persistence: the time after it is not denied */
    HASNT("it isnt gone off in the [two hours:s]", 0, KF_CTX_NEGATED);
    HAS("it isnt [gone off:s] in the two hours", 0, KF_CTX_NEGATED);
    HAS("it isnt [better:s] in the two hours", 0, KF_CTX_NEGATED);      /* no going */
    HAS("it doesnt [hurt:s] in the morning", 0, KF_CTX_NEGATED);
    /* a reading that starts inside a question's opener is asked */
    HAS("is [this a heart attack:r] ?", 0, KF_CTX_HYPOTHETICAL);
    HAS("could [this be a clot:r] ?", 0, KF_CTX_HYPOTHETICAL);
    HASNT("[this is a lump:r] .", 0, KF_CTX_HYPOTHETICAL);
}

static void test_alternatives_asked(void)
{
    /* a short question of alternatives asks about what follows "or" only */
    HAS("knot or [heart attack:r] ?", 0, KF_CTX_HYPOTHETICAL);
    HASNT("[knot:l] or heart attack ?", 0, KF_CTX_HYPOTHETICAL);
    /* a sentence with its own subject is no list of alternatives */
    HASNT("i have [chest pain:r] , should i go or [wait:h] ?", 1, KF_CTX_HYPOTHETICAL);
    /* nor a long one, nor one that is no question */
    HASNT("knot or [heart attack:r] .", 0, KF_CTX_HYPOTHETICAL);
    HASNT("a b c d e f g h i2 j or [heart attack:r] ?", 0, KF_CTX_HYPOTHETICAL);
}

static void test_historical_and_condition(void)
{
    HAS("i used to [play tennis:h]", 0, KF_CTX_HISTORICAL);
    HASNT("i [play tennis:h]", 0, KF_CTX_HISTORICAL);
    HAS("history of [cancer:r]", 0, KF_CTX_HISTORICAL);
    HAS("it eases if i [lean back:h]", 0, KF_CTX_CONDITION);
    HASNT("it hurts if i [lean back:h]", 0, KF_CTX_CONDITION);
    HAS("[leaning back:h] helps", 0, KF_CTX_CONDITION);
    HASNT("[leaning back:h] all day", 0, KF_CTX_CONDITION);
    /* a new clause whose relief has its own condition: the habit before it
     * brings the pain on, it does not ease it (misread9) */
    HASNT("it hurts when [i push the mower:h] and eases when i stop", 0, KF_CTX_CONDITION);
    HASNT("it hurts when [i push the mower:h] and it eases off once i stop", 0, KF_CTX_CONDITION);
    HASNT("[pushing the mower:h] but eases if i rest", 0, KF_CTX_CONDITION);
    HAS("[i stretch:h] and it helps", 0, KF_CTX_CONDITION);
    HAS("[leaning back:h] helps when it is bad", 0, KF_CTX_CONDITION);
}

static void test_people(void)
{
    kf_ctx_people p;
    /* the writer speaks for someone: their words are the patient's */
    CHECK((ctx_of("my dad is 71 and has a [knot:l] in his back", 0, &p) & KF_CTX_OTHER) == 0);
    CHECK(p.patient > 0);
    CHECK_INT(p.sex, 'm');
    CHECK_INT(p.who[3], p.patient);                  /* the 71 is the dad's */
    kf_free(p.who);
    /* someone else's history is not the patient's */
    HAS("my mum had [cancer:r] . i have a [knot:l]", 0, KF_CTX_OTHER);
    HASNT("my mum had [cancer:r] . i have a [knot:l]", 1, KF_CTX_OTHER);
    /* what the writer carries is not the subject */
    HASNT("i carry my son on my [hip:h] and my [back:l] hurts", 0, KF_CTX_OTHER);
    /* a describing word between "my" and the relation, or before a relation
     * opening a sentence, keeps it the relation's */
    HAS("my elderly neighbour [fell:r] last week . i have a [knot:l]", 0, KF_CTX_OTHER);
    HAS("elderly neighbour [fell:r] last week . i have a [knot:l]", 0, KF_CTX_OTHER);
    HASNT("elderly neighbour [fell:r] last week . i have a [knot:l]", 1, KF_CTX_OTHER);
    /* "a friend", "a friend of mine": someone outside the family; "as a kid"
     * is still the writer */
    HAS("a friend had [shingles:r] last month . i have a [knot:l]", 0, KF_CTX_OTHER);
    HAS("a friend of mine [fell:r] off a ladder . i have a [knot:l]", 0, KF_CTX_OTHER);
    HASNT("as a kid i [broke my arm:r]", 0, KF_CTX_OTHER);
    /* a relation opening a sentence needs no "my" */
    CHECK((ctx_of("dad is 75 . his [back:l] hurts", 0, &p) & KF_CTX_OTHER) == 0);
    CHECK(p.patient > 0);
    kf_free(p.who);
    /* words said before anyone is named fit the patient */
    CHECK((ctx_of("[fell:r] down the stairs . my dad has a [sore back:l]", 0, &p) &
           KF_CTX_OTHER) == 0);
    kf_free(p.who);
    /* "my son (15)": the number is the son's */
    CHECK((ctx_of("my son ( 15 ) keeps getting [knots:l]", 0, &p) & KF_CTX_OTHER) == 0);
    CHECK_INT(p.who[3], p.patient);
    kf_free(p.who);
    /* a relation opening a sentence with an age beside it: "Partner, 31, ..." */
    ctx_of("partner , 31 , has a [knot:l] in her back", 0, &p);
    CHECK(p.patient > 0);
    CHECK_INT(p.who[2], p.patient);
    kf_free(p.who);
    ctx_of("husband 45 [knot:l] in his back", 0, &p);
    CHECK(p.patient > 0);
    CHECK_INT(p.sex, 'm');
    kf_free(p.who);
    ctx_of("dad ( 70 ) has a [knot:l]", 0, &p);
    CHECK(p.patient > 0);
    kf_free(p.who);
    /* a relation word inside a sentence with no "my" is no one spoken for */
    ctx_of("i have a [knot:l] . the dad 40 next door too", 0, &p);
    CHECK_INT(p.patient, 0);
    kf_free(p.who);
    /* someone outside the family of whom only a past event is told is not
     * the person in pain, with or without a pain of the writer's; what is
     * said of them now, or of a relative, still makes them the patient */
    ctx_of("my mate had a [heart attack:r] last year", 0, &p);
    CHECK_INT(p.patient, 0);
    CHECK(M[0].ctx & KF_CTX_OTHER);
    kf_free(p.who);
    ctx_of("[knot:l] . my boss has had a [heart attack:r]", 0, &p);
    CHECK_INT(p.patient, 0);
    CHECK(M[1].ctx & KF_CTX_OTHER);
    kf_free(p.who);
    ctx_of("[neck knot:l] , 3 days . my elderly neighbour , 88 , [fell:r] yesterday", 0, &p);
    CHECK_INT(p.patient, 0);
    CHECK(M[1].ctx & KF_CTX_OTHER);
    kf_free(p.who);
    ctx_of("my mate is 70 and [smokes:h]", 0, &p);
    CHECK(p.patient > 0);
    kf_free(p.who);
    ctx_of("my dad [fell:r] off a ladder", 0, &p);
    CHECK(p.patient > 0);
    kf_free(p.who);
    /* someone working on the writer's knot is no new person in pain, and
     * the hand they work with makes no one the patient */
    ctx_of("[knot:l] . my wife presses it with her elbow , [good for two hours:s]", 0, &p);
    CHECK_INT(p.patient, 0);
    CHECK((M[1].ctx & KF_CTX_OTHER) == 0);
    kf_free(p.who);
    ctx_of("my husband puts his [elbow:l] in , [good for an hour:s]", 0, &p);
    CHECK_INT(p.patient, 0);
    CHECK(M[0].ctx & KF_CTX_OTHER);
    CHECK((M[1].ctx & KF_CTX_OTHER) == 0);
    kf_free(p.who);
    ctx_of("my wife rubs her [neck:l] all day", 0, &p);
    CHECK(p.patient > 0);
    kf_free(p.who);
    /* the husband speaks, then the writer: "I slouch" is the writer's */
    HASNT("my husband says i [slouch:h] and my [neck:l] hurts", 0, KF_CTX_OTHER);
}

static void test_linear_and_empty(void)
{
    kf_ctx_people p;
    CHECK(kf_context_apply(T, 0, M, 0, &p) == KF_OK);
    kf_free(p.who);
    /* a long text of triggers: each scope is bounded, so this is quick and
     * marks only what is near */
    static token big[20000];
    for (int i = 0; i < 20000; i++) {
        static const char not_[KF_TOK_NORM] = "not", worried[KF_TOK_NORM] = "worried";
        big[i] = (token){ .kind = T_WORD, .word = 1, .norm = i % 2 ? not_ : worried };
        big[i].flags = i % 2 ? KF_WORD_NEGATE : 0;
    }
    kf_ctx_match far = { 19999, 19999, KF_FIND_SYMPTOM, 0, false };
    CHECK(kf_context_apply(big, 20000, &far, 1, &p) == KF_OK);
    kf_free(p.who);
}

static void test_out_of_memory(void)
{
    text("my dad has a [knot:l]");
    for (long k = 0; k < 3; k++) {
        kf_alloc_fail_after(k);
        kf_ctx_people p;
        kf_err e = kf_context_apply(T, n_t, M, n_m, &p);
        kf_alloc_fail_after(-1);
        CHECK(e == KF_OK || e == KF_ENOMEM);
        if (e == KF_OK)
            kf_free(p.who);
        else
            CHECK(p.who == NULL);
    }
}

/* A question answered at once, an order-free reading denied between its
 * words, and a guess. */
static void test_answers_apart_guesses(void)
{
    HAS("[fever:r] ? no .", 0, KF_CTX_NEGATED);
    HASNT("[fever:r] ? no .", 0, KF_CTX_QUESTION);
    HASNT("[fever:r] ? yes", 0, KF_CTX_NEGATED);
    HASNT("[fever:r] ? yes", 0, KF_CTX_QUESTION);
    HAS("[fever:r] ?", 0, KF_CTX_QUESTION);
    HASNT("[fever:r] ? no idea", 0, KF_CTX_NEGATED);               /* no answer */
    HAS("[tingling:s] , no", 0, KF_CTX_NEGATED);                   /* a short item */
    HASNT("a b c [tingling:s] , no", 0, KF_CTX_NEGATED);           /* a long clause */
    HAS("could it be a [clot:r] ? no", 0, KF_CTX_HYPOTHETICAL);
    HASNT("could it be a [clot:r] ? no", 0, KF_CTX_NEGATED);
    HAS("i think i [slept funny:h]", 0, KF_CTX_HEDGED);
    HASNT("i [slept funny:h]", 0, KF_CTX_HEDGED);
    HAS("probably from the [gym:h]", 0, KF_CTX_HEDGED);
    HAS("could be from a [clot:r]", 0, KF_CTX_HYPOTHETICAL);       /* a guessed cause */
    HASNT("could be from a [clot:r]", 0, KF_CTX_HEDGED);
    HAS("maybe its my [heart:r]", 0, KF_CTX_HYPOTHETICAL);         /* the longer trigger */
    /* a denial through a verb of opinion denies, as a guess */
    HAS("i dont think i have a [fever:r]", 0, KF_CTX_NEGATED);
    HAS("i dont think i have a [fever:r]", 0, KF_CTX_HEDGED);
    HAS("i dont feel like my [hand:s] is numb", 0, KF_CTX_NEGATED);
    HASNT("i dont know , my [hand:s] is numb", 0, KF_CTX_NEGATED);
    HASNT("i dont think so but my [hand:s] is numb", 0, KF_CTX_NEGATED);
    /* a hedge before a number is a rough amount */
    HASNT("maybe once a month it [comes back:s]", 0, KF_CTX_HEDGED);
    HASNT("probably 10 hours a day at my [desk:h]", 0, KF_CTX_HEDGED);
    HAS("probably my [desk:h]", 0, KF_CTX_HEDGED);
    /* a correction: "... but it's really ..." makes what came before a guess */
    HAS("physio said [levator:l] but its really in the [middle:l]", 0, KF_CTX_HEDGED);
    HASNT("physio said [levator:l] but its really in the [middle:l]", 1, KF_CTX_HEDGED);
    HASNT("my [rhomboid:l] is knotted but the [top:l] too", 0, KF_CTX_HEDGED);
    /* an order-free match spanning "my face is not drooping" */
    text("[my face is not drooping:r]");
    M[0].apart = true;
    kf_ctx_people p;
    CHECK(kf_context_apply(T, n_t, M, n_m, &p) == KF_OK && (M[0].ctx & KF_CTX_NEGATED));
    kf_free(p.who);
    text("[my face is not drooping:r]");            /* a phrase of its own words */
    CHECK(kf_context_apply(T, n_t, M, n_m, &p) == KF_OK && !(M[0].ctx & KF_CTX_NEGATED));
    kf_free(p.who);
    text("[spots that dont fade press:r]");         /* the negation denies "fade" */
    M[0].apart = true;
    CHECK(kf_context_apply(T, n_t, M, n_m, &p) == KF_OK && !(M[0].ctx & KF_CTX_NEGATED));
    kf_free(p.who);
}

/* The trigger words the reader keeps from spelling correction: every word
 * of five letters or more of a trigger list or a relation ("signs" of
 * "signs of", "worried", "colleague"), and no other word (a misspelt
 * lexicon word is still corrected). */
static void test_trigger_words(void)
{
    CHECK(kf_context_word("signs", 5));
    CHECK(kf_context_word("symptoms", 8));
    CHECK(kf_context_word("worried", 7));
    CHECK(kf_context_word("terrified", 9));
    CHECK(kf_context_word("colleague", 9));
    CHECK(kf_context_word("however", 7));
    CHECK(kf_context_word("signsx", 5));          /* the length given, not the NUL */
    CHECK(!kf_context_word("shouldr", 7));
    CHECK(!kf_context_word("sholder", 7));
    CHECK(!kf_context_word("sign", 4));           /* short words are never corrected */
    CHECK(!kf_context_word("", 0));
    CHECK(!kf_context_word("averyveryverylongwordindeedyes", 30));
}

/* issue 10, context2: words that end a denial's scope ("no injury just
 * tearing pain"), a denied saying of a denial, a past event said with a
 * past time */
static void test_context2(void)
{
    HASNT("no injury just sudden [tearing:r] pain", 0, KF_CTX_NEGATED);
    HASNT("no cough only a sharp [pain:s]", 0, KF_CTX_NEGATED);
    HASNT("no symptoms apart from [numbness:s]", 0, KF_CTX_NEGATED);
    HASNT("no symptoms other than [numbness:s]", 0, KF_CTX_NEGATED);
    HAS("no [injury:r] just tearing pain", 0, KF_CTX_NEGATED);   /* before it: still denied */
    HASNT("not just the [back:l] but my neck", 0, KF_CTX_NEGATED);
    /* a denial denied */
    HASNT("im not saying i dont have a [fever:r]", 0, KF_CTX_NEGATED);
    HASNT("it doesnt not [hurt:s]", 0, KF_CTX_NEGATED);
    HAS("it doesnt [hurt:s]", 0, KF_CTX_NEGATED);
    HAS("im saying i dont have a [fever:r]", 0, KF_CTX_NEGATED);
    /* a reading's own denial ("no numbness" read as one phrase) denied */
    for (int say = 0; say < 2; say++) {
        text(say ? "not that theres [no numbness:s]" : "theres [no numbness:s]");
        T[say ? 3 : 1].used = T[say ? 4 : 2].used = true;
        kf_ctx_people p;
        CHECK(kf_context_apply(T, n_t, M, n_m, &p) == KF_OK);
        CHECK(((M[0].ctx & KF_CTX_DENIAL_DENIED) != 0) == (say == 1));
        kf_free(p.who);
    }
    /* months back: past, marked so; a pain said then stays */
    HAS("i had a kidney [infection:r] a month ago", 0, KF_CTX_HISTORICAL);
    HAS("i had a kidney [infection:r] 3 months ago", 0, KF_CTX_MONTHS_AGO);
    HAS("had [shingles:r] last month", 0, KF_CTX_HISTORICAL);
    HASNT("i had a knot under my [blade:l] a month ago", 0, KF_CTX_HISTORICAL);
    HASNT("i have a kidney [infection:r] . it started a month ago", 0, KF_CTX_HISTORICAL);
    HASNT("i had [shingles:r] 3 years ago", 0, KF_CTX_MONTHS_AGO);
    HAS("i had [shingles:r] 3 years ago", 0, KF_CTX_HISTORICAL);
    /* a relation done for, then a verb with no subject: the writer's */
    HASNT("i care for my dad and [lift:h] him in and out of bed", 0, KF_CTX_OTHER);
    HAS("i visit my dad and he [lifts:h] boxes . my [back:l] hurts", 0, KF_CTX_OTHER);
}

int main(void)
{
    RUN(test_context2);
    RUN(test_answers_apart_guesses);
    RUN(test_negation);
    RUN(test_hypothetical);
    RUN(test_historical_and_condition);
    RUN(test_alternatives_asked);
    RUN(test_issue10_rules);
    RUN(test_family_and_persistence);
    RUN(test_people);
    RUN(test_linear_and_empty);
    RUN(test_out_of_memory);
    RUN(test_trigger_words);
    return CHECK_DONE();
}
