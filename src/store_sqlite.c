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
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "Knot" in ASCII: marks a knotfinder journal file. */
#define KF_APP_ID 0x4b6e6f74

/* The backend's state behind kf__store_core.be. */
typedef struct {
    sqlite3      *db;
    sqlite3_stmt *ins_checkin;       /* kept prepared: one per connection */
    sqlite3_stmt *ins_consultation;
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

static kf_err sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC) == SQLITE_OK
           ? KF_OK : KF_ENOMEM;
}

static kf_err sq_add_consultation(kf__store_core *s, long long owner,
                                  const char *at, const char *text,
                                  const char *findings, const char *kb_version,
                                  long long *id, kf_buf *err)
{
    sq_be *b = s->be;
    int rc;
    if (!b->ins_consultation) {
        rc = sqlite3_prepare_v3(DB(s),
            "INSERT INTO consultations (at, text, findings, kb_version) "
            "VALUES (?1, ?2, ?3, ?4)", -1, SQLITE_PREPARE_PERSISTENT,
            &b->ins_consultation, NULL);
        if (rc != SQLITE_OK)
            return sq_fail(s, rc, "save the consultation", err);
    }
    sqlite3_stmt *st = b->ins_consultation;
    sq_bind_text(st, 1, at);
    sq_bind_text(st, 2, text);
    sq_bind_text(st, 3, findings);
    sq_bind_text(st, 4, kb_version);
    rc = sqlite3_step(st);
    kf_err e = KF_OK;
    if (rc != SQLITE_DONE) {
        e = sq_fail(s, rc, "save the consultation", err);
        if (err)
            kf_buf_puts(err, "; nothing was saved");
    } else if (id) {
        *id = sqlite3_last_insert_rowid(DB(s));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

static kf_err sq_add_checkin(kf__store_core *s, long long owner,
                             const kf_checkin *c, const char *at,
                             long long *id, kf_buf *err)
{
    int rc;
    if (!((sq_be *)s->be)->ins_checkin) {
        rc = sqlite3_prepare_v3(DB(s),
            "INSERT INTO checkins (at, pain, pain_before, region, side, did, "
            "relief_hours, worse_after, done_s, stopped_early, via, note) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
    rc = sqlite3_step(st);
    kf_err e = KF_OK;
    if (rc != SQLITE_DONE) {
        e = sq_fail(s, rc, "save the check-in", err);
        if (err)
            kf_buf_puts(err, "; nothing was saved");
    } else if (id) {
        *id = sqlite3_last_insert_rowid(DB(s));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static kf_err sq_list_checkins(kf__store_core *s, long long owner,
                               const char *since, int limit,
                               kf_checkin_list *out, kf__arena *a, kf_buf *err)
{
#define CHECKIN_COLS "id, at, pain, pain_before, region, side, did, " \
    "relief_hours, worse_after, done_s, stopped_early, via, note"
    const char *sql = limit > 0
        ? "SELECT * FROM (SELECT " CHECKIN_COLS " FROM checkins WHERE at >= ?1 "
          "ORDER BY at DESC, id DESC LIMIT ?2) ORDER BY at, id"
        : "SELECT " CHECKIN_COLS " FROM checkins WHERE at >= ?1 ORDER BY at, id";
#undef CHECKIN_COLS
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the check-ins", err);
    sq_bind_text(st, 1, since ? since : "");
    if (limit > 0)
        sqlite3_bind_int(st, 2, limit);
    int cap = 0;
    kf_err e = KF_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            int nc = cap ? cap * 2 : 64;
            kf_checkin *v = kf_realloc(out->v, (size_t)nc * sizeof *v);
            if (!v) {
                e = KF_ENOMEM;
                break;
            }
            out->v = v;
            cap = nc;
        }
        kf_checkin *c = &out->v[out->n];
        memset(c, 0, sizeof *c);
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
        out->n++;
        if (a->oom) {
            e = KF_ENOMEM;
            break;
        }
    }
    if (e == KF_OK && rc != SQLITE_DONE)
        e = sq_fail(s, rc, "read the check-ins", err);
    else if (e == KF_ENOMEM && err)
        kf_buf_printf(err, "%s: cannot read the check-ins: out of memory",
                      s->path);
    sqlite3_finalize(st);
    return e;
}

static kf_err sq_list_consultations(kf__store_core *s, long long owner,
                                    int limit,
                                    kf_consultation_list *out, kf__arena *a,
                                    kf_buf *err)
{
#define CONS_COLS "id, at, text, findings, kb_version"
    const char *sql = limit > 0
        ? "SELECT * FROM (SELECT " CONS_COLS " FROM consultations "
          "ORDER BY at DESC, id DESC LIMIT ?1) ORDER BY at, id"
        : "SELECT " CONS_COLS " FROM consultations ORDER BY at, id";
#undef CONS_COLS
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "read the consultations", err);
    if (limit > 0)
        sqlite3_bind_int(st, 1, limit);
    int cap = 0;
    kf_err e = KF_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            int nc = cap ? cap * 2 : 16;
            kf_consultation *v = kf_realloc(out->v, (size_t)nc * sizeof *v);
            if (!v) {
                e = KF_ENOMEM;
                break;
            }
            out->v = v;
            cap = nc;
        }
        kf_consultation *c = &out->v[out->n];
        memset(c, 0, sizeof *c);
        c->id = sqlite3_column_int64(st, 0);
        snprintf(c->at, sizeof c->at, "%s", col_text(st, 1));
        c->text = kf__arena_strdup(a, col_text(st, 2));
        c->findings_json = kf__arena_strdup(a, col_text(st, 3));
        c->kb_version = kf__arena_strdup(a, col_text(st, 4));
        out->n++;
        if (a->oom) {
            e = KF_ENOMEM;
            break;
        }
    }
    if (e == KF_OK && rc != SQLITE_DONE)
        e = sq_fail(s, rc, "read the consultations", err);
    else if (e == KF_ENOMEM && err)
        kf_buf_printf(err, "%s: cannot read the consultations: out of memory",
                      s->path);
    sqlite3_finalize(st);
    return e;
}

/* Runs one DELETE with an optional id; the number of rows goes to *n. */
static int sq_delete(kf__store_core *s, const char *sql, long long id, int *n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, id);
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
        rc = sq_delete(s, what == KF_FORGET_ALL ? "DELETE FROM consultations"
                          : "DELETE FROM consultations WHERE id = ?1", id, &nc);
    if (rc == SQLITE_OK && (what == KF_FORGET_CHECKIN || what == KF_FORGET_ALL))
        rc = sq_delete(s, what == KF_FORGET_ALL ? "DELETE FROM checkins"
                          : "DELETE FROM checkins WHERE id = ?1", id, &nk);
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
    b->ins_checkin = b->ins_consultation = NULL;
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
    /* quick_check reads every page once: a few milliseconds for years of
     * check-ins, and it turns a damaged file into a clear message now
     * rather than a surprise in the middle of a write. */
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
    kf_err e = sq_check(s, true, err);
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
    return e;
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
    .add_checkin = sq_add_checkin,
    .list_checkins = sq_list_checkins,
    .list_consultations = sq_list_consultations,
    .forget = sq_forget,
};
