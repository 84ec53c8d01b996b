/* test_triage_when.c — the headline is never milder than the message under
 * it (audit 2026-12-02: "See a doctor in the next few days" over "See a doctor
 * today or tomorrow").  For every red-flag rule of the real knowledge base
 * (kb/), its findings are given, the consultation runs, and the timing the
 * rendered headline says (the short answer's first line, and the banner that
 * the full answer, the JSON and the HTTP pages show) is compared with the
 * timing its message asks for, read here by this test's own reading of the
 * words.  Run from the repository root, or set KNOTFINDER_KB. */
#include "check.h"

#include "engine.h"
#include "kb.h"
#include "render.h"
#include "triage.h"

#include <stdlib.h>
#include <strings.h>

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

static void add(kf_findings *f, int id)
{
    kf_fact x = { .finding = id, .state = KF_PRESENT, .side = KF_SIDE_NONE,
                  .origin = KF_FROM_ANSWER, .alt = -1, .start = -1, .len = 0 };
    kf_findings_add(f, &x);
}

static bool contains(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(s + i, w, k))
            return true;
    return false;
}

/* The test's own ranking: 4 now (emergency services), 3 today, 2 today or
 * tomorrow / next day or two, 1 next few days, 0 the next visit, -1 none. */
static int words_rank(const char *s, size_t n)
{
    if (contains(s, n, "emergency services") || contains(s, n, "emergency department") ||
        contains(s, n, "EMERGENCY"))
        return 4;
    if (contains(s, n, "tomorrow") || contains(s, n, "next day") || contains(s, n, "day or two") ||
        contains(s, n, "day or so") || contains(s, n, "within a day"))
        return 2;
    if (contains(s, n, "today") || contains(s, n, "same day"))
        return 3;
    if (contains(s, n, "in the next few days") || contains(s, n, "within a few days") ||
        contains(s, n, "this week"))
        return 1;
    if (contains(s, n, "next visit") || contains(s, n, "mention"))
        return 0;
    return -1;
}

/* What the message asks, over its sentences that are not conditions. */
static int message_rank(const char *m)
{
    int best = -1;
    while (*m) {
        while (*m == ' ')
            m++;
        size_t n = strcspn(m, ".;");
        /* a condition: "If ...", "... see one soon if ..." (not "even if") */
        bool cond = !strncasecmp(m, "if ", 3) || !strncasecmp(m, "when ", 5) ||
                    !strncasecmp(m, "unless ", 7);
        for (size_t i = 0; i + 4 <= n && !cond; i++)
            cond = !strncasecmp(m + i, " if ", 4) && !(i >= 4 && !strncasecmp(m + i - 4, "even", 4)) &&
                   !(i >= 2 && !strncasecmp(m + i - 2, "as", 2));
        if (!cond) {
            int w = words_rank(m, n);
            if (w > best)
                best = w;
        }
        m += n;
        if (*m)
            m++;
    }
    return best;
}

/* The headline: the short answer's text up to its first message. */
static int headline_rank(const char *text)
{
    const char *end = strstr(text, "\n  ");
    /* the first line and its wrapped continuation, up to the first blank-free
     * message line: the headline wraps with an indent of 2, messages too, so
     * take up to the first full stop after "TRIAGE:" */
    const char *dot = strchr(text, '.');
    dot = dot ? strchr(dot + 1, '.') : NULL;     /* "TRIAGE: doctor_soon." then the sentence */
    size_t n = dot ? (size_t)(dot - text) : end ? (size_t)(end - text) : strlen(text);
    return words_rank(text, n);
}

static void test_every_rule(void)
{
    kf_kb *kb = load_kb();
    CHECK(kb != NULL);
    if (!kb)
        return;
    int tried = 0, fired = 0;
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *rf = &kb->redflags[i];
        kf_findings f;
        kf_findings_init(&f);
        for (int k = 0; k < rf->n_all; k++)
            add(&f, rf->all[k]);
        if (rf->n_any)
            add(&f, rf->any[0]);
        tried++;
        kf_result *r = kf_consult(kb, &f);
        CHECK(r != NULL);
        if (!r) {
            kf_findings_free(&f);
            continue;
        }
        bool at_level = false;
        for (int k = 0; k < r->n_fired; k++)
            at_level |= r->fired[k] == i;
        if (at_level && r->triage == rf->level) {
            fired++;
            kf_buf out;
            kf_buf_init(&out);
            kf_render_text(kb, r, "", &out, 80);
            int want = message_rank(rf->message);
            int head = headline_rank(out.s ? out.s : "");
            int banner = words_rank(kf_triage_banner_for(kb, r), strlen(kf_triage_banner_for(kb, r)));
            if (head < want || banner < want)
                fprintf(stderr, "  %s (%s): message asks %d, headline says %d, banner %d\n"
                        "    message: %s\n    answer: %.200s\n", rf->id,
                        kf_triage_id(rf->level), want, head, banner, rf->message,
                        out.s ? out.s : "");
            CHECK(head >= want);
            CHECK(banner >= want);
            /* a doctor-level rule's message asks for a doctor at some time */
            if (rf->level >= KF_TRIAGE_SOON)
                CHECK(head >= 1);
            kf_buf_free(&out);
        }
        kf_result_free(r);
        kf_findings_free(&f);
    }
    /* the rules are really exercised: most fire on their own findings */
    fprintf(stderr, "  %d of %d rules fired at their level on their own findings\n", fired, tried);
    CHECK(fired * 10 >= tried * 8);
    kf_kb_free(kb);
}

/* The reading of the timing: the words of the audit's cases. */
static void test_when_words(void)
{
    kf_redflag r = { .level = KF_TRIAGE_SOON };
    r.message = "A fever can be an infection. See a doctor today or tomorrow. If you also have "
                "a stiff neck, call emergency services.";
    CHECK_INT(kf_redflag_when(&r), KF_WHEN_DAY);
    r.message = "This should be checked by a doctor today, in case it comes from the heart. If it "
                "comes with a sweat, call emergency services now.";
    CHECK_INT(kf_redflag_when(&r), KF_WHEN_TODAY);
    r.message = "Losing weight needs a doctor's check. Book a visit in the next few days.";
    CHECK_INT(kf_redflag_when(&r), KF_WHEN_DAYS);
    r.message = "Needs a check. If a fever comes, go the same day.";
    CHECK_INT(kf_redflag_when(&r), KF_WHEN_DAYS);
    r.message = "See a doctor today or tomorrow; if it becomes severe, go to an emergency department.";
    CHECK_INT(kf_redflag_when(&r), KF_WHEN_DAY);
    r.message = "See a doctor today, even if it feels like a knot.";
    CHECK_INT(kf_redflag_when(&r), KF_WHEN_TODAY);
    r.level = KF_TRIAGE_MENTION;
    r.message = "Mention it at your next visit.";
    CHECK_INT(kf_redflag_when(&r), KF_WHEN_VISIT);
}

int main(void)
{
    RUN(test_when_words);
    RUN(test_every_rule);
    return CHECK_DONE();
}
