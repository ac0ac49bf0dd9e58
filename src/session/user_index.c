/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The index of a user's sessions, stored in a session's shape so the
 * store's replica protocol applies to it. It holds IDs; whether an entry's
 * session is alive is always read from the session, and a gone one is
 * dropped at the next write. Lock order: the index lock is taken while no
 * session lock is held (an add may then end sessions); no session's
 * request waits for the index while holding its own lock. */
#include "sd_user_index.h"
#include "sd_username.h"
#include "sd_cookie.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_record.h"
#include "sd_session.h"
#include "sd_session_lock.h"
#include "sd_vault.h"

#include <http_log.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_escape.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* An index outlives its sessions (each slides its own expiry without
 * touching the index): it lives this long from its last write. */
#define INDEX_LIFETIME_SECONDS (400LL * 24 * 3600)
#define INDEX_MAX_VALUE (256 * 1024)
#define USER_AGENT_MAX 200
#define HANDLE_CONTEXT "sessiondemo-handle:"
#define HANDLE_LEN 32           /* lower-case hex of 128 bits */

typedef struct {
    const char *key;        /* the index's store key                    */
    const char *lock_id;    /* what its record and lock are named after */
    const char *lock_name;  /* ...as memcached keys name it (sd_vault_name) */
    const char *lock_key;   /* ...and that lock's key, for the replay   */
    const char *user;
} index_name;

/* What an index holds, read or about to be written. */
typedef struct {
    apr_int64_t gen;
    apr_time_t created;
    json_t *sessions;       /* [{"id","created","ua","ip"}], tracked     */
    json_int_t users;       /* the count's record: its "users"           */
    apr_time_t ended_before; /* sessions created before this were ended  */
    const char *ended_keep;  /* ...all but this one (logout-others)       */
    apr_time_t rebuilt;      /* re-made by a save that found it missing   */
    const char *old_key;     /* found under an older secret's key         */
    int found;
} index_value;

/* Every 500 of this unit is one of these: memory ran out (APR aborts on
 * that, so in practice jansson or OpenSSL did). */
static sd_result out_of_memory(request_rec *r, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, r, SD_LOGNO(00510)
                  "out of memory (or OpenSSL failed) %s", what);
    return SD_FAILED;
}

/* The name is a hash of realm and user: a username of any length and
 * bytes makes a valid memcached key, and realms never share an index. */
static index_name name_of(apr_pool_t *p, const sd_vhost *v, const char *kind,
                          const char *user)
{
    const sd_config *conf = v->conf;
    apr_size_t rlen = strlen(conf->realm) + 1, ulen = strlen(user);
    char *msg = apr_palloc(p, rlen + ulen), hex[2 * EVP_MAX_MD_SIZE + 1];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    index_name n = { NULL, NULL, NULL, NULL, user };

    memcpy(msg, conf->realm, rlen);
    memcpy(msg + rlen, user, ulen);
    if (EVP_Digest(msg, rlen + ulen, digest, &dlen, EVP_sha256(), NULL)) {
        apr_escape_hex(hex, digest, dlen, 0, NULL);
        /* Sealed: the memcached key is a keyed hash of this name too, so a
         * key listing does not tell whose index it is. */
        n.lock_id = apr_pstrcat(p, kind, hex, NULL);
        n.lock_name = sd_vault_name(p, v, n.lock_id);
        n.lock_key = n.lock_name ? sd_session_lock_key(p, conf, n.lock_name) : NULL;
        n.key = n.lock_key ? apr_pstrcat(p, conf->key_prefix, n.lock_name, NULL) : NULL;
    }
    return n;
}

static const char *handle_with(apr_pool_t *p, const sd_secret *secret, const char *id)
{
    unsigned char mac[SD_MAC_LEN];
    char *msg = apr_pstrcat(p, HANDLE_CONTEXT, id, NULL);
    char *out = apr_palloc(p, HANDLE_LEN + 1);

    /* Truncated to 128 bits and in another context than the cookie's
     * signature, so a handle is never half of a valid cookie. */
    if (!sd_mac_compute(secret->keyed_mac, msg, strlen(msg), mac)) {
        return NULL;
    }
    apr_escape_hex(out, mac, HANDLE_LEN / 2, 0, NULL);
    return out;
}

/* Whether `handle` names `id` under any configured secret (a page shown
 * before a secret rotation still works). */
static int handle_matches(apr_pool_t *p, const sd_vhost *v, const char *handle,
                          const char *id)
{
    const sd_secret *secrets = (const sd_secret *)v->conf->secrets->elts;
    for (int i = 0; i < v->conf->secrets->nelts; ++i) {
        const char *mine = handle_with(p, &secrets[i], id);
        if (mine && CRYPTO_memcmp(mine, handle, HANDLE_LEN) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------- stored value */

static apr_time_t ms_member(const json_t *e, const char *name)
{
    const json_t *t = json_object_get(e, name);
    return json_is_integer(t) && json_integer_value(t) > 0
           ? (apr_time_t)json_integer_value(t) * 1000 : 0;
}

static sd_result read_index(request_rec *r, const sd_vhost *v, const index_name *n,
                             sd_store_read_mode mode, index_value *out)
{
    const char *what = *n->user ? "index of a user's sessions" : "count of indexed users";
    char *val = NULL;
    apr_size_t len = 0;
    apr_uint16_t flags = 0;
    json_t *rec = NULL;
    const char *err = NULL;
    const json_t *sessions;
    int unopenable = 0;

    memset(out, 0, sizeof(*out));
    if (!n->key) {
        return out_of_memory(r, "naming the index of a user's sessions");
    }
    if (!(out->sessions = sd_json_track(r->pool, json_array()))) {
        return out_of_memory(r, "reading an index");
    }
    switch (sd_vault_read(r, v, n->lock_id, n->lock_key, mode, &val, &len, &flags,
                          &out->old_key, &unopenable)) {
    case SD_STORE_OK:
        break;
    case SD_STORE_NOTFOUND:
        if (unopenable && *n->user) {
            /* Counted as empty, it would make a revoke or logout-others
             * end nothing and report success: whoever altered it would
             * keep the sessions it lists alive. */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00520)
                          "the %s of user '%s' exists but does not open; not treating it"
                          " as empty: answering 503 (delete its key in memcached to let"
                          " it be rebuilt, which unlists the user's sessions)", what,
                          ap_escape_logitem(r->pool, n->user));
            return SD_UNAVAILABLE;
        }
        return SD_OK;
    default:
        return SD_UNAVAILABLE;
    }
    if (flags != SD_VAULT_FLAGS_JSON || len > INDEX_MAX_VALUE
        || !(rec = sd_record_decode(r->pool, val, len, &err))) {
        /* Rebuilt from scratch by the next write: its sessions are still
         * alive, but no longer listed. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00501)
                      "ignoring an unusable %s (%" APR_SIZE_T_FMT " bytes): %s", what, len,
                      err ? err : "wrong flags or too large");
        return SD_OK;
    }
    out->found = 1;
    out->users = json_integer_value(json_object_get(rec, "users"));
    out->ended_before = ms_member(json_object_get(rec, "ended"), "before");
    out->ended_keep = json_string_value(json_object_get(json_object_get(rec, "ended"), "keep"));
    out->rebuilt = ms_member(rec, "rebuilt");
    out->gen = sd_record_meta_read(rec).gen;
    out->created = sd_record_meta_read(rec).created;
    sessions = json_object_get(rec, "sessions");
    if (json_is_array(sessions)) {
        size_t i;
        json_t *e;
        json_array_foreach((json_t *)sessions, i, e) {
            if (json_is_object(e) && json_is_string(json_object_get(e, "id"))) {
                json_array_append(out->sessions, e);
            }
        }
    }
    return SD_OK;
}

/* The index of `user`, read without its lock. */
static sd_result read_user_index(request_rec *r, const sd_vhost *v, const char *user,
                                 index_value *iv)
{
    index_name n = name_of(r->pool, v, "index:", user);
    return read_index(r, v, &n, SD_STORE_READ_ONLY, iv);
}

static sd_result write_index(request_rec *r, const sd_vhost *v, const index_name *n,
                       const index_value *iv, const char *member, json_t *value)
{
    const sd_config *conf = v->conf;
    apr_time_t now = apr_time_now();
    apr_time_t lifetime = apr_time_from_sec(INDEX_LIFETIME_SECONDS);
    sd_record_cookie_attrs attrs = { lifetime, now + lifetime, 0, 1, NULL, "/", NULL };
    sd_record_meta meta = { conf->realm, iv->gen + 1, now, iv->created ? iv->created : now, 0,
                            NULL };
    json_t *rec = sd_json_track(r->pool, json_object());
    const char *value_text = NULL;
    apr_size_t len = 0, room;
    int ok = rec && json_object_set_new(rec, "user", json_string(n->user)) == 0
             && json_object_set(rec, member, value) == 0;

    if (ok && iv->ended_before) {
        json_t *ended = json_pack("{s:I,s:s?}", "before", (json_int_t)apr_time_as_msec(iv->ended_before),
                                  "keep", iv->ended_keep);
        ok = ended && json_object_set_new(rec, "ended", ended) == 0;
    }
    if (ok && iv->rebuilt) {
        ok = json_object_set_new(rec, "rebuilt",
                                 json_integer((json_int_t)apr_time_as_msec(iv->rebuilt))) == 0;
    }
    if (ok) {
        value_text = sd_record_encode(r->pool, rec, &attrs, &meta, &len);
    }
    if (!value_text) {
        return out_of_memory(r, "writing the index of a user's sessions");
    }
    room = sd_store_max_value(v->rt.store, n->key);
    if (sd_vault_stored_len(v, len) > room || len > INDEX_MAX_VALUE) {
        return SD_TOO_LARGE;   /* nothing was written */
    }
    if (sd_vault_write(r, v, n->lock_id, n->lock_key, value_text, len, &meta,
                       INDEX_LIFETIME_SECONDS, iv->old_key) != SD_STORE_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00503)
                      "the index of a user's sessions could not be written");
        return SD_UNAVAILABLE;
    }
    SD_STATS_INC(v->rt.stats, index_writes);
    return SD_OK;
}

/* The index's own lock, in the mode sessions are locked in. */
static sd_result lock_index(request_rec *r, const sd_vhost *v, const index_name *n,
                      sd_session_lock_mode mode, sd_session_lock **lock)
{
    *lock = NULL;
    return v->conf->lock == SD_LOCK_OFF
           ? SD_OK : sd_session_lock_acquire(r, v, n->lock_name, mode, lock);
}

static int still_trusted(request_rec *r, const sd_session_lock *lock)
{
    if (lock && !sd_session_lock_trusted(lock)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00504)
                      "held the lock of a user's session index longer than it can"
                      " trust it; not writing it");
        return 0;
    }
    return 1;
}

/* ----------------------------------------------------------- sessions */

static const char *text_member(const json_t *e, const char *name)
{
    const json_t *t = json_object_get(e, name);
    return json_is_string(t) ? json_string_value(t) : "";
}

static int live_of(sd_session *s, const char *user)
{
    const json_t *name = sd_session_get(s, "username");
    return sd_session_is_live(s) && json_is_string(name)
           && strcmp(json_string_value(name), user) == 0;
}

/* SD_OK when the entry's session is alive, logged in and still `user`'s
 * (with when it was created and last written), SD_NOT_FOUND when not,
 * SD_UNAVAILABLE when it cannot be read now. */
static sd_result peek(request_rec *r, const sd_vhost *v, const char *user, const char *id,
                      apr_time_t *saved, apr_time_t *created)
{
    sd_session *s;

    if (sd_session_open(r, v, id, SD_SESSION_READ, &s) != SD_OK) {
        return SD_UNAVAILABLE;
    }
    if (!live_of(s, user) || !json_is_true(sd_session_get(s, "isLoggedIn"))) {
        return SD_NOT_FOUND;
    }
    *saved = sd_session_saved(s);
    *created = sd_session_created(s);
    return SD_OK;
}

/* Ends one session under its lock, waited for or (`try_only`, making room
 * under the index's lock) only tried. `unlist_first`: the caller does not
 * hold the index's lock, so an end without the session's lock unlists it
 * before its tombstone. 1: ended, 0: no live session of `user`, -1: not now. */
static int end_session(request_rec *r, const sd_vhost *v, const char *user, const char *id,
                       int try_only, int unlist_first)
{
    sd_session *s;
    sd_result rc = sd_session_open(r, v, id, try_only ? SD_SESSION_UPDATE_TRY : SD_SESSION_UPDATE,
                                   &s);
    int ended = 0, unlocked = 0;

    if (rc != SD_OK && !try_only && v->conf->lock != SD_LOCK_OFF) {
        /* Its lock was not had in time: an end asked for is written anyway
         * (a tombstone outranks any copy); a holder that saves after it
         * finds its session unlisted and ends it (sd_user_index_check). */
        sd_session_close(s);
        rc = sd_session_open(r, v, id, SD_SESSION_READ, &s);
        unlocked = rc == SD_OK;
    }
    if (rc == SD_OK && live_of(s, user)) {
        /* Unlisted before the tombstone, so a lock holder saving after it
         * ends the session; not unlisted, it stays for the next end. */
        rc = unlocked && unlist_first ? sd_user_index_remove(r, v, user, id) : SD_OK;
        if (rc == SD_OK) {
            rc = sd_session_destroy(s);
        }
        ended = rc == SD_OK;
        if (ended) {
            SD_STATS_INC(v->rt.stats, revoked);
        }
        if (ended && unlocked) {
            ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00521)
                          "a session of user '%s' was ended without its lock (not had"
                          " within SessionDemoLockWait)",
                          ap_escape_logitem(r->pool, user));
        }
    }
    sd_session_close(s);
    return rc != SD_OK ? -1 : ended;
}

/* An entry of an index being rewritten: its session's login, and whether
 * ending it to make room was tried already in this rewrite. */
typedef struct {
    json_t *e;
    const char *id;
    apr_time_t login;
    int tried;
} kept_entry;

/* The entries whose sessions are alive (or cannot be read now) and not in
 * `drop` (IDs, may be NULL). */
static apr_array_header_t *prune(request_rec *r, const sd_vhost *v, const char *user,
                                 json_t *sessions, apr_hash_t *drop)
{
    apr_array_header_t *kept = apr_array_make(r->pool, (int)json_array_size(sessions) + 1,
                                              sizeof(kept_entry));
    size_t i;
    json_t *e;

    json_array_foreach(sessions, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        apr_time_t saved = 0, created = 0;
        if ((drop && apr_hash_get(drop, id, APR_HASH_KEY_STRING))
            || peek(r, v, user, id, &saved, &created) == SD_NOT_FOUND) {
            continue;
        }
        *(kept_entry *)apr_array_push(kept)
            = (kept_entry){ e, id, created ? created : ms_member(e, "created"), 0 };
    }
    return kept;
}

static void drop_at(apr_array_header_t *kept, int i)
{
    kept_entry *k = (kept_entry *)kept->elts;
    memmove(k + i, k + i + 1, (size_t)(kept->nelts - i - 1) * sizeof(*k));
    --kept->nelts;
}

/* ---------------------------------------------------- the users count */

/* +1 when a user's index gains its first session, -1 when it loses its
 * last. Best effort: the count is for the status page. */
static void count_users(request_rec *r, const sd_vhost *v, int delta)
{
    index_name n = name_of(r->pool, v, "index-users:", "");
    sd_session_lock *lock = NULL;
    index_value iv;

    /* One lock for the realm's count: never waited for, so a login is
     * not held up by another's (the count may then miss one). */
    if (!n.key || lock_index(r, v, &n, SD_LOCK_TRY, &lock) != SD_OK) {
        return;
    }
    if (read_index(r, v, &n, lock ? SD_STORE_LOCKED : SD_STORE_READ_ONLY, &iv) == SD_OK
        && still_trusted(r, lock)) {
        json_int_t users = iv.users + delta;
        write_index(r, v, &n, &iv, "users",
                    sd_json_track(r->pool, json_integer(users < 0 ? 0 : users)));
    }
    sd_session_lock_release(lock);
}

sd_result sd_user_index_users(request_rec *r, const sd_vhost *v, apr_int64_t *count)
{
    index_name n = name_of(r->pool, v, "index-users:", "");
    index_value iv;
    sd_result rc;

    *count = 0;
    if ((rc = read_index(r, v, &n, SD_STORE_LOOK, &iv)) == SD_OK) {
        *count = iv.users;
    }
    return rc;
}

/* ------------------------------------------------------------ changes */

static const char *printable(apr_pool_t *p, const char *s, apr_size_t max)
{
    apr_size_t n = s ? strlen(s) : 0;
    char *out;
    if (n > max) {
        n = max;
    }
    out = apr_palloc(p, n + 1);
    for (apr_size_t i = 0; i < n; ++i) {
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    }
    out[n] = '\0';
    return out;
}

/* Ends the oldest login in `kept`, but `skip`, not tried yet that can be
 * ended at once; returns 0 when none could, or when the index's lock would
 * no longer be trusted for the write. */
static int evict_oldest(request_rec *r, const sd_vhost *v, const char *user,
                        apr_array_header_t *kept, const char *skip,
                        const sd_session_lock *lock, const char *why)
{
    for (;;) {
        kept_entry *k = (kept_entry *)kept->elts, *oldest = NULL;
        for (int i = 0; i < kept->nelts; ++i) {
            if (!k[i].tried && !(skip && strcmp(k[i].id, skip) == 0)
                && (!oldest || k[i].login < oldest->login)) {
                oldest = &k[i];
            }
        }
        if (!oldest || (lock && !sd_session_lock_trusted(lock))) {
            return 0;
        }
        oldest->tried = 1;
        /* One that cannot be ended at once (its lock held, its server
         * away) is passed over: the login is not made to wait on it. */
        if (end_session(r, v, user, oldest->id, 1, 0) < 0) {
            continue;
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00505)
                      "user '%s': %s; their oldest login was ended",
                      ap_escape_logitem(r->pool, user), why);
        drop_at(kept, (int)(oldest - k));
        return 1;
    }
}

/* The index of `user` rewritten under its lock: pruned, without `drop`,
 * with `add` (may be NULL, created at add_created) appended after ending
 * the oldest logins beyond the bound or beyond what memcached takes. An
 * end (end_before not 0) ends the logins made before it but `end_keep`,
 * and is remembered, so that a login already made but not yet indexed is
 * ended when it arrives. */
static sd_result rewrite(request_rec *r, const sd_vhost *v, const char *user, apr_hash_t *drop,
                         json_t *add, apr_time_t add_created, apr_time_t rebuild_at,
                         apr_time_t end_before, const char *end_keep)
{
    index_name n = name_of(r->pool, v, "index:", user);
    const char *add_id = add ? json_string_value(json_object_get(add, "id")) : NULL;
    sd_session_lock *lock = NULL;
    index_value iv;
    apr_array_header_t *kept;
    size_t before;
    sd_result rc;
    int failed = 0;

    if (!n.key) {
        return out_of_memory(r, "naming the index of a user's sessions");
    }
    if ((rc = lock_index(r, v, &n, SD_LOCK_WAIT, &lock)) != SD_OK) {
        return rc;
    }
    rc = read_index(r, v, &n, lock ? SD_STORE_LOCKED : SD_STORE_READ_ONLY, &iv);
    if (rc != SD_OK || (!iv.found && !add && !end_before)) {
        /* Or a logout of a user without an index: nothing to drop, and no
         * index made for it. */
        sd_session_lock_release(lock);
        return rc;
    }
    kept = prune(r, v, user, iv.sessions, drop);
    before = json_array_size(iv.sessions);
    if (!iv.found && rebuild_at) {
        /* Lost (evicted, deleted, a node restarted): the sessions saved
         * before this are re-added at their next save, not ended. */
        iv.rebuilt = rebuild_at;
    }
    if (end_before) {
        /* A login indexed between the end's read of the index and this
         * write was made before the end: it goes too. */
        for (int i = 0; i < kept->nelts;) {
            const kept_entry *k = &((kept_entry *)kept->elts)[i];
            if (k->login < end_before && !(end_keep && strcmp(k->id, end_keep) == 0)) {
                if (end_session(r, v, user, k->id, 0, 0) >= 0) {
                    drop_at(kept, i);
                    continue;
                }
                failed = 1;
            }
            ++i;
        }
        if (end_before > iv.ended_before) {
            iv.ended_before = end_before;
            iv.ended_keep = end_keep;
        }
    }
    /* Made before its user's sessions were ended, indexed after; at most
     * the longest a login can be between its save and its entry (the
     * index's lock waited for and held), so a clock running ahead refuses
     * no more than that. */
    if (add_id && add_created && add_created < iv.ended_before
        && add_created > iv.ended_before - apr_time_from_msec(v->conf->lock_wait_ms)
                         - apr_time_from_sec(v->conf->lock_ttl + 1)
        && !(iv.ended_keep && strcmp(iv.ended_keep, add_id) == 0)) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00513)
                      "a login of user '%s' made before their sessions were ended is"
                      " ended too", ap_escape_logitem(r->pool, user));
        end_session(r, v, user, add_id, 0, 0);
        sd_session_lock_release(lock);
        return SD_UNAVAILABLE;
    }
    if (add_id) {
        while (kept->nelts >= v->conf->max_user_sessions
               && evict_oldest(r, v, user, kept, NULL, lock, apr_psprintf(r->pool,
                               "more than %" APR_INT64_T_FMT " sessions (SessionDemoMaxSessionsPerUser)",
                               v->conf->max_user_sessions))) {
        }
        if (kept->nelts >= v->conf->max_user_sessions) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00512)
                          "user '%s' is over SessionDemoMaxSessionsPerUser, and none of"
                          " their sessions can be ended now; the login is indexed anyway",
                          ap_escape_logitem(r->pool, user));
        }
        *(kept_entry *)apr_array_push(kept)
            = (kept_entry){ add, add_id, add_created ? add_created : apr_time_now(), 0 };
    }
    /* memcached's item size (-I) bounds the index too; only a login makes
     * room (an end or a logout never ends anything for it). */
    do {
        json_t *list = sd_json_track(r->pool, json_array());
        for (int i = 0; i < kept->nelts; ++i) {
            json_array_append(list, ((kept_entry *)kept->elts)[i].e);
        }
        rc = still_trusted(r, lock) ? write_index(r, v, &n, &iv, "sessions", list)
                                    : SD_UNAVAILABLE;
    } while (rc == SD_TOO_LARGE && add_id
             && evict_oldest(r, v, user, kept, add_id, lock,
                             "the index would exceed memcached's item size"));
    if (rc == SD_TOO_LARGE) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00514)
                      "the index of user '%s' does not fit memcached's item size",
                      ap_escape_logitem(r->pool, user));
        rc = SD_UNAVAILABLE;
    }
    sd_session_lock_release(lock);
    if (rc == SD_OK && (before != 0) != (kept->nelts != 0)) {
        count_users(r, v, before ? -1 : +1);
    }
    return rc == SD_OK && failed ? SD_UNAVAILABLE : rc;
}

sd_result sd_user_index_add(request_rec *r, const sd_vhost *v, const char *user, const char *id,
                            apr_time_t created, apr_time_t rebuild_at)
{
    const char *ua = apr_table_get(r->headers_in, "User-Agent");
    json_t *entry;

    /* The login and the adoption of express-session's records vet names
     * already; an index is never made for one the rule refuses. */
    if (sd_username_check(user, strlen(user), (apr_size_t)v->conf->max_username_len)
        != SD_USERNAME_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00519)
                      "not indexing a session of a name the username rule refuses");
        return SD_REFUSED;
    }
    entry = sd_json_track(r->pool, json_pack("{s:s,s:I,s:s,s:s}", "id", id, "created",
                                             (json_int_t)apr_time_as_msec(apr_time_now()),
                                             "ua", printable(r->pool, ua, USER_AGENT_MAX),
                                             "ip", printable(r->pool, r->useragent_ip, 64)));
    if (!entry) {
        return out_of_memory(r, "adding to an index");
    }
    return rewrite(r, v, user, NULL, entry, created, rebuild_at, 0, NULL);
}

sd_result sd_user_index_remove(request_rec *r, const sd_vhost *v, const char *user, const char *id)
{
    apr_hash_t *drop = apr_hash_make(r->pool);
    apr_hash_set(drop, id, APR_HASH_KEY_STRING, id);
    return rewrite(r, v, user, drop, NULL, 0, 0, 0, NULL);
}

static int by_last_seen(const void *a, const void *b)
{
    const sd_user_index_entry *x = a, *y = b;
    return x->last_seen < y->last_seen ? 1 : x->last_seen > y->last_seen ? -1 : 0;
}

sd_result sd_user_index_list(request_rec *r, const sd_vhost *v, const char *user,
                       apr_array_header_t **entries)
{
    index_value iv;
    size_t i;
    json_t *e;
    sd_result rc;

    *entries = apr_array_make(r->pool, 4, sizeof(sd_user_index_entry));
    if ((rc = read_user_index(r, v, user, &iv)) != SD_OK) {
        return rc;
    }
    json_array_foreach(iv.sessions, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        apr_time_t saved = 0, created = 0;
        sd_result pr = peek(r, v, user, id, &saved, &created);
        if (pr == SD_UNAVAILABLE) {
            return pr;
        }
        if (pr != SD_OK) {
            continue;
        }
        sd_user_index_entry *out = apr_array_push(*entries);
        out->id = id;
        out->handle = handle_with(r->pool, (const sd_secret *)v->conf->secrets->elts, id);
        out->created = created ? created : ms_member(e, "created");
        out->last_seen = saved ? saved : out->created;
        out->user_agent = text_member(e, "ua");
        out->ip = text_member(e, "ip");
        if (!out->handle) {
            return out_of_memory(r, "making a session's handle");
        }
    }
    qsort((*entries)->elts, (size_t)(*entries)->nelts, sizeof(sd_user_index_entry), by_last_seen);
    return SD_OK;
}

sd_index_verdict sd_user_index_check(request_rec *r, const sd_vhost *v, const char *user,
                                     const char *id, apr_time_t created, apr_time_t saved)
{
    index_value iv;
    size_t i;
    json_t *e;

    /* Without the index's lock: the caller holds its session's lock, and no
     * session's request waits for the index while holding it. */
    if (read_user_index(r, v, user, &iv) != SD_OK) {
        return SD_INDEX_DOWN;
    }
    if (!iv.found) {
        return SD_INDEX_MISSING;
    }
    json_array_foreach(iv.sessions, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0) {
            return SD_INDEX_LISTED;
        }
    }
    /* Last saved before the index was re-made: its absence may be the
     * loss, not an end, unless an end of all the user's sessions since
     * says otherwise. A copy saved after the rebuild and unlisted was
     * ended. */
    if (iv.rebuilt && saved && apr_time_as_msec(saved) < apr_time_as_msec(iv.rebuilt)
        && !(iv.ended_before && created < iv.ended_before
             && !(iv.ended_keep && strcmp(iv.ended_keep, id) == 0))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00522)
                      "a session of user '%s' last saved before their index was rebuilt"
                      " is indexed again", ap_escape_logitem(r->pool, user));
        return SD_INDEX_MISSING;
    }
    return SD_INDEX_UNLISTED;
}

sd_result sd_user_index_end(request_rec *r, const sd_vhost *v, const char *user,
                      const char *handle, const char *keep_id, int *ended,
                      const char **ended_id)
{
    apr_hash_t *drop = apr_hash_make(r->pool);
    apr_time_t before;
    index_value iv;
    sd_result rc;
    int failed = 0;
    size_t i;
    json_t *e;

    *ended = 0;
    if (ended_id) {
        *ended_id = NULL;
    }
    if (handle && (strlen(handle) != HANDLE_LEN
                   || strspn(handle, "0123456789abcdef") != HANDLE_LEN)) {
        return SD_NOT_FOUND;
    }
    if ((rc = read_user_index(r, v, user, &iv)) != SD_OK) {
        return rc;
    }
    before = apr_time_now();
    /* Ended first, dropped from the index after: a session that could not
     * be ended stays listed, so it can still be ended later. */
    json_array_foreach(iv.sessions, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        int done;
        if (handle ? !handle_matches(r->pool, v, handle, id)
                   : keep_id && strcmp(id, keep_id) == 0) {
            continue;
        }
        done = end_session(r, v, user, id, 0, 1);
        if (done < 0) {
            failed = 1;
            continue;
        }
        apr_hash_set(drop, id, APR_HASH_KEY_STRING, id);
        if (handle && done && ended_id) {
            *ended_id = id;
        }
        *ended += done;
    }
    if (apr_hash_count(drop) > 0 || !handle) {
        /* All (or all others) ended: remembered, for a login already made
         * but not yet indexed (it is ended when it arrives). */
        rc = rewrite(r, v, user, drop, NULL, 0, 0, handle ? 0 : before, keep_id);
        if (rc != SD_OK) {
            /* The sessions are ended, but an end of all of them is not done:
             * the marker for a login in flight was not written. */
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00506)
                          "the user's index could not be rewritten after an end%s",
                          handle ? "" : "; answering 503 so it is tried again");
            failed |= !handle;
        }
    }
    if (failed) {
        return SD_UNAVAILABLE;
    }
    return handle && !*ended ? SD_NOT_FOUND : SD_OK;
}
