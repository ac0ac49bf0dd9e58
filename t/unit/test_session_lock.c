/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the session lock, against an in-memory store with
 * memcached's one-second clock and a clock moved by hand: a holder never
 * trusts its lock past the moment memcached may drop it, whatever the phase
 * of memcached's clock and however long the add took; a busy lock is not
 * waited for in TRY mode and is waited for only SessionDemoLockWait in WAIT
 * mode; the release names the holder's own token; SessionDemoLockWaiters
 * refuses the waiter over the limit without asking the store. */
#include "sd_session_lock.h"
#include "fake_clock.h"
#include "fake_lock_store.h"
#include "fake_request.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

int main(void)
{
    apr_pool_t *pool;
    sd_config conf;
    sd_vhost v;
    sd_store store;
    sd_session_lock *lock = NULL, *other = NULL;
    request_rec *r, *r2;
    const char *key;
    int ok_trust = 1, ok_fresh = 1, rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    TAP_PLAN(16);

    memset(&conf, 0, sizeof(conf));
    conf.key_prefix = "sess:";
    conf.realm = "shop";
    conf.lock = SD_LOCK_CLUSTER;
    conf.lock_ttl = 2;
    conf.lock_wait_ms = 300;
    conf.lock_waiters = 2;
    memset(&v, 0, sizeof(v));
    v.conf = &conf;
    v.rt.store = &store;
    key = sd_session_lock_key(pool, &conf, "ID");

    /* Every phase of memcached's clock, with adds that take 0 to 0.9 s. */
    for (int transit_ms = 0; transit_ms <= 450; transit_ms += 150) {
        for (int phase_ms = 0; phase_ms < 1000; phase_ms += 37) {
            apr_time_t sent, drop;
            memset(&store, 0, sizeof(store));
            store.transit = apr_time_from_msec(transit_ms);
            fake_clock_set(apr_time_from_sec(100) + apr_time_from_msec(phase_ms));
            sent = apr_time_now();
            r = fake_request(pool, NULL);
            if (sd_session_lock_acquire(r, &v, "ID", SD_LOCK_WAIT, &lock) != SD_OK) {
                ok_fresh = 0;
                continue;
            }
            drop = fake_lock_store_drop_time(sent + store.transit, conf.lock_ttl);
            ok_fresh &= transit_ms > 0 || sd_session_lock_trusted(lock);
            fake_clock_set(drop);
            ok_trust &= !sd_session_lock_trusted(lock) && !fake_lock_store_value(&store, key);
            apr_pool_destroy(r->pool);
        }
    }
    TAP_OK(ok_fresh, "a lock just taken is trusted");
    TAP_OK(ok_trust, "at the moment memcached drops it, the holder no longer trusts it"
                     " (every clock phase, adds taking up to 0.9 s)");

    /* Trust ends one second before the TTL, counted from the add's send. */
    memset(&store, 0, sizeof(store));
    fake_clock_set(apr_time_from_sec(200) + apr_time_from_msec(999));
    r = fake_request(pool, NULL);
    TAP_OK(sd_session_lock_acquire(r, &v, "ID", SD_LOCK_WAIT, &lock) == SD_OK, "lock taken at x.999 s");
    fake_clock_advance(apr_time_from_msec(998));
    TAP_OK(sd_session_lock_trusted(lock), "... trusted 0.998 s later");
    fake_clock_advance(apr_time_from_msec(2));
    TAP_OK(!sd_session_lock_trusted(lock), "... not after TTL - 1 s (memcached drops it at the next tick)");

    /* Taken over after memcached dropped it: the old holder must not remove
     * the new holder's lock. */
    fake_clock_advance(apr_time_from_msec(1));
    r2 = fake_request(pool, NULL);
    TAP_OK(sd_session_lock_acquire(r2, &v, "ID", SD_LOCK_TRY, &other) == SD_OK,
           "another request takes the dropped lock");
    sd_session_lock_release(lock);
    TAP_OK(fake_lock_store_value(&store, key) != NULL, "the old holder's release leaves it alone");
    {
        const char *token = apr_pstrdup(pool, fake_lock_store_value(&store, key));
        sd_session_lock_release(other);
        TAP_IS_STR(store.last_unlock_token, token, "a release names the holder's own token");
    }
    TAP_OK(fake_lock_store_value(&store, key) == NULL, "... and removes its lock");
    apr_pool_destroy(r->pool);
    apr_pool_destroy(r2->pool);

    /* Busy: TRY does not wait, WAIT waits SessionDemoLockWait. */
    memset(&store, 0, sizeof(store));
    r = fake_request(pool, NULL);
    sd_session_lock_acquire(r, &v, "ID", SD_LOCK_TRY, &lock);
    r2 = fake_request(pool, NULL);
    {
        apr_time_t t0 = apr_time_now();
        int adds = store.adds;
        rc = sd_session_lock_acquire(r2, &v, "ID", SD_LOCK_TRY, &other);
        TAP_OK(rc == SD_BUSY && apr_time_now() == t0 && store.adds == adds + 1,
               "TRY on a busy lock: one attempt, no wait, SD_BUSY");
        rc = sd_session_lock_acquire(r2, &v, "ID", SD_LOCK_WAIT, &other);
        TAP_OK(rc == SD_UNAVAILABLE, "WAIT on a lock held too long: SD_UNAVAILABLE");
        TAP_OK(apr_time_now() - t0 >= apr_time_from_msec(300)
               && apr_time_now() - t0 < apr_time_from_msec(400),
               "... after SessionDemoLockWait (%" APR_TIME_T_FMT " ms)", apr_time_as_msec(apr_time_now() - t0));
    }

    /* SessionDemoLockWaiters: the table is full for this session. */
    v.rt.lock_waiters = sd_waiters_create(pool, 4);
    sd_waiters_enter(v.rt.lock_waiters, sd_waiters_hash(key), 2, 0, 99);
    sd_waiters_enter(v.rt.lock_waiters, sd_waiters_hash(key), 2, 0, 99);
    v.rt.lock_waiters_h1 = 99;
    {
        int adds = store.adds;
        apr_time_t t0 = apr_time_now();
        rc = sd_session_lock_acquire(r2, &v, "ID", SD_LOCK_WAIT, &other);
        TAP_OK(rc == SD_UNAVAILABLE && store.adds == adds && apr_time_now() == t0,
               "a third waiter over SessionDemoLockWaiters 2 is refused at once, without a store call");
        /* 0: the child's limit for the request's kind (no connection
         * here, so HTTP/1's). */
        conf.lock_waiters = 0;
        v.rt.lock_waiters_h1 = 2;
        v.rt.lock_waiters_h2 = 3;
        rc = sd_session_lock_acquire(r2, &v, "ID", SD_LOCK_WAIT, &other);
        TAP_OK(rc == SD_UNAVAILABLE && store.adds == adds,
               "SessionDemoLockWaiters 0 refuses over the child's limit for HTTP/1 requests");
        conf.lock_waiters = 2;
    }
    {
        char id[256];
        memset(id, 'a', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0';
        TAP_OK(sd_session_lock_key(pool, &conf, id) == NULL,
               "an ID that would make a key over 250 bytes has no lock key");
    }
    TAP_OK(strncmp(key, "{sess:ID}.", 10) == 0 && strlen(key) == 10 + 8 + 5
           && strcmp(key + 18, ".lock") == 0,
           "the lock key's hash tag is its record's key (twemproxy's hash_tag \"{}\"): %s", key);

    apr_pool_destroy(pool);
    apr_terminate();
    TAP_DONE();
}
