/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The counters and latency histograms: relaxed 64-bit atomics in one
 * shared block made before the fork, added to by every child
 * (docs/monitoring.md). */
#ifndef SD_STATS_H
#define SD_STATS_H

#include <apr.h>
#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_shm.h>
#include <apr_time.h>

#include <stdatomic.h>
#include <string.h>

/* An atomic that needs a lock of its process would not be shared. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

/* X(field, name, help): `name` is the status page's JSON key, the family
 * sessiondemo_<name>_total and, in CamelCase, mod_status's SessionDemo<Name>. */
#define SD_STATS_COUNTERS(X)                                                             \
    X(created, "sessions_created", "New sessions stored.") \
    X(loaded, "sessions_loaded", "Sessions read from memcached.") \
    X(saved, "sessions_saved", "Writes of existing sessions.") \
    X(destroyed, "sessions_destroyed", "Sessions ended by a logout or a regeneration.") \
    X(expired, "sessions_expired", "Sessions found past their expiry.") \
    X(bad_signatures, "bad_signatures", "Session cookies whose signature did not verify.") \
    X(store_errors, "store_errors", "Store calls that failed (memcached down or refusing).") \
    X(logins_failed, "logins_failed", "Logins refused for a wrong password.") \
    X(origin_refused, "cross_origin_refused", "Cross-origin POSTs refused with 403.") \
    X(lock_waits, "lock_waits", "Session lock acquisitions that found the lock held and waited.") \
    X(lock_timeouts, "lock_timeouts", "Waits for a session lock given up (503).") \
    X(lock_waiters_refused, "lock_waiters_refused", "Requests refused because SessionDemoLockWaiters requests already waited (503).") \
    X(lock_reclaims, "lock_reclaims", "Host locks taken over from a dead or overdue holder.") \
    X(foreign_realm, "foreign_realm", "Sessions of another realm, ignored.") \
    X(unsealable, "records_unsealable", "Sealed records that did not open (altered, moved, or written without the secret).") \
    X(too_large, "changes_too_large", "Session changes refused: over memcached's item size.") \
    X(divergences, "replica_divergences", "Replicas found with two copies of one generation.") \
    X(repairs, "replica_repairs", "Stale or empty replicas rewritten.") \
    X(replayed, "missed_writes_replayed", "Missed writes replayed to a returning replica.") \
    X(hints_dropped, "missed_writes_dropped", "Missed writes not remembered or given up.") \
    X(revoked, "sessions_revoked", "Sessions ended from another device, by an admin's revoke-user, or to keep a user within SessionDemoMaxSessionsPerUser.") \
    X(index_writes, "index_writes", "Writes of a user's index of sessions.") \
    X(logins_throttled, "logins_throttled", "Login attempts refused with 429 by the login throttle.") \
    X(throttle_unavailable, "throttle_unavailable", "Login attempts let through unthrottled: the throttle's counters did not answer.")

/* Latency buckets' upper bounds in µs (then +Inf): from a loopback round
 * trip to the backend's longest wait (connect 1 s + pool wait 1.5 s). */
#define SD_STATS_BUCKETS(X)                                                      \
    X(50) X(100) X(250) X(500) X(1000) X(2500) X(5000) X(10000) X(25000)         \
    X(50000) X(100000) X(250000) X(500000) X(1000000) X(2500000) X(5000000)

/* The backend's timed commands (sd_backend.h), each with its retries. */
#define SD_STATS_STORE_OPS(X) X(get) X(write) X(add) X(remove)

#define SD_STATS_ONE_(...) +1
enum { SD_STATS_NBUCKETS = 0 SD_STATS_BUCKETS(SD_STATS_ONE_) };

typedef enum {
#define SD_STATS_OP_(op) SD_STATS_STORE_##op,
    SD_STATS_STORE_OPS(SD_STATS_OP_)
#undef SD_STATS_OP_
    SD_STATS_NSTORE_OPS
} sd_stats_store_op;

typedef struct {
    /* per bucket, not cumulative; the last one is above every bound */
    _Atomic apr_uint64_t buckets[SD_STATS_NBUCKETS + 1];
    _Atomic apr_uint64_t sum_us;
} sd_stats_histogram;

/* store_errors by server ("host:port"), named by the parent before it forks;
 * the last slot, "other", counts the servers past the table. */
#define SD_STATS_MAX_SERVERS 64
#define SD_STATS_SERVER_NAME 128

typedef struct {
    char name[SD_STATS_SERVER_NAME];    /* "" while free */
    _Atomic apr_uint64_t store_errors;
} sd_stats_server;

typedef struct sd_stats {
#define SD_STATS_FIELD_(field, name, help) _Atomic apr_uint64_t field;
    SD_STATS_COUNTERS(SD_STATS_FIELD_)
#undef SD_STATS_FIELD_
    sd_stats_histogram store_calls[SD_STATS_NSTORE_OPS];
    sd_stats_histogram lock_wait;   /* of the acquisitions counted in lock_waits */
    sd_stats_server servers[SD_STATS_MAX_SERVERS];
} sd_stats;

/* NULL stats (a unit test, `apache2 -t`'s dry run) count nothing. */
#define SD_STATS_ADD(stats, field, n)                                              \
    do {                                                                           \
        if (stats) {                                                               \
            atomic_fetch_add_explicit(&(stats)->field, (apr_uint64_t)(n),          \
                                      memory_order_relaxed);                       \
        }                                                                          \
    } while (0)

#define SD_STATS_INC(stats, field) SD_STATS_ADD(stats, field, 1)

/* Bucket i's upper bound in µs, or -1. Inline, as the next two, so that
 * the units that count need not link this one. */
static inline apr_int64_t sd_stats_bucket_bound(int i)
{
    static const apr_int64_t bounds[] = {
#define SD_STATS_BOUND_(b) b,
        SD_STATS_BUCKETS(SD_STATS_BOUND_)
#undef SD_STATS_BOUND_
    };
    return i >= 0 && i < SD_STATS_NBUCKETS ? bounds[i] : -1;
}

/* Adds one observation of `us` µs (negative, the clock went back: 0). */
static inline void sd_stats_observe(sd_stats_histogram *h, apr_interval_time_t us)
{
    int i = 0;
    if (!h) {
        return;
    }
    if (us < 0) {
        us = 0;
    }
    while (i < SD_STATS_NBUCKETS && us > sd_stats_bucket_bound(i)) {
        ++i;
    }
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (apr_uint64_t)us, memory_order_relaxed);
}

/* The slot of server `name` in st->servers, or -1 for NULL stats. */
static inline int sd_stats_server_find(const sd_stats *st, const char *name)
{
    for (int i = 0; st && i < SD_STATS_MAX_SERVERS - 1 && st->servers[i].name[0]; ++i) {
        if (strncmp(st->servers[i].name, name, SD_STATS_SERVER_NAME - 1) == 0) {
            return i;
        }
    }
    return st ? SD_STATS_MAX_SERVERS - 1 : -1;
}

/* In the parent only: the slot of `name`, taken if it has none (kept
 * across restarts with the block, so a server's count goes on). */
int sd_stats_server_claim(sd_stats *st, const char *name);

/* A zeroed block in anonymous APR shared memory for the processes forked
 * from now on, as long as `pool` lasts (httpd's process pool, not pconf)
 * or until apr_shm_destroy(*shm), which unmaps it in this process only. */
apr_status_t sd_stats_create(apr_pool_t *pool, apr_shm_t **shm, sd_stats **out);

/* sd_stats' layout as one number: a block kept across a restart is used
 * again only by a module of the same layout. */
apr_uint64_t sd_stats_layout(void);

/* The counters in the list's order, for the pages that show them all. */
enum { SD_STATS_NCOUNTERS = 0 SD_STATS_COUNTERS(SD_STATS_ONE_) };
const char *sd_stats_counter_name(int i);
const char *sd_stats_counter_help(int i);
apr_uint64_t sd_stats_counter_value(const sd_stats *st, int i);

/* A store op's label ("get", ...). */
const char *sd_stats_store_op_name(int op);

/* A histogram read once: cumulative counts, the last (+Inf) being the sum
 * of the buckets as read, so it always agrees with the count. */
typedef struct {
    apr_uint64_t cumulative[SD_STATS_NBUCKETS + 1];
    apr_uint64_t sum_us;
} sd_stats_snapshot;

void sd_stats_histogram_read(const sd_stats_histogram *h, sd_stats_snapshot *out);

#endif
