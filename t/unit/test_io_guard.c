/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for io_guard on real loopback sockets, with apr_memcache's
 * own connections to a fake memcached that answers when told: the
 * client's sockets get their timeouts when made (a foreign socket to the
 * same server gets none), a read from a silent server ends after it, a
 * socket the server closed is found and shut down, a cut ends a blocked
 * command at once; and a foreign socket to the same server is never
 * touched. */
#include "sd_io_guard.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_thread_proc.h>
#include <apr_time.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    apr_memcache_server_t *ms;
    apr_pool_t *p;
    apr_status_t rv;
    double took;
} command;

static void *APR_THREAD_FUNC version_main(apr_thread_t *t, void *data)
{
    command *c = data;
    char *v;
    apr_time_t t0 = apr_time_now();
    c->rv = apr_memcache_version(c->ms, c->p, &v);
    c->took = (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
    (void)t;
    return NULL;
}

/* Starts a "version" on ms, and reads it as the server: on `peer`, or on
 * a new connection (peer < 0). */
static int start(apr_thread_t **t, command *c, int lfd, int peer)
{
    char buf[64];
    apr_thread_create(t, NULL, version_main, c, c->p);
    if (peer < 0) {
        peer = accept(lfd, NULL, NULL);
    }
    (void)read(peer, buf, sizeof(buf));
    return peer;
}

static void finish(apr_thread_t *t)
{
    apr_status_t ignored;
    apr_thread_join(&ignored, t);
}

/* The client's end of the connection whose server end is peer. */
static int near_end(int peer)
{
    struct sockaddr_in far, mine;
    socklen_t len = sizeof(far);
    getpeername(peer, (struct sockaddr *)&far, &len);
    for (int fd = 3; fd < 1024; ++fd) {
        len = sizeof(mine);
        if (fd != peer && getsockname(fd, (struct sockaddr *)&mine, &len) == 0
            && mine.sin_port == far.sin_port) {
            return fd;
        }
    }
    return -1;
}

static long timeout_ms(int fd, int opt)
{
    struct timeval tv;
    socklen_t len = sizeof(tv);
    return getsockopt(fd, SOL_SOCKET, opt, &tv, &len) == 0
           ? (long)tv.tv_sec * 1000 + tv.tv_usec / 1000 : -1;
}

int main(void)
{
    apr_pool_t *p;
    apr_memcache_server_t *ms, *ms2;
    sd_io_guard *g = NULL, *g2 = NULL;
    struct sockaddr_in at;
    socklen_t len = sizeof(at);
    apr_thread_t *t;
    command c, c2;
    int lfd, foreign, foreign_peer, peer, mine;
    char *v;
    apr_status_t rv;

    apr_initialize();
    apr_pool_create(&p, NULL);
    signal(SIGPIPE, SIG_IGN);
    TAP_PLAN(10);

    memset(&at, 0, sizeof(at));
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    bind(lfd, (struct sockaddr *)&at, sizeof(at));
    listen(lfd, 8);
    getsockname(lfd, (struct sockaddr *)&at, &len);
    /* Another module's connection to the same memcached. */
    foreign = socket(AF_INET, SOCK_STREAM, 0);
    connect(foreign, (struct sockaddr *)&at, sizeof(at));
    foreign_peer = accept(lfd, NULL, NULL);
    apr_memcache_server_create(p, "127.0.0.1", ntohs(at.sin_port), 0, 2, 2, 60000000, &ms);
    apr_memcache_server_create(p, "127.0.0.1", ntohs(at.sin_port), 0, 2, 2, 60000000, &ms2);
    c.ms = ms, c.p = p, c2.ms = ms2, c2.p = p;
    sd_io_guard_create(ms, 2, apr_time_from_sec(60), apr_time_from_sec(1),
                       apr_time_from_msec(300), &g);
    sd_io_guard_create(ms2, 2, apr_time_from_sec(60), apr_time_from_sec(1),
                       apr_time_from_sec(2), &g2);

    peer = start(&t, &c, lfd, -1);
    (void)write(peer, "VERSION 1.6\r\n", 13);
    finish(t);
    mine = near_end(peer);
    TAP_OK(g && g2 && foreign_peer >= 0 && c.rv == APR_SUCCESS && mine >= 0,
           "two clients of one server through their guards; a command answered");
    TAP_OK(timeout_ms(mine, SO_RCVTIMEO) == 300 && timeout_ms(mine, SO_SNDTIMEO) == 300,
           "the client's socket got its receive and send timeout when made");
    TAP_OK(timeout_ms(foreign, SO_RCVTIMEO) == 0 && timeout_ms(foreign, SO_SNDTIMEO) == 0,
           "... a foreign socket to the same server none");

    start(&t, &c, lfd, peer);         /* the server keeps silent */
    finish(t);
    close(peer);
    TAP_OK(c.rv != APR_SUCCESS && c.took > 0.2 && c.took < 2,
           "a command to a silent server ends after the timeout (%.2f s)", c.took);
    TAP_OK(sd_io_guard_cut(g, 0) == 0,
           "a connection apr_memcache ended (the timed-out one) is no longer listed");

    peer = start(&t, &c, lfd, -1);
    (void)write(peer, "VERSION 1.6\r\n", 13);
    finish(t);
    close(peer);                      /* memcached restarted: CLOSE_WAIT */
    usleep(20000);
    TAP_OK(sd_io_guard_cut(g, 1) == 1, "one socket closed by the server is found");
    rv = apr_memcache_version(ms, p, &v);
    TAP_OK(rv != APR_SUCCESS && rv != APR_EGENERAL,
           "... and shut down: its next command fails to send, not as a refusal (%d)", rv);
    TAP_OK(send(foreign, "x", 1, MSG_NOSIGNAL) == 1 && sd_io_guard_cut(g, 1) == 0,
           "the foreign socket to the same server is untouched");

    peer = start(&t, &c2, lfd, -1);       /* silent: the command blocks */
    mine = near_end(peer);
    TAP_OK(timeout_ms(mine, SO_RCVTIMEO) == 2000,
           "the other client's socket has its own, longer timeout");
    usleep(100000);
    sd_io_guard_cut(g2, 0);
    finish(t);
    TAP_OK(c2.rv != APR_SUCCESS && c2.took < 1 && send(foreign, "x", 1, MSG_NOSIGNAL) == 1,
           "a cut ends a blocked command at once (%.2f s), and leaves the foreign socket",
           c2.took);

    close(peer);
    close(foreign_peer);
    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
