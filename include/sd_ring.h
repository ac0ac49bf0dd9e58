/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Consistent hashing of keys over the servers: adding or removing one of N
 * moves only about 1/N of the keys. libketama's scheme in spirit, not bit
 * for bit. */
#ifndef SD_RING_H
#define SD_RING_H

#include <apr_pools.h>

typedef struct sd_ring sd_ring;

/* Builds the ring for n servers named by names[] (e.g. "10.0.0.5:11211").
 * The names, not their order, place the points, so every front-end with
 * the same list (in any order) routes the same way. */
sd_ring *sd_ring_create(apr_pool_t *p, const char *const *names, int n);

/* Up to max distinct server indices in ring order from the key's point:
 * out[0] is its primary, the next ones its replicas. Returns how many. A
 * key with a hash tag ("{...}", twemproxy's hash_tag "{}") is placed by
 * the tag alone: "{sess:x}.y" sits with "sess:x". */
int sd_ring_lookup(const sd_ring *ring, const char *key, apr_size_t len,
                   int *out, int max);

#endif
