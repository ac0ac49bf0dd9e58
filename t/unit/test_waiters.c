/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the per-child lock-waiter table: the limit per session,
 * sessions that collide in the table, and removal that keeps every other
 * session findable (checked against a plain model over random operations). */
#include "sd_waiters.h"
#include "tap.h"

#include <apr_general.h>
#include <stdlib.h>

#define SESSIONS 40

int main(void)
{
    apr_pool_t *p;
    sd_waiters *w;
    apr_uint64_t h[SESSIONS];
    int model[SESSIONS] = { 0 };
    int ok = 1, refused = 0;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(14);

    w = sd_waiters_create(p, SESSIONS);
    TAP_OK(w != NULL, "a table for %d waiting sessions", SESSIONS);
    TAP_OK(sd_waiters_hash("sess:a.lock") != 0 && sd_waiters_hash("") != 0, "hashes are never 0");
    TAP_OK(sd_waiters_hash("sess:a.lock") != sd_waiters_hash("sess:b.lock"), "different keys, different hashes");

    for (int i = 0; i < 3; ++i) {
        ok &= sd_waiters_enter(w, 42, 3, 0, 99);
    }
    TAP_OK(ok, "three waiters of one session are counted under a limit of 3");
    TAP_OK(!sd_waiters_enter(w, 42, 3, 0, 99), "the fourth is refused");
    sd_waiters_leave(w, 42, 0);
    TAP_OK(sd_waiters_enter(w, 42, 3, 0, 99), "after one leaves, another is admitted");
    for (int i = 0; i < 3; ++i) {
        sd_waiters_leave(w, 42, 0);
    }

    /* Every session's waiters together stay under the threads' limit, which
     * counts the MPM's threads and mod_http2's workers apart. */
    ok = sd_waiters_enter(w, 1, 3, 0, 4) && sd_waiters_enter(w, 1, 3, 0, 4)
         && sd_waiters_enter(w, 1, 3, 0, 4) && sd_waiters_enter(w, 2, 3, 0, 4);
    TAP_OK(ok && !sd_waiters_enter(w, 2, 3, 0, 4),
           "two sessions under 3 each and 4 in all: the fifth waiter is refused");
    TAP_OK(sd_waiters_enter(w, 2, 3, 1, 4), "... but one on mod_http2's workers is counted apart");
    sd_waiters_leave(w, 2, 1);
    for (int i = 0; i < 3; ++i) {
        sd_waiters_leave(w, 1, 0);
    }
    sd_waiters_leave(w, 2, 0);

    /* Hashes that all land on a few slots: probing and backward-shift
     * removal must keep each session's count its own. */
    for (int i = 0; i < SESSIONS; ++i) {
        h[i] = ((apr_uint64_t)(i + 1) << 32) | (apr_uint64_t)(i % 3);
    }
    srand(7);
    ok = 1;
    for (int step = 0; step < 20000; ++step) {
        int i = rand() % SESSIONS;
        if (rand() % 2 && model[i] > 0) {
            sd_waiters_leave(w, h[i], 0);
            --model[i];
        }
        else {
            int admitted = sd_waiters_enter(w, h[i], 2, 0, 99);
            if (admitted != (model[i] < 2)) {
                ok = 0;
            }
            model[i] += admitted;
            refused += !admitted;
        }
    }
    TAP_OK(ok, "20000 random enters and leaves over colliding hashes agree with the model");
    TAP_OK(refused > 0, "... including %d refusals at the limit", refused);

    /* More waiting sessions than the table was sized for (threads the MPM
     * did not count): refused, never a spin under the mutex. */
    {
        sd_waiters *small = sd_waiters_create(p, 4);
        int admitted = 0;
        for (apr_uint64_t i = 1; i <= 17; ++i) {
            admitted += sd_waiters_enter(small, i * 7919, 8, 0, 99);
        }
        TAP_OK(admitted == 16, "a full table (16 slots) admits 16 sessions and refuses the 17th");
        TAP_OK(sd_waiters_refusal_loud(small, 1000) && !sd_waiters_refusal_loud(small, 1000)
               && !sd_waiters_refusal_loud(small, 1009) && sd_waiters_refusal_loud(small, 1010),
               "a flood's refusals: the first said loudly, the rest of 10 s quietly, then loudly again");
        /* The second is the request's, and a request read a moment before
         * the loud one's may be refused after it. */
        TAP_OK(!sd_waiters_refusal_loud(small, 1009) && !sd_waiters_refusal_loud(small, 1015),
               "a refusal of a request older than the loud one's stays quiet, and the 10 s hold");
    }

    /* Counting allocates nothing: the table lives in httpd's child pool,
     * which is not thread-safe, and requests of every worker thread count
     * (the mutex orders them, not the prober and replay threads or httpd
     * using that pool). Two allocations from the pool around a burst of
     * counts lie side by side only when the counts took none of it. */
    {
        apr_pool_t *child;
        sd_waiters *fixed;
        char *before, *after;
        int adjacent = 0;
        apr_pool_create(&child, p);
        fixed = sd_waiters_create(child, SESSIONS);
        before = apr_palloc(child, 8);
        for (int tries = 0; tries < 8 && !adjacent; ++tries) {
            after = apr_palloc(child, 8);
            adjacent = after == before + 8;
            before = after;
        }
        for (apr_uint64_t i = 1; i <= 2 * SESSIONS; ++i) {
            sd_waiters_enter(fixed, i * 104729, 3, 0, 4 * SESSIONS);
        }
        for (apr_uint64_t i = 1; i <= 2 * SESSIONS; ++i) {
            sd_waiters_leave(fixed, i * 104729, 0);
        }
        after = apr_palloc(child, 8);
        if (!adjacent) {
            printf("# this APR's pool does not place allocations side by side: not checked\n");
        }
        TAP_OK(!adjacent || after == before + 8,
               "entering and leaving allocate nothing from the child's pool");
        apr_pool_destroy(child);
    }

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
