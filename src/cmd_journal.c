/*
 * cmd_journal.c — the journal's subcommands: log, do, plan, history, export.
 *
 * Every one of them takes the global --db PATH (c->db_path; the default is
 * $XDG_DATA_HOME/knotfinder/knotfinder.db).  Exit status as in cli.h: 2 for
 * a usage mistake, 3 for a value out of range, 4 when the knowledge base
 * does not load, 5 when the database cannot be used.
 */
#include "cli.h"
#include "journal.h"
#include "render.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Shared bits. */

static int exit_for(kf_err e)
{
    switch (e) {
    case KF_OK:        return KF_EXIT_OK;
    case KF_EINVAL:
    case KF_ETOOBIG:
    case KF_EPARSE:
    case KF_ENOTFOUND: return KF_EXIT_INPUT;
    case KF_ENOMEM:    return KF_EXIT_INTERNAL;
    default:           return KF_EXIT_DB;
    }
}

static int fail(const char *cmd, kf_err e, const kf_buf *err)
{
    fprintf(stderr, "knotfinder %s: %s\n", cmd,
            err && err->len ? err->s : kf_strerror(e));
    return exit_for(e);
}

static kf_store *open_store(const kf_cli *c, const char *cmd, int *rc)
{
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_store_open(c->db_path, &s, &err);
    if (e != KF_OK) {
        fail(cmd, e, &err);
        /* Whatever went wrong, it was the database's (exit 5). */
        *rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_DB;
    }
    kf_buf_free(&err);
    return s;
}

/* "--name value" or "--name=value": returns the value and advances *i, or
 * NULL when argv[*i] is not that option.  *missing is set when the option
 * is there but its value is not. */
static const char *opt(int argc, char **argv, int *i, const char *name,
                       bool *missing)
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

/* Reads one line of an answer from stdin into `buf`; false at end of
 * input.  A line longer than the buffer is refused, not cut. */
static bool read_line(char *buf, size_t n, bool *too_long)
{
    *too_long = false;
    if (!fgets(buf, (int)n, stdin))
        return false;
    size_t len = strlen(buf);
    if (len && buf[len - 1] == '\n')
        buf[--len] = '\0';
    else if (!feof(stdin)) {
        int ch;
        while ((ch = getchar()) != EOF && ch != '\n')
            ;
        *too_long = true;
        buf[0] = '\0';
        return true;
    }
    if (len && buf[len - 1] == '\r')
        buf[--len] = '\0';
    return true;
}

typedef kf_err (*check_fn)(const kf_kb *kb, const char *answer, void *out,
                           kf_buf *err);

/* Asks until the answer passes `check` (at a terminal) or fails at once
 * (from a pipe).  An empty answer is allowed when `optional`.  Returns 1
 * for an answer, 0 for skipped or end of input, -1 for a bad answer. */
static int ask(const kf_kb *kb, const char *prompt, bool optional,
               check_fn check, void *out, kf_buf *keep)
{
    bool tty = isatty(0);
    char line[4096];
    for (int tries = 0; tries < 5; tries++) {
        fputs(prompt, stdout);
        fflush(stdout);
        bool too_long;
        if (!read_line(line, sizeof line, &too_long)) {
            if (tty)
                fputs("\n", stdout);
            return 0;
        }
        if (!tty)
            fputs("\n", stdout);
        kf_buf err;
        kf_buf_init(&err);
        kf_err e = KF_OK;
        if (too_long) {
            kf_buf_printf(&err, "the answer is longer than %zu bytes",
                          sizeof line - 1);
            e = KF_ETOOBIG;
        } else if (!line[0] && optional) {
            kf_buf_free(&err);
            return 0;
        } else {
            e = check(kb, line, out, &err);
        }
        if (e == KF_OK) {
            if (keep) {
                keep->len = 0;
                kf_buf_puts(keep, line);
            }
            kf_buf_free(&err);
            return 1;
        }
        fprintf(stderr, "  %s\n", err.len ? err.s : kf_strerror(e));
        kf_buf_free(&err);
        if (!tty)
            return -1;
    }
    return -1;
}

static kf_err chk_pain(const kf_kb *kb, const char *a, void *out, kf_buf *err)
{
    return kf_journal_pain(a, out, err);
}

static kf_err chk_hours(const kf_kb *kb, const char *a, void *out, kf_buf *err)
{
    return kf_journal_hours(a, out, err);
}

typedef struct { const char *region; kf_side side; } where_t;

static kf_err chk_where(const kf_kb *kb, const char *a, void *out, kf_buf *err)
{
    where_t *w = out;
    return kf_journal_where(kb, a, &w->region, &w->side, err);
}

static kf_err chk_words(const kf_kb *kb, const char *a, void *out, kf_buf *err)
{
    kf_buf *b = out;
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
    return kf_journal_words(kb, "answer", a, b, err);
}

static kf_err chk_note(const kf_kb *kb, const char *a, void *out, kf_buf *err)
{
    kf_checkin tmp = { .pain_before = -1, .relief_hours = -1, .done_s = -1,
                       .note = a };
    return kf_checkin_validate(&tmp, err);
}

static kf_err chk_yes(const kf_kb *kb, const char *a, void *out, kf_buf *err)
{
    bool *yes = out;
    if (!strcasecmp(a, "y") || !strcasecmp(a, "yes")) {
        *yes = true;
        return KF_OK;
    }
    if (!strcasecmp(a, "n") || !strcasecmp(a, "no")) {
        *yes = false;
        return KF_OK;
    }
    kf_buf_puts(err, "answer y or n");
    return KF_EINVAL;
}

/* Saves a check-in and prints what was saved.  Returns the exit status. */
static int save_checkin(const kf_cli *c, kf_store *s, const kf_kb *kb,
                        const kf_checkin *ci, const char *cmd, bool json)
{
    kf_buf err;
    kf_buf_init(&err);
    kf_err e = kf_journal_check(kb, ci, &err);
    long long id = 0;
    if (e == KF_OK)
        e = kf_store_add_checkin(s, ci, &id, &err);
    if (e != KF_OK) {
        int rc = fail(cmd, e, &err);
        kf_buf_free(&err);
        return rc;
    }
    kf_buf_free(&err);
    kf_checkin_list l;
    if (kf_store_list_checkins(s, NULL, 1, &l, NULL) == KF_OK && l.n == 1 &&
        l.v[0].id == id) {
        if (json) {
            json_t *j = kf_checkin_json(&l.v[0]);
            char *txt = j ? json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
            if (txt)
                printf("%s\n", txt);
            free(txt);
            json_decref(j);
        } else {
            printf("Saved check-in #%lld (%s, pain %d).\n", id, l.v[0].at,
                   ci->pain);
        }
    } else if (json) {
        printf("{\"id\": %lld}\n", id);
    } else {
        printf("Saved check-in #%lld.\n", id);
    }
    kf_checkin_list_free(&l);
    if (!json && ci->relief_hours > 0 && ci->relief_hours < kb->relief_hours)
        printf("Relief that fades within hours is a clue that the cause lies "
               "elsewhere: `knotfinder plan` shows what this changes.\n");
    else if (!json && ci->worse_after && *ci->worse_after)
        printf("Noted what made it worse: `knotfinder plan` shows the adjusted "
               "plan.\n");
    return KF_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* log */

static const char log_usage[] =
"usage: knotfinder [--db PATH] log [--pain N] [--where REGION[:SIDE]]\n"
"         [--did STEP,...] [--relief-hours H] [--worse-after WHAT,...]\n"
"         [--pain-before N] [--note TEXT] [--at TIME] [--json]\n"
"Records a check-in.  Without --pain it asks the questions one by one.\n"
"  --pain N           pain now, 0 (none) to 10 (the worst)\n"
"  --where R[:SIDE]   where it hurts, a body-map region: medial_border:right\n"
"  --did LIST         what you did: technique ids of the plan, or massage,\n"
"                     heat, cold, stretch, rest, painkiller, other\n"
"  --relief-hours H   how long the relief lasted (0 = none; 90m and 2d work)\n"
"  --worse-after LIST what made it feel worse afterwards (heat, cold, ...)\n"
"  --at TIME          when (default now): 2024-05-01, 2024-05-01T08:30,\n"
"                     2024-05-01T08:30:00Z; never in the future\n";

int kf_cmd_log(kf_cli *c, int argc, char **argv)
{
    const char *a_pain = NULL, *a_where = NULL, *a_did = NULL, *a_relief = NULL,
               *a_worse = NULL, *a_before = NULL, *a_note = NULL, *a_at = NULL;
    bool json = c->json;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if ((v = opt(argc, argv, &i, "--pain", &missing)))              a_pain = v;
        else if ((v = opt(argc, argv, &i, "--where", &missing)))        a_where = v;
        else if ((v = opt(argc, argv, &i, "--did", &missing)))          a_did = v;
        else if ((v = opt(argc, argv, &i, "--relief-hours", &missing))) a_relief = v;
        else if ((v = opt(argc, argv, &i, "--worse-after", &missing)))  a_worse = v;
        else if ((v = opt(argc, argv, &i, "--pain-before", &missing)))  a_before = v;
        else if ((v = opt(argc, argv, &i, "--note", &missing)))         a_note = v;
        else if ((v = opt(argc, argv, &i, "--at", &missing)))           a_at = v;
        else if (!missing && !strcmp(argv[i], "--json"))                json = true;
        else if (!missing && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
            fputs(log_usage, stdout);
            return KF_EXIT_OK;
        } else {
            if (missing)
                fprintf(stderr, "knotfinder log: %s needs a value\n", argv[i]);
            else
                fprintf(stderr, "knotfinder log: unknown argument '%s'\n", argv[i]);
            fputs(log_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        return KF_EXIT_KB;
    int rc = KF_EXIT_OK;
    kf_checkin ci = { .pain_before = -1, .relief_hours = -1, .done_s = -1,
                      .via = "cli" };
    kf_buf err, did, worse, note;
    kf_buf_init(&err);
    kf_buf_init(&did);
    kf_buf_init(&worse);
    kf_buf_init(&note);
    kf_store *s = NULL;
    kf_err e = KF_OK;
    /* Check every flag before touching the database. */
    if (a_pain && (e = kf_journal_pain(a_pain, &ci.pain, &err)) != KF_OK)
        goto bad;
    if (a_before && (e = kf_journal_pain(a_before, &ci.pain_before, &err)) != KF_OK) {
        kf_buf_puts(&err, " (--pain-before)");
        goto bad;
    }
    if (a_where && (e = kf_journal_where(kb, a_where, &ci.region, &ci.side, &err)))
        goto bad;
    if (a_did && (e = kf_journal_words(kb, "--did", a_did, &did, &err)))
        goto bad;
    if (a_worse && (e = kf_journal_words(kb, "--worse-after", a_worse, &worse, &err)))
        goto bad;
    if (a_relief && (e = kf_journal_hours(a_relief, &ci.relief_hours, &err)))
        goto bad;
    if (a_at && (e = kf_journal_time(a_at, (long long)time(NULL), ci.at, &err)))
        goto bad;
    if (a_note)
        ci.note = a_note;
    if (!a_pain) {
        /* Interactive. */
        printf("Check-in (Enter skips a question that has a default)\n");
        int got = ask(kb, "Pain right now, 0 (none) to 10 (the worst): ", false,
                      chk_pain, &ci.pain, NULL);
        if (got <= 0) {
            fprintf(stderr, "knotfinder log: %s; nothing was saved\n",
                    got == 0 ? "no pain score given" : "not a pain score");
            rc = got == 0 ? KF_EXIT_USAGE : KF_EXIT_INPUT;
            goto out;
        }
        where_t w = { ci.region, ci.side };
        if (!a_where &&
            ask(kb, "Where does it hurt (e.g. medial_border:right; Enter to "
                    "skip): ", true, chk_where, &w, NULL) < 0) {
            rc = KF_EXIT_INPUT;
            goto out;
        }
        ci.region = w.region;
        ci.side = w.side;
        if (!a_did &&
            ask(kb, "What did you do for it (e.g. tennis_ball, heat, massage; "
                    "Enter for nothing): ", true, chk_words, &did, NULL) < 0) {
            rc = KF_EXIT_INPUT;
            goto out;
        }
        if (!a_relief && did.len &&
            ask(kb, "How many hours did the relief last (0 = none; Enter if not "
                    "known yet): ", true, chk_hours, &ci.relief_hours, NULL) < 0) {
            rc = KF_EXIT_INPUT;
            goto out;
        }
        if (!a_worse &&
            ask(kb, "Did anything make it worse afterwards (heat, cold, massage, a "
                    "step; Enter for no): ", true, chk_words, &worse, NULL) < 0) {
            rc = KF_EXIT_INPUT;
            goto out;
        }
        if (!a_note &&
            ask(kb, "A note (Enter to skip): ", true, chk_note, NULL, &note) < 0) {
            rc = KF_EXIT_INPUT;
            goto out;
        }
        if (note.len)
            ci.note = note.s;
    }
    ci.did = did.s;
    ci.worse_after = worse.s;
    if ((e = kf_checkin_validate(&ci, &err)) != KF_OK)
        goto bad;
    s = open_store(c, "log", &rc);
    if (!s)
        goto out;
    rc = save_checkin(c, s, kb, &ci, "log", json);
    goto out;
bad:
    rc = fail("log", e, &err);
out:
    kf_store_close(s);
    kf_buf_free(&err);
    kf_buf_free(&did);
    kf_buf_free(&worse);
    kf_buf_free(&note);
    kf_kb_free(kb);
    return rc;
}

/* ------------------------------------------------------------------ */
/* do */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Sleeps `s` seconds unless interrupted. */
static void nap(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (!interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void mmss(char *out, size_t n, int s)
{
    snprintf(out, n, "%d:%02d", s / 60, s % 60);
}

/* Counts down `secs` (scaled by `scale` in real time) with a bar at a
 * terminal and one line per phase elsewhere.  Returns the seconds done. */
static int countdown(const char *label, int secs, double scale, bool tty)
{
    char t[16];
    mmss(t, sizeof t, secs);
    if (!tty) {
        printf("%s: %s\n", label, t);
        fflush(stdout);
    }
    int done = 0;
    for (; done < secs && !interrupted; done++) {
        if (tty) {
            int width = 30, fill = secs ? done * width / secs : width;
            char bar[64];
            for (int i = 0; i < width; i++)
                bar[i] = i < fill ? '#' : '.';
            bar[width] = '\0';
            mmss(t, sizeof t, secs - done);
            printf("\r  %-24.24s [%s] %6s left ", label, bar, t);
            fflush(stdout);
        }
        nap(scale);
    }
    if (tty) {
        mmss(t, sizeof t, done);
        printf("\r  %-24.24s [%s] %6s      \n", label,
               done >= secs ? "##############################"
                            : "------------------------------",
               done >= secs ? "done" : t);
    }
    if (done >= secs)
        fputs("\a", stdout);                 /* the bell */
    fflush(stdout);
    return done;
}

static const char do_usage[] =
"usage: knotfinder [--db PATH] do TECHNIQUE [--where REGION[:SIDE]] [--no-log]\n"
"         [--scale F]\n"
"Guides one step of the plan: its instructions, a countdown with a bell,\n"
"Ctrl-C to stop early; then asks how it went and logs a check-in.\n"
"  --scale F   run the clock F times as fast in real time (tests; 0 < F <= 1)\n";

int kf_cmd_do(kf_cli *c, int argc, char **argv)
{
    const char *tech_id = NULL, *a_where = NULL, *a_scale = NULL;
    bool no_log = false;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if ((v = opt(argc, argv, &i, "--where", &missing)))        a_where = v;
        else if ((v = opt(argc, argv, &i, "--scale", &missing)))   a_scale = v;
        else if (!missing && !strcmp(argv[i], "--no-log"))         no_log = true;
        else if (!missing && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
            fputs(do_usage, stdout);
            return KF_EXIT_OK;
        } else if (!missing && argv[i][0] != '-' && !tech_id)
            tech_id = argv[i];
        else {
            if (missing)
                fprintf(stderr, "knotfinder do: %s needs a value\n", argv[i]);
            else
                fprintf(stderr, "knotfinder do: unexpected '%s'\n", argv[i]);
            fputs(do_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    if (!tech_id) {
        fputs(do_usage, stderr);
        return KF_EXIT_USAGE;
    }
    double scale = 1;
    if (a_scale) {
        char *end;
        scale = strtod(a_scale, &end);
        if (*end || !(scale > 0 && scale <= 1)) {
            fprintf(stderr, "knotfinder do: --scale must be a number above 0 and "
                    "at most 1, not '%s'\n", a_scale);
            return KF_EXIT_USAGE;
        }
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        return KF_EXIT_KB;
    int rc = KF_EXIT_OK;
    kf_store *s = NULL;
    kf_buf err, norm;
    kf_buf_init(&err);
    kf_buf_init(&norm);
    kf_checkin ci = { .pain_before = -1, .relief_hours = -1, .done_s = -1,
                      .via = "do" };
    kf_err e = kf_journal_words(kb, "technique", tech_id, &norm, &err);
    int t = e == KF_OK ? kf_kb_technique(kb, norm.s ? norm.s : "") : -1;
    if (e == KF_OK && (t < 0 || strchr(norm.s, ','))) {
        kf_buf_printf(&err, "technique: '%s' is not one technique id (see "
                      "knotfinder learn)", tech_id);
        e = KF_EINVAL;
    }
    if (e == KF_OK && a_where)
        e = kf_journal_where(kb, a_where, &ci.region, &ci.side, &err);
    if (e != KF_OK) {
        rc = fail("do", e, &err);
        goto out;
    }
    if (!no_log && !(s = open_store(c, "do", &rc)))
        goto out;
    const kf_technique *tq = &kb->techniques[t];
    bool tty = isatty(1);
    printf("%s (%s)\n", tq->name, kf_tech_kind_name(tq->kind));
    for (int k = 0; k < tq->n_steps; k++)
        printf("  %d. %s\n", k + 1, tq->steps[k]);
    if (tq->dose)
        printf("How long, how often: %s\n", tq->dose);
    if (tq->caution)
        printf("Careful: %s\n", tq->caution);
    if (!no_log &&
        ask(kb, "\nPain right now, before you start (0-10; Enter to skip): ",
            true, chk_pain, &ci.pain_before, NULL) < 0) {
        rc = KF_EXIT_INPUT;
        goto out;
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    interrupted = 0;
    int planned = 0, done = 0;
    if (tq->work_s > 0) {
        int reps = tq->reps > 0 ? tq->reps : 1;
        planned = reps * tq->work_s + (reps - 1) * tq->rest_s;
        printf("\nStarting (Ctrl-C stops early).\n");
        for (int r = 0; r < reps && !interrupted; r++) {
            char label[64];
            const char *what = tq->kind == KF_TECH_THERMAL ? "on" : "hold";
            if (reps > 1)
                snprintf(label, sizeof label, "round %d/%d: %s", r + 1, reps, what);
            else
                snprintf(label, sizeof label, "%s", what);
            done += countdown(label, tq->work_s, scale, tty);
            if (r + 1 < reps && tq->rest_s > 0 && !interrupted) {
                snprintf(label, sizeof label, "round %d/%d: %s", r + 1, reps,
                         tq->kind == KF_TECH_THERMAL ? "off" : "rest");
                done += countdown(label, tq->rest_s, scale, tty);
            }
        }
    } else {
        printf("\nThis step has no timer: do it now, then press Enter.\n");
        char line[256];
        bool tl;
        read_line(line, sizeof line, &tl);
    }
    sigaction(SIGINT, &old, NULL);
    bool early = interrupted != 0;
    if (early) {
        char tt[16];
        mmss(tt, sizeof tt, done);
        printf("\nStopped early after %s of %d:%02d.\n", tt, planned / 60,
               planned % 60);
    } else if (planned) {
        printf("Done.\a\n");
    }
    if (no_log)
        goto out;
    ci.did = norm.s;
    ci.done_s = planned ? done : -1;
    ci.stopped_early = early;
    printf("\nHow did it go?\n");
    int got = ask(kb, "Pain now, 0 (none) to 10 (the worst): ", false, chk_pain,
                  &ci.pain, NULL);
    if (got <= 0) {
        fprintf(stderr, "knotfinder do: no pain score given; nothing was logged\n");
        rc = got == 0 ? KF_EXIT_OK : KF_EXIT_INPUT;
        goto out;
    }
    bool worse = false;
    if (ask(kb, "Does it feel worse than before? [y/N]: ", true, chk_yes, &worse,
            NULL) < 0) {
        rc = KF_EXIT_INPUT;
        goto out;
    }
    if (worse)
        ci.worse_after = norm.s;
    if (!ci.region) {
        /* Where it hurts: the last check-in's place. */
        kf_checkin_list l;
        if (kf_store_list_checkins(s, NULL, 0, &l, NULL) == KF_OK) {
            for (int i = l.n - 1; i >= 0 && !ci.region; i--) {
                int r = l.v[i].region ? kf_kb_region(kb, l.v[i].region) : -1;
                if (r >= 0) {
                    ci.region = kb->regions[r].id;
                    ci.side = l.v[i].side;
                }
            }
            kf_checkin_list_free(&l);
        }
    }
    if (early)
        ci.note = "stopped early";
    rc = save_checkin(c, s, kb, &ci, "do", c->json);
    if (rc == KF_EXIT_OK && !c->json)
        printf("When the pain comes back, log how long the relief lasted:\n"
               "  knotfinder log --pain N --relief-hours H\n");
out:
    kf_store_close(s);
    kf_buf_free(&err);
    kf_buf_free(&norm);
    kf_kb_free(kb);
    return rc;
}

/* ------------------------------------------------------------------ */
/* plan */

static const char plan_usage[] =
"usage: knotfinder [--db PATH] plan [--json] [--full] [--width N] [WORDS...]\n"
"Says what your check-ins changed and why, then what to do first now: the\n"
"ranking and plan of your last consultation (or of WORDS) revised by your\n"
"check-ins (--full: everything).\n";

int kf_cmd_plan(kf_cli *c, int argc, char **argv)
{
    bool json = c->json, full = false;
    int width = 80, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        bool missing = false;
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--full"))
            full = true;
        else if ((v = opt(argc, argv, &i, "--width", &missing)))
            width = atoi(v);
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(plan_usage, stdout);
            return KF_EXIT_OK;
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else {
            fprintf(stderr, "knotfinder plan: %s '%s'\n",
                    missing ? "a value is missing after" : "unknown option", argv[i]);
            fputs(plan_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        return KF_EXIT_KB;
    int rc = KF_EXIT_OK;
    kf_buf err, words;
    kf_buf_init(&err);
    kf_buf_init(&words);
    kf_findings base;
    kf_findings_init(&base);
    kf_checkin_list l = { 0 };
    kf_revision *rev = NULL;
    long long cid = 0;
    char cat[KF_TIME_LEN] = "";
    kf_err e;
    kf_store *s = open_store(c, "plan", &rc);
    if (!s)
        goto out;
    if (i < argc) {
        for (int k = i; k < argc; k++) {
            if (k > i)
                kf_buf_puts(&words, " ");
            kf_buf_puts(&words, argv[k]);
        }
        e = kf_text_read(kb, words.s ? words.s : "", words.len, &base, &err);
    } else {
        e = kf_journal_latest_findings(s, kb, &base, &cid, cat, &err);
    }
    if (e != KF_OK) {
        rc = fail("plan", e, &err);
        goto out;
    }
    if ((e = kf_journal_window(s, kb, &l, &err)) != KF_OK) {
        rc = fail("plan", e, &err);
        goto out;
    }
    if ((e = kf_journal_revise(kb, &base, l.v, l.n, &rev)) != KF_OK) {
        rc = fail("plan", e, NULL);
        goto out;
    }
    if (json) {
        json_t *j = kf_revision_json(kb, rev);
        if (j) {
            json_object_set_new(j, "consultation", cid
                ? json_pack("{s:I,s:s}", "id", (json_int_t)cid, "at", cat)
                : json_null());
            char *txt = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
            if (txt)
                printf("%s\n", txt);
            else
                rc = KF_EXIT_INTERNAL;
            free(txt);
            json_decref(j);
        } else {
            rc = KF_EXIT_INTERNAL;
        }
    } else {
        kf_buf out;
        kf_buf_init(&out);
        /* A warning sign outranks every other output: with one, the answer
         * (its triage first) comes before what the check-ins changed, as
         * in the web journal. */
        bool warn = rev->after->triage >= KF_TRIAGE_MENTION;
        if (warn) {
            if (full)
                kf_render_full(kb, rev->after, words.len ? words.s : NULL, &out, width);
            else
                kf_render_text(kb, rev->after, words.len ? words.s : NULL, &out, width);
            kf_buf_puts(&out, "\n");
        }
        if (cid)
            kf_buf_printf(&out, "Revised plan: your consultation of %.10s and "
                          "%d check-in%s.\n\n", cat, rev->fu.n_used,
                          rev->fu.n_used == 1 ? "" : "s");
        kf_revision_text(kb, rev, &out, width);
        if (!warn) {
            kf_buf_puts(&out, "\n");
            if (full)
                kf_render_full(kb, rev->after, words.len ? words.s : NULL, &out, width);
            else
                kf_render_text(kb, rev->after, words.len ? words.s : NULL, &out, width);
        }
        if (out.oom)
            rc = KF_EXIT_INTERNAL;
        else
            fwrite(out.s, 1, out.len, stdout);
        kf_buf_free(&out);
    }
out:
    kf_revision_free(rev);
    kf_checkin_list_free(&l);
    kf_findings_free(&base);
    kf_store_close(s);
    kf_buf_free(&err);
    kf_buf_free(&words);
    kf_kb_free(kb);
    return rc;
}

/* ------------------------------------------------------------------ */
/* history */

/* Writes `b` to `path` through a temporary file and a rename, so a reader
 * never sees half a file.  Returns 0 or an errno. */
static int write_file(const char *path, const kf_buf *b)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
        (int)sizeof tmp)
        return ENAMETOOLONG;
    /* 0600: an export or a chart is as private as the journal it comes from. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    size_t off = 0;
    int er = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->s + off, b->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            er = errno;
            break;
        }
        off += (size_t)w;
    }
    if (!er && fsync(fd) != 0)
        er = errno;
    if (close(fd) != 0 && !er)
        er = errno;
    if (!er && rename(tmp, path) != 0)
        er = errno;
    if (er)
        unlink(tmp);
    return er;
}

static const char history_usage[] =
"usage: knotfinder [--db PATH] history [--svg FILE] [--days N] [--json]\n"
"         [--width N] [--check]\n"
"Your pain over time as a chart in the terminal (--svg FILE writes it as an\n"
"SVG picture), and the latest check-ins.  --check first reads every page of\n"
"the journal and stops with exit 5 when it is damaged (an open checks only\n"
"the header and the schema).\n";

int kf_cmd_history(kf_cli *c, int argc, char **argv)
{
    const char *svg = NULL;
    int days = 0, width = 80;
    bool json = c->json, check = false;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (!strcmp(argv[i], "--check"))
            check = true;
        else if ((v = opt(argc, argv, &i, "--svg", &missing)))
            svg = v;
        else if ((v = opt(argc, argv, &i, "--days", &missing))) {
            char *end;
            long d = strtol(v, &end, 10);
            if (*end || d < 1 || d > 36500) {
                fprintf(stderr, "knotfinder history: --days must be a whole "
                        "number from 1 to 36500, not '%s'\n", v);
                return KF_EXIT_USAGE;
            }
            days = (int)d;
        } else if ((v = opt(argc, argv, &i, "--width", &missing)))
            width = atoi(v);
        else if (!missing && !strcmp(argv[i], "--json"))
            json = true;
        else if (!missing && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
            fputs(history_usage, stdout);
            return KF_EXIT_OK;
        } else {
            fprintf(stderr, "knotfinder history: %s '%s'\n",
                    missing ? "a value is missing after" : "unknown argument",
                    argv[i]);
            fputs(history_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    int rc = KF_EXIT_OK;
    kf_store *s = open_store(c, "history", &rc);
    if (!s)
        return rc;
    kf_checkin_list l;
    kf_buf err, out;
    kf_buf_init(&err);
    kf_buf_init(&out);
    kf_pain_day *d = NULL;
    memset(&l, 0, sizeof l);
    kf_err e = check ? kf_store_check(s, true, &err) : KF_OK;
    if (e != KF_OK) {
        fail("history", e, &err);
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_DB;
        goto out;
    }
    e = kf_store_list_checkins(s, NULL, 0, &l, &err);
    if (e != KF_OK) {
        rc = fail("history", e, &err);
        goto out;
    }
    int nd = kf_journal_days(l.v, l.n, days, &d);
    if (nd < 0) {
        rc = fail("history", KF_ENOMEM, NULL);
        goto out;
    }
    if (svg) {
        kf_buf doc;
        kf_buf_init(&doc);
        kf_journal_chart_svg(d, nd, &doc);
        int er = doc.oom ? ENOMEM : write_file(svg, &doc);
        kf_buf_free(&doc);
        if (er) {
            fprintf(stderr, "knotfinder history: cannot write %s: %s\n", svg,
                    strerror(er));
            rc = KF_EXIT_INPUT;
            goto out;
        }
        if (!json)
            printf("Wrote the chart to %s (%d day%s).\n", svg, nd,
                   nd == 1 ? "" : "s");
    }
    if (json) {
        json_t *o = json_object(), *ja = json_array(), *ca = json_array();
        for (int k = 0; k < nd; k++)
            json_array_append_new(ja, json_pack("{s:s,s:i,s:o,s:o,s:o,s:b}",
                "day", d[k].day, "n", d[k].n,
                "mean", d[k].n ? json_real(d[k].mean) : json_null(),
                "min", d[k].n ? json_integer(d[k].min) : json_null(),
                "max", d[k].n ? json_integer(d[k].max) : json_null(),
                "did", d[k].did));
        for (int k = 0; k < l.n; k++)
            json_array_append_new(ca, kf_checkin_json(&l.v[k]));
        json_object_set_new(o, "days", ja);
        json_object_set_new(o, "checkins", ca);
        char *txt = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        if (txt)
            printf("%s\n", txt);
        else
            rc = KF_EXIT_INTERNAL;
        free(txt);
        json_decref(o);
        goto out;
    }
    if (!svg) {
        kf_journal_chart_text(d, nd, width, &out);
        int from = l.n > 10 ? l.n - 10 : 0;
        if (l.n)
            kf_buf_printf(&out, "\nLatest check-ins (%d in all):\n", l.n);
        for (int k = from; k < l.n; k++) {
            const kf_checkin *x = &l.v[k];
            kf_buf_printf(&out, "  #%-4lld %.16s  pain %2d", x->id, x->at, x->pain);
            if (x->region)
                kf_buf_printf(&out, "  %s%s%s", x->region, x->side ? ":" : "",
                              kf_side_name(x->side));
            if (x->did && *x->did)
                kf_buf_printf(&out, "  did %s", x->did);
            if (x->relief_hours >= 0)
                kf_buf_printf(&out, "  relief %gh", x->relief_hours);
            if (x->worse_after && *x->worse_after)
                kf_buf_printf(&out, "  worse after %s", x->worse_after);
            kf_buf_puts(&out, "\n");
        }
        /* The consultations kept, so that their ids can be given to
         * knotfinder forget. */
        kf_consultation_list co;
        if (kf_store_list_consultations(s, 5, &co, NULL) == KF_OK && co.n) {
            kf_buf_printf(&out, "\nConsultations kept (the latest %d; knotfinder forget "
                          "consultation:ID deletes one):\n", co.n);
            for (int k = 0; k < co.n; k++) {
                const char *t = co.v[k].text && *co.v[k].text ? co.v[k].text
                                                               : "(the body map only)";
                int n = 0, cut = 0;
                /* At most 48 characters of the words, not cutting one in two. */
                for (const unsigned char *p = (const unsigned char *)t; *p; p++)
                    if ((*p & 0xC0) != 0x80 && ++n > 48) {
                        cut = (int)(p - (const unsigned char *)t);
                        break;
                    }
                kf_buf_printf(&out, "  #%-4lld %.16s  \"%.*s%s\"\n", co.v[k].id,
                              co.v[k].at, cut ? cut : (int)strlen(t), t,
                              cut ? "..." : "");
            }
        }
        kf_consultation_list_free(&co);
        fwrite(out.s ? out.s : "", 1, out.len, stdout);
    }
out:
    kf_free(d);
    kf_checkin_list_free(&l);
    kf_buf_free(&err);
    kf_buf_free(&out);
    kf_store_close(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* forget */

static const char forget_usage[] =
"usage: knotfinder [--db PATH] forget consultation:ID | checkin:ID | --all [--yes]\n"
"Deletes for good one consultation or one check-in, or with --all everything\n"
"in the journal (on a terminal it asks first; --yes does not ask).  The ids\n"
"are the #N that knotfinder history shows (and \"id\" in export --json).\n";

/* Parses "consultation:7", "checkin:12" (also "check-in:12") or the two
 * words "consultation 7"; returns false when it is neither. */
static bool forget_target(const char *kind, const char *num, kf_forget_what *what,
                          long long *id)
{
    char k[32];
    const char *colon = strchr(kind, ':');
    size_t n = colon ? (size_t)(colon - kind) : strlen(kind);
    if (n >= sizeof k)
        return false;
    memcpy(k, kind, n);
    k[n] = '\0';
    if (colon)
        num = colon + 1;
    if (!num)
        return false;
    if (!strcasecmp(k, "consultation"))
        *what = KF_FORGET_CONSULTATION;
    else if (!strcasecmp(k, "checkin") || !strcasecmp(k, "check-in"))
        *what = KF_FORGET_CHECKIN;
    else
        return false;
    if (*num == '#')
        num++;
    char *end;
    errno = 0;
    long long v = strtoll(num, &end, 10);
    if (errno || end == num || *end || v <= 0)
        return false;
    *id = v;
    return true;
}

int kf_cmd_forget(kf_cli *c, int argc, char **argv)
{
    bool all = false, yes = false;
    const char *args[2] = { NULL, NULL };
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all"))
            all = true;
        else if (!strcmp(argv[i], "--yes") || !strcmp(argv[i], "-y"))
            yes = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(forget_usage, stdout);
            return KF_EXIT_OK;
        } else if (argv[i][0] != '-' && nargs < 2)
            args[nargs++] = argv[i];
        else {
            fprintf(stderr, "knotfinder forget: unknown argument '%s'\n", argv[i]);
            fputs(forget_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    kf_forget_what what = KF_FORGET_ALL;
    long long id = 0;
    if (all ? nargs != 0
            : !(nargs >= 1 && forget_target(args[0], args[1], &what, &id) &&
                (nargs == 1 || !strchr(args[0], ':')))) {
        if (nargs || !all)
            fprintf(stderr, "knotfinder forget: %s\n", nargs
                    ? "say what to forget as consultation:ID or checkin:ID (ids "
                      "from knotfinder history), or --all"
                    : "say what to forget: consultation:ID, checkin:ID or --all");
        fputs(forget_usage, stderr);
        return KF_EXIT_USAGE;
    }
    if (all && !yes) {
        if (!isatty(0)) {
            fprintf(stderr, "knotfinder forget: --all deletes every consultation "
                    "and check-in for good; add --yes to do it without a "
                    "terminal to ask on\n");
            return KF_EXIT_USAGE;
        }
        fprintf(stderr, "Delete every consultation and check-in in the journal, "
                "for good? Type yes: ");
        char line[32] = "";
        if (!fgets(line, sizeof line, stdin) || strncasecmp(line, "yes", 3) != 0) {
            fprintf(stderr, "Nothing was deleted.\n");
            return KF_EXIT_OK;
        }
    }
    int rc = KF_EXIT_OK;
    kf_store *s = open_store(c, "forget", &rc);
    if (!s)
        return rc;
    kf_buf err;
    kf_buf_init(&err);
    int nc = 0, nk = 0;
    kf_err e = kf_store_forget(s, what, id, &nc, &nk, &err);
    if (e != KF_OK)
        rc = fail("forget", e, &err);
    else if (c->json)
        printf("{\"deleted\": {\"consultations\": %d, \"checkins\": %d}}\n", nc, nk);
    else if (all)
        printf("Deleted everything: %d consultation%s and %d check-in%s.\n", nc,
               nc == 1 ? "" : "s", nk, nk == 1 ? "" : "s");
    else
        printf("Deleted %s #%lld.\n", what == KF_FORGET_CHECKIN ? "check-in"
               : "consultation", id);
    kf_buf_free(&err);
    kf_store_close(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* export */

static const char export_usage[] =
"usage: knotfinder [--db PATH] export --csv|--json [-o FILE]\n"
"Everything stored, back to you: JSON is one object with the arrays\n"
"\"consultations\" and \"checkins\"; CSV has one row per record, its type first.\n";

/* The result of a stored consultation, worked out again (kf_export_result_fn). */
static json_t *export_result(const kf_consultation *c, void *ctx)
{
    const kf_kb *kb = ctx;
    kf_result *r = NULL;
    kf_buf why;
    kf_buf_init(&why);
    json_t *j = NULL;
    if (kf_journal_consultation_result(kb, c, &r, &why) == KF_OK)
        j = kf_result_json(kb, r, c->text);
    kf_result_free(r);
    kf_buf_free(&why);
    return j;
}

int kf_cmd_export(kf_cli *c, int argc, char **argv)
{
    int fmt = c->json ? KF_EXPORT_JSON : -1;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (!strcmp(argv[i], "--csv"))
            fmt = KF_EXPORT_CSV;
        else if (!strcmp(argv[i], "--json"))
            fmt = KF_EXPORT_JSON;
        else if ((v = opt(argc, argv, &i, "-o", &missing)) ||
                 (v = opt(argc, argv, &i, "--output", &missing)))
            file = v;
        else if (!missing && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
            fputs(export_usage, stdout);
            return KF_EXIT_OK;
        } else {
            fprintf(stderr, "knotfinder export: %s '%s'\n",
                    missing ? "a value is missing after" : "unknown argument",
                    argv[i]);
            fputs(export_usage, stderr);
            return KF_EXIT_USAGE;
        }
    }
    if (fmt < 0) {
        fprintf(stderr, "knotfinder export: say --csv or --json\n");
        fputs(export_usage, stderr);
        return KF_EXIT_USAGE;
    }
    int rc = KF_EXIT_OK;
    kf_store *s = open_store(c, "export", &rc);
    if (!s)
        return rc;
    kf_buf out, err;
    kf_buf_init(&out);
    kf_buf_init(&err);
    /* Results are not stored; the KB works them out again.  Without a KB
     * the export still gives back everything that is stored. */
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        fprintf(stderr, "knotfinder export: the knowledge base did not load, so "
                "the export has no \"result\" of each consultation (everything "
                "stored is there)\n");
    kf_err e = kf_store_export(s, (kf_export_fmt)fmt, kb ? export_result : NULL,
                               kb, &out, &err);
    if (e != KF_OK)
        rc = fail("export", e, &err);
    else if (file) {
        int er = write_file(file, &out);
        if (er) {
            fprintf(stderr, "knotfinder export: cannot write %s: %s\n", file,
                    strerror(er));
            rc = KF_EXIT_INPUT;
        }
    } else if (fwrite(out.s ? out.s : "", 1, out.len, stdout) != out.len ||
               fflush(stdout) != 0) {
        fprintf(stderr, "knotfinder export: cannot write the output: %s\n",
                strerror(errno));
        rc = KF_EXIT_INTERNAL;
    }
    kf_buf_free(&out);
    kf_buf_free(&err);
    kf_store_close(s);
    kf_kb_free(kb);
    return rc;
}
