/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The status page's POST revoke-user=NAME: every session of the user ended,
 * for an authenticated user on the page's own origin alone; JSON answers. */
#ifndef SD_ADMIN_H
#define SD_ADMIN_H

#include <httpd.h>

#include "sd_vhost.h"

/* Runs the POST's action, or refuses it, and sends the answer. */
int sd_admin_handle(request_rec *r, const sd_vhost *v);

#endif
