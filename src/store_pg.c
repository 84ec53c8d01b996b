/*
 * store_pg.c — the PostgreSQL backend of the journal store (store.h), for
 * the hosted course: chosen by kf_store_open() for a postgres:// or
 * postgresql:// URI (libpq's own URI syntax, passed to PQconnectdb as it
 * is, so host, port, dbname, sslmode, host=/path for a socket folder...
 * all work).
 *
 * Choices, and why:
 *  - No state on a connection outside a transaction, so PgBouncer in
 *    transaction pooling mode can sit in front: every statement is sent
 *    with PQexecParams (the unnamed statement: parse, bind and execute in
 *    one round trip, never a named prepared statement that another client
 *    of the pooler would not have), no SET, no LISTEN, no session advisory
 *    lock (the migration lock is pg_advisory_xact_lock, released with its
 *    transaction), no temporary tables.
 *  - Every value goes as a parameter, in text form; no SQL is built from
 *    data.  Parameters in an INSERT ... SELECT carry explicit casts (their
 *    type cannot be inferred there).
 *  - A pool of up to KF_STORE_PG_POOL connections, made when first needed
 *    and shared by the threads: a call takes a free one (or waits), uses it
 *    alone and gives it back.  The backend says it is `concurrent`, so
 *    store.c does not serialise calls behind one mutex.
 *  - A broken connection (the server restarted, a pooler dropped it) is
 *    found before anything is sent on it (pg_alive: PQstatus, and any
 *    input waiting on an idle connection, which is the server closing it)
 *    and replaced, so the first call after a restart works.  When it
 *    breaks under a call: a read is tried once more on a new connection;
 *    so is a write when nothing can have committed (the statement could
 *    not be sent, or the transaction broke before its COMMIT was sent:
 *    the server rolled it back).  Only when a committing statement (one
 *    outside a transaction, or COMMIT) was sent and no answer came is the
 *    outcome unknown: KF_EDB says so, never tried twice (no duplicate).
 *  - Durability is the server's: a write is acknowledged after its COMMIT
 *    returned, with synchronous_commit as the server has it (on by
 *    default: the WAL is flushed first).
 *  - Errors carry PostgreSQL's message and the URI with its password
 *    replaced by "***" (kf__store_core.path); the URI itself only reaches
 *    PQconnectdb.
 *  - libpq is loaded with dlopen() when a PostgreSQL store is first opened,
 *    not linked: the local single-user mode never loads it (linking it cost
 *    every process ~10M instructions at start, for libpq and the TLS,
 *    Kerberos and LDAP libraries it pulls in).  Without it (Debian package
 *    libpq5) a PostgreSQL URI gets a clear KF_EDB.
 *  - A connection to a server in recovery (a hot-standby replica) opens the
 *    store read-only: reads work, writes are refused with a clear KF_EDB.
 *  - Writes by a scoped handle check that the owner exists in the same
 *    statement (... WHERE EXISTS (SELECT 1 FROM users WHERE id = $n FOR KEY
 *    SHARE)), and deleting a user deletes the users row first, so a write
 *    racing with the deletion either commits before it (and is deleted
 *    with the rest) or finds no user: nothing is left behind.
 */
#include "store_impl.h"

#include <dlfcn.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* libpq, loaded on first use. */

#define PQ_FUNCS(X) X(PQconnectdb) X(PQstatus) X(PQerrorMessage) X(PQfinish) \
    X(PQreset) X(PQtransactionStatus) X(PQexecParams) X(PQexec)             \
    X(PQresultStatus) X(PQresultErrorMessage) X(PQresultErrorField)         \
    X(PQclear) X(PQntuples) X(PQgetvalue) X(PQgetisnull) X(PQcmdTuples)     \
    X(PQsetNoticeProcessor) X(PQsendQueryParams) X(PQsendQuery)              \
    X(PQgetResult) X(PQsocket) X(PQconsumeInput)

static struct {
#define X(f) __typeof__(f) *f;
    PQ_FUNCS(X)
#undef X
} pq;

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static bool pq_ok;
static char pq_why[300];

static void pq_load(void)
{
    void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(pq_why, sizeof pq_why, "%s", e ? e : "not found");
        return;
    }
    bool ok = true;
#define X(f) if (ok && !(*(void **)&pq.f = dlsym(h, #f))) { \
        ok = false; \
        snprintf(pq_why, sizeof pq_why, "libpq.so.5 lacks %s", #f); }
    PQ_FUNCS(X)
#undef X
    pq_ok = ok;
}

/* From here on, a libpq call goes through the table. */
#define PQconnectdb pq.PQconnectdb
#define PQstatus pq.PQstatus
#define PQerrorMessage pq.PQerrorMessage
#define PQfinish pq.PQfinish
#define PQreset pq.PQreset
#define PQtransactionStatus pq.PQtransactionStatus
#define PQexecParams pq.PQexecParams
#define PQexec pq.PQexec
#define PQresultStatus pq.PQresultStatus
#define PQresultErrorMessage pq.PQresultErrorMessage
#define PQresultErrorField pq.PQresultErrorField
#define PQclear pq.PQclear
#define PQntuples pq.PQntuples
#define PQgetvalue pq.PQgetvalue
#define PQgetisnull pq.PQgetisnull
#define PQcmdTuples pq.PQcmdTuples
#define PQsetNoticeProcessor pq.PQsetNoticeProcessor
#define PQsendQueryParams pq.PQsendQueryParams
#define PQsendQuery pq.PQsendQuery
#define PQgetResult pq.PQgetResult
#define PQsocket pq.PQsocket
#define PQconsumeInput pq.PQconsumeInput

/* Tables every migration made, for the full check and the tests. */
static const char *const pg_tables[] = {
    "schema_version", "consultations", "checkins", "users", "sessions",
    "rate_limits", "questions", "lesson_progress",
};

/* Migration N is pg_migrations[N - 1], the same logical schema as
 * store_sqlite.c's at every version (ids BIGINT identity, relief hours
 * DOUBLE PRECISION, times as canonical ISO-8601 text, flags as 0/1).
 * Never edit a released entry; add a new one. */
static const char *const pg_migrations[] = {
    /* 1: consultations and check-ins. */
    "CREATE TABLE consultations (\n"
    "  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  at          TEXT NOT NULL CHECK (length(at) = 20),\n"
    "  text        TEXT NOT NULL,\n"
    "  findings    TEXT NOT NULL,\n"
    "  result      TEXT NOT NULL,\n"
    "  kb_version  TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX consultations_at ON consultations (at);\n"
    "CREATE TABLE checkins (\n"
    "  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  at            TEXT NOT NULL CHECK (length(at) = 20),\n"
    "  pain          INTEGER NOT NULL CHECK (pain BETWEEN 0 AND 10),\n"
    "  pain_before   INTEGER CHECK (pain_before BETWEEN 0 AND 10),\n"
    "  region        TEXT,\n"
    "  side          TEXT NOT NULL DEFAULT ''\n"
    "                CHECK (side IN ('', 'left', 'right', 'both')),\n"
    "  did           TEXT NOT NULL DEFAULT '',\n"
    "  relief_hours  DOUBLE PRECISION CHECK (relief_hours BETWEEN 0 AND 8760),\n"
    "  worse_after   TEXT NOT NULL DEFAULT '',\n"
    "  done_s        INTEGER CHECK (done_s >= 0),\n"
    "  stopped_early INTEGER NOT NULL DEFAULT 0 CHECK (stopped_early IN (0, 1)),\n"
    "  via           TEXT NOT NULL DEFAULT 'cli',\n"
    "  note          TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE INDEX checkins_at ON checkins (at);\n",
    /* 2: a consultation keeps the words, the findings and the KB version,
     * not its result. */
    "ALTER TABLE consultations DROP COLUMN result;\n",
    /* 3: the hosted course (see store_sqlite.c, migration 3). */
    "ALTER TABLE consultations ADD COLUMN owner BIGINT NOT NULL DEFAULT 0;\n"
    "ALTER TABLE checkins ADD COLUMN owner BIGINT NOT NULL DEFAULT 0;\n"
    "DROP INDEX IF EXISTS consultations_at;\n"
    "DROP INDEX IF EXISTS checkins_at;\n"
    "CREATE INDEX consultations_owner_at ON consultations (owner, at);\n"
    "CREATE INDEX checkins_owner_at ON checkins (owner, at);\n"
    "CREATE TABLE users (\n"
    "  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  email         TEXT NOT NULL UNIQUE,\n"
    "  password_hash TEXT NOT NULL,\n"
    "  role          TEXT NOT NULL DEFAULT 'user'\n"
    "                CHECK (role IN ('user', 'therapist')),\n"
    "  created_at    TEXT NOT NULL CHECK (length(created_at) = 20),\n"
    "  consent_at    TEXT NOT NULL CHECK (length(consent_at) = 20)\n"
    ");\n"
    "CREATE TABLE sessions (\n"
    "  token_hash TEXT PRIMARY KEY,\n"
    "  user_id    BIGINT NOT NULL,\n"
    "  csrf       TEXT NOT NULL,\n"
    "  created_at TEXT NOT NULL,\n"
    "  expires_at BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX sessions_user ON sessions (user_id);\n"
    "CREATE INDEX sessions_expires ON sessions (expires_at);\n"
    "CREATE TABLE rate_limits (\n"
    "  key          TEXT PRIMARY KEY,\n"
    "  owner        BIGINT NOT NULL DEFAULT 0,\n"
    "  window_start BIGINT NOT NULL,\n"
    "  window_end   BIGINT NOT NULL,\n"
    "  count        BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX rate_limits_owner ON rate_limits (owner);\n"
    "CREATE INDEX rate_limits_end ON rate_limits (window_end);\n"
    "CREATE TABLE questions (\n"
    "  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  owner           BIGINT NOT NULL,\n"
    "  at              TEXT NOT NULL CHECK (length(at) = 20),\n"
    "  text            TEXT NOT NULL,\n"
    "  first_name      TEXT NOT NULL DEFAULT '',\n"
    "  consultation_id BIGINT NOT NULL DEFAULT 0,\n"
    "  summary         TEXT NOT NULL DEFAULT '',\n"
    "  public_ok       INTEGER NOT NULL DEFAULT 0 CHECK (public_ok IN (0, 1)),\n"
    "  draft           TEXT NOT NULL DEFAULT '',\n"
    "  triage          INTEGER NOT NULL DEFAULT -1 CHECK (triage BETWEEN -1 AND 3),\n"
    "  answer          TEXT,\n"
    "  answered_by     BIGINT NOT NULL DEFAULT 0,\n"
    "  answered_at     TEXT NOT NULL DEFAULT '',\n"
    "  published       INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1))\n"
    ");\n"
    "CREATE INDEX questions_owner ON questions (owner, at);\n"
    "CREATE INDEX questions_open ON questions (at) WHERE answer IS NULL;\n"
    "CREATE INDEX questions_public ON questions (answered_at)\n"
    "  WHERE published = 1 AND public_ok = 1;\n"
    "CREATE INDEX questions_answered_by ON questions (answered_by);\n"
    "CREATE TABLE lesson_progress (\n"
    "  owner     BIGINT NOT NULL,\n"
    "  lesson_id TEXT NOT NULL,\n"
    "  done_at   TEXT NOT NULL CHECK (length(done_at) = 20),\n"
    "  PRIMARY KEY (owner, lesson_id)\n"
    ");\n",
};

_Static_assert(KF_ARRAY_LEN(pg_migrations) == KF_STORE_SCHEMA,
               "one migration per schema version");

/* The key of the transaction-level advisory lock that serialises
 * migrations from several servers: "Knot". */
#define PG_MIGRATE_LOCK "1265790836"

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    PGconn         *conn[KF_STORE_PG_POOL];
    bool            busy[KF_STORE_PG_POOL];
} pg_be;

#define BE(s) ((pg_be *)(s)->be)

/* ------------------------------------------------------------------ */
/* Errors. */

/* PostgreSQL's message on one line, without its trailing newline. */
static void add_pg_message(kf_buf *err, const char *msg)
{
    size_t n = msg ? strlen(msg) : 0;
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    for (size_t i = 0; i < n; i++)
        kf_buf_add(err, msg[i] == '\n' ? " " : msg + i, 1);
}

/* "URI: cannot WHAT: PostgreSQL: message"; KF_EDB. */
static kf_err pg_fail(kf__store_core *s, PGconn *c, const PGresult *r,
                      const char *what, kf_buf *err)
{
    if (err) {
        kf_buf_printf(err, "%s: cannot %s: PostgreSQL: ", s->path, what);
        const char *m = r ? PQresultErrorMessage(r) : NULL;
        if (!m || !*m)
            m = c ? PQerrorMessage(c) : "no connection";
        add_pg_message(err, m);
    }
    return KF_EDB;
}

static const char *sqlstate(const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st ? st : "";
}

/* ------------------------------------------------------------------ */
/* The pool. */

/* A new connection; NULL with a message when it cannot be made. */
/* PostgreSQL's notices ("... already exists, skipping") are not for the
 * person at the terminal. */
static void pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *pg_connect(kf__store_core *s, kf_buf *err)
{
    PGconn *c = PQconnectdb(s->conninfo);
    if (c)
        PQsetNoticeProcessor(c, pg_quiet, NULL);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        if (err) {
            kf_buf_printf(err, "%s: cannot connect to PostgreSQL: ", s->path);
            add_pg_message(err, c ? PQerrorMessage(c) : "out of memory");
        }
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Whether an idle pooled connection can take a statement.  libpq learns
 * that the server closed a connection only when it reads from it, so
 * PQstatus alone still says CONNECTION_OK after a server restart, a
 * pg_terminate_backend or a pooler's idle timeout, and the first statement
 * sent would fail after it left, its outcome unknown.  An idle connection
 * (no query of ours in flight, no LISTEN) has nothing to say: anything
 * readable on its socket (the server's "terminating connection" message,
 * end of file) means it is going away, so it is replaced before anything
 * is sent.  One poll() with no wait: no round trip. */
static bool pg_alive(PGconn *c)
{
    if (PQstatus(c) != CONNECTION_OK)
        return false;
    struct pollfd p = { .fd = PQsocket(c), .events = POLLIN };
    if (p.fd < 0)
        return false;
    int n;
    do
        n = poll(&p, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return true;
    /* Read what is there (libpq then marks a closed one CONNECTION_BAD);
     * either way the connection is not handed on. */
    PQconsumeInput(c);
    return false;
}

/* Takes a connection of the pool (waiting when all are in use); NULL with
 * a message when none can be made.  *slot gets its index. */
static PGconn *pg_acquire(kf__store_core *s, int *slot, kf_buf *err)
{
    pg_be *b = BE(s);
    pthread_mutex_lock(&b->mu);
    int k = -1;
    for (;;) {
        /* An idle open connection first, else an empty slot. */
        for (int i = 0; i < KF_STORE_PG_POOL && k < 0; i++)
            if (!b->busy[i] && b->conn[i])
                k = i;
        for (int i = 0; i < KF_STORE_PG_POOL && k < 0; i++)
            if (!b->busy[i])
                k = i;
        if (k >= 0)
            break;
        pthread_cond_wait(&b->cv, &b->mu);
    }
    b->busy[k] = true;
    PGconn *c = b->conn[k];
    pthread_mutex_unlock(&b->mu);
    if (c && !pg_alive(c)) {
        PQreset(c);
        if (PQstatus(c) != CONNECTION_OK) {
            PQfinish(c);
            c = NULL;
        }
    }
    if (!c)
        c = pg_connect(s, err);
    pthread_mutex_lock(&b->mu);
    b->conn[k] = c;
    if (!c) {
        b->busy[k] = false;
        pthread_cond_signal(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    *slot = k;
    return c;
}

/* Gives a connection back.  One left inside a transaction (an error path
 * that could not roll back) or broken is closed, never handed on. */
static void pg_release(kf__store_core *s, int slot)
{
    pg_be *b = BE(s);
    pthread_mutex_lock(&b->mu);
    PGconn *c = b->conn[slot];
    if (c && (PQstatus(c) != CONNECTION_OK ||
              PQtransactionStatus(c) != PQTRANS_IDLE)) {
        PQfinish(c);
        b->conn[slot] = NULL;
    }
    b->busy[slot] = false;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* ------------------------------------------------------------------ */
/* Statements. */

#define PG_MAXP 16

/* Parameters in text form: `fmt` has one letter per parameter, 'i' a long
 * long, 'd' a double, 's' a string (NULL sends NULL), 'b' a bool (0/1). */
typedef struct {
    int         n;
    const char *v[PG_MAXP];
    char        num[PG_MAXP][32];
} pg_params;

static void pg_vparams(pg_params *p, const char *fmt, va_list ap)
{
    p->n = 0;
    for (int i = 0; fmt[i] && i < PG_MAXP; i++, p->n++) {
        switch (fmt[i]) {
        case 'i':
            snprintf(p->num[i], sizeof p->num[i], "%lld", va_arg(ap, long long));
            p->v[i] = p->num[i];
            break;
        case 'd':
            snprintf(p->num[i], sizeof p->num[i], "%.17g", va_arg(ap, double));
            p->v[i] = p->num[i];
            break;
        case 'b':
            p->v[i] = va_arg(ap, int) ? "1" : "0";
            break;
        default:
            p->v[i] = va_arg(ap, const char *);
        }
    }
}

/* Statements sent to PostgreSQL by this process (one round trip each). */
static atomic_llong pg_statements;

long long kf_store_pg_statements(void)
{
    return atomic_load(&pg_statements);
}

/* Set, for the write in progress on this thread, when a statement that may
 * have committed (one outside a transaction, or COMMIT) left for the server
 * and the connection broke before its answer came: only then is the
 * outcome unknown.  A statement that could not be sent, or a break inside
 * a transaction before its COMMIT was sent (the server rolls it back),
 * changed nothing, and pg_write tries again on a new connection. */
static _Thread_local bool t_unknown;

/* Sends one statement (with parameters when `params`) and waits for its
 * results: the last one, or the first error; NULL when nothing came back
 * (the connection's message says why). */
static PGresult *pg_exec(PGconn *c, const char *sql, bool params, int n,
                         const char *const *v)
{
    PGTransactionStatusType ts = PQtransactionStatus(c);
    bool commits = ts == PQTRANS_IDLE ? strncmp(sql, "BEGIN", 5) != 0
                                      : !strcmp(sql, "COMMIT");
    int sent = params ? PQsendQueryParams(c, sql, n, NULL, v, NULL, NULL, 0)
                      : PQsendQuery(c, sql);
    if (!sent)
        return NULL;              /* it never left: nothing happened */
    atomic_fetch_add(&pg_statements, 1);
    PGresult *res = NULL, *r;
    while ((r = PQgetResult(c))) {
        bool keep_old = res && PQresultStatus(res) == PGRES_FATAL_ERROR;
        if (keep_old) {
            PQclear(r);
        } else {
            PQclear(res);
            res = r;
        }
    }
    if (commits && PQstatus(c) != CONNECTION_OK)
        t_unknown = true;
    return res;
}

/* Runs one statement on `c`; returns its result (PQclear it) or NULL on
 * an error, with the message.  `want` is PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK.  *st (may be NULL) gets the SQLSTATE of a failure. */
static PGresult *pg_run(kf__store_core *s, PGconn *c, ExecStatusType want,
                        const char *what, kf_buf *err, char st[6],
                        const char *sql, const char *fmt, ...)
{
    pg_params p;
    va_list ap;
    va_start(ap, fmt);
    pg_vparams(&p, fmt, ap);
    va_end(ap);
    PGresult *r = pg_exec(c, sql, true, p.n, p.v);
    if (st)
        st[0] = '\0';
    if (!r || PQresultStatus(r) != want) {
        if (st)
            snprintf(st, 6, "%s", sqlstate(r));
        pg_fail(s, c, r, what, err);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Runs a statement without parameters and results (BEGIN, COMMIT...). */
static bool pg_cmd(PGconn *c, const char *sql)
{
    PGresult *r = pg_exec(c, sql, false, 0, NULL);
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

static void pg_rollback(PGconn *c)
{
    if (PQtransactionStatus(c) != PQTRANS_IDLE)
        pg_cmd(c, "ROLLBACK");
}

static long long pg_ll(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static const char *pg_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static long long pg_affected(const PGresult *r)
{
    const char *t = PQcmdTuples((PGresult *)r);
    return t && *t ? strtoll(t, NULL, 10) : 0;
}

/* A write for an owner that has no account. */
static kf_err no_owner(long long owner, kf_buf *err)
{
    if (err)
        kf_buf_printf(err, "there is no user #%lld; nothing was saved", owner);
    return KF_ENOTFOUND;
}

/* Whether a failed statement broke the connection (then it is reset at
 * its next use). */
static bool broken(PGconn *c)
{
    return PQstatus(c) != CONNECTION_OK;
}

/* Adds what a failed write must say when the connection broke under it. */
static void note_write_unknown(PGconn *c, kf_buf *err)
{
    if (err && broken(c))
        kf_buf_puts(err, "; the connection to the database broke, so whether "
                    "it was saved is not known: look before you try again");
}

/* ------------------------------------------------------------------ */
/* Open, migrate, check. */

static kf_err pg_read_version(kf__store_core *s, PGconn *c, int *version,
                              kf_buf *err)
{
    *version = 0;
    PGresult *r = pg_run(s, c, PGRES_TUPLES_OK, "read the schema version", err,
                         NULL, "SELECT to_regclass('schema_version') IS NOT NULL",
                         "");
    if (!r)
        return KF_EDB;
    bool has = !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (!has)
        return KF_OK;
    r = pg_run(s, c, PGRES_TUPLES_OK, "read the schema version", err, NULL,
               "SELECT coalesce(max(version), 0) FROM schema_version", "");
    if (!r)
        return KF_EDB;
    *version = (int)pg_ll(r, 0, 0);
    PQclear(r);
    return KF_OK;
}

static kf_err pg_migrate_on(kf__store_core *s, PGconn *c, kf_buf *err)
{
    int version;
    kf_err e = pg_read_version(s, c, &version, err);
    if (e != KF_OK)
        return e;
    if (version > KF_STORE_SCHEMA) {
        if (err)
            kf_buf_printf(err, "%s: the database has schema version %d, newer "
                          "than this knotfinder understands (%d); use a newer "
                          "knotfinder (the database was left as it is)", s->path,
                          version, KF_STORE_SCHEMA);
        return KF_EDB;
    }
    if (version == KF_STORE_SCHEMA) {
        s->version = version;
        return KF_OK;
    }
    if (s->readonly) {
        if (err)
            kf_buf_printf(err, "%s: the database needs an upgrade to schema "
                          "version %d but it is read-only (a replica?)", s->path,
                          KF_STORE_SCHEMA);
        return KF_EDB;
    }
    /* One transaction, under a transaction-level advisory lock: two servers
     * starting at once apply each migration once, and a failure leaves the
     * schema as it was. */
    if (!pg_cmd(c, "BEGIN"))
        return pg_fail(s, c, NULL, "start the schema upgrade", err);
    PGresult *r = pg_run(s, c, PGRES_TUPLES_OK, "lock the schema", err, NULL,
                         "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", "");
    if (r) {
        PQclear(r);
        r = pg_run(s, c, PGRES_COMMAND_OK, "upgrade the schema", err, NULL,
                   "CREATE TABLE IF NOT EXISTS schema_version (\n"
                   "  version    INTEGER PRIMARY KEY,\n"
                   "  applied_at TEXT NOT NULL\n"
                   ")", "");
    }
    if (r) {
        PQclear(r);
        e = pg_read_version(s, c, &version, err);
    } else {
        e = KF_EDB;
    }
    for (int v = version + 1; e == KF_OK && v <= KF_STORE_SCHEMA; v++) {
        /* A migration is several statements: the simple query protocol
         * runs them in the open transaction; it holds no data. */
        PGresult *m = pg_exec(c, pg_migrations[v - 1], false, 0, NULL);
        if (!m || PQresultStatus(m) != PGRES_COMMAND_OK) {
            e = pg_fail(s, c, m, "upgrade the schema", err);
            PQclear(m);
            break;
        }
        PQclear(m);
        char now[KF_TIME_LEN];
        kf_time_now(now);
        r = pg_run(s, c, PGRES_COMMAND_OK, "upgrade the schema", err, NULL,
                   "INSERT INTO schema_version (version, applied_at) "
                   "VALUES ($1::integer, $2)", "is", (long long)v, now);
        if (!r) {
            e = KF_EDB;
            break;
        }
        PQclear(r);
        version = v;
    }
    if (e == KF_OK && !pg_cmd(c, "COMMIT"))
        e = pg_fail(s, c, NULL, "upgrade the schema", err);
    if (e != KF_OK) {
        pg_rollback(c);
        return e;
    }
    s->version = version;
    return KF_OK;
}

static kf_err pg_migrate(kf__store_core *s, kf_buf *err)
{
    int k;
    PGconn *c = pg_acquire(s, &k, err);
    if (!c)
        return KF_EDB;
    kf_err e = pg_migrate_on(s, c, err);
    pg_release(s, k);
    return e;
}

static kf_err pg_check(kf__store_core *s, bool full, kf_buf *err)
{
    int k;
    PGconn *c = pg_acquire(s, &k, err);
    if (!c)
        return KF_EDB;
    int version;
    kf_err e = pg_read_version(s, c, &version, err);
    for (size_t i = 0; e == KF_OK && full && i < KF_ARRAY_LEN(pg_tables); i++) {
        /* Every table is there and can be read to its end. */
        PGresult *r = pg_run(s, c, PGRES_TUPLES_OK, "check the database", err,
                             NULL, "SELECT to_regclass($1) IS NOT NULL", "s",
                             pg_tables[i]);
        if (!r) {
            e = KF_EDB;
            break;
        }
        bool has = !strcmp(PQgetvalue(r, 0, 0), "t");
        PQclear(r);
        if (!has) {
            if (err)
                kf_buf_printf(err, "%s: the database lacks the table %s; it is "
                              "not a knotfinder database at schema %d", s->path,
                              pg_tables[i], KF_STORE_SCHEMA);
            e = KF_EDB;
        }
    }
    pg_release(s, k);
    return e;
}

static void pg_close(kf__store_core *s)
{
    pg_be *b = BE(s);
    if (!b)
        return;
    for (int i = 0; i < KF_STORE_PG_POOL; i++)
        PQfinish(b->conn[i]);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    kf_free(b);
    s->be = NULL;
}

static kf_err pg_open(kf__store_core *s, kf_buf *err)
{
    pthread_once(&pq_once, pq_load);
    if (!pq_ok) {
        if (err)
            kf_buf_printf(err, "%s: cannot open the database: the PostgreSQL "
                          "client library cannot be loaded (%s); install the "
                          "Debian package libpq5", s->path, pq_why);
        return KF_EDB;
    }
    pg_be *b = kf_calloc(1, sizeof *b);
    if (!b) {
        if (err)
            kf_buf_printf(err, "%s: cannot open the database: out of memory",
                          s->path);
        return KF_ENOMEM;
    }
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        kf_free(b);
        return KF_ENOMEM;
    }
    if (pthread_cond_init(&b->cv, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        kf_free(b);
        return KF_ENOMEM;
    }
    s->be = b;
    int k;
    PGconn *c = pg_acquire(s, &k, err);
    if (!c) {
        pg_close(s);
        return KF_EDB;
    }
    kf_err e = KF_OK;
    PGresult *r = pg_run(s, c, PGRES_TUPLES_OK, "open the database", err, NULL,
                         "SELECT pg_is_in_recovery()", "");
    if (!r) {
        e = KF_EDB;
    } else {
        s->readonly = !strcmp(PQgetvalue(r, 0, 0), "t");
        PQclear(r);
        e = pg_migrate_on(s, c, err);
    }
    pg_release(s, k);
    if (e != KF_OK)
        pg_close(s);
    return e;
}

/* ------------------------------------------------------------------ */
/* The journal. */

/* Runs a read on a connection of the pool; when the connection broke
 * under it, once more on a fresh one.  `fn` returns NULL on failure. */
typedef PGresult *(*pg_read_fn)(kf__store_core *s, PGconn *c, void *ctx,
                                kf_buf *err);

static PGresult *pg_read(kf__store_core *s, pg_read_fn fn, void *ctx,
                         kf_buf *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int k;
        PGconn *c = pg_acquire(s, &k, err);
        if (!c)
            return NULL;
        size_t mark = err ? err->len : 0;
        PGresult *r = fn(s, c, ctx, err);
        bool retry = !r && broken(c) && attempt == 0;
        pg_release(s, k);
        if (r || !retry)
            return r;
        if (err) {
            /* The first attempt's message is replaced by the second's. */
            err->len = mark;
            if (err->s)
                err->s[mark] = '\0';
        }
    }
    return NULL;
}

/* Runs a write: one statement, or several in a transaction when `fn` opens
 * one.  When the connection breaks under it and nothing can have committed
 * (t_unknown is clear: the statement never left, or the transaction's
 * COMMIT was not sent), it is tried once more on a new connection; when a
 * committing statement was sent and no answer came, it is not (it may have
 * been saved): KF_EDB says so. */
typedef kf_err (*pg_write_fn)(kf__store_core *s, PGconn *c, void *ctx,
                              kf_buf *err);

static kf_err pg_write(kf__store_core *s, pg_write_fn fn, void *ctx,
                       kf_buf *err)
{
    for (int attempt = 0;; attempt++) {
        int k;
        PGconn *c = pg_acquire(s, &k, err);
        if (!c)
            return KF_EDB;
        size_t mark = err ? err->len : 0;
        t_unknown = false;
        kf_err e = fn(s, c, ctx, err);
        bool lost = e == KF_EDB && broken(c);
        if (e != KF_OK && !lost)
            pg_rollback(c);
        bool retry = lost && !t_unknown && attempt == 0;
        if (lost && t_unknown)
            note_write_unknown(c, err);
        pg_release(s, k);
        if (!retry)
            return e;
        if (err) {
            /* The first attempt's message is replaced by the second's. */
            err->len = mark;
            if (err->s)
                err->s[mark] = '\0';
        }
    }
}

/* "; nothing was saved" after a failed save, unless its outcome is not
 * known (note_write_unknown says that instead). */
static void note_not_saved(kf_buf *err)
{
    if (err && !t_unknown)
        kf_buf_puts(err, "; nothing was saved");
}

/* The result of an INSERT ... RETURNING id of one row of `owner`'s, whose
 * WHERE makes it insert nothing when there is no such owner (NULL: it
 * failed, said in err): sets *id (when not NULL); clears r. */
static kf_err pg_inserted(PGresult *r, long long owner, long long *id,
                          kf_buf *err)
{
    if (!r) {
        note_not_saved(err);
        return KF_EDB;
    }
    kf_err e = KF_OK;
    if (PQntuples(r) == 0)
        e = no_owner(owner, err);
    else if (id)
        *id = pg_ll(r, 0, 0);
    PQclear(r);
    return e;
}

typedef struct {
    long long   owner;
    const char *at, *text, *findings, *kb_version;
    long long  *id;
} add_cons_ctx;

static kf_err pg_add_cons_fn(kf__store_core *s, PGconn *c, void *p, kf_buf *err)
{
    add_cons_ctx *x = p;
    PGresult *r = pg_run(s, c, PGRES_TUPLES_OK, "save the consultation", err, NULL,
        "INSERT INTO consultations (at, text, findings, kb_version, owner) "
        "SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint "
        "WHERE $5::bigint = 0 OR EXISTS "
        "(SELECT 1 FROM users WHERE id = $5::bigint FOR KEY SHARE) RETURNING id",
        "ssssi", x->at, x->text ? x->text : "", x->findings, x->kb_version,
        x->owner);
    return pg_inserted(r, x->owner, x->id, err);
}

static kf_err pg_add_consultation(kf__store_core *s, long long owner,
                                  const char *at, const char *text,
                                  const char *findings, const char *kb_version,
                                  long long *id, kf_buf *err)
{
    add_cons_ctx x = { owner, at, text, findings, kb_version, id };
    return pg_write(s, pg_add_cons_fn, &x, err);
}

typedef struct {
    long long         owner;
    const kf_checkin *c;
    const char       *at;
    long long        *id;
} add_ci_ctx;

static kf_err pg_add_ci_fn(kf__store_core *s, PGconn *c, void *p, kf_buf *err)
{
    add_ci_ctx *x = p;
    const kf_checkin *ci = x->c;
    char pb[16], rh[40], ds[16];
    snprintf(pb, sizeof pb, "%d", ci->pain_before);
    snprintf(rh, sizeof rh, "%.17g", ci->relief_hours);
    snprintf(ds, sizeof ds, "%d", ci->done_s);
    PGresult *r = pg_run(s, c, PGRES_TUPLES_OK, "save the check-in", err, NULL,
        "INSERT INTO checkins (at, pain, pain_before, region, side, did, "
        "relief_hours, worse_after, done_s, stopped_early, via, note, owner) "
        "SELECT $1::text, $2::integer, $3::integer, $4::text, $5::text, "
        "$6::text, $7::double precision, $8::text, $9::integer, $10::integer, "
        "$11::text, $12::text, $13::bigint "
        "WHERE $13::bigint = 0 OR EXISTS "
        "(SELECT 1 FROM users WHERE id = $13::bigint FOR KEY SHARE) RETURNING id",
        "sisssssssbssi", x->at, (long long)ci->pain,
        ci->pain_before >= 0 ? pb : NULL,
        ci->region && *ci->region ? ci->region : NULL, kf_side_name(ci->side),
        ci->did ? ci->did : "", ci->relief_hours >= 0 ? rh : NULL,
        ci->worse_after ? ci->worse_after : "", ci->done_s >= 0 ? ds : NULL,
        (int)ci->stopped_early, ci->via && *ci->via ? ci->via : "cli",
        ci->note ? ci->note : "", x->owner);
    return pg_inserted(r, x->owner, x->id, err);
}

static kf_err pg_add_checkin(kf__store_core *s, long long owner,
                             const kf_checkin *ci, const char *at,
                             long long *id, kf_buf *err)
{
    add_ci_ctx x = { owner, ci, at, id };
    return pg_write(s, pg_add_ci_fn, &x, err);
}

/* Fills one row of a list from row i of `r`; its strings go to `a`. */
typedef void (*pg_row_fn)(PGresult *r, int i, void *row, kf__arena *a,
                          const void *ctx);

/* Reads every row of `r` into a list (`vp`: the address of its array
 * pointer, `n` its count, `size` a row's size), each filled by `fill`,
 * then clears `r`.  `what` names the rows ("the check-ins") in an error.
 * Use PG_READ_LIST. */
static kf_err pg_read_list(kf__store_core *s, PGresult *r, void *vp, int *n,
                           size_t size, pg_row_fn fill, const void *ctx,
                           kf__arena *a, const char *what, kf_buf *err)
{
    int rows = PQntuples(r);
    kf_err e = KF_OK;
    int cap = 0;
    for (int i = 0; e == KF_OK && i < rows; i++) {
        void *row = kf__list_push(vp, n, &cap, size);
        if (!row)
            e = KF_ENOMEM;
        else
            fill(r, i, row, a, ctx);
        if (a->oom)
            e = KF_ENOMEM;
    }
    PQclear(r);
    return e == KF_ENOMEM ? kf__list_oom(s, what, err) : e;
}
#define PG_READ_LIST(s, r, out, fill, ctx, a, what, err) \
    pg_read_list((s), (r), &(out)->v, &(out)->n, sizeof *(out)->v, (fill), \
                 (ctx), (a), (what), (err))

typedef struct {
    long long   owner;
    const char *since;
    const char *limit;         /* digits, or NULL: LIMIT NULL is no limit */
} list_ctx;

static PGresult *pg_list_ci_fn(kf__store_core *s, PGconn *c, void *p,
                               kf_buf *err)
{
    list_ctx *x = p;
    return pg_run(s, c, PGRES_TUPLES_OK, "read the check-ins", err, NULL,
        "SELECT * FROM (SELECT id, at, pain, pain_before, region, side, did, "
        "relief_hours, worse_after, done_s, stopped_early, via, note "
        "FROM checkins WHERE owner = $1::bigint AND at >= $2::text "
        "ORDER BY at DESC, id DESC LIMIT $3::bigint) AS t ORDER BY at, id",
        "iss", x->owner, x->since ? x->since : "", x->limit);
}

static void pg_checkin_row(PGresult *r, int i, void *row, kf__arena *a,
                           const void *ctx)
{
    kf_checkin *ci = row;
    ci->id = pg_ll(r, i, 0);
    snprintf(ci->at, sizeof ci->at, "%s", PQgetvalue(r, i, 1));
    ci->pain = (int)pg_ll(r, i, 2);
    ci->pain_before = PQgetisnull(r, i, 3) ? -1 : (int)pg_ll(r, i, 3);
    ci->region = PQgetisnull(r, i, 4) ? NULL
                 : kf__arena_strdup(a, PQgetvalue(r, i, 4));
    int side = kf_side_parse(PQgetvalue(r, i, 5));
    ci->side = side < 0 ? KF_SIDE_NONE : (kf_side)side;
    ci->did = kf__arena_strdup(a, PQgetvalue(r, i, 6));
    ci->relief_hours = PQgetisnull(r, i, 7) ? -1
                       : strtod(PQgetvalue(r, i, 7), NULL);
    ci->worse_after = kf__arena_strdup(a, PQgetvalue(r, i, 8));
    ci->done_s = PQgetisnull(r, i, 9) ? -1 : (int)pg_ll(r, i, 9);
    ci->stopped_early = pg_ll(r, i, 10) != 0;
    ci->via = kf__arena_strdup(a, PQgetvalue(r, i, 11));
    ci->note = kf__arena_strdup(a, PQgetvalue(r, i, 12));
}

static kf_err pg_list_checkins(kf__store_core *s, long long owner,
                               const char *since, int limit,
                               kf_checkin_list *out, kf__arena *a,
                               kf_buf *err)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    list_ctx x = { owner, since, limit > 0 ? lim : NULL };
    PGresult *r = pg_read(s, pg_list_ci_fn, &x, err);
    if (!r)
        return KF_EDB;
    return PG_READ_LIST(s, r, out, pg_checkin_row, NULL, a, "the check-ins",
                        err);
}

static PGresult *pg_list_cons_fn(kf__store_core *s, PGconn *c, void *p,
                                 kf_buf *err)
{
    list_ctx *x = p;
    return pg_run(s, c, PGRES_TUPLES_OK, "read the consultations", err, NULL,
        "SELECT * FROM (SELECT id, at, text, findings, kb_version "
        "FROM consultations WHERE owner = $1::bigint "
        "ORDER BY at DESC, id DESC LIMIT $2::bigint) AS t ORDER BY at, id",
        "is", x->owner, x->limit);
}

static void pg_consultation_row(PGresult *r, int i, void *row, kf__arena *a,
                                const void *ctx)
{
    kf_consultation *c = row;
    c->id = pg_ll(r, i, 0);
    snprintf(c->at, sizeof c->at, "%s", PQgetvalue(r, i, 1));
    c->text = kf__arena_strdup(a, PQgetvalue(r, i, 2));
    c->findings_json = kf__arena_strdup(a, PQgetvalue(r, i, 3));
    c->kb_version = kf__arena_strdup(a, PQgetvalue(r, i, 4));
}

static kf_err pg_list_consultations(kf__store_core *s, long long owner,
                                    int limit, kf_consultation_list *out,
                                    kf__arena *a, kf_buf *err)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    list_ctx x = { owner, NULL, limit > 0 ? lim : NULL };
    PGresult *r = pg_read(s, pg_list_cons_fn, &x, err);
    if (!r)
        return KF_EDB;
    return PG_READ_LIST(s, r, out, pg_consultation_row, NULL, a,
                        "the consultations", err);
}

typedef struct {
    long long      owner, id;
    kf_forget_what what;
    int            nc, nk;
} forget_ctx;

/* After a deletion committed: the deleted rows are gone from every query,
 * but PostgreSQL keeps their bytes (dead tuples, then free space in the
 * pages of the table, its TOAST table and its indexes: an e-mail address
 * stays readable in the unique index's page) until the space is reused;
 * autovacuum only marks it free.  VACUUM (FULL) rewrites each table that
 * lost rows, with its indexes and TOAST, into new files without them, and
 * ANALYZE replaces the statistics (pg_stats keeps sample values: common
 * notes, e-mail addresses as histogram bounds).  One statement per table,
 * outside any transaction (VACUUM cannot run in one; through PgBouncer in
 * transaction pooling mode each is a transaction of its own), each holding
 * its table's ACCESS EXCLUSIVE lock only while that table is rewritten:
 * other calls on it wait that long (bench/pg: the whole deletion 0.7 s
 * with 100,000 other check-ins, on a loaded 2-core machine).  Best effort: the deletion stands when this fails
 * (autovacuum then frees the space, without the rewrite). */
static void pg_scrub(kf__store_core *s, const char *const *tables,
                     const long long *n, size_t count, bool full)
{
    int k;
    PGconn *c = pg_acquire(s, &k, NULL);
    if (!c)
        return;
    for (size_t i = 0; i < count; i++) {
        bool again = false;
        for (size_t j = 0; j < i; j++)
            again |= !strcmp(tables[j], tables[i]) && n[j] > 0;
        if (n[i] == 0 || again)
            continue;
        char sql[80];
        snprintf(sql, sizeof sql, "VACUUM %s%s", full ? "(FULL, ANALYZE) " : "",
                 tables[i]);
        PQclear(pg_exec(c, sql, false, 0, NULL));
        if (broken(c))
            break;
    }
    pg_release(s, k);
}

/* One statement (data-modifying WITH clauses run once each, all or none):
 * atomic with no BEGIN and COMMIT, one round trip. */
static kf_err pg_forget_fn(kf__store_core *s, PGconn *c, void *p, kf_buf *err)
{
    forget_ctx *x = p;
    bool all = x->what == KF_FORGET_ALL;
    char id[32];
    snprintf(id, sizeof id, "%lld", x->id);
    PGresult *r = pg_run(s, c, PGRES_TUPLES_OK, "forget", err, NULL,
        "WITH c AS (DELETE FROM consultations WHERE $3::integer = 1 AND "
        "owner = $1::bigint AND ($2::bigint IS NULL OR id = $2::bigint) "
        "RETURNING id), "
        "q AS (UPDATE questions SET consultation_id = 0 WHERE owner = $1::bigint "
        "AND consultation_id IN (SELECT id FROM c)), "
        "k AS (DELETE FROM checkins WHERE $4::integer = 1 AND owner = $1::bigint "
        "AND ($2::bigint IS NULL OR id = $2::bigint) RETURNING id) "
        "SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM k)",
        "isbb", x->owner, all ? NULL : id,
        (int)(x->what != KF_FORGET_CHECKIN), (int)(x->what != KF_FORGET_CONSULTATION));
    if (!r)
        return KF_EDB;
    x->nc = (int)pg_ll(r, 0, 0);
    x->nk = (int)pg_ll(r, 0, 1);
    PQclear(r);
    if (!all && x->nc + x->nk == 0) {
        if (err)
            kf_buf_printf(err, "there is no %s #%lld in the journal",
                          x->what == KF_FORGET_CHECKIN ? "check-in"
                                                       : "consultation", x->id);
        return KF_ENOTFOUND;
    }
    return KF_OK;
}

static kf_err pg_forget(kf__store_core *s, long long owner,
                        kf_forget_what what, long long id,
                        int *n_consultations, int *n_checkins, kf_buf *err)
{
    forget_ctx x = { owner, id, what, 0, 0 };
    kf_err e = pg_write(s, pg_forget_fn, &x, err);
    if (e == KF_EDB && err && !t_unknown)
        kf_buf_puts(err, "; nothing was deleted");
    if (e == KF_OK) {
        /* A forgotten row is not kept as a dead tuple until autovacuum
         * comes: a plain VACUUM (no lock that stops the others; the space
         * is marked free, its bytes overwritten as it is reused).  An
         * account's deletion rewrites the tables (pg_scrub's comment). */
        static const char *const t[] = { "consultations", "questions", "checkins" };
        long long n[] = { x.nc, x.nc, x.nk };
        pg_scrub(s, t, n, KF_ARRAY_LEN(t), false);
        if (n_consultations)
            *n_consultations = x.nc;
        if (n_checkins)
            *n_checkins = x.nk;
    }
    return e;
}

/* ------------------------------------------------------------------ */
/* The hosted course. */

/* One statement that writes, run by pg_write (so tried again when it
 * could not be sent). */
typedef struct {
    const char *what, *sql;
    pg_params   p;
    char        st[6];        /* OUT: the SQLSTATE of a failure */
    PGresult   *r;            /* OUT: the result, on success */
} one_ctx;

static kf_err pg_one_fn(kf__store_core *s, PGconn *c, void *p, kf_buf *err)
{
    one_ctx *x = p;
    PGresult *r = pg_exec(c, x->sql, true, x->p.n, x->p.v);
    ExecStatusType rs = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    x->st[0] = '\0';
    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
        x->r = r;
        return KF_OK;
    }
    snprintf(x->st, sizeof x->st, "%s", sqlstate(r));
    /* A unique violation is an answer, not a failure: no message. */
    kf_err e = !strcmp(x->st, "23505") ? KF_EEXIST : pg_fail(s, c, r, x->what, err);
    PQclear(r);
    return e;
}

/* Runs one statement that writes; on KF_OK *res gets its result (PQclear
 * it); KF_EEXIST (no message) for a unique violation. */
static kf_err pg_vwrite1(kf__store_core *s, const char *what, PGresult **res,
                         kf_buf *err, const char *sql, const char *fmt, va_list ap)
{
    one_ctx x = { .what = what, .sql = sql };
    pg_vparams(&x.p, fmt, ap);
    kf_err e = pg_write(s, pg_one_fn, &x, err);
    *res = e == KF_OK ? x.r : NULL;
    return e;
}

static kf_err pg_write1(kf__store_core *s, const char *what, PGresult **res,
                        kf_buf *err, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kf_err e = pg_vwrite1(s, what, res, err, sql, fmt, ap);
    va_end(ap);
    return e;
}

/* Runs one statement that changes rows; *changed gets the count (rows
 * returned, or rows affected). */
static kf_err pg_change(kf__store_core *s, const char *what, long long *changed,
                        kf_buf *err, const char *sql, const char *fmt, ...)
{
    PGresult *r;
    va_list ap;
    va_start(ap, fmt);
    kf_err e = pg_vwrite1(s, what, &r, err, sql, fmt, ap);
    va_end(ap);
    if (e == KF_OK) {
        if (changed)
            *changed = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : pg_affected(r);
        PQclear(r);
    }
    return e;
}

static kf_err pg_user_create(kf__store_core *s, const char *email,
                             const char *hash, const char *consent_at,
                             const char *created_at, kf_role role,
                             long long *id, kf_buf *err)
{
    PGresult *r;
    kf_err e = pg_write1(s, "create the account", &r, err,
                         "INSERT INTO users (email, password_hash, role, "
                         "created_at, consent_at) VALUES ($1, $2, $3, $4, $5) "
                         "RETURNING id", "sssss", email, hash,
                         kf_role_name(role), created_at, consent_at);
    if (e == KF_EEXIST && err)
        kf_buf_printf(err, "an account with that e-mail address exists already");
    if (e == KF_OK && id)
        *id = pg_ll(r, 0, 0);
    PQclear(r);
    return e;
}

typedef struct {
    const char *email;
    long long   id;
} user_get_ctx;

static PGresult *pg_user_get_fn(kf__store_core *s, PGconn *c, void *p,
                                kf_buf *err)
{
    user_get_ctx *x = p;
#define USER_COLS "SELECT id, email, password_hash, role, created_at, consent_at FROM users "
    return x->email
        ? pg_run(s, c, PGRES_TUPLES_OK, "read the account", err, NULL,
                 USER_COLS "WHERE email = $1", "s", x->email)
        : pg_run(s, c, PGRES_TUPLES_OK, "read the account", err, NULL,
                 USER_COLS "WHERE id = $1::bigint", "i", x->id);
#undef USER_COLS
}

static kf_err pg_user_get(kf__store_core *s, const char *email, long long id,
                          kf_user *out, kf_buf *err)
{
    user_get_ctx x = { email, id };
    PGresult *r = pg_read(s, pg_user_get_fn, &x, err);
    if (!r)
        return KF_EDB;
    kf_err e = KF_OK;
    if (PQntuples(r) == 0) {
        if (err)
            kf_buf_printf(err, "there is no such account");
        e = KF_ENOTFOUND;
    } else {
        out->id = pg_ll(r, 0, 0);
        snprintf(out->email, sizeof out->email, "%s", PQgetvalue(r, 0, 1));
        snprintf(out->password_hash, sizeof out->password_hash, "%s",
                 PQgetvalue(r, 0, 2));
        int role = kf_role_parse(PQgetvalue(r, 0, 3));
        out->role = role < 0 ? KF_ROLE_USER : (kf_role)role;
        snprintf(out->created_at, sizeof out->created_at, "%s",
                 PQgetvalue(r, 0, 4));
        snprintf(out->consent_at, sizeof out->consent_at, "%s",
                 PQgetvalue(r, 0, 5));
    }
    PQclear(r);
    return e;
}

static kf_err pg_user_set(kf__store_core *s, long long id, int role,
                          const char *hash, kf_buf *err)
{
    long long n = 0;
    kf_err e = pg_change(s, "change the account", &n, err,
                         "UPDATE users SET role = coalesce($2, role), "
                         "password_hash = coalesce($3, password_hash) "
                         "WHERE id = $1::bigint", "iss", id,
                         role >= 0 ? kf_role_name((kf_role)role) : NULL, hash);
    if (e == KF_OK && n == 0) {
        if (err)
            kf_buf_printf(err, "there is no user #%lld", id);
        e = KF_ENOTFOUND;
    }
    return e;
}

/* The tables a user's deletion touches, in the order of pg_user_del_fn's
 * statements (questions twice: theirs, and the answers they gave). */
static const char *const user_tables[] = {
    "users", "consultations", "checkins", "sessions", "rate_limits",
    "questions", "lesson_progress", "questions",
};

typedef struct {
    long long id, total;
    long long n[KF_ARRAY_LEN(user_tables)];   /* rows each statement changed */
} user_del_ctx;

static kf_err pg_user_del_fn(kf__store_core *s, PGconn *c, void *p, kf_buf *err)
{
    user_del_ctx *x = p;
    /* The users row first: it locks the user, so a write of theirs that
     * checks for them (FOR KEY SHARE) waits, then finds nobody. */
    static const char *const dels[] = {
        "DELETE FROM users WHERE id = $1::bigint",
        "DELETE FROM consultations WHERE owner = $1::bigint",
        "DELETE FROM checkins WHERE owner = $1::bigint",
        "DELETE FROM sessions WHERE user_id = $1::bigint",
        "DELETE FROM rate_limits WHERE owner = $1::bigint",
        "DELETE FROM questions WHERE owner = $1::bigint",
        "DELETE FROM lesson_progress WHERE owner = $1::bigint",
        "UPDATE questions SET answered_by = 0 WHERE answered_by = $1::bigint",
    };
    _Static_assert(KF_ARRAY_LEN(dels) == KF_ARRAY_LEN(user_tables),
                   "one table per statement");
    x->total = 0;
    if (!pg_cmd(c, "BEGIN"))
        return pg_fail(s, c, NULL, "delete the account", err);
    for (size_t i = 0; i < KF_ARRAY_LEN(dels); i++) {
        PGresult *r = pg_run(s, c, PGRES_COMMAND_OK, "delete the account", err,
                             NULL, dels[i], "i", x->id);
        if (!r)
            return KF_EDB;
        long long n = pg_affected(r);
        x->n[i] = n;
        PQclear(r);
        if (i == 0 && n == 0) {
            if (err)
                kf_buf_printf(err, "there is no user #%lld", x->id);
            return KF_ENOTFOUND;
        }
        if (i + 1 < KF_ARRAY_LEN(dels))
            x->total += n;
    }
    if (!pg_cmd(c, "COMMIT"))
        return pg_fail(s, c, NULL, "delete the account", err);
    return KF_OK;
}

static kf_err pg_user_delete(kf__store_core *s, long long id, long long *n_rows,
                             kf_buf *err)
{
    user_del_ctx x = { .id = id };
    kf_err e = pg_write(s, pg_user_del_fn, &x, err);
    if (e == KF_OK)
        pg_scrub(s, user_tables, x.n, KF_ARRAY_LEN(user_tables), true);
    if (e == KF_EDB && err && !t_unknown)
        kf_buf_puts(err, "; nothing was deleted");
    if (e == KF_OK && n_rows)
        *n_rows = x.total;
    return e;
}

static kf_err pg_session_create(kf__store_core *s, long long user_id,
                                const char *hash, const char *csrf,
                                const char *created_at, long long expires_at,
                                kf_buf *err)
{
    long long n = 0;
    kf_err e = pg_change(s, "save the session", &n, err,
                         "INSERT INTO sessions (token_hash, user_id, csrf, "
                         "created_at, expires_at) SELECT $1::text, $2::bigint, "
                         "$3::text, $4::text, $5::bigint WHERE EXISTS (SELECT 1 "
                         "FROM users WHERE id = $2::bigint FOR KEY SHARE)",
                         "sissi", hash, user_id, csrf, created_at, expires_at);
    if (e == KF_EEXIST && err)
        kf_buf_printf(err, "a session with that token exists already");
    if (e == KF_OK && n == 0) {
        if (err)
            kf_buf_printf(err, "there is no user #%lld", user_id);
        e = KF_ENOTFOUND;
    }
    return e;
}

typedef struct {
    const char *hash;
    long long   now;
} sess_ctx;

static PGresult *pg_sess_fn(kf__store_core *s, PGconn *c, void *p, kf_buf *err)
{
    sess_ctx *x = p;
    return pg_run(s, c, PGRES_TUPLES_OK, "read the session", err, NULL,
                  "SELECT s.user_id, u.role, s.csrf, s.created_at, s.expires_at "
                  "FROM sessions s JOIN users u ON u.id = s.user_id "
                  "WHERE s.token_hash = $1 AND s.expires_at > $2::bigint",
                  "si", x->hash, x->now);
}

static kf_err pg_session_lookup(kf__store_core *s, const char *hash,
                                long long now, kf_session *out, kf_buf *err)
{
    sess_ctx x = { hash, now };
    PGresult *r = pg_read(s, pg_sess_fn, &x, err);
    if (!r)
        return KF_EDB;
    kf_err e = KF_OK;
    if (PQntuples(r) == 0) {
        if (err)
            kf_buf_printf(err, "no such session (or it expired)");
        e = KF_ENOTFOUND;
    } else {
        out->user_id = pg_ll(r, 0, 0);
        int role = kf_role_parse(PQgetvalue(r, 0, 1));
        out->role = role < 0 ? KF_ROLE_USER : (kf_role)role;
        snprintf(out->csrf, sizeof out->csrf, "%s", PQgetvalue(r, 0, 2));
        snprintf(out->created_at, sizeof out->created_at, "%s",
                 PQgetvalue(r, 0, 3));
        out->expires_at = pg_ll(r, 0, 4);
    }
    PQclear(r);
    return e;
}

static kf_err pg_session_extend(kf__store_core *s, const char *hash,
                                long long now, long long expires_at,
                                kf_buf *err)
{
    long long n = 0;
    kf_err e = pg_change(s, "extend the session", &n, err,
                         "UPDATE sessions SET expires_at = $3::bigint "
                         "WHERE token_hash = $1 AND expires_at > $2::bigint",
                         "sii", hash, now, expires_at);
    if (e == KF_OK && n == 0) {
        if (err)
            kf_buf_printf(err, "no such session (or it expired)");
        e = KF_ENOTFOUND;
    }
    return e;
}

static kf_err pg_session_delete(kf__store_core *s, const char *hash,
                                long long user_id, int *n, kf_buf *err)
{
    long long k = 0;
    kf_err e = hash
        ? pg_change(s, "delete the session", &k, err,
                    "DELETE FROM sessions WHERE token_hash = $1", "s", hash)
        : pg_change(s, "delete the sessions", &k, err,
                    "DELETE FROM sessions WHERE user_id = $1::bigint", "i",
                    user_id);
    if (e != KF_OK)
        return e;
    if (n)
        *n = (int)k;
    if (hash && k == 0) {
        if (err)
            kf_buf_printf(err, "no such session");
        return KF_ENOTFOUND;
    }
    return KF_OK;
}

static kf_err pg_expire(kf__store_core *s, long long now, int *n, kf_buf *err)
{
    long long a = 0, b = 0;
    kf_err e = pg_change(s, "delete expired sessions", &a, err,
                         "DELETE FROM sessions WHERE expires_at <= $1::bigint",
                         "i", now);
    if (e == KF_OK)
        e = pg_change(s, "delete old rate-limit counters", &b, err,
                      "DELETE FROM rate_limits WHERE window_end <= $1::bigint",
                      "i", now - KF__RATE_KEEP_S);
    if (e == KF_OK && n)
        *n = (int)(a + b);
    return e;
}

static kf_err pg_rate_hit(kf__store_core *s, long long owner, const char *key,
                          int window_s, long long now, long long *count,
                          long long *window_end, kf_buf *err)
{
    /* One statement: the row lock of ON CONFLICT DO UPDATE orders the hits
     * of every server on the key. */
    PGresult *r;
    kf_err e = pg_write1(s, "count the request", &r, err,
        "INSERT INTO rate_limits AS r (key, owner, window_start, window_end, "
        "count) VALUES ($1, $2::bigint, $3::bigint, $3::bigint + $4::bigint, 1) "
        "ON CONFLICT (key) DO UPDATE SET "
        "owner = CASE WHEN r.owner = 0 THEN EXCLUDED.owner ELSE r.owner END, "
        "window_start = CASE WHEN r.window_end <= $3::bigint THEN $3::bigint "
        "ELSE r.window_start END, "
        "count = CASE WHEN r.window_end <= $3::bigint THEN 1 "
        "ELSE r.count + 1 END, "
        "window_end = CASE WHEN r.window_end <= $3::bigint "
        "THEN $3::bigint + $4::bigint ELSE r.window_end END "
        "RETURNING count, window_end", "siii", key, owner, now,
        (long long)window_s);
    if (e == KF_OK) {
        *count = pg_ll(r, 0, 0);
        *window_end = pg_ll(r, 0, 1);
        PQclear(r);
    }
    return e;
}

static kf_err pg_rate_reset(kf__store_core *s, const char *key, kf_buf *err)
{
    long long n = 0;
    return pg_change(s, "reset the counter", &n, err,
                     "DELETE FROM rate_limits WHERE key = $1", "s", key);
}

static kf_err pg_question_add(kf__store_core *s, long long owner,
                              const kf_uquestion *q, const char *at,
                              long long *id, kf_buf *err)
{
    PGresult *r;
    kf_err e = pg_write1(s, "save the question", &r, err,
        "INSERT INTO questions (owner, at, text, first_name, consultation_id, "
        "summary, public_ok, draft, triage) "
        "SELECT $1::bigint, $2::text, $3::text, $4::text, $5::bigint, $6::text, "
        "$7::integer, $8::text, $9::integer "
        "WHERE EXISTS (SELECT 1 FROM users WHERE id = $1::bigint FOR KEY SHARE) "
        "AND ($5::bigint = 0 OR EXISTS (SELECT 1 FROM consultations "
        "WHERE id = $5::bigint AND owner = $1::bigint)) RETURNING id",
        "isssisbsi", owner, at, q->text, q->first_name ? q->first_name : "",
        q->consultation_id, q->summary ? q->summary : "", (int)q->public_ok,
        q->draft ? q->draft : "", (long long)q->triage);
    if (e != KF_OK) {
        note_not_saved(err);
    } else if (PQntuples(r) == 0) {
        if (err) {
            if (q->consultation_id)
                kf_buf_printf(err, "there is no consultation #%lld of yours "
                              "to attach; nothing was saved", q->consultation_id);
            else
                kf_buf_printf(err, "there is no user #%lld; nothing was saved",
                              owner);
        }
        e = KF_ENOTFOUND;
    } else if (id) {
        *id = pg_ll(r, 0, 0);
    }
    PQclear(r);
    return e;
}

typedef struct {
    long long owner, id;
    kf__qlist mode;
    int       limit;
} qlist_ctx;

static PGresult *pg_qlist_fn(kf__store_core *s, PGconn *c, void *p,
                             kf_buf *err)
{
    qlist_ctx *x = p;
#define Q_COLS "SELECT id, owner, at, text, first_name, consultation_id, " \
    "summary, public_ok, draft, triage, answer, answered_by, answered_at, " \
    "published FROM questions "
    /* Each statement uses every parameter it is sent (PostgreSQL must
     * know the type of each). */
    static const char *const sql[] = {
        [KF__Q_MINE] = Q_COLS "WHERE owner = $1::bigint ORDER BY at DESC, "
                       "id DESC LIMIT $2::bigint",
        [KF__Q_ONE] = Q_COLS "WHERE owner = $1::bigint AND id = $2::bigint",
        [KF__Q_QUEUE] = Q_COLS "WHERE answer IS NULL ORDER BY "
                        KF__QUEUE_ORDER " LIMIT $1::bigint",
        [KF__Q_PUBLIC] = Q_COLS "WHERE published = 1 AND public_ok = 1 AND "
                         "answer IS NOT NULL ORDER BY answered_at DESC, id DESC "
                         "LIMIT $1::bigint",
    };
#undef Q_COLS
    char lim[16];
    snprintf(lim, sizeof lim, "%d", x->limit);
    const char *limit = x->limit > 0 ? lim : NULL;
    const char *what = "read the questions";
    switch (x->mode) {
    case KF__Q_MINE:
        return pg_run(s, c, PGRES_TUPLES_OK, what, err, NULL, sql[x->mode],
                      "is", x->owner, limit);
    case KF__Q_ONE:
        return pg_run(s, c, PGRES_TUPLES_OK, what, err, NULL, sql[x->mode],
                      "ii", x->owner, x->id);
    default:
        return pg_run(s, c, PGRES_TUPLES_OK, what, err, NULL, sql[x->mode],
                      "s", limit);
    }
}

/* ctx: a bool, true for the public Q&A (no owner, summary, draft or
 * therapist in it). */
static void pg_question_row(PGresult *r, int i, void *row, kf__arena *a,
                            const void *ctx)
{
    kf_uquestion *q = row;
    bool pub = *(const bool *)ctx;
    q->id = pg_ll(r, i, 0);
    q->owner = pub ? 0 : pg_ll(r, i, 1);
    snprintf(q->at, sizeof q->at, "%s", PQgetvalue(r, i, 2));
    q->text = kf__arena_strdup(a, PQgetvalue(r, i, 3));
    q->first_name = kf__arena_strdup(a, PQgetvalue(r, i, 4));
    if (!pub) {
        q->consultation_id = pg_ll(r, i, 5);
        q->summary = kf__arena_strdup(a, PQgetvalue(r, i, 6));
        q->draft = kf__arena_strdup(a, PQgetvalue(r, i, 8));
        q->answered_by = pg_ll(r, i, 11);
    }
    q->public_ok = pg_ll(r, i, 7) != 0;
    q->triage = (int)pg_ll(r, i, 9);
    q->answer = pg_str(r, i, 10) ? kf__arena_strdup(a, pg_str(r, i, 10)) : NULL;
    snprintf(q->answered_at, sizeof q->answered_at, "%s", PQgetvalue(r, i, 12));
    q->published = pg_ll(r, i, 13) != 0;
}

static kf_err pg_question_list(kf__store_core *s, long long owner,
                               kf__qlist mode, long long id, int limit,
                               kf_uquestion_list *out, kf__arena *a,
                               kf_buf *err)
{
    qlist_ctx x = { owner, id, mode, limit };
    PGresult *r = pg_read(s, pg_qlist_fn, &x, err);
    if (!r)
        return KF_EDB;
    bool pub = mode == KF__Q_PUBLIC;
    return PG_READ_LIST(s, r, out, pg_question_row, &pub, a, "the questions",
                        err);
}

static kf_err pg_question_set_draft(kf__store_core *s, long long id,
                                    const char *draft, kf_buf *err)
{
    long long n = 0;
    kf_err e = pg_change(s, "save the draft", &n, err,
                         "UPDATE questions SET draft = $2 WHERE id = $1::bigint",
                         "is", id, draft);
    if (e == KF_OK && n == 0) {
        if (err)
            kf_buf_printf(err, "there is no question #%lld", id);
        e = KF_ENOTFOUND;
    }
    return e;
}

typedef struct {
    long long   id, therapist;
    const char *text, *at;
    bool        publish;
} answer_ctx;

/* One statement when it works (the consent and the therapist checked in
 * its WHERE); only when it changed nothing, a read says why. */
static kf_err pg_answer_fn(kf__store_core *s, PGconn *c, void *p, kf_buf *err)
{
    answer_ctx *x = p;
    PGresult *r = pg_run(s, c, PGRES_COMMAND_OK, "save the answer", err, NULL,
               "UPDATE questions SET answer = $2, answered_by = $3::bigint, "
               "answered_at = $4, published = $5::integer WHERE id = $1::bigint "
               "AND ($5::integer = 0 OR public_ok = 1) "
               "AND EXISTS (SELECT 1 FROM users WHERE id = $3::bigint "
               "FOR KEY SHARE)", "isisb", x->id, x->text, x->therapist, x->at,
               (int)x->publish);
    if (!r)
        return KF_EDB;
    long long changed = pg_affected(r);
    PQclear(r);
    if (changed)
        return KF_OK;
    r = pg_run(s, c, PGRES_TUPLES_OK, "save the answer", err, NULL,
               "SELECT (SELECT public_ok FROM questions WHERE id = $1::bigint)",
               "i", x->id);
    if (!r)
        return KF_EDB;
    bool noq = PQgetisnull(r, 0, 0), consent = !noq && pg_ll(r, 0, 0) != 0;
    PQclear(r);
    if (noq) {
        if (err)
            kf_buf_printf(err, "there is no question #%lld", x->id);
        return KF_ENOTFOUND;
    }
    if (x->publish && !consent) {
        if (err)
            kf_buf_printf(err, "question #%lld cannot be published: its asker "
                          "did not consent to that", x->id);
        return KF_EINVAL;
    }
    if (err)
        kf_buf_printf(err, "there is no user #%lld", x->therapist);
    return KF_ENOTFOUND;
}

static kf_err pg_question_answer(kf__store_core *s, long long id,
                                 long long therapist_id, const char *text,
                                 bool publish, const char *at, kf_buf *err)
{
    answer_ctx x = { id, therapist_id, text, at, publish };
    return pg_write(s, pg_answer_fn, &x, err);
}

static kf_err pg_lesson_done(kf__store_core *s, long long owner,
                             const char *lesson_id, const char *at, bool *first,
                             kf_buf *err)
{
    long long n = 0;
    kf_err e = pg_change(s, "save the lesson", &n, err,
                         "INSERT INTO lesson_progress (owner, lesson_id, done_at) "
                         "SELECT $1::bigint, $2::text, $3::text WHERE EXISTS "
                         "(SELECT 1 FROM users WHERE id = $1::bigint FOR KEY "
                         "SHARE) ON CONFLICT DO NOTHING", "iss", owner,
                         lesson_id, at);
    if (e != KF_OK)
        return e;
    if (n == 0) {
        kf_user u;
        kf_err ue = pg_user_get(s, NULL, owner, &u, NULL);
        if (ue == KF_ENOTFOUND)
            return no_owner(owner, err);
        if (ue != KF_OK)
            return pg_user_get(s, NULL, owner, &u, err);
    }
    if (first)
        *first = n > 0;
    return KF_OK;
}

typedef struct {
    long long owner;
} lessons_ctx;

static PGresult *pg_lessons_fn(kf__store_core *s, PGconn *c, void *p,
                               kf_buf *err)
{
    lessons_ctx *x = p;
    return pg_run(s, c, PGRES_TUPLES_OK, "read the lessons", err, NULL,
                  "SELECT lesson_id, done_at FROM lesson_progress "
                  "WHERE owner = $1::bigint ORDER BY done_at, lesson_id", "i",
                  x->owner);
}

static void pg_lesson_row(PGresult *r, int i, void *row, kf__arena *a,
                          const void *ctx)
{
    kf_lesson_mark *m = row;
    m->lesson_id = kf__arena_strdup(a, PQgetvalue(r, i, 0));
    snprintf(m->done_at, sizeof m->done_at, "%s", PQgetvalue(r, i, 1));
}

static kf_err pg_lessons_list(kf__store_core *s, long long owner,
                              kf_lesson_list *out, kf__arena *a, kf_buf *err)
{
    lessons_ctx x = { owner };
    PGresult *r = pg_read(s, pg_lessons_fn, &x, err);
    if (!r)
        return KF_EDB;
    return PG_READ_LIST(s, r, out, pg_lesson_row, NULL, a, "the lessons", err);
}

const kf__store_ops kf__pg_ops = {
    .name = "postgresql",
    .concurrent = true,
    .open = pg_open,
    .close = pg_close,
    .migrate = pg_migrate,
    .check = pg_check,
    .add_consultation = pg_add_consultation,
    .add_checkin = pg_add_checkin,
    .list_checkins = pg_list_checkins,
    .list_consultations = pg_list_consultations,
    .forget = pg_forget,
    .user_create = pg_user_create,
    .user_get = pg_user_get,
    .user_set = pg_user_set,
    .user_delete = pg_user_delete,
    .session_create = pg_session_create,
    .session_lookup = pg_session_lookup,
    .session_extend = pg_session_extend,
    .session_delete = pg_session_delete,
    .expire = pg_expire,
    .rate_hit = pg_rate_hit,
    .rate_reset = pg_rate_reset,
    .question_add = pg_question_add,
    .question_list = pg_question_list,
    .question_set_draft = pg_question_set_draft,
    .question_answer = pg_question_answer,
    .lesson_done = pg_lesson_done,
    .lessons_list = pg_lessons_list,
};
