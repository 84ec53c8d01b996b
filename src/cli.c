/* cli.c — helpers shared by the subcommands. */
#include "cli.h"

#include <stdio.h>

kf_kb *kf_cli_load_kb(const kf_cli *c)
{
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    kf_err e = kf_kb_load(c->kb_dir, &kb, &errs);
    if (e != KF_OK) {
        fprintf(stderr, "%s", errs.len ? errs.s : "");
        fprintf(stderr, "knotfinder: cannot load the knowledge base from %s: %s\n",
                c->kb_dir, kf_strerror(e));
    }
    kf_buf_free(&errs);
    return kb;
}
