/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Password checks for the login route. */
#include "sd_authn.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <mod_auth.h>
#include <ap_provider.h>
#include <apr_md5.h>
#include <apr_strings.h>
#include <apr_atomic.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* htpasswd -B's default cost: the decoy's work. */
#define SD_AUTHN_DECOY_COST 5

struct sd_authn {
    apr_array_header_t *providers;       /* const authn_provider *         */
    const apr_array_header_t *names;
    const char *decoy_hash;              /* bcrypt of a random password    */
    /* Per child: how long the providers take for a user they know (µs, a
     * moving average), which an unknown user's answer is padded to. */
    volatile apr_uint32_t known_us;
};

const char *sd_authn_create(apr_pool_t *p, const sd_config *conf, sd_authn **out)
{
    sd_authn *a;
    unsigned char salt[16], random[24];
    char hash[128], password[2 * sizeof(random) + 1];

    *out = NULL;
    if (!conf->auth_providers) {
        return NULL;
    }
    a = apr_pcalloc(p, sizeof(*a));
    a->names = conf->auth_providers;
    a->providers = apr_array_make(p, conf->auth_providers->nelts, sizeof(const authn_provider *));
    for (int i = 0; i < conf->auth_providers->nelts; ++i) {
        const char *name = APR_ARRAY_IDX(conf->auth_providers, i, const char *);
        const authn_provider *provider =
            ap_lookup_provider(AUTHN_PROVIDER_GROUP, name, AUTHN_PROVIDER_VERSION);
        if (!provider || !provider->check_password) {
            return apr_psprintf(p, "SessionDemoAuthProvider: unknown authn provider '%s'"
                                " (is mod_authn_%s loaded?)", name, name);
        }
        APR_ARRAY_PUSH(a->providers, const authn_provider *) = provider;
    }
    if (apr_generate_random_bytes(salt, sizeof(salt)) != APR_SUCCESS
        || apr_generate_random_bytes(random, sizeof(random)) != APR_SUCCESS) {
        return "SessionDemoAuthProvider: no random numbers for the decoy password hash";
    }
    for (apr_size_t i = 0; i < sizeof(random); ++i) {
        apr_snprintf(password + 2 * i, 3, "%02x", random[i]);
    }
    if (apr_bcrypt_encode(password, SD_AUTHN_DECOY_COST, salt, sizeof(salt), hash,
                          sizeof(hash)) != APR_SUCCESS) {
        return "SessionDemoAuthProvider: cannot make the decoy password hash"
               " (random numbers or bcrypt failed)";
    }
    a->decoy_hash = apr_pstrdup(p, hash);
    *out = a;
    return NULL;
}

void sd_authn_child_init(sd_authn *a, apr_pool_t *pchild)
{
    (void)pchild;
    if (a) {
        apr_atomic_set32(&a->known_us, 0);
    }
}

static authn_status ask(request_rec *r, sd_authn *a, int i, const char *user,
                        const char *password)
{
    const authn_provider *provider = APR_ARRAY_IDX(a->providers, i, const authn_provider *);
    authn_status result;
    apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, APR_ARRAY_IDX(a->names, i, const char *));
    result = provider->check_password(r, user, password);
    apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
    return result;
}

/* An unknown user's answer takes as long as a known one's: a bcrypt check
 * of the password (the work), then a wait up to what checks of known users
 * have taken in this child. No real account is ever tried, so no lockout
 * policy or audit log of an account sees an attacker's guesses. */
static void spend_like_a_known_user(sd_authn *a, const char *password, apr_time_t started)
{
    apr_interval_time_t known = (apr_interval_time_t)apr_atomic_read32(&a->known_us);
    apr_interval_time_t spent;
    (void)apr_password_validate(password, a->decoy_hash);
    spent = apr_time_now() - started;
    if (known > spent) {
        apr_sleep(known - spent);
    }
}

static void learn_known_user_cost(sd_authn *a, apr_time_t started)
{
    apr_uint64_t took = (apr_uint64_t)(apr_time_now() - started);
    apr_uint32_t was = apr_atomic_read32(&a->known_us);
    apr_uint64_t avg = was ? (7 * (apr_uint64_t)was + took) / 8 : took;
    apr_atomic_set32(&a->known_us, (apr_uint32_t)(avg > 10000000 ? 10000000 : avg));
}

int sd_authn_check(request_rec *r, sd_authn *a, sd_stats *stats, const char *user,
                   const char *password)
{
    authn_status result = AUTH_USER_NOT_FOUND;
    apr_time_t started = apr_time_now();

    if (!a) {
        return OK;
    }
    for (int i = 0; i < a->providers->nelts; ++i) {
        result = ask(r, a, i, user, password);
        if (result != AUTH_USER_NOT_FOUND) {
            break;
        }
    }
    if (result == AUTH_GRANTED || result == AUTH_DENIED) {
        learn_known_user_cost(a, started);
    }
    else if (result == AUTH_USER_NOT_FOUND) {
        spend_like_a_known_user(a, password, started);
    }
    switch (result) {
    case AUTH_GRANTED:
        return OK;
    case AUTH_GENERAL_ERROR:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00415)
                      "the authn provider failed while checking user '%s'",
                      ap_escape_logitem(r->pool, user));
        return HTTP_INTERNAL_SERVER_ERROR;
    default:
        SD_STATS_INC(stats, logins_failed);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00416)
                      "login refused for user '%s': %s", ap_escape_logitem(r->pool, user),
                      result == AUTH_USER_NOT_FOUND ? "unknown user" : "wrong password");
        return HTTP_UNAUTHORIZED;
    }
}
