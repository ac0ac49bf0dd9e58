/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Fuzz target: application/x-www-form-urlencoded decoding (sd_form_parse),
 * used for POST bodies and query strings.
 *
 * Checks, for every input the parser accepts:
 *  - no more pairs than '&'-separated pieces, no empty key;
 *  - each key and value is no longer than its raw text;
 *  - re-encoding the table (every byte but [A-Za-z0-9*-._] as %XX, space
 *    as '+') and parsing that again gives the same pairs in the same order;
 *  - parsing is deterministic (a second parse of the input agrees).
 * It must refuse an input exactly when it holds a NUL, raw or as %00. */
#include "fuzz_common.h"

#include <ctype.h>

#include "sd_form.h"

#include <apr_strings.h>
#include <apr_tables.h>

static char *encode_component(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s);
    char *out = apr_palloc(p, n * 3 + 1), *o = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; ++c) {
        if (*c == ' ') {
            *o++ = '+';
        }
        else if (isalnum(*c) || strchr("*-._", *c)) {
            *o++ = (char)*c;
        }
        else {
            o += sprintf(o, "%%%02X", *c);
        }
    }
    *o = '\0';
    return out;
}

static void same_tables(const apr_table_t *a, const apr_table_t *b,
                        const char *what)
{
    const apr_array_header_t *ha = apr_table_elts(a), *hb = apr_table_elts(b);
    const apr_table_entry_t *ea = (const apr_table_entry_t *)ha->elts;
    const apr_table_entry_t *eb = (const apr_table_entry_t *)hb->elts;
    SD_CHECK(ha->nelts == hb->nelts, "%s: %d pairs vs %d", what, ha->nelts,
             hb->nelts);
    for (int i = 0; i < ha->nelts; ++i) {
        SD_CHECK(strcmp(ea[i].key, eb[i].key) == 0
                 && strcmp(ea[i].val, eb[i].val) == 0,
                 "%s: pair %d '%s'='%s' vs '%s'='%s'", what, i, ea[i].key,
                 ea[i].val, eb[i].key, eb[i].val);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = sd_fuzz_pool();
    /* Exactly size bytes, no terminator: the parser is length-bounded and
     * must not look past the end (a query string is NUL-terminated, a body
     * buffer is not). */
    char *buf = malloc(size ? size : 1);
    apr_table_t *t = NULL, *t2 = NULL;
    apr_status_t rv;

    if (!buf) {
        abort();
    }
    if (size) {
        memcpy(buf, data, size);
    }
    int has_nul = memchr(buf, '\0', size) != NULL;
    for (size_t i = 0; !has_nul && i + 2 < size; ++i) {
        has_nul = buf[i] == '%' && buf[i + 1] == '0' && buf[i + 2] == '0';
    }
    rv = sd_form_parse(p, buf, size, &t);
    SD_CHECK(rv == APR_SUCCESS || rv == APR_EINVAL, "status %d", rv);
    SD_CHECK((rv == APR_EINVAL) == has_nul, "%s an input %s a NUL",
             rv ? "refused" : "accepted", has_nul ? "with" : "without");
    if (rv == APR_SUCCESS) {
        const apr_array_header_t *h = apr_table_elts(t);
        const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
        size_t pieces = 1, longest = 0, cur = 0;
        for (size_t i = 0; i < size; ++i) {
            if (buf[i] == '&') {
                ++pieces;
                cur = 0;
            }
            else if (++cur > longest) {
                longest = cur;
            }
        }
        SD_CHECK((size_t)h->nelts <= pieces, "%d pairs from %zu pieces",
                 h->nelts, pieces);

        char *re = "";
        for (int i = 0; i < h->nelts; ++i) {
            SD_CHECK(e[i].key && e[i].key[0], "empty key at %d", i);
            SD_CHECK(e[i].val, "NULL value at %d", i);
            SD_CHECK(strlen(e[i].key) + strlen(e[i].val) <= longest,
                     "pair %d longer than any raw piece", i);
            re = apr_pstrcat(p, re, i ? "&" : "", encode_component(p, e[i].key),
                             "=", encode_component(p, e[i].val), NULL);
        }
        rv = sd_form_parse(p, re, strlen(re), &t2);
        SD_CHECK(rv == APR_SUCCESS, "re-encoded form '%s' refused", re);
        same_tables(t, t2, "re-encoded");

        rv = sd_form_parse(p, buf, size, &t2);
        SD_CHECK(rv == APR_SUCCESS, "second parse refused");
        same_tables(t, t2, "second parse");
    }

    free(buf);
    sd_fuzz_pool_done(p);
    return 0;
}
