/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The demo application: a route table (method, path, function), the view
 * models, and the error pages. Talks to the session unit, never memcached. */
#ifndef SD_ROUTES_H
#define SD_ROUTES_H

#include <httpd.h>

#include "sd_vhost.h"

/* Serves one request for `SetHandler sessiondemo`. */
int sd_routes_handle(request_rec *r, const sd_vhost *v);

#endif
