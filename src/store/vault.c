/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Records in the server's store format (sd_vault.h). */
#include "sd_vault.h"
#include "sd_cookie.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_record.h"

#include <http_log.h>
#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

const char *sd_vault_prepare(apr_pool_t *p, sd_vhost *v)
{
    const apr_array_header_t *secrets = v->conf->secrets;
    sd_seal_keys *keys;

    v->rt.seal = NULL;
    v->rt.nseal = 0;
    if (v->conf->store_format != SD_STORE_FORMAT_SEALED || !secrets || !secrets->nelts) {
        return NULL;
    }
    keys = apr_pcalloc(p, sizeof(*keys) * (apr_size_t)secrets->nelts);
    for (int i = 0; i < secrets->nelts; ++i) {
        const sd_secret *secret = &APR_ARRAY_IDX(secrets, i, sd_secret);
        if (sd_seal_derive(p, secret->bytes, secret->len, &keys[i]) != APR_SUCCESS) {
            return "SessionDemoStoreFormat Sealed: OpenSSL cannot derive the sealing keys"
                   " (HKDF, HMAC-SHA256 or AES-256-GCM missing)";
        }
    }
    v->rt.seal = keys;
    v->rt.nseal = secrets->nelts;
    return NULL;
}

/* Names memoised per request: each HMAC costs ~10 k instructions. */
typedef struct {
    const sd_seal_keys *keys;
    apr_hash_t *names;
} name_memo;

const char *sd_vault_name(apr_pool_t *p, const sd_vhost *v, const char *name)
{
    name_memo *memo = NULL;
    const char *hashed;

    if (!v->rt.seal) {
        return name;
    }
    apr_pool_userdata_get((void **)&memo, "sd_vault_names", p);
    if (!memo) {
        memo = apr_palloc(p, sizeof(*memo));
        memo->keys = v->rt.seal;
        memo->names = apr_hash_make(p);
        apr_pool_userdata_setn(memo, "sd_vault_names", NULL, p);
    }
    if (memo->keys == v->rt.seal
        && (hashed = apr_hash_get(memo->names, name, APR_HASH_KEY_STRING)) != NULL) {
        return hashed;
    }
    hashed = sd_seal_name(p, &v->rt.seal[0], name);
    if (hashed && memo->keys == v->rt.seal) {
        apr_hash_set(memo->names, apr_pstrdup(p, name), APR_HASH_KEY_STRING, hashed);
    }
    return hashed;
}

const char *sd_vault_key(apr_pool_t *p, const sd_vhost *v, const char *name)
{
    const char *hashed = sd_vault_name(p, v, name);
    return hashed ? apr_pstrcat(p, v->conf->key_prefix, hashed, NULL) : NULL;
}

/* A Sealed server without keys (refused at start-up) never falls back to
 * plain records, which anyone with memcached access can plant. */
static int unkeyed(request_rec *r, const sd_vhost *v)
{
    if (v->conf->store_format != SD_STORE_FORMAT_SEALED || v->rt.seal) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00904)
                  "SessionDemoStoreFormat Sealed without a secret on this server: its"
                  " records are neither read nor written");
    return 1;
}

/* An altered record is read on every request that names it: logged once
 * a minute, counted always. */
static sd_store_result not_openable(request_rec *r, const sd_vhost *v, const char *key,
                                    apr_size_t len, const char *why, sd_store_read_mode mode,
                                    int *unopenable)
{
    /* A look (the status page) is no request the record failed. */
    if (mode != SD_STORE_LOOK) {
        SD_STATS_INC(v->rt.stats, unsealable);
    }
    if (unopenable) {
        *unopenable = 1;
    }
    if (sd_log_due_each_minute(v->rt.unopenable_log_next,
                               (apr_uint32_t)apr_time_sec(r->request_time))) {
        /* A keyed hash: the key tells nothing of whose record it is. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00901)
                      "a stored record of %" APR_SIZE_T_FMT " bytes under key %s does not"
                      " open (%s): altered, moved from another key, or written without the"
                      " secret; treating it as missing (logged at most once a minute per"
                      " process)", len, ap_escape_logitem(r->pool, key), why);
    }
    return SD_STORE_NOTFOUND;
}

sd_store_result sd_vault_read(request_rec *r, const sd_vhost *v, const char *name,
                              const char *lock_key, sd_store_read_mode mode, char **val,
                              apr_size_t *len, apr_uint16_t *flags, const char **found_key,
                              int *unopenable)
{
    sd_backend_call call = { r->pool, r };
    const char *key = NULL;
    sd_store_result res = SD_STORE_NOTFOUND;
    char *plain = NULL;
    apr_size_t plain_len = 0;

    if (found_key) {
        *found_key = NULL;
    }
    if (unopenable) {
        *unopenable = 0;
    }
    if (unkeyed(r, v)) {
        return SD_STORE_ERROR;
    }
    /* Rotation: a record written before the newest secret was added sits
     * under an older secret's name (i > 0) until its next write moves it. */
    for (int i = 0; res == SD_STORE_NOTFOUND && (i == 0 || i < v->rt.nseal); ++i) {
        const char *hashed = i ? sd_seal_name(r->pool, &v->rt.seal[i], name)
                               : sd_vault_name(r->pool, v, name);
        if (!hashed) {
            return SD_STORE_ERROR;
        }
        key = apr_pstrcat(r->pool, v->conf->key_prefix, hashed, NULL);
        /* An older name is not under the lock; a look stays a look. */
        res = sd_store_read(v->rt.store, &call, key, i ? NULL : lock_key,
                            i && mode != SD_STORE_LOOK ? SD_STORE_READ_ONLY : mode, val, len,
                            flags);
        if (i && res == SD_STORE_OK && found_key) {
            *found_key = key;
        }
    }
    if (res != SD_STORE_OK || !v->rt.seal) {
        return res;
    }
    if (*flags != SD_VAULT_FLAGS_SEALED) {
        return not_openable(r, v, key, *len, "not a sealed record", mode, unopenable);
    }
    if (sd_seal_open(r->pool, v->rt.seal, v->rt.nseal, key, *val, *len, &plain,
                     &plain_len) < 0) {
        return not_openable(r, v, key, *len, "authentication failed", mode, unopenable);
    }
    *val = plain;
    *len = plain_len;
    *flags = SD_VAULT_FLAGS_JSON;
    return SD_STORE_OK;
}

static sd_store_result put(request_rec *r, const sd_vhost *v, int add, const char *name,
                           const char *lock_key, const char *val, apr_size_t len,
                           const sd_record_meta *meta, apr_int64_t ttl_seconds,
                           const char *old_key)
{
    sd_backend_call call = { r->pool, r };
    const char *key = sd_vault_key(r->pool, v, name);
    apr_uint16_t flags = SD_VAULT_FLAGS_JSON;
    sd_store_result res;

    if (!key || unkeyed(r, v)) {
        return SD_STORE_ERROR;
    }
    if (v->rt.seal) {
        sd_seal_header h = { meta->gen, meta->ended, apr_time_as_msec(meta->saved),
                             apr_time_sec(apr_time_now()) + ttl_seconds };
        if (!(val = sd_seal_close(r->pool, &v->rt.seal[0], key, &h, val, len, &len))) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00902)
                          "a record could not be sealed (OpenSSL or its random number"
                          " generator failed); it is not written");
            return SD_STORE_ERROR;
        }
        flags = SD_VAULT_FLAGS_SEALED;
    }
    res = add ? sd_store_add(v->rt.store, &call, key, lock_key, val, len, ttl_seconds, flags)
              : sd_store_write(v->rt.store, &call, key, lock_key, val, len, ttl_seconds, flags);
    if (res == SD_STORE_OK && old_key) {
        /* Best effort: a copy left there is found only while no copy
         * exists under the current key, which now does. */
        sd_store_remove(v->rt.store, &call, old_key);
    }
    return res;
}

sd_store_result sd_vault_write(request_rec *r, const sd_vhost *v, const char *name,
                               const char *lock_key, const char *val, apr_size_t len,
                               const sd_record_meta *meta, apr_int64_t ttl_seconds,
                               const char *old_key)
{
    return put(r, v, 0, name, lock_key, val, len, meta, ttl_seconds, old_key);
}

sd_store_result sd_vault_add(request_rec *r, const sd_vhost *v, const char *name,
                             const char *lock_key, const char *val, apr_size_t len,
                             const sd_record_meta *meta, apr_int64_t ttl_seconds)
{
    return put(r, v, 1, name, lock_key, val, len, meta, ttl_seconds, NULL);
}

sd_store_result sd_vault_remove(request_rec *r, const sd_vhost *v, const char *name,
                                const char *old_key)
{
    sd_backend_call call = { r->pool, r };
    const char *key = sd_vault_key(r->pool, v, name);
    sd_store_result res;
    if (!key || unkeyed(r, v)) {
        return SD_STORE_ERROR;
    }
    res = sd_store_remove(v->rt.store, &call, key);
    if (res == SD_STORE_OK && old_key) {
        res = sd_store_remove(v->rt.store, &call, old_key);
    }
    return res;
}

apr_size_t sd_vault_stored_len(const sd_vhost *v, apr_size_t len)
{
    return v->rt.seal ? sd_seal_sealed_len(len) : len;
}
