/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The pages of SessionDemoTemplateDir (the app's and the status page's) and
 * its stylesheet, compiled once at start-up, shared read-only. */
#ifndef SD_VIEWS_H
#define SD_VIEWS_H

#include <apr_pools.h>
#include <jansson.h>

typedef struct sd_views sd_views;

typedef enum {
    SD_VIEW_HOME,
    SD_VIEW_LOGIN,
    SD_VIEW_PROFILE,
    SD_VIEW_ERROR,
    SD_VIEW_SESSIONS,
    SD_VIEW_STATUS,
    SD_VIEW_COUNT
} sd_views_page;

/* Compiles dir's pages (home, login, profile, error, sessions, status .html)
 * where {{> head}} and {{> foot}} stand for head.html and foot.html, and
 * {{> style}} for the viewport meta element and style.css in a <style>
 * element. NULL with *err ("file:line: problem") on failure. */
const sd_views *sd_views_load(apr_pool_t *p, const char *dir, const char **err);

/* The page rendered with the view model, into one buffer from p. */
char *sd_views_render(apr_pool_t *p, const sd_views *views, sd_views_page page,
                      const json_t *model, apr_size_t *len);

/* The CSP source that allows the stylesheet ("'sha256-...'"). */
const char *sd_views_style_source(const sd_views *views);

#endif
