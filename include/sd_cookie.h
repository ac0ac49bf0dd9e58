/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* express-session's signed cookie (cookie-signature + jshttp/cookie):
 * "s:<id>.<base64 HMAC-SHA256 without '='>", URL-encoded. */
#ifndef SD_COOKIE_H
#define SD_COOKIE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "sd_mac.h"

#define SD_SID_LEN   32  /* base64url characters of a generated ID          */
#define SD_SIG_LEN   43  /* base64 of a SHA-256 MAC without its one '='     */

typedef struct {
    const unsigned char *bytes; /* the secret as given (UTF-8), not NUL-bound */
    apr_size_t len;
    sd_mac *keyed_mac;          /* sd_mac_create of bytes; NULL: signs nothing */
} sd_secret;

/* A fresh base64url ID from RAND_bytes, never a weaker source. */
apr_status_t sd_cookie_new_id(char out[SD_SID_LEN + 1]);

/* "s:<id>.<sig>" signed with `secret` (not URL-encoded). */
char *sd_cookie_sign(apr_pool_t *p, const char *id, const sd_secret *secret);

/* The ID of a decoded cookie value one of the secrets signed (compared in
 * constant time), or NULL; *matched (if given) gets that secret's index. */
const char *sd_cookie_unsign(apr_pool_t *p, const char *value,
                             const sd_secret *secrets, int nsecrets,
                             int *matched);

/* Appends every cookie called `name` in a Cookie header to out (const char *)
 * and returns how many, with jshttp/cookie's rules (trimmed, one pair of
 * quotes stripped, URL-decoded when it holds '%', kept raw if that fails),
 * pairs split at ';' and, outside a quoted value, at ", " (how httpd joins
 * several Cookie lines). */
int sd_cookie_find_all(apr_pool_t *p, const char *header, const char *name,
                       apr_array_header_t *out);

/* The header without the pairs sd_cookie_find_all would find for `names`
 * (const char *); other pairs stay byte for byte (';' where a removed one
 * stood between), "" when nothing is left. *removed (if given) gets the
 * removed pairs joined with "; ", or NULL. */
const char *sd_cookie_strip_any(apr_pool_t *p, const char *header,
                                const apr_array_header_t *names, const char **removed);

/* encodeURIComponent: keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ), else %XX upper. */
char *sd_cookie_uri_encode(apr_pool_t *p, const char *s);

typedef struct {
    const char *domain;    /* NULL: no Domain                               */
    const char *path;      /* NULL: no Path                                 */
    int has_expires;       /* 0: browser-session cookie                     */
    apr_time_t expires;    /* used when has_expires                         */
    int http_only;
    int secure;
    const char *same_site; /* "Strict", "Lax", "None" or NULL               */
} sd_cookie_attrs;

/* Set-Cookie in express-session's attribute order, or NULL when name is
 * NULL; `value` is URL-encoded here. */
char *sd_cookie_header(apr_pool_t *p, const char *name, const char *value,
                       const sd_cookie_attrs *attrs);

#endif
