/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Template engine: a small Handlebars subset, compiled once at start-up.
 *   {{a.b}}                      value at path a.b of the view model, HTML-escaped
 *   {{#if a.b}}..{{else}}..{{/if}}  truthiness test, nests freely
 *   {{#each a.b}}..{{else}}..{{/each}}  the body once per element of an array,
 *                                with the element as its view; else when empty
 *   {{! comment }}               dropped at compile time
 *   {{> name}}                   a partial the caller supplies, inserted
 *                                verbatim at compile time (the stylesheet)
 * The view model is a jansson object; the engine never touches the session. */
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

/* Compiles `len` bytes of `src` with partials (NULL: none, {{> x}} is an
 * error); the template keeps its own copy of what it uses of them. On
 * failure returns NULL and sets *err (if not NULL) to a message of the form
 * "<name>:<line>: <what is wrong>" allocated from p. */
sd_template *sd_template_compile(apr_pool_t *p, const char *name,
                                 const char *src, apr_size_t len,
                                 const sd_template_partial *partials,
                                 const char **err);

/* Reads a template directory's file (a regular file of at most 1 MiB) into
 * one NUL-terminated buffer from p; NULL with *err naming the path. */
char *sd_template_read(apr_pool_t *p, const char *path, apr_size_t *len,
                       const char **err);

/* Reads and compiles a file with partials (NULL: none); errors as above
 * (I/O errors name the path). */
sd_template *sd_template_load(apr_pool_t *p, const char *path,
                              const sd_template_partial *partials,
                              const char **err);

/* Renders into one buffer allocated from p (NUL-terminated; *len excludes
 * the NUL). Missing paths render as empty. Never fails. */
char *sd_template_render(apr_pool_t *p, const sd_template *t,
                         const json_t *view, apr_size_t *len);

/* HTML-escapes & < > " ' ` = (the Handlebars set). */
char *sd_template_html_escape(apr_pool_t *p, const char *s, apr_size_t len);

#endif
