/* fuzz_text.c — libFuzzer harness for the text reader and everything after
 * it: words -> findings -> consultation -> JSON.  The KB is loaded once from
 * $KNOTFINDER_KB (default "kb").  Build and run with tests/fuzz/run.sh. */
#include "engine.h"
#include "render.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>

static kf_kb *kb;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "fuzz_text: cannot load the KB:\n%s", errs.s ? errs.s : "");
        exit(1);
    }
    kf_buf_free(&errs);
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    kf_findings f;
    kf_findings_init(&f);
    kf_buf err;
    kf_buf_init(&err);
    /* The reader must not read past `size`: the input is not NUL-terminated. */
    if (kf_text_read(kb, (const char *)data, size, &f, &err) == KF_OK) {
        kf_result *r = kf_consult(kb, &f);
        if (r) {
            /* Spans point into the text, so the renderer needs it terminated. */
            char *text = kf_strndup((const char *)data, size);
            json_decref(kf_result_json(kb, r, text));
            kf_free(text);
            kf_result_free(r);
        }
    }
    kf_buf_free(&err);
    kf_findings_free(&f);
    return 0;
}
