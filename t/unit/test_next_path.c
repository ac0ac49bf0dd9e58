/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the login page's `next` check: same-origin paths pass
 * as they are; every way to name another host, or to smuggle one past a
 * second decoding, is refused. */
#include "sd_next_path.h"
#include "tap.h"

#include <apr_general.h>

int main(void)
{
    apr_pool_t *p;
    static const char *const good[] = {
        "/", "/docs", "/docs/a.html", "/a?b=c&d=%2F", "/%7Euser/", "/a#frag", "/a/./b", "/a:b",
    };
    static const char *const bad[] = {
        "", "docs", "//evil.example", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
        "http://evil.example/", "https:evil.example", "javascript:alert(1)", " /docs",
        "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/docs\x7f", "/a b",
        "%2F%2Fevil.example", "/%2Fevil.example",
        "/%5Cevil.example", "/%09/evil.example", "/%0d%0aSet-Cookie:x=1", "/a\\b", "/%00",
        "///evil.example", "/\xef\xbc\x8f" "evil.example", "/\xff",
    };
    char longest[SD_NEXT_PATH_MAX + 2];

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN((int)(sizeof(good) / sizeof(*good) + sizeof(bad) / sizeof(*bad)) + 5);

    for (size_t i = 0; i < sizeof(good) / sizeof(*good); ++i) {
        const char *got = sd_next_path_check(p, good[i]);
        TAP_OK(got && strcmp(got, good[i]) == 0, "accepted as it is: %s", good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
        TAP_OK(sd_next_path_check(p, bad[i]) == NULL, "refused: case %zu", i);
    }
    TAP_OK(sd_next_path_check(p, NULL) == NULL, "refused: NULL");
    memset(longest, 'a', sizeof(longest));
    longest[0] = '/';
    longest[SD_NEXT_PATH_MAX] = '\0';
    TAP_OK(sd_next_path_check(p, longest) != NULL, "a path of %d bytes is accepted", SD_NEXT_PATH_MAX);
    longest[SD_NEXT_PATH_MAX] = 'a';
    longest[SD_NEXT_PATH_MAX + 1] = '\0';
    TAP_OK(sd_next_path_check(p, longest) == NULL, "one byte longer is refused");
    TAP_IS_STR(sd_next_path_login_url(p, "/login", "/docs/a b?x=1&y=/"),
               "/login?next=/docs/a%20b%3Fx%3D1%26y%3D/", "the login URL carries the path, encoded");
    TAP_IS_STR(sd_next_path_login_url(p, "/login?from=gate", "/d"), "/login?from=gate&next=/d",
               "a login URL with a query gets &next=");

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
