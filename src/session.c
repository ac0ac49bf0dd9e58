/* Session lifecycle with express-session's semantics (saveUninitialized,
 * resave, rolling, "modified" = data changed or ID changed), stored in
 * express-session's format, plus what express-session lacks: server-side
 * expiry on load, collision-safe ID creation with `add`, and a save that
 * happens before the response so a failed write becomes an error page. */
#include "sd_session.h"
#include "sd_cfg_parse.h"
#include "sd_cookie.h"
#include "sd_http.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_record.h"
#include "sd_session_lock.h"

#include <http_log.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* connect-memcached's JSON flag: a peer Express app parses values with it. */
#define SD_STORE_FLAGS_JSON 2
/* memcached's default item size limit. */
#define SD_STORE_MAX_VALUE (1024 * 1024)
#define SD_ADD_ATTEMPTS 3

struct sd_session {
    request_rec *r;
    const sd_vhost *v;
    const sd_config *conf;
    int had_cookie;            /* the request carried our cookie name      */
    const char *cookie_id;     /* ID from a validly signed cookie, or NULL */
    const char *cookie_value;  /* that cookie's decoded value             */
    int resign;                /* verified by an old secret: re-issue      */
    const char *id;            /* current ID; NULL until one is minted     */
    json_t *data;
    json_t *stored_cookie;     /* the loaded "cookie" object, or NULL      */
    const char *loaded_data;   /* compact JSON of data as loaded (UPDATE
                                  loads only), or NULL once regenerated    */
    sd_session_intent intent;
    apr_time_t expires;        /* stored expiry of a loaded session, or 0  */
    apr_time_t created;        /* creation time, for the absolute timeout  */
    int is_new;
    int destroyed;
    int committed;
    sd_session_lock *lock;     /* held lock, or NULL                       */
};

static const char *store_key(apr_pool_t *p, const sd_config *conf, const char *id)
{
    return apr_pstrcat(p, conf->key_prefix, id, NULL);
}

/* First occurrence of our cookie across every Cookie header line. */
static const char *find_cookie(request_rec *r, const char *name)
{
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    for (int i = 0; i < h->nelts; ++i) {
        if (e[i].key && strcasecmp(e[i].key, "Cookie") == 0) {
            const char *v = sd_cookie_find(r->pool, e[i].val, name);
            if (v) {
                return v;
            }
        }
    }
    return NULL;
}

static void start_new(sd_session *s)
{
    s->is_new = 1;
    s->id = NULL;
    s->data = sd_json_track(s->r->pool, json_object());
    s->stored_cookie = NULL;
    s->loaded_data = "{}";
    s->expires = 0;
    s->created = 0;
}

/* Drops a stored session that is past its time: deleted, counted, and the
 * request continues as a new visitor. */
static int expire_stored(sd_session *s, const char *key, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, s->r, SD_LOGNO(00302)
                  "stored session %s; starting a new one", why);
    SD_STATS_INC(s->v->rt.stats, expired);
    if (sd_store_delete(s->v->rt.store, s->r, key) != SD_STORE_OK) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    start_new(s);
    return OK;
}

/* Reads and vets the stored value. Returns OK (s filled, or started new
 * when the value is unusable) or an HTTP error status. */
static int load_stored(sd_session *s, const char *key)
{
    request_rec *r = s->r;
    char *val = NULL;
    apr_size_t len = 0;
    apr_uint16_t flags = 0;
    sd_record rec;
    const char *err = NULL;

    switch (sd_store_get_newest(s->v->rt.store, r, key, sd_record_is_newer, &val, &len, &flags)) {
    case SD_STORE_OK:
        break;
    case SD_STORE_NOTFOUND:
        /* Expired or destroyed elsewhere: a fresh ID, never the old one. */
        start_new(s);
        return OK;
    default:
        return HTTP_SERVICE_UNAVAILABLE;
    }

    if (flags != SD_STORE_FLAGS_JSON || len > SD_STORE_MAX_VALUE
        || !sd_record_decode(r->pool, val, len, &rec, &err)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00301)
                      "ignoring unusable stored session (flags %u, %" APR_SIZE_T_FMT
                      " bytes): %s", (unsigned)flags, len,
                      err ? err : "wrong flags or too large");
        start_new(s);
        return OK;
    }

    s->expires = sd_record_expires(&rec);
    /* memcached's TTL is not the only guard: an entry it still returns past
     * its recorded expiry (clock skew, a peer that sets long TTLs) is dead. */
    if (s->expires && s->expires <= apr_time_now()) {
        return expire_stored(s, key, "has expired");
    }
    s->created = sd_record_created(&rec);
    if (s->conf->absolute_timeout && s->created
        && s->created + apr_time_from_sec(s->conf->absolute_timeout) <= apr_time_now()) {
        return expire_stored(s, key, "reached SessionDemoAbsoluteTimeout");
    }
    SD_STATS_INC(s->v->rt.stats, loaded);

    s->is_new = 0;
    s->id = s->cookie_id;
    s->data = rec.data;
    s->stored_cookie = rec.cookie;
    /* The snapshot for the "modified" test costs a full encode, and only
     * routes that may change the session need it. */
    s->loaded_data = s->intent == SD_SESSION_UPDATE
                     ? sd_json_dump(r->pool, rec.data, NULL) : "";
    return OK;
}

int sd_session_load(request_rec *r, const sd_vhost *v,
                    sd_session_intent intent, sd_session **out)
{
    const sd_config *conf = v->conf;
    sd_session *s = apr_pcalloc(r->pool, sizeof(*s));
    const char *value;
    int matched = -1;

    s->r = r;
    s->v = v;
    s->conf = conf;
    s->intent = intent;
    *out = s;

    value = find_cookie(r, conf->cookie_name);
    s->had_cookie = value != NULL;
    if (value) {
        s->cookie_id = sd_cookie_unsign(r->pool, value,
                                        (const sd_secret *)conf->secrets->elts,
                                        conf->secrets->nelts, &matched);
        if (!s->cookie_id) {
            SD_STATS_INC(v->rt.stats, bad_signatures);
            /* Tampered, truncated or signed with a retired secret: a guest.
             * Info, not warning: any client can send junk. */
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00303)
                          "session cookie signature does not verify; treating"
                          " the request as a new visitor");
        }
    }
    if (!s->cookie_id) {
        start_new(s);
        return OK;
    }
    s->resign = matched > 0;
    s->cookie_value = value;
    if (conf->lock && intent == SD_SESSION_UPDATE) {
        int rc = sd_session_lock_acquire(r, v, s->cookie_id, &s->lock);
        if (rc != OK) {
            return rc;
        }
    }
    return load_stored(s, store_key(r->pool, conf, s->cookie_id));
}

json_t *sd_session_data(sd_session *s)
{
    return s->data;
}

/* Removes the stored copy of a loaded session (logout, regeneration). */
static int remove_stored(sd_session *s)
{
    if (s->is_new || !s->id) {
        return OK;
    }
    if (sd_store_delete(s->v->rt.store, s->r, store_key(s->r->pool, s->conf, s->id))
        != SD_STORE_OK) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    SD_STATS_INC(s->v->rt.stats, destroyed);
    return OK;
}

int sd_session_regenerate(sd_session *s)
{
    int rc = remove_stored(s);
    if (rc != OK) {
        return rc;
    }
    start_new(s);
    /* Even with no data yet, a regenerated session counts as modified (its
     * ID changed), as in express-session. */
    s->loaded_data = NULL;
    return OK;
}

int sd_session_destroy(sd_session *s)
{
    int rc = remove_stored(s);
    if (rc == OK) {
        s->destroyed = 1;
    }
    return rc;
}

static int cookie_is_secure(sd_session *s)
{
    return s->conf->cookie_secure == SD_SECURE_ON
           || (s->conf->cookie_secure == SD_SECURE_AUTO
               && sd_http_is_secure(s->r, s->conf));
}

/* A loaded session keeps the cookie settings it was created with, as in
 * express-session: its Cookie is rebuilt from the stored "cookie" object
 * over the defaults (path "/", HttpOnly), not from the current options. So
 * sessions an Express peer made keep their attributes, and changed
 * directives apply to new sessions. Values from the store are validated
 * like directive values before they can reach a header. */
static void stored_attrs(sd_session *s, sd_cookie_attrs *attrs)
{
    apr_pool_t *p = s->r->pool;
    const json_t *c = s->stored_cookie;
    const json_t *v;

    attrs->path = "/";
    attrs->domain = NULL;
    attrs->http_only = 1;
    attrs->secure = 0;
    attrs->same_site = NULL;

    v = json_object_get(c, "httpOnly");
    if (json_is_boolean(v)) {
        attrs->http_only = json_is_true(v);
    }
    attrs->secure = json_is_true(json_object_get(c, "secure"));
    v = json_object_get(c, "path");
    if (json_is_string(v) && !sd_cfg_parse_cookie_path(p, json_string_value(v))) {
        attrs->path = json_string_value(v);
    }
    v = json_object_get(c, "domain");
    if (json_is_string(v) && !sd_cfg_parse_cookie_domain(p, json_string_value(v))) {
        attrs->domain = json_string_value(v);
    }
    v = json_object_get(c, "sameSite");
    if (json_is_true(v)) {
        attrs->same_site = "Strict";
    }
    else if (json_is_string(v)) {
        const char *ss = json_string_value(v);
        attrs->same_site = strcasecmp(ss, "strict") == 0 ? "Strict"
                         : strcasecmp(ss, "lax") == 0 ? "Lax"
                         : strcasecmp(ss, "none") == 0 ? "None" : NULL;
    }
}

static void add_set_cookie(sd_session *s, const char *value, int has_expires,
                           apr_time_t expires)
{
    request_rec *r = s->r;
    const sd_config *conf = s->conf;
    sd_cookie_attrs attrs = { 0 };

    attrs.path = conf->cookie_path;
    attrs.domain = conf->cookie_domain;
    attrs.has_expires = has_expires;
    attrs.expires = expires;
    attrs.http_only = conf->cookie_http_only;
    attrs.secure = cookie_is_secure(s);
    attrs.same_site = sd_config_same_site_name(conf);
    if (s->stored_cookie) {
        stored_attrs(s, &attrs);
    }
    /* A browser would drop a Secure cookie set over plain http anyway;
     * express-session skips it too, and so do we. */
    if (attrs.secure && !sd_http_is_secure(r, conf)) {
        return;
    }
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   sd_cookie_header(r->pool, conf->cookie_name, value, &attrs));
}

/* The stored "cookie" object, field order as express-session writes it. */
static json_t *cookie_object(sd_session *s, int has_expiry, apr_time_t expires)
{
    const sd_config *conf = s->conf;
    request_rec *r = s->r;
    json_t *c;

    if (s->stored_cookie) {
        /* Written back as stored, fields we do not know included; only the
         * expiry moves, and stays null for a browser-session cookie. */
        c = sd_json_track(r->pool, json_deep_copy(s->stored_cookie));
        if (has_expiry) {
            json_object_set_new(c, "expires",
                                json_string(sd_record_iso8601_format(r->pool, expires)));
        }
        return c;
    }
    c = sd_json_track(r->pool, json_object());

    json_object_set_new(c, "originalMaxAge", json_integer(conf->max_age * 1000));
    json_object_set_new(c, "expires",
                        json_string(sd_record_iso8601_format(r->pool, expires)));
    if (cookie_is_secure(s)) {
        json_object_set_new(c, "secure", json_true());
    }
    json_object_set_new(c, "httpOnly", json_boolean(conf->cookie_http_only));
    if (conf->cookie_domain) {
        json_object_set_new(c, "domain", json_string(conf->cookie_domain));
    }
    json_object_set_new(c, "path", json_string(conf->cookie_path));
    if (sd_config_same_site_name(conf)) {
        /* express-session stores the lower-case option value. */
        char *same_site = apr_pstrdup(r->pool, sd_config_same_site_name(conf));
        ap_str_tolower(same_site);
        json_object_set_new(c, "sameSite", json_string(same_site));
    }
    return c;
}

/* Writes the session: `add` under a fresh ID for new sessions (retrying on
 * the astronomically unlikely collision), `set` for existing ones. */
static int save(sd_session *s, int has_expiry, apr_time_t expires)
{
    request_rec *r = s->r;
    apr_size_t len = 0;
    char *value;
    sd_store_result res;
    /* express-session's rule: a session without an expiry lives a day. */
    apr_int64_t ttl = has_expiry
        ? apr_time_sec(expires - apr_time_now() + APR_USEC_PER_SEC - 1)
        : 86400;

    if (s->conf->absolute_timeout && !json_object_get(s->data, SD_RECORD_CREATED_FIELD)) {
        json_object_set_new(s->data, SD_RECORD_CREATED_FIELD,
                            json_string(sd_record_iso8601_format(r->pool, s->created)));
    }
    value = sd_record_encode(r->pool, cookie_object(s, has_expiry, expires),
                                  s->data, &len);

    if (!value) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00304)
                      "session data cannot be encoded as JSON");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (len > SD_STORE_MAX_VALUE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00305)
                      "session of %" APR_SIZE_T_FMT " bytes exceeds memcached's"
                      " item limit; not saved", len);
        return HTTP_INSUFFICIENT_STORAGE;
    }
    if (!s->is_new) {
        if (s->lock && !sd_session_lock_trusted(s->lock)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00309)
                          "request held the session lock longer than"
                          " SessionDemoLockTTL; not saving, so as not to overwrite"
                          " a newer change");
            return HTTP_SERVICE_UNAVAILABLE;
        }
        res = sd_store_set(s->v->rt.store, r, store_key(r->pool, s->conf, s->id),
                           value, len, ttl, SD_STORE_FLAGS_JSON);
        if (res == SD_STORE_OK) {
            SD_STATS_INC(s->v->rt.stats, saved);
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
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            s->id = apr_pstrdup(r->pool, id);
            res = sd_store_add(s->v->rt.store, r, store_key(r->pool, s->conf, s->id),
                               value, len, ttl, SD_STORE_FLAGS_JSON);
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
        return HTTP_SERVICE_UNAVAILABLE;
    }
    return OK;
}

/* For a session loaded without the lock that now has to be written: takes
 * the lock and re-reads. Returns OK when the stored data is still what was
 * loaded (the write may go ahead), DONE when another request changed or
 * deleted it meanwhile (skip the write: its expiry is fresh, or it was
 * logged out and must not come back), or an HTTP error status. */
static int lock_and_recheck(sd_session *s)
{
    request_rec *r = s->r;
    const char *key = store_key(r->pool, s->conf, s->id);
    char *val = NULL;
    apr_size_t len = 0;
    apr_uint16_t flags = 0;
    sd_record rec;
    const char *err = NULL;
    int rc = sd_session_lock_acquire(r, s->v, s->id, &s->lock);

    if (rc != OK) {
        return rc;
    }
    switch (sd_store_get_newest(s->v->rt.store, r, key, sd_record_is_newer, &val, &len, &flags)) {
    case SD_STORE_OK:
        break;
    case SD_STORE_NOTFOUND:
        return DONE;
    default:
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (flags != SD_STORE_FLAGS_JSON || len > SD_STORE_MAX_VALUE
        || !sd_record_decode(r->pool, val, len, &rec, &err)
        || strcmp(sd_json_dump(r->pool, rec.data, NULL),
                  sd_json_dump(r->pool, s->data, NULL)) != 0) {
        return DONE;
    }
    return OK;
}

/* The lifetime of this session in µs: the stored originalMaxAge for a
 * loaded session (express-session's rule), else SessionDemoMaxAge. 0 means
 * a browser-session cookie (originalMaxAge null). */
static apr_time_t session_lifetime(const sd_session *s)
{
    apr_time_t configured = apr_time_from_sec(s->conf->max_age);
    sd_record stored = { s->stored_cookie, s->data };
    return s->stored_cookie ? sd_record_lifetime(&stored, configured) : configured;
}

static int commit_session(sd_session *s)
{
    request_rec *r = s->r;
    const sd_config *conf = s->conf;
    apr_time_t now = apr_time_now();
    apr_time_t lifetime = session_lifetime(s);
    int has_expiry = lifetime != 0;
    apr_time_t expires = now + (has_expiry ? lifetime : apr_time_from_sec(86400));
    int modified, write, send_cookie, rv;

    if (s->committed) {
        return OK;
    }
    s->committed = 1;

    if (s->destroyed) {
        if (s->had_cookie) {
            add_set_cookie(s, "", 1, apr_time_from_sec(0));
        }
        return OK;
    }

    if (!s->created) {
        s->created = now;
    }
    /* The idle expiry never runs past the absolute one. */
    if (conf->absolute_timeout && s->created) {
        apr_time_t hard = s->created + apr_time_from_sec(conf->absolute_timeout);
        if (expires > hard) {
            expires = hard;
            has_expiry = 1;
        }
    }

    /* A read-only load is unmodified by contract (sd_session.h). */
    modified = !s->loaded_data
               || ((s->is_new || s->intent == SD_SESSION_UPDATE)
                   && strcmp(s->loaded_data, sd_json_dump(r->pool, s->data, NULL)) != 0);
    if (s->is_new) {
        write = modified || conf->save_uninitialized;
        send_cookie = write;
    }
    else {
        /* Throttled refresh: an unchanged session is re-saved (sliding its
         * expiry) only when less than refresh_percent of its lifetime is
         * left, so read-only pages rarely write. 100 = every request. A
         * browser-session cookie has no expiry to slide. */
        int refresh_due = has_expiry
            && (s->expires == 0
                || (s->expires - now) * 100 < (lifetime ? lifetime : expires - now)
                                              * conf->refresh_percent);
        write = modified || conf->resave || conf->rolling || refresh_due;
        /* Unlike express-session (issues #189, #276), whenever the stored
         * expiry slides, the browser's Expires slides with it: otherwise an
         * active user is logged out when the first cookie runs out. A
         * browser-session cookie needs no re-sending. */
        send_cookie = (write && has_expiry) || conf->rolling || s->resign;
    }
    if (!write && !send_cookie) {
        return OK;
    }
    if (write && !s->is_new && conf->lock && !s->lock) {
        /* Loaded read-only, now due for a write (refresh, Resave, Rolling). */
        rv = lock_and_recheck(s);
        if (rv == DONE) {
            write = 0;
            send_cookie = s->resign;
        }
        else if (rv != OK) {
            return rv;
        }
    }
    if (!write && !send_cookie) {
        return OK;
    }
    if (write && (rv = save(s, has_expiry, expires)) != OK) {
        return rv;
    }
    if (!write) {
        /* Re-issued cookie without a write: keep the stored expiry. */
        expires = s->expires ? s->expires : expires;
    }
    if (send_cookie) {
        const sd_secret *signer = (const sd_secret *)conf->secrets->elts;
        /* The incoming cookie, when it is this ID signed with the current
         * secret, is exactly what signing would produce. */
        const char *value = (s->cookie_value && !s->resign && s->id == s->cookie_id)
                            ? s->cookie_value : sd_cookie_sign(r->pool, s->id, signer);
        add_set_cookie(s, value, has_expiry, expires);
    }
    return OK;
}

int sd_session_commit(sd_session *s)
{
    int rc = commit_session(s);
    /* Released as soon as the session is written, not at the end of the
     * request, so the next request of this session can start. */
    sd_session_lock_release(s->lock);
    return rc;
}
