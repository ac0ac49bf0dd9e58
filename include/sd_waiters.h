/* How many requests of each session wait for its lock in this child, so
 * that one session's flood of requests cannot pin every worker thread, and
 * whose turn it is: one request per session and child asks memcached for
 * the lock, the others queue here and are woken when it is done.
 * Thread-safe; one table per child. */
#ifndef SD_WAITERS_H
#define SD_WAITERS_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct sd_waiters sd_waiters;

/* For up to max_sessions sessions waiting at once (the child's threads). */
sd_waiters *sd_waiters_create(apr_pool_t *pchild, int max_sessions);

/* A 64-bit hash of a session's lock key (never 0). */
apr_uint64_t sd_waiters_hash(const char *key);

/* Counts one more waiter of the session `hash` unless `limit` already
 * wait, or the table is full; returns whether it was counted. */
int sd_waiters_enter(sd_waiters *w, apr_uint64_t hash, int limit);

/* The end of a counted wait (without the turn). */
void sd_waiters_leave(sd_waiters *w, apr_uint64_t hash);

/* For a counted waiter: waits until no other request of the session in
 * this child has its turn, or until `until`. Returns 1 with the turn (and
 * no longer counted as waiting), 0 when the time ran out (still counted). */
int sd_waiters_take_turn(sd_waiters *w, apr_uint64_t hash, apr_time_t until);

/* The turn at once, or 0 when another request has it (or the table is
 * full). Not counted as a waiter. */
int sd_waiters_try_turn(sd_waiters *w, apr_uint64_t hash);

/* Ends a turn and wakes the session's waiters in this child. */
void sd_waiters_end_turn(sd_waiters *w, apr_uint64_t hash);

#endif
