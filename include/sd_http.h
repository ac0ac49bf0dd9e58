/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* HTTP plumbing shared by the handlers: form bodies, the cross-site check,
 * and the one path every reply takes, built in full before anything goes
 * out. */
#ifndef SD_HTTP_H
#define SD_HTTP_H

#include <httpd.h>
#include <apr_tables.h>
#include <jansson.h>

#include "sd_config.h"
#include "sd_result.h"

#define SD_HTTP_HTML "text/html; charset=utf-8"

typedef struct {
    int status;
    const char *content_type;
    const char *body;
    apr_size_t len;
    const char *location;     /* for redirects */
} sd_http_reply;

/* Whether the client reached us over TLS: the connection itself, or the
 * first X-Forwarded-Proto value when SessionDemoTrustProxy is On. */
int sd_http_is_secure(request_rec *r, const sd_config *conf);

/* An urlencoded body of at most SessionDemoMaxBodySize bytes: OK, or the
 * status to answer (413, 415, 400), logged. */
int sd_http_read_form(request_rec *r, const sd_config *conf, apr_table_t **form);

/* Whether an unsafe request comes from another site (and *why, for the
 * log): Sec-Fetch-Site, then Origin (or Referer), against this server's
 * names and SessionDemoTrustedOrigin. An admin action (admin) must prove
 * its origin: an Origin of this server or Sec-Fetch-Site: same-origin. */
int sd_http_cross_origin(request_rec *r, const sd_config *conf, int admin, const char **why);

/* The request the client sent: subrequests and internal redirects share its
 * headers (its cookie) and the gate's verdict on it. */
request_rec *sd_http_initial_request(request_rec *r);

/* The pages' Content-Security-Policy: nothing loads, no script runs, and
 * only the stylesheet of `style_source` (sd_views_style_source) applies. */
const char *sd_http_csp(apr_pool_t *p, const char *style_source);

/* The HTTP status that answers a lower unit's result: OK for SD_OK. */
int sd_http_status(sd_result rc);

/* The reply builders return OK, for a route to return; a JSON body that
 * cannot be encoded becomes a 500 (logged). */
int sd_http_text(sd_http_reply *out, int status, const char *text);
int sd_http_redirect(sd_http_reply *out, const char *location);
int sd_http_json(request_rec *r, sd_http_reply *out, int status, const json_t *body);

/* Sends the reply with no-store, the CSP, the framing and sniffing headers,
 * and Retry-After on a 503. Returns OK. */
int sd_http_send(request_rec *r, const char *csp, const sd_http_reply *out);

#endif
