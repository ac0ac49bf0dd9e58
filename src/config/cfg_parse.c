/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Directive value parsers: strict, bounded, with messages an admin can act
 * on. apr_strtoi64 and apr_parse_addr_port alone accept too much ("12abc",
 * "host:junk"), hence the extra checks. */
#include "sd_cfg_parse.h"

#include <apr_strings.h>
#include <apr_lib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <string.h>

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* The first byte of s below lo, past '~' or in `except`, or NULL. */
static const char *bad_byte(const char *s, unsigned char lo, const char *except)
{
    for (; *s; ++s) {
        if ((unsigned char)*s < lo || (unsigned char)*s > 0x7e || strchr(except, *s)) {
            return s;
        }
    }
    return NULL;
}

const char *sd_cfg_parse_int(apr_pool_t *p, const char *arg, apr_int64_t min,
                             apr_int64_t max, const char *unit, apr_int64_t *out)
{
    char *end = NULL;
    apr_int64_t v;

    /* apr_strtoi64 skips leading space; end stays NULL when not called. */
    errno = 0;
    v = arg && *arg && !apr_isspace(*arg) ? apr_strtoi64(arg, &end, 10) : 0;
    if (!end || errno || end == arg || *end) {
        return apr_psprintf(p, "'%s' is not a number of %s", arg ? arg : "", unit);
    }
    if (v < min || v > max) {
        return apr_psprintf(p, "%s is out of range (%" APR_INT64_T_FMT " to %"
                            APR_INT64_T_FMT " %s)", arg, min, max, unit);
    }
    *out = v;
    return NULL;
}

const char *sd_cfg_parse_flag(apr_pool_t *p, const char *arg, int *out)
{
    static const char *const on_off[] = { "Off", "On", NULL };
    return sd_cfg_parse_choice(p, arg, on_off, out);
}

const char *sd_cfg_parse_choice(apr_pool_t *p, const char *arg,
                                const char *const *choices, int *out)
{
    const char *list = NULL;
    for (int i = 0; choices[i]; ++i) {
        if (arg && strcasecmp(arg, choices[i]) == 0) {
            *out = i;
            return NULL;
        }
        list = list ? apr_pstrcat(p, list, choices[i + 1] ? ", " : " or ",
                                  choices[i], NULL)
                    : choices[i];
    }
    return apr_psprintf(p, "'%s' must be %s", arg ? arg : "", list ? list : "(nothing)");
}

const char *sd_cfg_parse_host_port(apr_pool_t *p, const char *arg,
                                   apr_port_t default_port, const char **host,
                                   apr_port_t *port)
{
    const char *port_text = NULL;
    struct in6_addr v6;
    char *name;
    apr_int64_t n;

    if (!arg || !*arg) {
        return "an empty address is not a host:port";
    }
    if (*arg == '[') {
        const char *close = strchr(arg, ']');
        /* The brackets are for IPv6 literals only: "[0]" or "[beef]" would
         * otherwise pass as host names (found by fuzz/fuzz_cfg.c). */
        name = close ? apr_pstrmemdup(p, arg + 1, (apr_size_t)(close - arg - 1)) : NULL;
        if (!name || (close[1] && close[1] != ':') || inet_pton(AF_INET6, name, &v6) != 1) {
            return apr_psprintf(p, "'%s' is not a valid [IPv6]:port", arg);
        }
        port_text = close[1] ? close + 2 : NULL;
    }
    else {
        const char *colon = strchr(arg, ':');
        if (colon && strchr(colon + 1, ':')) {
            return apr_psprintf(p, "'%s' is not a valid host:port (write IPv6"
                                " addresses as [::1]:11211)", arg);
        }
        name = apr_pstrmemdup(p, arg, colon ? (apr_size_t)(colon - arg) : strlen(arg));
        port_text = colon ? colon + 1 : NULL;
        if (!*name || strspn(name, ALNUM ".-_") != strlen(name)) {
            return apr_psprintf(p, "'%s' is not a valid host:port (e.g."
                                " 127.0.0.1:11211)", arg);
        }
    }
    /* Digits only: apr_strtoi64 would take a sign. */
    if (port_text && (strspn(port_text, "0123456789") != strlen(port_text)
                      || sd_cfg_parse_int(p, port_text, 1, 65535, "", &n))) {
        return apr_psprintf(p, "'%s' has an invalid port (1 to 65535)", arg);
    }
    *port = port_text ? (apr_port_t)n : default_port;
    *host = name;
    return NULL;
}

const char *sd_cfg_parse_cookie_name(apr_pool_t *p, const char *arg)
{
    if (!arg || !*arg) {
        return "a cookie name must not be empty";
    }
    return bad_byte(arg, 0x21, "()<>@,;:\\\"/[]?={}")
           ? apr_psprintf(p, "'%s' is not a valid cookie name (letters,"
                          " digits and !#$%%&'*+-.^_`|~ only)", arg) : NULL;
}

const char *sd_cfg_parse_cookie_path(apr_pool_t *p, const char *arg)
{
    if (!arg || *arg != '/') {
        return apr_psprintf(p, "'%s' must start with '/'", arg ? arg : "");
    }
    return bad_byte(arg, 0x21, ";,")
           ? apr_psprintf(p, "'%s' is not a valid cookie path (printable"
                          " characters, no ';', ',' or spaces)", arg) : NULL;
}

const char *sd_cfg_parse_cookie_domain(apr_pool_t *p, const char *arg)
{
    if (!arg || !*arg || (*arg == '.' && !arg[1])) {
        return apr_psprintf(p, "'%s' is not a domain", arg ? arg : "");
    }
    if (strspn(arg, ALNUM ".-") != strlen(arg)) {
        return apr_psprintf(p, "'%s' is not a valid cookie domain (letters,"
                            " digits, '-' and '.')", arg);
    }
    return NULL;
}

const char *sd_cfg_parse_key_prefix(apr_pool_t *p, const char *arg,
                                    apr_size_t max_len)
{
    const char *bad;

    if (strlen(arg) > max_len) {
        return apr_psprintf(p, "'%s' is too long (at most %" APR_SIZE_T_FMT
                            " bytes, so that prefix + session ID fits"
                            " memcached's 250-byte key limit)", arg, max_len);
    }
    if ((bad = bad_byte(arg, 0x21, "{}")) == NULL) {
        return NULL;
    }
    /* A lock key is "{<record key>}...": the braces are its hash tag. */
    return *bad == '{' || *bad == '}'
           ? apr_psprintf(p, "'%s' contains '{' or '}', which mark the hash tag"
                          " of lock keys (docs/cluster.md)", arg)
           : apr_psprintf(p, "'%s' contains a space or control character,"
                          " which memcached keys cannot hold", arg);
}

const char *sd_cfg_parse_origin(apr_pool_t *p, const char *arg)
{
    const char *rest = strncmp(arg, "http://", 7) == 0    ? arg + 7
                       : strncmp(arg, "https://", 8) == 0 ? arg + 8
                                                          : NULL;
    if (!rest) {
        return apr_psprintf(p, "'%s' must be an origin such as"
                            " https://app.example.org", arg);
    }
    if (strchr(rest, '/')) {
        return apr_psprintf(p, "'%s' must be an origin without a path"
                            " (scheme://host[:port])", arg);
    }
    return NULL;
}

#define SD_CFG_REALM_MAX 128

const char *sd_cfg_parse_realm(apr_pool_t *p, const char *arg)
{
    if (!*arg || strlen(arg) > SD_CFG_REALM_MAX) {
        return apr_psprintf(p, "'%s' is not a realm name (1 to %d characters)", arg,
                            SD_CFG_REALM_MAX);
    }
    return bad_byte(arg, 0x20, "")
           ? apr_psprintf(p, "'%s' is not a realm name (printable ASCII only)", arg) : NULL;
}

const char *sd_cfg_parse_login_url(apr_pool_t *p, const char *arg)
{
    if (!arg || arg[0] != '/' || arg[1] == '/' || arg[1] == '\\'
        || strspn(arg, ALNUM "/-._~%!$&'()*+,;=:@?") != strlen(arg)) {
        return apr_psprintf(p, "'%s' is not a path of this server (e.g. /login)",
                            arg ? arg : "");
    }
    return NULL;
}

/* r->uri, which the mount is compared with, is already %-decoded, so a
 * %-escape here could never match; '?' and '#' end a path; httpd merges
 * "//" and resolves dot segments before <Location> matching, so a mount
 * holding them would never match either. */
const char *sd_cfg_parse_mount(apr_pool_t *p, const char *arg)
{
    static const char pchar[] = ALNUM "/-._~!$&'()*+,;=:@";
    apr_size_t len = arg ? strlen(arg) : 0;

    if (!len || arg[0] != '/' || strspn(arg, pchar) != len) {
        return apr_psprintf(p, "'%s' is not a URL path (e.g. /sessiondemo; letters, digits,"
                            " '/' and -._~!$&'()*+,;=:@, no %%-escapes)", arg ? arg : "");
    }
    if (len > 1 && arg[len - 1] == '/') {
        return apr_psprintf(p, "'%s' ends with '/': write it without, as in the"
                            " <Location> it names", arg);
    }
    for (const char *seg = arg; seg; seg = strchr(seg + 1, '/')) {
        apr_size_t n = strcspn(seg + 1, "/");
        if ((n == 0 && len > 1) || (n == 1 && seg[1] == '.') || (n == 2 && seg[1] == '.' && seg[2] == '.')) {
            return apr_psprintf(p, "'%s' has an empty, '.' or '..' segment", arg);
        }
    }
    return NULL;
}

const char *sd_cfg_parse_header_name(apr_pool_t *p, const char *arg)
{
    if (!arg || !*arg
        || strspn(arg, ALNUM "!#$%&'*+-.^_`|~") != strlen(arg)) {
        return apr_psprintf(p, "'%s' is not a header name (letters, digits and"
                            " !#$%%&'*+-.^_`|~)", arg ? arg : "");
    }
    return NULL;
}
