/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* application/x-www-form-urlencoded bodies and query strings. Pure. */
#ifndef SD_FORM_H
#define SD_FORM_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Decodes len bytes into a new table, in order (the first of a key wins on
 * lookup); an invalid escape stays literal, as in Node's querystring.
 * APR_EINVAL if a name or value holds a NUL byte. */
apr_status_t sd_form_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           apr_table_t **out);

#endif
