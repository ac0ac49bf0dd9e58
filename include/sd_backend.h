/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* One server's storage commands, on server i of a list, in the manner of
 * ap_socache_provider_t: memcached and the unit tests' fake implement it. */
#ifndef SD_BACKEND_H
#define SD_BACKEND_H

#include <apr_pools.h>

typedef enum {
    SD_BACKEND_OK,
    SD_BACKEND_MISS,      /* a live server said it has no such key        */
    SD_BACKEND_EXISTS,    /* add: the key is taken                        */
    SD_BACKEND_DOWN,      /* the server did not answer (in time)          */
    SD_BACKEND_REFUSED    /* a live server refused the command            */
} sd_backend_result;

/* Allocations, and the request to log for (NULL in the prober's threads). */
typedef struct {
    apr_pool_t *pool;
    void *request;
} sd_backend_call;

typedef struct {
    /* *val from call->pool, NUL-terminated; use *len. */
    sd_backend_result (*get)(void *b, int server, const sd_backend_call *call,
                             const char *key, char **val, apr_size_t *len,
                             apr_uint16_t *flags);
    /* Stores the value whether or not the key exists; a refusal leaves the
     * old value in place. */
    sd_backend_result (*write)(void *b, int server, const sd_backend_call *call,
                               const char *key, const char *val, apr_size_t len,
                               apr_uint32_t exptime, apr_uint16_t flags);
    /* Stores only when the key is absent (SD_BACKEND_EXISTS otherwise). */
    sd_backend_result (*add)(void *b, int server, const sd_backend_call *call,
                             const char *key, const char *val, apr_size_t len,
                             apr_uint32_t exptime, apr_uint16_t flags);
    /* A missing key counts as removed. */
    sd_backend_result (*remove)(void *b, int server, const sd_backend_call *call,
                                const char *key);
    /* Whether requests may use the server now (its health). */
    int (*usable)(void *b, int server);
    /* The largest item the server takes (memcached's -I). */
    apr_size_t (*item_size_max)(void *b, int server);
    /* Adds delta (< 0: memcached's decr, stopping at 0; 0 reads) to the
     * counter under key, into *value; SD_BACKEND_MISS when there is none. */
    sd_backend_result (*incr)(void *b, int server, const sd_backend_call *call,
                              const char *key, apr_int32_t delta, apr_uint32_t *value);
} sd_backend_ops;

typedef struct {
    const sd_backend_ops *ops;
    void *baton;
    int nservers;
    const char *const *names;   /* "host:port", for placement and logs    */
} sd_backend;

/* memcached reads an exptime above 30 days as an absolute Unix time. */
#define SD_BACKEND_RELATIVE_TTL_MAX 2592000

#endif
