/* test_checklist.c — the interview's checklists on the real knowledge base
 * (kb/): at most KF_CHECK_LINES lines at a time, no finding twice, a sign
 * said two ways on one line only when a yes to its first finding gives the
 * same triage as a yes to any of them, the signs that complete the person's
 * own picture first and asked as the sign itself, and safety: a person with
 * any emergency sign the checklists ask still reaches emergency.  The
 * descriptions are our own words.  Run from the repository root, or set
 * KNOTFINDER_KB. */
#include "check.h"

#include "engine.h"
#include "kb.h"
#include "question.h"
#include "text.h"
#include "triage.h"

#include <stdlib.h>

static kf_kb *load_kb(void)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    kf_err e = kf_kb_load(dir ? dir : "kb", &kb, &errs);
    if (e != KF_OK)
        fprintf(stderr, "kb: %s\n%s", kf_strerror(e), errs.s ? errs.s : "");
    kf_buf_free(&errs);
    return kb;
}

static void answer(kf_findings *f, int finding, kf_state st)
{
    kf_fact x = { .finding = finding, .state = st, .side = KF_SIDE_NONE,
                  .origin = KF_FROM_ANSWER, .alt = -1, .start = -1 };
    kf_findings_add(f, &x);
}

static kf_triage level(const kf_kb *kb, const kf_findings *f)
{
    kf_triage t = KF_TRIAGE_SELF_CARE;
    CHECK_INT(kf_triage_level(kb, f, &t), KF_OK);
    return t;
}

/* One checklist's shape: lines counted, at most KF_CHECK_LINES, no finding
 * twice, each line's findings giving one triage on a yes. */
static void check_shape(const kf_kb *kb, const kf_findings *f, const kf_question *q)
{
    int lines = 0;
    for (int i = 0; i < q->n_screen; i++) {
        for (int j = 0; j < i; j++)
            CHECK(q->screen[i] != q->screen[j]);
        if (kf_screen_on_line(q, i, i)) {
            lines++;
            continue;
        }
        /* on an earlier line: its first finding's yes gives what this one's would */
        int head = q->screen_with[i];
        CHECK(head >= 0 && head < i);
        kf_findings a, b;
        kf_findings_copy(&a, f);
        kf_findings_copy(&b, f);
        answer(&a, q->screen[head], KF_PRESENT);
        answer(&b, q->screen[i], KF_PRESENT);
        CHECK_INT(level(kb, &a), level(kb, &b));
        kf_findings_free(&a);
        kf_findings_free(&b);
    }
    CHECK_INT(lines, q->screen_with ? q->n_lines : q->n_screen);
    CHECK(lines >= 1 && lines <= KF_CHECK_LINES);
}

/* The words, the opening answer read; then every checklist answered "no"
 * (every finding on it) until the interview moves on.  Returns the number of
 * checklists; `asked_out` (may be NULL) gets every finding they asked, in
 * order, `first` (may be NULL) the text of the first line of the first one. */
static int walk(const kf_kb *kb, const char *words, int *asked_out, int *n_asked, kf_buf *first)
{
    kf_findings f;
    kf_findings_init(&f);
    kf_text_read(kb, words, strlen(words), &f, NULL);
    int pages = 0, n = 0;
    for (int asked = 1; asked < 12; asked++) {
        kf_question q;
        CHECK_INT(kf_next_question(kb, &f, asked, 8, &q), KF_OK);
        if (q.kind != KF_Q_SCREEN) {
            kf_question_free(&q);
            break;
        }
        check_shape(kb, &f, &q);
        if (!pages && first)
            kf_screen_line(kb, &q, 0, first);
        pages++;
        for (int i = 0; i < q.n_screen; i++) {
            if (asked_out && n < 256)
                asked_out[n++] = q.screen[i];
            answer(&f, q.screen[i], KF_ABSENT);
        }
        kf_question_free(&q);
    }
    if (n_asked)
        *n_asked = n;
    kf_findings_free(&f);
    return pages;
}

/* Self-care knots in several registers: the screen is at most 8 lines at a
 * time, and the emergencies everyone is asked about lead it. */
static void test_screen_short(void)
{
    kf_kb *kb = load_kb();
    if (!kb)
        return;
    static const char *const knots[] = {
        "knot between my right shoulder blade and spine, I use the mouse all day",
        "tight lump at the top of my shoulder, I carry my bag on that side",
        "my lower back aches after gardening all weekend",
        "neck stiff and sore from looking down at my phone",
        "sore spot under my left shoulder blade, I'm a swimmer",
        NULL
    };
    for (int k = 0; knots[k]; k++) {
        int asked[256], n = 0;
        int pages = walk(kb, knots[k], asked, &n, NULL);
        CHECK(pages >= 1 && pages <= 2);
        /* a lone emergency sign everyone is asked about is on the first page */
        int stroke = kf_kb_finding(kb, "stroke_signs");
        bool seen = false;
        for (int i = 0; i < n && i < KF_CHECK_LINES + 4; i++)
            seen |= asked[i] == stroke;
        CHECK(seen);
    }
    kf_kb_free(kb);
}

/* A doctor_soon reading (weight lost without trying) with a sharp pain
 * between the blades: the emergency checklists ask whether it began
 * suddenly as the warning sign itself (with the sharp pain), at most 8 lines
 * at a time, a heart pain said three ways on one line, and no lone sign of
 * something nothing said points to (black stools; a rash that does not fade
 * is asked since kb/32 links meningitis to a sudden pain by the blade). */
static void test_emergency_specific(void)
{
    kf_kb *kb = load_kb();
    if (!kb)
        return;
    const char *t = "sharp pain between my shoulder blades, and I've lost a lot of weight "
                    "without trying";
    kf_findings f;
    kf_findings_init(&f);
    kf_text_read(kb, t, strlen(t), &f, NULL);
    CHECK_INT(level(kb, &f), KF_TRIAGE_SOON);
    int asked[256], n = 0;
    int pages = walk(kb, t, asked, &n, NULL);
    CHECK(pages >= 1 && pages <= 3);
    int sudden = kf_kb_finding(kb, "sudden_onset"), rash = kf_kb_finding(kb, "black_stools");
    bool has_sudden = false, has_rash = false;
    for (int i = 0; i < n; i++) {
        has_sudden |= asked[i] == sudden;
        has_rash |= asked[i] == rash;
    }
    CHECK(has_sudden);
    CHECK(!has_rash);
    /* the line that asks it names the sign, not a sudden start alone */
    kf_question q;
    CHECK_INT(kf_emergency_question(kb, &f, 1, 8, &q), KF_OK);
    kf_buf line;
    kf_buf_init(&line);
    bool found = false;
    for (int page = 0; page < 3 && q.kind == KF_Q_SCREEN && !found; page++) {
        for (int i = 0; i < q.n_screen; i++)
            if (q.screen[i] == sudden && kf_screen_line(kb, &q, i, &line)) {
                found = true;
                CHECK(strstr(line.s, "together with a sharp or stabbing pain") != NULL);
            }
        for (int i = 0; i < q.n_screen; i++)
            answer(&f, q.screen[i], KF_ABSENT);
        kf_question_free(&q);
        CHECK_INT(kf_emergency_question(kb, &f, 2 + page, 8, &q), KF_OK);
    }
    kf_question_free(&q);
    CHECK(found);
    kf_buf_free(&line);
    kf_findings_free(&f);
    kf_kb_free(kb);
}

/* Safety: for doctor_soon readings in several families, a person who has
 * any one sign the emergency checklists ask (answering "no" to the rest,
 * page by page, ticking the line that holds it) reaches emergency. */
static void test_emergency_still_reached(void)
{
    kf_kb *kb = load_kb();
    if (!kb)
        return;
    static const char *const soon[] = {
        "sharp pain between my shoulder blades, and I've lost a lot of weight without trying",
        "my lower back aches, I have a fever and night sweats",
        "I'm 72 and my upper back pain wakes me at night",
        "pain going down my arm and my fingers are numb and weak",
        "my mid back hurts and I had breast cancer five years ago",
        NULL
    };
    for (int k = 0; soon[k]; k++) {
        kf_findings base;
        kf_findings_init(&base);
        kf_text_read(kb, soon[k], strlen(soon[k]), &base, NULL);
        if (level(kb, &base) != KF_TRIAGE_SOON) {
            fprintf(stderr, "not doctor_soon any more: %s\n", soon[k]);
            check_cur_failed = 1;
            kf_findings_free(&base);
            continue;
        }
        int asked[256], n = 0;
        int pages = walk(kb, soon[k], asked, &n, NULL);
        CHECK(n > 0);
        if (getenv("KF_TEST_VERBOSE"))
            fprintf(stderr, "%s: %d checklists, %d findings\n", soon[k], pages, n);
        for (int s = 0; s < n; s++) {
            /* the person with sign asked[s]: "no" to everything before it on
             * the checklists, a tick on its line */
            kf_findings f;
            kf_findings_copy(&f, &base);
            bool reached = false;
            for (int asked_n = 1; asked_n < 12 && !reached; asked_n++) {
                kf_question q;
                CHECK_INT(kf_next_question(kb, &f, asked_n, 8, &q), KF_OK);
                if (q.kind != KF_Q_SCREEN) {
                    kf_question_free(&q);
                    break;
                }
                int line_of = -1;
                for (int i = 0; i < q.n_screen; i++)
                    if (q.screen[i] == asked[s])
                        line_of = kf_screen_on_line(&q, i, i) ? i : q.screen_with[i];
                for (int i = 0; i < q.n_screen; i++) {
                    bool on = line_of >= 0 && kf_screen_on_line(&q, line_of, i);
                    answer(&f, q.screen[i], !on ? KF_ABSENT : i == line_of ? KF_PRESENT
                                                                          : KF_UNSURE);
                }
                reached = line_of >= 0;
                kf_question_free(&q);
            }
            CHECK(reached);
            if (level(kb, &f) != KF_TRIAGE_EMERGENCY) {
                fprintf(stderr, "%s: a yes to %s is not emergency\n", soon[k],
                        kb->findings[asked[s]].id);
                check_cur_failed = 1;
            }
            kf_findings_free(&f);
        }
        kf_findings_free(&base);
    }
    kf_kb_free(kb);
}

int main(void)
{
    RUN(test_screen_short);
    RUN(test_emergency_specific);
    RUN(test_emergency_still_reached);
    return CHECK_DONE();
}
