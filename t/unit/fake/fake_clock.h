/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A clock the unit tests move by hand: apr_time_now() and apr_sleep() are
 * replaced in the test binary (the executable's definitions win over
 * libapr's), so waits take no real time and are exactly repeatable. */
#ifndef SD_FAKE_CLOCK_H
#define SD_FAKE_CLOCK_H

#include <apr_time.h>

void fake_clock_set(apr_time_t t);
void fake_clock_advance(apr_interval_time_t d);

#endif
