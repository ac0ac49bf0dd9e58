/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Which store each virtual host uses: one per distinct memcached server
 * list and store settings (replicas, probe interval and timeout), shared by
 * every virtual host that has them, inherited or not; and one health slot
 * in shared memory per distinct server and probe settings, shared by every
 * child, so vhosts with different timeouts never fight over one flag. */
#ifndef SD_STORES_H
#define SD_STORES_H

#include <httpd.h>

#include "sd_stats.h"

/* post_config, in the parent: the shared memory and each vhost's slots. */
void sd_stores_plan(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/* child_init: each distinct store with its prober, clients of up to
 * `connections` pooled connections per server, counting into stats. */
void sd_stores_child_init(apr_pool_t *pchild, server_rec *s, int connections, sd_stats *stats);

/* The memcached servers of every store of this child, each named once
 * ("host:port"), with the prober's verdict: down if any store that uses
 * the server finds it down (vhosts with other probe settings judge it
 * apart). Reads shared flags only, no network. Returns the count. */
typedef struct {
    const char *name;
    int up;
} sd_stores_server;

int sd_stores_servers(apr_pool_t *p, server_rec *s, sd_stores_server **out);

#endif
