/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A request_rec with what the request-side units read: a pool of its own
 * (a child of parent), a log level, the header tables. */
#ifndef SD_FAKE_REQUEST_H
#define SD_FAKE_REQUEST_H

#include <httpd.h>

#include "sd_config.h"
#include "sd_cookie.h"

request_rec *fake_request(apr_pool_t *parent, const char *cookie);

/* The connect.sid=... of a response's Set-Cookie, or NULL. */
const char *fake_cookie_of(request_rec *r);

/* The first cookie called `name` in a Cookie header (sd_cookie_find_all), or
 * NULL; inline, so tests that do not link cookie.c need not resolve it. */
static inline const char *fake_cookie_find(apr_pool_t *p, const char *header, const char *name)
{
    apr_array_header_t *all = apr_array_make(p, 1, sizeof(const char *));
    return sd_cookie_find_all(p, header, name, all) ? APR_ARRAY_IDX(all, 0, const char *) : NULL;
}

/* The session tests' configuration: realm "shop", cookie connect.sid, one
 * replica, cluster locks; signed with `first`, then `second` (or NULL). */
sd_config fake_session_config(apr_pool_t *pool, sd_config_store_format format,
                              const char *first, const char *second);

#endif
