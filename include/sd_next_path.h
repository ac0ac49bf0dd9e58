/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Where to send a user after login: the `next` path a gated page put in
 * the login URL, only ever a path of this origin. Pure. */
#ifndef SD_NEXT_PATH_H
#define SD_NEXT_PATH_H

#include <apr_pools.h>

/* The longest `next` accepted, in bytes. */
#define SD_NEXT_PATH_MAX 2048

/* `next` as decoded from the query or form: itself when it is a path of
 * this origin ("/docs/a?b=c"), else NULL. */
const char *sd_next_path_check(apr_pool_t *p, const char *next);

/* The login URL (which may have a query) with `path` as its `next`. */
const char *sd_next_path_login_url(apr_pool_t *p, const char *login_url, const char *path);

#endif
