/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Fuzz target: directive value parsers (every function of sd_cfg_parse.h).
 *
 * The first input byte picks the parser (and its bounds), the rest is the
 * directive argument as httpd hands it over (a C string). For each parser,
 * an accepted value must really have the promised shape, and a refused one
 * must come with a message; accepted values are re-checked through a second
 * route where one exists:
 *  - int: the text is [+-]?digits and the value in range; a plain digit
 *    string of a number in range is accepted;
 *  - flag / choice: the argument equals a choice ignoring case, *out is its
 *    index;
 *  - host:port: host is non-empty and of the allowed characters, port in
 *    1..65535 (or the default), and "host:port" / "[v6]:port" built from the
 *    result parses to the same host and port;
 *  - cookie name: an RFC 6265 token, and a Cookie header using it finds the
 *    cookie again (sd_cookie_find_all);
 *  - path / domain / key prefix: only the allowed bytes, within length. */
#include "fuzz_common.h"

#include "sd_cfg_parse.h"
#include "sd_cookie.h"

#include <apr_strings.h>
#include <errno.h>
#include <strings.h>

static const char *const same_site[] = { "Strict", "Lax", "None", "Off", NULL };
static const char *const secure[] = { "On", "Off", "Auto", NULL };
static const char *const none[] = { NULL };

static void check_int(apr_pool_t *p, const char *arg, apr_int64_t min,
                      apr_int64_t max)
{
    apr_int64_t v = 12345;
    const char *err = sd_cfg_parse_int(p, arg, min, max, "seconds", &v);
    size_t len = strlen(arg);
    size_t digits_from = (arg[0] == '+' || arg[0] == '-') ? 1 : 0;
    int all_digits = len > digits_from
                     && strspn(arg + digits_from, "0123456789") == len - digits_from;

    if (err) {
        SD_CHECK(*err, "empty message");
        SD_CHECK(strstr(err, "seconds") != NULL, "message without the unit: %s", err);
        SD_CHECK(v == 12345, "*out written on failure");
        if (digits_from == 0 && all_digits && len <= 18) {
            long long ref = strtoll(arg, NULL, 10);
            SD_CHECK(ref < min || ref > max, "'%s' refused: %s", arg, err);
        }
        return;
    }
    SD_CHECK(all_digits, "accepted '%s', which is not a number", arg);
    SD_CHECK(v >= min && v <= max, "'%s' gave %" APR_INT64_T_FMT
             " outside [%" APR_INT64_T_FMT ", %" APR_INT64_T_FMT "]", arg, v,
             min, max);
    errno = 0;
    SD_CHECK(strtoll(arg, NULL, 10) == v && errno == 0, "'%s' gave %"
             APR_INT64_T_FMT, arg, v);
}

static void check_choice(apr_pool_t *p, const char *arg,
                         const char *const *choices, int flag)
{
    int out = -7;
    const char *err = flag ? sd_cfg_parse_flag(p, arg, &out)
                           : sd_cfg_parse_choice(p, arg, choices, &out);
    if (flag) {
        static const char *const on_off[] = { "Off", "On", NULL };
        choices = on_off;
    }
    if (err) {
        SD_CHECK(*err && out == -7, "bad failure for '%s'", arg);
        for (int i = 0; choices[i]; ++i) {
            SD_CHECK(strcasecmp(arg, choices[i]) != 0, "'%s' refused: %s", arg, err);
        }
        return;
    }
    SD_CHECK(out >= 0, "index %d", out);
    for (int i = 0; i < out; ++i) {
        SD_CHECK(choices[i], "index %d past the list", out);
    }
    SD_CHECK(choices[out] && strcasecmp(arg, choices[out]) == 0,
             "'%s' gave index %d", arg, out);
}

static void check_host_port(apr_pool_t *p, const char *arg, apr_port_t def)
{
    const char *host = NULL, *host2 = NULL;
    apr_port_t port = 0, port2 = 0;
    const char *err = sd_cfg_parse_host_port(p, arg, def, &host, &port);
    if (err) {
        SD_CHECK(*err, "empty message");
        return;
    }
    SD_CHECK(host && *host, "accepted '%s' with an empty host", arg);
    SD_CHECK(port >= 1, "port 0 from '%s'", arg);
    int v6 = strchr(host, ':') != NULL;
    SD_CHECK(strspn(host, v6 ? "0123456789abcdefABCDEF:."
                             : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                               "VWXYZ0123456789.-_") == strlen(host),
             "host '%s' from '%s'", host, arg);
    SD_CHECK(v6 == (arg[0] == '['), "'%s' gave host '%s'", arg, host);
    if (!strchr(arg + (v6 ? strlen(host) + 2 : 0), ':')) {
        SD_CHECK(port == def, "no port in '%s' but got %u", arg, port);
    }
    const char *again = apr_psprintf(p, v6 ? "[%s]:%u" : "%s:%u", host,
                                     (unsigned)port);
    err = sd_cfg_parse_host_port(p, again, 1, &host2, &port2);
    SD_CHECK(!err && strcmp(host, host2) == 0 && port == port2,
             "'%s' -> '%s' did not parse the same: %s", arg, again,
             err ? err : "different result");
}

/* The first cookie called `name` (sd_cookie_find_all), or NULL. */
static const char *find1(apr_pool_t *p, const char *header, const char *name)
{
    apr_array_header_t *all = apr_array_make(p, 1, sizeof(const char *));
    return sd_cookie_find_all(p, header, name, all) ? APR_ARRAY_IDX(all, 0, const char *) : NULL;
}

static void check_cookie_name(apr_pool_t *p, const char *arg)
{
    const char *err = sd_cfg_parse_cookie_name(p, arg);
    if (err) {
        SD_CHECK(*err, "empty message");
        return;
    }
    SD_CHECK(*arg, "empty name accepted");
    for (const unsigned char *c = (const unsigned char *)arg; *c; ++c) {
        SD_CHECK(*c > 0x20 && *c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", *c),
                 "non-token byte 0x%02x in '%s'", *c, arg);
    }
    const char *hdr = apr_pstrcat(p, "x=1; ", arg, "=v4lue; y=2", NULL);
    const char *found = find1(p, hdr, arg);
    const char *want = strcmp(arg, "x") == 0 ? "1" : "v4lue"; /* first wins */
    SD_CHECK(found && strcmp(found, want) == 0,
             "cookie name '%s' not found in '%s' (got '%s')", arg, hdr,
             found ? found : "(null)");
}

static void check_attr(apr_pool_t *p, const char *arg, int which)
{
    const char *err = which ? sd_cfg_parse_cookie_domain(p, arg)
                            : sd_cfg_parse_cookie_path(p, arg);
    if (err) {
        SD_CHECK(*err, "empty message");
        return;
    }
    SD_CHECK(*arg, "empty value accepted");
    if (!which) {
        SD_CHECK(arg[0] == '/', "path '%s' without a leading '/'", arg);
    }
    for (const unsigned char *c = (const unsigned char *)arg; *c; ++c) {
        SD_CHECK(*c > 0x20 && *c < 0x7f && *c != ';' && *c != ',',
                 "byte 0x%02x in '%s'", *c, arg);
        if (which) {
            SD_CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789.-", *c), "byte '%c' in domain '%s'", *c, arg);
        }
    }
}

static void check_key_prefix(apr_pool_t *p, const char *arg, apr_size_t max)
{
    const char *err = sd_cfg_parse_key_prefix(p, arg, max);
    if (err) {
        SD_CHECK(*err, "empty message");
        return;
    }
    SD_CHECK(strlen(arg) <= max, "prefix of %zu bytes > %zu", strlen(arg),
             (size_t)max);
    /* prefix + a generated ID must be a valid memcached key */
    SD_CHECK(strlen(arg) + SD_SID_LEN <= 250 || max + SD_SID_LEN > 250,
             "key too long");
    for (const unsigned char *c = (const unsigned char *)arg; *c; ++c) {
        SD_CHECK(*c > 0x20 && *c < 0x7f, "byte 0x%02x in prefix", *c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    apr_pool_t *p = sd_fuzz_pool();
    char *arg = sd_fuzz_cstr(data + 1, size - 1);

    switch (data[0] % 12) {
    case 0: check_int(p, arg, 1, 400LL * 86400); break;      /* MaxAge */
    case 1: check_int(p, arg, APR_INT64_MIN, APR_INT64_MAX); break;
    case 2: check_int(p, arg, -5, 5); break;
    case 3: check_choice(p, arg, NULL, 1); break;             /* On|Off */
    case 4: check_choice(p, arg, same_site, 0); break;
    case 5: check_choice(p, arg, (data[0] & 0x80) ? none : secure, 0); break;
    case 6: check_host_port(p, arg, 11211); break;
    case 7: check_host_port(p, arg, 1); break;
    case 8: check_cookie_name(p, arg); break;
    case 9: check_attr(p, arg, 0); break;                    /* CookiePath */
    case 10: check_attr(p, arg, 1); break;                   /* CookieDomain */
    case 11: check_key_prefix(p, arg, (data[0] & 0x80) ? 218 : 48); break;
    }

    free(arg);
    sd_fuzz_pool_done(p);
    return 0;
}
