/*
 * bench/groupcommit.c — the journal's group commit alone, without HTTP:
 * CLIENTS threads each queue a consultation (kf_store_add_consultation_async,
 * distinct words, about 900 bytes a row as the server saves), wait until it
 * is saved (durable), and queue the next, for SECONDS, ROUNDS times on
 * fresh journals in DIR.  Prints the consultations saved a second, the
 * commits and rows in each, and the mean and 99th percentile wait of one
 * save.  The disk may be shared: compare builds run in turn.
 *
 * usage: build/bench/groupcommit [DIR] [CLIENTS] [SECONDS] [ROUNDS]
 *        (default /tmp, 64, 3, 3)
 */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 256
#define MAX_WAITS   (1 << 20)

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    bool            done;
    kf_err          e;
} slot;

static kf_store *store;
static volatile bool stop;
static double waits[MAX_WAITS];
static int n_waits, failed;
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void on_done(void *ctx, kf_err e, long long id, const char *why)
{
    (void)id;
    (void)why;
    slot *sl = ctx;
    pthread_mutex_lock(&sl->mu);
    sl->done = true;
    sl->e = e;
    pthread_cond_signal(&sl->cv);
    pthread_mutex_unlock(&sl->mu);
}

static const char findings[] =
    "{\"findings\":[{\"id\":\"pain_inferior_angle\",\"state\":\"present\",\"side\":\"left\","
    "\"origin\":\"text\"},{\"id\":\"does_mousing\",\"state\":\"present\",\"side\":\"left\","
    "\"origin\":\"text\"}],\"dominant_hand\":null,\"facts\":{\"age\":null,"
    "\"weeks_pregnant\":null,\"duration_days\":null}}";

static void *client(void *arg)
{
    long c = (long)arg;
    slot sl = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    char text[600];
    for (long i = 0; !stop; i++) {
        int n = snprintf(text, sizeof text, "A knot under my left shoulder blade from the "
                         "mouse, worse after a long day at the laptop and better after a "
                         "walk; it pulls up into my neck when I reach forward for the "
                         "keyboard and I sleep on that side most nights (client %ld, "
                         "consultation %ld)", c, i);
        sl.done = false;
        double t0 = now_us();
        kf_err e = kf_store_add_consultation_async(store, text, (size_t)n, findings,
                                                   sizeof findings - 1, "bench", on_done,
                                                   &sl, NULL);
        if (e == KF_OK) {
            pthread_mutex_lock(&sl.mu);
            while (!sl.done)
                pthread_cond_wait(&sl.cv, &sl.mu);
            e = sl.e;
            pthread_mutex_unlock(&sl.mu);
        }
        double dt = now_us() - t0;
        pthread_mutex_lock(&stats_mu);
        if (e != KF_OK)
            failed++;
        else if (n_waits < MAX_WAITS)
            waits[n_waits++] = dt;
        pthread_mutex_unlock(&stats_mu);
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One run; returns the saves a second. */
static double run(const char *dir, int round, int clients, int seconds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/groupcommit-%d-%d.db", dir, (int)getpid(), round);
    kf_buf err;
    kf_buf_init(&err);
    if (kf_store_open(path, &store, &err) != KF_OK) {
        fprintf(stderr, "groupcommit: %s\n", err.s ? err.s : "cannot open");
        exit(1);
    }
    kf_buf_free(&err);
    stop = false;
    n_waits = failed = 0;
    pthread_t t[MAX_CLIENTS];
    double t0 = now_us();
    for (long i = 0; i < clients; i++)
        pthread_create(&t[i], NULL, client, (void *)i);
    sleep((unsigned)seconds);
    stop = true;
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    double secs = (now_us() - t0) / 1e6;
    long long commits = kf_store_group_commits(store);
    kf_store_close(store);
    static const char *const sides[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", path, sides[i]);
        unlink(p);
    }
    qsort(waits, (size_t)n_waits, sizeof *waits, cmp);
    double sum = 0;
    for (int i = 0; i < n_waits; i++)
        sum += waits[i];
    double rate = n_waits / secs;
    printf("round %d: %8.0f saved/s  %7lld commits (%5.1f rows each)  wait mean %6.2f ms  "
           "p99 %6.2f ms  %d failed\n", round + 1, rate, commits, commits ? n_waits / (double)commits : 0, n_waits ? sum / n_waits / 1e3 : 0,
           n_waits ? waits[(int)(n_waits * 0.99)] / 1e3 : 0, failed);
    return rate;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int clients = argc > 2 ? atoi(argv[2]) : 64;
    int seconds = argc > 3 ? atoi(argv[3]) : 3;
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    if (clients < 1 || clients > MAX_CLIENTS || seconds < 1 || rounds < 1) {
        fprintf(stderr, "usage: groupcommit [DIR] [CLIENTS 1-%d] [SECONDS] [ROUNDS]\n",
                MAX_CLIENTS);
        return 2;
    }
    printf("bench/groupcommit: %d clients, %d s a run, %d rounds, journals in %s\n",
           clients, seconds, rounds, dir);
    double rates[64];
    int nr = rounds < 64 ? rounds : 64;
    for (int r = 0; r < nr; r++)
        rates[r] = run(dir, r, clients, seconds);
    qsort(rates, (size_t)nr, sizeof *rates, cmp);
    printf("median: %.0f consultations saved a second, each durable before it is told\n",
           rates[nr / 2]);
    return 0;
}
