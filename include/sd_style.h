/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The pages' one stylesheet (templates/style.css): checked at start-up and
 * given the CSP source that lets exactly it, inline, and nothing else. */
#ifndef SD_STYLE_H
#define SD_STYLE_H

#include <apr_pools.h>

/* Returns NULL and sets *source to "'sha256-<base64>'", the CSP hash of the
 * `len` bytes of css as the content of a <style> element; or returns why the
 * text cannot be one ("name: ..."): it would end the element early. */
const char *sd_style_check(apr_pool_t *p, const char *name, const char *css,
                           apr_size_t len, const char **source);

#endif
