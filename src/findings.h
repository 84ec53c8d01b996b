/*
 * findings.h — the unit every module speaks: "this finding is present /
 * absent / unsure, on this side, and came from these words".
 *
 * A kf_findings owns its array; kf_findings_free() releases it.  It never
 * owns the text its spans point into.
 */
#ifndef KF_FINDINGS_H
#define KF_FINDINGS_H

#include "kb.h"

typedef enum { KF_ABSENT = 0, KF_PRESENT = 1, KF_UNSURE = 2 } kf_state;
typedef enum { KF_FROM_TEXT = 0, KF_FROM_MAP, KF_FROM_ANSWER, KF_FROM_JOURNAL } kf_origin;

typedef struct {
    int       finding;   /* index into kb->findings */
    kf_state  state;
    kf_side   side;
    kf_origin origin;
    int       alt;       /* ambiguous reading: the other finding it may be, or -1 */
    int       start;     /* byte span of the words it came from, or -1 */
    int       len;
    unsigned char ctx;   /* KF_CTX_* bits of context.h the reading had (text only) */
    unsigned char note;  /* KF_NOTE_*: why it was read this way */
} kf_fact;

/* kf_fact.note */
enum {
    KF_NOTE_NONE = 0,
    /* The words could mean a warning sign or something milder (alt); the
     * warning sign was taken, to be safe. */
    KF_NOTE_SAFER = 1,
    /* Said only as the writer's guess ("I think I slept funny", "probably
     * from the gym"): kept, but weaker than a fact said outright. */
    KF_NOTE_GUESS = 2
};

/* How the engine weighs a guess (engine.c, kf_posterior_interval): soft
 * evidence, P(said as a guess | the finding is absent) relative to present;
 * at most KF_GUESS_MAX guesses are weighed so. */
#define KF_GUESS_LAMBDA 0.3
#define KF_GUESS_MAX 3

/* Warning signs and other findings a person only asked or worried about
 * ("could it be my heart?"): not facts, but the answer says what to watch
 * for.  At most this many are kept. */
#define KF_HYPO_MAX 16

typedef struct {
    kf_fact *v;
    int      n, cap;
    /* Numbers read from the words; -1 when not given. */
    int      age;
    int      weeks_pregnant;
    int      duration_days;
    kf_side  dominant;   /* dominant hand, NONE when not said */
    char     sex;        /* 'f', 'm', or 0 when not said (of the person in pain) */
    /* The person in pain is someone the writer speaks for ("my husband"):
     * the relation word as written, lower case, singular ("husband",
     * "daughter", "mum"); empty when the writer is the person in pain. */
    char     patient[32];
    int      hypothetical[KF_HYPO_MAX];   /* finding ids only asked or worried about */
    int      n_hypothetical;
    /* The text reader was given words and understood nothing at all from
     * them (gibberish, another topic): the triage cannot screen. */
    bool     nothing_understood;
    bool     oom;        /* an add failed for lack of memory */
} kf_findings;

void kf_findings_init(kf_findings *f);
void kf_findings_free(kf_findings *f);
/* Deep copy; returns KF_ENOMEM and leaves *dst empty on failure. */
kf_err kf_findings_copy(kf_findings *dst, const kf_findings *src);

/* Adds a fact, merging with an earlier fact about the same finding:
 *  - an answer (KF_FROM_ANSWER) or map click overrides what the text said;
 *  - otherwise PRESENT beats UNSURE beats ABSENT, and sides are OR-ed.
 * Returns the index of the fact, or -1 when out of memory (f->oom set). */
int kf_findings_add(kf_findings *f, const kf_fact *fact);

/* The fact about `finding`, or NULL. */
const kf_fact *kf_findings_get(const kf_findings *f, int finding);
/* True when `finding` is PRESENT. */
bool kf_findings_has(const kf_findings *f, int finding);
/* Count of PRESENT facts. */
int kf_findings_present(const kf_findings *f);

#endif
