/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The admin's revoke: who may ask, and the revoke itself. */
#include "sd_admin.h"
#include "sd_http.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_user_index.h"
#include "sd_username.h"

#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

static int answer(request_rec *r, const sd_vhost *v, int status, json_t *body)
{
    sd_http_reply out = { 0 };
    sd_http_json(r, &out, status, sd_json_track(r->pool, body));
    return sd_http_send(r, v->rt.csp, &out);
}

static int refuse(request_rec *r, const sd_vhost *v, int status, const char *message)
{
    return answer(r, v, status, json_pack("{s:s}", "error", message));
}

/* Why the request may not act, or NULL. Only the page's own address acts:
 * a POST to the metrics' (?format=…), which an admin may open to a
 * scraper, does not. Only a user httpd has authenticated: `Require local`
 * alone lets in anyone a same-host reverse proxy passes on. And only from
 * the page itself: a proxy's request or another site's page carries no
 * same-origin Origin or Sec-Fetch-Site, whatever SessionDemoCheckOrigin
 * says for the app's forms. */
static const char *refusal(request_rec *r, const sd_vhost *v, int *status)
{
    const char *why = NULL;

    if (r->args && *r->args) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00516)
                      "status POST with a query string refused; revoke-user is"
                      " posted to the page's address alone");
        *status = HTTP_BAD_REQUEST;
        return "POST revoke-user=NAME to the status page's address, without a query string";
    }
    *status = HTTP_FORBIDDEN;
    if (!r->user || !ap_auth_type(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00518)
                      "revoke refused: the request is not authenticated (put AuthType and"
                      " Require user on the status page's <Location> for POST)");
        return "an admin action needs an authenticated user (AuthType and Require user on"
               " this page)";
    }
    if (sd_http_cross_origin(r, v->conf, 1, &why)) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00507)
                      "revoke by %s refused: not from this site's own page (%s)",
                      ap_escape_logitem(r->pool, r->user), ap_escape_logitem(r->pool, why));
        return "cross-origin request refused: an admin action needs Origin of this site or"
               " Sec-Fetch-Site: same-origin";
    }
    return NULL;
}

int sd_admin_handle(request_rec *r, const sd_vhost *v)
{
    const char *message, *user;
    apr_table_t *form;
    json_t *body;
    sd_username_verdict verdict;
    int ended = 0, rc;

    if ((message = refusal(r, v, &rc)) != NULL) {
        ap_discard_request_body(r);
        return refuse(r, v, rc, message);
    }
    if ((rc = sd_http_read_form(r, v->conf, &form)) != OK) {
        return refuse(r, v, rc, "a form with revoke-user=NAME is expected");
    }
    user = apr_table_get(form, "revoke-user");
    if (!user || !*user) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00508)
                      "status POST without revoke-user");
        return refuse(r, v, HTTP_BAD_REQUEST, "revoke-user=NAME is required");
    }
    verdict = sd_username_check(user, strlen(user), (apr_size_t)v->conf->max_username_len);
    if (verdict != SD_USERNAME_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00515)
                      "revoke-user is not a username: %s", sd_username_reason(verdict));
        return refuse(r, v, HTTP_BAD_REQUEST, "revoke-user is not a username");
    }
    user = sd_username_fold(r->pool, user, v->conf->username_case == SD_USERNAME_LOWER);
    if (!v->rt.store) {
        return refuse(r, v, HTTP_SERVICE_UNAVAILABLE, "no session store here");
    }
    if (!v->rt.authn) {
        /* Logins are not indexed in demo mode: a revoke would find nothing
         * and say "0" of a user who is logged in. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00517)
                      "revoke-user on a server in demo mode: its logins are not indexed");
        return refuse(r, v, HTTP_SERVICE_UNAVAILABLE, "this server runs in demo mode (no"
                      " SessionDemoAuthProvider): its sessions are not indexed, so none can"
                      " be revoked");
    }
    rc = sd_http_status(sd_user_index_end(r, v, user, NULL, NULL, &ended, NULL));
    ap_log_rerror(APLOG_MARK, rc == OK ? APLOG_NOTICE : APLOG_WARNING, 0, r, SD_LOGNO(00509)
                  "admin %s revoked %d session%s of user '%s'%s",
                  ap_escape_logitem(r->pool, r->user), ended, ended == 1 ? "" : "s",
                  ap_escape_logitem(r->pool, user),
                  rc == OK ? "" : "; some could not be ended (store unavailable)");
    /* The realm says whose sessions these were: a status page on a virtual
     * host of another realm revokes nothing of this one's. */
    body = json_pack("{s:s,s:s,s:i}", "user", user, "realm", v->conf->realm, "revoked", ended);
    if (rc != OK) {
        json_object_set_new(body, "error", json_string("the session store did not answer for"
                                                       " every session; try again"));
    }
    return answer(r, v, rc == OK ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE, body);
}
