/* A stored session in express-session's shape: {"cookie":{...}, app
 * fields...}, "cookie" first, dates as JavaScript's Date#toISOString
 * writes them. Pure (no httpd), so it is unit-tested and fuzzed. */
#ifndef SD_RECORD_H
#define SD_RECORD_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

/* Where the module keeps the creation time for SessionDemoAbsoluteTimeout:
 * a plain top-level field, so an express-session peer keeps it untouched. */
#define SD_RECORD_CREATED_FIELD "sessionCreatedAt"
/* "2026-11-27T10:19:21.903Z" */
#define SD_RECORD_ISO8601_LEN 24
/* The longest originalMaxAge taken from a stored cookie (400 days). */
#define SD_RECORD_MAX_LIFETIME_MS (400LL * 24 * 3600 * 1000)

typedef struct {
    json_t *cookie; /* the "cookie" object                                */
    json_t *data;   /* every other top-level member, in stored order       */
} sd_record;

/* Decodes a stored value. Fails (NULL *err set) unless it is a JSON object
 * with an object-valued "cookie". Members express-session drops on load
 * (id, req, touch, save, …) are dropped here too. Both objects are tracked. */
int sd_record_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                     sd_record *out, const char **err);

/* Encodes {"cookie":cookie, ...data} with "cookie" first. */
char *sd_record_encode(apr_pool_t *p, const json_t *cookie, const json_t *data,
                       apr_size_t *len);

/* ISO 8601 UTC with milliseconds, as JavaScript's Date#toISOString. */
char *sd_record_iso8601_format(apr_pool_t *p, apr_time_t t);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (Date.parse accepts it; Express
 * rewrites it canonically). Returns APR_EINVAL for anything else. */
apr_status_t sd_record_iso8601_parse(const char *s, apr_time_t *out);

/* cookie.expires, or 0 when absent (a browser-session cookie) or unreadable. */
apr_time_t sd_record_expires(const sd_record *rec);

/* The SD_RECORD_CREATED_FIELD time, or 0. */
apr_time_t sd_record_created(const sd_record *rec);

/* cookie.originalMaxAge in µs (express-session's per-session lifetime):
 * 0 when it is null (a browser-session cookie), fallback when absent or
 * out of range. */
apr_time_t sd_record_lifetime(const sd_record *rec, apr_time_t fallback);

/* Whether stored value a is a newer copy of the session than b: its
 * cookie.expires, which moves forward on every save, is later. Reads only
 * the start of the raw values, without decoding them. */
int sd_record_is_newer(const char *a, apr_size_t alen, const char *b, apr_size_t blen);

#endif
