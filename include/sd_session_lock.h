/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The per-session lock that serialises the requests of one session, held
 * from load to save. Knows the store, never the session's content. */
#ifndef SD_SESSION_LOCK_H
#define SD_SESSION_LOCK_H

#include <httpd.h>

#include "sd_result.h"
#include "sd_vhost.h"

typedef struct sd_session_lock sd_session_lock;

typedef enum {
    SD_LOCK_WAIT,       /* up to SessionDemoLockWait                       */
    SD_LOCK_TRY         /* one attempt: a busy lock is not waited for      */
} sd_session_lock_mode;

/* Takes the lock of the record named `name` (sd_vault_name of its ID) in
 * this server's realm, released with r->pool at the latest. SD_BUSY when
 * SD_LOCK_TRY found it busy; SD_UNAVAILABLE when the store is down, the
 * wait ran out or SessionDemoLockWaiters requests already wait (logged). */
sd_result sd_session_lock_acquire(request_rec *r, const sd_vhost *v, const char *name,
                            sd_session_lock_mode mode, sd_session_lock **out);

/* Whether the holder may still trust its lock: memcached may drop a lock
 * up to a second before its TTL, counted from when the add was sent. */
int sd_session_lock_trusted(const sd_session_lock *lock);

/* Releases the lock if it is still ours; NULL-safe, idempotent. */
void sd_session_lock_release(sd_session_lock *lock);

/* The store key of the lock of the record named `name` (sd_vault_name):
 * "{<its key>}.<realm tag>.lock", or NULL when it would pass memcached's
 * 250-byte key limit. */
const char *sd_session_lock_key(apr_pool_t *p, const sd_config *conf, const char *name);

#endif
