/*
 * store_sqlite.c — the SQLite backend of the journal store (store.h): an
 * embedded file, the default, for the local single-user mode.
 *
 * SQLite choices, and why:
 *  - WAL journal: readers never block the writer and the writer never blocks
 *    readers, so `knotfinder serve` and a `knotfinder log` in a terminal can
 *    use the same file at once.
 *  - synchronous=FULL: in WAL mode this fsyncs the WAL at every commit, so a
 *    check-in reported as saved survives a power cut, not only a crash of
 *    the process.  NORMAL would skip that fsync and could lose the last few
 *    check-ins on power loss.  Check-ins come a few times a day; the cost
 *    (one fsync, a few milliseconds) is invisible at that rate, and the
 *    benchmark in bench/journal/ measures it.
 *  - busy_timeout: writers from several processes take turns instead of
 *    failing at once with SQLITE_BUSY.
 *  - STRICT tables with CHECK constraints: the ranges are enforced by the
 *    database too, whoever writes to it.
 *  - Migrations are recorded in a schema_version table (portable to
 *    PostgreSQL, unlike PRAGMA user_version), each applied in a
 *    BEGIN IMMEDIATE transaction so two processes opening a new file at the
 *    same time cannot both apply it.  PRAGMA application_id marks the file
 *    as ours, so a stranger's SQLite file is refused rather than extended.
 *  - An existing file is opened without SQLITE_OPEN_CREATE and checked with
 *    PRAGMA quick_check; a damaged file is reported and left as it is.
 */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* "Knot" in ASCII: marks a knotfinder journal file. */
#define KF_APP_ID 0x4b6e6f74

/* The backend's state behind kf__store_core.be. */
typedef struct {
    sqlite3      *db;
    sqlite3_stmt *ins_checkin;       /* kept prepared: one per connection */
    sqlite3_stmt *ins_consultation;
    sqlite3_stmt *begin, *commit;    /* the group commit's, kept too */
    int           ckpt_next;         /* WAL pages at which to ask for the
                                        next checkpoint (0: KF__WAL_PAGES) */
    /* The checkpointer thread, started at the first checkpoint due, with
     * its own connection (sq_ckpt_main). */
    pthread_t     ckpt;
    bool          ckpt_started;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t  ckpt_cv;
    bool          ckpt_due, ckpt_stop;
    bool          ckpt_busy;         /* in a checkpoint now */
    bool          ckpt_hold;         /* the writer checkpoints: wait */
    char         *ckpt_path;
} sq_be;

#define DB(s) (((sq_be *)(s)->be)->db)

/* ------------------------------------------------------------------ */
/* SQLite backend. */

/* Migration N is sqlite_migrations[N - 1].  Never edit a released entry;
 * add a new one.  Each runs inside one transaction with its version row. */
static const char *const sqlite_migrations[] = {
    /* 1: consultations and check-ins. */
    "CREATE TABLE consultations (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  at          TEXT NOT NULL CHECK (length(at) = 20),\n"
    "  text        TEXT NOT NULL,\n"
    "  findings    TEXT NOT NULL,\n"
    "  result      TEXT NOT NULL,\n"
    "  kb_version  TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX consultations_at ON consultations (at);\n"
    "CREATE TABLE checkins (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  at            TEXT NOT NULL CHECK (length(at) = 20),\n"
    "  pain          INTEGER NOT NULL CHECK (pain BETWEEN 0 AND 10),\n"
    "  pain_before   INTEGER CHECK (pain_before BETWEEN 0 AND 10),\n"
    "  region        TEXT,\n"
    "  side          TEXT NOT NULL DEFAULT ''\n"
    "                CHECK (side IN ('', 'left', 'right', 'both')),\n"
    "  did           TEXT NOT NULL DEFAULT '',\n"
    "  relief_hours  REAL CHECK (relief_hours BETWEEN 0 AND 8760),\n"
    "  worse_after   TEXT NOT NULL DEFAULT '',\n"
    "  done_s        INTEGER CHECK (done_s >= 0),\n"
    "  stopped_early INTEGER NOT NULL DEFAULT 0 CHECK (stopped_early IN (0, 1)),\n"
    "  via           TEXT NOT NULL DEFAULT 'cli',\n"
    "  note          TEXT NOT NULL DEFAULT ''\n"
    ") STRICT;\n"
    "CREATE INDEX checkins_at ON checkins (at);\n",
    /* 2: a consultation keeps the words, the findings and the KB version,
     * not its result (about 15 KB of JSON each, all of it worked out from
     * the findings again when read). */
    "ALTER TABLE consultations DROP COLUMN result;\n",
    /* 3: the hosted course.  Every consultation and check-in gets an owner
     * (0: the local single user, who has no account); users, sessions (a
     * hash of the token only), rate-limit counters, questions to the
     * therapist and lesson progress.  No foreign keys: deleting a user
     * deletes from every table explicitly, in one transaction. */
    "ALTER TABLE consultations ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE checkins ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;\n"
    "DROP INDEX IF EXISTS consultations_at;\n"
    "DROP INDEX IF EXISTS checkins_at;\n"
    "CREATE INDEX consultations_owner_at ON consultations (owner, at);\n"
    "CREATE INDEX checkins_owner_at ON checkins (owner, at);\n"
    "CREATE TABLE users (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  email         TEXT NOT NULL UNIQUE,\n"
    "  password_hash TEXT NOT NULL,\n"
    "  role          TEXT NOT NULL DEFAULT 'user'\n"
    "                CHECK (role IN ('user', 'therapist')),\n"
    "  created_at    TEXT NOT NULL CHECK (length(created_at) = 20),\n"
    "  consent_at    TEXT NOT NULL CHECK (length(consent_at) = 20)\n"
    ") STRICT;\n"
    "CREATE TABLE sessions (\n"
    "  token_hash TEXT PRIMARY KEY,\n"
    "  user_id    INTEGER NOT NULL,\n"
    "  csrf       TEXT NOT NULL,\n"
    "  created_at TEXT NOT NULL,\n"
    "  expires_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX sessions_user ON sessions (user_id);\n"
    "CREATE INDEX sessions_expires ON sessions (expires_at);\n"
    "CREATE TABLE rate_limits (\n"
    "  key          TEXT PRIMARY KEY,\n"
    "  owner        INTEGER NOT NULL DEFAULT 0,\n"
    "  window_start INTEGER NOT NULL,\n"
    "  window_end   INTEGER NOT NULL,\n"
    "  count        INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX rate_limits_owner ON rate_limits (owner);\n"
    "CREATE INDEX rate_limits_end ON rate_limits (window_end);\n"
    "CREATE TABLE questions (\n"
    "  id              INTEGER PRIMARY KEY,\n"
    "  owner           INTEGER NOT NULL,\n"
    "  at              TEXT NOT NULL CHECK (length(at) = 20),\n"
    "  text            TEXT NOT NULL,\n"
    "  first_name      TEXT NOT NULL DEFAULT '',\n"
    "  consultation_id INTEGER NOT NULL DEFAULT 0,\n"
    "  summary         TEXT NOT NULL DEFAULT '',\n"
    "  public_ok       INTEGER NOT NULL DEFAULT 0 CHECK (public_ok IN (0, 1)),\n"
    "  draft           TEXT NOT NULL DEFAULT '',\n"
    "  triage          INTEGER NOT NULL DEFAULT -1 CHECK (triage BETWEEN -1 AND 3),\n"
    "  answer          TEXT,\n"
    "  answered_by     INTEGER NOT NULL DEFAULT 0,\n"
    "  answered_at     TEXT NOT NULL DEFAULT '',\n"
    "  published       INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1))\n"
    ") STRICT;\n"
    "CREATE INDEX questions_owner ON questions (owner, at);\n"
    "CREATE INDEX questions_open ON questions (at) WHERE answer IS NULL;\n"
    "CREATE INDEX questions_public ON questions (answered_at)\n"
    "  WHERE published = 1 AND public_ok = 1;\n"
    "CREATE TABLE lesson_progress (\n"
    "  owner     INTEGER NOT NULL,\n"
    "  lesson_id TEXT NOT NULL,\n"
    "  done_at   TEXT NOT NULL CHECK (length(done_at) = 20),\n"
    "  PRIMARY KEY (owner, lesson_id)\n"
    ") STRICT;\n",
};

_Static_assert(KF_ARRAY_LEN(sqlite_migrations) == KF_STORE_SCHEMA,
               "one migration per schema version");

/* Plain words for an SQLite result code, for a person to read. */
static const char *sq_reason(sqlite3 *db, int rc)
{
    int sys = db ? sqlite3_system_errno(db) : 0;
    switch (rc & 0xff) {
    case SQLITE_FULL:     return "the disk is full";
    case SQLITE_IOERR:
        if (sys == ENOSPC) return "the disk is full";
        if (sys == EFBIG)  return "the file may not grow any larger (file size limit)";
        if (sys == EDQUOT) return "the disk quota is used up";
        if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC ||
            rc == SQLITE_IOERR_TRUNCATE)
            return "writing the file failed: the disk may be full, the file "
                   "may have hit a size limit, or the device failed";
        return "reading or writing the file failed (I/O error)";
    case SQLITE_READONLY: return "the file or its folder is read-only for this user";
    case SQLITE_CORRUPT:  return "the database file is damaged";
    case SQLITE_NOTADB:   return "the file is not an SQLite database";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:   return "another program kept the database locked too long";
    case SQLITE_CANTOPEN:
        if (sys == ENOENT) return "its folder does not exist";
        if (sys == EACCES) return "permission denied";
        return "the file cannot be opened";
    case SQLITE_NOMEM:    return "out of memory";
    case SQLITE_CONSTRAINT: return "a value is out of the allowed range";
    case SQLITE_PERM:
    case SQLITE_AUTH:     return "permission denied";
    default:              return "the database refused the operation";
    }
}

static kf_err sq_kferr(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:         return KF_OK;
    case SQLITE_NOMEM:      return KF_ENOMEM;
    case SQLITE_FULL:
    case SQLITE_IOERR:      return KF_EIO;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:     return KF_EBUSY;
    case SQLITE_CONSTRAINT: return KF_EINVAL;
    case SQLITE_TOOBIG:     return KF_ETOOBIG;
    default:                return KF_EDB;
    }
}

/* Appends "PATH: cannot WHAT: reason (SQLite: message)" and maps the code. */
static kf_err sq_fail(kf__store_core *s, int rc, const char *what, kf_buf *err)
{
    if (err) {
        const char *msg = DB(s) ? sqlite3_errmsg(DB(s)) : sqlite3_errstr(rc);
        kf_buf_printf(err, "%s: cannot %s: %s (SQLite: %s)", s->path, what,
                      sq_reason(DB(s), rc), msg);
        int k = rc & 0xff;
        if (k == SQLITE_CORRUPT || k == SQLITE_NOTADB)
            kf_buf_puts(err, "; the file was left as it is");
    }
    return sq_kferr(rc);
}

/* Runs SQL that returns no rows. */
static int sq_exec(kf__store_core *s, const char *sql)
{
    return sqlite3_exec(DB(s), sql, NULL, NULL, NULL);
}

/* Runs a one-row query whose first column is an integer or text.  Returns
 * the SQLite code; the value goes to *iv and/or `tv` (size tn). */
static int sq_scalar(kf__store_core *s, const char *sql, long long *iv, char *tv,
                     size_t tn)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (iv)
            *iv = sqlite3_column_int64(st, 0);
        if (tv && tn) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(tv, tn, "%s", t ? (const char *)t : "");
        }
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        if (iv)
            *iv = 0;
        if (tv && tn)
            tv[0] = '\0';
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_read_version(kf__store_core *s, int *version)
{
    long long has = 0, v = 0;
    int rc = sq_scalar(s, "SELECT count(*) FROM sqlite_schema "
                          "WHERE type = 'table' AND name = 'schema_version'",
                       &has, NULL, 0);
    if (rc == SQLITE_OK && has)
        rc = sq_scalar(s, "SELECT coalesce(max(version), 0) FROM schema_version",
                       &v, NULL, 0);
    *version = (int)v;
    return rc;
}

static kf_err sq_check(kf__store_core *s, bool full, kf_buf *err);

static kf_err sq_migrate(kf__store_core *s, kf_buf *err)
{
    int version = 0;
    int rc = sq_read_version(s, &version);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the schema version", err);
    if (version > KF_STORE_SCHEMA) {
        if (err)
            kf_buf_printf(err, "%s: the journal has schema version %d, newer than "
                          "this knotfinder understands (%d); use a newer "
                          "knotfinder (the file was left as it is)", s->path,
                          version, KF_STORE_SCHEMA);
        return KF_EDB;
    }
    if (version == KF_STORE_SCHEMA) {
        s->version = version;
        return KF_OK;
    }
    if (version > 0) {
        /* An upgrade rewrites tables: read every page first, so a damaged
         * file is reported and left as it is rather than half migrated. */
        kf_err ce = sq_check(s, true, err);
        if (ce != KF_OK)
            return ce;
    }
    if (s->readonly) {
        if (err)
            kf_buf_printf(err, "%s: the journal needs an upgrade to schema "
                          "version %d but the file is read-only for this user",
                          s->path, KF_STORE_SCHEMA);
        return KF_EDB;
    }
    /* IMMEDIATE: take the write lock before reading the version again, so
     * two processes cannot both apply the same migration. */
    rc = sq_exec(s, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "start the schema upgrade", err);
    rc = sq_exec(s, "CREATE TABLE IF NOT EXISTS schema_version (\n"
                    "  version    INTEGER PRIMARY KEY,\n"
                    "  applied_at TEXT NOT NULL\n"
                    ") STRICT");
    if (rc == SQLITE_OK)
        rc = sq_read_version(s, &version);
    int from = version;
    const char *what = "upgrade the schema";
    for (int v = version + 1; rc == SQLITE_OK && v <= KF_STORE_SCHEMA; v++) {
        rc = sq_exec(s, sqlite_migrations[v - 1]);
        if (rc != SQLITE_OK)
            break;
        char now[KF_TIME_LEN], sql[128];
        kf_time_now(now);
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d, '%s')",
                 v, now);
        rc = sq_exec(s, sql);
        if (rc == SQLITE_OK)
            version = v;
    }
    if (rc == SQLITE_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d", KF_APP_ID);
        rc = sq_exec(s, sql);
    }
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "COMMIT");
    if (rc != SQLITE_OK) {
        kf_err e = sq_fail(s, rc, what, err);
        sqlite3_exec(DB(s), "ROLLBACK", NULL, NULL, NULL);
        return e;
    }
    /* Schema 2 dropped each consultation's result (~15 KB): give the room
     * back to the disk once.  Best effort: a full disk or a busy reader
     * only leaves the file as large as it was. */
    if (from >= 1 && from < 2)
        sq_exec(s, "VACUUM");
    s->version = version;
    return KF_OK;
}

/* A write for an owner that has no account. */
static kf_err no_owner(long long owner, kf_buf *err)
{
    if (err)
        kf_buf_printf(err, "there is no user #%lld; nothing was saved", owner);
    return KF_ENOTFOUND;
}

static kf_err sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC) == SQLITE_OK
           ? KF_OK : KF_ENOMEM;
}

/* Runs a bound INSERT of one row of `owner`'s (a kept statement: reset
 * after), whose WHERE makes it insert nothing when there is no such
 * owner; sets *id (when not NULL) to the new row's. */
static kf_err sq_insert_row(kf__store_core *s, sqlite3_stmt *st,
                            long long owner, long long *id, const char *what,
                            kf_buf *err)
{
    int rc = sqlite3_step(st);
    kf_err e = KF_OK;
    if (rc != SQLITE_DONE) {
        e = sq_fail(s, rc, what, err);
        if (err)
            kf_buf_puts(err, "; nothing was saved");
    } else if (sqlite3_changes(DB(s)) == 0) {
        e = no_owner(owner, err);
    } else if (id) {
        *id = sqlite3_last_insert_rowid(DB(s));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

/* The insert of one consultation, kept prepared, shared by the single save
 * and the group commit (one statement, so both bind the owner and check
 * it: ?5 = 0 or an existing user; nothing is inserted otherwise). */
static int sq_prepare_ins_consultation(kf__store_core *s)
{
    sq_be *b = s->be;
    if (b->ins_consultation)
        return SQLITE_OK;
    return sqlite3_prepare_v3(DB(s),
        "INSERT INTO consultations (at, text, findings, kb_version, owner) "
        "SELECT ?1, ?2, ?3, ?4, ?5 "
        "WHERE ?5 = 0 OR EXISTS (SELECT 1 FROM users WHERE id = ?5)",
        -1, SQLITE_PREPARE_PERSISTENT, &b->ins_consultation, NULL);
}

static kf_err sq_add_consultation(kf__store_core *s, long long owner,
                                  const char *at, const char *text,
                                  const char *findings, const char *kb_version,
                                  long long *id, kf_buf *err)
{
    sq_be *b = s->be;
    int rc = sq_prepare_ins_consultation(s);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the consultation", err);
    sqlite3_stmt *st = b->ins_consultation;
    sq_bind_text(st, 1, at);
    sq_bind_text(st, 2, text);
    sq_bind_text(st, 3, findings);
    sq_bind_text(st, 4, kb_version);
    sqlite3_bind_int64(st, 5, owner);
    return sq_insert_row(s, st, owner, id, "save the consultation", err);
}

/* Group commit (store_writer.c): every row in one transaction, with the
 * insert kept prepared.  With synchronous=FULL the COMMIT fsyncs the WAL
 * once for all of them; when it returns they are all durable. */
/* Runs a statement kept prepared in *st (made from `sql` on first use). */
static int sq_run_kept(kf__store_core *s, sqlite3_stmt **st, const char *sql)
{
    int rc = SQLITE_OK;
    if (!*st)
        rc = sqlite3_prepare_v3(DB(s), sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(*st);
    sqlite3_reset(*st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static kf_err sq_add_consultations(kf__store_core *s, kf__consult_row *rows, int n,
                                   kf_buf *err)
{
    sq_be *b = s->be;
    int rc = sq_prepare_ins_consultation(s);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the consultations", err);
    rc = sq_run_kept(s, &b->begin, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the consultations", err);
    sqlite3_stmt *st = b->ins_consultation;
    bool no_user = false;
    for (int i = 0; i < n && rc == SQLITE_OK && !no_user; i++) {
        const kf__consult_row *r = &rows[i];
        if (sqlite3_bind_text(st, 1, r->at, KF_TIME_LEN - 1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_text(st, 2, r->text ? r->text : "", (int)r->text_len,
                              SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_text(st, 3, r->findings, (int)r->findings_len,
                              SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_text(st, 4, r->kb_version, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_int64(st, 5, r->owner) != SQLITE_OK) {
            rc = SQLITE_NOMEM;
        } else if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
            rc = SQLITE_OK;
            if (sqlite3_changes(DB(s)) == 0)
                no_user = true;
            else
                rows[i].id = sqlite3_last_insert_rowid(DB(s));
        }
        sqlite3_reset(st);
    }
    sqlite3_clear_bindings(st);
    kf_err e = KF_OK;
    if (rc == SQLITE_OK && no_user) {
        /* A row whose owner has no account: none is saved, and the writer
         * saves them one by one, so that row alone gets its error. */
        sq_exec(s, "ROLLBACK");
        return KF_EINVAL;
    }
    if (rc == SQLITE_OK)
        rc = sq_run_kept(s, &b->commit, "COMMIT");
    if (rc != SQLITE_OK) {
        e = sq_fail(s, rc, "save the consultations", err);
        if (!sqlite3_get_autocommit(DB(s)))
            sq_exec(s, "ROLLBACK");
        if (err)
            kf_buf_puts(err, "; nothing was saved");
    }
    return e;
}

/* Checkpoints (copying the WAL's pages into the database file, so that
 * the WAL can start over) are asked for every KF__WAL_PAGES pages, as
 * SQLite's automatic checkpoint would run them, but on a thread of their
 * own (sq_ckpt_main) instead of inside the COMMIT that crossed the line.
 * A checkpoint writes each page a second time and fsyncs the database
 * file: 1,000 pages are 4 MB, ~16 ms of this machine's disk, which
 * inside a group commit held up every request of its batch and of the
 * batches queued behind it, every ~45 group commits under load (the p99
 * of bench/http/run.sh's "saving every one").  Past KF__WAL_PAGES_MAX
 * pages (the checkpointer has fallen behind, or none could be started)
 * the commit checkpoints itself, as SQLite does (after the checkpointer's
 * pass, if one is running); by then most pages are copied already, so
 * that checkpoint is short, and the WAL starts over at the next commit.
 * Either way every checkpoint runs with synchronous=FULL: the WAL is
 * fsynced before its pages are copied and the database file after,
 * before SQLite may write over the WAL; every COMMIT still fsyncs the WAL
 * before it returns. */
#define KF__WAL_PAGES     1000
#define KF__WAL_PAGES_MAX (4 * KF__WAL_PAGES)

/* A checkpoint writes the database file's pages in order, page 1 (whose
 * header counts the pages) first, and the file grows as the later pages
 * are written.  A process killed in the middle of one leaves a file
 * shorter than its header says, with the WAL beside it that completes it
 * (SQLite reads through the WAL, and the next checkpoint writes the rest),
 * but sq_header_check calls such a file cut short.  With a chunk size
 * set, SQLite first extends the file to the size the checkpoint needs
 * (SQLITE_FCNTL_SIZE_HINT, rounded up to the chunk), so a kill in the
 * middle leaves a file long enough.  The checkpointer runs checkpoints
 * all the time under load, which made such a kill likely. */
static void sq_grow_first(sqlite3 *db)
{
    int chunk = 64 * 1024;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk);
}

/* The checkpointer thread: passive checkpoints on its own connection
 * (synchronous=FULL), while the writer goes on committing to the WAL
 * (a passive checkpoint takes no lock a writer needs). */
static void *sq_ckpt_main(void *arg)
{
    sq_be *b = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(b->ckpt_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close_v2(db);
        db = NULL;
    }
    if (db) {
        sqlite3_busy_timeout(db, KF_STORE_BUSY_MS);
        sq_grow_first(db);
    }
    pthread_mutex_lock(&b->ckpt_mu);
    for (;;) {
        while ((!b->ckpt_due || b->ckpt_hold) && !b->ckpt_stop)
            pthread_cond_wait(&b->ckpt_cv, &b->ckpt_mu);
        if (b->ckpt_stop)
            break;
        b->ckpt_due = false;
        b->ckpt_busy = true;
        pthread_mutex_unlock(&b->ckpt_mu);
        if (db)
            sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&b->ckpt_mu);
        b->ckpt_busy = false;
        pthread_cond_broadcast(&b->ckpt_cv);  /* sq_ckpt_inline may wait */
    }
    pthread_mutex_unlock(&b->ckpt_mu);
    sqlite3_close_v2(db);   /* not the last connection: the WAL stays */
    return NULL;
}

static void sq_ckpt_stop(sq_be *b)
{
    if (b->ckpt_started) {
        pthread_mutex_lock(&b->ckpt_mu);
        b->ckpt_stop = true;
        pthread_cond_signal(&b->ckpt_cv);
        pthread_mutex_unlock(&b->ckpt_mu);
        pthread_join(b->ckpt, NULL);
        pthread_cond_destroy(&b->ckpt_cv);
        pthread_mutex_destroy(&b->ckpt_mu);
        b->ckpt_started = false;
    }
    kf_free(b->ckpt_path);
    b->ckpt_path = NULL;
    b->ckpt_due = b->ckpt_stop = b->ckpt_busy = b->ckpt_hold = false;
    b->ckpt_next = 0;
}

/* Hands the checkpoint to the checkpointer (started now if need be);
 * false when there is none. */
static bool sq_ckpt_ask(sq_be *b, sqlite3 *db)
{
    if (!b->ckpt_started && !b->ckpt_path) {
        const char *path = sqlite3_db_filename(db, "main");
        b->ckpt_path = path && *path ? kf_strdup(path) : NULL;
        if (!b->ckpt_path)
            return false;
        pthread_mutex_init(&b->ckpt_mu, NULL);
        pthread_cond_init(&b->ckpt_cv, NULL);
        b->ckpt_started = pthread_create(&b->ckpt, NULL, sq_ckpt_main, b) == 0;
        if (!b->ckpt_started) {
            pthread_cond_destroy(&b->ckpt_cv);
            pthread_mutex_destroy(&b->ckpt_mu);
        }
    }
    if (!b->ckpt_started)
        return false;
    pthread_mutex_lock(&b->ckpt_mu);
    b->ckpt_due = true;
    pthread_cond_signal(&b->ckpt_cv);
    pthread_mutex_unlock(&b->ckpt_mu);
    return true;
}

/* The commit's own checkpoint, past KF__WAL_PAGES_MAX: after the
 * checkpointer's pass, if one is running (two checkpoints cannot run at
 * once: the second would fail at once, and the WAL go on growing). */
static void sq_ckpt_inline(sq_be *b, sqlite3 *db, const char *name)
{
    if (b->ckpt_started) {
        pthread_mutex_lock(&b->ckpt_mu);
        b->ckpt_hold = true;
        while (b->ckpt_busy)
            pthread_cond_wait(&b->ckpt_cv, &b->ckpt_mu);
        pthread_mutex_unlock(&b->ckpt_mu);
    }
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (b->ckpt_started) {
        pthread_mutex_lock(&b->ckpt_mu);
        b->ckpt_hold = false;
        pthread_cond_broadcast(&b->ckpt_cv);
        pthread_mutex_unlock(&b->ckpt_mu);
    }
}

/* After each commit on the main connection (sqlite3_wal_hook, in place
 * of SQLite's automatic checkpoint): `pages` in the WAL now. */
static int sq_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    sq_be *b = arg;
    if (pages < KF__WAL_PAGES) {
        b->ckpt_next = KF__WAL_PAGES;         /* the WAL started over */
        return SQLITE_OK;
    }
    if (pages >= KF__WAL_PAGES_MAX)
        sq_ckpt_inline(b, db, name);
    else if (pages >= (b->ckpt_next ? b->ckpt_next : KF__WAL_PAGES)) {
        if (sq_ckpt_ask(b, db))
            b->ckpt_next = pages + KF__WAL_PAGES;
        else
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
    return SQLITE_OK;
}

static kf_err sq_add_checkin(kf__store_core *s, long long owner,
                             const kf_checkin *c, const char *at,
                             long long *id, kf_buf *err)
{
    int rc;
    if (!((sq_be *)s->be)->ins_checkin) {
        rc = sqlite3_prepare_v3(DB(s),
            "INSERT INTO checkins (at, pain, pain_before, region, side, did, "
            "relief_hours, worse_after, done_s, stopped_early, via, note, owner) "
            "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 "
            "WHERE ?13 = 0 OR EXISTS (SELECT 1 FROM users WHERE id = ?13)",
            -1, SQLITE_PREPARE_PERSISTENT, &((sq_be *)s->be)->ins_checkin, NULL);
        if (rc != SQLITE_OK)
            return sq_fail(s, rc, "save the check-in", err);
    }
    sqlite3_stmt *st = ((sq_be *)s->be)->ins_checkin;
    sq_bind_text(st, 1, at);
    sqlite3_bind_int(st, 2, c->pain);
    if (c->pain_before >= 0)
        sqlite3_bind_int(st, 3, c->pain_before);
    else
        sqlite3_bind_null(st, 3);
    if (c->region && *c->region)
        sq_bind_text(st, 4, c->region);
    else
        sqlite3_bind_null(st, 4);
    sq_bind_text(st, 5, kf_side_name(c->side));
    sq_bind_text(st, 6, c->did);
    if (c->relief_hours >= 0)
        sqlite3_bind_double(st, 7, c->relief_hours);
    else
        sqlite3_bind_null(st, 7);
    sq_bind_text(st, 8, c->worse_after);
    if (c->done_s >= 0)
        sqlite3_bind_int(st, 9, c->done_s);
    else
        sqlite3_bind_null(st, 9);
    sqlite3_bind_int(st, 10, c->stopped_early ? 1 : 0);
    sq_bind_text(st, 11, c->via && *c->via ? c->via : "cli");
    sq_bind_text(st, 12, c->note);
    sqlite3_bind_int64(st, 13, owner);
    return sq_insert_row(s, st, owner, id, "save the check-in", err);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Fills one row of a list from the statement's current row; its strings
 * go to `a`. */
typedef void (*sq_row_fn)(sqlite3_stmt *st, void *row, kf__arena *a,
                          const void *ctx);

/* Reads every row of `st` (prepared and bound) into a list (`vp`: the
 * address of its array pointer, `n` its count, `size` a row's size), each
 * filled by `fill`, then finalizes `st`.  `what` names the rows ("the
 * check-ins") in an error.  Use SQ_READ_LIST. */
static kf_err sq_read_list(kf__store_core *s, sqlite3_stmt *st, void *vp,
                           int *n, size_t size, sq_row_fn fill,
                           const void *ctx, kf__arena *a, const char *what,
                           kf_buf *err)
{
    int cap = 0, rc;
    kf_err e = KF_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        void *row = kf__list_push(vp, n, &cap, size);
        if (!row) {
            e = KF_ENOMEM;
            break;
        }
        fill(st, row, a, ctx);
        if (a->oom) {
            e = KF_ENOMEM;
            break;
        }
    }
    if (e == KF_OK && rc != SQLITE_DONE) {
        char verb[64];
        snprintf(verb, sizeof verb, "read %s", what);
        e = sq_fail(s, rc, verb, err);
    } else if (e == KF_ENOMEM) {
        kf__list_oom(s, what, err);
    }
    sqlite3_finalize(st);
    return e;
}
#define SQ_READ_LIST(s, st, out, fill, ctx, a, what, err) \
    sq_read_list((s), (st), &(out)->v, &(out)->n, sizeof *(out)->v, (fill), \
                 (ctx), (a), (what), (err))

static void sq_checkin_row(sqlite3_stmt *st, void *row, kf__arena *a,
                           const void *ctx)
{
    kf_checkin *c = row;
    c->id = sqlite3_column_int64(st, 0);
    snprintf(c->at, sizeof c->at, "%s", col_text(st, 1));
    c->pain = sqlite3_column_int(st, 2);
    c->pain_before = sqlite3_column_type(st, 3) == SQLITE_NULL
                     ? -1 : sqlite3_column_int(st, 3);
    c->region = sqlite3_column_type(st, 4) == SQLITE_NULL
                ? NULL : kf__arena_strdup(a, col_text(st, 4));
    int side = kf_side_parse(col_text(st, 5));
    c->side = side < 0 ? KF_SIDE_NONE : (kf_side)side;
    c->did = kf__arena_strdup(a, col_text(st, 6));
    c->relief_hours = sqlite3_column_type(st, 7) == SQLITE_NULL
                      ? -1 : sqlite3_column_double(st, 7);
    c->worse_after = kf__arena_strdup(a, col_text(st, 8));
    c->done_s = sqlite3_column_type(st, 9) == SQLITE_NULL
                ? -1 : sqlite3_column_int(st, 9);
    c->stopped_early = sqlite3_column_int(st, 10) != 0;
    c->via = kf__arena_strdup(a, col_text(st, 11));
    c->note = kf__arena_strdup(a, col_text(st, 12));
}

static kf_err sq_list_checkins(kf__store_core *s, long long owner,
                               const char *since, int limit,
                               kf_checkin_list *out, kf__arena *a, kf_buf *err)
{
#define CHECKIN_COLS "id, at, pain, pain_before, region, side, did, " \
    "relief_hours, worse_after, done_s, stopped_early, via, note"
    const char *sql = limit > 0
        ? "SELECT * FROM (SELECT " CHECKIN_COLS " FROM checkins "
          "WHERE owner = ?3 AND at >= ?1 "
          "ORDER BY at DESC, id DESC LIMIT ?2) ORDER BY at, id"
        : "SELECT " CHECKIN_COLS " FROM checkins WHERE owner = ?3 AND at >= ?1 "
          "ORDER BY at, id";
#undef CHECKIN_COLS
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the check-ins", err);
    sq_bind_text(st, 1, since ? since : "");
    if (limit > 0)
        sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int64(st, 3, owner);
    return SQ_READ_LIST(s, st, out, sq_checkin_row, NULL, a, "the check-ins",
                        err);
}

static void sq_consultation_row(sqlite3_stmt *st, void *row, kf__arena *a,
                                const void *ctx)
{
    kf_consultation *c = row;
    c->id = sqlite3_column_int64(st, 0);
    snprintf(c->at, sizeof c->at, "%s", col_text(st, 1));
    c->text = kf__arena_strdup(a, col_text(st, 2));
    c->findings_json = kf__arena_strdup(a, col_text(st, 3));
    c->kb_version = kf__arena_strdup(a, col_text(st, 4));
}

static kf_err sq_list_consultations(kf__store_core *s, long long owner,
                                    int limit,
                                    kf_consultation_list *out, kf__arena *a,
                                    kf_buf *err)
{
#define CONS_COLS "id, at, text, findings, kb_version"
    const char *sql = limit > 0
        ? "SELECT * FROM (SELECT " CONS_COLS " FROM consultations "
          "WHERE owner = ?2 ORDER BY at DESC, id DESC LIMIT ?1) ORDER BY at, id"
        : "SELECT " CONS_COLS " FROM consultations WHERE owner = ?2 "
          "ORDER BY at, id";
#undef CONS_COLS
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the consultations", err);
    if (limit > 0)
        sqlite3_bind_int(st, 1, limit);
    sqlite3_bind_int64(st, 2, owner);
    return SQ_READ_LIST(s, st, out, sq_consultation_row, NULL, a,
                        "the consultations", err);
}

/* Runs one DELETE with an optional id; the number of rows goes to *n. */
static int sq_delete(kf__store_core *s, const char *sql, long long owner,
                     long long id, int *n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, owner);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_int64(st, 2, id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        *n = sqlite3_changes(DB(s));
        rc = SQLITE_OK;
    }
    return rc;
}

static kf_err sq_forget(kf__store_core *s, long long owner,
                        kf_forget_what what, long long id,
                        int *n_consultations, int *n_checkins, kf_buf *err)
{
    int nc = 0, nk = 0;
    /* secure_delete: the freed pages are zeroed, so the words are gone from
     * the file and not merely unlinked. */
    int rc = sq_exec(s, "PRAGMA secure_delete = ON");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "forget", err);
    if (what == KF_FORGET_CONSULTATION || what == KF_FORGET_ALL)
        rc = sq_delete(s, what == KF_FORGET_ALL
                          ? "DELETE FROM consultations WHERE owner = ?1"
                          : "DELETE FROM consultations WHERE owner = ?1 AND id = ?2",
                       owner, id, &nc);
    if (rc == SQLITE_OK && nc > 0) {
        /* A question that attached a forgotten consultation keeps its
         * words but no longer points at it. */
        int nq;
        rc = sq_delete(s, what == KF_FORGET_ALL
                          ? "UPDATE questions SET consultation_id = 0 "
                            "WHERE owner = ?1"
                          : "UPDATE questions SET consultation_id = 0 "
                            "WHERE owner = ?1 AND consultation_id = ?2",
                       owner, id, &nq);
    }
    if (rc == SQLITE_OK && (what == KF_FORGET_CHECKIN || what == KF_FORGET_ALL))
        rc = sq_delete(s, what == KF_FORGET_ALL
                          ? "DELETE FROM checkins WHERE owner = ?1"
                          : "DELETE FROM checkins WHERE owner = ?1 AND id = ?2",
                       owner, id, &nk);
    if (rc == SQLITE_OK && what != KF_FORGET_ALL && nc + nk == 0) {
        sqlite3_exec(DB(s), "ROLLBACK", NULL, NULL, NULL);
        if (err)
            kf_buf_printf(err, "there is no %s #%lld in the journal (%s)",
                          what == KF_FORGET_CHECKIN ? "check-in" : "consultation",
                          id, s->path);
        return KF_ENOTFOUND;
    }
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "COMMIT");
    if (rc != SQLITE_OK) {
        kf_err e = sq_fail(s, rc, "forget", err);
        sqlite3_exec(DB(s), "ROLLBACK", NULL, NULL, NULL);
        if (err)
            kf_buf_puts(err, "; nothing was deleted");
        return e;
    }
    /* The WAL still holds the pages as they were before: merge it into the
     * file and empty it.  Another process reading at this moment can keep
     * it from being emptied; it is emptied at the next merge then. */
    sqlite3_wal_checkpoint_v2(DB(s), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (n_consultations)
        *n_consultations = nc;
    if (n_checkins)
        *n_checkins = nk;
    return KF_OK;
}

static void sq_close_db(kf__store_core *s)
{
    sq_be *b = s->be;
    if (!b)
        return;
    sqlite3_finalize(b->ins_checkin);
    sqlite3_finalize(b->ins_consultation);
    sqlite3_finalize(b->begin);
    sqlite3_finalize(b->commit);
    b->ins_checkin = b->ins_consultation = b->begin = b->commit = NULL;
    sq_ckpt_stop(b);
    /* close_v2 never fails for a busy connection; every statement is
     * finalized by now anyway. */
    sqlite3_close_v2(DB(s));
    DB(s) = NULL;
}

/* Checks that an opened file is a healthy knotfinder journal (or empty).
 * Nothing is written. */
static kf_err sq_check(kf__store_core *s, bool full, kf_buf *err)
{
    long long app = 0, tables = 0;
    int rc = sq_scalar(s, "PRAGMA application_id", &app, NULL, 0);
    if (rc == SQLITE_OK)
        rc = sq_scalar(s, "SELECT count(*) FROM sqlite_schema "
                          "WHERE name NOT LIKE 'sqlite_%'", &tables, NULL, 0);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "open the journal", err);
    if (app != KF_APP_ID && !(app == 0 && tables == 0)) {
        if (err)
            kf_buf_printf(err, "%s: this SQLite file is not a knotfinder journal "
                          "(it belongs to another program: application id "
                          "0x%08llx, %lld tables); choose another file with "
                          "--db (the file was left as it is)", s->path,
                          (unsigned long long)(uint32_t)app, tables);
        return KF_EDB;
    }
    if (tables == 0 || !full)
        return KF_OK;
    /* quick_check reads every page once: its cost grows with the whole
     * history, so it runs on demand and before a schema upgrade, not at
     * every open (issue 14). */
    char first[512];
    rc = sq_scalar(s, "PRAGMA quick_check(1)", NULL, first, sizeof first);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "check the journal", err);
    if (strcmp(first, "ok") != 0) {
        /* One line: SQLite's report has a header line of its own. */
        for (char *p = first; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        if (err)
            kf_buf_printf(err, "%s: the journal is damaged (SQLite quick_check: "
                          "%s); the file was left as it is; keep a copy and try "
                          "`sqlite3 %s .recover`", s->path, first, s->path);
        return KF_EDB;
    }
    return KF_OK;
}


/* False when the first read fails for lack of write access (the folder of a
 * WAL journal is read-only). */
static bool sq_readable(kf__store_core *s)
{
    long long v;
    int rc = sq_scalar(s, "PRAGMA application_id", &v, NULL, 0);
    int k = rc & 0xff;
    return !(k == SQLITE_READONLY || k == SQLITE_CANTOPEN);
}

/* Reopens the journal read-only and immutable; false (and the store
 * closed) when a non-empty -wal file makes that unsafe or it fails. */
static bool sq_reopen_immutable(kf__store_core *s)
{
    sq_close_db(s);
    kf_buf wal, uri;
    kf_buf_init(&wal);
    kf_buf_init(&uri);
    kf_buf_printf(&wal, "%s-wal", s->path);
    struct stat st;
    bool ok = !wal.oom && !(stat(wal.s, &st) == 0 && st.st_size > 0);
    if (ok) {
        /* A file: URI; characters with a meaning in URIs are escaped. */
        kf_buf_puts(&uri, "file:");
        for (const unsigned char *p = (const unsigned char *)s->path; *p; p++) {
            if (*p == '?' || *p == '#' || *p == '%' || *p < 0x21 || *p >= 0x7f)
                kf_buf_printf(&uri, "%%%02X", *p);
            else
                kf_buf_add(&uri, (const char *)p, 1);
        }
        kf_buf_puts(&uri, "?immutable=1");
        ok = !uri.oom &&
             sqlite3_open_v2(uri.s, &DB(s), SQLITE_OPEN_READONLY |
                             SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE,
                             NULL) == SQLITE_OK;
        if (!ok)
            sq_close_db(s);
    }
    s->readonly = true;
    kf_buf_free(&wal);
    kf_buf_free(&uri);
    return ok;
}

/* Says why a file could not be made in the journal's folder. */
static const char *create_reason(int er)
{
    switch (er) {
    case ENOENT:  return "its folder does not exist";
    case ENOTDIR: return "its folder does not exist";
    case EACCES:
    case EPERM:
    case EROFS:   return "its folder is read-only for this user";
    case ENOSPC:
    case EDQUOT:  return "the disk is full";
    default:      return strerror(er);
    }
}

/* Removes a file and the files SQLite keeps beside it. */
static void unlink_all(const char *path)
{
    static const char *const side[] = { "", "-journal", "-wal", "-shm" };
    char p[4200];
    for (size_t i = 0; i < KF_ARRAY_LEN(side); i++)
        if ((size_t)snprintf(p, sizeof p, "%s%s", path, side[i]) < sizeof p)
            unlink(p);
}

/* Takes group and other permissions away from the journal and the files
 * SQLite keeps beside it, when this user owns them: the journal is health
 * data (a journal made by an older knotfinder was 0644).  The -wal and -shm
 * files SQLite makes later take the main file's mode. */
static void make_private(const char *path)
{
    static const char *const side[] = { "", "-wal", "-shm", "-journal" };
    char p[4200];
    struct stat st;
    for (size_t i = 0; i < KF_ARRAY_LEN(side); i++)
        if ((size_t)snprintf(p, sizeof p, "%s%s", path, side[i]) < sizeof p &&
            stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == geteuid() && (st.st_mode & 077))
            chmod(p, st.st_mode & 0700);
}

/* Makes a new journal at s->path in one step: the file is built under a
 * temporary name (mode 0600, its schema applied, WAL mode set) and then
 * linked into place, so the path never holds a half-made or empty file,
 * whatever moment the process is killed at.  When another process linked
 * its own journal there first, that one is kept.  Leaves DB(s) closed. */
static kf_err sq_create(kf__store_core *s, kf_buf *err)
{
    static atomic_uint seq;
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.new-%ld-%u", s->path,
                         (long)getpid(), atomic_fetch_add(&seq, 1)) >= sizeof tmp) {
        if (err)
            kf_buf_printf(err, "%s: cannot create the journal: the path is too "
                          "long", s->path);
        return KF_ETOOBIG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int er = errno;
        if (err)
            kf_buf_printf(err, "%s: cannot create the journal: %s", s->path,
                          create_reason(er));
        return er == ENOSPC || er == EDQUOT ? KF_EIO : KF_EDB;
    }
    close(fd);
    kf_err e = KF_OK;
    int rc = sqlite3_open_v2(tmp, &DB(s), SQLITE_OPEN_READWRITE |
                             SQLITE_OPEN_EXRESCODE, NULL);
    if (rc != SQLITE_OK)
        e = sq_fail(s, rc, "create the journal", err);
    if (e == KF_OK) {
        sqlite3_busy_timeout(DB(s), KF_STORE_BUSY_MS);
        rc = sq_exec(s, "PRAGMA synchronous = FULL");
        if (rc != SQLITE_OK)
            e = sq_fail(s, rc, "create the journal", err);
    }
    if (e == KF_OK)
        e = sq_migrate(s, err);
    if (e == KF_OK) {
        char mode[16];
        rc = sq_scalar(s, "PRAGMA journal_mode = WAL", NULL, mode, sizeof mode);
        if (rc != SQLITE_OK)
            e = sq_fail(s, rc, "create the journal", err);
    }
    sq_close_db(s);
    if (e == KF_OK && link(tmp, s->path) != 0 && errno != EEXIST) {
        int er = errno;
        /* A file system without hard links: a rename that does not replace. */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, s->path, RENAME_NOREPLACE) != 0 &&
            errno != EEXIST) {
            if (err)
                kf_buf_printf(err, "%s: cannot create the journal: %s", s->path,
                              strerror(er));
            e = KF_EIO;
        }
    }
    unlink_all(tmp);
    if (e == KF_OK) {
        /* The new name is durable too. */
        char dir[4200];
        snprintf(dir, sizeof dir, "%s", s->path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *(slash == dir ? slash + 1 : slash) = '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    s->version = 0;
    return e;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The cheap check of an existing file, before SQLite opens it: when the
 * header's page count is valid (its version-valid-for number matches the
 * change counter), a file shorter than that many pages has been cut short.
 * A checkpoint of another process writes page 1 before the pages that make
 * the file longer, so a short file with a non-empty -wal beside it is read
 * again for up to a second before it is called damaged.  Costs one read of
 * 100 bytes, whatever the journal's size.  Files too short for a header
 * are left to SQLite, which refuses them. */
static kf_err sq_header_check(kf__store_core *s, kf_buf *err)
{
    for (int attempt = 0; ; attempt++) {
        int fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return KF_OK;               /* SQLite says why, next */
        unsigned char h[100];
        struct stat st;
        ssize_t n = pread(fd, h, sizeof h, 0);
        int fst = fstat(fd, &st);
        close(fd);
        if (n != (ssize_t)sizeof h || fst != 0 ||
            memcmp(h, "SQLite format 3", 16) != 0)
            return KF_OK;
        unsigned psz = (unsigned)h[16] << 8 | h[17];
        if (psz == 1)
            psz = 65536;
        uint32_t pages = be32(h + 28);
        if (psz < 512 || (psz & (psz - 1)) || pages == 0 ||
            be32(h + 24) != be32(h + 92))
            return KF_OK;               /* no usable page count */
        long long want = (long long)pages * psz;
        if ((long long)st.st_size >= want)
            return KF_OK;
        char wal[4200];
        struct stat ws;
        bool busy = (size_t)snprintf(wal, sizeof wal, "%s-wal", s->path) < sizeof wal &&
                    stat(wal, &ws) == 0 && ws.st_size > 0;
        if (busy && attempt < 50) {
            struct timespec ts = { 0, 20 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            continue;
        }
        if (err)
            kf_buf_printf(err, "%s: the journal is damaged (the file is cut "
                          "short: %lld bytes where its header counts %u pages "
                          "of %u bytes); the file was left as it is; keep a "
                          "copy and try `sqlite3 %s .recover`", s->path,
                          (long long)st.st_size, pages, psz, s->path);
        return KF_EDB;
    }
}

static kf_err sq_open_file(kf__store_core *s, kf_buf *err)
{
    struct stat st;
    bool exists = stat(s->path, &st) == 0;
    if (!exists && errno != ENOENT) {
        if (err)
            kf_buf_printf(err, "%s: cannot open the journal: %s", s->path,
                          strerror(errno));
        return KF_EIO;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        if (err)
            kf_buf_printf(err, "%s: cannot open the journal: it is %s, not a "
                          "file", s->path,
                          S_ISDIR(st.st_mode) ? "a folder" : "a special file");
        return KF_EINVAL;
    }
    /* SQLite takes an empty file for an empty database and would start a
     * journal in it; but knotfinder never leaves an empty journal behind
     * (sq_create), so an empty file is something else: refused, untouched. */
    if (exists && st.st_size == 0) {
        if (err)
            kf_buf_printf(err, "%s: cannot open the journal: the file is empty "
                          "(0 bytes), so it is not a knotfinder journal; the file "
                          "was left as it is (delete it to start a new journal "
                          "there, or choose another file with --db)", s->path);
        return KF_EDB;
    }
    /* Only a file that does not exist may be created, and it is created
     * whole; an existing one is opened as it is, so a wrong path never
     * turns into a fresh empty journal on top of something else. */
    if (!exists) {
        kf_err e = sq_create(s, err);
        if (e != KF_OK)
            return e;
        if (stat(s->path, &st) != 0) {
            if (err)
                kf_buf_printf(err, "%s: cannot open the journal: %s", s->path,
                              strerror(errno));
            return KF_EIO;
        }
        exists = true;
    }
    make_private(s->path);
    kf_err he = sq_header_check(s, err);
    if (he != KF_OK)
        return he;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(s->path, &DB(s), flags, NULL);
    if (rc != SQLITE_OK) {
        kf_err e = sq_fail(s, rc, "open the journal", err);
        sq_close_db(s);
        return e;
    }
    sqlite3_busy_timeout(DB(s), KF_STORE_BUSY_MS);
    s->readonly = sqlite3_db_readonly(DB(s), "main") == 1;
    if (exists && !sq_readable(s)) {
        /* A WAL journal in a folder this user may not write: SQLite cannot
         * make the -shm file it needs even to read.  When no -wal file holds
         * unsaved pages, every committed entry is in the main file, and it
         * can be read as immutable.  Writes are then refused as read-only. */
        if (!sq_reopen_immutable(s)) {
            if (err)
                kf_buf_printf(err, "%s: cannot open the journal: its folder is "
                              "read-only for this user and %s-wal holds entries "
                              "not yet merged into it; open it once as its "
                              "owner (the files were left as they are)",
                              s->path, s->path);
            sq_close_db(s);
            return KF_EDB;
        }
    }
    kf_err e = sq_check(s, false, err);
    if (e != KF_OK) {
        sq_close_db(s);
        return e;
    }
    rc = sq_exec(s, "PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON;"
                    "PRAGMA synchronous = FULL");
    if (rc == SQLITE_OK && !s->readonly) {
        char mode[16];
        rc = sq_scalar(s, "PRAGMA journal_mode = WAL", NULL, mode, sizeof mode);
        if (rc == SQLITE_OK && strcmp(mode, "wal") != 0) {
            if (err)
                kf_buf_printf(err, "%s: cannot switch the journal to WAL mode "
                              "(it stays in %s mode); the file system may not "
                              "support shared memory", s->path, mode);
            sq_close_db(s);
            return KF_EDB;
        }
    }
    if (rc != SQLITE_OK) {
        e = sq_fail(s, rc, "prepare the journal", err);
        sq_close_db(s);
        return e;
    }
    e = sq_migrate(s, err);
    if (e != KF_OK)
        sq_close_db(s);
    else if (!s->readonly) {
        /* Checkpoints on their own thread (sq_wal_hook); the file grown
         * before a checkpoint writes to it (sq_grow_first). */
        sqlite3_wal_hook(DB(s), sq_wal_hook, s->be);
        sq_grow_first(DB(s));
    }
    return e;
}

/* ------------------------------------------------------------------ */
/* The hosted course's tables. */

/* Prepares `sql` and binds its parameters in order: `fmt` has one letter
 * per parameter, 'i' a long long, 's' a string (NULL binds NULL), 'd' a
 * double.  Returns the SQLite code; *out is the statement (finalize it). */
static int sq_stmt(kf__store_core *s, sqlite3_stmt **out, const char *sql,
                   const char *fmt, ...)
{
    *out = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, out, NULL);
    if (rc != SQLITE_OK)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i] && rc == SQLITE_OK; i++) {
        if (fmt[i] == 'i') {
            rc = sqlite3_bind_int64(*out, i + 1, va_arg(ap, long long));
        } else if (fmt[i] == 'd') {
            rc = sqlite3_bind_double(*out, i + 1, va_arg(ap, double));
        } else {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(*out, i + 1, v, -1, SQLITE_STATIC)
                   : sqlite3_bind_null(*out, i + 1);
        }
    }
    va_end(ap);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
    }
    return rc;
}

/* Steps a statement that returns no rows to its end and finalizes it;
 * *changes (may be NULL) gets the rows it changed. */
static int sq_done(kf__store_core *s, sqlite3_stmt *st, int *changes)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        rc = SQLITE_OK;
    if (changes)
        *changes = rc == SQLITE_OK ? sqlite3_changes(DB(s)) : 0;
    sqlite3_finalize(st);
    return rc;
}

/* Whether user `id` exists: 1, 0, or -1 on an error (code in *rc). */
static int sq_user_exists(kf__store_core *s, long long id, int *rc)
{
    sqlite3_stmt *st;
    *rc = sq_stmt(s, &st, "SELECT 1 FROM users WHERE id = ?1", "i", id);
    if (*rc != SQLITE_OK)
        return -1;
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r == SQLITE_ROW)
        return 1;
    if (r == SQLITE_DONE)
        return 0;
    *rc = r;
    return -1;
}

static kf_err sq_user_create(kf__store_core *s, const char *email,
                             const char *hash, const char *consent_at,
                             const char *created_at, kf_role role,
                             long long *id, kf_buf *err)
{
    sqlite3_stmt *st;
    int rc = sq_stmt(s, &st, "INSERT INTO users (email, password_hash, role, "
                     "created_at, consent_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                     "sssss", email, hash, kf_role_name(role), created_at,
                     consent_at);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, NULL);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        if (err)
            kf_buf_printf(err, "an account with that e-mail address exists "
                          "already");
        return KF_EEXIST;
    }
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "create the account", err);
    if (id)
        *id = sqlite3_last_insert_rowid(DB(s));
    return KF_OK;
}

static kf_err sq_user_get(kf__store_core *s, const char *email, long long id,
                          kf_user *out, kf_buf *err)
{
    sqlite3_stmt *st;
#define USER_COLS "SELECT id, email, password_hash, role, created_at, consent_at FROM users "
    int rc = email ? sq_stmt(s, &st, USER_COLS "WHERE email = ?1", "s", email)
                   : sq_stmt(s, &st, USER_COLS "WHERE id = ?1", "i", id);
#undef USER_COLS
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the account", err);
    rc = sqlite3_step(st);
    kf_err e = KF_OK;
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        snprintf(out->email, sizeof out->email, "%s", col_text(st, 1));
        snprintf(out->password_hash, sizeof out->password_hash, "%s",
                 col_text(st, 2));
        int r = kf_role_parse(col_text(st, 3));
        out->role = r < 0 ? KF_ROLE_USER : (kf_role)r;
        snprintf(out->created_at, sizeof out->created_at, "%s", col_text(st, 4));
        snprintf(out->consent_at, sizeof out->consent_at, "%s", col_text(st, 5));
    } else if (rc == SQLITE_DONE) {
        if (err)
            kf_buf_printf(err, "there is no such account");
        e = KF_ENOTFOUND;
    } else {
        e = sq_fail(s, rc, "read the account", err);
    }
    sqlite3_finalize(st);
    return e;
}

static kf_err sq_user_set(kf__store_core *s, long long id, int role,
                          const char *hash, kf_buf *err)
{
    sqlite3_stmt *st;
    int n = 0;
    int rc = sq_stmt(s, &st, "UPDATE users SET role = coalesce(?2, role), "
                     "password_hash = coalesce(?3, password_hash) WHERE id = ?1",
                     "iss", id, role >= 0 ? kf_role_name((kf_role)role) : NULL,
                     hash);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &n);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "change the account", err);
    if (n == 0) {
        if (err)
            kf_buf_printf(err, "there is no user #%lld", id);
        return KF_ENOTFOUND;
    }
    return KF_OK;
}

static kf_err sq_user_delete(kf__store_core *s, long long id, long long *n_rows,
                             kf_buf *err)
{
    static const char *const dels[] = {
        "DELETE FROM consultations WHERE owner = ?1",
        "DELETE FROM checkins WHERE owner = ?1",
        "DELETE FROM sessions WHERE user_id = ?1",
        "DELETE FROM rate_limits WHERE owner = ?1",
        "DELETE FROM questions WHERE owner = ?1",
        "DELETE FROM lesson_progress WHERE owner = ?1",
        "DELETE FROM users WHERE id = ?1",
    };
    int rc = sq_exec(s, "PRAGMA secure_delete = ON");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "delete the account", err);
    int ex = sq_user_exists(s, id, &rc);
    if (ex == 0) {
        sq_exec(s, "ROLLBACK");
        if (err)
            kf_buf_printf(err, "there is no user #%lld", id);
        return KF_ENOTFOUND;
    }
    long long total = 0;
    for (size_t i = 0; ex == 1 && rc == SQLITE_OK && i < KF_ARRAY_LEN(dels); i++) {
        sqlite3_stmt *st;
        int n = 0;
        rc = sq_stmt(s, &st, dels[i], "i", id);
        if (rc == SQLITE_OK)
            rc = sq_done(s, st, &n);
        total += n;
    }
    if (rc == SQLITE_OK) {
        /* Answers this user gave as a therapist stay with their askers. */
        sqlite3_stmt *st;
        rc = sq_stmt(s, &st, "UPDATE questions SET answered_by = 0 "
                     "WHERE answered_by = ?1", "i", id);
        if (rc == SQLITE_OK)
            rc = sq_done(s, st, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "COMMIT");
    if (rc != SQLITE_OK) {
        kf_err e = sq_fail(s, rc, "delete the account", err);
        sqlite3_exec(DB(s), "ROLLBACK", NULL, NULL, NULL);
        if (err)
            kf_buf_puts(err, "; nothing was deleted");
        return e;
    }
    sqlite3_wal_checkpoint_v2(DB(s), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (n_rows)
        *n_rows = total;
    return KF_OK;
}

static kf_err sq_session_create(kf__store_core *s, long long user_id,
                                const char *hash, const char *csrf,
                                const char *created_at, long long expires_at,
                                kf_buf *err)
{
    sqlite3_stmt *st;
    int n = 0;
    int rc = sq_stmt(s, &st, "INSERT INTO sessions (token_hash, user_id, csrf, "
                     "created_at, expires_at) SELECT ?1, ?2, ?3, ?4, ?5 "
                     "WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)",
                     "sissi", hash, user_id, csrf, created_at, expires_at);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &n);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        if (err)
            kf_buf_printf(err, "a session with that token exists already");
        return KF_EEXIST;
    }
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the session", err);
    if (n == 0) {
        if (err)
            kf_buf_printf(err, "there is no user #%lld", user_id);
        return KF_ENOTFOUND;
    }
    return KF_OK;
}

static kf_err sq_session_lookup(kf__store_core *s, const char *hash,
                                long long now, kf_session *out, kf_buf *err)
{
    sqlite3_stmt *st;
    int rc = sq_stmt(s, &st, "SELECT s.user_id, u.role, s.csrf, s.created_at, "
                     "s.expires_at FROM sessions s JOIN users u "
                     "ON u.id = s.user_id WHERE s.token_hash = ?1 "
                     "AND s.expires_at > ?2", "si", hash, now);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the session", err);
    rc = sqlite3_step(st);
    kf_err e = KF_OK;
    if (rc == SQLITE_ROW) {
        out->user_id = sqlite3_column_int64(st, 0);
        int r = kf_role_parse(col_text(st, 1));
        out->role = r < 0 ? KF_ROLE_USER : (kf_role)r;
        snprintf(out->csrf, sizeof out->csrf, "%s", col_text(st, 2));
        snprintf(out->created_at, sizeof out->created_at, "%s", col_text(st, 3));
        out->expires_at = sqlite3_column_int64(st, 4);
    } else if (rc == SQLITE_DONE) {
        if (err)
            kf_buf_printf(err, "no such session (or it expired)");
        e = KF_ENOTFOUND;
    } else {
        e = sq_fail(s, rc, "read the session", err);
    }
    sqlite3_finalize(st);
    return e;
}

static kf_err sq_session_extend(kf__store_core *s, const char *hash,
                                long long now, long long expires_at,
                                kf_buf *err)
{
    sqlite3_stmt *st;
    int n = 0;
    int rc = sq_stmt(s, &st, "UPDATE sessions SET expires_at = ?3 "
                     "WHERE token_hash = ?1 AND expires_at > ?2", "sii", hash,
                     now, expires_at);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &n);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "extend the session", err);
    if (n == 0) {
        if (err)
            kf_buf_printf(err, "no such session (or it expired)");
        return KF_ENOTFOUND;
    }
    return KF_OK;
}

static kf_err sq_session_delete(kf__store_core *s, const char *hash,
                                long long user_id, int *n, kf_buf *err)
{
    sqlite3_stmt *st;
    int k = 0;
    int rc = hash ? sq_stmt(s, &st, "DELETE FROM sessions WHERE token_hash = ?1",
                            "s", hash)
                  : sq_stmt(s, &st, "DELETE FROM sessions WHERE user_id = ?1",
                            "i", user_id);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &k);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "delete the session", err);
    if (n)
        *n = k;
    if (hash && k == 0) {
        if (err)
            kf_buf_printf(err, "no such session");
        return KF_ENOTFOUND;
    }
    return KF_OK;
}

static kf_err sq_expire(kf__store_core *s, long long now, int *n, kf_buf *err)
{
    sqlite3_stmt *st;
    int a = 0, b = 0;
    int rc = sq_stmt(s, &st, "DELETE FROM sessions WHERE expires_at <= ?1",
                     "i", now);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &a);
    if (rc == SQLITE_OK)
        rc = sq_stmt(s, &st, "DELETE FROM rate_limits WHERE window_end <= ?1",
                     "i", now - KF__RATE_KEEP_S);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &b);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "delete expired sessions", err);
    if (n)
        *n = a + b;
    return KF_OK;
}

static kf_err sq_rate_hit(kf__store_core *s, long long owner, const char *key,
                          int window_s, long long now, long long *count,
                          long long *window_end, kf_buf *err)
{
    sqlite3_stmt *st;
    /* One statement: SQLite runs it under the write lock, so hits from
     * several processes are counted one after the other. */
    int rc = sq_stmt(s, &st,
        "INSERT INTO rate_limits (key, owner, window_start, window_end, count) "
        "VALUES (?1, ?2, ?3, ?3 + ?4, 1) ON CONFLICT (key) DO UPDATE SET "
        "owner = CASE WHEN owner = 0 THEN excluded.owner ELSE owner END, "
        "window_start = CASE WHEN window_end <= ?3 THEN ?3 ELSE window_start END, "
        "count = CASE WHEN window_end <= ?3 THEN 1 ELSE count + 1 END, "
        "window_end = CASE WHEN window_end <= ?3 THEN ?3 + ?4 ELSE window_end END "
        "RETURNING count, window_end", "siii", key, owner, now,
        (long long)window_s);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "count the request", err);
    rc = sqlite3_step(st);
    kf_err e = KF_OK;
    if (rc == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        *window_end = sqlite3_column_int64(st, 1);
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE)
        e = sq_fail(s, rc, "count the request", err);
    sqlite3_finalize(st);
    return e;
}

static kf_err sq_rate_reset(kf__store_core *s, const char *key, kf_buf *err)
{
    sqlite3_stmt *st;
    int rc = sq_stmt(s, &st, "DELETE FROM rate_limits WHERE key = ?1", "s", key);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "reset the counter", err);
    return KF_OK;
}

static kf_err sq_question_add(kf__store_core *s, long long owner,
                              const kf_uquestion *q, const char *at,
                              long long *id, kf_buf *err)
{
    sqlite3_stmt *st;
    int n = 0;
    int rc = sq_stmt(s, &st,
        "INSERT INTO questions (owner, at, text, first_name, consultation_id, "
        "summary, public_ok, draft, triage) "
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
        "WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) AND (?5 = 0 OR "
        "EXISTS (SELECT 1 FROM consultations WHERE id = ?5 AND owner = ?1))",
        "isssisisi", owner, at, q->text, q->first_name ? q->first_name : "",
        q->consultation_id, q->summary ? q->summary : "",
        (long long)(q->public_ok ? 1 : 0), q->draft ? q->draft : "",
        (long long)q->triage);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &n);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the question", err);
    if (n == 0) {
        if (err) {
            if (q->consultation_id)
                kf_buf_printf(err, "there is no consultation #%lld of yours "
                              "to attach; nothing was saved", q->consultation_id);
            else
                kf_buf_printf(err, "there is no user #%lld; nothing was saved",
                              owner);
        }
        return KF_ENOTFOUND;
    }
    if (id)
        *id = sqlite3_last_insert_rowid(DB(s));
    return KF_OK;
}

/* ctx: a bool, true for the public Q&A (no owner, summary, draft or
 * therapist in it). */
static void sq_question_row(sqlite3_stmt *st, void *row, kf__arena *a,
                            const void *ctx)
{
    kf_uquestion *q = row;
    bool pub = *(const bool *)ctx;
    q->id = sqlite3_column_int64(st, 0);
    q->owner = pub ? 0 : sqlite3_column_int64(st, 1);
    snprintf(q->at, sizeof q->at, "%s", col_text(st, 2));
    q->text = kf__arena_strdup(a, col_text(st, 3));
    q->first_name = kf__arena_strdup(a, col_text(st, 4));
    if (!pub) {
        q->consultation_id = sqlite3_column_int64(st, 5);
        q->summary = kf__arena_strdup(a, col_text(st, 6));
        q->draft = kf__arena_strdup(a, col_text(st, 8));
        q->answered_by = sqlite3_column_int64(st, 11);
    }
    q->public_ok = sqlite3_column_int(st, 7) != 0;
    q->triage = sqlite3_column_int(st, 9);
    q->answer = sqlite3_column_type(st, 10) == SQLITE_NULL
                ? NULL : kf__arena_strdup(a, col_text(st, 10));
    snprintf(q->answered_at, sizeof q->answered_at, "%s", col_text(st, 12));
    q->published = sqlite3_column_int(st, 13) != 0;
}

static kf_err sq_question_list(kf__store_core *s, long long owner,
                               kf__qlist mode, long long id, int limit,
                               kf_uquestion_list *out, kf__arena *a,
                               kf_buf *err)
{
#define Q_COLS "SELECT id, owner, at, text, first_name, consultation_id, " \
    "summary, public_ok, draft, triage, answer, answered_by, answered_at, " \
    "published FROM questions "
    static const char *const sql[] = {
        [KF__Q_MINE] = Q_COLS "WHERE owner = ?1 ORDER BY at DESC, id DESC "
                       "LIMIT ?3",
        [KF__Q_ONE] = Q_COLS "WHERE owner = ?1 AND id = ?2 LIMIT ?3",
        [KF__Q_QUEUE] = Q_COLS "WHERE answer IS NULL ORDER BY "
                        KF__QUEUE_ORDER " LIMIT ?3",
        [KF__Q_PUBLIC] = Q_COLS "WHERE published = 1 AND public_ok = 1 AND "
                         "answer IS NOT NULL ORDER BY answered_at DESC, "
                         "id DESC LIMIT ?3",
    };
#undef Q_COLS
    sqlite3_stmt *st;
    int rc = sq_stmt(s, &st, sql[mode], "iii", owner, id,
                     (long long)(limit > 0 ? limit : -1));
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the questions", err);
    bool pub = mode == KF__Q_PUBLIC;
    return SQ_READ_LIST(s, st, out, sq_question_row, &pub, a, "the questions",
                        err);
}

static kf_err sq_question_set_draft(kf__store_core *s, long long id,
                                    const char *draft, kf_buf *err)
{
    sqlite3_stmt *st;
    int n = 0;
    int rc = sq_stmt(s, &st, "UPDATE questions SET draft = ?2 WHERE id = ?1",
                     "is", id, draft);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &n);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the draft", err);
    if (n == 0) {
        if (err)
            kf_buf_printf(err, "there is no question #%lld", id);
        return KF_ENOTFOUND;
    }
    return KF_OK;
}

static kf_err sq_question_answer(kf__store_core *s, long long id,
                                 long long therapist_id, const char *text,
                                 bool publish, const char *at, kf_buf *err)
{
    int rc = sq_exec(s, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the answer", err);
    sqlite3_stmt *st;
    kf_err e = KF_OK;
    rc = sq_stmt(s, &st, "SELECT public_ok FROM questions WHERE id = ?1", "i", id);
    if (rc == SQLITE_OK) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE) {
            if (err)
                kf_buf_printf(err, "there is no question #%lld", id);
            e = KF_ENOTFOUND;
        } else if (r == SQLITE_ROW) {
            if (publish && sqlite3_column_int(st, 0) == 0) {
                if (err)
                    kf_buf_printf(err, "question #%lld cannot be published: "
                                  "its asker did not consent to that", id);
                e = KF_EINVAL;
            }
        } else {
            rc = r;
        }
        sqlite3_finalize(st);
    }
    if (rc == SQLITE_OK && e == KF_OK) {
        int ex = sq_user_exists(s, therapist_id, &rc);
        if (ex == 0) {
            if (err)
                kf_buf_printf(err, "there is no user #%lld", therapist_id);
            e = KF_ENOTFOUND;
        }
    }
    if (rc == SQLITE_OK && e == KF_OK) {
        rc = sq_stmt(s, &st, "UPDATE questions SET answer = ?2, answered_by = ?3, "
                     "answered_at = ?4, published = ?5 WHERE id = ?1", "isisi",
                     id, text, therapist_id, at, (long long)(publish ? 1 : 0));
        if (rc == SQLITE_OK)
            rc = sq_done(s, st, NULL);
    }
    if (rc == SQLITE_OK && e == KF_OK)
        rc = sq_exec(s, "COMMIT");
    if (rc != SQLITE_OK || e != KF_OK) {
        if (rc != SQLITE_OK)
            e = sq_fail(s, rc, "save the answer", err);
        sqlite3_exec(DB(s), "ROLLBACK", NULL, NULL, NULL);
    }
    return e;
}

static kf_err sq_lesson_done(kf__store_core *s, long long owner,
                             const char *lesson_id, const char *at, bool *first,
                             kf_buf *err)
{
    sqlite3_stmt *st;
    int n = 0;
    int rc = sq_stmt(s, &st, "INSERT INTO lesson_progress (owner, lesson_id, "
                     "done_at) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM "
                     "users WHERE id = ?1) ON CONFLICT DO NOTHING", "iss",
                     owner, lesson_id, at);
    if (rc == SQLITE_OK)
        rc = sq_done(s, st, &n);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "save the lesson", err);
    if (n == 0) {
        int ex = sq_user_exists(s, owner, &rc);
        if (ex < 0)
            return sq_fail(s, rc, "save the lesson", err);
        if (ex == 0)
            return no_owner(owner, err);
    }
    if (first)
        *first = n > 0;
    return KF_OK;
}

static void sq_lesson_row(sqlite3_stmt *st, void *row, kf__arena *a,
                          const void *ctx)
{
    kf_lesson_mark *m = row;
    m->lesson_id = kf__arena_strdup(a, col_text(st, 0));
    snprintf(m->done_at, sizeof m->done_at, "%s", col_text(st, 1));
}

static kf_err sq_lessons_list(kf__store_core *s, long long owner,
                              kf_lesson_list *out, kf__arena *a, kf_buf *err)
{
    sqlite3_stmt *st;
    int rc = sq_stmt(s, &st, "SELECT lesson_id, done_at FROM lesson_progress "
                     "WHERE owner = ?1 ORDER BY done_at, lesson_id", "i", owner);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the lessons", err);
    return SQ_READ_LIST(s, st, out, sq_lesson_row, NULL, a, "the lessons", err);
}

static kf_err sq_open(kf__store_core *s, kf_buf *err)
{
    s->be = kf_calloc(1, sizeof(sq_be));
    if (!s->be) {
        if (err)
            kf_buf_printf(err, "%s: cannot open the journal: out of memory",
                          s->path);
        return KF_ENOMEM;
    }
    kf_err e = sq_open_file(s, err);
    if (e != KF_OK) {
        sq_close_db(s);
        kf_free(s->be);
        s->be = NULL;
    }
    return e;
}

static void sq_close(kf__store_core *s)
{
    if (!s->be)
        return;
    sq_close_db(s);
    kf_free(s->be);
    s->be = NULL;
}

const kf__store_ops kf__sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .check = sq_check,
    .add_consultation = sq_add_consultation,
    .add_consultations = sq_add_consultations,
    .add_checkin = sq_add_checkin,
    .list_checkins = sq_list_checkins,
    .list_consultations = sq_list_consultations,
    .forget = sq_forget,
    .user_create = sq_user_create,
    .user_get = sq_user_get,
    .user_set = sq_user_set,
    .user_delete = sq_user_delete,
    .session_create = sq_session_create,
    .session_lookup = sq_session_lookup,
    .session_extend = sq_session_extend,
    .session_delete = sq_session_delete,
    .expire = sq_expire,
    .rate_hit = sq_rate_hit,
    .rate_reset = sq_rate_reset,
    .question_add = sq_question_add,
    .question_list = sq_question_list,
    .question_set_draft = sq_question_set_draft,
    .question_answer = sq_question_answer,
    .lesson_done = sq_lesson_done,
    .lessons_list = sq_lessons_list,
};
