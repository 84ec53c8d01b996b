/*
 * kb_lessons.c — the course part of the knowledge-base loader: [module]
 * and [lesson] blocks (docs/KB-FORMAT.md, "Lessons").
 *
 * A lesson names what it teaches (causes, techniques, red-flag rules) so
 * that the course can pick "your next lesson" from a person's ranked causes,
 * and so that the loader can check the course covers the KB: every cause
 * with a chain (a pull on another place, or a habit keeping a muscle short,
 * at either end) is taught; every technique's dose is shown by a lesson
 * that fills it in from the technique ({dose T}); every red-flag rule and
 * every mimic is taught in plain words.  A KB without any lesson or module
 * is not checked for coverage (the unit tests' small KBs).
 *
 * Limits that keep a lesson readable on a phone are checked here too (the
 * constants below).  Every problem is reported with its file and line.
 */
#include "kb_raw.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A title fits one line of a phone screen. */
#define KF_LESSON_TITLE_MAX 60
/* A paragraph is a few sentences: longer ones are split. */
#define KF_LESSON_PARA_MAX 600
/* A lesson is read in two or three minutes. */
#define KF_LESSON_PARAS_MAX 8
#define KF_LESSON_BODY_MAX 2600
/* A module or lesson order is a small positive number. */
#define KF_LESSON_ORDER_MAX 999

typedef struct {
    kf_kb           *kb;
    const kf_kb_env *env;
    const block     *blocks;
    int              n_blocks;
    bool             oom;
} lctx;

static void lerr(lctx *C, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void lerr(lctx *C, const char *file, int line, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    C->env->err(C->env->ctx, file, line, msg);
}

static void *lalloc(lctx *C, size_t n)
{
    void *p = C->env->alloc(C->env->ctx, n ? n : 1);
    if (!p)
        C->oom = true;
    return p;
}

static const char *bget(const block *b, const char *key, int *line)
{
    for (int i = 0; i < b->n_kvs; i++)
        if (!strcmp(b->kvs[i].key, key)) {
            if (line)
                *line = b->kvs[i].line;
            return b->kvs[i].val;
        }
    if (line)
        *line = b->line;
    return NULL;
}

/* A whole number 1..KF_LESSON_ORDER_MAX, or -1 after an error. */
static int parse_order(lctx *C, const block *b)
{
    int line;
    const char *v = bget(b, "order", &line);
    if (!v) {
        lerr(C, b->file, b->line, "%s %s has no order (a number: 1 comes first)", b->kind, b->id);
        return -1;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > KF_LESSON_ORDER_MAX) {
        lerr(C, b->file, line, "%s %s: order must be a whole number from 1 to %d, not '%s'",
             b->kind, b->id, KF_LESSON_ORDER_MAX, v);
        return -1;
    }
    return (int)n;
}

static const block *find_block(const lctx *C, const char *kind, const char *id)
{
    for (int i = 0; i < C->n_blocks; i++)
        if (!strcmp(C->blocks[i].kind, kind) && !strcmp(C->blocks[i].id, id))
            return &C->blocks[i];
    return NULL;
}

static int find_cause(const kf_kb *kb, const char *id, size_t n)
{
    for (int i = 0; i < kb->n_causes; i++)
        if (kb->causes[i].id && strlen(kb->causes[i].id) == n && !strncmp(kb->causes[i].id, id, n))
            return i;
    return -1;
}

static int find_technique(const kf_kb *kb, const char *id, size_t n)
{
    for (int i = 0; i < kb->n_techniques; i++)
        if (kb->techniques[i].id && strlen(kb->techniques[i].id) == n &&
            !strncmp(kb->techniques[i].id, id, n))
            return i;
    return -1;
}

static int find_redflag(const kf_kb *kb, const char *id, size_t n)
{
    for (int i = 0; i < kb->n_redflags; i++)
        if (kb->redflags[i].id && strlen(kb->redflags[i].id) == n &&
            !strncmp(kb->redflags[i].id, id, n))
            return i;
    return -1;
}

int kf_kb_redflag(const kf_kb *kb, const char *id)
{
    return kb && id ? find_redflag(kb, id, strlen(id)) : -1;
}

int kf_kb_lesson(const kf_kb *kb, const char *id)
{
    if (!kb || !id)
        return -1;
    for (int i = 0; i < kb->n_lessons; i++)
        if (!strcmp(kb->lessons[i].id, id))
            return i;
    return -1;
}

/* ---------- modules ---------- */

typedef struct {
    const block *b;
    int          order;
} mod_in;

static int cmp_mod(const void *a, const void *b)
{
    const mod_in *x = a, *y = b;
    return x->order - y->order;
}

static void build_modules(lctx *C)
{
    kf_kb *kb = C->kb;
    int n = 0;
    for (int i = 0; i < C->n_blocks; i++)
        n += !strcmp(C->blocks[i].kind, "module");
    mod_in *m = lalloc(C, (size_t)n * sizeof *m);
    kb->modules = lalloc(C, (size_t)n * sizeof *kb->modules);
    if (!m || !kb->modules)
        return;
    int k = 0;
    for (int i = 0; i < C->n_blocks; i++) {
        const block *b = &C->blocks[i];
        if (strcmp(b->kind, "module"))
            continue;
        const block *first = find_block(C, "module", b->id);
        if (first != b) {
            lerr(C, b->file, b->line, "duplicate module id '%s' (first defined at %s:%d)",
                 b->id, first->file, first->line);
            continue;
        }
        int order = parse_order(C, b);
        if (!bget(b, "title", NULL))
            lerr(C, b->file, b->line, "module %s has no title", b->id);
        if (!bget(b, "source", NULL))
            lerr(C, b->file, b->line, "module %s has no source: say where this fact comes from",
                 b->id);
        for (int j = 0; j < k && order > 0; j++)
            if (m[j].order == order)
                lerr(C, b->file, b->line, "module %s has order %d, as module %s (%s:%d) does: "
                     "each module has its own place", b->id, order, m[j].b->id,
                     m[j].b->file, m[j].b->line);
        m[k++] = (mod_in){ b, order };
    }
    qsort(m, (size_t)k, sizeof *m, cmp_mod);
    for (int j = 0; j < k; j++) {
        kf_module *o = &kb->modules[j];
        o->id = m[j].b->id;
        o->title = bget(m[j].b, "title", NULL);
        if (!o->title)
            o->title = o->id;
        o->about = bget(m[j].b, "about", NULL);
        o->order = m[j].order;
        o->source = bget(m[j].b, "source", NULL);
    }
    /* the list points at the loader's blocks, which go: wiped, as the KB
     * (its arena) is kept as a snapshot that must hold no such pointer */
    memset(m, 0, (size_t)n * sizeof *m);
    kb->n_modules = k;
}

/* ---------- lessons ---------- */

/* Checks the {dose T}, {timer T} and {name T} marks of one paragraph: T a
 * technique the lesson teaches (and, for {timer}, one with a timer).  Sets
 * shows_dose[t] for every {dose T}. */
static void check_marks(lctx *C, const block *b, const kv *p, const kf_teach *tv, int nt,
                        bool *shows_dose)
{
    const kf_kb *kb = C->kb;
    for (const char *s = p->val; (s = strpbrk(s, "{}")); ) {
        if (*s == '}') {
            lerr(C, b->file, p->line, "lesson %s: a '}' without its '{' (marks are {dose T}, "
                 "{timer T} and {name T})", b->id);
            return;
        }
        const char *close = strchr(s, '}');
        if (!close) {
            lerr(C, b->file, p->line, "lesson %s: a '{' that is never closed", b->id);
            return;
        }
        const char *w = s + 1, *sp = w;
        while (sp < close && !isspace((unsigned char)*sp))
            sp++;
        size_t wn = (size_t)(sp - w);
        const char *id = sp;
        while (id < close && isspace((unsigned char)*id))
            id++;
        size_t idn = (size_t)(close - id);
        while (idn && isspace((unsigned char)id[idn - 1]))
            idn--;
        bool dose = wn == 4 && !strncmp(w, "dose", 4);
        bool timer = wn == 5 && !strncmp(w, "timer", 5);
        bool name = wn == 4 && !strncmp(w, "name", 4);
        if (!dose && !timer && !name) {
            lerr(C, b->file, p->line, "lesson %s: unknown mark '{%.*s}' (use {dose T}, "
                 "{timer T} or {name T}, T a technique)", b->id, (int)(close - s - 1), s + 1);
        } else {
            int t = find_technique(kb, id, idn);
            bool taught = false;
            for (int i = 0; t >= 0 && i < nt; i++)
                taught |= tv[i].kind == KF_TEACH_TECHNIQUE && tv[i].idx == t;
            if (t < 0)
                lerr(C, b->file, p->line, "lesson %s: '{%.*s}' names an unknown technique '%.*s'",
                     b->id, (int)(close - s - 1), s + 1, (int)idn, id);
            else if (!taught)
                lerr(C, b->file, p->line, "lesson %s: '{%.*s}': add %s to the lesson's teaches",
                     b->id, (int)(close - s - 1), s + 1, kb->techniques[t].id);
            else if (timer && kb->techniques[t].work_s <= 0)
                lerr(C, b->file, p->line, "lesson %s: technique %s has no timer for '{timer %s}'",
                     b->id, kb->techniques[t].id, kb->techniques[t].id);
            else if (dose && !kb->techniques[t].dose)
                lerr(C, b->file, p->line, "lesson %s: technique %s has no dose for '{dose %s}'",
                     b->id, kb->techniques[t].id, kb->techniques[t].id);
            else if (dose)
                shows_dose[t] = true;
        }
        s = close + 1;
    }
}

/* Resolves one `teaches` entry: "id" or "cause:id", "technique:id",
 * "redflag:id" when an id names several kinds. */
static bool resolve_teach(lctx *C, const block *b, int line, const char *e, kf_teach *out)
{
    const kf_kb *kb = C->kb;
    static const char *const pre[] = { "cause:", "technique:", "redflag:" };
    for (int k = 0; k < 3; k++) {
        size_t pn = strlen(pre[k]);
        if (!strncmp(e, pre[k], pn)) {
            const char *id = e + pn;
            int i = k == 0 ? find_cause(kb, id, strlen(id))
                  : k == 1 ? find_technique(kb, id, strlen(id)) : find_redflag(kb, id, strlen(id));
            if (i < 0) {
                lerr(C, b->file, line, "lesson %s teaches an unknown %.*s '%s'", b->id,
                     (int)pn - 1, pre[k], id);
                return false;
            }
            *out = (kf_teach){ (kf_teach_kind)k, i };
            return true;
        }
    }
    size_t n = strlen(e);
    int c = find_cause(kb, e, n), t = find_technique(kb, e, n), r = find_redflag(kb, e, n);
    int hits = (c >= 0) + (t >= 0) + (r >= 0);
    if (!hits) {
        lerr(C, b->file, line, "lesson %s teaches '%s', which is no cause, technique or red "
             "flag of the knowledge base", b->id, e);
        return false;
    }
    if (hits > 1) {
        char kinds[96] = "", ways[192] = "";
        const char *kn[3] = { "a cause", "a technique", "a red flag" };
        const char *pn[3] = { "cause:", "technique:", "redflag:" };
        bool is[3] = { c >= 0, t >= 0, r >= 0 };
        int seen = 0;
        for (int k = 0; k < 3; k++) {
            if (!is[k])
                continue;
            seen++;
            const char *sep = seen == 1 ? "" : seen == hits ? " and " : ", ";
            const char *wsep = seen == 1 ? "" : seen == hits ? " or " : ", ";
            snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%s", sep, kn[k]);
            snprintf(ways + strlen(ways), sizeof ways - strlen(ways), "%s%s%s", wsep, pn[k], e);
        }
        lerr(C, b->file, line, "lesson %s teaches '%s', which names %s: write %s", b->id, e,
             kinds, ways);
        return false;
    }
    *out = c >= 0 ? (kf_teach){ KF_TEACH_CAUSE, c }
         : t >= 0 ? (kf_teach){ KF_TEACH_TECHNIQUE, t } : (kf_teach){ KF_TEACH_REDFLAG, r };
    return true;
}

static bool valid_video(const char *v)
{
    if (!*v || *v == '/' || *v == '.' || strstr(v, ".."))
        return false;
    for (const char *s = v; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.' || *s == '/'))
            return false;
    return true;
}

typedef struct {
    const block *b;
    int          module, order;
} les_in;

static int cmp_les(const void *a, const void *b)
{
    const les_in *x = a, *y = b;
    if (x->module != y->module)
        return x->module - y->module;
    return x->order - y->order;
}

static void build_one(lctx *C, const block *b, kf_lesson *o, bool *shows_dose)
{
    const kf_kb *kb = C->kb;
    int line;
    o->id = b->id;
    o->file = b->file;
    o->line = b->line;
    o->title = bget(b, "title", &line);
    if (!o->title) {
        lerr(C, b->file, b->line, "lesson %s has no title", b->id);
        o->title = b->id;
    } else if (strlen(o->title) > KF_LESSON_TITLE_MAX) {
        lerr(C, b->file, line, "lesson %s: the title is %zu characters; keep it to %d so it "
             "fits a phone's line", b->id, strlen(o->title), KF_LESSON_TITLE_MAX);
    }
    o->source = bget(b, "source", NULL);
    if (!o->source)
        lerr(C, b->file, b->line, "lesson %s has no source: say where its facts come from",
             b->id);
    const char *v = bget(b, "video", &line);
    if (v && strcmp(v, "off") && !valid_video(v))
        lerr(C, b->file, line, "lesson %s: video must be 'off' or a file name under web/ "
             "(letters, digits, - _ . /), not '%s'", b->id, v);
    o->video = v && strcmp(v, "off") ? v : NULL;

    /* teaches */
    const char *tv = bget(b, "teaches", &line);
    if (!tv) {
        lerr(C, b->file, b->line, "lesson %s has no teaches (the causes, techniques or red "
             "flags it is about)", b->id);
    } else {
        int n = 1;
        for (const char *s = tv; *s; s++)
            n += *s == ',';
        o->teaches = lalloc(C, (size_t)n * sizeof *o->teaches);
        if (!o->teaches)
            return;
        const char *s = tv;
        while (*s) {
            const char *e = strchr(s, ',');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            char item[128];
            size_t a = 0, z = len;
            while (a < z && isspace((unsigned char)s[a]))
                a++;
            while (z > a && isspace((unsigned char)s[z - 1]))
                z--;
            if (z - a >= sizeof item) {
                lerr(C, b->file, line, "lesson %s: '%.40s...' is too long for an id", b->id, s + a);
            } else if (z == a) {
                lerr(C, b->file, line, "lesson %s: an empty entry in teaches", b->id);
            } else {
                memcpy(item, s + a, z - a);
                item[z - a] = '\0';
                kf_teach t;
                if (resolve_teach(C, b, line, item, &t)) {
                    bool dup = false;
                    for (int i = 0; i < o->n_teaches; i++)
                        dup |= o->teaches[i].kind == t.kind && o->teaches[i].idx == t.idx;
                    if (dup)
                        lerr(C, b->file, line, "lesson %s teaches '%s' twice", b->id, item);
                    else
                        o->teaches[o->n_teaches++] = t;
                }
            }
            if (!e)
                break;
            s = e + 1;
        }
    }

    /* for = FINDINGS */
    const char *fv = bget(b, "for", &line);
    if (fv) {
        int n = 1;
        for (const char *s = fv; *s; s++)
            n += *s == ',';
        o->for_findings = lalloc(C, (size_t)n * sizeof *o->for_findings);
        if (!o->for_findings)
            return;
        for (const char *s = fv; *s; ) {
            const char *e = strchr(s, ',');
            size_t len = e ? (size_t)(e - s) : strlen(s), a = 0, z = len;
            while (a < z && isspace((unsigned char)s[a]))
                a++;
            while (z > a && isspace((unsigned char)s[z - 1]))
                z--;
            int f = -1;
            for (int i = 0; i < kb->n_findings && z > a; i++)
                if (strlen(kb->findings[i].id) == z - a && !strncmp(kb->findings[i].id, s + a, z - a))
                    f = i;
            if (f < 0)
                lerr(C, b->file, line, "lesson %s: 'for' names an unknown finding '%.*s'", b->id,
                     (int)(z - a), s + a);
            else
                o->for_findings[o->n_for++] = f;
            if (!e)
                break;
            s = e + 1;
        }
    }

    /* paragraphs */
    int np = 0;
    size_t total = 0;
    for (int i = 0; i < b->n_kvs; i++)
        np += !strcmp(b->kvs[i].key, "para");
    if (!np)
        lerr(C, b->file, b->line, "lesson %s has an empty body: write at least one "
             "'para = ...' line", b->id);
    if (np > KF_LESSON_PARAS_MAX)
        lerr(C, b->file, b->line, "lesson %s has %d paragraphs; at most %d keep it short "
             "(split it into two lessons)", b->id, np, KF_LESSON_PARAS_MAX);
    o->paras = lalloc(C, (size_t)np * sizeof *o->paras);
    if (!o->paras)
        return;
    for (int i = 0; i < b->n_kvs; i++) {
        const kv *p = &b->kvs[i];
        if (strcmp(p->key, "para"))
            continue;
        size_t n = strlen(p->val);
        total += n;
        if (n > KF_LESSON_PARA_MAX)
            lerr(C, b->file, p->line, "lesson %s: this paragraph is %zu characters; split it "
                 "(at most %d read well on a phone)", b->id, n, KF_LESSON_PARA_MAX);
        check_marks(C, b, p, o->teaches, o->n_teaches, shows_dose);
        o->paras[o->n_paras++] = p->val;
    }
    if (total > KF_LESSON_BODY_MAX)
        lerr(C, b->file, b->line, "lesson %s is %zu characters long; at most %d read in a few "
             "minutes (split it)", b->id, total, KF_LESSON_BODY_MAX);
    (void)kb;
}

/* True when a cause is a link of a chain: it pulls on another place, or a
 * habit keeps a muscle short (either end).  *what says which, for messages. */
static bool has_chain(const kf_kb *kb, int c, const bool *kept, char *what, size_t wn)
{
    const kf_cause *k = &kb->causes[c];
    for (int l = 0; l < k->n_links; l++) {
        const kf_link *ln = &kb->links[k->links[l]];
        if (ln->mech == KF_MECH_PULLS) {
            snprintf(what, wn, "it pulls on %s", kb->findings[ln->finding].id);
            return true;
        }
    }
    if (k->n_keeps) {
        snprintf(what, wn, "it keeps %s short", kb->causes[k->keeps[0]].id);
        return true;
    }
    if (kept[c]) {
        snprintf(what, wn, "a habit keeps it short");
        return true;
    }
    return false;
}

static void check_coverage(lctx *C, const bool *shows_dose)
{
    const kf_kb *kb = C->kb;
    bool *taught_c = lalloc(C, (size_t)kb->n_causes * sizeof *taught_c);
    bool *taught_r = lalloc(C, (size_t)kb->n_redflags * sizeof *taught_r);
    bool *kept = lalloc(C, (size_t)kb->n_causes * sizeof *kept);
    if (!taught_c || !taught_r || !kept)
        return;
    for (int i = 0; i < kb->n_lessons; i++)
        for (int t = 0; t < kb->lessons[i].n_teaches; t++) {
            const kf_teach *x = &kb->lessons[i].teaches[t];
            if (x->kind == KF_TEACH_CAUSE)
                taught_c[x->idx] = true;
            else if (x->kind == KF_TEACH_REDFLAG)
                taught_r[x->idx] = true;
        }
    for (int c = 0; c < kb->n_causes; c++)
        for (int k = 0; k < kb->causes[c].n_keeps; k++)
            kept[kb->causes[c].keeps[k]] = true;
    for (int c = 0; c < kb->n_causes; c++) {
        char what[160];
        const block *b = find_block(C, "cause", kb->causes[c].id);
        if (taught_c[c] || !b)
            continue;
        if (has_chain(kb, c, kept, what, sizeof what))
            lerr(C, b->file, b->line, "cause %s has a chain (%s) but no lesson teaches it: "
                 "add it to the teaches of the lesson on that chain", kb->causes[c].id, what);
        else if (kb->causes[c].kind == KF_CAUSE_MIMIC)
            lerr(C, b->file, b->line, "cause %s needs a doctor when it is likely but no lesson "
                 "teaches it: add it to a lesson on when to see a doctor", kb->causes[c].id);
    }
    for (int t = 0; t < kb->n_techniques; t++) {
        const block *b = find_block(C, "technique", kb->techniques[t].id);
        if (b && kb->techniques[t].dose && !shows_dose[t])
            lerr(C, b->file, b->line, "technique %s: no lesson shows its dose; write "
                 "'{dose %s}' in the lesson that teaches it", kb->techniques[t].id,
                 kb->techniques[t].id);
    }
    for (int r = 0; r < kb->n_redflags; r++) {
        const block *b = find_block(C, "redflag", kb->redflags[r].id);
        if (b && !taught_r[r])
            lerr(C, b->file, b->line, "redflag %s: no lesson teaches this warning sign; add it "
                 "to the teaches of a lesson on when to see a doctor", kb->redflags[r].id);
    }
    for (int m = 0; m < kb->n_modules; m++)
        if (!kb->modules[m].n) {
            const block *b = find_block(C, "module", kb->modules[m].id);
            if (b)
                lerr(C, b->file, b->line, "module %s has no lessons", kb->modules[m].id);
        }
}

void kf__kb_lessons(kf_kb *kb, const block *blocks, int n_blocks, const kf_kb_env *env)
{
    lctx C = { kb, env, blocks, n_blocks, false };
    kb->modules = NULL;
    kb->lessons = NULL;
    kb->n_modules = kb->n_lessons = 0;
    int nl = 0, nm = 0;
    for (int i = 0; i < n_blocks; i++) {
        nl += !strcmp(blocks[i].kind, "lesson");
        nm += !strcmp(blocks[i].kind, "module");
    }
    if (!nl && !nm)
        return;
    build_modules(&C);
    les_in *in = lalloc(&C, (size_t)nl * sizeof *in);
    kb->lessons = lalloc(&C, (size_t)nl * sizeof *kb->lessons);
    bool *shows_dose = lalloc(&C, (size_t)kb->n_techniques * sizeof *shows_dose);
    if (C.oom)
        return;
    int k = 0;
    for (int i = 0; i < n_blocks; i++) {
        const block *b = &blocks[i];
        if (strcmp(b->kind, "lesson"))
            continue;
        const block *first = find_block(&C, "lesson", b->id);
        if (first != b) {
            lerr(&C, b->file, b->line, "duplicate lesson id '%s' (first defined at %s:%d)",
                 b->id, first->file, first->line);
            continue;
        }
        int line;
        const char *mod = bget(b, "module", &line);
        int m = -1;
        for (int j = 0; mod && j < kb->n_modules; j++)
            if (!strcmp(kb->modules[j].id, mod))
                m = j;
        if (!mod)
            lerr(&C, b->file, b->line, "lesson %s has no module", b->id);
        else if (m < 0)
            lerr(&C, b->file, line, "lesson %s: unknown module '%s'", b->id, mod);
        int order = parse_order(&C, b);
        for (int j = 0; j < k && m >= 0 && order > 0; j++)
            if (in[j].module == m && in[j].order == order)
                lerr(&C, b->file, b->line, "lesson %s has order %d in module %s, as lesson %s "
                     "(%s:%d) does: give each lesson its own place", b->id, order, mod,
                     in[j].b->id, in[j].b->file, in[j].b->line);
        in[k++] = (les_in){ b, m, order };
    }
    qsort(in, (size_t)k, sizeof *in, cmp_les);
    for (int j = 0; j < k && !C.oom; j++) {
        kf_lesson *o = &kb->lessons[j];
        build_one(&C, in[j].b, o, shows_dose);
        o->module = in[j].module;
        o->order = in[j].order;
    }
    memset(in, 0, (size_t)nl * sizeof *in);     /* (as in build_modules) */
    kb->n_lessons = k;
    /* Each module's run of lessons (lessons without a known module are
     * reported above; the load fails, so where they sort does not matter). */
    for (int j = 0; j < k; j++) {
        int m = kb->lessons[j].module;
        if (m < 0)
            continue;
        if (!kb->modules[m].n)
            kb->modules[m].first = j;
        kb->modules[m].n++;
    }
    if (!C.oom)
        check_coverage(&C, shows_dose);
}
