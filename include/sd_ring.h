/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Consistent hashing (ketama-style) of session keys over memcached servers:
 * adding or removing one of N servers moves only about 1/N of the keys.
 * Pure, so it is unit-tested and fuzzed. Compatible in spirit, not bit for
 * bit, with libketama: 160 points per server from MD5 of "host:port-i". */
#ifndef SD_RING_H
#define SD_RING_H

#include <apr_pools.h>

typedef struct sd_ring sd_ring;

/* Builds the ring for n servers named by names[] (e.g. "10.0.0.5:11211").
 * The names, not their order, place the points, so every front-end with
 * the same list (in any order) routes the same way. */
sd_ring *sd_ring_create(apr_pool_t *p, const char *const *names, int n);

/* Fills out[] with up to max distinct server indices (positions in names[])
 * in ring order starting at the key's point: out[0] is the key's primary
 * server, the next ones its replicas. Returns how many were written. */
int sd_ring_lookup(const sd_ring *ring, const char *key, apr_size_t len,
                   int *out, int max);

#endif
