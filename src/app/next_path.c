/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Browsers read "//host", "/\host" and "\\host" as another host and strip
 * tabs and newlines, and some servers decode a path once more: so no
 * backslash or control anywhere, and the start is checked again decoded. */
#include "sd_next_path.h"

#include <apr_encode.h>
#include <apr_escape.h>
#include <apr_strings.h>
#include <string.h>

/* Whether s (len bytes) starts like a path of this origin and holds no
 * byte a browser would read differently. */
static int plain_path(const unsigned char *s, apr_size_t len)
{
    if (len == 0 || s[0] != '/' || (len > 1 && (s[1] == '/' || s[1] == '\\'))) {
        return 0;
    }
    for (apr_size_t i = 0; i < len; ++i) {
        if (s[i] < 0x21 || s[i] >= 0x7f || s[i] == '\\') {
            return 0;   /* controls, space and non-ASCII (never raw in a URI),
                           backslash */
        }
    }
    return 1;
}

const char *sd_next_path_check(apr_pool_t *p, const char *next)
{
    apr_size_t len, n;
    char *again;

    if (!next || (len = strlen(next)) > SD_NEXT_PATH_MAX
        || !plain_path((const unsigned char *)next, len)) {
        return NULL;
    }
    /* Decoded once more, as a careless backend would: %2F%2Fevil must not
     * become //evil anywhere down the line. */
    again = apr_palloc(p, len + 1);
    apr_unescape_url(again, next, APR_ESCAPE_STRING, NULL, NULL, 0, &n);
    /* n counts the NUL; a %00 stays in, for plain_path to refuse. */
    if (!plain_path((const unsigned char *)again, n - 1)) {
        return NULL;
    }
    return next;
}

const char *sd_next_path_login_url(apr_pool_t *p, const char *login_url, const char *path)
{
    apr_size_t len = strlen(path);
    char *enc = apr_palloc(p, 3 * len + 1), *at = enc;

    for (apr_size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)path[i];
        /* encodeURIComponent's unreserved set, and '/' kept readable. */
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            *at++ = (char)c;
        }
        else {
            /* Upper-case base16 as encodeURIComponent; the NUL it adds is
             * overwritten by the next byte or the end. */
            *at++ = '%';
            apr_encode_base16_binary(at, &c, 1, APR_ENCODE_NONE, NULL);
            at += 2;
        }
    }
    *at = '\0';
    return apr_pstrcat(p, login_url, strchr(login_url, '?') ? "&next=" : "?next=", enc, NULL);
}
