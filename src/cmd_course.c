/*
 * cmd_course.c — `knotfinder lessons` and `knotfinder lesson ID`: the
 * course of the KB in the local mode (course.h).  The local mode keeps no
 * lesson progress; `--done` says which lessons you have read, and `--next`
 * picks from your latest saved consultation and your check-ins.
 */
#include "cli.h"
#include "course.h"
#include "render.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char lessons_usage[] =
"usage: knotfinder lessons [--json] [--next] [--done ID,...] [--width N]\n"
"       knotfinder lesson ID [--json] [--width N]\n"
"\n"
"The course: short lessons in ordered modules (how knots work, posture,\n"
"the chains from a cause to the place that hurts, the techniques with\n"
"their timers, when to see a doctor).\n"
"\n"
"  --next        your next lesson, chosen from your latest consultation\n"
"                and check-ins in the journal (the method first when\n"
"                there is none)\n"
"  --done IDS    the lessons you have read (comma-separated): they are\n"
"                marked, and --next skips them; nothing is saved\n"
"  --json        the course as GET /api/v1/lessons returns it (docs/API.md)\n"
"  --width N     wrap text at N columns (default 80)\n";

static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static bool parse_width(const char *cmd, const char *v, int *width)
{
    char *end;
    long w = strtol(v, &end, 10);
    if (end == v || *end || w < 20 || w > 500) {
        fprintf(stderr, "knotfinder %s: --width must be a number from 20 to 500, not '%s'\n",
                cmd, v);
        return false;
    }
    *width = (int)w;
    return true;
}

/* The lesson id closest to `s` (one it starts with, or that starts with
 * it), for "did you mean"; NULL when none is close. */
static const char *close_lesson(const kf_kb *kb, const char *s)
{
    size_t n = strlen(s);
    for (int l = 0; n >= 3 && l < kb->n_lessons; l++)
        if (strstr(kb->lessons[l].id, s) || !strncmp(kb->lessons[l].id, s, strlen(kb->lessons[l].id)))
            return kb->lessons[l].id;
    return NULL;
}

/* --done a,b,c into done[]; an unknown id is an error (exit 3). */
static bool parse_done(const kf_kb *kb, const char *v, bool *done)
{
    char *copy = kf_strdup(v);
    if (!copy)
        return false;
    bool ok = true;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n && tok[n - 1] == ' ')
            tok[--n] = '\0';
        if (!n)
            continue;
        int l = kf_kb_lesson(kb, tok);
        if (l < 0) {
            const char *near = close_lesson(kb, tok);
            fprintf(stderr, "knotfinder lessons: --done: no lesson '%s'%s%s%s; "
                    "'knotfinder lessons' lists them\n", tok, near ? " (did you mean " : "",
                    near ? near : "", near ? "?)" : "");
            ok = false;
        } else {
            done[l] = true;
        }
    }
    kf_free(copy);
    return ok;
}

/* The next lesson from the journal.  No journal, or no consultation in it,
 * is not an error: the pick is then the newcomer's.  Returns an exit
 * status. */
static int next_from_journal(const kf_cli *c, const kf_kb *kb, const bool *done,
                             kf_course_pick *pick, kf_buf *why, char at[KF_TIME_LEN])
{
    at[0] = '\0';
    char path[4096];
    const char *db = c->db_path;
    if (!db) {
        kf_buf err;
        kf_buf_init(&err);
        if (kf_store_default_path(path, sizeof path, false, &err) != KF_OK ||
            access(path, F_OK) != 0) {
            kf_buf_free(&err);   /* no journal yet: a newcomer */
            return kf_course_next(kb, NULL, done, NULL, pick, why) == KF_OK ? KF_EXIT_OK
                                                                          : KF_EXIT_INTERNAL;
        }
        kf_buf_free(&err);
        db = path;
    }
    if (access(db, F_OK) != 0)            /* --db names no file yet: nothing saved */
        return kf_course_next(kb, NULL, done, NULL, pick, why) == KF_OK ? KF_EXIT_OK
                                                                      : KF_EXIT_INTERNAL;
    int rc = KF_EXIT_OK;
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_findings base;
    kf_findings_init(&base);
    kf_checkin_list l = { 0 };
    kf_err e = kf_store_open(db, &s, &err);
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder lessons: %s\n", err.len ? err.s : kf_strerror(e));
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_DB;
        goto out;
    }
    e = kf_journal_latest_findings(s, kb, &base, NULL, at, &err);
    if (e == KF_ENOTFOUND) {
        at[0] = '\0';
        e = kf_course_next(kb, NULL, done, NULL, pick, why);
        rc = e == KF_OK ? KF_EXIT_OK : KF_EXIT_INTERNAL;
        goto out;
    }
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder lessons: %s\n", err.len ? err.s : kf_strerror(e));
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_INPUT;
        goto out;
    }
    if ((e = kf_store_list_checkins(s, NULL, 0, &l, &err)) != KF_OK) {
        fprintf(stderr, "knotfinder lessons: %s\n", err.len ? err.s : kf_strerror(e));
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_DB;
        goto out;
    }
    e = kf_course_next_from_journal(kb, &base, l.v, l.n, done, pick, why);
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder lessons: %s\n", kf_strerror(e));
        rc = KF_EXIT_INTERNAL;
    }
out:
    kf_checkin_list_free(&l);
    kf_findings_free(&base);
    kf_store_close(s);
    kf_buf_free(&err);
    return rc;
}

static int print_json(kf_jo *w)
{
    size_t len;
    char *txt = kf_jo_finish(w, &len);
    if (!txt) {
        fprintf(stderr, "knotfinder: cannot write the JSON: %s\n",
                kf_jo_error(w) ? kf_jo_error(w) : "out of memory");
        return KF_EXIT_INTERNAL;
    }
    fwrite(txt, 1, len, stdout);
    kf_free(txt);
    return KF_EXIT_OK;
}

int kf_cmd_lessons(kf_cli *c, int argc, char **argv)
{
    bool json = c->json, want_next = false;
    const char *done_arg = NULL;
    int width = 80;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--next"))
            want_next = true;
        else if ((v = opt_value(argc, argv, &i, "--done", &missing)))
            done_arg = v;
        else if ((v = opt_value(argc, argv, &i, "--width", &missing))) {
            if (!parse_width("lessons", v, &width))
                return KF_EXIT_USAGE;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(lessons_usage, stdout);
            return KF_EXIT_OK;
        } else {
            fprintf(stderr, "knotfinder lessons: %s '%s'\n",
                    missing ? "a value is missing after" : "unknown option or argument",
                    argv[i]);
            fputs(lessons_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        return KF_EXIT_KB;
    int rc = KF_EXIT_OK;
    bool *done = kf_calloc((size_t)kb->n_lessons + 1, sizeof *done);
    kf_buf why, out;
    kf_buf_init(&why);
    kf_buf_init(&out);
    kf_course_pick pick = { -1, KF_NEXT_NONE, -1, -1, -1 };
    char at[KF_TIME_LEN] = "";
    if (!done) {
        rc = KF_EXIT_INTERNAL;
        goto out;
    }
    if (done_arg && !parse_done(kb, done_arg, done)) {
        rc = KF_EXIT_INPUT;
        goto out;
    }
    if (want_next && (rc = next_from_journal(c, kb, done_arg ? done : NULL, &pick, &why, at)))
        goto out;
    if (json) {
        kf_jo w;
        kf_jo_init(&w, KF_JO_INDENT(2) | KF_JO_ASCII | KF_JO_EOL);
        kf_course_lessons_json(&w, kb, done, want_next ? &pick : NULL, want_next ? why.s : NULL);
        rc = print_json(&w);
        goto out;
    }
    if (want_next) {
        if (pick.lesson >= 0) {
            const kf_lesson *x = &kb->lessons[pick.lesson];
            kf_buf_printf(&out, "Your next lesson: %s\n", x->title);
            kf_wrap(&out, why.s ? why.s : "", 2, width, 0);
            kf_buf_printf(&out, "  Read it: knotfinder lesson %s\n", x->id);
            if (at[0])
                kf_buf_printf(&out, "  (from your consultation of %.10s and your check-ins)\n", at);
        } else {
            kf_buf_printf(&out, "%s\n", why.s ? why.s : "You have done every lesson.");
        }
        kf_buf_puts(&out, "\n");
    }
    int n_done = 0;
    for (int l = 0; l < kb->n_lessons; l++)
        n_done += done[l];
    kf_buf_printf(&out, "The course: %d lessons in %d modules", kb->n_lessons, kb->n_modules);
    if (done_arg)
        kf_buf_printf(&out, ", %d done", n_done);
    kf_buf_puts(&out, ".  Read one with: knotfinder lesson ID\n");
    for (int m = 0; m < kb->n_modules; m++) {
        const kf_module *mo = &kb->modules[m];
        kf_buf_printf(&out, "\n%d. %s\n", m + 1, mo->title);
        for (int l = mo->first; l < mo->first + mo->n; l++) {
            kf_buf line;
            kf_buf_init(&line);
            kf_buf_printf(&line, "%s%s (%s)%s", done_arg ? (done[l] ? "[x] " : "[ ] ") : "",
                          kb->lessons[l].title, kb->lessons[l].id,
                          l == pick.lesson ? " <- next" : "");
            kf_buf_puts(&out, "  ");
            kf_wrap(&out, line.s ? line.s : "", done_arg ? 6 : 4, width, 2);
            kf_buf_free(&line);
        }
    }
    if (out.oom)
        rc = KF_EXIT_INTERNAL;
    else
        fwrite(out.s ? out.s : "", 1, out.len, stdout);
out:
    kf_buf_free(&why);
    kf_buf_free(&out);
    kf_free(done);
    kf_kb_free(kb);
    return rc;
}

int kf_cmd_lesson(kf_cli *c, int argc, char **argv)
{
    bool json = c->json;
    int width = 80;
    const char *id = NULL;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if ((v = opt_value(argc, argv, &i, "--width", &missing))) {
            if (!parse_width("lesson", v, &width))
                return KF_EXIT_USAGE;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(lessons_usage, stdout);
            return KF_EXIT_OK;
        } else if (argv[i][0] != '-' && !id) {
            id = argv[i];
        } else {
            fprintf(stderr, "knotfinder lesson: %s '%s'\n",
                    missing ? "a value is missing after" : "unknown option or argument",
                    argv[i]);
            fputs(lessons_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    if (!id) {
        fputs("knotfinder lesson: which lesson? 'knotfinder lessons' lists them\n", stderr);
        fputs(lessons_usage, stderr);
        return KF_EXIT_USAGE;
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        return KF_EXIT_KB;
    int l = kf_kb_lesson(kb, id);
    if (l < 0) {
        const char *near = close_lesson(kb, id);
        fprintf(stderr, "knotfinder lesson: no lesson '%s'%s%s%s; 'knotfinder lessons' lists "
                "them\n", id, near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
        kf_kb_free(kb);
        return KF_EXIT_INPUT;
    }
    int rc = KF_EXIT_OK;
    if (json) {
        kf_jo w;
        kf_jo_init(&w, KF_JO_INDENT(2) | KF_JO_ASCII | KF_JO_EOL);
        kf_jo_obj(&w);
        kf_jo_key(&w, "lesson");
        kf_course_lesson_json(&w, kb, l, false);
        kf_jo_obj_end(&w);
        rc = print_json(&w);
        kf_kb_free(kb);
        return rc;
    }
    const kf_lesson *x = &kb->lessons[l];
    const kf_module *mo = &kb->modules[x->module];
    kf_buf out, p;
    kf_buf_init(&out);
    kf_buf_init(&p);
    kf_wrap(&out, x->title, 0, width, 0);
    kf_buf_printf(&p, "%s, lesson %d of %d", mo->title, l - mo->first + 1, mo->n);
    kf_wrap(&out, p.s ? p.s : "", 0, width, 0);
    for (int i = 0; i < x->n_paras; i++) {
        p.len = 0;
        if (p.s)
            p.s[0] = '\0';
        kf_course_paragraph(kb, l, i, &p);
        kf_buf_puts(&out, "\n");
        kf_wrap(&out, p.s ? p.s : "", 0, width, 0);
    }
    bool timed = false;
    for (int t = 0; t < x->n_teaches; t++)
        if (x->teaches[t].kind == KF_TEACH_TECHNIQUE &&
            kb->techniques[x->teaches[t].idx].work_s > 0) {
            if (!timed)
                kf_buf_puts(&out, "\nWith a timer:\n");
            timed = true;
            kf_buf_printf(&out, "  knotfinder do %s\n", kb->techniques[x->teaches[t].idx].id);
        }
    p.len = 0;
    if (p.s)
        p.s[0] = '\0';
    kf_buf_puts(&p, "Sources: ");
    kf_buf_puts(&p, x->source);
    kf_buf_puts(&out, "\n");
    kf_wrap(&out, p.s ? p.s : "", 2, width, 0);
    int nx = l + 1 < kb->n_lessons ? l + 1 : -1;
    if (nx >= 0) {
        p.len = 0;
        if (p.s)
            p.s[0] = '\0';
        kf_buf_printf(&p, "Next in the course: knotfinder lesson %s", kb->lessons[nx].id);
        kf_wrap(&out, p.s ? p.s : "", 2, width, 0);
    }
    if (out.oom || p.oom)
        rc = KF_EXIT_INTERNAL;
    else
        fwrite(out.s ? out.s : "", 1, out.len, stdout);
    kf_buf_free(&out);
    kf_buf_free(&p);
    kf_kb_free(kb);
    return rc;
}
