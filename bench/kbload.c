/*
 * kbload.c — one load of the knowledge base, for callgrind to count
 * (bench/kbload.sh): `text` parses and checks the .kb files (never a
 * snapshot; one is written after), `load` is what every command does (the
 * snapshot when it matches the files, else the text).  The counted work is
 * in measured() (--toggle-collect=measured*).
 *
 *   build/bench/kbload [--kb DIR] text|load
 */
#include "kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static kf_err measured(const char *dir, bool text, kf_kb **kb,
                                                 kf_buf *errs)
{
    return text ? kf_kb_load_from_text(dir, kb, errs) : kf_kb_load(dir, kb, errs);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("KNOTFINDER_KB") && *getenv("KNOTFINDER_KB")
                    ? getenv("KNOTFINDER_KB") : "kb";
    const char *mode = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kb") && i + 1 < argc)
            dir = argv[++i];
        else
            mode = argv[i];
    }
    if (!mode || (strcmp(mode, "text") && strcmp(mode, "load"))) {
        fprintf(stderr, "usage: kbload [--kb DIR] text|load\n");
        return 2;
    }
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    kf_err e = measured(dir, !strcmp(mode, "text"), &kb, &errs);
    if (e != KF_OK) {
        fprintf(stderr, "kbload: %s:\n%s", kf_strerror(e), errs.s ? errs.s : "");
        return 1;
    }
    printf("%s: %d findings, %d phrases, version %s, %s\n", dir, kb->n_findings,
           kb->n_phrases, kb->version, kf_kb_from_snapshot(kb) ? "from the snapshot"
                                                               : "from the text");
    kf_kb_free(kb);
    kf_buf_free(&errs);
    return 0;
}
