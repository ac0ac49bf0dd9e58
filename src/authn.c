/* Password checks for the login route. */
#include "sd_authn.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <mod_auth.h>
#include <ap_provider.h>
#include <apr_strings.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

const char *sd_authn_resolve(apr_pool_t *p, const sd_config *conf,
                             const apr_array_header_t **out)
{
    apr_array_header_t *providers;

    *out = NULL;
    if (!conf->auth_providers) {
        return NULL;
    }
    providers = apr_array_make(p, conf->auth_providers->nelts, sizeof(const authn_provider *));
    for (int i = 0; i < conf->auth_providers->nelts; ++i) {
        const char *name = APR_ARRAY_IDX(conf->auth_providers, i, const char *);
        const authn_provider *provider =
            ap_lookup_provider(AUTHN_PROVIDER_GROUP, name, AUTHN_PROVIDER_VERSION);
        if (!provider || !provider->check_password) {
            return apr_psprintf(p, "SessionDemoAuthProvider: unknown authn provider '%s'"
                                " (is mod_authn_%s loaded?)", name, name);
        }
        APR_ARRAY_PUSH(providers, const authn_provider *) = provider;
    }
    *out = providers;
    return NULL;
}

int sd_authn_check(request_rec *r, const sd_vhost *v, const char *user,
                   const char *password)
{
    const apr_array_header_t *providers = v->rt.authn;
    authn_status result = AUTH_USER_NOT_FOUND;

    if (!providers) {
        return OK;
    }
    for (int i = 0; i < providers->nelts; ++i) {
        const authn_provider *provider = APR_ARRAY_IDX(providers, i, const authn_provider *);
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE,
                       APR_ARRAY_IDX(v->conf->auth_providers, i, const char *));
        result = provider->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (result != AUTH_USER_NOT_FOUND) {
            break;
        }
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
        SD_STATS_INC(v->rt.stats, logins_failed);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, SD_LOGNO(00416)
                      "login refused for user '%s': %s", ap_escape_logitem(r->pool, user),
                      result == AUTH_USER_NOT_FOUND ? "unknown user" : "wrong password");
        return HTTP_UNAUTHORIZED;
    }
}
