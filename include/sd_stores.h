/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* One store per distinct server list and store settings, shared by the
 * virtual hosts that have them; one shared health slot per distinct server
 * and probe settings. */
#ifndef SD_STORES_H
#define SD_STORES_H

#include <httpd.h>

#include "sd_stats.h"

/* post_config, in the parent: the shared memory and each vhost's slots. */
void sd_stores_plan(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/* child_init: each distinct store with its prober, clients of up to
 * `connections` pooled connections per server, counting into stats. */
void sd_stores_child_init(apr_pool_t *pchild, server_rec *s, int connections, sd_stats *stats);

/* The servers of every store, each once, down if any store finds it down
 * (no network). Returns the count. */
typedef struct {
    const char *name;
    int up;
} sd_stores_server;

int sd_stores_servers(apr_pool_t *p, server_rec *s, sd_stores_server **out);

#endif
