/* memcached store on apr_memcache (apr-util 1.6), engineered around its
 * failure modes (see docs/reliability.md):
 *  - no I/O timeout after connect, so a frozen memcached hangs requests:
 *    a prober thread per child checks each server with its own socket and
 *    timeouts, and a server it cannot reach is not handed out at all;
 *  - a server is marked dead on the first stale pooled socket after a
 *    memcached restart and kept dead for 5 s: our server_func ignores that
 *    mark while the prober sees the server answer, and a command that failed
 *    on a connection error is retried, each failure dropping one stale
 *    socket, so the first requests after a restart succeed;
 *  - APR_NOTFOUND means a miss or "no live server": we tell them apart;
 *  - an exhausted connection pool blocks forever: the wait is bounded.
 * Outages are logged once (across all children, through a flag in shared
 * memory) when they start and when they end.
 *
 * Several servers: keys are placed on a consistent-hash ring (ring.c), and
 * each server has its own single-server apr_memcache client, so the store
 * itself picks servers: the key's primary, plus SessionDemoReplicas more in
 * ring order. There is no failover beyond the replicas: a key is never
 * written to a server outside its replica set, so nothing written during an
 * outage goes stale or missing when the server returns. With replicas, a
 * server that comes back is flushed before use: it missed writes and
 * deletes (logouts) while away, and its copies must not resurface. */
#include "sd_store.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_ring.h"

#include <http_log.h>
#include <ap_mpm.h>
#include <apr_memcache.h>
#include <apr_atomic.h>
#include <apr_reslist.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* Idle pooled connections are closed after this long (apr wants µs). */
#define SD_CONN_TTL         apr_time_from_sec(60)
/* A request waits at most this long for a free pooled connection instead of
 * blocking forever when the pool is exhausted. */
#define SD_CONN_WAIT        apr_time_from_sec(1)
/* How long the prober sleeps between its checks of the stop flag. */
#define SD_PROBE_TICK       apr_time_from_msec(20)

typedef struct {
    apr_memcache_t *mc;               /* a client for this server alone  */
    apr_memcache_server_t *ms;
    const char *name;                 /* host:port, for logs             */
    apr_sockaddr_t *addr;             /* resolved once, by the prober    */
    apr_socket_t *probe_sock;         /* the prober's own connection     */
    volatile apr_uint32_t healthy;    /* the prober's verdict            */
    volatile apr_uint32_t *outage;    /* shared flag, may be NULL        */
    volatile apr_uint32_t item_size_max; /* from "stats settings"       */
} mc_server;

struct sd_store {
    server_rec *s;
    sd_stats *stats;
    mc_server *servers;
    int nservers;
    int copies;                       /* 1 + SessionDemoReplicas          */
    sd_ring *ring;
    apr_interval_time_t probe_interval;
    apr_interval_time_t probe_timeout;
    apr_pool_t *probe_pool;
    apr_thread_t *prober;
    volatile apr_uint32_t stopping;
};

/* ------------------------------------------------------------- the prober */

static void probe_close(mc_server *srv)
{
    if (srv->probe_sock) {
        apr_socket_close(srv->probe_sock);
        srv->probe_sock = NULL;
    }
}

/* Sends one command on the prober's own socket and reads one reply line,
 * every step bounded by the probe timeout. Returns 1 when the line starts
 * with `expect`; closes the socket on any failure. */
static int probe_exchange(mc_server *srv, const char *cmd, const char *expect)
{
    char reply[128];
    apr_size_t len = strlen(cmd), got = 0, want = strlen(expect);
    apr_status_t rv = apr_socket_send(srv->probe_sock, cmd, &len);

    while (rv == APR_SUCCESS && got < sizeof(reply)
           && (got < 2 || memcmp(reply + got - 2, "\r\n", 2) != 0)) {
        len = sizeof(reply) - got;
        rv = apr_socket_recv(srv->probe_sock, reply + got, &len);
        got += len;
    }
    if (rv != APR_SUCCESS || got < want + 2 || memcmp(reply, expect, want) != 0) {
        probe_close(srv);
        return 0;
    }
    return 1;
}

/* memcached's item size limit (-I), read once per probe connection: a
 * value over it is refused, and memcached then also drops the copy it had
 * (a failed set unlinks the old item), so the session must never send one. */
static void probe_item_size_max(mc_server *srv)
{
    static const char field[] = "STAT item_size_max ";
    char reply[4096];
    apr_size_t len = sizeof("stats settings\r\n") - 1, got = 0;
    apr_status_t rv = apr_socket_send(srv->probe_sock, "stats settings\r\n", &len);
    const char *at;

    while (rv == APR_SUCCESS && got < sizeof(reply) - 1
           && (got < 5 || memcmp(reply + got - 5, "END\r\n", 5) != 0)) {
        len = sizeof(reply) - 1 - got;
        rv = apr_socket_recv(srv->probe_sock, reply + got, &len);
        got += len;
    }
    reply[got] = '\0';
    if (rv != APR_SUCCESS || got < 5 || memcmp(reply + got - 5, "END\r\n", 5) != 0) {
        /* Not memcached's answer (a proxy, a truncated reply): keep the
         * default and start the next probe on a fresh connection. */
        probe_close(srv);
        return;
    }
    at = strstr(reply, field);
    if (at) {
        apr_int64_t n = apr_atoi64(at + sizeof(field) - 1);
        if (n >= 1024 && n <= 1024L * 1024 * 1024) {
            apr_atomic_set32(&srv->item_size_max, (apr_uint32_t)n);
        }
    }
}

/* One "version" round trip; (re)connects first when needed. */
static int probe_once(sd_store *st, mc_server *srv)
{
    if (!srv->addr) {
        apr_sockaddr_t *addr;
        if (apr_sockaddr_info_get(&addr, srv->ms->host, APR_UNSPEC, srv->ms->port, 0,
                                  st->probe_pool) != APR_SUCCESS) {
            return 0;
        }
        srv->addr = addr;
    }
    if (!srv->probe_sock) {
        apr_socket_t *sock;
        if (apr_socket_create(&sock, srv->addr->family, SOCK_STREAM, APR_PROTO_TCP,
                              st->probe_pool) != APR_SUCCESS) {
            return 0;
        }
        apr_socket_timeout_set(sock, st->probe_timeout);
        if (apr_socket_connect(sock, srv->addr) != APR_SUCCESS) {
            apr_socket_close(sock);
            return 0;
        }
        srv->probe_sock = sock;
        if (!probe_exchange(srv, "version\r\n", "VERSION ")) {
            return 0;
        }
        probe_item_size_max(srv);
        return srv->probe_sock != NULL;
    }
    return probe_exchange(srv, "version\r\n", "VERSION ");
}

/* Whether requests may use the server: the shared verdict of every
 * child's prober when there is shared memory, else this child's. */
static int usable(const mc_server *srv)
{
    return srv->outage ? *srv->outage == 0 : srv->healthy != 0;
}

static void set_health(sd_store *st, mc_server *srv, int healthy)
{
    apr_uint32_t was = apr_atomic_xchg32(&srv->healthy, (apr_uint32_t)healthy);
    apr_uint32_t flag = healthy ? 0 : 1;
    int first;
    if (was == (apr_uint32_t)healthy) {
        /* Still publish it: another child may have left the shared flag
         * saying the opposite (its view is older or was a blip). */
        if (srv->outage && *srv->outage != flag) {
            apr_atomic_set32(srv->outage, flag);
        }
        return;
    }
    /* Only the child that changes the shared flag logs at error or notice
     * level; the others note it at info, so an outage is one line. */
    first = !srv->outage || apr_atomic_xchg32(srv->outage, flag) != flag;
    if (!healthy) {
        ap_log_error(APLOG_MARK, first ? APLOG_ERR : APLOG_INFO, 0, st->s, SD_LOGNO(00203)
                     "memcached %s is not answering (probe timeout %" APR_TIME_T_FMT
                     " ms); routes that need a session answer 503 until it is back",
                     srv->name, apr_time_as_msec(st->probe_timeout));
    }
    else {
        if (st->copies > 1) {
            ap_log_error(APLOG_MARK, first ? APLOG_NOTICE : APLOG_INFO, 0, st->s,
                         SD_LOGNO(00208) "memcached %s was flushed on its return: it"
                         " missed writes and deletes while away, and the replicas"
                         " hold every session", srv->name);
        }
        ap_log_error(APLOG_MARK, first ? APLOG_NOTICE : APLOG_INFO, 0, st->s, SD_LOGNO(00204)
                     "memcached %s is answering again", srv->name);
        /* Clear apr_memcache's own dead mark now rather than in 5 s. */
        if (srv->ms->status == APR_MC_SERVER_DEAD) {
            apr_memcache_enable_server(srv->mc, srv->ms);
        }
    }
}

static void *APR_THREAD_FUNC prober_main(apr_thread_t *thread, void *data)
{
    sd_store *st = data;

    while (!st->stopping) {
        apr_time_t next = apr_time_now() + st->probe_interval;
        for (int i = 0; i < st->nservers && !st->stopping; ++i) {
            mc_server *srv = &st->servers[i];
            int had_socket = srv->probe_sock != NULL;
            int healthy = probe_once(st, srv);
            /* The prober's own socket goes stale when memcached restarts;
             * one failure on an old socket earns a try on a fresh one. */
            if (!healthy && had_socket) {
                healthy = probe_once(st, srv);
            }
            if (healthy && !usable(srv) && st->copies > 1) {
                healthy = probe_exchange(srv, "flush_all\r\n", "OK");
            }
            set_health(st, srv, healthy);
        }
        while (!st->stopping && apr_time_now() < next) {
            apr_sleep(SD_PROBE_TICK);
        }
    }
    for (int i = 0; i < st->nservers; ++i) {
        probe_close(&st->servers[i]);
    }
    /* A plain return, not apr_thread_exit(): pthread_exit()'s unwinding
     * trips AddressSanitizer's thread teardown (a false stack-buffer
     * underflow in sigaltstack) in the ASan test build. */
    (void)thread;
    return NULL;
}

static apr_status_t stop_prober(void *data)
{
    sd_store *st = data;
    apr_status_t ignored;
    if (st->prober) {
        apr_atomic_set32(&st->stopping, 1);
        apr_thread_join(&ignored, st->prober);
        st->prober = NULL;
    }
    return APR_SUCCESS;
}

/* --------------------------------------------------------- server choice */

/* Each single-server client asks this for every command. The prober's
 * verdict decides; apr's own 5-second dead mark is lifted while the prober
 * sees the server answer. */
static apr_memcache_server_t *choose_server(void *baton, apr_memcache_t *mc,
                                            const apr_uint32_t hash)
{
    mc_server *srv = baton;
    (void)hash;
    if (!usable(srv)) {
        return NULL;
    }
    if (srv->ms->status == APR_MC_SERVER_DEAD) {
        apr_memcache_enable_server(mc, srv->ms);
    }
    return srv->ms;
}

/* The replica set of the key `placement` (primary first). A session's lock
 * is placed with the session itself: hashed on its own it would land on
 * another server for most sessions, and a session whose server is up would
 * answer 503 while its lock's server is down. */
static int targets_for(const sd_store *st, const char *placement, int *out)
{
    if (st->nservers == 1) {
        out[0] = 0;
        return 1;
    }
    return sd_ring_lookup(st->ring, placement, strlen(placement), out, st->copies);
}

/* ------------------------------------------------------------------ setup */

apr_status_t sd_store_create(apr_pool_t *pchild, server_rec *s, const sd_config *conf,
                             sd_stats *stats, volatile apr_uint32_t *health_flags,
                             const int *health_slots, sd_store **out)
{
    const apr_array_header_t *list = conf->memcache;
    sd_store *st = apr_pcalloc(pchild, sizeof(*st));
    int threads = 1;
    apr_status_t rv;

    /* Every worker thread may hold one connection; a smaller hard max would
     * make threads queue for sockets. */
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1) {
        threads = 1;
    }
    st->s = s;
    st->stats = stats;
    st->nservers = list->nelts;
    st->probe_interval = apr_time_from_msec(conf->probe_interval_ms);
    st->probe_timeout = apr_time_from_msec(conf->probe_timeout_ms);
    st->servers = apr_pcalloc(pchild, sizeof(mc_server) * (apr_size_t)list->nelts);

    st->copies = (int)conf->replicas + 1;
    {
        const char **names = apr_palloc(pchild, sizeof(char *) * (apr_size_t)list->nelts);
        for (int i = 0; i < list->nelts; ++i) {
            const sd_config_server *cfg = &APR_ARRAY_IDX(list, i, sd_config_server);
            names[i] = apr_psprintf(pchild, "%s:%d", cfg->host, (int)cfg->port);
        }
        st->ring = sd_ring_create(pchild, names, list->nelts);
    }
    for (int i = 0; i < list->nelts; ++i) {
        const sd_config_server *cfg = &APR_ARRAY_IDX(list, i, sd_config_server);
        mc_server *srv = &st->servers[i];
        rv = apr_memcache_create(pchild, 1, 0, &srv->mc);
        if (rv == APR_SUCCESS) {
            rv = apr_memcache_server_create(pchild, cfg->host, cfg->port, 0,
                                            (apr_uint32_t)threads, (apr_uint32_t)threads,
                                            (apr_uint32_t)SD_CONN_TTL, &srv->ms);
        }
        if (rv == APR_SUCCESS) {
            rv = apr_memcache_add_server(srv->mc, srv->ms);
        }
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, SD_LOGNO(00202)
                         "cannot set up memcached server %s:%d", cfg->host, (int)cfg->port);
            return rv;
        }
#if APR_HAS_THREADS
        apr_reslist_timeout_set(srv->ms->conns, SD_CONN_WAIT);
#endif
        srv->name = apr_psprintf(pchild, "%s:%d", cfg->host, (int)cfg->port);
        srv->item_size_max = SD_STORE_DEFAULT_ITEM_SIZE_MAX;
        /* Optimistic until the first probe: requests fail fast anyway if the
         * server refuses connections. */
        srv->healthy = 1;
        srv->outage = health_flags && health_slots ? &health_flags[health_slots[i]] : NULL;
        srv->mc->server_func = choose_server;
        srv->mc->server_baton = srv;
    }

    apr_pool_create(&st->probe_pool, pchild);
    rv = apr_thread_create(&st->prober, NULL, prober_main, st, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, SD_LOGNO(00206)
                     "cannot start the memcached health prober");
        return rv;
    }
    /* Before pchild's subpools go, so the thread never sees a dead pool. */
    apr_pool_pre_cleanup_register(pchild, st, stop_prober);
    *out = st;
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- commands */

/* Which failures are worth another attempt. apr_memcache 1.6 reports a
 * refusal by a live server ("SERVER_ERROR out of memory", "object too
 * large") as APR_EGENERAL, and so too a pooled socket already at EOF (an
 * empty reply; memcached restarted), which it then puts back in the pool:
 * its next use fails to send and destroys it, a transport error. So an
 * EGENERAL earns one more attempt, and is taken for a stale socket (and
 * retried further) only when that attempt fails in transport; twice
 * EGENERAL is a refusal. Transport failures are retried within a small
 * fixed budget, and only while the prober vouches for the server. A pool
 * wait that timed out is not retried: that would only double the wait. */
#define SD_STORE_ATTEMPTS 6

typedef struct {
    int attempts;
    int stale_seen;           /* an EGENERAL followed by a transport error */
    apr_status_t last;
} retry_state;

static int is_transport_failure(apr_status_t rv)
{
    return rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_EEXIST
           && rv != APR_EGENERAL && !APR_STATUS_IS_TIMEUP(rv);
}

static int worth_retry(const mc_server *srv, retry_state *rs, apr_status_t rv)
{
    apr_status_t before = rs->last;
    rs->last = rv;
    if (++rs->attempts >= SD_STORE_ATTEMPTS || !usable(srv)) {
        return 0;
    }
    if (is_transport_failure(rv)) {
        rs->stale_seen |= before == APR_EGENERAL;
        return 1;
    }
    return rv == APR_EGENERAL && (before != APR_EGENERAL || rs->stale_seen);
}

#define WITH_RETRY(srv, call)                                              \
    do {                                                                   \
        retry_state rs_ = { 0, 0, APR_SUCCESS };                           \
        do {                                                               \
            rv = (call);                                                   \
        } while (worth_retry((srv), &rs_, rv));                            \
    } while (0)

/* One server's answer, as a store result. */
static sd_store_result one_result(sd_store *st, request_rec *r, mc_server *srv,
                                  apr_status_t rv, const char *op)
{
    /* A request that was waiting on a frozen server when the prober gave
     * up on it gets its reply after the thaw. That reply proves the server
     * is back: take it, so this request can finish (and release its
     * session's lock) instead of meeting a server still marked down. With
     * replicas the prober must flush a returning server first, so only it
     * may bring one back. (Not APR_NOTFOUND: apr_memcache also says that
     * without asking, when choose_server refused the server.) */
    if (!usable(srv) && st->copies == 1 && (rv == APR_SUCCESS || rv == APR_EEXIST)) {
        set_health(st, srv, 1);
    }
    if (rv == APR_SUCCESS) {
        return SD_STORE_OK;
    }
    if (rv == APR_EEXIST) {
        return SD_STORE_EXISTS;
    }
    if (rv == APR_NOTFOUND && usable(srv) && srv->ms->status != APR_MC_SERVER_DEAD) {
        return SD_STORE_NOTFOUND;
    }
    if (usable(srv) && rv == APR_EGENERAL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, SD_LOGNO(00205)
                      "memcached %s refused %s", srv->name, op);
        return SD_STORE_ERROR;
    }
    /* An outage: the prober logs it once; here only at debug level. */
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, SD_LOGNO(00207)
                  "memcached %s unavailable for %s", srv->name, op);
    return SD_STORE_DOWN;
}

static sd_store_result counted(sd_store *st, sd_store_result res)
{
    if (res == SD_STORE_DOWN || res == SD_STORE_ERROR) {
        SD_STATS_INC(st->stats, store_errors);
    }
    return res;
}

/* Reads the key's replicas in ring order. Without `newer`, the first copy
 * found wins. With it, every replica that answers is read and the newest
 * copy wins: front-ends judge server health each on their own, so one may
 * have written a change to a replica another front-end did not see as
 * usable, leaving it a stale copy that "first that has it" would return. */
static sd_store_result read_replicas(sd_store *st, request_rec *r, const char *key,
                                     sd_store_newer_fn newer, char **val,
                                     apr_size_t *len, apr_uint16_t *flags)
{
    int t[SD_MAX_COPIES], n = targets_for(st, key, t), found = 0;
    sd_store_result best = SD_STORE_DOWN;

    for (int i = 0; i < n; ++i) {
        mc_server *srv = &st->servers[t[i]];
        char *v = NULL;
        apr_size_t l = 0;
        apr_uint16_t f = 0;
        apr_status_t rv;
        sd_store_result res;
        if (!usable(srv)) {
            continue;
        }
        WITH_RETRY(srv, apr_memcache_getp(srv->mc, r->pool, key, &v, &l, &f));
        res = one_result(st, r, srv, rv, "get");
        if (res == SD_STORE_OK) {
            if (!found || newer(v, l, *val, *len)) {
                *val = v;
                *len = l;
                *flags = f;
            }
            found = 1;
            if (!newer) {
                break;
            }
        }
        else if (res == SD_STORE_NOTFOUND || best == SD_STORE_DOWN) {
            best = res;
        }
    }
    return found ? SD_STORE_OK : counted(st, best);
}

sd_store_result sd_store_get(sd_store *st, request_rec *r, const char *key,
                             char **val, apr_size_t *len, apr_uint16_t *flags)
{
    return read_replicas(st, r, key, NULL, val, len, flags);
}

sd_store_result sd_store_get_newest(sd_store *st, request_rec *r, const char *key,
                                    sd_store_newer_fn newer, char **val,
                                    apr_size_t *len, apr_uint16_t *flags)
{
    return read_replicas(st, r, key, st->copies > 1 ? newer : NULL, val, len, flags);
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

static sd_store_result set_on(sd_store *st, request_rec *r, mc_server *srv,
                              const char *key, const char *val, apr_size_t len,
                              apr_uint32_t exptime, apr_uint16_t flags)
{
    apr_status_t rv;
    WITH_RETRY(srv, apr_memcache_set(srv->mc, key, (char *)val, len, exptime, flags));
    /* apr_memcache reports NOT_STORED as EEXIST; for set that is a failure. */
    return one_result(st, r, srv, rv == APR_EEXIST ? APR_EGENERAL : rv, "set");
}

/* A session's new value. Not memcached's `set`: a set it refuses (too
 * large, out of memory under -M) also unlinks the old copy, so a refused
 * write would cost the session. A refused `replace` leaves the old copy in
 * place; `add` covers a replica that has none (it was away, or the session
 * is new there), and a second replace an add that lost a race. */
static sd_store_result write_on(sd_store *st, request_rec *r, mc_server *srv,
                                const char *key, const char *val, apr_size_t len,
                                apr_uint32_t exptime, apr_uint16_t flags)
{
    apr_status_t rv;
    /* apr_memcache reports NOT_STORED as EEXIST: for replace, "missing". */
    WITH_RETRY(srv, apr_memcache_replace(srv->mc, key, (char *)val, len, exptime, flags));
    if (rv == APR_EEXIST) {
        WITH_RETRY(srv, apr_memcache_add(srv->mc, key, (char *)val, len, exptime, flags));
        if (rv == APR_EEXIST) {
            WITH_RETRY(srv, apr_memcache_replace(srv->mc, key, (char *)val, len, exptime, flags));
        }
    }
    return one_result(st, r, srv, rv == APR_EEXIST ? APR_EGENERAL : rv, "write");
}

/* Written to every replica that answers; a success if one has it. */
sd_store_result sd_store_set(sd_store *st, request_rec *r, const char *key,
                             const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags)
{
    int t[SD_MAX_COPIES], n = targets_for(st, key, t), stored = 0;
    sd_store_result worst = SD_STORE_DOWN;
    apr_uint32_t exptime = wire_exptime(ttl_seconds);

    for (int i = 0; i < n; ++i) {
        mc_server *srv = &st->servers[t[i]];
        sd_store_result res;
        if (!usable(srv)) {
            continue;
        }
        res = write_on(st, r, srv, key, val, len, exptime, flags);
        if (res == SD_STORE_OK) {
            ++stored;
        }
        else if (res == SD_STORE_ERROR) {
            worst = res;
        }
    }
    return stored ? SD_STORE_OK : counted(st, worst);
}

/* Atomic on the first replica that answers (new IDs, locks), then copied
 * to the others. A replica that fails to answer (killed a moment ago, not
 * yet seen by the prober) passes the add to the next one, as reads do;
 * only "exists" or a refusal from a live server ends the search. */
sd_store_result sd_store_add(sd_store *st, request_rec *r, const char *key,
                             const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags)
{
    int t[SD_MAX_COPIES], n = targets_for(st, key, t), first;
    apr_uint32_t exptime = wire_exptime(ttl_seconds);
    sd_store_result res = SD_STORE_DOWN;
    apr_status_t rv;

    for (first = 0; first < n; ++first) {
        mc_server *srv = &st->servers[t[first]];
        if (!usable(srv)) {
            continue;
        }
        WITH_RETRY(srv, apr_memcache_add(srv->mc, key, (char *)val, len, exptime, flags));
        res = one_result(st, r, srv, rv, "add");
        if (res != SD_STORE_DOWN) {
            break;
        }
    }
    if (res == SD_STORE_OK) {
        for (int i = first + 1; i < n; ++i) {
            if (usable(&st->servers[t[i]])) {
                write_on(st, r, &st->servers[t[i]], key, val, len, exptime, flags);
            }
        }
    }
    return counted(st, res);
}

/* An exptime memcached reads as an absolute time long past. */
#define SD_EXPIRED_EXPTIME ((apr_uint32_t)SD_STORE_RELATIVE_TTL_MAX + 1)

/* A lock must be taken on every replica that answers, not just the first:
 * while a server comes back, one request may still see it as down (and
 * lock only the next replica) while another already uses it. Two holders
 * always meet on a replica both saw, so they cannot both win. In ring
 * order; on a replica that is taken, the copies just added are removed
 * again and the caller backs off. */
sd_store_result sd_store_lock(sd_store *st, request_rec *r, const char *key,
                              const char *placement, const char *val, apr_size_t len,
                              apr_int64_t ttl_seconds)
{
    int t[SD_MAX_COPIES], n = targets_for(st, placement, t), held[SD_MAX_COPIES], nheld = 0;
    apr_uint32_t exptime = wire_exptime(ttl_seconds);
    sd_store_result res = SD_STORE_DOWN;

    for (int i = 0; i < n; ++i) {
        mc_server *srv = &st->servers[t[i]];
        apr_status_t rv;
        sd_store_result one;
        if (!usable(srv)) {
            continue;
        }
        WITH_RETRY(srv, apr_memcache_add(srv->mc, key, (char *)val, len, exptime, 0));
        one = one_result(st, r, srv, rv, "add");
        if (one == SD_STORE_OK) {
            held[nheld++] = t[i];
            res = SD_STORE_OK;
        }
        else if (one != SD_STORE_DOWN) {
            for (int j = 0; j < nheld; ++j) {
                set_on(st, r, &st->servers[held[j]], key, "", 0, SD_EXPIRED_EXPTIME, 0);
            }
            return counted(st, one);
        }
    }
    return counted(st, res);
}

/* On every replica that answers, the lock is removed only while it still
 * holds `token`: a get, a compare, then a delete. Without CAS a lock can
 * still change hands between the get and the delete; docs/security.md says
 * when that can happen. */
void sd_store_unlock(sd_store *st, request_rec *r, const char *key, const char *placement,
                     const char *token, apr_size_t len)
{
    int t[SD_MAX_COPIES], n = targets_for(st, placement, t);

    for (int i = 0; i < n; ++i) {
        mc_server *srv = &st->servers[t[i]];
        char *v = NULL;
        apr_size_t l = 0;
        apr_uint16_t f = 0;
        apr_status_t rv;
        if (!usable(srv)) {
            continue;
        }
        WITH_RETRY(srv, apr_memcache_getp(srv->mc, r->pool, key, &v, &l, &f));
        if (rv == APR_SUCCESS && l == len && memcmp(v, token, len) == 0) {
            set_on(st, r, srv, key, "", 0, SD_EXPIRED_EXPTIME, 0);
        }
        else if (rv == APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, SD_LOGNO(00209)
                          "lock %s on %s now belongs to another request; left alone",
                          key, srv->name);
        }
    }
}

apr_size_t sd_store_max_value(const sd_store *st, const char *key)
{
    int t[SD_MAX_COPIES], n = targets_for(st, key, t);
    apr_size_t overhead = strlen(key) + SD_STORE_ITEM_OVERHEAD, best = 0;

    for (int i = 0; i < n; ++i) {
        apr_size_t limit = st->servers[t[i]].item_size_max;
        apr_size_t room = limit > overhead ? limit - overhead : 0;
        if (i == 0 || room < best) {
            best = room;
        }
    }
    return best;
}

/* Removed from every replica that answers; one that is away is flushed on
 * its return, so no copy survives. A missing key counts as deleted. */
sd_store_result sd_store_delete(sd_store *st, request_rec *r, const char *key)
{
    int t[SD_MAX_COPIES], n = targets_for(st, key, t), answered = 0;
    sd_store_result worst = SD_STORE_OK;

    for (int i = 0; i < n; ++i) {
        mc_server *srv = &st->servers[t[i]];
        apr_status_t rv;
        sd_store_result res;
        if (!usable(srv)) {
            continue;
        }
        /* Not apr_memcache_delete(): it always sends "delete <key> 0",
         * which twemproxy answers by closing the connection. A set with an
         * expiry in 1970 (memcached reads exptimes over 30 days as absolute
         * times) removes the item on memcached and through any proxy. */
        WITH_RETRY(srv, apr_memcache_set(srv->mc, key, (char *)"", 0,
                                             SD_EXPIRED_EXPTIME, 0));
        res = one_result(st, r, srv, rv == APR_EEXIST ? APR_EGENERAL : rv, "delete");
        if (res == SD_STORE_OK || res == SD_STORE_NOTFOUND) {
            ++answered;
        }
        else {
            worst = res;
        }
    }
    if (!answered) {
        return counted(st, worst == SD_STORE_OK ? SD_STORE_DOWN : worst);
    }
    /* With one copy, a failed delete must be reported (the session would
     * live on); with replicas, one that answered plus flush-on-return is
     * enough. */
    return st->copies == 1 && worst != SD_STORE_OK ? counted(st, worst) : SD_STORE_OK;
}

int sd_store_servers(sd_store *st, apr_pool_t *p, sd_store_server_info **out)
{
    int n = st->nservers;
    sd_store_server_info *info = apr_pcalloc(p, sizeof(*info) * (n ? n : 1));

    for (int i = 0; i < n; ++i) {
        mc_server *srv = &st->servers[i];
        char *version = NULL;
        apr_memcache_stats_t *stats = NULL;

        info[i].host = srv->ms->host;
        info[i].port = srv->ms->port;
        info[i].up = usable(srv);
        /* Only ask a server the prober vouches for: a frozen one would hang
         * the status page. */
        if (info[i].up && apr_memcache_version(srv->ms, p, &version) == APR_SUCCESS) {
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
    return n;
}
