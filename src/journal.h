/*
 * journal.h — what the check-ins teach: follow-up findings for the engine,
 * a revised ranking and plan, and the plain words of what changed and why.
 *
 * The lesson it encodes: when relief after working on a muscle lasts only
 * hours, that muscle was the symptom, not the cause, so knotfinder moves on
 * to the next cause (often one that pulls from elsewhere); feeling worse
 * after heat means cold (and the other way); a step that changes nothing
 * after several honest tries moves down the plan.
 *
 * Check-ins reach the engine in two ways:
 *  - follow-up findings (kind = followup in the KB: relief_short,
 *    massage_no_help, worse_after_heat, worse_after_cold, worse_after_massage,
 *    no_change_after_tries), added with origin KF_FROM_JOURNAL; the KB's
 *    links do the rest (relief_short raises the muscles that pull from
 *    elsewhere);
 *  - a likelihood ratio per cause for "this cause was treated and the relief
 *    did not last" (or did), applied to the cause's prior odds.  Causes are
 *    independent in the noisy-OR model, so evidence that bears on one cause
 *    alone is exactly a change of its prior.  Until the engine takes these
 *    ratios itself, kf_journal_revise() runs the engine on a shallow copy of
 *    the kb whose causes array carries the adjusted priors.
 *
 * Everything here is deterministic: the same kb, findings and check-ins give
 * the same revision.  Ownership: a kf_followup and a kf_revision own all
 * their arrays; free them with kf_followup_free() / kf_revision_free().
 * They point into the kb, which must outlive them.
 */
#ifndef KF_JOURNAL_H
#define KF_JOURNAL_H

#include <jansson.h>
#include "engine.h"
#include "store.h"

/* Relief shorter than the KB's [scale] relief_hours (about a day) is short:
 * the cause was missed; relief that long or longer is lasting. */
/* Honest tries without change before a step moves down the plan. */
#define KF_TRIES_NO_CHANGE  3
/* Check-ins older than this many days before the newest one are ignored. */
#define KF_JOURNAL_WINDOW_D 90

/* ---- checking and normalising what a person typed ---- */

/* Turns a comma-separated list of things done ("Tennis-Ball, heat") into the
 * stored form ("tennis_ball,heat"): lower case, '-' and spaces to '_',
 * duplicates dropped.  Each word must be a technique id of the kb or one of
 * the plain words of kf_journal_plain_words ("ice" is read as cold).
 * `what` names the option in messages ("--did").  On an unknown word
 * returns KF_EINVAL with a message naming it and, when one is close, the id
 * meant.  `out` gets the normalised list (empty when `in` is empty). */
kf_err kf_journal_words(const kf_kb *kb, const char *what, const char *in,
                        kf_buf *out, kf_buf *err);

/* The plain words accepted besides technique ids, comma-separated. */
extern const char *const kf_journal_plain_words;

/* Parses "REGION[:SIDE]" ("medial_border:right"; a leading "pain_" is
 * allowed) into a region id of the kb (pointer owned by the kb) and a side.
 * A side on a region that has none is an error. */
kf_err kf_journal_where(const kf_kb *kb, const char *in, const char **region,
                        kf_side *side, kf_buf *err);

/* Parses a time a person gives: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or
 * with 'T', optionally followed by "Z" or "+HH:MM"/"-HH:MM".  Without a zone
 * it is local time; a date alone is noon that day (or now, for today).
 * Writes the canonical UTC form into `out`.  Refuses malformed input and
 * times more than KF_STORE_FUTURE_S after `now`. */
kf_err kf_journal_time(const char *in, long long now, char out[KF_TIME_LEN],
                       kf_buf *err);

/* Parses a pain score: a whole number 0..10 and nothing else. */
kf_err kf_journal_pain(const char *in, int *pain, kf_buf *err);

/* Parses relief hours: a number >= 0 and <= KF_STORE_HOURS_MAX, with an
 * optional unit "h" or "m"/"min" (minutes) or "d" (days). */
kf_err kf_journal_hours(const char *in, double *hours, kf_buf *err);

/* Checks a whole check-in against the kb (region, side, words) and the
 * store's ranges; the first problem goes to `err`. */
kf_err kf_journal_check(const kf_kb *kb, const kf_checkin *c, kf_buf *err);

/* ---- from check-ins to evidence ---- */

/* One technique's record in the window. */
typedef struct {
    int    technique;
    int    tries;          /* honest tries (not stopped early) */
    int    short_relief;   /* relief lasted less than kb->relief_hours (> 0) */
    int    lasting;        /* relief lasted kb->relief_hours or more */
    int    helped;         /* pain fell by >= 2, relief time not given */
    int    no_change;      /* no relief and pain not lower */
    int    worse;          /* felt worse after it */
    double relief_sum;     /* hours, over tries with a known relief */
    int    relief_n;
    bool   demoted;        /* no change after KF_TRIES_NO_CHANGE tries */
    int    timed;          /* honest tries with a relief time */
    bool   generic;        /* the plain word "massage" (technique is then the KB's
                              therapeutic_massage, but it was not aimed at a cause) */
    int    relief_present, relief_absent;   /* relief_after_<T> findings made */
    /* A release or stretch with no relief finding of its own (holding the
     * tender points) that helped for hours only, kb->relief_trials times
     * and never for longer: it moves down the plan as a demoted step does
     * (demoted is set too), said as relief that did not last. */
    bool   faded;
} kf_tech_record;

/* At most this many check-in notes with a warning sign are remembered
 * (the newest win); their facts are all kept in kf_followup.warn. */
#define KF_NOTE_WARN_MAX 8

/* A check-in whose note said a warning sign. */
#define KF_NOTE_FOUND_MAX 6
typedef struct {
    long long checkin;              /* its id */
    char      at[KF_TIME_LEN];
    int       finding;              /* the first fact of it that raised the level */
    int       found[KF_NOTE_FOUND_MAX];  int n_found;  /* the facts it put in warn */
    /* for each, the content words of the note's clause it was read in
     * ("legs weak numb"), lower case: a later "my legs feel normal again"
     * names the same sign */
    char      words[KF_NOTE_FOUND_MAX][80];
} kf_note_warning;

/* A warning sign of an earlier note that a later check-in settled: its
 * note says the sign has gone ("the numbness in my legs has gone", "legs
 * feel normal again") or that a doctor has checked it and found nothing to
 * act on ("saw my GP, she examined me and all is fine").  Its facts leave
 * kf_followup.warn (and .add), so the level falls back to what the rest
 * says; the same sign written again later ("numb again") warns again. */
typedef enum { KF_SETTLED_GONE, KF_SETTLED_DOCTOR } kf_settled_how;
typedef struct {
    long long      checkin;         /* the check-in that settled it */
    char           at[KF_TIME_LEN];
    char           warned_at[KF_TIME_LEN];   /* the check-in that had warned */
    int            finding;         /* the warning's first fact */
    kf_settled_how how;
} kf_note_settled;

typedef struct {
    kf_findings       add;          /* follow-up facts (origin JOURNAL) */
    /* Warning signs written in the notes of check-ins in the window ("my
     * legs went numb this morning"): the facts of a note that make a
     * red-flag rule fire that did not fire without them (origin JOURNAL).
     * kf_journal_revise lets them override what the consultation said of
     * the same finding (a screen answered "no" then is not "no" now). */
    kf_findings       warn;
    kf_note_warning   notes[KF_NOTE_WARN_MAX];  int n_notes;
    kf_note_settled   settled[KF_NOTE_WARN_MAX];  int n_settled;   /* the newest win */
    /* The latest check-in whose note says a doctor has seen or checked the
     * pain with nothing left to do ("went to my GP, she examined me, no
     * fracture"), or "": the consultation's own "see a doctor in the next
     * few days" has then been done (kf_journal_revise). */
    char              doctor_at[KF_TIME_LEN];
    kf_tech_record   *techs;    int n_techs;
    int               n_used;       /* check-ins inside the window */
    char              worse_heat_at[KF_TIME_LEN];   /* last time, or "" */
    char              worse_cold_at[KF_TIME_LEN];
    /* The latest check-in whose note said something new about the body (a
     * symptom, a warning sign, a place, the history): its time, or "".
     * Those findings are in `add` too, so the triage reads them first. */
    char              note_at[KF_TIME_LEN];
    int               note_checkin;   /* its index in the list given, or -1 */
} kf_followup;

/* Reads check-ins (oldest first, as the store lists them) into evidence.
 * A note is read for warning signs only (fu->warn, above); its other words
 * are an aside the check-in's own fields already say.
 * Relief given in a check-in with nothing done is credited to the latest
 * earlier check-in (within two days) that did something and gave no relief
 * time.  Returns KF_ENOMEM or KF_OK; on failure *fu is empty. */
kf_err kf_journal_followups(const kf_kb *kb, const kf_checkin *v, int n,
                            kf_followup *fu);
/* The same, with the consultation's findings: a try on the sore spot with
 * no place given is about the first place the consultation located. */
kf_err kf_journal_followups_for(const kf_kb *kb, const kf_checkin *v, int n,
                                const kf_findings *base, kf_followup *fu);
void kf_followup_free(kf_followup *fu);

/* The check-ins the revised plan reads, oldest first: those of the
 * KF_JOURNAL_WINDOW_D days up to the newest one (the window
 * kf_journal_followups uses), read from the store with `since`, so the cost
 * does not grow with the whole history; and, when none of them names a
 * place the kb knows, every check-in (the place of an older one is the one
 * to fall back on).  kf_journal_revise() on them gives what it gives on all
 * the check-ins.  Errors as kf_store_list_checkins; on failure `out` is
 * empty. */
kf_err kf_journal_window(kf_store *s, const kf_kb *kb, kf_checkin_list *out, kf_buf *err);

/* ---- the revised consultation ---- */

typedef enum {
    KF_CHANGE_CAUSE_DOWN,    /* treated, relief did not last */
    KF_CHANGE_CAUSE_UP,      /* treated, relief lasted; or a finding fits it */
    KF_CHANGE_LEADER,        /* a new leading cause */
    KF_CHANGE_FINDING,       /* a follow-up finding was learnt */
    KF_CHANGE_PLAN_ADD,      /* a step came into the plan */
    KF_CHANGE_PLAN_DROP,     /* a step left the plan */
    KF_CHANGE_PLAN_DEMOTE,   /* a step moved to the end: no change */
    KF_CHANGE_KEEP,          /* a step that works: keep it */
    KF_CHANGE_NONE           /* nothing changed yet (with advice) */
} kf_change_kind;

typedef struct {
    kf_change_kind kind;
    int    cause;            /* or -1 */
    int    technique;        /* or -1 */
    int    finding;          /* or -1 */
    double before, after;    /* cause scores, or -1 */
    char  *text;             /* one or two plain sentences (owned) */
} kf_change;

typedef struct {
    kf_result  *before;      /* the consultation alone */
    kf_result  *after;       /* with the check-ins */
    kf_followup fu;
    kf_change  *changes;  int n_changes;
    /* A doctor has seen to the consultation's warning (fu.doctor_at): the
     * revised result's level is "mention it" and its self-care steps are
     * there (kf_journal_revise). */
    bool        doctor_done;
} kf_revision;

/* Runs the engine on `base` (the consultation's findings) without and with
 * the check-ins, adjusts the plan (steps that made it worse leave it, steps
 * without effect move to the end) and explains every change.  Returns
 * KF_OK and sets *out, or KF_ENOMEM. */
kf_err kf_journal_revise(const kf_kb *kb, const kf_findings *base,
                         const kf_checkin *v, int n, kf_revision **out);
void kf_revision_free(kf_revision *r);

/* "What changed and why", wrapped to `width` columns (<= 0: 80). */
void kf_revision_text(const kf_kb *kb, const kf_revision *r, kf_buf *out,
                      int width);

/* {"result": R, "before": [{"id","score"}], "changes": [{"kind","cause",
 *  "technique","finding","before","after","text"}], "followups": [...],
 *  "checkins_used": N}.  New reference, NULL when out of memory. */
json_t *kf_revision_json(const kf_kb *kb, const kf_revision *r);

/* ---- consultations ---- */

/* The findings of a consultation in the form POST /api/v1/consult accepts
 * ({"text","findings","dominant_hand"}), as stored with the consultation so
 * that `knotfinder plan` can replay it.  New reference or NULL (OOM). */
json_t *kf_journal_findings_in(const kf_kb *kb, const char *text,
                               const kf_findings *f);

/* Saves a consultation or interview result into the journal at `db_path`
 * (NULL: the default): the words, the findings (as above, without the
 * words again) and the kb version; the result is not kept, it follows from
 * the findings (kf_journal_consultation_result).  Opens and closes the
 * store.  Does nothing and returns KF_OK when the consultation recognised
 * nothing (no finding: empty or unrecognised words).  --no-save (and
 * KNOTFINDER_NO_SAVE, which main.c turns into it) is checked by the
 * callers.  On failure returns the
 * error with a sentence in `err`; the consultation itself is unaffected. */
kf_err kf_journal_save_consultation(const char *db_path, const kf_kb *kb,
                                    const char *text, const kf_result *r,
                                    kf_buf *err);

/* The findings JSON kept for a consultation (kf_store_add_consultation):
 * {"findings":[...],"dominant_hand":...,"facts":{"age","weeks_pregnant",
 * "duration_days"}}, compact and ASCII, written by the streaming writer
 * (json_out.h) in one pass; owned by the caller (kf_free()), its length in
 * *len when `len` is not NULL.  NULL when it is not worth keeping (it
 * recognised nothing) or out of memory. */
char *kf_journal_consultation_dump(const kf_kb *kb, const char *text,
                                   const kf_result *r, size_t *len);

/* Reads a stored consultation's findings (and age, weeks pregnant,
 * duration) into `out` (initialised by the caller).  KF_EINVAL with a
 * message when they do not parse or name ids this kb does not know. */
kf_err kf_journal_consultation_findings(const kf_kb *kb, const kf_consultation *c,
                                        kf_findings *out, kf_buf *err);

/* The result of a stored consultation, worked out again from its findings
 * with this kb (deterministic: the same findings and kb give the same
 * result).  *out is freed with kf_result_free; errors as above. */
kf_err kf_journal_consultation_result(const kf_kb *kb, const kf_consultation *c,
                                      kf_result **out, kf_buf *err);

/* Reads the latest saved consultation's findings into `out` (initialised by
 * the caller).  KF_ENOTFOUND when none is saved; KF_EINVAL with a message
 * when it names ids this kb does not know.  *id and `at` (may be NULL) get
 * the consultation's id and time. */
kf_err kf_journal_latest_findings(kf_store *s, const kf_kb *kb,
                                  kf_findings *out, long long *id,
                                  char at[KF_TIME_LEN], kf_buf *err);

/* ---- the pain chart ---- */

/* One day of the pain trend (UTC days). */
typedef struct {
    char   day[11];          /* "YYYY-MM-DD" */
    int    n;                /* check-ins that day; 0: no data */
    int    max, min;
    double mean;
    bool   did;              /* something was done that day */
} kf_pain_day;

/* Groups check-ins by UTC day from the first to the last, gaps included
 * (n = 0), at most `max_days` (the newest).  *out is owned by the caller
 * (kf_free).  Returns the number of days, or -1 when out of memory. */
int kf_journal_days(const kf_checkin *v, int n, int max_days,
                    kf_pain_day **out);

/* A terminal chart of the daily mean pain: rows 10..0, one column per day
 * (days are merged when there are more than `width` - 8), with the dates
 * under it. */
void kf_journal_chart_text(const kf_pain_day *d, int nd, int width,
                           kf_buf *out);

/* The same as a standalone SVG document. */
void kf_journal_chart_svg(const kf_pain_day *d, int nd, kf_buf *out);

#endif
