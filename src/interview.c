/* interview.c — placeholder: the CLI interview lands with issue 3. */
#include "cli.h"
#include <stdio.h>
int kf_cmd_interview(kf_cli *c, int argc, char **argv)
{
    fprintf(stderr, "knotfinder: interview is not built yet\n");
    return KF_EXIT_INTERNAL;
}
