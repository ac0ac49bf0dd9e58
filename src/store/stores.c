/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Assembly of the stores: health (prober, shared flags), the memcached
 * backend, the ring and the replica layer, per distinct server list. */
#include "sd_stores.h"
#include "sd_backend_memcache.h"
#include "sd_health.h"
#include "sd_log.h"
#include "sd_module.h"
#include "sd_record.h"
#include "sd_ring.h"
#include "sd_seal.h"
#include "sd_store.h"
#include "sd_vault.h"
#include "sd_vhost.h"

#include <http_log.h>
#include <apr_hash.h>
#include <apr_shm.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* Missed writes each child remembers for a returning replica. */
#define SD_STORES_HINTS 4096

static const char *server_name(apr_pool_t *p, const sd_config_server *m)
{
    return apr_psprintf(p, "%s:%d", m->host, (int)m->port);
}

static const char *store_key(apr_pool_t *p, const sd_config *conf)
{
    /* The format too: a store compares copies by it. */
    const char *key = apr_psprintf(p, "%d|%" APR_INT64_T_FMT "|%" APR_INT64_T_FMT "|%"
                                   APR_INT64_T_FMT, conf->store_format, conf->replicas,
                                   conf->probe_interval_ms, conf->probe_timeout_ms);
    for (int i = 0; i < conf->memcache->nelts; ++i) {
        key = apr_pstrcat(p, key, "|", server_name(p, &APR_ARRAY_IDX(conf->memcache, i,
                                                                     sd_config_server)), NULL);
    }
    return key;
}

void sd_stores_plan(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *slots = apr_hash_make(ptemp);
    volatile apr_uint32_t *flags;
    apr_shm_t *shm;
    apr_status_t rv;
    int nslots = 0;

    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost *v = sd_vhost_get(vs);
        const apr_array_header_t *servers = v->conf->memcache;
        int *index = apr_palloc(pconf, sizeof(int) * (apr_size_t)servers->nelts);
        for (int i = 0; i < servers->nelts; ++i) {
            const sd_config_server *m = &APR_ARRAY_IDX(servers, i, sd_config_server);
            const char *key = apr_psprintf(ptemp, "%s|%" APR_INT64_T_FMT "|%" APR_INT64_T_FMT,
                                           server_name(ptemp, m), v->conf->probe_interval_ms,
                                           v->conf->probe_timeout_ms);
            int *slot = apr_hash_get(slots, key, APR_HASH_KEY_STRING);
            if (!slot) {
                slot = apr_palloc(ptemp, sizeof(*slot));
                *slot = nslots++;
                apr_hash_set(slots, key, APR_HASH_KEY_STRING, slot);
                if (v->rt.stats) {
                    sd_stats_server_claim(v->rt.stats, server_name(ptemp, m));
                }
            }
            index[i] = *slot;
        }
        v->rt.health_slots = index;
    }
    rv = apr_shm_create(&shm, sizeof(apr_uint32_t) * (apr_size_t)nslots, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, SD_LOGNO(00006)
                     "no shared memory for memcached health; each child"
                     " will judge (and log) memcached outages itself");
        return;
    }
    flags = apr_shm_baseaddr_get(shm);
    memset((void *)flags, 0, sizeof(apr_uint32_t) * (apr_size_t)nslots);
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost_get(vs)->rt.health_flags = flags;
    }
}

static void store_log(void *server, void *request, const char *message)
{
    static const char tag[] = SD_LOGNO(00213);   /* one number for both calls */
    if (request) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, (request_rec *)request, "%s%s", tag, message);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, (server_rec *)server, "%s%s", tag, message);
    }
}

typedef struct {
    sd_store *store;
    sd_health *health;
    server_rec *s;
    const sd_health_server *servers;
} replay_baton;

static int replay_stopping(const void *health)
{
    return sd_health_stopping(health);
}

static void replay(void *baton, int server, apr_pool_t *scratch)
{
    replay_baton *rb = baton;
    sd_backend_call call = { scratch, NULL };
    int n = sd_store_replay(rb->store, &call, server, replay_stopping, rb->health);
    if (n) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, rb->s, SD_LOGNO(00214)
                     "memcached %s: %d session(s) written while it was away"
                     " brought up to date", rb->servers[server].name, n);
    }
}

static int replay_pending(void *baton, int server)
{
    replay_baton *rb = baton;
    return sd_store_replay_pending(rb->store, server);
}

/* The replay takes the same host lock slot as requests (session_lock). */
static int take_host_slot(void *baton, const char *lock_key, apr_int64_t ttl_seconds,
                          apr_pool_t *p, void **hold)
{
    sd_host_lock_hold *h = apr_palloc(p, sizeof(*h));
    if (sd_host_lock_acquire(baton, sd_waiters_hash(lock_key), apr_time_from_sec(ttl_seconds), 0,
                             h) != SD_HOST_LOCK_TAKEN) {
        return 0;
    }
    *hold = h;
    return 1;
}

static void give_host_slot(void *baton, void *hold)
{
    sd_host_lock_release(baton, hold);
}

/* A copy is genuine when it opens under the keys of one of the Sealed
 * servers sharing its store (baton: their const sd_vhost *). */
static int opens_somewhere(void *baton, apr_pool_t *p, const char *key, const char *val,
                           apr_size_t len, apr_uint16_t flags)
{
    const apr_array_header_t *sealers = baton;
    char *plain = NULL;
    apr_size_t plain_len = 0;

    if (flags != SD_VAULT_FLAGS_SEALED) {
        return 0;
    }
    for (int i = 0; i < sealers->nelts; ++i) {
        const sd_vhost *v = APR_ARRAY_IDX(sealers, i, const sd_vhost *);
        if (sd_seal_open(p, v->rt.seal, v->rt.nseal, key, val, len, &plain, &plain_len) >= 0) {
            return 1;
        }
    }
    return 0;
}

static void build(apr_pool_t *pchild, server_rec *vs, sd_vhost *v, int connections,
                  sd_stats *stats, apr_array_header_t *sealers)
{
    const apr_array_header_t *list = v->conf->memcache;
    int n = list->nelts;
    sd_health_server *servers = apr_pcalloc(pchild, sizeof(*servers) * (apr_size_t)n);
    sd_backend *backend = apr_pcalloc(pchild, sizeof(*backend));
    replay_baton *rb = apr_pcalloc(pchild, sizeof(*rb));
    sd_health *health;

    for (int i = 0; i < n; ++i) {
        const sd_config_server *m = &APR_ARRAY_IDX(list, i, sd_config_server);
        servers[i].host = m->host;
        servers[i].port = m->port;
        servers[i].name = server_name(pchild, m);
        servers[i].flag = v->rt.health_flags && v->rt.health_slots
                          ? &v->rt.health_flags[v->rt.health_slots[i]] : NULL;
    }
    health = sd_health_create(pchild, vs, servers, n,
                              apr_time_from_msec(v->conf->probe_interval_ms),
                              apr_time_from_msec(v->conf->probe_timeout_ms), replay,
                              replay_pending, rb);
    if (sd_backend_memcache_create(pchild, vs, servers, n, connections,
                                   apr_time_from_msec(v->conf->probe_timeout_ms), health,
                                   stats, backend)
        != APR_SUCCESS) {
        return;  /* logged; requests that need the store answer 503 */
    }
    v->rt.backend = backend;
    v->rt.store = sd_store_create(pchild, backend, sd_ring_create(pchild, backend->names, n),
                                  (int)v->conf->replicas + 1,
                                  v->conf->store_format == SD_STORE_FORMAT_SEALED
                                  ? sd_seal_read_header : sd_record_read_header,
                                  stats, store_log, vs, SD_STORES_HINTS);
    if (sealers->nelts) {
        /* Set before the prober starts: its replay ranks copies too. */
        sd_store_validator valid = { opens_somewhere, sealers };
        sd_store_set_validator(v->rt.store, &valid);
    }
    if (v->rt.host_locks) {
        sd_store_local_lock local = { take_host_slot, give_host_slot, v->rt.host_locks };
        sd_store_set_local_lock(v->rt.store, &local);
    }
    rb->store = v->rt.store;
    rb->s = vs;
    rb->health = health;
    rb->servers = servers;
    if (sd_health_start(health, pchild) != APR_SUCCESS) {
        v->rt.store = NULL;
        v->rt.backend = NULL;
    }
}

void sd_stores_child_init(apr_pool_t *pchild, server_rec *s, int connections, sd_stats *stats)
{
    apr_pool_t *tmp;
    apr_hash_t *built, *keyed;

    apr_pool_create(&tmp, pchild);
    built = apr_hash_make(tmp);
    keyed = apr_hash_make(tmp);
    /* First every store's sealing servers, so its validator is complete
     * before its prober (and replay) starts. */
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost *v = sd_vhost_get(vs);
        const char *key = store_key(tmp, v->conf);
        apr_array_header_t *sealers = apr_hash_get(keyed, key, APR_HASH_KEY_STRING);
        if (!sealers) {
            sealers = apr_array_make(pchild, 2, sizeof(const sd_vhost *));
            apr_hash_set(keyed, key, APR_HASH_KEY_STRING, sealers);
        }
        if (v->rt.seal) {
            APR_ARRAY_PUSH(sealers, const sd_vhost *) = v;
        }
    }
    for (server_rec *vs = s; vs; vs = vs->next) {
        sd_vhost *v = sd_vhost_get(vs);
        const char *key = store_key(tmp, v->conf);
        const sd_vhost *same = apr_hash_get(built, key, APR_HASH_KEY_STRING);
        if (same) {
            v->rt.store = same->rt.store;
            v->rt.backend = same->rt.backend;
            continue;
        }
        build(pchild, vs, v, connections, stats, apr_hash_get(keyed, key, APR_HASH_KEY_STRING));
        apr_hash_set(built, key, APR_HASH_KEY_STRING, v);
    }
    apr_pool_destroy(tmp);
}

int sd_stores_servers(apr_pool_t *p, server_rec *s, sd_stores_server **out)
{
    apr_hash_t *seen = apr_hash_make(p);
    apr_array_header_t *list = apr_array_make(p, 4, sizeof(sd_stores_server));

    /* Vhosts that share a store name its servers again: counted once. */
    for (server_rec *vs = s; vs; vs = vs->next) {
        const sd_backend *be = sd_vhost_get(vs)->rt.backend;
        if (!be) {
            continue;
        }
        for (int i = 0; i < be->nservers; ++i) {
            /* An index, not a pointer: a push may move the array. */
            int *at = apr_hash_get(seen, be->names[i], APR_HASH_KEY_STRING);
            if (!at) {
                at = apr_palloc(p, sizeof(*at));
                *at = list->nelts;
                APR_ARRAY_PUSH(list, sd_stores_server) = (sd_stores_server){ be->names[i], 1 };
                apr_hash_set(seen, be->names[i], APR_HASH_KEY_STRING, at);
            }
            APR_ARRAY_IDX(list, *at, sd_stores_server).up &= be->ops->usable(be->baton, i);
        }
    }
    *out = (sd_stores_server *)list->elts;
    return list->nelts;
}
