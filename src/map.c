/* map.c — the string -> int hash map (see map.h). */
#include "map.h"

#include <string.h>

/* FNV-1a over 8 bytes at a time, then mixed: keys here are short words
 * and ids, so the loop runs once or twice. */
static uint32_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 29;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 32;
    return (uint32_t)h;
}

static bool rehash(kf_map *m, size_t cap)
{
    kf_map_slot *slots = kf_calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        const kf_map_slot *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = s->hash & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    kf_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return true;
}

bool kf_map_reserve(kf_map *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 64;
    while (n * 2 > cap)
        cap *= 2;
    return cap == m->cap || rehash(m, cap);
}

int kf_map_get(const kf_map *m, const char *s, size_t len)
{
    if (!m->cap)
        return -1;
    uint32_t h = hash_bytes(s, len);
    for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
        const kf_map_slot *e = &m->slots[j];
        if (!e->key)
            return -1;
        if (e->hash == h && e->len == len && !memcmp(e->key, s, len))
            return e->val;
    }
}

bool kf_map_put(kf_map *m, const char *key, size_t len, int val)
{
    if (len > UINT32_MAX)
        return false;
    if ((m->n + 1) * 2 > m->cap && !kf_map_reserve(m, m->n + 1))
        return false;
    uint32_t h = hash_bytes(key, len);
    size_t j = h & (m->cap - 1);
    for (; m->slots[j].key; j = (j + 1) & (m->cap - 1)) {
        const kf_map_slot *e = &m->slots[j];
        if (e->hash == h && e->len == len && !memcmp(e->key, key, len))
            return true;
    }
    m->slots[j] = (kf_map_slot){ .key = key, .len = (uint32_t)len, .hash = h, .val = val };
    m->n++;
    return true;
}

void kf_map_free(kf_map *m)
{
    kf_free(m->slots);
    memset(m, 0, sizeof *m);
}
