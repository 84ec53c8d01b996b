/* cmd_draft.c — `draft`: a reply to a reader's question in the therapist's
 * manner (draft.h), for a therapist to edit. */
#include "cli.h"
#include "draft.h"
#include "journal.h"
#include "text.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char draft_usage[] =
"usage: knotfinder draft [--name NAME] [--attach] [--json] \"the reader's question\"\n"
"       knotfinder draft [options] -      (the question on stdin)\n"
"Drafts a reply in the therapist's manner: triage first, the best long-distance\n"
"guess with its chain, two or three things to try with doses, one or two\n"
"questions back.  --name greets the reader by first name; --attach adds the\n"
"latest consultation and the check-ins saved in the journal.  Nothing is saved.\n";

/* Reads the question: the words after the options, or stdin for "-" or
 * none (not a terminal). */
static char *question(int argc, char **argv, int i, size_t *len, bool *usage)
{
    kf_buf b;
    kf_buf_init(&b);
    *usage = false;
    if (i >= argc || (i == argc - 1 && !strcmp(argv[i], "-"))) {
        if (i >= argc && isatty(0)) {
            *usage = true;
            return NULL;
        }
        if (kf_read_all(stdin, KF_TEXT_MAX, &b) == KF_ENOMEM) {
            kf_buf_free(&b);
            return NULL;
        }
    } else {
        for (int k = i; k < argc; k++) {
            if (k > i)
                kf_buf_puts(&b, " ");
            kf_buf_puts(&b, argv[k]);
        }
    }
    if (b.oom) {
        kf_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.s ? b.s : kf_strdup("");
}

/* The latest consultation's result and all check-ins, from the journal.
 * Returns an exit status (0: fine, with or without anything saved). */
static int attach(const kf_cli *c, const kf_kb *kb, kf_result **res, kf_checkin_list *l)
{
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_consultation_list cl = { 0 };
    int rc = KF_EXIT_OK;
    kf_err e = kf_store_open(c->db_path, &s, &err);
    if (e == KF_OK)
        e = kf_store_list_consultations(s, 1, &cl, &err);
    if (e == KF_OK && cl.n == 1) {
        kf_buf why;
        kf_buf_init(&why);
        if (kf_journal_consultation_result(kb, &cl.v[0], res, &why) != KF_OK)
            fprintf(stderr, "knotfinder draft: the latest consultation is not attached: %s\n",
                    why.len ? why.s : "it could not be read");
        kf_buf_free(&why);
    } else if (e == KF_OK) {
        fprintf(stderr, "knotfinder draft: no consultation is saved yet; only the check-ins "
                "are attached\n");
    }
    if (e == KF_OK)
        e = kf_store_list_checkins(s, NULL, 0, l, &err);
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder draft: %s\n", err.len ? err.s : kf_strerror(e));
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_DB;
    }
    kf_consultation_list_free(&cl);
    kf_store_close(s);
    kf_buf_free(&err);
    return rc;
}

int kf_cmd_draft(kf_cli *c, int argc, char **argv)
{
    bool json = c->json, with_journal = false;
    const char *name = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--attach"))
            with_journal = true;
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strncmp(argv[i], "--name=", 7))
            name = argv[i] + 7;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(draft_usage, stdout);
            return KF_EXIT_OK;
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else {
            fprintf(stderr, "knotfinder draft: %s '%s'\n", !strcmp(argv[i], "--name")
                    ? "a value is missing after" : "unknown option", argv[i]);
            fputs(draft_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    size_t len = 0;
    bool usage;
    char *text = question(argc, argv, i, &len, &usage);
    if (!text) {
        if (usage) {
            fputs(draft_usage, stderr);
            return KF_EXIT_USAGE;
        }
        fprintf(stderr, "knotfinder draft: out of memory\n");
        return KF_EXIT_INTERNAL;
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb) {
        kf_free(text);
        return KF_EXIT_KB;
    }
    kf_result *att = NULL;
    kf_checkin_list l = { 0 };
    int rc = with_journal ? attach(c, kb, &att, &l) : KF_EXIT_OK;
    kf_buf err;
    kf_buf_init(&err);
    kf_draft d;
    kf_draft_input in = { .consultation = att, .checkins = l.v, .n_checkins = l.n,
                          .name = name };
    kf_err e = rc ? KF_OK : kf_draft_make(kb, text, len, &in, &d, &err);
    if (rc) {
        /* the journal could not be read: said above */
    } else if (e != KF_OK) {
        fprintf(stderr, "knotfinder draft: %s\n", err.len ? err.s : kf_strerror(e));
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_INPUT;
    } else if (json) {
        kf_jo w;
        kf_jo_init(&w, KF_JO_INDENT(2) | KF_JO_ASCII | KF_JO_EOL);
        kf_draft_write(&w, kb, &d);
        size_t n = 0;
        char *s = kf_jo_finish(&w, &n);
        if (!s || fwrite(s, 1, n, stdout) != n) {
            fprintf(stderr, "knotfinder draft: cannot write JSON\n");
            rc = KF_EXIT_INTERNAL;
        }
        kf_free(s);
        kf_draft_free(&d);
    } else {
        if (fputs(d.text, stdout) == EOF)
            rc = KF_EXIT_INTERNAL;
        kf_draft_free(&d);
    }
    fflush(stdout);
    kf_buf_free(&err);
    kf_result_free(att);
    kf_checkin_list_free(&l);
    kf_kb_free(kb);
    kf_free(text);
    return rc;
}
