/* main.c — the knotfinder command: global options, then a subcommand. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef KF_VERSION
#define KF_VERSION "unknown"
#endif
/* Where `make install` puts the knowledge base and the web files
 * ($(PREFIX)/share/knotfinder); the Makefile passes it. */
#ifndef KF_DATADIR
#define KF_DATADIR "/usr/local/share/knotfinder"
#endif

static void usage(FILE *out)
{
    fputs(
"usage: knotfinder [--kb DIR] [--web DIR] [--db PATH] [--json] [--no-save] COMMAND [ARGS]\n"
"       knotfinder --help | --version\n"
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
"  forget ID|--all      delete a consultation or check-in (or all) for good\n"
"  learn [TOPIC]        what the knowledge base says about a cause or technique\n"
"  lessons [--next]     the course: lessons in order; --next picks yours\n"
"  lesson ID            read one lesson\n"
"  draft \"QUESTION\"     draft a reply to a reader's question (--name, --attach)\n"
"  eval FILE.jsonl      score labelled cases\n"
"  kb check             validate the knowledge base (kb list WHAT lists it)\n"
"  kb export --json     the network (causes, findings, links, chains) as data\n"
"Most commands take --help.\n"
"\n"
"options:\n"
"  --kb DIR     the knowledge base (default $KNOTFINDER_KB, else kb/ beside\n"
"               the binary, else " KF_DATADIR "/kb)\n"
"  --web DIR    the web app's files for serve (default $KNOTFINDER_WEB, else\n"
"               web/ beside the binary, else " KF_DATADIR "/web)\n"
"  --db PATH    the journal (default below)\n"
"  --json       answer in JSON where a command can\n"
"  --no-save    keep no consultation in the journal (ask, interview, serve)\n"
"  --version    print the version and exit\n"
"\n"
"what is saved, and where:\n"
"  ask, interview and the web app save each consultation that recognised\n"
"  something (your words, what was read from them and the knowledge-base\n"
"  version); log and do save check-ins.  Everything goes to one SQLite file\n"
"  only you can read (mode 0600):\n"
"  --db PATH, else $XDG_DATA_HOME/knotfinder/knotfinder.db, or\n"
"  ~/.local/share/knotfinder/knotfinder.db when XDG_DATA_HOME is not set.\n"
"  --no-save or KNOTFINDER_NO_SAVE=1 saves no consultation.  export gives it\n"
"  all back; forget deletes one entry, or --all.\n"
"\n"
"exit status: 0 ok, 2 usage, 3 bad input, 4 knowledge base error,\n"
"5 database error, 70 internal error.  See knotfinder(1).\n", out);
}

static void version(void)
{
    printf("knotfinder %s\n"
           "data: %s\n"
           "Copyright (c) the knotfinder authors.  MIT licence: see LICENSE.\n"
           "Self-help guidance, not a diagnosis.\n", KF_VERSION, KF_DATADIR);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Finds `name` (kb or web): $ENV; else beside the binary, as in the build
 * tree (<exe dir>/name, <exe dir>/../name, <exe dir>/../../name); else
 * installed relative to it (<exe dir>/../share/knotfinder/name, so a
 * staged `make install DESTDIR=...` finds its own files); else the
 * compile-time KF_DATADIR/name; else ./name. */
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
        static const char *const ups[] = { "", "/..", "/../..", "/../share/knotfinder" };
        for (size_t i = 0; i < KF_ARRAY_LEN(ups); i++) {
            char cand[PATH_MAX];
            int w = snprintf(cand, sizeof cand, "%.3800s%s/%s", exe, ups[i], name);
            if (w > 0 && w < PATH_MAX && is_dir(cand)) {
                if (!realpath(cand, slot))   /* shown in messages: no "/.." */
                    memcpy(slot, cand, (size_t)w + 1);
                return slot;
            }
        }
    }
    int w = snprintf(slot, PATH_MAX, "%s/%s", KF_DATADIR, name);
    if (w > 0 && w < PATH_MAX && is_dir(slot))
        return slot;
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
    { "learn", kf_cmd_learn },     { "forget", kf_cmd_forget },
    { "lessons", kf_cmd_lessons }, { "lesson", kf_cmd_lesson },
    { "draft", kf_cmd_draft },
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
        else if (!strcmp(a, "--no-save"))              c.no_save = true;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--version"))              { version(); return 0; }
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
