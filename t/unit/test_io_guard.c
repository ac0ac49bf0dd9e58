/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for io_guard on real loopback sockets: only sockets to the
 * given server are touched; a socket the server closed is found and shut
 * down (so its next send fails at once); the limit gives sockets a receive
 * timeout that ends a blocked read; a cut ends one at once. */
#include "sd_io_guard.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_time.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int listener(struct sockaddr_in *at)
{
    socklen_t len = sizeof(*at);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(at, 0, sizeof(*at));
    at->sin_family = AF_INET;
    at->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)at, sizeof(*at)) != 0 || listen(fd, 8) != 0
        || getsockname(fd, (struct sockaddr *)at, &len) != 0) {
        return -1;
    }
    return fd;
}

static int client(const struct sockaddr_in *to)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    return fd >= 0 && connect(fd, (const struct sockaddr *)to, sizeof(*to)) == 0 ? fd : -1;
}

static double read_seconds(int fd)
{
    char c;
    apr_time_t t = apr_time_now();
    (void)read(fd, &c, 1);
    return (double)(apr_time_now() - t) / APR_USEC_PER_SEC;
}

int main(void)
{
    apr_pool_t *p;
    apr_sockaddr_t *server, *other;
    struct sockaddr_in at, at2;
    int lfd, lfd2, alive, closed, bystander, peer_alive, peer_closed, peer_by;
    struct timeval tv;
    socklen_t len = sizeof(tv);
    double waited;

    apr_initialize();
    apr_pool_create(&p, NULL);
    signal(SIGPIPE, SIG_IGN);
    TAP_PLAN(10);

    lfd = listener(&at);
    lfd2 = listener(&at2);
    alive = client(&at);
    closed = client(&at);
    bystander = client(&at2);
    peer_alive = accept(lfd, NULL, NULL);
    peer_closed = accept(lfd, NULL, NULL);
    peer_by = accept(lfd2, NULL, NULL);
    TAP_OK(lfd >= 0 && alive >= 0 && closed >= 0 && bystander >= 0 && peer_closed >= 0
           && peer_by >= 0, "two servers on loopback, two clients of the first, one of the second");
    apr_sockaddr_info_get(&server, "127.0.0.1", APR_INET, ntohs(at.sin_port), 0, p);
    apr_sockaddr_info_get(&other, "127.0.0.1", APR_INET, ntohs(at2.sin_port), 0, p);

    close(peer_closed);               /* the server side goes away      */
    usleep(20000);
    TAP_OK(sd_io_guard_cut_closed(server, -1) == 1, "one socket closed by the server is found");
    TAP_OK(send(closed, "x", 1, MSG_NOSIGNAL) < 0 || send(closed, "x", 1, MSG_NOSIGNAL) < 0,
           "... and shut down: sending on it fails");
    TAP_OK(send(alive, "x", 1, MSG_NOSIGNAL) == 1, "the live socket to the same server is untouched");

    TAP_OK(sd_io_guard_limit(server, apr_time_from_msec(200), -1) >= 1,
           "a receive and send timeout for the sockets to the server");
    TAP_OK(getsockopt(bystander, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0 && tv.tv_sec == 0
           && tv.tv_usec == 0, "... none for a socket to another server");
    waited = read_seconds(alive);
    TAP_OK(waited > 0.1 && waited < 2, "a read from a silent server ends after the timeout (%.2f s)",
           waited);
    TAP_OK(sd_io_guard_limit(server, apr_time_from_msec(200), -1) == 0,
           "set once: the next pass changes nothing");
    TAP_OK(sd_io_guard_limit(server, apr_time_from_sec(5), -1) == 0
           && getsockopt(alive, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0 && tv.tv_sec == 0
           && tv.tv_usec == 200000,
           "a store with a longer timeout on the same server leaves the shorter one");

    sd_io_guard_cut(server, -1);
    waited = read_seconds(alive);
    TAP_OK(waited < 0.1 && send(bystander, "x", 1, MSG_NOSIGNAL) == 1,
           "a cut ends reads at once (%.3f s), and leaves the other server's socket", waited);

    (void)other;
    close(peer_alive);
    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
