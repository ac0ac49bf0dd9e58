/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the login throttle: the policy (delays, blocks, who is
 * blocked by a name's limit), client addresses (IPv6 by /64), the keyed
 * counter keys, and the counts through the store over the fake backend:
 * shared by two "front-ends", a blocked address making no name's counter,
 * a server away. */
#include "sd_throttle.h"
#include "fake_backend.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

static sd_throttle_verdict decide(apr_int64_t user, apr_int64_t address, apr_int64_t pair)
{
    sd_throttle_limits l = { 10, 30, 300 };
    sd_throttle_counts c = { (apr_uint32_t)user, (apr_uint32_t)address, (apr_uint32_t)pair };
    sd_throttle_verdict v;
    sd_throttle_decide(&l, &c, &v);
    return v;
}

static void dummy_header(const char *v, apr_size_t len, apr_time_t now, sd_store_header *h)
{
    (void)v; (void)len; (void)now;
    *h = (sd_store_header){ 0, 0, 0, 1 };
}

int main(void)
{
    apr_pool_t *p;
    sd_throttle_verdict v;
    sd_throttle_limits limits = { 3, 5, 60 };
    const unsigned char secret[] = "unit test secret 0123456789abcdef0123456789";
    const char *err = NULL;
    sd_throttle *t, *t2, *other;
    fake_backend fb;
    sd_ring *ring;
    sd_store *front1, *front2;
    sd_store_format fmt = dummy_header;
    sd_backend_call call;
    sd_throttle_counts c;
    const char *k1, *k2;
    int ok;

    apr_initialize();
    apr_pool_create(&p, NULL);
    call.pool = p;
    call.request = NULL;
    TAP_PLAN(41);

    /* --- policy (limits 10 per name, 30 per address) --- */
    v = decide(0, 0, 0);
    TAP_OK(v.outcome == SD_THROTTLE_ALLOW && v.delay == 0, "no failures: allowed, no delay");
    v = decide(4, 4, 4);
    TAP_OK(v.outcome == SD_THROTTLE_ALLOW && v.delay == 0, "below half of the limits: no delay");
    v = decide(5, 5, 5);
    TAP_OK(v.delay == apr_time_from_msec(250), "half the name's limit: 250 ms");
    v = decide(6, 6, 6);
    TAP_OK(v.delay == apr_time_from_msec(500), "... then doubling: 500 ms");
    v = decide(9, 9, 9);
    TAP_OK(v.delay == SD_THROTTLE_MAX_DELAY, "... at most 2 s");
    v = decide(10, 10, 1);
    TAP_OK(v.outcome == SD_THROTTLE_BLOCK_USER && v.retry_after == 300,
           "the name's limit reached, this address failed for it: blocked, Retry-After the window");
    v = decide(1000, 0, 0);
    TAP_OK(v.outcome == SD_THROTTLE_ALLOW && v.delay == SD_THROTTLE_MAX_DELAY,
           "the name's limit reached many times over, from a clean address: allowed, but slowed"
           " (no free guesses for each new address)");
    v = decide(9, 0, 0);
    TAP_OK(v.delay == 0, "a clean address is not slowed by the name's count below its limit");
    v = decide(29, 0, 0);
    TAP_OK(v.outcome == SD_THROTTLE_ALLOW && v.delay == 0,
           "... nor just below 3 times the limit");
    v = decide(30, 0, 0);
    TAP_OK(v.outcome == SD_THROTTLE_ALLOW && v.delay == SD_THROTTLE_MAX_DELAY,
           "at 3 times the name's limit every address waits 2 s, none is blocked");
    v = decide(0, 30, 0);
    TAP_OK(v.outcome == SD_THROTTLE_BLOCK_ADDRESS && v.retry_after == 300,
           "the address's limit reached: blocked for any name");
    v = decide(0, 15, 0);
    TAP_OK(v.outcome == SD_THROTTLE_ALLOW && v.delay == apr_time_from_msec(250),
           "half the address's limit: 250 ms");
    v = decide(0, 29, 0);
    TAP_OK(v.delay == SD_THROTTLE_MAX_DELAY, "just below the address's limit: 2 s");
    {
        sd_throttle_limits off = { 0, 0, 300 };
        sd_throttle_counts many = { 100000, 100000, 100000 };
        sd_throttle_decide(&off, &many, &v);
        TAP_OK(v.outcome == SD_THROTTLE_ALLOW && v.delay == 0, "limits 0: never throttled");
    }

    /* --- addresses --- */
    TAP_IS_STR(sd_throttle_address(p, "192.0.2.7"), "192.0.2.7", "IPv4 as is");
    TAP_IS_STR(sd_throttle_address(p, "::ffff:192.0.2.7"), "192.0.2.7", "IPv4-mapped IPv6 as IPv4");
    TAP_IS_STR(sd_throttle_address(p, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:0db8:0001:0002::/64",
               "IPv6 by its /64");
    TAP_IS_STR(sd_throttle_address(p, "2001:db8:1:2::1"), "2001:0db8:0001:0002::/64",
               "... every host of the /64 alike");
    TAP_OK(sd_throttle_address(p, "not an address") == NULL, "not an address: NULL");

    /* --- keys --- */
    t = sd_throttle_create(p, secret, sizeof(secret) - 1, "sess:", "realm-a", &limits, &err);
    t2 = sd_throttle_create(p, secret, sizeof(secret) - 1, "sess:", "realm-a", &limits, &err);
    other = sd_throttle_create(p, secret, sizeof(secret) - 1, "sess:", "realm-b", &limits, &err);
    TAP_OK(t && t2 && other, "created (HKDF)");
    k1 = sd_throttle_key(p, t, "user", "alice", NULL);
    k2 = sd_throttle_key(p, t2, "user", "alice", NULL);
    TAP_OK(k1 && k2 && strcmp(k1, k2) == 0 && strncmp(k1, "sess:thr:", 9) == 0
           && strlen(k1) == 9 + 64, "a key: prefix, thr:, 64 hex digits; the same on every front-end");
    TAP_OK(strstr(k1, "alice") == NULL, "... naming no user");
    TAP_IS_STR(sd_throttle_key(p, t, "user", "ALICE", NULL), k1, "names counted without ASCII case");
    TAP_OK(strcmp(sd_throttle_key(p, other, "user", "alice", NULL), k1) != 0, "another realm: another key");
    TAP_OK(strcmp(sd_throttle_key(p, t, "pair", "alice", "10.0.0.1"),
                  sd_throttle_key(p, t, "pair", "alice1", "0.0.0.1")) != 0
           && strcmp(sd_throttle_key(p, t, "addr", NULL, "10.0.0.1"),
                     sd_throttle_key(p, t, "user", "10.0.0.1", NULL)) != 0,
           "fields do not run into each other");
    {
        const unsigned char rotated[] = "another secret 0123456789abcdef0123456789abc";
        sd_throttle *r = sd_throttle_create(p, rotated, sizeof(rotated) - 1, "sess:", "realm-a",
                                            &limits, &err);
        TAP_OK(r && strcmp(sd_throttle_key(p, r, "user", "alice", NULL), k1) != 0,
               "another secret: other keys (a key listing cannot be matched without it)");
    }

    /* --- counts through the store: two front-ends, one realm --- */
    fake_backend_init(&fb, 3);
    ring = sd_ring_create(p, fb.names, 3);
    front1 = sd_store_create(p, &fb.backend, ring, 2, fmt, NULL, NULL, NULL, 8);
    front2 = sd_store_create(p, &fb.backend, ring, 2, fmt, NULL, NULL, NULL, 8);
    TAP_OK(sd_throttle_read(t, front1, &call, "alice", "10.0.0.9", &c) == SD_STORE_OK
           && c.user == 0 && c.address == 0 && c.pair == 0, "no counts yet: 0, read as OK");
    ok = sd_throttle_attempt(t, front1, &call, "alice", "10.0.0.9", &c, &v) == SD_STORE_OK
         && c.user == 0 && c.address == 0 && c.pair == 0;
    ok = ok && sd_throttle_attempt(t2, front2, &call, "alice", "10.0.0.9", &c, &v) == SD_STORE_OK
         && c.user == 1 && c.address == 1 && c.pair == 1;
    TAP_OK(ok, "an attempt is counted before its check and sees the counts before it (its place"
               " in line: a burst cannot pass on one reading)");
    sd_throttle_attempt(t2, front2, &call, "bob", "10.0.0.9", &c, &v);
    sd_throttle_attempt(t, front1, &call, "Alice", "10.0.0.8", &c, &v);
    ok = sd_throttle_read(t2, front2, &call, "alice", "10.0.0.9", &c) == SD_STORE_OK;
    TAP_OK(ok && c.user == 3 && c.address == 3 && c.pair == 2,
           "failures counted by both front-ends: name 3, address 3, pair 2");
    sd_throttle_decide(&limits, &c, &v);
    TAP_OK(v.outcome == SD_THROTTLE_BLOCK_USER, "... limit 3: the address that failed is blocked");
    sd_throttle_read(t, front1, &call, "alice", "10.0.0.7", &c);
    sd_throttle_decide(&limits, &c, &v);
    TAP_OK(c.user == 3 && c.pair == 0 && v.outcome == SD_THROTTLE_ALLOW,
           "... and a clean address is not");
    sd_throttle_attempt(t, front1, &call, "alice", "10.0.0.7", &c, &v);
    sd_throttle_release(t, front2, &call, "alice", "10.0.0.7");
    sd_throttle_read(t, front1, &call, "alice", "10.0.0.7", &c);
    TAP_OK(c.user == 3 && c.pair == 0 && c.address == 0,
           "a released attempt (right password) takes back its own count only");
    TAP_OK(sd_throttle_release(t, front1, &call, "dave", "10.0.0.6") == SD_STORE_OK,
           "releasing counts that are gone (expired) is no error");
    sd_throttle_read(t, front1, &call, "dave", "10.0.0.6", &c);
    TAP_OK(c.user == 0 && c.address == 0 && c.pair == 0, "... and makes none");
    {
        int copies = 0;
        for (int i = 0; i < 3; ++i) {
            copies += fake_backend_value(&fb, i, sd_throttle_key(p, t, "user", "alice", NULL)) != NULL;
        }
        TAP_OK(copies == 1, "a counter is one copy, not replicated");
    }

    /* --- a blocked address makes no name's counter --- */
    {
        int made = 0;
        for (int i = 0; i < 5; ++i) {
            sd_throttle_attempt(t, front1, &call, apr_psprintf(p, "spray%d", i), "10.0.0.50",
                                &c, &v);
        }
        ok = sd_throttle_attempt(t, front1, &call, "zed", "10.0.0.50", &c, &v) == SD_STORE_OK
             && v.outcome == SD_THROTTLE_BLOCK_ADDRESS && c.user == 0 && c.pair == 0;
        for (int i = 0; i < 3; ++i) {
            made += fake_backend_value(&fb, i, sd_throttle_key(p, t, "user", "zed", NULL)) != NULL
                    || fake_backend_value(&fb, i, sd_throttle_key(p, t, "pair", "zed",
                                                                  "10.0.0.50")) != NULL;
        }
        TAP_OK(ok && made == 0, "a blocked address's attempt: blocked, no counter of the name made");
        sd_throttle_read(t, front1, &call, "zed", "10.0.0.50", &c);
        TAP_OK(c.address == 5, "... and its own address count taken back (5 real attempts)");
    }

    /* --- a later count that fails takes back the ones made before it --- */
    {
        const char *addr = "10.0.0.70";
        const char *addr_key = sd_throttle_key(p, t, "addr", NULL, addr);
        int found = 0;
        for (int k = 0; k < 40 && !found; ++k) {
            const char *name = apr_psprintf(p, "flap%d", k);
            const char *keys[3] = { addr_key, sd_throttle_key(p, t, "user", name, NULL),
                                    sd_throttle_key(p, t, "pair", name, addr) };
            int home[3] = { -1, -1, -1 };
            apr_uint32_t before_addr = 0, before_user = 0, after_addr = 0, after_user = 0;
            sd_store_result r;
            sd_throttle_attempt(t, front1, &call, name, addr, &c, &v);
            for (int j = 0; j < 3; ++j) {
                for (int i = 0; i < 3; ++i) {
                    if (fake_backend_value(&fb, i, keys[j])) {
                        home[j] = i;
                    }
                }
            }
            if (home[2] < 0 || home[2] == home[0] || home[2] == home[1]) {
                continue;
            }
            found = 1;
            sd_store_counter(front1, &call, keys[0], 0, 60, &before_addr);
            sd_store_counter(front1, &call, keys[1], 0, 60, &before_user);
            /* The pair's server restarts and then refuses its writes. */
            fake_backend_empty(&fb, home[2]);
            fb.servers[home[2]].state = FAKE_REFUSING;
            r = sd_throttle_attempt(t, front1, &call, name, addr, &c, &v);
            fb.servers[home[2]].state = FAKE_UP;
            sd_store_counter(front1, &call, keys[0], 0, 60, &after_addr);
            sd_store_counter(front1, &call, keys[1], 0, 60, &after_user);
            TAP_OK(r != SD_STORE_OK && after_addr == before_addr && after_user == before_user,
                   "the pair's count fails: an error, and the address's and the name's"
                   " counts made before it are taken back");
        }
        TAP_OK(found, "... (a name whose pair counter is on a server of its own was found)");
    }

    /* --- its server away: the next one counts; all away: DOWN --- */
    {
        const char *key = sd_throttle_key(p, t, "user", "carol", NULL);
        int home = -1;
        apr_uint32_t n = 0;
        sd_throttle_attempt(t, front1, &call, "carol", "10.0.0.5", &c, &v);
        for (int i = 0; i < 3; ++i) {
            if (fake_backend_value(&fb, i, key)) {
                home = i;
            }
        }
        fb.servers[home].state = FAKE_AWAY;
        sd_throttle_attempt(t, front1, &call, "carol", "10.0.0.5", &c, &v);
        sd_store_counter(front1, &call, key, 0, 60, &n);
        TAP_OK(n == 1, "its server away: the count starts again on the next server (lost: fails open)");
        for (int i = 0; i < 3; ++i) {
            fb.servers[i].state = FAKE_AWAY;
        }
        TAP_OK(sd_throttle_read(t, front1, &call, "carol", "10.0.0.5", &c) == SD_STORE_DOWN
               && sd_throttle_attempt(t, front1, &call, "carol", "10.0.0.5", &c, &v)
                  == SD_STORE_DOWN,
               "every server away: DOWN (the caller refuses the login, 503)");
    }
    TAP_DONE();
}
