/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Request and reply plumbing for the handlers: every reply goes out
 * through sd_http_send. */
#include "sd_http.h"
#include "sd_form.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <http_protocol.h>
#include <http_ssl.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

#define FORM_TYPE "application/x-www-form-urlencoded"
#define JSON_TYPE "application/json; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"

int sd_http_is_secure(request_rec *r, const sd_config *conf)
{
    const char *proto;
    if (ap_ssl_conn_is_ssl(r->connection)) {
        return 1;
    }
    if (!conf->trust_proxy) {
        return 0;
    }
    /* The first value is the client-facing hop, as express-session reads it. */
    proto = apr_table_get(r->headers_in, "X-Forwarded-Proto");
    if (!proto) {
        return 0;
    }
    proto += strspn(proto, " \t");
    return strncasecmp(proto, "https", 5) == 0
           && (proto[5] == '\0' || proto[5] == ',' || proto[5] == ' ' || proto[5] == '\t');
}

int sd_http_read_form(request_rec *r, const sd_config *conf, apr_table_t **form)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t cap = (apr_size_t)conf->max_body, used = 0;
    char *buf;
    int rc;

    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK) {
        return rc;
    }
    if (r->remaining > (apr_off_t)cap) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00401)
                      "form body of %" APR_OFF_T_FMT " bytes exceeds the limit of %"
                      APR_SIZE_T_FMT " (SessionDemoMaxBodySize)", r->remaining, cap);
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    buf = apr_palloc(r->pool, cap + 1);
    if (ap_should_client_block(r)) {
        long n;
        while ((n = ap_get_client_block(r, buf + used, cap + 1 - used)) > 0) {
            used += (apr_size_t)n;
            if (used > cap) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00402)
                              "chunked form body exceeds the limit of %"
                              APR_SIZE_T_FMT " bytes", cap);
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
        }
        if (n < 0) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00403)
                          "reading the request body failed");
            return HTTP_BAD_REQUEST;
        }
    }
    if (used > 0 && (!type || strncasecmp(type, FORM_TYPE, sizeof(FORM_TYPE) - 1) != 0)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00404)
                      "unsupported body type '%s'; expected " FORM_TYPE,
                      type ? ap_escape_logitem(r->pool, type) : "(none)");
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    if (sd_form_parse(r->pool, buf, used, form) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00405)
                      "form body holds a NUL byte");
        return HTTP_BAD_REQUEST;
    }
    return OK;
}

/* The origin part (scheme://host[:port]) of a URL, or NULL. */
static const char *origin_of(apr_pool_t *p, const char *url)
{
    const char *host = strstr(url, "://");
    apr_size_t n;
    if (!host || host == url) {
        return NULL;
    }
    n = strcspn(host + 3, "/?#");
    return apr_pstrmemdup(p, url, (apr_size_t)(host + 3 - url) + n);
}

static int default_port(const char *scheme)
{
    return strcasecmp(scheme, "https") == 0 ? 443 : 80;
}

/* Whether `origin` is scheme://name[:port] for one of the server's own
 * names (ServerName, ServerAlias) and its port: what the configuration
 * says, not the client's Host header, which a DNS-rebinding page controls. */
static int own_port(request_rec *r, const sd_config *conf, const char *scheme)
{
    server_rec *s = r->server;
    const char *proto = conf->trust_proxy ? apr_table_get(r->headers_in, "X-Forwarded-Proto")
                                          : NULL;
    if (s->port) {
        return s->port;
    }
    if (s->server_scheme) {
        return default_port(scheme);
    }
    /* Behind a trusted proxy the browser saw the proxy's port: the one it
     * says, else the default port of the scheme it says. */
    if (proto && !ap_ssl_conn_is_ssl(r->connection)) {
        const char *fwd = apr_table_get(r->headers_in, "X-Forwarded-Port");
        apr_int64_t port = fwd ? apr_atoi64(fwd) : 0;
        return port > 0 && port < 65536 ? (int)port : default_port(scheme);
    }
    return r->connection->local_addr->port;
}

static int is_own_origin(request_rec *r, const sd_config *conf, const char *origin)
{
    server_rec *s = r->server;
    const char *scheme = s->server_scheme ? s->server_scheme
                         : sd_http_is_secure(r, conf) ? "https" : "http";
    int port = own_port(r, conf, scheme);
    const char *suffix = port == default_port(scheme) ? "" : apr_psprintf(r->pool, ":%d", port);
    const apr_array_header_t *aliases = s->names;

    /* ServerName first, then each ServerAlias. */
    for (int i = -1; i < (aliases ? aliases->nelts : 0); ++i) {
        const char *name = i < 0 ? s->server_hostname : APR_ARRAY_IDX(aliases, i, const char *);
        if (name
            && strcasecmp(origin, apr_pstrcat(r->pool, scheme, "://", name, suffix, NULL)) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Browsers send Sec-Fetch-Site and/or Origin on POSTs, and a Referer unless
 * told not to; a value that is not this site is refused. A client that
 * sends none of them is no browser that can be tricked into a request:
 * with SameSite Lax or Strict a browser would not even send the cookie
 * cross-site, so it passes; with None, or no SameSite at all (which
 * Firefox and Safari treat as None), it is refused. For an admin action
 * such a client may be a same-host reverse proxy passing anyone's request
 * on: only a positive proof of the page's own origin counts. */
int sd_http_cross_origin(request_rec *r, const sd_config *conf, int admin, const char **why)
{
    const char *fetch_site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *source = "Origin";

    if (fetch_site && strcasecmp(fetch_site, "same-origin") != 0
        && (admin || strcasecmp(fetch_site, "none") != 0)) {
        *why = apr_pstrcat(r->pool, "Sec-Fetch-Site: ", fetch_site, NULL);
        return 1;
    }
    if (!origin) {
        const char *referer = admin ? NULL : apr_table_get(r->headers_in, "Referer");
        if (!referer) {
            /* Sec-Fetch-Site same-origin (or none) alone, or no browser. */
            if (fetch_site || (!admin && (conf->cookie_same_site == SD_SAME_SITE_LAX
                                          || conf->cookie_same_site == SD_SAME_SITE_STRICT))) {
                return 0;
            }
            *why = admin ? "neither an Origin of this server nor Sec-Fetch-Site: same-origin"
                         : "no Origin, Referer or Sec-Fetch-Site, and the cookie is not SameSite"
                           " Lax or Strict";
            return 1;
        }
        source = "Referer";
        if (!(origin = origin_of(r->pool, referer))) {
            *why = "a Referer that is not an absolute URL";
            return 1;
        }
    }
    if (is_own_origin(r, conf, origin)) {
        return 0;
    }
    /* SessionDemoTrustedOrigin trusts other sites' forms with the app's
     * routes, never with an admin action. */
    for (int i = 0; !admin && conf->trusted_origins && i < conf->trusted_origins->nelts; ++i) {
        if (strcasecmp(origin, APR_ARRAY_IDX(conf->trusted_origins, i, const char *)) == 0) {
            return 0;
        }
    }
    *why = apr_pstrcat(r->pool, source, " ", origin, " is not this server's", NULL);
    return 1;
}

const char *sd_http_csp(apr_pool_t *p, const char *style_source)
{
    return apr_pstrcat(p, "default-src 'none'; style-src ", style_source,
                       "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", NULL);
}

request_rec *sd_http_initial_request(request_rec *r)
{
    while (r->main) {
        r = r->main;
    }
    while (r->prev) {
        r = r->prev;
    }
    return r;
}

int sd_http_status(sd_result rc)
{
    switch (rc) {
    case SD_OK:
        return OK;
    case SD_BUSY:
        return HTTP_CONFLICT;
    case SD_UNAVAILABLE:
        return HTTP_SERVICE_UNAVAILABLE;
    case SD_TOO_LARGE:
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    case SD_ENDED:
    case SD_DENIED:
        return HTTP_UNAUTHORIZED;
    case SD_NOT_FOUND:
        return HTTP_NOT_FOUND;
    case SD_REFUSED:
        return HTTP_BAD_REQUEST;
    case SD_FAILED:
        break;
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

int sd_http_text(sd_http_reply *out, int status, const char *text)
{
    out->status = status;
    out->content_type = TEXT_TYPE;
    out->body = text;
    out->len = strlen(text);
    return OK;
}

int sd_http_redirect(sd_http_reply *out, const char *location)
{
    out->location = location;
    return sd_http_text(out, HTTP_MOVED_TEMPORARILY, "Found. Redirecting\n");
}

int sd_http_json(request_rec *r, sd_http_reply *out, int status, const json_t *body)
{
    char *text = sd_json_dump(r->pool, body, &out->len);
    if (!text) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, r, SD_LOGNO(00418)
                      "the JSON reply could not be encoded (out of memory)");
        return sd_http_text(out, HTTP_INTERNAL_SERVER_ERROR,
                            "Internal error; it has been logged.\n");
    }
    out->status = status;
    out->content_type = JSON_TYPE;
    out->body = text;
    return OK;
}

int sd_http_send(request_rec *r, const char *csp, const sd_http_reply *out)
{
    /* Every page here is per-visitor; shared caches must never keep one. */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
    apr_table_setn(r->headers_out, "Referrer-Policy", "same-origin");
    apr_table_setn(r->headers_out, "Content-Security-Policy", csp);
    r->status = out->status;
    if (out->location) {
        apr_table_setn(r->headers_out, "Location", out->location);
    }
    if (out->status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
    }
    ap_set_content_type(r, out->content_type);
    ap_set_content_length(r, (apr_off_t)out->len);
    if (!r->header_only && out->len) {
        /* The whole reply in one brigade with its EOS, straight to the
         * filters: ap_rwrite would copy it through the OLD_WRITE filter's
         * buffer first. A pool bucket, as the body is in r->pool: set
         * aside past the request (write completion), it moves to the heap. */
        apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
        apr_bucket_brigade *bb = apr_brigade_create(r->pool, ba);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(out->body, out->len, r->pool, ba));
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
        ap_pass_brigade(r->output_filters, bb);
    }
    return OK;
}
