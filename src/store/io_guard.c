/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Socket timeouts for a client library that sets none. Every descriptor of
 * the process is looked at, but only TCP sockets whose peer is one of the
 * server's addresses are touched. Another thread can close a descriptor
 * and a new one (a client's connection, a file) can take its number at any
 * moment, so each is first duplicated (close-on-exec, so no other thread's
 * fork and exec inherits it): the duplicate names the same socket for as
 * long as it is open, and the check and the change are both made on it.
 * Only when no descriptor is left to duplicate into is the number used as
 * it is, and a reuse between the check and the change possible. */
#include "sd_io_guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

/* Whether fd is a socket connected to one of peer's IPv4 addresses. */
static int connected_to(int fd, const apr_sockaddr_t *peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 || ss.ss_family != AF_INET) {
        return 0;
    }
    for (const apr_sockaddr_t *a = peer; a; a = a->next) {
        if (a->family == APR_INET && a->sa.sin.sin_port == in->sin_port
            && a->sa.sin.sin_addr.s_addr == in->sin_addr.s_addr) {
            return 1;
        }
    }
    return 0;
}

/* Calls fn for every open descriptor of this process but skip. */
static int each_fd(int skip, int (*fn)(int fd, void *baton), void *baton)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;
    int done = 0, self;

    if (!dir) {
        return 0;
    }
    self = dirfd(dir);
    while ((e = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        int mine;
        if (*end || end == e->d_name || fd == self || fd == skip) {
            continue;
        }
        mine = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
        if (mine < 0 && errno == EBADF) {
            continue;   /* closed meanwhile */
        }
        if (mine < 0) {
            /* No descriptor to spare (the child is at its limit, which is
             * when a cut matters most): act on the number itself, with the
             * small risk the header comment describes. */
            done += fn((int)fd, baton);
            continue;
        }
        done += fn(mine, baton);
        close(mine);
    }
    closedir(dir);
    return done;
}

typedef struct {
    const apr_sockaddr_t *peer;
    struct timeval tv;
} limit_args;

static int limit_one(int fd, void *baton)
{
    const limit_args *a = baton;
    struct timeval have;
    socklen_t len = sizeof(have);
    if (!connected_to(fd, a->peer)) {
        return 0;
    }
    /* Two stores with different timeouts on one server: the shorter one
     * stands, so neither undoes the other's every cycle. */
    if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &have, &len) == 0
        && (have.tv_sec || have.tv_usec)
        && (have.tv_sec < a->tv.tv_sec
            || (have.tv_sec == a->tv.tv_sec && have.tv_usec <= a->tv.tv_usec))) {
        return 0;
    }
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &a->tv, sizeof(a->tv)) == 0
           && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &a->tv, sizeof(a->tv)) == 0;
}

int sd_io_guard_limit(const apr_sockaddr_t *peer, apr_interval_time_t timeout, int skip)
{
    limit_args a;
    a.peer = peer;
    a.tv.tv_sec = (time_t)apr_time_sec(timeout);
    a.tv.tv_usec = (suseconds_t)apr_time_usec(timeout);
    return peer ? each_fd(skip, limit_one, &a) : 0;
}

static int cut_one(int fd, void *baton)
{
    return connected_to(fd, baton) && shutdown(fd, SHUT_RDWR) == 0;
}

int sd_io_guard_cut(const apr_sockaddr_t *peer, int skip)
{
    return peer ? each_fd(skip, cut_one, (void *)peer) : 0;
}

static int cut_closed_one(int fd, void *baton)
{
    struct tcp_info info;
    socklen_t len = sizeof(info);
    return connected_to(fd, baton)
           && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0
           && info.tcpi_state == TCP_CLOSE_WAIT && shutdown(fd, SHUT_RDWR) == 0;
}

int sd_io_guard_cut_closed(const apr_sockaddr_t *peer, int skip)
{
    return peer ? each_fd(skip, cut_closed_one, (void *)peer) : 0;
}
