/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Per-child session counters for the status page. Lock-free: each is an
 * atomic increment, and the status page reads whatever the values are. */
#ifndef SD_STATS_H
#define SD_STATS_H

#include <apr_atomic.h>

typedef struct sd_stats {
    volatile apr_uint32_t created;        /* new sessions stored            */
    volatile apr_uint32_t loaded;         /* sessions read from memcached   */
    volatile apr_uint32_t saved;          /* writes of existing sessions    */
    volatile apr_uint32_t destroyed;      /* logouts and regenerations      */
    volatile apr_uint32_t expired;        /* found past their expiry        */
    volatile apr_uint32_t bad_signatures; /* cookies that did not verify    */
    volatile apr_uint32_t store_errors;   /* memcached calls that failed    */
    volatile apr_uint32_t logins_failed;  /* wrong passwords                */
    volatile apr_uint32_t origin_refused; /* cross-origin POSTs refused     */
    volatile apr_uint32_t lock_timeouts;  /* waits for a session lock given up */
    volatile apr_uint32_t lock_waiters_refused; /* SessionDemoLockWaiters full */
    volatile apr_uint32_t lock_reclaims;  /* host locks taken over from a dead
                                             or overdue holder             */
    volatile apr_uint32_t foreign_realm;  /* sessions of another realm, ignored */
    volatile apr_uint32_t too_large;      /* changes refused: over the item size */
    volatile apr_uint32_t divergences;    /* replicas with two copies of one
                                             generation                      */
    volatile apr_uint32_t repairs;        /* stale or empty replicas rewritten */
    volatile apr_uint32_t replayed;       /* missed writes replayed to a
                                             returning replica               */
    volatile apr_uint32_t hints_dropped;  /* missed writes not remembered    */
} sd_stats;

#define SD_STATS_INC(stats, field)                     \
    do {                                               \
        if (stats) {                                   \
            apr_atomic_inc32(&(stats)->field);         \
        }                                              \
    } while (0)

#define SD_STATS_ADD(stats, field, n)                  \
    do {                                               \
        if (stats) {                                   \
            apr_atomic_add32(&(stats)->field, (apr_uint32_t)(n)); \
        }                                              \
    } while (0)

#endif
