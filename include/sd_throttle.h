/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Login failures counted in memcached per name, per address and per name
 * from that address, for every front-end of a realm, under keyed-hash keys
 * (a key listing names no user). The HTTP answer is the routes'. */
#ifndef SD_THROTTLE_H
#define SD_THROTTLE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "sd_store.h"

/* The longest wait before a password is checked: a delay holds a worker
 * thread, so it stays short and the block (429) does the rest. */
#define SD_THROTTLE_MAX_DELAY apr_time_from_msec(2000)

typedef struct {
    apr_int64_t per_user;     /* failures per name (0: no per-name limit)   */
    apr_int64_t per_address;  /* failures per address (0: no limit)         */
    apr_int64_t window;       /* seconds a count lives, from its first one  */
} sd_throttle_limits;

/* Failures counted in the current windows. */
typedef struct {
    apr_uint32_t user;        /* for the name, from every address          */
    apr_uint32_t address;     /* from the address, for every name          */
    apr_uint32_t pair;        /* for the name, from this address           */
} sd_throttle_counts;

typedef enum {
    SD_THROTTLE_ALLOW,
    SD_THROTTLE_BLOCK_ADDRESS,   /* the address has failed too often       */
    SD_THROTTLE_BLOCK_USER       /* the name has, and so has this address  */
} sd_throttle_outcome;

typedef struct {
    sd_throttle_outcome outcome;
    apr_interval_time_t delay;   /* wait this long before the check (ALLOW) */
    apr_int64_t retry_after;     /* seconds, when blocked                   */
} sd_throttle_verdict;

/* The per-name limit blocks only addresses that failed for that name, so
 * no attacker locks a real user out of a clean address. Before a block,
 * the last half of the way is slowed (250 ms, doubling, at most 2 s). */
void sd_throttle_decide(const sd_throttle_limits *limits, const sd_throttle_counts *counts,
                        sd_throttle_verdict *out);

/* The address a client is counted by: IPv4 as is (also when mapped into
 * IPv6), IPv6 by its /64 (one host gets a whole /64 to pick from). NULL
 * when ip is not an address. */
const char *sd_throttle_address(apr_pool_t *p, const char *ip);

typedef struct sd_throttle sd_throttle;

/* The counters' key, by HKDF from the signing secret (rotating it starts
 * the counts again); NULL with *err when OpenSSL fails. */
sd_throttle *sd_throttle_create(apr_pool_t *p, const unsigned char *secret, apr_size_t len,
                                const char *key_prefix, const char *realm,
                                const sd_throttle_limits *limits, const char **err);

/* "<prefix>thr:" and the hex HMAC of realm, kind ("user", "addr", "pair")
 * and values; ASCII letters lowered, so Alice and alice share a count. */
const char *sd_throttle_key(apr_pool_t *p, const sd_throttle *t, const char *kind,
                            const char *user, const char *address);

const sd_throttle_limits *sd_throttle_get_limits(const sd_throttle *t);

/* The three counts (a miss is 0); anything but SD_STORE_OK: unknown. */
sd_store_result sd_throttle_read(const sd_throttle *t, sd_store *st, const sd_backend_call *call,
                                 const char *user, const char *address,
                                 sd_throttle_counts *out);

/* Counts an attempt as a failure before its password is checked, with the
 * counts before it and their verdict: each of a burst of parallel attempts
 * sees its own place in line (a read then a count would let the whole burst
 * through). A blocked attempt is taken back. Anything but SD_STORE_OK: the
 * caller must not check the password (no unthrottled oracle). */
sd_store_result sd_throttle_attempt(const sd_throttle *t, sd_store *st,
                                    const sd_backend_call *call, const char *user,
                                    const char *address, sd_throttle_counts *prior,
                                    sd_throttle_verdict *verdict);

/* Takes back an attempt's own count when it tried no wrong password. */
sd_store_result sd_throttle_release(const sd_throttle *t, sd_store *st,
                                      const sd_backend_call *call, const char *user,
                                      const char *address);

/* 1 the first time it is called after the counters were last reachable
 * (sd_throttle_reachable): the caller logs the outage once, not per login. */
int sd_throttle_unreachable_first(sd_throttle *t);
void sd_throttle_reachable(sd_throttle *t);

#endif
