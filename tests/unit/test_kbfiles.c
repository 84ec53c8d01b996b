/* test_kbfiles.c — what the KB loader does with files that are not plain
 * UTF-8 text: a FIFO (or any other special file) named *.kb is an error at
 * once, not a read that waits forever for a writer; a line with invalid
 * UTF-8 is a file:line error, not a label that breaks a JSON answer later. */
#include "check.h"
#include "kb.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void put(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
}

static const char good[] =
    "[finding pain_here]\n"
    "label = pain right here\n"
    "kind = pain\n";

static void test_fifo(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/waits.kb", dir);
    CHECK_INT(mkfifo(p, 0600), 0);
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    /* Before, this open() waited for a writer that never comes. */
    alarm(20);
    CHECK(kf_kb_load(dir, &kb, &errs) != KF_OK);
    alarm(0);
    CHECK(kb == NULL);
    CHECK_CONTAINS(errs.s, "waits.kb");
    CHECK_CONTAINS(errs.s, "not a regular file (a FIFO)");
    kf_buf_free(&errs);
    unlink(p);
    snprintf(p, sizeof p, "%s/folder.kb", dir);
    mkdir(p, 0700);
    kf_buf_init(&errs);
    CHECK(kf_kb_load(dir, &kb, &errs) != KF_OK);
    CHECK_CONTAINS(errs.s, "folder.kb:0: not a regular file (a folder)");
    kf_buf_free(&errs);
    rmdir(p);
}

static void test_utf8(void)
{
    static const struct { const char *bytes, *what; } bad[] = {
        { "\xe9", "a Latin-1 e-acute" },
        { "\xc3", "a sequence cut short" },
        { "\xc0\xaf", "an overlong slash" },
        { "\xed\xa0\x80", "a surrogate" },
        { "\xf4\x90\x80\x80", "past U+10FFFF" },
        { "\xff", "0xff" },
    };
    for (size_t i = 0; i < KF_ARRAY_LEN(bad); i++) {
        char text[256];
        snprintf(text, sizeof text, "[finding pain_here]\nkind = pain\n"
                 "label = pain caf%s here\n", bad[i].bytes);
        put("one.kb", text);
        kf_kb *kb = NULL;
        kf_buf errs;
        kf_buf_init(&errs);
        CHECK(kf_kb_load(dir, &kb, &errs) != KF_OK);
        CHECK(kb == NULL);
        if (!errs.s || !strstr(errs.s, "one.kb:3: not valid UTF-8"))
            fprintf(stderr, "  %s: %s\n", bad[i].what, errs.s ? errs.s : "(no error)");
        CHECK_CONTAINS(errs.s, "one.kb:3: not valid UTF-8");
        kf_kb_free(kb);
        kf_buf_free(&errs);
    }
    /* Real UTF-8 passes this check (whatever else the loader thinks). */
    put("one.kb", "[finding pain_here]\nkind = pain\nlabel = caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80\n");
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    kf_kb_load(dir, &kb, &errs);
    CHECK(!errs.s || !strstr(errs.s, "UTF-8"));
    kf_kb_free(kb);
    kf_buf_free(&errs);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kf-test-kbfiles-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    put("one.kb", good);
    RUN(test_fifo);
    RUN(test_utf8);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
