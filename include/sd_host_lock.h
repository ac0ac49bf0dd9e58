/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Session locks in memory shared by every process of one httpd, striped by
 * a hash of the lock key; a waiter is woken by the release. A holder that
 * dies or keeps the lock past its deadline loses it to the next request. */
#ifndef SD_HOST_LOCK_H
#define SD_HOST_LOCK_H

#include <apr.h>
#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

typedef struct sd_host_lock_table sd_host_lock_table;

/* A table in anonymous APR shared memory for the processes forked from now
 * on, as long as `pool` lasts (httpd's process pool: two generations of
 * children lock each other out). */
apr_status_t sd_host_lock_table_create(apr_pool_t *pool, unsigned int stripes,
                                       sd_host_lock_table **out);

typedef enum {
    SD_HOST_LOCK_TAKEN,
    SD_HOST_LOCK_BUSY,      /* still held when the wait ran out          */
    SD_HOST_LOCK_ERROR      /* the table's mutex failed (logged by caller) */
} sd_host_lock_result;

typedef struct {
    apr_uint64_t hash;      /* of the lock key; never 0                   */
    apr_uint64_t token;     /* this hold's, unique in the table           */
    int reclaimed;          /* taken from a dead or overdue holder         */
    int waited;             /* slept at least once for the holder or a slot */
} sd_host_lock_hold;

/* Takes the lock of `hash` for at most `ttl`, waiting up to `wait` (0: one
 * attempt) for its holder, or for a free slot when every slot of the
 * stripe is taken by other sessions. */
sd_host_lock_result sd_host_lock_acquire(sd_host_lock_table *t, apr_uint64_t hash,
                                         apr_interval_time_t ttl, apr_interval_time_t wait,
                                         sd_host_lock_hold *out);

/* Moves the hold's deadline to now + ttl if the slot is still its own;
 * returns whether it was. */
int sd_host_lock_renew(sd_host_lock_table *t, const sd_host_lock_hold *hold,
                       apr_interval_time_t ttl);

/* Releases the hold if the slot is still its own (it may have been
 * reclaimed after its ttl) and wakes the stripe's waiters. */
void sd_host_lock_release(sd_host_lock_table *t, const sd_host_lock_hold *hold);

/* Locks held now, and holds reclaimed since the table was made. */
void sd_host_lock_counts(sd_host_lock_table *t, apr_uint32_t *held, apr_uint32_t *reclaimed);

#endif
