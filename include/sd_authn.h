/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Login password checks through httpd's authn providers
 * (SessionDemoAuthProvider), as mod_auth_basic and mod_auth_form ask them. */
#ifndef SD_AUTHN_H
#define SD_AUTHN_H

#include <httpd.h>

#include "sd_config.h"
#include "sd_result.h"
#include "sd_stats.h"

typedef struct sd_authn sd_authn;

/* The providers of SessionDemoAuthProvider (check_config); *out NULL in
 * demo mode. NULL or the error for apache2 -t. */
const char *sd_authn_create(apr_pool_t *p, const sd_config *conf, sd_authn **out);

/* Asks the providers in order (a NULL a, demo mode: SD_OK). An unknown
 * user costs a bcrypt on a decoy hash, and every answer waits until
 * SessionDemoLoginMinTime has passed, so its timing does not tell which
 * names have accounts (a slower check is logged, SD00427). SD_OK, SD_DENIED
 * or SD_FAILED, logged; the password never is. */
sd_result sd_authn_check(request_rec *r, sd_authn *a, sd_stats *stats, const char *user,
                   const char *password);

#endif
