/* test_journal.c — check-ins -> follow-up evidence -> revised plan, the
 * input checks of `knotfinder log`, and the pain chart.  Uses the real
 * knowledge base (kb/, or $KNOTFINDER_KB). */
#include "check.h"
#include "journal.h"
#include "text.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static kf_kb *kb;

static kf_checkin ci(const char *at, int pain)
{
    kf_checkin c = { .pain = pain, .pain_before = -1, .relief_hours = -1,
                     .done_s = -1 };
    size_t n = strlen(at) < sizeof c.at ? strlen(at) : sizeof c.at - 1;
    memcpy(c.at, at, n);
    c.at[n] = '\0';
    return c;
}

static const kf_fact *fact(const kf_findings *f, const char *id)
{
    int fd = kf_kb_finding(kb, id);
    return fd < 0 ? NULL : kf_findings_get(f, fd);
}

/* The state of the n-th (1-based) relief finding of `tech`, or -1. */
static int relief_of(const kf_followup *fu, const char *tech, int n)
{
    int t = kf_kb_technique(kb, tech);
    if (t < 0 || kb->techniques[t].relief_finding < 0)
        return -1;
    const kf_fact *x = kf_findings_get(&fu->add, kb->techniques[t].relief_finding + n - 1);
    return x ? (int)x->state : -1;
}

static const kf_tech_record *rec_of(const kf_followup *fu, const char *tech)
{
    int t = kf_kb_technique(kb, tech);
    for (int i = 0; i < fu->n_techs; i++)
        if (fu->techs[i].technique == t)
            return &fu->techs[i];
    return NULL;
}

static bool plan_has(const kf_result *r, const char *tech)
{
    int t = kf_kb_technique(kb, tech);
    for (int i = 0; i < r->n_plan; i++)
        if (r->plan[i].technique == t)
            return true;
    return false;
}

static double score(const kf_result *r, const char *cause)
{
    int c = kf_kb_cause(kb, cause);
    for (int i = 0; i < r->n_causes; i++)
        if (r->causes[i].cause == c)
            return r->causes[i].p;
    return 0;
}

/* Findings as a consultation would have them, without going through the
 * text reader (whose lexicon is not this test's business): "ID[:SIDE]"
 * words, present. */
static void given(const char *spec, kf_findings *f)
{
    kf_findings_init(f);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
        char *colon = strchr(w, ':');
        kf_side side = KF_SIDE_NONE;
        if (colon) {
            *colon = '\0';
            side = (kf_side)kf_side_parse(colon + 1);
        }
        int fd = kf_kb_finding(kb, w);
        CHECK(fd >= 0);
        if (fd < 0)
            continue;
        kf_fact x = { .finding = fd, .state = KF_PRESENT, .side = side,
                      .origin = KF_FROM_TEXT, .alt = -1, .start = -1 };
        kf_findings_add(f, &x);
    }
}

/* ---- input checks ---- */

static void test_words(void)
{
    kf_buf out, err;
    kf_buf_init(&out);
    kf_buf_init(&err);
    CHECK_INT(kf_journal_words(kb, "--did", " Tennis-Ball, heat,ice , heat", &out,
                               &err), KF_OK);
    CHECK_STR(out.s, "tennis_ball,heat,cold");
    kf_buf_free(&out);
    CHECK_INT(kf_journal_words(kb, "--worse-after", "none", &out, &err), KF_OK);
    CHECK(out.len == 0);
    CHECK_INT(kf_journal_words(kb, "--did", "heat, tenis_ball", &out, &err),
              KF_EINVAL);
    CHECK_CONTAINS(err.s, "'tenis_ball'");
    CHECK_CONTAINS(err.s, "did you mean 'tennis_ball'");
    CHECK(out.len == 0);
    kf_buf_free(&err);
    CHECK_INT(kf_journal_words(kb, "--did", "yoga;", &out, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "--did");
    kf_buf_free(&err);
    kf_buf_free(&out);
}

static void test_where(void)
{
    const char *r;
    kf_side s;
    kf_buf err;
    kf_buf_init(&err);
    CHECK_INT(kf_journal_where(kb, "medial_border:right", &r, &s, &err), KF_OK);
    CHECK_STR(r, "medial_border");
    CHECK_INT(s, KF_SIDE_RIGHT);
    CHECK_INT(kf_journal_where(kb, "Pain_Medial-Border:l", &r, &s, &err), KF_OK);
    CHECK_STR(r, "medial_border");
    CHECK_INT(s, KF_SIDE_LEFT);
    CHECK_INT(kf_journal_where(kb, "between_blades:left", &r, &s, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "no left or right side");
    kf_buf_free(&err);
    CHECK_INT(kf_journal_where(kb, "medial_border:up", &r, &s, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "left, right or both");
    kf_buf_free(&err);
    CHECK_INT(kf_journal_where(kb, "top_sholder", &r, &s, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "did you mean 'top_shoulder'");
    kf_buf_free(&err);
}

static void test_time(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    long long now;
    CHECK(kf_time_parse_utc("2025-06-15T12:00:00Z", &now));
    char out[KF_TIME_LEN];
    kf_buf err;
    kf_buf_init(&err);
    CHECK_INT(kf_journal_time("2024-05-01T08:30:00Z", now, out, &err), KF_OK);
    CHECK_STR(out, "2024-05-01T08:30:00Z");
    CHECK_INT(kf_journal_time("2024-05-01T10:30+02:00", now, out, &err), KF_OK);
    CHECK_STR(out, "2024-05-01T08:30:00Z");
    CHECK_INT(kf_journal_time("2024-05-01 08:30", now, out, &err), KF_OK);
    CHECK_STR(out, "2024-05-01T08:30:00Z");
    CHECK_INT(kf_journal_time("2024-05-01", now, out, &err), KF_OK);
    CHECK_STR(out, "2024-05-01T12:00:00Z");
    /* Today as a date: noon would be ahead of "now" at 09:00, so now. */
    long long morning;
    kf_time_parse_utc("2025-06-15T09:00:00Z", &morning);
    CHECK_INT(kf_journal_time("2025-06-15", morning, out, &err), KF_OK);
    CHECK_STR(out, "2025-06-15T09:00:00Z");
    CHECK_INT(kf_journal_time("2025-06-16", now, out, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "in the future");
    kf_buf_free(&err);
    CHECK_INT(kf_journal_time("2025-06-15T13:00:00Z", now, out, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "in the future");
    kf_buf_free(&err);
    CHECK_INT(kf_journal_time("2025-06-15T12:04:00Z", now, out, &err), KF_OK);
    CHECK_INT(kf_journal_time("2023-02-29", now, out, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "not a day of the calendar");
    kf_buf_free(&err);
    const char *bad[] = { "yesterday", "2024-5-1", "2024-05-01T8:30",
                          "2024-05-01T08:30:00Q", "2024-05-01T25:00",
                          "2024-05-01T08:30+15:00", "" };
    for (size_t i = 0; i < KF_ARRAY_LEN(bad); i++) {
        CHECK_INT(kf_journal_time(bad[i], now, out, &err), KF_EINVAL);
        CHECK_CONTAINS(err.s, "--at");
        kf_buf_free(&err);
    }
    unsetenv("TZ");
    tzset();
}

static void test_numbers(void)
{
    int p;
    double h;
    kf_buf err;
    kf_buf_init(&err);
    CHECK_INT(kf_journal_pain("0", &p, &err), KF_OK);
    CHECK_INT(p, 0);
    CHECK_INT(kf_journal_pain(" 10 ", &p, &err), KF_OK);
    CHECK_INT(p, 10);
    CHECK_INT(kf_journal_pain("6/10", &p, &err), KF_OK);
    CHECK_INT(p, 6);
    const char *badp[] = { "11", "-1", "6.5", "", "six", "1000", "5 5" };
    for (size_t i = 0; i < KF_ARRAY_LEN(badp); i++) {
        CHECK_INT(kf_journal_pain(badp[i], &p, &err), KF_EINVAL);
        CHECK_CONTAINS(err.s, "0");
        kf_buf_free(&err);
    }
    CHECK_INT(kf_journal_hours("2", &h, &err), KF_OK);
    CHECK_NEAR(h, 2, 1e-12);
    CHECK_INT(kf_journal_hours("90m", &h, &err), KF_OK);
    CHECK_NEAR(h, 1.5, 1e-12);
    CHECK_INT(kf_journal_hours("2 d", &h, &err), KF_OK);
    CHECK_NEAR(h, 48, 1e-12);
    CHECK_INT(kf_journal_hours("0", &h, &err), KF_OK);
    CHECK_INT(kf_journal_hours("-2", &h, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "cannot be negative");
    kf_buf_free(&err);
    const char *badh[] = { "abc", "9000", "2x", "nan", "inf", "" };
    for (size_t i = 0; i < KF_ARRAY_LEN(badh); i++) {
        CHECK_INT(kf_journal_hours(badh[i], &h, &err), KF_EINVAL);
        kf_buf_free(&err);
    }
}

static void test_check(void)
{
    kf_buf err;
    kf_buf_init(&err);
    kf_checkin c = ci("", 5);
    c.region = "medial_border";
    c.side = KF_SIDE_LEFT;
    c.did = "tennis_ball,heat";
    CHECK_INT(kf_journal_check(kb, &c, &err), KF_OK);
    c.did = "tennis_ball,yoga";
    CHECK_INT(kf_journal_check(kb, &c, &err), KF_EINVAL);
    CHECK_CONTAINS(err.s, "'yoga'");
    kf_buf_free(&err);
    c.did = NULL;
    c.region = "nowhere";
    CHECK_INT(kf_journal_check(kb, &c, &err), KF_EINVAL);
    kf_buf_free(&err);
    c.region = "between_blades";
    CHECK_INT(kf_journal_check(kb, &c, &err), KF_EINVAL);
    kf_buf_free(&err);
    c = ci("", 12);
    CHECK_INT(kf_journal_check(kb, &c, &err), KF_EINVAL);
    kf_buf_free(&err);
}

/* ---- follow-ups ---- */

static void test_relief_short_local(void)
{
    kf_checkin v[3];
    const char *at[3] = { "2025-03-01T08:00:00Z", "2025-03-02T08:00:00Z",
                          "2025-03-03T08:00:00Z" };
    for (int i = 0; i < 3; i++) {
        v[i] = ci(at[i], 6);
        v[i].region = "medial_border";
        v[i].side = KF_SIDE_RIGHT;
        v[i].did = "tennis_ball";
        v[i].relief_hours = 2;
    }
    kf_followup fu;
    CHECK_INT(kf_journal_followups(kb, v, 3, &fu), KF_OK);
    const kf_fact *x = fact(&fu.add, "relief_short");
    CHECK(x && x->state == KF_PRESENT && x->side == KF_SIDE_RIGHT &&
          x->origin == KF_FROM_JOURNAL);
    /* The tennis ball works on the sore spot: no relief_after finding. */
    CHECK_INT(relief_of(&fu, "tennis_ball", 1), -1);
    CHECK_INT(relief_of(&fu, "lat_pinch", 1), -1);
    const kf_tech_record *r = rec_of(&fu, "tennis_ball");
    CHECK(r && r->tries == 3 && r->short_relief == 3 && !r->demoted);
    CHECK_NEAR(r->relief_sum / r->relief_n, 2, 1e-9);
    CHECK_INT(fu.n_used, 3);
    kf_followup_free(&fu);
}

static void test_relief_attributed_later(void)
{
    /* The lat pinch (away from the sore spot), then a day later: relief
     * lasted 2 days.  The lat goes up; no relief_short either way, as the
     * pinch was not on the sore spot. */
    kf_checkin v[2] = { ci("2025-03-01T08:00:00Z", 6), ci("2025-03-02T09:00:00Z", 2) };
    v[0].region = "medial_border";
    v[0].did = "lat_pinch";
    v[1].relief_hours = 48;
    kf_followup fu;
    CHECK_INT(kf_journal_followups(kb, v, 2, &fu), KF_OK);
    CHECK_INT(relief_of(&fu, "lat_pinch", 1), KF_PRESENT);
    CHECK(fact(&fu.add, "relief_short") == NULL);
    const kf_tech_record *r = rec_of(&fu, "lat_pinch");
    CHECK(r && r->lasting == 1);
    kf_followup_free(&fu);
    /* Three days later is too late to be about the pinch. */
    snprintf(v[1].at, sizeof v[1].at, "2025-03-05T09:00:00Z");
    CHECK_INT(kf_journal_followups(kb, v, 2, &fu), KF_OK);
    CHECK_INT(relief_of(&fu, "lat_pinch", 1), -1);
    kf_followup_free(&fu);
}

static void test_worse_and_massage(void)
{
    kf_checkin v[3] = { ci("2025-03-01T08:00:00Z", 5), ci("2025-03-02T08:00:00Z", 6),
                        ci("2025-03-03T08:00:00Z", 6) };
    v[0].did = "heat";
    v[0].worse_after = "heat";
    v[1].did = "massage";
    v[1].relief_hours = 3;
    v[2].worse_after = "massage,cold_therapy";
    kf_followup fu;
    CHECK_INT(kf_journal_followups(kb, v, 3, &fu), KF_OK);
    CHECK(fact(&fu.add, "worse_after_heat") &&
          fact(&fu.add, "worse_after_heat")->state == KF_PRESENT);
    CHECK(fact(&fu.add, "worse_after_cold") != NULL);
    CHECK(fact(&fu.add, "worse_after_massage") != NULL);
    CHECK(fact(&fu.add, "massage_no_help") &&
          fact(&fu.add, "massage_no_help")->state == KF_PRESENT);
    CHECK_STR(fu.worse_heat_at, "2025-03-01T08:00:00Z");
    const kf_tech_record *r = rec_of(&fu, "heat_front");
    CHECK(r && r->worse == 1);
    kf_followup_free(&fu);
}

static void test_no_change(void)
{
    kf_checkin v[10];
    int n = 0;
    char at[32];
    for (int d = 0; d < 3; d++) {
        snprintf(at, sizeof at, "2025-04-%02dT08:00:00Z", d + 1);
        v[n] = ci(at, 6);
        v[n].did = "shoulder_rolls";
        v[n++].relief_hours = 0;
        snprintf(at, sizeof at, "2025-04-%02dT20:00:00Z", d + 1);
        v[n] = ci(at, 6);               /* pain not lower than before */
        v[n++].did = "doorway_chest_stretch";
    }
    /* A try stopped early does not count. */
    v[n] = ci("2025-04-05T08:00:00Z", 7);
    v[n].did = "lat_pinch";
    v[n].stopped_early = true;
    v[n++].relief_hours = 0;
    kf_followup fu;
    CHECK_INT(kf_journal_followups(kb, v, n, &fu), KF_OK);
    const kf_tech_record *a = rec_of(&fu, "shoulder_rolls");
    const kf_tech_record *b = rec_of(&fu, "doorway_chest_stretch");
    CHECK(a && a->tries == 3 && a->no_change == 3 && a->demoted);
    CHECK(b && b->no_change >= 2);
    CHECK(rec_of(&fu, "lat_pinch") == NULL);
    bool both = a && b && a->demoted && b->demoted;
    const kf_fact *x = fact(&fu.add, "no_change_after_tries");
    CHECK(both ? x != NULL : x == NULL);
    kf_followup_free(&fu);
}

static void test_window(void)
{
    kf_checkin v[2] = { ci("2024-01-01T08:00:00Z", 6), ci("2025-01-01T08:00:00Z", 3) };
    v[0].did = "heat";
    v[0].worse_after = "heat";
    kf_followup fu;
    CHECK_INT(kf_journal_followups(kb, v, 2, &fu), KF_OK);
    CHECK_INT(fu.n_used, 1);
    CHECK(fact(&fu.add, "worse_after_heat") == NULL);
    kf_followup_free(&fu);
    CHECK_INT(kf_journal_followups(kb, NULL, 0, &fu), KF_OK);
    CHECK_INT(fu.n_used, 0);
    CHECK_INT(fu.add.n, 0);
    kf_followup_free(&fu);
}

/* ---- the revision ---- */

/* A knot between the right shoulder blade and spine, a mouse all day. */
static const char *const base_spec = "pain_medial_border:right does_mousing:right";

static void test_revise_relief_short(void)
{
    kf_findings base;
    given(base_spec, &base);
    kf_checkin v[3];
    const char *at[3] = { "2025-03-01T08:00:00Z", "2025-03-02T08:00:00Z",
                          "2025-03-03T08:00:00Z" };
    for (int i = 0; i < 3; i++) {
        v[i] = ci(at[i], 6);
        v[i].region = "medial_border";
        v[i].side = KF_SIDE_RIGHT;
        v[i].did = "tennis_ball";
        v[i].relief_hours = 2;
    }
    kf_revision *r = NULL;
    CHECK_INT(kf_journal_revise(kb, &base, v, 3, &r), KF_OK);
    if (!r)
        return;
    /* The muscle at the sore spot goes down, the ones pulling from
     * elsewhere go up. */
    CHECK(score(r->after, "rhomboids") < score(r->before, "rhomboids"));
    CHECK(score(r->after, "latissimus_dorsi") > score(r->before, "latissimus_dorsi"));
    bool down = false, learnt = false;
    for (int i = 0; i < r->n_changes; i++) {
        const kf_change *c = &r->changes[i];
        if (c->kind == KF_CHANGE_CAUSE_DOWN && c->cause == kf_kb_cause(kb, "rhomboids")) {
            down = true;
            CHECK_CONTAINS(c->text, "less likely");
            CHECK(c->after < c->before);
        }
        if (c->kind == KF_CHANGE_FINDING && c->finding == kf_kb_finding(kb, "relief_short"))
            learnt = true;
    }
    if (!down)
        for (int i = 0; i < r->n_changes; i++)
            fprintf(stderr, "change %d: %s\n", r->changes[i].kind, r->changes[i].text);
    CHECK(down);
    CHECK(learnt);
    kf_buf out;
    kf_buf_init(&out);
    kf_revision_text(kb, r, &out, 72);
    CHECK_CONTAINS(out.s, "WHAT CHANGED AND WHY");
    /* the technique by its name, never its id */
    CHECK_CONTAINS(out.s, "the tennis-ball pressure three times");
    CHECK(strstr(out.s, "tennis_ball") == NULL);
    for (const char *p = out.s; *p; ) {        /* wrapped to 72 columns */
        size_t n = strcspn(p, "\n");
        CHECK(n <= 72);
        p += n + (p[n] == '\n');
    }
    json_t *j = kf_revision_json(kb, r);
    CHECK(j && json_array_size(json_object_get(j, "changes")) == (size_t)r->n_changes);
    CHECK(json_is_object(json_object_get(j, "result")));
    CHECK_INT(json_integer_value(json_object_get(j, "checkins_used")), 3);
    json_decref(j);
    /* The same input gives the same words. */
    kf_revision *r2 = NULL;
    CHECK_INT(kf_journal_revise(kb, &base, v, 3, &r2), KF_OK);
    kf_buf out2;
    kf_buf_init(&out2);
    if (r2)
        kf_revision_text(kb, r2, &out2, 72);
    CHECK_STR(out.s, out2.s);
    kf_buf_free(&out);
    kf_buf_free(&out2);
    kf_revision_free(r2);
    kf_revision_free(r);
    kf_findings_free(&base);
}

/* A change's words agree with its numbers (issue 10: "probably not it" next
 * to "(12% -> 16%, more likely)"): for many techniques, with no relief,
 * short relief and lasting relief, and with check-ins of two techniques
 * that pull the same cause both ways, a text that says "(A% -> B%, W)" has
 * W "less likely" only when B < A, "more likely" only when B > A; "probably
 * not what keeps" only when B <= A, "probably what keeps" only when B >= A. */
static void test_revise_words_agree(void)
{
    static const char *const techs[] = {
        "tennis_ball", "lat_pinch", "tender_point_hold", "serratus_release", "levator_stretch",
        "upper_trap_stretch", "doorway_chest_stretch", "shoulder_rolls", "heat_front",
        "therapeutic_massage", "scalene_stretch", "chin_tuck", NULL
    };
    static const double hours[] = { 0, 2, 48 };
    const char *const specs[] = { base_spec, "pain_top_shoulder:left looks_down",
                                  "pain_under_arm:right lifts_weights" };
    int texts = 0;
    for (int sp = 0; sp < 3; sp++)
        for (int a = 0; techs[a]; a++)
            for (int b = 0; techs[b]; b += 3)
                for (int h = 0; h < 3; h++) {
                    kf_findings base;
                    given(specs[sp], &base);
                    kf_checkin v[4];
                    for (int i = 0; i < 4; i++) {
                        char at[32];
                        snprintf(at, sizeof at, "2025-06-%02dT08:00:00Z", i + 1);
                        v[i] = ci(at, 5);
                        v[i].did = i < 3 ? techs[a] : techs[b];
                        v[i].relief_hours = i < 3 ? hours[h] : hours[2 - h];
                    }
                    kf_revision *r = NULL;
                    CHECK_INT(kf_journal_revise(kb, &base, v, 4, &r), KF_OK);
                    for (int i = 0; r && i < r->n_changes; i++) {
                        const char *t = r->changes[i].text, *q = t ? strstr(t, "% -> ") : NULL;
                        if (!q)
                            continue;
                        const char *o = q;
                        while (o > t && o[-1] != '(')
                            o--;
                        int p0 = atoi(o), p1 = atoi(q + 5);
                        texts++;
                        bool bad = (strstr(q, "less likely") && p1 >= p0) ||
                                   (strstr(q, "more likely") && p1 <= p0) ||
                                   (strstr(t, "probably not what keeps") && p1 > p0) ||
                                   (strstr(t, "probably what keeps") && p1 < p0);
                        if (bad) {
                            fprintf(stderr, "words against numbers: %s\n", t);
                            check_cur_failed = 1;
                        }
                    }
                    kf_revision_free(r);
                    kf_findings_free(&base);
                }
    CHECK(texts > 50);
}

static void test_revise_heat_and_plan(void)
{
    /* A description whose plan uses heat. */
    kf_findings base;
    given("pain_medial_border:left deep_knot:left tender_ribs_side:left "
          "leans_elbow:left", &base);
    kf_revision *r = NULL;
    CHECK_INT(kf_journal_revise(kb, &base, NULL, 0, &r), KF_OK);
    if (!r)
        return;
    CHECK_INT(r->n_changes, 1);
    CHECK_INT(r->changes[0].kind, KF_CHANGE_NONE);
    CHECK_CONTAINS(r->changes[0].text, "No check-ins yet");
    int first = r->after->n_plan ? r->after->plan[0].technique : -1;
    int n_plan = r->after->n_plan;
    kf_revision_free(r);
    CHECK(first >= 0 && n_plan >= 3);
    if (first < 0)
        return;

    kf_checkin v[5];
    v[0] = ci("2025-05-01T08:00:00Z", 5);
    v[0].did = "heat";
    v[0].worse_after = "heat";
    for (int i = 1; i < 4; i++) {
        char at[32];
        snprintf(at, sizeof at, "2025-05-%02dT08:00:00Z", i + 1);
        v[i] = ci(at, 5);
        v[i].did = kb->techniques[first].id;
        v[i].relief_hours = 0;
    }
    v[4] = ci("2025-05-06T08:00:00Z", 5);
    v[4].did = "tender_point_hold";
    v[4].worse_after = "tender_point_hold";
    CHECK_INT(kf_journal_revise(kb, &base, v, 5, &r), KF_OK);
    if (!r)
        return;
    CHECK(!plan_has(r->after, "heat_front"));
    CHECK(plan_has(r->after, "cold_therapy"));
    CHECK(!plan_has(r->after, "tender_point_hold"));
    /* The step that changed nothing three times is last (before a doctor
     * step, if any). */
    int see = kf_kb_technique(kb, "see_doctor"), last = -1;
    for (int i = 0; i < r->after->n_plan; i++)
        if (r->after->plan[i].technique != see)
            last = r->after->plan[i].technique;
    if (first != kf_kb_technique(kb, "tender_point_hold"))
        CHECK_INT(last, first);
    bool demote = false, heat = false;
    for (int i = 0; i < r->n_changes; i++) {
        demote |= r->changes[i].kind == KF_CHANGE_PLAN_DEMOTE;
        heat |= r->changes[i].kind == KF_CHANGE_FINDING &&
                strstr(r->changes[i].text, "worse after heat") != NULL;
    }
    if (first != kf_kb_technique(kb, "tender_point_hold"))
        CHECK(demote);
    CHECK(heat);
    kf_revision_free(r);
    kf_findings_free(&base);
}

static void test_revise_oom(void)
{
    kf_findings base;
    given(base_spec, &base);
    kf_checkin v[2] = { ci("2025-03-01T08:00:00Z", 6), ci("2025-03-01T09:00:00Z", 5) };
    v[0].did = "tennis_ball,heat";
    v[0].region = "medial_border";
    v[0].relief_hours = 3;
    v[1].worse_after = "heat";
    v[1].note = "my legs went weak and numb this morning";   /* note_warning too */
    int ok = 0;
    for (long k = 0; k < 600; k++) {
        kf_revision *r = NULL;
        kf_alloc_fail_after(k);
        kf_err e = kf_journal_revise(kb, &base, v, 2, &r);
        kf_alloc_fail_after(-1);
        CHECK(e == KF_OK || e == KF_ENOMEM);
        CHECK((e == KF_OK) == (r != NULL));
        ok += e == KF_OK;
        kf_revision_free(r);
    }
    CHECK(ok > 0);
    kf_findings_free(&base);
}

/* A warning sign written in a check-in's note is a warning sign now: the
 * revised answer's triage leads with it, even over the consultation's own
 * screen answer "no" for the same sign; the change that says so comes
 * first.  A note of asides, of negations, of worries or of someone else's
 * past changes nothing. */
static kf_triage note_level(const char *note, kf_revision **keep)
{
    kf_findings base;
    given(base_spec, &base);
    /* The screen was answered: no leg weakness, no chest pressure. */
    const char *no[] = { "leg_weakness", "chest_pressure" };
    for (int i = 0; i < 2; i++) {
        kf_fact x = { .finding = kf_kb_finding(kb, no[i]), .state = KF_ABSENT,
                      .origin = KF_FROM_ANSWER, .alt = -1, .start = -1 };
        kf_findings_add(&base, &x);
    }
    kf_checkin v[2] = { ci("2025-03-01T08:00:00Z", 6), ci("2025-03-02T08:00:00Z", 7) };
    v[0].did = "tennis_ball";
    v[0].region = "medial_border";
    v[0].relief_hours = 2;
    v[0].note = "the ball helped for a bit";
    v[1].id = 42;
    v[1].note = note;
    kf_revision *r = NULL;
    CHECK_INT(kf_journal_revise(kb, &base, v, 2, &r), KF_OK);
    kf_triage lv = r ? r->after->triage : KF_TRIAGE_UNKNOWN;
    if (keep)
        *keep = r;
    else
        kf_revision_free(r);
    kf_findings_free(&base);
    return lv;
}

static void test_revise_note_warning(void)
{
    kf_revision *r = NULL;
    CHECK_INT(note_level("my legs went weak and numb this morning", &r), KF_TRIAGE_EMERGENCY);
    if (r) {
        CHECK(r->before->triage < KF_TRIAGE_EMERGENCY);
        CHECK_INT(r->fu.n_notes, 1);
        CHECK(r->n_changes > 0 && r->changes[0].kind == KF_CHANGE_FINDING &&
              r->changes[0].finding == kf_kb_finding(kb, "leg_weakness"));
        if (r->n_changes)
            CHECK_CONTAINS(r->changes[0].text, "warning sign");
        json_t *j = kf_revision_json(kb, r);
        json_t *nw = j ? json_object_get(j, "note_warnings") : NULL;
        CHECK(json_array_size(nw) == 1);
        CHECK_INT(json_integer_value(json_object_get(json_array_get(nw, 0), "checkin")), 42);
        CHECK_STR(json_string_value(json_object_get(json_array_get(nw, 0), "finding")), "leg_weakness");
        json_decref(j);
        kf_revision_free(r);
    }
    CHECK_INT(note_level("crushing pain in my chest going into my left arm", NULL), KF_TRIAGE_EMERGENCY);
    CHECK_INT(note_level("fever and chills since yesterday", NULL), KF_TRIAGE_SOON);
    static const char *const calm[] = {
        "the tennis ball was great and the pain eased",
        "no numbness in my legs and no chest pain today",
        "my dad had a heart attack years ago",
        "could this be my heart? just wondering",
        "felt a bit sweaty after the gym",
        "", NULL };
    for (int i = 0; calm[i]; i++) {
        kf_revision *q = NULL;
        kf_triage lv = note_level(calm[i], &q);
        CHECK(lv < KF_TRIAGE_SOON);
        if (q) {
            CHECK_INT(q->fu.n_notes, 0);
            if (q->fu.n_notes)
                fprintf(stderr, "note read as a warning sign: %s\n", calm[i]);
        }
        kf_revision_free(q);
    }
}

/* ---- consultations through the store ---- */

static void test_consultation_roundtrip(void)
{
    char dir[] = "/tmp/kf-test-journal-XXXXXX";
    if (!mkdtemp(dir))
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/j.db", dir);
    kf_findings f;
    given("pain_inferior_angle:left sleeps_side:left", &f);
    f.dominant = KF_SIDE_LEFT;
    f.age = 52;
    kf_result *r = kf_consult(kb, &f);
    CHECK(r != NULL);
    kf_buf err;
    kf_buf_init(&err);
    /* Nothing recognised: nothing written. */
    kf_findings nf;
    kf_findings_init(&nf);
    kf_result *none = kf_consult(kb, &nf);
    CHECK(none != NULL);
    CHECK_INT(kf_journal_save_consultation(path, kb, "", none, &err), KF_OK);
    CHECK(access(path, F_OK) != 0);
    kf_result_free(none);
    kf_findings_free(&nf);
    CHECK_INT(kf_journal_save_consultation(path, kb, "knot under my left shoulder "
                                           "blade", r, &err), KF_OK);
    kf_store *s = NULL;
    CHECK_INT(kf_store_open(path, &s, &err), KF_OK);
    kf_findings back;
    kf_findings_init(&back);
    long long id = 0;
    char at[KF_TIME_LEN];
    CHECK_INT(kf_journal_latest_findings(s, kb, &back, &id, at, &err), KF_OK);
    CHECK(id > 0);
    CHECK_INT(back.n, f.n);
    for (int i = 0; i < f.n && i < back.n; i++) {
        CHECK_INT(back.v[i].finding, f.v[i].finding);
        CHECK_INT(back.v[i].state, f.v[i].state);
    }
    CHECK_INT(back.dominant, f.dominant);
    CHECK_INT(back.age, f.age);
    kf_consultation_list l;
    CHECK_INT(kf_store_list_consultations(s, 0, &l, &err), KF_OK);
    CHECK_INT(l.n, 1);
    if (l.n)
        CHECK_STR(l.v[0].kb_version, kb->version);
    kf_consultation_list_free(&l);
    kf_findings_free(&back);
    kf_store_close(s);
    kf_result_free(r);
    kf_findings_free(&f);
    /* No consultation yet: a clear message. */
    snprintf(path, sizeof path, "%s/empty.db", dir);
    CHECK_INT(kf_store_open(path, &s, &err), KF_OK);
    kf_findings_init(&back);
    CHECK_INT(kf_journal_latest_findings(s, kb, &back, NULL, NULL, &err),
              KF_ENOTFOUND);
    CHECK_CONTAINS(err.s, "knotfinder ask");
    kf_store_close(s);
    kf_buf_free(&err);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* kf_journal_window reads only the window's check-ins from the store, and
 * the revision on them is the revision on the whole history; with no place
 * named in the window it reads them all (an older place is the fallback). */
static char *revision_json(const kf_findings *base, const kf_checkin_list *l)
{
    kf_revision *r = NULL;
    if (kf_journal_revise(kb, base, l->v, l->n, &r) != KF_OK || !r)
        return NULL;
    json_t *j = kf_revision_json(kb, r);
    char *s = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;
    json_decref(j);
    kf_revision_free(r);
    return s;
}

static void test_window_from_store(void)
{
    char dir[] = "/tmp/kf-test-window-XXXXXX";
    if (!mkdtemp(dir))
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/j.db", dir);
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    CHECK_INT(kf_store_open(path, &s, &err), KF_OK);
    if (!s)
        return;
    static const char *const did[] = { "tennis_ball", "heat", "", "lat_pinch", "" };
    long long t0 = (long long)time(NULL) - 400 * 86400LL;
    for (int d = 0; d < 400; d++) {
        kf_checkin c = ci("", 3 + d % 5);
        kf_time_format(t0 + d * 86400LL, c.at);
        c.did = did[d % 5];
        c.relief_hours = *c.did ? (d % 7) * 4 : -1;
        /* a place for the first 300 days only */
        c.region = d < 300 ? "medial_border" : NULL;
        c.side = d < 300 ? KF_SIDE_RIGHT : KF_SIDE_NONE;
        c.worse_after = d % 31 == 0 ? "heat" : NULL;
        CHECK_INT(kf_store_add_checkin(s, &c, NULL, &err), KF_OK);
    }
    kf_findings base;
    given(base_spec, &base);
    kf_checkin_list all, win;
    CHECK_INT(kf_store_list_checkins(s, NULL, 0, &all, &err), KF_OK);
    CHECK_INT(kf_journal_window(s, kb, &win, &err), KF_OK);
    CHECK_INT(all.n, 400);
    /* the newest 100 days name no place: all are read */
    CHECK_INT(win.n, 400);
    kf_checkin_list_free(&win);
    /* a place in the window: the window alone, 91 days (both ends in) */
    kf_checkin c = ci("", 4);
    kf_time_format(t0 + 400 * 86400LL, c.at);
    c.region = "medial_border";
    c.side = KF_SIDE_RIGHT;
    CHECK_INT(kf_store_add_checkin(s, &c, NULL, &err), KF_OK);
    kf_checkin_list_free(&all);
    CHECK_INT(kf_store_list_checkins(s, NULL, 0, &all, &err), KF_OK);
    CHECK_INT(kf_journal_window(s, kb, &win, &err), KF_OK);
    CHECK_INT(win.n, KF_JOURNAL_WINDOW_D + 1);
    char *a = revision_json(&base, &all), *b = revision_json(&base, &win);
    CHECK(a && b);
    if (a && b)
        CHECK_STR(a, b);
    free(a);
    free(b);
    kf_checkin_list_free(&win);
    kf_checkin_list_free(&all);
    /* an empty journal: an empty window */
    kf_store_close(s);
    snprintf(path, sizeof path, "%s/empty.db", dir);
    CHECK_INT(kf_store_open(path, &s, &err), KF_OK);
    CHECK_INT(kf_journal_window(s, kb, &win, &err), KF_OK);
    CHECK_INT(win.n, 0);
    kf_checkin_list_free(&win);
    kf_store_close(s);
    kf_findings_free(&base);
    kf_buf_free(&err);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* The findings kept for a consultation are written by the streaming
 * writer: byte for byte what the tree (kf_journal_findings_in without its
 * "text", json_dumps compact and ASCII) gave, for texts of every kind
 * (sides, ages, pregnancy, durations, non-ASCII words) and for findings
 * given directly; and nothing for a consultation that recognised nothing. */
static void check_dump_same(const char *text, kf_findings *f)
{
    kf_result *r = kf_consult(kb, f);
    CHECK(r != NULL);
    if (!r)
        return;
    size_t len = 0;
    char *mine = kf_journal_consultation_dump(kb, text, r, &len);
    json_t *tree = kf_journal_findings_in(kb, text, &r->findings);
    json_object_del(tree, "text");
    char *theirs = json_dumps(tree, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (r->findings.n > 0 && !r->unrecognised) {
        CHECK_STR(mine, theirs);
        CHECK_INT(len, mine ? strlen(mine) : 0);
    } else {
        CHECK(mine == NULL);
    }
    kf_free(mine);
    free(theirs);
    json_decref(tree);
    kf_result_free(r);
}

static void test_consultation_dump_bytes(void)
{
    static const char *const texts[] = {
        "I have a knot between my spine and my left shoulder blade and I use a "
        "mouse all day with my right hand.",
        "Tight painful spot on top of my right shoulder, worse after carrying my "
        "toddler. I am 34 and 20 weeks pregnant.",
        "I'm 71. For three weeks an ache under the right shoulder blade, worse "
        "when I breathe in, and I feel feverish.",
        "Caf\xc3\xa9 worker, 45 years old: a burning knot at the base of my neck "
        "on both sides since 2 months, I'm left-handed.",
        "hello there, how are you",
        "",
    };
    int cases = 0;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        kf_findings f;
        kf_findings_init(&f);
        kf_buf err;
        kf_buf_init(&err);
        if (kf_text_read(kb, texts[i], strlen(texts[i]), &f, &err) == KF_OK) {
            check_dump_same(texts[i], &f);
            cases++;
        }
        kf_findings_free(&f);
        kf_buf_free(&err);
    }
    CHECK(cases >= 5);
    kf_findings f;
    given("pain_inferior_angle:left sleeps_side:left", &f);
    f.dominant = KF_SIDE_LEFT;
    f.age = 52;
    f.duration_days = 400;
    check_dump_same(NULL, &f);
    kf_findings_free(&f);
}

/* ---- the chart ---- */

static void test_chart(void)
{
    kf_checkin v[4] = { ci("2025-01-01T08:00:00Z", 8), ci("2025-01-01T20:00:00Z", 6),
                        ci("2025-01-03T08:00:00Z", 4), ci("2025-01-05T08:00:00Z", 0) };
    v[2].did = "tennis_ball";
    kf_pain_day *d = NULL;
    int nd = kf_journal_days(v, 4, 0, &d);
    CHECK_INT(nd, 5);
    if (nd == 5) {
        CHECK_STR(d[0].day, "2025-01-01");
        CHECK_INT(d[0].n, 2);
        CHECK_NEAR(d[0].mean, 7, 1e-12);
        CHECK_INT(d[0].max, 8);
        CHECK_INT(d[0].min, 6);
        CHECK_INT(d[1].n, 0);
        CHECK(d[2].did);
        CHECK_INT(d[4].n, 1);
    }
    kf_buf out;
    kf_buf_init(&out);
    kf_journal_chart_text(d, nd, 60, &out);
    CHECK_CONTAINS(out.s, " 10 |");
    CHECK_CONTAINS(out.s, "2025-01-01");
    CHECK_CONTAINS(out.s, "2025-01-05");
    CHECK_CONTAINS(out.s, "*");
    CHECK_CONTAINS(out.s, "^");
    kf_buf_free(&out);
    kf_journal_chart_svg(d, nd, &out);
    CHECK(!strncmp(out.s, "<?xml", 5));
    CHECK_CONTAINS(out.s, "<polyline");
    CHECK_CONTAINS(out.s, "2025-01-05");
    CHECK(out.len > 6 && !strcmp(out.s + out.len - 7, "</svg>\n"));
    kf_buf_free(&out);
    kf_free(d);
    /* Last two days only. */
    nd = kf_journal_days(v, 4, 2, &d);
    CHECK_INT(nd, 2);
    if (nd == 2)
        CHECK_STR(d[0].day, "2025-01-04");
    kf_free(d);
    /* A year of days squeezes into the width. */
    kf_checkin *y = calloc(365, sizeof *y);
    for (int i = 0; i < 365; i++) {
        kf_time_format(1704067200LL + i * 86400LL, y[i].at);
        y[i].pain = i % 11;
    }
    nd = kf_journal_days(y, 365, 0, &d);
    CHECK_INT(nd, 365);
    kf_journal_chart_text(d, nd, 80, &out);
    for (const char *p = out.s; *p; ) {
        size_t n = strcspn(p, "\n");
        CHECK(n <= 80);
        p += n + (p[n] == '\n');
    }
    kf_buf_free(&out);
    kf_free(d);
    free(y);
    /* Nothing at all. */
    CHECK_INT(kf_journal_days(NULL, 0, 0, &d), 0);
    kf_journal_chart_text(NULL, 0, 80, &out);
    CHECK_CONTAINS(out.s, "No check-ins yet");
    kf_buf_free(&out);
    kf_journal_chart_svg(NULL, 0, &out);
    CHECK_CONTAINS(out.s, "No check-ins yet");
    kf_buf_free(&out);
}

int main(void)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_buf errs;
    kf_buf_init(&errs);
    if (kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs) != KF_OK) {
        fprintf(stderr, "cannot load the knowledge base:\n%s", errs.s ? errs.s : "");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    kf_buf_free(&errs);
    RUN(test_words);
    RUN(test_where);
    RUN(test_time);
    RUN(test_numbers);
    RUN(test_check);
    RUN(test_relief_short_local);
    RUN(test_relief_attributed_later);
    RUN(test_worse_and_massage);
    RUN(test_no_change);
    RUN(test_window);
    RUN(test_revise_relief_short);
    RUN(test_revise_words_agree);
    RUN(test_revise_heat_and_plan);
    RUN(test_revise_oom);
    RUN(test_revise_note_warning);
    RUN(test_consultation_roundtrip);
    RUN(test_window_from_store);
    RUN(test_consultation_dump_bytes);
    RUN(test_chart);
    kf_kb_free(kb);
    return CHECK_DONE();
}
