/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The SessionDemo* directives: the one table below is the single source of
 * every directive's facts, expanded by config.c and checked against
 * docs/directives.md by t/tree/docs_and_conf.t. Const once finalized. */
#ifndef SD_CONFIG_H
#define SD_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include <apr_tables.h>
#include <jansson.h>

/* Browsers cap a cookie's lifetime at 400 days. */
#define SD_CONFIG_MAX_AGE_LIMIT (400L * 24 * 3600)

#ifndef SD_DEFAULT_TEMPLATE_DIR
#define SD_DEFAULT_TEMPLATE_DIR "templates"
#endif

typedef struct {
    const char *host;
    apr_port_t port;
} sd_config_server;

/* Choices, in the order of their enums. */
#define SD_CONFIG_SECURE_CHOICES "Off", "On", "Auto"
typedef enum {
    SD_SECURE_OFF,
    SD_SECURE_ON,
    SD_SECURE_AUTO    /* Secure when the request arrived over TLS */
} sd_config_secure;

#define SD_CONFIG_REALMLESS_CHOICES "Guest", "Adopt"
typedef enum {
    SD_REALMLESS_GUEST,  /* a stored session without a realm is a guest here */
    SD_REALMLESS_ADOPT   /* it joins this realm (stamped on its next save)  */
} sd_config_realmless;

#define SD_CONFIG_LOCK_CHOICES "Off", "Cluster", "Host", "On"
typedef enum {
    SD_LOCK_OFF,
    SD_LOCK_CLUSTER,     /* a lock key in memcached: every front-end        */
    SD_LOCK_HOST,        /* shared memory of this httpd: one front-end only */
    SD_LOCK_ON           /* read as Cluster (sd_config_finalize)            */
} sd_config_lock;

#define SD_CONFIG_USERNAME_CASE_CHOICES "Exact", "Lower"
typedef enum {
    SD_USERNAME_EXACT,   /* the name as typed: for case-sensitive providers */
    SD_USERNAME_LOWER    /* ASCII letters lowered at login: for providers
                            that ignore case (LDAP, most SQL collations)   */
} sd_config_username_case;

#define SD_CONFIG_STORE_FORMAT_CHOICES "Sealed", "Express"
typedef enum {
    SD_STORE_FORMAT_SEALED,  /* keyed-hash keys, AES-256-GCM values         */
    SD_STORE_FORMAT_EXPRESS  /* express-session's: JSON under <prefix><id>  */
} sd_config_store_format;

#define SD_CONFIG_SAME_SITE_CHOICES "Strict", "Lax", "None", "Off"
typedef enum {
    SD_SAME_SITE_STRICT,
    SD_SAME_SITE_LAX,
    SD_SAME_SITE_NONE,
    SD_SAME_SITE_OFF
} sd_config_same_site;

/* The table. Entry forms (default = the directive's argument as an admin
 * would write it, parsed by the same code; NULL = none):
 *   INT(name, field, default, min, max, unit, help)            apr_int64_t
 *   FLAG(name, field, default, help)                           int, On|Off
 *   CHOICE(name, field, default, choices, help)                int (enum)
 *   TEXT(name, field, default, validator, help)                const char *
 *   LIST(name, field, validator, help)                         array of const char *
 *   CUSTOM(name, field, type, args, default, setter, describe, help)
 *                                                 describe NULL: text
 * validator: const char *(*)(apr_pool_t *, const char *), NULL for none. */
#define SD_CONFIG_DIRECTIVES(INT, FLAG, CHOICE, TEXT, LIST, CUSTOM)                    \
    CUSTOM("SessionDemoMemcache", memcache, apr_array_header_t *, ITERATE,            \
           "127.0.0.1:11211", set_memcache, show_memcache,                            \
           "memcached servers as host:port (of sd_config_server)")                     \
    CUSTOM("SessionDemoSecret", secrets, apr_array_header_t *, ITERATE, NULL,          \
           set_secret, show_secrets,                                                   \
           "cookie signing secrets: the first signs, all verify (of sd_secret)")       \
    CUSTOM("SessionDemoSecretFile", secret_file, const char *, TAKE1, NULL,            \
           set_secret_file, NULL,                                                 \
           "file with one secret per line (first signs, all verify)")                  \
    TEXT("SessionDemoCookieName", cookie_name, "connect.sid", sd_cfg_parse_cookie_name, \
         "session cookie name")                                                        \
    TEXT("SessionDemoRealm", realm, NULL, sd_cfg_parse_realm,                           \
         "name of the realm whose sessions this server accepts (default: ServerName"   \
         " and port); servers with the same realm share sessions")                     \
    CHOICE("SessionDemoRealmless", realmless, "Guest", SD_CONFIG_REALMLESS_CHOICES,     \
           "a stored session without a realm (written by express-session): Guest or"   \
           " Adopt into this realm")                                                   \
    INT("SessionDemoMaxAge", max_age, "86400", 1, SD_CONFIG_MAX_AGE_LIMIT, "seconds",   \
        "idle session lifetime in seconds")                                            \
    INT("SessionDemoAbsoluteTimeout", absolute_timeout, "0", 0, SD_CONFIG_MAX_AGE_LIMIT,\
        "seconds", "hard session lifetime since creation in seconds (0 = off)")        \
    INT("SessionDemoRefreshThreshold", refresh_percent, "50", 0, 100, "percent",       \
        "re-save an unchanged session when less than this percent of its lifetime"    \
        " is left (100 = every request)")                                              \
    CUSTOM("SessionDemoKeyPrefix", key_prefix, const char *, RAW_ARGS, "sess:",        \
           set_key_prefix, NULL, "memcached key prefix (\"\" for none)")          \
    CHOICE("SessionDemoStoreFormat", store_format, "Sealed",                           \
           SD_CONFIG_STORE_FORMAT_CHOICES,                                             \
           "what memcached holds: Sealed (keys a keyed hash of the session ID, records"\
           " encrypted and authenticated) or Express (express-session's plain JSON"    \
           " under <prefix><id>, to share sessions with an Express app)")              \
    CUSTOM("SessionDemoTemplateDir", template_dir, const char *, TAKE1,                \
           SD_DEFAULT_TEMPLATE_DIR, set_template_dir, NULL,                       \
           "directory holding home.html, login.html, profile.html, error.html,"       \
           " sessions.html")        \
    TEXT("SessionDemoCookiePath", cookie_path, "/", sd_cfg_parse_cookie_path,           \
         "cookie Path attribute")                                                      \
    TEXT("SessionDemoCookieDomain", cookie_domain, NULL, sd_cfg_parse_cookie_domain,    \
         "cookie Domain attribute (none: a host-only cookie)")                        \
    CHOICE("SessionDemoCookieSecure", cookie_secure, "Auto", SD_CONFIG_SECURE_CHOICES,  \
           "Secure attribute: On, Off or Auto (Secure when the request came over"     \
           " TLS)")                                                                    \
    FLAG("SessionDemoCookieHttpOnly", cookie_http_only, "On", "HttpOnly attribute")    \
    CHOICE("SessionDemoCookieSameSite", cookie_same_site, "Lax",                       \
           SD_CONFIG_SAME_SITE_CHOICES, "SameSite attribute: Strict, Lax, None or Off") \
    FLAG("SessionDemoTrustProxy", trust_proxy, "Off",                                  \
         "believe X-Forwarded-Proto for SessionDemoCookieSecure Auto")                 \
    FLAG("SessionDemoResave", resave, "Off",                                           \
         "save unmodified sessions on every request")                                  \
    FLAG("SessionDemoSaveUninitialized", save_uninitialized, "Off",                    \
         "store new sessions even when nothing was put in them")                       \
    FLAG("SessionDemoRolling", rolling, "Off",                                         \
         "send the cookie (new Expires) on every response")                            \
    FLAG("SessionDemoCheckOrigin", check_origin, "On",                                 \
         "refuse cross-origin POSTs with 403")                                         \
    LIST("SessionDemoTrustedOrigin", trusted_origins, sd_cfg_parse_origin,             \
         "extra origins allowed to POST (e.g. behind a proxy)")                        \
    LIST("SessionDemoAuthProvider", auth_providers, NULL,                              \
         "authn providers checking login passwords (e.g. file); none = demo mode,"    \
         " any non-empty pair logs in")                                                \
    CHOICE("SessionDemoLock", lock, "Cluster", SD_CONFIG_LOCK_CHOICES,                  \
           "serialise requests of one session: Cluster (a lock in memcached, for"      \
           " several front-ends), Host (shared memory, one front-end), Off; On ="     \
           " Cluster")                                                                 \
    TEXT("SessionDemoLoginURL", login_url, NULL, sd_cfg_parse_login_url,                \
         "where AuthType sessiondemo sends a guest asking for a page (a path of this"  \
         " server; the page goes along as next; default: the login form of this"      \
         " server's app)")                                                             \
    TEXT("SessionDemoPassUser", pass_user, NULL, sd_cfg_parse_header_name,               \
         "request header that carries the logged-in username to backends behind"       \
         " AuthType sessiondemo (none: not passed); a client's copy is always removed") \
    FLAG("SessionDemoStripCookie", strip_cookie, "On",                                 \
         "remove the session cookie from requests passed to anything but the"         \
         " module's own handlers (CGI, proxied backends, static files)")              \
    LIST("SessionDemoStripCookieName", strip_names, sd_cfg_parse_cookie_name,          \
         "more cookie names to remove with the session cookie, in every server (a"      \
         " former SessionDemoCookieName, whose value still verifies)")                 \
    INT("SessionDemoMaxBodySize", max_body, "8192", 64, 1048576, "bytes",              \
        "largest form body in bytes")                                                  \
    INT("SessionDemoMaxUsernameLength", max_username_len, "64", 1, 1024, "bytes",      \
        "longest username in bytes")                                                   \
    INT("SessionDemoMaxItemLength", max_item_len, "128", 1, 4096, "bytes",             \
        "longest cart item in bytes")                                                  \
    INT("SessionDemoMaxSessionsPerUser", max_user_sessions, "16", 1, 256, "sessions",   \
        "sessions one user may have at once; a new login ends the oldest logins"       \
        " beyond it")                                                                  \
    INT("SessionDemoLoginFailuresPerUser", login_failures_per_user, "10", 0, 100000,      \
        "failures", "failed logins for one username (from any address) in the window;"   \
        " the addresses that failed for it are then refused with 429 (0 = no limit)")  \
    INT("SessionDemoLoginFailuresPerAddress", login_failures_per_address, "30", 0,        \
        1000000, "failures", "failed logins from one client address (IPv6: its /64)"     \
        " in the window, for any names; it is then refused with 429 (0 = no limit)")   \
    INT("SessionDemoLoginThrottleWindow", login_throttle_window, "300", 1, 86400,        \
        "seconds", "seconds a count of failed logins lives, from its first failure")   \
    CHOICE("SessionDemoUsernameCase", username_case, "Exact",                           \
           SD_CONFIG_USERNAME_CASE_CHOICES,                                            \
           "usernames as typed (Exact) or with ASCII letters lowered at login (Lower,"  \
           " for providers that ignore case), so one account has one name")            \
    INT("SessionDemoLoginMinTime", login_min_time_ms, "500", 0, 10000, "milliseconds",  \
        "milliseconds every password check at login lasts at least, for known and"   \
        " unknown users alike (set it above the slowest check)")                      \
    INT("SessionDemoMaxCartItems", max_cart_items, "100", 1, 10000, "items",           \
        "most items in one cart")                                                      \
    INT("SessionDemoMemcacheProbeInterval", probe_interval_ms, "500", 100, 60000, "milliseconds",\
        "milliseconds between health checks of each memcached")                        \
    INT("SessionDemoMemcacheTimeout", probe_timeout_ms, "500", 50, 10000, "milliseconds",  \
        "milliseconds a health check waits for memcached")                             \
    INT("SessionDemoReplicas", replicas, "0", 0, 3, "replicas",                        \
        "extra copies of each session on the next servers of the ring")                \
    INT("SessionDemoLockWait", lock_wait_ms, "2000", 0, 30000, "milliseconds",         \
        "milliseconds a request waits for its session's lock")                         \
    INT("SessionDemoLockTTL", lock_ttl, "5", 2, 60, "seconds",                         \
        "seconds after which a lock left by a crashed request expires")                \
    INT("SessionDemoLockWaiters", lock_waiters, "0", 0, 1000, "requests",             \
        "requests of one session that may wait for its lock in each child (0: all"    \
        " but one of the child's threads that serve the request); more get 503 at once")

#define SD_CONFIG_FIELD_INT(name, field, ...) apr_int64_t field;
#define SD_CONFIG_FIELD_INTLIKE(name, field, ...) int field;
#define SD_CONFIG_FIELD_TEXT(name, field, ...) const char *field;
#define SD_CONFIG_FIELD_LIST(name, field, ...) apr_array_header_t *field;
#define SD_CONFIG_FIELD_CUSTOM(name, field, type, ...) type field;

typedef struct sd_config {
    SD_CONFIG_DIRECTIVES(SD_CONFIG_FIELD_INT, SD_CONFIG_FIELD_INTLIKE,
                         SD_CONFIG_FIELD_INTLIKE, SD_CONFIG_FIELD_TEXT,
                         SD_CONFIG_FIELD_LIST, SD_CONFIG_FIELD_CUSTOM)
    /* Not directives: what sd_mount_scan found in this server's sections
     * or the main server's, which it inherits. */
    int serves_app;        /* SetHandler or AuthType sessiondemo: needs a secret */
    int serves_status;     /* SetHandler sessiondemo-status: reads the store     */
    int own_mount;         /* the handler in sections of its own: not the main's */
    const char *app_mount; /* first <Location> mount less its last '/': the login's */
} sd_config;

extern const command_rec sd_config_commands[];

/* Every directive "not set here"; a virtual host's merge takes each from
 * the virtual host if set, else from the main server. */
sd_config *sd_config_create(apr_pool_t *p);
sd_config *sd_config_merge(apr_pool_t *p, const sd_config *base, const sd_config *add);

/* Fills defaults and validates one merged server config. Returns NULL or
 * an error message that names the directive at fault. */
const char *sd_config_finalize(apr_pool_t *p, server_rec *s, sd_config *conf);

/* "ServerName:port" of a server as clients reach it (the port of its
 * vhost address or, for the main server, the first Listen): the default
 * realm, and the server's name in start-up lines. */
const char *sd_config_server_name(apr_pool_t *p, const server_rec *s);

/* The SameSite attribute value ("Strict", "Lax", "None") or NULL for Off. */
const char *sd_config_same_site_name(const sd_config *conf);

/* The effective value of every directive, by name in table order (numbers,
 * booleans, texts or null, arrays of texts); secrets only counted. */
json_t *sd_config_model(apr_pool_t *p, const sd_config *conf);

#endif
