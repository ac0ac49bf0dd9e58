/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* memcached on apr_memcache (apr-util 1.6), around its failure modes
 * (docs/reliability.md). One single-server client per server: the store
 * picks servers, and the prober's verdict, not apr's dead mark, decides. */
#include "sd_backend_memcache.h"
#include "sd_io_guard.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <apr_atomic.h>
#include <apr_memcache.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* Idle pooled connections are closed after this long (apr wants µs). */
#define SD_CONN_TTL apr_time_from_sec(60)
/* The wait for a free pooled connection: not apr_memcache's connect
 * timeout (SD_CONNECT_WAIT), so the two are told apart by their length. */
#define SD_CONN_WAIT apr_time_from_msec(1500)
#define SD_CONNECT_WAIT apr_time_from_sec(1)
/* An exptime memcached reads as an absolute time long past. */
#define SD_EXPIRED_EXPTIME ((apr_uint32_t)SD_BACKEND_RELATIVE_TTL_MAX + 1)

typedef struct {
    apr_memcache_t *mc;
    apr_memcache_server_t *ms;
    const char *name;
    int index;
    int connections;          /* the pool's size                    */
    sd_io_guard *guard;
    apr_interval_time_t retry_window;
    sd_health *health;
    volatile apr_uint32_t pool_exhausted;   /* said at warn this spell      */
    volatile apr_uint32_t connect_slow;     /* said at warn this spell      */
    volatile apr_uint32_t refusal_said;     /* second of the last error line */
} mc_server;

struct sd_backend_memcache {
    server_rec *s;
    mc_server *servers;
    int n;
    sd_health *health;
    sd_stats *stats;
};

/* apr_memcache 1.6 reports a refusal and a pooled socket at EOF alike
 * (APR_EGENERAL): if io_guard finds closed sockets it was one, else one
 * more try (twice is a refusal). After a restart every idle pooled socket
 * fails at once, so transport failures are retried (one per pooled
 * connection, plus a few, within retry_window). A timeout never is. */
#define SD_ATTEMPTS 6

typedef struct {
    int attempts;
    int transport_failed;     /* some attempt failed in transport   */
    apr_time_t started, began;  /* the first attempt, the last one  */
    apr_status_t last;
} retry_state;

static int is_transport_failure(apr_status_t rv)
{
    return rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_EEXIST && rv != APR_EGENERAL
           && !APR_STATUS_IS_TIMEUP(rv) && !APR_STATUS_IS_EAGAIN(rv)
           && !APR_STATUS_IS_ETIMEDOUT(rv);
}

static int worth_retry(mc_server *srv, retry_state *rs, apr_status_t rv)
{
    apr_status_t before = rs->last;
    int transport = is_transport_failure(rv);
    rs->last = rv;
    rs->transport_failed |= transport;
    if (rv == APR_SUCCESS || !sd_health_usable(srv->health, srv->index)
        || ++rs->attempts >= SD_ATTEMPTS + srv->connections) {
        return 0;
    }
    if (rs->attempts == 1) {
        rs->started = apr_time_now();
    }
    else if (apr_time_now() - rs->started > srv->retry_window) {
        return 0;
    }
    if (transport) {
        return 1;
    }
    if (rv == APR_EGENERAL && sd_io_guard_cut(srv->guard, 1) > 0) {
        rs->last = APR_EOF;   /* a closed socket, not a refusal */
        return 1;
    }
    return rv == APR_EGENERAL && before != APR_EGENERAL;
}

/* One command on one server: where it goes, when it was asked (its time
 * counts every attempt) and its attempts. */
typedef struct {
    sd_backend_memcache *b;
    mc_server *srv;
    apr_time_t called;
    retry_state rs;
    apr_status_t rv;
} mc_op;

static mc_op op_on(void *bv, int i)
{
    sd_backend_memcache *b = bv;
    return (mc_op){ .b = b, .srv = &b->servers[i], .called = apr_time_now() };
}

/* Runs call into op.rv, with fresh attempts, until worth_retry says no. */
#define WITH_RETRY(op, call)                                               \
    do {                                                                   \
        (op).rs = (retry_state){ .last = APR_SUCCESS };                    \
        do {                                                               \
            (op).rs.began = apr_time_now();                                \
            (op).rv = (call);                                              \
        } while (worth_retry((op).srv, &(op).rs, (op).rv));                \
    } while (0)

static void log_call(const sd_backend_call *call, server_rec *s, int level, apr_status_t rv,
                     const char *msg)
{
    if (call->request) {
        ap_log_rerror(APLOG_MARK, level, rv, (request_rec *)call->request, "%s", msg);
    }
    else {
        ap_log_error(APLOG_MARK, level, rv, s, "%s", msg);
    }
}

/* One server's answer, as a backend result; every command ends here, so
 * its time (from `called`, retries included) is counted here. */
static sd_backend_result result(const mc_op *op, const sd_backend_call *call, apr_status_t rv,
                                const char *cmd, sd_stats_store_op timed)
{
    sd_backend_memcache *b = op->b;
    mc_server *srv = op->srv;
    /* A reply to a command sent before the prober's verdict says nothing
     * of the server now: only the prober brings it back. */
    int usable = sd_health_usable(srv->health, srv->index);
    sd_stats_observe(b->stats ? &b->stats->store_calls[timed] : NULL, apr_time_now() - op->called);
    if (rv == APR_SUCCESS) {
        apr_atomic_set32(&srv->pool_exhausted, 0);
        apr_atomic_set32(&srv->connect_slow, 0);
        return SD_BACKEND_OK;
    }
    if (rv == APR_EEXIST) {
        return SD_BACKEND_EXISTS;
    }
    if (rv == APR_NOTFOUND && usable && srv->ms->status != APR_MC_SERVER_DEAD) {
        return SD_BACKEND_MISS;
    }
    if (usable && rv == APR_EGENERAL) {
        /* A server with its memory full refuses every write. */
        int loud = sd_log_loud_once_in_10s(&srv->refusal_said,
                                           (apr_uint32_t)apr_time_sec(apr_time_now()));
        log_call(call, b->s, loud ? APLOG_ERR : APLOG_INFO, rv, apr_psprintf(call->pool,
                 SD_LOGNO(00205) "memcached %s refused %s%s", srv->name, cmd,
                 loud ? " (further refusals in the next 10 s at info)" : ""));
        return SD_BACKEND_REFUSED;
    }
    if (usable && APR_STATUS_IS_TIMEUP(rv)) {
        /* Both waits end in TIMEUP: for a pooled connection, and for a new
         * one to connect (apr_memcache's fixed 1 s). */
        if (apr_time_now() - op->rs.began > (SD_CONN_WAIT + SD_CONNECT_WAIT) / 2) {
            if (apr_atomic_xchg32(&srv->pool_exhausted, 1) == 0) {
                log_call(call, b->s, APLOG_WARNING, rv, apr_psprintf(call->pool, SD_LOGNO(00212)
                         "no free connection to memcached %s within %d ms (every pooled one in"
                         " use); answering 503 (said once until a command gets through)",
                         srv->name, (int)apr_time_as_msec(SD_CONN_WAIT)));
            }
        }
        else if (apr_atomic_xchg32(&srv->connect_slow, 1) == 0) {
            log_call(call, b->s, APLOG_WARNING, rv, apr_psprintf(call->pool, SD_LOGNO(00216)
                     "connecting to memcached %s timed out (apr_memcache waits 1 s);"
                     " answering 503 (said once until a command gets through)", srv->name));
        }
        return SD_BACKEND_DOWN;
    }
    /* An outage: the prober logs it once; here only at debug level. */
    if (call->request) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, (request_rec *)call->request,
                      SD_LOGNO(00207) "memcached %s unavailable for %s", srv->name, cmd);
    }
    return SD_BACKEND_DOWN;
}

static sd_backend_result mc_get(void *bv, int i, const sd_backend_call *call, const char *key,
                                char **val, apr_size_t *len, apr_uint16_t *flags)
{
    mc_op op = op_on(bv, i);
    WITH_RETRY(op, apr_memcache_getp(op.srv->mc, call->pool, key, val, len, flags));
    return result(&op, call, op.rv, "get", SD_STATS_STORE_get);
}

/* Not memcached's `set`, which unlinks the old copy when it refuses the
 * new one: `replace`, then `add` where there is none, then `replace` again
 * when that add lost a race. */
static sd_backend_result mc_write(void *bv, int i, const sd_backend_call *call,
                                  const char *key, const char *val, apr_size_t len,
                                  apr_uint32_t exptime, apr_uint16_t flags)
{
    mc_op op = op_on(bv, i);
    /* apr_memcache reports NOT_STORED as EEXIST: for replace, "missing". */
    WITH_RETRY(op, apr_memcache_replace(op.srv->mc, key, (char *)val, len, exptime, flags));
    if (op.rv == APR_EEXIST) {
        WITH_RETRY(op, apr_memcache_add(op.srv->mc, key, (char *)val, len, exptime, flags));
        if (op.rv == APR_EEXIST) {
            WITH_RETRY(op, apr_memcache_replace(op.srv->mc, key, (char *)val, len, exptime,
                                                flags));
        }
    }
    return result(&op, call, op.rv == APR_EEXIST ? APR_EGENERAL : op.rv, "write",
                  SD_STATS_STORE_write);
}

/* After a transport failure, "exists" with our own bytes is our own first
 * attempt's success (its reply was lost, not the command). */
static sd_backend_result mc_add(void *bv, int i, const sd_backend_call *call, const char *key,
                                const char *val, apr_size_t len, apr_uint32_t exptime,
                                apr_uint16_t flags)
{
    mc_op op = op_on(bv, i);
    WITH_RETRY(op, apr_memcache_add(op.srv->mc, key, (char *)val, len, exptime, flags));
    if (op.rv == APR_EEXIST && op.rs.transport_failed) {
        char *mine = NULL;
        apr_size_t mine_len = 0;
        apr_uint16_t mine_flags = 0;
        if (apr_memcache_getp(op.srv->mc, call->pool, key, &mine, &mine_len, &mine_flags)
            == APR_SUCCESS && mine_len == len && memcmp(mine, val, len) == 0) {
            op.rv = APR_SUCCESS;
        }
    }
    return result(&op, call, op.rv, "add", SD_STATS_STORE_add);
}

/* Not apr_memcache_delete(): its "delete <key> 0" makes twemproxy close
 * the connection. A set that expired in 1970 removes the item anywhere;
 * refused, it still unlinks it. */
static sd_backend_result mc_remove(void *bv, int i, const sd_backend_call *call,
                                   const char *key)
{
    mc_op op = op_on(bv, i);
    WITH_RETRY(op, apr_memcache_set(op.srv->mc, key, (char *)"", 0, SD_EXPIRED_EXPTIME, 0));
    return result(&op, call, op.rv == APR_EEXIST ? APR_EGENERAL : op.rv, "delete",
                  SD_STATS_STORE_remove);
}

static int mc_usable(void *bv, int i)
{
    sd_backend_memcache *b = bv;
    return sd_health_usable(b->health, i);
}

static apr_size_t mc_item_size_max(void *bv, int i)
{
    sd_backend_memcache *b = bv;
    return sd_health_item_size_max(b->health, i);
}

/* A retried incr whose reply was lost counts twice: for the login
 * throttle, too many is the safe side. */
static sd_backend_result mc_incr(void *bv, int i, const sd_backend_call *call, const char *key,
                                 apr_int32_t delta, apr_uint32_t *value)
{
    mc_op op = op_on(bv, i);
    if (delta < 0) {
        WITH_RETRY(op, apr_memcache_decr(op.srv->mc, key, -delta, value));
    }
    else {
        WITH_RETRY(op, apr_memcache_incr(op.srv->mc, key, delta, value));
    }
    return result(&op, call, op.rv, "incr", delta ? SD_STATS_STORE_write : SD_STATS_STORE_get);
}

static const sd_backend_ops memcache_ops = {
    mc_get, mc_write, mc_add, mc_remove, mc_usable, mc_item_size_max, mc_incr
};

/* Each client asks this for every command: the prober's verdict decides,
 * and apr's own dead mark is lifted while the prober sees it answer. */
static apr_memcache_server_t *choose_server(void *baton, apr_memcache_t *mc,
                                            const apr_uint32_t hash)
{
    mc_server *srv = baton;
    (void)hash;
    if (!sd_health_usable(srv->health, srv->index)) {
        return NULL;
    }
    if (srv->ms->status == APR_MC_SERVER_DEAD) {
        apr_memcache_enable_server(mc, srv->ms);
    }
    return srv->ms;
}

apr_status_t sd_backend_memcache_create(apr_pool_t *pchild, server_rec *s,
                                        const sd_health_server *servers, int n,
                                        int connections, apr_interval_time_t timeout,
                                        sd_health *health, sd_stats *stats, sd_backend *out)
{
    sd_backend_memcache *b = apr_pcalloc(pchild, sizeof(*b));
    const char **names = apr_palloc(pchild, sizeof(char *) * (apr_size_t)(n ? n : 1));
    apr_status_t rv = APR_SUCCESS;

    b->s = s;
    b->n = n;
    b->health = health;
    b->stats = stats;
    b->servers = apr_pcalloc(pchild, sizeof(mc_server) * (apr_size_t)(n ? n : 1));
    for (int i = 0; i < n && rv == APR_SUCCESS; ++i) {
        mc_server *srv = &b->servers[i];
        srv->index = i;
        srv->connections = connections;
        srv->retry_window = timeout;
        srv->health = health;
        srv->name = servers[i].name;
        names[i] = servers[i].name;
        rv = apr_memcache_create(pchild, 1, 0, &srv->mc);
        if (rv == APR_SUCCESS) {
            rv = apr_memcache_server_create(pchild, servers[i].host, servers[i].port, 0,
                                            (apr_uint32_t)connections,
                                            (apr_uint32_t)connections,
                                            (apr_uint32_t)SD_CONN_TTL, &srv->ms);
        }
        if (rv == APR_SUCCESS) {
            rv = sd_io_guard_create(srv->ms, connections, SD_CONN_TTL, SD_CONN_WAIT,
                                    timeout, &srv->guard);
        }
        if (rv == APR_SUCCESS) {
            rv = apr_memcache_add_server(srv->mc, srv->ms);
        }
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, SD_LOGNO(00202)
                         "cannot set up memcached server %s", servers[i].name);
            break;
        }
        sd_health_guard(health, i, srv->guard);
        srv->mc->server_func = choose_server;
        srv->mc->server_baton = srv;
    }
    out->ops = &memcache_ops;
    out->baton = b;
    out->nservers = n;
    out->names = names;
    return rv;
}

int sd_backend_memcache_servers(const sd_backend *be, apr_pool_t *p,
                                sd_backend_memcache_info **out)
{
    sd_backend_memcache *b = be->baton;
    sd_backend_memcache_info *info = apr_pcalloc(p, sizeof(*info) * (apr_size_t)(b->n ? b->n : 1));

    for (int i = 0; i < b->n; ++i) {
        mc_server *srv = &b->servers[i];
        char *version = NULL;
        apr_memcache_stats_t *stats = NULL;

        info[i].name = srv->name;
        info[i].up = sd_health_usable(b->health, i);
        info[i].item_size_max = sd_health_item_size_max(b->health, i);
        if (info[i].up && apr_memcache_version(srv->ms, p, &version) == APR_SUCCESS) {
            /* apr_memcache keeps the reply's CR. */
            version[strcspn(version, "\r\n")] = '\0';
            info[i].version = version;
            if (apr_memcache_stats(srv->ms, p, &stats) == APR_SUCCESS) {
                info[i].has_stats = 1;
                info[i].items = stats->curr_items;
                info[i].get_hits = stats->get_hits;
                info[i].get_misses = stats->get_misses;
                info[i].connections = stats->curr_connections;
                info[i].uptime = stats->uptime;
                info[i].bytes = stats->bytes;
                info[i].limit_maxbytes = stats->limit_maxbytes;
            }
        }
    }
    *out = info;
    return b->n;
}
