/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The health of a list of memcached servers: a prober thread per child
 * publishes each verdict in shared memory, so all children stop and resume
 * using a server together, and cuts a frozen server's client sockets. */
#ifndef SD_HEALTH_H
#define SD_HEALTH_H

#include <httpd.h>
#include <apr_network_io.h>
#include <apr_time.h>

#include "sd_io_guard.h"

typedef struct sd_health sd_health;

typedef struct {
    const char *host;            /* an IPv4 address or a name            */
    apr_port_t port;
    const char *name;            /* "host:port", for logs                */
    volatile apr_uint32_t *flag; /* shared slot (1: out of use), or NULL */
} sd_health_server;

/* Called on a thread of the health's after a probe finds a server usable
 * while pending(baton, server) says work is left for it. */
typedef void (*sd_health_return_fn)(void *baton, int server, apr_pool_t *scratch);
typedef int (*sd_health_pending_fn)(void *baton, int server);

/* Not started yet: sd_health_start. */
sd_health *sd_health_create(apr_pool_t *pchild, server_rec *s, const sd_health_server *servers,
                            int n, apr_interval_time_t interval, apr_interval_time_t timeout,
                            sd_health_return_fn on_return, sd_health_pending_fn pending,
                            void *baton);

/* Whether the child is stopping: a long replay should end early. */
int sd_health_stopping(const sd_health *h);

/* The sockets of the client of server i, for the prober to cut. */
void sd_health_guard(sd_health *h, int i, sd_io_guard *guard);

/* Starts the prober thread, stopped when pchild is cleared. */
apr_status_t sd_health_start(sd_health *h, apr_pool_t *pchild);

/* Whether requests may use server i now. */
int sd_health_usable(const sd_health *h, int i);

/* The server's item size limit (memcached's -I), once read; 1 MiB before. */
apr_size_t sd_health_item_size_max(const sd_health *h, int i);

#endif
