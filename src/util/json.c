/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* JSON codec: jansson behind pool lifetimes, plus the stored-session shape. */
#include "sd_json.h"

#include <apr_escape.h>
#include <apr_strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static apr_status_t json_release(void *v)
{
    json_decref((json_t *)v);
    return APR_SUCCESS;
}

json_t *sd_json_track(apr_pool_t *p, json_t *v)
{
    if (v) {
        apr_pool_cleanup_register(p, v, json_release, apr_pool_cleanup_null);
    }
    return v;
}

/* JavaScript has one number type. A peer's JSON.stringify writes integers
 * as plain digits whatever their size (1e20 is "100000000000000000000"),
 * which jansson's integer parser would refuse, and JSON.parse reads every
 * number as a double. So numbers are decoded as doubles, exactly as Node
 * does, and those that are integers JavaScript holds exactly (|x| <= 2^53)
 * become jansson integers again, which is what the routes read (visitCount).
 * Everything else stays a real and is printed back by js_number(). */
#define SD_JS_SAFE_INTEGER 9007199254740992.0 /* 2^53 */

/* The range test must come before the cast: converting a double outside
 * json_int_t's range (a stored 1e300) is undefined behaviour (found by
 * fuzz/fuzz_json.c under UBSan). */
static int is_safe_integer(double d)
{
    return d >= -SD_JS_SAFE_INTEGER && d <= SD_JS_SAFE_INTEGER
           && d == (double)(json_int_t)d;
}

/* The integer that a real member stands for, or NULL to keep it. */
static json_t *as_integer(const json_t *m)
{
    return json_is_real(m) && is_safe_integer(json_real_value(m))
           ? json_integer((json_int_t)json_real_value(m)) : NULL;
}

static void integers_from_reals(json_t *v, int depth)
{
    json_t *m, *i;
    if (depth > SD_JSON_MAX_DEPTH) {
        return;
    }
    if (json_is_object(v)) {
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            m = json_object_iter_value(it);
            if ((i = as_integer(m)) != NULL) {
                json_object_iter_set_new(v, it, i);
            }
            else {
                integers_from_reals(m, depth + 1);
            }
        }
    }
    for (size_t k = 0; json_is_array(v) && k < json_array_size(v); ++k) {
        m = json_array_get(v, k);
        if ((i = as_integer(m)) != NULL) {
            json_array_set_new(v, k, i);
        }
        else {
            integers_from_reals(m, depth + 1);
        }
    }
}

json_t *sd_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                      const char **err)
{
    json_error_t jerr;
    /* JSON_ALLOW_NUL: a "\u0000" inside a string is valid JSON that Node
     * accepts; refusing it would turn a peer's session into garbage. */
    json_t *v = json_loadb(buf, len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
                           &jerr);
    if (!v) {
        if (err && p) {
            *err = apr_psprintf(p, "invalid JSON at byte %d: %s",
                                jerr.position, jerr.text);
        }
        return NULL;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (is_safe_integer(d)) {
            json_decref(v);
            v = json_integer((json_int_t)d);
        }
    }
    integers_from_reals(v, 0);
    return p ? sd_json_track(p, v) : v;
}

/* ------------------------------------------------ JSON.stringify output */

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} js_out;

static void out_put(js_out *o, const char *s, size_t n)
{
    if (o->failed) {
        return;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        char *nb;
        while (cap < o->len + n + 1) {
            cap *= 2;
        }
        nb = realloc(o->buf, cap);
        if (!nb) {
            o->failed = 1;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* JSON.stringify's string form (ES2019 "well-formed"): \" \\ \b \f \n \r
 * \t, other controls as \u00xx in lower case, everything else (/, <, DEL,
 * U+2028/2029, all non-ASCII) as raw UTF-8. jansson guarantees valid UTF-8,
 * so lone surrogates (which JavaScript would write as \udxxx) cannot occur. */
static void out_string(js_out *o, const char *s, size_t n)
{
    size_t run = 0;
    out_put(o, "\"", 1);
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char u[7];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        switch (c) {
        case '"':  rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        default:
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
            apr_escape_hex(u + 4, &c, 1, 0, NULL);
            rep = u;
        }
        out_put(o, s + run, i - run);
        out_put(o, rep, strlen(rep));
        run = i + 1;
    }
    out_put(o, s + run, n - run);
    out_put(o, "\"", 1);
}

size_t sd_json_js_number(double d, char out[SD_JSON_NUMBER_BUF])
{
    char sci[40], digits[20];
    int k = 0, e, n, pos = 0;
    const char *m;

    if (d != d || d - d != 0.0) {
        /* NaN and the infinities: JSON.stringify writes null. */
        memcpy(out, "null", 5);
        return 4;
    }
    if (d == 0.0) {
        /* Including -0, which JavaScript prints as "0". */
        memcpy(out, "0", 2);
        return 1;
    }
    /* Shortest digit string that reads back as the same double: what
     * Number.prototype.toString picks (the correctly rounded one, which is
     * also the closest when several lengths tie). */
    for (int prec = 1; prec <= 17; ++prec) {
        snprintf(sci, sizeof sci, "%.*e", prec - 1, d);
        if (strtod(sci, NULL) == d) {
            break;
        }
    }
    m = sci;
    if (*m == '-') {
        out[pos++] = '-';
        ++m;
    }
    for (; *m && *m != 'e'; ++m) {
        if (*m != '.') {
            digits[k++] = *m;
        }
    }
    while (k > 1 && digits[k - 1] == '0') {
        --k;
    }
    e = atoi(m + 1);
    n = e + 1; /* the decimal point sits after n digits */
    if (k <= n && n <= 21) {
        memcpy(out + pos, digits, (size_t)k);
        pos += k;
        for (int i = 0; i < n - k; ++i) {
            out[pos++] = '0';
        }
    }
    else if (0 < n && n <= 21) {
        memcpy(out + pos, digits, (size_t)n);
        pos += n;
        out[pos++] = '.';
        memcpy(out + pos, digits + n, (size_t)(k - n));
        pos += k - n;
    }
    else if (-6 < n && n <= 0) {
        out[pos++] = '0';
        out[pos++] = '.';
        for (int i = 0; i < -n; ++i) {
            out[pos++] = '0';
        }
        memcpy(out + pos, digits, (size_t)k);
        pos += k;
    }
    else {
        out[pos++] = digits[0];
        if (k > 1) {
            out[pos++] = '.';
            memcpy(out + pos, digits + 1, (size_t)(k - 1));
            pos += k - 1;
        }
        pos += snprintf(out + pos, SD_JSON_NUMBER_BUF - (size_t)pos, "e%c%d",
                        n - 1 < 0 ? '-' : '+', n - 1 < 0 ? -(n - 1) : n - 1);
    }
    out[pos] = '\0';
    return (size_t)pos;
}

/* A canonical array index ("0", "7", "42"; not "07" or "-1"), below 2^32-1:
 * JavaScript lists such keys first, in ascending numeric order. */
static int array_index(const char *k, size_t n, unsigned long long *out)
{
    unsigned long long v = 0;
    if (n == 0 || n > 10 || (n > 1 && k[0] == '0')) {
        return 0;
    }
    for (size_t i = 0; i < n; ++i) {
        if (k[i] < '0' || k[i] > '9') {
            return 0;
        }
        v = v * 10 + (unsigned long long)(k[i] - '0');
    }
    if (v >= 4294967295ULL) {
        return 0;
    }
    *out = v;
    return 1;
}

static void out_value(js_out *o, const json_t *v, int depth);

static void out_member(js_out *o, int *first, const char *key, size_t klen,
                       const json_t *value, int depth)
{
    if (!*first) {
        out_put(o, ",", 1);
    }
    *first = 0;
    out_string(o, key, klen);
    out_put(o, ":", 1);
    out_value(o, value, depth + 1);
}

typedef struct {
    unsigned long long index;
    void *it;
} js_index_key;

static int cmp_index_key(const void *a, const void *b)
{
    const js_index_key *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void out_object(js_out *o, const json_t *obj, int depth)
{
    int first = 1;
    size_t nidx = 0, size = json_object_size(obj);
    js_index_key *idx = NULL;
    unsigned long long a;

    out_put(o, "{", 1);
    /* Integer-like keys first, ascending. Sorted with qsort: a stored value
     * from memcached may hold 100k of them, in any order, and an insertion
     * sort took minutes on that (found while fuzzing fuzz/fuzz_json.c).
     * Keys are unique, so the sort's instability does not matter. */
    for (void *it = json_object_iter((json_t *)obj); it;
         it = json_object_iter_next((json_t *)obj, it)) {
        if (!array_index(json_object_iter_key(it), json_object_iter_key_len(it), &a)) {
            continue;
        }
        if (!idx && !(idx = malloc(size * sizeof(*idx)))) {
            o->failed = 1;
            return;
        }
        idx[nidx].index = a;
        idx[nidx].it = it;
        ++nidx;
    }
    if (nidx > 1) {
        qsort(idx, nidx, sizeof(*idx), cmp_index_key);
    }
    for (size_t i = 0; i < nidx; ++i) {
        out_member(o, &first, json_object_iter_key(idx[i].it),
                   json_object_iter_key_len(idx[i].it),
                   json_object_iter_value(idx[i].it), depth);
    }
    free(idx);
    for (void *it = json_object_iter((json_t *)obj); it;
         it = json_object_iter_next((json_t *)obj, it)) {
        const char *k = json_object_iter_key(it);
        size_t kl = json_object_iter_key_len(it);
        if (!array_index(k, kl, &a)) {
            out_member(o, &first, k, kl, json_object_iter_value(it), depth);
        }
    }
    out_put(o, "}", 1);
}

static void out_value(js_out *o, const json_t *v, int depth)
{
    char num[SD_JSON_NUMBER_BUF];
    int n;

    if (depth > SD_JSON_MAX_DEPTH) {
        o->failed = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        out_object(o, v, depth);
        break;
    case JSON_ARRAY:
        out_put(o, "[", 1);
        for (size_t i = 0; i < json_array_size(v); ++i) {
            if (i) {
                out_put(o, ",", 1);
            }
            out_value(o, json_array_get(v, i), depth + 1);
        }
        out_put(o, "]", 1);
        break;
    case JSON_STRING:
        out_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        out_put(o, num, (size_t)n);
        break;
    case JSON_REAL:
        out_put(o, num, sd_json_js_number(json_real_value(v), num));
        break;
    case JSON_TRUE:
        out_put(o, "true", 4);
        break;
    case JSON_FALSE:
        out_put(o, "false", 5);
        break;
    case JSON_NULL:
    default:
        out_put(o, "null", 4);
        break;
    }
}

char *sd_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len)
{
    js_out o = { NULL, 0, 0, 0 };
    char *buf = NULL;

    if (!v) {
        return NULL;
    }
    out_value(&o, v, 0);
    if (!o.failed) {
        /* One pool copy of the right size; the work buffer is malloc'd. */
        buf = apr_pstrmemdup(p, o.buf ? o.buf : "", o.len);
        if (len) {
            *len = o.len;
        }
    }
    free(o.buf);
    return buf;
}
