/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* An in-memory stand-in for the lock commands of sd_store.h, with
 * memcached's expiry rule: its clock ticks once a second, so an item added
 * with a TTL of N seconds is gone at the N-th tick after it arrived (between
 * N - 1 and N seconds later). An add can be made to take time in transit. */
#ifndef SD_FAKE_LOCK_STORE_H
#define SD_FAKE_LOCK_STORE_H

#include "sd_store.h"

typedef struct {
    char key[256];
    char value[128];
    apr_time_t dies;           /* 0: free */
} fake_lock_item;

struct sd_store {
    fake_lock_item items[8];
    apr_interval_time_t transit;    /* each way, for every command        */
    int adds, unlocks;
    char last_unlock_token[128];
};

/* When memcached drops an item that arrived at `arrival` with `ttl` s. */
apr_time_t fake_lock_store_drop_time(apr_time_t arrival, apr_int64_t ttl);

/* The item's value, or NULL when memcached would not return it now. */
const char *fake_lock_store_value(sd_store *st, const char *key);

#endif
