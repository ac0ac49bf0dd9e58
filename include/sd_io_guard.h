/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Bounds on the time apr_memcache's sockets can block: a pool of ours in
 * front of apr_memcache's gives each of its connections a timeout and
 * knows it until it ends, so the prober can shut down this module's
 * sockets of a frozen server, never another module's (docs/reliability.md,
 * "Every memcached call is bounded in time"). */
#ifndef SD_IO_GUARD_H
#define SD_IO_GUARD_H

#include <apr_memcache.h>
#include <apr_time.h>

typedef struct sd_io_guard sd_io_guard;

/* Takes over ms's connection pool, before its first use: at most `max`
 * connections, idle ones closed after `ttl`, a wait for a free one bounded
 * by `wait`, and each socket with SO_RCVTIMEO and SO_SNDTIMEO of
 * `timeout`. */
apr_status_t sd_io_guard_create(apr_memcache_server_t *ms, int max, apr_interval_time_t ttl,
                                apr_interval_time_t wait, apr_interval_time_t timeout,
                                sd_io_guard **out);

/* Shuts down (both ways) every socket of ms, so a thread blocked on one
 * gets an error at once; or with `closed_only`, those the peer has closed
 * (TCP CLOSE_WAIT: memcached restarted or was killed), so their next use
 * fails to send at once instead of reading an empty reply, which
 * apr_memcache reports like a refusal. Returns how many. */
int sd_io_guard_cut(sd_io_guard *g, int closed_only);

#endif
