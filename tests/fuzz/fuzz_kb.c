/* fuzz_kb.c — libFuzzer harness for the knowledge-base loader and validator:
 * any bytes as one .kb file must load or fail with file:line messages, never
 * crash, leak or read out of bounds.  Build and run with tests/fuzz/run.sh. */
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
    } else if (kb) {
        __builtin_trap();
    }
    kf_kb_free(kb);
    kf_buf_free(&errs);
    return 0;
}
