/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Template engine: a small Handlebars subset over a jansson view model,
 * compiled once at start-up:
 *   {{a.b}}                              value at path a.b, HTML-escaped
 *   {{#if a.b}}..{{else}}..{{/if}}       truthiness test, nests freely
 *   {{#each a.b}}..{{else}}..{{/each}}   the body once per element of an
 *                                        array, as its view; else when empty
 *   {{! comment }}                       dropped
 *   {{> name}}                           a partial, inserted verbatim */
#ifndef SD_TEMPLATE_H
#define SD_TEMPLATE_H

#include <apr_pools.h>
#include <jansson.h>

typedef struct sd_template sd_template;

/* Text that {{> name}} stands for; a list of them ends with a NULL name.
 * Trusted start-up text: it is neither escaped nor parsed for tags. */
typedef struct {
    const char *name;
    const char *text;
    apr_size_t len;
} sd_template_partial;

/* Compiles `len` bytes of `src` with partials (NULL: {{> x}} is an error),
 * keeping its own copies. NULL on failure, with *err (if err is not NULL)
 * set to "<name>:<line>: <what is wrong>". */
sd_template *sd_template_compile(apr_pool_t *p, const char *name,
                                 const char *src, apr_size_t len,
                                 const sd_template_partial *partials,
                                 const char **err);

/* A regular file of at most 1 MiB, NUL-terminated; NULL with *err naming
 * the path. */
char *sd_template_read(apr_pool_t *p, const char *path, apr_size_t *len,
                       const char **err);

/* sd_template_read, then sd_template_compile. */
sd_template *sd_template_load(apr_pool_t *p, const char *path,
                              const sd_template_partial *partials,
                              const char **err);

/* NUL-terminated, *len (if not NULL) without the NUL. Missing paths render
 * as empty. Never fails. */
char *sd_template_render(apr_pool_t *p, const sd_template *t,
                         const json_t *view, apr_size_t *len);

/* HTML-escapes & < > " ' ` = (the Handlebars set). */
char *sd_template_html_escape(apr_pool_t *p, const char *s, apr_size_t len);

#endif
