/* JSON codec for stored sessions and JSON responses, on jansson.
 * jansson allocates with malloc; every json_t handed out here is tied to an
 * APR pool (decref on pool cleanup) so request code never frees by hand. */
#ifndef SD_JSON_H
#define SD_JSON_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

/* Ties v to p: one json_decref when p is cleared. Returns v (NULL-safe). */
json_t *sd_json_track(apr_pool_t *p, json_t *v);

/* Parses exactly len bytes; NULL on error with *err (from p) saying why. */
json_t *sd_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                      const char **err);

/* Compact JSON (JSON.stringify style: no spaces, raw UTF-8, insertion
 * order) into one pool buffer. NULL only if v cannot be encoded. */
char *sd_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len);

/* A stored session as express-session writes it: {"cookie":{…}, app fields…}. */
typedef struct {
    json_t *cookie; /* the "cookie" object                                */
    json_t *data;   /* every other top-level member, in stored order       */
} sd_json_record;

/* Decodes a stored value. Fails (NULL *err set) unless it is a JSON object
 * with an object-valued "cookie". Members express-session drops on load
 * (id, req, touch, save, …) are dropped here too. Both objects are tracked. */
int sd_json_record_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                          sd_json_record *out, const char **err);

/* Encodes {"cookie":cookie, ...data} with "cookie" first. */
char *sd_json_record_encode(apr_pool_t *p, const json_t *cookie,
                            const json_t *data, apr_size_t *len);

/* ISO 8601 UTC with milliseconds, as JavaScript's Date#toISOString:
 * "2026-11-27T10:19:21.903Z". */
char *sd_iso8601_format(apr_pool_t *p, apr_time_t t);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (Date.parse accepts it; Express
 * rewrites it canonically). Returns APR_EINVAL for anything else. */
apr_status_t sd_iso8601_parse(const char *s, apr_time_t *out);

#endif
