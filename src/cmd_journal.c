/* cmd_journal.c — placeholder until the journal lands (issue 5). */
#include "cli.h"
#include <stdio.h>
static int todo(const char *what)
{
    fprintf(stderr, "knotfinder: %s is not built yet\n", what);
    return KF_EXIT_INTERNAL;
}
int kf_cmd_log(kf_cli *c, int argc, char **argv) { return todo("log"); }
int kf_cmd_do(kf_cli *c, int argc, char **argv) { return todo("do"); }
int kf_cmd_plan(kf_cli *c, int argc, char **argv) { return todo("plan"); }
int kf_cmd_history(kf_cli *c, int argc, char **argv) { return todo("history"); }
int kf_cmd_export(kf_cli *c, int argc, char **argv) { return todo("export"); }
