/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The one rule a username obeys wherever the module meets one (the login,
 * the gate, the admin's revoke, sessions adopted from express-session):
 * the name a backend is told must be byte for byte the name the provider
 * checked, so nothing a header parser or a CGI environment would strip,
 * fold or split is allowed. Pure. */
#ifndef SD_USERNAME_H
#define SD_USERNAME_H

#include <apr.h>
#include <apr_pools.h>

typedef enum {
    SD_USERNAME_OK = 0,
    SD_USERNAME_EMPTY,
    SD_USERNAME_TOO_LONG,     /* over max_len bytes                        */
    SD_USERNAME_BAD_UTF8,     /* not UTF-8: overlongs, surrogates, > U+10FFFF,
                                 truncated or stray bytes                  */
    SD_USERNAME_CONTROL,      /* C0 (NUL and tab included), DEL, C1         */
    SD_USERNAME_EDGE_SPACE,   /* white space first or last                  */
    SD_USERNAME_INVISIBLE     /* anywhere: a default-ignorable or format
                                 (Cf) character, U+2028/U+2029, or a
                                 noncharacter                              */
} sd_username_verdict;

/* White space is Unicode's White_Space plus U+200B and U+FEFF, allowed
 * inside a name ("Mary Ann") but not at either end. */
sd_username_verdict sd_username_check(const char *name, apr_size_t len, apr_size_t max_len);

/* A short English reason for logs ("white space at either end"). */
const char *sd_username_reason(sd_username_verdict v);

/* The name an account has: with `lower` (SessionDemoUsernameCase Lower),
 * a copy lowered as ap_str_tolower does (ASCII letters, in httpd's C
 * locale); otherwise `name` itself. */
const char *sd_username_fold(apr_pool_t *p, const char *name, int lower);

#endif
