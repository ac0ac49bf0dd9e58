/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* SessionDemoStoreFormat Sealed. Per secret, HKDF-SHA256 derives a name
 * key (memcached keys are an HMAC of the session ID, useless as a cookie)
 * and an AES-256-GCM key (with the memcached key and the clear header as
 * associated data). The clear header is what the replica protocol reads:
 * "SD1.<gen>.<ended>.<saved ms>.<until s>." base64url(nonce|ciphertext|tag). */
#ifndef SD_SEAL_H
#define SD_SEAL_H

#include <apr_pools.h>
#include <apr_time.h>

#include "sd_mac.h"
#include "sd_store.h"

#define SD_SEAL_KEY_LEN 32
/* base64url without padding of an HMAC-SHA256 */
#define SD_SEAL_NAME_LEN 43
#define SD_SEAL_NONCE_LEN 12
#define SD_SEAL_TAG_LEN 16
/* "SD1." and four numbers of at most 20 digits with their dots */
#define SD_SEAL_HEADER_MAX (4 + 4 * 21)

typedef struct {
    unsigned char name_key[SD_SEAL_KEY_LEN];  /* keys memcached key hashes */
    unsigned char seal_key[SD_SEAL_KEY_LEN];  /* AES-256-GCM              */
    sd_mac *mac;                              /* keyed with name_key       */
    void *cipher;                             /* fetched EVP_CIPHER        */
} sd_seal_keys;

/* Both keys of one secret, at start-up; wiped with p. */
apr_status_t sd_seal_derive(apr_pool_t *p, const unsigned char *secret, apr_size_t len,
                            sd_seal_keys *out);

/* base64url(HMAC-SHA256(name_key, name)), from p; NULL when OpenSSL fails. */
const char *sd_seal_name(apr_pool_t *p, const sd_seal_keys *k, const char *name);

typedef struct {
    apr_int64_t gen;     /* the record's generation                        */
    int ended;           /* a tombstone                                    */
    apr_int64_t saved;   /* last write, ms since the epoch (tiebreak)      */
    apr_int64_t until;   /* when a copy is dead, s since the epoch; 0: a
                            day from any write (a browser-session cookie) */
} sd_seal_header;

/* The sealed value of plain under memcached key `key`, NUL-terminated;
 * NULL when OpenSSL fails. */
char *sd_seal_close(apr_pool_t *p, const sd_seal_keys *k, const char *key,
                    const sd_seal_header *h, const char *plain, apr_size_t len,
                    apr_size_t *out_len);

/* Length of the sealed value of a plain text of `len` bytes, at most. */
apr_size_t sd_seal_sealed_len(apr_size_t len);

/* Opens a value read under `key` with keys[0..n) in order: the index of
 * the keys that opened it, or -1 (garbage, altered, moved, other secret). */
int sd_seal_open(apr_pool_t *p, const sd_seal_keys *keys, int n, const char *key,
                 const char *val, apr_size_t len, char **plain, apr_size_t *plain_len);

/* 1 with *h (and *header_len, if given) when v starts with a clear header. */
int sd_seal_header_parse(const char *v, apr_size_t len, sd_seal_header *h,
                         apr_size_t *header_len);

/* The store's format (sd_store_format) for sealed values, from the clear
 * header only (the store serves other secrets' vhosts too, and replays
 * without a request): a value without one is older than any with one. */
void sd_seal_read_header(const char *v, apr_size_t len, apr_time_t now, sd_store_header *h);

#endif
