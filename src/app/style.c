/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A hash, not 'unsafe-inline' (injected markup could restyle the page) nor
 * a nonce per response: the stylesheet is fixed at start-up, so is its hash. */
#include "sd_style.h"

#include <apr_encode.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include <string.h>

const char *sd_style_check(apr_pool_t *p, const char *name, const char *css,
                           apr_size_t len, const char **source)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    const char *text = apr_pstrmemdup(p, css, len);

    if (strlen(text) != len) {
        return apr_psprintf(p, "%s: holds a NUL byte", name);
    }
    /* An HTML parser ends a <style> element at the first "</style", whatever
     * follows; case does not matter. */
    if (strcasestr(text, "</style")) {
        return apr_psprintf(p, "%s: holds \"</style\", which would end the <style>"
                            " element it is served in", name);
    }
    if (!EVP_Digest(css, len, digest, &dlen, EVP_sha256(), NULL) || dlen != 32) {
        return apr_psprintf(p, "%s: SHA-256 failed", name);
    }
    *source = apr_pstrcat(p, "'sha256-",
                          apr_pencode_base64_binary(p, digest, dlen, APR_ENCODE_NONE, NULL), "'",
                          NULL);
    return NULL;
}
