/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Every rule here mirrors express-session 1.19 (cookie-signature 1.0.7,
 * jshttp/cookie 0.7.2), so this module and a Node app share one cookie.
 * Nothing here logs: a bad cookie is an ordinary guest. */
#include "sd_cookie.h"

#include <string.h>

#include <apr_encode.h>
#include <apr_strings.h>
#include <jansson.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* The ID ends up in a memcached key (prefix + ID, at most 250 bytes), so a
 * longer one could never have been stored by either side anyway. */
#define SD_MAX_ID_LEN 200

#define SD_SID_BYTES 24                 /* random bytes per ID (192 bits) */
#define SD_SIG_B64_BUF (SD_SIG_LEN + 2) /* 43 characters, one '=', the NUL */

apr_status_t sd_cookie_new_id(char out[SD_SID_LEN + 1])
{
    unsigned char raw[SD_SID_BYTES];
    apr_size_t len = 0;
    /* No fallback on failure: a guessable session ID is worse than an error. */
    int ok = RAND_bytes(raw, sizeof(raw)) == 1
             && apr_encode_base64_binary(out, raw, (apr_ssize_t)sizeof(raw),
                                         APR_ENCODE_BASE64URL, &len) == APR_SUCCESS
             && len == SD_SID_LEN;

    OPENSSL_cleanse(raw, sizeof(raw));
    if (!ok) {
        out[0] = '\0';
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static int compute_sig(const char *id, apr_size_t idlen,
                       const sd_secret *secret, char sig[SD_SIG_B64_BUF])
{
    unsigned char mac[SD_MAC_LEN];
    apr_size_t len = 0;
    int ok = secret && sd_mac_compute(secret->keyed_mac, id, idlen, mac);

    /* cookie-signature strips the padding of standard base64 (with '+' and
     * '/'), which a 32-byte MAC always has exactly one of. Stripped here, not
     * with APR_ENCODE_NOPADDING: APR 1.7.2 then also switches to the URL
     * alphabet (it tests the flags against APR_ENCODE_BASE64URL). */
    ok = ok && apr_encode_base64_binary(sig, mac, SD_MAC_LEN, APR_ENCODE_NONE, &len)
                   == APR_SUCCESS
         && len == SD_SIG_LEN + 1 && sig[SD_SIG_LEN] == '=';
    sig[SD_SIG_LEN] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

char *sd_cookie_sign(apr_pool_t *p, const char *id, const sd_secret *secret)
{
    char sig[SD_SIG_B64_BUF];

    if (id == NULL || !compute_sig(id, strlen(id), secret, sig)) {
        return NULL;
    }
    return apr_pstrcat(p, "s:", id, ".", sig, NULL);
}

/* Printable ASCII only: the ID becomes part of a memcached text-protocol key,
 * where a space or control character would split or corrupt the command. */
static int id_is_acceptable(const char *id, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len && i < SD_MAX_ID_LEN
           && (unsigned char)id[i] > 0x20 && (unsigned char)id[i] < 0x7f) ++i;
    return len != 0 && i == len;
}

const char *sd_cookie_unsign(apr_pool_t *p, const char *value,
                             const sd_secret *secrets, int nsecrets,
                             int *matched)
{
    const char *body, *dot;
    apr_size_t idlen;

    if (matched != NULL) {
        *matched = -1;
    }
    if (value == NULL || secrets == NULL || value[0] != 's' || value[1] != ':') {
        return NULL;
    }
    body = value + 2;
    /* The last dot, because a custom genid may put dots in the ID. */
    dot = strrchr(body, '.');
    idlen = dot ? (apr_size_t)(dot - body) : 0;
    /* Public structure only: leaving early leaks nothing of the signature. */
    if (!dot || !id_is_acceptable(body, idlen) || strlen(dot + 1) != SD_SIG_LEN) {
        return NULL;
    }
    /* The canonical text, not a decoding of the received one: a decoder
     * would accept variants Node rejects. Stopping at the first secret that
     * verifies tells by its time only which secret signed, which the
     * re-issued cookie shows anyway. */
    for (int i = 0; i < nsecrets; ++i) {
        char sig[SD_SIG_B64_BUF];
        if (compute_sig(body, idlen, &secrets[i], sig)
            && CRYPTO_memcmp(sig, dot + 1, SD_SIG_LEN) == 0) {
            if (matched != NULL) {
                *matched = i;
            }
            return apr_pstrmemdup(p, body, idlen);
        }
    }
    return NULL;
}

/* jansson's check: shortest-form UTF-8 of Unicode scalar values. */
static int is_utf8(const char *s, apr_size_t n)
{
    json_t *j = json_stringn(s, n);
    json_decref(j);
    return j != NULL;
}

/* decodeURIComponent over bytes: NULL where JavaScript would throw (a bad
 * escape, or a run of escapes that is not UTF-8: a character is escaped
 * whole) and for an escaped NUL; other bytes are copied, as Node does with
 * latin1. */
static char *uri_decode(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1);
    apr_size_t o = 0, i = 0;

    while (i < n) {
        apr_size_t run = o;
        int high = 0;

        if (s[i] != '%') {
            out[o++] = s[i++];
            continue;
        }
        for (; i < n && s[i] == '%'; i += 3) {
            unsigned char c;
            if (n - i < 3
                || apr_decode_base16_binary(&c, s + i + 1, 2, APR_ENCODE_NONE, NULL) != APR_SUCCESS
                || c == 0) {
                return NULL;
            }
            high |= c >= 0x80;
            out[o++] = (char)c;
        }
        if (high && !is_utf8(out + run, o - run)) {
            return NULL;
        }
    }
    out[o] = '\0';
    return out;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* [s, e) with white space; eq the '=' (or e when there is none). */
typedef struct {
    apr_size_t s, e, eq;
} pair_span;

/* The one tokenizer for the reader and the stripper, so what one sees as a
 * pair the other does too. A pair ends at ';' or at ", " (how httpd joins
 * several Cookie lines) outside a quoted value: RFC 6265 values never hold
 * ", ", and text inside another pair's value is never taken for a pair.
 * Returns 0 once past the end. */
static int next_pair(const char *h, apr_size_t len, apr_size_t *pos, pair_span *out)
{
    apr_size_t i = *pos;

    if (i > len) {
        return 0;
    }
    out->s = i;
    out->eq = len + 1;
    for (; i < len && h[i] != ';'; ++i) {
        if (h[i] == ',' && i + 1 < len && is_ows(h[i + 1])) {
            break;
        }
        if (h[i] == '=' && out->eq > len) {
            apr_size_t v = i + 1;
            out->eq = i;
            while (v < len && is_ows(h[v])) ++v;
            if (v < len && h[v] == '"') {
                const char *semi = memchr(h + v + 1, ';', len - v - 1);
                apr_size_t lim = semi ? (apr_size_t)(semi - h) : len;
                const char *close = memchr(h + v + 1, '"', lim - v - 1);
                if (close) {
                    i = (apr_size_t)(close - h);
                }
            }
        }
    }
    out->e = i;
    if (out->eq > len) {
        out->eq = i;
    }
    *pos = i + 1;
    return 1;
}

static int pair_is(const char *h, const pair_span *sp, const char *name, apr_size_t namelen)
{
    apr_size_t ks = sp->s, ke = sp->eq;

    if (sp->eq >= sp->e) {
        /* A pair without '=' is not a cookie; jshttp skips it. */
        return 0;
    }
    while (ks < ke && is_ows(h[ks])) ++ks;
    while (ke > ks && is_ows(h[ke - 1])) --ke;
    return ke - ks == namelen && memcmp(h + ks, name, namelen) == 0;
}

int sd_cookie_find_all(apr_pool_t *p, const char *header, const char *name,
                       apr_array_header_t *out)
{
    apr_size_t len = header ? strlen(header) : 0, namelen = name ? strlen(name) : 0, pos = 0;
    pair_span sp;
    int n = 0;

    /* jshttp/cookie: a header shorter than "a=" holds nothing. */
    while (name && len >= 2 && pos < len && next_pair(header, len, &pos, &sp)) {
        apr_size_t vs = sp.eq + 1, ve = sp.e;
        const char *raw, *dec;

        if (!pair_is(header, &sp, name, namelen)) {
            continue;
        }
        while (vs < ve && is_ows(header[vs])) ++vs;
        while (ve > vs && is_ows(header[ve - 1])) --ve;
        if (ve > vs && header[vs] == '"' && header[ve - 1] == '"') {
            /* jshttp strips one pair; a lone '"' is both ends of that
             * pair and yields the empty string. */
            ++vs;
            ve = ve > vs ? ve - 1 : vs;
        }
        raw = apr_pstrmemdup(p, header + vs, ve - vs);
        dec = memchr(raw, '%', ve - vs) ? uri_decode(p, raw, ve - vs) : NULL;
        /* An occurrence that does not decode is kept raw. */
        APR_ARRAY_PUSH(out, const char *) = dec ? dec : raw;
        ++n;
    }
    return n;
}

const char *sd_cookie_strip_any(apr_pool_t *p, const char *header,
                                const apr_array_header_t *names, const char **removed)
{
    apr_size_t len, pos = 0, o = 0, ro = 0;
    char *out, *gone;
    int kept = 0, gap = 0;
    char sep = ';';
    pair_span sp;

    if (removed) {
        *removed = NULL;
    }
    if (header == NULL || names == NULL) {
        return header;
    }
    len = strlen(header);
    out = apr_palloc(p, len + 1);
    gone = apr_palloc(p, 2 * len + 1); /* "; " may stand for one byte */
    while (next_pair(header, len, &pos, &sp)) {
        int ours = 0;
        for (int i = 0; i < names->nelts && !ours; ++i) {
            const char *name = APR_ARRAY_IDX(names, i, const char *);
            ours = pair_is(header, &sp, name, strlen(name));
        }
        if (ours) {
            apr_size_t s = sp.s, e = sp.e;
            while (s < e && is_ows(header[s])) ++s;
            while (e > s && is_ows(header[e - 1])) --e;
            if (ro) {
                gone[ro++] = ';';
                gone[ro++] = ' ';
            }
            memcpy(gone + ro, header + s, e - s);
            ro += e - s;
            gap = 1;
            continue;
        }
        if (strspn(header + sp.s, " \t") >= sp.e - sp.s) {
            /* Nothing but the white space around separators: dropped
             * once something is removed, never left as a lone ';'. */
            gap = 1;
            continue;
        }
        if (kept) {
            /* Between two pairs that stood apart, ';': it ends any quote
             * a value opened, so no pair runs into its neighbour. */
            out[o++] = gap ? ';' : sep;
        }
        memcpy(out + o, header + sp.s, sp.e - sp.s);
        o += sp.e - sp.s;
        sep = sp.e < len ? header[sp.e] : ';';
        kept = 1;
        gap = 0;
    }
    if (!ro) {
        return header;
    }
    out[o] = '\0';
    gone[ro] = '\0';
    /* What framed only a removed first or last pair goes with it. */
    while (o && is_ows(out[o - 1])) out[--o] = '\0';
    while (*out && is_ows(*out)) ++out;
    if (removed) {
        *removed = gone;
    }
    return out;
}

/* Spelled out rather than apr_isalnum, so no locale widens the set. */
#define URI_KEEPS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"

char *sd_cookie_uri_encode(apr_pool_t *p, const char *s)
{
    apr_size_t n = s ? strlen(s) : 0, o = 0;
    char *out;

    if (s == NULL || n > (APR_SIZE_MAX - 1) / 3) {
        return NULL;
    }
    out = apr_palloc(p, n * 3 + 1);
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (strchr(URI_KEEPS, c)) {   /* never the NUL: i < strlen(s) */
            out[o++] = (char)c;
        }
        else {
            /* Upper-case base16, as encodeURIComponent writes it; the NUL
             * it adds is overwritten by the next byte or the end. */
            out[o++] = '%';
            apr_encode_base16_binary(out + o, &c, 1, APR_ENCODE_NONE, NULL);
            o += 2;
        }
    }
    out[o] = '\0';
    return out;
}

char *sd_cookie_header(apr_pool_t *p, const char *name, const char *value,
                       const sd_cookie_attrs *attrs)
{
    char date[APR_RFC822_DATE_LEN];
    /* Only a time outside the calendar fails here; leaving Expires out then
     * degrades to a browser-session cookie instead of a malformed header. */
    int with_date = attrs->has_expires && apr_rfc822_date(date, attrs->expires) == APR_SUCCESS;
    const char *enc = name ? sd_cookie_uri_encode(p, value ? value : "") : NULL;

    if (enc == NULL) {
        return NULL;
    }
    /* express-session's order; it never sends Max-Age, only Expires. */
    return apr_pstrcat(p, name, "=", enc,
                       attrs->domain ? "; Domain=" : "",
                       attrs->domain ? attrs->domain : "",
                       attrs->path ? "; Path=" : "",
                       attrs->path ? attrs->path : "",
                       with_date ? "; Expires=" : "",
                       with_date ? date : "",
                       attrs->http_only ? "; HttpOnly" : "",
                       attrs->secure ? "; Secure" : "",
                       attrs->same_site ? "; SameSite=" : "",
                       attrs->same_site ? attrs->same_site : "",
                       NULL);
}
