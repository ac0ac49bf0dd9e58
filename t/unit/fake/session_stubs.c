/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* What session.c takes from units and httpd functions that the session
 * unit tests do not bring in: plain http, SameSite Lax, httpd's string
 * helpers. */
#include <httpd.h>
#include <apr_strings.h>
#include <ctype.h>

#include "sd_config.h"
#include "sd_http.h"

int sd_http_is_secure(request_rec *r, const sd_config *conf)
{
    (void)r; (void)conf;
    return 0;
}

/* The fake requests are never subrequests or internal redirects. */
request_rec *sd_http_initial_request(request_rec *r)
{
    return r;
}

const char *sd_config_same_site_name(const sd_config *conf)
{
    (void)conf;
    return "Lax";
}

AP_DECLARE(char *) ap_escape_logitem(apr_pool_t *p, const char *str)
{
    return apr_pstrdup(p, str ? str : "");
}

AP_DECLARE(void) ap_str_tolower(char *s)
{
    for (; *s; ++s) {
        *s = (char)tolower((unsigned char)*s);
    }
}
