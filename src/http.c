/* http.c — placeholder until the server lands (issue 4). */
#include "cli.h"
#include <stdio.h>
int kf_cmd_serve(kf_cli *c, int argc, char **argv)
{
    fprintf(stderr, "knotfinder: serve is not built yet\n");
    return KF_EXIT_INTERNAL;
}
