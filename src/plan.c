/*
 * plan.c — the self-care plan for a consultation, made for this person; and
 * the muscles to name for a massage therapist.
 *
 * The order of the plan (docs/KB-FORMAT.md, "How the plan is made"):
 *  1. what leads for this person (a technique's first_for: cold and tiny
 *     movements in the first days of a spasm or after a fresh injury);
 *  2. the leading cause's own fix: for a habit or posture, its specific
 *     change (its first technique in the KB's order that suits: a `when`
 *     technique only for those who reported its finding, so the mouse to
 *     the other hand, a raised laptop screen, the car seat and mirrors come
 *     first where the KB lists them first), after the release aimed at the muscle it keeps short while
 *     that muscle is likely (at least a fifth of the leader); for a
 *     muscle, the work aimed at that muscle, then the fix of the habit that
 *     keeps it short;
 *  3. the next causes' own steps, fewer each.
 * Work on the sore spot itself (works_on = sore_spot) is used only for a
 * muscle that is tight right where it hurts and leads (or comes within
 * KF_PLAN_SORE_NEAR of the leader): otherwise it only chases the symptom.
 * A step that is not_for this person is left out, named in r->omitted with
 * its reason, and replaced by its `instead` when that suits.
 */
#include "plan.h"

#include <string.h>

/* A sore-spot muscle "leads" when its score is at least this share of the
 * leader's. */
#define KF_PLAN_SORE_NEAR 0.8
/* Steps in a plan (besides a doctor step). */
#define KF_PLAN_STEPS 8

static bool has(const kf_kb *kb, const kf_findings *f, const char *id)
{
    int fd = kf_kb_finding(kb, id);
    return fd >= 0 && kf_findings_has(f, fd);
}

/* Present and said by the person (the words, the map, an answer), not only
 * learnt from the journal's check-ins: relief that faded after a step is
 * the knot coming back, but it does not make a fresh spasm an old one. */
static bool said(const kf_kb *kb, const kf_findings *f, const char *id)
{
    int fd = kf_kb_finding(kb, id);
    const kf_fact *x = fd >= 0 ? kf_findings_get(f, fd) : NULL;
    return x && x->state == KF_PRESENT && x->origin != KF_FROM_JOURNAL;
}

/* Learnt from the journal: relief after a step aimed at a cause faded
 * within hours (journal.c adds knot_recurring then). */
static bool journal_short(const kf_kb *kb, const kf_findings *f)
{
    int fd = kf_kb_finding(kb, "knot_recurring");
    const kf_fact *x = fd >= 0 ? kf_findings_get(f, fd) : NULL;
    return x && x->state == KF_PRESENT && x->origin == KF_FROM_JOURNAL;
}

unsigned kf_plan_person(const kf_kb *kb, const kf_findings *f)
{
    unsigned m = 0;
    /* Steroid tablets taken for months thin the bones (glucocorticoid-
     * induced osteoporosis: NICE CKS, osteoporosis - prevention of fragility
     * fractures, 2023; the same red-flag list as thin bones, NICE CKS back
     * pain), so they count as thin bones for the plan too. */
    if (has(kb, f, "osteoporosis") || has(kb, f, "long_steroids") || (f->age >= kb->old_age))
        m |= 1u << KF_PERSON_THIN_BONES;
    /* In the weeks after a birth: the body is still healing (a caesarean is
     * an operation), and the strengthening waits for the postnatal check
     * (NHS, your post-pregnancy body, 2023; "keeping fit and healthy with a
     * baby"). */
    if (has(kb, f, "recent_childbirth"))
        m |= 1u << KF_PERSON_POSTPARTUM;
    /* Pregnant with the weeks unknown: the cautious reading is "late". */
    if (has(kb, f, "pregnant") &&
        (f->weeks_pregnant < 0 || f->weeks_pregnant >= kb->late_pregnancy_weeks))
        m |= 1u << KF_PERSON_LATE_PREGNANCY;
    /* A spasm that came on suddenly (a sneeze, a sudden lock) and is new:
     * within kb->acute_days, or with no time given and nothing saying it is
     * old or keeps coming back. */
    if (has(kb, f, "sudden_onset") && !has(kb, f, "chronic") &&
        (f->duration_days >= 0 ? f->duration_days <= kb->acute_days
                               : !said(kb, f, "knot_recurring")))
        m |= 1u << KF_PERSON_ACUTE_SPASM;
    /* A neck locked or held twisted (torticollis) is a muscle in spasm
     * whatever started it, and a spasm cannot be stretched (the therapist's
     * reply to a reader with torticollis, 001_c7feafd17eef686f.txt): cold and
     * tiny movements first, while it is new (up to four times acute_days) and
     * not a lasting or returning problem. */
    if (has(kb, f, "stiff_neck") && !has(kb, f, "chronic") && !said(kb, f, "knot_recurring") &&
        (f->duration_days < 0 || f->duration_days <= 4 * kb->acute_days))
        m |= 1u << KF_PERSON_ACUTE_SPASM;
    /* Woken with a neck that will not turn, and new: the same locked
     * muscle said in other words ("woke up and can't turn my head left at
     * all"); gentler care is the safe side when it is only stiff. */
    if (has(kb, f, "woke_with_it") && has(kb, f, "neck_turn_pain") && !has(kb, f, "chronic") &&
        !said(kb, f, "knot_recurring") &&
        (f->duration_days < 0 || f->duration_days <= kb->acute_days))
        m |= 1u << KF_PERSON_ACUTE_SPASM;
    if (has(kb, f, "teen") || (f->age > 0 && f->age < kb->young_age))
        m |= 1u << KF_PERSON_TEEN;
    if (has(kb, f, "recent_surgery"))
        m |= 1u << KF_PERSON_RECENT_SURGERY;
    /* Someone must do the lat pinch (the therapist asks the reader to "ask
     * someone ... to grab and squeeze", 003, 004): a person who said there
     * is no one to help gets the version done alone. */
    if (has(kb, f, "no_helper"))
        m |= 1u << KF_PERSON_NO_HELPER;
    /* Trains with weights: "the back needs more strengthening to keep
     * things in balance", the therapist's answer to a young lifter's knots
     * under both blades, whatever muscle knots (003_8a9c84e9d3df908b.txt). */
    if (has(kb, f, "lifts_weights"))
        m |= 1u << KF_PERSON_LIFTER;
    if (has(kb, f, "fall_or_blow") &&
        (f->duration_days < 0 || f->duration_days <= kb->acute_days * 2))
        m |= 1u << KF_PERSON_FRESH_INJURY;
    return m;
}

typedef struct {
    const kf_kb *kb;
    kf_result   *r;
    int          heat, cold;
    bool         worse_heat, worse_cold;
    /* no step that needs another first (the release aimed at the muscle a
     * leading habit keeps short: one step, so the habit's own fix stays
     * among the first ones) */
    bool         solo;
} ctx;

static int plan_index(const kf_result *r, int tech)
{
    for (int i = 0; i < r->n_plan; i++)
        if (r->plan[i].technique == tech)
            return i;
    return -1;
}

static void omit(kf_result *r, int tech, kf_person p, int instead)
{
    for (int i = 0; i < r->n_omitted; i++)
        if (r->omitted[i].technique == tech)
            return;
    if (r->n_omitted < KF_OMIT_ROOM)
        r->omitted[r->n_omitted++] = (kf_omit){ tech, p, instead };
}

const char *kf_plan_for_you(const kf_kb *kb, const kf_result *r, int tech)
{
    if (tech < 0 || tech >= kb->n_techniques)
        return NULL;
    const kf_technique *t = &kb->techniques[tech];
    unsigned hit = t->gentler & r->person;
    for (int p = 0; p < KF_PERSON_N; p++)
        if (hit & (1u << p))
            return t->gentler_how[p];
    return NULL;
}

/* The first person rule that rules `tech` out, or -1. */
static int ruled_out(const kf_kb *kb, const kf_result *r, int tech)
{
    unsigned hit = kb->techniques[tech].not_for & r->person;
    for (int p = 0; p < KF_PERSON_N; p++)
        if (hit & (1u << p))
            return p;
    return -1;
}

static bool when_ok(const kf_kb *kb, const kf_result *r, int tech);

/* Every one of a[0..na) is among b[0..nb). */
static bool all_in(const int *a, int na, const int *b, int nb)
{
    for (int i = 0; i < na; i++) {
        bool in = false;
        for (int k = 0; k < nb && !in; k++)
            in = b[k] == a[i];
        if (!in)
            return false;
    }
    return true;
}

/* Whether `tech`, aimed at `cause`, needs a helper this person does not
 * have: a technique with a helper_at list (the tender-point hold, done with
 * one's own fingertips) aimed at a muscle that lies only in those regions
 * (between and below the shoulder blades: "you may have to ask someone to
 * help you find them if you can't quite reach them all",
 * 001_c7feafd17eef686f.txt), for a person who said there is no one to help.
 * Only when its `instead` (a ball against the wall: done alone) suits. */
static bool needs_helper(const kf_kb *kb, const kf_result *r, int tech, int cause)
{
    const kf_technique *t = &kb->techniques[tech];
    if (!t->n_helper_at || !(r->person & (1u << KF_PERSON_NO_HELPER)) || cause < 0 ||
        t->instead < 0 || ruled_out(kb, r, t->instead) >= 0)
        return false;
    const kf_cause *c = &kb->causes[cause];
    if (c->kind != KF_CAUSE_MUSCLE || !c->n_where)
        return false;
    return all_in(c->where, c->n_where, t->helper_at, t->n_helper_at);
}

/* Whether a cause has a side of its own: a muscle (the right levator), or a
 * habit done on one side, one that reports a sided habit finding (sleeping
 * on one side, carrying on one hip, the mousing hand).  Sitting, a posture,
 * the body's state have none: the side of the pain they cause is the
 * muscle's, not theirs ("too much sitting, right side" says nothing). */
bool kf_cause_sided(const kf_kb *kb, int cause)
{
    if (cause < 0)
        return false;
    const kf_cause *c = &kb->causes[cause];
    if (c->kind == KF_CAUSE_MUSCLE)
        return true;
    if (c->kind != KF_CAUSE_HABIT)
        return false;
    for (int l = 0; l < c->n_links; l++) {
        const kf_link *ln = &kb->links[c->links[l]];
        const kf_finding_def *fd = &kb->findings[ln->finding];
        if (ln->mech == KF_MECH_REPORTS && fd->sided && fd->kind == KF_FIND_HABIT)
            return true;
    }
    return false;
}

/* The side a step carries: the side of the cause it serves when that cause
 * has one, and not for a change of habit or setup done for a muscle (the
 * desk is set up the same whichever side hurts) nor for a doctor's visit. */
static kf_side step_side(const kf_kb *kb, int tech, int cause, kf_side side)
{
    kf_tech_kind k = kb->techniques[tech].kind;
    if (k == KF_TECH_DOCTOR || !kf_cause_sided(kb, cause))
        return KF_SIDE_NONE;
    if (k == KF_TECH_HABIT && kb->causes[cause].kind == KF_CAUSE_MUSCLE)
        return KF_SIDE_NONE;
    /* a change also made for a cause with no side (the desk set up for the
     * mousing hand as for long sitting) is one for both sides */
    if (k == KF_TECH_HABIT)
        for (int c = 0; c < kb->n_causes; c++) {
            if (kb->causes[c].kind == KF_CAUSE_MUSCLE || kb->causes[c].kind == KF_CAUSE_MIMIC ||
                kf_cause_sided(kb, c))
                continue;
            for (int i = 0; i < kb->causes[c].n_treat; i++)
                if (kb->causes[c].treat[i] == tech)
                    return KF_SIDE_NONE;
        }
    return side;
}

/* Adds a step unless it is there already (then the sides merge), ruled out
 * for this person (then its `instead`, once), or swapped for heat/cold. */
/* What a step that leads for this person (first_for) is for: the first of
 * the causes it works on, the one the KB names it for (the back strengthening that leads for a
 * lifter is for a back weaker than the front, "the back needs more
 * strengthening to keep things in balance", 003_8a9c84e9d3df908b.txt, not
 * for whichever muscle leads); the leading cause when it names none (cold
 * and tiny movements for the muscle in spasm). */
static int first_for_cause(const kf_kb *kb, const kf_result *r, int tech, int lead)
{
    const kf_technique *t = &kb->techniques[tech];
    (void)r;
    for (int w = 0; w < t->n_works_on; w++)
        if (t->works_on[w] >= 0 && t->works_on[w] < kb->n_causes)
            return t->works_on[w];
    return lead;
}

static bool add(ctx *x, int tech, int cause, kf_side side)
{
    const kf_kb *kb = x->kb;
    kf_result *r = x->r;
    if (tech < 0 || r->n_plan >= KF_PLAN_ROOM - 1)
        return false;
    if ((x->worse_heat && tech == x->heat) || (x->worse_cold && tech == x->cold))
        return false;
    int at = plan_index(r, tech);
    if (at >= 0) {
        r->plan[at].side |= step_side(kb, tech, r->plan[at].cause, side);
        return false;
    }
    int p = ruled_out(kb, r, tech);
    bool ball = false;                   /* a ball on the spot is in the plan already */
    if (p < 0 && needs_helper(kb, r, tech, cause)) {
        p = KF_PERSON_NO_HELPER;
        for (int i = 0; i < r->n_plan && !ball; i++)
            ball = kb->techniques[r->plan[i].technique].sore_spot &&
                   kb->techniques[r->plan[i].technique].kind == KF_TECH_RELEASE;
    }
    if (p >= 0) {
        int ins = kb->techniques[tech].instead;
        if (ball || (ins >= 0 && ruled_out(kb, r, ins) >= 0))
            ins = -1;
        omit(r, tech, (kf_person)p, ins);
        if (ins >= 0 && plan_index(r, ins) < 0) {
            r->plan[r->n_plan++] = (kf_step){ ins, cause, step_side(kb, ins, cause, side), 0 };
            return true;
        }
        return false;
    }
    /* A stretch or release of a muscle that another lies over (the SCM over
     * the scalenes: release_first) comes with the release of that one just
     * before it, or not at all when that release is not for this person. */
    int pre = -1;
    const kf_technique *tq = &kb->techniques[tech];
    if (cause >= 0 && kb->causes[cause].kind == KF_CAUSE_MUSCLE &&
        (tq->kind == KF_TECH_STRETCH || tq->kind == KF_TECH_RELEASE)) {
        const kf_cause *c = &kb->causes[cause];
        for (int i = 0; i < c->n_release_first && pre < 0; i++) {
            const kf_cause *m = &kb->causes[c->release_first[i]];
            for (int j = 0; j < m->n_treat && pre < 0; j++) {
                int t = m->treat[j];
                if (kb->techniques[t].kind == KF_TECH_RELEASE && t != tech &&
                    !kb->techniques[t].sore_spot && when_ok(kb, r, t))
                    pre = t;
            }
        }
    }
    if (pre >= 0 && x->solo && plan_index(r, pre) < 0)
        return false;
    if (pre >= 0) {
        int pp = ruled_out(kb, r, pre);
        if (pp >= 0) {
            /* its prerequisite is left out for this person, so is it: the
             * prerequisite is the one said to be left out, with its reason */
            omit(r, pre, (kf_person)pp, -1);
            return false;
        }
        if (plan_index(r, pre) < 0) {
            if (r->n_plan >= KF_PLAN_ROOM - 2)
                return false;
            r->plan[r->n_plan++] = (kf_step){ pre, cause, step_side(kb, pre, cause, side), 0 };
        }
    }
    r->plan[r->n_plan++] = (kf_step){ tech, cause, step_side(kb, tech, cause, side), pre + 1 };
    /* left out for one cause (needs_helper), in the plan for another: not
     * left out after all */
    for (int i = 0; i < r->n_omitted; i++)
        if (r->omitted[i].technique == tech) {
            memmove(&r->omitted[i], &r->omitted[i + 1],
                    (size_t)(r->n_omitted - i - 1) * sizeof *r->omitted);
            r->n_omitted--;
            break;
        }
    return true;
}

/* Whether a `when` technique applies: one of its findings was reported. */
static bool when_ok(const kf_kb *kb, const kf_result *r, int tech)
{
    const kf_technique *t = &kb->techniques[tech];
    if (!t->n_when)
        return true;
    for (int i = 0; i < t->n_when; i++)
        if (kf_findings_has(&r->findings, t->when[i]))
            return true;
    return false;
}

/* A muscle tight right where it hurts: a local link to a reported place. */
static bool local_muscle(const kf_kb *kb, const kf_result *r, int cause)
{
    const kf_cause *c = &kb->causes[cause];
    if (c->kind != KF_CAUSE_MUSCLE)
        return false;
    for (int l = 0; l < c->n_links; l++) {
        const kf_link *ln = &kb->links[c->links[l]];
        if (ln->mech == KF_MECH_LOCAL && kf_findings_has(&r->findings, ln->finding))
            return true;
    }
    return false;
}

/* A muscle that lies under the place that hurts, for work on the sore spot
 * itself: tight right there (local_muscle), or producing a reported pain in
 * a region where the muscle itself lies (its `where`).  The quadratus
 * lumborum's ache over the low back is "referred" in Travell & Simons' word,
 * but the ball goes on that same spot: the therapist's tennis balls along the
 * muscles beside the lower spine and on the buttocks
 * (001_c7feafd17eef686f.txt).  Which muscle a habit keeps short and pulls
 * from elsewhere is still judged by local_muscle alone. */
static bool under_sore_spot(const kf_kb *kb, const kf_result *r, int cause)
{
    if (local_muscle(kb, r, cause))
        return true;
    const kf_cause *c = &kb->causes[cause];
    if (c->kind != KF_CAUSE_MUSCLE)
        return false;
    for (int l = 0; l < c->n_links; l++) {
        const kf_link *ln = &kb->links[c->links[l]];
        int reg = kb->findings[ln->finding].region;
        if (reg < 0 || ln->mech != KF_MECH_REFERS || !kf_findings_has(&r->findings, ln->finding))
            continue;
        for (int w = 0; w < c->n_where; w++)
            if (c->where[w] == reg)
                return true;
    }
    return false;
}

static double score_of(const kf_result *r, int cause)
{
    for (int i = 0; i < r->n_causes; i++)
        if (r->causes[i].cause == cause)
            return r->causes[i].p;
    return 0;
}

static bool usable(const kf_kb *kb, const kf_result *r, int tech, bool sore_ok)
{
    const kf_technique *t = &kb->techniques[tech];
    if (t->kind == KF_TECH_DOCTOR)
        return false;
    if (t->sore_spot && !sore_ok)
        return false;
    return when_ok(kb, r, tech);
}

/* Up to `quota` of a cause's own techniques in the KB's order (most useful
 * first), kinds in `kinds` (bit per kf_tech_kind; 0 = any); a `when`
 * technique only when its finding was reported. */
static int take(ctx *x, int cause, kf_side side, int quota, unsigned kinds, bool sore_ok)
{
    const kf_kb *kb = x->kb;
    const kf_cause *c = &kb->causes[cause];
    int took = 0;
    for (int i = 0; i < c->n_treat && took < quota; i++) {
        int t = c->treat[i];
        const kf_technique *tq = &kb->techniques[t];
        if (kinds && !(kinds & (1u << tq->kind)))
            continue;
        if (!usable(kb, x->r, t, sore_ok))
            continue;
        if (plan_index(x->r, t) >= 0) {
            add(x, t, cause, side);       /* merges the side */
            continue;
        }
        took += add(x, t, cause, side);
    }
    return took;
}

#define AIMED ((1u << KF_TECH_RELEASE) | (1u << KF_TECH_STRETCH))

static bool ruled_out_by_relief(const kf_kb *kb, const kf_result *r, int cause);

/* The muscle a habit keeps short that scores highest now, one that pulls
 * from away from the sore spot before one that is tight right there; never
 * one whose own work brought only short relief at a check-in ("That meant I
 * was wrong about the cause ... we have to try again",
 * 000_8835f21432216678.txt): then the next suspect is looked for. */
static int kept_muscle(const kf_kb *kb, const kf_result *r, int habit)
{
    const kf_cause *h = &kb->causes[habit];
    int best = -1;
    double bp = -1;
    for (int i = 0; i < h->n_keeps; i++) {
        if (ruled_out_by_relief(kb, r, h->keeps[i]))
            continue;
        double p = score_of(r, h->keeps[i]) + (local_muscle(kb, r, h->keeps[i]) ? 0 : 1);
        if (p > bp) {
            bp = p;
            best = h->keeps[i];
        }
    }
    return best;
}

/* When the muscles a leading habit keeps short have been ruled out (their
 * work brought only short relief), the therapist's next suspect: the likeliest
 * muscle that pulls on or refers to the place that hurts from elsewhere, at
 * least KF_PLAN_SUSPECT_MIN likely, that no check-in has ruled out.  -1 when
 * none (or out of memory). */
#define KF_PLAN_SUSPECT_MIN 0.05

static bool ruled_out_by_relief(const kf_kb *kb, const kf_result *r, int cause)
{
    for (int i = 0; i < r->findings.n; i++) {
        const kf_fact *x = &r->findings.v[i];
        if (x->state != KF_ABSENT || kb->findings[x->finding].kind != KF_FIND_FOLLOWUP)
            continue;
        const kf_cause *c = &kb->causes[cause];
        for (int l = 0; l < c->n_links; l++)
            if (kb->links[c->links[l]].finding == x->finding)
                return true;
    }
    return false;
}

static int next_suspect(const kf_kb *kb, const kf_result *r, double said_min)
{
    bool tried = false;
    for (int i = 0; i < r->findings.n && !tried; i++)
        tried = r->findings.v[i].state == KF_ABSENT &&
                kb->findings[r->findings.v[i].finding].kind == KF_FIND_FOLLOWUP;
    /* Said in the first words ("the massage helps for two hours, then it is
     * back"): the same clue, before any check-in.  The therapist's answer to
     * it is the muscle that pulls from elsewhere (the lat, 003, 004), so it
     * must be a real contender: at least said_min. */
    double min = KF_PLAN_SUSPECT_MIN;
    if (!tried && has(kb, &r->findings, "relief_short")) {
        tried = true;
        min = said_min > min ? said_min : min;
    }
    if (!tried)
        return -1;
    /* the consultation's own posterior, not a second computation */
    const double *post = r->post;
    if (!post)
        return -1;
    int best = -1;
    for (int c = 0; c < kb->n_causes; c++) {
        if (kb->causes[c].kind != KF_CAUSE_MUSCLE || post[c] < min ||
            local_muscle(kb, r, c) || ruled_out_by_relief(kb, r, c))
            continue;
        bool reaches = false;
        const kf_cause *cc = &kb->causes[c];
        for (int l = 0; l < cc->n_links && !reaches; l++) {
            const kf_link *ln = &kb->links[cc->links[l]];
            reaches = (ln->mech == KF_MECH_PULLS || ln->mech == KF_MECH_REFERS) &&
                      kb->findings[ln->finding].region >= 0 &&
                      kf_findings_has(&r->findings, ln->finding);
        }
        if (reaches && (best < 0 || post[c] > post[best]))
            best = c;
    }
    return best;
}

/* A habit or body cause the person said they have (one of its `reports`
 * findings of strength `often` or more is present, as for kf_ranked.kept_by)
 * among the ranked causes, at least `min_p` likely: the likeliest, or -1.
 * The therapist answers the habit a reader names ("if you are spending more
 * time strengthening your pecs and biceps than your back...",
 * 003_8a9c84e9d3df908b.txt; "switch to the other hand for video games",
 * 004_0c58c8d9993c8630.txt), so a leading muscle that no said habit keeps
 * short still has the said habit's own fix among its first steps.  `not`
 * (or -1), the said habit that leads, is left out, and then only the
 * activities (not postures) among the top 5 causes are looked at: a habit
 * that leads is not its own second habit, so a child held on one hip while
 * cooking keeps the carrying fix beside the fix for the hands out in front
 * (before, the leading habit was found as the said one and no other habit's
 * fix was given), while a posture (the result of the habits,
 * 004_0c58c8d9993c8630.txt) or a habit far down the list does not displace
 * the lead's own second step. */
/* A second said habit, beside a said habit that leads, at least this share
 * of it: named with it, not an afterthought. */
#define KF_PLAN_SECOND_HABIT 0.3

static int said_habit(const kf_kb *kb, const kf_result *r, double min_p, int not)
{
    int best = -1;
    double bp = min_p;
    for (int i = 0; i < r->n_causes && (not < 0 || i < 5); i++) {
        const kf_cause *c = &kb->causes[r->causes[i].cause];
        if (c->kind == KF_CAUSE_MUSCLE || c->kind == KF_CAUSE_MIMIC || r->causes[i].p < bp ||
            r->causes[i].cause == not || (not >= 0 && c->posture))
            continue;
        if (kf_cause_reported(kb, &r->findings, r->causes[i].cause)) {
            best = r->causes[i].cause;
            bp = r->causes[i].p;
        }
    }
    return best;
}

/* A lifter's back strengthening leads the plan (first_for = lifter), but
 * not ahead of the work aimed at a leading muscle it does not work on: the
 * therapist's answer to a man who lifts weights, with a knot by the blade
 * that never goes, is the rib muscles under the arm first ("it's not where
 * it hurts ... serratus anterior", 001_c7feafd17eef686f.txt), and to the
 * young lifter it is the muscles under the blades, then "the back needs
 * more strengthening" (003_8a9c84e9d3df908b.txt); to a gym-goer with a
 * head held forward, the gentle head press (003).  The leading cause's
 * first aimed step (a release, stretch or exercise) moves to the front; the
 * strengthening follows it.  Not when something else leads for the
 * person (a fresh spasm, a fresh injury). */
static void lifter_second(const kf_kb *kb, kf_result *r, int lead)
{
    if (!(r->person & (1u << KF_PERSON_LIFTER)) || r->n_plan < 2 || lead < 0 ||
        kb->causes[lead].kind == KF_CAUSE_MIMIC)
        return;
    const kf_technique *t0 = &kb->techniques[r->plan[0].technique];
    if (!(t0->first_for & (1u << KF_PERSON_LIFTER)) || (t0->first_for & r->person & ~(1u << KF_PERSON_LIFTER)))
        return;
    for (int w = 0; w < t0->n_works_on; w++)
        if (t0->works_on[w] == lead)
            return;
    for (int k = 1; k < r->n_plan; k++) {
        const kf_technique *tk = &kb->techniques[r->plan[k].technique];
        if (r->plan[k].cause != lead || r->plan[k].after1 ||
            (tk->kind != KF_TECH_RELEASE && tk->kind != KF_TECH_STRETCH &&
             tk->kind != KF_TECH_STRENGTHEN))
            continue;
        kf_step st = r->plan[k];
        memmove(&r->plan[1], &r->plan[0], (size_t)k * sizeof r->plan[0]);
        r->plan[0] = st;
        return;
    }
}

void kf_plan_build(const kf_kb *kb, kf_result *r)
{
    int see = kf_kb_technique(kb, "see_doctor");
    r->person = kf_plan_person(kb, &r->findings);
    r->n_omitted = 0;
    r->n_first = 0;
    ctx x = { .kb = kb, .r = r,
              .heat = kf_kb_technique(kb, "heat_front"),
              .cold = kf_kb_technique(kb, "cold_therapy") };
    if (r->triage >= KF_TRIAGE_SOON) {
        int mimic = -1;
        if (r->n_flags)
            mimic = kb->redflags[r->flags[0]].mimic;
        /* a likelier cause that needs a doctor leads the causes (engine.c,
         * kf_result.also): the visit is for it */
        if (r->also >= 0)
            mimic = r->also;
        if (see >= 0)
            r->plan[r->n_plan++] = (kf_step){ see, mimic, KF_SIDE_NONE, 0 };
        goto first;
    }
    int fh = kf_kb_finding(kb, "worse_after_heat"), fc = kf_kb_finding(kb, "worse_after_cold");
    x.worse_heat = fh >= 0 && kf_findings_has(&r->findings, fh);
    x.worse_cold = fc >= 0 && kf_findings_has(&r->findings, fc);

    int lead_i = -1;
    for (int i = 0; i < r->n_causes; i++)
        if (kb->causes[r->causes[i].cause].kind != KF_CAUSE_MIMIC) {
            lead_i = i;
            break;
        }
    int lead = lead_i >= 0 ? r->causes[lead_i].cause : -1;
    double lead_p = lead_i >= 0 ? r->causes[lead_i].p : 0;
    kf_side lead_side = lead_i >= 0 ? r->causes[lead_i].side : KF_SIDE_NONE;

    /* 1. What leads for this person. */
    for (int t = 0; t < kb->n_techniques; t++)
        if (kb->techniques[t].first_for & r->person)
            add(&x, t, first_for_cause(kb, r, t, lead), KF_SIDE_NONE);
    /* Heat/cold swapped after a bad experience. */
    if (x.worse_heat)
        add(&x, x.cold, lead, KF_SIDE_NONE);
    if (x.worse_cold)
        add(&x, x.heat, lead, KF_SIDE_NONE);

    /* The muscle that leads among the muscles: work on the sore spot is for
     * it (and for one close behind it) only when it is tight right there. */
    int top_m = -1;
    double top_mp = 0;
    for (int i = 0; i < r->n_causes && top_m < 0; i++)
        if (kb->causes[r->causes[i].cause].kind == KF_CAUSE_MUSCLE) {
            top_m = r->causes[i].cause;
            top_mp = r->causes[i].p;
        }
    /* The sore spot is worth working on when a muscle tight right there
     * leads among the muscles or comes within KF_PLAN_SORE_NEAR of the one
     * that does (the rhomboids close behind a levator that only refers pain
     * there): the header's rule, not only when the very first muscle is. */
    bool sore_leads = false;
    /* Relief that fades within hours after work on the sore spot says that
     * work reached the symptom, not the cause ("they are just chasing
     * symptoms", 003_8a9c84e9d3df908b.txt): no more of it. */
    bool chased = has(kb, &r->findings, "relief_short") ||
                  journal_short(kb, &r->findings);
    for (int i = 0; i < r->n_causes && top_m >= 0 && !sore_leads && !chased; i++)
        sore_leads = kb->causes[r->causes[i].cause].kind == KF_CAUSE_MUSCLE &&
                     r->causes[i].p >= KF_PLAN_SORE_NEAR * top_mp &&
                     under_sore_spot(kb, r, r->causes[i].cause);

    /* 2. The leading cause's own fix. */
    if (lead >= 0) {
        const kf_cause *c = &kb->causes[lead];
        if (c->kind == KF_CAUSE_MUSCLE) {
            /* Kept short by a habit: the aimed work, then the habit's fix. */
            int kb_by = r->causes[lead_i].kept_by;
            if (kb_by < 0)
                kb_by = said_habit(kb, r, 0.2 * lead_p, -1);
            take(&x, lead, lead_side, kb_by >= 0 ? 1 : 2, AIMED, sore_leads);
            if (kb_by >= 0)
                take(&x, kb_by, lead_side, 1, 0, false);
            take(&x, lead, lead_side, kb_by >= 0 ? 2 : 1, 0, sore_leads);
        } else {
            /* The release aimed at the muscle it keeps short (the lat for the
             * mouse), while that muscle is still likely; then the habit's own
             * change (its first technique, a `when` one before the rest). */
            /* Not while a muscle right where it hurts is about as likely
             * (sore_leads): side sleeping over-stretches the muscles between
             * blade and spine, which are the knot, and the therapist puts a
             * tennis ball on it (000_8835f21432216678.txt); the habit's own
             * change and the work on the spot come first then.  A kept
             * muscle that itself lies under the spot (the quadratus
             * lumborum over the low back) keeps its place.  A body state
             * (pregnancy, a weak back) is met with posture and strength
             * first: "the important thing is to adjust your posture"
             * (003_8a9c84e9d3df908b.txt, to a reader 16 weeks pregnant). */
            int m = kept_muscle(kb, r, lead);
            x.solo = true;
            if (m >= 0 && score_of(r, m) >= 0.2 * lead_p && !local_muscle(kb, r, m) &&
                !(sore_leads && !under_sore_spot(kb, r, m)) && c->kind != KF_CAUSE_BODY)
                take(&x, m, lead_side, 1, AIMED, false);
            else if ((m = next_suspect(kb, r, 0.2 * lead_p)) >= 0)
                take(&x, m, lead_side, 1, AIMED, false);
            x.solo = false;
            take(&x, lead, lead_side, 1, 0, false);
            /* A posture that leads while the person named a habit (rounded
             * shoulders on a laptop): the named habit's fix comes next, as
             * for a leading muscle above. */
            bool lead_said = kf_cause_reported(kb, &r->findings, lead);
            int sh = lead_said ? said_habit(kb, r, KF_PLAN_SECOND_HABIT * lead_p, lead)
                               : said_habit(kb, r, 0.2 * lead_p, -1);
            bool other = sh >= 0 && sh != lead;
            /* beside a said habit that leads, the other habit's own change
             * of what is done (the carrying moved to a trolley or the
             * other hip), not a release the lead's steps may already hold */
            int got = other ? take(&x, sh, lead_side, 1, lead_said ? 1u << KF_TECH_HABIT : 0, false) : 0;
            take(&x, lead, lead_side, got ? 1 : 2, 0, sore_leads);
        }
    }
    /* 3. The next causes: two steps each, the first of their own list. */
    int used = 1;
    for (int i = 0; i < r->n_causes && used < 3 && r->n_plan < KF_PLAN_STEPS; i++) {
        const kf_ranked *rk = &r->causes[i];
        if (rk->cause == lead)
            continue;
        const kf_cause *c = &kb->causes[rk->cause];
        if (c->kind == KF_CAUSE_MIMIC || rk->p < 0.2 * lead_p)
            continue;
        bool sore_ok = under_sore_spot(kb, r, rk->cause) &&
                       (rk->cause == top_m || rk->p >= KF_PLAN_SORE_NEAR * top_mp) &&
                       sore_leads;
        take(&x, rk->cause, rk->side, 2, 0, sore_ok);
        used++;
    }
    if (r->n_plan > KF_PLAN_STEPS)
        r->n_plan = KF_PLAN_STEPS;
    if (r->triage == KF_TRIAGE_MENTION && see >= 0 && plan_index(r, see) < 0)
        r->plan[r->n_plan++] = (kf_step){ see, -1, KF_SIDE_NONE, 0 };
    lifter_second(kb, r, lead);
first:
    kf_plan_first(kb, r);
}

/* Whether technique b is another way of doing a: both stretches (or both
 * releases) and every muscle b works on is one a works on too.  Habit
 * changes for one habit are different things to do (a raised laptop and
 * looking down with the eyes), so never the same work. */
static bool same_work(const kf_kb *kb, int a, int b)
{
    const kf_technique *ta = &kb->techniques[a], *tb = &kb->techniques[b];
    if (a == b || ta->kind != tb->kind || !tb->n_works_on || tb->sore_spot ||
        (tb->kind != KF_TECH_STRETCH && tb->kind != KF_TECH_RELEASE))
        return false;
    return all_in(tb->works_on, tb->n_works_on, ta->works_on, ta->n_works_on);
}

void kf_plan_first(const kf_kb *kb, kf_result *r)
{
    /* A step whose prerequisite is no longer before it leaves the plan. */
    int k = 0;
    for (int i = 0; i < r->n_plan; i++) {
        int need = r->plan[i].after1 - 1;
        if (need >= 0 && plan_index(r, need) < 0)
            continue;
        if (need >= 0) {
            bool before = false;
            for (int j = 0; j < k; j++)
                before |= r->plan[j].technique == need;
            if (!before)
                continue;
        }
        r->plan[k++] = r->plan[i];
    }
    r->n_plan = k;
    /* The first steps: the plan's first three self-care steps (the triage
     * line already says when to mention it to a doctor); the doctor step
     * alone when the triage sends the person to one.  A prerequisite is
     * taken only with room for the step that needs it, and that step only
     * after its prerequisite. */
    r->n_first = 0;
    for (int i = 0; i < r->n_plan && r->n_first < 3; i++) {
        const kf_step *s = &r->plan[i];
        if (r->triage < KF_TRIAGE_SOON && kb->techniques[s->technique].kind == KF_TECH_DOCTOR)
            continue;
        int need = s->after1 - 1;
        if (need >= 0) {
            bool chosen = false;
            for (int j = 0; j < r->n_first; j++)
                chosen |= r->plan[r->first[j]].technique == need;
            if (!chosen)
                continue;
        }
        bool is_pre = false;
        for (int j = i + 1; j < r->n_plan && !is_pre; j++)
            is_pre = r->plan[j].after1 - 1 == s->technique;
        if (is_pre && r->n_first == 2)
            continue;
        /* another way of doing a first step already chosen (the swim-noodle
         * chest opener after the doorway stretch) waits in the full plan:
         * the first steps are different things to do */
        bool again = false;
        for (int j = 0; j < r->n_first && !again; j++)
            again = same_work(kb, r->plan[r->first[j]].technique, s->technique);
        if (again && i + 1 < r->n_plan)
            continue;
        r->first[r->n_first++] = i;
    }
}

/* The muscles to ask a massage therapist for: the ranked muscles, and the
 * first two a leading habit keeps short; never one whose own work brought
 * only short relief at a check-in (ruled_out_by_relief): the therapist's
 * "I was wrong about the cause" holds for the therapist's hands too. */
void kf_plan_massage(const kf_kb *kb, kf_result *r)
{
    for (int i = 0; i < r->n_causes && r->n_massage < 6; i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        if (c->kind == KF_CAUSE_MUSCLE && ruled_out_by_relief(kb, r, rk->cause))
            continue;
        if (c->kind == KF_CAUSE_MUSCLE) {
            bool dup = false;
            for (int k = 0; k < r->n_massage; k++)
                dup |= r->massage[k] == rk->cause;
            if (!dup) {
                r->massage_side[r->n_massage] = rk->side;
                r->massage[r->n_massage++] = rk->cause;
            }
        } else if (c->kind != KF_CAUSE_MIMIC && i < 3) {
            for (int j = 0, taken = 0; j < c->n_keeps && taken < 2 && r->n_massage < 6; j++) {
                if (ruled_out_by_relief(kb, r, c->keeps[j]))
                    continue;
                taken++;
                bool dup = false;
                for (int k = 0; k < r->n_massage; k++)
                    dup |= r->massage[k] == c->keeps[j];
                if (!dup) {
                    r->massage_side[r->n_massage] = rk->side;
                    r->massage[r->n_massage++] = c->keeps[j];
                }
            }
        }
    }
}

void kf_plan_sides(const kf_kb *kb, kf_result *r)
{
    for (int i = 0; i < r->n_causes; i++) {
        kf_cause_kind k = kb->causes[r->causes[i].cause].kind;
        if ((k == KF_CAUSE_HABIT || k == KF_CAUSE_BODY) && !kf_cause_sided(kb, r->causes[i].cause))
            r->causes[i].side = KF_SIDE_NONE;
    }
}
