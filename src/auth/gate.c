/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* AuthType sessiondemo (sd_gate.h): the session read as the app's
 * read-only pages read it, so a user who only browses gated content stays
 * logged in. */
#include "sd_cookie.h"
#include "sd_gate.h"
#include "sd_http.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_mount.h"
#include "sd_next_path.h"
#include "sd_session.h"
#include "sd_user_index.h"
#include "sd_username.h"
#include "sd_vhost.h"

#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <apr_lib.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

#define SD_GATE_NOTE "sessiondemo-gate-user"

static int wants_page(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    return (r->method_number == M_GET || r->header_only)
           && accept && ap_strcasestr(accept, "text/html");
}

/* The initial request's user (subrequests and internal redirects share its
 * verdict), "" for a guest, or NULL when the store could not answer. */
static const char *session_user(request_rec *r, request_rec *top, const sd_vhost *v,
                                const char **login_time)
{
    const char *known = apr_table_get(top->notes, SD_GATE_NOTE);
    sd_session *s;
    const json_t *logged_in, *name, *when;

    *login_time = apr_table_get(top->notes, SD_GATE_NOTE "-time");
    if (known) {
        return known;
    }
    if (sd_session_load(top, v, SD_SESSION_READ, &s) != SD_OK) {
        return NULL;
    }
    logged_in = sd_session_get(s, "isLoggedIn");
    name = sd_session_get(s, "username");
    when = sd_session_get(s, "loginTime");
    known = json_is_true(logged_in) && json_is_string(name) && *json_string_value(name)
            ? apr_pstrdup(top->pool, json_string_value(name)) : "";
    /* A refused name (stored by an older version or an Express peer) could
     * reach a backend as someone else's. */
    if (*known) {
        sd_username_verdict verdict =
            sd_username_check(known, strlen(known), (apr_size_t)v->conf->max_username_len);
        if (verdict != SD_USERNAME_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, top, SD_LOGNO(00605)
                          "AuthType sessiondemo: the session's username is refused (%s);"
                          " treated as a guest", sd_username_reason(verdict));
            known = "";
        }
    }
    /* Not with SessionDemoLock Off: a blind write could bring back a session
     * a concurrent logout just ended. Not from a subrequest: the page's
     * headers may be sent already, so memcached would move and the cookie
     * not. */
    if (*known && v->conf->lock != SD_LOCK_OFF && r->main == NULL) {
        /* The Set-Cookie goes in err_headers_out, which survives a CGI's or
         * a backend's answer; a failed refresh leaves the session as stored. */
        sd_result rc = sd_session_commit(s);
        apr_time_t rebuild_at = 0;
        if (rc == SD_ENDED) {
            /* Put back after a revoke: ended by this refresh. */
            known = "";
        }
        else if (rc == SD_OK && sd_session_to_index(s, &rebuild_at)) {
            /* Indexed at its first save, so that a revoke finds it. */
            sd_user_index_add(top, v, known, sd_session_id(s), sd_session_created(s),
                              rebuild_at);
        }
        else if (rc != SD_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, top, SD_LOGNO(00606)
                          "AuthType sessiondemo: the session's refresh failed (%d);"
                          " serving the request without it", sd_http_status(rc));
        }
    }
    else {
        sd_session_close(s);
    }
    *login_time = json_is_string(when) ? apr_pstrdup(top->pool, json_string_value(when)) : NULL;
    apr_table_setn(top->notes, SD_GATE_NOTE, known);
    if (*login_time) {
        apr_table_setn(top->notes, SD_GATE_NOTE "-time", *login_time);
    }
    return known;
}

int sd_gate_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *user, *login_time = NULL;
    const sd_vhost *v;
    request_rec *top;

    if (!type || strcasecmp(type, "sessiondemo") != 0) {
        return DECLINED;
    }
    v = sd_vhost_get(r->server);
    r->ap_auth_type = (char *)"sessiondemo";
    if (!v->conf->secrets || !v->rt.store) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00601)
                      "AuthType sessiondemo on a server without %s; answering 503",
                      v->conf->secrets ? "a memcached client (see the start-up log)"
                                       : "SessionDemoSecret");
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (!v->rt.authn) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00604)
                      "AuthType sessiondemo on a server in demo mode (no"
                      " SessionDemoAuthProvider): anyone could log in as anyone;"
                      " answering 503");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    top = sd_http_initial_request(r);
    if (!(user = session_user(r, top, v, &login_time))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00602)
                      "AuthType sessiondemo: session store unavailable, answering 503");
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (!*user) {
        if (wants_page(r)) {
            const char *url = sd_mount_login_url(r);
            apr_table_setn(r->err_headers_out, "Location",
                           sd_next_path_login_url(r->pool, url ? url : v->conf->login_url,
                                                  top->unparsed_uri));
            apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
            return HTTP_MOVED_TEMPORARILY;
        }
        /* No WWW-Authenticate: no browser dialog could log in here. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00603)
                      "AuthType sessiondemo: no logged-in session; answering 401");
        return HTTP_UNAUTHORIZED;
    }
    apr_table_mergen(r->err_headers_out, "Cache-Control", "private");
    apr_table_mergen(r->err_headers_out, "Vary", "Cookie");
    if (r->main) {
        /* A subrequest's headers never reach the client: the including page
         * is what a cache would keep (helps only while its headers are not
         * sent yet). */
        request_rec *page = r->main;
        const char *cc;
        while (page->main) {
            page = page->main;
        }
        cc = apr_table_get(page->err_headers_out, "Cache-Control");
        if (!cc || !ap_strstr_c(cc, "private")) {
            apr_table_mergen(page->err_headers_out, "Cache-Control", "private");
            apr_table_mergen(page->err_headers_out, "Vary", "Cookie");
        }
    }
    r->user = (char *)user;
    apr_table_setn(r->subprocess_env, "SESSIONDEMO_USER", user);
    if (login_time) {
        apr_table_setn(r->subprocess_env, "SESSIONDEMO_LOGIN_TIME", login_time);
    }
    if (v->conf->pass_user) {
        apr_table_setn(r->headers_in, v->conf->pass_user, user);
    }
    return OK;
}

/* Case aside and '_' read as '-', as CGI's HTTP_* names and many frameworks
 * read them: to a CGI, a client's X-Remote-User is X_Remote_User. */
static int same_header(const char *name, const char *configured)
{
    for (; *name && *configured; ++name, ++configured) {
        char a = *name == '_' ? '-' : *name;
        char b = *configured == '_' ? '-' : *configured;
        if (apr_tolower(a) != apr_tolower(b)) {
            return 0;
        }
    }
    return !*name && !*configured;
}

int sd_gate_strip_header(request_rec *r)
{
    const sd_vhost *v = sd_vhost_get(r->server);
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;

    for (int i = 0; v->conf->pass_user && i < h->nelts;) {
        if (e[i].key && same_header(e[i].key, v->conf->pass_user)) {
            /* In place: the later entries move down to i. */
            apr_table_unset(r->headers_in, e[i].key);
        }
        else {
            ++i;
        }
    }
    return DECLINED;
}

int sd_gate_strip_cookie(request_rec *r)
{
    const sd_vhost *v = sd_vhost_get(r->server);
    const apr_array_header_t *h;
    const apr_table_entry_t *e;
    apr_array_header_t *kept, *gone;
    const char *stripped, *removed;

    /* Whatever the handler: mod_proxy serves a proxy: filename even where
     * SetHandler sessiondemo applies; the module's handlers read the stash. */
    if (!v->conf->strip_cookie || !v->rt.strip_names || !v->rt.strip_names->nelts) {
        return DECLINED;
    }
    h = apr_table_elts(r->headers_in);
    e = (const apr_table_entry_t *)h->elts;
    kept = apr_array_make(r->pool, 1, sizeof(const char *));
    gone = apr_array_make(r->pool, 1, sizeof(const char *));
    for (int i = 0; i < h->nelts; ++i) {
        if (!e[i].key || strcasecmp(e[i].key, "Cookie") != 0) {
            continue;
        }
        stripped = sd_cookie_strip_any(r->pool, e[i].val, v->rt.strip_names, &removed);
        APR_ARRAY_PUSH(kept, const char *) = stripped;
        if (removed) {
            APR_ARRAY_PUSH(gone, const char *) = removed;
        }
    }
    if (!gone->nelts) {
        return DECLINED;
    }
    /* A later load in this request (handler, subrequest, ErrorDocument)
     * still needs the session. */
    sd_session_stash_cookie(r, apr_array_pstrcat(r->pool, gone, ';'));
    apr_table_unset(r->headers_in, "Cookie");
    for (int i = 0; i < kept->nelts; ++i) {
        const char *line = APR_ARRAY_IDX(kept, i, const char *);
        if (*line) {
            apr_table_addn(r->headers_in, "Cookie", line);
        }
    }
    return DECLINED;
}
