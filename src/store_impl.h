/*
 * store_impl.h — private to the storage layer (store.c and one file per
 * backend: store_sqlite.c, store_pg.c).  Nobody else includes it.
 *
 * store.c is the interface: it checks every argument, takes the store's
 * mutex and calls the backend through `kf__store_ops`.  What does not depend
 * on the backend (validation, time, export formatting, the check-in JSON,
 * the arena a list's strings live in) is there once.  A backend only turns
 * checked values into rows and rows back into values, with the same logical
 * schema on both (times as canonical ISO-8601 text, so exports from both
 * backends are alike byte for byte).
 */
#ifndef KF_STORE_IMPL_H
#define KF_STORE_IMPL_H

#include <pthread.h>
#include "store.h"

/* A bump arena for the strings of one list: freed in one go. */
typedef struct kf__arena_block {
    struct kf__arena_block *next;
    size_t used, cap;
    char   data[];
} kf__arena_block;

typedef struct {
    kf__arena_block *head;
    bool             oom;
} kf__arena;

/* A copy of `s` (NULL: "") in the arena; NULL and a->oom set when out of
 * memory. */
char *kf__arena_strdup(kf__arena *a, const char *s);
/* The same for `n` bytes of `s` (need not be NUL-terminated). */
char *kf__arena_strndup(kf__arena *a, const char *s, size_t n);

typedef struct kf__store_core kf__store_core;
typedef struct kf__store_ops kf__store_ops;

/* The backend behind a store: shared by a store and its scoped handles
 * (kf_store_as), freed with the store that opened it. */
struct kf__store_core {
    const kf__store_ops *ops;
    char            *path;     /* as given; for a URI, with no password */
    char            *conninfo; /* the URI as given (PostgreSQL), or NULL */
    bool             readonly;
    int              version;  /* schema version after migration */
    pthread_mutex_t  mu;
    void            *be;       /* the backend's own state */
};

/* One backend.  Every call runs with the store's mutex held, after store.c
 * checked its arguments.  `owner` is the user the call is scoped to (0: the
 * local single user).  Errors append one sentence to `err` (when not NULL)
 * and change nothing. */
struct kf__store_ops {
    const char *name;
    /* Opens s->path (s->readonly may be set); leaves nothing open on error. */
    kf_err (*open)(kf__store_core *c, kf_buf *err);
    void   (*close)(kf__store_core *c);
    kf_err (*migrate)(kf__store_core *c, kf_buf *err);
    kf_err (*check)(kf__store_core *c, bool full, kf_buf *err);
    kf_err (*add_consultation)(kf__store_core *c, long long owner, const char *at,
                               const char *text, const char *findings,
                               const char *kb_version, long long *id,
                               kf_buf *err);
    kf_err (*add_checkin)(kf__store_core *c, long long owner, const kf_checkin *ci,
                          const char *at, long long *id, kf_buf *err);
    kf_err (*list_checkins)(kf__store_core *c, long long owner, const char *since,
                            int limit, kf_checkin_list *out, kf__arena *a,
                            kf_buf *err);
    kf_err (*list_consultations)(kf__store_core *c, long long owner, int limit,
                                 kf_consultation_list *out, kf__arena *a,
                                 kf_buf *err);
    kf_err (*forget)(kf__store_core *c, long long owner, kf_forget_what what,
                     long long id, int *n_consultations, int *n_checkins,
                     kf_buf *err);
};

struct kf_store {
    kf__store_core *core;
    long long       owner;     /* 0: the local single user */
    bool            scoped;    /* made by kf_store_as: does not own `core` */
};

extern const kf__store_ops kf__sqlite_ops;
extern const kf__store_ops kf__pg_ops;

#endif
