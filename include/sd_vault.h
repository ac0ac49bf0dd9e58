/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Records in the server's SessionDemoStoreFormat: Sealed (<prefix> + keyed
 * hash of the name, values sealed: sd_seal.h) or Express (<prefix><name>,
 * plain JSON); callers see plain JSON. */
#ifndef SD_VAULT_H
#define SD_VAULT_H

#include <httpd.h>

#include "sd_record.h"
#include "sd_seal.h"
#include "sd_store.h"
#include "sd_vhost.h"

/* connect-memcached's JSON flag, which a peer Express app reads. */
#define SD_VAULT_FLAGS_JSON 2
#define SD_VAULT_FLAGS_SEALED 0

/* The sealing keys of every secret of a Sealed server (check_config). */
const char *sd_vault_prepare(apr_pool_t *p, sd_vhost *v);

/* What record `name` is called in memcached keys (sd_vault_key: with the
 * prefix): its keyed hash under the first secret (Sealed), or the name
 * itself. NULL when OpenSSL fails. */
const char *sd_vault_name(apr_pool_t *p, const sd_vhost *v, const char *name);

const char *sd_vault_key(apr_pool_t *p, const sd_vhost *v, const char *name);

/* The newest copy of record `name`, as plain JSON (*val NUL-terminated;
 * *flags as express-session would have them). *found_key (if given) gets
 * the key it was read under when that is an older secret's (else NULL):
 * the next write moves it. A sealed copy that does not open is
 * SD_STORE_NOTFOUND (counted, logged, and *unopenable = 1 if given). */
sd_store_result sd_vault_read(request_rec *r, const sd_vhost *v, const char *name,
                              const char *lock_key, sd_store_read_mode mode, char **val,
                              apr_size_t *len, apr_uint16_t *flags, const char **found_key,
                              int *unopenable);

/* Writes (add: only if new) record `name` encoded from `meta` (which a
 * sealed copy repeats in its clear header); then removes old_key (an older
 * secret's copy, or NULL), so no later tombstone can be undercut by it. */
sd_store_result sd_vault_write(request_rec *r, const sd_vhost *v, const char *name,
                               const char *lock_key, const char *val, apr_size_t len,
                               const sd_record_meta *meta, apr_int64_t ttl_seconds,
                               const char *old_key);
sd_store_result sd_vault_add(request_rec *r, const sd_vhost *v, const char *name,
                             const char *lock_key, const char *val, apr_size_t len,
                             const sd_record_meta *meta, apr_int64_t ttl_seconds);

sd_store_result sd_vault_remove(request_rec *r, const sd_vhost *v, const char *name,
                                const char *old_key);

/* The stored length of a value of len bytes, at most. */
apr_size_t sd_vault_stored_len(const sd_vhost *v, apr_size_t len);

#endif
