/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Bounded parsers for directive values (pure: unit tested and fuzzed). Each
 * returns NULL, or what is wrong for the caller to prefix with the
 * directive's name; *out is written only on success. */
#ifndef SD_CFG_PARSE_H
#define SD_CFG_PARSE_H

#include <apr_pools.h>
#include <apr_network_io.h>

/* A whole number in [min, max]; `unit` ("seconds", "bytes", …) is only used
 * in messages. */
const char *sd_cfg_parse_int(apr_pool_t *p, const char *arg, apr_int64_t min,
                             apr_int64_t max, const char *unit, apr_int64_t *out);

/* On|Off, case-insensitive. */
const char *sd_cfg_parse_flag(apr_pool_t *p, const char *arg, int *out);

/* One of the NULL-terminated choices, case-insensitive; *out is its index. */
const char *sd_cfg_parse_choice(apr_pool_t *p, const char *arg,
                                const char *const *choices, int *out);

/* host[:port] or [ipv6][:port]; port 1-65535, default_port when absent. */
const char *sd_cfg_parse_host_port(apr_pool_t *p, const char *arg,
                                   apr_port_t default_port, const char **host,
                                   apr_port_t *port);

/* RFC 6265 token. */
const char *sd_cfg_parse_cookie_name(apr_pool_t *p, const char *arg);

/* A cookie's Path ('/' first, printable, no ';', ',' or space) and Domain
 * (letters, digits, '-' and '.'). */
const char *sd_cfg_parse_cookie_path(apr_pool_t *p, const char *arg);
const char *sd_cfg_parse_cookie_domain(apr_pool_t *p, const char *arg);

/* memcached key prefix: at most max_len bytes, no space or control. */
const char *sd_cfg_parse_key_prefix(apr_pool_t *p, const char *arg,
                                    apr_size_t max_len);

/* An origin as browsers send it: http:// or https://, a host, an optional
 * port, and no path. */
const char *sd_cfg_parse_origin(apr_pool_t *p, const char *arg);

/* A realm name: 1 to 128 printable ASCII characters. */
const char *sd_cfg_parse_realm(apr_pool_t *p, const char *arg);

/* SessionDemoLoginURL: a path of this server ("/login"), never another
 * host's. */
const char *sd_cfg_parse_login_url(apr_pool_t *p, const char *arg);

/* A mount (the path of a <Location> with SetHandler sessiondemo, its last
 * '/' dropped): "/" or a URL path without a trailing '/', '%'-escapes
 * or dot segments (none of them could ever match a request). */
const char *sd_cfg_parse_mount(apr_pool_t *p, const char *arg);

/* SessionDemoPassUser: an HTTP header name (a token). */
const char *sd_cfg_parse_header_name(apr_pool_t *p, const char *arg);

#endif
