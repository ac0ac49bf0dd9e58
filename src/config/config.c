/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The table of sd_config.h expanded. Defaults are written as an admin
 * would write the argument and go through the same parser, so a default can
 * never be a value the directive itself would refuse. */
#include "sd_config.h"
#include "sd_cfg_parse.h"
#include "sd_cookie.h"
#include "sd_log.h"
#include "sd_mount.h"
#include "sd_vhost.h"

#include <ap_listen.h>
#include <http_log.h>
#include <unixd.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_lib.h>
#include <jansson.h>

#include <unistd.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

#define SD_UNSET (-1)
/* Longest SessionDemoKeyPrefix: memcached keys hold 250 bytes, and the
 * prefix must leave room for a session ID and the lock suffix. */
#define SD_CONFIG_MAX_KEY_PREFIX 48
#define SD_CONFIG_SHORT_SECRET 32
#define SD_DEFAULT_MEMCACHE_PORT 11211

typedef enum { KIND_INT, KIND_FLAG, KIND_CHOICE, KIND_TEXT, KIND_LIST, KIND_CUSTOM } kind;

typedef struct {
    apr_pool_t *pool;
    apr_pool_t *temp;
    server_rec *server;
    const char *name;
} set_ctx;

typedef const char *(*validator_fn)(apr_pool_t *p, const char *arg);
typedef const char *(*custom_fn)(const set_ctx *ctx, sd_config *conf, const char *arg);
typedef json_t *(*describe_fn)(apr_pool_t *p, const void *field);

typedef struct {
    const char *name;
    kind kind;
    apr_size_t offset;
    const char *default_text;
    apr_int64_t min, max;
    const char *unit;
    const char *const *choices;
    validator_fn validate;
    custom_fn set;
    describe_fn describe;
} directive;

static const char *set_memcache(const set_ctx *ctx, sd_config *conf, const char *arg)
{
    sd_config_server server;
    const char *err = sd_cfg_parse_host_port(ctx->pool, arg, SD_DEFAULT_MEMCACHE_PORT,
                                             &server.host, &server.port);
    if (err) {
        return err;
    }
    if (strchr(server.host, ':')) {
        return apr_psprintf(ctx->pool, "'%s' is an IPv6 address, and apr-util 1.6's memcached"
                            " client connects over IPv4 only; use an IPv4 address, or a name"
                            " that resolves to one", arg);
    }
    if (!conf->memcache) {
        conf->memcache = apr_array_make(ctx->pool, 2, sizeof(sd_config_server));
    }
    *(sd_config_server *)apr_array_push(conf->memcache) = server;
    return NULL;
}

static void add_secret(const set_ctx *ctx, sd_config *conf, const char *value,
                       const char *origin)
{
    sd_secret *secret;
    if (strlen(value) < SD_CONFIG_SHORT_SECRET) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ctx->server, SD_LOGNO(00101)
                     "%s: a secret of %" APR_SIZE_T_FMT " bytes%s is easy to guess;"
                     " use at least %d random bytes (e.g. openssl rand -base64 48)",
                     ctx->name, strlen(value), origin, SD_CONFIG_SHORT_SECRET);
    }
    if (!conf->secrets) {
        conf->secrets = apr_array_make(ctx->pool, 2, sizeof(sd_secret));
    }
    secret = apr_array_push(conf->secrets);
    secret->bytes = (const unsigned char *)apr_pstrdup(ctx->pool, value);
    secret->len = strlen(value);
    if (sd_mac_create(ctx->pool, secret->bytes, secret->len, &secret->keyed_mac) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ctx->server, SD_LOGNO(00104)
                     "%s: OpenSSL could not key an HMAC context; nothing can be"
                     " signed with this secret", ctx->name);
    }
}

static const char *set_secret(const set_ctx *ctx, sd_config *conf, const char *arg)
{
    if (!*arg) {
        return "a secret must not be empty";
    }
    add_secret(ctx, conf, arg, "");
    return NULL;
}

/* One secret per line; blank lines and '#' comments are skipped, so the
 * newest secret can be put first and old ones kept below it. */
static const char *set_secret_file(const set_ctx *ctx, sd_config *conf, const char *arg)
{
    const char *path = ap_server_root_relative(ctx->temp, arg);
    apr_file_t *file;
    apr_finfo_t finfo;
    apr_status_t rv;
    char line[4096];
    int count = 0;

    if (!path) {
        return apr_psprintf(ctx->pool, "invalid path '%s'", arg);
    }
    rv = apr_file_open(&file, path, APR_FOPEN_READ, APR_OS_DEFAULT, ctx->temp);
    if (rv != APR_SUCCESS) {
        char buf[120];
        return apr_psprintf(ctx->pool, "cannot read '%s': %s", path,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    /* Only the owner may read it: httpd reads it as root before the
     * children start, and a group read for httpd's own Group would hand the
     * secret to every CGI, PHP or FPM script running as that user. */
    if (apr_file_info_get(&finfo, APR_FINFO_PROT | APR_FINFO_GROUP, file) == APR_SUCCESS
        && (finfo.protection & (APR_FPROT_WREAD | APR_FPROT_GREAD))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ctx->server, SD_LOGNO(00102)
                     "%s: '%s' is readable by other users%s; chown root:root and"
                     " chmod 600 it (httpd reads it as root before dropping"
                     " privileges)", ctx->name, path,
                     (finfo.protection & APR_FPROT_WREAD) ? ""
                     : finfo.group == ap_unixd_config.group_id
                     ? " (its group is httpd's Group: every CGI or PHP script can read it)"
                     : " (its group)");
    }
    /* Its owner can read and replace it, whatever its mode: when that is
     * not root (www-data, say), so can every script running as that user.
     * Only said when httpd starts as root, which could read a root file. */
    if (geteuid() == 0 && apr_file_info_get(&finfo, APR_FINFO_USER, file) == APR_SUCCESS
        && finfo.user != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ctx->server, SD_LOGNO(00105)
                     "%s: '%s' is owned by uid %ld, not root: that user (and every"
                     " script running as it) can read or replace the secret; chown"
                     " root:root and chmod 600 it", ctx->name, path, (long)finfo.user);
    }
    while (apr_file_gets(line, sizeof(line), file) == APR_SUCCESS) {
        apr_size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            apr_file_close(file);
            return apr_psprintf(ctx->pool, "'%s' has a line longer than %d bytes",
                                path, (int)sizeof(line) - 2);
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        if (!n || line[0] == '#') {
            continue;
        }
        add_secret(ctx, conf, line,
                   apr_psprintf(ctx->temp, " (line %d of %s)", count + 1, path));
        ++count;
    }
    apr_file_close(file);
    if (!count) {
        return apr_psprintf(ctx->pool, "'%s' holds no secret", path);
    }
    conf->secret_file = apr_pstrdup(ctx->pool, path);
    return NULL;
}

/* RAW_ARGS because httpd's TAKE1 refuses an empty word, and "" (no prefix)
 * is what connect-memcached uses by default. */
static const char *set_key_prefix(const set_ctx *ctx, sd_config *conf, const char *args)
{
    const char *prefix;

    while (apr_isspace(*args)) {
        ++args;
    }
    if (!*args) {
        return "takes one argument: the prefix, or \"\" for none";
    }
    prefix = ap_getword_conf(ctx->pool, &args);
    if (*args) {
        return "takes one argument: the prefix, or \"\" for none";
    }
    conf->key_prefix = prefix;
    return sd_cfg_parse_key_prefix(ctx->pool, prefix, SD_CONFIG_MAX_KEY_PREFIX);
}

static const char *set_template_dir(const set_ctx *ctx, sd_config *conf, const char *arg)
{
    const char *dir = ap_server_root_relative(ctx->pool, arg);
    apr_finfo_t finfo;

    if (!dir) {
        return apr_psprintf(ctx->pool, "invalid path '%s'", arg);
    }
    if (apr_stat(&finfo, dir, APR_FINFO_TYPE, ctx->temp) != APR_SUCCESS
        || finfo.filetype != APR_DIR) {
        return apr_psprintf(ctx->pool, "'%s' is not a readable directory", dir);
    }
    conf->template_dir = dir;
    return NULL;
}

static json_t *show_memcache(apr_pool_t *p, const void *field)
{
    const apr_array_header_t *servers = *(apr_array_header_t *const *)field;
    json_t *names = json_array();
    for (int i = 0; i < servers->nelts; ++i) {
        const sd_config_server *m = &APR_ARRAY_IDX(servers, i, sd_config_server);
        json_array_append_new(names, json_string(apr_psprintf(p, "%s:%d", m->host, (int)m->port)));
    }
    return names;
}

/* Never the values: only how many, so a rotation can be checked. */
static json_t *show_secrets(apr_pool_t *p, const void *field)
{
    const apr_array_header_t *secrets = *(apr_array_header_t *const *)field;
    return json_string(apr_psprintf(p, "%d configured (hidden)", secrets ? secrets->nelts : 0));
}

#define DEF_INT(n, f, d, lo, hi, u, h) \
    { n, KIND_INT, APR_OFFSETOF(sd_config, f), d, lo, hi, u, NULL, NULL, NULL, NULL },
#define DEF_FLAG(n, f, d, h) \
    { n, KIND_FLAG, APR_OFFSETOF(sd_config, f), d, 0, 0, NULL, NULL, NULL, NULL, NULL },
#define DEF_CHOICE(n, f, d, c, h) \
    { n, KIND_CHOICE, APR_OFFSETOF(sd_config, f), d, 0, 0, NULL,                    \
      (const char *const[]){ c, NULL }, NULL, NULL, NULL },
#define DEF_TEXT(n, f, d, v, h) \
    { n, KIND_TEXT, APR_OFFSETOF(sd_config, f), d, 0, 0, NULL, NULL, v, NULL, NULL },
#define DEF_LIST(n, f, v, h) \
    { n, KIND_LIST, APR_OFFSETOF(sd_config, f), NULL, 0, 0, NULL, NULL, v, NULL, NULL },
#define DEF_CUSTOM(n, f, t, a, d, s, sh, h) \
    { n, KIND_CUSTOM, APR_OFFSETOF(sd_config, f), d, 0, 0, NULL, NULL, NULL, s, sh },

static const directive directives[] = {
    SD_CONFIG_DIRECTIVES(DEF_INT, DEF_FLAG, DEF_CHOICE, DEF_TEXT, DEF_LIST, DEF_CUSTOM)
};
#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

#define IDX_ANY(n, f, ...) IDX_##f,
enum { SD_CONFIG_DIRECTIVES(IDX_ANY, IDX_ANY, IDX_ANY, IDX_ANY, IDX_ANY, IDX_ANY) IDX_END };

static void *field_of(sd_config *conf, const directive *d)
{
    return (char *)conf + d->offset;
}

static const void *cfield_of(const sd_config *conf, const directive *d)
{
    return (const char *)conf + d->offset;
}

static const char *apply(const directive *d, const set_ctx *ctx, sd_config *conf,
                         const char *arg)
{
    void *field = field_of(conf, d);
    const char *err = NULL;

    /* The parsers write *out only on success, so a refused value leaves
     * the field as it was. */
    switch (d->kind) {
    case KIND_INT:
        return sd_cfg_parse_int(ctx->pool, arg, d->min, d->max, d->unit, field);
    case KIND_FLAG:
        return sd_cfg_parse_flag(ctx->pool, arg, field);
    case KIND_CHOICE:
        return sd_cfg_parse_choice(ctx->pool, arg, d->choices, field);
    case KIND_TEXT:
        *(const char **)field = apr_pstrdup(ctx->pool, arg);
        return d->validate ? d->validate(ctx->pool, arg) : NULL;
    case KIND_LIST:
        if (d->validate && (err = d->validate(ctx->pool, arg)) != NULL) {
            return err;
        }
        if (!*(apr_array_header_t **)field) {
            *(apr_array_header_t **)field = apr_array_make(ctx->pool, 2, sizeof(const char *));
        }
        APR_ARRAY_PUSH(*(apr_array_header_t **)field, const char *) = apr_pstrdup(ctx->pool, arg);
        return NULL;
    case KIND_CUSTOM:
        return d->set(ctx, conf, arg);
    }
    return "unknown directive kind";
}

/* Directives that may belong to a place go into its per-directory record. */
#define place_context(i) ((i) == IDX_login_url ? ACCESS_CONF : 0)

static const char *cmd_take1(cmd_parms *cmd, void *place, const char *arg)
{
    const directive *d = cmd->info;
    set_ctx ctx = { cmd->pool, cmd->temp_pool, cmd->server, d->name };
    const char *err;

    if (cmd->path && d == &directives[IDX_login_url]) {
        if ((err = d->validate(cmd->pool, arg)) == NULL) {
            sd_mount_set_login_url(place, apr_pstrdup(cmd->pool, arg));
        }
    }
    else {
        err = apply(d, &ctx, sd_vhost_get(cmd->server)->conf, arg);
    }
    return err ? apr_pstrcat(cmd->pool, d->name, ": ", err, NULL) : NULL;
}

/* httpd parses On|Off itself for AP_INIT_FLAG (and says "must be On or
 * Off"); the table's text default goes through sd_cfg_parse_flag. */
static const char *cmd_flag(cmd_parms *cmd, void *place, int on)
{
    return cmd_take1(cmd, place, on ? "On" : "Off");
}

#define CMD_INT(n, f, d, lo, hi, u, h) \
    AP_INIT_TAKE1(n, cmd_take1, (void *)&directives[IDX_##f], RSRC_CONF, h),
#define CMD_FLAG(n, f, d, h) \
    AP_INIT_FLAG(n, cmd_flag, (void *)&directives[IDX_##f], RSRC_CONF, h " (On|Off, default " d ")"),
#define CMD_CHOICE(n, f, d, c, h) \
    AP_INIT_TAKE1(n, cmd_take1, (void *)&directives[IDX_##f], RSRC_CONF, h " (default " d ")"),
#define CMD_TEXT(n, f, d, v, h) \
    AP_INIT_TAKE1(n, cmd_take1, (void *)&directives[IDX_##f], RSRC_CONF | place_context(IDX_##f), h),
#define CMD_LIST(n, f, v, h) \
    AP_INIT_ITERATE(n, cmd_take1, (void *)&directives[IDX_##f], RSRC_CONF, h),
#define CMD_CUSTOM(n, f, t, a, d, s, sh, h) \
    AP_INIT_##a(n, cmd_take1, (void *)&directives[IDX_##f], RSRC_CONF, h),

const command_rec sd_config_commands[] = {
    SD_CONFIG_DIRECTIVES(CMD_INT, CMD_FLAG, CMD_CHOICE, CMD_TEXT, CMD_LIST, CMD_CUSTOM)
    { NULL }
};

static int is_scalar(const directive *d)
{
    return d->kind == KIND_INT || d->kind == KIND_FLAG || d->kind == KIND_CHOICE;
}

/* Scalars use SD_UNSET for "not set here", pointers NULL. */
static int is_set(const sd_config *conf, const directive *d)
{
    const void *field = cfield_of(conf, d);
    if (d->kind == KIND_INT) {
        return *(const apr_int64_t *)field != SD_UNSET;
    }
    if (is_scalar(d)) {
        return *(const int *)field != SD_UNSET;
    }
    return *(const void *const *)field != NULL;
}

static apr_size_t field_size(const directive *d)
{
    return d->kind == KIND_INT ? sizeof(apr_int64_t)
           : is_scalar(d)      ? sizeof(int)
                               : sizeof(void *);
}

sd_config *sd_config_create(apr_pool_t *p)
{
    sd_config *conf = apr_pcalloc(p, sizeof(*conf));
    for (apr_size_t i = 0; i < NDIRECTIVES; ++i) {
        const directive *d = &directives[i];
        if (d->kind == KIND_INT) {
            *(apr_int64_t *)field_of(conf, d) = SD_UNSET;
        }
        else if (is_scalar(d)) {
            *(int *)field_of(conf, d) = SD_UNSET;
        }
    }
    return conf;
}

/* A virtual host inherits each directive it does not set; lists are
 * replaced, not appended to, as httpd's own list directives are. */
sd_config *sd_config_merge(apr_pool_t *p, const sd_config *base, const sd_config *add)
{
    sd_config *conf = apr_pcalloc(p, sizeof(*conf));
    for (apr_size_t i = 0; i < NDIRECTIVES; ++i) {
        const directive *d = &directives[i];
        memcpy(field_of(conf, d), cfield_of(is_set(add, d) ? add : base, d), field_size(d));
    }
    /* Never inherited: a realm named once for the main server would
     * otherwise join every virtual host into it, a demo-mode one with one
     * that checks passwords. Sharing is said on each server that shares. */
    conf->realm = add->realm;
    return conf;
}

/* The realm is ServerName and port: virtual hosts never share sessions by
 * accident while front-ends of one site do, and two ports of one host name
 * (one in demo mode) are two realms. */
static int default_port(const server_rec *s)
{
    if (s->port) {
        return s->port;
    }
    if (s->is_virtual && s->addrs && s->addrs->host_port) {
        return s->addrs->host_port;
    }
    for (const ap_listen_rec *l = ap_listeners; l; l = l->next) {
        if (l->bind_addr && l->bind_addr->port) {
            return l->bind_addr->port;
        }
    }
    return DEFAULT_HTTP_PORT;
}

const char *sd_config_server_name(apr_pool_t *p, const server_rec *s)
{
    const char *host = s->server_hostname ? s->server_hostname : "localhost";
    return apr_psprintf(p, "%s:%d", host, default_port(s));
}

const char *sd_config_finalize(apr_pool_t *p, server_rec *s, sd_config *conf)
{
    for (apr_size_t i = 0; i < NDIRECTIVES; ++i) {
        const directive *d = &directives[i];
        set_ctx ctx = { p, p, s, d->name };
        const char *err;
        if (is_set(conf, d) || !d->default_text) {
            continue;
        }
        if ((err = apply(d, &ctx, conf, d->default_text)) != NULL) {
            return apr_pstrcat(p, d->name, ": the built-in default is refused: ", err, NULL);
        }
    }
    int has_secret = conf->secrets && conf->secrets->nelts;
    int host_only = strncasecmp(conf->cookie_name, "__Host-", 7) == 0;
    if (conf->serves_app && !has_secret) {
        return "SessionDemoSecret is required where SetHandler sessiondemo or AuthType"
               " sessiondemo is used:"
               " set at least one long random secret (SessionDemoSecret or"
               " SessionDemoSecretFile; e.g. the output of openssl rand -base64 48)";
    }
    if (conf->store_format == SD_STORE_FORMAT_SEALED && !has_secret
        && (conf->serves_status || (conf->auth_providers && conf->auth_providers->nelts))) {
        /* Without a secret nothing can be sealed nor opened: such a server
         * would read and write the realm's records (the index of a user's
         * sessions, its count) as plain JSON anyone could plant. */
        return "SessionDemoStoreFormat Sealed (the default) needs a secret on a server that"
               " uses the session store (SetHandler sessiondemo-status or"
               " SessionDemoAuthProvider): set SessionDemoSecret or SessionDemoSecretFile"
               " (the realm's), or SessionDemoStoreFormat Express if its records are plain";
    }
    if (!conf->realm) {
        conf->realm = sd_config_server_name(p, s);
    }
    if (!conf->login_url) {
        conf->login_url = apr_pstrcat(p, conf->app_mount ? conf->app_mount : "", "/login", NULL);
    }
    /* On predates the choice of where the lock lives; it meant memcached. */
    if (conf->lock == SD_LOCK_ON) {
        conf->lock = SD_LOCK_CLUSTER;
    }
    if (conf->cookie_same_site == SD_SAME_SITE_NONE && conf->cookie_secure == SD_SECURE_OFF) {
        return "SessionDemoCookieSameSite None needs SessionDemoCookieSecure On or"
               " Auto: browsers drop SameSite=None cookies that are not Secure";
    }
    /* Browsers refuse such a cookie: that server could never log anyone in. */
    if ((host_only || strncasecmp(conf->cookie_name, "__Secure-", 9) == 0)
        && conf->cookie_secure != SD_SECURE_ON) {
        return apr_psprintf(p, "SessionDemoCookieName %s needs SessionDemoCookieSecure"
                            " On: browsers refuse a %s cookie without Secure",
                            conf->cookie_name, host_only ? "__Host-" : "__Secure-");
    }
    if (host_only && conf->cookie_domain) {
        return apr_psprintf(p, "SessionDemoCookieName %s cannot have a"
                            " SessionDemoCookieDomain: browsers refuse a __Host- cookie"
                            " with a Domain", conf->cookie_name);
    }
    if (host_only && strcmp(conf->cookie_path, "/") != 0) {
        return apr_psprintf(p, "SessionDemoCookieName %s needs SessionDemoCookiePath /:"
                            " browsers refuse a __Host- cookie with another Path",
                            conf->cookie_name);
    }
    if (conf->replicas >= conf->memcache->nelts) {
        return apr_psprintf(p, "SessionDemoReplicas %" APR_INT64_T_FMT " needs at least %"
                            APR_INT64_T_FMT " servers in SessionDemoMemcache (it has %d)",
                            conf->replicas, conf->replicas + 1, conf->memcache->nelts);
    }
    if (conf->absolute_timeout && conf->absolute_timeout < conf->max_age) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, SD_LOGNO(00103)
                     "SessionDemoAbsoluteTimeout %" APR_INT64_T_FMT " is shorter than"
                     " SessionDemoMaxAge %" APR_INT64_T_FMT "; sessions end after %"
                     APR_INT64_T_FMT " s whatever the activity",
                     conf->absolute_timeout, conf->max_age, conf->absolute_timeout);
    }
    return NULL;
}

const char *sd_config_same_site_name(const sd_config *conf)
{
    return conf->cookie_same_site >= 0 && conf->cookie_same_site < SD_SAME_SITE_OFF
           ? directives[IDX_cookie_same_site].choices[conf->cookie_same_site] : NULL;
}

static json_t *text_or_null(const char *text)
{
    return text ? json_string(text) : json_null();
}

json_t *sd_config_model(apr_pool_t *p, const sd_config *conf)
{
    json_t *model = json_object();
    for (apr_size_t i = 0; i < NDIRECTIVES; ++i) {
        const directive *d = &directives[i];
        const void *field = cfield_of(conf, d);
        const apr_array_header_t *list;
        json_t *v;
        switch (d->kind) {
        case KIND_INT:
            v = json_integer((json_int_t)*(const apr_int64_t *)field);
            break;
        case KIND_FLAG:
            v = json_boolean(*(const int *)field);
            break;
        case KIND_CHOICE:
            v = text_or_null(*(const int *)field >= 0 ? d->choices[*(const int *)field] : NULL);
            break;
        case KIND_LIST:
            list = *(const apr_array_header_t *const *)field;
            v = json_array();
            for (int j = 0; list && j < list->nelts; ++j) {
                json_array_append_new(v, json_string(APR_ARRAY_IDX(list, j, const char *)));
            }
            break;
        default:   /* text, or a custom value that describes itself */
            v = d->describe ? d->describe(p, field) : text_or_null(*(const char *const *)field);
            break;
        }
        json_object_set_new(model, d->name, v);
    }
    return model;
}
