/* SessionDemo* directives: parsing, defaults, merge and start-up validation.
 * Every error names its directive (httpd adds the file and line), so an admin
 * sees "SessionDemoMaxAge: 'abc' is not a number of seconds" from apache2 -t.
 * Values are parsed by the pure parsers in cfg_parse.c. */
#include "sd_config.h"
#include "sd_cfg_parse.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <mod_auth.h>
#include <ap_provider.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
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
    conf->absolute_timeout = SD_UNSET;
    conf->refresh_percent = SD_UNSET;
    conf->cookie_http_only = SD_UNSET;
    conf->cookie_secure = SD_UNSET;
    conf->trust_proxy = SD_UNSET;
    conf->save_uninitialized = SD_UNSET;
    conf->resave = SD_UNSET;
    conf->rolling = SD_UNSET;
    conf->check_origin = SD_UNSET;
    conf->max_body = SD_UNSET;
    conf->max_username_len = SD_UNSET;
    conf->max_item_len = SD_UNSET;
    conf->max_cart_items = SD_UNSET;
    conf->probe_interval_ms = SD_UNSET;
    conf->probe_timeout_ms = SD_UNSET;
    conf->lock = SD_UNSET;
    conf->replicas = SD_UNSET;
    conf->lock_wait_ms = SD_UNSET;
    conf->lock_ttl = SD_UNSET;
    return conf;
}

#define MERGE_PTR(f)   conf->f = add->f ? add->f : base->f
#define MERGE_VALUE(f) conf->f = add->f != SD_UNSET ? add->f : base->f

void *sd_config_merge(apr_pool_t *p, void *basev, void *addv)
{
    const sd_config *base = basev, *add = addv;
    sd_config *conf = apr_pcalloc(p, sizeof(*conf));

    MERGE_PTR(memcache);
    MERGE_PTR(secrets);
    MERGE_PTR(cookie_name);
    MERGE_VALUE(max_age);
    MERGE_VALUE(absolute_timeout);
    MERGE_VALUE(refresh_percent);
    MERGE_PTR(key_prefix);
    MERGE_PTR(template_dir);
    MERGE_PTR(cookie_path);
    MERGE_PTR(cookie_domain);
    MERGE_VALUE(cookie_http_only);
    MERGE_VALUE(cookie_secure);
    conf->same_site_set = add->same_site_set || base->same_site_set;
    conf->cookie_same_site = add->same_site_set ? add->cookie_same_site
                                                : base->cookie_same_site;
    MERGE_VALUE(trust_proxy);
    MERGE_VALUE(save_uninitialized);
    MERGE_VALUE(resave);
    MERGE_VALUE(rolling);
    MERGE_VALUE(check_origin);
    MERGE_PTR(trusted_origins);
    MERGE_PTR(auth_providers);
    MERGE_VALUE(max_body);
    MERGE_VALUE(max_username_len);
    MERGE_VALUE(max_item_len);
    MERGE_VALUE(max_cart_items);
    MERGE_VALUE(probe_interval_ms);
    MERGE_VALUE(probe_timeout_ms);
    MERGE_VALUE(lock);
    MERGE_VALUE(replicas);
    MERGE_VALUE(lock_wait_ms);
    MERGE_VALUE(lock_ttl);
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

/* "SessionDemoX: <problem>" for the parser's message, or NULL. */
static const char *named(cmd_parms *cmd, const char *problem)
{
    return problem ? apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", problem, NULL) : NULL;
}

static const char *set_memcache(cmd_parms *cmd, void *dummy, const char *arg)
{
    sd_config *conf = cmd_config(cmd);
    sd_memcache_server server;
    const char *err;
    (void)dummy;

    err = sd_parse_host_port(cmd->pool, arg, SD_DEFAULT_MEMCACHE_PORT,
                             &server.host, &server.port);
    if (err) {
        return named(cmd, err);
    }
    if (!conf->memcache) {
        conf->memcache = apr_array_make(cmd->pool, 2, sizeof(sd_memcache_server));
    }
    *(sd_memcache_server *)apr_array_push(conf->memcache) = server;
    return NULL;
}

static void add_secret(cmd_parms *cmd, sd_config *conf, const char *value,
                       const char *origin)
{
    sd_secret *secret;
    if (strlen(value) < SD_SHORT_SECRET_LEN) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, SD_LOGNO(00101)
                     "%s: a secret of %" APR_SIZE_T_FMT " bytes%s is easy to guess;"
                     " use at least %d random bytes (e.g. openssl rand -base64 48)",
                     cmd->cmd->name, strlen(value), origin, SD_SHORT_SECRET_LEN);
    }
    if (!conf->secrets) {
        conf->secrets = apr_array_make(cmd->pool, 2, sizeof(sd_secret));
    }
    secret = apr_array_push(conf->secrets);
    secret->bytes = (const unsigned char *)apr_pstrdup(cmd->pool, value);
    secret->len = strlen(value);
    secret->keyed_mac = NULL;
    if (sd_cookie_secret_prepare(cmd->pool, secret) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, SD_LOGNO(00104)
                     "%s: OpenSSL could not key an HMAC context; signing will"
                     " use the slower one-shot HMAC", cmd->cmd->name);
    }
}

static const char *set_secret(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (!*arg) {
        return named(cmd, "a secret must not be empty");
    }
    add_secret(cmd, cmd_config(cmd), arg, "");
    return NULL;
}

/* One secret per line; blank lines and '#' comments are skipped, so the
 * newest secret can be put first and old ones kept below it. */
static const char *set_secret_file(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, arg);
    apr_file_t *file;
    apr_finfo_t finfo;
    apr_status_t rv;
    char line[4096];
    int count = 0;
    (void)dummy;

    if (!path) {
        return named(cmd, apr_psprintf(cmd->pool, "invalid path '%s'", arg));
    }
    rv = apr_file_open(&file, path, APR_FOPEN_READ, APR_OS_DEFAULT, cmd->temp_pool);
    if (rv != APR_SUCCESS) {
        char buf[120];
        return named(cmd, apr_psprintf(cmd->pool, "cannot read '%s': %s", path,
                                       apr_strerror(rv, buf, sizeof(buf))));
    }
    if (apr_file_info_get(&finfo, APR_FINFO_PROT, file) == APR_SUCCESS
        && (finfo.protection & (APR_FPROT_WREAD | APR_FPROT_GREAD))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, SD_LOGNO(00102)
                     "%s: '%s' is readable by other users; chmod 600 it (httpd"
                     " reads it as root before dropping privileges)",
                     cmd->cmd->name, path);
    }
    while (apr_file_gets(line, sizeof(line), file) == APR_SUCCESS) {
        apr_size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            apr_file_close(file);
            return named(cmd, apr_psprintf(cmd->pool, "'%s' has a line longer than"
                                           " %d bytes", path, (int)sizeof(line) - 2));
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        if (!n || line[0] == '#') {
            continue;
        }
        add_secret(cmd, cmd_config(cmd), line,
                   apr_psprintf(cmd->temp_pool, " (line %d of %s)", count + 1, path));
        ++count;
    }
    apr_file_close(file);
    if (!count) {
        return named(cmd, apr_psprintf(cmd->pool, "'%s' holds no secret", path));
    }
    return NULL;
}

static const char *set_cookie_name(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    cmd_config(cmd)->cookie_name = arg;
    return named(cmd, sd_parse_cookie_name(cmd->pool, arg));
}

/* Integer directives share one setter; the bounds live in the table. */
typedef struct {
    apr_size_t offset;
    apr_int64_t min, max;
    const char *unit;
} int_slot;

static const int_slot slot_max_age =
    { APR_OFFSETOF(sd_config, max_age), 1, SD_MAX_MAX_AGE, "seconds" };
static const int_slot slot_absolute =
    { APR_OFFSETOF(sd_config, absolute_timeout), 0, SD_MAX_MAX_AGE, "seconds" };
static const int_slot slot_refresh =
    { APR_OFFSETOF(sd_config, refresh_percent), 0, 100, "percent" };
static const int_slot slot_max_body =
    { APR_OFFSETOF(sd_config, max_body), 64, 1048576, "bytes" };
static const int_slot slot_max_username =
    { APR_OFFSETOF(sd_config, max_username_len), 1, 1024, "bytes" };
static const int_slot slot_max_item =
    { APR_OFFSETOF(sd_config, max_item_len), 1, 4096, "bytes" };
static const int_slot slot_max_cart =
    { APR_OFFSETOF(sd_config, max_cart_items), 1, 10000, "items" };

static const int_slot slot_probe_interval =
    { APR_OFFSETOF(sd_config, probe_interval_ms), 100, 60000, "milliseconds" };
static const int_slot slot_probe_timeout =
    { APR_OFFSETOF(sd_config, probe_timeout_ms), 50, 10000, "milliseconds" };
static const int_slot slot_lock_wait =
    { APR_OFFSETOF(sd_config, lock_wait_ms), 0, 30000, "milliseconds" };
static const int_slot slot_replicas =
    { APR_OFFSETOF(sd_config, replicas), 0, 3, "replicas" };
static const int_slot slot_lock_ttl =
    { APR_OFFSETOF(sd_config, lock_ttl), 1, 60, "seconds" };

static const char *set_int(cmd_parms *cmd, void *dummy, const char *arg)
{
    const int_slot *slot = cmd->info;
    apr_int64_t v;
    const char *err = sd_parse_int(cmd->pool, arg, slot->min, slot->max, slot->unit, &v);
    (void)dummy;
    if (err) {
        return named(cmd, err);
    }
    *(apr_int64_t *)((char *)cmd_config(cmd) + slot->offset) = v;
    return NULL;
}

/* On/Off directives: the int field's offset is the command's info. */
static const char *set_flag(cmd_parms *cmd, void *dummy, int on)
{
    (void)dummy;
    *(int *)((char *)cmd_config(cmd) + (apr_size_t)cmd->info) = on;
    return NULL;
}

/* RAW_ARGS because httpd's TAKE1 refuses an empty word, and "" (no prefix)
 * is what connect-memcached uses by default. */
static const char *set_key_prefix(cmd_parms *cmd, void *dummy, const char *args)
{
    const char *prefix;
    (void)dummy;

    while (apr_isspace(*args)) {
        ++args;
    }
    if (!*args) {
        return named(cmd, "takes one argument: the prefix, or \"\" for none");
    }
    prefix = ap_getword_conf(cmd->pool, &args);
    if (*args) {
        return named(cmd, "takes one argument: the prefix, or \"\" for none");
    }
    cmd_config(cmd)->key_prefix = prefix;
    return named(cmd, sd_parse_key_prefix(cmd->pool, prefix, SD_MAX_KEY_PREFIX_LEN));
}

static const char *set_template_dir(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t finfo;
    (void)dummy;

    if (!dir) {
        return named(cmd, apr_psprintf(cmd->pool, "invalid path '%s'", arg));
    }
    if (apr_stat(&finfo, dir, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || finfo.filetype != APR_DIR) {
        return named(cmd, apr_psprintf(cmd->pool, "'%s' is not a readable directory", dir));
    }
    cmd_config(cmd)->template_dir = dir;
    return NULL;
}

static const char *set_cookie_path(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    cmd_config(cmd)->cookie_path = arg;
    return named(cmd, sd_parse_cookie_path(cmd->pool, arg));
}

static const char *set_cookie_domain(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    cmd_config(cmd)->cookie_domain = arg;
    return named(cmd, sd_parse_cookie_domain(cmd->pool, arg));
}

static const char *set_cookie_secure(cmd_parms *cmd, void *dummy, const char *arg)
{
    static const char *const modes[] = { "Off", "On", "Auto", NULL };
    int mode;
    const char *err = sd_parse_choice(cmd->pool, arg, modes, &mode);
    (void)dummy;
    if (err) {
        return named(cmd, err);
    }
    cmd_config(cmd)->cookie_secure = mode;  /* same order as sd_secure_mode */
    return NULL;
}

static const char *set_same_site(cmd_parms *cmd, void *dummy, const char *arg)
{
    static const char *const values[] = { "Strict", "Lax", "None", "Off", NULL };
    sd_config *conf = cmd_config(cmd);
    int which;
    const char *err = sd_parse_choice(cmd->pool, arg, values, &which);
    (void)dummy;
    if (err) {
        return named(cmd, err);
    }
    conf->cookie_same_site = which == 3 ? NULL : values[which];
    conf->same_site_set = 1;
    return NULL;
}

static const char *add_to_list(cmd_parms *cmd, apr_array_header_t **list,
                               const char *value)
{
    if (!*list) {
        *list = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(*list, const char *) = value;
    return NULL;
}

static const char *set_auth_provider(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    return add_to_list(cmd, &cmd_config(cmd)->auth_providers, arg);
}

static const char *set_trusted_origin(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0) {
        return named(cmd, apr_psprintf(cmd->pool, "'%s' must be an origin such as"
                                       " https://app.example.org", arg));
    }
    if (strchr(strstr(arg, "://") + 3, '/')) {
        return named(cmd, apr_psprintf(cmd->pool, "'%s' must be an origin without"
                                       " a path (scheme://host[:port])", arg));
    }
    return add_to_list(cmd, &cmd_config(cmd)->trusted_origins, arg);
}

#define FLAG(name, field, help) \
    AP_INIT_FLAG(name, set_flag, (void *)APR_OFFSETOF(sd_config, field), RSRC_CONF, help)
#define INT(name, slot, help) \
    AP_INIT_TAKE1(name, set_int, (void *)&slot, RSRC_CONF, help)

const command_rec sd_config_commands[] = {
    AP_INIT_ITERATE("SessionDemoMemcache", set_memcache, NULL, RSRC_CONF,
                    "memcached servers as host:port (default 127.0.0.1:11211)"),
    AP_INIT_ITERATE("SessionDemoSecret", set_secret, NULL, RSRC_CONF,
                    "cookie signing secrets: the first signs, all verify"),
    AP_INIT_TAKE1("SessionDemoSecretFile", set_secret_file, NULL, RSRC_CONF,
                  "file with one secret per line (first signs, all verify)"),
    AP_INIT_TAKE1("SessionDemoCookieName", set_cookie_name, NULL, RSRC_CONF,
                  "session cookie name (default connect.sid)"),
    INT("SessionDemoMaxAge", slot_max_age,
        "idle session lifetime in seconds (default 86400)"),
    INT("SessionDemoAbsoluteTimeout", slot_absolute,
        "hard session lifetime since creation in seconds (default 0 = off)"),
    INT("SessionDemoRefreshThreshold", slot_refresh,
        "re-save an unchanged session when less than this percent of its"
        " lifetime is left (default 50; 100 = every request)"),
    AP_INIT_RAW_ARGS("SessionDemoKeyPrefix", set_key_prefix, NULL, RSRC_CONF,
                     "memcached key prefix (default sess:; \"\" for none)"),
    AP_INIT_TAKE1("SessionDemoTemplateDir", set_template_dir, NULL, RSRC_CONF,
                  "directory holding home.html, login.html, profile.html, error.html"),
    AP_INIT_TAKE1("SessionDemoCookiePath", set_cookie_path, NULL, RSRC_CONF,
                  "cookie Path attribute (default /)"),
    AP_INIT_TAKE1("SessionDemoCookieDomain", set_cookie_domain, NULL, RSRC_CONF,
                  "cookie Domain attribute (default: none, host-only)"),
    AP_INIT_TAKE1("SessionDemoCookieSecure", set_cookie_secure, NULL, RSRC_CONF,
                  "On, Off or Auto (default: Secure when the request came over TLS)"),
    FLAG("SessionDemoCookieHttpOnly", cookie_http_only,
         "HttpOnly attribute (default On)"),
    AP_INIT_TAKE1("SessionDemoCookieSameSite", set_same_site, NULL, RSRC_CONF,
                  "Strict, Lax, None or Off (default Lax)"),
    FLAG("SessionDemoTrustProxy", trust_proxy,
         "believe X-Forwarded-Proto for Secure Auto (default Off)"),
    FLAG("SessionDemoResave", resave,
         "save unmodified sessions on every request (default Off)"),
    FLAG("SessionDemoSaveUninitialized", save_uninitialized,
         "store new sessions even when nothing was put in them (default Off)"),
    FLAG("SessionDemoRolling", rolling,
         "send the cookie (new Expires) on every response (default Off)"),
    FLAG("SessionDemoCheckOrigin", check_origin,
         "refuse cross-origin POSTs with 403 (default On)"),
    AP_INIT_ITERATE("SessionDemoTrustedOrigin", set_trusted_origin, NULL, RSRC_CONF,
                    "extra origins allowed to POST (e.g. behind a proxy)"),
    AP_INIT_ITERATE("SessionDemoAuthProvider", set_auth_provider, NULL, RSRC_CONF,
                    "authn providers checking login passwords (e.g. file);"
                    " none = demo mode, any non-empty pair logs in"),
    INT("SessionDemoMaxBodySize", slot_max_body,
        "largest form body in bytes (default 8192)"),
    INT("SessionDemoMaxUsernameLength", slot_max_username,
        "longest username in bytes (default 64)"),
    INT("SessionDemoMaxItemLength", slot_max_item,
        "longest cart item in bytes (default 128)"),
    INT("SessionDemoMaxCartItems", slot_max_cart,
        "most items in one cart (default 100)"),
    INT("SessionDemoMemcacheProbeInterval", slot_probe_interval,
        "milliseconds between health checks of each memcached (default 500)"),
    INT("SessionDemoMemcacheTimeout", slot_probe_timeout,
        "milliseconds a health check waits for memcached (default 500)"),
    INT("SessionDemoReplicas", slot_replicas,
        "extra copies of each session on the next servers of the ring (default 0)"),
    FLAG("SessionDemoLock", lock,
         "serialise requests of one session with a lock in memcached (default On)"),
    INT("SessionDemoLockWait", slot_lock_wait,
        "milliseconds a request waits for its session's lock (default 2000)"),
    INT("SessionDemoLockTTL", slot_lock_ttl,
        "seconds after which a lock left by a crashed request expires (default 5)"),
    { NULL }
};

#define DEFAULT_VALUE(f, v) if (conf->f == SD_UNSET) conf->f = (v)

const char *sd_config_finalize(apr_pool_t *p, server_rec *s, sd_config *conf)
{
    (void)s;
    if (!conf->secrets || conf->secrets->nelts == 0) {
        return "SessionDemoSecret is required: set at least one long random"
               " secret (SessionDemoSecret or SessionDemoSecretFile; e.g. the"
               " output of openssl rand -base64 48)";
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
    if (!conf->key_prefix) {
        conf->key_prefix = SD_DEFAULT_KEY_PREFIX;
    }
    if (!conf->template_dir) {
        conf->template_dir = ap_server_root_relative(p, SD_DEFAULT_TEMPLATE_DIR);
    }
    if (!conf->cookie_path) {
        conf->cookie_path = "/";
    }
    if (!conf->same_site_set) {
        conf->cookie_same_site = "Lax";
    }
    DEFAULT_VALUE(max_age, SD_DEFAULT_MAX_AGE);
    DEFAULT_VALUE(absolute_timeout, 0);
    DEFAULT_VALUE(refresh_percent, 50);
    DEFAULT_VALUE(cookie_http_only, 1);
    DEFAULT_VALUE(cookie_secure, SD_SECURE_AUTO);
    DEFAULT_VALUE(trust_proxy, 0);
    DEFAULT_VALUE(save_uninitialized, 0);
    DEFAULT_VALUE(resave, 0);
    DEFAULT_VALUE(rolling, 0);
    DEFAULT_VALUE(check_origin, 1);
    DEFAULT_VALUE(max_body, 8192);
    DEFAULT_VALUE(max_username_len, 64);
    DEFAULT_VALUE(max_item_len, 128);
    DEFAULT_VALUE(max_cart_items, 100);
    DEFAULT_VALUE(probe_interval_ms, 500);
    DEFAULT_VALUE(probe_timeout_ms, 500);
    DEFAULT_VALUE(lock, 1);
    DEFAULT_VALUE(replicas, 0);
    DEFAULT_VALUE(lock_wait_ms, 2000);
    DEFAULT_VALUE(lock_ttl, 5);

    /* Browsers drop SameSite=None cookies that are not Secure, so the
     * combination is a configuration error, not a warning. */
    if (conf->cookie_same_site && strcmp(conf->cookie_same_site, "None") == 0
        && conf->cookie_secure == SD_SECURE_OFF) {
        return "SessionDemoCookieSameSite None needs SessionDemoCookieSecure On or"
               " Auto: browsers drop SameSite=None cookies that are not Secure";
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
    if (conf->auth_providers) {
        conf->authn = apr_array_make(p, conf->auth_providers->nelts,
                                     sizeof(const authn_provider *));
        for (int i = 0; i < conf->auth_providers->nelts; ++i) {
            const char *name = APR_ARRAY_IDX(conf->auth_providers, i, const char *);
            const authn_provider *provider =
                ap_lookup_provider(AUTHN_PROVIDER_GROUP, name, AUTHN_PROVIDER_VERSION);
            if (!provider || !provider->check_password) {
                return apr_psprintf(p, "SessionDemoAuthProvider: unknown authn"
                                    " provider '%s' (is mod_authn_%s loaded?)",
                                    name, name);
            }
            APR_ARRAY_PUSH(conf->authn, const authn_provider *) = provider;
        }
    }
    return NULL;
}
