/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
#include "fake_request.h"

#include <apr_strings.h>
#include <http_log.h>

#include "sd_cookie.h"

static struct ap_logconf quiet = { NULL, APLOG_WARNING };

request_rec *fake_request(apr_pool_t *parent, const char *cookie)
{
    apr_pool_t *p;
    request_rec *r;
    apr_pool_create(&p, parent);
    r = apr_pcalloc(p, sizeof(*r));
    r->pool = p;
    r->log = &quiet;
    r->headers_in = apr_table_make(p, 4);
    r->err_headers_out = apr_table_make(p, 4);
    r->notes = apr_table_make(p, 2);
    if (cookie) {
        apr_table_setn(r->headers_in, "Cookie", cookie);
    }
    return r;
}

const char *fake_cookie_of(request_rec *r)
{
    const char *set = apr_table_get(r->err_headers_out, "Set-Cookie");
    return set ? apr_pstrndup(r->pool, set, strcspn(set, ";")) : NULL;
}

sd_config fake_session_config(apr_pool_t *pool, sd_config_store_format format,
                              const char *first, const char *second)
{
    sd_config conf;
    apr_array_header_t *secrets = apr_array_make(pool, 2, sizeof(sd_secret));
    const char *list[2] = { first, second };
    for (int i = 0; i < 2 && list[i]; ++i) {
        sd_secret *sec = apr_array_push(secrets);
        sec->bytes = (const unsigned char *)list[i];
        sec->len = strlen(list[i]);
        sd_mac_create(pool, sec->bytes, sec->len, &sec->keyed_mac);
    }
    memset(&conf, 0, sizeof(conf));
    conf.secrets = secrets;
    conf.cookie_name = "connect.sid";
    conf.key_prefix = "sess:";
    conf.store_format = format;
    conf.realm = "shop";
    conf.realmless = SD_REALMLESS_GUEST;
    conf.max_username_len = 64;
    conf.max_age = 3600;
    conf.refresh_percent = 50;
    conf.cookie_path = "/";
    conf.cookie_http_only = 1;
    conf.cookie_secure = SD_SECURE_AUTO;
    conf.lock = SD_LOCK_CLUSTER;
    conf.lock_ttl = 5;
    conf.lock_wait_ms = 200;
    conf.lock_waiters = 8;
    conf.replicas = 1;
    return conf;
}
