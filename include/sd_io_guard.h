/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Bounds on the time apr_memcache's sockets can block. apr-util 1.6 sets an
 * established connection to block with no timeout and gives no way to
 * reach its sockets, so this unit finds them by their peer address among
 * the process's file descriptors (Linux /proc/self/fd): it gives them a
 * receive and send timeout, and shuts down those of a server the prober
 * has found frozen, so a request blocked on one returns at once. See
 * docs/reliability.md, "Every memcached call is bounded in time". */
#ifndef SD_IO_GUARD_H
#define SD_IO_GUARD_H

#include <apr_network_io.h>
#include <apr_time.h>

/* Sockets connected to any address of `peer` (a list, as resolved) get
 * SO_RCVTIMEO and SO_SNDTIMEO of `timeout`, unless they have that or a
 * shorter one already.
 * The descriptor `skip` (the prober's own) is left alone. Returns how many
 * sockets were changed. */
int sd_io_guard_limit(const apr_sockaddr_t *peer, apr_interval_time_t timeout, int skip);

/* Shuts down (both ways) every socket connected to `peer`, but `skip`:
 * a thread blocked on one gets an error at once. Returns how many. */
int sd_io_guard_cut(const apr_sockaddr_t *peer, int skip);

/* Shuts down the sockets to `peer` that the peer has closed (TCP
 * CLOSE_WAIT: memcached restarted or was killed), so their next use fails
 * to send at once instead of reading an empty reply, which apr_memcache
 * reports like a refusal. Returns how many. */
int sd_io_guard_cut_closed(const apr_sockaddr_t *peer, int skip);

#endif
