/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A request_rec with what the request-side units read: a pool of its own
 * (a child of parent), a log level, the header tables. */
#ifndef SD_FAKE_REQUEST_H
#define SD_FAKE_REQUEST_H

#include <httpd.h>

request_rec *fake_request(apr_pool_t *parent, const char *cookie);

#endif
