/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the one HMAC-SHA256 (src/mac.c): RFC 4231's vectors
 * (a short key, a key longer than the block), the empty key the cookie
 * codec allows (also given as NULL), a prepared context that stays
 * reusable after many uses. */
#include "sd_mac.h"
#include "tap.h"

#include <string.h>

#include <apr_escape.h>
#include <apr_general.h>

static const char *hex_of(apr_pool_t *p, const unsigned char mac[SD_MAC_LEN])
{
    return apr_pescape_hex(p, mac, SD_MAC_LEN, 0);
}

/* The prepared context's MAC in hex, or "(failed)". */
static const char *prepared(apr_pool_t *p, const void *key, apr_size_t klen,
                            const void *data, apr_size_t len)
{
    sd_mac *m = NULL;
    unsigned char out[SD_MAC_LEN];
    if (sd_mac_create(p, key, klen, &m) != APR_SUCCESS || !m
        || !sd_mac_compute(m, data, len, out)) {
        return "(failed)";
    }
    return hex_of(p, out);
}

int main(void)
{
    apr_pool_t *p;
    unsigned char key20[20], key131[131];
    static const char big_data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char rfc1[] = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    static const char rfc2[] = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    static const char rfc6[] = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
    /* HMAC-SHA256 with an empty key and an empty message (Python's hmac). */
    static const char empty[] = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
    sd_mac *m = NULL;
    unsigned char first[SD_MAC_LEN], again[SD_MAC_LEN];
    int same = 1;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(9);

    memset(key20, 0x0b, sizeof(key20));
    memset(key131, 0xaa, sizeof(key131));
    TAP_IS_STR(prepared(p, key20, sizeof(key20), "Hi There", 8), rfc1, "RFC 4231 case 1");
    TAP_IS_STR(prepared(p, "Jefe", 4, "what do ya want for nothing?", 28), rfc2,
               "RFC 4231 case 2");
    TAP_IS_STR(prepared(p, key131, sizeof(key131), big_data, strlen(big_data)), rfc6,
               "RFC 4231 case 6: a key longer than the block is hashed first");
    TAP_IS_STR(prepared(p, "", 0, "", 0), empty, "the empty key");
    TAP_IS_STR(prepared(p, "Jefe", 4, "what do ya want for nothing?", 28), rfc2,
               "a second context of the same key: the same bytes");
    TAP_IS_STR(prepared(p, NULL, 0, "", 0), empty, "the empty key, given as NULL");

    /* Each use duplicates the keyed context: using it never changes it. */
    TAP_OK(sd_mac_create(p, "Jefe", 4, &m) == APR_SUCCESS && m
           && sd_mac_compute(m, "abc", 3, first), "a context is prepared");
    for (int i = 0; i < 100 && same; ++i) {
        same = sd_mac_compute(m, "abc", 3, again) && memcmp(first, again, SD_MAC_LEN) == 0;
    }
    TAP_OK(same, "a prepared context gives the same MAC 100 times");
    TAP_OK(sd_mac_create(p, NULL, 3, &m) == APR_EINVAL && m == NULL,
           "a NULL key with a length is refused");

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
