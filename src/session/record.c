/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* One jansson object per stored session, read by one set of readers and
 * written in the member order express-session keeps. */
#include "sd_record.h"
#include "sd_json.h"

#include <string.h>

/* The module's own member, a top-level field an Express peer keeps. */
#define SD_RECORD_META_FIELD "sessiondemo"
/* Where earlier versions kept the creation time (an ISO date); still read. */
#define SD_RECORD_LEGACY_CREATED_FIELD "sessionCreatedAt"
/* The longest originalMaxAge taken from a stored cookie (400 days). */
#define SD_RECORD_MAX_LIFETIME_MS (400LL * 24 * 3600 * 1000)
/* Year 9999, the last one sd_record_iso8601_format can write. */
#define SD_RECORD_MAX_TIME_MS 253402300799999LL

/* express-session deletes these on load because they would shadow methods
 * of its Session object; a peer must never see them come back. */
static const char *const reserved_members[] = {
    "id", "req", "touch", "resetMaxAge", "save", "reload", "destroy",
    "regenerate", NULL
};

json_t *sd_record_decode(apr_pool_t *p, const char *buf, apr_size_t len, const char **err)
{
    json_t *root = sd_json_parse(p, buf, len, err);
    const char *why = !root || json_is_object(json_object_get(root, "cookie")) ? NULL
                      : json_is_object(root) ? "stored session has no \"cookie\" object"
                      : "stored session is not a JSON object";

    if (why) {
        if (p) {
            *err = why;
        }
        else {
            json_decref(root);
        }
        return NULL;
    }
    /* One pass over the members, not a hash lookup per name: every
     * reserved name starts with one of "dirst". */
    const char *key;
    json_t *v;
    void *next;
    json_object_foreach_safe(root, next, key, v) {
        for (int i = 0; strchr("dirst", key[0]) && reserved_members[i]; ++i) {
            if (strcmp(key, reserved_members[i]) == 0) {
                json_object_del(root, key);
                break;
            }
        }
    }
    return root;
}

/* Where each number of an ISO date is in its shape, and how many digits. */
static const char iso_shape[] = "0000-00-00T00:00:00.000Z";
static const int iso_fields[7][2] = { { 0, 4 }, { 5, 2 }, { 8, 2 }, { 11, 2 }, { 14, 2 },
                                      { 17, 2 }, { 20, 3 } };

static void iso8601_write(apr_time_t t, char out[SD_RECORD_ISO8601_LEN + 1])
{
    /* Digit by digit: every save writes one, and a formatter costs ten
     * times more. Each field is in range (year 1970..9999 here). */
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, t);
    const int values[7] = { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                            tm.tm_min, tm.tm_sec, tm.tm_usec / 1000 };
    memcpy(out, iso_shape, sizeof(iso_shape));
    for (int f = 0; f < 7; ++f) {
        int v = values[f] < 0 ? 0 : values[f];
        for (int i = iso_fields[f][1] - 1; i >= 0; --i) {
            out[iso_fields[f][0] + i] = (char)('0' + v % 10);
            v /= 10;
        }
    }
}

char *sd_record_iso8601_format(apr_pool_t *p, apr_time_t t)
{
    char *out = apr_palloc(p, SD_RECORD_ISO8601_LEN + 1);
    iso8601_write(t, out);
    return out;
}

apr_status_t sd_record_iso8601_parse(const char *s, apr_time_t *out)
{
    /* iso_shape, with or without its ".fff". */
    apr_size_t len = s ? strlen(s) : 0, i;
    int v[7] = { 0 };   /* year, month, day, hour, minute, second, ms */
    apr_time_exp_t tm;
    apr_time_t t;

    if ((len != SD_RECORD_ISO8601_LEN && len != SD_RECORD_ISO8601_LEN - 4) || s[len - 1] != 'Z') {
        return APR_EINVAL;
    }
    for (i = 0; i < len - 1; ++i) {
        if (iso_shape[i] == '0' ? s[i] < '0' || s[i] > '9' : s[i] != iso_shape[i]) {
            return APR_EINVAL;
        }
    }
    for (int f = 0; f < 7 && (apr_size_t)iso_fields[f][0] < len - 1; ++f) {
        for (int d = 0; d < iso_fields[f][1]; ++d) {
            v[f] = v[f] * 10 + (s[iso_fields[f][0] + d] - '0');
        }
    }
    /* No leap second: Date.parse refuses ":60" (V8 takes seconds 0-59),
     * and 9999-12-31T23:59:60 would roll into year 10000, which
     * sd_record_iso8601_format cannot write back in four digits (found by
     * fuzz/fuzz_json.c). A day past the month's end rolls over as in V8. */
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31
        || v[3] > 23 || v[4] > 59 || v[5] > 59) {
        return APR_EINVAL;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    if (apr_time_exp_gmt_get(&t, &tm) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *out = t + (apr_time_t)v[6] * 1000;
    return APR_SUCCESS;
}

/* ------------------------------------------- what the session reads */

static const json_t *meta_of(const json_t *rec)
{
    const json_t *m = json_object_get(rec, SD_RECORD_META_FIELD);
    return json_is_object(m) ? m : NULL;
}

/* A date as JavaScript's Date#toISOString writes it, or 0. */
static apr_time_t date_of(const json_t *v)
{
    apr_time_t t;
    return json_is_string(v) && sd_record_iso8601_parse(json_string_value(v), &t) == APR_SUCCESS
           ? t : 0;
}

/* A time in ms since the epoch in the module's member m, or 0. */
static apr_time_t meta_time(const json_t *m, const char *name)
{
    const json_t *v = json_object_get(m, name);
    return json_is_integer(v) && json_integer_value(v) > 0
           && json_integer_value(v) < SD_RECORD_MAX_TIME_MS
           ? (apr_time_t)json_integer_value(v) * 1000 : 0;
}

/* When the session was created (the member's, else the legacy field), or 0. */
static apr_time_t created_of(const json_t *rec, const json_t *m)
{
    apr_time_t t = meta_time(m, "created");
    return t ? t : date_of(json_object_get(rec, SD_RECORD_LEGACY_CREATED_FIELD));
}

sd_record_meta sd_record_meta_read(const json_t *rec)
{
    const json_t *m = meta_of(rec), *gen = json_object_get(m, "gen");
    sd_record_meta out = { json_string_value(json_object_get(m, "realm")),
                           json_is_integer(gen) && json_integer_value(gen) > 0
                           ? json_integer_value(gen) : 0,
                           meta_time(m, "saved"), created_of(rec, m),
                           json_is_true(json_object_get(m, "ended")),
                           json_string_value(json_object_get(m, "login")) };
    return out;
}

apr_time_t sd_record_expires(const json_t *rec)
{
    return date_of(json_object_get(json_object_get(rec, "cookie"), "expires"));
}

apr_time_t sd_record_lifetime(const json_t *rec, apr_time_t configured)
{
    const json_t *oma = json_object_get(json_object_get(rec, "cookie"), "originalMaxAge");
    double ms = json_number_value(oma);
    if (json_is_null(oma)) {
        return 0;
    }
    if (ms >= 1000.0 && ms <= (double)SD_RECORD_MAX_LIFETIME_MS
        && (apr_time_t)ms * 1000 < configured) {
        return (apr_time_t)ms * 1000;
    }
    return configured;
}

apr_time_t sd_record_saved(const json_t *rec)
{
    apr_time_t saved = meta_time(meta_of(rec), "saved"), expires = sd_record_expires(rec);
    apr_time_t oma = sd_record_lifetime(rec, APR_INT64_MAX);
    /* express-session slides expires on every save (and copies our member
     * unchanged), so its expires - originalMaxAge counts as a write too. */
    if (expires && oma && oma != APR_INT64_MAX && expires - oma > saved) {
        saved = expires - oma;
    }
    return saved;
}

/* Deadlines of 0 are unknown; the earliest known one wins. */
static apr_time_t earlier(apr_time_t a, apr_time_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

apr_time_t sd_record_deadline(const json_t *rec, apr_time_t max_age, apr_time_t absolute)
{
    apr_time_t deadline = sd_record_expires(rec);
    apr_time_t saved = sd_record_saved(rec), created = created_of(rec, meta_of(rec));
    if (saved) {
        deadline = earlier(deadline, saved + max_age);
    }
    if (absolute && created) {
        deadline = earlier(deadline, created + absolute);
    }
    return deadline;
}

int sd_record_same_fields(const json_t *a, const json_t *b)
{
    const char *key;
    json_t *v;
    if (a == b) {
        return 1;
    }
    if (json_object_size(a) - (json_object_get(a, "cookie") != NULL)
        != json_object_size(b) - (json_object_get(b, "cookie") != NULL)) {
        return 0;
    }
    json_object_foreach((json_t *)a, key, v) {
        if (strcmp(key, "cookie") != 0 && !json_equal(v, json_object_get(b, key))) {
            return 0;
        }
    }
    return 1;
}

/* --------------------------------------------------------- writing it */

/* express-session's Cookie#toJSON order; partitioned and priority are
 * the stored values (the module does not set them). */
static const char *const cookie_known[] = {
    "originalMaxAge", "partitioned", "priority", "expires", "secure", "httpOnly",
    "domain", "path", "sameSite", NULL
};

static void put_literal(sd_json_out *o, const char *key, const char *literal)
{
    sd_json_out_key(o, key);
    sd_json_out_put(o, literal, strlen(literal));
}

static void put_string(sd_json_out *o, const char *key, const char *value)
{
    sd_json_out_key(o, key);
    sd_json_out_string(o, value);
}

/* The "cookie" object in express-session's member order; members of the
 * stored one (may be NULL) that the module does not set are kept, in the
 * order sd_json_dump gives them. */
static void put_cookie(sd_json_out *o, const json_t *stored, const sd_record_cookie_attrs *a)
{
    char when[SD_RECORD_ISO8601_LEN + 1];

    sd_json_out_put(o, "{", 1);
    sd_json_out_members(o, stored, 1, cookie_known);
    sd_json_out_key(o, "originalMaxAge");
    if (a->lifetime) {
        sd_json_out_int(o, apr_time_as_msec(a->lifetime));
    }
    else {
        sd_json_out_put(o, "null", 4);
    }
    for (int i = 1; i <= 2; ++i) {
        const json_t *v = json_object_get(stored, cookie_known[i]);
        if (v) {
            sd_json_out_key(o, cookie_known[i]);
            sd_json_out_value(o, v);
        }
    }
    if (a->lifetime) {
        iso8601_write(a->expires, when);
        put_string(o, "expires", when);
    }
    else {
        put_literal(o, "expires", "null");
    }
    if (a->secure) {
        put_literal(o, "secure", "true");
    }
    put_literal(o, "httpOnly", a->http_only ? "true" : "false");
    if (a->domain) {
        put_string(o, "domain", a->domain);
    }
    put_string(o, "path", a->path);
    if (a->same_site) {
        put_string(o, "sameSite", a->same_site);
    }
    sd_json_out_members(o, stored, 0, cookie_known);
    sd_json_out_put(o, "}", 1);
}

/* The module's member: {realm, gen, saved, created[, ended][, login]}. */
static void put_meta(sd_json_out *o, const sd_record_meta *m)
{
    sd_json_out_put(o, "{", 1);
    put_string(o, "realm", m->realm);
    sd_json_out_key(o, "gen");
    sd_json_out_int(o, m->gen);
    sd_json_out_key(o, "saved");
    sd_json_out_int(o, apr_time_as_msec(m->saved));
    sd_json_out_key(o, "created");
    sd_json_out_int(o, apr_time_as_msec(m->created));
    if (m->ended) {
        put_literal(o, "ended", "true");
    }
    if (m->login) {
        put_string(o, "login", m->login);
    }
    sd_json_out_put(o, "}", 1);
}

char *sd_record_encode(apr_pool_t *p, const json_t *rec, const sd_record_cookie_attrs *attrs,
                       const sd_record_meta *meta, apr_size_t *len)
{
    static const char *const ours[] = { "cookie", SD_RECORD_META_FIELD, NULL };
    const json_t *cookie = json_object_get(rec, ours[0]), *stored_meta = json_object_get(rec, ours[1]);
    sd_json_out o = { NULL, 0, 0, 0 };

    /* "cookie" first (after the integer-like keys, which JavaScript lists
     * first) and the module's member right after it, as express-session
     * keeps the order it loaded. Written, not built: cheaper. */
    sd_json_out_put(&o, "{", 1);
    sd_json_out_members(&o, rec, 1, ours);
    if (attrs || cookie) {
        sd_json_out_key(&o, ours[0]);
        if (attrs) {
            put_cookie(&o, cookie, attrs);
        }
        else {
            sd_json_out_value(&o, cookie);
        }
    }
    if (meta || stored_meta) {
        sd_json_out_key(&o, ours[1]);
        if (meta) {
            put_meta(&o, meta);
        }
        else {
            sd_json_out_value(&o, stored_meta);
        }
    }
    sd_json_out_members(&o, rec, 0, ours);
    sd_json_out_put(&o, "}", 1);
    return sd_json_out_done(p, &o, len);
}

/* ------------------------------------------- ordering stored copies */

void sd_record_read_header(const char *v, apr_size_t len, apr_time_t now, sd_store_header *h)
{
    json_t *rec = sd_record_decode(NULL, v, len, NULL);
    sd_record_meta m = sd_record_meta_read(rec);
    apr_time_t expires = sd_record_expires(rec);

    json_decref(rec);
    h->gen = m.gen;
    h->ended = m.ended;
    h->saved = m.saved;
    /* A browser-session cookie: express-session's rule, a day. */
    h->ttl = !expires ? 86400
             : expires > now ? apr_time_sec(expires - now + APR_USEC_PER_SEC - 1) : 1;
    h->ttl += m.ended ? SD_RECORD_TOMBSTONE_EXTRA : 0;
}
