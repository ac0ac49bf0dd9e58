/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Session lifecycle with express-session's semantics and format, plus
 * realms, today's limits on every stored session, IDs made with `add`, and
 * a save before the response so a failed write is an error page. */
#include "sd_session.h"
#include "sd_cookie.h"
#include "sd_http.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_record.h"
#include "sd_session_lock.h"
#include "sd_username.h"
#include "sd_vault.h"

#include <http_log.h>
#include <apr_atomic.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* The largest session read or written, whatever memcached's -I allows:
 * decoding is the costliest step of a request. */
#define SD_STORE_MAX_VALUE (1024 * 1024)
#define SD_ADD_ATTEMPTS 3

struct sd_session {
    request_rec *r;
    const sd_vhost *v;
    const sd_config *conf;
    int had_cookie;            /* the request carried our cookie, not of
                                  another realm: an end expires it         */
    const char *cookie_id;     /* ID from a validly signed cookie, or NULL */
    const char *cookie_value;  /* that cookie's decoded value             */
    const char *name;          /* sd_vault_name of the stored ID, made once */
    const char *lock_key;      /* ...and its lock key (~1 k to format)     */
    const char *old_key;       /* found under an older secret's key        */
    int resign;                /* verified by an old secret: re-issue      */
    const char *id;            /* current ID; NULL until one is minted     */
    json_t *data;              /* the loaded record, or a new object       */
    int changed;               /* express-session's "modified"             */
    json_t *lent;              /* fields sd_session_get_mut lent, as lent  */
    sd_session_intent intent;
    apr_time_t deadline;       /* its end under today's limits; 0: unknown */
    apr_time_t created;        /* creation time, for the absolute timeout  */
    apr_int64_t gen;           /* the loaded copy's generation             */
    int is_new;
    int destroyed;
    int committed;             /* or opened by ID: it never sends a cookie */
    int adopted;               /* express-session wrote the loaded one     */
    const char *login;         /* how its login was verified, or NULL      */
    int unindexed;             /* saved while its user had no index        */
    apr_time_t written_at;     /* when the commit wrote the loaded one     */
    sd_session_lock *lock;     /* held lock, or NULL                       */
};

/* Names the stored session `id` (the loaded or the minted one) in
 * memcached keys, once. 0 when no key of it fits memcached's limit (or
 * OpenSSL failed). */
static int name_id(sd_session *s, const char *id)
{
    s->name = sd_vault_name(s->r->pool, s->v, id);
    s->lock_key = s->name ? sd_session_lock_key(s->r->pool, s->conf, s->name) : NULL;
    return s->lock_key != NULL;
}

/* Where the gate keeps the request's own session cookie once it has
 * removed it from the headers passed on (sd_session_stash_cookie). */
#define SD_SESSION_COOKIE_NOTE "sessiondemo-own-cookie"

void sd_session_stash_cookie(request_rec *r, const char *pairs)
{
    request_rec *top = sd_http_initial_request(r);
    /* Copied into the initial request's pool: r may be a subrequest whose
     * pool goes before the request does (mod_dir's index lookups). */
    if (pairs && top->notes && !apr_table_get(top->notes, SD_SESSION_COOKIE_NOTE)) {
        apr_table_set(top->notes, SD_SESSION_COOKIE_NOTE, pairs);
    }
}

/* Every value of our cookie across every Cookie header line, in order; the
 * stashed ones when the gate has already removed them from the headers. */
static apr_array_header_t *find_cookies(request_rec *r, const char *name)
{
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    apr_array_header_t *found = apr_array_make(r->pool, 1, sizeof(const char *));
    request_rec *top;
    const char *stash;

    for (int i = 0; i < h->nelts; ++i) {
        if (e[i].key && strcasecmp(e[i].key, "Cookie") == 0) {
            sd_cookie_find_all(r->pool, e[i].val, name, found);
        }
    }
    top = sd_http_initial_request(r);
    if (!found->nelts && top->notes
        && (stash = apr_table_get(top->notes, SD_SESSION_COOKIE_NOTE)) != NULL) {
        sd_cookie_find_all(r->pool, stash, name, found);
    }
    return found;
}

typedef struct {
    const char *id, *value;
    int matched;            /* the secret's index                          */
} signed_cookie;

/* The validly signed values, one per distinct ID: the one signed by the
 * newest secret. */
static apr_array_header_t *verify(request_rec *r, const sd_config *conf,
                                  const apr_array_header_t *values)
{
    apr_array_header_t *ok = apr_array_make(r->pool, 1, sizeof(signed_cookie));

    for (int i = 0; conf->secrets && i < values->nelts; ++i) {
        signed_cookie c = { NULL, APR_ARRAY_IDX(values, i, const char *), -1 };
        int j = 0;
        c.id = sd_cookie_unsign(r->pool, c.value, (const sd_secret *)conf->secrets->elts,
                                conf->secrets->nelts, &c.matched);
        while (c.id && j < ok->nelts && strcmp(APR_ARRAY_IDX(ok, j, signed_cookie).id, c.id)) {
            ++j;
        }
        if (c.id && j == ok->nelts) {
            APR_ARRAY_PUSH(ok, signed_cookie) = c;
        }
        else if (c.id && c.matched < APR_ARRAY_IDX(ok, j, signed_cookie).matched) {
            APR_ARRAY_IDX(ok, j, signed_cookie) = c;
        }
    }
    return ok;
}

apr_array_header_t *sd_session_cookie_ids(request_rec *r, const sd_vhost *v)
{
    const apr_array_header_t *ok = verify(r, v->conf, find_cookies(r, v->conf->cookie_name));
    apr_array_header_t *ids = apr_array_make(r->pool, 2, sizeof(const char *));

    for (int i = 0; i < ok->nelts; ++i) {
        APR_ARRAY_PUSH(ids, const char *) = APR_ARRAY_IDX(ok, i, signed_cookie).id;
    }
    return ids;
}

static sd_result start_new(sd_session *s)
{
    s->is_new = 1;
    s->id = NULL;
    s->data = sd_json_track(s->r->pool, json_object());
    s->changed = 0;
    s->lent = NULL;
    s->deadline = 0;
    s->created = 0;
    s->gen = 0;
    s->login = NULL;
    if (!s->data) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, s->r, SD_LOGNO(00311)
                      "out of memory for a new session");
        return SD_FAILED;
    }
    return SD_OK;
}

/* Another realm's session (or express-session's, unless this realm adopts
 * those) makes the request a guest and is neither shown, written nor
 * deleted; so does, where passwords are checked, a logged-in session whose
 * login no password verified. *adopted: the record's login is the Express
 * app's, trusted under SessionDemoRealmless Adopt. */
static int is_foreign(const sd_session *s, const json_t *rec, const sd_record_meta *m,
                      int *adopted)
{
    const char *realm = m->realm, *login = m->login;
    int logged_in = json_is_true(json_object_get(rec, "isLoggedIn"))
                    || json_object_get(rec, "username");
    if (!(realm ? strcmp(realm, s->conf->realm) == 0
                : s->conf->realmless == SD_REALMLESS_ADOPT)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, s->r, SD_LOGNO(00312)
                      "session of realm '%s' is not one of realm '%s'; treating the"
                      " request as a guest", realm ? ap_escape_logitem(s->r->pool, realm)
                                                   : "(none: express-session's)",
                      ap_escape_logitem(s->r->pool, s->conf->realm));
        return 1;
    }
    /* express-session's records, and the Express app's login on our guest
     * record ("login":"none", which it keeps as it was), for a name the
     * username rule takes: the Express app never applied it. */
    *adopted = !realm || (s->conf->realmless == SD_REALMLESS_ADOPT && logged_in && login
                          && strcmp(login, SD_RECORD_LOGIN_NONE) == 0);
    if (*adopted) {
        const json_t *name = json_object_get(rec, "username");
        sd_username_verdict verdict = json_is_string(name)
            ? sd_username_check(json_string_value(name), json_string_length(name),
                                (apr_size_t)s->conf->max_username_len)
            : SD_USERNAME_OK;
        if (verdict != SD_USERNAME_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, s->r, SD_LOGNO(00322)
                          "session adopted from express-session names a user the"
                          " username rule refuses (%s); treating the request as a guest",
                          sd_username_reason(verdict));
            return 1;
        }
    }
    if (!s->v->rt.authn || !realm || !logged_in) {
        return 0;
    }
    /* Every record we write says how its login was verified, a guest's
     * "none": a logged-in record that says nothing is an older version's
     * (its demo logins look the same), a guest here, Adopt or not. */
    if (login && (strcmp(login, SD_RECORD_LOGIN_PASSWORD) == 0
                  || ((strcmp(login, SD_RECORD_LOGIN_EXPRESS) == 0
                       || strcmp(login, SD_RECORD_LOGIN_NONE) == 0)
                      && s->conf->realmless == SD_REALMLESS_ADOPT))) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, s->r, SD_LOGNO(00321)
                  "session logged in by %s is not a login on a server that checks"
                  " passwords; treating the request as a guest",
                  !login ? "a version that did not record how (fail closed)"
                  : strcmp(login, SD_RECORD_LOGIN_DEMO) == 0 ? "demo mode (any password)"
                  : strcmp(login, SD_RECORD_LOGIN_NONE) == 0
                  ? "the Express app on a guest record (SessionDemoRealmless is not Adopt)"
                  : ap_escape_logitem(s->r->pool, login));
    return 1;
}

/* express-session's app kept the name as typed; here one account has one
 * name (SessionDemoUsernameCase). Applied to every copy read, so a re-read
 * before a refresh compares like with like. */
static void lower_adopted_name(sd_session *s, json_t *rec, const char *realm)
{
    const json_t *name;

    if (realm != NULL || s->conf->username_case != SD_USERNAME_LOWER) {
        return;
    }
    name = json_object_get(rec, "username");
    if (json_is_string(name)) {
        const char *lowered = sd_username_fold(s->r->pool, json_string_value(name), 1);
        if (strcmp(lowered, json_string_value(name)) != 0) {
            json_object_set_new(rec, "username", json_string(lowered));
        }
    }
}

/* The stored record of `id`, decoded into *rec, as sd_vault_read reads
 * it; a value that is no usable record is SD_STORE_OK with *rec NULL
 * (logged). */
static sd_store_result read_record(sd_session *s, const char *id, sd_store_read_mode mode,
                                   const char **old_key, json_t **rec)
{
    char *val = NULL;
    apr_size_t len = 0;
    apr_uint16_t flags = 0;
    const char *err = NULL;
    sd_store_result res = sd_vault_read(s->r, s->v, id, s->lock_key, mode, &val, &len, &flags,
                                        old_key, NULL);

    *rec = NULL;
    if (res == SD_STORE_OK && (flags != SD_VAULT_FLAGS_JSON || len > SD_STORE_MAX_VALUE
                               || !(*rec = sd_record_decode(s->r->pool, val, len, &err)))) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, s->r, SD_LOGNO(00301)
                      "ignoring unusable stored session (flags %u, %" APR_SIZE_T_FMT
                      " bytes): %s", (unsigned)flags, len,
                      err ? err : "wrong flags or too large");
    }
    return res;
}

/* Reads and vets the stored session of s->cookie_id, under its lock when
 * the intent is to update it. Returns SD_OK (s filled, or started new when
 * the value is unusable), SD_BUSY, SD_UNAVAILABLE or SD_FAILED (logged). */
static sd_result open_stored(sd_session *s)
{
    request_rec *r = s->r;
    const sd_config *conf = s->conf;
    json_t *rec = NULL;
    sd_record_meta m;
    sd_result rc;
    int adopted = 0;

    if (conf->lock && s->intent != SD_SESSION_READ
        && (rc = sd_session_lock_acquire(r, s->v, s->name, s->intent == SD_SESSION_UPDATE_TRY
                                         ? SD_LOCK_TRY : SD_LOCK_WAIT, &s->lock)) != SD_OK) {
        return rc;
    }
    /* Holding the lock, a read also rewrites replicas left behind. */
    switch (read_record(s, s->cookie_id, s->lock ? SD_STORE_LOCKED : SD_STORE_READ_ONLY,
                        &s->old_key, &rec)) {
    case SD_STORE_OK:
        break;
    case SD_STORE_NOTFOUND:
        /* Expired or destroyed elsewhere: a fresh ID, never the old one. */
        return start_new(s);
    default:
        return SD_UNAVAILABLE;
    }
    if (!rec) {
        return start_new(s);
    }
    m = sd_record_meta_read(rec);
    if (is_foreign(s, rec, &m, &adopted)) {
        s->had_cookie = 0;
        SD_STATS_INC(s->v->rt.stats, foreign_realm);
        return start_new(s);
    }
    if (m.ended) {
        /* Logged out or regenerated: a fresh ID, never the old one. */
        return start_new(s);
    }
    /* Today's limits bound the session, whatever it was stored with; an
     * entry memcached still returns past its time (clock skew) is dead. */
    s->deadline = sd_record_deadline(rec, apr_time_from_sec(conf->max_age),
                                     apr_time_from_sec(conf->absolute_timeout));
    if (s->deadline && s->deadline <= apr_time_now()) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, SD_LOGNO(00302)
                      "stored session has reached its idle or absolute limit; starting a"
                      " new one");
        SD_STATS_INC(s->v->rt.stats, expired);
        return sd_vault_remove(r, s->v, s->cookie_id, s->old_key) != SD_STORE_OK
               ? SD_UNAVAILABLE : start_new(s);
    }
    SD_STATS_INC(s->v->rt.stats, loaded);

    s->is_new = 0;
    /* Indexed at its first save here. Once we write it, it keeps saying
     * that its login is the Express app's, which only Adopt trusts. */
    s->adopted = adopted;
    s->login = s->adopted ? SD_RECORD_LOGIN_EXPRESS : m.login;
    lower_adopted_name(s, rec, m.realm);
    s->id = s->cookie_id;
    s->data = rec;
    s->created = m.created;
    s->gen = m.gen;
    return SD_OK;
}

static sd_session *session_new(request_rec *r, const sd_vhost *v, sd_session_intent intent)
{
    sd_session *s = apr_pcalloc(r->pool, sizeof(*s));
    s->r = r;
    s->v = v;
    s->conf = v->conf;
    s->intent = intent;
    return s;
}

sd_result sd_session_load(request_rec *r, const sd_vhost *v,
                    sd_session_intent intent, sd_session **out)
{
    const sd_config *conf = v->conf;
    sd_session *s = *out = session_new(r, v, intent);
    const apr_array_header_t *values = find_cookies(r, conf->cookie_name);
    const apr_array_header_t *ok = verify(r, conf, values);
    /* A sibling host can plant one (Domain= or a longer Path), so no
     * position wins: values that verify to different IDs make a guest. */
    const signed_cookie *c = ok->nelts == 1 ? (const signed_cookie *)ok->elts : NULL;

    s->had_cookie = values->nelts > 0;
    if (ok->nelts > 1) {
        SD_STATS_INC(v->rt.stats, bad_signatures);
        /* A planted cookie or one left from another Path or Domain. Info:
         * the client sends it on every request; bad_signatures counts it. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00323)
                      "%d cookies named %s name different valid sessions"
                      " (one may be planted by a sibling host); treating the"
                      " request as a guest", values->nelts,
                      ap_escape_logitem(r->pool, conf->cookie_name));
    }
    else if (s->had_cookie && !c) {
        SD_STATS_INC(v->rt.stats, bad_signatures);
        /* Tampered, truncated or signed with a retired secret: a guest.
         * Info, not warning: any client can send junk. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00303)
                      "session cookie signature does not verify; treating"
                      " the request as a new visitor");
    }
    else if (c && !name_id(s, c->id)) {
        /* Neither side ever makes one; its keys would not fit memcached's. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00314)
                      "session ID of %" APR_SIZE_T_FMT " bytes is too long for a"
                      " memcached key; treating the request as a new visitor",
                      strlen(c->id));
        c = NULL;
    }
    if (!c) {
        return start_new(s);
    }
    s->cookie_id = c->id;
    s->cookie_value = c->value;
    s->resign = c->matched > 0;
    return open_stored(s);
}

sd_result sd_session_open(request_rec *r, const sd_vhost *v, const char *id,
                    sd_session_intent intent, sd_session **out)
{
    sd_session *s = *out = session_new(r, v, intent);

    s->committed = 1;
    if (!name_id(s, id)) {
        return start_new(s);
    }
    s->cookie_id = id;
    return open_stored(s);
}

const json_t *sd_session_get(sd_session *s, const char *key)
{
    return json_object_get(s->data, key);
}

/* "modified" is known from the three calls that change fields; only lent
 * fields are copied, to compare at the commit. */
static void settle_lent(sd_session *s)
{
    const char *key;
    json_t *was;
    json_object_foreach(s->lent, key, was) {
        s->changed |= !json_equal(json_object_get(s->data, key), was);
    }
}

json_t *sd_session_get_mut(sd_session *s, const char *key)
{
    json_t *v = json_object_get(s->data, key);
    if (v && !s->lent) {
        s->lent = sd_json_track(s->r->pool, json_object());
    }
    if (v && !json_object_get(s->lent, key)
        && json_object_set_new(s->lent, key, json_deep_copy(v)) != 0) {
        s->changed = 1;   /* out of memory: no copy to compare with */
    }
    return v;
}

int sd_session_set_new(sd_session *s, const char *key, json_t *value)
{
    s->changed |= !json_equal(json_object_get(s->data, key), value);
    return json_object_set_new(s->data, key, value);
}

void sd_session_del(sd_session *s, const char *key)
{
    s->changed |= json_object_del(s->data, key) == 0;
}

static int cookie_is_secure(sd_session *s)
{
    return s->conf->cookie_secure == SD_SECURE_ON
           || (s->conf->cookie_secure == SD_SECURE_AUTO
               && sd_http_is_secure(s->r, s->conf));
}

/* The stored "cookie" object's settings: the current configuration's. */
static sd_record_cookie_attrs cookie_attrs(sd_session *s, apr_time_t lifetime,
                                           apr_time_t expires)
{
    const sd_config *conf = s->conf;
    const char *same_site = sd_config_same_site_name(conf);
    /* express-session stores the lower-case option value. */
    char *lower = same_site ? apr_pstrdup(s->r->pool, same_site) : NULL;
    sd_record_cookie_attrs a = { lifetime, expires, cookie_is_secure(s), conf->cookie_http_only,
                                 conf->cookie_domain, conf->cookie_path, lower };
    if (lower) {
        ap_str_tolower(lower);
    }
    return a;
}

static apr_int64_t ttl_until(apr_time_t when, apr_time_t now)
{
    apr_int64_t ttl = apr_time_sec(when - now + APR_USEC_PER_SEC - 1);
    return ttl < 1 ? 1 : ttl;
}

/* Ends the stored session: with replicas by a tombstone, a generation that
 * outvotes a copy a replica kept while it missed the end; else a delete. */
static sd_result remove_stored(sd_session *s)
{
    request_rec *r = s->r;
    sd_store_result res;

    if (s->is_new || !s->id) {
        return SD_OK;
    }
    if (s->conf->replicas == 0) {
        res = sd_vault_remove(r, s->v, s->id, s->old_key);
    }
    else {
        apr_time_t now = apr_time_now();
        apr_time_t until = s->deadline ? s->deadline : now + apr_time_from_sec(s->conf->max_age);
        /* Outliving any live copy a split front-end may write after the
         * logout (a full max age from its write). */
        apr_int64_t ttl = ttl_until(until, now);
        apr_int64_t floor = s->conf->max_age + SD_RECORD_TOMBSTONE_EXTRA;
        /* No field: only the stored cookie's members the module keeps. */
        json_t *tomb = sd_json_track(r->pool, json_pack("{s:O*}", "cookie",
                                                        json_object_get(s->data, "cookie")));
        sd_record_meta meta = { s->conf->realm, s->gen + 1, now, s->created, 1,
                                SD_RECORD_LOGIN_NONE };
        sd_record_cookie_attrs attrs = cookie_attrs(s, until - now, until);
        apr_size_t len = 0;
        const char *value = tomb ? sd_record_encode(r->pool, tomb, &attrs, &meta, &len) : NULL;
        if (!value) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, r, SD_LOGNO(00318)
                          "out of memory writing the session's tombstone");
            return SD_FAILED;
        }
        res = sd_vault_write(r, s->v, s->id, s->lock_key, value, len, &meta,
                             ttl > floor ? ttl : floor, s->old_key);
    }
    if (res != SD_STORE_OK) {
        return SD_UNAVAILABLE;
    }
    SD_STATS_INC(s->v->rt.stats, destroyed);
    return SD_OK;
}

sd_result sd_session_regenerate(sd_session *s)
{
    sd_result rc = remove_stored(s);
    if (rc != SD_OK || (rc = start_new(s)) != SD_OK) {
        return rc;
    }
    /* Even with no data yet, a regenerated session counts as modified (its
     * ID changed), as in express-session. */
    s->changed = 1;
    return SD_OK;
}

sd_result sd_session_destroy(sd_session *s)
{
    sd_result rc = remove_stored(s);
    if (rc == SD_OK) {
        s->destroyed = 1;
    }
    return rc;
}

/* From the current configuration: a change applies to every session on
 * its next response. */
static void add_set_cookie(sd_session *s, const char *domain, const char *value,
                           int has_expires, apr_time_t expires)
{
    request_rec *r = s->r;
    const sd_config *conf = s->conf;
    sd_cookie_attrs attrs = { domain, conf->cookie_path, has_expires, expires,
                              conf->cookie_http_only, cookie_is_secure(s),
                              sd_config_same_site_name(conf) };

    /* A browser would drop a Secure cookie set over plain http anyway;
     * express-session skips it too, and so do we. */
    if (attrs.secure && !sd_http_is_secure(r, conf)) {
        return;
    }
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   sd_cookie_header(r->pool, conf->cookie_name, value, &attrs));
}

/* A logged-in session is saved only while its user's index lists it: a
 * revoke finds sessions through the index alone, so a copy put back after
 * its end would otherwise live on out of every revoke's reach. */
static sd_result check_listed(sd_session *s)
{
    request_rec *r = s->r;
    const json_t *name = sd_session_get(s, "username");
    sd_result rc;

    /* Only an adopted session's first save (indexed after the commit) is
     * not asked; from then on a revoke must reach it as any other. */
    if (!s->v->rt.index_check || s->adopted
        || !json_is_true(sd_session_get(s, "isLoggedIn")) || !json_is_string(name)) {
        return SD_OK;
    }
    switch (s->v->rt.index_check(r, s->v, json_string_value(name), s->id, s->created,
                                 sd_session_saved(s))) {
    case SD_INDEX_LISTED:
        return SD_OK;
    case SD_INDEX_MISSING:
        /* Evicted or deleted: indexed again after the commit (the index's
         * lock is never waited for under the session's). */
        s->unindexed = 1;
        return SD_OK;
    case SD_INDEX_DOWN:
        /* An index that cannot answer must not lock the user out of every
         * save; a revoke and logout-others still fail closed on it. Every
         * save of the user's sessions meets it: logged once a minute. */
        if (sd_log_due_each_minute(s->v->rt.index_down_log_next,
                                   (apr_uint32_t)apr_time_sec(r->request_time))) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00326)
                          "the index of the session's user could not be read; the session"
                          " is saved without checking that it is listed (logged at most"
                          " once a minute per process)");
        }
        return SD_OK;
    case SD_INDEX_UNLISTED:
        break;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00325)
                  "a session of user '%s' is not in the user's index (ended, then put"
                  " back in memcached, or its end could not take its lock): it is"
                  " ended instead of saved", ap_escape_logitem(r->pool, json_string_value(name)));
    if ((rc = remove_stored(s)) != SD_OK) {
        return rc;
    }
    SD_STATS_INC(s->v->rt.stats, revoked);
    s->destroyed = 1;
    return SD_ENDED;
}

/* `add` under a fresh ID for a new session (retried on the astronomically
 * unlikely collision), `set` for a stored one. */
static sd_result save(sd_session *s, apr_time_t lifetime, apr_time_t expires, apr_time_t now)
{
    request_rec *r = s->r;
    sd_store *store = s->v->rt.store;
    apr_size_t len = 0, room;
    char *value;
    sd_store_result res;
    sd_result rc;
    apr_int64_t ttl = ttl_until(expires, now);
    const char *key = s->is_new ? NULL : sd_vault_key(r->pool, s->v, s->id);
    sd_record_meta meta = { s->conf->realm, s->gen + 1, now, s->created, 0,
                            s->login ? s->login : SD_RECORD_LOGIN_NONE };
    sd_record_cookie_attrs cookie = cookie_attrs(s, lifetime, expires);

    value = sd_record_encode(r->pool, s->data, &cookie, &meta, &len);
    if (!value) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00304)
                      "session data cannot be encoded as JSON (out of memory, or"
                      " nested too deep)");
        return SD_FAILED;
    }
    room = sd_store_max_value(store, key ? key
                              : sd_vault_key(r->pool, s->v, "00000000000000000000000000000000"));
    if (room > SD_STORE_MAX_VALUE) {
        room = SD_STORE_MAX_VALUE;
    }
    if (sd_vault_stored_len(s->v, len) > room) {
        SD_STATS_INC(s->v->rt.stats, too_large);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00305)
                      "session of %" APR_SIZE_T_FMT " bytes would exceed memcached's item"
                      " size (room for %" APR_SIZE_T_FMT "); the change is refused and"
                      " the stored session kept", len, room);
        return SD_TOO_LARGE;
    }
    if (!s->is_new) {
        if (s->lock && !sd_session_lock_trusted(s->lock)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00309)
                          "request held the session lock longer than it can trust"
                          " it (SessionDemoLockTTL less a second); not saving, so as"
                          " not to overwrite a newer change");
            return SD_UNAVAILABLE;
        }
        if ((rc = check_listed(s)) != SD_OK) {
            return rc;
        }
        res = sd_vault_write(r, s->v, s->id, s->lock_key, value, len, &meta, ttl, s->old_key);
        if (res == SD_STORE_OK) {
            SD_STATS_INC(s->v->rt.stats, saved);
            s->written_at = now;
        }
    }
    else {
        res = SD_STORE_EXISTS;
        for (int attempt = 0; attempt < SD_ADD_ATTEMPTS && res == SD_STORE_EXISTS;
             ++attempt) {
            char id[SD_SID_LEN + 1];
            if (sd_cookie_new_id(id) != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00306)
                              "the random number generator failed; no session"
                              " ID can be made");
                return SD_FAILED;
            }
            s->id = apr_pstrdup(r->pool, id);
            name_id(s, s->id);
            res = sd_vault_add(r, s->v, s->id, s->lock_key, value, len, &meta, ttl);
        }
        if (res == SD_STORE_OK) {
            SD_STATS_INC(s->v->rt.stats, created);
        }
    }
    if (res != SD_STORE_OK) {
        /* During an outage the prober has already logged it once; one
         * error line per failed save would flood the log. */
        ap_log_rerror(APLOG_MARK, res == SD_STORE_DOWN ? APLOG_INFO : APLOG_ERR, 0, r,
                      SD_LOGNO(00307) "session could not be saved; answering 503"
                      " so the change is not silently lost");
        return SD_UNAVAILABLE;
    }
    return SD_OK;
}

/* Before a refresh of a session loaded without the lock: 1 when the lock,
 * only tried (the page is not made to wait), is had and the stored data is
 * still what was loaded. */
static int recheck_allows_write(sd_session *s)
{
    json_t *rec = NULL;
    sd_record_meta m;

    if (sd_session_lock_acquire(s->r, s->v, s->name, SD_LOCK_TRY, &s->lock) != SD_OK
        || read_record(s, s->id, SD_STORE_LOCKED, NULL, &rec) != SD_STORE_OK || !rec) {
        return 0;
    }
    m = sd_record_meta_read(rec);
    if (m.gen != s->gen) {
        return 0;
    }
    lower_adopted_name(s, rec, m.realm);
    return sd_record_same_fields(rec, s->data);
}

static void expire_cookies(sd_session *s)
{
    if (s->had_cookie) {
        add_set_cookie(s, s->conf->cookie_domain, "", 1, apr_time_from_sec(0));
        if (s->conf->cookie_domain) {
            /* And the host-only one a browser may hold beside it (set
             * before the Domain was, or planted): a logout clears every
             * copy it can name. */
            add_set_cookie(s, NULL, "", 1, apr_time_from_sec(0));
        }
    }
}

sd_session_plan sd_session_decide(const sd_session_facts *f)
{
    sd_session_plan p = { 0, 0, 0, 0, 0, 0, NULL };

    if (f->destroyed) {
        p.expire_cookie = 1;
        p.why = "ended";
        return p;
    }
    /* Whatever the reason to write, a write that no longer fits memcached
     * is dropped, not refused, unless the data changed. */
    p.may_drop = !f->modified;
    p.cookie_if_dropped = f->resign;
    if (f->is_new) {
        p.write = f->modified || f->save_uninitialized;
        p.send_cookie = p.write;
        p.why = f->modified ? "new, modified"
                : p.write ? "new, SessionDemoSaveUninitialized" : "new, unmodified";
        return p;
    }
    /* Throttled refresh: an unchanged session slides its expiry only when
     * less than refresh_percent of its lifetime is left. */
    p.write = f->modified || f->resave || f->rolling || f->refresh_due;
    p.why = f->modified ? "modified" : f->resave ? "SessionDemoResave"
            : f->rolling ? "SessionDemoRolling"
            : f->refresh_due ? "refresh due" : "unmodified, refresh not due";
    /* Near the absolute timeout the new expiry is clamped to the stored
     * deadline: a write would move nothing, on every request. */
    if (p.write && !f->modified && f->clamped_in_place) {
        p.write = 0;
        p.why = "unmodified, expiry held by the absolute timeout";
    }
    /* Unlike express-session (issues #189, #276), the browser's Expires
     * slides with the stored expiry, or an active user is logged out. */
    p.send_cookie = (p.write && f->has_expiry) || f->rolling || f->resign;
    /* Loaded read-only, now due for a write (refresh, Resave, Rolling). */
    p.recheck = p.write && f->unlocked;
    return p;
}

static sd_result commit_session(sd_session *s)
{
    request_rec *r = s->r;
    const sd_config *conf = s->conf;
    apr_time_t now = apr_time_now();
    apr_time_t configured = apr_time_from_sec(conf->max_age);
    /* The idle lifetime: 0 keeps an express-session browser-session cookie
     * one (no Expires), while the server still ends it after `span`. */
    apr_time_t lifetime = s->is_new ? configured : sd_record_lifetime(s->data, configured);
    apr_time_t span = lifetime ? lifetime : configured;
    apr_time_t expires = now + span;
    int has_expiry = lifetime != 0, clamped = 0;
    sd_session_facts facts = { 0 };
    sd_session_plan plan;
    sd_result rv;

    if (s->committed) {
        /* A session opened by ID is another browser's: no cookie of it
         * goes to this one, and nothing but an end is written for it. */
        return SD_OK;
    }
    s->committed = 1;

    facts.destroyed = s->destroyed;
    if (!s->destroyed) {
        if (!s->created) {
            s->created = now;
        }
        /* The idle expiry never runs past the absolute one. */
        if (conf->absolute_timeout) {
            apr_time_t hard = s->created + apr_time_from_sec(conf->absolute_timeout);
            if (expires > hard) {
                expires = hard;
                has_expiry = 1;
                clamped = 1;
            }
        }
        facts.is_new = s->is_new;
        /* A read-only load is unmodified by contract (sd_session.h). */
        settle_lent(s);
        facts.modified = s->changed && (s->is_new || s->intent != SD_SESSION_READ);
        facts.save_uninitialized = conf->save_uninitialized != 0;
        facts.resave = conf->resave != 0;
        facts.rolling = conf->rolling != 0;
        /* In floating point: a far-future stored expiry must not overflow. */
        facts.refresh_due = !s->deadline || (double)(s->deadline - now) * 100.0
                                            < (double)span * (double)conf->refresh_percent;
        facts.clamped_in_place = clamped && s->deadline && expires <= s->deadline;
        facts.has_expiry = has_expiry;
        facts.resign = s->resign != 0;
        facts.unlocked = conf->lock && !s->lock;
    }
    plan = sd_session_decide(&facts);

    if (plan.expire_cookie) {
        expire_cookies(s);
        return SD_OK;
    }
    /* SD_BUSY: the recheck found the lock held or the session changed. */
    rv = !plan.write ? SD_OK : plan.recheck && !recheck_allows_write(s) ? SD_BUSY
         : save(s, has_expiry ? (lifetime ? lifetime : expires - now) : 0, expires, now);
    if (rv == SD_ENDED) {
        expire_cookies(s);
        return rv;
    }
    if (rv == SD_BUSY || (rv == SD_TOO_LARGE && plan.may_drop)) {
        /* Or a refresh that no longer fits (new cookie settings, a longer
         * count): the page is served without it, the stored session as is. */
        plan.write = 0;
        plan.send_cookie = plan.cookie_if_dropped;
    }
    else if (rv != SD_OK) {
        return rv;
    }
    if (!plan.write) {
        /* Re-issued cookie without a write: keep the stored expiry. */
        expires = s->deadline ? s->deadline : expires;
    }
    if (plan.send_cookie) {
        const sd_secret *signer = (const sd_secret *)conf->secrets->elts;
        /* The incoming cookie, when it is this ID signed with the current
         * secret, is exactly what signing would produce. */
        const char *value = (s->cookie_value && !s->resign && s->id == s->cookie_id)
                            ? s->cookie_value : sd_cookie_sign(r->pool, s->id, signer);
        if (!value) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00317)
                          "the session cookie could not be signed (OpenSSL failed)");
            return SD_FAILED;
        }
        add_set_cookie(s, conf->cookie_domain, value, has_expiry, expires);
    }
    return SD_OK;
}

const char *sd_session_id(const sd_session *s)
{
    return s->id;
}

int sd_session_is_live(const sd_session *s)
{
    return !s->is_new && !s->destroyed;
}

apr_time_t sd_session_created(const sd_session *s)
{
    return s->created;
}

apr_time_t sd_session_saved(const sd_session *s)
{
    return s->is_new ? 0 : sd_record_saved(s->data);
}

void sd_session_set_login(sd_session *s, const char *how)
{
    s->login = how;
}

int sd_session_to_index(const sd_session *s, apr_time_t *rebuild_at)
{
    *rebuild_at = s->unindexed ? s->written_at : 0;
    return s->written_at && (s->adopted || s->unindexed);
}

void sd_session_forget(sd_session *s)
{
    s->destroyed = 1;
}

void sd_session_close(sd_session *s)
{
    if (s) {
        sd_session_lock_release(s->lock);
        s->lock = NULL;
    }
}

sd_result sd_session_commit(sd_session *s)
{
    sd_result rc = commit_session(s);
    /* Now, not at the end of the request: the next one may start. */
    sd_session_lock_release(s->lock);
    return rc;
}
