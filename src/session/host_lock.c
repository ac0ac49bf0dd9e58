/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A lock is a slot (hash, pid, token, deadline) in a stripe guarded by a
 * robust mutex held only for a take or a release, so a killed holder
 * leaves a slot that the next waiter reclaims, not a locked mutex; one
 * killed inside those stores leaves EOWNERDEAD, and a half-written slot has
 * a dead owner. Waiters sleep on a bare futex, not a pthread condition:
 * glibc's process-shared conditions keep an internal lock that a process
 * killed inside pthread_cond_* leaves taken for good (the unit test's
 * random kills found it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sd_host_lock.h"

#include <apr_general.h>
#include <apr_shm.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SD_HOST_LOCK_WAYS 6
/* How long a waiter sleeps before it looks whether the holder still lives:
 * a holder's death wakes nobody, a release does. */
#define SD_HOST_LOCK_LIVENESS_CHECK 50000 /* µs */
#define MIXED ((apr_uint64_t)-1)

typedef struct {
    apr_uint64_t hash;            /* 0: free                             */
    apr_uint64_t token;
    pid_t owner;
    apr_int64_t deadline;         /* CLOCK_MONOTONIC, µs                  */
} slot;

typedef struct {
    pthread_mutex_t mutex;
    apr_uint32_t released;        /* futex: one more at every release      */
    apr_uint32_t waiting;         /* sleepers, or more (a killed one stays) */
    apr_uint64_t waiting_for;     /* the hash all sleepers wait for, or
                                     MIXED: every release wakes all (slower,
                                     never wrong; a killed sleeper may cause it) */
    slot slots[SD_HOST_LOCK_WAYS];
} __attribute__((aligned(64))) stripe;

struct sd_host_lock_table {
    apr_uint64_t seed;            /* random: which keys share a stripe is
                                     nobody's guess, so no client can pick
                                     session IDs that fill one            */
    apr_uint32_t nstripes;
    apr_uint32_t reclaimed;       /* atomic                               */
    apr_uint64_t next_token;      /* atomic                               */
    stripe stripes[];
};

/* One clock for every process, which no change of the time of day moves. */
static apr_int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void futex_sleep(apr_uint32_t *word, apr_uint32_t seen, apr_int64_t us)
{
    struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
    syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, NULL, 0);
}

static void futex_wake(apr_uint32_t *word, int how_many)
{
    syscall(SYS_futex, word, FUTEX_WAKE, how_many, NULL, NULL, 0);
}

static int stripe_lock(stripe *s)
{
    int rc = pthread_mutex_lock(&s->mutex);
    if (rc == EOWNERDEAD) {
        rc = pthread_mutex_consistent(&s->mutex);
    }
    return rc;
}

/* kill() cannot tell a zombie (not yet reaped by httpd's parent, which may
 * take a second) from a live process, so a thorough look reads its state. */
static int holder_gone(pid_t pid, int thorough)
{
    char path[64], buf[256];
    FILE *f;
    const char *paren;
    size_t n;

    if (pid == getpid()) {
        return 0;
    }
    if (kill(pid, 0) == -1 && errno == ESRCH) {
        return 1;
    }
    if (!thorough) {
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (!(f = fopen(path, "re"))) {
        return errno == ENOENT;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ...": the command may hold parentheses itself. */
    paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

static stripe *stripe_of(sd_host_lock_table *t, apr_uint64_t hash)
{
    /* splitmix64's finaliser of the seeded hash. */
    apr_uint64_t x = hash ^ t->seed;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return &t->stripes[x % t->nstripes];
}

sd_host_lock_result sd_host_lock_acquire(sd_host_lock_table *t, apr_uint64_t hash,
                                         apr_interval_time_t ttl, apr_interval_time_t wait,
                                         sd_host_lock_hold *out)
{
    stripe *s = stripe_of(t, hash);
    apr_int64_t give_up = mono_now() + (wait > 0 ? wait : 0);
    int look_closer = 0, rc;

    out->hash = hash ? hash : 1;
    out->token = __atomic_add_fetch(&t->next_token, 1, __ATOMIC_RELAXED);
    out->reclaimed = 0;
    out->waited = 0;
    if (stripe_lock(s) != 0) {
        return SD_HOST_LOCK_ERROR;
    }
    for (;;) {
        apr_int64_t now = mono_now(), wake;
        slot *held = NULL, *free_slot = NULL;

        for (int i = 0; i < SD_HOST_LOCK_WAYS; ++i) {
            slot *x = &s->slots[i];
            if (x->hash && (x->deadline <= now
                            || (look_closer && holder_gone(x->owner, look_closer > 1)))) {
                out->reclaimed |= x->hash == out->hash;
                x->hash = 0;
                __atomic_add_fetch(&t->reclaimed, 1, __ATOMIC_RELAXED);
            }
            if (x->hash == out->hash) {
                held = x;
            }
            else if (!x->hash && !free_slot) {
                free_slot = x;
            }
        }
        if (!held && free_slot) {
            free_slot->owner = getpid();
            free_slot->token = out->token;
            free_slot->deadline = now + ttl;
            free_slot->hash = out->hash;
            pthread_mutex_unlock(&s->mutex);
            return SD_HOST_LOCK_TAKEN;
        }
        if (now >= give_up) {
            /* A release may have woken this request alone (see below) just
             * as it gave up: pass the wake on, or the next sleeper would
             * wait for its liveness check. */
            if (!held && s->waiting) {
                __atomic_add_fetch(&s->released, 1, __ATOMIC_RELEASE);
                futex_wake(&s->released, 1);
            }
            pthread_mutex_unlock(&s->mutex);
            return SD_HOST_LOCK_BUSY;
        }
        if (!look_closer) {
            look_closer = 1;  /* the first time it is busy: is the holder alive? */
            continue;
        }
        wake = now + SD_HOST_LOCK_LIVENESS_CHECK;
        if (held && held->deadline < wake) {
            wake = held->deadline;
        }
        if (give_up < wake) {
            wake = give_up;
        }
        {
            apr_uint32_t seen = __atomic_load_n(&s->released, __ATOMIC_ACQUIRE);
            apr_uint64_t awaited = held ? out->hash : MIXED;
            s->waiting_for = s->waiting == 0 || s->waiting_for == awaited ? awaited : MIXED;
            ++s->waiting;
            out->waited = 1;
            pthread_mutex_unlock(&s->mutex);
            futex_sleep(&s->released, seen, wake - now);
            if ((rc = stripe_lock(s)) != 0) {
                return SD_HOST_LOCK_ERROR;
            }
            if (--s->waiting == 0) {
                s->waiting_for = 0;
            }
            /* Nobody released: maybe a zombie holds it. */
            look_closer = __atomic_load_n(&s->released, __ATOMIC_ACQUIRE) == seen ? 2 : 1;
        }
    }
}

int sd_host_lock_renew(sd_host_lock_table *t, const sd_host_lock_hold *hold,
                       apr_interval_time_t ttl)
{
    stripe *s = stripe_of(t, hold->hash);
    int renewed = 0;
    if (stripe_lock(s) != 0) {
        return 0;
    }
    for (int i = 0; i < SD_HOST_LOCK_WAYS; ++i) {
        slot *x = &s->slots[i];
        if (x->hash == hold->hash && x->token == hold->token) {
            x->deadline = mono_now() + ttl;
            renewed = 1;
            break;
        }
    }
    pthread_mutex_unlock(&s->mutex);
    return renewed;
}

void sd_host_lock_release(sd_host_lock_table *t, const sd_host_lock_hold *hold)
{
    stripe *s = stripe_of(t, hold->hash);
    if (stripe_lock(s) != 0) {
        return;  /* the slot ends at its deadline */
    }
    for (int i = 0; i < SD_HOST_LOCK_WAYS; ++i) {
        slot *x = &s->slots[i];
        if (x->hash == hold->hash && x->token == hold->token) {
            x->hash = 0;
            __atomic_add_fetch(&s->released, 1, __ATOMIC_RELEASE);
            /* When every sleeper waits for this very lock, one of them
             * gets it: waking the others would only put them back to
             * sleep (a hot session has dozens). Otherwise all wake: some
             * may wait for another lock or for a free slot. */
            if (s->waiting) {
                futex_wake(&s->released, s->waiting_for == hold->hash ? 1 : INT_MAX);
            }
            break;
        }
    }
    pthread_mutex_unlock(&s->mutex);
}

void sd_host_lock_counts(sd_host_lock_table *t, apr_uint32_t *held, apr_uint32_t *reclaimed)
{
    apr_uint32_t n = 0;
    apr_int64_t now = mono_now();
    /* Without the mutexes: a figure for a page, not a decision. */
    for (apr_uint32_t i = 0; i < t->nstripes; ++i) {
        for (int j = 0; j < SD_HOST_LOCK_WAYS; ++j) {
            const slot *x = &t->stripes[i].slots[j];
            n += __atomic_load_n(&x->hash, __ATOMIC_RELAXED) != 0
                 && __atomic_load_n(&x->deadline, __ATOMIC_RELAXED) > now;
        }
    }
    *held = n;
    *reclaimed = __atomic_load_n(&t->reclaimed, __ATOMIC_RELAXED);
}

apr_status_t sd_host_lock_table_create(apr_pool_t *pool, unsigned int stripes,
                                       sd_host_lock_table **out)
{
    /* APR's segment need not start on a cache line (on Linux it is 8 bytes
     * into its mapping), and each stripe wants lines of its own. */
    const apr_uintptr_t align = _Alignof(stripe);
    const apr_size_t size = sizeof(sd_host_lock_table) + (apr_size_t)stripes * sizeof(stripe);
    sd_host_lock_table *t;
    pthread_mutexattr_t ma;
    apr_shm_t *shm;
    int rc;

    if (stripes == 0) {
        return APR_EINVAL;
    }
    if ((rc = apr_shm_create(&shm, size + align - 1, NULL, pool)) != APR_SUCCESS) {
        return rc;
    }
    t = (void *)(((apr_uintptr_t)apr_shm_baseaddr_get(shm) + align - 1) & ~(align - 1));
    memset(t, 0, size);  /* APR does not promise zeroed memory */
    t->nstripes = stripes;
    if (apr_generate_random_bytes((unsigned char *)&t->seed, sizeof(t->seed)) != APR_SUCCESS) {
        t->seed = (apr_uint64_t)mono_now() * 0x9e3779b97f4a7c15ULL;
    }
    if ((rc = pthread_mutexattr_init(&ma)) == 0) {
        if ((rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED)) == 0
            && (rc = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) == 0) {
            for (unsigned int i = 0; i < stripes && rc == 0; ++i) {
                rc = pthread_mutex_init(&t->stripes[i].mutex, &ma);
            }
        }
        pthread_mutexattr_destroy(&ma);
    }
    if (rc != 0) {
        apr_shm_destroy(shm);
        return rc;
    }
    *out = t;
    return APR_SUCCESS;
}
