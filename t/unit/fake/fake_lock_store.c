/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
#include "fake_lock_store.h"
#include "fake_clock.h"

#include <apr_strings.h>
#include <string.h>

apr_time_t fake_lock_store_drop_time(apr_time_t arrival, apr_int64_t ttl)
{
    return (arrival / APR_USEC_PER_SEC + ttl) * APR_USEC_PER_SEC;
}

static fake_lock_item *find(sd_store *st, const char *key)
{
    for (size_t i = 0; i < sizeof(st->items) / sizeof(st->items[0]); ++i) {
        if (st->items[i].dies && apr_time_now() >= st->items[i].dies) {
            st->items[i].dies = 0;
        }
        if (st->items[i].dies && strcmp(st->items[i].key, key) == 0) {
            return &st->items[i];
        }
    }
    return NULL;
}

const char *fake_lock_store_value(sd_store *st, const char *key)
{
    fake_lock_item *it = find(st, key);
    return it ? it->value : NULL;
}

sd_store_result sd_store_lock(sd_store *st, const sd_backend_call *call, const char *key,
                              const char *val, apr_size_t len, apr_int64_t ttl_seconds,
                              apr_uint64_t *sent)
{
    (void)call;
    *sent = 1;
    ++st->adds;
    fake_clock_advance(st->transit);
    if (find(st, key)) {
        fake_clock_advance(st->transit);
        return SD_STORE_EXISTS;
    }
    for (size_t i = 0; i < sizeof(st->items) / sizeof(st->items[0]); ++i) {
        if (!st->items[i].dies) {
            apr_cpystrn(st->items[i].key, key, sizeof(st->items[i].key));
            memcpy(st->items[i].value, val, len < sizeof(st->items[i].value) - 1
                                             ? len : sizeof(st->items[i].value) - 1);
            st->items[i].value[len < sizeof(st->items[i].value) - 1
                               ? len : sizeof(st->items[i].value) - 1] = '\0';
            st->items[i].dies = fake_lock_store_drop_time(apr_time_now(), ttl_seconds);
            break;
        }
    }
    fake_clock_advance(st->transit);
    return SD_STORE_OK;
}

void sd_store_unlock(sd_store *st, const sd_backend_call *call, const char *key,
                     const char *token, apr_size_t len, apr_uint64_t sent)
{
    (void)sent;
    fake_lock_item *it = find(st, key);
    (void)call;
    ++st->unlocks;
    apr_cpystrn(st->last_unlock_token, token, sizeof(st->last_unlock_token));
    if (it && strlen(it->value) == len && memcmp(it->value, token, len) == 0) {
        it->dies = 0;
    }
}
