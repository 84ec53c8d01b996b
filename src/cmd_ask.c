/* cmd_ask.c — `ask`, `eval`, `kb` and `learn`: the consultation from words. */
#include "cli.h"
#include "journal.h"
#include "kb_export.h"
#include "render.h"
#include "render_json.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads all of stdin, up to KF_TEXT_MAX + 1 bytes (so the reader can say
 * "too big" instead of truncating). */
static char *read_stdin(size_t *len)
{
    kf_buf b;
    kf_buf_init(&b);
    /* past the limit is fine: the reader then says the text is too big */
    if (kf_read_all(stdin, KF_TEXT_MAX, &b) == KF_ENOMEM) {
        kf_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.s ? b.s : kf_strdup("");
}

/* Joins argv words with spaces. */
static char *join_args(int argc, char **argv, size_t *len)
{
    kf_buf b;
    kf_buf_init(&b);
    for (int i = 0; i < argc; i++) {
        if (i)
            kf_buf_add(&b, " ", 1);
        kf_buf_puts(&b, argv[i]);
    }
    *len = b.len;
    return b.s ? b.s : kf_strdup("");
}

int kf_cmd_ask(kf_cli *c, int argc, char **argv)
{
    int width = 80, i = 1;
    bool json = c->json, full = false;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--no-save"))
            c->no_save = true;
        else if (!strcmp(argv[i], "--full"))
            full = true;
        else if (!strcmp(argv[i], "--width") && i + 1 < argc)
            width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else {
            fprintf(stderr, "knotfinder ask: unknown option %s\n"
                    "usage: knotfinder ask [--json] [--full] [--no-save] [--width N] \"your words\" (or - for stdin)\n",
                    argv[i]);
            return KF_EXIT_USAGE;
        }
    }
    size_t len = 0;
    char *text;
    if (i >= argc || (i == argc - 1 && !strcmp(argv[i], "-"))) {
        if (i >= argc && isatty(0)) {
            fprintf(stderr, "usage: knotfinder ask [--json] \"describe where it hurts and what you do\"\n");
            return KF_EXIT_USAGE;
        }
        text = read_stdin(&len);
    } else
        text = join_args(argc - i, argv + i, &len);
    if (!text) {
        fprintf(stderr, "knotfinder ask: out of memory\n");
        return KF_EXIT_INTERNAL;
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb) {
        kf_free(text);
        return KF_EXIT_KB;
    }
    kf_findings f;
    kf_findings_init(&f);
    kf_buf err;
    kf_buf_init(&err);
    int rc = KF_EXIT_OK;
    kf_err e = kf_text_is_words(text, len) ? kf_text_read(kb, text, len, &f, &err) : KF_EPARSE;
    if (e == KF_EPARSE && !err.len)
        kf_buf_puts(&err, KF_TEXT_NOT_WORDS);
    if (e != KF_OK) {
        fprintf(stderr, "knotfinder ask: %s\n", err.len ? err.s : kf_strerror(e));
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_INPUT;
        goto out;
    }
    kf_result *r = kf_consult(kb, &f);
    if (!r) {
        fprintf(stderr, "knotfinder ask: out of memory\n");
        rc = KF_EXIT_INTERNAL;
        goto out;
    }
    if (json) {
        size_t n = 0;
        const char *why = NULL;
        char *s = kf_result_dump(kb, r, text, KF_JO_INDENT(2) | KF_JO_ASCII | KF_JO_EOL,
                                 &n, &why);
        if (!s || fwrite(s, 1, n, stdout) != n) {
            fprintf(stderr, "knotfinder ask: cannot write JSON%s%s\n", why ? ": " : "",
                    why ? why : "");
            rc = KF_EXIT_INTERNAL;
        }
        kf_free(s);
    } else {
        kf_buf out;
        kf_buf_init(&out);
        if (full)
            kf_render_full(kb, r, text, &out, width);
        else
            kf_render_text(kb, r, text, &out, width);
        fwrite(out.s, 1, out.len, stdout);
        kf_buf_free(&out);
    }
    fflush(stdout);
    kf_buf serr;
    kf_buf_init(&serr);
    if (!c->no_save && kf_journal_save_consultation(c->db_path, kb, text, r, &serr) != KF_OK)
        fprintf(stderr, "knotfinder: the consultation was shown but not saved to the journal: %s\n",
                serr.len ? serr.s : "unknown error");
    kf_buf_free(&serr);
    kf_result_free(r);
out:
    kf_buf_free(&err);
    kf_findings_free(&f);
    kf_kb_free(kb);
    kf_free(text);
    return rc;
}

/* ---------- eval ---------- */

typedef struct {
    int cases, hit1, hit3, exact, unsafe, over, advice;
    double questions;
} totals;

static bool in_list(json_t *arr, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), id))
            return true;
    return false;
}

/* Simulates an interview: the opening question is answered with the case's
 * own words (`said`, its "text"); every other question from what the person
 * knows (`truth`: the text and, when the case has one, its fuller "story"):
 * a question whose finding that supports is answered yes, one it
 * contradicts no, the rest "not sure".  Returns the interview's findings;
 * *asked is the count. */
static void simulate_interview(const kf_kb *kb, const kf_findings *said,
                               const kf_findings *truth, kf_findings *f, int *asked)
{
    *asked = 0;
    for (int guard = 0; guard < 32; guard++) {
        kf_question q;
        if (kf_next_question(kb, f, *asked, 8, &q) != KF_OK) {
            f->oom = true;      /* reported by the caller as out of memory */
            break;
        }
        if (q.kind == KF_Q_NONE) {
            kf_question_free(&q);
            break;
        }
        (*asked)++;
        kf_fact x = { .origin = KF_FROM_ANSWER, .alt = -1, .start = -1 };
        if (q.kind == KF_Q_WHERE) {
            /* The opening question takes free words, and a person answers it
             * with their own description: the case's whole text, read by
             * the text reader exactly as the CLI reads a free answer. */
            bool any = false;
            for (int i = 0; i < said->n; i++) {
                kf_fact y = said->v[i];
                y.origin = KF_FROM_ANSWER;
                kf_findings_add(f, &y);
                any |= kb->findings[y.finding].kind == KF_FIND_LOCATION;
            }
            if (!any) {
                x.finding = kb->regions[0].finding;
                x.state = KF_UNSURE;
                kf_findings_add(f, &x);
            }
        } else if (q.kind == KF_Q_SCREEN) {
            for (int i = 0; i < q.n_screen; i++) {
                const kf_fact *s = kf_findings_get(truth, q.screen[i]);
                x.finding = q.screen[i];
                x.state = s ? s->state : KF_UNSURE;
                x.side = s ? s->side : KF_SIDE_NONE;
                kf_findings_add(f, &x);
            }
        } else if (q.kind == KF_Q_CLARIFY) {
            const kf_fact *s = kf_findings_get(truth, q.alt);
            x.finding = q.alt;
            x.state = s ? s->state : KF_UNSURE;
            kf_findings_add(f, &x);
        } else {
            const kf_fact *s = kf_findings_get(truth, q.finding);
            x.finding = q.finding;
            x.state = s ? s->state : KF_UNSURE;
            x.side = s ? s->side : KF_SIDE_NONE;
            kf_findings_add(f, &x);
        }
        kf_question_free(&q);
    }
    /* Numbers are part of what the person says at the start. */
    f->age = said->age;
    f->weeks_pregnant = said->weeks_pregnant;
    f->duration_days = said->duration_days;
    f->dominant = said->dominant;
}

int kf_cmd_eval(kf_cli *c, int argc, char **argv)
{
    bool json = c->json, interview = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = true;
        else if (!strcmp(argv[i], "--interview")) interview = true;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "knotfinder eval: unknown option %s\n", argv[i]);
            return KF_EXIT_USAGE;
        } else path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: knotfinder eval [--json] [--interview] FILE.jsonl\n");
        return KF_EXIT_USAGE;
    }
    FILE *in = !strcmp(path, "-") ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "knotfinder eval: cannot open %s\n", path);
        return KF_EXIT_INPUT;
    }
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb) {
        if (in != stdin)
            fclose(in);
        return KF_EXIT_KB;
    }
    totals t = { 0 };
    int rc = KF_EXIT_OK, lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    json_t *rows = json_array();
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)n)
            continue;
        json_error_t jerr;
        json_t *cs = json_loadb(line, (size_t)n, 0, &jerr);
        const char *id = cs ? json_string_value(json_object_get(cs, "id")) : NULL;
        const char *text = cs ? json_string_value(json_object_get(cs, "text")) : NULL;
        json_t *expect = cs ? json_object_get(cs, "expect") : NULL;
        json_t *ec = json_object_get(expect, "causes"), *et = json_object_get(expect, "triage"),
               *ea = json_object_get(expect, "advice");
        if (!cs || !id || !text || !json_is_array(ec) || !json_is_array(et) || !json_is_array(ea)) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, cs ? "a case needs id, text and "
                    "expect.causes/triage/advice arrays" : jerr.text);
            json_decref(cs);
            rc = KF_EXIT_INPUT;
            continue;
        }
        kf_findings said, f, truth;
        kf_findings_init(&said);
        kf_findings_init(&f);
        kf_findings_init(&truth);
        kf_text_read(kb, text, strlen(text), &said, NULL);
        /* An optional "story": more facts than the opening words, for the
         * simulated person to answer questions from. */
        const char *story = json_string_value(json_object_get(cs, "story"));
        if (story) {
            size_t ln = strlen(text) + strlen(story) + 3;
            char *all = kf_malloc(ln);
            if (all) {
                snprintf(all, ln, "%s. %s", text, story);
                kf_text_read(kb, all, strlen(all), &truth, NULL);
                kf_free(all);
            }
        }
        if (!story || truth.n == 0)
            kf_findings_copy(&truth, &said);
        int asked = 0;
        if (interview)
            simulate_interview(kb, &said, &truth, &f, &asked);
        kf_findings_free(&truth);
        kf_result *r = f.oom ? NULL : kf_consult(kb, interview ? &f : &said);
        if (!r) {
            kf_result_free(r);
            fprintf(stderr, "knotfinder eval: out of memory\n");
            rc = KF_EXIT_INTERNAL;
            json_decref(cs);
            kf_findings_free(&said);
            kf_findings_free(&f);
            break;
        }
        t.cases++;
        t.questions += asked;
        bool h1 = r->n_causes && in_list(ec, kb->causes[r->causes[0].cause].id);
        bool h3 = false;
        json_t *top = json_array();
        for (int k = 0; k < r->n_causes && k < 3; k++) {
            const char *cid = kb->causes[r->causes[k].cause].id;
            h3 |= in_list(ec, cid);
            json_array_append_new(top, json_pack("{s:s,s:f,s:b}", "id", cid, "score",
                                                 r->causes[k].p, "expected", in_list(ec, cid)));
        }
        const char *given = kf_triage_id(r->triage);
        bool exact = in_list(et, given);
        int lowest = 99;
        size_t k;
        json_t *v;
        json_array_foreach(et, k, v) {
            int lv = kf_triage_parse(json_string_value(v));
            if (lv >= 0 && lv < lowest)
                lowest = lv;
        }
        bool unsafe = (int)r->triage < lowest;
        bool over = !exact && !unsafe;
        bool adv = false;
        for (int p = 0; p < r->n_plan; p++)
            adv |= in_list(ea, kb->techniques[r->plan[p].technique].id);
        t.hit1 += h1;
        t.hit3 += h3;
        t.exact += exact;
        t.unsafe += unsafe;
        t.over += over;
        t.advice += adv;
        if (json) {
            json_array_append_new(rows, json_pack("{s:s,s:o,s:b,s:b,s:s,s:b,s:b,s:b,s:i}",
                "id", id, "top3", top, "hit1", h1, "hit3", h3, "triage", given,
                "triage_exact", exact, "triage_unsafe", unsafe, "advice_hit", adv,
                "questions", asked));
        } else {
            printf("%-22s %s ", id, h3 ? (h1 ? "HIT1" : "HIT3") : "MISS");
            for (int q = 0; q < r->n_causes && q < 3; q++) {
                const char *cid = kb->causes[r->causes[q].cause].id;
                printf("%s%s%s", q ? ", " : "", cid, in_list(ec, cid) ? "*" : "");
            }
            char exp[256] = "";
            json_array_foreach(et, k, v) {
                if (k)
                    strncat(exp, "|", sizeof exp - strlen(exp) - 1);
                strncat(exp, json_string_value(v) ? json_string_value(v) : "?",
                        sizeof exp - strlen(exp) - 1);
            }
            printf("  triage %s (want %s)%s  advice %s", given, exp,
                   unsafe ? " UNSAFE" : over ? " over" : "", adv ? "hit" : "miss");
            if (interview)
                printf("  q=%d", asked);
            printf("\n");
            if (!h3) {
                printf("%24s expected: ", "");
                json_array_foreach(ec, k, v)
                    printf("%s%s", k ? ", " : "", json_string_value(v));
                printf("\n");
            }
            json_decref(top);
        }
        kf_result_free(r);
        kf_findings_free(&said);
        kf_findings_free(&f);
        json_decref(cs);
    }
    free(line);
    if (in != stdin)
        fclose(in);
    double N = t.cases ? t.cases : 1;
    if (json) {
        json_t *o = json_pack("{s:i,s:f,s:f,s:f,s:i,s:i,s:f,s:i,s:i,s:i,s:o}",
            "cases", t.cases, "hit1", t.hit1 / N, "hit3", t.hit3 / N, "triage_exact", t.exact / N,
            "triage_unsafe", t.unsafe, "triage_over", t.over, "advice_hit", t.advice / N,
            "hit1_count", t.hit1, "hit3_count", t.hit3, "advice_count", t.advice, "rows", rows);
        if (interview)
            json_object_set_new(o, "mean_questions", json_real(t.questions / N));
        json_dumpf(o, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
        json_decref(o);
    } else {
        json_decref(rows);
        printf("\ncases %d  hit@1 %d (%.2f)  hit@3 %d (%.2f)  triage exact %d (%.2f)  "
               "triage unsafe %d  over-cautious %d  advice hit %d (%.2f)",
               t.cases, t.hit1, t.hit1 / N, t.hit3, t.hit3 / N, t.exact, t.exact / N, t.unsafe,
               t.over, t.advice, t.advice / N);
        if (interview)
            printf("  mean questions %.2f", t.questions / N);
        printf("\n");
    }
    kf_kb_free(kb);
    return rc;
}

/* ---------- kb ---------- */

int kf_cmd_kb(kf_cli *c, int argc, char **argv)
{
    bool exp = argc >= 2 && !strcmp(argv[1], "export");
    if (exp && !(c->json || (argc == 3 && !strcmp(argv[2], "--json")))) {
        fprintf(stderr, "knotfinder kb export: only --json is supported\n");
        return KF_EXIT_USAGE;
    }
    if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "list") && !exp)) {
        fprintf(stderr, "usage: knotfinder kb check\n"
                        "       knotfinder kb list causes|findings|regions|techniques|redflags|lessons\n"
                        "       knotfinder kb export --json\n");
        return KF_EXIT_USAGE;
    }
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    /* check reads the text itself, never a snapshot of it */
    kf_err e = !strcmp(argv[1], "check") ? kf_kb_load_from_text(c->kb_dir, &kb, &errs)
                                          : kf_kb_load(c->kb_dir, &kb, &errs);
    if (e != KF_OK) {
        fputs(errs.len ? errs.s : "", stderr);
        int n = 0;
        for (size_t i = 0; i < errs.len; i++)
            n += errs.s[i] == '\n';
        fprintf(stderr, "knotfinder kb check: %d problem%s in %s (%s)\n", n, n == 1 ? "" : "s",
                c->kb_dir, kf_strerror(e));
        kf_buf_free(&errs);
        return KF_EXIT_KB;
    }
    kf_buf_free(&errs);
    if (exp) {
        json_t *j = kf_kb_export_json(kb);
        int rc = KF_EXIT_OK;
        if (!j || json_dumpf(j, stdout, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17)) < 0) {
            fprintf(stderr, "knotfinder kb export: out of memory or cannot write\n");
            rc = KF_EXIT_INTERNAL;
        } else
            putchar('\n');
        json_decref(j);
        kf_kb_free(kb);
        return rc;
    }
    if (!strcmp(argv[1], "check")) {
        int phrases = kb->n_phrases - kb->n_patterns;
        printf("knowledge base %s is valid (version %s): %d regions, %d findings, %d causes, "
               "%d links, %d techniques, %d red-flag rules, %d phrases, %d patterns, "
               "%d word classes, %d spelling fixes, %d lessons in %d module%s\n",
               c->kb_dir, kb->version, kb->n_regions, kb->n_findings, kb->n_causes, kb->n_links,
               kb->n_techniques, kb->n_redflags, phrases, kb->n_patterns, kb->n_classes,
               kb->n_spell, kb->n_lessons, kb->n_modules, kb->n_modules == 1 ? "" : "s");
    } else {
        const char *what = argc > 2 ? argv[2] : "causes";
        if (!strcmp(what, "causes"))
            for (int i = 0; i < kb->n_causes; i++)
                printf("%s\t%s\t%s\n", kb->causes[i].id, kf_cause_kind_name(kb->causes[i].kind),
                       kb->causes[i].name);
        else if (!strcmp(what, "findings"))
            for (int i = 0; i < kb->n_findings; i++)
                printf("%s\t%s\n", kb->findings[i].id, kb->findings[i].label);
        else if (!strcmp(what, "regions"))
            for (int i = 0; i < kb->n_regions; i++)
                printf("%s\t%s\t%s\n", kb->regions[i].id, kb->regions[i].back ? "back" : "front",
                       kb->regions[i].label);
        else if (!strcmp(what, "techniques"))
            for (int i = 0; i < kb->n_techniques; i++)
                printf("%s\t%s\t%s\n", kb->techniques[i].id,
                       kf_tech_kind_name(kb->techniques[i].kind), kb->techniques[i].name);
        else if (!strcmp(what, "redflags"))
            for (int i = 0; i < kb->n_redflags; i++)
                printf("%s\t%s\n", kb->redflags[i].id, kf_triage_id(kb->redflags[i].level));
        else if (!strcmp(what, "lessons"))
            for (int i = 0; i < kb->n_lessons; i++)
                printf("%s\t%s\t%d\t%s\n", kb->lessons[i].id,
                       kb->modules[kb->lessons[i].module].id, kb->lessons[i].order,
                       kb->lessons[i].title);
        else {
            fprintf(stderr, "knotfinder kb list: unknown list '%s'\n", what);
            kf_kb_free(kb);
            return KF_EXIT_USAGE;
        }
    }
    kf_kb_free(kb);
    return KF_EXIT_OK;
}

/* ---------- learn ---------- */

/* "Lessons on it: knotfinder lesson A, B" for a cause or technique. */
static void learn_lessons(const kf_kb *kb, kf_teach_kind kind, int idx, kf_buf *out)
{
    int n = 0;
    for (int l = 0; l < kb->n_lessons; l++)
        for (int t = 0; t < kb->lessons[l].n_teaches; t++)
            if (kb->lessons[l].teaches[t].kind == kind && kb->lessons[l].teaches[t].idx == idx) {
                kf_buf_printf(out, "%s%s", n++ ? ", " : "Lessons on it (knotfinder lesson ID): ",
                              kb->lessons[l].id);
                break;
            }
    if (n)
        kf_buf_puts(out, "\n");
}

int kf_cmd_learn(kf_cli *c, int argc, char **argv)
{
    kf_kb *kb = kf_cli_load_kb(c);
    if (!kb)
        return KF_EXIT_KB;
    kf_buf out;
    kf_buf_init(&out);
    int rc = KF_EXIT_OK;
    if (argc < 2) {
        kf_buf_puts(&out, "Topics (knotfinder learn TOPIC):\n\nCauses:\n");
        for (int i = 0; i < kb->n_causes; i++)
            kf_buf_printf(&out, "  %-28s %s\n", kb->causes[i].id, kb->causes[i].name);
        kf_buf_puts(&out, "\nTechniques:\n");
        for (int i = 0; i < kb->n_techniques; i++)
            kf_buf_printf(&out, "  %-28s %s\n", kb->techniques[i].id, kb->techniques[i].name);
    } else {
        int ci = kf_kb_cause(kb, argv[1]), ti = kf_kb_technique(kb, argv[1]);
        if (ci >= 0) {
            const kf_cause *k = &kb->causes[ci];
            kf_buf_printf(&out, "%s (%s)\n\n%s\n\nWhat it does when tight:\n", k->name,
                          kf_cause_kind_name(k->kind), k->about ? k->about : "");
            for (int l = 0; l < k->n_links; l++) {
                const kf_link *ln = &kb->links[k->links[l]];
                kf_buf_printf(&out, "  - %s: %s\n", kb->findings[ln->finding].label, ln->why);
            }
            if (k->n_treat) {
                kf_buf_puts(&out, "\nWhat helps:");
                for (int t = 0; t < k->n_treat; t++)
                    kf_buf_printf(&out, "%s %s", t ? "," : "", kb->techniques[k->treat[t]].name);
                kf_buf_puts(&out, "\n");
            }
            kf_buf_printf(&out, "\nSources: %s\n", k->source);
            learn_lessons(kb, KF_TEACH_CAUSE, ci, &out);
        } else if (ti >= 0) {
            const kf_technique *t = &kb->techniques[ti];
            kf_buf_printf(&out, "%s (%s)\n\n", t->name, kf_tech_kind_name(t->kind));
            for (int s = 0; s < t->n_steps; s++)
                kf_buf_printf(&out, "  %d. %s\n", s + 1, t->steps[s]);
            if (t->dose)
                kf_buf_printf(&out, "\nHow long, how often: %s\n", t->dose);
            if (t->caution)
                kf_buf_printf(&out, "Careful: %s\n", t->caution);
            kf_buf_printf(&out, "\nSources: %s\n", t->source);
            learn_lessons(kb, KF_TEACH_TECHNIQUE, ti, &out);
        } else {
            fprintf(stderr, "knotfinder learn: no topic '%s'; run 'knotfinder learn' for the list\n",
                    argv[1]);
            rc = KF_EXIT_USAGE;
        }
    }
    fwrite(out.s ? out.s : "", 1, out.len, stdout);
    kf_buf_free(&out);
    kf_kb_free(kb);
    return rc;
}
