/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the counters' shared block: processes forked after the
 * mapping add to the same counters and histograms without losing an
 * update; the block is APR's, released with the pool it was made from;
 * the bucket an observation lands in; the name table and the layout
 * number. */
#include "sd_stats.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROCS 4
#define PER 100000

/* Whether `addr` is in one of this process's mappings. */
static int mapped(const void *addr)
{
    FILE *f = fopen("/proc/self/maps", "re");
    unsigned long lo, hi, a = (unsigned long)addr;
    char line[512];
    int found = 0;
    while (f && !found && fgets(line, sizeof(line), f)) {
        found = sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi;
    }
    if (f) {
        fclose(f);
    }
    return found;
}

int main(void)
{
    apr_pool_t *pool, *scratch;
    apr_shm_t *shm, *shm2;
    sd_stats *st = NULL, *st2 = NULL;
    sd_stats_snapshot snap;
    pid_t pids[PROCS];
    int clean = 1, seen_created = 0, seen_lock = 0, names_ok = 1;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    apr_pool_create(&scratch, NULL);
    TAP_PLAN(19);
    TAP_OK(sd_stats_create(pool, &shm, &st) == APR_SUCCESS && st
           && (void *)st == apr_shm_baseaddr_get(shm), "a block in APR shared memory");
    TAP_OK(sd_stats_counter_value(st, 0) == 0, "it starts at zero");

    for (int i = 0; i < PROCS; ++i) {
        if ((pids[i] = fork()) == 0) {
            for (int n = 0; n < PER; ++n) {
                SD_STATS_INC(st, created);
                SD_STATS_ADD(st, replayed, 2);
                sd_stats_observe(&st->store_calls[SD_STATS_STORE_get], n % 2 ? 40 : 3000);
            }
            _exit(0);
        }
    }
    for (int i = 0; i < PROCS; ++i) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    TAP_OK(clean, "%d processes counted", PROCS);
    TAP_OK(st->created == (apr_uint64_t)PROCS * PER, "no increment lost across processes (%lu)",
           (unsigned long)st->created);
    TAP_OK(st->replayed == (apr_uint64_t)PROCS * PER * 2, "nor an addition");
    sd_stats_histogram_read(&st->store_calls[SD_STATS_STORE_get], &snap);
    TAP_OK(snap.cumulative[SD_STATS_NBUCKETS] == (apr_uint64_t)PROCS * PER,
           "the histogram's count is every observation");
    TAP_OK(snap.cumulative[0] == (apr_uint64_t)PROCS * PER / 2 && snap.cumulative[5] == snap.cumulative[0]
           && snap.cumulative[6] == snap.cumulative[SD_STATS_NBUCKETS],
           "40 us in the first bucket (<= 50 us), 3 ms in the one of 5 ms, cumulated");
    TAP_OK(snap.sum_us == (apr_uint64_t)PROCS * (PER / 2) * (40 + 3000), "the sum, in microseconds");

    {
        sd_stats_histogram h;
        memset(&h, 0, sizeof(h));
        sd_stats_observe(&h, 50);
        sd_stats_observe(&h, 51);
        sd_stats_observe(&h, -5);
        sd_stats_observe(&h, 999999999);
        sd_stats_histogram_read(&h, &snap);
        TAP_OK(snap.cumulative[0] == 2 && snap.cumulative[1] == 3, "a bound is its bucket's own (le), negative counts as 0");
        TAP_OK(snap.cumulative[SD_STATS_NBUCKETS - 1] == 3 && snap.cumulative[SD_STATS_NBUCKETS] == 4,
               "above the last bound: only in +Inf");
        sd_stats_observe(NULL, 5);
    }

    for (int i = 0; i < SD_STATS_NCOUNTERS; ++i) {
        const char *name = sd_stats_counter_name(i);
        names_ok &= name && *name && sd_stats_counter_help(i) && *sd_stats_counter_help(i);
        for (const char *c = name ? name : ""; *c; ++c) {
            names_ok &= (*c >= 'a' && *c <= 'z') || *c == '_';
        }
        seen_created |= name && strcmp(name, "sessions_created") == 0
                        && sd_stats_counter_value(st, i) == (apr_uint64_t)PROCS * PER;
        seen_lock |= name && strcmp(name, "lock_waits") == 0;
    }
    TAP_OK(names_ok, "%d counters, each with a lower-case name and help", SD_STATS_NCOUNTERS);
    TAP_OK(seen_created && seen_lock, "the table reads the fields it names");
    TAP_OK(sd_stats_counter_name(SD_STATS_NCOUNTERS) == NULL && sd_stats_counter_value(NULL, 0) == 0,
           "out of range and NULL are safe");
    TAP_OK(sd_stats_layout() == sd_stats_layout() && sd_stats_layout() != 0, "a layout number");
    {
        int a = sd_stats_server_claim(st, "10.0.0.1:11211"), b = sd_stats_server_claim(st, "10.0.0.2:11211");
        int full = 1;
        TAP_OK(a != b && sd_stats_server_claim(st, "10.0.0.1:11211") == a
               && sd_stats_server_find(st, "10.0.0.2:11211") == b
               && strcmp(st->servers[b].name, "10.0.0.2:11211") == 0,
               "a server's slot is claimed once and found again");
        for (int i = 0; i < SD_STATS_MAX_SERVERS + 4; ++i) {
            full &= sd_stats_server_claim(st, apr_psprintf(pool, "10.1.0.%d:1", i)) >= 0;
        }
        TAP_OK(full && sd_stats_server_find(st, "10.1.0.99:1") == SD_STATS_MAX_SERVERS - 1
               && strcmp(st->servers[SD_STATS_MAX_SERVERS - 1].name, "other") == 0,
               "servers past the table share the last slot, \"other\"");
        TAP_OK(sd_stats_server_find(NULL, "10.0.0.1:11211") == -1, "NULL stats: no slot");
    }
    TAP_OK(sd_stats_create(scratch, &shm2, &st2) == APR_SUCCESS && mapped(st2),
           "another block, from another pool");
    apr_pool_destroy(scratch);
    TAP_OK(!mapped(st2) && mapped(st), "it is unmapped with its pool, the first one is not");
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_failed;
}
