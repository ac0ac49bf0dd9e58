/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The module's pages: the templates of SessionDemoTemplateDir (the app's
 * and the status page's) and its one stylesheet, compiled once at start-up
 * and shared read-only by every child and thread. */
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

/* Reads style.css and compiles home.html, login.html, profile.html,
 * error.html, sessions.html and status.html from dir, where {{> style}} stands for the
 * viewport meta element and the stylesheet in a <style> element, and
 * {{> head}} and {{> foot}} for head.html and foot.html. Returns
 * NULL with *err ("file:line: problem") on failure. */
const sd_views *sd_views_load(apr_pool_t *p, const char *dir, const char **err);

/* The page rendered with the view model, into one buffer from p. */
char *sd_views_render(apr_pool_t *p, const sd_views *views, sd_views_page page,
                      const json_t *model, apr_size_t *len);

/* The CSP source that allows the stylesheet ("'sha256-...'"). */
const char *sd_views_style_source(const sd_views *views);

#endif
