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
#include "arena.h"

/* The strings of one list live in an arena (arena.h), freed in one go. */
typedef kf_arena kf__arena;
#define kf__arena_strdup  kf_arena_strdup
#define kf__arena_strndup kf_arena_strndup

typedef struct kf__store_core kf__store_core;

/* A list of store.h (an array `v` of `n` rows, `priv` the arena of their
 * strings) is filled by a backend one row at a time:
 * KF__LIST_PUSH(list, cap) appends a zeroed row and counts it in list->n,
 * and returns it, or NULL when out of memory (the list is as it was).
 * `cap` is an int of the caller's, 0 at first: the array's room, which
 * doubles from 16 when it is full.  kf__list_push takes the address of
 * the list's typed array pointer (read and written with memcpy). */
void *kf__list_push(void *vp, int *n, int *cap, size_t size);
#define KF__LIST_PUSH(l, cap) \
    kf__list_push(&(l)->v, &(l)->n, &(cap), sizeof *(l)->v)
/* KF_ENOMEM, with "PATH: cannot read WHAT: out of memory" in err (when
 * not NULL); `what` is e.g. "the check-ins". */
kf_err kf__list_oom(const kf__store_core *c, const char *what, kf_buf *err);

/* Which questions a question_list call gives. */
typedef enum {
    KF__Q_MINE,     /* the owner's, newest first */
    KF__Q_ONE,      /* the owner's question `id` */
    KF__Q_QUEUE,    /* unanswered, red flags first, then oldest */
    KF__Q_PUBLIC    /* published with consent, newest answer first */
} kf__qlist;

/* The SQL ORDER BY of the therapist's queue, the same on both backends:
 * a question not screened (-1) ranks with doctor_soon (2). */
#define KF__QUEUE_ORDER \
    "CASE WHEN triage < 0 THEN 2 ELSE triage END DESC, at, id"

/* Rate-limit rows this long past their window's end are deleted by
 * kf_store_expire. */
#define KF__RATE_KEEP_S 86400

typedef struct kf__store_ops kf__store_ops;
typedef struct kf__writer kf__writer;

/* One consultation of a group commit (store_writer.c). */
typedef struct {
    long long   owner;
    char        at[KF_TIME_LEN];
    const char *text;
    size_t      text_len;
    const char *findings;
    size_t      findings_len;
    const char *kb_version;
    long long   id;            /* OUT: the new row's id */
} kf__consult_row;

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
    kf__writer      *writer;   /* the group-commit thread, or NULL
                                  (store_writer.c, which guards it) */
};

/* One backend.  Every call runs with the store's mutex held, after store.c
 * checked its arguments.  `owner` is the user the call is scoped to (0: the
 * local single user).  Errors append one sentence to `err` (when not NULL)
 * and change nothing. */
struct kf__store_ops {
    const char *name;
    /* True when the backend may be called from several threads at once
     * (it locks inside); false: store.c holds the core's mutex. */
    bool        concurrent;
    /* Opens s->path (s->readonly may be set); leaves nothing open on error. */
    kf_err (*open)(kf__store_core *c, kf_buf *err);
    void   (*close)(kf__store_core *c);
    kf_err (*migrate)(kf__store_core *c, kf_buf *err);
    kf_err (*check)(kf__store_core *c, bool full, kf_buf *err);
    kf_err (*add_consultation)(kf__store_core *c, long long owner, const char *at,
                               const char *text, const char *findings,
                               const char *kb_version, long long *id,
                               kf_buf *err);
    /* Saves rows[0..n) in one transaction, filling each id; on failure
     * none is saved.  May be NULL: the writer then saves them one by one. */
    kf_err (*add_consultations)(kf__store_core *c, kf__consult_row *rows, int n,
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

    /* The hosted course (store.h).  Strings are checked and normalised;
     * times are canonical; `now` is given (never 0). */
    kf_err (*user_create)(kf__store_core *c, const char *email,
                          const char *hash, const char *consent_at,
                          const char *created_at, kf_role role, long long *id,
                          kf_buf *err);
    /* By e-mail when `email` is not NULL, else by id. */
    kf_err (*user_get)(kf__store_core *c, const char *email, long long id,
                       kf_user *out, kf_buf *err);
    /* role < 0: keep; hash NULL: keep. */
    kf_err (*user_set)(kf__store_core *c, long long id, int role,
                       const char *hash, kf_buf *err);
    kf_err (*user_delete)(kf__store_core *c, long long id, long long *n_rows,
                          kf_buf *err);
    kf_err (*session_create)(kf__store_core *c, long long user_id,
                             const char *hash, const char *csrf,
                             const char *created_at, long long expires_at,
                             kf_buf *err);
    kf_err (*session_lookup)(kf__store_core *c, const char *hash,
                             long long now, kf_session *out, kf_buf *err);
    kf_err (*session_extend)(kf__store_core *c, const char *hash,
                             long long now, long long expires_at, kf_buf *err);
    /* One session (hash not NULL) or all of user_id's. */
    kf_err (*session_delete)(kf__store_core *c, const char *hash,
                             long long user_id, int *n, kf_buf *err);
    kf_err (*expire)(kf__store_core *c, long long now, int *n, kf_buf *err);
    kf_err (*rate_hit)(kf__store_core *c, long long owner, const char *key,
                       int window_s, long long now, long long *count,
                       long long *window_end, kf_buf *err);
    /* Deletes the counter of `key` (none: not an error). */
    kf_err (*rate_reset)(kf__store_core *c, const char *key, kf_buf *err);
    kf_err (*question_add)(kf__store_core *c, long long owner,
                           const kf_uquestion *q, const char *at,
                           long long *id, kf_buf *err);
    kf_err (*question_list)(kf__store_core *c, long long owner,
                            kf__qlist mode, long long id, int limit,
                            kf_uquestion_list *out, kf__arena *a, kf_buf *err);
    kf_err (*question_set_draft)(kf__store_core *c, long long id,
                                 const char *draft, kf_buf *err);
    kf_err (*question_answer)(kf__store_core *c, long long id,
                              long long therapist_id, const char *text,
                              bool publish, const char *at, kf_buf *err);
    kf_err (*lesson_done)(kf__store_core *c, long long owner,
                          const char *lesson_id, const char *at, bool *first,
                          kf_buf *err);
    kf_err (*lessons_list)(kf__store_core *c, long long owner,
                           kf_lesson_list *out, kf__arena *a, kf_buf *err);
};

struct kf_store {
    kf__store_core *core;
    long long       owner;     /* 0: the local single user */
    bool            scoped;    /* made by kf_store_as: does not own `core` */
};

/* store_writer.c: queues one checked row (copied; its strings borrowed)
 * for the core's writer thread, starting it when there is none.  KF_ENOMEM
 * (or KF_EIO when no thread can be started) with a sentence in `err`. */
kf_err kf__writer_submit(kf__store_core *c, const kf__consult_row *row,
                         kf_store_done_fn done, void *ctx, kf_buf *err);
/* Transactions the core's writer committed (0 when there is none). */
long long kf__writer_commits(kf__store_core *c);
/* Saves what is queued, stops and frees the core's writer, if any. */
void kf__writer_stop(kf__store_core *c);

extern const kf__store_ops kf__sqlite_ops;
extern const kf__store_ops kf__pg_ops;

#endif
