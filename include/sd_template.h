/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Template engine: a small Handlebars subset, compiled once at start-up.
 *   {{a.b}}                      value at path a.b of the view model, HTML-escaped
 *   {{#if a.b}}..{{else}}..{{/if}}  truthiness test, nests freely
 *   {{#each a.b}}..{{else}}..{{/each}}  the body once per element of an array,
 *                                with the element as its view; else when empty
 *   {{! comment }}               dropped at compile time
 * The view model is a jansson object; the engine never touches the session. */
#ifndef SD_TEMPLATE_H
#define SD_TEMPLATE_H

#include <apr_pools.h>
#include <jansson.h>

typedef struct sd_template sd_template;

/* Compiles `len` bytes of `src`. On failure returns NULL and sets *err to a
 * message of the form "<name>:<line>: <what is wrong>" allocated from p. */
sd_template *sd_template_compile(apr_pool_t *p, const char *name,
                                 const char *src, apr_size_t len,
                                 const char **err);

/* Reads and compiles a file; errors as above (I/O errors name the path). */
sd_template *sd_template_load(apr_pool_t *p, const char *path,
                              const char **err);

/* Renders into one buffer allocated from p (NUL-terminated; *len excludes
 * the NUL). Missing paths render as empty. Never fails. */
char *sd_template_render(apr_pool_t *p, const sd_template *t,
                         const json_t *view, apr_size_t *len);

/* HTML-escapes & < > " ' ` = (the Handlebars set). */
char *sd_template_html_escape(apr_pool_t *p, const char *s, apr_size_t len);

#endif
