/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Fuzz target: the stored-session JSON codec and ISO 8601 dates
 * (sd_record_decode, sd_record_encode, sd_json_dump,
 * sd_record_iso8601_parse, sd_record_iso8601_format).
 *
 * The input is a value as memcached would return it (any bytes: another
 * app, a peer with a bug or an attacker with access to memcached wrote it).
 * For every value the decoder accepts:
 *  - "cookie" is an object, and the record holds no member express-session
 *    drops on load (id, req, touch, save, ...);
 *  - encode(decoded) succeeds, puts "cookie" first (after integer-like
 *    keys, which JSON.stringify lists first), decodes again to an equal
 *    object (compared with key lengths, as keys may hold NULs), and
 *    encoding that second decode gives byte-identical text (the codec is a
 *    fixed point);
 *  - cookie.expires, when a string, goes through sd_record_iso8601_parse as the
 *    session loader does.
 * The reader takes exactly what jansson's json_loadb takes (an oracle
 * here only: the module reads with sd_json_parse alone), but raw NULs.
 * And the session's write, as the session makes it (a count, a flash
 * consumed, the cookie's settings varying with the input, our member):
 * it decodes again, and every reader reads back what was written.
 * The first 8 bytes as a double go to sd_json_js_number, whose text must
 * fit its buffer, be a JSON number (or null for NaN/inf) and read back as
 * the same double. The input as a C string also goes to sd_record_iso8601_parse. Whatever it
 * accepts must format back into a string it accepts with the same time, and
 * a canonical date (real calendar day, seconds 00-59, .sss, Z) must format
 * back into exactly the input. */
#include "fuzz_common.h"

#include "sd_json.h"
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

static void check_record(const json_t *rec, int *has_int_keys)
{
    json_t *value;

    SD_CHECK(json_is_object(json_object_get(rec, "cookie")), "cookie is not an object");
    *has_int_keys = 0;
    for (void *it = json_object_iter((json_t *)rec); it;
         it = json_object_iter_next((json_t *)rec, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        for (int i = 0; reserved[i]; ++i) {
            SD_CHECK(!key_is(key, klen, reserved[i]), "the record holds \"%s\"", key);
        }
        *has_int_keys |= integer_like(key, klen);
    }
    value = json_object_get(json_object_get(rec, "cookie"), "expires");
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

/* A GET / of a logged-in user: read, count, consume the flash, write. */
static void check_write(apr_pool_t *p, json_t *rec, size_t size)
{
    sd_record_meta meta = { "realm", 3, apr_time_from_sec(1795857861), apr_time_from_sec(1700000000), 0,
                            SD_RECORD_LOGIN_PASSWORD };
    /* The cookie's settings vary with the input. */
    sd_record_cookie_attrs ca = { size % 3 ? 86400000000LL : 0, 1795857861033000LL, (int)(size & 1),
                                  (int)((size >> 1) & 1), size % 5 ? NULL : "d\"x",
                                  size % 7 ? "/" : "/p\x01", size % 4 ? "lax" : NULL };
    json_int_t n = json_integer_value(json_object_get(rec, "visitCount"));
    apr_size_t len = 0;
    const char *err = NULL;
    sd_record_meta m;
    char *enc;
    json_t *back;

    (void)sd_record_deadline(rec, 86400000000LL, 3600000000LL);
    (void)sd_record_lifetime(rec, 86400000000LL);
    json_object_set_new(rec, "visitCount", json_integer(n + 1));
    json_object_del(rec, "flash");
    enc = sd_record_encode(p, rec, &ca, &meta, &len);
    SD_CHECK(enc != NULL, "the session's write failed");
    back = sd_record_decode(p, enc, len, &err);
    SD_CHECK(back != NULL, "the session's write does not decode: %s", err ? err : "?");
    m = sd_record_meta_read(back);
    SD_CHECK(m.gen == 3 && !m.ended && m.realm && strcmp(m.realm, "realm") == 0
             && m.created == meta.created
             && sd_record_saved(back) >= meta.saved
             && sd_record_expires(back) == (ca.lifetime ? 1795857861033000LL : 0)
             && sd_record_lifetime(back, 86400000000LL * 2) == ca.lifetime
             && json_integer_value(json_object_get(back, "visitCount")) == n + 1
             && !json_object_get(back, "flash"), "the readers do not read back the write: %s", enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = sd_fuzz_pool();
    /* Exactly size bytes: the memcached value is length-delimited. */
    char *buf = malloc(size ? size : 1);
    json_t *rec, *rec2;
    const char *err = NULL;

    if (!buf) {
        abort();
    }
    if (size) {
        memcpy(buf, data, size);
    }

    /* json_loadb lets some raw NUL bytes through ({"a":0\0}), which RFC
     * 8259 does not: inputs holding one are the reader's alone. */
    if (!memchr(buf, '\0', size)) {
        json_t *oracle = json_loadb(buf, size, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, NULL);
        json_t *mine = sd_json_parse(NULL, buf, size, NULL);
        SD_CHECK(!oracle == !mine, "sd_json_parse %s what json_loadb %s", mine ? "takes" : "refuses",
                 oracle ? "takes" : "refuses");
        json_decref(oracle);
        json_decref(mine);
    }
    if ((rec = sd_record_decode(p, buf, size, &err)) != NULL) {
        int int_keys = 0, int_keys2 = 0;
        check_record(rec, &int_keys);

        apr_size_t len = 0, len2 = 0;
        char *enc = sd_record_encode(p, rec, NULL, NULL, &len);
        SD_CHECK(enc != NULL, "decoded record does not encode");
        SD_CHECK(strlen(enc) == len, "length %zu disagrees with the text",
                 (size_t)len);
        SD_CHECK(int_keys || (len >= 11 && memcmp(enc, "{\"cookie\":{", 11) == 0),
                 "encoding does not start with the cookie: %.40s", enc);

        err = NULL;
        SD_CHECK((rec2 = sd_record_decode(p, enc, len, &err)) != NULL,
                 "re-decode of our own encoding failed: %s\n  text: %s",
                 err ? err : "?", enc);
        check_record(rec2, &int_keys2);
        SD_CHECK(same_json(rec, rec2), "the record changed: %s", enc);
        SD_CHECK(sd_record_same_fields(rec, rec2), "the fields changed: %s", enc);

        char *enc2 = sd_record_encode(p, rec2, NULL, NULL, &len2);
        SD_CHECK(enc2 && len2 == len && memcmp(enc, enc2, len) == 0,
                 "not a fixed point:\n  %s\n  %s", enc, enc2 ? enc2 : "(null)");
        check_write(p, rec, size);
    }
    else {
        SD_CHECK(err != NULL && *err, "decode failed without a reason");
    }


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
