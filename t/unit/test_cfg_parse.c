/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the directive value parsers. */
#include "sd_cfg_parse.h"
#include "tap.h"

#include <apr_general.h>

int main(void)
{
    apr_pool_t *p;
    apr_int64_t n = -1;
    int i = -1;
    const char *host = NULL;
    apr_port_t port = 0;
    static const char *const same_site[] = { "Strict", "Lax", "None", "Off", NULL };

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(47);

    TAP_OK(!sd_cfg_parse_int(p, "86400", 1, 100000, "seconds", &n) && n == 86400, "plain number");
    TAP_IS_STR(sd_cfg_parse_int(p, "12abc", 1, 100, "seconds", &n), "'12abc' is not a number of seconds", "trailing junk");
    TAP_IS_STR(sd_cfg_parse_int(p, "", 1, 100, "seconds", &n), "'' is not a number of seconds", "empty");
    TAP_IS_STR(sd_cfg_parse_int(p, " 5", 1, 100, "seconds", &n), "' 5' is not a number of seconds", "leading space");
    TAP_IS_STR(sd_cfg_parse_int(p, "0", 1, 100, "seconds", &n), "0 is out of range (1 to 100 seconds)", "below range");
    TAP_IS_STR(sd_cfg_parse_int(p, "101", 1, 100, "seconds", &n), "101 is out of range (1 to 100 seconds)", "above range");
    TAP_OK(sd_cfg_parse_int(p, "99999999999999999999", 1, 100, "bytes", &n) != NULL, "overflow refused");
    TAP_OK(sd_cfg_parse_int(p, NULL, 1, 100, "bytes", &n) != NULL, "NULL refused");

    TAP_OK(!sd_cfg_parse_flag(p, "on", &i) && i == 1, "on");
    TAP_OK(!sd_cfg_parse_flag(p, "OFF", &i) && i == 0, "OFF");
    TAP_IS_STR(sd_cfg_parse_flag(p, "yes", &i), "'yes' must be Off or On", "yes refused");
    TAP_OK(!sd_cfg_parse_choice(p, "lax", same_site, &i) && i == 1, "choice, case-insensitive");
    TAP_IS_STR(sd_cfg_parse_choice(p, "strictest", same_site, &i),
               "'strictest' must be Strict, Lax, None or Off", "choice lists the options");

    TAP_OK(!sd_cfg_parse_host_port(p, "127.0.0.1:11211", 1, &host, &port)
           && strcmp(host, "127.0.0.1") == 0 && port == 11211, "ipv4:port");
    TAP_OK(!sd_cfg_parse_host_port(p, "cache.example.org", 11211, &host, &port)
           && strcmp(host, "cache.example.org") == 0 && port == 11211, "host without port: default");
    TAP_OK(!sd_cfg_parse_host_port(p, "[::1]:11300", 1, &host, &port)
           && strcmp(host, "::1") == 0 && port == 11300, "[ipv6]:port");
    TAP_OK(!sd_cfg_parse_host_port(p, "[::1]", 11211, &host, &port) && port == 11211, "[ipv6] without port");
    TAP_OK(sd_cfg_parse_host_port(p, "127.0.0.1:notaport", 1, &host, &port) != NULL, "non-numeric port");
    TAP_OK(sd_cfg_parse_host_port(p, "127.0.0.1:0", 1, &host, &port) != NULL, "port 0");
    TAP_OK(sd_cfg_parse_host_port(p, "127.0.0.1:65536", 1, &host, &port) != NULL, "port 65536");
    TAP_OK(sd_cfg_parse_host_port(p, "127.0.0.1:", 1, &host, &port) != NULL, "empty port");
    TAP_OK(sd_cfg_parse_host_port(p, "::1", 1, &host, &port) != NULL, "bare IPv6 needs brackets");
    TAP_OK(sd_cfg_parse_host_port(p, "", 1, &host, &port) != NULL, "empty");
    TAP_OK(sd_cfg_parse_host_port(p, "ho st:1", 1, &host, &port) != NULL, "space in host");
    TAP_OK(sd_cfg_parse_host_port(p, "[::1]x", 1, &host, &port) != NULL, "junk after ]");
    /* Regression (fuzz_cfg): brackets hold only an IPv6 literal. */
    TAP_OK(sd_cfg_parse_host_port(p, "[0]", 11211, &host, &port) != NULL, "[0] is not IPv6");
    TAP_OK(sd_cfg_parse_host_port(p, "[beef]:1", 1, &host, &port) != NULL, "[beef] is not IPv6");
    TAP_OK(!sd_cfg_parse_host_port(p, "[::ffff:127.0.0.1]:11211", 1, &host, &port)
           && strcmp(host, "::ffff:127.0.0.1") == 0 && port == 11211, "[v4-mapped v6]:port");

    TAP_OK(!sd_cfg_parse_cookie_name(p, "connect.sid"), "cookie name ok");
    TAP_OK(sd_cfg_parse_cookie_name(p, "bad name") != NULL, "space in cookie name");
    TAP_OK(sd_cfg_parse_cookie_name(p, "a=b") != NULL, "= in cookie name");
    TAP_OK(!sd_cfg_parse_cookie_path(p, "/app"), "path ok");
    TAP_OK(sd_cfg_parse_cookie_path(p, "app") != NULL, "relative path refused");
    TAP_OK(sd_cfg_parse_cookie_path(p, "/a;b") != NULL, "; in path refused");
    TAP_OK(!sd_cfg_parse_cookie_domain(p, "example.org") && sd_cfg_parse_cookie_domain(p, "exa mple") != NULL,
           "domain checks");
    TAP_OK(!sd_cfg_parse_key_prefix(p, "", 48) && !sd_cfg_parse_key_prefix(p, "sess:", 48), "prefixes ok, empty allowed");
    TAP_OK(sd_cfg_parse_key_prefix(p, "a b", 48) != NULL && sd_cfg_parse_key_prefix(p, "0123456789", 5) != NULL,
           "prefix with space or too long refused");
    TAP_OK(sd_cfg_parse_key_prefix(p, "s{x", 48) != NULL && sd_cfg_parse_key_prefix(p, "s}", 48) != NULL,
           "prefix with a hash tag's brace refused");

    TAP_OK(!sd_cfg_parse_realm(p, "shop") && !sd_cfg_parse_realm(p, "localhost:8443"),
           "realm names");
    TAP_OK(sd_cfg_parse_realm(p, "") && sd_cfg_parse_realm(p, "tab\there")
           && sd_cfg_parse_realm(p, "caf\xc3\xa9"), "empty, control and non-ASCII realms refused");
    {
        char longer[130];
        memset(longer, 'r', sizeof(longer) - 1);
        longer[sizeof(longer) - 1] = '\0';
        TAP_OK(sd_cfg_parse_realm(p, longer) != NULL, "a realm over 128 characters is refused");
    }
    TAP_OK(!sd_cfg_parse_origin(p, "https://app.example.org") && !sd_cfg_parse_origin(p, "http://h:8080"),
           "origins");
    TAP_OK(sd_cfg_parse_origin(p, "app.example.org") && sd_cfg_parse_origin(p, "https://a/b"),
           "an origin needs a scheme and no path");

    TAP_OK(!sd_cfg_parse_mount(p, "/") && !sd_cfg_parse_mount(p, "/sessiondemo")
           && !sd_cfg_parse_mount(p, "/apps/demo-1") && !sd_cfg_parse_mount(p, "/~ann/.well"),
           "mounts: the root and paths below it");
    TAP_IS_STR(sd_cfg_parse_mount(p, "/sessiondemo/"),
               "'/sessiondemo/' ends with '/': write it without, as in the <Location> it names",
               "a mount with a trailing slash is refused, saying why");
    TAP_OK(sd_cfg_parse_mount(p, "") && sd_cfg_parse_mount(p, "app") && sd_cfg_parse_mount(p, "//")
           && sd_cfg_parse_mount(p, "/a b") && sd_cfg_parse_mount(p, "/a%20b")
           && sd_cfg_parse_mount(p, "/a?x") && sd_cfg_parse_mount(p, "/a#x")
           && sd_cfg_parse_mount(p, "/caf\xc3\xa9"),
           "empty, relative, spaces, escapes, queries, fragments and non-ASCII are refused");
    TAP_OK(sd_cfg_parse_mount(p, "/a//b") && sd_cfg_parse_mount(p, "/a/./b")
           && sd_cfg_parse_mount(p, "/a/..") && sd_cfg_parse_mount(p, "/.."),
           "empty and dot segments are refused");
    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
