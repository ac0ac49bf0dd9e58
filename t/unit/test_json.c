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
    TAP_PLAN(27);

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

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
