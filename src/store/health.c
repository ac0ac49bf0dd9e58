/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The prober. One thread per child and server list checks each server
 * every probe interval on its own socket, each step bounded by the
 * timeout; only the child that changes a shared flag logs at error or
 * notice, so an outage is one line. The replay runs on a thread of its
 * own: it uses the requests' client and can block like them, while the
 * prober must go on judging and cutting. */
#include "sd_health.h"
#include "sd_io_guard.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_proc.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

#define SD_HEALTH_DEFAULT_ITEM_SIZE_MAX (1024 * 1024)

typedef struct {
    sd_health_server cfg;
    apr_pool_t *conn_pool;            /* the probe connection's, cleared on reconnect */
    apr_socket_t *sock;
    sd_io_guard *guard;               /* the client's sockets, or NULL   */
    volatile apr_uint32_t healthy;    /* this child's own verdict        */
    volatile apr_uint32_t item_size_max;
    int replay_due;                   /* under wake_lock                 */
    int proxy;                        /* refused "stats settings" last time */
    int refusal_logged;
    int resolve_logged;               /* "no IPv4 address" said this spell */
} server;

struct sd_health {
    server_rec *s;
    server *servers;
    int n;
    apr_interval_time_t interval, timeout;
    sd_health_return_fn on_return;
    sd_health_pending_fn pending;
    void *baton;
    apr_pool_t *scratch;              /* the replay thread's             */
    apr_thread_t *thread, *replayer;
    /* Both threads sleep on `wake` until the next probe, a replay or stop. */
    apr_thread_mutex_t *wake_lock;
    apr_thread_cond_t *wake;
    volatile apr_uint32_t stopping, stopping_replay;
};

sd_health *sd_health_create(apr_pool_t *pchild, server_rec *s, const sd_health_server *servers,
                            int n, apr_interval_time_t interval, apr_interval_time_t timeout,
                            sd_health_return_fn on_return, sd_health_pending_fn pending,
                            void *baton)
{
    sd_health *h = apr_pcalloc(pchild, sizeof(*h));
    h->s = s;
    h->on_return = on_return;
    h->pending = pending;
    h->baton = baton;
    h->n = n;
    h->interval = interval;
    h->timeout = timeout;
    h->servers = apr_pcalloc(pchild, sizeof(server) * (apr_size_t)(n ? n : 1));
    for (int i = 0; i < n; ++i) {
        h->servers[i].cfg = servers[i];
        h->servers[i].healthy = 1;   /* until the first probe says otherwise */
        h->servers[i].item_size_max = SD_HEALTH_DEFAULT_ITEM_SIZE_MAX;
        apr_pool_create(&h->servers[i].conn_pool, pchild);
    }
    apr_pool_create(&h->scratch, pchild);
    return h;
}

void sd_health_guard(sd_health *h, int i, sd_io_guard *guard)
{
    h->servers[i].guard = guard;
}

int sd_health_stopping(const sd_health *h)
{
    return h->stopping_replay != 0;
}

/* The shared verdict of every child's prober when there is shared memory,
 * else this child's. */
int sd_health_usable(const sd_health *h, int i)
{
    const server *srv = &h->servers[i];
    return srv->cfg.flag ? *srv->cfg.flag == 0 : srv->healthy != 0;
}

apr_size_t sd_health_item_size_max(const sd_health *h, int i)
{
    return h->servers[i].item_size_max;
}

static void publish(sd_health *h, server *srv, int healthy)
{
    apr_uint32_t was = apr_atomic_xchg32(&srv->healthy, (apr_uint32_t)healthy);
    apr_uint32_t flag = healthy ? 0 : 1;
    int first;
    if (was == (apr_uint32_t)healthy) {
        /* Another child may have left the shared flag saying otherwise. */
        if (srv->cfg.flag && *srv->cfg.flag != flag) {
            apr_atomic_set32(srv->cfg.flag, flag);
        }
        return;
    }
    first = !srv->cfg.flag || apr_atomic_xchg32(srv->cfg.flag, flag) != flag;
    if (!healthy) {
        ap_log_error(APLOG_MARK, first ? APLOG_ERR : APLOG_INFO, 0, h->s, SD_LOGNO(00203)
                     "memcached %s is not answering (probe timeout %" APR_TIME_T_FMT
                     " ms); routes that need a session answer 503 until it is back",
                     srv->cfg.name, apr_time_as_msec(h->timeout));
    }
    else {
        ap_log_error(APLOG_MARK, first ? APLOG_NOTICE : APLOG_INFO, 0, h->s, SD_LOGNO(00204)
                     "memcached %s is answering again", srv->cfg.name);
    }
}

static void close_probe(server *srv)
{
    if (srv->sock) {
        apr_socket_close(srv->sock);
        srv->sock = NULL;
    }
}

/* Reads until the reply ends with `end` or is a one-line refusal. Returns
 * the bytes read (0: closed at once), or -1. */
static long read_reply(server *srv, char *buf, apr_size_t cap, const char *end)
{
    apr_size_t got = 0, elen = strlen(end);
    apr_status_t rv = APR_SUCCESS;
    while (rv == APR_SUCCESS && got < cap - 1
           && (got < elen || memcmp(buf + got - elen, end, elen) != 0)) {
        apr_size_t len = cap - 1 - got;
        rv = apr_socket_recv(srv->sock, buf + got, &len);
        got += len;
        if (got >= 2 && memcmp(buf + got - 2, "\r\n", 2) == 0
            && (strncmp(buf, "ERROR", 5) == 0 || strncmp(buf, "CLIENT_ERROR", 12) == 0
                || strncmp(buf, "SERVER_ERROR", 12) == 0)) {
            break;
        }
    }
    buf[got] = '\0';
    return rv == APR_SUCCESS || (APR_STATUS_IS_EOF(rv) && got == 0) ? (long)got : -1;
}

static int send_all(server *srv, const char *cmd)
{
    apr_size_t len = strlen(cmd);
    return apr_socket_send(srv->sock, cmd, &len) == APR_SUCCESS && len == strlen(cmd);
}

/* memcached's item size limit (-I), which no session may exceed: read first
 * on each connection, so it is also the probe's answer. A server that
 * refuses "stats settings" or closes on it is a proxy (twemproxy), which
 * answers this itself: each of its probes is this on a new connection.
 * Returns whether the server answered. */
static int read_item_size_max(sd_health *h, server *srv)
{
    static const char field[] = "STAT item_size_max ";
    char reply[8192];
    const char *at = NULL;
    long got;

    got = send_all(srv, "stats settings\r\n") ? read_reply(srv, reply, sizeof(reply), "END\r\n")
                                               : -1;
    if (got < 0) {
        return 0;
    }
    if (got > 0 && (at = strstr(reply, field)) != NULL) {
        apr_int64_t v = apr_atoi64(at + sizeof(field) - 1);
        if (v >= 1024 && v <= 1024L * 1024 * 1024) {
            apr_atomic_set32(&srv->item_size_max, (apr_uint32_t)v);
        }
        srv->proxy = 0;
        return 1;
    }
    if (!srv->proxy) {
        srv->proxy = 1;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, h->s, SD_LOGNO(00210)
                     "memcached %s does not tell its item size limit ('stats settings' %s):"
                     " a proxy, or a server that refuses it; sessions are kept under %d"
                     " bytes, and its health is its own answer to that, not a backend's",
                     srv->cfg.name, got == 0 ? "closed the connection" : "was refused",
                     SD_HEALTH_DEFAULT_ITEM_SIZE_MAX);
    }
    close_probe(srv);
    return 1;
}

static int connect_probe(sd_health *h, server *srv)
{
    apr_socket_t *sock;
    apr_sockaddr_t *addr;
    apr_pool_clear(srv->conn_pool);
    /* As apr_memcache resolves it (IPv4), on every connect: a moved name is
     * found; the pool, cleared here, keeps a server down from costing memory. */
    if (apr_sockaddr_info_get(&addr, srv->cfg.host, APR_INET, srv->cfg.port, 0,
                              srv->conn_pool) != APR_SUCCESS) {
        if (!srv->resolve_logged) {
            srv->resolve_logged = 1;
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, h->s, SD_LOGNO(00215)
                         "memcached %s: '%s' has no IPv4 address (now), and apr-util 1.6's"
                         " memcached client connects over IPv4 only", srv->cfg.name,
                         srv->cfg.host);
        }
        return 0;
    }
    srv->resolve_logged = 0;
    if (apr_socket_create(&sock, APR_INET, SOCK_STREAM, APR_PROTO_TCP, srv->conn_pool)
        != APR_SUCCESS) {
        return 0;
    }
    apr_socket_timeout_set(sock, h->timeout);
    if (apr_socket_connect(sock, addr) != APR_SUCCESS) {
        apr_socket_close(sock);
        return 0;
    }
    srv->sock = sock;
    return 1;
}

/* One round trip: "stats settings" on a new connection, then "version";
 * any answer proves the server is there. A proxy is never asked "version":
 * it passes that to one of its nodes, so one frozen node would take the
 * whole proxy down. */
static int probe_once(sd_health *h, server *srv)
{
    char reply[256];
    int version = srv->sock != NULL;
    int ok = version ? send_all(srv, "version\r\n")
                         && read_reply(srv, reply, sizeof(reply), "\r\n") > 0
                       : connect_probe(h, srv) && read_item_size_max(h, srv);
    if (!ok) {
        close_probe(srv);
    }
    else if (version && strncmp(reply, "VERSION ", 8) != 0 && !srv->refusal_logged) {
        srv->refusal_logged = 1;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, h->s, SD_LOGNO(00211)
                     "memcached %s answers the probe's 'version' with '%.40s': a proxy or a"
                     " server that refuses the command; it counts as answering",
                     srv->cfg.name, reply);   /* httpd escapes the log line */
    }
    return ok;
}

static void check(sd_health *h, int i)
{
    server *srv = &h->servers[i];
    int had_socket = srv->sock != NULL;
    apr_time_t started = apr_time_now();
    int healthy = probe_once(h, srv), usable;
    /* After a memcached restart the old socket fails at once: one try on a
     * fresh one. Not after a timeout: the verdict must come within one. */
    if (!healthy && had_socket && apr_time_now() - started < h->timeout / 2) {
        healthy = probe_once(h, srv);
    }
    publish(h, srv, healthy);
    usable = sd_health_usable(h, i);
    /* Unusable: blocked requests get their error now, and again each cycle
     * for one that got past the verdict just before it. Usable: the
     * sockets it closed are cut. */
    if (srv->guard) {
        sd_io_guard_cut(srv->guard, usable);
    }
    if (usable && h->pending(h->baton, i)) {
        apr_thread_mutex_lock(h->wake_lock);
        srv->replay_due = 1;
        apr_thread_cond_broadcast(h->wake);
        apr_thread_mutex_unlock(h->wake_lock);
    }
}

/* A replay due on a server no longer usable is dropped: the prober asks
 * again when it is back. */
static void *APR_THREAD_FUNC replayer_main(apr_thread_t *thread, void *data)
{
    sd_health *h = data;

    apr_thread_mutex_lock(h->wake_lock);
    while (!h->stopping_replay) {
        int i = 0;
        while (i < h->n && !h->servers[i].replay_due) {
            ++i;
        }
        if (i == h->n) {
            apr_thread_cond_wait(h->wake, h->wake_lock);
            continue;
        }
        h->servers[i].replay_due = 0;
        apr_thread_mutex_unlock(h->wake_lock);
        if (sd_health_usable(h, i)) {
            apr_pool_clear(h->scratch);
            h->on_return(h->baton, i, h->scratch);
        }
        apr_thread_mutex_lock(h->wake_lock);
    }
    apr_thread_mutex_unlock(h->wake_lock);
    (void)thread;
    return NULL;
}

static void *APR_THREAD_FUNC prober_main(apr_thread_t *thread, void *data)
{
    sd_health *h = data;

    while (!h->stopping) {
        apr_time_t next = apr_time_now() + h->interval, now;
        for (int i = 0; i < h->n && !h->stopping; ++i) {
            check(h, i);
        }
        apr_thread_mutex_lock(h->wake_lock);
        while (!h->stopping && (now = apr_time_now()) < next) {
            apr_thread_cond_timedwait(h->wake, h->wake_lock, next - now);
        }
        apr_thread_mutex_unlock(h->wake_lock);
    }
    for (int i = 0; i < h->n; ++i) {
        close_probe(&h->servers[i]);
    }
    /* Not apr_thread_exit(): its unwinding trips ASan's thread teardown. */
    (void)thread;
    return NULL;
}

static void stop(sd_health *h, volatile apr_uint32_t *flag, apr_thread_t **thread)
{
    apr_status_t ignored;
    if (*thread) {
        apr_thread_mutex_lock(h->wake_lock);
        *flag = 1;
        apr_thread_cond_broadcast(h->wake);
        apr_thread_mutex_unlock(h->wake_lock);
        apr_thread_join(&ignored, *thread);
        *thread = NULL;
    }
}

static apr_status_t stop_prober(void *data)
{
    sd_health *h = data;
    /* The replayer first: the prober still cuts a frozen server's sockets
     * meanwhile, so it cannot hang the child's exit. */
    stop(h, &h->stopping_replay, &h->replayer);
    stop(h, &h->stopping, &h->thread);
    return APR_SUCCESS;
}

apr_status_t sd_health_start(sd_health *h, apr_pool_t *pchild)
{
    apr_status_t rv = apr_thread_mutex_create(&h->wake_lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&h->wake, pchild);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_thread_create(&h->thread, NULL, prober_main, h, pchild);
    }
    if (rv == APR_SUCCESS) {
        /* Before pchild's subpools go, so no thread ever sees a dead pool. */
        apr_pool_pre_cleanup_register(pchild, h, stop_prober);
        rv = apr_thread_create(&h->replayer, NULL, replayer_main, h, pchild);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, h->s, SD_LOGNO(00206)
                     "cannot start the memcached health prober");
    }
    return rv;
}
