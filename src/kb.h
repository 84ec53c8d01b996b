/*
 * kb.h — the knowledge base: loaded from kb/ (every .kb file), validated, ids interned.
 *
 * A kf_kb is immutable after kf_kb_load() succeeds and may be shared by
 * threads without locks.  Every string in it is owned by the kb and lives
 * until kf_kb_free().  Indexes (int) refer into the arrays below; -1 means
 * "none".  The format is described in docs/KB-FORMAT.md.
 */
#ifndef KF_KB_H
#define KF_KB_H

#include "kf.h"

typedef enum {
    KF_CAUSE_MUSCLE, KF_CAUSE_HABIT, KF_CAUSE_BODY, KF_CAUSE_MIMIC
} kf_cause_kind;

typedef enum {
    KF_FIND_LOCATION, KF_FIND_SYMPTOM, KF_FIND_HABIT, KF_FIND_HISTORY,
    KF_FIND_BODY, KF_FIND_FOLLOWUP, KF_FIND_REDFLAG
} kf_finding_kind;

typedef enum {
    KF_MECH_REFERS, KF_MECH_PULLS, KF_MECH_LOCAL, KF_MECH_SIGN, KF_MECH_REPORTS,
    KF_MECH_KEEPS  /* generated: a habit this muscle is kept tight by */
} kf_mechanism;

typedef enum {
    KF_TECH_RELEASE, KF_TECH_STRETCH, KF_TECH_STRENGTHEN, KF_TECH_HABIT,
    KF_TECH_THERMAL, KF_TECH_THERAPIST, KF_TECH_DOCTOR
} kf_tech_kind;

/* The people a technique may not suit (technique key not_for). */
typedef enum {
    KF_PERSON_THIN_BONES, KF_PERSON_LATE_PREGNANCY, KF_PERSON_ACUTE_SPASM,
    KF_PERSON_TEEN, KF_PERSON_RECENT_SURGERY, KF_PERSON_FRESH_INJURY,
    KF_PERSON_NO_HELPER,     /* said there is no one at hand to help */
    KF_PERSON_LIFTER,        /* trains with weights */
    KF_PERSON_POSTPARTUM,    /* gave birth in the last weeks */
    KF_PERSON_N
} kf_person;

/* The KB word of a kf_person ("thin_bones"), and back (-1 when unknown). */
const char *kf_person_id(kf_person p);
int kf_person_parse(const char *s);

typedef struct {
    const char *id;
    const char *label;
    bool        back;        /* view: back (true) or front */
    bool        sided;
    int        *near;  int n_near;     /* region indexes */
    int         finding;     /* the pain_<id> finding */
    const char *source;
} kf_region;

typedef struct {
    const char     *id;
    const char     *label;
    const char     *question;        /* may be NULL: not asked in interviews */
    const char     *why_ask;         /* "why I ask", one short sentence, or NULL */
    kf_finding_kind kind;
    bool            sided;
    int            *own_side; int n_own_side; /* `own_side = PLACES`: a load on one
                                        side, which explains pain in these places
                                        (pain_* findings) on its own side only
                                        (engine.c, load_side); else 0 */
    int             region;          /* for pain_<region> findings, else -1 */
    int             both_of;         /* present when this sided finding is on both sides, or -1 */
    int            *any_of;  int n_any_of; /* present when any of these is (derived), else 0 */
    const char     *source;
} kf_finding_def;

typedef struct {
    int          cause;
    int          finding;
    double       p;                  /* P(finding | this cause alone) */
    kf_mechanism mech;
    const char  *why;                /* plain words, never NULL */
    const char  *source;
} kf_link;

typedef struct {
    const char   *id;
    kf_cause_kind kind;
    const char   *name;
    const char   *about;
    double        prior;                   /* the root's: tight for reasons of its own */
    double        prior_said;              /* the KB's prior word: for a muscle with
                                              chains (scale own_share), how often it is
                                              the cause whatever keeps it tight */
    int          *where;  int n_where;     /* regions */
    int          *treat;  int n_treat;     /* techniques, most useful first */
    int          *keeps;  int n_keeps;     /* habits: muscles kept tight */
    double       *keeps_p;                 /* per kept muscle: P(the habit keeps it tight) */
    const char  **keeps_why;               /* per kept muscle: the chain in words, or NULL */
    int          *release_first;  int n_release_first;  /* muscles: release these first */
    kf_triage     level;                   /* mimics: level when likely */
    int          *links;  int n_links;     /* indexes into kb->links */
    bool          posture;                 /* habits: a posture (forward head, rounded
                                              shoulders, long sitting), which the pain's
                                              pattern can tell; an activity (kf_rank_top)
                                              needs its report said */
    const char   *family;                  /* one direction of treatment shared with other
                                              causes (the top causes prefer different
                                              ones), or NULL: a family of its own */
    const char   *source;
} kf_cause;

typedef struct {
    const char   *id;
    const char   *name;
    kf_tech_kind  kind;
    const char  **steps;  int n_steps;
    const char   *dose;
    const char   *caution;
    int           work_s, rest_s, reps;    /* guided timer; work_s 0 = none */
    const char   *source;
    /* What a try of it tells (docs/KB-FORMAT.md, "works_on"): the causes it
     * works on; lasting relief after it is the generated follow-up finding
     * relief_after_<id> (and _2 .. _N, one per try up to kb->relief_trials),
     * linked from each of them with strength `relief`.  sore_spot: it is put
     * on the spot that hurts, so it tells the KB finding relief_short instead. */
    int          *works_on;  int n_works_on;
    bool          sore_spot;
    double        relief;
    int           relief_finding;          /* first generated finding, or -1 */
    /* For whom it is not (KF_PERSON_* bits), with the reason per condition. */
    unsigned      not_for;
    const char   *not_for_why[KF_PERSON_N];
    unsigned      first_for;               /* leads the plan for these people */
    /* Kept for these people, done their way (technique key gentler): how,
     * per person; the plan shows it beside the step (kf_plan_for_you). */
    unsigned      gentler;
    const char   *gentler_how[KF_PERSON_N];
    /* Needs a helper when aimed at a muscle whose `where` lies only in
     * these regions (the back between and below the shoulder blades, out of
     * reach of one's own fingertips): for a person with no helper it is then
     * left out (reason not_for_why[KF_PERSON_NO_HELPER]) for `instead`. */
    int          *helper_at;  int n_helper_at;
    int           instead;                 /* technique used when it is left out, or -1 */
    /* The specific fix for people who report one of these findings: used
     * only then, and before the cause's other steps. */
    int          *when;  int n_when;
    /* Its members after "id" as the server writes them (render_json.c's
     * technique_body, KF_JO_COMPACT), made once when the KB is read from
     * its text and kept in the snapshot: an answer copies them.  NULL when
     * they could not be written. */
    const char   *json;  size_t json_len;
} kf_technique;

typedef struct {
    const char *id;
    kf_triage   level;
    int         mimic;                     /* cause index or -1 */
    int        *all;  int n_all;           /* findings */
    int        *any;  int n_any;
    int        *none; int n_none;
    bool        screen;
    const char *message;
    const char *source;
    /* How soon its message asks the person to act (a kf_when of triage.h,
     * from kf_redflag_when), worked out once when the KB is loaded. */
    signed char when;
} kf_redflag;

/* ---- the course (docs/KB-FORMAT.md, "Lessons"): [module id] and [lesson id] ---- */

/* What a lesson teaches: a cause, a technique or a red-flag rule. */
typedef enum { KF_TEACH_CAUSE, KF_TEACH_TECHNIQUE, KF_TEACH_REDFLAG } kf_teach_kind;

typedef struct {
    kf_teach_kind kind;
    int           idx;               /* into kb->causes, kb->techniques or kb->redflags */
} kf_teach;

typedef struct {
    const char *id;
    const char *title;
    const char *about;               /* one sentence, or NULL */
    int         order;               /* as written (1, 2, ...); modules are sorted by it */
    int         first, n;            /* its lessons: kb->lessons[first .. first+n) */
    const char *source;
} kf_module;

typedef struct {
    const char  *id;
    int          module;             /* index into kb->modules */
    int          order;              /* as written, within the module */
    const char  *title;
    /* Paragraphs as written: they may hold {dose T}, {timer T} and {name T}
     * (T a technique the lesson teaches), filled in from the KB when shown
     * (course.h, kf_course_paragraph) so a lesson never states a dose the
     * technique does not. */
    const char **paras;  int n_paras;
    kf_teach    *teaches; int n_teaches;
    /* Findings that make it the lesson for a person who reports one of them
     * (`for = relief_short`: the lesson on short relief); may be empty. */
    int         *for_findings; int n_for;
    const char  *video;              /* a planned video's file name, or NULL (off) */
    const char  *source;
    const char  *file;  int line;    /* where the block was written */
} kf_lesson;

/* One lexicon phrase: a sequence of normalised (stemmed) word ids mapping
 * to findings. */
typedef struct {
    int   *words;  int n_words;            /* indexes into kb->words */
    int   *finds;  int n_finds;            /* findings; see flags */
    int   *alts;                           /* per finding: ambiguous alternative or -1;
                                            * KF_ALT_COMPANY for "F1 ?+ F2" */
    bool  *neg;                            /* per finding: "!F" (absence) */
    bool  *worry;                          /* per finding: "~F" (only ever a worry) */
    bool  *weak;                           /* per finding: "?F" (only likely: a guess) */
    const int *prog;                       /* a pattern (pattern.h), or NULL: a phrase */
    int   max_len;                         /* most words a match consumes */
    const int *firsts; int n_firsts;       /* the words a match can start with */
    const char *text;                      /* the phrase as written, for messages */
    const char *file;  int line;           /* where it was written */
} kf_phrase;

/* KF_WORD_PAST: a word that puts what follows in the past ("since",
 * "when", "started"), from the lexicon's `past` lines: "since my 20s" and
 * "since age 25" are no age now (text.c). */
typedef enum { KF_WORD_PLAIN = 0, KF_WORD_STOP = 1, KF_WORD_NEGATE = 2,
               KF_WORD_LEFT = 4, KF_WORD_RIGHT = 8, KF_WORD_BOTH = 16,
               KF_WORD_PAST = 32 } kf_word_flag;

/* A phrase's alternative written "F1 ?+ F2" (F2 only in company: "pushing
 * the buggy uphill" is a load pushed, and effort that may be the heart only
 * when, with what else was said, it completes a red-flag rule that needs
 * more than F2) is kept in alts[] as -(F2 + 2): every reader of alts[]
 * that asks `>= 0` passes it over; KF_ALT_COMPANY(a) gives F2, else -1. */
#define KF_ALT_COMPANY(a) ((a) <= -2 ? -(a) - 2 : -1)

typedef struct kf_kb kf_kb;
struct kf_kb {
    kf_region      *regions;     int n_regions;
    kf_finding_def *findings;    int n_findings;
    kf_cause       *causes;      int n_causes;
    kf_link        *links;       int n_links;
    /* Links by finding: flink[flink_first[f] .. flink_first[f+1]) index links.
     * A finding's denial in passing (kf_denial_in_passing, engine.h) is the
     * id KF_PASSING(kb, f) = n_findings + f, whose range in the same arrays
     * holds only f's links from the non-muscular causes (KF_CAUSE_MIMIC), so
     * the engine's loops over a negative's links need no second case. */
    int            *flink_first;
    int            *flink;
    kf_technique   *techniques;  int n_techniques;
    kf_redflag     *redflags;    int n_redflags;
    /* Per finding: 1 when some red-flag rule names it in `all` or `any`
     * (the reader passes the others over without going through the rules). */
    unsigned char  *in_redflag;
    kf_phrase      *phrases;     int n_phrases;
    /* The course: modules in order, and every lesson in course order (module
     * by module, each module's lessons by their order).  Both empty when the
     * KB has no lessons. */
    kf_module      *modules;     int n_modules;
    kf_lesson      *lessons;     int n_lessons;
    /* Phrases by first word, longest first: the phrases starting with word w
     * are phrase_order[phrase_first[w] .. phrase_first[w+1]); the patterns
     * that start with a number are under w = n_words. */
    int            *phrase_first;
    int            *phrase_order;
    /* Patterns of concepts said in one clause in any order ("A & B"), by
     * the first word of their first group: co_order[co_first[w] ..
     * co_first[w+1]).  Matched before the phrases. */
    int            *co_first;
    int            *co_order;
    /* The single-group patterns alone, indexed as phrase_first/order are
     * (the plain phrases are found by kf_kb_phrase_seq). */
    int            *pat_first;
    int            *pat_order;
    /* Per word id, kf_kb_phrase_seq of that one word (its first lookup). */
    int            *phrase_seq1;
    int             n_patterns;    /* of n_phrases, how many are patterns */
    int             n_classes;     /* word classes (`class = name: ...`) */
    /* Normalised word vocabulary (stemmed).  words[i] is a stem; word_flags
     * are kf_word_flag bits. Lookup with kf_kb_word(). */
    const char    **words;       int n_words;
    unsigned char  *word_flags;
    /* Raw (unstemmed) words of the lexicon, for spelling correction. */
    const char    **raw_words;   int n_raw_words;
    /* spelling fixes: spell_from[i] -> spell_to[i] (raw lower-case words) */
    const char    **spell_from;  const char **spell_to;  int n_spell;
    double          strengths[4];  /* always, often, sometimes, rarely */
    double          leak;          /* P(finding | no cause): default 0.02 */
    double          keeps;         /* default strength of a keeps_tight edge: 0.5 */
    double          own_share;     /* [scale] own_share: 0 (the prior word is the
                                      root's), else a muscle's prior word is its
                                      marginal and its root keeps at least this
                                      share of it (kb.c, calibrate_roots) */
    /* Follow-up scale ([scale] relief_hours, relief_trials, old_age,
     * young_age, acute_days, late_pregnancy_weeks): relief shorter than
     * relief_hours is short; a technique's last relief_trials tries count;
     * the ages and days that make a person rule apply. */
    double          relief_hours;
    int             relief_trials;
    /* relief_after_sore_spot_<region>[_2.._N]: lasting relief after work on
     * the sore spot itself, linked from every muscle that is tight right
     * there (a `local` link to pain_<region>): the first of region r's set is
     * sore_relief_finding + r * relief_trials; -1 when no technique works on
     * the sore spot. */
    int             sore_relief_finding;
    int             old_age, young_age, acute_days, late_pregnancy_weeks;
    char            version[17];   /* hex digest of all file contents */
    void           *priv;          /* loader internals: arena, hash tables */
};

/* Loads every *.kb file in `dir`.  On success returns KF_OK and sets *out.
 * The files are always read; when a snapshot of exactly these files made by
 * this program is in the cache folder ($XDG_CACHE_HOME/knotfinder, else
 * ~/.cache/knotfinder) it is mapped instead of parsing them, and after a
 * parse one is written there (KNOTFINDER_KB_CACHE=off: never; =debug: says
 * why on stderr).  The KB is the same either way.
 * On failure returns an error, leaves *out NULL, and writes every problem
 * found, one per line as "file:line: message", into `errs` (may be NULL).
 * A failed load changes nothing. */
kf_err kf_kb_load(const char *dir, kf_kb **out, kf_buf *errs);
void   kf_kb_free(kf_kb *kb);

/* Same as kf_kb_load, but always from the text files, never from a
 * snapshot of them (`kb check`); a snapshot is still written for the next
 * kf_kb_load. */
kf_err kf_kb_load_from_text(const char *dir, kf_kb **out, kf_buf *errs);

/* True when `kb` was mapped from a snapshot rather than parsed. */
bool kf_kb_from_snapshot(const kf_kb *kb);

/* Same as kf_kb_load but from in-memory text (one pseudo-file named
 * `name`); used by the fuzzer and the unit tests. */
kf_err kf_kb_load_text(const char *name, const char *text, size_t len,
                       kf_kb **out, kf_buf *errs);

/* Index lookups by id; -1 when unknown. */
int kf_kb_cause(const kf_kb *kb, const char *id);
int kf_kb_finding(const kf_kb *kb, const char *id);
int kf_kb_region(const kf_kb *kb, const char *id);
int kf_kb_technique(const kf_kb *kb, const char *id);
int kf_kb_redflag(const kf_kb *kb, const char *id);
int kf_kb_lesson(const kf_kb *kb, const char *id);
int kf_kb_word(const kf_kb *kb, const char *stem, size_t len);

/* The plain phrase whose words are exactly ids[0..n) (the first such
 * phrase), -2 when they are only the start of one or more phrases, -1
 * when no phrase starts so. */
int kf_kb_phrase_seq(const kf_kb *kb, const int *ids, int n);

/* A known misspelling's fix (may be several words), or NULL. */
const char *kf_kb_spell(const kf_kb *kb, const char *word, size_t len);
/* True when `word` (lower case, unstemmed) appears in the lexicon. */
bool kf_kb_known_raw(const kf_kb *kb, const char *word, size_t len);
/* The word id of a lexicon word as written (unstemmed), or -1: saves
 * stemming the words the lexicon already knows. */
int kf_kb_raw_word(const kf_kb *kb, const char *word, size_t len);
/* kf_kb_spell, kf_kb_known_raw and kf_kb_raw_word of one word in one
 * lookup: returns the raw word id (or -1), the spelling fix in *fix (or
 * NULL) and whether it is a lexicon word in *known. */
int kf_kb_lex(const kf_kb *kb, const char *word, size_t len, const char **fix, bool *known);
/* The same for a word of `len` letters (none of them NUL) followed by zeros
 * to 16 bytes at least (a text token's norm). */
int kf_kb_lex_padded(const kf_kb *kb, const char *word, size_t len, const char **fix,
                     bool *known);
/* A lexicon word one edit away from `word` (5+ letters), or NULL. */
const char *kf_kb_correct(const kf_kb *kb, const char *word, size_t len);

/* Stems one lower-case ASCII word into `out` (size >= 64); returns length.
 * Thread-safe (each thread gets its own stemmer). */
size_t kf_stem(const char *word, size_t len, char *out, size_t outsz);

const char *kf_cause_kind_name(kf_cause_kind k);
const char *kf_mech_name(kf_mechanism m);
const char *kf_tech_kind_name(kf_tech_kind k);

#endif
