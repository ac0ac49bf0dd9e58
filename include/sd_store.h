/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The session store: each key on 1 + SessionDemoReplicas servers of a
 * consistent-hash ring, over any backend (sd_backend.h), so the replica
 * protocol (docs/cluster.md) is unit-tested against a fake. What a value
 * means (which copy is newer, its time left) it asks the format. */
#ifndef SD_STORE_H
#define SD_STORE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "sd_backend.h"
#include "sd_ring.h"
#include "sd_stats.h"

typedef struct sd_store sd_store;

/* One server's answer is the key's as it is: a cast. */
typedef enum {
    SD_STORE_OK = SD_BACKEND_OK,
    SD_STORE_NOTFOUND = SD_BACKEND_MISS,   /* a real miss: a live server said so */
    SD_STORE_EXISTS = SD_BACKEND_EXISTS,   /* add: the key is taken              */
    SD_STORE_DOWN = SD_BACKEND_DOWN,       /* no server answered: not a miss     */
    SD_STORE_ERROR = SD_BACKEND_REFUSED    /* a live server refused the command  */
} sd_store_result;

/* Most copies of a session: 1 + SessionDemoReplicas. */
#define SD_STORE_MAX_COPIES 4

/* What an item costs memcached besides the key and the value (item header,
 * CAS, flags, CRLF, with room to spare). */
#define SD_STORE_ITEM_OVERHEAD 96

typedef struct {
    /* > 0 when copy a is newer than copy b, < 0 when older, 0 when they are
     * of one generation. */
    int (*compare)(const char *a, apr_size_t alen, const char *b, apr_size_t blen);
    /* Seconds a copy has left (for a copy written during a repair); >= 1. */
    apr_int64_t (*ttl)(const char *v, apr_size_t len, apr_time_t now);
    /* Of two different copies of one generation (a divergence), > 0 when a
     * is kept, < 0 when b: the same answer on every front-end, whatever
     * order it read them in. */
    int (*tiebreak)(const char *a, apr_size_t alen, const char *b, apr_size_t blen);
} sd_store_format;

/* Log lines the store writes (the caller knows how: for the request, or
 * without one, as the prober's replay runs, for its log_baton). */
typedef void (*sd_store_log_fn)(void *log_baton, void *request, int is_warning,
                                const char *message);

/* `backend` and `ring` outlive the store; the store lives in p. hints: how
 * many keys the store remembers as written while a replica was away. */
sd_store *sd_store_create(apr_pool_t *p, const sd_backend *backend, const sd_ring *ring,
                          int copies, const sd_store_format *format, sd_stats *stats,
                          sd_store_log_fn log, void *log_baton, int hints);

typedef enum {
    SD_STORE_READ_ONLY,  /* repairs only replicas that lack the key (add)  */
    SD_STORE_LOCKED,     /* the caller holds the key's lock: also rewrites
                            replicas holding an older copy                */
    SD_STORE_LOOK        /* as READ_ONLY, for the status page: no request
                            failed, so an outage is not a store error     */
} sd_store_read_mode;

/* The newest copy among the replicas that answer (*val from call->pool,
 * NUL-terminated). A replica behind that this read may not repair is
 * remembered, with lock_key (NULL: not), for sd_store_replay. Two copies
 * of one generation with different bytes are a divergence (counted,
 * logged once per process); the format's tiebreak picks the one kept. */
sd_store_result sd_store_read(sd_store *st, const sd_backend_call *call, const char *key,
                              const char *lock_key, sd_store_read_mode mode, char **val,
                              apr_size_t *len, apr_uint16_t *flags);

/* Writes to every replica that answers; a success if one took it. A replica
 * that is away or does not answer is remembered (with `lock_key`, the lock
 * a later repair takes) and brought up to date by sd_store_replay when it
 * is back. ttl_seconds > 0; over 30 days is sent as an absolute time. */
sd_store_result sd_store_write(sd_store *st, const sd_backend_call *call, const char *key,
                               const char *lock_key, const char *val, apr_size_t len,
                               apr_int64_t ttl_seconds, apr_uint16_t flags);

/* A new key: atomic on the first replica that answers, then written to the
 * others. SD_STORE_EXISTS when taken. */
sd_store_result sd_store_add(sd_store *st, const sd_backend_call *call, const char *key,
                             const char *lock_key, const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags);

/* Removed from every replica that answers (a missing key counts as removed).
 * Only for keys whose every copy is dead anyway (an expired session): a
 * logout is a write of a tombstone, which no returning replica undoes. */
sd_store_result sd_store_remove(sd_store *st, const sd_backend_call *call, const char *key);

/* A lock key, placed with its record by its hash tag (sd_ring.h): added
 * on every replica that answers, so two holders always meet on one;
 * SD_STORE_EXISTS when another holds it anywhere. *sent (bit i: server i)
 * is for sd_store_unlock. An add whose reply never came may still be
 * carried out when its server thaws: that lock is removed, if it still
 * holds `token`, when the server is back. */
sd_store_result sd_store_lock(sd_store *st, const sd_backend_call *call, const char *key,
                              const char *token, apr_size_t len, apr_int64_t ttl_seconds,
                              apr_uint64_t *sent);

/* Removes the lock wherever it still holds `token`, on the servers in
 * `sent`; where that cannot be done now (away, or no answer), it is done
 * when the server is back. */
void sd_store_unlock(sd_store *st, const sd_backend_call *call, const char *key,
                     const char *token, apr_size_t len, apr_uint64_t sent);

/* A lock of this host that the writers of a session hold besides
 * memcached's (SessionDemoLock Cluster) or instead of it (Host): the replay
 * takes it too, before memcached's, so it never writes a returning replica
 * under a request of this host. */
typedef struct {
    /* 1 with *hold set when taken at once for ttl_seconds; 0 when busy. */
    int (*take)(void *baton, const char *lock_key, apr_int64_t ttl_seconds, apr_pool_t *p,
                void **hold);
    void (*give)(void *baton, void *hold);
    void *baton;
} sd_store_local_lock;

/* Sets the local lock (NULL-safe: none), before the store is used. */
void sd_store_set_local_lock(sd_store *st, const sd_store_local_lock *lock);

/* Which copies may be picked as the newest: the format ranks copies by a
 * clear header anyone can write, so one forged copy would win and be
 * repaired over the good ones. 1 when the copy at `key` is genuine (it
 * opens under the keys of some server using this store). */
typedef struct {
    int (*valid)(void *baton, apr_pool_t *p, const char *key, const char *val, apr_size_t len,
                 apr_uint16_t flags);
    void *baton;   /* lives as long as the store (the configuration's keys) */
} sd_store_validator;

/* Sets the validator (NULL-safe: none, every copy counts) before the store
 * is used. A refused copy is never returned while another is accepted,
 * never spread, and is overwritten where a repair may; when none is
 * accepted the newest is returned (its reader finds it does not open) and
 * nothing is repaired. */
void sd_store_set_validator(sd_store *st, const sd_store_validator *validator);

/* Brings a returning `server` up to date: our locks it may hold are
 * removed, then each key written meanwhile gets, under its lock, the
 * newest copy if its own is older or missing (a busy lock: next call).
 * Returns how many keys were brought up to date. */
int sd_store_replay(sd_store *st, const sd_backend_call *call, int server,
                    int (*stop)(const void *baton), const void *stop_baton);

/* Whether anything is remembered for `server` (a lock-free read). */
int sd_store_replay_pending(const sd_store *st, int server);

/* A counter (the login throttle's): one copy, on the first usable server
 * of the key's replica set, so every front-end counts on the same one (lost
 * with its server). Adds delta (0 reads, < 0 takes away, stopping at 0)
 * into *value; a missing one is NOTFOUND, except when added to: then made
 * with a TTL of ttl_seconds that later counts do not extend. */
sd_store_result sd_store_counter(sd_store *st, const sd_backend_call *call, const char *key,
                                 apr_int32_t delta, apr_int64_t ttl_seconds,
                                 apr_uint32_t *value);

/* The largest value every replica of `key` takes (NULL key: every server). */
apr_size_t sd_store_max_value(const sd_store *st, const char *key);

#endif
