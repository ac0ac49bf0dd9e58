/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* JSON codec for stored sessions and JSON responses, on jansson; every
 * json_t handed out is tied to an APR pool, so requests never free by hand. */
#ifndef SD_JSON_H
#define SD_JSON_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

/* Nesting deeper than this is refused, reading or writing. */
#define SD_JSON_MAX_DEPTH 2048

/* Room for any number js_number writes, with its NUL. */
#define SD_JSON_NUMBER_BUF 32

/* Ties v to p: one json_decref when p is cleared. Returns v (NULL-safe). */
json_t *sd_json_track(apr_pool_t *p, json_t *v);

/* Parses exactly len bytes; NULL on error with *err (from p) saying why.
 * p NULL: the caller owns the value, and no *err.
 * Numbers are read as JSON.parse reads them (doubles); those that are
 * integers within +-2^53 come back as jansson integers, the rest as reals. */
json_t *sd_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                      const char **err);

/* Exactly what JavaScript's JSON.stringify writes for the same value: no
 * spaces; strings with \" \\ \b \f \n \r \t and lower-case \u00xx for
 * other controls, everything else raw UTF-8; numbers in Number#toString
 * form (0.1, 1e+21, 1.5e-7, -0 as 0); object members in insertion order
 * except that integer-like keys ("0".."4294967294") come first, ascending.
 * One pool buffer; NULL only when v is NULL, too deep or memory runs out. */
char *sd_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len);

/* The same text written piece by piece, for members that are not jansson
 * values (the stored session's cookie and ours, made on every write):
 * start zeroed, put "{", keys and values, "}", then take the text (NULL
 * when out of memory, a string was NULL or not UTF-8, or too deep). */
typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} sd_json_out;

void sd_json_out_put(sd_json_out *o, const char *text, size_t n);
void sd_json_out_key(sd_json_out *o, const char *key);
void sd_json_out_value(sd_json_out *o, const json_t *v);
void sd_json_out_string(sd_json_out *o, const char *s);
void sd_json_out_int(sd_json_out *o, json_int_t v);
/* obj's members but those named in skip (a NULL-terminated list, or
 * NULL): its integer-like keys, ascending, when indexed, else the others,
 * as sd_json_dump orders them. */
void sd_json_out_members(sd_json_out *o, const json_t *obj, int indexed, const char *const *skip);
char *sd_json_out_done(apr_pool_t *p, sd_json_out *o, apr_size_t *len);

/* The length of the UTF-8 character at s (RFC 3629: no overlong form,
 * surrogate or code point past U+10FFFF) with *cp its code point, or 0. */
apr_size_t sd_json_utf8(const unsigned char *s, const unsigned char *end, apr_uint32_t *cp);

/* Number#toString of d into out (NaN and infinities as "null", as
 * JSON.stringify writes them). Returns the length. */
size_t sd_json_js_number(double d, char out[SD_JSON_NUMBER_BUF]);

#endif
