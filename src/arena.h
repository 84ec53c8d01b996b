/*
 * arena.h — a bump allocator: many small allocations freed in one go (the
 * knowledge base's strings and arrays, the strings of a list the store
 * fills).  Allocations are zeroed and 16-byte aligned; chunks grow from 4 KB
 * to 64 KB (or the size of one larger allocation).  In sanitizer builds the
 * unused part of every chunk and a gap after each allocation are poisoned,
 * so a write past what was asked for is reported by ASan rather than
 * landing silently in the next string.
 *
 * A kf_arena starts zeroed ({0}); kf_arena_free() frees every chunk and
 * leaves it empty and reusable.  Out of memory: the call returns NULL and
 * sets `oom`, which stays set until the arena is freed.
 */
#ifndef KF_ARENA_H
#define KF_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kf_arena_chunk kf_arena_chunk;

typedef struct {
    kf_arena_chunk *head;
    bool            oom;
} kf_arena;

void *kf_arena_alloc(kf_arena *a, size_t n);

/* A copy of `n` bytes of `s` (need not be NUL-terminated) and a NUL; `s`
 * NULL gives "". */
char *kf_arena_strndup(kf_arena *a, const char *s, size_t n);

/* A copy of `s` (NULL: ""). */
char *kf_arena_strdup(kf_arena *a, const char *s);

/* printf into the arena: measured first, so the result always fits. */
char *kf_arena_printf(kf_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void kf_arena_free(kf_arena *a);

#endif
