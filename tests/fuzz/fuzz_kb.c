/* fuzz_kb.c — libFuzzer harness for the knowledge-base loader and validator:
 * any bytes as one .kb file must load or fail with file:line messages, never
 * crash, leak or read out of bounds.  Build and run with tests/fuzz/run.sh. */
#include "course.h"
#include "kb.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    kf_err e = kf_kb_load_text("fuzz.kb", (const char *)data, size, &kb, &errs);
    /* A failed load leaves *out NULL; a good one yields a usable KB. */
    if (e == KF_OK && kb) {
        for (int i = 0; i < kb->n_causes; i++)
            if (kf_kb_cause(kb, kb->causes[i].id) != i)
                __builtin_trap();
        /* The course of a KB that loaded: every paragraph fills in, the
         * JSON is well formed, and a newcomer gets a lesson. */
        kf_buf p;
        kf_buf_init(&p);
        for (int l = 0; l < kb->n_lessons; l++)
            for (int k = 0; k < kb->lessons[l].n_paras; k++)
                kf_course_paragraph(kb, l, k, &p);
        kf_buf_free(&p);
        kf_jo w;
        kf_jo_init(&w, 0);
        kf_course_pick next;
        kf_buf why;
        kf_buf_init(&why);
        if (kf_course_next(kb, NULL, NULL, NULL, &next, &why) == KF_OK &&
            kb->n_lessons && next.lesson < 0)
            __builtin_trap();
        kf_course_lessons_json(&w, kb, NULL, &next, why.s);
        char *txt = kf_jo_finish(&w, NULL);
        /* kf_kb_load_text leaves the UTF-8 check to the file reader, so
         * only a valid UTF-8 KB must give a JSON course. */
        if (!txt && kb->n_lessons && kf_jo_utf8((const char *)data, size))
            __builtin_trap();
        kf_free(txt);
        kf_buf_free(&why);
    } else if (kb) {
        __builtin_trap();
    }
    kf_kb_free(kb);
    kf_buf_free(&errs);
    return 0;
}
