/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The compiled pages. Loading them in check_config makes a template error
 * fail `apache2 -t` with its file and line, before any child starts. */
#include "sd_views.h"
#include "sd_style.h"
#include "sd_template.h"

#include <apr_strings.h>

#include <string.h>

struct sd_views {
    const sd_template *pages[SD_VIEW_COUNT];
    const char *style;          /* {{> style}} */
    const char *style_source;   /* its CSP hash */
};

static const char *const page_files[SD_VIEW_COUNT] = {
    "home.html", "login.html", "profile.html", "error.html", "sessions.html", "status.html"
};

/* Without it a phone lays the page out 980 px wide and shrinks it, and the
 * stylesheet's fluid layout never applies. */
#define VIEWPORT "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"

const sd_views *sd_views_load(apr_pool_t *p, const char *dir, const char **err)
{
    sd_views *v = apr_pcalloc(p, sizeof(*v));
    const char *path = apr_pstrcat(p, dir, "/style.css", NULL);
    apr_size_t len;
    const char *css = sd_template_read(p, path, &len, err);

    if (!css || (*err = sd_style_check(p, path, css, len, &v->style_source)) != NULL) {
        return NULL;
    }
    v->style = apr_pstrcat(p, VIEWPORT "\n<style>", css, "</style>", NULL);
    /* head.html and foot.html, the pages' shared start and end, are rendered
     * once into text (with {{> style}}, without a view). Their final newline
     * is the one ending the {{> }} tag's line. */
    sd_template_partial partials[] = { { "head", NULL, 0 }, { "foot", NULL, 0 },
                                       { "style", v->style, strlen(v->style) }, { NULL, NULL, 0 } };
    for (int i = 0; i < 2; ++i) {
        const sd_template *t = sd_template_load(p, apr_pstrcat(p, dir, "/", partials[i].name, ".html", NULL),
                                                partials + 2, err);
        if (!t) {
            return NULL;
        }
        partials[i].text = sd_template_render(p, t, NULL, &len);
        partials[i].len = len - (len > 0 && partials[i].text[len - 1] == '\n');
    }
    for (int i = 0; i < SD_VIEW_COUNT; ++i) {
        v->pages[i] = sd_template_load(p, apr_pstrcat(p, dir, "/", page_files[i], NULL),
                                       partials, err);
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

const char *sd_views_style_source(const sd_views *views)
{
    return views->style_source;
}
