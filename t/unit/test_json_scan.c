/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the canonical-form scanner: what it accepts must be what
 * sd_json_parse reads and sd_json_dump writes back byte for byte (checked
 * against jansson for every accepted text), and everything it is unsure
 * of is refused (so the jansson path decides). */
#include "sd_json.h"
#include "sd_json_scan.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

/* Accepted, parsed by jansson and dumped back identically; the build
 * dumps identically too. */
static int round_trips(apr_pool_t *p, const char *s, apr_size_t n)
{
    json_t *built = sd_json_scan_build(p, s, n), *parsed = sd_json_parse(p, s, n, NULL);
    apr_size_t bl = 0, pl = 0;
    char *b = sd_json_track(p, built) ? sd_json_dump(p, built, &bl) : NULL;
    char *d = parsed ? sd_json_dump(p, parsed, &pl) : NULL;
    return sd_json_scan_value(s, n) && b && d && bl == n && pl == n && memcmp(b, s, n) == 0
           && memcmp(d, s, n) == 0;
}

int main(void)
{
    apr_pool_t *p;
    static const char *const good[] = {
        "{}", "[]", "[0]", "[-1,123456789012345,-123456789012345]", "[true,false,null]", "[\"\"]",
        "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\","
        "\"httpOnly\":true,\"path\":\"/\"},\"isLoggedIn\":true,\"visitCount\":3}",
        "{\"a\":[1,[2,[]],{\"b\":null}],\"c\":\"x\"}",
        "[\"\\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\\u0001\"]",
        "[\"/<>\x7f \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\"]",
        "{\"k\\nx\":1,\"k\\\\u0000\":2}",
        "{\"-1\":1,\"1a\":2,\"01x\":3}",
    };
    static const char *const bad[] = {
        /* not JSON at all, or cut short */
        "", "{", "{\"a\"", "{\"a\":}", "{\"a\":1,}", "[1,]", "nul", "tru", "\"abc", "{\"a\":1}x",
        "-", "{\"a\" :1}",
        /* valid, but not what the dumper writes */
        " {}", "{} ", "{\"a\": 1}", "[1, 2]", "\"\\/\"", "\"\\u0041\"", "\"\\u001F\"",
        "\"\\u000a\"", "\"\\u0008\"", "\"\\ud83d\\ude00\"", "1.5", "1e3", "1E3", "-0", "01",
        "1234567890123456", "{\"a\":1,\"a\":2}", "{\"0\":1}", "{\"12\":1}",
        "{\"k\\u0000\":1}",
        /* invalid UTF-8 and raw controls */
        "\"\xc0\x80\"", "\"\xc1\xbf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\"",
        "\"\xe2\x80\"", "\"\x80\"", "\"\x01\"", "\"\t\"",
    };
    const int ngood = (int)(sizeof(good) / sizeof(good[0]));
    const int nbad = (int)(sizeof(bad) / sizeof(bad[0]));
    sd_json_scan_member m[SD_JSON_SCAN_MAX_MEMBERS];
    apr_size_t len;
    const char *u;
    char q[64];

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(ngood + nbad + 21);

    for (int i = 0; i < ngood; ++i) {
        TAP_OK(round_trips(p, good[i], strlen(good[i])), "canonical: %s", good[i]);
    }
    for (int i = 0; i < nbad; ++i) {
        TAP_OK(!sd_json_scan_value(bad[i], strlen(bad[i]))
               && !sd_json_scan_build(p, bad[i], strlen(bad[i])), "refused: %s", bad[i]);
    }

    /* The members of an object, as spans. */
    {
        const char *s = "{\"cookie\":{\"path\":\"/\"},\"n\":7,\"s\":\"a\\\"b\"}";
        int n = sd_json_scan_object(s, strlen(s), m);
        TAP_OK(n == 3 && m[0].key_len == 6 && memcmp(m[0].key, "cookie", 6) == 0
               && m[0].value_len == 12 && memcmp(m[0].value, "{\"path\":\"/\"}", 12) == 0
               && m[1].value_len == 1 && m[1].value[0] == '7'
               && m[2].value_len == 6, "object members and their spans");
        TAP_OK(sd_json_scan_object("[1]", 3, m) == -1 && sd_json_scan_object("1", 1, m) == -1,
               "only objects are scanned as objects");
        TAP_OK(sd_json_scan_object("{}", 2, m) == 0, "the empty object has no members");
    }
    /* The unchecked split of an accepted object: the spans the scan gives. */
    {
        static const char *const objs[] = {
            "{}", "{\"a\":1}",
            "{\"cookie\":{\"path\":\"/\"},\"n\":7,\"s\":\"a\\\"b\"}",
            "{\"k\\\\\":[1,{\"x\":\"},]{[\"}],\"e\":{},\"z\":[],\"q\":\"\\\\\"}",
            "{\"a\":{\"b\":{\"c\":[[1],[2,{\"d\":null}]]}},\"t\":true,\"f\":false}",
        };
        sd_json_scan_member w[SD_JSON_SCAN_MAX_MEMBERS];
        for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); ++i) {
            int n = sd_json_scan_object(objs[i], strlen(objs[i]), m), k = n;
            int same = n >= 0 && sd_json_scan_members(objs[i], strlen(objs[i]), w) == n;
            while (same && k--) {
                same = m[k].key == w[k].key && m[k].key_len == w[k].key_len
                       && m[k].value == w[k].value && m[k].value_len == w[k].value_len;
            }
            TAP_OK(same, "split as scanned: %s", objs[i]);
        }
    }
    /* A string NUL inside a NUL-terminated-looking buffer: length rules. */
    TAP_OK(!sd_json_scan_value("\"a\0b\"", 5), "a raw NUL byte is refused");
    TAP_OK(sd_json_scan_value("{\"a\":1}", 7) && !sd_json_scan_value("{\"a\":1}", 6),
           "exactly len bytes are read");

    /* Bounds: nesting and object size are refused past the limits (jansson
     * takes them), not crashed on. */
    {
        char deep[2 * SD_JSON_SCAN_MAX_DEPTH + 3];
        int d = SD_JSON_SCAN_MAX_DEPTH;
        memset(deep, '[', (apr_size_t)d);
        memset(deep + d, ']', (apr_size_t)d);
        TAP_OK(sd_json_scan_value(deep, 2 * (apr_size_t)d), "nesting at the limit is read");
        memset(deep, '[', (apr_size_t)d + 1);
        memset(deep + d + 1, ']', (apr_size_t)d + 1);
        TAP_OK(!sd_json_scan_value(deep, 2 * (apr_size_t)d + 2), "deeper nesting is refused");
    }
    {
        char *big = apr_pstrdup(p, "{");
        for (int i = 0; i < SD_JSON_SCAN_MAX_MEMBERS; ++i) {
            big = apr_psprintf(p, "%s%s\"k%d\":%d", big, i ? "," : "", i, i);
        }
        TAP_OK(sd_json_scan_object(apr_pstrcat(p, big, "}", NULL), strlen(big) + 1, m)
               == SD_JSON_SCAN_MAX_MEMBERS, "an object at the member limit is read");
        big = apr_pstrcat(p, big, ",\"last\":0}", NULL);
        TAP_OK(sd_json_scan_object(big, strlen(big), m) == -1
               && !sd_json_scan_value(big, strlen(big)), "a bigger object is refused");
    }

    /* Unquoting and quoting. */
    u = sd_json_scan_unquote(p, "plain", 5, &len);
    TAP_OK(u && len == 5 && memcmp(u, "plain", 5) == 0, "unquote: no escape");
    u = sd_json_scan_unquote(p, "a\\nb\\u0000c", 11, &len);
    TAP_OK(u && len == 5 && memcmp(u, "a\nb\0c", 5) == 0, "unquote: escapes decoded");
    TAP_OK(!sd_json_scan_unquote(p, "a\\/b", 4, &len) && !sd_json_scan_unquote(p, "a\"b", 3, &len),
           "unquote: non-canonical content refused");
    len = sd_json_scan_quote(q, "a\"\\\x01\n\x7f", 6);
    TAP_OK(len == 16 && memcmp(q, "\"a\\\"\\\\\\u0001\\n\x7f\"", 16) == 0,
           "quote writes what sd_json_dump writes");
    TAP_OK(sd_json_scan_utf8("\xc3\xa9\xf0\x9f\x98\x80", 6) && !sd_json_scan_utf8("\xc3", 1)
           && !sd_json_scan_utf8("\xed\xb0\x80", 3), "UTF-8 check as jansson's");
    /* Every byte string jansson takes as a string must quote back to what
     * sd_json_dump writes for it. */
    {
        json_t *s = sd_json_track(p, json_stringn("x\x1f\x7f\"\xe2\x80\xa8", 7));
        apr_size_t dl = 0;
        char *d = sd_json_dump(p, s, &dl);
        len = sd_json_scan_quote(q, "x\x1f\x7f\"\xe2\x80\xa8", 7);
        TAP_OK(d && dl == len && memcmp(d, q, len) == 0, "quote agrees with sd_json_dump");
    }
    TAP_OK(round_trips(p, "{\"s\":\"\\u0000\"}", 14), "\\u0000 is read (JSON_ALLOW_NUL)");

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
