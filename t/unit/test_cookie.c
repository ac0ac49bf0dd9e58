/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the signed-cookie codec. The expected strings are the real
 * express-session / cookie-signature outputs from express-session-interop.md
 * §6 (plus §2.3's rotation example), so a pass here means byte compatibility
 * with Node, not just self-consistency. */
#include "sd_cookie.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_date.h>
#include <apr_encode.h>

#include <openssl/evp.h>

#define KC "keyboard cat"
#define SID "connect.sid"

/* Keyed once, as the module keys its secrets at start-up. */
static sd_secret secret_of(apr_pool_t *p, const char *s)
{
    sd_secret k = { (const unsigned char *)s, strlen(s), NULL };
    sd_mac_create(p, k.bytes, k.len, &k.keyed_mac);
    return k;
}

/* "s:<id>.<sig>" from OpenSSL's own one-shot HMAC, the reference for the
 * prepared contexts. */
static const char *oneshot_sign(apr_pool_t *p, const char *id, const char *key)
{
    unsigned char mac[SD_MAC_LEN];
    char sig[SD_SIG_LEN + 2];

    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, strlen(key),
                   (const unsigned char *)id, strlen(id), mac, sizeof(mac), NULL)
        || apr_encode_base64_binary(sig, mac, SD_MAC_LEN, APR_ENCODE_NONE, NULL) != APR_SUCCESS) {
        return NULL;
    }
    sig[SD_SIG_LEN] = '\0';
    return apr_pstrcat(p, "s:", id, ".", sig, NULL);
}

/* Unsigns with one secret; the index is thrown away. */
static const char *unsign1(apr_pool_t *p, const char *value, const char *secret)
{
    sd_secret k = secret_of(p, secret);
    return sd_cookie_unsign(p, value, &k, 1, NULL);
}

/* A signed value's default Set-Cookie and its way back to the ID. */
static void check_header_and_unsign(apr_pool_t *p, const char *signed_value,
                                    const sd_cookie_attrs *attrs, const char *id,
                                    const char *want_header, const char *vector)
{
    TAP_IS_STR(sd_cookie_header(p, SID, signed_value, attrs), want_header,
               "%s default Set-Cookie", vector);
    TAP_IS_STR(unsign1(p, signed_value, KC), id, "%s unsign", vector);
}

/* The first cookie called `name` (sd_cookie_find_all), or NULL. */
static const char *find1(apr_pool_t *p, const char *header, const char *name)
{
    apr_array_header_t *all = apr_array_make(p, 1, sizeof(const char *));
    return sd_cookie_find_all(p, header, name, all) ? APR_ARRAY_IDX(all, 0, const char *) : NULL;
}

/* The header without the cookies called `name` (sd_cookie_strip_any). */
static const char *strip1(apr_pool_t *p, const char *header, const char *name,
                          const char **removed)
{
    apr_array_header_t *names = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(names, const char *) = name;
    return sd_cookie_strip_any(p, header, names, removed);
}

static int is_b64url(const char *s, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    json_t *vectors;
    apr_pool_t *p;
    sd_secret kc, rot[2], bad[2];
    sd_cookie_attrs deflt = { NULL, "/", 0, 0, 1, 0, NULL };
    sd_cookie_attrs bare = { NULL, NULL, 0, 0, 0, 0, NULL };
    sd_cookie_attrs all;
    apr_time_t exp28, exp28b;
    apr_time_exp_t xt;
    char id1[SD_SID_LEN + 1], id2[SD_SID_LEN + 1];
    char longid[SD_SID_LEN * 8];
    char *s;
    const char *r;
    int m;

    apr_initialize();
    apr_pool_create(&p, NULL);
    kc = secret_of(p, KC);
    rot[0] = secret_of(p, "new secret");
    rot[1] = secret_of(p, KC);

    vectors = tap_vectors_load("cookie");
    TAP_PLAN(83 + (int)tap_vectors_count(vectors));

    /* --- §6.1-6.3: signing and the default Set-Cookie ------------------- */
    TAP_IS_STR(sd_cookie_sign(p, "abc", &kc),
               "s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU", "6.1 sign abc");
    TAP_IS_STR(sd_cookie_header(p, SID, sd_cookie_sign(p, "abc", &kc), &deflt),
               "connect.sid=s%3Aabc.BpxCrWRpvZMh%2Fwk%2Fdjl34N%2Bm%2BVQEU7K%2F5WenLwJCgFU; Path=/; HttpOnly",
               "6.1 default Set-Cookie");
    TAP_IS_STR(unsign1(p, "s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU", KC), "abc",
               "6.1 unsign abc");
    s = sd_cookie_sign(p, "abc", &kc);
    TAP_OK(s && strlen(s) == 2 + 3 + 1 + SD_SIG_LEN, "signature is %d chars", SD_SIG_LEN);

    TAP_IS_STR(sd_cookie_sign(p, "Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN", &kc),
               "s:Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN.lNx3Gg02jtCwATqktFh1S7ZIrY9tiOt+RhdG75BGT0Q",
               "6.2 sign uid-safe style ID");
    s = sd_cookie_sign(p, "Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN", &kc);
    TAP_OK(s && strlen(s) == 78, "6.2 raw value of a 32-char ID is 78 chars");
    check_header_and_unsign(p, s, &deflt, "Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN",
                            "connect.sid=s%3AXy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN.lNx3Gg02jtCwATqktFh1S7ZIrY9tiOt%2BRhdG75BGT0Q; Path=/; HttpOnly",
                            "6.2");

    s = sd_cookie_sign(p, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &kc);
    TAP_IS_STR(s, "s:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.RT5Cal5xFtX9GjJLGoiK+GzZ+cCRnZ5ZbIS8ml7E5Xo",
               "6.3 sign 32 x A");
    check_header_and_unsign(p, s, &deflt, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            "connect.sid=s%3AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.RT5Cal5xFtX9GjJLGoiK%2BGzZ%2BcCRnZ5ZbIS8ml7E5Xo; Path=/; HttpOnly",
                            "6.3");

    /* --- §6.4: real IDs from the Express runs --------------------------- */
    exp28 = apr_date_parse_rfc("Sat, 28 Nov 2026 09:24:59 GMT");
    memset(&xt, 0, sizeof(xt));
    xt.tm_year = 2026 - 1900; xt.tm_mon = 10; xt.tm_mday = 28;
    xt.tm_hour = 9; xt.tm_min = 24; xt.tm_sec = 59;
    TAP_OK(exp28 != APR_DATE_BAD && apr_time_exp_gmt_get(&exp28b, &xt) == APR_SUCCESS
           && exp28 == exp28b, "Expires test date parses (apr_date and apr_time_exp agree)");
    {
        sd_cookie_attrs a = { NULL, "/", 1, exp28, 1, 0, NULL };
        s = sd_cookie_sign(p, "iytEh9pT4i7BYAPatfrlrQb7XoAqm3SP", &kc);
        TAP_IS_STR(s, "s:iytEh9pT4i7BYAPatfrlrQb7XoAqm3SP.GiB+2QD0cN42/Jebkph5OmR890MCGG+MMLKhPwtKjAU",
                   "6.4 sign iytEh...");
        TAP_IS_STR(sd_cookie_header(p, SID, s, &a),
                   "connect.sid=s%3AiytEh9pT4i7BYAPatfrlrQb7XoAqm3SP.GiB%2B2QD0cN42%2FJebkph5OmR890MCGG%2BMMLKhPwtKjAU; Path=/; Expires=Sat, 28 Nov 2026 09:24:59 GMT; HttpOnly",
                   "6.4 Set-Cookie with Expires");
        /* Sub-second parts are truncated, as JavaScript's toUTCString does. */
        a.expires = exp28 + apr_time_from_msec(999);
        TAP_IS_STR(sd_cookie_header(p, SID, "x", &a),
                   "connect.sid=x; Path=/; Expires=Sat, 28 Nov 2026 09:24:59 GMT; HttpOnly",
                   "Expires drops milliseconds");
    }
    TAP_IS_STR(sd_cookie_sign(p, "nwH2JRqzRPhdFZQQeZuPPWplZJdhr64d", &kc),
               "s:nwH2JRqzRPhdFZQQeZuPPWplZJdhr64d.KrtMOemc3bPAmuC3YcowL03x9UuWf7YgfDM6ZoxhbIA",
               "6.4 sign nwH2...");
    TAP_IS_STR(sd_cookie_sign(p, "gTpx-Qqk-uUgK-2jBqntMmmt3FphZStG", &kc),
               "s:gTpx-Qqk-uUgK-2jBqntMmmt3FphZStG.Co7S+pNjqWauvIzBEvLFirr6ChJDwkQGv7As/GTBICk",
               "6.4 sign gTpx...");
    TAP_IS_STR(sd_cookie_header(p, SID,
                                sd_cookie_sign(p, "CmodWroteThisId0123456789abcdef_", &kc), &bare),
               "connect.sid=s%3ACmodWroteThisId0123456789abcdef_.NsxBc43IqPxJMg7d%2F6fuxzoAgUsGGZxf3%2F%2BjDIMW7Kg",
               "6.4 C-written ID, bare name=value");

    /* --- §6.5: other secrets --------------------------------------------- */
    {
        sd_secret snow = secret_of(p, "s\xc3\xab" "cret\xe2\x98\x83");
        char xs[101];
        sd_secret longk;
        memset(xs, 'x', 100);
        xs[100] = '\0';
        longk = secret_of(p, xs);
        TAP_IS_STR(sd_cookie_sign(p, "abc", &snow),
                   "s:abc.Rd5fYfWg3jlNGPPCUAniwtnChm90XImYVSW3xXgOE3E", "6.5 UTF-8 secret");
        TAP_IS_STR(sd_cookie_sign(p, "abc", &longk),
                   "s:abc.yUOuS6hTJW4NdBdputjgFRr92sxlRTnwvkd26f57bok",
                   "6.5 100-byte secret (longer than the HMAC block)");
        TAP_IS_STR(sd_cookie_sign(p, "abc", &rot[0]),
                   "s:abc.oHSxOyPiHkOvUE716vx+MbE4bkH5ZA0SEsUACVtA2DE", "6.5 secret 'new secret'");
        TAP_IS_STR(sd_cookie_unsign(p, "s:abc.Rd5fYfWg3jlNGPPCUAniwtnChm90XImYVSW3xXgOE3E",
                                    &snow, 1, NULL), "abc", "6.5 unsign with UTF-8 secret");
    }

    /* --- §6.6: negative vectors, and the a.b.c edge --------------------- */
    tap_vectors_run(vectors, "unsign", unsign1, p);

    /* --- more rejections ------------------------------------------------- */
    TAP_IS_STR(sd_cookie_unsign(p, "s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU", &kc, 0, NULL),
               NULL, "no secrets -> rejected");
    TAP_IS_STR(unsign1(p, sd_cookie_sign(p, "a b", &kc), KC), NULL,
               "correctly signed ID with a space -> rejected");
    TAP_IS_STR(unsign1(p, sd_cookie_sign(p, "a\tb", &kc), KC), NULL,
               "correctly signed ID with a control char -> rejected");
    TAP_IS_STR(unsign1(p, sd_cookie_sign(p, "ab\xc3\xa9", &kc), KC), NULL,
               "correctly signed non-ASCII ID -> rejected");
    memset(longid, 'A', 200);
    longid[200] = '\0';
    TAP_IS_STR(unsign1(p, sd_cookie_sign(p, longid, &kc), KC), longid,
               "200-byte ID is the longest accepted");
    longid[200] = 'A';
    longid[201] = '\0';
    TAP_IS_STR(unsign1(p, sd_cookie_sign(p, longid, &kc), KC), NULL,
               "correctly signed 201-byte ID -> rejected");

    /* --- rotation (§2.3) -------------------------------------------------- */
    m = 42;
    r = sd_cookie_unsign(p, "s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU", rot, 2, &m);
    TAP_OK(r && strcmp(r, "abc") == 0 && m == 1, "rotation: old-secret cookie accepted, matched=1");
    m = 42;
    r = sd_cookie_unsign(p, "s:abc.oHSxOyPiHkOvUE716vx+MbE4bkH5ZA0SEsUACVtA2DE", rot, 2, &m);
    TAP_OK(r && strcmp(r, "abc") == 0 && m == 0, "rotation: new-secret cookie accepted, matched=0");
    m = 42;
    r = sd_cookie_unsign(p, "s:abc.wFpojh7FWZVfQ4riabk4rKbkgSSmPAKYQpkRJ1Xzl7U", rot, 2, &m);
    TAP_OK(r == NULL && m == -1, "rotation: unknown secret rejected, matched=-1");
    TAP_IS_STR(sd_cookie_header(p, SID,
                                sd_cookie_sign(p, "gTpx-Qqk-uUgK-2jBqntMmmt3FphZStG", &rot[0]), &bare),
               "connect.sid=s%3AgTpx-Qqk-uUgK-2jBqntMmmt3FphZStG.ti9LRausOvMMkFQ%2Bj1r5vL4PHdrZbNqTdRDdr1mw7p0",
               "rotation: re-issue with secrets[0] matches Express");
    /* An empty or NULL secret in the list must not stop the later ones. */
    bad[0].bytes = NULL;
    bad[0].len = 5;
    bad[0].keyed_mac = NULL;
    bad[1] = kc;
    m = 42;
    r = sd_cookie_unsign(p, "s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU", bad, 2, &m);
    TAP_OK(r && strcmp(r, "abc") == 0 && m == 1, "unusable secret is skipped, next one verifies");

    /* --- new IDs ------------------------------------------------------------ */
    TAP_OK(sd_cookie_new_id(id1) == APR_SUCCESS && sd_cookie_new_id(id2) == APR_SUCCESS,
           "new_id succeeds");
    TAP_OK(strlen(id1) == SD_SID_LEN && is_b64url(id1, SD_SID_LEN), "new_id: 32 chars of [A-Za-z0-9_-]: %s", id1);
    TAP_OK(strcmp(id1, id2) != 0, "two new IDs differ");
    {
        int good = 1;
        for (int i = 0; i < 2000 && good; ++i) {
            good = sd_cookie_new_id(id2) == APR_SUCCESS && strlen(id2) == SD_SID_LEN
                   && is_b64url(id2, SD_SID_LEN);
        }
        TAP_OK(good, "2000 new IDs all well-formed (no '+', '/', '=')");
    }
    m = 42;
    r = sd_cookie_unsign(p, sd_cookie_sign(p, id1, &rot[0]), rot, 2, &m);
    TAP_OK(r && strcmp(r, id1) == 0 && m == 0, "sign -> unsign round trip of a new ID");

    /* --- sd_cookie_find_all, first value ---------------------------------------------------- */
    tap_vectors_run(vectors, "find", find1, p);
    r = find1(p, "foo=bar; connect.sid=s%3Aabc.BpxCrWRpvZMh%2Fwk%2Fdjl34N%2Bm%2BVQEU7K%2F5WenLwJCgFU",
                       SID);
    TAP_IS_STR(r, "s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU", "find: %%-encoded value decoded");
    TAP_IS_STR(unsign1(p, r, KC), "abc", "find -> unsign of the Set-Cookie value");

    /* Arbitrary bytes: nothing may crash or read out of bounds (ASan run). */
    {
        const char alphabet[] = "=; \t\"%%0aF.s:cA,\x01\x7f\x80\xff";
        unsigned long seed = 12345;
        char buf[64];
        int sane = 1;
        for (int iter = 0; iter < 20000; ++iter) {
            size_t n = (size_t)(iter % 63);
            for (size_t i = 0; i < n; ++i) {
                seed = seed * 1103515245UL + 12345UL;
                buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
            }
            buf[n] = '\0';
            r = find1(p, buf, "s");
            if (r != NULL && strlen(r) > n) {
                sane = 0;
            }
            {
                /* What is left of a header holds no cookie of the name. */
                const char *gone = NULL, *left = strip1(p, buf, "s", &gone);
                if (!left || strlen(left) > n || find1(p, left, "s")
                    || (r && !gone)) {
                    sane = 0;
                }
            }
            (void)unsign1(p, r, KC);
            (void)unsign1(p, buf, KC);
            if (iter % 1000 == 0) {
                apr_pool_clear(p);
            }
        }
        TAP_OK(sane, "find/unsign/strip survive 20000 random headers; nothing of the name is left");
    }

    /* --- every cookie of a name, and a header without ours ---------------- */
    {
        apr_array_header_t *all_v = apr_array_make(p, 2, sizeof(const char *));
        const char *gone = "x";
        TAP_OK(sd_cookie_find_all(p, "a=1; connect.sid=s%3Ax.y; b=2;connect.sid=\"z\"", SID, all_v) == 2
               && strcmp(APR_ARRAY_IDX(all_v, 0, const char *), "s:x.y") == 0
               && strcmp(APR_ARRAY_IDX(all_v, 1, const char *), "z") == 0,
               "find_all: both of our cookies, in order, decoded");
        TAP_OK(sd_cookie_find_all(p, "a=1; b=2", SID, all_v) == 0 && all_v->nelts == 2,
               "find_all: none found, nothing appended");
        TAP_IS_STR(strip1(p, "a=1; connect.sid=s%3Ax.y; b=2", SID, &gone), "a=1; b=2",
                   "strip: ours in the middle");
        TAP_IS_STR(gone, "connect.sid=s%3Ax.y", "strip: the removed pair, as sent");
        TAP_IS_STR(strip1(p, "connect.sid=v;  a=1 ;b=2", SID, NULL), "a=1 ;b=2",
                   "strip: ours first, odd spacing of the others kept");
        TAP_IS_STR(strip1(p, "a=1;\tb=\"2\"; connect.sid=v", SID, NULL), "a=1;\tb=\"2\"",
                   "strip: ours last");
        TAP_IS_STR(strip1(p, "a=1; connect.sid=v, b=2; connect.sid=w; c=3", SID, &gone),
                   "a=1; b=2; c=3", "strip: two Cookie lines joined by httpd with \", \"");
        TAP_IS_STR(gone, "connect.sid=v; connect.sid=w", "strip: both removed pairs");
        TAP_IS_STR(strip1(p, "connect.sid=v", SID, &gone), "", "strip: only ours: empty");
        gone = "x";
        TAP_IS_STR(strip1(p, "a=1; xconnect.sid=v; connect.sidx=w; b", SID, &gone),
                   "a=1; xconnect.sid=v; connect.sidx=w; b", "strip: look-alike names stay");
        TAP_IS_STR(gone, NULL, "strip: nothing removed");
        TAP_IS_STR(strip1(p, "a=;a=;a=;a=;a=", "a", &gone), "", "strip: many tiny pairs");
        TAP_IS_STR(gone, "a=; a=; a=; a=; a=", "strip: ... all reported");
        /* One tokenizer (issue 20 review, F8/F9): what the reader finds the
         * stripper removes, and nothing inside another pair's value. */
        TAP_IS_STR(find1(p, "a=1, connect.sid=v", SID), "v",
                   "find: ours at the start of a second Cookie line (\", \" join)");
        TAP_IS_STR(find1(p, "list=x,connect.sid=y; c=1", SID), NULL,
                   "find: a ',' without a space is inside list's value, not a pair");
        TAP_IS_STR(strip1(p, "list=x,connect.sid=y; c=1", SID, &gone),
                   "list=x,connect.sid=y; c=1", "strip: ... and list's value stays whole");
        TAP_IS_STR(strip1(p, "list=\"a, connect.sid=1, b\"; c=1", SID, &gone),
                   "list=\"a, connect.sid=1, b\"; c=1", "strip: never inside a quoted value");
        TAP_IS_STR(find1(p, "list=\"a, connect.sid=1, b\"; c=1", SID), NULL,
                   "find: ... nor found there");
        TAP_IS_STR(strip1(p, "  ;  connect.sid=V  ;  ", SID, &gone), "",
                   "strip: padded separators leave no lone ';'");
        TAP_IS_STR(strip1(p, "a=1, connect.sid=v;b=2", SID, &gone), "a=1;b=2",
                   "strip: the pairs around a removed one stay apart");
        TAP_IS_STR(strip1(p, "b=\"x, connect.sid=1; c=\"y\"", SID, &gone),
                   "b=\"x; c=\"y\"", "strip: an unclosed quote does not swallow the next pair");
        {
            apr_array_header_t *names = apr_array_make(p, 2, sizeof(const char *));
            APR_ARRAY_PUSH(names, const char *) = "old.sid";
            APR_ARRAY_PUSH(names, const char *) = SID;
            TAP_IS_STR(sd_cookie_strip_any(p, "old.sid=1; a=1; connect.sid=2", names, &gone), "a=1",
                       "strip_any: every name of the list");
            TAP_IS_STR(gone, "old.sid=1; connect.sid=2", "strip_any: ... both reported");
        }
    }

    /* --- uri_encode and Set-Cookie -------------------------------------- */
    TAP_IS_STR(sd_cookie_uri_encode(p, "!#$&'()*+,/:;=?@[]"),
               "!%23%24%26'()*%2B%2C%2F%3A%3B%3D%3F%40%5B%5D", "uri_encode: reserved characters");
    TAP_IS_STR(sd_cookie_uri_encode(p, "AZaz09-_.!~*'()"), "AZaz09-_.!~*'()",
               "uri_encode: unreserved set untouched");
    TAP_IS_STR(sd_cookie_uri_encode(p, " \"%<>\\^`{|}\x01\x7f\xc3\xa9"),
               "%20%22%25%3C%3E%5C%5E%60%7B%7C%7D%01%7F%C3%A9",
               "uri_encode: space, quote, percent, controls, UTF-8 bytes (upper-case hex)");
    TAP_IS_STR(sd_cookie_uri_encode(p, ""), "", "uri_encode: empty string");
    TAP_IS_STR(sd_cookie_uri_encode(p, NULL), NULL, "uri_encode: NULL");

    all.domain = "example.com";
    all.path = "/app";
    all.has_expires = 1;
    all.expires = exp28;
    all.http_only = 1;
    all.secure = 1;
    all.same_site = "Strict";
    s = sd_cookie_header(p, SID, "s:abc.x/y+z", &all);
    TAP_IS_STR(s,
               "connect.sid=s%3Aabc.x%2Fy%2Bz; Domain=example.com; Path=/app; "
               "Expires=Sat, 28 Nov 2026 09:24:59 GMT; HttpOnly; Secure; SameSite=Strict",
               "header: all attributes in express-session's order");
    TAP_OK(s && strstr(s, "Max-Age") == NULL, "header: never Max-Age");
    all.has_expires = 0;
    all.http_only = 0;
    all.domain = NULL;
    all.same_site = "Lax";
    TAP_IS_STR(sd_cookie_header(p, SID, "v", &all),
               "connect.sid=v; Path=/app; Secure; SameSite=Lax",
               "header: unset attributes left out (has_expires=0 ignores expires)");
    {
        /* What Express 5.3's res.clearCookie emits (§5.2 destroy). */
        sd_cookie_attrs clear = { NULL, "/", 1, 0, 0, 0, NULL };
        TAP_IS_STR(sd_cookie_header(p, SID, "", &clear),
                   "connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                   "header: clear-cookie form at the epoch");
    }
    TAP_IS_STR(sd_cookie_header(p, NULL, "v", &bare), NULL, "header: NULL name -> NULL");

    /* A secret keyed once at start-up signs exactly like OpenSSL's one-shot HMAC. */
    {
        const char *secrets[] = { KC, "", "s\xc3\xab" "cret\xe2\x98\x83",
                                  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" };
        for (int i = 0; i < 4; ++i) {
            sd_secret fast = secret_of(p, secrets[i]);
            int prepared = fast.keyed_mac != NULL;
            const char *a = oneshot_sign(p, "Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN", secrets[i]);
            const char *b = sd_cookie_sign(p, "Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN", &fast);
            TAP_OK(prepared && a && b && strcmp(a, b) == 0,
                   "prepared secret %d signs like the one-shot HMAC", i);
        }
        /* Around the 64-byte block, where RFC 2104 switches to hashing the
         * key, and IDs that span more than one SHA-256 block. */
        {
            static const int lens[] = { 1, 63, 64, 65, 128 };
            char key[129], longid[151];
            memset(longid, 'i', sizeof(longid) - 1);
            longid[sizeof(longid) - 1] = '\0';
            for (int i = 0; i < 5; ++i) {
                sd_secret fast;
                memset(key, 'k' + (i & 1), (size_t)lens[i]);
                key[lens[i]] = '\0';
                fast = secret_of(p, key);
                int prepared = fast.keyed_mac != NULL;
                const char *a = oneshot_sign(p, longid, key);
                const char *b = sd_cookie_sign(p, longid, &fast);
                const char *ok = sd_cookie_unsign(p, b, &fast, 1, NULL);
                TAP_OK(prepared && a && b && strcmp(a, b) == 0 && ok && strcmp(ok, longid) == 0,
                       "prepared secret of %d bytes signs a 150-byte ID like the one-shot HMAC",
                       lens[i]);
            }
        }
    }

    apr_pool_destroy(p);
    apr_terminate();
    json_decref(vectors);
    TAP_DONE();
}
