/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Session lifecycle: load, regenerate, destroy, and the end-of-request
 * save with its Set-Cookie. Knows the cookie and the store, never HTML. */
#ifndef SD_SESSION_H
#define SD_SESSION_H

#include <httpd.h>
#include <jansson.h>

#include "sd_result.h"
#include "sd_vhost.h"

typedef struct sd_session sd_session;

/* What a route will do with the session. */
typedef enum {
    SD_SESSION_READ,   /* only reads: no lock, and changes to the data are
                          not saved (the route promises to make none)    */
    SD_SESSION_UPDATE, /* may change or destroy it: loaded under the lock  */
    SD_SESSION_UPDATE_TRY /* the same, but the lock is only tried          */
} sd_session_intent;

/* Loads the session of the request's validly signed cookie (cookies
 * verifying to different IDs make a guest, SD00323); otherwise, or for a
 * miss or an ended one, *out is a new empty one. With SessionDemoLock On,
 * an update takes the session's lock first; a read-only load takes it only
 * for a refresh, dropped if the session changed meanwhile. Returns SD_OK,
 * SD_BUSY (SD_SESSION_UPDATE_TRY found the lock held), SD_UNAVAILABLE (the
 * store or the lock) or SD_FAILED (logged). */
sd_result sd_session_load(request_rec *r, const sd_vhost *v,
                    sd_session_intent intent, sd_session **out);

/* Keeps the cookie pairs the gate removed from the headers, for a later
 * load in the same request. */
void sd_session_stash_cookie(request_rec *r, const char *pairs);

/* One field, or NULL (borrowed, read-only). */
const json_t *sd_session_get(sd_session *s, const char *key);
/* One field to be modified in place before the commit, or NULL. */
json_t *sd_session_get_mut(sd_session *s, const char *key);
/* Sets a field, taking the reference (as json_object_set_new); 0 or -1. */
int sd_session_set_new(sd_session *s, const char *key, json_t *value);
void sd_session_del(sd_session *s, const char *key);

/* New ID and empty data; the stored one ends now (fixation defence).
 * Returns SD_OK, SD_UNAVAILABLE or SD_FAILED. */
sd_result sd_session_regenerate(sd_session *s);

/* Deletes the stored session now and expires the cookie at commit.
 * Returns SD_OK, SD_UNAVAILABLE or SD_FAILED. */
sd_result sd_session_destroy(sd_session *s);

/* sd_session_load of the stored session `id`, for a user to see or end
 * another of their sessions: it never sends a cookie and its commit writes
 * nothing (end it with sd_session_destroy, release it with
 * sd_session_close). A missing, ended or foreign one opens as new. */
sd_result sd_session_open(request_rec *r, const sd_vhost *v, const char *id,
                    sd_session_intent intent, sd_session **out);

/* Every distinct ID our validly signed cookies name (const char *), for a
 * logout to end them all. */
apr_array_header_t *sd_session_cookie_ids(request_rec *r, const sd_vhost *v);

/* The session's ID: the loaded one, or the one minted at commit (NULL
 * before that for a new session). */
const char *sd_session_id(const sd_session *s);
/* Whether a stored, not ended session was loaded. */
int sd_session_is_live(const sd_session *s);
/* When the loaded session was created and last written (0: unknown). */
apr_time_t sd_session_created(const sd_session *s);
apr_time_t sd_session_saved(const sd_session *s);
/* Records how the session's login was verified (SD_RECORD_LOGIN_*, a
 * static string): where passwords are checked, a logged-in session whose
 * record does not say "password" (nor, under Adopt, "express" or "none")
 * loads as a guest. */
void sd_session_set_login(sd_session *s, const char *how);
/* Whether the commit has just saved a session no index of its user lists,
 * for the caller to index after the lock is released: one the Express app
 * wrote or logged in, or (then *rebuild_at is the save's time, else 0) a
 * logged-in one whose user had no index. */
int sd_session_to_index(const sd_session *s, apr_time_t *rebuild_at);

/* The session was ended by other means: the commit only expires the cookie. */
void sd_session_forget(sd_session *s);
/* Releases the lock of a session that is not committed; NULL-safe. */
void sd_session_close(sd_session *s);

/* What the save decision rests on (flags: 0 or 1). */
typedef struct {
    int destroyed;          /* ended by this request                       */
    int is_new;             /* no stored session was loaded                */
    int modified;           /* its data or its ID changed                  */
    int save_uninitialized; /* SessionDemoSaveUninitialized On             */
    int resave;             /* SessionDemoResave On                        */
    int rolling;            /* SessionDemoRolling On                       */
    int refresh_due;        /* under SessionDemoRefreshThreshold % left    */
    int clamped_in_place;   /* the absolute timeout holds the new expiry at
                               or before the stored one                    */
    int has_expiry;         /* a cookie with Expires                       */
    int resign;             /* its cookie was signed by an older secret    */
    int unlocked;           /* SessionDemoLock on, loaded without it       */
} sd_session_facts;

/* What the commit does. */
typedef struct {
    int write;              /* write the session                           */
    int send_cookie;        /* send its Set-Cookie                         */
    int expire_cookie;      /* expire the browser's cookie (an ended one)  */
    int recheck;            /* first try the lock and re-read; the write is
                               dropped if busy or changed meanwhile        */
    int may_drop;           /* a write too large is dropped, not refused   */
    int cookie_if_dropped;  /* send_cookie once the write is dropped       */
    const char *why;        /* the reason for `write`, for tests and logs  */
} sd_session_plan;

/* The save decision, pure. */
sd_session_plan sd_session_decide(const sd_session_facts *f);

/* Saves if needed, adds Set-Cookie to r->err_headers_out and releases the
 * lock; call once, before any body. Returns SD_OK; SD_TOO_LARGE (nothing
 * written); SD_ENDED (a logged-in session not in its user's index was
 * ended instead); or SD_UNAVAILABLE or SD_FAILED (logged). */
sd_result sd_session_commit(sd_session *s);

#endif
