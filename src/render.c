/* render.c — the result as terminal text and as JSON; findings from JSON. */
#include "render.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *const kf_disclaimer =
    "This is self-help guidance, not a diagnosis. knotfinder is not a doctor: if the pain "
    "is severe, getting worse, or comes with any warning sign, see one.";

static const char *triage_banner(kf_triage t)
{
    switch (t) {
    case KF_TRIAGE_EMERGENCY:
        return "EMERGENCY: call emergency services now (112, 911 or 999). Do not drive "
               "yourself. Self-care can wait.";
    case KF_TRIAGE_SOON:
        return "SEE A DOCTOR in the next few days, before trying self-care on this area.";
    case KF_TRIAGE_MENTION:
        return "Self-care is fine to try, but mention this to your doctor at your next visit.";
    default:
        return "No warning signs in what you described, so self-care is reasonable. See a "
               "doctor if anything new or alarming appears.";
    }
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
        } else if (col > indent) {
            kf_buf_add(b, " ", 1);
            col++;
        }
        kf_buf_add(b, w, (size_t)wl);
        col += chars;
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

void kf_cause_plain(const kf_kb *kb, int cause, char *out, size_t n)
{
    const kf_cause *c = &kb->causes[cause];
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
        /* drop quotes: the "lat" -> the lat */
        char plain[128];
        int k = 0;
        for (int i = 0; i < inlen && k + 1 < (int)sizeof plain; i++)
            if (in[i] != '"')
                plain[k++] = in[i];
        plain[k] = '\0';
        snprintf(out, n, "%s (%.*s)", plain, latin, name);
    } else {
        snprintf(out, n, "the %.*s (%.*s)", latin, name, inlen, in);
    }
}

void kf_technique_short(const kf_kb *kb, int tech, char *out, size_t n)
{
    const kf_technique *t = &kb->techniques[tech];
    const char *open = strstr(t->name, " (");
    int len = open ? (int)(open - t->name) : (int)strlen(t->name);
    if (t->kind == KF_TECH_HABIT || t->kind == KF_TECH_THERMAL || t->kind == KF_TECH_DOCTOR) {
        snprintf(out, n, "\"%.*s\"", len, t->name);
        return;
    }
    snprintf(out, n, "the %.*s", len, t->name);
    if (n > 4)
        out[4] = (char)tolower((unsigned char)out[4]);
}

void kf_render_text(const kf_kb *kb, const kf_result *r, const char *text, kf_buf *out,
                    int width)
{
    if (width <= 0)
        width = 80;
    kf_buf line;
    kf_buf_init(&line);

    /* 1. Triage, always first. */
    const char *bar = r->triage >= KF_TRIAGE_SOON ? "!!" : r->triage == KF_TRIAGE_MENTION ? " !" : "  ";
    kf_buf_printf(out, "%s TRIAGE: %s\n", bar, kf_triage_id(r->triage));
    kf_wrap(out, triage_banner(r->triage), 3, width, 0);
    for (int i = 0; i < r->n_flags; i++)
        kf_wrap(out, kb->redflags[r->flags[i]].message, 5, width, 0);
    if (!r->n_flags && r->triage >= KF_TRIAGE_MENTION && r->n_causes) {
        const kf_cause *c = &kb->causes[r->causes[0].cause];
        kf_buf_printf(&line, "What you describe fits %s better than a muscle knot.", c->name);
        kf_wrap(out, line.s, 5, width, 0);
        line.len = 0;
    }

    /* What was read. */
    if (r->unrecognised) {
        heading(out, "What I understood");
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
        kf_wrap(out, line.s, 2, width, 0);
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
        kf_buf_puts(&line, c->name);
        cap_first(line.s + at);
        if (rk->side)
            kf_buf_printf(&line, ", %s", rk->side == KF_SIDE_BOTH ? "both sides" : kf_side_name(rk->side));
        if (c->kind == KF_CAUSE_MIMIC)
            kf_buf_puts(&line, " [needs a doctor]");
        kf_wrap(out, line.s, 2, width, 0);
        /* What the cause is: for the leader, the others keep to their why. */
        if (c->about && i == 0)
            kf_wrap(out, c->about, 5, width, 0);
        for (int k = 0; k < rk->n_reasons && k < 4; k++) {
            const kf_reason *re = &rk->reasons[k];
            line.len = 0;
            if (re->state == KF_ABSENT)
                kf_buf_printf(&line, "against: you said no to %s.", kb->findings[re->finding].label);
            else {
                kf_buf_puts(&line, "why: ");
                if (re->fact >= 0 && r->findings.v[re->fact].start >= 0 && text) {
                    quote_span(&line, text, &r->findings.v[re->fact]);
                    kf_buf_puts(&line, " -> ");
                }
                kf_buf_printf(&line, "%s. %s", kb->findings[re->finding].label, re->why);
            }
            kf_wrap(out, line.s, 5, width, 0);
        }
        if (rk->kept_by >= 0) {
            line.len = 0;
            kf_buf_printf(&line, "kept going by: %s.", kb->causes[rk->kept_by].name);
            kf_wrap(out, line.s, 5, width, 0);
        }
    }

    /* 3. Plan. */
    if (r->n_plan) {
        heading(out, r->triage >= KF_TRIAGE_SOON ? "What to do" : "Your self-care plan");
        for (int i = 0; i < r->n_plan; i++) {
            const kf_step *s = &r->plan[i];
            const kf_technique *t = &kb->techniques[s->technique];
            line.len = 0;
            kf_buf_printf(&line, "%d. %s (%s", i + 1, t->name, kf_tech_kind_name(t->kind));
            if (s->cause >= 0)
                kf_buf_printf(&line, ", for %s", kb->causes[s->cause].name);
            if (s->side)
                kf_buf_printf(&line, ", %s", s->side == KF_SIDE_BOTH ? "both sides" : kf_side_name(s->side));
            kf_buf_puts(&line, ")");
            kf_wrap(out, line.s, 2, width, 0);
            for (int k = 0; k < t->n_steps; k++) {
                line.len = 0;
                kf_buf_printf(&line, "%c) %s", 'a' + (k % 26), t->steps[k]);
                kf_wrap(out, line.s, 7, width, 0);
            }
            if (t->dose) {
                line.len = 0;
                kf_buf_printf(&line, "how long, how often: %s", t->dose);
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
    if (r->n_massage && r->triage < KF_TRIAGE_SOON) {
        heading(out, "For your massage therapist");
        kf_wrap(out, "Please work on these muscles, not only on the spot that hurts:", 2, width, 0);
        for (int i = 0; i < r->n_massage; i++) {
            line.len = 0;
            kf_buf_printf(&line, "- %s", kb->causes[r->massage[i]].name);
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
            const kf_finding_def *d = &kb->findings[q->screen[i]];
            json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "finding", d->id,
                "text", d->question ? d->question : d->label, "label", d->label));
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
        return json_pack("{s:s,s:s,s:s,s:f}", "kind", "finding",
            "finding", kb->findings[q->finding].id, "text", text, "gain", q->gain);
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

json_t *kf_result_json(const kf_kb *kb, const kf_result *r, const char *text)
{
    json_t *flags = json_array();
    for (int i = 0; i < r->n_flags; i++) {
        const kf_redflag *rf = &kb->redflags[r->flags[i]];
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
        json_array_append_new(understood, o);
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
        const char *adv = hypo_advice(hypo_level(kb, h));
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
    const char *msg = triage_banner(r->triage);
    json_t *res = json_pack("{s:s,s:{s:s,s:s,s:o},s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:s}",
        "kb_version", kb->version,
        "triage", "level", kf_triage_id(r->triage), "message", msg, "flags", flags,
        "understood", understood, "facts", facts, "causes", causes, "plan", plan,
        "massage", massage, "next_question", kf_question_json(kb, &r->next),
        "unrecognised", r->unrecognised, "approximate", r->approximate,
        "leader_clear", r->leader_clear, "disclaimer", kf_disclaimer);
    if (res)
        json_object_set_new(res, "hypothetical", hypo);
    else
        json_decref(hypo);
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
