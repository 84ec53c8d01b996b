/*
 * store.h — where knotfinder keeps a person's journal: the consultations
 * (what was said, the findings, the result, the knowledge-base version) and
 * the check-ins (pain, what was done, how long relief lasted).
 *
 * One small interface, several backends (store.c dispatches through the
 * vtable of the private store_impl.h): SQLite (store_sqlite.c, an embedded
 * file, the default) and PostgreSQL (store_pg.c, for the hosted course),
 * behind the same calls and the same logical schema.  Callers never see
 * which backend they talk to.
 *
 * Ownership: a kf_store is made by kf_store_open() and freed by
 * kf_store_close(); kf_store_close(NULL) does nothing.  Strings passed in are
 * borrowed for the duration of the call.  Lists filled by the store own all
 * their strings and are freed with kf_checkin_list_free() /
 * kf_consultation_list_free().
 *
 * Threads: one kf_store may be shared by threads (the web server does); each
 * call takes the store's mutex, so calls are serialised within a process.
 * Several processes may use the same file at once (WAL mode): readers never
 * wait, writers take turns and wait up to KF_STORE_BUSY_MS for each other.
 *
 * Errors: every call returns a kf_err and, when `err` is not NULL, appends one
 * sentence saying what failed and where (the file path, and SQLite's words).
 * A failed call changes nothing in the database.  A damaged file or a file
 * that is not a knotfinder database is reported, never repaired, rewritten
 * or replaced.
 */
#ifndef KF_STORE_H
#define KF_STORE_H

#include <jansson.h>
#include "kf.h"

typedef struct kf_store kf_store;

/* How long a writer waits for another writer before giving up (KF_EBUSY). */
#define KF_STORE_BUSY_MS 10000

/* The schema version this build writes and understands.  2: a consultation
 * keeps only what cannot be worked out again (the words, the findings, the
 * KB version); its result is computed again when it is read back. */
#define KF_STORE_SCHEMA 2

/* Limits on what a check-in or consultation may carry; longer input is
 * refused with KF_ETOOBIG, never cut. */
#define KF_STORE_NOTE_MAX    2000          /* bytes of a check-in note */
#define KF_STORE_LIST_MAX    512           /* bytes of did / worse_after */
#define KF_STORE_ID_MAX      64            /* bytes of a region id or `via` */
#define KF_STORE_TEXT_MAX    (1024 * 1024) /* bytes of a consultation's text */
#define KF_STORE_JSON_MAX    (4 * 1024 * 1024)   /* a consultation's findings JSON */
#define KF_STORE_HOURS_MAX   8760.0        /* relief hours: at most a year */
#define KF_STORE_FUTURE_S    300           /* clock slack allowed for `at` */

/* A UTC time as stored: "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define KF_TIME_LEN 21

/* One check-in.  As input (kf_store_add_checkin) the strings are borrowed;
 * as a list element they are owned by the list. */
typedef struct {
    long long   id;            /* given by the store; ignored on input */
    char        at[KF_TIME_LEN];  /* UTC ISO-8601; "" on input means now */
    int         pain;          /* 0..10 */
    int         pain_before;   /* 0..10 before the step (`do`), or -1 */
    const char *region;        /* region id where it hurts, or NULL */
    kf_side     side;
    const char *did;           /* comma-separated words: technique ids or
                                  massage, heat, cold...; NULL when nothing */
    double      relief_hours;  /* how long relief lasted; < 0: not given */
    const char *worse_after;   /* comma-separated, same words; NULL: no */
    int         done_s;        /* seconds a guided step ran; -1: not timed */
    bool        stopped_early; /* the guided step was stopped with Ctrl-C */
    const char *via;           /* "cli", "do", "web"...; NULL: "cli" */
    const char *note;          /* free words, or NULL */
} kf_checkin;

typedef struct {
    kf_checkin *v;
    int         n;
    void       *priv;          /* the strings' storage */
} kf_checkin_list;

/* One saved consultation or interview.  Its result is not stored: it
 * follows from the findings and the KB (journal.h,
 * kf_journal_consultation_result). */
typedef struct {
    long long   id;
    char        at[KF_TIME_LEN];
    const char *text;          /* the person's words ("" when none) */
    const char *findings_json; /* the findings (journal.h, kf_journal_findings_in) */
    const char *kb_version;    /* the KB the findings were read with */
} kf_consultation;

typedef struct {
    kf_consultation *v;
    int              n;
    void            *priv;
} kf_consultation_list;

typedef enum { KF_EXPORT_JSON, KF_EXPORT_CSV } kf_export_fmt;

/* The default database path: $XDG_DATA_HOME/knotfinder/knotfinder.db, or
 * $HOME/.local/share/knotfinder/knotfinder.db when XDG_DATA_HOME is unset or
 * not absolute.  Writes it into `out` (size `n`) and creates the knotfinder
 * folder (mode 0700) when `create_dir`.  Returns KF_EINVAL with a message
 * when neither variable is usable, KF_EIO when the folder cannot be made. */
kf_err kf_store_default_path(char *out, size_t n, bool create_dir, kf_buf *err);

/* Opens the journal at `path` (NULL: the default path above) and brings its
 * schema up to date.  A file that does not exist is created (its folder must
 * exist, except for the default path); an existing file is opened without
 * the create flag, checked (header, schema, PRAGMA quick_check), and
 * refused with KF_EDB when it is damaged, empty (0 bytes), is not an SQLite
 * database, or belongs to another program.  A new file is made whole under
 * a temporary name and linked into place, mode 0600; an existing one of
 * this user's loses any group and other permissions.  A file the process may not write is opened
 * read-only: reads work, writes fail with a clear KF_EDB.  A URI starting
 * with "postgres" names the coming PostgreSQL backend and gets KF_EINVAL.
 * On success sets *out; on failure leaves *out NULL and the file untouched. */
kf_err kf_store_open(const char *path, kf_store **out, kf_buf *err);

/* Closes the store; pending writes were already committed.  NULL is fine. */
void kf_store_close(kf_store *s);

/* Applies the migrations the database lacks, each in its own transaction,
 * recording each applied version; safe to call from several processes at
 * once.  kf_store_open() calls it.  A database from a newer knotfinder
 * (version > KF_STORE_SCHEMA) gets KF_EDB and is left alone. */
kf_err kf_store_migrate(kf_store *s, kf_buf *err);

/* Checks the open database: `full` reads every page (SQLite: PRAGMA
 * quick_check) and reports a damaged file with KF_EDB; otherwise only what
 * is cheap (the header, the schema).  Nothing is written. */
kf_err kf_store_check(kf_store *s, bool full, kf_buf *err);

/* The schema version of the open database. */
int kf_store_schema_version(kf_store *s);

/* The path or URI the store was opened with (owned by the store). */
const char *kf_store_path(const kf_store *s);

/* The backend's name: "sqlite". */
const char *kf_store_backend(const kf_store *s);

/* True when the file could only be opened for reading. */
bool kf_store_readonly(const kf_store *s);

/* Saves one consultation; `text` may be NULL (a body-map only consultation),
 * the others must be given.  Sets *id (when not NULL) to the new row's id.
 * The time is now, UTC.  Durable when it returns KF_OK. */
kf_err kf_store_add_consultation(kf_store *s, const char *text,
                                 const char *findings_json,
                                 const char *kb_version,
                                 long long *id,        /* OUT, may be NULL */
                                 kf_buf *err);

/* Saves one check-in after checking its ranges (pain 0..10, relief hours
 * 0..KF_STORE_HOURS_MAX, `at` well-formed and not in the future, lengths).
 * Region and technique ids are not checked here: that needs the knowledge
 * base (journal.h does it).  Sets *id when not NULL.  Durable when it
 * returns KF_OK (synchronous=FULL: the WAL is on disk before the commit
 * returns). */
kf_err kf_store_add_checkin(kf_store *s, const kf_checkin *c,
                            long long *id,             /* OUT, may be NULL */
                            kf_buf *err);

/* Checks a check-in's ranges and lengths as kf_store_add_checkin() does,
 * without a store. */
kf_err kf_checkin_validate(const kf_checkin *c, kf_buf *err);

/* Fills `out` with check-ins at or after `since` (UTC ISO-8601, NULL: all),
 * oldest first; `limit` > 0 keeps only the newest `limit` of them (still
 * oldest first).  On failure `out` is left empty. */
kf_err kf_store_list_checkins(kf_store *s, const char *since, int limit,
                              kf_checkin_list *out, kf_buf *err);
void kf_checkin_list_free(kf_checkin_list *l);

/* Fills `out` with consultations, oldest first; `limit` > 0 keeps only the
 * newest `limit`.  On failure `out` is left empty. */
kf_err kf_store_list_consultations(kf_store *s, int limit,
                                   kf_consultation_list *out, kf_buf *err);
void kf_consultation_list_free(kf_consultation_list *l);

/* Gives the result of a stored consultation for an export: a new reference,
 * or NULL to leave it out (the KB no longer knows its findings). */
typedef json_t *(*kf_export_result_fn)(const kf_consultation *c, void *ctx);

/* What kf_store_forget() removes. */
typedef enum { KF_FORGET_CONSULTATION, KF_FORGET_CHECKIN, KF_FORGET_ALL } kf_forget_what;

/* Deletes one consultation or one check-in by its id, or everything
 * (`id` is then ignored), for good: deleted rows are overwritten with
 * zeros in the file (secure_delete) and the WAL is merged and emptied, so
 * the words do not linger in free pages.  *n_consultations and
 * *n_checkins (may be NULL) get how many were deleted.  KF_ENOTFOUND with
 * a message when there is no such id; a read-only journal gets KF_EDB.  On
 * failure nothing was deleted. */
kf_err kf_store_forget(kf_store *s, kf_forget_what what, long long id,
                       int *n_consultations, int *n_checkins, kf_buf *err);

/* Appends everything stored to `out`:
 *  - JSON: one object {"format":"knotfinder-journal","schema":N,
 *    "exported_at":..., "consultations":[...], "checkins":[...]} where a
 *    consultation's findings (and its result, when `result` gives one) are
 *    embedded as JSON values;
 *  - CSV (RFC 4180, header row): one row per record, `type` first
 *    ("consultation" or "checkin"), the columns of both kinds after it.
 * `result` may be NULL: no results then.
 * On failure `out` may hold part of the export and an error is returned. */
kf_err kf_store_export(kf_store *s, kf_export_fmt fmt,
                       kf_export_result_fn result, void *ctx,
                       kf_buf *out, kf_buf *err);

/* A check-in as the JSON object of the export and the API:
 * {"id","at","pain","pain_before","where","side","did":[],"relief_hours",
 *  "worse_after":[],"done_s","stopped_early","via","note"}; absent values
 * are null.  New reference, NULL when out of memory. */
json_t *kf_checkin_json(const kf_checkin *c);

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void kf_time_now(char out[KF_TIME_LEN]);

/* Parses a canonical stored time ("YYYY-MM-DDTHH:MM:SSZ") into seconds since
 * the epoch; returns false when malformed. */
bool kf_time_parse_utc(const char *s, long long *t);

/* Formats seconds since the epoch as a canonical UTC time. */
void kf_time_format(long long t, char out[KF_TIME_LEN]);

#endif
