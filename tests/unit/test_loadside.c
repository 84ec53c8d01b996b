/* test_loadside.c — the real knowledge base (kb/): a load carried on one
 * side (carries_one_side, `own_side` in kb/20-findings.kb) is read with the
 * side it sits on (src/text.c, load_side_after) and weighed against the side
 * that hurts (src/engine.c, load_side): on the side that hurts it counts in
 * full, even said as a guess; only on the other side it counts as a guess
 * does; the low back, strained by the balancing lean, is given no side.
 * Run from the repository root (as `make unit` does), or set KNOTFINDER_KB. */
#include "check.h"

#include "engine.h"
#include "kb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static kf_kb *load_kb(void)
{
    const char *dir = getenv("KNOTFINDER_KB");
    kf_kb *kb = NULL;
    kf_buf errs;
    kf_buf_init(&errs);
    kf_err e = kf_kb_load(dir && *dir ? dir : "kb", &kb, &errs);
    if (e != KF_OK)
        fprintf(stderr, "kb: %s\n%s", kf_strerror(e), errs.s ? errs.s : "");
    kf_buf_free(&errs);
    return kb;
}

static int cause_of(const kf_kb *kb, const char *id)
{
    for (int c = 0; c < kb->n_causes; c++)
        if (!strcmp(kb->causes[c].id, id))
            return c;
    return -1;
}

/* The side carries_one_side is read with (-1 when it is not read). */
static int load_read(const kf_kb *kb, const char *text)
{
    kf_findings f;
    kf_findings_init(&f);
    kf_text_read(kb, text, strlen(text), &f, NULL);
    int side = -1;
    for (int i = 0; i < f.n; i++)
        if (f.v[i].state == KF_PRESENT && !strcmp(kb->findings[f.v[i].finding].id, "carries_one_side"))
            side = (int)f.v[i].side;
    kf_findings_free(&f);
    return side;
}

/* The posterior of carrying on one side after TEXT, and its place (0 first). */
static double carrying(const kf_kb *kb, const char *text, int *place)
{
    kf_findings f;
    kf_findings_init(&f);
    kf_text_read(kb, text, strlen(text), &f, NULL);
    kf_result *r = kf_consult(kb, &f);
    int c = cause_of(kb, "one_sided_carrying");
    double p = -1;
    *place = -1;
    if (r && c >= 0) {
        p = r->post[c];
        for (int i = 0; i < r->n_causes; i++)
            if (r->causes[i].cause == c)
                *place = i;
    }
    kf_result_free(r);
    kf_findings_free(&f);
    return p;
}

static void test_load_side_read(void)
{
    kf_kb *kb = load_kb();
    CHECK(kb != NULL);
    if (!kb)
        return;
    /* the side after the load, past an earlier side of the pain */
    CHECK_INT(load_read(kb, "A knot by my right shoulder blade, and I carry my purse on the left."),
              KF_SIDE_LEFT);
    CHECK_INT(load_read(kb, "I'm left-handed and the strap goes on the right."), KF_SIDE_RIGHT);
    CHECK_INT(load_read(kb, "I carry him on my right hip most of the day."), KF_SIDE_RIGHT);
    CHECK_INT(load_read(kb, "I only ever sling it over my left shoulder, my backpack."), KF_SIDE_LEFT);
    CHECK_INT(load_read(kb, "I carry a heavy tool bag in my right hand at work."), KF_SIDE_RIGHT);
    kf_kb_free(kb);
}

static void test_load_side_weighed(void)
{
    kf_kb *kb = load_kb();
    CHECK(kb != NULL);
    if (!kb)
        return;
    int same_at, other_at, guess_at, lowl_at, lowr_at, none_at;
    double same = carrying(kb, "I carry my bag on my left shoulder every day. "
                               "The top of my left shoulder is knotted.", &same_at);
    double other = carrying(kb, "I carry my bag on my left shoulder every day. "
                                "The top of my right shoulder is knotted.", &other_at);
    double none = carrying(kb, "I carry my bag on one shoulder every day. "
                               "The top of my right shoulder is knotted.", &none_at);
    /* on the side that hurts it leads, in full (as a load of no side
     * said); on the other side it counts less, and it does not lead the
     * muscle it would keep tight (engine.c, lead_keepers) */
    CHECK_INT(same_at, 0);
    CHECK_INT(none_at, 0);
    CHECK(same - none < 1e-9 && none - same < 1e-9);
    CHECK(other_at != 0);
    CHECK(none > other + 0.2);
    /* a guess on the side that hurts counts as the load said outright; a
     * guess of no side stays a guess */
    int gnone_at;
    double guess = carrying(kb, "Probably from my heavy shoulder bag, which I wear on the left. "
                                "The top of my left shoulder is knotted.", &guess_at);
    double gnone = carrying(kb, "Probably from my heavy shoulder bag. "
                                "The top of my left shoulder is knotted.", &gnone_at);
    CHECK_INT(guess_at, 0);
    CHECK(guess - same < 1e-9 && same - guess < 1e-9);
    CHECK(guess > gnone + 0.2);
    /* the low back (the lean that balances the load) is given no side */
    double lowl = carrying(kb, "I always carry my son on my left hip. My lower back on the left "
                               "is a mass of knots.", &lowl_at);
    double lowr = carrying(kb, "I always carry my son on my left hip. My lower back on the right "
                               "is a mass of knots.", &lowr_at);
    CHECK(lowl > 0 && lowl - lowr < 1e-9 && lowr - lowl < 1e-9);
    kf_kb_free(kb);
}

/* The side a finding is read with (-1 when it is not read present). */
static int side_read(const kf_kb *kb, const char *text, const char *id)
{
    kf_findings f;
    kf_findings_init(&f);
    kf_text_read(kb, text, strlen(text), &f, NULL);
    int side = -1;
    for (int i = 0; i < f.n; i++)
        if (f.v[i].state == KF_PRESENT && !strcmp(kb->findings[f.v[i].finding].id, id))
            side = (int)f.v[i].side;
    kf_findings_free(&f);
    return side;
}

/* A side said by reference (src/text.c, side_by_reference, pain_side_said):
 * "that side", "the same side" are the side named before; "the other side"
 * the opposite one; a pain said to be on a side apart from its place gives
 * that place its side (misread9). */
static void test_side_by_reference(void)
{
    kf_kb *kb = load_kb();
    CHECK(kb != NULL);
    if (!kb)
        return;
    CHECK_INT(side_read(kb, "I have a knot under my shoulder blade. I carry my laptop bag on my "
                            "right shoulder and the knot is on that side", "pain_inferior_angle"),
              KF_SIDE_RIGHT);
    CHECK_INT(side_read(kb, "I carry my bag on my left shoulder and the knot under my shoulder "
                            "blade is on the other side", "pain_inferior_angle"), KF_SIDE_RIGHT);
    CHECK_INT(side_read(kb, "I carry my bag on my left shoulder and the knot under my shoulder "
                            "blade is on that side too", "pain_inferior_angle"), KF_SIDE_LEFT);
    CHECK_INT(side_read(kb, "knot under my shoulder blade. the knot is on the left",
                        "pain_inferior_angle"), KF_SIDE_LEFT);
    CHECK_INT(load_read(kb, "I've a knot under my right shoulder blade and I carry my bag on the "
                            "same side"), KF_SIDE_RIGHT);
    CHECK_INT(load_read(kb, "I've a knot under my right shoulder blade and I carry my bag on the "
                            "other side"), KF_SIDE_LEFT);
    /* no side named before: nothing to refer to */
    CHECK_INT(side_read(kb, "the knot under my shoulder blade is on the other side",
                        "pain_inferior_angle"), KF_SIDE_NONE);
    /* denied on that side: the other one */
    CHECK_INT(side_read(kb, "I carry my bag on my right shoulder. I have a knot under my shoulder "
                            "blade but it isn't on that side", "pain_inferior_angle"), KF_SIDE_LEFT);
    kf_kb_free(kb);
}

int main(void)
{
    RUN(test_side_by_reference);
    RUN(test_load_side_read);
    RUN(test_load_side_weighed);
    return CHECK_DONE();
}
