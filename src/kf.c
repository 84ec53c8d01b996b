/* kf.c — shared helpers: errors, sides, triage names, allocation, buffers. */
#include "kf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kf_strerror(kf_err e)
{
    switch (e) {
    case KF_OK:        return "success";
    case KF_ENOMEM:    return "out of memory";
    case KF_EIO:       return "input/output error";
    case KF_EPARSE:    return "malformed input";
    case KF_EINVAL:    return "invalid value";
    case KF_ENOTFOUND: return "not found";
    case KF_ETOOBIG:   return "input too large";
    case KF_EDB:       return "database error";
    case KF_EBUSY:     return "resource busy";
    case KF_EEXIST:    return "already exists";
    }
    return "unknown error";
}

const char *kf_side_name(kf_side s)
{
    switch (s) {
    case KF_SIDE_LEFT:  return "left";
    case KF_SIDE_RIGHT: return "right";
    case KF_SIDE_BOTH:  return "both";
    default:            return "";
    }
}

int kf_side_parse(const char *s)
{
    if (!s || !*s || !strcmp(s, "none"))       return KF_SIDE_NONE;
    if (!strcmp(s, "left") || !strcmp(s, "l"))   return KF_SIDE_LEFT;
    if (!strcmp(s, "right") || !strcmp(s, "r"))  return KF_SIDE_RIGHT;
    if (!strcmp(s, "both") || !strcmp(s, "b"))   return KF_SIDE_BOTH;
    return -1;
}

static const char *const triage_ids[] = {
    "self_care", "mention_to_doctor", "doctor_soon", "emergency"
};

const char *kf_triage_id(kf_triage t)
{
    if (t == KF_TRIAGE_UNKNOWN)
        return "unknown";
    if ((unsigned)t < KF_ARRAY_LEN(triage_ids))
        return triage_ids[t];
    return "unknown";
}

int kf_triage_parse(const char *id)
{
    for (size_t i = 0; id && i < KF_ARRAY_LEN(triage_ids); i++)
        if (!strcmp(id, triage_ids[i]))
            return (int)i;
    return -1;
}

/* Out-of-memory injection: the count of allocations still allowed to
 * succeed, or -1 for "never fail". */
static long alloc_budget = -1;
/* Fail-once mode: the index of the one allocation to fail (counted from
 * the call to kf_alloc_fail_once), or -1. */
static long alloc_once = -1;
static unsigned long alloc_calls;
static bool alloc_fired;

void kf_alloc_fail_after(long n) { alloc_budget = n; }

void kf_alloc_fail_once(long n)
{
    alloc_once = n;
    alloc_calls = 0;
    alloc_fired = false;
}

unsigned long kf_alloc_count(void) { return alloc_calls; }
bool kf_alloc_fired(void) { return alloc_fired; }

static bool alloc_allowed(void)
{
    if (alloc_once < 0 && alloc_budget < 0)
        return true;            /* no injection: nothing counted */
    unsigned long i = alloc_calls++;
    if (alloc_once >= 0 && i == (unsigned long)alloc_once) {
        alloc_fired = true;
        return false;
    }
    if (alloc_budget < 0)
        return true;
    if (alloc_budget == 0) {
        alloc_fired = true;
        return false;
    }
    alloc_budget--;
    return true;
}

void *kf_malloc(size_t n)
{
    return alloc_allowed() ? malloc(n ? n : 1) : NULL;
}

void *kf_calloc(size_t count, size_t size)
{
    return alloc_allowed() ? calloc(count ? count : 1, size ? size : 1) : NULL;
}

void *kf_realloc(void *p, size_t n)
{
    return alloc_allowed() ? realloc(p, n ? n : 1) : NULL;
}

char *kf_strndup(const char *s, size_t n)
{
    char *d = kf_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *kf_strdup(const char *s)
{
    return s ? kf_strndup(s, strlen(s)) : NULL;
}

void kf_free(void *p) { free(p); }

void kf_buf_init(kf_buf *b) { memset(b, 0, sizeof *b); }

void kf_buf_free(kf_buf *b)
{
    kf_free(b->s);
    kf_buf_init(b);
}

static bool buf_reserve(kf_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = kf_realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void kf_buf_add(kf_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void kf_buf_puts(kf_buf *b, const char *s) { kf_buf_add(b, s, strlen(s)); }

void kf_buf_printf(kf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

kf_err kf_read_all(FILE *f, size_t max, kf_buf *b)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        kf_buf_add(b, chunk, n);
        if (b->oom)
            return KF_ENOMEM;
        if (b->len > max)
            return KF_ETOOBIG;
    }
    return ferror(f) ? KF_EIO : KF_OK;
}
