/* Requests of one session are serialised with a lock key in memcached
 * (`add` is atomic), so concurrent cart updates and views never overwrite
 * each other. The lock has a TTL, so one left by a crashed process expires
 * by itself. A holder trusts its lock only while memcached cannot have
 * dropped it (docs/security.md, "The session lock"), and releases it only
 * when the stored token is still its own. */
#include "sd_session_lock.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <apr_hash.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* memcached's clock ticks once a second, so a TTL of N seconds may end
 * N - 1 seconds after the add reached it. */
#define SD_LOCK_CLOCK_TICK apr_time_from_sec(1)
#define SD_LOCK_BACKOFF_MIN apr_time_from_msec(2)
#define SD_LOCK_BACKOFF_MAX apr_time_from_msec(50)
#define SD_LOCK_KEY_MAX 250
/* ".<8 hex digits of the realm>.lock" */
#define SD_LOCK_SUFFIX_LEN 14

struct sd_session_lock {
    request_rec *r;
    const sd_vhost *v;
    const char *key;          /* NULL once released                      */
    const char *placement;    /* the session's key: the lock sits with it */
    const char *token;
    apr_uint64_t placed;      /* the servers the lock was sent to        */
    apr_time_t trusted_until;
};

/* --------------------------------------------------------------- lock */

const char *sd_session_lock_key(apr_pool_t *p, const sd_config *conf, const char *id)
{
    /* The realm is in the key: servers of another realm never write this
     * session, so they need not wait for its writers, nor block them. */
    apr_ssize_t len = APR_HASH_KEY_STRING;
    unsigned int tag = apr_hashfunc_default(conf->realm, &len);
    if (strlen(conf->key_prefix) + strlen(id) + SD_LOCK_SUFFIX_LEN > SD_LOCK_KEY_MAX) {
        return NULL;
    }
    return apr_psprintf(p, "%s%s.%08x.lock", conf->key_prefix, id, tag);
}

int sd_session_lock_trusted(const sd_session_lock *lock)
{
    return lock && lock->key && apr_time_now() < lock->trusted_until;
}

void sd_session_lock_release(sd_session_lock *lock)
{
    if (lock && lock->key && sd_session_lock_trusted(lock)) {
        sd_backend_call call = { lock->r->pool, lock->r };
        sd_store_unlock(lock->v->rt.store, &call, lock->key, lock->placement, lock->token,
                        strlen(lock->token), lock->placed);
    }
    if (lock) {
        lock->key = NULL;
    }
}

static apr_status_t release_cleanup(void *data)
{
    sd_session_lock_release(data);
    return APR_SUCCESS;
}

/* One attempt. OK with *out, HTTP_CONFLICT when taken, or 503. */
static int try_once(request_rec *r, const sd_vhost *v, const char *key, const char *placement,
                    const char *token, sd_session_lock **out)
{
    apr_time_t sent = apr_time_now();
    sd_session_lock *lock;
    sd_backend_call call = { r->pool, r };
    apr_uint64_t placed = 0;

    switch (sd_store_lock(v->rt.store, &call, key, placement, token, strlen(token),
                          v->conf->lock_ttl, &placed)) {
    case SD_STORE_OK:
        break;
    case SD_STORE_EXISTS:
        return HTTP_CONFLICT;
    default:
        return HTTP_SERVICE_UNAVAILABLE;
    }
    lock = apr_pcalloc(r->pool, sizeof(*lock));
    lock->r = r;
    lock->v = v;
    lock->key = key;
    lock->placement = placement;
    lock->token = token;
    lock->placed = placed;
    /* Counted from when the add was sent, which is what "1 s plus the
     * time the acquisition took" before the TTL amounts to. */
    lock->trusted_until = sent + apr_time_from_sec(v->conf->lock_ttl) - SD_LOCK_CLOCK_TICK;
    apr_pool_cleanup_register(r->pool, lock, release_cleanup, apr_pool_cleanup_null);
    *out = lock;
    return OK;
}

static int wait_for_lock(request_rec *r, const sd_vhost *v, const char *key,
                         const char *placement, const char *token, sd_session_lock **out)
{
    const sd_config *conf = v->conf;
    apr_time_t deadline = apr_time_now() + apr_time_from_msec(conf->lock_wait_ms);
    apr_interval_time_t backoff = SD_LOCK_BACKOFF_MIN;

    for (;;) {
        apr_time_t now;
        int rc = try_once(r, v, key, placement, token, out);
        if (rc != HTTP_CONFLICT) {
            return rc;
        }
        now = apr_time_now();
        if (now >= deadline) {
            SD_STATS_INC(v->rt.stats, lock_timeouts);
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00308)
                          "session lock still held after %" APR_INT64_T_FMT
                          " ms (SessionDemoLockWait); answering 503", conf->lock_wait_ms);
            return HTTP_SERVICE_UNAVAILABLE;
        }
        /* Exponential back-off with jitter, never past the deadline. */
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

int sd_session_lock_acquire(request_rec *r, const sd_vhost *v, const char *id,
                            sd_session_lock_mode mode, sd_session_lock **out)
{
    const sd_config *conf = v->conf;
    const char *key = sd_session_lock_key(r->pool, conf, id);
    const char *placement = apr_pstrcat(r->pool, conf->key_prefix, id, NULL);
    /* Compared before a release, so a holder never removes a lock another
     * request took after its own expired; unique per request, and nothing
     * but this check relies on it. */
    const char *token = apr_psprintf(r->pool, "%" APR_PID_T_FMT "-%" APR_TIME_T_FMT "-%pp",
                                     getpid(), apr_time_now(), (void *)r);
    apr_uint64_t hash;
    int rc;

    if (!key) {
        return HTTP_SERVICE_UNAVAILABLE;  /* the caller checked the ID's length */
    }
    if (mode == SD_LOCK_TRY) {
        return try_once(r, v, key, placement, token, out);
    }
    hash = sd_waiters_hash(key);
    if (v->rt.lock_waiters && !sd_waiters_enter(v->rt.lock_waiters, hash, (int)conf->lock_waiters)) {
        SD_STATS_INC(v->rt.stats, lock_waiters_refused);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00310)
                      "%" APR_INT64_T_FMT " requests of this session already wait for"
                      " its lock in this process (SessionDemoLockWaiters); answering 503",
                      conf->lock_waiters);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    rc = wait_for_lock(r, v, key, placement, token, out);
    if (v->rt.lock_waiters) {
        sd_waiters_leave(v->rt.lock_waiters, hash);
    }
    return rc;
}
