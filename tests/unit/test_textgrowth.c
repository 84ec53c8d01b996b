/* test_textgrowth.c — the text reader is linear: for each shape of text
 * (the readings a sentence can have, negations, sides named or not, one
 * sentence that never ends, questions, other people, hypotheticals) the
 * CPU time for 8 times the words is under 10 times the time, measured in
 * the same run (the best of several tries of each, interleaved, so the
 * machine's load and speed cancel out).  A reader that scans back or ahead
 * per match takes 64 times as long, so the test fails from 16 times: the
 * issue's figure (under 10 times) is printed by bench/read.sh, and a machine
 * under heavy load (caches shared with a dozen other processes) measured
 * up to 11 times on a linear reader.  It is the one test here that reads a
 * clock, and it compares two times of the same run, never a time with a
 * fixed figure. */
#include "check.h"
#include "kb.h"
#include "text.h"

#include <stdlib.h>
#include <time.h>

static kf_kb *kb;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double read_once(const char *text, size_t n)
{
    kf_findings f;
    kf_findings_init(&f);
    double t0 = cpu_s();
    kf_err e = kf_text_read(kb, text, n, &f, NULL);
    double dt = cpu_s() - t0;
    CHECK_INT(e, KF_OK);
    kf_findings_free(&f);
    return dt;
}

static const char *const shapes[][2] = {
    { "article", "I have a knot between my right shoulder blade and spine that keeps coming "
                 "back. Massage helps for a few hours, then it returns. I use the mouse all day "
                 "and sleep on my side. My neck doesn't hurt. " },
    { "negations", "no pain in my neck and not my back, no fever, never numb, " },
    { "one sentence", "my neck hurts and my lats are sore and the knot comes back and massage "
                      "helps for a few hours and " },
    { "no side", "my neck hurts and " },
    { "sides far", "left alone the knot under the blade hurts and the right one too and " },
    { "questions", "could it be my heart? is it a pinched nerve or not? " },
    { "others", "my wife has a stiff neck and her mother had a fever, not me, " },
    { "hypotheticals", "if I had numb hands or a fever I would worry, but " },
    { "no words", "1234 5678, 90; " },
};

static void test_growth(void)
{
    const size_t small = 16 * 1024, big = 8 * small;
    char *text = malloc(big);
    if (!text)
        return;
    for (size_t s = 0; s < KF_ARRAY_LEN(shapes); s++) {
        size_t pl = strlen(shapes[s][1]);
        for (size_t k = 0; k < big; k++)
            text[k] = shapes[s][1][k % pl];
        double ts = 1e9, tb = 1e9;
        read_once(text, big);                 /* warm up */
        for (int rep = 0; rep < 7; rep++) {
            double a = read_once(text, small), b = read_once(text, big);
            ts = a < ts ? a : ts;
            tb = b < tb ? b : tb;
        }
        double r = tb / (ts > 1e-7 ? ts : 1e-7);
        if (r >= 16)
            fprintf(stderr, "  %s: 16 KB %.2f ms, 128 KB %.2f ms: %.1f x\n", shapes[s][0],
                    ts * 1e3, tb * 1e3, r);
        CHECK(r < 16);
        if (getenv("KF_SHOW_GROWTH"))
            printf("  %-13s 16 KB %6.2f ms  128 KB %6.2f ms  %.1f x (8 is linear)\n",
                   shapes[s][0], ts * 1e3, tb * 1e3, r);
    }
    free(text);
}

int main(void)
{
    const char *dir = getenv("KNOTFINDER_KB") ? getenv("KNOTFINDER_KB") : "kb";
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir, &kb, &errs) != KF_OK) {
        fprintf(stderr, "cannot load %s:\n%s", dir, errs.s ? errs.s : "");
        return 1;
    }
    kf_buf_free(&errs);
    RUN(test_growth);
    kf_kb_free(kb);
    return CHECK_DONE();
}
