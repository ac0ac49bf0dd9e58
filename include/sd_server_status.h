/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The sessiondemo section of mod_status's /server-status: the whole
 * httpd's counters and memcached servers, as an HTML table or, for
 * ?auto, as `SessionDemo<Name>: value` lines. */
#ifndef SD_SERVER_STATUS_H
#define SD_SERVER_STATUS_H

#include <httpd.h>

/* mod_status's status_hook (optional: nothing without mod_status). */
int sd_server_status_hook(request_rec *r, int flags);

#endif
