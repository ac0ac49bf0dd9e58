/* Fuzz target: the stored-session JSON codec and ISO 8601 dates
 * (sd_json_record_decode, sd_json_record_encode, sd_json_dump,
 * sd_iso8601_parse, sd_iso8601_format).
 *
 * The input is a value as memcached would return it (any bytes: another
 * app, a peer with a bug or an attacker with access to memcached wrote it).
 * For every value the decoder accepts:
 *  - "cookie" is an object, and data holds neither "cookie" nor a member
 *    express-session drops on load (id, req, touch, save, ...);
 *  - encode(decoded) succeeds, starts with {"cookie":, and decodes again to
 *    equal cookie and data objects (json_equal), and encoding that second
 *    decode gives byte-identical text (the codec is a fixed point);
 *  - cookie.expires, when a string, goes through sd_iso8601_parse as the
 *    session loader does.
 * The input as a C string also goes to sd_iso8601_parse. Whatever it
 * accepts must format back into a string it accepts with the same time, and
 * a canonical date (real calendar day, seconds 00-59, .sss, Z) must format
 * back into exactly the input. */
#include "fuzz_common.h"

#include "sd_json.h"

#include <apr_strings.h>

static const char *const reserved[] = {
    "id", "req", "touch", "resetMaxAge", "save", "reload", "destroy",
    "regenerate", NULL
};

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DDTHH:MM:SS.sssZ" naming a real instant. */
static int canonical_date(const char *s)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    int y, mo, d, h, mi, se;

    if (strlen(s) != sizeof(shape) - 1) {
        return 0;
    }
    for (size_t i = 0; shape[i]; ++i) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) {
            return 0;
        }
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6) {
        return 0;
    }
    return y >= 1970 && mo >= 1 && mo <= 12 && d >= 1
           && d <= mdays[mo - 1] + (mo == 2 && is_leap(y)) && h <= 23
           && mi <= 59 && se <= 59;
}

static void check_iso8601(apr_pool_t *p, const char *s)
{
    apr_time_t t = -1, t2 = -1;

    if (sd_iso8601_parse(s, &t) != APR_SUCCESS) {
        SD_CHECK(!canonical_date(s), "canonical date '%s' refused", s);
        return;
    }
    SD_CHECK(t >= 0, "'%s' parsed before 1970", s);
    SD_CHECK(t % 1000 == 0, "'%s' parsed with sub-millisecond part", s);
    const char *f = sd_iso8601_format(p, t);
    SD_CHECK(f != NULL, "format failed");
    SD_CHECK(sd_iso8601_parse(f, &t2) == APR_SUCCESS && t2 == t,
             "'%s' parsed to %" APR_TIME_T_FMT " which formats as '%s', which"
             " does not parse back to it", s, t, f);
    if (canonical_date(s)) {
        SD_CHECK(strcmp(f, s) == 0, "'%s' formats back as '%s'", s, f);
    }
}

static void check_record(apr_pool_t *p, const sd_json_record *rec)
{
    const char *key;
    json_t *value;

    SD_CHECK(json_is_object(rec->cookie), "cookie is not an object");
    SD_CHECK(json_is_object(rec->data), "data is not an object");
    json_object_foreach(rec->data, key, value) {
        SD_CHECK(strcmp(key, "cookie") != 0, "data holds \"cookie\"");
        for (int i = 0; reserved[i]; ++i) {
            SD_CHECK(strcmp(key, reserved[i]) != 0, "data holds \"%s\"", key);
        }
    }
    value = json_object_get(rec->cookie, "expires");
    if (json_is_string(value)) {
        apr_time_t t;
        (void)sd_iso8601_parse(json_string_value(value), &t);
    }
    (void)p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sd_fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = sd_fuzz_pool();
    /* Exactly size bytes: the memcached value is length-delimited. */
    char *buf = malloc(size ? size : 1);
    sd_json_record rec, rec2;
    const char *err = NULL;

    if (!buf) {
        abort();
    }
    if (size) {
        memcpy(buf, data, size);
    }

    if (sd_json_record_decode(p, buf, size, &rec, &err)) {
        check_record(p, &rec);

        apr_size_t len = 0, len2 = 0;
        char *enc = sd_json_record_encode(p, rec.cookie, rec.data, &len);
        SD_CHECK(enc != NULL, "decoded record does not encode");
        SD_CHECK(strlen(enc) == len, "length %zu disagrees with the text",
                 (size_t)len);
        SD_CHECK(len >= 11 && memcmp(enc, "{\"cookie\":{", 11) == 0,
                 "encoding does not start with the cookie: %.40s", enc);

        err = NULL;
        SD_CHECK(sd_json_record_decode(p, enc, len, &rec2, &err),
                 "re-decode of our own encoding failed: %s\n  text: %s",
                 err ? err : "?", enc);
        check_record(p, &rec2);
        SD_CHECK(json_equal(rec.cookie, rec2.cookie), "cookie changed: %s", enc);
        SD_CHECK(json_equal(rec.data, rec2.data), "data changed: %s", enc);

        char *enc2 = sd_json_record_encode(p, rec2.cookie, rec2.data, &len2);
        SD_CHECK(enc2 && len2 == len && memcmp(enc, enc2, len) == 0,
                 "not a fixed point:\n  %s\n  %s", enc, enc2 ? enc2 : "(null)");

        /* What the session loader keeps to detect modifications. */
        SD_CHECK(sd_json_dump(p, rec.data, NULL) != NULL, "data does not dump");
    }
    else {
        SD_CHECK(err != NULL && *err, "decode failed without a reason");
    }

    char *s = sd_fuzz_cstr(data, size);
    check_iso8601(p, s);
    free(s);

    free(buf);
    sd_fuzz_pool_done(p);
    return 0;
}
