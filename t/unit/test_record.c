/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the stored-session record: express-session's shape and
 * order, hostile values, dates. */
#include "sd_json.h"
#include "sd_record.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>
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
        json_t *data;
        apr_pool_create(&p, pool);
        alloc_budget = budget;
        data = sd_json_track(p, json_pack("{s:i}", "visitCount", 1));
        sd_record_meta meta = { "realm", 1, 1, 1, 0, NULL };
        if (!data || !sd_record_encode(p, data, &a, &meta, NULL)) {
            ++*failures;
        }
        alloc_budget = -1;
        apr_pool_destroy(p);
    }
    return 1;
}

/* The session's write of a stored value, one field changed, as expected. */
static int writes_as(apr_pool_t *p, const char *stored, const char *expected)
{
    sd_record_meta meta = { "realm", 7, apr_time_from_sec(1795857861), apr_time_from_sec(1795000000), 0,
                            SD_RECORD_LOGIN_PASSWORD };
    sd_record_cookie_attrs attrs = { 86400000000LL, 1795857861033000LL, 0, 1, NULL, "/", "lax" };
    const char *err = NULL;
    json_t *rec = sd_record_decode(p, stored, strlen(stored), &err);
    char *x;
    if (!rec || json_object_set_new(rec, "visitCount", json_integer(42)) != 0
        || !(x = sd_record_encode(p, rec, &attrs, &meta, NULL))) {
        printf("#   not written: %s\n", err ? err : "(encode failed)");
        return 0;
    }
    if (strcmp(x, expected) != 0) {
        printf("#   written: %s\n#  expected: %s\n", x, expected);
        return 0;
    }
    return 1;
}

int main(void)
{
    apr_pool_t *p;
    json_t *rec;
    const char *err = NULL;
    apr_size_t len = 0;
    char *out;
    apr_time_t t;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(85);
    /* A real value captured from express-session + connect-memcached. */
    const char *stored =
        "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\","
        "\"httpOnly\":true,\"path\":\"/\"},\"isLoggedIn\":true,\"username\":\"alice\","
        "\"loginTime\":\"2026-01-15T12:00:00.000Z\",\"visitCount\":3,\"cart\":[\"apple\"]}";
    TAP_OK((rec = sd_record_decode(p, stored, strlen(stored), &err)),
           "express-session record decodes");
    TAP_OK(json_is_object(json_object_get(rec, "cookie")), "cookie member is an object");
    TAP_OK(json_object_size(rec) == 6, "the fields sit beside it, one object");
    TAP_OK(json_integer_value(json_object_get(rec, "visitCount")) == 3,
           "visitCount read");
    out = sd_record_encode(p, rec, NULL, NULL, &len);
    TAP_IS_STR(out, stored, "re-encoding is byte-identical (cookie first, order kept)");
    TAP_OK(len == strlen(stored), "encoded length reported");

    /* Fields unknown to us survive a round trip untouched. */
    const char *extra = "{\"cookie\":{\"path\":\"/\"},\"zeta\":{\"a\":[1,2]},\"alpha\":null}";
    TAP_OK((rec = sd_record_decode(p, extra, strlen(extra), &err)), "unknown fields decode");
    TAP_IS_STR(sd_record_encode(p, rec, NULL, NULL, NULL), extra,
               "unknown fields re-encoded in place");

    /* cookie goes first even when it is stored last. */
    const char *late = "{\"a\":1,\"cookie\":{\"path\":\"/\"}}";
    TAP_OK((rec = sd_record_decode(p, late, strlen(late), &err)), "cookie-last record decodes");
    TAP_IS_STR(sd_record_encode(p, rec, NULL, NULL, NULL),
               "{\"cookie\":{\"path\":\"/\"},\"a\":1}", "cookie is moved first");

    /* Reserved names are dropped as express-session does. */
    const char *reserved = "{\"cookie\":{},\"id\":\"x\",\"save\":1,\"req\":2,\"ok\":true}";
    TAP_OK((rec = sd_record_decode(p, reserved, strlen(reserved), &err)), "reserved record decodes");
    TAP_IS_STR(sd_record_encode(p, rec, NULL, NULL, NULL), "{\"cookie\":{},\"ok\":true}",
               "reserved members dropped");

    /* Hostile or foreign values are refused with a reason. */
    static const char *const bad[] = {
        "", "not json", "[1,2]", "\"str\"", "{\"a\":1}", "{\"cookie\":5}",
        "{\"cookie\":{}", "{\"cookie\":{}} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        err = NULL;
        TAP_OK(!sd_record_decode(p, bad[i], strlen(bad[i]), &err) && err,
               "rejected: '%s' (%s)", bad[i], err ? err : "no reason");
    }

    /* A stored session through decode + encode, as the module writes it back. */
    const char *peer = "{\"7\":\"x\",\"cookie\":{\"path\":\"/\"},\"r\":0.1,\"big\":1e+21}";
    TAP_OK((rec = sd_record_decode(p, peer, strlen(peer), &err)), "peer record with odd members decodes");
    TAP_IS_STR(sd_record_encode(p, rec, NULL, NULL, NULL), peer,
               "integer key before cookie and reals survive");
    TAP_OK(json_is_integer(json_object_get(rec, "7")) == 0
           && json_is_real(json_object_get(rec, "r")), "0.1 stays a real");
    {
        const char *counted = "{\"cookie\":{},\"visitCount\":3,\"n\":1e2}";
        TAP_OK((rec = sd_record_decode(p, counted, strlen(counted), &err))
               && json_is_integer(json_object_get(rec, "visitCount"))
               && json_integer_value(json_object_get(rec, "visitCount")) == 3
               && json_is_integer(json_object_get(rec, "n")),
               "integral numbers are integers again (visitCount, 1e2)");
    }
    /* Regression (fuzz_json, UBSan): a stored number outside the range of
     * json_int_t was cast to it before the range test. */
    {
        const char *huge = "{\"cookie\":{\"originalMaxAge\":1e300},\"n\":-1e308}";
        TAP_OK((rec = sd_record_decode(p, huge, strlen(huge), &err))
               && json_is_real(json_object_get(json_object_get(rec, "cookie"), "originalMaxAge"))
               && json_is_real(json_object_get(rec, "n")),
               "numbers beyond 2^63 stay reals");
        TAP_IS_STR(sd_record_encode(p, rec, NULL, NULL, NULL),
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
        TAP_OK((rec = sd_record_decode(p, stored, strlen(stored), &err)), "a record with our member decodes");
        TAP_IS_STR(sd_record_meta_read(rec).realm, "shop", "its realm is read");
        TAP_OK(sd_record_saved(rec) == saved && sd_record_meta_read(rec).created == created,
               "its last write and creation are read");
        TAP_OK(sd_record_deadline(rec, apr_time_from_sec(86400), 0) == sd_record_expires(rec),
               "under a longer MaxAge the stored expiry decides");
        TAP_OK(sd_record_deadline(rec, apr_time_from_sec(2), 0) == saved + apr_time_from_sec(2),
               "under MaxAge 2 the session ends 2 s after its last write");
        TAP_OK(sd_record_deadline(rec, apr_time_from_sec(86400), apr_time_from_sec(60))
               == created + apr_time_from_sec(60), "an absolute limit counts from creation");
        TAP_OK(sd_record_lifetime(rec, apr_time_from_sec(86400)) == apr_time_from_sec(3600)
               && sd_record_lifetime(rec, apr_time_from_sec(2)) == apr_time_from_sec(2),
               "the lifetime is the stored one, never longer than the configured one");
    }
    {
        /* express-session's own record: no member, no realm. */
        const char *express =
            "{\"cookie\":{\"originalMaxAge\":60000,\"expires\":\"2026-11-28T10:00:00.000Z\","
            "\"httpOnly\":true,\"path\":\"/\"},\"n\":1}";
        const char *browser = "{\"cookie\":{\"originalMaxAge\":null,\"expires\":null,\"path\":\"/\"}}";
        TAP_OK((rec = sd_record_decode(p, express, strlen(express), &err))
               && sd_record_meta_read(rec).realm == NULL, "express-session's record has no realm");
        TAP_OK(sd_record_saved(rec) == sd_record_expires(rec) - apr_time_from_sec(60),
               "... its last write is its expiry less its lifetime");
        TAP_OK((rec = sd_record_decode(p, browser, strlen(browser), &err))
               && sd_record_lifetime(rec, apr_time_from_sec(60)) == 0
               && sd_record_deadline(rec, apr_time_from_sec(60), 0) == 0,
               "a browser-session cookie has no lifetime and, never written by us, no known end");
    }
    {
        /* express-session's field order; members it has that we do not set
         * are kept, unknown ones go last. */
        const char *c = "{\"cookie\":{\"unknown\":1,\"priority\":\"high\",\"path\":\"/old\","
                        "\"secure\":true,\"partitioned\":true}}";
        sd_record_cookie_attrs a = { apr_time_from_sec(2), apr_time_from_sec(1795857861), 0, 0,
                                     "example.org", "/", "strict" };
        rec = sd_record_decode(p, c, strlen(c), &err);
        TAP_IS_STR(rec ? sd_record_encode(p, rec, &a, NULL, NULL) : NULL,
                   "{\"cookie\":{\"originalMaxAge\":2000,\"partitioned\":true,\"priority\":\"high\","
                   "\"expires\":\"2026-11-28T09:24:21.000Z\",\"httpOnly\":false,"
                   "\"domain\":\"example.org\",\"path\":\"/\",\"sameSite\":\"strict\",\"unknown\":1}}",
                   "the cookie object: the current settings in express-session's order");
        a.lifetime = 0;
        TAP_IS_STR(sd_record_encode(p, NULL, &a, NULL, NULL),
                   "{\"cookie\":{\"originalMaxAge\":null,\"expires\":null,\"httpOnly\":false,"
                   "\"domain\":\"example.org\",\"path\":\"/\",\"sameSite\":\"strict\"}}",
                   "a browser-session cookie keeps expires and originalMaxAge null");
    }
    {
        sd_record_meta meta = { "r", 7, apr_time_from_sec(2), apr_time_from_sec(1), 1, NULL };
        char *mine = sd_record_encode(p, NULL, NULL, &meta, NULL);
        TAP_OK(mine != NULL, "our member is set");
        TAP_IS_STR(mine,
                   "{\"sessiondemo\":{\"realm\":\"r\",\"gen\":7,\"saved\":2000,\"created\":1000,"
                   "\"ended\":true}}", "... as {realm, gen, saved, created, ended}");
    }
    {
        /* How the login was verified: written and read back; absent from
         * older records. */
        sd_record_meta meta = { "r", 3, apr_time_from_sec(2), apr_time_from_sec(1), 0,
                                SD_RECORD_LOGIN_DEMO };
        const char *old = "{\"cookie\":{},\"sessiondemo\":{\"realm\":\"r\",\"gen\":2},"
                          "\"isLoggedIn\":true}";
        const char *with = "{\"cookie\":{},\"sessiondemo\":{\"realm\":\"r\",\"gen\":2,"
                           "\"login\":\"password\"},\"isLoggedIn\":true}";
        char *mine = sd_record_encode(p, NULL, NULL, &meta, NULL);
        TAP_OK(mine != NULL, "a member with login is set");
        TAP_IS_STR(mine,
                   "{\"sessiondemo\":{\"realm\":\"r\",\"gen\":3,\"saved\":2000,\"created\":1000,"
                   "\"login\":\"demo\"}}", "... as {realm, gen, saved, created, login}");
        TAP_OK((rec = sd_record_decode(p, with, strlen(with), &err))
               && sd_record_meta_read(rec).login && strcmp(sd_record_meta_read(rec).login, "password") == 0,
               "the reader reads login");
        TAP_OK((rec = sd_record_decode(p, mine, strlen(mine), &err)) == NULL
               && (rec = sd_record_decode(p, apr_pstrcat(p, "{\"cookie\":{},", mine + 1, NULL),
                                          strlen(mine) + 12, &err))
               && sd_record_meta_read(rec).login && strcmp(sd_record_meta_read(rec).login, "demo") == 0
               && sd_record_meta_read(rec).gen == 3,
               "what is written is what is read (a record needs its cookie)");
        TAP_OK((rec = sd_record_decode(p, old, strlen(old), &err)) && !sd_record_meta_read(rec).login,
               "a record of an older version has no login");
    }

    {
        int failures = 0;
        json_set_alloc_funcs(budget_malloc, free);
        TAP_OK(writers_survive_oom(p, 40, &failures) && failures > 0,
               "out of memory at each of 40 allocations: the record writers fail cleanly (%d failures)",
               failures);
        json_set_alloc_funcs(malloc, free);
    }

    /* What the session writes for unusual stored values (visitCount set to
     * 42, the usual cookie, our member): read once, written in
     * JSON.stringify's form. */
    {
#define OUR_COOKIE "\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:21.033Z\"," \
                   "\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"}"
#define OUR_META "\"sessiondemo\":{\"realm\":\"realm\",\"gen\":7,\"saved\":1795857861000," \
                 "\"created\":1795000000000,\"login\":\"password\"}"
        static const struct { const char *v, *w; } cases[] = {
            { "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\","
              "\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"},\"sessiondemo\":{\"realm\":"
              "\"bench\",\"gen\":1,\"saved\":1795857861000,\"created\":1795857861000},"
              "\"isLoggedIn\":true,\"username\":\"b\",\"loginTime\":\"2026-11-27T09:24:59.033Z\","
              "\"visitCount\":0}",
              "{" OUR_COOKIE "," OUR_META ",\"isLoggedIn\":true,\"username\":\"b\","
              "\"loginTime\":\"2026-11-27T09:24:59.033Z\",\"visitCount\":42}" },
            /* express-session's own: no member of ours, cookie not first */
            { "{\"isLoggedIn\":true,\"cookie\":{\"path\":\"/\"},\"visitCount\":1,\"zeta\":[{}]}",
              "{" OUR_COOKIE "," OUR_META ",\"isLoggedIn\":true,\"visitCount\":42,\"zeta\":[{}]}" },
            /* reserved members are dropped, the legacy creation time kept */
            { "{\"cookie\":{},\"id\":\"x\",\"sessionCreatedAt\":\"2026-01-01T00:00:00.000Z\","
              "\"ok\":true}",
              "{" OUR_COOKIE "," OUR_META ",\"sessionCreatedAt\":\"2026-01-01T00:00:00.000Z\","
              "\"ok\":true,\"visitCount\":42}" },
            /* our member not second */
            { "{\"cookie\":{},\"a\":1,\"sessiondemo\":{\"gen\":3,\"realm\":\"x\"}}",
              "{" OUR_COOKIE "," OUR_META ",\"a\":1,\"visitCount\":42}" },
            /* stored cookie members the module keeps, or does not know */
            { "{\"cookie\":{\"originalMaxAge\":1000,\"partitioned\":true,\"priority\":\"high\","
              "\"expires\":null,\"path\":\"/\"},\"visitCount\":1}",
              "{\"cookie\":{\"originalMaxAge\":86400000,\"partitioned\":true,\"priority\":\"high\","
              "\"expires\":\"2026-11-28T09:24:21.033Z\",\"httpOnly\":true,\"path\":\"/\","
              "\"sameSite\":\"lax\"}," OUR_META ",\"visitCount\":42}" },
            { "{\"cookie\":{\"path\":\"/\",\"future\":{\"x\":1}},\"visitCount\":1}",
              "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:21.033Z\","
              "\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\",\"future\":{\"x\":1}},"
              OUR_META ",\"visitCount\":42}" },
            /* whitespace, reals, integer keys, escaped keys and values */
            { " {\"cookie\" : {} ,\n\t\"visitCount\" : 1 } ",
              "{" OUR_COOKIE "," OUR_META ",\"visitCount\":42}" },
            { "{\"cookie\":{},\"r\":0.5,\"e\":1E3,\"z\":-0,\"visitCount\":1}",
              "{" OUR_COOKIE "," OUR_META ",\"r\":0.5,\"e\":1000,\"z\":0,\"visitCount\":42}" },
            { "{\"7\":1,\"cookie\":{}}", "{\"7\":1," OUR_COOKIE "," OUR_META ",\"visitCount\":42}" },
            { "{\"cookie\":{},\"k\\u0041\\/\":\"\\u00e9\\ud83d\\ude00\\u001F\"}",
              "{" OUR_COOKIE "," OUR_META ",\"kA/\":\"\xc3\xa9\xf0\x9f\x98\x80\\u001f\","
              "\"visitCount\":42}" },
            /* repeated members: the last value, at the first one's place (JSON.parse) */
            { "{\"cookie\":{},\"visitCount\":1,\"a\":1,\"visitCount\":2,\"a\":2}",
              "{" OUR_COOKIE "," OUR_META ",\"visitCount\":42,\"a\":2}" },
            { "{\"cookie\":{\"path\":\"/\",\"path\":\"/x\",\"future\":1,\"future\":2}}",
              "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:21.033Z\","
              "\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\",\"future\":2}," OUR_META
              ",\"visitCount\":42}" },
            /* big numbers: JavaScript's doubles */
            { "{\"cookie\":{},\"big\":123456789012345678901234,\"safe\":9007199254740993}",
              "{" OUR_COOKIE "," OUR_META ",\"big\":1.2345678901234569e+23,"
              "\"safe\":9007199254740992,\"visitCount\":42}" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
            TAP_OK(writes_as(p, cases[i].v, cases[i].w), "written as JSON.stringify would: %s",
                   strchr(cases[i].v, '\n') ? "(whitespace)" : cases[i].v);
        }
        err = NULL;
        TAP_OK(!sd_record_decode(p, "{\"cookie\":5}", 12, &err) && err
               && !sd_record_decode(p, "{\"a\":1}", 7, &err),
               "a value without a cookie object is refused, with a reason");
        sd_record_meta bad = { "\xff", 1, 0, 0, 0, NULL };
        sd_record_cookie_attrs ca = { 0, 0, 0, 1, NULL, "/", NULL };
        TAP_OK((rec = sd_record_decode(p, "{\"cookie\":{}}", 13, &err))
               && !sd_record_encode(p, rec, &ca, &bad, NULL),
               "a realm that is not UTF-8 cannot be written (as json_string)");
    }
    /* Unusual but valid input, and what is refused. */
    {
        static const char *const bad[] = {
            "{\"cookie\":{},\"a\":}", "{\"cookie\":{},}", "{\"cookie\":{},\"a\":[1,]}",
            "{\"cookie\":{},\"a\":01}", "{\"cookie\":{},\"a\":1.}", "{\"cookie\":{},\"a\":nul}",
            "{\"cookie\":{},\"a\":\"\\ud800\"}", "{\"cookie\":{},\"a\":\"\xc0\x80\"}",
            "{\"cookie\":{},\"a\":\"\xed\xa0\x80\"}", "{\"cookie\":{},\"a\":\"\x01\"}",
            "{\"cookie\":{},\"k\\u0000\":1}", "{\"cookie\":{},\"a\":1e400}",
            "{\"cookie\":{}}\0", "{\"cookie\":{},\"a\":\"\\x\"}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
            err = NULL;
            TAP_OK(!sd_record_decode(p, bad[i], strlen(bad[i]) + (i == 12), &err) && err,
                   "refused: %s (%s)", bad[i], err ? err : "no reason");
        }
        const char *nul = "{\"cookie\":{},\"s\":\"a\\u0000b\"}";
        TAP_OK((rec = sd_record_decode(p, nul, strlen(nul), &err))
               && json_string_length(json_object_get(rec, "s")) == 3
               && strcmp(sd_record_encode(p, rec, NULL, NULL, NULL), nul) == 0,
               "\\u0000 inside a string is read and written back (JSON_ALLOW_NUL)");
        char deep[2 * 2100 + 32];
        int d = 2100;
        memcpy(deep, "{\"cookie\":{},\"d\":", 17);
        memset(deep + 17, '[', (size_t)d);
        memset(deep + 17 + d, ']', (size_t)d);
        deep[17 + 2 * d] = '}';
        TAP_OK(sd_record_decode(p, deep, 18 + 2 * (size_t)d, &err) == NULL && err,
               "nesting deeper than the reader's limit is refused, not crashed on");
    }

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
