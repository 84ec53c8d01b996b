/* bench/pg/pg.c — the PostgreSQL store's own rates (issue 15): a user's
 * consultation saved (kf_store_add_consultation through a scoped handle,
 * durable when it returns) and a session looked up (kf_store_session_lookup),
 * per second on one thread (one connection) and on 8 threads (the pool's 8
 * connections), with the statements (round trips) each call sent; and the
 * time an account deletion takes with the tables rewritten (VACUUM FULL)
 * when 100,000 other check-ins share the table.
 *   pg URI [--n N]      (bench/pg/run.sh starts a server and passes its URI)
 * Instruction counts mean little here (the work is in the server), so the
 * figures are rates and round trips, measured in this run. */
#include "store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *findings =
    "{\"schema\":1,\"regions\":[\"medial_border\"],\"side\":\"right\","
    "\"triggers\":[\"desk\"],\"duration_days\":14}";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *token(int i)
{
    static _Thread_local char h[65];
    for (int k = 0; k < 64; k++)
        h[k] = "0123456789abcdef"[(i * 31 + k * 7) & 15];
    snprintf(h, 9, "%08x", (unsigned)i);
    h[8] = 'b';
    return h;
}

typedef struct {
    kf_store *s;
    int       kind, n, fails, sessions;
} job;

static void *worker(void *p)
{
    job *j = p;
    for (int i = 0; i < j->n; i++) {
        kf_session ss;
        kf_err e = j->kind == 0
            ? kf_store_add_consultation(j->s, "a knot under my right shoulder "
                                        "blade after a day at the desk",
                                        findings, "kb-bench", NULL, NULL)
            : kf_store_session_lookup(j->s, token(i % j->sessions), 1900000000,
                                      &ss, NULL);
        if (e != KF_OK)
            j->fails++;
    }
    return NULL;
}

static int run(kf_store *s, int kind, int threads, int n, int sessions)
{
    pthread_t t[8];
    job j[8];
    long long st0 = kf_store_pg_statements();
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        j[i] = (job){ s, kind, n / threads, 0, sessions };
        pthread_create(&t[i], NULL, worker, &j[i]);
    }
    int fails = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        fails += j[i].fails;
    }
    double dt = now_s() - t0;
    long long trips = kf_store_pg_statements() - st0;
    int calls = n / threads * threads;
    printf("  %-26s %d thread%s: %7.0f calls/s  (%d calls in %.2f s, %.2f round "
           "trips a call, %d failed)   target: none set for the store\n",
           kind == 0 ? "consultation saved" : "session looked up", threads,
           threads > 1 ? "s" : " ", calls / dt, calls, dt,
           (double)trips / calls, fails);
    return fails;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URI [--n N]\n", argv[0]);
        return 2;
    }
    int n = 2000;
    if (argc > 3 && !strcmp(argv[2], "--n"))
        n = atoi(argv[3]);
    if (n < 8)
        n = 8;
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    if (kf_store_open(argv[1], &s, &err) != KF_OK) {
        fprintf(stderr, "open: %s\n", err.s);
        return 1;
    }
    long long u = 0;
    if (kf_store_user_create(s, "bench@example.org", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                             NULL, KF_ROLE_USER, &u, &err) != KF_OK) {
        fprintf(stderr, "user: %s\n", err.s);
        return 1;
    }
    int sessions = 500;
    for (int i = 0; i < sessions; i++)
        if (kf_store_session_create(s, u, token(i), "csrf-0123456789abcdef",
                                    1900003600, &err) != KF_OK) {
            fprintf(stderr, "session: %s\n", err.s);
            return 1;
        }
    kf_store *su = kf_store_as(s, u);
    int fails = 0;
    job warm = { su, 0, n / 10, 0, sessions };
    worker(&warm);                            /* the connection made, warm */
    fails += run(su, 0, 1, n, sessions);
    fails += run(su, 0, 8, n, sessions);
    fails += run(s, 1, 1, n, sessions);
    fails += run(s, 1, 8, n, sessions);

    /* An account deletion with 100,000 other check-ins in the table: the
     * deletion and the rewrite of the tables it touched (pg_scrub). */
    PGconn *c = PQconnectdb(argv[1]);
    PGresult *r = PQexec(c, "INSERT INTO checkins (at, pain, note, owner) SELECT "
                         "'2026-01-01T00:00:00Z', g % 11, 'someone else''s note "
                         "number ' || g, 999 FROM generate_series(1, 100000) g");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fprintf(stderr, "fill: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    for (int i = 0; i < 10; i++) {
        kf_checkin ci = { .pain = 3, .pain_before = -1, .relief_hours = -1,
                          .done_s = -1, .note = "mine" };
        kf_store_add_checkin(su, &ci, NULL, NULL);
    }
    long long st0 = kf_store_pg_statements();
    double t0 = now_s();
    long long rows = 0;
    kf_err e = kf_store_user_delete(s, u, &rows, &err);
    double dt = now_s() - t0;
    printf("  account deletion (%lld rows of theirs; 100,000 other check-ins "
           "in the table; the tables rewritten): %.2f s, %lld round trips"
           "   target: none set\n", rows, dt, kf_store_pg_statements() - st0);
    if (e != KF_OK) {
        fprintf(stderr, "delete: %s\n", err.s);
        fails++;
    }
    kf_store_close(su);
    kf_store_close(s);
    kf_buf_free(&err);
    return fails ? 1 : 0;
}
