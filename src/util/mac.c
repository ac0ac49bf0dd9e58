/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* HMAC-SHA256 contexts keyed once and duplicated per use (sd_mac.h). */
#include "sd_mac.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

struct sd_mac {
    EVP_MAC_CTX *ctx;
};

/* OpenSSL takes a NULL key for "none given", so an empty key needs a
 * pointer to something. */
static const unsigned char empty = 0;

static apr_status_t free_mac(void *data)
{
    sd_mac *m = data;
    EVP_MAC_CTX_free(m->ctx);
    m->ctx = NULL;
    return APR_SUCCESS;
}

apr_status_t sd_mac_create(apr_pool_t *p, const void *key, apr_size_t len, sd_mac **out)
{
    EVP_MAC *mac;
    sd_mac *m;
    OSSL_PARAM params[] = { OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                            OSSL_PARAM_END };

    *out = NULL;
    if (key == NULL && len != 0) {
        return APR_EINVAL;
    }
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    m = apr_palloc(p, sizeof(*m));
    m->ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    /* The context holds its own reference to the algorithm. */
    EVP_MAC_free(mac);
    if (!m->ctx || !EVP_MAC_init(m->ctx, len ? key : &empty, len, params)) {
        EVP_MAC_CTX_free(m->ctx);
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(p, m, free_mac, apr_pool_cleanup_null);
    *out = m;
    return APR_SUCCESS;
}

int sd_mac_compute(const sd_mac *m, const void *data, apr_size_t len,
                   unsigned char out[SD_MAC_LEN])
{
    EVP_MAC_CTX *ctx = m && m->ctx ? EVP_MAC_CTX_dup(m->ctx) : NULL;
    size_t out_len = 0;
    int ok = ctx && EVP_MAC_update(ctx, data, len)
             && EVP_MAC_final(ctx, out, &out_len, SD_MAC_LEN) && out_len == SD_MAC_LEN;

    if (!ok) {
        OPENSSL_cleanse(out, SD_MAC_LEN);
    }
    EVP_MAC_CTX_free(ctx);
    return ok;
}

int sd_mac_hkdf(const void *secret, apr_size_t len, const char *info, unsigned char *out,
                apr_size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, (void *)(len ? secret : &empty), len),
        OSSL_PARAM_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info)),
        OSSL_PARAM_END
    };
    int ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) > 0;

    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}
