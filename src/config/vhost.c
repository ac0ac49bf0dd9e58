/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
#include "sd_vhost.h"
#include "sd_module.h"

#include <http_config.h>

void *sd_vhost_create(apr_pool_t *p, server_rec *s)
{
    sd_vhost *v = apr_pcalloc(p, sizeof(*v));
    (void)s;
    v->conf = sd_config_create(p);
    return v;
}

void *sd_vhost_merge(apr_pool_t *p, void *basev, void *addv)
{
    const sd_vhost *base = basev, *add = addv;
    sd_vhost *v = apr_pcalloc(p, sizeof(*v));
    v->conf = sd_config_merge(p, base->conf, add->conf);
    return v;
}

sd_vhost *sd_vhost_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &sessiondemo_module);
}
