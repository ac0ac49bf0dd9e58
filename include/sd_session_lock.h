/* The per-session lock that serialises the requests of one session, held
 * from load to save. Knows the store, never the session's content. */
#ifndef SD_SESSION_LOCK_H
#define SD_SESSION_LOCK_H

#include <httpd.h>

#include "sd_vhost.h"

typedef struct sd_session_lock sd_session_lock;

/* Waits up to SessionDemoLockWait for the lock of session `id`. Returns OK
 * with *out set (released when r->pool is cleared, if not before), or
 * HTTP_SERVICE_UNAVAILABLE (the store is down, or the wait ran out). */
int sd_session_lock_acquire(request_rec *r, const sd_vhost *v, const char *id,
                            sd_session_lock **out);

/* Whether the holder may still trust its lock (it has not outlived the
 * lock's TTL, less a margin). */
int sd_session_lock_trusted(const sd_session_lock *lock);

/* Releases the lock if it can still be ours; NULL-safe, idempotent. */
void sd_session_lock_release(sd_session_lock *lock);

#endif
