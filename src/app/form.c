/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Form decoding. Own code rather than ap_parse_form_data so the same routine
 * serves query strings and bodies and can be fuzzed without a request_rec. */
#include "sd_form.h"

#include <apr_escape.h>
#include <apr_strings.h>

/* Decoded in a NUL-terminated copy, so no escape reaches past the field;
 * a NUL, raw or as %00 (the decoded text is then shorter than counted),
 * is refused. */
static char *decode_component(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_pstrmemdup(p, s, n);
    apr_size_t len;

    if (memchr(s, '\0', n)) {
        return NULL;
    }
    apr_unescape_url(out, out, APR_ESCAPE_STRING, NULL, NULL, 1, &len);
    return strlen(out) == len - 1 ? out : NULL;
}

apr_status_t sd_form_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           apr_table_t **out)
{
    apr_table_t *t = apr_table_make(p, 4);
    apr_size_t pos = 0;

    while (pos < len) {
        const char *amp = memchr(buf + pos, '&', len - pos);
        apr_size_t end = amp ? (apr_size_t)(amp - buf) : len;
        const char *sep = memchr(buf + pos, '=', end - pos);
        apr_size_t eq = sep ? (apr_size_t)(sep - buf) : end;
        char *key, *value;
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
