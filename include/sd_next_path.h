/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Where to send a user after login: the `next` path a gated page put in
 * the login URL. Only a path of this origin is ever followed; anything a
 * browser could read as another host (//evil.example, /\evil.example, a
 * scheme, encoded or control-character variants) is refused. Pure. */
#ifndef SD_NEXT_PATH_H
#define SD_NEXT_PATH_H

#include <apr_pools.h>

/* The longest `next` accepted, in bytes. */
#define SD_NEXT_PATH_MAX 2048

/* `next` as decoded from the query or form (one %XX decoding done): the
 * same text when it is a safe same-origin path ("/docs/a?b=c"), else NULL. */
const char *sd_next_path_check(apr_pool_t *p, const char *next);

/* The login URL carrying `path` (e.g. the original request's unparsed
 * URI) as its `next` parameter, %-encoded; `login_url` may have a query. */
const char *sd_next_path_login_url(apr_pool_t *p, const char *login_url, const char *path);

#endif
