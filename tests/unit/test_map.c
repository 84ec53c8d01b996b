/*
 * test_map.c — the string -> int map: every key put is found with its value
 * and nothing else is, keys of every length (and with NUL bytes inside, not
 * NUL-terminated) are told apart, a second put keeps the first value, and a
 * failed allocation leaves the map as it was.
 */
#include "check.h"
#include "map.h"

#include <stdlib.h>

static void test_put_get_many(void)
{
    enum { N = 20000 };
    static char keys[N][24];
    kf_map m = { 0 };
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "%d%s", i, i % 3 ? "shoulder" : "");
        CHECK(kf_map_put(&m, keys[i], strlen(keys[i]), i));
    }
    CHECK_INT(m.n, N);
    int wrong = 0;
    for (int i = 0; i < N; i++)
        wrong += kf_map_get(&m, keys[i], strlen(keys[i])) != i;
    CHECK_INT(wrong, 0);
    /* Prefixes and extensions of stored keys are other keys. */
    CHECK_INT(kf_map_get(&m, "1shoulde", 8), -1);
    CHECK_INT(kf_map_get(&m, "1shoulderx", 10), -1);
    CHECK_INT(kf_map_get(&m, "", 0), -1);
    /* A second put of the same key keeps the first value. */
    CHECK(kf_map_put(&m, "0", 1, 99));
    CHECK_INT(kf_map_get(&m, "0", 1), 0);
    CHECK_INT(m.n, N);
    kf_map_free(&m);
    CHECK_INT(kf_map_get(&m, "0", 1), -1);
}

/* Every length from 0 to 40 (the hash reads words, halves and overlaps),
 * keys that differ in one byte anywhere, with NUL bytes, not terminated. */
static void test_lengths_and_bytes(void)
{
    char base[41];
    memset(base, 'a', sizeof base);
    kf_map m = { 0 };
    static char store[41 * 41][41];
    int n = 0, wrong = 0;
    for (int len = 0; len <= 40; len++)
        for (int at = 0; at <= len; at++) {
            char *k = store[n];
            memcpy(k, base, 40);
            if (at < len)
                k[at] = at % 2 ? '\0' : 'b';
            CHECK(kf_map_put(&m, k, (size_t)len, n));
            n++;
        }
    n = 0;
    for (int len = 0; len <= 40; len++)
        for (int at = 0; at <= len; at++, n++) {
            /* each (len, at) made its own key: "aaa" once per length */
            wrong += kf_map_get(&m, store[n], (size_t)len) != n;
        }
    CHECK_INT(wrong, 0);
    kf_map_free(&m);
}

static void test_out_of_memory_changes_nothing(void)
{
    kf_map m = { 0 };
    char keys[64][16];
    for (int i = 0; i < 31; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        CHECK(kf_map_put(&m, keys[i], strlen(keys[i]), i));
    }
    size_t cap = m.cap;
    snprintf(keys[31], sizeof keys[31], "k31");
    snprintf(keys[32], sizeof keys[32], "k32");
    CHECK(kf_map_put(&m, keys[31], 3, 31));     /* 32 of 64: still fits */
    kf_alloc_fail_after(0);
    bool ok = kf_map_put(&m, keys[32], 3, 32);  /* must grow, and cannot */
    kf_alloc_fail_after(-1);
    CHECK(!ok);
    CHECK_INT(m.cap, cap);
    CHECK_INT(m.n, 32);
    CHECK_INT(kf_map_get(&m, "k32", 3), -1);
    for (int i = 0; i < 32; i++)
        CHECK_INT(kf_map_get(&m, keys[i], strlen(keys[i])), i);
    CHECK(kf_map_reserve(&m, 1000));
    CHECK(m.cap >= 2000);
    for (int i = 0; i < 32; i++)
        CHECK_INT(kf_map_get(&m, keys[i], strlen(keys[i])), i);
    kf_map_free(&m);
}

int main(void)
{
    RUN(test_put_get_many);
    RUN(test_lengths_and_bytes);
    RUN(test_out_of_memory_changes_nothing);
    return CHECK_DONE();
}
