/*
 * cli.h — the knotfinder command's shared context and its subcommands.
 * Each subcommand returns the process exit status (docs/CLI.md):
 * 0 ok, 1 a red flag at doctor_soon or above was shown (ask/interview only
 * with --exit-triage), 2 usage error, 3 bad input, 4 knowledge base error,
 * 5 database error, 70 internal error.
 */
#ifndef KF_CLI_H
#define KF_CLI_H

#include "kb.h"

enum { KF_EXIT_OK = 0, KF_EXIT_FLAG = 1, KF_EXIT_USAGE = 2, KF_EXIT_INPUT = 3,
       KF_EXIT_KB = 4, KF_EXIT_DB = 5, KF_EXIT_INTERNAL = 70 };

typedef struct {
    const char *kb_dir;     /* --kb DIR, $KNOTFINDER_KB, or found beside the binary */
    const char *web_dir;    /* --web DIR, $KNOTFINDER_WEB, or found beside the binary */
    const char *db_path;    /* --db PATH or NULL for the default */
    bool        json;       /* --json */
    bool        no_save;    /* --no-save: keep no consultation in the journal */
    const char *argv0;
} kf_cli;

/* Loads the KB named by the context, printing file:line errors to stderr.
 * Returns NULL on failure. */
kf_kb *kf_cli_load_kb(const kf_cli *c);

int kf_cmd_ask(kf_cli *c, int argc, char **argv);
int kf_cmd_eval(kf_cli *c, int argc, char **argv);
int kf_cmd_kb(kf_cli *c, int argc, char **argv);
int kf_cmd_interview(kf_cli *c, int argc, char **argv);
int kf_cmd_serve(kf_cli *c, int argc, char **argv);
int kf_cmd_log(kf_cli *c, int argc, char **argv);
int kf_cmd_do(kf_cli *c, int argc, char **argv);
int kf_cmd_plan(kf_cli *c, int argc, char **argv);
int kf_cmd_history(kf_cli *c, int argc, char **argv);
int kf_cmd_export(kf_cli *c, int argc, char **argv);
int kf_cmd_forget(kf_cli *c, int argc, char **argv);
int kf_cmd_learn(kf_cli *c, int argc, char **argv);
int kf_cmd_lessons(kf_cli *c, int argc, char **argv);
int kf_cmd_lesson(kf_cli *c, int argc, char **argv);
int kf_cmd_draft(kf_cli *c, int argc, char **argv);

#endif
