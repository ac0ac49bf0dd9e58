/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
#include "fake_clock.h"

static apr_time_t fake_now = APR_USEC_PER_SEC * 1000;

void fake_clock_set(apr_time_t t)
{
    fake_now = t;
}

void fake_clock_advance(apr_interval_time_t d)
{
    fake_now += d;
}

APR_DECLARE(apr_time_t) apr_time_now(void)
{
    return fake_now;
}

APR_DECLARE(void) apr_sleep(apr_interval_time_t t)
{
    fake_now += t;
}
