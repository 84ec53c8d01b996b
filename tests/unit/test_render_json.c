/*
 * test_render_json.c — the streamed JSON (render_json.c) against the tree
 * it replaces (render.c + json_dumps): byte for byte, with every flag set
 * the program uses, on every article case, every golden case, fuzzed
 * findings, and a KB and results with missing or broken strings where the
 * tree drops a member or fails.  Every document written is parsed back by
 * jansson and compared with the tree.  When render.c's JSON changes and
 * render_json.c does not follow, this test fails and prints the first
 * difference.
 */
#include "check.h"
#include "engine.h"
#include "kb.h"
#include "render.h"
#include "render_json.h"
#include "text.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

static kf_kb *kb;
static int compared, mismatched;

static const unsigned flag_sets[] = {
    KF_JO_COMPACT,                    /* the server */
    KF_JO_INDENT(2) | KF_JO_ASCII,    /* ask --json */
    KF_JO_COMPACT | KF_JO_ASCII,      /* the journal */
    0,
};

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Where two texts first differ, for the message. */
static void show_difference(const char *what, const char *want, const char *got)
{
    size_t i = 0;
    while (want[i] && want[i] == got[i])
        i++;
    size_t from = i > 60 ? i - 60 : 0;
    fprintf(stderr, "%s: differs at byte %zu\n  tree:   ...%.120s\n  stream: ...%.120s\n",
            what, i, want + from, got + from);
}

/* The tree `tree` (consumed) against what `written` holds for each flag
 * set; written(flags, &len) returns a kf_malloc'd document or NULL. */
typedef char *(*writer_fn)(unsigned flags, size_t *len, void *ctx);

static void compare(const char *what, json_t *tree, writer_fn written, void *ctx)
{
    for (size_t f = 0; f < KF_ARRAY_LEN(flag_sets); f++) {
        size_t len = 0;
        char *got = written(flag_sets[f], &len, ctx);
        char *want = tree ? json_dumps(tree, flag_sets[f] | JSON_ENCODE_ANY) : NULL;
        compared++;
        if (!want || !got) {
            if (want || got) {
                if (mismatched++ < 5)
                    fprintf(stderr, "%s: the tree %s, the stream %s\n", what,
                            want ? "was made" : "failed", got ? "was written" : "failed");
            }
        } else if (strcmp(want, got) || len != strlen(want)) {
            if (mismatched++ < 5)
                show_difference(what, want, got);
        } else {
            json_error_t err;
            json_t *back = json_loadb(got, len, JSON_DECODE_ANY, &err);
            if (!back || !json_equal(back, tree)) {
                if (mismatched++ < 5)
                    fprintf(stderr, "%s: the stream does not parse back to the tree (%s)\n",
                            what, back ? "different value" : err.text);
            }
            json_decref(back);
        }
        kf_free(got);
        free(want);
    }
    json_decref(tree);
}

typedef struct {
    const kf_result *r;
    const char *text;
} result_ctx;

static char *write_result(unsigned flags, size_t *len, void *ctx)
{
    result_ctx *c = ctx;
    return kf_result_dump(kb, c->r, c->text, flags, len, NULL);
}

static void compare_result(const char *what, const kf_result *r, const char *text)
{
    result_ctx c = { r, text };
    compare(what, kf_result_json(kb, r, text), write_result, &c);
}

/* The texts of a .jsonl file's "text" fields, consulted and compared. */
static int compare_cases(const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int cases = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        json_error_t err;
        json_t *c = json_loadb(line, (size_t)n, 0, &err);
        const char *t = json_string_value(json_object_get(c, "text"));
        const char *id = json_string_value(json_object_get(c, "id"));
        if (t) {
            kf_findings f;
            kf_findings_init(&f);
            CHECK(kf_text_read(kb, t, strlen(t), &f, NULL) == KF_OK);
            kf_result *r = kf_consult(kb, &f);
            CHECK(r != NULL);
            if (r) {
                char what[160];
                snprintf(what, sizeof what, "%s case %s", path, id ? id : "?");
                compare_result(what, r, t);
                compare_result(what, r, NULL);
                cases++;
            }
            kf_result_free(r);
            kf_findings_free(&f);
        }
        json_decref(c);
    }
    free(line);
    fclose(in);
    return cases;
}

static void test_article_cases(void)
{
    mismatched = 0;
    int n = compare_cases("../shared/cases/articles.jsonl");
    if (n < 0)
        n = compare_cases("/work/shared/cases/articles.jsonl");
    if (n < 0) {
        fprintf(stderr, "(no article cases here: skipped)\n");
        return;
    }
    CHECK(n > 0);
    CHECK_INT(mismatched, 0);
}

static void test_golden_cases(void)
{
    mismatched = 0;
    int n = compare_cases("tests/golden/cases.jsonl");
    CHECK(n > 10);
    CHECK_INT(mismatched, 0);
}

/* A random text: words, control characters, bytes that are not UTF-8. */
static size_t random_text(char *s, size_t max)
{
    static const char *const pieces[] = {
        "knot ", "shoulder ", "blade ", "é", "—", "😀", "\n", "\t", "\"", "\\", "\x01",
        "\xff", "\xc3", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a", " ",
    };
    size_t n = 0;
    while (n + 10 < max) {       /* room for the longest piece and the NUL */
        const char *p = pieces[next() % KF_ARRAY_LEN(pieces)];
        size_t l = strlen(p);
        memcpy(s + n, p, l);
        n += l;
    }
    s[n] = '\0';
    return n;
}

/* Random findings, with spans into a random text. */
static void random_findings(kf_findings *f, const char *text, int tlen)
{
    int n = (int)(next() % 24);
    for (int i = 0; i < n; i++) {
        kf_fact x = {
            .finding = (int)(next() % (uint64_t)kb->n_findings),
            .state = (kf_state)(next() % 3),
            .side = (kf_side)(next() % 4),
            .origin = (kf_origin)(next() % 4),
            .alt = next() % 4 == 0 ? (int)(next() % (uint64_t)kb->n_findings) : -1,
            .start = -1,
            .note = next() % 5 == 0 ? KF_NOTE_SAFER : KF_NOTE_NONE,
        };
        if (next() % 3) {
            x.start = (int)(next() % (uint64_t)tlen);
            x.len = (int)(next() % (uint64_t)(tlen - x.start + 1));
        }
        kf_findings_add(f, &x);
    }
    f->age = next() % 2 ? (int)(next() % 100) : -1;
    f->weeks_pregnant = next() % 5 == 0 ? (int)(next() % 42) : -1;
    f->duration_days = next() % 2 ? (int)(next() % 4000) : -1;
    f->dominant = (kf_side)(next() % 3);
    static const char sexes[] = { 0, 'f', 'm' };
    f->sex = sexes[next() % 3];
    f->nothing_understood = next() % 4 == 0;
    f->n_hypothetical = next() % 2 ? (int)(next() % (KF_HYPO_MAX + 1)) : 0;
    for (int i = 0; i < f->n_hypothetical; i++)
        f->hypothetical[i] = (int)(next() % (uint64_t)kb->n_findings);
}

static void test_fuzzed_findings(void)
{
    mismatched = 0;
    char text[400];
    for (int i = 0; i < 400; i++) {
        int tlen = (int)random_text(text, sizeof text);
        kf_findings f;
        kf_findings_init(&f);
        random_findings(&f, text, tlen);
        kf_result *r = kf_consult(kb, &f);
        CHECK(r != NULL);
        if (r) {
            compare_result("fuzzed findings", r, text);
            /* The next question of every kind, on the same result. */
            kf_question saved = r->next;
            int screen[3] = { 0, (int)(next() % (uint64_t)kb->n_findings),
                              (int)(next() % (uint64_t)kb->n_findings) };
            kf_question kinds[] = {
                { .kind = KF_Q_NONE },
                { .kind = KF_Q_WHERE },
                { .kind = KF_Q_SCREEN, .screen = screen, .n_screen = 3 },
                { .kind = KF_Q_CLARIFY, .finding = screen[1], .alt = screen[2] },
                { .kind = KF_Q_FINDING, .finding = screen[2], .gain = (double)(next() % 1000) / 997 },
            };
            r->next = kinds[i % KF_ARRAY_LEN(kinds)];
            compare_result("fuzzed findings, question kinds", r, text);
            r->next = saved;
        }
        kf_result_free(r);
        kf_findings_free(&f);
    }
    CHECK_INT(mismatched, 0);
}

/* ---------- the pieces on their own ---------- */

static char *write_technique(unsigned flags, size_t *len, void *ctx)
{
    kf_jo w;
    kf_jo_init(&w, flags);
    kf_technique_write(&w, kb, *(int *)ctx);
    return kf_jo_finish(&w, len);
}

static char *write_question(unsigned flags, size_t *len, void *ctx)
{
    kf_jo w;
    kf_jo_init(&w, flags);
    kf_question_write(&w, kb, ctx);
    return kf_jo_finish(&w, len);
}

static char *write_findings(unsigned flags, size_t *len, void *ctx)
{
    kf_jo w;
    kf_jo_init(&w, flags);
    kf_findings_write(&w, kb, ctx);
    return kf_jo_finish(&w, len);
}

static void test_pieces(void)
{
    mismatched = 0;
    for (int t = 0; t < kb->n_techniques; t++)
        compare("technique", kf_technique_json(kb, t), write_technique, &t);
    kf_question where = { .kind = KF_Q_WHERE };
    compare("where question", kf_question_json(kb, &where), write_question, &where);
    char text[200];
    int tlen = (int)random_text(text, sizeof text);
    for (int i = 0; i < 50; i++) {
        kf_findings f;
        kf_findings_init(&f);
        random_findings(&f, text, tlen);
        compare("findings", kf_findings_json(kb, &f), write_findings, &f);
        kf_findings_free(&f);
    }
    CHECK_INT(mismatched, 0);
}

/* Each technique's members kept with the KB (kf_technique.json) are what
 * technique_body writes for it now, and a writer that can take them
 * (compact, no indent, no ASCII escapes, inside an object) writes the same
 * bytes with them as without; any other writer is refused them and writes
 * the members itself. */
static void test_technique_members(void)
{
    int with = 0;
    for (int i = 0; i < kb->n_techniques; i++) {
        kf_technique *t = &kb->techniques[i];
        size_t n = 0;
        char *js = kf_technique_members_json(kb, t, &n, NULL);
        CHECK(js && t->json && n == t->json_len && !memcmp(js, t->json, n));
        kf_free(js);
        with += t->json != NULL;
        for (size_t f = 0; f < KF_ARRAY_LEN(flag_sets); f++) {
            char *a = NULL, *b = NULL;
            size_t la = 0, lb = 0;
            for (int pass = 0; pass < 2; pass++) {
                const char *keep = t->json;
                if (pass)
                    t->json = NULL;           /* the members written one by one */
                kf_jo w;
                kf_jo_init(&w, flag_sets[f]);
                kf_technique_write(&w, kb, i);
                t->json = keep;
                if (pass)
                    b = kf_jo_finish(&w, &lb);
                else
                    a = kf_jo_finish(&w, &la);
            }
            CHECK(a && b && la == lb && !memcmp(a, b, la));
            kf_free(a);
            kf_free(b);
        }
    }
    CHECK_INT(with, kb->n_techniques);
    /* kf_jo_members: after a member, as the next; refused elsewhere */
    static const char m[] = "\"b\":2,\"c\":[3]";
    kf_jo w;
    kf_jo_init(&w, KF_JO_COMPACT);
    CHECK(!kf_jo_members(&w, m, sizeof m - 1, KF_JO_COMPACT));     /* no object */
    kf_jo_obj(&w);
    CHECK(kf_jo_members(&w, m, 0, KF_JO_COMPACT));                 /* nothing to add */
    kf_jo_kint(&w, "a", 1);
    CHECK(kf_jo_members(&w, m, sizeof m - 1, KF_JO_COMPACT));
    kf_jo_key(&w, "d");
    CHECK(!kf_jo_members(&w, m, sizeof m - 1, KF_JO_COMPACT));     /* a value is due */
    kf_jo_arr(&w);
    CHECK(!kf_jo_members(&w, m, sizeof m - 1, KF_JO_COMPACT));     /* in an array */
    kf_jo_arr_end(&w);
    kf_jo_obj_end(&w);
    char *s = kf_jo_finish(&w, NULL);
    CHECK_STR(s, "{\"a\":1,\"b\":2,\"c\":[3],\"d\":[]}");
    kf_free(s);
    kf_jo_init(&w, KF_JO_COMPACT);
    kf_jo_obj(&w);
    CHECK(kf_jo_members(&w, m, sizeof m - 1, KF_JO_COMPACT));      /* the first members */
    kf_jo_obj_end(&w);
    s = kf_jo_finish(&w, NULL);
    CHECK_STR(s, "{\"b\":2,\"c\":[3]}");
    kf_free(s);
    static const unsigned other[] = { 0, KF_JO_INDENT(2), KF_JO_COMPACT | KF_JO_ASCII,
                                      KF_JO_INDENT(2) | KF_JO_ASCII };
    for (size_t f = 0; f < KF_ARRAY_LEN(other); f++) {
        kf_jo_init(&w, other[f]);
        kf_jo_obj(&w);
        CHECK(!kf_jo_members(&w, m, sizeof m - 1, KF_JO_COMPACT));
        kf_jo_obj_end(&w);
        kf_free(kf_jo_finish(&w, NULL));
    }
    kf_jo_init(&w, KF_JO_COMPACT | KF_JO_EOL);           /* the server's: EOL is no matter */
    kf_jo_obj(&w);
    CHECK(kf_jo_members(&w, m, sizeof m - 1, KF_JO_COMPACT));
    kf_jo_obj_end(&w);
    kf_free(kf_jo_finish(&w, NULL));
}

/* ---------- broken strings: the tree drops a member or fails ---------- */

static void test_broken_strings(void)
{
    mismatched = 0;
    const char *t = "I have a knot between my right shoulder blade and spine, I use a mouse all "
                    "day and my neck is stiff. I'm 40 and it has been going on for 3 weeks.";
    kf_findings f;
    kf_findings_init(&f);
    CHECK(kf_text_read(kb, t, strlen(t), &f, NULL) == KF_OK);
    kf_result *r = kf_consult(kb, &f);
    CHECK(r && r->n_causes > 0 && r->n_plan > 0 && r->findings.n > 0);
    if (!r) {
        kf_findings_free(&f);
        return;
    }
    static const char bad[] = "bro\xffken";
    /* Each mutation is made, compared, then undone. */
#define TRY(what, lvalue, value) do { __typeof__(lvalue) _old = (lvalue); (lvalue) = (value); \
        compare_result(what, r, t); (lvalue) = _old; } while (0)
    /* A technique's field: its members kept with the KB (kf_technique.json,
     * what the server's answers copy) made again, as a KB read with that
     * string would have them (NULL where they cannot be written). */
#define TRY_T(what, tq, lvalue, value) do { __typeof__(lvalue) _old = (lvalue); \
        kf_technique *_t = (tq); const char *_oj = _t->json; size_t _ol = _t->json_len; \
        (lvalue) = (value); size_t _n = 0; char *_j = kf_technique_members_json(kb, _t, &_n, NULL); \
        _t->json = _j; _t->json_len = _n; compare_result(what, r, t); kf_free(_j); \
        _t->json = _oj; _t->json_len = _ol; (lvalue) = _old; } while (0)
    const kf_ranked *c0 = &r->causes[0];
    kf_cause *cause = &kb->causes[c0->cause];
    kf_technique *tech = &kb->techniques[r->plan[0].technique];
    kf_finding_def *fd = &kb->findings[r->findings.v[0].finding];
    TRY("cause about NULL", cause->about, NULL);
    TRY("cause about broken", cause->about, bad);
    TRY("cause id NULL", cause->id, NULL);
    TRY("cause name broken", cause->name, bad);
    TRY("cause score NaN", r->causes[0].p, NAN);
    if (c0->n_reasons) {
        TRY("reason why NULL", r->causes[0].reasons[0].why, NULL);
        TRY("reason why broken", r->causes[0].reasons[0].why, bad);
        TRY("reason weight NaN", r->causes[0].reasons[0].weight, NAN);
        TRY("reason weight inf", r->causes[0].reasons[0].weight, INFINITY);
    }
    if (cause->n_where)
        TRY("region id broken", kb->regions[cause->where[0]].id, bad);
    TRY_T("technique id NULL", tech, tech->id, NULL);
    TRY_T("technique id broken", tech, tech->id, bad);
    TRY_T("technique name NULL", tech, tech->name, NULL);
    TRY_T("technique dose NULL", tech, tech->dose, NULL);
    TRY_T("technique caution broken", tech, tech->caution, bad);
    TRY_T("technique source NULL", tech, tech->source, NULL);
    if (tech->n_steps)
        TRY_T("technique step broken", tech, tech->steps[0], bad);
    if (r->plan[0].cause >= 0)
        TRY("plan cause id broken", kb->causes[r->plan[0].cause].id, bad);
    TRY("finding label broken", fd->label, bad);
    TRY("finding id NULL", fd->id, NULL);
    TRY("ambiguous", r->findings.v[0].alt, r->plan[0].technique % kb->n_findings);
    char version[sizeof kb->version];
    memcpy(version, kb->version, sizeof version);
    snprintf(kb->version, sizeof kb->version, "%s", bad);
    compare_result("kb version broken", r, t);
    memcpy(kb->version, version, sizeof version);
    if (r->n_massage)
        TRY("massage name NULL", kb->causes[r->massage[0]].name, NULL);
    /* Red flags, with a broken message and a broken mimic. */
    int flags[2] = { 0, kb->n_redflags - 1 };
    int *old_flags = r->flags, old_n = r->n_flags;
    r->flags = flags;
    r->n_flags = 2;
    compare_result("two red flags", r, t);
    TRY("red flag message broken", kb->redflags[0].message, bad);
    for (int i = 0; i < kb->n_redflags; i++)
        if (kb->redflags[i].mimic >= 0) {
            flags[1] = i;
            TRY("red flag mimic broken", kb->causes[kb->redflags[i].mimic].id, bad);
            break;
        }
    r->flags = old_flags;
    r->n_flags = old_n;
    /* The triage's fired rules, screen questions and raising mimic; the
     * short answer's parts. */
    {
        int fired[2] = { 0, kb->n_redflags - 1 }, screen[2] = { 0, 1 };
        int *of = r->fired, ofn = r->n_fired, *os = r->screen, osn = r->n_screen;
        int oraised = r->raised_by, oalso = r->also;
        r->fired = fired;
        r->n_fired = 2;
        r->screen = screen;
        r->n_screen = 2;
        r->raised_by = 0;
        r->also = kb->n_causes - 1;
        compare_result("fired, screen, raised_by, also", r, t);
        TRY("fired id broken", kb->redflags[0].id, bad);
        TRY("screen label broken", kb->findings[1].label, bad);
        TRY("raised_by id broken", kb->causes[0].id, bad);
        TRY("also id broken", kb->causes[kb->n_causes - 1].id, bad);
        r->fired = of;
        r->n_fired = ofn;
        r->screen = os;
        r->n_screen = osn;
        r->raised_by = oraised;
        r->also = oalso;
    }
    if (r->n_first) {
        const kf_step *s0 = &r->plan[r->first[0]];
        kf_technique *ft = &kb->techniques[s0->technique];
        TRY_T("first step dose NULL", ft, ft->dose, NULL);
        TRY_T("first step name broken", ft, ft->name, bad);
        TRY_T("first step id broken", ft, ft->id, bad);
        TRY_T("first step timer", ft, ft->work_s, ft->work_s > 0 ? 0 : 30);
        if (s0->cause >= 0)
            TRY("first step cause name broken", kb->causes[s0->cause].name, bad);
    }
    TRY("person", r->person, r->person ^ 3u);
    if (r->n_omitted < KF_OMIT_ROOM) {
        r->omitted[r->n_omitted] = (kf_omit){ .technique = 0, .person = (kf_person)0,
                                              .instead = kb->n_techniques - 1 };
        r->n_omitted++;
        compare_result("left out", r, t);
        TRY("left out why NULL", kb->techniques[0].not_for_why[0], NULL);
        TRY_T("left out instead broken", &kb->techniques[kb->n_techniques - 1], kb->techniques[kb->n_techniques - 1].id, bad);
        r->n_omitted--;
    }
    kf_question q = { .kind = KF_Q_CLARIFY, .finding = 0, .alt = 1 };
    kf_question saved = r->next;
    r->next = q;
    TRY("clarify label broken", kb->findings[1].label, bad);
    r->next = saved;
#undef TRY
#undef TRY_T
    CHECK_INT(mismatched, 0);
    kf_result_free(r);
    kf_findings_free(&f);
}

/* Out of memory at each allocation of the stream in turn: NULL, never a
 * truncated document. */
static void test_out_of_memory(void)
{
    const char *t = "A knot under my left shoulder blade since I started swimming again.";
    kf_findings f;
    kf_findings_init(&f);
    CHECK(kf_text_read(kb, t, strlen(t), &f, NULL) == KF_OK);
    kf_result *r = kf_consult(kb, &f);
    CHECK(r != NULL);
    size_t full = 0;
    char *whole = kf_result_dump(kb, r, t, KF_JO_COMPACT, &full, NULL);
    CHECK(whole != NULL);
    int failed = 0;
    for (long n = 0; n < 12; n++) {
        kf_alloc_fail_after(n);
        size_t len = 0;
        const char *why = NULL;
        char *s = kf_result_dump(kb, r, t, KF_JO_COMPACT, &len, &why);
        kf_alloc_fail_after(-1);
        if (s) {
            CHECK(len == full && whole && !strcmp(s, whole));
        } else {
            failed++;
            CHECK_STR(why, "out of memory");
        }
        kf_free(s);
    }
    CHECK(failed > 0);
    kf_free(whole);
    kf_result_free(r);
    kf_findings_free(&f);
}

/* kf_cause_plain as it was written with snprintf: the reference its
 * hand-made concatenation is held to, byte for byte, cut included. */
static void cause_plain_ref(const kf_kb *k, int cause, char *out, size_t n)
{
    const kf_cause *c = &k->causes[cause];
    const char *name = c->name, *open = strchr(name, '(');
    const char *close = open ? strrchr(open, ')') : NULL;
    if (c->kind != KF_CAUSE_MUSCLE || !open || !close || open == name) {
        snprintf(out, n, "%s%s", c->kind == KF_CAUSE_MUSCLE &&
                 strncmp(name, "the ", 4) ? "the " : "", name);
        return;
    }
    int latin = (int)(open - name);
    while (latin > 0 && name[latin - 1] == ' ')
        latin--;
    const char *in = open + 1;
    int inlen = (int)(close - in);
    if (inlen > 4 && !strncmp(in, "the ", 4)) {
        char plain[128];
        int j = 0;
        for (int i = 0; i < inlen && j + 1 < (int)sizeof plain; i++)
            if (in[i] != '"')
                plain[j++] = in[i];
        plain[j] = '\0';
        snprintf(out, n, "%s (%.*s)", plain, latin, name);
    } else
        snprintf(out, n, "the %.*s (%.*s)", latin, name, inlen, in);
}

/* Every cause of the KB, and made-up names of each shape (a muscle with
 * and without "the", a Latin name with a plain one in brackets, quotes,
 * brackets with nothing before them), into buffers of every size from 0
 * to past the whole name. */
static void test_cause_plain(void)
{
    static const char *const names[] = {
        "trapezius (upper fibres)", "the levator scapulae", "rhomboids (the \"rhomboid\" pair)",
        "latissimus dorsi   (the \"lat\")", "(no name before)", "serratus (ant", "x ()",
        "pectoralis minor (the)", "a habit, not a muscle", "",
    };
    int bad = 0, cases = 0;
    kf_cause saved = kb->causes[0];
    for (int pass = 0; pass < 2; pass++) {
        int count = pass ? (int)(KF_ARRAY_LEN(names) * 2) : kb->n_causes;
        for (int c = 0; c < count; c++) {
            int ci = pass ? 0 : c;
            if (pass) {
                kb->causes[0].name = names[c / 2];
                kb->causes[0].kind = c % 2 ? KF_CAUSE_MUSCLE : saved.kind == KF_CAUSE_MUSCLE
                                     ? KF_CAUSE_HABIT : saved.kind;
            }
            size_t full = strlen(kb->causes[ci].name) + 16;
            for (size_t n = 0; n <= full; n++) {
                char a[300], b[300];
                memset(a, 'x', sizeof a);
                memset(b, 'x', sizeof b);
                kf_cause_plain(kb, ci, a, n);
                cause_plain_ref(kb, ci, b, n);
                cases++;
                if (memcmp(a, b, sizeof a) && bad++ < 5)
                    fprintf(stderr, "cause %d, size %zu: '%.*s' against '%.*s'\n", ci, n,
                            (int)n, a, (int)n, b);
            }
        }
    }
    kb->causes[0] = saved;
    CHECK_INT(bad, 0);
    CHECK(cases > 1000);
}

int main(void)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "cannot load the KB: %s\n", errs.s ? errs.s : "");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    kf_buf_free(&errs);
    RUN(test_article_cases);
    RUN(test_cause_plain);
    RUN(test_golden_cases);
    RUN(test_fuzzed_findings);
    RUN(test_pieces);
    RUN(test_technique_members);
    RUN(test_broken_strings);
    RUN(test_out_of_memory);
    fprintf(stderr, "(%d documents compared)\n", compared);
    kf_kb_free(kb);
    return CHECK_DONE();
}
