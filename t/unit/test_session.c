/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests of the session unit's decisions against the real replica layer
 * over the fake backend (two servers, one replica): what a request writes,
 * when, with which generation; logouts as tombstones that a replica which
 * missed them cannot undo; sessions of another realm left alone; a change
 * too big refused with the stored session intact. */
#include "sd_session.h"
#include "sd_cookie.h"
#include "sd_record.h"
#include "fake_backend.h"
#include "fake_request.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

static fake_backend f;
static sd_vhost vh;
static sd_config conf;
static const sd_secret *secret;
static const sd_store_format format = sd_record_read_header;

static int writes(void)
{
    return f.servers[0].writes + f.servers[1].writes;
}

/* The save decision as a table: facts in, what the commit does out. */
static const struct {
    sd_session_facts f;
    sd_session_plan want;
} decisions[] = {
    /* destroyed,new,modified,saveUninit,resave,rolling,due,clamped,expiry,resign,unlocked */
    { { 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1 }, { 0, 0, 1, 0, 0, 0, "ended" } },
    { { 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0 }, { 0, 0, 0, 0, 1, 0, "new, unmodified" } },
    { { 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0 }, { 1, 1, 0, 0, 1, 0, "new, SessionDemoSaveUninitialized" } },
    { { 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0 }, { 1, 1, 0, 0, 0, 0, "new, modified" } },
    { { 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1 }, { 1, 1, 0, 0, 0, 0, "new, modified" } },
    { { 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0 }, { 1, 1, 0, 0, 0, 1, "new, modified" } },
    { { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 }, { 0, 0, 0, 0, 1, 0, "unmodified, refresh not due" } },
    { { 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0 }, { 1, 1, 0, 0, 1, 0, "refresh due" } },
    { { 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 }, { 1, 0, 0, 0, 1, 0, "refresh due" } },
    { { 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1 }, { 1, 1, 0, 1, 1, 0, "refresh due" } },
    { { 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1 }, { 0, 0, 0, 0, 1, 0, "unmodified, expiry held by the absolute timeout" } },
    { { 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0 }, { 1, 1, 0, 0, 0, 0, "modified" } },
    { { 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1 }, { 1, 1, 0, 1, 0, 0, "modified" } },
    { { 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0 }, { 1, 1, 0, 0, 1, 0, "SessionDemoResave" } },
    { { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 }, { 1, 1, 0, 0, 1, 0, "SessionDemoRolling" } },
    { { 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0 }, { 0, 1, 0, 0, 1, 0, "unmodified, expiry held by the absolute timeout" } },
    { { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 }, { 0, 1, 0, 0, 1, 1, "unmodified, refresh not due" } },
    { { 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1 }, { 1, 1, 0, 1, 1, 1, "refresh due" } },
};
#define DECISIONS ((int)(sizeof(decisions) / sizeof(decisions[0])))

static void test_decisions(void)
{
    for (int i = 0; i < DECISIONS; ++i) {
        const sd_session_facts *f = &decisions[i].f;
        const sd_session_plan *w = &decisions[i].want;
        sd_session_plan got = sd_session_decide(f);
        TAP_OK(got.write == w->write && got.send_cookie == w->send_cookie
               && got.expire_cookie == w->expire_cookie && got.recheck == w->recheck
               && got.may_drop == w->may_drop && got.cookie_if_dropped == w->cookie_if_dropped
               && got.why && strcmp(got.why, w->why) == 0,
               "decision %d (%s): write %d cookie %d expire %d recheck %d drop %d/%d",
               i + 1, w->why, got.write, got.send_cookie, got.expire_cookie, got.recheck,
               got.may_drop, got.cookie_if_dropped);
    }
}

int main(void)
{
    apr_pool_t *pool;
    const char *names[2] = { "10.0.0.1:11211", "10.0.0.2:11211" };
    sd_stats stats;
    sd_session *s;
    request_rec *r;
    const char *cookie, *key, *v;
    int w;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    TAP_PLAN(24 + 17 + DECISIONS);
    test_decisions();

    fake_backend_init(&f, 2);
    memset(&stats, 0, sizeof(stats));
    conf = fake_session_config(pool, SD_STORE_FORMAT_EXPRESS,  /* plain records, no keys */
                               "a unit test secret that is long enough", NULL);
    secret = (const sd_secret *)conf.secrets->elts;
    vh.conf = &conf;
    vh.rt.stats = &stats;
    vh.rt.store = sd_store_create(pool, &f.backend, sd_ring_create(pool, names, 2), 2, format,
                                  &stats, NULL, NULL, 16);

    /* A guest who only looks: nothing written, no cookie. */
    r = fake_request(pool, NULL);
    sd_session_load(r, &vh, SD_SESSION_READ, &s);
    TAP_OK(sd_session_commit(s) == SD_OK && writes() == 0 && !fake_cookie_of(r),
           "a guest who only looks: no write, no cookie");

    /* A change: one new key on both replicas, generation 1, our realm. */
    r = fake_request(pool, NULL);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    sd_session_set_new(s, "isLoggedIn", json_true());
    TAP_OK(sd_session_commit(s) == SD_OK && (cookie = fake_cookie_of(r)) != NULL, "a new session gets a cookie");
    key = apr_pstrcat(pool, "sess:", sd_cookie_unsign(pool, fake_cookie_find(pool, cookie, "connect.sid"),
                                                      secret, 1, NULL), NULL);
    v = fake_backend_value(&f, 0, key);
    TAP_OK(v && fake_backend_value(&f, 1, key), "... stored on both replicas");
    TAP_OK(v && strstr(v, "\"sessiondemo\":{\"realm\":\"shop\",\"gen\":1,"), "... generation 1 of realm shop");
    TAP_OK(v && strncmp(v, "{\"cookie\":{", 11) == 0
           && strstr(v, "},\"sessiondemo\":") != NULL, "... the member right after the cookie");

    /* Unchanged and fresh: no write. Changed: the next generation. */
    v = apr_pstrdup(pool, fake_backend_value(&f, 0, key));
    r = fake_request(pool, cookie);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    TAP_OK(sd_session_commit(s) == SD_OK && strcmp(fake_backend_value(&f, 0, key), v) == 0
           && !fake_cookie_of(r), "unchanged and fresh: not written, no cookie");
    r = fake_request(pool, cookie);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    sd_session_set_new(s, "visitCount", json_integer(1));
    TAP_OK(sd_session_commit(s) == SD_OK && strstr(fake_backend_value(&f, 1, key), "\"gen\":2,"),
           "a change writes generation 2");

    /* Half its life gone: a read-only view refreshes it. */
    {
        const char *old = fake_backend_value(&f, 0, key);
        char *aged = apr_pstrdup(pool, old), *at = strstr(aged, "\"expires\":\"");
        const char *soon = sd_record_iso8601_format(pool, apr_time_now() + apr_time_from_sec(600));
        memcpy(at + 11, soon, SD_RECORD_ISO8601_LEN);
        fake_backend_put(&f, 0, key, aged);
        fake_backend_put(&f, 1, key, aged);
    }
    w = writes();
    r = fake_request(pool, cookie);
    sd_session_load(r, &vh, SD_SESSION_READ, &s);
    TAP_OK(sd_session_commit(s) == SD_OK && writes() > w && fake_cookie_of(r)
           && strstr(fake_backend_value(&f, 0, key), "\"gen\":3,"),
           "10 of 60 minutes left: a read-only view refreshes it (generation 3, new cookie)");

    /* Logout while a replica is away: a tombstone, which outlives the copy
     * the replica kept. */
    f.servers[1].state = FAKE_AWAY;
    r = fake_request(pool, cookie);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    TAP_OK(sd_session_destroy(s) == SD_OK && sd_session_commit(s) == SD_OK, "logout with one replica away");
    v = fake_backend_value(&f, 0, key);
    TAP_OK(v && strstr(v, "\"gen\":4,") && strstr(v, "\"ended\":true"), "... writes a tombstone, generation 4");
    TAP_OK(!strstr(v, "isLoggedIn"), "... which express-session reads as an empty, logged-out session");
    f.servers[1].state = FAKE_UP;
    TAP_OK(strstr(fake_backend_value(&f, 1, key), "\"gen\":3,") != NULL, "the replica comes back with the session");
    r = fake_request(pool, cookie);
    sd_session_load(r, &vh, SD_SESSION_READ, &s);
    const json_t *logged = sd_session_get(s, "isLoggedIn");
    TAP_OK(!logged && sd_session_commit(s) == SD_OK && !fake_cookie_of(r),
           "... yet the old cookie is a guest: the tombstone outvotes it");
    TAP_OK(sd_store_replay(vh.rt.store, &(sd_backend_call){ pool, NULL }, 1, NULL, NULL) == 1
           && strstr(fake_backend_value(&f, 1, key), "\"ended\":true"),
           "... and the replica gets the tombstone replayed");

    /* Another realm's session: a guest, and left exactly as it was. */
    {
        const char *foreign_key = "sess:ForeignRealm0123456789abcdef";
        const char *foreign = "{\"cookie\":{\"originalMaxAge\":3600000,\"expires\":\"2030-01-01T00:00:00.000Z\","
                              "\"httpOnly\":true,\"path\":\"/\"},\"sessiondemo\":{\"realm\":\"other\",\"gen\":5,"
                              "\"saved\":1,\"created\":1},\"isLoggedIn\":true}";
        const char *fc = apr_pstrcat(pool, "connect.sid=",
                                     sd_cookie_uri_encode(pool, sd_cookie_sign(pool, foreign_key + 5, secret)),
                                     NULL);
        fake_backend_put(&f, 0, foreign_key, foreign);
        fake_backend_put(&f, 1, foreign_key, foreign);
        r = fake_request(pool, fc);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        TAP_OK(!sd_session_get(s, "isLoggedIn"), "a session of realm 'other' is a guest in 'shop'");
        sd_session_destroy(s);
        sd_session_commit(s);
        TAP_OK(strcmp(fake_backend_value(&f, 0, foreign_key), foreign) == 0
               && strcmp(fake_backend_value(&f, 1, foreign_key), foreign) == 0 && !fake_cookie_of(r),
               "... a logout there neither writes, deletes nor expires it");
        TAP_OK(stats.foreign_realm >= 1, "... and it is counted");
    }

    /* On a server that checks passwords, a logged-in session of the realm
     * counts only if a password verified its login. */
    {
        static const struct {
            const char *login;      /* the member's "login", NULL: none     */
            int logged_in;          /* isLoggedIn in the record             */
            int adopt;              /* SessionDemoRealmless Adopt           */
            int live;               /* loads as itself, not as a guest      */
            const char *what;
        } rows[] = {
            { "password", 1, 0, 1, "a password login is a login" },
            { "demo", 1, 0, 0, "a demo-mode login is a guest" },
            { NULL, 1, 0, 0, "a login of an older version (no \"login\") is a guest: fail closed" },
            { "express", 1, 0, 0, "an adopted login is a guest where the realm does not adopt" },
            { "express", 1, 1, 1, "... and a login where it does" },
            { "something", 1, 0, 0, "an unknown way of login is a guest" },
            { NULL, 1, 1, 0, "under Adopt too, a login of an older version (its demo logins look"
                             " the same) is a guest" },
            { "none", 1, 1, 1, "under Adopt, the Express app's login on our guest record (\"none\")"
                               " is its login" },
            { "none", 1, 0, 0, "... a guest where the realm does not adopt" },
            { "none", 0, 0, 1, "a guest's record stamped \"none\" stays usable" },
            { "demo", 1, 1, 0, "... but a demo-mode login is a guest there too" },
            { NULL, 0, 0, 1, "a guest's session (a cart, no login) stays usable" },
        };
        const char *k = "sess:LoginHowTest0123456789abcdef";
        const char *c = apr_pstrcat(pool, "connect.sid=",
                                    sd_cookie_uri_encode(pool, sd_cookie_sign(pool, k + 5, secret)), NULL);
        vh.rt.authn = (sd_authn *)&stats;   /* only its presence matters here */
        for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); ++i) {
            const char *rec = apr_psprintf(
                pool, "{\"cookie\":{\"originalMaxAge\":3600000,\"expires\":\"2030-01-01T00:00:00.000Z\","
                "\"httpOnly\":true,\"path\":\"/\"},\"sessiondemo\":{\"realm\":\"shop\",\"gen\":5,"
                "\"saved\":1,\"created\":1%s%s%s},%s\"cart\":[\"x\"]}",
                rows[i].login ? ",\"login\":\"" : "", rows[i].login ? rows[i].login : "",
                rows[i].login ? "\"" : "",
                rows[i].logged_in ? "\"isLoggedIn\":true,\"username\":\"alice\"," : "");
            conf.realmless = rows[i].adopt ? SD_REALMLESS_ADOPT : SD_REALMLESS_GUEST;
            fake_backend_put(&f, 0, k, rec);
            fake_backend_put(&f, 1, k, rec);
            r = fake_request(pool, c);
            sd_session_load(r, &vh, SD_SESSION_READ, &s);
            TAP_OK(sd_session_is_live(s) == rows[i].live
                   && (rows[i].live || !sd_session_get(s, "username")), "%s", rows[i].what);
            sd_session_close(s);
        }
        conf.realmless = SD_REALMLESS_GUEST;
        /* A login says how it was verified, and keeps saying it. */
        r = fake_request(pool, NULL);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        sd_session_set_login(s, SD_RECORD_LOGIN_PASSWORD);
        sd_session_set_new(s, "isLoggedIn", json_true());
        sd_session_commit(s);
        cookie = fake_cookie_of(r);
        key = apr_pstrcat(pool, "sess:", sd_cookie_unsign(pool, fake_cookie_find(pool, cookie, "connect.sid"),
                                                          secret, 1, NULL), NULL);
        TAP_OK(strstr(fake_backend_value(&f, 0, key), "\"login\":\"password\"}") != NULL,
               "a login is stored with how it was verified");
        r = fake_request(pool, cookie);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        sd_session_set_new(s, "visitCount", json_integer(1));
        TAP_OK(sd_session_commit(s) == SD_OK && sd_session_is_live(s)
               && strstr(fake_backend_value(&f, 0, key), "\"gen\":2,")
               && strstr(fake_backend_value(&f, 0, key), "\"login\":\"password\"}"),
               "... and the next write keeps it");
        r = fake_request(pool, cookie);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        sd_session_set_new(s, "visitCount", json_integer(1));
        TAP_OK(json_is_true(sd_session_get_mut(s, "isLoggedIn")) && sd_session_commit(s) == SD_OK
               && strstr(fake_backend_value(&f, 0, key), "\"gen\":2,"),
               "a field set to its own value, or lent and left as it was, is no change: no write");
        r = fake_request(pool, cookie);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        {
            json_t *count = sd_session_get_mut(s, "visitCount");
            sd_session_get_mut(s, "isLoggedIn");
            json_integer_set(count, 5);
        }
        TAP_OK(sd_session_commit(s) == SD_OK
               && strstr(fake_backend_value(&f, 0, key), "\"visitCount\":5"),
               "a field changed in place after another was lent is written too");
        r = fake_request(pool, NULL);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        sd_session_set_new(s, "cart", json_array());
        sd_session_commit(s);
        key = apr_pstrcat(pool, "sess:", sd_cookie_unsign(pool, fake_cookie_find(pool, fake_cookie_of(r), "connect.sid"),
                                                          secret, 1, NULL), NULL);
        TAP_OK(strstr(fake_backend_value(&f, 0, key), "\"login\":\"none\"}") != NULL,
               "a guest's record says \"login\":\"none\" (every record says how)");
        vh.rt.authn = NULL;
    }

    /* Too big for the item size (the fake takes 1024 bytes): refused, the
     * stored session intact. */
    r = fake_request(pool, NULL);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    sd_session_set_new(s, "n", json_integer(1));
    sd_session_commit(s);
    cookie = fake_cookie_of(r);
    key = apr_pstrcat(pool, "sess:", sd_cookie_unsign(pool, fake_cookie_find(pool, cookie, "connect.sid"),
                                                      secret, 1, NULL), NULL);
    v = apr_pstrdup(pool, fake_backend_value(&f, 0, key));
    r = fake_request(pool, cookie);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    {
        char big[1100];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        sd_session_set_new(s, "big", json_string(big));
    }
    TAP_OK(sd_session_commit(s) == SD_TOO_LARGE, "a change too big for memcached is refused");
    TAP_OK(strcmp(fake_backend_value(&f, 0, key), v) == 0, "... and the stored session is as it was");

    /* Several cookies of our name: the one ID every verifying value names
     * is used; two different IDs (one planted by a sibling host) make a
     * guest, whichever comes first. */
    {
        const char *ca, *cb, *ida;
        apr_uint64_t bad = stats.bad_signatures;
        r = fake_request(pool, NULL);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        sd_session_set_new(s, "isLoggedIn", json_true());
        sd_session_commit(s);
        ca = fake_cookie_of(r);
        ida = sd_session_id(s);
        r = fake_request(pool, NULL);
        sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
        sd_session_set_new(s, "isLoggedIn", json_true());
        sd_session_commit(s);
        cb = fake_cookie_of(r);
        r = fake_request(pool, apr_pstrcat(pool, "connect.sid=s%3Ajunk.nosig; ", ca, NULL));
        sd_session_load(r, &vh, SD_SESSION_READ, &s);
        TAP_OK(sd_session_is_live(s) && strcmp(sd_session_id(s), ida) == 0,
               "two cookies of our name, one verifies: that one is used");
        sd_session_close(s);
        r = fake_request(pool, apr_pstrcat(pool, ca, "; x=1; ", ca, NULL));
        sd_session_load(r, &vh, SD_SESSION_READ, &s);
        TAP_OK(sd_session_is_live(s) && strcmp(sd_session_id(s), ida) == 0,
               "the same cookie twice: used");
        sd_session_close(s);
        r = fake_request(pool, apr_pstrcat(pool, cb, "; ", ca, NULL));
        sd_session_load(r, &vh, SD_SESSION_READ, &s);
        TAP_OK(!sd_session_is_live(s) && !sd_session_get(s, "isLoggedIn")
               && stats.bad_signatures == bad + 1,
               "two cookies naming two different live sessions: a guest (counted), not the first");
        sd_session_close(s);
        r = fake_request(pool, apr_pstrcat(pool, ca, "; ", cb, NULL));
        sd_session_load(r, &vh, SD_SESSION_READ, &s);
        TAP_OK(!sd_session_is_live(s), "... in either order");
        sd_session_close(s);
        r = fake_request(pool, "x=1");
        sd_session_stash_cookie(r, ca);
        sd_session_load(r, &vh, SD_SESSION_READ, &s);
        TAP_OK(sd_session_is_live(s) && strcmp(sd_session_id(s), ida) == 0,
               "a cookie the gate removed from the headers is still the request's session");
        sd_session_close(s);
    }

    apr_pool_destroy(pool);
    apr_terminate();
    TAP_DONE();
}
