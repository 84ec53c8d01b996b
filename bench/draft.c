/*
 * draft.c — how long a drafted reply takes (draft.h), beside the
 * consultation it is built on, in one run.
 *
 * Each case of ../shared/cases/articles.jsonl (the readers' own words; or
 * tests/golden/cases.jsonl when that file is absent) is drafted --reps
 * times, each draft timed on its own; the same texts are then only read and
 * consulted (kf_text_read + kf_consult), so the ratio draft / consultation
 * is measured on the same machine in the same minute.  The draft costs more
 * than one consultation: the question back is chosen by information gain
 * twice, the checks before the steps run the triage once each, and short
 * relief said in words costs a second consultation.
 *
 *   build/bench/draft [--kb DIR] [--cases FILE.jsonl] [--reps N] [--quiet]
 *                     [--consult-only]
 *
 * --reps 0 loads the KB and reads the cases only; --quiet drafts and prints
 * nothing; --consult-only (with --quiet) consults only.  bench/draft.sh runs
 * cachegrind on these and prints the differences per draft.
 * Exit status 0 when it ran, 1 when it could not.
 */
#include "draft.h"
#include "engine.h"
#include "kb.h"
#include "text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TARGET_DRAFT_MS 5.0      /* median wall time per draft, quiet machine */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *kbdir = getenv("KNOTFINDER_KB"), *cases = NULL;
    int reps = 20;
    bool quiet = false, consult_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kb") && i + 1 < argc) kbdir = argv[++i];
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc) cases = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quiet")) quiet = true;
        else if (!strcmp(argv[i], "--consult-only")) consult_only = true;
        else {
            fprintf(stderr, "usage: build/bench/draft [--kb DIR] [--cases FILE] [--reps N] "
                    "[--quiet]\n");
            return 1;
        }
    }
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(kbdir && *kbdir ? kbdir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "bench/draft: cannot load the KB: %s\n", errs.s ? errs.s : "");
        return 1;
    }
    kf_buf_free(&errs);
    const char *tries[] = { cases, "../shared/cases/articles.jsonl",
                            "/work/shared/cases/articles.jsonl", "tests/golden/cases.jsonl" };
    FILE *f = NULL;
    const char *used = NULL;
    for (size_t i = 0; i < sizeof tries / sizeof *tries && !f; i++)
        if (tries[i] && (f = fopen(tries[i], "r")))
            used = tries[i];
    if (!f) {
        fprintf(stderr, "bench/draft: no cases file\n");
        return 1;
    }
    char *texts[512];
    int nt = 0;
    char *line = NULL;
    size_t cap = 0;
    while (nt < 512 && getline(&line, &cap, f) > 0) {
        json_t *c = json_loads(line, 0, NULL);
        const char *t = c ? json_string_value(json_object_get(c, "text")) : NULL;
        if (t)
            texts[nt++] = strdup(t);
        json_decref(c);
    }
    free(line);
    fclose(f);
    double *dt = malloc(sizeof *dt * (size_t)(nt * (reps > 0 ? reps : 1) + 1));
    double *ct = malloc(sizeof *ct * (size_t)(nt * (reps > 0 ? reps : 1) + 1));
    int nd = 0, nc = 0;
    long words = 0;
    for (int r = 0; r < reps && !consult_only; r++)
        for (int i = 0; i < nt; i++) {
            kf_draft d;
            double t0 = now_us();
            kf_err e = kf_draft_make(kb, texts[i], strlen(texts[i]), NULL, &d, NULL);
            double t1 = now_us();
            if (e != KF_OK) {
                fprintf(stderr, "bench/draft: a draft failed (%s)\n", kf_strerror(e));
                return 1;
            }
            words += d.words;
            kf_draft_free(&d);
            dt[nd++] = t1 - t0;
        }
    for (int r = 0; r < reps && (!quiet || consult_only); r++)
        for (int i = 0; i < nt; i++) {
            kf_findings fs;
            kf_findings_init(&fs);
            double t0 = now_us();
            kf_text_read(kb, texts[i], strlen(texts[i]), &fs, NULL);
            kf_result *res = kf_consult(kb, &fs);
            double t1 = now_us();
            kf_result_free(res);
            kf_findings_free(&fs);
            ct[nc++] = t1 - t0;
        }
    if (!quiet && nd && nc) {
        qsort(dt, (size_t)nd, sizeof *dt, cmp);
        qsort(ct, (size_t)nc, sizeof *ct, cmp);
        double med = dt[nd / 2], p99 = dt[(int)(nd * 0.99)], cmed = ct[nc / 2];
        double load = -1;
        FILE *la = fopen("/proc/loadavg", "r");
        if (la) {
            if (fscanf(la, "%lf", &load) != 1)
                load = -1;
            fclose(la);
        }
        printf("draft: %d cases of %s x %d, load average %.2f (times are wall clock)\n",
               nt, used, reps, load);
        printf("  per draft: median %.0f us, p99 %.0f us   target median <= %.0f ms on a quiet machine: %s\n",
               med, p99, TARGET_DRAFT_MS, med <= TARGET_DRAFT_MS * 1000 ? "met" : "NOT met");
        printf("  the consultation alone (read + consult): median %.0f us; a draft costs %.1f "
               "consultations (same run)\n", cmed, med / cmed);
        printf("  mean words per draft: %.0f\n", (double)words / nd);
    }
    for (int i = 0; i < nt; i++)
        free(texts[i]);
    free(dt);
    free(ct);
    kf_kb_free(kb);
    return 0;
}
