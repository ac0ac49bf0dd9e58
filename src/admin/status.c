/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The admin status page. One model (a JSON object) is built per request and
 * sent as JSON or shown by the status.html template, so both always agree;
 * a POST is the admin's (sd_admin.h). */
#include "sd_status.h"
#include "sd_admin.h"
#include "sd_backend_memcache.h"
#include "sd_form.h"
#include "sd_json.h"
#include "sd_metrics.h"
#include "sd_module.h"
#include "sd_record.h"
#include "sd_stores.h"
#include "sd_views.h"
#include "sd_http.h"
#include "sd_user_index.h"

#include <http_core.h>
#include <http_main.h>
#include <http_protocol.h>
#include <http_request.h>
#include <apr_strings.h>

#include <stdlib.h>

static json_t *servers_model(request_rec *r, const sd_vhost *v)
{
    json_t *servers = json_array();
    sd_backend_memcache_info *info = NULL;
    int n = v->rt.backend ? sd_backend_memcache_servers(v->rt.backend, r->pool, &info) : 0;

    for (int i = 0; i < n; ++i) {
        const sd_backend_memcache_info *st = &info[i];
        apr_uint64_t lookups = st->get_hits + st->get_misses;
        json_t *srv = json_pack("{s:s,s:s,s:s?}", "address", st->name,
                                "state", st->up ? "up" : "down", "version", st->version);
        if (st->has_stats) {
            json_object_update_new(srv, json_pack(
                "{s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I}", "items", (json_int_t)st->items,
                "get_hits", (json_int_t)st->get_hits, "get_misses", (json_int_t)st->get_misses,
                "hit_rate", lookups ? json_real((double)st->get_hits / (double)lookups) : json_null(),
                "connections", (json_int_t)st->connections,
                "uptime_seconds", (json_int_t)st->uptime, "bytes", (json_int_t)st->bytes,
                "limit_maxbytes", (json_int_t)st->limit_maxbytes));
        }
        json_object_set_new(srv, "item_size_max", json_integer((json_int_t)st->item_size_max));
        json_array_append_new(servers, srv);
    }
    return servers;
}

/* A value as the HTML page shows it: a rate as a percentage, nothing as
 * "-". The template escapes it. */
static const char *text_of(apr_pool_t *p, const json_t *v)
{
    if (json_is_string(v)) {
        return json_string_value(v);
    }
    if (!v || json_is_null(v)) {
        return "-";
    }
    if (json_is_real(v)) {
        return apr_psprintf(p, "%.1f%%", json_real_value(v) * 100.0);
    }
    return sd_json_dump(p, v, NULL);
}

/* A table of the page: the template walks arrays, not an object's members. */
static json_t *section(apr_pool_t *p, const char *title, const json_t *obj)
{
    json_t *rows = json_array(), *value;
    const char *key;
    json_object_foreach((json_t *)obj, key, value) {
        json_array_append_new(rows, json_pack("{s:s,s:s}", "name", key,
                                              "value", text_of(p, value)));
    }
    return json_pack("{s:s,s:o}", "title", title, "rows", rows);
}

/* The HTML page's view of the model: what the JSON says, as text. */
static json_t *html_view(apr_pool_t *p, const json_t *model)
{
    json_t *sections = json_array(), *srv, *counters;
    size_t i;

    json_array_foreach(json_object_get(model, "memcached"), i, srv) {
        const char *address = text_of(p, json_object_get(srv, "address"));
        json_array_append_new(sections,
                              section(p, apr_pstrcat(p, "memcached ", address, NULL), srv));
    }
    counters = section(p, "Session counters", json_object_get(model, "counters"));
    /* The template says it under the counters. */
    json_object_set_new(counters, "users",
                        json_string(text_of(p, json_object_get(model, "indexed_users"))));
    json_array_append_new(sections, counters);
    json_array_append_new(sections, section(p, "Effective configuration",
                                            json_object_get(model, "config")));
    return sd_json_track(p, json_pack("{s:O,s:s,s:o}", "pid", json_object_get(model, "pid"),
                                      "time", text_of(p, json_object_get(model, "time")),
                                      "sections", sections));
}

/* ?format=prometheus or openmetrics: the whole httpd's figures, whichever
 * virtual host is asked (the counters are one block; the servers are every
 * store's), so a scrape of any status URL sees the same thing. */
static void prometheus(request_rec *r, const sd_vhost *v, int openmetrics, sd_http_reply *out)
{
    sd_metrics_input in = { v->rt.stats, NULL, 0, v->rt.host_locks != NULL, 0, openmetrics,
                            SD_VERSION };
    sd_stores_server *servers = NULL;
    sd_metrics_server *list;

    in.nservers = sd_stores_servers(r->pool, ap_server_conf, &servers);
    list = apr_palloc(r->pool, sizeof(*list) * (apr_size_t)(in.nservers ? in.nservers : 1));
    for (int i = 0; i < in.nservers; ++i) {
        list[i].name = servers[i].name;
        list[i].up = servers[i].up;
    }
    in.servers = list;
    if (v->rt.host_locks) {
        apr_uint32_t reclaimed = 0;
        sd_host_lock_counts(v->rt.host_locks, &in.host_locks_held, &reclaimed);
    }
    out->status = HTTP_OK;
    out->content_type = openmetrics ? SD_METRICS_OPENMETRICS_TYPE : SD_METRICS_CONTENT_TYPE;
    out->body = sd_metrics_write(r->pool, &in, &out->len);
}

/* Whether Accept names OpenMetrics with a q above 0 (RFC 9110: q=0 is
 * "not acceptable"). */
static int accepts_openmetrics(const char *accept)
{
    static const char type[] = "application/openmetrics-text";
    for (const char *at = accept; at && (at = ap_strcasestr(at, type)) != NULL;
         at += sizeof(type) - 1) {
        const char *q = ap_strcasestr(at, "q=");
        if (!q || q > at + strcspn(at, ",") || strtod(q + 2, NULL) > 0) {
            return 1;
        }
    }
    return 0;
}

/* The format= of the query string (bare "?json" is "json"); without one, a
 * scraper's Accept may ask for OpenMetrics; else the HTML page. */
static const char *format_asked(request_rec *r)
{
    apr_table_t *args = NULL;
    const char *format = NULL, *accept = apr_table_get(r->headers_in, "Accept");
    if (r->args && strcmp(r->args, "json") == 0) {
        return "json";
    }
    if (r->args && sd_form_parse(r->pool, r->args, strlen(r->args), &args) == APR_SUCCESS) {
        format = apr_table_get(args, "format");
    }
    if (!format && accepts_openmetrics(accept)) {
        return "openmetrics";
    }
    return format ? format : "html";
}

/* The model of the page, which the JSON is and the HTML shows. */
static json_t *model_of(request_rec *r, const sd_vhost *v)
{
    json_t *model = sd_json_track(r->pool, json_object());
    json_t *counters = json_object();
    apr_int64_t users = 0;

    json_object_set_new(model, "time", json_string(sd_record_iso8601_format(r->pool, apr_time_now())));
    json_object_set_new(model, "pid", json_integer(getpid()));
    json_object_set_new(model, "memcached", servers_model(r, v));
    json_object_set_new(model, "connections_per_server", json_integer(v->rt.pool_size));
    for (int i = 0; i < SD_STATS_NCOUNTERS; ++i) {
        json_object_set_new(counters, sd_stats_counter_name(i),
                            json_integer((json_int_t)sd_stats_counter_value(v->rt.stats, i)));
    }
    json_object_set_new(model, "counters", counters);
    /* Of the whole realm, kept in memcached. */
    json_object_set_new(model, "indexed_users",
                        v->rt.store && sd_user_index_users(r, v, &users) == SD_OK
                        ? json_integer((json_int_t)users) : json_null());
    if (v->rt.host_locks) {
        apr_uint32_t held = 0, reclaimed = 0;
        sd_host_lock_counts(v->rt.host_locks, &held, &reclaimed);
        /* The table is the whole httpd's, for every virtual host. */
        json_object_set_new(model, "host_locks",
                            json_pack("{s:i,s:i}", "held", (json_int_t)held,
                                      "reclaimed", (json_int_t)reclaimed));
    }
    json_object_set_new(model, "config", sd_config_model(r->pool, v->conf));
    return model;
}

int sd_status_handle(request_rec *r, const sd_vhost *v)
{
    sd_http_reply out = { 0 };
    const char *format;

    if (r->method_number == M_POST) {
        return sd_admin_handle(r, v);
    }
    if (r->method_number != M_GET) {
        /* httpd's 405 builds Allow from the request's allowed methods. */
        ap_allow_methods(r, 1, "GET", "HEAD", "POST", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    format = format_asked(r);
    if (strcmp(format, "prometheus") == 0 || strcmp(format, "openmetrics") == 0) {
        prometheus(r, v, format[0] == 'o', &out);
    }
    else if (strcmp(format, "json") == 0) {
        sd_http_json(r, &out, HTTP_OK, model_of(r, v));
    }
    else if (strcmp(format, "html") == 0) {
        out.status = HTTP_OK;
        out.content_type = SD_HTTP_HTML;
        out.body = sd_views_render(r->pool, v->rt.views, SD_VIEW_STATUS,
                                   html_view(r->pool, model_of(r, v)), &out.len);
    }
    else {
        /* Not the HTML page: a scraper that asked for something else
         * would take it for metrics it cannot read. */
        sd_http_text(&out, HTTP_BAD_REQUEST, "unknown format=; this page has format=html, json,"
                     " prometheus or openmetrics\n");
    }
    return sd_http_send(r, v->rt.csp, &out);
}
