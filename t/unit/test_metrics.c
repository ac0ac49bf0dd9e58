/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the Prometheus writer: the exact lines of a counter, a
 * gauge and a histogram, label values escaped, a block's values, and what
 * OpenMetrics changes. */
#include "sd_metrics.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <string.h>

static int has_line(const char *text, const char *line)
{
    apr_size_t n = strlen(line);
    for (const char *at = text; (at = strstr(at, line)) != NULL; at += n) {
        if ((at == text || at[-1] == '\n') && at[n] == '\n') {
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    apr_pool_t *p;
    sd_stats st, *stp = &st;
    const char *text;
    apr_size_t len;
    sd_metrics_server servers[3] = { { "127.0.0.1:11211", 1 }, { "we\"ird\\na\nme", 0 },
                                     { "a\"b\\c\nd", 0 } };
    sd_metrics_input in;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(22);

    memset(&st, 0, sizeof(st));
    SD_STATS_ADD(stp, created, 7);
    sd_stats_observe(&st.store_calls[SD_STATS_STORE_add], 30);
    sd_stats_observe(&st.store_calls[SD_STATS_STORE_add], 2000000);
    apr_cpystrn(st.servers[0].name, "127.0.0.1:11211", sizeof(st.servers[0].name));
    SD_STATS_ADD(&st.servers[0], store_errors, 2);
    SD_STATS_ADD(stp, store_errors, 2);
    in = (sd_metrics_input){ &st, servers, 3, 1, 3, 0, "1.2.3" };
    text = sd_metrics_write(p, &in, &len);
    /* Label values, escaped as the format wants them between quotes. */
    TAP_OK(has_line(text, "sessiondemo_store_errors_total{server=\"127.0.0.1:11211\"} 2"),
           "plain label value");
    TAP_OK(has_line(text, "sessiondemo_memcached_up{server=\"a\\\"b\\\\c\\nd\"} 0"),
           "quote, backslash and line feed escaped");
    TAP_OK(len == strlen(text), "one text, its length");

    TAP_OK(has_line(text, "# HELP sessiondemo_sessions_created_total New sessions stored."),
           "a counter's HELP");
    TAP_OK(has_line(text, "# TYPE sessiondemo_sessions_created_total counter"), "... TYPE");
    TAP_OK(has_line(text, "sessiondemo_sessions_created_total 7"), "... and value");
    TAP_OK(has_line(text, "sessiondemo_lock_waits_total 0"), "a counter never counted: 0");
    TAP_OK(has_line(text, "sessiondemo_memcached_up{server=\"127.0.0.1:11211\"} 1"), "a server up");
    TAP_OK(has_line(text, "sessiondemo_memcached_up{server=\"we\\\"ird\\\\na\\nme\"} 0"),
           "a server down, its name escaped");
    TAP_OK(has_line(text, "sessiondemo_host_locks_held 3"), "host locks held");
    TAP_OK(has_line(text, "sessiondemo_store_call_seconds_bucket{op=\"add\",le=\"0.00005\"} 1"),
           "the first bucket's bound in seconds, exact");
    TAP_OK(has_line(text, "sessiondemo_store_call_seconds_bucket{op=\"add\",le=\"2.5\"} 2")
           && has_line(text, "sessiondemo_store_call_seconds_bucket{op=\"add\",le=\"1\"} 1"),
           "buckets are cumulative");
    TAP_OK(has_line(text, "sessiondemo_store_call_seconds_bucket{op=\"add\",le=\"+Inf\"} 2")
           && has_line(text, "sessiondemo_store_call_seconds_count{op=\"add\"} 2"),
           "+Inf and _count agree");
    TAP_OK(has_line(text, "sessiondemo_store_call_seconds_sum{op=\"add\"} 2.00003"), "_sum in seconds");
    TAP_OK(has_line(text, "sessiondemo_lock_wait_seconds_count 0")
           && has_line(text, "sessiondemo_lock_wait_seconds_sum 0"), "an unlabelled histogram");
    TAP_OK(has_line(text, "sessiondemo_store_errors_total{server=\"127.0.0.1:11211\"} 2")
           && !strstr(text, "sessiondemo_store_errors_total 2")
           && !strstr(text, "store_errors_total{server=\"other\"}"),
           "store errors by server, only the servers named or counted");
    TAP_OK(has_line(text, "# TYPE sessiondemo_build_info gauge")
           && has_line(text, "sessiondemo_build_info{version=\"1.2.3\"} 1"), "build_info");
    TAP_OK(!strstr(text, "# EOF"), "0.0.4 has no # EOF");

    in.openmetrics = 1;
    text = sd_metrics_write(p, &in, &len);
    TAP_OK(has_line(text, "# TYPE sessiondemo_sessions_created counter")
           && has_line(text, "# HELP sessiondemo_sessions_created New sessions stored."),
           "OpenMetrics: a counter family is named without _total");
    TAP_OK(has_line(text, "sessiondemo_sessions_created_total 7"), "... its sample with it");
    TAP_OK(len > 6 && strcmp(text + len - 6, "# EOF\n") == 0, "... and # EOF ends the text");

    in = (sd_metrics_input){ NULL, NULL, 0, 0, 0, 0, NULL };
    text = sd_metrics_write(p, &in, &len);
    TAP_OK(has_line(text, "sessiondemo_sessions_created_total 0") && !strstr(text, "host_locks_held")
           && has_line(text, "# TYPE sessiondemo_memcached_up gauge"),
           "no block, no servers, no lock table: zeros, families still declared");
    apr_pool_destroy(p);
    apr_terminate();
    return tap_failed;
}
