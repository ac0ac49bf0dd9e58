/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Consistent hashing of keys over the servers: adding or removing one of N
 * moves only about 1/N of the keys (ketama in spirit). */
#ifndef SD_RING_H
#define SD_RING_H

#include <apr_pools.h>

typedef struct sd_ring sd_ring;

/* The ring of n servers named "host:port": their names, not their order,
 * place them, so every front-end with the same list routes alike. */
sd_ring *sd_ring_create(apr_pool_t *p, const char *const *names, int n);

/* Up to max distinct servers in ring order from the key's point, primary
 * first; returns how many. A key with a hash tag (twemproxy's "{}") is
 * placed by the tag alone: "{sess:x}.y" sits with "sess:x". */
int sd_ring_lookup(const sd_ring *ring, const char *key, apr_size_t len,
                   int *out, int max);

#endif
