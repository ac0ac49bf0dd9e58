/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Sealed records (sd_seal.h): HKDF-derived keys, keyed-hash names and
 * AES-256-GCM envelopes, through OpenSSL 3's EVP interfaces only. */
#include "sd_seal.h"
#include "sd_mac.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_encode.h>
#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define NAME_INFO "sessiondemo store key v1"
#define SEAL_INFO "sessiondemo store seal v1"
#define HEADER_MAGIC "SD1."

static apr_status_t wipe_keys(void *data)
{
    sd_seal_keys *k = data;
    EVP_CIPHER_free(k->cipher);
    OPENSSL_cleanse(k, sizeof(*k));
    return APR_SUCCESS;
}

apr_status_t sd_seal_derive(apr_pool_t *p, const unsigned char *secret, apr_size_t len,
                            sd_seal_keys *out)
{
    memset(out, 0, sizeof(*out));
    apr_pool_cleanup_register(p, out, wipe_keys, apr_pool_cleanup_null);
    if (!sd_mac_hkdf(secret, len, NAME_INFO, out->name_key, SD_SEAL_KEY_LEN)
        || !sd_mac_hkdf(secret, len, SEAL_INFO, out->seal_key, SD_SEAL_KEY_LEN)) {
        return APR_EGENERAL;
    }
    /* Keyed once: each name then costs a dup and two compressions, not a
     * fetch and a key expansion. */
    if (sd_mac_create(p, out->name_key, SD_SEAL_KEY_LEN, &out->mac) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    out->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    return out->cipher ? APR_SUCCESS : APR_EGENERAL;
}

const char *sd_seal_name(apr_pool_t *p, const sd_seal_keys *k, const char *name)
{
    unsigned char mac[SD_MAC_LEN];
    char *out = apr_palloc(p, SD_SEAL_NAME_LEN + 1);
    apr_size_t b64_len = 0;
    if (!sd_mac_compute(k->mac, name, strlen(name), mac)
        || apr_encode_base64_binary(out, mac, sizeof(mac), APR_ENCODE_BASE64URL, &b64_len)
           != APR_SUCCESS
        || b64_len != SD_SEAL_NAME_LEN) {
        return NULL;
    }
    out[SD_SEAL_NAME_LEN] = '\0';
    return out;
}

static int parse_number(const char **at, const char *end, apr_int64_t *out)
{
    apr_int64_t n = 0;
    const char *s = *at;
    if (s >= end || *s < '0' || *s > '9') {
        return 0;
    }
    for (; s < end && *s >= '0' && *s <= '9'; ++s) {
        if (n > (APR_INT64_MAX - 9) / 10) {
            return 0;
        }
        n = n * 10 + (*s - '0');
    }
    if (s >= end || *s != '.') {
        return 0;
    }
    *at = s + 1;
    *out = n;
    return 1;
}

int sd_seal_header_parse(const char *v, apr_size_t len, sd_seal_header *h,
                         apr_size_t *header_len)
{
    const char *at = v, *end;
    apr_int64_t ended;
    if (!v || len < sizeof(HEADER_MAGIC) - 1 || memcmp(v, HEADER_MAGIC, 4) != 0) {
        return 0;
    }
    end = v + (len < SD_SEAL_HEADER_MAX ? len : SD_SEAL_HEADER_MAX);
    at += 4;
    if (!parse_number(&at, end, &h->gen) || !parse_number(&at, end, &ended)
        || ended > 1 || !parse_number(&at, end, &h->saved)
        || !parse_number(&at, end, &h->until)) {
        return 0;
    }
    h->ended = (int)ended;
    if (header_len) {
        *header_len = (apr_size_t)(at - v);
    }
    return 1;
}

static int header_text(const sd_seal_header *h, char out[SD_SEAL_HEADER_MAX + 1])
{
    int n = snprintf(out, SD_SEAL_HEADER_MAX + 1,
                     HEADER_MAGIC "%" APR_INT64_T_FMT ".%d.%" APR_INT64_T_FMT ".%"
                     APR_INT64_T_FMT ".", h->gen < 0 ? 0 : h->gen, h->ended ? 1 : 0,
                     h->saved < 0 ? 0 : h->saved, h->until < 0 ? 0 : h->until);
    return n > 0 && n <= SD_SEAL_HEADER_MAX ? n : 0;
}

/* The associated data: the memcached key (a moved copy does not open), a
 * NUL, the clear header (it cannot be edited to win the replica ranking). */
static int gcm(int enc, const sd_seal_keys *k, const unsigned char nonce[SD_SEAL_NONCE_LEN],
               const char *key, const char *header, apr_size_t header_len,
               const unsigned char *in, apr_size_t in_len, unsigned char *out,
               unsigned char tag[SD_SEAL_TAG_LEN])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok;
    static const unsigned char zero = 0;

    ok = ctx && k->cipher && in_len <= INT_MAX
         && EVP_CipherInit_ex2(ctx, k->cipher, k->seal_key, nonce, enc, NULL)
         && EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)key, (int)strlen(key))
         && EVP_CipherUpdate(ctx, NULL, &n, &zero, 1)
         && EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)header, (int)header_len)
         && (in_len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)in_len));
    if (ok && !enc) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SD_SEAL_TAG_LEN, tag) > 0;
    }
    ok = ok && EVP_CipherFinal_ex(ctx, out + (in_len ? n : 0), &n) > 0;
    if (ok && enc) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SD_SEAL_TAG_LEN, tag) > 0;
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

apr_size_t sd_seal_sealed_len(apr_size_t len)
{
    apr_size_t raw = SD_SEAL_NONCE_LEN + len + SD_SEAL_TAG_LEN;
    return SD_SEAL_HEADER_MAX + (raw + 2) / 3 * 4;
}

char *sd_seal_close(apr_pool_t *p, const sd_seal_keys *k, const char *key,
                    const sd_seal_header *h, const char *plain, apr_size_t len,
                    apr_size_t *out_len)
{
    char header[SD_SEAL_HEADER_MAX + 1];
    int hlen = header_text(h, header);
    apr_size_t raw_len = SD_SEAL_NONCE_LEN + len + SD_SEAL_TAG_LEN, b64_len = 0;
    unsigned char *raw;
    char *out;

    if (!hlen || len > (apr_size_t)INT_MAX - 64) {
        return NULL;
    }
    raw = apr_palloc(p, raw_len);
    if (RAND_bytes(raw, SD_SEAL_NONCE_LEN) != 1
        || !gcm(1, k, raw, key, header, (apr_size_t)hlen, (const unsigned char *)plain, len,
                raw + SD_SEAL_NONCE_LEN, raw + SD_SEAL_NONCE_LEN + len)) {
        return NULL;
    }
    out = apr_palloc(p, sd_seal_sealed_len(len) + 1);
    memcpy(out, header, (apr_size_t)hlen);
    if (apr_encode_base64_binary(out + hlen, raw, (apr_ssize_t)raw_len, APR_ENCODE_BASE64URL,
                                 &b64_len) != APR_SUCCESS) {
        return NULL;
    }
    *out_len = (apr_size_t)hlen + b64_len;
    out[*out_len] = '\0';
    return out;
}

/* Whether b64 is canonical unpadded base64url: APR's decoder also takes
 * '+', '/', '=' and spare bits, so other bytes of one copy would open
 * alike and count as a divergence. */
static int canonical_base64url(const char *b64, apr_size_t len)
{
    const char *tail = b64 + len - len % 4;
    unsigned char bytes[3];
    char again[5];
    apr_size_t n = 0, m = 0;

    if (len % 4 == 1 || memchr(b64, '=', len) || memchr(b64, '+', len)
        || memchr(b64, '/', len)) {
        return 0;
    }
    /* Only a short last group has spare bits: it must encode back to itself. */
    return len % 4 == 0
           || (apr_decode_base64_binary(bytes, tail, (apr_ssize_t)(len % 4),
                                        APR_ENCODE_BASE64URL, &n) == APR_SUCCESS
               && apr_encode_base64_binary(again, bytes, (apr_ssize_t)n, APR_ENCODE_BASE64URL,
                                           &m) == APR_SUCCESS
               && m == len % 4 && memcmp(again, tail, m) == 0);
}

int sd_seal_open(apr_pool_t *p, const sd_seal_keys *keys, int n, const char *key,
                 const char *val, apr_size_t len, char **plain, apr_size_t *plain_len)
{
    sd_seal_header h;
    apr_size_t hlen = 0, raw_len = 0, ct_len;
    unsigned char *raw;
    char *out;

    if (!sd_seal_header_parse(val, len, &h, &hlen) || len - hlen > (apr_size_t)INT_MAX
        || !canonical_base64url(val + hlen, len - hlen)) {
        return -1;
    }
    /* Decoded once, into room for the longest decoding: APR's sizing pass
     * costs as much as the decoding. */
    raw = apr_palloc(p, (len - hlen) / 4 * 3 + 4);
    if (apr_decode_base64_binary(raw, val + hlen, (apr_ssize_t)(len - hlen),
                                 APR_ENCODE_BASE64URL, &raw_len) != APR_SUCCESS
        || raw_len < SD_SEAL_NONCE_LEN + SD_SEAL_TAG_LEN) {
        return -1;
    }
    ct_len = raw_len - SD_SEAL_NONCE_LEN - SD_SEAL_TAG_LEN;
    out = apr_palloc(p, ct_len + 1);
    for (int i = 0; i < n; ++i) {
        if (gcm(0, &keys[i], raw, key, val, hlen, raw + SD_SEAL_NONCE_LEN, ct_len,
                (unsigned char *)out, raw + SD_SEAL_NONCE_LEN + ct_len)) {
            out[ct_len] = '\0';
            *plain = out;
            *plain_len = ct_len;
            return i;
        }
    }
    return -1;
}

void sd_seal_read_header(const char *v, apr_size_t len, apr_time_t now, sd_store_header *h)
{
    sd_seal_header sh;
    apr_int64_t left;
    if (!sd_seal_header_parse(v, len, &sh, NULL)) {
        sh = (sd_seal_header){ -1, 0, 0, 0 };  /* older than any copy with a header */
    }
    left = sh.until - apr_time_sec(now);
    h->gen = sh.gen;
    h->ended = sh.ended;
    h->saved = sh.saved;
    h->ttl = !sh.until ? 86400 : left < 1 ? 1 : left;
}
