/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Login throttling: the policy, the counters' keys and their reads and
 * counts through the store (docs/directives.md, SessionDemoLoginFailures*). */
#include "sd_throttle.h"
#include "sd_mac.h"

#include <string.h>
#include <arpa/inet.h>

#include <apr_atomic.h>
#include <apr_escape.h>
#include <apr_strings.h>

#define SD_THROTTLE_KEY_BYTES 32
#define SD_THROTTLE_FIRST_DELAY apr_time_from_msec(250)
/* A name with this many times its limit of failures slows every address
 * that tries it, not only those that failed for it. */
#define SD_THROTTLE_EVERY_ADDRESS 3
#define SD_THROTTLE_INFO "mod_sessiondemo login throttle v1"

struct sd_throttle {
    unsigned char key[SD_THROTTLE_KEY_BYTES];
    sd_mac *mac;              /* keyed with key */
    const char *prefix;
    const char *realm;
    sd_throttle_limits limits;
    volatile apr_uint32_t unreachable_said;
};

/* The wait for `count` failures against `limit`: none below half of it. */
static apr_interval_time_t delay_for(apr_int64_t count, apr_int64_t limit)
{
    apr_int64_t soft = limit / 2, steps;
    apr_interval_time_t d = SD_THROTTLE_FIRST_DELAY;

    if (limit <= 0 || count <= 0 || count < soft) {
        return 0;
    }
    for (steps = count - soft; steps > 0 && d < SD_THROTTLE_MAX_DELAY; --steps) {
        d *= 2;
    }
    return d < SD_THROTTLE_MAX_DELAY ? d : SD_THROTTLE_MAX_DELAY;
}

void sd_throttle_decide(const sd_throttle_limits *limits, const sd_throttle_counts *counts,
                        sd_throttle_verdict *out)
{
    apr_interval_time_t by_address, by_user = 0;

    memset(out, 0, sizeof(*out));
    if (limits->per_address > 0 && counts->address >= limits->per_address) {
        out->outcome = SD_THROTTLE_BLOCK_ADDRESS;
        out->retry_after = limits->window;
        return;
    }
    /* Well over its limit, a name slows every address (no 429: its owner
     * can still log in), or each new /64 of a /48 would guess at full speed. */
    if (limits->per_user > 0) {
        if (counts->pair > 0) {
            if (counts->user >= limits->per_user) {
                out->outcome = SD_THROTTLE_BLOCK_USER;
                out->retry_after = limits->window;
                return;
            }
            by_user = delay_for(counts->user, limits->per_user);
        }
        else if (counts->user >= SD_THROTTLE_EVERY_ADDRESS * limits->per_user) {
            by_user = delay_for(counts->user, limits->per_user);
        }
    }
    by_address = delay_for(counts->address, limits->per_address);
    out->outcome = SD_THROTTLE_ALLOW;
    out->delay = by_address > by_user ? by_address : by_user;
}

const char *sd_throttle_address(apr_pool_t *p, const char *ip)
{
    unsigned char a[16];

    if (!ip) {
        return NULL;
    }
    if (inet_pton(AF_INET, ip, a) == 1) {
        return apr_pstrdup(p, ip);
    }
    if (inet_pton(AF_INET6, ip, a) == 1) {
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(a, mapped, sizeof(mapped)) == 0) {
            return apr_psprintf(p, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        }
        return apr_psprintf(p, "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64",
                            a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    }
    return NULL;
}

sd_throttle *sd_throttle_create(apr_pool_t *p, const unsigned char *secret, apr_size_t len,
                                const char *key_prefix, const char *realm,
                                const sd_throttle_limits *limits, const char **err)
{
    sd_throttle *t = apr_pcalloc(p, sizeof(*t));

    if (!sd_mac_hkdf(secret, len, SD_THROTTLE_INFO, t->key, sizeof(t->key))) {
        *err = "OpenSSL's HKDF failed to derive the login throttle's key";
        return NULL;
    }
    if (sd_mac_create(p, t->key, sizeof(t->key), &t->mac) != APR_SUCCESS) {
        *err = "OpenSSL has no HMAC-SHA256 for the login throttle's keys";
        return NULL;
    }
    t->prefix = key_prefix ? key_prefix : "";
    t->realm = realm ? realm : "";
    t->limits = *limits;
    return t;
}

const sd_throttle_limits *sd_throttle_get_limits(const sd_throttle *t)
{
    return &t->limits;
}

const char *sd_throttle_key(apr_pool_t *p, const sd_throttle *t, const char *kind,
                            const char *user, const char *address)
{
    unsigned char mac[SD_MAC_LEN];
    char *name = apr_pstrdup(p, user ? user : ""), *hex;
    const char *data;
    apr_size_t len;

    for (char *c = name; *c; ++c) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char)(*c - 'A' + 'a');
        }
    }
    /* NUL-separated fields, the last one's NUL included: no two (realm,
     * kind, name, address) collide. */
    address = address ? address : "";
    len = strlen(t->realm) + strlen(kind) + strlen(name) + strlen(address) + 4;
    data = apr_psprintf(p, "%s%c%s%c%s%c%s", t->realm, 0, kind, 0, name, 0, address);
    if (!sd_mac_compute(t->mac, data, len, mac)) {
        return NULL;
    }
    hex = apr_palloc(p, sizeof(mac) * 2 + 1);
    apr_escape_hex(hex, mac, sizeof(mac), 0, NULL);
    return apr_pstrcat(p, t->prefix, "thr:", hex, NULL);
}

static sd_store_result one_count(const sd_throttle *t, sd_store *st, const sd_backend_call *call,
                                 const char *kind, const char *user, const char *address,
                                 apr_int32_t delta, apr_uint32_t *value)
{
    const char *key = sd_throttle_key(call->pool, t, kind, user, address);
    sd_store_result r;

    *value = 0;
    if (!key) {
        return SD_STORE_ERROR;
    }
    r = sd_store_counter(st, call, key, delta, t->limits.window, value);
    return r == SD_STORE_NOTFOUND && delta <= 0 ? SD_STORE_OK : r;
}

/* The three counts, each changed by delta; the first failure ends it. */
static sd_store_result all_counts(const sd_throttle *t, sd_store *st, const sd_backend_call *call,
                                  const char *user, const char *address, apr_int32_t delta,
                                  sd_throttle_counts *out)
{
    sd_store_result r;

    memset(out, 0, sizeof(*out));
    if ((r = one_count(t, st, call, "addr", NULL, address, delta, &out->address)) != SD_STORE_OK
        || (r = one_count(t, st, call, "user", user, NULL, delta, &out->user)) != SD_STORE_OK) {
        return r;
    }
    return one_count(t, st, call, "pair", user, address, delta, &out->pair);
}

sd_store_result sd_throttle_read(const sd_throttle *t, sd_store *st, const sd_backend_call *call,
                                 const char *user, const char *address,
                                 sd_throttle_counts *out)
{
    return all_counts(t, st, call, user, address, 0, out);
}

sd_store_result sd_throttle_attempt(const sd_throttle *t, sd_store *st,
                                    const sd_backend_call *call, const char *user,
                                    const char *address, sd_throttle_counts *prior,
                                    sd_throttle_verdict *verdict)
{
    sd_throttle_counts unused;
    sd_store_result r;

    memset(prior, 0, sizeof(*prior));
    memset(verdict, 0, sizeof(*verdict));
    /* The address first: a blocked one must not create a counter per name
     * it makes up. */
    r = one_count(t, st, call, "addr", NULL, address, 1, &prior->address);
    if (r != SD_STORE_OK) {
        return r;
    }
    --prior->address;
    sd_throttle_decide(&t->limits, prior, verdict);
    if (verdict->outcome == SD_THROTTLE_BLOCK_ADDRESS) {
        /* Refused before any check: only real attempts count. */
        (void)one_count(t, st, call, "addr", NULL, address, -1, &unused.address);
        return SD_STORE_OK;
    }
    /* A failed count ends the attempt (503): the ones made are taken back,
     * or while a server flaps every such 503 would count as a failure. */
    r = one_count(t, st, call, "user", user, NULL, 1, &prior->user);
    if (r != SD_STORE_OK) {
        (void)one_count(t, st, call, "addr", NULL, address, -1, &unused.address);
        return r;
    }
    r = one_count(t, st, call, "pair", user, address, 1, &prior->pair);
    if (r != SD_STORE_OK) {
        (void)one_count(t, st, call, "addr", NULL, address, -1, &unused.address);
        (void)one_count(t, st, call, "user", user, NULL, -1, &unused.user);
        return r;
    }
    --prior->user;
    --prior->pair;
    sd_throttle_decide(&t->limits, prior, verdict);
    if (verdict->outcome != SD_THROTTLE_ALLOW) {
        (void)all_counts(t, st, call, user, address, -1, &unused);
    }
    return SD_STORE_OK;
}

sd_store_result sd_throttle_release(const sd_throttle *t, sd_store *st,
                                      const sd_backend_call *call, const char *user,
                                      const char *address)
{
    sd_throttle_counts after;
    return all_counts(t, st, call, user, address, -1, &after);
}

int sd_throttle_unreachable_first(sd_throttle *t)
{
    return apr_atomic_xchg32(&t->unreachable_said, 1) == 0;
}

void sd_throttle_reachable(sd_throttle *t)
{
    if (apr_atomic_read32(&t->unreachable_said)) {
        apr_atomic_set32(&t->unreachable_said, 0);
    }
}
