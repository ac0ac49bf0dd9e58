/* Password checks for the login route. */
#include "sd_authn.h"
#include "sd_log.h"
#include "sd_module.h"

#include <http_log.h>
#include <mod_auth.h>
#include <ap_provider.h>
#include <apr_md5.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(sessiondemo);
#endif

/* htpasswd -B's default cost: the decoy for a child that has not seen a
 * known user yet. */
#define SD_AUTHN_DECOY_COST 5
#define SD_AUTHN_DECOY_USER_MAX 256

struct sd_authn {
    apr_array_header_t *providers;       /* const authn_provider *         */
    const apr_array_header_t *names;
    const char *decoy_hash;              /* bcrypt of a random password    */
    apr_thread_mutex_t *mutex;           /* per child, over the decoy user */
    char decoy_user[SD_AUTHN_DECOY_USER_MAX];
    int decoy_provider;                  /* -1: none known yet             */
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
    a->decoy_provider = -1;
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
    if (a && !a->mutex) {
        apr_thread_mutex_create(&a->mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
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

/* The work a known user's check costs, spent for an unknown one: the same
 * provider on a user it knows (its real hash and cost), else bcrypt. The
 * result is thrown away. */
static void spend_on_decoy(request_rec *r, sd_authn *a, const char *password)
{
    char user[SD_AUTHN_DECOY_USER_MAX];
    int provider = -1;
    if (a->mutex && apr_thread_mutex_lock(a->mutex) == APR_SUCCESS) {
        provider = a->decoy_provider;
        memcpy(user, a->decoy_user, sizeof(user));
        apr_thread_mutex_unlock(a->mutex);
    }
    if (provider >= 0) {
        (void)ask(r, a, provider, user, password);
    }
    else {
        (void)apr_password_validate(password, a->decoy_hash);
    }
}

static void remember_decoy(sd_authn *a, int provider, const char *user)
{
    if (strlen(user) < SD_AUTHN_DECOY_USER_MAX && a->mutex
        && apr_thread_mutex_lock(a->mutex) == APR_SUCCESS) {
        apr_cpystrn(a->decoy_user, user, sizeof(a->decoy_user));
        a->decoy_provider = provider;
        apr_thread_mutex_unlock(a->mutex);
    }
}

int sd_authn_check(request_rec *r, sd_authn *a, sd_stats *stats, const char *user,
                   const char *password)
{
    authn_status result = AUTH_USER_NOT_FOUND;
    int i;

    if (!a) {
        return OK;
    }
    for (i = 0; i < a->providers->nelts; ++i) {
        result = ask(r, a, i, user, password);
        if (result != AUTH_USER_NOT_FOUND) {
            break;
        }
    }
    if (result == AUTH_GRANTED || result == AUTH_DENIED) {
        remember_decoy(a, i, user);
    }
    else if (result == AUTH_USER_NOT_FOUND) {
        spend_on_decoy(r, a, password);
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
