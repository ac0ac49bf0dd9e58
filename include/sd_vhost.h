/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Per virtual host: the directives and, apart from them, the runtime state
 * built from them at each stage of httpd's start-up. */
#ifndef SD_VHOST_H
#define SD_VHOST_H

#include <httpd.h>
#include <apr_tables.h>

#include "sd_authn.h"
#include "sd_config.h"
#include "sd_host_lock.h"
#include "sd_seal.h"
#include "sd_stats.h"
#include "sd_backend.h"
#include "sd_store.h"
#include "sd_throttle.h"
#include "sd_views.h"
#include "sd_waiters.h"

struct sd_vhost;

/* Whether a logged-in session is listed in its user's index (checked
 * before each save of it, so a copy put back after a revoke ends at its
 * next write instead of living on unlisted). */
typedef enum {
    SD_INDEX_LISTED,
    SD_INDEX_UNLISTED,   /* the index opened and does not list it          */
    SD_INDEX_MISSING,    /* no index: the session is to be indexed again   */
    SD_INDEX_DOWN        /* the store did not answer, or the index does not
                            open: no verdict (the save goes on unchecked) */
} sd_index_verdict;

typedef sd_index_verdict (*sd_index_check_fn)(request_rec *r, const struct sd_vhost *v,
                                              const char *user, const char *id,
                                              apr_time_t created, apr_time_t saved);

typedef struct {
    /* check_config, in the parent, shared by every child: */
    const sd_views *views;
    const char *csp;                     /* Content-Security-Policy of its pages */
    sd_authn *authn;                     /* NULL: demo mode                */
    sd_index_check_fn index_check;       /* sd_user_index_check, or NULL   */
    const sd_seal_keys *seal;            /* one per secret; NULL: Express  */
    int nseal;
    sd_throttle *throttle;               /* NULL: demo mode, or no limits  */
    /* Every session cookie name of the whole httpd (browsers send a host's
     * cookies to all its ports) and every SessionDemoStripCookieName. */
    const apr_array_header_t *strip_names;
    /* post_config; the host locks (NULL unless a server uses Host) and the
     * counters are kept by the parent across restarts: */
    volatile apr_uint32_t *health_flags; /* memcached health in shared memory */
    sd_host_lock_table *host_locks;
    sd_stats *stats;
    const int *health_slots;             /* flag index per server         */
    /* child_init, per child (shared by virtual hosts with the same servers
     * and settings): */
    sd_backend *backend;                 /* memcached, for the status page */
    sd_store *store;
    sd_waiters *lock_waiters;
    /* SessionDemoLockWaiters 0's limit: all but one of the child's MPM
     * threads (HTTP/1) or of mod_http2's workers (HTTP/2). */
    int lock_waiters_h1, lock_waiters_h2;
    int pool_size;                       /* connections per server         */
    /* The next second the vault may log a record that does not open, and
     * a save made without its index check. */
    volatile apr_uint32_t *unopenable_log_next;
    volatile apr_uint32_t *index_down_log_next;
} sd_vhost_runtime;

typedef struct sd_vhost {
    sd_config *conf;
    sd_vhost_runtime rt;
} sd_vhost;

void *sd_vhost_create(apr_pool_t *p, server_rec *s);
void *sd_vhost_merge(apr_pool_t *p, void *basev, void *addv);

sd_vhost *sd_vhost_get(const server_rec *s);

#endif
