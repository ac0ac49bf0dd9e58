/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Prometheus text format 0.0.4: a family is its HELP and TYPE lines, then
 * its samples; a histogram's buckets are cumulative with a last `+Inf`
 * one equal to _count. OpenMetrics differs only in that a counter family
 * is named without its samples' `_total`, HELP escapes quotes too, and
 * `# EOF` ends the text. */
#include "sd_metrics.h"

#include <apr_strings.h>
#include <apr_tables.h>

#include <string.h>

#define PREFIX "sessiondemo_"

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *pieces;
    int openmetrics;
} out_t;

static void put(out_t *o, const char *text)
{
    APR_ARRAY_PUSH(o->pieces, const char *) = text;
}

/* Backslash and line feed, and the double quote where the text is quoted
 * (a label value, or OpenMetrics' HELP). */
static const char *escape(apr_pool_t *p, const char *text, int quoted)
{
    char *esc = apr_palloc(p, 2 * strlen(text) + 1), *at = esc;
    for (const char *c = text; *c; ++c) {
        if (*c == '\\' || *c == '\n' || (quoted && *c == '"')) {
            *at++ = '\\';
            *at++ = *c == '\n' ? 'n' : *c;
        }
        else {
            *at++ = *c;
        }
    }
    *at = '\0';
    return esc;
}

static void family(out_t *o, const char *name, const char *type, const char *help)
{
    put(o, apr_psprintf(o->p, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name,
                        escape(o->p, help, o->openmetrics), name, type));
}

/* Microseconds as exact decimal seconds ("0.00005", "2.5", "1"), the way
 * the bucket bounds and sums read best. */
static const char *seconds(apr_pool_t *p, apr_uint64_t us)
{
    char *text = apr_psprintf(p, "%" APR_UINT64_T_FMT ".%06" APR_UINT64_T_FMT,
                              us / 1000000, us % 1000000);
    char *end = text + strlen(text) - 1;
    while (*end == '0') {
        *end-- = '\0';
    }
    if (*end == '.') {
        *end = '\0';
    }
    return text;
}

/* One label set of a histogram: `labels` is "" or `name="value",`. */
static void histogram_samples(out_t *o, const char *name, const char *labels,
                              const sd_stats_histogram *h)
{
    sd_stats_snapshot snap;
    apr_size_t len = strlen(labels);
    /* Without its trailing comma, for _sum and _count. */
    const char *bare = len ? apr_psprintf(o->p, "{%.*s}", (int)(len - 1), labels) : "";

    sd_stats_histogram_read(h, &snap);
    for (int i = 0; i < SD_STATS_NBUCKETS; ++i) {
        put(o, apr_psprintf(o->p, PREFIX "%s_bucket{%sle=\"%s\"} %" APR_UINT64_T_FMT "\n", name,
                            labels, seconds(o->p, (apr_uint64_t)sd_stats_bucket_bound(i)),
                            snap.cumulative[i]));
    }
    put(o, apr_psprintf(o->p, PREFIX "%s_bucket{%sle=\"+Inf\"} %" APR_UINT64_T_FMT "\n"
                        PREFIX "%s_sum%s %s\n" PREFIX "%s_count%s %" APR_UINT64_T_FMT "\n",
                        name, labels, snap.cumulative[SD_STATS_NBUCKETS], name, bare,
                        seconds(o->p, snap.sum_us), name, bare,
                        snap.cumulative[SD_STATS_NBUCKETS]));
}

static void store_errors(out_t *o, const sd_stats *st)
{
    for (int i = 0; i < SD_STATS_MAX_SERVERS; ++i) {
        apr_uint64_t n = atomic_load_explicit(&st->servers[i].store_errors, memory_order_relaxed);
        if (st->servers[i].name[0] || n) {
            put(o, apr_psprintf(o->p, PREFIX "store_errors_total{server=\"%s\"} %"
                                APR_UINT64_T_FMT "\n",
                                escape(o->p, st->servers[i].name[0]
                                       ? st->servers[i].name : "other", 1), n));
        }
    }
}

char *sd_metrics_write(apr_pool_t *p, const sd_metrics_input *in, apr_size_t *len)
{
    out_t o = { p, apr_array_make(p, 64, sizeof(const char *)), in->openmetrics };
    char *text;
    static const sd_stats_histogram none;
    const sd_stats *st = in->stats;

    for (int i = 0; i < SD_STATS_NCOUNTERS; ++i) {
        const char *name = apr_pstrcat(p, sd_stats_counter_name(i), "_total", NULL);
        family(&o, in->openmetrics ? sd_stats_counter_name(i) : name, "counter",
               sd_stats_counter_help(i));
        if (st && strcmp(name, "store_errors_total") == 0) {
            /* By server, so that sum() is the status page's total. */
            store_errors(&o, st);
            continue;
        }
        put(&o, apr_psprintf(p, PREFIX "%s %" APR_UINT64_T_FMT "\n", name,
                             sd_stats_counter_value(st, i)));
    }

    if (in->version) {
        family(&o, "build_info", "gauge", "The module's version, as its label; always 1.");
        put(&o, apr_psprintf(p, PREFIX "build_info{version=\"%s\"} 1\n",
                             escape(p, in->version, 1)));
    }

    family(&o, "memcached_up", "gauge",
           "Whether the prober finds the memcached server usable (1) or not (0).");
    for (int i = 0; i < in->nservers; ++i) {
        put(&o, apr_psprintf(p, PREFIX "memcached_up{server=\"%s\"} %d\n",
                             escape(p, in->servers[i].name, 1),
                             in->servers[i].up ? 1 : 0));
    }

    if (in->has_host_locks) {
        family(&o, "host_locks_held", "gauge",
               "Session locks held now in this httpd's shared lock table.");
        put(&o, apr_psprintf(p, PREFIX "host_locks_held %u\n", (unsigned)in->host_locks_held));
    }

    family(&o, "store_call_seconds", "histogram",
           "Time of each memcached command (with its retries), by command.");
    for (int op = 0; op < SD_STATS_NSTORE_OPS; ++op) {
        histogram_samples(&o, "store_call_seconds",
                          apr_psprintf(p, "op=\"%s\",", sd_stats_store_op_name(op)),
                          st ? &st->store_calls[op] : &none);
    }

    family(&o, "lock_wait_seconds", "histogram",
           "Time waited for a session lock that was held, by the requests that waited.");
    histogram_samples(&o, "lock_wait_seconds", "", st ? &st->lock_wait : &none);
    if (in->openmetrics) {
        put(&o, "# EOF\n");
    }
    text = apr_array_pstrcat(p, o.pieces, 0);
    *len = strlen(text);
    return text;
}
