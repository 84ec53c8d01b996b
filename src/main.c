/* main.c — the knotfinder command: global options, then a subcommand. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
    fputs(
"usage: knotfinder [--kb DIR] [--db PATH] [--json] COMMAND [ARGS]\n"
"\n"
"Finds the likely causes of a knot in the upper back, screens for what needs\n"
"a doctor, and gives a self-care plan.  Self-help guidance, not a diagnosis.\n"
"\n"
"commands:\n"
"  ask \"WORDS\"          read a description and print triage, causes and plan\n"
"  interview [\"WORDS\"]  an adaptive interview, one question at a time\n"
"  serve [--port N] [--bind ADDR]   the web app and JSON API\n"
"  log                  record a check-in (pain, what you did, how long relief lasted)\n"
"  do TECHNIQUE         guide one self-care step with a timer, then log it\n"
"  plan                 the ranking and plan revised by your check-ins\n"
"  history [--svg F]    your pain over time\n"
"  export --csv|--json  everything stored, back to you\n"
"  learn [TOPIC]        short lessons on causes and techniques\n"
"  eval FILE.jsonl      score labelled cases\n"
"  kb check             validate the knowledge base\n"
"  kb export --json     the network (causes, findings, links, chains) as data\n"
"\n"
"exit status: 0 ok, 2 usage, 3 bad input, 4 knowledge base error,\n"
"5 database error, 70 internal error.\n", out);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Finds `name` (kb or web) beside the binary: <exe dir>/name,
 * <exe dir>/../name, <exe dir>/../../name, then ./name. */
static const char *find_dir(const char *env, const char *name)
{
    const char *e = getenv(env);
    if (e && *e)
        return e;
    static char found[2][PATH_MAX];
    char *slot = found[strcmp(name, "kb") == 0 ? 0 : 1];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const ups[] = { "", "/..", "/../.." };
        for (size_t i = 0; i < KF_ARRAY_LEN(ups); i++) {
            int w = snprintf(slot, PATH_MAX, "%.3800s%s/%s", exe, ups[i], name);
            if (w > 0 && w < PATH_MAX && is_dir(slot))
                return slot;
        }
    }
    return name;
}

static const struct {
    const char *name;
    int (*fn)(kf_cli *, int, char **);
} commands[] = {
    { "ask", kf_cmd_ask },         { "eval", kf_cmd_eval },
    { "kb", kf_cmd_kb },           { "interview", kf_cmd_interview },
    { "serve", kf_cmd_serve },     { "log", kf_cmd_log },
    { "do", kf_cmd_do },           { "plan", kf_cmd_plan },
    { "history", kf_cmd_history }, { "export", kf_cmd_export },
    { "learn", kf_cmd_learn },
};

int main(int argc, char **argv)
{
    kf_cli c = { .argv0 = argv[0] };
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--kb") && i + 1 < argc)        c.kb_dir = argv[++i];
        else if (!strcmp(a, "--web") && i + 1 < argc)  c.web_dir = argv[++i];
        else if (!strcmp(a, "--db") && i + 1 < argc)   c.db_path = argv[++i];
        else if (!strcmp(a, "--json"))                 c.json = true;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else {
            fprintf(stderr, "knotfinder: unknown option %s\n", a);
            usage(stderr);
            return KF_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return KF_EXIT_USAGE;
    }
    if (!c.kb_dir)
        c.kb_dir = find_dir("KNOTFINDER_KB", "kb");
    if (!c.web_dir)
        c.web_dir = find_dir("KNOTFINDER_WEB", "web");
    for (size_t k = 0; k < KF_ARRAY_LEN(commands); k++)
        if (!strcmp(argv[i], commands[k].name))
            return commands[k].fn(&c, argc - i, argv + i);
    fprintf(stderr, "knotfinder: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return KF_EXIT_USAGE;
}
