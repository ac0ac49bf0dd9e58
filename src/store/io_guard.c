/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Our pool hands out connections taken from apr_memcache's, which alone
 * makes and ends them; a socket is listed, under the cuts' lock, only
 * until just before it is closed: a cut never reaches a reused number. */
#include "sd_io_guard.h"

#include <apr_portable.h>
#include <apr_reslist.h>
#include <apr_thread_mutex.h>
#include <apu_version.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#if APU_MAJOR_VERSION != 1 || APU_MINOR_VERSION < 6 || !APR_HAS_THREADS
#error "conn_head below is apr-util 1.6's and 1.7's apr_memcache_conn_t, threaded"
#endif

/* The head of apr_memcache's private connection struct, up to the one
 * field read: its socket. */
typedef struct {
    char *buffer;
    apr_size_t blen;
    apr_pool_t *p, *tp;
    apr_socket_t *sock;
} conn_head;

struct sd_io_guard {
    /* apr_memcache's own pool: ours keeps every idle connection, so each
     * acquire there makes one, and with the same limit it never waits. */
    apr_reslist_t *maker;
    apr_thread_mutex_t *lock;
    int *fds, n;
    struct timeval tv;
};

static int fd_of(void *conn)
{
    apr_os_sock_t fd = -1;
    apr_os_sock_get(&fd, ((conn_head *)conn)->sock);
    return fd;
}

static apr_status_t make_conn(void **conn, void *params, apr_pool_t *unused)
{
    sd_io_guard *g = params;
    apr_status_t rv = apr_reslist_acquire(g->maker, conn);
    int fd;
    (void)unused;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    fd = fd_of(*conn);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &g->tv, sizeof(g->tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &g->tv, sizeof(g->tv));
    apr_thread_mutex_lock(g->lock);
    g->fds[g->n++] = fd;
    apr_thread_mutex_unlock(g->lock);
    return APR_SUCCESS;
}

static apr_status_t end_conn(void *conn, void *params, apr_pool_t *unused)
{
    sd_io_guard *g = params;
    int fd = fd_of(conn);
    (void)unused;
    apr_thread_mutex_lock(g->lock);
    for (int i = 0; i < g->n; ++i) {
        if (g->fds[i] == fd) {
            g->fds[i] = g->fds[--g->n];
            break;
        }
    }
    apr_thread_mutex_unlock(g->lock);
    return apr_reslist_invalidate(g->maker, conn);
}

apr_status_t sd_io_guard_create(apr_memcache_server_t *ms, int max, apr_interval_time_t ttl,
                                apr_interval_time_t wait, apr_interval_time_t timeout,
                                sd_io_guard **out)
{
    sd_io_guard *g = apr_pcalloc(ms->p, sizeof(*g));
    apr_status_t rv;

    g->maker = ms->conns;
    g->fds = apr_pcalloc(ms->p, sizeof(int) * (apr_size_t)max);
    g->tv.tv_sec = (time_t)apr_time_sec(timeout);
    g->tv.tv_usec = (suseconds_t)apr_time_usec(timeout);
    rv = apr_thread_mutex_create(&g->lock, APR_THREAD_MUTEX_DEFAULT, ms->p);
    if (rv == APR_SUCCESS) {
        rv = apr_reslist_create(&ms->conns, 0, max, max, ttl, make_conn, end_conn, g, ms->p);
    }
    if (rv == APR_SUCCESS) {
        /* Ours ends its connections before apr_memcache's pool goes. */
        apr_reslist_cleanup_order_set(ms->conns, APR_RESLIST_CLEANUP_FIRST);
        apr_reslist_timeout_set(ms->conns, wait);
        *out = g;
    }
    return rv;
}

int sd_io_guard_cut(sd_io_guard *g, int closed_only)
{
    int done = 0;
    apr_thread_mutex_lock(g->lock);
    for (int i = 0; i < g->n; ++i) {
        struct tcp_info info;
        socklen_t len = sizeof(info);
        if (closed_only && (getsockopt(g->fds[i], IPPROTO_TCP, TCP_INFO, &info, &len) != 0
                            || info.tcpi_state != TCP_CLOSE_WAIT)) {
            continue;
        }
        done += shutdown(g->fds[i], SHUT_RDWR) == 0;
    }
    apr_thread_mutex_unlock(g->lock);
    return done;
}
