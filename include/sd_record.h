/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A stored session in express-session's shape: {"cookie":{...}, app
 * fields...}, "cookie" first, dates as JavaScript's Date#toISOString
 * writes them. Pure (no httpd), so it is unit-tested and fuzzed. */
#ifndef SD_RECORD_H
#define SD_RECORD_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

#include "sd_fields.h"

/* Where earlier versions kept the creation time (an ISO date); still read. */
#define SD_RECORD_LEGACY_CREATED_FIELD "sessionCreatedAt"
/* "2026-11-27T10:19:21.903Z" */
#define SD_RECORD_ISO8601_LEN 24
/* The module's own member of a stored session, a plain top-level field an
 * express-session peer keeps untouched, written right after "cookie":
 * {"realm": the realm that wrote it, "gen": the generation, "saved": when it
 * was last written, "created": when it was created (times in ms since the
 * epoch), "ended": true for a tombstone, "login": how the session's login
 * was verified (SD_RECORD_LOGIN_*; "none" for a guest's; absent only in
 * an older version's record)}. */
#define SD_RECORD_META_FIELD "sessiondemo"
/* The values of the module member's "login": a password an authn provider
 * checked; demo mode's (any password); a session express-session's app
 * logged in, adopted (SessionDemoRealmless Adopt) and written by us since;
 * nobody (a guest's record). */
#define SD_RECORD_LOGIN_PASSWORD "password"
#define SD_RECORD_LOGIN_DEMO "demo"
#define SD_RECORD_LOGIN_EXPRESS "express"
#define SD_RECORD_LOGIN_NONE "none"
/* The longest originalMaxAge taken from a stored cookie (400 days). */
#define SD_RECORD_MAX_LIFETIME_MS (400LL * 24 * 3600 * 1000)
/* Year 9999, the last one sd_record_iso8601_format can write. */
#define SD_RECORD_MAX_TIME_MS 253402300799999LL

/* What sd_record_load reads from a value's text, once, so the readers below
 * need no jansson object (building and freeing them cost more than the rest
 * of the load). The readers look here when `set` is, else at the objects. */
typedef struct {
    int set;
    const char *cookie;         /* the "cookie" member's text               */
    apr_size_t cookie_len;
    int cookie_plain;           /* it holds only members the module knows   */
    const char *partitioned, *priority; /* their text, or NULL              */
    apr_size_t partitioned_len, priority_len;
    apr_time_t expires;         /* as sd_record_expires                     */
    int max_age_null;           /* originalMaxAge is null                   */
    int has_max_age;            /* ...is a number, max_age_ms               */
    double max_age_ms;
    const char *realm;          /* the module's member, as its readers      */
    apr_int64_t gen;
    apr_time_t saved, created;  /* 0 when not a time in range               */
    int ended;
    const char *login;          /* the member's "login", or NULL            */
    apr_time_t legacy_created;  /* SD_RECORD_LEGACY_CREATED_FIELD, or 0     */
} sd_record_text;

typedef struct {
    json_t *cookie; /* the "cookie" object; from sd_record_load, NULL until
                       sd_record_cookie_of builds it                       */
    json_t *data;   /* every other top-level member, in stored order; NULL
                       from sd_record_load (its fields hold them)           */
    sd_record_text text;
} sd_record;

/* Decodes a stored value. Fails (NULL *err set) unless it is a JSON object
 * with an object-valued "cookie". Members express-session drops on load
 * (id, req, touch, save, …) are dropped here too. Both objects are tracked. */
int sd_record_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                     sd_record *out, const char **err);

/* Decodes a stored value as sd_record_decode does, into rec (for the
 * readers below) and *fields (the app's fields). A value in sd_json_dump's
 * form (sd_json_scan), which is what the module and express-session write,
 * is read in place: no object is built (rec->text holds what the readers
 * need, rec->cookie and rec->data are NULL) and the fields stay text until
 * asked for. Anything else goes through sd_record_decode (rec->data is then
 * the fields' object). */
int sd_record_load(apr_pool_t *p, const char *buf, apr_size_t len, sd_record *rec,
                   sd_fields **fields, const char **err);

/* rec's "cookie" object, built from its text on first use when read in
 * place (tracked by p); NULL when rec is NULL or out of memory. */
const json_t *sd_record_cookie_of(apr_pool_t *p, sd_record *rec);

/* Encodes {"cookie":cookie, ...data} with "cookie" first. */
char *sd_record_encode(apr_pool_t *p, const json_t *cookie, const json_t *data,
                       apr_size_t *len);

/* ISO 8601 UTC with milliseconds, as JavaScript's Date#toISOString. */
char *sd_record_iso8601_format(apr_pool_t *p, apr_time_t t);
void sd_record_iso8601_write(apr_time_t t, char out[SD_RECORD_ISO8601_LEN + 1]);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (Date.parse accepts it; Express
 * rewrites it canonically). Returns APR_EINVAL for anything else. */
apr_status_t sd_record_iso8601_parse(const char *s, apr_time_t *out);

/* cookie.expires, or 0 when absent (a browser-session cookie) or unreadable. */
apr_time_t sd_record_expires(const sd_record *rec);

/* When the session was created (the module's member, else the legacy
 * field), or 0 when unknown (express-session wrote it). */
apr_time_t sd_record_created(const sd_record *rec);

/* The idle lifetime of the session in µs: cookie.originalMaxAge
 * (express-session's per-session lifetime) but never longer than the
 * configured one, which is also used when it is absent or out of range;
 * 0 when it is null (a browser-session cookie). */
apr_time_t sd_record_lifetime(const sd_record *rec, apr_time_t configured);

/* The realm that wrote the session, or NULL (express-session wrote it). */
const char *sd_record_realm(const sd_record *rec);

/* When the session was last written: the later of the module's record of
 * it and express-session's expires - originalMaxAge (an Express peer slides
 * expires on its writes and keeps our member as it was); 0 when unknown. */
apr_time_t sd_record_saved(const sd_record *rec);

/* The module's member. */
typedef struct {
    const char *realm;
    apr_int64_t gen;        /* each write of the session is one more       */
    apr_time_t saved;
    apr_time_t created;
    int ended;              /* a tombstone: the session was logged out or
                               regenerated; Express reads it as an empty one */
    const char *login;      /* SD_RECORD_LOGIN_*, or NULL: not written     */
} sd_record_meta;

/* Sets the module's member in rec->data (not for a record read in place).
 * Returns 0 when out of memory. */
int sd_record_set_meta(sd_record *rec, const sd_record_meta *meta);

/* How the session's login was verified (the member's "login"), or NULL
 * when the record does not say (nobody logged in, an older version or
 * express-session wrote it). */
const char *sd_record_login(const sd_record *rec);

/* The stored generation (0 for express-session's records) and whether the
 * record is a tombstone. */
apr_int64_t sd_record_generation(const sd_record *rec);
int sd_record_ended(const sd_record *rec);

/* When the session ends under the limits in force now: the earliest of its
 * stored expiry, its last write + max_age and (when absolute is not 0) its
 * creation + absolute, so shortening SessionDemoMaxAge or
 * SessionDemoAbsoluteTimeout applies to every stored session at once.
 * 0 when none of them is known. */
apr_time_t sd_record_deadline(const sd_record *rec, apr_time_t max_age, apr_time_t absolute);

/* The settings a cookie object is written with (the current config's). */
typedef struct {
    apr_time_t lifetime;    /* 0: a browser-session cookie (expires null) */
    apr_time_t expires;
    int secure;
    int http_only;
    const char *domain;     /* NULL: none                                 */
    const char *path;
    const char *same_site;  /* lower case as express-session stores it, or
                               NULL                                       */
} sd_record_cookie_attrs;

/* A new "cookie" object in express-session's member order; members of the
 * stored one (may be NULL) that the module does not set are kept. NULL when
 * out of memory. The caller owns the reference. */
json_t *sd_record_cookie(const json_t *stored, const sd_record_cookie_attrs *attrs);

/* What sd_record_cookie, sd_record_set_meta and sd_record_encode write
 * for these fields with the cookie (from the stored record's, which may be
 * NULL, and attrs) and meta: {"cookie":...,"sessiondemo":meta, fields but
 * "sessiondemo"}, splicing the text of fields read in place and writing
 * the cookie's text directly (fields held in an object get meta set in
 * them, as sd_record_set_meta does). NULL when out of memory or too deep. */
char *sd_record_encode_fields(apr_pool_t *p, sd_record *stored,
                              const sd_record_cookie_attrs *attrs, const sd_record_meta *meta,
                              sd_fields *fields, apr_size_t *len);

/* The store's format (sd_store_format) for stored values, reading only the
 * start of the raw value: > 0 when a is a newer copy of the session than b
 * (a tombstone over any live copy; else a higher generation), < 0 when
 * older, 0 when of one generation; and the seconds a copy has left. */
int sd_record_compare_raw(const char *a, apr_size_t alen, const char *b, apr_size_t blen);
apr_int64_t sd_record_ttl_raw(const char *v, apr_size_t len, apr_time_t now);
/* Of two different copies of one generation: the later save (by the
 * writers' clocks, so of two saves less than the clocks' difference apart
 * either may win), then the greater bytes, so every reader keeps the same. */
int sd_record_tiebreak_raw(const char *a, apr_size_t alen, const char *b, apr_size_t blen);

#endif
