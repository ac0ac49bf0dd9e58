/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The session store: each key on 1 + SessionDemoReplicas servers of a
 * ring, over a backend (sd_backend.h); the format says what a value means. */
#ifndef SD_STORE_H
#define SD_STORE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "sd_backend.h"
#include "sd_ring.h"
#include "sd_stats.h"

typedef struct sd_store sd_store;

/* A cast of sd_backend_result. */
typedef enum {
    SD_STORE_OK = SD_BACKEND_OK,
    SD_STORE_NOTFOUND = SD_BACKEND_MISS,   /* a real miss: a live server said so */
    SD_STORE_EXISTS = SD_BACKEND_EXISTS,   /* add: the key is taken              */
    SD_STORE_DOWN = SD_BACKEND_DOWN,       /* no server answered: not a miss     */
    SD_STORE_ERROR = SD_BACKEND_REFUSED    /* a live server refused the command  */
} sd_store_result;

/* What the store ranks a stored copy by, read from its bytes. */
typedef struct {
    apr_int64_t gen;     /* generation; -1 ranks a copy below any readable one */
    int ended;           /* a tombstone: newer than any live copy              */
    apr_int64_t saved;   /* the last save by its writer's clock (tiebreak)     */
    apr_int64_t ttl;     /* seconds left (for a copy written by a repair), >= 1 */
} sd_store_header;

/* The format: reads copy v's header, as of now. */
typedef void (*sd_store_format)(const char *v, apr_size_t len, apr_time_t now,
                                sd_store_header *h);

/* > 0 when copy a is newer than b (a tombstone over any live copy; else a
 * higher generation), < 0 when older, 0 when of one generation. */
int sd_store_newer(const sd_store_header *a, const sd_store_header *b);

/* Of two different copies of one generation: > 0 when a is kept, < 0 when
 * b, whatever the order: the later save (by the writers' clocks, so of two
 * saves less than the clocks' difference apart either may win), then the
 * greater bytes. */
int sd_store_tiebreak(const sd_store_header *a, const char *av, apr_size_t alen,
                      const sd_store_header *b, const char *bv, apr_size_t blen);

/* The store's warnings; request is NULL in the replay. */
typedef void (*sd_store_log_fn)(void *log_baton, void *request, const char *message);

/* backend and ring outlive the store; hints: how many missed writes it
 * remembers. */
sd_store *sd_store_create(apr_pool_t *p, const sd_backend *backend, const sd_ring *ring,
                          int copies, sd_store_format format, sd_stats *stats,
                          sd_store_log_fn log, void *log_baton, int hints);

typedef enum {
    SD_STORE_READ_ONLY,  /* repairs only replicas that lack the key      */
    SD_STORE_LOCKED,     /* the caller holds the lock: also older copies */
    SD_STORE_LOOK        /* READ_ONLY, and an outage is no store error    */
} sd_store_read_mode;

/* The newest copy among the replicas that answer (*val from call->pool,
 * NUL-terminated). A replica behind that it may not repair is remembered
 * with lock_key (NULL: not) for sd_store_replay. */
sd_store_result sd_store_read(sd_store *st, const sd_backend_call *call, const char *key,
                              const char *lock_key, sd_store_read_mode mode, char **val,
                              apr_size_t *len, apr_uint16_t *flags);

/* Writes to every replica that answers; a success if one took it. Others are
 * remembered with lock_key for sd_store_replay. */
sd_store_result sd_store_write(sd_store *st, const sd_backend_call *call, const char *key,
                               const char *lock_key, const char *val, apr_size_t len,
                               apr_int64_t ttl_seconds, apr_uint16_t flags);

/* A new key: added on the first replica that answers, then written to the
 * others; SD_STORE_EXISTS when taken. */
sd_store_result sd_store_add(sd_store *st, const sd_backend_call *call, const char *key,
                             const char *lock_key, const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags);

/* Removed from every replica that answers: only for keys whose every copy
 * is dead anyway (a logout writes a tombstone, which no replica undoes). */
sd_store_result sd_store_remove(sd_store *st, const sd_backend_call *call, const char *key);

/* A lock key, added on every replica that answers; SD_STORE_EXISTS when
 * another holds it anywhere. *sent (bit i: server i) is for
 * sd_store_unlock; an add left unanswered is undone when its server is
 * back. */
sd_store_result sd_store_lock(sd_store *st, const sd_backend_call *call, const char *key,
                              const char *token, apr_size_t len, apr_int64_t ttl_seconds,
                              apr_uint64_t *sent);

/* Removes the lock wherever it still holds `token`, on the servers in
 * `sent`, now or when the server is back. */
void sd_store_unlock(sd_store *st, const sd_backend_call *call, const char *key,
                     const char *token, apr_size_t len, apr_uint64_t sent);

/* This host's lock of a session (SessionDemoLock), which the replay takes
 * before memcached's. */
typedef struct {
    /* 1 with *hold set when taken at once for ttl_seconds; 0 when busy. */
    int (*take)(void *baton, const char *lock_key, apr_int64_t ttl_seconds, apr_pool_t *p,
                void **hold);
    void (*give)(void *baton, void *hold);
    void *baton;
} sd_store_local_lock;

/* Before the store is used; NULL: none. */
void sd_store_set_local_lock(sd_store *st, const sd_store_local_lock *lock);

/* Whether a copy is genuine: the format ranks copies by a clear header
 * anyone can write, so a forged one would win and be spread. */
typedef struct {
    int (*valid)(void *baton, apr_pool_t *p, const char *key, const char *val, apr_size_t len,
                 apr_uint16_t flags);
    void *baton;   /* lives as long as the store (the configuration's keys) */
} sd_store_validator;

/* Before the store is used; NULL: every copy counts. A refused copy is
 * never returned while another is accepted, nor spread. */
void sd_store_set_validator(sd_store *st, const sd_store_validator *validator);

/* Brings a returning server up to date: removes our locks it may hold,
 * then writes each key it missed, under its lock (busy: next call).
 * Returns how many keys were written. */
int sd_store_replay(sd_store *st, const sd_backend_call *call, int server,
                    int (*stop)(const void *baton), const void *stop_baton);

/* Whether anything is remembered for server (lock-free). */
int sd_store_replay_pending(const sd_store *st, int server);

/* A counter, on the first usable replica only: adds delta (0 reads, < 0
 * takes away, stopping at 0) into *value. Missing: NOTFOUND, or made by
 * a delta > 0 with ttl_seconds, which later counts do not extend. */
sd_store_result sd_store_counter(sd_store *st, const sd_backend_call *call, const char *key,
                                 apr_int32_t delta, apr_int64_t ttl_seconds,
                                 apr_uint32_t *value);

/* The largest value every replica of `key` takes. */
apr_size_t sd_store_max_value(const sd_store *st, const char *key);

#endif
