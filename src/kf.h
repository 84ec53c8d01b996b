/*
 * kf.h — types and helpers shared by every knotfinder module.
 *
 * Memory rule for the whole project: a function that returns a pointer
 * documents who frees it; objects made by kf_X_new() are freed with
 * kf_X_free(), and kf_X_free(NULL) does nothing.  All allocation goes through
 * kf_malloc/kf_calloc/kf_realloc so that tests can inject out-of-memory.
 */
#ifndef KF_H
#define KF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One error enum for the project; 0 is success. */
typedef enum {
    KF_OK = 0,
    KF_ENOMEM,     /* out of memory */
    KF_EIO,        /* a file could not be read or written */
    KF_EPARSE,     /* malformed input (KB file, JSON, ...) */
    KF_EINVAL,     /* a value out of range or of the wrong kind */
    KF_ENOTFOUND,  /* an id or file that does not exist */
    KF_ETOOBIG,    /* input over a size limit */
    KF_EDB,        /* the database refused or is damaged */
    KF_EBUSY,      /* a resource is locked by someone else */
    KF_EEXIST      /* it exists already (an e-mail address taken) */
} kf_err;

/* A static English sentence for an error code; never NULL. */
const char *kf_strerror(kf_err e);

/* Sides of the body.  BOTH is LEFT|RIGHT so sides can be OR-ed together. */
typedef enum {
    KF_SIDE_NONE  = 0,
    KF_SIDE_LEFT  = 1,
    KF_SIDE_RIGHT = 2,
    KF_SIDE_BOTH  = 3
} kf_side;

const char *kf_side_name(kf_side s);          /* "", "left", "right", "both" */
/* Parses "left"/"right"/"both"/"l"/"r"/""; returns -1 when unknown. */
int kf_side_parse(const char *s);

/* Triage levels, lowest first; the order is used in comparisons. */
typedef enum {
    KF_TRIAGE_UNKNOWN   = -1,  /* nothing was understood: could not screen */
    KF_TRIAGE_SELF_CARE = 0,
    KF_TRIAGE_MENTION   = 1,   /* mention_to_doctor */
    KF_TRIAGE_SOON      = 2,   /* doctor_soon */
    KF_TRIAGE_EMERGENCY = 3
} kf_triage;

const char *kf_triage_id(kf_triage t);        /* vocabulary id, e.g. "doctor_soon"; "unknown" */
int kf_triage_parse(const char *id);          /* -1 when unknown */

/* Allocation wrappers.  They return NULL on failure (never abort), and the
 * test build can make the Nth call fail through kf_alloc_fail_after(). */
void *kf_malloc(size_t n);
void *kf_calloc(size_t count, size_t size);
void *kf_realloc(void *p, size_t n);
char *kf_strdup(const char *s);
char *kf_strndup(const char *s, size_t n);
void  kf_free(void *p);
/* Make the allocation after `n` more successful ones fail; -1 disables. */
void  kf_alloc_fail_after(long n);
/* Fail-once mode: only the allocation with index `n` (0 = the next one)
 * fails, every other succeeds; -1 disables.  It also restarts the count of
 * allocations (kf_alloc_count) and clears kf_alloc_fired(), which says
 * whether an injected failure happened since.  Allocations are counted
 * only while an injection mode is on (pass LONG_MAX to count without
 * failing).  Test use only: the state is not thread-safe. */
void  kf_alloc_fail_once(long n);
unsigned long kf_alloc_count(void);
bool  kf_alloc_fired(void);

/* A growable byte buffer used by renderers and the text reader. */
typedef struct {
    char  *s;      /* always NUL-terminated when cap > 0 */
    size_t len;
    size_t cap;
    bool   oom;    /* set once an append failed; later appends do nothing */
} kf_buf;

void kf_buf_init(kf_buf *b);
void kf_buf_free(kf_buf *b);
void kf_buf_add(kf_buf *b, const char *s, size_t n);
void kf_buf_puts(kf_buf *b, const char *s);
void kf_buf_printf(kf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends all of `f` to `b`, stopping once more than `max` bytes were read
 * (so a caller can say "too big" rather than truncate silently).  Returns
 * KF_OK, KF_ETOOBIG (b holds max+1 bytes or a little more), KF_EIO on a
 * read error, or KF_ENOMEM. */
kf_err kf_read_all(FILE *f, size_t max, kf_buf *b);

#define KF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The set bits of x.  The build targets plain x86-64, without POPCNT, so
 * __builtin_popcount is a call to libgcc's table walk (~21 instructions
 * and the call): the bit-parallel count instead, a dozen inline. */
static inline int kf_popcount32(unsigned x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (int)((x * 0x01010101u) >> 24);
}

#endif
