/*
 * readdump.c — everything the text reader makes of a set of descriptions,
 * one block per description, so that a change to the reader's algorithms
 * can be shown to change nothing it reads (bench/readcheck.sh diffs two
 * dumps).  Every field of kf_findings is printed: each fact's finding,
 * state, side, origin, alternative, byte span, context bits and note; the
 * hypothetical findings; age, weeks pregnant, duration, dominant hand, sex,
 * the person in pain and nothing_understood.
 *
 *   build/bench/readdump [--kb DIR] FILE...
 * A FILE ending in .jsonl gives one description per line (its "text"
 * field); any other FILE is one description (its bytes as they are).
 * --join N FILE.jsonl also reads each run of N consecutive descriptions of
 * the file joined by a space (longer texts: sentences after sentences).
 * --json (before the files it applies to; --no-json ends it) also prints
 * the answer of each description as `ask --json` writes it (indented,
 * ASCII) and as the server does (compact, UTF-8), from kf_consult and
 * kf_result_dump, so that a change to the JSON writer or to what feeds it
 * can be shown to change no byte of either.
 */
#include "engine.h"
#include "kb.h"
#include "render_json.h"
#include "text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool with_json;

/* The answer to the findings, written with `flags`, on a line of its own
 * after "  json<tag> " (the document is multi-line when indented). */
static void dump_json(const kf_kb *kb, const kf_result *r, const char *text, unsigned flags,
                      const char *tag)
{
    size_t len = 0;
    const char *why = NULL;
    char *s = kf_result_dump(kb, r, text, flags, &len, &why);
    printf("  json%s %zu\n", tag, s ? len : 0);
    if (s)
        fwrite(s, 1, len, stdout);
    else
        printf("  (failed: %s)\n", why ? why : "?");
    kf_free(s);
}

static void dump(const kf_kb *kb, const char *label, const char *text, size_t n)
{
    kf_findings f;
    kf_findings_init(&f);
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_text_read(kb, text, n, &f, &err);
    printf("== %s (%zu bytes) rc=%d\n", label, n, (int)e);
    if (err.s && err.len)
        printf("  err %s\n", err.s);
    printf("  age=%d weeks=%d days=%d dominant=%d sex=%d patient='%s' nothing=%d\n", f.age,
           f.weeks_pregnant, f.duration_days, (int)f.dominant, f.sex, f.patient,
           (int)f.nothing_understood);
    for (int i = 0; i < f.n_hypothetical; i++)
        printf("  hypo %s\n", kb->findings[f.hypothetical[i]].id);
    for (int i = 0; i < f.n; i++) {
        const kf_fact *x = &f.v[i];
        printf("  fact %s state=%d side=%d origin=%d alt=%s span=%d+%d ctx=%u note=%u\n",
               kb->findings[x->finding].id, (int)x->state, (int)x->side, (int)x->origin,
               x->alt >= 0 ? kb->findings[x->alt].id : "-", x->start, x->len,
               (unsigned)x->ctx, (unsigned)x->note);
    }
    if (with_json && e == KF_OK) {
        /* the consultation reads the text as the commands do: NUL-ended */
        char *t = kf_malloc(n + 1);
        kf_result *r = t ? kf_consult(kb, &f) : NULL;
        if (r) {
            memcpy(t, text, n);
            t[n] = '\0';
            dump_json(kb, r, t, KF_JO_INDENT(2) | KF_JO_ASCII | KF_JO_EOL, "-ask");
            dump_json(kb, r, t, KF_JO_COMPACT | KF_JO_EOL, "-api");
        } else
            printf("  json (out of memory)\n");
        kf_result_free(r);
        kf_free(t);
    }
    kf_findings_free(&f);
    kf_buf_free(&err);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    kf_buf b;
    kf_buf_init(&b);
    kf_err e = kf_read_all(fp, (size_t)64 << 20, &b);
    fclose(fp);
    if (e) {
        kf_buf_free(&b);
        return NULL;
    }
    *n = b.len;
    return b.s ? b.s : calloc(1, 1);
}

/* Each "text" of a .jsonl file; joined by runs of `join` when join > 1. */
static int jsonl(const kf_kb *kb, const char *path, int join)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "readdump: cannot open %s\n", path);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int ln = 0, in_run = 0;
    kf_buf run;
    kf_buf_init(&run);
    while ((got = getline(&line, &cap, fp)) > 0) {
        ln++;
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        const char *t = o ? json_string_value(json_object_get(o, "text")) : NULL;
        if (t) {
            char label[512];
            const char *id = json_string_value(json_object_get(o, "id"));
            if (join <= 1) {
                snprintf(label, sizeof label, "%s:%d %s", path, ln, id ? id : "");
                dump(kb, label, t, strlen(t));
            } else {
                if (in_run)
                    kf_buf_puts(&run, " ");
                kf_buf_puts(&run, t);
                if (++in_run == join) {
                    snprintf(label, sizeof label, "%s:%d joined %d", path, ln, join);
                    dump(kb, label, run.s, run.len);
                    run.len = 0;
                    run.s[0] = '\0';
                    in_run = 0;
                }
            }
        }
        json_decref(o);
    }
    if (in_run) {
        char label[512];
        snprintf(label, sizeof label, "%s:%d joined %d", path, ln, in_run);
        dump(kb, label, run.s, run.len);
    }
    kf_buf_free(&run);
    free(line);
    fclose(fp);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("KNOTFINDER_KB") ? getenv("KNOTFINDER_KB") : "kb";
    int i = 1, join = 1;
    if (i + 1 < argc && !strcmp(argv[i], "--kb")) {
        dir = argv[i + 1];
        i += 2;
    }
    kf_kb *kb;
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir, &kb, &errs)) {
        fprintf(stderr, "readdump: cannot load %s:\n%s", dir, errs.s ? errs.s : "");
        return 1;
    }
    kf_buf_free(&errs);
    int rc = 0;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--no-json")) {
            with_json = argv[i][2] == 'j';
            continue;
        }
        if (!strcmp(argv[i], "--join") && i + 1 < argc) {
            join = atoi(argv[++i]);
            continue;
        }
        size_t l = strlen(argv[i]);
        if (l > 6 && !strcmp(argv[i] + l - 6, ".jsonl")) {
            rc |= jsonl(kb, argv[i], join);
            continue;
        }
        size_t n;
        char *t = slurp(argv[i], &n);
        if (!t) {
            fprintf(stderr, "readdump: cannot read %s\n", argv[i]);
            rc = 1;
            continue;
        }
        dump(kb, argv[i], t, n);
        free(t);
    }
    kf_kb_free(kb);
    return rc;
}
