/* The session store: memcached through apr_memcache, one client (with its
 * connection pools) per child process. Routes never call this directly; the
 * session unit does. */
#ifndef SD_STORE_H
#define SD_STORE_H

#include <httpd.h>
#include <apr_tables.h>

#include "sd_config.h"
#include "sd_stats.h"

typedef struct sd_store sd_store;

typedef enum {
    SD_STORE_OK,
    SD_STORE_NOTFOUND,   /* a real miss: a live server said so            */
    SD_STORE_EXISTS,     /* add: the key is taken                         */
    SD_STORE_DOWN,       /* no server could answer: an outage, not a miss */
    SD_STORE_ERROR       /* a live server refused the command (logged)    */
} sd_store_result;

/* Most copies of a session: 1 + SessionDemoReplicas. */
#define SD_MAX_COPIES 4

/* memcached reads an exptime above 30 days as an absolute Unix time. */
#define SD_STORE_RELATIVE_TTL_MAX 2592000

/* Builds the client for conf's servers from pchild and starts the health
 * prober thread (stopped when pchild is cleared). No pooled connection is
 * opened here: they are made on first use.
 *
 * health_flags (shared memory, may be NULL) holds one flag per distinct
 * memcached server of the whole configuration, at the indices in
 * health_slots (one per server of conf): 1 while the server is out of use.
 * Every child's prober writes it and every child's requests read it, so a
 * server one child sees go away or come back is avoided or used again by
 * all at once, and an outage is logged once, by the first child to see it. */
apr_status_t sd_store_create(apr_pool_t *pchild, server_rec *s, const sd_config *conf,
                             sd_stats *stats, volatile apr_uint32_t *health_flags,
                             const int *health_slots, sd_store **out);

/* *val is allocated from r->pool and NUL-terminated; use *len. */
sd_store_result sd_store_get(sd_store *st, request_rec *r, const char *key,
                             char **val, apr_size_t *len, apr_uint16_t *flags);

/* Whether stored value a is newer than b (the caller knows the format). */
typedef int (*sd_store_newer_fn)(const char *a, apr_size_t alen,
                                 const char *b, apr_size_t blen);

/* Like sd_store_get, but with replicas reads every replica that answers
 * and returns the newest copy by `newer`. */
sd_store_result sd_store_get_newest(sd_store *st, request_rec *r, const char *key,
                                    sd_store_newer_fn newer, char **val,
                                    apr_size_t *len, apr_uint16_t *flags);

/* ttl_seconds > 0; longer than 30 days is sent as an absolute time. A
 * value memcached refuses (too large, out of memory) leaves the copy it
 * had in place (sd_store_set writes with replace, then add). */
sd_store_result sd_store_set(sd_store *st, request_rec *r, const char *key,
                             const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags);
sd_store_result sd_store_add(sd_store *st, request_rec *r, const char *key,
                             const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags);

/* A lock key, placed with the key `placement` (its session): added on
 * every replica that answers (see store_memcache.c). SD_STORE_EXISTS when
 * another holder has it anywhere. */
sd_store_result sd_store_lock(sd_store *st, request_rec *r, const char *key,
                              const char *placement, const char *val, apr_size_t len,
                              apr_int64_t ttl_seconds);

/* Removes the lock wherever it still holds `token`. */
void sd_store_unlock(sd_store *st, request_rec *r, const char *key, const char *placement,
                     const char *token, apr_size_t len);

/* memcached's default item size limit (-I), until the prober has read the
 * real one; and what an item costs it besides the key and the value
 * (item header, CAS, flags, CRLF, with room to spare). */
#define SD_STORE_DEFAULT_ITEM_SIZE_MAX (1024 * 1024)
#define SD_STORE_ITEM_OVERHEAD 96

/* The largest value every replica of `key` takes: its item size limit less
 * the key and the item's overhead. */
apr_size_t sd_store_max_value(const sd_store *st, const char *key);

/* A missing key counts as deleted. */
sd_store_result sd_store_delete(sd_store *st, request_rec *r, const char *key);

/* One server's state for the status page. */
typedef struct {
    const char *host;
    int port;
    int up;                       /* in use (the prober's verdict)        */
    const char *version;          /* NULL when it did not answer          */
    int has_stats;                /* the figures below were read          */
    apr_uint64_t items, get_hits, get_misses, connections, uptime, bytes,
                 limit_maxbytes;
} sd_store_server_info;

/* Queries every server (version + stats) now. Returns the count. */
int sd_store_servers(sd_store *st, apr_pool_t *p, sd_store_server_info **out);

#endif
