/* Unit tests for the JSON codec: stored-session shape, order, dates. */
#include "sd_json.h"
#include "tap.h"

#include <apr_general.h>

int main(void)
{
    apr_pool_t *p;
    sd_json_record rec;
    const char *err = NULL;
    apr_size_t len = 0;
    char *out;
    apr_time_t t;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(43);

    /* A real value captured from express-session + connect-memcached. */
    const char *stored =
        "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\","
        "\"httpOnly\":true,\"path\":\"/\"},\"isLoggedIn\":true,\"username\":\"alice\","
        "\"loginTime\":\"2026-01-15T12:00:00.000Z\",\"visitCount\":3,\"cart\":[\"apple\"]}";
    TAP_OK(sd_json_record_decode(p, stored, strlen(stored), &rec, &err),
           "express-session record decodes");
    TAP_OK(json_is_object(rec.cookie), "cookie member is an object");
    TAP_OK(json_object_get(rec.data, "cookie") == NULL, "data does not carry cookie");
    TAP_OK(json_integer_value(json_object_get(rec.data, "visitCount")) == 3,
           "visitCount read");
    out = sd_json_record_encode(p, rec.cookie, rec.data, &len);
    TAP_IS_STR(out, stored, "re-encoding is byte-identical (cookie first, order kept)");
    TAP_OK(len == strlen(stored), "encoded length reported");

    /* Fields unknown to us survive a round trip untouched. */
    const char *extra = "{\"cookie\":{\"path\":\"/\"},\"zeta\":{\"a\":[1,2]},\"alpha\":null}";
    TAP_OK(sd_json_record_decode(p, extra, strlen(extra), &rec, &err), "unknown fields decode");
    TAP_IS_STR(sd_json_record_encode(p, rec.cookie, rec.data, NULL), extra,
               "unknown fields re-encoded in place");

    /* cookie goes first even when it is stored last. */
    const char *late = "{\"a\":1,\"cookie\":{\"path\":\"/\"}}";
    TAP_OK(sd_json_record_decode(p, late, strlen(late), &rec, &err), "cookie-last record decodes");
    TAP_IS_STR(sd_json_record_encode(p, rec.cookie, rec.data, NULL),
               "{\"cookie\":{\"path\":\"/\"},\"a\":1}", "cookie is moved first");

    /* Reserved names are dropped as express-session does. */
    const char *reserved = "{\"cookie\":{},\"id\":\"x\",\"save\":1,\"req\":2,\"ok\":true}";
    TAP_OK(sd_json_record_decode(p, reserved, strlen(reserved), &rec, &err), "reserved record decodes");
    TAP_IS_STR(sd_json_dump(p, rec.data, NULL), "{\"ok\":true}", "reserved members dropped");

    /* Hostile or foreign values are refused with a reason. */
    static const char *const bad[] = {
        "", "not json", "[1,2]", "\"str\"", "{\"a\":1}", "{\"cookie\":5}",
        "{\"cookie\":{}", "{\"cookie\":{}} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        err = NULL;
        TAP_OK(!sd_json_record_decode(p, bad[i], strlen(bad[i]), &rec, &err) && err,
               "rejected: '%s' (%s)", bad[i], err ? err : "no reason");
    }

    /* Strings are escaped, non-ASCII stays raw UTF-8 as JSON.stringify does. */
    json_t *s = sd_json_track(p, json_pack("{s:s}", "u", "<é\"\n/>"));
    TAP_IS_STR(sd_json_dump(p, s, NULL), "{\"u\":\"<é\\\"\\n/>\"}", "string escaping");

    /* JSON.stringify fidelity: every expected string below is what Node 20
     * prints for JSON.stringify(JSON.parse(input)). */
    static const struct { const char *in, *want, *what; } js[] = {
        { "[0.1,0.30000000000000004,1e21,1.5e-7,1e-7,123456789012345680000,9007199254740993,100,-0.5,5e-324,1.7976931348623157e308,0.000001,123.456,-1e-7,1E2,-0,-0.0,2.5e+25,1e-6,0.1e1]",
          "[0.1,0.30000000000000004,1e+21,1.5e-7,1e-7,123456789012345680000,9007199254740992,100,-0.5,5e-324,1.7976931348623157e+308,0.000001,123.456,-1e-7,100,0,0,2.5e+25,0.000001,1]",
          "numbers as Number#toString writes them" },
        { "{\"b\":1,\"10\":2,\"2\":3,\"a\":4,\"01\":5,\"4294967295\":6,\"4294967294\":7,\"-1\":8,\"0\":9}",
          "{\"0\":9,\"2\":3,\"10\":2,\"4294967294\":7,\"b\":1,\"a\":4,\"01\":5,\"4294967295\":6,\"-1\":8}",
          "integer-like keys first, ascending" },
        { "[\"\\u001f\\u007f\\u2028\\u0000\\b\\f\\n\\r\\t\\/\\\"\\\\\\u00e9\\ud83d\\ude00\"]",
          "[\"\\u001f\177\342\200\250\\u0000\\b\\f\\n\\r\\t/\\\"\\\\\303\251\360\237\230\200\"]",
          "string escapes as JSON.stringify writes them" },
        { "{\"a\":{\"z\":[{},[],null,true,false,\"\"],\"1\":\"one\"}}",
          "{\"a\":{\"1\":\"one\",\"z\":[{},[],null,true,false,\"\"]}}",
          "nested objects and empty values" },
        { "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\",\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"},\"7\":\"x\",\"n\":12345678901234567890}",
          "{\"7\":\"x\",\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\",\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"},\"n\":12345678901234567000}",
          "a stored session with an integer key and a big number" },

    };
    for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); ++i) {
        json_t *v = sd_json_parse(p, js[i].in, strlen(js[i].in), &err);
        TAP_IS_STR(v ? sd_json_dump(p, v, NULL) : err, js[i].want, "%s", js[i].what);
    }
    /* A stored session through decode + encode, as the module writes it back. */
    const char *peer = "{\"7\":\"x\",\"cookie\":{\"path\":\"/\"},\"r\":0.1,\"big\":1e+21}";
    TAP_OK(sd_json_record_decode(p, peer, strlen(peer), &rec, &err), "peer record with odd members decodes");
    TAP_IS_STR(sd_json_record_encode(p, rec.cookie, rec.data, NULL), peer,
               "integer key before cookie and reals survive");
    TAP_OK(json_is_integer(json_object_get(rec.data, "7")) == 0
           && json_is_real(json_object_get(rec.data, "r")), "0.1 stays a real");
    {
        const char *counted = "{\"cookie\":{},\"visitCount\":3,\"n\":1e2}";
        TAP_OK(sd_json_record_decode(p, counted, strlen(counted), &rec, &err)
               && json_is_integer(json_object_get(rec.data, "visitCount"))
               && json_integer_value(json_object_get(rec.data, "visitCount")) == 3
               && json_is_integer(json_object_get(rec.data, "n")),
               "integral numbers are integers again (visitCount, 1e2)");
    }
    {
        char num[SD_JSON_NUMBER_BUF];
        static const struct { double d; const char *want; } nums[] = {
            { -0.0, "0" }, { 1e21, "1e+21" }, { 1e-7, "1e-7" }, { 123e-20, "1.23e-18" },
            { 0.1 + 0.2, "0.30000000000000004" }, { -1.5, "-1.5" },
        };
        int ok = 1;
        for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); ++i) {
            sd_json_js_number(nums[i].d, num);
            if (strcmp(num, nums[i].want) != 0) {
                printf("# %s: got %s\n", nums[i].want, num);
                ok = 0;
            }
        }
        TAP_OK(ok, "sd_json_js_number");
    }
    {
        json_t *deep = sd_json_track(p, json_array());
        json_t *cur = deep;
        for (int i = 0; i < SD_JSON_MAX_DEPTH + 2; ++i) {
            json_t *next = json_array();
            json_array_append_new(cur, next);
            cur = next;
        }
        TAP_OK(sd_json_dump(p, deep, NULL) == NULL, "nesting beyond SD_JSON_MAX_DEPTH is refused");
    }

    /* Regression (fuzz_json, UBSan): a stored number outside the range of
     * json_int_t was cast to it before the range test. */
    {
        const char *huge = "{\"cookie\":{\"originalMaxAge\":1e300},\"n\":-1e308}";
        TAP_OK(sd_json_record_decode(p, huge, strlen(huge), &rec, &err)
               && json_is_real(json_object_get(rec.cookie, "originalMaxAge"))
               && json_is_real(json_object_get(rec.data, "n")),
               "numbers beyond 2^63 stay reals");
        TAP_IS_STR(sd_json_record_encode(p, rec.cookie, rec.data, NULL),
                   "{\"cookie\":{\"originalMaxAge\":1e+300},\"n\":-1e+308}",
                   "and are written as JavaScript writes them");
    }
    /* Regression: many integer-like keys, in descending order, were sorted
     * with an insertion sort (minutes for a 1 MiB stored value). */
    {
        json_t *many = sd_json_track(p, json_object());
        char key[16];
        int ordered = 1;
        for (int i = 30000; i >= 0; --i) {
            snprintf(key, sizeof key, "%d", i);
            json_object_set_new(many, key, json_true());
        }
        json_object_set_new(many, "z", json_true());
        out = sd_json_dump(p, many, &len);
        const char *c = out ? out + 1 : NULL;
        for (int i = 0; c && ordered && i <= 30000; ++i) {
            int n = snprintf(key, sizeof key, "\"%d\":true,", i);
            ordered = strncmp(c, key, (size_t)n) == 0;
            c += n;
        }
        TAP_OK(out && ordered && strcmp(c, "\"z\":true}") == 0,
               "30001 integer-like keys listed first, ascending");
    }

    /* Dates. */
    TAP_IS_STR(sd_iso8601_format(p, apr_time_from_sec(1795857861) + 903000),
               "2026-11-28T09:24:21.903Z", "ISO format with milliseconds");
    TAP_OK(sd_iso8601_parse("2026-11-28T09:24:21.903Z", &t) == APR_SUCCESS
           && t == apr_time_from_sec(1795857861) + 903000, "ISO parse round trip");
    TAP_OK(sd_iso8601_parse("2026-11-28T09:24:21Z", &t) == APR_SUCCESS
           && t == apr_time_from_sec(1795857861), "ISO parse without milliseconds");
    TAP_OK(sd_iso8601_parse("2026-11-28 09:24:21Z", &t) == APR_EINVAL, "ISO parse rejects a space");
    TAP_OK(sd_iso8601_parse("2026-13-28T09:24:21Z", &t) == APR_EINVAL, "ISO parse rejects month 13");
    TAP_OK(sd_iso8601_parse(NULL, &t) == APR_EINVAL, "ISO parse rejects NULL");
    /* Regression (fuzz_json): a leap second on the last day of 9999 parsed
     * to an instant that formats as year 10000 and does not parse back. */
    TAP_OK(sd_iso8601_parse("9999-12-31T23:59:60.999Z", &t) == APR_EINVAL,
           "ISO parse rejects a leap second (as Date.parse does)");
    TAP_OK(sd_iso8601_parse("9999-12-31T23:59:59.999Z", &t) == APR_SUCCESS
           && strcmp(sd_iso8601_format(p, t), "9999-12-31T23:59:59.999Z") == 0,
           "ISO round trip at the end of year 9999");

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
