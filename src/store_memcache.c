/* memcached store on apr_memcache (apr-util 1.6). Two quirks shape this file:
 * apr_memcache answers APR_NOTFOUND both for a miss and when every server is
 * marked dead, and it would log nothing at all about an outage. So each call
 * checks server state after a NOTFOUND, and outages are logged once when they
 * start and once when they end, not once per request. */
#include "sd_store.h"
#include "sd_config.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_stats.h"

#include <http_log.h>
#include <ap_mpm.h>
#include <apr_memcache.h>
#include <apr_atomic.h>
#include <apr_reslist.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* Idle pooled connections are closed after this long (apr wants µs). */
#define SD_CONN_TTL         apr_time_from_sec(60)
/* A request waits at most this long for a free pooled connection instead of
 * blocking forever when the pool is exhausted. */
#define SD_CONN_WAIT        apr_time_from_sec(1)

struct sd_store {
    apr_memcache_t *mc;
    server_rec *s;
    sd_stats *stats;
    volatile apr_uint32_t down;   /* 1 while an outage is being reported */
};

apr_status_t sd_store_create(apr_pool_t *pchild, server_rec *s,
                             const apr_array_header_t *servers,
                             sd_stats *stats, sd_store **out)
{
    sd_store *st = apr_pcalloc(pchild, sizeof(*st));
    int threads = 1;
    apr_status_t rv;

    /* Every worker thread may hold one connection; a smaller hard max would
     * make threads queue for sockets. */
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1) {
        threads = 1;
    }
    rv = apr_memcache_create(pchild, (apr_uint16_t)servers->nelts, 0, &st->mc);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, SD_LOGNO(00201)
                     "cannot create the memcached client");
        return rv;
    }
    for (int i = 0; i < servers->nelts; ++i) {
        const sd_memcache_server *cfg = &APR_ARRAY_IDX(servers, i, sd_memcache_server);
        apr_memcache_server_t *ms;
        rv = apr_memcache_server_create(pchild, cfg->host, cfg->port, 0,
                                        (apr_uint32_t)threads, (apr_uint32_t)threads,
                                        (apr_uint32_t)SD_CONN_TTL, &ms);
        if (rv == APR_SUCCESS) {
            rv = apr_memcache_add_server(st->mc, ms);
        }
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, SD_LOGNO(00202)
                         "cannot add memcached server %s:%d",
                         cfg->host, (int)cfg->port);
            return rv;
        }
#if APR_HAS_THREADS
        apr_reslist_timeout_set(ms->conns, SD_CONN_WAIT);
#endif
    }
    st->s = s;
    st->stats = stats;
    *out = st;
    return APR_SUCCESS;
}

static int any_server_alive(const sd_store *st)
{
    for (apr_uint16_t i = 0; i < st->mc->ntotal; ++i) {
        if (st->mc->live_servers[i]->status != APR_MC_SERVER_DEAD) {
            return 1;
        }
    }
    return 0;
}

static sd_store_result report_down(sd_store *st, request_rec *r,
                                   apr_status_t rv, const char *op)
{
    SD_STATS_INC(st->stats, store_errors);
    if (apr_atomic_cas32(&st->down, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, SD_LOGNO(00203)
                      "memcached unavailable (%s failed); session routes answer"
                      " 503 until it is back", op);
    }
    return SD_STORE_DOWN;
}

static void report_up(sd_store *st, request_rec *r)
{
    if (st->down && apr_atomic_cas32(&st->down, 0, 1) == 1) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00204)
                      "memcached is answering again");
    }
}

/* Maps an apr_memcache result; NOTFOUND is only a miss when a server lives. */
static sd_store_result classify(sd_store *st, request_rec *r, apr_status_t rv,
                                const char *op)
{
    if (rv == APR_SUCCESS) {
        report_up(st, r);
        return SD_STORE_OK;
    }
    if (rv == APR_NOTFOUND && any_server_alive(st)) {
        report_up(st, r);
        return SD_STORE_NOTFOUND;
    }
    if (rv == APR_EEXIST) {
        report_up(st, r);
        return SD_STORE_EXISTS;
    }
    if (any_server_alive(st)) {
        SD_STATS_INC(st->stats, store_errors);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, SD_LOGNO(00205)
                      "memcached refused %s", op);
        return SD_STORE_ERROR;
    }
    return report_down(st, r, rv, op);
}

sd_store_result sd_store_get(sd_store *st, request_rec *r, const char *key,
                             char **val, apr_size_t *len, apr_uint16_t *flags)
{
    return classify(st, r, apr_memcache_getp(st->mc, r->pool, key, val, len, flags),
                    "get");
}

static apr_uint32_t wire_exptime(apr_int64_t ttl_seconds)
{
    if (ttl_seconds < 1) {
        ttl_seconds = 1;  /* 0 would mean "never expires" */
    }
    if (ttl_seconds > SD_STORE_RELATIVE_TTL_MAX) {
        return (apr_uint32_t)(apr_time_sec(apr_time_now()) + ttl_seconds);
    }
    return (apr_uint32_t)ttl_seconds;
}

sd_store_result sd_store_set(sd_store *st, request_rec *r, const char *key,
                             const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags)
{
    apr_status_t rv = apr_memcache_set(st->mc, key, (char *)val, len,
                                       wire_exptime(ttl_seconds), flags);
    /* apr_memcache reports NOT_STORED as EEXIST; for set that is a failure. */
    if (rv == APR_EEXIST) {
        rv = APR_EGENERAL;
    }
    return classify(st, r, rv, "set");
}

sd_store_result sd_store_add(sd_store *st, request_rec *r, const char *key,
                             const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags)
{
    return classify(st, r, apr_memcache_add(st->mc, key, (char *)val, len,
                                            wire_exptime(ttl_seconds), flags),
                    "add");
}

sd_store_result sd_store_delete(sd_store *st, request_rec *r, const char *key)
{
    /* The hold time must be 0: memcached >= 1.4 rejects any other value. */
    sd_store_result res = classify(st, r, apr_memcache_delete(st->mc, key, 0), "delete");
    return res == SD_STORE_NOTFOUND ? SD_STORE_OK : res;
}

int sd_store_servers(sd_store *st, apr_pool_t *p, sd_store_server_info **out)
{
    int n = st->mc->ntotal;
    sd_store_server_info *info = apr_pcalloc(p, sizeof(*info) * (n ? n : 1));

    for (int i = 0; i < n; ++i) {
        apr_memcache_server_t *ms = st->mc->live_servers[i];
        char *version = NULL;
        apr_memcache_stats_t *stats = NULL;

        info[i].host = ms->host;
        info[i].port = ms->port;
        info[i].up = ms->status != APR_MC_SERVER_DEAD;
        if (info[i].up && apr_memcache_version(ms, p, &version) == APR_SUCCESS) {
            info[i].version = version;
            if (apr_memcache_stats(ms, p, &stats) == APR_SUCCESS) {
                info[i].stats = stats;
            }
        }
        else {
            info[i].up = 0;
        }
    }
    *out = info;
    return n;
}
