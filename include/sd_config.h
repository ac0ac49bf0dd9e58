/* Per-server configuration: the SessionDemo* directives, their defaults,
 * merging, and the start-up checks that make `apache2 -t` catch mistakes. */
#ifndef SD_CONFIG_H
#define SD_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include <apr_tables.h>

#include "sd_cookie.h"

#define SD_DEFAULT_COOKIE_NAME   "connect.sid"
#define SD_DEFAULT_MAX_AGE       86400
#define SD_DEFAULT_KEY_PREFIX    "sess:"
#define SD_DEFAULT_MEMCACHE_HOST "127.0.0.1"
#define SD_DEFAULT_MEMCACHE_PORT 11211
#define SD_MAX_KEY_PREFIX_LEN    48    /* + a 200-byte ID stays under 250 */
#define SD_MAX_MAX_AGE           (400L * 24 * 3600) /* browsers cap cookies at 400 days */
#define SD_SHORT_SECRET_LEN      32

#ifndef SD_DEFAULT_TEMPLATE_DIR
#define SD_DEFAULT_TEMPLATE_DIR "templates"
#endif

typedef struct sd_views sd_views;
typedef struct sd_store sd_store;
typedef struct sd_stats sd_stats;

typedef struct {
    const char *host;
    apr_port_t port;
} sd_memcache_server;

typedef enum {
    SD_SECURE_OFF,
    SD_SECURE_ON,
    SD_SECURE_AUTO    /* Secure when the request arrived over TLS */
} sd_secure_mode;

typedef struct sd_config {
    /* From directives; NULL / SD_UNSET mean "not set here" until finalized. */
    apr_array_header_t *memcache;       /* of sd_memcache_server           */
    apr_array_header_t *secrets;        /* of sd_secret; [0] signs        */
    const char *cookie_name;
    apr_int64_t max_age;                /* seconds, idle lifetime          */
    apr_int64_t absolute_timeout;       /* seconds since creation, 0 = off */
    apr_int64_t refresh_percent;        /* re-save an unmodified session
                                           when less than this % is left  */
    const char *key_prefix;
    const char *template_dir;
    const char *cookie_path;
    const char *cookie_domain;          /* NULL = host-only cookie         */
    int cookie_http_only;
    int cookie_secure;                  /* sd_secure_mode                  */
    const char *cookie_same_site;       /* "Strict"/"Lax"/"None" or NULL   */
    int same_site_set;
    int trust_proxy;                    /* believe X-Forwarded-Proto       */
    int save_uninitialized;
    int resave;
    int rolling;
    int check_origin;                   /* refuse cross-origin POSTs       */
    apr_array_header_t *trusted_origins;/* of const char *                 */
    apr_array_header_t *auth_providers; /* of const char * (names)         */
    apr_int64_t max_body;               /* bytes of a form body            */
    apr_int64_t max_username_len;       /* bytes                           */
    apr_int64_t max_item_len;           /* bytes of one cart item          */
    apr_int64_t max_cart_items;
    apr_int64_t probe_interval_ms;      /* memcached health checks         */
    apr_int64_t probe_timeout_ms;
    int lock;                           /* per-session lock in memcached   */
    apr_int64_t replicas;               /* extra copies of each session    */
    apr_int64_t lock_wait_ms;           /* longest wait for the lock       */
    apr_int64_t lock_ttl;               /* seconds before a lock is stale  */

    /* Filled at start-up. */
    volatile apr_uint32_t *outage_flags;/* shared memory, all children     */
    int *memcache_slots;                /* flag index of each server       */
    apr_array_header_t *authn;          /* of const authn_provider *       */
    const sd_views *views;
    /* Filled in each child. */
    sd_store *store;
    sd_stats *stats;
} sd_config;

extern const command_rec sd_config_commands[];

void *sd_config_create(apr_pool_t *p, server_rec *s);
void *sd_config_merge(apr_pool_t *p, void *basev, void *addv);

/* Fills defaults and validates one merged server config. Returns NULL or
 * an error message that names the directive at fault. */
const char *sd_config_finalize(apr_pool_t *p, server_rec *s, sd_config *conf);

/* The module's config for server s. */
sd_config *sd_config_get(const server_rec *s);

#endif
