/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* httpd's AHnnnnn log tags are for the modules it ships, so each call site
 * here has a unique SDnnnnn instead: grep for it to find the line. */
#ifndef SD_LOG_H
#define SD_LOG_H

#define SD_LOGNO(n) "SD" #n ": "

#include <apr_atomic.h>

/* Whether a flood's line at `sec` (seconds) is the loud one of its 10 s,
 * `said` holding the last loud second (0: none yet). Signed, because a
 * thread may bring an older second than the last loud one's (its request
 * was read, or its clock read, just before): that is not "10 s later". */
static inline int sd_log_loud_once_in_10s(volatile apr_uint32_t *said, apr_uint32_t sec)
{
    apr_uint32_t last = apr_atomic_read32(said);
    return (last == 0 || (apr_int32_t)(sec - last) >= 10) && apr_atomic_cas32(said, sec, last) == last;
}

/* Whether a line repeated on every request is due at `sec` (seconds): the
 * first, then one a minute per `next` (NULL: every time). */
static inline int sd_log_due_each_minute(volatile apr_uint32_t *next, apr_uint32_t sec)
{
    apr_uint32_t due = next ? apr_atomic_read32(next) : 0;
    return !next || (sec >= due && apr_atomic_cas32(next, sec + 60, due) == due);
}

#endif
