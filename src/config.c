/* SessionDemo* directives: parsing, defaults, merge and start-up validation.
 * Every error names its directive (httpd adds the file and line), so an admin
 * sees "SessionDemoMaxAge: 'abc' is not a number of seconds" from apache2 -t. */
#include "sd_config.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <apr_strings.h>
#include <apr_network_io.h>
#include <apr_lib.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

#define SD_UNSET (-1)

void *sd_config_create(apr_pool_t *p, server_rec *s)
{
    sd_config *conf = apr_pcalloc(p, sizeof(*conf));
    (void)s;
    conf->max_age = SD_UNSET;
    return conf;
}

void *sd_config_merge(apr_pool_t *p, void *basev, void *addv)
{
    const sd_config *base = basev, *add = addv;
    sd_config *conf = apr_pcalloc(p, sizeof(*conf));

    conf->memcache = add->memcache ? add->memcache : base->memcache;
    conf->secrets = add->secrets ? add->secrets : base->secrets;
    conf->cookie_name = add->cookie_name ? add->cookie_name : base->cookie_name;
    conf->max_age = add->max_age != SD_UNSET ? add->max_age : base->max_age;
    conf->key_prefix = add->key_prefix ? add->key_prefix : base->key_prefix;
    conf->template_dir = add->template_dir ? add->template_dir : base->template_dir;
    return conf;
}

sd_config *sd_config_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &sessiondemo_module);
}

static sd_config *cmd_config(cmd_parms *cmd)
{
    return sd_config_get(cmd->server);
}

static const char *set_memcache(cmd_parms *cmd, void *dummy, const char *arg)
{
    sd_config *conf = cmd_config(cmd);
    sd_memcache_server *server;
    char *host = NULL, *scope = NULL;
    apr_port_t port = 0;
    (void)dummy;

    /* apr_parse_addr_port takes "host:junk" for an IPv6-ish host name, so
     * the port is checked here: digits only, and IPv6 needs brackets. */
    if (*arg != '[') {
        const char *colon = strchr(arg, ':');
        if (colon && (strchr(colon + 1, ':') || !colon[1]
                      || strspn(colon + 1, "0123456789") != strlen(colon + 1))) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' is not a valid host:port (e.g. 127.0.0.1:11211;"
                                " IPv6 as [::1]:11211)", cmd->cmd->name, arg);
        }
    }
    if (apr_parse_addr_port(&host, &scope, &port, arg, cmd->pool) != APR_SUCCESS
        || !host || scope) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a valid host:port (e.g. 127.0.0.1:11211)",
                            cmd->cmd->name, arg);
    }
    if (!conf->memcache) {
        conf->memcache = apr_array_make(cmd->pool, 2, sizeof(sd_memcache_server));
    }
    server = apr_array_push(conf->memcache);
    server->host = host;
    server->port = port ? port : SD_DEFAULT_MEMCACHE_PORT;
    return NULL;
}

static const char *set_secret(cmd_parms *cmd, void *dummy, const char *arg)
{
    sd_config *conf = cmd_config(cmd);
    sd_secret *secret;
    (void)dummy;

    if (!*arg) {
        return apr_psprintf(cmd->pool, "%s: a secret must not be empty",
                            cmd->cmd->name);
    }
    if (strlen(arg) < SD_SHORT_SECRET_LEN) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, SD_LOGNO(00101)
                     "%s: a secret of %" APR_SIZE_T_FMT " bytes is easy to guess;"
                     " use at least %d random bytes (e.g. openssl rand -base64 48)",
                     cmd->cmd->name, strlen(arg), SD_SHORT_SECRET_LEN);
    }
    if (!conf->secrets) {
        conf->secrets = apr_array_make(cmd->pool, 2, sizeof(sd_secret));
    }
    secret = apr_array_push(conf->secrets);
    secret->bytes = (const unsigned char *)apr_pstrdup(cmd->pool, arg);
    secret->len = strlen(arg);
    return NULL;
}

/* RFC 6265 cookie-name = token: no CTLs, no separators. */
static int is_cookie_token(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (; *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c)) {
            return 0;
        }
    }
    return 1;
}

static const char *set_cookie_name(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (!is_cookie_token(arg)) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a valid cookie name (letters, digits"
                            " and !#$%%&'*+-.^_`|~ only)", cmd->cmd->name, arg);
    }
    cmd_config(cmd)->cookie_name = arg;
    return NULL;
}

static const char *set_max_age(cmd_parms *cmd, void *dummy, const char *arg)
{
    char *end = NULL;
    apr_int64_t v;
    (void)dummy;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || end == arg || *end) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds",
                            cmd->cmd->name, arg);
    }
    if (v < 1 || v > SD_MAX_MAX_AGE) {
        return apr_psprintf(cmd->pool,
                            "%s: %s is out of range (1 to %ld seconds; browsers"
                            " cap cookie lifetimes at 400 days)",
                            cmd->cmd->name, arg, SD_MAX_MAX_AGE);
    }
    cmd_config(cmd)->max_age = v;
    return NULL;
}

static const char *set_key_prefix(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (strlen(arg) > SD_MAX_KEY_PREFIX_LEN) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is too long (at most %d bytes, so that prefix"
                            " + session ID fits memcached's 250-byte key limit)",
                            cmd->cmd->name, arg, SD_MAX_KEY_PREFIX_LEN);
    }
    for (const char *c = arg; *c; ++c) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' contains a space or control character,"
                                " which memcached keys cannot hold",
                                cmd->cmd->name, arg);
        }
    }
    cmd_config(cmd)->key_prefix = arg;
    return NULL;
}

static const char *set_template_dir(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t finfo;
    (void)dummy;

    if (!dir) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", cmd->cmd->name, arg);
    }
    if (apr_stat(&finfo, dir, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || finfo.filetype != APR_DIR) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable directory",
                            cmd->cmd->name, dir);
    }
    cmd_config(cmd)->template_dir = dir;
    return NULL;
}

const command_rec sd_config_commands[] = {
    AP_INIT_ITERATE("SessionDemoMemcache", set_memcache, NULL, RSRC_CONF,
                    "memcached servers as host:port (default 127.0.0.1:11211)"),
    AP_INIT_ITERATE("SessionDemoSecret", set_secret, NULL, RSRC_CONF,
                    "cookie signing secrets: the first signs, all verify"),
    AP_INIT_TAKE1("SessionDemoCookieName", set_cookie_name, NULL, RSRC_CONF,
                  "session cookie name (default connect.sid)"),
    AP_INIT_TAKE1("SessionDemoMaxAge", set_max_age, NULL, RSRC_CONF,
                  "session lifetime in seconds (default 86400)"),
    AP_INIT_TAKE1("SessionDemoKeyPrefix", set_key_prefix, NULL, RSRC_CONF,
                  "memcached key prefix (default sess:)"),
    AP_INIT_TAKE1("SessionDemoTemplateDir", set_template_dir, NULL, RSRC_CONF,
                  "directory holding home.html, login.html, profile.html, error.html"),
    { NULL }
};

const char *sd_config_finalize(apr_pool_t *p, server_rec *s, sd_config *conf)
{
    (void)s;
    if (!conf->secrets || conf->secrets->nelts == 0) {
        return "SessionDemoSecret is required: set at least one long random"
               " secret (e.g. SessionDemoSecret \"$(openssl rand -base64 48)\")";
    }
    if (!conf->memcache) {
        sd_memcache_server *server;
        conf->memcache = apr_array_make(p, 1, sizeof(sd_memcache_server));
        server = apr_array_push(conf->memcache);
        server->host = SD_DEFAULT_MEMCACHE_HOST;
        server->port = SD_DEFAULT_MEMCACHE_PORT;
    }
    if (!conf->cookie_name) {
        conf->cookie_name = SD_DEFAULT_COOKIE_NAME;
    }
    if (conf->max_age == SD_UNSET) {
        conf->max_age = SD_DEFAULT_MAX_AGE;
    }
    if (!conf->key_prefix) {
        conf->key_prefix = SD_DEFAULT_KEY_PREFIX;
    }
    if (!conf->template_dir) {
        conf->template_dir = ap_server_root_relative(p, SD_DEFAULT_TEMPLATE_DIR);
    }
    conf->cookie_path = "/";
    conf->cookie_http_only = 1;
    conf->cookie_secure = SD_SECURE_AUTO;
    conf->cookie_same_site = "Lax";
    conf->save_uninitialized = 0;
    conf->resave = 0;
    conf->rolling = 0;
    conf->max_body = 8192;
    conf->max_username_len = 64;
    conf->max_item_len = 128;
    conf->max_cart_items = 100;
    return NULL;
}
