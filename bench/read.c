/*
 * read.c — how long the text reader takes on long descriptions, to show it
 * is linear: the same sentences repeated to 64 KB, 256 KB and 1 MB (the
 * largest description accepted), in several shapes (many negations, many
 * readings in one sentence, no side named at all).  Prints the CPU time per
 * size and the ratio of 1 MB to 64 KB (16 when linear) beside the target
 * (1 MB in under 50 ms, issue 14).
 *
 *   build/bench/read [--kb DIR]
 */
#include "kb.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TARGET_MS 50.0      /* 1 MB */
#define TARGET_64K_MS 5.0   /* 64 KB */

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *const shapes[][2] = {
    { "article", "I have a knot between my right shoulder blade and spine that keeps coming "
                 "back. Massage helps for a few hours, then it returns. I use the mouse all day "
                 "and sleep on my side. My neck doesn't hurt. " },
    { "negations", "no pain in my neck and not my back, no fever, never numb, " },
    { "one sentence", "my neck hurts and my lats are sore and the knot comes back and massage "
                      "helps for a few hours and " },
    { "no side", "my neck hurts and " },
};

/* --once SHAPE BYTES: one read, in read_once() (for callgrind's
 * --toggle-collect: bench/read.sh counts its instructions). */
__attribute__((noinline)) static kf_err read_once(const kf_kb *kb, const char *text, size_t n,
                                                  kf_findings *f)
{
    return kf_text_read(kb, text, n, f, NULL);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("KNOTFINDER_KB") ? getenv("KNOTFINDER_KB") : "kb";
    int once = -1;
    size_t once_n = 0;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--kb"))
            dir = argv[++i];
        else if (!strcmp(argv[i], "--once") && i + 2 < argc) {
            once = atoi(argv[++i]);
            once_n = strtoul(argv[++i], NULL, 10);
        }
    }
    if (once >= (int)KF_ARRAY_LEN(shapes) || once_n > KF_TEXT_MAX) {
        fprintf(stderr, "usage: read [--kb DIR] [--once SHAPE(0-%d) BYTES]\n",
                (int)KF_ARRAY_LEN(shapes) - 1);
        return 2;
    }
    kf_kb *kb;
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir, &kb, &errs)) {
        fprintf(stderr, "read: cannot load %s:\n%s", dir, errs.s ? errs.s : "");
        return 1;
    }
    kf_buf_free(&errs);
    if (once >= 0) {
        char *t = malloc(once_n + 1);
        size_t pl = strlen(shapes[once][1]);
        for (size_t k = 0; t && k < once_n; k++)
            t[k] = shapes[once][1][k % pl];
        kf_findings f;
        kf_findings_init(&f);
        kf_err e = t ? read_once(kb, t, once_n, &f) : KF_ENOMEM;
        printf("%s: %d facts\n", shapes[once][0], f.n);
        kf_findings_free(&f);
        free(t);
        kf_kb_free(kb);
        return e != KF_OK;
    }
    static const size_t sizes[] = { 64 * 1024, 256 * 1024, KF_TEXT_MAX };
    char *text = malloc(KF_TEXT_MAX);
    if (!text)
        return 1;
    int worst_ok = 1;
    printf("text reader, CPU time per description (best of 3)\n");
    for (size_t s = 0; s < KF_ARRAY_LEN(shapes); s++) {
        size_t pl = strlen(shapes[s][1]);
        for (size_t k = 0; k < KF_TEXT_MAX; k++)
            text[k] = shapes[s][1][k % pl];
        double t[3];
        for (size_t z = 0; z < KF_ARRAY_LEN(sizes); z++) {
            double best = 1e30;
            for (int rep = 0; rep < 3; rep++) {
                kf_findings f;
                kf_findings_init(&f);
                double t0 = cpu_ms();
                kf_err e = kf_text_read(kb, text, sizes[z], &f, NULL);
                double dt = cpu_ms() - t0;
                kf_findings_free(&f);
                if (e) {
                    fprintf(stderr, "read: %s\n", kf_strerror(e));
                    return 1;
                }
                best = dt < best ? dt : best;
            }
            t[z] = best;
        }
        bool ok = t[2] < TARGET_MS, ok64 = t[0] < TARGET_64K_MS;
        worst_ok &= ok && ok64;
        printf("  %-13s 64 KB %7.2f ms  256 KB %7.2f ms  1 MB %7.2f ms  (1 MB / 64 KB = %.1f; "
               "16 is linear)  target 64 KB < %.0f ms %s, 1 MB < %.0f ms %s\n", shapes[s][0],
               t[0], t[1], t[2], t[2] / (t[0] > 0 ? t[0] : 1e-9), TARGET_64K_MS,
               ok64 ? "ok" : "OVER", TARGET_MS, ok ? "ok" : "OVER TARGET");
    }
    free(text);
    kf_kb_free(kb);
    return 0;
}
