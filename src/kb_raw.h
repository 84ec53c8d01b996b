/*
 * kb_raw.h — internal to the knowledge-base loader (kb.c and its parts such
 * as kb_lessons.c): the raw blocks of key/value lines the first pass reads,
 * and what a part needs from the loader (errors, memory).  Not for callers
 * of kb.h.
 */
#ifndef KF_KB_RAW_H
#define KF_KB_RAW_H

#include "kb.h"

#include <stddef.h>

typedef struct {
    const char *key, *val;
    int line;
} kv;

typedef struct {
    const char *kind, *id;
    const char *file;
    int line;
    kv *kvs;
    int n_kvs, cap_kvs;
} block;

/* What the loader lends a part while it builds its entities. */
typedef struct {
    void *ctx;
    /* Reports one problem as "file:line: msg" (the load then fails). */
    void (*err)(void *ctx, const char *file, int line, const char *msg);
    /* Memory that lives as long as the kb (NULL when out of memory, after
     * which the load fails with KF_ENOMEM). */
    void *(*alloc)(void *ctx, size_t n);
} kf_kb_env;

/* Builds kb->modules and kb->lessons from the [module] and [lesson] blocks
 * and checks them against the causes, techniques and red flags already
 * built (kb_lessons.c).  Every problem goes to env->err. */
void kf__kb_lessons(kf_kb *kb, const block *blocks, int n_blocks, const kf_kb_env *env);

#endif
