/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Stand-ins for the few httpd functions the request-side units call, so
 * they can be unit-tested without a server: logging prints a TAP comment. */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include <stdarg.h>
#include <stdio.h>

module AP_MODULE_DECLARE_DATA sessiondemo_module = { STANDARD20_MODULE_STUFF, NULL, NULL,
                                                     NULL, NULL, NULL, NULL, 0 };

AP_DECLARE(void) ap_log_rerror_(const char *file, int line, int module_index, int level,
                                apr_status_t status, const request_rec *r,
                                const char *fmt, ...)
{
    va_list ap;
    (void)file; (void)line; (void)module_index; (void)status; (void)r;
    printf("# log %d: ", level & APLOG_LEVELMASK);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}
