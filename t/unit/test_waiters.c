/* Unit tests for the per-child lock-waiter table: the limit per session,
 * sessions that collide in the table, and removal that keeps every other
 * session findable (checked against a plain model over random operations);
 * the session's turn: one holder at a time, a waiter woken when it ends,
 * and threads taking turns never overlapping. */
#include "sd_waiters.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_thread_proc.h>
#include <apr_time.h>
#include <stdlib.h>

#define SESSIONS 40

typedef struct {
    sd_waiters *w;
    apr_uint64_t hash;
    volatile int inside;      /* threads inside their turn at once */
    volatile int overlaps;
    volatile int turns;
} turn_ctx;

static void *APR_THREAD_FUNC take_turns(apr_thread_t *thread, void *data)
{
    turn_ctx *c = data;
    for (int i = 0; i < 200; ++i) {
        if (!sd_waiters_enter(c->w, c->hash, 100)) {
            continue;
        }
        if (!sd_waiters_take_turn(c->w, c->hash, apr_time_now() + apr_time_from_sec(30))) {
            sd_waiters_leave(c->w, c->hash);
            continue;
        }
        if (__atomic_add_fetch(&c->inside, 1, __ATOMIC_SEQ_CST) != 1) {
            __atomic_add_fetch(&c->overlaps, 1, __ATOMIC_SEQ_CST);
        }
        apr_thread_yield();
        __atomic_sub_fetch(&c->inside, 1, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&c->turns, 1, __ATOMIC_SEQ_CST);
        sd_waiters_end_turn(c->w, c->hash);
    }
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

int main(void)
{
    apr_pool_t *p;
    sd_waiters *w;
    apr_uint64_t h[SESSIONS];
    int model[SESSIONS] = { 0 };
    int ok = 1, refused = 0;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(16);

    w = sd_waiters_create(p, SESSIONS);
    TAP_OK(w != NULL, "a table for %d waiting sessions", SESSIONS);
    TAP_OK(sd_waiters_hash("sess:a.lock") != 0 && sd_waiters_hash("") != 0, "hashes are never 0");
    TAP_OK(sd_waiters_hash("sess:a.lock") != sd_waiters_hash("sess:b.lock"), "different keys, different hashes");

    for (int i = 0; i < 3; ++i) {
        ok &= sd_waiters_enter(w, 42, 3);
    }
    TAP_OK(ok, "three waiters of one session are counted under a limit of 3");
    TAP_OK(!sd_waiters_enter(w, 42, 3), "the fourth is refused");
    sd_waiters_leave(w, 42);
    TAP_OK(sd_waiters_enter(w, 42, 3), "after one leaves, another is admitted");
    for (int i = 0; i < 3; ++i) {
        sd_waiters_leave(w, 42);
    }

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
            sd_waiters_leave(w, h[i]);
            --model[i];
        }
        else {
            int admitted = sd_waiters_enter(w, h[i], 2);
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
            admitted += sd_waiters_enter(small, i * 7919, 8);
        }
        TAP_OK(admitted == 16, "a full table (16 slots) admits 16 sessions and refuses the 17th");
    }

    /* Turns. */
    {
        sd_waiters *tw = sd_waiters_create(p, 16);
        turn_ctx c = { tw, 99, 0, 0, 0 };
        apr_thread_t *threads[8];
        apr_status_t rv;

        TAP_OK(sd_waiters_try_turn(tw, 99), "a session's turn is free at first");
        TAP_OK(!sd_waiters_try_turn(tw, 99), "... and not twice");
        TAP_OK(sd_waiters_try_turn(tw, 98), "another session's turn is its own");
        sd_waiters_enter(tw, 99, 4);
        TAP_OK(!sd_waiters_take_turn(tw, 99, apr_time_now()), "a waiter whose time is up does not get a taken turn");
        sd_waiters_end_turn(tw, 99);
        TAP_OK(sd_waiters_take_turn(tw, 99, apr_time_now()), "once it ends, the (still counted) waiter gets it");
        sd_waiters_end_turn(tw, 99);
        sd_waiters_end_turn(tw, 98);
        TAP_OK(sd_waiters_try_turn(tw, 99) && sd_waiters_enter(tw, 99, 1) && !sd_waiters_enter(tw, 99, 1),
               "the turn's holder is not counted as a waiter");
        sd_waiters_leave(tw, 99);
        sd_waiters_end_turn(tw, 99);

        for (int i = 0; i < 8; ++i) {
            apr_thread_create(&threads[i], NULL, take_turns, &c, p);
        }
        for (int i = 0; i < 8; ++i) {
            apr_thread_join(&rv, threads[i]);
        }
        TAP_OK(c.turns == 1600 && c.overlaps == 0,
               "8 threads x 200 turns of one session: %d turns, %d overlaps", c.turns, c.overlaps);
    }

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
