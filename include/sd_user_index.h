/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Every session of a user, so the user and the admin can see and end them:
 * one index per user and realm in memcached, written under its own lock,
 * bounded (SessionDemoMaxSessionsPerUser), pruned at every write. Pages
 * show a handle (an HMAC of the ID), never the ID (docs/gateway.md). */
#ifndef SD_USER_INDEX_H
#define SD_USER_INDEX_H

#include <httpd.h>
#include <apr_tables.h>

#include "sd_result.h"
#include "sd_vhost.h"

typedef struct {
    const char *handle;
    const char *id;           /* for the caller's own comparisons only    */
    apr_time_t created;       /* 0 when unknown                           */
    apr_time_t last_seen;     /* the session's last write                 */
    const char *user_agent;   /* as sent at login, printable ASCII        */
    const char *ip;
} sd_user_index_entry;

/* Adds the just-saved session `id` of `user`, created at `created`, with
 * the request's user agent and address. Beyond the bound or memcached's
 * item size the oldest logins are ended; one created before an end of all
 * the user's sessions is ended instead. A new index records `rebuild_at`
 * (sd_session_to_index) so that sessions saved before it are indexed again.
 * Returns SD_OK, SD_REFUSED (a name the username rule refuses),
 * SD_UNAVAILABLE or SD_FAILED (logged). */
sd_result sd_user_index_add(request_rec *r, const sd_vhost *v, const char *user, const char *id,
                            apr_time_t created, apr_time_t rebuild_at);

/* Drops the ended session `id` (a logout). Returns SD_OK or
 * SD_UNAVAILABLE (logged); an entry left behind is pruned later. */
sd_result sd_user_index_remove(request_rec *r, const sd_vhost *v, const char *user,
                         const char *id);

/* The user's live sessions, most recently seen first, as an array of
 * sd_user_index_entry (from r->pool). Returns SD_OK, SD_UNAVAILABLE or
 * SD_FAILED. */
sd_result sd_user_index_list(request_rec *r, const sd_vhost *v, const char *user,
                       apr_array_header_t **entries);

/* Ends sessions of `user`, each under its lock and by a tombstone: the one
 * with `handle` (when not NULL), else every one but `keep_id` (NULL: all).
 * *ended counts them; *ended_id (may be NULL) gets the handle's ID.
 * Returns SD_OK, SD_NOT_FOUND (no live session has that handle) or
 * SD_UNAVAILABLE (some could not be ended). */
sd_result sd_user_index_end(request_rec *r, const sd_vhost *v, const char *user,
                      const char *handle, const char *keep_id, int *ended,
                      const char **ended_id);

/* Whether the logged-in session `id` of `user` is in the user's index,
 * asked before each save (sd_vhost_runtime.index_check) so one put back
 * after a revoke is ended. One unlisted but saved before the index's
 * rebuild, and not ended since, is SD_INDEX_MISSING (indexed again); an
 * index that does not open is SD_INDEX_DOWN (logged). */
sd_index_verdict sd_user_index_check(request_rec *r, const sd_vhost *v, const char *user,
                                     const char *id, apr_time_t created, apr_time_t saved);

/* How many users of the realm have a non-empty index (an evicted one is
 * still counted), for the status page. SD_OK or SD_UNAVAILABLE. */
sd_result sd_user_index_users(request_rec *r, const sd_vhost *v, apr_int64_t *count);

#endif
