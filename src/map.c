/* map.c — the string -> int hash map (see map.h). */
#include "map.h"

#include <string.h>

/* Eight bytes at a time, multiplied and folded; the tail is read as one
 * overlapping word (or, under 8 bytes, as two overlapping halves), so no
 * byte loop and no memcpy call: keys here are short words and ids.  The
 * length is mixed in first, so the overlap cannot make two keys alike. */
static inline uint64_t load64(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

static inline uint64_t load32(const char *s)
{
    uint32_t w;
    memcpy(&w, s, 4);
    return w;
}

uint32_t kf_map_hash(const char *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (len * 0xBF58476D1CE4E5B9ULL);
    uint64_t w;
    if (len >= 8) {
        size_t i = 0;
        for (; i + 8 < len; i += 8) {
            h = (h ^ load64(s + i)) * 0xFF51AFD7ED558CCDULL;
            h ^= h >> 32;
        }
        w = load64(s + len - 8);
    } else if (len >= 4)
        w = load32(s) | load32(s + len - 4) << 32;
    else if (len)
        w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
            (uint64_t)(unsigned char)s[len - 1] << 16;
    else
        w = 0;
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
    h *= 0x94D049BB133111EBULL;
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
        size_t j = kf_map_hash(s->key, s->len) & (cap - 1);
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
    uint32_t h = kf_map_hash(s, len);
    for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
        const kf_map_slot *e = &m->slots[j];
        if (!e->key)
            return -1;
        if (e->len == len && !memcmp(e->key, s, len))
            return e->val;
    }
}

bool kf_map_put(kf_map *m, const char *key, size_t len, int val)
{
    if (len > UINT32_MAX)
        return false;
    if ((m->n + 1) * 2 > m->cap && !kf_map_reserve(m, m->n + 1))
        return false;
    uint32_t h = kf_map_hash(key, len);
    size_t j = h & (m->cap - 1);
    for (; m->slots[j].key; j = (j + 1) & (m->cap - 1)) {
        const kf_map_slot *e = &m->slots[j];
        if (e->len == len && !memcmp(e->key, key, len))
            return true;
    }
    m->slots[j] = (kf_map_slot){ .key = key, .len = (uint32_t)len, .val = val };
    m->n++;
    return true;
}

void kf_map_free(kf_map *m)
{
    kf_free(m->slots);
    memset(m, 0, sizeof *m);
}
