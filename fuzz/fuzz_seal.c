/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Fuzz target: sealed records (sd_seal_open, sd_seal_header_parse and the
 * store format that reads only the clear header).
 *
 * The input is used two ways:
 *  1. as a value read from memcached: opening it under a fixed key with two
 *     secrets never crashes or overruns (what opens can only be a copy this
 *     process sealed, which libFuzzer finds by replaying the bytes it saw
 *     compared: a replay, as docs/security.md says); its store header
 *     gives a ttl >= 1, and compare/tiebreak against a value sealed here
 *     are antisymmetric;
 *  2. as a record's plain text: sealed under one key it opens there, to the
 *     same bytes, with the secret that sealed it, and not under another key. */
#include "fuzz_common.h"

#include "sd_seal.h"

static apr_pool_t *keys_pool;
static sd_seal_keys keys[2];

void sd_fuzz_target_init(void)
{
    if (apr_pool_create(&keys_pool, NULL) != APR_SUCCESS
        || sd_seal_derive(keys_pool, (const unsigned char *)"keyboard cat", 12, &keys[0]) != APR_SUCCESS
        || sd_seal_derive(keys_pool, (const unsigned char *)"new secret", 10, &keys[1]) != APR_SUCCESS) {
        abort();
    }
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = sd_fuzz_pool();
    const char *in = (const char *)data;
    char *plain = NULL, *again = NULL;
    apr_size_t plain_len = 0, again_len = 0, len = 0, sealed_len = 0;
    sd_seal_header h = { 3, 0, 1000, 2000000000 }, parsed;
    sd_store_header hin, hsealed;
    char *sealed;

    /* 1. A value read from memcached. */
    if (sd_seal_open(p, keys, 2, "sess:K", in, size, &plain, &plain_len) >= 0) {
        SD_CHECK(plain_len + SD_SEAL_NONCE_LEN + SD_SEAL_TAG_LEN < size, "opened %zu of %zu bytes",
                 (size_t)plain_len, size);
    }
    if (sd_seal_header_parse(in, size, &parsed, &len)) {
        SD_CHECK(len <= size && len <= SD_SEAL_HEADER_MAX, "header length %zu of %zu", (size_t)len, size);
    }
    sd_seal_read_header(in, size, apr_time_from_sec(1000), &hin);
    SD_CHECK(hin.ttl >= 1, "ttl below 1");
    sealed = sd_seal_close(p, &keys[0], "sess:K", &h, "{}", 2, &sealed_len);
    SD_CHECK(sealed != NULL, "sealing {} failed");
    sd_seal_read_header(sealed, sealed_len, apr_time_from_sec(1000), &hsealed);
    SD_CHECK(sign(sd_store_newer(&hin, &hsealed)) == -sign(sd_store_newer(&hsealed, &hin)),
             "compare not antisymmetric");
    SD_CHECK(sign(sd_store_tiebreak(&hin, in, size, &hsealed, sealed, sealed_len))
             == -sign(sd_store_tiebreak(&hsealed, sealed, sealed_len, &hin, in, size)),
             "tiebreak not antisymmetric");

    /* 2. A record's plain text. */
    sealed = sd_seal_close(p, &keys[1], "sess:K", &h, in, size, &sealed_len);
    SD_CHECK(sealed && sealed_len <= sd_seal_sealed_len(size), "sealing %zu bytes", size);
    SD_CHECK(sd_seal_open(p, keys, 2, "sess:K", sealed, sealed_len, &again, &again_len) == 1
             && again_len == size && memcmp(again, in, size) == 0, "round trip of %zu bytes", size);
    SD_CHECK(sd_seal_open(p, keys, 2, "sess:L", sealed, sealed_len, &again, &again_len) < 0,
             "opened under another key");
    sd_fuzz_pool_done(p);
    return 0;
}
