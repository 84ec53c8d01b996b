/*
 * context.h — what a reading means in its sentence, ConText-style (Harkema
 * et al., J Biomed Inform 2009, the successor of NegEx): is it denied, only
 * wondered about, in the past, or about someone else?
 *
 * Trigger words open a scope over the following (or, for a few, the
 * preceding) words of their clause; termination words ("but", "although",
 * a new "and I ...") close it.  Each reading whose first word lies in a
 * scope gets that scope's bit.  Whose words they are is decided per token:
 * the nearest person named before them ("I", "my dad", "she"), carried from
 * sentence to sentence; the person in pain (the patient) is the one the
 * first pain or symptom is said about, so a writer speaking for "my dad"
 * gives the dad's age, sex and history.
 *
 * Everything here is linear in the number of tokens: each trigger's scope
 * is bounded and marks tokens, and readings look their token up.
 */
#ifndef KF_CONTEXT_H
#define KF_CONTEXT_H

#include "token.h"

enum {
    KF_CTX_NEGATED      = 1,   /* "no", "doesn't", "never" ... */
    KF_CTX_HYPOTHETICAL = 2,   /* a question or worry: "could it be my heart?" */
    KF_CTX_HISTORICAL   = 4,   /* "used to", "history of", "as a kid" */
    KF_CTX_OTHER        = 8,   /* about someone other than the person in pain */
    KF_CTX_CONDITION    = 16,  /* what eases it: "it eases if I lean back" */
    KF_CTX_QUESTION     = 32,  /* in a sentence that ends with '?' */
    KF_CTX_HEDGED       = 64,  /* only a guess: "I think I slept funny", "probably from the gym" */
    /* a limb named as what the writer works with or holds a posture in,
     * with no pain said in its clause ("lift boxes with my right arm",
     * "arms straight out on the wheel"): not a place that hurts */
    KF_CTX_INSTRUMENT   = 128,
    /* (the match only, not kept in a fact) the pain has lasted since the
     * event the reading names ("a crash years ago, my neck has hurt ever
     * since"): an injury in the past that the pain began with */
    KF_CTX_SINCE        = 256,
    /* a reading that is itself a denial, said not to be so ("I'm not
     * saying there's no blood in my pee", "not that there's no numbness"):
     * its denial does not hold, and what it denies is read as there */
    KF_CTX_DENIAL_DENIED = 512,
    /* (with KF_CTX_HISTORICAL) the past said is months back ("had a kidney
     * infection a month ago"): an illness then is over, while an operation,
     * a birth or a fall then is still recent enough to tell */
    KF_CTX_MONTHS_AGO   = 1024
};

/* One reading to put in context. */
typedef struct {
    int      first, last;      /* token span */
    int      kind;             /* kf_finding_kind of its first finding, or -1 */
    unsigned ctx;              /* out: KF_CTX_* bits */
    bool     apart;            /* an order-free ("&") match: words between are not its own */
} kf_ctx_match;

/* Who the words are about. */
typedef struct {
    int   patient;             /* 0: the writer; >0 someone the writer speaks for */
    char  sex;                 /* 'f', 'm' or 0: what the relation word says of the patient */
    int  *who;                 /* per token (n): whose words they are (kf_malloc'ed) */
} kf_ctx_people;

/* Reads the people of the text and sets each match's ctx bits.  Returns
 * KF_OK or KF_ENOMEM (then nothing is set).  people->who is the caller's to
 * kf_free. */
kf_err kf_context_apply(const token *v, int n, kf_ctx_match *m, int nm, kf_ctx_people *people);

/* The relation word at v[i] ("dad", "wife's"): its sex ('f', 'm' or '?'),
 * or 0 when it names no relation. */
char kf_context_relation(const token *v, int n, int i);

/* Is w (len bytes, lower case) a word of a context trigger or a relation
 * ("signs" of "signs of", "worried", "colleague")?  The reader keeps such a
 * word as written rather than correct it to a lexicon word one edit away,
 * which would hide the trigger ("signs" -> "sings"). */
bool kf_context_word(const char *w, size_t len);

#endif
