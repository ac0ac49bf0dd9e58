/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Form decoding. Own code rather than ap_parse_form_data so the same routine
 * serves query strings and bodies and can be fuzzed without a request_rec. */
#include "sd_form.h"

#include <apr_encode.h>
#include <apr_strings.h>

/* The byte two hex digits at s stand for, or -1. */
static int hex_byte(const char *s)
{
    unsigned char b;
    return apr_decode_base16_binary(&b, s, 2, APR_ENCODE_NONE, NULL) == APR_SUCCESS ? b : -1;
}

static char *decode_component(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1);
    apr_size_t o = 0;
    for (apr_size_t i = 0; i < n; ++i) {
        char c = s[i];
        int b;
        if (c == '+') {
            c = ' ';
        }
        else if (c == '%' && i + 2 < n && (b = hex_byte(s + i + 1)) >= 0) {
            c = (char)b;
            i += 2;
        }
        if (c == '\0') {
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

apr_status_t sd_form_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           apr_table_t **out)
{
    apr_table_t *t = apr_table_make(p, 4);
    apr_size_t pos = 0;

    while (pos < len) {
        apr_size_t end = pos, eq;
        char *key, *value;
        while (end < len && buf[end] != '&') {
            ++end;
        }
        eq = pos;
        while (eq < end && buf[eq] != '=') {
            ++eq;
        }
        if (end > pos) {
            key = decode_component(p, buf + pos, eq - pos);
            value = (eq < end) ? decode_component(p, buf + eq + 1, end - eq - 1)
                               : apr_pstrdup(p, "");
            if (!key || !value) {
                return APR_EINVAL;
            }
            if (*key) {
                apr_table_addn(t, key, value);
            }
        }
        pos = end + 1;
    }
    *out = t;
    return APR_SUCCESS;
}
