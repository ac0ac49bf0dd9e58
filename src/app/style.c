/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A hash, not 'unsafe-inline' (injected markup could restyle the page) nor
 * a nonce per response: the stylesheet is fixed at start-up, so is its hash. */
#include "sd_style.h"

#include <apr_cstr.h>
#include <apr_encode.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include <string.h>

/* An HTML parser ends a <style> element at the first "</style", whatever
 * follows; case does not matter. */
static int ends_element(const char *css, apr_size_t len)
{
    static const char closer[] = "</style";
    const apr_size_t n = sizeof(closer) - 1;
    for (apr_size_t i = 0; i + n <= len; ++i) {
        if (css[i] == '<' && apr_cstr_casecmpn(css + i, closer, n) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *sd_style_check(apr_pool_t *p, const char *name, const char *css,
                           apr_size_t len, const char **source)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    /* 32 bytes: 44 base64 characters and the NUL. */
    char b64[48];

    if (memchr(css, '\0', len)) {
        return apr_psprintf(p, "%s: holds a NUL byte", name);
    }
    if (ends_element(css, len)) {
        return apr_psprintf(p, "%s: holds \"</style\", which would end the <style>"
                            " element it is served in", name);
    }
    if (!EVP_Digest(css, len, digest, &dlen, EVP_sha256(), NULL) || dlen != 32) {
        return apr_psprintf(p, "%s: SHA-256 failed", name);
    }
    apr_encode_base64_binary(b64, digest, (apr_ssize_t)dlen, APR_ENCODE_NONE, NULL);
    *source = apr_pstrcat(p, "'sha256-", b64, "'", NULL);
    return NULL;
}
