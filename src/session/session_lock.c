/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Requests of one session are serialised, so concurrent updates never
 * overwrite each other. Cluster: a lock key in memcached (`add` is atomic)
 * behind the session's slot in this httpd's table, so only one request of a
 * session per front-end asks memcached; Host: the slot alone. Both have a
 * TTL, so a crashed holder's lock ends; a holder trusts and releases its
 * lock only while nobody can have taken it over (docs/security.md). */
#include "sd_session_lock.h"
#include "sd_host_lock.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <apr_escape.h>
#include <apr_hash.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* memcached's clock ticks once a second, so a TTL of N seconds may end
 * N - 1 seconds after the add reached it. */
#define SD_LOCK_CLOCK_TICK apr_time_from_sec(1)
/* Brisk: only one request per session and front-end polls memcached. */
#define SD_LOCK_BACKOFF_MIN apr_time_from_msec(1)
#define SD_LOCK_BACKOFF_MAX apr_time_from_msec(10)
#define SD_LOCK_KEY_MAX 250
/* "{" and "}.<8 hex digits of the realm>.lock" */
#define SD_LOCK_SUFFIX_LEN 16

struct sd_session_lock {
    request_rec *r;
    const sd_vhost *v;
    const char *key;          /* NULL once released                      */
    const char *token;
    apr_uint64_t placed;      /* the servers the lock was sent to        */
    apr_time_t trusted_until;
    sd_host_lock_hold host;   /* the slot in this httpd's table; hash 0: none */
};

const char *sd_session_lock_key(apr_pool_t *p, const sd_config *conf, const char *id)
{
    /* The realm is in the key: servers of another realm never write this
     * session, so they need not wait for its writers, nor block them. The
     * record's key is its hash tag: the module's ring and twemproxy
     * (hash_tag "{}") both put the lock on the record's server. */
    apr_ssize_t len = APR_HASH_KEY_STRING;
    unsigned int tag = apr_hashfunc_default(conf->realm, &len);
    unsigned char be[4] = { (unsigned char)(tag >> 24), (unsigned char)(tag >> 16),
                            (unsigned char)(tag >> 8), (unsigned char)tag };
    apr_size_t prefix_len = strlen(conf->key_prefix), id_len = strlen(id);
    char *key, *at;

    if (prefix_len + id_len + SD_LOCK_SUFFIX_LEN > SD_LOCK_KEY_MAX) {
        return NULL;
    }
    /* By hand: apr_psprintf costs more than the rest, several times a request. */
    key = at = apr_palloc(p, prefix_len + id_len + SD_LOCK_SUFFIX_LEN + 1);
    *at++ = '{';
    memcpy(at, conf->key_prefix, prefix_len);
    at += prefix_len;
    memcpy(at, id, id_len);
    at += id_len;
    *at++ = '}';
    *at++ = '.';
    apr_escape_hex(at, be, sizeof(be), 0, NULL);
    at += 2 * sizeof(be);
    memcpy(at, ".lock", sizeof(".lock"));
    return key;
}

int sd_session_lock_trusted(const sd_session_lock *lock)
{
    return lock && lock->key && apr_time_now() < lock->trusted_until;
}

void sd_session_lock_release(sd_session_lock *lock)
{
    if (!lock || !lock->key) {
        return;
    }
    if (lock->v->conf->lock != SD_LOCK_HOST && sd_session_lock_trusted(lock)) {
        /* Past its trust, it is left to expire: it may be another
         * request's now. */
        sd_backend_call call = { lock->r->pool, lock->r };
        sd_store_unlock(lock->v->rt.store, &call, lock->key, lock->token,
                        strlen(lock->token), lock->placed);
    }
    /* After memcached's: a request of this httpd woken now finds the
     * session free there too. */
    if (lock->host.hash) {
        sd_host_lock_release(lock->v->rt.host_locks, &lock->host);
    }
    lock->key = NULL;
}

static apr_status_t release_cleanup(void *data)
{
    sd_session_lock_release(data);
    return APR_SUCCESS;
}

static void log_lock_timeout(request_rec *r, const sd_vhost *v)
{
    SD_STATS_INC(v->rt.stats, lock_timeouts);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00308)
                  "session lock still held after %" APR_INT64_T_FMT
                  " ms (SessionDemoLockWait); answering 503", v->conf->lock_wait_ms);
}

static sd_session_lock *held_lock(request_rec *r, const sd_vhost *v, const char *key,
                                  apr_time_t sent, const char *token, apr_uint64_t placed)
{
    sd_session_lock *lock = apr_pcalloc(r->pool, sizeof(*lock));
    lock->r = r;
    lock->v = v;
    lock->key = key;
    lock->token = token;
    lock->placed = placed;
    /* Counted from when the add was sent, which is what "1 s plus the
     * time the acquisition took" before the TTL amounts to. */
    lock->trusted_until = sent + apr_time_from_sec(v->conf->lock_ttl) - SD_LOCK_CLOCK_TICK;
    apr_pool_cleanup_register(r->pool, lock, release_cleanup, apr_pool_cleanup_null);
    return lock;
}

/* The session's slot in this httpd's table: SD_BUSY only for TRY. */
static sd_result take_slot(request_rec *r, const sd_vhost *v, apr_uint64_t hash,
                     sd_session_lock_mode mode, apr_interval_time_t wait,
                     sd_host_lock_hold *hold)
{
    switch (sd_host_lock_acquire(v->rt.host_locks, hash, apr_time_from_sec(v->conf->lock_ttl),
                                 mode == SD_LOCK_TRY ? 0 : wait, hold)) {
    case SD_HOST_LOCK_TAKEN:
        break;
    case SD_HOST_LOCK_BUSY:
        if (mode == SD_LOCK_TRY) {
            return SD_BUSY;
        }
        log_lock_timeout(r, v);
        return SD_UNAVAILABLE;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00320)
                      "the host lock table failed (a stripe's mutex is not recoverable);"
                      " answering 503");
        return SD_UNAVAILABLE;
    }
    if (hold->reclaimed) {
        SD_STATS_INC(v->rt.stats, lock_reclaims);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00319)
                      "took over a session lock whose holder died or kept it past"
                      " SessionDemoLockTTL");
    }
    return SD_OK;
}

static sd_result try_once(request_rec *r, const sd_vhost *v, const char *key,
                    const char *token, sd_session_lock **out)
{
    apr_time_t sent = apr_time_now();
    sd_backend_call call = { r->pool, r };
    apr_uint64_t placed = 0;

    switch (sd_store_lock(v->rt.store, &call, key, token, strlen(token), v->conf->lock_ttl,
                          &placed)) {
    case SD_STORE_OK:
        break;
    case SD_STORE_EXISTS:
        return SD_BUSY;
    default:
        return SD_UNAVAILABLE;
    }
    *out = held_lock(r, v, key, sent, token, placed);
    return SD_OK;
}

/* memcached's lock, polled until `deadline` (TRY: asked once). */
static sd_result poll_lock(request_rec *r, const sd_vhost *v, const char *key,
                           const char *token, sd_session_lock_mode mode, apr_time_t deadline,
                           const sd_host_lock_hold *slot, sd_session_lock **out, int *waited)
{
    apr_interval_time_t backoff = SD_LOCK_BACKOFF_MIN;

    for (;;) {
        apr_time_t now;
        sd_result rc = try_once(r, v, key, token, out);
        if (rc != SD_BUSY || mode == SD_LOCK_TRY) {
            return rc;
        }
        *waited = 1;
        now = apr_time_now();
        if (now >= deadline) {
            log_lock_timeout(r, v);
            return SD_UNAVAILABLE;
        }
        /* SessionDemoLockWait may be longer than the slot's TTL: the slot
         * stays this poller's while it polls. */
        if (slot) {
            sd_host_lock_renew(v->rt.host_locks, slot, apr_time_from_sec(v->conf->lock_ttl));
        }
        {
            apr_interval_time_t pause = backoff / 2
                + (apr_interval_time_t)((apr_uint64_t)(now ^ (apr_time_t)(apr_uintptr_t)r)
                                        % (apr_uint64_t)(backoff / 2 + 1));
            if (pause > deadline - now) {
                pause = deadline - now;
            }
            apr_sleep(pause);
        }
        backoff = backoff * 2 > SD_LOCK_BACKOFF_MAX ? SD_LOCK_BACKOFF_MAX : backoff * 2;
    }
}

/* pid, time and request address: unique per request on this host; by
 * hand for the reason of sd_session_lock_key. */
static const char *lock_token(request_rec *r)
{
    apr_uint64_t parts[3] = { (apr_uint64_t)getpid(), (apr_uint64_t)apr_time_now(),
                              (apr_uint64_t)(apr_uintptr_t)r };
    char *token = apr_palloc(r->pool, 3 * 17), *at = token;
    for (int p = 0; p < 3; ++p) {
        unsigned char be[8];
        for (int i = 0; i < 8; ++i) {
            be[i] = (unsigned char)(parts[p] >> (56 - 8 * i));
        }
        apr_escape_hex(at, be, sizeof(be), 0, NULL);
        at += 2 * sizeof(be);
        *at++ = p < 2 ? '-' : '\0';
    }
    return token;
}

/* Host: the session's slot in this httpd's table alone. Cluster: the slot
 * (when there is a table) queues this httpd's requests, then memcached's
 * lock, under the one SessionDemoLockWait. */
static sd_result take_lock(request_rec *r, const sd_vhost *v, const char *key,
                           apr_uint64_t hash, sd_session_lock_mode mode, sd_session_lock **out,
                           int *waited)
{
    apr_time_t start = apr_time_now();
    apr_time_t deadline = start + apr_time_from_msec(v->conf->lock_wait_ms);
    sd_host_lock_hold hold;
    sd_result rc = SD_OK;
    int queued = 0;

    if (v->rt.host_locks) {
        rc = take_slot(r, v, hash, mode, deadline - start, &hold);
        *waited |= hold.waited;
        if (rc != SD_OK) {
            return rc;
        }
        queued = 1;
    }
    if (v->conf->lock == SD_LOCK_HOST) {
        /* The slot's deadline counts from when it was taken, not from
         * when the wait for it began. */
        *out = held_lock(r, v, key, apr_time_now(), NULL, 0);
    }
    else {
        /* Compared before a release, so a holder never removes a lock
         * another request took after its own was lost; unique per request. */
        const char *token = lock_token(r);
        rc = poll_lock(r, v, key, token, mode, deadline, queued ? &hold : NULL, out, waited);
        if (rc == SD_OK && queued) {
            /* The slot must outlast the trust in memcached's lock, which
             * counts from the add: else another request of this httpd, or a
             * Host-mode server of the realm, would take it from a live holder. */
            sd_host_lock_renew(v->rt.host_locks, &hold, apr_time_from_sec(v->conf->lock_ttl));
        }
    }
    if (rc == SD_OK && queued) {
        (*out)->host = hold;
    }
    else if (queued) {
        sd_host_lock_release(v->rt.host_locks, &hold);
    }
    return rc;
}

sd_result sd_session_lock_acquire(request_rec *r, const sd_vhost *v, const char *name,
                            sd_session_lock_mode mode, sd_session_lock **out)
{
    const sd_config *conf = v->conf;
    const char *key = sd_session_lock_key(r->pool, conf, name);
    apr_time_t began = apr_time_now();
    apr_uint64_t hash;
    sd_result rc;
    int waited = 0, limit, all, h2;

    if (!key) {
        return SD_UNAVAILABLE;  /* the caller checked the ID's length */
    }
    hash = sd_waiters_hash(key);
    /* An HTTP/2 stream (its connection has a master) waits on one of
     * mod_http2's workers, and one connection's streams may reach them all. */
    h2 = r->connection && r->connection->master;
    /* Every session's waiters together leave one thread free too: else two
     * sessions of one client would take all of them. */
    all = h2 ? v->rt.lock_waiters_h2 : v->rt.lock_waiters_h1;
    limit = conf->lock_waiters ? (int)conf->lock_waiters : all;
    if (mode == SD_LOCK_WAIT && v->rt.lock_waiters
        && !sd_waiters_enter(v->rt.lock_waiters, hash, limit, h2, all)) {
        SD_STATS_INC(v->rt.stats, lock_waiters_refused);
        /* Warned once per 10 s per child so that a default LogLevel shows
         * why 503s happen, without a line per refused request of a flood. */
        int loud = sd_waiters_refusal_loud(v->rt.lock_waiters, (apr_uint32_t)apr_time_sec(r->request_time));
        ap_log_rerror(APLOG_MARK, loud ? APLOG_WARNING : APLOG_INFO, 0, r, SD_LOGNO(00310)
                      "%d requests of this session already wait for its lock in this"
                      " process, or %d of all sessions (SessionDemoLockWaiters %"
                      APR_INT64_T_FMT ": %s); answering 503%s", limit, all, conf->lock_waiters,
                      conf->lock_waiters ? "as set" : h2 ? "mod_http2's workers less one"
                                                         : "the MPM's threads less one",
                      loud ? " (said at warning level once per 10 s per process, at info between)" : "");
        return SD_UNAVAILABLE;
    }
    rc = take_lock(r, v, key, hash, mode, out, &waited);
    /* Only the requests that found the lock held: the others' time is the
     * store's (sessiondemo_store_call_seconds). */
    if (waited) {
        SD_STATS_INC(v->rt.stats, lock_waits);
        sd_stats_observe(v->rt.stats ? &v->rt.stats->lock_wait : NULL, apr_time_now() - began);
    }
    if (mode == SD_LOCK_WAIT && v->rt.lock_waiters) {
        sd_waiters_leave(v->rt.lock_waiters, hash, h2);
    }
    return rc;
}
