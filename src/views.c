/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The compiled pages. Loading them in check_config makes a template error
 * fail `apache2 -t` with its file and line, before any child starts. */
#include "sd_views.h"
#include "sd_template.h"

#include <apr_strings.h>

struct sd_views {
    const sd_template *pages[SD_VIEW_COUNT];
};

static const char *const page_files[SD_VIEW_COUNT] = {
    "home.html", "login.html", "profile.html", "error.html", "sessions.html"
};

const sd_views *sd_views_load(apr_pool_t *p, const char *dir, const char **err)
{
    sd_views *v = apr_pcalloc(p, sizeof(*v));
    for (int i = 0; i < SD_VIEW_COUNT; ++i) {
        v->pages[i] = sd_template_load(p, apr_pstrcat(p, dir, "/", page_files[i], NULL), err);
        if (!v->pages[i]) {
            return NULL;
        }
    }
    return v;
}

char *sd_views_render(apr_pool_t *p, const sd_views *views, sd_views_page page,
                      const json_t *model, apr_size_t *len)
{
    return sd_template_render(p, views->pages[page], model, len);
}
