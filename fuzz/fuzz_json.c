/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Fuzz target: the stored-session JSON codec and ISO 8601 dates
 * (sd_record_decode, sd_record_encode, sd_json_dump,
 * sd_record_iso8601_parse, sd_record_iso8601_format).
 *
 * The input is a value as memcached would return it (any bytes: another
 * app, a peer with a bug or an attacker with access to memcached wrote it).
 * For every value the decoder accepts:
 *  - "cookie" is an object, and data holds neither "cookie" nor a member
 *    express-session drops on load (id, req, touch, save, ...);
 *  - encode(decoded) succeeds, puts "cookie" first (after integer-like
 *    keys, which JSON.stringify lists first), decodes again to equal cookie
 *    and data objects (compared with key lengths, as keys may hold NULs),
 *    and encoding that second decode gives byte-identical text (the codec
 *    is a fixed point);
 *  - cookie.expires, when a string, goes through sd_record_iso8601_parse as the
 *    session loader does.
 * The in-place path is checked against the jansson one (differential):
 *  - text sd_json_scan_value accepts is one sd_json_parse reads (when an
 *    object or array) and sd_json_dump writes back byte for byte, and
 *    sd_json_scan_build makes the same value;
 *  - sd_record_load accepts exactly what sd_record_decode accepts, its
 *    readers (generation, realm, times, lifetime) agree, its fields dump
 *    as decode's data does, and after the same change (visitCount) and
 *    the same meta, sd_record_encode_fields writes what
 *    sd_record_set_meta + sd_record_encode write.
 * The first 8 bytes as a double go to sd_json_js_number, whose text must
 * fit its buffer, be a JSON number (or null for NaN/inf) and read back as
 * the same double. The input as a C string also goes to sd_record_iso8601_parse. Whatever it
 * accepts must format back into a string it accepts with the same time, and
 * a canonical date (real calendar day, seconds 00-59, .sss, Z) must format
 * back into exactly the input. */
#include "fuzz_common.h"

#include "sd_json.h"
#include "sd_json_scan.h"
#include "sd_record.h"

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

    if (sd_record_iso8601_parse(s, &t) != APR_SUCCESS) {
        SD_CHECK(!canonical_date(s), "canonical date '%s' refused", s);
        return;
    }
    SD_CHECK(t >= 0, "'%s' parsed before 1970", s);
    SD_CHECK(t % 1000 == 0, "'%s' parsed with sub-millisecond part", s);
    const char *f = sd_record_iso8601_format(p, t);
    SD_CHECK(f != NULL, "format failed");
    SD_CHECK(sd_record_iso8601_parse(f, &t2) == APR_SUCCESS && t2 == t,
             "'%s' parsed to %" APR_TIME_T_FMT " which formats as '%s', which"
             " does not parse back to it", s, t, f);
    if (canonical_date(s)) {
        SD_CHECK(strcmp(f, s) == 0, "'%s' formats back as '%s'", s, f);
    }
}

/* json_equal compares object keys as C strings; these may hold NULs. */
static int same_json(const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b)) {
        return 0;
    }
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b)) {
            return 0;
        }
        for (void *it = json_object_iter((json_t *)a); it;
             it = json_object_iter_next((json_t *)a, it)) {
            const json_t *vb = json_object_getn(b, json_object_iter_key(it),
                                                json_object_iter_key_len(it));
            if (!vb || !same_json(json_object_iter_value(it), vb)) {
                return 0;
            }
        }
        return 1;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            return 0;
        }
        for (size_t i = 0; i < json_array_size(a); ++i) {
            if (!same_json(json_array_get(a, i), json_array_get(b, i))) {
                return 0;
            }
        }
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b)
               && memcmp(json_string_value(a), json_string_value(b),
                         json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL:
        return json_real_value(a) == json_real_value(b);
    default:
        return 1;
    }
}

static int key_is(const char *key, size_t klen, const char *word)
{
    return klen == strlen(word) && memcmp(key, word, klen) == 0;
}

/* "0".."4294967294" without leading zeros: JavaScript lists these first.
 * Checked as "prints back as itself", not digit by digit as json.c does,
 * so the oracle does not share the implementation's mistakes. */
static int integer_like(const char *k, size_t n)
{
    char copy[11], canon[24];
    unsigned long long v;
    if (n == 0 || n > 10 || k[0] < '0' || k[0] > '9') {
        return 0;
    }
    memcpy(copy, k, n);
    copy[n] = '\0';
    v = strtoull(copy, NULL, 10);
    snprintf(canon, sizeof(canon), "%llu", v);
    return strcmp(canon, copy) == 0 && v < 4294967295ULL;
}

static void check_record(const sd_record *rec, int *has_int_keys)
{
    json_t *value;

    SD_CHECK(json_is_object(rec->cookie), "cookie is not an object");
    SD_CHECK(json_is_object(rec->data), "data is not an object");
    *has_int_keys = 0;
    for (void *it = json_object_iter(rec->data); it;
         it = json_object_iter_next(rec->data, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        SD_CHECK(!key_is(key, klen, "cookie"), "data holds \"cookie\"");
        for (int i = 0; reserved[i]; ++i) {
            SD_CHECK(!key_is(key, klen, reserved[i]), "data holds \"%s\"", key);
        }
        *has_int_keys |= integer_like(key, klen);
    }
    value = json_object_get(rec->cookie, "expires");
    if (json_is_string(value)) {
        apr_time_t t;
        (void)sd_record_iso8601_parse(json_string_value(value), &t);
    }
}

static void check_js_number(double d)
{
    char out[SD_JSON_NUMBER_BUF + 8];
    memset(out, 'X', sizeof(out));
    size_t n = sd_json_js_number(d, out);
    SD_CHECK(n < SD_JSON_NUMBER_BUF && out[n] == '\0' && strlen(out) == n,
             "length %zu for %.17g", n, d);
    SD_CHECK(out[SD_JSON_NUMBER_BUF] == 'X', "wrote past the buffer for %.17g", d);
    if (d != d || d - d != 0.0) {
        SD_CHECK(strcmp(out, "null") == 0, "'%s' for a non-finite number", out);
        return;
    }
    /* JSON number grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? */
    const char *c = out;
    if (*c == '-') ++c;
    SD_CHECK(*c >= '0' && *c <= '9' && !(c[0] == '0' && c[1] >= '0' && c[1] <= '9'),
             "'%s' is not a JSON number", out);
    while (*c >= '0' && *c <= '9') ++c;
    if (*c == '.') {
        ++c;
        SD_CHECK(*c >= '0' && *c <= '9', "'%s' is not a JSON number", out);
        while (*c >= '0' && *c <= '9') ++c;
    }
    if (*c == 'e') {
        ++c;
        SD_CHECK(*c == '+' || *c == '-', "'%s': JS writes the exponent sign", out);
        ++c;
        SD_CHECK(*c >= '0' && *c <= '9', "'%s' is not a JSON number", out);
        while (*c >= '0' && *c <= '9') ++c;
    }
    SD_CHECK(*c == '\0', "'%s' is not a JSON number", out);
    SD_CHECK(strtod(out, NULL) == d, "'%s' does not read back as %.17g", out, d);
}

static void check_scan(apr_pool_t *p, const char *buf, size_t size)
{
    json_t *parsed, *built;
    apr_size_t len = 0;
    char *out;

    if (!sd_json_scan_value(buf, size)) {
        SD_CHECK(!sd_json_scan_build(p, buf, size), "built what the scan refused");
        return;
    }
    built = sd_json_track(p, sd_json_scan_build(p, buf, size));
    SD_CHECK(built != NULL, "scan accepted but did not build");
    out = sd_json_dump(p, built, &len);
    SD_CHECK(out && len == size && memcmp(out, buf, size) == 0,
             "built value dumps differently: %s", out ? out : "(null)");
    if (buf[0] != '{' && buf[0] != '[') {
        return;   /* sd_json_parse reads only objects and arrays */
    }
    parsed = sd_json_parse(p, buf, size, NULL);
    SD_CHECK(parsed != NULL, "scan accepted what jansson refuses");
    SD_CHECK(same_json(parsed, built), "built and parsed values differ");
    out = sd_json_dump(p, parsed, &len);
    SD_CHECK(out && len == size && memcmp(out, buf, size) == 0,
             "scan accepted a text that does not dump back as itself: %s", out ? out : "(null)");
}

static void check_load(apr_pool_t *p, const char *buf, size_t size)
{
    sd_record a, b;
    sd_fields *f = NULL;
    const char *err = NULL;
    int la = sd_record_load(p, buf, size, &a, &f, &err);
    int lb = sd_record_decode(p, buf, size, &b, &err);
    apr_size_t x = 0, y = 0;
    char *fx, *fy;
    sd_record_meta meta = { "realm", 3, apr_time_from_sec(1795857861), apr_time_from_sec(1700000000), 0,
                            SD_RECORD_LOGIN_PASSWORD };
    const char *ra, *rb;

    SD_CHECK(la == lb, "sd_record_load %s what sd_record_decode %s", la ? "accepts" : "refuses",
             lb ? "accepts" : "refuses");
    if (!la) {
        return;
    }
    ra = sd_record_realm(&a);
    rb = sd_record_realm(&b);
    SD_CHECK(sd_record_generation(&a) == sd_record_generation(&b)
             && sd_record_ended(&a) == sd_record_ended(&b)
             && sd_record_created(&a) == sd_record_created(&b)
             && sd_record_saved(&a) == sd_record_saved(&b)
             && sd_record_expires(&a) == sd_record_expires(&b)
             && sd_record_lifetime(&a, 86400000000LL) == sd_record_lifetime(&b, 86400000000LL)
             && (ra ? rb && strcmp(ra, rb) == 0 : !rb), "the readers disagree");
    SD_CHECK(same_json(sd_record_cookie_of(p, &a), b.cookie), "cookies differ");
    fx = sd_fields_dump(f, &x);
    fy = sd_json_dump(p, b.data, &y);
    SD_CHECK(fx && fy && x == y && memcmp(fx, fy, x) == 0, "fields dump differently:\n  %s\n  %s",
             fx ? fx : "(null)", fy ? fy : "(null)");
    /* A GET / of a logged-in user: read, count, consume the flash. */
    json_int_t n = json_integer_value(sd_fields_get(f, "visitCount"));
    SD_CHECK(n == json_integer_value(json_object_get(b.data, "visitCount")), "visitCount differs");
    sd_fields_set_new(f, "visitCount", json_integer(n + 1));
    json_object_set_new(b.data, "visitCount", json_integer(n + 1));
    sd_fields_del(f, "flash");
    json_object_del(b.data, "flash");
    /* The cookie's settings vary with the input. */
    sd_record_cookie_attrs ca = { size % 3 ? 86400000000LL : 0, 1795857861033000LL, (int)(size & 1),
                                  (int)((size >> 1) & 1), size % 5 ? NULL : "d\"x",
                                  size % 7 ? "/" : "/p\x01", size % 4 ? "lax" : NULL };
    b.cookie = sd_json_track(p, sd_record_cookie(b.cookie, &ca));
    SD_CHECK(b.cookie != NULL, "sd_record_cookie failed");
    fx = sd_record_encode_fields(p, &a, &ca, &meta, f, &x);
    fy = sd_record_set_meta(&b, &meta) ? sd_record_encode(p, b.cookie, b.data, &y) : NULL;
    SD_CHECK((fx == NULL) == (fy == NULL), "one encoding failed, not the other");
    SD_CHECK(!fx || (x == y && memcmp(fx, fy, x) == 0), "spliced record differs:\n  %s\n  %s",
             fx, fy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = sd_fuzz_pool();
    /* Exactly size bytes: the memcached value is length-delimited. */
    char *buf = malloc(size ? size : 1);
    sd_record rec, rec2;
    const char *err = NULL;

    if (!buf) {
        abort();
    }
    if (size) {
        memcpy(buf, data, size);
    }

    if (sd_record_decode(p, buf, size, &rec, &err)) {
        int int_keys = 0, int_keys2 = 0;
        check_record(&rec, &int_keys);

        apr_size_t len = 0, len2 = 0;
        char *enc = sd_record_encode(p, rec.cookie, rec.data, &len);
        SD_CHECK(enc != NULL, "decoded record does not encode");
        SD_CHECK(strlen(enc) == len, "length %zu disagrees with the text",
                 (size_t)len);
        SD_CHECK(int_keys || (len >= 11 && memcmp(enc, "{\"cookie\":{", 11) == 0),
                 "encoding does not start with the cookie: %.40s", enc);

        err = NULL;
        SD_CHECK(sd_record_decode(p, enc, len, &rec2, &err),
                 "re-decode of our own encoding failed: %s\n  text: %s",
                 err ? err : "?", enc);
        check_record(&rec2, &int_keys2);
        SD_CHECK(same_json(rec.cookie, rec2.cookie), "cookie changed: %s", enc);
        SD_CHECK(same_json(rec.data, rec2.data), "data changed: %s", enc);

        char *enc2 = sd_record_encode(p, rec2.cookie, rec2.data, &len2);
        SD_CHECK(enc2 && len2 == len && memcmp(enc, enc2, len) == 0,
                 "not a fixed point:\n  %s\n  %s", enc, enc2 ? enc2 : "(null)");

        /* What the session loader keeps to detect modifications. */
        SD_CHECK(sd_json_dump(p, rec.data, NULL) != NULL, "data does not dump");
    }
    else {
        SD_CHECK(err != NULL && *err, "decode failed without a reason");
    }

    check_scan(p, buf, size);
    check_load(p, buf, size);

    if (size >= sizeof(double)) {
        double d;
        memcpy(&d, data, sizeof(d));
        check_js_number(d);
    }

    char *s = sd_fuzz_cstr(data, size);
    check_iso8601(p, s);
    free(s);

    free(buf);
    sd_fuzz_pool_done(p);
    return 0;
}
