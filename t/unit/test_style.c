/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the stylesheet check (src/style.c): the CSP hash browsers
 * compute over a <style> element's text, and the texts refused because a
 * browser would end the element inside them. Hashes from Python's hashlib. */
#include "sd_style.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

static const char *source_of(apr_pool_t *p, const char *css, apr_size_t len)
{
    const char *source = "(unset)";
    const char *err = sd_style_check(p, "style.css", css, len, &source);
    return err ? err : source;
}

int main(void)
{
    apr_pool_t *p;
    static const char red[] = "body { color: red; }\n";

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(8);

    TAP_IS_STR(source_of(p, "", 0), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
               "the empty stylesheet's hash");
    TAP_IS_STR(source_of(p, red, sizeof(red) - 1),
               "'sha256-l2fpHp1LAzTlmh04npgBvGosXEpVAKPCx5FWh5ZbLBY='",
               "a stylesheet's hash covers every byte, the final newline too");
    TAP_IS_STR(source_of(p, red, sizeof(red) - 2),
               "'sha256-XeYlw2NVzOfB1UCIJqCyGr+0n7bA4fFslFpvKu84IAw='",
               "... so a byte less is another hash");
    TAP_IS_STR(source_of(p, "a{}</style><script>x()</script>", 31),
               "style.css: holds \"</style\", which would end the <style> element it is served in",
               "</style inside the text is refused");
    TAP_IS_STR(source_of(p, "/* </STYLE */", 13),
               "style.css: holds \"</style\", which would end the <style> element it is served in",
               "... in any case, comments included");
    TAP_IS_STR(source_of(p, "a{}</styl", 9), "'sha256-+bgzVWhdrqdKEOQP0H46WlQsZcPaQGz/6VG2u6bmS/I='",
               "a prefix of </style at the very end is fine");
    TAP_IS_STR(source_of(p, "a{}\0b{}", 7), "style.css: holds a NUL byte", "a NUL byte is refused");
    TAP_IS_STR(source_of(p, "p>a{}", 5), "'sha256-SwrzC+ngy59mO+rz1eA2rg33tFduTd5Vw7i2Sc1FA+s='",
               "a child combinator is plain CSS");

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
