/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The counters, histograms and server states in Prometheus's text format
 * 0.0.4 or OpenMetrics 1.0.0 (docs/monitoring.md lists the families). */
#ifndef SD_METRICS_H
#define SD_METRICS_H

#include <apr_pools.h>

#include "sd_stats.h"

#define SD_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define SD_METRICS_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

typedef struct {
    const char *name;           /* "host:port", the `server` label       */
    int up;                     /* the prober's verdict                  */
} sd_metrics_server;

typedef struct {
    const sd_stats *stats;      /* NULL: every value 0                   */
    const sd_metrics_server *servers;
    int nservers;
    int has_host_locks;         /* the host lock table exists            */
    apr_uint32_t host_locks_held;
    int openmetrics;            /* OpenMetrics 1.0.0 rather than 0.0.4   */
    const char *version;        /* the build_info gauge's; NULL: none    */
} sd_metrics_input;

/* Every family of `in`, each with its HELP and TYPE lines, as one text
 * from p (*len bytes). */
char *sd_metrics_write(apr_pool_t *p, const sd_metrics_input *in, apr_size_t *len);

#endif
