/*
 * map.h — a string -> int hash map (open addressing, linear probing) for
 * the loader's ids, words and spellings.
 *
 * Each slot keeps its key's length beside the key (16 bytes a slot), so a
 * probe compares the length before it touches the key's bytes and nothing
 * ever calls strlen on a stored key; keys are borrowed (they must outlive the
 * map, as the KB arena's strings do) and need not be NUL-terminated.
 * A map is a plain struct: zero-initialised it is empty and ready.
 */
#ifndef KF_MAP_H
#define KF_MAP_H

#include "kf.h"

#include <stdint.h>

typedef struct {
    const char *key;      /* NULL: the slot is free */
    uint32_t    len;
    int32_t     val;
} kf_map_slot;

typedef struct {
    kf_map_slot *slots;
    size_t       cap, n;  /* cap is 0 or a power of two, n < cap / 2 */
} kf_map;

/* The hash the map files s[0..len) under (for a table of its own that
 * keeps no keys, such as the KB's deletions). */
uint32_t kf_map_hash(const char *s, size_t len);

/* The value stored for s[0..len), or -1. */
int kf_map_get(const kf_map *m, const char *s, size_t len);

/* Adds key[0..len) -> val unless the key is there already (then the old
 * value stays).  Returns false on out of memory, the map unchanged. */
bool kf_map_put(kf_map *m, const char *key, size_t len, int val);

/* Room for n keys in all without growing; false on out of memory (the
 * map unchanged). */
bool kf_map_reserve(kf_map *m, size_t n);

/* Frees the slots; the map is empty again.  Keys are not freed. */
void kf_map_free(kf_map *m);

#endif
