/* arena.c — the bump allocator of arena.h. */
#include "arena.h"
#include "kf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct kf_arena_chunk {
    kf_arena_chunk *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

#include "poison.h"

#define CHUNK_MIN (4u * 1024)
#define CHUNK_MAX (64u * 1024)

void *kf_arena_alloc(kf_arena *a, size_t want)
{
    size_t n = (want + 15) & ~(size_t)15;
#ifdef KF_ARENA_POISON
    n += 16;             /* a poisoned gap after every allocation */
#endif
    if (n < want || n > ((size_t)-1) / 2) {      /* wrapped, or absurd */
        a->oom = true;
        return NULL;
    }
    if (!a->head || a->head->used + n > a->head->cap) {
        size_t cap = a->head ? a->head->cap * 2 : CHUNK_MIN;
        if (cap > CHUNK_MAX)
            cap = CHUNK_MAX;
        if (cap < n)
            cap = n;
        /* calloc: fresh pages come zeroed, so allocations need no memset */
        kf_arena_chunk *c = kf_calloc(1, sizeof *c + cap);
        if (!c) {
            a->oom = true;
            return NULL;
        }
        c->next = a->head;
        c->cap = cap;
        a->head = c;
        ARENA_POISON(c->data, cap);
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    ARENA_UNPOISON(p, want ? want : 1);
    return p;
}

char *kf_arena_strndup(kf_arena *a, const char *s, size_t n)
{
    if (!s) {
        s = "";
        n = 0;
    }
    char *d = kf_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *kf_arena_strdup(kf_arena *a, const char *s)
{
    return kf_arena_strndup(a, s, s ? strlen(s) : 0);
}

char *kf_arena_printf(kf_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = kf_arena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void kf_arena_free(kf_arena *a)
{
    for (kf_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        ARENA_UNPOISON(c->data, c->cap);
        kf_free(c);
    }
    a->head = NULL;
    a->oom = false;
}
