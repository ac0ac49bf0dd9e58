/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the host lock table: one holder per key, other keys of the
 * stripe unaffected, a full stripe, release by token only, deadlines, and
 * across processes: a waiter woken by a release in another process, a
 * holder killed with SIGKILL (reaped or still a zombie), and processes
 * killed at random points of their takes and releases, after which every
 * key can still be taken (no stripe left locked). No timed assertions:
 * every wait below is far longer than what it waits for. */
#include "sd_host_lock.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_shm.h>
#include <apr_time.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define TTL apr_time_from_sec(60)
#define LONG_WAIT apr_time_from_sec(20)

/* A child that takes `hash`, says so on the pipe, then either waits to be
 * killed or sleeps `hold_us` and releases. */
static pid_t holder(sd_host_lock_table *t, apr_uint64_t hash, apr_interval_time_t hold_us)
{
    int fds[2];
    char c;
    pid_t pid;
    if (pipe(fds) != 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        sd_host_lock_hold h;
        close(fds[0]);
        if (sd_host_lock_acquire(t, hash, TTL, 0, &h) != SD_HOST_LOCK_TAKEN) {
            _exit(2);
        }
        if (write(fds[1], "x", 1) != 1) {
            _exit(3);
        }
        if (hold_us < 0) {
            for (;;) {
                pause();
            }
        }
        apr_sleep(hold_us);
        sd_host_lock_release(t, &h);
        _exit(0);
    }
    close(fds[1]);
    if (pid < 0 || read(fds[0], &c, 1) != 1) {
        pid = -1;
    }
    close(fds[0]);
    return pid;
}

int main(void)
{
    apr_pool_t *pool;
    sd_host_lock_table *t, *one, *none = NULL;
    sd_host_lock_hold a, a2, b, full[6], extra, stale, zombie, woken;
    apr_uint32_t held, reclaimed;
    pid_t pid;
    int status, ok;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    TAP_PLAN(27);

    TAP_OK(sd_host_lock_table_create(pool, 64, &t) == APR_SUCCESS, "a table of 64 stripes");
    TAP_OK(sd_host_lock_table_create(pool, 1, &one) == APR_SUCCESS, "a table of one stripe");
    TAP_OK(sd_host_lock_table_create(pool, 0, &none) == APR_EINVAL && !none, "none of no stripes");

    TAP_OK(sd_host_lock_acquire(t, 11, TTL, 0, &a) == SD_HOST_LOCK_TAKEN, "a free key is taken");
    TAP_OK(sd_host_lock_acquire(t, 11, TTL, 0, &a2) == SD_HOST_LOCK_BUSY, "a held key is busy");
    TAP_OK(sd_host_lock_acquire(t, 12, TTL, 0, &b) == SD_HOST_LOCK_TAKEN,
           "another key is taken while the first is held");
    {
        sd_host_lock_hold forged = a;
        forged.token ^= 1;
        sd_host_lock_release(t, &forged);
        TAP_OK(sd_host_lock_acquire(t, 11, TTL, 0, &a2) == SD_HOST_LOCK_BUSY,
               "a release with another token leaves the lock held");
    }
    sd_host_lock_counts(t, &held, &reclaimed);
    TAP_OK(held == 2 && reclaimed == 0, "two locks held, none reclaimed (%u, %u)", held, reclaimed);
    sd_host_lock_release(t, &a);
    TAP_OK(sd_host_lock_acquire(t, 11, TTL, 0, &a2) == SD_HOST_LOCK_TAKEN && !a2.reclaimed,
           "released, it is taken again, not reclaimed");
    sd_host_lock_release(t, &a);
    TAP_OK(sd_host_lock_acquire(t, 11, TTL, 0, &a) == SD_HOST_LOCK_BUSY,
           "a second release of an old hold does not free the new holder's lock");
    sd_host_lock_release(t, &a2);
    sd_host_lock_release(t, &b);

    ok = 1;
    for (int i = 0; i < 6; ++i) {
        ok &= sd_host_lock_acquire(one, 100 + i, TTL, 0, &full[i]) == SD_HOST_LOCK_TAKEN;
    }
    TAP_OK(ok, "six keys fill a stripe");
    TAP_OK(sd_host_lock_acquire(one, 200, TTL, 0, &extra) == SD_HOST_LOCK_BUSY,
           "a seventh key of a full stripe waits");
    sd_host_lock_release(one, &full[3]);
    TAP_OK(sd_host_lock_acquire(one, 200, TTL, 0, &extra) == SD_HOST_LOCK_TAKEN,
           "a freed slot takes the seventh key");
    for (int i = 0; i < 6; ++i) {
        sd_host_lock_release(one, &full[i]);
    }
    sd_host_lock_release(one, &extra);

    /* A hold past its deadline: what a hung request leaves behind. */
    TAP_OK(sd_host_lock_acquire(t, 21, 1, 0, &stale) == SD_HOST_LOCK_TAKEN, "a lock with a 1 µs ttl");
    apr_sleep(2000);
    TAP_OK(sd_host_lock_acquire(t, 21, TTL, 0, &a) == SD_HOST_LOCK_TAKEN && a.reclaimed,
           "past its deadline it is reclaimed by the next request");
    sd_host_lock_release(t, &stale);
    TAP_OK(sd_host_lock_acquire(t, 21, TTL, 0, &a2) == SD_HOST_LOCK_BUSY,
           "the overdue holder's late release leaves the new holder's lock alone");
    sd_host_lock_release(t, &a);

    /* A holder that renews its slot keeps it past the first deadline (a
     * Cluster request whose memcached lock is trusted longer). */
    TAP_OK(sd_host_lock_acquire(t, 22, 1, 0, &a) == SD_HOST_LOCK_TAKEN
           && sd_host_lock_renew(t, &a, TTL), "a slot taken with a 1 µs ttl is renewed for 60 s");
    apr_sleep(2000);
    TAP_OK(sd_host_lock_acquire(t, 22, TTL, 0, &a2) == SD_HOST_LOCK_BUSY,
           "... so it is not reclaimed after the first deadline");
    {
        sd_host_lock_hold forged = a;
        forged.token ^= 1;
        TAP_OK(!sd_host_lock_renew(t, &forged, TTL), "another token cannot renew it");
    }
    sd_host_lock_release(t, &a);

    /* Across processes. */
    pid = holder(t, 31, apr_time_from_msec(100));
    TAP_OK(pid > 0 && sd_host_lock_acquire(t, 31, TTL, LONG_WAIT, &woken) == SD_HOST_LOCK_TAKEN
           && !woken.reclaimed, "a waiter gets the lock when another process releases it");
    waitpid(pid, &status, 0);
    TAP_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other process took and released it");
    sd_host_lock_release(t, &woken);

    pid = holder(t, 41, -1);
    kill(pid, SIGKILL);
    /* Not reaped yet: a zombie, as a killed httpd child is until the parent
     * waits for it. */
    TAP_OK(pid > 0 && sd_host_lock_acquire(t, 41, TTL, LONG_WAIT, &zombie) == SD_HOST_LOCK_TAKEN
           && zombie.reclaimed, "a lock of a killed process (not yet reaped) is reclaimed");
    waitpid(pid, &status, 0);
    sd_host_lock_release(t, &zombie);

    pid = holder(t, 42, -1);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    TAP_OK(pid > 0 && sd_host_lock_acquire(t, 42, TTL, LONG_WAIT, &zombie) == SD_HOST_LOCK_TAKEN
           && zombie.reclaimed, "a lock of a killed and reaped process is reclaimed");
    sd_host_lock_release(t, &zombie);

    /* Mutual exclusion across processes, and every waiter served when a
     * release wakes only one of them. */
    {
        apr_shm_t *shm;
        volatile int *shared = apr_shm_create(&shm, 4096, NULL, pool) == APR_SUCCESS
                               ? apr_shm_baseaddr_get(shm) : NULL;
        pid_t kids[8];
        int all_ok = 1;
        shared[0] = shared[1] = shared[2] = 0;   /* inside, overlaps, turns */
        for (int k = 0; k < 8; ++k) {
            kids[k] = fork();
            if (kids[k] == 0) {
                for (int i = 0; i < 100; ++i) {
                    sd_host_lock_hold h;
                    if (sd_host_lock_acquire(t, 51, TTL, LONG_WAIT, &h) != SD_HOST_LOCK_TAKEN) {
                        _exit(1);
                    }
                    if (__atomic_add_fetch(&shared[0], 1, __ATOMIC_SEQ_CST) != 1) {
                        __atomic_add_fetch(&shared[1], 1, __ATOMIC_SEQ_CST);
                    }
                    __atomic_sub_fetch(&shared[0], 1, __ATOMIC_SEQ_CST);
                    __atomic_add_fetch(&shared[2], 1, __ATOMIC_SEQ_CST);
                    sd_host_lock_release(t, &h);
                }
                _exit(0);
            }
        }
        for (int k = 0; k < 8; ++k) {
            waitpid(kids[k], &status, 0);
            all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        TAP_OK(all_ok && shared[2] == 800, "8 processes x 100 holds of one key: all taken (%d)", shared[2]);
        TAP_OK(shared[1] == 0, "... never two holders at once (%d overlaps)", shared[1]);
    }

    /* Processes killed wherever they are in their loops of takes and
     * releases on the one stripe, some inside its mutex. */
    for (int round = 0; round < 200; ++round) {
        pid_t kids[3];
        for (int k = 0; k < 3; ++k) {
            kids[k] = fork();
            if (kids[k] == 0) {
                for (unsigned int i = 0;; ++i) {
                    sd_host_lock_hold h;
                    if (sd_host_lock_acquire(one, 300 + (i + (unsigned)k) % 9, TTL, LONG_WAIT, &h)
                        == SD_HOST_LOCK_TAKEN) {
                        sd_host_lock_release(one, &h);
                    }
                }
            }
        }
        apr_sleep((apr_interval_time_t)(200 + (unsigned)rand() % 3000));
        for (int k = 0; k < 3; ++k) {
            kill(kids[k], SIGKILL);
        }
        for (int k = 0; k < 3; ++k) {
            waitpid(kids[k], &status, 0);
        }
    }
    ok = 1;
    for (int i = 0; i < 9; ++i) {
        sd_host_lock_hold h;
        ok &= sd_host_lock_acquire(one, 300 + i, TTL, LONG_WAIT, &h) == SD_HOST_LOCK_TAKEN;
        sd_host_lock_release(one, &h);
    }
    TAP_OK(ok, "after 600 processes were killed mid-loop, every key is taken again");
    sd_host_lock_counts(one, &held, &reclaimed);
    TAP_OK(held == 0, "and none is left held (%u; %u reclaimed in all)", held, reclaimed);

    apr_terminate();
    TAP_DONE();
}
