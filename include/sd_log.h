/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Our own log-message tags. httpd's AHnnnnn range is reserved for modules that
 * ship with httpd (docs/log-message-tags/README), so every call site here uses
 * a unique SDnnnnn number instead; grep for it to find the source line. */
#ifndef SD_LOG_H
#define SD_LOG_H

#define SD_LOGNO(n) "SD" #n ": "

#endif
