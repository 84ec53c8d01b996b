/*
 * kb.c — loads and validates the knowledge base (docs/KB-FORMAT.md).
 *
 * Loading runs in three passes: parse every file into raw blocks of
 * key/value lines (syntax errors), declare every id (duplicates), then
 * resolve every reference and value (unknown ids, ranges, missing sources).
 * All problems are collected as "file:line: message"; any problem fails the
 * load and frees everything, so a failed load changes nothing.
 */
#include "kb.h"
#include "kb_raw.h"
#include "map.h"
#include "pattern.h"
#include "render_json.h"
#include "triage.h"

#include <ctype.h>
#include <link.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libstemmer.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------- arena: every string and array of a kb lives here ---------- */

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
} arena_chunk;

/* An arena is one contiguous region when it can be: address space reserved
 * up front (pages are only made when first written), filled from the
 * start, so that a loaded KB is one block of memory that can be written to
 * a snapshot file and mapped back (see "snapshot" below).  When the region
 * cannot be reserved or fills up, chunks of 64 KB follow (and that KB is
 * not snapshotted).  A KB mapped from a snapshot keeps the mapping here. */
typedef struct {
    char  *base;         /* the region, or NULL */
    size_t used, cap;
    arena_chunk *head;   /* chunks after the region */
    void  *map;          /* a snapshot file mapped, or NULL */
    size_t map_len;
    bool oom;
} arena;

/* In sanitizer builds the unused part of every chunk, and the padding
 * after each allocation, is poisoned (poison.h). */
#include "poison.h"

/* Where a KB's region is reserved when that address space is free (the
 * kernel takes it as a hint, else it picks another place): far from the
 * program, its heap, the libraries and the stack.  A snapshot's pointers
 * are those of the region they were made in, so one made here maps back
 * here in the next process as it is, with no word rewritten (see
 * "snapshot" below). */
#define KB_PLACE ((uintptr_t)0x3e5a00000000ULL)

/* The place a KB read from its text asks for: a random 64 MB step in the
 * 4 TB above 16 TB (KB_PLACE when the system gives no random bytes), so
 * the address a snapshot maps back to differs from one machine, user and
 * KB edit to the next instead of being one address every install shares
 * (the same per process as before only while the snapshot stays). */
static uintptr_t kb_place(void)
{
    uint32_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        return KB_PLACE;
    return ((uintptr_t)1 << 44) + ((uintptr_t)(r & 0xffff) << 26);
}

/* Reserves `cap` bytes of address space for the region, at `place` when it
 * is free (0: anywhere); without it the arena works in chunks. */
static void arena_reserve(arena *a, size_t cap, uintptr_t place)
{
    cap = (cap + 4095) & ~(size_t)4095;
    void *p = mmap((void *)place, cap, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return;
    a->base = p;
    a->cap = cap;
    a->used = 0;
}

static void *arena_alloc(arena *a, size_t want)
{
    size_t n = (want + 7) & ~(size_t)7;      /* 8: nothing in a KB needs more */
#ifdef KF_ARENA_POISON
    n += 16;             /* a poisoned gap after every allocation */
#endif
    if (a->base && !a->head && n <= a->cap - a->used) {
        /* fresh pages of the region come zeroed */
        void *p = a->base + a->used;
        a->used += n;
        ARENA_POISON((char *)p + want, n - want);
        return p;
    }
    if (!a->head || a->head->used + n > a->head->cap) {
        size_t cap = n > 65536 ? n : 65536;
        /* calloc: fresh pages come zeroed, so allocations need no memset */
        arena_chunk *c = kf_calloc(1, sizeof *c + cap);
        if (!c) {
            a->oom = true;
            return NULL;
        }
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
        ARENA_POISON(c->data, cap);
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    ARENA_UNPOISON(p, want ? want : 1);
    return p;
}

/* printf into the arena: measures first, so the buffer always fits. */
static char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = arena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

static char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void arena_free(arena *a)
{
    for (arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        ARENA_UNPOISON(c->data, c->cap);
        kf_free(c);
    }
    a->head = NULL;
    if (a->base) {
        ARENA_UNPOISON(a->base, a->used);
        munmap(a->base, a->cap);
        a->base = NULL;
    }
    if (a->map) {
        munmap(a->map, a->map_len);
        a->map = NULL;
    }
}

/* Whether an array of the arena grown one at a time, `n` long, is full:
 * 256 first, then twice as many each time (the arena never gives memory
 * back, so the copies left behind come to no more than the array). */
static bool arena_grows(int n)
{
    return n == 0 || (n >= 256 && !(n & (n - 1)));
}

/* Moves a map's slots into the arena, so that all of a KB is in it; on
 * out of memory frees them (the map is empty) and returns false. */
static bool arena_adopt_map(arena *a, kf_map *m)
{
    if (!m->cap)
        return true;
    kf_map_slot *v = arena_alloc(a, m->cap * sizeof *v);
    if (v)
        memcpy(v, m->slots, m->cap * sizeof *v);
    kf_free(m->slots);
    m->slots = v;
    if (!v)
        memset(m, 0, sizeof *m);
    return v != NULL;
}

/* ---------- the id, word and spelling maps (map.h) ---------- */

typedef kf_map strmap;

static int strmap_get(const strmap *m, const char *s, size_t len)
{
    return kf_map_get(m, s, len);
}

/* Adds key (which must outlive the map) unless present; returns false on OOM. */
static bool strmap_putn(strmap *m, const char *key, size_t len, int val)
{
    return kf_map_put(m, key, len, val);
}

static bool strmap_put(strmap *m, const char *key, int val)
{
    return kf_map_put(m, key, strlen(key), val);
}

static void strmap_free(strmap *m) { kf_map_free(m); }

/* ---------- stemming (one Snowball stemmer per thread) ---------- */

static pthread_key_t stem_key;
static pthread_once_t stem_once = PTHREAD_ONCE_INIT;

static void stem_destroy(void *p) { sb_stemmer_delete(p); }
static void stem_init(void) { pthread_key_create(&stem_key, stem_destroy); }

size_t kf_stem(const char *word, size_t len, char *out, size_t outsz)
{
    pthread_once(&stem_once, stem_init);
    struct sb_stemmer *st = pthread_getspecific(stem_key);
    if (!st) {
        st = sb_stemmer_new("english", NULL);
        if (st)
            pthread_setspecific(stem_key, st);
    }
    const sb_symbol *r = NULL;
    int n = 0;
    if (st && len < 60) {
        r = sb_stemmer_stem(st, (const sb_symbol *)word, (int)len);
        n = sb_stemmer_length(st);
    }
    if (!r) {              /* no stemmer or a very long word: keep it as is */
        r = (const sb_symbol *)word;
        n = (int)len;
    }
    size_t m = (size_t)n < outsz - 1 ? (size_t)n : outsz - 1;
    memcpy(out, r, m);
    out[m] = '\0';
    return m;
}

/* ---------- raw parse ---------- */


typedef struct {
    arena a;
    arena tmp;              /* what only the loader needs (lines, lists): not in the KB */
    kf_buf *errs;
    int n_errs;
    block *blocks;
    int n_blocks, cap_blocks;
    kf_kb *kb;
    strmap regions, findings, causes, techniques, redflags, words, raw_words, spell;
    strmap raw2id;          /* raw lexicon word -> its stem's word id */
    strmap classes;         /* word class name -> index into class_def */
    char **class_def;       /* the text after "name:" (arena) */
    int n_class, cap_class;
    const char *sore_source;   /* SORE_SOURCE in the arena */
    const char *pat_file;   /* where the pattern being compiled was written */
    int pat_line;
    unsigned long long digest;
} loader;

typedef struct {
    uint32_t hash;
    uint32_t ref;           /* (raw word * 64 + the letter deleted) + 1; 0: free */
} del_slot;

/* Internals kept after loading, for lookups. */
typedef struct {
    arena a;
    strmap regions, findings, causes, techniques, words, spell, raw_words;
    /* Every lexicon word of 4-40 letters with one letter deleted, for
     * kf_kb_correct: the deletion's hash (kf_map_hash) and which word and
     * letter it is, so no deletion's letters are kept (a free slot's ref
     * is 0).  The first word with a given deletion is the one found. */
    del_slot *dels;
    uint32_t dels_mask;
    strmap raw2id;          /* lexicon word as written -> its stem's word id */
    strmap phrase_seq;      /* a phrase's word ids (bytes) -> phrase, -2 a prefix of one */
    strmap lex;             /* a word as written -> spell, raw2id and raw_words in one
                             * value (LEX_*), for kf_kb_lex; empty when they do not fit */
    /* The same for the words of up to 16 letters, which are most, as two
     * 8-byte numbers (the word, then zeros) in an open-addressed table:
     * no key to follow, no length to compare (lex keeps the longer ones). */
    uint64_t *lexw;         /* 2 per slot; a free slot is 0, 0 */
    int32_t *lexw_val;
    uint32_t lexw_mask;
} kb_priv;

/* kb_priv.lex values: the spelling fix + 1, the raw2id word id + 1, and
 * whether it is a raw lexicon word. */
#define LEX_BITS  15
#define LEX_MASK  ((1 << LEX_BITS) - 1)
#define LEX_KNOWN (1 << (2 * LEX_BITS))

static void err_at(loader *L, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void err_at(loader *L, const char *file, int line, const char *fmt, ...)
{
    L->n_errs++;
    if (!L->errs)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kf_buf_printf(L->errs, "%s:%d: %s\n", file, line, msg);
}

/* The loader's own scratch memory (freed with the loader; out of memory
 * fails the load like the KB's own). */
static void *tmp_alloc(loader *L, size_t n)
{
    void *p = arena_alloc(&L->tmp, n);
    if (!p)
        L->a.oom = true;
    return p;
}

static char *tmp_strndup(loader *L, const char *s, size_t n)
{
    char *d = tmp_alloc(L, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

static bool valid_id(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static block *new_block(loader *L)
{
    if (L->n_blocks == L->cap_blocks) {
        int cap = L->cap_blocks ? L->cap_blocks * 2 : 64;
        block *b = kf_realloc(L->blocks, (size_t)cap * sizeof *b);
        if (!b) {
            L->a.oom = true;
            return NULL;
        }
        L->blocks = b;
        L->cap_blocks = cap;
    }
    block *b = &L->blocks[L->n_blocks++];
    memset(b, 0, sizeof *b);
    return b;
}

static void add_kv(loader *L, block *b, const char *key, const char *val, int line)
{
    if (b->n_kvs == b->cap_kvs) {
        int cap = b->cap_kvs ? b->cap_kvs * 2 : 16;
        kv *k = tmp_alloc(L, (size_t)cap * sizeof *k);
        if (!k)
            return;
        if (b->n_kvs)
            memcpy(k, b->kvs, (size_t)b->n_kvs * sizeof *k);
        b->kvs = k;
        b->cap_kvs = cap;
    }
    b->kvs[b->n_kvs++] = (kv){ key, val, line };
}

static const char *const kinds[] = {
    "region", "finding", "cause", "technique", "redflag", "lexicon", "scale",
    "module", "lesson"
};

/* Parses one file's text into blocks.  `text` is copied. */
static void parse_text(loader *L, const char *fname, const char *text, size_t len)
{
    const char *file = arena_strndup(&L->a, fname, strlen(fname));
    char *buf = arena_strndup(&L->a, text, len);
    if (!file || !buf)
        return;
    for (size_t i = 0; i < len; i++)
        L->digest = (L->digest ^ (unsigned char)text[i]) * 1099511628211ULL;
    if (memchr(text, '\0', len)) {
        err_at(L, file, 1, "file contains a NUL byte; knowledge-base files are plain text");
        return;
    }
    block *cur = NULL;
    int lineno = 0;
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        lineno++;
        int startline = lineno;
        /* Join continuation lines ending in " \". */
        char *line = p;
        char *lend = le;
        while (lend > line && lend[-1] == '\r')
            lend--;
        while (lend > line && lend[-1] == '\\' && nl) {
            lend[-1] = ' ';
            char *next = nl + 1;
            char *nnl = memchr(next, '\n', (size_t)(end - next));
            char *nle = nnl ? nnl : end;
            /* Move the next line up so the value is contiguous. */
            size_t n = (size_t)(nle - next);
            memmove(lend, next, n);
            lend += n;
            memset(lend, ' ', (size_t)(nle - lend));
            lineno++;
            nl = nnl;
            le = nle;
            while (lend > line && lend[-1] == '\r')
                lend--;
        }
        p = nl ? nl + 1 : end;
        char *s = trim(line, lend);
        if (!*s || *s == '#')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || close[1]) {
                err_at(L, file, startline, "a block header must look like [kind id]");
                cur = NULL;
                continue;
            }
            *close = '\0';
            char *kind = trim(s + 1, close);
            char *sp = kind;
            while (*sp && !isspace((unsigned char)*sp))
                sp++;
            char *id = sp;
            if (*sp) {
                *sp = '\0';
                id = trim(sp + 1, sp + 1 + strlen(sp + 1));
            }
            bool known = false;
            for (size_t k = 0; k < KF_ARRAY_LEN(kinds); k++)
                known |= !strcmp(kind, kinds[k]);
            if (!known) {
                err_at(L, file, startline, "unknown block kind '%s' (expected region, finding, "
                       "cause, technique, redflag, lexicon, scale, module or lesson)", kind);
                cur = NULL;
                continue;
            }
            if (strcmp(kind, "scale") && strcmp(kind, "lexicon") && !valid_id(id)) {
                err_at(L, file, startline, "invalid id '%s': use lower-case letters, digits and _", id);
                cur = NULL;
                continue;
            }
            cur = new_block(L);
            if (!cur)
                return;
            cur->kind = kind;
            cur->id = id;
            cur->file = file;
            cur->line = startline;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            err_at(L, file, startline, "expected 'key = value' or '[kind id]', got '%.40s'", s);
            continue;
        }
        *eq = '\0';
        char *key = trim(s, eq);
        char *val = trim(eq + 1, eq + 1 + strlen(eq + 1));
        if (!cur) {
            err_at(L, file, startline, "'%s' outside of any block", key);
            continue;
        }
        if (!*val) {
            err_at(L, file, startline, "'%s' has an empty value", key);
            continue;
        }
        add_kv(L, cur, key, val, startline);
    }
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it
 * is not one (overlong forms, surrogates and code points past U+10FFFF are
 * not). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t k;
    unsigned cp, min;
    if ((p[0] & 0xE0) == 0xC0)      { k = 2; cp = p[0] & 0x1F; min = 0x80; }
    else if ((p[0] & 0xF0) == 0xE0) { k = 3; cp = p[0] & 0x0F; min = 0x800; }
    else if ((p[0] & 0xF8) == 0xF0) { k = 4; cp = p[0] & 0x07; min = 0x10000; }
    else return 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* Knowledge-base files are UTF-8: each line that is not gets a file:line
 * error (the first five of a file), so a bad byte never reaches a label
 * that a JSON answer then cannot carry. */
static void check_utf8(loader *L, const char *name, const char *s, size_t n)
{
    int line = 1, bad = 0, bad_line = 0;
    for (size_t i = 0; i < n; ) {
        if (s[i] == '\n') {
            line++;
            i++;
            continue;
        }
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            if (line != bad_line && ++bad <= 5)
                err_at(L, name, line, "not valid UTF-8 (byte 0x%02x); "
                       "knowledge-base files must be UTF-8 text",
                       (unsigned char)s[i]);
            bad_line = line;
            k = 1;
        }
        i += k;
    }
}

/* One .kb file read into memory (kb_files), or the problem reading it. */
typedef struct {
    char       *name;
    size_t      off, len;    /* in kb_files.text */
    const char *problem;     /* NULL when read; else the file:0 message */
} kb_file;

typedef struct {
    kb_file *v;
    int      n;
    kf_buf   text;           /* every file's bytes, one after the other */
    bool     complete;       /* every file read (none has a problem) */
} kb_files;

static void kb_files_free(kb_files *f)
{
    for (int i = 0; i < f->n; i++) {
        kf_free(f->v[i].name);
        kf_free((char *)f->v[i].problem);
    }
    kf_free(f->v);
    kf_buf_free(&f->text);
    memset(f, 0, sizeof *f);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg) + 1;
    char *d = kf_malloc(n);
    if (d)
        memcpy(d, msg, n);
    return d;
}

/* Reads one file into f->text; returns the problem, or NULL. */
static const char *read_one(kb_files *f, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular
     * file is read at all. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return dup_printf("cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return dup_printf("not a regular file (%s); a knowledge-base file must "
               "be a plain text file",
               S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a folder"
               : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
               : S_ISSOCK(st.st_mode) ? "a socket" : "a special file");
    }
    const size_t max = 8 * 1024 * 1024;
    kf_buf *b = &f->text;
    size_t start = b->len;
    /* straight into the buffer, sized by fstat (a file that grows while
     * read gets more room) */
    size_t want = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 2;
    for (;;) {
        if (b->cap - b->len < want + 1) {
            size_t cap = b->cap ? b->cap : 65536;
            while (cap - b->len < want + 1)
                cap *= 2;
            char *v = kf_realloc(b->s, cap);
            if (!v) {
                close(fd);
                b->oom = true;
                return NULL;
            }
            b->s = v;
            b->cap = cap;
        }
        ssize_t r = read(fd, b->s + b->len, b->cap - b->len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            b->len = start;
            return dup_printf("read error");
        }
        if (r == 0)
            break;
        b->len += (size_t)r;
        if (b->len - start > max) {
            close(fd);
            b->len = start;
            return dup_printf("file is over 8 MB; is it really a knowledge-base file?");
        }
        want = 65536;
    }
    b->s[b->len] = '\0';
    close(fd);
    return NULL;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_kb_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 3 && d->d_name[0] != '.' && !strcmp(d->d_name + n - 3, ".kb");
}

/* Every *.kb file of `dir`, in name order, read into memory.  Returns KF_OK
 * (problems with single files are kept for the load to report in order),
 * KF_EIO when the folder cannot be read (message in errs), KF_ENOMEM. */
static kf_err read_files(const char *dir, kb_files *f, kf_buf *errs)
{
    memset(f, 0, sizeof *f);
    kf_buf_init(&f->text);
    struct dirent **names = NULL;
    int n = scandir(dir, &names, is_kb_file, cmp_names);
    if (n < 0) {
        if (errs)
            kf_buf_printf(errs, "%s:0: cannot read the knowledge-base folder: %s\n", dir,
                          strerror(errno));
        return KF_EIO;
    }
    kf_err e = KF_OK;
    f->v = kf_calloc((size_t)(n ? n : 1), sizeof *f->v);
    if (!f->v)
        e = KF_ENOMEM;
    f->complete = true;
    for (int i = 0; i < n; i++) {
        if (e == KF_OK) {
            kb_file *k = &f->v[f->n++];
            size_t nl = strlen(names[i]->d_name) + 1;
            k->name = kf_malloc(nl);
            if (!k->name) {
                e = KF_ENOMEM;
            } else {
                memcpy(k->name, names[i]->d_name, nl);
                k->off = f->text.len;
                k->problem = read_one(f, dir, k->name);
                k->len = f->text.len - k->off;
                f->complete &= !k->problem;
                if (f->text.oom)
                    e = KF_ENOMEM;
            }
        }
        free(names[i]);
    }
    free(names);
    if (e != KF_OK)
        kb_files_free(f);
    return e;
}

/* Parses the files read (each problem reported as FILE:0). */
static void parse_files(loader *L, const kb_files *f)
{
    for (int i = 0; i < f->n; i++) {
        const kb_file *k = &f->v[i];
        if (k->problem) {
            err_at(L, k->name, 0, "%s", k->problem);
            continue;
        }
        /* Parsed even when a line is bad, so that the rest of the KB still
         * finds the ids this file declares and only the bad lines are
         * reported. */
        const char *t = f->text.s ? f->text.s + k->off : "";
        check_utf8(L, k->name, t, k->len);
        parse_text(L, k->name, t, k->len);
    }
}

/* ---------- helpers for pass 2 and 3 ---------- */

static const char *get(const block *b, const char *key, int *line)
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

/* Splits `s` on `sep` into trimmed arena strings; returns the count. */
static int split(loader *L, const char *s, char sep, char ***out)
{
    int n = 1;
    for (const char *p = s; *p; p++)
        n += *p == sep;
    char **v = tmp_alloc(L, (size_t)n * sizeof *v);     /* the parts stay, the list goes */
    if (!v) {
        *out = NULL;
        return 0;
    }
    int k = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == sep || !*p) {
            char *d = arena_strndup(&L->a, start, (size_t)(p - start));
            if (!d)
                break;
            d = trim(d, d + (p - start));
            if (*d)
                v[k++] = d;
            if (!*p)
                break;
            start = p + 1;
        }
    }
    *out = v;
    return k;
}

/* Resolves a comma list of ids in `map`; unknown ids are errors. */
static int resolve_list(loader *L, const block *b, const char *key, strmap *map,
                        const char *what, int **out)
{
    int line;
    const char *v = get(b, key, &line);
    *out = NULL;
    if (!v)
        return 0;
    char **parts;
    int n = split(L, v, ',', &parts);
    int *ids = arena_alloc(&L->a, (size_t)(n ? n : 1) * sizeof *ids);
    if (!ids)
        return 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        int id = strmap_get(map, parts[i], strlen(parts[i]));
        if (id < 0)
            err_at(L, b->file, line, "%s '%s': unknown %s '%s'", b->id, key, what, parts[i]);
        else
            ids[k++] = id;
    }
    *out = ids;
    return k;
}

static bool parse_bool(loader *L, const block *b, const char *key, bool dflt)
{
    int line;
    const char *v = get(b, key, &line);
    if (!v)
        return dflt;
    if (!strcmp(v, "yes") || !strcmp(v, "true"))
        return true;
    if (!strcmp(v, "no") || !strcmp(v, "false"))
        return false;
    err_at(L, b->file, line, "%s '%s' must be yes or no, not '%s'", b->id, key, v);
    return dflt;
}

/* A probability word or number strictly inside (0,1). */
static double parse_strength(loader *L, const char *file, int line, const char *s,
                             bool prior)
{
    kf_kb *kb = L->kb;
    static const char *const words[] = { "always", "often", "sometimes", "rarely" };
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, words[i]))
            return kb->strengths[i];
    if (prior) {
        if (!strcmp(s, "common"))   return 0.10;
        if (!strcmp(s, "uncommon")) return 0.03;
        if (!strcmp(s, "rare"))     return 0.005;
    }
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end) {
        err_at(L, file, line, "'%s' is not a %s (use %s or a number between 0 and 1)", s,
               prior ? "prior" : "strength",
               prior ? "common, uncommon, rare" : "always, often, sometimes, rarely");
        return -1;
    }
    if (!(d > 0 && d < 1)) {
        err_at(L, file, line, "%s %g is out of range: it must be between 0 and 1 (exclusive)",
               prior ? "prior" : "strength", d);
        return -1;
    }
    return d;
}

/* Reads the enumerated value of `key` (one of names[0..n)); returns its
 * index, or `dflt` after an error naming the value and the choices (when the
 * key is missing and `required`, or has a value not in the list). */
static int parse_enum(loader *L, const block *b, const char *key, const char *const *names,
                      int n, bool required, int dflt)
{
    int line;
    const char *v = get(b, key, &line);
    if (!v && !required)
        return dflt;
    for (int j = 0; v && j < n; j++)
        if (!strcmp(v, names[j]))
            return j;
    char choices[256] = "";
    for (int j = 0; j < n; j++) {
        strncat(choices, names[j], sizeof choices - strlen(choices) - 1);
        if (j + 1 < n)
            strncat(choices, j + 2 < n ? ", " : " or ", sizeof choices - strlen(choices) - 1);
    }
    if (v)
        err_at(L, b->file, line, "%s %s: %s '%s' is not one of %s", b->kind, b->id, key, v, choices);
    else
        err_at(L, b->file, line, "%s %s has no %s (one of %s)", b->kind, b->id, key, choices);
    return dflt;
}

static void need_source(loader *L, const block *b)
{
    if (!get(b, "source", NULL))
        err_at(L, b->file, b->line, "%s %s has no source: say where this fact comes from",
               b->kind, b->id);
}

static const char *const allowed_keys[][20] = {
    /* region */    { "label", "view", "sided", "near", "source", NULL },
    /* finding */   { "label", "question", "why_ask", "kind", "sided", "own_side", "both_of",
                      "any_of", "source", NULL },
    /* cause */     { "kind", "name", "prior", "where", "about", "treat", "level",
                      "keeps_tight", "kept_by", "release_first", "family", "posture", "source",
                      "refers", "pulls", "local", "sign", "reports", NULL },
    /* technique */ { "name", "kind", "step", "dose", "timer", "caution", "source",
                      "works_on", "relief", "not_for", "first_for", "instead", "when",
                      "helper_at", "gentler", NULL },
    /* redflag */   { "level", "mimic", "all", "any", "none", "screen", "message",
                      "source", NULL },
    /* lexicon */   { "phrase", "pattern", "class", "spell", "negate", "stop", "side_left",
                      "side_right", "side_both", "source", "whole", "past", NULL },
    /* scale */     { "always", "often", "sometimes", "rarely", "leak", "keeps_tight", "source",
                      "own_share", "relief_hours", "relief_trials", "old_age", "young_age", "acute_days",
                      "late_pregnancy_weeks", NULL },
    /* module */    { "title", "order", "about", "source", NULL },
    /* lesson */    { "module", "order", "title", "para", "teaches", "for", "video", "source",
                      NULL },
};

static const char *const repeatable[] = {
    "refers", "pulls", "local", "sign", "reports", "kept_by", "step", "not_for", "gentler",
    "phrase",
    "pattern", "class", "spell", "negate", "whole",
    "stop", "side_left", "side_right", "side_both", "past", "para", NULL
};

static void check_keys(loader *L, const block *b)
{
    int k = 0;
    while (strcmp(kinds[k], b->kind))
        k++;
    for (int i = 0; i < b->n_kvs; i++) {
        bool ok = false;
        for (int j = 0; !ok && allowed_keys[k][j]; j++)
            ok = !strcmp(allowed_keys[k][j], b->kvs[i].key);
        if (!ok) {
            err_at(L, b->file, b->kvs[i].line, "unknown key '%s' in %s %s", b->kvs[i].key,
                   b->kind, b->id);
            continue;
        }
        bool rep = false;
        for (int j = 0; !rep && repeatable[j]; j++)
            rep = !strcmp(repeatable[j], b->kvs[i].key);
        if (rep)
            continue;
        for (int j = 0; j < i; j++)
            if (!strcmp(b->kvs[j].key, b->kvs[i].key))
                err_at(L, b->file, b->kvs[i].line, "'%s' given twice in %s %s (first on line %d)",
                       b->kvs[i].key, b->kind, b->id, b->kvs[j].line);
    }
}

static int count_kind(loader *L, const char *kind)
{
    int n = 0;
    for (int i = 0; i < L->n_blocks; i++)
        n += !strcmp(L->blocks[i].kind, kind);
    return n;
}

/* Declares ids of `kind` into `map`; duplicates are errors. */
static void declare(loader *L, const char *kind, strmap *map)
{
    int n = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, kind))
            continue;
        int prev = strmap_get(map, b->id, strlen(b->id));
        if (prev >= 0) {
            /* find the first block with this id for the message */
            for (int j = 0; j < i; j++)
                if (!strcmp(L->blocks[j].kind, kind) && !strcmp(L->blocks[j].id, b->id)) {
                    err_at(L, b->file, b->line, "duplicate %s id '%s' (first defined at %s:%d)",
                           kind, b->id, L->blocks[j].file, L->blocks[j].line);
                    break;
                }
            continue;
        }
        if (!strmap_put(map, b->id, n++))
            L->a.oom = true;
    }
}

/* True when `b` is a block of `kind` whose id was declared as entity `idx`
 * of `map` (a duplicate id was reported when declared, and is skipped). */
static bool declared(const block *b, const char *kind, const strmap *map, int idx)
{
    return !strcmp(b->kind, kind) && strmap_get(map, b->id, strlen(b->id)) == idx;
}

/* ---------- pass 3: build each entity ---------- */

static void build_scale(loader *L)
{
    kf_kb *kb = L->kb;
    kb->strengths[0] = 0.9;
    kb->strengths[1] = 0.6;
    kb->strengths[2] = 0.3;
    kb->strengths[3] = 0.1;
    kb->leak = 0.02;
    kb->keeps = 0.5;
    kb->relief_hours = 24;
    kb->relief_trials = 3;
    kb->old_age = 65;
    kb->young_age = 18;
    kb->acute_days = 3;
    kb->late_pregnancy_weeks = 28;
    static const char *const keys[] = { "always", "often", "sometimes", "rarely", "leak",
                                        "keeps_tight", "own_share" };
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "scale"))
            continue;
        need_source(L, b);
        for (int k = 0; k < (int)KF_ARRAY_LEN(keys); k++) {
            int line;
            const char *v = get(b, keys[k], &line);
            if (!v)
                continue;
            char *end;
            double d = strtod(v, &end);
            if (end == v || *end || !(d > 0 && d < 1)) {
                err_at(L, b->file, line, "scale '%s' must be a number between 0 and 1, not '%s'",
                       keys[k], v);
                continue;
            }
            if (k < 4)
                kb->strengths[k] = d;
            else if (k == 4)
                kb->leak = d;
            else if (k == 5)
                kb->keeps = d;
            else
                kb->own_share = d;
        }
        /* Numbers that are not probabilities: key, lowest, highest. */
        static const struct { const char *key; double lo, hi; } nums[] = {
            { "relief_hours", 1, 24 * 14 }, { "relief_trials", 1, 8 },
            { "old_age", 40, 110 }, { "young_age", 5, 30 }, { "acute_days", 1, 30 },
            { "late_pregnancy_weeks", 12, 42 },
        };
        for (size_t k = 0; k < KF_ARRAY_LEN(nums); k++) {
            int line;
            const char *v = get(b, nums[k].key, &line);
            if (!v)
                continue;
            char *end;
            double d = strtod(v, &end);
            if (end == v || *end || !(d >= nums[k].lo && d <= nums[k].hi)) {
                err_at(L, b->file, line, "scale '%s' must be a number from %g to %g, not '%s'",
                       nums[k].key, nums[k].lo, nums[k].hi, v);
                continue;
            }
            switch (k) {
            case 0: kb->relief_hours = d; break;
            case 1: kb->relief_trials = (int)d; break;
            case 2: kb->old_age = (int)d; break;
            case 3: kb->young_age = (int)d; break;
            case 4: kb->acute_days = (int)d; break;
            default: kb->late_pregnancy_weeks = (int)d; break;
            }
        }
    }
}

static void build_regions(loader *L)
{
    kf_kb *kb = L->kb;
    int r = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (!declared(b, "region", &L->regions, r))
            continue;
        kf_region *g = &kb->regions[r++];
        g->id = b->id;
        int line;
        g->label = get(b, "label", &line);
        if (!g->label) {
            err_at(L, b->file, b->line, "region %s has no label", b->id);
            g->label = b->id;
        }
        const char *view = get(b, "view", &line);
        if (!view || (strcmp(view, "back") && strcmp(view, "front")))
            err_at(L, b->file, line, "region %s: view must be back or front", b->id);
        g->back = view && !strcmp(view, "back");
        g->sided = parse_bool(L, b, "sided", true);
        g->n_near = resolve_list(L, b, "near", &L->regions, "region", &g->near);
        g->source = get(b, "source", NULL);
        need_source(L, b);
    }
}

static const char *const finding_kinds[] = {
    "location", "symptom", "habit", "history", "body", "followup", "redflag"
};

/* What the generated sore-spot findings and links cite, and say.  Kept in
 * the arena like every string of a KB (a snapshot holds the arena only). */
#define SORE_SOURCE "003_8a9c84e9d3df908b.txt; 004_0c58c8d9993c8630.txt"
#define SORE_WHY    "When the knot is in the muscle right where it hurts, work on " \
                    "the spot itself brings relief that lasts."

static const char *sore_source(loader *L)
{
    if (!L->sore_source)
        L->sore_source = arena_strndup(&L->a, SORE_SOURCE, strlen(SORE_SOURCE));
    return L->sore_source ? L->sore_source : SORE_SOURCE;
}

static void build_findings(loader *L)
{
    kf_kb *kb = L->kb;
    /* Region findings first, in region order: pain_<region>. */
    for (int r = 0; r < kb->n_regions; r++) {
        kf_finding_def *f = &kb->findings[r];
        const kf_region *g = &kb->regions[r];
        size_t n = strlen(g->id) + 6;
        char *id = arena_alloc(&L->a, n);
        char *label = arena_printf(&L->a, "pain or a knot: %s", g->label);
        char *q = arena_printf(&L->a, "Do you also feel it here: %s?", g->label);
        if (!id || !label || !q)
            return;
        snprintf(id, n, "pain_%s", g->id);
        f->id = id;
        f->label = label;
        f->question = q;
        f->kind = KF_FIND_LOCATION;
        f->sided = g->sided;
        f->region = r;
        f->both_of = -1;
        f->source = g->source;
        kb->regions[r].finding = r;
        if (strmap_get(&L->findings, id, strlen(id)) >= 0) {
            for (int i = 0; i < L->n_blocks; i++)
                if (!strcmp(L->blocks[i].kind, "finding") && !strcmp(L->blocks[i].id, id))
                    err_at(L, L->blocks[i].file, L->blocks[i].line,
                           "finding id '%s' clashes with the finding made by region %s", id, g->id);
        }
    }
    /* Rebuild the findings map: region findings, then declared ones. */
    strmap_free(&L->findings);
    for (int r = 0; r < kb->n_regions; r++)
        if (!strmap_put(&L->findings, kb->findings[r].id, r))
            L->a.oom = true;
    int k = kb->n_regions;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "finding"))
            continue;
        if (strmap_get(&L->findings, b->id, strlen(b->id)) >= 0)
            continue;     /* duplicate or clash: reported already */
        if (!strmap_put(&L->findings, b->id, k)) {
            L->a.oom = true;
            return;
        }
        kf_finding_def *f = &kb->findings[k++];
        int line;
        f->id = b->id;
        f->region = -1;
        f->label = get(b, "label", &line);
        if (!f->label) {
            err_at(L, b->file, b->line, "finding %s has no label", b->id);
            f->label = b->id;
        }
        f->question = get(b, "question", NULL);
        f->why_ask = get(b, "why_ask", &line);
        if (f->why_ask && !f->question)
            err_at(L, b->file, line, "finding %s: why_ask needs a question", b->id);
        f->kind = (kf_finding_kind)parse_enum(L, b, "kind", finding_kinds,
                                              (int)KF_ARRAY_LEN(finding_kinds), false,
                                              KF_FIND_SYMPTOM);
        f->sided = parse_bool(L, b, "sided", false);
        f->both_of = -1;
        f->source = get(b, "source", NULL);
        need_source(L, b);
    }
    /* Follow-up findings of the techniques that work on named causes:
     * relief_after_<id>, relief_after_<id>_2 .. _<relief_trials>; and one
     * set for all work on the sore spot (relief_after_sore_spot). */
    kb->sore_relief_finding = -1;
    bool any_sore = false;
    for (int t = 0; t < kb->n_techniques; t++)
        any_sore |= kb->techniques[t].sore_spot;
    if (any_sore) {
        kb->sore_relief_finding = k;
        for (int r = 0; r < kb->n_regions; r++)
            for (int n = 1; n <= kb->relief_trials; n++) {
                const char *rid = kb->regions[r].id;
                size_t idn = strlen(rid) + 40, ln = strlen(kb->regions[r].label) + 80;
                char *id = arena_alloc(&L->a, idn), *label = arena_alloc(&L->a, ln);
                if (!id || !label)
                    return;
                if (n == 1)
                    snprintf(id, idn, "relief_after_sore_spot_%s", rid);
                else
                    snprintf(id, idn, "relief_after_sore_spot_%s_%d", rid, n);
                snprintf(label, ln, "lasting relief after work on the sore spot (%s)%s",
                         kb->regions[r].label, n > 1 ? ", again" : "");
                if (strmap_get(&L->findings, id, strlen(id)) >= 0 ||
                    !strmap_put(&L->findings, id, k)) {
                    err_at(L, "kb", 0, "finding id '%s' is taken", id);
                    continue;
                }
                kf_finding_def *f = &kb->findings[k++];
                *f = (kf_finding_def){ .id = id, .label = label, .kind = KF_FIND_FOLLOWUP,
                                       .region = -1, .both_of = -1,
                                       .source = sore_source(L) };
            }
    }
    for (int t = 0; t < kb->n_techniques; t++) {
        kf_technique *tq = &kb->techniques[t];
        if (!tq->n_works_on)
            continue;
        tq->relief_finding = k;
        for (int n = 1; n <= kb->relief_trials; n++) {
            size_t idn = strlen(tq->id) + 24, ln = strlen(tq->name) + 64;
            char *id = arena_alloc(&L->a, idn), *label = arena_alloc(&L->a, ln);
            if (!id || !label)
                return;
            if (n == 1) {
                snprintf(id, idn, "relief_after_%s", tq->id);
                snprintf(label, ln, "lasting relief after %s", tq->name);
            } else {
                snprintf(id, idn, "relief_after_%s_%d", tq->id, n);
                snprintf(label, ln, "lasting relief after %s (try %d)", tq->name, n);
            }
            if (strmap_get(&L->findings, id, strlen(id)) >= 0) {
                for (int i = 0; i < L->n_blocks; i++)
                    if (!strcmp(L->blocks[i].kind, "finding") && !strcmp(L->blocks[i].id, id))
                        err_at(L, L->blocks[i].file, L->blocks[i].line, "finding id '%s' "
                               "clashes with the follow-up finding of technique %s", id, tq->id);
                continue;
            }
            if (!strmap_put(&L->findings, id, k)) {
                L->a.oom = true;
                return;
            }
            kf_finding_def *f = &kb->findings[k++];
            f->id = id;
            f->label = label;
            f->question = NULL;
            f->kind = KF_FIND_FOLLOWUP;
            f->sided = false;
            f->region = -1;
            /* not derived from anything: 0 would be the first finding, and
             * every place said on both sides would read as lasting relief
             * after every technique */
            f->both_of = -1;
            f->source = tq->source;
        }
    }
    kb->n_findings = k;
    /* `both_of = F`: present when the sided finding F is present on both
     * sides ("both hands numb").  Resolved once every finding has its id. */
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        int line;
        const char *of;
        if (strcmp(b->kind, "finding") || !(of = get(b, "both_of", &line)))
            continue;
        int self = strmap_get(&L->findings, b->id, strlen(b->id));
        int g = strmap_get(&L->findings, of, strlen(of));
        if (self < 0)
            continue;
        if (g < 0)
            err_at(L, b->file, line, "finding %s: both_of names unknown finding '%s'", b->id, of);
        else if (!kb->findings[g].sided || g == self || kb->findings[g].both_of >= 0)
            err_at(L, b->file, line, "finding %s: both_of needs another sided finding, not '%s'",
                   b->id, of);
        else
            kb->findings[self].both_of = g;
    }
    /* `own_side = pain_F, ...`: a load carried on one side, which explains
     * pain in these places on its own side only (engine.c, load_side). */
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        int line;
        if (strcmp(b->kind, "finding") || !get(b, "own_side", &line))
            continue;
        int self = strmap_get(&L->findings, b->id, strlen(b->id));
        if (self < 0)
            continue;
        kf_finding_def *f = &kb->findings[self];
        f->n_own_side = resolve_list(L, b, "own_side", &L->findings, "finding", &f->own_side);
        if (!f->sided)
            err_at(L, b->file, line, "finding %s: own_side needs sided = yes", b->id);
        for (int m = 0; m < f->n_own_side; m++)
            if (kb->findings[f->own_side[m]].kind != KF_FIND_LOCATION ||
                !kb->findings[f->own_side[m]].sided)
                err_at(L, b->file, line, "finding %s: own_side names '%s', not a sided place of pain",
                       b->id, kb->findings[f->own_side[m]].id);
    }
    /* `any_of = F, G, ...`: present when any of these findings is (a heart
     * risk factor of any kind).  Derived, so it is never asked or read. */
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        int line;
        if (strcmp(b->kind, "finding") || !get(b, "any_of", &line))
            continue;
        int self = strmap_get(&L->findings, b->id, strlen(b->id));
        if (self < 0)
            continue;
        kf_finding_def *f = &kb->findings[self];
        f->n_any_of = resolve_list(L, b, "any_of", &L->findings, "finding", &f->any_of);
        for (int m = 0; m < f->n_any_of; m++)
            if (f->any_of[m] == self || kb->findings[f->any_of[m]].n_any_of)
                err_at(L, b->file, line, "finding %s: any_of names itself or another any_of finding",
                       b->id);
        if (f->question)
            err_at(L, b->file, line, "finding %s: an any_of finding is derived, not asked", b->id);
    }
}

static const char *const cause_kinds[] = { "muscle", "habit", "body", "mimic" };
static const char *const mech_keys[] = { "refers", "pulls", "local", "sign", "reports" };

/* Link lines: "FINDING STRENGTH | WHY | SOURCE". */
static void build_link(loader *L, const block *b, int cause, const kv *k, kf_mechanism mech,
                       kf_link *out)
{
    char **parts;
    int n = split(L, k->val, '|', &parts);
    if (n < 1) {
        err_at(L, b->file, k->line, "%s: empty link", b->id);
        return;
    }
    char *head = parts[0];
    char *sp = head;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    if (!*sp) {
        err_at(L, b->file, k->line, "%s %s: expected 'FINDING STRENGTH | why | source'",
               b->id, k->key);
        return;
    }
    *sp = '\0';
    char *strength = trim(sp + 1, sp + 1 + strlen(sp + 1));
    int f = strmap_get(&L->findings, head, strlen(head));
    if (f < 0) {
        err_at(L, b->file, k->line, "%s %s: unknown finding '%s'", b->id, k->key, head);
        return;
    }
    double p = parse_strength(L, b->file, k->line, strength, false);
    if (p < 0)
        return;
    out->cause = cause;
    out->finding = f;
    out->p = p;
    out->mech = mech;
    out->why = n >= 2 ? parts[1] : NULL;
    out->source = n >= 3 ? parts[2] : get(b, "source", NULL);
    if (!out->source)
        err_at(L, b->file, k->line, "%s: link to %s has no source", b->id, head);
}

/* Splits "ID [STRENGTH]" in place; returns the strength, the default when
 * none is written, or -1 after an error. */
static double id_strength(loader *L, const block *b, int line, char *part, double dflt)
{
    char *sp = part;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    if (!*sp)
        return dflt;
    *sp = '\0';
    char *w = trim(sp + 1, sp + 1 + strlen(sp + 1));
    return *w ? parse_strength(L, b->file, line, w, false) : dflt;
}

/* keeps_tight = MUSCLE [STRENGTH], ...: the habit -> muscle edges. */
static void parse_keeps(loader *L, const block *b, kf_cause *k)
{
    int line;
    const char *v = get(b, "keeps_tight", &line);
    k->keeps = NULL;
    k->keeps_p = NULL;
    k->keeps_why = NULL;
    k->n_keeps = 0;
    if (!v)
        return;
    char **parts;
    int n = split(L, v, ',', &parts);
    k->keeps = arena_alloc(&L->a, (size_t)(n ? n : 1) * sizeof *k->keeps);
    k->keeps_p = arena_alloc(&L->a, (size_t)(n ? n : 1) * sizeof *k->keeps_p);
    k->keeps_why = arena_alloc(&L->a, (size_t)(n ? n : 1) * sizeof *k->keeps_why);
    if (!k->keeps || !k->keeps_p || !k->keeps_why)
        return;
    for (int i = 0; i < n; i++) {
        double p = id_strength(L, b, line, parts[i], L->kb->keeps);
        int id = strmap_get(&L->causes, parts[i], strlen(parts[i]));
        if (id < 0) {
            err_at(L, b->file, line, "%s 'keeps_tight': unknown cause '%s'", b->id, parts[i]);
            continue;
        }
        if (p < 0)
            continue;
        bool dup = false;
        for (int j = 0; j < k->n_keeps; j++)
            dup |= k->keeps[j] == id;
        if (dup) {
            err_at(L, b->file, line, "%s keeps_tight: %s is listed twice", b->id, parts[i]);
            continue;
        }
        k->keeps[k->n_keeps] = id;
        k->keeps_p[k->n_keeps] = p;
        k->keeps_why[k->n_keeps] = NULL;
        k->n_keeps++;
    }
}

/* kept_by = HABIT STRENGTH | why | source on a muscle: the same edge as the
 * habit's keeps_tight, written where the muscle is described (with the
 * chain in words).  One edge is written on one side only. */
static void add_kept_by(loader *L, const block *b, int m, const kv *x)
{
    kf_kb *kb = L->kb;
    char **parts;
    int n = split(L, x->val, '|', &parts);
    if (n < 1) {
        err_at(L, b->file, x->line, "%s: empty kept_by", b->id);
        return;
    }
    double p = id_strength(L, b, x->line, parts[0], kb->keeps);
    int h = strmap_get(&L->causes, parts[0], strlen(parts[0]));
    if (h < 0) {
        err_at(L, b->file, x->line, "%s kept_by: unknown cause '%s'", b->id, parts[0]);
        return;
    }
    if (p < 0)
        return;
    kf_cause *hc = &kb->causes[h], *mc = &kb->causes[m];
    if (mc->kind != KF_CAUSE_MUSCLE) {
        err_at(L, b->file, x->line, "%s kept_by: only a muscle is kept tight", b->id);
        return;
    }
    if (hc->kind != KF_CAUSE_HABIT && hc->kind != KF_CAUSE_BODY) {
        err_at(L, b->file, x->line, "%s kept_by: %s is not a habit or body cause", b->id,
               hc->id);
        return;
    }
    if (n < 3 && !get(b, "source", NULL))
        err_at(L, b->file, x->line, "%s kept_by %s has no source", b->id, hc->id);
    for (int j = 0; j < hc->n_keeps; j++)
        if (hc->keeps[j] == m) {
            err_at(L, b->file, x->line, "%s kept_by %s: this edge is already written (as %s's "
                   "keeps_tight or a second kept_by); keep one", b->id, hc->id, hc->id);
            return;
        }
    int nk = hc->n_keeps + 1;
    int *ids = arena_alloc(&L->a, (size_t)nk * sizeof *ids);
    double *ps = arena_alloc(&L->a, (size_t)nk * sizeof *ps);
    const char **ws = arena_alloc(&L->a, (size_t)nk * sizeof *ws);
    if (!ids || !ps || !ws)
        return;
    for (int j = 0; j < hc->n_keeps; j++) {
        ids[j] = hc->keeps[j];
        ps[j] = hc->keeps_p[j];
        ws[j] = hc->keeps_why[j];
    }
    ids[hc->n_keeps] = m;
    ps[hc->n_keeps] = p;
    ws[hc->n_keeps] = n >= 2 ? parts[1] : NULL;
    hc->keeps = ids;
    hc->keeps_p = ps;
    hc->keeps_why = ws;
    hc->n_keeps = nk;
}

/* The [cause id] block (the last of that id) and, in *line, the line of its
 * `key` (0 when absent), for an error found after the causes were built. */
static const block *cause_block(const loader *L, const char *id, const char *key, int *line)
{
    const block *b = NULL;
    for (int m = 0; m < L->n_blocks; m++)
        if (!strcmp(L->blocks[m].kind, "cause") && !strcmp(L->blocks[m].id, id))
            b = &L->blocks[m];
    *line = 0;
    if (b)
        get(b, key, line);
    return b;
}

/* With [scale] own_share, a muscle's prior word (common, uncommon, rare) is
 * how often that muscle is the cause of a knot, whatever keeps it tight --
 * its marginal -- not the prior of its own root alone.  The muscle is tight
 * when its own root or one of its chains is on (habit h present and its
 * chain, strength s, on), so
 *     P(tight) = 1 - (1 - root) * prod_h (1 - prior_h s),
 * and the root gets what is left of the stated prior after the chains, at
 * least own_share of it (a muscle is also strained by what nobody names).
 * Without this, every chain added to a muscle made it commoner: the
 * levator scapulae, kept tight by four habits, started at 0.16 against
 * 0.12 for the rhomboids with one "always" link to the knot between blade
 * and spine, and headed the top causes of a bare "knot between the
 * shoulder blades" -- the place the articles name as the rhomboids' and
 * middle trapezius' (000_8835f21432216678.txt: the most common place,
 * where the stretched muscles knot; 004_0c58c8d9993c8630.txt).  A chain
 * still lifts its muscle as much as before when its habit is said. */
static void calibrate_roots(kf_kb *kb)
{
    if (!(kb->own_share > 0))
        return;
    for (int m = 0; m < kb->n_causes; m++) {
        kf_cause *k = &kb->causes[m];
        if (k->kind != KF_CAUSE_MUSCLE)
            continue;
        double q = 1;
        for (int h = 0; h < kb->n_causes; h++) {
            const kf_cause *hc = &kb->causes[h];
            for (int j = 0; j < hc->n_keeps; j++)
                if (hc->keeps[j] == m)
                    q *= 1 - hc->prior * hc->keeps_p[j];
        }
        if (q >= 1)
            continue;
        double root = 1 - (1 - k->prior_said) / q, least = kb->own_share * k->prior_said;
        k->prior = root > least ? root : least;
    }
}

static void build_causes(loader *L)
{
    kf_kb *kb = L->kb;
    /* Count links first. */
    int nlinks = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "cause"))
            continue;
        for (int j = 0; j < b->n_kvs; j++)
            for (size_t m = 0; m < KF_ARRAY_LEN(mech_keys); m++)
                nlinks += !strcmp(b->kvs[j].key, mech_keys[m]);
    }
    /* Room for the generated follow-up links too. */
    for (int t = 0; t < kb->n_techniques; t++)
        nlinks += kb->techniques[t].n_works_on * kb->relief_trials;
    if (kb->sore_relief_finding >= 0)
        nlinks += nlinks * kb->relief_trials;      /* at most one per local link */
    int room = nlinks + 1;
    kb->links = arena_alloc(&L->a, (size_t)room * sizeof *kb->links);
    if (!kb->links)
        return;
    int c = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (!declared(b, "cause", &L->causes, c))
            continue;
        kf_cause *k = &kb->causes[c];
        int line;
        k->id = b->id;
        k->kind = (kf_cause_kind)parse_enum(L, b, "kind", cause_kinds,
                                            (int)KF_ARRAY_LEN(cause_kinds), true, KF_CAUSE_MUSCLE);
        k->name = get(b, "name", NULL);
        if (!k->name) {
            err_at(L, b->file, b->line, "cause %s has no name", b->id);
            k->name = b->id;
        }
        k->about = get(b, "about", NULL);
        if (!k->about)
            err_at(L, b->file, b->line, "cause %s has no 'about' text", b->id);
        const char *prior = get(b, "prior", &line);
        k->prior = 0.01;
        if (!prior)
            err_at(L, b->file, b->line, "cause %s has no prior", b->id);
        else {
            double p = parse_strength(L, b->file, line, prior, true);
            if (p > 0)
                k->prior = p;
        }
        k->prior_said = k->prior;
        k->n_where = resolve_list(L, b, "where", &L->regions, "region", &k->where);
        k->n_treat = resolve_list(L, b, "treat", &L->techniques, "technique", &k->treat);
        parse_keeps(L, b, k);
        /* release_first = MUSCLE, ...: the muscles a therapist frees before
         * this one (the SCM before the scalenes), in that order. */
        k->n_release_first = resolve_list(L, b, "release_first", &L->causes, "cause",
                                          &k->release_first);
        const char *level = get(b, "level", &line);
        k->level = KF_TRIAGE_SELF_CARE;
        if (level) {
            int t = kf_triage_parse(level);
            if (t < 0)
                err_at(L, b->file, line, "cause %s: unknown triage level '%s'", b->id, level);
            else
                k->level = (kf_triage)t;
        } else if (k->kind == KF_CAUSE_MIMIC)
            err_at(L, b->file, b->line, "mimic %s needs a triage 'level'", b->id);
        /* family = NAME: causes that are one direction of treatment (a
         * posture and the muscles it holds short); checked below that a
         * family names two causes or more. */
        k->family = get(b, "family", &line);
        if (k->family && !*k->family)
            k->family = NULL;
        /* posture = yes: a habit that is a way of holding the body, seen in
         * the pain's pattern (kf_rank_top); only habits may say so. */
        k->posture = parse_bool(L, b, "posture", false);
        if (k->posture && k->kind != KF_CAUSE_HABIT)
            err_at(L, b->file, b->line, "cause %s: only a habit can be a posture", b->id);
        k->source = get(b, "source", NULL);
        need_source(L, b);
        int first_link = kb->n_links;
        for (int m = 0; m < b->n_kvs; m++)
            for (size_t mk = 0; mk < KF_ARRAY_LEN(mech_keys); mk++)
                if (!strcmp(b->kvs[m].key, mech_keys[mk]) && kb->n_links < room) {
                    kf_link *ln = &kb->links[kb->n_links];
                    memset(ln, 0, sizeof *ln);
                    ln->finding = -1;
                    build_link(L, b, c, &b->kvs[m], (kf_mechanism)mk, ln);
                    if (ln->finding < 0)
                        continue;
                    /* A muscle does not make a person mouse or carry: the
                     * habit keeps the muscle short.  That chain is written as
                     * the habit's keeps_tight or the muscle's kept_by. */
                    if (k->kind == KF_CAUSE_MUSCLE && ln->mech == KF_MECH_REPORTS &&
                        kb->findings[ln->finding].kind == KF_FIND_HABIT) {
                        err_at(L, b->file, b->kvs[m].line,
                               "%s reports the habit finding %s: a muscle does not cause a "
                               "habit; write the chain as 'kept_by = HABIT STRENGTH | why | "
                               "source' here, or as keeps_tight on the habit",
                               b->id, kb->findings[ln->finding].id);
                        continue;
                    }
                    /* The same finding twice for one cause is an error.  This
                     * cause's links are the last ones added, from first_link. */
                    bool dup = false;
                    for (int q = first_link; q < kb->n_links; q++)
                        if (kb->links[q].cause == c && kb->links[q].finding == ln->finding) {
                            err_at(L, b->file, b->kvs[m].line,
                                   "%s links to %s twice; keep one link per finding",
                                   b->id, kb->findings[ln->finding].id);
                            dup = true;
                            break;
                        }
                    if (!dup)
                        kb->n_links++;
                }
        c++;
    }
    /* Follow-up links: each cause a technique works on makes lasting relief
     * after it likely (strength `relief`), on every try. */
    for (int t = 0; t < kb->n_techniques; t++) {
        const kf_technique *tq = &kb->techniques[t];
        if (tq->relief_finding < 0)
            continue;
        for (int w = 0; w < tq->n_works_on; w++) {
            int cz = tq->works_on[w];
            const char *cn = kb->causes[cz].name;
            size_t wn = strlen(cn) + strlen(tq->name) + 160;
            char *why = arena_alloc(&L->a, wn);
            if (!why)
                return;
            snprintf(why, wn, "%s works on the %c%s: when that is what keeps the knot "
                     "going, the relief after it lasts more than %g hours.", tq->name,
                     tolower((unsigned char)cn[0]), cn + 1, kb->relief_hours);
            for (int n = 0; n < kb->relief_trials && kb->n_links < room; n++) {
                int fd = tq->relief_finding + n;
                if (fd >= kb->n_findings || kb->findings[fd].kind != KF_FIND_FOLLOWUP)
                    break;
                bool dup = false;
                for (int q = 0; q < kb->n_links; q++)
                    dup |= kb->links[q].cause == cz && kb->links[q].finding == fd;
                if (dup)
                    continue;
                kb->links[kb->n_links++] = (kf_link){
                    .cause = cz, .finding = fd, .p = tq->relief, .mech = KF_MECH_SIGN,
                    .why = why, .source = tq->source };
            }
        }
    }
    /* Work on the sore spot brings lasting relief when the muscle tight
     * right there is the cause. */
    const char *sore_why = NULL;
    for (int q0 = 0, nl0 = kb->n_links; q0 < nl0 && kb->sore_relief_finding >= 0; q0++) {
        const kf_link *lk = &kb->links[q0];
        const kf_finding_def *fd = &kb->findings[lk->finding];
        if (lk->mech != KF_MECH_LOCAL || fd->kind != KF_FIND_LOCATION || fd->region < 0 ||
            kb->causes[lk->cause].kind != KF_CAUSE_MUSCLE)
            continue;
        if (!sore_why)
            sore_why = arena_strndup(&L->a, SORE_WHY, strlen(SORE_WHY));
        for (int n = 0; n < kb->relief_trials && kb->n_links < room; n++)
            kb->links[kb->n_links++] = (kf_link){
                .cause = lk->cause,
                .finding = kb->sore_relief_finding + fd->region * kb->relief_trials + n,
                .p = kb->strengths[1], .mech = KF_MECH_SIGN,
                .why = sore_why ? sore_why : SORE_WHY, .source = sore_source(L) };
    }
    /* Checks that need every cause. */
    for (int i = 0; i < kb->n_causes; i++) {
        kf_cause *k = &kb->causes[i];
        for (int j = 0; j < k->n_keeps; j++)
            if (kb->causes[k->keeps[j]].kind != KF_CAUSE_MUSCLE) {
                int line;
                const block *b = cause_block(L, k->id, "keeps_tight", &line);
                err_at(L, b ? b->file : "?", line, "%s keeps_tight: %s is not a muscle", k->id,
                       kb->causes[k->keeps[j]].id);
            }
    }
    /* A family of one cause is a misspelt family name. */
    for (int i = 0; i < kb->n_causes; i++) {
        const kf_cause *k = &kb->causes[i];
        int n = 0;
        for (int j = 0; k->family && j < kb->n_causes; j++)
            n += kb->causes[j].family && !strcmp(kb->causes[j].family, k->family);
        if (k->family && n < 2) {
            int line;
            const block *b = cause_block(L, k->id, "family", &line);
            err_at(L, b ? b->file : "?", line, "%s family '%s': no other cause is in it (a "
                   "family groups causes that are one direction of treatment)", k->id, k->family);
        }
    }
    /* release_first links muscles to other muscles. */
    for (int i = 0; i < kb->n_causes; i++) {
        const kf_cause *k = &kb->causes[i];
        for (int j = 0; j < k->n_release_first; j++) {
            const kf_cause *o = &kb->causes[k->release_first[j]];
            if (k->kind != KF_CAUSE_MUSCLE || o->kind != KF_CAUSE_MUSCLE || o == k) {
                int line;
                const block *b = cause_block(L, k->id, "release_first", &line);
                err_at(L, b ? b->file : "?", line, "%s release_first: %s must be another muscle, "
                       "and %s a muscle", k->id, o->id, k->id);
            }
        }
    }
    /* The muscle side of the habit -> muscle chain: kept_by lines. */
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "cause"))
            continue;
        int m = strmap_get(&L->causes, b->id, strlen(b->id));
        if (m < 0)
            continue;
        for (int j = 0; j < b->n_kvs; j++)
            if (!strcmp(b->kvs[j].key, "kept_by"))
                add_kept_by(L, b, m, &b->kvs[j]);
    }
    calibrate_roots(kb);
    /* Per-cause link index lists. */
    for (int i = 0; i < kb->n_causes; i++) {
        kf_cause *k = &kb->causes[i];
        int n = 0;
        for (int q = 0; q < kb->n_links; q++)
            n += kb->links[q].cause == i;
        k->links = arena_alloc(&L->a, (size_t)(n ? n : 1) * sizeof *k->links);
        if (!k->links)
            return;
        for (int q = 0; q < kb->n_links; q++)
            if (kb->links[q].cause == i)
                k->links[k->n_links++] = q;
    }
    /* Links by finding, for the engine's per-finding loops. */
    /* Then, from n_findings on, each finding's links from the non-muscular
     * causes only: what a denial in passing acts on (kb.h, KF_PASSING). */
    int nf = kb->n_findings, n_mimic = 0;
    for (int q = 0; q < kb->n_links; q++)
        n_mimic += kb->causes[kb->links[q].cause].kind == KF_CAUSE_MIMIC;
    kb->flink_first = arena_alloc(&L->a, (size_t)(2 * nf + 2) * sizeof(int));
    kb->flink = arena_alloc(&L->a, (size_t)(kb->n_links + n_mimic + 1) * sizeof(int));
    if (!kb->flink_first || !kb->flink)
        return;
    for (int q = 0; q < kb->n_links; q++) {
        kb->flink_first[kb->links[q].finding + 1]++;
        if (kb->causes[kb->links[q].cause].kind == KF_CAUSE_MIMIC)
            kb->flink_first[nf + kb->links[q].finding + 1]++;
    }
    for (int f = 0; f < 2 * nf; f++)
        kb->flink_first[f + 1] += kb->flink_first[f];
    {
        int *fill = arena_alloc(&L->a, (size_t)(2 * nf + 1) * sizeof(int));
        if (!fill)
            return;
        for (int q = 0; q < kb->n_links; q++) {
            int f = kb->links[q].finding;
            kb->flink[kb->flink_first[f] + fill[f]++] = q;
            if (kb->causes[kb->links[q].cause].kind == KF_CAUSE_MIMIC)
                kb->flink[kb->flink_first[nf + f] + fill[nf + f]++] = q;
        }
    }
    /* Default explanation text for links written without one. */
    for (int q = 0; q < kb->n_links; q++) {
        kf_link *ln = &kb->links[q];
        if (ln->why)
            continue;
        const char *verb = ln->mech == KF_MECH_REFERS ? "can send pain to"
                         : ln->mech == KF_MECH_PULLS ? "pulls on and strains"
                         : ln->mech == KF_MECH_LOCAL ? "is itself tight at"
                         : "often comes with";
        const char *name = kb->causes[ln->cause].name;
        const char *lab = kb->findings[ln->finding].label;
        char *why = arena_printf(&L->a, "A tight or irritated %s %s %s.", name, verb, lab);
        if (!why)
            return;
        ln->why = why;
    }
}

static const char *const tech_kinds[] = {
    "release", "stretch", "strengthen", "habit", "thermal", "therapist", "doctor"
};

static void build_techniques(loader *L)
{
    kf_kb *kb = L->kb;
    int t = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (!declared(b, "technique", &L->techniques, t))
            continue;
        kf_technique *k = &kb->techniques[t++];
        int line;
        k->id = b->id;
        k->name = get(b, "name", NULL);
        if (!k->name) {
            err_at(L, b->file, b->line, "technique %s has no name", b->id);
            k->name = b->id;
        }
        k->kind = (kf_tech_kind)parse_enum(L, b, "kind", tech_kinds,
                                           (int)KF_ARRAY_LEN(tech_kinds), true, KF_TECH_RELEASE);
        int n = 0;
        for (int m = 0; m < b->n_kvs; m++)
            n += !strcmp(b->kvs[m].key, "step");
        if (!n)
            err_at(L, b->file, b->line, "technique %s has no step", b->id);
        k->steps = arena_alloc(&L->a, (size_t)(n ? n : 1) * sizeof *k->steps);
        if (!k->steps)
            return;
        for (int m = 0; m < b->n_kvs; m++)
            if (!strcmp(b->kvs[m].key, "step"))
                k->steps[k->n_steps++] = b->kvs[m].val;
        k->dose = get(b, "dose", NULL);
        k->caution = get(b, "caution", NULL);
        const char *timer = get(b, "timer", &line);
        k->reps = 1;
        if (timer) {
            char *end;
            long w = strtol(timer, &end, 10);
            if (end != timer && !*end) {
                k->work_s = (int)w;
            } else {
                int wk = 0, rs = 0, rp = 1;
                if (sscanf(timer, "work %d rest %d reps %d", &wk, &rs, &rp) == 3) {
                    k->work_s = wk;
                    k->rest_s = rs;
                    k->reps = rp;
                } else {
                    err_at(L, b->file, line, "technique %s: timer must be seconds or "
                           "'work W rest R reps N', not '%s'", b->id, timer);
                }
            }
            if (k->work_s <= 0 || k->work_s > 7200 || k->rest_s < 0 || k->rest_s > 7200 ||
                k->reps < 1 || k->reps > 50)
                err_at(L, b->file, line, "technique %s: timer out of range (work 1..7200 s, "
                       "rest 0..7200 s, reps 1..50)", b->id);
        }
        k->source = get(b, "source", NULL);
        need_source(L, b);
        /* What a try tells: works_on = CAUSES | sore_spot; relief = STRENGTH. */
        k->relief_finding = -1;
        k->instead = -1;
        const char *wo = get(b, "works_on", &line);
        if (wo && !strcmp(wo, "sore_spot"))
            k->sore_spot = true;
        else if (wo)
            k->n_works_on = resolve_list(L, b, "works_on", &L->causes, "cause", &k->works_on);
        const char *rel = get(b, "relief", &line);
        k->relief = kb->strengths[1];
        if (rel) {
            if (!k->n_works_on)
                err_at(L, b->file, line, "technique %s: 'relief' needs a works_on list of causes",
                       b->id);
            double p = parse_strength(L, b->file, line, rel, false);
            if (p > 0)
                k->relief = p;
        }
        /* not_for = PERSON[, PERSON] | WHY */
        for (int m = 0; m < b->n_kvs; m++) {
            if (strcmp(b->kvs[m].key, "not_for"))
                continue;
            char **parts, **who;
            int np = split(L, b->kvs[m].val, '|', &parts);
            if (np < 2) {
                err_at(L, b->file, b->kvs[m].line, "technique %s: not_for needs "
                       "'PERSON[, PERSON] | why'", b->id);
                continue;
            }
            int nw = split(L, parts[0], ',', &who);
            for (int w = 0; w < nw; w++) {
                int pp = kf_person_parse(who[w]);
                if (pp < 0) {
                    err_at(L, b->file, b->kvs[m].line, "technique %s: not_for: '%s' is not "
                           "one of thin_bones, late_pregnancy, acute_spasm, teen, "
                           "recent_surgery, fresh_injury, no_helper", b->id, who[w]);
                    continue;
                }
                if (k->not_for & (1u << pp))
                    err_at(L, b->file, b->kvs[m].line, "technique %s: not_for %s given twice",
                           b->id, who[w]);
                k->not_for |= 1u << pp;
                k->not_for_why[pp] = parts[1];
            }
        }
        /* gentler = PERSON[, PERSON] | HOW: kept for them, done this way */
        for (int m = 0; m < b->n_kvs; m++) {
            if (strcmp(b->kvs[m].key, "gentler"))
                continue;
            char **parts, **who;
            int np = split(L, b->kvs[m].val, '|', &parts);
            if (np < 2) {
                err_at(L, b->file, b->kvs[m].line, "technique %s: gentler needs "
                       "'PERSON[, PERSON] | how'", b->id);
                continue;
            }
            int nw = split(L, parts[0], ',', &who);
            for (int w = 0; w < nw; w++) {
                int pp = kf_person_parse(who[w]);
                if (pp < 0) {
                    err_at(L, b->file, b->kvs[m].line, "technique %s: gentler: '%s' is not "
                           "a person (thin_bones, late_pregnancy, acute_spasm, teen, "
                           "recent_surgery, fresh_injury, no_helper, lifter, postpartum)",
                           b->id, who[w]);
                    continue;
                }
                if (k->gentler & (1u << pp))
                    err_at(L, b->file, b->kvs[m].line, "technique %s: gentler %s given twice",
                           b->id, who[w]);
                if (k->not_for & (1u << pp))
                    err_at(L, b->file, b->kvs[m].line, "technique %s: %s is both not_for and "
                           "gentler: one or the other", b->id, who[w]);
                k->gentler |= 1u << pp;
                k->gentler_how[pp] = parts[1];
            }
        }
        /* helper_at = REGION[, REGION] | WHY: needs a helper when aimed at a
         * muscle that lies only there (src/plan.c) */
        const char *ha = get(b, "helper_at", &line);
        if (ha) {
            char **parts, **regs;
            int np = split(L, ha, '|', &parts);
            int nr = np == 2 ? split(L, parts[0], ',', &regs) : 0;
            if (np != 2 || nr < 1) {
                err_at(L, b->file, line, "technique %s: helper_at needs 'REGION[, REGION] | why'",
                       b->id);
            } else if (k->not_for & (1u << KF_PERSON_NO_HELPER)) {
                err_at(L, b->file, line, "technique %s: helper_at and not_for no_helper: one "
                       "or the other", b->id);
            } else if ((k->helper_at = arena_alloc(&L->a, (size_t)nr * sizeof *k->helper_at))) {
                for (int j = 0; j < nr; j++) {
                    int g = strmap_get(&L->regions, regs[j], strlen(regs[j]));
                    if (g < 0)
                        err_at(L, b->file, line, "technique %s: helper_at: unknown region "
                               "'%s'", b->id, regs[j]);
                    else
                        k->helper_at[k->n_helper_at++] = g;
                }
                k->not_for_why[KF_PERSON_NO_HELPER] = parts[1];
            }
        }
        const char *ff = get(b, "first_for", &line);
        if (ff) {
            char **who;
            int nw = split(L, ff, ',', &who);
            for (int w = 0; w < nw; w++) {
                int pp = kf_person_parse(who[w]);
                if (pp < 0)
                    err_at(L, b->file, line, "technique %s: first_for: '%s' is not a person "
                           "word (see not_for)", b->id, who[w]);
                else
                    k->first_for |= 1u << pp;
            }
        }
        const char *ins = get(b, "instead", &line);
        if (ins) {
            k->instead = strmap_get(&L->techniques, ins, strlen(ins));
            if (k->instead < 0)
                err_at(L, b->file, line, "technique %s: instead: unknown technique '%s'",
                       b->id, ins);
            else if (k->instead == t - 1)
                err_at(L, b->file, line, "technique %s: instead names itself", b->id);
            if (!k->not_for && !k->n_helper_at)
                err_at(L, b->file, line, "technique %s: 'instead' needs a not_for or a "
                       "helper_at", b->id);
        }
        if (k->first_for & k->not_for)
            err_at(L, b->file, b->line, "technique %s is both first_for and not_for the "
                   "same person", b->id);
    }
}

/* `when` lists name findings, whose indexes are known once built. */
static void build_technique_when(loader *L)
{
    kf_kb *kb = L->kb;
    int t = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (!declared(b, "technique", &L->techniques, t))
            continue;
        kf_technique *k = &kb->techniques[t++];
        k->n_when = resolve_list(L, b, "when", &L->findings, "finding", &k->when);
    }
}

static const char *const person_ids[KF_PERSON_N] = {
    "thin_bones", "late_pregnancy", "acute_spasm", "teen", "recent_surgery", "fresh_injury",
    "no_helper", "lifter", "postpartum"
};

const char *kf_person_id(kf_person p)
{
    return (unsigned)p < KF_PERSON_N ? person_ids[p] : "?";
}

int kf_person_parse(const char *s)
{
    for (int i = 0; i < KF_PERSON_N; i++)
        if (!strcmp(s, person_ids[i]))
            return i;
    return -1;
}

static void build_redflags(loader *L)
{
    kf_kb *kb = L->kb;
    int r = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (!declared(b, "redflag", &L->redflags, r))
            continue;
        kf_redflag *k = &kb->redflags[r++];
        int line;
        k->id = b->id;
        const char *level = get(b, "level", &line);
        int t = level ? kf_triage_parse(level) : -1;
        if (t <= KF_TRIAGE_SELF_CARE)
            err_at(L, b->file, line, "redflag %s: level must be mention_to_doctor, doctor_soon "
                   "or emergency", b->id);
        k->level = t > 0 ? (kf_triage)t : KF_TRIAGE_SOON;
        const char *mimic = get(b, "mimic", &line);
        k->mimic = -1;
        if (mimic) {
            k->mimic = strmap_get(&L->causes, mimic, strlen(mimic));
            if (k->mimic < 0)
                err_at(L, b->file, line, "redflag %s: unknown cause '%s'", b->id, mimic);
        }
        k->n_all = resolve_list(L, b, "all", &L->findings, "finding", &k->all);
        k->n_any = resolve_list(L, b, "any", &L->findings, "finding", &k->any);
        k->n_none = resolve_list(L, b, "none", &L->findings, "finding", &k->none);
        if (!k->n_all && !k->n_any)
            err_at(L, b->file, b->line, "redflag %s needs 'all' or 'any' findings", b->id);
        k->screen = parse_bool(L, b, "screen", false);
        k->message = get(b, "message", NULL);
        if (!k->message)
            err_at(L, b->file, b->line, "redflag %s has no message", b->id);
        k->source = get(b, "source", NULL);
        k->when = (signed char)kf_redflag_when(k);
        need_source(L, b);
    }
}

/* ---------- lexicon ---------- */

/* Lower-cases and splits a phrase into words (letters, digits); returns the
 * count, words in `w` (arena). */
/* The words of a phrase, lower-cased, apostrophes dropped; kept on the
 * stack because the loader reads thousands of phrases and needs only their
 * word ids. */
#define PW_MAX 32
typedef struct {
    int  n;
    bool truncated;               /* more than PW_MAX words */
    char w[PW_MAX][48];
} pwords;

static int phrase_words(const char *s, pwords *out)
{
    out->n = 0;
    out->truncated = false;
    const char *p = s;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *st = p;
        while (*p && (isalnum((unsigned char)*p) || *p == '\''))
            p++;
        if (p == st)
            break;
        if (out->n == PW_MAX) {
            out->truncated = true;
            break;
        }
        size_t k = 0;
        for (const char *q = st; q < p && k < sizeof out->w[0] - 1; q++)
            if (*q != '\'')
                out->w[out->n][k++] = (char)tolower((unsigned char)*q);
        out->w[out->n][k] = '\0';
        out->n++;
    }
    return out->n;
}

/* Interns a stemmed word of `len` bytes, returning its id. */
static int intern_word(loader *L, const char *stem, size_t len)
{
    int id = strmap_get(&L->words, stem, len);
    if (id >= 0)
        return id;
    kf_kb *kb = L->kb;
    if (arena_grows(kb->n_words)) {
        size_t cap = kb->n_words ? 2 * (size_t)kb->n_words : 256;
        const char **w = arena_alloc(&L->a, cap * sizeof *w);
        unsigned char *fl = arena_alloc(&L->a, cap);
        if (!w || !fl)
            return -1;
        if (kb->n_words) {
            memcpy(w, kb->words, (size_t)kb->n_words * sizeof *w);
            memcpy(fl, kb->word_flags, (size_t)kb->n_words);
        }
        kb->words = w;
        kb->word_flags = fl;
    }
    char *s = arena_strndup(&L->a, stem, len);
    if (!s)
        return -1;
    id = kb->n_words++;
    kb->words[id] = s;
    kb->word_flags[id] = 0;
    if (!strmap_putn(&L->words, s, len, id))
        L->a.oom = true;
    return id;
}

/* Adds a raw lexicon word of `len` bytes; returns its copy in the arena
 * (the one already there when it was added before), or NULL. */
static const char *add_raw_word(loader *L, const char *w, size_t len)
{
    kf_kb *kb = L->kb;
    int ri = strmap_get(&L->raw_words, w, len);
    if (ri >= 0)
        return kb->raw_words[ri];
    if (arena_grows(kb->n_raw_words)) {
        size_t cap = kb->n_raw_words ? 2 * (size_t)kb->n_raw_words : 256;
        const char **v = arena_alloc(&L->a, cap * sizeof *v);
        if (!v)
            return NULL;
        if (kb->n_raw_words)
            memcpy(v, kb->raw_words, (size_t)kb->n_raw_words * sizeof *v);
        kb->raw_words = v;
    }
    char *s = arena_strndup(&L->a, w, len);
    if (!s)
        return NULL;
    kb->raw_words[kb->n_raw_words] = s;
    if (!strmap_putn(&L->raw_words, s, len, kb->n_raw_words))
        L->a.oom = true;
    kb->n_raw_words++;
    return s;
}

/* The word id of a raw word: its stem's, stemmed once per distinct word. */
static int word_id_for(loader *L, const char *raw)
{
    size_t len = strlen(raw);
    int id = strmap_get(&L->raw2id, raw, len);
    if (id >= 0)
        return id;
    char st[64];
    size_t sl = kf_stem(raw, len, st, sizeof st);
    const char *copy = add_raw_word(L, raw, len);
    id = intern_word(L, st, sl);
    /* the raw_words copy of `raw` lives in the arena as long as the map */
    if (id >= 0 && copy && !strmap_putn(&L->raw2id, copy, len, id))
        L->a.oom = true;
    return id;
}

static const char *const builtin_negate[] = {
    "not", "no", "never", "without", "doesnt", "dont", "didnt", "isnt", "wasnt", "arent",
    "cant", "cannot", "wont", "nor", "neither", "nothing", "none", "denies", "deny", NULL
};
static const char *const builtin_stop[] = {
    "my", "the", "a", "an", "of", "in", "on", "at", "to", "and", "is", "are", "it", "its",
    "i", "me", "im", "this", "that", "these", "those", "her", "his", "your", "some", "very",
    "really", "so", "just", "like", "kind", "sort", "area", "region", "part", NULL
};

static void flag_words(loader *L, const char *const *list, unsigned char flag)
{
    for (int i = 0; list[i]; i++) {
        int id = word_id_for(L, list[i]);
        if (id >= 0)
            L->kb->word_flags[id] |= flag;
    }
}

static void flag_list(loader *L, const block *b, const kv *k, unsigned char flag)
{
    char **parts;
    int n = split(L, k->val, ',', &parts);
    for (int i = 0; i < n; i++) {
        pwords pw;
        if (phrase_words(parts[i], &pw) != 1) {
            err_at(L, b->file, k->line, "'%s' entries must be single words, not '%s'",
                   k->key, parts[i]);
            continue;
        }
        int id = word_id_for(L, pw.w[0]);
        if (id >= 0)
            L->kb->word_flags[id] |= flag;
    }
}

/* `whole = boxes, boxing`: words kept as written, not stemmed, because
 * their stem's other forms mean something else ("boxes" carried are no
 * "boxing"; "rows" at the gym no "row" of houses).  Read before any other
 * word, so every phrase, pattern and text word of that form gets the
 * whole word's id. */
static void whole_list(loader *L, const block *b, const kv *k)
{
    char **parts;
    int n = split(L, k->val, ',', &parts);
    for (int i = 0; i < n; i++) {
        pwords pw;
        if (phrase_words(parts[i], &pw) != 1) {
            err_at(L, b->file, k->line, "'whole' entries must be single words, not '%s'",
                   parts[i]);
            continue;
        }
        size_t len = strlen(pw.w[0]);
        if (strmap_get(&L->raw2id, pw.w[0], len) >= 0) {
            err_at(L, b->file, k->line, "whole: '%s' is given twice", pw.w[0]);
            continue;
        }
        const char *copy = add_raw_word(L, pw.w[0], len);
        int id = intern_word(L, pw.w[0], len);
        if (id >= 0 && copy && !strmap_putn(&L->raw2id, copy, len, id))
            L->a.oom = true;
    }
}

/* `class = name: words, words, <other class>, #` */
static void add_class(loader *L, const block *b, const kv *k)
{
    const char *colon = strchr(k->val, ':');
    if (!colon) {
        err_at(L, b->file, k->line, "class must look like 'name: words, words'");
        return;
    }
    char *name = arena_strndup(&L->a, k->val, (size_t)(colon - k->val));
    char *def = arena_strndup(&L->a, colon + 1, strlen(colon + 1));
    if (!name || !def)
        return;
    name = trim(name, name + strlen(name));
    for (char *q = name; *q; q++) {
        *q = (char)tolower((unsigned char)*q);
        if (!isalnum((unsigned char)*q) && *q != ' ' && *q != '_' && *q != '\'') {
            err_at(L, b->file, k->line, "class name '%s': letters, digits, spaces only", name);
            return;
        }
    }
    if (!*name || !*trim(def, def + strlen(def))) {
        err_at(L, b->file, k->line, "class must look like 'name: words, words'");
        return;
    }
    if (strmap_get(&L->classes, name, strlen(name)) >= 0) {
        err_at(L, b->file, k->line, "class '%s' is defined twice", name);
        return;
    }
    if (L->n_class == L->cap_class) {
        int cap = L->cap_class ? L->cap_class * 2 : 32;
        char **v = kf_realloc(L->class_def, (size_t)cap * sizeof *v);
        if (!v) {
            L->a.oom = true;
            return;
        }
        L->class_def = v;
        L->cap_class = cap;
    }
    L->class_def[L->n_class] = def;
    if (!strmap_put(&L->classes, name, L->n_class))
        L->a.oom = true;
    L->n_class++;
}

/* The pattern compiler's view of the lexicon (pattern.h). */
static int pat_word(void *env, const char *raw, int ids[4])
{
    loader *L = env;
    int si = strmap_get(&L->spell, raw, strlen(raw));
    if (si < 0) {
        int id = word_id_for(L, raw);
        if (id < 0)
            return -1;
        ids[0] = id;
        return 1;
    }
    pwords fw;
    phrase_words(L->kb->spell_to[si], &fw);
    int n = 0;
    for (int y = 0; y < fw.n && n < 4; y++) {
        int id = word_id_for(L, fw.w[y]);
        if (id < 0)
            return -1;
        ids[n++] = id;
    }
    return n;
}

static const char *pat_class(void *env, const char *name)
{
    loader *L = env;
    int i = strmap_get(&L->classes, name, strlen(name));
    return i >= 0 ? L->class_def[i] : NULL;
}

static bool pat_skip(void *env, int id)
{
    loader *L = env;
    return (L->kb->word_flags[id] & (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)) &&
           !(L->kb->word_flags[id] & KF_WORD_NEGATE);
}

/* Parses the right side of a phrase or pattern line into findings;
 * returns their count, or -1 after reporting an error. */
static int rhs_findings(loader *L, const block *b, const kv *k, const char *arrow,
                        int **finds_out, int **alts_out, bool **neg_out, bool **worry_out,
                        bool **weak_out)
{
    char **fparts;
    int nf = split(L, arrow + 2, ',', &fparts);
    /* "=> -" consumes the words and means nothing: "tennis ball" is
     * a tool, not the sport. */
    if (nf == 1 && !strcmp(fparts[0], "-"))
        nf = 0;
    else if (!nf) {
        err_at(L, b->file, k->line, "%s: no finding after '=>'", k->key);
        return -1;
    }
    int *finds = arena_alloc(&L->a, (size_t)(nf + 1) * sizeof *finds);
    int *alts = arena_alloc(&L->a, (size_t)(nf + 1) * sizeof *alts);
    bool *neg = arena_alloc(&L->a, (size_t)(nf + 1) * sizeof *neg);
    bool *worry = arena_alloc(&L->a, (size_t)(nf + 1) * sizeof *worry);
    bool *weak = arena_alloc(&L->a, (size_t)(nf + 1) * sizeof *weak);
    if (!finds || !alts || !neg || !worry || !weak)
        return -1;
    int kf = 0;
    bool bad = false;
    for (int m = 0; m < nf; m++) {
        char *f = fparts[m];
        bool isneg = false, isworry = false, isweak = false;
        if (*f == '?') {
            isweak = true;        /* "I'm a nurse": only likely, read as a guess */
            f = trim(f + 1, f + strlen(f));
        }
        if (*f == '!' && !isweak) {
            isneg = true;
            f = trim(f + 1, f + strlen(f));
        } else if (*f == '~' && !isweak) {
            isworry = true;       /* "could it be my heart": never a fact */
            f = trim(f + 1, f + strlen(f));
        }
        char *q = strchr(f, '?');
        char *alt = NULL;
        bool company = false;     /* "F1 ?+ F2": F2 only in company (kb.h) */
        if (q) {
            *q = '\0';
            company = q[1] == '+';
            alt = trim(q + 1 + company, q + 1 + strlen(q + 1));
            f = trim(f, q);
        }
        int fid = strmap_get(&L->findings, f, strlen(f));
        if (fid < 0) {
            err_at(L, b->file, k->line, "%s: unknown finding '%s'", k->key, f);
            bad = true;
            continue;
        }
        int aid = -1;
        if (alt) {
            aid = strmap_get(&L->findings, alt, strlen(alt));
            if (aid < 0) {
                err_at(L, b->file, k->line, "%s: unknown finding '%s'", k->key, alt);
                bad = true;
                continue;
            }
        }
        finds[kf] = fid;
        alts[kf] = company && aid >= 0 ? -(aid + 2) : aid;
        neg[kf] = isneg;
        worry[kf] = isworry;
        weak[kf] = isweak;
        kf++;
    }
    if (bad)
        return -1;
    *finds_out = finds;
    *alts_out = alts;
    *neg_out = neg;
    *worry_out = worry;
    *weak_out = weak;
    return kf;
}

static void build_patterns(loader *L)
{
    kf_kb *kb = L->kb;
    kf_pat_env env = { pat_word, pat_class, pat_skip, L };
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "lexicon"))
            continue;
        for (int j = 0; j < b->n_kvs; j++) {
            const kv *k = &b->kvs[j];
            if (strcmp(k->key, "pattern"))
                continue;
            const char *arrow = strstr(k->val, "=>");
            if (!arrow) {
                err_at(L, b->file, k->line, "pattern must look like 'words <class> (optional) => finding'");
                continue;
            }
            int *finds, *alts;
            bool *neg, *worry, *weak;
            int kf = rhs_findings(L, b, k, arrow, &finds, &alts, &neg, &worry, &weak);
            if (kf < 0)
                continue;
            char *lhs = arena_strndup(&L->a, k->val, (size_t)(arrow - k->val));
            if (!lhs)
                return;
            lhs = trim(lhs, lhs + strlen(lhs));
            int *prog, plen;
            kf_buf msg;
            kf_buf_init(&msg);
            kf_err e = kf_pattern_compile(lhs, &env, &prog, &plen, &msg);
            if (e == KF_ENOMEM) {
                kf_buf_free(&msg);
                L->a.oom = true;
                return;
            }
            if (e) {
                err_at(L, b->file, k->line, "pattern: %s", msg.s ? msg.s : "not understood");
                kf_buf_free(&msg);
                continue;
            }
            kf_buf_free(&msg);
            int *code = arena_alloc(&L->a, (size_t)plen * sizeof *code);
            int firsts[600];
            int nfirst = kf_pattern_firsts(prog, firsts, 600);
            int *fv = arena_alloc(&L->a, (size_t)(nfirst > 0 ? nfirst : 1) * sizeof *fv);
            if (!code || !fv) {
                kf_free(prog);
                return;
            }
            memcpy(code, prog, (size_t)plen * sizeof *code);
            memcpy(fv, firsts, (size_t)nfirst * sizeof *fv);
            /* a pattern that starts with a number is indexed under the slot
             * after the last word (kb->n_words is final by now: patterns
             * are compiled last) */
            for (int q = 0; q < nfirst; q++)
                if (fv[q] == KF_PAT_NUMBER)
                    fv[q] = -1;
            kf_phrase *ph = &kb->phrases[kb->n_phrases++];
            memset(ph, 0, sizeof *ph);
            ph->prog = code;
            ph->max_len = kf_pattern_max_len(prog);
            ph->firsts = fv;
            ph->n_firsts = nfirst;
            ph->words = fv;
            ph->n_words = 0;
            ph->finds = finds;
            ph->alts = alts;
            ph->neg = neg;
            ph->worry = worry;
            ph->weak = weak;
            ph->n_finds = kf;
            ph->text = lhs;
            ph->file = b->file;
            ph->line = k->line;
            kb->n_patterns++;
            kf_free(prog);
        }
    }
}

static void build_lexicon(loader *L)
{
    kf_kb *kb = L->kb;
    /* Built-in word classes; the lexicon's negate/stop/side_* lines add to
     * them.  Stop words are skipped on both sides of a phrase comparison. */
    for (int i = 0; i < L->n_blocks; i++)
        if (!strcmp(L->blocks[i].kind, "lexicon"))
            for (int j = 0; j < L->blocks[i].n_kvs; j++)
                if (!strcmp(L->blocks[i].kvs[j].key, "whole"))
                    whole_list(L, &L->blocks[i], &L->blocks[i].kvs[j]);
    flag_words(L, builtin_negate, KF_WORD_NEGATE);
    flag_words(L, builtin_stop, KF_WORD_STOP);
    static const char *const l[] = { "left", NULL }, *const r[] = { "right", NULL },
                      *const both[] = { "both", "bilateral", NULL };
    flag_words(L, l, KF_WORD_LEFT);
    flag_words(L, r, KF_WORD_RIGHT);
    flag_words(L, both, KF_WORD_BOTH);

    int nphr = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "lexicon"))
            continue;
        for (int j = 0; j < b->n_kvs; j++) {
            const kv *k = &b->kvs[j];
            if (!strcmp(k->key, "negate"))      flag_list(L, b, k, KF_WORD_NEGATE);
            else if (!strcmp(k->key, "stop"))   flag_list(L, b, k, KF_WORD_STOP);
            else if (!strcmp(k->key, "side_left"))  flag_list(L, b, k, KF_WORD_LEFT);
            else if (!strcmp(k->key, "side_right")) flag_list(L, b, k, KF_WORD_RIGHT);
            else if (!strcmp(k->key, "side_both"))  flag_list(L, b, k, KF_WORD_BOTH);
            else if (!strcmp(k->key, "past"))   flag_list(L, b, k, KF_WORD_PAST);
            else if (!strcmp(k->key, "class"))  add_class(L, b, k);
            else if (!strcmp(k->key, "pattern")) nphr++;
            else if (!strcmp(k->key, "phrase")) {
                const char *arrow = strstr(k->val, "=>");
                if (!arrow) {
                    err_at(L, b->file, k->line, "phrase must look like 'words, words => finding'");
                    continue;
                }
                /* Room only: one phrase per comma-separated part at most
                 * (split, below, drops the empty ones). */
                int np = 1;
                for (const char *q = k->val; q < arrow; q++)
                    np += *q == ',';
                nphr += np;
            }
        }
    }
    kb->phrases = arena_alloc(&L->a, (size_t)(nphr ? nphr : 1) * sizeof *kb->phrases);
    if (!kb->phrases)
        return;
    /* Spelling fixes. */
    int nspell = 0;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "lexicon"))
            continue;
        for (int j = 0; j < b->n_kvs; j++)
            if (!strcmp(b->kvs[j].key, "spell")) {
                const char *v = b->kvs[j].val;
                for (const char *p = v; *p; p++)
                    nspell += *p == ',';
                nspell++;
            }
    }
    kb->spell_from = arena_alloc(&L->a, (size_t)(nspell + 1) * sizeof *kb->spell_from);
    kb->spell_to = arena_alloc(&L->a, (size_t)(nspell + 1) * sizeof *kb->spell_to);
    if (!kb->spell_from || !kb->spell_to)
        return;
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "lexicon"))
            continue;
        for (int j = 0; j < b->n_kvs; j++) {
            const kv *k = &b->kvs[j];
            if (strcmp(k->key, "spell"))
                continue;
            const char *arrow = strstr(k->val, "=>");
            if (!arrow) {
                err_at(L, b->file, k->line, "spell must look like 'wrong, wrong => right'");
                continue;
            }
            char *lhs = tmp_strndup(L, k->val, (size_t)(arrow - k->val));   /* split copies */
            if (!lhs)
                return;
            pwords to;
            int nto = phrase_words(arrow + 2, &to);
            if (nto < 1) {
                err_at(L, b->file, k->line, "spell: nothing after '=>'");
                continue;
            }
            /* The right-hand side may be several words ("shoulder blade"). */
            char *right = arena_strndup(&L->a, arrow + 2, strlen(arrow + 2));
            if (!right)
                return;
            right = trim(right, right + strlen(right));
            for (char *q = right; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            for (int w = 0; w < nto; w++)
                word_id_for(L, to.w[w]);
            char **from;
            int nf = split(L, lhs, ',', &from);
            for (int m = 0; m < nf; m++) {
                pwords fw;
                if (phrase_words(from[m], &fw) != 1) {
                    err_at(L, b->file, k->line, "spell: '%s' must be a single word", from[m]);
                    continue;
                }
                if (strmap_get(&L->spell, fw.w[0], strlen(fw.w[0])) >= 0) {
                    err_at(L, b->file, k->line, "spell: '%s' is given a fix twice", fw.w[0]);
                    continue;
                }
                char *from_word = arena_strndup(&L->a, fw.w[0], strlen(fw.w[0]));
                if (!from_word)
                    return;
                kb->spell_from[kb->n_spell] = from_word;
                kb->spell_to[kb->n_spell] = right;
                if (!strmap_put(&L->spell, from_word, kb->n_spell))
                    L->a.oom = true;
                kb->n_spell++;
            }
        }
    }
    /* Phrases. */
    for (int i = 0; i < L->n_blocks; i++) {
        block *b = &L->blocks[i];
        if (strcmp(b->kind, "lexicon"))
            continue;
        for (int j = 0; j < b->n_kvs; j++) {
            const kv *k = &b->kvs[j];
            if (strcmp(k->key, "phrase"))
                continue;
            const char *arrow = strstr(k->val, "=>");
            if (!arrow)
                continue;   /* reported above */
            char *lhs = tmp_strndup(L, k->val, (size_t)(arrow - k->val));   /* split copies */
            if (!lhs)
                return;
            int *finds, *alts;
            bool *neg, *worry, *weak;
            int kf = rhs_findings(L, b, k, arrow, &finds, &alts, &neg, &worry, &weak);
            if (kf < 0)
                continue;
            char **phr;
            int np = split(L, lhs, ',', &phr);
            if (!np)
                err_at(L, b->file, k->line, "phrase: no words before '=>'");
            for (int m = 0; m < np; m++) {
                pwords pw, fixed;
                phrase_words(phr[m], &pw);
                if (pw.truncated) {
                    err_at(L, b->file, k->line, "phrase '%.60s...' has more than %d words",
                           phr[m], PW_MAX);
                    continue;
                }
                /* The reader fixes known misspellings before matching, so a
                 * phrase word with a fix ("scapula" if someone listed it)
                 * is matched in its fixed form, which may be two words. */
                fixed.n = 0;
                for (int x = 0; x < pw.n && fixed.n < PW_MAX; x++) {
                    int si = strmap_get(&L->spell, pw.w[x], strlen(pw.w[x]));
                    if (si < 0) {
                        memcpy(fixed.w[fixed.n++], pw.w[x], sizeof pw.w[x]);
                        continue;
                    }
                    pwords fw;
                    phrase_words(kb->spell_to[si], &fw);
                    for (int y = 0; y < fw.n && y < 4 && fixed.n < PW_MAX; y++)
                        memcpy(fixed.w[fixed.n++], fw.w[y], sizeof fw.w[y]);
                }
                int nw = fixed.n;
                int *ids = arena_alloc(&L->a, (size_t)(nw ? nw : 1) * sizeof *ids);
                if (!ids)
                    return;
                int n = 0;
                for (int x = 0; x < nw; x++) {
                    int id = word_id_for(L, fixed.w[x]);
                    if (id < 0)
                        return;
                    /* Stop and side words are skipped in text, so skip them here. */
                    if (kb->word_flags[id] & (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT |
                                              KF_WORD_BOTH))
                        continue;
                    ids[n++] = id;
                }
                if (!n) {
                    err_at(L, b->file, k->line, "phrase '%s' has only stop or side words", phr[m]);
                    continue;
                }
                kf_phrase *ph = &kb->phrases[kb->n_phrases++];
                ph->words = ids;
                ph->n_words = n;
                ph->finds = finds;
                ph->alts = alts;
                ph->neg = neg;
                ph->worry = worry;
                ph->weak = weak;
                ph->n_finds = kf;
                ph->text = phr[m];
                ph->file = b->file;
                ph->line = k->line;
                ph->prog = NULL;
                ph->max_len = n;
                ph->firsts = ph->words;
                ph->n_firsts = 1;
            }
        }
    }
    build_patterns(L);
    kb->n_classes = L->n_class;
    /* Stop and negation flags can be set after a phrase used the word; a
     * phrase whose words later became stop words would never match. */
    for (int i = 0; i < kb->n_phrases; i++) {
        kf_phrase *ph = &kb->phrases[i];
        if (ph->prog)
            continue;
        int n = 0;
        for (int x = 0; x < ph->n_words; x++)
            if (!(kb->word_flags[ph->words[x]] &
                  (KF_WORD_STOP | KF_WORD_LEFT | KF_WORD_RIGHT | KF_WORD_BOTH)))
                ph->words[n++] = ph->words[x];
        ph->n_words = n ? n : ph->n_words;
        ph->max_len = ph->n_words;
    }
}

/* ---------- the course (kb_lessons.c) ---------- */

static void lessons_err(void *ctx, const char *file, int line, const char *msg)
{
    err_at(ctx, file, line, "%s", msg);
}

static void *lessons_alloc(void *ctx, size_t n)
{
    return arena_alloc(&((loader *)ctx)->a, n);
}

/* ---------- public ---------- */

static void loader_free(loader *L)
{
    arena_free(&L->tmp);
    strmap_free(&L->regions);
    strmap_free(&L->findings);
    strmap_free(&L->causes);
    strmap_free(&L->techniques);
    strmap_free(&L->redflags);
    strmap_free(&L->words);
    strmap_free(&L->raw_words);
    strmap_free(&L->spell);
    strmap_free(&L->raw2id);
    strmap_free(&L->classes);
    kf_free(L->class_def);
    kf_free(L->blocks);
}

static bool is_co(const kf_phrase *ph)
{
    return ph->prog && kf_pattern_groups(ph->prog) > 1;
}

/* Which phrases an index holds: the plain ones and single-group patterns,
 * the patterns of several groups, or the single-group patterns alone. */
enum { IDX_PHRASES, IDX_CO, IDX_PATTERNS };

static bool in_index(const kf_phrase *ph, int which)
{
    return which == IDX_CO ? is_co(ph) : which == IDX_PHRASES ? !is_co(ph)
                           : ph->prog && !is_co(ph);
}

static bool index_phrases(kf_kb *kb, arena *a, int which, int **first_out, int **order_out)
{
    int total = 0;
    for (int i = 0; i < kb->n_phrases; i++)
        if (in_index(&kb->phrases[i], which))
            total += kb->phrases[i].n_firsts;
    int *first = arena_alloc(a, (size_t)(kb->n_words + 2) * sizeof(int));
    int *order = arena_alloc(a, (size_t)(total + 1) * sizeof(int));
    if (!first || !order)
        return false;
    memset(first, 0, (size_t)(kb->n_words + 2) * sizeof(int));
    for (int i = 0; i < kb->n_phrases; i++)
        if (in_index(&kb->phrases[i], which))
            for (int f = 0; f < kb->phrases[i].n_firsts; f++)
                first[(kb->phrases[i].firsts[f] < 0 ? kb->n_words
                                                    : kb->phrases[i].firsts[f]) + 1]++;
    for (int w = 0; w <= kb->n_words; w++)
        first[w + 1] += first[w];
    int *fill = kf_calloc((size_t)kb->n_words + 1, sizeof *fill);
    if (!fill)
        return false;
    for (int i = 0; i < kb->n_phrases; i++) {
        const kf_phrase *ph = &kb->phrases[i];
        if (!in_index(ph, which))
            continue;
        for (int f = 0; f < ph->n_firsts; f++) {
            int w = ph->firsts[f] < 0 ? kb->n_words : ph->firsts[f];   /* a number */
            int at = first[w] + fill[w]++;
            /* insertion keeps each run sorted by length, longest first */
            while (at > first[w] && kb->phrases[order[at - 1]].max_len < ph->max_len) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = i;
        }
    }
    kf_free(fill);
    *first_out = first;
    *order_out = order;
    return true;
}

/* The plain phrases by their word ids, so the reader finds the longest
 * phrase at a word with one probe per word instead of trying every phrase
 * that starts with it: the key is the ids' bytes; a phrase's value is its
 * index (the first phrase of that sequence, as the longest-first order
 * would pick), every shorter prefix of a phrase maps to -2. */
static bool index_sequences(kf_kb *kb, strmap *seq)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < kb->n_phrases; i++) {
            const kf_phrase *ph = &kb->phrases[i];
            if (ph->prog || !ph->n_words)
                continue;
            /* the words live in the arena as long as the map */
            const char *key = (const char *)ph->words;
            if (pass == 0 && !kf_map_put(seq, key, (size_t)ph->n_words * sizeof(int), i))
                return false;
            for (int k = 1; pass == 1 && k < ph->n_words; k++)
                if (!kf_map_put(seq, key, (size_t)k * sizeof(int), -2))
                    return false;
        }
    return true;
}

int kf_kb_phrase_seq(const kf_kb *kb, const int *ids, int n)
{
    if (n == 1 && kb->phrase_seq1 && ids[0] >= 0 && ids[0] < kb->n_words)
        return kb->phrase_seq1[ids[0]];
    return kf_map_get(&((const kb_priv *)kb->priv)->phrase_seq, (const char *)ids,
                      (size_t)n * sizeof *ids);
}

static uint32_t lexw_hash(uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ (b * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(h >> 32 ^ h);
}

static int lex_value(const kb_priv *p, const char *w, size_t len)
{
    return (kf_map_get(&p->spell, w, len) + 1) | (kf_map_get(&p->raw2id, w, len) + 1) << LEX_BITS |
           (kf_map_get(&p->raw_words, w, len) >= 0 ? LEX_KNOWN : 0);
}

/* Is s[0..len) raw word w with its letter d deleted? */
static bool dels_is(const char *w, uint32_t d, const char *s, size_t len)
{
    return strlen(w) == len + 1 && !memcmp(w, s, d) && !memcmp(w + d + 1, s + d, len - d);
}

/* kb_priv.dels for the raw words: a table of room for a deletion of each
 * letter of each word (at most three quarters full), in the arena. */
static bool dels_build(loader *L, kb_priv *priv)
{
    const kf_kb *kb = L->kb;
    size_t most = 0, cap = 64;
    for (int i = 0; i < kb->n_raw_words; i++) {
        size_t n = strlen(kb->raw_words[i]);
        most += n >= 4 && n <= 40 ? n : 0;
    }
    if (kb->n_raw_words >= (1 << 26) - 1)     /* (ref must not wrap) */
        return false;
    while (cap < most + most / 3)
        cap *= 2;
    del_slot *t = arena_alloc(&L->a, cap * sizeof *t);      /* zeroed: free */
    if (!t)
        return false;
    uint32_t mask = (uint32_t)cap - 1;
    for (int i = 0; i < kb->n_raw_words; i++) {
        const char *w = kb->raw_words[i];
        size_t n = strlen(w);
        if (n < 4 || n > 40)
            continue;
        for (uint32_t d = 0; d < n; d++) {
            char del[40];
            memcpy(del, w, d);
            memcpy(del + d, w + d + 1, n - d - 1);
            uint32_t h = kf_map_hash(del, n - 1), j = h & mask;
            for (; t[j].ref; j = (j + 1) & mask) {
                uint32_t r = t[j].ref - 1;
                if (t[j].hash == h && dels_is(kb->raw_words[r >> 6], r & 63, del, n - 1))
                    break;          /* the first word with it stays */
            }
            if (!t[j].ref)
                t[j] = (del_slot){ .hash = h, .ref = ((uint32_t)i << 6 | d) + 1 };
        }
    }
    priv->dels = t;
    priv->dels_mask = mask;
    return true;
}

static kf_err finish_with(loader *L, kf_kb **out, kb_priv **made)
{
    kf_kb *kb = arena_alloc(&L->a, sizeof *kb);
    kb_priv *priv = arena_alloc(&L->a, sizeof *priv);   /* zeroed */
    *made = priv;
    if (!kb || !priv)
        return KF_ENOMEM;
    L->kb = kb;
    build_scale(L);
    kb->n_regions = count_kind(L, "region");
    kb->n_causes = count_kind(L, "cause");
    kb->n_techniques = count_kind(L, "technique");
    kb->n_redflags = count_kind(L, "redflag");
    declare(L, "region", &L->regions);
    declare(L, "finding", &L->findings);
    declare(L, "cause", &L->causes);
    declare(L, "technique", &L->techniques);
    declare(L, "redflag", &L->redflags);
    kb->n_regions = (int)L->regions.n;
    kb->n_causes = (int)L->causes.n;
    kb->n_techniques = (int)L->techniques.n;
    kb->n_redflags = (int)L->redflags.n;
    kb->regions = arena_alloc(&L->a, (size_t)(kb->n_regions + 1) * sizeof *kb->regions);
    kb->findings = arena_alloc(&L->a, (size_t)(kb->n_regions + L->findings.n + 1 +
                               (size_t)(kb->n_techniques + kb->n_regions + 1) *
                               (size_t)kb->relief_trials) *
                               sizeof *kb->findings);
    kb->causes = arena_alloc(&L->a, (size_t)(kb->n_causes + 1) * sizeof *kb->causes);
    kb->techniques = arena_alloc(&L->a, (size_t)(kb->n_techniques + 1) * sizeof *kb->techniques);
    kb->redflags = arena_alloc(&L->a, (size_t)(kb->n_redflags + 1) * sizeof *kb->redflags);
    if (L->a.oom)
        return KF_ENOMEM;
    for (int i = 0; i < L->n_blocks; i++)
        check_keys(L, &L->blocks[i]);
    build_regions(L);
    build_techniques(L);
    build_findings(L);
    build_technique_when(L);
    build_causes(L);
    build_redflags(L);
    build_lexicon(L);
    {
        kf_kb_env env = { L, lessons_err, lessons_alloc };
        kf__kb_lessons(kb, L->blocks, L->n_blocks, &env);
    }
    if (!kb->n_causes && !L->n_errs)
        err_at(L, "kb", 0, "the knowledge base defines no causes");
    snprintf(kb->version, sizeof kb->version, "%016llx", L->digest);
    if (L->a.oom)
        return KF_ENOMEM;
    if (L->n_errs)
        return KF_EPARSE;
    kb->in_redflag = arena_alloc(&L->a, (size_t)kb->n_findings + 1);
    if (!kb->in_redflag)
        return KF_ENOMEM;
    for (int r = 0; r < kb->n_redflags; r++) {
        const kf_redflag *rf = &kb->redflags[r];
        for (int a = 0; a < rf->n_all; a++)
            if (rf->all[a] >= 0 && rf->all[a] < kb->n_findings)
                kb->in_redflag[rf->all[a]] = 1;
        for (int a = 0; a < rf->n_any; a++)
            if (rf->any[a] >= 0 && rf->any[a] < kb->n_findings)
                kb->in_redflag[rf->any[a]] = 1;
    }
    /* Two phrases that read the same after normalising (stop words dropped,
     * stems compared) but mean different findings would shadow each other;
     * a phrase that reduces to a single word everyone writes ("knot") is
     * the usual cause. */
    {
        strmap seen = { 0 };
        for (int i = 0; i < kb->n_phrases && !L->a.oom; i++) {
            kf_phrase *ph = &kb->phrases[i];
            if (ph->prog)
                continue;
            kf_buf key;
            kf_buf_init(&key);
            for (int w = 0; w < ph->n_words; w++) {
                /* word id in base 64, 3 printable characters each */
                char c[3];
                for (int d = 0; d < 3; d++)
                    c[d] = (char)('0' + ((ph->words[w] >> (6 * d)) & 63));
                kf_buf_add(&key, c, 3);
            }
            if (key.oom) {
                L->a.oom = true;
                break;
            }
            int prev = strmap_get(&seen, key.s, key.len);
            if (prev >= 0) {
                const kf_phrase *o = &kb->phrases[prev];
                bool same = o->n_finds == ph->n_finds;
                for (int f = 0; same && f < ph->n_finds; f++)
                    same = o->finds[f] == ph->finds[f] && o->neg[f] == ph->neg[f] &&
                           o->worry[f] == ph->worry[f] && o->weak[f] == ph->weak[f];
                if (!same)
                    err_at(L, ph->file, ph->line, "phrase '%s' reads the same as '%s' (%s:%d) "
                           "but means other findings", ph->text, o->text, o->file, o->line);
                kf_buf_free(&key);
                continue;
            }
            char *k = arena_strndup(&L->a, key.s, key.len);
            kf_buf_free(&key);
            if (!k || !strmap_put(&seen, k, i))
                L->a.oom = true;
        }
        strmap_free(&seen);
    }
    /* Index the phrases and patterns by first word, longest first; the
     * patterns of several groups ("A & B") in an index of their own. */
    if (!index_phrases(kb, &L->a, IDX_PHRASES, &kb->phrase_first, &kb->phrase_order) ||
        !index_phrases(kb, &L->a, IDX_CO, &kb->co_first, &kb->co_order) ||
        !index_phrases(kb, &L->a, IDX_PATTERNS, &kb->pat_first, &kb->pat_order) ||
        !index_sequences(kb, &priv->phrase_seq))
        return KF_ENOMEM;
    /* The first word of a phrase looked up without hashing (most words
     * start none). */
    kb->phrase_seq1 = arena_alloc(&L->a, (size_t)(kb->n_words + 1) * sizeof *kb->phrase_seq1);
    if (!kb->phrase_seq1)
        return KF_ENOMEM;
    for (int w = 0; w < kb->n_words; w++)
        kb->phrase_seq1[w] = kf_map_get(&priv->phrase_seq, (const char *)&w, sizeof w);
    /* Single-deletion neighbourhood of every lexicon word of 4+ letters, for
     * one-edit spelling correction (SymSpell-style): a typo and the word it
     * should be share a deletion whenever they are one edit apart. */
    if (!dels_build(L, priv))
        return KF_ENOMEM;
    /* Each technique's members as the server writes them in every answer
     * that plans it (render_json.c): written once here, into the arena, so
     * the snapshot keeps them and an answer copies them. */
    for (int i = 0; i < kb->n_techniques; i++) {
        kf_technique *t = &kb->techniques[i];
        size_t n = 0;
        bool oom = false;
        char *js = kf_technique_members_json(kb, t, &n, &oom);
        if (js) {
            t->json = arena_strndup(&L->a, js, n);
            t->json_len = t->json ? n : 0;
            oom = !t->json;
        }
        kf_free(js);
        if (oom || L->a.oom)
            return KF_ENOMEM;    /* a load that ran out of memory fails */
    }
    /* Keep the lookup maps; the rest of the loader goes. */
    priv->spell = L->spell;
    priv->raw_words = L->raw_words;
    priv->raw2id = L->raw2id;
    memset(&L->raw2id, 0, sizeof L->raw2id);
    memset(&L->spell, 0, sizeof L->spell);
    memset(&L->raw_words, 0, sizeof L->raw_words);
    priv->regions = L->regions;
    priv->findings = L->findings;
    priv->causes = L->causes;
    priv->techniques = L->techniques;
    priv->words = L->words;
    memset(&L->regions, 0, sizeof L->regions);
    memset(&L->findings, 0, sizeof L->findings);
    memset(&L->causes, 0, sizeof L->causes);
    memset(&L->techniques, 0, sizeof L->techniques);
    memset(&L->words, 0, sizeof L->words);
    /* The three maps the reader asks of every word, in one (kf_kb_lex). */
    if (kb->n_spell < LEX_MASK && kb->n_words < LEX_MASK) {
        const kf_map *from[] = { &priv->spell, &priv->raw2id, &priv->raw_words };
        /* raw2id's words are raw_words': at most half the slots taken */
        size_t most = priv->spell.n + priv->raw_words.n, cap = 64;
        while (cap < 2 * most || cap <= most + priv->raw2id.n)
            cap *= 2;
        priv->lexw = arena_alloc(&L->a, cap * 2 * sizeof *priv->lexw);       /* zeroed */
        priv->lexw_val = arena_alloc(&L->a, cap * sizeof *priv->lexw_val);
        if (!priv->lexw || !priv->lexw_val)
            return KF_ENOMEM;
        priv->lexw_mask = (uint32_t)cap - 1;
        for (size_t m = 0; m < KF_ARRAY_LEN(from); m++)
            for (size_t i = 0; i < from[m]->cap; i++) {
                const kf_map_slot *sl = &from[m]->slots[i];
                if (!sl->key)
                    continue;
                int v = lex_value(priv, sl->key, sl->len);
                if (sl->len > 16 || !sl->len || memchr(sl->key, '\0', sl->len)) {
                    if (kf_map_get(&priv->lex, sl->key, sl->len) < 0 &&
                        !kf_map_put(&priv->lex, sl->key, sl->len, v))
                        return KF_ENOMEM;
                    continue;
                }
                uint64_t k[2] = { 0, 0 };
                memcpy(k, sl->key, sl->len);
                uint32_t j = lexw_hash(k[0], k[1]) & priv->lexw_mask;
                while ((priv->lexw[2 * j] || priv->lexw[2 * j + 1]) &&
                       (priv->lexw[2 * j] != k[0] || priv->lexw[2 * j + 1] != k[1]))
                    j = (j + 1) & priv->lexw_mask;
                priv->lexw[2 * j] = k[0];
                priv->lexw[2 * j + 1] = k[1];
                priv->lexw_val[j] = v;
            }
    }
    /* Every map's slots into the arena too: the KB is then the arena's
     * region alone, which a snapshot can keep. */
    kf_map *maps[] = { &priv->regions, &priv->findings, &priv->causes, &priv->techniques,
                       &priv->words, &priv->spell, &priv->raw_words,
                       &priv->raw2id, &priv->phrase_seq, &priv->lex };
    bool adopted = true;
    for (size_t i = 0; i < KF_ARRAY_LEN(maps); i++)
        adopted &= arena_adopt_map(&L->a, maps[i]);
    if (!adopted) {
        /* every map's heap slots are gone (adopted or freed): none to free */
        for (size_t i = 0; i < KF_ARRAY_LEN(maps); i++)
            memset(maps[i], 0, sizeof *maps[i]);
        return KF_ENOMEM;
    }
    priv->a = L->a;
    memset(&L->a, 0, sizeof L->a);
    kb->priv = priv;
    *out = kb;
    return KF_OK;
}

/* finish_with, and on a failure the maps it had built on the heap (moved
 * from the loader into priv, or made in priv: the phrase sequences, the
 * lexicon's long words) are freed; the arena goes with the caller.  A load
 * that runs out of memory part-way leaks nothing (test_core's OOM loop). */
static kf_err finish(loader *L, kf_kb **out)
{
    kb_priv *priv = NULL;
    kf_err e = finish_with(L, out, &priv);
    if (e != KF_OK && priv) {
        kf_map *maps[] = { &priv->regions, &priv->findings, &priv->causes, &priv->techniques,
                           &priv->words, &priv->spell, &priv->raw_words,
                           &priv->raw2id, &priv->phrase_seq, &priv->lex };
        for (size_t i = 0; i < KF_ARRAY_LEN(maps); i++)
            kf_map_free(maps[i]);
    }
    return e;
}

/* ---------- snapshot: the loaded KB, kept in a file and mapped back ----------
 *
 * Parsing and checking the text costs tens of millions of instructions; a
 * KB whose files have not changed since the last load need not be parsed
 * again.  After a load from the text, the KB (every byte of it is in the
 * arena's one region: kf_kb, the arrays, the strings, the maps' slots) is
 * written to $XDG_CACHE_HOME/knotfinder (~/.cache/knotfinder) as it is,
 * with the address of its region and the list of its words that are
 * pointers (the relocations); the next load reads the .kb files (they
 * must be read to know they are the same), hashes their names, sizes and
 * bytes, and when a snapshot of this folder made by this very program (its
 * build id and its stemmer library) from files with that hash is there and
 * intact (the header's own sum, then a checksum of the rest, read with
 * pread rather than through the mapping), maps it.  The region is reserved
 * at an address drawn at random when the KB is read from its text
 * (kb_place), kept in the snapshot, so the snapshot maps back there in
 * every next process as it is: no word is written, and only
 * the pages a command uses are brought into its memory (a command that
 * reads every page, or writes the pointers into every page, has the whole
 * image, 6 MB, resident: issue 14's memory target).  When that address
 * space is taken (a second KB in the process), the snapshot is mapped
 * elsewhere and its pointers moved by the relocations, each offset and
 * each value checked to lie inside the image.  Anything else -- another
 * hash, a damaged or foreign file, no cache folder -- is a load from the
 * text, as before, with its file:line messages.
 *
 * Which words of the region are pointers is not listed by hand: the KB is
 * built a second time, from the same text, in a second region, and the two
 * are compared word by word.  A word that is the same in both is data; one
 * that differs by exactly the distance between the regions, and lies in
 * the first, is a pointer into it.  Any other difference (a pointer to
 * memory outside the region, something that is not reproducible) and a
 * word the same in both that points into the program or a library mean no
 * snapshot is written: a KB field added tomorrow cannot be left dangling.
 * (A pointer to memory freed before the second build may meet the same
 * address again there; test_kbsnap under ASan, whose allocator does not
 * hand freed memory out again at once, fails on one.)
 * KNOTFINDER_KB_CACHE=off turns snapshots off. */

#define SNAP_MAGIC  "KFKBSNP\n"
#define SNAP_FORMAT 2u

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

typedef struct {
    char     magic[8];
    uint32_t format;
    uint32_t header_size;    /* bytes before the image: a multiple of the page */
    uint64_t key[2];         /* the files' names, sizes and bytes */
    uint64_t build;          /* this program's build id and its stemmer */
    uint64_t image_size;
    uint64_t kb_offset;      /* where the kf_kb is in the image */
    uint64_t n_relocs;       /* uint32_t offsets after the image */
    uint64_t checksum[2];    /* of the image and the relocations */
    uint64_t place;          /* the address the image's pointers are for */
    uint64_t head_sum;       /* of this header (head_sum 0) and the folder */
    uint32_t dir_len;        /* the folder's real path follows the header */
    uint32_t reserved;
} snap_header;

/* Two lanes of multiply and shift, 16 bytes a step: a change of any one
 * word always changes the result (each step is a bijection of the state). */
/* KNOTFINDER_KB_CACHE=debug says on stderr why no snapshot was used or
 * written. */
static void snap_why(const char *what, const char *path)
{
    const char *v = getenv("KNOTFINDER_KB_CACHE");
    if (v && !strcmp(v, "debug"))
        fprintf(stderr, "knotfinder: kb snapshot %s: %s\n", path ? path : "-", what);
}

static void hash_bytes2(const void *p, size_t n, uint64_t h[2])
{
    const unsigned char *s = p;
    uint64_t a = h[0], b = h[1];
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint64_t x, y;
        memcpy(&x, s + i, 8);
        memcpy(&y, s + i + 8, 8);
        a = (a ^ x) * 0x9E3779B97F4A7C15ULL;
        a ^= a >> 29;
        b = (b ^ y) * 0xC2B2AE3D27D4EB4FULL;
        b ^= b >> 31;
    }
    uint64_t t[2] = { 0, 0 };
    memcpy(t, s + i, n - i);
    a = (a ^ t[0] ^ (uint64_t)n) * 0x9E3779B97F4A7C15ULL;
    a ^= a >> 29;
    b = (b ^ t[1] ^ (uint64_t)n) * 0xC2B2AE3D27D4EB4FULL;
    b ^= b >> 31;
    h[0] = a;
    h[1] = b;
}

/* A checksum for damage (not for an adversary: the cache is the user's
 * own): the sum and the xor of the 8-byte words, which the compiler does
 * several words an instruction. */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

static void checksum_words(const uint64_t *w, size_t n, uint64_t c[2])
{
    u64x2 s0 = { 0, 0 }, s1 = { 0, 0 }, x0 = { 0, 0 }, x1 = { 0, 0 };
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {     /* four words a step, two at a time */
        u64x2 a, b;
        memcpy(&a, w + i, 16);
        memcpy(&b, w + i + 2, 16);
        s0 += a;
        s1 += b;
        x0 ^= a;
        x1 ^= b;
    }
    uint64_t sum = c[0] + s0[0] + s0[1] + s1[0] + s1[1];
    uint64_t x = c[1] ^ x0[0] ^ x0[1] ^ x1[0] ^ x1[1];
    for (; i < n; i++) {
        sum += w[i];
        x ^= w[i];
    }
    c[0] = sum;
    c[1] = x;
}

/* The relocations' checksum: their words, and the count (an odd one out
 * by itself). */
static void reloc_sum(const uint32_t *r, uint64_t n, uint64_t c[2])
{
    checksum_words((const uint64_t *)r, n / 2, c);
    c[0] += n;
    c[1] ^= n & 1 ? (uint64_t)r[n - 1] << 32 | 0x5bd1e995u : 0;
}

/* The program's build id and the stemmer library it runs with, and the
 * address ranges of every loaded object (for the pointer check). */
typedef struct {
    uint64_t  build;
    bool      have_id;
    uintptr_t lo[64], hi[64];
    int       n;
} build_info;

static int build_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    build_info *b = data;
    bool main_object = !info->dlpi_name || !*info->dlpi_name;
    (void)size;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            lo = start < lo ? start : lo;
            hi = start + ph->p_memsz > hi ? start + ph->p_memsz : hi;
        }
        if (ph->p_type != PT_NOTE || !main_object || b->have_id)
            continue;
        const unsigned char *p = (const unsigned char *)start, *end = p + ph->p_memsz;
        while (p + 12 <= end) {
            uint32_t namesz, descsz, type;
            memcpy(&namesz, p, 4);
            memcpy(&descsz, p + 4, 4);
            memcpy(&type, p + 8, 4);
            const unsigned char *name = p + 12;
            const unsigned char *desc = name + ((namesz + 3) & ~3u);
            if (desc + descsz > end)
                break;
            if (type == 3 /* NT_GNU_BUILD_ID */ && namesz == 4 && !memcmp(name, "GNU", 4)) {
                uint64_t h[2] = { b->build, 0x243F6A8885A308D3ULL };
                hash_bytes2(desc, descsz, h);
                b->build = h[0] ^ h[1];
                b->have_id = true;
                break;
            }
            p = desc + ((descsz + 3) & ~3u);
        }
    }
    if (hi > lo && b->n < (int)KF_ARRAY_LEN(b->lo)) {
        b->lo[b->n] = lo;
        b->hi[b->n] = hi;
        b->n++;
    }
    if (info->dlpi_name && strstr(info->dlpi_name, "libstemmer")) {
        /* a stemmer upgrade may stem words otherwise: its file's identity */
        struct stat st;
        uint64_t h[2] = { b->build, 0x13198A2E03707344ULL };
        hash_bytes2(info->dlpi_name, strlen(info->dlpi_name), h);
        if (stat(info->dlpi_name, &st) == 0) {
            uint64_t id[4] = { (uint64_t)st.st_ino, (uint64_t)st.st_size,
                               (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec };
            hash_bytes2(id, sizeof id, h);
        }
        b->build = h[0] ^ h[1];
    }
    return 0;
}

static void build_identity(build_info *b)
{
    memset(b, 0, sizeof *b);
    /* the layout of what the image holds, and the format */
    b->build = SNAP_FORMAT * 0x100000001B3ULL ^ sizeof(kf_kb) << 8 ^ sizeof(kf_phrase) << 20 ^
               sizeof(kb_priv) << 32 ^ sizeof(kf_cause) << 44 ^ sizeof(void *);
    dl_iterate_phdr(build_cb, b);
}

/* The files' key: names, sizes and bytes. */
static void files_key(const kb_files *f, uint64_t key[2])
{
    key[0] = 0x6A09E667F3BCC908ULL;
    key[1] = 0xBB67AE8584CAA73BULL;
    for (int i = 0; i < f->n; i++) {
        uint64_t len = f->v[i].len;
        hash_bytes2(f->v[i].name, strlen(f->v[i].name) + 1, key);
        hash_bytes2(&len, sizeof len, key);
        hash_bytes2(f->text.s + f->v[i].off, f->v[i].len, key);
    }
}

/* The cache folder ($XDG_CACHE_HOME/knotfinder, else ~/.cache/knotfinder)
 * into `dir`, or false when snapshots are off or there is none. */
static bool snap_dir(char *dir, size_t n)
{
    const char *off = getenv("KNOTFINDER_KB_CACHE");
    if (off && (!strcmp(off, "0") || !strcmp(off, "off") || !strcmp(off, "no")))
        return false;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int w;
    if (xdg && *xdg == '/')          /* a relative one is to be ignored */
        w = snprintf(dir, n, "%s/knotfinder", xdg);
    else if (home && *home == '/')
        w = snprintf(dir, n, "%s/.cache/knotfinder", home);
    else
        return false;
    return w > 0 && (size_t)w < n;
}

/* The snapshot file of folder `real` made by this build. */
static bool snap_path(const char *real, uint64_t build, char *path, size_t n)
{
    char dir[4096];
    if (!snap_dir(dir, sizeof dir))
        return false;
    uint64_t h[2] = { 0x3C6EF372FE94F82BULL, 0xA54FF53A5F1D36F1ULL };
    hash_bytes2(real, strlen(real), h);
    int w = snprintf(path, n, "%s/kb-%016llx-%016llx.snap", dir,
                     (unsigned long long)h[0], (unsigned long long)build);
    return w > 0 && (size_t)w < n;
}

static bool pio_all(int fd, void *p, size_t n, off_t at, bool wr)
{
    char *s = p;
    while (n) {
        ssize_t k = wr ? pwrite(fd, s, n, at) : pread(fd, s, n, at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        s += k;
        n -= (size_t)k;
        at += k;
    }
    return true;
}

/* The header's own sum: its fields (head_sum as 0) and the folder. */
static uint64_t head_sum(const snap_header *h, const char *real, size_t dl)
{
    snap_header c = *h;
    c.head_sum = 0;
    uint64_t s[2] = { 0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL };
    hash_bytes2(&c, sizeof c, s);
    hash_bytes2(real, dl, s);
    return s[0] ^ s[1];
}

/* checksum_words() of `len` bytes (a multiple of 8) of fd from `at`, read
 * with pread through `buf` (`cap` bytes, a multiple of 8): the file's
 * pages are checked without being mapped into this process, so that only
 * the pages a command goes on to use count in its memory. */
static bool checksum_file(int fd, off_t at, uint64_t len, uint64_t *buf, size_t cap,
                          uint64_t c[2])
{
    while (len) {
        size_t k = len < cap ? (size_t)len : cap;
        if (!pio_all(fd, buf, k, at, false))
            return false;
        checksum_words(buf, k / 8, c);
        at += (off_t)k;
        len -= k;
    }
    return true;
}

/* Are the image and the relocations in the file at `fd` (after a header
 * `h` already checked) those the checksum was made of? */
static bool snap_intact(int fd, const snap_header *h)
{
    enum { BUF = 64 * 1024 };
    uint64_t *buf = kf_malloc(BUF);
    if (!buf)
        return false;
    uint64_t c[2] = { 0, 0 }, rc[2] = { 0, 0 }, n = h->n_relocs;
    off_t rel = (off_t)(h->header_size + h->image_size);
    uint32_t odd = 0;
    bool ok = checksum_file(fd, (off_t)h->header_size, h->image_size, buf, BUF, c) &&
              checksum_file(fd, rel, n / 2 * 8, buf, BUF, rc) &&
              (!(n & 1) || pio_all(fd, &odd, 4, rel + (off_t)(n - 1) * 4, false));
    kf_free(buf);
    /* as reloc_sum() counts them */
    rc[0] += n;
    rc[1] ^= n & 1 ? (uint64_t)odd << 32 | 0x5bd1e995u : 0;
    return ok && (c[0] ^ rc[0]) == h->checksum[0] && (c[1] ^ rc[1]) == h->checksum[1];
}

/* The KB in the snapshot at `path`, or NULL (no such file, another key,
 * damaged: the caller loads the text).  The header is read and checked,
 * then the whole file's checksum (read, not mapped); the file is mapped
 * where its pointers are for when that address space is free -- nothing
 * written, its pages are the page cache's, brought in as they are used --
 * else anywhere, and the relocations turn its pointers into the new
 * place's, each offset and each value checked to lie inside the image. */
static kf_kb *snap_load(const char *path, const uint64_t key[2], uint64_t build,
                        const char *real)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    snap_header h;
    size_t dl = strlen(real);
    char dir[4096];
    /* only a regular file of this user's is trusted */
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
              (size_t)st.st_size >= sizeof h && dl < sizeof dir &&
              pio_all(fd, &h, sizeof h, 0, false);
    size_t size = ok ? (size_t)st.st_size : 0;
    ok = ok && !memcmp(h.magic, SNAP_MAGIC, 8) && h.format == SNAP_FORMAT &&
         h.key[0] == key[0] && h.key[1] == key[1] && h.build == build &&
         h.dir_len == dl && h.header_size % 4096 == 0 &&
         h.header_size >= sizeof h + dl && h.image_size % 8 == 0 &&
         h.image_size <= size && h.n_relocs <= size / 4 &&
         (uint64_t)h.header_size + h.image_size + h.n_relocs * 4 == size &&
         h.kb_offset % 8 == 0 && h.kb_offset + sizeof(kf_kb) <= h.image_size &&
         h.place % 4096 == 0 && h.place >= h.header_size &&
         pio_all(fd, dir, dl, sizeof h, false) && !memcmp(dir, real, dl) &&
         h.head_sum == head_sum(&h, real, dl) && snap_intact(fd, &h);
    char *m = MAP_FAILED;
    if (ok) {
        char *want = (char *)(uintptr_t)(h.place - h.header_size);
        m = mmap(want, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
        if (m != MAP_FAILED && m != want) {     /* (a kernel that took it as a hint) */
            munmap(m, size);
            m = MAP_FAILED;
        }
        if (m == MAP_FAILED)
            m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        ok = m != MAP_FAILED;
    }
    char *img = ok ? m + h.header_size : NULL;
    uintptr_t base = (uintptr_t)img;
    if (ok && base != h.place) {
        /* elsewhere: every pointer moved by the same distance */
        snap_why("its address space is taken: mapped elsewhere, its pointers moved", path);
        const uint32_t *rel = (const uint32_t *)(img + h.image_size);
        uint64_t last = h.image_size >= 8 ? h.image_size - 8 : 0, lim = h.image_size;
        for (uint64_t i = 0; ok && i < h.n_relocs; i++) {
            uint32_t off = rel[i];
            uint64_t v;
            if (off > last) {
                ok = false;
                break;
            }
            memcpy(&v, img + off, 8);
            if (v < h.place || v - h.place > lim) {
                ok = false;
                break;
            }
            v = v - h.place + base;
            memcpy(img + off, &v, 8);
        }
    }
    kf_kb *kb = ok ? (kf_kb *)(img + h.kb_offset) : NULL;
    kb_priv *p = kb ? kb->priv : NULL;
    if (!p || (char *)p < img || (char *)p + sizeof *p > img + h.image_size ||
        (uintptr_t)p % 8) {
        if (m != MAP_FAILED)
            munmap(m, size);
        close(fd);
        return NULL;
    }
    memset(&p->a, 0, sizeof p->a);
    p->a.map = m;
    p->a.map_len = size;
    /* used: its time, so that cleaning the cache folder keeps it */
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) == 0 && now.tv_sec - st.st_mtim.tv_sec > 86400)
        futimens(fd, NULL);
    close(fd);
    return kb;
}

/* Removes what a cache folder no longer needs: snapshots of folders that
 * are gone or unused for 30 days, those of the same folder by other builds
 * (an older program) unused for two days, unfinished ones older than an
 * hour.  (A snapshot's time is brought up to date when it is used a day
 * after it was.) */
static void snap_clean(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    /* "kb-<folder>-": the same folder's snapshots */
    const char *base = strrchr(keep, '/') ? strrchr(keep, '/') + 1 : keep;
    size_t same = strlen(base) > 20 ? 20 : 0;
    struct dirent *e;
    time_t now = time(NULL);
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        size_t nl = strlen(n);
        bool snap = nl > 8 && !strncmp(n, "kb-", 3) && !strcmp(n + nl - 5, ".snap");
        bool tmp = !strncmp(n, "kb-", 3) && strstr(n, ".snap.tmp.");
        if (!snap && !tmp)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, n);
        if (!strcmp(path, keep))
            continue;
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        bool gone = tmp ? now - st.st_mtime > 3600 : now - st.st_mtime > 30 * 86400 ||
                    (same && !strncmp(n, base, same) && now - st.st_mtime > 2 * 86400);
        int fd = gone || tmp ? -1 : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            snap_header h;
            char real[4097];
            if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
                !memcmp(h.magic, SNAP_MAGIC, 8) && h.dir_len < sizeof real &&
                pread(fd, real, h.dir_len, sizeof h) == (ssize_t)h.dir_len) {
                real[h.dir_len] = '\0';
                struct stat ds;
                gone = stat(real, &ds) != 0 && errno == ENOENT;
            }
            close(fd);
        }
        if (gone)
            unlink(path);
    }
    closedir(d);
}

static bool mkdirs(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n >= sizeof p)
        return false;
    memcpy(p, dir, n + 1);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST)
                return false;
            *s = '/';
        }
    return mkdir(p, 0700) == 0 || errno == EEXIST;
}

/* Reads the first build's image, at `hsize` in the file, chunk by chunk
 * and compares it with the second build's region B: the words that differ
 * by the distance between the two are its pointers, listed as the
 * relocations (the image keeps them as they are, for the first region's
 * place).  Writes the relocations and fills in h's checksum; returns false
 * when the two builds are not what a snapshot can keep. */
__attribute__((no_sanitize_address))
static bool snap_diff(int fd, const build_info *bi, uintptr_t ba, size_t used,
                      const arena *B, size_t hsize, snap_header *h)
{
    size_t nw = used / 8;
    const uint64_t *b = (const uint64_t *)B->base;
    uintptr_t delta = (uintptr_t)B->base - ba;
    uint32_t *rel = NULL;
    size_t nrel = 0, cap = 0;
    enum { CHUNK = 8192 };
    uint64_t *a = kf_malloc(CHUNK * sizeof *a);     /* one chunk of the first image */
    uint64_t c[2] = { 0, 0 };
    bool ok = a != NULL;
    for (size_t at = 0; ok && at < nw; at += CHUNK) {
        size_t k = nw - at < CHUNK ? nw - at : CHUNK;
        off_t where = (off_t)(hsize + at * 8);
        if (!pio_all(fd, a, k * 8, where, false)) {
            ok = false;
            break;
        }
        for (size_t j = 0; ok && j < k; j++) {
            size_t i = at + j;
            uint64_t w = a[j], wb;
            memcpy(&wb, b + i, 8);      /* (ASan's gaps in B read as the zeros they are) */
            if (w != wb) {
                if (wb - w != delta || w < ba || w > ba + used || i * 8 > UINT32_MAX) {
                    char why[120];
                    snprintf(why, sizeof why, "not written: the word at %zu differs between "
                             "two builds and is no pointer into the KB", i * 8);
                    snap_why(why, NULL);
                    ok = false;
                    break;
                }
                if (nrel == cap) {
                    cap = cap ? cap * 2 : 65536;
                    uint32_t *v = kf_realloc(rel, cap * sizeof *v);
                    if (!v) {
                        ok = false;
                        break;
                    }
                    rel = v;
                }
                rel[nrel++] = (uint32_t)(i * 8);
            } else if (w >> 32) {
                /* (the program and the libraries are mapped above 4 GB when
                 * their place is random; below, as under valgrind, small
                 * numbers side by side would look like such pointers) */
                for (int r = 0; r < bi->n; r++)
                    if (w >= bi->lo[r] && w < bi->hi[r]) {
                        char why[120];
                        snprintf(why, sizeof why, "not written: the word at %zu (%#llx) "
                                 "points into the program or a library", i * 8,
                                 (unsigned long long)w);
                        snap_why(why, NULL);
                        ok = false;
                    }
            }
        }
        if (ok)
            checksum_words(a, k, c);
    }
    if (ok) {
        uint64_t rc[2] = { 0, 0 };
        reloc_sum(rel, nrel, rc);
        h->checksum[0] = c[0] ^ rc[0];
        h->checksum[1] = c[1] ^ rc[1];
        h->image_size = nw * 8;
        h->n_relocs = nrel;
        ok = nrel == 0 || pio_all(fd, rel, nrel * 4, (off_t)(hsize + nw * 8), true);
    }
    kf_free(rel);
    kf_free(a);
    return ok;
}

static kf_err load_parsed(const kb_files *f, kf_kb **out, kf_buf *errs);

/* After a load from the text: writes the snapshot, quietly nothing when it
 * cannot.  The first build's region goes to the file as it is and is
 * mapped back from there (its memory given back, its addresses kept), the
 * KB is built a second time, and the file's image is turned into the
 * snapshot by comparing the two; *kbp becomes the second build (the same
 * KB), so at most one build is in memory at a time. */
static void snap_save(const char *path, const uint64_t key[2], const build_info *bi,
                      const char *real, const kb_files *f, kf_kb **kbp)
{
    kf_kb *kb = *kbp;
    arena A = ((const kb_priv *)kb->priv)->a;
    if (!A.base || A.head || A.used % 8) {
        snap_why("not written: the KB is not in one region", path);
        return;
    }
    size_t dl = strlen(real);
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    /* the image at a page boundary of the file, so it can be mapped */
    size_t hsize = (sizeof(snap_header) + dl + page - 1) / page * page;
    size_t kb_off = (size_t)((const char *)kb - A.base);
    char dir[4096];
    struct rlimit rl;
    /* a file size limit would stop the write with SIGXFSZ */
    bool fits = getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
                rl.rlim_cur > hsize + A.used * 2;
    if (!fits || !snap_dir(dir, sizeof dir) || !mkdirs(dir)) {
        snap_why(!fits ? "not written: the file size limit" : "not written: no cache folder",
                 path);
        return;
    }
    snap_clean(dir, path);
    char tmp[8300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snap_why("not written: cannot create it", path);
        return;
    }
    /* (in sanitizer builds the region's gaps are poisoned: the write
     * reads them, as the zeros they are) */
    ARENA_UNPOISON(A.base, A.used);
    bool ok = pio_all(fd, A.base, A.used, (off_t)hsize, true);
    /* the first build, from the file now: its pages are the page cache's */
    size_t span = (A.used + page - 1) / page * page;
    if (ok && mmap(A.base, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
                   (off_t)hsize) == MAP_FAILED)
        ok = false;      /* (still the anonymous pages: only more memory) */
    kf_kb *kb2 = NULL;
    if (!ok || load_parsed(f, &kb2, NULL) != KF_OK) {
        snap_why("not written: no second build", path);
        close(fd);
        unlink(tmp);
        return;          /* the first build stays */
    }
    const arena *B = &((const kb_priv *)kb2->priv)->a;
    uintptr_t ba = (uintptr_t)A.base;
    size_t used = A.used;
    if (!B->base || B->head || B->used != used ||
        (const char *)kb2 - B->base != (ptrdiff_t)kb_off) {
        snap_why("not written: the second build differs", path);
        kf_kb_free(kb2);
        close(fd);
        unlink(tmp);
        return;
    }
    /* the second build is the KB from here on; the first one's mapping
     * goes before its file's image is rewritten */
    *kbp = kb2;
    arena_free(&A);
    snap_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SNAP_MAGIC, 8);
    h.format = SNAP_FORMAT;
    h.header_size = (uint32_t)hsize;
    h.key[0] = key[0];
    h.key[1] = key[1];
    h.build = bi->build;
    h.kb_offset = kb_off;
    h.place = ba;
    h.dir_len = (uint32_t)dl;
    char *head = kf_calloc(1, hsize);
    ok = head && snap_diff(fd, bi, ba, used, B, hsize, &h);
    if (ok) {
        h.head_sum = head_sum(&h, real, dl);
        memcpy(head, &h, sizeof h);
        memcpy(head + sizeof h, real, dl);
        ok = pio_all(fd, head, hsize, 0, true);
    }
    kf_free(head);
    ok &= close(fd) == 0;
    if (!ok || rename(tmp, path) != 0) {
        snap_why("not written", path);
        unlink(tmp);
    } else {
        snap_why("written", path);
    }
}

/* The KB from files read into memory, parsed and checked. */
static kf_err load_parsed(const kb_files *f, kf_kb **out, kf_buf *errs)
{
    *out = NULL;
    loader L;
    memset(&L, 0, sizeof L);
    L.errs = errs;
    L.digest = 1469598103934665603ULL;
    /* room for everything a KB of this size makes (about 14 bytes a byte
     * of text today): the rest is address space, never touched */
    arena_reserve(&L.a, ((size_t)16 << 20) + 32 * f->text.len, sizeof(void *) == 8 ? kb_place() : 0);
    parse_files(&L, f);
    kf_err e = finish(&L, out);
    if (e == KF_OK && L.n_errs)
        e = KF_EPARSE;
    loader_free(&L);
    if (e != KF_OK) {
        if (*out)
            kf_kb_free(*out);
        else
            arena_free(&L.a);
        *out = NULL;
    }
    return e;
}

static kf_err kb_load(const char *dir, bool snapshot, kf_kb **out, kf_buf *errs)
{
    *out = NULL;
    kb_files f;
    kf_err e = read_files(dir, &f, errs);
    if (e != KF_OK)
        return e;
    if (f.n == 0) {
        if (errs)
            kf_buf_printf(errs, "%s:0: no .kb files in this folder\n", dir);
        kb_files_free(&f);
        return KF_ENOTFOUND;
    }
    build_info bi;
    uint64_t key[2];
    char path[8192];
    char *real = NULL;
    bool snap = false;
    if (f.complete) {
        build_identity(&bi);
        snap = bi.have_id && (real = realpath(dir, NULL)) && strlen(real) < 3072 &&
               snap_path(real, bi.build, path, sizeof path);
    }
    if (snap) {
        files_key(&f, key);
        if (snapshot && (*out = snap_load(path, key, bi.build, real))) {
            snap_why("used", path);
            free(real);
            kb_files_free(&f);
            return KF_OK;
        }
        snap_why(snapshot ? "none for these files: the KB is read from the text"
                          : "not read (the text is checked)", path);
    } else {
        snap_why(!f.complete ? "none: a file could not be read" : "none: snapshots are off, "
                 "or no build id or cache folder", NULL);
    }
    e = load_parsed(&f, out, errs);
    if (e == KF_OK && snap)
        snap_save(path, key, &bi, real, &f, out);
    free(real);
    kb_files_free(&f);
    return e;
}

kf_err kf_kb_load(const char *dir, kf_kb **out, kf_buf *errs)
{
    return kb_load(dir, true, out, errs);
}

bool kf_kb_from_snapshot(const kf_kb *kb)
{
    return kb && ((const kb_priv *)kb->priv)->a.map != NULL;
}

kf_err kf_kb_load_from_text(const char *dir, kf_kb **out, kf_buf *errs)
{
    return kb_load(dir, false, out, errs);
}

kf_err kf_kb_load_text(const char *name, const char *text, size_t len, kf_kb **out,
                       kf_buf *errs)
{
    *out = NULL;
    loader L;
    memset(&L, 0, sizeof L);
    L.errs = errs;
    L.digest = 1469598103934665603ULL;
    arena_reserve(&L.a, ((size_t)16 << 20) + 32 * len, 0);
    parse_text(&L, name, text, len);
    kf_err e = finish(&L, out);
    loader_free(&L);
    if (e != KF_OK) {
        arena_free(&L.a);
        *out = NULL;
    }
    return e;
}

void kf_kb_free(kf_kb *kb)
{
    if (!kb)
        return;
    kb_priv *p = kb->priv;
    arena a = p->a;      /* kb, priv and the maps' slots live in the arena */
    arena_free(&a);
}

static int lookup(const kf_kb *kb, size_t off, const char *id)
{
    if (!kb || !id)
        return -1;
    const strmap *m = (const strmap *)((const char *)kb->priv + off);
    return strmap_get(m, id, strlen(id));
}

int kf_kb_cause(const kf_kb *kb, const char *id)     { return lookup(kb, offsetof(kb_priv, causes), id); }
int kf_kb_finding(const kf_kb *kb, const char *id)   { return lookup(kb, offsetof(kb_priv, findings), id); }
int kf_kb_region(const kf_kb *kb, const char *id)    { return lookup(kb, offsetof(kb_priv, regions), id); }
int kf_kb_technique(const kf_kb *kb, const char *id) { return lookup(kb, offsetof(kb_priv, techniques), id); }

int kf_kb_word(const kf_kb *kb, const char *stem, size_t len)
{
    return strmap_get(&((const kb_priv *)kb->priv)->words, stem, len);
}

const char *kf_cause_kind_name(kf_cause_kind k)
{
    return (unsigned)k < KF_ARRAY_LEN(cause_kinds) ? cause_kinds[k] : "muscle";
}

const char *kf_mech_name(kf_mechanism m)
{
    static const char *const names[] = { "refers", "pulls", "local", "sign", "reports", "keeps" };
    return (unsigned)m < KF_ARRAY_LEN(names) ? names[m] : "sign";
}

const char *kf_tech_kind_name(kf_tech_kind k)
{
    return (unsigned)k < KF_ARRAY_LEN(tech_kinds) ? tech_kinds[k] : "release";
}

const char *kf_kb_spell(const kf_kb *kb, const char *word, size_t len)
{
    int i = strmap_get(&((const kb_priv *)kb->priv)->spell, word, len);
    return i >= 0 ? kb->spell_to[i] : NULL;
}

bool kf_kb_known_raw(const kf_kb *kb, const char *word, size_t len)
{
    return strmap_get(&((const kb_priv *)kb->priv)->raw_words, word, len) >= 0;
}

/* True when a and b are at most one edit apart (insert, delete, substitute,
 * or swap two neighbours). */
static bool one_edit(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > lb)
        return one_edit(b, lb, a, la);
    if (lb - la > 1)
        return false;
    size_t i = 0;
    while (i < la && a[i] == b[i])
        i++;
    if (i == la)
        return true;
    if (la == lb)
        return !strncmp(a + i + 1, b + i + 1, la - i - 1) ||
               (i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
                !strncmp(a + i + 2, b + i + 2, la - i - 2));
    return !strncmp(a + i, b + i + 1, la - i);
}

/* The first raw word that is s[0..len) with a letter more, or -1. */
static int dels_get(const kf_kb *kb, const char *s, size_t len)
{
    const kb_priv *p = kb->priv;
    if (!p->dels)
        return -1;
    uint32_t h = kf_map_hash(s, len);
    for (uint32_t j = h & p->dels_mask;; j = (j + 1) & p->dels_mask) {
        const del_slot *e = &p->dels[j];
        if (!e->ref)
            return -1;
        uint32_t r = e->ref - 1;
        if (e->hash == h && dels_is(kb->raw_words[r >> 6], r & 63, s, len))
            return (int)(r >> 6);
    }
}

const char *kf_kb_correct(const kf_kb *kb, const char *word, size_t len)
{
    const kb_priv *p = kb->priv;
    if (len < 5 || len > 40)
        return NULL;
    /* The word itself may be a lexicon word with a letter deleted. */
    int i = dels_get(kb, word, len);
    if (i >= 0 && one_edit(word, len, kb->raw_words[i], strlen(kb->raw_words[i])))
        return kb->raw_words[i];
    char del[48];
    for (size_t d = 0; d < len; d++) {
        memcpy(del, word, d);
        memcpy(del + d, word + d + 1, len - d - 1);
        /* substitution or transposition: both share a deletion */
        i = dels_get(kb, del, len - 1);
        if (i >= 0 && one_edit(word, len, kb->raw_words[i], strlen(kb->raw_words[i])))
            return kb->raw_words[i];
        /* an extra letter in the typo */
        i = strmap_get(&p->raw_words, del, len - 1);
        if (i >= 0)
            return kb->raw_words[i];
    }
    return NULL;
}

static int lex_decode(const kf_kb *kb, int v, const char **fix, bool *known)
{
    if (v < 0) {
        *fix = NULL;
        *known = false;
        return -1;
    }
    *fix = v & LEX_MASK ? kb->spell_to[(v & LEX_MASK) - 1] : NULL;
    *known = v & LEX_KNOWN;
    return (v >> LEX_BITS & LEX_MASK) - 1;
}

/* The lexw slot's value for the word k (two 8-byte numbers), or -1. */
static inline int lexw_get(const kb_priv *p, uint64_t k0, uint64_t k1)
{
    for (uint32_t j = lexw_hash(k0, k1) & p->lexw_mask;; j = (j + 1) & p->lexw_mask) {
        const uint64_t *e = &p->lexw[2 * j];
        if (e[0] == k0 && e[1] == k1)
            return e[0] || e[1] ? p->lexw_val[j] : -1;
        if (!e[0] && !e[1])
            return -1;
    }
}

__attribute__((noinline)) static int lex_slow(const kf_kb *kb, const char *word, size_t len,
                                              const char **fix, bool *known)
{
    const kb_priv *p = kb->priv;
    if (!p->lexw) {
        *fix = kf_kb_spell(kb, word, len);
        *known = kf_kb_known_raw(kb, word, len);
        return kf_kb_raw_word(kb, word, len);
    }
    int v = -1;
    if (len && len <= 16) {
        uint64_t k[2] = { 0, 0 };
        memcpy(k, word, len);
        v = lexw_get(p, k[0], k[1]);
    }
    /* the longer words are in lex, as is a word with a NUL in it */
    if (v < 0 && (len > 16 || memchr(word, '\0', len)))
        v = kf_map_get(&p->lex, word, len);
    return lex_decode(kb, v, fix, known);
}

int kf_kb_lex(const kf_kb *kb, const char *word, size_t len, const char **fix, bool *known)
{
    return lex_slow(kb, word, len, fix, known);
}

int kf_kb_lex_padded(const kf_kb *kb, const char *word, size_t len, const char **fix,
                     bool *known)
{
    const kb_priv *p = kb->priv;
    if (!p->lexw || !len || len > 16)
        return lex_slow(kb, word, len, fix, known);
    uint64_t k0, k1;
    memcpy(&k0, word, 8);
    memcpy(&k1, word + 8, 8);
    return lex_decode(kb, lexw_get(p, k0, k1), fix, known);
}

int kf_kb_raw_word(const kf_kb *kb, const char *word, size_t len)
{
    return strmap_get(&((const kb_priv *)kb->priv)->raw2id, word, len);
}
