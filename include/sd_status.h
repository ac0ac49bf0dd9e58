/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* `SetHandler sessiondemo-status`: a mod_status-like admin page (HTML, or
 * JSON with ?json) with memcached server state, the whole httpd's session
 * counters and the effective configuration, never the secrets; or, with
 * ?format=prometheus (or openmetrics), the counters, histograms and server
 * states in Prometheus's text format (or OpenMetrics). */
#ifndef SD_STATUS_H
#define SD_STATUS_H

#include <httpd.h>

#include "sd_vhost.h"

int sd_status_handle(request_rec *r, const sd_vhost *v);

#endif
