/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The demo app of the tutorial, route by route. Each route fills a reply;
 * the dispatcher then commits the session (a failed save turns into an
 * error page, never a silent loss) and only then sends anything. */
#include "sd_routes.h"
#include "sd_authn.h"
#include "sd_form.h"
#include "sd_next_path.h"
#include "sd_http.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_mount.h"
#include "sd_module.h"
#include "sd_record.h"
#include "sd_session.h"
#include "sd_throttle.h"
#include "sd_user_index.h"
#include "sd_username.h"

#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <apr_strings.h>
#include <apr_time.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

typedef struct {
    request_rec *r;
    const sd_vhost *v;
    const sd_config *conf;
    sd_session_intent intent; /* the route's, for the lazy load */
    sd_session *session;      /* loaded on first use */
    apr_table_t *form;        /* a ROUTE_FORM route's body */
    const char *user;         /* a ROUTE_USER route's logged-in user */
    const char *logged_in_as; /* a login to index once the session is saved */
    const char *logged_out;   /* a logout to drop from the index, and... */
    const char *logged_out_id;
    const char *base;         /* the mount without its last '/': "" at / (sd_mount) */
    const char *path;         /* the request's path below base: a route's path */
    const char *message;      /* an error page's text, when the route has one */
    int json;                 /* the path's routes answer JSON, errors too */
} route_ctx;

typedef int (*route_fn)(route_ctx *ctx, sd_http_reply *out);

#define ROUTE_SESSION 1 /* the session is loaded before the route runs */
#define ROUTE_JSON 2    /* it answers JSON, errors too */
#define ROUTE_FORM 4    /* its form is read first (another POST's body is discarded) */
#define ROUTE_USER 8    /* for a logged-in user: a guest is sent to the login page, */
#define ROUTE_BACK 16   /* ... and back here after it, */
#define ROUTE_401 32    /* ... or answered 401 */
#define ROUTE_INDEX 64  /* as ROUTE_USER, for a user's sessions: the name, real passwords */

typedef struct {
    const char *path;
    int method;               /* M_GET also serves HEAD */
    sd_session_intent intent; /* whether it may change the session */
    int flags;
    route_fn fn;
} route;

/* ------------------------------------------------------------------ replies */

/* A route's URL, below where the app is mounted. */
static const char *app_url(const route_ctx *ctx, const char *route)
{
    return *ctx->base ? apr_pstrcat(ctx->r->pool, ctx->base, route, NULL) : route;
}

/* Returns OK, for a route to return. */
static int render(route_ctx *ctx, sd_http_reply *out, int status, sd_views_page page,
                  json_t *view)
{
    /* Templates write their links as {{base}}/login. */
    json_object_set_new(view, "base", json_string(ctx->base));
    out->status = status;
    out->content_type = SD_HTTP_HTML;
    out->body = sd_views_render(ctx->r->pool, ctx->v->rt.views, page, view, &out->len);
    return OK;
}

/* -------------------------------------------------------------- requests */

static int load_session(route_ctx *ctx)
{
    return ctx->session ? OK
                        : sd_http_status(sd_session_load(ctx->r, ctx->v, ctx->intent,
                                                         &ctx->session));
}

static int is_logged_in(sd_session *s)
{
    return json_is_true(sd_session_get(s, "isLoggedIn"));
}

/* The logged-in user's name, or NULL. */
static const char *user_of(sd_session *s)
{
    const json_t *name = sd_session_get(s, "username");
    return is_logged_in(s) && json_is_string(name) ? json_string_value(name) : NULL;
}

/* A page's view model, with the user. */
static json_t *page_view(route_ctx *ctx, int logged_in)
{
    sd_session *s = ctx->session;
    json_t *view = sd_json_track(ctx->r->pool, json_object()), *user;

    if (!logged_in) {
        json_object_set_new(view, "user", json_pack("{s:s,s:b,s:n,s:i}", "name", "Guest",
                                                    "isLoggedIn", 0, "loginTime", "visitCount",
                                                    0));
        return view;
    }
    /* Shared, not copied: the view only reads them. */
    user = json_object();
    json_object_set(user, "name", (json_t *)sd_session_get(s, "username"));
    json_object_set_new(user, "isLoggedIn", json_true());
    json_object_set(user, "loginTime", (json_t *)sd_session_get(s, "loginTime"));
    json_object_set_new(user, "visitCount",
                        json_integer(json_integer_value(sd_session_get(s, "visitCount"))));
    json_object_set_new(view, "user", user);
    return view;
}

/* ---------------------------------------------------------------- routes */

static int route_home(route_ctx *ctx, sd_http_reply *out)
{
    int logged_in = is_logged_in(ctx->session);
    json_t *view = page_view(ctx, logged_in);
    const json_t *flash;

    /* A flash message is shown once: reading it removes it. A HEAD request
     * shows nothing, so it neither consumes the flash nor counts a visit. */
    flash = sd_session_get(ctx->session, "flash");
    if (json_is_object(flash) && json_is_string(json_object_get(flash, "message"))) {
        json_object_set(view, "flash", (json_t *)flash);
    }
    if (flash && !ctx->r->header_only) {
        sd_session_del(ctx->session, "flash");
    }
    if (logged_in && !ctx->r->header_only) {
        json_int_t count = json_integer_value(sd_session_get(ctx->session, "visitCount"));
        sd_session_set_new(ctx->session, "visitCount", json_integer(count + 1));
    }
    return render(ctx, out, HTTP_OK, SD_VIEW_HOME, view);
}

/* A parameter of the query string, or NULL. */
static const char *query_arg(route_ctx *ctx, const char *name)
{
    request_rec *r = ctx->r;
    apr_table_t *query;
    return r->args && sd_form_parse(r->pool, r->args, strlen(r->args), &query) == APR_SUCCESS
               ? apr_table_get(query, name)
               : NULL;
}

static int route_login_form(route_ctx *ctx, sd_http_reply *out)
{
    json_t *view = sd_json_track(ctx->r->pool, json_object());
    const char *error = query_arg(ctx, "error");
    const char *next = sd_next_path_check(ctx->r->pool, query_arg(ctx, "next"));

    if (next) {
        json_object_set_new(view, "next", json_string(next));
    }
    if (error) {
        json_object_set_new(view, strcmp(error, "2") == 0 ? "invalid" : "error", json_true());
    }
    return render(ctx, out, HTTP_OK, SD_VIEW_LOGIN, view);
}

/* Before the password is checked, so a refusal tells nothing and depends
 * only on counts, which unknown names get like known ones. The attempt
 * counts as a failure first and is taken back if its password is right, so
 * parallel guesses cannot all pass on one reading. *client stays NULL when
 * nothing was counted. */
static int throttle_check(route_ctx *ctx, const char *username, const char **client)
{
    request_rec *r = ctx->r;
    sd_throttle *t = ctx->v->rt.throttle;
    sd_backend_call call = { r->pool, r };
    sd_throttle_counts counts;
    sd_throttle_verdict verdict;

    /* r->useragent_ip: the client mod_remoteip names, behind a proxy. */
    const char *address = sd_throttle_address(r->pool, r->useragent_ip);
    if (!address) {
        address = r->useragent_ip ? r->useragent_ip : "";
    }
    *client = NULL;
    if (sd_throttle_attempt(t, ctx->v->rt.store, &call, username, address, &counts, &verdict)
        != SD_STORE_OK) {
        /* Counters that do not answer refuse the login, right password or
         * wrong: else the form is an unthrottled oracle while memcached is
         * away. Said once per child until they answer again. */
        SD_STATS_INC(ctx->v->rt.stats, throttle_unavailable);
        if (sd_throttle_unreachable_first(t)) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(01201)
                          "login throttle: its counters in memcached did not answer; logins are"
                          " refused (503) until they do (said once)");
        }
        ctx->message = "Logging in is not possible right now. Please try again in a minute.";
        return HTTP_SERVICE_UNAVAILABLE;
    }
    sd_throttle_reachable(t);
    if (verdict.outcome != SD_THROTTLE_ALLOW) {
        SD_STATS_INC(ctx->v->rt.stats, logins_throttled);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(01202)
                      "login for user '%s' throttled (%s): %u failures for the name, %u from"
                      " this address for it, %u from the address %s in the window of %"
                      APR_INT64_T_FMT " s; answering 429",
                      ap_escape_logitem(r->pool, username),
                      verdict.outcome == SD_THROTTLE_BLOCK_ADDRESS ? "address limit"
                                                                    : "username limit",
                      counts.user, counts.pair, counts.address, ap_escape_logitem(r->pool, address),
                      sd_throttle_get_limits(t)->window);
        /* No password was tried: sd_throttle_attempt took its counts back,
         * so refusals do not push an address over the limit for others. */
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, verdict.retry_after));
        return HTTP_TOO_MANY_REQUESTS;
    }
    *client = address;
    if (verdict.delay > 0) {
        apr_sleep(verdict.delay);
    }
    return OK;
}

/* The form again with its error, keeping where a gated page sent the user. */
static int back_to_login(route_ctx *ctx, sd_http_reply *out, const char *next, const char *url)
{
    const char *login = app_url(ctx, url);
    return sd_http_redirect(out, next ? sd_next_path_login_url(ctx->r->pool, login, next) : login);
}

static int route_login(route_ctx *ctx, sd_http_reply *out)
{
    request_rec *r = ctx->r;
    const char *username = apr_table_get(ctx->form, "username");
    const char *password = apr_table_get(ctx->form, "password"), *client = NULL;
    /* Where a gated page sent the user from (AuthType sessiondemo): only a
     * path of this server, kept across a failed attempt. */
    const char *next = sd_next_path_check(r->pool, apr_table_get(ctx->form, "next"));
    sd_session *s;
    sd_username_verdict verdict;
    sd_result checked;
    int rc;

    if (!username || !*username || !password || !*password) {
        return back_to_login(ctx, out, next, "/login?error=1");
    }
    verdict = sd_username_check(username, strlen(username),
                                (apr_size_t)ctx->conf->max_username_len);
    if (verdict == SD_USERNAME_TOO_LONG) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00406)
                      "username of %" APR_SIZE_T_FMT " bytes exceeds the limit of %"
                      APR_INT64_T_FMT, strlen(username), ctx->conf->max_username_len);
        return HTTP_BAD_REQUEST;
    }
    if (verdict != SD_USERNAME_OK) {
        /* A name a header would carry otherwise than the provider checked
         * it ("alice " stripped): a wrong password, the provider not asked. */
        SD_STATS_INC(ctx->v->rt.stats, logins_failed);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00419)
                      "login refused for username '%s': %s",
                      ap_escape_logitem(r->pool, username), sd_username_reason(verdict));
        return back_to_login(ctx, out, next, "/login?error=2");
    }
    /* A provider that ignores case lets in ALICE as alice: her index,
     * `Require user` and a backend's header must see one name. */
    username = sd_username_fold(r->pool, username, ctx->conf->username_case == SD_USERNAME_LOWER);
    if (ctx->v->rt.throttle && ctx->v->rt.store
        && (rc = throttle_check(ctx, username, &client)) != OK) {
        return rc;
    }
    checked = sd_authn_check(r, ctx->v->rt.authn, ctx->v->rt.stats, username, password);
    if (checked != SD_DENIED && client) {
        /* Not a wrong password (a login, or the provider failing): the
         * attempt's own count is taken back; earlier ones stay. */
        sd_backend_call call = { r->pool, r };
        sd_throttle_release(ctx->v->rt.throttle, ctx->v->rt.store, &call, username, client);
    }
    if (checked == SD_DENIED) {
        return back_to_login(ctx, out, next, "/login?error=2");
    }
    if (checked != SD_OK) {
        return sd_http_status(checked);
    }
    /* A new ID at the privilege change, so an ID planted before login
     * (session fixation) is worthless afterwards. */
    if ((rc = load_session(ctx)) != OK
        || (rc = sd_http_status(sd_session_regenerate(ctx->session))) != OK) {
        return rc;
    }
    s = ctx->session;
    /* How the login was verified travels with the session: a demo-mode
     * login is never one where passwords are checked. */
    sd_session_set_login(s, ctx->v->rt.authn ? SD_RECORD_LOGIN_PASSWORD : SD_RECORD_LOGIN_DEMO);
    sd_session_set_new(s, "isLoggedIn", json_true());
    sd_session_set_new(s, "username", json_string(username));
    sd_session_set_new(s, "loginTime",
                       json_string(sd_record_iso8601_format(r->pool, apr_time_now())));
    sd_session_set_new(s, "visitCount", json_integer(0));
    sd_session_set_new(s, "flash", json_pack("{s:s,s:s}", "type", "success", "message",
                                             apr_pstrcat(r->pool, "Welcome, ", username, "!",
                                                         NULL)));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00407)
                  "user '%s' logged in", ap_escape_logitem(r->pool, username));
    /* In demo mode anyone can log in as anyone: an index would show them
     * each other's devices and let them end each other's sessions. */
    ctx->logged_in_as = ctx->v->rt.authn ? username : NULL;
    return sd_http_redirect(out, next ? next : app_url(ctx, "/"));
}

/* A logout with several valid cookies of our name (one may be planted)
 * ends every session they name, each under its lock: one left alive would
 * serve the browser as its owner once the other cookie is gone. */
static int end_cookie_sessions(route_ctx *ctx)
{
    request_rec *r = ctx->r;
    const apr_array_header_t *ids = sd_session_cookie_ids(r, ctx->v);
    const char *own = sd_session_id(ctx->session);
    int ended = 0;

    /* One ID is the request's own session; only two or more made the
     * request a guest without opening any of them. */
    if (ids->nelts < 2) {
        return OK;
    }
    for (int i = 0; i < ids->nelts; ++i) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *), *user;
        sd_session *s = NULL;
        int rc;

        if (own && strcmp(id, own) == 0) {
            continue;
        }
        rc = sd_http_status(sd_session_open(r, ctx->v, id, SD_SESSION_UPDATE, &s));
        if (rc == OK && sd_session_is_live(s)) {
            user = apr_pstrdup(r->pool, user_of(s));
            if ((rc = sd_http_status(sd_session_destroy(s))) == OK) {
                ++ended;
                if (user && ctx->v->rt.authn) {
                    sd_user_index_remove(r, ctx->v, user, id);
                }
            }
        }
        sd_session_close(s);
        if (rc != OK) {
            return rc;
        }
    }
    if (ended) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00430)
                      "logout with several valid session cookies: ended %d more"
                      " session%s they named", ended, ended == 1 ? "" : "s");
    }
    return OK;
}

static int route_logout(route_ctx *ctx, sd_http_reply *out)
{
    int rc;
    ctx->logged_out = user_of(ctx->session);
    ctx->logged_out_id = sd_session_id(ctx->session);
    if ((rc = sd_http_status(sd_session_destroy(ctx->session))) != OK
        || (rc = end_cookie_sessions(ctx)) != OK) {
        return rc;
    }
    return sd_http_redirect(out, app_url(ctx, "/"));
}

static int route_profile(route_ctx *ctx, sd_http_reply *out)
{
    return render(ctx, out, HTTP_OK, SD_VIEW_PROFILE, page_view(ctx, 1));
}

static int route_protected(route_ctx *ctx, sd_http_reply *out)
{
    (void)ctx;
    return sd_http_text(out, HTTP_OK, "Protected content");
}

static int json_error(route_ctx *ctx, sd_http_reply *out, int status, const char *message)
{
    return sd_http_json(ctx->r, out, status,
                        sd_json_track(ctx->r->pool,
                                      json_pack("{s:b,s:s}", "success", 0, "error", message)));
}

static int route_add_to_cart(route_ctx *ctx, sd_http_reply *out)
{
    request_rec *r = ctx->r;
    const char *item = apr_table_get(ctx->form, "item");
    json_t *cart, *item_json;
    int rc;

    if (!item || !*item) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00408)
                      "add-to-cart without an item");
        return json_error(ctx, out, HTTP_BAD_REQUEST, "item is required");
    }
    if (strlen(item) > (apr_size_t)ctx->conf->max_item_len) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00409)
                      "cart item of %" APR_SIZE_T_FMT " bytes exceeds the limit of %"
                      APR_INT64_T_FMT, strlen(item), ctx->conf->max_item_len);
        return json_error(ctx, out, HTTP_BAD_REQUEST,
                          apr_psprintf(r->pool, "item is longer than %" APR_INT64_T_FMT " bytes",
                                       ctx->conf->max_item_len));
    }
    item_json = json_string(item);
    if (!item_json) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00413)
                      "cart item is not valid UTF-8");
        return json_error(ctx, out, HTTP_BAD_REQUEST, "item must be UTF-8 text");
    }
    sd_json_track(r->pool, item_json);
    if ((rc = load_session(ctx)) != OK) {
        return rc;
    }
    cart = sd_session_get_mut(ctx->session, "cart");
    if (!json_is_array(cart)) {
        cart = json_array();
        sd_session_set_new(ctx->session, "cart", cart);
    }
    if (json_array_size(cart) >= (size_t)ctx->conf->max_cart_items) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00410)
                      "cart already holds %" APR_INT64_T_FMT " items",
                      ctx->conf->max_cart_items);
        return json_error(ctx, out, HTTP_BAD_REQUEST,
                          apr_psprintf(r->pool, "the cart is full (%" APR_INT64_T_FMT " items)",
                                       ctx->conf->max_cart_items));
    }
    json_array_append(cart, item_json);
    return sd_http_json(r, out, HTTP_OK, sd_json_track(r->pool, json_pack("{s:b}", "success", 1)));
}

static int route_cart(route_ctx *ctx, sd_http_reply *out)
{
    const json_t *cart = sd_session_get(ctx->session, "cart");
    json_t *items = json_is_array(cart) ? json_incref((json_t *)cart) : json_array();

    return sd_http_json(ctx->r, out, HTTP_OK,
                        sd_json_track(ctx->r->pool, json_pack("{s:o}", "items", items)));
}

/* ------------------------------------------------- the user's sessions */

static json_t *iso_or_null(apr_pool_t *p, apr_time_t t)
{
    return t ? json_string(sd_record_iso8601_format(p, t)) : json_null();
}

/* The user's sessions as the page and the JSON show them. */
static int sessions_model(route_ctx *ctx, json_t **list, int *others)
{
    apr_array_header_t *entries;
    const char *mine = sd_session_id(ctx->session);
    int rc = sd_http_status(sd_user_index_list(ctx->r, ctx->v, ctx->user, &entries));

    *others = 0;
    if (rc != OK) {
        return rc;
    }
    *list = sd_json_track(ctx->r->pool, json_array());
    for (int i = 0; *list && i < entries->nelts; ++i) {
        const sd_user_index_entry *e = &APR_ARRAY_IDX(entries, i, sd_user_index_entry);
        int current = mine && strcmp(e->id, mine) == 0;
        json_t *one = json_pack("{s:s,s:o,s:o,s:s,s:s,s:b}", "handle", e->handle,
                                "created", iso_or_null(ctx->r->pool, e->created),
                                "lastSeen", iso_or_null(ctx->r->pool, e->last_seen),
                                "userAgent", e->user_agent, "ip", e->ip, "current", current);
        /* This device first, then the others, most recently seen first. */
        if (!one || (current ? json_array_insert_new(*list, 0, one)
                             : json_array_append_new(*list, one))) {
            break;
        }
        *others += !current;
    }
    if (!*list || json_array_size(*list) != (size_t)entries->nelts) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, ctx->r, SD_LOGNO(00425)
                      "out of memory listing the user's sessions");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* The page, or the list alone at /sessions.json. */
static int route_sessions(route_ctx *ctx, sd_http_reply *out)
{
    json_t *view, *list;
    const char *ended;
    apr_int64_t n;
    int others, rc = sessions_model(ctx, &list, &others);

    if (rc != OK) {
        return rc;
    }
    if (ctx->json) {
        return sd_http_json(ctx->r, out, HTTP_OK,
                            sd_json_track(ctx->r->pool, json_pack("{s:O}", "sessions", list)));
    }
    view = page_view(ctx, 1);
    json_object_set(view, "sessions", list);
    json_object_set_new(view, "others", json_boolean(others));
    /* Only a number gets through: the notice is the server's text. */
    ended = query_arg(ctx, "ended");
    n = ended ? apr_atoi64(ended) : -1;
    if (n >= 0 && n <= 1000) {
        json_object_set_new(view, "notice", json_string(apr_psprintf(
            ctx->r->pool, "%" APR_INT64_T_FMT " session%s ended.", n, n == 1 ? "" : "s")));
    }
    return render(ctx, out, HTTP_OK, SD_VIEW_SESSIONS, view);
}

static int route_sessions_logout_others(route_ctx *ctx, sd_http_reply *out)
{
    int ended = 0;
    int rc = sd_http_status(sd_user_index_end(ctx->r, ctx->v, ctx->user, NULL,
                                              sd_session_id(ctx->session), &ended, NULL));

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, ctx->r, SD_LOGNO(00420)
                  "user '%s' ended %d other session%s", ap_escape_logitem(ctx->r->pool, ctx->user),
                  ended, ended == 1 ? "" : "s");
    if (rc != OK) {
        return rc;
    }
    return sd_http_redirect(out,
                            apr_psprintf(ctx->r->pool, "%s/sessions?ended=%d", ctx->base, ended));
}

static int route_sessions_logout(route_ctx *ctx, sd_http_reply *out)
{
    request_rec *r = ctx->r;
    const char *handle = apr_table_get(ctx->form, "handle"), *ended_id = NULL;
    int ended = 0;
    int rc = sd_http_status(sd_user_index_end(r, ctx->v, ctx->user, handle ? handle : "", NULL,
                                              &ended, &ended_id));

    if (rc == HTTP_NOT_FOUND) {
        /* Unknown, malformed, already ended, or another user's: alike. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00421)
                      "user '%s' asked to end a session that is none of theirs"
                      " (or no longer exists)", ap_escape_logitem(r->pool, ctx->user));
        return rc;
    }
    if (rc != OK) {
        return rc;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00422)
                  "user '%s' ended one of their sessions", ap_escape_logitem(r->pool, ctx->user));
    if (ended_id && sd_session_id(ctx->session)
        && strcmp(ended_id, sd_session_id(ctx->session)) == 0) {
        /* This device's own: it is a logout. */
        sd_session_forget(ctx->session);
        return sd_http_redirect(out, app_url(ctx, "/"));
    }
    return sd_http_redirect(out, app_url(ctx, "/sessions?ended=1"));
}

static const route routes[] = {
    /* GET / counts the visit and consumes the flash; logout and login
     * must serialise with concurrent requests so a logged-out session is
     * never written back. */
    { "/",            M_GET,  SD_SESSION_UPDATE, ROUTE_SESSION, route_home },
    { "/login",       M_GET,  SD_SESSION_READ,   0,             route_login_form },
    { "/login",       M_POST, SD_SESSION_UPDATE, ROUTE_FORM,    route_login },
    { "/logout",      M_POST, SD_SESSION_UPDATE, ROUTE_SESSION, route_logout },
    { "/profile",     M_GET,  SD_SESSION_READ,   ROUTE_USER,    route_profile },
    { "/protected",   M_GET,  SD_SESSION_READ,   ROUTE_USER | ROUTE_401, route_protected },
    { "/add-to-cart", M_POST, SD_SESSION_UPDATE, ROUTE_FORM | ROUTE_JSON, route_add_to_cart },
    { "/cart",        M_GET,  SD_SESSION_READ,   ROUTE_SESSION | ROUTE_JSON, route_cart },
    /* The other sessions are ended each under its own lock; this one is
     * only read (the index is written after, never while holding it). */
    { "/sessions",      M_GET, SD_SESSION_READ, ROUTE_INDEX | ROUTE_BACK, route_sessions },
    { "/sessions.json", M_GET, SD_SESSION_READ, ROUTE_INDEX | ROUTE_401 | ROUTE_JSON,
      route_sessions },
    { "/sessions/logout-others", M_POST, SD_SESSION_READ, ROUTE_INDEX,
      route_sessions_logout_others },
    { "/sessions/logout", M_POST, SD_SESSION_READ, ROUTE_INDEX | ROUTE_FORM, route_sessions_logout },
};

/* ------------------------------------------------------------ dispatcher */

static const char *status_message(int status)
{
    switch (status) {
    case HTTP_NOT_FOUND:
        return "There is no page at this address, or nothing of yours by that name.";
    case HTTP_METHOD_NOT_ALLOWED:
        return "This address does not accept that method.";
    case HTTP_BAD_REQUEST:
        return "The request could not be understood.";
    case HTTP_REQUEST_ENTITY_TOO_LARGE:
        return "The submitted form is too large.";
    case HTTP_UNSUPPORTED_MEDIA_TYPE:
        return "Forms must be sent as application/x-www-form-urlencoded.";
    case HTTP_SERVICE_UNAVAILABLE:
        return "The session store is not reachable right now. Please try again in a few seconds.";
    case HTTP_FORBIDDEN:
        return "This form was submitted from another site and has been refused.";
    case HTTP_TOO_MANY_REQUESTS:
        return "Too many failed logins. Please wait a few minutes before trying again.";
    default:
        return "Something went wrong on our side; it has been logged.";
    }
}

/* The error page or JSON error of status, with the route's message if any. */
static void error_reply(route_ctx *ctx, sd_http_reply *out, int status)
{
    request_rec *r = ctx->r;
    const char *message = ctx->message ? ctx->message : status_message(status);

    memset(out, 0, sizeof(*out));
    if (ctx->json) {
        json_error(ctx, out, status, message);
        return;
    }
    render(ctx, out, status, SD_VIEW_ERROR,
           sd_json_track(r->pool, json_pack("{s:i,s:s,s:s}", "status", status, "title",
                                            ap_get_status_line(status) + 4, "message", message)));
}

/* Removes the Set-Cookie lines of our cookie, keeping other modules'. */
static void drop_our_cookie(request_rec *r, const char *name)
{
    const apr_array_header_t *h = apr_table_elts(r->err_headers_out);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    apr_table_t *kept = apr_table_make(r->pool, h->nelts);
    apr_size_t n = strlen(name);
    for (int i = 0; i < h->nelts; ++i) {
        if (e[i].key && strcasecmp(e[i].key, "Set-Cookie") == 0 && e[i].val
            && strncmp(e[i].val, name, n) == 0 && e[i].val[n] == '=') {
            continue;
        }
        apr_table_addn(kept, e[i].key, e[i].val);
    }
    r->err_headers_out = kept;
}

/* After the commit: a login (or an express-session one, on its first save
 * here) joins the user's index, a logout leaves it. A login that cannot be
 * indexed is undone: the user could neither see nor end its session. */
static int update_index(route_ctx *ctx)
{
    request_rec *r = ctx->r;
    sd_session *s = ctx->session, *undone;
    const char *id = sd_session_id(s), *user = ctx->logged_in_as;
    apr_time_t rebuilt = 0;

    if (ctx->logged_out && ctx->logged_out_id && ctx->v->rt.authn) {
        sd_user_index_remove(r, ctx->v, ctx->logged_out, ctx->logged_out_id);
    }
    if (!user && ctx->v->rt.authn && sd_session_to_index(s, &rebuilt)) {
        user = user_of(s);
    }
    if (!id || !user
        || sd_user_index_add(r, ctx->v, user, id, sd_session_created(s), rebuilt) == SD_OK) {
        return OK;
    }
    if (!ctx->logged_in_as) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00424)
                      "a session express-session made (or one whose user's index"
                      " was gone) could not be added to its user's index; it cannot"
                      " be listed or ended from another device");
        return OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00423)
                  "the login could not be added to the user's index of sessions;"
                  " the new session is ended and the login refused");
    drop_our_cookie(r, ctx->conf->cookie_name);
    if (sd_session_open(r, ctx->v, id, SD_SESSION_UPDATE, &undone) == SD_OK) {
        sd_session_destroy(undone);
    }
    sd_session_close(undone);
    return HTTP_SERVICE_UNAVAILABLE;
}

/* The request's path below base ("/login"), the mount itself being "/";
 * NULL outside it. <Location /app> matches /application too, which is not
 * below /app. */
static const char *path_below(const char *uri, const char *base)
{
    apr_size_t n = strlen(base);
    if (strncmp(uri, base, n) != 0 || (uri[n] != '/' && uri[n] != '\0')) {
        return NULL;
    }
    return uri[n] ? uri + n : "/";
}

/* The request's route, or NULL with the status that refuses it (logged):
 * outside the mount (sd_mount_base), no such route, another method (with Allow), or a
 * cross-site POST. */
static const route *find_route(route_ctx *ctx, const char *base, int *refusal)
{
    request_rec *r = ctx->r;
    const route *match = NULL;
    const char *allow = NULL, *why = NULL;

    if (!ctx->path) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00801)
                      "%s %s: not below this server's mount %s", r->method,
                      ap_escape_logitem(r->pool, r->uri),
                      base ? (*base ? base : "/")
                           : (*ctx->conf->app_mount ? ctx->conf->app_mount : "/"));
        *refusal = HTTP_NOT_FOUND;
        return NULL;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && !match; ++i) {
        if (strcmp(routes[i].path, ctx->path) != 0) {
            continue;
        }
        ctx->json = routes[i].flags & ROUTE_JSON;
        if (routes[i].method == r->method_number) {
            match = &routes[i];
        }
        else {
            allow = apr_pstrcat(r->pool, allow ? allow : "", allow ? ", " : "",
                                routes[i].method == M_GET ? "GET, HEAD" : "POST", NULL);
        }
    }
    if (!match) {
        *refusal = allow ? HTTP_METHOD_NOT_ALLOWED : HTTP_NOT_FOUND;
        if (allow) {
            apr_table_setn(r->headers_out, "Allow", allow);
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00411)
                      "%s %s: %s", r->method, ap_escape_logitem(r->pool, r->uri),
                      allow ? "method not allowed" : "no such route");
        return NULL;
    }
    if (match->method == M_POST && ctx->conf->check_origin
        && sd_http_cross_origin(r, ctx->conf, 0, &why)) {
        SD_STATS_INC(ctx->v->rt.stats, origin_refused);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00417)
                      "cross-origin %s %s refused (%s)", r->method,
                      ap_escape_logitem(r->pool, r->uri), ap_escape_logitem(r->pool, why));
        *refusal = HTTP_FORBIDDEN;
        return NULL;
    }
    return match;
}

/* What the route's flags ask for before it runs, then the route: its
 * body, the demo-mode refusal, the session, a guest's answer. */
static int run_route(route_ctx *ctx, const route *rt, sd_http_reply *out)
{
    const char *login;
    int rc;

    ctx->intent = rt->intent;
    if (rt->method == M_POST && !(rt->flags & ROUTE_FORM)) {
        ap_discard_request_body(ctx->r);
    }
    if ((rt->flags & ROUTE_INDEX) && !ctx->v->rt.authn) {
        /* The session list needs real passwords (see route_login). */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, ctx->r, SD_LOGNO(00426)
                      "the list of a user's sessions is off in demo mode (no"
                      " SessionDemoAuthProvider: anyone can log in as anyone)");
        ctx->message = "The list of your sessions needs real passwords; this server runs in"
                       " demo mode, where anyone can log in as anyone.";
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if ((rt->flags & ROUTE_FORM)
        && (rc = sd_http_read_form(ctx->r, ctx->conf, &ctx->form)) != OK) {
        return rc;
    }
    /* With SaveUninitialized every visitor gets a session, as with
     * express-session's middleware in front of every route. */
    if ((ctx->conf->save_uninitialized
         || (rt->flags & (ROUTE_SESSION | ROUTE_USER | ROUTE_INDEX)))
        && (rc = load_session(ctx)) != OK) {
        return rc;
    }
    if (!(rt->flags & (ROUTE_USER | ROUTE_INDEX))) {
        return rt->fn(ctx, out);
    }
    /* The sessions' routes need the user's name, the pages the login. */
    ctx->user = user_of(ctx->session);
    if ((rt->flags & ROUTE_INDEX) ? ctx->user != NULL : is_logged_in(ctx->session)) {
        return rt->fn(ctx, out);
    }
    if (rt->flags & ROUTE_401) {
        return ctx->json ? json_error(ctx, out, HTTP_UNAUTHORIZED, "not logged in")
                         : sd_http_text(out, HTTP_UNAUTHORIZED, "Unauthorized");
    }
    login = app_url(ctx, "/login");
    return sd_http_redirect(out, (rt->flags & ROUTE_BACK)
                                     ? sd_next_path_login_url(ctx->r->pool, login,
                                                              app_url(ctx, rt->path))
                                     : login);
}

int sd_routes_handle(request_rec *r, const sd_vhost *v)
{
    const sd_config *conf = v->conf;
    const char *base = sd_mount_base(r);
    route_ctx ctx = { .r = r, .v = v, .conf = conf, .base = base ? base : "",
                      .path = base ? path_below(r->uri, base) : NULL };
    sd_http_reply out = { 0 };
    int rc;
    const route *match = find_route(&ctx, base, &rc);

    if (match) {
        rc = run_route(&ctx, match, &out);
    }
    else {
        ap_discard_request_body(r);
    }
    if (rc == OK && ctx.session) {
        sd_result saved = sd_session_commit(ctx.session);
        rc = saved == SD_OK ? update_index(&ctx) : sd_http_status(saved);
        if (saved == SD_TOO_LARGE && match->method == M_GET) {
            /* A page's own bookkeeping (the visit count) that no longer
             * fits: the page is still served, the stored session kept. */
            rc = OK;
        }
        if (saved == SD_ENDED) {
            ctx.message = "Your session has ended (signed out from another device or by an"
                      " administrator); please log in again. Nothing was changed.";
        }
        if (rc != OK && saved == SD_TOO_LARGE) {
            ctx.message = "This change would make your session larger than the session"
                      " store accepts, so it was not made; your session is unchanged.";
        }
    }
    if (rc != OK) {
        if (rc == HTTP_SERVICE_UNAVAILABLE) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00412)
                          "%s %s: the session could not be had or kept (its store or"
                          " its lock, logged before), answering 503",
                          r->method, ap_escape_logitem(r->pool, r->uri));
        }
        /* A 413 or read failure leaves body bytes unread; httpd must not
         * reuse the connection as if they were the next request. */
        if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE || rc == HTTP_BAD_REQUEST) {
            r->connection->keepalive = AP_CONN_CLOSE;
        }
        error_reply(&ctx, &out, rc);
    }
    return sd_http_send(r, v->rt.csp, &out);
}
