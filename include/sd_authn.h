/* Login password checks through httpd's authn providers
 * (SessionDemoAuthProvider), as mod_auth_basic and mod_auth_form ask them. */
#ifndef SD_AUTHN_H
#define SD_AUTHN_H

#include <httpd.h>
#include <apr_tables.h>

#include "sd_vhost.h"

/* Looks up the providers named by SessionDemoAuthProvider. *out is NULL
 * when none is named (demo mode). Returns NULL or the error for
 * apache2 -t. */
const char *sd_authn_resolve(apr_pool_t *p, const sd_config *conf,
                             const apr_array_header_t **out);

/* Asks the providers, in order; they read their own per-directory settings
 * (e.g. AuthUserFile) from r. Without providers the demo accepts any
 * non-empty pair, as the tutorial does. Returns OK, HTTP_UNAUTHORIZED or
 * HTTP_INTERNAL_SERVER_ERROR, logged; the password is never logged. */
int sd_authn_check(request_rec *r, const sd_vhost *v, const char *user,
                   const char *password);

#endif
