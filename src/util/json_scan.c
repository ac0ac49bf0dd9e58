/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Scanner for JSON in sd_json_dump's canonical form. One recursive
 * descent both checks and (when asked) builds, so what is built is always
 * exactly what was checked. Every rule below is "accept only what the
 * dumper writes": a refusal costs a jansson parse, an acceptance that the
 * dumper would not reproduce would change stored bytes. */
#include "sd_json_scan.h"

#include <string.h>

#include <apr_escape.h>

typedef struct {
    const char *s, *end;
    apr_pool_t *p;          /* NULL: check only                         */
} scanner;

/* jansson's rules (utf.c): lead bytes C2..F4, continuation bytes 10xxxxxx,
 * the shortest form only, no UTF-16 surrogates, at most U+10FFFF. Returns
 * the sequence's length at s (< end), or 0. */
static apr_size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0], v;
    apr_size_t n;
    if (c < 0x80) {
        return 1;
    }
    if (c < 0xC2 || c > 0xF4) {
        return 0;
    }
    n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if ((apr_size_t)(end - s) < n) {
        return 0;
    }
    v = c & (0x3F >> (n - 1));
    for (apr_size_t i = 1; i < n; ++i) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)))
        || (n == 4 && (v < 0x10000 || v > 0x10FFFF))) {
        return 0;
    }
    return n;
}

int sd_json_scan_utf8(const char *s, apr_size_t n)
{
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    while (u < end) {
        apr_size_t k = utf8_seq(u, end);
        if (!k) {
            return 0;
        }
        u += k;
    }
    return 1;
}

/* The one-letter escape the dumper writes for c, or 0. */
static char short_escape(unsigned char c)
{
    switch (c) {
    case '"':  return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default:   return 0;
    }
}

static int lower_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* At an escape's backslash: its length (2 or 6) and decoded byte, or 0
 * when the dumper would not have written it (\/, \u0041, upper-case hex,
 * \u000a for \n, any \u beyond the controls). */
static apr_size_t canonical_escape(const char *s, const char *end, char *byte)
{
    int hi, lo;
    if (end - s < 2) {
        return 0;
    }
    switch (s[1]) {
    case '"':  *byte = '"'; return 2;
    case '\\': *byte = '\\'; return 2;
    case 'b':  *byte = '\b'; return 2;
    case 'f':  *byte = '\f'; return 2;
    case 'n':  *byte = '\n'; return 2;
    case 'r':  *byte = '\r'; return 2;
    case 't':  *byte = '\t'; return 2;
    case 'u':
        if (end - s < 6 || s[2] != '0' || s[3] != '0'
            || (hi = lower_hex(s[4])) < 0 || hi > 1 || (lo = lower_hex(s[5])) < 0
            || short_escape((unsigned char)(hi * 16 + lo))) {
            return 0;
        }
        *byte = (char)(hi * 16 + lo);
        return 6;
    default:
        return 0;
    }
}

/* At an opening quote: moves past the closing one. *escaped says whether
 * the content holds an escape. */
static int scan_string(scanner *sc, const char **content, apr_size_t *n, int *escaped)
{
    const unsigned char *u = (const unsigned char *)sc->s + 1;
    const unsigned char *end = (const unsigned char *)sc->end;
    char byte;
    *escaped = 0;
    while (u < end) {
        unsigned c = *u;
        if (c == '"') {
            *content = sc->s + 1;
            *n = (apr_size_t)((const char *)u - *content);
            sc->s = (const char *)u + 1;
            return 1;
        }
        if (c == '\\') {
            apr_size_t k = canonical_escape((const char *)u, sc->end, &byte);
            if (!k) {
                return 0;
            }
            *escaped = 1;
            u += k;
        }
        else if (c < 0x20) {
            return 0;
        }
        else if (c < 0x80) {
            ++u;
        }
        else {
            apr_size_t k = utf8_seq(u, end);
            if (!k) {
                return 0;
            }
            u += k;
        }
    }
    return 0;
}

/* Decodes canonical content (already checked) into out; returns its length. */
static apr_size_t unescape(const char *s, apr_size_t n, char *out)
{
    const char *end = s + n;
    apr_size_t o = 0;
    while (s < end) {
        if (*s == '\\') {
            s += canonical_escape(s, end, &out[o++]);
        }
        else {
            out[o++] = *s++;
        }
    }
    return o;
}

const char *sd_json_scan_unquote(apr_pool_t *p, const char *s, apr_size_t n,
                                 apr_size_t *out_len)
{
    scanner sc;
    const char *content;
    apr_size_t len;
    int escaped;
    char *buf;
    /* Checked as the string it is the content of: s[n] is the closing quote
     * of the scanned text, but nothing here relies on it. */
    buf = apr_palloc(p, n + 3);
    buf[0] = '"';
    memcpy(buf + 1, s, n);
    buf[n + 1] = '"';
    buf[n + 2] = '\0';
    sc.s = buf;
    sc.end = buf + n + 2;
    sc.p = NULL;
    if (!scan_string(&sc, &content, &len, &escaped) || sc.s != sc.end) {
        return NULL;
    }
    if (!escaped) {
        *out_len = n;
        return s;
    }
    *out_len = unescape(s, n, buf);
    return buf;
}

/* An integer the dumper writes as itself: -?(0|[1-9][0-9]*), not -0, and
 * small enough (15 digits) to be exact in a double, so sd_json_parse makes
 * it a jansson integer that prints back as these digits. Reals and bigger
 * numbers are refused. */
static int scan_number(scanner *sc, json_int_t *value)
{
    const char *s = sc->s;
    int neg = *s == '-';
    json_int_t v = 0;
    apr_size_t digits = 0;
    s += neg;
    if (s >= sc->end || *s < '0' || *s > '9') {
        return 0;
    }
    if (*s == '0') {
        ++s;
        if (neg) {
            return 0;
        }
        digits = 1;
    }
    else {
        while (s < sc->end && *s >= '0' && *s <= '9') {
            if (++digits > 15) {
                return 0;
            }
            v = v * 10 + (*s++ - '0');
        }
    }
    if (s < sc->end && (*s == '.' || *s == 'e' || *s == 'E')) {
        return 0;
    }
    *value = neg ? -v : v;
    sc->s = s;
    return 1;
}

/* An object key the dumper would list elsewhere: JavaScript lists
 * integer-like keys first, in order. Any all-digit key is refused, which
 * covers them. */
static int digits_only(const char *k, apr_size_t n)
{
    for (apr_size_t i = 0; i < n; ++i) {
        if (k[i] < '0' || k[i] > '9') {
            return 0;
        }
    }
    return n > 0;
}

/* jansson refuses a key holding NUL, even with JSON_ALLOW_NUL. */
static int key_has_nul(const char *k, apr_size_t n)
{
    const char *end = k + n;
    char byte;
    while (k < end) {
        if (*k == '\\') {
            k += canonical_escape(k, end, &byte);
            if (byte == '\0') {
                return 1;
            }
        }
        else {
            ++k;
        }
    }
    return 0;
}

static int scan_value(scanner *sc, int depth, json_t **out);

static int literal(scanner *sc, const char *word, apr_size_t n)
{
    if ((apr_size_t)(sc->end - sc->s) < n || memcmp(sc->s, word, n) != 0) {
        return 0;
    }
    sc->s += n;
    return 1;
}

static json_t *build_string(scanner *sc, const char *content, apr_size_t n, int escaped)
{
    char *buf;
    if (!escaped) {
        return json_stringn_nocheck(content, n);
    }
    buf = apr_palloc(sc->p, n ? n : 1);
    return json_stringn_nocheck(buf, unescape(content, n, buf));
}

/* After a member of an object or an element of an array: a ',' (another
 * follows; no whitespace, as the canonical form has none) or the closer. */
typedef enum { BROKEN, MORE, CLOSED } after_result;

static after_result after_member(scanner *sc, char closer)
{
    if (sc->s < sc->end && (*sc->s == ',' || *sc->s == closer)) {
        return *sc->s++ == ',' ? MORE : CLOSED;
    }
    return BROKEN;
}

static int scan_object(scanner *sc, int depth, sd_json_scan_member *members, int *count,
                       json_t **out)
{
    sd_json_scan_member local[SD_JSON_SCAN_MAX_MEMBERS];
    sd_json_scan_member *m = members ? members : local;
    int n = 0;
    json_t *obj = NULL;

    if (out && !(*out = obj = json_object())) {
        return 0;
    }
    ++sc->s;
    if (sc->s < sc->end && *sc->s == '}') {
        ++sc->s;
        *count = 0;
        return 1;
    }
    for (;;) {
        const char *key;
        apr_size_t klen;
        int escaped;
        json_t *v = NULL;
        if (n == SD_JSON_SCAN_MAX_MEMBERS || sc->s >= sc->end || *sc->s != '"'
            || !scan_string(sc, &key, &klen, &escaped) || digits_only(key, klen)
            || (escaped && key_has_nul(key, klen)) || sc->s >= sc->end || *sc->s != ':') {
            return 0;
        }
        /* Canonical content is one encoding per string, so keys are equal
         * exactly when their texts are. */
        for (int i = 0; i < n; ++i) {
            if (m[i].key_len == klen && memcmp(m[i].key, key, klen) == 0) {
                return 0;
            }
        }
        ++sc->s;
        m[n].key = key;
        m[n].key_len = klen;
        m[n].value = sc->s;
        if (!scan_value(sc, depth + 1, obj ? &v : NULL)) {
            json_decref(v);
            return 0;
        }
        m[n].value_len = (apr_size_t)(sc->s - m[n].value);
        if (obj) {
            char *kbuf = NULL;
            if (escaped) {
                kbuf = apr_palloc(sc->p, klen ? klen : 1);
                klen = unescape(key, klen, kbuf);
                key = kbuf;
            }
            if (json_object_setn_new_nocheck(obj, key, klen, v) != 0) {
                return 0;
            }
        }
        ++n;
        switch (after_member(sc, '}')) {
        case MORE:
            continue;
        case CLOSED:
            *count = n;
            return 1;
        default:
            return 0;
        }
    }
}

static int scan_array(scanner *sc, int depth, json_t **out)
{
    json_t *arr = NULL;
    if (out && !(*out = arr = json_array())) {
        return 0;
    }
    ++sc->s;
    if (sc->s < sc->end && *sc->s == ']') {
        ++sc->s;
        return 1;
    }
    for (;;) {
        json_t *v = NULL;
        if (!scan_value(sc, depth + 1, arr ? &v : NULL)) {
            json_decref(v);
            return 0;
        }
        /* The _new calls release v themselves when they fail. */
        if (arr && json_array_append_new(arr, v) != 0) {
            return 0;
        }
        switch (after_member(sc, ']')) {
        case MORE:
            continue;
        case CLOSED:
            return 1;
        default:
            return 0;
        }
    }
}

/* With out, *out receives the value built so far even on failure (the
 * caller releases it). */
static int scan_value(scanner *sc, int depth, json_t **out)
{
    const char *content;
    apr_size_t n;
    int escaped, count;
    json_int_t i;

    if (depth > SD_JSON_SCAN_MAX_DEPTH || sc->s >= sc->end) {
        return 0;
    }
    switch (*sc->s) {
    case '{':
        return scan_object(sc, depth, NULL, &count, out);
    case '[':
        return scan_array(sc, depth, out);
    case '"':
        if (!scan_string(sc, &content, &n, &escaped)) {
            return 0;
        }
        return !out || (*out = build_string(sc, content, n, escaped)) != NULL;
    case 't':
        return literal(sc, "true", 4) && (!out || (*out = json_true()) != NULL);
    case 'f':
        return literal(sc, "false", 5) && (!out || (*out = json_false()) != NULL);
    case 'n':
        return literal(sc, "null", 4) && (!out || (*out = json_null()) != NULL);
    default:
        return scan_number(sc, &i) && (!out || (*out = json_integer(i)) != NULL);
    }
}

int sd_json_scan_object(const char *buf, apr_size_t len, sd_json_scan_member *members)
{
    scanner sc = { buf, buf + len, NULL };
    int count = 0;
    if (!buf || len == 0 || *buf != '{' || !scan_object(&sc, 1, members, &count, NULL)
        || sc.s != sc.end) {
        return -1;
    }
    return count;
}

/* Past the string whose opening quote is at s (canonical: a backslash
 * always escapes the next byte). */
static const char *skip_string(const char *s, const char *end)
{
    for (++s; s < end && *s != '"'; ++s) {
        s += *s == '\\';
    }
    return s + 1;
}

int sd_json_scan_members(const char *buf, apr_size_t len, sd_json_scan_member *members)
{
    const char *s = buf + 1, *end = buf + len - 1;   /* inside the braces */
    int n = 0;
    while (s < end && n < SD_JSON_SCAN_MAX_MEMBERS) {
        const char *k = s;
        int depth = 0;
        s = skip_string(s, end);
        members[n].key = k + 1;
        members[n].key_len = (apr_size_t)(s - k - 2);
        members[n].value = ++s;   /* past the ':' */
        /* The value ends at the first ',' (or the closing brace) outside
         * any string and any nested container. */
        while (s < end && (depth || *s != ',')) {
            if (*s == '"') {
                s = skip_string(s, end);
                continue;
            }
            depth += (*s == '{' || *s == '[') - (*s == '}' || *s == ']');
            ++s;
        }
        members[n].value_len = (apr_size_t)(s - members[n].value);
        ++n;
        ++s;   /* past the ',' */
    }
    return n;
}

int sd_json_scan_value(const char *buf, apr_size_t len)
{
    scanner sc = { buf, buf + len, NULL };
    return buf && scan_value(&sc, 1, NULL) && sc.s == sc.end;
}

json_t *sd_json_scan_build(apr_pool_t *p, const char *buf, apr_size_t len)
{
    scanner sc = { buf, buf + len, p };
    json_t *v = NULL;
    if (!buf || !scan_value(&sc, 1, &v) || sc.s != sc.end) {
        json_decref(v);
        return NULL;
    }
    return v;
}

apr_size_t sd_json_scan_quote(char *out, const char *s, apr_size_t n)
{
    apr_size_t o = 0;
    out[o++] = '"';
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        char e;
        if (c >= 0x20 && c != '"' && c != '\\') {
            out[o++] = (char)c;
        }
        else if ((e = short_escape(c)) != 0) {
            out[o++] = '\\';
            out[o++] = e;
        }
        else {
            /* Its NUL lands where the closing quote will. */
            memcpy(out + o, "\\u00", 4);
            apr_escape_hex(out + o + 4, &c, 1, 0, NULL);
            o += 6;
        }
    }
    out[o++] = '"';
    return o;
}
