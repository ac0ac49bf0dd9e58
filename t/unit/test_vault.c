/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests of records in the Sealed format, through the session unit and
 * the real replica layer over the fake backend (two servers, one replica):
 * keys are keyed hashes, values sealed on both replicas; the replica
 * protocol compares sealed copies by their header (a tombstone outvotes the
 * copy a replica kept); an altered or moved record is a guest, counted;
 * rotation reads an older secret's key and moves the record on its write. */
#include "sd_session.h"
#include "sd_cookie.h"
#include "sd_record.h"
#include "sd_vault.h"
#include "fake_backend.h"
#include "fake_request.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

static fake_backend f;
static const sd_store_format format = sd_seal_read_header;

static fake_item *item(int server, const char *key)
{
    for (int i = 0; i < FAKE_KEYS; ++i) {
        fake_item *it = &f.servers[server].items[i];
        if (it->used && strcmp(it->key, key) == 0) {
            return it;
        }
    }
    return NULL;
}

static void set_item(int server, const char *key, const char *value, apr_size_t len,
                     apr_uint16_t flags)
{
    fake_backend_put(&f, server, key, "x");
    fake_item *it = item(server, key);
    memcpy(it->value, value, len);
    it->value[len] = '\0';
    it->len = len;
    it->flags = flags;
}

/* Where a session ID's record lives: sess:<keyed hash under vh's first secret>. */
static const char *key_of(apr_pool_t *pool, const sd_vhost *vh, const char *id)
{
    return apr_pstrcat(pool, "sess:", sd_seal_name(pool, &vh->rt.seal[0], id), NULL);
}

static int logged_in(apr_pool_t *pool, sd_vhost *vh, const char *cookie)
{
    sd_session *s;
    request_rec *r = fake_request(pool, cookie);
    int yes = sd_session_load(r, vh, SD_SESSION_READ, &s) == SD_OK
              && json_is_true(sd_session_get(s, "isLoggedIn"));
    sd_session_commit(s);
    return yes;
}

int main(void)
{
    apr_pool_t *pool;
    const char *names[2] = { "10.0.0.1:11211", "10.0.0.2:11211" };
    sd_stats stats;
    sd_config conf, rotated_conf;
    sd_vhost vh, rotated;
    sd_session *s;
    request_rec *r;
    const char *cookie, *id, *key, *v;
    const sd_store *store;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    TAP_PLAN(18);

    fake_backend_init(&f, 2);
    memset(&stats, 0, sizeof(stats));
    conf = fake_session_config(pool, SD_STORE_FORMAT_SEALED, "the old secret of this unit test", NULL);
    memset(&vh, 0, sizeof(vh));
    vh.conf = &conf;
    vh.rt.stats = &stats;
    TAP_OK(sd_vault_prepare(pool, &vh) == NULL && vh.rt.seal && vh.rt.nseal == 1, "sealing keys derived");
    vh.rt.store = sd_store_create(pool, &f.backend, sd_ring_create(pool, names, 2), 2, format,
                                  &stats, NULL, NULL, 16);
    store = vh.rt.store;

    /* A login: stored sealed under the keyed hash of its ID. */
    r = fake_request(pool, NULL);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    sd_session_set_new(s, "isLoggedIn", json_true());
    sd_session_set_new(s, "username", json_string("alice"));
    TAP_OK(sd_session_commit(s) == SD_OK && (cookie = fake_cookie_of(r)) != NULL, "a new session gets a cookie");
    id = sd_cookie_unsign(pool, fake_cookie_find(pool, cookie, "connect.sid"),
                          (const sd_secret *)conf.secrets->elts, 1, NULL);
    key = key_of(pool, &vh, id);
    v = fake_backend_value(&f, 0, key);
    TAP_OK(v && fake_backend_value(&f, 1, key) && !fake_backend_value(&f, 0, apr_pstrcat(pool, "sess:", id, NULL)),
           "stored on both replicas under sess:<keyed hash>, not sess:<id>");
    TAP_OK(v && strncmp(v, "SD1.1.0.", 8) == 0 && !strstr(v, "alice") && !strstr(v, "isLoggedIn")
           && item(0, key)->flags == SD_VAULT_FLAGS_SEALED,
           "... sealed: header of generation 1, nothing in clear, flags 0");
    TAP_OK(logged_in(pool, &vh, cookie), "the cookie opens it");

    /* Logout while a replica is away: the tombstone wins by its header. */
    f.servers[1].state = FAKE_AWAY;
    r = fake_request(pool, cookie);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    TAP_OK(sd_session_destroy(s) == SD_OK && sd_session_commit(s) == SD_OK
           && strncmp(fake_backend_value(&f, 0, key), "SD1.2.1.", 8) == 0,
           "logout with a replica away: a sealed tombstone, generation 2");
    f.servers[1].state = FAKE_UP;
    TAP_OK(strncmp(fake_backend_value(&f, 1, key), "SD1.1.0.", 8) == 0, "the replica comes back with the live copy");
    TAP_OK(!logged_in(pool, &vh, cookie), "... and the old cookie is a guest: the tombstone outvotes it");

    /* A second login, then its record altered on both replicas. */
    r = fake_request(pool, NULL);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    sd_session_set_new(s, "isLoggedIn", json_true());
    sd_session_commit(s);
    cookie = fake_cookie_of(r);
    id = sd_cookie_unsign(pool, fake_cookie_find(pool, cookie, "connect.sid"),
                          (const sd_secret *)conf.secrets->elts, 1, NULL);
    key = key_of(pool, &vh, id);
    {
        fake_item *it = item(0, key);
        char *bad = apr_pstrmemdup(pool, it->value, it->len);
        apr_size_t len = it->len;
        apr_uint64_t before = stats.unsealable;
        bad[len - 5] = bad[len - 5] == 'A' ? 'B' : 'A';
        set_item(0, key, bad, len, 0);
        set_item(1, key, bad, len, 0);
        TAP_OK(!logged_in(pool, &vh, cookie) && stats.unsealable == before + 1,
               "a changed byte: a guest, counted as unsealable");
        set_item(0, key, "{\"cookie\":{},\"isLoggedIn\":true}", 31, 2);
        set_item(1, key, "{\"cookie\":{},\"isLoggedIn\":true}", 31, 2);
        TAP_OK(!logged_in(pool, &vh, cookie) && stats.unsealable == before + 2,
               "plain JSON written by someone without the secret: a guest, counted");
    }

    /* Rotation: the same records read by a server whose first secret is new. */
    rotated_conf = fake_session_config(pool, SD_STORE_FORMAT_SEALED, "the new secret of this unit test", "the old secret of this unit test");
    memset(&rotated, 0, sizeof(rotated));
    rotated.conf = &rotated_conf;
    rotated.rt.stats = &stats;
    sd_vault_prepare(pool, &rotated);
    rotated.rt.store = (sd_store *)store;
    r = fake_request(pool, NULL);
    sd_session_load(r, &vh, SD_SESSION_UPDATE, &s);
    sd_session_set_new(s, "isLoggedIn", json_true());
    sd_session_set_new(s, "visitCount", json_integer(1));
    sd_session_commit(s);
    cookie = fake_cookie_of(r);
    id = sd_cookie_unsign(pool, fake_cookie_find(pool, cookie, "connect.sid"),
                          (const sd_secret *)conf.secrets->elts, 1, NULL);
    key = key_of(pool, &vh, id);
    TAP_OK(logged_in(pool, &rotated, cookie), "after a rotation, a session under the old secret's key is served");
    r = fake_request(pool, cookie);
    sd_session_load(r, &rotated, SD_SESSION_UPDATE, &s);
    sd_session_set_new(s, "visitCount", json_integer(2));
    TAP_OK(sd_session_commit(s) == SD_OK, "... and written");
    {
        const char *new_key = key_of(pool, &rotated, id);
        const char *moved = fake_backend_value(&f, 0, new_key);
        TAP_OK(moved && strncmp(moved, "SD1.2.0.", 8) == 0 && fake_backend_value(&f, 1, new_key),
               "... to the new secret's key on both replicas (generation 2)");
        TAP_OK(!fake_backend_value(&f, 0, key) && !fake_backend_value(&f, 1, key),
               "... and the old secret's key is removed");
        TAP_OK(logged_in(pool, &rotated, cookie), "... still logged in");
        TAP_OK(!logged_in(pool, &vh, cookie), "a server that knows only the old secret cannot open the moved record");
    }

    /* The status page's look (SD_STORE_LOOK) after a rotation: the new
     * secret's name is missing, the old one's server is away. One replica,
     * and a name whose two keys have different servers. */
    {
        const sd_ring *ring = sd_ring_create(pool, names, 2);
        char name[16], *val = NULL;
        apr_size_t len = 0;
        apr_uint16_t flags = 0;
        int at_new = 0, at_old = 0;
        apr_uint64_t before;
        rotated.rt.store = sd_store_create(pool, &f.backend, ring, 1, format, &stats, NULL, NULL, 16);
        for (int i = 0; at_new == at_old; ++i) {
            const char *k_new, *k_old;
            apr_snprintf(name, sizeof(name), "n%d", i);
            k_new = key_of(pool, &rotated, name);
            k_old = key_of(pool, &vh, name);
            sd_ring_lookup(ring, k_new, strlen(k_new), &at_new, 1);
            sd_ring_lookup(ring, k_old, strlen(k_old), &at_old, 1);
        }
        f.servers[at_old].state = FAKE_AWAY;
        before = stats.store_errors;
        r = fake_request(pool, NULL);
        TAP_OK(sd_vault_read(r, &rotated, name, NULL, SD_STORE_LOOK, &val, &len, &flags, NULL, NULL)
               == SD_STORE_DOWN && stats.store_errors == before,
               "a look at a record under an old secret's name on a server away counts no store error");
        f.servers[at_old].state = FAKE_UP;
    }

    /* ... and at a record that does not open: no count of unsealable ones
     * either (the requests that read it count it). */
    {
        const char *k = key_of(pool, &vh, "n-altered");
        char *val = NULL;
        apr_size_t len = 0;
        apr_uint16_t flags = 0;
        apr_uint64_t before = stats.unsealable;
        set_item(0, k, "{}", 2, SD_VAULT_FLAGS_JSON);
        set_item(1, k, "{}", 2, SD_VAULT_FLAGS_JSON);
        r = fake_request(pool, NULL);
        TAP_OK(sd_vault_read(r, &vh, "n-altered", NULL, SD_STORE_LOOK, &val, &len, &flags, NULL, NULL)
               == SD_STORE_NOTFOUND && stats.unsealable == before,
               "a look at a record that does not open counts no unsealable record");
    }
    apr_pool_destroy(pool);
    apr_terminate();
    TAP_DONE();
}
