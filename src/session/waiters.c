/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Per-child counts of the requests waiting for each session's lock. */
#include "sd_waiters.h"
#include "sd_log.h"

#include <apr_hash.h>
#include <apr_thread_mutex.h>

/* One count per session while it has waiters, from a pool sized for twice
 * as many sessions as threads that can wait; threads beyond are refused. */
typedef struct {
    apr_uint64_t hash;
    int count;
} waiter_count;

struct sd_waiters {
    apr_thread_mutex_t *mutex;
    apr_hash_t *counts;       /* by hash, of the sessions that have waiters */
    waiter_count **free;      /* the unused counts, nfree of them            */
    int nfree;
    int total[2];             /* waiters on the MPM's threads, on mod_http2's */
    apr_uint32_t refusal_said; /* second of the last loud refusal */
};

sd_waiters *sd_waiters_create(apr_pool_t *pchild, int max_sessions)
{
    sd_waiters *w = apr_pcalloc(pchild, sizeof(*w));
    waiter_count *counts;
    int size = 16;
    while (size < max_sessions * 2) {
        size *= 2;
    }
    if (apr_thread_mutex_create(&w->mutex, APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS) {
        return NULL;
    }
    w->counts = apr_hash_make(pchild);
    w->free = apr_palloc(pchild, sizeof(*w->free) * (apr_size_t)size);
    counts = apr_pcalloc(pchild, sizeof(*counts) * (apr_size_t)size);
    for (w->nfree = 0; w->nfree < size; ++w->nfree) {
        w->free[w->nfree] = &counts[w->nfree];
    }
    /* Grown here to its most, then emptied: apr_hash keeps the entries
     * and the buckets for reuse, so counting allocates nothing from pchild
     * (not thread-safe) on the worker threads. */
    for (int i = 0; i < size; ++i) {
        counts[i].hash = (apr_uint64_t)i + 1;
        apr_hash_set(w->counts, &counts[i].hash, sizeof(counts[i].hash), &counts[i]);
    }
    for (int i = 0; i < size; ++i) {
        apr_hash_set(w->counts, &counts[i].hash, sizeof(counts[i].hash), NULL);
    }
    return w;
}

/* FNV-1a, never 0 (0 marks a free slot). */
apr_uint64_t sd_waiters_hash(const char *key)
{
    apr_uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *c = (const unsigned char *)key; *c; ++c) {
        h = (h ^ *c) * 1099511628211ULL;
    }
    return h ? h : 1;
}

int sd_waiters_enter(sd_waiters *w, apr_uint64_t hash, int limit, int h2, int all_limit)
{
    waiter_count *c;
    int admitted = 0;
    apr_thread_mutex_lock(w->mutex);
    c = apr_hash_get(w->counts, &hash, sizeof(hash));
    /* No count left (more waiting sessions than it was sized for: threads
     * the MPM did not count): refused. */
    if (!c && w->nfree && w->total[h2] < all_limit && limit > 0) {
        c = w->free[--w->nfree];
        c->hash = hash;
        c->count = 0;
        apr_hash_set(w->counts, &c->hash, sizeof(c->hash), c);
    }
    if (c && w->total[h2] < all_limit && c->count < limit) {
        ++c->count;
        ++w->total[h2];
        admitted = 1;
    }
    apr_thread_mutex_unlock(w->mutex);
    return admitted;
}

void sd_waiters_leave(sd_waiters *w, apr_uint64_t hash, int h2)
{
    waiter_count *c;
    apr_thread_mutex_lock(w->mutex);
    --w->total[h2];
    c = apr_hash_get(w->counts, &hash, sizeof(hash));
    if (--c->count == 0) {
        apr_hash_set(w->counts, &c->hash, sizeof(c->hash), NULL);
        w->free[w->nfree++] = c;
    }
    apr_thread_mutex_unlock(w->mutex);
}

int sd_waiters_refusal_loud(sd_waiters *w, apr_uint32_t sec)
{
    return sd_log_loud_once_in_10s(&w->refusal_said, sec);
}
