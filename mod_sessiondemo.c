/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* mod_sessiondemo: the login / profile / cart demo of the express-session
 * tutorial as an httpd module, sessions in memcached. This file only wires
 * the units into httpd: module record, hooks, and which runtime state is
 * built at which stage (docs/architecture.md). */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_mpm.h>
#include <apr_hash.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include <mod_http2.h>
#include <mod_status.h>

#include "sd_authn.h"
#include "sd_cookie.h"
#include "sd_gate.h"
#include "sd_http.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_mount.h"
#include "sd_routes.h"
#include "sd_server_status.h"
#include "sd_status.h"
#include "sd_stores.h"
#include "sd_user_index.h"
#include "sd_vault.h"
#include "sd_vhost.h"

/* Servers that share a realm share logins, so they must check passwords
 * alike: a demo-mode server in a realm with one that asks an authn provider
 * would log anybody in to both. */
static const char *same_realm_same_logins(apr_pool_t *ptemp, apr_hash_t *realms,
                                          server_rec *vs, const sd_vhost *v)
{
    const sd_vhost *other = apr_hash_get(realms, v->conf->realm, APR_HASH_KEY_STRING);
    if (!other) {
        apr_hash_set(realms, v->conf->realm, APR_HASH_KEY_STRING, v);
        return NULL;
    }
    if ((other->rt.authn == NULL) != (v->rt.authn == NULL)) {
        return apr_psprintf(ptemp, "SessionDemoRealm '%s' is shared by a server in demo mode"
                            " and one with SessionDemoAuthProvider (%s): a demo login"
                            " would be a login on both; give them different realms, or the"
                            " same SessionDemoAuthProvider", v->conf->realm,
                            sd_config_server_name(ptemp, vs));
    }
    if (other->conf->store_format != v->conf->store_format) {
        /* A Sealed server's record cannot be forged, an Express one's can:
         * mixed, anyone who can write memcached logs in on the Express
         * server as anyone of the realm (a plain record naming them). */
        return apr_psprintf(ptemp, "SessionDemoRealm '%s' is shared by a server with"
                            " SessionDemoStoreFormat Sealed and one with Express (%s):"
                            " give them different realms, or the same format",
                            v->conf->realm, sd_config_server_name(ptemp, vs));
    }
    return NULL;
}

/* Every cookie name that is a session token somewhere in this httpd: a
 * cookie set for one virtual host reaches the others of the same host name
 * (any port, and sibling hosts with SessionDemoCookieDomain), so each
 * server strips all of them, not only its own (sd_gate_strip_cookie). */
static void collect_strip_names(apr_pool_t *pconf, server_rec *s)
{
    apr_array_header_t *names = apr_array_make(pconf, 4, sizeof(const char *));
    apr_hash_t *seen = apr_hash_make(pconf);

    for (server_rec *vs = s; vs; vs = vs->next) {
        const sd_config *conf = sd_vhost_get(vs)->conf;
        const apr_array_header_t *more = conf->strip_names;
        /* i == -1: the server's own session cookie, if it has a secret. */
        for (int i = -1; i < (more ? more->nelts : 0); ++i) {
            const char *name = i >= 0 ? APR_ARRAY_IDX(more, i, const char *)
                               : conf->secrets ? conf->cookie_name : NULL;
            if (name && !apr_hash_get(seen, name, APR_HASH_KEY_STRING)) {
                apr_hash_set(seen, name, APR_HASH_KEY_STRING, "");
                APR_ARRAY_PUSH(names, const char *) = name;
            }
        }
    }
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost_get(vs)->rt.strip_names = names;
    }
}

/* Before `apache2 -t` says "Syntax OK", so a missing secret or a broken
 * template fails the syntax check too. Views are compiled once per template
 * directory into pconf, shared read-only by every child and thread. */
static int sd_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *realms = apr_hash_make(ptemp), *by_dir = apr_hash_make(ptemp);
    const char *mount_err = sd_mount_scan(pconf, ptemp, s);
    (void)plog;

    if (mount_err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s, SD_LOGNO(00011) "%s",
                     mount_err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost *v = sd_vhost_get(vs);
        const sd_vhost *same;
        const char *err = sd_config_finalize(pconf, vs, v->conf);

        if (!err) {
            err = sd_authn_create(pconf, v->conf, &v->rt.authn);
        }
        if (!err) {
            err = sd_vault_prepare(pconf, v);
        }
        if (!err && v->rt.authn) {
            v->rt.index_check = sd_user_index_check;
        }
        if (!err && v->rt.authn && v->conf->store_format == SD_STORE_FORMAT_EXPRESS) {
            /* A warning, not an error: sharing sessions with an Express app
             * is a choice an admin may make knowingly. */
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, vs, SD_LOGNO(00903)
                         "sessiondemo: %s checks real passwords but keeps sessions in"
                         " memcached as plain JSON under their session IDs"
                         " (SessionDemoStoreFormat Express): anyone who can reach memcached"
                         " can read them and log in as anyone; use Sealed unless an Express"
                         " app must share them", sd_config_server_name(ptemp, vs));
        }
        if (!err && v->rt.authn && v->conf->secrets && v->conf->secrets->nelts
            && (v->conf->login_failures_per_user > 0 || v->conf->login_failures_per_address > 0)) {
            /* Only real passwords fail: demo mode has nothing to throttle. */
            const sd_secret *signer = (const sd_secret *)v->conf->secrets->elts;
            sd_throttle_limits limits = { v->conf->login_failures_per_user,
                                          v->conf->login_failures_per_address,
                                          v->conf->login_throttle_window };
            v->rt.throttle = sd_throttle_create(pconf, signer->bytes, signer->len,
                                                v->conf->key_prefix, v->conf->realm, &limits,
                                                &err);
        }
        if (!err && v->conf->serves_app) {
            err = same_realm_same_logins(ptemp, realms, vs, v);
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_INFO, 0, vs, SD_LOGNO(00009)
                         "sessiondemo: %s serves realm '%s'", sd_config_server_name(ptemp, vs),
                         v->conf->realm);
        }
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, vs,
                         SD_LOGNO(00001) "%s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if ((same = apr_hash_get(by_dir, v->conf->template_dir, APR_HASH_KEY_STRING)) != NULL) {
            v->rt.views = same->rt.views;
            v->rt.csp = same->rt.csp;
            continue;
        }
        v->rt.views = sd_views_load(pconf, v->conf->template_dir, &err);
        if (!v->rt.views) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, vs,
                         SD_LOGNO(00002) "SessionDemoTemplateDir: %s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        v->rt.csp = sd_http_csp(pconf, sd_views_style_source(v->rt.views));
        apr_hash_set(by_dir, v->conf->template_dir, APR_HASH_KEY_STRING, v);
    }
    collect_strip_names(pconf, s);
    return OK;
}

/* The host lock table (Host's lock, Cluster's queue) is kept by the parent
 * across graceful restarts, so the old generation's children and the new
 * one's lock each other out. */
#define SD_HOST_LOCK_STRIPES 4096

static int host_locks_init(server_rec *s)
{
    sd_host_lock_table **table = ap_retained_data_get("sessiondemo-host-locks");
    int wanted = 0;
    apr_status_t rv;

    for (server_rec *vs = s; vs; vs = vs->next) {
        wanted |= sd_vhost_get(vs)->conf->lock != SD_LOCK_OFF;
    }
    if (!wanted) {
        return OK;
    }
    if (!table) {   /* made cleared */
        table = ap_retained_data_create("sessiondemo-host-locks", sizeof(*table));
    }
    if (!*table && (rv = sd_host_lock_table_create(s->process->pool, SD_HOST_LOCK_STRIPES,
                                                   table)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, s, SD_LOGNO(00010)
                     "SessionDemoLock: cannot make the host lock table in shared memory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost_get(vs)->rt.host_locks = *table;
    }
    return OK;
}

/* The counters are kept by the parent (ap_retained_data, memory from the
 * process pool, not pconf) across restarts, so a restart does not reset
 * what monitoring reads; a build that lays them out otherwise gets a new
 * block. */
typedef struct {
    sd_stats *stats;
    apr_uint64_t layout;
    apr_shm_t *shm;
} stats_retained;

static int stats_init(server_rec *s)
{
    /* Not the key of the builds that kept no shm, whose record is smaller. */
    stats_retained *kept = ap_retained_data_get("sessiondemo-stats-shm");
    apr_status_t rv;

    if (!kept) {    /* made cleared */
        kept = ap_retained_data_create("sessiondemo-stats-shm", sizeof(*kept));
    }
    if (kept->stats && kept->layout != sd_stats_layout()) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, SD_LOGNO(00700)
                     "sessiondemo: this build counts other things than the one loaded"
                     " before the restart; the counters start again at zero");
        /* The old generation's children keep their own mapping. */
        apr_shm_destroy(kept->shm);
        kept->stats = NULL;
    }
    if (!kept->stats) {
        if ((rv = sd_stats_create(s->process->pool, &kept->shm, &kept->stats)) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, s, SD_LOGNO(00701)
                         "sessiondemo: cannot make the counters in shared memory");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        kept->layout = sd_stats_layout();
    }
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost_get(vs)->rt.stats = kept->stats;
    }
    return OK;
}

static int sd_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    const sd_config *conf = sd_vhost_get(s)->conf;
    const sd_config_server *first;
    (void)plog;

    /* The first pass of a start-up is a dry run; say it once, for real. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (stats_init(s) != OK || host_locks_init(s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sd_stores_plan(pconf, ptemp, s);
    first = &APR_ARRAY_IDX(conf->memcache, 0, sd_config_server);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, SD_LOGNO(00003)
                 "sessiondemo: %d memcached server(s), first %s:%d; cookie %s;"
                 " max age %" APR_INT64_T_FMT " s; key prefix '%s'; templates %s",
                 conf->memcache->nelts, first->host, (int)first->port,
                 conf->cookie_name, conf->max_age, conf->key_prefix,
                 conf->template_dir);
    for (server_rec *vs = s; vs; vs = vs->next) {
        if (!sd_vhost_get(vs)->rt.authn) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vs, SD_LOGNO(00005)
                         "sessiondemo: no SessionDemoAuthProvider for %s, so"
                         " logins run in demo mode: any non-empty username and"
                         " password are accepted", sd_config_server_name(ptemp, vs));
        }
    }
    return OK;
}

/* Per child: the stores and their probers, the lock-waiter table and the
 * authn decoy's lock. */
static void sd_child_init(apr_pool_t *pchild, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(http2_get_num_workers) *h2_workers =
        APR_RETRIEVE_OPTIONAL_FN(http2_get_num_workers);
    int mpm_threads = 1, h2_min = 0, h2_max = 0, threads;
    sd_waiters *waiters;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &mpm_threads) != APR_SUCCESS || mpm_threads < 1) {
        mpm_threads = 1;
    }
    /* mod_http2 serves streams on workers of its own, which use the store
     * too: every thread that may hold a connection gets one. */
    if (h2_workers) {
        h2_workers(s, &h2_min, &h2_max);
    }
    threads = mpm_threads + (h2_max > 0 ? h2_max : 0);
    waiters = sd_waiters_create(pchild, threads);
    if (!waiters) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, SD_LOGNO(00007)
                     "no lock-waiter table in this child; SessionDemoLockWaiters"
                     " does not apply here");
    }
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost *v = sd_vhost_get(vs);
        v->rt.lock_waiters = waiters;
        v->rt.lock_waiters_h1 = mpm_threads > 1 ? mpm_threads - 1 : 1;
        v->rt.lock_waiters_h2 = h2_max > 1 ? h2_max - 1 : 1;
        v->rt.unopenable_log_next = apr_pcalloc(pchild, sizeof(*v->rt.unopenable_log_next));
        v->rt.index_down_log_next = apr_pcalloc(pchild, sizeof(*v->rt.index_down_log_next));
        /* One more for the prober thread, which replays missed writes. */
        v->rt.pool_size = threads + 1;
    }
    sd_stores_child_init(pchild, s, threads + 1, sd_vhost_get(s)->rt.stats);
}

static int sd_handler(request_rec *r)
{
    const sd_vhost *v;

    if (!r->handler) {
        return DECLINED;
    }
    if (strcmp(r->handler, "sessiondemo-status") == 0) {
        return sd_status_handle(r, sd_vhost_get(r->server));
    }
    if (strcmp(r->handler, "sessiondemo") != 0) {
        return DECLINED;
    }
    v = sd_vhost_get(r->server);
    if (!v->conf->secrets) {
        /* SetHandler from .htaccess, AddHandler or an expression: not seen
         * at start-up. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00008)
                      "SetHandler sessiondemo on a server without SessionDemoSecret;"
                      " set one for %s", r->server->server_hostname);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!v->rt.store) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00004)
                      "no memcached client in this process (see the start-up"
                      " log); answering 503");
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    return sd_routes_handle(r, v);
}

static void sd_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_config(sd_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(sd_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(sd_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(sd_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* Optional: mod_status may not be loaded, and then nobody calls it. */
    APR_OPTIONAL_HOOK(ap, status_hook, sd_server_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
    /* First among post_read_request hooks, so no other module sees the
     * client's copy of SessionDemoPassUser's header. */
    ap_hook_post_read_request(sd_gate_strip_header, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_authn(sd_gate_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    /* Last among fixups: the gate (check_authn) has read the session; the
     * module's own handlers read it from the stash the strip keeps. */
    ap_hook_fixups(sd_gate_strip_cookie, NULL, NULL, APR_HOOK_LAST);
}

AP_DECLARE_MODULE(sessiondemo) = {
    STANDARD20_MODULE_STUFF,
    sd_mount_create_dir, /* per-directory config: where the app is mounted */
    sd_mount_merge_dir,
    sd_vhost_create,
    sd_vhost_merge,
    sd_config_commands,
    sd_register_hooks,
    0                   /* flags */
};
