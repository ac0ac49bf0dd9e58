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

/* Looks up the providers named by SessionDemoAuthProvider (in the parent,
 * at check_config). *out is NULL when none is named (demo mode). Returns
 * NULL or the error for apache2 -t. */
const char *sd_authn_create(apr_pool_t *p, const sd_config *conf, sd_authn **out);

/* Asks the providers, in order; they read their own per-directory settings
 * (e.g. AuthUserFile) from r. Without providers (a NULL a) the demo accepts
 * any non-empty pair, as the tutorial does. When no provider knows the
 * user, a bcrypt check of the password is made on a decoy hash. Every
 * answer (known user or not, right password or not) waits until
 * SessionDemoLoginMinTime has passed since the check began, so its timing
 * does not tell which names have accounts; a check that takes longer
 * answers when it ends and is logged (SD00427, once per child). stats
 * (NULL: none) counts failed logins. Returns SD_OK, SD_DENIED or
 * SD_FAILED, logged; the password is never logged. */
sd_result sd_authn_check(request_rec *r, sd_authn *a, sd_stats *stats, const char *user,
                   const char *password);

#endif
