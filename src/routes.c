/* The demo app of the tutorial, route by route. Each route fills a reply;
 * the dispatcher then commits the session (a failed save turns into an
 * error page, never a silent loss) and only then sends anything. */
#include "sd_routes.h"
#include "sd_form.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_session.h"
#include "sd_stats.h"
#include "sd_template.h"

#include <http_log.h>
#include <mod_auth.h>
#include <http_protocol.h>
#include <http_request.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

struct sd_views {
    const sd_template *home;
    const sd_template *login;
    const sd_template *profile;
    const sd_template *error;
};

typedef struct {
    request_rec *r;
    const sd_config *conf;
    sd_session_intent intent; /* the route's, for the lazy load */
    sd_session *session;      /* loaded on first use */
} route_ctx;

typedef struct {
    int status;
    const char *content_type;
    const char *body;
    apr_size_t len;
    const char *location;     /* for redirects */
} reply;

typedef int (*route_fn)(route_ctx *ctx, reply *out);

typedef struct {
    const char *path;
    int method;               /* M_GET also serves HEAD */
    sd_session_intent intent; /* whether it may change the session */
    route_fn fn;
} route;

#define CT_HTML "text/html; charset=utf-8"
#define CT_JSON "application/json; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"

/* ------------------------------------------------------------------ views */

const sd_views *sd_routes_load_views(apr_pool_t *p, const char *dir,
                                     const char **err)
{
    sd_views *v = apr_pcalloc(p, sizeof(*v));
    const sd_template **slots[] = { &v->home, &v->login, &v->profile, &v->error };
    const char *names[] = { "home.html", "login.html", "profile.html", "error.html" };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
        const char *path = apr_pstrcat(p, dir, "/", names[i], NULL);
        *slots[i] = sd_template_load(p, path, err);
        if (!*slots[i]) {
            return NULL;
        }
    }
    return v;
}

static void render(route_ctx *ctx, reply *out, int status,
                   const sd_template *t, json_t *view)
{
    out->status = status;
    out->content_type = CT_HTML;
    out->body = sd_template_render(ctx->r->pool, t, view, &out->len);
}

static void reply_json(route_ctx *ctx, reply *out, int status, json_t *body)
{
    out->status = status;
    out->content_type = CT_JSON;
    out->body = sd_json_dump(ctx->r->pool, body, &out->len);
}

static void reply_text(reply *out, int status, const char *text)
{
    out->status = status;
    out->content_type = CT_TEXT;
    out->body = text;
    out->len = strlen(text);
}

static void redirect(reply *out, const char *location)
{
    out->status = HTTP_MOVED_TEMPORARILY;
    out->location = location;
    out->content_type = CT_TEXT;
    out->body = "Found. Redirecting\n";
    out->len = strlen(out->body);
}

/* -------------------------------------------------------------- requests */

static int load_session(route_ctx *ctx)
{
    return ctx->session ? OK
                        : sd_session_load(ctx->r, ctx->conf, ctx->intent, &ctx->session);
}

static int is_logged_in(route_ctx *ctx)
{
    return json_is_true(json_object_get(sd_session_data(ctx->session), "isLoggedIn"));
}

/* Reads an urlencoded body of at most conf->max_body bytes. */
static int read_form(route_ctx *ctx, apr_table_t **form)
{
    request_rec *r = ctx->r;
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t cap = (apr_size_t)ctx->conf->max_body, used = 0;
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
    if (used > 0 && (!type || strncasecmp(type, "application/x-www-form-urlencoded",
                                          sizeof("application/x-www-form-urlencoded") - 1) != 0)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00404)
                      "unsupported body type '%s'; expected"
                      " application/x-www-form-urlencoded",
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

static json_t *view_user(route_ctx *ctx, int logged_in)
{
    json_t *data = sd_session_data(ctx->session);
    json_t *user = json_object();

    if (!logged_in) {
        json_object_set_new(user, "name", json_string("Guest"));
        json_object_set_new(user, "isLoggedIn", json_false());
        json_object_set_new(user, "loginTime", json_null());
        json_object_set_new(user, "visitCount", json_integer(0));
        return user;
    }
    json_object_set(user, "name", json_object_get(data, "username"));
    json_object_set_new(user, "isLoggedIn", json_true());
    json_object_set(user, "loginTime", json_object_get(data, "loginTime"));
    json_object_set_new(user, "visitCount",
                        json_integer(json_integer_value(json_object_get(data, "visitCount"))));
    return user;
}

/* ---------------------------------------------------------------- routes */

static int route_home(route_ctx *ctx, reply *out)
{
    json_t *view, *data, *flash;
    int rc = load_session(ctx), logged_in;

    if (rc != OK) {
        return rc;
    }
    data = sd_session_data(ctx->session);
    logged_in = is_logged_in(ctx);
    view = sd_json_track(ctx->r->pool, json_object());
    json_object_set_new(view, "user", view_user(ctx, logged_in));

    /* A flash message is shown once: reading it removes it. */
    flash = json_object_get(data, "flash");
    if (json_is_object(flash) && json_is_string(json_object_get(flash, "message"))) {
        json_object_set(view, "flash", flash);
    }
    if (flash) {
        json_object_del(data, "flash");
    }
    if (logged_in) {
        json_int_t count = json_integer_value(json_object_get(data, "visitCount"));
        json_object_set_new(data, "visitCount", json_integer(count + 1));
    }
    render(ctx, out, HTTP_OK, ctx->conf->views->home, view);
    return OK;
}

static int route_login_form(route_ctx *ctx, reply *out)
{
    json_t *view = sd_json_track(ctx->r->pool, json_object());
    apr_table_t *query;

    if (ctx->r->args
        && sd_form_parse(ctx->r->pool, ctx->r->args, strlen(ctx->r->args), &query) == APR_SUCCESS) {
        const char *error = apr_table_get(query, "error");
        if (error && strcmp(error, "2") == 0) {
            json_object_set_new(view, "invalid", json_true());
        }
        else if (error) {
            json_object_set_new(view, "error", json_true());
        }
    }
    render(ctx, out, HTTP_OK, ctx->conf->views->login, view);
    return OK;
}

/* Asks the configured authn providers (SessionDemoAuthProvider), in order,
 * as mod_auth_basic and mod_auth_form do; they read their own per-directory
 * settings (e.g. AuthUserFile) from this request. Without providers the demo
 * accepts any non-empty pair, as the tutorial does. Returns OK,
 * HTTP_UNAUTHORIZED or HTTP_INTERNAL_SERVER_ERROR. The password is never
 * logged. */
static int check_password(route_ctx *ctx, const char *user, const char *password)
{
    request_rec *r = ctx->r;
    const apr_array_header_t *providers = ctx->conf->authn;
    authn_status result = AUTH_USER_NOT_FOUND;

    if (!providers) {
        return OK;
    }
    for (int i = 0; i < providers->nelts; ++i) {
        const authn_provider *provider = APR_ARRAY_IDX(providers, i, const authn_provider *);
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE,
                       APR_ARRAY_IDX(ctx->conf->auth_providers, i, const char *));
        result = provider->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (result != AUTH_USER_NOT_FOUND) {
            break;
        }
    }
    switch (result) {
    case AUTH_GRANTED:
        return OK;
    case AUTH_GENERAL_ERROR:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00415)
                      "the authn provider failed while checking user '%s'",
                      ap_escape_logitem(r->pool, user));
        return HTTP_INTERNAL_SERVER_ERROR;
    default:
        SD_STATS_INC(ctx->conf->stats, logins_failed);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00416)
                      "login refused for user '%s': %s",
                      ap_escape_logitem(r->pool, user),
                      result == AUTH_USER_NOT_FOUND ? "unknown user" : "wrong password");
        return HTTP_UNAUTHORIZED;
    }
}

static int route_login(route_ctx *ctx, reply *out)
{
    request_rec *r = ctx->r;
    apr_table_t *form;
    const char *username, *password;
    json_t *data, *flash, *username_json;
    int rc = read_form(ctx, &form);

    if (rc != OK) {
        return rc;
    }
    username = apr_table_get(form, "username");
    password = apr_table_get(form, "password");
    if (!username || !*username || !password || !*password) {
        redirect(out, "/login?error=1");
        return OK;
    }
    if (strlen(username) > (apr_size_t)ctx->conf->max_username_len) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00406)
                      "username of %" APR_SIZE_T_FMT " bytes exceeds the limit of %"
                      APR_INT64_T_FMT, strlen(username), ctx->conf->max_username_len);
        return HTTP_BAD_REQUEST;
    }
    username_json = sd_json_track(r->pool, json_string(username));
    if (!username_json) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00414)
                      "username is not valid UTF-8");
        return HTTP_BAD_REQUEST;
    }
    if ((rc = check_password(ctx, username, password)) != OK) {
        if (rc == HTTP_UNAUTHORIZED) {
            redirect(out, "/login?error=2");
            return OK;
        }
        return rc;
    }
    /* A new ID at the privilege change, so an ID planted before login
     * (session fixation) is worthless afterwards. */
    if ((rc = load_session(ctx)) != OK || (rc = sd_session_regenerate(ctx->session)) != OK) {
        return rc;
    }
    data = sd_session_data(ctx->session);
    json_object_set_new(data, "isLoggedIn", json_true());
    json_object_set(data, "username", username_json);
    json_object_set_new(data, "loginTime",
                        json_string(sd_iso8601_format(r->pool, apr_time_now())));
    json_object_set_new(data, "visitCount", json_integer(0));
    flash = json_object();
    json_object_set_new(flash, "type", json_string("success"));
    json_object_set_new(flash, "message",
                        json_string(apr_pstrcat(r->pool, "Welcome, ", username, "!", NULL)));
    json_object_set_new(data, "flash", flash);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00407)
                  "user '%s' logged in", ap_escape_logitem(r->pool, username));
    redirect(out, "/");
    return OK;
}

static int route_logout(route_ctx *ctx, reply *out)
{
    int rc = load_session(ctx);
    if (rc != OK || (rc = sd_session_destroy(ctx->session)) != OK) {
        return rc;
    }
    redirect(out, "/");
    return OK;
}

static int route_profile(route_ctx *ctx, reply *out)
{
    json_t *view;
    int rc = load_session(ctx);

    if (rc != OK) {
        return rc;
    }
    if (!is_logged_in(ctx)) {
        redirect(out, "/login");
        return OK;
    }
    view = sd_json_track(ctx->r->pool, json_object());
    json_object_set_new(view, "user", view_user(ctx, 1));
    render(ctx, out, HTTP_OK, ctx->conf->views->profile, view);
    return OK;
}

static int route_protected(route_ctx *ctx, reply *out)
{
    int rc = load_session(ctx);
    if (rc != OK) {
        return rc;
    }
    if (!is_logged_in(ctx)) {
        reply_text(out, HTTP_UNAUTHORIZED, "Unauthorized");
    }
    else {
        reply_text(out, HTTP_OK, "Protected content");
    }
    return OK;
}

static void json_error(route_ctx *ctx, reply *out, int status, const char *message)
{
    json_t *body = sd_json_track(ctx->r->pool, json_object());
    json_object_set_new(body, "success", json_false());
    json_object_set_new(body, "error", json_string(message));
    reply_json(ctx, out, status, body);
}

static int route_add_to_cart(route_ctx *ctx, reply *out)
{
    request_rec *r = ctx->r;
    apr_table_t *form;
    const char *item;
    json_t *data, *cart, *body, *item_json;
    int rc = read_form(ctx, &form);

    if (rc != OK) {
        return rc;
    }
    item = apr_table_get(form, "item");
    if (!item || !*item) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00408)
                      "add-to-cart without an item");
        json_error(ctx, out, HTTP_BAD_REQUEST, "item is required");
        return OK;
    }
    if (strlen(item) > (apr_size_t)ctx->conf->max_item_len) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00409)
                      "cart item of %" APR_SIZE_T_FMT " bytes exceeds the limit of %"
                      APR_INT64_T_FMT, strlen(item), ctx->conf->max_item_len);
        json_error(ctx, out, HTTP_BAD_REQUEST,
                   apr_psprintf(r->pool, "item is longer than %" APR_INT64_T_FMT " bytes",
                                ctx->conf->max_item_len));
        return OK;
    }
    item_json = json_string(item);
    if (!item_json) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00413)
                      "cart item is not valid UTF-8");
        json_error(ctx, out, HTTP_BAD_REQUEST, "item must be UTF-8 text");
        return OK;
    }
    sd_json_track(r->pool, item_json);
    if ((rc = load_session(ctx)) != OK) {
        return rc;
    }
    data = sd_session_data(ctx->session);
    cart = json_object_get(data, "cart");
    if (!json_is_array(cart)) {
        cart = json_array();
        json_object_set_new(data, "cart", cart);
    }
    if (json_array_size(cart) >= (size_t)ctx->conf->max_cart_items) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00410)
                      "cart already holds %" APR_INT64_T_FMT " items",
                      ctx->conf->max_cart_items);
        json_error(ctx, out, HTTP_BAD_REQUEST,
                   apr_psprintf(r->pool, "the cart is full (%" APR_INT64_T_FMT " items)",
                                ctx->conf->max_cart_items));
        return OK;
    }
    json_array_append(cart, item_json);
    body = sd_json_track(r->pool, json_pack("{s:b}", "success", 1));
    reply_json(ctx, out, HTTP_OK, body);
    return OK;
}

static int route_cart(route_ctx *ctx, reply *out)
{
    json_t *cart, *body;
    int rc = load_session(ctx);

    if (rc != OK) {
        return rc;
    }
    cart = json_object_get(sd_session_data(ctx->session), "cart");
    body = sd_json_track(ctx->r->pool, json_object());
    json_object_set_new(body, "items", json_is_array(cart) ? json_incref(cart) : json_array());
    reply_json(ctx, out, HTTP_OK, body);
    return OK;
}

static const route routes[] = {
    /* GET / counts the visit and consumes the flash; logout and login
     * must serialise with concurrent requests so a logged-out session is
     * never written back. */
    { "/",            M_GET,  SD_SESSION_UPDATE, route_home },
    { "/login",       M_GET,  SD_SESSION_READ,   route_login_form },
    { "/login",       M_POST, SD_SESSION_UPDATE, route_login },
    { "/logout",      M_POST, SD_SESSION_UPDATE, route_logout },
    { "/profile",     M_GET,  SD_SESSION_READ,   route_profile },
    { "/protected",   M_GET,  SD_SESSION_READ,   route_protected },
    { "/add-to-cart", M_POST, SD_SESSION_UPDATE, route_add_to_cart },
    { "/cart",        M_GET,  SD_SESSION_READ,   route_cart },
};

/* ------------------------------------------------------------ dispatcher */

static int is_json_route(const char *path)
{
    return strcmp(path, "/add-to-cart") == 0 || strcmp(path, "/cart") == 0;
}

static const char *status_message(int status)
{
    switch (status) {
    case HTTP_NOT_FOUND:
        return "There is no page at this address.";
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
    default:
        return "Something went wrong on our side; it has been logged.";
    }
}

static void error_reply(route_ctx *ctx, reply *out, int status)
{
    request_rec *r = ctx->r;
    const char *message = status_message(status);

    memset(out, 0, sizeof(*out));
    if (is_json_route(r->uri)) {
        json_error(ctx, out, status, message);
        return;
    }
    json_t *view = sd_json_track(r->pool, json_object());
    json_object_set_new(view, "status", json_integer(status));
    json_object_set_new(view, "title",
                        json_string(ap_get_status_line(status) + 4));
    json_object_set_new(view, "message", json_string(message));
    render(ctx, out, status, ctx->conf->views->error, view);
}

/* scheme://host[:port] of this request as a browser would write it. */
static const char *own_origin(request_rec *r, const sd_config *conf)
{
    const char *host = apr_table_get(r->headers_in, "Host");
    if (!host) {
        return NULL;
    }
    return apr_pstrcat(r->pool, sd_request_is_secure(r, conf) ? "https://" : "http://",
                       host, NULL);
}

/* Cross-site request forgery defence for unsafe methods. Browsers send
 * Sec-Fetch-Site and/or Origin on POSTs; a value that is not this site is
 * refused. Clients that send neither (curl, scripts) are not browsers that
 * can be tricked into a request, so they pass. */
static int cross_origin(request_rec *r, const sd_config *conf, const char **why)
{
    const char *fetch_site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *mine;

    if (fetch_site && strcasecmp(fetch_site, "same-origin") != 0
        && strcasecmp(fetch_site, "none") != 0) {
        *why = apr_pstrcat(r->pool, "Sec-Fetch-Site: ", fetch_site, NULL);
        return 1;
    }
    if (!origin) {
        return 0;
    }
    mine = own_origin(r, conf);
    if (mine && strcasecmp(origin, mine) == 0) {
        return 0;
    }
    for (int i = 0; conf->trusted_origins && i < conf->trusted_origins->nelts; ++i) {
        if (strcasecmp(origin, APR_ARRAY_IDX(conf->trusted_origins, i, const char *)) == 0) {
            return 0;
        }
    }
    *why = apr_pstrcat(r->pool, "Origin ", origin, " is not ", mine ? mine : "(no Host)", NULL);
    return 1;
}

static void set_common_headers(request_rec *r)
{
    /* Every page here is per-visitor; shared caches must never keep one. */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
    apr_table_setn(r->headers_out, "Referrer-Policy", "same-origin");
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
                   " frame-ancestors 'none'; base-uri 'none'");
}

static int send_reply(request_rec *r, const reply *out)
{
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
        ap_rwrite(out->body, (int)out->len, r);
    }
    return OK;
}

int sd_routes_handle(request_rec *r, const sd_config *conf)
{
    route_ctx ctx = { r, conf, SD_SESSION_READ, NULL };
    reply out = { 0 };
    const route *match = NULL;
    const char *allow = NULL;
    int rc;

    set_common_headers(r);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); ++i) {
        if (strcmp(routes[i].path, r->uri) != 0) {
            continue;
        }
        if (routes[i].method == r->method_number) {
            match = &routes[i];
            break;
        }
        allow = apr_pstrcat(r->pool, allow ? allow : "", allow ? ", " : "",
                            routes[i].method == M_GET ? "GET, HEAD" : "POST", NULL);
    }
    if (!match) {
        rc = allow ? HTTP_METHOD_NOT_ALLOWED : HTTP_NOT_FOUND;
        if (allow) {
            apr_table_setn(r->headers_out, "Allow", allow);
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00411)
                      "%s %s: %s", r->method, ap_escape_logitem(r->pool, r->uri),
                      rc == HTTP_NOT_FOUND ? "no such route" : "method not allowed");
        ap_discard_request_body(r);
        error_reply(&ctx, &out, rc);
        return send_reply(r, &out);
    }

    if (match->method == M_POST && conf->check_origin) {
        const char *why = NULL;
        if (cross_origin(r, conf, &why)) {
            SD_STATS_INC(conf->stats, origin_refused);
            ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00417)
                          "cross-origin %s %s refused (%s)", r->method,
                          ap_escape_logitem(r->pool, r->uri),
                          ap_escape_logitem(r->pool, why));
            ap_discard_request_body(r);
            error_reply(&ctx, &out, HTTP_FORBIDDEN);
            return send_reply(r, &out);
        }
    }

    ctx.intent = match->intent;
    /* With SaveUninitialized every visitor gets a session, as with
     * express-session's middleware in front of every route. */
    rc = conf->save_uninitialized ? load_session(&ctx) : OK;
    if (rc == OK) {
        rc = match->fn(&ctx, &out);
    }
    if (rc == OK && ctx.session) {
        rc = sd_session_commit(ctx.session);
    }
    if (rc != OK) {
        if (rc == HTTP_SERVICE_UNAVAILABLE) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SD_LOGNO(00412)
                          "%s %s: session store unavailable, answering 503",
                          r->method, ap_escape_logitem(r->pool, r->uri));
        }
        /* A 413 or read failure leaves body bytes unread; httpd must not
         * reuse the connection as if they were the next request. */
        if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE || rc == HTTP_BAD_REQUEST) {
            r->connection->keepalive = AP_CONN_CLOSE;
        }
        error_reply(&ctx, &out, rc);
    }
    return send_reply(r, &out);
}
