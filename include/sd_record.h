/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A stored session in express-session's shape: {"cookie":{...},
 * "sessiondemo":{...}, app fields...}, dates as Date#toISOString writes
 * them. Pure (no httpd). */
#ifndef SD_RECORD_H
#define SD_RECORD_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

#include "sd_store.h"

/* "2026-11-27T10:19:21.903Z" */
#define SD_RECORD_ISO8601_LEN 24
/* The member's "login": an authn provider checked a password; demo mode;
 * express-session's app, adopted (SessionDemoRealmless Adopt); a guest. */
#define SD_RECORD_LOGIN_PASSWORD "password"
#define SD_RECORD_LOGIN_DEMO "demo"
#define SD_RECORD_LOGIN_EXPRESS "express"
#define SD_RECORD_LOGIN_NONE "none"
/* A tombstone, and a copy of it a repair or replay writes, outlives its
 * session's end by a day of a split view. */
#define SD_RECORD_TOMBSTONE_EXTRA 86400

/* The stored value as an object (tracked by p; p NULL: the caller's
 * reference, and no *err), without the members express-session drops on
 * load (id, req, save, ...). NULL (*err set) unless it is a JSON object
 * with an object-valued "cookie". */
json_t *sd_record_decode(apr_pool_t *p, const char *buf, apr_size_t len, const char **err);

/* ISO 8601 UTC with milliseconds, as JavaScript's Date#toISOString. */
char *sd_record_iso8601_format(apr_pool_t *p, apr_time_t t);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (Date.parse accepts it; Express
 * rewrites it canonically). Returns APR_EINVAL for anything else. */
apr_status_t sd_record_iso8601_parse(const char *s, apr_time_t *out);

/* cookie.expires, or 0 when absent (a browser-session cookie) or unreadable. */
apr_time_t sd_record_expires(const json_t *rec);

/* The idle lifetime in µs: cookie.originalMaxAge, but never longer than
 * `configured`, which also stands for one absent or out of range; 0 when
 * it is null (a browser-session cookie). */
apr_time_t sd_record_lifetime(const json_t *rec, apr_time_t configured);

/* When the session was last written: the later of the member's "saved"
 * and expires - originalMaxAge (an Express peer slides expires and keeps
 * our member as it was); 0 when unknown. */
apr_time_t sd_record_saved(const json_t *rec);

/* The module's member, written right after "cookie" (times in ms since
 * the epoch): {realm, gen, saved, created[, ended][, login]}. */
typedef struct {
    const char *realm;      /* NULL: express-session wrote the session     */
    apr_int64_t gen;        /* each write of the session is one more       */
    apr_time_t saved;
    apr_time_t created;
    int ended;              /* a tombstone (logged out or regenerated)     */
    const char *login;      /* SD_RECORD_LOGIN_*, or NULL: not written     */
} sd_record_meta;

/* rec's member, read once: what is absent or unreadable is 0 or NULL (no
 * login: nobody logged in, an older version or express-session wrote it);
 * created falls back to the legacy field. */
sd_record_meta sd_record_meta_read(const json_t *rec);

/* When the session ends under today's limits: the earliest of its stored
 * expiry, its last write + max_age and (absolute not 0) its creation +
 * absolute; 0 when none is known. */
apr_time_t sd_record_deadline(const json_t *rec, apr_time_t max_age, apr_time_t absolute);

/* The settings a cookie object is written with (the current config's). */
typedef struct {
    apr_time_t lifetime;    /* 0: a browser-session cookie (expires null) */
    apr_time_t expires;
    int secure;
    int http_only;
    const char *domain;     /* NULL: none                                 */
    const char *path;
    const char *same_site;  /* lower case as express-session stores it, or NULL */
} sd_record_cookie_attrs;

/* The stored value of rec, its cookie from attrs (keeping the members the
 * module does not set) and its member from meta; NULL attrs or meta keep
 * rec's own. NULL when out of memory, a string is not UTF-8 or the value
 * is nested too deep. */
char *sd_record_encode(apr_pool_t *p, const json_t *rec, const sd_record_cookie_attrs *attrs,
                       const sd_record_meta *meta, apr_size_t *len);

/* Whether a and b hold the same members but "cookie" (the app's fields
 * and the module's member). */
int sd_record_same_fields(const json_t *a, const json_t *b);

/* The store's format (sd_store_format) for stored values: an undecodable
 * one, or one without our member, has generation 0. */
void sd_record_read_header(const char *v, apr_size_t len, apr_time_t now, sd_store_header *h);

#endif
