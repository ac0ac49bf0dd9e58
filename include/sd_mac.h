/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The one HMAC-SHA256 of the module (cookies, handles, sealed names,
 * throttle keys): an EVP_MAC context keyed once and duplicated per use, so
 * a MAC costs a copy and the hashing, not a fetch and a key expansion; and
 * the one HKDF-SHA256, which derives the keys of sealing and throttling. */
#ifndef SD_MAC_H
#define SD_MAC_H

#include <apr_pools.h>

#define SD_MAC_LEN 32 /* bytes of an HMAC-SHA256 */

typedef struct sd_mac sd_mac;

/* A context keyed with key[0..len) (any length, also 0), freed with p and
 * only read after, so threads share it. APR_EGENERAL: OpenSSL has no HMAC. */
apr_status_t sd_mac_create(apr_pool_t *p, const void *key, apr_size_t len, sd_mac **out);

/* out = HMAC-SHA256(key of m, data[0..len)). 1, or 0 when OpenSSL fails. */
int sd_mac_compute(const sd_mac *m, const void *data, apr_size_t len,
                   unsigned char out[SD_MAC_LEN]);

/* out[0..out_len) = HKDF-SHA256 of secret[0..len) (any length, also 0)
 * with info and no salt. 1, or 0 when OpenSSL fails. */
int sd_mac_hkdf(const void *secret, apr_size_t len, const char *info, unsigned char *out,
                apr_size_t out_len);

#endif
