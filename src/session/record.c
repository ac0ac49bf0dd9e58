/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A stored session in express-session's shape: {"cookie":{...}, app
 * fields...}, "cookie" first, dates as JavaScript's Date#toISOString writes
 * them. Pure (no httpd), so it is unit-tested and fuzzed. */
#include "sd_record.h"
#include "sd_json.h"
#include "sd_json_scan.h"

#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

/* express-session deletes these on load because they would shadow methods
 * of its Session object; a peer must never see them come back. */
static const char *const reserved_members[] = {
    "id", "req", "touch", "resetMaxAge", "save", "reload", "destroy",
    "regenerate", NULL
};

static int is_reserved_member(const char *key)
{
    for (int i = 0; reserved_members[i]; ++i) {
        if (strcmp(key, reserved_members[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The same for a scanned key's text (never holding a NUL). */
static int is_reserved_key(const char *key, apr_size_t klen)
{
    for (int i = 0; reserved_members[i]; ++i) {
        if (klen == strlen(reserved_members[i]) && memcmp(key, reserved_members[i], klen) == 0) {
            return 1;
        }
    }
    return 0;
}

int sd_record_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                          sd_record *out, const char **err)
{
    json_t *root = sd_json_parse(p, buf, len, err);
    json_t *cookie, *data;

    if (!root) {
        return 0;
    }
    if (!json_is_object(root)) {
        *err = "stored session is not a JSON object";
        return 0;
    }
    cookie = json_object_get(root, "cookie");
    if (!json_is_object(cookie)) {
        *err = "stored session has no \"cookie\" object";
        return 0;
    }
    data = sd_json_track(p, json_object());
    if (!data) {
        *err = "out of memory";
        return 0;
    }
    for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        /* Compared with their length: a key may hold "\u0000". */
        if ((klen == 6 && memcmp(key, "cookie", 6) == 0)
            || (strlen(key) == klen && is_reserved_member(key))) {
            continue;
        }
        json_object_setn_nocheck(data, key, klen, json_object_iter_value(it));
    }
    memset(out, 0, sizeof(*out));
    out->cookie = cookie;
    out->data = data;
    return 1;
}

static int key_is(const char *key, apr_size_t klen, const char *word)
{
    return klen == strlen(word) && memcmp(key, word, klen) == 0;
}

/* A canonical integer's text (sd_json_scan checked it: at most 15 digits). */
static int text_int(const char *v, apr_size_t n, apr_int64_t *out)
{
    apr_int64_t x = 0;
    int neg = n && v[0] == '-';
    if (n == (apr_size_t)neg || v[neg] < '0' || v[neg] > '9') {
        return 0;
    }
    for (apr_size_t i = (apr_size_t)neg; i < n; ++i) {
        x = x * 10 + (v[i] - '0');
    }
    *out = neg ? -x : x;
    return 1;
}

/* A canonical string's value as a C string (cut at a "\u0000", as
 * json_string_value's readers see it), or NULL when v is no string. */
static const char *text_string(apr_pool_t *p, const char *v, apr_size_t n)
{
    apr_size_t len;
    const char *s;
    if (n < 2 || v[0] != '"' || !(s = sd_json_scan_unquote(p, v + 1, n - 2, &len))) {
        return NULL;
    }
    return apr_pstrmemdup(p, s, len);
}

static apr_time_t text_date(apr_pool_t *p, const char *v, apr_size_t n)
{
    const char *s = text_string(p, v, n);
    apr_time_t t;
    return s && sd_record_iso8601_parse(s, &t) == APR_SUCCESS ? t : 0;
}

/* The readers' view of the module's member, as meta_time & co. read it. */
static apr_time_t text_meta_time(const char *v, apr_size_t n)
{
    apr_int64_t ms;
    return text_int(v, n, &ms) && ms > 0 && ms < SD_RECORD_MAX_TIME_MS
           ? (apr_time_t)ms * 1000 : 0;
}

static int is_cookie_known_key(const char *key, apr_size_t klen);

/* The "cookie" member, text sd_json_scan_object accepted with the value. */
static void read_text_cookie(apr_pool_t *p, const sd_json_scan_member *c, sd_record_text *t)
{
    sd_json_scan_member m[SD_JSON_SCAN_MAX_MEMBERS];
    /* Checked with the whole value already: only split. */
    int n = sd_json_scan_members(c->value, c->value_len, m);
    t->cookie = c->value;
    t->cookie_len = c->value_len;
    t->cookie_plain = 1;
    for (int i = 0; i < n; ++i) {
        const char *v = m[i].value;
        apr_size_t vl = m[i].value_len;
        if (key_is(m[i].key, m[i].key_len, "expires")) {
            t->expires = text_date(p, v, vl);
        }
        else if (key_is(m[i].key, m[i].key_len, "originalMaxAge")) {
            apr_int64_t ms;
            t->max_age_null = vl == 4 && memcmp(v, "null", 4) == 0;
            if (text_int(v, vl, &ms)) {
                t->has_max_age = 1;
                t->max_age_ms = (double)ms;
            }
        }
        else if (key_is(m[i].key, m[i].key_len, "partitioned")) {
            t->partitioned = v;
            t->partitioned_len = vl;
        }
        else if (key_is(m[i].key, m[i].key_len, "priority")) {
            t->priority = v;
            t->priority_len = vl;
        }
        if (!is_cookie_known_key(m[i].key, m[i].key_len)) {
            t->cookie_plain = 0;
        }
    }
}

static void read_text_meta(apr_pool_t *p, const sd_json_scan_member *meta, sd_record_text *t)
{
    sd_json_scan_member m[SD_JSON_SCAN_MAX_MEMBERS];
    int n;
    if (meta->value[0] != '{') {
        return;   /* not an object: as if absent */
    }
    n = sd_json_scan_members(meta->value, meta->value_len, m);
    for (int i = 0; i < n; ++i) {
        const char *v = m[i].value;
        apr_size_t vl = m[i].value_len;
        apr_int64_t gen;
        if (key_is(m[i].key, m[i].key_len, "realm")) {
            t->realm = text_string(p, v, vl);
        }
        else if (key_is(m[i].key, m[i].key_len, "gen")) {
            t->gen = text_int(v, vl, &gen) && gen > 0 ? gen : 0;
        }
        else if (key_is(m[i].key, m[i].key_len, "saved")) {
            t->saved = text_meta_time(v, vl);
        }
        else if (key_is(m[i].key, m[i].key_len, "created")) {
            t->created = text_meta_time(v, vl);
        }
        else if (key_is(m[i].key, m[i].key_len, "ended")) {
            t->ended = vl == 4 && memcmp(v, "true", 4) == 0;
        }
        else if (key_is(m[i].key, m[i].key_len, "login")) {
            t->login = text_string(p, v, vl);
        }
    }
}

/* The in-place reading of sd_record_load. A scanned key's text is its
 * canonical encoding, so it equals a plain word exactly when the key does. */
static int load_scanned(apr_pool_t *p, const char *buf, apr_size_t len, sd_record *rec,
                        sd_fields **fields)
{
    sd_json_scan_member m[SD_JSON_SCAN_MAX_MEMBERS], keep[SD_JSON_SCAN_MAX_MEMBERS];
    const sd_json_scan_member *cookie = NULL;
    int n = sd_json_scan_object(buf, len, m), k = 0;
    sd_record_text *t = &rec->text;

    if (n < 0) {
        return 0;
    }
    memset(rec, 0, sizeof(*rec));
    for (int i = 0; i < n; ++i) {
        if (key_is(m[i].key, m[i].key_len, "cookie")) {
            cookie = &m[i];
            continue;
        }
        if (is_reserved_key(m[i].key, m[i].key_len)) {
            continue;
        }
        keep[k++] = m[i];
        /* What the readers of this unit look at, read now. */
        if (key_is(m[i].key, m[i].key_len, SD_RECORD_META_FIELD)) {
            read_text_meta(p, &m[i], t);
        }
        else if (key_is(m[i].key, m[i].key_len, SD_RECORD_LEGACY_CREATED_FIELD)) {
            t->legacy_created = text_date(p, m[i].value, m[i].value_len);
        }
    }
    if (!cookie || cookie->value[0] != '{') {
        return 0;   /* sd_record_decode says why */
    }
    read_text_cookie(p, cookie, t);
    t->set = 1;
    *fields = sd_fields_scanned(p, keep, k);
    return *fields != NULL;
}

int sd_record_load(apr_pool_t *p, const char *buf, apr_size_t len, sd_record *rec,
                   sd_fields **fields, const char **err)
{
    if (load_scanned(p, buf, len, rec, fields)) {
        return 1;
    }
    if (!sd_record_decode(p, buf, len, rec, err)) {
        return 0;
    }
    if (!(*fields = sd_fields_wrap(p, rec->data))) {
        *err = "out of memory";
        return 0;
    }
    return 1;
}

const json_t *sd_record_cookie_of(apr_pool_t *p, sd_record *rec)
{
    if (rec && !rec->cookie && rec->text.set) {
        rec->cookie = sd_json_track(p, sd_json_scan_build(p, rec->text.cookie,
                                                          rec->text.cookie_len));
    }
    return rec ? rec->cookie : NULL;
}

char *sd_record_encode(apr_pool_t *p, const json_t *cookie,
                            const json_t *data, apr_size_t *len)
{
    json_t *root = sd_json_track(p, json_object());

    if (!root) {
        return NULL;
    }
    /* jansson keeps insertion order, so "cookie" goes in first (after the
     * integer-like keys, which sd_json_dump lists first as JavaScript does),
     * and the module's member right after it, where a replica's generation
     * is found without decoding the whole value (express-session keeps the
     * order it loaded). */
    json_t *meta = json_object_get(data, SD_RECORD_META_FIELD);
    json_object_set(root, "cookie", (json_t *)cookie);
    if (meta) {
        json_object_set(root, SD_RECORD_META_FIELD, meta);
    }
    for (void *it = json_object_iter((json_t *)data); it;
         it = json_object_iter_next((json_t *)data, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        if (!(klen == 6 && memcmp(key, "cookie", 6) == 0)
            && !(klen == sizeof(SD_RECORD_META_FIELD) - 1
                 && memcmp(key, SD_RECORD_META_FIELD, klen) == 0)) {
            json_object_setn_nocheck(root, key, klen, json_object_iter_value(it));
        }
    }
    return sd_json_dump(p, root, len);
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

apr_time_t sd_record_expires(const sd_record *rec)
{
    if (rec->text.set) {
        return rec->text.expires;
    }
    const json_t *v = json_object_get(rec->cookie, "expires");
    apr_time_t t;
    return json_is_string(v) && sd_record_iso8601_parse(json_string_value(v), &t) == APR_SUCCESS
           ? t : 0;
}

static json_t *meta_of(const sd_record *rec);

/* A time in ms since the epoch in the module's member, or 0. */
static apr_time_t meta_time(const sd_record *rec, const char *name)
{
    const json_t *v = json_object_get(meta_of(rec), name);
    return json_is_integer(v) && json_integer_value(v) > 0
           && json_integer_value(v) < SD_RECORD_MAX_TIME_MS
           ? (apr_time_t)json_integer_value(v) * 1000 : 0;
}

apr_time_t sd_record_created(const sd_record *rec)
{
    if (rec->text.set) {
        return rec->text.created ? rec->text.created : rec->text.legacy_created;
    }
    const json_t *legacy = json_object_get(rec->data, SD_RECORD_LEGACY_CREATED_FIELD);
    apr_time_t t = meta_time(rec, "created");
    if (!t && json_is_string(legacy)
        && sd_record_iso8601_parse(json_string_value(legacy), &t) != APR_SUCCESS) {
        t = 0;
    }
    return t;
}

apr_time_t sd_record_lifetime(const sd_record *rec, apr_time_t configured)
{
    const json_t *oma = rec->text.set ? NULL : json_object_get(rec->cookie, "originalMaxAge");
    if (rec->text.set ? rec->text.max_age_null : json_is_null(oma)) {
        return 0;
    }
    if (rec->text.set ? rec->text.has_max_age : json_is_number(oma)) {
        double ms = rec->text.set ? rec->text.max_age_ms : json_number_value(oma);
        if (ms >= 1000.0 && ms <= (double)SD_RECORD_MAX_LIFETIME_MS
            && (apr_time_t)ms * 1000 < configured) {
            return (apr_time_t)ms * 1000;
        }
    }
    return configured;
}

/* ------------------------------------------------ the module's member */

static json_t *meta_of(const sd_record *rec)
{
    json_t *m = json_object_get(rec->data, SD_RECORD_META_FIELD);
    return json_is_object(m) ? m : NULL;
}

const char *sd_record_realm(const sd_record *rec)
{
    if (rec->text.set) {
        return rec->text.realm;
    }
    const json_t *realm = json_object_get(meta_of(rec), "realm");
    return json_is_string(realm) ? json_string_value(realm) : NULL;
}

apr_time_t sd_record_saved(const sd_record *rec)
{
    apr_time_t saved = rec->text.set ? rec->text.saved : meta_time(rec, "saved");
    apr_time_t expires = sd_record_expires(rec);
    apr_time_t oma = sd_record_lifetime(rec, APR_INT64_MAX);
    /* express-session slides expires on every save (and copies our member
     * unchanged), so its expires - originalMaxAge counts as a write too. */
    if (expires && oma && oma != APR_INT64_MAX && expires - oma > saved) {
        saved = expires - oma;
    }
    return saved;
}

int sd_record_set_meta(sd_record *rec, const sd_record_meta *m)
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
        return 0;
    }
    return json_object_set_new(rec->data, SD_RECORD_META_FIELD, meta) == 0;
}

apr_int64_t sd_record_generation(const sd_record *rec)
{
    if (rec->text.set) {
        return rec->text.gen;
    }
    const json_t *gen = json_object_get(meta_of(rec), "gen");
    return json_is_integer(gen) && json_integer_value(gen) > 0 ? json_integer_value(gen) : 0;
}

const char *sd_record_login(const sd_record *rec)
{
    if (rec->text.set) {
        return rec->text.login;
    }
    const json_t *login = json_object_get(meta_of(rec), "login");
    return json_is_string(login) ? json_string_value(login) : NULL;
}

int sd_record_ended(const sd_record *rec)
{
    if (rec->text.set) {
        return rec->text.ended;
    }
    return json_is_true(json_object_get(meta_of(rec), "ended"));
}

/* Deadlines of 0 are unknown; the earliest known one wins. */
static apr_time_t earlier(apr_time_t a, apr_time_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

apr_time_t sd_record_deadline(const sd_record *rec, apr_time_t max_age, apr_time_t absolute)
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

/* --------------------------------------------------- the cookie object */

/* express-session's Cookie#toJSON order; partitioned and priority are
 * the stored values (the module does not set them). */
static const char *const cookie_known[] = {
    "originalMaxAge", "partitioned", "priority", "expires", "secure", "httpOnly",
    "domain", "path", "sameSite", NULL
};

json_t *sd_record_cookie(const json_t *stored, const sd_record_cookie_attrs *a)
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

/* ---------------------------------------------- splicing the record */

static apr_size_t put(char *out, const char *s, apr_size_t n)
{
    memcpy(out, s, n);
    return n;
}

/* "%lld", as sd_json_dump writes a jansson integer. */
static apr_size_t put_int(char *out, apr_int64_t v)
{
    char digits[24];
    apr_size_t n = 0, o = 0;
    apr_uint64_t u = v < 0 ? 0 - (apr_uint64_t)v : (apr_uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        out[o++] = '-';
    }
    while (n) {
        out[o++] = digits[--n];
    }
    return o;
}

/* sd_json_dump of the member sd_record_set_meta builds. */
static char *meta_text(apr_pool_t *p, const sd_record_meta *m, apr_size_t *len)
{
    apr_size_t rlen, llen = 0, o = 0;
    char *out;
    if (!m->realm || !sd_json_scan_utf8(m->realm, rlen = strlen(m->realm))
        || (m->login && !sd_json_scan_utf8(m->login, llen = strlen(m->login)))) {
        return NULL;   /* json_string would refuse it too */
    }
    out = apr_palloc(p, 6 * (rlen + llen) + 144);
    o += put(out + o, "{\"realm\":", 9);
    o += sd_json_scan_quote(out + o, m->realm, rlen);
    o += put(out + o, ",\"gen\":", 7);
    o += put_int(out + o, m->gen);
    o += put(out + o, ",\"saved\":", 9);
    o += put_int(out + o, apr_time_as_msec(m->saved));
    o += put(out + o, ",\"created\":", 11);
    o += put_int(out + o, apr_time_as_msec(m->created));
    if (m->ended) {
        o += put(out + o, ",\"ended\":true", 13);
    }
    if (m->login) {
        o += put(out + o, ",\"login\":", 9);
        o += sd_json_scan_quote(out + o, m->login, llen);
    }
    out[o++] = '}';
    *len = o;
    return out;
}


static int is_cookie_known(const char *key)
{
    for (int i = 0; cookie_known[i]; ++i) {
        if (strcmp(key, cookie_known[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The same for a scanned key's text (never holding a NUL). */
static int is_cookie_known_key(const char *key, apr_size_t klen)
{
    for (int i = 0; cookie_known[i]; ++i) {
        if (key_is(key, klen, cookie_known[i])) {
            return 1;
        }
    }
    return 0;
}

static apr_size_t put_member_string(char *out, const char *name, const char *v)
{
    apr_size_t o = put(out, name, strlen(name));
    return o + sd_json_scan_quote(out + o, v, strlen(v));
}

/* sd_json_dump of sd_record_cookie(stored, a), written directly; NULL when
 * the stored cookie has members the module does not set (left to the
 * object way, which orders them as sd_json_dump does) or a setting is not
 * UTF-8 (json_string would refuse it: the object way fails). */
static char *cookie_text(apr_pool_t *p, const sd_record *rec, const sd_record_cookie_attrs *a,
                         apr_size_t *len)
{
    const json_t *stored = rec ? rec->cookie : NULL;
    const char *extra[2] = { NULL, NULL };
    apr_size_t extra_len[2] = { 0, 0 }, room = 160, o = 0;
    const char *strs[3] = { a->domain, a->path, a->same_site };
    char *out;

    if (rec && rec->text.set) {
        /* Canonical text: what sd_json_dump would write for those members. */
        if (!rec->text.cookie_plain) {
            return NULL;
        }
        extra[0] = rec->text.partitioned;
        extra_len[0] = rec->text.partitioned_len;
        extra[1] = rec->text.priority;
        extra_len[1] = rec->text.priority_len;
    }
    else {
        for (void *it = json_object_iter((json_t *)stored); it;
             it = json_object_iter_next((json_t *)stored, it)) {
            if (!is_cookie_known(json_object_iter_key(it))) {
                return NULL;
            }
        }
        for (int i = 0; i < 2; ++i) {
            const json_t *v = json_object_get(stored, cookie_known[i + 1]);
            if (v && !(extra[i] = sd_json_dump(p, v, &extra_len[i]))) {
                return NULL;
            }
        }
    }
    for (int i = 0; i < 2; ++i) {
        room += extra_len[i] + 16;
    }
    for (int i = 0; i < 3; ++i) {
        if (strs[i] && !sd_json_scan_utf8(strs[i], strlen(strs[i]))) {
            return NULL;
        }
        room += strs[i] ? 6 * strlen(strs[i]) + 16 : 0;
    }
    if (!a->path) {
        return NULL;
    }
    out = apr_palloc(p, room);
    o += put(out + o, "{\"originalMaxAge\":", 18);
    o += a->lifetime ? put_int(out + o, apr_time_as_msec(a->lifetime)) : put(out + o, "null", 4);
    if (extra[0]) {
        o += put(out + o, ",\"partitioned\":", 15);
        o += put(out + o, extra[0], extra_len[0]);
    }
    if (extra[1]) {
        o += put(out + o, ",\"priority\":", 12);
        o += put(out + o, extra[1], extra_len[1]);
    }
    o += put(out + o, ",\"expires\":", 11);
    if (a->lifetime) {
        char when[SD_RECORD_ISO8601_LEN + 1];
        sd_record_iso8601_write(a->expires, when);
        out[o++] = '"';
        o += put(out + o, when, SD_RECORD_ISO8601_LEN);
        out[o++] = '"';
    }
    else {
        o += put(out + o, "null", 4);
    }
    if (a->secure) {
        o += put(out + o, ",\"secure\":true", 14);
    }
    o += a->http_only ? put(out + o, ",\"httpOnly\":true", 16) : put(out + o, ",\"httpOnly\":false", 17);
    if (a->domain) {
        o += put_member_string(out + o, ",\"domain\":", a->domain);
    }
    o += put_member_string(out + o, ",\"path\":", a->path);
    if (a->same_site) {
        o += put_member_string(out + o, ",\"sameSite\":", a->same_site);
    }
    out[o++] = '}';
    *len = o;
    return out;
}

char *sd_record_encode_fields(apr_pool_t *p, sd_record *stored,
                              const sd_record_cookie_attrs *attrs, const sd_record_meta *meta,
                              sd_fields *fields, apr_size_t *len)
{
    static const char open_cookie[] = "{\"cookie\":";
    static const char open_meta[] = ",\"" SD_RECORD_META_FIELD "\":";
    apr_size_t flen = 0, clen, mlen, o = 0;
    /* A field named "cookie" is dropped by sd_record_encode; the object
     * way does that. */
    char *members = sd_fields_get(fields, "cookie") ? NULL
                    : sd_fields_members(fields, SD_RECORD_META_FIELD, &flen);
    char *c = members ? cookie_text(p, stored, attrs, &clen) : NULL, *m, *out;

    if (!c) {
        const json_t *stored_cookie = sd_record_cookie_of(p, stored);
        sd_record rec = { sd_json_track(p, sd_record_cookie(stored_cookie, attrs)), NULL, { 0 } };
        if (stored && stored->text.set && !stored_cookie) {
            return NULL;
        }
        if ((!members && flen) || !rec.cookie || !(rec.data = sd_fields_object(fields))
            || !sd_record_set_meta(&rec, meta)) {
            return NULL;
        }
        return sd_record_encode(p, rec.cookie, rec.data, len);
    }
    if (!(m = meta_text(p, meta, &mlen))) {
        return NULL;
    }
    out = apr_palloc(p, sizeof(open_cookie) + clen + sizeof(open_meta) + mlen + flen + 2);
    o += put(out + o, open_cookie, sizeof(open_cookie) - 1);
    o += put(out + o, c, clen);
    o += put(out + o, open_meta, sizeof(open_meta) - 1);
    o += put(out + o, m, mlen);
    o += put(out + o, members, flen);
    out[o++] = '}';
    out[o] = '\0';
    if (len) {
        *len = o;
    }
    return out;
}

/* express-session writes "cookie" first and the module its member right
 * after it, so both sit near the start of a stored value: only that much is
 * searched, and only the member itself is decoded. */
#define SD_RECORD_HEAD 2048

static const char *find_in_head(const char *v, apr_size_t len, const char *field,
                                apr_size_t flen)
{
    apr_size_t limit = len < SD_RECORD_HEAD ? len : SD_RECORD_HEAD;
    for (apr_size_t i = 0; i + flen <= limit; ++i) {
        if (memcmp(v + i, field, flen) == 0) {
            return v + i + flen;
        }
    }
    return NULL;
}

/* (generation, ended, saved) of a raw stored value; zeros without our
 * member. */
static void raw_generation(const char *v, apr_size_t len, apr_int64_t *gen, int *ended,
                           apr_int64_t *saved)
{
    static const char field[] = "\"" SD_RECORD_META_FIELD "\":";
    const char *at = find_in_head(v, len, field, sizeof(field) - 1);
    json_t *meta, *g, *t;
    *gen = 0;
    *ended = 0;
    *saved = 0;
    if (!at) {
        return;
    }
    meta = json_loadb(at, len - (apr_size_t)(at - v), JSON_DISABLE_EOF_CHECK, NULL);
    g = json_object_get(meta, "gen");
    if (json_is_integer(g) && json_integer_value(g) > 0) {
        *gen = json_integer_value(g);
    }
    *ended = json_is_true(json_object_get(meta, "ended"));
    t = json_object_get(meta, "saved");
    if (json_is_integer(t)) {
        *saved = json_integer_value(t);
    }
    json_decref(meta);
}

int sd_record_compare_raw(const char *a, apr_size_t alen, const char *b, apr_size_t blen)
{
    apr_int64_t ga, gb, sa, sb;
    int ea, eb;
    raw_generation(a, alen, &ga, &ea, &sa);
    raw_generation(b, blen, &gb, &eb, &sb);
    /* A logout is final, whatever the generations: an ID is never used
     * again after it, so a live copy of a higher generation can only come
     * from a front-end that did not see the logout (a split view, or an old
     * cookie replayed there), and must not bring the session back. */
    if (ea != eb) {
        return ea - eb;
    }
    if (ga != gb) {
        return ga > gb ? 1 : -1;
    }
    return 0;
}

int sd_record_tiebreak_raw(const char *a, apr_size_t alen, const char *b, apr_size_t blen)
{
    apr_int64_t ga, gb, sa, sb;
    int ea, eb, c;
    raw_generation(a, alen, &ga, &ea, &sa);
    raw_generation(b, blen, &gb, &eb, &sb);
    if (sa != sb) {
        return sa > sb ? 1 : -1;
    }
    c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* A tombstone copied by a repair or a replay outlives its session's end
 * by a day, as the tombstone itself does (session.c), so a live copy a
 * split front-end wrote after the logout cannot outlive it. */
#define SD_RECORD_TOMBSTONE_EXTRA 86400

static apr_int64_t live_ttl_raw(const char *v, apr_size_t len, apr_time_t now);

apr_int64_t sd_record_ttl_raw(const char *v, apr_size_t len, apr_time_t now)
{
    apr_int64_t gen, saved;
    int ended;
    raw_generation(v, len, &gen, &ended, &saved);
    return live_ttl_raw(v, len, now) + (ended ? SD_RECORD_TOMBSTONE_EXTRA : 0);
}

static apr_int64_t live_ttl_raw(const char *v, apr_size_t len, apr_time_t now)
{
    static const char field[] = "\"expires\":\"";
    const char *at = find_in_head(v, len, field, sizeof(field) - 1);
    char iso[SD_RECORD_ISO8601_LEN + 1];
    apr_time_t expires;
    if (at && (apr_size_t)(at - v) + SD_RECORD_ISO8601_LEN <= len) {
        memcpy(iso, at, SD_RECORD_ISO8601_LEN);
        iso[SD_RECORD_ISO8601_LEN] = '\0';
        if (sd_record_iso8601_parse(iso, &expires) == APR_SUCCESS && expires > now) {
            return apr_time_sec(expires - now + APR_USEC_PER_SEC - 1);
        }
        if (sd_record_iso8601_parse(iso, &expires) == APR_SUCCESS) {
            return 1;
        }
    }
    /* A browser-session cookie: express-session's rule, a day. */
    return 86400;
}
