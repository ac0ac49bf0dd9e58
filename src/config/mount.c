/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <util_cfgtree.h>

#include "sd_cfg_parse.h"
#include "sd_config.h"
#include "sd_module.h"
#include "sd_mount.h"
#include "sd_vhost.h"

struct sd_mount_dir {
    const char *dir;               /* the section's path as core keeps it */
    /* Set at check_config on a section that sets the handler: */
    const char *base;              /* <Location>: its path without the last '/' */
    int is_directory;              /* <Directory>: the URL is found per request */
    const server_rec *owner;       /* the server whose section it is */
    /* After a merge: the innermost marked section, NULL if none, and the
     * innermost of a virtual host's own (Location sections merge after
     * Directory ones, so the main server's <Location /> would hide it). */
    const sd_mount_dir *at;
    const sd_mount_dir *vhost_at;
    const char *login_url;         /* SessionDemoLoginURL of this place */
};

void *sd_mount_create_dir(apr_pool_t *p, char *dir)
{
    sd_mount_dir *d = apr_pcalloc(p, sizeof(*d));
    d->dir = dir;
    return d;
}

/* Sections merge outer to inner, so the last marked one is the handler's:
 * a <Location /app/admin> inside the app keeps /app as the mount. */
void *sd_mount_merge_dir(apr_pool_t *p, void *base_, void *add_)
{
    const sd_mount_dir *base = base_, *add = add_;
    sd_mount_dir *d = apr_pcalloc(p, sizeof(*d));
    d->dir = add->dir;
    d->at = add->at ? add->at : base->at;
    d->vhost_at = add->vhost_at ? add->vhost_at : base->vhost_at;
    d->login_url = add->login_url ? add->login_url : base->login_url;
    return d;
}

void sd_mount_set_login_url(void *dir, const char *login_url)
{
    ((sd_mount_dir *)dir)->login_url = login_url;
}

const char *sd_mount_login_url(const request_rec *r)
{
    const sd_mount_dir *d = ap_get_module_config(r->per_dir_config, &sessiondemo_module);
    return d ? d->login_url : NULL;
}

typedef enum { IN_SERVER, IN_LOCATION, IN_DIRECTORY, IN_OTHER } place_kind;

typedef struct {
    const ap_directive_t *vhost;   /* its <VirtualHost>, NULL: the main server */
    place_kind kind;
    const char *path;              /* as core keeps the section's dir */
    int handler;                   /* SetHandler sessiondemo, else AuthType */
    int status;                    /* SetHandler sessiondemo-status instead */
} place;

static const char *word(apr_pool_t *p, const char *args)
{
    const char *end = ap_strrchr_c(args, '>');
    const char *line = end ? apr_pstrmemdup(p, args, end - args) : args;
    return ap_getword_conf(p, &line);
}

static const char *directory_path(apr_pool_t *p, const char *path)
{
    char *merged;
    if (apr_filepath_merge(&merged, "", path, APR_FILEPATH_TRUENAME, p) != APR_SUCCESS) {
        return path;
    }
    return merged[0] && merged[strlen(merged) - 1] == '/' ? merged
                                                            : apr_pstrcat(p, merged, "/", NULL);
}

static place where(apr_pool_t *p, const ap_directive_t *node, int handler, int status)
{
    place at = { NULL, IN_SERVER, NULL, handler, status };
    const ap_directive_t *up = node->parent;

    if (up && strcasecmp(up->directive, "<VirtualHost") != 0) {
        const char *path = word(p, up->args);
        int regex = strcmp(path, "~") == 0;
        if (!regex && strcasecmp(up->directive, "<Location") == 0) {
            at.kind = IN_LOCATION;
            at.path = path;
        }
        else if (!regex && strcasecmp(up->directive, "<Directory") == 0) {
            at.kind = IN_DIRECTORY;
            at.path = directory_path(p, path);
        }
        else {
            at.kind = IN_OTHER;
        }
    }
    for (; up; up = up->parent) {
        if (strcasecmp(up->directive, "<VirtualHost") == 0) {
            at.vhost = up;
            break;
        }
    }
    return at;
}

static void collect(apr_pool_t *p, const ap_directive_t *node, apr_array_header_t *places)
{
    for (; node; node = node->next) {
        if (node->first_child) {
            collect(p, node->first_child, places);
        }
        if (!node->args || (strcasecmp(node->directive, "SetHandler") != 0
                            && strcasecmp(node->directive, "AuthType") != 0)) {
            continue;
        }
        const char *name = word(p, node->args);
        int set_handler = strcasecmp(node->directive, "SetHandler") == 0;
        /* The status page reads the store too (the users count, a revoke's
         * index), so a Sealed server with it needs keys. */
        int status = set_handler && strcasecmp(name, "sessiondemo-status") == 0;
        if (status || strcasecmp(name, "sessiondemo") == 0) {
            APR_ARRAY_PUSH(places, place) = where(p, node, set_handler && !status, status);
        }
    }
}

static int is_of(const place *at, const server_rec *s)
{
    if (!s->is_virtual) {
        return at->vhost == NULL;
    }
    return at->vhost && s->defn_name && at->vhost->filename
           && s->defn_line_number == (unsigned)at->vhost->line_num
           && strcmp(s->defn_name, at->vhost->filename) == 0;
}

static int holds(const apr_array_header_t *sections, const void *section)
{
    for (int i = 0; sections && i < sections->nelts; ++i) {
        if (APR_ARRAY_IDX(sections, i, const void *) == section) {
            return 1;
        }
    }
    return 0;
}

/* Marks s's own sections (a virtual host's list also holds the main
 * server's, which the main server's pass marks) at `at`'s path. */
static const char *mark(apr_pool_t *pconf, server_rec *s, const server_rec *main_s,
                        const place *at, const char **first)
{
    core_server_config *sconf = ap_get_core_module_config(s->module_config);
    core_server_config *mconf = ap_get_core_module_config(main_s->module_config);
    const apr_array_header_t *mine = at->kind == IN_LOCATION ? sconf->sec_url : sconf->sec_dir;
    const apr_array_header_t *main_ones = at->kind == IN_LOCATION ? mconf->sec_url : mconf->sec_dir;

    for (int i = 0; mine && i < mine->nelts; ++i) {
        ap_conf_vector_t *section = APR_ARRAY_IDX(mine, i, ap_conf_vector_t *);
        const core_dir_config *core = ap_get_core_module_config(section);
        sd_mount_dir *d;
        const char *err;
        apr_size_t len;

        if ((s != main_s && holds(main_ones, section)) || !core || !core->d
            || strcmp(core->d, at->path) != 0) {
            continue;
        }
        /* httpd makes a module's record of a section only where one of its
         * directives is used; the handler's section gets one here. */
        if ((d = ap_get_module_config(section, &sessiondemo_module)) == NULL) {
            d = sd_mount_create_dir(pconf, core->d);
            ap_set_module_config(section, &sessiondemo_module, d);
        }
        d->owner = s;
        d->at = d;
        d->vhost_at = s->is_virtual ? d : NULL;
        if (at->kind == IN_DIRECTORY) {
            d->is_directory = 1;
            continue;
        }
        len = strlen(d->dir);
        d->base = len > 1 && d->dir[len - 1] == '/' ? apr_pstrmemdup(pconf, d->dir, len - 1)
                                                     : d->dir;
        if ((err = sd_cfg_parse_mount(pconf, d->base)) != NULL) {
            return apr_psprintf(pconf, "<Location \"%s\"> with SetHandler sessiondemo: %s",
                                d->dir, err);
        }
        if (strcmp(d->base, "/") == 0) {
            d->base = "";
        }
        if (!*first) {
            *first = d->base;
        }
    }
    return NULL;
}

const char *sd_mount_scan(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *places = apr_array_make(ptemp, 8, sizeof(place));
    const char *main_first = NULL;

    collect(ptemp, ap_conftree, places);
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_config *conf = sd_vhost_get(vs)->conf;
        const char *first = NULL;

        /* A virtual host gets the main server's sections too. */
        conf->serves_app = vs != s && sd_vhost_get(s)->conf->serves_app;
        conf->serves_status = vs != s && sd_vhost_get(s)->conf->serves_status;
        conf->own_mount = 0;
        for (int i = 0; i < places->nelts; ++i) {
            const place *at = &APR_ARRAY_IDX(places, i, place);
            const char *err;
            if (!is_of(at, vs)) {
                continue;
            }
            if (at->status) {
                conf->serves_status = 1;
                continue;
            }
            conf->serves_app = 1;
            if (!at->handler || at->kind == IN_SERVER || at->kind == IN_OTHER) {
                continue;
            }
            conf->own_mount = 1;
            if ((err = mark(pconf, vs, s, at, &first)) != NULL) {
                return err;
            }
        }
        if (vs == s) {
            main_first = first;
        }
        conf->app_mount = first ? first : conf->own_mount ? "" : main_first ? main_first : "";
    }
    return NULL;
}

/* A <Directory>'s URL: r->uri less what lies below the directory. */
static const char *directory_base(request_rec *r, const sd_mount_dir *at)
{
    apr_size_t dlen = strlen(at->dir) - 1, ulen = strlen(r->uri), rlen;
    const char *rest;

    if (!r->filename || strncmp(r->filename, at->dir, dlen) != 0) {
        return "";
    }
    rest = apr_pstrcat(r->pool, r->filename + dlen, r->path_info ? r->path_info : "", NULL);
    rlen = strlen(rest);
    if (rlen > ulen || strcmp(r->uri + ulen - rlen, rest) != 0) {
        return "";
    }
    while (rlen < ulen && r->uri[ulen - rlen - 1] == '/') {
        ++rlen;
    }
    return apr_pstrmemdup(r->pool, r->uri, ulen - rlen);
}

const char *sd_mount_base(request_rec *r)
{
    const sd_mount_dir *d = ap_get_module_config(r->per_dir_config, &sessiondemo_module);
    const sd_config *conf = sd_vhost_get(r->server)->conf;
    const sd_mount_dir *at = d ? d->at : NULL;

    /* A host that mounts the app itself says where it lives there; the main
     * server's mounts are for the hosts that do not. */
    if (r->server->is_virtual && conf->own_mount) {
        at = d ? d->vhost_at : NULL;
        if (!at || at->owner != r->server) {
            return NULL;
        }
    }
    if (!at) {
        return "";
    }
    return at->is_directory ? directory_base(r, at) : at->base;
}
