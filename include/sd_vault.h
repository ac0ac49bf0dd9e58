/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Records in the server's SessionDemoStoreFormat: Sealed (<prefix> + keyed
 * hash of the name, values sealed, sd_seal.h) or Express (<prefix><name>,
 * plain JSON). Callers see plain JSON either way. A record is looked for
 * under older secrets' names too, and moved by its next write (rotation). */
#ifndef SD_VAULT_H
#define SD_VAULT_H

#include <httpd.h>

#include "sd_record.h"
#include "sd_seal.h"
#include "sd_store.h"
#include "sd_vhost.h"

/* connect-memcached's JSON flag: a peer Express app parses values with it.
 * Sealed values carry 0: they are not JSON. */
#define SD_VAULT_FLAGS_JSON 2
#define SD_VAULT_FLAGS_SEALED 0

/* The sealing keys of every secret of a Sealed server (check_config). */
const char *sd_vault_prepare(apr_pool_t *p, sd_vhost *v);

/* What a record named `name` (a session ID, an index's name) is called in
 * memcached keys: its keyed hash under the first secret (Sealed), or the
 * name itself (Express). NULL when OpenSSL fails. */
const char *sd_vault_name(apr_pool_t *p, const sd_vhost *v, const char *name);

const char *sd_vault_key(apr_pool_t *p, const sd_vhost *v, const char *name);

/* The newest copy of record `name`, as plain JSON (*val NUL-terminated;
 * *flags as express-session would have them, so callers check those).
 * *found_key (if given) gets the key it was read under when that is an
 * older secret's (else NULL): the next write moves it. A sealed copy that
 * does not open is SD_STORE_NOTFOUND (counted and logged). */
sd_store_result sd_vault_read(request_rec *r, const sd_vhost *v, const char *name,
                              const char *lock_key, sd_store_read_mode mode, char **val,
                              apr_size_t *len, apr_uint16_t *flags, const char **found_key);

/* sd_vault_read that tells a copy that exists but does not open
 * (*unopenable = 1, still SD_STORE_NOTFOUND) from a real miss: for the
 * index of a user's sessions, which must never count as empty then. */
sd_store_result sd_vault_read_checked(request_rec *r, const sd_vhost *v, const char *name,
                                      const char *lock_key, sd_store_read_mode mode,
                                      char **val, apr_size_t *len, apr_uint16_t *flags,
                                      const char **found_key, int *unopenable);

/* Writes (add: only if new) record `name`, whose module member val was
 * encoded from `meta` (a sealed copy repeats its generation, end and save
 * time in the clear header); a copy found under an older secret's key
 * (old_key, or NULL) is removed once the write succeeded, so no later
 * tombstone can be undercut by it. */
sd_store_result sd_vault_write(request_rec *r, const sd_vhost *v, const char *name,
                               const char *lock_key, const char *val, apr_size_t len,
                               const sd_record_meta *meta, apr_int64_t ttl_seconds,
                               const char *old_key);
sd_store_result sd_vault_add(request_rec *r, const sd_vhost *v, const char *name,
                             const char *lock_key, const char *val, apr_size_t len,
                             const sd_record_meta *meta, apr_int64_t ttl_seconds);

sd_store_result sd_vault_remove(request_rec *r, const sd_vhost *v, const char *name,
                                const char *old_key);

/* At most. */
apr_size_t sd_vault_stored_len(const sd_vhost *v, apr_size_t len);

#endif
