/* render.c — the result as terminal text and as JSON; findings from JSON. */
#include "render.h"
#include "plan.h"
#include "triage.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int faded_muscles(const kf_kb *kb, const kf_result *r, int *out, int max);
static void about_revised(const kf_kb *kb, const kf_result *r, const int *faded, int nf,
                          int cause, kf_buf *out);
static const char *why_revised(const kf_kb *kb, const int *faded, int nf, const kf_reason *re,
                               kf_buf *b);

const char *const kf_disclaimer =
    "This is self-help guidance, not a diagnosis. knotfinder is not a doctor: if the pain "
    "is severe, getting worse, or comes with any warning sign, see one.";

/* The red-flag screen's questions under one line of `intro` (when nothing
 * was understood, so nothing could be screened). */
static void screen_list(const kf_kb *kb, const kf_result *r, const char *intro, kf_buf *out,
                        int width)
{
    kf_wrap(out, intro, 2, width, 0);
    for (int i = 0; i < r->n_screen; i++) {
        const kf_finding_def *d = &kb->findings[r->screen[i]];
        /* "- " at column 4, its wrapped lines under the text at column 6 */
        kf_buf_puts(out, "    - ");
        kf_wrap(out, d->question ? d->question : d->label, 6, width, 6);
    }
}

const char *kf_triage_banner(kf_triage t)
{
    switch (t) {
    case KF_TRIAGE_EMERGENCY:
        return "EMERGENCY: call emergency services now (112, 911 or 999). Do not drive "
               "yourself. Self-care can wait.";
    case KF_TRIAGE_SOON:
        return "SEE A DOCTOR in the next few days, before trying self-care on this area.";
    case KF_TRIAGE_MENTION:
        return "Self-care is fine to try, but mention this to your doctor at your next visit.";
    case KF_TRIAGE_UNKNOWN:
        return "COULD NOT SCREEN: nothing in your words was understood, so warning signs could "
               "not be checked. Answer the questions below, or describe where it hurts.";
    default:
        return "No warning signs in what you described, so self-care is reasonable. See a "
               "doctor if anything new or alarming appears.";
    }
}

static kf_when result_when(const kf_kb *kb, const kf_result *r)
{
    return kf_triage_when(kb, r->fired, r->n_fired, r->triage);
}

const char *kf_triage_banner_for(const kf_kb *kb, const kf_result *r)
{
    if (r->triage == KF_TRIAGE_SOON) {
        kf_when w = result_when(kb, r);
        if (w >= KF_WHEN_TODAY)
            return "SEE A DOCTOR today, before trying self-care on this area.";
        if (w == KF_WHEN_DAY)
            return "SEE A DOCTOR today or tomorrow, before trying self-care on this area.";
    }
    return kf_triage_banner(r->triage);
}

/* Whether a rule's `all` names a finding said (not derived) that none of
 * the rules out[0..n) names. */
static bool names_new(const kf_kb *kb, const kf_result *r, const kf_redflag *rf,
                      const int *out, int n)
{
    for (int k = 0; k < rf->n_all; k++) {
        int f = rf->all[k];
        /* said, not an age band that follows from an age */
        if (!kf_findings_has(&r->findings, f) ||
            (kb->findings[f].kind == KF_FIND_BODY && !kb->findings[f].question))
            continue;
        bool named = false;
        for (int i = 0; i < n && !named; i++)
            named = kf_rule_names(&kb->redflags[out[i]], f);
        if (!named)
            return true;
    }
    return false;
}

int kf_triage_shown(const kf_kb *kb, const kf_result *r, int *out, int max)
{
    int n = 0;
    if (!r->n_flags || max <= 0)
        return 0;
    out[n++] = r->flags[0];
    while (n < max) {
        int best = -1, best_spec = -1;
        for (int i = 0; i < r->n_fired; i++) {
            int id = r->fired[i];
            const kf_redflag *rf = &kb->redflags[id];
            bool taken = false;
            for (int k = 0; k < n; k++)
                taken |= out[k] == id;
            if (taken || rf->level != r->triage || !names_new(kb, r, rf, out, n))
                continue;
            /* the soonest first (the headline's timing is then shown), then the most specific */
            int spec = (int)rf->when * 100 + rf->n_all + (rf->n_any > 0);
            if (spec > best_spec) {
                best = id;
                best_spec = spec;
            }
        }
        if (best < 0)
            break;
        out[n++] = best;
    }
    return n;
}

const char *kf_question_text(const kf_kb *kb, const kf_question *q)
{
    switch (q->kind) {
    case KF_Q_WHERE:
        return "Where does it hurt, and what do you do most of the day? Name the places "
               "(or pick them on the body map), in your own words.";
    case KF_Q_SCREEN:
        return "Before anything else, does any of these apply to you now?";
    case KF_Q_CLARIFY:
        return "Which of these is closer to where it hurts?";
    case KF_Q_FINDING:
        return q->finding >= 0 && kb->findings[q->finding].question
                   ? kb->findings[q->finding].question : "";
    default:
        return "";
    }
}

void kf_wrap(kf_buf *b, const char *s, int indent, int width, int col)
{
    if (col == 0)
        for (int i = 0; i < indent; i++)
            kf_buf_add(b, " ", 1), col++;
    const char *p = s;
    bool first = true;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        int wl = (int)(p - w);
        if (!wl)
            break;
        /* count UTF-8 characters for width */
        int chars = 0;
        for (const char *q = w; q < p; q++)
            chars += ((unsigned char)*q & 0xC0) != 0x80;
        if (col > indent && col + 1 + chars > width) {
            kf_buf_add(b, "\n", 1);
            col = 0;
            for (int i = 0; i < indent; i++)
                kf_buf_add(b, " ", 1), col++;
        } else if (col > indent || !first) {
            kf_buf_add(b, " ", 1);
            col++;
        }
        kf_buf_add(b, w, (size_t)wl);
        col += chars;
        first = false;
    }
    kf_buf_add(b, "\n", 1);
}

static void heading(kf_buf *b, const char *h)
{
    kf_buf_printf(b, "\n%s\n", h);
    size_t n = strlen(h);
    for (size_t i = 0; i < n; i++)
        kf_buf_add(b, "-", 1);
    kf_buf_add(b, "\n", 1);
}

/* The words a fact came from, quoted, cleaned of control bytes. */
static void quote_span(kf_buf *b, const char *text, const kf_fact *x)
{
    if (!text || x->start < 0 || x->len <= 0)
        return;
    kf_buf_add(b, "\"", 1);
    int n = x->len > 60 ? 60 : x->len;
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[x->start + i];
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (c >= 0x20 || c >= 0x80)
            kf_buf_add(b, (const char *)&c, 1);
    }
    if (x->len > 60)
        kf_buf_puts(b, "...");
    kf_buf_add(b, "\"", 1);
}

static void side_suffix(kf_buf *b, kf_side s)
{
    if (s == KF_SIDE_BOTH)
        kf_buf_puts(b, " (both sides)");
    else if (s)
        kf_buf_printf(b, " (%s)", kf_side_name(s));
}

static void cap_first(char *s)
{
    if (s && *s)
        *s = (char)toupper((unsigned char)*s);
}

/* What to do if a warning sign a person only asked or worried about turns
 * out to be there: the most urgent level of the rules that name it. */
static kf_triage hypo_level(const kf_kb *kb, int f)
{
    kf_triage best = KF_TRIAGE_SELF_CARE;
    for (int i = 0; i < kb->n_redflags; i++) {
        const kf_redflag *rf = &kb->redflags[i];
        bool named = false;
        for (int k = 0; k < rf->n_all && !named; k++)
            named = rf->all[k] == f;
        for (int k = 0; k < rf->n_any && !named; k++)
            named = rf->any[k] == f;
        if (named && rf->level > best)
            best = rf->level;
    }
    return best;
}

static const char *hypo_advice(kf_triage t)
{
    switch (t) {
    case KF_TRIAGE_EMERGENCY: return "call emergency services now";
    case KF_TRIAGE_SOON:      return "see a doctor in the next day or two";
    case KF_TRIAGE_MENTION:   return "mention it to your doctor";
    default:                  return NULL;
    }
}

const char *kf_hypo_advice(const kf_kb *kb, int f)
{
    return hypo_advice(hypo_level(kb, f));
}

/* One line: the warning signs only asked about, and what to do if they come. */
static void hypo_line(const kf_kb *kb, const kf_findings *f, kf_buf *out, int width)
{
    kf_buf line;
    kf_buf_init(&line);
    kf_triage worst = KF_TRIAGE_SELF_CARE;
    int shown = 0;
    for (int i = 0; i < f->n_hypothetical; i++) {
        kf_triage t = hypo_level(kb, f->hypothetical[i]);
        if (t == KF_TRIAGE_SELF_CARE)
            continue;
        kf_buf_printf(&line, "%s%s", shown ? shown + 1 == f->n_hypothetical ? " or " : ", "
                                           : "- you asked about, not said you have: ",
                      kb->findings[f->hypothetical[i]].label);
        worst = t > worst ? t : worst;
        shown++;
    }
    if (shown) {
        kf_buf_printf(&line, ". If you do have %s, %s.", shown > 1 ? "any of these" : "it",
                      hypo_advice(worst));
        kf_wrap(out, line.s, 2, width, 0);
    }
    kf_buf_free(&line);
}

/* Appends l bytes of s to out (its size n, its length so far *len) as
 * snprintf would write them: cut to what fits, NUL-ended. */
static void cat_cut(char *out, size_t n, size_t *len, const char *s, size_t l)
{
    if (!n)
        return;
    size_t room = n - 1 - *len;
    if (l > room)
        l = room;
    memcpy(out + *len, s, l);
    *len += l;
    out[*len] = '\0';
}

void kf_cause_plain(const kf_kb *kb, int cause, char *out, size_t n)
{
    const kf_cause *c = &kb->causes[cause];
    const char *name = c->name, *open = strchr(name, '(');
    const char *close = open ? strrchr(open, ')') : NULL;
    size_t len = 0;
    if (n)
        out[0] = '\0';
    if (c->kind != KF_CAUSE_MUSCLE || !open || !close || open == name) {
        if (c->kind == KF_CAUSE_MUSCLE && strncmp(name, "the ", 4))
            cat_cut(out, n, &len, "the ", 4);
        cat_cut(out, n, &len, name, strlen(name));
        return;
    }
    int latin = (int)(open - name);
    while (latin > 0 && name[latin - 1] == ' ')
        latin--;
    const char *in = open + 1;
    int inlen = (int)(close - in);
    if (inlen > 4 && !strncmp(in, "the ", 4)) {
        /* drop quotes: the "lat" -> the lat */
        char plain[128];
        int k = 0;
        for (int i = 0; i < inlen && k + 1 < (int)sizeof plain; i++)
            if (in[i] != '"')
                plain[k++] = in[i];
        plain[k] = '\0';
        cat_cut(out, n, &len, plain, (size_t)k);
        cat_cut(out, n, &len, " (", 2);
        cat_cut(out, n, &len, name, (size_t)latin);
        cat_cut(out, n, &len, ")", 1);
    } else {
        cat_cut(out, n, &len, "the ", 4);
        cat_cut(out, n, &len, name, (size_t)latin);
        cat_cut(out, n, &len, " (", 2);
        cat_cut(out, n, &len, in, inlen > 0 ? (size_t)inlen : 0);
        cat_cut(out, n, &len, ")", 1);
    }
}

void kf_technique_short(const kf_kb *kb, int tech, char *out, size_t n)
{
    const kf_technique *t = &kb->techniques[tech];
    const char *open = strstr(t->name, " (");
    int len = open ? (int)(open - t->name) : (int)strlen(t->name);
    /* A name said as an instruction ("Hold the tender points", "Release
     * the side-rib muscles", "Strengthen the back of the body") is quoted
     * like a habit's: "the release the side-rib muscles" is no phrase. */
    const char *sp = strchr(t->name, ' ');
    bool instruction = sp && (!strncmp(sp, " the ", 5) || !strncmp(sp, " up ", 4) ||
                              !strncmp(sp, " with ", 6) || !strncmp(sp, " your ", 6));
    if (t->kind == KF_TECH_HABIT || t->kind == KF_TECH_THERMAL || t->kind == KF_TECH_DOCTOR ||
        instruction) {
        snprintf(out, n, "\"%.*s\"", len, t->name);
        return;
    }
    snprintf(out, n, "the %.*s", len, t->name);
    if (n > 4)
        out[4] = (char)tolower((unsigned char)out[4]);
}

/* A cause that needs a doctor, likelier than the one the leading rule
 * screens for (kf_result.also): said beside the rule's message, with its
 * posterior. */
static void also_line(const kf_kb *kb, const kf_result *r, kf_buf *out, int indent, int width)
{
    if (r->also < 0 || !r->post)
        return;
    char nm[256];
    kf_cause_plain(kb, r->also, nm, sizeof nm);
    kf_buf line;
    kf_buf_init(&line);
    /* The figure is the model's weighting of the words, not the chance of
     * having it: said as a rough weighting, never as a diagnosis. */
    kf_buf_printf(&line, "Of the causes that need a doctor, what you describe fits %s best "
                  "(a rough weighting from your words, %s%.0f%%, not a diagnosis): tell the "
                  "doctor about it.", nm, r->approximate ? "about " : "",
                  100.0 * r->post[r->also]);
    if (kb->causes[r->also].level >= KF_TRIAGE_EMERGENCY)
        kf_buf_puts(&line, " If it comes on at rest, gets quickly worse, or comes with chest "
                    "pressure, a sweat or sickness, call emergency services now.");
    kf_wrap(out, line.s, indent, width, 0);
    kf_buf_free(&line);
}

void kf_render_full(const kf_kb *kb, const kf_result *r, const char *text, kf_buf *out,
                    int width)
{
    if (width <= 0)
        width = 80;
    kf_buf line;
    kf_buf_init(&line);

    /* 1. Triage, always first. */
    const char *bar = r->triage >= KF_TRIAGE_SOON ? "!!" : r->triage == KF_TRIAGE_MENTION ? " !" :
                      r->triage == KF_TRIAGE_UNKNOWN ? " ?" : "  ";
    kf_buf_printf(out, "%s TRIAGE: %s\n", bar, kf_triage_id(r->triage));
    kf_wrap(out, kf_triage_banner_for(kb, r), 3, width, 0);
    int shown[3];
    int n_shown = kf_triage_shown(kb, r, shown, 3);
    for (int i = 0; i < n_shown; i++)
        kf_wrap(out, kb->redflags[shown[i]].message, 5, width, 0);
    also_line(kb, r, out, 5, width);
    if (!r->n_flags && r->triage >= KF_TRIAGE_MENTION && r->n_causes) {
        const kf_cause *c = &kb->causes[r->causes[0].cause];
        kf_buf_printf(&line, "What you describe fits %s better than a muscle knot.", c->name);
        kf_wrap(out, line.s, 5, width, 0);
        line.len = 0;
    }

    /* What was read. */
    if (r->unrecognised) {
        heading(out, "What I understood");
        if (r->n_screen) {
            screen_list(kb, r, "Could not screen for warning signs. Does any of these apply "
                        "to you now?", out, width);
            kf_buf_printf(out, "\n");
        }
        kf_wrap(out, "I could not find anything I recognise in your words, so I will not guess. "
                  "Where does it hurt? For example: \"a knot between my right shoulder blade "
                  "and spine\", \"the top of my left shoulder\", \"under my arm\". Saying what "
                  "you do most of the day (desk, phone, lifting, sleeping on one side) helps too.",
             2, width, 0);
        hypo_line(kb, &r->findings, out, width);
        kf_buf_printf(out, "\n");
        kf_wrap(out, kf_disclaimer, 0, width, 0);
        kf_buf_free(&line);
        return;
    }
    heading(out, "What I understood");
    for (int i = 0; i < r->findings.n; i++) {
        const kf_fact *x = &r->findings.v[i];
        if (x->state == KF_UNSURE)
            continue;
        line.len = 0;
        kf_buf_puts(&line, x->state == KF_ABSENT ? "- not: " : "- ");
        kf_buf_puts(&line, kb->findings[x->finding].label);
        side_suffix(&line, x->side);
        if (x->start >= 0 && text) {
            kf_buf_puts(&line, "  <- ");
            quote_span(&line, text, x);
        }
        if (x->alt >= 0 && x->note == KF_NOTE_SAFER)
            kf_buf_printf(&line, " [read as the warning sign to be safe; it may be: %s]",
                          kb->findings[x->alt].label);
        else if (x->alt >= 0)
            kf_buf_printf(&line, " [or perhaps: %s]", kb->findings[x->alt].label);
        else if (x->note == KF_NOTE_SAFER)   /* a fear said with its symptoms */
            kf_buf_puts(&line, " [you said it as a fear; with the symptoms you describe it is "
                               "read as the warning sign, to be safe]");
        if (x->note == KF_NOTE_GUESS)
            kf_buf_puts(&line, " [your guess]");
        kf_buf_puts(out, "  ");
        kf_wrap(out, line.s, 4, width, 2);
    }
    hypo_line(kb, &r->findings, out, width);
    const kf_findings *f = &r->findings;
    if (f->age >= 0 || f->weeks_pregnant >= 0 || f->duration_days >= 0 || f->dominant) {
        line.len = 0;
        kf_buf_puts(&line, "- numbers:");
        if (f->age >= 0) kf_buf_printf(&line, " age %d;", f->age);
        if (f->weeks_pregnant >= 0) kf_buf_printf(&line, " %d weeks pregnant;", f->weeks_pregnant);
        if (f->duration_days >= 0) kf_buf_printf(&line, " going on for about %d days;", f->duration_days);
        if (f->dominant) kf_buf_printf(&line, " %s-handed;", kf_side_name(f->dominant));
        line.s[line.len - 1] = '\0';
        kf_wrap(out, line.s, 2, width, 0);
    }

    /* 2. Causes. */
    heading(out, "Likely causes");
    int faded[16], nfaded = faded_muscles(kb, r, faded, 16);
    kf_buf wb;
    kf_buf_init(&wb);
    kf_wrap(out, "(Each score is that cause's own chance; more than one cause can be "
            "present, so they do not add up to 100%.)", 2, width, 0);
    for (int i = 0; i < r->n_causes; i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        int pct = (int)(rk->p * 100 + 0.5);
        char barv[11];
        int filled = (pct + 5) / 10;
        for (int k = 0; k < 10; k++)
            barv[k] = k < filled ? '#' : '.';
        barv[10] = '\0';
        line.len = 0;
        kf_buf_printf(&line, "%d. [%s] %3d%%  ", i + 1, barv, pct);
        size_t at = line.len;
        char plain[256];
        kf_cause_plain(kb, rk->cause, plain, sizeof plain);
        kf_buf_puts(&line, plain);
        cap_first(line.s + at);
        if (rk->side && c->kind == KF_CAUSE_MUSCLE)
            kf_buf_printf(&line, ", %s", rk->side == KF_SIDE_BOTH ? "both sides" : kf_side_name(rk->side));
        if (c->kind == KF_CAUSE_MIMIC)
            kf_buf_puts(&line, " [needs a doctor]");
        kf_buf_puts(out, "  ");
        kf_wrap(out, line.s, 5, width, 2);
        /* What the cause is: for the leader, the others keep to their why. */
        if (c->about && i == 0) {
            if (nfaded) {
                kf_buf ab;
                kf_buf_init(&ab);
                about_revised(kb, r, faded, nfaded, rk->cause, &ab);
                kf_wrap(out, ab.s && !ab.oom ? ab.s : c->about, 5, width, 0);
                kf_buf_free(&ab);
            } else
                kf_wrap(out, c->about, 5, width, 0);
        }
        for (int k = 0; k < rk->n_reasons && k < 4; k++) {
            const kf_reason *re = &rk->reasons[k];
            line.len = 0;
            bool quoted = re->fact >= 0 && r->findings.v[re->fact].start >= 0 && text;
            if (re->state == KF_ABSENT) {
                kf_buf_puts(&line, "against: ");
                if (quoted) {
                    quote_span(&line, text, &r->findings.v[re->fact]);
                    kf_buf_puts(&line, " -> ");
                }
                kf_buf_printf(&line, "not %s.", kb->findings[re->finding].label);
            } else {
                kf_buf_puts(&line, "why: ");
                if (quoted) {
                    quote_span(&line, text, &r->findings.v[re->fact]);
                    kf_buf_puts(&line, " -> ");
                }
                kf_buf_puts(&line, c->kind == KF_CAUSE_MUSCLE || c->kind == KF_CAUSE_MIMIC
                                   ? re->why : why_revised(kb, faded, nfaded, re, &wb));
            }
            kf_wrap(out, line.s, 5, width, 0);
        }
        if (rk->kept_by >= 0) {
            line.len = 0;
            kf_buf_printf(&line, "kept going by: %s.", kb->causes[rk->kept_by].name);
            kf_wrap(out, line.s, 5, width, 0);
        }
    }
    kf_buf_free(&wb);

    /* 3. Plan. */
    if (r->n_plan) {
        heading(out, r->triage >= KF_TRIAGE_SOON ? "What to do" : "Your self-care plan");
        for (int i = 0; i < r->n_plan; i++) {
            const kf_step *s = &r->plan[i];
            const kf_technique *t = &kb->techniques[s->technique];
            line.len = 0;
            kf_buf_printf(&line, "%d. %s (%s", i + 1, t->name, kf_tech_kind_name(t->kind));
            if (s->cause >= 0) {
                char plain[256];
                kf_cause_plain(kb, s->cause, plain, sizeof plain);
                kf_buf_printf(&line, ", for %s", plain);
            }
            if (s->side && t->kind != KF_TECH_HABIT && t->kind != KF_TECH_DOCTOR)
                kf_buf_printf(&line, ", %s", s->side == KF_SIDE_BOTH ? "both sides" : kf_side_name(s->side));
            kf_buf_puts(&line, ")");
            kf_buf_puts(out, "  ");
            kf_wrap(out, line.s, 5, width, 2);
            for (int k = 0; k < t->n_steps; k++) {
                line.len = 0;
                kf_buf_printf(&line, "%c) %s", 'a' + (k % 26), t->steps[k]);
                kf_wrap(out, line.s, 7, width, 0);
            }
            if (t->kind == KF_TECH_DOCTOR) {
                kf_buf dl;
                kf_buf_init(&dl);
                kf_doctor_line(kb, r, &dl);
                line.len = 0;
                kf_buf_printf(&line, "when, and what to say: %s", dl.s);
                kf_buf_free(&dl);
                kf_wrap(out, line.s, 5, width, 0);
            } else if (t->dose) {
                line.len = 0;
                kf_buf_printf(&line, "how long, how often: %s", t->dose);
                kf_wrap(out, line.s, 5, width, 0);
            }
            const char *fy = kf_plan_for_you(kb, r, s->technique);
            if (fy) {
                line.len = 0;
                kf_buf_printf(&line, "for you: %s", fy);
                kf_wrap(out, line.s, 5, width, 0);
            }
            if (t->work_s > 0) {
                line.len = 0;
                kf_buf_printf(&line, "timer: knotfinder do %s", t->id);
                kf_wrap(out, line.s, 5, width, 0);
            }
            if (t->caution) {
                line.len = 0;
                kf_buf_printf(&line, "careful: %s", t->caution);
                kf_wrap(out, line.s, 5, width, 0);
            }
        }
    }
    if (r->n_omitted) {
        heading(out, "Left out for you");
        for (int i = 0; i < r->n_omitted; i++) {
            const kf_omit *o = &r->omitted[i];
            const kf_technique *t = &kb->techniques[o->technique];
            line.len = 0;
            kf_buf_printf(&line, "- %s: %s", t->name,
                          t->not_for_why[o->person] ? t->not_for_why[o->person] : "");
            if (o->instead >= 0)
                kf_buf_printf(&line, " Instead: %s.", kb->techniques[o->instead].name);
            kf_wrap(out, line.s, 4, width, 0);
        }
    }
    if (r->n_massage && r->triage < KF_TRIAGE_SOON) {
        heading(out, "For your massage therapist");
        kf_wrap(out, "Please work on these muscles, not only on the spot that hurts:", 2, width, 0);
        for (int i = 0; i < r->n_massage; i++) {
            line.len = 0;
            char plain[256];
            kf_cause_plain(kb, r->massage[i], plain, sizeof plain);
            kf_buf_printf(&line, "- %s", plain);
            side_suffix(&line, r->massage_side[i]);
            kf_wrap(out, line.s, 4, width, 0);
        }
    }

    /* 4. One question. */
    if (r->next.kind == KF_Q_FINDING || r->next.kind == KF_Q_CLARIFY) {
        heading(out, "One question that would sharpen this");
        if (r->next.kind == KF_Q_CLARIFY) {
            line.len = 0;
            kf_buf_printf(&line, "Is it %s, or %s?", kb->findings[r->next.finding].label,
                          kb->findings[r->next.alt].label);
            kf_wrap(out, line.s, 2, width, 0);
        } else
            kf_wrap(out, kf_question_text(kb, &r->next), 2, width, 0);
        kf_wrap(out, "(Add the answer to your description, or run: knotfinder interview)", 2, width, 0);
    }
    if (r->approximate)
        kf_wrap(out, "\n(Many findings: the scores are an approximation.)", 0, width, 0);
    kf_buf_puts(out, "\n");
    kf_wrap(out, kf_disclaimer, 0, width, 0);
    kf_buf_free(&line);
}

/* ---------- the short answer: "Do this first" ---------- */

const char *kf_score_word(double p)
{
    return p >= 0.5 ? "likely" : p >= 0.2 ? "possible" : "less likely";
}

static const char *triage_line(kf_triage t);

const char *kf_triage_headline(const kf_kb *kb, const kf_result *r)
{
    if (r->triage == KF_TRIAGE_SOON) {
        kf_when w = result_when(kb, r);
        if (w >= KF_WHEN_TODAY)
            return "See a doctor today, before any self-care on this area.";
        if (w == KF_WHEN_DAY)
            return "See a doctor today or tomorrow, before any self-care on this area.";
    }
    return triage_line(r->triage);
}

/* A finding's label that says something of the person, written in the
 * third person ("has had cancer", "takes a blood thinner", "gave birth in
 * the last weeks"): true, and when `out` is given it gets the label said
 * to the person ("you have had cancer").  A sign ("fever or chills") is
 * false. */
static bool said_of_you(const char *label, kf_buf *out)
{
    static const char *const verbs[][2] = {
        { "has ", "you have " }, { "had ", "you had " }, { "takes ", "you take " },
        { "takes, ", "you take, " }, { "gave ", "you gave " }, { "drinks ", "you drink " },
        { "uses ", "you use " }, { "works ", "you work " }, { "is ", "you are " },
        { "was ", "you were " }, { "smokes", "you smoke" }, { "lives ", "you live " },
        { "aged ", "you are aged " },
    };
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        size_t L = strlen(verbs[i][0]);
        if (strncmp(label, verbs[i][0], L))
            continue;
        if (out) {
            kf_buf_puts(out, verbs[i][1]);
            /* "takes, or has taken for months, ..." */
            const char *rest = label + L, *has = strstr(rest, "or has ");
            if (has) {
                kf_buf_add(out, rest, (size_t)(has - rest));
                kf_buf_puts(out, "or have ");
                kf_buf_puts(out, has + 7);
            } else
                kf_buf_puts(out, rest);
        }
        return true;
    }
    return false;
}

const char *kf_doctor_line(const kf_kb *kb, const kf_result *r, kf_buf *b)
{
    b->len = 0;
    kf_when w = result_when(kb, r);
    switch (r->triage) {
    case KF_TRIAGE_EMERGENCY:
        kf_buf_puts(b, "Now: call emergency services (112, 911 or 999).");
        break;
    case KF_TRIAGE_SOON:
        kf_buf_puts(b, w >= KF_WHEN_TODAY ? "Today" : w == KF_WHEN_DAY ? "Today or tomorrow"
                                                                       : "In the next few days");
        kf_buf_puts(b, ", before any self-care on this area.");
        break;
    case KF_TRIAGE_MENTION:
        kf_buf_puts(b, "At your next ordinary visit; self-care can go on meanwhile.");
        break;
    default:
        kf_buf_puts(b, "When you can, or sooner if anything new or alarming appears.");
        break;
    }
    kf_buf_puts(b, " Tell the doctor where it hurts, how and when it started");
    /* the warning signs said: the findings of the rules that fired */
    int said[4], n = 0;
    for (int i = 0; i < r->n_fired && n < 4; i++) {
        const kf_redflag *rf = &kb->redflags[r->fired[i]];
        for (int k = 0; k < rf->n_all + rf->n_any && n < 4; k++) {
            int fd = k < rf->n_all ? rf->all[k] : rf->any[k - rf->n_all];
            if (kb->findings[fd].kind == KF_FIND_LOCATION || !kf_findings_has(&r->findings, fd))
                continue;
            bool dup = false;
            for (int j = 0; j < n; j++)
                dup |= said[j] == fd;
            if (!dup)
                said[n++] = fd;
        }
    }
    /* A label said of the person ("has had cancer", "takes a blood
     * thinner") becomes "that you have had cancer"; the others are signs,
     * named after "about". */
    int n_you = 0, n_sign = 0;
    for (int j = 0; j < n; j++)
        if (said_of_you(kb->findings[said[j]].label, NULL))
            n_you++;
    n_sign = n - n_you;
    for (int j = 0, k = 0; j < n; j++) {
        if (!said_of_you(kb->findings[said[j]].label, NULL))
            continue;
        kf_buf_puts(b, k == 0 ? (n_you == 1 && !n_sign ? " and that " : ", that ")
                       : k + 1 == n_you && !n_sign ? " and that " : ", that ");
        said_of_you(kb->findings[said[j]].label, b);
        k++;
    }
    for (int j = 0, k = 0; j < n; j++) {
        if (said_of_you(kb->findings[said[j]].label, NULL))
            continue;
        kf_buf_printf(b, "%s%s", k == 0 ? ", and about these signs: " : "; ",
                      kb->findings[said[j]].label);
        k++;
    }
    kf_buf_puts(b, ".");
    return b->s;
}

static const char *triage_line(kf_triage t)
{
    switch (t) {
    case KF_TRIAGE_EMERGENCY:
        return "EMERGENCY: call emergency services now (112, 911 or 999). Do not drive "
               "yourself.";
    case KF_TRIAGE_SOON:
        return "See a doctor in the next few days, before any self-care on this area.";
    case KF_TRIAGE_MENTION:
        return "Self-care is fine to try; mention this to your doctor at your next visit.";
    case KF_TRIAGE_UNKNOWN:
        return "COULD NOT SCREEN: nothing in your words was understood, so warning signs "
               "could not be checked.";
    default:
        return "No warning signs in what you said: self-care is a reasonable start.";
    }
}

/* The link from `cause` to a reported place, strongest first; NULL when none. */
/* Whether a place was said plainly: present, and not one of two readings
 * of the same words ("arm": the front or the back of the upper arm). */
static bool place_said_plainly(const kf_result *r, int finding)
{
    for (int i = 0; i < r->findings.n; i++) {
        const kf_fact *f = &r->findings.v[i];
        if (f->finding == finding && f->state == KF_PRESENT && f->alt < 0)
            return true;
    }
    return false;
}

/* The place of the complaint: the first place said plainly in the words
 * ("a knot between my shoulder blade and neck, and my jaw feels tight
 * too": the knot, not the jaw), or -1 (none said in words, or only as one
 * of two readings). */
static int main_place(const kf_kb *kb, const kf_result *r)
{
    int best = -1, at = 0;
    for (int i = 0; i < r->findings.n; i++) {
        const kf_fact *f = &r->findings.v[i];
        if (f->state != KF_PRESENT || f->alt >= 0 || f->start < 0 ||
            kb->findings[f->finding].region < 0)
            continue;
        if (best < 0 || f->start < at) {
            best = f->finding;
            at = f->start;
        }
    }
    return best;
}

/* The place the sentence names for a cause: the one of its linked places
 * the person said, preferring a place said plainly over an ambiguous
 * reading (so "a knot between my shoulder blade and spine ... my arm" is
 * explained at the knot, not at "the front of the upper arm" that "arm" may
 * mean), then the place of the complaint over a side remark, then the
 * highest link. */
static const kf_link *place_link(const kf_kb *kb, const kf_result *r, int cause)
{
    const kf_cause *c = &kb->causes[cause];
    const kf_link *best = NULL;
    bool best_plain = false, best_main = false;
    int mainp = main_place(kb, r);
    for (int l = 0; l < c->n_links; l++) {
        const kf_link *ln = &kb->links[c->links[l]];
        const kf_finding_def *fd = &kb->findings[ln->finding];
        if (fd->region < 0 || !kf_findings_has(&r->findings, ln->finding))
            continue;
        bool plain = place_said_plainly(r, ln->finding);
        bool is_main = ln->finding == mainp;
        if (!best || (plain && !best_plain) ||
            (plain == best_plain && is_main && !best_main) ||
            (plain == best_plain && is_main == best_main && ln->p > best->p)) {
            best = ln;
            best_plain = plain;
            best_main = is_main;
        }
    }
    return best;
}

static const char *mech_verb(kf_mechanism m, bool plural)
{
    switch (m) {
    case KF_MECH_PULLS:  return plural ? "pull on the muscles there and over-stretch them"
                                       : "pulls on the muscles there and over-stretches them";
    case KF_MECH_REFERS: return plural ? "send their pain there" : "sends its pain there";
    case KF_MECH_LOCAL:  return plural ? "are themselves tight right there"
                                       : "is itself tight right there";
    default:             return plural ? "often come with pain there"
                                       : "often comes with pain there";
    }
}

/* Whether a muscle's name is a plural ("rhomboids", "scalenes", "gluteal
 * muscles"; not "biceps", "triceps"). */
static bool plural_name(const char *name, const char *plain)
{
    size_t pn = strcspn(plain, "(");
    for (size_t i = 0; i + 8 <= pn; i++)
        if (!strncmp(plain + i, " muscles", 8))
            return true;
    size_t n = strcspn(name, "(");
    while (n > 0 && name[n - 1] == ' ')
        n--;
    for (size_t i = 0; i + 5 <= n; i++)    /* "splenius capitis and cervicis" */
        if (!strncmp(name + i, " and ", 5))
            return true;
    /* Latin singulars end in -us, -is ("infraspinatus", "subscapularis") */
    return n > 2 && name[n - 1] == 's' && name[n - 2] != 'p' && name[n - 2] != 's' &&
           name[n - 2] != 'u' && name[n - 2] != 'i';
}

/* "between the spine and the shoulder blade", "at the back of the neck". */
static void place_words(kf_buf *b, const char *label)
{
    if (!strncmp(label, "the ", 4))
        kf_buf_puts(b, "at ");
    kf_buf_puts(b, label);
}

/* The score in words; for the leader, "the best fit so far" below 0.5. */
static const char *lead_word(double p)
{
    return p >= 0.5 ? "likely" : "the best fit so far, not certain";
}

static double ranked_p(const kf_result *r, int cause)
{
    for (int i = 0; i < r->n_causes; i++)
        if (r->causes[i].cause == cause)
            return r->causes[i].p;
    return 0;
}

static void cause_sentence_main(const kf_kb *kb, const kf_result *r, kf_buf *b, int named[2]);

/* A muscle tight right where it hurts names the knot instead of one pulling
 * from elsewhere when at least this share of it: plan.c's KF_PLAN_SORE_NEAR,
 * so the sentence and the first steps tell the same story. */
#define KF_RENDER_SPOT_NEAR 0.8

static bool has_finding(const kf_kb *kb, const kf_result *r, const char *id)
{
    int f = kf_kb_finding(kb, id);
    return f >= 0 && kf_findings_has(&r->findings, f);
}

static int ln_region(const kf_kb *kb, const kf_link *ln)
{
    return ln ? kb->findings[ln->finding].region : -1;
}

/* Whether muscle m lies in region g (its `where`). */
static bool lies_at(const kf_kb *kb, int m, int g)
{
    const kf_cause *c = &kb->causes[m];
    for (int w = 0; w < c->n_where; w++)
        if (c->where[w] == g)
            return true;
    return false;
}

/* Whether muscle m is tight right at a place the person says hurts (a
 * local link of "often" or more to a place said). */
static bool at_spot(const kf_kb *kb, const kf_result *r, int m)
{
    const kf_cause *c = &kb->causes[m];
    for (int l = 0; l < c->n_links; l++) {
        const kf_link *ln = &kb->links[c->links[l]];
        if (ln->mech == KF_MECH_LOCAL && ln->p >= 0.5 && kb->findings[ln->finding].region >= 0 &&
            kf_findings_has(&r->findings, ln->finding))
            return true;
    }
    return false;
}

/* Whether work aimed at muscle m brought only short relief at a check-in
 * (an absent relief_after_<technique> fact linked to it, plan.c's
 * ruled_out_by_relief): then it is not named as the reason. */
static bool relief_faded(const kf_kb *kb, const kf_result *r, int m)
{
    const kf_cause *c = &kb->causes[m];
    for (int i = 0; i < r->findings.n; i++) {
        const kf_fact *x = &r->findings.v[i];
        if (x->state != KF_ABSENT || kb->findings[x->finding].kind != KF_FIND_FOLLOWUP)
            continue;
        for (int l = 0; l < c->n_links; l++)
            if (kb->links[c->links[l]].finding == x->finding)
                return true;
    }
    return false;
}

/* The muscles whose work brought only short relief at a check-in
 * (relief_faded), at most `max`, into out; 0 for a consultation without
 * check-ins (no absent follow-up fact: the quick way out). */
static int faded_muscles(const kf_kb *kb, const kf_result *r, int *out, int max)
{
    bool any = false;
    for (int i = 0; i < r->findings.n && !any; i++)
        any = r->findings.v[i].state == KF_ABSENT &&
              kb->findings[r->findings.v[i].finding].kind == KF_FIND_FOLLOWUP;
    int n = 0;
    for (int c = 0; any && c < kb->n_causes && n < max; c++)
        if (kb->causes[c].kind == KF_CAUSE_MUSCLE && relief_faded(kb, r, c))
            out[n++] = c;
    return n;
}

/* Whether s[0..len) holds `w` (wl bytes) as a word, any case; a plural s
 * after it counts ("lats"). */
static bool has_word(const char *s, size_t len, const char *w, size_t wl)
{
    for (size_t i = 0; wl && i + wl <= len; i++) {
        if (strncasecmp(s + i, w, wl) || (i > 0 && isalnum((unsigned char)s[i - 1])))
            continue;
        size_t e = i + wl;
        if (e < len && (s[e] == 's' || s[e] == 'S'))
            e++;
        if (e >= len || !isalnum((unsigned char)s[e]))
            return true;
    }
    return false;
}

/* Whether s[0..len) names muscle m: by its Latin name ("latissimus dorsi",
 * "teres major") or by the plain one its name gives in brackets after
 * "the" ("the lat", "the deep chest muscle"). */
static bool names_muscle(const kf_kb *kb, int m, const char *s, size_t len)
{
    const char *name = kb->causes[m].name, *open = strchr(name, '(');
    size_t latin = open ? (size_t)(open - name) : strlen(name);
    while (latin > 0 && name[latin - 1] == ' ')
        latin--;
    if (has_word(s, len, name, latin))
        return true;
    if (open && !strncmp(open + 1, "the ", 4)) {
        const char *in = open + 5, *close = strchr(in, ')');
        char plain[96];
        size_t k = 0;
        for (; in < close && *in && k + 1 < sizeof plain; in++)
            if (*in != '"')
                plain[k++] = *in;
        plain[k] = '\0';
        if (k && has_word(s, len, plain, k))
            return true;
    }
    return false;
}

/* The first of the n faded muscles that s[0..len) names, or -1. */
static int names_faded(const kf_kb *kb, const int *faded, int n, const char *s, size_t len)
{
    for (int i = 0; s && i < n; i++)
        if (names_muscle(kb, faded[i], s, len))
            return faded[i];
    return -1;
}

/* What a cause is (its `about`), after check-ins: the sentences that name
 * a muscle the check-ins ruled out (its work helped for hours only) are
 * left out, and one sentence says so instead, so no line of the revised
 * plan still gives that muscle as the chain ("keeps the lat short" after
 * the lat pinch helped for two hours: "That meant I was wrong about the
 * cause", 000_8835f21432216678.txt).  Without such a sentence `about` as
 * it is. */
static void about_revised(const kf_kb *kb, const kf_result *r, const int *faded, int nf,
                          int cause, kf_buf *out)
{
    const kf_cause *c = &kb->causes[cause];
    const char *about = c->about;
    if (c->kind == KF_CAUSE_MUSCLE || c->kind == KF_CAUSE_MIMIC) {
        kf_buf_puts(out, about ? about : "");
        return;
    }
    int dropped[8], nd = 0;
    const char *s = about;
    while (s && *s) {
        const char *e = s;
        while (*e && !((*e == '.' || *e == '!' || *e == '?') && (e[1] == ' ' || !e[1])))
            e++;
        if (*e)
            e++;
        int m = names_faded(kb, faded, nf, s, (size_t)(e - s));
        if (m >= 0) {
            bool seen = false;
            for (int i = 0; i < nd; i++)
                seen |= dropped[i] == m;
            if (!seen && nd < 8)
                dropped[nd++] = m;
            for (int i = 0; i < nf; i++)      /* every faded muscle it names */
                if (faded[i] != m && names_muscle(kb, faded[i], s, (size_t)(e - s))) {
                    bool s2 = false;
                    for (int k = 0; k < nd; k++)
                        s2 |= dropped[k] == faded[i];
                    if (!s2 && nd < 8)
                        dropped[nd++] = faded[i];
                }
        } else {
            if (out->len && out->s[out->len - 1] != ' ')
                kf_buf_puts(out, " ");
            kf_buf_add(out, s, (size_t)(e - s));
        }
        while (*e == ' ')
            e++;
        s = e;
    }
    if (!nd)
        return;
    if (out->len)
        kf_buf_puts(out, " ");
    kf_buf_puts(out, "Your check-ins ruled out ");
    for (int i = 0; i < nd; i++) {
        char nm[160];
        kf_cause_plain(kb, dropped[i], nm, sizeof nm);
        kf_buf_puts(out, i == 0 ? "" : i == nd - 1 ? " and " : ", ");
        kf_buf_puts(out, nm);
    }
    kf_buf_puts(out, nd > 1 ? " here (work on them helped for hours only)"
                            : " here (work on it helped for hours only)");
    /* The likeliest muscle it keeps short that pulls from away from the
     * sore spot and was not ruled out: the next suspect in the chain. */
    int best = -1;
    for (int k = 0; k < c->n_keeps && r->post; k++) {
        int m = c->keeps[k];
        bool out_k = at_spot(kb, r, m);
        for (int i = 0; i < nf; i++)
            out_k |= faded[i] == m;
        if (!out_k && (best < 0 || r->post[m] > r->post[best]))
            best = m;
    }
    if (best >= 0) {
        char nm[160];
        kf_cause_plain(kb, best, nm, sizeof nm);
        kf_buf_puts(out, ": of the muscles it keeps short, ");
        kf_buf_puts(out, nm);
        kf_buf_puts(out, " is the one left to treat");
    } else
        kf_buf_puts(out, ": the steps go on to the next suspect in the chain");
    kf_buf_puts(out, ".");
}

/* A reason's words after check-ins: one that names a ruled-out muscle
 * (about_revised) says instead that the finding still fits, but not
 * through that muscle.  Returns re->why itself when it names none, else
 * b's text. */
static const char *why_revised(const kf_kb *kb, const int *faded, int nf, const kf_reason *re,
                               kf_buf *b)
{
    if (!re->why || !nf)
        return re->why;
    int m = names_faded(kb, faded, nf, re->why, strlen(re->why));
    if (m < 0)
        return re->why;
    char nm[160];
    kf_cause_plain(kb, m, nm, sizeof nm);
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
    kf_buf_printf(b, "It still fits what you said, but not through %s: your check-ins "
                  "ruled that out.", nm);
    return b->oom ? re->why : b->s;
}

/* The therapist's key clue, said after the chain when relief lasted only
 * hours (in words or in the journal): the leader's own sign of it ("working
 * on the knot gives relief for an hour or two, then the pull from the lat
 * brings it back", 30-muscles.kb), or, for a habit, that the knot is only
 * where it hurts.  A muscle that is tight right where it hurts and still
 * leads is not explained by it: then the clue says to move on when the
 * steps help for hours only.  With no place said, it asks for the place. */
static void relief_clue(const kf_kb *kb, const kf_result *r, kf_buf *b, const int named[2])
{
    int rs = kf_kb_finding(kb, "relief_short");
    if (rs < 0 || named[0] < 0 || !kf_findings_has(&r->findings, rs))
        return;
    const kf_link *sign = NULL;
    const kf_cause *c = &kb->causes[named[0]];
    for (int l = 0; l < c->n_links; l++)
        if (kb->links[c->links[l]].finding == rs)
            sign = &kb->links[c->links[l]];
    if (sign && sign->p >= 0.3 && sign->why && sign->why[0]) {
        kf_buf_printf(b, " Relief that lasts only hours is the clue: %c%s",
                      (char)tolower((unsigned char)sign->why[0]), sign->why + 1);
    } else if (c->kind != KF_CAUSE_MUSCLE) {
        kf_buf_puts(b, " Relief that lasts only hours is the clue: the knot is where it hurts, "
                    "not what keeps pulling it tight, so the steps work on the cause.");
    } else {
        kf_buf_puts(b, " Relief that lasts only hours usually means a muscle elsewhere keeps "
                    "pulling: if these steps also help for hours only, try the next suspect.");
    }
    bool placed = false;
    for (int i = 0; i < r->findings.n && !placed; i++)
        placed = r->findings.v[i].state == KF_PRESENT &&
                 kb->findings[r->findings.v[i].finding].region >= 0;
    if (!placed)
        kf_buf_puts(b, " Say where the knot is to narrow it down.");
}

int *kf_causes_by_posterior(const kf_kb *kb, const kf_result *r)
{
    int n = kb->n_causes;
    int *ord = r->post ? kf_malloc((size_t)(n + 1) * sizeof *ord) : NULL;
    if (!ord)
        return NULL;
    bool nan = false;
    for (int i = 0; r->order && i < n && !nan; i++)
        nan = isnan(r->post[i]);
    /* From the consultation's order (the same posteriors on a 1e-10 grid,
     * ties by id): a posterior above another is never after it there, and
     * equal ones are in id order, so sorting from it gives kf_order_desc's
     * order, moving only the causes the grid tied (~70 comparisons rather
     * than ~1500).  A NaN breaks that promise: then from the ids. */
    kf_order_desc_from(r->post, n, nan ? NULL : r->order, ord);
    return ord;
}

/* "It hurts between the spine and the shoulder blade because the lat
 * (latissimus dorsi), kept short by reaching for a mouse, pulls on ..." */
void kf_cause_sentence(const kf_kb *kb, const kf_result *r, kf_buf *b, int named[2])
{
    cause_sentence_main(kb, r, b, named);
    relief_clue(kb, r, b, named);
}

static void cause_sentence_main(const kf_kb *kb, const kf_result *r, kf_buf *b, int named[2])
{
    named[0] = named[1] = -1;
    int lead = -1;
    double lp = 0;
    for (int i = 0; i < r->n_causes && lead < 0; i++)
        if (kb->causes[r->causes[i].cause].kind != KF_CAUSE_MIMIC) {
            lead = r->causes[i].cause;
            lp = r->causes[i].p;
        }
    if (lead < 0)
        return;
    const kf_cause *c = &kb->causes[lead];
    char nm[256], hn[256];
    int muscle = -1, habit = -1;
    bool spot = false;                   /* the knot is the stretched muscle itself */
    if (c->kind == KF_CAUSE_MUSCLE) {
        muscle = lead;
        for (int i = 0; i < r->n_causes; i++)
            if (r->causes[i].cause == lead)
                habit = r->causes[i].kept_by;
    } else {
        habit = lead;
        /* the muscle of the chain: the likeliest one it keeps short that
         * explains the place of the complaint, else the likeliest that
         * explains some place said */
        double best = 0.2 * lp;
        bool best_main = false;
        int mainp = main_place(kb, r);
        for (int k = 0; k < c->n_keeps; k++) {
            int m = c->keeps[k];
            const kf_link *ln = place_link(kb, r, m);
            double p = ranked_p(r, m);
            if (!ln || ln->mech == KF_MECH_LOCAL || p < 0.2 * lp || relief_faded(kb, r, m))
                continue;
            bool is_main = ln->finding == mainp;
            if ((is_main && !best_main) || (is_main == best_main && p >= best)) {
                best = p;
                best_main = is_main;
                muscle = m;
            }
        }
        /* The knot itself is the muscle the habit stretches right there
         * (side sleeping: "the muscles between your shoulder blade and spine
         * get pulled or stretched ... That is your muscle knot",
         * 000_8835f21432216678.txt) when such a muscle is about as likely
         * (KF_RENDER_SPOT_NEAR) as the one pulling from elsewhere, which does
         * not lie there itself, and relief has not faded within hours: then
         * the habit's own words say why, as the plan starts on the spot
         * (src/plan.c, sore_leads). */
        if (muscle >= 0 && !has_finding(kb, r, "relief_short") &&
            !lies_at(kb, muscle, ln_region(kb, place_link(kb, r, muscle))))
            for (int k = 0; k < c->n_keeps && !spot; k++) {
                const kf_link *lk = place_link(kb, r, c->keeps[k]);
                spot = lk && lk->mech == KF_MECH_LOCAL &&
                       ranked_p(r, c->keeps[k]) >= KF_RENDER_SPOT_NEAR * ranked_p(r, muscle);
            }
        if (spot)
            muscle = -1;
    }
    const kf_link *ln = muscle >= 0 ? place_link(kb, r, muscle) : place_link(kb, r, lead);
    named[0] = lead;
    if (ln && muscle >= 0) {
        named[0] = muscle;
        named[1] = habit;
        kf_cause_plain(kb, muscle, nm, sizeof nm);
        kf_buf_puts(b, "It hurts ");
        place_words(b, kb->regions[kb->findings[ln->finding].region].label);
        /* pieces put one after another, not kf_buf_printf: the same text
         * without vsnprintf twice per piece (the sentence is in every
         * answer) */
        kf_buf_puts(b, " because ");
        kf_buf_puts(b, nm);
        if (habit >= 0) {
            kf_cause_plain(kb, habit, hn, sizeof hn);
            kf_buf_puts(b, ", kept short by ");
            kf_buf_puts(b, hn);
            kf_buf_puts(b, ",");
        }
        double mp = ranked_p(r, muscle) > lp ? ranked_p(r, muscle) : lp;
        kf_buf_puts(b, " ");
        kf_buf_puts(b, mech_verb(ln->mech, plural_name(kb->causes[muscle].name, nm)));
        kf_buf_puts(b, " (");
        kf_buf_puts(b, lead_word(mp));
        kf_buf_puts(b, ").");
        return;
    }
    kf_cause_plain(kb, lead, nm, sizeof nm);
    kf_buf_puts(b, "The most likely cause is ");
    kf_buf_puts(b, nm);
    kf_buf_puts(b, " (");
    kf_buf_puts(b, lead_word(lp));
    kf_buf_puts(b, ")");
    /* A habit leads at the place said, but none of the muscles it keeps
     * short is a suspect there (short relief after work on them ruled them
     * out): its link's words would name them as the chain ("keeps the lat
     * short"), so say instead that they no longer fit. */
    int fz[4];
    if (habit >= 0 && muscle < 0 && c->n_keeps > 0 && ln && !spot &&
        faded_muscles(kb, r, fz, 4) > 0) {
        /* The steps start with the next suspect in the chain (a muscle
         * that pulls from elsewhere, the plan's first step): the sentence
         * names it as the reason, so the "why" follows the revised ranking
         * and never the muscles whose steps gave only hours of relief
         * ("That meant I was wrong about the cause ... we have to try
         * again", 000_8835f21432216678.txt). */
        int nx = r->n_first ? r->plan[r->first[0]].cause : -1;
        const kf_link *nl = nx >= 0 && nx != lead && kb->causes[nx].kind == KF_CAUSE_MUSCLE
                            ? place_link(kb, r, nx) : NULL;
        if (nx >= 0 && nx != lead && kb->causes[nx].kind == KF_CAUSE_MUSCLE &&
            !at_spot(kb, r, nx) && (!nl || nl->mech != KF_MECH_LOCAL)) {
            named[1] = nx;
            kf_cause_plain(kb, nx, hn, sizeof hn);
            bool kept = false;
            for (int k = 0; k < c->n_keeps; k++)
                kept |= c->keeps[k] == nx;
            kf_buf_puts(b, kept ? ", and the steps start with the muscle it keeps short: "
                                : ", but the muscles it usually keeps short no longer fit "
                                  "what you said or logged, so the steps start with the next "
                                  "suspect in the chain: ");
            kf_buf_puts(b, hn);
            if (!nl) {
                kf_buf_puts(b, ".");
                return;
            }
            kf_buf_puts(b, ". It hurts ");
            place_words(b, kb->regions[kb->findings[nl->finding].region].label);
            kf_buf_puts(b, " because ");
            kf_buf_puts(b, plural_name(kb->causes[nx].name, hn) ? "they " : "it ");
            kf_buf_puts(b, mech_verb(nl->mech, plural_name(kb->causes[nx].name, hn)));
            kf_buf_puts(b, ".");
            return;
        }
        kf_buf_puts(b, ", though none of the muscles it usually keeps short stands out in "
                    "what you said or logged: the steps below start with the habit itself "
                    "and the next suspects.");
        return;
    }
    if (ln && ln->why) {
        /* one sentence: "...(likely): the shoulder you sleep on rolls
         * forward", a capital kept only for a name ("SCM", "I") */
        kf_buf_puts(b, ": ");
        const char *w = ln->why;
        if (isupper((unsigned char)w[0]) && islower((unsigned char)w[1]) &&
            strncmp(w, "I ", 2)) {
            char c0 = (char)tolower((unsigned char)w[0]);
            kf_buf_add(b, &c0, 1);
            w++;
        }
        kf_buf_puts(b, w);
    } else
        kf_buf_puts(b, ".");
}

/* The first steps as one block. */
static void first_steps_text(const kf_kb *kb, const kf_result *r, kf_buf *out, int width)
{
    kf_buf line;
    kf_buf_init(&line);
    for (int i = 0; i < r->n_first; i++) {
        const kf_step *s = &r->plan[r->first[i]];
        const kf_technique *t = &kb->techniques[s->technique];
        line.len = 0;
        kf_buf_printf(&line, "%d. %s", i + 1, t->name);
        if (s->cause >= 0 && t->kind != KF_TECH_DOCTOR) {
            char nm[256];
            kf_cause_plain(kb, s->cause, nm, sizeof nm);
            kf_buf_printf(&line, " - for %s", nm);
            if (s->side && kb->causes[s->cause].kind == KF_CAUSE_MUSCLE &&
                t->kind != KF_TECH_HABIT)
                kf_buf_printf(&line, ", %s", s->side == KF_SIDE_BOTH ? "both sides"
                                                                     : kf_side_name(s->side));
        }
        kf_buf_puts(out, "  ");
        kf_wrap(out, line.s, 5, width, 2);
        if (t->kind == KF_TECH_DOCTOR) {
            kf_buf dl;
            kf_buf_init(&dl);
            kf_wrap(out, kf_doctor_line(kb, r, &dl), 5, width, 0);
            kf_buf_free(&dl);
        } else if (t->dose)
            kf_wrap(out, t->dose, 5, width, 0);
        const char *fy = kf_plan_for_you(kb, r, s->technique);
        if (fy) {
            line.len = 0;
            kf_buf_printf(&line, "For you: %s", fy);
            kf_wrap(out, line.s, 5, width, 0);
        }
        if (t->work_s > 0) {
            line.len = 0;
            kf_buf_printf(&line, "timer and steps: knotfinder do %s", t->id);
            kf_wrap(out, line.s, 5, width, 0);
        } else if (t->kind != KF_TECH_DOCTOR && t->n_steps) {
            kf_wrap(out, t->steps[0], 5, width, 0);
        }
    }
    kf_buf_free(&line);
}

void kf_render_text(const kf_kb *kb, const kf_result *r, const char *text, kf_buf *out,
                    int width)
{
    (void)text;
    if (width <= 0)
        width = 80;
    kf_buf line;
    kf_buf_init(&line);
    /* The triage in one line; warning signs always lead. */
    line.len = 0;
    kf_buf_printf(&line, "%sTRIAGE: %s. %s", r->triage >= KF_TRIAGE_SOON ? "!! " :
                  r->triage == KF_TRIAGE_MENTION ? "! " : "", kf_triage_id(r->triage),
                  kf_triage_headline(kb, r));
    kf_wrap(out, line.s, 2, width, 2);      /* the first line starts at column 0 */
    int shown[2];
    int n_shown = kf_triage_shown(kb, r, shown, 2);
    for (int i = 0; i < n_shown; i++) {
        /* At "mention it at your next visit" a second message would say
         * that a third time (Carli's tingling fingers and arm pain): it is
         * named instead; a doctor's visit now keeps every message whole. */
        const kf_redflag *rf = &kb->redflags[shown[i]];
        int nf = -1;
        for (int k = 0; i > 0 && r->triage <= KF_TRIAGE_MENTION && k < rf->n_all && nf < 0; k++)
            if (kf_findings_has(&r->findings, rf->all[k]) &&
                kb->findings[rf->all[k]].kind != KF_FIND_BODY &&
                !kf_rule_names(&kb->redflags[shown[0]], rf->all[k]))
                nf = rf->all[k];
        if (nf < 0) {
            kf_wrap(out, rf->message, 2, width, 0);
            continue;
        }
        line.len = 0;
        kf_buf_printf(&line, "Also mention: %s.", kb->findings[nf].label);
        kf_wrap(out, line.s, 2, width, 0);
    }
    also_line(kb, r, out, 2, width);
    /* Warning signs only asked or worried about: what to do if they come. */
    hypo_line(kb, &r->findings, out, width);
    if (r->unrecognised) {
        if (r->n_screen)
            screen_list(kb, r, "Does any of these apply to you now? If one does, that comes "
                        "first:", out, width);
        kf_wrap(out, "I could not find anything I recognise in your words, so I will not "
                "guess. Where does it hurt, and what do you do most of the day? For "
                "example: \"a knot between my right shoulder blade and spine, I work at a "
                "laptop\".", 2, width, 0);
        kf_buf_puts(out, "\n");
        kf_wrap(out, kf_disclaimer, 0, width, 0);
        kf_buf_free(&line);
        return;
    }
    if (r->triage >= KF_TRIAGE_SOON) {
        if (!r->n_flags && r->n_causes) {
            char nm[256];
            kf_cause_plain(kb, r->causes[0].cause, nm, sizeof nm);
            line.len = 0;
            kf_buf_printf(&line, "What you describe fits %s better than a muscle knot.", nm);
            kf_wrap(out, line.s, 2, width, 0);
        }
        kf_buf_puts(out, "\n");
        kf_wrap(out, "Everything else (what I read, the causes I weighed): knotfinder ask "
                "--full", 0, width, 0);
        kf_wrap(out, kf_disclaimer, 0, width, 0);
        kf_buf_free(&line);
        return;
    }
    /* The likely cause, with its chain, and what else is possible. */
    kf_buf_puts(out, "\nWhy it hurts\n");
    line.len = 0;
    int named[2];
    kf_cause_sentence(kb, r, &line, named);
    if (line.len)
        kf_wrap(out, line.s, 2, width, 0);
    line.len = 0;
    int said = 0;
    /* Once the knot is known to keep coming back, the muscle right under
     * the sore spot is the symptom, not a possible cause ("The cause of the
     * knot is not where you feel it. That knot is just the symptom",
     * 003_8a9c84e9d3df908b.txt): it is named as such, not "also possible". */
    int sym = -1;
    bool recurs = has_finding(kb, r, "knot_recurring") || has_finding(kb, r, "relief_short");
    for (int i = 0; i < r->n_causes && said < 2; i++) {
        const kf_ranked *rk = &r->causes[i];
        if (rk->p < 0.2 || rk->cause == named[0] || rk->cause == named[1] ||
            kb->causes[rk->cause].kind == KF_CAUSE_MIMIC)
            continue;
        if (kb->causes[rk->cause].kind == KF_CAUSE_MUSCLE && relief_faded(kb, r, rk->cause))
            continue;
        if (recurs && kb->causes[rk->cause].kind == KF_CAUSE_MUSCLE && at_spot(kb, r, rk->cause)) {
            if (sym < 0)
                sym = rk->cause;
            continue;
        }
        char nm[256];
        kf_cause_plain(kb, rk->cause, nm, sizeof nm);
        kf_buf_printf(&line, "%s%s", said ? "; " : "Also possible: ", nm);
        said++;
    }
    if (said) {
        kf_buf_puts(&line, ".");
        kf_wrap(out, line.s, 2, width, 0);
    }
    if (sym >= 0) {
        char nm[256];
        kf_cause_plain(kb, sym, nm, sizeof nm);
        nm[0] = (char)toupper((unsigned char)nm[0]);
        line.len = 0;
        kf_buf_printf(&line, "%s: that is the muscle right where it hurts, and the knot "
                      "there is the symptom, not the cause, since it keeps coming back.", nm);
        kf_wrap(out, line.s, 2, width, 0);
    }
    /* The first steps. */
    if (r->n_first) {
        kf_buf_puts(out, "\nDo this first\n");
        first_steps_text(kb, r, out, width);
    }
    for (int i = 0; i < r->n_omitted && i < 2; i++) {
        const kf_omit *o = &r->omitted[i];
        const kf_technique *t = &kb->techniques[o->technique];
        line.len = 0;
        kf_buf_printf(&line, "%s %s: %s", i == 0 ? "Left out for you:" : "Also left out:",
                      t->name, t->not_for_why[o->person] ? t->not_for_why[o->person] : "");
        /* what takes its place, as the full plan says it */
        if (o->instead >= 0)
            kf_buf_printf(&line, " Instead: %s.", kb->techniques[o->instead].name);
        kf_wrap(out, line.s, 2, width, 0);
    }
    /* One question. */
    if (r->next.kind == KF_Q_FINDING || r->next.kind == KF_Q_CLARIFY) {
        kf_buf_puts(out, "\nOne question\n");
        line.len = 0;
        if (r->next.kind == KF_Q_CLARIFY) {
            const kf_finding_def *a = &kb->findings[r->next.finding],
                                 *c = &kb->findings[r->next.alt];
            kf_buf_printf(&line, "Where exactly: %s, or %s?",
                          a->region >= 0 ? kb->regions[a->region].label : a->label,
                          c->region >= 0 ? kb->regions[c->region].label : c->label);
        } else
            kf_buf_puts(&line, kf_question_text(kb, &r->next));
        kf_wrap(out, line.s, 2, width, 0);
        line.len = 0;
        if (r->next.kind == KF_Q_FINDING && kb->findings[r->next.finding].why_ask)
            kf_buf_printf(&line, "Why I ask: %s ", kb->findings[r->next.finding].why_ask);
        kf_buf_puts(&line, "(knotfinder interview asks it)");
        kf_wrap(out, line.s, 2, width, 0);
    }
    kf_buf_puts(out, "\n");
    kf_wrap(out, "Everything (all causes, the evidence, the whole plan): add --full.", 0,
            width, 0);
    kf_wrap(out, kf_disclaimer, 0, width, 0);
    kf_buf_free(&line);
}

/* ---------- JSON ---------- */

static json_t *side_json(kf_side s) { return json_string(kf_side_name(s)); }

static const char *state_name(kf_state s)
{
    return s == KF_PRESENT ? "present" : s == KF_ABSENT ? "absent" : "unsure";
}

static const char *origin_name(kf_origin o)
{
    static const char *const n[] = { "text", "map", "answer", "journal" };
    return (unsigned)o < 4 ? n[o] : "text";
}

/* A JSON string of the words of a fact; invalid UTF-8 bytes dropped so
 * json_stringn never fails. */
static json_t *span_json(const char *text, const kf_fact *x)
{
    if (!text || x->start < 0)
        return json_null();
    kf_buf b;
    kf_buf_init(&b);
    const unsigned char *s = (const unsigned char *)text + x->start;
    int n = x->len;
    for (int i = 0; i < n;) {
        int l = s[i] < 0x80 ? 1 : (s[i] & 0xE0) == 0xC0 ? 2 : (s[i] & 0xF0) == 0xE0 ? 3
              : (s[i] & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = l > 0 && i + l <= n;
        for (int k = 1; ok && k < l; k++)
            ok = (s[i + k] & 0xC0) == 0x80;
        if (ok && (l > 1 || s[i] >= 0x20))
            kf_buf_add(&b, (const char *)s + i, (size_t)l);
        else if (ok)
            kf_buf_add(&b, " ", 1);
        i += ok ? l : 1;
    }
    json_t *j = json_stringn(b.s ? b.s : "", b.len);
    kf_buf_free(&b);
    return j ? j : json_null();
}

static json_t *timer_json(const kf_technique *t)
{
    if (t->work_s <= 0)
        return json_null();
    return json_pack("{s:i,s:i,s:i}", "work_s", t->work_s, "rest_s", t->rest_s, "reps", t->reps);
}

json_t *kf_technique_json(const kf_kb *kb, int tech)
{
    const kf_technique *t = &kb->techniques[tech];
    json_t *steps = json_array();
    for (int i = 0; i < t->n_steps; i++)
        json_array_append_new(steps, json_string(t->steps[i]));
    return json_pack("{s:s,s:s,s:s,s:o,s:s?,s:s?,s:o,s:s?}", "id", t->id, "name", t->name,
                     "kind", kf_tech_kind_name(t->kind), "steps", steps, "dose", t->dose,
                     "caution", t->caution, "timer", timer_json(t), "source", t->source);
}

json_t *kf_question_json(const kf_kb *kb, const kf_question *q)
{
    const char *text = kf_question_text(kb, q);
    switch (q->kind) {
    case KF_Q_WHERE: {
        json_t *regs = json_array();
        for (int i = 0; i < kb->n_regions; i++)
            json_array_append_new(regs, json_pack("{s:s,s:s,s:s,s:b,s:s}", "id", kb->regions[i].id,
                "label", kb->regions[i].label, "view", kb->regions[i].back ? "back" : "front",
                "sided", kb->regions[i].sided, "finding", kb->findings[kb->regions[i].finding].id));
        return json_pack("{s:s,s:s,s:o}", "kind", "where", "text", text, "regions", regs);
    }
    case KF_Q_SCREEN: {
        json_t *items = json_array();
        for (int i = 0; i < q->n_screen; i++) {
            if (!kf_screen_on_line(q, i, i))
                continue;
            const kf_finding_def *d = &kb->findings[q->screen[i]];
            json_t *also = json_array();
            for (int j = i + 1; j < q->n_screen; j++)
                if (kf_screen_on_line(q, i, j))
                    json_array_append_new(also, json_string(kb->findings[q->screen[j]].id));
            if (!json_array_size(also) && !(q->screen_and && q->screen_and[i] >= 0)) {
                json_decref(also);
                json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "finding", d->id,
                    "text", d->question ? d->question : d->label, "label", d->label));
                continue;
            }
            kf_buf line;
            kf_buf_init(&line);
            kf_screen_line(kb, q, i, &line);
            json_t *it = json_pack("{s:s,s:s,s:s}", "finding", d->id,
                "text", line.s ? line.s : d->label, "label", line.s ? line.s : d->label);
            if (json_array_size(also))
                json_object_set_new(it, "also", also);
            else
                json_decref(also);
            json_array_append_new(items, it);
            kf_buf_free(&line);
        }
        return json_pack("{s:s,s:s,s:o}", "kind", "screen", "text", text, "items", items);
    }
    case KF_Q_CLARIFY: {
        const kf_finding_def *a = &kb->findings[q->finding], *b = &kb->findings[q->alt];
        char buf[512];
        snprintf(buf, sizeof buf, "Is it %s, or %s?", a->label, b->label);
        return json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s}]}", "kind", "clarify",
            "finding", a->id, "alt", b->id, "text", buf, "options",
            "finding", a->id, "label", a->label, "finding", b->id, "label", b->label);
    }
    case KF_Q_FINDING:
        return json_pack("{s:s,s:s,s:s,s:f,s:s?}", "kind", "finding",
            "finding", kb->findings[q->finding].id, "text", text, "gain", q->gain,
            "why", kb->findings[q->finding].why_ask);
    default:
        return json_null();
    }
}

json_t *kf_findings_json(const kf_kb *kb, const kf_findings *f)
{
    json_t *a = json_array();
    for (int i = 0; i < f->n; i++) {
        const kf_fact *x = &f->v[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "id", kb->findings[x->finding].id,
            "state", state_name(x->state), "side", kf_side_name(x->side),
            "origin", origin_name(x->origin)));
    }
    return a;
}

static json_t *int_or_null(int v) { return v >= 0 ? json_integer(v) : json_null(); }

void kf_result_json_revised(const kf_kb *kb, const kf_result *r, json_t *o)
{
    int faded[16], nf = faded_muscles(kb, r, faded, 16);
    json_t *causes = o ? json_object_get(o, "causes") : NULL;
    if (!nf || !json_is_array(causes))
        return;
    kf_buf b;
    kf_buf_init(&b);
    for (int i = 0; i < r->n_causes && i < (int)json_array_size(causes); i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        json_t *jc = json_array_get(causes, (size_t)i);
        if (c->kind == KF_CAUSE_MUSCLE || c->kind == KF_CAUSE_MIMIC)
            continue;
        if (c->about) {
            b.len = 0;
            about_revised(kb, r, faded, nf, rk->cause, &b);
            if (b.s && !b.oom)
                json_object_set_new(jc, "about", json_string(b.s));
        }
        json_t *reasons = json_object_get(jc, "reasons");
        for (int k = 0; k < rk->n_reasons && k < (int)json_array_size(reasons); k++) {
            const char *w = why_revised(kb, faded, nf, &rk->reasons[k], &b);
            if (w != rk->reasons[k].why)
                json_object_set_new(json_array_get(reasons, (size_t)k), "why", json_string(w));
        }
        json_t *keeps = json_object_get(jc, "keeps");
        for (size_t k = json_array_size(keeps); k-- > 0;) {
            const char *id = json_string_value(json_array_get(keeps, k));
            for (int q = 0; id && q < nf; q++)
                if (!strcmp(kb->causes[faded[q]].id, id)) {
                    json_array_remove(keeps, k);
                    break;
                }
        }
    }
    kf_buf_free(&b);
}

json_t *kf_result_json(const kf_kb *kb, const kf_result *r, const char *text)
{
    json_t *flags = json_array();
    int shown[3];
    int n_shown = kf_triage_shown(kb, r, shown, 3);
    for (int i = 0; i < n_shown; i++) {
        const kf_redflag *rf = &kb->redflags[shown[i]];
        json_array_append_new(flags, json_pack("{s:s,s:s,s:o,s:s}", "id", rf->id,
            "level", kf_triage_id(rf->level),
            "mimic", rf->mimic >= 0 ? json_string(kb->causes[rf->mimic].id) : json_null(),
            "message", rf->message));
    }
    json_t *understood = json_array();
    for (int i = 0; i < r->findings.n; i++) {
        const kf_fact *x = &r->findings.v[i];
        json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s}", "finding", kb->findings[x->finding].id,
            "label", kb->findings[x->finding].label, "state", state_name(x->state),
            "side", side_json(x->side), "words", span_json(text, x), "origin", origin_name(x->origin));
        if (o && x->alt >= 0)
            json_object_set_new(o, "ambiguous_with", json_string(kb->findings[x->alt].id));
        if (o && x->note == KF_NOTE_SAFER)
            json_object_set_new(o, "note", json_string("safer_reading"));
        else if (o && x->note == KF_NOTE_GUESS)
            json_object_set_new(o, "note", json_string("guess"));
        json_array_append_new(understood, o);
    }
    /* What follows from what was said (an age band, both hands numb): the
     * engine used it, so it is shown, with no words of its own. */
    for (int i = r->findings.n; i < r->used.n; i++) {
        const kf_fact *x = &r->used.v[i];
        json_array_append_new(understood, json_pack("{s:s,s:s,s:s,s:o,s:n,s:s}",
            "finding", kb->findings[x->finding].id, "label", kb->findings[x->finding].label,
            "state", state_name(x->state), "side", side_json(x->side), "words",
            "origin", "derived"));
    }
    const kf_findings *f = &r->findings;
    json_t *facts = json_pack("{s:o,s:o,s:o,s:o}", "age", int_or_null(f->age),
        "weeks_pregnant", int_or_null(f->weeks_pregnant),
        "duration_days", int_or_null(f->duration_days),
        "dominant_hand", f->dominant ? json_string(kf_side_name(f->dominant)) : json_null());
    if (facts) {
        char sx[2] = { f->sex, 0 };
        json_object_set_new(facts, "sex", f->sex ? json_string(sx) : json_null());
        json_object_set_new(facts, "nothing_understood", json_boolean(f->nothing_understood));
    }
    /* Findings only asked or worried about, and what to do if they come. */
    json_t *hypo = json_array();
    for (int i = 0; i < f->n_hypothetical; i++) {
        int h = f->hypothetical[i];
        const char *adv = kf_hypo_advice(kb, h);
        json_array_append_new(hypo, json_pack("{s:s,s:s,s:o}", "finding", kb->findings[h].id,
            "label", kb->findings[h].label, "if_present", adv ? json_string(adv) : json_null()));
    }
    json_t *causes = json_array();
    for (int i = 0; i < r->n_causes; i++) {
        const kf_ranked *rk = &r->causes[i];
        const kf_cause *c = &kb->causes[rk->cause];
        json_t *where = json_array();
        for (int k = 0; k < c->n_where; k++)
            json_array_append_new(where, json_string(kb->regions[c->where[k]].id));
        json_t *reasons = json_array();
        for (int k = 0; k < rk->n_reasons; k++) {
            const kf_reason *re = &rk->reasons[k];
            json_array_append_new(reasons, json_pack("{s:s,s:s,s:s,s:f,s:s,s:o}",
                "finding", kb->findings[re->finding].id, "state", state_name(re->state),
                "mechanism", kf_mech_name(re->mech), "weight", re->weight, "why", re->why,
                "words", re->fact >= 0 ? span_json(text, &r->findings.v[re->fact]) : json_null()));
        }
        json_array_append_new(causes, json_pack("{s:s,s:s,s:s,s:f,s:o,s:o,s:s?,s:o,s:o,s:s?}",
            "id", c->id, "name", c->name, "kind", kf_cause_kind_name(c->kind),
            "score", rk->p, "side", side_json(rk->side), "where", where, "about", c->about,
            "kept_by", rk->kept_by >= 0 ? json_string(kb->causes[rk->kept_by].id) : json_null(),
            "reasons", reasons, "level", c->kind == KF_CAUSE_MIMIC ? kf_triage_id(c->level) : NULL));
        /* A habit names the muscles it keeps short, so a picture can show
         * them (their places are in "massage" or their own cause entry). */
        if (c->n_keeps) {
            json_t *keeps = json_array();
            for (int k = 0; k < c->n_keeps; k++)
                json_array_append_new(keeps, json_string(kb->causes[c->keeps[k]].id));
            json_object_set_new(json_array_get(causes, json_array_size(causes) - 1), "keeps", keeps);
        }
        if (rk->flagged_by >= 0)
            json_object_set_new(json_array_get(causes, json_array_size(causes) - 1), "flagged_by",
                                json_string(kb->redflags[rk->flagged_by].id));
    }
    json_t *plan = json_array();
    for (int i = 0; i < r->n_plan; i++) {
        const kf_step *s = &r->plan[i];
        json_t *t = kf_technique_json(kb, s->technique);
        if (!t)
            continue;
        json_object_del(t, "id");
        json_object_set_new(t, "order", json_integer(i + 1));
        json_object_set_new(t, "technique", json_string(kb->techniques[s->technique].id));
        json_object_set_new(t, "for", s->cause >= 0 ? json_string(kb->causes[s->cause].id) : json_null());
        json_object_set_new(t, "side", side_json(s->side));
        const char *fy = kf_plan_for_you(kb, r, s->technique);
        json_object_set_new(t, "for_you", fy ? json_string(fy) : json_null());
        json_array_append_new(plan, t);
    }
    json_t *massage = json_array();
    for (int i = 0; i < r->n_massage; i++) {
        const kf_cause *c = &kb->causes[r->massage[i]];
        const char *why = c->about;
        for (int k = 0; k < r->n_causes; k++)
            if (r->causes[k].cause == r->massage[i] && r->causes[k].n_reasons &&
                r->causes[k].reasons[0].state == KF_PRESENT)
                why = r->causes[k].reasons[0].why;
        json_t *mwhere = json_array();
        for (int k = 0; k < c->n_where; k++)
            json_array_append_new(mwhere, json_string(kb->regions[c->where[k]].id));
        json_array_append_new(massage, json_pack("{s:s,s:s,s:o,s:s?,s:o}", "muscle", c->id,
            "name", c->name, "side", side_json(r->massage_side[i]), "why", why,
            "where", mwhere));
    }
    /* The short answer's parts: the first steps (each with the cause it
     * serves), what was left out for this person, the cause sentence. */
    json_t *first = json_array();
    for (int i = 0; i < r->n_first; i++) {
        const kf_step *s = &r->plan[r->first[i]];
        const kf_technique *t = &kb->techniques[s->technique];
        char nm[256] = "";
        if (s->cause >= 0)
            kf_cause_plain(kb, s->cause, nm, sizeof nm);
        kf_buf dl;
        kf_buf_init(&dl);
        const char *dose = t->kind == KF_TECH_DOCTOR ? kf_doctor_line(kb, r, &dl) : t->dose;
        json_array_append_new(first, json_pack("{s:i,s:s,s:s,s:s,s:s?,s:o,s:o,s:o,s:o,s:s?}",
            "order", i + 1, "technique", t->id, "name", t->name, "kind",
            kf_tech_kind_name(t->kind), "dose", dose,
            "timer", t->work_s > 0 ? json_sprintf("knotfinder do %s", t->id) : json_null(),
            "for", s->cause >= 0 ? json_string(kb->causes[s->cause].id) : json_null(),
            "for_name", s->cause >= 0 ? json_string(nm) : json_null(),
            "side", side_json(s->side), "for_you", kf_plan_for_you(kb, r, s->technique)));
        kf_buf_free(&dl);
    }
    json_t *left = json_array();
    for (int i = 0; i < r->n_omitted; i++) {
        const kf_omit *o = &r->omitted[i];
        const kf_technique *t = &kb->techniques[o->technique];
        json_array_append_new(left, json_pack("{s:s,s:s,s:s,s:s?,s:o}", "technique", t->id,
            "name", t->name, "person", kf_person_id(o->person), "why", t->not_for_why[o->person],
            "instead", o->instead >= 0 ? json_string(kb->techniques[o->instead].id)
                                       : json_null()));
    }
    json_t *person = json_array();
    for (int p = 0; p < KF_PERSON_N; p++)
        if (r->person & (1u << p))
            json_array_append_new(person, json_string(kf_person_id((kf_person)p)));
    kf_buf cs;
    kf_buf_init(&cs);
    int named[2];
    if (!r->unrecognised && r->triage < KF_TRIAGE_SOON)
        kf_cause_sentence(kb, r, &cs, named);
    json_t *summary = cs.len ? json_string(cs.s) : json_null();
    kf_buf_free(&cs);
    const char *msg = kf_triage_banner_for(kb, r);
    json_t *fired = json_array();
    for (int i = 0; i < r->n_fired; i++)
        json_array_append_new(fired, json_string(kb->redflags[r->fired[i]].id));
    json_t *screen = json_array();
    for (int i = 0; i < r->n_screen; i++) {
        const kf_finding_def *d = &kb->findings[r->screen[i]];
        json_array_append_new(screen, json_pack("{s:s,s:s}", "finding", d->id,
            "text", d->question ? d->question : d->label));
    }
    /* every cause's posterior, likeliest first (render_json.c writes the same) */
    json_t *posterior = json_array();
    int *ord = kf_causes_by_posterior(kb, r);
    bool post_oom = r->post && !ord;
    for (int i = 0; ord && i < kb->n_causes; i++) {
        const kf_cause *c = &kb->causes[ord[i]];
        json_t *o = json_pack("{s:s,s:f,s:s?}", "id", c->id, "p", r->post[ord[i]], "family",
                              c->family);
        post_oom |= !o || json_array_append_new(posterior, o);
    }
    kf_free(ord);
    if (post_oom) {
        json_decref(posterior);
        posterior = NULL;
    }
    json_t *res = json_pack("{s:s,s:{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o},s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:s}",
        "kb_version", kb->version,
        "triage", "level", kf_triage_id(r->triage), "message", msg,
        "when", kf_when_id(kf_triage_when(kb, r->fired, r->n_fired, r->triage)), "flags", flags,
        "fired", fired, "screen", screen,
        "raised_by", r->raised_by >= 0 ? json_string(kb->causes[r->raised_by].id) : json_null(),
        "also", r->also >= 0 ? json_string(kb->causes[r->also].id) : json_null(),
        "understood", understood, "facts", facts, "causes", causes, "posterior", posterior, "plan", plan,
        "massage", massage, "next_question", kf_question_json(kb, &r->next),
        "unrecognised", r->unrecognised, "approximate", r->approximate,
        "leader_clear", r->leader_clear, "disclaimer", kf_disclaimer);
    if (!res || !first || !left || !person) {
        json_decref(res);
        json_decref(first);
        json_decref(left);
        json_decref(person);
        json_decref(summary);
        json_decref(hypo);
        return NULL;
    }
    json_object_set_new(res, "hypothetical", hypo);
    json_object_set_new(res, "first_steps", first);
    json_object_set_new(res, "left_out", left);
    json_object_set_new(res, "person", person);
    json_object_set_new(res, "cause_sentence", summary ? summary : json_null());
    return res;
}

/* ---------- findings from JSON ---------- */

kf_err kf_findings_from_json(const kf_kb *kb, json_t *in, kf_findings *out, kf_buf *err)
{
    if (!json_is_object(in)) {
        kf_buf_puts(err, "the body must be a JSON object");
        return KF_EINVAL;
    }
    json_t *text = json_object_get(in, "text");
    if (text && !json_is_string(text) && !json_is_null(text)) {
        kf_buf_puts(err, "'text' must be a string");
        return KF_EINVAL;
    }
    json_t *dom = json_object_get(in, "dominant_hand");
    if (dom && !json_is_null(dom)) {
        int s = json_is_string(dom) ? kf_side_parse(json_string_value(dom)) : -1;
        if (s != KF_SIDE_LEFT && s != KF_SIDE_RIGHT) {
            kf_buf_puts(err, "'dominant_hand' must be \"left\" or \"right\"");
            return KF_EINVAL;
        }
        out->dominant = (kf_side)s;
    }
    json_t *list = json_object_get(in, "findings");
    if (list && !json_is_array(list) && !json_is_null(list)) {
        kf_buf_puts(err, "'findings' must be an array");
        return KF_EINVAL;
    }
    if (json_array_size(list) > 512) {
        kf_buf_puts(err, "'findings' has more than 512 entries");
        return KF_EINVAL;
    }
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        if (!json_is_object(it)) {
            kf_buf_printf(err, "findings[%zu] must be an object", i);
            return KF_EINVAL;
        }
        const char *id = json_string_value(json_object_get(it, "id"));
        if (!id) {
            kf_buf_printf(err, "findings[%zu].id must be a string", i);
            return KF_EINVAL;
        }
        int fd = kf_kb_finding(kb, id);
        if (fd < 0) {
            kf_buf_printf(err, "findings[%zu].id: unknown finding '%.80s'", i, id);
            return KF_EINVAL;
        }
        kf_fact x = { .finding = fd, .state = KF_PRESENT, .origin = KF_FROM_ANSWER,
                      .alt = -1, .start = -1, .len = 0 };
        json_t *st = json_object_get(it, "state");
        if (st) {
            const char *s = json_string_value(st);
            if (s && !strcmp(s, "present")) x.state = KF_PRESENT;
            else if (s && !strcmp(s, "absent")) x.state = KF_ABSENT;
            else if (s && !strcmp(s, "unsure")) x.state = KF_UNSURE;
            else {
                kf_buf_printf(err, "findings[%zu].state must be present, absent or unsure", i);
                return KF_EINVAL;
            }
        }
        json_t *sd = json_object_get(it, "side");
        if (sd && !json_is_null(sd)) {
            int s = json_is_string(sd) ? kf_side_parse(json_string_value(sd)) : -1;
            if (s < 0) {
                kf_buf_printf(err, "findings[%zu].side must be left, right, both or \"\"", i);
                return KF_EINVAL;
            }
            x.side = kb->findings[fd].sided ? (kf_side)s : KF_SIDE_NONE;
        }
        json_t *org = json_object_get(it, "origin");
        const char *o = json_string_value(org);
        if (o && !strcmp(o, "text"))
            x.origin = KF_FROM_TEXT;
        else if (o && !strcmp(o, "map"))
            x.origin = KF_FROM_MAP;
        else if (o && !strcmp(o, "journal"))
            x.origin = KF_FROM_JOURNAL;
        if (kf_findings_add(out, &x) < 0)
            return KF_ENOMEM;
    }
    return KF_OK;
}
