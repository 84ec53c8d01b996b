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
 * Threads: one kf_store may be shared by threads (the web server does).
 * SQLite: each call takes the store's mutex, so calls are serialised within
 * a process; several processes may use the same file at once (WAL mode):
 * readers never wait, writers take turns and wait up to KF_STORE_BUSY_MS
 * for each other.  PostgreSQL: calls from several threads run at once on a
 * pool of connections (KF_STORE_PG_POOL).
 *
 * Errors: every call returns a kf_err and, when `err` is not NULL, appends one
 * sentence saying what failed and where (the file path or the URI without
 * its password, and SQLite's or PostgreSQL's words).
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
 * KB version); its result is computed again when it is read back.  3: the
 * hosted course: an owner on every consultation and check-in; users,
 * sessions, rate limits, questions and lesson progress. */
#define KF_STORE_SCHEMA 3

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
 * the create flag, checked cheaply (the header, the page count against the
 * file's size, the application id, the schema: the cost does not grow with
 * the journal's history), and refused with KF_EDB when it is truncated,
 * empty (0 bytes), is not an SQLite database, or belongs to another
 * program.  The full check that reads every page (PRAGMA quick_check) runs
 * before a schema upgrade and on demand (kf_store_check); damage inside a
 * page is otherwise found, and reported as damage, when that page is read
 * (cell_size_check is on).  A new file is made whole under
 * a temporary name and linked into place, mode 0600; an existing one of
 * this user's loses any group and other permissions.  A file the process may not write is opened
 * read-only: reads work, writes fail with a clear KF_EDB.  A URI starting
 * with "postgres://" or "postgresql://" opens the PostgreSQL backend (see
 * the hosted section below); its schema is brought up to date the same
 * way.
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

/* The backend's name: "sqlite" or "postgresql". */
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

/* Called once when a queued consultation's save is over: e is KF_OK and
 * `id` the new row's id when its transaction's commit returned (durable, as
 * kf_store_add_consultation), else the error with a sentence in `why`
 * (nothing of that row was saved).  It runs on the store's writer thread:
 * it should only hand the outcome over (resume a connection, signal a
 * condition), never call the store. */
typedef void (*kf_store_done_fn)(void *ctx, kf_err e, long long id, const char *why);

/* Rows one group commit takes at most. */
#define KF_STORE_BATCH_MAX 512

/* Queues one consultation for the store's writer thread (started on the
 * first call, stopped by kf_store_close after the queue is empty), which
 * takes every consultation queued meanwhile and saves them in ONE
 * transaction - one commit, one fsync of the WAL, however many there are
 * (group commit) - then calls `done` for each.  So many threads saving at
 * once pay for one commit between them, and each is answered only after
 * its own row's commit returned.  Should that transaction fail, each row is
 * tried again alone, so one row's error is that row's alone.
 * `text` (`text_len` bytes, no NUL; may be NULL with 0), `findings_json`
 * (`findings_len` bytes) and `kb_version` are borrowed until `done` is
 * called.  The text and the KB version are checked as by
 * kf_store_add_consultation; the findings must be the JSON object
 * knotfinder writes (journal.h, kf_journal_consultation_dump): its shape
 * is checked ({...}, printable ASCII, the size limit) but it is not parsed
 * again.  Returns KF_OK when queued (`done` will be called); otherwise the
 * error with a sentence in `err`, and `done` is never called. */
kf_err kf_store_add_consultation_async(kf_store *s, const char *text, size_t text_len,
                                       const char *findings_json, size_t findings_len,
                                       const char *kb_version,
                                       kf_store_done_fn done, void *ctx, kf_buf *err);

/* How many transactions the writer thread committed so far (each holding
 * one or more queued consultations), for tests and benchmarks. */
long long kf_store_group_commits(kf_store *s);

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
 * failure nothing was deleted.  Only the handle's owner's rows are seen:
 * another user's id is KF_ENOTFOUND, and KF_FORGET_ALL deletes that
 * owner's consultations and check-ins only (a question that attached a
 * forgotten consultation keeps its text, with consultation_id 0). */
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
 * Through a handle scoped to a user (kf_store_as, owner > 0) the export
 * holds that user's rows only, and the JSON also has "account" {"id",
 * "email","role","created_at","consent_at"} (never the password hash),
 * "questions" (each with its answer) and "lessons" (the lessons done).
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


/* ================================================================== */
/* The hosted course: owners, users, sessions, rate limits, questions,
 * lesson progress.  Both backends implement all of it with the same
 * logical schema (schema 3), so the whole suite runs on either.
 *
 * Owner scope.  Every consultation, check-in, question, lesson mark (and a
 * rate-limit key hit through a scoped handle) belongs to one owner, a user
 * id.  A store from kf_store_open() is scoped to owner 0: the local
 * single user of the SQLite mode, who has no account; everything the local
 * journal does works as before through it.  kf_store_as() gives a handle on
 * the same database scoped to one user: the journal calls above
 * (add/list/forget/export) and the question and lesson calls below then see
 * and touch only that user's rows; another user's id is "not found"
 * (KF_ENOTFOUND, the same answer as an id that never existed) and lists
 * leave it out.  The calls on users, sessions, the therapist's queue and
 * answers, and the public Q&A take explicit ids and work the same on any
 * handle: deciding who may call them (the role) is the caller's job.
 *
 * PostgreSQL (a postgres:// or postgresql:// URI, libpq's own URI syntax):
 * every statement is parameterised and unnamed (no server-side session
 * state, so PgBouncer in transaction pooling mode works in front); each
 * call that writes more than one row is one transaction; a small pool of
 * connections (KF_STORE_PG_POOL) is shared by the threads; a broken
 * connection is found before anything is sent on it and replaced; a call
 * that breaks under it is tried once more when that is safe (it only read,
 * it had not been sent, or its transaction broke before COMMIT was sent);
 * otherwise KF_EDB says its outcome is unknown.  kf_store_forget and
 * kf_store_user_delete end with a VACUUM of the tables they deleted from
 * (the deletion: VACUUM FULL, so no page keeps the deleted bytes).  Errors are KF_EDB with PostgreSQL's
 * own message and the URI without its password.  kf_store_path() gives the
 * URI with the password replaced by "***".
 * ================================================================== */

/* Connections a PostgreSQL store keeps open at most (threads beyond this
 * wait for a free one). */
#define KF_STORE_PG_POOL 8

/* Statements this process sent to PostgreSQL servers so far, each one
 * round trip (0 when none was opened), for tests and benchmarks. */
long long kf_store_pg_statements(void);

/* Limits, checked before anything is written (KF_ETOOBIG / KF_EINVAL). */
#define KF_STORE_EMAIL_MAX    254          /* bytes of an e-mail address */
#define KF_STORE_HASH_MAX     512          /* a password hash string */
#define KF_STORE_TOKEN_MIN    32           /* hex digits of a token hash */
#define KF_STORE_TOKEN_MAX    128
#define KF_STORE_CSRF_MAX     128          /* bytes of a CSRF token */
#define KF_STORE_KEY_MAX      200          /* bytes of a rate-limit key */
#define KF_STORE_NAME_MAX     64           /* bytes of a first name */
#define KF_STORE_QUESTION_MAX (16 * 1024)  /* a question, a draft, an answer */
#define KF_STORE_SUMMARY_MAX  (64 * 1024)  /* the journal summary attached */

/* A handle on the same database as `s`, scoped to the user `user_id` (>= 0;
 * 0 is the local single user).  It shares the store's connections and
 * mutex: cheap (one allocation), usable from any thread, and it must be
 * closed with kf_store_close() before the store it came from.  A handle
 * made from a scoped handle has the new scope.  Whether the user exists is
 * not checked here; writes for an owner that has no user row (other than
 * 0) fail with KF_ENOTFOUND.  NULL when out of memory or user_id < 0. */
kf_store *kf_store_as(kf_store *s, long long user_id);

/* The owner a handle is scoped to (0 for a store from kf_store_open). */
long long kf_store_owner(const kf_store *s);

/* ---- users ---- */

typedef enum { KF_ROLE_USER = 0, KF_ROLE_THERAPIST = 1 } kf_role;

/* One account.  No strings to free. */
typedef struct {
    long long id;                               /* from 1 */
    char      email[KF_STORE_EMAIL_MAX + 1];    /* normalised, lower case */
    char      password_hash[KF_STORE_HASH_MAX + 1];  /* as the caller gave it */
    kf_role   role;
    char      created_at[KF_TIME_LEN];
    char      consent_at[KF_TIME_LEN];          /* when health-data consent
                                                   was given (GDPR art. 9) */
} kf_user;

/* "user" or "therapist"; kf_role_parse gives -1 for anything else. */
const char *kf_role_name(kf_role r);
int kf_role_parse(const char *s);

/* Normalises an e-mail address as the store keeps it: surrounding spaces
 * dropped, lower case (ASCII), then checked: 3..KF_STORE_EMAIL_MAX bytes,
 * exactly one '@' with something before it and a dot-free-at-the-ends
 * domain after it, no spaces or control characters, valid UTF-8.  Writes
 * it into `out`; KF_EINVAL / KF_ETOOBIG with a message otherwise. */
kf_err kf_store_email_normalize(const char *email,
                                char out[KF_STORE_EMAIL_MAX + 1], kf_buf *err);

/* Creates an account.  `email` is normalised (above); `password_hash` is
 * the caller's encoded hash (e.g. libsodium's argon2id string; the store
 * never sees a password), printable ASCII, 1..KF_STORE_HASH_MAX bytes;
 * `consent_at` is when consent was given (canonical UTC, NULL or "": now).
 * KF_EEXIST when the address has an account already (compared after
 * normalising).  Sets *id when not NULL. */
kf_err kf_store_user_create(kf_store *s, const char *email,
                            const char *password_hash, const char *consent_at,
                            kf_role role, long long *id, kf_buf *err);

/* Finds an account by e-mail address (normalised first) or by id: fills
 * *out; KF_ENOTFOUND when there is none (no message is needed for a login
 * answer, but one is appended). */
kf_err kf_store_user_by_email(kf_store *s, const char *email, kf_user *out,
                              kf_buf *err);
kf_err kf_store_user_get(kf_store *s, long long id, kf_user *out, kf_buf *err);

/* Sets an account's role, or its password hash (a rehash or a change).
 * KF_ENOTFOUND when there is no such account. */
kf_err kf_store_user_set_role(kf_store *s, long long id, kf_role role,
                              kf_buf *err);
kf_err kf_store_user_set_password(kf_store *s, long long id,
                                  const char *password_hash, kf_buf *err);

/* Deletes an account and everything of it, in one transaction: its
 * consultations, check-ins, sessions, questions (with their answers),
 * lesson marks and the rate-limit rows hit through its scoped handle; a
 * question it answered as a therapist keeps the answer with answered_by 0.
 * Afterwards no table holds a row of that user.  SQLite: the freed pages
 * are zeroed (secure_delete).  *n_rows (may be NULL) gets the number of
 * rows deleted in all.  KF_ENOTFOUND when there is no such account; on
 * failure nothing was deleted. */
kf_err kf_store_user_delete(kf_store *s, long long id, long long *n_rows,
                            kf_buf *err);

/* ---- sessions ----
 * The store keeps only a hash of a session token (the caller makes a
 * random 256-bit token, sends it in the cookie and passes its SHA-256 or
 * BLAKE2b hash here as lower-case hex, KF_STORE_TOKEN_MIN..MAX digits), so
 * a copy of the database lets nobody in.  Expiry is absolute, in seconds
 * since the epoch, decided by the caller (now + lifetime). */

typedef struct {
    long long user_id;
    kf_role   role;                       /* the user's role now */
    char      csrf[KF_STORE_CSRF_MAX + 1];
    char      created_at[KF_TIME_LEN];
    long long expires_at;                 /* seconds since the epoch */
} kf_session;

/* Saves a session for `user_id` with its CSRF token (printable ASCII, no
 * spaces, 16..KF_STORE_CSRF_MAX bytes).  KF_ENOTFOUND when the user does
 * not exist, KF_EEXIST when the hash is already there. */
kf_err kf_store_session_create(kf_store *s, long long user_id,
                               const char *token_hash, const char *csrf,
                               long long expires_at, kf_buf *err);

/* Finds the session of a token hash that has not expired at `now` (seconds
 * since the epoch; 0: the current time) and whose user still exists; fills
 * *out.  KF_ENOTFOUND otherwise (expired, deleted, never made). */
kf_err kf_store_session_lookup(kf_store *s, const char *token_hash,
                               long long now, kf_session *out, kf_buf *err);

/* Moves the expiry of a live session (one that has not expired at `now`,
 * 0: the current time) to `expires_at`: a sliding idle timeout.  The caller
 * keeps its own absolute limit (created_at + the longest lifetime).
 * KF_ENOTFOUND when there is no such live session. */
kf_err kf_store_session_extend(kf_store *s, const char *token_hash,
                               long long now, long long expires_at,
                               kf_buf *err);

/* Deletes one session (KF_ENOTFOUND when there was none), or all of a
 * user's (*n, may be NULL, gets how many; none is not an error). */
kf_err kf_store_session_delete(kf_store *s, const char *token_hash,
                               kf_buf *err);
kf_err kf_store_session_delete_user(kf_store *s, long long user_id, int *n,
                                    kf_buf *err);

/* Deletes the sessions expired at `now` (0: the current time) and the
 * rate-limit rows whose window ended more than a day before it; *n (may
 * be NULL) gets how many rows went.  Run it now and then (the hosted
 * server does at start and hourly). */
kf_err kf_store_expire(kf_store *s, long long now, int *n, kf_buf *err);

/* ---- rate limits ----
 * A counter per key ("login:acct:<id>", "login:ip:<addr>", "question:<uid>"
 * ...: printable ASCII, 1..KF_STORE_KEY_MAX bytes) in a fixed window of
 * `window_s` seconds that starts at the first hit after the last window
 * ended.  Counts the hit and sets *allowed to whether this hit is within
 * `limit` (1..) hits of the window; *retry_after_s (may be NULL) gets the
 * seconds until the window ends when it is not allowed (else 0).  Atomic
 * across threads and processes (one INSERT ... ON CONFLICT DO UPDATE ...
 * RETURNING statement on both backends).  A key hit through a handle
 * scoped to a user is deleted with that user.  `now` as above (0: the
 * current time; tests pass their own). */
kf_err kf_store_rate_hit(kf_store *s, const char *key, int window_s,
                         int limit, long long now, bool *allowed,
                         int *retry_after_s, kf_buf *err);

/* Deletes the counter of `key`, so its next hit starts a new window (a
 * successful login forgets the failed ones before it).  No counter is not
 * an error. */
kf_err kf_store_rate_reset(kf_store *s, const char *key, kf_buf *err);

/* ---- ask the therapist ---- */

/* One question a user asked the therapist ("u": not the interview's
 * kf_question of question.h).  As input (kf_store_question_add) the strings are
 * borrowed and the fields marked OUT are ignored; as a list element they
 * are owned by the list. */
typedef struct {
    long long   id;                /* OUT */
    long long   owner;             /* OUT: the asker */
    char        at[KF_TIME_LEN];   /* OUT: when asked */
    const char *text;              /* the asker's words (1..QUESTION_MAX) */
    const char *first_name;        /* shown on the public page; NULL: "" */
    long long   consultation_id;   /* the asker's own, attached; 0: none */
    const char *summary;           /* the journal summary attached (JSON or
                                      text, as the caller made it); NULL */
    bool        public_ok;         /* consent to show it on the Q&A page */
    const char *draft;             /* the drafted reply; NULL: "" */
    int         triage;            /* kf_triage of the question: -1 (not
                                      screened) .. KF_TRIAGE_EMERGENCY */
    const char *answer;            /* OUT: NULL until answered */
    long long   answered_by;       /* OUT: the therapist; 0 */
    char        answered_at[KF_TIME_LEN];   /* OUT: "" until answered */
    bool        published;         /* OUT: on the public page */
} kf_uquestion;

typedef struct {
    kf_uquestion *v;
    int          n;
    void        *priv;
} kf_uquestion_list;
void kf_uquestion_list_free(kf_uquestion_list *l);

/* Saves a question of the handle's owner (who must be a user, not 0).  A
 * consultation_id that is not the owner's own gets KF_ENOTFOUND.  Sets *id
 * when not NULL. */
kf_err kf_store_question_add(kf_store *s, const kf_uquestion *q, long long *id,
                             kf_buf *err);

/* The owner's own questions, newest first (limit > 0: at most that many). */
kf_err kf_store_questions_mine(kf_store *s, int limit, kf_uquestion_list *out,
                               kf_buf *err);

/* One of the owner's own questions (a list of one); KF_ENOTFOUND when it
 * is not theirs or does not exist. */
kf_err kf_store_question_get(kf_store *s, long long id, kf_uquestion_list *out,
                             kf_buf *err);

/* The therapist's queue: every unanswered question of every user, red
 * flags on top (triage descending; one that was not screened, -1, ranks
 * with doctor_soon: safety first), then oldest first.  limit as above. */
kf_err kf_store_question_queue(kf_store *s, int limit, kf_uquestion_list *out,
                               kf_buf *err);

/* Replaces a question's draft (the therapist's edits before publishing).
 * KF_ENOTFOUND when there is no such question. */
kf_err kf_store_question_set_draft(kf_store *s, long long id,
                                   const char *draft, kf_buf *err);

/* Answers a question (or replaces its answer): the text, the therapist's
 * user id (must exist), the time.  `publish` puts it on the public page,
 * which needs the asker's consent (public_ok): KF_EINVAL without it.
 * KF_ENOTFOUND when there is no such question. */
kf_err kf_store_question_answer(kf_store *s, long long id,
                                long long therapist_id, const char *text,
                                bool publish, kf_buf *err);

/* The public Q&A: answered, published questions whose asker consented,
 * newest answer first.  Only id, at, text, first_name, answer,
 * answered_at and triage are filled; owner, consultation, summary and
 * draft are left empty (0 / NULL), so nothing private can leak through. */
kf_err kf_store_qa_public(kf_store *s, int limit, kf_uquestion_list *out,
                          kf_buf *err);

/* ---- lesson progress ---- */

typedef struct {
    const char *lesson_id;
    char        done_at[KF_TIME_LEN];
} kf_lesson_mark;

typedef struct {
    kf_lesson_mark *v;
    int             n;
    void           *priv;
} kf_lesson_list;
void kf_lesson_list_free(kf_lesson_list *l);

/* Marks a lesson done for the handle's owner (lesson ids as region ids:
 * lower-case letters, digits, _ - :, 1..KF_STORE_ID_MAX).  Marking it again
 * keeps the first time; *first (may be NULL) says whether this was the
 * first time. */
kf_err kf_store_lesson_done(kf_store *s, const char *lesson_id, bool *first,
                            kf_buf *err);

/* The owner's lessons done, in the order they were done. */
kf_err kf_store_lessons_done(kf_store *s, kf_lesson_list *out, kf_buf *err);

#endif
