/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Fuzz target: Cookie header parsing and signed-cookie verification
 * (sd_cookie_find_all, sd_cookie_unsign, sd_cookie_sign, sd_cookie_uri_encode,
 * sd_cookie_header, sd_cookie_strip_any).
 *
 * The input is used three ways:
 *  1. as a Cookie request header: the connect.sid value found in it is
 *     unsigned against two fixed secrets (rotation); anything accepted must
 *     re-sign to exactly the same text with the secret that matched;
 *  2. as a session ID: sign + unsign must give the ID back (with secret 0)
 *     exactly when the ID is one unsign accepts (1-200 printable ASCII
 *     characters), and nothing otherwise;
 *  3. as a cookie value: Set-Cookie's URL encoding followed by Cookie
 *     parsing must give the value back whenever it is well-formed UTF-8
 *     (decodeURIComponent cannot decode anything else). */
#include "fuzz_common.h"

#include <ctype.h>

#include "sd_cookie.h"

#include <apr_strings.h>

#define COOKIE_NAME "connect.sid"

static apr_pool_t *keys_pool;
static sd_secret secrets[2] = {
    { (const unsigned char *)"keyboard cat", 12, NULL },
    { (const unsigned char *)"new secret", 10, NULL },
};

/* Keyed once, as the module keys its secrets at start-up. */
void sd_fuzz_target_init(void)
{
    if (apr_pool_create(&keys_pool, NULL) != APR_SUCCESS
        || sd_mac_create(keys_pool, secrets[0].bytes, secrets[0].len, &secrets[0].keyed_mac) != APR_SUCCESS
        || sd_mac_create(keys_pool, secrets[1].bytes, secrets[1].len, &secrets[1].keyed_mac) != APR_SUCCESS) {
        abort();
    }
}

/* The rule sd_cookie_unsign documents for IDs it accepts: 1 to 200
 * printable ASCII characters (isgraph in the C locale). */
static int id_acceptable(const char *id, size_t len)
{
    size_t graph = 0;
    while (graph < len && isgraph((unsigned char)id[graph])) {
        ++graph;
    }
    return len >= 1 && len <= 200 && graph == len;
}

/* Well-formed UTF-8 (shortest form, no surrogates, at most U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t need;
        unsigned long cp;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xe0) == 0xc0) { need = 1; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { need = 2; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { need = 3; cp = c & 0x07; }
        else return 0;
        if (n - i <= need) return 0;
        for (size_t k = 1; k <= need; ++k) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800)
            || (need == 3 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* The first cookie called `name` (sd_cookie_find_all), or NULL. */
static const char *find1(apr_pool_t *p, const char *header, const char *name)
{
    apr_array_header_t *all = apr_array_make(p, 1, sizeof(const char *));
    return sd_cookie_find_all(p, header, name, all) ? APR_ARRAY_IDX(all, 0, const char *) : NULL;
}

static void check_found_value(apr_pool_t *p, const char *value)
{
    int matched = 42;
    const char *id = sd_cookie_unsign(p, value, secrets, 2, &matched);

    if (!id) {
        SD_CHECK(matched == -1, "rejected value but matched=%d", matched);
        return;
    }
    SD_CHECK(matched == 0 || matched == 1, "matched=%d", matched);
    SD_CHECK(id_acceptable(id, strlen(id)), "accepted a bad ID '%s'", id);
    /* Signatures are canonical: what verified is exactly what we would send. */
    const char *again = sd_cookie_sign(p, id, &secrets[matched]);
    SD_CHECK(again && strcmp(again, value) == 0,
             "'%s' verified but re-signs as '%s'", value, again ? again : "(null)");
}

static void check_sign_round_trip(apr_pool_t *p, const char *id, size_t len)
{
    int matched = 42;
    const char *signed_value = sd_cookie_sign(p, id, &secrets[0]);
    SD_CHECK(signed_value != NULL, "sign failed");

    const char *back = sd_cookie_unsign(p, signed_value, secrets, 2, &matched);
    if (id_acceptable(id, len)) {
        SD_CHECK(back && strcmp(back, id) == 0 && matched == 0,
                 "ID '%s' did not survive sign/unsign (got '%s', matched %d)",
                 id, back ? back : "(null)", matched);
        /* Verified only by the second secret, it must report index 1. */
        const char *s1 = sd_cookie_sign(p, id, &secrets[1]);
        back = sd_cookie_unsign(p, s1, secrets, 2, &matched);
        SD_CHECK(back && strcmp(back, id) == 0 && matched == 1,
                 "rotation: '%s' not verified by secret 1", s1);
        /* And never by the first secret alone. */
        SD_CHECK(sd_cookie_unsign(p, s1, secrets, 1, NULL) == NULL,
                 "'%s' verified with the wrong secret", s1);
        /* Through Set-Cookie and back via the Cookie header. */
        sd_cookie_attrs attrs = { NULL, "/", 1, 0, 1, 0, "Lax" };
        const char *set = sd_cookie_header(p, COOKIE_NAME, signed_value, &attrs);
        const char *semi = set ? strchr(set, ';') : NULL;
        SD_CHECK(semi != NULL, "Set-Cookie '%s'", set ? set : "(null)");
        const char *pair = apr_pstrmemdup(p, set, (apr_size_t)(semi - set));
        const char *hdr = apr_pstrcat(p, "other=1; ", pair, "; x=y", NULL);
        const char *found = find1(p, hdr, COOKIE_NAME);
        SD_CHECK(found && strcmp(found, signed_value) == 0,
                 "cookie '%s' came back from '%s' as '%s'", signed_value, hdr,
                 found ? found : "(null)");
    }
    else {
        SD_CHECK(back == NULL, "unacceptable ID accepted: '%s'", back);
    }
}

static void check_encode_round_trip(apr_pool_t *p, const char *value, size_t len)
{
    const char *enc = sd_cookie_uri_encode(p, value);
    SD_CHECK(enc != NULL, "uri_encode failed");
    for (const char *c = enc; *c; ++c) {
        SD_CHECK(*c > 0x20 && *c < 0x7f && *c != ';' && *c != ',' && *c != '"'
                 && *c != '\\' && *c != '=', "unsafe byte 0x%02x in '%s'",
                 (unsigned char)*c, enc);
    }
    const char *hdr = apr_pstrcat(p, COOKIE_NAME, "=", enc, NULL);
    const char *found = find1(p, hdr, COOKIE_NAME);
    if (len == 0) {
        SD_CHECK(found && *found == '\0', "empty value");
        return;
    }
    SD_CHECK(found != NULL, "'%s' not found", hdr);
    if (valid_utf8((const unsigned char *)value, len)) {
        SD_CHECK(strcmp(found, value) == 0, "'%s' decoded as '%s'", enc, found);
    }
    else {
        /* decodeURIComponent throws; jshttp keeps the raw text. */
        SD_CHECK(strcmp(found, enc) == 0, "'%s' came back as '%s'", enc, found);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = sd_fuzz_pool();
    char *input = sd_fuzz_cstr(data, size);
    size_t len = strlen(input); /* a header cannot carry a NUL */

    const char *value = find1(p, input, COOKIE_NAME);
    if (value) {
        SD_CHECK(strlen(value) <= len, "value longer than the header");
        check_found_value(p, value);
    }
    /* Another name exercises the skip path over connect.sid pairs. */
    value = find1(p, input, "a");
    if (value) {
        SD_CHECK(strlen(value) <= len, "value longer than the header");
        check_found_value(p, value);
    }
    /* Stripping leaves no cookie of the name, and never grows the header. */
    {
        const char *gone = NULL, *left;
        apr_array_header_t *names = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(names, const char *) = COOKIE_NAME;
        left = sd_cookie_strip_any(p, input, names, &gone);
        SD_CHECK(left && strlen(left) <= len, "strip grew the header");
        SD_CHECK(find1(p, left, COOKIE_NAME) == NULL, "'%s' left a cookie in '%s'", input, left);
        SD_CHECK(!find1(p, input, COOKIE_NAME) || gone, "found but nothing removed");
    }
    /* The raw input as a cookie value (it may be "s:<id>.<sig>" text). */
    check_found_value(p, input);

    check_sign_round_trip(p, input, len);
    check_encode_round_trip(p, input, len);

    free(input);
    sd_fuzz_pool_done(p);
    return 0;
}
