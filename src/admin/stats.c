/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The counters' shared block, and the tables that let the pages show every
 * counter without naming each. */
#include "sd_stats.h"

#include <apr_strings.h>

#include <stddef.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *help;
    size_t offset;
} counter_info;

static const counter_info counters[] = {
#define SD_STATS_INFO_(field, name, help) { name, help, offsetof(sd_stats, field) },
    SD_STATS_COUNTERS(SD_STATS_INFO_)
#undef SD_STATS_INFO_
};

static const char *const op_names[] = {
#define SD_STATS_OP_NAME_(op) #op,
    SD_STATS_STORE_OPS(SD_STATS_OP_NAME_)
#undef SD_STATS_OP_NAME_
};

/* Everything a module of another build could lay out differently: the
 * lists as text, and the struct's size. */
#define SD_STATS_TEXT_C_(field, name, help) #field ","
#define SD_STATS_TEXT_B_(b) #b ","
#define SD_STATS_TEXT_O_(op) #op ","
static const char layout_text[] = SD_STATS_COUNTERS(SD_STATS_TEXT_C_) ";"
    SD_STATS_BUCKETS(SD_STATS_TEXT_B_) ";" SD_STATS_STORE_OPS(SD_STATS_TEXT_O_);

apr_uint64_t sd_stats_layout(void)
{
    apr_uint64_t h = 0xcbf29ce484222325ULL;  /* FNV-1a */
    for (const char *c = layout_text; *c; ++c) {
        h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    }
    return h ^ (apr_uint64_t)sizeof(sd_stats);
}

apr_status_t sd_stats_create(apr_pool_t *pool, apr_shm_t **shm, sd_stats **out)
{
    apr_status_t rv = apr_shm_create(shm, sizeof(sd_stats), NULL, pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* APR does not promise zeroed memory; zero is every atomic's initial
     * value. */
    *out = memset(apr_shm_baseaddr_get(*shm), 0, sizeof(sd_stats));
    return APR_SUCCESS;
}

const char *sd_stats_counter_name(int i)
{
    return i >= 0 && i < SD_STATS_NCOUNTERS ? counters[i].name : NULL;
}

const char *sd_stats_counter_help(int i)
{
    return i >= 0 && i < SD_STATS_NCOUNTERS ? counters[i].help : NULL;
}

apr_uint64_t sd_stats_counter_value(const sd_stats *st, int i)
{
    if (!st || i < 0 || i >= SD_STATS_NCOUNTERS) {
        return 0;
    }
    return atomic_load_explicit(
        (const _Atomic apr_uint64_t *)(const void *)((const char *)st + counters[i].offset),
        memory_order_relaxed);
}

const char *sd_stats_store_op_name(int op)
{
    return op >= 0 && op < SD_STATS_NSTORE_OPS ? op_names[op] : NULL;
}

void sd_stats_histogram_read(const sd_stats_histogram *h, sd_stats_snapshot *out)
{
    apr_uint64_t total = 0;
    memset(out, 0, sizeof(*out));
    if (!h) {
        return;
    }
    for (int i = 0; i <= SD_STATS_NBUCKETS; ++i) {
        total += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        out->cumulative[i] = total;
    }
    out->sum_us = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
}

int sd_stats_server_claim(sd_stats *st, const char *name)
{
    int i = sd_stats_server_find(st, name);
    if (i == SD_STATS_MAX_SERVERS - 1) {
        for (i = 0; i < SD_STATS_MAX_SERVERS - 1 && st->servers[i].name[0]; ++i) {
        }
        if (i == SD_STATS_MAX_SERVERS - 1) {
            name = "other";
        }
        apr_cpystrn(st->servers[i].name, name, sizeof(st->servers[i].name));
    }
    return i;
}
