/*
 * draft.c — the drafted reply of draft.h.
 *
 * A draft is a list of paragraphs, each with a worth: 0 for what it must
 * say (the greeting, the triage, the guess, the things to try, the
 * questions, the sign-off), higher for what may go when the draft is too
 * long (the thanks, the reminder that a knot is a symptom, the massage tip,
 * the long form of each step).  Paragraphs are dropped, least worth first,
 * until the draft has at most KF_DRAFT_MAX_WORDS words; a paragraph with a
 * short form is shortened instead of dropped.
 *
 * Every sentence template below is written for knotfinder; the KB supplies
 * the rest (chains, doses, red-flag messages, why a step is left out).
 * Phrasings are picked by a hash of the question's words (FNV-1a), so a
 * draft is deterministic.
 */
#include "draft.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journal.h"
#include "plan.h"
#include "render.h"
#include "text.h"
#include "triage.h"

/* ------------------------------------------------------------ words */

int kf_draft_words(const char *s)
{
    int n = 0;
    bool in = false, alnum = false;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); ; p++) {
        bool sp = *p == 0 || isspace(*p);
        if (sp) {
            if (in && alnum)
                n++;
            in = alnum = false;
            if (!*p)
                break;
        } else {
            in = true;
            alnum |= isalnum(*p) || *p >= 0x80;
        }
    }
    return n;
}

/* A red-flag check is said in a self-care draft only when the cause its rule
 * screens for is at least this likely (the engine's posterior): the checks
 * of a rule half met by the words alone (yellow skin for a knot that burns)
 * read as noise to a reader whose knot they do not concern.  At 0.10 (was
 * 0.05) the 580 descriptions of articles.jsonl and the reading sets carry
 * 347 check items instead of 397, in the same 268 drafts. */
#define KF_DRAFT_CHECK_P 0.10
/* A draft that already sends the person to a doctor keeps the lower bar:
 * there the checks say what would make it a call instead (pain on
 * breathing in a week after an operation), and cost no self-care. */
#define KF_DRAFT_SOON_CHECK_P 0.05

/* ------------------------------------------------------------ the document */

#define MAX_PARAS 40

typedef struct {
    kf_buf b;          /* the paragraph */
    kf_buf alt;        /* its short form, or empty */
    int    worth;      /* 0: always kept; higher goes first */
    int    then;       /* the worth of the short form once shortened (0: kept) */
    bool   tight;      /* joined to the one before by one newline (a list) */
    bool   inline_;    /* joined to the one before by a space (same paragraph) */
    bool   dropped;
} para;

typedef struct {
    para     v[MAX_PARAS];
    int      n;
    uint64_t h;        /* hash of the question's words */
    int      q2_para;  /* the paragraph of the second question, or -1 */
    int      q2_index; /* its index in kf_draft.questions */
    int      step_para[KF_DRAFT_MAX_STEPS];   /* the paragraph of each step */
    bool     oom;
    /* Who is in pain: the writer ("you"), or someone they write for ("your
     * husband", then "he"); the verbs agree with subj (plural: "you try",
     * "they try"; singular: "he tries"). */
    bool        other;
    char        noun[48];      /* "your husband"; "you" for the writer */
    const char *subj, *obj, *poss;
    bool        plural;
} doc;

/* The person in pain as the draft speaks of them, from the relation word
 * the reader found (findings.h: patient) and the sex it implies. */
static void doc_person(doc *d, const kf_findings *f)
{
    d->other = f->patient[0] != 0;
    d->subj = d->obj = "you";
    d->poss = "your";
    d->plural = true;
    snprintf(d->noun, sizeof d->noun, "you");
    if (!d->other)
        return;
    /* the colloquial and short words in plain form */
    static const char *const plain[][2] = {
        { "hubby", "husband" }, { "missus", "wife" }, { "misses", "wife" },
        { "bf", "boyfriend" }, { "gf", "girlfriend" }, { "boy", "son" }, { "lad", "son" },
        { "girl", "daughter" }, { "ma", "mother" }, { "pa", "father" }, { "mate", "friend" },
        { "buddy", "friend" }, { "kid", "child" }, { "teen", "teenager" },
        { "coworker", "colleague" }, { "neighbor", "neighbour" },
    };
    const char *w = f->patient;
    for (size_t i = 0; i < KF_ARRAY_LEN(plain); i++)
        if (!strcmp(w, plain[i][0]))
            w = plain[i][1];
    snprintf(d->noun, sizeof d->noun, "your %s", w);
    if (f->sex == 'm') {
        d->subj = "he"; d->obj = "him"; d->poss = "his"; d->plural = false;
    } else if (f->sex == 'f') {
        d->subj = "she"; d->obj = "her"; d->poss = "her"; d->plural = false;
    } else {
        d->subj = "they"; d->obj = "them"; d->poss = "their";
    }
}

/* The verb that agrees with the person in pain: "try" or "tries". */
static const char *verb(const doc *d, const char *plural, const char *singular)
{
    return d->plural ? plural : singular;
}

static para *add(doc *d, int worth, bool tight)
{
    if (d->n >= MAX_PARAS) {
        d->oom = true;   /* cannot happen with the paragraphs below */
        return NULL;
    }
    para *p = &d->v[d->n++];
    memset(p, 0, sizeof *p);
    kf_buf_init(&p->b);
    kf_buf_init(&p->alt);
    p->worth = worth;
    p->tight = tight;
    return p;
}

/* A paragraph of one formatted text. */
#define PARA(d, worth, ...) do { para *p_ = add((d), (worth), false); \
    if (p_) kf_buf_printf(&p_->b, __VA_ARGS__); } while (0)

static void doc_free(doc *d)
{
    for (int i = 0; i < d->n; i++) {
        kf_buf_free(&d->v[i].b);
        kf_buf_free(&d->v[i].alt);
    }
    d->n = 0;
}

static int doc_words(const doc *d)
{
    int n = 0;
    for (int i = 0; i < d->n; i++)
        if (!d->v[i].dropped)
            n += kf_draft_words(d->v[i].b.s);
    return n;
}

/* Drops or shortens paragraphs, least worth first (the later one of equal
 * worth first), until the draft fits; then joins them into `out`. */
static void doc_join(doc *d, kf_buf *out)
{
    while (doc_words(d) > KF_DRAFT_MAX_WORDS) {
        int pick = -1;
        for (int i = 0; i < d->n; i++)
            if (!d->v[i].dropped && d->v[i].worth > 0 &&
                (pick < 0 || d->v[i].worth >= d->v[pick].worth))
                pick = i;
        if (pick < 0)
            break;
        para *p = &d->v[pick];
        if (p->alt.len) {
            kf_buf t = p->b;
            p->b = p->alt;
            p->alt = t;
            p->alt.len = 0;
            p->worth = p->then;
        } else {
            p->dropped = true;
        }
    }
    bool first = true;
    for (int i = 0; i < d->n; i++) {
        const para *p = &d->v[i];
        d->oom |= p->b.oom || p->alt.oom;
        if (p->dropped || !p->b.len)
            continue;
        if (!first)
            kf_buf_puts(out, p->inline_ ? " " : p->tight ? "\n" : "\n\n");
        kf_buf_add(out, p->b.s, p->b.len);
        first = false;
    }
    kf_buf_puts(out, "\n");
}

/* A phrasing: one of n, by the question's hash and a salt per place. */
static int pick(const doc *d, unsigned salt, int n)
{
    uint64_t x = d->h ^ (0x9E3779B97F4A7C15ull * (salt + 1));
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return (int)(x % (uint64_t)n);
}

#define PICK(d, salt, arr) (arr)[pick((d), (salt), (int)KF_ARRAY_LEN(arr))]

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ------------------------------------------------------------ small words */

/* Appends `s` with its first letter in lower case (a KB sentence used in
 * the middle of one of ours), without a final full stop when `nostop`. */
static void add_lower(kf_buf *b, const char *s, bool nostop)
{
    if (!s)
        return;      /* a buffer that ran out of memory: the caller reports it */
    size_t n = strlen(s);
    if (nostop)
        while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
            n--;
    if (!n)
        return;
    /* keep "SCM", "I" and the like as written */
    bool acronym = n > 1 && isupper((unsigned char)s[1]);
    bool pronoun = s[0] == 'I' && (n == 1 || s[1] == ' ' || s[1] == '\'');
    char c = acronym || pronoun ? s[0] : (char)tolower((unsigned char)s[0]);
    kf_buf_add(b, &c, 1);
    kf_buf_add(b, s + 1, n - 1);
}

/* The first sentence of `s` (up to and including ". "), into b. */
static void first_sentence(kf_buf *b, const char *s)
{
    const char *e = strstr(s, ". ");
    kf_buf_add(b, s, e ? (size_t)(e - s + 1) : strlen(s));
}

/* "between the spine and the shoulder blade", "at the top of the shoulder". */
static void place_words(kf_buf *b, const char *label)
{
    /* "the top of the shoulder, between neck and shoulder point": the part
     * before the comma reads better in a sentence */
    size_t n = strcspn(label, ",:");
    /* "in" for the parts one is in pain in, "at" for a spot */
    static const char *const in[] = { "the head", "the lower back", "the middle of the back",
                                      "the chest", "the upper belly", "the jaw", "the buttock",
                                      "the forearm", "the lower belly", "the upper arm" };
    const char *prep = strncmp(label, "the ", 4) ? "" : "at ";
    for (size_t i = 0; i < KF_ARRAY_LEN(in); i++)
        if (!strncmp(label, in[i], strlen(in[i])))
            prep = "in ";
    kf_buf_printf(b, "%s%.*s", prep, (int)n, label);
}

static const char *side_words(kf_side s)
{
    return s == KF_SIDE_LEFT ? " on the left" : s == KF_SIDE_RIGHT ? " on the right"
         : s == KF_SIDE_BOTH ? " on both sides" : "";
}

/* The first non-mimic cause of a result, or -1. */
static int lead_cause(const kf_kb *kb, const kf_result *r, double *p)
{
    for (int i = 0; r && i < r->n_causes; i++)
        if (kb->causes[r->causes[i].cause].kind != KF_CAUSE_MIMIC) {
            if (p)
                *p = r->causes[i].p;
            return r->causes[i].cause;
        }
    return -1;
}

static const kf_ranked *ranked(const kf_result *r, int cause)
{
    for (int i = 0; i < r->n_causes; i++)
        if (r->causes[i].cause == cause)
            return &r->causes[i];
    return NULL;
}

/* The strongest link from `cause` to a place the person said hurts. */
static const kf_link *place_link(const kf_kb *kb, const kf_result *r, int cause)
{
    const kf_cause *c = &kb->causes[cause];
    const kf_link *best = NULL;
    for (int l = 0; l < c->n_links; l++) {
        const kf_link *ln = &kb->links[c->links[l]];
        if (kb->findings[ln->finding].region < 0 || !kf_findings_has(&r->used, ln->finding))
            continue;
        if (!best || ln->p > best->p)
            best = ln;
    }
    return best;
}

/* The chain behind the guess: the muscle that makes it hurt where it hurts,
 * and the habit keeping that muscle short (either may be -1). */
typedef struct {
    int lead;             /* the first non-mimic cause */
    double p;
    int muscle, habit;
    const kf_link *ln;    /* muscle (or lead) -> the place that hurts */
    const char *keeps_why;/* the habit -> muscle chain in words, or NULL */
} chain;

static chain find_chain(const kf_kb *kb, const kf_result *r)
{
    chain ch = { .lead = -1, .muscle = -1, .habit = -1 };
    ch.lead = lead_cause(kb, r, &ch.p);
    if (ch.lead < 0)
        return ch;
    const kf_cause *c = &kb->causes[ch.lead];
    if (c->kind == KF_CAUSE_MUSCLE) {
        ch.muscle = ch.lead;
        const kf_ranked *rk = ranked(r, ch.lead);
        ch.habit = rk ? rk->kept_by : -1;
    } else {
        ch.habit = ch.lead;
        double best = 0.2 * ch.p;
        for (int k = 0; k < c->n_keeps; k++) {
            int m = c->keeps[k];
            const kf_link *ln = place_link(kb, r, m);
            const kf_ranked *rk = ranked(r, m);
            double p = rk ? rk->p : r->post ? r->post[m] : 0;
            if (ln && p >= best) {
                best = p;
                ch.muscle = m;
            }
        }
    }
    ch.ln = place_link(kb, r, ch.muscle >= 0 ? ch.muscle : ch.lead);
    if (ch.habit >= 0 && ch.muscle >= 0) {
        const kf_cause *h = &kb->causes[ch.habit];
        for (int k = 0; k < h->n_keeps; k++)
            if (h->keeps[k] == ch.muscle && h->keeps_why && h->keeps_why[k])
                ch.keeps_why = h->keeps_why[k];
    }
    return ch;
}

/* The cause a guess names first: the chain's muscle, else its lead. */
static int chain_who(const kf_kb *kb, const kf_result *r)
{
    chain ch = find_chain(kb, r);
    return ch.muscle >= 0 ? ch.muscle : ch.lead;
}

/* ------------------------------------------------------------ the parts */

static const char *const hellos[] = { "Hi %s,", "Hello %s,", "Dear %s," };
static const char *const hellos_anon[] = { "Hello,", "Hi there,", "Hello and welcome," };
static const char *const thanks[] = {
    "Thank you for writing, and for describing it so carefully.",
    "Thanks for your question; the details you gave help a lot.",
    "Thank you for taking the time to write this out.",
};

static void greeting(doc *d, const char *name)
{
    if (name && *name)
        PARA(d, 0, PICK(d, 1, hellos), name);
    else
        PARA(d, 0, "%s", PICK(d, 1, hellos_anon));
}

/* What the person said, for a doctor or a phone call: the warning signs of
 * the leading rule first, then the other symptoms, then the places ("pain
 * at the jaw and in the lower back"); at most `max` items. */
static void said_list(const kf_kb *kb, const kf_result *r, int flag, int mimic, kf_buf *b,
                      int max)
{
    const kf_findings *f = &r->findings;
    int item[32], n = 0, places[8], np = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < f->n && n < max && n < 32; i++) {
            const kf_fact *x = &f->v[i];
            const kf_finding_def *d = &kb->findings[x->finding];
            if (x->state != KF_PRESENT)
                continue;
            if (d->region >= 0) {
                if (pass == 0 && np < 8)
                    places[np++] = d->region;
                continue;
            }
            /* only what bears on the warning: the leading rule's findings,
             * or (no rule) the findings the suspected cause produces */
            bool lead = flag >= 0 && kf_rule_names(&kb->redflags[flag], x->finding);
            bool linked = false;
            if (flag < 0 && mimic >= 0)
                for (int l = 0; l < kb->causes[mimic].n_links && !linked; l++)
                    linked = kb->links[kb->causes[mimic].links[l]].finding == x->finding;
            if ((pass == 0 && lead) || (pass == 1 && linked))
                item[n++] = x->finding;
        }
    int total = n + (np > 0);
    for (int i = 0; i < n; i++)
        kf_buf_printf(b, "%s%s", i == 0 ? "" : i == total - 1 ? " and " : ", ",
                      kb->findings[item[i]].label);
    if (np) {
        kf_buf_printf(b, "%spain ", n ? " and " : "");
        for (int i = 0; i < np && i < 3; i++) {
            if (i)
                kf_buf_puts(b, i == (np < 3 ? np : 3) - 1 ? " and " : ", ");
            place_words(b, kb->regions[places[i]].label);
        }
    }
}

/* Warning signs only asked or worried about: what to do if they come. */
static void worries(doc *d, const kf_kb *kb, const kf_result *r)
{
    const kf_findings *f = &r->findings;
    for (int i = 0, shown = 0; i < f->n_hypothetical && shown < 2; i++) {
        const char *adv = kf_hypo_advice(kb, f->hypothetical[i]);
        if (!adv)
            continue;
        para *p = add(d, 0, false);
        if (!p)
            return;
        kf_buf_printf(&p->b, "You asked about %s. You did not say %s %s it, but if %s %s, "
                      "%s.", kb->findings[f->hypothetical[i]].label, d->subj,
                      verb(d, "have", "has"), d->subj, verb(d, "do", "does"), adv);
        shown++;
    }
}

/* A finding's question as a sentence of the draft. */
static void question_words(const kf_kb *kb, int f, kf_buf *b)
{
    const kf_finding_def *d = &kb->findings[f];
    if (d->region >= 0) {
        /* the KB's "Do you also feel it here: PLACE?" as we would say it */
        kf_buf_puts(b, "Does it also hurt ");
        place_words(b, kb->regions[d->region].label);
        kf_buf_puts(b, "?");
        return;
    }
    kf_buf_puts(b, d->question ? d->question : d->label);
    if (!d->question)
        kf_buf_puts(b, "?");
}

static void keep_question(doc *d, kf_draft *out, int finding, const char *text)
{
    if (out->n_questions >= (int)KF_ARRAY_LEN(out->questions))
        return;
    kf_draft_q *q = &out->questions[out->n_questions];
    q->text = kf_strdup(text ? text : "");
    if (!q->text) {
        d->oom = true;
        return;
    }
    q->finding = finding;
    out->n_questions++;
}

/* Defined below, with the self-care draft that uses them too. */
static int specific_screen(doc *d, const kf_kb *kb, const kf_result *r, int *top,
                           int *late, int max, int *nl, double bar);
static void checks(const doc *d, const kf_kb *kb, const int *em, int ne, const int *dr, int nd,
                   kf_buf *b);

/* doctor_soon: what else to tell the doctor, and what would make it a call
 * instead: the checks that would make another rule fire (a red, hot area
 * after an operation), by that rule's level. */
static void soon_checks(doc *d, const kf_kb *kb, const kf_result *r)
{
    int top[4], late[4], nl = 0;
    int n = specific_screen(d, kb, r, top, late, 4, &nl, KF_DRAFT_SOON_CHECK_P);
    for (int i = 0; i < nl && n < 4; i++)
        top[n++] = late[i];
    int em[4], ne = 0, tell[4], nt = 0;
    int *fl = kf_malloc((size_t)(kb->n_redflags + 1) * sizeof *fl);
    if (!fl) {
        d->oom = true;
        return;
    }
    for (int i = 0; i < n; i++) {
        kf_findings g;
        if (kf_findings_copy(&g, &r->used) != KF_OK) {
            d->oom = true;
            break;
        }
        kf_fact x = { .finding = top[i], .state = KF_PRESENT, .origin = KF_FROM_ANSWER,
                      .alt = -1, .start = -1 };
        if (kf_findings_add(&g, &x) < 0)
            d->oom = true;
        int nf = kf_triage_flags(kb, &g, fl);
        kf_triage lv = KF_TRIAGE_SELF_CARE;
        for (int k = 0; k < nf; k++) {
            bool had = false;
            for (int j = 0; j < r->n_fired && !had; j++)
                had = r->fired[j] == fl[k];
            if (!had && kb->redflags[fl[k]].level > lv)
                lv = kb->redflags[fl[k]].level;
        }
        if (lv == KF_TRIAGE_EMERGENCY)
            em[ne++] = top[i];
        else if (lv >= KF_TRIAGE_SOON)
            tell[nt++] = top[i];
        kf_findings_free(&g);
    }
    kf_free(fl);
    para *p = (ne || nt) ? add(d, 1, false) : NULL;
    if (!p)
        return;
    if (nt) {
        kf_buf_printf(&p->b, "Also tell the doctor if %s is true for %s (",
                      nt == 1 ? "this" : "any of these", d->obj);
        for (int i = 0; i < nt; i++)
            kf_buf_printf(&p->b, "%s%s", i ? "; " : "", kb->findings[tell[i]].label);
        kf_buf_puts(&p->b, ").");
    }
    if (ne) {
        kf_buf_printf(&p->b, "%s%s is true for %s (", nt ? " And if " : "If ",
                      ne == 1 ? "this" : "any of these", d->obj);
        for (int i = 0; i < ne; i++)
            kf_buf_printf(&p->b, "%s%s", i ? "; " : "", kb->findings[em[i]].label);
        kf_buf_puts(&p->b, "), call emergency services now (112, 911 or 999).");
    }
}

/* Emergency and doctor_soon: the warning first and plainly, why, what to
 * tell the doctor; no self-care step. */
static void urgent(doc *d, const kf_kb *kb, const kf_result *r, kf_draft *out)
{
    bool emer = r->triage == KF_TRIAGE_EMERGENCY;
    int flag = r->n_flags ? r->flags[0] : -1;
    int mimic = flag >= 0 ? kb->redflags[flag].mimic : r->raised_by;
    out->flag = flag;
    para *p = add(d, 0, false);
    if (!p)
        return;
    if (emer) {
        static const char *const open[] = {
            "Please don't wait for my answer on this one.",
            "I have to put one thing ahead of everything else.",
            "Before anything about knots, the most important part.",
        };
        kf_buf_printf(&p->b, "%s ", PICK(d, 2, open));
        if (flag >= 0)
            kf_buf_puts(&p->b, kb->redflags[flag].message);
        else
            kf_buf_puts(&p->b, kf_triage_banner(r->triage));
        /* the rule's message speaks to the one in pain ("do not drive
         * yourself"); for someone else, the writer is told too */
        if (d->other)
            kf_buf_printf(&p->b, " Do not let %s drive, and call rather than drive %s in "
                          "yourself.", d->obj, d->obj);
        else if (!strstr(p->b.s ? p->b.s : "", "drive"))
            kf_buf_puts(&p->b, " Do not drive yourself.");
        PARA(d, 0, "If you are not sure it is serious, call anyway: the people who answer "
             "would much rather check and find it is nothing than see you too late.");
    } else {
        /* no time here when a rule speaks: its message says how soon
         * ("today", "in the next few days") and must not be contradicted */
        static const char *const open[] = {
            "Before anything else: please see a doctor%s before you try any self-help on "
            "this area.",
            "First things first: I'd like a doctor to see you%s before you do any "
            "self-help on this spot.",
            "The most important part first: please have a doctor look at this%s and leave "
            "self-help on this area until then.",
        };
        static const char *const open_other[] = {
            "Before anything else: %s should see a doctor%s before any self-help on this "
            "area.",
            "First things first: I'd like a doctor to see %s%s before any self-help on this "
            "spot.",
            "The most important part first: please have a doctor look at this%s and leave "
            "self-help on this area until then.",
        };
        int k = pick(d, 2, (int)KF_ARRAY_LEN(open));
        const char *when = flag >= 0 ? "" : " in the next few days,";
        if (!d->other)
            kf_buf_printf(&p->b, open[k], when);
        else if (k == 2)
            kf_buf_printf(&p->b, open_other[k], when);
        else
            kf_buf_printf(&p->b, open_other[k], d->noun, when);
        kf_buf_puts(&p->b, " ");
        if (flag >= 0) {
            kf_buf_puts(&p->b, kb->redflags[flag].message);
            /* the other warning sign said, as the answer shows it (a past
             * cancer beside the night pain that leads) */
            int shown[2];
            int n_shown = kf_triage_shown(kb, r, shown, 2);
            for (int i = 1; i < n_shown; i++)
                kf_buf_printf(&p->b, " %s", kb->redflags[shown[i]].message);
        } else if (mimic >= 0) {
            char nm[256];
            kf_cause_plain(kb, mimic, nm, sizeof nm);
            kf_buf_printf(&p->b, "What you describe fits %s better than a muscle knot.", nm);
        }
    }
    if (mimic >= 0 && kb->causes[mimic].about) {
        p = add(d, 0, false);
        if (p) {
            static const char *const why[] = { "Why I say this: ", "The reason: ",
                                               "Here is why: " };
            kf_buf_puts(&p->b, PICK(d, 3, why));
            kf_buf fs;
            kf_buf_init(&fs);
            first_sentence(&fs, kb->causes[mimic].about);
            add_lower(&p->b, fs.s ? fs.s : "", false);
            d->oom |= fs.oom;
            kf_buf_free(&fs);
            kf_buf_puts(&p->b, emer ? " That is not a job for a tennis ball or a stretch."
                                    : " That is for a doctor to sort out; the muscles can "
                                      "wait until it is ruled out.");
        }
    }
    p = add(d, 0, false);
    if (p) {
        kf_buf_printf(&p->b, "%s what you told me: ", emer ? "When you call, tell them"
                                                           : "Tell the doctor");
        said_list(kb, r, flag, mimic, &p->b, 4);
        if (r->findings.age >= 0)
            kf_buf_printf(&p->b, ", at %d", r->findings.age);
        kf_buf_puts(&p->b, ".");
    }
    if (!emer)
        soon_checks(d, kb, r);
    worries(d, kb, r);
    double lp = 0;
    int lead = lead_cause(kb, r, &lp);
    if (!emer && lead >= 0) {
        p = add(d, 3, false);
        if (p) {
            char nm[256];
            kf_cause_plain(kb, lead, nm, sizeof nm);
            kf_buf_printf(&p->b, "Once the doctor has ruled that out, my best long-distance "
                          "guess for the muscle side would be %s, and we can work on it "
                          "together then.", nm);
        }
    }
    p = add(d, 0, false);
    if (p) {
        if (emer)
            kf_buf_printf(&p->b, "Please leave the tennis ball, the stretches and the rest "
                          "of the course until %s %s been checked. Once a doctor has ruled "
                          "this out, write to me again and we will look at the muscles "
                          "together.", d->subj, verb(d, "have", "has"));
        else {
            kf_buf_puts(&p->b, "Will you let me know what the doctor finds? Then we can "
                        "pick up from there.");
            keep_question(d, out, -1, "Will you let me know what the doctor finds?");
        }
    }
}

/* Whether words the reader understood nothing of are only thanks: a word of
 * thanks, no question mark, nothing that sounds like pain, a problem or a
 * denial ("thanks, but it didn't help"), and short. */
static bool thanks_only(const char *text, size_t len)
{
    static const char *const thanks_w[] = {
        "thank", "thanks", "thankyou", "thx", "grateful", "gratitude", "appreciate",
        "appreciated", "cheers", "kudos", NULL
    };
    static const char *const complaint[] = {
        "hurt", "hurts", "hurting", "pain", "painful", "pains", "ache", "aches", "aching",
        "sore", "worse", "worst", "still", "but", "however", "though", "although", "help",
        "advice", "suggest", "problem", "problems", "question", "numb", "tingling", "cant",
        "cannot", "not", "no", "never", "dont", "doesnt", "didnt", "wont", "isnt", "stiff",
        "tight", "spasm", "spasms", "knot", "knots", "why", "how", "what", "should", "could",
        "worried", "worry", "scared", "again", "back", "neck", "shoulder", NULL
    };
    if (memchr(text, '?', len))
        return false;
    bool thanked = false;
    int words = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && !isalpha((unsigned char)text[i]))
            i++;
        char w[24];
        size_t n = 0;
        while (i < len && (isalpha((unsigned char)text[i]) || text[i] == '\'' ||
                           (unsigned char)text[i] >= 0x80)) {
            /* apostrophes (also the curly one's bytes) are left out */
            if (isalpha((unsigned char)text[i]) && n + 1 < sizeof w)
                w[n++] = (char)tolower((unsigned char)text[i]);
            i++;
        }
        if (!n)
            continue;
        w[n] = '\0';
        words++;
        for (int k = 0; complaint[k]; k++)
            if (!strcmp(w, complaint[k]))
                return false;
        for (int k = 0; thanks_w[k]; k++)
            thanked |= !strncmp(w, thanks_w[k], strlen(thanks_w[k]));
    }
    return thanked && words <= 60;
}

/* A thank-you: thanks back, how is it going, what to do if it returns. */
static void thanked(doc *d, kf_draft *out)
{
    static const char *const back[] = {
        "Thank you for writing, and you're welcome! I'm so glad it helped.",
        "Thank you for letting me know; it's lovely to hear it helped.",
        "You're very welcome, and thank you for taking the time to tell me.",
    };
    PARA(d, 0, "%s", PICK(d, 2, back));
    static const char *const how[] = {
        "How is it going now? When the knot eases, does the relief last for days, or does "
        "it creep back within a few hours?",
        "How are things now? Is the knot staying away for days at a time, or does it come "
        "back within hours?",
    };
    int k = pick(d, 3, (int)KF_ARRAY_LEN(how));
    PARA(d, 0, "%s", how[k]);
    keep_question(d, out, -1, how[k]);
    PARA(d, 0, "Relief that lasts only hours means the muscle that starts it is somewhere "
         "else, so if it comes back, write again with where exactly it hurts, on which side, "
         "and what you do most of the day, and we'll look for the cause together.");
    PARA(d, 0, "And if anything new appears, or the pain becomes severe, please see a doctor "
         "rather than wait for me.");
    PARA(d, 0, "%s", PICK(d, 8, ((const char *const[]){ "Take good care,", "Wishing you well,",
                                                       "Take care," })));
}

/* Nothing understood: no guess, the screen questions and "where". */
static void unscreened(doc *d, const kf_kb *kb, const kf_result *r, kf_draft *out)
{
    static const char *const open[] = {
        "I couldn't find enough in your words to tell whether anything here needs a "
        "doctor, so I won't guess yet.",
        "From what you wrote I can't yet tell whether this needs a doctor, so before any "
        "guess I need a little more.",
    };
    PARA(d, 0, "%s", PICK(d, 2, open));
    para *p = add(d, 0, false);
    kf_triage worst = KF_TRIAGE_SELF_CARE;
    if (p && r->n_screen) {
        kf_buf_printf(&p->b, "First, does any of these apply to %s right now?", d->noun);
        kf_buf line;
        kf_buf_init(&line);
        for (int i = 0; i < r->n_screen; i++) {
            para *q = add(d, 0, true);
            if (!q)
                break;
            line.len = 0;
            question_words(kb, r->screen[i], &line);
            kf_buf_printf(&q->b, "- %s", line.s ? line.s : "");
            keep_question(d, out, r->screen[i], line.s ? line.s : "");
            for (int k = 0; k < kb->n_redflags; k++) {
                const kf_redflag *rf = &kb->redflags[k];
                for (int a = 0; a < rf->n_all; a++)
                    if (rf->all[a] == r->screen[i] && rf->level > worst)
                        worst = rf->level;
                for (int a = 0; a < rf->n_any; a++)
                    if (rf->any[a] == r->screen[i] && rf->level > worst)
                        worst = rf->level;
            }
        }
        d->oom |= line.oom;
        kf_buf_free(&line);
        PARA(d, 0, "If any of them is a yes, %s before anything else.",
             worst == KF_TRIAGE_EMERGENCY ? "call emergency services now (112, 911 or 999)"
                                          : "please see a doctor");
    }
    worries(d, kb, r);
    PARA(d, 0, "If none of them applies, tell me where exactly it hurts (between the "
         "shoulder blade and the spine, on top of the shoulder, under the arm?), on which "
         "side, and what %s %s most of the day: desk work, a phone, lifting, how %s "
         "%s. With that I can make a real guess.", d->subj, verb(d, "do", "does"), d->subj,
         verb(d, "sleep", "sleeps"));
    keep_question(d, out, -1, "Where exactly does it hurt, on which side, and what do you "
                  "do most of the day?");
}

/* Whether asking about check `f` would contradict what the person said,
 * so that the check cannot be true of them and only reads as not listened
 * to:
 *   - a sudden start (sudden_onset) for a complaint said to go on for months
 *     or years, or to keep coming back (chronic, knot_recurring, a duration
 *     of 90 days or more);
 *   - a place on one side (a label naming "right" or "left": "under the
 *     right ribs") when every sided place that hurts is on the other side.
 * Only these two: a check is dropped on a plain contradiction, never on a
 * guess that it is unlikely. */
static bool contradicts(const kf_kb *kb, const kf_result *r, int f)
{
    const kf_findings *fs = &r->findings;
    const char *id = kb->findings[f].id;
    if (!strcmp(id, "sudden_onset")) {
        int ch = kf_kb_finding(kb, "chronic"), rec = kf_kb_finding(kb, "knot_recurring");
        if ((ch >= 0 && kf_findings_has(fs, ch)) || (rec >= 0 && kf_findings_has(fs, rec)) ||
            fs->duration_days >= 90)
            return true;
    }
    const char *label = kb->findings[f].label;
    kf_side named = KF_SIDE_NONE;
    for (const char *p = label; p && *p; p++) {
        bool start = p == label || !isalpha((unsigned char)p[-1]);
        if (!start)
            continue;
        if (!strncmp(p, "right", 5) && !isalpha((unsigned char)p[5]))
            named |= KF_SIDE_RIGHT;
        if (!strncmp(p, "left", 4) && !isalpha((unsigned char)p[4]))
            named |= KF_SIDE_LEFT;
    }
    if (named == KF_SIDE_LEFT || named == KF_SIDE_RIGHT) {
        unsigned said = 0;
        for (int i = 0; i < fs->n; i++)
            if (fs->v[i].state == KF_PRESENT && kb->findings[fs->v[i].finding].region >= 0)
                said |= fs->v[i].side;
        if (said && !(said & named))
            return true;
    }
    return false;
}

/* Keeps the `max` heaviest checks in v (w their weights, *n of them),
 * heaviest first and in arrival order on a tie: the checks of the likeliest
 * causes come first (a week after an operation, the clot's before the
 * heart's), and the least likely drops out past `max`. */
static void put_check(int *v, double *w, int *n, int max, int f, double wf)
{
    int at = *n < max ? (*n)++ : max;
    while (at > 0 && w[at - 1] < wf) {
        if (at < max) {
            v[at] = v[at - 1];
            w[at] = w[at - 1];
        }
        at--;
    }
    if (at < max) {
        v[at] = f;
        w[at] = wf;
    }
}

/* The red-flag checks that what was said opens (not the emergencies
 * everyone is asked about), up to `max` each: `top` those that would
 * complete a rule half met by what was said, `late` the routine checks of
 * the screened rules (fever, weight loss for back pain), said near the end.
 * Returns the count of `top`; *nl gets that of `late`. */
static int specific_screen(doc *d, const kf_kb *kb, const kf_result *r, int *top,
                           int *late, int max, int *nl, double bar)
{
    int *all = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *all);
    int *base = kf_malloc((size_t)(kb->n_findings + 1) * sizeof *base);
    double *weight = kf_malloc((size_t)(2 * max + 2) * sizeof *weight);
    double *lweight = weight ? weight + max + 1 : NULL;
    int nt = 0;
    *nl = 0;
    if (all && base && weight) {
        kf_findings none;
        kf_findings_init(&none);
        int na = kf_triage_screen(kb, &r->used, all, kb->n_findings);
        int nb = kf_triage_screen(kb, &none, base, kb->n_findings);
        for (int i = 0; i < na; i++) {
            bool common = false, routine = false;
            for (int k = 0; k < nb && !common; k++)
                common = base[k] == all[i];
            for (int k = 0; k < kb->n_redflags && !routine; k++)
                routine = kb->redflags[k].screen && kf_rule_names(&kb->redflags[k], all[i]);
            /* only a check that bears on a cause still in question: a rule
             * naming it screens for a mimic at least `bar` likely; its
             * weight is the likeliest such mimic's */
            bool bears = false;
            double w = 0;
            for (int k = 0; k < kb->n_redflags && r->post; k++) {
                const kf_redflag *rf = &kb->redflags[k];
                if (rf->level >= KF_TRIAGE_SOON && kf_rule_names(rf, all[i]) &&
                    (rf->mimic < 0 || r->post[rf->mimic] >= bar)) {
                    bears = true;
                    double p = rf->mimic < 0 ? bar : r->post[rf->mimic];
                    if (p > w)
                        w = p;
                }
            }
            /* a warning sign to look for, not a risk (smoking, pregnancy):
             * "if you smoke, see a doctor first" would be wrong */
            kf_finding_kind kd = kb->findings[all[i]].kind;
            if (common || !bears || (kd != KF_FIND_REDFLAG && kd != KF_FIND_SYMPTOM) ||
                contradicts(kb, r, all[i]))
                continue;
            if (routine)
                put_check(late, lweight, nl, max, all[i], w);
            else
                put_check(top, weight, &nt, max, all[i], w);
        }
    }
    d->oom |= !all || !base || !weight;
    kf_free(all);
    kf_free(base);
    kf_free(weight);
    return nt;
}

/* "Before you try anything: if this is true for you (...), call emergency
 * services now ... And if any of these is true for you (...), please see a
 * doctor first." */
static void checks(const doc *d, const kf_kb *kb, const int *em, int ne, const int *dr, int nd,
                   kf_buf *b)
{
    kf_buf_printf(b, "Before %s %s anything:", d->subj, verb(d, "try", "tries"));
    for (int g = 0; g < 2; g++) {
        const int *v = g ? dr : em;
        int n = g ? nd : ne;
        if (!n)
            continue;
        kf_buf_printf(b, " %s %s is true for %s (", g && ne ? "And if" : "if",
                      n == 1 ? "this" : "any of these", d->obj);
        for (int i = 0; i < n; i++)
            kf_buf_printf(b, "%s%s", i ? "; " : "", kb->findings[v[i]].label);
        if (g && d->other)
            kf_buf_printf(b, "), %s should see a doctor first.", d->subj);
        else
            kf_buf_puts(b, g ? "), please see a doctor first." :
                               "), call emergency services now (112, 911 or 999).");
    }
}

/* The triage this person would get if finding `f` were present too. */
static kf_err check_level(const kf_kb *kb, const kf_result *r, int f, kf_triage *lv)
{
    kf_findings g;
    if (kf_findings_copy(&g, &r->used) != KF_OK)
        return KF_ENOMEM;
    kf_fact x = { .finding = f, .state = KF_PRESENT, .origin = KF_FROM_ANSWER, .alt = -1,
                  .start = -1 };
    kf_err e = kf_findings_add(&g, &x) < 0 ? KF_ENOMEM : kf_triage_level(kb, &g, lv);
    kf_findings_free(&g);
    return e;
}

/* Relief evidence: a technique tried whose relief did not last (journal),
 * or "it comes back within hours" said in words. */
typedef struct {
    int    tech;          /* the technique with short relief (journal), or -1 */
    double hours;         /* its mean relief, or -1 */
    bool   said;          /* relief_short present (words or journal) */
    int    lasting_tech;  /* a technique whose relief lasted, or -1 */
} relief;

static relief find_relief(const kf_kb *kb, const kf_result *r, const kf_revision *rev)
{
    relief rl = { .tech = -1, .hours = -1, .lasting_tech = -1 };
    int rs = kf_kb_finding(kb, "relief_short");
    rl.said = rs >= 0 && kf_findings_has(&r->used, rs);
    for (int i = 0; rev && i < rev->fu.n_techs; i++) {
        const kf_tech_record *t = &rev->fu.techs[i];
        if (t->short_relief > t->lasting && rl.tech < 0) {
            rl.tech = t->technique;
            rl.hours = t->relief_n ? t->relief_sum / t->relief_n : -1;
        } else if (t->lasting > t->short_relief && t->lasting > 0 && rl.lasting_tech < 0)
            rl.lasting_tech = t->technique;
    }
    return rl;
}

/* The cause the guess would name without the relief evidence said in words
 * (relief_short and relief_after_* facts taken out), or -1. */
static int lead_without_relief(const kf_kb *kb, const kf_result *r, kf_err *e)
{
    kf_findings f;
    kf_findings_init(&f);
    f.age = r->findings.age;
    f.weeks_pregnant = r->findings.weeks_pregnant;
    f.duration_days = r->findings.duration_days;
    f.dominant = r->findings.dominant;
    f.sex = r->findings.sex;
    for (int i = 0; i < r->findings.n; i++) {
        const char *id = kb->findings[r->findings.v[i].finding].id;
        if (strcmp(id, "relief_short") && strncmp(id, "relief_after_", 13))
            kf_findings_add(&f, &r->findings.v[i]);
    }
    int lead = -1;
    kf_result *b = f.oom ? NULL : kf_consult(kb, &f);
    if (!b)
        *e = KF_ENOMEM;
    else
        lead = chain_who(kb, b);
    kf_result_free(b);
    kf_findings_free(&f);
    return lead;
}

static void hours_words(kf_buf *b, double h)
{
    if (h < 1)
        kf_buf_printf(b, "%.0f minutes", h * 60);
    else if (h < 1.5)
        kf_buf_puts(b, "an hour");
    else
        kf_buf_printf(b, "%.0f hours", h);
}

/* Whether `text` names the muscle of `plain` ("the lat (latissimus dorsi)"):
 * its everyday name ("lat"), as a whole word.  Sets *latin to the name in
 * brackets ("latissimus dorsi", n bytes), or NULL. */
static bool names_muscle(const char *text, const char *plain, const char **latin, int *ln)
{
    const char *w = strncmp(plain, "the ", 4) ? plain : plain + 4;
    const char *br = strstr(w, " (");
    size_t wl = br ? (size_t)(br - w) : strlen(w);
    *latin = NULL;
    *ln = 0;
    if (br) {
        const char *e = strchr(br + 2, ')');
        if (e && e > br + 2) {
            *latin = br + 2;
            *ln = (int)(e - (br + 2));
        }
    }
    if (!text || wl < 3)
        return false;
    for (const char *p = text; *p; p++) {
        if (strncasecmp(p, w, wl))
            continue;
        bool start = p == text || !isalpha((unsigned char)p[-1]);
        bool end = !isalpha((unsigned char)p[wl]);
        if (start && end)
            return true;
    }
    return false;
}

/* The guess: the cause and its chain, why it moved (short relief). */
static void guess(doc *d, const kf_kb *kb, const kf_result *r, const chain *ch,
                  const relief *rl, int before, kf_draft *out)
{
    char mn[256], hn[256], ln_[256];
    /* Short relief first: why the guess is not the obvious one. */
    int who0 = ch->muscle >= 0 ? ch->muscle : ch->lead;
    if (ch->lead >= 0 && (rl->said || rl->tech >= 0)) {
        para *q = add(d, 0, false);
        if (!q)
            return;
        /* what the step tried works on: that is the suspect set aside */
        if (rl->tech >= 0) {
            const kf_technique *t = &kb->techniques[rl->tech];
            if (!t->sore_spot && t->n_works_on && t->works_on[0] != who0)
                before = t->works_on[0];
        }
        bool moved = before >= 0 && before != ch->lead && before != who0;
        if (moved)
            kf_cause_plain(kb, before, ln_, sizeof ln_);
        if (rl->tech >= 0) {
            char tn[256];
            kf_technique_short(kb, rl->tech, tn, sizeof tn);
            kf_buf_printf(&q->b, "You wrote that %s helped", tn);
            if (rl->hours >= 0) {
                kf_buf_puts(&q->b, " for only about ");
                hours_words(&q->b, rl->hours);
            } else
                kf_buf_puts(&q->b, " only for a few hours");
            kf_buf_puts(&q->b, ". ");
        } else
            kf_buf_puts(&q->b, "You say the relief doesn't last. ");
        /* the short form, for a draft that is too long: the same facts in
         * one sentence */
        if (q->b.s)
            kf_buf_add(&q->alt, q->b.s, q->b.len);
        kf_buf_puts(&q->alt, "Relief lasting only hours points past the sore spot");
        if (moved)
            kf_buf_printf(&q->alt, ", so I've moved on from %s to the next suspect.", ln_);
        else
            kf_buf_puts(&q->alt, ".");
        q->worth = 2;
        kf_buf_puts(&q->b, "Relief lasting only hours means the work reached the muscle "
                    "that complains, not the one that keeps pulling it tight");
        if (moved && rl->tech >= 0) {
            kf_buf_printf(&q->b, ", so %s is probably not what keeps it coming back, and "
                          "I've moved on to the next suspect.", ln_);
            out->moved_from = before;
        } else if (moved) {
            kf_buf_printf(&q->b, ". Without that clue my first suspect would have been %s, "
                          "but relief that fades so quickly sends me on to the next one.", ln_);
            out->moved_from = before;
        } else
            kf_buf_puts(&q->b, ", so I'm looking past the sore spot itself.");
    }
    para *p = add(d, 0, false);
    if (!p || ch->lead < 0)
        return;
    out->cause = ch->muscle >= 0 ? ch->muscle : ch->lead;
    static const char *const intro[] = {
        "My best long-distance guess", "Here is my best long-distance guess",
        "From here, my best long-distance guess",
    };
    int ik = pick(d, 4, (int)KF_ARRAY_LEN(intro));
    kf_buf_puts(&p->b, intro[ik]);
    /* "Here is my best guess is ..." would not be English */
    const char *is = strncmp(intro[ik], "Here is", 7) ? " is " : ": ";
    int who = ch->muscle >= 0 ? ch->muscle : ch->lead;
    kf_cause_plain(kb, who, mn, sizeof mn);
    const kf_ranked *rk = ranked(r, who);
    const char *side = rk && kb->causes[who].kind == KF_CAUSE_MUSCLE ? side_words(rk->side) : "";
    kf_buf place;
    kf_buf_init(&place);
    if (ch->ln)
        place_words(&place, kb->regions[kb->findings[ch->ln->finding].region].label);
    const char *pl = place.s ? place.s : "";
    /* The KB's chain names the muscle itself ("because the lat on the other
     * side ..."): say where it shows up, let the chain name the muscle, and
     * close with its full name and side, not "the lat ... because the lat". */
    const char *latin = NULL;
    int latin_n = 0;
    bool chain_names = ch->ln && ch->ln->why && ch->muscle >= 0 &&
                       (ch->ln->mech == KF_MECH_PULLS || ch->ln->mech == KF_MECH_REFERS) &&
                       names_muscle(ch->ln->why, mn, &latin, &latin_n);
    if (chain_names) {
        static const char *const shows[] = {
            ": the knot %s is where the complaint shows up, not where it starts.",
            ": the knot %s is the symptom; the cause sits elsewhere.",
            ": the knot %s is only where it shows up.",
        };
        static const char *const refers[] = {
            ": the pain %s is being sent there from somewhere else.",
            ": the pain %s is referred, not made where you feel it.",
        };
        if (ch->ln->mech == KF_MECH_PULLS)
            kf_buf_printf(&p->b, PICK(d, 10, shows), pl);
        else
            kf_buf_printf(&p->b, PICK(d, 10, refers), pl);
        kf_buf_puts(&p->b, " ");
        kf_buf_puts(&p->b, ch->ln->why);
        const char *sw = side_words(side[0] ? rk->side : KF_SIDE_NONE);
        if (latin) {
            static const char *const named[] = {
                " In full, that is the %.*s%s, and it is where I'd start.",
                " So the muscle to work on is the %.*s%s.",
            };
            kf_buf_printf(&p->b, PICK(d, 11, named), latin_n, latin, sw);
        } else if (*sw)
            kf_buf_printf(&p->b, " So I'd start with the one%s.", sw);
    } else if (ch->ln && ch->muscle >= 0 && ch->ln->mech == KF_MECH_PULLS)
        kf_buf_printf(&p->b, ": the knot %s is where the complaint shows up, not where it "
                      "starts, and the pull comes from %s%s.", pl, mn, side);
    else if (ch->ln && ch->muscle >= 0 && ch->ln->mech == KF_MECH_REFERS)
        kf_buf_printf(&p->b, ": the pain %s is being sent there by %s%s.", pl, mn, side);
    else if (ch->ln && ch->muscle >= 0 && ch->ln->mech == KF_MECH_LOCAL)
        kf_buf_printf(&p->b, ": this looks like one of the times the knot really is where "
                      "it hurts, in %s%s itself.", mn, side);
    else if (kb->causes[who].kind == KF_CAUSE_HABIT) {
        /* a habit with no muscle tied to the place that hurts: the muscle
         * it keeps tightest, and how */
        int km = -1, kk = -1;
        double best = 0;
        const kf_cause *hc = &kb->causes[who];
        for (int k = 0; k < hc->n_keeps; k++) {
            double pk = r->post ? r->post[hc->keeps[k]] : 0;
            if (km < 0 || pk > best) {
                km = hc->keeps[k];
                kk = k;
                best = pk;
            }
        }
        kf_buf_printf(&p->b, "%s%s", is, mn);
        if (km >= 0) {
            kf_cause_plain(kb, km, hn, sizeof hn);
            kf_buf_printf(&p->b, ", which keeps %s tight", hn);
            if (hc->keeps_why && hc->keeps_why[kk]) {
                kf_buf_puts(&p->b, ": ");
                add_lower(&p->b, hc->keeps_why[kk], false);
            } else
                kf_buf_puts(&p->b, ".");
        } else
            kf_buf_puts(&p->b, ".");
    } else {
        kf_buf_printf(&p->b, "%s%s.", is, mn);
        if (kb->causes[who].about) {
            kf_buf_puts(&p->b, " ");
            first_sentence(&p->b, kb->causes[who].about);
        }
    }
    if (ch->ln && ch->ln->why && !chain_names) {
        kf_buf_puts(&p->b, " ");
        kf_buf_puts(&p->b, ch->ln->why);
    }
    if (ch->habit >= 0 && ch->habit != who) {
        kf_cause_plain(kb, ch->habit, hn, sizeof hn);
        kf_buf_printf(&p->b, " What keeps it going is most likely %s", hn);
        /* the short form names the habit without its chain */
        if (p->b.s)
            kf_buf_add(&p->alt, p->b.s, p->b.len);
        kf_buf_puts(&p->alt, ".");
        p->worth = 2;
        if (ch->keeps_why) {
            kf_buf_puts(&p->b, ": ");
            add_lower(&p->b, ch->keeps_why, false);
        } else
            kf_buf_puts(&p->b, ".");
    }
    d->oom |= place.oom;
    kf_buf_free(&place);
    if (ch->p < 0.5 && !p->b.oom) {
        /* the short form leaves out the hedge too */
        if (!p->alt.len && p->b.s)
            kf_buf_add(&p->alt, p->b.s, p->b.len);
        p->worth = 2;
        kf_buf_puts(&p->b, " I'm not certain of it yet, which is why I ask below.");
    }

    if (rl->lasting_tech >= 0) {
        char tn[256];
        kf_technique_short(kb, rl->lasting_tech, tn, sizeof tn);
        PARA(d, 2, "Keep going with %s: relief that lasts a day or more says it is "
             "reaching the cause.", tn);
    }
}

/* Two or three things to try, from the plan's first steps for this person. */
static void steps(doc *d, const kf_kb *kb, const kf_result *r, kf_draft *out)
{
    /* The plan's first steps, then the rest of the plan in its order (both
     * already fit this person); a second step of the same kind on the same
     * muscle (two releases of the serratus) gives way to the next step of
     * another kind, so the two or three things differ, unless nothing else
     * is there. */
    int cand[KF_PLAN_ROOM + 3], nc = 0, idx[KF_DRAFT_MAX_STEPS], n = 0;
    for (int i = 0; i < r->n_first; i++)
        cand[nc++] = r->first[i];
    for (int i = 0; i < r->n_plan && nc < (int)KF_ARRAY_LEN(cand); i++)
        cand[nc++] = i;
    for (int pass = 0; pass < 2; pass++)
        for (int c = 0; c < nc && n < (pass ? 2 : KF_DRAFT_MAX_STEPS); c++) {
            const kf_step *s = &r->plan[cand[c]];
            const kf_technique *t = &kb->techniques[s->technique];
            bool skip = t->kind == KF_TECH_DOCTOR || (c >= r->n_first && n >= r->n_first &&
                                                      n >= 2);
            for (int k = 0; k < n && !skip; k++) {
                const kf_step *o = &r->plan[idx[k]];
                skip = o->technique == s->technique ||
                       (!pass && o->cause == s->cause &&
                        kb->techniques[o->technique].kind == t->kind);
            }
            if (!skip)
                idx[n++] = cand[c];
        }
    if (!n)
        return;
    static const char *const intro[] = {
        "Here is what I would try:", "Things to try:", "What I'd do first:",
    };
    static const char *const intro_other[] = {
        "Here is what I would have %s try:", "Things for %s to try:",
        "What I'd have %s do first:",
    };
    if (d->other)
        PARA(d, 0, intro_other[pick(d, 5, (int)KF_ARRAY_LEN(intro_other))], d->obj);
    else
        PARA(d, 0, "%s", PICK(d, 5, intro));
    for (int i = 0; i < n; i++) {
        const kf_step *s = &r->plan[idx[i]];
        const kf_technique *t = &kb->techniques[s->technique];
        para *p = add(d, 0, true);
        if (!p)
            return;
        d->step_para[out->n_techniques] = d->n - 1;
        out->techniques[out->n_techniques++] = s->technique;
        kf_buf *bs[2] = { &p->alt, &p->b };
        for (int k = 0; k < 2; k++) {
            kf_buf *b = bs[k];
            kf_buf_printf(b, "%d. %s", i + 1, t->name);
            /* "for the lat" once: not again for the next step on the same
             * muscle, nor when the step's name says it */
            bool said = false;
            for (int j = 0; j < i; j++)
                said |= r->plan[idx[j]].cause == s->cause;
            const char *cn = s->cause >= 0 ? kb->causes[s->cause].name : "";
            size_t cl = strcspn(cn, "(");
            while (cl && cn[cl - 1] == ' ')
                cl--;
            char latin[128];
            snprintf(latin, sizeof latin, "%.*s", (int)cl, cn);
            said |= cl > 3 && strstr(t->name, latin) != NULL;
            if (!said && s->cause >= 0 && t->kind != KF_TECH_HABIT &&
                t->kind != KF_TECH_THERMAL && kb->causes[s->cause].kind == KF_CAUSE_MUSCLE) {
                char nm[256];
                kf_cause_plain(kb, s->cause, nm, sizeof nm);
                kf_buf_printf(b, ", for %s%s", nm, side_words(s->side));
            }
            kf_buf_puts(b, ".");
            if (t->dose)
                kf_buf_printf(b, " %s", t->dose);
            if (k == 1 && t->n_steps && t->kind != KF_TECH_THERAPIST)
                kf_buf_printf(b, " %s", t->steps[t->n_steps > 1 && t->kind == KF_TECH_RELEASE
                                                 ? 1 : 0]);
        }
        /* the long form goes first; a third step goes before any
         * second step is shortened ("two or three things") */
        p->worth = 6;
        p->then = i == 2 ? 4 : 0;
    }
    if (r->n_omitted) {
        const kf_omit *o = &r->omitted[0];
        const kf_technique *t = &kb->techniques[o->technique];
        if (t->not_for_why[o->person]) {
            char tn[256];
            kf_technique_short(kb, o->technique, tn, sizeof tn);
            para *p = add(d, 1, false);
            if (p) {
                kf_buf_printf(&p->b, "I've left out %s for now: ", tn);
                add_lower(&p->b, t->not_for_why[o->person], false);
            }
        }
    }
}

/* The order of the causes by posterior (ties by id), for question.h. */
static int *cause_order(const kf_kb *kb, const double *post)
{
    int n = kb->n_causes;
    int *o = kf_malloc((size_t)(n + 1) * sizeof *o);
    if (!o)
        return NULL;
    for (int i = 0; i < n; i++)
        o[i] = i;
    for (int i = 1; i < n; i++) {          /* insertion sort: stable, ~100 causes */
        int x = o[i], j = i;
        while (j > 0 && post[o[j - 1]] < post[x]) {
            o[j] = o[j - 1];
            j--;
        }
        o[j] = x;
    }
    return o;
}

/* Whether the word at p is "you", "your" or "yourself". */
static bool you_word(const char *s, const char *p)
{
    if (p > s && isalpha((unsigned char)p[-1]))
        return false;
    if (strncasecmp(p, "you", 3))
        return false;
    const char *e = p + 3;
    if (!strncasecmp(e, "rself", 5))
        e += 5;
    else if (tolower((unsigned char)*e) == 'r')
        e++;
    return !isalpha((unsigned char)*e);
}

/* A KB question ("Do you get headaches along with it?") as asked of the
 * writer about the person in pain ("Does he get headaches along with it?"):
 * only when its one "you" opens it in a form we can turn; true when the
 * result (or the question as it was, with no "you" in it) reads right. */
static bool speak_of(const doc *d, kf_buf *line)
{
    if (!line->s)
        return false;
    static const struct { const char *from, *sing, *plur; bool poss; } turn[] = {
        { "Do you ", "Does", "Do", false }, { "Have you ", "Has", "Have", false },
        { "Did you ", "Did", "Did", false }, { "Can you ", "Can", "Can", false },
        { "Are you ", "Is", "Are", false }, { "Were you ", "Was", "Were", false },
        { "Does your ", "Does", "Does", true }, { "Is your ", "Is", "Is", true },
        { "Are your ", "Are", "Are", true }, { "Has your ", "Has", "Has", true },
        { "Did your ", "Did", "Did", true },
    };
    const char *q = line->s;
    size_t skip = 0;
    int t = -1;
    for (size_t i = 0; i < KF_ARRAY_LEN(turn) && t < 0; i++)
        if (!strncmp(q, turn[i].from, strlen(turn[i].from))) {
            t = (int)i;
            skip = strlen(turn[i].from);
        }
    for (const char *p = q + skip; *p; p++)
        if (you_word(q, p))
            return false;        /* another "you" further on: leave it to them */
    if (t < 0)
        return true;             /* no "you" at all */
    kf_buf b;
    kf_buf_init(&b);
    kf_buf_printf(&b, "%s %s %s", d->plural ? turn[t].plur : turn[t].sing,
                  turn[t].poss ? d->poss : d->subj, q + skip);
    bool ok = !b.oom && b.s;
    if (ok) {
        line->len = 0;
        kf_buf_add(line, b.s, b.len);
    }
    kf_buf_free(&b);
    return ok;
}

/* A finding's question for this draft: about the person in pain when the
 * writer speaks for someone and `turn` is set. */
static bool question_for(const doc *d, const kf_kb *kb, int f, kf_buf *line, bool turn)
{
    line->len = 0;
    question_words(kb, f, line);
    if (!d->other)
        return true;
    if (!turn) {
        kf_buf t;
        kf_buf_init(&t);
        if (line->s)
            kf_buf_add(&t, line->s, line->len);
        bool ok = speak_of(d, &t);
        kf_buf_free(&t);
        return ok;
    }
    return speak_of(d, line);
}

/* One or two questions back, by information gain; KF_ENOMEM on failure. */
static kf_err questions(doc *d, const kf_kb *kb, const kf_result *r, const chain *ch,
                        kf_draft *out)
{
    int fq[2] = { -1, -1 }, nq = 0;
    kf_question clar = { .kind = KF_Q_NONE };
    if (r->next.kind == KF_Q_CLARIFY)
        clar = r->next;
    else if (r->next.kind == KF_Q_FINDING)
        fq[nq++] = r->next.finding;
    if (r->post && nq + (clar.kind != KF_Q_NONE) < KF_DRAFT_MAX_Q) {
        /* One pass of the question module gives the best questions in
         * order; gains from the fast posterior (the order is what counts
         * here, and the exact gains of a case with ten findings cost a
         * second or so).  The engine's own question, when it asked one,
         * stays first. */
        int *order = cause_order(kb, r->post);
        kf_question qs[KF_DRAFT_MAX_Q + 1];
        int n = 0;
        kf_err e = order ? kf_best_questions(kb, &r->used, r->post, order, true, qs,
                                             KF_DRAFT_MAX_Q + 1, &n) : KF_ENOMEM;
        kf_free(order);
        if (e)
            return KF_ENOMEM;
        for (int i = 0; i < n && nq + (clar.kind != KF_Q_NONE) < KF_DRAFT_MAX_Q; i++)
            if (qs[i].finding != fq[0])
                fq[nq++] = qs[i].finding;
    }
    static const char *const intro_me[] = {
        "To sharpen this guess, could you tell me:", "So I can sharpen this:",
        "It would help me to know:",
    };
    /* for someone else: the questions (in the KB's "you") are theirs to
     * answer, through the writer */
    static const char *const intro_other[] = {
        "To sharpen this guess, could you ask %s:", "So I can sharpen this, please ask %s:",
        "It would help me to know, if you can ask %s:",
    };
    char intro_buf[96];
    const char *intro[3];
    for (int i = 0; i < 3; i++) {
        intro[i] = intro_me[i];
    }
    kf_buf line;
    kf_buf_init(&line);
    /* For someone else: each question turned to speak of them ("does he
     * ..."), or, when one cannot be, all put to them through the writer */
    bool relay = false;
    for (int k = 0; d->other && k < nq && k < 2; k++)
        relay |= !question_for(d, kb, fq[k], &line, false);
    bool turn = d->other && !relay;
    line.len = 0;
    if (relay) {
        int k = pick(d, 6, 3);
        snprintf(intro_buf, sizeof intro_buf, intro_other[k], d->obj);
        intro[k] = intro_buf;
    }
    int total = nq + (clar.kind != KF_Q_NONE);
    para *p = add(d, 0, false);
    if (!p) {
        kf_buf_free(&line);
        return KF_ENOMEM;
    }
    if (!total) {
        char qb[160];
        snprintf(qb, sizeof qb, "How long does the relief last after the first thing %s "
                 "%s: minutes, hours, or days?", d->subj, verb(d, "try", "tries"));
        const char *q = qb;
        kf_buf_printf(&p->b, "%s ", PICK(d, 6, intro));
        add_lower(&p->b, q, false);
        kf_buf_puts(&p->b, " That tells me whether the guess is right.");
        keep_question(d, out, -1, q);
        kf_buf_free(&line);
        return KF_OK;
    }
    kf_buf_printf(&p->b, "%s ", PICK(d, 6, intro));
    /* The first question in this paragraph (with "I ask because" while the
     * draft has room), the second in a paragraph of its own on the same
     * line, dropped before the sign-off is shortened. */
    int first = -1;
    if (clar.kind == KF_Q_CLARIFY) {
        const kf_finding_def *a = &kb->findings[clar.finding], *c = &kb->findings[clar.alt];
        kf_buf_printf(&line, "When you describe where it hurts, do you mean %s, or %s?",
                      a->region >= 0 ? kb->regions[a->region].label : a->label,
                      c->region >= 0 ? kb->regions[c->region].label : c->label);
        add_lower(&p->b, line.s, false);
        keep_question(d, out, clar.finding, line.s);
    } else {
        first = fq[0];
        question_for(d, kb, first, &line, turn);
        add_lower(&p->b, line.s, false);
        keep_question(d, out, first, line.s);
        const kf_finding_def *fd = &kb->findings[first];
        if (fd->why_ask) {
            if (p->b.s)
                kf_buf_add(&p->alt, p->b.s, p->b.len);
            kf_buf_puts(&p->b, " I ask because ");
            add_lower(&p->b, fd->why_ask, false);
            p->worth = 3;
        }
    }
    for (int k = 0; k < nq; k++) {
        if (fq[k] == first)
            continue;
        para *q = add(d, 1, false);
        if (!q)
            break;
        q->inline_ = true;
        question_for(d, kb, fq[k], &line, turn);
        kf_buf_puts(&q->b, "And ");
        add_lower(&q->b, line.s, false);
        d->q2_para = d->n - 1;
        d->q2_index = out->n_questions;
        keep_question(d, out, fq[k], line.s);
        break;
    }
    d->oom |= line.oom;
    kf_buf_free(&line);
    (void)ch;
    return KF_OK;
}

/* The closing lines. */
static void sign_off(doc *d, int kind)
{
    bool urgent_level = kind == 1;
    if (kind == 2) {
        /* no guess was made: nothing to call a guess */
        PARA(d, 0, "This is self-help, not a diagnosis, and I am not a doctor; if the pain "
             "is severe or getting worse, please see one.");
        PARA(d, 0, "Take care,");
        return;
    }
    static const char *const plain[] = {
        "Remember this is a long-distance guess from your words: self-help, not a "
        "diagnosis. If the pain gets worse, spreads, or something new appears, please see "
        "a doctor.",
        "This is self-help from a distance, not a diagnosis, and I am not a doctor. If it "
        "gets worse or anything new turns up, see one.",
        "Please take this as a long-distance guess, not a diagnosis: if the pain worsens "
        "or changes, a doctor should see it.",
    };
    static const char *const urgent_s[] = {
        "I am not a doctor and none of this is a diagnosis, which is exactly why a doctor "
        "should see you first.",
        "None of this is a diagnosis; that is the doctor's job, and this is one for them "
        "first.",
    };
    static const char *const bye[] = { "Take good care,", "Wishing you well,", "Take care," };
    if (urgent_level && d->other)
        PARA(d, 0, "I am not a doctor and none of this is a diagnosis, which is exactly why a "
             "doctor should see %s first.", d->obj);
    else if (urgent_level)
        PARA(d, 0, "%s", PICK(d, 7, urgent_s));
    else if (d->other) {
        para *p = add(d, 1, false);
        if (p) {
            kf_buf_printf(&p->b, "Please take this as a long-distance guess from your words, "
                          "not a diagnosis: if the pain gets worse, spreads, or something new "
                          "appears, %s should see a doctor.", d->subj);
            kf_buf_printf(&p->alt, "Self-help, not a diagnosis: %s should see a doctor if it "
                          "gets worse or anything new appears.", d->subj);
        }
    }
    else {
        para *p = add(d, 1, false);
        if (p) {
            kf_buf_puts(&p->b, PICK(d, 7, plain));
            /* the short form, for a draft that is still too long */
            kf_buf_puts(&p->alt, "Self-help, not a diagnosis: see a doctor if it gets "
                        "worse or anything new appears.");
        }
    }
    PARA(d, 0, "%s", PICK(d, 8, bye));
}

/* ------------------------------------------------------------ the draft */

/* Checks a first name: UTF-8, printable, letters and a few marks; the
 * first word of it goes to `out`.  False when it is not a name. */
static bool clean_name(const char *name, char *out, size_t n)
{
    out[0] = '\0';
    if (!name)
        return true;
    while (*name == ' ')
        name++;
    size_t len = strcspn(name, " ");
    if (len >= n || len > KF_DRAFT_NAME_MAX || !kf_jo_utf8(name, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(c >= 0x80 || isalpha(c) || c == '-' || c == '\'' || c == '.'))
            return false;
    }
    /* what follows the first word must be words too (no control bytes) */
    for (const char *p = name + len; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    memcpy(out, name, len);
    out[len] = '\0';
    return true;
}

static void draft_clear(kf_draft *d)
{
    memset(d, 0, sizeof *d);
    d->cause = d->moved_from = d->flag = -1;
    d->triage = KF_TRIAGE_UNKNOWN;
}

void kf_draft_free(kf_draft *d)
{
    if (!d)
        return;
    kf_free(d->text);
    for (int i = 0; i < d->n_questions; i++)
        kf_free(d->questions[i].text);
    draft_clear(d);
}

/* The question's findings and the attached consultation's, in one set. */
static kf_err merge(const kf_kb *kb, const char *text, size_t len, const kf_result *att,
                    kf_findings *f, kf_buf *err)
{
    kf_err e = kf_text_read(kb, text, len, f, err);
    if (e != KF_OK || !att)
        return e;
    const kf_findings *a = &att->findings;
    for (int i = 0; i < a->n; i++) {
        kf_fact x = a->v[i];
        x.start = -1;            /* its words are in another text */
        x.len = 0;
        if (x.finding >= 0 && x.finding < kb->n_findings)
            kf_findings_add(f, &x);
    }
    if (f->age < 0) f->age = a->age;
    if (f->weeks_pregnant < 0) f->weeks_pregnant = a->weeks_pregnant;
    if (f->duration_days < 0) f->duration_days = a->duration_days;
    if (!f->dominant) f->dominant = a->dominant;
    if (!f->sex) f->sex = a->sex;
    if (!f->patient[0]) memcpy(f->patient, a->patient, sizeof f->patient);
    for (int i = 0; i < a->n_hypothetical && f->n_hypothetical < KF_HYPO_MAX; i++)
        f->hypothetical[f->n_hypothetical++] = a->hypothetical[i];
    if (a->n)
        f->nothing_understood = false;
    return f->oom ? KF_ENOMEM : KF_OK;
}

kf_err kf_draft_make(const kf_kb *kb, const char *text, size_t len,
                     const kf_draft_input *in, kf_draft *out, kf_buf *err)
{
    draft_clear(out);
    static const kf_draft_input none = { 0 };
    if (!in)
        in = &none;
    if (!text)
        len = 0;
    char name[KF_DRAFT_NAME_MAX + 1];
    if (!clean_name(in->name, name, sizeof name)) {
        if (err)
            kf_buf_puts(err, "the name must be a first name: letters, at most 40 bytes");
        return KF_EINVAL;
    }
    if (len > KF_TEXT_MAX) {
        if (err)
            kf_buf_printf(err, "the question is longer than %d bytes", KF_TEXT_MAX);
        return KF_ETOOBIG;
    }
    size_t blank = 0;
    while (blank < len && isspace((unsigned char)text[blank]))
        blank++;
    if (blank == len && !in->consultation) {
        if (err)
            kf_buf_puts(err, "the question is empty: please describe the pain in your own "
                        "words");
        return KF_EINVAL;
    }
    if (len && !kf_text_is_words(text, len)) {
        if (err)
            kf_buf_puts(err, KF_TEXT_NOT_WORDS);
        return KF_EPARSE;
    }
    kf_findings f;
    kf_findings_init(&f);
    kf_revision *rev = NULL;
    kf_result *own = NULL;
    const kf_result *r = NULL;
    doc d = { .h = fnv1a(text ? text : "", len), .q2_para = -1, .q2_index = -1 };
    kf_err e = merge(kb, text ? text : "", len, in->consultation, &f, err);
    if (e != KF_OK)
        goto out;
    if (in->checkins && in->n_checkins > 0) {
        if ((e = kf_journal_revise(kb, &f, in->checkins, in->n_checkins, &rev)) != KF_OK)
            goto out;
        r = rev->after;
    } else {
        if (!(own = kf_consult(kb, &f))) {
            e = KF_ENOMEM;
            goto out;
        }
        r = own;
    }
    out->triage = r->triage;
    doc_person(&d, &f);
    greeting(&d, name);
    if (r->triage >= KF_TRIAGE_SOON) {
        urgent(&d, kb, r, out);
        sign_off(&d, 1);
    } else if ((r->triage == KF_TRIAGE_UNKNOWN || r->unrecognised) && !in->consultation &&
               f.nothing_understood && thanks_only(text ? text : "", len)) {
        out->kind = KF_DRAFT_THANKS;
        thanked(&d, out);
    } else if (r->triage == KF_TRIAGE_UNKNOWN || r->unrecognised) {
        unscreened(&d, kb, r, out);
        sign_off(&d, 2);
    } else {
        PARA(&d, 9, "%s", PICK(&d, 0, thanks));
        /* Triage first: a mention, the specific checks, worries. */
        int scr[4], late[3], nl = 0;
        int ns = specific_screen(&d, kb, r, scr, late, 3, &nl, KF_DRAFT_CHECK_P);
        if (r->triage == KF_TRIAGE_MENTION) {
            para *p = add(&d, 0, false);
            if (p && r->n_flags) {
                out->flag = r->flags[0];
                kf_buf_puts(&p->b, "One thing first, before the muscles: ");
                add_lower(&p->b, kb->redflags[r->flags[0]].message, false);
            } else if (p) {
                if (d.other)
                    kf_buf_printf(&p->b, "One thing first: self-help is fine to try, but %s "
                                  "should mention this to %s doctor at the next visit",
                                  d.noun, d.poss);
                else
                    kf_buf_puts(&p->b, "One thing first: self-help is fine to try, but please "
                                "mention this to your doctor at your next visit");
                if (r->raised_by >= 0) {
                    char nm[256];
                    kf_cause_plain(kb, r->raised_by, nm, sizeof nm);
                    kf_buf_printf(&p->b, ", because it could also be %s", nm);
                }
                kf_buf_puts(&p->b, ".");
            }
        } else {
            static const char *const ok[] = {
                "Nothing you describe sounds like a warning sign, so this looks like "
                "something you can work on yourself.",
                "I don't see a warning sign in what you wrote, so self-help is a sensible "
                "place to start.",
                "Nothing here points away from the muscles, so let's work on them.",
            };
            static const char *const ok_other[] = {
                "Nothing you describe sounds like a warning sign, so this looks like "
                "something %s can work on at home.",
                "I don't see a warning sign in what you wrote about %s, so self-help is a "
                "sensible place to start.",
                "Nothing in what you say about %s points away from the muscles, so let's "
                "work on them.",
            };
            if (d.other)
                PARA(&d, 0, ok_other[pick(&d, 3, (int)KF_ARRAY_LEN(ok_other))], d.noun);
            else
                PARA(&d, 0, "%s", PICK(&d, 3, ok));
        }
        worries(&d, kb, r);
        chain ch = find_chain(kb, r);
        relief rl = find_relief(kb, r, rev);
        int before = -1;
        if (rev)
            before = chain_who(kb, rev->before);
        else if (rl.said && (before = lead_without_relief(kb, r, &e)) < 0 && e)
            goto out;
        guess(&d, kb, r, &ch, &rl, before, out);
        if (ch.ln && ch.muscle >= 0 && ch.ln->mech != KF_MECH_LOCAL) {
            static const char *const sym[] = {
                "A knot is a symptom: the muscle that hurts is often the one being pulled "
                "on, and it cannot let go while the cause keeps pulling.",
                "Working only on the sore spot tends to chase the symptom; the relief lasts "
                "longer when the muscle doing the pulling lets go.",
                "That is why rubbing the knot itself often helps only for a while: the "
                "muscle that pulls on it is still tight.",
            };
            PARA(&d, 8, "%s", PICK(&d, 9, sym));
        }
        /* Checks before any step: what would complete a rule half met by
         * what was said, then the routine ones (at most four in all). */
        for (int i = 0; i < nl && ns < 3; i++)
            scr[ns++] = late[i];
        int em[3], ne = 0, dr[3], nd = 0;
        if (ns) {
            /* Each check by what it would do to this person's triage (the
             * rules are conjunctions: a sudden start alone is no emergency,
             * with a tearing pain it is): a call, a visit, or nothing to
             * say before the steps. */
            for (int i = 0; i < ns; i++) {
                kf_triage lv;
                if ((e = check_level(kb, r, scr[i], &lv)) != KF_OK)
                    goto out;
                if (lv == KF_TRIAGE_EMERGENCY)
                    em[ne++] = scr[i];
                else if (lv == KF_TRIAGE_SOON)
                    dr[nd++] = scr[i];
            }
            ns = ne + nd;
        }
        if (ns) {
            /* the emergencies first; the short form keeps two checks */
            para *p = add(&d, 0, false);
            if (p) {
                checks(&d, kb, em, ne, dr, nd, &p->b);
                if (ns > 2) {
                    checks(&d, kb, em, ne < 2 ? ne : 2, dr, ne < 2 ? 2 - ne : 0, &p->alt);
                    p->worth = 1;
                }
            }
        }
        steps(&d, kb, r, out);
        /* If the guess is wrong: the next suspect. */
        int next = -1;
        for (int i = 0; i < r->n_causes && next < 0; i++) {
            int c = r->causes[i].cause;
            if (kb->causes[c].kind != KF_CAUSE_MIMIC && c != ch.lead && c != ch.muscle &&
                c != ch.habit && r->causes[i].p >= 0.15)
                next = c;
        }
        {
            para *p = add(&d, 5, false);
            if (p) {
                kf_buf_puts(&p->b, "If I'm right, the knot should ease over a few days of "
                            "this. If the relief lasts only a few hours, tell me: that means "
                            "the cause is somewhere else");
                if (next >= 0) {
                    char nm[256];
                    kf_cause_plain(kb, next, nm, sizeof nm);
                    kf_buf_printf(&p->b, ", and I'd look at %s next.", nm);
                } else
                    kf_buf_puts(&p->b, ", and we try again.");
            }
        }
        if (r->n_massage) {
            para *p = add(&d, 7, false);
            if (p) {
                if (d.other)
                    kf_buf_printf(&p->b, "If %s %s a massage therapist, %s can ask them to "
                                  "work on ", d.subj, verb(&d, "see", "sees"), d.subj);
                else
                    kf_buf_puts(&p->b, "If you see a massage therapist, ask them to work on ");
                for (int i = 0; i < r->n_massage && i < 3; i++) {
                    char nm[256];
                    kf_cause_plain(kb, r->massage[i], nm, sizeof nm);
                    kf_buf_printf(&p->b, "%s%s", i == 0 ? "" :
                                  i == (r->n_massage < 3 ? r->n_massage : 3) - 1 ? " and " : ", ",
                                  nm);
                }
                kf_buf_puts(&p->b, ", not only on the spot that hurts.");
            }
        }
        if ((e = questions(&d, kb, r, &ch, out)) != KF_OK)
            goto out;
        sign_off(&d, 0);
    }
    kf_buf all;
    kf_buf_init(&all);
    doc_join(&d, &all);
    if (d.oom || all.oom || !all.s) {
        kf_buf_free(&all);
        e = KF_ENOMEM;
        goto out;
    }
    out->text = all.s;
    out->words = kf_draft_words(all.s);
    /* a step dropped for length is not offered */
    int kept = 0;
    for (int i = 0; i < out->n_techniques; i++)
        if (!d.v[d.step_para[i]].dropped)
            out->techniques[kept++] = out->techniques[i];
    out->n_techniques = kept;
    /* a second question dropped for length is not asked */
    if (d.q2_para >= 0 && d.v[d.q2_para].dropped && d.q2_index == out->n_questions - 1) {
        kf_free(out->questions[d.q2_index].text);
        out->n_questions--;
    }
out:
    doc_free(&d);
    kf_revision_free(rev);
    kf_result_free(own);
    kf_findings_free(&f);
    if (e != KF_OK) {
        if (e == KF_ENOMEM && err)
            kf_buf_puts(err, "out of memory");
        kf_draft_free(out);
    }
    return e;
}

kf_err kf_draft_reply(const kf_kb *kb, const char *text, size_t len,
                      const kf_result *consultation, const kf_checkin *checkins,
                      int n_checkins, const char *name, kf_buf *out, kf_buf *err)
{
    kf_draft_input in = { .consultation = consultation, .checkins = checkins,
                          .n_checkins = n_checkins, .name = name };
    kf_draft d;
    kf_err e = kf_draft_make(kb, text, len, &in, &d, err);
    if (e == KF_OK)
        kf_buf_puts(out, d.text);
    kf_draft_free(&d);
    return e;
}

void kf_draft_write(kf_jo *w, const kf_kb *kb, const kf_draft *d)
{
    kf_jo_obj(w);
    kf_jo_kstr(w, "draft", d->text);
    kf_jo_kstr(w, "kind", d->kind == KF_DRAFT_THANKS ? "thanks" : "reply");
    kf_jo_kint(w, "words", d->words);
    kf_jo_kstr(w, "triage", kf_triage_id(d->triage));
    kf_jo_kstr(w, "cause", d->cause >= 0 ? kb->causes[d->cause].id : NULL);
    kf_jo_kstr(w, "moved_from", d->moved_from >= 0 ? kb->causes[d->moved_from].id : NULL);
    kf_jo_kstr(w, "flag", d->flag >= 0 ? kb->redflags[d->flag].id : NULL);
    kf_jo_key(w, "techniques");
    kf_jo_arr(w);
    for (int i = 0; i < d->n_techniques; i++)
        kf_jo_str(w, kb->techniques[d->techniques[i]].id);
    kf_jo_arr_end(w);
    kf_jo_key(w, "questions");
    kf_jo_arr(w);
    for (int i = 0; i < d->n_questions; i++) {
        kf_jo_obj(w);
        kf_jo_kstr(w, "finding", d->questions[i].finding >= 0
                                     ? kb->findings[d->questions[i].finding].id : NULL);
        kf_jo_kstr(w, "text", d->questions[i].text);
        kf_jo_obj_end(w);
    }
    kf_jo_arr_end(w);
    kf_jo_obj_end(w);
}
