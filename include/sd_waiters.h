/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* How many requests of each session wait for its lock in this child, so
 * that one session's flood cannot pin every worker thread. Thread-safe. */
#ifndef SD_WAITERS_H
#define SD_WAITERS_H

#include <apr_pools.h>

typedef struct sd_waiters sd_waiters;

/* For up to max_sessions sessions waiting at once (the child's threads). */
sd_waiters *sd_waiters_create(apr_pool_t *pchild, int max_sessions);

/* A 64-bit hash of a session's lock key (never 0). */
apr_uint64_t sd_waiters_hash(const char *key);

/* Counts one more waiter of the session `hash` on the MPM's threads (h2
 * 0) or mod_http2's workers (1) unless `limit` of that session already
 * wait, `all_limit` of every session wait on those threads, or the table
 * is full; returns whether it was counted. */
int sd_waiters_enter(sd_waiters *w, apr_uint64_t hash, int limit, int h2, int all_limit);

/* Whether a refusal at `sec` (seconds) is the child's first in 10 s: one of
 * a flood is said loudly, the rest quietly. */
int sd_waiters_refusal_loud(sd_waiters *w, apr_uint32_t sec);

/* The end of a counted wait. */
void sd_waiters_leave(sd_waiters *w, apr_uint64_t hash, int h2);

#endif
