/*
 * poison.h — ASan poisoning for the bump allocators (arena.c, and the KB's
 * own region arena in kb.c): in sanitizer builds the unused part of every
 * chunk and a gap after each allocation are poisoned, so a write past what
 * was asked for is reported by ASan rather than landing silently in the
 * next string.  Elsewhere the macros do nothing.
 */
#ifndef KF_POISON_H
#define KF_POISON_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KF_ARENA_POISON 1
#endif
#endif
#if !defined(KF_ARENA_POISON) && defined(__SANITIZE_ADDRESS__)
#define KF_ARENA_POISON 1
#endif
#ifdef KF_ARENA_POISON
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_POISON(p, n)   ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
