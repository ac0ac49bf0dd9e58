/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* mod_status calls every status_hook after its own report, with the same
 * request: the section is written with ap_rputs, in the report's form. */
#include "sd_server_status.h"
#include "sd_stats.h"
#include "sd_stores.h"
#include "sd_template.h"
#include "sd_vhost.h"

#include <http_main.h>
#include <http_protocol.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <mod_status.h>

/* "sessions_created" -> "SessionsCreated", the form of mod_status's own
 * ?auto keys (BusyWorkers, ServerUptimeSeconds). */
static const char *camel(apr_pool_t *p, const char *name)
{
    char *out = apr_palloc(p, strlen(name) + 1), *at = out;
    int upper = 1;
    for (const char *c = name; *c; ++c) {
        if (*c == '_') {
            upper = 1;
            continue;
        }
        *at++ = upper ? (char)apr_toupper(*c) : *c;
        upper = 0;
    }
    *at = '\0';
    return out;
}

static void write_auto(request_rec *r, const sd_stats *st, const sd_stores_server *servers,
                       int n, const sd_vhost *v)
{
    int up = 0;
    for (int i = 0; i < SD_STATS_NCOUNTERS; ++i) {
        ap_rprintf(r, "SessionDemo%s: %" APR_UINT64_T_FMT "\n",
                   camel(r->pool, sd_stats_counter_name(i)), sd_stats_counter_value(st, i));
    }
    for (int i = 0; i < n; ++i) {
        up += servers[i].up != 0;
    }
    ap_rprintf(r, "SessionDemoMemcachedServers: %d\nSessionDemoMemcachedServersUp: %d\n", n, up);
    if (v->rt.host_locks) {
        apr_uint32_t held = 0, reclaimed = 0;
        sd_host_lock_counts(v->rt.host_locks, &held, &reclaimed);
        ap_rprintf(r, "SessionDemoHostLocksHeld: %u\n", (unsigned)held);
    }
}

static void row(request_rec *r, int table, const char *name, const char *value)
{
    const char *n = sd_template_html_escape(r->pool, name, strlen(name));
    const char *val = sd_template_html_escape(r->pool, value, strlen(value));
    if (table) {
        ap_rprintf(r, "<tr><th>%s</th><td>%s</td></tr>\n", n, val);
    }
    else {
        ap_rprintf(r, "%s: %s<br>\n", n, val);
    }
}

static void write_html(request_rec *r, int table, const sd_stats *st,
                       const sd_stores_server *servers, int n)
{
    ap_rputs("<hr>\n<h2 id=\"sessiondemo\">sessiondemo</h2>\n"
             "<p>Counters of the whole httpd (every child, every virtual host) since it"
             " started; restarts keep them.</p>\n", r);
    ap_rputs(table ? "<table id=\"sessiondemo-counters\" border=\"0\">\n" : "<p>\n", r);
    for (int i = 0; i < SD_STATS_NCOUNTERS; ++i) {
        row(r, table, sd_stats_counter_name(i),
            apr_psprintf(r->pool, "%" APR_UINT64_T_FMT, sd_stats_counter_value(st, i)));
    }
    ap_rputs(table ? "</table>\n" : "</p>\n", r);
    ap_rputs(table ? "<table id=\"sessiondemo-memcached\" border=\"0\">\n"
                     "<tr><th>memcached</th><th>state</th></tr>\n" : "<p>\n", r);
    for (int i = 0; i < n; ++i) {
        row(r, table, servers[i].name, servers[i].up ? "up" : "down");
    }
    ap_rputs(table ? "</table>\n" : "</p>\n", r);
}

int sd_server_status_hook(request_rec *r, int flags)
{
    const sd_vhost *v = sd_vhost_get(r->server);
    sd_stores_server *servers = NULL;
    int n = sd_stores_servers(r->pool, ap_server_conf, &servers);

    if (flags & AP_STATUS_SHORT) {
        write_auto(r, v->rt.stats, servers, n, v);
    }
    else {
        write_html(r, !(flags & AP_STATUS_NOTABLE), v->rt.stats, servers, n);
    }
    return OK;
}
