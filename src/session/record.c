/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A stored session in express-session's shape: {"cookie":{...}, app
 * fields...}, "cookie" first, dates as JavaScript's Date#toISOString writes
 * them. One jansson object, read by one parser. Pure (no httpd), so it is
 * unit-tested and fuzzed. */
#include "sd_record.h"
#include "sd_json.h"

#include <string.h>

/* express-session deletes these on load because they would shadow methods
 * of its Session object; a peer must never see them come back. */
static const char *const reserved_members[] = {
    "id", "req", "touch", "resetMaxAge", "save", "reload", "destroy",
    "regenerate", NULL
};

/* Tracked by p, or the caller's when p is NULL (then no *err). */
static json_t *decode(apr_pool_t *p, const char *buf, apr_size_t len, const char **err)
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
    for (int i = 0; root && reserved_members[i]; ++i) {
        json_object_del(root, reserved_members[i]);
    }
    return root;
}

json_t *sd_record_decode(apr_pool_t *p, const char *buf, apr_size_t len, const char **err)
{
    return decode(p, buf, len, err);
}

void sd_record_iso8601_write(apr_time_t t, char out[SD_RECORD_ISO8601_LEN + 1])
{
    /* "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", digit by digit: every save
     * writes one, and a formatter costs ten times more. Each field is in
     * range (year 1970..9999 for the times this unit handles). */
    static const char shape[] = "0000-00-00T00:00:00.000Z";
    const int fields[7][2] = { { 0, 4 }, { 5, 2 }, { 8, 2 }, { 11, 2 }, { 14, 2 },
                               { 17, 2 }, { 20, 3 } };
    apr_time_exp_t tm;
    int values[7];
    apr_time_exp_gmt(&tm, t);
    values[0] = tm.tm_year + 1900;
    values[1] = tm.tm_mon + 1;
    values[2] = tm.tm_mday;
    values[3] = tm.tm_hour;
    values[4] = tm.tm_min;
    values[5] = tm.tm_sec;
    values[6] = tm.tm_usec / 1000;
    memcpy(out, shape, sizeof(shape));
    for (int f = 0; f < 7; ++f) {
        int v = values[f] < 0 ? 0 : values[f];
        for (int i = fields[f][1] - 1; i >= 0; --i) {
            out[fields[f][0] + i] = (char)('0' + v % 10);
            v /= 10;
        }
    }
}

char *sd_record_iso8601_format(apr_pool_t *p, apr_time_t t)
{
    char *out = apr_palloc(p, SD_RECORD_ISO8601_LEN + 1);
    sd_record_iso8601_write(t, out);
    return out;
}

static int parse_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; ++i) {
        char c = (*s)[i];
        if (c < '0' || c > '9') {
            return 0;
        }
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 1;
}

static int expect_char(const char **s, char c)
{
    if (**s != c) {
        return 0;
    }
    ++*s;
    return 1;
}

apr_status_t sd_record_iso8601_parse(const char *s, apr_time_t *out)
{
    apr_time_exp_t tm;
    int year, mon, mday, hour, min, sec, ms = 0;
    apr_time_t t;

    if (!s) {
        return APR_EINVAL;
    }
    if (!parse_digits(&s, 4, &year) || !expect_char(&s, '-')
        || !parse_digits(&s, 2, &mon) || !expect_char(&s, '-')
        || !parse_digits(&s, 2, &mday) || !expect_char(&s, 'T')
        || !parse_digits(&s, 2, &hour) || !expect_char(&s, ':')
        || !parse_digits(&s, 2, &min) || !expect_char(&s, ':')
        || !parse_digits(&s, 2, &sec)) {
        return APR_EINVAL;
    }
    if (*s == '.') {
        ++s;
        if (!parse_digits(&s, 3, &ms)) {
            return APR_EINVAL;
        }
    }
    if (!expect_char(&s, 'Z') || *s != '\0') {
        return APR_EINVAL;
    }
    /* No leap second: Date.parse refuses ":60" (V8 takes seconds 0-59),
     * and 9999-12-31T23:59:60 would roll into year 10000, which
     * sd_record_iso8601_format cannot write back in four digits (found by
     * fuzz/fuzz_json.c). A day past the month's end rolls over as in V8. */
    if (year < 1970 || mon < 1 || mon > 12 || mday < 1 || mday > 31
        || hour > 23 || min > 59 || sec > 59) {
        return APR_EINVAL;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    if (apr_time_exp_gmt_get(&t, &tm) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *out = t + (apr_time_t)ms * 1000;
    return APR_SUCCESS;
}


/* ------------------------------------------- what the session reads */

static const json_t *cookie_of(const json_t *rec)
{
    return json_object_get(rec, "cookie");
}

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

/* A time in ms since the epoch in the module's member, or 0. */
static apr_time_t meta_time(const json_t *rec, const char *name)
{
    const json_t *v = json_object_get(meta_of(rec), name);
    return json_is_integer(v) && json_integer_value(v) > 0
           && json_integer_value(v) < SD_RECORD_MAX_TIME_MS
           ? (apr_time_t)json_integer_value(v) * 1000 : 0;
}

apr_time_t sd_record_expires(const json_t *rec)
{
    return date_of(json_object_get(cookie_of(rec), "expires"));
}

apr_time_t sd_record_created(const json_t *rec)
{
    apr_time_t t = meta_time(rec, "created");
    return t ? t : date_of(json_object_get(rec, SD_RECORD_LEGACY_CREATED_FIELD));
}

apr_time_t sd_record_lifetime(const json_t *rec, apr_time_t configured)
{
    const json_t *oma = json_object_get(cookie_of(rec), "originalMaxAge");
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

const char *sd_record_realm(const json_t *rec)
{
    return json_string_value(json_object_get(meta_of(rec), "realm"));
}

apr_time_t sd_record_saved(const json_t *rec)
{
    apr_time_t saved = meta_time(rec, "saved");
    apr_time_t expires = sd_record_expires(rec);
    apr_time_t oma = sd_record_lifetime(rec, APR_INT64_MAX);
    /* express-session slides expires on every save (and copies our member
     * unchanged), so its expires - originalMaxAge counts as a write too. */
    if (expires && oma && oma != APR_INT64_MAX && expires - oma > saved) {
        saved = expires - oma;
    }
    return saved;
}

apr_int64_t sd_record_generation(const json_t *rec)
{
    const json_t *gen = json_object_get(meta_of(rec), "gen");
    return json_is_integer(gen) && json_integer_value(gen) > 0 ? json_integer_value(gen) : 0;
}

const char *sd_record_login(const json_t *rec)
{
    return json_string_value(json_object_get(meta_of(rec), "login"));
}

int sd_record_ended(const json_t *rec)
{
    return json_is_true(json_object_get(meta_of(rec), "ended"));
}

/* Deadlines of 0 are unknown; the earliest known one wins. */
static apr_time_t earlier(apr_time_t a, apr_time_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

apr_time_t sd_record_deadline(const json_t *rec, apr_time_t max_age, apr_time_t absolute)
{
    apr_time_t saved = sd_record_saved(rec), created = sd_record_created(rec);
    apr_time_t deadline = sd_record_expires(rec);
    if (saved) {
        deadline = earlier(deadline, saved + max_age);
    }
    if (absolute && created) {
        deadline = earlier(deadline, created + absolute);
    }
    return deadline;
}

static int is_cookie_key(const char *key, size_t klen)
{
    return klen == 6 && memcmp(key, "cookie", 6) == 0;
}

int sd_record_same_fields(const json_t *a, const json_t *b)
{
    size_t na = json_object_size(a) - (cookie_of(a) != NULL);
    if (a == b) {
        return 1;
    }
    if (na != json_object_size(b) - (cookie_of(b) != NULL)) {
        return 0;
    }
    /* By length: a key may hold "\u0000". */
    for (void *it = json_object_iter((json_t *)a); it; it = json_object_iter_next((json_t *)a, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        if (!is_cookie_key(key, klen)
            && !json_equal(json_object_iter_value(it), json_object_getn(b, key, klen))) {
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

/* A new "cookie" object in express-session's member order; members of the
 * stored one (may be NULL) that the module does not set are kept. */
static json_t *make_cookie(const json_t *stored, const sd_record_cookie_attrs *a)
{
    const char *const *known = cookie_known;
    char when[SD_RECORD_ISO8601_LEN + 1];
    json_t *c = json_object();
    int ok = c != NULL;

    if (ok) {
        ok = json_object_set_new(c, "originalMaxAge",
                                 a->lifetime ? json_integer(apr_time_as_msec(a->lifetime))
                                             : json_null()) == 0;
    }
    for (int i = 1; ok && i <= 2; ++i) {
        json_t *v = json_object_get(stored, known[i]);
        ok = !v || json_object_set(c, known[i], v) == 0;
    }
    if (ok) {
        if (a->lifetime) {
            sd_record_iso8601_write(a->expires, when);
        }
        ok = json_object_set_new(c, "expires", a->lifetime ? json_string(when) : json_null()) == 0;
    }
    ok = ok && (!a->secure || json_object_set_new(c, "secure", json_true()) == 0);
    ok = ok && json_object_set_new(c, "httpOnly", json_boolean(a->http_only)) == 0;
    ok = ok && (!a->domain || json_object_set_new(c, "domain", json_string(a->domain)) == 0);
    ok = ok && json_object_set_new(c, "path", json_string(a->path)) == 0;
    ok = ok && (!a->same_site || json_object_set_new(c, "sameSite", json_string(a->same_site)) == 0);
    /* Members we do not know (a newer express-session's) are kept. */
    for (void *it = json_object_iter((json_t *)stored); ok && it;
         it = json_object_iter_next((json_t *)stored, it)) {
        const char *key = json_object_iter_key(it);
        int is_known = 0;
        for (int i = 0; known[i] && !is_known; ++i) {
            is_known = strcmp(key, known[i]) == 0;
        }
        if (!is_known) {
            ok = json_object_set(c, key, json_object_iter_value(it)) == 0;
        }
    }
    if (!ok) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* The module's member: {realm, gen, saved, created[, ended][, login]}. */
static json_t *make_meta(const sd_record_meta *m)
{
    json_t *meta = json_object();
    int ok = meta && json_object_set_new(meta, "realm", json_string(m->realm)) == 0
             && json_object_set_new(meta, "gen", json_integer(m->gen)) == 0
             && json_object_set_new(meta, "saved", json_integer(apr_time_as_msec(m->saved))) == 0
             && json_object_set_new(meta, "created",
                                    json_integer(apr_time_as_msec(m->created))) == 0
             && (!m->ended || json_object_set_new(meta, "ended", json_true()) == 0)
             && (!m->login || json_object_set_new(meta, "login", json_string(m->login)) == 0);
    if (!ok) {
        json_decref(meta);
        return NULL;
    }
    return meta;
}

char *sd_record_encode(apr_pool_t *p, const json_t *rec, const sd_record_cookie_attrs *attrs,
                       const sd_record_meta *meta, apr_size_t *len)
{
    static const char meta_key[] = SD_RECORD_META_FIELD;
    json_t *root = sd_json_track(p, json_object());
    json_t *cookie = attrs ? make_cookie(cookie_of(rec), attrs) : json_incref((json_t *)cookie_of(rec));
    json_t *m = meta ? make_meta(meta) : json_incref(json_object_get(rec, meta_key));
    int ok = (cookie || !attrs) && (m || !meta);

    /* jansson keeps insertion order, so "cookie" goes in first (after the
     * integer-like keys, which sd_json_dump lists first as JavaScript does)
     * and the module's member right after it (express-session keeps the
     * order it loaded). set_new takes the references, also on failure. */
    ok = (!cookie || json_object_set_new(root, "cookie", cookie) == 0) && ok;
    ok = (!m || json_object_set_new(root, meta_key, m) == 0) && ok;
    for (void *it = json_object_iter((json_t *)rec); ok && it;
         it = json_object_iter_next((json_t *)rec, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        if (!is_cookie_key(key, klen)
            && !(klen == sizeof(meta_key) - 1 && memcmp(key, meta_key, klen) == 0)) {
            ok = json_object_setn_nocheck(root, key, klen, json_object_iter_value(it)) == 0;
        }
    }
    return ok ? sd_json_dump(p, root, len) : NULL;
}

/* ------------------------------------------- ordering stored copies */

/* What the store's format compares of a raw stored value: zeros when it
 * does not decode or has no member of ours. */
typedef struct {
    apr_int64_t gen;
    apr_time_t saved, expires;
    int ended;
} raw_facts;

static raw_facts facts_of(const char *v, apr_size_t len)
{
    json_t *rec = decode(NULL, v, len, NULL);
    raw_facts f = { sd_record_generation(rec), meta_time(rec, "saved"), sd_record_expires(rec),
                    sd_record_ended(rec) };
    json_decref(rec);
    return f;
}

int sd_record_compare_raw(const char *a, apr_size_t alen, const char *b, apr_size_t blen)
{
    raw_facts fa = facts_of(a, alen), fb = facts_of(b, blen);
    /* A logout is final, whatever the generations: an ID is never used
     * again after it, so a live copy of a higher generation can only come
     * from a front-end that did not see the logout (a split view, or an old
     * cookie replayed there), and must not bring the session back. */
    if (fa.ended != fb.ended) {
        return fa.ended - fb.ended;
    }
    return fa.gen == fb.gen ? 0 : fa.gen > fb.gen ? 1 : -1;
}

int sd_record_tiebreak_raw(const char *a, apr_size_t alen, const char *b, apr_size_t blen)
{
    raw_facts fa = facts_of(a, alen), fb = facts_of(b, blen);
    int c;
    if (fa.saved != fb.saved) {
        return fa.saved > fb.saved ? 1 : -1;
    }
    c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* A tombstone copied by a repair or a replay outlives its session's end
 * by a day, as the tombstone itself does (session.c), so a live copy a
 * split front-end wrote after the logout cannot outlive it. */
#define SD_RECORD_TOMBSTONE_EXTRA 86400

apr_int64_t sd_record_ttl_raw(const char *v, apr_size_t len, apr_time_t now)
{
    raw_facts f = facts_of(v, len);
    /* A browser-session cookie: express-session's rule, a day. */
    apr_int64_t live = !f.expires ? 86400
                       : f.expires > now ? apr_time_sec(f.expires - now + APR_USEC_PER_SEC - 1) : 1;
    return live + (f.ended ? SD_RECORD_TOMBSTONE_EXTRA : 0);
}
