/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The one HMAC-SHA256 of the module (cookie signatures, session handles,
 * sealed names, throttle keys), through OpenSSL 3's EVP_MAC: a context is
 * keyed once per key (at configuration or child-init time) and duplicated
 * per use, so a MAC costs a copy and the hashing, not a fetch and a key
 * expansion. Pure: OpenSSL and APR only. */
#ifndef SD_MAC_H
#define SD_MAC_H

#include <apr_pools.h>

#define SD_MAC_LEN 32 /* bytes of an HMAC-SHA256 */

typedef struct sd_mac sd_mac;

/* Keys a context with key[0..len) (any length, also 0). It lives, and is
 * freed, with p; afterwards it is only read, so threads use it at once.
 * APR_EGENERAL when OpenSSL has no HMAC-SHA256. */
apr_status_t sd_mac_create(apr_pool_t *p, const void *key, apr_size_t len, sd_mac **out);

/* out = HMAC-SHA256(key of m, data[0..len)). 1, or 0 when OpenSSL fails. */
int sd_mac_compute(const sd_mac *m, const void *data, apr_size_t len,
                   unsigned char out[SD_MAC_LEN]);

/* The same for a key that was not prepared: keys a context, uses it and
 * frees it (for callers without a configuration, such as tests). */
int sd_mac_once(const void *key, apr_size_t key_len, const void *data, apr_size_t len,
                unsigned char out[SD_MAC_LEN]);

#endif
