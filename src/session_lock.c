/* Requests of one session are serialised with a lock key in memcached
 * (`add` is atomic), so concurrent cart updates and views never overwrite
 * each other. The lock has a TTL, so one left by a crashed process expires
 * by itself; a holder never deletes a lock it may no longer own (it stops
 * trusting its lock shortly before the TTL), which keeps release to one
 * round trip. */
#include "sd_session_lock.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* Margin before the TTL after which a holder no longer trusts its lock. */
#define SD_LOCK_MARGIN apr_time_from_msec(500)
#define SD_LOCK_BACKOFF_MIN apr_time_from_msec(2)
#define SD_LOCK_BACKOFF_MAX apr_time_from_msec(50)
#define SD_LOCK_SUFFIX ".lock"

struct sd_session_lock {
    request_rec *r;
    const sd_vhost *v;
    const char *key;          /* NULL once released                      */
    apr_time_t taken;
};

int sd_session_lock_trusted(const sd_session_lock *lock)
{
    return lock && lock->key
           && apr_time_now() - lock->taken
              < apr_time_from_sec(lock->v->conf->lock_ttl) - SD_LOCK_MARGIN;
}

void sd_session_lock_release(sd_session_lock *lock)
{
    if (lock && lock->key && sd_session_lock_trusted(lock)) {
        sd_store_delete(lock->v->rt.store, lock->r, lock->key);
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

int sd_session_lock_acquire(request_rec *r, const sd_vhost *v, const char *id,
                            sd_session_lock **out)
{
    const sd_config *conf = v->conf;
    const char *key = apr_pstrcat(r->pool, conf->key_prefix, id, SD_LOCK_SUFFIX, NULL);
    apr_time_t deadline = apr_time_now() + apr_time_from_msec(conf->lock_wait_ms);
    apr_interval_time_t backoff = SD_LOCK_BACKOFF_MIN;
    /* Only identifies the holder in a memcached dump; nothing trusts it, so
     * it need not come from the CSPRNG. */
    const char *token = apr_psprintf(r->pool, "%" APR_PID_T_FMT "-%" APR_TIME_T_FMT "-%pp",
                                     getpid(), apr_time_now(), (void *)r);
    apr_size_t token_len = strlen(token);

    for (;;) {
        apr_time_t now;
        switch (sd_store_lock(v->rt.store, r, key, token, token_len, conf->lock_ttl)) {
        case SD_STORE_OK: {
            sd_session_lock *lock = apr_pcalloc(r->pool, sizeof(*lock));
            lock->r = r;
            lock->v = v;
            lock->key = key;
            lock->taken = apr_time_now();
            apr_pool_cleanup_register(r->pool, lock, release_cleanup, apr_pool_cleanup_null);
            *out = lock;
            return OK;
        }
        case SD_STORE_EXISTS:
            break;
        default:
            return HTTP_SERVICE_UNAVAILABLE;
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
