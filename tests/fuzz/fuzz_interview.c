/* fuzz_interview.c — libFuzzer harness for the interview's input: the
 * first line is the description given on the command line, the rest are
 * the answers typed to its questions (yes, no, not sure, numbers of the
 * body map, words, "q"...), read from stdin as `knotfinder interview` does.
 * It runs the real command (kf_cmd_interview) with --no-save and its
 * output thrown away; the KB is loaded once (the build wraps
 * kf_cli_load_kb and kf_kb_free: see tests/fuzz/run.sh).
 * Build and run with tests/fuzz/run.sh. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kf_kb *kb;

kf_kb *__real_kf_cli_load_kb(const kf_cli *c);
void __real_kf_kb_free(kf_kb *k);

kf_kb *__wrap_kf_cli_load_kb(const kf_cli *c)
{
    (void)c;
    return kb;
}

void __wrap_kf_kb_free(kf_kb *k)
{
    if (k != kb)
        __real_kf_kb_free(k);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_cli c = { .kb_dir = dir && *dir ? dir : "kb" };
    kb = __real_kf_cli_load_kb(&c);
    if (!kb)
        exit(1);
    /* The interview talks a lot; libFuzzer reports on stderr. */
    if (!freopen("/dev/null", "w", stdout))
        exit(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const unsigned char *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - data) : size;
    char *words = kf_strndup((const char *)data, first);
    if (!words)
        return 0;
    size_t rest = size - first - (nl != NULL);
    FILE *in = fmemopen(rest ? (void *)(nl + 1) : (void *)"", rest, "r");
    if (!in) {
        kf_free(words);
        return 0;
    }
    FILE *saved = stdin;
    stdin = in;
    kf_cli c = { .kb_dir = "kb", .no_save = true, .json = size && (data[0] & 1) };
    char *argv[] = { "interview", words, NULL };
    kf_cmd_interview(&c, *words ? 2 : 1, argv);
    stdin = saved;
    fclose(in);
    kf_free(words);
    return 0;
}
