/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the stored-session record: express-session's shape and
 * order, hostile values, dates. */
#include "sd_json.h"
#include "sd_record.h"
#include "tap.h"

#include <apr_general.h>
#include <stdlib.h>

/* jansson's allocations, made to fail after a budget: every function that
 * builds JSON must then return its failure, never crash. */
static long alloc_budget = -1;
static void *budget_malloc(size_t n)
{
    if (alloc_budget == 0) {
        return NULL;
    }
    if (alloc_budget > 0) {
        --alloc_budget;
    }
    return malloc(n);
}

/* Runs the record writers with every budget up to `most`; 1 when none
 * crashed and each either succeeded or said it failed. */
static int writers_survive_oom(apr_pool_t *pool, int most, int *failures)
{
    sd_record_cookie_attrs a = { apr_time_from_sec(60), apr_time_from_sec(1795857861), 1, 1,
                                 NULL, "/", "lax" };
    for (int budget = 0; budget <= most; ++budget) {
        apr_pool_t *p;
        json_t *data, *cookie;
        sd_record rec = { 0 };
        apr_pool_create(&p, pool);
        alloc_budget = budget;
        data = sd_json_track(p, json_object());
        cookie = sd_json_track(p, sd_record_cookie(NULL, &a));
        rec.cookie = cookie;
        rec.data = data;
        sd_record_meta meta = { "realm", 1, 1, 1, 0, NULL };
        if (!data || !cookie || !sd_record_set_meta(&rec, &meta)
            || !sd_record_encode(p, cookie, data, NULL)) {
            ++*failures;
        }
        alloc_budget = -1;
        apr_pool_destroy(p);
    }
    return 1;
}

/* sd_record_load + sd_record_encode_fields against sd_record_decode +
 * sd_record_set_meta + sd_record_encode, with one field changed: the same
 * bytes; *in_place says whether the value was read in place. */
static int splice_agrees(apr_pool_t *p, const char *stored, int *in_place)
{
    sd_record a, b;
    sd_fields *f = NULL;
    const char *err = NULL;
    sd_record_meta meta = { "realm", 7, apr_time_from_sec(1795857861), apr_time_from_sec(1795000000), 0,
                            SD_RECORD_LOGIN_PASSWORD };
    apr_size_t la = 0, lb = 0, ml = 0;
    char *x, *y;

    if (!sd_record_load(p, stored, strlen(stored), &a, &f, &err)
        || !sd_record_decode(p, stored, strlen(stored), &b, &err)) {
        return 0;
    }
    *in_place = sd_fields_members(f, NULL, &ml) != NULL;
    /* What the readers see, before sd_record_set_meta changes b. */
    if (sd_record_generation(&a) != sd_record_generation(&b)
        || sd_record_created(&a) != sd_record_created(&b)
        || sd_record_expires(&a) != sd_record_expires(&b)
        || sd_record_saved(&a) != sd_record_saved(&b)
        || (sd_record_realm(&a) ? !sd_record_realm(&b) || strcmp(sd_record_realm(&a), sd_record_realm(&b))
                                : sd_record_realm(&b) != NULL)
        || (sd_record_login(&a) ? !sd_record_login(&b) || strcmp(sd_record_login(&a), sd_record_login(&b))
                                : sd_record_login(&b) != NULL)) {
        printf("#   the readers disagree\n");
        return 0;
    }
    sd_fields_set_new(f, "visitCount", json_integer(42));
    json_object_set_new(b.data, "visitCount", json_integer(42));
    /* The cookie's settings: the usual ones, then every optional one set
     * and a browser-session cookie. */
    static const sd_record_cookie_attrs attrs[] = {
        { 86400000000LL, 1795857861033000LL, 0, 1, NULL, "/", "lax" },
        { 60000000LL, 1795857861000000LL, 1, 0, "ex\"ample.org", "/a\\b", "none" },
        { 0, 0, 0, 1, NULL, "/", NULL },
    };
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); ++i) {
        sd_record c = { sd_json_track(p, sd_record_cookie(b.cookie, &attrs[i])),
                        sd_json_track(p, json_deep_copy(b.data)), { 0 } };
        x = sd_record_encode_fields(p, &a, &attrs[i], &meta, f, &la);
        y = c.cookie && c.data && sd_record_set_meta(&c, &meta)
            ? sd_record_encode(p, c.cookie, c.data, &lb) : NULL;
        if (!x || !y || la != lb || memcmp(x, y, la) != 0) {
            printf("#   spliced: %s\n#    object: %s\n", x ? x : "(null)", y ? y : "(null)");
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    apr_pool_t *p;
    sd_record rec;
    const char *err = NULL;
    apr_size_t len = 0;
    char *out;
    apr_time_t t;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(49 + 13 + 5);
    /* A real value captured from express-session + connect-memcached. */
    const char *stored =
        "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\","
        "\"httpOnly\":true,\"path\":\"/\"},\"isLoggedIn\":true,\"username\":\"alice\","
        "\"loginTime\":\"2026-01-15T12:00:00.000Z\",\"visitCount\":3,\"cart\":[\"apple\"]}";
    TAP_OK(sd_record_decode(p, stored, strlen(stored), &rec, &err),
           "express-session record decodes");
    TAP_OK(json_is_object(rec.cookie), "cookie member is an object");
    TAP_OK(json_object_get(rec.data, "cookie") == NULL, "data does not carry cookie");
    TAP_OK(json_integer_value(json_object_get(rec.data, "visitCount")) == 3,
           "visitCount read");
    out = sd_record_encode(p, rec.cookie, rec.data, &len);
    TAP_IS_STR(out, stored, "re-encoding is byte-identical (cookie first, order kept)");
    TAP_OK(len == strlen(stored), "encoded length reported");

    /* Fields unknown to us survive a round trip untouched. */
    const char *extra = "{\"cookie\":{\"path\":\"/\"},\"zeta\":{\"a\":[1,2]},\"alpha\":null}";
    TAP_OK(sd_record_decode(p, extra, strlen(extra), &rec, &err), "unknown fields decode");
    TAP_IS_STR(sd_record_encode(p, rec.cookie, rec.data, NULL), extra,
               "unknown fields re-encoded in place");

    /* cookie goes first even when it is stored last. */
    const char *late = "{\"a\":1,\"cookie\":{\"path\":\"/\"}}";
    TAP_OK(sd_record_decode(p, late, strlen(late), &rec, &err), "cookie-last record decodes");
    TAP_IS_STR(sd_record_encode(p, rec.cookie, rec.data, NULL),
               "{\"cookie\":{\"path\":\"/\"},\"a\":1}", "cookie is moved first");

    /* Reserved names are dropped as express-session does. */
    const char *reserved = "{\"cookie\":{},\"id\":\"x\",\"save\":1,\"req\":2,\"ok\":true}";
    TAP_OK(sd_record_decode(p, reserved, strlen(reserved), &rec, &err), "reserved record decodes");
    TAP_IS_STR(sd_json_dump(p, rec.data, NULL), "{\"ok\":true}", "reserved members dropped");

    /* Hostile or foreign values are refused with a reason. */
    static const char *const bad[] = {
        "", "not json", "[1,2]", "\"str\"", "{\"a\":1}", "{\"cookie\":5}",
        "{\"cookie\":{}", "{\"cookie\":{}} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        err = NULL;
        TAP_OK(!sd_record_decode(p, bad[i], strlen(bad[i]), &rec, &err) && err,
               "rejected: '%s' (%s)", bad[i], err ? err : "no reason");
    }

    /* A stored session through decode + encode, as the module writes it back. */
    const char *peer = "{\"7\":\"x\",\"cookie\":{\"path\":\"/\"},\"r\":0.1,\"big\":1e+21}";
    TAP_OK(sd_record_decode(p, peer, strlen(peer), &rec, &err), "peer record with odd members decodes");
    TAP_IS_STR(sd_record_encode(p, rec.cookie, rec.data, NULL), peer,
               "integer key before cookie and reals survive");
    TAP_OK(json_is_integer(json_object_get(rec.data, "7")) == 0
           && json_is_real(json_object_get(rec.data, "r")), "0.1 stays a real");
    {
        const char *counted = "{\"cookie\":{},\"visitCount\":3,\"n\":1e2}";
        TAP_OK(sd_record_decode(p, counted, strlen(counted), &rec, &err)
               && json_is_integer(json_object_get(rec.data, "visitCount"))
               && json_integer_value(json_object_get(rec.data, "visitCount")) == 3
               && json_is_integer(json_object_get(rec.data, "n")),
               "integral numbers are integers again (visitCount, 1e2)");
    }
    /* Regression (fuzz_json, UBSan): a stored number outside the range of
     * json_int_t was cast to it before the range test. */
    {
        const char *huge = "{\"cookie\":{\"originalMaxAge\":1e300},\"n\":-1e308}";
        TAP_OK(sd_record_decode(p, huge, strlen(huge), &rec, &err)
               && json_is_real(json_object_get(rec.cookie, "originalMaxAge"))
               && json_is_real(json_object_get(rec.data, "n")),
               "numbers beyond 2^63 stay reals");
        TAP_IS_STR(sd_record_encode(p, rec.cookie, rec.data, NULL),
                   "{\"cookie\":{\"originalMaxAge\":1e+300},\"n\":-1e+308}",
                   "and are written as JavaScript writes them");
    }
    /* Dates. */
    TAP_IS_STR(sd_record_iso8601_format(p, apr_time_from_sec(1795857861) + 903000),
               "2026-11-28T09:24:21.903Z", "ISO format with milliseconds");
    TAP_OK(sd_record_iso8601_parse("2026-11-28T09:24:21.903Z", &t) == APR_SUCCESS
           && t == apr_time_from_sec(1795857861) + 903000, "ISO parse round trip");
    TAP_OK(sd_record_iso8601_parse("2026-11-28T09:24:21Z", &t) == APR_SUCCESS
           && t == apr_time_from_sec(1795857861), "ISO parse without milliseconds");
    TAP_OK(sd_record_iso8601_parse("2026-11-28 09:24:21Z", &t) == APR_EINVAL, "ISO parse rejects a space");
    TAP_OK(sd_record_iso8601_parse("2026-13-28T09:24:21Z", &t) == APR_EINVAL, "ISO parse rejects month 13");
    TAP_OK(sd_record_iso8601_parse(NULL, &t) == APR_EINVAL, "ISO parse rejects NULL");
    /* Regression (fuzz_json): a leap second on the last day of 9999 parsed
     * to an instant that formats as year 10000 and does not parse back. */
    TAP_OK(sd_record_iso8601_parse("9999-12-31T23:59:60.999Z", &t) == APR_EINVAL,
           "ISO parse rejects a leap second (as Date.parse does)");
    TAP_OK(sd_record_iso8601_parse("9999-12-31T23:59:59.999Z", &t) == APR_SUCCESS
           && strcmp(sd_record_iso8601_format(p, t), "9999-12-31T23:59:59.999Z") == 0,
           "ISO round trip at the end of year 9999");

    /* --- the current configuration's limits ----------------------------- */
    {
        const char *stored =
            "{\"cookie\":{\"originalMaxAge\":3600000,\"expires\":\"2026-11-28T10:00:00.000Z\","
            "\"httpOnly\":true,\"path\":\"/\"},\"sessiondemo\":{\"realm\":\"shop\","
            "\"saved\":1795856400000,\"created\":1795850000000},\"isLoggedIn\":true}";
        apr_time_t saved = apr_time_from_sec(1795856400), created = apr_time_from_sec(1795850000);
        TAP_OK(sd_record_decode(p, stored, strlen(stored), &rec, &err), "a record with our member decodes");
        TAP_IS_STR(sd_record_realm(&rec), "shop", "its realm is read");
        TAP_OK(sd_record_saved(&rec) == saved && sd_record_created(&rec) == created,
               "its last write and creation are read");
        TAP_OK(sd_record_deadline(&rec, apr_time_from_sec(86400), 0) == sd_record_expires(&rec),
               "under a longer MaxAge the stored expiry decides");
        TAP_OK(sd_record_deadline(&rec, apr_time_from_sec(2), 0) == saved + apr_time_from_sec(2),
               "under MaxAge 2 the session ends 2 s after its last write");
        TAP_OK(sd_record_deadline(&rec, apr_time_from_sec(86400), apr_time_from_sec(60))
               == created + apr_time_from_sec(60), "an absolute limit counts from creation");
        TAP_OK(sd_record_lifetime(&rec, apr_time_from_sec(86400)) == apr_time_from_sec(3600)
               && sd_record_lifetime(&rec, apr_time_from_sec(2)) == apr_time_from_sec(2),
               "the lifetime is the stored one, never longer than the configured one");
    }
    {
        /* express-session's own record: no member, no realm. */
        const char *express =
            "{\"cookie\":{\"originalMaxAge\":60000,\"expires\":\"2026-11-28T10:00:00.000Z\","
            "\"httpOnly\":true,\"path\":\"/\"},\"n\":1}";
        const char *browser = "{\"cookie\":{\"originalMaxAge\":null,\"expires\":null,\"path\":\"/\"}}";
        TAP_OK(sd_record_decode(p, express, strlen(express), &rec, &err)
               && sd_record_realm(&rec) == NULL, "express-session's record has no realm");
        TAP_OK(sd_record_saved(&rec) == sd_record_expires(&rec) - apr_time_from_sec(60),
               "... its last write is its expiry less its lifetime");
        TAP_OK(sd_record_decode(p, browser, strlen(browser), &rec, &err)
               && sd_record_lifetime(&rec, apr_time_from_sec(60)) == 0
               && sd_record_deadline(&rec, apr_time_from_sec(60), 0) == 0,
               "a browser-session cookie has no lifetime and, never written by us, no known end");
    }
    {
        /* express-session's field order; members it has that we do not set
         * are kept, unknown ones go last. */
        const char *c = "{\"unknown\":1,\"priority\":\"high\",\"path\":\"/old\",\"secure\":true,"
                        "\"partitioned\":true}";
        json_t *stored = sd_json_parse(p, c, strlen(c), &err), *made;
        sd_record_cookie_attrs a = { apr_time_from_sec(2), apr_time_from_sec(1795857861), 0, 0,
                                     "example.org", "/", "strict" };
        made = sd_json_track(p, sd_record_cookie(stored, &a));
        TAP_IS_STR(made ? sd_json_dump(p, made, NULL) : NULL,
                   "{\"originalMaxAge\":2000,\"partitioned\":true,\"priority\":\"high\","
                   "\"expires\":\"2026-11-28T09:24:21.000Z\",\"httpOnly\":false,"
                   "\"domain\":\"example.org\",\"path\":\"/\",\"sameSite\":\"strict\",\"unknown\":1}",
                   "the cookie object: the current settings in express-session's order");
        a.lifetime = 0;
        made = sd_json_track(p, sd_record_cookie(NULL, &a));
        TAP_OK(made && json_is_null(json_object_get(made, "expires"))
               && json_is_null(json_object_get(made, "originalMaxAge")),
               "a browser-session cookie keeps expires and originalMaxAge null");
    }
    {
        json_t *data = sd_json_track(p, json_object());
        sd_record mine = { NULL, data, { 0 } };
        sd_record_meta meta = { "r", 7, apr_time_from_sec(2), apr_time_from_sec(1), 1, NULL };
        TAP_OK(sd_record_set_meta(&mine, &meta), "our member is set");
        TAP_IS_STR(sd_json_dump(p, data, NULL),
                   "{\"sessiondemo\":{\"realm\":\"r\",\"gen\":7,\"saved\":2000,\"created\":1000,"
                   "\"ended\":true}}", "... as {realm, gen, saved, created, ended}");
    }
    {
        /* How the login was verified: written by both writers, read by
         * both readers; absent from older records. */
        json_t *data = sd_json_track(p, json_object());
        sd_record mine = { NULL, data, { 0 } }, back, scanned;
        sd_fields *f = NULL;
        sd_record_meta meta = { "r", 3, apr_time_from_sec(2), apr_time_from_sec(1), 0,
                                SD_RECORD_LOGIN_DEMO };
        const char *old = "{\"cookie\":{},\"sessiondemo\":{\"realm\":\"r\",\"gen\":2},"
                          "\"isLoggedIn\":true}";
        const char *with = "{\"cookie\":{},\"sessiondemo\":{\"realm\":\"r\",\"gen\":2,"
                           "\"login\":\"password\"},\"isLoggedIn\":true}";
        TAP_OK(sd_record_set_meta(&mine, &meta), "a member with login is set");
        TAP_IS_STR(sd_json_dump(p, data, NULL),
                   "{\"sessiondemo\":{\"realm\":\"r\",\"gen\":3,\"saved\":2000,\"created\":1000,"
                   "\"login\":\"demo\"}}", "... as {realm, gen, saved, created, login}");
        TAP_OK(sd_record_decode(p, with, strlen(with), &back, &err)
               && sd_record_login(&back) && strcmp(sd_record_login(&back), "password") == 0,
               "the object reader reads login");
        TAP_OK(sd_record_load(p, with, strlen(with), &scanned, &f, &err) && scanned.text.set
               && sd_record_login(&scanned) && strcmp(sd_record_login(&scanned), "password") == 0,
               "the in-place reader reads login");
        TAP_OK(sd_record_load(p, old, strlen(old), &scanned, &f, &err) && !sd_record_login(&scanned)
               && sd_record_decode(p, old, strlen(old), &back, &err) && !sd_record_login(&back),
               "a record of an older version has no login, for both readers");
    }

    {
        int failures = 0;
        json_set_alloc_funcs(budget_malloc, free);
        TAP_OK(writers_survive_oom(p, 40, &failures) && failures > 0,
               "out of memory at each of 40 allocations: the record writers fail cleanly (%d failures)",
               failures);
        json_set_alloc_funcs(malloc, free);
    }

    /* Read in place and spliced back, or through jansson: the same bytes. */
    {
        static const struct { const char *v; int in_place; } cases[] = {
            { "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\","
              "\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"},\"sessiondemo\":{\"realm\":"
              "\"bench\",\"gen\":1,\"saved\":1795857861000,\"created\":1795857861000},"
              "\"isLoggedIn\":true,\"username\":\"b\",\"loginTime\":\"2026-11-27T09:24:59.033Z\","
              "\"visitCount\":0}", 1 },
            /* express-session's own: no member of ours, cookie not first */
            { "{\"isLoggedIn\":true,\"cookie\":{\"path\":\"/\"},\"visitCount\":1,\"zeta\":[{}]}", 1 },
            /* reserved members are dropped, the legacy creation time read */
            { "{\"cookie\":{},\"id\":\"x\",\"sessionCreatedAt\":\"2026-01-01T00:00:00.000Z\","
              "\"ok\":true}", 1 },
            /* our member not second, a field named like it elsewhere */
            { "{\"cookie\":{},\"a\":1,\"sessiondemo\":{\"gen\":3,\"realm\":\"x\"}}", 1 },
            /* stored cookie members the module keeps, or does not know */
            { "{\"cookie\":{\"originalMaxAge\":1000,\"partitioned\":true,\"priority\":\"high\","
              "\"expires\":null,\"path\":\"/\"},\"visitCount\":1}", 1 },
            { "{\"cookie\":{\"path\":\"/\",\"future\":{\"x\":1}},\"visitCount\":1}", 1 },
            /* not canonical: whitespace, reals, integer keys, repeated keys */
            { "{\"cookie\": {},\"visitCount\":1}", 0 },
            { "{\"cookie\":{},\"r\":0.5,\"visitCount\":1}", 0 },
            { "{\"7\":1,\"cookie\":{}}", 0 },
            { "{\"cookie\":{},\"visitCount\":1,\"visitCount\":2}", 0 },
            { "{\"cookie\":{\"path\":\"/\",\"path\":\"/x\"}}", 0 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
            int in_place = -1;
            TAP_OK(splice_agrees(p, cases[i].v, &in_place) && in_place == cases[i].in_place,
                   "load + splice as decode + encode (%s): %s",
                   cases[i].in_place ? "in place" : "jansson", cases[i].v);
        }
        sd_fields *f = NULL;
        err = NULL;
        TAP_OK(!sd_record_load(p, "{\"cookie\":5}", 12, &rec, &f, &err) && err
               && !sd_record_load(p, "{\"a\":1}", 7, &rec, &f, &err),
               "sd_record_load refuses what sd_record_decode refuses, with a reason");
        sd_record_meta bad = { "\xff", 1, 0, 0, 0, NULL };
        sd_record_cookie_attrs ca = { 0, 0, 0, 1, NULL, "/", NULL };
        TAP_OK(sd_record_load(p, "{\"cookie\":{}}", 13, &rec, &f, &err)
               && !sd_record_encode_fields(p, &rec, &ca, &bad, f, NULL),
               "a realm that is not UTF-8 cannot be written (as json_string)");
    }

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
