/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* application/x-www-form-urlencoded decoding (request bodies and query
 * strings), kept pure so it can be unit-tested and fuzzed. */
#ifndef SD_FORM_H
#define SD_FORM_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Decodes len bytes into a new table (keys and values '+'→space and
 * %XX-decoded; the first occurrence of a key wins on lookup, as every pair
 * is added in order). An invalid escape is kept literally, as Node's
 * querystring does. Returns APR_EINVAL if a name or value decodes to a NUL
 * byte, which no legitimate form field contains. */
apr_status_t sd_form_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           apr_table_t **out);

#endif
