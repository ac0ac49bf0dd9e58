/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The username rule (see sd_username.h). */
#include "sd_username.h"

/* Decodes one UTF-8 sequence at s[0..n); returns its length, or 0 when it
 * is not well-formed (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
static apr_size_t utf8_next(const unsigned char *s, apr_size_t n, apr_uint32_t *cp)
{
    apr_size_t need;
    apr_uint32_t c = s[0], min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1, c &= 0x1f, min = 0x80;
    }
    else if (c >= 0xe0 && c <= 0xef) {
        need = 2, c &= 0x0f, min = 0x800;
    }
    else if (c >= 0xf0 && c <= 0xf4) {
        need = 3, c &= 0x07, min = 0x10000;
    }
    else {
        return 0;   /* a continuation byte, C0/C1 (overlong ASCII), F5-FF */
    }
    if (n < need + 1) {
        return 0;
    }
    for (apr_size_t i = 1; i <= need; ++i) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return need + 1;
}

static int is_space(apr_uint32_t c)
{
    return c == 0x20 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b)
           || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000
           || c == 0xfeff;
}

static int is_control(apr_uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

sd_username_verdict sd_username_check(const char *name, apr_size_t len, apr_size_t max_len)
{
    const unsigned char *s = (const unsigned char *)name;
    apr_uint32_t cp = 0;
    int first = 1;

    if (!name || len == 0) {
        return SD_USERNAME_EMPTY;
    }
    if (len > max_len) {
        return SD_USERNAME_TOO_LONG;
    }
    for (apr_size_t i = 0; i < len;) {
        apr_size_t n = utf8_next(s + i, len - i, &cp);
        if (!n) {
            return SD_USERNAME_BAD_UTF8;
        }
        if (is_control(cp)) {
            return SD_USERNAME_CONTROL;
        }
        if (first && is_space(cp)) {
            return SD_USERNAME_EDGE_SPACE;
        }
        first = 0;
        i += n;
    }
    /* cp is now the last character. */
    return is_space(cp) ? SD_USERNAME_EDGE_SPACE : SD_USERNAME_OK;
}

const char *sd_username_reason(sd_username_verdict v)
{
    switch (v) {
    case SD_USERNAME_OK:
        return "a valid username";
    case SD_USERNAME_EMPTY:
        return "empty";
    case SD_USERNAME_TOO_LONG:
        return "longer than SessionDemoMaxUsernameLength";
    case SD_USERNAME_BAD_UTF8:
        return "not valid UTF-8";
    case SD_USERNAME_CONTROL:
        return "holds a control character";
    case SD_USERNAME_EDGE_SPACE:
        return "white space at either end";
    }
    return "refused";
}
