/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Per-child counts of the requests waiting for each session's lock. */
#include "sd_waiters.h"
#include "sd_log.h"

#include <apr_atomic.h>
#include <apr_thread_mutex.h>

/* Open addressing, twice as many slots as threads that can wait; threads
 * beyond those are refused. */
typedef struct {
    apr_uint64_t hash;        /* 0: free */
    int count;
} waiter_slot;

struct sd_waiters {
    apr_thread_mutex_t *mutex;
    waiter_slot *slots;
    apr_size_t mask;
    int total[2];             /* waiters on the MPM's threads, on mod_http2's */
    apr_uint32_t refusal_said; /* second of the last loud refusal */
};

sd_waiters *sd_waiters_create(apr_pool_t *pchild, int max_sessions)
{
    sd_waiters *w = apr_pcalloc(pchild, sizeof(*w));
    apr_size_t size = 16;
    while (size < (apr_size_t)max_sessions * 2) {
        size *= 2;
    }
    if (apr_thread_mutex_create(&w->mutex, APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS) {
        return NULL;
    }
    w->slots = apr_pcalloc(pchild, sizeof(waiter_slot) * size);
    w->mask = size - 1;
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

/* The slot of `hash`, or a free one for it (hash still 0), or NULL when
 * the table is full. Under the mutex. */
static waiter_slot *find(sd_waiters *w, apr_uint64_t hash)
{
    apr_size_t i = (apr_size_t)hash & w->mask, probes = 0;
    while (w->slots[i].hash && w->slots[i].hash != hash) {
        if (probes++ >= w->mask) {
            return NULL;
        }
        i = (i + 1) & w->mask;
    }
    return &w->slots[i];
}

/* Frees an unused slot. Backward-shift deletion keeps every probe chain
 * unbroken. Under the mutex. */
static void drop_if_unused(sd_waiters *w, waiter_slot *slot)
{
    apr_size_t i = (apr_size_t)(slot - w->slots), hole, j;
    if (slot->count) {
        return;
    }
    w->slots[i].hash = 0;
    hole = i;
    for (j = (i + 1) & w->mask; w->slots[j].hash; j = (j + 1) & w->mask) {
        apr_size_t home = (apr_size_t)w->slots[j].hash & w->mask;
        if (((j - home) & w->mask) >= ((j - hole) & w->mask)) {
            w->slots[hole] = w->slots[j];
            w->slots[j].hash = 0;
            w->slots[j].count = 0;
            hole = j;
        }
    }
}

int sd_waiters_enter(sd_waiters *w, apr_uint64_t hash, int limit, int h2, int all_limit)
{
    int admitted = 0;
    waiter_slot *slot;
    apr_thread_mutex_lock(w->mutex);
    /* A full table (more waiting sessions than it was sized for: threads
     * the MPM did not count) refuses rather than spins. */
    if (w->total[h2] < all_limit && (slot = find(w, hash)) != NULL && slot->count < limit) {
        slot->hash = hash;
        ++slot->count;
        ++w->total[h2];
        admitted = 1;
    }
    apr_thread_mutex_unlock(w->mutex);
    return admitted;
}

void sd_waiters_leave(sd_waiters *w, apr_uint64_t hash, int h2)
{
    waiter_slot *slot;
    apr_thread_mutex_lock(w->mutex);
    --w->total[h2];
    slot = find(w, hash);
    --slot->count;
    drop_if_unused(w, slot);
    apr_thread_mutex_unlock(w->mutex);
}

int sd_waiters_refusal_loud(sd_waiters *w, apr_uint32_t sec)
{
    return sd_log_loud_once_in_10s(&w->refusal_said, sec);
}
