/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Login throttling shared by every front-end of a realm: failures counted in
 * memcached per username, per client address, and per username from that
 * address, under keys that are keyed hashes (a key listing names no user
 * and no address). The policy (sd_throttle_decide) is a pure function of
 * the counts; the HTTP answer is the routes'. Pure (APR, OpenSSL, store). */
#ifndef SD_THROTTLE_H
#define SD_THROTTLE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "sd_store.h"

/* The longest wait before a password is checked: a delay holds a worker
 * thread, so it stays short and the block (429) does the rest. */
#define SD_THROTTLE_MAX_DELAY apr_time_from_msec(2000)
#define SD_THROTTLE_FIRST_DELAY apr_time_from_msec(250)
/* A name with this many times its limit of failures slows every address
 * that tries it, not only those that failed for it. */
#define SD_THROTTLE_EVERY_ADDRESS 3

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

/* The policy. The per-address limit blocks the address. The per-name limit
 * blocks only addresses that have themselves failed for that name in the
 * window: an attacker cannot lock a real user out from a clean address.
 * Before either block, the last half of the way is slowed: 250 ms at half
 * the limit, doubling with each failure, at most 2 s. A name with
 * SD_THROTTLE_EVERY_ADDRESS times its limit slows every address (2 s, no
 * block), so new addresses get no guesses at full speed. */
void sd_throttle_decide(const sd_throttle_limits *limits, const sd_throttle_counts *counts,
                        sd_throttle_verdict *out);

/* The address a client is counted by: IPv4 as is (also when mapped into
 * IPv6), IPv6 by its /64 (one host gets a whole /64 to pick from). NULL
 * when ip is not an address. */
const char *sd_throttle_address(apr_pool_t *p, const char *ip);

typedef struct sd_throttle sd_throttle;

/* Derives the counters' key with HKDF-SHA256 (info "mod_sessiondemo login
 * throttle v1") from the signing secret (the first: rotating it starts the
 * counts again). realm and prefix are kept (they outlive it). NULL with
 * *err when OpenSSL fails. */
sd_throttle *sd_throttle_create(apr_pool_t *p, const unsigned char *secret, apr_size_t len,
                                const char *key_prefix, const char *realm,
                                const sd_throttle_limits *limits, const char **err);

/* The memcached key of a count: prefix "thr:" and the hex HMAC-SHA256 of
 * the realm, the kind ("user", "addr" or "pair") and the value(s). Names
 * are counted with ASCII letters lowered, so Alice and alice share one. */
const char *sd_throttle_key(apr_pool_t *p, const sd_throttle *t, const char *kind,
                            const char *user, const char *address);

const sd_throttle_limits *sd_throttle_get_limits(const sd_throttle *t);

/* Reads the three counts. Anything but SD_STORE_OK (a miss is a count of 0)
 * means the counts are unknown. */
sd_store_result sd_throttle_read(const sd_throttle *t, sd_store *st, const sd_backend_call *call,
                                 const char *user, const char *address,
                                 sd_throttle_counts *out);

/* Counts an attempt of user from address as a failure before its password
 * is checked, gives in *prior the counts before it and in *verdict
 * sd_throttle_decide's answer to them: each of a burst of parallel
 * attempts sees its own place in line, so no more than the limit get
 * through at once (a read and a later count would let a whole burst
 * through on one reading). The address is counted first: a blocked one
 * touches no name's counter. A refused attempt (a block) is taken back
 * here, before returning. Anything but SD_STORE_OK: the counts are
 * unknown; the caller must not check the password (no unthrottled
 * oracle while memcached is away). */
sd_store_result sd_throttle_attempt(const sd_throttle *t, sd_store *st,
                                    const sd_backend_call *call, const char *user,
                                    const char *address, sd_throttle_counts *prior,
                                    sd_throttle_verdict *verdict);

/* Takes back what sd_throttle_attempt counted, for an attempt that tried
 * no wrong password (its password was right, or it was refused before the
 * check): only its own count, never earlier ones. */
sd_store_result sd_throttle_release(const sd_throttle *t, sd_store *st,
                                      const sd_backend_call *call, const char *user,
                                      const char *address);

/* 1 the first time it is called after the counters were last reachable
 * (sd_throttle_reachable): the caller logs the outage once, not per login. */
int sd_throttle_unreachable_first(sd_throttle *t);
void sd_throttle_reachable(sd_throttle *t);

#endif
