/*
 * consult.c — how long one consultation takes in-process, and how long the
 * knowledge base takes to load and validate.
 *
 * A consultation is what `ask --json` and POST /api/v1/consult do after
 * start-up: kf_text_read + kf_consult + kf_result_json + serialising the JSON.
 * The texts are every case of ../shared/cases/articles.jsonl (the readers'
 * own words), or tests/golden/cases.jsonl when that file is absent; each is
 * consulted many times and every consultation is timed on its own, so the
 * median and the 99th percentile are over single consultations.
 *
 *   build/bench/consult [--kb DIR] [--cases FILE.jsonl] [--iterations N]
 *
 * Prints the figures beside their targets (median < 100 us per consultation,
 * KB load + validate < 10 ms as the median of 20 loads).  Exit status 0 when
 * it ran, whatever the figures; 1 when it could not run.
 */
#include "engine.h"
#include "kb.h"
#include "render.h"
#include "render_json.h"
#include "text.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#define RUNNING_ON_VALGRIND 0
#endif

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TARGET_CONSULT_US 100.0
#define TARGET_JSON_US    30.0    /* text in -> JSON out, on a quiet machine */
#define TARGET_LOAD_MS    10.0
#define KB_LOADS          20

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* CPU time of this thread: on a busy machine it leaves out the time other
 * processes had the core, so it is printed beside the wall-clock figure. */
static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The value at fraction q (0..1) of a sorted array, nearest rank. */
static double quantile(const double *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n);
    if (i >= n)
        i = n - 1;
    return v[i];
}

/* Reads the "text" of every JSON line of `path` into *texts (caller frees
 * each with kf_free() and the array with kf_free()).  Returns the count, or -1
 * when the file cannot be opened. */
static int read_texts(const char *path, char ***texts)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return -1;
    int n = 0, cap = 0;
    char **v = NULL, *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, in)) > 0) {
        json_error_t jerr;
        json_t *c = json_loadb(line, (size_t)len, 0, &jerr);
        const char *t = json_string_value(json_object_get(c, "text"));
        if (t) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nv = kf_realloc(v, (size_t)cap * sizeof *v);
                if (!nv)
                    break;
                v = nv;
            }
            v[n++] = kf_strdup(t);
        }
        json_decref(c);
    }
    free(line);
    fclose(in);
    *texts = v;
    return n;
}

/* How the answer is written: streamed (render_json.c, what the program
 * does), as a jansson tree dumped (render.c, what it did), or not at all;
 * or the text only read (no consultation). */
enum { JSON_STREAM, JSON_TREE, JSON_NONE, READ_ONLY };

/* One full consultation; returns the length of the JSON produced (so the
 * work cannot be optimised away), or 0 on failure.  *result_us gets the CPU
 * time of text in -> kf_result out; the JSON after it is timed by the caller. */
static size_t __attribute__((noinline))
consult_json(const kf_kb *kb, const char *text, double *result_us, int how)
{
    kf_findings f;
    kf_findings_init(&f);
    size_t out = 0;
    double c0 = cpu_us();
    bool read = kf_text_read(kb, text, strlen(text), &f, NULL) == KF_OK;
    if (read && how == READ_ONLY) {
        out = (size_t)f.n + 1;      /* the reading alone (bench/instr.sh's split) */
    } else if (read) {
        kf_result *r = kf_consult(kb, &f);
        if (result_us)
            *result_us = cpu_us() - c0;
        if (r && how == JSON_STREAM) {
            char *s = kf_result_dump(kb, r, text, KF_JO_COMPACT | KF_JO_EOL, &out, NULL);
            kf_free(s);
        } else if (r && how == JSON_TREE) {
            json_t *j = kf_result_json(kb, r, text);
            char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
            out = s ? strlen(s) : 0;
            free(s);
            json_decref(j);
        } else if (r)
            out = (size_t)r->n_causes + 1;
        kf_result_free(r);
    }
    kf_findings_free(&f);
    return out;
}

static size_t consult_once(const kf_kb *kb, const char *text, double *result_us)
{
    return consult_json(kb, text, result_us, JSON_STREAM);
}

/* --instr, under callgrind: the instructions of one KB load and of each
 * case's consultation three ways, each dumped under its own name (the
 * counters are zeroed before and dumped after), for bench/run.sh to read.
 * Outside valgrind it does the same work and says nothing. */
static int instr_mode(const char *kbdir, char **texts, int n)
{
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    CALLGRIND_ZERO_STATS;
    kf_err e = kf_kb_load(kbdir, &kb, &errs);
    CALLGRIND_DUMP_STATS_AT("kb-load");
    if (e != KF_OK) {
        fprintf(stderr, "consult: cannot load the KB from %s:\n%s", kbdir, errs.s ? errs.s : "");
        kf_buf_free(&errs);
        return 1;
    }
    kf_buf_free(&errs);
    kf_kb *again = NULL;
    CALLGRIND_ZERO_STATS;
    kf_kb_load(kbdir, &again, NULL);
    kf_kb_free(again);
    CALLGRIND_DUMP_STATS_AT("kb-load-again");
    for (int i = 0; i < n; i++)      /* warm up: the stemmer's first use */
        consult_json(kb, texts[i], NULL, JSON_STREAM);
    static const char *const names[] = { "stream", "tree", "none", "read" };
    for (int i = 0; i < n; i++)
        for (int how = JSON_STREAM; how <= READ_ONLY; how++) {
            char label[64];
            snprintf(label, sizeof label, "case-%d-%s", i, names[how]);
            CALLGRIND_ZERO_STATS;
            consult_json(kb, texts[i], NULL, how);
            CALLGRIND_DUMP_STATS_AT(label);
            /* The jansson tree frees thousands of small blocks; glibc's
             * malloc consolidates them at the next large request (~100k
             * instructions), which fell in the next measured piece (the
             * "none" run's reading: bench/instr.sh's consultation was
             * that much too high).  An unmeasured reading takes it. */
            if (how == JSON_TREE)
                consult_json(kb, texts[i], NULL, READ_ONLY);
        }
    kf_kb_free(kb);
    return 0;
}

int main(int argc, char **argv)
{
    const char *kbdir = getenv("KNOTFINDER_KB");
    const char *cases = NULL;
    long iterations = 0;
    bool instr = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kb") && i + 1 < argc)
            kbdir = argv[++i];
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = argv[++i];
        else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iterations = atol(argv[++i]);
        else if (!strcmp(argv[i], "--instr"))
            instr = true;
        else {
            fprintf(stderr, "usage: %s [--kb DIR] [--cases FILE.jsonl] [--iterations N] [--instr]\n",
                    argv[0]);
            return 1;
        }
    }
    if (!kbdir || !*kbdir)
        kbdir = "kb";

    /* The texts. */
    char **texts = NULL;
    int n = -1;
    if (cases)
        n = read_texts(cases, &texts);
    else {
        cases = "../shared/cases/articles.jsonl";
        n = read_texts(cases, &texts);
        if (n <= 0) {
            kf_free(texts);
            cases = "tests/golden/cases.jsonl";
            n = read_texts(cases, &texts);
        }
    }
    if (n <= 0) {
        fprintf(stderr, "consult: no texts in %s\n", cases ? cases : "(none)");
        return 1;
    }
    if (instr)
        return instr_mode(kbdir, texts, n);

    /* KB load + validate, KB_LOADS times. */
    double loads[KB_LOADS];
    kf_kb *kb = NULL;
    for (int i = 0; i < KB_LOADS; i++) {
        kf_buf errs;
        kf_buf_init(&errs);
        kf_kb *k = NULL;
        double t0 = now_us();
        kf_err e = kf_kb_load(kbdir, &k, &errs);
        loads[i] = (now_us() - t0) / 1000.0;
        if (e != KF_OK) {
            fprintf(stderr, "consult: cannot load the KB from %s (%s):\n%s", kbdir,
                    kf_strerror(e), errs.s ? errs.s : "");
            kf_buf_free(&errs);
            kf_kb_free(kb);
            return 1;
        }
        kf_buf_free(&errs);
        if (kb)
            kf_kb_free(k);
        else
            kb = k;
    }
    qsort(loads, KB_LOADS, sizeof loads[0], cmp_double);

    if (iterations <= 0)
        iterations = n < 20000 ? (20000 + n - 1) / n : 1;

    /* Warm up once (stemmer, caches), then time every consultation. */
    size_t sink = 0, bytes = 0;
    for (int i = 0; i < n; i++)
        sink += consult_once(kb, texts[i], NULL);
    size_t total = (size_t)n * (size_t)iterations;
    double *t = kf_malloc(total * sizeof *t), *c = kf_malloc(total * sizeof *c);
    double *per = kf_calloc((size_t)n, sizeof *per);   /* summed CPU us per text */
    double *rs = kf_malloc(total * sizeof *rs);        /* CPU us, text -> result */
    double *ct = kf_malloc(total * sizeof *ct);        /* CPU us, the tree way */
    if (!t || !c || !per || !rs || !ct) {
        fprintf(stderr, "consult: out of memory\n");
        return 1;
    }
    size_t k = 0;
    double wall0 = now_us();
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < n; i++) {
            double t0 = now_us(), c0 = cpu_us();
            sink += consult_once(kb, texts[i], &rs[k]);
            c[k] = cpu_us() - c0;
            t[k++] = now_us() - t0;
            per[i] += c[k - 1];
            /* The old way, right after, so both see the same load. */
            double c1 = cpu_us();
            sink += consult_json(kb, texts[i], NULL, JSON_TREE);
            ct[k - 1] = cpu_us() - c1;
        }
    double wall = now_us() - wall0;
    for (int i = 0; i < n; i++)
        bytes += strlen(texts[i]);
    qsort(t, total, sizeof t[0], cmp_double);
    qsort(c, total, sizeof c[0], cmp_double);
    qsort(rs, total, sizeof rs[0], cmp_double);
    qsort(ct, total, sizeof ct[0], cmp_double);
    int slow = 0;
    for (int i = 1; i < n; i++)
        if (per[i] > per[slow])
            slow = i;

    double med = quantile(t, total, 0.5), p99 = quantile(t, total, 0.99);
    double lmed = quantile(loads, KB_LOADS, 0.5);
    double rmed = quantile(rs, total, 0.5), rp99 = quantile(rs, total, 0.99);
    printf("consultation, text in -> result out (read + consult, in-process, CPU time),\n"
           "  %d texts (%s, mean %zu bytes) x %ld = %zu runs\n",
           n, cases, bytes / (size_t)n, iterations, total);
    printf("  median %8.1f us   target < %.0f us   %s\n", rmed, TARGET_CONSULT_US,
           rmed < TARGET_CONSULT_US ? "ok" : "OVER TARGET");
    printf("  p99    %8.1f us\n", rp99);
    double cmed = quantile(c, total, 0.5), tmed = quantile(ct, total, 0.5);
    printf("the same plus the JSON answer streamed (kf_result_dump), as ask --json and\n"
           "POST /api/v1/consult do:\n");
    printf("  median %8.1f us CPU   target <= %.0f us on a quiet machine   %s\n", cmed,
           TARGET_JSON_US, cmed <= TARGET_JSON_US ? "ok" : "OVER TARGET");
    printf("  median %8.1f us wall, p99 %.1f us wall, %.0f consultations/s on one core"
           " (wall time: the machine may be shared)\n", med, p99, total / (wall / 1e6));
    printf("  the old way (kf_result_json + json_dumps), interleaved in the same run: median\n"
           "  %.1f us CPU; streamed / tree = %.2f\n", tmed, tmed > 0 ? cmed / tmed : 0.0);
    printf("  slowest text: %.1f us CPU on average, \"%.60s%s\"\n", per[slow] / (double)iterations,
           texts[slow], strlen(texts[slow]) > 60 ? "..." : "");
    printf("KB load + validate (%s), median of %d loads\n", kbdir, KB_LOADS);
    printf("  median %8.2f ms   target < %.0f ms   %s   (min %.2f, max %.2f ms)\n", lmed,
           TARGET_LOAD_MS, lmed < TARGET_LOAD_MS ? "ok" : "OVER TARGET", loads[0],
           loads[KB_LOADS - 1]);
    if (sink == 0)
        printf("  (no JSON was produced: check the KB)\n");
    kf_free(t);
    kf_free(c);
    kf_free(per);
    kf_free(rs);
    kf_free(ct);
    for (int i = 0; i < n; i++)
        kf_free(texts[i]);
    kf_free(texts);
    kf_kb_free(kb);
    return 0;
}
