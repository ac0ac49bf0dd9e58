/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A request_rec with what the request-side units read: a pool of its own
 * (a child of parent), a log level, the header tables. */
#ifndef SD_FAKE_REQUEST_H
#define SD_FAKE_REQUEST_H

#include <httpd.h>

#include "sd_config.h"

request_rec *fake_request(apr_pool_t *parent, const char *cookie);

/* The connect.sid=... of a response's Set-Cookie, or NULL. */
const char *fake_cookie_of(request_rec *r);

/* The session tests' configuration: realm "shop", cookie connect.sid, one
 * replica, cluster locks; signed with `first`, then `second` (or NULL). */
sd_config fake_session_config(apr_pool_t *pool, sd_config_store_format format,
                              const char *first, const char *second);

#endif
