/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for sealed records: HKDF and keyed names against values
 * computed independently (Python's hmac), round trips, and every way a
 * sealed value must fail to open: another secret, another key (moved), a
 * changed byte, a changed header, truncation; rotation; the store format
 * read from the clear header. */
#include "sd_seal.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <string.h>

static int opens(apr_pool_t *p, const sd_seal_keys *k, int n, const char *key, const char *v,
                 apr_size_t len)
{
    char *plain = NULL;
    apr_size_t plen = 0;
    return sd_seal_open(p, k, n, key, v, len, &plain, &plen);
}

/* The store's header of a stored value, through the sealed format. */
static sd_store_header header(const char *v, apr_size_t len, apr_time_t now)
{
    sd_store_header h;
    sd_seal_read_header(v, len, now, &h);
    return h;
}

int main(void)
{
    apr_pool_t *p;
    sd_seal_keys keys[2], old_first[1];
    const char *name;
    char hex[65];
    const char *plain = "{\"cookie\":{},\"username\":\"alice\",\"isLoggedIn\":true}";
    sd_seal_header h = { 7, 0, 1700000000123LL, 1700086400 }, got;
    char *sealed, *copy, *out = NULL;
    apr_size_t len = 0, hlen = 0, olen = 0;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(27);

    TAP_OK(sd_seal_derive(p, (const unsigned char *)"test secret", 11, &keys[0]) == APR_SUCCESS
           && sd_seal_derive(p, (const unsigned char *)"older secret", 12, &keys[1]) == APR_SUCCESS,
           "keys derive");
    for (int i = 0; i < 32; ++i) {
        apr_snprintf(hex + 2 * i, 3, "%02x", keys[0].name_key[i]);
    }
    TAP_IS_STR(hex, "f879df46374354dd8cf0d4c1c58eb3f60376d9f47a1cfd0578ad5e9870dc680f",
               "HKDF-SHA256 (no salt, info \"sessiondemo store key v1\") matches");
    for (int i = 0; i < 32; ++i) {
        apr_snprintf(hex + 2 * i, 3, "%02x", keys[0].seal_key[i]);
    }
    TAP_IS_STR(hex, "f23ca687b04ce47bb4c192a563f2fff0680546405e56e0438859a6da7a62d8b4",
               "the sealing key has its own info string");
    TAP_OK((name = sd_seal_name(p, &keys[0], "abc")) != NULL, "a name is made");
    TAP_IS_STR(name, "VMlltu3RIq57-bvC65nHZ5y1yXP3x_pqZqFRRn2g_kQ",
               "name = base64url(HMAC-SHA256(key-hash key, ID))");
    name = sd_seal_name(p, &keys[1], "abc");
    TAP_OK(strcmp(name, "VMlltu3RIq57-bvC65nHZ5y1yXP3x_pqZqFRRn2g_kQ") != 0,
           "another secret names the ID otherwise");

    sealed = sd_seal_close(p, &keys[0], "sess:K", &h, plain, strlen(plain), &len);
    TAP_OK(sealed && len == strlen(sealed) && len <= sd_seal_sealed_len(strlen(plain)),
           "seals, within the announced length");
    TAP_OK(sealed && !strstr(sealed, "alice") && !strstr(sealed, "isLoggedIn"),
           "nothing of the record is in clear");
    TAP_OK(sd_seal_header_parse(sealed, len, &got, &hlen) && got.gen == 7 && !got.ended
           && got.saved == 1700000000123LL && got.until == 1700086400
           && strncmp(sealed, "SD1.7.0.1700000000123.1700086400.", hlen) == 0,
           "the clear header carries generation, end, save time and expiry");
    TAP_OK(sd_seal_open(p, keys, 2, "sess:K", sealed, len, &out, &olen) == 0
           && olen == strlen(plain) && strcmp(out, plain) == 0, "round trip");
    {
        char *again = sd_seal_close(p, &keys[0], "sess:K", &h, plain, strlen(plain), &olen);
        TAP_OK(again && strcmp(again, sealed) != 0, "a fresh nonce per write");
    }
    TAP_OK(opens(p, &keys[1], 1, "sess:K", sealed, len) < 0, "another secret does not open it");
    TAP_OK(opens(p, keys, 2, "sess:L", sealed, len) < 0,
           "moved to another key, it does not open");
    copy = apr_pstrmemdup(p, sealed, len);
    copy[len - 10] = copy[len - 10] == 'A' ? 'B' : 'A';
    TAP_OK(opens(p, keys, 2, "sess:K", copy, len) < 0, "a changed byte of the body: no");
    copy = apr_pstrmemdup(p, sealed, len);
    copy[4] = '9';
    TAP_OK(opens(p, keys, 2, "sess:K", copy, len) < 0,
           "a changed generation in the header: no");
    TAP_OK(opens(p, keys, 2, "sess:K", sealed, len - 4) < 0 && opens(p, keys, 2, "sess:K", sealed, hlen) < 0
           && opens(p, keys, 2, "sess:K", sealed, 3) < 0, "truncated: no");
    TAP_OK(opens(p, keys, 2, "sess:K", plain, strlen(plain)) < 0
           && opens(p, keys, 2, "sess:K", "SD1.1.0.1.1.!!!!", 16) < 0
           && opens(p, keys, 2, "sess:K", "SD1.99999999999999999999999.0.1.1.AAAA", 39) < 0,
           "plain JSON, bad base64 and an overflowing header: no");

    {
        /* One plaintext, one text: the siblings of the last character
         * (same data bits, other spare bits) and padding do not open;
         * bodies of 2 and 3 characters mod 4 (4 and 2 spare bits). */
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int siblings = 0, opened = 0, padded = 0, spares = 0;
        for (int extra = 1; extra <= 2; ++extra) {
            const char *text = apr_pstrcat(p, plain, extra == 1 ? " " : "  ", NULL);
            apr_size_t slen = 0, shlen = 0, body;
            char *s = sd_seal_close(p, &keys[0], "sess:K", &h, text, strlen(text), &slen);
            unsigned spare, last;
            sd_seal_header_parse(s, slen, &got, &shlen);
            body = slen - shlen;
            spare = body % 4 == 2 ? 0x0f : body % 4 == 3 ? 0x03 : 0;
            spares |= spare;
            last = (unsigned)(strchr(b64, s[slen - 1]) - b64);
            for (unsigned v = last & ~spare; v <= (last | spare); ++v) {
                if (v != last) {
                    copy = apr_pstrmemdup(p, s, slen);
                    copy[slen - 1] = b64[v];
                    ++siblings;
                    opened += opens(p, keys, 2, "sess:K", copy, slen) >= 0;
                }
            }
            padded += opens(p, keys, 2, "sess:K", apr_pstrcat(p, s, "==", NULL), slen + 2) >= 0;
            padded += opens(p, keys, 2, "sess:K", apr_pstrcat(p, s, "=", NULL), slen + 1) >= 0;
            padded += opens(p, keys, 2, "sess:K", s, slen) < 0;
        }
        TAP_OK(spares == 0x0f && siblings == 15 + 3 && opened == 0,
               "the last character's siblings (other spare bits): no");
        TAP_OK(padded == 0, "padding appended: no (and the canonical text opens)");
        copy = apr_pstrcat(p, sealed, "A", NULL);
        TAP_OK(opens(p, keys, 2, "sess:K", copy, len + 1) < 0, "one character more: no");
        {
            /* APR takes '+' and '/' for '-' and '_': the same record again. */
            char *alias = apr_pstrmemdup(p, sealed, len);
            int swapped = 0;
            for (apr_size_t i = hlen; i < len; ++i) {
                if (alias[i] == '-' || alias[i] == '_') {
                    alias[i] = alias[i] == '-' ? '+' : '/';
                    ++swapped;
                }
            }
            TAP_OK(swapped == 0 || opens(p, keys, 2, "sess:K", alias, len) < 0,
                   "'+' and '/' for '-' and '_': no");
        }
    }

    /* Rotation: written when "older secret" was the first. */
    *old_first = keys[1];
    sealed = sd_seal_close(p, old_first, "sess:K", &h, plain, strlen(plain), &len);
    TAP_OK(sd_seal_open(p, keys, 2, "sess:K", sealed, len, &out, &olen) == 1
           && strcmp(out, plain) == 0, "rotation: a record of the older secret opens (index 1)");

    {
        sd_seal_header g5 = { 5, 0, 10, 100 }, g6 = { 6, 0, 5, 100 }, t4 = { 4, 1, 1, 100 };
        apr_size_t l5, l6, l4;
        char *a = sd_seal_close(p, &keys[0], "k", &g5, "{}", 2, &l5);
        char *b = sd_seal_close(p, &keys[0], "k", &g6, "{}", 2, &l6);
        char *c = sd_seal_close(p, &keys[0], "k", &t4, "{}", 2, &l4);
        sd_store_header ha = header(a, l5, 0), hb = header(b, l6, 0), hc = header(c, l4, 0);
        sd_store_header junk = header("junk", 4, 0), x = header("x", 1, 0);
        TAP_OK(sd_store_newer(&hb, &ha) > 0 && sd_store_newer(&ha, &hb) < 0,
               "compare: the higher generation is newer");
        TAP_OK(sd_store_newer(&hc, &hb) > 0, "compare: a tombstone beats any live copy");
        TAP_OK(sd_store_newer(&ha, &junk) > 0 && sd_store_newer(&junk, &x) == 0,
               "compare: a copy without a header is older");
        TAP_OK(header(a, l5, apr_time_from_sec(40)).ttl == 60
               && header(a, l5, apr_time_from_sec(400)).ttl == 1
               && junk.ttl == 86400, "ttl from the header's expiry");
        {
            sd_seal_header s1 = { 5, 0, 20, 100 };
            apr_size_t l1;
            char *d = sd_seal_close(p, &keys[0], "k", &s1, "{}", 2, &l1);
            sd_store_header hd = header(d, l1, 0);
            TAP_OK(sd_store_tiebreak(&hd, d, l1, &ha, a, l5) > 0
                   && sd_store_tiebreak(&ha, a, l5, &hd, d, l1) < 0,
                   "tiebreak: the later save, both ways round");
        }
    }
    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
