/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the replica protocol (store.c) against the fake backend,
 * with the module's real record format: no flush, no loss. Replicas that
 * were away come back stale or empty and are outvoted, repaired and
 * replayed to; a logout is a tombstone no returning replica undoes, also
 * when a front-end wrote the old session meanwhile; two copies of one
 * generation are a divergence; refusals and locks behave. */
#include "sd_store.h"
#include "sd_record.h"
#include "fake_backend.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

static const sd_store_format format = sd_record_read_header;

/* A stored value of generation `gen` saved at `saved`, with a visible
 * payload. */
static const char *rec_saved(apr_pool_t *p, int gen, long saved, const char *what, int ended)
{
    return apr_psprintf(p, "{\"cookie\":{\"originalMaxAge\":60000,\"expires\":"
                        "\"2030-01-01T00:00:00.000Z\",\"httpOnly\":true,\"path\":\"/\"},"
                        "\"sessiondemo\":{\"realm\":\"r\",\"gen\":%d,\"saved\":%ld,\"created\":1%s},"
                        "\"what\":\"%s\"}", gen, saved, ended ? ",\"ended\":true" : "", what);
}

static const char *rec(apr_pool_t *p, int gen, const char *what, int ended)
{
    return rec_saved(p, gen, 1, what, ended);
}

/* The store's log lines, counted: its baton is the counter. */
static void count_log(void *baton, void *request, const char *message)
{
    (void)request;
    (void)message;
    ++*(int *)baton;
}

static const char *what_of(const char *v)
{
    const char *w = v ? strstr(v, "\"what\":\"") : NULL;
    return w ? w + 8 : "(none)";
}

static sd_store_result write_gen(sd_store *st, sd_backend_call *call, const char *key, int gen,
                                 const char *what)
{
    const char *v = rec(call->pool, gen, what, 0);
    return sd_store_write(st, call, key, "lock", v, strlen(v), 60, 2);
}

/* The two copies of key: v0 on server 0, v1 on server 1. */
static void put_both(fake_backend *fb, const char *key, const char *v0, const char *v1)
{
    fake_backend_put(fb, 0, key, v0);
    fake_backend_put(fb, 1, key, v1);
}

static const char *read_what(sd_store *st, sd_backend_call *call, const char *key,
                             sd_store_read_mode mode)
{
    char *v = NULL;
    apr_size_t len = 0;
    apr_uint16_t flags = 0;
    sd_store_result r = sd_store_read(st, call, key, "lock", mode, &v, &len, &flags);
    return r == SD_STORE_OK ? what_of(v) : r == SD_STORE_NOTFOUND ? "(miss)" : "(down)";
}

/* The review's forged copy (finding 3): a header that wins (a high
 * generation, or ended) on bytes that do not open. The validator stands
 * for the vault's: whatever is not "forged" opens. */
static int not_forged(void *baton, apr_pool_t *p, const char *key, const char *val,
                      apr_size_t len, apr_uint16_t flags)
{
    (void)p; (void)key; (void)len; (void)flags;
    ++*(int *)baton;
    return strstr(val, "\"what\":\"forged") == NULL;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

typedef struct {
    int busy, takes, gives;
} local_lock_state;

static int local_take(void *baton, const char *lock_key, apr_int64_t ttl, apr_pool_t *p, void **hold)
{
    local_lock_state *ls = baton;
    (void)lock_key; (void)ttl; (void)p;
    ++ls->takes;
    *hold = ls;
    return !ls->busy;
}

static void local_give(void *baton, void *hold)
{
    (void)hold;
    ++((local_lock_state *)baton)->gives;
}

int main(void)
{
    apr_pool_t *p;
    fake_backend f, f2;
    sd_stats stats, stats2;
    sd_store *st, *st2, *st3;
    fake_backend f3;
    sd_stats stats3;
    int logged = 0;
    sd_backend_call call;
    const char *names[2] = { "10.0.0.1:11211", "10.0.0.2:11211" };
    const sd_ring *ring;
    const char *k = "sess:A";

    apr_initialize();
    apr_pool_create(&p, NULL);
    call.pool = p;
    call.request = NULL;
    TAP_PLAN(56);

    fake_backend_init(&f, 2);
    memset(&stats, 0, sizeof(stats));
    ring = sd_ring_create(p, names, 2);
    st = sd_store_create(p, &f.backend, ring, 2, format, &stats, count_log, &logged, 16);

    /* Two sequential pauses, with writes during each. */
    TAP_OK(write_gen(st, &call, k, 1, "one") == SD_STORE_OK
           && starts(what_of(fake_backend_value(&f, 0, k)), "one")
           && starts(what_of(fake_backend_value(&f, 1, k)), "one"), "a write reaches both replicas");
    f.servers[0].state = FAKE_AWAY;
    TAP_OK(write_gen(st, &call, k, 2, "two") == SD_STORE_OK, "X away: a write still succeeds on Y");
    f.servers[0].state = FAKE_UP;
    TAP_OK(starts(what_of(fake_backend_value(&f, 0, k)), "one"), "X is back, stale");
    TAP_OK(starts(read_what(st, &call, k, SD_STORE_READ_ONLY), "two"), "a read takes the newer copy");
    TAP_OK(starts(what_of(fake_backend_value(&f, 0, k)), "one"),
           "... and a read-only read does not overwrite X's older copy (no lock)");
    TAP_OK(sd_store_replay(st, &call, 0, NULL, NULL) == 1 && starts(what_of(fake_backend_value(&f, 0, k)), "two"),
           "the missed write is replayed to X when it is back");
    f.servers[1].state = FAKE_AWAY;
    TAP_OK(starts(read_what(st, &call, k, SD_STORE_READ_ONLY), "two"),
           "then Y away: X alone has the latest write, nothing lost");
    TAP_OK(write_gen(st, &call, k, 3, "three") == SD_STORE_OK, "... and takes the next one");
    f.servers[1].state = FAKE_UP;
    TAP_OK(starts(read_what(st, &call, k, SD_STORE_LOCKED), "three")
           && starts(what_of(fake_backend_value(&f, 1, k)), "three"),
           "a read under the lock repairs Y's stale copy at once");

    /* A restart: empty, repaired by a plain read (add never overwrites). */
    fake_backend_empty(&f, 0);
    TAP_OK(starts(read_what(st, &call, k, SD_STORE_READ_ONLY), "three")
           && starts(what_of(fake_backend_value(&f, 0, k)), "three"),
           "X restarted empty: a read-only read puts the copy back (add)");
    TAP_OK(stats.repairs >= 2, "repairs are counted (%u)", (unsigned)stats.repairs);

    /* A logout while a replica is away, then the replica back: still out. */
    f.servers[1].state = FAKE_AWAY;
    {
        const char *tomb = rec(p, 4, "ended", 1);
        TAP_OK(sd_store_write(st, &call, k, "lock", tomb, strlen(tomb), 60, 2) == SD_STORE_OK,
               "logout while Y is away: the tombstone goes to X");
    }
    f.servers[1].state = FAKE_UP;
    TAP_OK(starts(read_what(st, &call, k, SD_STORE_READ_ONLY), "ended"),
           "Y back with the old session: the tombstone outvotes it");
    /* A front-end that saw X down wrote the old session as a new generation
     * on Y meanwhile: same generation as the tombstone; the logout stands. */
    fake_backend_put(&f, 1, k, rec(p, 4, "resurrected", 0));
    TAP_OK(starts(read_what(st, &call, k, SD_STORE_READ_ONLY), "ended"),
           "a change of the tombstone's generation never undoes the logout");
    TAP_OK(sd_store_replay(st, &call, 1, NULL, NULL) == 1 && starts(what_of(fake_backend_value(&f, 1, k)), "ended"),
           "and the replay puts the tombstone on Y");

    /* Divergence: two front-ends with disjoint views wrote one generation. */
    put_both(&f, "sess:D", rec(p, 7, "front-end A", 0), rec(p, 7, "front-end B", 0));
    {
        apr_uint32_t before = stats.divergences;
        int logged_before = logged;
        const char *won = read_what(st, &call, "sess:D", SD_STORE_READ_ONLY);
        TAP_OK(stats.divergences == before + 1, "one generation, two contents: a divergence is counted");
        TAP_OK(starts(won, "front-end A") || starts(won, "front-end B"), "... and one copy is served");
        read_what(st, &call, "sess:D", SD_STORE_READ_ONLY);
        TAP_OK(stats.divergences == before + 2, "without the lock the losing copy stays: counted again");
        won = read_what(st, &call, "sess:D", SD_STORE_LOCKED);
        TAP_OK(!strcmp(what_of(fake_backend_value(&f, 0, "sess:D")),
                       what_of(fake_backend_value(&f, 1, "sess:D"))),
               "a lock holder's read brings the losing copy to the kept one");
        read_what(st, &call, "sess:D", SD_STORE_READ_ONLY);
        TAP_OK(stats.divergences == before + 3, "... so the divergence is not counted again");
        TAP_OK(logged == logged_before + 1, "the divergence was logged once, not per read");
    }

    /* Which side of a divergence is kept does not depend on which replica
     * a front-end reads first: the later save. */
    put_both(&f, "sess:T", rec_saved(p, 4, 5000, "earlier", 0), rec_saved(p, 4, 9000, "later", 0));
    TAP_OK(starts(read_what(st, &call, "sess:T", SD_STORE_READ_ONLY), "later"),
           "divergence: the later save is kept");
    put_both(&f, "sess:T", rec_saved(p, 4, 9000, "later", 0), rec_saved(p, 4, 5000, "earlier", 0));
    TAP_OK(starts(read_what(st, &call, "sess:T", SD_STORE_READ_ONLY), "later"),
           "... whichever replica holds it");

    /* A logout is final: a live copy of a higher generation, written by a
     * front-end that did not see it (a split view, an old cookie replayed
     * there twice), does not bring the session back. */
    put_both(&f, "sess:L", rec(p, 6, "logged-out", 1), rec(p, 7, "replayed-cookie", 0));
    TAP_OK(starts(read_what(st, &call, "sess:L", SD_STORE_READ_ONLY), "logged-out"),
           "a tombstone outvotes a live copy of a higher generation");

    /* A read that may not repair an older copy (no lock) leaves it to the
     * replay, which takes the lock: no request need ever touch it again. */
    put_both(&f, "sess:Q", rec(p, 3, "current", 0), rec(p, 2, "behind", 0));
    TAP_OK(starts(read_what(st, &call, "sess:Q", SD_STORE_READ_ONLY), "current")
           && sd_store_replay_pending(st, 1), "a lock-free read remembers the replica behind");
    sd_store_replay(st, &call, 1, NULL, NULL);
    TAP_OK(starts(what_of(fake_backend_value(&f, 1, "sess:Q")), "current"),
           "... and the replay brings it up to date");

    /* A refused write (memory full) is remembered too, and replayed once the
     * server takes it. */
    f.servers[1].state = FAKE_REFUSING;
    TAP_OK(write_gen(st, &call, "sess:F", 5, "full") == SD_STORE_OK && sd_store_replay_pending(st, 1),
           "a write one replica refused succeeds, and is remembered for it");
    f.servers[1].state = FAKE_UP;
    sd_store_replay(st, &call, 1, NULL, NULL);
    TAP_OK(starts(what_of(fake_backend_value(&f, 1, "sess:F")), "full"),
           "... and replayed when it takes writes again");

    /* Misses and outages are told apart. */
    TAP_IS_STR(read_what(st, &call, "sess:none", SD_STORE_READ_ONLY), "(miss)", "a miss is a miss");
    f.servers[0].state = FAKE_AWAY;
    f.servers[1].state = FAKE_FROZEN;
    TAP_IS_STR(read_what(st, &call, k, SD_STORE_READ_ONLY), "(down)",
               "one away, one frozen: down, not a miss");
    TAP_OK(write_gen(st, &call, "sess:B", 1, "b") == SD_STORE_DOWN, "... and a write fails as down");
    f.servers[0].state = FAKE_UP;
    f.servers[1].state = FAKE_UP;

    /* Refusals: the old copy stays, and the caller hears it. */
    f.servers[0].state = FAKE_REFUSING;
    f.servers[1].state = FAKE_REFUSING;
    TAP_OK(write_gen(st, &call, "sess:C", 1, "c") == SD_STORE_ERROR, "refused by both: an error");
    f.servers[0].state = FAKE_UP;
    TAP_OK(write_gen(st, &call, "sess:C", 1, "c") == SD_STORE_OK, "refused by one: a success");
    f.servers[1].state = FAKE_UP;

    /* Locks on every replica; a release only with the token. */
    {
        apr_uint64_t mine = 0, yours = 0;
        TAP_OK(sd_store_lock(st, &call, "L", "me", 2, 5, &mine) == SD_STORE_OK
               && fake_backend_value(&f, 0, "L") && fake_backend_value(&f, 1, "L") && mine == 3,
               "a lock is taken on every replica");
        TAP_OK(sd_store_lock(st, &call, "L", "you", 3, 5, &yours) == SD_STORE_EXISTS,
               "a second holder is refused");
        sd_store_unlock(st, &call, "L", "you", 3, 3);
        TAP_OK(fake_backend_value(&f, 0, "L") != NULL, "a release with another token leaves it");
        sd_store_unlock(st, &call, "L", "me", 2, mine);
        TAP_OK(!fake_backend_value(&f, 0, "L") && !fake_backend_value(&f, 1, "L"),
               "the holder's release removes it everywhere");
    }

    /* A lock add sent to a server that froze is carried out when it thaws,
     * after its sender gave up on it and released the rest: that stale lock
     * is ours, and it goes when the server is back. */
    {
        apr_uint64_t mine = 0, next = 0;
        f.servers[0].state = FAKE_FROZEN;
        TAP_OK(sd_store_lock(st, &call, "G", "ghost", 5, 5, &mine) == SD_STORE_OK && mine == 3,
               "frozen primary: the lock holds on the other replica (the add to it was sent)");
        f.servers[0].state = FAKE_AWAY;   /* the prober's verdict */
        sd_store_unlock(st, &call, "G", "ghost", 5, mine);
        TAP_OK(!fake_backend_value(&f, 1, "G"), "released where it could be");
        fake_backend_thaw(&f, 0, FAKE_UP);
        TAP_IS_STR(fake_backend_value(&f, 0, "G"), "ghost", "the thawed server carried out the add late");
        TAP_OK(sd_store_replay_pending(st, 0), "... which the store remembered");
        sd_store_replay(st, &call, 0, NULL, NULL);
        TAP_OK(!fake_backend_value(&f, 0, "G") && !sd_store_replay_pending(st, 0),
               "the server's return removes the stale lock");
        TAP_OK(sd_store_lock(st, &call, "G", "next", 4, 5, &next) == SD_STORE_OK,
               "... so the next request takes it at once");
        sd_store_unlock(st, &call, "G", "next", 4, next);
    }

    /* A replay whose key is locked by a live request is kept for later. */
    {
        f.servers[1].state = FAKE_AWAY;
        TAP_OK(sd_store_write(st, &call, "sess:R", "sess:R.lock", rec(p, 3, "later", 0),
                              strlen(rec(p, 3, "later", 0)), 60, 2) == SD_STORE_OK,
               "a write while a replica is away");
        f.servers[1].state = FAKE_UP;
        fake_backend_put(&f, 0, "sess:R.lock", "someone");
        TAP_OK(sd_store_replay(st, &call, 1, NULL, NULL) == 0 && sd_store_replay_pending(st, 1),
               "its lock busy: not replayed, still pending");
        fake_backend_empty(&f, 0);
        fake_backend_put(&f, 0, "sess:R", rec(p, 3, "later", 0));
        TAP_OK(sd_store_replay(st, &call, 1, NULL, NULL) == 1 && !sd_store_replay_pending(st, 1)
               && starts(what_of(fake_backend_value(&f, 1, "sess:R")), "later"),
               "once free, the next call replays it");
    }

    /* This host's lock (SessionDemoLock Host, and Cluster's queue) is taken
     * before memcached's: a request of this host holding it defers the
     * replay too. */
    {
        local_lock_state ls = { 1, 0, 0 };
        sd_store_local_lock local = { local_take, local_give, &ls };
        sd_store_set_local_lock(st, &local);
        f.servers[1].state = FAKE_AWAY;
        sd_store_write(st, &call, "sess:H", "sess:H.lock", rec(p, 4, "host", 0),
                       strlen(rec(p, 4, "host", 0)), 60, 2);
        f.servers[1].state = FAKE_UP;
        TAP_OK(sd_store_replay(st, &call, 1, NULL, NULL) == 0 && sd_store_replay_pending(st, 1)
               && ls.takes == 1, "the host lock busy: not replayed, still pending");
        ls.busy = 0;
        TAP_OK(sd_store_replay(st, &call, 1, NULL, NULL) == 1
               && starts(what_of(fake_backend_value(&f, 1, "sess:H")), "host")
               && ls.takes == 2 && ls.gives == 1,
               "once free, replayed under it, and it is given back");
        sd_store_set_local_lock(st, &(sd_store_local_lock){ NULL, NULL, NULL });
    }

    /* A fresh store, with no refusal in its recent past. */
    fake_backend_init(&f2, 2);
    memset(&stats2, 0, sizeof(stats2));
    st2 = sd_store_create(p, &f2.backend, ring, 2, format, &stats2, NULL, NULL, 16);

    /* The losing copy of a divergence is brought to the kept one by the
     * replay (a lock-free read may not overwrite it). */
    put_both(&f2, "sess:V", rec_saved(p, 4, 9000, "kept", 0), rec_saved(p, 4, 5000, "lost", 0));
    read_what(st2, &call, "sess:V", SD_STORE_READ_ONLY);
    sd_store_replay(st2, &call, 1, NULL, NULL);
    TAP_OK(starts(what_of(fake_backend_value(&f2, 1, "sess:V")), "kept"),
           "a divergence seen by a lock-free read is repaired by the replay");

    /* A server that keeps refusing (memory full) does not fill the table
     * (16 slots here) with every session it lags behind on. */
    {
        apr_uint32_t dropped = stats2.hints_dropped;
        f2.servers[1].state = FAKE_REFUSING;
        write_gen(st2, &call, "sess:R0", 2, "refused");
        for (int i = 1; i <= 24; ++i) {
            const char *key = apr_psprintf(p, "sess:R%d", i);
            fake_backend_put(&f2, 0, key, rec(p, 3, "new", 0));
            fake_backend_put(&f2, 1, key, rec(p, 2, "old", 0));
            read_what(st2, &call, key, SD_STORE_READ_ONLY);
        }
        f2.servers[1].state = FAKE_UP;
        TAP_OK(stats2.hints_dropped == dropped,
               "reads behind on a refusing server add no hints (none dropped: %u)",
               (unsigned)(stats2.hints_dropped - dropped));
    }

    /* Finding 3: one forged copy on one replica is never served nor
     * copied to the good replica, by a read or by the replay. */
    {
        int checks = 0;
        sd_store_validator valid = { not_forged, &checks };
        fake_backend_init(&f3, 2);
        memset(&stats3, 0, sizeof(stats3));
        st3 = sd_store_create(p, &f3.backend, ring, 2, format, &stats3, NULL, NULL, 16);
        sd_store_set_validator(st3, &valid);
        write_gen(st3, &call, "sess:F", 5, "good");
        fake_backend_put(&f3, 1, "sess:F", rec(p, 999999, "forged", 1));
        TAP_OK(starts(read_what(st3, &call, "sess:F", SD_STORE_READ_ONLY), "good")
               && starts(what_of(fake_backend_value(&f3, 0, "sess:F")), "good"),
               "a forged ended copy of a high generation on Y: the good copy on X is served,"
               " and X keeps it");
        TAP_OK(starts(read_what(st3, &call, "sess:F", SD_STORE_LOCKED), "good")
               && starts(what_of(fake_backend_value(&f3, 0, "sess:F")), "good")
               && starts(what_of(fake_backend_value(&f3, 1, "sess:F")), "good"),
               "... a locked read serves it too, and repairs Y with the good copy");
        put_both(&f3, "sess:G", rec(p, 5, "good", 0), rec(p, 9, "forged", 0));
        f3.servers[0].state = FAKE_AWAY;
        TAP_OK(starts(read_what(st3, &call, "sess:G", SD_STORE_LOCKED), "forged"),
               "X away, Y's forged copy alone: returned (its reader finds it does not open)");
        f3.servers[0].state = FAKE_UP;
        write_gen(st3, &call, "sess:H", 5, "good");
        f3.servers[0].state = FAKE_AWAY;
        write_gen(st3, &call, "sess:H", 6, "six");
        fake_backend_put(&f3, 1, "sess:H", rec(p, 999999, "forged", 1));
        f3.servers[0].state = FAKE_UP;
        sd_store_replay(st3, &call, 0, NULL, NULL);
        TAP_OK(starts(what_of(fake_backend_value(&f3, 0, "sess:H")), "good"),
               "the replay to a returning X does not copy Y's forgery over X's copy");
        put_both(&f3, "sess:I", rec(p, 999999, "forged", 1), rec(p, 7, "good", 0));
        TAP_OK(starts(read_what(st3, &call, "sess:I", SD_STORE_READ_ONLY), "good"),
               "... nor does a read when the forgery is on X (either order)");
        put_both(&f3, "sess:J", rec(p, 999999, "forged", 1), rec(p, 3, "forged too", 0));
        read_what(st3, &call, "sess:J", SD_STORE_LOCKED);
        TAP_OK(starts(what_of(fake_backend_value(&f3, 1, "sess:J")), "forged too") && checks > 0,
               "when no copy is accepted, none is spread over another");
    }

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
