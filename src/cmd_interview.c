/*
 * cmd_interview.c — `knotfinder interview`: an adaptive interview in the
 * terminal.  The engine is stateless (kf_next_question takes the findings so
 * far); this file only asks, reads answers and adds them as findings.
 *
 * Input comes through libedit when stdin is a terminal (line editing and
 * history) and through plain getline otherwise, with the same prompts, so
 * scripts and tests can pipe answers in.  "quit" or end of input stops.
 */
#include "cli.h"
#include "journal.h"
#include "render.h"
#include "text.h"
#include "triage.h"

#include <ctype.h>
#include <editline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_QUESTIONS 8

typedef struct {
    bool tty;
    char *line;          /* last line read (owned) */
    size_t cap;
} input;

/* Reads one answer; returns NULL at end of input.  The line is trimmed and
 * stays valid until the next call. */
static const char *ask_line(input *in, const char *prompt)
{
    if (in->tty) {
        free(in->line);
        in->line = readline(prompt);
        if (!in->line)
            return NULL;
        if (*in->line)
            add_history(in->line);
    } else {
        fputs(prompt, stdout);
        fflush(stdout);
        ssize_t n = getline(&in->line, &in->cap, stdin);
        if (n < 0)
            return NULL;
        printf("%s", in->line);       /* echo, so a piped transcript reads well */
        if (n == 0 || in->line[n - 1] != '\n')
            putchar('\n');
    }
    char *s = in->line;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool is_quit(const char *s)
{
    return !strcasecmp(s, "quit") || !strcasecmp(s, "q") || !strcasecmp(s, "exit") ||
           !strcasecmp(s, "stop");
}

typedef enum { ANS_YES, ANS_NO, ANS_UNSURE, ANS_WORDS } answer;

static answer classify(const char *s)
{
    static const char *const yes[] = { "y", "yes", "yeah", "yep", "yup", "sure", "true",
                                       "correct", "right", "definitely", "often", NULL };
    static const char *const no[] = { "n", "no", "nope", "nah", "never", "false", "not really",
                                      "none", NULL };
    static const char *const unsure[] = { "?", "not sure", "unsure", "dont know", "don't know",
                                          "dunno", "maybe", "idk", "sometimes", "skip", "", NULL };
    char low[64];
    size_t n = strlen(s);
    if (n >= sizeof low)
        return ANS_WORDS;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    while (n && (low[n - 1] == '.' || low[n - 1] == '!'))
        low[--n] = '\0';
    for (int i = 0; yes[i]; i++)
        if (!strcmp(low, yes[i]))
            return ANS_YES;
    for (int i = 0; no[i]; i++)
        if (!strcmp(low, no[i]))
            return ANS_NO;
    for (int i = 0; unsure[i]; i++)
        if (!strcmp(low, unsure[i]))
            return ANS_UNSURE;
    return ANS_WORDS;
}

/* An answer in words: its leading yes / no / partly / not sure, and where
 * the rest of the words start.  "yes, really sore on the right" -> YES,
 * rest "really sore on the right"; "not really, I try to sit up straight"
 * -> NO.  ANS_WORDS when no such opening is there. */
typedef enum { LEAD_NONE, LEAD_YES, LEAD_NO, LEAD_PARTLY, LEAD_UNSURE } lead_t;

static lead_t leading(const char *s, const char **rest)
{
    static const struct { const char *w; lead_t a; } open[] = {
        /* longest first where one starts another */
        { "not really", LEAD_NO }, { "not at all", LEAD_NO }, { "not much", LEAD_NO },
        { "not that i know", LEAD_UNSURE }, { "not sure", LEAD_UNSURE },
        { "no", LEAD_NO }, { "nope", LEAD_NO }, { "nah", LEAD_NO }, { "never", LEAD_NO },
        { "i don't", LEAD_NO }, { "i dont", LEAD_NO }, { "i do not", LEAD_NO },
        { "i don't know", LEAD_UNSURE }, { "i dont know", LEAD_UNSURE },
        { "don't know", LEAD_UNSURE }, { "dont know", LEAD_UNSURE }, { "dunno", LEAD_UNSURE },
        { "maybe", LEAD_UNSURE }, { "perhaps", LEAD_UNSURE }, { "unsure", LEAD_UNSURE },
        { "yes", LEAD_YES }, { "yeah", LEAD_YES }, { "yep", LEAD_YES }, { "yup", LEAD_YES },
        { "yea", LEAD_YES }, { "definitely", LEAD_YES }, { "absolutely", LEAD_YES },
        { "very much", LEAD_YES }, { "i do", LEAD_YES }, { "it is", LEAD_YES },
        { "it does", LEAD_YES }, { "sure", LEAD_YES }, { "correct", LEAD_YES },
        { "a lot", LEAD_YES }, { "always", LEAD_YES }, { "often", LEAD_YES },
        { "partly", LEAD_PARTLY }, { "a bit", LEAD_PARTLY }, { "a little", LEAD_PARTLY },
        { "kind of", LEAD_PARTLY }, { "kinda", LEAD_PARTLY }, { "sort of", LEAD_PARTLY },
        { "somewhat", LEAD_PARTLY }, { "sometimes", LEAD_PARTLY }, { "slightly", LEAD_PARTLY },
        { "a little bit", LEAD_PARTLY },
    };
    *rest = s;
    size_t best = 0;
    lead_t a = LEAD_NONE;
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        size_t n = strlen(open[i].w);
        /* whole words only: "no" is not "normal", "yes" ends the word */
        if (n > best && !strncasecmp(s, open[i].w, n) &&
            !isalnum((unsigned char)s[n]) && s[n] != '\'') {
            best = n;
            a = open[i].a;
        }
    }
    if (a == LEAD_NONE)
        return a;
    const char *p = s + best;
    while (*p && (isspace((unsigned char)*p) || strchr(",.;:!-", *p)))
        p++;
    *rest = p;
    return a;
}

/* A side said in words: "on the right", "left side", "both". */
static kf_side side_in(const char *s)
{
    kf_side side = KF_SIDE_NONE;
    for (const char *p = s; *p; p++) {
        if (p != s && isalnum((unsigned char)p[-1]))
            continue;
        if (!strncasecmp(p, "left", 4) && !isalnum((unsigned char)p[4]))
            side |= KF_SIDE_LEFT;
        else if (!strncasecmp(p, "right", 5) && !isalnum((unsigned char)p[5]))
            side |= KF_SIDE_RIGHT;
        else if (!strncasecmp(p, "both", 4) && !isalnum((unsigned char)p[4]))
            side = KF_SIDE_BOTH;
    }
    return side;
}

static void add(kf_findings *f, int finding, kf_state st, kf_side side)
{
    kf_fact x = { .finding = finding, .state = st, .side = side, .origin = KF_FROM_ANSWER,
                  .alt = -1, .start = -1 };
    kf_findings_add(f, &x);
}

/* Reads free words into `f` (as text findings); returns the fact about
 * `want` they gave, if any. */
static const kf_fact *read_words_skip(const kf_kb *kb, const char *s, kf_findings *f,
                                      kf_findings *scratch, int want, int skip);

static const kf_fact *read_words(const kf_kb *kb, const char *s, kf_findings *f,
                                 kf_findings *scratch, int want)
{
    return read_words_skip(kb, s, f, scratch, want, -1);
}

/* The same, leaving out what the words say about `skip` (the question's own
 * finding, when the answer already said yes or no to it). */
static const kf_fact *read_words_skip(const kf_kb *kb, const char *s, kf_findings *f,
                                      kf_findings *scratch, int want, int skip)
{
    kf_findings_free(scratch);
    kf_findings_init(scratch);
    kf_buf err;
    kf_buf_init(&err);
    if (kf_text_read(kb, s, strlen(s), scratch, &err) != KF_OK)
        printf("  (%s)\n", err.len ? err.s : "I could not read that");
    kf_buf_free(&err);
    for (int i = 0; i < scratch->n; i++) {
        kf_fact x = scratch->v[i];
        if (skip >= 0 && (x.finding == skip || x.alt == skip))
            continue;
        /* What a person answered to a question stands: words given to a
         * later question do not overturn it. */
        const kf_fact *had = kf_findings_get(f, x.finding);
        if (had && had->origin == KF_FROM_ANSWER && had->state != KF_UNSURE &&
            had->state != x.state)
            continue;
        x.start = -1;           /* the span points into the answer, not the seed */
        x.origin = KF_FROM_ANSWER;
        kf_findings_add(f, &x);
    }
    if (scratch->dominant)
        f->dominant = scratch->dominant;
    if (scratch->age >= 0)
        f->age = scratch->age;
    return want >= 0 ? kf_findings_get(scratch, want) : NULL;
}

/* True when what was said so far fires a red-flag rule that sends to a
 * doctor (doctor_soon or emergency); out of memory counts as true, so that
 * the answer is shown rather than dropped. */
static bool needs_doctor(const kf_kb *kb, const kf_findings *f)
{
    kf_triage level;
    if (kf_triage_level(kb, f, &level) != KF_OK)
        return true;
    return level >= KF_TRIAGE_SOON;
}

/* Prints `s` wrapped to 80 columns; continuation lines are indented by
 * `indent` spaces; the line already holds `col` characters. */
static void wrap_print(const char *s, int indent, int col)
{
    kf_buf b;
    kf_buf_init(&b);
    kf_wrap(&b, s, indent, 80, col);
    fputs(b.s ? b.s : "\n", stdout);
    kf_buf_free(&b);
}

/* Parses "3r 5l 12, 7 both" into region findings; returns how many. */
static int parse_regions(const kf_kb *kb, const char *s, kf_findings *f)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        while (*p && !isdigit((unsigned char)*p)) {
            if (isalpha((unsigned char)*p))
                return 0;      /* words: not a list of numbers */
            p++;
        }
        if (!*p)
            break;
        long v = strtol(p, (char **)&p, 10);
        kf_side side = KF_SIDE_NONE;
        while (*p == ' ')
            p++;
        if (!strncasecmp(p, "both", 4)) { side = KF_SIDE_BOTH; p += 4; }
        else if (!strncasecmp(p, "left", 4)) { side = KF_SIDE_LEFT; p += 4; }
        else if (!strncasecmp(p, "right", 5)) { side = KF_SIDE_RIGHT; p += 5; }
        else if (*p == 'l' || *p == 'L') { side = KF_SIDE_LEFT; p++; }
        else if (*p == 'r' || *p == 'R') { side = KF_SIDE_RIGHT; p++; }
        else if (*p == 'b' || *p == 'B') { side = KF_SIDE_BOTH; p++; }
        if (v < 1 || v > kb->n_regions)
            return 0;
        const kf_region *g = &kb->regions[v - 1];
        add(f, g->finding, KF_PRESENT, g->sided ? side : KF_SIDE_NONE);
        n++;
    }
    return n;
}

/* Asks one question and records the answer.  Returns false at quit/EOF. */
static bool ask_one(const kf_kb *kb, const kf_question *q, kf_findings *f, kf_findings *scratch,
                    input *in, int number)
{
    printf("\nQuestion %d.", number);
    int qcol = (int)strlen("Question .") + (number > 9 ? 2 : 1);
    switch (q->kind) {
    case KF_Q_WHERE: {
        wrap_print(kf_question_text(kb, q), 2, qcol);
        for (int v = 0; v < 2; v++) {
            printf("  %s:\n", v == 0 ? "Back" : "Front");
            for (int i = 0; i < kb->n_regions; i++)
                if (kb->regions[i].back == (v == 0))
                    printf("  %2d  %s%s\n", i + 1, kb->regions[i].label,
                           kb->regions[i].sided ? "" : " (middle)");
        }
        for (int tries = 0; tries < 3; tries++) {
            const char *s = ask_line(in, "Numbers with l/r/b for the side (e.g. 5r 9l), or your own words: ");
            if (!s || is_quit(s))
                return false;
            if (parse_regions(kb, s, f))
                return true;
            if (*s) {
                read_words(kb, s, f, scratch, -1);
                for (int i = 0; i < scratch->n; i++)
                    if (kb->findings[scratch->v[i].finding].kind == KF_FIND_LOCATION)
                        return true;
                /* A warning sign in the words outranks the place: no more
                 * asking where it hurts, the answer goes to the triage. */
                if (needs_doctor(kb, f))
                    return true;
            }
            printf("  I did not catch a place. Type numbers from the list, or words such as "
                   "\"between my right shoulder blade and spine\".\n");
        }
        /* Three misses: move on rather than loop; record "not sure". */
        add(f, kb->regions[0].finding, KF_UNSURE, KF_SIDE_NONE);
        return true;
    }
    case KF_Q_SCREEN: {
        wrap_print(kf_question_text(kb, q), 2, qcol);
        /* One number a line: a sign said two ways is one line (question.h). */
        int at[256], lines = 0;
        kf_buf text;
        kf_buf_init(&text);
        for (int i = 0; i < q->n_screen && lines < 255; i++)
            if (kf_screen_line(kb, q, i, &text)) {
                at[++lines] = i;
                printf("  %2d  ", lines);
                wrap_print(text.s ? text.s : "", 6, 6);
            }
        kf_buf_free(&text);
        for (int tries = 0; tries < 3; tries++) {
            const char *s = ask_line(in, "Numbers that apply, or \"none\": ");
            if (!s || is_quit(s))
                return false;
            answer a = classify(s);
            if (a == ANS_NO || !strcasecmp(s, "none") || !strcmp(s, "0")) {
                for (int i = 0; i < q->n_screen; i++)
                    add(f, q->screen[i], KF_ABSENT, KF_SIDE_NONE);
                return true;
            }
            bool chosen[256] = { false };
            bool ok = a != ANS_UNSURE, any = false;
            for (const char *p = s; *p && ok;) {
                if (isdigit((unsigned char)*p)) {
                    long v = strtol(p, (char **)&p, 10);
                    if (v < 1 || v > lines)
                        ok = false;
                    else
                        chosen[v] = any = true;
                } else if (isalpha((unsigned char)*p))
                    ok = false;
                else
                    p++;
            }
            if (ok && any) {
                /* a ticked line: its first finding yes, the others on it not
                 * sure; a line not ticked: all no */
                for (int l = 1; l <= lines; l++)
                    for (int i = at[l]; i < q->n_screen; i++)
                        if (kf_screen_on_line(q, at[l], i))
                            add(f, q->screen[i], !chosen[l] ? KF_ABSENT
                                                 : i == at[l] ? KF_PRESENT : KF_UNSURE,
                                KF_SIDE_NONE);
                return true;
            }
            if (a == ANS_WORDS) {
                read_words(kb, s, f, scratch, -1);
                for (int i = 0; i < q->n_screen; i++)
                    if (!kf_findings_get(scratch, q->screen[i]))
                        add(f, q->screen[i], KF_UNSURE, KF_SIDE_NONE);
                return true;
            }
            printf("  Please type the numbers that apply (e.g. 2 5), or \"none\".\n");
        }
        for (int i = 0; i < q->n_screen; i++)
            add(f, q->screen[i], KF_UNSURE, KF_SIDE_NONE);
        return true;
    }
    case KF_Q_CLARIFY: {
        const kf_finding_def *a = &kb->findings[q->finding], *b = &kb->findings[q->alt];
        printf(" Your words could mean two places.\n");
        printf("  1  ");
        wrap_print(a->label, 5, 5);
        printf("  2  ");
        wrap_print(b->label, 5, 5);
        printf("  3  not sure\n");
        const kf_fact *was = kf_findings_get(f, q->finding);
        kf_side side = was ? was->side : KF_SIDE_NONE;
        for (int tries = 0; tries < 3; tries++) {
            const char *s = ask_line(in, "1, 2 or 3: ");
            if (!s || is_quit(s))
                return false;
            if (!strcmp(s, "1")) {
                add(f, q->finding, KF_PRESENT, side);
                add(f, q->alt, KF_ABSENT, KF_SIDE_NONE);
                return true;
            }
            if (!strcmp(s, "2")) {
                add(f, q->alt, KF_PRESENT, side);
                add(f, q->finding, KF_UNSURE, KF_SIDE_NONE);
                return true;
            }
            if (!strcmp(s, "3") || classify(s) == ANS_UNSURE) {
                add(f, q->alt, KF_UNSURE, KF_SIDE_NONE);
                return true;
            }
            printf("  Please answer 1, 2 or 3.\n");
        }
        add(f, q->alt, KF_UNSURE, KF_SIDE_NONE);
        return true;
    }
    case KF_Q_FINDING: {
        wrap_print(kf_question_text(kb, q), 2, qcol);
        if (kb->findings[q->finding].why_ask) {
            char why[512];
            snprintf(why, sizeof why, "(Why I ask: %s)", kb->findings[q->finding].why_ask);
            wrap_print(why, 2, 0);
        }
        const char *s = ask_line(in, "[yes / no / not sure, or your own words] ");
        if (!s || is_quit(s))
            return false;
        const kf_fact *was = kf_findings_get(f, q->finding);
        kf_side side = was ? was->side : KF_SIDE_NONE;
        const kf_finding_def *d = &kb->findings[q->finding];
        switch (classify(s)) {
        case ANS_YES:    add(f, q->finding, KF_PRESENT, side); break;
        case ANS_NO:     add(f, q->finding, KF_ABSENT, KF_SIDE_NONE); break;
        case ANS_UNSURE: add(f, q->finding, KF_UNSURE, KF_SIDE_NONE); break;
        case ANS_WORDS: {
            /* yes / no / partly / not sure, plus whatever else the words say */
            const char *rest;
            lead_t lead = leading(s, &rest);
            if (lead == LEAD_NONE) {
                const kf_fact *got = read_words(kb, s, f, scratch, q->finding);
                if (!got)
                    add(f, q->finding, KF_UNSURE, KF_SIDE_NONE);
                break;
            }
            kf_side said = side_in(rest);
            if (*rest)
                read_words_skip(kb, rest, f, scratch, -1, q->finding);
            kf_state st = lead == LEAD_NO ? KF_ABSENT : lead == LEAD_UNSURE ? KF_UNSURE
                                                                           : KF_PRESENT;
            add(f, q->finding, st, st == KF_PRESENT && d->sided ? (said ? said : side)
                                                                : KF_SIDE_NONE);
            if (lead == LEAD_PARTLY)
                printf("  (taken as yes, to a degree)\n");
            break;
        }
        }
        /* Which hand, which side: asked when a yes to a one-sided habit (the
         * mouse, the side you sleep on, the arm that carries) has none. */
        const kf_fact *now = kf_findings_get(f, q->finding);
        if (now && now->state == KF_PRESENT && d->sided && !now->side &&
            d->kind == KF_FIND_HABIT) {
            const char *w = ask_line(in, "  Which side: left, right or both? ");
            if (!w || is_quit(w))
                return false;
            kf_side sd = side_in(w);
            if (sd)
                add(f, q->finding, KF_PRESENT, sd);
        }
        return true;
    }
    default:
        return true;
    }
}

int kf_cmd_interview(kf_cli *c, int argc, char **argv)
{
    bool json = c->json;
    kf_buf seed;
    kf_buf_init(&seed);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--no-save"))
            c->no_save = true;
        else {
            if (seed.len)
                kf_buf_add(&seed, " ", 1);
            kf_buf_puts(&seed, argv[i]);
        }
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb) {
        kf_buf_free(&seed);
        return KF_EXIT_KB;
    }
    input in = { .tty = isatty(0) && isatty(1) };
    kf_findings f, scratch;
    kf_findings_init(&f);
    kf_findings_init(&scratch);
    int rc = KF_EXIT_OK;
    printf("knotfinder interview: a few questions to find what keeps your knot coming back.\n"
           "Answer yes, no, not sure, or in your own words. Type quit to stop.\n");
    if (seed.len) {
        kf_buf err;
        kf_buf_init(&err);
        if (kf_text_read(kb, seed.s, seed.len, &f, &err) != KF_OK) {
            fprintf(stderr, "knotfinder interview: %s\n", err.len ? err.s : "cannot read the words");
            kf_buf_free(&err);
            rc = KF_EXIT_INPUT;
            goto out;
        }
        kf_buf_free(&err);
    }
    int asked = 0;
    bool quit = false;
    for (;;) {
        kf_question q;
        if (kf_next_question(kb, &f, asked, MAX_QUESTIONS, &q) != KF_OK) {
            fprintf(stderr, "knotfinder interview: out of memory\n");
            rc = KF_EXIT_INTERNAL;
            goto out;
        }
        if (q.kind == KF_Q_NONE) {
            kf_question_free(&q);
            break;
        }
        asked++;
        bool ok = ask_one(kb, &q, &f, &scratch, &in, asked);
        kf_question_free(&q);
        if (!ok) {
            quit = true;
            break;
        }
    }
    /* Stopped before the end: nothing is decided about the knot, but a
     * warning sign already said is never dropped; the result is shown with
     * its triage first. */
    kf_result *r = kf_consult(kb, &f);
    if (!r) {
        rc = KF_EXIT_INTERNAL;
        goto out;
    }
    bool stopped_flag = false;
    if (quit) {
        if (r->triage < KF_TRIAGE_SOON) {
            kf_result_free(r);
            printf("\nInterview stopped; nothing was decided. Run it again any time.\n");
            goto out;
        }
        stopped_flag = true;
        printf("\nInterview stopped, but what you said already needs a doctor:\n");
    }
    if (json) {
        json_t *j = kf_result_json(kb, r, seed.s);
        json_object_set_new(j, "questions_asked", json_integer(asked));
        if (stopped_flag)
            json_object_set_new(j, "stopped", json_true());
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        putchar('\n');
        json_decref(j);
    } else {
        kf_buf out;
        kf_buf_init(&out);
        printf("\n");
        kf_render_full(kb, r, seed.s, &out, 80);
        fwrite(out.s, 1, out.len, stdout);
        kf_buf_free(&out);
        printf("\nAnswers used (%d question%s):\n", asked, asked == 1 ? "" : "s");
        for (int i = 0; i < f.n; i++) {
            const kf_fact *x = &f.v[i];
            if (x->origin != KF_FROM_ANSWER)
                continue;
            char line[512];
            snprintf(line, sizeof line, "%s%s%s", kb->findings[x->finding].label,
                     x->side ? ", " : "", kf_side_name(x->side));
            printf("  %-9s", x->state == KF_PRESENT ? "yes" : x->state == KF_ABSENT ? "no" : "not sure");
            wrap_print(line, 12, 11);
        }
    }
    fflush(stdout);
    kf_buf serr;
    kf_buf_init(&serr);
    if (!c->no_save && kf_journal_save_consultation(c->db_path, kb, seed.s, r, &serr) != KF_OK)
        fprintf(stderr, "knotfinder: the result was shown but not saved to the journal: %s\n",
                serr.len ? serr.s : "unknown error");
    kf_buf_free(&serr);
    kf_result_free(r);
out:
    free(in.line);
    kf_findings_free(&f);
    kf_findings_free(&scratch);
    kf_buf_free(&seed);
    kf_kb_free(kb);
    return rc;
}
