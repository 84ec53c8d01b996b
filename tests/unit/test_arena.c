/* test_arena.c — the bump allocator (arena.h): zeroed, aligned allocations,
 * copies, printf that always fits, large allocations, out of memory, and
 * an arena reusable after kf_arena_free. */
#include "arena.h"
#include "kf.h"
#include "check.h"

#include <stdint.h>

static void test_alloc(void)
{
    kf_arena a = { 0 };
    for (int i = 0; i < 5000; i++) {
        unsigned char *p = kf_arena_alloc(&a, (size_t)(i % 97) + 1);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % 16 == 0);
        for (int k = 0; k < i % 97 + 1; k++)
            if (p[k] != 0) { CHECK(!"not zeroed"); break; }
        p[i % 97] = 0xff;                     /* the whole size is ours */
    }
    char *big = kf_arena_alloc(&a, 200000);   /* larger than a chunk */
    CHECK(big != NULL);
    big[199999] = 'x';
    CHECK(!a.oom);
    kf_arena_free(&a);
    CHECK(a.head == NULL);
}

static void test_strings(void)
{
    kf_arena a = { 0 };
    CHECK_STR(kf_arena_strdup(&a, "knot"), "knot");
    CHECK_STR(kf_arena_strdup(&a, NULL), "");
    CHECK_STR(kf_arena_strndup(&a, "shoulder blade", 8), "shoulder");
    CHECK_STR(kf_arena_strndup(&a, NULL, 5), "");
    char *s = kf_arena_printf(&a, "%s:%d:%.2f", "lat", 7, 0.5);
    CHECK_STR(s, "lat:7:0.50");
    char longer[3000];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK_INT(strlen(kf_arena_printf(&a, "%s%s", longer, longer)), 2 * (sizeof longer - 1));
    kf_arena_free(&a);
    /* reusable */
    CHECK_STR(kf_arena_strdup(&a, "again"), "again");
    kf_arena_free(&a);
}

static void test_oom(void)
{
    kf_arena a = { 0 };
    CHECK(kf_arena_alloc(&a, SIZE_MAX - 4) == NULL);
    CHECK(a.oom);
    CHECK(kf_arena_alloc(&a, SIZE_MAX - 20) == NULL);   /* no wrap, too big */
    CHECK(kf_arena_alloc(&a, SIZE_MAX / 2 + 1) == NULL);
    kf_arena_free(&a);
    CHECK(!a.oom);
}

int main(void)
{
    RUN(test_alloc);
    RUN(test_strings);
    RUN(test_oom);
    return CHECK_DONE();
}
