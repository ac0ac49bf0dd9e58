/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The admin status page. One model (a JSON object) is built per request and
 * written either as JSON or as an HTML table, so both always agree. */
#include "sd_status.h"
#include "sd_backend_memcache.h"
#include "sd_form.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_metrics.h"
#include "sd_module.h"
#include "sd_record.h"
#include "sd_stores.h"
#include "sd_template.h"
#include "sd_http.h"
#include "sd_user_index.h"
#include "sd_username.h"

#include <http_core.h>
#include <http_log.h>
#include <http_main.h>
#include <http_protocol.h>
#include <http_request.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

static json_t *servers_model(request_rec *r, const sd_vhost *v)
{
    json_t *servers = json_array();
    sd_backend_memcache_info *info = NULL;
    int n = v->rt.backend ? sd_backend_memcache_servers(v->rt.backend, r->pool, &info) : 0;

    for (int i = 0; i < n; ++i) {
        json_t *srv = json_object();
        json_object_set_new(srv, "address", json_string(info[i].name));
        json_object_set_new(srv, "state", json_string(info[i].up ? "up" : "down"));
        json_object_set_new(srv, "version", info[i].version ? json_string(info[i].version) : json_null());
        if (info[i].has_stats) {
            const sd_backend_memcache_info *st = &info[i];
            apr_uint64_t lookups = st->get_hits + st->get_misses;
            json_object_set_new(srv, "items", json_integer((json_int_t)st->items));
            json_object_set_new(srv, "get_hits", json_integer((json_int_t)st->get_hits));
            json_object_set_new(srv, "get_misses", json_integer((json_int_t)st->get_misses));
            json_object_set_new(srv, "hit_rate",
                                lookups ? json_real((double)st->get_hits / (double)lookups)
                                        : json_null());
            json_object_set_new(srv, "connections", json_integer((json_int_t)st->connections));
            json_object_set_new(srv, "uptime_seconds", json_integer((json_int_t)st->uptime));
            json_object_set_new(srv, "bytes", json_integer((json_int_t)st->bytes));
            json_object_set_new(srv, "limit_maxbytes", json_integer((json_int_t)st->limit_maxbytes));
        }
        json_object_set_new(srv, "item_size_max", json_integer((json_int_t)info[i].item_size_max));
        json_array_append_new(servers, srv);
    }
    return servers;
}

/* Every counter of the list (sd_stats.h), by its JSON name. */
static json_t *counters_model(const sd_stats *st)
{
    json_t *c = json_object();
    for (int i = 0; i < SD_STATS_NCOUNTERS; ++i) {
        json_object_set_new(c, sd_stats_counter_name(i),
                            json_integer((json_int_t)sd_stats_counter_value(st, i)));
    }
    return c;
}

static json_t *strings_model(const apr_array_header_t *list)
{
    json_t *a = json_array();
    for (int i = 0; list && i < list->nelts; ++i) {
        json_array_append_new(a, json_string(APR_ARRAY_IDX(list, i, const char *)));
    }
    return a;
}

static void add_config_value(void *baton, const sd_config_value *value)
{
    json_t *model = baton, *v;
    switch (value->type) {
    case SD_CONFIG_NUMBER:
        v = json_integer((json_int_t)value->number);
        break;
    case SD_CONFIG_BOOLEAN:
        v = json_boolean(value->number);
        break;
    case SD_CONFIG_LIST:
        v = strings_model(value->list);
        break;
    case SD_CONFIG_TEXT:
    default:
        v = value->text ? json_string(value->text) : json_null();
        break;
    }
    json_object_set_new(model, value->name, v);
}

/* The directives' effective values, in the table's order. */
static json_t *config_model(request_rec *r, const sd_config *conf)
{
    json_t *c = json_object();
    sd_config_visit(r->pool, conf, add_config_value, c);
    return c;
}

static const char *html_value(apr_pool_t *p, const json_t *v)
{
    const char *text;
    if (json_is_string(v)) {
        text = json_string_value(v);
    }
    else if (json_is_null(v)) {
        text = "-";
    }
    else if (json_is_real(v)) {
        text = apr_psprintf(p, "%.1f%%", json_real_value(v) * 100.0);
    }
    else {
        text = sd_json_dump(p, v, NULL);
    }
    return sd_template_html_escape(p, text, strlen(text));
}

static void write_table(request_rec *r, const char *title, const json_t *obj)
{
    const char *key;
    json_t *value;
    ap_rprintf(r, "<h2>%s</h2>\n<table>\n", title);
    json_object_foreach((json_t *)obj, key, value) {
        ap_rprintf(r, "<tr><th>%s</th><td>%s</td></tr>\n",
                   sd_template_html_escape(r->pool, key, strlen(key)), html_value(r->pool, value));
    }
    ap_rputs("</table>\n", r);
}

static void write_html(request_rec *r, const sd_vhost *v, const json_t *model)
{
    const json_t *servers = json_object_get(model, "memcached");
    size_t i;
    json_t *srv;

    ap_set_content_type(r, "text/html; charset=utf-8");
    /* The app's stylesheet: one look for every page of the module. */
    ap_rvputs(r, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\n",
              sd_views_style(v->rt.views), "\n<title>sessiondemo status</title>\n"
              "</head>\n<body class=\"wide\">\n<h1>sessiondemo status</h1>\n", NULL);
    ap_rprintf(r, "<p>Child process %" APR_PID_T_FMT ", %s. Counters are the whole"
               " httpd's (every child, every virtual host) since it started; restarts"
               " keep them. <a href=\"?json\">JSON</a>,"
               " <a href=\"?format=prometheus\">Prometheus</a></p>\n",
               getpid(), html_value(r->pool, json_object_get(model, "time")));
    json_array_foreach(servers, i, srv) {
        write_table(r, apr_psprintf(r->pool, "memcached %s",
                                    html_value(r->pool, json_object_get(srv, "address"))), srv);
    }
    write_table(r, "Session counters", json_object_get(model, "counters"));
    ap_rprintf(r, "<p>Users with indexed sessions (the realm's): %s</p>\n",
               html_value(r->pool, json_object_get(model, "indexed_users")));
    write_table(r, "Effective configuration", json_object_get(model, "config"));
    ap_rputs("</body>\n</html>\n", r);
}

static int reply_json(request_rec *r, int status, json_t *body)
{
    apr_size_t len = 0;
    char *text = sd_json_dump(r->pool, sd_json_track(r->pool, body), &len);
    if (!text) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, r, SD_LOGNO(00511)
                      "out of memory answering a revoke");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = status;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_rwrite(text, (int)len, r);
    return OK;
}

/* POST revoke-user=NAME: every session of the user ends. Only for a user
 * httpd has authenticated: `Require local` alone lets in anyone a same-host
 * reverse proxy passes on. And only from the page itself: a proxy's request
 * or another site's page carries no same-origin Origin or Sec-Fetch-Site,
 * whatever SessionDemoCheckOrigin says for the app's forms. */
static int revoke_user(request_rec *r, const sd_vhost *v)
{
    const char *why = NULL, *user;
    apr_table_t *form;
    sd_username_verdict verdict;
    int ended = 0, rc;

    if (!r->user || !ap_auth_type(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00518)
                      "revoke refused: the request is not authenticated (put AuthType and"
                      " Require user on the status page's <Location> for POST)");
        ap_discard_request_body(r);
        return reply_json(r, HTTP_FORBIDDEN,
                          json_pack("{s:s}", "error", "an admin action needs an authenticated"
                                    " user (AuthType and Require user on this page)"));
    }
    if (!sd_http_same_origin_proven(r, v->conf, &why)) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00507)
                      "revoke by %s refused: not from this site's own page (%s)",
                      ap_escape_logitem(r->pool, r->user), ap_escape_logitem(r->pool, why));
        ap_discard_request_body(r);
        return reply_json(r, HTTP_FORBIDDEN,
                          json_pack("{s:s}", "error", "cross-origin request refused: an admin"
                                    " action needs Origin of this site or Sec-Fetch-Site:"
                                    " same-origin"));
    }
    if ((rc = sd_http_read_form(r, v->conf, &form)) != OK) {
        return reply_json(r, rc, json_pack("{s:s}", "error", "a form with revoke-user=NAME is expected"));
    }
    user = apr_table_get(form, "revoke-user");
    if (!user || !*user) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00508)
                      "status POST without revoke-user");
        return reply_json(r, HTTP_BAD_REQUEST, json_pack("{s:s}", "error", "revoke-user=NAME is required"));
    }
    verdict = sd_username_check(user, strlen(user), (apr_size_t)v->conf->max_username_len);
    if (verdict != SD_USERNAME_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00515)
                      "revoke-user is not a username: %s", sd_username_reason(verdict));
        return reply_json(r, HTTP_BAD_REQUEST, json_pack("{s:s}", "error", "revoke-user is not a username"));
    }
    if (v->conf->username_case == SD_USERNAME_LOWER) {
        char *lowered = apr_pstrdup(r->pool, user);
        ap_str_tolower(lowered);
        user = lowered;
    }
    if (!v->rt.store) {
        return reply_json(r, HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s}", "error", "no session store here"));
    }
    if (!v->rt.authn) {
        /* Logins are not indexed in demo mode: a revoke would find nothing
         * and say "0" of a user who is logged in. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00517)
                      "revoke-user on a server in demo mode: its logins are not indexed");
        return reply_json(r, HTTP_SERVICE_UNAVAILABLE,
                          json_pack("{s:s}", "error", "this server runs in demo mode (no"
                                    " SessionDemoAuthProvider): its sessions are not indexed,"
                                    " so none can be revoked"));
    }
    rc = sd_http_status(sd_user_index_end(r, v, user, NULL, NULL, &ended, NULL));
    ap_log_rerror(APLOG_MARK, rc == OK ? APLOG_NOTICE : APLOG_WARNING, 0, r, SD_LOGNO(00509)
                  "admin%s%s revoked %d session%s of user '%s'%s",
                  r->user ? " " : "", r->user ? ap_escape_logitem(r->pool, r->user) : "",
                  ended, ended == 1 ? "" : "s", ap_escape_logitem(r->pool, user),
                  rc == OK ? "" : "; some could not be ended (store unavailable)");
    if (rc != OK) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return reply_json(r, HTTP_SERVICE_UNAVAILABLE,
                          json_pack("{s:s,s:s,s:i,s:s}", "user", user, "realm", v->conf->realm,
                                    "revoked", ended, "error",
                                    "the session store did not answer for every session;"
                                    " try again"));
    }
    /* The realm says whose sessions these were: a status page on a virtual
     * host of another realm revokes nothing of this one's. */
    return reply_json(r, HTTP_OK, json_pack("{s:s,s:s,s:i}", "user", user, "realm", v->conf->realm,
                                            "revoked", ended));
}

/* ?format=prometheus: the whole httpd's figures, whichever virtual host is
 * asked (the counters are one block; the servers are every store's), so a
 * scrape of any status URL sees the same thing. */
static void write_prometheus(request_rec *r, const sd_vhost *v)
{
    sd_metrics_input in = { v->rt.stats, NULL, 0, v->rt.host_locks != NULL, 0 };
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
    ap_set_content_type(r, SD_METRICS_CONTENT_TYPE);
    if (!r->header_only) {
        apr_size_t len;
        const char *text = sd_metrics_write(r->pool, &in, &len);
        ap_rwrite(text, (int)len, r);
    }
}

/* The format= of the query string, or NULL. */
static const char *format_asked(request_rec *r)
{
    apr_table_t *args = NULL;
    if (!r->args || sd_form_parse(r->pool, r->args, strlen(r->args), &args) != APR_SUCCESS) {
        return NULL;
    }
    return apr_table_get(args, "format");
}

int sd_status_handle(request_rec *r, const sd_vhost *v)
{
    json_t *model;
    apr_int64_t users = 0;
    const char *format;

    if (r->method_number == M_POST) {
        /* Only the page's own address revokes: a POST to the metrics'
         * (?format=…), which an admin may open to a scraper, does not. */
        sd_http_security_headers(r, v->rt.csp);
        if (r->args && *r->args) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00516)
                          "status POST with a query string refused; revoke-user is"
                          " posted to the page's address alone");
            ap_discard_request_body(r);
            return reply_json(r, HTTP_BAD_REQUEST,
                              json_pack("{s:s}", "error", "POST revoke-user=NAME to the status page's"
                                        " address, without a query string"));
        }
        return revoke_user(r, v);
    }
    if (r->method_number != M_GET) {
        /* httpd's 405 builds Allow from the request's allowed methods. */
        ap_allow_methods(r, 1, "GET", "HEAD", "POST", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    format = format_asked(r);
    if (format && strcmp(format, "prometheus") == 0) {
        write_prometheus(r, v);
        return OK;
    }
    model = sd_json_track(r->pool, json_object());
    json_object_set_new(model, "time", json_string(sd_record_iso8601_format(r->pool, apr_time_now())));
    json_object_set_new(model, "pid", json_integer(getpid()));
    json_object_set_new(model, "memcached", servers_model(r, v));
    json_object_set_new(model, "connections_per_server", json_integer(v->rt.pool_size));
    json_object_set_new(model, "counters", counters_model(v->rt.stats));
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
    json_object_set_new(model, "config", config_model(r, v->conf));

    sd_http_security_headers(r, v->rt.csp);
    if ((r->args && strcmp(r->args, "json") == 0) || (format && strcmp(format, "json") == 0)) {
        apr_size_t len = 0;
        char *body = sd_json_dump(r->pool, model, &len);
        ap_set_content_type(r, "application/json; charset=utf-8");
        if (!r->header_only) {
            ap_rwrite(body, (int)len, r);
        }
        return OK;
    }
    if (!r->header_only) {
        write_html(r, v, model);
    }
    else {
        ap_set_content_type(r, "text/html; charset=utf-8");
    }
    return OK;
}
