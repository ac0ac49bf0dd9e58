/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
#include "fake_request.h"

#include <http_log.h>

static struct ap_logconf quiet = { NULL, APLOG_WARNING };

request_rec *fake_request(apr_pool_t *parent, const char *cookie)
{
    apr_pool_t *p;
    request_rec *r;
    apr_pool_create(&p, parent);
    r = apr_pcalloc(p, sizeof(*r));
    r->pool = p;
    r->log = &quiet;
    r->headers_in = apr_table_make(p, 4);
    r->err_headers_out = apr_table_make(p, 4);
    r->notes = apr_table_make(p, 2);
    if (cookie) {
        apr_table_setn(r->headers_in, "Cookie", cookie);
    }
    return r;
}
