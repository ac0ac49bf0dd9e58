/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The memcached backend (sd_backend.h) on apr_memcache, one client per
 * server and child, its health from sd_health.h. */
#ifndef SD_BACKEND_MEMCACHE_H
#define SD_BACKEND_MEMCACHE_H

#include <httpd.h>

#include "sd_backend.h"
#include "sd_health.h"
#include "sd_stats.h"

typedef struct sd_backend_memcache sd_backend_memcache;

/* Clients for servers[0..n), each with up to `connections` pooled
 * connections (opened on first use, each read and write bounded by
 * `timeout`); a command whose sockets fail at once is retried for at most
 * `timeout`; its time goes into stats (NULL: not timed). Fills *out. */
apr_status_t sd_backend_memcache_create(apr_pool_t *pchild, server_rec *s,
                                        const sd_health_server *servers, int n,
                                        int connections, apr_interval_time_t timeout,
                                        sd_health *health, sd_stats *stats, sd_backend *out);

/* One server's state for the status page. */
typedef struct {
    const char *name;
    int up;                       /* in use (the prober's verdict)        */
    const char *version;          /* NULL when it did not answer          */
    int has_stats;                /* the figures below were read          */
    apr_uint64_t items, get_hits, get_misses, connections, uptime, bytes,
                 limit_maxbytes;
    apr_size_t item_size_max;
} sd_backend_memcache_info;

/* Asks every usable server (version, stats) now. Returns the count. */
int sd_backend_memcache_servers(const sd_backend *b, apr_pool_t *p,
                                sd_backend_memcache_info **out);

#endif
