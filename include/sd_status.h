/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* `SetHandler sessiondemo-status`: memcached's servers, the whole httpd's
 * counters and the effective configuration (never the secrets) as HTML,
 * JSON (?json), Prometheus or OpenMetrics (?format=); a POST is sd_admin's. */
#ifndef SD_STATUS_H
#define SD_STATUS_H

#include <httpd.h>

#include "sd_vhost.h"

int sd_status_handle(request_rec *r, const sd_vhost *v);

#endif
