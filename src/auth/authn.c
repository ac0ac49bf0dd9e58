/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Password checks for the login route. */
#include "sd_authn.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <mod_auth.h>
#include <ap_provider.h>
#include <apr_atomic.h>
#include <apr_escape.h>
#include <apr_md5.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* htpasswd -B's default cost: the decoy's work. */
#define SD_AUTHN_DECOY_COST 5

struct sd_authn {
    apr_array_header_t *providers;       /* const authn_provider *         */
    const apr_array_header_t *names;
    const char *decoy_hash;              /* bcrypt of a random password    */
    apr_interval_time_t floor_us;        /* SessionDemoLoginMinTime        */
    volatile apr_uint32_t overrun_said;  /* this child warned of a check
                                            slower than the floor         */
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
    a->floor_us = (apr_interval_time_t)conf->login_min_time_ms * 1000;
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
    apr_escape_hex(password, random, sizeof(random), 0, NULL);
    if (apr_bcrypt_encode(password, SD_AUTHN_DECOY_COST, salt, sizeof(salt), hash,
                          sizeof(hash)) != APR_SUCCESS) {
        return "SessionDemoAuthProvider: cannot make the decoy password hash"
               " (random numbers or bcrypt failed)";
    }
    a->decoy_hash = apr_pstrdup(p, hash);
    *out = a;
    return NULL;
}

/* A fixed floor, not a time learned from earlier checks, which anyone able
 * to slow or flood them could push up. The decoy (sd_authn_check) tries no
 * real account, so no lockout policy or audit log sees the guesses. */
static void answer_no_earlier(request_rec *r, sd_authn *a, apr_time_t started, int known)
{
    apr_interval_time_t spent = apr_time_now() - started;

    if (spent < a->floor_us) {
        apr_sleep(a->floor_us - spent);
    }
    else if (known && a->floor_us > 0 && apr_atomic_xchg32(&a->overrun_said, 1) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SD_LOGNO(00427)
                      "a password check took %" APR_TIME_T_FMT " ms, longer than"
                      " SessionDemoLoginMinTime %" APR_TIME_T_FMT " ms: such answers come"
                      " later than others and tell that the name has an account; raise"
                      " SessionDemoLoginMinTime above your slowest check (said once per"
                      " child)", apr_time_as_msec(spent), apr_time_as_msec(a->floor_us));
    }
}

sd_result sd_authn_check(request_rec *r, sd_authn *a, sd_stats *stats, const char *user,
                   const char *password)
{
    authn_status result = AUTH_USER_NOT_FOUND;
    apr_time_t started = apr_time_now();

    if (!a) {
        return SD_OK;
    }
    for (int i = 0; i < a->providers->nelts; ++i) {
        const authn_provider *provider = APR_ARRAY_IDX(a->providers, i, const authn_provider *);
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, APR_ARRAY_IDX(a->names, i, const char *));
        result = provider->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (result != AUTH_USER_NOT_FOUND) {
            break;
        }
    }
    if (result == AUTH_USER_NOT_FOUND) {
        (void)apr_password_validate(password, a->decoy_hash);
    }
    answer_no_earlier(r, a, started, result == AUTH_GRANTED || result == AUTH_DENIED);
    switch (result) {
    case AUTH_GRANTED:
        return SD_OK;
    case AUTH_GENERAL_ERROR:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SD_LOGNO(00415)
                      "the authn provider failed while checking user '%s'",
                      ap_escape_logitem(r->pool, user));
        return SD_FAILED;
    default:
        SD_STATS_INC(stats, logins_failed);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00416)
                      "login refused for user '%s': %s", ap_escape_logitem(r->pool, user),
                      result == AUTH_USER_NOT_FOUND ? "unknown user" : "wrong password");
        return SD_DENIED;
    }
}
