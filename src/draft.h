/*
 * draft.h — a drafted reply to a reader's question, in the manner of the
 * therapist's answers in the course's comment threads (triage first when it
 * is needed, "my best long-distance guess" with the chain behind it, two or
 * three things to try with their doses, one or two questions back, a line
 * saying it is self-help and not a diagnosis), for a therapist to edit and
 * publish.  The words are the project's own: sentence templates here, and
 * the KB's texts (chains, doses, red-flag messages, person rules).
 *
 * Decisions are the engine's: the triage, the ranked causes, the plan for
 * this person (plan.h: pregnancy, thin bones, age, a fresh spasm) and the
 * questions, chosen by expected information gain (question.h).  The draft
 * only words them, and picks among phrasings by a hash of the question's
 * text, so the same input always gives the same draft (and two readers
 * asking different things do not get the same sentences).
 *
 * Safety: a red flag outranks everything.  An emergency or doctor_soon
 * draft says so in its first paragraph after the greeting and carries no
 * self-care step at all; a draft that could not screen (nothing understood)
 * asks the red-flag screen questions and makes no guess, unless the words
 * are only thanks (KF_DRAFT_THANKS): then it thanks back, asks how it is
 * going, and says to see a doctor if anything new or severe appears.
 *
 * For someone else: when the reader finds the person in pain is someone the
 * writer speaks for (findings.h: patient, "my husband ..."), the draft
 * speaks of them ("your husband", then he/she/they) and asks the writer to
 * put the questions to them.
 *
 * Length: KF_DRAFT_MIN_WORDS to KF_DRAFT_MAX_WORDS words (kf_draft_words;
 * a thank-you: KF_DRAFT_THANKS_MIN_WORDS to KF_DRAFT_THANKS_MAX_WORDS):
 * optional paragraphs are dropped, lowest worth first, until it fits.
 *
 * Ownership: a kf_draft owns its strings (kf_draft_free); it holds indexes
 * into the kb, which must outlive it.  Nothing here keeps state.
 */
#ifndef KF_DRAFT_H
#define KF_DRAFT_H

#include "engine.h"
#include "json_out.h"
#include "store.h"

/* The target length, in words as kf_draft_words counts them. */
#define KF_DRAFT_MIN_WORDS 150
#define KF_DRAFT_MAX_WORDS 300
/* A thank-you with no complaint in it (KF_DRAFT_THANKS) gets a short warm
 * acknowledgement instead, of this length. */
#define KF_DRAFT_THANKS_MIN_WORDS 40
#define KF_DRAFT_THANKS_MAX_WORDS 120
/* Questions back, and things to try. */
#define KF_DRAFT_MAX_Q     2
#define KF_DRAFT_MAX_STEPS 3
/* Longest first name used in the greeting (bytes). */
#define KF_DRAFT_NAME_MAX  40

/* What the asker attached: their latest consultation and their journal. */
typedef struct {
    const kf_result  *consultation; /* its findings are added to the question's; or NULL */
    const kf_checkin *checkins;     /* check-ins, oldest first (as the store lists them); or NULL */
    int               n_checkins;
    const char       *name;         /* the asker's first name (UTF-8), or NULL: "Hello," */
} kf_draft_input;

/* One question back. */
typedef struct {
    int   finding;     /* the finding asked about (kb index), or -1 (where / how long) */
    char *text;        /* the question as written in the draft (owned) */
} kf_draft_q;

/* What kind of reply: an answer to a question, or the acknowledgement of a
 * thank-you that holds no complaint ("Thank you so much, this helped!":
 * nothing understood, words of thanks, no question, nothing that sounds
 * like pain or a problem). */
typedef enum { KF_DRAFT_REPLY = 0, KF_DRAFT_THANKS = 1 } kf_draft_kind;

typedef struct {
    kf_draft_kind kind;
    char       *text;          /* the draft: paragraphs separated by a blank line (owned) */
    int         words;         /* kf_draft_words(text) */
    kf_triage   triage;        /* the consultation's level (UNKNOWN: could not screen) */
    int         cause;         /* the guessed cause (kb index), or -1 (none: triage or unknown) */
    int         moved_from;    /* short relief moved the guess away from this cause, or -1 */
    int         flag;          /* the red-flag rule that leads (kb index), or -1 */
    int         techniques[KF_DRAFT_MAX_STEPS];  int n_techniques;   /* things to try */
    kf_draft_q  questions[KF_DRAFT_MAX_Q + 6];   int n_questions;    /* screen: up to 8 */
} kf_draft;

/* Drafts the reply to `text` (len bytes, need not be NUL-terminated) with
 * what `in` attached (may be NULL: nothing attached, no name).
 * Errors, each with one sentence in `err` (may be NULL), *out then empty:
 *   KF_EINVAL   the question is empty (only spaces) and nothing is attached;
 *               or the name is not a name (control bytes, not UTF-8, too long)
 *   KF_EPARSE   the text is not words (kf_text_is_words: a binary file)
 *   KF_ETOOBIG  longer than KF_TEXT_MAX
 *   KF_ENOMEM   out of memory
 * On KF_OK *out holds the draft; free it with kf_draft_free. */
kf_err kf_draft_make(const kf_kb *kb, const char *text, size_t len,
                     const kf_draft_input *in, kf_draft *out, kf_buf *err);
void kf_draft_free(kf_draft *d);

/* The same in one call, for callers that want only the words: the draft is
 * appended to `out`.  Errors as kf_draft_make (nothing appended). */
kf_err kf_draft_reply(const kf_kb *kb, const char *text, size_t len,
                      const kf_result *consultation, const kf_checkin *checkins,
                      int n_checkins, const char *name, kf_buf *out, kf_buf *err);

/* The draft as JSON at the writer's current place:
 *   {"draft": TEXT, "kind": "reply"|"thanks", "words": N, "triage": LEVEL, "cause": ID|null,
 *    "moved_from": ID|null, "flag": ID|null, "techniques": [ID...],
 *    "questions": [{"finding": ID|null, "text": TEXT}...]} */
void kf_draft_write(kf_jo *w, const kf_kb *kb, const kf_draft *d);

/* Words in `s`: runs of non-space bytes holding at least one letter or
 * digit (a list's "1." counts, a lone "-" does not). */
int kf_draft_words(const char *s);

#endif
