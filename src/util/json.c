/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* JSON codec: jansson behind pool lifetimes, plus the stored-session shape. */
#include "sd_json.h"

#include <apr_escape.h>
#include <apr_strings.h>
#include <errno.h>
#include <float.h>
#include <langinfo.h>
#include <math.h>
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

/* JSON.parse reads every number as a double, and JSON.stringify writes an
 * integer as plain digits whatever its size (1e20 as 21 digits). So numbers
 * are read as doubles, as Node does; integers JavaScript holds exactly
 * (|x| <= 2^53) become jansson integers (the routes read visitCount), the
 * rest reals, printed back by js_number(). */
#define SD_JS_SAFE_INTEGER 9007199254740992.0 /* 2^53 */

/* The reader: RFC 8259 as json_loadb reads it (an object or an array, UTF-8
 * without overlong forms or surrogates, "\u0000" in strings but not keys, a
 * repeated key's last value at its first place, nesting to SD_JSON_MAX_DEPTH)
 * with the numbers above; ours as json_loadb costs some 200 instructions a
 * byte, and every request reads a stored session. */
typedef struct {
    const char *s, *start, *end;
    const char *why;
} reader;

static json_t *read_value(reader *r, int depth);

static json_t *fail(reader *r, const char *why)
{
    if (!r->why) {
        r->why = why;
    }
    return NULL;
}

static void skip_space(reader *r)
{
    while (r->s < r->end && (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' || *r->s == '\r')) {
        ++r->s;
    }
}

apr_size_t sd_json_utf8(const unsigned char *s, const unsigned char *end, apr_uint32_t *cp)
{
    size_t n = *s < 0x80 ? 1 : *s < 0xC2 ? 0 : *s < 0xE0 ? 2 : *s < 0xF0 ? 3 : *s < 0xF5 ? 4 : 0;
    apr_uint32_t c = *s & (n == 1 ? 0x7Fu : 0x7Fu >> n);
    if (!n || (size_t)(end - s) < n) {
        return 0;
    }
    for (size_t i = 1; i < n; ++i) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = c << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF))
        || (c >= 0xD800 && c <= 0xDFFF)) {
        return 0;
    }
    *cp = c;
    return n;
}

/* Four hex digits, or -1; n counts the bytes, as APR stops at a NUL. */
static long hex4(const char *s)
{
    unsigned char b[2];
    apr_size_t n = 0;
    return apr_unescape_hex(b, s, 4, 0, &n) == APR_SUCCESS && n == 2 ? b[0] << 8 | b[1] : -1;
}

/* A string, r->s past its opening quote: its bytes in *out (the text itself
 * when it holds no escape, else *copy, malloc'd, which the caller frees). */
static int read_string(reader *r, const char **out, size_t *len, char **copy)
{
    const char *from = r->s, *why = NULL;
    char *o = NULL;
    *copy = NULL;
    for (;;) {
        const char *run = r->s;
        const char *esc = "\"\"\\\\//b\bf\fn\nr\rt\t";
        long cp, lo;
        size_t n;
        while (r->s < r->end && *r->s != '"' && *r->s != '\\') {
            unsigned char c = (unsigned char)*r->s;
            apr_uint32_t ignored;
            n = c < 0x20 ? 0 : c < 0x80 ? 1
                : sd_json_utf8((const unsigned char *)r->s, (const unsigned char *)r->end, &ignored);
            if (!n) {
                why = c < 0x20 ? "control character in string" : "invalid UTF-8";
                break;
            }
            r->s += n;
        }
        if (o) {
            memcpy(o, run, (size_t)(r->s - run));
            o += r->s - run;
        }
        if (why || r->s >= r->end || *r->s == '"') {
            break;
        }
        if (!o) {
            /* Escapes: decoded into a copy, never longer than the text. */
            if (!(o = *copy = malloc((size_t)(r->end - from)))) {
                why = "out of memory";
                break;
            }
            memcpy(o, from, (size_t)(r->s - from));
            o += r->s - from;
        }
        if (++r->s < r->end && *r->s != 'u') {
            const char *e = strchr(esc, *r->s);
            if (!*r->s || !e || (e - esc) % 2) {
                why = "invalid escape";
                break;
            }
            *o++ = e[1];
            ++r->s;
            continue;
        }
        if (r->end - r->s < 5 || (cp = hex4(r->s + 1)) < 0) {
            why = "invalid \\u escape";
            break;
        }
        r->s += 5;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (r->end - r->s < 6 || r->s[0] != '\\' || r->s[1] != 'u'
                || (lo = hex4(r->s + 2)) < 0xDC00 || lo > 0xDFFF) {
                why = "invalid Unicode surrogate";
                break;
            }
            r->s += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            why = "invalid Unicode surrogate";
            break;
        }
        n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        for (size_t i = n; i > 1; --i) {
            o[i - 1] = (char)(0x80 | (cp & 0x3F));
            cp >>= 6;
        }
        o[0] = (char)(n == 1 ? cp : (0xF00 >> n) | cp);
        o += n;
    }
    if (!why && r->s >= r->end) {
        why = "unterminated string";
    }
    if (why) {
        free(*copy);
        *copy = NULL;
        return fail(r, why) != NULL;
    }
    *out = *copy ? *copy : from;
    *len = *copy ? (size_t)(o - *copy) : (size_t)(r->s - from);
    ++r->s;
    return 1;
}

/* Past the digits at p, or NULL when there are none. */
static const char *digits(const char *p, const char *end)
{
    const char *from = p;
    while (p < end && *p >= '0' && *p <= '9') {
        ++p;
    }
    return p > from ? p : NULL;
}

static json_t *read_number(reader *r)
{
    const char *from = r->s, *lead = r->s + (*r->s == '-'), *p;
    int plain;
    char buf[64], *text, *dot;
    double d;

    /* JSON's grammar: no leading zero, digits after '.', 'e' and its sign. */
    if (!(p = digits(lead, r->end)) || (*lead == '0' && p - lead > 1)) {
        return fail(r, "invalid number");
    }
    plain = p - from <= 15;
    if (p < r->end && *p == '.') {
        plain = 0;
        if (!(p = digits(p + 1, r->end))) {
            return fail(r, "invalid number");
        }
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        plain = 0;
        p += p + 1 < r->end && (p[1] == '+' || p[1] == '-');
        if (!(p = digits(p + 1, r->end))) {
            return fail(r, "invalid number");
        }
    }
    r->s = p;
    if (plain) {
        /* At most 15 digits: exact in a double, so an integer as is. */
        json_int_t v = 0;
        for (const char *c = lead; c < p; ++c) {
            v = v * 10 + (*c - '0');
        }
        return json_integer(*from == '-' ? -v : v);
    }
    text = (size_t)(p - from) < sizeof(buf) ? buf : malloc((size_t)(p - from) + 1);
    if (!text) {
        return fail(r, "out of memory");
    }
    memcpy(text, from, (size_t)(p - from));
    text[p - from] = '\0';
    /* strtod wants the locale's decimal point, and another module of the
     * process may have set LC_NUMERIC (PHP's setlocale is process-wide). */
    if ((dot = strchr(text, '.')) != NULL) {
        *dot = *nl_langinfo(RADIXCHAR);
    }
    errno = 0;
    d = strtod(text, NULL);
    if (text != buf) {
        free(text);
    }
    if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) {
        return fail(r, "real number overflow");
    }
    /* The range test before the cast: casting a double outside json_int_t's
     * range (a stored 1e300) is undefined behaviour (fuzz_json, UBSan). */
    return d >= -SD_JS_SAFE_INTEGER && d <= SD_JS_SAFE_INTEGER && d == (double)(json_int_t)d
           ? json_integer((json_int_t)d) : json_real(d);
}

/* An object or an array, r->s past its opening bracket. */
static json_t *read_container(reader *r, int object, int depth)
{
    json_t *c = object ? json_object() : json_array(), *v;
    const char close = object ? '}' : ']';

    skip_space(r);
    if (r->s < r->end && *r->s == close) {
        ++r->s;
        return c ? c : fail(r, "out of memory");
    }
    while (c) {
        const char *key = NULL;
        char *copy = NULL;
        size_t klen = 0;
        int ok;
        if (object) {
            skip_space(r);
            if (r->s >= r->end || *r->s++ != '"' || !read_string(r, &key, &klen, &copy)) {
                break;
            }
            if (memchr(key, '\0', klen)) {
                free(copy);
                fail(r, "NUL byte in object key not supported");
                break;
            }
            skip_space(r);
            if (r->s >= r->end || *r->s++ != ':') {
                free(copy);
                fail(r, "':' expected");
                break;
            }
        }
        v = read_value(r, depth + 1);
        ok = v && (object ? json_object_setn_new_nocheck(c, key, klen, v)
                          : json_array_append_new(c, v)) == 0;
        free(copy);
        if (!ok) {
            break;
        }
        skip_space(r);
        if (r->s < r->end && *r->s == close) {
            ++r->s;
            return c;
        }
        if (r->s >= r->end || *r->s++ != ',') {
            break;
        }
    }
    json_decref(c);
    return fail(r, c ? "',' or closing bracket expected" : "out of memory");
}

static json_t *read_value(reader *r, int depth)
{
    const char *text;
    char *copy;
    size_t len;
    json_t *v;

    skip_space(r);
    if (r->s >= r->end) {
        return fail(r, "unexpected end of input");
    }
    switch (*r->s) {
    case '{':
    case '[':
        return depth > SD_JSON_MAX_DEPTH ? fail(r, "maximum parsing depth reached")
                                         : read_container(r, *r->s++ == '{', depth);
    case '"':
        ++r->s;
        if (!read_string(r, &text, &len, &copy)) {
            return NULL;
        }
        v = json_stringn_nocheck(text, len);
        free(copy);
        return v ? v : fail(r, "out of memory");
    case 't':
    case 'f':
    case 'n':
        text = *r->s == 't' ? "true" : *r->s == 'f' ? "false" : "null";
        len = strlen(text);
        if ((size_t)(r->end - r->s) < len || memcmp(r->s, text, len) != 0) {
            return fail(r, "invalid token");
        }
        r->s += len;
        return *text == 't' ? json_true() : *text == 'f' ? json_false() : json_null();
    default:
        return read_number(r);
    }
}

json_t *sd_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                      const char **err)
{
    reader r = { buf, buf, buf + len, NULL };
    json_t *v = NULL;

    skip_space(&r);
    if (r.s < r.end && (*r.s == '{' || *r.s == '[')) {
        v = read_value(&r, 1);
    }
    skip_space(&r);
    if (v && r.s != r.end) {
        json_decref(v);
        v = fail(&r, "end of input expected");
    }
    if (!v) {
        if (err && p) {
            *err = apr_psprintf(p, "invalid JSON at byte %d: %s", (int)(r.s - r.start),
                                r.why ? r.why : "'[' or '{' expected");
        }
        return NULL;
    }
    return p ? sd_json_track(p, v) : v;
}

/* Where the next n bytes go, or NULL (out of memory, or failed before). */
static char *room(sd_json_out *o, size_t n)
{
    if (!o->failed && o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        char *nb;
        while (cap < o->len + n + 1) {
            cap *= 2;
        }
        if (!(nb = realloc(o->buf, cap))) {
            o->failed = 1;
        }
        else {
            o->buf = nb;
            o->cap = cap;
        }
    }
    return o->failed ? NULL : o->buf + o->len;
}

void sd_json_out_put(sd_json_out *o, const char *s, size_t n)
{
    char *w = room(o, n);
    if (w) {
        memcpy(w, s, n);
        o->len += n;
    }
}

/* JSON.stringify's string form (ES2019): \" \\ \b \f \n \r \t, other controls
 * as lower-case \u00xx, all else (/, <, DEL, U+2028/2029, non-ASCII) as raw
 * UTF-8, valid in jansson (no lone surrogate). Byte by byte into room for
 * the worst case: every key and string of every session write comes here. */
static void out_string(sd_json_out *o, const char *s, size_t n)
{
    static const char letters[] = "btnvfr";   /* \b to \r; \v is \u000b */
    char *w = room(o, 6 * n + 2);

    if (!w) {
        return;
    }
    *w++ = '"';
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *w++ = (char)c;
            continue;
        }
        *w++ = '\\';
        if (c == '"' || c == '\\') {
            *w++ = (char)c;
        }
        else if (c >= '\b' && c <= '\r' && c != '\v') {
            *w++ = letters[c - '\b'];
        }
        else {
            memcpy(w, "u00", 3);
            apr_escape_hex(w + 3, &c, 1, 0, NULL);
            w += 5;
        }
    }
    *w++ = '"';
    o->len = (size_t)(w - o->buf);
}

size_t sd_json_js_number(double d, char out[SD_JSON_NUMBER_BUF])
{
    static const char zeros[] = "000000000000000000000";
    char sci[40], digits[20];
    int k = 0, n, pos = 0;
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
     * also the closest when several lengths tie). Past DBL_MIN one of
     * k <= 15 digits is the 15-digit rounding less its trailing zeros (the
     * double is within half an ulp of it), so tries start there. */
    for (int prec = fabs(d) < DBL_MIN ? 1 : 15; prec <= 17; ++prec) {
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
        if (*m >= '0' && *m <= '9') {   /* not the locale's decimal point */
            digits[k++] = *m;
        }
    }
    while (k > 1 && digits[k - 1] == '0') {
        --k;
    }
    n = atoi(m + 1) + 1;   /* the decimal point sits after n digits */
    if (k <= n && n <= 21) {
        pos += snprintf(out + pos, SD_JSON_NUMBER_BUF - 1, "%.*s%.*s", k, digits, n - k, zeros);
    }
    else if (0 < n && n <= 21) {
        pos += snprintf(out + pos, SD_JSON_NUMBER_BUF - 1, "%.*s.%.*s", n, digits, k - n,
                        digits + n);
    }
    else if (-6 < n && n <= 0) {
        pos += snprintf(out + pos, SD_JSON_NUMBER_BUF - 1, "0.%.*s%.*s", -n, zeros, k, digits);
    }
    else {
        pos += snprintf(out + pos, SD_JSON_NUMBER_BUF - 1, "%c%s%.*se%c%d", digits[0],
                        k > 1 ? "." : "", k - 1, digits + 1, n > 0 ? '+' : '-', abs(n - 1));
    }
    return (size_t)pos;
}

/* A canonical array index ("0", "7", "42"; not "07" or "-1"), below 2^32-1:
 * JavaScript lists such keys first, in ascending numeric order. k is a
 * jansson key, so a NUL follows its n bytes. */
static int array_index(const char *k, size_t n, unsigned long long *out)
{
    if (n > 10 || (n > 1 && k[0] == '0') || digits(k, k + n) != k + n) {
        return 0;
    }
    *out = strtoull(k, NULL, 10);
    return *out < 4294967295ULL;
}

static void out_value(sd_json_out *o, const json_t *v, int depth);

static void out_key(sd_json_out *o, const char *key, size_t klen)
{
    /* Only an object's first member follows its brace. */
    if (!o->len || o->buf[o->len - 1] != '{') {
        sd_json_out_put(o, ",", 1);
    }
    out_string(o, key, klen);
    sd_json_out_put(o, ":", 1);
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

static int skipped(const char *k, size_t kl, const char *const *skip)
{
    for (; skip && *skip; ++skip) {
        if (strlen(*skip) == kl && memcmp(*skip, k, kl) == 0) {
            return 1;
        }
    }
    return 0;
}

/* obj's members but those named in skip, in JavaScript's order: the
 * integer-like keys ascending (indexed), or the others as inserted. */
static void out_members(sd_json_out *o, const json_t *obj, int indexed, const char *const *skip,
                        int depth)
{
    size_t nidx = 0, size = json_object_size(obj);
    js_index_key *idx = NULL;
    unsigned long long a = 0;

    /* qsort: a stored value may hold 100k of them in any order, on which an
     * insertion sort took minutes (fuzz_json); keys are unique, so its
     * instability does not matter. */
    for (void *it = json_object_iter((json_t *)obj); it;
         it = json_object_iter_next((json_t *)obj, it)) {
        const char *k = json_object_iter_key(it);
        size_t kl = json_object_iter_key_len(it);
        if (array_index(k, kl, &a) != indexed || skipped(k, kl, skip)) {
            continue;
        }
        if (!indexed) {
            out_key(o, k, kl);
            out_value(o, json_object_iter_value(it), depth + 1);
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
        out_key(o, json_object_iter_key(idx[i].it), json_object_iter_key_len(idx[i].it));
        out_value(o, json_object_iter_value(idx[i].it), depth + 1);
    }
    free(idx);
}

static void out_value(sd_json_out *o, const json_t *v, int depth)
{
    char num[SD_JSON_NUMBER_BUF];

    if (depth > SD_JSON_MAX_DEPTH) {
        o->failed = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        sd_json_out_put(o, "{", 1);
        out_members(o, v, 1, NULL, depth);
        out_members(o, v, 0, NULL, depth);
        sd_json_out_put(o, "}", 1);
        break;
    case JSON_ARRAY:
        sd_json_out_put(o, "[", 1);
        for (size_t i = 0; i < json_array_size(v); ++i) {
            if (i) {
                sd_json_out_put(o, ",", 1);
            }
            out_value(o, json_array_get(v, i), depth + 1);
        }
        sd_json_out_put(o, "]", 1);
        break;
    case JSON_STRING:
        out_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        sd_json_out_int(o, json_integer_value(v));
        break;
    case JSON_REAL:
        sd_json_out_put(o, num, sd_json_js_number(json_real_value(v), num));
        break;
    case JSON_TRUE:
        sd_json_out_put(o, "true", 4);
        break;
    case JSON_FALSE:
        sd_json_out_put(o, "false", 5);
        break;
    case JSON_NULL:
    default:
        sd_json_out_put(o, "null", 4);
        break;
    }
}

void sd_json_out_key(sd_json_out *o, const char *key)
{
    out_key(o, key, strlen(key));
}

void sd_json_out_value(sd_json_out *o, const json_t *v)
{
    out_value(o, v, 1);
}

void sd_json_out_string(sd_json_out *o, const char *s)
{
    size_t n = s ? strlen(s) : 0, i = 0, c = 1;
    apr_uint32_t cp;
    while (i < n && c) {
        i += c = sd_json_utf8((const unsigned char *)s + i, (const unsigned char *)s + n, &cp);
    }
    if (!s || i < n) {
        o->failed = 1;   /* as json_string refuses it */
        return;
    }
    out_string(o, s, n);
}

/* "%lld" without a formatter, which costs ten times more: every stored
 * session holds several. */
void sd_json_out_int(sd_json_out *o, json_int_t v)
{
    char num[SD_JSON_NUMBER_BUF], *w = num + sizeof(num);
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do {
        *--w = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        *--w = '-';
    }
    sd_json_out_put(o, w, (size_t)(num + sizeof(num) - w));
}

void sd_json_out_members(sd_json_out *o, const json_t *obj, int indexed, const char *const *skip)
{
    out_members(o, obj, indexed, skip, 0);
}

char *sd_json_out_done(apr_pool_t *p, sd_json_out *o, apr_size_t *len)
{
    /* One pool copy of the right size; the work buffer is malloc'd. */
    char *buf = o->failed ? NULL : apr_pstrmemdup(p, o->buf ? o->buf : "", o->len);
    if (buf && len) {
        *len = o->len;
    }
    free(o->buf);
    return buf;
}

char *sd_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len)
{
    sd_json_out o = { NULL, 0, 0, 0 };

    if (!v) {
        return NULL;
    }
    out_value(&o, v, 0);
    return sd_json_out_done(p, &o, len);
}
