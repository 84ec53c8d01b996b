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
    kf_finding_kind kind;
    bool            sided;
    int             region;          /* for pain_<region> findings, else -1 */
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
    double        prior;
    int          *where;  int n_where;     /* regions */
    int          *treat;  int n_treat;     /* techniques, most useful first */
    int          *keeps;  int n_keeps;     /* habits: muscles kept tight */
    kf_triage     level;                   /* mimics: level when likely */
    int          *links;  int n_links;     /* indexes into kb->links */
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
} kf_redflag;

/* One lexicon phrase: a sequence of normalised (stemmed) word ids mapping
 * to findings. */
typedef struct {
    int   *words;  int n_words;            /* indexes into kb->words */
    int   *finds;  int n_finds;            /* findings; see flags */
    int   *alts;                           /* per finding: ambiguous alternative or -1 */
    bool  *neg;                            /* per finding: "!F" (absence) */
    bool  *worry;                          /* per finding: "~F" (only ever a worry) */
    const int *prog;                       /* a pattern (pattern.h), or NULL: a phrase */
    int   max_len;                         /* most words a match consumes */
    const int *firsts; int n_firsts;       /* the words a match can start with */
    const char *text;                      /* the phrase as written, for messages */
    const char *file;  int line;           /* where it was written */
} kf_phrase;

typedef enum { KF_WORD_PLAIN = 0, KF_WORD_STOP = 1, KF_WORD_NEGATE = 2,
               KF_WORD_LEFT = 4, KF_WORD_RIGHT = 8, KF_WORD_BOTH = 16 } kf_word_flag;

typedef struct kf_kb kf_kb;
struct kf_kb {
    kf_region      *regions;     int n_regions;
    kf_finding_def *findings;    int n_findings;
    kf_cause       *causes;      int n_causes;
    kf_link        *links;       int n_links;
    /* Links by finding: flink[flink_first[f] .. flink_first[f+1]) index links. */
    int            *flink_first;
    int            *flink;
    kf_technique   *techniques;  int n_techniques;
    kf_redflag     *redflags;    int n_redflags;
    kf_phrase      *phrases;     int n_phrases;
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
    char            version[17];   /* hex digest of all file contents */
    void           *priv;          /* loader internals: arena, hash tables */
};

/* Loads every *.kb file in `dir`.  On success returns KF_OK and sets *out.
 * On failure returns an error, leaves *out NULL, and writes every problem
 * found, one per line as "file:line: message", into `errs` (may be NULL).
 * A failed load changes nothing. */
kf_err kf_kb_load(const char *dir, kf_kb **out, kf_buf *errs);
void   kf_kb_free(kf_kb *kb);

/* Same as kf_kb_load but from in-memory text (one pseudo-file named
 * `name`); used by the fuzzer and the unit tests. */
kf_err kf_kb_load_text(const char *name, const char *text, size_t len,
                       kf_kb **out, kf_buf *errs);

/* Index lookups by id; -1 when unknown. */
int kf_kb_cause(const kf_kb *kb, const char *id);
int kf_kb_finding(const kf_kb *kb, const char *id);
int kf_kb_region(const kf_kb *kb, const char *id);
int kf_kb_technique(const kf_kb *kb, const char *id);
int kf_kb_word(const kf_kb *kb, const char *stem, size_t len);

/* A known misspelling's fix (may be several words), or NULL. */
const char *kf_kb_spell(const kf_kb *kb, const char *word, size_t len);
/* True when `word` (lower case, unstemmed) appears in the lexicon. */
bool kf_kb_known_raw(const kf_kb *kb, const char *word, size_t len);
/* The word id of a lexicon word as written (unstemmed), or -1: saves
 * stemming the words the lexicon already knows. */
int kf_kb_raw_word(const kf_kb *kb, const char *word, size_t len);
/* A lexicon word one edit away from `word` (5+ letters), or NULL. */
const char *kf_kb_correct(const kf_kb *kb, const char *word, size_t len);

/* Stems one lower-case ASCII word into `out` (size >= 64); returns length.
 * Thread-safe (each thread gets its own stemmer). */
size_t kf_stem(const char *word, size_t len, char *out, size_t outsz);

const char *kf_cause_kind_name(kf_cause_kind k);
const char *kf_mech_name(kf_mechanism m);
const char *kf_tech_kind_name(kf_tech_kind k);

#endif
