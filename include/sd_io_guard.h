/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Bounds on the time apr_memcache's sockets can block: a pool of ours in
 * front of apr_memcache's gives each connection a timeout and knows it
 * until it ends, so the prober can shut down this module's sockets of a
 * frozen server, never another module's (docs/reliability.md). */
#ifndef SD_IO_GUARD_H
#define SD_IO_GUARD_H

#include <apr_memcache.h>
#include <apr_time.h>

typedef struct sd_io_guard sd_io_guard;

/* Takes over ms's connection pool before its first use: at most `max`
 * connections, idle ones closed after `ttl`, a wait for one bounded by
 * `wait`, each socket's reads and writes by `timeout`. */
apr_status_t sd_io_guard_create(apr_memcache_server_t *ms, int max, apr_interval_time_t ttl,
                                apr_interval_time_t wait, apr_interval_time_t timeout,
                                sd_io_guard **out);

/* Shuts down every socket, so a thread blocked on one gets an error at
 * once; or with `closed_only`, those the peer closed (CLOSE_WAIT), whose
 * empty reply apr_memcache would report like a refusal. Returns how many. */
int sd_io_guard_cut(sd_io_guard *g, int closed_only);

#endif
